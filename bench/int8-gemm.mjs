/**
 * The int8 GEMM rows each runtime measures (bench/int8.mjs runs them in Node, in Node with relaxed
 * SIMD, and in headless Chromium, whose page imports this file): a bias-free Linear m×k×n in
 * float32 and as a dynamic int8 layer with 8-bit activations and with 7-bit ones — which run the
 * int8 GEMM on the relaxed int8 dot product where the runtime validates it, and the baseline int8
 * GEMM elsewhere. One thread; the three alternate within each round; a ratio is the median of the
 * per-round ratios of median times. Outputs are checked against float32 first. Plain values out
 * (what page.evaluate carries).
 */

/**
 * Median ms per call of fn over about timeMs, after two warm-up calls; each sample times enough calls
 * to last ≥ 2 ms (a page's timer is coarse, and a batch-1 call takes microseconds).
 */
function medianMs(fn, timeMs) {
  fn();
  fn();
  let inner = 1;
  for (let t = performance.now(); performance.now() - t < 2; inner++) fn();
  const times = [];
  const start = performance.now();
  while (times.length < 5 || performance.now() - start < timeMs) {
    const t = performance.now();
    for (let i = 0; i < inner; i++) fn();
    times.push((performance.now() - t) / inner);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * @param {typeof import('../dist/index.js')} T the Tessera module
 * @param {{ shapes: number[][], rounds: number, timeMs: number }} options
 */
export async function int8GemmRows(T, { shapes, rounds, timeMs }) {
  if (T.getNumThreads() !== 1) await T.setNumThreads(1);
  const { nn, noGrad, quantization, randn, tidy } = T;
  const rows = [];
  let relaxedDot = false;
  for (const [m, k, n] of shapes) {
    T.manualSeed(1);
    const f32 = new nn.Linear(k, n, { bias: false });
    const x = randn([m, k]).keep();
    // The int8 layers themselves (a Sequential would add its own per-call cost to their side).
    const int8 = (reduceRange) => {
      const model = new nn.Sequential(new nn.Linear(k, n, { bias: false }));
      model.children()[0].loadStateDict(f32.stateDict());
      return quantization.quantizeDynamic(model, { reduceRange }).children()[0];
    };
    const layers = { f32, int8: int8(false), int8x7: int8(true) };
    // dist's internals are not exported: the backend's choice is read off a tensor.
    relaxedDot = x.backend.int8RelaxedDot;
    const ref = noGrad(() => f32(x)).toArray();
    const scale = ref.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    for (const key of ['int8', 'int8x7']) {
      const got = noGrad(() => layers[key](x)).toArray();
      const worst = got.reduce((a, v, i) => Math.max(a, Math.abs(v - ref[i])), 0);
      if (!(worst <= 0.05 * scale)) throw new Error(`int8 Linear ${m}×${k}×${n} (${key}): WRONG RESULT (max error ${worst}, float32 max ${scale})`);
    }
    const ms = { f32: [], int8: [], int8x7: [] };
    for (let r = 0; r < rounds; r++) {
      for (const key of Object.keys(ms)) ms[key].push(medianMs(() => tidy(() => void noGrad(() => layers[key](x))), timeMs));
    }
    const gflops = (key) => (2 * m * k * n) / median(ms[key]) / 1e6;
    rows.push({
      id: `${m}×${k}×${n}`,
      f32: gflops('f32'),
      int8: gflops('int8'),
      int8x7: gflops('int8x7'),
      int8VsF32: median(ms.f32.map((t, i) => t / ms.int8[i])),
      int8x7VsF32: median(ms.f32.map((t, i) => t / ms.int8x7[i])),
      int8x7VsInt8: median(ms.int8.map((t, i) => t / ms.int8x7[i])),
    });
    x.dispose();
  }
  return { relaxedSimd: T.wasmFeatures().relaxedSimd, relaxedDot, rows };
}

/**
 * The CNN of the int8 rows (28×28: conv 16, ReLU, max-pool, conv 32, ReLU, max-pool, linear 10), seeded.
 * @param {typeof import('../dist/index.js')} T the Tessera module
 */
export function cnnModel(T) {
  T.manualSeed(3);
  const { nn } = T;
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(32 * 7 * 7, 10),
  );
}

/**
 * bench/int8.mjs's CNN on 28×28 (static int8, calibrated on three random batches) at each batch
 * size: float32, int8 with 8-bit activations and with 7-bit ones — whose second conv and Linear run
 * the relaxed int8 dot product where the runtime validates it (the first conv, 9 deep, stays float32).
 * Inferences/s (medians) and per-round ratios as int8GemmRows.
 * @param {typeof import('../dist/index.js')} T the Tessera module
 * @param {{ batches: number[], rounds: number, timeMs: number }} options
 */
export async function int8CnnRows(T, { batches, rounds, timeMs }) {
  if (T.getNumThreads() !== 1) await T.setNumThreads(1);
  const { noGrad, quantization, randn, tidy } = T;
  const cnn = () => cnnModel(T).eval();
  const int8 = (reduceRange) => {
    const model = cnn();
    quantization.prepare(model, { reduceRange });
    T.manualSeed(4);
    for (let i = 0; i < 3; i++) noGrad(() => model(randn([16, 1, 28, 28])));
    return quantization.convert(model);
  };
  const models = { f32: cnn(), int8: int8(false), int8x7: int8(true) };
  const rows = [];
  for (const batch of batches) {
    T.manualSeed(5);
    const x = randn([batch, 1, 28, 28]).keep();
    const ref = noGrad(() => models.f32(x)).toArray();
    const scale = ref.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    for (const key of ['int8', 'int8x7']) {
      const got = noGrad(() => models[key](x)).toArray();
      const worst = got.reduce((a, v, i) => Math.max(a, Math.abs(v - ref[i])), 0);
      if (!(worst <= 0.1 * scale)) throw new Error(`int8 CNN b${batch} (${key}): WRONG RESULT (max error ${worst}, float32 max ${scale})`);
    }
    const ms = { f32: [], int8: [], int8x7: [] };
    for (let r = 0; r < rounds; r++) {
      for (const key of Object.keys(ms)) ms[key].push(medianMs(() => tidy(() => void noGrad(() => models[key](x))), timeMs));
    }
    const rate = (key) => (batch * 1000) / median(ms[key]);
    rows.push({
      id: `CNN 28×28 (2 conv + linear) b${batch}`,
      f32: rate('f32'),
      int8: rate('int8'),
      int8x7: rate('int8x7'),
      int8VsF32: median(ms.f32.map((t, i) => t / ms.int8[i])),
      int8x7VsF32: median(ms.f32.map((t, i) => t / ms.int8x7[i])),
      int8x7VsInt8: median(ms.int8.map((t, i) => t / ms.int8x7[i])),
    });
    x.dispose();
  }
  return { relaxedSimd: T.wasmFeatures().relaxedSimd, relaxedDot: models.f32.children()[0].weight.backend.int8RelaxedDot, rows };
}
