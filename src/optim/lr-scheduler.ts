/**
 * Learning-rate schedules, with PyTorch 1.13's formulas and defaults. A scheduler sets `lr` in
 * every parameter group of its optimizer when constructed (epoch 0) and on every `step()` after
 * that; call it after `optimizer.step()`, once per epoch (OneCycleLR: once per batch).
 * The recursive ("chainable") forms PyTorch uses are kept, so the sequences match it to the ulp.
 */
import { snakeKey } from '../names.js';
import { options as checkOptions } from '../validate.js';
import type { BaseOptions, Optimizer, ParamGroup } from './optimizer.js';

/** A group as a scheduler sees it; momentum or betas when the optimizer has them. */
type Group = ParamGroup<BaseOptions> & { momentum?: number; betas?: readonly [number, number] };

/** Options every scheduler takes. */
export interface SchedulerOptions {
  /** The index of the last epoch, to resume a schedule (default -1: start fresh). */
  lastEpoch?: number;
}

/**
 * The state of a scheduler in PyTorch's layout and names (its `__dict__` without the optimizer):
 * `last_epoch`, `base_lrs`, `_last_lr`, `_step_count`, `verbose` and the scheduler's own settings
 * (`step_size`, `gamma`, `T_max`, `eta_min`, …), so it crosses to `torch.optim.lr_scheduler` as is.
 */
export interface SchedulerStateDict {
  last_epoch: number;
  base_lrs: number[];
  _last_lr: number[];
  _step_count: number;
  [setting: string]: unknown;
}

/** Refuses option keys a scheduler does not know (a misspelt `gamma` would otherwise be ignored); all take `lastEpoch`. */
function schedulerOptions(fn: string, options: object | undefined, settings: readonly string[]): void {
  checkOptions(fn, options, [...settings, 'lastEpoch']);
}

/** The fields the base class saves under PyTorch's private names. */
const BASE_KEYS: Readonly<Record<string, string>> = { lastEpoch: 'last_epoch', baseLrs: 'base_lrs', lastLr: '_last_lr', stepCount: '_step_count' };

/** PyTorch's name of a scheduler setting: snake_case, with its capital T (`tMax` → `T_max`, `t0` → `T_0`). */
function settingKey(field: string): string {
  return /^t[A-Z0-9]/.test(field) ? `T_${snakeKey(field.slice(1)).replace(/^[A-Z]/, (c) => c.toLowerCase())}` : snakeKey(field);
}

/** Base class of the schedulers: tracks the epoch and writes each group's lr. */
export abstract class LRScheduler {
  /** The optimizer whose groups' lr this scheduler writes. */
  readonly optimizer: Optimizer<BaseOptions>;
  /** Each group's lr when the schedule started (its `initialLr`). */
  baseLrs: number[];
  /** Index of the last step taken, -1 before the first (PyTorch's last_epoch). */
  lastEpoch: number;
  /** Number of step() calls so far (PyTorch's _step_count). */
  protected stepCount = 0;
  private lastLr: number[] = [];

  protected constructor(optimizer: Optimizer<BaseOptions>, options: SchedulerOptions) {
    this.optimizer = optimizer;
    this.lastEpoch = options.lastEpoch ?? -1;
    const groups = this.groups();
    if (this.lastEpoch === -1) for (const g of groups) g.initialLr ??= g.lr;
    groups.forEach((g, i) => {
      if (g.initialLr === undefined)
        throw new Error(
          `${this.constructor.name}: param group ${i} has no initialLr, which resuming (lastEpoch ≠ -1) needs; load the optimizer's stateDict first`,
        );
    });
    this.baseLrs = groups.map((g) => g.initialLr!);
  }

  /** The optimizer's param groups, typed with their initialLr. */
  protected groups(): Group[] {
    return this.optimizer.paramGroups as Group[];
  }

  /** The learning rates for `this.lastEpoch`, given the groups' current ones. */
  protected abstract computeLr(): number[];

  /** The learning rates at `this.lastEpoch` from the base lrs alone, for schedulers with a closed form. */
  protected closedFormLr?(): number[];

