/**
 * `npm run bench`: Tessera's own suites on the built package — GEMM (every transpose case),
 * elementwise, reductions, softmax, MLP training and inference, conv2d and a small CNN when dist
 * has them, 1 vs N threads, import + wasm compile time, and the gzip size of what a user loads.
 * Every figure is the median [p10–p90] of tinybench samples taken after warm-up, and only after
 * the output matched a float64 reference.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { allCases, describe, runCase, UNITS } from './harness.mjs';
import { compareArrays, fmtFigure, latencyStats, machine, mdTable, measure, progress, rate, sig, throughput } from './lib.mjs';
import { CONV_CASES, conv2dBackwardRef, convFlops, convSetup, smallCnn, smallCnnLossRef } from './conv.mjs';
import { distEntry, loadTessera, tesseraAdapter } from './tessera.mjs';
import { threadsSection } from './threads.mjs';
import { mlpCase } from './workloads.mjs';

const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 300);

/** Median [min–max] of import + first op in fresh node processes. */
export function importTime(runs = 7) {
  const url = new URL(`file://${distEntry}`).href;
  const code = `const t = performance.now(); const m = await import(${JSON.stringify(url)}); m.zeros([1]); console.log(performance.now() - t);`;
  const times = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`import failed: ${r.stderr.split('\n')[0]}`);
    times.push(Number(r.stdout.trim()));
  }
  const s = latencyStats(times);
  return { median: s.median, lo: Math.min(...times), hi: Math.max(...times), n: runs };
}

/**
 * gzip -9 sizes of what a user loads, each as one stream: the whole dist/**\/*.js (unminified, the
 * wasm inlined in dist/backend/kernels-wasm.js), the core without the optional bundled data sets
 * (dist/data/bundled, embedded by loadDigits/loadNames), the inlined wasm alone, and
 * a minified, tree-shaken bundle of a small training program (rolldown, when it can be imported).
 */
export async function gzipSize() {
  const root = path.dirname(distEntry);
  const files = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(js|wasm)$/.test(e.name)) files.push(p);
    }
  };
  walk(root);
  const measure = (list) => {
    const raw = Buffer.concat(list.map((f) => fs.readFileSync(f)));
    return { files: list.length, bytes: raw.length, gzip: gzip9(raw) };
  };
  const bundled = `${path.sep}data${path.sep}bundled${path.sep}`;
  return {
    all: measure(files),
    core: measure(files.filter((f) => !f.includes(bundled))),
    wasm: measure(files.filter((f) => /kernels-wasm\.js$|\.wasm$/.test(f))),
    bundle: await userBundleSize(),
  };
}

const gzip9 = (buffer) => zlib.gzipSync(buffer, { level: 9 }).length;

/** The program bundled for the minified size: an MLP, its loss and optimizer, one training step. */
const USER_PROGRAM = `
import { nn, optim, randn, randint } from ${JSON.stringify(distEntry)};
const model = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10));
const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
const loss = new nn.CrossEntropyLoss().forward(model.forward(randn([64, 784])), randint(0, 10, [64]));
opt.zeroGrad();
loss.backward();
opt.step();
console.log(loss.item());
`;

