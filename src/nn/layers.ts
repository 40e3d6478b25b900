/**
 * The standard layers. Each keeps its parameters as fields (registered by assignment), initialises
 * them the way PyTorch does from the global generator, and forwards to nn.functional.
 */
import { composite } from '../autograd/composite.js';
import { noGrad } from '../autograd/grad-mode.js';
import { ones, zeros } from '../creation.js';
import { getDefaultDevice } from '../device.js';
import type { Device, DType } from '../dtype.js';
import { intermediateConsumed } from '../memory.js';
import { fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import * as V from '../validate.js';
import * as F from './functional.js';
import { checkNumber, hardtanhBounds, relu6Options } from './activation.js';
import * as init from './init.js';
import { Module, Parameter } from './module.js';

/** Where a layer creates its parameters. */
export interface FactoryOptions {
  device?: Device;
  dtype?: DType;
}

/** @internal An uninitialised Parameter of `shape`, for an initialiser to fill. */
export function emptyParameter(shape: number[], { device, dtype = 'float32' }: FactoryOptions): Parameter {
  if (device !== undefined) V.device('Module', device);
  V.dtype('Module', dtype);
  return composite('emptyParameter', () => new Parameter(Tensor.empty(shape, dtype, device ?? getDefaultDevice())));
}

/**
 * Applies layers in order, each to the previous one's output; children are named 0, 1, 2, …
 * @example const mlp = new Sequential(new Linear(784, 128), new ReLU(), new Linear(128, 10));
 */
export class Sequential extends Module {
  constructor(...layers: Module[]) {
    super();
    layers.forEach((m, i) => this.append(m, i));
  }

  /** Adds a layer at the end; returns this. */
  append(layer: Module, index = this.length): this {
    if (!(layer instanceof Module)) throw new TypeError(`Sequential: layer ${index} is not a Module`);
    Object.defineProperty(this, String(index), { value: layer, enumerable: true, writable: true, configurable: true });
    return this;
  }

  /** The number of layers. */
  override get length(): number {
    return this.children().length;
  }

  /** The layer at index i (negative counts from the end). */
  at(i: number): Module {
    const layers = this.children();
    const layer = layers.at(i);
    if (!layer) throw new RangeError(`Sequential.at: index ${i} is out of range for ${layers.length} layers`);
    return layer;
  }

  /** Iterates the child modules in order (PyTorch: `for m in seq`). */
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }

  /** Runs the layers in order; an intermediate output no graph holds is freed once consumed. */
  forward(input: Tensor): Tensor {
    let x = input;
    for (const layer of this.children()) {
      const next = layer(x);
      if (x !== input) intermediateConsumed(x, next);
      x = next;
    }
    return x;
  }
}

/** Returns its input unchanged (a placeholder layer). */
export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}

/** Options of `Linear`. */
export interface LinearOptions extends FactoryOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/**
 * y = x·Wᵀ + b. weight [out, in] and bias [out] start as U(−1/√in, 1/√in), as in PyTorch
 * (kaiming_uniform_ with a = √5 for the weight).
 * @example const fc = new Linear(4, 2); fc.forward(randn([8, 4])) // [8, 2]
 */
