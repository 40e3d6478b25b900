/**
 * Transformer layers with PyTorch's structure and keys (self_attn, multihead_attn, linear1,
 * linear2, norm1…3), post-norm or pre-norm (normFirst). Masks follow nn.MultiheadAttention:
 * bool true = masked out, float added.
 */
import { composite } from '../autograd/composite.js';
import { Tensor } from '../tensor.js';
import { MultiheadAttention } from './attention.js';
import { Dropout, LayerNorm, Linear, type FactoryOptions } from './layers.js';
import { Module } from './module.js';
import * as V from '../validate.js';

/** Options of the Transformer encoder and decoder layers. */
export interface TransformerLayerOptions extends FactoryOptions {
  /** Width of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** The feed-forward activation: 'relu' (default), 'gelu', or a function. */
  activation?: 'relu' | 'gelu' | ((x: Tensor) => Tensor);
  /** LayerNorm epsilon (default 1e-5). */
  layerNormEps?: number;
  /** [batch, seq, dModel] instead of [seq, batch, dModel] (default false). */
  batchFirst?: boolean;
  /** LayerNorm before each block (pre-norm) instead of after the residual (default false). */
  normFirst?: boolean;
  /** Biases in the linear layers, attention and norms (default true). */
  bias?: boolean;
}

/** Options of `TransformerEncoderLayer.forward` and `TransformerEncoder.forward`. */
export interface EncoderForwardOptions {
  srcMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention (builds the causal mask when srcMask is not given). */
  isCausal?: boolean;
}

/** Options of `TransformerDecoderLayer.forward` and `TransformerDecoder.forward`. */
export interface DecoderForwardOptions {
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  /** Causal self-attention over the target (builds the causal mask when tgtMask is not given). */
  tgtIsCausal?: boolean;
  memoryIsCausal?: boolean;
}

const ENCODER_FORWARD_KEYS = ['srcMask', 'srcKeyPaddingMask', 'isCausal'] as const;

/** Options of `TransformerEncoder.forward`: the layer's, with the attention mask also under PyTorch's name for the stack. */
export interface EncoderStackForwardOptions extends EncoderForwardOptions {
  /** The attention mask, as PyTorch's TransformerEncoder.forward names it (`srcMask` is the same). */
  mask?: Tensor | null;
}
const DECODER_FORWARD_KEYS = ['tgtMask', 'memoryMask', 'tgtKeyPaddingMask', 'memoryKeyPaddingMask', 'tgtIsCausal', 'memoryIsCausal'] as const;

function activationOf(op: string, a: TransformerLayerOptions['activation']): (x: Tensor) => Tensor {
  if (a === undefined || a === 'relu') return (x) => x.relu();
  if (a === 'gelu') return (x) => x.gelu();
  if (typeof a === 'function') return a;
  throw new RangeError(`${op}: activation must be 'relu', 'gelu' or a function (got '${String(a)}')`);
}

/** The parts both layer kinds share: the feed-forward block and the settings. */
abstract class TransformerLayerBase<Args extends unknown[]> extends Module<Args, Tensor> {
  readonly dModel: number;
  readonly nhead: number;
  readonly options: TransformerLayerOptions;
  readonly normFirst: boolean;
  readonly activation: (x: Tensor) => Tensor;

  constructor(op: string, dModel: number, nhead: number, options: TransformerLayerOptions) {
    super();
    V.options(op, options, ['dimFeedforward', 'dropout', 'activation', 'layerNormEps', 'batchFirst', 'normFirst', 'bias', 'device', 'dtype']);
    this.dModel = dModel;
    this.nhead = nhead;
    this.options = { ...options };
    for (const key of ['batchFirst', 'normFirst', 'bias'] as const) if (options[key] !== undefined) V.bool(op, key, options[key]);
    if (options.dimFeedforward !== undefined) V.int(op, 'dimFeedforward', options.dimFeedforward, { min: 1 });
    this.normFirst = options.normFirst === true;
    this.activation = activationOf(op, options.activation);
  }

  protected attention(dModel: number, nhead: number): MultiheadAttention {
    const { dropout = 0.1, bias = true, batchFirst = false, device, dtype } = this.options;
    return new MultiheadAttention(dModel, nhead, { dropout, bias, batchFirst, device, dtype });
  }

  protected norm(): LayerNorm {
    const { layerNormEps = 1e-5, bias = true, device, dtype } = this.options;
    return new LayerNorm(this.dModel, { eps: layerNormEps, bias, device, dtype });
  }

  protected linear(inF: number, outF: number): Linear {
    const { bias = true, device, dtype } = this.options;
    return new Linear(inF, outF, { bias, device, dtype });
  }
}

/**
 * Self-attention then a feed-forward block, each with a residual and LayerNorm (PyTorch's
 * nn.TransformerEncoderLayer): `layer(src, { srcMask, srcKeyPaddingMask, isCausal })`.
 * @example const layer = new nn.TransformerEncoderLayer(128, 4, { dimFeedforward: 512, batchFirst: true, normFirst: true });
 */
