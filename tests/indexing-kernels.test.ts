// The wasm backend's where/gather/scatter/assign/indexBounds kernels (assembly/indexing.ts) against the
// reference backend's loops, called through the Backend interface with hand-made strided
// operands: odd sizes, transposed and offset views, broadcast (stride-0) operands, repeated
// indices. Both backends must agree bit for bit (the kernels move bits or add in f32 in the same
// order as the reference). Op-level checks: bad indices raise the same error on both devices.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from './helpers.js';
import type { Backend, Storage, Strided } from '../src/backend/backend.js';
import { backendFor } from '../src/device.js';
import { embedding, oneHot } from '../src/nn/functional.js';
import { randn, tensor, zeros, type Device } from '../src/index.js';

const wasm = backendFor('wasm');
const ref = backendFor('js');

const floats = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 4 - 2);
};
const ints = (n: number, seed: number, bound: number) => {
  const r = mulberry32(seed);
  return Int32Array.from({ length: n }, () => Math.floor(r() * bound));
};

type Dt = 'float32' | 'int32';
function put(b: Backend, dtype: Dt, values: ArrayLike<number>): Storage {
  const s = b.alloc(dtype, values.length);
  b.view(s).set(values);
  return s;
}
/** One operand on both backends: same values, same offset and strides. */
interface Pair {
  w: Strided;
  r: Strided;
}
function operand(dtype: Dt, values: ArrayLike<number>, strides: number[], offset = 0): Pair {
  return { w: { storage: put(wasm, dtype, values), offset, strides }, r: { storage: put(ref, dtype, values), offset, strides } };
}
/** The output storages' bits on both backends (int32 views, so NaN payloads and -0 compare too). */
function bits(w: Storage, r: Storage): [number[], number[]] {
  const asBits = (b: Backend, s: Storage) => Array.from(new Int32Array(new Float32Array(b.view(s)).buffer));
  return [asBits(wasm, w), asBits(ref, r)];
}
const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

describe('gather kernel (wasm vs reference)', () => {
  // [name, x values length, x strides (0 on the indexed dim), x offset, index shape-strides, index bound, step, shape]
  const cases: { name: string; xLen: number; xS: number[]; xOff?: number; iLen: number; iS: number[]; bound: number; step: number; shape: number[] }[] = [
    { name: 'embedding rows (one index per row), D = 13', xLen: 7 * 13, xS: [0, 1], iLen: 9, iS: [1, 0], bound: 7, step: 13, shape: [9, 13] },
    { name: 'embedding rows, D = 1 and 3', xLen: 5 * 3, xS: [0, 1], iLen: 11, iS: [1, 0], bound: 5, step: 3, shape: [11, 3] },
    { name: 'gather along the last dim (one index per element)', xLen: 5 * 11, xS: [11, 0], iLen: 5 * 6, iS: [6, 1], bound: 11, step: 1, shape: [5, 6] },
    {
      name: 'gather along the last dim, 19 per row (SIMD body + tail)',
      xLen: 3 * 23,
      xS: [23, 0],
      iLen: 3 * 19,
      iS: [19, 1],
      bound: 23,
      step: 1,
      shape: [3, 19],
    },
    { name: 'transposed input and index', xLen: 11 * 5, xS: [1, 0], iLen: 7 * 5, iS: [1, 5], bound: 11, step: 5, shape: [5, 7] },
    { name: 'middle dim of a 3-D input (indexSelect)', xLen: 3 * 8 * 5, xS: [40, 0, 1], iLen: 6, iS: [0, 1, 0], bound: 8, step: 5, shape: [3, 6, 5] },
    { name: 'offset view, rows 17 wide', xLen: 4 + 6 * 17, xS: [0, 1], xOff: 4, iLen: 10, iS: [1, 0], bound: 6, step: 17, shape: [10, 17] },
    { name: 'dim 0 of a column slice (x stride 2)', xLen: 9 * 8, xS: [0, 2], iLen: 4, iS: [1, 0], bound: 9, step: 8, shape: [4, 4] },
    { name: '0-d', xLen: 1, xS: [], iLen: 1, iS: [], bound: 1, step: 0, shape: [] },
  ];
  for (const c of cases) {
    for (const dtype of ['float32', 'int32'] as const) {
      it(`${c.name} (${dtype})`, () => {
        const values = dtype === 'float32' ? floats(c.xLen, c.xLen) : ints(c.xLen, c.xLen, 1000);
        const x = operand(dtype, values, c.xS, c.xOff ?? 0);
        const index = operand('int32', ints(c.iLen, c.iLen + 1, c.bound), c.iS);
        const n = numel(c.shape);
        const ow = wasm.alloc(dtype, n);
        const or = ref.alloc(dtype, n);
        wasm.gather(x.w, index.w, c.step, ow, c.shape);
        ref.gather(x.r, index.r, c.step, or, c.shape);
        const [w, r] = bits(ow, or);
        expect(w).toEqual(r);
      });
    }
  }
});

