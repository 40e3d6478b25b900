/**
 * nn.functional: the stateless computations behind the layers and losses (PyTorch's
 * torch.nn.functional). Each is built from tensor ops, so autograd comes for free; `linear`,
 * `embedding` and `binaryCrossEntropy` are ops of their own for a leaner or exact backward.
 */
import { finish, noGrad } from '../autograd/grad-mode.js';
import { tensor, zeros } from '../creation.js';
import { isFloat } from '../dtype.js';
import { copyRaw, withContiguous } from '../ops/util.js';
import { defaultGenerator } from '../random.js';
import { fmtShape, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import * as V from '../validate.js';
import { matmul } from '../ops/linalg.js';
import { indexSelect, scatterAddGrad } from '../ops/indexing.js';
import { transpose, transposeView } from '../ops/shape.js';
import { gelu as geluOp, where, type GeluOptions } from '../ops/elementwise.js';
import { composite } from '../autograd/composite.js';
export { conv2d, maxPool2d, avgPool2d, adaptiveAvgPool2d } from '../ops/conv.js';
export { leakyRelu, silu, elu, softplus, mish, hardswish, type SoftplusOptions } from './activation.js';
export { pad, type PadOptions } from '../ops/rearrange.js';
export { interpolate, type InterpolateOptions, type InterpolateMode } from './interpolate.js';
export { oneHot } from '../ops/indexing.js';
export type { GeluOptions };

/** How a loss reduces its per-element values: their mean (default), their sum, or none. */
export { scaledDotProductAttention } from './attention.js';

/** How a loss reduces its per-element values: their mean, their sum, or none (PyTorch's `reduction`). */
export type Reduction = 'mean' | 'sum' | 'none';

const checkTensor = V.tensorArg;

function checkFloat(op: string, arg: string, x: unknown): Tensor {
  const t = checkTensor(op, arg, x);
  if (!isFloat(t.dtype)) throw new TypeError(`${op}: ${arg} must be a floating point tensor (got ${t.dtype})`);
  return t;
}

function checkReduction(op: string, reduction: Reduction): void {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new TypeError(`${op}: reduction must be 'mean', 'sum' or 'none' (got ${JSON.stringify(reduction)})`);
  }
}

function checkSameShape(op: string, input: Tensor, target: Tensor): void {
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(`${op}: target shape ${fmtShape(target.shape)} must match input shape ${fmtShape(input.shape)}`);
  }
}

/** Reduces per-element losses (called inside the loss's composite). */
function reduce(loss: Tensor, reduction: Reduction, denominator?: number): Tensor {
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return loss.sum();
  return loss.sum().div(denominator ?? loss.numel());
}

function floatConst(values: ArrayLike<number>, shape: readonly number[], like: Tensor): Tensor {
  return tensor(values as Float64Array, { shape, dtype: like.dtype, device: like.device });
}

// ---------------------------------------------------------------- layers

/**
 * y = x·Wᵀ + b over the last dim of x: one GEMM reading W transposed in place, then the bias.
 * Shapes: x [..., in], weight [out, in], bias [out] → [..., out].
 * @example F.linear(randn([8, 4]), randn([2, 4]), zeros([2])) // [8, 2]
 */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  checkFloat('linear', 'input', input);
  checkFloat('linear', 'weight', weight);
  if (weight.ndim !== 2) throw new RangeError(`linear: weight must be 2-D [out, in] (got ${fmtShape(weight.shape)})`);
  const [outF, inF] = weight.shape;
  if (input.ndim === 0 || input.shape[input.ndim - 1] !== inF) {
    throw new RangeError(`linear: input ${fmtShape(input.shape)} does not end in the ${inF} input features of weight ${fmtShape(weight.shape)}`);
  }
  if (bias) {
    checkFloat('linear', 'bias', bias);
    if (bias.ndim !== 1 || bias.shape[0] !== outF) throw new RangeError(`linear: bias must have shape [${outF}] (got ${fmtShape(bias.shape)})`);
  }
  return composite('linear', () => {
    const x = input.ndim === 2 ? input : input.reshape(-1, inF);
    const y = noGrad(() => {
      const out = matmul(x, transposeView(weight, 0, 1));
      return bias ? out.add_(bias) : out;
    });
    const inputs = bias ? [x, weight, bias] : [x, weight];
    finish(y, 'linear', inputs, (g) => [
      // [N, out]·[out, in] → [N, in]; gᵀ·x → [out, in] with g read transposed by the GEMM.
      x.requiresGrad ? matmul(g, weight) : null,
      weight.requiresGrad ? matmul(transpose(g, 0, 1), x) : null,
      bias?.requiresGrad ? g.sum(0) : null,
    ]);
    return input.ndim === 2 ? y : y.reshape([...input.shape.slice(0, -1), outF]);
  });
}

