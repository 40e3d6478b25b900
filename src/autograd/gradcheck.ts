/**
 * gradcheck: compares the gradients backward() computes with central differences
 * (f(x + ε) − f(x − ε)) / 2ε, element by element. Run it on float64 tensors on the `js` device,
 * where differences are sharp; in float32 pass a larger eps and looser tolerances.
 */
import { fmtShape } from '../shape.js';
import { noGrad } from './grad-mode.js';
import { tidy } from '../memory.js';
import type { Tensor } from '../tensor.js';
import { tensor } from '../creation.js';

/** Options of gradcheck, with PyTorch's defaults. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Throw an error describing the first mismatch instead of returning false (default true). */
  raiseException?: boolean;
}

function outputs(result: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(result) ? result : [result];
}

/**
 * True when fn's analytic gradients match central differences for every input that requires grad.
 * @example gradcheck((x) => x.mul(x).sum(), [randn([3], { dtype: 'float64', device: 'js', requiresGrad: true })])
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[], options: GradcheckOptions = {}): boolean {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, raiseException = true } = options;
  const fail = (message: string): boolean => {
    if (raiseException) throw new Error(`gradcheck: ${message}`);
    return false;
  };
  const probe = noGrad(() => tidy(() => outputs(fn(...inputs)).map((o) => o.toArray())));
  for (let o = 0; o < probe.length; o++) {
    for (let j = 0; j < probe[o].length; j++) {
      // Analytic row: d out[o][j] / d inputs, by backward of a one-hot gradient.
      const analytic = tidy(() => {
        for (const x of inputs) x.grad = null;
        const outs = outputs(fn(...inputs));
        const seed = new Float64Array(outs[o].size);
        seed[j] = 1;
        outs[o].backward(tensor(seed, { shape: [...outs[o].shape], dtype: outs[o].dtype, device: outs[o].device }));
        return inputs.map((x) => (x.requiresGrad && x.grad ? Array.from(x.grad.toArray()) : null));
      });
      for (let i = 0; i < inputs.length; i++) {
        const x = inputs[i];
        if (!x.requiresGrad) continue;
        const values = x.backend.view(x.storage);
        for (let e = 0; e < x.size; e++) {
          const pos = flatOffset(x, e);
          const saved = values[pos];
          const evalAt = (v: number) => {
            x.backend.view(x.storage)[pos] = v;
            return noGrad(() => tidy(() => outputs(fn(...inputs))[o].toArray()[j]));
          };
          const numeric = (evalAt(saved + eps) - evalAt(saved - eps)) / (2 * eps);
          x.backend.view(x.storage)[pos] = saved;
          const a = analytic[i]?.[e] ?? 0;
          if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
            return fail(`gradient mismatch for input ${i} (shape ${fmtShape(x.shape)}) element ${e}, output ${o} element ${j}: analytic ${a}, numerical ${numeric}`);
          }
        }
      }
    }
  }
  for (const x of inputs) x.grad = null;
  return true;
}

function flatOffset(x: Tensor, e: number): number {
  let offset = x.offset;
  for (let d = x.ndim - 1; d >= 0; d--) {
    offset += (e % x.shape[d]) * x.strides[d];
    e = Math.floor(e / x.shape[d]);
  }
  return offset;
}
