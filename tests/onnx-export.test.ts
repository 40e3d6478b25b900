// ONNX export, checked by running every exported model in ONNX Runtime (node's native build and
// the web build's wasm backend) at the export batch size and another one (dynamic batch axis),
// and, where Debian's python3-onnx is installed, by onnx.checker with full shape inference.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { cat, manualSeed, nn, noGrad, observeOps, onnx, randint, randn, tensor, type Tensor } from '../src/index.js';
import { MaskedAttention, NamesGPT, TextGPT } from './causal-models.js';

ortWeb.env.wasm.numThreads = 1;
const {
  Sequential,
  Linear,
  ReLU,
  Conv2d,
  MaxPool2d,
  AvgPool2d,
  AdaptiveAvgPool2d,
  BatchNorm2d,
  BatchNorm1d,
  Flatten,
  Dropout,
  GELU,
  Sigmoid,
  Tanh,
  LayerNorm,
  Embedding,
  Softmax,
  LogSoftmax,
  Module,
} = nn;

const ORT_DTYPE = { float32: 'float32', int32: 'int32', bool: 'bool', float64: 'float64' } as const;

function hasPythonOnnx(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const pythonOnnx = hasPythonOnnx();

function checkWithPython(bytes: Uint8Array): void {
  if (!pythonOnnx) return;
  const path = join(mkdtempSync(join(tmpdir(), 'tessera-onnx-')), 'model.onnx');
  writeFileSync(path, bytes);
  execFileSync('/usr/bin/python3', ['-c', 'import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True)', path]);
}

async function runOrt(ort: typeof ortNode | typeof ortWeb, bytes: Uint8Array, inputs: Record<string, Tensor>): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ortNode.Tensor> = {};
  for (const [name, t] of Object.entries(inputs)) {
    const data = t.dtype === 'bool' ? Uint8Array.from(t.toArray()) : (t.toArray() as Float32Array);
    feeds[name] = new ort.Tensor(ORT_DTYPE[t.dtype as keyof typeof ORT_DTYPE], data, [...t.shape]) as ortNode.Tensor;
  }
  const results = await session.run(feeds);
  return session.outputNames.map((n) => Float32Array.from(results[n].data as Float32Array));
}

/** The tensors of a model's result (nested arrays flattened, nulls dropped), as onnx.export writes its outputs. */
function flatOutputs(v: unknown): Tensor[] {
  if (v === null) return [];
  return Array.isArray(v) ? v.flatMap(flatOutputs) : [v as Tensor];
}

/** Exports `model` traced at `args`, then runs it in both runtimes at args and at argsOther, comparing every output with Tessera's within 1e-4. */
async function roundTrip(model: nn.AnyModule, args: Tensor[], argsOther: Tensor[], options: onnx.ExportOptions = {}): Promise<Uint8Array> {
  model.eval();
  const names = options.inputNames ?? (args.length === 1 ? ['input'] : args.map((_, i) => `input_${i}`));
  const dynamicAxes = options.dynamicAxes ?? Object.fromEntries([...names, 'output'].map((n) => [n, [0]]));
  const bytes = onnx.export(model, args, { ...options, dynamicAxes });
  checkWithPython(bytes);
  for (const a of [args, argsOther]) {
    const expected = noGrad(() => flatOutputs((model as unknown as (...x: Tensor[]) => unknown)(...a)).map((t) => t.toArray()));
    const feeds = Object.fromEntries(names.map((n, i) => [n, a[i]]));
    for (const ort of [ortNode, ortWeb]) {
      const got = await runOrt(ort, bytes, feeds);
      expect(got.length).toBe(expected.length);
      got.forEach((g, k) => {
        expect(g.length).toBe(expected[k].length);
        let worst = 0;
        for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i] - expected[k][i]));
        expect(worst, `output ${k}`).toBeLessThan(1e-4);
      });
    }
  }
  return bytes;
}