/** max(x, 0). */
export function relu(input: Tensor): Tensor {
  return checkTensor('relu', 'input', input).relu();
}

/**
 * x·Φ(x), the exact (erf) form by default as in PyTorch, or with `approximate: 'tanh'`
 * ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
 * @example F.gelu(x, { approximate: 'tanh' })
 */
export function gelu(input: Tensor, options: GeluOptions = {}): Tensor {
  checkTensor('gelu', 'input', input);
  return geluOp(input, options);
}

/** 1 / (1 + e^−x). */
export function sigmoid(input: Tensor): Tensor {
  return checkTensor('sigmoid', 'input', input).sigmoid();
}

/** The hyperbolic tangent. */
export function tanh(input: Tensor): Tensor {
  return checkTensor('tanh', 'input', input).tanh();
}

/** exp(x) / Σ exp(x) along dim. @example F.softmax(logits, 1) */
export function softmax(input: Tensor, dim: number): Tensor {
  return checkTensor('softmax', 'input', input).softmax(dim);
}

/** log(softmax(x)) along dim, computed stably. */
export function logSoftmax(input: Tensor, dim: number): Tensor {
  return checkTensor('logSoftmax', 'input', input).logSoftmax(dim);
}

/**
 * Zeroes each element with probability p (global generator) and scales the rest by 1/(1−p) in
 * training; the identity otherwise.
 * @example F.dropout(h, 0.5, model.training)
 */
export function dropout(input: Tensor, p = 0.5, training = true): Tensor {
  checkFloat('dropout', 'input', input);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`dropout: probability p must be between 0 and 1 (got ${p})`);
  if (!training || p === 0) return input;
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const values = new Float32Array(input.numel());
  for (let i = 0; i < values.length; i++) values[i] = defaultGenerator.random() < p ? 0 : scale;
  return composite('dropout', () => input.mul(floatConst(values, input.shape, input)));
}

/**
 * Picks rows of `weight` ([numEmbeddings, dim]) by the int32 indices in `input`: [...input] →
 * [...input, dim]. The row at paddingIdx receives no gradient.
 * @example F.embedding(tensor([[1, 2]], { dtype: 'int32' }), weight) // [1, 2, dim]
 */
export function embedding(input: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  checkTensor('embedding', 'input', input);
  checkFloat('embedding', 'weight', weight);
  if (input.dtype !== 'int32') throw new TypeError(`embedding: input must hold int32 indices (got ${input.dtype})`);
  if (weight.ndim !== 2) throw new RangeError(`embedding: weight must be 2-D [numEmbeddings, dim] (got ${fmtShape(weight.shape)})`);
  const [rows, dim] = weight.shape;
  const pad = paddingIdx === null ? -1 : paddingIdx < 0 ? paddingIdx + rows : paddingIdx;
  const idx = input.toArray();
  // NOTE: as in PyTorch, -1 is not "the last row": a -1 padding id must not train the last embedding.
  const bad = idx.findIndex((v) => v < 0 || v >= rows);
  if (bad >= 0)
    throw new RangeError(
      `embedding: index ${idx[bad]} (element ${bad} of the input) is out of range for ${rows} embeddings (indices must lie in 0..${rows - 1})`,
    );
  return composite('embedding', () => {
    const flat = input.reshape(-1);
    const picked = noGrad(() => indexSelect(weight, 0, flat));
    finish(
      picked,
      'embedding',
      [weight],
      (g) => {
        // indexSelect's scatter-add, then the padding row's gradient dropped.
        const pos = tensor(Int32Array.from(idx), { dtype: 'int32', device: g.device });
        const gw = scatterAddGrad(g, weight.shape, 0, pos, [1, 0]);
        if (pad >= 0 && pad < rows) gw.backend.fill(gw.storage, pad * dim, dim, 0);
        return [gw];
      },
      { indices: flat },
    );
    return picked.reshape([...input.shape, dim]);
  });
}

/**
 * (x − E[x]) / √(Var[x] + eps) · weight + bias over the trailing `normalizedShape` dims (biased
 * variance), as one fused kernel each way (assembly/fused.ts): the forward saves each row's mean
 * and 1/√(var + eps), the backward recomputes x̂ from them.
 * @example F.layerNorm(x, [x.shape.at(-1)!])
 */
