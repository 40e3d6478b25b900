/**
 * How the memory tests measure a loop, shared by tests/memory-loops.test.ts (Node) and the
 * Chromium test (a page). Live memory in a loop rises and falls as reclaim passes run: a sawtooth
 * whose teeth can be a few thousand steps wide (a pass spills what was untouched for one pass
 * interval). Two single samples may land on a crest and a trough, so the bound compares teeth:
 * the peaks over a window that starts at step 100 and over the last window, each a fifth of the
 * run. A leak of a tensor per step puts 8,000 more tensors into the late window of a 10,000-step
 * run than into the early one, and fails the tensor bound even when the tensors are tiny.
 * @param {typeof import('../../src/index.js')} T the Tessera module
 * @param {number} steps
 * @returns {{ after(i: number): void, peaks: import('./memory-loop.js').LoopPeaks }} call `after(i)` after step i
 */
export function loopMeter(T, steps) {
  const window = Math.floor(steps / 5);
  const peaks = { earlyBytes: 0, lateBytes: 0, earlyTensors: 0, lateTensors: 0, wasmAfterEarly: 0, wasmBytes: 0 };
  const after = (i) => {
    const { liveBytes, liveTensors, wasmBytes } = T.memoryStats();
    if (i >= 100 && i < 100 + window) {
      peaks.earlyBytes = Math.max(peaks.earlyBytes, liveBytes);
      peaks.earlyTensors = Math.max(peaks.earlyTensors, liveTensors);
      peaks.wasmAfterEarly = wasmBytes;
    }
    if (i >= steps - window) {
      peaks.lateBytes = Math.max(peaks.lateBytes, liveBytes);
      peaks.lateTensors = Math.max(peaks.lateTensors, liveTensors);
    }
    peaks.wasmBytes = wasmBytes;
  };
  return { after, peaks };
}

/**
 * Runs `step(i)` `steps` times and returns loopMeter's peaks.
 * @param {typeof import('../../src/index.js')} T the Tessera module
 * @param {number} steps
 * @param {(i: number) => void} step one step of the loop
 */
export function measureLoop(T, steps, step) {
  const meter = loopMeter(T, steps);
  for (let i = 0; i < steps; i++) {
    step(i);
    meter.after(i);
  }
  return meter.peaks;
}

/**
 * One step of the MNIST-shaped loop (runMnistLoop; bench/reclaim-mnist.mjs times it) and the losses
 * it keeps: a fresh 256 × 784 batch divided by 255, nn.Linear(784, 10), SGD, each loss pushed.
 * @param {typeof import('../../src/index.js')} T the Tessera module
 */
export function mnistStep(T) {
  T.manualSeed(5);
  const model = new T.nn.Linear(784, 10);
  const optimizer = new T.optim.SGD(model.parameters(), { lr: 0.01 });
  const raw = Float32Array.from({ length: 256 * 784 }, (_, i) => (i * 37) % 256);
  const labels = T.tensor(
    Array.from({ length: 256 }, (_, i) => i % 10),
    { dtype: 'int32' },
  );
  const losses = [];
  const step = () => {
    const xb = T.tensor(raw, { shape: [256, 784] });
    const loss = T.nn.functional.crossEntropy(model(xb.div(255)), labels);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    losses.push(loss);
  };
  return { step, losses };
}

/**
 * The MNIST-shaped loop of issue 9, run synchronously (one job, no await) in a page and in Node: a
 * fresh 256 × 784 batch of pixels divided by 255 every step, a linear model, SGD, each loss kept
 * in an array. Nothing in it frees memory by hand. Returns measureLoop's peaks and the first and
 * last loss, read after the loop.
 * @param {typeof import('../../src/index.js')} T the Tessera module
 * @param {number} steps
 */
export function runMnistLoop(T, steps) {
  const { step, losses } = mnistStep(T);
  const peaks = measureLoop(T, steps, step);
  return { ...peaks, firstLoss: losses[0].item(), lastLoss: losses[steps - 1].item() };
}

/**
 * Pixel-like data in [0, 255] and 3 classes a small MLP can learn, with a shuffling DataLoader of
 * batch 16 over it.
 * @param {typeof import('../../src/index.js')} T the Tessera module
 * @param {number} n samples
 * @param {number} features per sample
 */
