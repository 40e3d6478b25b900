/**
 * The Backend interface: the only thing ops call to touch tensor memory. Two implementations,
 * no registry: `reference.ts` (plain TypeScript loops, the test oracle) and `wasm.ts` (SIMD kernels).
 * Shapes, broadcasting plans and checks live above this line, in the ops; backends only loop.
 */
import type { Device, DType, TypedArray } from '../dtype.js';

/** A block of elements owned by one backend; tensors are (storage, offset, shape, strides) views of it. */
export interface Storage {
  readonly backend: Backend;
  /** bool is stored as int32. */
  readonly dtype: Exclude<DType, 'bool'>;
  readonly length: number;
  /** Byte offset in WASM linear memory (wasm backend); 0 on the js backend. */
  readonly ptr: number;
  /** The owned array (js backend); null on the wasm backend, whose views are made on demand. */
  readonly array: TypedArray | null;
  /** Live tensors sharing this storage; it returns to the allocator at 0. */
  refs: number;
  /** The write clock's tick at the last in-place write (0: never written in place); see version.ts. */
  version: number;
  /** The write clock's tick when this storage was allocated. */
  readonly born: number;
  released: boolean;
}

/** Operand of a strided kernel: storage plus element offset and element strides (0 on broadcast dims). */
export interface Strided {
  readonly storage: Storage;
  readonly offset: number;
  readonly strides: readonly number[];
}

export type UnaryOp =
  | 'neg'
  | 'abs'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'sin'
  | 'cos'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'gelu'
  | 'sign'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'log1p'
  | 'expm1'
  | 'erf'
  /** The tanh approximation of GELU: ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
  | 'geluTanh'
  /** d gelu(x) / dx and d geluTanh(x) / dx, used by the backwards. */
  | 'geluGrad'
  | 'geluTanhGrad';

export type ArithOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type BinaryOp = ArithOp | CompareOp;
export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax' | 'argmin';
export type ScanOp = 'sum' | 'prod';

/**
 * The operands of one fused optimizer update: n contiguous elements of `param` and of each state
 * buffer (all from offset 0) and of `grad` (from gradOffset). Everything but grad is updated in place.
 */
export interface OptimTarget {
  param: Storage;
  grad: Storage;
  gradOffset: number;
  n: number;
}

/** PyTorch SGD's hyperparameters; `initBuffer` marks the first momentum step (buffer = gradient). */
export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
  initBuffer: boolean;
}

/**
 * Adam/AdamW at step t: weightDecay is Adam's L2 term (added to the gradient), paramScale AdamW's
 * decoupled 1 − lr·λ (1 for Adam); stepSize = lr / (1 − β1^t) and bias2Sqrt = √(1 − β2^t).
 */
export interface AdamHyper {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  paramScale: number;
  stepSize: number;
  bias2Sqrt: number;
  maximize: boolean;
}

export interface RmspropHyper {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  maximize: boolean;
}

/** Adagrad at step t: clr = lr / (1 + (t − 1)·lrDecay). */
export interface AdagradHyper {
  clr: number;
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  a: Storage;
  aOffset: number;
  lda: number;
  b: Storage;
  bOffset: number;
  ldb: number;
  beta: number;
  c: Storage;
  cOffset: number;
  ldc: number;
}

/**
 * Operands of the int8 GEMM (assembly/int8.ts draws the layouts): `a` holds i16 A in panels of 4
 * rows, `b` int8 B in panels of 8 columns, both in int32 storages, k padded to kPad (a multiple of
 * 4). out[outOffset + row·ldc + col] = (Σk a·b + corrMul·corr[c])·scaleA·scaleB[c] + bias[c], where
 * c is the column, or the row with perRowScale; scaleB, bias (float32) and corr (int32) are padded
 * to a multiple of 4.
 */
export interface GemmInt8Args {
  m: number;
  n: number;
  kPad: number;
  a: Storage;
  b: Storage;
  scaleA: number;
  scaleB: Storage;
  /** Per-channel int32 sums times corrMul added to the accumulator (the conv's zero-point correction), or null. */
  corr: Storage | null;
  corrMul: number;
  bias: Storage | null;
  out: Storage;
  outOffset: number;
  ldc: number;
  /** scaleB, bias and corr per output row instead of per column (the int8 conv, whose weight is A). */
  perRowScale: boolean;
}