export class TransformerEncoderLayer extends TransformerLayerBase<[Tensor, EncoderForwardOptions?]> {
  /** The self-attention block (PyTorch's self_attn). */
  selfAttn: MultiheadAttention;
  /** Feed-forward expansion Linear(dModel, dimFeedforward). */
  linear1: Linear;
  /** Dropout inside the feed-forward block. */
  dropout: Dropout;
  /** Feed-forward projection Linear(dimFeedforward, dModel). */
  linear2: Linear;
  /** LayerNorm around the self-attention block. */
  norm1: LayerNorm;
  /** LayerNorm around the feed-forward block. */
  norm2: LayerNorm;
  /** Dropout on the self-attention output. */
  dropout1: Dropout;
  /** Dropout on the feed-forward output. */
  dropout2: Dropout;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super('TransformerEncoderLayer', dModel, nhead, options);
    const { dimFeedforward = 2048, dropout = 0.1 } = this.options;
    this.selfAttn = this.attention(dModel, nhead);
    this.linear1 = this.linear(dModel, dimFeedforward);
    this.dropout = new Dropout(dropout);
    this.linear2 = this.linear(dimFeedforward, dModel);
    this.norm1 = this.norm();
    this.norm2 = this.norm();
    this.dropout1 = new Dropout(dropout);
    this.dropout2 = new Dropout(dropout);
  }

  forward(src: Tensor, options: EncoderForwardOptions = {}): Tensor {
    const { srcMask = null, srcKeyPaddingMask = null, isCausal = false } = V.options('TransformerEncoderLayer.forward', options, ENCODER_FORWARD_KEYS);
    return composite('TransformerEncoderLayer', () => {
      const sa = (x: Tensor) =>
        this.dropout1(this.selfAttn(x, x, x, { attnMask: srcMask, keyPaddingMask: srcKeyPaddingMask, needWeights: false, isCausal })[0]);
      const ff = (x: Tensor) => this.dropout2(this.linear2(this.dropout(this.activation(this.linear1(x)))));
      if (this.normFirst) {
        const x = src.add(sa(this.norm1(src)));
        return x.add(ff(this.norm2(x)));
      }
      const x = this.norm1(src.add(sa(src)));
      return this.norm2(x.add(ff(x)));
    });
  }
}

/**
 * Self-attention, attention over the encoder's memory, then a feed-forward block (PyTorch's
 * nn.TransformerDecoderLayer): `layer(tgt, memory, { tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal })`.
 * @example const layer = new nn.TransformerDecoderLayer(64, 4, { batchFirst: true });
 */
export class TransformerDecoderLayer extends TransformerLayerBase<[Tensor, Tensor, DecoderForwardOptions?]> {
  /** The self-attention block over the target (PyTorch's self_attn). */
  selfAttn: MultiheadAttention;
  /** The cross-attention block over the encoder memory (PyTorch's multihead_attn). */
  multiheadAttn: MultiheadAttention;
  /** Feed-forward expansion Linear(dModel, dimFeedforward). */
  linear1: Linear;
  /** Dropout inside the feed-forward block. */
  dropout: Dropout;
  /** Feed-forward projection Linear(dimFeedforward, dModel). */
  linear2: Linear;
  /** LayerNorm around the self-attention block. */
  norm1: LayerNorm;
  /** LayerNorm around the cross-attention block. */
  norm2: LayerNorm;
  /** LayerNorm around the feed-forward block. */
  norm3: LayerNorm;
  /** Dropout on the self-attention output. */
  dropout1: Dropout;
  /** Dropout on the cross-attention output. */
  dropout2: Dropout;
  /** Dropout on the feed-forward output. */
  dropout3: Dropout;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super('TransformerDecoderLayer', dModel, nhead, options);
    const { dimFeedforward = 2048, dropout = 0.1 } = this.options;
    this.selfAttn = this.attention(dModel, nhead);
    this.multiheadAttn = this.attention(dModel, nhead);
    this.linear1 = this.linear(dModel, dimFeedforward);
    this.dropout = new Dropout(dropout);
    this.linear2 = this.linear(dimFeedforward, dModel);
    this.norm1 = this.norm();
    this.norm2 = this.norm();
    this.norm3 = this.norm();
    this.dropout1 = new Dropout(dropout);
    this.dropout2 = new Dropout(dropout);
    this.dropout3 = new Dropout(dropout);
  }

  forward(tgt: Tensor, memory: Tensor, options: DecoderForwardOptions = {}): Tensor {
    const o = V.options('TransformerDecoderLayer.forward', options, DECODER_FORWARD_KEYS);
    return composite('TransformerDecoderLayer', () => {
      const sa = (x: Tensor) =>
        this.dropout1(this.selfAttn(x, x, x, { attnMask: o.tgtMask, keyPaddingMask: o.tgtKeyPaddingMask, needWeights: false, isCausal: o.tgtIsCausal })[0]);
      const mha = (x: Tensor) =>
        this.dropout2(
          this.multiheadAttn(x, memory, memory, {
            attnMask: o.memoryMask,
            keyPaddingMask: o.memoryKeyPaddingMask,
            needWeights: false,
            isCausal: o.memoryIsCausal,
          })[0],
        );
      const ff = (x: Tensor) => this.dropout3(this.linear2(this.dropout(this.activation(this.linear1(x)))));
      if (this.normFirst) {
        const x1 = tgt.add(sa(this.norm1(tgt)));
        const x2 = x1.add(mha(this.norm2(x1)));
        return x2.add(ff(this.norm3(x2)));
      }
      const x1 = this.norm1(tgt.add(sa(tgt)));
      const x2 = this.norm2(x1.add(mha(x1)));
      return this.norm3(x2.add(ff(x2)));
    });
  }
}

