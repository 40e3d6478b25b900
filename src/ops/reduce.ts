/**
 * Reductions (sum, mean, var, std, max, min, argmax, argmin, logsumexp, norm) and softmax.
 * Kernels reduce the middle axis of a contiguous [outer, len, inner] block; several dims are
 * reduced one after another.
 */
import type { ReduceOp } from '../backend/backend.js';
import { finish, reportOp } from '../autograd/grad-mode.js';
import type { DType } from '../dtype.js';
import { isFloat } from '../dtype.js';
import { release } from '../memory.js';
import { fmtShape, normDim, numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { add, div, eq, exp, log, mul, pow, sqrt, sub, abs } from './elementwise.js';
import { gather } from './indexing.js';
import { copyRaw, settle, withContiguous } from './util.js';
import { expand, reshape, squeeze, transposeView } from './shape.js';

/** Normalised, sorted, de-duplicated dims; undefined means every dim. */
function reduceDims(op: string, x: Tensor, dim: number | number[] | undefined): number[] {
  // NOTE: as in PyTorch 1.13, an empty list of dims means every dim.
  if (dim === undefined || (Array.isArray(dim) && dim.length === 0)) return x.shape.map((_, i) => i);
  const list = Array.isArray(dim) ? dim : [dim];
  const dims = [...new Set(list.map((d) => normDim(op, d, x.ndim)))].sort((a, b) => a - b);
  if (dims.length !== list.length) throw new RangeError(`${op}: dim ${JSON.stringify(dim)} names the same dimension twice`);
  return x.ndim === 0 ? [] : dims;
}

function keptShape(shape: readonly number[], dims: number[]): number[] {
  return shape.map((s, i) => (dims.includes(i) ? 1 : s));
}

function finalShape(shape: readonly number[], dims: number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, dims) : shape.filter((_, i) => !dims.includes(i));
}

/** One raw kernel reduction of `dim`, kept as size 1; no graph. */
function reduceOne(op: ReduceOp, x: Tensor, dim: number, dtype: DType): Tensor {
  const out = Tensor.empty(keptShape(x.shape, [dim]), dtype, x.backend);
  const outer = numel(x.shape.slice(0, dim));
  const inner = numel(x.shape.slice(dim + 1));
  withContiguous(x, (c) => x.backend.reduce(op, c.storage, c.offset, out.storage, outer, x.shape[dim], inner));
  return out;
}

/** Raw reduction over several dims (keepdim shape); no graph. */
function reduceRaw(op: ReduceOp, x: Tensor, dims: number[], dtype: DType): Tensor {
  let cur = x;
  for (let i = dims.length - 1; i >= 0; i--) {
    const next = reduceOne(op, cur, dims[i], dtype);
    if (cur !== x) release(cur, 'an internal reduction step was consumed');
    cur = next;
  }
  return cur === x ? copyRaw(x, dtype) : cur;
}

function viewAs(t: Tensor, shape: number[]): Tensor {
  const v = new Tensor(t.storage, shape, shape.map((_, i) => numel(shape.slice(i + 1))), 0, t.dtype);
  release(t, 'an internal reshape was consumed');
  return v;
}

/**
 * Sum over dims (all when omitted). Integer and bool tensors sum to int32.
 * @example tensor([[1, 2], [3, 4]]).sum(0) // [4, 6]
 */
export function sum(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  x.check('sum');
  const dims = reduceDims('sum', x, dim);
  const dtype: DType = isFloat(x.dtype) ? x.dtype : 'int32';
  const out = viewAs(reduceRaw('sum', x, dims, dtype), finalShape(x.shape, dims, keepdim));
  return finish(out, 'sum', [x], (g) => [expand(reshape(g, keptShape(x.shape, dims)), [...x.shape])], { dims, keepdim });
}

/** Mean over dims (all when omitted). */
export function mean(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  x.check('mean');
  const dims = reduceDims('mean', x, dim);
  const count = dims.reduce((n, d) => n * x.shape[d], 1);
  const total = sum(x, dim, keepdim);
  return reportOp(settle(div(total, count), [total]), 'mean', [x], { dims, keepdim });
}

