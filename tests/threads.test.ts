// GEMM across worker threads: the same bits as one thread for every transpose case and shape, however
// the call is cut into chunks, across memory growth, before the workers are up, and without keeping
// Node alive; and the chunk loop's claiming, geometry and failure accounting on one thread.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Generator, conv2d, getNumThreads, matmul, randn, setNumThreads, zeros, type Tensor } from '../src/index.js';
import { backendFor } from '../src/device.js';
import type { WasmBackend } from '../src/backend/wasm.js';
import { planChunks, type GemmCall, type GemmThreads } from '../src/backend/threads.js';
import { JOB, JOB_BYTES, runChunks } from '../src/backend/gemm-worker.js';

const wasm = () => backendFor('wasm') as WasmBackend;
const pool = () => (wasm() as unknown as { threads: GemmThreads }).threads;
const rnd = (shape: number[], seed: number) => randn(shape, { generator: new Generator(seed) });

/** Runs f on 1 thread and on 2, returning both outputs' float bits and how many calls were split. */
async function oneAndTwo(f: () => Tensor): Promise<{ one: Float32Array; two: Float32Array; split: number }> {
  await setNumThreads(1);
  const one = f().toArray() as Float32Array;
  expect(await setNumThreads(2)).toBe(2);
  const before = wasm().parallelGemmCalls;
  const two = f().toArray() as Float32Array;
  return { one, two, split: wasm().parallelGemmCalls - before };
}

/** Elements whose bits differ (NaN-safe; a count, so a failure does not print 100k numbers). */
function bitDifferences(x: Float32Array, y: Float32Array): number {
  const a = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const b = new Uint32Array(y.buffer, y.byteOffset, y.length);
  let count = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) count++;
  return count;
}

describe('GEMM on two threads', () => {
  beforeAll(async () => {
    expect(await setNumThreads(2)).toBe(2);
  });
  afterAll(async () => {
    await setNumThreads(2);
  });

  // [m, k, n]: tall (split by rows, m not a multiple of 4), wide and short (split by columns), square.
  const shapes: [number, number, number][] = [
    [257, 93, 131],
    [6, 301, 1000],
    [192, 192, 192],
  ];
  for (const [m, k, n] of shapes) {
    for (const [tA, tB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]) {
      it(`equals one thread bit for bit: [${m}, ${k}] · [${k}, ${n}]${tA ? ', A transposed' : ''}${tB ? ', B transposed' : ''}`, async () => {
        const a = tA ? rnd([k, m], 1).t() : rnd([m, k], 1);
        const b = tB ? rnd([n, k], 2).t() : rnd([k, n], 2);
        const r = await oneAndTwo(() => matmul(a, b));
        expect(r.split).toBe(1);
        expect(r.one.length).toBe(m * n);
        expect(bitDifferences(r.one, r.two)).toBe(0);
      });
    }
  }

  it('equals one thread bit for bit when cut into many more chunks than threads, odd last chunks included', async () => {
    const saved = pool().chunking;
    pool().chunking = { perThread: 16, minExtent: 4 };
    try {
      // [m, k, n]: 257 rows in chunks of 12 (the last of 5), 1000 columns in chunks of 32 (the last of 8), k past KC = 256.
      for (const [m, k, n] of [
        [257, 300, 131],
        [6, 301, 1000],
        [99, 517, 67],
      ] as const) {
        for (const [tA, tB] of [
          [false, false],
          [true, false],
          [false, true],
          [true, true],
        ]) {
          const a = tA ? rnd([k, m], 13).t() : rnd([m, k], 13);
          const b = tB ? rnd([n, k], 14).t() : rnd([k, n], 14);
          const r = await oneAndTwo(() => matmul(a, b));
          expect(r.split).toBe(1);
          expect(bitDifferences(r.one, r.two)).toBe(0);
        }
      }
      // alpha and beta reach every chunk: C = 0.75·A·B + 0.5·C straight through the backend.
      const [a, b, c0] = [rnd([300, 200], 15), rnd([200, 120], 16), rnd([300, 120], 17)];
      const r = await oneAndTwo(() => {
        const c = c0.add(0);
        wasm().gemm({
          transA: false,
          transB: false,
          m: 300,
          n: 120,
          k: 200,
          alpha: 0.75,
          a: a.storage,
          aOffset: 0,
          lda: 200,
          b: b.storage,
          bOffset: 0,
          ldb: 120,
          beta: 0.5,
          c: c.storage,
          cOffset: 0,
          ldc: 120,
        });
        return c;
      });
      expect(r.split).toBe(1);
      expect(bitDifferences(r.one, r.two)).toBe(0);
      const [av, bv, cv] = [a.toArray(), b.toArray(), c0.toArray()] as Float32Array[];
      let dot = 0;
      for (let p = 0; p < 200; p++) dot += av[299 * 200 + p] * bv[p * 120 + 119];
      expect(r.two[299 * 120 + 119]).toBeCloseTo(0.75 * dot + 0.5 * cv[299 * 120 + 119], 3);
    } finally {
      pool().chunking = saved;
    }
  });

  it('splits each image of a batched matmul and each GEMM of conv2d, with the same bits', async () => {
    const a = rnd([3, 130, 70], 3);
    const b = rnd([70, 150], 4);
    const mm = await oneAndTwo(() => matmul(a, b));
    expect(mm.split).toBe(3);
    expect(bitDifferences(mm.one, mm.two)).toBe(0);
    const x = rnd([2, 8, 40, 40], 5);
    const w = rnd([32, 8, 3, 3], 6);
    const conv = await oneAndTwo(() => conv2d(x, w, null, { padding: 1 }));
    expect(conv.split).toBe(2);
    expect(bitDifferences(conv.one, conv.two)).toBe(0);
  });

  it('leaves small products on the calling thread', async () => {
    const before = wasm().parallelGemmCalls;
    matmul(rnd([64, 64], 7), rnd([64, 64], 8));
    expect(wasm().parallelGemmCalls).toBe(before);
  });

  it('keeps working after the shared memory grows', async () => {
    const a = rnd([300, 200], 9);
    const b = rnd([200, 100], 10);
    const first = await oneAndTwo(() => matmul(a, b));
    // 64 MiB more than anything so far: the allocator grows the memory, and the workers must see it.
    const big = zeros([16 * 1024 * 1024]);
    const beyond = await oneAndTwo(() => matmul(a.add(0), b.add(0)));
    expect(wasm().stats().wasmBytes).toBeGreaterThan(64 * 1024 * 1024);
    expect(bitDifferences(first.two, beyond.two)).toBe(0);
    expect(bitDifferences(beyond.one, beyond.two)).toBe(0);
    big.dispose();
  });

  it('runs on one thread after setNumThreads(1), and rejects counts that are not positive integers', async () => {
    expect(await setNumThreads(1)).toBe(1);
    expect(getNumThreads()).toBe(1);
    const before = wasm().parallelGemmCalls;
    matmul(rnd([256, 256], 11), rnd([256, 256], 12));
    expect(wasm().parallelGemmCalls).toBe(before);
    expect(() => setNumThreads(0)).toThrow('setNumThreads: expected a positive integer (got 0)');
    expect(() => setNumThreads(1.5)).toThrow(RangeError);
    expect(await setNumThreads(2)).toBe(2);
    expect(getNumThreads()).toBe(2);
  });
});

