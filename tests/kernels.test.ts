// Direct tests of the wasm kernels (assembly/*.ts) against plain JS
// reference loops. Instantiates the inlined module itself so these run
// independently of the TS backend. Run `npm run build:wasm` first.
import { describe, it, expect, beforeEach } from 'vitest';
import { mulberry32 } from './helpers.js';
import type { KernelExports } from '../src/backend/kernel-exports.js';
import { ADD, DIV, MAXIMUM, MINIMUM, MUL, POW, SUB } from '../src/backend/op-codes.js';
import { instantiateKernels, kernelsMemory, wasmBuilds } from '../src/backend/wasm-builds.js';

type Ptr = number;
/** The kernels whose parameters are exactly P (so a misspelt name in a case table is a type error). */
type KernelName<P extends unknown[]> = {
  [N in keyof KernelExports]: KernelExports[N] extends (...args: infer A) => void ? (A extends P ? (P extends A ? N : never) : never) : never;
}[keyof KernelExports];
type UnaryKernel = KernelName<[x: number, out: number, n: number]>;
type BinaryKernel = KernelName<[a: number, b: number, out: number, n: number]>;

const K = instantiateKernels(kernelsMemory(false), false, false);

// --- tiny bump allocator over the module memory -------------------------

let top = 0;
function alloc(nElems: number, misalign = 0): Ptr {
  const p = ((top + 15) & ~15) + misalign;
  top = p + nElems * 4 + 16;
  const need = top - K.memory.buffer.byteLength;
  if (need > 0) K.memory.grow(Math.ceil(need / 65536));
  return p;
}
const f32 = (p: Ptr, n: number) => new Float32Array(K.memory.buffer, p, n);
const i32 = (p: Ptr, n: number) => new Int32Array(K.memory.buffer, p, n);
function putF32(data: ArrayLike<number>, misalign = 0): Ptr {
  const p = alloc(data.length, misalign);
  f32(p, data.length).set(data);
  return p;
}
function putI32(data: ArrayLike<number>, misalign = 0): Ptr {
  const p = alloc(data.length, misalign);
  i32(p, data.length).set(data);
  return p;
}
const getF32 = (p: Ptr, n: number) => Array.from(f32(p, n));
const getI32 = (p: Ptr, n: number) => Array.from(i32(p, n));

beforeEach(() => {
  top = K.heapBase();
});

// --- seeded data ----------------------------------------------------------

function randF32(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = mulberry32(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

const SIZES = [0, 1, 3, 4, 5, 17, 1000];
const fr = Math.fround;

// Same value including NaN and the sign of zero.
function sameF32(got: number[], want: number[]) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], fr(want[i]))) {
      throw new Error(`index ${i}: got ${got[i]}, want ${fr(want[i])}`);
    }
  }
}

// Max of |got - ref| / (|ref| + floor) over the samples.
function maxRelErr(got: ArrayLike<number>, ref: (i: number) => number, floor = 0): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const r = ref(i);
    const e = Math.abs(got[i] - r) / (Math.abs(r) + floor);
    if (!(e <= worst)) worst = e; // NaN mismatch shows up as NaN
  }
  return worst;
}

function erf(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2.5) {
    let s = 0;
    let t = ax;
    for (let k = 0; k < 200; k++) {
      s += t / (2 * k + 1);
      t *= (-ax * ax) / (k + 1);
      if (Math.abs(t) < 1e-17 * Math.abs(s)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * s;
  } else {
    r = 1 - erfcLarge(ax);
  }
  return x < 0 ? -r : r;
}
function erfcLarge(x: number): number {
  let f = 0;
  for (let k = 60; k >= 1; k--) f = k / 2 / (x + f);
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + f);
}
const erfc = (x: number) => (x < 2.5 ? 1 - erf(x) : erfcLarge(x));
const geluRef = (x: number) => 0.5 * x * erfc(-x / Math.SQRT2);
const sigmoidRef = (x: number) => 1 / (1 + Math.exp(-x));

function runUnary(name: UnaryKernel, x: ArrayLike<number>, misalign = 0): number[] {
  const px = putF32(x, misalign);
  const po = alloc(x.length, misalign);
  K[name](px, po, x.length);
  return getF32(po, x.length);
}

// --- module ---------------------------------------------------------------

