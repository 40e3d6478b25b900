// gemmF32 on the shapes its fast paths split on (see docs/performance.md): full and partial
// MR×NR tiles, the MR×4 half kernel for a last column sliver of ≤ 4, the transposed-B packing in
// steps of 4 k-values with a remainder, and blocks crossing MC, KC and NC. Every build the runtime
// accepts is checked (the relaxed-SIMD one only where WebAssembly.validate takes it, e.g. Node 22,
// or Node 20 via `npx vitest run tests/gemm.test.ts --execArgv=--experimental-wasm-relaxed-simd`).
// gemmPackedF32 (B packed once by gemmPackB) must give gemmF32's bits.
// Run `npm run build:wasm` first.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from './helpers.js';
import type { KernelExports } from '../src/backend/kernel-exports.js';
import { instantiateKernels, kernelsMemory, relaxedSimdSupported } from '../src/backend/wasm-builds.js';

type GemmKernels = Pick<KernelExports, 'memory' | 'heapBase' | 'gemmWorkBytes' | 'gemmF32' | 'gemmPackedBBytes' | 'gemmPackB' | 'gemmPackedF32'>;

const builds = [
  ['baseline', false],
  ['relaxed', true],
] as const;

for (const [name, relaxed] of builds) {
  const supported = !relaxed || relaxedSimdSupported();

  describe.skipIf(!supported)(`gemmF32 (${name} build${supported ? '' : '; skipped: this runtime does not validate relaxed SIMD'})`, () => {
    const K = (supported ? instantiateKernels(kernelsMemory(false), false, relaxed) : null) as unknown as GemmKernels;

    /** C = alpha·op(A)·op(B) + beta·C against a float64 loop, with padded leading dimensions and odd 4-byte offsets. */
    function check(tA: number, tB: number, m: number, n: number, k: number, alpha: number, beta: number, seed: number): void {
      const lda = (tA ? m : k) + 1;
      const ldb = (tB ? k : n) + 3;
      const ldc = n + 1;
      const rand = mulberry32(seed);
      const A = Float32Array.from({ length: (tA ? k : m) * lda }, () => rand() * 2 - 1);
      const B = Float32Array.from({ length: (tB ? n : k) * ldb }, () => rand() * 2 - 1);
      const C = beta === 0 ? new Float32Array(m * ldc).fill(NaN) : Float32Array.from({ length: m * ldc }, () => rand() * 2 - 1);
      let top = K.heapBase() + 4; // 4-byte aligned only, on purpose
      const put = (data: Float32Array): number => {
        const p = top;
        top += data.length * 4 + 20;
        const need = top - K.memory.buffer.byteLength;
        if (need > 0) K.memory.grow(Math.ceil(need / 65536));
        new Float32Array(K.memory.buffer, p, data.length).set(data);
        return p;
      };
      const work = put(new Float32Array(K.gemmWorkBytes() / 4));
      const pa = put(A);
      const pb = put(B);
      const pc = put(C);
      K.gemmF32(tA, tB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, work);
      const got = new Float32Array(K.memory.buffer, pc, m * ldc);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          let mag = 0;
          for (let p = 0; p < k; p++) {
            const x = (tA ? A[p * lda + i] : A[i * lda + p]) * (tB ? B[j * ldb + p] : B[p * ldb + j]);
            s += x;
            mag += Math.abs(x);
          }
          const old = C[i * ldc + j];
          const want = alpha * s + (beta === 0 ? 0 : beta * old);
          const tol = 2e-7 * (k + 4) * (Math.abs(alpha) * mag + (beta === 0 ? 0 : Math.abs(beta * old))) + 1e-30;
          if (!(Math.abs(got[i * ldc + j] - want) <= tol)) {
            throw new Error(`C[${i},${j}] = ${got[i * ldc + j]}, want ${want} (tA=${tA} tB=${tB} ${m}×${n}×${k})`);
          }
        }
        expect(Object.is(got[i * ldc + n], beta === 0 ? NaN : C[i * ldc + n])).toBe(true); // padding untouched
      }
    }

    it('gemmPackedF32 on a B packed once by gemmPackB gives gemmF32 bit for bit (blocks crossing MC, KC, NC; partial slivers; beta 0 and 1)', () => {
      const rand = mulberry32(7);
      let seed = 0;
      for (const [m, n, k] of [
        [133, 517, 261],
        [32, 512, 128],
        [32, 128, 512],
        [6, 20, 7],
        [5, 3, 1],
      ]) {
        expect(K.gemmPackedBBytes(n, k)).toBe(
          4 * k * [...Array(Math.ceil(n / 512)).keys()].reduce((w, j) => w + Math.ceil(Math.min(512, n - 512 * j) / 8) * 8, 0),
        );
        for (const [tA, tB, beta] of [
          [0, 0, 0],
          [1, 0, 1],
          [0, 1, 1],
          [1, 1, 0],
        ]) {
          const [lda, ldb, ldc] = [(tA ? m : k) + 1, (tB ? k : n) + 3, n + 2];
          const sizes = [(tA ? k : m) * lda, (tB ? n : k) * ldb, m * ldc, m * ldc, K.gemmPackedBBytes(n, k) / 4, K.gemmWorkBytes() / 4];
          const bytes = sizes.reduce((t, x) => t + 4 * x + 16, 0);
          let top = K.heapBase() + 4;
          const need = top + bytes - K.memory.buffer.byteLength;
          if (need > 0) K.memory.grow(Math.ceil(need / 65536));
          const [pa, pb, pc1, pc2, packed, work] = sizes.map((x) => {
            const p = top;
            top += 4 * x + 16;
            return p;
          });
          const fill = (p: number, x: number) => new Float32Array(K.memory.buffer, p, x).forEach((_, i, arr) => (arr[i] = rand() * 2 - 1));
          fill(pa, sizes[0]);
          fill(pb, sizes[1]);
          fill(pc1, sizes[2]);
          new Float32Array(K.memory.buffer, pc2, sizes[3]).set(new Float32Array(K.memory.buffer, pc1, sizes[2]));
          K.gemmF32(tA, tB, m, n, k, 0.75, pa, lda, pb, ldb, beta, pc1, ldc, work);
          K.gemmPackB(tB, n, k, pb, ldb, packed);
          K.gemmPackedF32(tA, m, n, k, 0.75, pa, lda, packed, beta, pc2, ldc, work);
          const bits = (p: number) => new Uint32Array(K.memory.buffer, p, m * ldc).slice();
          expect(bits(pc2), `${m}×${n}×${k} tA=${tA} tB=${tB} (seed ${seed++})`).toEqual(bits(pc1));
        }
      }
    });

    for (const [tA, tB] of [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ]) {
      const tag = `${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`;
      it(`${tag}: the conv GEMMs of a 1→16→32 3×3 CNN on 8×8 inputs (k = 9, n = 9, m = 9)`, () => {
        let seed = 1;
        for (const [m, n, k] of [
          [16, 64, 9],
          [16, 9, 64],
          [9, 64, 16],
          [32, 64, 144],
          [32, 144, 64],
          [144, 64, 32],
        ]) {
          check(tA, tB, m, n, k, 1, 0, seed++);
          check(tA, tB, m, n, k, 1, 1, seed++); // bias pre-loaded / gradient accumulation
        }
      });
      it(`${tag}: last column slivers of 1–4 (half kernel) and 5–7, k not a multiple of 4`, () => {
        let seed = 50;
        for (const n of [1, 2, 3, 4, 5, 7, 12, 17, 20]) for (const k of [1, 2, 3, 6, 7]) check(tA, tB, 6, n, k, -0.5, 0.75, seed++);
      });
      it(`${tag}: blocks crossing MC = 128, KC = 256 and NC = 512`, () => {
        check(tA, tB, 133, 517, 261, 1.25, 0, 90);
      });
    }
  });
}
