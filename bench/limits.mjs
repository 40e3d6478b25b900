/**
 * What limits the targets bench:compare can miss, measured in the same run as the ratios:
 * - `peakLoops`: the register-only f32x4 loop of bench/peak.ts, with mul + add and with relaxed FMA,
 *   interleaved with the 512³ GEMM, so GEMM's GFLOP/s can be read as a share of the core's FP peak;
 * - `inferenceFloor`: the time to merely read the MLP's first weight matrix once (a sum over it) and
 *   its matrix-vector product alone, beside the whole batch-1 inference and tfjs-wasm's;
 * - `coreContention`: whether the two vCPUs deliver two cores' FP throughput at once;
 * - `stepProfile`: a CPU profile of a training step (small CNN, MLP) in a child process, its time split
 *   by kernel (wasm functions named from the .wat of the build) and the GEMM rate inside the step;
 * - `limitLines`: the RESULTS.md lines that put these next to the missed targets.
 */
import asc from 'assemblyscript/asc';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { wasmDir } from '../scripts/build-cache.mjs';
import { measure, quantile } from './lib.mjs';
import { tesseraAdapter } from './tessera.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const PEAK_ITERATIONS = 20_000_000;

const peakBuilds = new Map();

/** bench/peak.ts compiled with the given wasm features, once per run. */
function compilePeak(features) {
  if (!peakBuilds.has(features)) peakBuilds.set(features, compilePeakOnce(features));
  return peakBuilds.get(features);
}

async function compilePeakOnce(features) {
  let wasm = null;
  const { error, stderr } = await asc.main(
    [path.join(here, 'peak.ts'), '-O3', '--runtime', 'stub', '--noAssert', '--use', 'abort=', '--enable', features, '--outFile', 'peak.wasm'],
    {
      writeFile: (name, contents) => {
        if (name.endsWith('.wasm')) wasm = contents;
      },
    },
  );
  if (error) throw new Error(`bench/peak.ts (${features}): ${stderr.toString().split('\n')[0] || error.message}`);
  return wasm;
}

// Interleaved rounds per measurement; the limits compare the best round of each (the one least
// disturbed by other work on the shared host), since they ask what the code can do, not how noisy the host is.
const ROUNDS = 7;

// In a child process: rounds of [mul+add loop, FMA loop, Tessera's 512³ GEMM], each timed by
// process CPU time, so that the loops and the GEMM meet the same state of the (shared) host.
const PEAK_CHILD = `
const fs = await import('node:fs');
const [files, dist, rounds] = JSON.parse(process.argv[1]);
const loops = {};
for (const [name, file] of Object.entries(files)) {
  const bytes = fs.readFileSync(file);
  if (WebAssembly.validate(bytes)) loops[name] = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports.peak;
}
const T = await import(dist);
await T.setNumThreads(1);
const a = T.randn([512, 512]).keep();
const b = T.randn([512, 512]).keep();
const cpuSeconds = (f) => {
  const t0 = process.cpuUsage();
  f();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1e6;
};
const runs = { gemm512: [] };
for (const name of Object.keys(loops)) { runs[name] = []; loops[name](1000, 0.9999, 0.0001); }
for (let i = 0; i < 20; i++) T.matmul(a, b).dispose();
for (let r = 0; r < rounds; r++) {
  for (const [name, peak] of Object.entries(loops)) runs[name].push(96 * ${PEAK_ITERATIONS} / cpuSeconds(() => peak(${PEAK_ITERATIONS}, 0.9999, 0.0001)) / 1e9);
  runs.gemm512.push(20 * 2 * 512 ** 3 / cpuSeconds(() => { for (let i = 0; i < 20; i++) T.matmul(a, b).dispose(); }) / 1e9);
}
const out = {};
for (const [name, v] of Object.entries(runs)) {
  v.sort((p, q) => p - q);
  out[name] = { best: v[v.length - 1], lo: v[0], median: v[v.length >> 1] };
}
console.log(JSON.stringify(out));
`;

