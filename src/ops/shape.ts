/**
 * Shape ops. Most are zero-copy views sharing the input's storage (reshape of contiguous data,
 * transpose, permute, expand, slice, select, squeeze, unsqueeze); cat and stack copy.
 * The backward of a view maps gradOut back through the inverse view.
 */
import { finish } from '../autograd/grad-mode.js';
import { composite } from '../autograd/composite.js';
import { checkShape, contiguousStrides, fmtShape, normDim, numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { zeros } from '../creation.js';
import { promoteTypes } from '../dtype.js';
import { assignInto, copyRaw, unbroadcast, withDtype } from './util.js';
import * as V from '../validate.js';

/** Accepts both `reshape(2, 3)` and `reshape([2, 3])`; every entry must be an integer (-1 and other negatives are the op's to judge). */
export function sizes(op: string, args: readonly unknown[]): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  // The message is formatted only for a bad entry: reshape runs this on every call.
  for (let i = 0; i < list.length; i++) if (!Number.isInteger(list[i])) V.int(op, `size ${fmtShape(list as number[])} element ${i}`, list[i]);
  return [...list] as number[];
}

function makeView(x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  return new Tensor(x.storage, shape, strides, offset, x.dtype);
}

/** @internal A view with no graph attached (for op internals). */
export function alias(x: Tensor): Tensor {
  return makeView(x, x.shape, x.strides, x.offset);
}

function resolveShape(op: string, x: Tensor, shape: number[]): number[] {
  const inferred = shape.indexOf(-1);
  if (inferred !== shape.lastIndexOf(-1)) throw new RangeError(`${op}: only one dimension can be -1 (got ${fmtShape(shape)})`);
  if (inferred >= 0) {
    const rest = numel(shape.filter((_, i) => i !== inferred));
    if (rest === 0 || x.numel() % rest !== 0)
      throw new RangeError(`${op}: shape ${fmtShape(shape)} is invalid for input of size ${x.numel()} (shape ${fmtShape(x.shape)})`);
    shape = shape.map((s, i) => (i === inferred ? x.numel() / rest : s));
  }
  checkShape(op, shape);
  if (numel(shape) !== x.numel())
    throw new RangeError(`${op}: shape ${fmtShape(shape)} is invalid for input of size ${x.numel()} (shape ${fmtShape(x.shape)})`);
  return shape;
}

/** The same elements in a new shape (one dim may be -1): a view when x is contiguous, else a copy. */
export function reshape(x: Tensor, shape: number[]): Tensor {
  V.tensorArg('reshape', 'input', x);
  shape = sizes('reshape', [shape]);
  const target = resolveShape('reshape', x, shape);
  if (x.isContiguous()) return viewUnchecked('reshape', x, target);
  return viewUnchecked('reshape', contiguous(x), target);
}

/** Like reshape, but always a view: x must be contiguous. */
export function view(x: Tensor, shape: number[]): Tensor {
  V.tensorArg('view', 'input', x);
  shape = sizes('view', [shape]);
  const target = resolveShape('view', x, shape);
  if (!x.isContiguous()) throw new Error(`view: the tensor of shape ${fmtShape(x.shape)} is not contiguous; use reshape() or call contiguous() first`);
  return viewUnchecked('view', x, target);
}

function viewUnchecked(name: string, x: Tensor, shape: number[]): Tensor {
  const out = makeView(x, shape, contiguousStrides(shape), x.offset);
  return finish(out, name, [x], (g) => [reshape(g, [...x.shape])]);
}

/** Merges dims startDim..endDim into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  V.tensorArg('flatten', 'input', x);
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim('flatten', startDim, x.ndim);
  const e = normDim('flatten', endDim, x.ndim);
  if (s > e) throw new RangeError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  return reshape(x, [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Removes size-1 dims (all of them, or just `dim` if it has size 1). */
