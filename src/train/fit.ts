/**
 * fit(), fitAsync() and evaluate(): the training loop users would otherwise write by hand,
 * Keras-style. Steps run in no tidy(): automatic memory management keeps the loop bounded
 * (docs/memory.md), and what a user's step or callback holds (a loss, an output) stays theirs.
 * The loop is written once, as a generator that asks its driver for each next batch; the
 * synchronous driver (fit) pulls batches directly, the asynchronous one (fitAsync) awaits them
 * and hands the event loop back between batches so a page stays responsive.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { tensor } from '../creation.js';
import { tidy } from '../memory.js';
import { ReduceLROnPlateau } from '../optim/lr-scheduler.js';
import { Tensor } from '../tensor.js';
import type { Callback, TrainContext } from './callbacks.js';
import { BUILTIN_METRICS, targetLabels, toLabels } from './metrics.js';
import { Progress } from './progress.js';
import * as V from '../validate.js';

/** What fit needs of a model: forward (of one or more inputs), and train/eval switching (every nn.Module has these). */
export interface Trainable {
  forward(...inputs: Tensor[]): Tensor;
  train(mode?: boolean): unknown;
  eval(): unknown;
  /** The current mode; fit and evaluate restore it when they return. */
  training?: boolean;
}

/** What fit needs of an optimizer. */
export interface StepOptimizer {
  step(): void;
  zeroGrad(): void;
}

/** A loss: a function of (output, target), or a module whose forward is. */
export type LossFn = ((output: Tensor, target: Tensor) => Tensor) | { forward(output: Tensor, target: Tensor): Tensor };

/** A metric computed over an epoch's outputs [N, …] and targets [N, …] (one tensor each, all batches joined). */
export interface Metric {
  name: string;
  compute(output: Tensor, target: Tensor): number;
}

/** A built-in metric name or a custom Metric. */
export type MetricSpec = 'accuracy' | 'precision' | 'recall' | 'f1' | 'topKAccuracy' | 'mae' | 'mse' | 'rmse' | 'r2' | Metric;

/**
 * A batch: `[input, target]`, `[input1, …, inputK, target]` (the last tensor is the target, as a
 * TensorDataset of ids, mask and labels gives), or `{ inputs, target }`.
 */
export type Batch = readonly Tensor[] | { inputs: Tensor | readonly Tensor[]; target: Tensor };

/** Batches for fit and evaluate. */
export type Batches<B = Batch> = Iterable<B>;

/** Batches for fitAsync and evaluateAsync: synchronous or asynchronous iterables. */
export type AsyncBatches<B = Batch> = Iterable<B> | AsyncIterable<B>;

/** What a user `step(batch)` returns: the loss, or the loss with the output and target for metrics. */
export type StepResult = Tensor | { loss: Tensor; output?: Tensor; target?: Tensor };

/** Per-epoch values: `loss`, each metric, and `valLoss` / `valAccuracy` … when validating. */
export type History = Record<string, number[]>;

/** Options of fit() and fitAsync(). */
export interface FitOptions<B = Batch> {
  epochs: number;
  optimizer: StepOptimizer;
  /** Required unless `step` computes the loss. */
  loss?: LossFn;
  /**
   * Computes a batch's loss (and optionally its output and target, for metrics) in place of
   * `loss(model(...inputs), target)`, for batches of any shape; fit does zeroGrad, backward and
   * the optimizer step. Also used on the validation batches (without a graph).
   */
  step?: (batch: B) => StepResult;
  /** Metrics computed over each epoch (none by default, as evaluate). */
  metrics?: MetricSpec[];
  /** Batches evaluated after every epoch. */
  validation?: AsyncBatches<B>;
  /**
   * Stepped once per epoch, or per batch with `schedulerStep: 'batch'` (e.g. OneCycleLR). A
   * ReduceLROnPlateau is stepped each epoch with the value of `schedulerMonitor`.
   */
  scheduler?: { step(metric?: number): void };
  schedulerStep?: 'epoch' | 'batch';
  /** The log ReduceLROnPlateau watches (default 'valLoss' when validating, else 'loss'). */
  schedulerMonitor?: string;
  /** A callback or several (EarlyStopping, ModelCheckpoint, HistoryLogger, or any object with hooks). */
  callbacks?: Callback | Callback[];
  /** Print progress (default true). */
  verbose?: boolean;
}

