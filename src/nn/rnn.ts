/**
 * Recurrent layers with PyTorch's parameters, keys, gate order and initialisation: RNN, LSTM and
 * GRU over whole sequences (stacked, bidirectional, batch-first or not, unbatched input) and their
 * single-step cells. The input projection of a whole sequence is one GEMM; each time step is one
 * small GEMM against weight_hh plus the gate arithmetic: fused into one kernel per step for LSTM
 * and GRU (rnn-fused.ts), composed from tensor ops for RNN and the cells (`step`, which also serves
 * as the reference the fused path is tested against).
 */
import { composite } from '../autograd/composite.js';
import { zeros } from '../creation.js';
import { isFloat } from '../dtype.js';
import { cat, stack } from '../ops/shape.js';
import { fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import * as F from './functional.js';
import * as init from './init.js';
import { emptyParameter, type FactoryOptions } from './layers.js';
import { Module, Parameter } from './module.js';
import { gruSequence, lstmSequence } from './rnn-fused.js';
import * as V from '../validate.js';

/** Which recurrence a layer runs. */
type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

const GATES: Record<Mode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/** Options shared by `RNN`, `LSTM` and `GRU`. */
export interface RNNBaseOptions extends FactoryOptions {
  /** Stacked recurrent layers, each reading the previous one's output (default 1). */
  numLayers?: number;
  /** Learn bias_ih and bias_hh (default true). */
  bias?: boolean;
  /** Input and output are [batch, seq, feature] instead of [seq, batch, feature] (default false). */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training (default 0). */
  dropout?: number;
  /** Run a second layer over the reversed sequence and concatenate its outputs (default false). */
  bidirectional?: boolean;
}

/** Options of `RNN`. */
export interface RNNOptions extends RNNBaseOptions {
  /** The recurrence's activation (default 'tanh'). */
  nonlinearity?: 'tanh' | 'relu';
}

/** An LSTM's (h, c) state pair. */
export type LSTMState = [Tensor, Tensor];

function checkInt(op: string, arg: string, n: unknown, min: number): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) throw new RangeError(`${op}: ${arg} must be an integer ≥ ${min} (got ${String(n)})`);
  return n;
}