describe('module', () => {
  it('imports only its memory, exports it and a 16-aligned heap base', () => {
    const mod = new WebAssembly.Module(wasmBuilds.kernels() as BufferSource);
    expect(WebAssembly.Module.imports(mod)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    expect(K.memory).toBeInstanceOf(WebAssembly.Memory);
    expect(K.heapBase() % 16).toBe(0);
    expect(K.heapBase()).toBeGreaterThan(0);
    expect(K.gemmWorkBytes()).toBeGreaterThan(0);
  });
});

// --- unary ----------------------------------------------------------------

describe('unary exact ops', () => {
  const cases: [UnaryKernel, (x: number) => number][] = [
    ['negF32', (x) => -x],
    ['absF32', (x) => Math.abs(x)],
    ['sqrtF32', (x) => Math.sqrt(x)],
    ['reluF32', (x) => (Number.isNaN(x) ? NaN : x > 0 ? x : 0)],
  ];
  for (const [name, ref] of cases) {
    it(`${name} matches for all sizes and alignments`, () => {
      for (const n of SIZES) {
        for (const mis of [0, 4]) {
          top = K.heapBase();
          const x = randF32(n, n + 1, -4, 4);
          if (name === 'sqrtF32') for (let i = 0; i < n; i++) x[i] = Math.abs(x[i]);
          sameF32(runUnary(name, x, mis), Array.from(x, ref));
        }
      }
    });
  }
  it('neg/abs/relu special values', () => {
    const sp = [0, -0, Infinity, -Infinity, NaN, -1.5];
    sameF32(runUnary('negF32', sp), [-0, 0, -Infinity, Infinity, NaN, 1.5]);
    sameF32(runUnary('absF32', sp), [0, 0, Infinity, Infinity, NaN, 1.5]);
    // torch.relu keeps -0 and NaN.
    sameF32(runUnary('reluF32', sp), [0, -0, Infinity, 0, NaN, 0]);
    sameF32(runUnary('sqrtF32', sp), [0, -0, Infinity, NaN, NaN, NaN]);
  });
  it('rsqrt within 1 ulp-ish', () => {
    const x = randF32(1000, 7, 1e-3, 1e3);
    const got = runUnary('rsqrtF32', x);
    expect(maxRelErr(got, (i) => 1 / Math.sqrt(x[i]))).toBeLessThan(2.5e-7);
  });
});

describe('transcendental accuracy', () => {
  // Dense linspace sweeps (not random) so the extremes are always hit.
  function sweep(lo: number, hi: number, n = 20011): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = lo + ((hi - lo) * i) / (n - 1);
    return a;
  }
  it('exp relative error ≤ 3e-7 over the finite range, subnormals to 1 ulp', () => {
    for (const [lo, hi] of [
      [-87, 88.7],
      [-1, 1],
      [-1e-4, 1e-4],
    ]) {
      const x = sweep(lo, hi);
      expect(maxRelErr(runUnary('expF32', x), (i) => Math.exp(x[i]))).toBeLessThan(3e-7);
    }
    const x = sweep(-103.9, -87);
    const got = runUnary('expF32', x);
    for (let i = 0; i < x.length; i++) {
      expect(Math.abs(got[i] - Math.exp(x[i]))).toBeLessThanOrEqual(3e-7 * Math.exp(x[i]) + 1.5e-45);
    }
  });
  it('exp special values', () => {
    sameF32(runUnary('expF32', [0, -0, Infinity, -Infinity, NaN, 88.8, 89, 1e30, -104, -200, -1e30]), [
      1,
      1,
      Infinity,
      0,
      NaN,
      Infinity,
      Infinity,
      Infinity,
      0,
      0,
      0,
    ]);
  });
  it('log relative error ≤ 3e-7 incl. subnormal inputs', () => {
    for (const [lo, hi] of [
      [1e-30, 10],
      [0.5, 2],
      [1, 3e38],
      [1e-45, 1.2e-38],
    ]) {
      const x = sweep(lo, hi);
      expect(maxRelErr(runUnary('logF32', x), (i) => Math.log(x[i]))).toBeLessThan(3e-7);
    }
  });
  it('log special values', () => {
    sameF32(runUnary('logF32', [0, -0, -1, -Infinity, Infinity, NaN, 1]), [-Infinity, -Infinity, NaN, NaN, Infinity, NaN, 0]);
  });
  it('tanh is accurate near 0 and saturates', () => {
    for (const [lo, hi] of [
      [-10, 10],
      [-1, 1],
      [-1e-3, 1e-3],
    ]) {
      const x = sweep(lo, hi);
      expect(maxRelErr(runUnary('tanhF32', x), (i) => Math.tanh(x[i]))).toBeLessThan(3e-7);
    }
    sameF32(runUnary('tanhF32', [0, -0, 20, -20, 1e30, Infinity, -Infinity, NaN, 1e-30]), [0, -0, 1, -1, 1, 1, -1, NaN, 1e-30]);
  });
  it('sigmoid is accurate and never overflows', () => {
    for (const [lo, hi] of [
      [-80, 80],
      [-5, 5],
    ]) {
      const x = sweep(lo, hi);
      expect(maxRelErr(runUnary('sigmoidF32', x), (i) => sigmoidRef(x[i]))).toBeLessThan(3e-7);
    }
    const got = runUnary('sigmoidF32', [-100, 100, 0, Infinity, -Infinity, NaN, -1000]);
    expect(got[0]).toBeGreaterThanOrEqual(0);
    expect(got[0]).toBeLessThan(1e-43);
    expect(got.slice(1)).toEqual([1, 0.5, 1, 0, NaN, 0]);
  });
  it('gelu matches the exact erf form', () => {
    const x = sweep(-10, 10);
    const got = runUnary('geluF32', x);
    // ~1 ulp of the result plus 1e-7 absolute (erf accuracy)
    for (let i = 0; i < x.length; i++) {
      const r = geluRef(x[i]);
      expect(Math.abs(got[i] - r)).toBeLessThanOrEqual(2e-7 * Math.abs(r) + 1e-7);
    }
    const xs = sweep(-3, 3);
    expect(maxRelErr(runUnary('geluF32', xs), (i) => geluRef(xs[i]), 1e-3)).toBeLessThan(1e-6);
    sameF32(runUnary('geluF32', [0, Infinity, NaN]), [0, Infinity, NaN]);
    const t = runUnary('geluF32', [-Infinity, -30]);
    expect(t.every((v) => v === 0)).toBe(true);
    // sanity check of the JS erf reference itself: Φ(1)
    expect(fr(geluRef(1))).toBeCloseTo(0.8413447460685429, 6);
  });
  it('sin/cos match Math within 1e-6 absolute, tails included', () => {
    for (const n of [1, 3, 5, 17, 1000]) {
      const x = randF32(n, 99 + n, -50, 50);
      expect(maxRelErr(runUnary('sinF32', x), (i) => Math.sin(x[i]), 1)).toBeLessThan(1e-6);
      expect(maxRelErr(runUnary('cosF32', x), (i) => Math.cos(x[i]), 1)).toBeLessThan(1e-6);
    }
  });
  it('transcendentals agree between SIMD bulk and scalar tail', () => {
    const x = randF32(7, 5, -3, 3);
    for (const name of ['expF32', 'logF32', 'tanhF32', 'sigmoidF32', 'geluF32'] as const) {
      const xx = name === 'logF32' ? x.map(Math.abs) : x;
      const viaTail = runUnary(name, xx); // n = 7: lanes 4..6 take the scalar tail
      const viaBulk = runUnary(name, Float32Array.from([...xx, 1])); // n = 8: all SIMD
      expect(viaTail.slice(4)).toEqual(viaBulk.slice(4, 7));
    }
  });
});

