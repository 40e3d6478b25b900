/**
 * Map-style datasets, as in torch.utils.data: a Dataset is anything with `length` and
 * `getItem(i)`. TensorDataset and Subset also fetch whole batches at once (`getBatch`), which the
 * DataLoader uses instead of fetching and stacking sample by sample.
 */
import { tensor } from '../creation.js';
import { tidy } from '../memory.js';
import { stack } from '../ops/shape.js';
import { Generator, defaultGenerator } from '../random.js';
import { fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import * as V from '../validate.js';
import { INT32_MAX, int, show, size } from '../validate.js';
import { type TransformLike, runTransform } from './transforms.js';

/** What the default collate makes of a batch of samples of type T (PyTorch's default_collate). */
export type Collated<T> = T extends Tensor | number | boolean
  ? Tensor
  : T extends string
    ? string[]
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: Collated<T[K]> }
      : T extends ArrayLike<number>
        ? Tensor
        : T extends object
          ? { -readonly [K in keyof T]: Collated<T[K]> }
          : never;

/**
 * A map-style dataset: subclass it and define `length` and `getItem(index)`.
 * @example class Squares extends Dataset<[number, number]> { length = 10; getItem(i: number): [number, number] { return [i, i * i]; } }
 */
export abstract class Dataset<T> {
  /** Number of samples. */
  abstract readonly length: number;
  /** The sample at `index` (0 ≤ index < length). */
  abstract getItem(index: number): T;
  /**
   * Optional batched fetch: what default collation of `getItem(i)` over `indices` would give,
   * computed at once. The DataLoader uses it when no custom collate is given.
   */
  getBatch?(indices: readonly number[]): Collated<T>;
}

/** A dataset argument: anything with a size `length` and a `getItem` method. */
export function datasetArg<T>(fn: string, arg: string, v: Dataset<T>): Dataset<T> {
  if (typeof v !== 'object' || v === null || typeof (v as { getItem?: unknown }).getItem !== 'function') {
    throw new TypeError(`${fn}: ${arg} must be a Dataset (an object with length and getItem(i)) (got ${show(v)})`);
  }
  size(fn, `${arg}.length`, v.length);
  return v;
}

function checkIndex(op: string, index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length)
    throw new RangeError(`${op}: index ${index} is out of range for a dataset of ${length} samples`);
}

/** Options of TensorDataset (the last constructor argument), as torchvision datasets' transforms. */
export interface TensorDatasetOptions {
  /** Applied to each sample's first tensor (the input), e.g. an image [C, H, W]. */
  transform?: TransformLike;
  /** Applied to each sample's last tensor (the target). */
  targetTransform?: TransformLike;
}

/**
 * Samples are the i-th slices of each tensor along dim 0 (PyTorch's TensorDataset). With
 * `transform` / `targetTransform`, each sample's first / last tensor passes through them (a new
 * draw every time a sample is read), so augmentation needs no custom collate.
 * @example const ds = new TensorDataset(images, labels, { transform: new RandomRotation(10) }); const [x0, y0] = ds.getItem(0);
 */
export class TensorDataset extends Dataset<Tensor[]> {
  /** The tensors indexed along their first dim; each sample is one row of every tensor. */
  readonly tensors: readonly Tensor[];
  /** Applied to the first tensor's row of each sample, or null. */
  readonly transform: TransformLike | null;
  /** Applied to the last tensor's row of each sample, or null. */
  readonly targetTransform: TransformLike | null;