/** Which of a few op types appear in an exported model's bytes. */
function opTypes(bytes: Uint8Array): Set<string> {
  const text = Buffer.from(bytes).toString('latin1');
  return new Set(['LSTM', 'GRU', 'RNN', 'Softmax', 'MatMul'].filter((op) => text.includes(op)));
}

describe('onnx.export runs in ONNX Runtime with the same outputs', () => {
  it('an MLP with every activation, at batch 4 and 7', async () => {
    manualSeed(1);
    const model = new Sequential(
      new Linear(6, 16),
      new ReLU(),
      new Linear(16, 16),
      new GELU(),
      new Linear(16, 8),
      new Tanh(),
      new Dropout(0.3),
      new Linear(8, 8),
      new Sigmoid(),
      new Linear(8, 5),
      new LogSoftmax(1),
    );
    await roundTrip(model, [randn([4, 6])], [randn([7, 6])]);
  });

  it('the sequence-model activations and norms (LeakyReLU, SiLU, ELU, Softplus, Mish, Hardswish, tanh GELU, GroupNorm, RMSNorm), at batch 2 and 5', async () => {
    manualSeed(11);
    const model = new Sequential(
      new Conv2d(2, 4, 3, { padding: 1 }),
      new nn.GroupNorm(2, 4),
      new nn.LeakyReLU(0.1),
      new nn.ELU(0.7),
      new nn.Softplus({ beta: 2, threshold: 1 }),
      new Flatten(),
      new Linear(4 * 3 * 3, 6),
      new nn.RMSNorm(6),
      new nn.SiLU(),
      new nn.Mish(),
      new Linear(6, 6),
      new nn.Hardswish(),
      new GELU({ approximate: 'tanh' }),
    );
    const bytes = await roundTrip(model, [randn([2, 2, 3, 3])], [randn([5, 2, 3, 3])]);
    const x = randn([3, 2, 3, 3]);
    const imported = onnx.load(bytes);
    const [want, got] = noGrad(() => [model(x).toArray(), (imported(x) as Tensor).toArray()]);
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5));
  });

  it('a CNN with batch norm, grouped and dilated convolutions, padding modes and every pool, at batch 2 and 5', async () => {
    manualSeed(2);
    const model = new Sequential(
      new Conv2d(3, 8, 3, { padding: 1 }),
      new BatchNorm2d(8),
      new ReLU(),
      new Conv2d(8, 8, 3, { groups: 4, dilation: 2, padding: 'same' }),
      new ReLU(),
      new MaxPool2d(2),
      new Conv2d(8, 12, 3, { stride: 2, padding: 'valid', bias: false }),
      new AvgPool2d(3, { stride: 1, padding: 1, countIncludePad: false }),
      new AdaptiveAvgPool2d(1),
      new Flatten(),
      new BatchNorm1d(12),
      new Linear(12, 4),
      new Softmax(-1),
    );
    // Batch norm with non-trivial running statistics: a few training steps first.
    noGrad(() => {
      for (let i = 0; i < 3; i++) model(randn([6, 3, 12, 12]));
    });
    await roundTrip(model, [randn([2, 3, 12, 12])], [randn([5, 3, 12, 12])]);
  });

  it("Conv2d's reflect, replicate and circular paddingMode (the pad written as Gathers), at batch 2 and 5, and back through onnx.load", async () => {
    manualSeed(7);
    const model = new Sequential(
      new Conv2d(2, 4, 3, { padding: 1, paddingMode: 'reflect' }),
      new ReLU(),
      new Conv2d(4, 4, 3, { padding: [1, 2], stride: 2, paddingMode: 'replicate' }),
      new ReLU(),
      new Conv2d(4, 3, 3, { padding: 'same', paddingMode: 'circular' }),
    );
    const bytes = await roundTrip(model, [randn([2, 2, 9, 10])], [randn([5, 2, 9, 10])]);
    const imported = onnx.load(bytes);
    const x = randn([3, 2, 9, 10]);
    const [want, got] = noGrad(() => [model(x).toArray(), (imported(x) as Tensor).toArray()]);
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5));
  });

  it('ReLU6 and Hardtanh as Clip, at batch 3 and 6, and back through onnx.load with the same outputs and gradients', async () => {
    manualSeed(14);
    const first = new Linear(4, 8);
    noGrad(() => first.weight.mul_(4));
    const model = new Sequential(first, new nn.ReLU6(), new Linear(8, 6), new nn.Hardtanh({ minVal: -0.5, maxVal: 0.8 }));
    const x = randn([3, 4]);
    const bytes = await roundTrip(model, [x], [randn([6, 4])]);
    const ops = Buffer.from(bytes).toString('latin1');
    expect(ops.includes('Clip')).toBe(true);
    const y = noGrad(() => model(x)).toArray();
    expect(
      Array.from(y).some((v) => v === -0.5 || Math.abs(v - 0.8) < 1e-7),
      'some outputs are clipped',
    ).toBe(true);
    const imported = onnx.load(bytes);
    expect(Array.from(noGrad(() => imported(x)).toArray())).toEqual(Array.from(y));
    const grads = (m: nn.AnyModule) => {
      m.zeroGrad();
      (m as unknown as (t: Tensor) => Tensor)(x).pow(2).sum().backward();
      return m.parameters().map((p) => Array.from(p.grad!.toArray()));
    };
    const [want, got] = [grads(model), grads(imported)];
    want.forEach((g, k) => g.forEach((v, i) => expect(Math.abs(v - got[k][i])).toBeLessThan(1e-5)));
  });

  it('AdaptiveAvgPool2d with uneven windows (output not dividing input) as averaging-matrix MatMuls, at batch 2 and 5, and back through onnx.load', async () => {
    manualSeed(13);
    const model = new Sequential(
      new Conv2d(2, 3, 3, { padding: 1 }),
      new AdaptiveAvgPool2d([5, 3]),
      new ReLU(),
      new AdaptiveAvgPool2d([null, 2]),
      new AdaptiveAvgPool2d([3, 2]),
    );
    const bytes = await roundTrip(model, [randn([2, 2, 7, 10])], [randn([5, 2, 7, 10])]);
    // The windows overlap (7 → 5 rows: 0–1, 1–2, 2–4, 4–5, 5–6), so no AveragePool is written.
    expect(Buffer.from(bytes).includes('AveragePool')).toBe(false);
    const imported = onnx.load(bytes);
    expect(imported.parameters().map((p) => [...p.shape])).toEqual([[3, 2, 3, 3], [3]]);
    const x = randn([3, 2, 7, 10]);
    const [want, got] = noGrad(() => [model(x).toArray(), (imported(x) as Tensor).toArray()]);
    expect(want.length).toBe(3 * 3 * 3 * 2);
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5));
  });

  it('an embedding + layer norm model over [batch, seq] int32 tokens with a dynamic batch and sequence', async () => {
    manualSeed(3);
    class Tokens extends Module {
      emb = new Embedding(20, 8);
      norm = new LayerNorm(8);
      head = new Linear(8, 3);
      forward(ids: Tensor): Tensor {
        const h = this.norm(this.emb(ids));
        const pooled = h.mean(1);
        return this.head(pooled.add(h.select(1, -1))).relu();
      }
    }
    const model = new Tokens();
    await roundTrip(model, [randint(0, 20, [3, 5], { dtype: 'int32' })], [randint(0, 20, [6, 9], { dtype: 'int32' })], {
      inputNames: ['ids'],
      dynamicAxes: { ids: { 0: 'batch', 1: 'seq' }, output: { 0: 'batch' } },
    });
  });

  it('shape ops, elementwise math and two inputs and outputs', async () => {
    manualSeed(4);
    class Mixer extends Module {
      fc = new Linear(4, 4);
      forward(a: Tensor, b: Tensor): Tensor {
        const h = this.fc(a).mul(b.sigmoid()).add(1).div(2).sub(b.abs().sqrt());
        const stacked = h.unsqueeze(1).expand(-1, 3, -1).permute(0, 2, 1).transpose(1, 2).reshape(-1, 12);
        const cut = stacked.slice(1, 2, 12, 3).clamp(-1, 1).exp().log();
        const both = cat([h, cut.neg()], 1);
        return cat([both.softmax(1), both.max(1).values.maximum(b.sum(1)).unsqueeze(1)], 1);
      }
    }
    const model = new Mixer();
    const bytes = onnx.export(model, [randn([2, 4]), randn([2, 4])], { inputNames: ['a', 'b'], outputNames: ['scores'], dynamicAxes: { a: [0], b: [0] } });
    checkWithPython(bytes);
    const a = randn([5, 4]);
    const b = randn([5, 4]);
    const expected = noGrad(() => model(a, b)).toArray();
    for (const ort of [ortNode, ortWeb]) {
      const [got] = await runOrt(ort, bytes, { a, b });
      expect(got.length).toBe(5 * 9);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThan(1e-4);
    }
  });
});

