/**
 * Tensor lifetimes. Tensors live in WASM memory the garbage collector cannot see, so Tessera frees
 * them on its own schedule (docs/memory.md):
 * - what only Tessera can reach (a composite's temporaries, backward's gradient buffers, a replaced
 *   `.grad`) is released as soon as it is consumed, or with the graph that still reads it;
 * - `tidy(fn)` / `scope()` release what a block made and did not return; `dispose()` releases now;
 * - everything a user may still hold is left alive: the backend copies storages nobody used
 *   recently out to JS (a reclaim pass, or at the step boundary for a backpropagated graph), where
 *   the garbage collector frees the copies of dropped tensors, and copies back any used again.
 */
import './disposable.js';
import type { Backend, MemoryStats, Storage } from './backend/backend.js';
import type { Tensor } from './tensor.js';
import { func } from './describe.js';
import { activeBackends } from './device.js';

// Each open scope lists the tensors made while it is innermost (each tensor is in at most one
// scope, so arrays suffice: cheaper per op than sets).
const scopes: Tensor[][] = [];
let pendingGraphs: Tensor[] = [];
let pendingRoots = new Set<Tensor>();

function dropStorageRef(storage: Storage): void {
  if (--storage.refs === 0 && !storage.released) {
    storage.released = true;
    storage.backend.free(storage);
  }
}

/** Called once for every Tensor constructed: ties it to its storage and to the open scope. */
export function track(t: Tensor): void {
  t.storage.refs++;
  const scope = scopes[scopes.length - 1];
  if (scope) scope.push(t);
}

/** Releases a tensor's hold on its storage; idempotent. `why` is quoted if the tensor is used later. */
export function release(t: Tensor, why: string): void {
  if (t.releasedBecause !== null) return;
  t.releasedBecause = why;
  dropStorageRef(t.storage);
}

/** Records `t` among `owner`'s dependents (settled with it at the step boundary). */
export function addDependent(owner: Tensor, t: Tensor): void {
  if (owner.dependents === null) owner.dependents = [t];
  else owner.dependents.push(t);
}

/**
 * Ties a temporary only Tessera can reach (`t`, made inside an op or composite) to the graph of
 * `owner`, whose backward may still read it: it is released when that graph is (see releasePendingGraphs).
 */
export function releaseWithGraph(owner: Tensor, t: Tensor): void {
  t.internal = true;
  addDependent(owner, t);
}

/**
 * `x`, a result a container (nn.Sequential) passed from one layer to the next, was consumed by the
 * layer that made `next`. A graph tensor is left to its graph; any other is freed now, or with
 * next's graph when there is one (its backward may read x).
 */
export function intermediateConsumed(x: Tensor, next: Tensor): void {
  if (x === next || x.gradFn || x.kept || x.releasedBecause !== null) return;
  if (next.gradFn) releaseWithGraph(next, x);
  else release(x, 'a layer of its container consumed it');
}

/** Throws the error a user sees when touching a released tensor. */
export function assertAlive(t: Tensor, op: string): void {
  if (t.releasedBecause !== null) {
    throw new Error(
      `${op}: this ${t.dtype} tensor of shape [${t.shape.join(', ')}] was released (${t.releasedBecause}). ` +
        'Call keep() on a tensor that must outlive its tidy() block (or return it), and detach() an activation you hold past its training step.',
    );
  }
}

/** Values a tidy block returns: tensors inside arrays and plain objects survive the block. */
function collectTensors(value: unknown, into: Set<Tensor>, TensorClass: Function): void {
  if (value instanceof TensorClass) into.add(value as Tensor);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, into, TensorClass);
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, into, TensorClass);
  }
}

let tensorClass: Function = Object;
/** tensor.ts registers its class here, so this module needs no runtime import of it. */
export function setTensorClass(cls: Function): void {
  tensorClass = cls;
}

function closeScope(scope: Tensor[], result: unknown): void {
  const keepers = new Set<Tensor>();
  collectTensors(result, keepers, tensorClass);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (t.releasedBecause !== null) continue;
    if (keepers.has(t) || t.kept) parent?.push(t);
    else release(t, 'its tidy()/scope() block ended');
  }
}

/**
 * Runs `fn` and releases every tensor it created except the ones it returns (in arrays and plain
 * objects too) and the ones marked `keep()`.
 * @example const loss = tidy(() => model.forward(x).sub(y).pow(2).mean());
 */
export function tidy<T>(fn: () => T): T {
  func('tidy', 'fn', fn);
  const scope: Tensor[] = [];
  scopes.push(scope);
  let result: T | undefined;
  try {
    result = fn();
    if (result instanceof Promise) throw new TypeError('tidy: fn returned a Promise; a tidy block must be synchronous (await outside it)');
    return result;
  } finally {
    scopes.splice(scopes.lastIndexOf(scope), 1);
    closeScope(scope, result);
  }
}