export function layerNorm(input: Tensor, normalizedShape: readonly number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  checkFloat('layerNorm', 'input', input);
  normalizedShape = V.shapeOrInt('layerNorm', normalizedShape, 'normalizedShape');
  V.optionalTensor('layerNorm', 'weight', weight);
  V.optionalTensor('layerNorm', 'bias', bias);
  V.num('layerNorm', 'eps', eps, { min: 0 });
  const k = normalizedShape.length;
  if (k === 0 || k > input.ndim || !sameShape(input.shape.slice(-k), normalizedShape)) {
    throw new RangeError(`layerNorm: input ${fmtShape(input.shape)} does not end in normalizedShape ${fmtShape(normalizedShape)}`);
  }
  for (const [arg, t] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (t && !sameShape(t.shape, normalizedShape))
      throw new RangeError(`layerNorm: ${arg} must have shape ${fmtShape(normalizedShape)} (got ${fmtShape(t.shape)})`);
  }
  const cols = normalizedShape.reduce((n, v) => n * v, 1);
  const rows = cols === 0 ? 0 : input.numel() / cols;
  const { backend } = input;
  // The kernels read x, weight and bias as contiguous blocks from offset 0.
  const own = (t: Tensor | null) => (t && (!t.isContiguous() || t.offset !== 0 || t.dtype !== input.dtype) ? copyRaw(t, input.dtype) : t);
  // The copies and the saved row statistics live as long as the backward that reads them.
  return composite('layerNorm', () => {
    const x = own(input)!,
      w = own(weight),
      b = own(bias);
    const out = Tensor.empty(input.shape, input.dtype, backend);
    const mean = Tensor.empty([rows], input.dtype, backend);
    const rstd = Tensor.empty([rows], input.dtype, backend);
    backend.layerNorm(x.storage, 0, w?.storage ?? null, b?.storage ?? null, out.storage, mean.storage, rstd.storage, rows, cols, eps);
    const inputs = [input, weight, bias].filter((t): t is Tensor => t !== null);
    finish(
      out,
      'layerNorm',
      inputs,
      (g) => {
        const gc = own(g)!;
        const gradIn = Tensor.empty(input.shape, input.dtype, backend);
        const gradW = weight?.requiresGrad ? zeros(weight.shape, { dtype: input.dtype, device: input.device }) : null;
        const gradB = bias?.requiresGrad ? zeros(bias.shape, { dtype: input.dtype, device: input.device }) : null;
        backend.layerNormBackward(
          x.storage,
          gc.storage,
          w?.storage ?? null,
          mean.storage,
          rstd.storage,
          gradIn.storage,
          gradW?.storage ?? null,
          gradB?.storage ?? null,
          rows,
          cols,
        );
        return [input.requiresGrad ? gradIn : null, ...(weight ? [gradW] : []), ...(bias ? [gradB] : [])];
      },
      { axis: input.ndim - k, epsilon: eps, weight, bias },
    );
    return out;
  });
}

/** Options of `batchNorm`. */
export interface BatchNormFunctionalOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Use batch statistics (and update the running ones) rather than the running ones. */
  training?: boolean;
  /** Weight of the new batch in the running averages; null for a cumulative average. */
  momentum?: number | null;
  eps?: number;
  /** Batches seen so far, for momentum null (set by BatchNorm). */
  numBatchesTracked?: number;
}

/**
 * Normalises each channel (dim 1) of [N, C, ...] by its batch mean and biased variance in training,
 * by the running statistics otherwise; running stats are updated in place with the unbiased variance.
 * @example F.batchNorm(x, runningMean, runningVar, { training: true })
 */
