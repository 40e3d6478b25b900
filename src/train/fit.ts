/**
 * fit() and evaluate(): the training loop users would otherwise write by hand, Keras-style.
 * Every step runs inside tidy(), so a fit never grows memory however long it runs.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { tidy } from '../memory.js';
import { Tensor } from '../tensor.js';
import { accuracy, f1, precision, recall, toLabels } from './metrics.js';
import { Progress } from './progress.js';

/** What fit needs of a model: forward, and train/eval switching (every nn.Module has these). */
export interface Trainable {
  forward(input: Tensor): Tensor;
  train(mode?: boolean): unknown;
  eval(): unknown;
}

/** What fit needs of an optimizer. */
export interface StepOptimizer {
  step(): void;
  zeroGrad(): void;
}

/** A loss: a function of (output, target), or a module whose forward is. */
export type LossFn = ((output: Tensor, target: Tensor) => Tensor) | { forward(output: Tensor, target: Tensor): Tensor };

/** A metric computed over an epoch's predicted and true labels. */
export interface Metric {
  name: string;
  compute(pred: Int32Array, target: Int32Array): number;
}

/** A built-in metric name or a custom Metric. */
export type MetricSpec = 'accuracy' | 'precision' | 'recall' | 'f1' | Metric;

/** Batches of (input, target). */
export type Batches = Iterable<readonly [Tensor, Tensor] | Tensor[]>;

/** Per-epoch values: `loss`, each metric, and `valLoss` / `valAccuracy` … when validating. */
export type History = Record<string, number[]>;

/** Hooks fit calls; returning false from onEpochEnd stops training (e.g. early stopping). */
export interface Callbacks {
  onEpochEnd?(epoch: number, logs: Record<string, number>): boolean | void;
  onBatchEnd?(step: number, logs: Record<string, number>): void;
}

/** Options of fit(). */
export interface FitOptions {
  epochs: number;
  optimizer: StepOptimizer;
  loss: LossFn;
  metrics?: MetricSpec[];
  /** Batches evaluated after every epoch. */
  validation?: Batches;
  /** Stepped once per epoch, or per batch with `schedulerStep: 'batch'` (e.g. OneCycleLR). */
  scheduler?: { step(): void };
  schedulerStep?: 'epoch' | 'batch';
  callbacks?: Callbacks;
  /** Print progress (default true). */
  verbose?: boolean;
}

/** Options of evaluate(). */
export interface EvaluateOptions {
  loss?: LossFn;
  metrics?: MetricSpec[];
}

/** evaluate()'s result: mean loss, metrics, and the predicted and true labels (for reports). */
export interface Evaluation {
  logs: Record<string, number>;
  predictions: Int32Array;
  targets: Int32Array;
}

const BUILTIN: Record<string, (p: Int32Array, t: Int32Array) => number> = { accuracy, precision, recall, f1 };

function resolveMetrics(specs: MetricSpec[] = []): Metric[] {
  return specs.map((m) => {
    if (typeof m !== 'string') return m;
    const fn = BUILTIN[m];
    if (!fn) throw new TypeError(`fit: unknown metric '${m}' (built in: ${Object.keys(BUILTIN).join(', ')})`);
    return { name: m, compute: fn };
  });
}

/** Calls an nn.Module as a function so its hooks run; a plain `{ forward }` object directly. */
function callModel(model: Trainable, x: Tensor): Tensor {
  return typeof model === 'function' ? (model as (input: Tensor) => Tensor)(x) : model.forward(x);
}

function callLoss(loss: LossFn, output: Tensor, target: Tensor): Tensor {
  return typeof loss === 'function' ? loss(output, target) : loss.forward(output, target);
}

function unpack(op: string, batch: readonly [Tensor, Tensor] | Tensor[]): [Tensor, Tensor] {
  if (!Array.isArray(batch) || batch.length < 2 || !(batch[0] instanceof Tensor) || !(batch[1] instanceof Tensor)) {
    throw new TypeError(`${op}: each batch must be an [input, target] pair of Tensors`);
  }
  return [batch[0], batch[1]];
}

/** Collects labels batch by batch for metrics computed over a whole epoch. */
class LabelLog {
  private preds: Int32Array[] = [];
  private targets: Int32Array[] = [];
  add(output: Tensor, target: Tensor): void {
    if (output.ndim !== 2 || target.dtype === 'float32' || target.dtype === 'float64') return;
    this.preds.push(toLabels('fit', output));
    this.targets.push(toLabels('fit', target));
  }
  get size(): number {
    return this.preds.length;
  }
  flat(): [Int32Array, Int32Array] {
    const join = (parts: Int32Array[]) => {
      const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) (out.set(p, o), (o += p.length));
      return out;
    };
    return [join(this.preds), join(this.targets)];
  }
}