/** How quantizeInt8A maps float32 to 8-bit integers: q = clamp(round(x · invScale) + zeroPoint, qmin, qmax), as ATen's quantize_val. */
export interface QuantizeArgs {
  x: Storage;
  xOffset: number;
  rows: number;
  cols: number;
  /** Element strides of x's rows and columns. */
  rowStride: number;
  colStride: number;
  /** 1 / scale in float32. */
  invScale: number;
  zeroPoint: number;
  qmin: number;
  qmax: number;
  /** The int8 GEMM's A: q − zeroPoint as i16 in 4-row panels (rows rounded up to 4, k to kPad, zero-filled). */
  out: Storage;
  kPad: number;
}

/** quantizeInt8: n contiguous float32 to bytes q − 128 (q as in QuantizeArgs, 0 ≤ qmin ≤ qmax ≤ 255). */
export interface QuantizeBytesArgs {
  x: Storage;
  xOffset: number;
  n: number;
  invScale: number;
  zeroPoint: number;
  qmin: number;
  qmax: number;
  /** int8 bytes in an int32 storage (n rounded up to 4). */
  out: Storage;
}

/** C = op(A)·B + beta·C (alpha 1) with the op(B) `Backend.withFixedB` fixed; A is m×k, C m×n. */
export type FixedBGemm = (transA: boolean, m: number, a: Block, lda: number, beta: number, c: Block, ldc: number) => void;

/** A contiguous run of elements: storage and element offset (the recurrent-cell kernels' operands). */
export interface Block {
  readonly storage: Storage;
  readonly offset: number;
}

/** The GemmArgs of C = op(A)·op(B) + beta·C (alpha 1) over blocks whose rows are lda, ldb, ldc apart. */
export function blockGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Block,
  lda: number,
  b: Block,
  ldb: number,
  beta: number,
  c: Block,
  ldc: number,
): GemmArgs {
  return {
    transA,
    transB,
    m,
    n,
    k,
    alpha: 1,
    a: a.storage,
    aOffset: a.offset,
    lda,
    b: b.storage,
    bOffset: b.offset,
    ldb,
    beta,
    c: c.storage,
    cOffset: c.offset,
    ldc,
  };
}

/**
 * Sizes of a fused attention over `batch` contiguous [L, E] queries, [S, E] keys, [S, Ev] values;
 * `causal`: query i sees keys ≤ i. The optional additive mask is [L, S] per batch entry,
 * `maskStride` elements apart (0: one mask for all).
 */
export interface AttentionDims {
  batch: number;
  L: number;
  S: number;
  E: number;
  Ev: number;
  scale: number;
  causal: boolean;
  maskStride: number;
}

/** Geometry of a 2-D sliding window (conv2d, pooling) over contiguous [planes, inH, inW] images. */
export interface Window2d {
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  /** Top and left padding; the bottom and right padding follow from outH and outW. */
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
}

/** An average-pooling window: PyTorch's count_include_pad and divisor_override (0 = none). */
export interface AvgWindow2d extends Window2d {
  countIncludePad: boolean;
  divisor: number;
}

/** Sizes of an adaptive pooling: output cell o of n covers input [floor(o·len/n), ceil((o+1)·len/n)). */
export type AdaptiveWindow2d = Pick<Window2d, 'inH' | 'inW' | 'outH' | 'outW'>;

/** What `memoryStats()` reports: live tensors and bytes, cached bytes and the WASM memory size. */
export interface MemoryStats {
  /** Tensor storages holding backend memory right now (views share one; a spilled one holds none). */
  liveTensors: number;
  /** Bytes in blocks handed to live storages. */
  liveBytes: number;
  /** Bytes in freed blocks the caching allocator keeps for reuse. */
  cachedBytes: number;
  /** Size of the WASM linear memory (it never shrinks). */
  wasmBytes: number;
  /** Highest liveBytes seen. */
  peakBytes: number;
  /** Storages copied out of backend memory so far (reclaim passes, step boundaries; docs/memory.md). */
  spills: number;
  /** Spilled storages copied back so far, on their next use: a count that grows every step is a loop paying copies. */
  restores: number;
}

