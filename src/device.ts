/** The two backends, created on first use, and the default device for new tensors. */
import type { Backend } from './backend/backend.js';
import { ReferenceBackend } from './backend/reference.js';
import { WasmBackend } from './backend/wasm.js';
import { availableCores } from './backend/threads.js';
import type { Device } from './dtype.js';

let wasm: WasmBackend | null = null;
let js: ReferenceBackend | null = null;
let defaultDevice: Device = 'wasm';

export function backendFor(device: Device): Backend {
  if (device === 'wasm') return (wasm ??= new WasmBackend());
  if (device === 'js') return (js ??= new ReferenceBackend());
  throw new TypeError(`unknown device '${String(device)}' (expected 'wasm' or 'js')`);
}

/** The backends created so far. */
export function activeBackends(): Backend[] {
  return [wasm, js].filter((b): b is WasmBackend | ReferenceBackend => b !== null);
}

/** Sets the device new tensors go to when no `device` option is given. */
export function setDefaultDevice(device: Device): void {
  backendFor(device);
  defaultDevice = device;
}

/** The device new tensors go to when no `device` option is given. */
export function getDefaultDevice(): Device {
  return defaultDevice;
}

/** Which kernel build the wasm backend runs: relaxed SIMD (FMA) where the runtime supports it, else baseline SIMD. */
export function wasmFeatures(): { simd: true; relaxedSimd: boolean } {
  return { simd: true, relaxedSimd: (backendFor('wasm') as WasmBackend).relaxedSimd };
}

/**
 * Sets how many threads GEMM (matmul, linear, conv2d) splits across, counting the calling thread;
 * the default is the number of cores. Workers start in the background and GEMM uses the ones
 * already running, so awaiting is optional: the promise resolves with the threads in use once
 * they have started (1 where threads cannot run, e.g. a page that is not cross-origin isolated).
 * @example await setNumThreads(2) // 2 in Node on a machine with ≥ 2 cores
 */
export function setNumThreads(n: number): Promise<number> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer (got ${String(n)})`);
  const cores = availableCores();
  if (n > cores) {
    // More GEMM threads than cores only contend (and each worker costs memory): cap, and say so.
    console.warn(`setNumThreads: ${n} threads requested but this machine has ${cores} core(s); using ${cores}`);
    n = cores;
  }
  return (backendFor('wasm') as WasmBackend).setNumThreads(n);
}

/** How many threads GEMM splits across: the setNumThreads value (default: the core count), or 1 where threads cannot run. */
export function getNumThreads(): number {
  return (backendFor('wasm') as WasmBackend).numThreads;
}
