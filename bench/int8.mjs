/**
 * int8 inference against float32 and ONNX Runtime Web, one thread, in one run (`node bench/int8.mjs`
 * after `npm run build`; `--write` puts the section in bench/RESULTS.md, and bench:compare appends
 * it to its report):
 * - int8 Linear (the int8 GEMM with its input quantization and float epilogue) vs Tessera's float32
 *   Linear on 512³ and the MLP shapes;
 * - the same with 7-bit activations, which run the int8 GEMM on the relaxed int8 dot product where
 *   the runtime validates relaxed SIMD, beside 8-bit int8 and float32 (relaxed FMA there) in the
 *   same run, in three runtimes: this Node, Node with relaxed SIMD (a child process with
 *   --experimental-wasm-relaxed-simd --no-liftoff: Node 20's baseline compiler gets the int8 dot
 *   product wrong, so Tessera keeps the baseline GEMM unless optimized code runs it), and headless
 *   Chromium (bench/int8-gemm.mjs, run by each);
 * - an MLP 784→256→10 (dynamic int8) and a CNN on 28×28 (static int8) at batch 1 and 64: Tessera
 *   float32, Tessera int8, and onnxruntime-web's wasm backend running the models Tessera exports
 *   (float32, and the int8 ones as DynamicQuantizeLinear/MatMulInteger and QDQ).
 * Each pair is timed in alternating rounds; a ratio is the median of the per-round ratios. Outputs
 * are checked against each other before timing.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { chromium } from 'playwright-core';
import * as T from '../dist/index.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium.mjs';
import { ISOLATION_HEADERS, serveStatic } from '../scripts/static-server.mjs';
import { cnnModel, int8CnnRows, int8GemmRows } from './int8-gemm.mjs';
import { fmtFigure, mdTable, measure, rate, sig, throughput } from './lib.mjs';

const { nn, noGrad, onnx, quantization, randn, tidy } = T;
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 200);
const ROUNDS = Number(process.env.BENCH_INT8_ROUNDS ?? 5);
ort.env.wasm.numThreads = 1;

const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const maxAbs = (a) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** This process's CPU microseconds per call of fn, over about ms of wall time (other sessions' load does not count). */
async function cpuPerCall(fn, ms) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (n < 3 || performance.now() - t0 < ms) {
    await fn();
    n++;
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

/**
 * Median of per-round figures and of per-round ratios a ÷ b: `ratio` of the wall-time figures,
 * `cpuRatio` of CPU time per call (the speed-up of a over b), which a loaded machine disturbs less;
 * `cpuMs`, the median CPU ms per call of one of fns.
 */
async function rounds(fns, figure) {
  const figs = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  const cpu = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, fn] of Object.entries(fns)) {
      figs[k].push(figure(await measure(k, fn, { timeMs: TIME_MS })));
      cpu[k].push(await cpuPerCall(fn, TIME_MS / 2));
    }
  }
  const mid = (list) => [...list].sort((x, y) => x.median - y.median)[list.length >> 1];
  const median = (list) => [...list].sort((x, y) => x - y)[list.length >> 1];
  const ratio = (a, b) => median(figs[a].map((f, i) => f.median / figs[b][i].median));
  const cpuRatio = (a, b) => median(cpu[b].map((t, i) => t / cpu[a][i]));
  const cpuMs = (k) => median(cpu[k]) / 1000;
  return { fig: Object.fromEntries(Object.entries(figs).map(([k, l]) => [k, mid(l)])), ratio, cpuRatio, cpuMs };
}

function linearPair(m, k, n) {
  T.manualSeed(1);
  const lin = new nn.Linear(k, n, { bias: false });
  const x = randn([m, k]).keep();
  const qs = new nn.Sequential(new nn.Linear(k, n, { bias: false }));
  qs.children()[0].loadStateDict(lin.stateDict());
  quantization.prepare(qs);
  noGrad(() => qs(x));
  quantization.convert(qs);
  // The layer itself, as the float32 side is a bare Linear (a Sequential adds its own per-call cost).
  const ql = qs.children()[0];
  const ref = noGrad(() => lin(x)).toArray();
  const got = noGrad(() => ql(x)).toArray();
  if (maxDiff(ref, got) > 0.05 * maxAbs(ref)) throw new Error(`int8 Linear ${m}×${k}×${n}: WRONG RESULT (max error ${maxDiff(ref, got)})`);
  return { lin, ql, x };
}

