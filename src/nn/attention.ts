/**
 * Attention: F.scaledDotProductAttention and nn.MultiheadAttention with PyTorch's parameters,
 * keys, initialisation and mask conventions (SDPA's bool mask: true takes part; MHA's and the
 * Transformer layers' bool masks: true is masked out).
 */
import { composite } from '../autograd/composite.js';
import { tensor } from '../creation.js';
import { logicalNot, where } from '../ops/elementwise.js';
import { isFloat } from '../dtype.js';
import { broadcastShapes, fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import * as F from './functional.js';
import * as init from './init.js';
import { emptyParameter, Linear, type FactoryOptions } from './layers.js';
import { Module, Parameter } from './module.js';
import { canFuseAttention, canFuseMask, fusedAttention, fusedPackedSelfAttention } from './attention-fused.js';
import * as V from '../validate.js';

function checkFloat(op: string, arg: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${arg} must be a Tensor (got ${x === null ? 'null' : typeof x})`);
  x.check(op);
  if (!isFloat(x.dtype)) throw new TypeError(`${op}: ${arg} must be a float tensor (got ${x.dtype})`);
  return x;
}

/** A bool [L, S] tensor, true above the diagonal (the positions a causal mask hides). */
function aboveDiagonal(L: number, S: number, like: Tensor): Tensor {
  const data = new Int32Array(L * S);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) data[i * S + j] = 1;
  return tensor(data, { shape: [L, S], dtype: 'bool', device: like.device });
}

/** Options of `scaledDotProductAttention`. */
export interface SDPAOptions {
  /** Bool (true = takes part) or float (added to the scores), broadcast to [..., L, S]. */
  attnMask?: Tensor | null;
  /** Dropout on the attention weights (default 0; applied whenever > 0, as in PyTorch). */
  dropoutP?: number;
  /** Hide the positions above the diagonal (query i sees keys ≤ i); excludes attnMask. */
  isCausal?: boolean;
  /** Multiplies q·kᵀ (default 1/√E). */
  scale?: number | null;
}

/**
 * softmax(q·kᵀ·scale + mask)·v over the last two dims: query [..., L, E], key [..., S, E],
 * value [..., S, Ev] → [..., L, Ev] (leading dims broadcast). Without dropout and with q, k, v
 * sharing their leading dims it runs as one fused kernel each way (attention-fused.ts).
 * @example F.scaledDotProductAttention(q, k, v, { isCausal: true })
 */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, options: SDPAOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  const q = checkFloat(op, 'query', query),
    k = checkFloat(op, 'key', key),
    v = checkFloat(op, 'value', value);
  const { attnMask = null, dropoutP = 0, isCausal = false, scale = null } = V.options(op, options, ['attnMask', 'dropoutP', 'isCausal', 'scale']);
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2)
    throw new RangeError(`${op}: query, key and value need at least 2 dims (got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${fmtShape(v.shape)})`);
  const E = q.shape[q.ndim - 1],
    L = q.shape[q.ndim - 2],
    S = k.shape[k.ndim - 2];
  if (k.shape[k.ndim - 1] !== E) throw new RangeError(`${op}: key ${fmtShape(k.shape)} must end in query's embedding size ${E} (query ${fmtShape(q.shape)})`);
  if (v.shape[v.ndim - 2] !== S) throw new RangeError(`${op}: value ${fmtShape(v.shape)} must have key's sequence length ${S} (key ${fmtShape(k.shape)})`);
  if (typeof dropoutP !== 'number' || !(dropoutP >= 0 && dropoutP <= 1))
    throw new RangeError(`${op}: dropoutP must be a probability between 0 and 1 (got ${String(dropoutP)})`);
  if (scale !== null && (typeof scale !== 'number' || !Number.isFinite(scale)))
    throw new TypeError(`${op}: scale must be a finite number (got ${String(scale)})`);
  V.bool(op, 'isCausal', isCausal);
  if (isCausal && attnMask) throw new TypeError(`${op}: pass either attnMask or isCausal, not both`);
  const batchOf = (t: Tensor) => t.shape.slice(0, -2);
  const qkv = `query ${fmtShape(q.shape)}, key ${fmtShape(k.shape)} and value ${fmtShape(v.shape)}`;
  const scoreShape = [...broadcastShapes(`${op}: the batch dims of ${qkv}`, batchOf(q), batchOf(k), batchOf(v)), L, S];
  let mask: Tensor | null = null;
  if (attnMask !== null) {
    if (!(attnMask instanceof Tensor)) throw new TypeError(`${op}: attnMask must be a Tensor (got ${typeof attnMask})`);
    attnMask.check(op);
    if (attnMask.dtype !== 'bool' && !isFloat(attnMask.dtype)) throw new TypeError(`${op}: attnMask must be bool or float (got ${attnMask.dtype})`);
    const m = attnMask.shape;
    const fits = m.length <= scoreShape.length && m.every((n, i) => n === 1 || n === scoreShape[scoreShape.length - m.length + i]);
    if (!fits) throw new RangeError(`${op}: attnMask ${fmtShape(m)} does not broadcast to the scores ${fmtShape(scoreShape)} (${qkv})`);
    // PyTorch broadcasts a 0-D or 1-D mask over the rows; the kernels expect the last two dims.
    mask = m.length >= 2 ? attnMask : attnMask.reshape([1, m.length ? m[0] : 1]);
  }
  if (dropoutP === 0 && canFuseAttention(q, k, v, mask)) return fusedAttention(q, k, v, mask, isCausal, scale ?? 1 / Math.sqrt(E));
  return composite(op, () => {
    let scores = q.matmul(k.transpose(-2, -1)).mul(scale ?? 1 / Math.sqrt(E));
    if (isCausal) scores = scores.maskedFill(aboveDiagonal(L, S, q), -Infinity);
    else if (mask) scores = mask.dtype === 'bool' ? scores.maskedFill(logicalNot(mask), -Infinity) : scores.add(mask);
    let weights = scores.softmax(-1);
    if (dropoutP > 0) weights = F.dropout(weights, dropoutP, true);
    return weights.matmul(v);
  });
}

/** Options of `MultiheadAttention`. */
export interface MultiheadAttentionOptions extends FactoryOptions {
  /** Dropout on the attention weights in training (default 0). */
  dropout?: number;
  /** Learn in_proj_bias and out_proj.bias (default true). */
  bias?: boolean;
  /** Inputs and output are [batch, seq, embed] instead of [seq, batch, embed] (default false). */
  batchFirst?: boolean;
  /** Key features (default embedDim); different kdim/vdim use separate q/k/v_proj_weight. */
  kdim?: number;
  /** Value features (default embedDim). */
  vdim?: number;
}

/** Options of `MultiheadAttention.forward`. */
export interface MultiheadAttentionForwardOptions {
  /** [batch, S] (or [S] unbatched): bool true = ignore that key; float is added. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /** [L, S] or [batch·numHeads, L, S]: bool true = not allowed; float is added. */
  attnMask?: Tensor | null;
  /** Average the returned weights over heads (default true) or return them per head. */
  averageAttnWeights?: boolean;
  /** Causal attention; builds the causal mask when attnMask is not given (else attnMask is used). */
  isCausal?: boolean;
}

/** A float mask to add to the scores: bool true → −∞, float as is. */
function additiveMask(op: string, arg: string, m: Tensor): Tensor {
  // where() over scalars rather than a zeros tensor of the mask's shape: a traced export then reads no constant that follows the batch size.
  if (m.dtype === 'bool') return where(m, tensor(-Infinity, { device: m.device }), tensor(0, { device: m.device }));
  if (!isFloat(m.dtype)) throw new TypeError(`${op}: ${arg} must be bool or float (got ${m.dtype})`);
  return m;
}

/**
 * Multi-head attention, PyTorch's nn.MultiheadAttention: `mha(query, key, value, options?)` →
 * `[output, weights | null]`. Keys in_proj_weight [3E, E], in_proj_bias, out_proj.weight,
 * out_proj.bias (q/k/v_proj_weight when kdim or vdim differ from embedDim).
 * @example const mha = new nn.MultiheadAttention(64, 4, { batchFirst: true }); const [y] = mha(x, x, x, { needWeights: false });
 */
export class MultiheadAttention extends Module<[Tensor, Tensor, Tensor, MultiheadAttentionForwardOptions?], [Tensor, Tensor | null]> {
  /** Model width: query and output features (PyTorch's embed_dim). */
  readonly embedDim: number;
  /** Parallel attention heads; embedDim is split across them (PyTorch's num_heads). */
  readonly numHeads: number;
  /** Features per head, embedDim / numHeads (PyTorch's head_dim). */
  readonly headDim: number;
  /** Key features (defaults to embedDim). */
  readonly kdim: number;
  /** Value features (defaults to embedDim). */
  readonly vdim: number;
  /** Dropout probability on the attention weights in training mode. */
  readonly dropout: number;
  /** Inputs and outputs are (batch, seq, feature) rather than (seq, batch, feature) (PyTorch's batch_first). */
  readonly batchFirst: boolean;
  /** Packed q, k, v projection weight (3·embedDim, embedDim) when kdim = vdim = embedDim, else null. */
  in_proj_weight: Parameter | null = null;
  /** Query projection weight when kdim or vdim differ from embedDim, else null. */
  q_proj_weight: Parameter | null = null;
  /** Key projection weight (embedDim, kdim) when kdim or vdim differ from embedDim, else null. */
  k_proj_weight: Parameter | null = null;
  /** Value projection weight (embedDim, vdim) when kdim or vdim differ from embedDim, else null. */
  v_proj_weight: Parameter | null = null;
  /** Packed q, k, v projection bias (3·embedDim), or null with `bias: false`. */
  in_proj_bias: Parameter | null = null;
  /** Output projection Linear(embedDim, embedDim). */
  out_proj: Linear;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const op = 'MultiheadAttention';
    if (!Number.isInteger(embedDim) || embedDim < 1) throw new RangeError(`${op}: embedDim must be a positive integer (got ${embedDim})`);
    if (!Number.isInteger(numHeads) || numHeads < 1) throw new RangeError(`${op}: numHeads must be a positive integer (got ${numHeads})`);
    if (embedDim % numHeads !== 0) throw new RangeError(`${op}: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    const {
      dropout = 0,
      bias = true,
      batchFirst = false,
      kdim = embedDim,
      vdim = embedDim,
    } = V.options(op, options, ['dropout', 'bias', 'batchFirst', 'kdim', 'vdim', 'device', 'dtype']);
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1))
      throw new RangeError(`${op}: dropout must be a probability between 0 and 1 (got ${String(dropout)})`);
    V.bool(op, 'bias', bias);
    V.bool(op, 'batchFirst', batchFirst);
    for (const [arg, n] of [
      ['kdim', kdim],
      ['vdim', vdim],
    ] as const) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`${op}: ${arg} must be a positive integer (got ${n})`);
    }
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.kdim = kdim;
    this.vdim = vdim;
    this.dropout = dropout;
    this.batchFirst = batchFirst === true;
    if (kdim === embedDim && vdim === embedDim) {
      this.in_proj_weight = emptyParameter([3 * embedDim, embedDim], options);
    } else {
      this.q_proj_weight = emptyParameter([embedDim, embedDim], options);
      this.k_proj_weight = emptyParameter([embedDim, kdim], options);
      this.v_proj_weight = emptyParameter([embedDim, vdim], options);
    }
    if (bias !== false) this.in_proj_bias = emptyParameter([3 * embedDim], options);
    this.out_proj = new Linear(embedDim, embedDim, { device: options.device, dtype: options.dtype, bias: bias !== false });
    this.resetParameters();
  }

  /** Xavier-uniform projections, zero biases, as PyTorch's _reset_parameters. */
  resetParameters(): void {
    for (const w of [this.in_proj_weight, this.q_proj_weight, this.k_proj_weight, this.v_proj_weight]) if (w) init.xavierUniform_(w);
    if (this.in_proj_bias) init.zeros_(this.in_proj_bias);
    if (this.out_proj.bias) init.zeros_(this.out_proj.bias);
  }

  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const op = 'MultiheadAttention';
    const q = checkFloat(op, 'query', query),
      k = checkFloat(op, 'key', key),
      v = checkFloat(op, 'value', value);
    const {
      keyPaddingMask = null,
      needWeights = true,
      attnMask = null,
      averageAttnWeights = true,
      isCausal = false,
    } = V.options(op, options, ['keyPaddingMask', 'needWeights', 'attnMask', 'averageAttnWeights', 'isCausal']);
    V.bool(op, 'needWeights', needWeights);
    V.bool(op, 'averageAttnWeights', averageAttnWeights);
    V.bool(op, 'isCausal', isCausal);
    const batched = q.ndim === 3;
    if ((q.ndim !== 3 && q.ndim !== 2) || k.ndim !== q.ndim || v.ndim !== q.ndim) {
      throw new RangeError(
        `${op}: query, key and value must all be 3-D (batched) or 2-D (unbatched) (got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${fmtShape(v.shape)})`,
      );
    }
    const E = this.embedDim,
      H = this.numHeads,
      hd = this.headDim;
    const feat = (t: Tensor) => t.shape[t.ndim - 1];
    if (feat(q) !== E) throw new RangeError(`${op}: query ${fmtShape(q.shape)} must end in embedDim ${E}`);
    if (feat(k) !== this.kdim) throw new RangeError(`${op}: key ${fmtShape(k.shape)} must end in kdim ${this.kdim}`);
    if (feat(v) !== this.vdim) throw new RangeError(`${op}: value ${fmtShape(v.shape)} must end in vdim ${this.vdim}`);
    const seqDim = batched && this.batchFirst ? 1 : 0;
    const batchDim = this.batchFirst ? 0 : 1;
    const L = q.shape[seqDim],
      S = k.shape[seqDim];
    const N = batched ? q.shape[batchDim] : 1;
    if (v.shape[seqDim] !== S) throw new RangeError(`${op}: key ${fmtShape(k.shape)} and value ${fmtShape(v.shape)} must have the same sequence length`);
    if (batched && (k.shape[batchDim] !== N || v.shape[batchDim] !== N))
      throw new RangeError(`${op}: query, key and value must have the same batch size (got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${fmtShape(v.shape)})`);
    if (keyPaddingMask !== null) {
      if (!(keyPaddingMask instanceof Tensor)) throw new TypeError(`${op}: keyPaddingMask must be a Tensor`);
      const want = batched ? [N, S] : [S];
      if (keyPaddingMask.ndim !== want.length || keyPaddingMask.shape.some((n, i) => n !== want[i])) {
        throw new RangeError(`${op}: keyPaddingMask must have shape ${fmtShape(want)} (got ${fmtShape(keyPaddingMask.shape)})`);
      }
    }
    if (attnMask !== null) {
      if (!(attnMask instanceof Tensor)) throw new TypeError(`${op}: attnMask must be a Tensor`);
      const ok =
        (attnMask.ndim === 2 && attnMask.shape[0] === L && attnMask.shape[1] === S) ||
        (attnMask.ndim === 3 && attnMask.shape[0] === N * H && attnMask.shape[1] === L && attnMask.shape[2] === S);
      if (!ok) throw new RangeError(`${op}: attnMask must have shape [${L}, ${S}] or [${N * H}, ${L}, ${S}] (got ${fmtShape(attnMask.shape)})`);
    }
    return composite(op, () => {
      // Work in [seq, batch, feature].
      const toSBE = (t: Tensor) => (!batched ? t.unsqueeze(1) : this.batchFirst ? t.transpose(0, 1) : t);
      // Only causal: the fused kernel skips the hidden keys instead of reading a mask.
      const causalOnly = isCausal && !attnMask && !keyPaddingMask;
      let mask: Tensor | null = attnMask
        ? additiveMask(op, 'attnMask', attnMask)
        : isCausal && !causalOnly
          ? additiveMask(op, 'attnMask', aboveDiagonal(L, S, q))
          : null;
      if (keyPaddingMask) {
        const pad = additiveMask(op, 'keyPaddingMask', keyPaddingMask)
          .reshape(N, 1, 1, S)
          .expand(N, H, 1, S)
          .reshape(N * H, 1, S);
        mask = mask ? mask.add(pad) : pad;
      }
      const dropout = this.dropout > 0 && this.training;
      // Self-attention without weights to return: one in-projection GEMM, its output read by the
      // fused kernel in place of three projections and their head reshapes (PyTorch's packed path).
      if (batched && q === k && k === v && this.in_proj_weight && !needWeights && !dropout && N > 0 && L > 0 && canFuseMask(mask, [N * H], q)) {
        const qkv = F.linear(q, this.in_proj_weight, this.in_proj_bias);
        return [this.out_proj(fusedPackedSelfAttention(qkv, H, this.batchFirst, mask, causalOnly)), null] as [Tensor, Tensor | null];
      }
      const [qs, ks, vs] = [toSBE(q), toSBE(k), toSBE(v)];
      const b = this.in_proj_bias;
      const bias = (i: number) => (b ? b.narrow(0, i * E, E) : null);
      const weight = (i: number) =>
        this.in_proj_weight ? this.in_proj_weight.narrow(0, i * E, E) : [this.q_proj_weight, this.k_proj_weight, this.v_proj_weight][i]!;
      // [len, N, E] → [N·H, len, hd]
      const heads = (t: Tensor, len: number) => t.reshape(len, N * H, hd).transpose(0, 1);
      const qh = heads(F.linear(qs, weight(0), bias(0)), L);
      const kh = heads(F.linear(ks, weight(1), bias(1)), S);
      const vh = heads(F.linear(vs, weight(2), bias(2)), S);
      const toOutput = (heads: Tensor) => {
        const out = this.out_proj(heads.transpose(0, 1).reshape(L * N, E)).reshape(L, N, E);
        return !batched ? out.squeeze(1) : this.batchFirst ? out.transpose(0, 1) : out;
      };
      // Without weights to return or dropout to apply, the weights need not exist: the fused SDPA.
      if (!needWeights && !dropout) {
        const ctx = F.scaledDotProductAttention(qh, kh, vh, { attnMask: mask, isCausal: causalOnly });
        return [toOutput(ctx), null] as [Tensor, Tensor | null];
      }
      if (causalOnly) mask = additiveMask(op, 'attnMask', aboveDiagonal(L, S, q));
      let scores = qh.matmul(kh.transpose(1, 2)).mul(1 / Math.sqrt(hd));
      if (mask) scores = scores.add(mask);
      // PyTorch returns the weights after dropout: the ones the output was made from.
      const attn = dropout ? F.dropout(scores.softmax(-1), this.dropout, true) : scores.softmax(-1);
      const output = toOutput(attn.matmul(vh));
      if (!needWeights) return [output, null] as [Tensor, Tensor | null];
      let weights = attn.reshape(N, H, L, S);
      if (averageAttnWeights) weights = weights.mean(1);
      if (!batched) weights = weights.squeeze(0);
      return [output, weights] as [Tensor, Tensor | null];
    });
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}${this.batchFirst ? ', batchFirst=true' : ''}`;
  }
}