  /**
   * Advances one epoch (or one batch for OneCycleLR) and writes the new lr into every group.
   * An explicit `epoch` jumps there (PyTorch's deprecated form, which SequentialLR uses), by the
   * closed form when the scheduler has one.
   */
  step(epoch?: number): void {
    this.stepCount++;
    let lrs: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      lrs = this.computeLr();
    } else {
      if (typeof epoch !== 'number' || !Number.isFinite(epoch))
        throw new TypeError(`${this.constructor.name}.step: epoch must be a number (got ${JSON.stringify(epoch)})`);
      this.lastEpoch = epoch;
      lrs = this.closedFormLr ? this.closedFormLr() : this.computeLr();
    }
    this.groups().forEach((g, i) => (g.lr = lrs[i]));
    this.lastLr = this.groups().map((g) => g.lr);
  }

  /** @internal PyTorch's `_initial_step`: the step count back to 0, then one step (SequentialLR starts its first scheduler so). */
  restart(): void {
    this.stepCount = 0;
    this.step();
  }

  /** @internal Takes another scheduler's last lrs as this one's (SequentialLR reports its current scheduler's). */
  protected syncLastLr(from: LRScheduler): void {
    this.lastLr = from.getLastLr();
  }

  /** The learning rates the last `step()` (or the constructor) set, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /**
   * The scheduler's position and settings in PyTorch's layout (see `SchedulerStateDict`), to
   * resume it with `loadStateDict` here or `load_state_dict` in PyTorch; the lrs themselves live in
   * the optimizer's groups.
   */
  stateDict(): SchedulerStateDict {
    const out: Record<string, unknown> = { verbose: false, _get_lr_called_within_step: false };
    for (const [field, value] of Object.entries(this)) {
      if (field === 'optimizer' || typeof value === 'function') continue;
      out[BASE_KEYS[field] ?? settingKey(field)] = structuredClone(value);
    }
    return out as SchedulerStateDict;
  }

  /** Restores a `stateDict()` (this library's or PyTorch's); keys this scheduler does not have are ignored, as PyTorch's own bookkeeping (`verbose`). */
  loadStateDict(dict: SchedulerStateDict): void {
    const name = this.constructor.name;
    if (dict === null || typeof dict !== 'object' || typeof dict.last_epoch !== 'number' || !Array.isArray(dict.base_lrs)) {
      throw new TypeError(
        `${name}.loadStateDict: expected a state dict with last_epoch and base_lrs, as stateDict() returns${dict && typeof dict === 'object' && 'lastEpoch' in dict ? ' (this one has lastEpoch: it was saved by an older version, whose keys were camelCase)' : ''}`,
      );
    }
    const fields = new Map(Object.keys(this).map((field) => [BASE_KEYS[field] ?? settingKey(field), field]));
    const self = this as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(dict)) {
      const field = fields.get(key);
      if (field === undefined || field === 'optimizer' || typeof self[field] === 'function') continue;
      self[field] = structuredClone(value);
    }
  }
}

/**
 * Multiplies each group's lr by `gamma` every `stepSize` epochs: lr = lr₀·γ^⌊epoch / stepSize⌋.
 * @example const sched = new optim.lrScheduler.StepLR(opt, { stepSize: 30, gamma: 0.1 });
 */
export class StepLR extends LRScheduler {
  /** Steps between decays (PyTorch's step_size). */
  readonly stepSize: number;
  /** Multiplicative decay of the lr every stepSize steps. */
  readonly gamma: number;

  constructor(optimizer: Optimizer<BaseOptions>, options: { stepSize: number; gamma?: number } & SchedulerOptions) {
    schedulerOptions('StepLR', options, ['stepSize', 'gamma']);
    super(optimizer, options);
    if (!Number.isInteger(options.stepSize) || options.stepSize <= 0)
      throw new RangeError(`StepLR: stepSize must be a positive integer (got ${options.stepSize})`);
    this.stepSize = options.stepSize;
    this.gamma = options.gamma ?? 0.1;
    this.step();
  }

  protected computeLr(): number[] {
    const groups = this.groups();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/**
 * Cosine annealing from each group's lr down to `etaMin` over `tMax` epochs (and back up after, as
 * PyTorch's does): lr = η_min + (lr₀ − η_min)·(1 + cos(π·epoch / T_max)) / 2.
 * @example const sched = new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 50 });
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Steps of the half cosine from the base lr down to etaMin (PyTorch's T_max). */
  readonly tMax: number;
  /** Minimum lr (PyTorch's eta_min). */
  readonly etaMin: number;

  constructor(optimizer: Optimizer<BaseOptions>, options: { tMax: number; etaMin?: number } & SchedulerOptions) {
    schedulerOptions('CosineAnnealingLR', options, ['tMax', 'etaMin']);
    super(optimizer, options);
    if (!(options.tMax > 0)) throw new RangeError(`CosineAnnealingLR: tMax must be > 0 (got ${options.tMax})`);
    this.tMax = options.tMax;
    this.etaMin = options.etaMin ?? 0;
    this.step();
  }

  protected computeLr(): number[] {
    const { lastEpoch: e, tMax, etaMin } = this;
    const groups = this.groups();
    if (e === 0) return groups.map((g) => g.lr);
    if (this.stepCount === 1 && e > 0) {
      return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((e * Math.PI) / tMax))) / 2);
    }
    if ((e - 1 - tMax) % (2 * tMax) === 0) {
      return groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return groups.map((g) => ((1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax))) * (g.lr - etaMin) + etaMin);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }
}