describe('clamp and reluBackward', () => {
  it('clamp with finite and infinite bounds, NaN stays NaN', () => {
    for (const n of SIZES) {
      const x = randF32(n, 11 + n, -3, 3);
      if (n > 2) x[2] = NaN;
      const px = putF32(x);
      const po = alloc(n);
      K.clampF32(px, po, n, -1, 0.5);
      sameF32(
        getF32(po, n),
        Array.from(x, (v) => (Number.isNaN(v) ? NaN : Math.min(Math.max(v, -1), 0.5))),
      );
      K.clampF32(px, po, n, -Infinity, 0.25);
      sameF32(
        getF32(po, n),
        Array.from(x, (v) => (Number.isNaN(v) ? NaN : Math.min(v, 0.25))),
      );
      K.clampF32(px, px, n, 0, Infinity); // in place
      sameF32(
        getF32(px, n),
        Array.from(x, (v) => (Number.isNaN(v) ? NaN : Math.max(v, 0))),
      );
    }
  });
  it('reluBackward gives 0 where x <= 0 and passes grad elsewhere, NaN included (torch threshold_backward)', () => {
    for (const n of SIZES) {
      const x = randF32(n, 3 + n);
      if (n > 3) {
        x[0] = 0;
        x[1] = NaN;
      }
      const g = randF32(n, 4 + n);
      const px = putF32(x, 4);
      const pg = putF32(g);
      const po = alloc(n);
      K.reluBackwardF32(px, pg, po, n);
      sameF32(
        getF32(po, n),
        Array.from(x, (v, i) => (v <= 0 ? 0 : g[i])),
      );
    }
  });
});

// --- binary ---------------------------------------------------------------