/** Options of fitAsync(): fit's, and when to hand the event loop back. */
export interface FitAsyncOptions<B = Batch> extends Omit<FitOptions<B>, 'validation'> {
  validation?: AsyncBatches<B>;
  /** Yield to the event loop after every batch (default), every epoch, or once this many milliseconds have passed. */
  yieldEvery?: 'batch' | 'epoch' | number;
}

/** Options of evaluate(). */
export interface EvaluateOptions<B = Batch> {
  loss?: LossFn;
  /** As fit's `step`: computes the loss (and output, target) of a batch. */
  step?: (batch: B) => StepResult;
  /** Metrics computed over all batches (none by default, as fit). */
  metrics?: MetricSpec[];
}

/** evaluate()'s result: mean loss, metrics, and the predicted and true labels (for reports). */
export interface Evaluation {
  logs: Record<string, number>;
  /** Predicted class labels (argmax of [N, C] scores, [N, 1] probabilities thresholded at 0.5); empty for regression outputs. */
  predictions: Int32Array;
  targets: Int32Array;
}

function resolveMetrics(op: string, specs: MetricSpec[] = []): Metric[] {
  if (!Array.isArray(specs)) throw new TypeError(`${op}: metrics must be an array of metric names or { name, compute } objects`);
  return specs.map((m) => {
    if (typeof m === 'object' && m !== null && typeof m.name === 'string' && typeof m.compute === 'function') return m;
    const fn = typeof m === 'string' ? BUILTIN_METRICS[m] : undefined;
    if (!fn)
      throw new TypeError(
        `${op}: unknown metric ${typeof m === 'string' ? `'${m}'` : String(m)} (built in: ${Object.keys(BUILTIN_METRICS).join(', ')}; or pass { name, compute(output, target) })`,
      );
    return { name: m as string, compute: fn };
  });
}

/** Calls an nn.Module as a function so its hooks run; a plain `{ forward }` object directly. */
function callModel(model: Trainable, inputs: readonly Tensor[]): Tensor {
  return typeof model === 'function' ? (model as (...x: Tensor[]) => Tensor)(...inputs) : model.forward(...inputs);
}

function callLoss(loss: LossFn, output: Tensor, target: Tensor): Tensor {
  return typeof loss === 'function' ? loss(output, target) : loss.forward(output, target);
}

const BATCH_FORMS = 'an [input, target] array of Tensors, [input1, …, target], or { inputs, target }; pass step(batch) for anything else';

function unpack(op: string, batch: unknown): { inputs: readonly Tensor[]; target: Tensor } {
  if (Array.isArray(batch)) {
    if (batch.length >= 2 && batch.every((t) => t instanceof Tensor)) return { inputs: batch.slice(0, -1), target: batch[batch.length - 1] };
  } else if (batch !== null && typeof batch === 'object' && 'inputs' in batch && 'target' in batch) {
    const { inputs, target } = batch as { inputs: unknown; target: unknown };
    const list = inputs instanceof Tensor ? [inputs] : inputs;
    if (Array.isArray(list) && list.length > 0 && list.every((t) => t instanceof Tensor) && target instanceof Tensor) return { inputs: list, target };
  }
  throw new TypeError(`${op}: each batch must be ${BATCH_FORMS}`);
}

/** @internal */
export interface Computed {
  loss: Tensor | null;
  output: Tensor | null;
  target: Tensor | null;
}

/** @internal A batch's loss (and output, target for metrics), by `step` or `loss(model(...inputs), target)`. */
export function compute<B>(op: string, model: Trainable, batch: B, loss: LossFn | undefined, step: ((batch: B) => StepResult) | undefined): Computed {
  if (step) {
    const r = step(batch);
    if (r instanceof Tensor) return { loss: r, output: null, target: null };
    if (r === null || typeof r !== 'object' || !(r.loss instanceof Tensor))
      throw new TypeError(`${op}: step(batch) must return the loss Tensor or { loss, output?, target? }`);
    return { loss: r.loss, output: r.output ?? null, target: r.target ?? null };
  }
  const { inputs, target } = unpack(op, batch);
  const output = callModel(model, inputs);
  return { loss: loss ? callLoss(loss, output, target) : null, output, target };
}

