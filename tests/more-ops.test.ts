import { describe, expect, it } from 'vitest';
import {
  argsort,
  cumprod,
  cumsum,
  einsum,
  Generator,
  indexAdd,
  matmul,
  max,
  multinomial,
  scatter,
  scatterAdd,
  sort,
  topk,
  zeros,
  all,
  any,
  ceil,
  erf,
  expm1,
  flip,
  floor,
  isnan,
  log1p,
  logicalAnd,
  logicalNot,
  logicalOr,
  memoryStats,
  nn,
  noGrad,
  ones,
  pad,
  prod,
  randn,
  remainder,
  repeat,
  roll,
  round,
  tensor,
  tidy,
  tile,
  tril,
  triu,
  type Device,
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
  const n = 2000,
    h = x / n;
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
    close(
      expm1(
        tensor(
          xs.filter((v) => v < 20),
          { device },
        ),
      ).toArray(),
      xs.filter((v) => v < 20).map(Math.expm1),
      2e-6,
    );
    close(erf(x()).toArray(), xs.map(erfRef), 2e-6);
  });
  it('isnan, logicalNot/And/Or give bools, remainder takes the sign of the divisor', () => {
    expect(isnan(tensor([NaN, 1, Infinity], { device })).tolist()).toEqual([true, false, false]);
    expect(logicalNot(tensor([0, 2, -1], { device })).tolist()).toEqual([true, false, false]);
    expect(logicalAnd(tensor([0, 2, -1], { device }), tensor([1, 0, 3], { device })).tolist()).toEqual([false, false, true]);
    expect(logicalOr(tensor([[0], [1]], { device }), tensor([0, 5], { device })).tolist()).toEqual([
      [false, true],
      [true, true],
    ]);
    expect(logicalAnd(tensor([0, 2], { device }), true).tolist()).toEqual([false, true]);
    close(remainder(tensor([-3, 3, 5.5, -5.5], { device }), 2).toArray(), [1, 1, 1.5, 0.5]);
    close(remainder(tensor([7, -7], { device }), tensor([-3, -3], { device })).toArray(), [-2, -1]);
    const r = remainder(tensor([-7, 7], { dtype: 'int32', device }), 3);
    expect([r.dtype, r.tolist()]).toEqual(['int32', [2, 1]]);
    // Exact on int32 beyond float32's 2²⁴ (a float division would give 0 here), sign of the divisor.
    const big = remainder(tensor([16777217, -7, 7, -7], { dtype: 'int32', device }), tensor([2, 3, -3, -3], { dtype: 'int32', device }));
    expect([big.dtype, big.tolist()]).toEqual(['int32', [1, 2, -2, -1]]);
    expect(remainder(7, tensor([[3], [-3]], { dtype: 'int32', device })).tolist()).toEqual([[1], [-2]]);
  });
  it('prod reduces one dim or all, and its gradient is exact where an input is zero', () => {
    expect(
      prod(
        tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { device },
        ),
        1,
      ).tolist(),
    ).toEqual([2, 12]);
    expect(
      prod(
        tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { device },
        ),
        0,
        true,
      ).tolist(),
    ).toEqual([[3, 8]]);
    expect(
      prod(
        tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { device },
        ),
      ).item(),
    ).toBe(24);
    const w = tensor([0, 2, 3], { requiresGrad: true, device });
    prod(w).backward();
    expect(w.grad!.tolist()).toEqual([6, 0, 0]);
  });
  it('any and all reduce to bool', () => {
    expect(any(tensor([0, 0, 1], { device })).tolist()).toBe(true);
    expect(
      all(
        tensor(
          [
            [1, 0],
            [1, 1],
          ],
          { device },
        ),
        1,
      ).tolist(),
    ).toEqual([false, true]);
    expect(
      any(
        tensor(
          [
            [0, 0],
            [0, 2],
          ],
          { device },
        ),
        0,
        true,
      ).tolist(),
    ).toEqual([[false, true]]);
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
    ['hardtanh', (t) => F.hardtanh(t, { minVal: -0.5, maxVal: 2 }), (v) => Math.min(Math.max(v, -0.5), 2)],
    ['relu6', (t) => F.relu6(t, { inplace: true }), (v) => Math.min(Math.max(v, 0), 6)],
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
    expect(new nn.Hardtanh().forward(y).tolist()).toEqual([-1, 1]);
    expect(new nn.Hardtanh({ minVal: -2, maxVal: 1.5, inplace: false }).forward(y).tolist()).toEqual([-1, 1.5]);
    expect(new nn.ReLU6().forward(tensor([-1, 7, 3], { dtype: 'float32', device })).tolist()).toEqual([0, 6, 3]);
    expect(String(new nn.Hardtanh({ minVal: -2, maxVal: 3 }))).toBe('Hardtanh(min_val=-2, max_val=3)');
    expect(String(new nn.ReLU6())).toBe('ReLU6()');
    expect(String(new nn.GELU({ approximate: 'tanh' }))).toContain("approximate='tanh'");
  });
});

