/**
 * nn.utils.prune, as PyTorch's: pruning `name` of a module moves the parameter to `<name>_orig`,
 * adds a `<name>_mask` buffer, and a forward pre-hook recomputes `module[name] = orig · mask`
 * before every call, so pruned entries stay zero through optimizer steps and the state dict has
 * PyTorch's keys. Pruning again combines masks: the amount applies to the entries still unpruned.
 */
import { enableGrad, noGrad } from '../autograd/grad-mode.js';
import { tensor } from '../creation.js';
import { roundHalfEven } from '../dtype.js';
import { defaultGenerator } from '../random.js';
import { Tensor } from '../tensor.js';
import { options as checkOptions } from '../validate.js';
import { Module, Parameter } from './module.js';
import type { RemovableHandle } from './hooks.js';

interface Pruned {
  handle: RemovableHandle;
}

const pruned = new WeakMap<Module, Map<string, Pruned>>();

/** How many entries to prune: an integer count, or a fraction in [0, 1] of the candidates. */
export type Amount = number;

function checkTarget(fn: string, module: Module, name: string): Tensor {
  if (!(module instanceof Module)) throw new TypeError(`prune.${fn}: module must be an nn.Module`);
  if (typeof name !== 'string') throw new TypeError(`prune.${fn}: name must be a parameter name string`);
  const own = module as unknown as Record<string, unknown>;
  if (pruned.get(module)?.has(name)) return own[`${name}_orig`] as Tensor;
  const p = own[name];
  if (!(p instanceof Parameter)) throw new Error(`prune.${fn}: ${module.constructor.name} has no parameter '${name}'`);
  return p;
}

function count(fn: string, amount: Amount, candidates: number): number {
  if (typeof amount !== 'number' || !(amount >= 0)) throw new RangeError(`prune.${fn}: amount must be a non-negative number (got ${amount})`);
  if (Number.isInteger(amount) && amount !== 1 && amount !== 0) {
    if (amount > candidates) throw new RangeError(`prune.${fn}: amount ${amount} is more than the ${candidates} entries that can be pruned`);
    return amount;
  }
  if (amount > 1) throw new RangeError(`prune.${fn}: a fractional amount must be at most 1 (got ${amount})`);
  // Python's round(), as PyTorch's: halves to even (0.5 of 5 entries prunes 2).
  return roundHalfEven(amount * candidates);
}

/** The current mask of module[name] (all ones when not yet pruned). */
function currentMask(module: Module, name: string, size: number): Float32Array {
  const own = module as unknown as Record<string, unknown>;
  if (pruned.get(module)?.has(name)) return Float32Array.from((own[`${name}_mask`] as Tensor).toArray());
  return new Float32Array(size).fill(1);
}

/** Zeroes, among entries where mask is 1, the k with the smallest importance; returns the new mask. */
function pruneSmallest(mask: Float32Array, importance: ArrayLike<number>, k: number): Float32Array {
  const order = Array.from(mask.keys())
    .filter((i) => mask[i] !== 0)
    .sort((a, b) => importance[a] - importance[b]);
  const next = mask.slice();
  for (const i of order.slice(0, k)) next[i] = 0;
  return next;
}

/** Installs (or updates) the parametrisation with `mask`, as PyTorch's prune.custom_from_mask. */
function applyMask(module: Module, name: string, mask: Float32Array): void {
  const own = module as unknown as Record<string, unknown>;
  const entries = pruned.get(module) ?? new Map<string, Pruned>();
  pruned.set(module, entries);
  if (!entries.has(name)) {
    const orig = own[name] as Parameter;
    delete own[name];
    own[`${name}_orig`] = orig;
    module.registerBuffer(`${name}_mask`, tensor(mask, { shape: [...orig.shape], dtype: orig.dtype, device: orig.device }));
    const handle = module.registerForwardPreHook(() => void recompute(module, name));
    entries.set(name, { handle });
  } else {
    const current = own[`${name}_mask`] as Tensor;
    own[`${name}_mask`] = tensor(mask, { shape: [...current.shape], dtype: current.dtype, device: current.device });
  }
  recompute(module, name);
}

