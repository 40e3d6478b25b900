/**
 * The fused autograd ops behind nn.functional: each is one op with its own backward (a GEMM
 * reading W transposed, a gather with a scatter-add adjoint, one kernel each way for
 * softmax-cross-entropy, the exact clamped BCE gradient) instead of a chain of recorded ops.
 * `F.*` exports them with the rest of torch.nn.functional.
 */
import { finish, noGrad } from '../autograd/grad-mode.js';
import { composite } from '../autograd/composite.js';
import { tensor } from '../creation.js';
import { isFloat } from '../dtype.js';
import { fmtShape, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { tensorArg } from '../validate.js';
import { where } from './elementwise.js';
import { indexSelect, scatterAddGrad } from './indexing.js';
import { addmmTransposed, matmul } from './linalg.js';
import { transpose } from './shape.js';
import { copyRaw, withContiguous } from './util.js';
import * as V from '../validate.js';

/** How a loss reduces its per-element values: their mean, their sum, or none (PyTorch's `reduction`). */
export type Reduction = 'mean' | 'sum' | 'none';

/** Checks that x is a floating point tensor, naming op and argument. */
export function checkFloat(op: string, arg: string, x: unknown): Tensor {
  const t = tensorArg(op, arg, x);
  if (!isFloat(t.dtype)) throw new TypeError(`${op}: ${arg} must be a floating point tensor (got ${t.dtype})`);
  return t;
}

/** Reduces per-element losses (called inside the loss's composite); the mean divides by `denominator` (numel by default). */
export function reduceLoss(loss: Tensor, reduction: Reduction, denominator?: number): Tensor {
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return loss.sum();
  return loss.sum().div(denominator ?? loss.numel());
}

/** Checks a loss's `reduction` option. */
export function checkReduction(op: string, reduction: Reduction): void {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new TypeError(`${op}: reduction must be 'mean', 'sum' or 'none' (got ${JSON.stringify(reduction)})`);
  }
}

/** Checks that a loss's target has the input's shape. */
export function checkSameShape(op: string, input: Tensor, target: Tensor): void {
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(`${op}: target shape ${fmtShape(target.shape)} must match input shape ${fmtShape(input.shape)}`);
  }
}

/** A constant tensor of like's dtype and device. */
export function floatConst(values: ArrayLike<number>, shape: readonly number[], like: Tensor): Tensor {
  return tensor(values as Float64Array, { shape, dtype: like.dtype, device: like.device });
}

/** Class-index targets checked against [C] / [N, C, d1…] input, in the forms the losses use. */
export interface ClassTargets {
  /** Target indices with the class dim inserted (ignored positions → 0), for gather. */
  index: Tensor;
  /** Per-position weight of the target class, 0 where ignored. */
  weights: Float64Array;
  /** 1 per position, 0 where ignored. */
  kept: Float64Array;
  /** The mean's denominator: the summed weights. */
  total: number;
}

