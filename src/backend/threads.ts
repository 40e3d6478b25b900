/**
 * GEMM across threads that share one WebAssembly.Memory. Each worker runs the GEMM-only build on
 * that memory (`gemm-worker.ts`) with its own packing scratch; a call is split by rows of C (or by
 * columns when C is wide and short), the workers take a block each and the calling thread
 * computes the last one itself before waiting. Every element of C is computed by the same kernel
 * with the same k-blocking whatever the split, so results are bitwise those of one thread.
 *
 * Workers start asynchronously and GEMM runs on the threads that are ready, never waiting for
 * one to start. They do not keep a Node process alive (`unref`).
 */
import { gemmWorkerSource, type GemmWorkerInit } from './gemm-worker.js';

type Ptr = number;

/** One gemmF32 call: row-major C = alpha·op(A)·op(B) + beta·C, pointers in bytes (assembly/gemm.ts). */
export interface GemmCall {
  tA: number; tB: number; m: number; n: number; k: number; alpha: number;
  a: Ptr; lda: number; b: Ptr; ldb: number; beta: number; c: Ptr; ldc: number;
}

/** Runs one call (or block of one) on the calling thread, with that thread's scratch. */
export type LocalGemm = (call: GemmCall) => void;

/** Allocation of packing scratch in the shared memory, by the backend's allocator. */
export interface ScratchAllocator {
  alloc(bytes: number): Ptr;
  free(ptr: Ptr, bytes: number): void;
}

// Int32 slots of a worker's control block (a 128-byte SharedArrayBuffer of its own, so two workers'
// flags never share a cache line); alpha and beta are float64s at byte 64. Mirrored in gemm-worker.ts.
const Control = { Seq: 0, Done: 1, Status: 2, Ready: 3, Args: 4 } as const;
const CONTROL_BYTES = 128;

/** Below this many multiply-adds per thread a split costs more in wake-up and packing than it saves. */
const MIN_MACS_PER_THREAD = 1 << 19;
/** Row blocks start at multiples of the micro-kernel's MR, column blocks at multiples of every NR it may use. */
const ROW_ALIGN = 4;
const COL_ALIGN = 16;
/** A worker that has not answered after this long is taken to be lost; GEMM then fails loudly instead of hanging. */
const WORKER_TIMEOUT_MS = 60_000;
/** How long the calling thread spins on a worker's DONE before sleeping on it (Node; browsers always spin). */
const SPIN_MS = 0.2;
/** setNumThreads resolves by then even if a worker never reports (it is then not counted). */
const STARTUP_TIMEOUT_MS = 10_000;

interface NodeHost {
  os: { availableParallelism(): number };
  Worker: new (src: string, options: { eval: true; workerData: GemmWorkerInit }) => NodeWorker;
}
interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: 'error', listener: (error: Error) => void): void;
}

let host: NodeHost | null | undefined;

/** Node's builtins when running in Node (sync and invisible to bundlers, so the package still loads in browsers). */
function nodeHost(): NodeHost | null {
  if (host === undefined) host = findNodeHost();
  return host;
}

function findNodeHost(): NodeHost | null {
  const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  if (typeof get !== 'function') return null;
  const os = get('node:os') as NodeHost['os'] | undefined;
  const threads = get('node:worker_threads') as { Worker: NodeHost['Worker'] } | undefined;
  return os && threads ? { os, Worker: threads.Worker } : null;
}

/** The number of logical cores the runtime reports (1 when it does not say). */
export function availableCores(): number {
  const node = nodeHost();
  if (node) return Math.max(1, node.os.availableParallelism());
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? Math.floor(n) : 1;
}

/** Why threads cannot run here, or null when a shared memory and workers are available. */
export function threadsUnavailableReason(): string | null {
  if (typeof SharedArrayBuffer === 'undefined') {
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
    return isolated === false
      ? 'SharedArrayBuffer is unavailable because the page is not cross-origin isolated (serve it with the headers ' +
        'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)'
      : 'SharedArrayBuffer is unavailable in this runtime';
  }
  if (nodeHost() === null && typeof Worker === 'undefined') return 'this runtime has no Worker';
  return null;
}

interface Slot {
  control: SharedArrayBuffer;
  ctl: Int32Array;
  scalars: Float64Array;
  stop: () => void;
  /** Packing scratch, allocated at the slot's first call (0 until then), so unthreaded programs pay nothing. */
  work: Ptr;
  seq: number;
  failed: boolean;
}