/**
 * Runs `fn` in a scope that releases nothing: it reports every tensor made inside (still alive),
 * then hands them all to the enclosing scope. `composite` decides what to free.
 */
export function collectCreated<T>(fn: () => T): { result: T; created: Tensor[] } {
  const made: Tensor[] = [];
  scopes.push(made);
  let result: T;
  try {
    result = fn();
  } finally {
    // Ops nest strictly, so `made` is the innermost scope: pop, not search (this runs for every op).
    if (scopes[scopes.length - 1] === made) scopes.pop();
    else scopes.splice(scopes.lastIndexOf(made), 1);
    const parent = scopes[scopes.length - 1];
    if (parent) for (const t of made) if (t.releasedBecause === null) parent.push(t);
  }
  return { result, created: made };
}

/** The tensors a value holds: itself, or those inside its arrays and plain objects. */
export function tensorsIn(value: unknown): Tensor[] {
  // Most composites return one tensor: no set to build for it.
  if (value instanceof tensorClass) return [value as Tensor];
  const found = new Set<Tensor>();
  collectTensors(value, found, tensorClass);
  return [...found];
}

/**
 * Runs user code that Tessera calls (a module hook), handing it `given`: the tensors among them
 * and those the code makes are the user's to hold (a hook capturing features), so no automatic
 * release (a container passing outputs on, a composite's cleanup, a step boundary, an internal
 * tidy) frees them: they are kept. A reclaim pass still spills one once unused, so a dropped one
 * costs a copy, never memory.
 */
export function userCode<T>(given: unknown, fn: () => T): T {
  const handed = new Set<Tensor>();
  collectTensors(given, handed, tensorClass);
  for (const t of handed) t.kept = true;
  const { result, created } = collectCreated(fn);
  for (const t of created) t.kept = true;
  return result;
}

/** A disposable scope for `using`: tensors created until it is disposed are released then, unless kept. */
export class Scope implements Disposable {
  private readonly tensors: Tensor[] = [];
  private open = true;
  constructor() {
    scopes.push(this.tensors);
  }
  /** Releases what the scope created; tensors passed here survive into the enclosing scope. */
  dispose(...survivors: Tensor[]): void {
    if (!this.open) return;
    if (scopes[scopes.length - 1] !== this.tensors) throw new Error('scope: scopes must be disposed in the reverse order they were opened');
    this.open = false;
    scopes.pop();
    closeScope(this.tensors, survivors);
  }
  /** Closes the scope at the end of a `using` block, as dispose(). */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * `scope(fn)` is `tidy(fn)`; `scope()` opens a scope to close with `using` or `dispose()`.
 * @example { using _ = scope(); const y = x.mul(2); console.log(y.sum().item()); }
 */
export function scope(): Scope;
export function scope<T>(fn: () => T): T;
export function scope<T>(fn?: () => T): T | Scope {
  if (fn === undefined) return new Scope();
  return tidy(func('scope', 'fn', fn));
}

/**
 * Queues tensors for the next step boundary: a backpropagated graph (with its `root`, the loss),
 * or outputs computed without grad from a gradient.
 */
export function queueGraphRelease(tensors: Tensor[], root: Tensor | null = null): void {
  for (const t of tensors) {
    t.pendingRelease = true;
    pendingGraphs.push(t);
  }
  if (root) pendingRoots.add(root);
}
const GRAPH_RELEASED = 'its graph was backpropagated and a later backward()/zeroGrad() began';

/**
 * A step boundary (start of backward() or zeroGrad()): the graphs queued before it are done, and
 * the backends learn that a step ended (reclaim passes keep what the last steps touched).
 * Freed outright, with no copy: a graph's internal temporaries, its activations (graph tensors
 * other than the loss) and what was computed from gradients. Kept, by spilling them out of
 * backend memory until their next use: the loss each backward started from and what was computed
 * from a graph without grad (a detached hidden state, a metric), which users hold across steps.
 * Edges to what a kept tensor was computed from are dropped, so a kept loss does not keep its
 * step's activations reachable.
 */
export function releasePendingGraphs(): void {
  const graphs = pendingGraphs;
  const roots = pendingRoots;
  pendingGraphs = [];
  pendingRoots = new Set();
  if (graphs.length > 0) for (const b of activeBackends()) b.stepBoundary();
  const done = new Set<Tensor>();
  // Storages → how many of the spilled tensors view them: a storage is spilled only when no
  // other tensor (a parameter a detached view shares, say) holds it too.
  const views = new Map<Storage, number>();
  const settle = (t: Tensor): void => {
    if (done.has(t)) return;
    done.add(t);
    t.pendingRelease = false;
    if (!t.kept && t.releasedBecause === null) {
      if (roots.has(t) || (t.isDependent && !t.internal && t.gradFn === null)) views.set(t.storage, (views.get(t.storage) ?? 0) + 1);
      else release(t, GRAPH_RELEASED);
    }
    // A released or kept tensor's dependents are settled too (a composite's result hangs off its freed temporaries).
    const dependents = t.dependents;
    t.dependents = null;
    if (dependents) for (const d of dependents) settle(d);
  };
  for (const t of graphs) settle(t);
  for (const [storage, n] of views) if (n === storage.refs) storage.backend.spill(storage);
}

const CONSUMED = 'a gradient buffer was consumed by backward';

/**
 * The gradients one backward() pass is summing, at most one buffer per tensor still to visit.
 * The pass owns every buffer (the caller's `gradient` enters as a detached alias of it), so each
 * is freed the moment it is consumed: summed into another, handed to its node, or adopted as a
 * leaf's `.grad`. Only the engine makes these; nothing else can reach them.
 */
export class GradientBuffers {
  private readonly sums = new Map<Tensor, Tensor>();

