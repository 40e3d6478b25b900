// ONNX import: Tessera → ONNX → Tessera gives the same outputs and gradients, with the file's
// initializer names as state-dict keys; the imported module trains; bad files are named.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, noGrad, onnx, optim, quantization, randint, randn, tensor, type Tensor } from '../src/index.js';
import { MaskedAttention, NamesGPT, TextGPT } from './causal-models.js';

const { Sequential, Linear, ReLU, Conv2d, MaxPool2d, BatchNorm2d, Flatten, GELU, LayerNorm, Embedding, AdaptiveAvgPool2d, Module } = nn;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function flatOutputs(v: unknown): Tensor[] {
  if (v === null) return [];
  return Array.isArray(v) ? v.flatMap(flatOutputs) : [v as Tensor];
}

/** Exports, imports, and compares outputs at a new batch size and every parameter's gradient of a sum-of-squares loss over all outputs. */
function roundTrip(model: nn.AnyModule, example: Tensor, other: Tensor, batchDim = 0): nn.AnyModule {
  model.eval();
  const outputs = flatOutputs(noGrad(() => (model as unknown as (x: Tensor) => unknown)(example)));
  // The recurrent layers' final states carry the batch in dim 1.
  const dynamicAxes: Record<string, number[]> =
    outputs.length === 1
      ? { input: [batchDim], output: [batchDim] }
      : { input: [batchDim], ...Object.fromEntries(outputs.map((_, k) => [`output_${k}`, [k === 0 ? batchDim : 1]])) };
  const bytes = onnx.export(model, example, { dynamicAxes });
  const imported = onnx.load(bytes);
  imported.eval();
  // num_batches_tracked counts training steps; the graph never reads it, so the file has none.
  const floatKeys = Object.keys(model.stateDict()).filter((k) => !k.endsWith('num_batches_tracked'));
  expect(Object.keys(imported.stateDict()).sort()).toEqual(floatKeys.sort());
  const run = (m: nn.AnyModule) => {
    m.zeroGrad();
    const ys = flatOutputs((m as unknown as (x: Tensor) => unknown)(other));
    const loss = ys.map((y) => y.mul(y).sum()).reduce((p, q) => p.add(q));
    loss.backward();
    const grads = Object.fromEntries(m.namedParameters().map(([k, p]) => [k, Array.from(p.grad!.toArray())]));
    return { ys: ys.map((y) => Array.from(y.toArray())), grads };
  };
  const a = run(model);
  const b = run(imported);
  expect(b.ys.length).toBe(a.ys.length);
  a.ys.forEach((y, k) => expect(maxDiff(y, b.ys[k])).toBeLessThan(1e-5));
  expect(Object.keys(b.grads).sort()).toEqual(Object.keys(a.grads).sort());
  for (const k of Object.keys(a.grads)) expect(maxDiff(a.grads[k], b.grads[k])).toBeLessThan(1e-4);
  return imported;
}

describe('onnx.load round trip (same outputs and gradients)', () => {
  it('an MLP with GELU', () => {
    manualSeed(5);
    roundTrip(new Sequential(new Linear(5, 12), new GELU(), new Linear(12, 12), new ReLU(), new Linear(12, 3)), randn([2, 5]), randn([6, 5]));
  });

  it('a CNN with batch norm (running statistics come back as buffers, not parameters)', () => {
    manualSeed(6);
    const model = new Sequential(
      new Conv2d(2, 6, 3, { padding: 1 }),
      new BatchNorm2d(6),
      new ReLU(),
      new MaxPool2d(2),
      new Conv2d(6, 6, 3, { padding: 'same', groups: 3 }),
      new AdaptiveAvgPool2d(1),
      new Flatten(),
      new Linear(6, 4),
    );
    noGrad(() => model(randn([4, 2, 8, 8])));
    const imported = roundTrip(model, randn([2, 2, 8, 8]), randn([3, 2, 8, 8]));
    const names = imported.namedParameters().map(([k]) => k);
    expect(names).not.toContain('1.running_mean');
    expect(imported.namedBuffers().map(([k]) => k)).toEqual(expect.arrayContaining(['1.running_mean', '1.running_var']));
  });

  it('an embedding + layer norm model with a dynamic batch and sequence', () => {
    manualSeed(7);
    class Tokens extends Module {
      emb = new Embedding(10, 6);
      norm = new LayerNorm(6);
      head = new Linear(6, 2);
      forward(ids: Tensor): Tensor {
        return this.head(this.norm(this.emb(ids)).mean(1));
      }
    }
    const model = new Tokens();
    const bytes = onnx.export(model, randint(0, 10, [2, 3], { dtype: 'int32' }), { inputNames: ['ids'], dynamicAxes: { ids: [0, 1], output: [0] } });
    const imported = onnx.load(bytes);
    const ids = randint(0, 10, [4, 7], { dtype: 'int32' });
    expect(maxDiff(noGrad(() => model(ids)).toArray(), noGrad(() => imported(ids)).toArray())).toBeLessThan(1e-5);
  });
});

