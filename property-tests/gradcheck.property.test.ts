import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradcheck, noGrad, tidy, type Tensor } from '../src/index.js';
import { finish } from '../src/autograd/grad-mode.js';
import { NONZERO, SMALL, leaves, shapeArb, valuesFor } from './arbitraries.js';

/** Fixed for reproducible runs; set PROPERTY_SEED to explore others. */
const SEED = Number(process.env.PROPERTY_SEED ?? 99);
const RUNS = { seed: SEED, numRuns: 25 };

/** x·x computed by the real mul, with a hand-written backward. */
function square(backward: (g: Tensor, x: Tensor) => Tensor) {
  return (x: Tensor): Tensor =>
    finish(
      noGrad(() => x.mul(x)),
      'square',
      [x],
      (g) => [backward(g, x)],
    );
}
/** x·y computed by the real mul, with a hand-written backward. */
function product(backward: (g: Tensor, x: Tensor, y: Tensor) => [Tensor | null, Tensor | null]) {
  return (x: Tensor, y: Tensor): Tensor =>
    finish(
      noGrad(() => x.mul(y)),
      'product',
      [x, y],
      (g) => backward(g, x, y),
    );
}

const correctSquare = square((g, x) => g.mul(x).mul(2));
const wrongSign = square((g, x) => g.mul(x).mul(-2));
/** Off by 1%: a typo-sized error (a wrong constant) that the default rtol of 1e-3 must still see. */
const onePercentOff = square((g, x) => g.mul(x).mul(2.02));
const correctProduct = product((g, x, y) => [g.mul(y), g.mul(x)]);
/** The product rule with its second term forgotten. */
const missingTerm = product((g, _, y) => [g.mul(y), null]);
/** The product rule with the second term's gradient swapped for the first's. */
const swappedTerms = product((g, x, y) => [g.mul(x), g.mul(y)]);

/** One input (or two of the same shape) with values away from 0, where every broken backward above differs from the true one. */
const inputsArb = (count: number) => fc.tuple(shapeArb(SMALL), fc.nat()).map(([shape, seed]) => ({ shapes: Array.from({ length: count }, () => shape), seed }));

function check(count: number, expectation: (inputs: Tensor[]) => void): void {
  fc.assert(
    fc.property(inputsArb(count), ({ shapes, seed }) => {
      tidy(() => expectation(leaves(valuesFor(NONZERO, shapes, seed), shapes, 'float64', 'js')));
    }),
    RUNS,
  );
}

describe('gradcheck catches wrong gradients', () => {
  it('passes a correct hand-written backward (x² and x·y)', () => {
    check(1, (xs) => expect(gradcheck(correctSquare, xs)).toBe(true));
    check(2, (xs) => expect(gradcheck(correctProduct, xs)).toBe(true));
  });

  it('returns false for a backward with the wrong sign, a forgotten product-rule term, swapped terms or a 1% error', () => {
    const broken: [number, (...xs: Tensor[]) => Tensor][] = [
      [1, wrongSign],
      [1, onePercentOff],
      [2, missingTerm],
      [2, swappedTerms],
    ];
    for (const [count, fn] of broken) {
      check(count, (xs) => expect(gradcheck(fn, xs, { raiseException: false })).toBe(false));
    }
  });

  it('by default throws an error that names the input and the element', () => {
    check(1, (xs) => expect(() => gradcheck(wrongSign, xs)).toThrow(/gradient mismatch for input 0 \(shape \[[\d, ]*\]\) element 0\b.*analytic .*numerical/));
    // x·y's d/dx is right and d/dy is missing, so the first mismatch is in input 1.
    check(2, (xs) =>
      expect(() => gradcheck(missingTerm, xs)).toThrow(/gradient mismatch for input 1 \(shape \[[\d, ]*\]\) element 0\b.*analytic 0, numerical/),
    );
  });

  it('leaves the input values as they were, whether it passes or fails, and clears .grad after a pass', () => {
    check(2, (xs) => {
      const before = xs.map((x) => Array.from(x.toArray()));
      expect(gradcheck(missingTerm, xs, { raiseException: false })).toBe(false);
      expect(xs.map((x) => Array.from(x.toArray()))).toEqual(before);
      expect(gradcheck(correctProduct, xs)).toBe(true);
      expect(xs.map((x) => Array.from(x.toArray()))).toEqual(before);
      expect(xs.map((x) => x.grad)).toEqual([null, null]);
    });
  });
});
