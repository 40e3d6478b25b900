// ONNX import: Tessera → ONNX → Tessera gives the same outputs and gradients, with the file's
// initializer names as state-dict keys; the imported module trains; bad files are named.
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, noGrad, onnx, optim, randint, randn, type Tensor } from '../src/index.js';

const { Sequential, Linear, ReLU, Conv2d, MaxPool2d, BatchNorm2d, Flatten, GELU, LayerNorm, Embedding, AdaptiveAvgPool2d, Module } = nn;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Exports, imports, and compares outputs at a new batch size and every parameter's gradient of a sum-of-squares loss. */
function roundTrip(model: nn.Module, example: Tensor, other: Tensor): nn.Module {
  model.eval();
  const bytes = onnx.export(model, example, { dynamicAxes: { input: [0], output: [0] } });
  const imported = onnx.load(bytes);
  imported.eval();
  // num_batches_tracked counts training steps; the graph never reads it, so the file has none.
  const floatKeys = Object.keys(model.stateDict()).filter((k) => !k.endsWith('num_batches_tracked'));
  expect(Object.keys(imported.stateDict()).sort()).toEqual(floatKeys.sort());
  const run = (m: nn.Module) => {
    m.zeroGrad();
    const y = (m as unknown as (x: Tensor) => Tensor)(other);
    const loss = y.mul(y).sum();
    loss.backward();
    const grads = Object.fromEntries(m.namedParameters().map(([k, p]) => [k, Array.from(p.grad!.toArray())]));
    return { y: Array.from(y.toArray()), grads };
  };
  const a = run(model);
  const b = run(imported);
  expect(maxDiff(a.y, b.y)).toBeLessThan(1e-5);
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

  it('a file that is not ONNX fails with a byte offset or a missing graph', () => {
    expect(() => onnx.load(new Uint8Array([0x0a, 0xff, 0x01]))).toThrow(/byte|graph/);
    expect(() => onnx.load(new Uint8Array([0x08, 0x01]))).toThrow(/no graph/);
    expect(() => onnx.load('model.onnx' as never)).toThrow(/Uint8Array or ArrayBuffer/);
  });
});
