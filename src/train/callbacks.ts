/**
 * Callbacks for fit(): objects with hooks the loop calls (Keras's design). EarlyStopping,
 * ModelCheckpoint and HistoryLogger are built in; any object with some of the hooks works.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { serialize } from '../io/safetensors.js';
import { clone } from '../ops/shape.js';
import { options as checkOptions } from '../validate.js';
import type { Tensor } from '../tensor.js';
import type { History, StepOptimizer, Trainable } from './fit.js';

/** What the hooks see: the model, the optimizer, the history so far, and a flag that ends training after this epoch. */
export interface TrainContext {
  model: Trainable;
  optimizer: StepOptimizer;
  history: History;
  epoch: number;
  /** Set it to true to stop after the current epoch (returning false from onEpochEnd does the same). */
  stopTraining: boolean;
}

/** Hooks fit calls; every one is optional. `onBatchEnd` may return a promise, which fitAsync awaits (e.g. to repaint). */
export interface Callback {
  onTrainBegin?(ctx: TrainContext): void;
  onEpochBegin?(epoch: number, ctx: TrainContext): void;
  onBatchEnd?(step: number, logs: Record<string, number>, ctx: TrainContext): void | Promise<void>;
  /** Returning false stops training after this epoch. */
  onEpochEnd?(epoch: number, logs: Record<string, number>, ctx: TrainContext): boolean | void;
  onTrainEnd?(ctx: TrainContext): void;
}

/** Whether a larger value of the log is better: accuracies, precision, recall, F1, AUC and R² are; losses and errors are not. */
export function higherIsBetter(monitor: string): boolean {
  return /acc|precision|recall|f1|auc|r2/i.test(monitor);
}

type Mode = 'min' | 'max' | 'auto';

function checkMode(op: string, mode: unknown): Mode {
  if (mode !== 'min' && mode !== 'max' && mode !== 'auto') throw new RangeError(`${op}: mode must be 'min', 'max' or 'auto' (got ${JSON.stringify(mode)})`);
  return mode;
}

function monitored(op: string, monitor: string, logs: Record<string, number>): number {
  if (!(monitor in logs)) {
    throw new RangeError(
      `${op}: monitor '${monitor}' is not among the epoch's logs (${Object.keys(logs).join(', ')})${monitor.startsWith('val') ? '; pass validation batches to fit' : ''}`,
    );
  }
  return logs[monitor];
}

/** Improvement tracking shared by EarlyStopping and ModelCheckpoint. */
class Best {
  value: number;
  constructor(
    readonly max: boolean,
    private readonly minDelta: number,
  ) {
    this.value = max ? -Infinity : Infinity;
  }
  improves(v: number): boolean {
    return this.max ? v - this.minDelta > this.value : v + this.minDelta < this.value;
  }
}

function stateOf(op: string, model: Trainable): { stateDict(): Record<string, Tensor>; loadStateDict(s: Record<string, Tensor>): unknown } {
  const m = model as unknown as { stateDict?: unknown; loadStateDict?: unknown };
  if (typeof m.stateDict !== 'function' || typeof m.loadStateDict !== 'function')
    throw new TypeError(`${op}: the model has no stateDict()/loadStateDict() (an nn.Module has both)`);
  return m as ReturnType<typeof stateOf>;
}

/** Options of EarlyStopping. */
export interface EarlyStoppingOptions {
  /** The log to watch (default 'valLoss'). */
  monitor?: string;
  /** The least change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement before stopping (default 0: stop at the first). */
  patience?: number;
  /** Whether lower ('min') or higher ('max') is better; 'auto' (default) decides from the name. */
  mode?: Mode;
  /** Stop at once unless the monitored value beats this. */
  baseline?: number;
  /** At the end of training, load the weights of the best epoch (default false). */
  restoreBestWeights?: boolean;
}

