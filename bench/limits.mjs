/**
 * What limits the targets bench:compare can miss, measured in the same run as the ratios:
 * - `peakLoops`: the register-only f32x4 loop of bench/peak.ts, with mul + add and with relaxed FMA,
 *   so GEMM's GFLOP/s can be read as a share of what this runtime's code can reach on this core;
 * - `inferenceFloor`: the time to merely read the MLP's first weight matrix once (a sum over it) and
 *   its matrix-vector product alone, beside the whole batch-1 inference;
 * - `cnnProfile`: a CPU profile of the small-CNN training step in a child process, its time split
 *   by kernel (wasm functions named from the .wat of the build) and the GEMM rate inside the step.
 */
import asc from 'assemblyscript/asc';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const PEAK_ITERATIONS = 20_000_000;

async function compilePeak(features) {
  let wasm = null;
  const { error, stderr } = await asc.main(
    [path.join(here, 'peak.ts'), '-O3', '--runtime', 'stub', '--noAssert', '--use', 'abort=', '--enable', features, '--outFile', 'peak.wasm'],
    { writeFile: (name, contents) => { if (name.endsWith('.wasm')) wasm = contents; } },
  );
  if (error) throw new Error(`bench/peak.ts (${features}): ${stderr.toString().split('\n')[0] || error.message}`);
  return wasm;
}

const PEAK_CHILD = `
const fs = await import('node:fs');
const out = {};
for (const [name, file] of Object.entries(JSON.parse(process.argv[1]))) {
  const bytes = fs.readFileSync(file);
  if (!WebAssembly.validate(bytes)) { out[name] = null; continue; }
  const { peak } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
  peak(1000, 0.9999, 0.0001);
  const runs = [];
  for (let i = 0; i < 7; i++) {
    const t0 = process.cpuUsage();
    peak(${PEAK_ITERATIONS}, 0.9999, 0.0001);
    const t = process.cpuUsage(t0);
    runs.push(96 * ${PEAK_ITERATIONS} / ((t.user + t.system) / 1e6) / 1e9);
  }
  runs.sort((a, b) => a - b);
  out[name] = { median: runs[3], lo: runs[0], hi: runs[6] };
}
console.log(JSON.stringify(out));
`;

/**
 * GFLOP/s of the register-only loop, median [min–max] of 7 runs of ≈ 50 ms, by process CPU time
 * (time the process was descheduled on this shared machine does not count), with mul + add and
 * with relaxed FMA. It runs in a child process with --no-liftoff, i.e. straight in the optimising tier that a
 * warmed-up kernel runs in (a call that starts in V8's baseline tier stays there and measures the
 * tier, not the core), and with relaxed SIMD enabled where the flag exists (Node 20) so that the
 * FMA figure is there even when this process rejects that build.
 */
