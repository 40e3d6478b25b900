// Issue 8: no backward gives a wrong gradient because a tensor it reads was changed in place
// between forward and backward. Nothing lists what each backward reads: the engine raises when a
// backward closure reads any tensor overwritten since its op ran (backend/version.ts). For every
// class of backward, changing each tensor the forward was given (masks, indices, targets, inputs
// that need no grad, outputs) either raises or leaves the gradient exactly what it was (the op
// copied what it needed); where the backward reads the changed tensor itself, it must raise.
import { describe, expect, it } from 'vitest';
import { autograd, einsum, manualSeed, nn, noGrad, ones, randn, tensor, type Tensor, where } from '../src/index.js';

const F = nn.functional;
/** The engine's three messages: a tensor the closure read, an input, or the output of the op, changed after the op ran. */
const MODIFIED =
  /^backward: (a tensor [\w.]+ saved for its backward \(a \w+ tensor of shape \[[\d, ]*\]\)|an input of [\w.]+ \(shape \[[\d, ]*\]\)|the output of [\w.]+ \(shape \[[\d, ]*\]\)) was modified by an in-place operation after [\w.]+ (used|computed) it/;

interface Case {
  name: string;
  /** Builds the forward from seeded data; returns the loss, the leaves whose grads are compared, and the in-place change. */
  build: () => { loss: Tensor; leaves: Tensor[]; change: () => void };
  /** The backward reads the changed tensor itself, so the change must raise. */
  mustRaise?: boolean;
}

/** Gradients of the leaves, with or without the in-place change between forward and backward. */
function grads(c: Case, change: boolean): number[][] {
  manualSeed(8);
  const { loss, leaves, change: doChange } = c.build();
  if (change) noGrad(doChange);
  loss.backward();
  return leaves.map((l) => Array.from(l.grad!.toArray()));
}

const leaf = (shape: number[]) => randn(shape, { requiresGrad: true });
const idx = (values: number[] | number[][]) => tensor(values, { dtype: 'int32' });

