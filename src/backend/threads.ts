/**
 * GEMM, fused attention and GELU across threads that share one WebAssembly.Memory. Each worker runs the
 * GEMM build (GEMM, the attention kernels on it, GELU) on that memory (`gemm-worker.ts`) with its own
 * packing scratch. An attention call is cut into runs of batch·head entries, each entry computed
 * whole by one thread, so its bits are those of one thread too; an elementwise call into ranges of
 * elements, each element computed alone. A GEMM call is cut into chunks of C — row
 * blocks, or column blocks when C is wide and short; two per thread when C is large enough — and
 * every thread, the calling one included, claims chunks from a shared counter until none is left
 * (`runChunks`), so a thread that loses its core takes fewer chunks instead of holding up the call,
 * and one that never wakes takes none. Every element of C is computed by the same kernel with the
 * same k-blocking whatever the chunk, so results are bitwise those of one thread.
 *
 * Workers start asynchronously and GEMM runs on the threads that are ready, never waiting for
 * one to start. They do not keep a Node process alive (`unref`).
 */
import { gemmWorkerSource, JOB, JOB_BYTES, JOB_KIND, runChunks, type GemmWorkerInit, type ThreadKernels } from './gemm-worker.js';
import type { AttentionDims } from './backend.js';

type Ptr = number;

/** One gemmF32 call: row-major C = alpha·op(A)·op(B) + beta·C, pointers in bytes (assembly/gemm.ts). */
export interface GemmCall {
  tA: number;
  tB: number;
  m: number;
  n: number;
  k: number;
  alpha: number;
  a: Ptr;
  lda: number;
  b: Ptr;
  ldb: number;
  beta: number;
  c: Ptr;
  ldc: number;
}

/**
 * One fused attention call over `batch` entries (assembly/attention.ts), forward or, with `backward`,
 * backward; pointers in bytes, 0 for those the direction does not use (and for no mask).
 */
export interface AttentionCall extends AttentionDims {
  backward: boolean;
  q: Ptr;
  k: Ptr;
  v: Ptr;
  mask: Ptr;
  out: Ptr;
  lse: Ptr;
  dOut: Ptr;
  dq: Ptr;
  dk: Ptr;
  dv: Ptr;
}

/** One elementwise kernel call (ELEMENTWISE names it) over `n` floats; pointers in bytes, 0 for inputs the kernel does not read. */
export interface ElementwiseCall {
  kernel: number;
  a: Ptr;
  b: Ptr;
  c: Ptr;
  out: Ptr;
  n: number;
  option: number;
}

/** The calling thread's kernels (its instance's GEMM, attention and GELU) and its packing scratch. */
export interface LocalGemm extends ThreadKernels {
  work: Ptr;
}

/** Allocation of packing scratch in the shared memory, by the backend's allocator. */
export interface ScratchAllocator {
  alloc(bytes: number): Ptr;
  free(ptr: Ptr, bytes: number): void;
}

/** How a call is cut: `count` chunks of `step` rows (or columns) of C, the last one possibly shorter. */
export interface ChunkPlan {
  byRows: boolean;
  step: number;
  count: number;
}

/** Chunks per thread, at most, and the fewest rows (or columns) a chunk may have unless that leaves fewer chunks than threads. */
export interface Chunking {
  perThread: number;
  minExtent: number;
}

// Int32 slots of a worker's control block (a 64-byte SharedArrayBuffer of its own, so two workers'
// flags never share a cache line). Mirrored in gemm-worker.ts.
const Control = { Seq: 0, Done: 1, Status: 2, Ready: 3, Work: 4, Scratch: 5 } as const;
const CONTROL_BYTES = 64;

/** Below this many multiply-adds per thread a split costs more in wake-up and packing than it saves. */
const MIN_MACS_PER_THREAD = 1 << 19;
/**
 * Two chunks per thread, so that a thread that loses its core for a while leaves part of its share to
 * the others. But every chunk re-packs the whole operand the chunks share (≈ 3–6 multiply-adds' time
 * per element), so each chunk beyond one per thread costs ≈ (3–6)/rows of the call's work: chunks
 * keep at least 128 rows (the kernel's MC) unless that leaves a thread without one. Measured on 2
 * threads: 256³ in 4 chunks instead of 2 ran 4% slower, 512³ and 1024³ 1%.
 */
const CHUNKING: Chunking = { perThread: 2, minExtent: 128 };
/**
 * Below this many elements per thread an elementwise split costs more in wake-up than it saves: GELU
 * takes ≈ 3 ns an element, so 2¹⁵ elements ≈ 0.1 ms, against tens of µs to wake a worker.
 */
