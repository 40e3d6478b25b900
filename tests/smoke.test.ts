import { describe, it, expect } from 'vitest';
import { tensor, randn, manualSeed, memoryStats } from '../src/index.js';

describe('smoke', () => {
  it('runs a forward and backward', () => {
    manualSeed(0);
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const w = tensor([[0.5, -1], [2, 1]], { requiresGrad: true });
    const y = x.matmul(w).relu().sum();
    y.backward();
    expect(y.item()).toBeCloseTo(16, 5);
    expect(Array.from(x.grad!.toArray())).toEqual([-0.5, 3, -0.5, 3]);
    expect(Array.from(w.grad!.toArray())).toEqual([4, 4, 6, 6]);
    const s = x.softmax(1);
    expect(s.sum(1).tolist()).toEqual([1, 1]);
    console.log(memoryStats(), randn([2]).toString());
  });
});
