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
  /** Bumped by every in-place write, so backward can detect a saved tensor that was overwritten. */
  version: number;
  released: boolean;
}

/** Operand of a strided kernel: storage plus element offset and element strides (0 on broadcast dims). */
export interface Strided {
  readonly storage: Storage;
  readonly offset: number;
  readonly strides: readonly number[];
}

export type UnaryOp =
  | 'neg' | 'abs' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'relu' | 'gelu' | 'sign'
  /** d gelu(x) / dx, used by gelu's backward. */
  | 'geluGrad';

export type ArithOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type BinaryOp = ArithOp | CompareOp;
export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax' | 'argmin';

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

export interface MemoryStats {
  /** Tensors alive (not released) right now. */
  liveTensors: number;
  /** Bytes in blocks handed to live storages. */
  liveBytes: number;
  /** Bytes in freed blocks the caching allocator keeps for reuse. */
  cachedBytes: number;
  /** Size of the WASM linear memory (it never shrinks). */
  wasmBytes: number;
  /** Highest liveBytes seen. */
  peakBytes: number;
}

export interface Backend {
  readonly device: Device;
  alloc(dtype: Exclude<DType, 'bool'>, length: number): Storage;
  free(storage: Storage): void;
  /** A live view of the whole storage; short-lived: any later allocation may invalidate it. */
  view(storage: Storage): TypedArray;
  /** out[i] = op(x[xOffset + i]) for i < n; out is contiguous from 0. */
  unary(op: UnaryOp, x: Storage, xOffset: number, out: Storage, n: number): void;
  /** out[i] = min(max(x[xOffset + i], lo), hi). */
  clamp(x: Storage, xOffset: number, out: Storage, n: number, lo: number, hi: number): void;
  /** Elementwise a op b over `shape` with strided (possibly broadcast) operands into contiguous out. */
  binary(op: BinaryOp, a: Strided, b: Strided, out: Storage, shape: readonly number[]): void;
  /** Materialises a strided view into out, contiguous from `outOffset`. */
  copy(x: Strided, out: Storage, outOffset: number, shape: readonly number[]): void;
  /** Reduces the middle axis of a contiguous [outer, len, inner] block into [outer, inner]. */
  reduce(op: ReduceOp, x: Storage, xOffset: number, out: Storage, outer: number, len: number, inner: number): void;
  /** Softmax (or log-softmax) of each row of a contiguous [rows, cols] block. */
  softmax(log: boolean, x: Storage, xOffset: number, out: Storage, rows: number, cols: number): void;
  /** Row-major C = alpha·op(A)·op(B) + beta·C; beta = 0 never reads C. */
  gemm(args: GemmArgs): void;
  fill(out: Storage, offset: number, n: number, value: number): void;
  /** Converts n contiguous elements to out's dtype (float → int truncates toward zero). */
  cast(x: Storage, xOffset: number, out: Storage, n: number): void;
  /** Bytes held by this backend (for memoryStats). */
  stats(): Omit<MemoryStats, 'liveTensors'>;
}
