/**
 * nn.init: in-place initialisers with PyTorch's fan and gain rules. Each fills a tensor (usually a
 * Parameter) under noGrad from the global generator, or the one passed, and returns it.
 */
import { composite } from '../autograd/composite.js';
import { noGrad } from '../autograd/grad-mode.js';
import { tensor } from '../creation.js';
import { Generator, defaultGenerator } from '../random.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import * as V from '../validate.js';

/** Nonlinearities `calculateGain` knows, spelled as in PyTorch (`'leakyRelu'` is accepted too). */
export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'leakyRelu' | 'selu';

/** Which fan the Kaiming initialisers preserve the variance of: PyTorch's `'fan_in'`/`'fan_out'` (camelCase accepted too). */
export type FanMode = 'fan_in' | 'fan_out' | 'fanIn' | 'fanOut';

/** Options of the Kaiming initialisers. */
export interface KaimingOptions {
  /** Negative slope of the leaky ReLU that follows (0 for ReLU). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}

/** Writes `sample()` into every element of t (checked by the caller), under noGrad; returns t. */
function fill<T extends Tensor>(t: T, sample: () => number): T {
  const values = new Float64Array(t.numel());
  for (let i = 0; i < values.length; i++) values[i] = sample();
  composite('init', () => noGrad(() => void t.copy_(tensor(values, { shape: t.shape, dtype: t.dtype, device: t.device }))));
  return t;
}

/**
 * The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for tanh, √2 for relu,
 * √(2/(1 + slope²)) for leaky relu (slope `param`, default 0.01), 3/4 for selu.
 * @example calculateGain('relu') // 1.414…
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) throw new TypeError(`calculateGain: negative slope ${slope} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new TypeError(`calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/**
 * fanIn = size(1)·receptive field and fanOut = size(0)·receptive field, where the receptive field
 * is the product of the dims after the first two (a Linear weight [out, in] has fanIn = in).
 */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  V.tensorArg('calculateFanInAndFanOut', 'tensor', t);
  if (t.ndim < 2) throw new RangeError(`init: fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions (got ${fmtShape(t.shape)})`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

/** U(a, b) samples in place. @example uniform_(w, -0.1, 0.1) */
export function uniform_<T extends Tensor>(t: T, a = 0, b = 1, generator: Generator = defaultGenerator): T {
  V.tensorArg('uniform_', 'tensor', t);
  V.num('uniform_', 'a', a);
  V.num('uniform_', 'b', b);
  if (!(a <= b)) throw new RangeError(`uniform_: expects a <= b (got a=${a}, b=${b})`);
  const g = V.generator('uniform_', generator);
  return fill(t, () => a + (b - a) * g.random());
}

/** N(mean, std²) samples in place. @example normal_(w, 0, 0.02) */
export function normal_<T extends Tensor>(t: T, mean = 0, std = 1, generator: Generator = defaultGenerator): T {
  V.tensorArg('normal_', 'tensor', t);
  V.num('normal_', 'mean', mean);
  V.num('normal_', 'std', std, { min: 0 });
  const g = V.generator('normal_', generator);
  return fill(t, () => mean + std * g.normal());
}

const TRUNC_TRIES = 10000;

/** N(mean, std²) samples redrawn until they fall in [a, b]. */
export function truncNormal_<T extends Tensor>(t: T, mean = 0, std = 1, a = -2, b = 2, generator: Generator = defaultGenerator): T {
  V.tensorArg('truncNormal_', 'tensor', t);
  V.num('truncNormal_', 'mean', mean);
  V.num('truncNormal_', 'std', std, { min: 0 });
  V.num('truncNormal_', 'a', a, { finite: false });
  V.num('truncNormal_', 'b', b, { finite: false });
  if (!(a < b)) throw new RangeError(`truncNormal_: expects a < b (got a=${a}, b=${b})`);
  const g = V.generator('truncNormal_', generator);
  return fill(t, () => {
    // Rejection sampling; a window far in the tail would otherwise loop (nearly) forever.
    for (let tries = 0; tries < TRUNC_TRIES; tries++) {
      const v = mean + std * g.normal();
      if (v >= a && v <= b) return v;
    }
    throw new RangeError(`truncNormal_: [${a}, ${b}] lies too far in the tail of N(${mean}, ${std}²): no sample fell in it in ${TRUNC_TRIES} draws`);
  });
}

/** Fills with `value`. */
export function constant_<T extends Tensor>(t: T, value: number): T {
  V.tensorArg('constant_', 'tensor', t);
  V.num('constant_', 'value', value, { finite: false });
  noGrad(() => t.fill_(value));
  return t;
}

/** Fills with 0. */
export function zeros_<T extends Tensor>(t: T): T {
  return constant_(t, 0);
}

/** Fills with 1. */
export function ones_<T extends Tensor>(t: T): T {
  return constant_(t, 1);
}

/** The identity in a 2-D tensor (ones on the diagonal). */
export function eye_<T extends Tensor>(t: T): T {
  V.tensorArg('eye_', 'tensor', t);
  if (t.ndim !== 2) throw new RangeError(`eye_: only 2-D tensors are supported (got ${fmtShape(t.shape)})`);
  const cols = t.shape[1];
  let i = 0;
  return fill(t, () => {
    const v = Math.floor(i / cols) === i % cols ? 1 : 0;
    i++;
    return v;
  });
}

/**
 * Glorot uniform: U(−b, b) with b = gain·√(6 / (fanIn + fanOut)).
 * @example xavierUniform_(w, calculateGain('tanh'))
 */
export function xavierUniform_<T extends Tensor>(t: T, gain = 1, generator: Generator = defaultGenerator): T {
  V.tensorArg('xavierUniform_', 'tensor', t);
  V.num('xavierUniform_', 'gain', gain);
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, generator);
}

/** Glorot normal: N(0, std²) with std = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal_<T extends Tensor>(t: T, gain = 1, generator: Generator = defaultGenerator): T {
  V.tensorArg('xavierNormal_', 'tensor', t);
  V.num('xavierNormal_', 'gain', gain);
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), generator);
}

function kaimingStd(op: string, t: Tensor, options: KaimingOptions): number {
  V.tensorArg(op, 'tensor', t);
  const { a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu' } = V.options(op, options, ['a', 'mode', 'nonlinearity', 'generator']);
  V.num(op, 'a', a);
  const fanIn = mode === 'fan_in' || mode === 'fanIn';
  if (!fanIn && mode !== 'fan_out' && mode !== 'fanOut') throw new TypeError(`${op}: mode must be 'fan_in' or 'fan_out' (got ${JSON.stringify(mode)})`);
  const fans = calculateFanInAndFanOut(t);
  const fan = fanIn ? fans.fanIn : fans.fanOut;
  if (fan === 0) throw new RangeError(`${op}: cannot initialise a tensor with zero elements in its fan (shape ${fmtShape(t.shape)})`);
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

/**
 * He uniform: U(−b, b) with b = √3·gain/√fan (gain from `nonlinearity` and slope `a`); Linear and
 * Conv2d use it with a = √5, which gives b = 1/√fanIn.
 * @example kaimingUniform_(w, { nonlinearity: 'relu' })
 */
export function kaimingUniform_<T extends Tensor>(t: T, options: KaimingOptions = {}): T {
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform_', t, options);
  return uniform_(t, -bound, bound, options.generator ?? defaultGenerator);
}

/** He normal: N(0, std²) with std = gain/√fan. */
export function kaimingNormal_<T extends Tensor>(t: T, options: KaimingOptions = {}): T {
  return normal_(t, 0, kaimingStd('kaimingNormal_', t, options), options.generator ?? defaultGenerator);
}