export function batchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, options: BatchNormFunctionalOptions = {}): Tensor {
  const { weight = null, bias = null, training = false, momentum = 0.1, eps = 1e-5, numBatchesTracked = 1 } = options;
  checkFloat('batchNorm', 'input', input);
  if (input.ndim < 2) throw new RangeError(`batchNorm: input must be [N, C, ...] (got ${fmtShape(input.shape)})`);
  const c = input.shape[1];
  for (const [arg, t] of [
    ['runningMean', runningMean],
    ['runningVar', runningVar],
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (t && !sameShape(t.shape, [c]))
      throw new RangeError(`batchNorm: ${arg} must have shape [${c}] for input ${fmtShape(input.shape)} (got ${fmtShape(t.shape)})`);
  }
  const useBatchStats = training || !runningMean || !runningVar;
  const dims = input.shape.map((_, i) => i).filter((i) => i !== 1);
  const bshape = input.shape.map((s, i) => (i === 1 ? s : 1));
  const count = input.numel() / c;
  if (useBatchStats && count <= 1) throw new RangeError(`batchNorm: expected more than 1 value per channel when training (got input ${fmtShape(input.shape)})`);
  return composite('batchNorm', () => {
    let normed: Tensor;
    if (!useBatchStats) normed = input.sub(runningMean.reshape(bshape)).mul(runningVar.reshape(bshape).add(eps).rsqrt());
    else {
      const mean = input.mean(dims, true);
      const centered = input.sub(mean);
      const variance = centered.mul(centered).mean(dims, true);
      if (training && runningMean && runningVar) {
        const m = momentum ?? 1 / numBatchesTracked;
        noGrad(() => {
          runningMean.mul_(1 - m).add_(mean.reshape(c), m);
          runningVar.mul_(1 - m).add_(variance.reshape(c).mul(count / (count - 1)), m);
        });
      }
      normed = centered.mul(variance.add(eps).rsqrt());
    }
    const scaled = weight ? normed.mul(weight.reshape(bshape)) : normed;
    return bias ? scaled.add(bias.reshape(bshape)) : scaled;
  });
}

/**
 * Normalises each of numGroups groups of channels of [N, C, ...] by its own mean and biased
 * variance, then scales and shifts per channel (weight, bias [C]), as torch's group_norm.
 * @example F.groupNorm(x, 4, weight, bias)
 */
export function groupNorm(input: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  checkFloat('groupNorm', 'input', input);
  if (input.ndim < 2) throw new RangeError(`groupNorm: input must be [N, C, ...] (got ${fmtShape(input.shape)})`);
  const c = input.shape[1];
  if (!Number.isInteger(numGroups) || numGroups <= 0 || c % numGroups !== 0) {
    throw new RangeError(`groupNorm: numGroups must be a positive integer dividing the ${c} channels of input ${fmtShape(input.shape)} (got ${numGroups})`);
  }
  for (const [arg, t] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (t && !sameShape(t.shape, [c])) throw new RangeError(`groupNorm: ${arg} must have shape [${c}] (got ${fmtShape(t.shape)})`);
  }
  const n = input.shape[0];
  const bshape = input.shape.map((s, i) => (i === 1 ? s : 1));
  return composite('groupNorm', () => {
    const grouped = input.reshape(n, numGroups, -1);
    const centered = grouped.sub(grouped.mean(2, true));
    const variance = centered.mul(centered).mean(2, true);
    const normed = centered.mul(variance.add(eps).rsqrt()).reshape([...input.shape]);
    const scaled = weight ? normed.mul(weight.reshape(bshape)) : normed;
    return bias ? scaled.add(bias.reshape(bshape)) : scaled;
  });
}

/**
 * x / √(mean(x²) + eps) · weight over the trailing normalizedShape dims (root-mean-square layer
 * norm); eps defaults to the dtype's machine epsilon, as torch.nn.RMSNorm's None.
 * @example F.rmsNorm(x, [x.size(-1)], weight)
 */
export function rmsNorm(input: Tensor, normalizedShape: readonly number[], weight: Tensor | null = null, eps: number | null = null): Tensor {
  checkFloat('rmsNorm', 'input', input);
  normalizedShape = V.shapeOrInt('rmsNorm', normalizedShape, 'normalizedShape');
  V.optionalTensor('rmsNorm', 'weight', weight);
  const k = normalizedShape.length;
  if (k === 0 || k > input.ndim || !sameShape(input.shape.slice(-k), normalizedShape)) {
    throw new RangeError(`rmsNorm: input ${fmtShape(input.shape)} does not end in normalizedShape ${fmtShape(normalizedShape)}`);
  }
  if (weight && !sameShape(weight.shape, normalizedShape))
    throw new RangeError(`rmsNorm: weight must have shape ${fmtShape(normalizedShape)} (got ${fmtShape(weight.shape)})`);
  if (eps !== null && (typeof eps !== 'number' || !(eps >= 0))) throw new RangeError(`rmsNorm: eps must be a non-negative number or null (got ${String(eps)})`);
  const epsilon = eps ?? (input.dtype === 'float64' ? 2 ** -52 : 2 ** -23);
  const dims = normalizedShape.map((_, i) => input.ndim - k + i);
  return composite('rmsNorm', () => {
    const normed = input.mul(input.mul(input).mean(dims, true).add(epsilon).rsqrt());
    return weight ? normed.mul(weight) : normed;
  });
}

// ---------------------------------------------------------------- losses

/**
 * Mean squared error: (input − target)², reduced.
 * @example F.mseLoss(pred, target) // a 0-d tensor
 */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  return differenceLoss('mseLoss', input, target, reductionOf('mseLoss', options), (diff) => diff.mul(diff));
}

