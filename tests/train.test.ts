import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import {
  evaluate, fit, manualSeed, memoryStats, metrics, noGrad, plotHistory, randn, tensor, zeros, type Tensor,
} from '../src/index.js';

interface SklearnCase {
  name: string;
  pred: number[];
  target: number[];
  classes: number;
  accuracy: number;
  confusion: number[][];
  report: string;
  report3: string;
  [key: string]: unknown;
}
const cases: SklearnCase[] = JSON.parse(readFileSync(new URL('./fixtures/sklearn-metrics.json', import.meta.url), 'utf8'));

describe('metrics match scikit-learn', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s: accuracy, confusion matrix, precision/recall/F1 for every average', (_, c) => {
    expect(metrics.accuracy(c.pred, c.target)).toBeCloseTo(c.accuracy, 12);
    expect(metrics.confusionMatrix(c.pred, c.target, c.classes)).toEqual(c.confusion);
    for (const avg of ['macro', 'micro', 'weighted'] as const) {
      expect(metrics.precision(c.pred, c.target, avg)).toBeCloseTo(c[`precision_${avg}`] as number, 12);
      expect(metrics.recall(c.pred, c.target, avg)).toBeCloseTo(c[`recall_${avg}`] as number, 12);
      expect(metrics.f1(c.pred, c.target, avg)).toBeCloseTo(c[`f1_${avg}`] as number, 12);
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: classificationReport is laid out exactly like scikit-learn\'s', (_, c) => {
    const names = Array.from({ length: c.classes }, (__, i) => `class ${i}`);
    expect(metrics.classificationReport(c.pred, c.target, { targetNames: names.map((___, i) => String(i)) })).toBe(c.report);
    expect(metrics.classificationReport(c.pred, c.target, { targetNames: names, digits: 3 })).toBe(c.report3);
  });

  it('scores [N, C] are turned into labels by argmax', () => {
    const scores = tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]);
    expect(metrics.accuracy(scores, tensor([1, 0, 0], { dtype: 'int32' }))).toBeCloseTo(2 / 3, 12);
    expect(() => metrics.accuracy([0, 1], [0])).toThrow(/2 predictions but 1 targets/);
  });
});

/** A softmax-regression model and an SGD optimizer written with raw tensors, as fit sees any model. */
function softmaxRegression(inputs: number, classes: number) {
  const w = randn([inputs, classes]).mul(0.01).keep().requiresGrad_();
  const b = zeros([classes], { requiresGrad: true });
  let training = true;
  const model = {
    forward: (x: Tensor) => x.matmul(w).add(b),
    train: (mode = true) => void (training = mode),
    eval: () => void (training = false),
    get training() {
      return training;
    },
  };
  const optimizer = {
    zeroGrad: () => {
      w.grad = null;
      b.grad = null;
    },
    step: () => noGrad(() => {
      w.sub_(w.grad!, 0.5);
      b.sub_(b.grad!, 0.5);
    }),
  };
  return { model, optimizer };
}

const crossEntropy = (logits: Tensor, y: Tensor) => logits.logSoftmax(1).gather(1, y.unsqueeze(1)).mean().neg();

function blobs(n: number): Array<[Tensor, Tensor]> {
  // Three separable clusters in 2-D, in batches of 16.
  const batches: Array<[Tensor, Tensor]> = [];
  const centers = [[2, 0], [-2, 2], [0, -2]];
  for (let start = 0; start < n; start += 16) {
    const xs: number[][] = [];
    const ys: number[] = [];
    for (let i = start; i < Math.min(n, start + 16); i++) {
      const c = i % 3;
      const noise = randn([2]).toArray();
      xs.push([centers[c][0] + 0.5 * noise[0], centers[c][1] + 0.5 * noise[1]]);
      ys.push(c);
    }
    batches.push([tensor(xs).keep(), tensor(ys, { dtype: 'int32' }).keep()]);
  }
  return batches;
}

describe('fit and evaluate', () => {
  it('fit trains a model, records loss/accuracy/validation per epoch and leaves memory flat', () => {
    manualSeed(3);
    const train = blobs(96);
    const val = blobs(48);
    const { model, optimizer } = softmaxRegression(2, 3);
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (lines.push(String(s)), true));
    let before = 0;
    const history = fit(model, train, {
      epochs: 6, optimizer, loss: crossEntropy, metrics: ['accuracy', 'f1'], validation: val,
      callbacks: { onEpochEnd: (epoch) => void (epoch === 2 && (before = memoryStats().liveTensors)) },
    });
    write.mockRestore();
    expect(Object.keys(history)).toEqual(['loss', 'accuracy', 'f1', 'valLoss', 'valAccuracy', 'valF1']);
    expect(history.loss).toHaveLength(6);
    expect(history.loss[5]).toBeLessThan(history.loss[0]);
    expect(history.valAccuracy[5]).toBeGreaterThan(0.9);
    expect(memoryStats().liveTensors).toBe(before);
    expect(model.training).toBe(false);
    expect(lines.filter((l) => /^Epoch \d\/6 {2}6 steps .* loss \d\.\d{4} {2}accuracy/.test(l))).toHaveLength(6);
    const evaluation = evaluate(model, val, { loss: crossEntropy, metrics: ['accuracy'] });
    expect(evaluation.logs.accuracy).toBeCloseTo(history.valAccuracy[5], 12);
    expect(evaluation.logs.loss).toBeCloseTo(history.valLoss[5], 5);
    expect(evaluation.predictions).toHaveLength(48);
  });

  it('onEpochEnd returning false stops training, and a diverging loss is reported', () => {
    manualSeed(4);
    const { model, optimizer } = softmaxRegression(2, 3);
    const history = fit(model, blobs(32), { epochs: 10, optimizer, loss: crossEntropy, verbose: false, callbacks: { onEpochEnd: (e) => e < 3 } });
    expect(history.loss).toHaveLength(3);
    const bad = [[tensor([[1, 2]]), tensor([0], { dtype: 'int32' })]] as Array<[Tensor, Tensor]>;
    expect(() => fit(model, bad, { epochs: 1, optimizer, loss: () => tensor(NaN, { requiresGrad: true }).mul(1), verbose: false })).toThrow(/loss became NaN at epoch 1, step 1/);
    expect(() => fit(model, bad, { epochs: 0, optimizer, loss: crossEntropy })).toThrow(/epochs must be a positive integer/);
  });

  it('plotHistory draws one panel per quantity with train and validation curves', () => {
    const svg = plotHistory({ loss: [1, 0.5, 0.3], valLoss: [1.1, 0.7, 0.6], accuracy: [0.5, 0.8, 0.9] }, { title: 'digits <CNN>' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="720"')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(3);
    expect(svg).toContain('>loss</text>');
    expect(svg).toContain('>accuracy</text>');
    expect(svg).toContain('digits &lt;CNN&gt;');
    expect(() => plotHistory({})).toThrow(/no values/);
  });
});
