/**
 * The Optimizer base class, as in PyTorch: parameter groups (each a dict of hyperparameters with
 * the defaults filled in), per-parameter state, `step()`, `zeroGrad()` and a state dict that
 * resumes training exactly. Subclasses supply only the per-parameter update, which runs as one
 * fused backend kernel over the parameter's storage (assembly/optim.ts on 'wasm').
 */
import type { OptimTarget } from '../backend/backend.js';
import { tensor, full } from '../creation.js';
import { isFloat } from '../dtype.js';
import { releasePendingGraphs } from '../memory.js';
import { clone } from '../ops/shape.js';
import { withContiguous } from '../ops/util.js';
import { camelKey, snakeKey } from '../names.js';
import { fmtShape, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import * as V from '../validate.js';
import { bumpVersion } from '../backend/version.js';

const SCHEDULE_FIELDS: (keyof ScheduleFields)[] = ['initialLr', 'maxLr', 'minLr', 'maxMomentum', 'baseMomentum'];

/** Hyperparameters every optimizer has. */
export interface BaseOptions {
  lr: number;
}

/** Fields lr schedulers keep in a group (PyTorch's initial_lr, max_lr, …), saved with the optimizer. */
export interface ScheduleFields {
  initialLr?: number;
  maxLr?: number;
  minLr?: number;
  maxMomentum?: number;
  baseMomentum?: number;
}

/** A parameter group: its parameters and its hyperparameters, the optimizer's defaults filled in. */
export type ParamGroup<O extends BaseOptions> = O & ScheduleFields & { params: Tensor[] };

/** A group as passed to the constructor or `addParamGroup`: parameters plus any hyperparameters to override. */
export type ParamGroupInput<O extends BaseOptions> = Partial<O> & { params: Iterable<Tensor> | Tensor };

/** What an optimizer takes: an iterable of parameters, or of parameter groups. */
export type ParamsInput<O extends BaseOptions> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/** One parameter's state: tensors (kept, shaped like the parameter), step counts, or null. */
export type ParamState = Record<string, Tensor | number | null | undefined>;

/**
 * The optimizer's state in PyTorch's layout and names, so it crosses to `torch.optim` as is:
 * `state` maps a parameter's index (counting through the groups in order) to copies of its state
 * (`step`, `exp_avg`, `exp_avg_sq`, `momentum_buffer`, `square_avg`, …); `param_groups` holds each
 * group's hyperparameters (`lr`, `betas`, `weight_decay`, `initial_lr`, …) and its parameters' indices.
 */
export interface OptimizerStateDict {
  state: Record<number, Record<string, Tensor | number | null>>;
  param_groups: (Record<string, unknown> & { params: number[] })[];
}

/** Throws `name: invalid <what> <value> (<rule>)` unless ok. */
export function checkHyper(name: string, ok: boolean, what: string, value: unknown, rule: string): void {
  if (!ok) throw new RangeError(`${name}: invalid ${what} ${JSON.stringify(value)} (${rule})`);
}

function definedEntries<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A parameter's state for `stateDict()`: PyTorch's keys, tensors cloned and kept. */
function savedState(s: ParamState): Record<string, Tensor | number | null> {
  const out: Record<string, Tensor | number | null> = {};
  for (const [key, v] of Object.entries(s)) if (v !== undefined) out[snakeKey(key)] = v instanceof Tensor ? clone(v).keep() : v;
  return out;
}

/** A saved state restored for parameter `like`: camelCase fields, tensors copied to its dtype and device (PyTorch's 0-d `step` tensor becomes a number). */
function restoredState<S extends ParamState>(saved: Record<string, unknown>, like: Tensor, where: string): S {
  const out: ParamState = {};
  for (const [key, v] of Object.entries(saved)) {
    const field = camelKey(key);
    if (v instanceof Tensor && field === 'step') out[field] = v.item();
    else if (v instanceof Tensor) {
      if (!sameShape(v.shape, like.shape)) {
        throw new RangeError(`loadStateDict: state '${key}' of ${where} has shape ${fmtShape(v.shape)} but its parameter has shape ${fmtShape(like.shape)}`);
      }
      out[field] = tensor(v.toArray(), { shape: [...like.shape], dtype: like.dtype, device: like.device }).keep();
    } else if (v === null || typeof v === 'number') out[field] = v;
    else throw new TypeError(`loadStateDict: state '${key}' of ${where} is ${typeof v}; expected a tensor, a number or null`);
  }
  return out as S;
}

/** Frees state loadStateDict() replaced: the optimizer made those tensors and is their only holder. */
function disposeState(s: ParamState): void {
  for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
}

/** The items of an iterable argument, or a TypeError naming it. */
function iterable<T>(fn: string, arg: string, v: Iterable<T>, of: string): Iterable<T> {
  if (v === null || typeof v !== 'object' || typeof (v as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
    throw new TypeError(`${fn}: ${arg} must be an iterable of ${of} (got ${V.show(v)})`);
  }
  return v;
}

/**
 * Base class of the optimizers: holds parameter groups and per-parameter state; `step()` applies
 * the subclass's fused update to every parameter whose `.grad` is not null.
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions, S extends ParamState = ParamState> {
  /** The hyperparameters a group gets unless it sets its own. */
  readonly defaults: Readonly<O>;
  /** The parameter groups, each with its params and hyperparameters (PyTorch's param_groups). */
  paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (moment buffers, step counts), created on the parameter's first step. */
  state = new Map<Tensor, S>();

  /**
   * @param name Used in error messages ('Adam: …').
   * @param defaults The optimizer's own defaults (lr may be NaN: then every group must set it),
   * overridden by the user's `options` where those are not undefined.
   */
  protected constructor(
    protected readonly name: string,
    params: ParamsInput<O>,
    defaults: O,
    options: Partial<O> | number,
  ) {
    if (new.target === Optimizer) throw new TypeError('Optimizer: is abstract; construct a subclass such as SGD or Adam');
    // PyTorch's positional form: Adam(params, 0.01) sets lr.
    const opts = typeof options === 'number' ? ({ lr: options } as Partial<O>) : V.options(name, options, Object.keys(defaults));
    this.defaults = Object.freeze({ ...defaults, ...definedEntries(opts) });
    if (params instanceof Tensor) {
      throw new TypeError(`${name}: params must be an iterable of tensors or of parameter groups, not a single tensor (wrap it: [p])`);
    }
    const items = [...iterable(name, 'params', params as Iterable<Tensor | ParamGroupInput<O>>, 'tensors or of parameter groups')];
    if (items.length === 0) throw new RangeError(`${name}: got an empty parameter list`);
    items.forEach((item, i) => {
      if (!(item instanceof Tensor) && !V.isPlainObject(item))
        throw new TypeError(`${name}: params[${i}] must be a Tensor or a parameter group { params, … } (got ${V.show(item)})`);
    });
    const groups = items[0] instanceof Tensor ? [Object.assign({} as Partial<O>, { params: items as Tensor[] })] : (items as ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Checks a group's hyperparameters other than lr (the base checks lr), throwing a RangeError that names the rule. */
  protected abstract validate(group: O): void;

  /** Creates the state of a parameter on its first step; tensors in it must be `keep()`-ed. */
  protected abstract initState(param: Tensor, group: ParamGroup<O>): S;

  /** Applies one update to `target` (the parameter's storage and its gradient) and its state. */
  protected abstract update(target: OptimTarget, param: Tensor, state: S, group: ParamGroup<O>): void;

  /** Adds a group of parameters, with hyperparameters that override the defaults (e.g. to unfreeze layers while training). */
  addParamGroup(group: ParamGroupInput<O>): void {
    const index = this.paramGroups.length;
    if (!V.isPlainObject(group)) throw new TypeError(`${this.name}: parameter group ${index} must be an object { params, … } (got ${V.show(group)})`);
    const params = group.params instanceof Tensor ? [group.params] : [...iterable(this.name, `parameter group ${index}'s params`, group.params, 'tensors')];
    V.options(this.name, group, [...Object.keys(this.defaults), ...SCHEDULE_FIELDS, 'params'], `parameter group ${index}`);
    const g = { ...this.defaults, ...definedEntries(group), params } as ParamGroup<O>;
    if (g.lr === undefined || Number.isNaN(g.lr)) {
      throw new TypeError(`${this.name}: parameter group ${index} has no learning rate; pass lr in the options or in every group`);
    }
    for (const [key, value] of Object.entries(g)) {
      const kind = typeof this.defaults[key as keyof O];
      if (key === 'lr') checkHyper(this.name, !((value as number) < 0), 'learning rate', value, 'lr must be >= 0');
      if (kind === 'number') V.num(this.name, key, value);
      else if (kind === 'boolean') V.bool(this.name, key, value);
    }
    this.validate(g);
    params.forEach((p, i) => this.checkParam(p, `parameter ${i} of group ${index}`));
    if (new Set(params).size !== params.length) throw new Error(`${this.name}: parameter group ${index} lists a parameter twice`);
    const taken = new Set(this.paramGroups.flatMap((other) => other.params));
    if (params.some((p) => taken.has(p))) throw new Error(`${this.name}: some parameters appear in more than one parameter group`);
    this.paramGroups.push(g);
  }

  private checkParam(p: Tensor, where: string): void {
    if (!(p instanceof Tensor)) throw new TypeError(`${this.name}: ${where} is not a Tensor`);
    p.check(this.name);
    if (!isFloat(p.dtype)) throw new TypeError(`${this.name}: ${where} is ${p.dtype}; only floating point tensors can be optimized`);
    if (!p.isLeaf) throw new Error(`${this.name}: ${where} is not a leaf tensor (it was computed by ${p.gradFn?.name}); optimize the leaves`);
    if (!p.isContiguous() || p.offset !== 0 || p.storage.length !== p.numel()) {
      throw new Error(
        `${this.name}: ${where} (shape ${fmtShape(p.shape)}) does not own its storage (it is a view of a larger or non-contiguous tensor); ` +
          'optimizers update parameters in place with fused kernels, so each must be a contiguous tensor with its own storage (use clone())',
      );
    }
  }

  /** Performs one optimization step: updates every parameter whose `.grad` is not null. */
  step(): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const grad = p.grad;
        if (grad === null) continue;
        p.check(`${this.name}.step`);
        grad.check(`${this.name}.step (the gradient)`);
        if (!sameShape(grad.shape, p.shape) || grad.dtype !== p.dtype || grad.device !== p.device) {
          throw new TypeError(
            `${this.name}.step: a parameter of shape ${fmtShape(p.shape)} (${p.dtype} on '${p.device}') has a gradient of shape ${fmtShape(grad.shape)} (${grad.dtype} on '${grad.device}')`,
          );
        }
        const state = this.state.get(p) ?? this.initState(p, group);
        this.state.set(p, state);
        withContiguous(grad, (g) => this.update({ param: p.storage, grad: g.storage, gradOffset: g.offset, n: p.numel() }, p, state, group));
        bumpVersion(p.storage);
        for (const v of Object.values(state)) if (v instanceof Tensor) bumpVersion(v.storage);
      }
    }
  }

  /**
   * Clears the gradients (to null by default, or to zeros) after releasing the graphs that
   * earlier backward() calls left for this step boundary.
   */
  zeroGrad(setToNone = true): void {
    releasePendingGraphs();
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        if (setToNone) p.grad = null;
        else p.grad.zero_();
      }
    }
  }

  /**
   * A copy of the state (tensors cloned and kept) and the groups' hyperparameters, in PyTorch's
   * layout and names (`state`, `param_groups`, `exp_avg`, `weight_decay`, …), for `loadStateDict`
   * here or `load_state_dict` in PyTorch.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const param_groups = this.paramGroups.map(({ params, ...hyper }) => {
      for (const p of params) if (!index.has(p)) index.set(p, index.size);
      const saved: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(hyper)) if (v !== undefined) saved[snakeKey(key)] = structuredClone(v);
      return { ...saved, params: params.map((p) => index.get(p)!) };
    });
    const state: OptimizerStateDict['state'] = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = savedState(s);
    }
    return { state, param_groups };
  }

  /**
   * Restores a `stateDict()` (this library's or PyTorch's): group hyperparameters and per-parameter
   * state (copied, cast to each parameter's dtype and device). Parameters are matched by position,
   * as in PyTorch.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    if (dict === null || typeof dict !== 'object' || !Array.isArray(dict.param_groups) || typeof dict.state !== 'object' || dict.state === null) {
      throw new TypeError(
        `${this.name}.loadStateDict: expected { state, param_groups } as stateDict() returns${dict && typeof dict === 'object' && 'paramGroups' in dict ? ' (this dict has paramGroups: it was saved by an older version, whose keys were camelCase)' : ''}`,
      );
    }
    const saved = dict.param_groups;
    if (saved.length !== this.paramGroups.length) {
      throw new RangeError(`loadStateDict: the state dict has ${saved.length} parameter groups but this ${this.name} has ${this.paramGroups.length}`);
    }
    const byIndex = new Map<number, Tensor>();
    saved.forEach((g, i) => {
      const params = this.paramGroups[i].params;
      if (!Array.isArray(g.params) || g.params.length !== params.length) {
        throw new RangeError(
          `loadStateDict: parameter group ${i} has ${Array.isArray(g.params) ? g.params.length : 'no'} parameters in the state dict but ${params.length} in this ${this.name}`,
        );
      }
      g.params.forEach((id, j) => byIndex.set(id, params[j]));
    });
    const groups = saved.map(({ params: _, ...hyper }, i) => {
      const group: Record<string, unknown> = { params: this.paramGroups[i].params };
      for (const [key, v] of Object.entries(hyper)) group[camelKey(key)] = structuredClone(v);
      const typed = group as unknown as ParamGroup<O>;
      this.validate(typed);
      return typed;
    });
    const state = new Map<Tensor, S>();
    for (const [key, s] of Object.entries(dict.state)) {
      const p = byIndex.get(Number(key));
      if (!p) throw new RangeError(`loadStateDict: the state dict has state for parameter ${key}, which no parameter group lists`);
      state.set(p, restoredState<S>(s, p, `parameter ${key}`));
    }
    for (const s of this.state.values()) disposeState(s);
    this.state = state;
    this.paramGroups = groups;
  }
}

/** A kept zero (or `value`-filled) tensor shaped like `p`, for optimizer state. */
export function stateLike(p: Tensor, value = 0): Tensor {
  return full(p.shape, value, { dtype: p.dtype, device: p.device }).keep();
}
