// GEMM, fused attention and GELU across worker threads: the same bits as one thread for every transpose
// case and shape, however the call is cut into chunks, across memory growth, before the workers are
// up, and without keeping Node alive; and the chunk loop's claiming, geometry and failure accounting
// on one thread.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Generator, conv2d, getNumThreads, manualSeed, matmul, nn, randn, setNumThreads, zeros, type Tensor } from '../src/index.js';
import { backendFor } from '../src/device.js';
import type { WasmBackend } from '../src/backend/wasm.js';
import { planChunks, type GemmCall, type GemmThreads } from '../src/backend/threads.js';
import { ELEMENTWISE, JOB, JOB_BYTES, JOB_KIND, runChunks, type ThreadKernels } from '../src/backend/gemm-worker.js';

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

describe('fused attention on two threads', () => {
  const F = nn.functional;
  beforeAll(async () => {
    expect(await setNumThreads(2)).toBe(2);
  });

  /** Output and the three input gradients of attention(q, k, v) under a fixed upstream gradient, as one array. */
  function forwardBackward(shape: number[], seed: number, attention: (q: Tensor, k: Tensor, v: Tensor) => Tensor): () => Tensor {
    const [q0, k0, v0] = [0, 1, 2].map((i) => rnd(shape, seed + i));
    const g = rnd(shape, seed + 3);
    return () => {
      const [q, k, v] = [q0, k0, v0].map((t) => t.detach().requiresGrad_());
      const out = attention(q, k, v);
      out.mul(g).sum().backward();
      return nn.utils.parametersToVector([out, q.grad!, k.grad!, v.grad!]);
    };
  }

  it('splits the batch·head entries of the forward and the backward, with the same bits: causal, a shared float mask, a per-batch bool mask', async () => {
    // 2·5 entries of 64 queries: 10 entries cut into 4 runs (the last shorter).
    const shape = [2, 5, 64, 32];
    const floatMask = rnd([64, 64], 20).mul(0.5);
    const boolMask = rnd([2, 5, 64, 64], 21).gt(-1);
    for (const attention of [
      (q: Tensor, k: Tensor, v: Tensor) => F.scaledDotProductAttention(q, k, v, { isCausal: true }),
      (q: Tensor, k: Tensor, v: Tensor) => F.scaledDotProductAttention(q, k, v, { attnMask: floatMask, scale: 0.3 }),
      (q: Tensor, k: Tensor, v: Tensor) => F.scaledDotProductAttention(q, k, v, { attnMask: boolMask }),
    ]) {
      const r = await oneAndTwo(forwardBackward(shape, 30, attention));
      expect(r.split).toBe(2);
      expect(r.one.length).toBe(4 * 2 * 5 * 64 * 32);
      expect(bitDifferences(r.one, r.two)).toBe(0);
    }
  });

  it('gives a Transformer encoder layer the same output and parameter gradients on one thread and two', async () => {
    manualSeed(3);
    const layer = new nn.TransformerEncoderLayer(64, 4, { dimFeedforward: 128, dropout: 0, batchFirst: true });
    const x = rnd([4, 48, 64], 40);
    const r = await oneAndTwo(() => {
      layer.zeroGrad();
      const y = layer(x, { isCausal: true });
      y.square().mean().backward();
      return nn.utils.parametersToVector([y, ...layer.parameters().map((p) => p.grad!)]);
    });
    expect(r.split).toBeGreaterThanOrEqual(2);
    expect(bitDifferences(r.one, r.two)).toBe(0);
  });

  it('leaves small attention on the calling thread', async () => {
    const before = wasm().parallelGemmCalls;
    F.scaledDotProductAttention(rnd([2, 8, 16], 50), rnd([2, 8, 16], 51), rnd([2, 8, 16], 52));
    expect(wasm().parallelGemmCalls).toBe(before);
  });
});

