/**
 * Tessera: deep learning in TypeScript on WebAssembly SIMD. Everything public is exported here.
 * @example import { tensor, randn, manualSeed } from 'tessera';
 */
export { Tensor } from './tensor.js';
export type { TensorLike, NestedArray, BackwardOptions } from './tensor.js';
export type { DType, Device, TypedArray } from './dtype.js';
export type { MemoryStats } from './backend/backend.js';
export {
  tensor,
  zeros,
  ones,
  full,
  eye,
  arange,
  linspace,
  rand,
  randn,
  randint,
  zerosLike,
  onesLike,
  fullLike,
  randLike,
  randnLike,
} from './creation.js';
export type { TensorOptions, TensorDataOptions, RandomOptions, SizeArgs } from './creation.js';
export { Generator, manualSeed } from './random.js';
export { setDefaultDevice, getDefaultDevice, wasmFeatures, setNumThreads, getNumThreads } from './device.js';
export {
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  neg,
  abs,
  exp,
  log,
  sqrt,
  rsqrt,
  sin,
  cos,
  tanh,
  sigmoid,
  relu,
  gelu,
  sign,
  square,
  clamp,
  where,
  maskedFill,
  floor,
  ceil,
  round,
  log1p,
  expm1,
  erf,
  isnan,
  logicalNot,
  logicalAnd,
  logicalOr,
  remainder,
} from './ops/elementwise.js';
export type { GeluOptions } from './ops/elementwise.js';
export { tril, triu, flip, roll, repeat, tile, pad } from './ops/rearrange.js';
export type { PadOptions } from './ops/rearrange.js';
export type { VarOptions, NormOptions } from './ops/reduce.js';
export {
  sum,
  mean,
  variance as var,
  std,
  max,
  min,
  maxDim,
  minDim,
  amax,
  amin,
  argmax,
  argmin,
  softmax,
  logSoftmax,
  logsumexp,
  norm,
  prod,
  any,
  all,
  cumsum,
  cumprod,
} from './ops/reduce.js';
export { sort, argsort, topk, multinomial } from './ops/sort.js';
export type { SortOptions, TopkOptions, MultinomialOptions } from './ops/sort.js';
export { einsum } from './ops/einsum.js';
export type { ValuesIndices } from './ops/reduce.js';
export { matmul, bmm } from './ops/linalg.js';
export {
  reshape,
  view,
  flatten,
  squeeze,
  unsqueeze,
  transpose,
  t,
  permute,
  expand,
  contiguous,
  clone,
  detach,
  slice,
  select,
  split,
  chunk,
  cat,
  stack,
} from './ops/shape.js';
export { indexSelect, gather, scatter, scatterAdd, indexAdd } from './ops/indexing.js';
export * as nn from './nn/index.js';
export { summary } from './nn/summary.js';
export type { ModelSummary, SummaryOptions, SummaryRow } from './nn/summary.js';
export { conv2d, maxPool2d, avgPool2d, adaptiveAvgPool2d } from './ops/conv.js';
export type { Conv2dOptions, MaxPool2dOptions, AvgPool2dOptions, Size2d } from './ops/conv.js';
export { noGrad, enableGrad, isGradEnabled, observeOps } from './autograd/grad-mode.js';
export type { OpEvent } from './autograd/grad-mode.js';
export { gradcheck } from './autograd/gradcheck.js';
export type { GradcheckOptions } from './autograd/gradcheck.js';
export * as autograd from './autograd/public.js';
export { tidy, scope, Scope, releasePendingGraphs } from './memory.js';
export * as data from './data/index.js';
export * as optim from './optim/index.js';
export { save, load, serialize, deserialize, SafetensorsError } from './io/safetensors.js';
export { saveCheckpoint, loadCheckpoint, serializeCheckpoint, deserializeCheckpoint } from './io/checkpoint.js';
export type { CheckpointContents, LoadCheckpointOptions } from './io/checkpoint.js';
import { memoryStats as statsOf } from './memory.js';
import { activeBackends } from './device.js';
import type { MemoryStats } from './backend/backend.js';

/** Live tensors and bytes across backends; a count that grows step after step is a leak. */
export function memoryStats(): MemoryStats {
  return statsOf(activeBackends());
}
export * from './train/index.js';
export * as onnx from './onnx/index.js';
/** int8 post-training quantization: quantizeDynamic, prepare / convert (static), int8 layers. */
export * as quantization from './quantization/index.js';