export async function peakLoops() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-peak-'));
  try {
    const files = {};
    for (const [name, features] of [['mulAdd', 'simd'], ['fma', 'simd,relaxed-simd']]) {
      files[name] = path.join(dir, `${name}.wasm`);
      fs.writeFileSync(files[name], await compilePeak(features));
    }
    const run = (flags) => spawnSync(process.execPath, [...flags, '--input-type=module', '-e', PEAK_CHILD, JSON.stringify(files)], { encoding: 'utf8' });
    let r = run(['--no-liftoff', '--experimental-wasm-relaxed-simd']);
    if (r.status !== 0) r = run(['--no-liftoff']);
    if (r.status !== 0) throw new Error(`peak loop: ${r.stderr.split('\n').find((l) => l.trim()) ?? `exit ${r.status}`}`);
    return JSON.parse(r.stdout.trim());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Batch-1 MLP inference against the cost of streaming its weights: µs per call (median) of
 * sum(W1) — every byte of the 784×256 first-layer weights read once —, x·W1 alone, and the whole
 * inference as bench:compare times it.
 */
export async function inferenceFloor(tess, c) {
  const { T } = tess;
  const t32 = (data, shape) => T.tensor(data, { shape }).keep();
  const x = t32(c.x, [1, c.inDim]);
  const w1 = t32(c.w1, [c.inDim, c.hidden]);
  const [b1, w2, b2] = [t32(c.b1, [c.hidden]), t32(c.w2, [c.hidden, c.classes]), t32(c.b2, [c.classes])];
  const us = async (name, fn) => (await measure(name, fn, { timeMs: 300 })).median * 1000;
  const result = {
    weightBytes: 4 * c.inDim * c.hidden,
    readW1: await us('sum(W1)', () => T.sum(w1).dispose()),
    gemv: await us('x·W1', () => T.matmul(x, w1).dispose()),
    whole: await us('inference', () => T.noGrad(() => T.tidy(() => T.add(T.matmul(T.relu(T.add(T.matmul(x, w1), b1)), w2), b2))).dispose()),
  };
  for (const t of [x, w1, b1, w2, b2]) t.dispose();
  return result;
}

const CHILD = `
import { loadTessera } from ${JSON.stringify(path.join(here, 'tessera.mjs'))};
import { smallCnn } from ${JSON.stringify(path.join(here, 'conv.mjs'))};
const tess = await loadTessera();
if (tess.setNumThreads) await tess.setNumThreads(1);
const cnn = smallCnn(tess);
for (let i = 0; i < 30; i++) cnn.step();
const steps = Number(process.argv[1]);
const t0 = performance.now();
for (let i = 0; i < steps; i++) cnn.step();
console.log(JSON.stringify({ ms: (performance.now() - t0) / steps }));
`;

/** Function names of a build, in function-index order, from the .wat the wasm build leaves in out/. */
function watNames(file) {
  const text = fs.readFileSync(path.join(root, 'out', file), 'utf8');
  return [...text.matchAll(/^ \(func \$(\S+)/gm)].map((m) => m[1].replace(/^assembly\//, ''));
}

const GEMM_FUNCTIONS = new Set(['gemm/gemmF32', 'gemm/packA', 'gemm/packB']);

/**
 * The small-CNN step under `node --cpu-prof` (one thread): the share of its time in GEMM (kernel
 * + packing), in the conv/pool kernels, in other kernels and in JavaScript (incl. GC), plus the
 * GEMM rate inside the step from the step's GEMM FLOPs (`gemmFlops`) and GEMM's share of the time.
 */
export function cnnProfile(gemmFlops, steps = 300) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-cnn-prof-'));
  try {
    const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--input-type=module', '-e', CHILD, String(steps)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr.split('\n').find((l) => l.trim()) ?? `exit ${r.status}`);
    const { ms } = JSON.parse(r.stdout.trim().split('\n').pop());
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    const prof = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
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
    const top = [...perKernel].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([n, t]) => ({ name: n, pct: pct(t) }));
    return {
      msPerStep: ms,
      gemmPct: pct(shares.gemm), convPct: pct(shares.conv), otherKernelsPct: pct(shares.otherKernels), jsPct: pct(shares.js),
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

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/**
 * Markdown lines for RESULTS.md's "What limits the missed targets" section. `gemm` holds Tessera's
 * and tfjs-wasm's GFLOP/s medians per NN shape, `b1TfjsUs` tfjs-wasm's µs per batch-1 inference and
 * `cnnTorch` PyTorch's small-CNN steps/s, all from this run.
 */
export function limitLines({ peak, gemm, floor, b1TfjsUs, cnn, cnnTorch }) {
  const large = gemm.find((g) => g.id === 'gemm 64×784×256');
  const lines = [];
  const range = (f) => `${fmt(f.median)} [${fmt(f.lo)}–${fmt(f.hi)}]`;
  if (peak?.mulAdd && gemm.length) {
    const worst = gemm.reduce((a, b) => (b.tessera / b.tfjs < a.tessera / a.tfjs ? b : a));
    const need = 1.5 * worst.tfjs;
    lines.push(
      `- **GEMM vs tfjs-wasm (baseline SIMD):** a register-only loop of 12 independent f32x4 mul+add chains (bench/peak.ts, no memory traffic, optimising tier, GFLOP/s by CPU time) runs at ${range(peak.mulAdd)} GFLOP/s; ` +
        `with relaxed-SIMD FMA ${peak.fma ? `${range(peak.fma)}` : 'not measurable here'}. ` +
        `Tessera's GEMM runs the NN shapes at ${fmt(Math.min(...gemm.map((g) => g.tessera)))}–${fmt(Math.max(...gemm.map((g) => g.tessera)))} GFLOP/s, ` +
        `${fmt((100 * Math.min(...gemm.map((g) => g.tessera))) / peak.mulAdd.median)}–${fmt((100 * Math.max(...gemm.map((g) => g.tessera))) / peak.mulAdd.median)}% of that loop. ` +
        `1.5× tfjs-wasm on its weakest shape (${worst.id}: tfjs-wasm ${fmt(worst.tfjs)}) needs ${fmt(need)} GFLOP/s = ${fmt((100 * need) / peak.mulAdd.median)}% of what mul+add code reaches at all here: ` +
        'without FMA the target is out of reach of any kernel; with the relaxed-SIMD build (Chromium, Node ≥ 22) the FMA loop is the limit instead (docs/performance.md, section 6).',
    );
  }
  if (floor && b1TfjsUs) {
    lines.push(
      `- **Batch-1 inference:** 2× tfjs-wasm (${fmt(b1TfjsUs)} µs per inference here) allows ${fmt(b1TfjsUs / 2)} µs. ` +
        `Reading the first layer's weights once — sum() over the 784×256 floats, ${Math.round(floor.weightBytes / 1024)} KiB, more than one core's L2 — takes ${fmt(floor.readW1)} µs; ` +
        `x·W1 alone ${fmt(floor.gemv)} µs; the whole inference ${fmt(floor.whole)} µs (the remaining ${fmt(Math.max(0, floor.whole - floor.gemv))} µs: the 256×10 layer, bias adds, ReLU and per-op work). ` +
        'The product is bound by streaming its weights from L3, as tfjs-wasm\'s is; halving tfjs\'s time would need the weights read faster than a plain sum reads them.',
    );
  }
  if (cnn) {
    const vsTorch = gemm.filter((g) => g.torch).map((g) => g.tessera / g.torch).sort((a, b) => a - b);
    const torch = cnnTorch
      ? ` PyTorch's whole step takes ${fmt(1000 / cnnTorch)} ms here; 0.5× of it allows ${fmt(2000 / cnnTorch)} ms.` +
        (vsTorch.length ? ` On the GEMM rows of this run Tessera runs at ${fmt(vsTorch[0])}–${fmt(vsTorch[vsTorch.length - 1])}× torch's speed (its BLAS uses 256-bit FMA), and GEMM is most of both steps.` : '')
      : '';
    lines.push(
      `- **Small CNN step** (CPU profile of ${fmt(cnn.msPerStep)} ms steps under --cpu-prof, one thread): GEMM ${fmt(cnn.gemmPct)}% (kernel and packing), conv/pool kernels ${fmt(cnn.convPct)}%, other kernels ${fmt(cnn.otherKernelsPct)}%, JavaScript incl. GC ${fmt(cnn.jsPct)}%; ` +
        `top functions: ${cnn.top.map((t) => `${t.name} ${fmt(t.pct)}%`).join(', ')}. ` +
        `The step's GEMMs (${fmt(smallCnnGemmFlops() / 1e6)} MFLOP: per image, k = 9…144 and n = 64) run at ≈ ${fmt(cnn.gemmGflops)} GFLOP/s inside it (profiler running)` +
        `${large ? `, against ${fmt(large.tessera)} for the 64×784×256 GEMM above` : ''}: the step is mostly GEMM, and its small per-image GEMMs run below the large-shape rate.${torch}`,
    );
  }
  return lines;
}
