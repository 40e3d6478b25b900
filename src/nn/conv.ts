/**
 * Convolution and pooling layers: Conv2d holds a weight and bias initialised as PyTorch's are; the
 * pools hold only their window settings. Each forwards to the op in ops/conv.ts.
 */
import { Tensor } from '../tensor.js';
import type { AvgPool2dOptions, Conv2dOptions, MaxPool2dOptions, Size2d } from '../ops/conv.js';
import { AVG_POOL_KEYS, adaptiveAvgPool2d, avgPool2d, conv2d, MAX_POOL_KEYS, maxPool2d, pair } from '../ops/conv.js';
import { pad } from '../ops/rearrange.js';
import * as init from './init.js';
import { emptyParameter, type FactoryOptions } from './layers.js';
import { Module, Parameter } from './module.js';
import * as V from '../validate.js';

/** Options of the Conv2d layer: conv2d's, plus whether to learn a bias and where the parameters live. */
export interface Conv2dLayerOptions extends Conv2dOptions, FactoryOptions {
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** What the padding holds: zeros (default), or the input reflected, replicated at its edge, or wrapped around (PyTorch's padding_mode). */
  paddingMode?: PaddingMode;
}

/** PyTorch's padding_mode values of Conv2d. */
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';
const PADDING_MODES: readonly PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

const fmtPair = ([a, b]: [number, number]) => `[${a}, ${b}]`;

/**
 * 2-D convolution layer: weight [outChannels, inChannels / groups, kH, kW] and bias [outChannels],
 * both U(−1/√fanIn, 1/√fanIn) with fanIn = inChannels / groups · kH · kW, as in PyTorch
 * (kaiming_uniform_ with a = √5 for the weight).
 * @example const conv = new Conv2d(1, 16, 3, { padding: 1 }); conv.forward(randn([64, 1, 8, 8])) // [64, 16, 8, 8]
 */
export class Conv2d extends Module {
  /** Channels of the input (PyTorch's in_channels). */
  readonly inChannels: number;
  /** Channels of the output (PyTorch's out_channels). */
  readonly outChannels: number;
  /** Kernel height and width (PyTorch's kernel_size). */
  readonly kernelSize: [number, number];
  /** Step of the kernel over height and width. */
  readonly stride: [number, number];
  /** Padding added on each side of height and width. */
  readonly padding: [number, number] | 'same' | 'valid';
  /** What the padding holds: zeros, or the input reflected, replicated or wrapped around. */
  readonly paddingMode: PaddingMode;
  /** Spacing between kernel elements over height and width. */
  readonly dilation: [number, number];
  /** Blocked connections: input and output channels are split into this many groups. */
  readonly groups: number;
  /** Learnable kernel, shape (outChannels, inChannels / groups, kH, kW). */
  weight: Parameter;
  /** Learnable per-output-channel bias, shape (outChannels), or null with `bias: false`. */
  bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2d, options: Conv2dLayerOptions = {}) {
    super();
    V.options('Conv2d', options, ['device', 'dtype', 'bias', 'stride', 'padding', 'dilation', 'groups', 'paddingMode']);
    const { groups = 1 } = options;
    for (const [arg, n] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
      ['groups', groups],
    ] as const) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`Conv2d: ${arg} must be a positive integer (got ${n})`);
    }
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new RangeError(`Conv2d: groups (${groups}) must divide both inChannels (${inChannels}) and outChannels (${outChannels})`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair('Conv2d', 'kernelSize', kernelSize, 1);
    this.stride = pair('Conv2d', 'stride', options.stride ?? 1, 1);
    const padding = options.padding ?? 0;
    this.padding = padding === 'same' || padding === 'valid' ? padding : pair('Conv2d', 'padding', padding, 0);
    this.dilation = pair('Conv2d', 'dilation', options.dilation ?? 1, 1);
    this.groups = groups;
    this.paddingMode = options.paddingMode ?? 'zeros';
    if (!PADDING_MODES.includes(this.paddingMode))
      throw new TypeError(`Conv2d: paddingMode must be one of ${PADDING_MODES.map((m) => `'${m}'`).join(', ')} (got ${JSON.stringify(this.paddingMode)})`);
    this.weight = emptyParameter([outChannels, inChannels / groups, ...this.kernelSize], options);
    this.bias = options.bias === false ? null : emptyParameter([outChannels], options);
    this.resetParameters();
  }

  /** Draws fresh initial values, as the constructor does. */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const { fanIn } = init.calculateFanInAndFanOut(this.weight);
      const bound = 1 / Math.sqrt(fanIn);
      init.uniform_(this.bias, -bound, bound);
    }
  }

  forward(input: Tensor): Tensor {
    const { stride, padding, dilation, groups } = this;
    if (this.paddingMode === 'zeros' || padding === 'valid') return conv2d(input, this.weight, this.bias, { stride, padding, dilation, groups });
    // As PyTorch: pad with the mode first, then convolve with no padding. 'same' puts the odd one
    // of an odd total padding after (bottom, right).
    const sides = (d: number): [number, number] => {
      if (padding !== 'same') return [padding[d], padding[d]];
      const total = dilation[d] * (this.kernelSize[d] - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    };
    const [[top, bottom], [left, right]] = [sides(0), sides(1)];
    return conv2d(pad(input, [left, right, top, bottom], { mode: this.paddingMode }), this.weight, this.bias, { stride, padding: 0, dilation, groups });
  }

  override extraRepr(): string {
    const padding = typeof this.padding === 'string' ? `'${this.padding}'` : fmtPair(this.padding);
    let s = `${this.inChannels}, ${this.outChannels}, kernelSize=${fmtPair(this.kernelSize)}, stride=${fmtPair(this.stride)}, padding=${padding}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) s += `, dilation=${fmtPair(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=false';
    if (this.paddingMode !== 'zeros') s += `, paddingMode='${this.paddingMode}'`;
    return s;
  }
}

/**
 * Max pooling layer: the max of each kernelSize window (stride defaults to kernelSize).
 * @example new MaxPool2d(2).forward(randn([8, 16, 28, 28])) // [8, 16, 14, 14]
 */
export class MaxPool2d extends Module {
  /** The pooling options: kernelSize, stride, padding, dilation, ceilMode (PyTorch's attributes of the same names). */
  readonly options: MaxPool2dOptions;

  constructor(kernelSize: Size2d, options: Omit<MaxPool2dOptions, 'kernelSize'> = {}) {
    super();
    pair('MaxPool2d', 'kernelSize', kernelSize, 1);
    this.options = { ...V.options('MaxPool2d', options, MAX_POOL_KEYS.slice(1)), kernelSize };
  }

  forward(input: Tensor): Tensor {
    return maxPool2d(input, this.options);
  }

  override extraRepr(): string {
    const { kernelSize, stride, padding = 0, dilation = 1, ceilMode = false } = this.options;
    return `kernelSize=${JSON.stringify(kernelSize)}, stride=${JSON.stringify(stride ?? kernelSize)}, padding=${JSON.stringify(padding)}, dilation=${JSON.stringify(dilation)}, ceilMode=${ceilMode}`;
  }
}

/**
 * Average pooling layer: the mean of each kernelSize window (stride defaults to kernelSize; padding
 * zeros count in the divisor unless countIncludePad is false).
 * @example new AvgPool2d(3, { stride: 2, padding: 1 }).forward(randn([8, 16, 28, 28])) // [8, 16, 14, 14]
 */
export class AvgPool2d extends Module {
  /** The pooling options: kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride (PyTorch's attributes of the same names). */
  readonly options: AvgPool2dOptions;

  constructor(kernelSize: Size2d, options: Omit<AvgPool2dOptions, 'kernelSize'> = {}) {
    super();
    pair('AvgPool2d', 'kernelSize', kernelSize, 1);
    this.options = { ...V.options('AvgPool2d', options, AVG_POOL_KEYS.slice(1)), kernelSize };
  }

  forward(input: Tensor): Tensor {
    return avgPool2d(input, this.options);
  }

  override extraRepr(): string {
    const { kernelSize, stride, padding = 0, ceilMode = false, countIncludePad = true } = this.options;
    return `kernelSize=${JSON.stringify(kernelSize)}, stride=${JSON.stringify(stride ?? kernelSize)}, padding=${JSON.stringify(padding)}, ceilMode=${ceilMode}, countIncludePad=${countIncludePad}`;
  }
}

/**
 * Adaptive average pooling layer: averages into a fixed outputSize whatever the input's H×W
 * (null keeps that input size); outputSize 1 is global average pooling.
 * @example new AdaptiveAvgPool2d(1).forward(randn([8, 64, 7, 7])) // [8, 64, 1, 1]
 */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | [number | null, number | null]) {
    super();
  }

  forward(input: Tensor): Tensor {
    return adaptiveAvgPool2d(input, this.outputSize);
  }

  override extraRepr(): string {
    return `outputSize=${JSON.stringify(this.outputSize)}`;
  }
}