function metricLogs(metrics: Metric[], log: LabelLog, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (metrics.length === 0 || log.size === 0) return out;
  const [p, t] = log.flat();
  for (const m of metrics) out[prefix ? `${prefix}${m.name[0].toUpperCase()}${m.name.slice(1)}` : m.name] = m.compute(p, t);
  return out;
}

/**
 * Evaluates model on batches without recording a graph: mean loss (weighted by batch size),
 * metrics over all samples, and the predicted and true labels.
 * @example const { logs } = evaluate(model, testLoader, { loss: nn.functional.crossEntropy, metrics: ['accuracy'] });
 */
export function evaluate(model: Trainable, batches: Batches, options: EvaluateOptions = {}): Evaluation {
  const metrics = resolveMetrics(options.metrics ?? ['accuracy']);
  model.eval();
  const labels = new LabelLog();
  let lossSum = 0;
  let count = 0;
  noGrad(() => {
    for (const batch of batches) {
      tidy(() => {
        const [x, y] = unpack('evaluate', batch);
        const out = callModel(model, x);
        const n = out.ndim > 0 ? out.shape[0] : 1;
        if (options.loss) lossSum += callLoss(options.loss, out, y).item() * n;
        count += n;
        labels.add(out, y);
      });
    }
  });
  const [predictions, targets] = labels.flat();
  const logs: Record<string, number> = {};
  if (options.loss) logs.loss = count === 0 ? NaN : lossSum / count;
  Object.assign(logs, metricLogs(metrics, labels, ''));
  return { logs, predictions, targets };
}

/**
 * Trains model for `epochs` passes over the batches and returns the per-epoch history.
 * @example const history = fit(model, trainLoader, { epochs: 10, optimizer, loss: F.crossEntropy, metrics: ['accuracy'], validation: valLoader });
 */
export function fit(model: Trainable, batches: Batches, options: FitOptions): History {
  const { epochs, optimizer, loss } = options;
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`fit: epochs must be a positive integer (got ${epochs})`);
  if (!optimizer || typeof optimizer.step !== 'function') throw new TypeError('fit: options.optimizer must have step() and zeroGrad()');
  if (!loss) throw new TypeError('fit: options.loss is required');
  const metrics = resolveMetrics(options.metrics);
  const length = (batches as { length?: number }).length;
  const progress = new Progress(epochs, typeof length === 'number' ? length : null, options.verbose ?? true);
  const history: History = {};
  const record = (logs: Record<string, number>) => {
    for (const [k, v] of Object.entries(logs)) (history[k] ??= []).push(v);
  };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    progress.startEpoch();
    const labels = new LabelLog();
    let lossSum = 0;
    let count = 0;
    let step = 0;
    for (const batch of batches) {
      const value = tidy(() => {
        const [x, y] = unpack('fit', batch);
        const out = callModel(model, x);
        const l = callLoss(loss, out, y);
        const lossValue = l.item();
        // Stop before a non-finite loss reaches the weights: nothing the user had is lost.
        if (!Number.isFinite(lossValue)) throw new Error(`fit: the loss became ${lossValue} at epoch ${epoch}, step ${step + 1}; lower the learning rate or check the data`);
        optimizer.zeroGrad();
        l.backward();
        optimizer.step();
        labels.add(out, y);
        return [lossValue, out.ndim > 0 ? out.shape[0] : 1] as const;
      });
      lossSum += value[0] * value[1];
      count += value[1];
      step++;
      if (options.schedulerStep === 'batch') options.scheduler?.step();
      const running = { loss: lossSum / count };
      options.callbacks?.onBatchEnd?.(step, running);
      progress.step(epoch, step, running);
    }
    if (options.schedulerStep !== 'batch') options.scheduler?.step();
    const logs: Record<string, number> = { loss: count === 0 ? NaN : lossSum / count, ...metricLogs(metrics, labels, '') };
    if (options.validation) {
      const val = evaluate(model, options.validation, { loss, metrics: options.metrics ?? [] });
      for (const [k, v] of Object.entries(val.logs)) logs[`val${k[0].toUpperCase()}${k.slice(1)}`] = v;
    }
    record(logs);
    progress.endEpoch(epoch, step, logs);
    if (options.callbacks?.onEpochEnd?.(epoch, logs) === false) break;
  }
  model.eval();
  return history;
}
