/**
 * The Load section of the benchmarks: how long the built package takes to import, compile its wasm
 * and run a first op in a fresh Node process (and where that time goes), and the gzip -9 sizes of
 * what a user loads. `node bench/load.mjs` prints the section alone (after `npm run build`);
 * `npm run bench` and `npm run bench:compare` include it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { rolldown } from 'rolldown';
import { inputOptions, outputOptions } from '../scripts/bundle.mjs';
import { latencyStats, sig } from './lib.mjs';
import { distEntry } from './tessera.mjs';

const root = path.dirname(distEntry);

/**
 * What a child process reports: import (load, link and evaluate the module graph), then the first
 * op, which creates the wasm backend; within it, the time inside the WebAssembly constructors
 * (compile = new WebAssembly.Module, instantiate = new WebAssembly.Instance, validate). The
 * constructors are wrapped before the import, which the library reaches through the global.
 */
const CHILD = (url) => `
const wasm = { compile: 0, instantiate: 0, validate: 0 };
const timed = (key, f) => (...args) => { const t = performance.now(); try { return f(...args); } finally { wasm[key] += performance.now() - t; } };
const W = WebAssembly;
W.Module = new Proxy(W.Module, { construct: (C, args) => timed('compile', () => Reflect.construct(C, args))() });
W.Instance = new Proxy(W.Instance, { construct: (C, args) => timed('instantiate', () => Reflect.construct(C, args))() });
W.validate = timed('validate', W.validate.bind(W));
const t0 = performance.now();
const m = await import(${JSON.stringify(url)});
const t1 = performance.now();
m.zeros?.([1]);
const t2 = performance.now();
console.log(JSON.stringify({ total: t2 - t0, import: t1 - t0, firstOp: t2 - t1, ...wasm }));`;

/**
 * import + wasm compile + first op of dist/index.js in fresh node processes, median [min–max] over
 * `runs`, with the median of each phase; interleaved with the import of an empty module, the floor
 * any import pays in a fresh process (Node's ESM loader reading its first file).
 */
export function importTime(runs = 7) {
  const empty = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-load-')), 'empty.mjs');
  fs.writeFileSync(empty, 'export {};\n');
  const samples = { dist: [], empty: [] };
  try {
    for (let i = 0; i < runs; i++) {
      for (const [key, file] of [
        ['dist', distEntry],
        ['empty', empty],
      ]) {
        const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD(pathToFileURL(file).href)], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`import of ${file} failed: ${r.stderr.split('\n')[0]}`);
        samples[key].push(JSON.parse(r.stdout));
      }
    }
  } finally {
    fs.rmSync(path.dirname(empty), { recursive: true, force: true });
  }
  const median = (list, key) => latencyStats(list.map((s) => s[key])).median;
  const totals = samples.dist.map((s) => s.total);
  const phase = Object.fromEntries(['import', 'firstOp', 'compile', 'instantiate', 'validate'].map((k) => [k, median(samples.dist, k)]));
  return {
    median: median(samples.dist, 'total'),
    lo: Math.min(...totals),
    hi: Math.max(...totals),
    n: runs,
    phase,
    emptyImport: median(samples.empty, 'import'),
  };
}

const gzip9 = (buffer) => zlib.gzipSync(buffer, { level: 9 }).length;

/** Bytes and gzip -9 of JavaScript, as one stream. */
const measure = (code) => ({ bytes: code.length, gzip: gzip9(code) });

/** The package's bundle rebuilt in memory with the build's own options and `overrides`. */
async function rebuild(overrides) {
  const bundle = await rolldown({ ...inputOptions, ...overrides });
  try {
    const { output } = await bundle.generate({ ...outputOptions, sourcemap: false });
    return Buffer.from(output.map((o) => (o.type === 'chunk' ? o.code : '')).join(''));
  } finally {
    await bundle.close();
  }
}