describe('recurrent layers export as ONNX RNN/LSTM/GRU with the same outputs', () => {
  const seqFirst = (batch: number) => randn([5, batch, 4]);
  const batchFirst = (batch: number) => randn([batch, 5, 4]);
  const axes = (batchDim: number, states: string[]) => ({
    input: [batchDim],
    ...Object.fromEntries(['output_0', ...states].map((n, k) => [n, [k === 0 ? batchDim : 1]])),
  });

  it('a two-layer bidirectional batch-first LSTM: output, h_n and c_n at batch 3 and 6', async () => {
    manualSeed(11);
    const lstm = new nn.LSTM(4, 6, { numLayers: 2, bidirectional: true, batchFirst: true });
    const bytes = await roundTrip(lstm, [batchFirst(3)], [batchFirst(6)], { dynamicAxes: axes(0, ['output_1', 'output_2']) });
    expect(opTypes(bytes).has('LSTM')).toBe(true);
  });

  it('an LSTM given (h0, c0) as graph inputs, sequence first', async () => {
    manualSeed(12);
    const lstm = new nn.LSTM(4, 3, { numLayers: 2 });
    class WithState extends Module {
      lstm = lstm;
      forward(x: Tensor, h0: Tensor, c0: Tensor): Tensor {
        return this.lstm(x, [h0, c0])[0];
      }
    }
    const args = (b: number) => [seqFirst(b), randn([2, b, 3]), randn([2, b, 3])];
    await roundTrip(new WithState(), args(2), args(4), { dynamicAxes: { input_0: [1], input_1: [1], input_2: [1], output: [1] } });
  });

  it('a two-layer GRU (linear_before_reset, z-r-h gate order) and a bidirectional one', async () => {
    manualSeed(13);
    const gru = new nn.GRU(4, 5, { numLayers: 2 });
    const bytes = await roundTrip(gru, [seqFirst(2)], [seqFirst(5)], { dynamicAxes: axes(1, ['output_1']) });
    expect(opTypes(bytes).has('GRU')).toBe(true);
    await roundTrip(new nn.GRU(4, 3, { bidirectional: true, batchFirst: true }), [batchFirst(2)], [batchFirst(3)], { dynamicAxes: axes(0, ['output_1']) });
  });

  it('tanh and relu RNNs, bidirectional, and an unbatched LSTM', async () => {
    manualSeed(14);
    await roundTrip(new nn.RNN(4, 3, { bidirectional: true }), [seqFirst(2)], [seqFirst(4)], { dynamicAxes: axes(1, ['output_1']) });
    await roundTrip(new nn.RNN(4, 3, { nonlinearity: 'relu', numLayers: 2 }), [seqFirst(3)], [seqFirst(1)], { dynamicAxes: axes(1, ['output_1']) });
    await roundTrip(new nn.LSTM(4, 3, { bias: false }), [randn([5, 4])], [randn([7, 4])], { dynamicAxes: { input: [0], output_0: [0] } });
  });
});