/** A pool of GEMM workers over one shared memory; `threads` counts the calling thread. */
export class GemmThreads {
  private readonly slots: Slot[] = [];
  private wanted: number;
  /** Calls that ran split across more than one thread (for tests and benchmarks). */
  parallelCalls = 0;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly workerModule: Uint8Array,
    private readonly workBytes: number,
    private readonly scratch: ScratchAllocator,
    threads: number,
  ) {
    this.wanted = threads;
  }

  /** The thread count GEMM splits across once the workers are up. */
  get threads(): number {
    return this.wanted;
  }

  /** Sets the thread count; resolves with the number of threads running once the workers have started. */
  setThreads(n: number): Promise<number> {
    this.wanted = n;
    while (this.slots.length > n - 1) this.retire(this.slots.pop()!);
    this.spawn();
    return this.whenReady();
  }

  /** C = alpha·op(A)·op(B) + beta·C, split across the ready workers when it is big enough to pay off. */
  gemm(call: GemmCall, local: LocalGemm): void {
    const macs = call.m * call.n * call.k;
    const cap = Math.min(this.wanted, Math.floor(macs / MIN_MACS_PER_THREAD));
    if (cap < 2) return local(call);
    // Worth threads: make sure they are coming, and use the ones already running.
    if (this.slots.length < this.wanted - 1) this.spawn();
    const ready = this.slots.filter((s) => !s.failed && Atomics.load(s.ctl, Control.Ready) === 1).slice(0, cap - 1);
    const blocks = split(call, ready.length + 1);
    if (blocks.length < 2) return local(call);
    this.parallelCalls++;
    const busy = ready.slice(0, blocks.length - 1);
    busy.forEach((slot, i) => this.post(slot, blocks[i]));
    try {
      local(blocks[blocks.length - 1]);
    } finally {
      // Even when this thread's block throws, the workers' blocks must end before C is touched again.
      this.join(busy);
    }
  }

  private spawn(): void {
    const node = nodeHost();
    while (this.slots.length < this.wanted - 1) {
      const control = new SharedArrayBuffer(CONTROL_BYTES);
      const init: GemmWorkerInit = { memory: this.memory, module: this.workerModule, control };
      const slot: Slot = {
        control, ctl: new Int32Array(control, 0, 16), scalars: new Float64Array(control, 64, 2),
        stop: () => undefined, work: 0, seq: 0, failed: false,
      };
      try {
        if (node) {
          const worker = new node.Worker(gemmWorkerSource, { eval: true, workerData: init });
          worker.on('error', () => { slot.failed = true; });
          worker.unref();
          slot.stop = () => void worker.terminate();
        } else {
          const url = URL.createObjectURL(new Blob([gemmWorkerSource], { type: 'text/javascript' }));
          const worker = new Worker(url);
          worker.onerror = () => { slot.failed = true; };
          worker.postMessage(init);
          slot.stop = () => { worker.terminate(); URL.revokeObjectURL(url); };
        }
      } catch (error) {
        // A runtime that refuses workers (a strict CSP, say) keeps GEMM on the threads it has.
        this.wanted = this.slots.length + 1;
        console.warn(`tessera: GEMM runs on ${this.wanted} thread(s): a worker could not be started (${String(error)})`);
        return;
      }
      this.slots.push(slot);
    }
  }

  private whenReady(): Promise<number> {
    const settled = () => this.slots.every((s) => s.failed || Atomics.load(s.ctl, Control.Ready) !== 0);
    const running = () => 1 + this.slots.filter((s) => !s.failed && Atomics.load(s.ctl, Control.Ready) === 1).length;
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    return new Promise((resolve) => {
      const poll = () => (settled() || Date.now() > deadline ? resolve(running()) : setTimeout(poll, 2));
      poll();
    });
  }

  private post(slot: Slot, block: GemmCall): void {
    if (slot.work === 0) slot.work = this.scratch.alloc(this.workBytes);
    const { ctl } = slot;
    const args = [block.tA, block.tB, block.m, block.n, block.k, block.a, block.lda, block.b, block.ldb, block.c, block.ldc, slot.work];
    ctl.set(args.map((v) => v | 0), Control.Args);
    slot.scalars[0] = block.alpha;
    slot.scalars[1] = block.beta;
    slot.seq++;
    Atomics.store(ctl, Control.Seq, slot.seq);
    Atomics.notify(ctl, Control.Seq);
  }

  /** Waits for the workers' blocks: Atomics.wait in Node, a spin on the browser's main thread (where waiting is not allowed). */
  private join(busy: Slot[]): void {
    const canWait = nodeHost() !== null;
    const now = performance.now();
    const deadline = now + WORKER_TIMEOUT_MS;
    const spinUntil = now + SPIN_MS;
    for (const slot of busy) {
      for (let done = Atomics.load(slot.ctl, Control.Done); done !== slot.seq; done = Atomics.load(slot.ctl, Control.Done)) {
        if (performance.now() > deadline) {
          slot.failed = true;
          throw new Error(`matmul: a GEMM worker thread did not finish within ${WORKER_TIMEOUT_MS / 1000} s; it is no longer used`);
        }
        // Spin first: the blocks are equal, so a worker usually finishes within microseconds of this
        // thread, sooner than a futex sleep and wake-up would return.
        if (canWait && performance.now() > spinUntil) Atomics.wait(slot.ctl, Control.Done, done, 100);
      }
    }
    for (const slot of busy) {
      if (Atomics.exchange(slot.ctl, Control.Status, 0) !== 0) {
        slot.failed = true;
        throw new Error('matmul: a GEMM worker thread failed (out-of-bounds operands?); it is no longer used');
      }
    }
  }

  private retire(slot: Slot): void {
    Atomics.store(slot.ctl, Control.Seq, -1);
    Atomics.notify(slot.ctl, Control.Seq);
    slot.stop();
    if (slot.work !== 0) this.scratch.free(slot.work, this.workBytes);
  }
}

/** Splits a call into up to `parts` blocks of C: by rows (multiples of MR) unless C is wider than tall. */
export function split(call: GemmCall, parts: number): GemmCall[] {
  const byRows = call.m >= call.n;
  const extent = byRows ? call.m : call.n;
  const align = byRows ? ROW_ALIGN : COL_ALIGN;
  const step = Math.ceil(extent / parts / align) * align;
  const blocks: GemmCall[] = [];
  for (let start = 0; start < extent; start += step) {
    const size = Math.min(step, extent - start);
    if (byRows) {
      // Row i of op(A) starts at a + i·lda floats, or a + i floats when A is stored transposed.
      const a = call.a + 4 * start * (call.tA ? 1 : call.lda);
      blocks.push({ ...call, m: size, a, c: call.c + 4 * start * call.ldc });
    } else {
      const b = call.b + 4 * start * (call.tB ? call.ldb : 1);
      blocks.push({ ...call, n: size, b, c: call.c + 4 * start });
    }
  }
  return blocks;
}