function batchSize(c: Computed): number {
  const t = c.output ?? c.target;
  return t && t.ndim > 0 ? t.shape[0] : 1;
}

/** Collects an epoch's outputs and targets, batch by batch, for metrics computed over all of it. */
class OutputLog {
  private outputs: Float32Array[] = [];
  private targets: Float64Array[] = [];
  private outShape: number[] | null = null;
  private targetShape: number[] | null = null;
  private integralTarget = true;

  add(op: string, output: Tensor | null, target: Tensor | null): void {
    if (!output || !target) return;
    const rest = (t: Tensor) => t.shape.slice(1);
    const same = (a: number[] | null, b: number[]) => a === null || (a.length === b.length && a.every((d, i) => d === b[i]));
    if (!same(this.outShape, rest(output)) || !same(this.targetShape, rest(target))) {
      throw new RangeError(
        `${op}: batches have outputs or targets of different shapes beyond the batch dimension (${JSON.stringify(this.outShape)} vs ${JSON.stringify(rest(output))}); metrics need them to agree`,
      );
    }
    this.outShape = rest(output);
    this.targetShape = rest(target);
    if (target.dtype === 'float32' || target.dtype === 'float64') this.integralTarget = false;
    this.outputs.push(Float32Array.from(output.toArray() as ArrayLike<number>));
    this.targets.push(Float64Array.from(target.toArray() as ArrayLike<number>));
  }

  get size(): number {
    return this.outputs.length;
  }

  /** The joined outputs and targets as tensors (call inside tidy). */
  tensors(): [Tensor, Tensor] {
    const join = <A extends Float32Array | Float64Array>(parts: A[], make: (n: number) => A) => {
      const out = make(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) out.set(p, o), (o += p.length);
      return out;
    };
    const out = join(this.outputs, (n) => new Float32Array(n));
    const tgt = join(this.targets, (n) => new Float64Array(n));
    const rows = (flat: ArrayLike<number>, rest: number[]) => [
      flat.length /
        Math.max(
          1,
          rest.reduce((a, b) => a * b, 1),
        ),
      ...rest,
    ];
    return [
      tensor(out, { shape: rows(out, this.outShape!), dtype: 'float32' }),
      tensor(tgt, { shape: rows(tgt, this.targetShape!), dtype: this.integralTarget ? 'int32' : 'float32' }),
    ];
  }

  /** Predicted and true class labels, or empty arrays when the outputs are not class scores. */
  labels(): [Int32Array, Int32Array] {
    if (this.size === 0 || (!this.integralTarget && this.outShape!.length === 0)) return [new Int32Array(0), new Int32Array(0)];
    return tidy(() => {
      const [o, t] = this.tensors();
      if (o.ndim > 2 || t.ndim > 2) return [new Int32Array(0), new Int32Array(0)];
      // Regression targets have no labels to report (targetLabels refuses them).
      let labels: Int32Array;
      try {
        labels = targetLabels('evaluate', t);
      } catch (e) {
        if (e instanceof RangeError) return [new Int32Array(0), new Int32Array(0)];
        throw e;
      }
      return [toLabels('evaluate', o), labels];
    });
  }
}

function metricLogs(metrics: Metric[], log: OutputLog, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (metrics.length === 0 || log.size === 0) return out;
  tidy(() => {
    const [o, t] = log.tensors();
    for (const m of metrics) out[prefixed(prefix, m.name)] = m.compute(o, t);
  });
  return out;
}

const prefixed = (prefix: string, name: string) => (prefix ? `${prefix}${name[0].toUpperCase()}${name.slice(1)}` : name);