export interface Backend {
  readonly device: Device;
  /** A storage of `length` elements; with `zeroed` it reads as zeros (free where the memory was never used). */
  alloc(dtype: Exclude<DType, 'bool'>, length: number, zeroed?: boolean): Storage;
  free(storage: Storage): void;
  /** A live view of the whole storage; short-lived: any later allocation may invalidate it. */
  view(storage: Storage): TypedArray;
  /** out[i] = op(x[xOffset + i]) for i < n; out is contiguous from 0. */
  unary(op: UnaryOp, x: Storage, xOffset: number, out: Storage, n: number): void;
  /** out[i] = min(max(x[xOffset + i], lo), hi). */
  clamp(x: Storage, xOffset: number, out: Storage, n: number, lo: number, hi: number): void;
  /** Elementwise a op b over `shape` with strided (possibly broadcast) operands into out, contiguous from `outOffset` (default 0); out may be a's or b's own elements when they are read at the same index. */
  binary(op: BinaryOp, a: Strided, b: Strided, out: Storage, shape: readonly number[], outOffset?: number): void;
  /** Materialises a strided view into out, contiguous from `outOffset`. */
  copy(x: Strided, out: Storage, outOffset: number, shape: readonly number[]): void;
  /** Writes x's elements over `shape` into out's (strided) positions, converting to out's dtype (float → int truncates). */
  assign(x: Strided, out: Strided, shape: readonly number[]): void;
  /** out[i] = cond[c(i)] !== 0 ? a[a(i)] : b[b(i)] over `shape` (broadcast operands), out contiguous. */
  where(cond: Strided, a: Strided, b: Strided, out: Storage, shape: readonly number[]): void;
  /**
   * out[i] = x[x(i) + index[ix(i)]·step] over `shape`, out contiguous: one element per index along a
   * dim whose stride in x is `step` (x's own stride there is 0). Indices are non-negative and in range.
   */
  gather(x: Strided, index: Strided, step: number, out: Storage, shape: readonly number[]): void;
  /**
   * out[o(i) + index[ix(i)]·step] += src[s(i)] over `shape` (gather's adjoint) when `accumulate`,
   * else = (torch.scatter's write); float → int truncates.
   */
  scatter(src: Strided, index: Strided, step: number, out: Strided, shape: readonly number[], accumulate: boolean): void;
  /** The position of the first of n contiguous int32 indices (from offset) outside [0, bound), or -1: what gather and scatter require. */
  indexBounds(index: Storage, offset: number, n: number, bound: number): number;
  /** Reduces the middle axis of a contiguous [outer, len, inner] block into [outer, inner]. */
  reduce(op: ReduceOp, x: Storage, xOffset: number, out: Storage, outer: number, len: number, inner: number): void;
  /** Running sum or product along the middle axis of a contiguous [outer, len, inner] block into out (same layout; int32 wraps). */
  scan(op: ScanOp, x: Storage, xOffset: number, out: Storage, outer: number, len: number, inner: number): void;
  /**
   * The running product's backward, exact where x has zeros (no division): gradIn[k] =
   * Σ_{i ≥ k} gradOut[i]·Π_{m ≤ i, m ≠ k} x[m] along the middle axis of [outer, len, inner]; all contiguous.
   */
  cumprodBackward(x: Storage, xOffset: number, gradOut: Storage, gradOutOffset: number, gradIn: Storage, outer: number, len: number, inner: number): void;
  /** int32 positions that stably sort each line along the middle axis of contiguous [outer, len, inner] x (NaN above every number). */
  argsort(x: Storage, xOffset: number, out: Storage, outer: number, len: number, inner: number, descending: boolean): void;
  /** Softmax (or log-softmax) of each row of a contiguous [rows, cols] block. */
  softmax(log: boolean, x: Storage, xOffset: number, out: Storage, rows: number, cols: number): void;
  /**
   * gradIn[i] = gradOut[i]·gelu'(x[i]) for n contiguous elements (the exact form, or the tanh one),
   * given the forward's output y (contiguous from offset 0), from which a backend may take Φ(x).
   */
  geluBackward(tanhForm: boolean, x: Storage, xOffset: number, y: Storage, gradOut: Storage, gradOutOffset: number, gradIn: Storage, n: number): void;
  /**
   * Softmax's backward over contiguous [rows, cols] rows from its output y: y·(g − Σ g·y), or
   * log-softmax's from its output: g − e^y·Σ g. y, gradOut and gradIn all start at offset 0.
   */
  softmaxBackward(log: boolean, y: Storage, gradOut: Storage, gradIn: Storage, rows: number, cols: number): void;
  /**
   * LayerNorm of contiguous [rows, cols] x over each row, with optional [cols] weight and bias
   * (contiguous from 0): writes out, and each row's mean and 1/√(var + eps) for the backward.
   */
  layerNorm(
    x: Storage,
    xOffset: number,
    weight: Storage | null,
    bias: Storage | null,
    out: Storage,
    mean: Storage,
    rstd: Storage,
    rows: number,
    cols: number,
    eps: number,
  ): void;
  /** Its backward: overwrites gradIn, and adds into gradWeight / gradBias (each may be null) over all rows. */
  layerNormBackward(
    x: Storage,
    gradOut: Storage,
    weight: Storage | null,
    mean: Storage,
    rstd: Storage,
    gradIn: Storage,
    gradWeight: Storage | null,
    gradBias: Storage | null,
    rows: number,
    cols: number,
  ): void;
  /** gradIn[i] = 0 where x[i] <= 0, else gradOut[i] (NaN passes), for n contiguous elements (relu's backward). */
  reluBackward(x: Storage, xOffset: number, gradOut: Storage, gradOutOffset: number, gradIn: Storage, n: number): void;
  /**
   * Cross-entropy of contiguous [rows, cols] logits against int32 classes `target` [rows] (each in
   * range): probs = softmax of each row, loss[r] = logsumexp(row) − row[target[r]].
   */
  crossEntropy(x: Storage, xOffset: number, target: Storage, probs: Storage, loss: Storage, rows: number, cols: number): void;
  /** Its backward: gradIn[r, c] = (probs[r, c] − [c = target[r]])·scale[r]. */
  crossEntropyBackward(probs: Storage, target: Storage, scale: Storage, gradIn: Storage, rows: number, cols: number): void;
  /** Row-major C = alpha·op(A)·op(B) + beta·C; beta = 0 never reads C. */
  gemm(args: GemmArgs): void;
  /**
   * Runs `fn` with a GEMM against one fixed k×n op(B) of `b` (an RNN's recurrent weight, one GEMM
   * per time step): the wasm device packs B once for all of fn's calls instead of at each call.
   * B must not change while fn runs.
   */
  withFixedB(transB: boolean, n: number, k: number, b: Block, ldb: number, fn: (gemm: FixedBGemm) => void): void;
  /** The smallest and largest of n contiguous float32 elements. */
  minMax(x: Storage, xOffset: number, n: number): [number, number];
  /** Quantizes float32 rows into the int8 GEMM's A (i16, zero point subtracted). */
  quantizeInt8A(args: QuantizeArgs): void;
  /** Quantizes float32 to bytes q − 128 (the int8 conv's input, quantized once). */
  quantizeInt8(args: QuantizeBytesArgs): void;
  /**
   * im2col of one image of quantizeInt8 bytes [channels, inH, inW] at byte xByteOffset into the int8
   * GEMM's B (columns = output positions); padding reads `fill` (the quantized 0). `scratch` holds
   * kPad × (positions rounded up to 8) bytes on the way. u7A: into gemmInt8U7's A instead (rows =
   * output positions), from 7-bit bytes q quantized with zero point shifted by 128 (see QuantizedConv2d).
   */
  im2colInt8(xq: Storage, xByteOffset: number, scratch: Storage, out: Storage, channels: number, w: Window2d, fill: number, kPad: number, u7A?: boolean): void;
  /** int8×int8→int32 GEMM with a float32 epilogue (see GemmInt8Args). */
  gemmInt8(args: GemmInt8Args): void;
  /**
   * True when gemmInt8U7 runs on the relaxed-SIMD int8 dot product (int8 Linear and Conv2d layers
   * with 7-bit activations take it); elsewhere it computes the same sums without it.
   */
  readonly int8RelaxedDot: boolean;
  /** Quantizes float32 rows into gemmInt8U7's A: bytes q (0 ≤ qmin ≤ qmax ≤ 127, zero point kept) in 4-row panels. */
  quantizeInt8U7A(args: QuantizeArgs): void;
  /**
   * The int8 GEMM on the relaxed int8 dot product's layouts (assembly/int8.ts, gemmI8U7): A 7-bit
   * unsigned bytes in 4-row panels, B int8 in 8-column panels of k quads; per-column epilogue only
   * (perRowScale false); corr·corrMul (Σk w times −zeroPoint) subtracts the zero point.
   */
  gemmInt8U7(args: GemmInt8Args): void;
  /** Fused SGD update (assembly/optim.ts); momentumBuffer is null without momentum. */
  sgdStep(t: OptimTarget, momentumBuffer: Storage | null, h: SgdHyper): void;
  /** Fused Adam/AdamW update; maxExpAvgSq is null unless amsgrad. */
  adamStep(t: OptimTarget, expAvg: Storage, expAvgSq: Storage, maxExpAvgSq: Storage | null, h: AdamHyper): void;
  /** Fused RMSprop update; gradAvg is null unless centered, momentumBuffer null unless momentum > 0. */
  rmspropStep(t: OptimTarget, squareAvg: Storage, gradAvg: Storage | null, momentumBuffer: Storage | null, h: RmspropHyper): void;
  /** Fused Adagrad update. */
  adagradStep(t: OptimTarget, sum: Storage, h: AdagradHyper): void;
  fill(out: Storage, offset: number, n: number, value: number): void;
  /** Converts n contiguous elements to out's dtype (float → int truncates toward zero). */
  cast(x: Storage, xOffset: number, out: Storage, n: number): void;
  /** Unfolds `channels` planes at x[xOffset…] into the column matrix [channels·kH·kW, outH·outW] at cols[colsOffset…] (default 0). */
  im2col(x: Storage, xOffset: number, cols: Storage, channels: number, w: Window2d, colsOffset?: number): void;
  /** im2col's adjoint: sums the columns (from 0) into [channels, inH, inW] at out[outOffset…], which it overwrites; it may zero the columns' padding entries. */
  col2im(cols: Storage, out: Storage, outOffset: number, channels: number, w: Window2d): void;
  /** Window maxima of `planes` planes into out, and each one's in-plane offset (h·inW + w) into int32 indices (skipped when null). */
  maxPool2d(x: Storage, xOffset: number, out: Storage, indices: Storage | null, planes: number, w: Window2d): void;
  /** Overwrites gradIn [planes, inH, inW] with gradOut scattered (added) at the max-pool indices. */
  maxPool2dBackward(gradOut: Storage, gradOutOffset: number, indices: Storage, gradIn: Storage, planes: number, w: Window2d): void;
  avgPool2d(x: Storage, xOffset: number, out: Storage, planes: number, w: AvgWindow2d): void;
  /** Overwrites gradIn [planes, inH, inW] with each window's gradOut / divisor spread over the window. */
  avgPool2dBackward(gradOut: Storage, gradOutOffset: number, gradIn: Storage, planes: number, w: AvgWindow2d): void;
  adaptiveAvgPool2d(x: Storage, xOffset: number, out: Storage, planes: number, w: AdaptiveWindow2d): void;
  adaptiveAvgPool2dBackward(gradOut: Storage, gradOutOffset: number, gradIn: Storage, planes: number, w: AdaptiveWindow2d): void;
  /**
   * One LSTM step (assembly/rnn.ts) over `rows` rows: gates [rows, 4H] holds the pre-activations
   * (i, f, g, o) and is overwritten with the activated gates; writes c = f·cPrev + i·g and h = o·tanh(c).
   */
  lstmCell(gates: Block, cPrev: Block, c: Block, h: Block, rows: number, hidden: number): void;
  /**
   * Its backward: from the activated gates, cPrev, c and the gradients reaching h (dh, plus dhOut
   * unless null) and c (dc), writes the pre-activation gradients dGates and dcPrev (which may be dc).
   */
  lstmCellBackward(
    gates: Block,
    cPrev: Block,
    c: Block,
    dhOut: Block | null,
    dh: Block,
    dc: Block,
    dGates: Block,
    dcPrev: Block,
    rows: number,
    hidden: number,
  ): void;
  /**
   * One GRU step from xp [rows, 3H] (x·W_ihᵀ + b_ih) and hp [rows, 3H] (hPrev·W_hhᵀ), adding bHh
   * [3H] unless null: writes h and saved [rows, 4H] = r, z, n, W_hn·hPrev + b_hn.
   */
  gruCell(xp: Block, hp: Block, bHh: Block | null, hPrev: Block, h: Block, saved: Block, rows: number, hidden: number): void;
  /**
   * Its backward: writes dxp and dhp [rows, 3H] (the gradients of the two projections) and dhPrev =
   * (dh + dhOut)·z (which may be dh), the part of hPrev's gradient that skips the projection.
   */
  gruCellBackward(saved: Block, hPrev: Block, dhOut: Block | null, dh: Block, dxp: Block, dhp: Block, dhPrev: Block, rows: number, hidden: number): void;
  /**
   * softmax(scale·q·kᵀ + mask)·v (assembly/attention.ts) into out [batch, L, Ev], and each row's
   * log-sum-exp of the scores into lse [batch, L] for the backward.
   */
  attention(q: Block, k: Block, v: Block, mask: Block | null, out: Block, lse: Block, d: AttentionDims): void;
  /** Its backward from the forward's out and lse and the gradient dOut: overwrites dq, dk and dv. */
  attentionBackward(
    q: Block,
    k: Block,
    v: Block,
    mask: Block | null,
    out: Block,
    lse: Block,
    dOut: Block,
    dq: Block,
    dk: Block,
    dv: Block,
    d: AttentionDims,
  ): void;
  /** Storages and bytes held by this backend (for memoryStats). */
  stats(): MemoryStats;
  /** Moves a storage's contents out of backend memory until its next use (a no-op where memory is JS's own). */
  spill(storage: Storage): void;
  /** A training step boundary (a backward() or zeroGrad() that released a graph): what a step touched is not spilled. */
  stepBoundary(): void;
}