function recompute(module: Module, name: string): void {
  const own = module as unknown as Record<string, unknown>;
  const orig = own[`${name}_orig`] as Tensor;
  const mask = own[`${name}_mask`] as Tensor;
  own[name] = enableGrad(() => orig.mul(mask));
}

/**
 * Prunes the `amount` entries of module[name] with the smallest absolute value.
 * @example prune.l1Unstructured(fc, 'weight', 0.5) // half of fc.weight is zero
 */
export function l1Unstructured(module: Module, name: string, amount: Amount): Module {
  const w = checkTarget('l1Unstructured', module, name);
  const mask = currentMask(module, name, w.numel());
  const alive = mask.reduce((n, m) => n + (m !== 0 ? 1 : 0), 0);
  const importance = noGrad(() => Array.from(w.toArray(), Math.abs));
  applyMask(module, name, pruneSmallest(mask, importance, count('l1Unstructured', amount, alive)));
  return module;
}

/** Prunes `amount` entries of module[name] chosen at random (global generator). */
export function randomUnstructured(module: Module, name: string, amount: Amount): Module {
  const w = checkTarget('randomUnstructured', module, name);
  const mask = currentMask(module, name, w.numel());
  const alive = mask.reduce((n, m) => n + (m !== 0 ? 1 : 0), 0);
  const importance = Array.from(mask, () => defaultGenerator.random());
  applyMask(module, name, pruneSmallest(mask, importance, count('randomUnstructured', amount, alive)));
  return module;
}

/**
 * Prunes whole slices along `dim` (output channels for dim 0) with the smallest L`n` norm (`n` a positive number, Infinity or -Infinity).
 * @example prune.lnStructured(conv, 'weight', 0.25, 2, 0) // a quarter of the filters
 */
export function lnStructured(module: Module, name: string, amount: Amount, n: number, dim = -1): Module {
  const w = checkTarget('lnStructured', module, name);
  if (typeof n !== 'number' || !(n > 0 || n === Number.NEGATIVE_INFINITY))
    throw new RangeError(`prune.lnStructured: n must be a positive norm order, Infinity or -Infinity (got ${String(n)})`);
  const d = dim < 0 ? dim + w.ndim : dim;
  if (!Number.isInteger(d) || d < 0 || d >= w.ndim)
    throw new RangeError(`prune.lnStructured: dim ${dim} is out of range for ${name} of shape [${w.shape.join(', ')}]`);
  const slices = w.shape[d];
  const inner = w.shape.slice(d + 1).reduce((a, b) => a * b, 1);
  // PyTorch ranks the weight as the module holds it (orig · mask once pruned), so earlier pruning lowers a slice's norm.
  const held = pruned.get(module)?.has(name) ? ((module as unknown as Record<string, Tensor>)[name] as Tensor) : w;
  const values = noGrad(() => held.toArray());
  const mask = currentMask(module, name, w.numel());
  // Ranked by Σ|v|ⁿ (the same order as the Lⁿ norm), or by the largest / smallest |v| for ±Infinity.
  const norms = new Float64Array(slices).fill(n === Number.NEGATIVE_INFINITY ? Number.POSITIVE_INFINITY : 0);
  values.forEach((v, i) => {
    const s = Math.floor(i / inner) % slices;
    if (n === Number.POSITIVE_INFINITY) norms[s] = Math.max(norms[s], Math.abs(v));
    else if (n === Number.NEGATIVE_INFINITY) norms[s] = Math.min(norms[s], Math.abs(v));
    else norms[s] += Math.abs(v) ** n;
  });
  const sliceAlive = Array.from({ length: slices }, () => 0);
  mask.forEach((m, i) => (sliceAlive[Math.floor(i / inner) % slices] += m));
  const live = Array.from(sliceAlive.keys()).filter((s) => sliceAlive[s] > 0);
  const k = count('lnStructured', amount, live.length);
  const drop = new Set(live.sort((a, b) => norms[a] - norms[b]).slice(0, k));
  applyMask(
    module,
    name,
    mask.map((m, i) => (drop.has(Math.floor(i / inner) % slices) ? 0 : m)),
  );
  return module;
}