/**
 * Stops training when the monitored value has not improved for `patience` epochs (Keras's
 * EarlyStopping); with `restoreBestWeights`, the model ends with the best epoch's weights.
 * @example fit(model, loader, { …, validation, callbacks: [new EarlyStopping({ patience: 3, restoreBestWeights: true })] });
 */
export class EarlyStopping implements Callback {
  /** Name of the metric watched, e.g. 'valLoss'. */
  readonly monitor: string;
  /** Minimum change that counts as an improvement (Keras' min_delta). */
  readonly minDelta: number;
  /** Epochs without improvement before training stops. */
  readonly patience: number;
  /** 'min' when lower values are better, 'max' when higher are, 'auto' to tell from the metric's name. */
  readonly mode: Mode;
  /** Value the metric must beat to count as improving, or undefined. */
  readonly baseline: number | undefined;
  /** Load the best epoch's weights back into the model when training stops. */
  readonly restoreBestWeights: boolean;
  /** The epoch (1-based) with the best value, and that value. */
  bestEpoch = 0;
  /** The best value of the monitored metric so far. */
  best = NaN;
  /** The epoch training stopped at, or 0 when it ran to the end. */
  stoppedEpoch = 0;
  private wait = 0;
  private tracker: Best;
  private snapshot: Record<string, Tensor> | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    const {
      monitor = 'valLoss',
      minDelta = 0,
      patience = 0,
      mode = 'auto',
      baseline,
      restoreBestWeights = false,
    } = checkOptions('EarlyStopping', options, ['monitor', 'minDelta', 'patience', 'mode', 'baseline', 'restoreBestWeights']);
    if (typeof monitor !== 'string' || monitor === '')
      throw new TypeError(`EarlyStopping: monitor must be the name of a log such as 'valLoss' (got ${JSON.stringify(monitor)})`);
    if (typeof minDelta !== 'number' || !(minDelta >= 0))
      throw new RangeError(`EarlyStopping: minDelta must be a number ≥ 0 (got ${JSON.stringify(minDelta)})`);
    if (!Number.isInteger(patience) || patience < 0) throw new RangeError(`EarlyStopping: patience must be an integer ≥ 0 (got ${JSON.stringify(patience)})`);
    if (baseline !== undefined && typeof baseline !== 'number')
      throw new TypeError(`EarlyStopping: baseline must be a number (got ${JSON.stringify(baseline)})`);
    this.monitor = monitor;
    this.minDelta = minDelta;
    this.patience = patience;
    this.mode = checkMode('EarlyStopping', mode);
    this.baseline = baseline;
    this.restoreBestWeights = !!restoreBestWeights;
    this.tracker = this.fresh();
  }

  private fresh(): Best {
    const b = new Best(this.mode === 'max' || (this.mode === 'auto' && higherIsBetter(this.monitor)), this.minDelta);
    if (this.baseline !== undefined) b.value = this.baseline;
    return b;
  }

  /** Resets the patience counter and best value (and checks the model has a state dict when restoring). */
  onTrainBegin(ctx: TrainContext): void {
    if (this.restoreBestWeights) stateOf('EarlyStopping', ctx.model);
    this.wait = 0;
    this.bestEpoch = 0;
    this.best = NaN;
    this.stoppedEpoch = 0;
    this.tracker = this.fresh();
    this.dropSnapshot();
  }

  onEpochEnd(epoch: number, logs: Record<string, number>, ctx: TrainContext): void {
    const v = monitored('EarlyStopping', this.monitor, logs);
    if (this.tracker.improves(v)) {
      this.tracker.value = v;
      this.best = v;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.takeSnapshot(ctx.model);
      return;
    }
    this.wait++;
    if (this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      ctx.stopTraining = true;
    }
  }

  /** Restores the best weights when restoreBestWeights is set. */
  onTrainEnd(ctx: TrainContext): void {
    if (this.snapshot && this.bestEpoch !== ctx.epoch) stateOf('EarlyStopping', ctx.model).loadStateDict(this.snapshot);
    this.dropSnapshot();
  }

  private takeSnapshot(model: Trainable): void {
    this.dropSnapshot();
    const state = stateOf('EarlyStopping', model).stateDict();
    this.snapshot = noGrad(() => Object.fromEntries(Object.entries(state).map(([k, t]) => [k, clone(t).keep()])));
  }

  private dropSnapshot(): void {
    if (this.snapshot) for (const t of Object.values(this.snapshot)) t.dispose();
    this.snapshot = null;
  }
}