  constructor(...args: [...Tensor[], TensorDatasetOptions] | Tensor[]) {
    super();
    const last = args[args.length - 1];
    const options: TensorDatasetOptions =
      args.length > 0 && !(last instanceof Tensor) && V.isPlainObject(last)
        ? V.options('TensorDataset', args.pop() as TensorDatasetOptions, ['transform', 'targetTransform'])
        : {};
    const tensors = args as Tensor[];
    if (tensors.length === 0) throw new TypeError('TensorDataset: needs at least one tensor');
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`TensorDataset: argument ${i} is not a Tensor (got ${V.show(t)}); options go last`);
      if (t.ndim === 0) throw new RangeError(`TensorDataset: tensor ${i} is 0-d; every tensor needs a first dimension to index samples by`);
    });
    const n = tensors[0].shape[0];
    const bad = tensors.findIndex((t) => t.shape[0] !== n);
    if (bad >= 0) {
      throw new RangeError(
        `TensorDataset: size mismatch between tensors: tensor 0 has ${n} samples (shape ${fmtShape(tensors[0].shape)}) but tensor ${bad} has ${tensors[bad].shape[0]} (shape ${fmtShape(tensors[bad].shape)})`,
      );
    }
    for (const key of ['transform', 'targetTransform'] as const) {
      const t = options[key];
      if (t !== undefined && typeof t !== 'function' && typeof (t as { forward?: unknown })?.forward !== 'function')
        throw new TypeError(`TensorDataset: ${key} must be a function of a tensor or a transform with forward(x) (got ${V.show(t)})`);
    }
    this.tensors = tensors;
    this.transform = options.transform ?? null;
    this.targetTransform = options.targetTransform ?? null;
  }

  get length(): number {
    return this.tensors[0].shape[0];
  }

  getItem(index: number): Tensor[] {
    checkIndex('TensorDataset.getItem', index, this.length);
    const last = this.tensors.length - 1;
    return this.tensors.map((t, k) => {
      const fn = k === 0 && this.transform ? this.transform : k === last && this.targetTransform ? this.targetTransform : null;
      return fn ? tidy(() => runTransform(fn, t.select(0, index))) : t.select(0, index);
    });
  }

  /** One indexSelect per tensor; with transforms, each sample is transformed on its own and the results stacked. */
  override getBatch(indices: readonly number[]): Tensor[] {
    for (const i of indices) checkIndex('TensorDataset.getBatch', i, this.length);
    if (this.transform || this.targetTransform) {
      return tidy(() => {
        const samples = indices.map((i) => this.getItem(i));
        return this.tensors.map((_, k) => stack(samples.map((s) => s[k])));
      });
    }
    const devices = new Map<string, Tensor>();
    return this.tensors.map((t) => {
      let index = devices.get(t.device);
      if (!index) devices.set(t.device, (index = tensor(Int32Array.from(indices), { device: t.device })));
      return t.indexSelect(0, index);
    });
  }
}

/**
 * The samples of `dataset` at `indices`, in that order (PyTorch's Subset).
 * @example const firstHundred = new Subset(ds, Array.from({ length: 100 }, (_, i) => i));
 */
export class Subset<T> extends Dataset<T> {
  /** The dataset indexed into. */
  readonly dataset: Dataset<T>;
  /** The indices of `dataset` this subset exposes, in order. */
  readonly indices: readonly number[];

  constructor(dataset: Dataset<T>, indices: readonly number[]) {
    super();
    datasetArg('Subset', 'dataset', dataset);
    if (!Array.isArray(indices)) throw new TypeError(`Subset: indices must be an array of sample indices (got ${show(indices)})`);
    for (const i of indices) checkIndex('Subset', i, dataset.length);
    this.dataset = dataset;
    this.indices = [...indices];
    const inner = dataset.getBatch;
    if (inner)
      this.getBatch = (batch) =>
        inner.call(
          dataset,
          batch.map((i) => this.indices[this.checked(i)]),
        );
  }

  get length(): number {
    return this.indices.length;
  }

  getItem(index: number): T {
    return this.dataset.getItem(this.indices[this.checked(index)]);
  }

  private checked(index: number): number {
    checkIndex('Subset.getItem', index, this.indices.length);
    return index;
  }
}

/** A random permutation of 0…n-1 (Fisher–Yates) drawn from `generator`. */
export function randperm(n: number, generator: Generator = defaultGenerator): number[] {
  // Indices are int32 everywhere (indexSelect, samplers), which also bounds the array made here.
  int('randperm', 'n', n, { min: 0, max: INT32_MAX });
  V.generator('randperm', generator);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = generator.integer(0, i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Options of randomSplit. */
export interface RandomSplitOptions {
  /** Draws the permutation; the global generator when not given. */
  generator?: Generator;
  /**
   * One class label per sample (a tensor or an array): every subset then gets each class in
   * (nearly) the dataset's proportion, as scikit-learn's train_test_split(stratify=…).
   */
  stratify?: Tensor | ArrayLike<number>;
}

/** The split sizes from lengths or fractions (summing to 1; the remainder goes round-robin to the first subsets). */
function splitSizes(n: number, lengths: readonly number[]): number[] {
  if (!Array.isArray(lengths) || lengths.length === 0) throw new TypeError(`randomSplit: lengths must be a non-empty array (got ${V.show(lengths)})`);
  let sizes = [...lengths];
  const total = sizes.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) < 1e-9 && total <= 1) {
    sizes.forEach((f, i) => {
      if (f < 0 || f > 1) throw new RangeError(`randomSplit: fraction at index ${i} is ${f}, not between 0 and 1`);
    });
    sizes = sizes.map((f) => Math.floor(n * f));
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sizes[i % sizes.length] += 1;
  }
  sizes.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 0)
      throw new RangeError(`randomSplit: length at index ${i} is ${s}; lengths must be non-negative integers (or fractions summing to 1)`);
  });
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (sum !== n) throw new RangeError(`randomSplit: the lengths [${sizes.join(', ')}] sum to ${sum}, but the dataset has ${n} samples`);
  return sizes;
}