const cases: Case[] = [
  {
    name: 'where: its condition',
    mustRaise: true,
    build: () => {
      const x = leaf([4]);
      const mask = tensor([true, false, true, false]);
      return { loss: where(mask, x, 0).sum(), leaves: [x], change: () => mask.fill_(1) };
    },
  },
  {
    name: 'maskedFill: its mask',
    mustRaise: true,
    build: () => {
      const x = leaf([4]);
      const mask = tensor([false, true, false, true]);
      return { loss: x.maskedFill(mask, 0).sum(), leaves: [x], change: () => mask.zero_() };
    },
  },
  {
    name: 'gather: its index',
    build: () => {
      const x = leaf([3, 2]);
      const index = idx([[2, 0]]);
      return {
        loss: x
          .gather(0, index)
          .mul(tensor([[1, 2]]).float())
          .sum(),
        leaves: [x],
        change: () => index.fill_(1),
      };
    },
  },
  {
    name: 'indexSelect: its index',
    build: () => {
      const x = leaf([3, 2]);
      const index = idx([2, 2, 0]);
      return { loss: x.indexSelect(0, index).sum(), leaves: [x], change: () => index.fill_(1) };
    },
  },
  {
    name: 'embedding: its indices',
    build: () => {
      const w = leaf([4, 2]);
      const ids = idx([3, 1, 3]);
      return { loss: F.embedding(ids, w).sum(), leaves: [w], change: () => ids.fill_(0) };
    },
  },
  {
    name: 'crossEntropy: class-index targets',
    build: () => {
      const x = leaf([3, 4]);
      const target = idx([0, 1, 2]);
      return { loss: F.crossEntropy(x, target), leaves: [x], change: () => target.fill_(3) };
    },
  },
  {
    name: 'crossEntropy: probability targets',
    build: () => {
      const x = leaf([2, 3]);
      const target = tensor([
        [0.2, 0.3, 0.5],
        [1, 0, 0],
      ]);
      return { loss: F.crossEntropy(x, target), leaves: [x], change: () => target.fill_(0.5) };
    },
  },
  {
    name: 'nllLoss: its targets',
    build: () => {
      const x = leaf([3, 4]);
      const target = idx([3, 1, 2]);
      return { loss: F.nllLoss(x.logSoftmax(1), target), leaves: [x], change: () => target.fill_(0) };
    },
  },
  {
    name: 'mseLoss: its target',
    build: () => {
      const x = leaf([5]);
      const target = randn([5]);
      return { loss: F.mseLoss(x, target), leaves: [x], change: () => target.mul_(3) };
    },
  },
  {
    name: 'binaryCrossEntropy: its target',
    build: () => {
      const x = leaf([4]);
      const target = tensor([0, 1, 1, 0]).float();
      return { loss: F.binaryCrossEntropy(x.sigmoid(), target), leaves: [x], change: () => target.fill_(0.5) };
    },
  },
  {
    name: 'binaryCrossEntropyWithLogits: its target and posWeight',
    build: () => {
      const x = leaf([4]);
      const target = tensor([0, 1, 1, 0]).float();
      const posWeight = tensor([2, 2, 2, 2]).float();
      return {
        loss: F.binaryCrossEntropyWithLogits(x, target, { posWeight }),
        leaves: [x],
        change: () => {
          target.fill_(0.5);
          posWeight.fill_(5);
        },
      };
    },
  },
  {
    name: 'klDiv: its target',
    build: () => {
      const x = leaf([4]);
      const target = tensor([0.1, 0.2, 0.3, 0.4]);
      return { loss: F.klDiv(x.logSoftmax(0), target, { reduction: 'sum' }), leaves: [x], change: () => target.fill_(0.25) };
    },
  },
  {
    name: 'huberLoss: its target',
    build: () => {
      const x = leaf([4]);
      const target = randn([4]);
      return { loss: F.huberLoss(x, target), leaves: [x], change: () => target.mul_(4) };
    },
  },
  {
    name: 'batchNorm: an input that needs no grad (weight and bias do)',
    build: () => {
      const x = randn([4, 3]);
      const w = leaf([3]);
      const b = leaf([3]);
      return {
        loss: F.batchNorm(x, null, null, { weight: w, bias: b, training: true }).pow(3).sum(),
        leaves: [w, b],
        change: () => x.add_(randn([4, 3])),
      };
    },
  },
  {
    name: 'batchNorm in eval: its running statistics',
    build: () => {
      const x = leaf([4, 3]);
      const mean = randn([3]);
      const variance = ones([3]).mul(2);
      return {
        loss: F.batchNorm(x, mean, variance, { training: false }).pow(2).sum(),
        leaves: [x],
        change: () => {
          mean.fill_(0);
          variance.fill_(9);
        },
      };
    },
  },
  {
    name: 'layerNorm: an input that needs no grad',
    build: () => {
      const x = randn([2, 4]);
      const w = leaf([4]);
      return { loss: F.layerNorm(x, [4], w).pow(3).sum(), leaves: [w], change: () => x.add_(randn([2, 4])) };
    },
  },
  {
    name: 'groupNorm and rmsNorm: inputs that need no grad',
    build: () => {
      const x = randn([2, 4, 3]);
      const w = leaf([4]);
      const r = randn([2, 4]);
      const v = leaf([4]);
      return {
        loss: F.groupNorm(x, 2, w)
          .pow(3)
          .sum()
          .add(F.rmsNorm(r, [4], v).pow(3).sum()),
        leaves: [w, v],
        change: () => {
          x.add_(1);
          r.mul_(3);
        },
      };
    },
  },
  {
    name: 'scaledDotProductAttention (fused): a float mask and a value that needs no grad',
    build: () => {
      const q = leaf([1, 3, 4]);
      const k = randn([1, 3, 4]);
      const v = randn([1, 3, 4]);
      const mask = randn([3, 3]);
      return {
        loss: F.scaledDotProductAttention(q, k, v, { attnMask: mask }).pow(2).sum(),
        leaves: [q],
        change: () => {
          mask.fill_(0);
          v.mul_(2);
          k.mul_(-1);
        },
      };
    },
  },
  {
    name: 'scaledDotProductAttention (composed, with broadcast heads): a bool mask',
    build: () => {
      const q = leaf([2, 3, 4]);
      const k = randn([1, 3, 4]);
      const v = randn([1, 3, 4]);
      const mask = tensor([
        [true, false, true],
        [true, true, false],
        [false, true, true],
      ]);
      return { loss: F.scaledDotProductAttention(q, k, v, { attnMask: mask }).pow(2).sum(), leaves: [q], change: () => mask.fill_(1) };
    },
  },
  {
    name: 'LSTM and GRU (fused sequences): an input sequence that needs no grad',
    build: () => {
      const lstm = new nn.LSTM(3, 4);
      const gru = new nn.GRU(3, 4);
      const x = randn([5, 2, 3]);
      const [a] = lstm.forward(x);
      const [b] = gru.forward(x);
      return { loss: a.pow(2).sum().add(b.pow(2).sum()), leaves: [lstm.parameters()[1], gru.parameters()[1]], change: () => x.mul_(2) };
    },
  },
  {
    name: 'conv2d: an input that needs no grad',
    build: () => {
      const x = randn([1, 2, 5, 5]);
      const w = leaf([3, 2, 3, 3]);
      return { loss: F.conv2d(x, w).pow(2).sum(), leaves: [w], change: () => x.mul_(-2) };
    },
  },
  {
    name: 'interpolate (bilinear) and pooling: their input',
    build: () => {
      const x = leaf([1, 1, 4, 4]);
      const h = x.mul(2);
      return {
        loss: F.interpolate(h, { scaleFactor: 2, mode: 'bilinear' }).pow(2).sum().add(F.maxPool2d(h, 2).pow(2).sum()),
        leaves: [x],
        change: () => h.mul_(3),
      };
    },
  },
  {
    name: 'sort and topk: their input',
    build: () => {
      const x = leaf([6]);
      const h = x.mul(1);
      return {
        loss: h
          .sort()
          .values.mul(tensor([1, 2, 3, 4, 5, 6]).float())
          .sum()
          .add(h.topk(2).values.pow(2).sum()),
        leaves: [x],
        change: () => h.mul_(-1),
      };
    },
  },
  {
    name: 'einsum and matmul: an operand that needs no grad',
    build: () => {
      const a = leaf([2, 3]);
      const b = randn([3, 4]);
      const c = randn([4, 2]);
      return { loss: einsum('ij,jk->ik', a, b).pow(2).sum().add(a.matmul(b).matmul(c).sum()), leaves: [a], change: () => b.mul_(2) };
    },
  },
  {
    name: 'exp: its output (the backward reuses it)',
    mustRaise: true,
    build: () => {
      const x = leaf([3]);
      const y = x.exp();
      return { loss: y.sum(), leaves: [x], change: () => y.mul_(2) };
    },
  },
  {
    name: 'autograd.Function: a tensor given to saveForBackward that is not an argument',
    mustRaise: true,
    build: () => {
      const s = tensor([1, 2, 3]).float();
      class Scale extends autograd.Function {
        static override forward(ctx: autograd.FunctionCtx, x: Tensor): Tensor {
          ctx.saveForBackward(s);
          return x.mul(s);
        }
        static override backward(ctx: autograd.FunctionCtx, g: Tensor): Tensor {
          const [saved] = ctx.savedTensors;
          return g.mul(saved);
        }
      }
      const x = leaf([3]);
      return { loss: Scale.apply(x).sum(), leaves: [x], change: () => s.fill_(0) };
    },
  },
  {
    name: 'autograd.Function: a tensor kept as a ctx field (never declared)',
    mustRaise: true,
    build: () => {
      const s = tensor([1, 2, 3]).float();
      class Scale extends autograd.Function {
        static override forward(ctx: autograd.FunctionCtx, x: Tensor): Tensor {
          ctx.s = s;
          return x.mul(s);
        }
        static override backward(ctx: autograd.FunctionCtx, g: Tensor): Tensor {
          return g.mul(ctx.s as Tensor);
        }
      }
      const x = leaf([3]);
      return { loss: Scale.apply(x).sum(), leaves: [x], change: () => s.fill_(0) };
    },
  },
];