describe('recurrent, attention and Transformer layers round trip (same outputs and gradients, PyTorch keys)', () => {
  it('a two-layer bidirectional batch-first LSTM (output, h_n, c_n)', () => {
    manualSeed(21);
    roundTrip(new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true }), randn([2, 5, 3]), randn([4, 5, 3]));
  });

  it('a GRU, a bidirectional relu RNN and an LSTM without biases, sequence first', () => {
    manualSeed(22);
    roundTrip(new nn.GRU(3, 4, { numLayers: 2 }), randn([5, 2, 3]), randn([5, 3, 3]), 1);
    roundTrip(new nn.RNN(3, 4, { nonlinearity: 'relu', bidirectional: true }), randn([4, 2, 3]), randn([4, 3, 3]), 1);
    roundTrip(new nn.LSTM(3, 2, { bias: false }), randn([4, 2, 3]), randn([4, 1, 3]), 1);
  });

  it('a TransformerEncoderLayer (fused attention) and MultiheadAttention with its weights', () => {
    manualSeed(23);
    roundTrip(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true }), randn([2, 4, 8]), randn([3, 4, 8]));
    class SelfAttention extends Module<[Tensor], Tensor[]> {
      mha = new nn.MultiheadAttention(8, 4);
      forward(x: Tensor): Tensor[] {
        const [out, weights] = this.mha(x, x, x);
        return [out, weights!];
      }
    }
    roundTrip(new SelfAttention(), randn([3, 2, 8]), randn([3, 4, 8]), 1);
  });
});

/** The largest difference relative to the largest magnitude (at least 1): gradients of a sum of squared logits reach hundreds. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]));
  return maxDiff(a, b) / scale;
}

describe('causal models over a dynamic sequence axis round trip (same outputs and gradients at other batch sizes and lengths)', () => {
  const axes = { input: { 0: 'batch', 1: 'seq' }, output: { 0: 'batch', 1: 'seq' } };
  /** Exports at `example`, imports, and compares outputs and every parameter's gradient with the source model at each of `others`. */
  function causalRoundTrip(model: nn.Module<[Tensor], Tensor>, example: Tensor, others: Tensor[]): void {
    model.eval();
    const imported = onnx.load(onnx.export(model, example, { dynamicAxes: axes }));
    imported.eval();
    expect(Object.keys(imported.stateDict()).sort()).toEqual(Object.keys(model.stateDict()).sort());
    const run = (m: nn.AnyModule, x: Tensor) => {
      m.zeroGrad();
      const y = (m as unknown as (x: Tensor) => Tensor)(x);
      y.mul(y).sum().backward();
      // The registered mask buffer comes back as a float initializer that only feeds a comparison: no gradient reaches it.
      return { y: y.toArray(), shape: y.shape, grads: new Map(m.namedParameters().map(([k, p]) => [k, p.grad?.toArray()])) };
    };
    for (const x of others) {
      const a = run(model, x);
      const b = run(imported, x);
      expect(b.shape).toEqual(a.shape);
      expect(maxDiff(a.y, b.y)).toBeLessThan(1e-4);
      for (const [k, g] of a.grads) expect(relDiff(g!, b.grads.get(k)!), k).toBeLessThan(1e-5);
    }
  }
  const tokens = (batch: number, seq: number) => randint(0, 11, [batch, seq], { dtype: 'int32' });

  it("examples/text-gpt.mjs's model, exported at its context length, at batch 3 × 5 and 1 × 7", () => {
    manualSeed(41);
    causalRoundTrip(new TextGPT(11, 8, 16, 2), tokens(2, 8), [tokens(3, 5), tokens(1, 7)]);
  });

  it("examples/names-transformer.mjs's model at batch 2 × 8 and 4 × 3", () => {
    manualSeed(42);
    causalRoundTrip(new NamesGPT(11, 8, 16, 2), tokens(2, 8), [tokens(2, 8), tokens(4, 3)]);
  });

  it('tril(ones([T, T])), a registered [context, context] mask cut to [:T, :T], a JavaScript-built square subsequent mask and MultiheadAttention isCausal at 3 × 4 and 2 × 9', () => {
    manualSeed(43);
    causalRoundTrip(new MaskedAttention(10), randn([2, 6, 8]), [randn([3, 4, 8]), randn([2, 9, 8])]);
  });
});

