/**
 * lrFinder: Leslie Smith's learning-rate range test (as fastai's lr_find and pytorch-lr-finder).
 * The learning rate grows exponentially (or linearly) from startLr to endLr over numIter steps
 * while the loss is recorded; the model and optimizer are restored afterwards, so the test
 * leaves no trace on the training that follows.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { clone } from '../ops/shape.js';
import { Tensor } from '../tensor.js';
import * as V from '../validate.js';
import { type Batch, type LossFn, type StepResult, type Trainable, compute } from './fit.js';

/** An optimizer whose learning rates lrFinder can set (every optimizer in optim). */
export interface LrOptimizer {
  step(): void;
  zeroGrad(): void;
  paramGroups: { lr: number }[];
  stateDict?(): unknown;
  loadStateDict?(state: never): unknown;
}

/** Options of lrFinder. */
export interface LrFinderOptions<B = Batch> {
  optimizer: LrOptimizer;
  /** Required unless `step` computes the loss. */
  loss?: LossFn;
  /** Computes a batch's loss, as fit's `step`. */
  step?: (batch: B) => StepResult;
  /** First learning rate (default 1e-7). */
  startLr?: number;
  /** Last learning rate (default 10). */
  endLr?: number;
  /** Number of steps (default 100); the batches are cycled when they run out. */
  numIter?: number;
  /** 'exp' (default): geometric steps; 'linear': equal steps. */
  stepMode?: 'exp' | 'linear';
  /** Weight of the previous value in the loss's exponential moving average (default 0.98; 0 = raw losses). */
  smoothing?: number;
  /** Stop once the smoothed loss exceeds this multiple of the best so far (default 5). */
  divergeThreshold?: number;
  /** Points left out of the suggestion at the start and the end of the curve (default 10 and 5, as pytorch-lr-finder). */
  skipStart?: number;
  skipEnd?: number;
}

/** lrFinder's result: the curve and the suggested rate. */
export interface LrFinderResult {
  lrs: number[];
  /** Smoothed losses (bias-corrected moving average), one per lr. */
  losses: number[];
  rawLosses: number[];
  /** The rate where the smoothed loss falls fastest (steepest negative slope against log lr); NaN when the curve is too short. */
  suggestedLr: number;
  /** The rate with the lowest smoothed loss (a rate about ten times smaller is the usual rule of thumb). */
  minLossLr: number;
  /** True when the run stopped early because the loss diverged. */
  diverged: boolean;
}

/**
 * Runs the learning-rate range test and returns the loss curve with a suggested rate; model
 * weights, mode and optimizer state are restored afterwards. Plot it with plotLrFinder.
 * @example const { suggestedLr } = lrFinder(model, loader, { optimizer, loss: F.crossEntropy, startLr: 1e-6, endLr: 1, numIter: 100 });
 */
