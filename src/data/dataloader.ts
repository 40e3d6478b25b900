/**
 * DataLoader: batches a Dataset, optionally shuffled by a seeded Generator, as torch's DataLoader
 * (single process). Batches are step-scoped so a plain training loop does not leak: see DataLoader.
 */
import { tensor } from '../creation.js';
import { tidy } from '../memory.js';
import { stack } from '../ops/shape.js';
import { Generator, defaultGenerator } from '../random.js';
import { fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import * as V from '../validate.js';
import type { Collated, Dataset, Sampler } from './dataset.js';
import { IterableDataset, randperm } from './dataset.js';

/** Options of DataLoader. */
export interface DataLoaderOptions<T, B> {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** Reshuffle the samples at the start of every pass (default false). */
  shuffle?: boolean;
  /** The indices to read, in order, each pass (e.g. a WeightedRandomSampler); excludes shuffle. */
  sampler?: Sampler;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Draws the shuffles; the global generator (manualSeed) when not given. */
  generator?: Generator;
  /** Turns a list of samples into a batch; defaultCollate when not given. */
  collate?: (samples: T[]) => B;
  /** Applied to every batch after collation (per-batch augmentation): returns the batch to yield. */
  transform?: (batch: B) => B;
}

/**
 * Batches samples like PyTorch's default_collate: tensors are stacked along a new dim 0, numbers
 * and booleans become a tensor (int32 when all are integers, else float32; bool for booleans),
 * typed arrays become rows of a tensor, strings a string[], and arrays and plain objects are
 * collated position by position and key by key.
 * @example defaultCollate([[tensor([1, 2]), 0], [tensor([3, 4]), 1]]) // [tensor [[1, 2], [3, 4]], tensor [0, 1]]
 */
export function defaultCollate<T>(samples: T[]): Collated<T> {
  if (!Array.isArray(samples) || samples.length === 0)
    throw new TypeError(`defaultCollate: samples must be a non-empty array of samples (got ${V.show(samples)})`);
  return collate(samples as unknown[], 'batch') as Collated<T>;
}

function collate(samples: unknown[], path: string): unknown {
  const first = samples[0];
  if (first instanceof Tensor) {
    samples.forEach((s, i) => {
      if (!(s instanceof Tensor)) throw new TypeError(`defaultCollate: ${path} of sample ${i} is not a Tensor like that of sample 0`);
      if (s.shape.length !== first.shape.length || s.shape.some((d, k) => d !== first.shape[k])) {
        throw new RangeError(`defaultCollate: cannot stack ${path}: sample 0 has shape ${fmtShape(first.shape)} but sample ${i} has ${fmtShape(s.shape)}`);
      }
    });
    return stack(samples as Tensor[], 0);
  }
  if (typeof first === 'number' || typeof first === 'boolean') {
    samples.forEach((s, i) => {
      if (typeof s !== typeof first) throw new TypeError(`defaultCollate: ${path} of sample ${i} is ${typeof s} but that of sample 0 is ${typeof first}`);
    });
    if (typeof first === 'boolean') return tensor(samples as boolean[]);
    const values = samples as number[];
    return tensor(values, { shape: [values.length], dtype: values.every(Number.isInteger) ? 'int32' : 'float32' });
  }
  if (typeof first === 'string') return [...(samples as string[])];
  if (ArrayBuffer.isView(first) && !(first instanceof DataView)) {
    const rows = samples as ArrayLike<number>[];
    const width = rows[0].length;
    const flat = new Float64Array(rows.length * width);
    rows.forEach((r, i) => {
      if (r.length !== width) throw new RangeError(`defaultCollate: ${path} of sample ${i} has ${r.length} elements but that of sample 0 has ${width}`);
      flat.set(r, i * width);
    });
    const integral =
      first instanceof Int32Array ||
      first instanceof Int16Array ||
      first instanceof Int8Array ||
      first instanceof Uint8Array ||
      first instanceof Uint16Array ||
      first instanceof Uint8ClampedArray;
    return tensor(flat, { shape: [rows.length, width], dtype: integral ? 'int32' : 'float32' });
  }
  if (Array.isArray(first)) {
    samples.forEach((s, i) => {
      if (!Array.isArray(s) || s.length !== first.length)
        throw new RangeError(`defaultCollate: ${path} of sample ${i} is not an array of length ${first.length} like that of sample 0`);
    });
    return first.map((_, k) =>
      collate(
        samples.map((s) => (s as unknown[])[k]),
        `${path}[${k}]`,
      ),
    );
  }
  if (first !== null && typeof first === 'object' && Object.getPrototypeOf(first) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) {
      out[key] = collate(
        samples.map((s, i) => {
          if (s === null || typeof s !== 'object' || !(key in s)) throw new TypeError(`defaultCollate: sample ${i} has no key '${key}' (${path})`);
          return (s as Record<string, unknown>)[key];
        }),
        `${path}.${key}`,
      );
    }
    return out;
  }
  throw new TypeError(`defaultCollate: cannot batch ${path} of type ${first === null ? 'null' : typeof first}; pass a custom collate`);
}

/**
 * Iterates a dataset in batches (`for…of` or `for await…of`), as torch.utils.data.DataLoader.
 * With `shuffle`, every pass draws a new order from `generator` (the global one, seeded by
 * `manualSeed`, when none is given): the same seed gives the same order. A TensorDataset (or a
 * Subset of one) is gathered with one indexSelect per tensor rather than sample by sample.
 *
 * Batches are ordinary tensors, as in PyTorch: one you hold (in an array, to `cat` later) stays
 * intact, and one you drop is reclaimed like any other (docs/memory.md). Only what collate made
 * and did not return is freed when the batch is made.
 * @example
 * const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 32, shuffle: true });
 * for (const [xb, yb] of loader) { const loss = F.crossEntropy(model.forward(xb), yb); … }
 */