interface Record32 {
  shape: number[];
  dtype: 'float32';
  data: number[];
}
const torchFiles: {
  torch: string;
  cases: { name: string; file: string; ops: string[]; outputNames: string[]; runs: { input: Record32; outputs: Record32[] }[] }[];
} = JSON.parse(readFileSync(new URL('./fixtures/onnx/torch-onnx.json', import.meta.url), 'utf8'));

// Files written by PyTorch 1.13's torch.onnx.export (scripts/torch_onnx_fixtures.py), with PyTorch's outputs.
describe(`onnx.load runs what PyTorch ${torchFiles.torch}'s exporter writes`, () => {
  for (const c of torchFiles.cases) {
    it(`${c.name} (${c.ops.join(', ')}) at both batch sizes, and it trains`, () => {
      const model = onnx.load(new Uint8Array(readFileSync(new URL(`./fixtures/onnx/${c.file}`, import.meta.url))));
      model.eval();
      expect(model.outputNames).toEqual(c.outputNames);
      for (const run of c.runs) {
        const x = tensor(run.input.data, { shape: run.input.shape, dtype: run.input.dtype });
        const got = flatOutputs(noGrad(() => model(x)));
        expect(got.map((t) => t.shape)).toEqual(run.outputs.map((o) => o.shape));
        got.forEach((t, k) => expect(maxDiff(t.toArray(), run.outputs[k].data)).toBeLessThan(1e-4));
      }
      // Its initializers are parameters that receive gradients.
      const x = tensor(c.runs[0].input.data, { shape: c.runs[0].input.shape });
      const loss = flatOutputs(model(x))
        .map((y) => y.mul(y).sum())
        .reduce((p, q) => p.add(q));
      loss.backward();
      const params = model.parameters();
      expect(params.length).toBeGreaterThan(0);
      for (const p of params) expect(p.grad, 'every parameter gets a gradient').not.toBeNull();
    });
  }
});

const gptFile = new Uint8Array(readFileSync(new URL('./fixtures/onnx/gpt-causal.onnx', import.meta.url)));
const gptRuns: { torch: string; ops: string[]; runs: { input: { shape: number[]; data: number[] }; outputs: Record32[] }[] } = JSON.parse(
  readFileSync(new URL('./fixtures/onnx/gpt-causal.json', import.meta.url), 'utf8'),
);

// scripts/torch_onnx_causal.py: arange positions (Range), generate_square_subsequent_mask and tril(ones(T, T)) (Trilu), a sliced tril buffer (Slice).
describe(`onnx.load runs a causal GPT that PyTorch ${gptRuns.torch} exported with a dynamic batch and sequence`, () => {
  it(`(${gptRuns.ops.join(', ')}) at batch × length 2 × 8, 3 × 5, 1 × 3 and 4 × 7, and gradients reach its weights`, () => {
    const model = onnx.load(gptFile);
    model.eval();
    for (const run of gptRuns.runs) {
      const ids = tensor(run.input.data, { shape: run.input.shape, dtype: 'int32' });
      const logits = noGrad(() => model(ids));
      expect(logits.shape).toEqual(run.outputs[0].shape);
      expect(maxDiff(logits.toArray(), run.outputs[0].data)).toBeLessThan(1e-4);
    }
    const ids = tensor(gptRuns.runs[1].input.data, { shape: gptRuns.runs[1].input.shape, dtype: 'int32' });
    const y = model(ids);
    y.mul(y).sum().backward();
    // attn.bias, the registered tril buffer, is read only through a comparison: a buffer, not a parameter.
    expect(model.namedBuffers().map(([name]) => name)).toEqual(['attn.bias']);
    expect(model.namedParameters().map(([name]) => name)).not.toContain('attn.bias');
    for (const [name, p] of model.namedParameters()) expect(p.grad, name).not.toBeNull();
    expect(Object.keys(model.stateDict())).toContain('attn.bias');
  });
});

