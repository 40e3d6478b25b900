/** Data loading: datasets, the DataLoader, transforms, the IDX format and bundled data sets. */
export { Dataset, TensorDataset, Subset, ConcatDataset, IterableDataset, WeightedRandomSampler, randomSplit, randperm } from './dataset.js';
export type { Collated, TensorDatasetOptions, RandomSplitOptions, Sampler, WeightedRandomSamplerOptions } from './dataset.js';
export { DataLoader, defaultCollate } from './dataloader.js';
export type { DataLoaderOptions } from './dataloader.js';
export {
  Compose,
  Normalize,
  RandomCrop,
  RandomHorizontalFlip,
  RandomVerticalFlip,
  RandomRotation,
  RandomAffine,
  Resize,
  RandomResizedCrop,
  GaussianNoise,
  ColorJitter,
  RandomErasing,
} from './transforms.js';
export type {
  Transform,
  TransformLike,
  RandomCropOptions,
  RandomRotationOptions,
  RandomAffineOptions,
  ResizeOptions,
  RandomResizedCropOptions,
  GaussianNoiseOptions,
  ColorJitterOptions,
  RandomErasingOptions,
  AffineParams,
  Interpolation,
} from './transforms.js';
export { RandomDeletion, RandomSwap, SynonymReplacement, RandomInsertion, bundledSynonyms } from './text-augment.js';
export type { SynonymOptions } from './text-augment.js';
export { parseIdx, readIdx, readIdxDataset } from './idx.js';
export type { IdxArray, IdxType, IdxSource, IdxDatasetOptions } from './idx.js';
export { loadDigits, loadNames } from './datasets.js';
export type { Digits } from './datasets.js';
export { CharTokenizer, BPETokenizer } from './tokenizers.js';
export type { BPETrainOptions, TokenIds } from './tokenizers.js';