describe("attention and Transformer layers export as PyTorch's op sequence", () => {
  it('MultiheadAttention returning its averaged weights, and without them (the fused kernel) with a key padding mask', async () => {
    manualSeed(15);
    const mha = new nn.MultiheadAttention(8, 2);
    class SelfAttention extends Module<[Tensor], Tensor[]> {
      mha = mha;
      forward(x: Tensor): Tensor[] {
        const [out, weights] = this.mha(x, x, x);
        return [out, weights!];
      }
    }
    await roundTrip(new SelfAttention(), [randn([4, 2, 8])], [randn([4, 5, 8])], { dynamicAxes: { input: [1], output_0: [1], output_1: [0] } });
    class Padded extends Module {
      mha = new nn.MultiheadAttention(8, 2, { batchFirst: true });
      forward(x: Tensor, pad: Tensor): Tensor {
        return this.mha(x, x, x, { keyPaddingMask: pad, needWeights: false })[0];
      }
    }
    const pad = (b: number) =>
      tensor(
        Array.from({ length: b * 4 }, (_, i) => (i % 4 === 3 ? 1 : 0)),
        { shape: [b, 4], dtype: 'bool' },
      );
    const bytes = await roundTrip(new Padded(), [randn([2, 4, 8]), pad(2)], [randn([3, 4, 8]), pad(3)]);
    expect(opTypes(bytes)).toEqual(new Set(['Softmax', 'MatMul']));
  });

  it('a TransformerEncoder (two layers, gelu, norm first) and a TransformerDecoderLayer with a causal mask, at batch 2 and 3', async () => {
    manualSeed(16);
    const encoder = new nn.TransformerEncoder(
      new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, activation: 'gelu', normFirst: true, batchFirst: true }),
      2,
    );
    await roundTrip(encoder, [randn([2, 5, 8])], [randn([3, 5, 8])]);
    const decoder = new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
    const causal = tensor(
      Array.from({ length: 16 }, (_, i) => (i % 4 > Math.floor(i / 4) ? -Infinity : 0)),
      { shape: [4, 4] },
    );
    class Decode extends Module {
      decoder = decoder;
      forward(tgt: Tensor, memory: Tensor): Tensor {
        // The float mask, then the same attention as isCausal (the fused kernel's own mask).
        return this.decoder(tgt, memory, { tgtMask: causal }).add(this.decoder(tgt, memory, { tgtIsCausal: true }));
      }
    }
    await roundTrip(new Decode(), [randn([4, 2, 8]), randn([6, 2, 8])], [randn([4, 3, 8]), randn([6, 3, 8])], {
      dynamicAxes: { input_0: [1], input_1: [1], output: [1] },
    });
  });
});

