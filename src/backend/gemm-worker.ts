/**
 * The body of a GEMM worker thread, sent to the thread as source text (`gemmWorkerSource`), so it
 * must not reference anything outside itself. It instantiates the GEMM-only module on the shared
 * memory, flags itself ready in its control block and then serves one call at a time: it sleeps in
 * `Atomics.wait` until the main thread bumps SEQ, runs `gemmF32` with the arguments in the block,
 * and publishes DONE = SEQ. The control block layout is `Control` in threads.ts.
 */

/** What the main thread hands a worker at start: Node's `workerData`, or a browser worker's first message. */
export interface GemmWorkerInit {
  memory: WebAssembly.Memory;
  module: Uint8Array;
  control: SharedArrayBuffer;
}

type GemmF32 = (
  tA: number, tB: number, m: number, n: number, k: number, alpha: number,
  a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number, work: number,
) => void;


function gemmWorkerMain(): void {
  // Int32 slots of the control block; keep in step with Control in threads.ts.
  const SEQ = 0, DONE = 1, STATUS = 2, READY = 3, ARGS = 4;
  const serve = ({ memory, module, control }: GemmWorkerInit): void => {
    const ctl = new Int32Array(control, 0, 16);
    const scalars = new Float64Array(control, 64, 2);
    let gemm: GemmF32;
    try {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(module as BufferSource), { env: { memory } });
      gemm = instance.exports.gemmF32 as GemmF32;
    } catch {
      Atomics.store(ctl, READY, -1);
      return;
    }
    Atomics.store(ctl, READY, 1);
    let seq = 0;
    for (;;) {
      // GEMMs come in bursts (a layer's forward, its backward): spin briefly for the next one, which
      // answers faster than a futex wake-up, then sleep.
      const spinUntil = performance.now() + 0.2;
      while (Atomics.load(ctl, SEQ) === seq && performance.now() < spinUntil);
      Atomics.wait(ctl, SEQ, seq);
      seq = Atomics.load(ctl, SEQ);
      if (seq < 0) return;
      try {
        const [tA, tB, m, n, k, a, lda, b, ldb, c, ldc, work] = ctl.subarray(ARGS, ARGS + 12);
        gemm(tA, tB, m, n, k, scalars[0], a, lda, b, ldb, scalars[1], c, ldc, work);
      } catch {
        Atomics.store(ctl, STATUS, 1);
      }
      Atomics.store(ctl, DONE, seq);
      Atomics.notify(ctl, DONE);
    }
  };
  // Node has workerData (getBuiltinModule works whether the eval'd script runs as CommonJS or, under
  // --input-type=module, as ESM); a browser worker gets one message.
  const node = (globalThis as { process?: { getBuiltinModule?: (id: string) => { workerData: GemmWorkerInit } } }).process;
  if (typeof node?.getBuiltinModule === 'function') serve(node.getBuiltinModule('node:worker_threads').workerData);
  else (globalThis as unknown as { onmessage: (e: MessageEvent<GemmWorkerInit>) => void }).onmessage = (e) => serve(e.data);
}

/** The worker's source text: one self-contained script, run by Node's `new Worker(src, { eval: true })` or a Blob URL. */
export const gemmWorkerSource = `(${gemmWorkerMain.toString()})();\n`;