const MIN_ELEMENTS_PER_THREAD = 1 << 15;
/** Elementwise chunks are whole multiples of 16 floats (64 bytes), so two threads write few cache lines in common. */
const ELEMENT_ALIGN = 16;
/** Row chunks start at multiples of the micro-kernel's MR, column chunks at multiples of every NR it may use. */
const ROW_ALIGN = 4;
const COL_ALIGN = 16;
/** A worker that has not answered after this long is taken to be lost; GEMM then fails loudly instead of hanging. */
const WORKER_TIMEOUT_MS = 60_000;
/** How long the calling thread spins on the last chunks before sleeping on them (Node; browsers always spin). */
const SPIN_MS = 0.2;
/** setNumThreads resolves by then even if a worker never reports (it is then not counted). */
const STARTUP_TIMEOUT_MS = 10_000;
/** The largest generation CLAIM can carry above its chunk index. */
const MAX_GEN = 2 ** (32 - JOB.indexBits) - 1;

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
  ctl: Int32Array;
  stop: () => void;
  /** Packing scratch, allocated at the slot's first call (0 until then), so unthreaded programs pay nothing. */
  work: Ptr;
  /** Attention's row-block scratch (`scratchBytes` of it), grown when a call needs more. */
  scratch: Ptr;
  scratchBytes: number;
  failed: boolean;
}

/** A pool of GEMM workers over one shared memory; `threads` counts the calling thread. */
export class GemmThreads {
  private readonly slots: Slot[] = [];
  /** The GEMM (and attention) module, compiled at the first spawn. */
  private workerModule: WebAssembly.Module | null = null;
  private wanted: number;
  private readonly jobBuffer = new SharedArrayBuffer(JOB_BYTES);
  private readonly job = new Int32Array(this.jobBuffer);
  private readonly scalars = new Float64Array(this.jobBuffer);
  /** The current call's generation, 1…MAX_GEN: it tags CLAIM, so a late worker cannot take a chunk of a later call. */
  private gen = 0;
  /** Calls that ran split across more than one thread (for tests and benchmarks). */
  parallelCalls = 0;
  /** How calls are cut (tests change it to exercise many chunks). */
  chunking: Chunking = { ...CHUNKING };

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly workerBytes: Uint8Array,
    private readonly workBytes: number,
    private readonly scratch: ScratchAllocator,
    private readonly local: LocalGemm,
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
  gemm(call: GemmCall): void {
    const ready = this.readyWorkers(Math.min(this.wanted, Math.floor((call.m * call.n * call.k) / MIN_MACS_PER_THREAD)));
    const plan = planChunks(call, ready.length + 1, this.chunking);
    if (ready.length > 0 && plan.count >= 2) {
      this.publishGemm(call, plan, JOB_KIND.gemm);
      return this.run(ready.slice(0, plan.count - 1), 0);
    }
    const { gemm, work } = this.local;
    gemm(call.tA, call.tB, call.m, call.n, call.k, call.alpha, call.a, call.lda, call.b, call.ldb, call.beta, call.c, call.ldc, work);
  }

  /**
   * C = alpha·op(A)·B + beta·C against a B that gemmPackB packed (call.b; call.tB unused), split by
   * rows across the ready workers when it is big enough: every thread reads the one packed B.
   */
  gemmPacked(call: GemmCall): void {
    const ready = this.readyWorkers(Math.min(this.wanted, Math.floor((call.m * call.n * call.k) / MIN_MACS_PER_THREAD)));
    const plan = planChunks(call, ready.length + 1, this.chunking, true);
    if (ready.length > 0 && plan.count >= 2) {
      this.publishGemm(call, plan, JOB_KIND.gemmPacked);
      return this.run(ready.slice(0, plan.count - 1), 0);
    }
    const { gemmPacked, work } = this.local;
    gemmPacked(call.tA, call.m, call.n, call.k, call.alpha, call.a, call.lda, call.b, call.beta, call.c, call.ldc, work);
  }

  /** Writes a GEMM call and its cut into the job block. */
  private publishGemm(call: GemmCall, plan: ChunkPlan, kind: number): void {
    const args = [call.tA, call.tB, call.m, call.n, call.k, call.a, call.lda, call.b, call.ldb, call.c, call.ldc, +plan.byRows, plan.step, plan.count];
    this.job.set(
      args.map((v) => v | 0),
      JOB.tA,
    );
    this.job[JOB.kind] = kind;
    this.scalars[JOB.alpha] = call.alpha;
    this.scalars[JOB.beta] = call.beta;
  }

