/**
 * The write clock behind saved-tensor checks. Every in-place write stamps its storage with the
 * next tick; every recorded op takes a tick when it finishes; every storage remembers the tick it
 * was born at. While a backward closure runs, any tensor it reads whose storage was born before
 * its op finished and written after has been overwritten since the forward: the read raises
 * (tensor.ts, the storage getter). So what a backward must not see changed is derived from what it
 * actually reads, not listed by hand (PyTorch's save_for_backward).
 */
import type { Storage } from './backend.js';

let clock = 0;

/** The current tick (a storage's birth). */
export function now(): number {
  return clock;
}

/** A fresh tick (an op's finish). */
export function tick(): number {
  return ++clock;
}

/** Marks an in-place write to s. */
export function bumpVersion(s: Storage): void {
  s.version = ++clock;
}

/** The backward closure running now: its op's name and finish tick, and the root gradient's storage (the caller's, changeable at will). */
export interface ReadGuard {
  readonly op: string;
  readonly stamp: number;
  readonly exempt: Storage | null;
}

/** @internal Set only while a backward closure runs (engine.ts). */
export let readGuard: ReadGuard | null = null;

/** Runs fn with reads checked against guard (null: unchecked), restoring the previous guard after. */
export function withReadGuard<T>(guard: ReadGuard | null, fn: () => T): T {
  const prev = readGuard;
  readGuard = guard;
  try {
    return fn();
  } finally {
    readGuard = prev;
  }
}

/** True when a backward guarded by g must not read s: born before g's op finished and written after. */
export function overwrittenSince(s: Storage, g: ReadGuard): boolean {
  return s.born < g.stamp && s.version > g.stamp && s !== g.exempt;
}