export function squeeze(x: Tensor, dim?: number): Tensor {
  V.tensorArg('squeeze', 'input', x);
  const d = dim === undefined ? -1 : normDim('squeeze', dim, x.ndim);
  const keep = x.shape.map((s, i) => !(s === 1 && (d === -1 || d === i)));
  const out = makeView(
    x,
    x.shape.filter((_, i) => keep[i]),
    x.strides.filter((_, i) => keep[i]),
    x.offset,
  );
  return finish(out, 'squeeze', [x], (g) => [reshape(g, [...x.shape])]);
}

/** Inserts a size-1 dim at `dim`. */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  V.tensorArg('unsqueeze', 'input', x);
  const d = normDim('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x.ndim ? x.shape[d] * x.strides[d] : 1);
  return finish(makeView(x, shape, strides, x.offset), 'unsqueeze', [x], (g) => [reshape(g, [...x.shape])]);
}

/** @internal transpose without a graph. */
export function transposeView(x: Tensor, d0: number, d1: number): Tensor {
  const shape = [...x.shape];
  const strides = [...x.strides];
  [shape[d0], shape[d1]] = [shape[d1], shape[d0]];
  [strides[d0], strides[d1]] = [strides[d1], strides[d0]];
  return makeView(x, shape, strides, x.offset);
}

/** Swaps two dims (a view). */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  V.tensorArg('transpose', 'input', x);
  const a = normDim('transpose', dim0, x.ndim);
  const b = normDim('transpose', dim1, x.ndim);
  if (x.ndim === 0) return finish(alias(x), 'transpose', [x], (g) => [g]);
  return finish(transposeView(x, a, b), 'transpose', [x], (g) => [transpose(g, a, b)], { dim0: a, dim1: b });
}

/** Transpose of a 0-, 1- or 2-D tensor. */
export function t(x: Tensor): Tensor {
  V.tensorArg('t', 'input', x);
  if (x.ndim > 2) throw new RangeError(`t: expects a tensor with at most 2 dims (got shape ${fmtShape(x.shape)}); use transpose(dim0, dim1)`);
  return x.ndim < 2 ? transpose(x, 0, 0) : transpose(x, 0, 1);
}

/** Reorders dims (a view): output dim i is input dim dims[i]. */
export function permute(x: Tensor, dims: number[]): Tensor {
  V.tensorArg('permute', 'input', x);
  dims = sizes('permute', [dims]);
  const norm = dims.map((d) => normDim('permute', d, x.ndim));
  if (norm.length !== x.ndim || new Set(norm).size !== x.ndim) {
    throw new RangeError(`permute: dims ${fmtShape(dims)} are not a permutation of the ${x.ndim} dims of shape ${fmtShape(x.shape)}`);
  }
  const out = makeView(
    x,
    norm.map((d) => x.shape[d]),
    norm.map((d) => x.strides[d]),
    x.offset,
  );
  const inverse = new Array<number>(norm.length);
  norm.forEach((d, i) => (inverse[d] = i));
  return finish(out, 'permute', [x], (g) => [permute(g, inverse)], { dims: norm });
}

/** Broadcasts size-1 dims to larger sizes without copying (-1 keeps a size). */
export function expand(x: Tensor, target: number[]): Tensor {
  V.tensorArg('expand', 'input', x);
  target = sizes('expand', [target]);
  const lead = target.length - x.ndim;
  const bad = () => new RangeError(`expand: cannot expand shape ${fmtShape(x.shape)} to ${fmtShape(target)}`);
  if (lead < 0) throw bad();
  const shape: number[] = [];
  const strides: number[] = [];
  target.forEach((s, i) => {
    if (i < lead) {
      if (s < 0) throw bad();
      shape.push(s);
      strides.push(0);
      return;
    }
    const own = x.shape[i - lead];
    if (s === -1 || s === own) {
      shape.push(own);
      strides.push(x.strides[i - lead]);
    } else if (own === 1 && s >= 0) {
      shape.push(s);
      strides.push(0);
    } else throw bad();
  });
  return finish(makeView(x, shape, strides, x.offset), 'expand', [x], (g) => [unbroadcast(g, x.shape)]);
}

