import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradcheck, tidy } from '../src/index.js';
import { SMALL, leaves } from './arbitraries.js';
import { DIFFERENTIABLE_OPS, OPS, inputValues } from './op-table.js';

/** Fixed for reproducible runs; set PROPERTY_SEED to explore others. */
const SEED = Number(process.env.PROPERTY_SEED ?? 20240611);

describe('analytic gradient of every op matches central differences in float64', () => {
  it('the table has one row per differentiable op', () => {
    expect(Object.keys(OPS).sort()).toEqual([...DIFFERENTIABLE_OPS].sort());
  });

  it.each(DIFFERENTIABLE_OPS)('%s', (name) => {
    const info = OPS[name];
    fc.assert(
      fc.property(info.sample(SMALL), fc.nat(), (c, valueSeed) =>
        tidy(() => {
          const inputs = leaves(inputValues(info, c.shapes, valueSeed), c.shapes, 'float64', 'js');
          return gradcheck((...xs) => c.fn(xs), inputs);
        }),
      ),
      { seed: SEED, numRuns: 20 },
    );
  });
});