/**
 * Scales each group's lr by a factor that moves linearly from `startFactor` to `endFactor` over
 * `totalIters` epochs, then stays: lr = lr₀·(s + (e − s)·min(epoch, T) / T).
 * @example const warmup = new optim.lrScheduler.LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 */
export class LinearLR extends LRScheduler {
  /** Multiplier of the base lr at the first step (PyTorch's start_factor). */
  readonly startFactor: number;
  /** Multiplier of the base lr reached after totalIters steps (PyTorch's end_factor). */
  readonly endFactor: number;
  /** Steps over which the factor moves linearly (PyTorch's total_iters). */
  readonly totalIters: number;

  constructor(optimizer: Optimizer<BaseOptions>, options: { startFactor?: number; endFactor?: number; totalIters?: number } & SchedulerOptions = {}) {
    schedulerOptions('LinearLR', options, ['startFactor', 'endFactor', 'totalIters']);
    super(optimizer, options);
    this.startFactor = options.startFactor ?? 1 / 3;
    this.endFactor = options.endFactor ?? 1;
    this.totalIters = options.totalIters ?? 5;
    if (!(this.startFactor > 0 && this.startFactor <= 1)) throw new RangeError(`LinearLR: startFactor must be in (0, 1] (got ${this.startFactor})`);
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) throw new RangeError(`LinearLR: endFactor must be in [0, 1] (got ${this.endFactor})`);
    this.step();
  }

  protected computeLr(): number[] {
    const { lastEpoch: e, startFactor: s, endFactor: f, totalIters: t } = this;
    const groups = this.groups();
    if (e === 0) return groups.map((g) => g.lr * s);
    if (e > t) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * (1 + (f - s) / (t * s + (e - 1) * (f - s))));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: t } = this;
    return this.baseLrs.map((base) => base * (s + ((f - s) * Math.min(t, this.lastEpoch)) / t));
  }
}

/** OneCycleLR's options; give `totalSteps`, or `epochs` and `stepsPerEpoch`. */
export interface OneCycleLROptions extends SchedulerOptions {
  /** Peak learning rate, one for all groups or one per group. */
  maxLr: number | number[];
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (or Adam's β1) inversely to the lr between baseMomentum and maxMomentum (default true). */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  /** initialLr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** A third phase: up, back down to initialLr, then down to minLr (default false). */
  threePhase?: boolean;
}

interface Phase {
  endStep: number;
  startLr: 'initialLr' | 'maxLr';
  endLr: 'initialLr' | 'maxLr' | 'minLr';
  startMomentum: 'maxMomentum' | 'baseMomentum';
  endMomentum: 'maxMomentum' | 'baseMomentum';
}

/**
 * The 1cycle policy (Smith & Topin): the lr rises from maxLr/divFactor to maxLr over the first
 * pctStart of `totalSteps`, then anneals to initialLr/finalDivFactor, while momentum moves the
 * opposite way. Step it after every batch.
 * @example const sched = new optim.lrScheduler.OneCycleLR(opt, { maxLr: 0.1, epochs: 10, stepsPerEpoch: loader.length });
 */
export class OneCycleLR extends LRScheduler {
  /** Steps in the whole cycle (PyTorch's total_steps, or epochs × stepsPerEpoch). */
  readonly totalSteps: number;
  private readonly phases: Phase[];
  private readonly anneal: (start: number, end: number, pct: number) => number;
  private readonly cycleMomentum: boolean;
  private readonly useBeta1: boolean;

