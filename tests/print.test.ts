// Tensors print as PyTorch prints them; modules print their tree (issue 11 §3).
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type DType, nn, randn, summary, type Tensor, tensor } from '../src/index.js';

// Written by scripts/torch_print_fixtures.py (PyTorch 1.13's repr, in Tessera's spelling).
const cases = JSON.parse(readFileSync(new URL('./fixtures/torch-print.json', import.meta.url), 'utf8')) as {
  name: string;
  shape: number[];
  dtype: DType;
  data: (number | boolean | 'nan' | 'inf' | '-inf')[];
  requires_grad: boolean;
  repr: string;
}[];

describe("tensors print as PyTorch's repr (tests/fixtures/torch-print.json)", () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const device = c.dtype === 'float64' ? 'js' : 'wasm';
    const special = { nan: Number.NaN, inf: Infinity, '-inf': -Infinity };
    const data = c.data.map((v) => (typeof v === 'string' ? special[v] : v)) as number[];
    const t = tensor(data, { shape: c.shape, dtype: c.dtype, device });
    if (c.requires_grad) t.requiresGrad_();
    // float64 lives on the 'js' device only, which the suffix names (PyTorch's CPU is its default).
    expect(t.toString().replace(", device='js'", '')).toBe(c.repr);
    expect(inspect(t)).toBe(t.toString());
  });
});

describe('what printing shows beyond the values', () => {
  it('console.log(t) prints the values, not the internal fields; a 100×100 tensor shows values', () => {
    const printed = inspect(randn(100, 100));
    expect(printed).toMatch(/^tensor\(\[\[ ?-?\d\.\d{4}, /);
    expect(printed).toContain('...');
    expect(printed).not.toContain('storage');
    expect(printed.split('\n')).toHaveLength(7);
  });
  it('gradFn, a non-default device, and a released tensor', () => {
    const x = tensor([1.5, -2]).requiresGrad_();
    expect(String(x.mul(2))).toBe('tensor([ 3., -4.], gradFn=<mul>)');
    expect(String(tensor([0.25], { device: 'js' }))).toBe("tensor([0.2500], device='js')");
    const y = tensor([1, 2]).float();
    y.dispose();
    expect(String(y)).toBe('tensor(<released: dispose() was called on it>, shape=[2], dtype=float32)');
  });
  it('console.log(model) prints the module tree, nested with indentation', () => {
    const model = new nn.Sequential(new nn.Linear(2, 3), new nn.Sequential(new nn.ReLU(), new nn.Dropout(0.5)));
    expect(inspect(model)).toBe(
      'Sequential(\n  (0): Linear(inFeatures=2, outFeatures=3, bias=true)\n  (1): Sequential(\n    (0): ReLU()\n    (1): Dropout(p=0.5)\n  )\n)',
    );
  });
});

describe('summary(model, inputShape): a Keras-like table', () => {
  class Net extends nn.Module {
    features = new nn.Sequential(new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2));
    flatten = new nn.Flatten();
    head = new nn.Linear(8 * 4 * 4, 10);
    forward(x: Tensor): Tensor {
      return this.head(this.flatten(this.features(x)));
    }
  }

  it('lists every layer with its output shape and own parameters, then the totals and memory', () => {
    const model = new Net();
    model.features.children()[0].requiresGrad_(false);
    const s = summary(model, [2, 3, 8, 8]);
    expect(s.rows.map((r) => [r.name, r.type, r.outputShapes, r.params, r.trainable])).toEqual([
      ['features', 'Sequential', [[2, 8, 4, 4]], 0, null],
      ['features.0', 'Conv2d', [[2, 8, 8, 8]], 8 * 3 * 9 + 8, false],
      ['features.1', 'BatchNorm2d', [[2, 8, 8, 8]], 16, true],
      ['features.2', 'ReLU', [[2, 8, 8, 8]], 0, null],
      ['features.3', 'MaxPool2d', [[2, 8, 4, 4]], 0, null],
      ['flatten', 'Flatten', [[2, 128]], 0, null],
      ['head', 'Linear', [[2, 10]], 1290, true],
    ]);
    expect([s.totalParams, s.trainableParams]).toEqual([224 + 16 + 1290, 16 + 1290]);
    expect(s.paramBytes).toBe(4 * (224 + 16 + 1290));
    expect(s.bufferBytes).toBe(4 * 16 + 4); // running_mean, running_var (float32), num_batches_tracked (int32)
    expect(s.inputBytes).toBe(4 * 2 * 3 * 8 * 8);
    expect(s.activationBytes).toBe(4 * (2 * 128 + 3 * 2 * 512 + 2 * 128 + 2 * 128 + 2 * 10));
    const text = inspect(s);
    expect(text).toBe(String(s));
    const lines = text.split('\n');
    expect(lines).toContain('  0 (Conv2d)            [2, 8, 8, 8]       224   no');
    expect(lines).toContain('head (Linear)           [2, 10]          1,290   yes');
    expect(lines).toContain('Buffers size: 68 B');
    expect(lines).toContain('Total params: 1,530');
    expect(lines).toContain('Non-trainable params: 224');
  });

  it('leaves the model in its mode, and its state untouched (BatchNorm statistics)', () => {
    const model = new Net();
    const before = model.features.children()[1].stateDict().running_mean.tolist();
    summary(model, [1, 3, 8, 8]);
    expect(model.training).toBe(true);
    expect(model.features.children()[1].stateDict().running_mean.tolist()).toEqual(before);
  });

  it('takes several inputs, int32 ids and a depth; wrong input is named', () => {
    const emb = new nn.Sequential(new nn.Embedding(50, 4), new nn.Linear(4, 2));
    expect(summary(emb, [3, 5], { dtype: 'int32' }).rows.map((r) => r.outputShapes)).toEqual([[[3, 5, 4]], [[3, 5, 2]]]);
    expect(summary(new Net(), [1, 3, 8, 8], { depth: 1 }).rows.map((r) => r.name)).toEqual(['features', 'flatten', 'head']);
    const lstm = summary(new nn.LSTM(4, 8, { numLayers: 2 }), [5, 3, 4]);
    expect(lstm.rows.map((r) => [r.type, r.outputShapes, r.params])).toEqual([
      [
        'LSTM',
        [
          [5, 3, 8],
          [2, 3, 8],
          [2, 3, 8],
        ],
        1024,
      ],
    ]);
    expect(() => summary(new Net(), 'x' as never)).toThrow('summary: expected the input shape (with the batch dim, e.g. [1, 3, 32, 32])');
  });
});
