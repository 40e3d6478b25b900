/**
 * Integer indexing: indexSelect (whole slices by index) and gather (one element per index).
 * Their backwards scatter-add gradOut back to the positions read. Index tensors are int32 and
 * are bounds-checked before anything is read.
 */
import { finish, noGrad } from '../autograd/grad-mode.js';
import type { Strided } from '../backend/backend.js';
import { fmtShape, normDim } from '../shape.js';
import { Tensor } from '../tensor.js';
import { zeros } from '../creation.js';
import { show, tensorArg } from '../validate.js';
import { mul } from './elementwise.js';
import { composite } from '../autograd/composite.js';
import { copyRaw, scalarAs } from './util.js';
import * as V from '../validate.js';

function indexTensor(op: string, index: unknown): Tensor {
  if (!(index instanceof Tensor)) throw new TypeError(`${op}: index must be an int32 Tensor (got ${show(index)})`);
  return index.check(op);
}

/**
 * The index as a contiguous int32 tensor on x's device (index itself when it already is), what the
 * Backend's gather and scatter read, after the backend has checked every position against dim d.
 */
function positions(op: string, index: Tensor, x: Tensor, d: number): Tensor {
  indexTensor(op, index);
  if (index.dtype !== 'int32') throw new TypeError(`${op}: index must have dtype int32 (got ${index.dtype})`);
  if (index.device !== x.device) throw new TypeError(`${op}: index is on device '${index.device}' but the input is on '${x.device}'`);
  const pos = index.isContiguous() ? index : copyRaw(index);
  const n = x.ndim === 0 ? 1 : x.shape[d];
  const bad = pos.backend.indexBounds(pos.storage, pos.offset, pos.numel(), n);
  // NOTE: negative indices raise, as in PyTorch: a -1 padding id must not silently read the last row.
  if (bad >= 0) {
    throw new RangeError(
      `${op}: index ${pos.reshape(-1).toArray()[bad]} (element ${bad} of the index) is out of range for dim ${d} of size ${n} (input shape ${fmtShape(x.shape)})`,
    );
  }
  return pos;
}

/** A strided operand over `storage` (a tensor's, or a fresh contiguous one) with the given strides. */
const strided = (t: Tensor, strides: readonly number[], offset = t.offset): Strided => ({ storage: t.storage, offset, strides });

/** Strides that read the indexed dim d with stride 0 (the index supplies the position there). */
const withoutDim = (strides: readonly number[], d: number): number[] => strides.map((s, i) => (i === d ? 0 : s));

/**
 * gx, zeros of x's shape with g scatter-added at the positions the forward read: the backward of
 * indexSelect and gather (and the embedding's). `posStrides` walks the index over g's shape.
 */
export function scatterAddGrad(g: Tensor, shape: readonly number[], d: number, pos: Tensor, posStrides: readonly number[]): Tensor {
  const gx = zeros(shape, { dtype: g.dtype, device: g.device });
  const step = gx.ndim === 0 ? 0 : gx.strides[d];
  gx.backend.scatter(g, strided(pos, posStrides), step, strided(gx, withoutDim(gx.strides, d)), g.shape, true);
  return gx;
}