/** x itself when contiguous, else a contiguous copy. */
export function contiguous(x: Tensor): Tensor {
  V.tensorArg('contiguous', 'input', x);
  return x.isContiguous() ? x : clone(x);
}

/** A copy with its own storage; gradients flow through it. */
export function clone(x: Tensor): Tensor {
  V.tensorArg('clone', 'input', x);
  return finish(copyRaw(x), 'clone', [x], (g) => [g]);
}

/** A view of x's storage with no graph: gradients stop here. */
export function detach(x: Tensor): Tensor {
  V.tensorArg('detach', 'input', x);
  return finish(alias(x), 'detach', [x], null);
}

/** Writes g into a zero tensor shaped like x at the positions `place` picks: the backward of slicing views. */
function scatterIntoZeros(x: Tensor, g: Tensor, place: (z: Tensor) => Tensor): Tensor {
  const z = zeros(x.shape, { dtype: g.dtype, device: g.device });
  assignInto(place(z), g);
  return z;
}

function sliceView(x: Tensor, d: number, start: number, length: number, step: number): Tensor {
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape[d] = length;
  strides[d] = x.strides[d] * step;
  return makeView(x, shape, strides, x.offset + start * x.strides[d]);
}

/** Elements start, start+step, … below end along dim (Python slice semantics), as a view. */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  V.tensorArg('slice', 'input', x);
  const d = normDim('slice', dim, x.ndim);
  if (x.ndim === 0) throw new RangeError('slice: cannot slice a 0-d tensor');
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`slice: step must be a positive integer (got ${step})`);
  const n = x.shape[d];
  if (start != null) V.int('slice', 'start', start);
  if (end != null) V.int('slice', 'end', end);
  const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const s = clampIndex(start ?? 0);
  const e = clampIndex(end ?? n);
  const length = e > s ? Math.ceil((e - s) / step) : 0;
  const out = sliceView(x, d, s, length, step);
  return finish(out, 'slice', [x], (g) => [scatterIntoZeros(x, g, (z) => sliceView(z, d, s, length, step))], {
    dim: d,
    start: s,
    end: s + (length - 1) * step + 1,
    step,
  });
}

/**
 * `length` elements from `start` along dim (a view); unlike slice, a range past the end raises, as in PyTorch.
 * @example x.narrow(0, 1, 2)
 */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  V.tensorArg('narrow', 'input', x);
  if (x.ndim === 0) throw new RangeError('narrow: cannot narrow a 0-d tensor');
  const d = normDim('narrow', dim, x.ndim);
  const n = x.shape[d];
  V.int('narrow', 'start', start, { min: -n, max: n });
  V.size('narrow', 'length', length);
  const s = start < 0 ? start + n : start;
  if (s + length > n) throw new RangeError(`narrow: start (${start}) + length (${length}) exceeds dimension ${d} of size ${n} (shape ${fmtShape(x.shape)})`);
  return slice(x, d, s, s + length);
}

function selectView(x: Tensor, d: number, i: number): Tensor {
  const shape = x.shape.filter((_, k) => k !== d);
  const strides = x.strides.filter((_, k) => k !== d);
  return makeView(x, shape, strides, x.offset + i * x.strides[d]);
}

