// dtypes and devices: promotion rules, Tessera's documented deviations from PyTorch (int32 in
// place of int64, bool stored as int32 0/1, pow of ints is float), float64 on the js device,
// the default device, and the two devices agreeing.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Generator,
  arange,
  cat,
  eye,
  getDefaultDevice,
  matmul,
  randn,
  setDefaultDevice,
  stack,
  tensor,
  where,
  zeros,
  type DType,
  type Device,
} from '../src/index.js';

describe.each<Device>(['wasm', 'js'])('dtypes on %s', (device) => {
  const t = (data: Parameters<typeof tensor>[0], dtype?: DType) => tensor(data, { device, dtype });

  it('promotes bool < int32 < float32 in arithmetic', () => {
    const b = t([true, false]);
    const i = t([5, 6]);
    const f = t([0.5, 0.5]);
    expect(b.add(b).dtype).toBe('int32');
    expect(b.add(i).tolist()).toEqual([6, 6]);
    expect(i.add(f).dtype).toBe('float32');
    expect(b.mul(f).tolist()).toEqual([0.5, 0]);
  });

  it('number operands take the tensor’s dtype unless they are fractional', () => {
    expect(t([1, 2]).mul(3).dtype).toBe('int32');
    expect(t([1, 2]).mul(1.5).dtype).toBe('float32');
    expect(t([1.5]).add(1).dtype).toBe('float32');
  });

  it('int32 arithmetic wraps around on overflow (two’s complement), on both devices', () => {
    expect(t([2147483647]).add(1).tolist()).toEqual([-2147483648]);
    expect(t([65536]).mul(65536).tolist()).toEqual([0]);
  });

  it('true division and pow of int32 give float32 (Tessera’s rule; PyTorch keeps int for pow)', () => {
    expect(
      t([7])
        .div(t([2]))
        .tolist(),
    ).toEqual([3.5]);
    const p = t([2, 3]).pow(2);
    expect(p.dtype).toBe('float32');
    expect(p.tolist()).toEqual([4, 9]);
  });

  it('stores bool as int32 0/1: toArray gives an Int32Array, tolist gives booleans', () => {
    const b = t([true, false, true]);
    const raw = b.toArray();
    expect(raw).toBeInstanceOf(Int32Array);
    expect(Array.from(raw)).toEqual([1, 0, 1]);
    expect(b.tolist()).toEqual([true, false, true]);
  });

  it('casting to bool maps every non-zero (NaN included) to exactly 1', () => {
    expect(Array.from(t([0, -3, 2]).to('bool').toArray())).toEqual([0, 1, 1]);
    expect(t([0.5, -0.2, 0, NaN]).to('bool').tolist()).toEqual([true, true, false, true]);
    expect(t([0, -3, 2]).to('bool').sum().item()).toBe(2);
    expect(t([0, -3, 2]).to('bool').float().tolist()).toEqual([0, 1, 1]);
  });

  it('casting float32 to int32 truncates toward zero; bool to float gives 0/1', () => {
    expect(t([2.9, -2.9, 0.1]).to('int32').tolist()).toEqual([2, -2, 0]);
    expect(t([true, false]).to('float32').tolist()).toEqual([1, 0]);
  });

  it('comparisons and where keep bool where PyTorch does', () => {
    expect(t([1, 2]).gt(1.5).tolist()).toEqual([false, true]);
    const w = where(t([true, false]), t([true, true]), t([false, false]));
    expect(w.dtype).toBe('bool');
    expect(w.tolist()).toEqual([true, false]);
  });

  it('cat and stack of bool tensors stay bool; mixed dtypes promote', () => {
    const b = cat([t([true]), t([false])]);
    expect(b.dtype).toBe('bool');
    expect(b.tolist()).toEqual([true, false]);
    expect(stack([t([true]), t([true])]).dtype).toBe('bool');
    expect(cat([t([true]), t([2])]).dtype).toBe('int32');
    expect(cat([t([1]), t([0.5])]).tolist()).toEqual([1, 0.5]);
  });

  it('rounds float32 data to single precision', () => {
    expect(t([0.1]).item()).toBe(Math.fround(0.1));
    expect(t([16777217]).float().item()).toBe(16777216);
  });

  it('reductions of int32 stay int32; mean, var and std refuse int32 as PyTorch does', () => {
    const i = t([
      [1, 2],
      [3, 4],
    ]);
    expect(i.sum().dtype).toBe('int32');
    expect(i.max().dtype).toBe('int32');
    expect(() => i.mean()).toThrow(/^mean: the input is int32/);
    expect(() => i.std()).toThrow(/^std: the input is int32/);
    expect(i.float().mean().dtype).toBe('float32');
  });
});

