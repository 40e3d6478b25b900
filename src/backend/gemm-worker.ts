/**
 * What runs on a GEMM worker thread, and the chunk loop every thread of a call shares. Both are sent
 * to the worker as source text (`gemmWorkerSource`), so neither may reference anything outside
 * itself: the layout of the shared job block travels as data (`JOB`, in the worker's init).
 *
 * A call is published in the pool's job block (its arguments and how it is cut into chunks), and the
 * threads claim chunks one at a time with a compare-and-swap on the block's CLAIM word until none is
 * left (`runChunks`). A thread that is slow or not running just claims fewer chunks. A call is a
 * GEMM (chunks: row or column blocks of C), a fused attention forward or backward (chunks: runs
 * of batch·head entries, each computed whole by one thread, so the bits never depend on the cut),
 * or an elementwise kernel (chunks: ranges of elements, each element computed alone).
 */

import type { KernelExports } from './kernel-exports.js';

/** One gemmF32 (assembly/gemm.ts) on a thread's own instance; pointers in bytes. */
export type GemmF32 = KernelExports['gemmF32'];

/** gemmPackedF32 (assembly/gemm.ts): C = alpha·op(A)·B + beta·C against a B packed by gemmPackB. */
export type GemmPackedF32 = KernelExports['gemmPackedF32'];

/** assembly/attention.ts's attentionF32 on a thread's own instance; pointers in bytes, 0 = absent. */
export type AttentionF32 = KernelExports['attentionF32'];

/** assembly/attention.ts's attentionBackwardF32 on a thread's own instance. */
export type AttentionBackwardF32 = KernelExports['attentionBackwardF32'];

/**
 * An elementwise kernel over `n` floats from byte addresses `a`, `b`, `c` (0 for inputs it does not
 * read) to `out`, with one integer option; every element computed alone, so any cut of the range gives the same bits.
 */
export type ElementwiseKernel = (a: number, b: number, c: number, out: number, n: number, option: number) => void;

/** The kernels a thread runs chunks with. */
export interface ThreadKernels {
  gemm: GemmF32;
  gemmPacked: GemmPackedF32;
  attention: AttentionF32;
  attentionBackward: AttentionBackwardF32;
  /** Indexed by ELEMENTWISE. */
  elementwise: readonly ElementwiseKernel[];
}

/** What a call computes (JOB.kind). */
export const JOB_KIND = { gemm: 0, attention: 1, attentionBackward: 2, gemmPacked: 3, elementwise: 4 } as const;

/** The elementwise kernels threads split (indices into ThreadKernels.elementwise; option: tanh form for the backward). */
export const ELEMENTWISE = { gelu: 0, geluTanh: 1, geluBackward: 2 } as const;

/** The exports threadKernels reads: the GEMM build's (assembly/worker.ts), also in the kernels build. */
export type ThreadExports = Pick<
  KernelExports,
  'gemmF32' | 'gemmPackedF32' | 'attentionF32' | 'attentionBackwardF32' | 'geluF32' | 'geluTanhF32' | 'geluBackwardF32'
>;

/** A thread's kernels from its instance's exports. Sent to workers as source text: it may reference nothing outside itself. */
export function threadKernels(e: ThreadExports): ThreadKernels {
  return {
    gemm: e.gemmF32,
    gemmPacked: e.gemmPackedF32,
    attention: e.attentionF32,
    attentionBackward: e.attentionBackwardF32,
    // In ELEMENTWISE's order.
    elementwise: [
      (x, _b, _c, out, n) => e.geluF32(x, out, n),
      (x, _b, _c, out, n) => e.geluTanhF32(x, out, n),
      (x, y, g, out, n, tanhForm) => e.geluBackwardF32(x, y, g, out, n, tanhForm),
    ],
  };
}

/**
 * Int32 slots of the job block (`JOB_BYTES` of SharedArrayBuffer per pool). ALPHA and BETA index its
 * Float64Array (an attention call's scale goes in ALPHA). CLAIM (the call's generation above
 * INDEX_BITS, the next chunk below) and FINISHED (the generation, and the chunks done) are written by
 * every thread, so each has a cache line of its own. STEP and COUNT cut every kind of call; the att*
 * slots are an attention call's arguments, the ew* slots an elementwise call's.
 */
