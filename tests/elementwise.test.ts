// Elementwise ops: values, broadcasting, dtype rules, NaN behaviour and the in-place family.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  abs,
  add,
  clamp,
  cos,
  div,
  eq,
  exp,
  ge,
  gelu,
  gt,
  le,
  log,
  lt,
  maskedFill,
  maximum,
  minimum,
  mul,
  ne,
  neg,
  nn,
  noGrad,
  pow,
  relu,
  rsqrt,
  setDefaultDevice,
  sigmoid,
  sign,
  sin,
  sqrt,
  square,
  sub,
  tanh,
  tensor,
  where,
  zeros,
  type Device,
} from '../src/index.js';
import { approx, expectValues } from './helpers.js';

type Signed = number | 'NaN';
/** PyTorch 1.13's signed zeros and NaNs (scripts/torch_signed_zero_fixtures.py). */
const signedZero: { input: Signed[]; cases: { name: string; args: { min?: number; max?: number; negativeSlope?: number }; out: Signed[]; grad: Signed[] }[] } =
  JSON.parse(readFileSync(new URL('./fixtures/torch-signed-zero.json', import.meta.url), 'utf8'));
const num = (v: Signed) => Number(v);
/** Each element as a string that tells -0 from 0. */
const signs = (values: ArrayLike<number>) => Array.from(values, (v) => (Object.is(v, -0) ? '-0' : String(v)));