const masksFile = new Uint8Array(readFileSync(new URL('./fixtures/onnx/masks.onnx', import.meta.url)));
const masks: {
  torch: string;
  initializers: Record<string, string>;
  parameters: Record<string, number>;
  buffers: Record<string, number>;
  runs: { input: { shape: number[]; data: number[] }; outputs: Record32[] }[];
} = JSON.parse(readFileSync(new URL('./fixtures/onnx/masks.json', import.meta.url), 'utf8'));

// scripts/torch_onnx_masks.py: at a fixed length PyTorch folds the masks into initializers, which a bias-like Add or a Where condition consumes.
describe(`onnx.load keeps the masks PyTorch ${masks.torch} writes as initializers out of parameters()`, () => {
  it('-inf and finfo.min additive masks and int64 position_ids are buffers, a folded bool condition a constant; the weights are parameters that train', () => {
    const model = onnx.load(masksFile);
    expect(Object.keys(masks.initializers)).toContain('causal');
    expect(new Set(model.namedBuffers().map(([name]) => name))).toEqual(new Set(['position_ids', 'causal', 'finfo_mask']));
    const bufferDtypes = Object.fromEntries(model.namedBuffers().map(([name, b]) => [name, b.dtype]));
    expect(bufferDtypes).toEqual({ position_ids: 'int32', causal: 'float32', finfo_mask: 'float32' });
    // PyTorch's exporter stores Linear weights transposed under onnx::MatMul_* names: the same weights, counted by size.
    const numel = (p: Tensor) => p.shape.reduce((a, b) => a * b, 1);
    const sizes = model.parameters().map(numel);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(Object.values(masks.parameters).reduce((a, b) => a + b, 0));
    expect(sizes.length).toBe(Object.keys(masks.parameters).length);
    for (const p of model.parameters()) expect(Array.from(p.toArray()).every((v) => Math.abs(v) < 1e30)).toBe(true);
    model.eval();
    for (const run of masks.runs) {
      const ids = tensor(run.input.data, { shape: run.input.shape, dtype: 'int32' });
      const logits = noGrad(() => model(ids));
      expect(logits.shape).toEqual(run.outputs[0].shape);
      expect(maxDiff(logits.toArray(), run.outputs[0].data)).toBeLessThan(1e-4);
    }
    // Fine-tuning moves the weights and leaves the masks as they were.
    const ids = tensor(masks.runs[0].input.data, { shape: masks.runs[0].input.shape, dtype: 'int32' });
    const causalBefore = Array.from(model.stateDict().causal.toArray());
    const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
    const loss = () => model(ids).pow(2).mean();
    const before = noGrad(() => loss().item());
    for (let i = 0; i < 5; i++) {
      opt.zeroGrad();
      loss().backward();
      opt.step();
    }
    expect(noGrad(() => loss().item())).toBeLessThan(before);
    expect(Array.from(model.stateDict().causal.toArray())).toEqual(causalBefore);
    expect(causalBefore).toContain(Number.NEGATIVE_INFINITY);
    // A state dict holds the buffers under the file's names and loads back into a fresh import.
    const fresh = onnx.load(masksFile);
    fresh.loadStateDict(model.stateDict());
    expect(maxDiff(noGrad(() => fresh(ids)).toArray(), noGrad(() => model(ids)).toArray())).toBe(0);
  });
});

describe('an imported model fine-tunes', () => {
  it('an optimizer lowers the loss of the imported MLP, and it exports again', () => {
    manualSeed(8);
    const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 1));
    const imported = onnx.load(onnx.export(model, randn([2, 4]), { dynamicAxes: { input: [0], output: [0] } }));
    const x = randn([32, 4]);
    const target = x.sum(1, true);
    const opt = new optim.Adam(imported.parameters(), { lr: 0.01 });
    const lossOf = () => nn.functional.mseLoss(imported(x), target);
    const before = noGrad(() => lossOf().item());
    for (let i = 0; i < 50; i++) {
      opt.zeroGrad();
      lossOf().backward();
      opt.step();
    }
    const after = noGrad(() => lossOf().item());
    expect(after).toBeLessThan(before * 0.5);
    const again = onnx.load(onnx.export(imported, x));
    expect(maxDiff(noGrad(() => again(x)).toArray(), noGrad(() => imported(x)).toArray())).toBeLessThan(1e-5);
  });
});