describe('GELU on two threads', () => {
  beforeAll(async () => {
    expect(await setNumThreads(2)).toBe(2);
  });

  for (const approximate of ['none', 'tanh'] as const) {
    it(`splits GELU (approximate '${approximate}') and its backward by element ranges, with the same bits, odd tail included`, async () => {
      // 3·40001 elements: 4 chunks of 30016, the last 29955 long (its 3 last elements through the scalar tail).
      const x0 = rnd([3, 40001], 70).mul(3);
      const g = rnd([3, 40001], 71);
      const r = await oneAndTwo(() => {
        const x = x0.detach().requiresGrad_();
        const y = nn.functional.gelu(x, { approximate });
        y.mul(g).sum().backward();
        return nn.utils.parametersToVector([y, x.grad!]);
      });
      // The forward and the backward; matmul-free, so nothing else splits.
      expect(r.split).toBe(2);
      expect(bitDifferences(r.one, r.two)).toBe(0);
    });
  }

  it('leaves a small GELU on the calling thread', async () => {
    const before = wasm().parallelGemmCalls;
    nn.functional.gelu(rnd([100, 100], 72));
    expect(wasm().parallelGemmCalls).toBe(before);
  });
});

describe('LSTM and GRU on two threads', () => {
  beforeAll(async () => {
    expect(await setNumThreads(2)).toBe(2);
  });

  for (const Layer of [nn.LSTM, nn.GRU]) {
    it(`${Layer.name}: the recurrent GEMMs against the once-packed weight_hh split by rows, with the same output and gradients as one thread`, async () => {
      manualSeed(5);
      const rnn = new Layer(48, 128, { numLayers: 1, bidirectional: true });
      const x = rnd([12, 32, 48], 60);
      const r = await oneAndTwo(() => {
        rnn.zeroGrad();
        const [y] = rnn(x);
        y.square().mean().backward();
        return nn.utils.parametersToVector([y, ...rnn.parameters().map((p) => p.grad!)]);
      });
      // 12 steps × 2 directions forward and backward: the recurrent GEMMs (32 × 512 × 128 for the LSTM) split.
      expect(r.split).toBeGreaterThanOrEqual(2 * 12 * 2);
      expect(bitDifferences(r.one, r.two)).toBe(0);
    });
  }
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

  it('cuts a whole number of chunks per thread, so no thread is left with one more', () => {
    // Room for three 64-row chunks: two of 100 rows, one per thread, instead of 2 + 1.
    expect(planChunks({ ...call, m: 200, n: 16 }, 2, chunking)).toEqual({ byRows: true, step: 100, count: 2 });
    expect(planChunks({ ...call, m: 7 * 64 }, 3, chunking)).toEqual({ byRows: true, step: 76, count: 6 });
  });

  it('cuts columns, at multiples of 16, when C is wider than tall', () => {
    expect(planChunks({ ...call, m: 6, n: 1000 }, 2, chunking)).toEqual({ byRows: false, step: 128, count: 8 });
    expect(planChunks({ ...call, m: 4, n: 40 }, 2, chunking)).toEqual({ byRows: false, step: 32, count: 2 });
  });
});