export class Linear extends Module {
  /** Size of each input sample (PyTorch's in_features). */
  readonly inFeatures: number;
  /** Size of each output sample (PyTorch's out_features). */
  readonly outFeatures: number;
  /** Learnable weight, shape (outFeatures, inFeatures), as PyTorch stores it. */
  weight: Parameter;
  /** Learnable bias, shape (outFeatures), or null with `bias: false`. */
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    V.options('Linear', options, ['device', 'dtype', 'bias']);
    checkSize('Linear', 'inFeatures', inFeatures);
    checkSize('Linear', 'outFeatures', outFeatures);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = emptyParameter([outFeatures, inFeatures], options);
    this.bias = options.bias === false ? null : emptyParameter([outFeatures], options);
    this.resetParameters();
  }

  /** Draws fresh initial values, as the constructor does. */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const bound = this.inFeatures > 0 ? 1 / Math.sqrt(this.inFeatures) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }

  forward(input: Tensor): Tensor {
    return F.linear(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

function checkSize(op: string, arg: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${op}: ${arg} must be a non-negative integer (got ${n})`);
}

/**
 * Flattens dims startDim…endDim into one (by default all but the batch dim).
 * @example new Flatten().forward(zeros([8, 1, 28, 28])) // [8, 784]
 */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/**
 * In training, zeroes each element with probability p and scales the rest by 1/(1−p); in eval,
 * the identity.
 * @example const drop = new Dropout(0.2);
 */
export class Dropout extends Module {
  /** Probability of zeroing an element in training mode. */
  readonly p: number;

  constructor(p = 0.5) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`Dropout: probability p must be between 0 and 1 (got ${p})`);
    this.p = p;
  }

  forward(input: Tensor): Tensor {
    return F.dropout(input, this.p, this.training);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/**
 * Upsamples (or downsamples) [N, C, L] or [N, C, H, W] to `size` or by `scaleFactor` with
 * F.interpolate, as torch.nn.Upsample (mode 'nearest' by default).
 * @example new Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: false }).forward(zeros([1, 3, 8, 8])) // [1, 3, 16, 16]
 */
export class Upsample extends Module {
  /** The interpolation options: size or scaleFactor, mode, alignCorners. */
  readonly options: Readonly<F.InterpolateOptions>;

  constructor(options: F.InterpolateOptions) {
    super();
    options = V.options('Upsample', options, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor']);
    if ((options.size === undefined) === (options.scaleFactor === undefined)) throw new TypeError('Upsample: pass exactly one of size and scaleFactor');
    this.options = { ...options };
  }

  forward(input: Tensor): Tensor {
    return F.interpolate(input, this.options);
  }

  override extraRepr(): string {
    const { size, scaleFactor, mode = 'nearest', alignCorners } = this.options;
    const what = size !== undefined ? `size=${JSON.stringify(size)}` : `scaleFactor=${JSON.stringify(scaleFactor)}`;
    return `${what}, mode='${mode}'${alignCorners !== undefined ? `, alignCorners=${alignCorners}` : ''}`;
  }
}

/** Options of `Embedding`. */
export interface EmbeddingOptions extends FactoryOptions {
  /** This index's row starts at zero and receives no gradient. */
  paddingIdx?: number | null;
}

/**
 * A lookup table: int32 indices [...] → rows of weight [numEmbeddings, embeddingDim], N(0, 1) at
 * the start.
 * @example new Embedding(10, 3).forward(tensor([1, 2, 4], { dtype: 'int32' })) // [3, 3]
 */
export class Embedding extends Module {
  /** Size of the dictionary (PyTorch's num_embeddings). */
  readonly numEmbeddings: number;
  /** Size of each embedding vector (PyTorch's embedding_dim). */
  readonly embeddingDim: number;
  /** Index whose row gets no gradient (PyTorch's padding_idx), or null. */
  readonly paddingIdx: number | null;
  /** Learnable table, shape (numEmbeddings, embeddingDim). */
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    V.options('Embedding', options, ['device', 'dtype', 'paddingIdx']);
    checkSize('Embedding', 'numEmbeddings', numEmbeddings);
    checkSize('Embedding', 'embeddingDim', embeddingDim);
    const pad = options.paddingIdx ?? null;
    if (pad !== null && (!Number.isInteger(pad) || pad >= numEmbeddings || pad < -numEmbeddings)) {
      throw new RangeError(`Embedding: paddingIdx must be within numEmbeddings ${numEmbeddings} (got ${pad})`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = pad === null ? null : pad < 0 ? pad + numEmbeddings : pad;
    this.weight = emptyParameter([numEmbeddings, embeddingDim], options);
    this.resetParameters();
  }

  /** Draws fresh N(0, 1) rows and zeroes the padding row. */
  resetParameters(): void {
    init.normal_(this.weight);
    const pad = this.paddingIdx;
    if (pad !== null) composite('Embedding.resetParameters', () => noGrad(() => void this.weight.select(0, pad).fill_(0)));
  }

  forward(input: Tensor): Tensor {
    return F.embedding(input, this.weight, this.paddingIdx);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}`;
  }
}

/** Options of `LayerNorm`. */
export interface LayerNormOptions extends FactoryOptions {
  eps?: number;
  /** Learn a per-element scale (ones) and shift (zeros). Default true. */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, learn the shift too. Default true. */
  bias?: boolean;
}

/**
 * Normalises over the trailing normalizedShape dims: (x − E[x]) / √(Var[x] + eps) · weight + bias.
 * @example new LayerNorm(64).forward(randn([8, 10, 64]))
 */
export class LayerNorm extends Module {
  /** The trailing dims normalized over (PyTorch's normalized_shape). */
  readonly normalizedShape: number[];
  /** Added to the variance for numerical stability. */
  readonly eps: number;
  /** Learnable per-element scale of normalizedShape (gamma), or null without elementwiseAffine. */
  weight: Parameter | null = null;
  /** Learnable per-element shift of normalizedShape (beta), or null. */
  bias: Parameter | null = null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    V.options('LayerNorm', options, ['device', 'dtype', 'eps', 'elementwiseAffine', 'bias']);
    this.normalizedShape = V.shapeOrInt('LayerNorm', normalizedShape, 'normalizedShape');
    this.eps = options.eps ?? 1e-5;
    if (options.elementwiseAffine !== false) {
      this.weight = init.ones_(emptyParameter(this.normalizedShape, options));
      if (options.bias !== false) this.bias = init.zeros_(emptyParameter(this.normalizedShape, options));
    }
  }

  forward(input: Tensor): Tensor {
    return F.layerNorm(input, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${fmtShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.weight !== null}`;
  }
}

/** Options of `GroupNorm`. */
export interface GroupNormOptions extends FactoryOptions {
  eps?: number;
  /** Learn a per-channel scale (ones) and shift (zeros). Default true. */
  affine?: boolean;
}

/**
 * Group normalisation of [N, C, ...]: the C channels split into numGroups groups, each normalised
 * by its own mean and biased variance, then a per-channel weight and bias (keys `weight`, `bias`).
 * @example new nn.GroupNorm(4, 32).forward(randn([8, 32, 5, 5]))
 */
export class GroupNorm extends Module {
  /** Groups the channels are split into (PyTorch's num_groups). */
  readonly numGroups: number;
  /** Channels expected in the input (PyTorch's num_channels). */
  readonly numChannels: number;
  /** Added to the variance for numerical stability. */
  readonly eps: number;
  /** Learnable per-channel scale, or null without affine. */
  weight: Parameter | null = null;
  /** Learnable per-channel shift, or null without affine. */
  bias: Parameter | null = null;

  constructor(numGroups: number, numChannels: number, options: GroupNormOptions = {}) {
    super();
    V.options('GroupNorm', options, ['device', 'dtype', 'eps', 'affine']);
    checkSize('GroupNorm', 'numGroups', numGroups);
    checkSize('GroupNorm', 'numChannels', numChannels);
    if (numGroups === 0 || numChannels % numGroups !== 0)
      throw new RangeError(`GroupNorm: numChannels ${numChannels} must be divisible by numGroups ${numGroups}`);
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = options.eps ?? 1e-5;
    if (options.affine !== false) {
      this.weight = init.ones_(emptyParameter([numChannels], options));
      this.bias = init.zeros_(emptyParameter([numChannels], options));
    }
  }

  forward(input: Tensor): Tensor {
    if (input instanceof Tensor && input.ndim >= 2 && input.shape[1] !== this.numChannels) {
      throw new RangeError(`GroupNorm: expected ${this.numChannels} channels in dim 1 of the input (got shape ${fmtShape(input.shape)})`);
    }
    return F.groupNorm(input, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.weight !== null}`;
  }
}

/** Options of `RMSNorm`. */
export interface RMSNormOptions extends FactoryOptions {
  /** Added to the mean square; null (default) uses the dtype's machine epsilon, as PyTorch. */
  eps?: number | null;
  /** Learn a per-element scale (ones). Default true. */
  elementwiseAffine?: boolean;
}

/**
 * Root-mean-square normalisation over the trailing normalizedShape dims: x / √(mean(x²) + eps) ·
 * weight (key `weight`), as torch.nn.RMSNorm.
 * @example new nn.RMSNorm(64).forward(randn([8, 10, 64]))
 */
export class RMSNorm extends Module {
  /** The trailing dims normalized over (PyTorch's normalized_shape). */
  readonly normalizedShape: number[];
  /** Added to the mean square for numerical stability. */
  readonly eps: number | null;
  /** Learnable per-element scale of normalizedShape, or null without elementwiseAffine. */
  weight: Parameter | null = null;

  constructor(normalizedShape: number | readonly number[], options: RMSNormOptions = {}) {
    super();
    V.options('RMSNorm', options, ['device', 'dtype', 'eps', 'elementwiseAffine']);
    this.normalizedShape = V.shapeOrInt('RMSNorm', normalizedShape, 'normalizedShape');
    this.eps = options.eps ?? null;
    if (options.elementwiseAffine !== false) this.weight = init.ones_(emptyParameter(this.normalizedShape, options));
  }

  forward(input: Tensor): Tensor {
    return F.rmsNorm(input, this.normalizedShape, this.weight, this.eps);
  }

  override extraRepr(): string {
    return `${fmtShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.weight !== null}`;
  }
}

/** Options of `BatchNorm1d` / `BatchNorm2d`. */
export interface BatchNormOptions extends FactoryOptions {
  eps?: number;
  /** Weight of each new batch in the running statistics (default 0.1); null for a cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel scale (ones) and shift (zeros). Default true. */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true); otherwise always use the batch's. */
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation over channel dim 1. Training normalises by the batch mean and biased
 * variance and updates runningMean / runningVar (with the unbiased variance) by `momentum`; eval
 * normalises by the running statistics.
 */
abstract class BatchNorm extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  weight: Parameter | null = null;
  bias: Parameter | null = null;
  declare readonly runningMean: Tensor | null;
  declare readonly runningVar: Tensor | null;
  declare readonly numBatchesTracked: Tensor | null;

  constructor(numFeatures: number, options: BatchNormOptions) {
    super();
    V.options(this.constructor.name, options, ['device', 'dtype', 'eps', 'momentum', 'affine', 'trackRunningStats']);
    checkSize(this.constructor.name, 'numFeatures', numFeatures);
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    if (options.affine !== false) {
      this.weight = init.ones_(emptyParameter([numFeatures], options));
      this.bias = init.zeros_(emptyParameter([numFeatures], options));
    }
    const track = options.trackRunningStats !== false;
    const where = { device: options.device, dtype: options.dtype };
    this.registerBuffer('runningMean', track ? zeros([numFeatures], where) : null);
    this.registerBuffer('runningVar', track ? ones([numFeatures], where) : null);
    this.registerBuffer('numBatchesTracked', track ? zeros([], { device: options.device, dtype: 'int32' }) : null);
  }

  /** Throws unless the input has the dims this layer expects. */
  protected abstract checkInput(input: Tensor): void;

  /** Resets the running statistics to mean 0, variance 1, no batches seen. */
  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.fill_(0);
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.fill_(0);
    });
  }

  forward(input: Tensor): Tensor {
    this.checkInput(input);
    if (input.shape[1] !== this.numFeatures) {
      throw new RangeError(`${this.constructor.name}: expected ${this.numFeatures} channels in dim 1 (got input ${fmtShape(input.shape)})`);
    }
    let numBatchesTracked = 1;
    if (this.training && this.numBatchesTracked) {
      const counter = this.numBatchesTracked;
      noGrad(() => counter.add_(1));
      // NOTE: momentum null means a cumulative average, whose factor is 1 / batches seen.
      if (this.momentum === null) numBatchesTracked = counter.item();
    }
    return F.batchNorm(input, this.runningMean, this.runningVar, {
      weight: this.weight,
      bias: this.bias,
      training: this.training || this.runningMean === null,
      momentum: this.momentum,
      eps: this.eps,
      numBatchesTracked,
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}, trackRunningStats=${this.runningMean !== null}`;
  }
}

/**
 * BatchNorm over [N, C] or [N, C, L] input.
 * @example new BatchNorm1d(16).forward(randn([32, 16]))
 */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options);
  }

  protected checkInput(input: Tensor): void {
    if (input.ndim !== 2 && input.ndim !== 3) throw new RangeError(`BatchNorm1d: expected 2-D or 3-D input [N, C] or [N, C, L] (got ${fmtShape(input.shape)})`);
  }
}

/**
 * BatchNorm over [N, C, H, W] input.
 * @example new BatchNorm2d(8).forward(randn([4, 8, 5, 5]))
 */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options);
  }

  protected checkInput(input: Tensor): void {
    if (input.ndim !== 4) throw new RangeError(`BatchNorm2d: expected 4-D input [N, C, H, W] (got ${fmtShape(input.shape)})`);
  }
}

/** max(x, 0) elementwise. */
export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return F.relu(input);
  }
}

/** x·Φ(x) elementwise: the exact erf form, or the tanh approximation with `{ approximate: 'tanh' }`. */
export class GELU extends Module {
  /** 'none' for the exact erf form, 'tanh' for the tanh approximation. */
  readonly approximate: 'none' | 'tanh';
  constructor(options: F.GeluOptions = {}) {
    super();
    const { approximate = 'none' } = V.options('GELU', options, ['approximate']);
    this.approximate = V.oneOf('GELU', 'approximate', approximate, ['none', 'tanh'] as const);
  }
  forward(input: Tensor): Tensor {
    return F.gelu(input, { approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** x where x > 0, else negativeSlope·x (default 0.01). @example new nn.LeakyReLU(0.2) */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
    checkNumber('LeakyReLU', 'negativeSlope', negativeSlope);
  }
  forward(input: Tensor): Tensor {
    return F.leakyRelu(input, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}

/** x·σ(x) elementwise. */
export class SiLU extends Module {
  forward(input: Tensor): Tensor {
    return F.silu(input);
  }
}

/** x where x > 0, else alpha·(eˣ − 1) (default alpha 1). */
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
    checkNumber('ELU', 'alpha', alpha);
  }
  forward(input: Tensor): Tensor {
    return F.elu(input, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/** log(1 + e^(βx))/β, linear above βx > threshold. @example new nn.Softplus({ beta: 2, threshold: 10 }) */
export class Softplus extends Module {
  /** Sharpness: softplus(x) = log(1 + exp(beta·x)) / beta. */
  readonly beta: number;
  /** Above beta·x > threshold the output is x, for numerical stability. */
  readonly threshold: number;
  constructor(options: F.SoftplusOptions = {}) {
    super();
    const { beta = 1, threshold = 20 } = V.options('Softplus', options, ['beta', 'threshold']);
    checkNumber('Softplus', 'beta', beta);
    checkNumber('Softplus', 'threshold', threshold);
    this.beta = beta;
    this.threshold = threshold;
  }
  forward(input: Tensor): Tensor {
    return F.softplus(input, { beta: this.beta, threshold: this.threshold });
  }
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

/** x·tanh(softplus(x)) elementwise. */
export class Mish extends Module {
  forward(input: Tensor): Tensor {
    return F.mish(input);
  }
}

/** x·relu6(x + 3)/6 elementwise. */
export class Hardswish extends Module {
  forward(input: Tensor): Tensor {
    return F.hardswish(input);
  }
}

/** x limited to [minVal, maxVal] (default [−1, 1]) elementwise. @example new nn.Hardtanh({ minVal: -2, maxVal: 2 }) */
export class Hardtanh extends Module {
  /** The lower bound. */
  readonly minVal: number;
  /** The upper bound. */
  readonly maxVal: number;
  constructor(options: F.HardtanhOptions = {}) {
    super();
    [this.minVal, this.maxVal] = hardtanhBounds('Hardtanh', options);
  }
  forward(input: Tensor): Tensor {
    return F.hardtanh(input, { minVal: this.minVal, maxVal: this.maxVal });
  }
  override extraRepr(): string {
    return `min_val=${this.minVal}, max_val=${this.maxVal}`;
  }
}

/** min(max(x, 0), 6) elementwise. @example new nn.ReLU6() */
export class ReLU6 extends Module {
  constructor(options: F.ReLU6Options = {}) {
    super();
    relu6Options('ReLU6', options);
  }
  forward(input: Tensor): Tensor {
    return F.relu6(input);
  }
}

/** 1 / (1 + e^−x) elementwise. */
export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return F.sigmoid(input);
  }
}

/** tanh elementwise. */
export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return F.tanh(input);
  }
}

/** Softmax along `dim`. @example new Softmax(1).forward(logits) */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new TypeError(`Softmax: dim must be an integer (got ${dim})`);
  }

  forward(input: Tensor): Tensor {
    return F.softmax(input, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** Log-softmax along `dim`. @example new LogSoftmax(1).forward(logits) */
export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new TypeError(`LogSoftmax: dim must be an integer (got ${dim})`);
  }

  forward(input: Tensor): Tensor {
    return F.logSoftmax(input, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