/**
 * A permutation grouped by class (each class shuffled), dealt to the subsets so that every prefix
 * of the order is shared in proportion to the sizes: each class is split in the sizes' ratio to
 * within one sample per subset, and the subsets have exactly their sizes. Each subset is then shuffled.
 */
function stratifiedParts(labels: ArrayLike<number>, sizes: number[], g: Generator): number[][] {
  const n = labels.length;
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  }
  const order = [...byClass.keys()].sort((a, b) => a - b).flatMap((c) => randperm(byClass.get(c)!.length, g).map((k) => byClass.get(c)![k]));
  const parts: number[][] = sizes.map(() => []);
  order.forEach((index, k) => {
    let best = 0;
    let deficit = -Infinity;
    sizes.forEach((size, s) => {
      const d = (size * (k + 1)) / n - parts[s].length;
      if (parts[s].length < size && d > deficit) [best, deficit] = [s, d];
    });
    parts[best].push(index);
  });
  return parts.map((p) => randperm(p.length, g).map((k) => p[k]));
}

/**
 * Splits a dataset into non-overlapping random subsets of the given lengths, or of the given
 * fractions of its length (summing to 1; the remainder goes round-robin to the first subsets),
 * as torch.utils.data.random_split; with `stratify` labels, each subset keeps the class proportions.
 * @example const [train, test] = randomSplit(ds, [0.8, 0.2], { generator: new Generator(42), stratify: labels });
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], options: Generator | RandomSplitOptions = {}): Subset<T>[] {
  const { generator = defaultGenerator, stratify } =
    options instanceof Generator ? { generator: options } : V.options<RandomSplitOptions>('randomSplit', options, ['generator', 'stratify']);
  V.generator('randomSplit', generator);
  const n = datasetArg('randomSplit', 'dataset', dataset).length;
  const sizes = splitSizes(n, lengths);
  if (stratify !== undefined) {
    const labels = stratify instanceof Tensor ? stratify.toArray() : stratify;
    if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number')
      throw new TypeError(`randomSplit: stratify must be a tensor or an array of class labels (got ${V.show(stratify)})`);
    if (labels.length !== n) throw new RangeError(`randomSplit: stratify has ${labels.length} labels but the dataset has ${n} samples`);
    return stratifiedParts(labels, sizes, generator).map((indices) => new Subset(dataset, indices));
  }
  const order = randperm(n, generator);
  let start = 0;
  return sizes.map((s) => new Subset(dataset, order.slice(start, (start += s))));
}

/**
 * The datasets one after another (PyTorch's ConcatDataset): index i past the first dataset's
 * length reads the second, and so on.
 * @example const all = new ConcatDataset([trainSet, extraSet]);
 */
export class ConcatDataset<T> extends Dataset<T> {
  /** The datasets concatenated, in order. */
  readonly datasets: readonly Dataset<T>[];
  /** cumulativeSizes[k]: samples in datasets 0…k. */
  readonly cumulativeSizes: readonly number[];

  constructor(datasets: readonly Dataset<T>[]) {
    super();
    if (!Array.isArray(datasets) || datasets.length === 0) throw new TypeError('ConcatDataset: needs a non-empty array of datasets');
    datasets.forEach((d, i) => {
      if (d instanceof IterableDataset) throw new TypeError(`ConcatDataset: dataset ${i} is an IterableDataset; only map-style datasets can be concatenated`);
      if (d === null || typeof d !== 'object' || typeof d.getItem !== 'function' || !Number.isInteger(d.length))
        throw new TypeError(`ConcatDataset: dataset ${i} is not a Dataset with length and getItem (got ${V.show(d)})`);
    });
    this.datasets = [...datasets];
    let total = 0;
    this.cumulativeSizes = datasets.map((d) => (total += d.length));
  }

  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1];
  }

  getItem(index: number): T {
    checkIndex('ConcatDataset.getItem', index, this.length);
    const k = this.cumulativeSizes.findIndex((end) => index < end);
    return this.datasets[k].getItem(index - (k === 0 ? 0 : this.cumulativeSizes[k - 1]));
  }
}