export function pixels(T, n, features) {
  T.manualSeed(7);
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  const x = T.randn([n, features])
    .mul(20)
    .add(T.tensor(labels).float().mul(60).add(60).reshape([n, 1]));
  const y = T.tensor(labels, { dtype: 'int32' });
  return { x, y, loader: new T.data.DataLoader(new T.data.TensorDataset(x, y), { batchSize: 16, shuffle: true }) };
}

/**
 * A seeded MLP features → 64 → 3 and its SGD optimizer.
 * @param {typeof import('../../src/index.js')} T the Tessera module
 * @param {number} features inputs
 */
export function mlp(T, features) {
  T.manualSeed(3);
  const model = new T.nn.Sequential(new T.nn.Linear(features, 64), new T.nn.ReLU(), new T.nn.Linear(64, 3));
  return { model, optimizer: new T.optim.SGD(model.parameters(), { lr: 0.05 }) };
}

/**
 * Batches of a DataLoader, epoch after epoch, for as many steps as asked.
 * @template B
 * @param {Iterable<B>} loader
 * @param {number} steps
 * @returns {Generator<B>}
 */
export function* batches(loader, steps) {
  let i = 0;
  for (;;)
    for (const batch of loader)
      if (i++ < steps) yield batch;
      else return;
}

/**
 * The evaluation loop of issue 9: DataLoader batches scaled by 1/255 under noGrad, argmax and
 * `.item()` each step. Returns measureLoop's peaks, the accuracy counted over the steps and, for
 * comparison, over the whole data set in one batch afterwards: a multiple of 16 steps covers each
 * sample equally often, so the two agree when the loop computed the right thing.
 * @param {typeof import('../../src/index.js')} T the Tessera module
 * @param {number} steps
 */
export function runEvalLoop(T, steps) {
  const { x, y, loader } = pixels(T, 256, 32);
  const { model } = mlp(T, 32);
  const it = batches(loader, steps);
  let correct = 0;
  const peaks = measureLoop(T, steps, () => {
    const [xb, yb] = it.next().value;
    T.noGrad(() => {
      correct += model(xb.div(255)).argmax(1).eq(yb).sum().item();
    });
  });
  const wholeSet = T.noGrad(() => model(x.div(255)).argmax(1).eq(y).sum().item()) / 256;
  return { ...peaks, accuracy: correct / (16 * steps), wholeSet };
}

/**
 * Inference with grad mode on, every result dropped (issue 9: 10,005 live tensors and 1.3 GB
 * after 2,000 steps before the fix). Returns measureLoop's peaks.
 * @param {typeof import('../../src/index.js')} T the Tessera module
 * @param {number} steps
 */
export function runInferenceLoop(T, steps) {
  const { x } = pixels(T, 256, 32);
  const { model } = mlp(T, 32);
  const input = x.slice(0, 0, 16).div(255);
  return measureLoop(T, steps, () => void model(input));
}

/**
 * A training loop over `for await (const [xb, yb] of loader)`, epoch after epoch, that hands the
 * event loop a macrotask after every step (as a page does to repaint), so timers, garbage
 * collection between tasks and FinalizationRegistry callbacks all get to run. Returns loopMeter's
 * peaks, the steps run, and the mean loss over the first and the last 50 steps.
 * @param {typeof import('../../src/index.js')} T the Tessera module
 * @param {number} steps
 */
export async function runAsyncLoop(T, steps) {
  const { loader } = pixels(T, 256, 32);
  const { model, optimizer } = mlp(T, 32);
  const meter = loopMeter(T, steps);
  const losses = [];
  // A message, not setTimeout: browsers clamp nested timers to 4 ms.
  const channel = new MessageChannel();
  const nextTask = () =>
    new Promise((resolve) => {
      channel.port1.onmessage = resolve;
      channel.port2.postMessage(0);
    });
  try {
    while (losses.length < steps)
      for await (const [xb, yb] of loader) {
        const loss = T.nn.functional.crossEntropy(model(xb.div(255)), yb);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        losses.push(loss.item());
        meter.after(losses.length - 1);
        await nextTask();
        if (losses.length === steps) break;
      }
  } finally {
    channel.port1.close();
  }
  const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
  return { ...meter.peaks, steps: losses.length, firstLoss: mean(losses.slice(0, 50)), lastLoss: mean(losses.slice(-50)) };
}
