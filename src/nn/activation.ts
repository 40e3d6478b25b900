/**
 * Activation functions of nn.functional beyond relu/gelu/sigmoid/tanh, each a composite of tensor
 * ops, so autograd derives its backward. Where one branch of a `where` would overflow (exp of a
 * large x), that branch reads a clamped x: the branch not taken must not turn its zero gradient
 * into 0·inf = NaN.
 */
import { composite } from '../autograd/composite.js';
import { isFloat } from '../dtype.js';
import { clamp, expm1, exp, gt, log1p, mul, tanh, where, sigmoid, div, add } from '../ops/elementwise.js';
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
