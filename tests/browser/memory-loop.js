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
 * The MNIST-shaped loop of issue 9, run synchronously (one job, no await) in a page and in Node: a
 * fresh 256 × 784 batch of pixels divided by 255 every step, a linear model, SGD, each loss kept
 * in an array. Nothing in it frees memory by hand. Returns measureLoop's peaks and the first and
 * last loss, read after the loop.
 * @param {typeof import('../../src/index.js')} T the Tessera module
 * @param {number} steps
 */
export function runMnistLoop(T, steps) {
  T.manualSeed(5);
  const model = new T.nn.Linear(784, 10);
  const optimizer = new T.optim.SGD(model.parameters(), { lr: 0.01 });
  const raw = Float32Array.from({ length: 256 * 784 }, (_, i) => (i * 37) % 256);
  const labels = T.tensor(
    Array.from({ length: 256 }, (_, i) => i % 10),
    { dtype: 'int32' },
  );
  const losses = [];
  const peaks = measureLoop(T, steps, () => {
    const xb = T.tensor(raw, { shape: [256, 784] });
    const loss = T.nn.functional.crossEntropy(model(xb.div(255)), labels);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    losses.push(loss);
  });
  return { ...peaks, firstLoss: losses[0].item(), lastLoss: losses[steps - 1].item() };
}