/** Variance over dims with Bessel's correction by default (correction = 1), like torch.var. */
export function variance(x: Tensor, dim?: number | number[], keepdim = false, correction = 1): Tensor {
  x.check('var');
  const dims = reduceDims('var', x, dim);
  const count = dims.reduce((n, d) => n * x.shape[d], 1);
  const mu = mean(x, dim, true);
  const centered = sub(x, mu);
  const squares = mul(centered, centered);
  const total = sum(squares, dim, keepdim);
  return settle(div(total, Math.max(count - correction, 0)), [mu, centered, squares, total]);
}

/** Standard deviation: √var. */
export function std(x: Tensor, dim?: number | number[], keepdim = false, correction = 1): Tensor {
  const v = variance(x, dim, keepdim, correction);
  return settle(sqrt(v), [v]);
}

/** `max(dim)` / `min(dim)` results: the values and the (first) index of each. */
export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
}

function extremeDim(op: 'max' | 'min', x: Tensor, dim: number, keepdim: boolean): ValuesIndices {
  x.check(op);
  const d = normDim(op, dim, x.ndim);
  if (x.ndim > 0 && x.shape[d] === 0) throw new RangeError(`${op}: cannot reduce an empty dimension ${d} of shape ${fmtShape(x.shape)}`);
  const source = x.ndim === 0 ? reshape(x, [1]) : x;
  const idx = finish(reduceOne(op === 'max' ? 'argmax' : 'argmin', source, d, 'int32'), op === 'max' ? 'argmax' : 'argmin', [source], null, { dim: d, keepdim: true });
  const picked = gather(source, d, idx);
  if (keepdim && x.ndim > 0) return { values: picked, indices: idx };
  const shape = finalShape(source.shape, [d], false);
  const values = x.ndim === 0 ? reshape(picked, []) : squeeze(picked, d);
  return { values: settle(values, [picked, source === x ? null : source]), indices: viewAs(idx, x.ndim === 0 ? [] : shape) };
}

function extremeAll(op: 'max' | 'min', x: Tensor): Tensor {
  x.check(op);
  if (x.numel() === 0) throw new RangeError(`${op}: cannot reduce an empty tensor of shape ${fmtShape(x.shape)}`);
  const out = viewAs(reduceRaw(op, x, reduceDims(op, x, undefined), x.dtype), []);
  // As PyTorch does, ties share the gradient evenly.
  return finish(out, op, [x], (g) => {
    const hit = eq(x, out);
    return [div(mul(g, hit), sum(hit))];
  }, { dims: reduceDims(op, x, undefined), keepdim: false });
}

/** Maximum over dim: `{ values, indices }` (PyTorch's max(dim)). */
export function maxDim(x: Tensor, dim: number, keepdim = false): ValuesIndices {
  return extremeDim('max', x, dim, keepdim);
}
/** Minimum over dim: `{ values, indices }`. */
export function minDim(x: Tensor, dim: number, keepdim = false): ValuesIndices {
  return extremeDim('min', x, dim, keepdim);
}
/** Largest element, as a 0-d tensor. */
export function maxAll(x: Tensor): Tensor {
  return extremeAll('max', x);
}
/** Smallest element, as a 0-d tensor. */
export function minAll(x: Tensor): Tensor {
  return extremeAll('min', x);
}

function argExtreme(op: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  x.check(op);
  if (x.numel() === 0) throw new RangeError(`${op}: cannot reduce an empty tensor of shape ${fmtShape(x.shape)}`);
  if (dim === undefined) {
    const flat = reshape(x, [x.numel()]);
    const out = viewAs(reduceOne(op, flat, 0, 'int32'), keepdim ? x.shape.map(() => 1) : []);
    release(flat, 'an internal reshape was consumed');
    return finish(out, op, [x], null, { dim: null, keepdim });
  }
  const d = normDim(op, dim, x.ndim);
  if (x.ndim === 0) return finish(viewAs(copyRaw(x, 'int32').fill_(0), []), op, [x], null);
  return finish(viewAs(reduceOne(op, x, d, 'int32'), finalShape(x.shape, [d], keepdim)), op, [x], null, { dim: d, keepdim });
}

