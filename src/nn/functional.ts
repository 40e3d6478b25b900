/**
 * nn.functional: the stateless computations behind the layers and losses (PyTorch's
 * torch.nn.functional). Each is built from tensor ops, so autograd comes for free; `linear`,
 * `embedding`, `binaryCrossEntropy` and the 2-D cross-entropy are fused ops of their own
 * (ops/fused.ts) for a leaner or exact backward.
 */
import { finish, noGrad } from '../autograd/grad-mode.js';
import { tensor, zeros } from '../creation.js';
import { isFloat } from '../dtype.js';
import { copyRaw } from '../ops/util.js';
import { defaultGenerator } from '../random.js';
import { fmtShape, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import * as V from '../validate.js';
import { gelu as geluOp, where, type GeluOptions } from '../ops/elementwise.js';
import { composite } from '../autograd/composite.js';
import {
  checkFloat,
  checkReduction,
  checkSameShape,
  floatConst,
  reduceLoss as reduce,
  softmaxCrossEntropy,
  type BCEOptions,
  type ClassTargets,
  type Reduction,
} from '../ops/fused.js';
export { linear, embedding, binaryCrossEntropy, type BCEOptions, type Reduction } from '../ops/fused.js';
export { conv2d, maxPool2d, avgPool2d, adaptiveAvgPool2d } from '../ops/conv.js';
export {
  leakyRelu,
  silu,
  elu,
  softplus,
  mish,
  hardswish,
  hardtanh,
  relu6,
  type SoftplusOptions,
  type HardtanhOptions,
  type ReLU6Options,
} from './activation.js';
export { pad, type PadOptions } from '../ops/rearrange.js';
export { interpolate, type InterpolateOptions, type InterpolateMode } from './interpolate.js';
export { oneHot } from '../ops/indexing.js';
export type { GeluOptions };

export { scaledDotProductAttention } from './attention.js';

const checkTensor = V.tensorArg;

// ---------------------------------------------------------------- layers

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
  const {
    weight = null,
    bias = null,
    training = false,
    momentum = 0.1,
    eps = 1e-5,
    numBatchesTracked = 1,
  } = V.options('batchNorm', options, ['weight', 'bias', 'training', 'momentum', 'eps', 'numBatchesTracked']);
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
  return V.options(op, options, ['reduction']).reduction ?? 'mean';
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
  const { reduction = 'mean', delta = 1 } = V.options('huberLoss', options, ['reduction', 'delta']);
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
  const { reduction = 'mean', beta = 1 } = V.options('smoothL1Loss', options, ['reduction', 'beta']);
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
  const { reduction = 'mean', logTarget = false } = V.options('klDiv', options, ['reduction', 'logTarget']);
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
  V.options('nllLoss', options, ['weight', 'ignoreIndex', 'reduction']);
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
  const {
    weight = null,
    ignoreIndex = -100,
    reduction = 'mean',
    labelSmoothing = 0,
  } = V.options('crossEntropy', options, ['weight', 'ignoreIndex', 'reduction', 'labelSmoothing']);
  checkReduction(op, reduction);
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new RangeError(`${op}: labelSmoothing must be between 0 and 1 (got ${labelSmoothing})`);
  }
  const cd = classDimOf(op, input);
  const classes = input.shape[cd];
  if (target.dtype === 'int32') {
    return composite(op, () => {
      const t = classTargets(op, input, target, weight, ignoreIndex);
      if (input.ndim === 2 && labelSmoothing === 0) return softmaxCrossEntropy(input, t, reduction);
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

/** Options of `binaryCrossEntropyWithLogits`. */
export interface BCEWithLogitsOptions extends BCEOptions {
  /** Weight of the positive term, per class (broadcast along the last dim). */
  posWeight?: Tensor | null;
}

/**
 * Binary cross entropy of logits, stable for any x: (1 − t)·x + (1 + (p − 1)·t)·softplus(−x),
 * with softplus(−x) = max(−x, 0) + log(1 + e^−|x|) and p = posWeight (1 by default).
 * @example F.binaryCrossEntropyWithLogits(logits, targets, { posWeight: tensor([3]) })
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BCEWithLogitsOptions = {}): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  const { weight = null, posWeight = null, reduction = 'mean' } = V.options('binaryCrossEntropyWithLogits', options, ['weight', 'posWeight', 'reduction']);
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