/**
 * GFLOP/s of the register-only loop with mul + add and with relaxed FMA, and of Tessera's 512³
 * GEMM (one thread, the baseline build), each best [min–median] of 7 interleaved rounds of ≈ 50 ms
 * by process CPU time (time the process was descheduled does not count). It runs in a child
 * process with --no-liftoff, i.e. straight in the optimising tier that a warmed-up kernel runs in
 * (a call that starts in V8's baseline tier stays there and measures the tier, not the core), and
 * with relaxed SIMD enabled where the flag exists (Node 20) so that the FMA figure is there even
 * when the runtime rejects that build by default; Tessera itself still runs its baseline build
 * there unless the runtime enables relaxed SIMD by default.
 */
export async function peakLoops() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-peak-'));
  try {
    const files = {};
    for (const [name, features] of [
      ['mulAdd', 'simd'],
      ['fma', 'simd,relaxed-simd'],
    ]) {
      files[name] = path.join(dir, `${name}.wasm`);
      fs.writeFileSync(files[name], await compilePeak(features));
    }
    const arg = JSON.stringify([files, pathToFileURL(path.join(root, 'dist/index.js')).href, ROUNDS]);
    const run = (flags) => spawnSync(process.execPath, [...flags, '--input-type=module', '-e', PEAK_CHILD, arg], { encoding: 'utf8' });
    let r = run(['--no-liftoff', '--experimental-wasm-relaxed-simd']);
    if (r.status !== 0) r = run(['--no-liftoff']);
    if (r.status !== 0) throw new Error(`peak loop: ${r.stderr.split('\n').find((l) => l.trim()) ?? `exit ${r.status}`}`);
    return JSON.parse(r.stdout.trim());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// One process running the mul+add loop in 10 slices of ≈ 50 ms, printing each slice's GFLOP/s (wall clock).
const SLICES_CHILD = `
const fs = await import('node:fs');
const { peak } = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(process.argv[1])), {}).exports;
peak(1000, 0.9999, 0.0001);
const out = [];
for (let i = 0; i < 10; i++) {
  const t0 = performance.now();
  peak(${PEAK_ITERATIONS}, 0.9999, 0.0001);
  out.push(96 * ${PEAK_ITERATIONS} / ((performance.now() - t0) / 1000) / 1e9);
}
console.log(JSON.stringify(out));
`;

/**
 * Whether this machine's cores deliver two cores' FP throughput at once: rounds of the mul+add loop
 * alone in one process, then in two processes at the same time (one per core), by wall clock. Returns
 * per round the alone median, the slower concurrent process's median and the slowest concurrent
 * slice (GFLOP/s), and how many of the concurrent slices ran below 80% of the alone median.
 */
export async function coreContention(rounds = 10) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-cores-'));
  try {
    const file = path.join(dir, 'mulAdd.wasm');
    fs.writeFileSync(file, await compilePeak('simd'));
    const slices = () =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--no-liftoff', '--input-type=module', '-e', SLICES_CHILD, file]);
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`core contention probe: exit ${code}`))));
      });
    const mid = (v) =>
      quantile(
        [...v].sort((a, b) => a - b),
        0.5,
      );
    const result = [];
    for (let r = 0; r < rounds; r++) {
      const alone = await slices();
      const both = await Promise.all([slices(), slices()]);
      const slower = both.reduce((a, b) => (mid(b) < mid(a) ? b : a));
      const ref = mid(alone);
      result.push({
        alone: ref,
        together: mid(slower),
        slowest: Math.min(...both.flat()),
        slices: both.flat().length,
        slow: both.flat().filter((v) => v < 0.8 * ref).length,
      });
    }
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Batch-1 MLP inference against the cost of streaming its weights: µs per call of sum(W1) — every
 * byte of the 784×256 first-layer weights read once —, x·W1 alone, the whole inference as
 * bench:compare times it, and tfjs-wasm's inference (`tfjs`, its bench adapter) when given; each
 * the best of 7 interleaved rounds' medians, so all four meet the same machine.
 */