/**
 * Picks the slices at `index` (1-D int32) along dim.
 * @example x.indexSelect(0, tensor([2, 0], { dtype: 'int32' }))
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  tensorArg('indexSelect', 'input', x);
  const d = normDim('indexSelect', dim, x.ndim);
  indexTensor('indexSelect', index);
  if (index.ndim > 1) throw new RangeError(`indexSelect: index must be 0-D or 1-D (got shape ${fmtShape(index.shape)})`);
  return composite('indexSelect', () => {
    const pos = positions('indexSelect', index, x, d);
    const shape = x.ndim === 0 ? [] : x.shape.map((s, i) => (i === d ? pos.numel() : s));
    const out = Tensor.empty(shape, x.dtype, x.backend);
    // The output walks the index along d (stride 1 there, 0 elsewhere) and x everywhere but d.
    const posStrides = shape.map((_, i) => (i === d ? 1 : 0));
    const step = x.ndim === 0 ? 0 : x.strides[d];
    x.backend.gather(strided(x, withoutDim(x.strides, d)), strided(pos, posStrides), step, out.storage, shape);
    return finish(out, 'indexSelect', [x], (g) => [scatterAddGrad(g, x.shape, d, pos, posStrides)], { dim: d, index });
  });
}

/**
 * out[i][j] = x[i][index[i][j]] for dim = 1 (and likewise for other dims), as torch.gather.
 * @example x.gather(1, labels.unsqueeze(1))
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  tensorArg('gather', 'input', x);
  const d = normDim('gather', dim, x.ndim);
  indexTensor('gather', index);
  if (index.ndim !== x.ndim)
    throw new RangeError(`gather: index must have as many dims as the input (index ${fmtShape(index.shape)}, input ${fmtShape(x.shape)})`);
  index.shape.forEach((s, i) => {
    if (i !== d && s > x.shape[i]) throw new RangeError(`gather: index ${fmtShape(index.shape)} is larger than the input ${fmtShape(x.shape)} in dim ${i}`);
  });
  return composite('gather', () => {
    const pos = positions('gather', index, x, d);
    const shape = [...index.shape];
    const out = Tensor.empty(shape, x.dtype, x.backend);
    const step = x.ndim === 0 ? 0 : x.strides[d];
    x.backend.gather(strided(x, withoutDim(x.strides, d)), pos, step, out.storage, shape);
    return finish(out, 'gather', [x], (g) => [scatterAddGrad(g, x.shape, d, pos, pos.strides)], { dim: d, index });
  });
}

/** Checks scatter's index against x and src: same rank, index no larger than src anywhere nor x off dim. */
function checkScatter(op: string, x: Tensor, d: number, index: Tensor, src: Tensor | null): Tensor {
  if (!(index instanceof Tensor)) throw new TypeError(`${op}: index must be an int32 Tensor`);
  if (index.ndim !== x.ndim)
    throw new RangeError(`${op}: index must have as many dims as the input (index ${fmtShape(index.shape)}, input ${fmtShape(x.shape)})`);
  if (src) {
    src.check(op);
    if (src.ndim !== x.ndim) throw new RangeError(`${op}: src must have as many dims as the input (src ${fmtShape(src.shape)}, input ${fmtShape(x.shape)})`);
    if (src.device !== x.device) throw new TypeError(`${op}: src is on device '${src.device}' but the input is on '${x.device}'`);
    if (src.dtype !== x.dtype) throw new TypeError(`${op}: src (${src.dtype}) must have the input's dtype (${x.dtype}), as in PyTorch`);
  }
  index.shape.forEach((s, i) => {
    if (src && s > src.shape[i]) throw new RangeError(`${op}: index ${fmtShape(index.shape)} is larger than src ${fmtShape(src.shape)} in dim ${i}`);
    if (i !== d && s > x.shape[i]) throw new RangeError(`${op}: index ${fmtShape(index.shape)} is larger than the input ${fmtShape(x.shape)} in dim ${i}`);
  });
  return positions(op, index, x, d);
}

/**
 * Writes (or adds) src's elements into a copy of x at the positions index names along dim; for
 * each position p of index, out[p with dim replaced by index[p]] = src[p].
 */
function scatterInto(x: Tensor, d: number, pos: Tensor, src: Tensor | number, add: boolean): Tensor {
  const out = Tensor.empty(x.shape, x.dtype, x.backend);
  x.backend.copy(x, out.storage, 0, x.shape);
  const value = src instanceof Tensor ? src : scalarAs(src, x);
  const srcStrides = src instanceof Tensor ? src.strides : pos.shape.map(() => 0);
  const step = out.ndim === 0 ? 0 : out.strides[d];
  out.backend.scatter(strided(value, srcStrides), pos, step, strided(out, withoutDim(out.strides, d)), pos.shape, add);
  return out;
}

/**
 * A copy of x with src written at the positions index names along dim (torch.scatter): for dim 1,
 * out[i][index[i][j]] = src[i][j]. src may be a number. Where several positions name the same
 * element, one write wins.
 * @example zeros([2, 3]).scatter(1, tensor([[2], [0]], { dtype: 'int32' }), 1) // one-hot rows
 */
export function scatter(x: Tensor, dim: number, index: Tensor, src: Tensor | number): Tensor {
  tensorArg('scatter', 'input', x);
  const d = normDim('scatter', dim, x.ndim);
  if (typeof src !== 'number' && !(src instanceof Tensor)) throw new TypeError('scatter: src must be a Tensor or a number');
  return composite('scatter', () => {
    const pos = checkScatter('scatter', x, d, index, src instanceof Tensor ? src : null);
    const out = scatterInto(x, d, pos, src, false);
    const inputs = src instanceof Tensor ? [x, src] : [x];
    return finish(out, 'scatter', inputs, (g) => {
      // Overwritten positions pass no gradient to x; src gets the gradient at the positions it wrote.
      const gx = x.requiresGrad ? scatterInto(g, d, pos, 0, false) : null;
      const gsrc = src instanceof Tensor && src.requiresGrad ? gatherInto(g, d, pos, src.shape) : null;
      return [gx, gsrc];
    });
  });
}

/**
 * A copy of x with src added at the positions index names along dim (torch.scatter_add); repeated
 * positions accumulate.
 * @example zeros([3]).scatterAdd(0, tensor([0, 0, 2], { dtype: 'int32' }), ones([3])) // [2, 0, 1]
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  tensorArg('scatterAdd', 'input', x);
  const d = normDim('scatterAdd', dim, x.ndim);
  if (!(src instanceof Tensor)) throw new TypeError('scatterAdd: src must be a Tensor');
  return composite('scatterAdd', () => {
    const pos = checkScatter('scatterAdd', x, d, index, src);
    const out = scatterInto(x, d, pos, src, true);
    return finish(out, 'scatterAdd', [x, src], (g) => [g, src.requiresGrad ? gatherInto(g, d, pos, src.shape) : null]);
  });
}

/** g gathered at index positions, placed into a zero tensor of src's shape (index may be smaller than src). */
function gatherInto(g: Tensor, d: number, pos: Tensor, srcShape: readonly number[]): Tensor {
  const picked = Tensor.empty(pos.shape, g.dtype, g.backend);
  const step = g.ndim === 0 ? 0 : g.strides[d];
  g.backend.gather(strided(g, withoutDim(g.strides, d)), pos, step, picked.storage, pos.shape);
  const out = zeros(srcShape, { dtype: g.dtype, device: g.device });
  out.backend.assign(picked, strided(out, out.strides), pos.shape);
  return out;
}