/** What the loop asks its driver for: the next batch of an iterator, a chance to yield, or a promise settled. */
type Request = { next: Iterator<unknown> | AsyncIterator<unknown> } | { pause: 'batch' | 'epoch' } | { wait: unknown };
type Loop<T> = Generator<Request, T, unknown>;

function open(op: string, batches: unknown, async: boolean): Iterator<unknown> | AsyncIterator<unknown> {
  const b = batches as Partial<Iterable<unknown> & AsyncIterable<unknown>> | null;
  const asyncIt = b?.[Symbol.asyncIterator];
  const syncIt = b?.[Symbol.iterator];
  if (async && typeof asyncIt === 'function') return asyncIt.call(b);
  if (typeof syncIt === 'function') return syncIt.call(b);
  if (b && typeof b[Symbol.asyncIterator] === 'function')
    throw new TypeError(`${op}: the batches are an AsyncIterable; use ${op}Async (or iterate them into an array first)`);
  throw new TypeError(`${op}: batches must be an iterable of batches (an array or a DataLoader), got ${b === null ? 'null' : typeof b}`);
}

/** Runs fn on each batch; the driver supplies the batches. */
function* eachBatch(op: string, batches: unknown, async: boolean, fn: (batch: unknown) => Generator<Request, void, unknown>): Loop<void> {
  const it = open(op, batches, async);
  let done = false;
  try {
    for (;;) {
      const r = (yield { next: it }) as IteratorResult<unknown>;
      if (r.done) {
        done = true;
        break;
      }
      yield* fn(r.value);
    }
  } finally {
    // Stopping early (an error, or a callback ending training) lets the source clean up (a DataLoader releases its batch).
    if (!done && it.return) yield { wait: it.return() };
  }
}

function* evaluateLoop<B>(op: string, model: Trainable, batches: unknown, options: EvaluateOptions<B>, async: boolean): Loop<Evaluation> {
  V.options(op, options, ['loss', 'step', 'metrics', ...(op === 'evaluateAsync' ? ['yieldEvery'] : [])]);
  const metrics = resolveMetrics(op, options.metrics);
  if (options.step !== undefined && typeof options.step !== 'function') throw new TypeError(`${op}: step must be a function of a batch`);
  const wasTraining = model.training ?? true;
  model.eval();
  const outputs = new OutputLog();
  let lossSum = 0;
  let count = 0;
  let hasLoss = false;
  try {
    yield* eachBatch(op, batches, async, function* (batch) {
      noGrad(() => {
        const c = compute(op, model, batch as B, options.loss, options.step);
        const n = batchSize(c);
        if (c.loss) {
          lossSum += c.loss.item() * n;
          hasLoss = true;
        }
        count += n;
        outputs.add(op, c.output, c.target);
      });
    });
  } finally {
    model.train(wasTraining);
  }
  const logs: Record<string, number> = {};
  if (hasLoss) logs.loss = lossSum / count;
  Object.assign(logs, metricLogs(metrics, outputs, ''));
  const [predictions, targets] = outputs.labels();
  return { logs, predictions, targets };
}

function monitorOf(options: FitOptions<unknown>): string {
  return options.schedulerMonitor ?? (options.validation ? 'valLoss' : 'loss');
}

