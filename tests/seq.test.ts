// Sequence models (recurrent layers, attention, Transformers) against PyTorch 1.13.
// Regenerate the fixtures with: /usr/bin/python3 scripts/torch_seq_fixtures.py
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  gradcheck,
  load as loadFile,
  manualSeed,
  noGrad,
  serialize,
  memoryStats,
  nn,
  optim,
  randn,
  stack,
  tensor,
  triu,
  full,
  zeros,
  type Tensor,
} from '../src/index.js';

interface TensorRecord {
  shape: number[];
  data: (number | string)[];
  dtype?: 'int32' | 'bool';
}
interface SeqCase {
  name: string;
  kind: 'rnn' | 'padSequence' | 'sdpa' | 'mha' | 'encoder' | 'decoder';
  args: Record<string, unknown>;
  state: Record<string, TensorRecord>;
  inputs: (TensorRecord | null)[];
  outs: TensorRecord[];
  gradOuts: TensorRecord[];
  grads: Record<string, TensorRecord>;
}
const fixtures: { cases: SeqCase[]; model: { input: TensorRecord; out: TensorRecord; keys: string[] } } = JSON.parse(
  readFileSync(new URL('./fixtures/torch-seq.json', import.meta.url), 'utf8'),
);

const load = (r: TensorRecord, requiresGrad = false): Tensor =>
  tensor(r.dtype ? Int32Array.from(r.data) : Float32Array.from(r.data, Number), { shape: r.shape, dtype: r.dtype ?? 'float32', requiresGrad });

const stateOf = (records: Record<string, TensorRecord>): Record<string, Tensor> => Object.fromEntries(Object.entries(records).map(([k, r]) => [k, load(r)]));

function expectClose(actual: Tensor, expected: TensorRecord, what: string, tol = 2e-5): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  const got = actual.toArray();
  expected.data.forEach((e, i) => {
    const err = Math.abs(got[i] - Number(e));
    if (!(err <= tol + tol * 10 * Math.abs(Number(e)))) expect.fail(`${what}: element ${i} is ${got[i]}, PyTorch gives ${e}`);
  });
}

/** The outputs of a case as a flat list, the way the fixture script flattens PyTorch's. */
function flat(out: unknown): Tensor[] {
  if (out === null || out === undefined) return [];
  if (Array.isArray(out)) return out.flatMap(flat);
  return [out as Tensor];
}

type Runner = (c: SeqCase, x: (Tensor | null)[]) => { module: nn.AnyModule | null; out: unknown };

const RNN_CLASSES = { RNN: nn.RNN, LSTM: nn.LSTM, GRU: nn.GRU, RNNCell: nn.RNNCell, LSTMCell: nn.LSTMCell, GRUCell: nn.GRUCell } as const;

const RUNNERS: Partial<Record<SeqCase['kind'], Runner>> = {
  rnn: (c, x) => {
    const { cls, ctor } = c.args as { cls: keyof typeof RNN_CLASSES; ctor: Record<string, unknown> };
    const { inputSize, hiddenSize, ...options } = ctor as { inputSize: number; hiddenSize: number };
    const module = new RNN_CLASSES[cls](inputSize, hiddenSize, options as never);
    module.loadStateDict(stateOf(c.state));
    const state = cls.startsWith('LSTM') ? (x.length > 1 ? [x[1], x[2]] : undefined) : x[1];
    return { module, out: (module as nn.AnyModule)(x[0], state) };
  },
  padSequence: (c, x) => ({ module: null, out: nn.utils.rnn.padSequence(x as Tensor[], c.args) }),
  sdpa: (c, [q, k, v, mask]) => ({ module: null, out: nn.functional.scaledDotProductAttention(q!, k!, v!, { attnMask: mask, ...c.args }) }),
  mha: (c, [q, k, v, keyPaddingMask, attnMask]) => {
    const { ctor, call, selfAttention } = c.args as { ctor: { embedDim: number; numHeads: number }; call: Record<string, unknown>; selfAttention: boolean };
    const { embedDim, numHeads, ...options } = ctor;
    const module = new nn.MultiheadAttention(embedDim, numHeads, options);
    module.loadStateDict(stateOf(c.state));
    const [kk, vv] = selfAttention ? [q!, q!] : [k!, v!];
    return { module, out: module(q!, kk, vv, { keyPaddingMask, attnMask, ...call }) };
  },
  encoder: (c, [src, srcMask, srcKeyPaddingMask]) => {
    const module = transformer(c);
    module.loadStateDict(stateOf(c.state));
    return { module, out: (module as nn.TransformerEncoder)(src!, { srcMask, srcKeyPaddingMask }) };
  },
  decoder: (c, [tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask]) => {
    const module = transformer(c);
    module.loadStateDict(stateOf(c.state));
    return { module, out: (module as nn.TransformerDecoder)(tgt!, memory!, { tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask }) };
  },
};