/** Mean absolute error: |input − target|, reduced. @example F.l1Loss(pred, target, { reduction: 'sum' }) */
export function l1Loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  return differenceLoss('l1Loss', input, target, reductionOf('l1Loss', options), (diff) => diff.abs());
}

/** Options of the losses that only reduce (PyTorch's `reduction` keyword). */
export interface ReductionOptions {
  reduction?: Reduction;
}

/** The reduction in a loss's options object; a bare string gets a hint rather than a silent default. */
function reductionOf(op: string, options: ReductionOptions): Reduction {
  if (typeof options === 'string') throw new TypeError(`${op}: pass the reduction as an option, { reduction: ${JSON.stringify(options)} }`);
  if (options === null || typeof options !== 'object') throw new TypeError(`${op}: expected options { reduction }, got ${JSON.stringify(options)}`);
  return options.reduction ?? 'mean';
}

/** A loss that is `perElement(input − target)`, reduced, after the checks every such loss makes. */
function differenceLoss(op: string, input: Tensor, target: Tensor, reduction: Reduction, perElement: (diff: Tensor) => Tensor): Tensor {
  checkFloat(op, 'input', input);
  checkTensor(op, 'target', target);
  checkSameShape(op, input, target);
  checkReduction(op, reduction);
  return composite(op, () => reduce(perElement(input.sub(target)), reduction));
}

/** Options of `huberLoss`. */
export interface HuberLossOptions {
  reduction?: Reduction;
  /** Where the loss turns from quadratic to linear (default 1). */
  delta?: number;
}

/**
 * Huber loss of d = input − target: ½d² where |d| < delta, else delta·(|d| − ½delta); reduced.
 * @example F.huberLoss(pred, target, { delta: 0.5 })
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  const { reduction = 'mean', delta = 1 } = options;
  if (typeof delta !== 'number' || !(delta > 0)) throw new RangeError(`huberLoss: delta must be a positive number (got ${String(delta)})`);
  return differenceLoss('huberLoss', input, target, reduction, (d) => {
    const size = d.abs();
    return where(size.lt(delta), d.mul(d).mul(0.5), size.sub(0.5 * delta).mul(delta));
  });
}

/** Options of `smoothL1Loss`. */
export interface SmoothL1LossOptions {
  reduction?: Reduction;
  /** Where the loss turns from quadratic to linear (default 1; 0 gives the L1 loss). */
  beta?: number;
}

/**
 * Smooth L1 loss of d = input − target: ½d²/beta where |d| < beta, else |d| − ½beta; reduced.
 * @example F.smoothL1Loss(pred, target, { beta: 0.1 })
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1LossOptions = {}): Tensor {
  const { reduction = 'mean', beta = 1 } = options;
  if (typeof beta !== 'number' || !(beta >= 0)) throw new RangeError(`smoothL1Loss: beta must be a non-negative number (got ${String(beta)})`);
  return differenceLoss('smoothL1Loss', input, target, reduction, (d) => {
    const size = d.abs();
    return beta === 0 ? size : where(size.lt(beta), d.mul(d).mul(0.5 / beta), size.sub(0.5 * beta));
  });
}

/** Options of `klDiv`. */
export interface KLDivOptions {
  /** 'batchmean' divides the sum by the batch size (input.size(0)), the true KL divergence; 'mean' (default, as PyTorch) by the element count. */
  reduction?: Reduction | 'batchmean';
  /** The target holds log-probabilities rather than probabilities (default false). */
  logTarget?: boolean;
}

/**
 * Kullback–Leibler divergence of `target` from the distribution whose log-probabilities are
 * `input`: target·(log target − input) per element (0 where target = 0), or
 * e^target·(target − input) with logTarget; reduced.
 * @example F.klDiv(logits.logSoftmax(-1), targetProbs, { reduction: 'batchmean' })
 */
