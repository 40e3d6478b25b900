// nn.utils.prune: PyTorch's weight_orig / weight_mask parametrisation through a forward pre-hook.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, noGrad, optim, randn, tensor, type Tensor } from '../src/index.js';

const { prune } = nn.utils;

describe('nn.utils.prune', () => {
  it('l1Unstructured zeroes the smallest magnitudes, keeps PyTorch state-dict keys, and pruned weights stay zero through training', () => {
    const fc = new nn.Linear(2, 2);
    noGrad(() =>
      fc.weight.copy_(
        tensor([
          [0.1, -3],
          [2, -0.05],
        ]),
      ),
    );
    prune.l1Unstructured(fc, 'weight', 0.5);
    expect(Object.keys(fc.stateDict()).sort()).toEqual(['bias', 'weight_mask', 'weight_orig']);
    expect(Array.from((fc as unknown as { weight: nn.Parameter }).weight.toArray(), (v) => v + 0)).toEqual([0, -3, 2, 0]);
    expect(prune.isPruned(fc)).toBe(true);
    const opt = new optim.SGD(fc.parameters(), { lr: 0.1 });
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      fc(randn([4, 2]))
        .pow(2)
        .sum()
        .backward();
      opt.step();
    }
    const w = (fc as unknown as { weight: nn.Parameter }).weight.toArray();
    expect([w[0] + 0, w[3] + 0]).toEqual([0, 0]);
    prune.remove(fc, 'weight');
    expect(Object.keys(fc.stateDict()).sort()).toEqual(['bias', 'weight']);
    expect(prune.isPruned(fc)).toBe(false);
    expect(fc.weight.toArray()[0] + 0).toBe(0);
  });

  it('pruning again prunes a fraction of what is left; lnStructured drops whole rows; globalUnstructured ranks across tensors', () => {
    manualSeed(3);
    const fc = new nn.Linear(10, 10);
    prune.l1Unstructured(fc, 'weight', 0.5);
    prune.l1Unstructured(fc, 'weight', 0.5);
    const mask = (fc as unknown as { weight_mask: nn.Parameter }).weight_mask.toArray();
    expect(Array.from(mask).reduce((a, b) => a + b, 0)).toBe(25);
    const conv = new nn.Conv2d(2, 4, 3);
    prune.lnStructured(conv, 'weight', 2, 2, 0);
    const cm = (conv as unknown as { weight_mask: nn.Parameter }).weight_mask.toArray();
    const perFilter = [0, 1, 2, 3].map((f) => Array.from(cm.slice(f * 18, (f + 1) * 18)).reduce((a, b) => a + b, 0));
    expect(perFilter.filter((s) => s === 0).length).toBe(2);
    expect(perFilter.filter((s) => s === 18).length).toBe(2);
    const a = new nn.Linear(4, 4);
    const b = new nn.Linear(4, 4);
    noGrad(() => b.weight.mul_(0.0001));
    prune.globalUnstructured(
      [
        [a, 'weight'],
        [b, 'weight'],
      ],
      { pruningMethod: 'l1Unstructured', amount: 16 },
    );
    expect((b as unknown as { weight_mask: nn.Parameter }).weight_mask.toArray().every((v) => v === 0)).toBe(true);
    prune.randomUnstructured(a, 'weight', 4);
    expect(Array.from((a as unknown as { weight_mask: nn.Parameter }).weight_mask.toArray()).reduce((x, y) => x + y, 0)).toBe(12);
  });

  it('bad arguments are named', () => {
    const fc = new nn.Linear(2, 2);
    expect(() => prune.l1Unstructured(fc, 'nope', 0.5)).toThrow(/Linear has no parameter 'nope'/);
    expect(() => prune.l1Unstructured(fc, 'weight', 1.5)).toThrow(/at most 1/);
    expect(() => prune.l1Unstructured(fc, 'weight', 9)).toThrow(/more than the 4 entries/);
    expect(() => prune.remove(fc, 'weight')).toThrow(/is not pruned/);
    expect(() => prune.lnStructured(fc, 'weight', 0.5, 'fro' as never, 0)).toThrow(/n must be a positive norm order, Infinity or -Infinity \(got fro\)/);
    expect(() => prune.lnStructured(fc, 'weight', 0.5, 0, 0)).toThrow(/n must be a positive norm order/);
  });
});

interface PruneCase {
  name: string;
  layers: ('linear5' | 'linear' | 'conv')[];
  weights: { shape: number[]; data: number[] }[];
  steps: { method: 'l1Unstructured' | 'lnStructured' | 'globalUnstructured'; layer: number; args: { amount: number; n?: number | string; dim?: number } }[];
  masks: { shape: number[]; data: number[] }[];
}
const pruneFixtures: { torch: string; cases: PruneCase[] } = JSON.parse(readFileSync(new URL('./fixtures/torch-prune.json', import.meta.url), 'utf8'));

// scripts/torch_prune_fixtures.py: the same calls on the same weights in PyTorch 1.13.
describe(`nn.utils.prune masks equal PyTorch ${pruneFixtures.torch}'s`, () => {
  const layer = (kind: PruneCase['layers'][number]) =>
    kind === 'linear5' ? new nn.Linear(5, 1) : kind === 'linear' ? new nn.Linear(6, 4) : new nn.Conv2d(3, 5, 2);
  it.each(pruneFixtures.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const layers = c.layers.map(layer);
    layers.forEach((m, i) => noGrad(() => m.weight.copy_(tensor(c.weights[i].data, { shape: c.weights[i].shape }))));
    for (const { method, layer: i, args } of c.steps) {
      if (method === 'l1Unstructured') prune.l1Unstructured(layers[i], 'weight', args.amount);
      else if (method === 'lnStructured') prune.lnStructured(layers[i], 'weight', args.amount, Number(args.n), args.dim);
      else
        prune.globalUnstructured(
          layers.map((m) => [m, 'weight']),
          { pruningMethod: 'l1Unstructured', amount: args.amount },
        );
    }
    layers.forEach((m, i) => {
      const mask = (m as unknown as { weight_mask: Tensor }).weight_mask;
      expect(Array.from(mask.toArray()), `layer ${i}`).toEqual(c.masks[i].data);
    });
  });
});