/**
 * A stream of samples (PyTorch's IterableDataset): subclass it and define `[Symbol.iterator]`.
 * The DataLoader batches the samples in the order they come (no shuffle or sampler).
 * @example class Counter extends IterableDataset<number> { *[Symbol.iterator]() { for (let i = 0; i < 10; i++) yield i; } }
 */
export abstract class IterableDataset<T> implements Iterable<T> {
  /** The samples, in order; each call starts a new pass. */
  abstract [Symbol.iterator](): Iterator<T>;
}

/** Sample indices for a DataLoader: any iterable of indices, with its length when known. */
export interface Sampler extends Iterable<number> {
  readonly length?: number;
}

/** Options of WeightedRandomSampler. */
export interface WeightedRandomSamplerOptions {
  /** Draw with replacement (default true). */
  replacement?: boolean;
  generator?: Generator;
}

/**
 * Draws `numSamples` indices with probability proportional to `weights` (PyTorch's
 * WeightedRandomSampler), e.g. one over the class frequency to balance classes; a new draw every pass.
 * @example new DataLoader(ds, { batchSize: 32, sampler: new WeightedRandomSampler(weights, ds.length) })
 */
export class WeightedRandomSampler implements Sampler {
  /** Relative probability of drawing each index. */
  readonly weights: Float64Array;
  /** Indices drawn per epoch (PyTorch's num_samples). */
  readonly numSamples: number;
  /** Whether an index may be drawn more than once. */
  readonly replacement: boolean;
  private readonly generator: Generator | undefined;

  constructor(weights: Tensor | ArrayLike<number>, numSamples: number, options: WeightedRandomSamplerOptions = {}) {
    const op = 'WeightedRandomSampler';
    options = V.options(op, options, ['replacement', 'generator']);
    const w = weights instanceof Tensor ? weights.toArray() : weights;
    if (w === null || typeof w !== 'object' || typeof w.length !== 'number' || w.length === 0)
      throw new TypeError(`${op}: weights must be a non-empty tensor or array of numbers (got ${V.show(weights)})`);
    this.weights = Float64Array.from(w as ArrayLike<number>);
    const bad = this.weights.findIndex((v) => !(v >= 0) || !Number.isFinite(v));
    if (bad >= 0) throw new RangeError(`${op}: weights must be finite and non-negative (weight ${bad} is ${this.weights[bad]})`);
    const positive = this.weights.filter((v) => v > 0).length;
    if (positive === 0) throw new RangeError(`${op}: the weights sum to zero; at least one must be positive`);
    this.numSamples = V.int(op, 'numSamples', numSamples, { min: 1 });
    this.replacement = V.bool(op, 'replacement', options.replacement ?? true);
    if (!this.replacement && this.numSamples > positive)
      throw new RangeError(`${op}: cannot draw ${this.numSamples} samples without replacement from ${positive} positive weights`);
    if (options.generator !== undefined && !(options.generator instanceof Generator))
      throw new TypeError(`${op}: generator must be a Generator (got ${V.show(options.generator)})`);
    this.generator = options.generator;
  }

  /** Indices yielded per epoch, numSamples (PyTorch's len(sampler)). */
  get length(): number {
    return this.numSamples;
  }

  /** Yields numSamples indices drawn with probability proportional to weights. */
  *[Symbol.iterator](): Iterator<number> {
    const g = this.generator ?? defaultGenerator;
    const w = this.weights.slice();
    const cumulative = new Float64Array(w.length);
    const rebuild = () => {
      let total = 0;
      w.forEach((v, i) => (cumulative[i] = total += v));
    };
    rebuild();
    for (let k = 0; k < this.numSamples; k++) {
      const u = g.random() * cumulative[cumulative.length - 1];
      // The first index whose cumulative weight exceeds u (binary search).
      let [lo, hi] = [0, cumulative.length - 1];
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      yield lo;
      if (!this.replacement) {
        w[lo] = 0;
        rebuild();
      }
    }
  }
}