export function klDiv(input: Tensor, target: Tensor, options: KLDivOptions = {}): Tensor {
  const op = 'klDiv';
  const { reduction = 'mean', logTarget = false } = options;
  checkFloat(op, 'input', input);
  checkFloat(op, 'target', target);
  checkSameShape(op, input, target);
  if (!['mean', 'batchmean', 'sum', 'none'].includes(reduction)) {
    throw new TypeError(`${op}: reduction must be 'mean', 'batchmean', 'sum' or 'none' (got ${JSON.stringify(reduction)})`);
  }
  if (typeof logTarget !== 'boolean') throw new TypeError(`${op}: logTarget must be a boolean (got ${String(logTarget)})`);
  return composite(op, () => {
    let pointwise: Tensor;
    if (logTarget) pointwise = target.exp().mul(target.sub(input));
    else {
      // xlogy: 0·log 0 is 0; the log reads 1 where target ≤ 0 so its branch stays finite.
      const positive = target.gt(0);
      const logTargetValue = where(positive, target, 1).log();
      pointwise = where(positive, target.mul(logTargetValue), 0).sub(target.mul(input));
    }
    if (reduction !== 'batchmean') return reduce(pointwise, reduction as Reduction);
    return pointwise.sum().div(input.ndim === 0 ? 1 : input.shape[0]);
  });
}

/** Options of `nllLoss`. */
export interface NLLLossOptions {
  /** A weight per class ([C]); the mean divides by the summed weights of the targets. */
  weight?: Tensor | null;
  /** Targets equal to this class index contribute nothing (default −100). */
  ignoreIndex?: number;
  reduction?: Reduction;
}

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions extends NLLLossOptions {
  /** Mixes the target with the uniform distribution: (1 − ε)·target + ε/C. */
  labelSmoothing?: number;
}

/** Class-index targets checked against [C] / [N, C, d1…] input, in the forms the losses use. */
interface ClassTargets {
  /** Target indices with the class dim inserted (ignored positions → 0), for gather. */
  index: Tensor;
  /** Per-position weight of the target class, 0 where ignored. */
  weights: Float64Array;
  /** 1 per position, 0 where ignored. */
  kept: Float64Array;
  /** The mean's denominator: the summed weights. */
  total: number;
}

function classDimOf(op: string, input: Tensor): number {
  if (input.ndim === 0) throw new RangeError(`${op}: input must be [C], [N, C] or [N, C, d1, ...] (got a 0-d tensor)`);
  return input.ndim === 1 ? 0 : 1;
}

function checkClassWeight(op: string, weight: Tensor | null, classes: number): void {
  if (!weight) return;
  checkFloat(op, 'weight', weight);
  if (!sameShape(weight.shape, [classes]))
    throw new RangeError(`${op}: weight must have one entry per class, shape [${classes}] (got ${fmtShape(weight.shape)})`);
}

function classTargets(op: string, input: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number): ClassTargets {
  const cd = classDimOf(op, input);
  const classes = input.shape[cd];
  const expected = input.shape.filter((_, i) => i !== cd);
  if (!sameShape(target.shape, expected)) {
    throw new RangeError(
      `${op}: target shape ${fmtShape(target.shape)} does not match input ${fmtShape(input.shape)} (expected ${fmtShape(expected)}: one class index per position)`,
    );
  }
  if (!Number.isInteger(ignoreIndex)) throw new TypeError(`${op}: ignoreIndex must be an integer (got ${ignoreIndex})`);
  checkClassWeight(op, weight, classes);
  const classWeights = weight ? weight.toArray() : null;
  const values = target.toArray();
  const indices = new Int32Array(values.length);
  const weights = new Float64Array(values.length);
  const kept = new Float64Array(values.length);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === ignoreIndex) continue;
    if (v < 0 || v >= classes) throw new RangeError(`${op}: target ${v} is out of bounds for ${classes} classes (element ${i} of target)`);
    indices[i] = v;
    kept[i] = 1;
    weights[i] = classWeights ? classWeights[v] : 1;
    total += weights[i];
  }
  const indexShape = input.shape.map((s, i) => (i === cd ? 1 : s));
  return { index: tensor(indices, { shape: indexShape, dtype: 'int32', device: input.device }), weights, kept, total };
}

/** A [C] class weight shaped to broadcast along the class dim of input. */
function classWeightView(input: Tensor, weight: Tensor): Tensor {
  const cd = classDimOf('classWeight', input);
  return weight.reshape(input.shape.map((s, i) => (i === cd ? s : 1)));
}

/**
 * −weight[t]·logp[t] per position, plus ε/C of −Σ_c weight[c]·logp[c] with label smoothing ε;
 * PyTorch divides the mean of both terms by the same summed target weights, so they share one
 * per-position coefficient and one reduction.
 */