/** Node's fs for synchronous writes from a callback inside a synchronous fit. */
function writeFileNow(op: string, path: string, data: string | Uint8Array): void {
  const fs = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:fs') as
    | { writeFileSync(p: string, d: string | Uint8Array): void }
    | undefined;
  if (!fs) throw new Error(`${op}: writing to a path needs Node's fs, which this environment lacks; pass onSave / onWrite instead`);
  fs.writeFileSync(path, data);
}

/** Options of ModelCheckpoint; give `path` (Node) or `onSave` (anywhere). */
export interface ModelCheckpointOptions {
  /** A .safetensors file; `{epoch}` in it is replaced by the epoch number. */
  path?: string;
  /** Called with the state dict (live views: copy or serialize now) instead of, or besides, writing `path`. */
  onSave?(stateDict: Record<string, Tensor>, info: { epoch: number; logs: Record<string, number> }): void;
  /** The log compared with saveBestOnly (default 'valLoss'). */
  monitor?: string;
  /** Save only when the monitored value improves on the best so far (default false: every epoch). */
  saveBestOnly?: boolean;
  mode?: Mode;
}

/**
 * Saves the model's weights after an epoch, as safetensors at `path` or through `onSave`;
 * with `saveBestOnly`, only when the monitored value improves (Keras's ModelCheckpoint).
 * @example new ModelCheckpoint({ path: 'out/best.safetensors', monitor: 'valAccuracy', saveBestOnly: true })
 */
export class ModelCheckpoint implements Callback {
  /** File the weights are saved to (safetensors), or undefined when onSave receives them. */
  readonly path: string | undefined;
  /** Name of the metric compared between epochs. */
  readonly monitor: string;
  /** Save only when the monitored metric improves. */
  readonly saveBestOnly: boolean;
  /** 'min' when lower values are better, 'max' when higher are, 'auto' to tell from the metric's name. */
  readonly mode: Mode;
  /** The epochs saved, in order. */
  readonly savedEpochs: number[] = [];
  private readonly onSave: ModelCheckpointOptions['onSave'];
  private tracker: Best;

  constructor(options: ModelCheckpointOptions) {
    const {
      path,
      onSave,
      monitor = 'valLoss',
      saveBestOnly = false,
      mode = 'auto',
    } = checkOptions('ModelCheckpoint', options, ['path', 'onSave', 'monitor', 'saveBestOnly', 'mode']);
    if (path === undefined && onSave === undefined)
      throw new TypeError('ModelCheckpoint: give path (a .safetensors file) or onSave(stateDict, { epoch, logs })');
    if (path !== undefined && (typeof path !== 'string' || path === ''))
      throw new TypeError(`ModelCheckpoint: path must be a file name (got ${JSON.stringify(path)})`);
    if (onSave !== undefined && typeof onSave !== 'function') throw new TypeError('ModelCheckpoint: onSave must be a function');
    if (typeof monitor !== 'string' || monitor === '')
      throw new TypeError(`ModelCheckpoint: monitor must be the name of a log (got ${JSON.stringify(monitor)})`);
    this.path = path;
    this.onSave = onSave;
    this.monitor = monitor;
    this.saveBestOnly = !!saveBestOnly;
    this.mode = checkMode('ModelCheckpoint', mode);
    this.tracker = this.fresh();
  }

  private fresh(): Best {
    return new Best(this.mode === 'max' || (this.mode === 'auto' && higherIsBetter(this.monitor)), 0);
  }

  /** Resets the best value tracked and checks the model has a state dict. */
  onTrainBegin(ctx: TrainContext): void {
    stateOf('ModelCheckpoint', ctx.model);
    this.tracker = this.fresh();
  }