describe('planChunks', () => {
  const call: GemmCall = { tA: 0, tB: 0, m: 256, n: 256, k: 256, alpha: 1, a: 0, lda: 256, b: 0, ldb: 256, beta: 0, c: 0, ldc: 256 };
  const chunking = { perThread: 4, minExtent: 64 };

  it('cuts rows into more chunks than threads, but none shorter than minExtent rows', () => {
    expect(planChunks(call, 2, chunking)).toEqual({ byRows: true, step: 64, count: 4 });
    expect(planChunks({ ...call, m: 1024 }, 2, chunking)).toEqual({ byRows: true, step: 128, count: 8 });
    // Too short for two 64-row chunks per thread: one per thread, at multiples of MR = 4.
    expect(planChunks({ ...call, m: 258 }, 4, chunking)).toEqual({ byRows: true, step: 68, count: 4 });
    expect(planChunks({ ...call, m: 10, n: 6 }, 2, chunking)).toEqual({ byRows: true, step: 8, count: 2 });
  });

  it('cuts columns, at multiples of 16, when C is wider than tall', () => {
    expect(planChunks({ ...call, m: 6, n: 1000 }, 2, chunking)).toEqual({ byRows: false, step: 128, count: 8 });
    expect(planChunks({ ...call, m: 4, n: 40 }, 2, chunking)).toEqual({ byRows: false, step: 32, count: 2 });
  });
});