function nllFromLogProbs(logp: Tensor, target: Tensor, t: ClassTargets, opts: CrossEntropyOptions): Tensor {
  const { weight = null, reduction = 'mean', labelSmoothing = 0 } = opts;
  const cd = classDimOf('nllLoss', logp);
  const classes = logp.shape[cd];
  const picked = logp.gather(cd, t.index).reshape([...target.shape]);
  const coef = floatConst(
    t.weights.map((w) => -(1 - labelSmoothing) * w),
    target.shape,
    logp,
  );
  let loss = picked.mul(coef);
  if (labelSmoothing > 0) {
    const weighted = weight ? logp.mul(classWeightView(logp, weight)) : logp;
    const smoothCoef = floatConst(
      t.kept.map((m) => (-labelSmoothing / classes) * m),
      target.shape,
      logp,
    );
    loss = loss.add(weighted.sum(cd).mul(smoothCoef));
  }
  return reduce(loss, reduction, t.total);
}

/**
 * Negative log-likelihood of class-index targets given log-probabilities (input [C], [N, C] or
 * [N, C, d1…]; target int32 [], [N] or [N, d1…]): −weight[t]·input[t], reduced; the mean divides
 * by the summed weights of the targets that are not ignored.
 * @example F.nllLoss(logits.logSoftmax(1), labels)
 */
export function nllLoss(input: Tensor, target: Tensor, options: NLLLossOptions = {}): Tensor {
  checkFloat('nllLoss', 'input', input);
  checkTensor('nllLoss', 'target', target);
  checkReduction('nllLoss', options.reduction ?? 'mean');
  if (target.dtype !== 'int32') throw new TypeError(`nllLoss: target must hold int32 class indices (got ${target.dtype})`);
  return composite('nllLoss', () => {
    const t = classTargets('nllLoss', input, target, options.weight ?? null, options.ignoreIndex ?? -100);
    return nllFromLogProbs(input, target, t, { ...options, labelSmoothing: 0 });
  });
}

/**
 * Cross entropy of logits (input [C], [N, C] or [N, C, d1…]) against class indices (int32, input's
 * shape without the class dim) or class probabilities (float, input's shape): logSoftmax then the
 * negative log-likelihood, with class weights, ignoreIndex and label smoothing as PyTorch.
 * @example F.crossEntropy(logits, labels, { labelSmoothing: 0.1 })
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  checkFloat(op, 'input', input);
  checkTensor(op, 'target', target);
  const { weight = null, ignoreIndex = -100, reduction = 'mean', labelSmoothing = 0 } = options;
  checkReduction(op, reduction);
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new RangeError(`${op}: labelSmoothing must be between 0 and 1 (got ${labelSmoothing})`);
  }
  const cd = classDimOf(op, input);
  const classes = input.shape[cd];
  if (target.dtype === 'int32') {
    return composite(op, () => {
      const t = classTargets(op, input, target, weight, ignoreIndex);
      if (input.ndim === 2 && labelSmoothing === 0) return softmaxCrossEntropy(input, target, t, reduction);
      return nllFromLogProbs(input.logSoftmax(cd), target, t, options);
    });
  }
  if (!isFloat(target.dtype)) throw new TypeError(`${op}: target must be int32 class indices or float class probabilities (got ${target.dtype})`);
  if (!sameShape(target.shape, input.shape)) {
    throw new RangeError(
      `${op}: probability targets must have the input's shape ${fmtShape(input.shape)} (got ${fmtShape(target.shape)}); class indices must be int32`,
    );
  }
  checkClassWeight(op, weight, classes);
  return composite(op, () => {
    const smoothed = labelSmoothing > 0 ? target.mul(1 - labelSmoothing).add(labelSmoothing / classes) : target;
    const product = input.logSoftmax(cd).mul(smoothed);
    const weighted = weight ? product.mul(classWeightView(input, weight)) : product;
    return reduce(weighted.sum(cd).neg(), reduction, input.numel() / classes);
  });
}

/**
 * Cross-entropy of [N, C] logits in one fused kernel each way: the forward keeps the softmax
 * probabilities, so the backward is (softmax − onehot)·scale per row, where scale folds the
 * incoming gradient, the target's class weight and the mean's divisor (0 on ignored rows).
 */