  /**
   * A fused attention call, its batch·head entries split across the ready workers when there are
   * enough of them and enough work; `scratch` is the calling thread's row-block scratch of
   * `scratchBytes` (each worker gets its own of the same size).
   */
  attention(call: AttentionCall, scratch: Ptr, scratchBytes: number): void {
    // Multiply-adds: QKᵀ and ·V forward; the backward recomputes QKᵀ and adds four more products.
    const macs = call.batch * call.L * call.S * (call.E + call.Ev) * (call.backward ? 3 : 1);
    const ready = this.readyWorkers(Math.min(this.wanted, call.batch, Math.floor(macs / MIN_MACS_PER_THREAD)));
    const { job } = this;
    if (ready.length > 0) {
      const count = Math.min(call.batch, (ready.length + 1) * this.chunking.perThread, (1 << JOB.indexBits) - 1);
      const step = Math.ceil(call.batch / count);
      job[JOB.kind] = call.backward ? JOB_KIND.attentionBackward : JOB_KIND.attention;
      job[JOB.step] = step;
      job[JOB.count] = Math.ceil(call.batch / step);
      const slots = [
        call.batch,
        call.L,
        call.S,
        call.E,
        call.Ev,
        +call.causal,
        call.q,
        call.k,
        call.v,
        call.mask,
        call.maskStride,
        call.out,
        call.lse,
        call.dOut,
        call.dq,
        call.dk,
        call.dv,
      ];
      job.set(
        slots.map((v) => v | 0),
        JOB.attBatch,
      );
      this.scalars[JOB.alpha] = call.scale;
      const workers = ready.slice(0, job[JOB.count] - 1);
      for (const slot of workers) {
        if (slot.scratchBytes < scratchBytes) {
          if (slot.scratch !== 0) this.scratch.free(slot.scratch, slot.scratchBytes);
          slot.ctl[Control.Scratch] = slot.scratch = this.scratch.alloc(scratchBytes);
          slot.scratchBytes = scratchBytes;
        }
      }
      return this.run(workers, scratch);
    }
    const { q, k, v, mask, maskStride, out, lse, batch, L, S, E, Ev, scale } = call;
    if (call.backward)
      this.local.attentionBackward(q, k, v, mask, maskStride, out, lse, call.dOut, call.dq, call.dk, call.dv, batch, L, S, E, Ev, scale, +call.causal, scratch);
    else this.local.attention(q, k, v, mask, maskStride, out, lse, batch, L, S, E, Ev, scale, +call.causal, scratch);
  }

  /** An elementwise kernel, its range cut into chunks across the ready workers when it is long enough. */
  elementwise(call: ElementwiseCall): void {
    const ready = this.readyWorkers(Math.min(this.wanted, Math.floor(call.n / MIN_ELEMENTS_PER_THREAD)));
    if (ready.length > 0) {
      const { job } = this;
      const count = Math.min((ready.length + 1) * this.chunking.perThread, (1 << JOB.indexBits) - 1);
      const step = Math.ceil(call.n / count / ELEMENT_ALIGN) * ELEMENT_ALIGN;
      job[JOB.kind] = JOB_KIND.elementwise;
      job[JOB.step] = step;
      job[JOB.count] = Math.ceil(call.n / step);
      job.set(
        [call.kernel, call.a, call.b, call.c, call.out, call.n, call.option].map((v) => v | 0),
        JOB.ewKernel,
      );
      return this.run(ready.slice(0, job[JOB.count] - 1), 0);
    }
    this.local.elementwise[call.kernel](call.a, call.b, call.c, call.out, call.n, call.option);
  }

  /** Up to cap − 1 workers that are running (none when cap < 2); asks for the missing ones to start. */
  private readyWorkers(cap: number): Slot[] {
    if (cap < 2) return [];
    // Worth threads: make sure they are coming, and use the ones already running.
    if (this.slots.length < this.wanted - 1) this.spawn();
    return this.slots.filter((s) => !s.failed && Atomics.load(s.ctl, Control.Ready) === 1).slice(0, cap - 1);
  }

  /**
   * Runs the call written in the job block: wakes the workers, takes chunks alongside them (with
   * `scratch`, the calling thread's attention scratch), and waits for the chunks they took.
   */
  private run(workers: Slot[], scratch: Ptr): void {
    this.parallelCalls++;
    const { job } = this;
    const gen = (this.gen = (this.gen % MAX_GEN) + 1);
    Atomics.store(job, JOB.finished, gen << JOB.indexBits);
    Atomics.store(job, JOB.failed, 0);
    // Stored last: from here on the call's chunks can be claimed.
    Atomics.store(job, JOB.claim, gen << JOB.indexBits);
    for (const slot of workers) {
      if (slot.work === 0) slot.ctl[Control.Work] = slot.work = this.scratch.alloc(this.workBytes);
      Atomics.store(slot.ctl, Control.Seq, gen);
      Atomics.notify(slot.ctl, Control.Seq);
    }
    try {
      runChunks(job, this.scalars, JOB, gen, this.local, this.local.work, scratch);
    } finally {
      // Even when a chunk on this thread throws, the chunks the workers took must end before C is touched again.
      this.join(gen, workers);
    }
  }

