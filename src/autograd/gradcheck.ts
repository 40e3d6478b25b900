/**
 * gradcheck: compares the gradients backward() computes with central differences
 * (f(x + ε) − f(x − ε)) / 2ε, element by element. Run it on float64 tensors on the `js` device,
 * where differences are sharp; in float32 pass a larger eps and looser tolerances.
 */
import { fmtShape } from '../shape.js';
import { noGrad } from './grad-mode.js';
import { tidy } from '../memory.js';
import type { Tensor } from '../tensor.js';
import * as V from '../validate.js';
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
  V.func('gradcheck', 'fn', fn);
  V.tensorList('gradcheck', 'inputs', inputs);
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, raiseException = true } = V.options('gradcheck', options, ['eps', 'atol', 'rtol', 'raiseException']);
  const evaluate = () => noGrad(() => tidy(() => outputs(fn(...inputs)).map((o) => Array.from(o.toArray()))));
  try {
    const numeric = numericalJacobians(inputs, evaluate, eps);
    const shapes = evaluate();
    for (let o = 0; o < shapes.length; o++) {
      for (let j = 0; j < shapes[o].length; j++) {
        const analytic = analyticRow(fn, inputs, o, j);
        for (let i = 0; i < inputs.length; i++) {
          if (!inputs[i].requiresGrad) continue;
          for (let e = 0; e < inputs[i].numel(); e++) {
            const a = analytic[i]?.[e] ?? 0;
            const n = numeric[i][e][o][j];
            if (!(Math.abs(a - n) <= atol + rtol * Math.abs(n))) {
              if (raiseException) {
                throw new Error(
                  `gradcheck: gradient mismatch for input ${i} (shape ${fmtShape(inputs[i].shape)}) element ${e}, output ${o} element ${j}: analytic ${a}, numerical ${n}`,
                );
              }
              return false;
            }
          }
        }
      }
    }
    return true;
  } finally {
    for (const x of inputs) x.grad = null;
  }
}

/** numeric[i][e][o][j] = d out[o][j] / d inputs[i][e] by central differences: two forward passes per input element. */
function numericalJacobians(inputs: Tensor[], evaluate: () => number[][], eps: number): number[][][][] {
  return inputs.map((x) => {
    if (!x.requiresGrad) return [];
    const values = x.toArray();
    return Array.from({ length: x.numel() }, (_, e) => {
      const pos = flatOffset(x, e);
      const saved = values[e];
      const at = (v: number) => {
        x.backend.fill(x.storage, pos, 1, v);
        return evaluate();
      };
      const plus = at(saved + eps);
      const minus = at(saved - eps);
      x.backend.fill(x.storage, pos, 1, saved);
      return plus.map((out, o) => out.map((v, j) => (v - minus[o][j]) / (2 * eps)));
    });
  });
}

/** d out[o][j] / d inputs, by backward of a one-hot gradient. */
function analyticRow(fn: (...inputs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[], o: number, j: number): (number[] | null)[] {
  return tidy(() => {
    for (const x of inputs) x.grad = null;
    const outs = outputs(fn(...inputs));
    const seed = new Float64Array(outs[o].numel());
    seed[j] = 1;
    outs[o].backward(tensor(seed, { shape: [...outs[o].shape], dtype: outs[o].dtype, device: outs[o].device }));
    return inputs.map((x) => (x.requiresGrad && x.grad ? Array.from(x.grad.toArray()) : null));
  });
}

function flatOffset(x: Tensor, e: number): number {
  let offset = x.offset;
  for (let d = x.ndim - 1; d >= 0; d--) {
    offset += (e % x.shape[d]) * x.strides[d];
    e = Math.floor(e / x.shape[d]);
  }
  return offset;
}
