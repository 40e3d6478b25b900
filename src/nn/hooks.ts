/**
 * Module hooks (PyTorch's register_forward_pre_hook, register_forward_hook and
 * register_full_backward_hook): what `Module.call()` runs around `forward()`. Backward hooks see the
 * gradients at the module's boundary through identity nodes on its input and outputs, as PyTorch's
 * BackwardHook does.
 */
import { finish, isGradEnabled } from '../autograd/grad-mode.js';
import { userCode } from '../memory.js';
import { alias, clone } from '../ops/shape.js';
import { fmtShape, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';

/** What `register*Hook` returns: `remove()` unregisters the hook (PyTorch's RemovableHandle). */
export class RemovableHandle {
  static #nextId = 0;
  /** Unique across all hooks, as in PyTorch. */
  readonly id = RemovableHandle.#nextId++;
  readonly #registry: Map<number, unknown>;

  /** @internal Made by `Module.register*Hook`. */
  constructor(registry: Map<number, unknown>) {
    this.#registry = registry;
  }

  /** Unregisters the hook; removing twice is harmless. */
  remove(): void {
    this.#registry.delete(this.id);
  }
}

/** Receives the positional arguments before forward; returning an array (or one value) replaces them. */
export type ForwardPreHook<M, A extends unknown[]> = (module: M, args: A) => A | A[0] | undefined | void;
/** Receives the arguments and the output after forward; returning a value replaces the output. */
export type ForwardHook<M, A extends unknown[], R> = (module: M, args: A, output: R) => R | undefined | void;
/**
 * Receives the gradients with respect to the module's tensor input and outputs (null where none
 * flows); returning an array replaces `gradInput`.
 */
export type FullBackwardHook<M> = (module: M, gradInput: (Tensor | null)[], gradOutput: (Tensor | null)[]) => (Tensor | null)[] | undefined | void;

/** @internal The three hook registries every Module owns. */
export interface HookRegistries {
  forwardPre: Map<number, ForwardPreHook<never, never[]>>;
  forward: Map<number, ForwardHook<never, never[], unknown>>;
  backward: Map<number, FullBackwardHook<never>>;
}

/** @internal Registers `hook` in `registry` and returns its handle. */
export function addHook<H>(registry: Map<number, H>, hook: H, method: string): RemovableHandle {
  if (typeof hook !== 'function') throw new TypeError(`${method}: the hook must be a function (got ${typeof hook})`);
  const handle = new RemovableHandle(registry as Map<number, unknown>);
  registry.set(handle.id, hook);
  return handle;
}

type AnyFn = (...args: unknown[]) => unknown;

/** @internal PyTorch's Module.__call__: pre-hooks, forward, forward hooks, backward-hook wiring. */
export function callWithHooks(module: object, forward: AnyFn, args: unknown[], hooks: HookRegistries): unknown {
  for (const hook of [...hooks.forwardPre.values()] as AnyFn[]) {
    const result = userCode(args, () => hook(module, args));
    if (result !== undefined) args = Array.isArray(result) ? result : [result];
  }
  const boundary = hooks.backward.size > 0 && isGradEnabled() ? new BackwardBoundary(module, hooks.backward as Map<number, AnyFn>) : null;
  if (boundary) args = boundary.wrapInputs(args);
  let output = forward.apply(module, args);
  for (const hook of [...hooks.forward.values()] as AnyFn[]) {
    const result = userCode([args, output], () => hook(module, args, output));
    if (result !== undefined) output = result;
  }
  return boundary ? boundary.wrapOutputs(output) : output;
}

const NODE = 'BackwardHookFunction';

/**
 * One call's backward-hook wiring: the outputs' identity nodes record gradOutput (they run first
 * in backward), the input's identity node then calls the hooks with both and passes on their
 * gradInput. With no input that requires grad the hooks run once every output's gradient is in.
 */
class BackwardBoundary {
  readonly #module: object;
  readonly #hooks: Map<number, AnyFn>;
  #tensorArgs = 0;
  #inputRequiresGrad = false;
  #gradOutput: (Tensor | null)[] = [];
  #trackedOutputs = 0;
  #pendingOutputs = 0;

  constructor(module: object, hooks: Map<number, AnyFn>) {
    this.#module = module;
    this.#hooks = hooks;
  }

  wrapInputs(args: unknown[]): unknown[] {
    const tensors = args.filter((a): a is Tensor => a instanceof Tensor);
    this.#tensorArgs = tensors.length;
    const tracked = tensors.filter((t) => t.requiresGrad);
    if (tracked.length > 1) {
      throw new Error(
        `registerFullBackwardHook: ${this.#module.constructor.name}'s forward got ${tracked.length} tensors that require grad; full backward hooks support modules with one such input`,
      );
    }
    this.#inputRequiresGrad = tracked.length === 1;
    const slot = tensors.findIndex((t) => t.requiresGrad);
    const gradInput = (g: Tensor) => tensors.map((_, i) => (i === slot ? g : null));
    return args.map((a) => (a instanceof Tensor && a.requiresGrad ? finish(alias(a), NODE, [a], (g) => [this.#run(gradInput(g))[slot]]) : a));
  }

  wrapOutputs(output: unknown): unknown {
    const outputs = output instanceof Tensor ? [output] : Array.isArray(output) ? output : [];
    this.#gradOutput = outputs.map(() => null);
    const wrapped = outputs.map((o, i) => {
      if (!(o instanceof Tensor) || !o.requiresGrad) return o;
      this.#trackedOutputs++;
      this.#pendingOutputs++;
      return finish(alias(o), NODE, [o], (g) => {
        // Kept past this node's backward: the input node reads it later in the same pass.
        this.#gradOutput[i]?.dispose();
        this.#gradOutput[i] = clone(g).keep();
        if (--this.#pendingOutputs === 0 && !this.#inputRequiresGrad) this.#run(new Array<null>(this.#tensorArgs).fill(null));
        return [g];
      });
    });
    return output instanceof Tensor ? wrapped[0] : Array.isArray(output) ? wrapped : output;
  }

  #run(gradInput: (Tensor | null)[]): (Tensor | null)[] {
    try {
      // The hooks get gradients of their own (kept: a hook may hold them, as grad-CAM does); the
      // engine consumes only what flows on.
      const gradOutput = this.#gradOutput;
      let given = gradInput.map((g) => g && alias(g));
      let changed = false;
      for (const hook of [...this.#hooks.values()]) {
        const seen = given;
        const result = userCode([seen, gradOutput], () => hook(this.#module, seen, gradOutput));
        if (result !== undefined) {
          given = this.#checked(result, given);
          changed = true;
        }
      }
      return changed ? given.map((g) => g && alias(g)) : gradInput;
    } finally {
      this.#gradOutput = this.#gradOutput.map(() => null);
      this.#pendingOutputs = this.#trackedOutputs;
    }
  }

  #checked(result: unknown, previous: (Tensor | null)[]): (Tensor | null)[] {
    const where = `registerFullBackwardHook: the hook of ${this.#module.constructor.name}`;
    if (!Array.isArray(result) || result.length !== previous.length) {
      throw new TypeError(
        `${where} must return undefined or an array of ${previous.length} gradient(s) (got ${Array.isArray(result) ? `${result.length}` : typeof result})`,
      );
    }
    return result.map((g: unknown, i) => {
      const before = previous[i];
      if (g === null && before === null) return null;
      if (!(g instanceof Tensor) || !before || !sameShape(g.shape, before.shape)) {
        const got = g instanceof Tensor ? `shape ${fmtShape(g.shape)}` : String(g);
        throw new TypeError(`${where} returned ${got} for gradInput[${i}], expected ${before ? `a tensor of shape ${fmtShape(before.shape)}` : 'null'}`);
      }
      return g;
    });
  }
}
