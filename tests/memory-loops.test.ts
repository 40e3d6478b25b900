import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { cat, data, fit, manualSeed, nn, noGrad, optim, randn, type Tensor } from '../src/index.js';
import {
  batches,
  type LoopPeaks,
  loopMeter,
  measureLoop,
  mlp,
  pixels,
  runAsyncLoop,
  runEvalLoop,
  runInferenceLoop,
  runMnistLoop,
} from './browser/memory-loop.js';
import { expectBounded } from './helpers.js';

/**
 * The loop shapes of issue 9, written as a PyTorch user writes them: no tidy, keep or dispose.
 * Each runs 10,000 steps, the bar (≈ 0.2–1.3 ms a step on the shared 2-core machine,
 * the MNIST-shaped loop 14 ms: one run of the whole file took 202 s, 142 s of it that loop, whose
 * copies of dropped batches land on fresh pages, docs/memory.md). Bounded means: the peak live bytes and live tensors over
 * the last 2,000 steps stay within 2× those over steps 100–2,099 (measureLoop says why peaks
 * and not two samples), and WASM memory stops growing after step 2,099. Before issue 9 every
 * one of these loops leaked a tensor a step or threw.
 */
const STEPS = 10_000;

const runLoop = (step: (i: number) => void): LoopPeaks => measureLoop(T, STEPS, step);

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe('memory stays bounded in every loop shape, with nothing added to user code', { timeout: 300_000 }, () => {
  const { x, y, loader } = pixels(T, 256, 32);

  it('DataLoader batches with xb.div(255) before the forward', () => {
    const { model, optimizer } = mlp(T, 32);
    const it = batches(loader, STEPS);
    const losses: number[] = [];
    const m = runLoop(() => {
      const [xb, yb] = it.next().value!;
      const input = xb.div(255);
      const loss = nn.functional.crossEntropy(model(input), yb);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
    });
    expectBounded(m);
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.5);
  });

  it('the same with the transform inside noGrad', () => {
    const { model, optimizer } = mlp(T, 32);
    const it = batches(loader, STEPS);
    expectBounded(
      runLoop(() => {
        const [xb, yb] = it.next().value!;
        const input = noGrad(() => xb.div(255));
        const loss = nn.functional.crossEntropy(model(input), yb);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
      }),
    );
  });

  it('a noGrad evaluation loop with argmax and .item()', () => {
    const m = runEvalLoop(T, STEPS);
    expectBounded(m);
    expect(m.accuracy).toBe(m.wholeSet);
  });

  it('inference with grad mode on, results dropped', () => {
    expectBounded(runInferenceLoop(T, STEPS));
  });

  it('a for await loop over the DataLoader that yields a task to the event loop every step', async () => {
    const m = await runAsyncLoop(T, STEPS);
    expect(m.steps).toBe(STEPS);
    expectBounded(m);
    expect(m.lastLoss).toBeLessThan(m.firstLoss * 0.5);
  });

  it('fit() with a /255 transform in the batch iterable, validation and a metric every epoch', () => {
    const { model, optimizer } = mlp(T, 32);
    const val = new data.DataLoader(new data.TensorDataset(x.slice(0, 0, 32).div(255), y.slice(0, 0, 32)), { batchSize: 16 });
    const meter = loopMeter(T, STEPS);
    let step = 0;
    const scaled = {
      *[Symbol.iterator]() {
        for (const [xb, yb] of loader) yield [xb.div(255), yb];
      },
    };
    const history = fit(model, scaled, {
      epochs: STEPS / loader.length,
      optimizer,
      loss: nn.functional.crossEntropy,
      validation: val,
      metrics: ['accuracy'],
      verbose: false,
      callbacks: { onBatchEnd: () => meter.after(step++) },
    });
    expect(step).toBe(STEPS);
    expectBounded(meter.peaks);
    expect(history.loss.at(-1)!).toBeLessThan(history.loss[0]);
    expect(history.valAccuracy.at(-1)!).toBeGreaterThan(0.9);
  });

  it('feature extraction under noGrad: a forward hook captures the hidden layer every step', () => {
    const { model } = mlp(T, 32);
    const it = batches(loader, STEPS);
    let features: Tensor | null = null;
    const sampled: Tensor[] = [];
    const sums: number[] = [];
    model.at(1).registerForwardHook((_m, _args, out) => {
      features = out;
    });
    expectBounded(
      runLoop((i) => {
        const [xb] = it.next().value!;
        noGrad(() => model(xb.div(255)));
        const f = features!;
        if (i % 1000 === 0) {
          sampled.push(f);
          sums.push(f.sum().item());
        }
        expect(f.min().item()).toBeGreaterThanOrEqual(0);
      }),
    );
    expect(sampled.map((f) => f.sum().item())).toEqual(sums);
  });

  it('training with a forward hook capturing activations, read after later steps', () => {
    const { model, optimizer } = mlp(T, 32);
    const it = batches(loader, STEPS);
    let features: Tensor | null = null;
    const sampled: Tensor[] = [];
    const sums: number[] = [];
    model.at(1).registerForwardHook((_m, _args, out) => {
      features = out;
    });
    expectBounded(
      runLoop((i) => {
        const [xb, yb] = it.next().value!;
        const loss = nn.functional.crossEntropy(model(xb.div(255)), yb);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        if (i % 1000 === 0) {
          sampled.push(features!);
          sums.push(features!.sum().item());
        }
      }),
    );
    expect(sampled.map((f) => f.sum().item())).toEqual(sums);
  });

  it('losses kept in an array are read after training', () => {
    const { model, optimizer } = mlp(T, 32);
    const it = batches(loader, STEPS);
    const losses: Tensor[] = [];
    const seen: number[] = [];
    expectBounded(
      runLoop(() => {
        const [xb, yb] = it.next().value!;
        const loss = nn.functional.crossEntropy(model(xb.div(255)), yb);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        losses.push(loss);
        if (seen.length < 5) seen.push(loss.item());
      }),
    );
    expect(losses.slice(0, 5).map((l) => l.item())).toEqual(seen);
    const mean = losses.reduce((s, l) => s + l.item(), 0) / losses.length;
    expect(mean).toBeGreaterThan(0);
    expect(losses.at(-1)!.item()).toBeLessThan(seen[0]);
  });

  it('truncated backprop through time: a detached hidden state carried into cat([x, h])', () => {
    manualSeed(11);
    const cell = new nn.Linear(8 + 16, 16);
    const head = new nn.Linear(16, 1);
    const optimizer = new optim.SGD([...cell.parameters(), ...head.parameters()], { lr: 0.01 });
    const inputs = randn([50, 4, 8]);
    let h = randn([4, 16]).mul(0);
    const losses: number[] = [];
    const m = runLoop((i) => {
      const xt = inputs.select(0, i % 50);
      h = cell(cat([xt, h], 1)).tanh();
      const loss = head(h).sub(xt.sum(1, true)).pow(2).mean();
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
      // The three spellings users try; each must survive the next step's backward.
      h = i % 3 === 0 ? h.detach() : i % 3 === 1 ? h.detach().keep() : noGrad(() => h.clone());
    });
    expectBounded(m);
    expect(losses.every(Number.isFinite)).toBe(true);
  });

  it('truncated BPTT with nn.LSTM: [h, c] detached and carried into the next chunk', () => {
    manualSeed(12);
    const lstm = new nn.LSTM(8, 16);
    const head = new nn.Linear(16, 1);
    const optimizer = new optim.SGD([...lstm.parameters(), ...head.parameters()], { lr: 0.05 });
    // A long series cut into chunks of 5 steps, batch 4: predict each input's sum.
    const series = randn([40, 5, 4, 8]);
    let h = randn([1, 4, 16]).mul(0);
    let c = randn([1, 4, 16]).mul(0);
    const losses: number[] = [];
    const m = runLoop((i) => {
      const chunk = series.select(0, i % 40);
      const [out, [hN, cN]] = lstm(chunk, [h, c]);
      const loss = head(out).sub(chunk.sum(2, true)).pow(2).mean();
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
      h = hN.detach();
      c = cN.detach();
    });
    expectBounded(m);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(mean(losses.slice(-40))).toBeLessThan(mean(losses.slice(0, 40)));
  });

  it('truncated BPTT with nn.GRU (batchFirst): h detached and carried into the next chunk', () => {
    manualSeed(13);
    const gru = new nn.GRU(8, 16, { batchFirst: true });
    const head = new nn.Linear(16, 1);
    const optimizer = new optim.SGD([...gru.parameters(), ...head.parameters()], { lr: 0.05 });
    const series = randn([40, 4, 5, 8]);
    let h: Tensor | undefined;
    const losses: number[] = [];
    const m = runLoop((i) => {
      const chunk = series.select(0, i % 40);
      const [out, hN] = gru(chunk, h);
      const loss = head(out).sub(chunk.sum(2, true)).pow(2).mean();
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
      h = hN.detach();
    });
    expectBounded(m);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(mean(losses.slice(-40))).toBeLessThan(mean(losses.slice(0, 40)));
  });

  it('per-batch predictions kept in an array and passed to cat later are intact', () => {
    const { model } = mlp(T, 32);
    const inputs = Array.from({ length: 400 }, (_, i) => x.slice(0, (i * 16) % 240, ((i * 16) % 240) + 16).div(255));
    const predictions = inputs.map((input) => noGrad(() => model(input)));
    // Enough allocation in between to run several reclaim passes over the held predictions.
    for (let i = 0; i < 500; i++) randn([64, 64]).mul(2);
    const all = cat(predictions, 0);
    const again = noGrad(() => cat(inputs.map((input) => model(input))));
    expect(all.shape).toEqual([6400, 3]);
    expect(Array.from(all.toArray())).toEqual(Array.from(again.toArray()));
  });

  // Last, so its big batches do not set the reclaim interval the small loops above start from.
  it('MNIST-shaped: a fresh 256 × 784 batch divided by 255 every step stays under 512 MB', () => {
    const m = runMnistLoop(T, STEPS);
    expectBounded(m);
    expect(m.wasmBytes).toBeLessThan(512 * 2 ** 20);
    expect(m.lastLoss).toBeLessThan(m.firstLoss);
    // The copies of dropped batches are ordinary JS memory that V8 collects, even in this synchronous loop.
    expect(process.memoryUsage().arrayBuffers).toBeLessThan(512 * 2 ** 20);
  });
});
