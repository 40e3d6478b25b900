/**
 * The inlined wasm builds and how they are put together at load time. Three binaries ship
 * (scripts/build-wasm.mjs), each importing its memory as env.memory, declared non-shared:
 * `kernels` (every kernel, baseline SIMD), `gemm` (GEMM and the fused attention on it, for
 * workers) and `gemmRelaxed` (the same with relaxed-SIMD FMA). Where GEMM runs on workers, the
 * import is flipped to shared in the binary itself, so the threaded and single-thread paths run the
 * same code; where the runtime validates relaxed SIMD, `gemmRelaxed` is instantiated on the
 * kernels' memory and its GEMM, attention, GELU and int8 GEMM on the relaxed dot product (gemmI8U7)
 * replace theirs.
 */
import type { KernelExports } from './kernel-exports.js';
import { gemmRelaxedWasm, gemmWasm, kernelsWasm } from './kernels-wasm.js';

/** The memory every build imports may grow to 65536 pages (4 GiB, wasm32's limit). */
const MAX_PAGES = 65536;
/** 16 pages leave room for the kernels' static data (a few KiB) before the allocator first grows it. */
const INITIAL_PAGES = 16;

/** A .wasm file from its inlined form: one character per byte. */
function bytesOf(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The shipped binaries, as imported (memory not shared). */
export const wasmBuilds = {
  kernels: (): Uint8Array => bytesOf(kernelsWasm),
  gemm: (): Uint8Array => bytesOf(gemmWasm),
  gemmRelaxed: (): Uint8Array => bytesOf(gemmRelaxedWasm),
};

/**
 * A copy of `bytes` whose memory import is declared shared: the import section (id 2) is walked
 * entry by entry and the memory's limits flag goes from 0x01 (has maximum) to 0x03 (has maximum,
 * shared). Sizes do not change, so nothing else in the module moves.
 */
export function withSharedMemory(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  let pos = 8; // past the magic number and version
  const leb = (): number => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = out[pos++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const skipName = (): void => {
    const length = leb();
    pos += length;
  };
  const skipLimits = (): void => {
    const flag = out[pos++];
    leb();
    if (flag & 1) leb();
  };
  while (pos < out.length) {
    const id = out[pos++];
    const size = leb();
    const end = pos + size;
    if (id === 2) {
      for (let count = leb(); count > 0; count--) {
        skipName();
        skipName();
        const kind = out[pos++];
        if (kind === 0)
          leb(); // function: type index
        else if (kind === 1) {
          pos++;
          skipLimits();
        } // table: element type, limits
        else if (kind === 3)
          pos += 2; // global: value type, mutability
        else if (kind === 2) {
          if (out[pos] !== 0x01) throw new Error(`wasm: the memory import has limits flag ${out[pos]}, expected 1 (non-shared with a maximum)`);
          out[pos] = 0x03;
          return out;
        } else throw new Error(`wasm: unexpected import kind ${kind}`);
      }
    }
    pos = end;
  }
  throw new Error('wasm: the module imports no memory');
}

/** True when this runtime compiles the relaxed-SIMD GEMM (fused multiply-add). */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(wasmBuilds.gemmRelaxed() as BufferSource);
}

/** A fresh memory for the kernels, shared (for GEMM workers) or not; throws where a shared one cannot be made. */
export function kernelsMemory(shared: boolean): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared });
}

/** The GEMM (and attention) module a worker instantiates on the shared memory: the relaxed build or the baseline one. */
export function workerGemmBytes(relaxed: boolean): Uint8Array {
  return withSharedMemory(relaxed ? wasmBuilds.gemmRelaxed() : wasmBuilds.gemm());
}

/** The exports the relaxed-SIMD GEMM module replaces in the kernels module (what the workers run too). */
const RELAXED_KERNELS = [
  'gemmF32',
  'gemmWorkBytes',
  'gemmPackB',
  'gemmPackedBBytes',
  'gemmPackedF32',
  'attentionF32',
  'attentionBackwardF32',
  'geluF32',
  'geluTanhF32',
  'geluBackwardF32',
  'gemmI8U7',
] as const satisfies readonly (keyof KernelExports)[];

/**
 * The kernels' exports on `memory` (`shared` says how it was made); with `relaxed`, RELAXED_KERNELS
 * come from the relaxed-SIMD GEMM module, instantiated on the same memory, so they run the code
 * the workers run.
 */
export function instantiateKernels(memory: WebAssembly.Memory, shared: boolean, relaxed: boolean): KernelExports {
  // The one cast from WebAssembly.Exports: the interface is generated from these very exports.
  const load = (bytes: Uint8Array): KernelExports =>
    new WebAssembly.Instance(new WebAssembly.Module((shared ? withSharedMemory(bytes) : bytes) as BufferSource), { env: { memory } })
      .exports as unknown as KernelExports;
  const kernels = load(wasmBuilds.kernels());
  if (!relaxed) return { ...kernels };
  const gemm = load(wasmBuilds.gemmRelaxed());
  const taken = Object.fromEntries(RELAXED_KERNELS.map((name) => [name, gemm[name]]));
  return { ...kernels, ...taken };
}