const BIN_OPS: [BinaryKernel, number, (a: number, b: number) => number][] = [
  ['addF32', ADD, (a, b) => a + b],
  ['subF32', SUB, (a, b) => a - b],
  ['mulF32', MUL, (a, b) => a * b],
  ['divF32', DIV, (a, b) => a / b],
  ['powF32', POW, (a, b) => Math.pow(a, b)],
  ['maximumF32', MAXIMUM, (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b))],
  ['minimumF32', MINIMUM, (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b))],
];

function expectBinary(name: string, got: number[], want: number[]) {
  if (name === 'powF32') {
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) {
      const w = fr(want[i]);
      if (Number.isNaN(w)) expect(got[i]).toBeNaN();
      else expect(Math.abs(got[i] - w)).toBeLessThanOrEqual(2.5e-7 * Math.abs(w));
    }
  } else sameF32(got, want);
}

describe('binary contiguous', () => {
  for (const [name, , ref] of BIN_OPS) {
    it(`${name} for all sizes, NaN semantics, in place`, () => {
      for (const n of SIZES) {
        const a = randF32(n, 21 + n, name === 'powF32' ? 0.1 : -2, 2);
        const b = randF32(n, 22 + n, -2, 2);
        if (n >= 5 && name !== 'powF32') {
          a[1] = NaN;
          b[4] = NaN;
        }
        const pa = putF32(a, 4);
        const pb = putF32(b);
        const po = alloc(n, 8);
        K[name](pa, pb, po, n);
        const want = Array.from(a, (v, i) => ref(v, b[i]));
        expectBinary(name, getF32(po, n), want);
        K[name](pa, pb, pa, n); // out aliases a
        expectBinary(name, getF32(pa, n), want);
      }
    });
  }
  it('pow follows C powf special cases', () => {
    const a = [2, -2, -2, 0, 0, 1, NaN, -8];
    const b = [10, 3, 0.5, -1, 0, NaN, 0, 1 / 3];
    const pa = putF32(a);
    const pb = putF32(b);
    const po = alloc(a.length);
    K.powF32(pa, pb, po, a.length);
    const got = getF32(po, a.length);
    expect(got.slice(0, 2)).toEqual([1024, -8]);
    expect(got[2]).toBeNaN();
    expect(got.slice(3, 7)).toEqual([Infinity, 1, 1, 1]);
    expect(got[7]).toBeNaN();
  });
});

// Reference for binaryF32: iterate `shape` row-major, offsets from strides.
function stridedRef(shape: number[], sa: number[], sb: number[], a: ArrayLike<number>, b: ArrayLike<number>, f: (x: number, y: number) => number): number[] {
  const n = shape.reduce((p, s) => p * s, 1);
  const out: number[] = [];
  for (let lin = 0; lin < n; lin++) {
    let rem = lin;
    let oa = 0;
    let ob = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      const idx = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
      oa += idx * sa[d];
      ob += idx * sb[d];
    }
    out.push(f(a[oa], b[ob]));
  }
  return out;
}