describe('GPT-style causal models export with a dynamic batch and sequence axis', () => {
  const tokens = (batch: number, seq: number) => randint(0, 11, [batch, seq], { dtype: 'int32' });
  const axes = { idx: { 0: 'batch', 1: 'seq' }, logits: { 0: 'batch', 1: 'seq' } };

  it("examples/text-gpt.mjs's model (arange positions, causal TransformerEncoder, tied head) traced at the full context (2 × 8), run at batch 3 × 5", async () => {
    manualSeed(31);
    const model = new TextGPT(11, 8, 16, 2);
    const options = { inputNames: ['idx'], outputNames: ['logits'], dynamicAxes: axes };
    const bytes = await roundTrip(model, [tokens(2, 8)], [tokens(3, 5)], options);
    // The mask and the positions are computed from the input's run-time length, not stored at the traced one.
    const text = Buffer.from(bytes).toString('latin1');
    for (const op of ['Range', 'LessOrEqual', 'Where']) expect(text).toContain(op);
  });

  it("examples/names-transformer.mjs's model (positions built in JavaScript, SDPA isCausal, split q/k/v) traced at a view (rows of a batch), at batch 2 × 8 and 3 × 5", async () => {
    manualSeed(32);
    const view = tokens(4, 9).slice(0, 1, 3).slice(1, 0, 8);
    await roundTrip(new NamesGPT(11, 8, 16, 2), [view], [tokens(3, 5)], { inputNames: ['idx'], outputNames: ['logits'], dynamicAxes: axes });
  });

  it('masks built from x.shape: tril(ones([T, T])), a registered [context, context] mask cut to [:T, :T], a generate_square_subsequent_mask-style float mask, MultiheadAttention isCausal with and without weights', async () => {
    manualSeed(33);
    await roundTrip(new MaskedAttention(10), [randn([2, 10, 8])], [randn([3, 4, 8])], {
      dynamicAxes: { input: { 0: 'batch', 1: 'seq' }, output: { 0: 'batch', 1: 'seq' } },
    });
  });

  it('a causal TransformerDecoder over a dynamic target length, sequence first', async () => {
    manualSeed(34);
    const decoder = new nn.TransformerDecoder(new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16 }), 2);
    class Decode extends Module {
      decoder = decoder;
      forward(tgt: Tensor, memory: Tensor): Tensor {
        return this.decoder(tgt, memory, { tgtIsCausal: true });
      }
    }
    await roundTrip(new Decode(), [randn([6, 2, 8]), randn([5, 2, 8])], [randn([3, 3, 8]), randn([9, 3, 8])], {
      dynamicAxes: { input_0: { 0: 'tgt', 1: 'batch' }, input_1: { 0: 'memory', 1: 'batch' }, output: { 0: 'tgt', 1: 'batch' } },
    });
  });

  it("a GPT imported from PyTorch 1.13's export (scripts/torch_onnx_causal.py) exports again with its dynamic batch and sequence", async () => {
    const imported = onnx.load(new Uint8Array(readFileSync(new URL('./fixtures/onnx/gpt-causal.onnx', import.meta.url))));
    const { runs } = JSON.parse(readFileSync(new URL('./fixtures/onnx/gpt-causal.json', import.meta.url), 'utf8')) as {
      runs: { input: { shape: number[]; data: number[] }; outputs: { data: number[] }[] }[];
    };
    const ids = runs.map((r) => tensor(r.input.data, { shape: r.input.shape, dtype: 'int32' }));
    const bytes = await roundTrip(imported, [ids[0]], [ids[1]], { inputNames: ['idx'], outputNames: ['logits'], dynamicAxes: axes });
    // And it still gives PyTorch's logits, at a length it was not traced at.
    const [got] = await runOrt(ortNode, bytes, { idx: ids[3] });
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - runs[3].outputs[0].data[i]));
    expect(worst).toBeLessThan(1e-4);
  });

  it('a batch and a sequence of the same size, and a constant that follows the sequence in no known pattern, are refused naming why', () => {
    const model = new TextGPT(11, 8, 16, 2);
    expect(() => onnx.export(model, tokens(4, 4), { inputNames: ['idx'], dynamicAxes: axes })).toThrow(
      /dynamic dims 0 of 'idx' and 1 of 'idx' are both 4 in the example input/,
    );
    class Noisy extends Module {
      forward(x: Tensor): Tensor {
        return x.add(randn([x.shape[1], 1]));
      }
    }
    expect(() => onnx.export(new Noisy(), randn([2, 5, 3]), { dynamicAxes: { input: [1] } })).toThrow(
      /op 'add' in module \(root\) \(Noisy\) reads a constant whose shape \(\[5, 1\] vs \[4, 1\]\) follows the dynamic axes and is not a fill, an arange or a triangular mask/,
    );
  });
});

