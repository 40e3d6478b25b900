// Losses: values and input gradients against PyTorch for every reduction and option, and the
// argument checks. Regenerate the fixtures with: /usr/bin/python3 scripts/torch_nn_fixtures.py
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manualSeed, memoryStats, nn, noGrad, randn, tensor, zeros, type Tensor } from '../src/index.js';

const F = nn.functional;

interface TensorRecord {
  shape: number[];
  data: number[];
  dtype?: 'int32';
}
interface LossCase {
  name: string;
  loss: 'mseLoss' | 'l1Loss' | 'crossEntropy' | 'nllLoss' | 'binaryCrossEntropy' | 'binaryCrossEntropyWithLogits';
  options: { reduction: nn.Reduction; weight?: TensorRecord; posWeight?: TensorRecord; ignoreIndex?: number; labelSmoothing?: number };
  inputs: [TensorRecord, TensorRecord];
  out: TensorRecord;
  gradOut: TensorRecord;
  gradInput: TensorRecord;
}
const cases: LossCase[] = JSON.parse(readFileSync(new URL('./fixtures/torch-nn.json', import.meta.url), 'utf8')).losses;

const load = (r: TensorRecord, requiresGrad = false): Tensor =>
  tensor(r.dtype === 'int32' ? Int32Array.from(r.data) : Float32Array.from(r.data), { shape: r.shape, requiresGrad });

function expectClose(actual: Tensor, expected: TensorRecord, what: string, tol = 1e-5): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  const got = actual.toArray();
  expected.data.forEach((e, i) => {
    if (!(Math.abs(got[i] - e) <= tol + tol * 10 * Math.abs(e))) expect.fail(`${what}: element ${i} is ${got[i]}, PyTorch gives ${e}`);
  });
}

/** Runs a fixture case through nn.functional. */
function runLoss(c: LossCase, input: Tensor, target: Tensor): Tensor {
  const { reduction, ignoreIndex, labelSmoothing } = c.options;
  const weight = c.options.weight ? load(c.options.weight) : null;
  const posWeight = c.options.posWeight ? load(c.options.posWeight) : null;
  switch (c.loss) {
    case 'mseLoss':
      return F.mseLoss(input, target, { reduction });
    case 'l1Loss':
      return F.l1Loss(input, target, { reduction });
    case 'crossEntropy':
      return F.crossEntropy(input, target, { reduction, weight, ignoreIndex, labelSmoothing });
    case 'nllLoss':
      return F.nllLoss(input, target, { reduction, weight, ignoreIndex });
    case 'binaryCrossEntropy':
      return F.binaryCrossEntropy(input, target, { reduction, weight });
    case 'binaryCrossEntropyWithLogits':
      return F.binaryCrossEntropyWithLogits(input, target, { reduction, weight, posWeight });
  }
}

describe('losses match PyTorch (value and gradient of the input)', () => {
  it('covers every loss with every reduction', () => {
    const covered = new Set(cases.map((c) => `${c.loss}:${c.options.reduction}`));
    for (const loss of ['mseLoss', 'l1Loss', 'crossEntropy', 'nllLoss', 'binaryCrossEntropy', 'binaryCrossEntropyWithLogits']) {
      for (const r of ['mean', 'sum', 'none']) expect(covered.has(`${loss}:${r}`), `${loss} ${r}`).toBe(true);
    }
  });

  for (const c of cases) {
    it(c.name, () => {
      const input = load(c.inputs[0], true);
      const out = runLoss(c, input, load(c.inputs[1]));
      expectClose(out, c.out, `${c.name} value`);
      out.backward(load(c.gradOut));
      expectClose(input.grad!, c.gradInput, `${c.name} gradient`);
    });
  }
});

describe('loss modules are the functional losses with their options', () => {
  const logits = randn([4, 3]);
  const labels = tensor([0, 2, 1, 2], { dtype: 'int32' });
  const same = (a: Tensor, b: Tensor) => expect(Array.from(a.toArray())).toEqual(Array.from(b.toArray()));

  it('CrossEntropyLoss and NLLLoss', () => {
    const weight = tensor([1, 2, 0.5]);
    same(new nn.CrossEntropyLoss({ weight, labelSmoothing: 0.1 }).forward(logits, labels), F.crossEntropy(logits, labels, { weight, labelSmoothing: 0.1 }));
    same(new nn.NLLLoss({ ignoreIndex: 2, reduction: 'sum' }).forward(logits, labels), F.nllLoss(logits, labels, { ignoreIndex: 2, reduction: 'sum' }));
    expect(String(new nn.CrossEntropyLoss({ weight, labelSmoothing: 0.1 }))).toBe('CrossEntropyLoss(weight=[3], labelSmoothing=0.1)');
  });

  it('MSELoss, L1Loss, BCELoss and BCEWithLogitsLoss', () => {
    const target = randn([4, 3]).sigmoid();
    same(new nn.MSELoss({ reduction: 'none' }).forward(logits, target), F.mseLoss(logits, target, { reduction: 'none' }));
    same(new nn.L1Loss().forward(logits, target), F.l1Loss(logits, target));
    same(new nn.BCELoss().forward(logits.sigmoid(), target), F.binaryCrossEntropy(logits.sigmoid(), target));
    const posWeight = tensor([1, 2, 3], { dtype: 'float32' });
    same(new nn.BCEWithLogitsLoss({ posWeight }).forward(logits, target), F.binaryCrossEntropyWithLogits(logits, target, { posWeight }));
  });

  it('keeps its weight tensors, which are state like PyTorch buffers', () => {
    const weight = tensor([1, 2, 3]);
    new nn.CrossEntropyLoss({ weight });
    expect(weight.kept).toBe(true);
  });
});