/** The Transformer module a case describes. */
function transformer(c: SeqCase): nn.AnyModule {
  const { cls, dModel, nhead, ctor, numLayers, norm } = c.args as {
    cls: string;
    dModel: number;
    nhead: number;
    ctor: nn.TransformerLayerOptions;
    numLayers?: number;
    norm?: boolean;
  };
  const finalNorm = norm ? new nn.LayerNorm(dModel) : null;
  if (cls === 'TransformerEncoderLayer') return new nn.TransformerEncoderLayer(dModel, nhead, ctor);
  if (cls === 'TransformerDecoderLayer') return new nn.TransformerDecoderLayer(dModel, nhead, ctor);
  if (cls === 'TransformerEncoder') return new nn.TransformerEncoder(new nn.TransformerEncoderLayer(dModel, nhead, ctor), numLayers!, { norm: finalNorm });
  return new nn.TransformerDecoder(new nn.TransformerDecoderLayer(dModel, nhead, ctor), numLayers!, { norm: finalNorm });
}

describe('sequence layers match PyTorch (weights loaded from its state_dict, keys verbatim)', () => {
  it('has a runner for every fixture kind', () => {
    expect(fixtures.cases.filter((c) => !RUNNERS[c.kind]).map((c) => c.name)).toEqual([]);
  });

  for (const c of fixtures.cases) {
    it(`${c.name}: outputs, input gradients and every parameter's gradient`, () => {
      const inputs = c.inputs.map((r) => (r === null ? null : load(r, !r.dtype)));
      const { module, out } = RUNNERS[c.kind]!(c, inputs);
      if (module) expect(Object.keys(module.stateDict())).toEqual(Object.keys(c.state));
      const outs = flat(out);
      expect(outs.length, 'number of outputs').toBe(c.outs.length);
      outs.forEach((o, i) => expectClose(o, c.outs[i], `${c.name} output ${i}`));
      let loss: Tensor | null = null;
      outs.forEach((o, i) => {
        const term = o.mul(load(c.gradOuts[i])).sum();
        loss = loss ? loss.add(term) : term;
      });
      loss!.backward();
      const named = new Map<string, Tensor>(module ? module.namedParameters() : []);
      for (const [key, expected] of Object.entries(c.grads)) {
        const t = key.startsWith('input') ? inputs[Number(key.slice(5))] : named.get(key);
        expect(t?.grad, `${c.name}: grad of ${key}`).toBeTruthy();
        expectClose(t!.grad!, expected, `${c.name} grad of ${key}`, 5e-5);
      }
    });
  }
});

/** The fixture script's SeqModel: an LSTM, a GRU, attention and a Transformer encoder and decoder. */
class SeqModel extends nn.Module {
  lstm = new nn.LSTM(4, 6, { numLayers: 2, bidirectional: true, batchFirst: true });
  gru = new nn.GRU(12, 4);
  attn = new nn.MultiheadAttention(4, 2, { batchFirst: true });
  encoder = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0, batchFirst: true }), 2);
  decoder = new nn.TransformerDecoder(new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 8, dropout: 0, batchFirst: true }), 1, {
    norm: new nn.LayerNorm(4),
  });
  forward(x: Tensor): Tensor {
    const [h] = this.lstm(x);
    const [g] = this.gru(h.transpose(0, 1));
    const gb = g.transpose(0, 1);
    const [a] = this.attn(gb, gb, gb);
    return this.decoder(gb, this.encoder(a));
  }
}

describe('a safetensors file written from a PyTorch state_dict', () => {
  it('loads strictly into the same Tessera model and gives PyTorch outputs; saving round-trips the keys', async () => {
    const state = await loadFile(new URL('./fixtures/torch-seq.safetensors', import.meta.url).pathname);
    const model = new SeqModel();
    expect(Object.keys(model.stateDict())).toEqual(fixtures.model.keys);
    model.loadStateDict(state, { strict: true });
    const y = noGrad(() => model(load(fixtures.model.input)));
    expectClose(y, fixtures.model.out, 'SeqModel output', 1e-4);
    const bytes = serialize(model.stateDict());
    expect(Object.keys(await loadFile(bytes)).sort()).toEqual([...fixtures.model.keys].sort());
  });
});