async function gemmRows() {
  const rows = [];
  const out = [];
  for (const [m, k, n] of [
    [512, 512, 512],
    [64, 784, 256],
    [1, 784, 256],
    [64, 256, 10],
  ]) {
    const { lin, ql, x } = linearPair(m, k, n);
    const flops = 2 * m * k * n;
    const { fig, ratio, cpuRatio } = await rounds(
      {
        f32: () => tidy(() => void noGrad(() => lin(x))),
        int8: () => tidy(() => void noGrad(() => ql(x))),
      },
      (s) => throughput(s, flops, 1e9),
    );
    const r = ratio('int8', 'f32');
    const rc = cpuRatio('int8', 'f32');
    rows.push([`Linear ${m}×${k}×${n}`, 'GFLOP/s (f32-equivalent)', fmtFigure(fig.f32), fmtFigure(fig.int8), `${sig(r)}×`, `${sig(rc)}×`]);
    out.push({ id: `${m}×${k}×${n}`, r, rc });
  }
  return { rows, ratios: out };
}

const RELAXED_SHAPES = [
  [512, 512, 512],
  [64, 784, 256],
  [1, 784, 256],
  [64, 256, 10],
];
/** The row functions relaxedRows runs in each runtime, by name (the name crosses to the child process and the page). */
const RELAXED_BENCH = { int8GemmRows, int8CnnRows };
const CNN_OPTIONS = { batches: [1, 64], rounds: ROUNDS, timeMs: TIME_MS };
const RELAXED_CNN_HEADER = [
  'runtime',
  'GEMM builds (f32 / int8)',
  'model',
  'float32',
  'int8 8-bit',
  'int8 7-bit',
  '8-bit ÷ f32',
  '7-bit ÷ f32',
  '7-bit ÷ 8-bit',
];