describe('runChunks', () => {
  type Args = number[];
  const unexpected = () => {
    throw new Error('not a GEMM call');
  };
  /** Kernels whose GEMM is `gemm` and whose attention must not run. */
  const only = (gemm: (...args: Args) => void): ThreadKernels => ({
    gemm,
    gemmPacked: unexpected,
    attention: unexpected,
    attentionBackward: unexpected,
    elementwise: [],
  });
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
    runChunks(j.ints, j.scalars, JOB, 7, only(j.gemm), 99, 0);
    expect(j.calls).toEqual([0, 4, 8].map((i) => [0, 0, Math.min(4, 10 - i), 6, 3, 0.5, 1000 + 4 * i * 3, 3, 2000, 6, 2, 3000 + 4 * i * 6, 6, 99]));
    expect(j.ints[JOB.finished]).toBe((7 << JOB.indexBits) | 3);
    const t = job({ ...call, tA: 1, lda: 10 }, { byRows: true, step: 8, count: 2 }, 7);
    runChunks(t.ints, t.scalars, JOB, 7, only(t.gemm), 99, 0);
    expect(t.calls.map((c) => [c[2], c[6]])).toEqual([
      [8, 1000],
      [2, 1000 + 4 * 8],
    ]);
  });

  it('computes column chunks, offsetting B and C by columns (B by whole rows when stored transposed)', () => {
    const wide = { ...call, m: 4, n: 40, ldb: 40, ldc: 40 };
    const j = job(wide, { byRows: false, step: 32, count: 2 }, 1);
    runChunks(j.ints, j.scalars, JOB, 1, only(j.gemm), 0, 0);
    expect(j.calls.map((c) => [c[2], c[3], c[8], c[11]])).toEqual([
      [4, 32, 2000, 3000],
      [4, 8, 2000 + 4 * 32, 3000 + 4 * 32],
    ]);
    const t = job({ ...wide, tB: 1, ldb: 3 }, { byRows: false, step: 32, count: 2 }, 1);
    runChunks(t.ints, t.scalars, JOB, 1, only(t.gemm), 0, 0);
    expect(t.calls[1][8]).toBe(2000 + 4 * 32 * 3);
  });

  it('gives an attention chunk its run of batch entries, every operand advanced by whole entries (a shared mask not at all)', () => {
    const buffer = new SharedArrayBuffer(JOB_BYTES);
    const ints = new Int32Array(buffer);
    const scalars = new Float64Array(buffer);
    // 5 entries in runs of 2; L 3, S 4, E 2, Ev 5; per-entry mask (stride 12), then backward.
    const [L, S, E, Ev] = [3, 4, 2, 5];
    ints.set([5, L, S, E, Ev, 1, 1000, 2000, 3000, 4000, 12, 5000, 6000, 7000, 8000, 9000, 10000], JOB.attBatch);
    ints[JOB.step] = 2;
    ints[JOB.count] = 3;
    ints[JOB.kind] = JOB_KIND.attentionBackward;
    scalars[JOB.alpha] = 0.25;
    ints[JOB.claim] = ints[JOB.finished] = 3 << JOB.indexBits;
    const calls: number[][] = [];
    const kernels: ThreadKernels = {
      gemm: unexpected,
      gemmPacked: unexpected,
      attention: unexpected,
      attentionBackward: (...args: number[]) => void calls.push(args),
      elementwise: [],
    };
    runChunks(ints, scalars, JOB, 3, kernels, 77, 88);
    const at = (base: number, b0: number, per: number) => base + 4 * b0 * per;
    expect(calls).toEqual(
      [0, 2, 4].map((b0) => [
        at(1000, b0, L * E),
        at(2000, b0, S * E),
        at(3000, b0, S * Ev),
        at(4000, b0, 12),
        12,
        at(5000, b0, L * Ev),
        at(6000, b0, L),
        at(7000, b0, L * Ev),
        at(8000, b0, L * E),
        at(9000, b0, S * E),
        at(10000, b0, S * Ev),
        Math.min(2, 5 - b0),
        L,
        S,
        E,
        Ev,
        0.25,
        1,
        88,
      ]),
    );
    expect(ints[JOB.finished]).toBe((3 << JOB.indexBits) | 3);
    // Forward, one mask for every entry (stride 0), no mask pointer advance; 0 stays 0 (absent).
    calls.length = 0;
    ints[JOB.kind] = JOB_KIND.attention;
    ints[JOB.attMaskStride] = 0;
    ints[JOB.claim] = ints[JOB.finished] = 4 << JOB.indexBits;
    runChunks(ints, scalars, JOB, 4, { ...kernels, attention: (...args: number[]) => void calls.push(args) }, 77, 88);
    expect(calls.map((c) => [c[0], c[3], c[4], c[5], c[7]])).toEqual(
      [0, 2, 4].map((b0) => [at(1000, b0, L * E), 4000, 0, at(5000, b0, L * Ev), Math.min(2, 5 - b0)]),
    );
    ints[JOB.attMask] = 0;
    ints[JOB.claim] = ints[JOB.finished] = 5 << JOB.indexBits;
    calls.length = 0;
    runChunks(ints, scalars, JOB, 5, { ...kernels, attention: (...args: number[]) => void calls.push(args) }, 77, 88);
    expect(calls.map((c) => c[3])).toEqual([0, 0, 0]);
  });

  it('gives an elementwise chunk its range, every operand advanced by whole elements (an unused one left at 0)', () => {
    const buffer = new SharedArrayBuffer(JOB_BYTES);
    const ints = new Int32Array(buffer);
    // 100 elements in chunks of 48: the last one 4 long.
    ints.set([ELEMENTWISE.geluBackward, 1000, 0, 2000, 3000, 100, 1], JOB.ewKernel);
    ints[JOB.kind] = JOB_KIND.elementwise;
    ints[JOB.step] = 48;
    ints[JOB.count] = 3;
    ints[JOB.claim] = ints[JOB.finished] = 3 << JOB.indexBits;
    const calls: Args[] = [];
    const record = (...args: Args) => void calls.push(args);
    runChunks(ints, new Float64Array(buffer), JOB, 3, { ...only(unexpected), elementwise: [unexpected, unexpected, record] }, 0, 0);
    expect(calls).toEqual([0, 48, 96].map((i) => [1000 + 4 * i, 0, 2000 + 4 * i, 3000 + 4 * i, Math.min(48, 100 - i), 1]));
    expect(ints[JOB.finished]).toBe((3 << JOB.indexBits) | 3);
  });

  it('cuts a GEMM against a packed B by rows, every chunk reading the whole packed B', () => {
    const j = job({ ...call, b: 5000 }, { byRows: true, step: 4, count: 3 }, 9);
    j.ints[JOB.kind] = JOB_KIND.gemmPacked;
    const calls: Args[] = [];
    runChunks(j.ints, j.scalars, JOB, 9, { ...only(unexpected), gemmPacked: (...args: Args) => void calls.push(args) }, 99, 0);
    expect(calls).toEqual([0, 4, 8].map((i) => [0, Math.min(4, 10 - i), 6, 3, 0.5, 1000 + 4 * i * 3, 3, 5000, 2, 3000 + 4 * i * 6, 6, 99]));
  });

  it('takes only the chunks left, and nothing from another generation or a closed call', () => {
    const j = job(call, { byRows: true, step: 4, count: 3 }, 5);
    j.ints[JOB.claim] = (5 << JOB.indexBits) | 2;
    runChunks(j.ints, j.scalars, JOB, 5, only(j.gemm), 0, 0);
    expect(j.calls.map((c) => c[2])).toEqual([2]);
    const late = job(call, { byRows: true, step: 4, count: 3 }, 6);
    runChunks(late.ints, late.scalars, JOB, 5, only(late.gemm), 0, 0);
    late.ints[JOB.claim] = (6 << JOB.indexBits) | ((1 << JOB.indexBits) - 1);
    runChunks(late.ints, late.scalars, JOB, 6, only(late.gemm), 0, 0);
    expect(late.calls).toEqual([]);
    // The largest generation sets CLAIM's sign bit; it must still match.
    const top = 2 ** (32 - JOB.indexBits) - 1;
    const high = job(call, { byRows: true, step: 4, count: 3 }, top);
    runChunks(high.ints, high.scalars, JOB, top, only(high.gemm), 0, 0);
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
      only(() => {
        j.ints[JOB.finished] = j.ints[JOB.claim] = next;
      }),
      0,
      0,
    );
    expect(j.ints[JOB.finished]).toBe(next);
  });

  it('counts a chunk that throws as finished, so a waiting thread is released, and rethrows', () => {
    const j = job(call, { byRows: true, step: 4, count: 3 }, 2);
    const failing = () => {
      throw new RangeError('out of bounds');
    };
    expect(() => runChunks(j.ints, j.scalars, JOB, 2, only(failing), 0, 0)).toThrow('out of bounds');
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