/** Options of `globalUnstructured`. */
export interface GlobalPruningOptions {
  /** 'l1Unstructured' (smallest magnitudes across all tensors) or 'randomUnstructured'. */
  pruningMethod: 'l1Unstructured' | 'randomUnstructured';
  amount: Amount;
}

/**
 * Prunes `amount` entries across several parameters at once, ranked together.
 * @example prune.globalUnstructured([[fc1, 'weight'], [fc2, 'weight']], { pruningMethod: 'l1Unstructured', amount: 0.5 })
 */
export function globalUnstructured(parameters: [Module, string][], options: GlobalPruningOptions): void {
  if (!Array.isArray(parameters) || parameters.length === 0)
    throw new TypeError('prune.globalUnstructured: parameters must be a non-empty array of [module, name] pairs');
  const { pruningMethod, amount } = checkOptions('prune.globalUnstructured', options, ['pruningMethod', 'amount']) ?? ({} as GlobalPruningOptions);
  if (pruningMethod !== 'l1Unstructured' && pruningMethod !== 'randomUnstructured') {
    throw new TypeError(`prune.globalUnstructured: pruningMethod must be 'l1Unstructured' or 'randomUnstructured' (got ${JSON.stringify(pruningMethod)})`);
  }
  const parts = parameters.map(([m, name]) => {
    const w = checkTarget('globalUnstructured', m, name);
    return { m, name, size: w.numel(), mask: currentMask(m, name, w.numel()), values: noGrad(() => w.toArray()) };
  });
  const mask = new Float32Array(parts.reduce((n, p) => n + p.size, 0));
  const importance = new Float64Array(mask.length);
  let at = 0;
  for (const p of parts) {
    mask.set(p.mask, at);
    p.values.forEach((v, i) => (importance[at + i] = pruningMethod === 'l1Unstructured' ? Math.abs(v) : defaultGenerator.random()));
    at += p.size;
  }
  const alive = mask.reduce((n, m) => n + (m !== 0 ? 1 : 0), 0);
  const next = pruneSmallest(mask, importance, count('globalUnstructured', amount, alive));
  at = 0;
  for (const p of parts) {
    applyMask(p.m, p.name, next.slice(at, at + p.size));
    at += p.size;
  }
}

/**
 * Makes the pruning of module[name] permanent: module[name] becomes a Parameter holding orig · mask,
 * and `<name>_orig`, `<name>_mask` and the hook are removed.
 */
export function remove(module: Module, name: string): Module {
  const entry = pruned.get(module)?.get(name);
  if (!entry) throw new Error(`prune.remove: parameter '${name}' of ${module?.constructor?.name ?? 'the module'} is not pruned`);
  const own = module as unknown as Record<string, unknown>;
  const weight = noGrad(() => (own[`${name}_orig`] as Tensor).mul(own[`${name}_mask`] as Tensor));
  entry.handle.remove();
  delete own[`${name}_orig`];
  module.registerBuffer(`${name}_mask`, null);
  own[name] = new Parameter(weight);
  pruned.get(module)!.delete(name);
  return module;
}

/** Whether any parameter of module or its submodules is pruned. */
export function isPruned(module: Module): boolean {
  if (!(module instanceof Module)) throw new TypeError('prune.isPruned: module must be an nn.Module');
  return module.modules().some((m) => (pruned.get(m)?.size ?? 0) > 0);
}
