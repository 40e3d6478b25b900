import type * as Tessera from '../../src/index.js';

/** Peaks of the live bytes the MNIST-shaped loop added (steps 100–499, last 400 steps), WASM size after it, first and last loss. */
export function runMnistLoop(T: typeof Tessera, steps: number): { early: number; late: number; wasmBytes: number; firstLoss: number; lastLoss: number };
