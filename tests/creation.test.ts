// Factories: tensor() from data, the filled and ranged factories, the seeded random ones, *Like,
// and reading values back out (item, tolist, toArray, toString).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Generator,
  arange,
  eye,
  full,
  fullLike,
  linspace,
  manualSeed,
  ones,
  onesLike,
  rand,
  randLike,
  randint,
  randn,
  randnLike,
  setDefaultDevice,
  tensor,
  zeros,
  zerosLike,
  type Device,
} from '../src/index.js';

describe.each<Device>(['wasm', 'js'])('creation on %s', (device) => {
  beforeAll(() => setDefaultDevice(device));
  afterAll(() => setDefaultDevice('wasm'));

  describe('tensor()', () => {
    it('infers float32 from nested arrays holding any fraction', () => {
      const x = tensor([
        [1, 2.5],
        [3, 4],
      ]);
      expect(x.dtype).toBe('float32');
      expect(x.shape).toEqual([2, 2]);
      expect(x.device).toBe(device);
      expect(x.tolist()).toEqual([
        [1, 2.5],
        [3, 4],
      ]);
    });

    it('infers int32 from integers, bool from booleans and int32 from an Int32Array', () => {
      expect(tensor([1, 2, 3]).dtype).toBe('int32');
      const b = tensor([true, false, true]);
      expect(b.dtype).toBe('bool');
      expect(b.tolist()).toEqual([true, false, true]);
      const i = tensor(new Int32Array([4, 5, 6]));
      expect(i.dtype).toBe('int32');
      expect(i.tolist()).toEqual([4, 5, 6]);
      expect(tensor(new Float32Array([0.5])).dtype).toBe('float32');
    });

    it('makes integer data float32 when it must require grad', () => {
      const x = tensor([1, 2], { requiresGrad: true });
      expect(x.dtype).toBe('float32');
      expect(x.requiresGrad).toBe(true);
    });

    it('makes a 0-d tensor from a number and honours an explicit dtype', () => {
      const s = tensor(3.5);
      expect(s.shape).toEqual([]);
      expect(s.item()).toBe(3.5);
      expect(tensor([1, 2], { dtype: 'float32' }).dtype).toBe('float32');
      expect(tensor([0, 2, 0], { dtype: 'bool' }).tolist()).toEqual([false, true, false]);
    });

    it('reshapes flat data with the shape option', () => {
      const x = tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] });
      expect(x.shape).toEqual([2, 3]);
      expect(x.tolist()).toEqual([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      expect(tensor(new Float32Array([1, 2, 3, 4]), { shape: [2, 1, 2] }).tolist()).toEqual([[[1, 2]], [[3, 4]]]);
    });

    it('rejects flat data whose length does not fit the shape', () => {
      expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(/tensor: shape \[2, 2\] needs 4 elements but the data has 3/);
    });

    it('rejects ragged arrays, naming the offending path', () => {
      expect(() => tensor([[1, 2], [3]])).toThrow(/ragged.*data\[1\] has length 1 but length 2 was expected/);
      expect(() =>
        tensor([
          [1, 2],
          [3, [4]],
        ] as never),
      ).toThrow(/ragged.*data\[1\]\[1\] is an array/);
    });

    it('rejects fractional values for an int32 tensor', () => {
      expect(() => tensor([1, 2.5], { dtype: 'int32' })).toThrow(/int32 data must be integers \(element 1 is 2.5\)/);
    });

    it('copies its data (later writes to the source do not show)', () => {
      const src = new Float32Array([1, 2]);
      const x = tensor(src);
      src[0] = 99;
      expect(x.tolist()).toEqual([1, 2]);
    });

    it('keeps empty dimensions', () => {
      const e = tensor([]);
      expect(e.shape).toEqual([0]);
      expect(e.dtype).toBe('float32');
      expect(tensor([[], []]).shape).toEqual([2, 0]);
    });
  });

  describe('filled factories', () => {
    it('zeros, ones and full fill every element', () => {
      expect(zeros([2, 2]).tolist()).toEqual([
        [0, 0],
        [0, 0],
      ]);
      expect(ones([3]).tolist()).toEqual([1, 1, 1]);
      const f = full([2], 7, { dtype: 'int32' });
      expect(f.dtype).toBe('int32');
      expect(f.tolist()).toEqual([7, 7]);
      expect(full([], -2.5).item()).toBe(-2.5);
      expect(zeros([2, 0, 3]).numel()).toBe(0);
    });

    it('rejects negative and fractional sizes', () => {
      expect(() => zeros([2, -1])).toThrow(/^zeros: size \[2, -1\] is invalid: element 1 is -1 \(sizes must be non-negative integers\)$/);
      expect(() => ones([1.5])).toThrow(/^ones: size \[1.5\] is invalid: element 0 is 1.5/);
    });

    it('eye is the identity, rectangular when m is given', () => {
      expect(eye(3).tolist()).toEqual([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]);
      expect(eye(2, 3).tolist()).toEqual([
        [1, 0, 0],
        [0, 1, 0],
      ]);
    });

    it('arange is int32 for integer arguments and float32 otherwise', () => {
      const a = arange(5);
      expect(a.dtype).toBe('int32');
      expect(a.tolist()).toEqual([0, 1, 2, 3, 4]);
      expect(arange(2, 8, 3).tolist()).toEqual([2, 5]);
      expect(arange(5, 0, -2).tolist()).toEqual([5, 3, 1]);
      const f = arange(0, 1, 0.25);
      expect(f.dtype).toBe('float32');
      expect(f.tolist()).toEqual([0, 0.25, 0.5, 0.75]);
      expect(arange(3, 3).shape).toEqual([0]);
      // PyTorch raises when end lies behind start in the step's direction.
      expect(() => arange(3, 1)).toThrow(/^arange: end 1 cannot be reached from start 3 with step 1/);
      expect(() => arange(0, 3, 0)).toThrow(/^arange: step must be non-zero$/);
    });

    it('linspace includes both ends', () => {
      expect(linspace(0, 1, 5).tolist()).toEqual([0, 0.25, 0.5, 0.75, 1]);
      expect(linspace(2, 2, 1).tolist()).toEqual([2]);
      expect(linspace(0, 1, 0).shape).toEqual([0]);
    });

    it('*Like copy shape, dtype and device, and accept overrides', () => {
      const x = tensor([[1, 2, 3]]);
      const z = zerosLike(x);
      expect([z.shape, z.dtype, z.device, z.tolist()]).toEqual([[1, 3], 'int32', device, [[0, 0, 0]]]);
      expect(onesLike(x, { dtype: 'float32' }).tolist()).toEqual([[1, 1, 1]]);
      expect(onesLike(x, { dtype: 'float32' }).dtype).toBe('float32');
      expect(fullLike(x, 4).tolist()).toEqual([[4, 4, 4]]);
      const f = tensor([0.5, 0.5]);
      expect(randLike(f).shape).toEqual([2]);
      expect(randnLike(f).dtype).toBe('float32');
    });

    it('requiresGrad option marks a leaf', () => {
      const z = zeros([2], { requiresGrad: true });
      expect(z.requiresGrad).toBe(true);
      expect(z.isLeaf).toBe(true);
    });
  });

  describe('random factories', () => {
    it('rand is reproducible under manualSeed and lies in [0, 1)', () => {
      manualSeed(123);
      const a = rand([1000]).toArray();
      manualSeed(123);
      const b = rand([1000]).toArray();
      expect(Array.from(a)).toEqual(Array.from(b));
      expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...a)).toBeLessThan(1);
      manualSeed(124);
      expect(Array.from(rand([1000]).toArray())).not.toEqual(Array.from(a));
    });

    it('randn has mean ≈ 0 and std ≈ 1 over 10k samples', () => {
      manualSeed(0);
      const v = Array.from(randn([10000]).toArray());
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
      expect(Math.abs(mean)).toBeLessThan(0.05);
      expect(Math.abs(std - 1)).toBeLessThan(0.05);
    });

    it('randint gives int32 values in [low, high), each value reached', () => {
      manualSeed(7);
      const r = randint(-2, 3, [2000]);
      expect(r.dtype).toBe('int32');
      const v = Array.from(r.toArray());
      expect(new Set(v)).toEqual(new Set([-2, -1, 0, 1, 2]));
      manualSeed(7);
      expect(Array.from(randint(-2, 3, [2000]).toArray())).toEqual(v);
      expect(() => randint(3, 3, [1])).toThrow(/^randint: need low < high \(got 3, 3\)$/);
    });

    it('a private Generator gives the same stream without touching the global one', () => {
      const a = randn([5], { generator: new Generator(42) }).toArray();
      const b = randn([5], { generator: new Generator(42) }).toArray();
      expect(Array.from(a)).toEqual(Array.from(b));
      manualSeed(1);
      const before = rand([3]).toArray();
      manualSeed(1);
      rand([3], { generator: new Generator(9) });
      expect(Array.from(rand([3]).toArray())).toEqual(Array.from(before));
    });

    it('the same seed gives the same values on both devices', () => {
      manualSeed(5);
      const here = Array.from(randn([8]).toArray());
      manualSeed(5);
      const other = Array.from(randn([8], { device: device === 'wasm' ? 'js' : 'wasm' }).toArray());
      expect(here).toEqual(other);
    });
  });

  describe('reading values', () => {
    it('item() returns the one element of any shape', () => {
      expect(tensor([[2.5]]).item()).toBe(2.5);
      expect(tensor(7).item()).toBe(7);
    });

    it('tolist() nests like the shape', () => {
      expect(arange(6).reshape(2, 1, 3).tolist()).toEqual([[[0, 1, 2]], [[3, 4, 5]]]);
      expect(tensor(1.5).tolist()).toBe(1.5);
    });

    it('toArray() copies in row-major order, also from a non-contiguous view', () => {
      const x = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const arr = x.toArray();
      expect(arr).toBeInstanceOf(Int32Array);
      expect(Array.from(arr)).toEqual([1, 2, 3, 4, 5, 6]);
      arr[0] = 100;
      expect(x.tolist()).toEqual([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      expect(Array.from(x.t().toArray())).toEqual([1, 4, 2, 5, 3, 6]);
      expect(tensor([0.5]).toArray()).toBeInstanceOf(Float32Array);
    });

    it('toString() prints as PyTorch: aligned values, then the dtype and grad state when not the default', () => {
      expect(
        tensor([
          [1, 20],
          [3, 4],
        ]).toString(),
      ).toBe('tensor([[ 1, 20],\n        [ 3,  4]], dtype=int32)');
      const x = tensor([1.5], { requiresGrad: true });
      expect(x.toString()).toBe('tensor([1.5000], requiresGrad=true)');
      expect(x.mul(2).toString()).toBe('tensor([3.], gradFn=<mul>)');
      expect(zeros([1001]).toString()).toBe('tensor([0., 0., 0.,  ..., 0., 0., 0.])');
      const d = tensor([1]);
      d.dispose();
      expect(d.toString()).toBe('tensor(<released: dispose() was called on it>, shape=[1], dtype=int32)');
    });
  });
});

describe('float64 on the js device', () => {
  it('keeps full double precision', () => {
    const x = tensor(new Float64Array([0.1, 1 / 3]), { device: 'js' });
    expect(x.dtype).toBe('float64');
    expect(x.tolist()).toEqual([0.1, 1 / 3]);
    expect(zeros([2], { dtype: 'float64', device: 'js' }).toArray()).toBeInstanceOf(Float64Array);
  });
});