  constructor(optimizer: Optimizer<BaseOptions>, options: OneCycleLROptions) {
    schedulerOptions('OneCycleLR', options, [
      'maxLr',
      'totalSteps',
      'epochs',
      'stepsPerEpoch',
      'pctStart',
      'annealStrategy',
      'cycleMomentum',
      'baseMomentum',
      'maxMomentum',
      'divFactor',
      'finalDivFactor',
      'threePhase',
    ]);
    const positiveInt = (what: string, v: number | undefined): number => {
      if (v === undefined || !Number.isInteger(v) || v <= 0) throw new RangeError(`OneCycleLR: ${what} must be a positive integer (got ${v})`);
      return v;
    };
    let totalSteps: number;
    if (options.totalSteps !== undefined) totalSteps = positiveInt('totalSteps', options.totalSteps);
    else if (options.epochs !== undefined || options.stepsPerEpoch !== undefined)
      totalSteps = positiveInt('epochs', options.epochs) * positiveInt('stepsPerEpoch', options.stepsPerEpoch);
    else throw new RangeError('OneCycleLR: give totalSteps, or epochs and stepsPerEpoch');
    const pctStart = options.pctStart ?? 0.3;
    if (!(pctStart >= 0 && pctStart <= 1)) throw new RangeError(`OneCycleLR: pctStart must be in [0, 1] (got ${pctStart})`);
    const strategy = options.annealStrategy ?? 'cos';
    if (strategy !== 'cos' && strategy !== 'linear') throw new RangeError(`OneCycleLR: annealStrategy must be 'cos' or 'linear' (got '${strategy}')`);
    const groups = optimizer.paramGroups as Group[];
    const perGroup = (what: string, v: number | number[]): number[] => {
      if (!Array.isArray(v)) return groups.map(() => v);
      if (v.length !== groups.length) throw new RangeError(`OneCycleLR: expected ${groups.length} values for ${what} (one per param group), got ${v.length}`);
      return v;
    };
    const lastEpoch = options.lastEpoch ?? -1;
    const divFactor = options.divFactor ?? 25;
    const finalDivFactor = options.finalDivFactor ?? 1e4;
    const maxLrs = perGroup('maxLr', options.maxLr);
    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i] / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = g.initialLr / finalDivFactor;
      });
    }
    const cycleMomentum = options.cycleMomentum ?? true;
    const defaults = optimizer.defaults as Readonly<Partial<Group>>;
    const useBeta1 = defaults.betas !== undefined;
    if (cycleMomentum) {
      if (defaults.momentum === undefined && !useBeta1)
        throw new Error('OneCycleLR: the optimizer has no momentum or betas to cycle; pass cycleMomentum: false');
      const maxMomentums = perGroup('maxMomentum', options.maxMomentum ?? 0.95);
      const baseMomentums = perGroup('baseMomentum', options.baseMomentum ?? 0.85);
      if (lastEpoch === -1) {
        groups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxMomentums[i], g.betas![1]];
          else g.momentum = maxMomentums[i];
          g.maxMomentum = maxMomentums[i];
          g.baseMomentum = baseMomentums[i];
        });
      }
    }
    super(optimizer, options);
    this.totalSteps = totalSteps;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.anneal = strategy === 'cos' ? annealCos : annealLinear;
    this.phases = options.threePhase
      ? [
          { endStep: pctStart * totalSteps - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: 2 * pctStart * totalSteps - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
          { endStep: totalSteps - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
        ]
      : [
          { endStep: pctStart * totalSteps - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: totalSteps - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        ];
    this.step();
  }

  /** PyTorch's layout: the phases as its `_schedule_phases` (snake_case keys and group field names). */
  override stateDict(): SchedulerStateDict {
    const { phases: _, ...dict } = super.stateDict();
    const phases = this.phases.map((phase) =>
      Object.fromEntries(Object.entries(phase).map(([k, v]) => [snakeKey(k), typeof v === 'string' ? snakeKey(v) : v])),
    );
    return { ...dict, _schedule_phases: phases };
  }

  protected computeLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new RangeError(`OneCycleLR: tried to step ${stepNum + 1} times; the specified number of total steps is ${this.totalSteps}`);
    }
    const last = this.phases.length - 1;
    const i = this.phases.findIndex((phase, j) => stepNum <= phase.endStep || j === last);
    const phase = this.phases[i];
    const start = i === 0 ? 0 : this.phases[i - 1].endStep;
    const pct = (stepNum - start) / (phase.endStep - start);
    return this.groups().map((g) => {
      if (this.cycleMomentum) {
        const momentum = this.anneal(g[phase.startMomentum]!, g[phase.endMomentum]!, pct);
        if (this.useBeta1) g.betas = [momentum, g.betas![1]];
        else g.momentum = momentum;
      }
      return this.anneal(g[phase.startLr]!, g[phase.endLr]!, pct);
    });
  }
}

function annealCos(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}

