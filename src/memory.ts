/**
 * Tensor lifetimes. Tensors live in WASM memory the garbage collector cannot see, so Tessera frees
 * them on its own schedule (docs/memory.md):
 * - a graph that has been backpropagated is released at the next step boundary (the next
 *   `backward()` or `zeroGrad()`), together with tensors derived from it without grad;
 * - `tidy(fn)` / `scope()` release what a block made and did not return;
 * - a FinalizationRegistry returns the storage of tensors that were dropped, as a safety net;
 * - `keep()` exempts a tensor from all of the above; `dispose()` releases it now.
 */
import './disposable.js';
import type { Backend, MemoryStats, Storage } from './backend/backend.js';
import type { Tensor } from './tensor.js';

let liveTensors = 0;
const scopes: Set<Tensor>[] = [];
let pendingGraphs: Tensor[] = [];

const registry = new FinalizationRegistry<Storage>((storage) => {
  liveTensors--;
  dropStorageRef(storage);
});

function dropStorageRef(storage: Storage): void {
  if (--storage.refs === 0 && !storage.released) {
    storage.released = true;
    storage.backend.free(storage);
  }
}

/**
 * Called once for every Tensor constructed: counts it, ties it to its storage and to the open
 * scope. A scope holds its tensors strongly, so the FinalizationRegistry could not fire for them
 * anyway; they are registered only if they outlive the outermost scope (registering costs more
 * than a small op).
 */
export function track(t: Tensor): void {
  liveTensors++;
  t.storage.refs++;
  const scope = scopes[scopes.length - 1];
  if (scope) scope.add(t);
  else finalizable(t);
}

function finalizable(t: Tensor): void {
  t.finalizable = true;
  registry.register(t, t.storage, t);
}

/**
 * Releases a tensor's hold on its storage; idempotent. `why` is quoted if the tensor is used later.
 * `withDependents` also releases what was computed from it without grad (graph release only).
 */
export function release(t: Tensor, why: string, withDependents = false): void {
  if (t.releasedBecause !== null) return;
  t.releasedBecause = why;
  liveTensors--;
  if (t.finalizable) registry.unregister(t);
  dropStorageRef(t.storage);
  if (withDependents) for (const d of t.dependents) if (!d.kept) release(d, why, true);
}

/** Throws the error a user sees when touching a released tensor. */
export function assertAlive(t: Tensor, op: string): void {
  if (t.releasedBecause !== null) {
    throw new Error(
      `${op}: this ${t.dtype} tensor of shape [${t.shape.join(', ')}] was released (${t.releasedBecause}). ` +
        'Call keep() or clone() on a tensor that must outlive its training step or tidy() block.',
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

function closeScope(scope: Set<Tensor>, result: unknown): void {
  const keepers = new Set<Tensor>();
  collectTensors(result, keepers, tensorClass);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (t.releasedBecause !== null) continue;
    if (keepers.has(t) || t.kept) {
      if (parent) parent.add(t);
      else finalizable(t);
    } else release(t, 'its tidy()/scope() block ended');
  }
}

/**
 * Runs `fn` and releases every tensor it created except the ones it returns (in arrays and plain
 * objects too) and the ones marked `keep()`.
 * @example const loss = tidy(() => model.forward(x).sub(y).pow(2).mean());
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
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
 * `tidy(fn)` that also reports which returned tensors `fn` created (the others existed before it
 * ran), so a caller can later release what it made without touching what it was handed.
 */
export function tidyCreated<T>(fn: () => T): { result: T; created: Set<Tensor> } {
  const created = new Set<Tensor>();
  const result = tidy(() => {
    const made = scopes[scopes.length - 1];
    const value = fn();
    const returned = new Set<Tensor>();
    collectTensors(value, returned, tensorClass);
    for (const t of returned) if (made.has(t)) created.add(t);
    return value;
  });
  return { result, created };
}

/**
 * Runs `fn` in a scope that releases nothing: it reports every tensor made inside (still alive)
 * and the tensors `fn` returned, then hands them all to the enclosing scope. `composite` decides
 * what to free.
 */
export function collectCreated<T>(fn: () => T): { result: T; created: Tensor[]; returned: Tensor[] } {
  const made = new Set<Tensor>();
  scopes.push(made);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.splice(scopes.lastIndexOf(made), 1);
    const parent = scopes[scopes.length - 1];
    for (const t of made) if (t.releasedBecause === null) parent ? parent.add(t) : finalizable(t);
  }
  const returnedSet = new Set<Tensor>();
  collectTensors(result, returnedSet, tensorClass);
  return { result, created: [...made], returned: [...returnedSet] };
}

/** A disposable scope for `using`: tensors created until it is disposed are released then, unless kept. */
export class Scope implements Disposable {
  private readonly tensors = new Set<Tensor>();
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
  return fn ? tidy(fn) : new Scope();
}

/** Queues a backpropagated graph's tensors; they are released at the next step boundary. */
export function queueGraphRelease(tensors: Tensor[]): void {
  for (const t of tensors) {
    t.pendingRelease = true;
    pendingGraphs.push(t);
  }
}

/** A step boundary (start of backward() or zeroGrad()): releases the graphs queued before it. */
export function releasePendingGraphs(): void {
  const graphs = pendingGraphs;
  pendingGraphs = [];
  for (const t of graphs) if (!t.kept) release(t, 'its graph was backpropagated and a later backward()/zeroGrad() began', true);
}

/** Live tensors and the bytes of every backend in use, to check that a loop does not leak. */
export function memoryStats(backends: Backend[]): MemoryStats {
  const out: MemoryStats = { liveTensors, liveBytes: 0, cachedBytes: 0, wasmBytes: 0, peakBytes: 0 };
  for (const b of backends) {
    const s = b.stats();
    out.liveBytes += s.liveBytes;
    out.cachedBytes += s.cachedBytes;
    out.wasmBytes += s.wasmBytes;
    out.peakBytes += s.peakBytes;
  }
  return out;
}
