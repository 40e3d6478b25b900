/**
 * F.interpolate (torch.nn.functional.interpolate) for 1-D signals [N, C, L] and images
 * [N, C, H, W]. Resampling is separable, so each spatial dim is one linear map: `nearest` gathers
 * rows with indexSelect, `linear`/`bilinear` multiply by a sparse interpolation matrix. Both are
 * ordinary differentiable ops, so the backward needs no code of its own.
 */
import { composite } from '../autograd/composite.js';
import { tensor } from '../creation.js';
import { isFloat } from '../dtype.js';
import { matmul } from '../ops/linalg.js';
import { fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import * as V from '../validate.js';

/** Resampling modes of interpolate. */
export type InterpolateMode = 'nearest' | 'linear' | 'bilinear';

/** Options of interpolate (and nn.Upsample): exactly one of size and scaleFactor. */
export interface InterpolateOptions {
  /** Output spatial size: one number for every spatial dim, or one per dim. */
  size?: number | readonly number[];
  /** Multiplier of each spatial size (output = floor(input × scaleFactor)). */
  scaleFactor?: number | readonly number[];
  /** 'nearest' (default), 'linear' (3-D input) or 'bilinear' (4-D input). */
  mode?: InterpolateMode;
  /** Align the centres of the corner pixels (only for linear modes; default false). */
  alignCorners?: boolean;
  /** Compute the sampling scale from the output size rather than from scaleFactor (default false). */
  recomputeScaleFactor?: boolean;
}

const OPTION_KEYS = ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor'];

/** PyTorch's source index of output `dst` for nearest: floor(dst · scale) in float32, clamped. */
function nearestIndices(inSize: number, outSize: number, scale: number): Int32Array {
  const s = Math.fround(scale);
  return Int32Array.from({ length: outSize }, (_, dst) => Math.min(Math.floor(Math.fround(dst * s)), inSize - 1));
}

/** The [outSize, inSize] matrix of linear interpolation weights (PyTorch's upsample_linear source indices and lambdas). */
function linearMatrix(inSize: number, outSize: number, scale: number, alignCorners: boolean): Float64Array {
  const m = new Float64Array(outSize * inSize);
  for (let dst = 0; dst < outSize; dst++) {
    if (inSize === outSize) {
      m[dst * inSize + dst] = 1;
      continue;
    }
    const real = alignCorners ? scale * dst : Math.max(scale * (dst + 0.5) - 0.5, 0);
    const i0 = Math.min(Math.floor(real), inSize - 1);
    const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
    const l1 = Math.min(Math.max(real - i0, 0), 1);
    m[dst * inSize + i0] += 1 - l1;
    m[dst * inSize + i1] += l1;
  }
  return m;
}

function perDim(op: string, arg: string, v: number | readonly number[], dims: number, check: (x: unknown) => number): number[] {
  if (typeof v === 'number') return Array(dims).fill(check(v));
  if (!Array.isArray(v) || v.length !== dims)
    throw new RangeError(`${op}: ${arg} must be a number or ${dims} numbers for a ${dims + 2}-D input (got ${V.show(v)})`);
  return v.map(check);
}

/**
 * Resamples the spatial dims of [N, C, L] or [N, C, H, W] to `size` or by `scaleFactor`, with
 * PyTorch's index conventions (nearest: floor(dst · in/out); linear: half-pixel centres, or
 * corner-aligned with `alignCorners`). Differentiable in the input.
 * @example F.interpolate(images, { scaleFactor: 2, mode: 'bilinear' }) // [N, C, 2H, 2W]
 */
export function interpolate(input: Tensor, options: InterpolateOptions = {}): Tensor {
  const op = 'interpolate';
  if (!(input instanceof Tensor)) throw new TypeError(`${op}: input must be a Tensor`);
  input.check(op);
  options = V.options(op, options, OPTION_KEYS);
  const mode = V.oneOf(op, 'mode', options.mode ?? 'nearest', ['nearest', 'linear', 'bilinear'] as const);
  if (input.ndim !== 3 && input.ndim !== 4) throw new RangeError(`${op}: input must be [N, C, L] or [N, C, H, W] (got shape ${fmtShape(input.shape)})`);
  if (!isFloat(input.dtype)) throw new TypeError(`${op}: input must be a floating point tensor (got ${input.dtype})`);
  const dims = input.ndim - 2;
  if ((mode === 'linear' && dims !== 1) || (mode === 'bilinear' && dims !== 2))
    throw new RangeError(`${op}: mode '${mode}' needs a ${mode === 'linear' ? 3 : 4}-D input, got shape ${fmtShape(input.shape)}`);
  if (options.alignCorners !== undefined && mode === 'nearest')
    throw new TypeError(`${op}: alignCorners can only be set with the interpolating modes 'linear' and 'bilinear' (mode is 'nearest')`);
  const alignCorners = options.alignCorners === undefined ? false : V.bool(op, 'alignCorners', options.alignCorners);
  const { size, scaleFactor } = options;
  if ((size === undefined) === (scaleFactor === undefined)) throw new TypeError(`${op}: pass exactly one of size and scaleFactor`);
  const inSizes = input.shape.slice(2);
  let outSizes: number[];
  // The scale the kernels sample with: 1/scaleFactor when given (as PyTorch), else in/out.
  let scales: (number | null)[];
  if (size !== undefined) {
    outSizes = perDim(op, 'size', size, dims, (x) => V.int(op, 'size', x, { min: 1 }));
    scales = outSizes.map(() => null);
  } else {
    const factors = perDim(op, 'scaleFactor', scaleFactor!, dims, (x) => V.num(op, 'scaleFactor', x, { min: 0, exclusiveMin: true, finite: true }));
    outSizes = inSizes.map((n, i) => Math.floor(n * factors[i]));
    const empty = outSizes.findIndex((n) => n < 1);
    if (empty >= 0) throw new RangeError(`${op}: scaleFactor ${factors[empty]} makes spatial dim ${empty} of size ${inSizes[empty]} empty`);
    scales = options.recomputeScaleFactor ? outSizes.map(() => null) : factors.map((f) => 1 / f);
  }
  return composite(op, () => {
    let y = input;
    for (let d = 0; d < dims; d++) {
      const axis = 2 + d;
      const [n, m] = [inSizes[d], outSizes[d]];
      if (mode === 'nearest') {
        y = y.indexSelect(axis, tensor(nearestIndices(n, m, scales[d] ?? n / m), { device: input.device }));
        continue;
      }
      const scale = alignCorners ? (m > 1 ? (n - 1) / (m - 1) : 0) : (scales[d] ?? n / m);
      const w = tensor(linearMatrix(n, m, scale, alignCorners), { shape: [m, n], dtype: input.dtype, device: input.device });
      // The last spatial dim multiplies from the right, the others from the left (broadcast over N, C).
      y = axis === input.ndim - 1 ? matmul(y, w.transpose(0, 1)) : matmul(w, y);
    }
    return y === input ? input.clone() : y;
  });
}
