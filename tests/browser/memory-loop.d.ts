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

/** Pixel-like data in [0, 255], 3 classes, and a shuffling DataLoader of batch 16 over it. */
export function pixels(
  T: typeof Tessera,
  n: number,
  features: number,
): { x: Tessera.Tensor; y: Tessera.Tensor; loader: Tessera.data.DataLoader<Tessera.Tensor[]> };

/** A seeded MLP features → 64 → 3 and its SGD optimizer. */
export function mlp(T: typeof Tessera, features: number): { model: Tessera.nn.Sequential; optimizer: Tessera.optim.SGD };

/** Batches of a DataLoader, epoch after epoch, for as many steps as asked. */
export function batches<B>(loader: Iterable<B>, steps: number): Generator<B>;

/** The noGrad evaluation loop (argmax, .item()): its peaks, its accuracy, and the accuracy of one pass over the whole set. */
export function runEvalLoop(T: typeof Tessera, steps: number): LoopPeaks & { accuracy: number; wholeSet: number };

/** Inference with grad mode on, results dropped: its peaks. */
export function runInferenceLoop(T: typeof Tessera, steps: number): LoopPeaks;

/** A `for await` training loop that yields a macrotask after each step: its peaks, steps run, and the mean first and last 50 losses. */
export function runAsyncLoop(T: typeof Tessera, steps: number): Promise<LoopPeaks & { steps: number; firstLoss: number; lastLoss: number }>;
