/**
 * Convolution and pooling over [N, C, H, W] images (or unbatched [C, H, W], as PyTorch accepts).
 * conv2d unfolds each image into a column matrix (im2col) and runs one GEMM per (image, group);
 * its backward runs the same GEMMs with transpose flags over the columns kept from forward (rebuilt
 * when they are large) and folds the column gradient back (col2im).
 * Pools are direct window kernels over the N·C planes. Each op: checks, output size, kernel calls,
 * then its backward.
 */
import type { AdaptiveWindow2d, AvgWindow2d, Window2d } from '../backend/backend.js';
import { finish, isGradEnabled } from '../autograd/grad-mode.js';
import { isFloat } from '../dtype.js';
import { composite } from '../autograd/composite.js';
import { fmtShape, numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { squeeze, unsqueeze } from './shape.js';
import { copyRaw, withContiguous } from './util.js';
import { tensorArg } from '../validate.js';
import * as V from '../validate.js';

/** A size for both spatial dims, or [height, width]. */
export type Size2d = number | [number, number];

/** Options of conv2d, as torch.nn.functional.conv2d. */
export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: Size2d;
  /** Zero padding on each side (default 0); 'same' keeps H×W (stride 1 only), 'valid' is 0. */
  padding?: Size2d | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2d;
  /** Channel groups: input and output channels split into `groups` independent convolutions (default 1). */
  groups?: number;
}

/** Options of maxPool2d, as torch.nn.functional.max_pool2d. */
export interface MaxPool2dOptions {
  kernelSize: Size2d;
  /** Step between windows (default: kernelSize). */
  stride?: Size2d | null;
  /** Implicit -inf padding on each side (default 0, at most half the dilated kernel). */
  padding?: Size2d;
  dilation?: Size2d;
  /** Round the output size up, so a partial last window counts (default false). */
  ceilMode?: boolean;
}

/** Options of avgPool2d, as torch.nn.functional.avg_pool2d. */
export interface AvgPool2dOptions {
  kernelSize: Size2d;
  /** Step between windows (default: kernelSize). */
  stride?: Size2d | null;
  /** Implicit zero padding on each side (default 0, at most half the kernel). */
  padding?: Size2d;
  ceilMode?: boolean;
  /** Count padding zeros in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window by this instead of its size. */
  divisorOverride?: number | null;
}

const fmtValue = (v: unknown): string => (Array.isArray(v) ? `[${v.map(fmtValue).join(', ')}]` : typeof v === 'string' ? `'${v}'` : String(v));

/** @internal A Size2d as [height, width], each an integer ≥ min, or an error naming the op and argument. */
export function pair(op: string, name: string, value: Size2d, min: number): [number, number] {
  const p: [number, number] = typeof value === 'number' ? [value, value] : value;
  const ok = Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= min);
  if (!ok) {
    const what = min > 0 ? 'positive' : 'non-negative';
    throw new RangeError(`${op}: ${name} must be a ${what} integer or a pair of them (got ${fmtValue(value)})`);
  }
  return [p[0], p[1]];
}

