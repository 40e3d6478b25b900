/**
 * GEMM profiler for kernel work: calls the exported `gemmF32` of one or more built kernel modules
 * directly (no tensor layer), interleaving the modules rep by rep so that machine load hits them
 * alike, and prints median [p10–p90] GFLOP/s by wall clock plus the median by process CPU time
 * (which load on other cores does not inflate). Every shape is checked against a float64
 * reference on sampled entries before it is timed.
 *
 *   node bench/profile-gemm.mjs [--wasm kernels.wasm,gemm-relaxed.wasm]
 *        [--shapes 512,256x1024x1024,64x784x256] [--trans NN,TN,NT,TT] [--reps 15]
 *
 * `--wasm` files are paths, or names of builds in node_modules/.cache/tessera/wasm/ where
 * `npm run build:wasm` leaves them. Shapes are m×k×n (as in bench/), or one number for a cube. Node 20 needs
 * --experimental-wasm-relaxed-simd to load the relaxed build; a module the runtime rejects is
 * skipped with a note.
 *
 *   node bench/profile-gemm.mjs --peers [--rounds 3]
 *
 * instead runs bench:compare's GEMM workloads only (every shape and transpose case, same inputs,
 * same float64 checks, same tinybench timing through the public matmul of dist/) on Tessera,
 * tfjs-backend-wasm and jax-js, in `rounds` interleaved rounds, and prints the median over rounds
 * of each median with the rounds' min–max, and Tessera ÷ tfjs-wasm. It does not write RESULTS.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { wasmDir } from '../scripts/build-cache.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const wasmFiles = (args.wasm ?? 'kernels.wasm,gemm-relaxed.wasm').split(',').map((f) => (f.includes('/') ? f : path.join(wasmDir, f)));
const shapes = (args.shapes ?? '64,128,256,512,1024,64x784x256,256x1024x1024').split(',').map((s) => {
  const d = s.split('x').map(Number);
  return d.length === 1 ? [d[0], d[0], d[0]] : d;
});
const transCases = (args.trans ?? 'NN').split(',');
const reps = Number(args.reps ?? 15);

/** mulberry32 uniform in [-1, 1). */
function fill(view, seed) {
  let s = seed >>> 0;
  for (let i = 0; i < view.length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    view[i] = ((t ^ (t >>> 14)) >>> 0) / 2147483648 - 1;
  }
}

const quantile = (s, q) => {
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.ceil(pos)] - s[lo]) * (pos - lo);
};

if ('peers' in args) {
  await peers(Number(args.rounds ?? 3));
  process.exit(0);
}

/** bench:compare's GEMM rows on Tessera and its Wasm peers, interleaved over rounds. */
async function peers(rounds) {
  const { allCases, runCase } = await import('./harness.mjs');
  const { loadTessera, tesseraAdapter } = await import('./tessera.mjs');
  const { tfjsAdapter } = await import('./peers/tfjs.mjs');
  const { jaxAdapter } = await import('./peers/jax.mjs');
  const tess = await loadTessera();
  if (tess.setNumThreads) await tess.setNumThreads(1);
  const adapters = [tesseraAdapter(tess), await tfjsAdapter('wasm'), await jaxAdapter()];
  // The backend loads the relaxed build exactly when the runtime validates it.
  const relaxed = WebAssembly.validate(fs.readFileSync(path.join(wasmDir, 'gemm-relaxed.wasm')));
  const cases = allCases().filter((c) => c.kind === 'gemm');
  const figures = cases.map(() => adapters.map(() => []));
  const timeMs = Number(process.env.BENCH_TIME_MS ?? 200);
  console.log(
    `# node ${process.version}, ${os.cpus()[0].model}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}, ${rounds} rounds, Tessera relaxed SIMD: ${relaxed}`,
  );
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of cases.entries()) {
      for (const [j, ad] of adapters.entries()) {
        const res = await runCase(ad, c, { timeMs });
        if (res.wrong !== undefined) throw new Error(`${ad.name} ${c.id}: WRONG RESULT (max error ${res.wrong})`);
        if (res.figure) figures[i][j].push(res.figure.median);
      }
    }
  }
  const med = (xs) =>
    quantile(
      [...xs].sort((a, b) => a - b),
      0.5,
    );
  const cell = (xs) => (xs.length ? `${med(xs).toFixed(1)} [${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}]` : '—');
  console.log(`| workload (GFLOP/s) | ${adapters.map((a) => a.name).join(' | ')} | T÷${adapters[1].name} | T÷${adapters[2].name} |`);
  console.log(`| --- |${adapters.map(() => ' --- |').join('')} --- | --- |`);
  for (const [i, c] of cases.entries()) {
    const [t, w, x] = figures[i].map((xs) => (xs.length ? med(xs) : NaN));
    console.log(`| ${c.id} | ${figures[i].map(cell).join(' | ')} | ${(t / w).toFixed(2)}× | ${(t / x).toFixed(2)}× |`);
  }
  console.log(
    `# load average at end ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}

const modules = [];
for (const file of wasmFiles) {
  const bytes = fs.readFileSync(path.resolve(root, file));
  if (!WebAssembly.validate(bytes)) {
    console.log(`# ${file}: rejected by this runtime (relaxed SIMD needs --experimental-wasm-relaxed-simd on Node 20) — skipped`);
    continue;
  }
  // Every build imports its memory (scripts/build-wasm.mjs); the GEMM-only ones have no static data, so no heapBase.
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
  const k = { heapBase: () => 0, ...new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports };
  modules.push({ name: path.basename(file, '.wasm'), k });
}