function checkFloatTensor(op: string, arg: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${arg} must be a Tensor (got ${x === null ? 'null' : typeof x})`);
  x.check(op);
  if (!isFloat(x.dtype)) throw new TypeError(`${op}: ${arg} must be a float tensor (got ${x.dtype})`);
  return x;
}

/**
 * One time step given the input projection `xp` (x·W_ihᵀ + b_ih, plus b_hh except for GRU, whose
 * b_hh sits inside the reset gate's product): returns the new h (and c for LSTM).
 */
function step(mode: Mode, xp: Tensor, h: Tensor, c: Tensor | null, wHh: Tensor, bHh: Tensor | null): [Tensor, Tensor | null] {
  if (mode === 'GRU') {
    const hp = F.linear(h, wHh, bHh);
    const [xr, xz, xn] = xp.chunk(3, -1);
    const [hr, hz, hn] = hp.chunk(3, -1);
    const r = xr.add(hr).sigmoid();
    const z = xz.add(hz).sigmoid();
    const n = xn.add(r.mul(hn)).tanh();
    // h' = (1 − z)·n + z·h = n + z·(h − n)
    return [n.add(z.mul(h.sub(n))), null];
  }
  const pre = xp.add(F.linear(h, wHh));
  if (mode === 'RNN_TANH') return [pre.tanh(), null];
  if (mode === 'RNN_RELU') return [pre.relu(), null];
  const [gi, gf, gg, go] = pre.chunk(4, -1);
  const cNext = gf.sigmoid().mul(c!).add(gi.sigmoid().mul(gg.tanh()));
  return [go.sigmoid().mul(cNext.tanh()), cNext];
}

/**
 * x·W_ihᵀ + b_ih (+ b_hh when it can be folded in, i.e. not for GRU): the two biases are summed
 * once ([gates]) rather than b_hh added to every step's projection ([seq, batch, gates]).
 */
function inputProjection(mode: Mode, x: Tensor, wIh: Tensor, bIh: Tensor | null, bHh: Tensor | null): Tensor {
  return F.linear(x, wIh, mode !== 'GRU' && bIh && bHh ? bIh.add(bHh) : bIh);
}

/** The shared machinery of RNN, LSTM and GRU (PyTorch's RNNBase). */
abstract class RNNBase<H> extends Module<[Tensor, H?], [Tensor, H]> {
  readonly mode: Mode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;

  constructor(mode: Mode, name: string, inputSize: number, hiddenSize: number, options: RNNBaseOptions) {
    super();
    const {
      numLayers = 1,
      bias = true,
      batchFirst = false,
      dropout = 0,
      bidirectional = false,
    } = V.options(name, options, [
      'numLayers',
      'bias',
      'batchFirst',
      'dropout',
      'bidirectional',
      'device',
      'dtype',
      ...(name === 'RNN' ? ['nonlinearity'] : []),
    ]);
    this.mode = mode;
    this.inputSize = checkInt(name, 'inputSize', inputSize, 0);
    this.hiddenSize = checkInt(name, 'hiddenSize', hiddenSize, 1);
    this.numLayers = checkInt(name, 'numLayers', numLayers, 1);
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1))
      throw new RangeError(`${name}: dropout must be a probability between 0 and 1 (got ${String(dropout)})`);
    this.bias = V.bool(name, 'bias', bias);
    this.batchFirst = V.bool(name, 'batchFirst', batchFirst);
    this.dropout = dropout;
    this.bidirectional = V.bool(name, 'bidirectional', bidirectional);
    const gate = GATES[mode] * hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    const self = this as unknown as Record<string, Parameter>;
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let d = 0; d < dirs; d++) {
        const suffix = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        const inSize = layer === 0 ? inputSize : hiddenSize * dirs;
        self[`weight_ih${suffix}`] = emptyParameter([gate, inSize], options);
        self[`weight_hh${suffix}`] = emptyParameter([gate, hiddenSize], options);
        if (this.bias) {
          self[`bias_ih${suffix}`] = emptyParameter([gate], options);
          self[`bias_hh${suffix}`] = emptyParameter([gate], options);
        }
      }
    }
    this.resetParameters();
  }

  /** Every weight and bias from U(−1/√hiddenSize, 1/√hiddenSize), as PyTorch. */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) init.uniform_(p, -bound, bound);
  }

  /** The parameters of one layer and direction: [weight_ih, weight_hh, bias_ih, bias_hh]. */
  #weights(layer: number, reverse: boolean): [Tensor, Tensor, Tensor | null, Tensor | null] {
    const self = this as unknown as Record<string, Parameter | undefined>;
    const s = `_l${layer}${reverse ? '_reverse' : ''}`;
    return [self[`weight_ih${s}`]!, self[`weight_hh${s}`]!, self[`bias_ih${s}`] ?? null, self[`bias_hh${s}`] ?? null];
  }

  /** Checks one initial state tensor against [layers·dirs, batch, hidden] (no batch dim if unbatched). */
  protected checkState(name: string, arg: string, t: unknown, batch: number | null): Tensor {
    const x = checkFloatTensor(name, arg, t);
    const expected = [this.numLayers * (this.bidirectional ? 2 : 1), ...(batch === null ? [] : [batch]), this.hiddenSize];
    if (x.ndim !== expected.length || x.shape.some((n, i) => n !== expected[i])) {
      throw new RangeError(`${name}: ${arg} must have shape ${fmtShape(expected)} (got ${fmtShape(x.shape)})`);
    }
    return x;
  }

  /**
   * Runs every layer and direction over `input` (validated, [seq, batch, feature] or batch-first,
   * or unbatched [seq, feature]); h0/c0 as validated tensors or null for zeros. Returns the output
   * and the stacked final states.
   */
  protected run(name: string, input: unknown, h0: Tensor | null, c0: Tensor | null): { output: Tensor; hN: Tensor; cN: Tensor | null } {
    const x = checkFloatTensor(name, 'input', input);
    if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`${name}: input must be 3-D (batched) or 2-D (unbatched) (got ${fmtShape(x.shape)})`);
    if (x.shape[x.ndim - 1] !== this.inputSize) {
      throw new RangeError(`${name}: input ${fmtShape(x.shape)} must end in inputSize ${this.inputSize}`);
    }
    const batched = x.ndim === 3;
    const batch = batched ? x.shape[this.batchFirst ? 0 : 1] : null;
    const seqLen = x.shape[batched && this.batchFirst ? 1 : 0];
    if (seqLen === 0) throw new RangeError(`${name}: input has an empty sequence (${fmtShape(x.shape)})`);
    if (h0) this.checkState(name, this.mode === 'LSTM' ? 'h0' : 'hx', h0, batch);
    if (c0) this.checkState(name, 'c0', c0, batch);
    const mode = this.mode;
    const dirs = this.bidirectional ? 2 : 1;
    const H = this.hiddenSize;
    return composite(name, () => {
      // Work in [seq, batch, feature] with a batch of 1 for unbatched input.
      let seq = !batched ? x.unsqueeze(1) : this.batchFirst ? x.transpose(0, 1) : x;
      const B = seq.shape[1];
      const state = (t: Tensor | null) => (t === null ? null : batched ? t : t.unsqueeze(1));
      const hInit = state(h0),
        cInit = state(c0);
      const hLast: Tensor[] = [],
        cLast: Tensor[] = [];
      for (let layer = 0; layer < this.numLayers; layer++) {
        const outs: Tensor[] = [];
        for (let d = 0; d < dirs; d++) {
          const [wIh, wHh, bIh, bHh] = this.#weights(layer, d === 1);
          const k = layer * dirs + d;
          const xp = inputProjection(mode, seq, wIh, bIh, bHh);
          let h = hInit ? hInit.select(0, k) : zeros([B, H], { dtype: x.dtype, device: x.device });
          let c = mode !== 'LSTM' ? null : cInit ? cInit.select(0, k) : zeros([B, H], { dtype: x.dtype, device: x.device });
          const last = d === 1 ? 0 : seqLen - 1;
          if (mode === 'LSTM') {
            const hc = lstmSequence(xp, h, c!, wHh, d === 1);
            outs.push(hc.narrow(0, 0, seqLen));
            hLast.push(hc.select(0, last));
            cLast.push(hc.select(0, seqLen));
            continue;
          }
          if (mode === 'GRU') {
            const hs = gruSequence(xp, h, wHh, bHh, d === 1);
            outs.push(hs);
            hLast.push(hs.select(0, last));
            continue;
          }
          const hs: Tensor[] = new Array<Tensor>(seqLen);
          for (let i = 0; i < seqLen; i++) {
            const t = d === 1 ? seqLen - 1 - i : i;
            [h, c] = step(mode, xp.select(0, t), h, c, wHh, bHh);
            hs[t] = h;
          }
          outs.push(stack(hs, 0));
          hLast.push(h);
          if (c) cLast.push(c);
        }
        seq = dirs === 1 ? outs[0] : cat(outs, 2);
        if (this.dropout > 0 && this.training && layer < this.numLayers - 1) seq = F.dropout(seq, this.dropout, true);
      }
      const unbatch = (t: Tensor) => (batched ? t : t.squeeze(1));
      const output = !batched ? seq.squeeze(1) : this.batchFirst ? seq.transpose(0, 1) : seq;
      return { output, hN: unbatch(stack(hLast, 0)), cN: mode === 'LSTM' ? unbatch(stack(cLast, 0)) : null };
    });
  }

  override extraRepr(): string {
    const extras = [`${this.inputSize}, ${this.hiddenSize}`];
    if (this.numLayers !== 1) extras.push(`numLayers=${this.numLayers}`);
    if (this.mode === 'RNN_RELU') extras.push(`nonlinearity='relu'`);
    if (!this.bias) extras.push('bias=false');
    if (this.batchFirst) extras.push('batchFirst=true');
    if (this.dropout !== 0) extras.push(`dropout=${this.dropout}`);
    if (this.bidirectional) extras.push('bidirectional=true');
    return extras.join(', ');
  }
}

/**
 * An Elman RNN, h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (or relu), stacked and optionally
 * bidirectional. `forward(input, hx?)` → `[output, hN]`; input [seq, batch, inputSize]
 * ([batch, seq, …] with batchFirst, [seq, inputSize] unbatched); output [seq, batch, D·hiddenSize];
 * hx and hN [D·numLayers, batch, hiddenSize].
 * @example const rnn = new nn.RNN(10, 20, { numLayers: 2 }); const [out, hN] = rnn(randn([5, 3, 10]));
 */
export class RNN extends RNNBase<Tensor> {
  /** 'tanh' or 'relu', applied at every step. */
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const nonlinearity = (options ?? {}).nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu')
      throw new RangeError(`RNN: unknown nonlinearity '${String(nonlinearity)}' (expected 'tanh' or 'relu')`);
    super(nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', 'RNN', inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
  }

  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const { output, hN } = this.run('RNN', input, hx ?? null, null);
    return [output, hN];
  }
}

/**
 * Long short-term memory with PyTorch's gate order (input, forget, cell, output) in weight_ih
 * [4·hidden, in]. `forward(input, [h0, c0]?)` → `[output, [hN, cN]]`.
 * @example const lstm = new nn.LSTM(64, 128, { batchFirst: true }); const [out, [h, c]] = lstm(x);
 */
export class LSTM extends RNNBase<LSTMState> {
  constructor(inputSize: number, hiddenSize: number, options: RNNBaseOptions = {}) {
    if (options && 'projSize' in options) throw new RangeError('LSTM: projSize is not supported');
    super('LSTM', 'LSTM', inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx?: LSTMState | null): [Tensor, LSTMState] {
    if (hx != null && (!Array.isArray(hx) || hx.length !== 2 || !hx.every((t) => t instanceof Tensor)))
      throw new TypeError('LSTM: hx must be a pair [h0, c0] of tensors (or omitted for zeros), as in PyTorch');
    const { output, hN, cN } = this.run('LSTM', input, hx?.[0] ?? null, hx?.[1] ?? null);
    return [output, [hN, cN!]];
  }
}

/**
 * Gated recurrent unit with PyTorch's gate order (reset, update, new):
 * n = tanh(W_in·x + b_in + r⊙(W_hn·h + b_hn)), h' = (1 − z)⊙n + z⊙h. `forward(input, hx?)` → `[output, hN]`.
 * @example const gru = new nn.GRU(8, 16, { bidirectional: true }); const [out, hN] = gru(x);
 */
export class GRU extends RNNBase<Tensor> {
  constructor(inputSize: number, hiddenSize: number, options: RNNBaseOptions = {}) {
    super('GRU', 'GRU', inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const { output, hN } = this.run('GRU', input, hx ?? null, null);
    return [output, hN];
  }
}

/** Options of the recurrent cells. */
export interface RNNCellOptions extends FactoryOptions {
  /** Learn bias_ih and bias_hh (default true). */
  bias?: boolean;
}

/** The shared machinery of the single-step cells (PyTorch's RNNCellBase). */
abstract class RNNCellBase<H> extends Module<[Tensor, H?], H> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  weight_ih: Parameter;
  weight_hh: Parameter;
  bias_ih: Parameter | null;
  bias_hh: Parameter | null;

  constructor(
    readonly mode: Mode,
    name: string,
    inputSize: number,
    hiddenSize: number,
    options: RNNCellOptions,
  ) {
    super();
    V.options(name, options, ['bias', 'device', 'dtype', ...(name === 'RNNCell' ? ['nonlinearity'] : [])]);
    this.inputSize = checkInt(name, 'inputSize', inputSize, 0);
    this.hiddenSize = checkInt(name, 'hiddenSize', hiddenSize, 1);
    this.bias = V.bool(name, 'bias', options?.bias ?? true);
    const gate = GATES[mode] * hiddenSize;
    this.weight_ih = emptyParameter([gate, inputSize], options);
    this.weight_hh = emptyParameter([gate, hiddenSize], options);
    this.bias_ih = this.bias ? emptyParameter([gate], options) : null;
    this.bias_hh = this.bias ? emptyParameter([gate], options) : null;
    this.resetParameters();
  }

  /** Every weight and bias from U(−1/√hiddenSize, 1/√hiddenSize), as PyTorch. */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) init.uniform_(p, -bound, bound);
  }

  /** One step on [batch, inputSize] (or unbatched [inputSize]) from the states (null for zeros). */
  protected cell(name: string, input: unknown, states: (unknown | null)[]): [Tensor, Tensor | null] {
    const x = checkFloatTensor(name, 'input', input);
    if ((x.ndim !== 1 && x.ndim !== 2) || x.shape[x.ndim - 1] !== this.inputSize) {
      throw new RangeError(`${name}: input must be [batch, ${this.inputSize}] or [${this.inputSize}] (got ${fmtShape(x.shape)})`);
    }
    const expected = x.ndim === 2 ? [x.shape[0], this.hiddenSize] : [this.hiddenSize];
    const given = states.map((s, i) => {
      if (s === null || s === undefined) return null;
      const t = checkFloatTensor(name, states.length === 2 ? ['h', 'c'][i] : 'hx', s);
      if (t.ndim !== expected.length || t.shape.some((n, j) => n !== expected[j])) {
        throw new RangeError(`${name}: the state must have shape ${fmtShape(expected)} like the input's batch (got ${fmtShape(t.shape)})`);
      }
      return t;
    });
    return composite(name, () => {
      const xb = x.ndim === 1 ? x.unsqueeze(0) : x;
      const zero = () => zeros([xb.shape[0], this.hiddenSize], { dtype: x.dtype, device: x.device });
      const prep = (t: Tensor | null) => (t === null ? zero() : x.ndim === 1 ? t.unsqueeze(0) : t);
      const xp = inputProjection(this.mode, xb, this.weight_ih, this.bias_ih, this.bias_hh);
      const [h, c] = step(this.mode, xp, prep(given[0]), this.mode === 'LSTM' ? prep(given[1]) : null, this.weight_hh, this.bias_hh);
      const out = (t: Tensor) => (x.ndim === 1 ? t.squeeze(0) : t);
      return [out(h), c && out(c)] as [Tensor, Tensor | null];
    });
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? '' : ', bias=false'}`;
  }
}

/** Options of `RNNCell`. */
export interface RNNCellLayerOptions extends RNNCellOptions {
  nonlinearity?: 'tanh' | 'relu';
}

/**
 * One Elman RNN step: `cell(input, hx?)` → h'. Keys weight_ih, weight_hh, bias_ih, bias_hh.
 * @example const cell = new nn.RNNCell(10, 20); let h = cell(x0); h = cell(x1, h);
 */
export class RNNCell extends RNNCellBase<Tensor> {
  /** 'tanh' or 'relu'. */
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNCellLayerOptions = {}) {
    const nonlinearity = (options ?? {}).nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu')
      throw new RangeError(`RNNCell: unknown nonlinearity '${String(nonlinearity)}' (expected 'tanh' or 'relu')`);
    super(nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', 'RNNCell', inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
  }

  forward(input: Tensor, hx?: Tensor | null): Tensor {
    return this.cell('RNNCell', input, [hx ?? null])[0];
  }
}

/**
 * One LSTM step: `cell(input, [h, c]?)` → `[h', c']`.
 * @example const cell = new nn.LSTMCell(10, 20); let [h, c] = cell(x0); [h, c] = cell(x1, [h, c]);
 */
export class LSTMCell extends RNNCellBase<LSTMState> {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super('LSTM', 'LSTMCell', inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx?: LSTMState | null): LSTMState {
    if (hx != null && (!Array.isArray(hx) || hx.length !== 2 || !hx.every((t) => t instanceof Tensor)))
      throw new TypeError('LSTMCell: hx must be a pair [h, c] of tensors (or omitted for zeros), as in PyTorch');
    const [h, c] = this.cell('LSTMCell', input, [hx?.[0] ?? null, hx?.[1] ?? null]);
    return [h, c!];
  }
}

/**
 * One GRU step: `cell(input, hx?)` → h'.
 * @example const cell = new nn.GRUCell(10, 20); const h = cell(x0);
 */
export class GRUCell extends RNNCellBase<Tensor> {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super('GRU', 'GRUCell', inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx?: Tensor | null): Tensor {
    return this.cell('GRUCell', input, [hx ?? null])[0];
  }
}
