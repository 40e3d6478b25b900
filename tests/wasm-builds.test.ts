// Every way the shipped wasm builds are put together at load time (src/backend/wasm-builds.ts):
// kernels on a non-shared or a shared memory (the import patched to shared), GEMM from the baseline
// or the relaxed-SIMD module, and the worker's GEMM module beside the kernels on one shared memory.
// Each must instantiate and give the same small GEMM and elementwise results. The relaxed variants
// run only where WebAssembly.validate takes them (Node 22, Chromium; Node 20 with
// --experimental-wasm-relaxed-simd).
import { describe, expect, it } from 'vitest';
import type { KernelExports } from '../src/backend/kernel-exports.js';
import { instantiateKernels, kernelsMemory, relaxedSimdSupported, wasmBuilds, withSharedMemory, workerGemmBytes } from '../src/backend/wasm-builds.js';

type Gemm = KernelExports['gemmF32'];
type Kernels = Pick<KernelExports, 'memory' | 'heapBase' | 'gemmWorkBytes' | 'gemmF32' | 'expF32'>;

const relaxed = relaxedSimdSupported();
const M = 5,
  N = 9,
  K = 7,
  LEN = 11;
const A = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i + 1));
const B = Float32Array.from({ length: K * N }, (_, i) => Math.cos(2 * i + 1));
const X = Float32Array.from({ length: LEN }, (_, i) => (i - 5) / 2);

/** Runs C = A·B (with the given GEMM, default the kernels') and exp(X) in the kernels' memory. */
function run(k: Kernels, gemm: Gemm = k.gemmF32): { c: Float32Array; e: Float32Array } {
  let top = k.heapBase();
  const put = (n: number, data?: Float32Array): number => {
    const p = top;
    top += 4 * n + 16;
    if (data) new Float32Array(k.memory.buffer, p, n).set(data);
    return p;
  };
  const work = put(k.gemmWorkBytes() / 4);
  const [a, b, c] = [put(M * K, A), put(K * N, B), put(M * N)];
  const [x, out] = [put(LEN, X), put(LEN)];
  gemm(0, 0, M, N, K, 1, a, K, b, N, 0, c, N, work);
  k.expF32(x, out, LEN);
  return { c: new Float32Array(k.memory.buffer, c, M * N).slice(), e: new Float32Array(k.memory.buffer, out, LEN).slice() };
}

const expectedC = Float32Array.from({ length: M * N }, (_, ij) => {
  const [i, j] = [Math.floor(ij / N), ij % N];
  let s = 0;
  for (let p = 0; p < K; p++) s += A[i * K + p] * B[p * N + j];
  return s;
});

const variants = [
  { name: 'baseline, unshared memory', shared: false, relaxed: false },
  { name: 'baseline, shared memory', shared: true, relaxed: false },
  { name: 'relaxed GEMM, unshared memory', shared: false, relaxed: true },
  { name: 'relaxed GEMM, shared memory', shared: true, relaxed: true },
];

describe('shipped wasm builds', () => {
  const reference = run(instantiateKernels(kernelsMemory(false), false, false));

  it('compute the reference GEMM and exp', () => {
    for (let i = 0; i < M * N; i++) expect(reference.c[i]).toBeCloseTo(expectedC[i], 5);
    for (let i = 0; i < LEN; i++) expect(reference.e[i]).toBeCloseTo(Math.exp(X[i]), 5);
  });

  for (const v of variants) {
    it.skipIf(v.relaxed && !relaxed)(
      `${v.name}: instantiates and agrees with the baseline${v.relaxed && !relaxed ? ' (skipped: no relaxed SIMD here)' : ''}`,
      () => {
        const k = instantiateKernels(kernelsMemory(v.shared), v.shared, v.relaxed);
        expect(k.memory.buffer instanceof SharedArrayBuffer).toBe(v.shared);
        const got = run(k);
        // FMA rounds once where mul+add rounds twice: equal to a few ulps, not bitwise.
        for (let i = 0; i < M * N; i++) expect(got.c[i]).toBeCloseTo(reference.c[i], 5);
        expect(got.e).toEqual(reference.e);
      },
    );
  }

  for (const r of [false, true]) {
    it.skipIf(r && !relaxed)(
      `the worker GEMM module (${r ? 'relaxed' : 'baseline'}) runs beside the kernels on one shared memory${r && !relaxed ? ' (skipped: no relaxed SIMD here)' : ''}`,
      () => {
        const memory = kernelsMemory(true);
        const k = instantiateKernels(memory, true, r);
        const staticData = new Uint8Array(memory.buffer, 0, k.heapBase()).slice();
        const worker = new WebAssembly.Instance(new WebAssembly.Module(workerGemmBytes(r) as BufferSource), { env: { memory } });
        // It has no data segments, so instantiating it left the kernels' static data alone.
        expect(new Uint8Array(memory.buffer, 0, k.heapBase())).toEqual(staticData);
        expect(run(k, worker.exports.gemmF32 as Gemm).c).toEqual(run(k).c);
      },
    );
  }
});

describe('withSharedMemory', () => {
  it("flips only the memory import's limits flag, so a shared memory links", () => {
    const bytes = wasmBuilds.gemm();
    const patched = withSharedMemory(bytes);
    const diff = [...bytes.keys()].filter((i) => bytes[i] !== patched[i]);
    expect(diff.map((i) => [bytes[i], patched[i]])).toEqual([[0x01, 0x03]]);
    const memory = kernelsMemory(true);
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), { env: { memory } })).toThrow(WebAssembly.LinkError);
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(patched as BufferSource), { env: { memory } })).not.toThrow();
  });

  it('rejects a module that imports no memory, and one whose memory is already shared', () => {
    // (module) and (module (import "env" "memory" (memory 1 2 shared))), by hand.
    const empty = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);
    expect(() => withSharedMemory(empty)).toThrow('wasm: the module imports no memory');
    const shared = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, 0x10, 1, 3, 0x65, 0x6e, 0x76, 6, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 2, 3, 1, 2);
    expect(WebAssembly.validate(shared)).toBe(true);
    expect(() => withSharedMemory(shared)).toThrow('wasm: the memory import has limits flag 3, expected 1');
  });
});
