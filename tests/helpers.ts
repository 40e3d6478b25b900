// Shared matchers for the unit tests.
import { expect } from 'vitest';
import type { NestedArray, Tensor } from '../src/index.js';
import type { LoopPeaks } from './browser/memory-loop.js';

/** Nested expected values as matchers that allow float32 rounding (non-finite values must match exactly). */
export function approx(expected: NestedArray, digits = 5): unknown {
  if (Array.isArray(expected)) return expected.map((e) => approx(e, digits));
  return typeof expected === 'number' && Number.isFinite(expected) ? expect.closeTo(expected, digits) : expected;
}

/** Asserts t's values equal `expected` to `digits` decimal places. */
export function expectValues(t: Tensor, expected: NestedArray, digits = 5): void {
  expect(t.tolist()).toEqual(approx(expected, digits));
}

/**
 * Issue 9's bound on a loop (tests/memory-loops.test.ts, the Chromium test): the peak live bytes
 * and tensors over the last fifth of the run stay within 2× those over the fifth from step 100,
 * and WASM memory stopped growing after that early window.
 */
export function expectBounded(m: LoopPeaks): void {
  expect(m.earlyBytes).toBeGreaterThan(0);
  expect(m.lateBytes).toBeLessThanOrEqual(2 * m.earlyBytes);
  expect(m.lateTensors).toBeLessThanOrEqual(2 * m.earlyTensors);
  expect(m.wasmBytes).toBe(m.wasmAfterEarly);
}

/** A seeded uniform [0, 1) generator (mulberry32): test data that is the same on every run. */
export function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