describe('onnx.load errors', () => {
  it('an unknown op is named with its node', () => {
    const bytes = onnx.export(new Linear(2, 2), randn([1, 2]));
    // Rename the Gemm node's op type to one Tessera lacks (same length, so the protobuf stays valid).
    const text = Buffer.from(bytes);
    const at = text.indexOf('Gemm', text.indexOf('Gemm') + 4);
    const broken = new Uint8Array(bytes);
    broken.set(Buffer.from('Zork'), at >= 0 ? at : text.indexOf('Gemm'));
    expect(() => onnx.load(broken)).toThrow(/op 'Zork' \(node '.*'\) is not supported/);
  });

  it('a file that is not ONNX fails with a byte offset or a missing graph', async () => {
    expect(() => onnx.load(new Uint8Array([0x0a, 0xff, 0x01]))).toThrow(/byte|graph/);
    expect(() => onnx.load(new Uint8Array([0x08, 0x01]))).toThrow(/no graph/);
    expect(() => onnx.load('model.onnx' as never)).toThrow(/Uint8Array or ArrayBuffer/);
    await expect(onnx.loadFile(5 as never)).rejects.toThrow(/onnx.loadFile: path must be a non-empty string \(got 5\)/);
  });

  it("a forward argument that is not a Tensor, or not the graph input's rank, fixed dims or kind, is named with the input", () => {
    const model = onnx.load(onnx.export(new Linear(3, 2), randn([2, 3]), { dynamicAxes: { input: [0], output: [0] } }));
    expect(() => model([1, 2, 3] as never)).toThrow(/onnx model: input 'input' must be a Tensor \(got \[1, 2, 3\]\)/);
    expect(() => model(randn([4, 5]))).toThrow(/onnx model: input 'input' has shape \[4, 5\], but the graph declares \[input_dim0, 3\]/);
    expect(() => model(randn([3]))).toThrow(/has shape \[3\], but the graph declares/);
    expect(() => model(tensor([[1, 2, 3]], { dtype: 'int32' }))).toThrow(/onnx model: input 'input' is int32, but the graph declares float32/);
    expect(noGrad(() => model(randn([4, 3]))).shape).toEqual([4, 2]);
  });
});

describe('onnx.load runs the int8 forms onnx.export writes (QDQ and DynamicQuantizeLinear → MatMulInteger)', () => {
  const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>) => maxDiff(a, b) / Math.max(...Array.from(b, Math.abs));
  for (const reduceRange of [false, true]) {
    it(`a statically quantized CNN and a dynamically quantized MLP (reduceRange ${reduceRange}) give the int8 model's outputs`, () => {
      manualSeed(21);
      const cnn = new Sequential(new Conv2d(4, 8, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(8 * 4 * 4, 5));
      quantization.prepare(cnn, { reduceRange });
      noGrad(() => {
        for (let i = 0; i < 3; i++) cnn(randn([8, 4, 8, 8]));
      });
      quantization.convert(cnn);
      const mlp = quantization.quantizeDynamic(new Sequential(new Linear(32, 16), new ReLU(), new Linear(16, 4)), { reduceRange });
      for (const [model, x, other] of [
        [cnn, randn([2, 4, 8, 8]), randn([3, 4, 8, 8])],
        [mlp, randn([2, 32]), randn([5, 32])],
      ] as const) {
        const bytes = onnx.export(model, x, { dynamicAxes: { input: [0], output: [0] } });
        const imported = onnx.load(bytes);
        for (const input of [x, other]) {
          expect(maxRel(noGrad(() => imported(input)).toArray(), noGrad(() => model(input)).toArray())).toBeLessThan(1e-5);
        }
        // int8 weights are state (buffers) under the layer's name; nothing quantized is a parameter.
        expect(imported.namedBuffers().some(([name, b]) => name.endsWith('weight_quantized') && b.dtype === 'int32')).toBe(true);
      }
    });
  }
});