/** Options of ReduceLROnPlateau (PyTorch's defaults). */
export interface ReduceLROnPlateauOptions {
  /** 'min' (default): lower is better, as a loss; 'max': higher is better, as an accuracy. */
  mode?: 'min' | 'max';
  /** lr ← lr·factor on a plateau (default 0.1; must be < 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** The least change that counts as an improvement (default 1e-4), relative or absolute per `thresholdMode`. */
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again (default 0). */
  cooldown?: number;
  /** A floor on each group's lr, one for all or one per group (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces each group's lr by `factor` when a monitored value (a validation loss, say) has not
 * improved for `patience` epochs, as torch.optim.lr_scheduler.ReduceLROnPlateau. Call
 * `step(value)` once per epoch; fit does so with its `schedulerMonitor` log.
 * @example const sched = new optim.lrScheduler.ReduceLROnPlateau(opt, { factor: 0.5, patience: 2 }); sched.step(valLoss);
 */
export class ReduceLROnPlateau {
  /** The optimizer whose groups' lr this scheduler reduces. */
  readonly optimizer: Optimizer<BaseOptions>;
  /** Multiplier applied to the lr on a plateau. */
  factor: number;
  /** Lower bound on each group's lr (PyTorch's min_lrs). */
  minLrs: number[];
  /** Epochs without improvement tolerated before reducing. */
  patience: number;
  /** Epochs to wait after a reduction before counting bad epochs again. */
  cooldown: number;
  /** Epochs of cooldown left (PyTorch's cooldown_counter). */
  cooldownCounter = 0;
  /** 'min' when lower metrics are better, 'max' when higher are. */
  mode: 'min' | 'max';
  /** Minimum change that counts as an improvement. */
  threshold: number;
  /** 'rel' (relative to best) or 'abs' change for an improvement (PyTorch's threshold_mode). */
  thresholdMode: 'rel' | 'abs';
  /** Best metric seen so far. */
  best: number;
  /** Consecutive epochs without improvement (PyTorch's num_bad_epochs). */
  numBadEpochs = 0;
  /** The worst possible metric for `mode`, the initial `best` (PyTorch's mode_worse). */
  modeWorse: number;
  /** Lr changes smaller than this are skipped. */
  eps: number;
  /** Number of step() calls so far (PyTorch's last_epoch). */
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: Optimizer<BaseOptions>, options: ReduceLROnPlateauOptions = {}) {
    checkOptions('ReduceLROnPlateau', options, ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps']);
    const { mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel', cooldown = 0, minLr = 0, eps = 1e-8 } = options;
    if (typeof factor !== 'number' || !(factor < 1)) throw new RangeError(`ReduceLROnPlateau: factor must be < 1 (got ${JSON.stringify(factor)})`);
    if (mode !== 'min' && mode !== 'max') throw new RangeError(`ReduceLROnPlateau: mode must be 'min' or 'max' (got ${JSON.stringify(mode)})`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs')
      throw new RangeError(`ReduceLROnPlateau: thresholdMode must be 'rel' or 'abs' (got ${JSON.stringify(thresholdMode)})`);
    if (!Number.isInteger(patience) || patience < 0)
      throw new RangeError(`ReduceLROnPlateau: patience must be an integer ≥ 0 (got ${JSON.stringify(patience)})`);
    if (!Number.isInteger(cooldown) || cooldown < 0)
      throw new RangeError(`ReduceLROnPlateau: cooldown must be an integer ≥ 0 (got ${JSON.stringify(cooldown)})`);
    const groups = optimizer.paramGroups;
    if (Array.isArray(minLr) && minLr.length !== groups.length)
      throw new RangeError(`ReduceLROnPlateau: expected ${groups.length} values for minLr (one per param group), got ${minLr.length}`);
    this.optimizer = optimizer;
    this.factor = factor;
    this.minLrs = Array.isArray(minLr) ? [...minLr] : groups.map(() => minLr);
    this.patience = patience;
    this.cooldown = cooldown;
    this.mode = mode;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.modeWorse = mode === 'min' ? Infinity : -Infinity;
    this.best = this.modeWorse;
    this.eps = eps;
    this.lastLr = groups.map((g) => g.lr);
  }

  private isBetter(a: number): boolean {
    const { best, threshold } = this;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return this.thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }

  /** Records this epoch's value of the monitored quantity and reduces the lrs on a plateau. */
  step(metric: number): void {
    if (typeof metric !== 'number' || Number.isNaN(metric))
      throw new TypeError(`ReduceLROnPlateau.step: expected the monitored value as a number (got ${JSON.stringify(metric)})`);
    this.lastEpoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else this.numBadEpochs++;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const newLr = Math.max(g.lr * this.factor, this.minLrs[i]);
        if (g.lr - newLr > this.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The groups' lrs after the last step. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Its state in PyTorch's layout and names (`num_bad_epochs`, `min_lrs`, `best`, …), to resume here or in PyTorch. */
  stateDict(): Record<string, unknown> {
    return {
      factor: this.factor,
      min_lrs: [...this.minLrs],
      patience: this.patience,
      verbose: false,
      cooldown: this.cooldown,
      cooldown_counter: this.cooldownCounter,
      mode: this.mode,
      threshold: this.threshold,
      threshold_mode: this.thresholdMode,
      best: this.best,
      num_bad_epochs: this.numBadEpochs,
      mode_worse: this.modeWorse,
      eps: this.eps,
      last_epoch: this.lastEpoch,
      _last_lr: [...this.lastLr],
    };
  }

  /** Restores a `stateDict()` (this library's or PyTorch's). */
  loadStateDict(dict: Record<string, unknown>): void {
    if (dict === null || typeof dict !== 'object' || typeof dict.num_bad_epochs !== 'number')
      throw new TypeError('ReduceLROnPlateau.loadStateDict: expected a state dict with num_bad_epochs, best, … as stateDict() returns');
    const num = (k: string) => dict[k] as number;
    this.factor = num('factor');
    this.minLrs = [...(dict.min_lrs as number[])];
    this.patience = num('patience');
    this.cooldown = num('cooldown');
    this.cooldownCounter = num('cooldown_counter');
    this.mode = dict.mode as 'min' | 'max';
    this.threshold = num('threshold');
    this.thresholdMode = dict.threshold_mode as 'rel' | 'abs';
    this.best = num('best');
    this.numBadEpochs = num('num_bad_epochs');
    this.modeWorse = num('mode_worse');
    this.eps = num('eps');
    this.lastEpoch = num('last_epoch');
    if (Array.isArray(dict._last_lr)) this.lastLr = [...(dict._last_lr as number[])];
  }
}

function positiveInt(op: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new RangeError(`${op}: ${what} must be a positive integer (got ${JSON.stringify(v)})`);
  return v;
}

/**
 * Multiplies each group's lr by `gamma` every epoch: lr = lr₀·γ^epoch.
 * @example const sched = new optim.lrScheduler.ExponentialLR(opt, { gamma: 0.95 });
 */
export class ExponentialLR extends LRScheduler {
  /** Multiplicative decay of the lr every step. */
  readonly gamma: number;

  constructor(optimizer: Optimizer<BaseOptions>, options: { gamma: number } & SchedulerOptions) {
    schedulerOptions('ExponentialLR', options, ['gamma']);
    super(optimizer, options);
    if (typeof options.gamma !== 'number' || !(options.gamma > 0))
      throw new RangeError(`ExponentialLR: gamma must be a number > 0 (got ${JSON.stringify(options.gamma)})`);
    this.gamma = options.gamma;
    this.step();
  }

  protected computeLr(): number[] {
    return this.groups().map((g) => (this.lastEpoch === 0 ? g.lr : g.lr * this.gamma));
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }
}

/**
 * Multiplies each group's lr by `gamma` at each milestone epoch (a milestone listed twice applies twice).
 * @example const sched = new optim.lrScheduler.MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 });
 */
export class MultiStepLR extends LRScheduler {
  /** The milestones, sorted, repeats kept. */
  readonly milestones: readonly number[];
  /** Multiplicative decay of the lr at each milestone. */
  readonly gamma: number;

  constructor(optimizer: Optimizer<BaseOptions>, options: { milestones: readonly number[]; gamma?: number } & SchedulerOptions) {
    schedulerOptions('MultiStepLR', options, ['milestones', 'gamma']);
    super(optimizer, options);
    if (!Array.isArray(options.milestones) || options.milestones.some((m) => !Number.isInteger(m) || m < 0)) {
      throw new TypeError(`MultiStepLR: milestones must be an array of epoch numbers (integers ≥ 0) (got ${JSON.stringify(options.milestones)})`);
    }
    this.milestones = [...options.milestones].sort((a, b) => a - b);
    this.gamma = options.gamma ?? 0.1;
    this.step();
  }

  protected computeLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    return this.groups().map((g) => (hits === 0 ? g.lr : g.lr * this.gamma ** hits));
  }

  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((base) => base * this.gamma ** passed);
  }

  /** PyTorch keeps the milestones as a Counter (milestone → how often it is listed); so does this. */
  override stateDict(): SchedulerStateDict {
    const counts: Record<string, number> = {};
    for (const m of this.milestones) counts[m] = (counts[m] ?? 0) + 1;
    return { ...super.stateDict(), milestones: counts };
  }

  override loadStateDict(dict: SchedulerStateDict): void {
    const { milestones, ...rest } = dict;
    super.loadStateDict(rest as SchedulerStateDict);
    if (milestones !== undefined) {
      const list = Array.isArray(milestones)
        ? milestones.map(Number)
        : Object.entries(milestones as Record<string, number>).flatMap(([m, n]) => Array.from({ length: n }, () => Number(m)));
      (this as { milestones: readonly number[] }).milestones = list.sort((a, b) => a - b);
    }
  }
}

/**
 * Multiplies each group's lr by `factor` until epoch `totalIters`, then restores it.
 * @example const warm = new optim.lrScheduler.ConstantLR(opt, { factor: 0.5, totalIters: 4 });
 */
export class ConstantLR extends LRScheduler {
  /** Multiplier of the base lr until totalIters steps. */
  readonly factor: number;
  /** Steps the factor applies for (PyTorch's total_iters). */
  readonly totalIters: number;

  constructor(optimizer: Optimizer<BaseOptions>, options: { factor?: number; totalIters?: number } & SchedulerOptions = {}) {
    schedulerOptions('ConstantLR', options, ['factor', 'totalIters']);
    super(optimizer, options);
    this.factor = options.factor ?? 1 / 3;
    this.totalIters = options.totalIters ?? 5;
    if (typeof this.factor !== 'number' || !(this.factor >= 0 && this.factor <= 1))
      throw new RangeError(`ConstantLR: factor must be in [0, 1] (got ${JSON.stringify(this.factor)})`);
    if (!Number.isInteger(this.totalIters) || this.totalIters < 0)
      throw new RangeError(`ConstantLR: totalIters must be an integer ≥ 0 (got ${JSON.stringify(this.totalIters)})`);
    this.step();
  }

  protected computeLr(): number[] {
    const e = this.lastEpoch;
    return this.groups().map((g) => (e === 0 ? g.lr * this.factor : e === this.totalIters ? g.lr * (1 / this.factor) : g.lr));
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * (this.factor + +(this.lastEpoch >= this.totalIters) * (1 - this.factor)));
  }
}

/**
 * Decays each group's lr polynomially to 0 over `totalIters` epochs: lr = lr₀·(1 − min(epoch, T)/T)^power.
 * @example const sched = new optim.lrScheduler.PolynomialLR(opt, { totalIters: 10, power: 2 });
 */
export class PolynomialLR extends LRScheduler {
  /** Steps over which the lr decays to 0 (PyTorch's total_iters). */
  readonly totalIters: number;
  /** Power of the polynomial decay. */
  readonly power: number;

  constructor(optimizer: Optimizer<BaseOptions>, options: { totalIters?: number; power?: number } & SchedulerOptions = {}) {
    schedulerOptions('PolynomialLR', options, ['totalIters', 'power']);
    super(optimizer, options);
    this.totalIters = positiveInt('PolynomialLR', 'totalIters', options.totalIters ?? 5);
    this.power = options.power ?? 1;
    if (typeof this.power !== 'number' || !Number.isFinite(this.power))
      throw new TypeError(`PolynomialLR: power must be a number (got ${JSON.stringify(this.power)})`);
    this.step();
  }

  protected computeLr(): number[] {
    const { lastEpoch: e, totalIters: t } = this;
    if (e === 0 || e > t) return this.groups().map((g) => g.lr);
    const decay = ((1 - e / t) / (1 - (e - 1) / t)) ** this.power;
    return this.groups().map((g) => g.lr * decay);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * (1 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power);
  }
}

/**
 * Sets each group's lr to lr₀ times a function of the epoch (one function for all groups, or one per group).
 * Its stateDict stores the functions as null, as PyTorch's does for lambdas.
 * @example const sched = new optim.lrScheduler.LambdaLR(opt, { lrLambda: (epoch) => 0.95 ** epoch });
 */
export class LambdaLR extends LRScheduler {
  readonly #lambdas: ((epoch: number) => number)[];

  constructor(optimizer: Optimizer<BaseOptions>, options: { lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[] } & SchedulerOptions) {
    schedulerOptions('LambdaLR', options, ['lrLambda']);
    super(optimizer, options);
    const n = optimizer.paramGroups.length;
    const fns = Array.isArray(options.lrLambda) ? options.lrLambda : Array.from({ length: n }, () => options.lrLambda as (epoch: number) => number);
    if (fns.length !== n) throw new RangeError(`LambdaLR: expected ${n} lrLambda functions (one per param group), got ${fns.length}`);
    if (fns.some((f) => typeof f !== 'function')) throw new TypeError('LambdaLR: lrLambda must be a function of the epoch (or one per param group)');
    this.#lambdas = fns;
    this.step();
  }

  protected computeLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.#lambdas[i](this.lastEpoch));
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), lr_lambdas: this.#lambdas.map(() => null) };
  }
}