describe('scatter kernel (wasm vs reference)', () => {
  const cases: {
    name: string;
    outLen: number;
    oS: number[];
    srcLen: number;
    sS: number[];
    iLen: number;
    iS: number[];
    bound: number;
    step: number;
    shape: number[];
  }[] = [
    {
      name: 'embedding backward (repeated rows), D = 13',
      outLen: 7 * 13,
      oS: [0, 1],
      srcLen: 20 * 13,
      sS: [13, 1],
      iLen: 20,
      iS: [1, 0],
      bound: 7,
      step: 13,
      shape: [20, 13],
    },
    { name: 'rows of 5 and 1', outLen: 4 * 5, oS: [0, 1], srcLen: 9 * 5, sS: [5, 1], iLen: 9, iS: [1, 0], bound: 4, step: 5, shape: [9, 5] },
    {
      name: 'along the last dim with repeats, src wider than index',
      outLen: 4 * 10,
      oS: [10, 0],
      srcLen: 4 * 7,
      sS: [7, 1],
      iLen: 4 * 6,
      iS: [6, 1],
      bound: 10,
      step: 1,
      shape: [4, 6],
    },
    { name: 'a scalar src (stride 0)', outLen: 3 * 9, oS: [9, 0], srcLen: 1, sS: [0, 0], iLen: 3 * 9, iS: [9, 1], bound: 9, step: 1, shape: [3, 9] },
    { name: 'a scalar src into whole rows', outLen: 6 * 11, oS: [0, 1], srcLen: 1, sS: [0, 0], iLen: 4, iS: [1, 0], bound: 6, step: 11, shape: [4, 11] },
    { name: 'transposed output', outLen: 10 * 4, oS: [1, 0], srcLen: 4 * 6, sS: [6, 1], iLen: 4 * 6, iS: [6, 1], bound: 10, step: 4, shape: [4, 6] },
    { name: 'transposed src', outLen: 5 * 9, oS: [0, 1], srcLen: 9 * 8, sS: [1, 8], iLen: 8, iS: [1, 0], bound: 5, step: 9, shape: [8, 9] },
  ];
  for (const c of cases) {
    for (const dtype of ['float32', 'int32'] as const) {
      for (const accumulate of [true, false]) {
        it(`${c.name} (${dtype}, ${accumulate ? 'add' : 'write'})`, () => {
          const data = (n: number, seed: number) => (dtype === 'float32' ? floats(n, seed) : ints(n, seed, 1000));
          const src = operand(dtype, data(c.srcLen, 3), c.sS);
          const index = operand('int32', ints(c.iLen, c.iLen + 7, c.bound), c.iS);
          const out = operand(dtype, data(c.outLen, 5), c.oS);
          wasm.scatter(src.w, index.w, c.step, out.w, c.shape, accumulate);
          ref.scatter(src.r, index.r, c.step, out.r, c.shape, accumulate);
          const [w, r] = bits(out.w.storage, out.r.storage);
          expect(w).toEqual(r);
        });
      }
    }
  }
});

