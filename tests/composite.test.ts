import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composite } from '../src/autograd/composite.js';
import { memoryStats, noGrad, randn, tensor } from '../src/index.js';

describe('composite', () => {
  it('frees the temporaries of a no-grad composite and keeps its result', () => {
    const x = tensor([1, -2, 3]);
    const before = memoryStats().liveTensors;
    const y = noGrad(() => composite('silu', () => x.mul(x.sigmoid())));
    expect(memoryStats().liveTensors).toBe(before + 1);
    const want = [1, -2, 3].map((v) => v / (1 + Math.exp(-v)));
    Array.from(y.toArray()).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
  });
  it('keeps what a backward may read until the graph is backpropagated', () => {
    const x = randn([4], { requiresGrad: true });
    const y = composite('silu', () => x.mul(x.sigmoid()));
    y.sum().backward();
    const s = Array.from(x.toArray()).map((v) => 1 / (1 + Math.exp(-v)));
    const want = Array.from(x.toArray()).map((v, i) => s[i] * (1 + v * (1 - s[i])));
    Array.from(x.grad!.toArray()).forEach((g, i) => expect(g).toBeCloseTo(want[i], 5));
  });
});

describe('the house rules of issue 9 hold in src/', () => {
  const root = new URL('../src/', import.meta.url);
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.startsWith('data/bundled/'));
  const source = (f: string) => readFileSync(new URL(f, root), 'utf8');

  it('no release(), k() or settle() outside the memory module and composite(): op authors write math', () => {
    const owners = new Set(['memory.ts', 'autograd/composite.ts']);
    const offenders = files.filter((f) => !owners.has(f) && /(?<![\w.])(release|k|settle)\(/.test(source(f)));
    expect(offenders).toEqual([]);
  });

  it('the autograd core (grad-mode, engine, composite) imports no op, factory or tensor module', () => {
    for (const f of ['autograd/grad-mode.ts', 'autograd/engine.ts', 'autograd/composite.ts']) {
      const imports = [...source(f).matchAll(/^import (?!type )[^']*'([^']+)'/gm)].map((m) => m[1]);
      expect(
        imports.filter((i) => /\/(ops\/|creation|tensor|validate)/.test(i)),
        f,
      ).toEqual([]);
    }
  });
});
