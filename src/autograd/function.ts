/**
 * Custom ops from user code, like PyTorch's `torch.autograd.Function`: a class with a static
 * `forward(ctx, ...args)` computed without recording a graph and a static `backward(ctx, grad)`
 * returning one gradient per argument. `apply` records the pair as one node of the graph, so a
 * student can write an op with its own backward without touching `src/` and check it with gradcheck.
 */
import { Tensor } from '../tensor.js';
import { fmtShape, sameShape } from '../shape.js';
import { composite } from './composite.js';
import { finish, noGrad } from './grad-mode.js';
import { alias } from '../ops/shape.js';

/** What forward leaves for backward: saved tensors and any other state (set fields on it). */
export class FunctionCtx {
  /** For each argument of apply: whether it is a tensor that requires grad. */
  readonly needsInputGrad: readonly boolean[];
  private saved: readonly Tensor[] = [];
  [field: string]: unknown;

  constructor(needsInputGrad: readonly boolean[]) {
    this.needsInputGrad = needsInputGrad;
  }

  /** Keeps tensors for backward, like `ctx.save_for_backward`. */
  saveForBackward(...tensors: Tensor[]): void {
    for (const [i, t] of tensors.entries()) {
      if (!isTensor(t)) throw new TypeError(`saveForBackward: argument ${i} is not a Tensor (got ${describe(t)}); keep other values as fields of ctx`);
    }
    this.saved = tensors;
  }

  /** The tensors given to saveForBackward, in order. */
  get savedTensors(): readonly Tensor[] {
    return this.saved;
  }
}

function isTensor(value: unknown): value is Tensor {
  return value instanceof Tensor;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/**
 * Base class of custom differentiable ops: subclass it with static forward and backward, call `apply`.
 * @example
 * class Cube extends autograd.Function {
 *   static forward(ctx, x) { ctx.saveForBackward(x); return x.pow(3); }
 *   static backward(ctx, grad) { const [x] = ctx.savedTensors; return grad.mul(x.square().mul(3)); }
 * }
 * const y = Cube.apply(x);
 */
// biome-ignore lint/complexity/noStaticOnlyClass: PyTorch's autograd.Function is a class of static methods that users subclass
export class AutogradFunction {
  /** Computes the output from the arguments (no graph is recorded in here). */
  static forward(_ctx: FunctionCtx, ..._args: unknown[]): Tensor {
    throw new Error(`${this.name}.forward is not implemented: define static forward(ctx, ...args) on the subclass`);
  }

  /** Maps the output's gradient to one gradient (or null) per argument of forward. */
  static backward(_ctx: FunctionCtx, _grad: Tensor): Tensor | null | (Tensor | null | undefined)[] {
    throw new Error(`${this.name}.backward is not implemented: define static backward(ctx, grad) on the subclass`);
  }

  /** Runs forward and records backward as this op's gradient in the graph. */
  static apply(...args: unknown[]): Tensor {
    const name = this.name || 'Function';
    const needsInputGrad = args.map((a) => isTensor(a) && a.requiresGrad);
    return composite(name, () => {
      const ctx = new FunctionCtx(needsInputGrad);
      const result = noGrad(() => this.forward(ctx, ...args));
      if (!isTensor(result)) throw new TypeError(`${name}.forward must return a Tensor, got ${describe(result)}`);
      // An argument returned as is gets its own node, as PyTorch does, instead of being overwritten.
      const out = args.includes(result) ? alias(result) : result;
      const inputs = args.filter(isTensor);
      return finish(out, name, inputs, (grad) => {
        const returned = this.backward(ctx, grad);
        const grads = Array.isArray(returned) ? returned : [returned];
        if (grads.length !== args.length) {
          throw new Error(
            `${name}.backward returned ${grads.length} gradient(s) but forward took ${args.length} argument(s); return one per argument (null for non-tensors)`,
          );
        }
        return args.flatMap((arg, i) => {
          if (!isTensor(arg)) return [];
          const g = grads[i] ?? null;
          if (g !== null && (!isTensor(g) || !sameShape(g.shape, arg.shape))) {
            throw new Error(
              `${name}.backward: gradient ${i} has shape ${isTensor(g) ? fmtShape(g.shape) : describe(g)} but argument ${i} has shape ${fmtShape(arg.shape)}`,
            );
          }
          return [g];
        });
      });
    });
  }
}
