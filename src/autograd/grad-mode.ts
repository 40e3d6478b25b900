/**
 * Grad mode and the graph record every op leaves behind. An op calls `finish()` last: when grad is
 * on and an input requires grad, the output gets a GradNode holding the op's backward closure.
 */
import type { Tensor } from '../tensor.js';
import { queueGraphRelease } from '../memory.js';

/** One recorded op: its differentiable inputs and the closure mapping gradOut to their grads. */
export interface GradNode {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  /** Storage versions of the inputs when the op ran; a mismatch at backward means an in-place overwrite. */
  readonly versions: readonly number[];
  /** Storage version of the output when the op ran: backwards such as exp's and softmax's reuse the output. */
  readonly outputVersion: number;
  /** Tensors the backward reads that are not differentiable inputs (a where mask, class targets), and their versions then. */
  readonly saved: readonly Tensor[];
  readonly savedVersions: readonly number[];
  /** Null once a backward without retainGraph has consumed the node. */
  backward: ((gradOut: Tensor) => (Tensor | null)[]) | null;
}

let gradEnabled = true;
let trackLifetimes = true;

/** @internal The engine turns lifetime tracking off while it runs: its temporaries are its own. */
export function withoutLifetimeTracking<T>(fn: () => T): T {
  const prev = trackLifetimes;
  trackLifetimes = false;
  try {
    return fn();
  } finally {
    trackLifetimes = prev;
  }
}

/** Whether ops record a graph right now. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with gradient recording switched on or off, restoring the previous mode after. */
export function setGradEnabled<T>(enabled: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Runs fn without recording a graph, like `with torch.no_grad():`.
 * @example noGrad(() => w.sub_(w.grad!.mul(0.1)));
 */
export function noGrad<T>(fn: () => T): T {
  return setGradEnabled(false, fn);
}

/** Runs fn with recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  return setGradEnabled(true, fn);
}

/**
 * Completes an op: records its backward when grad flows, and ties outputs computed without grad
 * from this step's graph or gradients to that step's lifetime (see memory.ts). `saved` lists the
 * other tensors the backward closure reads (as PyTorch's save_for_backward), so an in-place change
 * to one between forward and backward raises instead of giving a wrong gradient.
 */
export function finish(
  out: Tensor,
  name: string,
  inputs: readonly Tensor[],
  backward: ((gradOut: Tensor) => (Tensor | null)[]) | null,
  saved: readonly Tensor[] = [],
): Tensor {
  if (backward && gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.gradFn = {
      name, inputs, versions: inputs.map((t) => t.storage.version), outputVersion: out.storage.version, backward,
      saved, savedVersions: saved.map((t) => t.storage.version),
    };
    out.setRequiresGrad(true);
    return out;
  }
  if (!trackLifetimes) return out;
  for (const t of inputs) {
    if (t.pendingRelease || t.isGrad) {
      queueGraphRelease([out]);
      return out;
    }
  }
  for (const t of inputs) {
    if (t.gradFn || t.isDependent) {
      t.dependents.push(out);
      out.isDependent = true;
      return out;
    }
  }
  return out;
}
