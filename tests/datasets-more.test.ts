// WeightedRandomSampler, ConcatDataset, stratified randomSplit and IterableDataset, through the
// DataLoader the way a training script uses them.
import { describe, expect, it } from 'vitest';
import { Generator, data, tensor } from '../src/index.js';

const { ConcatDataset, DataLoader, Dataset, IterableDataset, TensorDataset, WeightedRandomSampler, randomSplit } = data;

class Numbers extends Dataset<number> {
  constructor(
    readonly length: number,
    readonly offset = 0,
  ) {
    super();
  }
  getItem(i: number): number {
    return this.offset + i;
  }
}

describe('WeightedRandomSampler', () => {
  it('draws indices in proportion to the weights (with replacement), reproducibly', () => {
    const sampler = new WeightedRandomSampler([1, 0, 3], 8000, { generator: new Generator(1) });
    const counts = [0, 0, 0];
    for (const i of sampler) counts[i]++;
    expect(counts[1]).toBe(0);
    expect(counts[2] / counts[0]).toBeGreaterThan(2.7);
    expect(counts[2] / counts[0]).toBeLessThan(3.3);
    expect(sampler.length).toBe(8000);
    expect([...new WeightedRandomSampler([1, 2, 3], 20, { generator: new Generator(4) })]).toEqual([
      ...new WeightedRandomSampler([1, 2, 3], 20, { generator: new Generator(4) }),
    ]);
  });

  it('without replacement draws each positive-weight index at most once', () => {
    const drawn = [...new WeightedRandomSampler(tensor([5, 1, 0, 2]), 3, { replacement: false, generator: new Generator(2) })];
    expect(new Set(drawn)).toEqual(new Set([0, 1, 3]));
  });

  it('balances a skewed dataset through the DataLoader (weights = 1 / class frequency)', () => {
    const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 90 ? 0 : 1));
    const ds = new TensorDataset(tensor(labels, { dtype: 'float32' }).reshape([100, 1]), tensor(labels));
    const weights = Array.from(labels, (y) => (y === 0 ? 1 / 90 : 1 / 10));
    const loader = new DataLoader(ds, { batchSize: 50, sampler: new WeightedRandomSampler(weights, 1000, { generator: new Generator(3) }) });
    expect(loader.length).toBe(20);
    let ones = 0;
    for (const [, y] of loader) ones += y.sum().item();
    expect(ones / 1000).toBeGreaterThan(0.45);
    expect(ones / 1000).toBeLessThan(0.55);
  });

  it('rejects bad weights and sizes, and a sampler together with shuffle', () => {
    expect(() => new WeightedRandomSampler([1, -1], 2)).toThrow(/weights must be finite and non-negative \(weight 1 is -1\)/);
    expect(() => new WeightedRandomSampler([0, 0], 2)).toThrow(/the weights sum to zero/);
    expect(() => new WeightedRandomSampler([1, 0, 1], 3, { replacement: false })).toThrow(/cannot draw 3 samples without replacement from 2 positive weights/);
    expect(() => new WeightedRandomSampler([1], 0)).toThrow(/numSamples must be an integer ≥ 1/);
    expect(() => new DataLoader(new Numbers(3), { sampler: [0, 1], shuffle: true })).toThrow(/sampler and shuffle are mutually exclusive/);
    expect(() => [...new DataLoader(new Numbers(3), { sampler: [0, 5] })]).toThrow(/the sampler gave index 5 \(position 1\) for a dataset of 3 samples/);
  });
});

describe('ConcatDataset', () => {
  it('reads the datasets one after another and batches across the seam', () => {
    const both = new ConcatDataset([new Numbers(3), new Numbers(2, 100)]);
    expect(both.length).toBe(5);
    expect([0, 1, 2, 3, 4].map((i) => both.getItem(i))).toEqual([0, 1, 2, 100, 101]);
    expect(Array.from(new DataLoader(both, { batchSize: 2 }), (b) => Array.from(b.toArray()))).toEqual([[0, 1], [2, 100], [101]]);
    expect(both.cumulativeSizes).toEqual([3, 5]);
  });

  it('rejects an empty list, non-datasets and out-of-range indices', () => {
    expect(() => new ConcatDataset([])).toThrow(/non-empty array of datasets/);
    expect(() => new ConcatDataset([new Numbers(2), {} as never])).toThrow(/dataset 1 is not a Dataset/);
    expect(() => new ConcatDataset([new Numbers(2)]).getItem(2)).toThrow(/ConcatDataset.getItem: index 2 is out of range for a dataset of 2 samples/);
  });
});

describe('stratified randomSplit', () => {
  it('keeps the class proportions in every subset and the exact requested lengths', () => {
    // 60 / 30 / 10 samples of classes 0 / 1 / 2, interleaved.
    const labels = Array.from({ length: 100 }, (_, i) => (i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2));
    const ds = new Numbers(100);
    const [train, val] = randomSplit(ds, [0.8, 0.2], { generator: new Generator(5), stratify: labels });
    expect([train.length, val.length]).toEqual([80, 20]);
    const count = (s: data.Subset<number>, c: number) => s.indices.filter((i) => labels[i] === c).length;
    expect([0, 1, 2].map((c) => count(train, c))).toEqual([48, 24, 8]);
    expect([0, 1, 2].map((c) => count(val, c))).toEqual([12, 6, 2]);
    expect(new Set([...train.indices, ...val.indices]).size).toBe(100);
    // A plain random split of the same data is usually off; the stratified one is exact, and seeded.
    expect(randomSplit(ds, [0.8, 0.2], { generator: new Generator(5), stratify: tensor(labels) })[1].indices).toEqual(val.indices);
  });

  it('still takes a Generator as the third argument, and rejects bad labels', () => {
    expect(randomSplit(new Numbers(10), [3, 7], new Generator(1))[0].length).toBe(3);
    expect(() => randomSplit(new Numbers(10), [5, 5], { stratify: [0, 1] })).toThrow(/stratify has 2 labels but the dataset has 10 samples/);
    expect(() => randomSplit(new Numbers(10), [5, 5], { stratify: 3 as never })).toThrow(/stratify must be a tensor or an array of class labels/);
    expect(() => randomSplit(new Numbers(10), [5, 5], { seed: 3 } as never)).toThrow(/unknown option "seed"/);
  });
});

describe('IterableDataset', () => {
  class Stream extends IterableDataset<[number, number]> {
    constructor(readonly n: number) {
      super();
    }
    *[Symbol.iterator](): Iterator<[number, number]> {
      for (let i = 0; i < this.n; i++) yield [i, i % 2];
    }
  }

  it('is batched in stream order; the last partial batch is kept unless dropLast', () => {
    const batches = Array.from(new DataLoader(new Stream(5), { batchSize: 2 }), ([x, y]) => [Array.from(x.toArray()), Array.from(y.toArray())]);
    expect(batches).toEqual([
      [
        [0, 1],
        [0, 1],
      ],
      [
        [2, 3],
        [0, 1],
      ],
      [[4], [0]],
    ]);
    expect([...new DataLoader(new Stream(5), { batchSize: 2, dropLast: true })]).toHaveLength(2);
    expect(new DataLoader(new Stream(5), { batchSize: 2 }).length).toBeNaN();
  });

  it('refuses shuffle and samplers, which need random access', () => {
    expect(() => new DataLoader(new Stream(3), { shuffle: true })).toThrow(/an IterableDataset gives its own order/);
    expect(() => new DataLoader(new Stream(3), { sampler: [0] })).toThrow(/an IterableDataset gives its own order/);
  });
});