describe.each(DEVICES)('rearranging ops on %s', (device) => {
  it('tril and triu keep a triangle of the last two dims, with a diagonal offset', () => {
    expect(
      tril(ones([2, 3, 3], { device }))
        .select(0, 1)
        .tolist(),
    ).toEqual([
      [1, 0, 0],
      [1, 1, 0],
      [1, 1, 1],
    ]);
    expect(triu(ones([3, 4], { device }), 1).tolist()).toEqual([
      [0, 1, 1, 1],
      [0, 0, 1, 1],
      [0, 0, 0, 1],
    ]);
    expect(tril(ones([3, 2], { device }), -1).tolist()).toEqual([
      [0, 0],
      [1, 0],
      [1, 1],
    ]);
    expect(
      tril(
        tensor(
          [
            [true, true],
            [true, true],
          ],
          { device },
        ),
      ).tolist(),
    ).toEqual([
      [true, false],
      [true, true],
    ]);
  });
  it('flip, roll, repeat and tile move elements as torch does', () => {
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device },
    );
    expect(flip(x, [0, 1]).tolist()).toEqual([
      [6, 5, 4],
      [3, 2, 1],
    ]);
    expect(flip(x.t(), -1).tolist()).toEqual([
      [4, 1],
      [5, 2],
      [6, 3],
    ]);
    expect(roll(x, 1).tolist()).toEqual([
      [6, 1, 2],
      [3, 4, 5],
    ]);
    expect(roll(x, [1, -1], [0, 1]).tolist()).toEqual([
      [5, 6, 4],
      [2, 3, 1],
    ]);
    expect(repeat(tensor([1, 2], { device }), [2, 2]).tolist()).toEqual([
      [1, 2, 1, 2],
      [1, 2, 1, 2],
    ]);
    expect(x.repeat(1, 2).tolist()).toEqual([
      [1, 2, 3, 1, 2, 3],
      [4, 5, 6, 4, 5, 6],
    ]);
    expect(tile(x, [2]).tolist()).toEqual([
      [1, 2, 3, 1, 2, 3],
      [4, 5, 6, 4, 5, 6],
    ]);
  });
  it('pad fills the border in each mode, from the last dim backwards', () => {
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device },
    );
    expect(pad(x, [1, 2], { value: -1 }).tolist()).toEqual([
      [-1, 1, 2, 3, -1, -1],
      [-1, 4, 5, 6, -1, -1],
    ]);
    expect(pad(x, [0, 0, 1, 0]).tolist()).toEqual([
      [0, 0, 0],
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(pad(x, [-1, 1]).tolist()).toEqual([
      [2, 3, 0],
      [5, 6, 0],
    ]);
    expect(pad(x, [2, 2], { mode: 'reflect' }).tolist()).toEqual([
      [3, 2, 1, 2, 3, 2, 1],
      [6, 5, 4, 5, 6, 5, 4],
    ]);
    expect(pad(x, [1, 1, 1, 0], { mode: 'replicate' }).tolist()).toEqual([
      [1, 1, 2, 3, 3],
      [1, 1, 2, 3, 3],
      [4, 4, 5, 6, 6],
    ]);
    expect(pad(x, [1, 2], { mode: 'circular' }).tolist()).toEqual([
      [3, 1, 2, 3, 1, 2],
      [6, 4, 5, 6, 4, 5],
    ]);
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

describe.each(DEVICES)('ordering, scans, scatters and einsum on %s', (device) => {
  it('sort and topk return a pair that destructures as [values, indices] and has .values/.indices', () => {
    const x = tensor(
      [
        [3, 1, 2],
        [0, 5, 4],
      ],
      { dtype: 'float32', device },
    );
    const [values, indices] = sort(x, { dim: 1, descending: true });
    expect([values.tolist(), indices.tolist(), indices.dtype]).toEqual([
      [
        [3, 2, 1],
        [5, 4, 0],
      ],
      [
        [0, 2, 1],
        [1, 2, 0],
      ],
      'int32',
    ]);
    const top = topk(x, 2);
    expect([top.values.tolist(), top.indices.tolist()]).toEqual([
      [
        [3, 2],
        [5, 4],
      ],
      [
        [0, 2],
        [1, 2],
      ],
    ]);
    expect(topk(x, 1, { dim: 0, largest: false }).values.tolist()).toEqual([[0, 1, 2]]);
    const [m, at] = max(x, 1);
    expect([m.tolist(), at.tolist()]).toEqual([
      [3, 5],
      [0, 1],
    ]);
    expect(argsort(tensor([2, 1, 2, 0], { device })).tolist()).toEqual([3, 1, 0, 2]);
    const [s] = sort(tensor([1, Number.NaN, -1], { device }));
    expect(s.tolist()).toEqual([-1, 1, Number.NaN]);
  });
  it("cumsum and cumprod scan along a dim; cumprod's gradient is exact at zeros", () => {
    expect(
      cumsum(
        tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { device },
        ),
        0,
      ).tolist(),
    ).toEqual([
      [1, 2],
      [4, 6],
    ]);
    expect(
      cumsum(
        tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { device },
        ),
        -1,
      ).tolist(),
    ).toEqual([
      [1, 3],
      [3, 7],
    ]);
    const w = tensor([2, 0, 3], { requiresGrad: true, device });
    cumprod(w, 0).sum().backward();
    // d/dw0 (w0 + w0w1 + w0w1w2) = 1 + w1 + w1w2 = 1; d/dw1 = w0 + w0w2 = 8; d/dw2 = w0w1 = 0.
    expect(w.grad!.tolist()).toEqual([1, 8, 0]);
  });
  it('multinomial draws in proportion to the weights, reproducibly with a generator', () => {
    const probs = tensor([0.1, 0, 0.6, 0.3], { device });
    const draws = multinomial(probs, 4000, { replacement: true, generator: new Generator(1) }).toArray();
    const freq = [0, 1, 2, 3].map((c) => draws.filter((v) => v === c).length / draws.length);
    close(freq, [0.1, 0, 0.6, 0.3], 0.1);
    expect(freq[1]).toBe(0);
    const rows = multinomial(
      tensor(
        [
          [1, 1, 1],
          [0, 5, 1],
        ],
        { dtype: 'float32', device },
      ),
      2,
      { generator: new Generator(2) },
    );
    expect(rows.shape).toEqual([2, 2]);
    for (const row of rows.tolist() as number[][]) expect(new Set(row).size).toBe(2);
    expect(multinomial(probs, 3, { generator: new Generator(5) }).tolist()).toEqual(multinomial(probs, 3, { generator: new Generator(5) }).tolist());
  });
  it('scatter writes, scatterAdd and indexAdd accumulate, F.oneHot encodes', () => {
    const idx = tensor([[2], [0]], { dtype: 'int32', device });
    expect(scatter(zeros([2, 3], { device }), 1, idx, 1).tolist()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
    ]);
    expect(scatterAdd(zeros([3], { device }), 0, tensor([0, 0, 2], { dtype: 'int32', device }), ones([3], { device })).tolist()).toEqual([2, 0, 1]);
    expect(indexAdd(zeros([3, 2], { device }), 0, tensor([0, 2, 0], { dtype: 'int32', device }), ones([3, 2], { device }), { alpha: 2 }).tolist()).toEqual([
      [4, 4],
      [0, 0],
      [2, 2],
    ]);
    expect(F.oneHot(tensor([0, 2], { dtype: 'int32', device }), 3).tolist()).toEqual([
      [1, 0, 0],
      [0, 0, 1],
    ]);
    expect(F.oneHot(tensor([[1], [3]], { dtype: 'int32', device })).shape).toEqual([2, 1, 4]);
    const src = tensor([[5, 6]], { requiresGrad: true, device });
    const x = tensor([[1, 2, 3]], { requiresGrad: true, device });
    scatter(x, 1, tensor([[2, 0]], { dtype: 'int32', device }), src)
      .mul(tensor([[1, 2, 3]], { device }))
      .sum()
      .backward();
    expect([x.grad!.tolist(), src.grad!.tolist()]).toEqual([[[0, 2, 0]], [[3, 1]]]);
  });
  it('einsum contracts like matmul, takes diagonals, sums, broadcasts and infers the output', () => {
    const a = randn([2, 3], { device }),
      b = randn([3, 4], { device });
    close(einsum('ij,jk->ik', a, b).toArray(), Array.from(matmul(a, b).toArray()));
    expect(
      einsum(
        'ii->i',
        tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { device },
        ),
      ).tolist(),
    ).toEqual([1, 4]);
    expect(
      einsum(
        'ij->',
        tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { device },
        ),
      ).tolist(),
    ).toBe(10);
    expect(einsum('i,j', tensor([1, 2], { device }), tensor([3, 4], { device })).tolist()).toEqual([
      [3, 4],
      [6, 8],
    ]);
    expect(einsum('ba', tensor([[1, 2]], { device })).tolist()).toEqual([[1], [2]]);
    expect(einsum('...ij->...ji', ones([2, 1, 3], { device })).shape).toEqual([2, 3, 1]);
    expect(einsum('bij,bjk->bik', ones([1, 2, 3], { device }), ones([5, 3, 2], { device })).shape).toEqual([5, 2, 2]);
    expect(einsum('ij,jk,kl->il', [a, b, ones([4, 2], { device })]).shape).toEqual([2, 2]);
  });
});