function* fitLoop<B>(op: string, model: Trainable, batches: unknown, options: FitOptions<B>, async: boolean): Loop<History> {
  if (options === null || typeof options !== 'object') throw new TypeError(`${op}: options { epochs, optimizer, loss } are required`);
  V.options(op, options, [
    'epochs',
    'optimizer',
    'loss',
    'step',
    'metrics',
    'validation',
    'scheduler',
    'schedulerStep',
    'schedulerMonitor',
    'callbacks',
    'verbose',
    ...(op === 'fitAsync' ? ['yieldEvery'] : []),
  ]);
  const { epochs, optimizer, loss, step } = options;
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`${op}: epochs must be a positive integer (got ${epochs})`);
  if (!optimizer || typeof optimizer.step !== 'function' || typeof optimizer.zeroGrad !== 'function')
    throw new TypeError(`${op}: options.optimizer must have step() and zeroGrad()`);
  if (step !== undefined && typeof step !== 'function') throw new TypeError(`${op}: options.step must be a function of a batch`);
  if (!loss && !step) throw new TypeError(`${op}: options.loss is required (or a step(batch) function that returns the loss)`);
  if (options.schedulerStep !== undefined && options.schedulerStep !== 'epoch' && options.schedulerStep !== 'batch') {
    throw new RangeError(`${op}: schedulerStep must be 'epoch' or 'batch' (got ${JSON.stringify(options.schedulerStep)})`);
  }
  const metrics = resolveMetrics(op, options.metrics);
  const callbacks = options.callbacks === undefined ? [] : Array.isArray(options.callbacks) ? options.callbacks : [options.callbacks];
  callbacks.forEach((c, i) => {
    if (c === null || typeof c !== 'object') throw new TypeError(`${op}: callbacks[${i}] is not an object of hooks (onEpochEnd, onBatchEnd, …)`);
  });
  const plateau = options.scheduler instanceof ReduceLROnPlateau;
  if (plateau && options.schedulerStep === 'batch')
    throw new RangeError(`${op}: ReduceLROnPlateau steps once per epoch on a monitored value; schedulerStep 'batch' does not apply`);
  const length = (batches as { length?: number }).length;
  const progress = new Progress(epochs, typeof length === 'number' && Number.isFinite(length) ? length : null, options.verbose ?? true);
  const history: History = {};
  const ctx: TrainContext = { model, optimizer, history, epoch: 0, stopTraining: false };
  const wasTraining = model.training ?? true;
  try {
    for (const c of callbacks) c.onTrainBegin?.(ctx);
    for (let epoch = 1; epoch <= epochs && !ctx.stopTraining; epoch++) {
      ctx.epoch = epoch;
      model.train();
      for (const c of callbacks) c.onEpochBegin?.(epoch, ctx);
      progress.startEpoch();
      const outputs = metrics.length > 0 ? new OutputLog() : null;
      let lossSum = 0;
      let count = 0;
      let stepIndex = 0;
      yield* eachBatch(op, batches, async, function* (batch) {
        const c = compute(op, model, batch as B, loss, step);
        const lossValue = c.loss!.item();
        // Stop before a non-finite loss reaches the weights: nothing the user had is lost.
        if (!Number.isFinite(lossValue))
          throw new Error(`${op}: the loss became ${lossValue} at epoch ${epoch}, step ${stepIndex + 1}; lower the learning rate or check the data`);
        optimizer.zeroGrad();
        c.loss!.backward();
        optimizer.step();
        outputs?.add(op, c.output, c.target);
        const n = batchSize(c);
        lossSum += lossValue * n;
        count += n;
        stepIndex++;
        if (options.schedulerStep === 'batch') options.scheduler?.step();
        const running = { loss: lossSum / count };
        for (const c of callbacks) {
          const r = c.onBatchEnd?.(stepIndex, running, ctx);
          if (r && typeof (r as Promise<void>).then === 'function') yield { wait: r };
        }
        progress.step(epoch, stepIndex, running);
        yield { pause: 'batch' };
      });
      const logs: Record<string, number> = { loss: count === 0 ? NaN : lossSum / count };
      if (outputs) Object.assign(logs, metricLogs(metrics, outputs, ''));
      if (options.validation) {
        const val = yield* evaluateLoop(op, model, options.validation, { loss, step, metrics: options.metrics ?? [] }, async);
        for (const [k, v] of Object.entries(val.logs)) logs[prefixed('val', k)] = v;
        model.train();
      }
      if (plateau) {
        const key = monitorOf(options as FitOptions<unknown>);
        if (!(key in logs))
          throw new RangeError(
            `${op}: ReduceLROnPlateau monitors '${key}', which is not among the logs (${Object.keys(logs).join(', ')}); set schedulerMonitor`,
          );
        options.scheduler!.step(logs[key]);
      } else if (options.schedulerStep !== 'batch') options.scheduler?.step();
      for (const [k, v] of Object.entries(logs)) (history[k] ??= []).push(v);
      progress.endEpoch(epoch, stepIndex, logs);
      for (const c of callbacks) if (c.onEpochEnd?.(epoch, logs, ctx) === false) ctx.stopTraining = true;
      yield { pause: 'epoch' };
    }
    for (const c of callbacks) c.onTrainEnd?.(ctx);
  } finally {
    model.train(wasTraining);
  }
  return history;
}