/** Options of `TransformerEncoder` and `TransformerDecoder`. */
export interface TransformerStackOptions {
  /** A final LayerNorm applied to the last layer's output. */
  norm?: LayerNorm | null;
}

/** numLayers independent copies of `layer` (same settings, same initial weights, as PyTorch's deepcopy). */
function copies<L extends TransformerEncoderLayer | TransformerDecoderLayer>(op: string, layer: L, numLayers: number): L[] {
  const kind = op === 'TransformerEncoder' ? TransformerEncoderLayer : TransformerDecoderLayer;
  if (!(layer instanceof kind)) {
    const got = layer instanceof Module ? `a ${layer.constructor.name}` : V.show(layer);
    throw new TypeError(`${op}: the first argument must be a Transformer layer, a ${kind.name} (got ${got})`);
  }
  if (!Number.isInteger(numLayers) || numLayers < 1) throw new RangeError(`${op}: numLayers must be a positive integer (got ${numLayers})`);
  const Ctor = layer.constructor as new (d: number, h: number, o: TransformerLayerOptions) => L;
  return Array.from({ length: numLayers }, () => {
    const copy = new Ctor(layer.dModel, layer.nhead, layer.options);
    copy.loadStateDict(layer.stateDict());
    return copy;
  });
}

/** The optional final norm of a stack: a Module (PyTorch takes any), null or absent. */
function stackNorm(op: string, options: TransformerStackOptions): LayerNorm | null {
  const { norm = null } = V.options(op, options, ['norm']);
  if (norm !== null && !(norm instanceof Module)) throw new TypeError(`${op}: norm must be a Module such as nn.LayerNorm, or null (got ${V.show(norm)})`);
  return norm;
}

/**
 * A stack of numLayers copies of an encoder layer, plus an optional final norm (keys
 * `layers.{i}.…`, `norm.…`): `encoder(src, { mask, srcKeyPaddingMask, isCausal })` (`mask` is PyTorch's
 * name here; the layer's `srcMask` is accepted too).
 * @example const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(64, 4), 2);
 */
export class TransformerEncoder extends Module<[Tensor, EncoderStackForwardOptions?], Tensor> {
  /** The stacked encoder layers, independent copies of the one given. */
  layers: TransformerEncoderLayer[];
  /** Final LayerNorm applied after the last layer, or null. */
  norm: LayerNorm | null;

  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, options: TransformerStackOptions = {}) {
    super();
    this.layers = copies('TransformerEncoder', encoderLayer, numLayers);
    this.norm = stackNorm('TransformerEncoder', options);
  }

  forward(src: Tensor, options: EncoderStackForwardOptions = {}): Tensor {
    const { mask, ...layerOptions } = V.options('TransformerEncoder.forward', options, [...ENCODER_FORWARD_KEYS, 'mask']);
    if (mask !== undefined) {
      if (layerOptions.srcMask !== undefined) throw new TypeError('TransformerEncoder.forward: give the attention mask as mask or as srcMask, not both');
      layerOptions.srcMask = mask;
    }
    return composite('TransformerEncoder', () => {
      let x = src;
      for (const layer of this.layers) x = layer(x, layerOptions);
      return this.norm ? this.norm(x) : x;
    });
  }
}

/**
 * A stack of numLayers copies of a decoder layer, plus an optional final norm:
 * `decoder(tgt, memory, { tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal })`.
 * @example const dec = new nn.TransformerDecoder(new nn.TransformerDecoderLayer(64, 4), 2);
 */
export class TransformerDecoder extends Module<[Tensor, Tensor, DecoderForwardOptions?], Tensor> {
  /** The stacked decoder layers, independent copies of the one given. */
  layers: TransformerDecoderLayer[];
  /** Final LayerNorm applied after the last layer, or null. */
  norm: LayerNorm | null;

  constructor(decoderLayer: TransformerDecoderLayer, numLayers: number, options: TransformerStackOptions = {}) {
    super();
    this.layers = copies('TransformerDecoder', decoderLayer, numLayers);
    this.norm = stackNorm('TransformerDecoder', options);
  }

  forward(tgt: Tensor, memory: Tensor, options: DecoderForwardOptions = {}): Tensor {
    V.options('TransformerDecoder.forward', options, DECODER_FORWARD_KEYS);
    return composite('TransformerDecoder', () => {
      let x = tgt;
      for (const layer of this.layers) x = layer(x, memory, options);
      return this.norm ? this.norm(x) : x;
    });
  }
}
