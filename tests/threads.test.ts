// GEMM across worker threads: the same bits as one thread for every transpose case and shape,
// across memory growth, before the workers are up, and without keeping Node alive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Generator, conv2d, getNumThreads, matmul, randn, setNumThreads, zeros, type Tensor } from '../src/index.js';
import { backendFor } from '../src/device.js';
import type { WasmBackend } from '../src/backend/wasm.js';
import { split, type GemmCall } from '../src/backend/threads.js';

const wasm = () => backendFor('wasm') as WasmBackend;
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
  const shapes: [number, number, number][] = [[257, 93, 131], [6, 301, 1000], [192, 192, 192]];
  for (const [m, k, n] of shapes) {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
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

describe('split', () => {
  const call: GemmCall = { tA: 0, tB: 0, m: 10, n: 6, k: 3, alpha: 1, a: 1000, lda: 3, b: 2000, ldb: 6, beta: 0, c: 3000, ldc: 6 };

  it('cuts rows at multiples of 4 and offsets A and C by whole rows', () => {
    const blocks = split(call, 2);
    expect(blocks.map((b) => [b.m, b.a, b.c])).toEqual([[8, 1000, 3000], [2, 1000 + 4 * 8 * 3, 3000 + 4 * 8 * 6]]);
    // A stored transposed: row i of op(A) starts i floats in.
    expect(split({ ...call, tA: 1, lda: 10 }, 2)[1].a).toBe(1000 + 4 * 8);
  });

  it('cuts columns at multiples of 16 when C is wider than tall, offsetting B and C by columns', () => {
    const wide = { ...call, m: 4, n: 40, ldb: 40, ldc: 40 };
    expect(split(wide, 2).map((b) => [b.n, b.b, b.c])).toEqual([[32, 2000, 3000], [8, 2000 + 4 * 32, 3000 + 4 * 32]]);
    expect(split({ ...wide, tB: 1, ldb: 3 }, 2)[1].b).toBe(2000 + 4 * 32 * 3);
  });
});

describe('the built package in a fresh Node process', () => {
  const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
  const run = (code: string) => spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 10_000 });

  it.skipIf(!existsSync(dist))('multiplies right after import (before any worker is up) and exits promptly after a threaded matmul', () => {
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
  });
});