export const JOB = {
  tA: 0,
  tB: 1,
  m: 2,
  n: 3,
  k: 4,
  a: 5,
  lda: 6,
  b: 7,
  ldb: 8,
  c: 9,
  ldc: 10,
  byRows: 11,
  step: 12,
  count: 13,
  kind: 14,
  alpha: 8,
  beta: 9,
  claim: 32,
  finished: 48,
  failed: 49,
  attBatch: 64,
  attL: 65,
  attS: 66,
  attE: 67,
  attEv: 68,
  attCausal: 69,
  attQ: 70,
  attK: 71,
  attV: 72,
  attMask: 73,
  attMaskStride: 74,
  attOut: 75,
  attLse: 76,
  attDOut: 77,
  attDq: 78,
  attDk: 79,
  attDv: 80,
  ewKernel: 84,
  ewA: 85,
  ewB: 86,
  ewC: 87,
  ewOut: 88,
  ewN: 89,
  ewOption: 90,
  indexBits: 10,
} as const;
export type JobLayout = typeof JOB;
export const JOB_BYTES = 384;

/** What the main thread hands a worker at start: Node's `workerData`, or a browser worker's first message. */
export interface GemmWorkerInit {
  memory: WebAssembly.Memory;
  /**
   * The GEMM (and attention) module, compiled once by the calling thread: every worker instantiating the same
   * module shares its machine code, so a worker started later runs the already optimised code
   * instead of V8's baseline code (5–10× slower) for its first calls.
   */
  module: WebAssembly.Module;
  /** The worker's own control block (Control in threads.ts). */
  control: SharedArrayBuffer;
  job: SharedArrayBuffer;
  layout: JobLayout;
}

/**
 * Claims and computes chunks of call `gen` until none is left. A thread that reads the job after the
 * call ended, or while the next one is being written, finds CLAIM closed or tagged with another
 * generation and touches nothing. Every claimed chunk is counted in FINISHED, even when it throws, so
 * the caller's wait always ends — but only while FINISHED carries the same generation, so a worker
 * given up for lost that finishes late cannot count towards a later call.
 */
export function runChunks(job: Int32Array, scalars: Float64Array, J: JobLayout, gen: number, kernels: ThreadKernels, work: number, scratch: number): void {
  const mask = (1 << J.indexBits) - 1;
  const { gemm } = kernels;
  for (;;) {
    const claim = Atomics.load(job, J.claim);
    const index = claim & mask;
    if (claim >>> J.indexBits !== gen || index >= job[J.count]) return;
    if (Atomics.compareExchange(job, J.claim, claim, claim + 1) !== claim) continue;
    try {
      // JOB_KIND's values (this function travels as source text, so it cannot name it).
      const kind = job[J.kind];
      if (kind === 4) {
        // Elementwise: elements start … start + len − 1 of every operand.
        const start = index * job[J.step];
        const at = (slot: number) => (job[slot] === 0 ? 0 : job[slot] + 4 * start);
        kernels.elementwise[job[J.ewKernel]](at(J.ewA), at(J.ewB), at(J.ewC), at(J.ewOut), Math.min(job[J.step], job[J.ewN] - start), job[J.ewOption]);
      } else if (kind === 1 || kind === 2) {
        // Attention: entries b0 … b0 + nb − 1, every operand advanced by b0 entries (4 bytes a float).
        const L = job[J.attL],
          S = job[J.attS],
          E = job[J.attE],
          Ev = job[J.attEv],
          b0 = index * job[J.step];
        const nb = Math.min(job[J.step], job[J.attBatch] - b0);
        const at = (slot: number, perEntry: number) => (job[slot] === 0 ? 0 : job[slot] + 4 * b0 * perEntry);
        const operands = [at(J.attQ, L * E), at(J.attK, S * E), at(J.attV, S * Ev), at(J.attMask, job[J.attMaskStride]), job[J.attMaskStride]] as const;
        const sizes = [nb, L, S, E, Ev, scalars[J.alpha], job[J.attCausal], scratch] as const;
        if (kind === 1) kernels.attention(...operands, at(J.attOut, L * Ev), at(J.attLse, L), ...sizes);
        else
          kernels.attentionBackward(
            ...operands,
            at(J.attOut, L * Ev),
            at(J.attLse, L),
            at(J.attDOut, L * Ev),
            at(J.attDq, L * E),
            at(J.attDk, S * E),
            at(J.attDv, S * Ev),
            ...sizes,
          );
      } else {
        const m = job[J.m],
          n = job[J.n],
          step = job[J.step],
          start = index * step;
        const lda = job[J.lda],
          ldb = job[J.ldb],
          ldc = job[J.ldc],
          tA = job[J.tA],
          tB = job[J.tB];
        if (kind === 3) {
          // Against a packed B, always cut by rows.
          kernels.gemmPacked(
            tA,
            Math.min(step, m - start),
            n,
            job[J.k],
            scalars[J.alpha],
            job[J.a] + 4 * start * (tA ? 1 : lda),
            lda,
            job[J.b],
            scalars[J.beta],
            job[J.c] + 4 * start * ldc,
            ldc,
            work,
          );
        } else if (job[J.byRows]) {
          // Row i of op(A) starts i·lda floats in, or i floats when A is stored transposed.
          gemm(
            tA,
            tB,
            Math.min(step, m - start),
            n,
            job[J.k],
            scalars[J.alpha],
            job[J.a] + 4 * start * (tA ? 1 : lda),
            lda,
            job[J.b],
            ldb,
            scalars[J.beta],
            job[J.c] + 4 * start * ldc,
            ldc,
            work,
          );
        } else {
          gemm(
            tA,
            tB,
            m,
            Math.min(step, n - start),
            job[J.k],
            scalars[J.alpha],
            job[J.a],
            lda,
            job[J.b] + 4 * start * (tB ? ldb : 1),
            ldb,
            scalars[J.beta],
            job[J.c] + 4 * start,
            ldc,
            work,
          );
        }
      }
    } finally {
      for (let done = Atomics.load(job, J.finished); done >>> J.indexBits === gen; done = Atomics.load(job, J.finished)) {
        if (Atomics.compareExchange(job, J.finished, done, done + 1) === done) break;
      }
      Atomics.notify(job, J.finished);
    }
  }
}

