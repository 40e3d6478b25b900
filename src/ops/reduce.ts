/**
 * Reductions (sum, mean, var, std, max, min, argmax, argmin, logsumexp, norm) and softmax.
 * Kernels reduce the middle axis of a contiguous [outer, len, inner] block; several dims are
 * reduced one after another.
 */
import type { ReduceOp } from '../backend/backend.js';
import { finish, reportOp } from '../autograd/grad-mode.js';
import type { DType } from '../dtype.js';
import { isFloat } from '../dtype.js';
import { fmtShape, normDim, numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { add, div, eq, exp, gt, log, mul, ne, pow, sqrt, sub, abs, where } from './elementwise.js';
import { composite } from '../autograd/composite.js';
import { gather, indexSelect } from './indexing.js';
import { copyRaw, scalarAs, withContiguous } from './util.js';
import { tensor } from '../creation.js';
import { expand, reshape, squeeze, transposeView } from './shape.js';
import { options as checkOptions, tensorArg } from '../validate.js';

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

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

/** One raw kernel reduction of `dim`, kept as size 1 unless another `shape` of its values is asked for; no graph. */
function reduceOne(op: ReduceOp, x: Tensor, dim: number, dtype: DType, shape = keptShape(x.shape, [dim])): Tensor {
  const out = Tensor.empty(shape, dtype, x.backend);
  const outer = numel(x.shape.slice(0, dim));
  const inner = numel(x.shape.slice(dim + 1));
  withContiguous(x, (c) => x.backend.reduce(op, c.storage, c.offset, out.storage, outer, x.shape[dim], inner));
  return out;
}

/** Raw reduction over several dims, one after another, as a tensor of `shape` (keepdim by default); no graph. */
function reduceRaw(op: ReduceOp, x: Tensor, dims: number[], dtype: DType, shape = keptShape(x.shape, dims)): Tensor {
  if (dims.length === 0) return reshape(copyRaw(x, dtype), shape);
  return composite(op, () => {
    let cur = x;
    for (let i = dims.length - 1; i > 0; i--) cur = reduceOne(op, cur, dims[i], dtype);
    return reduceOne(op, cur, dims[0], dtype, shape);
  });
}

/**
 * Sum over dims (all when omitted). Integer and bool tensors sum to int32.
 * @example tensor([[1, 2], [3, 4]]).sum(0) // [4, 6]
 */
export function sum(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  tensorArg('sum', 'input', x);
  const dims = reduceDims('sum', x, dim);
  const dtype: DType = isFloat(x.dtype) ? x.dtype : 'int32';
  const out = reduceRaw('sum', x, dims, dtype, finalShape(x.shape, dims, keepdim));
  return finish(out, 'sum', [x], (g) => [expand(reshape(g, keptShape(x.shape, dims)), [...x.shape])], { dims, keepdim });
}

/** Mean over dims (all when omitted). */
export function mean(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  tensorArg('mean', 'input', x);
  floatInput('mean', x);
  const dims = reduceDims('mean', x, dim);
  const count = dims.reduce((n, d) => n * x.shape[d], 1);
  const out = composite('mean', () => div(sum(x, dim, keepdim), count));
  return reportOp(out, 'mean', [x], { dims, keepdim });
}

/** Refuses an integer or bool input, as PyTorch does: which float dtype the result has is the caller's choice. */
function floatInput(op: string, x: Tensor): void {
  if (!isFloat(x.dtype))
    throw new TypeError(`${op}: the input is ${x.dtype}; ${op} needs a floating point input (as in PyTorch). Convert it first: x.float().${op}(…)`);
}

/** Options of `var` and `std`, as torch.var's keywords. */
export interface VarOptions {
  /** Subtracted from the count in the denominator: 1 (Bessel's, the default) or 0 (population). */
  correction?: number;
  keepdim?: boolean;
}

/**
 * Reads var/std's arguments after dim: an options object, or PyTorch's positional
 * `(unbiased, keepdim)` so that `x.var(1, false)` ported from PyTorch means unbiased=false.
 */
function varArgs(op: string, options: VarOptions | boolean | undefined, keepdimArg: boolean | undefined): { correction: number; keepdim: boolean } {
  if (typeof options === 'boolean') {
    if (keepdimArg !== undefined && typeof keepdimArg !== 'boolean')
      throw new TypeError(`${op}: keepdim must be a boolean (got ${JSON.stringify(keepdimArg)})`);
    return { correction: options ? 1 : 0, keepdim: keepdimArg ?? false };
  }
  if (options !== undefined && (options === null || typeof options !== 'object'))
    throw new TypeError(
      `${op}: options must be an object (got ${JSON.stringify(options)}); pass { correction, keepdim } (or PyTorch's unbiased boolean) after dim`,
    );
  checkOptions(op, options, ['correction', 'keepdim']);
  if (keepdimArg !== undefined) throw new TypeError(`${op}: pass keepdim inside the options ({ correction, keepdim }), not as a third argument`);
  const { correction = 1, keepdim = false } = options ?? {};
  if (!Number.isInteger(correction) || correction < 0) throw new RangeError(`${op}: correction must be a non-negative integer (got ${correction})`);
  if (typeof keepdim !== 'boolean') throw new TypeError(`${op}: keepdim must be a boolean (got ${JSON.stringify(keepdim)})`);
  return { correction, keepdim };
}

/**
 * Variance over dims (all when omitted) with Bessel's correction by default, like torch.var.
 * @example x.var(1, { correction: 0, keepdim: true }); x.var(1, false) // PyTorch's unbiased=false
 */
export function variance(x: Tensor, dim?: number | number[], options?: VarOptions | boolean, keepdimArg?: boolean): Tensor {
  return varianceOf('var', x, dim, options, keepdimArg);
}

function varianceOf(
  op: string,
  x: Tensor,
  dim: number | number[] | undefined,
  options: VarOptions | boolean | undefined,
  keepdimArg: boolean | undefined,
): Tensor {
  tensorArg(op, 'input', x);
  floatInput(op, x);
  const { correction, keepdim } = varArgs(op, options, keepdimArg);
  const dims = reduceDims(op, x, dim);
  const count = dims.reduce((n, d) => n * x.shape[d], 1);
  return composite('var', () => {
    const centered = sub(x, mean(x, dim, true));
    return div(sum(mul(centered, centered), dim, keepdim), Math.max(count - correction, 0));
  });
}

/** Standard deviation: √var, with var's arguments. */
export function std(x: Tensor, dim?: number | number[], options?: VarOptions | boolean, keepdimArg?: boolean): Tensor {
  return composite('std', () => sqrt(varianceOf('std', x, dim, options, keepdimArg)));
}

/**
 * What `max(dim)`, `min(dim)`, `sort` and `topk` return: the values and their int32 indices, as a
 * pair that destructures either way, `const [values, indices] = …` or `const { values, indices } = …`.
 */
export type ValuesIndices = readonly [values: Tensor, indices: Tensor] & { readonly values: Tensor; readonly indices: Tensor };

/** @internal Builds a ValuesIndices pair. */
export function valuesIndices(values: Tensor, indices: Tensor): ValuesIndices {
  return Object.assign([values, indices] as const, { values, indices });
}

function extremeDim(op: 'max' | 'min', x: Tensor, dim: number, keepdim: boolean): ValuesIndices {
  tensorArg(op, 'input', x);
  const d = normDim(op, dim, x.ndim);
  if (x.ndim > 0 && x.shape[d] === 0) throw new RangeError(`${op}: cannot reduce an empty dimension ${d} of shape ${fmtShape(x.shape)}`);
  return composite(op, () => {
    const source = x.ndim === 0 ? reshape(x, [1]) : x;
    const idx = finish(reduceOne(op === 'max' ? 'argmax' : 'argmin', source, d, 'int32'), op === 'max' ? 'argmax' : 'argmin', [source], null, {
      dim: d,
      keepdim: true,
    });
    const picked = gather(source, d, idx);
    if (keepdim && x.ndim > 0) return valuesIndices(picked, idx);
    const shape = x.ndim === 0 ? [] : finalShape(source.shape, [d], false);
    return valuesIndices(x.ndim === 0 ? reshape(picked, []) : squeeze(picked, d), reshape(idx, shape));
  });
}

function extremeAll(op: 'max' | 'min', x: Tensor): Tensor {
  return extremeOver(op, x, undefined, false);
}

/** The largest (smallest) value over dims, no indices; ties share the gradient evenly, as in PyTorch. */
function extremeOver(op: 'max' | 'min', x: Tensor, dim: number | number[] | undefined, keepdim: boolean): Tensor {
  tensorArg(op, 'input', x);
  const dims = reduceDims(op, x, dim);
  if (x.numel() === 0) throw new RangeError(`${op}: cannot reduce an empty tensor of shape ${fmtShape(x.shape)}`);
  const kept = keptShape(x.shape, dims);
  const out = reduceRaw(op, x, dims, x.dtype, finalShape(x.shape, dims, keepdim));
  return finish(
    out,
    op,
    [x],
    (g) => {
      const hit = eq(x, reshape(out, kept));
      return [div(mul(reshape(g, kept), hit), sum(hit, dims, true))];
    },
    { dims, keepdim },
  );
}

/** Largest value over dims (all when omitted), without indices, as torch.amax. */
export function amax(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  return extremeOver('max', x, dim, keepdim);
}
/** Smallest value over dims (all when omitted), without indices, as torch.amin. */
export function amin(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  return extremeOver('min', x, dim, keepdim);
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
  tensorArg(op, 'input', x);
  if (x.numel() === 0) throw new RangeError(`${op}: cannot reduce an empty tensor of shape ${fmtShape(x.shape)}`);
  if (dim === undefined) {
    const out = composite(op, () => reduceOne(op, reshape(x, [x.numel()]), 0, 'int32', keepdim ? x.shape.map(() => 1) : []));
    return finish(out, op, [x], null, { dim: null, keepdim });
  }
  const d = normDim(op, dim, x.ndim);
  if (x.ndim === 0) return finish(copyRaw(x, 'int32').fill_(0), op, [x], null);
  return finish(reduceOne(op, x, d, 'int32', finalShape(x.shape, [d], keepdim)), op, [x], null, { dim: d, keepdim });
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
  tensorArg(name, 'input', x);
  if (dim === undefined) throw new TypeError(`${name}: dim is required`);
  return composite(name, () => {
    const src = isFloat(x.dtype) ? x : copyRaw(x, 'float32');
    const d = normDim(name, dim, src.ndim);
    const last = Math.max(src.ndim - 1, 0);
    const moved = d === last ? src : transposeView(src, d, last);
    const cols = src.ndim === 0 ? 1 : moved.shape[last];
    const base = Tensor.empty(moved.shape, src.dtype, src.backend);
    withContiguous(moved, (c) => src.backend.softmax(name === 'logSoftmax', c.storage, c.offset, base.storage, cols === 0 ? 0 : base.numel() / cols, cols));
    const out = d === last ? base : transposeView(base, d, last);
    return finish(
      out,
      name,
      [x],
      (g) => {
        // Along the last dim the rows are contiguous: one fused kernel (assembly/fused.ts) reads y and g once per row.
        if (d === last && src.ndim > 0) return [softmaxBackwardRows(name === 'logSoftmax', out, g, cols)];
        return name === 'softmax' ? [mul(out, sub(g, sum(mul(g, out), d, true)))] : [sub(g, mul(exp(out), sum(g, d, true)))];
      },
      { dim: d },
    );
  });
}

/** softmax's (or log-softmax's) backward from its contiguous output y, over rows of `cols`. */
function softmaxBackwardRows(log: boolean, y: Tensor, g: Tensor, cols: number): Tensor {
  const gc = g.isContiguous() && g.offset === 0 && g.dtype === y.dtype ? g : copyRaw(g, y.dtype);
  const gradIn = Tensor.empty(y.shape, y.dtype, y.backend);
  y.backend.softmaxBackward(log, y.storage, gc.storage, gradIn.storage, cols === 0 ? 0 : y.numel() / cols, cols);
  return gradIn;
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
  tensorArg('logsumexp', 'input', x);
  const dims = reduceDims('logsumexp', x, dim);
  return composite('logsumexp', () => {
    const max = reduceRaw('max', isFloat(x.dtype) ? x : copyRaw(x, 'float32'), dims, isFloat(x.dtype) ? x.dtype : 'float32');
    // NOTE: an infinite max would turn x − m into NaN; shift by 0 there, as PyTorch does.
    // (|max| beyond the dtype's largest finite value: a scalar operand cannot be Infinity.)
    const m = where(gt(abs(max), max.dtype === 'float64' ? Number.MAX_VALUE : FLOAT32_MAX), 0, max);
    const out = add(log(sum(exp(sub(x, m)), dims, true)), m);
    return keepdim ? out : reshape(out, finalShape(x.shape, dims, false));
  });
}

/** Options of `norm`: the dims to reduce (all when omitted) and whether to keep them. */
export interface NormOptions {
  dim?: number | number[];
  keepdim?: boolean;
}

/**
 * The vector p-norm over dims (all when omitted), as torch.linalg.vector_norm: p = 2 (default),
 * 1, any positive p, Infinity (max |x|), -Infinity (min |x|), 0 (the count of non-zeros), or 'fro'.
 * @example x.norm(Infinity, { dim: 1 }); x.norm(2, { dim: [1, 2], keepdim: true })
 */
export function norm(x: Tensor, p: number | 'fro' = 2, options: NormOptions = {}): Tensor {
  tensorArg('norm', 'input', x);
  const { dim, keepdim = false } = checkOptions('norm', options, ['dim', 'keepdim']);
  const order = p === 'fro' ? 2 : p;
  if (typeof order !== 'number' || Number.isNaN(order) || (order < 0 && order !== -Infinity))
    throw new RangeError(`norm: p must be a non-negative number, Infinity, -Infinity or 'fro' (got ${JSON.stringify(p)})`);
  if (typeof keepdim !== 'boolean') throw new TypeError(`norm: keepdim must be a boolean (got ${JSON.stringify(keepdim)})`);
  return composite('norm', () => {
    if (order === Infinity || order === -Infinity) return extremeOver(order > 0 ? 'max' : 'min', abs(x), dim, keepdim);
    if (order === 0) return copyRaw(sum(ne(x, 0), dim, keepdim), isFloat(x.dtype) ? x.dtype : 'float32');
    if (order === 2) return sqrt(sum(mul(x, x), dim, keepdim));
    if (order === 1) return sum(abs(x), dim, keepdim);
    return pow(sum(pow(abs(x), order), dim, keepdim), 1 / order);
  });
}

/**
 * Product over one dim (of all elements when dim is omitted). Its gradient is the product of the
 * other elements, computed from prefix and suffix products, so it is exact where x has zeros.
 * @example prod(tensor([[1, 2], [3, 4]]), 1) // [2, 12]
 */
export function prod(x: Tensor, dim?: number, keepdim = false): Tensor {
  tensorArg('prod', 'input', x);
  const flat = dim === undefined;
  const sourceShape = flat || x.ndim === 0 ? [x.numel()] : x.shape;
  const d = flat || x.ndim === 0 ? 0 : normDim('prod', dim, x.ndim);
  const dtype: DType = isFloat(x.dtype) ? x.dtype : 'int32';
  const [outer, len, inner] = aroundDim(sourceShape, d);
  const shape = flat ? (keepdim ? x.shape.map(() => 1) : []) : finalShape(x.shape, x.ndim === 0 ? [] : [d], keepdim);
  const { backend } = x;
  // The product is the last running product along the dim (1 where the dim is empty).
  const out = Tensor.empty(shape, dtype, backend);
  if (len === 0) backend.fill(out.storage, 0, out.numel(), 1);
  else
    composite('prod', () => {
      const running = Tensor.empty(sourceShape, dtype, backend);
      withContiguous(x, (c) => backend.scan('prod', c.storage, c.offset, running.storage, outer, len, inner));
      backend.copy({ storage: running.storage, offset: (len - 1) * inner, strides: [len * inner, 1] }, out.storage, 0, [outer, inner]);
    });
  return finish(out, 'prod', [x], (g) => {
    // others = Π of the other elements along the dim: the running product's backward from a
    // gradient of 1 at the last position.
    const others = composite('prod', () => {
      const lastOnes = Tensor.empty(sourceShape, g.dtype, backend);
      backend.fill(lastOnes.storage, 0, lastOnes.numel(), 0);
      const one = scalarAs(1, g);
      if (len > 0)
        backend.assign(
          { storage: one.storage, offset: 0, strides: [0, 0] },
          { storage: lastOnes.storage, offset: (len - 1) * inner, strides: [len * inner, 1] },
          [outer, inner],
        );
      const factor = Tensor.empty(x.shape, g.dtype, backend);
      withContiguous(x, (c) => backend.cumprodBackward(c.storage, c.offset, lastOnes.storage, 0, factor.storage, outer, len, inner));
      return factor;
    });
    return [mul(reshape(g, flat ? x.shape.map(() => 1) : keptShape(x.shape, x.ndim === 0 ? [] : [d])), others)];
  });
}

/** True where any element along dim (of all elements when omitted) is non-zero, as bool. */
export function any(x: Tensor, dim?: number, keepdim = false): Tensor {
  return truthReduce('any', x, dim, keepdim);
}

/** True where every element along dim (of all elements when omitted) is non-zero, as bool. */
export function all(x: Tensor, dim?: number, keepdim = false): Tensor {
  return truthReduce('all', x, dim, keepdim);
}

function truthReduce(op: 'any' | 'all', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor (got ${typeof x})`);
  tensorArg(op, 'input', x);
  if (dim !== undefined && (typeof dim !== 'number' || !Number.isInteger(dim))) throw new TypeError(`${op}: dim must be an integer (got ${String(dim)})`);
  return composite(op, () => {
    // any: some element is non-zero; all: no element is zero.
    const hits = op === 'any' ? ne(x, 0) : eq(x, 0);
    const count = sum(hits, dim, keepdim);
    return op === 'any' ? ne(count, 0) : eq(count, 0);
  });
}

/** [outer, len, inner] around dim d of shape: the layout the scans and sorts loop over. */
export function aroundDim(shape: readonly number[], d: number): [number, number, number] {
  if (shape.length === 0) return [1, 1, 1];
  return [numel(shape.slice(0, d)), shape[d], numel(shape.slice(d + 1))];
}

/**
 * Running sum along dim: out[i] = Σ_{k ≤ i} x[k]. Integer and bool tensors sum to int32.
 * @example cumsum(tensor([1, 2, 3]), 0) // [1, 3, 6]
 */
export function cumsum(x: Tensor, dim: number): Tensor {
  tensorArg('cumsum', 'input', x);
  const d = normDim('cumsum', dim, x.ndim);
  const [outer, len, inner] = aroundDim(x.shape, d);
  const dtype: DType = isFloat(x.dtype) ? x.dtype : 'int32';
  const out = Tensor.empty(x.shape, dtype, x.backend);
  withContiguous(x, (c) => x.backend.scan('sum', c.storage, c.offset, out.storage, outer, len, inner));
  // d out[i] / d x[k] = 1 for i ≥ k: the gradient is the running sum of g from the end.
  return finish(out, 'cumsum', [x], (g) => [reverseCumsum(g, d)]);
}

function reverseCumsum(g: Tensor, d: number): Tensor {
  return flipDim(cumsum(flipDim(g, d), d), d);
}

/** x reversed along one dim (flip() of ops/rearrange.ts, kept here so the scans do not import it). */
function flipDim(x: Tensor, d: number): Tensor {
  if (x.ndim === 0) return x;
  const index = Int32Array.from({ length: x.shape[d] }, (_, i) => x.shape[d] - 1 - i);
  return composite('flip', () => indexSelect(x, d, tensor(index, { dtype: 'int32', device: x.device })));
}

/**
 * Running product along dim: out[i] = Π_{k ≤ i} x[k]. Its gradient is computed from the inputs
 * directly (not by dividing the output), so it is exact where x has zeros.
 * @example cumprod(tensor([1, 2, 3]), 0) // [1, 2, 6]
 */
export function cumprod(x: Tensor, dim: number): Tensor {
  tensorArg('cumprod', 'input', x);
  const d = normDim('cumprod', dim, x.ndim);
  const [outer, len, inner] = aroundDim(x.shape, d);
  const dtype: DType = isFloat(x.dtype) ? x.dtype : 'int32';
  const out = Tensor.empty(x.shape, dtype, x.backend);
  withContiguous(x, (c) => x.backend.scan('prod', c.storage, c.offset, out.storage, outer, len, inner));
  return finish(out, 'cumprod', [x], (g) => {
    // grad x[k] = Σ_{i ≥ k} g[i] · Π_{m ≤ i, m ≠ k} x[m], with no division (exact at zeros).
    const gx = Tensor.empty(x.shape, g.dtype, g.backend);
    withContiguous(x, (c) => withContiguous(g, (gc) => g.backend.cumprodBackward(c.storage, c.offset, gc.storage, gc.offset, gx.storage, outer, len, inner)));
    return [gx];
  });
}
