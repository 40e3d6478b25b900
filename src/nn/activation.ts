/**
 * Activation functions of nn.functional beyond relu/gelu/sigmoid/tanh, each a composite of tensor
 * ops, so autograd derives its backward. Where one branch of a `where` would overflow (exp of a
 * large x), that branch reads a clamped x: the branch not taken must not turn its zero gradient
 * into 0·inf = NaN.
 */
import { composite } from '../autograd/composite.js';
import { isFloat } from '../dtype.js';
import { clamp, expm1, exp, gt, hardtanhOp, log1p, mul, tanh, where, sigmoid, div, add } from '../ops/elementwise.js';
import { Tensor } from '../tensor.js';
import * as V from '../validate.js';

function checkFloat(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: input must be a Tensor (got ${x === null ? 'null' : typeof x})`);
  x.check(op);
  if (!isFloat(x.dtype)) throw new TypeError(`${op}: input must be a floating point tensor (got ${x.dtype})`);
  return x;
}

/** @internal Throws unless v is a finite number; shared with the activation modules. */
export function checkNumber(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${op}: ${arg} must be a finite number (got ${String(v)})`);
  return v;
}

/**
 * x where x > 0, else negativeSlope·x.
 * @example F.leakyRelu(x, 0.2)
 */
export function leakyRelu(input: Tensor, negativeSlope = 0.01): Tensor {
  checkFloat('leakyRelu', input);
  checkNumber('leakyRelu', 'negativeSlope', negativeSlope);
  return composite('leakyRelu', () => where(gt(input, 0), input, mul(input, negativeSlope)));
}

/** x·σ(x) (also called swish). */
export function silu(input: Tensor): Tensor {
  checkFloat('silu', input);
  return composite('silu', () => mul(input, sigmoid(input)));
}

/**
 * x where x > 0, else alpha·(eˣ − 1).
 * @example F.elu(x, 1.0)
 */
export function elu(input: Tensor, alpha = 1): Tensor {
  checkFloat('elu', input);
  checkNumber('elu', 'alpha', alpha);
  return composite('elu', () => where(gt(input, 0), input, mul(expm1(clamp(input, null, 0)), alpha)));
}

/** Options of `softplus`. */
export interface SoftplusOptions {
  /** Sharpness: softplus(x) = log(1 + e^(βx))/β (default 1). */
  beta?: number;
  /** Above βx > threshold the result is x itself, for stability (default 20). */
  threshold?: number;
}

/**
 * log(1 + e^(βx))/β, or x where βx > threshold, as PyTorch.
 * @example F.softplus(x, { beta: 2 })
 */
export function softplus(input: Tensor, options: SoftplusOptions = {}): Tensor {
  checkFloat('softplus', input);
  const { beta = 1, threshold = 20 } = V.options('softplus', options, ['beta', 'threshold']);
  checkNumber('softplus', 'beta', beta);
  checkNumber('softplus', 'threshold', threshold);
  if (beta === 0) throw new RangeError('softplus: beta must be non-zero');
  return composite('softplus', () => softplusOf(input, beta, threshold));
}

function softplusOf(x: Tensor, beta: number, threshold: number): Tensor {
  const bx = mul(x, beta);
  const smooth = div(log1p(exp(clamp(bx, null, threshold))), beta);
  return where(gt(bx, threshold), x, smooth);
}

/** x·tanh(softplus(x)). */
export function mish(input: Tensor): Tensor {
  checkFloat('mish', input);
  return composite('mish', () => mul(input, tanh(softplusOf(input, 1, 20))));
}

/** x·relu6(x + 3)/6: 0 below −3, x above 3, x(x + 3)/6 between. */
export function hardswish(input: Tensor): Tensor {
  checkFloat('hardswish', input);
  return composite('hardswish', () => div(mul(input, clamp(add(input, 3), 0, 6)), 6));
}

/** Options of `hardtanh`, named as PyTorch's. */
export interface HardtanhOptions {
  /** The lower bound (default −1). */
  minVal?: number;
  /** The upper bound (default 1). */
  maxVal?: number;
  /** Accepted for PyTorch code and ignored: the result is always a new tensor. */
  inplace?: boolean;
}

/** Options of `relu6`. */
export interface ReLU6Options {
  /** Accepted for PyTorch code and ignored: the result is always a new tensor. */
  inplace?: boolean;
}

function checkInplace(op: string, inplace: unknown): void {
  if (inplace !== undefined && typeof inplace !== 'boolean') throw new TypeError(`${op}: inplace must be a boolean (got ${String(inplace)})`);
}

/** @internal Checks relu6's options; shared with nn.ReLU6. */
export function relu6Options(op: string, options: ReLU6Options): void {
  checkInplace(op, V.options(op, options, ['inplace']).inplace);
}

/** @internal Reads and checks hardtanh's bounds; shared with nn.Hardtanh. */
export function hardtanhBounds(op: string, options: HardtanhOptions): [number, number] {
  const { minVal = -1, maxVal = 1, inplace } = V.options(op, options, ['minVal', 'maxVal', 'inplace']);
  checkNumber(op, 'minVal', minVal);
  checkNumber(op, 'maxVal', maxVal);
  checkInplace(op, inplace);
  if (minVal > maxVal) throw new RangeError(`${op}: minVal (${minVal}) must not exceed maxVal (${maxVal})`);
  return [minVal, maxVal];
}

/**
 * x limited to [minVal, maxVal]; the gradient is 1 strictly inside and 0 at and beyond the bounds, as PyTorch's.
 * @example F.hardtanh(x, { minVal: -2, maxVal: 2 })
 */
export function hardtanh(input: Tensor, options: HardtanhOptions = {}): Tensor {
  checkFloat('hardtanh', input);
  const [lo, hi] = hardtanhBounds('hardtanh', options);
  return hardtanhOp(input, lo, hi);
}

/** min(max(x, 0), 6): hardtanh over [0, 6], so the gradient is 0 at x = 0 and x = 6, as PyTorch's. */
export function relu6(input: Tensor, options: ReLU6Options = {}): Tensor {
  checkFloat('relu6', input);
  relu6Options('relu6', options);
  return hardtanhOp(input, 0, 6);
}
