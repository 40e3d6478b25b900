/**
 * The MNIST-shaped loop of issue 9, run synchronously (one job, no await) in a page and in Node: a
 * fresh 256 × 784 batch of pixels divided by 255 every step, a linear model, SGD. Nothing in it
 * frees memory by hand. Returns the peaks of the live bytes the loop added over steps 100–499 and
 * over the last 400 steps, and the WASM memory size after it.
 * @param {typeof import('../../src/index.js')} T the Tessera module
 * @param {number} steps
 */
export function runMnistLoop(T, steps) {
  T.manualSeed(5);
  const model = new T.nn.Linear(784, 10);
  const optimizer = new T.optim.SGD(model.parameters(), { lr: 0.01 });
  const raw = Float32Array.from({ length: 256 * 784 }, (_, i) => (i * 37) % 256);
  const labels = T.tensor(Array.from({ length: 256 }, (_, i) => i % 10), { dtype: 'int32' });
  const before = T.memoryStats().liveBytes;
  let early = 0;
  let late = 0;
  const losses = [];
  for (let i = 0; i < steps; i++) {
    const xb = T.tensor(raw, { shape: [256, 784] });
    const loss = T.nn.functional.crossEntropy(model(xb.div(255)), labels);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    losses.push(loss);
    const added = T.memoryStats().liveBytes - before;
    if (i >= 100 && i < 500) early = Math.max(early, added);
    if (i >= steps - 400) late = Math.max(late, added);
  }
  return { early, late, wasmBytes: T.memoryStats().wasmBytes, firstLoss: losses[0].item(), lastLoss: losses[steps - 1].item() };
}
