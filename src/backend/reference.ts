/**
 * The reference backend: every kernel as a plain loop over typed arrays, computed in float64 and
 * stored in the storage's dtype. It is the oracle the SIMD kernels are tested against, the backend
 * `gradcheck` runs on in float64, and the code to read first to learn what a kernel does.
 * The wasm backend reuses these loops, over views of its linear memory, for dtypes and ops that
 * have no SIMD kernel.
 */
import type { DType, TypedArray } from '../dtype.js';
import { arrayTypeOf } from '../dtype.js';
import type { Backend, BinaryOp, GemmArgs, MemoryStats, ReduceOp, Storage, Strided, UnaryOp } from './backend.js';

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** erf to ~1e-15: Taylor series near 0, a continued fraction for erfc in the tails. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return Math.sign(x);
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))), evaluated bottom-up.
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

export const unaryFns: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  abs: Math.abs,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  relu: (x) => (x > 0 ? x : x === 0 || x < 0 ? 0 : x),
  gelu: (x) => 0.5 * x * (1 + erf(x * SQRT1_2)),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
  geluGrad: (x) => 0.5 * (1 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x),
};

const nanAware = (pick: (a: number, b: number) => number) => (a: number, b: number) =>
  Number.isNaN(a) || Number.isNaN(b) ? NaN : pick(a, b);

export const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: nanAware(Math.max),
  minimum: nanAware(Math.min),
  eq: (a, b) => +(a === b),
  ne: (a, b) => +(a !== b),
  lt: (a, b) => +(a < b),
  le: (a, b) => +(a <= b),
  gt: (a, b) => +(a > b),
  ge: (a, b) => +(a >= b),
};

/** int32 arithmetic wraps like C's int32_t instead of drifting into floats. */
const intFns: Partial<Record<BinaryOp, (a: number, b: number) => number>> = {
  add: (a, b) => (a + b) | 0,
  sub: (a, b) => (a - b) | 0,
  mul: Math.imul,
};

/**
 * Calls `body(i, offsets)` for every element of `shape` in row-major order, where offsets[j] is
 * the element offset of operand j. Counter-based, so it allocates once per call, not per element.
 */
export function forEachStrided(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  starts: readonly number[],
  body: (i: number, offsets: number[]) => void,
): void {
  const ndim = shape.length;
  let total = 1;
  for (const s of shape) total *= s;
  if (total === 0) return;
  const offsets = [...starts];
  const index = new Array<number>(ndim).fill(0);
  for (let i = 0; i < total; i++) {
    body(i, offsets);
    for (let d = ndim - 1; d >= 0; d--) {
      index[d]++;
      for (let j = 0; j < offsets.length; j++) offsets[j] += strides[j][d];
      if (index[d] < shape[d]) break;
      for (let j = 0; j < offsets.length; j++) offsets[j] -= strides[j][d] * shape[d];
      index[d] = 0;
    }
  }
}