export async function inferenceFloor(tess, c, tfjs = null) {
  const { T } = tess;
  const x = T.tensor(c.x, { shape: [1, c.inDim] }).keep();
  const w1 = T.tensor(c.w1, { shape: [c.inDim, c.hidden] }).keep();
  const fns = {
    readW1: () => T.sum(w1).dispose(),
    gemv: () => T.matmul(x, w1).dispose(),
    whole: tesseraAdapter(tess).mlpInfer(c).run,
  };
  const peer = tfjs?.mlpInfer ? await tfjs.mlpInfer(c) : null;
  if (peer) fns.tfjs = peer.run;
  const rounds = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, fn] of Object.entries(fns)) rounds[name].push((await measure(name, fn, { timeMs: 100 })).median * 1000);
  }
  for (const t of [x, w1]) t.dispose();
  peer?.dispose?.();
  return { weightBytes: 4 * c.inDim * c.hidden, ...Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, Math.min(...v)])) };
}

// The training step to profile: the small CNN of bench/conv.mjs, or bench:compare's raw MLP step.
// The profiler runs only around the timed steps (node:inspector), so set-up is not in the profile.
const CHILD = `
import fs from 'node:fs';
import inspector from 'node:inspector';
import { loadTessera, tesseraAdapter } from ${JSON.stringify(path.join(here, 'tessera.mjs'))};
import { smallCnn } from ${JSON.stringify(path.join(here, 'conv.mjs'))};
import { mlpCase } from ${JSON.stringify(path.join(here, 'workloads.mjs'))};
const [steps, which, out] = [Number(process.argv[1]), process.argv[2], process.argv[3]];
const tess = await loadTessera();
if (tess.setNumThreads) await tess.setNumThreads(1);
const step = which === 'cnn' ? smallCnn(tess).step : tesseraAdapter(tess).mlpTrain(mlpCase(64)).run;
for (let i = 0; i < 30; i++) step();
const session = new inspector.Session();
session.connect();
const post = (method, params = {}) => new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
await post('Profiler.enable');
await post('Profiler.start');
const t0 = performance.now();
for (let i = 0; i < steps; i++) step();
const ms = (performance.now() - t0) / steps;
const { profile } = await post('Profiler.stop');
fs.writeFileSync(out, JSON.stringify(profile));
console.log(JSON.stringify({ ms }));
`;