/**
 * Cosine annealing with warm restarts (SGDR): the lr falls from lr₀ to `etaMin` over `t0`
 * epochs, restarts, and each next period is `tMult` times longer. `step(epoch)` takes a
 * fractional epoch to anneal within an epoch, as PyTorch's.
 * @example const sched = new optim.lrScheduler.CosineAnnealingWarmRestarts(opt, { t0: 10, tMult: 2 });
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  /** Steps until the first restart (PyTorch's T_0). */
  readonly t0: number;
  /** Steps in the current cycle (PyTorch's T_i). */
  tI: number;
  /** Growth factor of the cycle length after each restart (PyTorch's T_mult). */
  readonly tMult: number;
  /** Minimum lr (PyTorch's eta_min). */
  readonly etaMin: number;
  /** Steps since the last restart (PyTorch's T_cur). */
  tCur: number;

  constructor(optimizer: Optimizer<BaseOptions>, options: { t0: number; tMult?: number; etaMin?: number } & SchedulerOptions) {
    schedulerOptions('CosineAnnealingWarmRestarts', options, ['t0', 'tMult', 'etaMin']);
    super(optimizer, options);
    this.t0 = positiveInt('CosineAnnealingWarmRestarts', 't0', options.t0);
    this.tMult = positiveInt('CosineAnnealingWarmRestarts', 'tMult', options.tMult ?? 1);
    this.etaMin = options.etaMin ?? 0;
    this.tI = this.t0;
    this.tCur = this.lastEpoch;
    this.step();
  }

  protected computeLr(): number[] {
    return this.baseLrs.map((base) => this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2);
  }

  override step(epoch?: number): void {
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.tCur += 1;
      if (this.tCur >= this.tI) {
        this.tCur -= this.tI;
        this.tI *= this.tMult;
      }
    } else {
      if (typeof epoch !== 'number' || !(epoch >= 0))
        throw new RangeError(`CosineAnnealingWarmRestarts.step: epoch must be a number ≥ 0 (got ${JSON.stringify(epoch)})`);
      if (epoch >= this.t0) {
        if (this.tMult === 1) this.tCur = epoch % this.t0;
        else {
          const n = Math.floor(Math.log((epoch / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
          this.tCur = epoch - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.tI = this.t0;
        this.tCur = epoch;
      }
    }
    // The base class sets lastEpoch to floor(epoch) through its explicit-epoch path. PyTorch's
    // own step here leaves _step_count alone, so the saved state matches only if this does too.
    super.step(Math.floor(epoch));
    this.stepCount--;
  }
}

/**
 * Runs schedulers one after another: `schedulers[i]` from `milestones[i - 1]` on, each
 * (re)starting at its epoch 0 (PyTorch's SequentialLR; e.g. a warm-up then a decay). Give it the
 * schedulers already constructed on the same optimizer.
 * @example const sched = new optim.lrScheduler.SequentialLR(opt, { schedulers: [warmup, cosine], milestones: [5] });
 */
export class SequentialLR extends LRScheduler {
  readonly #schedulers: LRScheduler[];
  readonly #milestones: number[];

  constructor(optimizer: Optimizer<BaseOptions>, options: { schedulers: LRScheduler[]; milestones: number[] } & SchedulerOptions) {
    schedulerOptions('SequentialLR', options, ['schedulers', 'milestones']);
    const { schedulers, milestones } = options;
    if (!Array.isArray(schedulers) || schedulers.length === 0 || schedulers.some((s) => !(s instanceof LRScheduler))) {
      throw new TypeError('SequentialLR: schedulers must be a non-empty array of lr schedulers');
    }
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) throw new RangeError(`SequentialLR: schedulers[${i}] belongs to a different optimizer than the one passed in`);
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new RangeError(
        `SequentialLR: expected ${schedulers.length - 1} milestones (one fewer than the ${schedulers.length} schedulers), got ${Array.isArray(milestones) ? milestones.length : JSON.stringify(milestones)}`,
      );
    }
    super(optimizer, { lastEpoch: -1 });
    this.#schedulers = [...schedulers];
    this.#milestones = [...milestones];
    this.lastEpoch = (options.lastEpoch ?? -1) + 1;
    // As PyTorch: reset to the initial lrs, undo each scheduler's construction step, and start the first one.
    for (const g of this.groups()) g.lr = g.initialLr!;
    for (const s of schedulers) s.lastEpoch -= 1;
    schedulers[0].restart();
    this.syncLastLr(schedulers[0]);
  }

  protected computeLr(): number[] {
    return this.groups().map((g) => g.lr);
  }

  override step(): void {
    this.lastEpoch++;
    this.stepCount++;
    const idx = this.#milestones.filter((m) => m <= this.lastEpoch).length;
    const s = this.#schedulers[idx];
    if (idx > 0 && this.#milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this.syncLastLr(s);
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), _milestones: [...this.#milestones], _schedulers: this.#schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(dict: SchedulerStateDict): void {
    const { _schedulers, ...rest } = dict as SchedulerStateDict & { _schedulers?: SchedulerStateDict[] };
    super.loadStateDict(rest as SchedulerStateDict);
    if (Array.isArray(_schedulers)) _schedulers.forEach((d, i) => this.#schedulers[i]?.loadStateDict(d));
  }
}