function checkImage(op: string, x: Tensor): void {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: input must be a Tensor`);
  tensorArg(op, 'input', x);
  if (x.ndim !== 3 && x.ndim !== 4) throw new RangeError(`${op}: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input (got shape ${fmtShape(x.shape)})`);
  if (!isFloat(x.dtype)) throw new TypeError(`${op}: expected a floating point input (got ${x.dtype})`);
}

/** conv2d's gradBias [outC] = Σ over N, H, W of gradOut [N, outC, H, W] (contiguous), as two matrix-vector products with ones. */
function biasGrad(gOut: Tensor): Tensor {
  const [N, outC, outH, outW] = gOut.shape;
  const P = outH * outW;
  const backend = gOut.backend;
  const gradBias = Tensor.empty([outC], gOut.dtype, backend);
  if (N === 0 || P === 0 || outC === 0) {
    backend.fill(gradBias.storage, 0, outC, 0);
    return gradBias;
  }
  const ones = Tensor.empty([Math.max(N, P)], gOut.dtype, backend);
  backend.fill(ones.storage, 0, ones.numel(), 1);
  const perPosition = Tensor.empty([outC * P], gOut.dtype, backend);
  // perPosition [1, outC·P] = ones [1, N] · gradOut [N, outC·P]
  backend.gemm({
    transA: false,
    transB: false,
    m: 1,
    n: outC * P,
    k: N,
    alpha: 1,
    a: ones.storage,
    aOffset: 0,
    lda: N,
    b: gOut.storage,
    bOffset: gOut.offset,
    ldb: outC * P,
    beta: 0,
    c: perPosition.storage,
    cOffset: 0,
    ldc: outC * P,
  });
  // gradBias [1, outC] = ones [1, P] · perPosition [outC, P]ᵀ
  backend.gemm({
    transA: false,
    transB: true,
    m: 1,
    n: outC,
    k: P,
    alpha: 1,
    a: ones.storage,
    aOffset: 0,
    lda: P,
    b: perPosition.storage,
    bOffset: 0,
    ldb: P,
    beta: 0,
    c: gradBias.storage,
    cOffset: 0,
    ldc: outC,
  });
  return gradBias;
}

/** Column matrices up to this many elements (16 MiB of float32) are kept from forward for the weight gradient instead of rebuilt. */
const SAVED_COLUMNS_LIMIT = 1 << 22;

/**
 * 2-D convolution (cross-correlation, as in PyTorch) of [N, C, H, W] with a weight
 * [outC, C / groups, kH, kW]: `out[n, o] = bias[o] + Σ_c Σ_ij weight[o, c, i, j] · x[n, c, s·h + d·i − p, s·w + d·j − p]`.
 * @example conv2d(randn([8, 3, 28, 28]), randn([16, 3, 3, 3]), null, { padding: 1 }) // [8, 16, 28, 28]
 */
export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}): Tensor {
  checkImage('conv2d', input);
  if (!(weight instanceof Tensor)) throw new TypeError('conv2d: weight must be a Tensor');
  weight.check('conv2d');
  if (weight.ndim !== 4) throw new RangeError(`conv2d: expected a 4-D weight [outChannels, inChannels / groups, kH, kW] (got shape ${fmtShape(weight.shape)})`);
  const { groups = 1 } = V.options('conv2d', options, ['stride', 'padding', 'dilation', 'groups']);
  const [N, C, H, W] = input.ndim === 4 ? input.shape : [1, ...input.shape];
  const [outC, Cg, kH, kW] = weight.shape;
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`conv2d: groups must be a positive integer (got ${groups})`);
  if (outC % groups !== 0)
    throw new RangeError(`conv2d: groups (${groups}) must divide the weight's ${outC} output channels (weight ${fmtShape(weight.shape)})`);
  if (C !== Cg * groups) {
    const grouped = groups > 1 ? `, groups ${groups}` : '';
    throw new RangeError(`conv2d: expected input with ${Cg * groups} channels (weight ${fmtShape(weight.shape)}${grouped}) but got ${fmtShape(input.shape)}`);
  }
  for (const [t, arg] of [
    [weight, 'weight'],
    [bias, 'bias'],
  ] as const) {
    if (t === null) continue;
    if (!(t instanceof Tensor)) throw new TypeError(`conv2d: ${arg} must be a Tensor`);
    t.check('conv2d');
    if (t.dtype !== input.dtype) throw new TypeError(`conv2d: ${arg} is ${t.dtype} but the input is ${input.dtype}`);
    if (t.device !== input.device) throw new TypeError(`conv2d: ${arg} is on device '${t.device}' but the input is on '${input.device}'`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outC)) {
    throw new RangeError(`conv2d: expected a bias of shape [${outC}] for weight ${fmtShape(weight.shape)} (got ${fmtShape(bias.shape)})`);
  }
  const [strideH, strideW] = pair('conv2d', 'stride', options.stride ?? 1, 1);
  const [dilationH, dilationW] = pair('conv2d', 'dilation', options.dilation ?? 1, 1);
  const spanH = dilationH * (kH - 1) + 1;
  const spanW = dilationW * (kW - 1) + 1;
  // Total padding per axis; the kernels take the top/left part, so 'same' may pad one more at the end.
  let padTotal: [number, number];
  if (options.padding === 'same') {
    if (strideH !== 1 || strideW !== 1) throw new RangeError(`conv2d: padding 'same' needs stride 1 (got stride ${fmtValue(options.stride)})`);
    padTotal = [spanH - 1, spanW - 1];
  } else if (options.padding === 'valid') padTotal = [0, 0];
  else padTotal = pair('conv2d', 'padding', options.padding ?? 0, 0).map((p) => 2 * p) as [number, number];
  if (spanH > H + padTotal[0] || spanW > W + padTotal[1]) {
    throw new RangeError(
      `conv2d: the kernel (${spanH}×${spanW}${dilationH > 1 || dilationW > 1 ? ' after dilation' : ''}) is larger than the padded input ` +
        `(${H + padTotal[0]}×${W + padTotal[1]}; input ${fmtShape(input.shape)}, weight ${fmtShape(weight.shape)})`,
    );
  }
  // Unbatched [C, H, W] runs as a batch of one, through differentiable views.
  if (input.ndim === 3) return squeeze(conv2d(unsqueeze(input, 0), weight, bias, options), 0);
  const win: Window2d = {
    inH: H,
    inW: W,
    outH: Math.floor((H + padTotal[0] - spanH) / strideH) + 1,
    outW: Math.floor((W + padTotal[1] - spanW) / strideW) + 1,
    kH,
    kW,
    strideH,
    strideW,
    padH: padTotal[0] >> 1,
    padW: padTotal[1] >> 1,
    dilationH,
    dilationW,
  };
  const outCg = outC / groups;
  const K = Cg * kH * kW; // rows of the column matrix
  const P = win.outH * win.outW; // output positions per image
  const plane = H * W;
  // A 1×1 kernel with stride 1 and no padding reads the image itself as its column matrix.
  const direct = kH === 1 && kW === 1 && strideH === 1 && strideW === 1 && padTotal[0] === 0 && padTotal[1] === 0;
  const backend = input.backend;
  // The contiguous copies and the kept columns live as long as the backward that reads them.
  return composite('conv2d', () => {
    const x = input.isContiguous() ? input : copyRaw(input);
    const w = weight.isContiguous() ? weight : copyRaw(weight);

    const out = Tensor.empty([N, outC, win.outH, win.outW], input.dtype, backend);
    // With a bias, out starts as the bias broadcast over [N, outC, H, W] and the GEMMs add into it (beta = 1).
    if (bias) backend.copy({ storage: bias.storage, offset: bias.offset, strides: [0, bias.strides[0], 0, 0] }, out.storage, 0, out.shape);
    // The weight gradient needs every image's columns again: keeping them [N·groups, K, P] saves
    // rebuilding them in backward. Otherwise one image's columns at a time, [K, P] of scratch.
    const keepCols = !direct && weight.requiresGrad && isGradEnabled() && N * groups * K * P <= SAVED_COLUMNS_LIMIT;
    const colsOffset = (n: number, g: number): number => (keepCols ? (n * groups + g) * K * P : 0);
    // Columns the backward does not read are scratch, freed once the forward's GEMMs are done.
    const cols = composite('im2col', () => {
      const cols = direct ? null : Tensor.empty(keepCols ? [N * groups, K, P] : [K, P], input.dtype, backend);
      for (let n = 0; n < N; n++) {
        for (let g = 0; g < groups; g++) {
          const xOff = x.offset + (n * C + g * Cg) * plane;
          if (cols) backend.im2col(x.storage, xOff, cols.storage, Cg, win, colsOffset(n, g));
          // out[n, group g] [outCg, P] = weight_g [outCg, K] · cols [K, P]
          backend.gemm({
            transA: false,
            transB: false,
            m: outCg,
            n: P,
            k: K,
            alpha: 1,
            a: w.storage,
            aOffset: w.offset + g * outCg * K,
            lda: K,
            b: cols ? cols.storage : x.storage,
            bOffset: cols ? colsOffset(n, g) : xOff,
            ldb: P,
            beta: bias ? 1 : 0,
            c: out.storage,
            cOffset: (n * outC + g * outCg) * P,
            ldc: P,
          });
        }
      }
      return keepCols ? cols : null;
    });

    const inputs = bias ? [input, weight, bias] : [input, weight];
    finish(
      out,
      'conv2d',
      inputs,
      (gradOut) =>
        withContiguous(gradOut, (gOut) => {
          const gradInput = input.requiresGrad ? Tensor.empty(input.shape, input.dtype, backend) : null;
          const gradWeight = weight.requiresGrad ? Tensor.empty(weight.shape, weight.dtype, backend) : null;
          const gradBias = bias?.requiresGrad ? biasGrad(gOut) : null;
          if (gradWeight && N === 0) backend.fill(gradWeight.storage, 0, gradWeight.numel(), 0);
          // Columns the forward did not keep are rebuilt one image at a time.
          const rebuilt = gradWeight && !direct && !keepCols ? Tensor.empty([K, P], input.dtype, backend) : null;
          const saved = keepCols ? cols : rebuilt;
          const gradCols = gradInput && !direct ? Tensor.empty([K, P], input.dtype, backend) : null;
          for (let n = 0; n < N; n++) {
            for (let g = 0; g < groups; g++) {
              const xOff = (n * C + g * Cg) * plane;
              const gOff = gOut.offset + (n * outC + g * outCg) * P;
              if (gradWeight) {
                if (rebuilt) backend.im2col(x.storage, x.offset + xOff, rebuilt.storage, Cg, win);
                // gradWeight_g [outCg, K] += gradOut[n, g] [outCg, P] · colsᵀ [P, K]
                backend.gemm({
                  transA: false,
                  transB: true,
                  m: outCg,
                  n: K,
                  k: P,
                  alpha: 1,
                  a: gOut.storage,
                  aOffset: gOff,
                  lda: P,
                  b: saved ? saved.storage : x.storage,
                  bOffset: saved ? colsOffset(n, g) : x.offset + xOff,
                  ldb: P,
                  beta: n === 0 ? 0 : 1,
                  c: gradWeight.storage,
                  cOffset: g * outCg * K,
                  ldc: K,
                });
              }
              if (gradInput) {
                // gradCols [K, P] = weight_gᵀ [K, outCg] · gradOut[n, g] [outCg, P], folded back onto the image by col2im
                backend.gemm({
                  transA: true,
                  transB: false,
                  m: K,
                  n: P,
                  k: outCg,
                  alpha: 1,
                  a: w.storage,
                  aOffset: w.offset + g * outCg * K,
                  lda: K,
                  b: gOut.storage,
                  bOffset: gOff,
                  ldb: P,
                  beta: 0,
                  c: gradCols ? gradCols.storage : gradInput.storage,
                  cOffset: gradCols ? 0 : xOff,
                  ldc: P,
                });
                if (gradCols) backend.col2im(gradCols.storage, gradInput.storage, xOff, Cg, win);
              }
            }
          }
          return bias ? [gradInput, gradWeight, gradBias] : [gradInput, gradWeight];
        }),
      {
        kernelShape: [kH, kW],
        strides: [strideH, strideW],
        dilations: [dilationH, dilationW],
        groups,
        pads: [win.padH, win.padW, padTotal[0] - win.padH, padTotal[1] - win.padW],
      },
    );
    return out;
  });
}