describe('binaryF32 strided/broadcast', () => {
  const M = 7;
  const N = 13;
  const cases: { name: string; shape: number[]; sa: number[]; sb: number[]; na: number; nb: number }[] = [
    { name: 'same shape contiguous', shape: [M, N], sa: [N, 1], sb: [N, 1], na: M * N, nb: M * N },
    { name: 'row broadcast [M,N]+[N]', shape: [M, N], sa: [N, 1], sb: [0, 1], na: M * N, nb: N },
    { name: 'column broadcast [M,N]+[M,1]', shape: [M, N], sa: [N, 1], sb: [1, 0], na: M * N, nb: M },
    { name: 'scalar on the right', shape: [M, N], sa: [N, 1], sb: [0, 0], na: M * N, nb: 1 },
    { name: 'scalar on the left', shape: [M, N], sa: [0, 0], sb: [N, 1], na: 1, nb: M * N },
    { name: 'transposed view of a', shape: [M, N], sa: [1, M], sb: [N, 1], na: M * N, nb: M * N },
    { name: 'outer product [M,1]*[1,N]', shape: [M, N], sa: [1, 0], sb: [0, 1], na: M, nb: N },
    { name: '3-d with size-1 and broadcast dims', shape: [3, 1, 5, 6], sa: [30, 30, 6, 1], sb: [0, 7, 1, 0], na: 90, nb: 5 },
    { name: 'strided inner (every 2nd)', shape: [4, 9], sa: [18, 2], sb: [9, 1], na: 72, nb: 36 },
    { name: '1-d scalar tail', shape: [5], sa: [1], sb: [1], na: 5, nb: 5 },
    { name: 'zero-size dim', shape: [3, 0, 4], sa: [0, 4, 1], sb: [0, 4, 1], na: 1, nb: 1 },
    { name: 'all size-1', shape: [1, 1], sa: [5, 3], sb: [0, 0], na: 1, nb: 1 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const a = randF32(c.na, 31, 0.5, 2);
      const b = randF32(c.nb, 32, -2, 2);
      const n = c.shape.reduce((p, s) => p * s, 1);
      for (const [opName, op, ref] of BIN_OPS) {
        top = K.heapBase();
        const pa = putF32(a, 4);
        const pb = putF32(b);
        const po = alloc(n);
        f32(po, n).fill(-12345);
        const meta = putI32([...c.shape, ...c.sa, ...c.sb]);
        K.binaryF32(op, pa, pb, po, c.shape.length, meta);
        expectBinary(opName, getF32(po, n), stridedRef(c.shape, c.sa, c.sb, a, b, ref));
      }
    });
  }
  it('large row broadcast exercises SIMD bulk + tails', () => {
    const shape = [33, 101];
    const a = randF32(33 * 101, 41);
    const b = randF32(101, 42);
    const pa = putF32(a);
    const pb = putF32(b);
    const po = alloc(a.length);
    K.binaryF32(0, pa, pb, po, 2, putI32([...shape, 101, 1, 0, 1]));
    sameF32(
      getF32(po, a.length),
      stridedRef(shape, [101, 1], [0, 1], a, b, (x, y) => x + y),
    );
  });
});

describe('copy32', () => {
  it('materialises transposed, sliced and broadcast views (f32 and i32 bits)', () => {
    const src = randF32(60, 51);
    const views: { shape: number[]; strides: number[]; off: number }[] = [
      { shape: [60], strides: [1], off: 0 },
      { shape: [5, 12], strides: [12, 1], off: 0 },
      { shape: [12, 5], strides: [1, 12], off: 0 }, // transpose
      { shape: [3, 2, 5], strides: [20, 5, 2], off: 1 }, // slice with step
      { shape: [4, 7], strides: [0, 1], off: 3 }, // broadcast rows
      { shape: [4, 7], strides: [1, 0], off: 3 }, // broadcast cols
      { shape: [2, 0], strides: [1, 1], off: 0 },
    ];
    for (const v of views) {
      const n = v.shape.reduce((p, s) => p * s, 1);
      const px = putF32(src);
      const po = alloc(n, 4);
      K.copy32(px + 4 * v.off, po, v.shape.length, putI32([...v.shape, ...v.strides]));
      const zeros = v.shape.map(() => 0);
      sameF32(
        getF32(po, n),
        stridedRef(v.shape, v.strides, zeros, src.subarray(v.off), [0], (x) => x),
      );
    }
    // bit-exact for i32 (incl. patterns that are NaN as floats)
    const ints = [0x7fc00001, -1, 5, 0x7f800001, 42, 7];
    const px = putI32(ints);
    const po = alloc(6);
    K.copy32(px, po, 2, putI32([3, 2, 1, 3]));
    expect(getI32(po, 6)).toEqual([ints[0], ints[3], ints[1], ints[4], ints[2], ints[5]]);
  });
});

describe('fill and casts', () => {
  it('fillF32/fillI32', () => {
    for (const n of SIZES) {
      const p = alloc(n + 1, 4);
      f32(p, n + 1).fill(7);
      K.fillF32(p, n, -2.5);
      expect(getF32(p, n + 1)).toEqual([...Array(n).fill(-2.5), 7]);
      K.fillI32(p, n, -3);
      expect(getI32(p, n)).toEqual(Array(n).fill(-3));
    }
  });
  it('castI32F32 and castF32I32 (truncate toward zero)', () => {
    for (const n of SIZES) {
      const r = mulberry32(n);
      const ints = Array.from({ length: n }, () => Math.floor((r() - 0.5) * 2 ** 31));
      const pi = putI32(ints);
      const po = alloc(n);
      K.castI32F32(pi, po, n);
      sameF32(getF32(po, n), ints);
      const fl = randF32(n, n + 9, -100, 100);
      const pf = putF32(fl);
      K.castF32I32(pf, po, n);
      expect(getI32(po, n)).toEqual(Array.from(fl, (v) => Math.trunc(v) | 0));
    }
    const pf = putF32([-1.9, 1.9, -0.5, 3e9, -3e9, NaN]);
    const po = alloc(6);
    K.castF32I32(pf, po, 6);
    expect(getI32(po, 6)).toEqual([-1, 1, 0, 2147483647, -2147483648, 0]);
  });
});

