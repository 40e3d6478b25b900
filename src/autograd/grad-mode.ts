/**
 * Grad mode and the graph record every op leaves behind. An op calls `finish()` last: when grad is
 * on and an input requires grad, the output gets a GradNode holding the op's backward closure.
 */
import type { Tensor } from '../tensor.js';
import { addDependent, queueGraphRelease } from '../memory.js';
import { func } from '../describe.js';
import { tick } from '../backend/version.js';

/** One recorded op: its differentiable inputs and the closure mapping gradOut to their grads. */
export interface GradNode {
  readonly name: string;
  /** Emptied when a backward without retainGraph consumes the node. */
  inputs: readonly Tensor[];
  /** Storage versions of the inputs when the op ran; a mismatch at backward means an in-place overwrite. */
  readonly versions: readonly number[];
  /** Storage version of the output when the op ran: backwards such as exp's and softmax's reuse the output. */
  readonly outputVersion: number;
  /**
   * The write-clock tick when the op finished: while the backward runs, reading any tensor
   * overwritten in place after it raises (backend/version.ts), whatever the closure captured.
   */
  readonly stamp: number;
  /** Null once a backward without retainGraph has consumed the node. */
  backward: ((gradOut: Tensor) => (Tensor | null)[]) | null;
}

let gradEnabled = true;
const NO_ATTRS: Readonly<Record<string, unknown>> = Object.freeze({});
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
  return setGradEnabled(false, func('noGrad', 'fn', fn));
}

/** Runs fn with recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  return setGradEnabled(true, func('enableGrad', 'fn', fn));
}

/** What an op observer sees of each op as it completes: its name, tensor inputs, output and settings. */
export interface OpEvent {
  readonly name: string;
  /** Emptied when a backward without retainGraph consumes the node. */
  inputs: readonly Tensor[];
  readonly output: Tensor;
  /** The op's settings (dims, shapes, strides…) and any index or mask tensors it read besides its inputs. */
  readonly attrs: Readonly<Record<string, unknown>>;
}

const observers: ((event: OpEvent) => void)[] = [];

/**
 * Runs fn and calls `observer` for every op that completes inside it, nested ops (an op built from
 * other ops) before the op that contains them; the ONNX exporter traces a forward with it, and a
 * course can print or draw the ops a model runs.
 * @example observeOps((e) => console.log(e.name, e.output.shape), () => model(x));
 */
export function observeOps<T>(observer: (event: OpEvent) => void, fn: () => T): T {
  if (typeof observer !== 'function') throw new TypeError('observeOps: observer must be a function (event) => void');
  func('observeOps', 'fn', fn);
  observers.push(observer);
  try {
    return fn();
  } finally {
    observers.splice(observers.lastIndexOf(observer), 1);
  }
}

/**
 * Reports a composite op (one built from other ops, which report themselves first) to the op
 * observers as one op, so a tracer can write it as one node; returns out.
 */
export function reportOp(out: Tensor, name: string, inputs: readonly Tensor[], attrs: Readonly<Record<string, unknown>>): Tensor {
  for (const observe of observers) observe({ name, inputs, output: out, attrs });
  return out;
}

/**
 * Completes an op: reports it to any op observers, records its backward when grad flows, and ties
 * outputs computed without grad from this step's graph or gradients to that step's lifetime (see
 * memory.ts). Nothing lists what the backward closure reads: whatever it reads that was modified
 * in place after now raises when it reads it (backend/version.ts), instead of giving a wrong
 * gradient. `attrs` are the op's settings, for observers.
 */
export function finish(
  out: Tensor,
  name: string,
  inputs: readonly Tensor[],
  backward: ((gradOut: Tensor) => (Tensor | null)[]) | null,
  attrs: Readonly<Record<string, unknown>> = NO_ATTRS,
): Tensor {
  for (const observe of observers) observe({ name, inputs, output: out, attrs });
  if (backward && gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.gradFn = {
      name,
      inputs,
      versions: inputs.map((t) => t.storage.version),
      outputVersion: out.storage.version,
      backward,
      stamp: tick(),
    };
    out.setRequiresGrad(true);
    return out;
  }
  if (!trackLifetimes) return out;
  // Computed from a gradient (directly or through other such tensors): freed at the next step boundary.
  for (const t of inputs) {
    if (t.isGrad || (t.pendingRelease && t.gradFn === null && !t.isDependent)) {
      queueGraphRelease([out]);
      return out;
    }
  }
  for (const t of inputs) {
    if (t.gradFn || t.isDependent) {
      addDependent(t, out);
      out.isDependent = true;
      return out;
    }
  }
  return out;
}
