import type * as Tessera from '../../src/index.js';

/** Peaks of live bytes and tensors over an early and a late window of a loop, and the WASM size after each. */
export interface LoopPeaks {
  earlyBytes: number;
  lateBytes: number;
  earlyTensors: number;
  lateTensors: number;
  wasmAfterEarly: number;
  wasmBytes: number;
}

/** Measures a loop whose steps someone else runs (fit): call `after(i)` after step i. */
export function loopMeter(T: typeof Tessera, steps: number): { after(i: number): void; peaks: LoopPeaks };

/** Runs `step(i)` `steps` times and measures its memory (see memory-loop.js). */
export function measureLoop(T: typeof Tessera, steps: number, step: (i: number) => void): LoopPeaks;

/** The MNIST-shaped loop: its peaks, and the first and last loss read after it. */
export function runMnistLoop(T: typeof Tessera, steps: number): LoopPeaks & { firstLoss: number; lastLoss: number };
