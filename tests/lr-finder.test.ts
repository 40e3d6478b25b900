// lrFinder: the learning-rate range test. The lr schedule, restoring the model and optimizer,
// stopping on divergence, and a suggestion that is a rate that actually trains the model.
import { describe, expect, it } from 'vitest';
import { Generator, data, fit, lrFinder, manualSeed, nn, optim, plotLrFinder, randn, type Tensor } from '../src/index.js';

const F = nn.functional;

/** A linearly separable 3-class problem and a small MLP. */
function problem(seed: number) {
  manualSeed(seed);
  const g = new Generator(seed);
  const x = randn([256, 4], { generator: g });
  const w = randn([4, 3], { generator: g });
  const y = x.matmul(w).argmax(1);
  const model = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 3));
  const loader = new data.DataLoader(new data.TensorDataset(x, y), { batchSize: 32, shuffle: true, generator: g });
  return { model, loader, x, y };
}

const snapshot = (m: nn.Module) => Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from((t as Tensor).toArray())]);

describe('lrFinder', () => {
  it('sweeps the rates geometrically, cycles the batches, and restores weights, mode, lr and optimizer state', () => {
    const { model, loader } = problem(1);
    const optimizer = new optim.Adam(model.parameters(), { lr: 0.003 });
    fit(model, loader, { epochs: 1, optimizer, loss: F.crossEntropy, verbose: false });
    const before = snapshot(model);
    const adamBefore = JSON.stringify(optimizer.stateDict().param_groups);
    model.eval();
    const r = lrFinder(model, loader, { optimizer, loss: F.crossEntropy, startLr: 1e-5, endLr: 1e-1, numIter: 30, divergeThreshold: 1e9 });
    expect(r.lrs).toHaveLength(30); // 30 steps over 8 batches per pass: the loader is restarted
    expect(r.lrs[0]).toBeCloseTo(1e-5, 12);
    expect(r.lrs[29]).toBeCloseTo(1e-1, 8);
    expect(r.lrs[10] / r.lrs[9]).toBeCloseTo(r.lrs[20] / r.lrs[19], 10);
    expect(snapshot(model)).toEqual(before);
    expect(model.training).toBe(false);
    expect(optimizer.paramGroups[0].lr).toBe(0.003);
    expect(JSON.stringify(optimizer.stateDict().param_groups)).toBe(adamBefore);
    // The smoothed curve is the bias-corrected moving average of the raw one.
    const beta = 0.98;
    let avg = 0;
    r.rawLosses.forEach((v, i) => {
      avg = beta * avg + (1 - beta) * v;
      expect(r.losses[i]).toBeCloseTo(avg / (1 - beta ** (i + 1)), 10);
    });
  });

  it('stops when the loss diverges, and suggests a rate that trains well', () => {
    const { model, loader, x, y } = problem(2);
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
    const r = lrFinder(model, loader, { optimizer, loss: F.crossEntropy, startLr: 1e-4, endLr: 1e4, numIter: 120 });
    expect(r.diverged).toBe(true);
    expect(r.lrs.length).toBeLessThan(120);
    expect(r.suggestedLr).toBeGreaterThan(1e-3);
    expect(r.suggestedLr).toBeLessThan(r.lrs[r.lrs.length - 1]);
    // Training at the suggestion beats training at the smallest rate, at the same budget.
    const lossAfter = (lr: number) => {
      const { model: m, loader: l } = problem(2);
      fit(m, l, { epochs: 3, optimizer: new optim.SGD(m.parameters(), { lr }), loss: F.crossEntropy, verbose: false });
      return F.crossEntropy(m.forward(x), y).item();
    };
    expect(lossAfter(r.suggestedLr)).toBeLessThan(lossAfter(1e-4) * 0.8);
    const svg = plotLrFinder(r, { title: 'LR range test' });
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('suggested');
    expect(svg).toContain('learning rate (log scale)');
  });

  it('takes a step(batch) function and the linear mode', () => {
    const { model, loader } = problem(3);
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
    const r = lrFinder(model, loader, {
      optimizer,
      step: ([xb, yb]: Tensor[]) => F.crossEntropy(model.forward(xb), yb),
      startLr: 0.01,
      endLr: 0.1,
      numIter: 5,
      stepMode: 'linear',
    });
    expect(r.lrs.map((v) => Number(v.toFixed(6)))).toEqual([0.01, 0.0325, 0.055, 0.0775, 0.1]);
    expect(r.suggestedLr).toBeNaN(); // too short a curve for the default skipStart/skipEnd
  });

  it('rejects bad options with clear errors', () => {
    const { model, loader } = problem(4);
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
    const loss = F.crossEntropy;
    expect(() => lrFinder(model, loader, { optimizer, loss, startLr: 1, endLr: 0.1 })).toThrow(/endLr \(0.1\) must be larger than startLr \(1\)/);
    expect(() => lrFinder(model, loader, { optimizer, loss, numIter: 1 })).toThrow(/numIter must be an integer ≥ 2/);
    expect(() => lrFinder(model, loader, { optimizer } as never)).toThrow(/options.loss is required/);
    expect(() => lrFinder(model, loader, { optimizer: {} as never, loss })).toThrow(/optimizer must be an optimizer with paramGroups/);
    expect(() => lrFinder(model, loader, { optimizer, loss, startLR: 1 } as never)).toThrow(/unknown option "startLR"/);
    expect(() => lrFinder(model, [], { optimizer, loss })).toThrow(/the batches are empty/);
    expect(optimizer.paramGroups[0].lr).toBe(0.01);
    expect(() => plotLrFinder({ lrs: [], losses: [], suggestedLr: 1 })).toThrow(/plotLrFinder: expected an lrFinder result/);
  });
});