describe('attention', () => {
  it('isCausal equals the explicit causal mask (SDPA, MHA and the encoder layer)', () => {
    manualSeed(6);
    const q = randn([2, 5, 4]),
      k = randn([2, 5, 4]),
      v = randn([2, 5, 4]);
    const allowed = tensor(
      Int32Array.from({ length: 25 }, (_, i) => (i % 5 <= Math.floor(i / 5) ? 1 : 0)),
      { shape: [5, 5], dtype: 'bool' },
    );
    const F = nn.functional;
    expect(F.scaledDotProductAttention(q, k, v, { isCausal: true }).toArray()).toEqual(F.scaledDotProductAttention(q, k, v, { attnMask: allowed }).toArray());
    const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0, batchFirst: true });
    const hidden = tensor(
      Int32Array.from({ length: 25 }, (_, i) => (i % 5 > Math.floor(i / 5) ? 1 : 0)),
      { shape: [5, 5], dtype: 'bool' },
    );
    expect(layer(q, { isCausal: true }).toArray()).toEqual(layer(q, { srcMask: hidden }).toArray());
  });

  it("bias: false drops every bias of the Transformer layers (PyTorch 2's keys) and equals the biased layer with zero biases", () => {
    manualSeed(12);
    const noBiasKeys = (keys: string[]) => keys.filter((k) => !k.endsWith('bias'));
    for (const [make, run] of [
      [
        (bias: boolean) => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, bias, normFirst: true }),
        (m: nn.TransformerEncoderLayer, x: Tensor) => m(x, { isCausal: true }),
      ],
      [
        (bias: boolean) => new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, bias }),
        (m: nn.TransformerDecoderLayer, x: Tensor) => m(x, x.slice(0, 0, 3)),
      ],
    ] as const) {
      const plain = make(false) as nn.TransformerEncoderLayer & nn.TransformerDecoderLayer;
      const biased = make(true) as nn.TransformerEncoderLayer & nn.TransformerDecoderLayer;
      const keys = Object.keys(plain.stateDict());
      expect(keys).toEqual(noBiasKeys(Object.keys(biased.stateDict())));
      expect(keys.length).toBeGreaterThan(5);
      const state = { ...plain.stateDict() };
      for (const [k, v] of Object.entries(biased.stateDict())) if (k.endsWith('bias')) state[k] = zeros(v.shape as number[]);
      biased.loadStateDict(state, { strict: true });
      const x = randn([5, 2, 8]);
      const [a, b] = noGrad(() => [(run as (m: unknown, x: Tensor) => Tensor)(plain, x), (run as (m: unknown, x: Tensor) => Tensor)(biased, x)]);
      const want = b.toArray();
      a.toArray().forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5));
    }
  });

  it('in training with dropout, the returned weights are the dropped-out ones the output was made from (as PyTorch)', () => {
    manualSeed(14);
    const mha = new nn.MultiheadAttention(4, 1, { dropout: 0.5, batchFirst: true });
    const x = randn([2, 6, 4]);
    const [out, weights] = mha(x, x, x);
    const w = weights!.toArray();
    expect(w.some((v) => v === 0)).toBe(true);
    // One head: output = out_proj(weights · v_proj(x)).
    const [, , wv] = mha.in_proj_weight!.chunk(3, 0);
    const [, , bv] = mha.in_proj_bias!.chunk(3, 0);
    const v = x.matmul(wv.t()).add(bv);
    const want = weights!.matmul(v).matmul(mha.out_proj.weight.t()).add(mha.out_proj.bias!).toArray();
    out.toArray().forEach((o, i) => expect(Math.abs(o - want[i])).toBeLessThan(1e-5));
    mha.eval();
    const rows = mha(x, x, x)[1]!.sum(-1).toArray();
    rows.forEach((r) => expect(Math.abs(r - 1)).toBeLessThan(1e-5));
  });

  it('self-attention from the packed in-projection equals three separate projections in values and every gradient', () => {
    // mha(x, x, x) takes the packed path; a key and value that are other tensors of the same
    // values take the three projections: same math, so the same results to rounding.
    for (const batchFirst of [true, false]) {
      manualSeed(21);
      const mha = new nn.MultiheadAttention(12, 3, { batchFirst });
      const x = randn(batchFirst ? [2, 19, 12] : [19, 2, 12], { requiresGrad: true });
      const padding = tensor(
        Int32Array.from({ length: 38 }, (_, i) => (i % 19 >= 15 + (i >= 19 ? 2 : 0) ? 1 : 0)),
        { shape: [2, 19], dtype: 'bool' },
      );
      for (const call of [{ isCausal: true }, { keyPaddingMask: padding }, {}]) {
        const run = (kv: Tensor) => {
          mha.zeroGrad();
          x.grad = null;
          const out = mha(x, kv, kv, { needWeights: false, ...call })[0];
          out.mul(out).sum().backward();
          return [out, x.grad!, ...mha.parameters().map((p) => p.grad!)].map((t) => Array.from(t.toArray()));
        };
        const packed = run(x);
        const separate = run(x.clone());
        packed.forEach((values, i) => {
          const worst = Math.max(...values.map((v, j) => Math.abs(v - separate[i][j])));
          expect(worst).toBeLessThan(1e-4);
        });
      }
    }
  });

  // The fused kernel (several 16-row query blocks, vector tails) against the composed expression.
  const composedSdpa = (q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, scale: number) => {
    const s = q.matmul(k.transpose(-2, -1)).mul(scale);
    return (mask ? s.add(mask) : s).softmax(-1).matmul(v);
  };
  const causalAdditive = (L: number, S: number) =>
    tensor(
      Float32Array.from({ length: L * S }, (_, i) => (i % S > Math.floor(i / S) ? -Infinity : 0)),
      { shape: [L, S] },
    );
  for (const [name, L, S, mask] of [
    ['causal, square', 37, 37, 'causal'],
    ['causal, more queries than keys', 41, 23, 'causal'],
    ['causal, fewer queries than keys', 9, 30, 'causal'],
    ['causal, three query blocks of the kernel (64 rows each)', 150, 150, 'causal'],
    ['causal, two query blocks, more keys than queries', 70, 75, 'causal'],
    ['no mask', 21, 34, 'none'],
    ['float mask per batch and head', 18, 27, 'float'],
    ['float mask, two query blocks', 70, 33, 'float'],
    ['bool key-padding mask [N, 1, 1, S]', 19, 22, 'bool'],
  ] as const) {
    it(`the fused SDPA equals the composed one in values and gradients (${name})`, () => {
      manualSeed(11);
      const [q, k, v] = [
        [2, 3, L, 10],
        [2, 3, S, 10],
        [2, 3, S, 7],
      ].map((shape) => randn(shape, { requiresGrad: true }));
      const [qc, kc, vc] = [q, k, v].map((t) => t.detach().requiresGrad_());
      const F = nn.functional;
      let opts: Parameters<typeof F.scaledDotProductAttention>[3] = {};
      let additive: Tensor | null = null;
      if (mask === 'causal') {
        opts = { isCausal: true };
        additive = causalAdditive(L, S);
      } else if (mask === 'float') {
        additive = randn([2, 3, L, S]);
        opts = { attnMask: additive };
      } else if (mask === 'bool') {
        const keep = tensor(
          Int32Array.from({ length: 2 * S }, (_, i) => (i % S < S - 3 * (1 + Math.floor(i / S)) ? 1 : 0)),
          { shape: [2, 1, 1, S], dtype: 'bool' },
        );
        opts = { attnMask: keep };
        additive = zeros([2, 1, 1, S]).maskedFill(keep.logicalNot(), -Infinity);
      }
      const g = randn([2, 3, L, 7]);
      const y = F.scaledDotProductAttention(q, k, v, opts).keep();
      expect(y.gradFn?.name, 'the fused op ran').toBe('scaledDotProductAttention');
      y.mul(g).sum().backward();
      const yc = composedSdpa(qc, kc, vc, additive, 1 / Math.sqrt(10)).keep();
      yc.mul(g).sum().backward();
      for (const [what, a, b] of [
        ['output', y, yc],
        ['dq', q.grad!, qc.grad!],
        ['dk', k.grad!, kc.grad!],
        ['dv', v.grad!, vc.grad!],
      ] as const) {
        const [u, w] = [Array.from(a.toArray()), Array.from(b.toArray())];
        u.forEach((e, i) => {
          if (!(Math.abs(e - w[i]) <= 2e-5 + 1e-4 * Math.abs(w[i]))) expect.fail(`${what}[${i}]: fused ${e}, composed ${w[i]}`);
        });
      }
    });
  }

  it('the fused SDPA passes finite differences (float64 on js: causal, float mask, scale)', () => {
    manualSeed(12);
    const F = nn.functional;
    const opts = { device: 'js', dtype: 'float64', requiresGrad: true } as const;
    const [q, k, v] = [
      [2, 18, 3],
      [2, 18, 3],
      [2, 18, 2],
    ].map((shape) => randn(shape, opts));
    expect(gradcheck((a: Tensor, b: Tensor, c: Tensor) => F.scaledDotProductAttention(a, b, c, { isCausal: true }).square().sum(), [q, k, v])).toBe(true);
    const [q2, k2, v2] = [
      [2, 3, 3],
      [2, 5, 3],
      [2, 5, 4],
    ].map((shape) => randn(shape, opts));
    const mask = randn([3, 5], { device: 'js', dtype: 'float64' });
    expect(
      gradcheck((a: Tensor, b: Tensor, c: Tensor) => F.scaledDotProductAttention(a, b, c, { attnMask: mask, scale: 0.7 }).square().sum(), [q2, k2, v2]),
    ).toBe(true);
  });

  it('reject mismatched shapes and masks with the argument named', () => {
    const F = nn.functional;
    expect(() => F.scaledDotProductAttention(randn([2, 3, 4]), randn([2, 5, 3]), randn([2, 5, 4]))).toThrow(
      /key \[2, 5, 3\] must end in query's embedding size 4/,
    );
    expect(() => F.scaledDotProductAttention(randn([3, 4]), randn([5, 4]), randn([5, 4]), { attnMask: zeros([3, 4]) })).toThrow(
      /attnMask \[3, 4\] does not broadcast to the scores \[3, 5\] \(query \[3, 4\], key \[5, 4\] and value \[5, 4\]\)/,
    );
    expect(() => F.scaledDotProductAttention(randn([3, 4]), randn([3, 4]), randn([3, 4]), { attnMask: zeros([3, 3]), isCausal: true })).toThrow(
      /either attnMask or isCausal/,
    );
    expect(() => new nn.MultiheadAttention(10, 3)).toThrow(/embedDim 10 must be divisible by numHeads 3/);
    const mha = new nn.MultiheadAttention(4, 2);
    expect(() => mha(randn([3, 2, 4]), randn([5, 2, 4]), randn([5, 2, 4]), { keyPaddingMask: zeros([2, 3], { dtype: 'bool' }) })).toThrow(
      /keyPaddingMask must have shape \[2, 5\]/,
    );
    expect(() => mha(randn([3, 2, 4]), randn([5, 2, 6]), randn([5, 2, 4]))).toThrow(/key \[5, 2, 6\] must end in kdim 4/);
    expect(() => new nn.TransformerEncoderLayer(4, 2, { activation: 'tanh' as never })).toThrow(/activation must be 'relu', 'gelu' or a function/);
  });

  it('take a 1-D attnMask as PyTorch does, and check masks against the broadcast batch', () => {
    const F = nn.functional;
    manualSeed(3);
    const [q, k, v] = [randn([2, 3, 4]), randn([2, 5, 4]), randn([2, 5, 4])];
    const ref = F.scaledDotProductAttention(q, k, v, { attnMask: tensor([[0, 0, -Infinity, 0, 0]], { dtype: 'float32' }) }).toArray();
    const byFloat = F.scaledDotProductAttention(q, k, v, { attnMask: tensor([0, 0, -Infinity, 0, 0], { dtype: 'float32' }) }).toArray();
    const byBool = F.scaledDotProductAttention(q, k, v, { attnMask: tensor([true, true, false, true, true], { dtype: 'bool' }) }).toArray();
    expect(Array.from(byFloat)).toEqual(Array.from(ref));
    expect(Array.from(byBool)).toEqual(Array.from(ref));
    expect(() => F.scaledDotProductAttention(q, k, v, { attnMask: zeros([4, 3, 5]) })).toThrow(
      /attnMask \[4, 3, 5\] does not broadcast to the scores \[2, 3, 5\]/,
    );
    expect(() => F.scaledDotProductAttention(q, randn([3, 5, 4]), randn([3, 5, 4]))).toThrow(
      /scaledDotProductAttention: the batch dims of query \[2, 3, 4\], key \[3, 5, 4\] and value \[3, 5, 4\]/,
    );
  });

  it('refuse non-boolean flags that would otherwise be read as false (or true) silently', () => {
    const F = nn.functional;
    const x = randn([3, 2, 4]);
    expect(() => F.scaledDotProductAttention(x, x, x, { isCausal: 'yes' as never })).toThrow(
      /scaledDotProductAttention: isCausal must be true or false \(got "yes"\)/,
    );
    const mha = new nn.MultiheadAttention(4, 2);
    expect(() => mha(x, x, x, { needWeights: 'no' as never })).toThrow(/MultiheadAttention: needWeights must be true or false/);
    expect(() => mha(x, x, x, { isCausal: 1 as never })).toThrow(/MultiheadAttention: isCausal must be true or false \(got 1\)/);
    expect(() => new nn.MultiheadAttention(4, 2, { batchFirst: 'true' as never })).toThrow(/MultiheadAttention: batchFirst must be true or false/);
    expect(() => new nn.TransformerEncoderLayer(4, 2, { normFirst: 'false' as never })).toThrow(
      /TransformerEncoderLayer: normFirst must be true or false \(got "false"\)/,
    );
    expect(() => new nn.TransformerDecoderLayer(4, 2, { batchFirst: 1 as never })).toThrow(/TransformerDecoderLayer: batchFirst must be true or false/);
    expect(() => new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 0 })).toThrow(
      /TransformerEncoderLayer: dimFeedforward must be an integer ≥ 1 \(got 0\)/,
    );
    expect(() => new nn.LSTM(3, 4, { batchFirst: 'yes' as never })).toThrow(/LSTM: batchFirst must be true or false/);
    expect(() => new nn.GRU(3, 4, { bidirectional: 1 as never })).toThrow(/GRU: bidirectional must be true or false/);
    expect(() => new nn.GRUCell(3, 4, { bias: 'no' as never })).toThrow(/GRUCell: bias must be true or false/);
  });

  it("TransformerEncoder.forward takes the attention mask under PyTorch's name, mask, as well as srcMask, not both", () => {
    manualSeed(12);
    const encoder = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0 }), 2);
    const src = randn([3, 2, 4]);
    const mask = triu(full([3, 3], Number.NEGATIVE_INFINITY), 1);
    const viaMask = encoder(src, { mask }).toArray();
    expect(viaMask).toEqual(encoder(src, { srcMask: mask }).toArray());
    expect(viaMask).not.toEqual(encoder(src).toArray());
    expect(() => encoder(src, { mask, srcMask: mask })).toThrow(/TransformerEncoder.forward: give the attention mask as mask or as srcMask, not both/);
  });

  it('stacks take only their own layer kind and a Module norm; LSTM states are both tensors or omitted', () => {
    const enc = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 });
    const dec = new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 8 });
    expect(() => new nn.TransformerDecoder(enc as never, 1)).toThrow(
      /TransformerDecoder: the first argument must be a Transformer layer, a TransformerDecoderLayer \(got a TransformerEncoderLayer\)/,
    );
    expect(() => new nn.TransformerEncoder(dec as never, 1)).toThrow(/TransformerEncoder: .*a TransformerEncoderLayer \(got a TransformerDecoderLayer\)/);
    expect(() => new nn.TransformerEncoder(enc, 1, { norm: 'layernorm' as never })).toThrow(
      /TransformerEncoder: norm must be a Module such as nn.LayerNorm, or null \(got "layernorm"\)/,
    );
    expect(new nn.TransformerEncoder(enc, 1, { norm: new nn.LayerNorm(4) })(randn([2, 1, 4])).shape).toEqual([2, 1, 4]);
    const lstm = new nn.LSTM(2, 3);
    expect(() => lstm(randn([4, 1, 2]), [null, zeros([1, 1, 3])] as never)).toThrow(/LSTM: hx must be a pair \[h0, c0\] of tensors \(or omitted for zeros\)/);
    expect(() => new nn.LSTMCell(2, 3)(randn([1, 2]), [zeros([1, 3]), undefined] as never)).toThrow(/LSTMCell: hx must be a pair \[h, c\] of tensors/);
  });

  it('a Transformer training loop releases every step', () => {
    manualSeed(7);
    const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true }), 2);
    const opt = new optim.AdamW(enc.parameters(), { lr: 1e-3 });
    const x = randn([2, 6, 8]);
    const live: number[] = [];
    for (let i = 0; i < 6; i++) {
      opt.zeroGrad();
      enc(x, { isCausal: true }).square().mean().backward();
      opt.step();
      live.push(memoryStats().liveTensors);
    }
    expect(live[5]).toBe(live[2]);
  });
});

