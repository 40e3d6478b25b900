import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync as readText } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EarlyStopping,
  HistoryLogger,
  ModelCheckpoint,
  evaluate,
  evaluateAsync,
  fit,
  fitAsync,
  load,
  manualSeed,
  metrics,
  nn,
  noGrad,
  optim,
  plotHistory,
  randn,
  tensor,
  zeros,
  type Tensor,
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

  it.each(cases.map((c) => [c.name, c] as const))("%s: classificationReport is laid out exactly like scikit-learn's", (_, c) => {
    const names = Array.from({ length: c.classes }, (__, i) => `class ${i}`);
    expect(metrics.classificationReport(c.pred, c.target, { targetNames: names.map((___, i) => String(i)) })).toBe(c.report);
    expect(metrics.classificationReport(c.pred, c.target, { targetNames: names, digits: 3 })).toBe(c.report3);
  });

  it('scores [N, C] are turned into labels by argmax', () => {
    const scores = tensor([
      [0.1, 0.9],
      [0.8, 0.2],
      [0.3, 0.7],
    ]);
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
    step: () =>
      noGrad(() => {
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
  const centers = [
    [2, 0],
    [-2, 2],
    [0, -2],
  ];
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
  // Memory over a long fit, with no tidy inside it: tests/memory-loops.test.ts (10,000 steps).
  it('fit trains a model, records loss/accuracy/validation per epoch', () => {
    manualSeed(3);
    const train = blobs(96);
    const val = blobs(48);
    const { model, optimizer } = softmaxRegression(2, 3);
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (lines.push(String(s)), true));
    const history = fit(model, train, {
      epochs: 6,
      optimizer,
      loss: crossEntropy,
      metrics: ['accuracy', 'f1'],
      validation: val,
    });
    write.mockRestore();
    expect(Object.keys(history)).toEqual(['loss', 'accuracy', 'f1', 'valLoss', 'valAccuracy', 'valF1']);
    expect(history.loss).toHaveLength(6);
    expect(history.loss[5]).toBeLessThan(history.loss[0]);
    expect(history.valAccuracy[5]).toBeGreaterThan(0.9);
    expect(model.training).toBe(true);
    expect(lines.filter((l) => /^Epoch \d\/6 {2}6 steps .* loss \d\.\d{4} {2}accuracy/.test(l))).toHaveLength(6);
    const evaluation = evaluate(model, val, { loss: crossEntropy, metrics: ['accuracy'] });
    expect(evaluation.logs.accuracy).toBeCloseTo(history.valAccuracy[5], 12);
    expect(evaluation.logs.loss).toBeCloseTo(history.valLoss[5], 5);
    expect(evaluation.predictions).toHaveLength(48);
  });

  it('a callback may keep each batch’s loss and (detached) outputs from a user step, in fit and in its validation', () => {
    manualSeed(5);
    const train = blobs(64);
    const val = blobs(32);
    const model = new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU(), new nn.Linear(8, 3));
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
    let last: { loss: Tensor; output: Tensor } | null = null;
    const losses: Tensor[] = [];
    const outputs: Tensor[] = [];
    const seen: number[][] = [];
    const valOutputs: Tensor[] = [];
    const step = ([x, y]: [Tensor, Tensor]) => {
      const output = model(x);
      const loss = crossEntropy(output, y);
      if (model.training) last = { loss, output };
      else valOutputs.push(output);
      return { loss, output, target: y };
    };
    const history = fit(model, train, {
      epochs: 3,
      optimizer,
      step,
      validation: val,
      verbose: false,
      callbacks: {
        onBatchEnd: () => {
          losses.push(last!.loss);
          outputs.push(last!.output.detach());
          seen.push([last!.loss.item(), last!.output.sum().item()]);
        },
      },
    });
    expect(losses).toHaveLength(12);
    expect(losses.map((l, i) => [l.item(), outputs[i].sum().item()])).toEqual(seen);
    // Equal batches: an epoch's logged loss is the mean of its batches' losses.
    for (let e = 0; e < 3; e++) {
      const epochLosses = losses.slice(4 * e, 4 * e + 4).map((l) => l.item());
      expect(epochLosses.reduce((a, b) => a + b, 0) / 4).toBeCloseTo(history.loss[e], 6);
    }
    expect(valOutputs).toHaveLength(6);
    const valLoss = valOutputs.slice(4).map((o, i) => crossEntropy(o, val[i][1]).item());
    expect(valLoss.reduce((a, b) => a + b, 0) / 2).toBeCloseTo(history.valLoss[2], 6);
  });

  it('onEpochEnd returning false stops training, and a diverging loss is reported', () => {
    manualSeed(4);
    const { model, optimizer } = softmaxRegression(2, 3);
    const history = fit(model, blobs(32), { epochs: 10, optimizer, loss: crossEntropy, verbose: false, callbacks: { onEpochEnd: (e) => e < 3 } });
    expect(history.loss).toHaveLength(3);
    const bad = [[tensor([[1, 2]]), tensor([0], { dtype: 'int32' })]] as Array<[Tensor, Tensor]>;
    expect(() => fit(model, bad, { epochs: 1, optimizer, loss: () => tensor(NaN, { requiresGrad: true }).mul(1), verbose: false })).toThrow(
      /loss became NaN at epoch 1, step 1/,
    );
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

describe('fit: modes, batch forms, async', () => {
  it('fit and evaluate leave the model in the mode they found it in, and share metric defaults (none)', () => {
    manualSeed(5);
    const { model, optimizer } = softmaxRegression(2, 3);
    model.eval();
    fit(model, blobs(32), { epochs: 1, optimizer, loss: crossEntropy, verbose: false, validation: blobs(16) });
    expect(model.training).toBe(false);
    model.train();
    evaluate(model, blobs(16));
    expect(model.training).toBe(true);
    const e = evaluate(model, blobs(16), { loss: crossEntropy });
    expect(Object.keys(e.logs)).toEqual(['loss']);
    const h = fit(model, blobs(16), { epochs: 1, optimizer, loss: crossEntropy, verbose: false });
    expect(Object.keys(h)).toEqual(['loss']);
  });

  it('trains a two-input model from [ids, mask, target] and { inputs, target } batches, and with a user step(batch)', () => {
    manualSeed(6);
    class TwoInput extends nn.Module {
      emb = new nn.Embedding(10, 4);
      head = new nn.Linear(4, 2);
      forward(ids: Tensor, mask: Tensor): Tensor {
        // Mean of the embeddings of the unmasked tokens.
        const m = mask.unsqueeze(2);
        return this.head.call(this.emb.call(ids).mul(m).sum(1).div(m.sum(1)));
      }
    }
    const model = new TwoInput();
    // Label 1 when token 7 appears among the unmasked tokens.
    const idsRows = [
      [7, 1, 2, 0],
      [3, 4, 5, 7],
      [1, 2, 3, 4],
      [5, 6, 8, 9],
      [7, 7, 0, 0],
      [2, 2, 2, 2],
    ];
    const maskRows = [
      [1, 1, 1, 0],
      [1, 1, 1, 0],
      [1, 1, 1, 1],
      [1, 1, 1, 1],
      [1, 1, 0, 0],
      [1, 1, 1, 1],
    ];
    const ys = [1, 0, 0, 0, 1, 0];
    const ids = tensor(idsRows, { dtype: 'int32' }).keep();
    const mask = tensor(maskRows, { dtype: 'float32' }).keep();
    const y = tensor(ys, { dtype: 'int32' }).keep();
    const optimizer = new optim.Adam(model.parameters(), { lr: 0.05 });
    const loss = new nn.CrossEntropyLoss();
    const h1 = fit(model, [[ids, mask, y]], { epochs: 30, optimizer, loss, metrics: ['accuracy'], verbose: false });
    expect(h1.accuracy[29]).toBe(1);
    const h2 = fit(model, [{ inputs: [ids, mask], target: y }], { epochs: 2, optimizer, loss, verbose: false });
    expect(h2.loss[1]).toBeLessThan(h1.loss[0]);
    const calls: number[] = [];
    const h3 = fit(model, [{ ids, mask, label: y }], {
      epochs: 2,
      optimizer,
      verbose: false,
      metrics: ['accuracy'],
      step: (b) => {
        calls.push(b.ids.shape[0]);
        const output = model.call(b.ids, b.mask);
        return { loss: loss.call(output, b.label), output, target: b.label };
      },
    });
    expect(calls).toEqual([6, 6]);
    expect(h3.accuracy).toEqual([1, 1]);
    expect(() => fit(model, [[ids]], { epochs: 1, optimizer, loss, verbose: false })).toThrow(/each batch must be an \[input, target\] array/);
    expect(() => fit(model, [[ids, mask, y]], { epochs: 1, optimizer, verbose: false } as never)).toThrow(/options.loss is required/);
    expect(() => fit(model, [[ids, mask, y]], { epochs: 1, optimizer, loss, metrics: ['auc' as never], verbose: false })).toThrow(/unknown metric 'auc'/);
  });

  it('fitAsync takes an AsyncIterable, awaits onBatchEnd, and lets timers fire between batches', async () => {
    manualSeed(7);
    const { model, optimizer } = softmaxRegression(2, 3);
    const train = blobs(96);
    async function* source() {
      for (const b of train) yield b;
    }
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const seen: number[] = [];
    const history = await fitAsync(
      model,
      { [Symbol.asyncIterator]: source },
      {
        epochs: 3,
        optimizer,
        loss: crossEntropy,
        metrics: ['accuracy'],
        verbose: false,
        validation: blobs(32),
        callbacks: { onBatchEnd: async (step) => void seen.push(step) },
      },
    );
    clearInterval(timer);
    expect(history.loss).toHaveLength(3);
    expect(history.valAccuracy[2]).toBeGreaterThan(0.9);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
    expect(ticks).toBeGreaterThan(5);
    expect(() => fit(model, { [Symbol.asyncIterator]: source } as never, { epochs: 1, optimizer, loss: crossEntropy })).toThrow(/AsyncIterable; use fitAsync/);
    await expect(fitAsync(model, train, { epochs: 1, optimizer, loss: crossEntropy, yieldEvery: 'often' as never })).rejects.toThrow(/yieldEvery must be/);
    const e = await evaluateAsync(model, { [Symbol.asyncIterator]: source }, { metrics: ['accuracy'] });
    expect(e.logs.accuracy).toBeCloseTo(evaluate(model, train, { metrics: ['accuracy'] }).logs.accuracy, 12);
  });
});

describe('callbacks and ReduceLROnPlateau in fit', () => {
  /** A linear model fitted to noisy data that starts to overfit: validation loss falls, then rises. */
  function overfitting() {
    manualSeed(11);
    const model = new nn.Sequential(new nn.Linear(8, 64), new nn.ReLU(), new nn.Linear(64, 1));
    const x = randn([12, 8]).keep();
    const y = randn([12, 1]).keep();
    const vx = randn([64, 8]).keep();
    const vy = vx.sum(1, true).mul(0).keep();
    return { model, train: [[x, y]] as Array<[Tensor, Tensor]>, val: [[vx, vy]] as Array<[Tensor, Tensor]> };
  }

  it('EarlyStopping stops after patience epochs without improvement and restores the best weights', () => {
    const { model, train, val } = overfitting();
    const stop = new EarlyStopping({ monitor: 'valLoss', patience: 3, restoreBestWeights: true });
    const optimizer = new optim.Adam(model.parameters(), { lr: 0.05 });
    const history = fit(model, train, { epochs: 200, optimizer, loss: new nn.MSELoss(), validation: val, callbacks: [stop], verbose: false });
    const best = Math.min(...history.valLoss);
    expect(stop.stoppedEpoch).toBe(history.valLoss.length);
    expect(stop.stoppedEpoch).toBeLessThan(200);
    expect(stop.bestEpoch).toBe(history.valLoss.indexOf(best) + 1);
    expect(stop.stoppedEpoch - stop.bestEpoch).toBe(3);
    expect(evaluate(model, val, { loss: new nn.MSELoss() }).logs.loss).toBeCloseTo(best, 5);
    expect(() => fit(model, train, { epochs: 1, optimizer, loss: new nn.MSELoss(), callbacks: [new EarlyStopping()], verbose: false })).toThrow(
      /monitor 'valLoss' is not among the epoch's logs \(loss\); pass validation/,
    );
    expect(() => new EarlyStopping({ patience: -1 })).toThrow(/patience must be an integer ≥ 0/);
  });

  it('ModelCheckpoint saves the best epochs as safetensors, HistoryLogger writes CSV and JSON', async () => {
    const { model, train, val } = overfitting();
    const dir = mkdtempSync(join(tmpdir(), 'tessera-ckpt-'));
    const saved: number[] = [];
    const ckpt = new ModelCheckpoint({ path: join(dir, 'best.safetensors'), saveBestOnly: true, onSave: (_, { epoch }) => void saved.push(epoch) });
    const csv = new HistoryLogger({ path: join(dir, 'history.csv') });
    let json = '';
    const jsonLog = new HistoryLogger({ onWrite: (t) => (json = t), format: 'json' });
    const optimizer = new optim.Adam(model.parameters(), { lr: 0.05 });
    const history = fit(model, train, { epochs: 30, optimizer, loss: new nn.MSELoss(), validation: val, callbacks: [ckpt, csv, jsonLog], verbose: false });
    const bestEpoch = history.valLoss.indexOf(Math.min(...history.valLoss)) + 1;
    expect(saved[saved.length - 1]).toBe(bestEpoch);
    expect(saved).toEqual(ckpt.savedEpochs);
    const restored = new nn.Sequential(new nn.Linear(8, 64), new nn.ReLU(), new nn.Linear(64, 1));
    restored.loadStateDict(await load(join(dir, 'best.safetensors')));
    expect(evaluate(restored, val, { loss: new nn.MSELoss() }).logs.loss).toBeCloseTo(history.valLoss[bestEpoch - 1], 5);
    const lines = readText(join(dir, 'history.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('epoch,loss,valLoss');
    expect(lines).toHaveLength(31);
    expect(Number(lines[2].split(',')[2])).toBe(history.valLoss[1]);
    expect(JSON.parse(json)).toEqual(history);
    expect(() => new ModelCheckpoint({} as never)).toThrow(/give path/);
  });

  it('fit drives ReduceLROnPlateau from the monitored log', () => {
    const { model, train, val } = overfitting();
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
    const sched = new optim.lrScheduler.ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 1 });
    const lrs: number[] = [];
    const history = fit(model, train, {
      epochs: 40,
      optimizer,
      scheduler: sched,
      loss: new nn.MSELoss(),
      validation: val,
      verbose: false,
      callbacks: { onEpochEnd: () => void lrs.push(optimizer.paramGroups[0].lr) },
    });
    // Replay the rule by hand on the recorded validation losses.
    let best = Infinity;
    let bad = 0;
    let lr = 0.01;
    const expected = history.valLoss.map((v) => {
      if (v < best * (1 - 1e-4)) (best = v), (bad = 0);
      else bad++;
      if (bad > 1) (lr *= 0.5), (bad = 0);
      return lr;
    });
    expect(lrs).toEqual(expected);
    expect(lrs[39]).toBeLessThan(0.01);
    expect(() =>
      fit(model, train, { epochs: 1, optimizer, scheduler: sched, loss: new nn.MSELoss(), verbose: false, schedulerMonitor: 'valAccuracy' }),
    ).toThrow(/monitors 'valAccuracy'/);
  });
});