/** Function names of a build, in function-index order, from the .wat the wasm build leaves in its cache. */
function watNames(file) {
  const text = fs.readFileSync(path.join(wasmDir, file), 'utf8');
  return [...text.matchAll(/^ \(func \$(\S+)/gm)].map((m) => m[1].replace(/^assembly\//, ''));
}

const GEMM_FUNCTIONS = new Set(['gemm/gemmF32', 'gemm/packA', 'gemm/packB']);

/**
 * A training step ('cnn': the small CNN, 'mlp': the raw MLP step) under V8's CPU profiler (one
 * thread): the share of its time in GEMM (kernel + packing), in the conv/pool kernels, in other
 * kernels and in JavaScript (incl. GC), plus the GEMM rate inside the step from the step's GEMM
 * FLOPs (`gemmFlops`) and GEMM's share of the time.
 */
export function stepProfile(step, gemmFlops, steps = 300) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-step-prof-'));
  try {
    const file = path.join(dir, 'step.cpuprofile');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, String(steps), step, file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr.split('\n').find((l) => l.trim()) ?? `exit ${r.status}`);
    const { ms } = JSON.parse(r.stdout.trim().split('\n').pop());
    const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
    const kernels = watNames('kernels.wat');
    const gemmOnly = watNames('gemm-relaxed.wat');
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    // Wasm frames are "wasm-function[i]" per module URL; the kernels module is the one with the larger indices.
    const maxIndex = new Map();
    const frames = [];
    prof.samples.forEach((id, i) => {
      const f = byId.get(id).callFrame;
      const wasm = /^wasm-function\[(\d+)\]$/.exec(f.functionName);
      frames.push({ dt: prof.timeDeltas[i], url: f.url, index: wasm ? Number(wasm[1]) : -1, name: f.functionName });
      if (wasm) maxIndex.set(f.url, Math.max(maxIndex.get(f.url) ?? 0, Number(wasm[1])));
    });
    const kernelsUrl = [...maxIndex].sort((a, b) => b[1] - a[1])[0]?.[0];
    const shares = { gemm: 0, conv: 0, otherKernels: 0, js: 0, idle: 0 };
    const perKernel = new Map();
    for (const fr of frames) {
      if (fr.name === '(idle)' || fr.name === '(program)') {
        shares.idle += fr.dt;
        continue;
      }
      if (fr.index < 0) {
        shares.js += fr.dt;
        continue;
      }
      const name = (fr.url === kernelsUrl ? kernels : gemmOnly)[fr.index] ?? `wasm-function[${fr.index}]`;
      perKernel.set(name, (perKernel.get(name) ?? 0) + fr.dt);
      if (GEMM_FUNCTIONS.has(name)) shares.gemm += fr.dt;
      else if (name.startsWith('conv/')) shares.conv += fr.dt;
      else shares.otherKernels += fr.dt;
    }
    const busy = shares.gemm + shares.conv + shares.otherKernels + shares.js;
    const pct = (v) => (100 * v) / busy;
    const top = [...perKernel]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([n, t]) => ({ name: n, pct: pct(t) }));
    return {
      msPerStep: ms,
      gemmPct: pct(shares.gemm),
      convPct: pct(shares.conv),
      otherKernelsPct: pct(shares.otherKernels),
      jsPct: pct(shares.js),
      gemmGflops: gemmFlops / ((ms * pct(shares.gemm)) / 100 / 1000) / 1e9,
      top,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Multiply-add FLOPs of one small-CNN training step's GEMMs (batch 64, 1×8×8, 3×3 convs with
 * padding 1): conv 1→16 forward and weight gradient (the input needs no gradient), conv 16→32
 * forward, weight and input gradients, and the linear layer's forward, weight and input gradients.
 */
export function smallCnnGemmFlops() {
  const n = 64;
  const conv = (cin, cout, hw) => 2 * n * cout * cin * 9 * hw;
  const linear = 2 * n * 512 * 10;
  return 2 * conv(1, 16, 64) + 3 * conv(16, 32, 64) + 3 * linear;
}

/** Multiply-add FLOPs of the raw MLP step's GEMMs (784→256→10, batch 64; the input needs no gradient). */
export function mlpGemmFlops() {
  const [n, i, h, o] = [64, 784, 256, 10];
  return 2 * (2 * n * i * h + 3 * n * h * o);
}

/** The host's steal time so far, in seconds summed over this VM's CPUs (/proc/stat), or null off Linux. */
export function stealSeconds() {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    return Number(cpu[8]) / 100; // USER_HZ ticks
  } catch {
    return null;
  }
}

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/**
 * Markdown lines for RESULTS.md's "What limits the missed targets" section. `gemm` holds, per NN
 * shape of this run's tables, Tessera ÷ tfjs-wasm and (when measured) Tessera ÷ torch,
 * `cnnTorch` PyTorch's small-CNN steps/s; `peak`, `floor` and `cnn` come from the functions above;
 * `mlp` is { profile, vsNumpy } when the MLP step missed 0.4× numpy, `threads` lists { where, speedups } of the 1 vs N thread tables, `steal` the seconds of steal time
 * /proc/stat reported while they ran, `cores` coreContention()'s rounds, `size` bench/load.mjs's sizes.
 */
export function limitLines({ peak, gemm, floor, cnn, cnnTorch, mlp = null, threads = [], size = null, steal = null, cores = null }) {
  const lines = [];
  const range = (f) => `${fmt(f.best)} [${fmt(f.lo)}–${fmt(f.median)}]`;
  if (peak?.mulAdd && peak.gemm512 && gemm.length) {
    // The tables' ratio, applied to the same-time figures: what 1.5× tfjs would mean while the loops ran.
    const worst = gemm.reduce((a, b) => (b.vsTfjs < a.vsTfjs ? b : a));
    const need = 1.5 / worst.vsTfjs;
    const ceiling = peak.fma ?? peak.mulAdd;
    const share = peak.gemm512.best / ceiling.best;
    lines.push(
      `- **GEMM vs tfjs-wasm (baseline SIMD):** interleaved in one process and timed by CPU time (best round [lowest–median] of ${ROUNDS}), register-only loops of 12 independent f32x4 chains c = c·a + b (bench/peak.ts: no memory traffic, optimising tier) ran at ${range(peak.mulAdd)} GFLOP/s with mul + add ` +
        `and ${peak.fma ? `${range(peak.fma)} with relaxed-SIMD FMA — the core's FP peak` : 'not at all with relaxed-SIMD FMA here'}; Tessera's 512³ GEMM (baseline build) ran at ${range(peak.gemm512)}, ${fmt(100 * share)}% of ${peak.fma ? 'that peak' : 'the mul+add loop'}. ` +
        `1.5× tfjs-wasm on the tables' worst NN shape (${worst.id}) needs ${fmt(need)}× Tessera's speed there, i.e. ≈ ${fmt(100 * share * need)}% of ${peak.fma ? 'the FMA peak' : 'the loop'} from code that issues a separate multiply and add per FMA. ` +
        'What keeps the baseline kernel below it is instruction count, not the FP pipes (docs/performance.md, section 6); the relaxed-SIMD build (Chromium, Node ≥ 22) uses FMA.',
    );
  }
  if (floor?.tfjs) {
    lines.push(
      `- **Batch-1 inference** (best of ${ROUNDS} interleaved rounds each): tfjs-wasm ${fmt(floor.tfjs)} µs per inference, so 2× it allows ${fmt(floor.tfjs / 2)} µs. ` +
        `Tessera's whole inference ${fmt(floor.whole)} µs, of which x·W1 ${fmt(floor.gemv)} µs; merely reading W1 once — sum() over its 784×256 floats, ${Math.round(floor.weightBytes / 1024)} KiB, more than one core's L2 — takes ${fmt(floor.readW1)} µs. ` +
        "The first layer is bound by streaming its weights from L3 on every call, as tfjs-wasm's is; 2× would need them read faster than a plain sum reads them.",
    );
  }
  const contention = cores?.length ? cores.map((c) => c.together / c.alone).sort((a, b) => a - b) : null;
  let explained = false;
  for (const { where, n, speedups } of threads) {
    if (!speedups?.length || speedups.every((t) => t.r >= 1.7)) continue;
    if (explained) {
      lines.push(
        `- **${n} threads, ${where}:** median per-round speed-ups ${fmt(Math.min(...speedups.map((t) => t.r)))}–${fmt(Math.max(...speedups.map((t) => t.r)))}×, every GEMM at least ${fmt(Math.min(...speedups.map((t) => t.hi)))}× in its best round; the same machine, so the same limit as above.`,
      );
      continue;
    }
    explained = true;
    const best = Math.min(...speedups.map((t) => t.hi));
    lines.push(
      `- **${n} threads, ${where}:** the median per-round speed-ups are ${fmt(Math.min(...speedups.map((t) => t.r)))}–${fmt(Math.max(...speedups.map((t) => t.r)))}×, yet every GEMM reached at least ${fmt(best)}× in its best round, ` +
        "with other processes in this VM using ≈ 0 cores (the Node table's last column). A 2-thread round needs both vCPUs at full speed at once. " +
        (contention
          ? (() => {
              const slow = cores.reduce((a, c) => a + c.slow, 0);
              const total = cores.reduce((a, c) => a + c.slices, 0);
              const seen =
                `Two copies of the register-only mul+add loop, one process per vCPU, ran at ${fmt(100 * contention[0])}–${fmt(100 * contention[contention.length - 1])}% of one copy alone over ${contention.length} rounds ` +
                `(the slower copy's median); ${slow} of their ${total} 50 ms slices ran below 80% of the alone speed, the slowest at ${fmt(Math.min(...cores.map((c) => c.slowest)))} GFLOP/s. `;
              return slow > 0
                ? `${seen}So at times the host does not give this VM two cores' worth of FP throughput, and no split of a GEMM can then reach 1.7×. `
                : `${seen}While this probe ran the host gave both vCPUs full speed; the slow thread rounds came at other moments of the run. `;
            })()
          : '') +
        `${steal === null ? '' : `The VM's /proc/stat counted ${fmt(steal)} s of steal time over the thread runs: the host's share of a vCPU is not visible from inside. `}` +
        'docs/performance.md (Threads) has the instrumented slow rounds: both threads busy and sharing the chunks, each chunk 1.5–1.8× its usual time.',
    );
  }
  if (mlp) {
    const vsNumpy = gemm
      .filter((g) => g.vsNumpy)
      .map((g) => g.vsNumpy)
      .sort((a, b) => a - b);
    const p = mlp.profile;
    lines.push(
      `- **MLP step vs numpy** (${fmt(mlp.vsNumpy)}×): a CPU profile of ${fmt(p.msPerStep)} ms steps (one thread) puts ${fmt(p.gemmPct)}% of it in GEMM (kernel and packing), ${fmt(p.otherKernelsPct)}% in other kernels and ${fmt(p.jsPct)}% in JavaScript incl. GC; ` +
        `its GEMMs (${fmt(mlpGemmFlops() / 1e6)} MFLOP) run at ≈ ${fmt(p.gemmGflops)} GFLOP/s inside it (profiler running). ` +
        (vsNumpy.length
          ? `On the GEMM rows of this run Tessera runs at ${fmt(vsNumpy[0])}–${fmt(vsNumpy[vsNumpy.length - 1])}× numpy's speed (OpenBLAS, 256-bit FMA), so a step that is mostly GEMM lands near that ratio; the numpy step runs in its own process after the JS rounds, so host load that differs between the two moves this ratio too.`
          : ''),
    );
  }
  if (size && size.all.gzip >= 100 * 1024) {
    lines.push(
      `- **Package size:** of the ${fmt(size.all.gzip / 1024)} KB gzip, ${fmt((size.all.gzip - size.core.gzip) / 1024)} KB are the bundled data sets (the digits images and the names, already stored for gzip: scripts/vendor-data.mjs); ` +
        `without them the package is ${fmt(size.core.gzip / 1024)} KB, and a user's bundler drops them unless loadDigits/loadNames is called.`,
    );
  }
  if (cnn) {
    const vsTorch = gemm
      .filter((g) => g.vsTorch)
      .map((g) => g.vsTorch)
      .sort((a, b) => a - b);
    const torch = cnnTorch
      ? ` PyTorch's whole step takes ${fmt(1000 / cnnTorch)} ms here.` +
        (vsTorch.length
          ? ` On the GEMM rows of this run Tessera runs at ${fmt(vsTorch[0])}–${fmt(vsTorch[vsTorch.length - 1])}× torch's speed (its BLAS uses 256-bit FMA), and GEMM is most of both steps.`
          : '')
      : '';
    lines.push(
      `- **Small CNN step** (CPU profile of ${fmt(cnn.msPerStep)} ms steps, one thread): GEMM ${fmt(cnn.gemmPct)}% (kernel and packing), conv/pool kernels ${fmt(cnn.convPct)}%, other kernels ${fmt(cnn.otherKernelsPct)}%, JavaScript incl. GC ${fmt(cnn.jsPct)}%; ` +
        `top functions: ${cnn.top.map((t) => `${t.name} ${fmt(t.pct)}%`).join(', ')}. ` +
        `The step's GEMMs (${fmt(smallCnnGemmFlops() / 1e6)} MFLOP: per image, k = 9…144 and n = 64) run at ≈ ${fmt(cnn.gemmGflops)} GFLOP/s inside it (profiler running).${torch}`,
    );
  }
  return lines;
}