export function lrFinder<B = Batch>(model: Trainable, batches: Iterable<B>, options: LrFinderOptions<B>): LrFinderResult {
  const op = 'lrFinder';
  if (options === null || typeof options !== 'object') throw new TypeError(`${op}: options { optimizer, loss } are required`);
  V.options(op, options, ['optimizer', 'loss', 'step', 'startLr', 'endLr', 'numIter', 'stepMode', 'smoothing', 'divergeThreshold', 'skipStart', 'skipEnd']);
  const { optimizer, loss, step } = options;
  if (!optimizer || typeof optimizer.step !== 'function' || !Array.isArray(optimizer.paramGroups))
    throw new TypeError(`${op}: options.optimizer must be an optimizer with paramGroups (any optimizer from optim)`);
  if (!loss && typeof step !== 'function') throw new TypeError(`${op}: options.loss is required (or a step(batch) function that returns the loss)`);
  if (!batches || typeof (batches as Iterable<B>)[Symbol.iterator] !== 'function')
    throw new TypeError(`${op}: batches must be an iterable of batches (an array or a DataLoader)`);
  const startLr = V.num(op, 'startLr', options.startLr ?? 1e-7, { min: 0, exclusiveMin: true });
  const endLr = V.num(op, 'endLr', options.endLr ?? 10, { min: 0, exclusiveMin: true });
  if (!(endLr > startLr)) throw new RangeError(`${op}: endLr (${endLr}) must be larger than startLr (${startLr})`);
  const numIter = V.int(op, 'numIter', options.numIter ?? 100, { min: 2 });
  const stepMode = V.oneOf(op, 'stepMode', options.stepMode ?? 'exp', ['exp', 'linear'] as const);
  const beta = V.num(op, 'smoothing', options.smoothing ?? 0.98, { min: 0, max: 0.999 });
  const diverge = V.num(op, 'divergeThreshold', options.divergeThreshold ?? 5, { min: 1 });
  const skipStart = V.int(op, 'skipStart', options.skipStart ?? 10, { min: 0 });
  const skipEnd = V.int(op, 'skipEnd', options.skipEnd ?? 5, { min: 0 });

  const module = model as unknown as { stateDict?(): Record<string, Tensor>; loadStateDict?(s: Record<string, Tensor>): unknown };
  if (typeof module.stateDict !== 'function' || typeof module.loadStateDict !== 'function')
    throw new TypeError(`${op}: the model needs stateDict()/loadStateDict() to be restored after the test (an nn.Module has both)`);
  const weights = noGrad(() => Object.fromEntries(Object.entries(module.stateDict!()).map(([k, t]) => [k, clone(t).keep()])));
  const optimizerState = typeof optimizer.stateDict === 'function' ? optimizer.stateDict() : null;
  const groupLrs = optimizer.paramGroups.map((g) => g.lr);
  const wasTraining = model.training ?? true;

  const lrs: number[] = [];
  const losses: number[] = [];
  const rawLosses: number[] = [];
  let diverged = false;
  try {
    model.train();
    let it = batches[Symbol.iterator]();
    let average = 0;
    let best = Infinity;
    for (let i = 0; i < numIter; i++) {
      const t = i / (numIter - 1);
      const lr = stepMode === 'exp' ? startLr * (endLr / startLr) ** t : startLr + (endLr - startLr) * t;
      for (const g of optimizer.paramGroups) g.lr = lr;
      let next = it.next();
      if (next.done) {
        it = batches[Symbol.iterator]();
        next = it.next();
        if (next.done) throw new RangeError(`${op}: the batches are empty`);
      }
      const c = compute(op, model, next.value, loss, step);
      const value = c.loss!.item();
      if (Number.isFinite(value)) {
        optimizer.zeroGrad();
        c.loss!.backward();
        optimizer.step();
      }
      if (!Number.isFinite(value)) {
        diverged = true;
        break;
      }
      average = beta * average + (1 - beta) * value;
      const smoothed = average / (1 - beta ** (i + 1));
      lrs.push(lr);
      rawLosses.push(value);
      losses.push(smoothed);
      best = Math.min(best, smoothed);
      if (smoothed > diverge * best) {
        diverged = true;
        break;
      }
    }
  } finally {
    // Put everything back: the test only measures.
    module.loadStateDict!(weights);
    for (const t of Object.values(weights)) t.dispose();
    if (optimizerState && typeof optimizer.loadStateDict === 'function') {
      optimizer.loadStateDict(optimizerState as never);
      disposeTensors(optimizerState);
    }
    optimizer.paramGroups.forEach((g, i) => (g.lr = groupLrs[i]));
    optimizer.zeroGrad();
    model.train(wasTraining);
  }
  return {
    lrs,
    losses,
    rawLosses,
    suggestedLr: steepest(lrs, losses, skipStart, skipEnd),
    minLossLr: lrs[losses.indexOf(Math.min(...losses))] ?? Number.NaN,
    diverged,
  };
}

/** The lr of the most negative slope of loss against log lr (central differences) within the kept range. */
function steepest(lrs: number[], losses: number[], skipStart: number, skipEnd: number): number {
  const end = losses.length - skipEnd;
  if (end - skipStart < 3) return Number.NaN;
  let best = Number.NaN;
  let slope = Infinity;
  for (let i = skipStart; i < end; i++) {
    const [a, b] = [Math.max(i - 1, skipStart), Math.min(i + 1, end - 1)];
    const s = (losses[b] - losses[a]) / (Math.log(lrs[b]) - Math.log(lrs[a]));
    if (s < slope) [slope, best] = [s, lrs[i]];
  }
  return best;
}

/** Frees the tensors of the optimizer state lrFinder saved (its own clones) once restored. */
function disposeTensors(v: unknown): void {
  if (v instanceof Tensor) v.dispose();
  else if (v && typeof v === 'object') for (const x of Object.values(v)) disposeTensors(x);
}