describe('crossEntropy semantics', () => {
  it('equals logSoftmax followed by nllLoss', () => {
    manualSeed(2);
    const x = randn([5, 4]);
    const t = tensor([3, 0, 1, 1, 2], { dtype: 'int32' });
    expect(F.crossEntropy(x, t).item()).toBeCloseTo(F.nllLoss(x.logSoftmax(1), t).item(), 6);
  });

  it('a mean over only ignored targets is NaN, as in PyTorch; the sum is 0', () => {
    const t = tensor([-100, -100], { dtype: 'int32' });
    expect(F.crossEntropy(randn([2, 3]), t).item()).toBeNaN();
    expect(F.crossEntropy(randn([2, 3]), t, { reduction: 'sum' }).item()).toBe(0);
  });

  it('ignored positions get zero loss and zero gradient', () => {
    const x = randn([3, 4], { requiresGrad: true });
    const loss = F.crossEntropy(x, tensor([1, 7, 2], { dtype: 'int32' }), { ignoreIndex: 7, reduction: 'none' });
    expect(loss.toArray()[1]).toBe(0);
    loss.sum().backward();
    expect(Array.from(x.grad!.toArray().subarray(4, 8))).toEqual([0, 0, 0, 0]);
  });
});

describe('argument checks name the problem', () => {
  const x = randn([4, 3]);
  const labels = tensor([0, 1, 2, 1], { dtype: 'int32' });

  it('class index out of range, naming the value and where it is', () => {
    expect(() => F.crossEntropy(x, tensor([0, 1, 3, 1], { dtype: 'int32' }))).toThrow(
      'crossEntropy: target 3 is out of bounds for 3 classes (element 2 of target)',
    );
    expect(() => F.nllLoss(x, tensor([0, -1, 0, 1], { dtype: 'int32' }))).toThrow('nllLoss: target -1 is out of bounds for 3 classes (element 1 of target)');
  });

  it('target shape and dtype', () => {
    expect(() => F.crossEntropy(x, tensor([0, 1], { dtype: 'int32' }))).toThrow(
      'crossEntropy: target shape [2] does not match input [4, 3] (expected [4]: one class index per position)',
    );
    expect(() => F.crossEntropy(x, tensor([0, 1, 2, 1], { dtype: 'float32' }))).toThrow(
      /probability targets must have the input's shape \[4, 3\] \(got \[4\]\); class indices must be int32/,
    );
    expect(() => F.crossEntropy(x, tensor([true, false, true, true]))).toThrow(
      'crossEntropy: target must be int32 class indices or float class probabilities (got bool)',
    );
    expect(() => F.nllLoss(x, zeros([4]))).toThrow('nllLoss: target must hold int32 class indices (got float32)');
    expect(() => F.mseLoss(x, zeros([4, 1]))).toThrow('mseLoss: target shape [4, 1] must match input shape [4, 3]');
    expect(() => F.binaryCrossEntropyWithLogits(x, zeros([3]))).toThrow('binaryCrossEntropyWithLogits: target shape [3] must match input shape [4, 3]');
  });

  it('options: reduction, class weight, label smoothing', () => {
    expect(() => F.mseLoss(x, x, { reduction: 'avg' as nn.Reduction })).toThrow(`mseLoss: reduction must be 'mean', 'sum' or 'none' (got "avg")`);
    expect(() => F.crossEntropy(x, labels, { weight: tensor([1, 2], { dtype: 'float32' }) })).toThrow(
      'crossEntropy: weight must have one entry per class, shape [3] (got [2])',
    );
    expect(() => F.crossEntropy(x, labels, { labelSmoothing: 1.5 })).toThrow('crossEntropy: labelSmoothing must be between 0 and 1 (got 1.5)');
  });

  it('binaryCrossEntropy wants probabilities', () => {
    expect(() => F.binaryCrossEntropy(tensor([0.5, 1.5]), tensor([0, 1], { dtype: 'float32' }))).toThrow(
      /binaryCrossEntropy: every input must be a probability in \[0, 1\] \(got values from 0.5 to 1.5\)/,
    );
  });
});

describe('losses in a loop', () => {
  it('do not leak: live tensors stay flat over training steps', () => {
    manualSeed(3);
    const fc = new nn.Linear(6, 4);
    const x = randn([16, 6]);
    const labels = tensor(
      Int32Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? -100 : i % 4)),
      { shape: [16] },
    );
    const weight = tensor([1, 2, 1, 0.5]);
    const probs = randn([16, 4]).softmax(1);
    const bits = randn([16, 4]).gt(0).float();
    const step = () => {
      fc.zeroGrad();
      const logits = fc.forward(x);
      const loss = F.crossEntropy(logits, labels, { weight, labelSmoothing: 0.1 })
        .add(F.crossEntropy(logits, probs))
        .add(F.binaryCrossEntropyWithLogits(logits, bits, { posWeight: weight }))
        .add(F.binaryCrossEntropy(logits.sigmoid(), bits, { weight }))
        .add(F.l1Loss(logits, probs))
        .add(F.nllLoss(logits.logSoftmax(1), labels, { reduction: 'sum' }));
      loss.backward();
      noGrad(() => fc.parameters().forEach((p) => p.sub_(p.grad!.mul(0.01))));
    };
    for (let i = 0; i < 3; i++) step();
    const live = memoryStats().liveTensors;
    for (let i = 0; i < 30; i++) step();
    expect(memoryStats().liveTensors).toBe(live);
  });
});
