import fc from 'fast-check';
import { describe, it } from 'vitest';
import { memoryStats, tensor, tidy, type Device, type Tensor } from '../src/index.js';
import { LARGE, leaves, logical, prng, stridedLeaves } from './arbitraries.js';
import { assertClose, type Tolerance } from './compare.js';
import { DIFFERENTIABLE_OPS, OPS, inputValues, type OpCase } from './op-table.js';

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

/**
 * Forward and backward of one call on `device`, with the inputs as non-contiguous views when
 * `strided`; backward seeds each output with fixed pseudo-random weights.
 */
function run(c: OpCase, values: number[][], device: Device, strided: boolean, weightSeed: number): Run {
  return tidy(() => {
    const sources = strided ? stridedLeaves(values, c.shapes, 'float32', device) : leaves(values, c.shapes, 'float32', device);
    const result = c.fn(strided ? sources.map(logical) : sources);
    const outs = Array.isArray(result) ? result : [result];
    const random = prng(weightSeed);
    let loss: Tensor | null = null;
    for (const o of outs) {
      const w = tensor(
        Array.from({ length: o.numel() }, () => 2 * random() - 1),
        { shape: [...o.shape], dtype: 'float32', device },
      );
      const term = o.mul(w).sum();
      loss = loss ? loss.add(term) : term;
    }
    loss?.backward();
    const grads = sources.map((x) => (x.grad ? ((strided ? logical(x.grad) : x.grad).toArray() as Float32Array) : new Float32Array(x.numel())));
    for (const x of sources) x.grad?.dispose();
    return { outputs: outs.map((o) => o.toArray() as Float32Array), grads };
  });
}

describe('the SIMD (wasm) backend agrees with the reference (js) backend in float32, forward and backward, on contiguous and strided inputs', () => {
  it.each(DIFFERENTIABLE_OPS)('%s', (name) => {
    const info = OPS[name];
    const tol = info.float32 ?? DEFAULT;
    const live = memoryStats().liveTensors;
    fc.assert(
      fc.property(info.sample(LARGE), fc.nat(), fc.boolean(), (c, valueSeed, strided) => {
        const values = inputValues(info, c.shapes, valueSeed);
        // The reference runs on contiguous inputs, so it also checks the wasm kernels' strided paths.
        const wasm = run(c, values, 'wasm', strided && !info.contiguousOnly, valueSeed + 1);
        const js = run(c, values, 'js', false, valueSeed + 1);
        wasm.outputs.forEach((o, k) => assertClose(`output ${k} (wasm vs js)`, o, js.outputs[k], tol));
        wasm.grads.forEach((g, i) => assertClose(`gradient of input ${i} (wasm vs js)`, g, js.grads[i], tol));
      }),
      { seed: SEED, numRuns: 15 },
    );
    if (memoryStats().liveTensors !== live) throw new Error(`${name} left ${memoryStats().liveTensors - live} tensors alive`);
  });
});
