/**
 * `node bench/reclaim-ab.mjs <base-checkout> [rounds]`: a same-process A/B of two Tessera builds on
 * the workloads the reclaim policy (docs/memory.md) decides: the GPT training step of bench/seq.mjs
 * (vocab 65, d 128, 4 layers, 4 heads, ctx 64, batch 16, AdamW) and the embedding forward +
 * backward of bench/indexing.mjs (a [64, 32] lookup into a [10000, 128] weight whose gradient
 * accumulates). Both builds' dist/ are loaded into one process, set to one thread, and timed in
 * alternating rounds; per build it prints the median CPU and wall ms per step and, counted by
 * wrapping the backend's `spillOut` and `restore` (so a build without memoryStats().spills is
 * counted too), the storages copied out and back per step and the wall ms spent copying.
 *
 * The base checkout needs `npm ci && npm run build` (bench/ab.mjs says how).
 */
import path from 'node:path';
import { median } from './lib.mjs';
import { gptWorkload } from './seq.mjs';
import { distEntry } from './tessera.mjs';

const [baseDir, roundsArg] = process.argv.slice(2);
if (!baseDir) {
  console.error('usage: node bench/reclaim-ab.mjs <base-checkout> [rounds]');
  process.exit(2);
}
const ROUNDS = Number(roundsArg ?? 6);

/** Wraps the wasm backend's copy-out and copy-back to count them and the wall time they take. */
function copyMeter(backend) {
  const m = { spills: 0, spilledBytes: 0, restores: 0, ms: 0 };
  const spillOut = backend.spillOut.bind(backend);
  const restore = backend.restore.bind(backend);
  backend.spillOut = (s) => {
    const t0 = performance.now();
    spillOut(s);
    m.ms += performance.now() - t0;
    m.spills++;
    m.spilledBytes += s.bytes;
  };
  backend.restore = (s) => {
    const t0 = performance.now();
    restore(s);
    m.ms += performance.now() - t0;
    m.restores++;
  };
  return m;
}

const gptStep = (T) => gptWorkload(T).step;

function embeddingStep(T) {
  T.manualSeed(0);
  const weight = T.randn([10000, 128], { requiresGrad: true }).keep();
  const tokens = T.randint(0, 10000, [64, 32], { dtype: 'int32' }).keep();
  return () => T.tidy(() => T.nn.functional.embedding(tokens, weight).sum().backward());
}

const WORKLOADS = [
  ['GPT step', gptStep, 3],
  ['embedding [64, 32] of [10000, 128], fwd + bwd', embeddingStep, 20],
];

const builds = [];
for (const [name, entry] of [
  ['base', path.resolve(baseDir, 'dist/index.js')],
  ['head', distEntry],
]) {
  const T = await import(entry);
  await T.setNumThreads?.(1);
  builds.push({ name, T, meter: copyMeter(T.tensor([0]).storage.backend) });
}
console.log('| workload | build | CPU ms/step | wall ms/step | spills/step | MB spilled/step | restores/step | copy ms/step |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [label, make, steps] of WORKLOADS) {
  const runs = builds.map((b) => ({ ...b, step: make(b.T), cpu: [], wall: [] }));
  for (const r of runs) for (let i = 0; i < 2; i++) r.step();
  const before = runs.map((r) => ({ ...r.meter }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of round % 2 === 0 ? runs : [...runs].reverse()) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) r.step();
      const { user, system } = process.cpuUsage(cpu0);
      r.wall.push((performance.now() - t0) / steps);
      r.cpu.push((user + system) / 1e3 / steps);
    }
  }
  runs.forEach((r, i) => {
    const n = ROUNDS * steps;
    const d = (k) => (r.meter[k] - before[i][k]) / n;
    console.log(
      `| ${label} | ${r.name} | ${median(r.cpu).toFixed(1)} | ${median(r.wall).toFixed(1)} | ${d('spills').toFixed(1)} | ${(d('spilledBytes') / 1e6).toFixed(2)} | ${d('restores').toFixed(1)} | ${d('ms').toFixed(1)} |`,
    );
  });
}