// --- reductions -------------------------------------------------------------

function reduceRef(x: ArrayLike<number>, outer: number, len: number, inner: number, init: number, f: (acc: number, v: number, l: number) => number): number[] {
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let acc = init;
      for (let l = 0; l < len; l++) acc = f(acc, x[(o * len + l) * inner + j], l);
      out.push(acc);
    }
  }
  return out;
}

function argRef(x: ArrayLike<number>, outer: number, len: number, inner: number, max: boolean): number[] {
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let bi = 0;
      let bv = x[o * len * inner + j];
      for (let l = 1; l < len && !Number.isNaN(bv); l++) {
        const v = x[(o * len + l) * inner + j];
        if (Number.isNaN(v) || (max ? v > bv : v < bv)) {
          bv = v;
          bi = l;
        }
      }
      out.push(bi);
    }
  }
  return out;
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 17, 1],
  [2, 1000, 1],
  [1, 5, 1],
  [4, 9, 3],
  [2, 7, 4],
  [3, 13, 11],
  [2, 33, 20],
  [5, 1, 6],
];

describe('axis reductions', () => {
  it('sum matches float64 reference', () => {
    for (const [outer, len, inner] of SHAPES) {
      const x = randF32(outer * len * inner, len + inner);
      const px = putF32(x, 4);
      const po = alloc(outer * inner);
      K.sumAxisF32(px, po, outer, len, inner);
      const want = reduceRef(x, outer, len, inner, 0, (a, v) => a + v);
      const got = getF32(po, outer * inner);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-6 * (len + 1));
    }
  });
  it('sum of 1e6 values stays accurate (inner == 1 and inner == 4)', () => {
    const n = 1_000_000;
    const x = randF32(n, 77, 0, 1);
    let exact = 0;
    for (let i = 0; i < n; i++) exact += x[i];
    const px = putF32(x);
    const po = alloc(4);
    K.sumAxisF32(px, po, 1, n, 1);
    expect(Math.abs(getF32(po, 1)[0] - exact) / exact).toBeLessThan(2e-7);
    K.sumAxisF32(px, po, 1, n / 4, 4);
    const cols = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) cols[i & 3] += x[i];
    const got = getF32(po, 4);
    for (let j = 0; j < 4; j++) expect(Math.abs(got[j] - cols[j]) / cols[j]).toBeLessThan(2e-7);
  });
  it('max/min match and propagate NaN', () => {
    for (const [outer, len, inner] of SHAPES) {
      const x = randF32(outer * len * inner, 3 * len + inner);
      if (x.length > 10) x[x.length - 2] = NaN;
      const px = putF32(x);
      const po = alloc(outer * inner);
      for (const [name, f] of [
        ['maxAxisF32', Math.max],
        ['minAxisF32', Math.min],
      ] as const) {
        K[name](px, po, outer, len, inner);
        sameF32(
          getF32(po, outer * inner),
          reduceRef(x, outer, len, inner, name === 'maxAxisF32' ? -Infinity : Infinity, (a, v) => f(a, v)),
        );
      }
    }
  });
  it('argmax/argmin: first index on ties, first NaN wins', () => {
    for (const [outer, len, inner] of SHAPES) {
      const r = mulberry32(len * 31 + inner);
      // few distinct values so ties are common
      const x = Float32Array.from({ length: outer * len * inner }, () => Math.floor(r() * 5));
      const po = alloc(outer * inner);
      for (const withNaN of [false, true]) {
        if (withNaN && x.length > 6) {
          x[x.length - 3] = NaN;
          x[x.length - 1] = NaN;
          x[1] = NaN;
        }
        const px = putF32(x);
        K.argmaxAxisF32(px, po, outer, len, inner);
        expect(getI32(po, outer * inner)).toEqual(argRef(x, outer, len, inner, true));
        K.argminAxisF32(px, po, outer, len, inner);
        expect(getI32(po, outer * inner)).toEqual(argRef(x, outer, len, inner, false));
      }
    }
  });
  it('argmax with a long row: tie across SIMD lanes resolves to the first index', () => {
    const x = new Float32Array(103).fill(1);
    x[13] = 9;
    x[6] = 9;
    x[50] = 9;
    const px = putF32(x);
    const po = alloc(1);
    K.argmaxAxisF32(px, po, 1, 103, 1);
    expect(getI32(po, 1)[0]).toBe(6);
    x[99] = NaN;
    x[41] = NaN;
    K.argmaxAxisF32(putF32(x), po, 1, 103, 1);
    expect(getI32(po, 1)[0]).toBe(41);
    K.argminAxisF32(putF32(x), po, 1, 103, 1);
    expect(getI32(po, 1)[0]).toBe(41);
  });
});