/** The slice at `index` along dim, with that dim removed (a view). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  V.tensorArg('select', 'input', x);
  const d = normDim('select', dim, x.ndim);
  const n = x.shape[d];
  if (!Number.isInteger(index) || index < -n || index >= n)
    throw new RangeError(`select: index ${index} is out of range for dim ${d} of size ${n} (shape ${fmtShape(x.shape)})`);
  const i = index < 0 ? index + n : index;
  return finish(selectView(x, d, i), 'select', [x], (g) => [scatterIntoZeros(x, g, (z) => selectView(z, d, i))], { dim: d, index: i });
}

/** Splits into pieces of `size` along dim (the last may be smaller), or into the given section sizes. */
export function split(x: Tensor, sizeOrSections: number | number[], dim = 0): Tensor[] {
  V.tensorArg('split', 'input', x);
  const d = normDim('split', dim, x.ndim);
  const n = x.shape[d];
  let sections: number[];
  if (Array.isArray(sizeOrSections)) {
    sections = sizeOrSections;
    if (sections.reduce((a, b) => a + b, 0) !== n || sections.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new RangeError(`split: sections ${fmtShape(sections)} do not add up to size ${n} of dim ${d} (shape ${fmtShape(x.shape)})`);
    }
  } else {
    if (!Number.isInteger(sizeOrSections) || sizeOrSections <= 0) throw new RangeError(`split: size must be a positive integer (got ${sizeOrSections})`);
    sections = [];
    for (let s = 0; s < n; s += sizeOrSections) sections.push(Math.min(sizeOrSections, n - s));
    if (n === 0) sections.push(0);
  }
  let start = 0;
  return sections.map((len) => {
    const piece = slice(x, d, start, start + len);
    start += len;
    return piece;
  });
}

/** Splits into `chunks` nearly equal pieces along dim (PyTorch's chunk). */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  V.tensorArg('chunk', 'input', x);
  if (!Number.isInteger(chunks) || chunks <= 0) throw new RangeError(`chunk: chunks must be a positive integer (got ${chunks})`);
  const d = normDim('chunk', dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d] / chunks)), d);
}

/** Joins tensors along an existing dim. @example cat([a, b], 0) */
export function cat(tensors: Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new TypeError('cat: expects a non-empty array of tensors');
  tensors.forEach((t, i) => V.tensorArg('cat', `tensors[${i}]`, t));
  const first = tensors[0];
  if (first.ndim === 0) throw new RangeError('cat: zero-dimensional tensors cannot be concatenated; use stack()');
  const d = normDim('cat', dim, first.ndim);
  tensors.forEach((t, i) => {
    const ok = t.ndim === first.ndim && t.shape.every((s, k) => k === d || s === first.shape[k]);
    if (!ok)
      throw new RangeError(`cat: tensor ${i} has shape ${fmtShape(t.shape)} but tensor 0 has ${fmtShape(first.shape)}; sizes must match except in dim ${d}`);
    if (t.device !== first.device) throw new TypeError(`cat: tensor ${i} is on device '${t.device}' but tensor 0 is on '${first.device}'`);
  });
  // promoteTypes is arithmetic promotion (bool + bool is int32); joining bools stays bool.
  const dtype = tensors.map((t) => t.dtype).reduce((a, b) => (a === b ? a : promoteTypes(a, b)));
  const shape = [...first.shape];
  shape[d] = tensors.reduce((n, t) => n + t.shape[d], 0);
  const out = Tensor.empty(shape, dtype, first.backend);
  const offsets: number[] = [];
  let start = 0;
  composite('cat', () => {
    for (const t of tensors) {
      offsets.push(start);
      withDtype(t, dtype, (src) => assignInto(sliceView(out, d, start, t.shape[d], 1), src));
      start += t.shape[d];
    }
  });
  return finish(out, 'cat', tensors, (g) => tensors.map((t, i) => (t.requiresGrad ? slice(g, d, offsets[i], offsets[i] + t.shape[d]) : null)), { dim: d });
}

/** Joins tensors of equal shape along a new dim. @example stack([a, b], 0) */
export function stack(tensors: Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new TypeError('stack: expects a non-empty array of tensors');
  tensors.forEach((t, i) => {
    V.tensorArg('stack', `tensors[${i}]`, t);
    if (t.ndim !== tensors[0].ndim || t.shape.some((s, k) => s !== tensors[0].shape[k])) {
      throw new RangeError(`stack: tensor ${i} has shape ${fmtShape(t.shape)} but tensor 0 has ${fmtShape(tensors[0].shape)}; all must be equal`);
    }
  });
  const d = normDim('stack', dim, tensors[0].ndim + 1);
  return composite('stack', () =>
    cat(
      tensors.map((t) => unsqueeze(t, d)),
      d,
    ),
  );
}