/**
 * max(x) is the largest element; max(x, dim) gives `{ values, indices }` along dim, as torch.max.
 * @example max(tensor([[1, 5], [7, 2]]), 1).indices // [1, 0]
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  return dim === undefined ? maxAll(x) : maxDim(x, dim, keepdim);
}

/** min(x) is the smallest element; min(x, dim) gives `{ values, indices }` along dim, as torch.min. */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function min(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  return dim === undefined ? minAll(x) : minDim(x, dim, keepdim);
}

/** Index of the largest element along dim (of the flattened tensor when dim is omitted). */
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtreme('argmax', x, dim, keepdim);
}
/** Index of the smallest element along dim (of the flattened tensor when dim is omitted). */
export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtreme('argmin', x, dim, keepdim);
}

function softmaxLike(name: 'softmax' | 'logSoftmax', x: Tensor, dim: number): Tensor {
  x.check(name);
  if (dim === undefined) throw new TypeError(`${name}: dim is required`);
  const src = isFloat(x.dtype) ? x : copyRaw(x, 'float32');
  const d = normDim(name, dim, src.ndim);
  const last = Math.max(src.ndim - 1, 0);
  const moved = d === last ? src : transposeView(src, d, last);
  const cols = src.ndim === 0 ? 1 : moved.shape[last];
  const base = Tensor.empty(moved.shape, src.dtype, src.backend);
  withContiguous(moved, (c) => src.backend.softmax(name === 'logSoftmax', c.storage, c.offset, base.storage, cols === 0 ? 0 : base.numel() / cols, cols));
  if (moved !== src) release(moved, 'an internal view was consumed');
  if (src !== x) release(src, 'an internal cast was consumed');
  let out = base;
  if (d !== last) {
    out = transposeView(base, d, last);
    release(base, 'an internal view was consumed');
  }
  return finish(out, name, [x], (g) =>
    name === 'softmax'
      ? [mul(out, sub(g, sum(mul(g, out), d, true)))]
      : [sub(g, mul(exp(out), sum(g, d, true)))],
    { dim: d },
  );
}

/**
 * exp(x) / Σ exp(x) along dim.
 * @example tensor([1, 2, 3]).softmax(0)
 */
export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxLike('softmax', x, dim);
}
/** log(softmax(x)) along dim, computed stably. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return softmaxLike('logSoftmax', x, dim);
}

/** log Σ exp(x) over dims, computed stably (the max is subtracted first). */
export function logsumexp(x: Tensor, dim: number | number[], keepdim = false): Tensor {
  x.check('logsumexp');
  const dims = reduceDims('logsumexp', x, dim);
  const m = reduceRaw('max', isFloat(x.dtype) ? x : copyRaw(x, 'float32'), dims, isFloat(x.dtype) ? x.dtype : 'float32');
  // NOTE: an infinite max would turn x − m into NaN; shift by 0 there, as PyTorch does.
  const mv = m.backend.view(m.storage);
  for (let i = 0; i < m.numel(); i++) if (!Number.isFinite(mv[i])) mv[i] = 0;
  const centered = sub(x, m);
  const exps = exp(centered);
  const total = sum(exps, dims, true);
  const shifted = log(total);
  const kept = add(shifted, m);
  const out = keepdim ? kept : reshape(kept, finalShape(x.shape, dims, false));
  return settle(out, [m, centered, exps, total, shifted, kept]);
}

/** The p-norm of all elements: (Σ |x|^p)^(1/p). */
export function norm(x: Tensor, p = 2): Tensor {
  if (!(p > 0) || !Number.isFinite(p)) throw new RangeError(`norm: p must be a positive finite number (got ${p})`);
  const absolute = p === 2 ? null : abs(x);
  const magnitude = p === 2 ? mul(x, x) : p === 1 ? absolute! : pow(absolute!, p);
  const total = sum(magnitude);
  const out = p === 2 ? sqrt(total) : p === 1 ? total : pow(total, 1 / p);
  return settle(out, [absolute, magnitude, total]);
}
