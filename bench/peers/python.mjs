/**
 * PyTorch CPU and numpy through bench/python/peers.py, one thread each. Inputs are handed over as
 * raw files, outputs come back as files and are checked here like every other framework's.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkOutput, figureOf } from '../harness.mjs';
import { latencyStats, rate } from '../lib.mjs';

export const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const script = fileURLToPath(new URL('../python/peers.py', import.meta.url));

/** The environment of the Python run: one BLAS/OpenMP thread, and no core-type overrides. */
export function pythonEnv() {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const unset = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'].filter((k) => k in env);
  // Set together, these make OpenBLAS pick a kernel for another core than this one; unset both.
  if (unset.length) for (const k of ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE']) delete env[k];
  return { env, unset };
}

/** Whether python with numpy (and maybe torch) exists: { ok, numpy, torch } or { ok: false, why }. */
export function probePython() {
  if (!fs.existsSync(PYTHON)) return { ok: false, why: `${PYTHON} not found` };
  const r = spawnSync(PYTHON, ['-c', 'import numpy; print(numpy.__version__)\ntry:\n import torch; print(torch.__version__)\nexcept Exception: print("")'], {
    encoding: 'utf8',
    env: pythonEnv().env,
  });
  if (r.status !== 0) return { ok: false, why: `numpy not importable by ${PYTHON}` };
  const [numpy, torch] = r.stdout.trim().split('\n');
  return { ok: true, numpy, torch: torch || null };
}

const ARRAYS = ['a', 'b', 'x', 'y', 'w1', 'b1', 'w2', 'b2'];

/**
 * Runs cases (each with its index in `cases`) in Python; returns
 * { info, results: { numpy: Map(index → result), torch: Map } } with results as runCase's.
 */
export function runPython(cases, { timeMs }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-'));
  try {
    const manifest = {
      timeMs,
      cases: cases.map((c, i) => {
        const m = { id: c.id, kind: c.kind };
        for (const [k, v] of Object.entries(c)) {
          if (ARRAYS.includes(k) && ArrayBuffer.isView(v)) {
            m[k] = `${i}-${k}.bin`;
            fs.writeFileSync(path.join(dir, m[k]), Buffer.from(v.buffer, v.byteOffset, v.byteLength));
          } else if (!ArrayBuffer.isView(v) && k !== 'ref' && k !== 'group') m[k] = v;
        }
        return m;
      }),
    };
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const { env } = pythonEnv();
    const r = spawnSync(PYTHON, [script, path.join(dir, 'manifest.json')], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 << 20,
    });
    if (r.status !== 0) throw new Error(`python exited with ${r.status}`);
    const parsed = JSON.parse(r.stdout.trim().split('\n').pop());
    const results = {};
    for (const [fw, byIndex] of Object.entries(parsed.results)) {
      results[fw] = new Map();
      for (const [key, res] of Object.entries(byIndex)) {
        const i = Number(key);
        const c = cases[i];
        if (res.skipped) {
          results[fw].set(i, { skipped: res.skipped });
          continue;
        }
        const bytes = fs.readFileSync(path.join(dir, `out-${fw}-${i}.f32`));
        // Small files come from Buffer's shared pool: copy exactly this file's bytes.
        const raw = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
        const check = c.kind === 'cnn' ? c.check(raw) : checkOutput(c, c.kind === 'mlp' ? splitParams(c, raw) : raw);
        const stats = latencyStats(res.samples_ms);
        results[fw].set(i, check.ok ? { figure: c.kind === 'cnn' ? rate(stats) : figureOf(c, stats), maxErr: check.maxErr } : { wrong: check.maxErr });
      }
    }
    return { info: parsed.info, results };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Splits [before params…, after params…] back into two lists of the MLP's four tensors. */
function splitParams(c, raw) {
  const sizes = [c.inDim * c.hidden, c.hidden, c.hidden * c.classes, c.classes];
  const lists = [[], []];
  let o = 0;
  for (const list of lists)
    for (const s of sizes) {
      list.push(raw.subarray(o, o + s));
      o += s;
    }
  return { before: lists[0], after: lists[1] };
}