/** Lays out A, B, C and work for one shape in a module's memory; returns the call and a checker. */
function setup(k, m, kk, n, tA, tB) {
  const align = (x) => (x + 63) & ~63;
  let p = align(k.heapBase() >>> 0);
  const work = p;
  p = align(p + k.gemmWorkBytes());
  const a = p;
  p = align(p + m * kk * 4);
  const b = p;
  p = align(p + kk * n * 4);
  const c = p;
  p = align(p + m * n * 4);
  const need = p - k.memory.buffer.byteLength;
  if (need > 0) k.memory.grow(Math.ceil(need / 65536));
  const A = new Float32Array(k.memory.buffer, a, m * kk);
  const B = new Float32Array(k.memory.buffer, b, kk * n);
  fill(A, 1);
  fill(B, 2);
  const lda = tA ? m : kk;
  const ldb = tB ? kk : n;
  const call = () => k.gemmF32(tA, tB, m, n, kk, 1, a, lda, b, ldb, 0, c, n, work);
  const check = () => {
    const C = new Float32Array(k.memory.buffer, c, m * n);
    const Av = new Float32Array(k.memory.buffer, a, m * kk);
    const Bv = new Float32Array(k.memory.buffer, b, kk * n);
    let worst = 0;
    for (let s = 0; s < 64; s++) {
      const i = (s * 7919) % m;
      const j = (s * 104729 + 13) % n;
      let ref = 0;
      let mag = 0;
      for (let q = 0; q < kk; q++) {
        const x = Av[tA ? q * m + i : i * kk + q] * Bv[tB ? j * kk + q : q * n + j];
        ref += x;
        mag += Math.abs(x);
      }
      worst = Math.max(worst, Math.abs(C[i * n + j] - ref) / Math.max(mag, 1e-30));
    }
    return worst;
  };
  return { call, check };
}

const load = os
  .loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');
console.log(`# node ${process.version}, ${os.cpus()[0].model}, load average ${load}, ${reps} reps`);
console.log('| shape | case | module | GFLOP/s median [p10–p90] | by CPU time |');
console.log('| --- | --- | --- | --- | --- |');
for (const [m, kk, n] of shapes) {
  for (const tc of transCases) {
    const tA = tc[0] === 'T' ? 1 : 0;
    const tB = tc[1] === 'T' ? 1 : 0;
    const flop = 2 * m * n * kk;
    // Enough calls per sample that one sample lasts ≥ ~2 ms.
    const inner = Math.max(1, Math.ceil(2e-3 / (flop / 30e9)));
    const runs = modules.map(({ name, k }) => ({ name, ...setup(k, m, kk, n, tA, tB), wall: [], cpu: [] }));
    for (const r of runs) {
      r.call();
      const err = r.check();
      if (!(err < 1e-5)) throw new Error(`${r.name} ${m}x${kk}x${n} ${tc}: WRONG RESULT (relative error ${err})`);
      for (let w = 0; w < 3; w++) r.call();
    }
    for (let rep = 0; rep < reps; rep++) {
      for (const r of runs) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        for (let i = 0; i < inner; i++) r.call();
        const t1 = performance.now();
        const c1 = process.cpuUsage(c0);
        r.wall.push((flop * inner) / ((t1 - t0) * 1e6));
        r.cpu.push((flop * inner) / ((c1.user + c1.system) * 1e3));
      }
    }
    for (const r of runs) {
      const w = r.wall.sort((x, y) => x - y);
      const c = r.cpu.sort((x, y) => x - y);
      const f = (x) => x.toFixed(1);
      console.log(`| ${m}×${kk}×${n} | ${tc} | ${r.name} | ${f(quantile(w, 0.5))} [${f(quantile(w, 0.1))}–${f(quantile(w, 0.9))}] | ${f(quantile(c, 0.5))} |`);
    }
  }
}
console.log(
  `# load average at end ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