describe.each<Device>(['wasm', 'js'])('elementwise ops on %s', (device) => {
  beforeAll(() => setDefaultDevice(device));
  afterAll(() => setDefaultDevice('wasm'));

  describe('binary arithmetic', () => {
    const a = () =>
      tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { dtype: 'float32' },
      );

    it('add, sub, mul, div and pow compute elementwise', () => {
      const b = tensor(
        [
          [6, 5, 4],
          [3, 2, 1],
        ],
        { dtype: 'float32' },
      );
      expectValues(add(a(), b), [
        [7, 7, 7],
        [7, 7, 7],
      ]);
      expectValues(sub(a(), b), [
        [-5, -3, -1],
        [1, 3, 5],
      ]);
      expectValues(mul(a(), b), [
        [6, 10, 12],
        [12, 10, 6],
      ]);
      expectValues(div(a(), b), [
        [1 / 6, 0.4, 0.75],
        [4 / 3, 2.5, 6],
      ]);
      expectValues(pow(a(), b), [
        [1, 32, 81],
        [64, 25, 6],
      ]);
    });

    it('broadcasts a row, a column and a scalar on either side', () => {
      expectValues(a().add(tensor([10, 20, 30])), [
        [11, 22, 33],
        [14, 25, 36],
      ]);
      expectValues(a().mul(tensor([[2], [-1]])), [
        [2, 4, 6],
        [-4, -5, -6],
      ]);
      expectValues(a().sub(1), [
        [0, 1, 2],
        [3, 4, 5],
      ]);
      expectValues(sub(10, a()), [
        [9, 8, 7],
        [6, 5, 4],
      ]);
      expectValues(div(6, a()), [
        [6, 3, 2],
        [1.5, 1.2, 1],
      ]);
      expectValues(pow(2, tensor([0, 1, 3], { dtype: 'float32' })), [1, 2, 8]);
    });

    it('broadcasts a column against a row into a matrix', () => {
      expectValues(tensor([[1], [2]]).add(tensor([10, 20, 30])), [
        [11, 21, 31],
        [12, 22, 32],
      ]);
    });

    it('broadcasts 0-d tensors and keeps the higher rank', () => {
      const s = tensor(2.5);
      expectValues(s.mul(tensor([[2], [4]], { dtype: 'float32' })), [[5], [10]]);
      expect(s.add(s).shape).toEqual([]);
      expectValues(s.add(s), 5);
    });

    it('broadcasts size-0 dims to empty results', () => {
      const e = zeros([2, 0]);
      expect(e.add(tensor([1])).shape).toEqual([2, 0]);
      expect(zeros([0, 1]).mul(zeros([1, 3])).shape).toEqual([0, 3]);
    });

    it('keeps int32 arithmetic in int32 and makes true division float32', () => {
      const i = tensor([7, -7, 4]);
      const j = tensor([2, 2, 3]);
      for (const r of [i.add(j), i.sub(j), i.mul(j), i.add(1), maximum(i, j)]) expect(r.dtype).toBe('int32');
      expect(i.mul(j).tolist()).toEqual([14, -14, 12]);
      const q = i.div(j);
      expect(q.dtype).toBe('float32');
      expectValues(q, [3.5, -3.5, 4 / 3]);
    });

    it('promotes int32 to float32 against floats or fractional scalars', () => {
      const i = tensor([1, 2]);
      expect(i.add(tensor([0.5, 0.5])).dtype).toBe('float32');
      expectValues(i.add(0.5), [1.5, 2.5]);
      expect(i.mul(2.5).dtype).toBe('float32');
    });

    it('computes bool + bool as int32, as PyTorch promotes bool arithmetic', () => {
      const s = tensor([true, false]).add(tensor([true, true]));
      expect(s.dtype).toBe('int32');
      expect(s.tolist()).toEqual([2, 1]);
    });

    it('maximum and minimum propagate NaN from either side', () => {
      const x = tensor([1, NaN, 3.5]);
      const y = tensor([NaN, 2, 1]);
      expect(maximum(x, y).tolist()).toEqual([NaN, NaN, 3.5]);
      expect(minimum(x, y).tolist()).toEqual([NaN, NaN, 1]);
      expect(maximum(tensor([1.5, -2]), 0).tolist()).toEqual([1.5, 0]);
    });
  });

  describe('comparisons', () => {
    it('give bool tensors, broadcasting', () => {
      const x = tensor([1, 2, 3]);
      for (const r of [eq(x, 2), ne(x, 2), lt(x, 2), le(x, 2), gt(x, 2), ge(x, 2)]) expect(r.dtype).toBe('bool');
      expect(eq(x, 2).tolist()).toEqual([false, true, false]);
      expect(ne(x, 2).tolist()).toEqual([true, false, true]);
      expect(lt(x, 2).tolist()).toEqual([true, false, false]);
      expect(le(x, 2).tolist()).toEqual([true, true, false]);
      expect(gt(x, 2).tolist()).toEqual([false, false, true]);
      expect(ge(x, 2).tolist()).toEqual([false, true, true]);
      expect(x.lt(tensor([[2], [4]])).tolist()).toEqual([
        [true, false, false],
        [true, true, true],
      ]);
    });

    it('compare ints with floats by value, and NaN equal to nothing', () => {
      expect(
        tensor([1, 2])
          .eq(tensor([1.0, 2.5]))
          .tolist(),
      ).toEqual([true, false]);
      expect(
        tensor([NaN, 1.5])
          .eq(tensor([NaN, 1.5]))
          .tolist(),
      ).toEqual([false, true]);
      expect(
        tensor([NaN])
          .ne(tensor([NaN]))
          .tolist(),
      ).toEqual([true]);
    });
  });

  describe('unary math', () => {
    it('computes each function', () => {
      const x = tensor([-1, 0, 0.5, 2]);
      expectValues(neg(x), [1, -0, -0.5, -2]);
      expectValues(abs(x), [1, 0, 0.5, 2]);
      expectValues(exp(x), [Math.exp(-1), 1, Math.exp(0.5), Math.exp(2)]);
      expectValues(sin(x), [Math.sin(-1), 0, Math.sin(0.5), Math.sin(2)]);
      expectValues(cos(x), [Math.cos(-1), 1, Math.cos(0.5), Math.cos(2)]);
      expectValues(tanh(x), [Math.tanh(-1), 0, Math.tanh(0.5), Math.tanh(2)]);
      expectValues(sigmoid(x), [1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-0.5)), 1 / (1 + Math.exp(-2))]);
      expectValues(relu(x), [0, 0, 0.5, 2]);
      expectValues(sign(x), [-1, 0, 1, 1]);
      expectValues(square(x), [1, 0, 0.25, 4]);
      // gelu(x) = x·Φ(x); Φ(−1) = 0.158655…, Φ(0.5) = 0.691462…, Φ(2) = 0.977250…
      expectValues(gelu(x), [-0.15865525, 0, 0.34573123, 1.95449974], 4);
    });

    it('log, sqrt and rsqrt follow IEEE at the domain edges', () => {
      const x = tensor([4, 1, 0, -1]);
      expect(log(x).tolist()).toEqual(approx([Math.log(4), 0, -Infinity, NaN]));
      expect(sqrt(x).tolist()).toEqual(approx([2, 1, 0, NaN]));
      expect(rsqrt(x).tolist()).toEqual(approx([0.5, 1, Infinity, NaN]));
    });

    it('converts int32 input to float32 for transcendental functions, keeps int32 for neg/abs/relu/sign', () => {
      const i = tensor([-2, 0, 3]);
      expect(exp(i).dtype).toBe('float32');
      expectValues(sqrt(tensor([4, 9])), [2, 3]);
      for (const r of [neg(i), abs(i), relu(i), sign(i)]) expect(r.dtype).toBe('int32');
      expect(abs(i).tolist()).toEqual([2, 0, 3]);
      expect(relu(i).tolist()).toEqual([0, 0, 3]);
    });

    it('relu keeps NaN, as PyTorch does', () => {
      expect(relu(tensor([NaN, -1, 2.5])).tolist()).toEqual([NaN, 0, 2.5]);
    });

    it('reads non-contiguous input in logical order', () => {
      const x = tensor(
        [
          [1, 4],
          [9, 16],
        ],
        { dtype: 'float32' },
      ).t();
      expectValues(sqrt(x), [
        [1, 3],
        [2, 4],
      ]);
    });
  });

  describe('clamp, where and maskedFill', () => {
    it('clamp limits to [min, max], and to one side when the other bound is omitted', () => {
      const x = tensor([-2, 0.5, 3]);
      expectValues(clamp(x, -1, 1), [-1, 0.5, 1]);
      expectValues(x.clamp(0), [0, 0.5, 3]);
      expectValues(x.clamp(null, 0), [-2, 0, 0]);
      expectValues(x.clamp(undefined, 2), [-2, 0.5, 2]);
      expect(tensor([1, 5, 9]).clamp(2, 6).tolist()).toEqual([2, 5, 6]);
      expect(tensor([NaN]).clamp(0, 1).tolist()).toEqual([NaN]);
    });

    it('where picks from a or b by condition, broadcasting all three', () => {
      const cond = tensor([[true, false, true]]);
      const a = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      expect(where(cond, a, 0).tolist()).toEqual([
        [1, 0, 3],
        [4, 0, 6],
      ]);
      expect(where(tensor([[true], [false]]), 1, -1).tolist()).toEqual([[1], [-1]]);
      expect(a.where(a.gt(3), tensor([-1])).tolist()).toEqual([
        [-1, -1, -1],
        [4, 5, 6],
      ]);
      const mixed = where(tensor([true, false]), tensor([1, 2]), tensor([0.5, 0.5]));
      expect(mixed.dtype).toBe('float32');
      expect(mixed.tolist()).toEqual([1, 0.5]);
    });

    it('maskedFill writes value where the mask is true', () => {
      const x = tensor([
        [1.5, 2, 3],
        [4, 5, 6],
      ]);
      expect(maskedFill(x, x.gt(2.5), -Infinity).tolist()).toEqual([
        [1.5, 2, -Infinity],
        [-Infinity, -Infinity, -Infinity],
      ]);
      expect(x.maskedFill(tensor([true, false, false]), 0).tolist()).toEqual([
        [0, 2, 3],
        [0, 5, 6],
      ]);
    });
  });

  describe('signed zeros and NaN, bit for bit as PyTorch 1.13 (SIMD bulk and scalar tail)', () => {
    for (const c of signedZero.cases) {
      it(`${c.name}(${JSON.stringify(c.args, (_, v) => (Object.is(v, -0) ? '-0' : v))}): values and gradient`, () => {
        const x = tensor(signedZero.input.map(num), { requiresGrad: true });
        const { min, max, negativeSlope } = c.args;
        const y = c.name === 'relu' ? relu(x) : c.name === 'clamp' ? clamp(x, min, max) : nn.functional.leakyRelu(x, negativeSlope);
        y.sum().backward();
        expect(signs(y.toArray() as Float32Array)).toEqual(signs(c.out.map(num)));
        expect(signs(x.grad!.toArray() as Float32Array)).toEqual(signs(c.grad.map(num)));
      });
    }
  });

  describe('casts', () => {
    it('to() converts dtypes, truncating floats toward zero for int32', () => {
      expect(tensor([1.7, -1.7, 2]).int().tolist()).toEqual([1, -1, 2]);
      expect(tensor([1, 0, 2]).to('bool').tolist()).toEqual([true, false, true]);
      expect(tensor([true, false]).float().tolist()).toEqual([1, 0]);
      const x = tensor([1.5]);
      expect(x.to('float32')).toBe(x);
    });
  });

  describe('in-place ops', () => {
    it('add_ with alpha, sub_, mul_ and div_ update values and return the same tensor', () => {
      const x = tensor([1, 2, 3], { dtype: 'float32' });
      expect(x.add_(tensor([1, 1, 1]), 2)).toBe(x);
      expect(x.tolist()).toEqual([3, 4, 5]);
      x.sub_(1);
      expect(x.tolist()).toEqual([2, 3, 4]);
      x.sub_(tensor([1, 1, 1]), 0.5);
      expect(x.tolist()).toEqual([1.5, 2.5, 3.5]);
      x.mul_(tensor([2, 2, 2]));
      expect(x.tolist()).toEqual([3, 5, 7]);
      x.div_(2);
      expect(x.tolist()).toEqual([1.5, 2.5, 3.5]);
    });

    it('broadcasts the argument into the tensor', () => {
      const x = zeros([2, 3]);
      x.add_(tensor([1, 2, 3]));
      x.mul_(tensor([[1], [-1]]));
      expect(x.tolist()).toEqual([
        [1, 2, 3],
        [-1, -2, -3],
      ]);
    });

    it('copy_ broadcasts, fill_ and zero_ set every element, clamp_ clamps in place', () => {
      const x = zeros([2, 2]);
      x.copy_(tensor([[5, 6]]));
      expect(x.tolist()).toEqual([
        [5, 6],
        [5, 6],
      ]);
      x.fill_(2.5);
      expect(x.tolist()).toEqual([
        [2.5, 2.5],
        [2.5, 2.5],
      ]);
      x.copy_(
        tensor([
          [-3, 0.5],
          [4, 1],
        ]),
      );
      expect(x.clamp_(-1, 1)).toBe(x);
      expect(x.tolist()).toEqual([
        [-1, 0.5],
        [1, 1],
      ]);
      x.zero_();
      expect(x.tolist()).toEqual([
        [0, 0],
        [0, 0],
      ]);
    });

    it('write through a transposed view into the base', () => {
      const base = tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { dtype: 'float32' },
      );
      const t = base.t();
      t.add_(tensor([100, 200]));
      expect(base.tolist()).toEqual([
        [101, 102, 103],
        [204, 205, 206],
      ]);
      t.mul_(
        tensor([
          [1, 0],
          [1, 0],
          [1, 0],
        ]),
      );
      expect(base.tolist()).toEqual([
        [101, 102, 103],
        [0, 0, 0],
      ]);
      t.fill_(7);
      expect(base.tolist()).toEqual([
        [7, 7, 7],
        [7, 7, 7],
      ]);
    });

    it('write through a strided slice without touching the skipped elements', () => {
      const base = tensor([0, 1, 2, 3, 4, 5], { dtype: 'float32' });
      base.slice(0, 1, null, 2).copy_(tensor([-1]));
      expect(base.tolist()).toEqual([0, -1, 2, -1, 4, -1]);
      base.slice(0, 0, null, 2).zero_();
      expect(base.tolist()).toEqual([0, -1, 0, -1, 0, -1]);
      base.slice(0, 0, 3).clamp_(-0.5, 0.5);
      expect(base.tolist()).toEqual([0, -0.5, 0, -1, 0, -1]);
      base.slice(0, 3).sub_(1).div_(2);
      expect(base.tolist()).toEqual([0, -0.5, 0, -1, -0.5, -1]);
      const m = zeros([3, 3]);
      m.select(1, 2).add_(1, 3);
      expect(m.tolist()).toEqual([
        [0, 0, 3],
        [0, 0, 3],
        [0, 0, 3],
      ]);
    });

    it("reads an argument that shares the tensor's memory before overwriting it", () => {
      const x = tensor([1, 2, 3, 4], { dtype: 'float32' });
      x.add_(x);
      expect(x.tolist()).toEqual([2, 4, 6, 8]);
      const m = tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: 'float32' },
      );
      m.add_(m.t());
      expect(m.tolist()).toEqual([
        [2, 5],
        [5, 8],
      ]);
      const base = tensor([1, 2, 3, 4, 5], { dtype: 'float32' });
      base.slice(0, 0, 4).sub_(base.slice(0, 1, 5), 2);
      expect(base.tolist()).toEqual([-3, -4, -5, -6, 5]);
    });

    it('a float64 tensor on the js device updates in place like a float32 one', () => {
      const x = tensor([1, 2, 3], { dtype: 'float64', device: 'js' });
      x.sub_(tensor([0.5, 0.5, 0.5], { dtype: 'float64', device: 'js' }), 2).mul_(tensor([1, 2, 3], { dtype: 'float64', device: 'js' }));
      expect(x.tolist()).toEqual([0, 2, 6]);
    });

    it('truncates when a float value is written into an int32 tensor', () => {
      const i = tensor([1, 2, 3]);
      i.copy_(tensor([1.9, -2.9, 3.2]));
      expect(i.dtype).toBe('int32');
      expect(i.tolist()).toEqual([1, -2, 3]);
    });

    it('rejects a value that would have to grow the tensor', () => {
      expect(() => zeros([3]).add_(zeros([2, 3]))).toThrow(/add_: a value of shape \[2, 3\] cannot be written into a tensor of shape \[3\]/);
    });

    it('throws on a tensor that requires grad, but works inside noGrad', () => {
      const w = tensor([1, 2], { requiresGrad: true });
      for (const f of [
        () => w.add_(1),
        () => w.sub_(1),
        () => w.mul_(2),
        () => w.div_(2),
        () => w.copy_(tensor([0, 0])),
        () => w.fill_(0),
        () => w.zero_(),
        () => w.clamp_(0, 1),
      ]) {
        expect(f).toThrow(/in-place ops on a tensor that requires grad.*noGrad/);
      }
      expect(w.tolist()).toEqual([1, 2]);
      noGrad(() => w.sub_(tensor([0.5, 0.5]), 2));
      expect(w.tolist()).toEqual([0, 1]);
      expect(w.requiresGrad).toBe(true);
      expect(w.isLeaf).toBe(true);
    });
  });
});