describe('recurrent layers', () => {
  it('register PyTorch keys in PyTorch order, with PyTorch shapes', () => {
    const lstm = new nn.LSTM(3, 5, { numLayers: 2, bidirectional: true });
    const shapes = Object.entries(lstm.stateDict()).map(([k, t]) => `${k}:${t.shape.join('x')}`);
    expect(shapes.slice(0, 8)).toEqual([
      'weight_ih_l0:20x3',
      'weight_hh_l0:20x5',
      'bias_ih_l0:20',
      'bias_hh_l0:20',
      'weight_ih_l0_reverse:20x3',
      'weight_hh_l0_reverse:20x5',
      'bias_ih_l0_reverse:20',
      'bias_hh_l0_reverse:20',
    ]);
    expect(shapes[8]).toBe('weight_ih_l1:20x10');
    expect(Object.keys(new nn.GRUCell(2, 3, { bias: false }).stateDict())).toEqual(['weight_ih', 'weight_hh']);
  });

  it('initialise every weight and bias within ±1/√hiddenSize', () => {
    manualSeed(1);
    const gru = new nn.GRU(4, 16);
    for (const p of gru.parameters()) {
      const v = p.toArray();
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(0.25);
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(0.2);
    }
  });

  it('batchFirst gives the transposed result of the same weights', () => {
    manualSeed(2);
    const a = new nn.LSTM(3, 4, { numLayers: 2 });
    const b = new nn.LSTM(3, 4, { numLayers: 2, batchFirst: true });
    b.loadStateDict(a.stateDict());
    const x = randn([5, 2, 3]);
    const [ya, [ha]] = a(x);
    const [yb, [hb]] = b(x.transpose(0, 1));
    expect(yb.transpose(0, 1).toArray()).toEqual(ya.toArray());
    expect(hb.toArray()).toEqual(ha.toArray());
  });

  it('an LSTM layer is its LSTMCell run step by step', () => {
    manualSeed(3);
    const lstm = new nn.LSTM(3, 4);
    const cell = new nn.LSTMCell(3, 4);
    const l0 = lstm.stateDict();
    cell.loadStateDict({ weight_ih: l0.weight_ih_l0, weight_hh: l0.weight_hh_l0, bias_ih: l0.bias_ih_l0, bias_hh: l0.bias_hh_l0 });
    const x = randn([4, 2, 3]);
    const [y] = lstm(x);
    let state: [Tensor, Tensor] | undefined;
    for (let t = 0; t < 4; t++) {
      state = cell(x.select(0, t), state);
      expect(state[0].toArray()).toEqual(y.select(0, t).toArray());
    }
  });

  it('gradients pass finite differences (GRU, 2 layers, bidirectional)', () => {
    manualSeed(4);
    const gru = new nn.GRU(2, 3, { numLayers: 2, bidirectional: true }).to('js');
    const x = randn([3, 2, 2], { device: 'js', dtype: 'float64', requiresGrad: true });
    const params = gru.parameters().map((p) => p.detach().to('float64').requiresGrad_());
    const keys = gru.namedParameters().map(([k]) => k);
    const fn = (...args: Tensor[]) => {
      const m = new nn.GRU(2, 3, { numLayers: 2, bidirectional: true, device: 'js', dtype: 'float64' });
      const [xi, ...ps] = args;
      const self = m as unknown as Record<string, Tensor>;
      keys.forEach((k, i) => {
        self[k] = ps[i];
      });
      const [y, h] = m(xi);
      return y.sum().add(h.mul(h).sum());
    };
    expect(gradcheck(fn, [x, ...params])).toBe(true);
  });

  it('gradients pass finite differences (LSTM, 2 layers, bidirectional, batchFirst, h0 and c0)', () => {
    manualSeed(6);
    const opts = { numLayers: 2, bidirectional: true, batchFirst: true } as const;
    const lstm = new nn.LSTM(2, 3, opts).to('js');
    const x = randn([2, 3, 2], { device: 'js', dtype: 'float64', requiresGrad: true });
    const h0 = randn([4, 2, 3], { device: 'js', dtype: 'float64', requiresGrad: true });
    const c0 = randn([4, 2, 3], { device: 'js', dtype: 'float64', requiresGrad: true });
    const params = lstm.parameters().map((p) => p.detach().to('float64').requiresGrad_());
    const keys = lstm.namedParameters().map(([k]) => k);
    const fn = (...args: Tensor[]) => {
      const m = new nn.LSTM(2, 3, { ...opts, device: 'js', dtype: 'float64' });
      const [xi, hi, ci, ...ps] = args;
      const self = m as unknown as Record<string, Tensor>;
      keys.forEach((k, i) => {
        self[k] = ps[i];
      });
      const [y, [h, c]] = m(xi, [hi, ci]);
      return y.sum().add(h.mul(h).sum()).add(c.mul(c).sum());
    };
    expect(gradcheck(fn, [x, h0, c0, ...params])).toBe(true);
  });

  // The fused SIMD kernels (hidden 6: four columns in vector lanes, two in the scalar tail) against
  // the composed cells they replace, run step by step in either direction.
  for (const [name, Layer, Cell] of [
    ['LSTM', nn.LSTM, nn.LSTMCell],
    ['GRU', nn.GRU, nn.GRUCell],
  ] as const) {
    for (const reverse of [false, true]) {
      it(`the fused ${name} ${reverse ? 'reverse direction' : 'forward direction'} equals its composed cell in values and every gradient`, () => {
        manualSeed(7);
        const layer = new Layer(5, 6, { bidirectional: reverse });
        const cell = new Cell(5, 6);
        const sfx = reverse ? '_l0_reverse' : '_l0';
        const sd = layer.stateDict();
        cell.loadStateDict({ weight_ih: sd[`weight_ih${sfx}`], weight_hh: sd[`weight_hh${sfx}`], bias_ih: sd[`bias_ih${sfx}`], bias_hh: sd[`bias_hh${sfx}`] });
        const x = randn([7, 3, 5], { requiresGrad: true });
        const xc = x.detach().requiresGrad_();
        const w = randn([7, 3, 6]);
        // Only the direction under test reaches the loss, so x's gradient is its alone.
        const y = layer(x)[0]
          .narrow(2, reverse ? 6 : 0, 6)
          .keep();
        y.mul(w).sum().backward();
        const hs: Tensor[] = new Array<Tensor>(7);
        let state: Tensor | [Tensor, Tensor] | undefined;
        for (let i = 0; i < 7; i++) {
          const t = reverse ? 6 - i : i;
          state = (cell as nn.Module<[Tensor, unknown?], Tensor | [Tensor, Tensor]>)(xc.select(0, t), state);
          hs[t] = Array.isArray(state) ? state[0] : state;
        }
        const yc = stack(hs, 0);
        yc.mul(w).sum().backward();
        const close = (a: Tensor, b: Tensor, what: string) => {
          const [u, v] = [Array.from(a.toArray()), Array.from(b.toArray())];
          u.forEach((e, i) => {
            if (!(Math.abs(e - v[i]) <= 1e-5 + 1e-4 * Math.abs(v[i]))) expect.fail(`${what}[${i}]: fused ${e}, composed ${v[i]}`);
          });
        };
        close(y, yc, 'output');
        close(x.grad!, xc.grad!, 'input grad');
        const grads = Object.fromEntries(layer.namedParameters().map(([k, p]) => [k, p.grad!]));
        for (const k of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']) {
          close(grads[`${k}${sfx}`], (cell as unknown as Record<string, Tensor>)[k].grad!, k);
        }
      });
    }
  }

  it('reject wrong input sizes, state shapes and options with the argument named', () => {
    const lstm = new nn.LSTM(3, 4);
    expect(() => lstm(randn([5, 2, 2]))).toThrow(/LSTM: input \[5, 2, 2\] must end in inputSize 3/);
    expect(() => lstm(randn([2, 5, 2, 3]))).toThrow(/3-D \(batched\) or 2-D/);
    expect(() => lstm(randn([5, 2, 3]), [zeros([1, 3, 4]), zeros([1, 2, 4])])).toThrow(/h0 must have shape \[1, 2, 4\]/);
    expect(() => lstm(randn([5, 2, 3]), zeros([1, 2, 4]) as never)).toThrow(/pair \[h0, c0\]/);
    expect(() => lstm(tensor([[1, 2, 3]], { dtype: 'int32' }))).toThrow(/float tensor \(got int32\)/);
    expect(() => new nn.GRU(3, 0)).toThrow(/hiddenSize must be an integer ≥ 1/);
    expect(() => new nn.RNN(3, 4, { nonlinearity: 'sigmoid' as never })).toThrow(/unknown nonlinearity 'sigmoid'/);
    expect(() => new nn.RNN(3, 4, { dropout: 2 })).toThrow(/dropout must be a probability/);
    expect(() => new nn.GRUCell(3, 4)(randn([2, 3]), randn([3, 4]))).toThrow(/GRUCell: the state must have shape \[2, 4\]/);
  });

  it('dropout acts between stacked layers in training only, never on the last layer', () => {
    manualSeed(13);
    const x = randn([5, 2, 3]);
    const stacked = new nn.GRU(3, 4, { numLayers: 2, dropout: 0.5 });
    const [t1] = stacked(x);
    const [t2] = stacked(x);
    expect(t1.sub(t2).abs().max().item()).toBeGreaterThan(1e-3);
    stacked.eval();
    expect(stacked(x)[0].toArray()).toEqual(stacked(x)[0].toArray());
    const single = new nn.LSTM(3, 4, { dropout: 0.5 });
    const [train] = single(x);
    single.eval();
    expect(train.toArray()).toEqual(single(x)[0].toArray());
  });

  it('a training loop releases every step: outputs, unused hN/cN and temporaries', () => {
    manualSeed(5);
    const lstm = new nn.LSTM(4, 8, { batchFirst: true });
    const head = new nn.Linear(8, 2);
    const opt = new optim.Adam([...lstm.parameters(), ...head.parameters()], { lr: 0.01 });
    const x = randn([3, 6, 4]);
    const y = randn([3, 2]);
    const live: number[] = [];
    for (let i = 0; i < 6; i++) {
      opt.zeroGrad();
      const [out] = lstm(x);
      const loss = head(out.select(1, 5)).sub(y).square().mean();
      loss.backward();
      opt.step();
      live.push(memoryStats().liveTensors);
    }
    expect(live[5]).toBe(live[2]);
  });

  it('padSequence pads right or left and checks its inputs', () => {
    const a = tensor([1, 2, 3]),
      b = tensor([4]);
    expect(nn.utils.rnn.padSequence([a, b], { batchFirst: true }).tolist()).toEqual([
      [1, 2, 3],
      [4, 0, 0],
    ]);
    expect(nn.utils.rnn.padSequence([a, b], { paddingSide: 'left', paddingValue: 9 }).tolist()).toEqual([
      [1, 9],
      [2, 9],
      [3, 4],
    ]);
    expect(() => nn.utils.rnn.padSequence([a, randn([2, 2])])).toThrow(/sequences\[1\] \[2, 2\] \(float32\) does not match/);
    expect(() => nn.utils.rnn.padSequence([])).toThrow(/non-empty array/);
    expect(() => nn.utils.rnn.padSequence([tensor(1, { dtype: 'float32' })])).toThrow(
      /padSequence: sequences\[0\] is 0-D; each sequence needs a leading length dim/,
    );
    expect(() => nn.utils.rnn.padSequence([a], { batchFirst: 'false' as never })).toThrow(/padSequence: batchFirst must be true or false \(got "false"\)/);
  });
});
