/** Helpers every op file shares: operand coercion, contiguous scratch copies, unbroadcasting. */
import type { Strided } from '../backend/backend.js';
import type { DType } from '../dtype.js';
import { composite } from '../autograd/composite.js';
import { broadcastStrides, fmtShape, sameShape } from '../shape.js';
import type { TensorLike } from '../tensor.js';
import { Tensor } from '../tensor.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';
import { bumpVersion } from '../backend/version.js';

/** Turns a number operand into a 0-d tensor matching `like` (dtype promoted for fractional scalars). */
export function operand(op: string, x: TensorLike, like: Tensor, arg: string): Tensor {
  if (x instanceof Tensor) {
    x.check(op);
    if (x.device !== like.device) throw new TypeError(`${op}: ${arg} is on device '${x.device}' but the other operand is on '${like.device}'`);
    return x;
  }
  if (typeof x !== 'number') throw new TypeError(`${op}: ${arg} must be a Tensor or a number (got ${typeof x})`);
  if (!Number.isFinite(x)) throw new RangeError(`${op}: ${arg} must be a finite number (got ${x})`);
  const dtype: DType = like.dtype === 'float64' || like.dtype === 'float32' ? like.dtype : Number.isInteger(x) ? 'int32' : 'float32';
  return scalarAs(x, like, dtype);
}

/** A 0-d tensor holding `value` as stored in a `dtype` tensor (like's by default), on like's device. */
export function scalarAs(value: number, like: Tensor, dtype: DType = like.dtype): Tensor {
  const t = Tensor.empty([], dtype, like.backend);
  t.backend.fill(t.storage, 0, 1, value);
  return t;
}

/** Calls fn with a contiguous tensor holding x's values: x itself, or a scratch copy freed after. */
export function withContiguous<T>(x: Tensor, fn: (c: Tensor) => T): T {
  return x.isContiguous() ? fn(x) : composite('contiguous', () => fn(copyRaw(x)));
}

/** Calls fn with x's values in `dtype`: x itself, or a scratch cast freed after. */
export function withDtype<T>(x: Tensor, dtype: DType, fn: (c: Tensor) => T): T {
  return x.dtype === dtype ? fn(x) : composite('cast', () => fn(copyRaw(x, dtype)));
}

/** A contiguous copy of x's values (optionally in another dtype) with no graph attached. */
export function copyRaw(x: Tensor, dtype: DType = x.dtype): Tensor {
  const out = Tensor.empty(x.shape, dtype, x.backend);
  const storageType = (d: DType) => (d === 'bool' ? 'int32' : d);
  if (storageType(dtype) === storageType(x.dtype)) x.backend.copy(x, out.storage, 0, x.shape);
  else withContiguous(x, (c) => x.backend.cast(c.storage, c.offset, out.storage, out.numel()));
  return out;
}

/** x as a strided operand read at `shape` (broadcast dims get stride 0). */
export function stridedAs(x: Tensor, shape: readonly number[]): Strided {
  return { storage: x.storage, offset: x.offset, strides: broadcastStrides(x.shape, x.strides, shape) };
}

/** Writes src (broadcast to dst's shape) into dst's elements, whatever dst's strides. */
export function assignInto(dst: Tensor, src: Tensor): void {
  const s = stridedAs(src, dst.shape);
  if (dst.isContiguous() && dst.dtype === src.dtype) {
    dst.backend.copy(s, dst.storage, dst.offset, dst.shape);
  } else {
    dst.backend.assign(s, dst, dst.shape);
  }
  bumpVersion(dst.storage);
}

/** Sums a gradient of a broadcast result back to the shape of the input that was broadcast. */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new Error(`unbroadcast: gradient ${fmtShape(g.shape)} has fewer dims than input ${fmtShape(shape)}`);
  const dims: number[] = [];
  for (let d = 0; d < g.ndim; d++) if (d < lead || (shape[d - lead] === 1 && g.shape[d] !== 1)) dims.push(d);
  const summed = dims.length > 0 ? sum(g, dims, true) : g;
  return reshape(summed, [...shape]);
}