describe('softmax', () => {
  function ref(x: ArrayLike<number>, rows: number, cols: number, log: boolean): number[] {
    const out: number[] = [];
    for (let r = 0; r < rows; r++) {
      const row = Array.from({ length: cols }, (_, j) => x[r * cols + j]);
      const m = Math.max(...row);
      const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
      for (const v of row) out.push(log ? v - m - Math.log(s) : Math.exp(v - m) / s);
    }
    return out;
  }
  it('softmax/logSoftmax match for odd shapes, in place too', () => {
    for (const [rows, cols] of [
      [1, 1],
      [3, 3],
      [2, 4],
      [5, 17],
      [4, 1000],
    ]) {
      const x = randF32(rows * cols, rows * cols, -20, 20);
      const px = putF32(x);
      const po = alloc(rows * cols, 4);
      K.softmaxF32(px, po, rows, cols);
      const sm = ref(x, rows, cols, false);
      // x - max is rounded to f32 (as in torch): up to ulp(40)/2 error in the
      // exponent argument, i.e. ~2e-6 relative in the result.
      expect(maxRelErr(getF32(po, rows * cols), (i) => sm[i], 1e-30)).toBeLessThan(4e-6);
      K.logSoftmaxF32(px, po, rows, cols);
      const lsm = ref(x, rows, cols, true);
      expect(maxRelErr(getF32(po, rows * cols), (i) => lsm[i], 1)).toBeLessThan(2e-6);
      K.softmaxF32(px, px, rows, cols);
      expect(maxRelErr(getF32(px, rows * cols), (i) => sm[i], 1e-30)).toBeLessThan(4e-6);
    }
  });
  it('large logits do not overflow; all -inf row gives NaN', () => {
    const x = [1000, 999, -1e30, 0, -Infinity, -Infinity, -Infinity, -Infinity, 5, -Infinity, 5, 5];
    const px = putF32(x);
    const po = alloc(12);
    K.softmaxF32(px, po, 3, 4);
    const got = getF32(po, 12);
    expect(got[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    expect(got[1]).toBeCloseTo(Math.exp(-1) / (1 + Math.exp(-1)), 6);
    expect(got.slice(2, 4)).toEqual([0, 0]);
    expect(got.slice(4, 8).every(Number.isNaN)).toBe(true);
    expect(got.slice(8)).toEqual([fr(1 / 3), 0, fr(1 / 3), fr(1 / 3)]);
    K.logSoftmaxF32(px, po, 3, 4);
    const lg = getF32(po, 12);
    expect(lg[0]).toBeCloseTo(-Math.log1p(Math.exp(-1)), 6);
    expect(lg[4]).toBeNaN();
    expect(lg[9]).toBe(-Infinity);
  });
});

// --- GEMM -----------------------------------------------------------------

describe('gemmF32', () => {
  function run(ta: number, tb: number, m: number, n: number, k: number, alpha: number, beta: number, cInit: 'rand' | 'nan', seed: number) {
    const lda = (ta ? m : k) + 3; // padded leading dims
    const ldb = (tb ? k : n) + 1;
    const ldc = n + 2;
    const A = randF32((ta ? k : m) * lda, seed);
    const B = randF32((tb ? n : k) * ldb, seed + 1);
    const C = cInit === 'nan' ? new Float32Array(m * ldc).fill(NaN) : randF32(m * ldc, seed + 2);
    const pa = putF32(A, 4);
    const pb = putF32(B, 8);
    const pc = putF32(C, 4);
    const work = alloc(K.gemmWorkBytes() / 4);
    K.gemmF32(ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, work);
    const got = getF32(pc, m * ldc);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < ldc; j++) {
        const g = got[i * ldc + j];
        if (j >= n) {
          // padding columns must be untouched
          expect(Object.is(g, C[i * ldc + j])).toBe(true);
          continue;
        }
        let s = 0;
        let sa = 0;
        for (let p = 0; p < k; p++) {
          const av = ta ? A[p * lda + i] : A[i * lda + p];
          const bv = tb ? B[j * ldb + p] : B[p * ldb + j];
          s += av * bv;
          sa += Math.abs(av * bv);
        }
        const want = alpha * s + (beta === 0 ? 0 : beta * C[i * ldc + j]);
        const cTerm = beta === 0 ? 0 : Math.abs(beta * C[i * ldc + j]);
        const tol = 2e-7 * (k + 4) * (Math.abs(alpha) * sa + cTerm) + 1e-30;
        if (!(Math.abs(g - want) <= tol)) {
          throw new Error(`C[${i},${j}] = ${g}, want ${want} (ta=${ta} tb=${tb} ${m}x${n}x${k})`);
        }
      }
    }
  }
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [7, 13, 5],
    [33, 65, 17],
    [128, 96, 200],
    [5, 9, 300],
    [130, 520, 3],
  ];
  for (const [ta, tb] of [
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 1],
  ]) {
    it(`transA=${ta} transB=${tb}: odd shapes, beta = 0 with NaN-filled C`, () => {
      let seed = 100;
      for (const [m, n, k] of shapes) run(ta, tb, m, n, k, 1, 0, 'nan', seed++);
    });
    it(`transA=${ta} transB=${tb}: alpha/beta ≠ 0/1`, () => {
      run(ta, tb, 7, 13, 5, 0.5, -1.5, 'rand', 7);
      run(ta, tb, 33, 65, 270, -2, 0.25, 'rand', 8); // k spans two KC blocks
    });
  }
  it('k = 0 gives beta·C; beta = 0 zeroes C; m or n = 0 does nothing', () => {
    const C = randF32(12, 3);
    const pc = putF32(C);
    const work = alloc(K.gemmWorkBytes() / 4);
    K.gemmF32(0, 0, 3, 4, 0, 1, 0, 1, 0, 4, 2, pc, 4, work);
    sameF32(
      getF32(pc, 12),
      Array.from(C, (v) => 2 * v),
    );
    f32(pc, 12).fill(NaN);
    K.gemmF32(0, 0, 3, 4, 0, 1, 0, 1, 0, 4, 0, pc, 4, work);
    expect(getF32(pc, 12)).toEqual(Array(12).fill(0));
    f32(pc, 12).fill(NaN);
    K.gemmF32(0, 0, 0, 4, 5, 1, 0, 5, 0, 4, 0, pc, 4, work);
    K.gemmF32(0, 0, 3, 0, 5, 1, 0, 5, 0, 4, 0, pc, 4, work);
    expect(getF32(pc, 12).every(Number.isNaN)).toBe(true);
  });
});