/** bench/int8-gemm.mjs's `fn` in headless Chromium (cross-origin isolated, so its timer has microsecond resolution); null where there is no Chromium. */
async function chromiumRows(fn, options) {
  if (!fs.existsSync(CHROMIUM_PATH)) return null;
  const server = await serveStatic({ folders: ['dist', 'bench'], headers: ISOLATION_HEADERS });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.origin}/dist/index.js`);
    const result = await page.evaluate(
      `Promise.all([import('/dist/index.js'), import('/bench/int8-gemm.mjs')]).then(([T, b]) => b.${fn}(T, ${JSON.stringify(options)}))`,
    );
    return { ...result, runtime: `Chromium ${browser.version()}` };
  } finally {
    await browser.close();
    await server.close();
  }
}

/**
 * The 7-bit (relaxed int8 dot product) rows of bench/int8-gemm.mjs's `fn` (int8GemmRows: the Linear
 * layers; int8CnnRows: the CNN) in this Node, in Node with relaxed SIMD, and in Chromium.
 */
async function relaxedRows(fn, options) {
  const runs = [{ ...(await RELAXED_BENCH[fn](T, options)), runtime: `Node ${process.versions.node}` }];
  const flagged = execFileSync(
    process.execPath,
    ['--experimental-wasm-relaxed-simd', '--no-liftoff', fileURLToPath(import.meta.url), '--relaxed-json', fn, JSON.stringify(options)],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  runs.push({ ...JSON.parse(flagged), runtime: `Node ${process.versions.node} --experimental-wasm-relaxed-simd --no-liftoff` });
  const web = await chromiumRows(fn, options);
  if (web) runs.push(web);
  const rows = runs.flatMap((run) =>
    run.rows.map((r) => [
      run.runtime,
      `${run.relaxedSimd ? 'relaxed FMA' : 'baseline'} / ${run.relaxedDot ? 'relaxed dot' : 'baseline'}`,
      r.id,
      sig(r.f32),
      sig(r.int8),
      sig(r.int8x7),
      `${sig(r.int8VsF32)}×`,
      `${sig(r.int8x7VsF32)}×`,
      `${sig(r.int8x7VsInt8)}×`,
    ]),
  );
  return { runs, rows };
}

function mlp() {
  T.manualSeed(2);
  return new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10));
}
const cnn = () => cnnModel(T);

async function session(model, x) {
  const bytes = onnx.export(model, x, { dynamicAxes: { input: [0], output: [0] } });
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  return { s, bytes };
}

async function modelRows() {
  const rows = [];
  const found = [];
  for (const [name, make, shape, kind] of [
    ['MLP 784→256→10', mlp, [784], 'dynamic'],
    ['CNN 28×28 (2 conv + linear)', cnn, [1, 28, 28], 'static'],
  ]) {
    const f32 = make().eval();
    const q = make().eval();
    if (kind === 'dynamic') quantization.quantizeDynamic(q);
    else {
      quantization.prepare(q);
      for (let i = 0; i < 4; i++) noGrad(() => q(randn([32, ...shape])));
      quantization.convert(q);
    }
    for (const batch of [1, 64]) {
      const x = randn([batch, ...shape]).keep();
      const xs = x.toArray();
      const feeds = { input: new ort.Tensor('float32', Float32Array.from(xs), [batch, ...shape]) };
      const ortF = await session(f32, x);
      const ortQ = await session(q, x);
      const ref = noGrad(() => f32(x)).toArray();
      const mine = noGrad(() => q(x)).toArray();
      const theirsF = (await ortF.s.run(feeds)).output.data;
      const theirsQ = (await ortQ.s.run(feeds)).output.data;
      if (maxDiff(ref, theirsF) > 1e-4 * Math.max(1, maxAbs(ref))) throw new Error(`${name}: onnxruntime-web float32 WRONG RESULT`);
      // Runtimes round at different points (ORT may requantize a fused conv's output), so within half int8's own error.
      if (maxDiff(mine, theirsQ) > 0.5 * maxDiff(mine, ref) + 1e-4 * Math.max(1, maxAbs(ref)))
        throw new Error(
          `${name}: onnxruntime-web int8 disagrees with Tessera int8 (max difference ${maxDiff(mine, theirsQ)}, float32 max ${maxAbs(ref)}, int8 vs float32 ${maxDiff(mine, ref)})`,
        );
      const { fig, ratio, cpuRatio } = await rounds(
        {
          f32: () => tidy(() => void noGrad(() => f32(x)).toArray()),
          int8: () => tidy(() => void noGrad(() => q(x)).toArray()),
          ortF32: async () => void (await ortF.s.run(feeds)).output.data,
          ortInt8: async () => void (await ortQ.s.run(feeds)).output.data,
        },
        rate,
      );
      const id = `${name} b${batch}`;
      const r = { vsF32: ratio('int8', 'f32'), vsF32Cpu: cpuRatio('int8', 'f32'), vsOrtInt8: ratio('int8', 'ortInt8'), f32VsOrtF32: ratio('f32', 'ortF32') };
      rows.push([
        id,
        fmtFigure(fig.f32),
        fmtFigure(fig.int8),
        fmtFigure(fig.ortF32),
        fmtFigure(fig.ortInt8),
        `${sig(r.vsF32)}×`,
        `${sig(r.vsF32Cpu)}×`,
        `${sig(r.vsOrtInt8)}×`,
        `${sig(r.f32VsOrtF32)}×`,
      ]);
      found.push({ id, ...r, accuracyDrop: maxDiff(ref, mine) / maxAbs(ref) });
      x.dispose();
    }
  }
  return { rows, found };
}

/**
 * Where the CNN's time goes at batch 64: each layer timed alone on its own input, float32 and int8
 * alternating, as ms per batch (the layers' medians, so the shares of the whole are approximate).
 */
async function cnnProfile(batch) {
  const f32 = cnn().eval();
  const q = cnn().eval();
  quantization.prepare(q);
  for (let i = 0; i < 4; i++) noGrad(() => q(randn([32, 1, 28, 28])));
  quantization.convert(q);
  let xf = randn([batch, 1, 28, 28]).keep();
  let xq = xf;
  const rows = [];
  const layers = [];
  const qLayers = q.children();
  for (const [i, lf] of f32.children().entries()) {
    const lq = qLayers[i];
    const { fig, ratio, cpuRatio, cpuMs } = await rounds(
      { f32: () => tidy(() => void noGrad(() => lf(xf))), int8: () => tidy(() => void noGrad(() => lq(xq))) },
      (stats) => ({
        median: stats.median,
        lo: stats.p10,
        hi: stats.p90,
        n: stats.n,
      }),
    );
    const speedup = 1 / ratio('int8', 'f32');
    rows.push([
      `${i}: ${lf.constructor.name} → ${lq.constructor.name}`,
      fmtFigure(fig.f32),
      fmtFigure(fig.int8),
      `${sig(speedup)}×`,
      `${sig(cpuRatio('int8', 'f32'))}×`,
    ]);
    // The shares in limits() use CPU time, which the other sessions on the machine disturb less than wall time.
    layers.push({
      name: lf.constructor.name,
      f32Ms: cpuMs('f32'),
      int8Ms: cpuMs('int8'),
      quantized: lq.constructor.name.startsWith('Quantized'),
      speedup: cpuRatio('int8', 'f32'),
    });
    const [nf, nq] = [noGrad(() => lf(xf)).keep(), noGrad(() => lq(xq)).keep()];
    if (xq !== xf) xq.dispose();
    xf.dispose();
    [xf, xq] = [nf, nq];
  }
  xf.dispose();
  xq.dispose();
  return { rows, layers };
}

/** The relaxed runs' 7-bit ÷ float32 and 7-bit ÷ 8-bit ranges, in a sentence. */
function relaxedSummary(runs) {
  const span = (xs) => (xs.length ? `${sig(Math.min(...xs))}–${sig(Math.max(...xs))}×` : 'n/a');
  return runs
    .filter((run) => run.relaxedDot)
    .map((run) => {
      const rows = run.rows.filter((r) => r.id !== '64×256×10');
      return `in ${run.runtime} the 7-bit layer ran ${span(rows.map((r) => r.int8x7VsF32))} float32 with FMA and ${span(rows.map((r) => r.int8x7VsInt8))} the 8-bit one on 512³ and the MLP shapes;`;
    })
    .join(' ');
}

/** What limits the targets still missed: the measured shares and the kernels' instruction counts. */
function limits(layers, layers1, runs) {
  const shares = (list) => {
    const total = list.reduce((t, l) => t + l.f32Ms, 0);
    const shared = list.filter((l) => !l.quantized).reduce((t, l) => t + l.f32Ms, 0);
    const [conv, ...rest] = list.filter((l) => l.quantized);
    // What the int8 conv would have to take for the whole model to reach 1.5× (the other layers as measured).
    const room = total / 1.5 - shared - rest.reduce((t, l) => t + l.int8Ms, 0);
    return { total, shared, conv, needed: room > 0 ? `${sig(conv.f32Ms / room)}×` : 'more than any speed-up' };
  };
  const [b64, b1] = [shares(layers), shares(layers1)];
  return [
    '**What limits the misses (measured).**',
    "(1) The GEMM kernel: per 128 multiply-adds the int8 micro-kernel (4 rows × 8 columns, int8 B widened in registers) issues 16 `i32x4.dot_i16x8_s`, 16 `i32x4.add`, 2 B loads, 4 widenings, 2 A loads and 8 lane broadcasts (48 instructions); the float32 kernel (4 × 8 tile, no FMA in baseline SIMD) issues 88 for the same work (4 k steps of 8 `f32x4.mul`, 8 `f32x4.add` and 6 loads/broadcasts). Instruction count therefore caps int8 near 1.8× float32 per multiply-add, before the int8 layer's own passes over its input (min/max for dynamic quantization, quantizing); baseline WebAssembly SIMD has no 8-bit dot product with accumulate.",
    `(2) Relaxed SIMD lifts that cap: \`i32x4.relaxed_dot_i8x16_i7x16_add_s\` does 16 multiply-adds per instruction (8 per 4 × 8 tile and k quad, against 16 dots and 16 adds in baseline SIMD), exact when its second operand is in [0, 127], so the layer quantizes activations to 7 bits (PyTorch's reduce_range) there; ${relaxedSummary(runs)} Node 20 validates the relaxed build only behind --experimental-wasm-relaxed-simd, and there its baseline compiler (Liftoff) returns wrong sums for the instruction: Tessera's backend probes it and keeps the baseline int8 GEMM unless optimized code runs it (--no-liftoff), so plain Node 20 stays on (1).`,
    `(3) The CNN: the layers both models run in float32 (the first conv, which \`convert\` leaves in float32 because its GEMM is 9 deep and int8 measured no faster there, 1.0× at batch 64 and 0.87× at batch 1 by CPU time, timed apart from this bench; ReLU; max-pool; flatten) take ${sig(b64.shared)} of float32's ${sig(b64.total)} ms of CPU time per batch of 64 and ${sig(b1.shared)} of ${sig(b1.total)} ms at batch 1 in the profiles above, so int8 layers costing nothing would reach ${sig(b64.total / b64.shared)}× and ${sig(b1.total / b1.shared)}×; the int8 second conv (its GEMM m = 32 output channels by 196 positions by k = 144, the kernel of (1)) runs at ${sig(b64.conv.speedup)}× its float32 form at batch 64 and ${sig(b1.conv.speedup)}× at batch 1 (CPU time), where 1.5× on the whole model needs ${b64.needed} and ${b1.needed}. Max-pool no longer weighs: 2×2 windows run pairwise in SIMD and inference skips the argmax (${sig(layers.find((l) => l.name === 'MaxPool2d').f32Ms)} ms of CPU time per batch of 64 after the first conv here, 1.01 ms of wall time in the run before that change).`,
    "(4) At batch 1 the int8 GEMV streams int8 weights (a quarter of float32's bytes) but is bound by the same instruction count as (1); the rest of an int8 layer's call (input min/max, quantizing, one more allocation) costs about 0.4 µs more than float32 Linear's (a 1×8×8 layer: 1.4–1.6 µs against 1.0–1.15 µs of CPU time, timed apart from this bench).",
  ].join(' ');
}