describe('norm and loss modules', () => {
  it("GroupNorm and RMSNorm have PyTorch's state-dict keys and match their functionals", () => {
    const g = new nn.GroupNorm(2, 4);
    expect(Object.keys(g.stateDict())).toEqual(['weight', 'bias']);
    const x = randn([3, 4, 5]);
    close(g(x).toArray(), Array.from(F.groupNorm(x, 2, null, null).toArray()));
    expect(Object.keys(new nn.GroupNorm(1, 3, { affine: false }).stateDict())).toEqual([]);
    const r = new nn.RMSNorm(5, { eps: 1e-6 });
    expect(Object.keys(r.stateDict())).toEqual(['weight']);
    const y = r(x).toArray();
    const row = Array.from(x.toArray()).slice(0, 5);
    const rms = Math.sqrt(row.reduce((a, v) => a + v * v, 0) / 5 + 1e-6);
    close(
      Array.from(y).slice(0, 5),
      row.map((v) => v / rms),
    );
    expect(() => g(randn([2, 3, 5]))).toThrow(/GroupNorm: expected 4 channels in dim 1 of the input \(got shape \[2, 3, 5\]\)/);
    expect(() => new nn.GroupNorm(3, 4)).toThrow(/GroupNorm: numChannels 4 must be divisible by numGroups 3/);
  });
  it('HuberLoss, SmoothL1Loss and KLDivLoss carry their options', () => {
    const input = tensor([0, 0, 0], { dtype: 'float32' }),
      target = tensor([0.5, 2, -3], { dtype: 'float32' });
    close([new nn.HuberLoss({ delta: 1, reduction: 'sum' })(input, target).item()], [0.125 + 1.5 + 2.5]);
    close([new nn.SmoothL1Loss({ beta: 1 })(input, target).item()], [(0.125 + 1.5 + 2.5) / 3]);
    const logp = tensor([[Math.log(0.5), Math.log(0.5)]]),
      p = tensor([[0.25, 0.75]]);
    const kl = 0.25 * Math.log(0.25 / 0.5) + 0.75 * Math.log(0.75 / 0.5);
    close([new nn.KLDivLoss({ reduction: 'batchmean' })(logp, p).item()], [kl]);
    close([new nn.KLDivLoss({ reduction: 'sum', logTarget: true })(logp, p.log()).item()], [kl]);
    expect(() => F.klDiv(logp, p, { reduction: 'avg' as 'mean' })).toThrow(/klDiv: reduction must be 'mean', 'batchmean', 'sum' or 'none' \(got "avg"\)/);
    // The module checks its options when it is built, not at the first call.
    expect(() => new nn.KLDivLoss({ reduction: 'avg' as 'mean' })).toThrow(
      /KLDivLoss: reduction must be one of "mean", "batchmean", "sum", "none" \(got "avg"\)/,
    );
    expect(() => new nn.KLDivLoss({ logTarget: 'yes' as unknown as boolean })).toThrow(/KLDivLoss: logTarget must be true or false \(got "yes"\)/);
    expect(() => F.huberLoss(input, target, { delta: 0 })).toThrow(/huberLoss: delta must be a positive number \(got 0\)/);
  });
});

