/**
 * `node bench/ab.mjs <base-checkout> [rounds]`: a same-process A/B of two Tessera builds on the
 * per-op-overhead rows of bench:compare — the MLP training step (raw ops and nn/optim, batch 64)
 * and the small-CNN training step. Both builds' dist/ are loaded into one process (each has its
 * own WASM memory), set to one thread, and timed in alternating rounds (A B, then B A, …) so the
 * machine's noise hits both alike. A ratio is head ÷ base in steps/s (> 1: head is faster), the
 * median of the per-round ratios, by wall clock and by this process's CPU time.
 *
 * The base checkout needs `npm ci && npm run build`, e.g. `git worktree add /tmp/base <commit>`.
 */
import path from 'node:path';
import { smallCnn, smallCnnLossRef } from './conv.mjs';
import { median } from './lib.mjs';
import { distEntry, loadTessera, tesseraAdapter } from './tessera.mjs';
import { mlpCase } from './workloads.mjs';

const [baseDir, roundsArg] = process.argv.slice(2);
if (!baseDir) {
  console.error('usage: node bench/ab.mjs <base-checkout> [rounds]');
  process.exit(2);
}
const ROUNDS = Number(roundsArg ?? 9);
const STEPS_MS = 600;

/** The three workloads on one build, each a step function checked once before it is timed. */
function workloads(tess) {
  const { T } = tess;
  T.setNumThreads?.(1);
  const raw = tesseraAdapter(tess).mlpTrain({ ...mlpCase(64), kind: 'mlp' });
  const nn = tesseraAdapter(tess, { variant: 'nn' }).mlpTrain({ ...mlpCase(64), kind: 'mlp' });
  const cnn = smallCnn(tess);
  const loss = T.noGrad(() => cnn.loss(cnn.forward()).item());
  const ref = smallCnnLossRef(cnn.weights());
  if (!(Math.abs(loss - ref) <= 1e-4 * Math.max(1, Math.abs(ref)))) throw new Error(`small CNN loss ${loss}, float64 reference ${ref}`);
  return { 'MLP train step b64 (raw ops)': raw.run, 'MLP train step b64 (nn, optim.SGD)': nn.run, 'small CNN train step b64': cnn.step };
}

/** Runs `step` for about STEPS_MS; returns steps/s by wall clock and by CPU time. */
function timeSteps(step) {
  for (let i = 0; i < 3; i++) step();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < STEPS_MS) {
    step();
    n++;
  }
  const wall = (performance.now() - t0) / 1e3;
  const { user, system } = process.cpuUsage(cpu0);
  return { wall: n / wall, cpu: n / ((user + system) / 1e6) };
}

const base = workloads(await loadTessera(path.resolve(baseDir, 'dist/index.js')));
const head = workloads(await loadTessera(distEntry));
const ratios = Object.fromEntries(Object.keys(head).map((k) => [k, { wall: [], cpu: [], headRate: [] }]));
for (let r = 0; r < ROUNDS; r++) {
  for (const name of Object.keys(head)) {
    const order = r % 2 === 0 ? [base, head] : [head, base];
    const [first, second] = order.map((build) => timeSteps(build[name]));
    const [b, h] = r % 2 === 0 ? [first, second] : [second, first];
    ratios[name].wall.push(h.wall / b.wall);
    ratios[name].cpu.push(h.cpu / b.cpu);
    ratios[name].headRate.push(h.wall);
  }
  process.stderr.write(`round ${r + 1}/${ROUNDS}\n`);
}
console.log(`| workload | head steps/s (median) | head ÷ base, wall (median [min–max] of ${ROUNDS} rounds) | head ÷ base, CPU time |`);
console.log('|---|---|---|---|');
for (const [name, { wall, cpu, headRate }] of Object.entries(ratios)) {
  const fmt = (xs) => `${median(xs).toFixed(3)} [${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}]`;
  console.log(`| ${name} | ${median(headRate).toFixed(1)} | ${fmt(wall)} | ${fmt(cpu)} |`);
}
