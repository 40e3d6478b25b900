// PyTorch habits that must mean in Tessera what they mean in PyTorch (issue 11 §2).
import { describe, expect, it } from 'vitest';
import { Generator, amax, nn, norm, ones, rand, randn, std, tensor, zeros, type Tensor } from '../src/index.js';

describe('size() and numel()', () => {
  it('x.size() is the shape, x.size(d) one dim (negative from the end), x.numel() the count', () => {
    const x = zeros([2, 3, 4]);
    expect(x.size()).toEqual([2, 3, 4]);
    expect(x.size(1)).toBe(3);
    expect(x.size(-1)).toBe(4);
    expect(x.numel()).toBe(24);
    expect(zeros([2, 0]).numel()).toBe(0);
    expect(tensor(5).size()).toEqual([]);
  });

  it('size(d) out of range or on a 0-d tensor is a clear error', () => {
    expect(() => randn([2, 3]).size(2)).toThrow(/size: dim 2 is out of range/);
    expect(() => tensor(5).size(0)).toThrow(/size: dim 0 given but the tensor is 0-d/);
  });

  it('size() returns a fresh array (mutating it does not reshape the tensor)', () => {
    const x = zeros([2, 3]);
    const s = x.size();
    s[0] = 7;
    expect(x.shape).toEqual([2, 3]);
  });
});

describe('factories take sizes as varargs too', () => {
  it('zeros(2, 3), ones(2, 3, opts), rand(2, 3), randn(2, 3, { generator }) equal the array forms', () => {
    expect(zeros(2, 3).shape).toEqual([2, 3]);
    expect(ones(2, 3, { dtype: 'int32' }).tolist()).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
    expect(rand(4).shape).toEqual([4]);
    const a = randn(2, 3, { generator: new Generator(5) });
    const b = randn([2, 3], { generator: new Generator(5) });
    expect(a.tolist()).toEqual(b.tolist());
  });
});

const m = () =>
  tensor([
    [1, 2, 4],
    [3, -8, 5],
  ]);

describe('dtype conversions by name', () => {
  it('.float(), .double(), .int(), .long() (int32: Tessera has no int64) and .bool()', () => {
    const x = tensor([0, 1.5, -2.7]);
    const onJs = x.to('js');
    expect([onJs.double().dtype, onJs.double().float().dtype]).toEqual(['float64', 'float32']);
    expect([x.int().dtype, x.int().tolist()]).toEqual(['int32', [0, 1, -2]]);
    expect([x.long().dtype, x.long().tolist()]).toEqual(['int32', [0, 1, -2]]);
    expect([x.bool().dtype, x.bool().tolist()]).toEqual(['bool', [false, true, true]]);
  });
});

// PyTorch refuses float64 on a device without it (MPS) rather than moving the tensor: Tessera's wasm
// device likewise, with the one call that does it in the message.
describe('float64 lives on the js device', () => {
  it(".double() and .to('float64') on wasm name the call that moves and converts: x.to('js', 'float64')", () => {
    const x = tensor([0.5, 1.5]);
    expect(() => x.double()).toThrow(
      "double: float64 tensors live on the 'js' device only, and this tensor is on 'wasm': move and convert it at once with x.to('js', 'float64') (or x.to('js').double())",
    );
    expect(() => x.to('float64')).toThrow(/^to: float64 tensors live on the 'js' device only, and this tensor is on 'wasm': .*x\.to\('js', 'float64'\)/);
    expect(() => x.to({ dtype: 'float64' })).toThrow(/^to: float64 tensors live on the 'js' device only/);
    expect(() => zeros([2], { dtype: 'float64' })).toThrow(
      "float64 tensors live on the 'js' device only (got device 'wasm'): pass { device: 'js' }, or use float32 on 'wasm'",
    );
  });

  it("x.to('js', 'float64'), x.to({ device, dtype }) and x.to(other) move and convert in one call, gradients flowing back to wasm float32", () => {
    const x = tensor([0.5, 1.5, -2]).requiresGrad_();
    for (const y of [x.to('js', 'float64'), x.to({ device: 'js', dtype: 'float64' }), x.to(zeros([1], { device: 'js', dtype: 'float64' }))]) {
      expect([y.device, y.dtype, y.tolist()]).toEqual(['js', 'float64', [0.5, 1.5, -2]]);
    }
    const y = x.to('js', 'float64');
    y.mul(y).sum().backward();
    expect([x.grad!.device, x.grad!.dtype, x.grad!.tolist()]).toEqual(['wasm', 'float32', [1, 3, -4]]);
    expect(x.to('js').double().dtype).toBe('float64');
    expect(x.to({ dtype: 'int32' }).tolist()).toEqual([0, 1, -2]);
  });

  it("a float64 tensor leaves js only converted: x.to('wasm', 'float32'), not x.to('wasm')", () => {
    const d = tensor([1.25, 2], { device: 'js', dtype: 'float64' });
    const back = d.to('wasm', 'float32');
    expect([back.device, back.dtype, back.tolist()]).toEqual(['wasm', 'float32', [1.25, 2]]);
    expect(() => d.to('wasm')).toThrow(
      "to: float64 tensors live on the 'js' device only, so this one cannot move to 'wasm': convert and move it at once with x.to('wasm', 'float32')",
    );
  });

  it('to() with arguments a JS user gets wrong names them', () => {
    const x = tensor([1]);
    expect(() => x.to('float16' as never)).toThrow(/^to: expected a dtype .* got "float16"/);
    expect(() => x.to('float32', 'js' as never)).toThrow(/^to: expected a dtype .* got "float32" and "js"/);
    expect(() => x.to('js', 'half' as never)).toThrow(/^to: dtype must be one of "float32", "float64", "int32", "bool" \(got "half"\)/);
    expect(() => x.to({ device: 'cuda' } as never)).toThrow(/^to: device must be one of "wasm", "js" \(got "cuda"\)/);
    expect(() => x.to({ dtype: 'float32', copy: true } as never)).toThrow(/^to: unknown option "copy" \(expected device, dtype\)/);
  });
});