describe('gemvF32 (one row of A)', () => {
  function run(tb: number, n: number, k: number, alpha: number, beta: number, seed: number) {
    const ldb = (tb ? k : n) + 3; // padded rows
    const a = randF32(k, seed);
    const B = randF32((tb ? n : k) * ldb, seed + 1);
    const C = beta === 0 ? new Float32Array(n + 2).fill(NaN) : randF32(n + 2, seed + 2);
    const pa = putF32(a, 4);
    const pb = putF32(B, 8);
    const pc = putF32(C, 4);
    K.gemvF32(tb, n, k, alpha, pa, pb, ldb, beta, pc);
    const got = getF32(pc, n + 2);
    for (let j = 0; j < n; j++) {
      let s = 0;
      let sa = 0;
      for (let p = 0; p < k; p++) {
        const t = a[p] * (tb ? B[j * ldb + p] : B[p * ldb + j]);
        s += t;
        sa += Math.abs(t);
      }
      const want = alpha * s + (beta === 0 ? 0 : beta * C[j]);
      const tol = 2e-7 * (k + 4) * (Math.abs(alpha) * sa + (beta === 0 ? 0 : Math.abs(beta * C[j]))) + 1e-30;
      if (!(Math.abs(got[j] - want) <= tol)) throw new Error(`c[${j}] = ${got[j]}, want ${want} (transB=${tb} n=${n} k=${k})`);
    }
    // The two entries past n are not written.
    expect(Object.is(got[n], C[n]) && Object.is(got[n + 1], C[n + 1])).toBe(true);
  }
  // n past 2048 crosses a column block of the streaming (k×n) path; k % 4 ≠ 0 leaves row tails.
  const shapes: [number, number][] = [
    [1, 1],
    [3, 5],
    [16, 16],
    [17, 7],
    [256, 784],
    [10, 257],
    [2051, 9],
  ];
  for (const tb of [0, 1]) {
    it(`transB=${tb}: odd shapes, beta = 0 over a NaN-filled c`, () => {
      let seed = 40;
      for (const [n, k] of shapes) run(tb, n, k, 1, 0, seed++);
    });
    it(`transB=${tb}: alpha/beta ≠ 0/1`, () => {
      run(tb, 37, 23, -0.5, 1.5, 9);
      run(tb, 2100, 6, 2, -1, 10);
    });
  }
});