  /**
   * Closes CLAIM, so no chunk is taken from here on, and waits until every chunk taken has finished:
   * by Atomics.wait in Node, by spinning on the browser's main thread (where waiting is not allowed).
   */
  private join(gen: number, workers: Slot[]): void {
    const { job } = this;
    const mask = (1 << JOB.indexBits) - 1;
    const taken = Atomics.exchange(job, JOB.claim, (gen << JOB.indexBits) | mask) & mask;
    const canWait = nodeHost() !== null;
    const now = performance.now();
    const deadline = now + WORKER_TIMEOUT_MS;
    const spinUntil = now + SPIN_MS;
    for (let done = Atomics.load(job, JOB.finished); (done & mask) < taken; done = Atomics.load(job, JOB.finished)) {
      if (performance.now() > deadline) {
        // A worker that has not finished this call holds a chunk (or never woke): either way it is lost.
        for (const slot of workers) if (Atomics.load(slot.ctl, Control.Done) !== gen) this.lose(slot);
        throw new Error(`matmul: a GEMM worker thread did not finish within ${WORKER_TIMEOUT_MS / 1000} s; it is no longer used`);
      }
      // Spin first: the last chunks usually end within microseconds of each other, sooner than a
      // futex sleep and wake-up would return.
      if (canWait && performance.now() > spinUntil) Atomics.wait(job, JOB.finished, done, 100);
    }
    if (Atomics.load(job, JOB.failed) !== 0) {
      for (const slot of workers) if (Atomics.exchange(slot.ctl, Control.Status, 0) !== 0) this.lose(slot);
      throw new Error('matmul: a GEMM worker thread failed (out-of-bounds operands?); it is no longer used');
    }
  }

  private spawn(): void {
    const node = nodeHost();
    while (this.slots.length < this.wanted - 1) {
      const control = new SharedArrayBuffer(CONTROL_BYTES);
      const slot: Slot = { ctl: new Int32Array(control), stop: () => undefined, work: 0, scratch: 0, scratchBytes: 0, failed: false };
      try {
        this.workerModule ??= new WebAssembly.Module(this.workerBytes as BufferSource);
        const init: GemmWorkerInit = { memory: this.memory, module: this.workerModule, control, job: this.jobBuffer, layout: JOB };
        if (node) {
          const worker = new node.Worker(gemmWorkerSource, { eval: true, workerData: init });
          worker.on('error', () => {
            slot.failed = true;
          });
          worker.unref();
          slot.stop = () => void worker.terminate();
        } else {
          const url = URL.createObjectURL(new Blob([gemmWorkerSource], { type: 'text/javascript' }));
          const worker = new Worker(url);
          worker.onerror = () => {
            slot.failed = true;
          };
          worker.postMessage(init);
          slot.stop = () => {
            worker.terminate();
            URL.revokeObjectURL(url);
          };
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

  /** Stops using a worker that failed or stopped answering. Its scratch stays allocated: it may still be writing there. */
  private lose(slot: Slot): void {
    slot.failed = true;
    slot.stop();
  }

  private retire(slot: Slot): void {
    Atomics.store(slot.ctl, Control.Seq, -1);
    Atomics.notify(slot.ctl, Control.Seq);
    slot.stop();
    if (slot.failed) return;
    if (slot.work !== 0) this.scratch.free(slot.work, this.workBytes);
    if (slot.scratch !== 0) this.scratch.free(slot.scratch, slot.scratchBytes);
  }
}

/** Cuts a call for `threads` threads, a multiple of `threads` chunks: by rows (multiples of MR) unless C is wider than tall (and `byRows` not forced), then by columns (multiples of 16). */
export function planChunks(call: GemmCall, threads: number, chunking: Chunking, byRows = call.m >= call.n): ChunkPlan {
  const extent = byRows ? call.m : call.n;
  const align = byRows ? ROW_ALIGN : COL_ALIGN;
  const maxChunks = (1 << JOB.indexBits) - 1;
  const most = Math.min(threads * chunking.perThread, maxChunks, Math.max(threads, Math.floor(extent / chunking.minExtent)));
  // A whole number of chunks per thread: 3 chunks on 2 threads take 2/3 of the one-thread time, 2 take 1/2
  // (a GPT in-projection's weight gradient, 384 rows, on 2 threads).
  const wanted = most < threads ? most : most - (most % threads);
  const step = Math.ceil(extent / wanted / align) * align;
  return { byRows, step, count: Math.ceil(extent / step) };
}