function runSync<T>(loop: Loop<T>): T {
  let r = loop.next();
  while (!r.done) {
    const q = r.value;
    let input: unknown;
    try {
      if ('next' in q) input = (q.next as Iterator<unknown>).next();
    } catch (e) {
      r = loop.throw(e);
      continue;
    }
    r = loop.next(input);
  }
  return r.value;
}

/** A macrotask boundary: timers, input and rendering get their turn before the loop continues. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function runAsync<T>(op: string, loop: Loop<T>, yieldEvery: 'batch' | 'epoch' | number): Promise<T> {
  if (!(yieldEvery === 'batch' || yieldEvery === 'epoch' || (typeof yieldEvery === 'number' && yieldEvery >= 0))) {
    throw new RangeError(`${op}: yieldEvery must be 'batch', 'epoch' or a number of milliseconds ≥ 0 (got ${JSON.stringify(yieldEvery)})`);
  }
  let last = performance.now();
  let r = loop.next();
  while (!r.done) {
    const q = r.value;
    let input: unknown;
    try {
      if ('next' in q) input = await q.next.next();
      else if ('wait' in q) await q.wait;
      else if (yieldEvery === 'batch' || q.pause === yieldEvery || (typeof yieldEvery === 'number' && performance.now() - last >= yieldEvery)) {
        await yieldToEventLoop();
        last = performance.now();
      }
    } catch (e) {
      r = loop.throw(e);
      continue;
    }
    r = loop.next(input);
  }
  return r.value;
}

/**
 * Evaluates model on batches without recording a graph, in eval mode (the mode it had is
 * restored): mean loss (weighted by batch size), metrics over all samples, and the predicted and true labels.
 * @example const { logs } = evaluate(model, testLoader, { loss: nn.functional.crossEntropy, metrics: ['accuracy'] });
 */
export function evaluate<B = Batch>(model: Trainable, batches: Batches<B>, options: EvaluateOptions<B> = {}): Evaluation {
  return runSync(evaluateLoop('evaluate', model, batches, options, false));
}

/**
 * evaluate() over synchronous or asynchronous batches, yielding to the event loop between batches.
 * @example const { logs } = await evaluateAsync(model, testLoader, { metrics: ['accuracy'] });
 */
export function evaluateAsync<B = Batch>(
  model: Trainable,
  batches: AsyncBatches<B>,
  options: EvaluateOptions<B> & { yieldEvery?: 'batch' | number } = {},
): Promise<Evaluation> {
  V.options('evaluateAsync', options, ['loss', 'step', 'metrics', 'yieldEvery']);
  return runAsync('evaluateAsync', evaluateLoop('evaluateAsync', model, batches, options, true), options.yieldEvery ?? 'batch');
}

/**
 * Trains model for `epochs` passes over the batches and returns the per-epoch history; the
 * model is left in the mode it was in.
 * @example const history = fit(model, trainLoader, { epochs: 10, optimizer, loss: F.crossEntropy, metrics: ['accuracy'], validation: valLoader });
 */
export function fit<B = Batch>(model: Trainable, batches: Batches<B>, options: FitOptions<B>): History {
  return runSync(fitLoop('fit', model, batches, options, false));
}

/**
 * fit() for pages: takes synchronous or asynchronous batches and yields to the event loop
 * (every batch by default) so timers, input and an `onBatchEnd` chart keep running.
 * @example const history = await fitAsync(model, loader, { epochs: 5, optimizer, loss, callbacks: { onBatchEnd: (s, logs) => chart.push(logs.loss) } });
 */
export function fitAsync<B = Batch>(model: Trainable, batches: AsyncBatches<B>, options: FitAsyncOptions<B>): Promise<History> {
  return runAsync('fitAsync', fitLoop('fitAsync', model, batches, options as FitOptions<B>, true), options?.yieldEvery ?? 'batch');
}
