// Reductions and softmax: dims (negative, lists, keepdim), corrections, ties, non-contiguous
// input and numerically extreme rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  argmax,
  argmin,
  logSoftmax,
  logsumexp,
  max,
  maxDim,
  mean,
  min,
  minDim,
  norm,
  setDefaultDevice,
  softmax,
  std,
  sum,
  tensor,
  var as variance,
  zeros,
  type Device,
} from '../src/index.js';
import { expectValues } from './helpers.js';

/** softmax of a JS row, in float64. */
function softmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe.each<Device>(['wasm', 'js'])('reductions on %s', (device) => {
  beforeAll(() => setDefaultDevice(device));
  afterAll(() => setDefaultDevice('wasm'));

  // x[i][j][k] = 12i + 4j + k, shape [2, 3, 4]
  const cube = () =>
    tensor(
      Array.from({ length: 24 }, (_, i) => i),
      { shape: [2, 3, 4], dtype: 'float32' },
    );

  describe('sum and mean', () => {
    it('sum of everything is a 0-d tensor', () => {
      const s = sum(cube());
      expect(s.shape).toEqual([]);
      expect(s.item()).toBe(276);
      expect(mean(cube()).item()).toBeCloseTo(11.5, 5);
    });

    it('sums one dim, negative dims counting from the end', () => {
      const x = tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { dtype: 'float32' },
      );
      expect(x.sum(0).tolist()).toEqual([5, 7, 9]);
      expect(x.sum(1).tolist()).toEqual([6, 15]);
      expect(x.sum(-1).tolist()).toEqual([6, 15]);
      expect(x.sum(-2).tolist()).toEqual([5, 7, 9]);
    });

    it('keepdim leaves a size-1 dim in place', () => {
      const x = tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { dtype: 'float32' },
      );
      const s = x.sum(1, true);
      expect(s.shape).toEqual([2, 1]);
      expect(s.tolist()).toEqual([[6], [15]]);
      expectValues(x.mean(0, true), [[2.5, 3.5, 4.5]]);
    });

    it('reduces a list of dims in any order', () => {
      const s = cube().sum([0, 2]);
      // Σ_i Σ_k (12i + 4j + k) = 60 + 32j
      expect(s.tolist()).toEqual([60, 92, 124]);
      expect(cube().sum([2, -3]).tolist()).toEqual([60, 92, 124]);
      expect(cube().sum([0, 2], true).shape).toEqual([1, 3, 1]);
      expectValues(cube().mean([0, 1]), [10, 11, 12, 13]);
    });

    it('sums int32 and bool to int32; mean refuses them as PyTorch does and suggests .float()', () => {
      const i = tensor([
        [1, 2],
        [3, 4],
      ]);
      const s = i.sum(0);
      expect(s.dtype).toBe('int32');
      expect(s.tolist()).toEqual([4, 6]);
      const b = tensor([true, true, false]).sum();
      expect(b.dtype).toBe('int32');
      expect(b.item()).toBe(2);
      // torch: "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype".
      expect(() => i.mean()).toThrow(
        /^mean: the input is int32; mean needs a floating point input \(as in PyTorch\)\. Convert it first: x\.float\(\)\.mean\(…\)$/,
      );
      expect(() => mean(tensor([true, false]), 0)).toThrow(/^mean: the input is bool; /);
      expect(i.float().mean().item()).toBe(2.5);
    });

    it('sums empty tensors to 0 and reduces non-contiguous input correctly', () => {
      expect(zeros([0, 3]).sum(0).tolist()).toEqual([0, 0, 0]);
      const t = tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { dtype: 'float32' },
      ).t();
      expect(t.sum(1).tolist()).toEqual([5, 7, 9]);
      expect(cube().permute(2, 0, 1).sum(2).tolist()).toEqual([
        [12, 48],
        [15, 51],
        [18, 54],
        [21, 57],
      ]);
    });
  });

  describe('var and std', () => {
    const x = () =>
      tensor(
        [
          [1, 2, 3, 4],
          [2, 4, 6, 8],
        ],
        { dtype: 'float32' },
      );

    it('use Bessel’s correction by default and the population formula with correction 0', () => {
      // row 0: mean 2.5, Σ(x−m)² = 5; row 1: mean 5, Σ = 20
      expectValues(x().var(1), [5 / 3, 20 / 3]);
      expectValues(x().var(1, { correction: 0 }), [1.25, 5]);
      expectValues(x().std(1), [Math.sqrt(5 / 3), Math.sqrt(20 / 3)]);
      expectValues(x().std(1, { correction: 0, keepdim: true }), [[Math.sqrt(1.25)], [Math.sqrt(5)]]);
      expectValues(variance(x()), 37.5 / 7); // mean 3.75, Σ(x−m)² = 37.5
      expectValues(std(x(), 0), [Math.SQRT1_2, Math.SQRT2, Math.sqrt(4.5), Math.sqrt(8)]);
    });

    it('refuse int32 and bool input, as PyTorch (“std and var only support floating point”), suggesting .float()', () => {
      for (const input of [tensor([1, 2, 4]), tensor([true, false])]) {
        expect(() => input.var()).toThrow(new RegExp(`^var: the input is ${input.dtype}; var needs a floating point input .*x\\.float\\(\\)\\.var\\(`));
        expect(() => std(input, 0)).toThrow(new RegExp(`^std: the input is ${input.dtype}; std needs a floating point input`));
      }
      expectValues(tensor([1, 2, 4]).float().var(), 7 / 3);
    });

    it('gives NaN for a single element with correction 1, like PyTorch', () => {
      expect(tensor([3.5]).var().item()).toBeNaN();
    });
  });

  describe('max, min, argmax and argmin', () => {
    const x = () =>
      tensor(
        [
          [3, 7, 7],
          [9, -1, 9],
        ],
        { dtype: 'float32' },
      );

    it('max() and min() of everything are 0-d', () => {
      expect(max(x()).item()).toBe(9);
      expect(min(x()).item()).toBe(-1);
      expect(max(x()).shape).toEqual([]);
    });

    it('max(dim) gives values and the first index of ties', () => {
      const { values, indices } = x().max(1);
      expect(values.tolist()).toEqual([7, 9]);
      expect(indices.tolist()).toEqual([1, 0]);
      expect(indices.dtype).toBe('int32');
      const c = maxDim(x(), 0, true);
      expect(c.values.tolist()).toEqual([[9, 7, 9]]);
      expect(c.indices.tolist()).toEqual([[1, 0, 1]]);
    });

    it('min(dim) gives values and indices, with negative dims', () => {
      const { values, indices } = x().min(-1);
      expect(values.tolist()).toEqual([3, -1]);
      expect(indices.tolist()).toEqual([0, 1]);
      expect(minDim(tensor([[2, 1, 1]]), 1).indices.tolist()).toEqual([1]);
    });

    it('argmax/argmin over the flattened tensor or along a dim', () => {
      expect(argmax(x()).item()).toBe(3);
      expect(argmin(x()).item()).toBe(4);
      expect(argmax(x(), 1).tolist()).toEqual([1, 0]);
      expect(argmin(x(), 0).tolist()).toEqual([0, 1, 0]);
      expect(argmax(x(), 1, true).shape).toEqual([2, 1]);
    });

    it('works on non-contiguous input', () => {
      const t = x().t();
      expect(t.max(1).values.tolist()).toEqual([9, 7, 9]);
      expect(t.max(1).indices.tolist()).toEqual([1, 0, 1]);
      expect(argmax(t).item()).toBe(1);
    });

    it('max(dim) works on int32 tensors', () => {
      const { values, indices } = tensor([
        [1, 5],
        [6, 2],
      ]).max(0);
      expect(values.dtype).toBe('int32');
      expect(values.tolist()).toEqual([6, 5]);
      expect(indices.tolist()).toEqual([1, 0]);
    });
  });

  describe('softmax, logSoftmax and logsumexp', () => {
    const rows = [
      [1, 2, 3],
      [0.5, -1, 2],
    ];
    const x = () => tensor(rows);

    it('softmax along the last dim matches the formula and rows sum to 1', () => {
      const s = softmax(x(), 1);
      expectValues(s, rows.map(softmaxRow));
      expectValues(s.sum(1), [1, 1]);
      expectValues(x().softmax(-1), rows.map(softmaxRow));
    });

    it('softmax along dim 0 normalises columns', () => {
      const cols = [0, 1, 2].map((j) => softmaxRow([rows[0][j], rows[1][j]]));
      expectValues(softmax(x(), 0), [cols.map((c) => c[0]), cols.map((c) => c[1])]);
      expectValues(softmax(x(), 0).sum(0), [1, 1, 1]);
    });

    it('softmax along the middle dim of a 3-D tensor', () => {
      const c = tensor(
        Array.from({ length: 24 }, (_, i) => (i % 5) - 2),
        { shape: [2, 3, 4], dtype: 'float32' },
      );
      const s = softmax(c, 1);
      expect(s.shape).toEqual([2, 3, 4]);
      expectValues(s.sum(1), [
        [1, 1, 1, 1],
        [1, 1, 1, 1],
      ]);
      const v = c.tolist() as number[][][];
      const expected = v.map((plane) => {
        const cols = [0, 1, 2, 3].map((k) => softmaxRow(plane.map((r) => r[k])));
        return [0, 1, 2].map((j) => cols.map((col) => col[j]));
      });
      expectValues(s, expected);
    });

    it('softmax of a non-contiguous (transposed) input', () => {
      const t = x().t(); // [[1, 0.5], [2, -1], [3, 2]]
      const expected = (t.tolist() as number[][]).map(softmaxRow);
      expectValues(softmax(t, 1), expected);
      expectValues(
        logSoftmax(t, 1),
        expected.map((r) => r.map(Math.log)),
      );
    });

    it('stays finite for rows of huge magnitude (±1e4)', () => {
      const big = tensor([
        [1e4, 1e4 - 1, 1e4 - 2],
        [-1e4, -1e4 + 1, -1e4],
      ]);
      const s = softmax(big, 1);
      expectValues(s, [softmaxRow([0, -1, -2]), softmaxRow([0, 1, 0])]);
      const ls = logSoftmax(big, 1);
      expect((ls.toArray() as Float32Array).every(Number.isFinite)).toBe(true);
      expectValues(ls, [softmaxRow([0, -1, -2]).map(Math.log), softmaxRow([0, 1, 0]).map(Math.log)], 4);
      const lse = logsumexp(big, 1);
      expectValues(lse, [1e4 + Math.log(1 + Math.exp(-1) + Math.exp(-2)), -1e4 + 1 + Math.log(1 + 2 * Math.exp(-1))], 2);
    });

    it('logSoftmax equals log(softmax) on ordinary rows', () => {
      expectValues(
        logSoftmax(x(), 1),
        rows.map((r) => softmaxRow(r).map(Math.log)),
      );
    });

    it('logsumexp along dims, with keepdim', () => {
      const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
      expectValues(logsumexp(x(), 1), rows.map(lse));
      expectValues(logsumexp(x(), 0, true), [[0, 1, 2].map((j) => lse([rows[0][j], rows[1][j]]))]);
      expectValues(logsumexp(x(), [0, 1]), lse(rows.flat()));
      expect(logsumexp(tensor([-Infinity, -Infinity]), 0).item()).toBe(-Infinity);
    });

    it('softmax of int input is float32', () => {
      const s = softmax(tensor([0, 0]), 0);
      expect(s.dtype).toBe('float32');
      expect(s.tolist()).toEqual([0.5, 0.5]);
    });
  });

  describe('norm', () => {
    it('computes the 2-, 1- and p-norm of all elements', () => {
      const x = tensor([
        [3, -4],
        [0, 0],
      ]);
      expect(norm(x).item()).toBeCloseTo(5, 5);
      expect(x.norm(1).item()).toBeCloseTo(7, 5);
      expect(x.norm(3).item()).toBeCloseTo(Math.cbrt(27 + 64), 4);
    });
  });
});