export class DataLoader<T, B = Collated<T>> implements Iterable<B>, AsyncIterable<B> {
  /** The dataset batches are drawn from. */
  readonly dataset: Dataset<T> | IterableDataset<T>;
  /** Samples per batch (PyTorch's batch_size). */
  readonly batchSize: number;
  /** The sampler giving the index order, or undefined for sequential or shuffled order. */
  readonly sampler: Sampler | undefined;
  /** Reshuffle the indices every epoch. */
  readonly shuffle: boolean;
  /** Drop the last incomplete batch (PyTorch's drop_last). */
  readonly dropLast: boolean;
  /** Random generator for shuffling, or undefined for the default one. */
  readonly generator: Generator | undefined;
  private readonly collateFn: ((samples: T[]) => B) | undefined;
  private readonly transform: ((batch: B) => B) | undefined;

  constructor(dataset: Dataset<T> | IterableDataset<T>, options: DataLoaderOptions<T, B> = {}) {
    options = V.options('DataLoader', options, ['batchSize', 'shuffle', 'sampler', 'dropLast', 'generator', 'collate', 'transform']);
    const { batchSize = 1, shuffle = false, sampler, dropLast = false, generator, collate, transform } = options;
    const iterable = dataset instanceof IterableDataset;
    if (!iterable && (dataset === null || typeof dataset !== 'object' || typeof (dataset as Dataset<T>).getItem !== 'function'))
      throw new TypeError(`DataLoader: dataset must be a Dataset (length and getItem) or an IterableDataset (got ${V.show(dataset)})`);
    if (sampler !== undefined && (sampler === null || typeof (sampler as Sampler)[Symbol.iterator] !== 'function'))
      throw new TypeError(`DataLoader: sampler must be an iterable of indices (got ${V.show(sampler)})`);
    if (sampler !== undefined && shuffle) throw new TypeError('DataLoader: sampler and shuffle are mutually exclusive (the sampler decides the order)');
    if (iterable && (shuffle || sampler !== undefined))
      throw new TypeError('DataLoader: an IterableDataset gives its own order; shuffle and sampler do not apply (shuffle inside the dataset)');
    V.int('DataLoader', 'batchSize', batchSize, { min: 1 });
    V.bool('DataLoader', 'shuffle', shuffle);
    V.bool('DataLoader', 'dropLast', dropLast);
    V.generator('DataLoader', generator);
    if (transform !== undefined && typeof transform !== 'function')
      throw new TypeError(`DataLoader: transform must be a function of a batch (got ${V.show(transform)})`);
    if (collate !== undefined && typeof collate !== 'function')
      throw new TypeError(`DataLoader: collate must be a function of a list of samples (got ${V.show(collate)})`);
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.sampler = sampler;
    this.dropLast = dropLast;
    this.generator = generator;
    this.collateFn = collate;
    this.transform = transform;
  }

  /** Number of batches in one pass (NaN for an IterableDataset without a length). */
  get length(): number {
    const n = this.sampleCount();
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  private sampleCount(): number {
    if (this.sampler) return this.sampler.length ?? Number.NaN;
    const n = (this.dataset as { length?: unknown }).length;
    return typeof n === 'number' ? n : Number.NaN;
  }

  /** Batches of indices (map-style) or of samples (iterable), as the pass produces them. */
  private *groups(): IterableIterator<{ indices: number[] } | { samples: T[] }> {
    if (this.dataset instanceof IterableDataset) {
      let samples: T[] = [];
      for (const sample of this.dataset) {
        samples.push(sample);
        if (samples.length === this.batchSize) {
          yield { samples };
          samples = [];
        }
      }
      if (samples.length > 0 && !this.dropLast) yield { samples };
      return;
    }
    const n = this.dataset.length;
    const order = this.sampler
      ? Array.from(this.sampler, (i, k) => {
          if (!Number.isInteger(i) || i < 0 || i >= n)
            throw new RangeError(`DataLoader: the sampler gave index ${V.show(i)} (position ${k}) for a dataset of ${n} samples`);
          return i;
        })
      : this.shuffle
        ? randperm(n, this.generator ?? defaultGenerator)
        : Array.from({ length: n }, (_, i) => i);
    const batches = this.dropLast ? Math.floor(order.length / this.batchSize) : Math.ceil(order.length / this.batchSize);
    for (let b = 0; b < batches; b++) yield { indices: order.slice(b * this.batchSize, (b + 1) * this.batchSize) };
  }

  /** Yields the collated batches of one epoch (PyTorch: `for batch in loader`). */
  *[Symbol.iterator](): Iterator<B> {
    for (const group of this.groups()) yield tidy(() => this.fetch(group));
  }

  /** Yields the same batches for `for await` loops. */
  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    for (const batch of this) yield batch;
  }

  private fetch(group: { indices: number[] } | { samples: T[] }): B {
    const batch = this.collated(group);
    return this.transform ? this.transform(batch) : batch;
  }

  private collated(group: { indices: number[] } | { samples: T[] }): B {
    const ds = this.dataset as Dataset<T>;
    if ('indices' in group && !this.collateFn && ds.getBatch) return ds.getBatch(group.indices) as B;
    const samples = 'samples' in group ? group.samples : group.indices.map((i) => ds.getItem(i));
    return this.collateFn ? this.collateFn(samples) : (defaultCollate(samples) as B);
  }
}