/** Minified, tree-shaken ESM bundle of USER_PROGRAM (bytes and gzip -9), or why it was not measured. */
async function userBundleSize() {
  let rolldown;
  try {
    ({ rolldown } = await import('rolldown'));
  } catch {
    return { skipped: 'rolldown (a dependency of vitest) could not be imported' };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-size-'));
  try {
    const input = path.join(dir, 'program.mjs');
    fs.writeFileSync(input, USER_PROGRAM);
    const bundle = await rolldown({ input, platform: 'browser', logLevel: 'silent' });
    const { output } = await bundle.generate({ format: 'esm', minify: true });
    const code = Buffer.from(output.map((o) => o.code ?? '').join(''));
    return { bytes: code.length, gzip: gzip9(code) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The size lines of the report, each saying what it counts. */
export function sizeLines(size) {
  const kb = (b) => `${sig(b / 1024)} KB`;
  const line = (what, m) => `${what}: ${kb(m.bytes)} raw, **${kb(m.gzip)} gzip -9**`;
  return [
    `- ${line(`whole package: dist/**/*.js, ${size.all.files} files, unminified, wasm inlined`, size.all)}`,
    `- ${line(`core without the optional bundled data sets (dist/data/bundled/*, ${size.all.files - size.core.files} files, which an unbundled import of dist/index.js still loads; a tree-shaking bundler drops them unless loadDigits/loadNames is used)`, size.core)}`,
    `- ${line('of which the inlined wasm (dist/backend/kernels-wasm.js: the kernels, a worker GEMM and a relaxed-SIMD GEMM, a character per byte)', size.wasm)}`,
    size.bundle.skipped
      ? `- minified user bundle: not measured (${size.bundle.skipped})`
      : `- ${line('a user\'s minified, tree-shaken bundle (rolldown, ESM) of an MLP + CrossEntropyLoss + SGD training step', size.bundle)}`,
  ];
}

/** conv2d forward and backward GFLOP/s per case, or why they could not run. */
async function convSuite(tess) {
  if (!tess.conv2d) return { skipped: 'skipped: conv2d not available' };
  const { T } = tess;
  const rows = [];
  for (const [i, cc] of CONV_CASES.entries()) {
    progress(`  ${cc.id}`);
    const s = convSetup(tess, cc, 500 + 10 * i);
    if (s.error) {
      rows.push([cc.id, `WRONG RESULT or failure — not reported (${s.error})`, '']);
      continue;
    }
    const fwd = await measure(cc.id, () => T.noGrad(() => s.conv(s.xt, s.wtt, s.bt)).dispose(), { timeMs: TIME_MS });
    const backward = () => {
      T.releasePendingGraphs();
      for (const p of [s.xt, s.wtt, s.bt]) p.grad = null;
      T.sum(T.mul(s.conv(s.xt, s.wtt, s.bt), s.gt)).backward();
    };
    backward();
    const ref = conv2dBackwardRef(s.x, s.wt, s.g, cc);
    const cx = compareArrays(s.xt.grad.toArray(), ref.gx, 1e-4);
    const cw = compareArrays(s.wtt.grad.toArray(), ref.gw, 1e-3, Math.max(...ref.gw.map(Math.abs)));
    let bwdCell;
    if (!cx.ok || !cw.ok) bwdCell = `WRONG RESULT — not reported (max error ${Math.max(cx.maxErr, cw.maxErr).toExponential(2)})`;
    else {
      const st = await measure(`${cc.id} fwd+bwd`, backward, { timeMs: TIME_MS });
      bwdCell = fmtFigure(throughput(st, 3 * convFlops(cc), 1e9));
    }
    rows.push([cc.id, fmtFigure(throughput(fwd, convFlops(cc), 1e9)), bwdCell]);
  }
  return { rows };
}

/** Small-CNN training steps/s, checked by its first loss against a float64 forward. */
export async function cnnSuite(tess) {
  if (!tess.conv2d && !tess.Conv2d) return { skipped: 'skipped: conv2d not available' };
  const cnn = smallCnn(tess);
  if (cnn.error) return { skipped: `skipped: ${cnn.error}` };
  const { T } = tess;
  const loss = T.noGrad(() => cnn.loss(cnn.forward()).item());
  const ref = smallCnnLossRef(cnn.weights());
  if (!(Math.abs(loss - ref) <= 1e-4 * Math.max(1, Math.abs(ref)))) return { skipped: `WRONG RESULT — not reported (loss ${loss} vs ${ref})` };
  return { figure: rate(await measure('small CNN step', cnn.step, { timeMs: TIME_MS * 2 })), label: cnn.label };
}

async function main() {
  const m = machine();
  const tess = await loadTessera();
  const out = [];
  const say = (s = '') => {
    out.push(s);
    console.log(s);
  };
  say(`# Tessera benchmarks (npm run bench)\n`);
  say(`${m.cpu}, ${m.cores} cores, ${m.memory}; Node ${m.node} (V8 ${m.v8}); ${m.os}; ${m.date}; load average ${m.load}`);
  say(`Threads: ${tess.getNumThreads ? tess.getNumThreads() : tess.setNumThreads ? 'configurable' : 'not implemented (1 thread)'}. Figures: median [p10–p90] after warm-up.\n`);

  const adapter = tesseraAdapter(tess);
  let group = null;
  let rows = [];
  const flush = () => {
    if (group) say(`## ${group}\n\n${mdTable(['workload', 'unit', 'Tessera'], rows)}\n`);
    rows = [];
  };
  for (const c of allCases()) {
    if (c.group !== group) {
      flush();
      group = c.group;
    }
    progress(`  ${c.id}`);
    const r = await runCase(adapter, c, { timeMs: TIME_MS });
    rows.push([r.label ? `${c.id} (${r.label})` : c.id, UNITS[c.kind], fmtFigure(describe(r))]);
  }
  if (tess.hasNn) {
    const c = { ...mlpCase(64), kind: 'mlp', id: 'MLP train step b64' };
    const r = await runCase(tesseraAdapter(tess, { variant: 'nn' }), c, { timeMs: TIME_MS });
    rows.push([`${c.id} (${r.label ?? 'nn'})`, UNITS.mlp, fmtFigure(describe(r))]);
  }
  flush();

  progress('conv2d');
  const conv = await convSuite(tess);
  say(`## conv2d (3×3, padding 1; GFLOP/s, backward = input + weight grads)\n`);
  say(conv.skipped ?? mdTable(['case', 'forward', 'forward + backward'], conv.rows));
  say();
  const cnn = await cnnSuite(tess);
  say(`## Small CNN training step (batch 64, 1×8×8: conv 16, conv 32, max-pool, linear)\n`);
  say(cnn.figure ? `${fmtFigure(cnn.figure)} steps/s (${cnn.label})` : cnn.skipped);
  say();

  progress('threads');
  say(`## 1 vs N threads\n`);
  say(await threadsSection(tess));
  say();

  progress('import time, size');
  const imp = importTime();
  const size = await gzipSize();
  say(`## Load\n`);
  say(`- import + wasm compile + first op (fresh node process, ${imp.n} runs): ${sig(imp.median)} ms median [${sig(imp.lo)}–${sig(imp.hi)}]`);
  for (const line of sizeLines(size)) say(line);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
