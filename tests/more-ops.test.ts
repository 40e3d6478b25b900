import { describe, expect, it } from 'vitest';
import {
  all, any, ceil, erf, expm1, flip, floor, isnan, log1p, logicalAnd, logicalNot, logicalOr, memoryStats, nn, noGrad,
  ones, pad, prod, randn, remainder, repeat, roll, round, tensor, tidy, tile, tril, triu, type Device,
} from '../src/index.js';

const F = nn.functional;
const DEVICES: Device[] = ['wasm', 'js'];

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  Array.from(actual).forEach((v, i) => {
    if (Number.isNaN(expected[i])) expect(v).toBeNaN();
    else expect(Math.abs(v - expected[i]), `element ${i}: ${v} vs ${expected[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i])));
  });
}

const xs = [-30, -3.5, -2.5, -1.5, -0.7, -0.5, -1e-4, 0, 1e-4, 0.5, 0.7, 1.5, 2.5, 3.5, 30];
const erfRef = (x: number) => {
  // An independent reference: Simpson's rule on 2/√π ∫₀ˣ e^(−t²) dt.
  const n = 2000, h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return (2 / Math.sqrt(Math.PI)) * (h / 3) * s;
};

describe.each(DEVICES)('elementwise math on %s', (device) => {
  const x = () => tensor(xs, { device });
  it('floor, ceil and round (ties to even) match the definitions', () => {
    close(floor(x()).toArray(), xs.map(Math.floor));
    close(ceil(x()).toArray(), xs.map(Math.ceil));
    close(round(x()).toArray(), [-30, -4, -2, -2, -1, -0, -0, 0, 0, 0, 1, 2, 2, 4, 30]);
    close(round(tensor([1.2345, -2.5551], { device }), { decimals: 2 }).toArray(), [1.23, -2.56]);
    expect(floor(tensor([3, -2], { dtype: 'int32', device })).dtype).toBe('int32');
  });
  it('log1p and expm1 keep their accuracy near 0, erf matches a numerical integral', () => {
    const pos = xs.filter((v) => v > -1);
    close(log1p(tensor(pos, { device })).toArray(), pos.map(Math.log1p), 2e-6);
    close(expm1(tensor(xs.filter((v) => v < 20), { device })).toArray(), xs.filter((v) => v < 20).map(Math.expm1), 2e-6);
    close(erf(x()).toArray(), xs.map(erfRef), 2e-6);
  });
  it('isnan, logicalNot/And/Or give bools, remainder takes the sign of the divisor', () => {
    expect(isnan(tensor([NaN, 1, Infinity], { device })).tolist()).toEqual([true, false, false]);
    expect(logicalNot(tensor([0, 2, -1], { device })).tolist()).toEqual([true, false, false]);
    expect(logicalAnd(tensor([0, 2, -1], { device }), tensor([1, 0, 3], { device })).tolist()).toEqual([false, false, true]);
    expect(logicalOr(tensor([[0], [1]], { device }), tensor([0, 5], { device })).tolist()).toEqual([[false, true], [true, true]]);
    expect(logicalAnd(tensor([0, 2], { device }), true).tolist()).toEqual([false, true]);
    close(remainder(tensor([-3, 3, 5.5, -5.5], { device }), 2).toArray(), [1, 1, 1.5, 0.5]);
    close(remainder(tensor([7, -7], { device }), tensor([-3, -3], { device })).toArray(), [-2, -1]);
    const r = remainder(tensor([-7, 7], { dtype: 'int32', device }), 3);
    expect([r.dtype, r.tolist()]).toEqual(['int32', [2, 1]]);
  });
  it('prod reduces one dim or all, and its gradient is exact where an input is zero', () => {
    expect(prod(tensor([[1, 2], [3, 4]], { device }), 1).tolist()).toEqual([2, 12]);
    expect(prod(tensor([[1, 2], [3, 4]], { device }), 0, true).tolist()).toEqual([[3, 8]]);
    expect(prod(tensor([[1, 2], [3, 4]], { device })).item()).toBe(24);
    const w = tensor([0, 2, 3], { requiresGrad: true, device });
    prod(w).backward();
    expect(w.grad!.tolist()).toEqual([6, 0, 0]);
  });
  it('any and all reduce to bool', () => {
    expect(any(tensor([0, 0, 1], { device })).tolist()).toBe(true);
    expect(all(tensor([[1, 0], [1, 1]], { device }), 1).tolist()).toEqual([false, true]);
    expect(any(tensor([[0, 0], [0, 2]], { device }), 0, true).tolist()).toEqual([[false, true]]);
  });
});

describe.each(DEVICES)('activations on %s', (device) => {
  const x = () => tensor(xs, { device });
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const softplus = (v: number, b = 1, t = 20) => (b * v > t ? v : Math.log1p(Math.exp(b * v)) / b);
  const cases: [string, (t: ReturnType<typeof x>) => ReturnType<typeof x>, (v: number) => number][] = [
    ['leakyRelu', (t) => F.leakyRelu(t, 0.2), (v) => (v > 0 ? v : 0.2 * v)],
    ['silu', F.silu, (v) => v * sig(v)],
    ['elu', (t) => F.elu(t, 0.5), (v) => (v > 0 ? v : 0.5 * Math.expm1(v))],
    ['softplus', (t) => F.softplus(t, { beta: 2, threshold: 5 }), (v) => softplus(v, 2, 5)],
    ['mish', F.mish, (v) => v * Math.tanh(softplus(v))],
    ['hardswish', F.hardswish, (v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6],
    ['gelu', F.gelu, (v) => 0.5 * v * (1 + erfRef(v / Math.SQRT2))],
    ['gelu tanh', (t) => F.gelu(t, { approximate: 'tanh' }), (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
  ];
  it.each(cases)('%s matches its formula', (_, fn, ref) => {
    close(fn(x()).toArray(), xs.map(ref), 1e-5);
  });
  it('no activation leaves temporaries behind, and none gives NaN gradients in the tails', () => {
    const input = x();
    for (const [, fn] of cases) {
      const before = memoryStats().liveTensors;
      const y = noGrad(() => fn(input));
      expect(memoryStats().liveTensors).toBe(before + 1);
      y.dispose();
      const leaf = tensor([-200, -30, 30, 200], { requiresGrad: true, device });
      fn(leaf).sum().backward();
      for (const g of leaf.grad!.toArray()) expect(Number.isFinite(g)).toBe(true);
    }
  });
  it('modules carry their options', () => {
    const y = tensor([-1, 2], { dtype: 'float32', device });
    expect(new nn.LeakyReLU(0.5).forward(y).tolist()).toEqual([-0.5, 2]);
    close(new nn.ELU(2).forward(y).toArray(), [2 * Math.expm1(-1), 2]);
    close(new nn.Softplus({ beta: 2 }).forward(y).toArray(), [softplus(-1, 2), softplus(2, 2)]);
    close(new nn.GELU({ approximate: 'tanh' }).forward(y).toArray(), [-0.158808, 1.954598]);
    close(new nn.SiLU().forward(y).toArray(), [-sig(-1), 2 * sig(2)]);
    close(new nn.Mish().forward(y).toArray(), [-Math.tanh(softplus(-1)), 2 * Math.tanh(softplus(2))]);
    close(new nn.Hardswish().forward(y).toArray(), [-1 / 3, 5 / 3]);
    expect(String(new nn.GELU({ approximate: 'tanh' }))).toContain("approximate='tanh'");
  });
});

describe.each(DEVICES)('rearranging ops on %s', (device) => {
  it('tril and triu keep a triangle of the last two dims, with a diagonal offset', () => {
    expect(tril(ones([2, 3, 3], { device }))
      .select(0, 1).tolist()).toEqual([[1, 0, 0], [1, 1, 0], [1, 1, 1]]);
    expect(triu(ones([3, 4], { device }), 1).tolist()).toEqual([[0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1]]);
    expect(tril(ones([3, 2], { device }), -1).tolist()).toEqual([[0, 0], [1, 0], [1, 1]]);
    expect(tril(tensor([[true, true], [true, true]], { device })).tolist()).toEqual([[true, false], [true, true]]);
  });
  it('flip, roll, repeat and tile move elements as torch does', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { device });
    expect(flip(x, [0, 1]).tolist()).toEqual([[6, 5, 4], [3, 2, 1]]);
    expect(flip(x.t(), -1).tolist()).toEqual([[4, 1], [5, 2], [6, 3]]);
    expect(roll(x, 1).tolist()).toEqual([[6, 1, 2], [3, 4, 5]]);
    expect(roll(x, [1, -1], [0, 1]).tolist()).toEqual([[5, 6, 4], [2, 3, 1]]);
    expect(repeat(tensor([1, 2], { device }), [2, 2]).tolist()).toEqual([[1, 2, 1, 2], [1, 2, 1, 2]]);
    expect(x.repeat(1, 2).tolist()).toEqual([[1, 2, 3, 1, 2, 3], [4, 5, 6, 4, 5, 6]]);
    expect(tile(x, [2]).tolist()).toEqual([[1, 2, 3, 1, 2, 3], [4, 5, 6, 4, 5, 6]]);
  });
  it('pad fills the border in each mode, from the last dim backwards', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { device });
    expect(pad(x, [1, 2], { value: -1 }).tolist()).toEqual([[-1, 1, 2, 3, -1, -1], [-1, 4, 5, 6, -1, -1]]);
    expect(pad(x, [0, 0, 1, 0]).tolist()).toEqual([[0, 0, 0], [1, 2, 3], [4, 5, 6]]);
    expect(pad(x, [-1, 1]).tolist()).toEqual([[2, 3, 0], [5, 6, 0]]);
    expect(pad(x, [2, 2], { mode: 'reflect' }).tolist()).toEqual([[3, 2, 1, 2, 3, 2, 1], [6, 5, 4, 5, 6, 5, 4]]);
    expect(pad(x, [1, 1, 1, 0], { mode: 'replicate' }).tolist()).toEqual([[1, 1, 2, 3, 3], [1, 1, 2, 3, 3], [4, 4, 5, 6, 6]]);
    expect(pad(x, [1, 2], { mode: 'circular' }).tolist()).toEqual([[3, 1, 2, 3, 1, 2], [6, 4, 5, 6, 4, 5]]);
  });
  it('gradients of repeated reads add up (replicate pad, repeat)', () => {
    const w = tensor([1, 2, 3], { requiresGrad: true, device });
    pad(w.unsqueeze(0), [2, 1], { mode: 'replicate' }).sum().backward();
    expect(w.grad!.tolist()).toEqual([[3, 1, 2]].flat());
    const v = tensor([1, 2], { requiresGrad: true, device });
    repeat(v, [3, 2]).sum().backward();
    expect(v.grad!.tolist()).toEqual([6, 6]);
  });
  it('leaves no temporaries behind', () => {
    const x = randn([3, 4], { device });
    const before = memoryStats().liveTensors;
    tidy(() => {
      for (const mode of ['constant', 'reflect', 'replicate', 'circular'] as const) pad(x, [1, 1, 1, 1], { mode });
      roll(x, [1, 2], [0, 1]);
      repeat(x, [2, 1, 2]);
      flip(x, 0);
      tril(x);
    });
    expect(memoryStats().liveTensors).toBe(before);
  });
});

describe('bad arguments get errors that name the op and the argument', () => {
  it.each([
    [() => tril(tensor([1, 2])), /tril: input must have at least 2 dims \(got shape \[2\]\)/],
    [() => triu(ones([2, 2]), 0.5), /triu: diagonal must be an integer/],
    [() => flip(ones([2, 2]), [0, 0]), /flip: dims \[0,0\] names the same dimension twice/],
    [() => flip(ones([2, 2]), [2]), /flip/],
    [() => roll(ones([2, 2]), [1, 2]), /roll: without dims, shifts must be one integer/],
    [() => roll(ones([2, 2]), [1, 2], [0]), /roll: shifts \[1,2\] and dims \[0\] must have the same length/],
    [() => repeat(ones([2, 2]), [2]), /repeat: sizes \[2\] must have at least as many entries as the input has dims \(2/],
    [() => pad(ones([2, 3]), [1]), /pad: pad must have an even number of entries/],
    [() => pad(ones([3]), [1, 1, 1, 1]), /pad: pad \[1, 1, 1, 1\] pads 2 dims but the input has only 1/],
    [() => pad(ones([1, 3]), [3, 0], { mode: 'reflect' }), /pad: reflect padding \(3, 0\) must be smaller than the size 3 of dim 1/],
    [() => pad(ones([1, 3]), [1, 0], { mode: 'wrap' as 'constant' }), /pad: mode must be one of 'constant', 'reflect', 'replicate', 'circular' \(got "wrap"\)/],
    [() => F.gelu(ones([2]), { approximate: 'fast' as 'tanh' }), /gelu: approximate must be 'none' or 'tanh' \(got "fast"\)/],
    [() => F.softplus(ones([2]), { beta: 0 }), /softplus: beta must be non-zero/],
    [() => F.leakyRelu(ones([2]), '0.1' as unknown as number), /leakyRelu: negativeSlope must be a finite number/],
    [() => F.silu(tensor([1, 2])), /silu: input must be a floating point tensor \(got int32\)/],
    [() => new nn.ELU(Number.NaN), /ELU: alpha must be a finite number/],
    [() => round(ones([2]), { decimals: 1.5 }), /round: decimals must be an integer/],
  ])('%#', (fn, message) => {
    expect(fn).toThrow(message);
  });
});
