// Fused kernels and fast paths: each must give the values and gradients of the composition it
// replaces (softmax-cross-entropy vs logSoftmax + nllLoss, relu's backward vs g·(x > 0), the
// one-row GEMV vs the float64 reference GEMM) and keep the special values torch gives.
import { describe, expect, it } from 'vitest';
import { manualSeed, matmul, nn, randn, randint, tensor, type Tensor } from '../src/index.js';

const F = nn.functional;

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i])));
  }
}

/** A float64 copy on the reference ('js') device. */
function f64(x: Tensor): Tensor {
  return tensor(x.contiguous().toArray(), { shape: [...x.shape], dtype: 'float64', device: 'js' });
}

/** Loss value and input gradient of `fn` at a fresh leaf copy of x. */
function valueAndGrad(x: Tensor, fn: (x: Tensor) => Tensor): { value: Float32Array | Float64Array; grad: ArrayLike<number> } {
  const leaf = x.detach().clone().requiresGrad_();
  const out = fn(leaf);
  const value = out.toArray() as Float32Array;
  out.sum().backward();
  return { value, grad: leaf.grad!.toArray() as Float32Array };
}

describe('fused softmax-cross-entropy', () => {
  const cases = [
    { reduction: 'mean' as const },
    { reduction: 'sum' as const },
    { reduction: 'none' as const },
    { reduction: 'mean' as const, ignoreIndex: 2 },
    { reduction: 'none' as const, ignoreIndex: 0 },
  ];
  for (const device of ['wasm', 'js'] as const) {
    for (const opts of cases) {
      it(`matches logSoftmax + nllLoss on ${device} (${JSON.stringify(opts)}, with and without class weights)`, () => {
        manualSeed(3);
        const x = randn([7, 5], { device }).mul(3);
        const y = randint(0, 5, [7], { dtype: 'int32', device });
        for (const weight of [undefined, tensor([0.5, 2, 1, 0.25, 3], { device })]) {
          const fused = valueAndGrad(x, (v) => F.crossEntropy(v, y, { ...opts, weight }));
          const composed = valueAndGrad(x, (v) => F.nllLoss(v.logSoftmax(1), y, { ...opts, weight }));
          close(fused.value, composed.value);
          close(fused.grad, composed.grad);
        }
      });
    }
  }

  it('gives the textbook gradient (softmax − onehot)/N for the mean', () => {
    const x = tensor(
      [
        [1, 2, 3],
        [0, 0, 0],
      ],
      { dtype: 'float32' },
    );
    const { grad } = valueAndGrad(x, (v) => F.crossEntropy(v, tensor([2, 0], { dtype: 'int32' })));
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0] + e[1] + e[2];
    close(grad, [e[0] / s / 2, e[1] / s / 2, (e[2] / s - 1) / 2, (1 / 3 - 1) / 2, 1 / 6, 1 / 6]);
  });

  it('is stable for huge logits and gives NaN for NaN logits, as logSoftmax does', () => {
    const y = tensor([0], { dtype: 'int32' });
    close(F.crossEntropy(tensor([[1000, 0]], { dtype: 'float32' }), y).toArray(), [0]);
    close(F.crossEntropy(tensor([[0, 1000]], { dtype: 'float32' }), y).toArray(), [1000]);
    expect(F.crossEntropy(tensor([[NaN, 0]]), y).item()).toBeNaN();
  });
});

describe('relu backward kernel', () => {
  // PyTorch 1.13: threshold_backward is `x <= 0 ? 0 : g`, and relu is clamp_min(x, 0).
  it('gives 0 where x <= 0 and the gradient elsewhere, including x = 0, NaN and an infinite gradient', () => {
    const x = tensor([-2, -0, 0, 1e-30, 3, NaN]).requiresGrad_();
    x.relu().backward(tensor([1, 2, 3, 4, Infinity, 6]));
    expect(Array.from(x.grad!.toArray())).toEqual([0, 0, 0, 4, Infinity, 6]);
  });
  it('gives relu(−0) = −0 and keeps NaN in the forward, as torch.relu', () => {
    const y = Array.from(tensor([-0, NaN, -1, 2]).relu().toArray());
    expect(Object.is(y[0], -0)).toBe(true);
    expect(y[1]).toBeNaN();
    expect(y.slice(2)).toEqual([0, 2]);
  });
});

describe('one-row GEMV path', () => {
  for (const [k, n] of [
    [1, 1],
    [3, 5],
    [7, 17],
    [9, 33],
    [784, 10],
    [16, 4],
  ]) {
    it(`[1, ${k}] · [${k}, ${n}], B plain and transposed, matches the float64 reference`, () => {
      manualSeed(k * 100 + n);
      const a = randn([1, k]);
      const b = randn([k, n]);
      const bt = randn([n, k]);
      const ref = (p: Tensor, q: Tensor) => matmul(f64(p), f64(q)).toArray();
      close(matmul(a, b).toArray(), ref(a, b), 1e-5);
      close(matmul(a, bt.t()).toArray(), ref(a, bt.t()), 1e-5);
    });
  }
  it('gives linear() the same gradients at batch 1 as at batch 2', () => {
    manualSeed(1);
    const layer = new nn.Linear(13, 6);
    const x = randn([1, 13]);
    layer.forward(x).sum().backward();
    const g1 = layer.weight.grad!.toArray();
    layer.zeroGrad();
    layer.forward(x.expand(2, 13).contiguous()).sum().backward();
    close(
      g1,
      Array.from(layer.weight.grad!.toArray(), (v) => v / 2),
    );
  });
});

describe('vector math and reductions', () => {
  it('exp is within a few ulp of Math.exp and keeps the special values', () => {
    const xs = [-104, -87.5, -20, -1, -1e-7, 0, 1e-7, 0.5, 1, 10, 88.7];
    const got = tensor(xs).exp().toArray();
    xs.forEach((x, i) => {
      const want = Math.exp(Math.fround(x));
      expect(Math.abs(got[i] - want)).toBeLessThanOrEqual(3e-7 * want + 2e-45);
    });
    const special = Array.from(tensor([NaN, Infinity, -Infinity, 89, -200]).exp().toArray());
    expect(special[0]).toBeNaN();
    expect(special.slice(1)).toEqual([Infinity, 0, Infinity, 0]);
  });
  it('max along the last axis propagates NaN and finds the max in long rows', () => {
    const row = Array.from({ length: 37 }, (_, i) => (i * 7) % 37);
    const rowMax = (t: Tensor, dim: number) => Array.from(t.max(dim).values.toArray());
    expect(rowMax(tensor([row]), 1)).toEqual([36]);
    row[20] = NaN;
    expect(rowMax(tensor([row]), 1)).toEqual([NaN]);
    expect(
      rowMax(
        tensor([
          [1, NaN, 3, 4, 5],
          [1, 2, 3, 4, 5],
        ])
          .t()
          .contiguous(),
        0,
      ),
    ).toEqual([NaN, 5]);
  });
  it('sum along the first axis matches a float64 sum on wide rows', () => {
    manualSeed(2);
    const x = randn([300, 37]);
    const ref = f64(x).sum(0).toArray();
    close(x.sum(0).toArray(), ref, 1e-5);
  });
  it('softmax rows sum to 1', () => {
    manualSeed(4);
    const p = randn([5, 1000]).mul(5).softmax(1).sum(1).toArray();
    close(p, [1, 1, 1, 1, 1], 1e-5);
  });
});
