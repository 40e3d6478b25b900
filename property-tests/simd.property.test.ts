import fc from 'fast-check';
import { describe, it } from 'vitest';
import { memoryStats, tensor, tidy, type Device, type Tensor } from '../src/index.js';
import { LARGE, leaves, prng } from './arbitraries.js';
import { DIFFERENTIABLE_OPS, OPS, inputValues, type OpCase, type Tolerance } from './op-table.js';

/** Fixed for reproducible runs; set PROPERTY_SEED to explore others. */
const SEED = Number(process.env.PROPERTY_SEED ?? 7031);
/**
 * Both backends round every result to float32, but the reference loops compute each element in
 * float64 first and sum in a different order. atol covers sums that cancel (sum itself, and the
 * gradient of a broadcast input, which adds up to thousands of O(1) terms): their error scales
 * with the terms, not with the small result.
 */
const DEFAULT: Tolerance = { rtol: 1e-5, atol: 1e-5 };

interface Run {
  outputs: Float32Array[];
  grads: Float32Array[];
}

/** Forward and backward of one call on `device`: backward seeds each output with fixed pseudo-random weights. */
function run(c: OpCase, values: number[][], device: Device, weightSeed: number): Run {
  return tidy(() => {
    const inputs = leaves(values, c.shapes, 'float32', device);
    const result = c.fn(inputs);
    const outs = Array.isArray(result) ? result : [result];
    const random = prng(weightSeed);
    let loss: Tensor | null = null;
    for (const o of outs) {
      const w = tensor(Array.from({ length: o.size }, () => 2 * random() - 1), { shape: [...o.shape], dtype: 'float32', device });
      const term = o.mul(w).sum();
      loss = loss ? loss.add(term) : term;
    }
    loss?.backward();
    const grads = inputs.map((x) => (x.grad ? (x.grad.toArray() as Float32Array) : new Float32Array(x.size)));
    for (const x of inputs) x.grad?.dispose();
    return { outputs: outs.map((o) => o.toArray() as Float32Array), grads };
  });
}

/** Throws naming the first element where wasm and js differ by more than tol. */
function assertClose(what: string, wasm: Float32Array, js: Float32Array, tol: Tolerance): void {
  if (wasm.length !== js.length) throw new Error(`${what}: wasm has ${wasm.length} elements, js ${js.length}`);
  for (let i = 0; i < js.length; i++) {
    const ok = Math.abs(wasm[i] - js[i]) <= tol.atol + tol.rtol * Math.abs(js[i]) || (Number.isNaN(wasm[i]) && Number.isNaN(js[i]));
    if (!ok) throw new Error(`${what} element ${i}: wasm ${wasm[i]}, js ${js[i]} (|Δ| ${Math.abs(wasm[i] - js[i])})`);
  }
}

describe('the SIMD (wasm) backend agrees with the reference (js) backend in float32, forward and backward', () => {
  it.each(DIFFERENTIABLE_OPS)('%s', (name) => {
    const info = OPS[name];
    const tol = info.float32 ?? DEFAULT;
    const live = memoryStats().liveTensors;
    fc.assert(
      fc.property(info.sample(LARGE), fc.nat(), (c, valueSeed) => {
        const values = inputValues(info, c.shapes, valueSeed);
        const wasm = run(c, values, 'wasm', valueSeed + 1);
        const js = run(c, values, 'js', valueSeed + 1);
        wasm.outputs.forEach((o, k) => assertClose(`output ${k}`, o, js.outputs[k], tol));
        wasm.grads.forEach((g, i) => assertClose(`gradient of input ${i}`, g, js.grads[i], tol));
      }),
      { seed: SEED, numRuns: 15 },
    );
    if (memoryStats().liveTensors !== live) throw new Error(`${name} left ${memoryStats().liveTensors - live} tensors alive`);
  });
});