/** The section bench:compare appends to bench/RESULTS.md. */
export async function int8Section() {
  if (T.getNumThreads() !== 1) await T.setNumThreads(1);
  const loadBefore = os.loadavg()[0];
  const gemm = await gemmRows();
  const relaxed = await relaxedRows('int8GemmRows', { shapes: RELAXED_SHAPES, rounds: ROUNDS, timeMs: TIME_MS });
  const relaxedCnn = await relaxedRows('int8CnnRows', CNN_OPTIONS);
  const models = await modelRows();
  const profile = await cnnProfile(64);
  const profile1 = await cnnProfile(1);
  const judge = (label, v, goal, cpu) => [
    label,
    cpu === undefined ? `${sig(v)}×` : `${sig(v)}× (CPU time ${sig(cpu)}×)`,
    v >= goal ? 'met' : `missed (at ${sig((100 * v) / goal)}% of it)`,
  ];
  const worst = (list, key) => list.reduce((a, b) => (b[key] < a[key] ? b : a));
  const g = worst(
    gemm.ratios.filter((r) => r.id !== '64×256×10'),
    'r',
  );
  const load = `load average ${sig(loadBefore)} when it started and ${sig(os.loadavg()[0])} when it ended (${os.cpus().length} cores, shared with other sessions)`;
  const lines = [
    '## int8 inference and onnxruntime-web',
    '',
    `Generated by \`node bench/int8.mjs --write\` (also part of \`npm run bench:compare\`); onnxruntime-web ${ort.env.versions?.web ?? ''} wasm backend, 1 thread, graph optimizations on; Tessera 1 thread; ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${load}. ${ROUNDS} alternating rounds; a figure is the middle round's median [p10–p90], a ratio the median of per-round ratios (wall time, and beside it this process's CPU time per call, which the other sessions loading the machine disturb less). int8 layers: per-channel int8 weights, quint8 activations (dynamic for the MLP, calibrated for the CNN), the int8 GEMM of assembly/int8.ts (int8 weights widened in registers, i32x4.dot_i16x8_s into int32), a convolution's input quantized once and unfolded as int8. onnxruntime-web runs the models Tessera exports (float32; int8 as DynamicQuantizeLinear → MatMulInteger and QuantizeLinear/DequantizeLinear → Conv/Gemm), after checking its outputs against Tessera's.`,
    '',
    mdTable(['int8 Linear vs float32 Linear', 'unit', 'float32', 'int8', 'int8 ÷ float32', 'same, CPU time'], gemm.rows),
    '',
    "**7-bit activations and the relaxed int8 dot product.** The same layers in three runtimes, each measuring float32, int8 with 8-bit activations and int8 with 7-bit ones (`reduceRange: true`; `'auto'`, the default, takes it for Linear and Conv2d where the relaxed int8 dot product runs) in alternating rounds (bench/int8-gemm.mjs); GFLOP/s (f32-equivalent, medians), ratios the medians of per-round ratios. Where relaxed SIMD validates, the float32 GEMM uses its FMA and the 7-bit layer `i32x4.relaxed_dot_i8x16_i7x16_add_s` (16 multiply-adds a lane group, activations as its unsigned 7-bit operand, the zero point subtracted in the epilogue through the weights' per-channel sums); elsewhere the 7-bit layer runs the baseline int8 GEMM on the same bytes, with identical results.",
    '',
    mdTable(
      ['runtime', 'GEMM builds (f32 / int8)', 'm×k×n', 'float32', 'int8 8-bit', 'int8 7-bit', '8-bit ÷ f32', '7-bit ÷ f32', '7-bit ÷ 8-bit'],
      relaxed.rows,
    ),
    '',
    "The CNN below in the same three runtimes (inferences/s, medians): 7-bit activations put its second conv (im2col of the 7-bit bytes, padded with the zero point, as the relaxed GEMM's A) and its Linear on the relaxed int8 dot product; the first conv stays float32.",
    '',
    mdTable(RELAXED_CNN_HEADER, relaxedCnn.rows),
    '',
    mdTable(
      [
        'inferences/s',
        'Tessera f32',
        'Tessera int8',
        'ORT-web f32',
        'ORT-web int8',
        'int8 ÷ f32',
        'same, CPU time',
        'int8 ÷ ORT-web int8',
        'f32 ÷ ORT-web f32',
      ],
      models.rows,
    ),
    '',
    'Where the CNN b64 spends its time: each layer alone on its own input (ms per batch of 64; the int8 model keeps the first conv, ReLU and pooling in float32).',
    '',
    mdTable(['layer (float32 → int8)', 'float32 ms', 'int8 ms', 'int8 speed-up', 'same, CPU time'], profile.rows),
    '',
    'The same at batch 1 (ms per image):',
    '',
    mdTable(['layer (float32 → int8)', 'float32 ms', 'int8 ms', 'int8 speed-up', 'same, CPU time'], profile1.rows),
    '',
    limits(profile.layers, profile1.layers, relaxed.runs),
    '',
    mdTable(
      ['target (issue 12)', 'measured (worst case)', 'verdict'],
      [
        judge(`int8 GEMM ≥ 2× float32 on 512³ and the MLP shapes, baseline SIMD (worst: ${g.id})`, g.r, 2, g.rc),
        ...relaxed.runs
          .filter((run) => run.relaxedDot)
          .map((run) => {
            const w = worst(
              run.rows.filter((r) => r.id !== '64×256×10'),
              'int8x7VsF32',
            );
            return judge(
              `int8 GEMM (7-bit, relaxed dot) ≥ 2× float32 (relaxed FMA) on 512³ and the MLP shapes, ${run.runtime} (worst: ${w.id})`,
              w.int8x7VsF32,
              2,
            );
          }),
        judge(
          `int8 MLP/CNN inference ≥ 1.5× Tessera float32 (worst: ${worst(models.found, 'vsF32').id})`,
          worst(models.found, 'vsF32').vsF32,
          1.5,
          worst(models.found, 'vsF32').vsF32Cpu,
        ),
        ...relaxedCnn.runs
          .filter((run) => run.relaxedDot)
          .map((run) => {
            const w = worst(run.rows, 'int8x7VsF32');
            return judge(`int8 CNN inference (7-bit, relaxed dot) ≥ 1.5× Tessera float32 (relaxed FMA), ${run.runtime} (worst: ${w.id})`, w.int8x7VsF32, 1.5);
          }),
        judge(`int8 inference ≥ 1.0× onnxruntime-web int8 (worst: ${worst(models.found, 'vsOrtInt8').id})`, worst(models.found, 'vsOrtInt8').vsOrtInt8, 1),
        judge(
          `float32 inference ≥ 1.0× onnxruntime-web float32 (worst: ${worst(models.found, 'f32VsOrtF32').id})`,
          worst(models.found, 'f32VsOrtF32').f32VsOrtF32,
          1,
        ),
      ],
    ),
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv.includes('--relaxed-json')) {
  // The child relaxedRows starts with relaxed SIMD enabled: its rows as JSON on stdout.
  const at = process.argv.indexOf('--relaxed-json');
  process.stdout.write(JSON.stringify(await RELAXED_BENCH[process.argv[at + 1]](T, JSON.parse(process.argv[at + 2]))));
  process.exit(0);
}
if (import.meta.url === `file://${process.argv[1]}` && process.argv.includes('--cnn')) {
  // The 7-bit CNN table alone (the section's, without the rest of the bench).
  console.log(mdTable(RELAXED_CNN_HEADER, (await relaxedRows('int8CnnRows', CNN_OPTIONS)).rows));
  process.exit(0);
}
if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await int8Section();
  console.log(section);
  if (process.argv.includes('--write')) {
    const path = new URL('./RESULTS.md', import.meta.url);
    const old = fs.readFileSync(path, 'utf8');
    const start = old.indexOf('## int8 inference and onnxruntime-web');
    const end = start < 0 ? -1 : old.indexOf('\n## ', start + 1);
    const next = start < 0 ? `${old.trimEnd()}\n\n${section}\n` : `${old.slice(0, start)}${section}\n${end < 0 ? '' : old.slice(end)}`;
    fs.writeFileSync(path, next);
  }
  process.exit(0);
}
