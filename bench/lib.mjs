/**
 * Shared benchmark plumbing: seeded inputs, timing with tinybench, statistics from its samples,
 * output checks against float64 references, the machine's description and table formatting.
 */
import os from 'node:os';
import fs from 'node:fs';
import { Bench } from 'tinybench';

/** mulberry32: a seeded uniform [0, 1) stream, so every framework sees the same inputs. */
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n uniform floats in [lo, hi) from seed. */
export function uniform(n, seed, lo = -1, hi = 1) {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** Linear-interpolated quantile of an ascending array. */
export function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** The median of an array of numbers (interpolated between the middle two for an even length). */
export function median(xs) {
  return quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
}

/** Median ms per call of fn over `reps` timed rounds of `inner` calls each, after `warmup` calls (the upper median for an even `reps`). */
export function medianMs(fn, warmup, reps, inner = 1) {
  for (let i = 0; i < warmup; i++) fn();
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    for (let i = 0; i < inner; i++) fn();
    times.push((performance.now() - t) / inner);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(reps / 2)];
}

/** Median and p10–p90 of per-iteration latencies in ms. */
export function latencyStats(samplesMs) {
  const s = [...samplesMs].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9), n: s.length };
}

/**
 * Times fn (sync or async) after warm-up; returns latency statistics in ms.
 * timeMs bounds the measured phase, minIterations keeps slow cases from having one sample.
 */
export async function measure(name, fn, { timeMs = 400, warmupMs = 100, minIterations = 5, warmupIterations = 2 } = {}) {
  const bench = new Bench({
    time: timeMs,
    iterations: minIterations,
    warmupTime: warmupMs,
    warmupIterations,
    retainSamples: true,
    throws: true,
  });
  bench.add(name, fn);
  await bench.run();
  const task = bench.tasks[0];
  const samples = task.result.latency?.samples;
  if (!samples || samples.length === 0) throw new Error(`${name}: tinybench returned no samples (state ${task.result.state})`);
  return latencyStats(samples);
}

/** A throughput figure from latencies: `work` units per iteration, scaled by `scale` (e.g. 1e9 for G). */
export function throughput(stats, work, scale) {
  const per = (ms) => work / (ms / 1000) / scale;
  return { median: per(stats.median), lo: per(stats.p90), hi: per(stats.p10), n: stats.n };
}

/** Steps (iterations) per second from latencies. */
export function rate(stats) {
  return throughput(stats, 1, 1);
}

/**
 * Largest error of got vs ref, relative to `scale` (a per-entry tolerance base, or one number).
 * Returns { ok, maxErr } with maxErr in units of that scale.
 */
export function compareArrays(got, ref, tol, scale = null) {
  if (got.length !== ref.length) return { ok: false, maxErr: Infinity, why: `length ${got.length} ≠ ${ref.length}` };
  let maxErr = 0;
  for (let i = 0; i < ref.length; i++) {
    const s = scale === null ? Math.max(1, Math.abs(ref[i])) : typeof scale === 'number' ? scale : scale[i];
    const e = Math.abs(got[i] - ref[i]) / s;
    if (!(e <= maxErr)) maxErr = Number.isNaN(e) ? Infinity : e;
  }
  return { ok: maxErr <= tol, maxErr };
}

/** CPU model, cores, memory, node version, OS and date, for the head of every report. */
export function machine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const model = /model name\s*:\s*(.+)/.exec(info)?.[1];
    const flags = /flags\s*:\s*(.+)/.exec(info)?.[1]?.split(' ') ?? [];
    if (model) cpu = model.trim();
    const isa = ['avx2', 'fma', 'avx512f'].filter((f) => flags.includes(f));
    if (isa.length) cpu += ` (${isa.join(', ')})`;
  } catch {
    // /proc/cpuinfo exists only on Linux; os.cpus() is the portable fallback.
  }
  return {
    cpu,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    v8: process.versions.v8,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    load: os
      .loadavg()
      .map((v) => v.toFixed(1))
      .join(' '),
  };
}

/** "12.3 [11.9–12.8]" with 3 significant figures. */
export function fmtFigure(f) {
  if (!f) return '—';
  if (typeof f === 'string') return f;
  return `${sig(f.median)} [${sig(f.lo)}–${sig(f.hi)}]`;
}

/** 3 significant figures, no exponent for everyday magnitudes. */
export function sig(x) {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
  return x.toFixed(Math.min(digits, 4));
}

/** A GitHub-flavoured markdown table. */
export function mdTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Prints one progress line to stderr so stdout stays the report. */
export function progress(msg) {
  process.stderr.write(`${msg}\n`);
}
