// Shared matchers for the unit tests.
import { expect } from 'vitest';
import type { NestedArray, Tensor } from '../src/index.js';

/** Nested expected values as matchers that allow float32 rounding (non-finite values must match exactly). */
export function approx(expected: NestedArray, digits = 5): unknown {
  if (Array.isArray(expected)) return expected.map((e) => approx(e, digits));
  return typeof expected === 'number' && Number.isFinite(expected) ? expect.closeTo(expected, digits) : expected;
}

/** Asserts t's values equal `expected` to `digits` decimal places. */
export function expectValues(t: Tensor, expected: NestedArray, digits = 5): void {
  expect(t.tolist()).toEqual(approx(expected, digits));
}