describe('where kernel (wasm vs reference)', () => {
  const cases: { name: string; shape: number[]; cS: number[]; cLen: number; aS: number[]; aLen: number; bS: number[]; bLen: number; cOff?: number }[] = [
    { name: 'contiguous, 37 elements', shape: [37], cS: [1], cLen: 37, aS: [1], aLen: 37, bS: [1], bLen: 37 },
    { name: 'a scalar b (masked fill)', shape: [3, 13], cS: [13, 1], cLen: 39, aS: [13, 1], aLen: 39, bS: [0, 0], bLen: 1 },
    { name: 'a scalar a', shape: [2, 9], cS: [9, 1], cLen: 18, aS: [0, 0], aLen: 1, bS: [9, 1], bLen: 18 },
    { name: 'condition broadcast along the last dim', shape: [4, 9], cS: [1, 0], cLen: 4, aS: [9, 1], aLen: 36, bS: [0, 0], bLen: 1 },
    {
      name: 'a [L, S] mask over a batch (offset condition)',
      shape: [3, 5, 7],
      cS: [0, 7, 1],
      cLen: 2 + 35,
      cOff: 2,
      aS: [35, 7, 1],
      aLen: 105,
      bS: [0, 0, 0],
      bLen: 1,
    },
    { name: 'transposed a and b', shape: [6, 5], cS: [5, 1], cLen: 30, aS: [1, 6], aLen: 30, bS: [1, 6], bLen: 30 },
    { name: '0-d', shape: [], cS: [], cLen: 1, aS: [], aLen: 1, bS: [], bLen: 1 },
  ];
  for (const c of cases) {
    for (const dtype of ['float32', 'int32'] as const) {
      it(`${c.name} (${dtype})`, () => {
        const data = (n: number, seed: number) => (dtype === 'float32' ? floats(n, seed) : ints(n, seed, 1000));
        const cond = operand('int32', ints(c.cLen, c.cLen, 2), c.cS, c.cOff ?? 0);
        const a = operand(dtype, data(c.aLen, 1), c.aS);
        const b = operand(dtype, data(c.bLen, 2), c.bS);
        const n = numel(c.shape);
        const ow = wasm.alloc(dtype, n);
        const or = ref.alloc(dtype, n);
        wasm.where(cond.w, a.w, b.w, ow, c.shape);
        ref.where(cond.r, a.r, b.r, or, c.shape);
        const [w, r] = bits(ow, or);
        expect(w).toEqual(r);
      });
    }
  }
  it('any non-zero int32 condition picks a (not only 1)', () => {
    const cond = operand('int32', [0, -1, 2, 0, 1 << 31, 7, 0, 0, 3], [1]);
    const a = operand('float32', floats(9, 1), [1]);
    const b = operand('float32', floats(9, 2), [1]);
    const ow = wasm.alloc('float32', 9);
    wasm.where(cond.w, a.w, b.w, ow, [9]);
    const av = wasm.view(a.w.storage);
    const bv = wasm.view(b.w.storage);
    expect(Array.from(wasm.view(ow))).toEqual([0, -1, 2, 0, 1 << 31, 7, 0, 0, 3].map((c, i) => (c !== 0 ? av[i] : bv[i])));
  });
});

describe('assign kernel (wasm vs reference)', () => {
  // out is a strided view of a larger storage (cat's slices, copy_ into a cache); the elements
  // outside it must keep their values.
  const cases: { name: string; shape: number[]; xS: number[]; xLen: number; xOff?: number; oS: number[]; oLen: number; oOff: number }[] = [
    {
      name: 'a slice along an inner dim (cat along dim 2)',
      shape: [1, 4, 3, 16],
      xS: [192, 48, 16, 1],
      xLen: 192,
      oS: [1024, 256, 16, 1],
      oLen: 1024,
      oOff: 80,
    },
    { name: 'a transposed source', shape: [5, 7], xS: [1, 5], xLen: 35, oS: [9, 1], oLen: 45, oOff: 1 },
    { name: 'a strided destination (every other column)', shape: [3, 6], xS: [6, 1], xLen: 18, oS: [12, 2], oLen: 36, oOff: 1 },
    { name: 'a broadcast scalar', shape: [2, 5], xS: [0, 0], xLen: 1, oS: [10, 1], oLen: 20, oOff: 10 },
    { name: 'an offset source, 0-d', shape: [], xS: [], xLen: 4, xOff: 3, oS: [], oLen: 3, oOff: 2 },
  ];
  for (const c of cases) {
    for (const dtype of ['float32', 'int32'] as const) {
      it(`${c.name} (${dtype})`, () => {
        const data = (n: number, seed: number) => (dtype === 'float32' ? floats(n, seed) : ints(n, seed, 1000));
        const x = operand(dtype, data(c.xLen, 1), c.xS, c.xOff ?? 0);
        const out = operand(dtype, data(c.oLen, 2), c.oS, c.oOff);
        wasm.assign(x.w, out.w, c.shape);
        ref.assign(x.r, out.r, c.shape);
        const [w, r] = bits(out.w.storage, out.r.storage);
        expect(w).toEqual(r);
      });
    }
  }
});