  constructor(root: Tensor, seed: Tensor) {
    this.sums.set(root, seed);
  }

  /** Removes and returns t's summed gradient; the caller hands it to `consumed` once read. */
  take(t: Tensor): Tensor | undefined {
    const g = this.sums.get(t);
    this.sums.delete(t);
    return g;
  }

  /**
   * Gives each input that requires grad what its node's backward returned for it, then frees
   * gradOut and whatever no input took. A buffer returned twice (or gradOut passed through)
   * enters again as an alias, so consuming one entry never frees another's.
   */
  distribute(inputs: readonly Tensor[], inputGrads: readonly (Tensor | null)[], gradOut: Tensor): void {
    const used = new Set<Tensor>();
    inputGrads.forEach((gi, i) => {
      if (!gi || !inputs[i].requiresGrad) return;
      const own = used.has(gi) || gi === gradOut ? gi.detach() : gi;
      used.add(gi);
      this.add(inputs[i], own);
    });
    for (const gi of inputGrads) if (gi && gi !== gradOut && !used.has(gi)) release(gi, CONSUMED);
    release(gradOut, CONSUMED);
  }

  /** Adds g (owned) to t's pending gradient. */
  private add(t: Tensor, g: Tensor): void {
    const prev = this.sums.get(t);
    if (!prev) {
      this.sums.set(t, g);
      return;
    }
    this.sums.set(t, prev.add(g));
    release(prev, CONSUMED);
    release(g, CONSUMED);
  }

  /** Accumulates g (owned) into t.grad in place, as PyTorch does across backward calls until zeroGrad. */
  accumulateGrad(t: Tensor, g: Tensor): void {
    if (t.grad && t.grad.releasedBecause === null) {
      t.grad.add_(g);
      release(g, CONSUMED);
      return;
    }
    // .grad must own contiguous memory: optimizers update it in place.
    const own = g.isContiguous() && g.offset === 0 && g.storage.refs === 1 && g.storage.length === g.numel() ? g : g.clone();
    if (own !== g) release(g, CONSUMED);
    own.kept = true;
    own.isGrad = true;
    own.pendingRelease = false;
    t.grad = own;
  }
}

/** A leaf's `.grad` was set to `value`: the old one is freed if backward made it (a tensor the user assigned stays theirs). */
export function gradReplaced(old: Tensor | null, value: Tensor | null): void {
  if (old && old !== value && old.isGrad) release(old, 'it was replaced as .grad (zeroGrad() or assignment)');
}

/** `Tensor.dispose()`: releases t now. */
export function disposeTensor(t: Tensor): void {
  release(t, 'dispose() was called on it');
}

/** Live storages and the bytes of every backend in use, to check that a loop does not leak. */
export function memoryStats(backends: Backend[]): MemoryStats {
  const out: MemoryStats = { liveTensors: 0, liveBytes: 0, cachedBytes: 0, wasmBytes: 0, peakBytes: 0, spills: 0, restores: 0 };
  for (const b of backends) {
    const s = b.stats();
    out.liveTensors += s.liveTensors;
    out.liveBytes += s.liveBytes;
    out.cachedBytes += s.cachedBytes;
    out.wasmBytes += s.wasmBytes;
    out.peakBytes += s.peakBytes;
    out.spills += s.spills;
    out.restores += s.restores;
  }
  return out;
}