describe('runChunks', () => {
  type Args = number[];
  /** A job block holding `call` cut by `plan`, claimable as generation `gen`, and a gemm that records its calls. */
  function job(call: GemmCall, plan: { byRows: boolean; step: number; count: number }, gen: number) {
    const buffer = new SharedArrayBuffer(JOB_BYTES);
    const ints = new Int32Array(buffer);
    const scalars = new Float64Array(buffer);
    ints.set([call.tA, call.tB, call.m, call.n, call.k, call.a, call.lda, call.b, call.ldb, call.c, call.ldc, +plan.byRows, plan.step, plan.count], JOB.tA);
    scalars[JOB.alpha] = call.alpha;
    scalars[JOB.beta] = call.beta;
    ints[JOB.claim] = ints[JOB.finished] = gen << JOB.indexBits;
    const calls: Args[] = [];
    const gemm = (...args: Args) => void calls.push(args);
    return { ints, scalars, calls, gemm };
  }
  const call: GemmCall = { tA: 0, tB: 0, m: 10, n: 6, k: 3, alpha: 0.5, a: 1000, lda: 3, b: 2000, ldb: 6, beta: 2, c: 3000, ldc: 6 };

  it('computes every row chunk once, offsetting A and C by whole rows (A by single floats when stored transposed)', () => {
    const j = job(call, { byRows: true, step: 4, count: 3 }, 7);
    runChunks(j.ints, j.scalars, JOB, 7, j.gemm, 99);
    expect(j.calls).toEqual([0, 4, 8].map((i) => [0, 0, Math.min(4, 10 - i), 6, 3, 0.5, 1000 + 4 * i * 3, 3, 2000, 6, 2, 3000 + 4 * i * 6, 6, 99]));
    expect(j.ints[JOB.finished]).toBe((7 << JOB.indexBits) | 3);
    const t = job({ ...call, tA: 1, lda: 10 }, { byRows: true, step: 8, count: 2 }, 7);
    runChunks(t.ints, t.scalars, JOB, 7, t.gemm, 99);
    expect(t.calls.map((c) => [c[2], c[6]])).toEqual([
      [8, 1000],
      [2, 1000 + 4 * 8],
    ]);
  });

  it('computes column chunks, offsetting B and C by columns (B by whole rows when stored transposed)', () => {
    const wide = { ...call, m: 4, n: 40, ldb: 40, ldc: 40 };
    const j = job(wide, { byRows: false, step: 32, count: 2 }, 1);
    runChunks(j.ints, j.scalars, JOB, 1, j.gemm, 0);
    expect(j.calls.map((c) => [c[2], c[3], c[8], c[11]])).toEqual([
      [4, 32, 2000, 3000],
      [4, 8, 2000 + 4 * 32, 3000 + 4 * 32],
    ]);
    const t = job({ ...wide, tB: 1, ldb: 3 }, { byRows: false, step: 32, count: 2 }, 1);
    runChunks(t.ints, t.scalars, JOB, 1, t.gemm, 0);
    expect(t.calls[1][8]).toBe(2000 + 4 * 32 * 3);
  });

  it('takes only the chunks left, and nothing from another generation or a closed call', () => {
    const j = job(call, { byRows: true, step: 4, count: 3 }, 5);
    j.ints[JOB.claim] = (5 << JOB.indexBits) | 2;
    runChunks(j.ints, j.scalars, JOB, 5, j.gemm, 0);
    expect(j.calls.map((c) => c[2])).toEqual([2]);
    const late = job(call, { byRows: true, step: 4, count: 3 }, 6);
    runChunks(late.ints, late.scalars, JOB, 5, late.gemm, 0);
    late.ints[JOB.claim] = (6 << JOB.indexBits) | ((1 << JOB.indexBits) - 1);
    runChunks(late.ints, late.scalars, JOB, 6, late.gemm, 0);
    expect(late.calls).toEqual([]);
    // The largest generation sets CLAIM's sign bit; it must still match.
    const top = 2 ** (32 - JOB.indexBits) - 1;
    const high = job(call, { byRows: true, step: 4, count: 3 }, top);
    runChunks(high.ints, high.scalars, JOB, top, high.gemm, 0);
    expect(high.calls.length).toBe(3);
    expect(high.ints[JOB.finished] & ((1 << JOB.indexBits) - 1)).toBe(3);
  });

  it('does not count a chunk towards a later call when its thread finishes after the call was given up', () => {
    const j = job(call, { byRows: true, step: 4, count: 3 }, 4);
    const next = 5 << JOB.indexBits;
    // While the chunk runs, the caller gives up on generation 4 and publishes generation 5.
    runChunks(
      j.ints,
      j.scalars,
      JOB,
      4,
      () => {
        j.ints[JOB.finished] = j.ints[JOB.claim] = next;
      },
      0,
    );
    expect(j.ints[JOB.finished]).toBe(next);
  });

  it('counts a chunk that throws as finished, so a waiting thread is released, and rethrows', () => {
    const j = job(call, { byRows: true, step: 4, count: 3 }, 2);
    const failing = () => {
      throw new RangeError('out of bounds');
    };
    expect(() => runChunks(j.ints, j.scalars, JOB, 2, failing, 0)).toThrow('out of bounds');
    expect(j.ints[JOB.finished]).toBe((2 << JOB.indexBits) | 1);
    expect(j.ints[JOB.claim] & ((1 << JOB.indexBits) - 1)).toBe(1);
  });
});

describe('the built package in a fresh Node process', () => {
  const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
  const run = (code: string) => spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 10_000 });

  it.skipIf(!existsSync(dist))(
    'multiplies right after import (before any worker is up) and exits promptly after a threaded matmul (skipped when dist/ is not built)',
    () => {
      const code = `
      const T = await import(${JSON.stringify(pathToFileURL(dist).href)});
      const a = T.randn([300, 300], { generator: new T.Generator(1) });
      const b = T.randn([300, 300], { generator: new T.Generator(2) });
      const early = T.matmul(a, b).toArray();
      await T.setNumThreads(2);
      const late = T.matmul(a, b).toArray();
      console.log(T.getNumThreads(), early.every((v, i) => Object.is(v, late[i])));
    `;
      const started = Date.now();
      const r = run(code);
      expect(r.error).toBeUndefined();
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('2 true');
      expect(r.status).toBe(0);
      expect(Date.now() - started).toBeLessThan(5_000);
    },
  );
});