function gemmWorkerMain(run: typeof runChunks, kernelsOf: typeof threadKernels): void {
  // Int32 slots of the worker's control block; keep in step with Control in threads.ts.
  const SEQ = 0,
    DONE = 1,
    STATUS = 2,
    READY = 3,
    WORK = 4,
    SCRATCH = 5;
  const serve = ({ memory, module, control, job: jobBuffer, layout }: GemmWorkerInit): void => {
    const ctl = new Int32Array(control);
    const job = new Int32Array(jobBuffer);
    const scalars = new Float64Array(jobBuffer);
    let kernels: ThreadKernels;
    try {
      kernels = kernelsOf(new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as ThreadExports);
    } catch {
      Atomics.store(ctl, READY, -1);
      return;
    }
    Atomics.store(ctl, READY, 1);
    const mask = (1 << layout.indexBits) - 1;
    let seen = 0;
    for (;;) {
      // GEMMs come in bursts (a layer's forward, its backward): spin briefly for the next one, which
      // answers faster than a futex wake-up, then sleep. But not while the calling thread still works
      // on the call (CLAIM not yet closed): when both threads share a core, as when another process
      // holds the other one, that spin would take the time the calling thread needs.
      const claim = Atomics.load(job, layout.claim);
      const callRunning = claim >>> layout.indexBits === seen && (claim & mask) !== mask;
      const spinUntil = callRunning ? 0 : performance.now() + 0.2;
      while (Atomics.load(ctl, SEQ) === seen && performance.now() < spinUntil);
      Atomics.wait(ctl, SEQ, seen);
      const gen = Atomics.load(ctl, SEQ);
      if (gen < 0) return;
      seen = gen;
      try {
        run(job, scalars, layout, gen, kernels, ctl[WORK], ctl[SCRATCH]);
      } catch {
        Atomics.store(ctl, STATUS, 1);
        Atomics.store(job, layout.failed, 1);
      }
      Atomics.store(ctl, DONE, gen);
    }
  };
  // Node has workerData (getBuiltinModule works whether the eval'd script runs as CommonJS or, under
  // --input-type=module, as ESM); a browser worker gets one message.
  const node = (globalThis as { process?: { getBuiltinModule?: (id: string) => { workerData: GemmWorkerInit } } }).process;
  if (typeof node?.getBuiltinModule === 'function') serve(node.getBuiltinModule('node:worker_threads').workerData);
  else (globalThis as unknown as { onmessage: (e: MessageEvent<GemmWorkerInit>) => void }).onmessage = (e) => serve(e.data);
}

/**
 * The worker's source text: one self-contained script, run by Node's `new Worker(src, { eval: true })`
 * or a Blob URL. The chunk loop and threadKernels go in as arguments, so a minifier renaming them breaks nothing.
 */
export const gemmWorkerSource = `(${gemmWorkerMain.toString()})(${runChunks.toString()}, ${threadKernels.toString()});\n`;