describe('indexBounds kernel (wasm vs reference)', () => {
  it('finds the first index outside [0, bound) at every position of odd-sized runs', () => {
    for (const n of [0, 1, 3, 4, 5, 8, 17]) {
      const good = ints(n, n, 6);
      const iw = put(wasm, 'int32', good);
      const ir = put(ref, 'int32', good);
      expect([wasm.indexBounds(iw, 0, n, 6), ref.indexBounds(ir, 0, n, 6)]).toEqual([-1, -1]);
      for (let at = 0; at < n; at++) {
        for (const bad of [-1, 6, 1 << 30, -(2 ** 31)]) {
          const values = Int32Array.from(good);
          values[at] = bad;
          if (at + 2 < n) values[at + 2] = -5;
          const bw = put(wasm, 'int32', values);
          const br = put(ref, 'int32', values);
          expect([wasm.indexBounds(bw, 0, n, 6), ref.indexBounds(br, 0, n, 6)]).toEqual([at, at]);
        }
      }
    }
  });
  it('reads from an offset and treats every index as out of range for an empty dim', () => {
    const values = Int32Array.from([9, 9, 0, 1, 2, 3, 4, 2]);
    expect([wasm.indexBounds(put(wasm, 'int32', values), 2, 6, 5), ref.indexBounds(put(ref, 'int32', values), 2, 6, 5)]).toEqual([-1, -1]);
    expect([wasm.indexBounds(put(wasm, 'int32', values), 2, 6, 0), ref.indexBounds(put(ref, 'int32', values), 2, 6, 0)]).toEqual([0, 0]);
  });
});

describe('bad indices raise the same error on both devices', () => {
  for (const device of ['wasm', 'js'] as Device[]) {
    const idx = (values: number[], shape = [values.length]) => tensor(values, { dtype: 'int32', shape, device });
    it(`${device}: gather, indexSelect, scatterAdd, indexAdd, embedding, oneHot`, () => {
      const x = randn([3, 4], { device });
      expect(() => x.gather(1, idx([0, 1, 4], [3, 1]))).toThrow(
        /^gather: index 4 \(element 2 of the index\) is out of range for dim 1 of size 4 \(input shape \[3, 4\]\)$/,
      );
      expect(() => x.indexSelect(0, idx([0, -1]))).toThrow(/^indexSelect: index -1 \(element 1 of the index\) is out of range for dim 0 of size 3/);
      expect(() => zeros([3], { device }).scatterAdd(0, idx([0, 3]), randn([2], { device }))).toThrow(/^scatterAdd: index 3 \(element 1 of the index\)/);
      expect(() => zeros([3, 2], { device }).indexAdd(0, idx([5]), randn([1, 2], { device }))).toThrow(/^indexAdd: index 5 \(element 0 of the index\)/);
      expect(() => embedding(idx([[1, 2, -1]].flat(), [1, 3]), randn([4, 2], { device }))).toThrow(
        /^embedding: index -1 \(element 2 of the input\) is out of range for 4 embeddings/,
      );
      expect(() => oneHot(idx([0, 2, 3]), 3)).toThrow(/^oneHot: class index 3 \(element 2\) is out of range for 3 classes$/);
    });
    it(`${device}: a transposed (non-contiguous) index names the element in its own order`, () => {
      // [[0, 1, 2], [9, 0, 1]] read transposed: 9 is element 1 of [[0, 9], [1, 0], [2, 1]].
      const index = idx([0, 1, 2, 9, 0, 1], [2, 3]).t();
      expect(() => randn([3, 4], { device }).gather(1, index)).toThrow(/^gather: index 9 \(element 1 of the index\)/);
      expect(randn([3, 4], { device }).gather(1, idx([0, 1, 2, 3, 0, 1], [2, 3]).t()).shape).toEqual([3, 2]);
    });
  }
});