describe('x.T and x.mT', () => {
  it('T transposes a matrix (a view that backpropagates) and reverses every dim of an N-d tensor', () => {
    const x = m().float().requiresGrad_();
    expect(x.T.tolist()).toEqual([
      [1, 3],
      [2, -8],
      [4, 5],
    ]);
    x.T.mul(tensor([[1], [2], [3]]))
      .sum()
      .backward();
    expect(x.grad!.tolist()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(zeros(2, 3, 4).T.shape).toEqual([4, 3, 2]);
    expect(tensor([1, 2]).T.tolist()).toEqual([1, 2]);
  });
  it('mT swaps the last two dims of a batch of matrices; under 2 dims it is an error', () => {
    const b = randn(5, 2, 3);
    expect(b.mT.shape).toEqual([5, 3, 2]);
    expect(b.mT.select(0, 4).tolist()).toEqual(b.select(0, 4).T.tolist());
    expect(() => tensor([1, 2]).mT).toThrow('mT: expects a tensor with at least 2 dims (got shape [2])');
  });
});

describe('max(dim) and min(dim) return a [values, indices] pair', () => {
  it('destructures as an array and has .values / .indices', () => {
    const [values, indices] = m().max(1);
    expect([values.tolist(), indices.tolist()]).toEqual([
      [4, 5],
      [2, 2],
    ]);
    const low = m().min(0, true);
    expect([low.values.tolist(), low.indices.tolist()]).toEqual([[[1, -8, 4]], [[0, 1, 0]]]);
  });
  it('amax over several dims, gradient shared among ties as in PyTorch', () => {
    const x = tensor([
      [1, 5],
      [5, 2],
    ])
      .float()
      .requiresGrad_();
    const top = amax(x, [0, 1]);
    expect(top.item()).toBe(5);
    top.backward();
    expect(x.grad!.tolist()).toEqual([
      [0, 0.5],
      [0.5, 0],
    ]);
    expect(x.amin(1, true).tolist()).toEqual([[1], [2]]);
  });
});

describe('var and std take { correction, keepdim } (and PyTorch positional unbiased)', () => {
  const x = () => tensor([[1, 2, 3, 6]]).float();
  it('x.var(1, false) means unbiased=false, as in PyTorch (it used to mean keepdim=false)', () => {
    expect(x().var(1, false).tolist()).toEqual([3.5]); // population variance of 1, 2, 3, 6
    expect(x().var(1, true, true).tolist()).toEqual([[Math.fround(14 / 3)]]);
    expect(x().var(1).tolist()).toEqual([14 / 3].map(Math.fround));
  });
  it('options object: correction 0 and keepdim; std the same', () => {
    expect(x().var(1, { correction: 0, keepdim: true }).tolist()).toEqual([[3.5]]);
    expect(std(x(), 1, { correction: 0 }).item()).toBeCloseTo(Math.sqrt(3.5), 6);
    expect(x().std(undefined, { keepdim: true }).shape).toEqual([1, 1]);
  });
  it('wrong arguments are named', () => {
    expect(() => x().var(1, { correction: 0.5 })).toThrow('var: correction must be a non-negative integer (got 0.5)');
    expect(() => x().std(1, { correction: 0 } as never, true)).toThrow(
      'std: pass keepdim inside the options ({ correction, keepdim }), not as a third argument',
    );
    expect(() => x().var(1, 0 as never)).toThrow(
      "var: options must be an object (got 0); pass { correction, keepdim } (or PyTorch's unbiased boolean) after dim",
    );
  });
});

describe('norm(p, { dim, keepdim })', () => {
  const x = () =>
    tensor([
      [3, -4],
      [1, -7],
    ]);
  it('p = 2, 1, 3, Infinity, -Infinity, 0 and "fro" over all dims or some', () => {
    expect(x().norm().item()).toBeCloseTo(Math.sqrt(75), 5);
    expect(x().norm('fro').item()).toBeCloseTo(Math.sqrt(75), 5);
    expect(x().norm(2, { dim: 1 }).tolist()).toEqual([5, Math.fround(Math.sqrt(50))]);
    expect(x().norm(1, { dim: 0, keepdim: true }).tolist()).toEqual([[4, 11]]);
    expect((x().norm(3, { dim: 1 }).tolist() as number[])[0]).toBeCloseTo(Math.cbrt(27 + 64), 4);
    expect(norm(x(), Infinity).item()).toBe(7);
    expect(x().norm(Infinity, { dim: 1 }).tolist()).toEqual([4, 7]);
    expect(x().norm(-Infinity, { dim: 1, keepdim: true }).tolist()).toEqual([[3], [1]]);
    expect(tensor([0, 2, 0, -1]).norm(0).item()).toBe(2);
  });
  it('the infinity norm backpropagates sign(x) at the largest |x|', () => {
    const x = tensor([1, -3, 2]).float().requiresGrad_();
    x.norm(Infinity).backward();
    expect(x.grad!.tolist()).toEqual([0, -1, 0]);
  });
  it('a negative or NaN p is refused', () => {
    expect(() => x().norm(-1)).toThrow("norm: p must be a non-negative number, Infinity, -Infinity or 'fro' (got -1)");
    expect(() => x().norm(Number.NaN)).toThrow('norm: p must be');
  });
});

describe('every functional loss takes { reduction }', () => {
  const a = () => tensor([1, 2, 3]).float();
  const b = () => tensor([2, 2, 5]).float();
  it("mseLoss and l1Loss: 'mean' (default), 'sum', 'none' as an option, like the other losses", () => {
    expect(nn.functional.mseLoss(a(), b()).item()).toBeCloseTo(5 / 3, 6);
    expect(nn.functional.mseLoss(a(), b(), { reduction: 'sum' }).item()).toBe(5);
    expect(nn.functional.l1Loss(a(), b(), { reduction: 'none' }).tolist()).toEqual([1, 0, 2]);
    expect(new nn.MSELoss({ reduction: 'sum' })(a(), b()).item()).toBe(5);
  });
  // Every loss nn.functional exports: a loss added later without a case here fails the first assertion.
  const x = randn(4, 3, { generator: new Generator(1) });
  const y = randn(4, 3, { generator: new Generator(2) });
  const probs = y.sigmoid();
  const classes = tensor([0, 2, 1, 2]);
  type Reduction = { reduction: 'none' | 'mean' | 'sum' };
  const losses: Record<string, (r: Reduction) => Tensor> = {
    mseLoss: (r) => nn.functional.mseLoss(x, y, r),
    l1Loss: (r) => nn.functional.l1Loss(x, y, r),
    huberLoss: (r) => nn.functional.huberLoss(x, y, r),
    smoothL1Loss: (r) => nn.functional.smoothL1Loss(x, y, r),
    binaryCrossEntropy: (r) => nn.functional.binaryCrossEntropy(x.sigmoid(), probs, r),
    binaryCrossEntropyWithLogits: (r) => nn.functional.binaryCrossEntropyWithLogits(x, probs, r),
    klDiv: (r) => nn.functional.klDiv(x.logSoftmax(1), y.softmax(1), r),
    crossEntropy: (r) => nn.functional.crossEntropy(x, classes, r),
    nllLoss: (r) => nn.functional.nllLoss(x.logSoftmax(1), classes, r),
  };
  it('the cases below are every loss in nn.functional', () => {
    const exported = Object.keys(nn.functional).filter((k) => /Loss$|Entropy|^klDiv$/.test(k));
    expect(exported.sort()).toEqual(Object.keys(losses).sort());
  });
  it.each(Object.keys(losses))("%s: 'none' keeps one loss per element (or sample), 'sum' and 'mean' reduce it", (name) => {
    const none = losses[name]({ reduction: 'none' });
    expect(none.shape).toEqual(name === 'crossEntropy' || name === 'nllLoss' ? [4] : [4, 3]);
    expect(losses[name]({ reduction: 'sum' }).item()).toBeCloseTo(none.sum().item(), 5);
    expect(losses[name]({ reduction: 'mean' }).item()).toBeCloseTo(none.mean().item(), 6);
  });
  it('a bare reduction string gets a hint', () => {
    expect(() => nn.functional.mseLoss(a(), b(), 'sum' as never)).toThrow(`mseLoss: pass the reduction as an option, { reduction: "sum" }`);
  });
});
