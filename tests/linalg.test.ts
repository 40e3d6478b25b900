// matmul and bmm: every rank combination torch.matmul defines, non-contiguous operands read in
// place, and gradients, all checked against a plain JS triple loop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Generator, bmm, matmul, randn, setDefaultDevice, tensor, type Device, type NestedArray, type Tensor } from '../src/index.js';
import { expectValues as expectValuesTo } from './helpers.js';

/** matmul sums in float32: four decimal places by default. */
const expectValues = (t: Tensor, expected: NestedArray, digits = 4) => expectValuesTo(t, expected, digits);

/** C = A·B for plain nested arrays. */
function mm(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}

function transposed(a: number[][]): number[][] {
  return a[0].map((_, j) => a.map((row) => row[j]));
}

describe.each<Device>(['wasm', 'js'])('matmul on %s', (device) => {
  beforeAll(() => setDefaultDevice(device));
  afterAll(() => setDefaultDevice('wasm'));

  const rnd = (shape: number[], seed: number) => randn(shape, { generator: new Generator(seed) });
  const A = [
    [1, 2, 3],
    [4, 5, 6],
  ];
  const B = [
    [1, 0],
    [-1, 2],
    [0.5, 1],
  ];

  it('2-D · 2-D is the matrix product', () => {
    expectValues(matmul(tensor(A), tensor(B)), [
      [0.5, 7],
      [2, 16],
    ]);
  });

  it('1-D · 1-D is the dot product (0-d)', () => {
    const d = tensor([1, 2, 3]).matmul(tensor([4, -5, 6]));
    expect(d.shape).toEqual([]);
    expect(d.item()).toBe(12);
  });

  it('2-D · 1-D is a matrix–vector product and 1-D · 2-D a vector–matrix product', () => {
    const mv = tensor(A).matmul(tensor([1, 0, -1]));
    expect(mv.shape).toEqual([2]);
    expectValues(mv, [-2, -2]);
    const vm = tensor([1, -1]).matmul(tensor(A));
    expect(vm.shape).toEqual([3]);
    expectValues(vm, [-3, -3, -3]);
  });

  it('int32 operands are multiplied as float32', () => {
    const c = tensor([[1, 2]]).matmul(tensor([[3], [4]]));
    expect(c.dtype).toBe('float32');
    expect(c.tolist()).toEqual([[11]]);
  });

  it('3-D · 3-D multiplies batch by batch', () => {
    const a = rnd([3, 4, 5], 1);
    const b = rnd([3, 5, 2], 2);
    const c = matmul(a, b);
    expect(c.shape).toEqual([3, 4, 2]);
    const av = a.tolist() as number[][][];
    const bv = b.tolist() as number[][][];
    expectValues(
      c,
      av.map((m, i) => mm(m, bv[i])),
    );
  });

  it('broadcasts batch dims: 4-D · 3-D and 3-D · 2-D', () => {
    const a = rnd([2, 1, 3, 4], 3);
    const b = rnd([5, 4, 2], 4);
    const c = matmul(a, b);
    expect(c.shape).toEqual([2, 5, 3, 2]);
    const av = a.tolist() as number[][][][];
    const bv = b.tolist() as number[][][];
    expectValues(
      c,
      av.map((outer) => bv.map((m) => mm(outer[0], m))),
    );

    const x = rnd([4, 3, 5], 5);
    const w = rnd([5, 6], 6);
    const y = x.matmul(w);
    expect(y.shape).toEqual([4, 3, 6]);
    const wv = w.tolist() as number[][];
    expectValues(
      y,
      (x.tolist() as number[][][]).map((m) => mm(m, wv)),
    );
  });

  it('1-D · 3-D treats the vector as a row, broadcast over the batch', () => {
    const b = rnd([2, 3, 4], 7);
    const v = tensor([1, -2, 0.5]);
    const c = v.matmul(b);
    expect(c.shape).toEqual([2, 4]);
    expectValues(
      c,
      (b.tolist() as number[][][]).map((m) => mm([[1, -2, 0.5]], m)[0]),
    );
  });

  it('reads transposed operands (a view) correctly on either side', () => {
    const a = rnd([5, 3], 8);
    const b = rnd([4, 5], 9);
    const av = a.tolist() as number[][];
    const bv = b.tolist() as number[][];
    expect(a.t().isContiguous()).toBe(false);
    expectValues(a.t().matmul(b.t()), mm(transposed(av), transposed(bv)));
    expectValues(b.matmul(a), mm(bv, av));
    expectValues(a.t().matmul(a), mm(transposed(av), av));
  });

  it('reads sliced and stepped (non-contiguous) operands correctly', () => {
    const big = rnd([6, 8], 10);
    const bv = big.tolist() as number[][];
    const a = big.slice(0, 1, 4).slice(1, 2, 7); // rows 1..3, cols 2..6: [3, 5], row stride 8
    const b = big.slice(0, 0, null, 2).slice(1, 0, 8, 3); // rows 0,2,4, cols 0,3,6: [3, 3]
    const av = bv.slice(1, 4).map((r) => r.slice(2, 7));
    const sv = [0, 2, 4].map((i) => [0, 3, 6].map((j) => bv[i][j]));
    expectValues(a.t().matmul(b), mm(transposed(av), sv));
    expectValues(b.matmul(a), mm(sv, av));
    const batched = rnd([2, 4, 6], 11).permute(0, 2, 1); // [2, 6, 4], inner dims transposed
    const m = rnd([4, 3], 12);
    const mv = m.tolist() as number[][];
    expectValues(
      batched.matmul(m),
      (batched.tolist() as number[][][]).map((x) => mm(x, mv)),
    );
  });

  it('handles empty inner and outer dims', () => {
    expect(matmul(tensor([[]]).reshape(1, 0), tensor([]).reshape(0, 3)).tolist()).toEqual([[0, 0, 0]]);
    expect(matmul(randn([0, 4]), randn([4, 2])).shape).toEqual([0, 2]);
  });

  it('bmm multiplies equal batches', () => {
    const a = rnd([2, 3, 4], 13);
    const b = rnd([2, 4, 5], 14);
    const bv = b.tolist() as number[][][];
    expectValues(
      bmm(a, b),
      (a.tolist() as number[][][]).map((m, i) => mm(m, bv[i])),
    );
    expectValues(
      a.bmm(b.transpose(1, 2).contiguous().transpose(1, 2)),
      (a.tolist() as number[][][]).map((m, i) => mm(m, bv[i])),
    );
  });

  describe('gradients', () => {
    it('dA = G·Bᵀ and dB = Aᵀ·G', () => {
      const a = tensor(A, { requiresGrad: true });
      const b = tensor(B, { requiresGrad: true });
      const g = [
        [1, -1],
        [2, 0.5],
      ];
      matmul(a, b).backward(tensor(g));
      expectValues(a.grad!, mm(g, transposed(B)));
      expectValues(b.grad!, mm(transposed(A), g));
    });

    it('flow through transposed views back to the base layout', () => {
      const a = tensor(transposed(A), { requiresGrad: true }); // [3, 2]
      const b = tensor(transposed(B), { requiresGrad: true }); // [2, 3]
      const g = [
        [1, -1],
        [2, 0.5],
      ];
      a.t().matmul(b.t()).backward(tensor(g));
      expectValues(a.grad!, transposed(mm(g, transposed(B))));
      expectValues(b.grad!, transposed(mm(transposed(A), g)));
    });

    it('sum broadcast batch dims back to the operand shape', () => {
      const x = rnd([4, 2, 3], 15).requiresGrad_();
      const w = rnd([3, 5], 16).requiresGrad_();
      x.matmul(w).sum().backward();
      // d(Σ x·w)/dw[k][n] = Σ_{b,m} x[b][m][k]
      const xv = x.tolist() as number[][][];
      const colSums = [0, 1, 2].map((k) => xv.flat().reduce((s, row) => s + row[k], 0));
      expectValues(
        w.grad!,
        colSums.map((s) => Array(5).fill(s)),
      );
      const rowSums = (w.tolist() as number[][]).map((r) => r.reduce((s, v) => s + v, 0));
      expectValues(
        x.grad!,
        xv.map((m) => m.map(() => rowSums)),
      );
    });

    it('of vector operands have the vector shape', () => {
      const v = tensor([1, 2, 3], { requiresGrad: true });
      const m = tensor(A, { requiresGrad: true });
      m.matmul(v).sum().backward();
      expectValues(v.grad!, [5, 7, 9]);
      expectValues(m.grad!, [
        [1, 2, 3],
        [1, 2, 3],
      ]);
      const u = tensor([4, 5, 6], { requiresGrad: true });
      const w = tensor([1, -1, 2], { requiresGrad: true });
      u.matmul(w).backward();
      expectValues(u.grad!, [1, -1, 2]);
      expectValues(w.grad!, [4, 5, 6]);
    });

    it('bmm gradients match per-batch matrix gradients', () => {
      const a = rnd([2, 2, 3], 17).requiresGrad_();
      const b = rnd([2, 3, 2], 18).requiresGrad_();
      bmm(a, b).sum().backward();
      const ones = [
        [1, 1],
        [1, 1],
      ];
      const av = a.tolist() as number[][][];
      const bv = b.tolist() as number[][][];
      expectValues(
        a.grad!,
        bv.map((m) => mm(ones, transposed(m))),
      );
      expectValues(
        b.grad!,
        av.map((m) => mm(transposed(m), ones)),
      );
    });
  });
});