/**
 * x with alpha·source's slices added at the positions index (1-D int32) names along dim
 * (torch.index_add): out.select(dim, index[i]) += alpha·source.select(dim, i).
 * @example zeros([3, 2]).indexAdd(0, tensor([0, 2], { dtype: 'int32' }), ones([2, 2]))
 */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor, options: { alpha?: number } = {}): Tensor {
  tensorArg('indexAdd', 'input', x);
  const { alpha = 1 } = V.options('indexAdd', options, ['alpha']);
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new TypeError(`indexAdd: alpha must be a finite number (got ${String(alpha)})`);
  const d = normDim('indexAdd', dim, x.ndim);
  if (!(source instanceof Tensor)) throw new TypeError('indexAdd: source must be a Tensor');
  source.check('indexAdd');
  if (source.dtype !== x.dtype) throw new TypeError(`indexAdd: source (${source.dtype}) must have the input's dtype (${x.dtype}), as in PyTorch`);
  if (!(index instanceof Tensor) || index.ndim > 1)
    throw new RangeError(`indexAdd: index must be a 0-D or 1-D int32 Tensor${index instanceof Tensor ? ` (got shape ${fmtShape(index.shape)})` : ''}`);
  const expected = x.ndim === 0 ? [] : x.shape.map((s, i) => (i === d ? index.numel() : s));
  if (source.ndim !== expected.length || source.shape.some((s, i) => s !== expected[i])) {
    throw new RangeError(
      `indexAdd: source must have shape ${fmtShape(expected)} (the input ${fmtShape(x.shape)} with dim ${d} of the index's length ${index.numel()}), got ${fmtShape(source.shape)}`,
    );
  }
  const out = composite('indexAdd', () => {
    const pos = positions('indexAdd', index, x, d);
    const out = Tensor.empty(x.shape, x.dtype, x.backend);
    x.backend.copy(x, out.storage, 0, x.shape);
    const scaled = alpha === 1 ? source : noGrad(() => mul(source, alpha));
    const posStrides = source.shape.map((_, i) => (i === d ? 1 : 0));
    const step = out.ndim === 0 ? 0 : out.strides[d];
    out.backend.scatter(scaled, strided(pos, posStrides), step, strided(out, withoutDim(out.strides, d)), source.shape, true);
    return out;
  });
  return finish(out, 'indexAdd', [x, source], (g) => {
    if (!source.requiresGrad) return [g, null];
    const picked = indexSelect(g, d, index);
    return [g, alpha === 1 ? picked : mul(picked, alpha)];
  });
}

/**
 * One-hot encoding of int32 class indices: [...] → [..., numClasses] of 0/1 int32 (numClasses −1
 * means max(index) + 1), as F.one_hot.
 * @example F.oneHot(tensor([0, 2], { dtype: 'int32' }), 3) // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(index: Tensor, numClasses = -1): Tensor {
  if (!(index instanceof Tensor)) throw new TypeError('oneHot: input must be an int32 Tensor');
  index.check('oneHot');
  if (index.dtype !== 'int32') throw new TypeError(`oneHot: input must hold int32 class indices (got ${index.dtype})`);
  if (!Number.isInteger(numClasses) || numClasses < -1) throw new RangeError(`oneHot: numClasses must be a non-negative integer or -1 (got ${numClasses})`);
  let classes = numClasses;
  if (classes === -1) {
    if (index.numel() === 0) throw new RangeError('oneHot: cannot infer numClasses from an empty tensor; pass it');
    classes = Math.max(composite('oneHot', () => index.max().item()) + 1, 0);
  }
  return composite('oneHot', () => {
    const pos = index.isContiguous() ? index : copyRaw(index);
    const bad = pos.backend.indexBounds(pos.storage, pos.offset, pos.numel(), classes);
    if (bad >= 0) throw new RangeError(`oneHot: class index ${pos.reshape(-1).toArray()[bad]} (element ${bad}) is out of range for ${classes} classes`);
    const out = zeros([...index.shape, classes], { dtype: 'int32', device: index.device });
    // One write per index along the new last dim: scatter's shape is the index's with a 1 appended.
    const shape = [...index.shape, 1];
    const one = scalarAs(1, out);
    const outStrides = withoutDim(out.strides, out.ndim - 1);
    out.backend.scatter(
      strided(
        one,
        shape.map(() => 0),
      ),
      strided(pos, [...pos.strides, 0]),
      1,
      strided(out, outStrides),
      shape,
      false,
    );
    return out;
  });
}