/** Options of `binaryCrossEntropy`. */
export interface BCEOptions {
  /** Rescales each element's loss (broadcast to input's shape). */
  weight?: Tensor | null;
  reduction?: Reduction;
}

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
  for (const [arg, t] of [['weight', weight] as const, ['bias', bias] as const]) {
    if (t && t.device !== input.device) throw new TypeError(`linear: ${arg} is on device '${t.device}' but input is on '${input.device}'`);
  }
  return composite('linear', () => {
    const x = input.ndim === 2 ? input : input.reshape(-1, inF);
    const y = addmmTransposed(x, weight, bias);
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

/**
 * Picks rows of `weight` ([numEmbeddings, dim]) by the int32 indices in `input`: [...input] →
 * [...input, dim]. The row at paddingIdx receives no gradient.
 * @example F.embedding(tensor([[1, 2]], { dtype: 'int32' }), weight) // [1, 2, dim]
 */
export function embedding(input: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  tensorArg('embedding', 'input', input);
  checkFloat('embedding', 'weight', weight);
  if (input.dtype !== 'int32') throw new TypeError(`embedding: input must hold int32 indices (got ${input.dtype})`);
  if (weight.ndim !== 2) throw new RangeError(`embedding: weight must be 2-D [numEmbeddings, dim] (got ${fmtShape(weight.shape)})`);
  const [rows, dim] = weight.shape;
  const pad = paddingIdx === null ? -1 : paddingIdx < 0 ? paddingIdx + rows : paddingIdx;
  return composite('embedding', () => {
    const flat = input.isContiguous() ? input.reshape(-1) : copyRaw(input).reshape(-1);
    const bad = flat.backend.indexBounds(flat.storage, flat.offset, flat.numel(), rows);
    // NOTE: as in PyTorch, -1 is not "the last row": a -1 padding id must not train the last embedding.
    if (bad >= 0)
      throw new RangeError(
        `embedding: index ${flat.toArray()[bad]} (element ${bad} of the input) is out of range for ${rows} embeddings (indices must lie in 0..${rows - 1})`,
      );
    const picked = noGrad(() => indexSelect(weight, 0, flat));
    finish(
      picked,
      'embedding',
      [weight],
      (g) => {
        // indexSelect's scatter-add, then the padding row's gradient dropped.
        const gw = scatterAddGrad(g, weight.shape, 0, flat, [1, 0]);
        if (pad >= 0 && pad < rows) gw.backend.fill(gw.storage, pad * dim, dim, 0);
        return [gw];
      },
      { indices: flat },
    );
    return picked.reshape([...input.shape, dim]);
  });
}

/**
 * Cross-entropy of [N, C] logits in one fused kernel each way: the forward keeps the softmax
 * probabilities, so the backward is (softmax − onehot)·scale per row, where scale folds the
 * incoming gradient, the target's class weight and the mean's divisor (0 on ignored rows).
 */
export function softmaxCrossEntropy(input: Tensor, t: ClassTargets, reduction: Reduction): Tensor {
  const [rows, cols] = input.shape;
  const { backend } = input;
  const probs = Tensor.empty(input.shape, input.dtype, backend);
  const rowLoss = Tensor.empty([rows], input.dtype, backend);
  withContiguous(input, (x) => backend.crossEntropy(x.storage, x.offset, t.index.storage, probs.storage, rowLoss.storage, rows, cols));
  // Ignored rows contribute 0 whatever their logits hold; the mean divides by the summed weights.
  const out = noGrad(() => {
    const weighted = where(floatConst(t.kept, [rows], input).ne(0), rowLoss.mul(floatConst(t.weights, [rows], input)), 0);
    if (reduction === 'none') return weighted;
    return reduction === 'mean' ? weighted.sum().div(t.total) : weighted.sum();
  });
  finish(out, 'crossEntropy', [input], (g) => {
    // Each row's scale folds the incoming gradient, its class weight and the mean's divisor.
    const scale = floatConst(t.weights, [rows], input)
      .mul(g)
      .div(reduction === 'mean' ? t.total : 1);
    const grad = Tensor.empty(input.shape, input.dtype, backend);
    backend.crossEntropyBackward(probs.storage, t.index.storage, scale.storage, grad.storage, rows, cols);
    return [grad];
  });
  return out;
}

/**
 * Binary cross entropy of probabilities: −w·(t·log x + (1 − t)·log(1 − x)), each log clamped at
 * −100 as in PyTorch, so x = 0 or 1 gives a finite loss.
 * @example F.binaryCrossEntropy(logits.sigmoid(), targets)
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BCEOptions = {}): Tensor {
  const op = 'binaryCrossEntropy';
  const { weight = null, reduction = 'mean' } = V.options(op, options, ['weight', 'reduction']);
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
    return reduceLoss(weight ? elementwise.mul(weight) : elementwise, reduction);
  });
}