/** PyTorch's pooling output size: floor (or ceil) of the window count, where a last window must start inside the input or left padding. */
function poolOutSize(size: number, k: number, stride: number, pad: number, dilation: number, ceilMode: boolean): number {
  const span = dilation * (k - 1) + 1;
  let out = Math.floor((size + 2 * pad - span + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  if (ceilMode && (out - 1) * stride >= size + pad) out--;
  return out;
}

/** A pooling window's settings as op-observer attributes (ONNX's names). */
function poolAttrs(win: Window2d, ceilMode: boolean): Record<string, unknown> {
  return {
    kernelShape: [win.kH, win.kW],
    strides: [win.strideH, win.strideW],
    pads: [win.padH, win.padW, win.padH, win.padW],
    dilations: [win.dilationH, win.dilationW],
    ceilMode,
  };
}

interface PoolGeometry {
  win: Window2d;
  planes: number;
  outShape: number[];
}

function poolGeometry(
  op: string,
  x: Tensor,
  kernelSize: Size2d,
  stride: Size2d | null | undefined,
  padding: Size2d,
  dilation: Size2d,
  ceilMode: boolean,
): PoolGeometry {
  const [kH, kW] = pair(op, 'kernelSize', kernelSize, 1);
  const [strideH, strideW] = pair(op, 'stride', stride ?? [kH, kW], 1);
  const [padH, padW] = pair(op, 'padding', padding, 0);
  const [dilationH, dilationW] = pair(op, 'dilation', dilation, 1);
  const spanH = dilationH * (kH - 1) + 1;
  const spanW = dilationW * (kW - 1) + 1;
  if (2 * padH > spanH || 2 * padW > spanW) {
    throw new RangeError(
      `${op}: padding [${padH}, ${padW}] must be at most half the kernel size (kernel [${kH}, ${kW}], dilation [${dilationH}, ${dilationW}])`,
    );
  }
  const [H, W] = x.shape.slice(-2);
  const outH = poolOutSize(H, kH, strideH, padH, dilationH, ceilMode);
  const outW = poolOutSize(W, kW, strideW, padW, dilationW, ceilMode);
  if (outH < 1 || outW < 1) {
    throw new RangeError(`${op}: the output would be ${outH}×${outW} for input ${fmtShape(x.shape)} (kernel [${kH}, ${kW}] is larger than the padded input)`);
  }
  const lead = x.shape.slice(0, -2);
  const win = { inH: H, inW: W, outH, outW, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW };
  return { win, planes: numel(lead), outShape: [...lead, outH, outW] };
}

/** The option keys of maxPool2d and avgPool2d (and, without kernelSize, of their modules). */
export const MAX_POOL_KEYS = ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode'] as const;
export const AVG_POOL_KEYS = ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride'] as const;

/** A pool's options; a third argument (PyTorch's positional stride) is refused rather than ignored. */
function poolOptions<T extends { kernelSize: Size2d }>(op: string, options: Size2d | T, keys: readonly string[], argCount: number): T {
  if (argCount > 2)
    throw new TypeError(
      `${op}: pass stride, padding and the rest in an options object, e.g. ${op}(x, { kernelSize: 2, stride: 1 }) (got ${argCount} arguments)`,
    );
  if (typeof options === 'number' || Array.isArray(options)) return { kernelSize: options } as T;
  if (!options || options.kernelSize === undefined) throw new TypeError(`${op}: kernelSize is required`);
  return V.options(op, options, keys);
}

/**
 * Max over each kH×kW window (padding counts as -inf); gradients flow to each window's argmax.
 * @example maxPool2d(randn([8, 16, 28, 28]), 2) // [8, 16, 14, 14]
 */
export function maxPool2d(input: Tensor, options: Size2d | MaxPool2dOptions, ...positional: never[]): Tensor {
  checkImage('maxPool2d', input);
  const o = poolOptions('maxPool2d', options, MAX_POOL_KEYS, 2 + positional.length);
  const { win, planes, outShape } = poolGeometry('maxPool2d', input, o.kernelSize, o.stride, o.padding ?? 0, o.dilation ?? 1, o.ceilMode ?? false);
  const backend = input.backend;
  return composite('maxPool2d', () => {
    const out = Tensor.empty(outShape, input.dtype, backend);
    // Only a recorded backward reads the argmax, so inference skips finding and storing it.
    const indices = isGradEnabled() && input.requiresGrad ? Tensor.empty(outShape, 'int32', backend) : null;
    withContiguous(input, (x) => backend.maxPool2d(x.storage, x.offset, out.storage, indices?.storage ?? null, planes, win));
    finish(
      out,
      'maxPool2d',
      [input],
      indices &&
        ((gradOut) => {
          // gradInput [.., H, W]: each gradOut element added at its window's argmax
          const gradInput = Tensor.empty(input.shape, input.dtype, backend);
          withContiguous(gradOut, (g) => backend.maxPool2dBackward(g.storage, g.offset, indices.storage, gradInput.storage, planes, win));
          return [gradInput];
        }),
      poolAttrs(win, o.ceilMode ?? false),
    );
    return out;
  });
}

/**
 * Mean over each kH×kW window; with countIncludePad (the default) padding zeros count in the divisor.
 * @example avgPool2d(randn([8, 16, 28, 28]), { kernelSize: 3, stride: 2, padding: 1 }) // [8, 16, 14, 14]
 */
export function avgPool2d(input: Tensor, options: Size2d | AvgPool2dOptions, ...positional: never[]): Tensor {
  checkImage('avgPool2d', input);
  const o = poolOptions('avgPool2d', options, AVG_POOL_KEYS, 2 + positional.length);
  const { win, planes, outShape } = poolGeometry('avgPool2d', input, o.kernelSize, o.stride, o.padding ?? 0, 1, o.ceilMode ?? false);
  const divisor = o.divisorOverride ?? 0;
  if (o.divisorOverride != null && (!Number.isInteger(divisor) || divisor < 1)) {
    throw new RangeError(`avgPool2d: divisorOverride must be a positive integer (got ${o.divisorOverride})`);
  }
  const avgWin: AvgWindow2d = { ...win, countIncludePad: o.countIncludePad ?? true, divisor };
  const backend = input.backend;
  const out = Tensor.empty(outShape, input.dtype, backend);
  withContiguous(input, (x) => backend.avgPool2d(x.storage, x.offset, out.storage, planes, avgWin));
  return finish(
    out,
    'avgPool2d',
    [input],
    (gradOut) => {
      // gradInput: each window's gradOut / divisor spread over the window
      const gradInput = Tensor.empty(input.shape, input.dtype, backend);
      withContiguous(gradOut, (g) => backend.avgPool2dBackward(g.storage, g.offset, gradInput.storage, planes, avgWin));
      return [gradInput];
    },
    { ...poolAttrs(win, o.ceilMode ?? false), countIncludePad: avgWin.countIncludePad, divisorOverride: o.divisorOverride ?? null },
  );
}

/**
 * Average pooling to a fixed output size: cell (i, j) averages rows [⌊i·H/outH⌋, ⌈(i+1)·H/outH⌉)
 * and the columns likewise; null keeps that input size.
 * @example adaptiveAvgPool2d(randn([8, 64, 7, 7]), 1) // [8, 64, 1, 1]
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: number | [number | null, number | null]): Tensor {
  checkImage('adaptiveAvgPool2d', input);
  const [H, W] = input.shape.slice(-2);
  const requested = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  if (!Array.isArray(requested) || requested.length !== 2 || !requested.every((v) => v === null || (Number.isInteger(v) && v >= 1))) {
    throw new RangeError(
      `adaptiveAvgPool2d: outputSize must be a positive integer, or a pair of them where null keeps the input size (got ${fmtValue(outputSize)})`,
    );
  }
  const [outH, outW] = [requested[0] ?? H, requested[1] ?? W];
  if (H < 1 || W < 1) throw new RangeError(`adaptiveAvgPool2d: expected a non-empty H×W input (got ${fmtShape(input.shape)})`);
  const win: AdaptiveWindow2d = { inH: H, inW: W, outH, outW };
  const lead = input.shape.slice(0, -2);
  const planes = numel(lead);
  const backend = input.backend;
  const out = Tensor.empty([...lead, outH, outW], input.dtype, backend);
  withContiguous(input, (x) => backend.adaptiveAvgPool2d(x.storage, x.offset, out.storage, planes, win));
  return finish(
    out,
    'adaptiveAvgPool2d',
    [input],
    (gradOut) => {
      const gradInput = Tensor.empty(input.shape, input.dtype, backend);
      withContiguous(gradOut, (g) => backend.adaptiveAvgPool2dBackward(g.storage, g.offset, gradInput.storage, planes, win));
      return [gradInput];
    },
    { outputSize: [outH, outW] },
  );
}