function softmaxCrossEntropy(input: Tensor, target: Tensor, t: ClassTargets, reduction: Reduction): Tensor {
  const [rows, cols] = input.shape;
  const { backend } = input;
  const probs = Tensor.empty(input.shape, input.dtype, backend);
  const rowLoss = Tensor.empty([rows], input.dtype, backend);
  withContiguous(input, (x) => backend.crossEntropy(x.storage, x.offset, t.index.storage, probs.storage, rowLoss.storage, rows, cols));
  const losses = rowLoss.toArray();
  const weighted = losses.map((l, i) => (t.kept[i] ? t.weights[i] * l : 0));
  let out: Tensor;
  if (reduction === 'none') out = floatConst(weighted, target.shape, input);
  else {
    let total = 0;
    for (const v of weighted) total += v;
    out = floatConst([reduction === 'mean' ? total / t.total : total], [], input);
  }
  finish(out, 'crossEntropy', [input], (g) => {
    const gv = g.toArray();
    const denominator = reduction === 'mean' ? t.total : 1;
    const scale = floatConst(
      t.weights.map((w, i) => (w * gv[reduction === 'none' ? i : 0]) / denominator),
      [rows],
      input,
    );
    const grad = Tensor.empty(input.shape, input.dtype, backend);
    backend.crossEntropyBackward(probs.storage, t.index.storage, scale.storage, grad.storage, rows, cols);
    return [grad];
  });
  return out;
}

/** Options of `binaryCrossEntropy`. */
export interface BCEOptions {
  /** Rescales each element's loss (broadcast to input's shape). */
  weight?: Tensor | null;
  reduction?: Reduction;
}

/** Options of `binaryCrossEntropyWithLogits`. */
export interface BCEWithLogitsOptions extends BCEOptions {
  /** Weight of the positive term, per class (broadcast along the last dim). */
  posWeight?: Tensor | null;
}

/**
 * Binary cross entropy of probabilities: −w·(t·log x + (1 − t)·log(1 − x)), each log clamped at
 * −100 as in PyTorch, so x = 0 or 1 gives a finite loss.
 * @example F.binaryCrossEntropy(logits.sigmoid(), targets)
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BCEOptions = {}): Tensor {
  const op = 'binaryCrossEntropy';
  const { weight = null, reduction = 'mean' } = options;
  checkFloat(op, 'input', input);
  checkFloat(op, 'target', target);
  checkSameShape(op, input, target);
  checkReduction(op, reduction);
  // An empty input has no values to range-check (and min() of nothing would raise naming min).
  const min = input.numel() === 0 ? 0 : composite(op, () => input.min().item());
  const max = input.numel() === 0 ? 1 : composite(op, () => input.max().item());
  if (!(min >= 0 && max <= 1)) {
    throw new RangeError(`${op}: every input must be a probability in [0, 1] (got values from ${min} to ${max}); use binaryCrossEntropyWithLogits for logits`);
  }
  return composite(op, () => {
    // The forward's logs are scratch, freed before the graph is recorded.
    const elementwise = composite(op, () =>
      noGrad(() => {
        const logX = input.log().clamp(-100);
        const log1mX = input.neg().add(1).log().clamp(-100);
        // −(t·log x + (1 − t)·log(1 − x)) = −(log(1 − x) + t·(log x − log(1 − x)))
        return target.mul(logX.sub(log1mX)).add(log1mX).neg();
      }),
    );
    finish(elementwise, op, [input, target], (g) => [
      // d/dx = (x − t) / max(x·(1 − x), 1e-12): the bound PyTorch uses, finite at x = 0 or 1.
      input.requiresGrad ? g.mul(input.sub(target)).div(input.mul(input.neg().add(1)).clamp(1e-12)) : null,
      target.requiresGrad ? g.mul(input.neg().add(1).log().clamp(-100).sub(input.log().clamp(-100))) : null,
    ]);
    return reduce(weight ? elementwise.mul(weight) : elementwise, reduction);
  });
}

/**
 * Binary cross entropy of logits, stable for any x: (1 − t)·x + (1 + (p − 1)·t)·softplus(−x),
 * with softplus(−x) = max(−x, 0) + log(1 + e^−|x|) and p = posWeight (1 by default).
 * @example F.binaryCrossEntropyWithLogits(logits, targets, { posWeight: tensor([3]) })
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BCEWithLogitsOptions = {}): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  const { weight = null, posWeight = null, reduction = 'mean' } = options;
  checkFloat(op, 'input', input);
  checkFloat(op, 'target', target);
  checkSameShape(op, input, target);
  checkReduction(op, reduction);
  if (posWeight) checkFloat(op, 'posWeight', posWeight);
  return composite(op, () => {
    const softplusNeg = input.neg().relu().add(input.abs().neg().exp().add(1).log());
    const linearTerm = target.neg().add(1).mul(input);
    const logTerm = posWeight ? posWeight.sub(1).mul(target).add(1).mul(softplusNeg) : softplusNeg;
    const loss = linearTerm.add(logTerm);
    return reduce(weight ? loss.mul(weight) : loss, reduction);
  });
}
