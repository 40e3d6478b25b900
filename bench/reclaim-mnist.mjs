/**
 * `node bench/reclaim-mnist.mjs [dist/index.js] [steps]`: what the reclaim policy (docs/memory.md)
 * copies in the MNIST-shaped loop of tests/browser/memory-loop.js (a fresh 256 × 784 batch divided
 * by 255, nn.Linear(784, 10), SGD, each loss kept), and what the copies cost. After 200 warm-up
 * steps it prints, per step: wall and CPU ms, minor page faults, reclaim passes, storages spilled
 * (and their bytes, by block size), restored, and freed while spilled, and the ms spent in passes
 * and copies back. Counted by wrapping the backend's private methods, as bench/reclaim-ab.mjs does.
 *
 * Run one build per process: the page faults depend on the state of the process's malloc heap,
 * which two builds in one process would share (docs/memory.md, "What a step costs").
 */
import path from 'node:path';
import { mnistStep } from '../tests/browser/memory-loop.js';
import { distEntry } from './tessera.mjs';

const [entry = distEntry, stepsArg] = process.argv.slice(2);
const STEPS = Number(stepsArg ?? 1000);
const T = await import(path.resolve(entry));
await T.setNumThreads?.(1);
const backend = T.tensor([0]).storage.backend;

const m = { passes: 0, passMs: 0, restoreMs: 0, spills: 0, spilledBytes: 0, restores: 0, freedSpilled: 0, sizes: new Map() };
const wrap = (name, around) => {
  const inner = backend[name].bind(backend);
  backend[name] = (s) => around(s, () => inner(s));
};
wrap('reclaim', (_, run) => {
  const t0 = performance.now();
  run();
  m.passes++;
  m.passMs += performance.now() - t0;
});
wrap('spillOut', (s, run) => {
  run();
  m.spills++;
  m.spilledBytes += s.bytes;
  m.sizes.set(s.bytes, (m.sizes.get(s.bytes) ?? 0) + 1);
});
wrap('restore', (_, run) => {
  const t0 = performance.now();
  run();
  m.restores++;
  m.restoreMs += performance.now() - t0;
});
wrap('free', (s, run) => {
  if (s.copy !== null) m.freedSpilled++;
  run();
});

const { step } = mnistStep(T);
for (let i = 0; i < 200; i++) step();

const { sizes, ...counts } = m;
const before = { ...counts };
sizes.clear();
const faults0 = process.resourceUsage().minorPageFault;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < STEPS; i++) step();
const wall = performance.now() - t0;
const { user, system } = process.cpuUsage(cpu0);
const per = (n) => +(n / STEPS).toFixed(2);
console.log(
  JSON.stringify({
    wallMs: per(wall),
    cpuMs: per((user + system) / 1e3),
    faults: per(process.resourceUsage().minorPageFault - faults0),
    ...Object.fromEntries(Object.keys(before).map((k) => [k, per(m[k] - before[k])])),
    spilledBySize: Object.fromEntries([...sizes].map(([bytes, n]) => [bytes, per(n)])),
  }),
);