/** The data modules emptied, so the bundle is the package without its bundled data sets. */
const withoutBundledData = {
  name: 'without-bundled-data',
  load(id) {
    return /[\\/]src[\\/]data[\\/]bundled[\\/]/.test(id) ? "export const DIGITS = '', FEMALE_NAMES = '', MALE_NAMES = '';" : null;
  },
};

/**
 * gzip -9 sizes: the whole package as shipped (every .js and .wasm in dist, one stream: the bundle,
 * wasm and data sets inlined); the same build without the bundled data sets; the inlined wasm
 * module alone, as the build emits it; and a user's minified, tree-shaken bundle of a small
 * training program (rolldown).
 */
export async function gzipSize() {
  const files = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(js|wasm)$/.test(e.name)) files.push(p);
    }
  };
  walk(root);
  return {
    all: { files: files.map((f) => path.relative(root, f)), ...measure(Buffer.concat(files.map((f) => fs.readFileSync(f)))) },
    core: measure(await rebuild({ plugins: [withoutBundledData] })),
    wasm: measure(await rebuild({ input: path.join(root, '..', 'src/backend/kernels-wasm.ts') })),
    sourceMap: fs
      .readdirSync(root)
      .filter((f) => f.endsWith('.map'))
      .reduce((n, f) => n + fs.statSync(path.join(root, f)).size, 0),
    bundle: await userBundleSize(),
  };
}

/** The program bundled for the user's size: an MLP, its loss and optimizer, one training step. */
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

/** Minified, tree-shaken ESM bundle of USER_PROGRAM (bytes and gzip -9). */
async function userBundleSize() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-size-'));
  try {
    const input = path.join(dir, 'program.mjs');
    fs.writeFileSync(input, USER_PROGRAM);
    const bundle = await rolldown({ input, platform: 'browser', logLevel: 'silent' });
    const { output } = await bundle.generate({ format: 'esm', minify: true });
    return measure(Buffer.from(output.map((o) => o.code ?? '').join('')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The Load section's lines, each saying what it counts. */
export function loadLines(imp, size) {
  const kb = (b) => `${sig(b / 1024)} KB`;
  const ms = (v) => `${sig(v)} ms`;
  const line = (what, m) => `${what}: ${kb(m.bytes)} raw, **${kb(m.gzip)} gzip -9**`;
  const p = imp.phase;
  return [
    `- import + wasm compile + first op (fresh node process on dist/index.js, ${imp.n} runs): ${ms(imp.median)} median [min ${sig(imp.lo)} – max ${sig(imp.hi)}]`,
    `  - of which (medians): import of the module ${ms(p.import)} (an empty module imports in ${ms(imp.emptyImport)}, Node's ESM loader starting on its first file); ` +
      `first op ${ms(p.firstOp)}, which creates the wasm backend: WebAssembly compile ${ms(p.compile)}, instantiate ${ms(p.instantiate)}, validate ${ms(p.validate)}, the rest JavaScript`,
    `- ${line(`whole package as shipped: ${size.all.files.join(', ')} (one unminified ESM bundle, the wasm and the bundled data sets inlined)`, size.all)}`,
    `- ${line("core: the same build without the bundled data sets (loadDigits/loadNames); a user's bundler drops them unless they are used", size.core)}`,
    `- ${line('of which the inlined wasm (the kernels, a worker GEMM and a relaxed-SIMD GEMM, a character per byte), as the build emits it alone', size.wasm)}`,
    `- ${line("a user's minified, tree-shaken bundle (rolldown, ESM) of an MLP + CrossEntropyLoss + SGD training step", size.bundle)}`,
    `- not counted: the source map (dist/index.js.map, ${kb(size.sourceMap)}, read only by debuggers and \`node --enable-source-maps\`) and the type declarations (dist/**/*.d.ts)`,
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const imp = importTime(Number(process.env.LOAD_RUNS ?? 7));
  const size = await gzipSize();
  console.log(`## Load\n\n${loadLines(imp, size).join('\n')}`);
}