describe('an in-place change between forward and backward raises or leaves the gradient exact', () => {
  it.each(cases)('$name', (c) => {
    const expected = grads(c, false);
    let got: number[][] | null = null;
    let error: unknown = null;
    try {
      got = grads(c, true);
    } catch (e) {
      error = e;
    }
    if (error !== null) {
      expect((error as Error).message).toMatch(MODIFIED);
      return;
    }
    expect(c.mustRaise ?? false, `${c.name}: the backward read the changed tensor without raising`).toBe(false);
    expect(got).toEqual(expected);
  });

  it('the caller may change its own gradient argument, and a fresh forward after the change is checked against the new values', () => {
    const x = leaf([3]);
    const gOut = ones([3]);
    const y = x.mul(2);
    gOut.fill_(3);
    y.backward(gOut);
    expect(Array.from(x.grad!.toArray())).toEqual([6, 6, 6]);
    const mask = tensor([true, false, true]);
    mask.fill_(0);
    const z = leaf([3]);
    where(mask, z, 0).sum().backward();
    expect(z.grad!.tolist()).toEqual([0, 0, 0]);
  });

  it('retainGraph: an optimizer step between two backwards through the same graph raises on the second', () => {
    const w = leaf([3]);
    const x = randn([3]);
    const loss = w.mul(x).pow(2).sum();
    loss.backward(undefined, { retainGraph: true });
    noGrad(() => w.sub_(w.grad!.mul(0.1)));
    expect(() => loss.backward()).toThrow(/modified by an in-place operation/);
  });
});