describe('onnx.export errors', () => {
  it('an op with no ONNX form fails naming the op and the module path', () => {
    class Lossy extends Module {
      inner = new Sequential(
        new Linear(3, 3),
        new (class Scorer extends Module {
          forward(x: Tensor): Tensor {
            return nn.functional.crossEntropy(x, tensor([0, 1], { dtype: 'int32' }));
          }
        })(),
      );
      forward(x: Tensor): Tensor {
        return this.inner(x);
      }
    }
    expect(() => onnx.export(new Lossy(), randn([2, 3]))).toThrow(/op 'crossEntropy' in module 'inner\.1' \(Scorer\)/);
  });

  it('an adaptive pool over a dynamic height or width (windows that change with the size) fails naming the layer', () => {
    const pool = new Sequential(new AdaptiveAvgPool2d([3, 2]));
    expect(() => onnx.export(pool, randn([2, 1, 7, 8]), { dynamicAxes: { input: [0, 2], output: [0] } })).toThrow(
      /op 'adaptiveAvgPool2d' in module '0' \(AdaptiveAvgPool2d\) cannot be exported: its input height or width follows a dynamic axis/,
    );
  });

  it('bad arguments are named', async () => {
    const model = new Linear(3, 2);
    expect(() => onnx.export(model, [] as Tensor[])).toThrow(/args must be a Tensor/);
    expect(() => onnx.export(model, randn([2, 3]), { opsetVersion: 9 })).toThrow(/opsetVersion must be 13 to 17/);
    expect(() => onnx.export(model, randn([2, 3]), { dynamicAxes: { x: [0] } })).toThrow(/dynamicAxes names 'x'/);
    expect(() => onnx.export(model, randn([2, 3]), { dynamicAxes: { input: [2] } })).toThrow(/names dim 2, but the input has 2 dims/);
    expect(() => onnx.export({} as nn.Module, randn([2, 3]))).toThrow(/model must be an nn.Module/);
    expect(() => onnx.export(model, randn([2, 3]), { inputNames: 'x' as never })).toThrow(/inputNames must be an array of non-empty strings \(got "x"\)/);
    expect(() => onnx.export(model, randn([2, 3]), { outputNames: [1] as never })).toThrow(/outputNames must be an array of non-empty strings \(got \[1\]\)/);
    expect(() => onnx.export(model, randn([2, 3]), { inputNames: ['x'], outputNames: ['x'] })).toThrow(/'x' names both an input and an output/);
    expect(() => onnx.export(model, [randn([2, 3]), randn([2, 3])], { inputNames: ['a', 'a'] })).toThrow(/inputNames names 'a' twice/);
    expect(() => onnx.export(model, randn([2, 3]), { dynamicAxes: 5 as never })).toThrow(/dynamicAxes must be an object/);
    expect(() => onnx.export(model, randn([2, 3]), { dynamicAxes: { input: 'batch' as never } })).toThrow(/dynamicAxes\['input'\] must be an array of dims/);
    await expect(onnx.exportToFile(model, randn([2, 3]), undefined as never)).rejects.toThrow(/onnx.exportToFile: path must be a non-empty string/);
  });
});

describe('observeOps', () => {
  it('reports each op with its inputs, output and settings; a composite as the ops it is built from', () => {
    const fc = new Linear(3, 2);
    const seen: string[] = [];
    const x = randn([4, 3]);
    const y = observeOps(
      (e) => seen.push(`${e.name}:${e.inputs.length}:${e.output.shape.join('x')}`),
      () => fc(x).softmax(1),
    );
    expect(seen).toEqual(['linear:3:4x2', 'softmax:1:4x2']);
    expect(y.shape).toEqual([4, 2]);
    seen.length = 0;
    observeOps(
      (e) => seen.push(`${e.name}:${e.inputs.length}:${e.output.shape.join('x')}`),
      () => nn.functional.silu(x),
    );
    expect(seen).toEqual(['sigmoid:1:4x3', 'mul:2:4x3']);
    const attrs: unknown[] = [];
    observeOps(
      (e) => attrs.push(e.attrs),
      () => x.transpose(0, 1).sum([1], true),
    );
    expect(attrs).toEqual([
      { dim0: 0, dim1: 1 },
      { dims: [1], keepdim: true },
    ]);
    expect(() => observeOps(null as never, () => 1)).toThrow(/observer must be a function/);
  });
});
