import fc from 'fast-check';
import { it } from 'vitest';
import { SMALL, LARGE } from './arbitraries.js';
import { OPS } from './op-table.js';
it('prints', () => {
  for (const name of ['add', 'where', 'sum', 'cat'] as const) {
    const cs = fc.sample(OPS[name].sample(SMALL), { seed: 20240611, numRuns: 20 });
    console.log(name, cs.map((c) => JSON.stringify(c.shapes)).join(' '));
  }
  for (const name of ['add', 'exp', 'matmul', 'sum', 'softmax'] as const) {
    const cs = fc.sample(OPS[name].sample(LARGE), { seed: 20240611, numRuns: 12 });
    console.log('LARGE', name, cs.map((c) => JSON.stringify(c.shapes)).join(' '));
  }
});