  onEpochEnd(epoch: number, logs: Record<string, number>, ctx: TrainContext): void {
    if (this.saveBestOnly) {
      const v = monitored('ModelCheckpoint', this.monitor, logs);
      if (!this.tracker.improves(v)) return;
      this.tracker.value = v;
    }
    const state = stateOf('ModelCheckpoint', ctx.model).stateDict();
    if (this.path !== undefined) {
      writeFileNow(
        'ModelCheckpoint',
        this.path.replaceAll('{epoch}', String(epoch)),
        serialize(state, { epoch: String(epoch), ...Object.fromEntries(Object.entries(logs).map(([k, v]) => [k, String(v)])) }),
      );
    }
    this.onSave?.(state, { epoch, logs });
    this.savedEpochs.push(epoch);
  }
}

/** Options of HistoryLogger; give `path` (Node) or `onWrite` (anywhere). */
export interface HistoryLoggerOptions {
  /** The file rewritten after every epoch; its extension (.csv or .json) sets the format unless `format` does. */
  path?: string;
  /** Receives the whole text after every epoch. */
  onWrite?(text: string): void;
  format?: 'csv' | 'json';
  /** CSV field separator (default ','). */
  separator?: string;
}

/**
 * Writes the history after every epoch as CSV (an `epoch` column, then one per log, as Keras's
 * CSVLogger) or as JSON (`{ "loss": [...], … }`, what fit returns), so a crashed run keeps its curve.
 * @example new HistoryLogger({ path: 'out/history.csv' })
 */
export class HistoryLogger implements Callback {
  /** File the history is written to, or undefined. */
  readonly path: string | undefined;
  /** 'csv' or 'json'. */
  readonly format: 'csv' | 'json';
  /** Column separator of the CSV output. */
  readonly separator: string;
  private readonly onWrite: ((text: string) => void) | undefined;
  private rows: Array<Record<string, number>> = [];

  constructor(options: HistoryLoggerOptions) {
    const { path, onWrite, separator = ',' } = checkOptions('HistoryLogger', options, ['path', 'onWrite', 'format', 'separator']);
    if (path === undefined && onWrite === undefined) throw new TypeError('HistoryLogger: give path (.csv or .json) or onWrite(text)');
    if (path !== undefined && (typeof path !== 'string' || path === ''))
      throw new TypeError(`HistoryLogger: path must be a file name (got ${JSON.stringify(path)})`);
    if (onWrite !== undefined && typeof onWrite !== 'function') throw new TypeError('HistoryLogger: onWrite must be a function');
    const format = options.format ?? (path?.toLowerCase().endsWith('.json') ? 'json' : 'csv');
    if (format !== 'csv' && format !== 'json') throw new RangeError(`HistoryLogger: format must be 'csv' or 'json' (got ${JSON.stringify(format)})`);
    this.path = path;
    this.onWrite = onWrite;
    this.format = format;
    this.separator = separator;
  }

  /** Starts a new, empty history. */
  onTrainBegin(): void {
    this.rows = [];
  }

  onEpochEnd(epoch: number, logs: Record<string, number>): void {
    this.rows.push({ epoch, ...logs });
    const text = this.text();
    if (this.path !== undefined) writeFileNow('HistoryLogger', this.path, text);
    this.onWrite?.(text);
  }

  /** The log so far, in the logger's format. */
  text(): string {
    const keys = [...new Set(this.rows.flatMap((r) => Object.keys(r)))];
    if (this.format === 'json') {
      const history = Object.fromEntries(keys.filter((k) => k !== 'epoch').map((k) => [k, this.rows.map((r) => r[k] ?? null)]));
      return `${JSON.stringify(history)}\n`;
    }
    const lines = [keys.join(this.separator), ...this.rows.map((r) => keys.map((k) => (k in r ? String(r[k]) : '')).join(this.separator))];
    return `${lines.join('\n')}\n`;
  }
}