/** The loops, over any typed arrays; shared by both backends. */
export const loops = {
  unary(op: UnaryOp, x: TypedArray, xOffset: number, out: TypedArray, n: number): void {
    const f = unaryFns[op];
    for (let i = 0; i < n; i++) out[i] = f(x[xOffset + i]);
  },
  clamp(x: TypedArray, xOffset: number, out: TypedArray, n: number, lo: number, hi: number): void {
    for (let i = 0; i < n; i++) {
      const v = x[xOffset + i];
      out[i] = Number.isNaN(v) ? v : Math.min(Math.max(v, lo), hi);
    }
  },
  binary(op: BinaryOp, a: TypedArray, aS: Strided, b: TypedArray, bS: Strided, out: TypedArray, shape: readonly number[]): void {
    const f = (out instanceof Int32Array && intFns[op]) || binaryFns[op];
    forEachStrided(shape, [aS.strides, bS.strides], [aS.offset, bS.offset], (i, [ia, ib]) => {
      out[i] = f(a[ia], b[ib]);
    });
  },
  copy(x: TypedArray, xS: Strided, out: TypedArray, outOffset: number, shape: readonly number[]): void {
    forEachStrided(shape, [xS.strides], [xS.offset], (i, [ix]) => {
      out[outOffset + i] = x[ix];
    });
  },
  reduce(op: ReduceOp, x: TypedArray, xOffset: number, out: TypedArray, outer: number, len: number, inner: number): void {
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const base = xOffset + o * len * inner + j;
        let acc = op === 'sum' ? 0 : x[base];
        let arg = 0;
        for (let r = op === 'sum' ? 0 : 1; r < len; r++) {
          const v = x[base + r * inner];
          if (op === 'sum') acc += v;
          else if (Number.isNaN(acc)) break;
          else if (op === 'max' || op === 'argmax' ? v > acc || Number.isNaN(v) : v < acc || Number.isNaN(v)) {
            acc = v;
            arg = r;
          }
        }
        out[o * inner + j] = op === 'argmax' || op === 'argmin' ? arg : len === 0 && op !== 'sum' ? NaN : acc;
      }
    }
  },
  softmax(log: boolean, x: TypedArray, xOffset: number, out: TypedArray, rows: number, cols: number): void {
    for (let r = 0; r < rows; r++) {
      const base = xOffset + r * cols;
      let max = -Infinity;
      for (let c = 0; c < cols; c++) max = Math.max(max, x[base + c]);
      // NOTE: subtracting the max keeps exp() from overflowing; an all -inf row gives NaN, as in PyTorch.
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(x[base + c] - max);
      const logSum = Math.log(sum);
      for (let c = 0; c < cols; c++) {
        const shifted = x[base + c] - max;
        out[r * cols + c] = log ? shifted - logSum : Math.exp(shifted) / sum;
      }
    }
  },
  gemm(g: GemmArgs, a: TypedArray, b: TypedArray, c: TypedArray): void {
    for (let i = 0; i < g.m; i++) {
      for (let j = 0; j < g.n; j++) {
        let acc = 0;
        for (let p = 0; p < g.k; p++) {
          const av = a[g.aOffset + (g.transA ? p * g.lda + i : i * g.lda + p)];
          const bv = b[g.bOffset + (g.transB ? j * g.ldb + p : p * g.ldb + j)];
          acc += av * bv;
        }
        const ci = g.cOffset + i * g.ldc + j;
        c[ci] = g.beta === 0 ? g.alpha * acc : g.alpha * acc + g.beta * c[ci];
      }
    }
  },
  fill(out: TypedArray, offset: number, n: number, value: number): void {
    out.fill(value, offset, offset + n);
  },
  cast(x: TypedArray, xOffset: number, out: TypedArray, n: number): void {
    const toInt = out instanceof Int32Array;
    for (let i = 0; i < n; i++) out[i] = toInt ? Math.trunc(x[xOffset + i]) | 0 : x[xOffset + i];
  },
};

/** Plain TypeScript backend; storages are ordinary typed arrays the garbage collector owns. */
export class ReferenceBackend implements Backend {
  readonly device = 'js' as const;
  private live = 0;
  private peak = 0;

  alloc(dtype: Exclude<DType, 'bool'>, length: number): Storage {
    const array = new (arrayTypeOf(dtype))(length);
    this.live += array.byteLength;
    this.peak = Math.max(this.peak, this.live);
    return { backend: this, dtype, length, ptr: 0, array, refs: 0, version: 0, released: false };
  }
  free(storage: Storage): void {
    this.live -= storage.array!.byteLength;
  }
  view(storage: Storage): TypedArray {
    return storage.array!;
  }
  unary(op: UnaryOp, x: Storage, xOffset: number, out: Storage, n: number): void {
    loops.unary(op, this.view(x), xOffset, this.view(out), n);
  }
  clamp(x: Storage, xOffset: number, out: Storage, n: number, lo: number, hi: number): void {
    loops.clamp(this.view(x), xOffset, this.view(out), n, lo, hi);
  }
  binary(op: BinaryOp, a: Strided, b: Strided, out: Storage, shape: readonly number[]): void {
    loops.binary(op, this.view(a.storage), a, this.view(b.storage), b, this.view(out), shape);
  }
  copy(x: Strided, out: Storage, outOffset: number, shape: readonly number[]): void {
    loops.copy(this.view(x.storage), x, this.view(out), outOffset, shape);
  }
  reduce(op: ReduceOp, x: Storage, xOffset: number, out: Storage, outer: number, len: number, inner: number): void {
    loops.reduce(op, this.view(x), xOffset, this.view(out), outer, len, inner);
  }
  softmax(log: boolean, x: Storage, xOffset: number, out: Storage, rows: number, cols: number): void {
    loops.softmax(log, this.view(x), xOffset, this.view(out), rows, cols);
  }
  gemm(g: GemmArgs): void {
    loops.gemm(g, this.view(g.a), this.view(g.b), this.view(g.c));
  }
  fill(out: Storage, offset: number, n: number, value: number): void {
    loops.fill(this.view(out), offset, n, value);
  }
  cast(x: Storage, xOffset: number, out: Storage, n: number): void {
    loops.cast(this.view(x), xOffset, this.view(out), n);
  }
  stats(): Omit<MemoryStats, 'liveTensors'> {
    return { liveBytes: this.live, cachedBytes: 0, wasmBytes: 0, peakBytes: this.peak };
  }
}