describe('float64 on the js device', () => {
  const d = (values: number[], shape?: number[]) => tensor(new Float64Array(values), { device: 'js', shape });

  it('computes in double precision', () => {
    expect(d([0.1]).add(0.2).item()).toBe(0.1 + 0.2);
    expect(d([0.1, 0.2]).sum().item()).toBe(0.1 + 0.2);
    expect(d([1]).exp().item()).toBe(Math.E);
    expect(d([1, 2]).softmax(0).tolist()).toEqual([expect.closeTo(1 / (1 + Math.E), 15), expect.closeTo(Math.E / (1 + Math.E), 15)]);
  });

  it('promotes float32 and int32 to float64', () => {
    expect(d([0.1]).add(tensor([0.5], { device: 'js' })).dtype).toBe('float64');
    expect(tensor([1], { device: 'js' }).add(d([0.5])).dtype).toBe('float64');
  });

  it('multiplies matrices and backpropagates in float64', () => {
    const m = d([0.1, 0.2, 0.3, 0.4], [2, 2]);
    expect(matmul(m, eye(2, 2, { device: 'js', dtype: 'float64' })).tolist()).toEqual([
      [0.1, 0.2],
      [0.3, 0.4],
    ]);
    const x = tensor(new Float64Array([0.1, 0.2]), { device: 'js', requiresGrad: true });
    x.mul(x).sum().backward();
    expect(x.grad!.dtype).toBe('float64');
    expect(x.grad!.tolist()).toEqual([0.2, 0.4]);
  });

  it('random factories and float() conversions', () => {
    expect(randn([2], { device: 'js', dtype: 'float64' }).dtype).toBe('float64');
    expect(d([0.1]).float().item()).toBe(Math.fround(0.1));
    expect(tensor([0.1], { device: 'js' }).to('float64').item()).toBe(Math.fround(0.1));
  });

  it('a Float64Array becomes float32 on the wasm device', () => {
    const x = tensor(new Float64Array([1.5]));
    expect(x.device).toBe('wasm');
    expect(x.dtype).toBe('float32');
  });
});

describe('devices', () => {
  afterEach(() => setDefaultDevice('wasm'));

  it('wasm is the default and setDefaultDevice switches where factories put tensors', () => {
    expect(getDefaultDevice()).toBe('wasm');
    expect(zeros([1]).device).toBe('wasm');
    setDefaultDevice('js');
    expect(getDefaultDevice()).toBe('js');
    expect(zeros([1]).device).toBe('js');
    expect(arange(3).device).toBe('js');
    expect(tensor([1]).device).toBe('js');
    expect(zeros([1], { device: 'wasm' }).device).toBe('wasm');
  });

  it('results stay on their inputs’ device', () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { device: 'js', dtype: 'float32' },
    );
    for (const r of [x.add(1), x.sum(), x.matmul(x), x.t().contiguous(), x.softmax(1), x.indexSelect(0, tensor([1], { device: 'js' }))]) {
      expect(r.device).toBe('js');
    }
  });

  it('the devices agree on a chain of ops from the same data', () => {
    const run = (device: Device) => {
      const g = new Generator(3);
      const x = randn([4, 5], { device, generator: g });
      const w = randn([5, 3], { device, generator: g }).requiresGrad_();
      const loss = x
        .matmul(w)
        .tanh()
        .logSoftmax(1)
        .mul(x.slice(1, 0, 3))
        .sum();
      loss.backward();
      return { loss: loss.item(), grad: Array.from(w.grad!.toArray()) };
    };
    const a = run('wasm');
    const b = run('js');
    expect(a.loss).toBeCloseTo(b.loss, 4);
    a.grad.forEach((v, i) => expect(v).toBeCloseTo(b.grad[i], 4));
  });
});
