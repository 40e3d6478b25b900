/**
 * Loss modules: each holds its options and calls the nn.functional loss of the same name, so
 * `new CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(logits, labels)` is
 * `F.crossEntropy(logits, labels, { labelSmoothing: 0.1 })`.
 */
import type { Tensor } from '../tensor.js';
import * as F from './functional.js';
import { Module } from './module.js';
import * as V from '../validate.js';

const REDUCTIONS: readonly F.Reduction[] = ['mean', 'sum', 'none'];

import type { ReductionOptions } from './functional.js';

export type { ReductionOptions };

/**
 * Mean squared error (input − target)², reduced.
 * @example new MSELoss().forward(pred, target)
 */
export class MSELoss extends Module {
  /** 'mean', 'sum' or 'none'. */
  readonly reduction: F.Reduction;
  constructor(options: ReductionOptions = {}) {
    super();
    this.reduction = V.oneOf('MSELoss', 'reduction', V.options('MSELoss', options, ['reduction']).reduction ?? 'mean', REDUCTIONS);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, { reduction: this.reduction });
  }
  override extraRepr(): string {
    return `reduction=${this.reduction}`;
  }
}

/** Mean absolute error |input − target|, reduced. */
export class L1Loss extends Module {
  /** 'mean', 'sum' or 'none'. */
  readonly reduction: F.Reduction;
  constructor(options: ReductionOptions = {}) {
    super();
    this.reduction = V.oneOf('L1Loss', 'reduction', V.options('L1Loss', options, ['reduction']).reduction ?? 'mean', REDUCTIONS);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, { reduction: this.reduction });
  }
  override extraRepr(): string {
    return `reduction=${this.reduction}`;
  }
}

/**
 * Cross entropy of logits against int32 class indices or float class probabilities, with class
 * `weight`, `ignoreIndex` (default −100) and `labelSmoothing`.
 * @example new CrossEntropyLoss().forward(logits, labels)
 */
export class CrossEntropyLoss extends Module {
  /** The loss options: reduction, weight, ignoreIndex, labelSmoothing (PyTorch's names in camelCase). */
  readonly options: F.CrossEntropyOptions;
  constructor(options: F.CrossEntropyOptions = {}) {
    super();
    V.options('CrossEntropyLoss', options, ['weight', 'ignoreIndex', 'reduction', 'labelSmoothing']);
    this.options = { ...options, weight: keep(options.weight) };
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, this.options);
  }
  override extraRepr(): string {
    return reprOptions(this.options);
  }
}

/** Negative log-likelihood of int32 class indices given log-probabilities, with `weight` and `ignoreIndex`. */
export class NLLLoss extends Module {
  /** The loss options: reduction, weight, ignoreIndex. */
  readonly options: F.NLLLossOptions;
  constructor(options: F.NLLLossOptions = {}) {
    super();
    V.options('NLLLoss', options, ['weight', 'ignoreIndex', 'reduction']);
    this.options = { ...options, weight: keep(options.weight) };
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, this.options);
  }
  override extraRepr(): string {
    return reprOptions(this.options);
  }
}

/** Binary cross entropy of probabilities in [0, 1] (logs clamped at −100). */
export class BCELoss extends Module {
  /** The loss options: reduction and weight. */
  readonly options: F.BCEOptions;
  constructor(options: F.BCEOptions = {}) {
    super();
    V.options('BCELoss', options, ['weight', 'reduction']);
    this.options = { ...options, weight: keep(options.weight) };
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropy(input, target, this.options);
  }
  override extraRepr(): string {
    return reprOptions(this.options);
  }
}

/** Binary cross entropy of logits (a stable sigmoid + BCE), with `weight` and `posWeight`. */
export class BCEWithLogitsLoss extends Module {
  /** The loss options: reduction, weight, posWeight (PyTorch's pos_weight). */
  readonly options: F.BCEWithLogitsOptions;
  constructor(options: F.BCEWithLogitsOptions = {}) {
    super();
    V.options('BCEWithLogitsLoss', options, ['weight', 'reduction', 'posWeight']);
    this.options = { ...options, weight: keep(options.weight), posWeight: keep(options.posWeight) };
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, this.options);
  }
  override extraRepr(): string {
    return reprOptions(this.options);
  }
}

/** Huber loss: ½d² where |d| < delta, else delta·(|d| − ½delta), reduced. @example new HuberLoss({ delta: 0.5 }) */
export class HuberLoss extends Module {
  /** The loss options: reduction and delta. */
  readonly options: F.HuberLossOptions;
  constructor(options: F.HuberLossOptions = {}) {
    super();
    this.options = { ...V.options('HuberLoss', options, ['reduction', 'delta']) };
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, this.options);
  }
  override extraRepr(): string {
    return reprOptions(this.options);
  }
}

/** Smooth L1 loss: ½d²/beta where |d| < beta, else |d| − ½beta, reduced. */
export class SmoothL1Loss extends Module {
  /** The loss options: reduction and beta. */
  readonly options: F.SmoothL1LossOptions;
  constructor(options: F.SmoothL1LossOptions = {}) {
    super();
    this.options = { ...V.options('SmoothL1Loss', options, ['reduction', 'beta']) };
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, this.options);
  }
  override extraRepr(): string {
    return reprOptions(this.options);
  }
}

/** KL divergence of the target from input's log-probabilities, with `reduction` ('batchmean' for the true KL) and `logTarget`. */
export class KLDivLoss extends Module {
  /** The loss options: reduction and logTarget (PyTorch's log_target). */
  readonly options: F.KLDivOptions;
  constructor(options: F.KLDivOptions = {}) {
    super();
    const { reduction = 'mean', logTarget = false } = V.options('KLDivLoss', options, ['reduction', 'logTarget']);
    this.options = {
      reduction: V.oneOf('KLDivLoss', 'reduction', reduction, ['mean', 'batchmean', 'sum', 'none'] as const),
      logTarget: V.bool('KLDivLoss', 'logTarget', logTarget),
    };
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, this.options);
  }
  override extraRepr(): string {
    return reprOptions(this.options);
  }
}

/** A loss's weight tensors are its state: kept, so no tidy() or step boundary frees them. */
function keep(t: Tensor | null | undefined): Tensor | null {
  return t ? t.keep() : null;
}

function reprOptions(options: object): string {
  return Object.entries(options)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? `[${(v as Tensor).shape}]` : v}`)
    .join(', ');
}