describe('bad arguments get errors that name the op and the argument', () => {
  it("sort and argsort take PyTorch's stable flag (Tessera always sorts stably)", () => {
    expect(sort(tensor([1, 0, 1, 0]), { stable: true }).indices.tolist()).toEqual([1, 3, 0, 2]);
    expect(argsort(tensor([1, 0, 1, 0]), { stable: true, descending: true }).tolist()).toEqual([0, 2, 1, 3]);
  });
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
    [() => F.gelu(ones([2]), { approximate: 'fast' as 'tanh' }), /gelu: approximate must be one of "none", "tanh" \(got "fast"\)/],
    [() => F.softplus(ones([2]), { beta: 0 }), /softplus: beta must be non-zero/],
    [() => F.hardtanh(ones([2]), { minVal: 2, maxVal: 1 }), /hardtanh: minVal \(2\) must not exceed maxVal \(1\)/],
    [() => F.hardtanh(ones([2]), { maxVal: '6' as unknown as number }), /hardtanh: maxVal must be a finite number \(got 6\)/],
    [() => F.hardtanh(ones([2]), -1 as never), /hardtanh/],
    [() => new nn.Hardtanh({ min_val: -2 } as never), /Hardtanh.*min_val/],
    [() => F.relu6(tensor([1, 2])), /relu6: input must be a floating point tensor \(got int32\)/],
    [() => new nn.ReLU6({ inplace: 1 } as never), /ReLU6: inplace must be a boolean \(got 1\)/],
    [() => F.leakyRelu(ones([2]), '0.1' as unknown as number), /leakyRelu: negativeSlope must be a finite number/],
    [() => F.silu(tensor([1, 2])), /silu: input must be a floating point tensor \(got int32\)/],
    [() => new nn.ELU(Number.NaN), /ELU: alpha must be a finite number/],
    [() => round(ones([2]), { decimals: 1.5 }), /round: decimals must be an integer/],
    [() => topk(ones([2, 3]), 4), /topk: k must be an integer from 0 to 3, the size of dim 1 \(got 4; input shape \[2, 3\]\)/],
    [() => sort(ones([2]), { dim: 1 }), /sort/],
    [() => multinomial(tensor([0.5, 0.5]), 3), /multinomial: cannot draw 3 samples without replacement from 2 categories/],
    [() => multinomial(tensor([0.5, -0.5]), 1), /multinomial: probs must be finite and non-negative \(row 0 has -0.5 at 1\)/],
    [() => multinomial(tensor([0, 0], { dtype: 'float32' }), 1), /multinomial: row 0 of probs sums to 0/],
    [() => scatter(zeros([2, 2]), 1, tensor([[0, 1, 0]], { dtype: 'int32' }), ones([1, 2])), /scatter: index \[1, 3\] is larger than src \[1, 2\] in dim 1/],
    [
      () => scatterAdd(zeros([2, 2]), 0, tensor([[3, 0]], { dtype: 'int32' }), ones([1, 2])),
      /scatterAdd: index 3 \(element 0 of the index\) is out of range for dim 0 of size 2/,
    ],
    [() => indexAdd(zeros([3, 2]), 0, tensor([0], { dtype: 'int32' }), ones([2, 2])), /indexAdd: source must have shape \[1, 2\]/],
    [() => F.oneHot(tensor([0, 3], { dtype: 'int32' }), 3), /oneHot: class index 3 \(element 1\) is out of range for 3 classes/],
    [() => einsum('ij,jk->ik', ones([2, 3])), /einsum: equation 'ij,jk->ik' has 2 operands but 1 tensor was given/],
    [() => einsum('ij,jk->ik', ones([2, 3]), ones([4, 5])), /einsum: subscript 'j' has size 4 in operand 1 \(shape \[4, 5\]\) but 3 elsewhere/],
    [() => einsum('ijk->i', ones([2, 3])), /einsum: operand 0 'ijk' names 3 dims but the operand has 2/],
    [() => einsum('ij->iz', ones([2, 3])), /einsum: output subscript 'z' appears in no operand/],
    [() => einsum('i1->i', ones([2, 3])), /einsum: operand 0 has the character '1'/],
    // PyTorch refuses a src/source of another dtype rather than casting it silently.
    [
      () => scatter(zeros([3]), 0, tensor([1], { dtype: 'int32' }), tensor([7], { dtype: 'int32' })),
      /scatter: src \(int32\) must have the input's dtype \(float32\)/,
    ],
    [
      () => scatterAdd(zeros([3]), 0, tensor([1], { dtype: 'int32' }), tensor([7], { dtype: 'int32' })),
      /scatterAdd: src \(int32\) must have the input's dtype/,
    ],
    [() => indexAdd(zeros([3]), 0, tensor([1], { dtype: 'int32' }), tensor([7], { dtype: 'int32' })), /indexAdd: source \(int32\) must have the input's dtype/],
    [
      () => remainder(tensor([5, 1], { dtype: 'int32' }), tensor([1, 0], { dtype: 'int32' })),
      /remainder: integer division by zero \(element 1 of the divisor, shape \[2\]\)/,
    ],
    [() => remainder(tensor([5], { dtype: 'int32' }), 0), /remainder: integer division by zero/],
    [() => sort(ones([3]), { stable: 'yes' as never }), /sort: stable must be true or false \(got "yes"\)/],
    [() => (cumsum as (x: unknown) => unknown)(ones([3])), /cumsum: dim must be an integer from -1 to 0 for a tensor with 1 dimension\(s\) \(got undefined\)/],
    [() => cumprod(ones([3]), 0.5), /cumprod: dim must be an integer from -1 to 0 .*\(got 0\.5\)/],
  ])('%#', (fn, message) => {
    expect(fn).toThrow(message);
  });
});
