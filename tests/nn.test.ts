// nn: Module mechanics, layers and init, checked against PyTorch where PyTorch has the same thing.
// Regenerate the fixtures with: /usr/bin/python3 scripts/torch_nn_fixtures.py
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manualSeed, memoryStats, nn, noGrad, ones, randn, tensor, zeros, type Tensor } from '../src/index.js';

const {
  Module,
  Parameter,
  Sequential,
  Linear,
  ReLU,
  GELU,
  Tanh,
  Sigmoid,
  Softmax,
  LogSoftmax,
  LayerNorm,
  Embedding,
  BatchNorm1d,
  BatchNorm2d,
  Dropout,
  Flatten,
  Identity,
} = nn;
const F = nn.functional;

interface TensorRecord {
  shape: number[];
  data: number[];
  dtype?: 'int32';
}
interface ModuleCase {
  name: string;
  state: Record<string, TensorRecord>;
  inputs: (TensorRecord & { requiresGrad: boolean })[];
  gradOut: TensorRecord | null;
  out: TensorRecord;
  grads: Record<string, TensorRecord>;
}
interface BatchNormCase {
  name: string;
  module: 'BatchNorm1d' | 'BatchNorm2d';
  numFeatures: number;
  momentum: number | null;
  state: Record<string, TensorRecord>;
  steps: { input: TensorRecord; out: TensorRecord; runningMean: TensorRecord; runningVar: TensorRecord }[];
  eval: { input: TensorRecord; out: TensorRecord };
  gradOut: TensorRecord;
  grads: Record<string, TensorRecord>;
}
const fixtures: { modules: ModuleCase[]; batchnorm: BatchNormCase[] } = JSON.parse(readFileSync(new URL('./fixtures/torch-nn.json', import.meta.url), 'utf8'));

const load = (r: TensorRecord, requiresGrad = false): Tensor =>
  tensor(r.dtype === 'int32' ? Int32Array.from(r.data) : Float32Array.from(r.data), { shape: r.shape, requiresGrad });

const stateOf = (records: Record<string, TensorRecord>): Record<string, Tensor> => Object.fromEntries(Object.entries(records).map(([k, r]) => [k, load(r)]));

function expectClose(actual: Tensor, expected: TensorRecord, what: string, tol = 1e-5): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  const got = actual.toArray();
  expected.data.forEach((e, i) => {
    const err = Math.abs(got[i] - e);
    if (!(err <= tol + tol * 10 * Math.abs(e))) expect.fail(`${what}: element ${i} is ${got[i]}, PyTorch gives ${e}`);
  });
}

class Encoder extends Module {
  fc1 = new Linear(4, 6);
  act = new ReLU();
  forward(x: Tensor): Tensor {
    return this.act.forward(this.fc1.forward(x));
  }
}

/** The nested model of the fixture script: dotted names across children and a list of blocks. */
class Nested extends Module {
  encoder = new Encoder();
  blocks = [new Linear(6, 6), new Linear(6, 6)];
  norm = new LayerNorm(6);
  head = new Linear(6, 2);
  forward(x: Tensor): Tensor {
    let h = this.encoder.forward(x);
    for (const b of this.blocks) h = b.forward(h).tanh().add(h);
    return this.head.forward(this.norm.forward(h));
  }
}

const MODULES: Record<string, () => nn.Module> = {
  mlp: () => new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3)),
  linear_3d_input: () => new Linear(4, 5),
  linear_1d_input: () => new Linear(4, 5),
  linear_no_bias: () => new Linear(6, 2, { bias: false }),
  mlp_gelu_tanh_sigmoid: () => new Sequential(new Linear(3, 6), new GELU(), new Linear(6, 6), new Tanh(), new Linear(6, 2), new Sigmoid()),
  softmax_logsoftmax: () => new Sequential(new Linear(5, 5), new Softmax(1), new Linear(5, 4), new LogSoftmax(1)),
  nested: () => new Nested(),
  layernorm_last_dim: () => new LayerNorm(6),
  layernorm_two_dims: () => new LayerNorm([4, 6]),
  layernorm_no_affine: () => new LayerNorm(5, { elementwiseAffine: false }),
  embedding_padding: () => new Embedding(10, 4, { paddingIdx: 0 }),
  embedding: () => new Embedding(7, 3),
};

describe('layers match PyTorch (weights loaded from its state_dict)', () => {
  it('has a Tessera model for every fixture', () => {
    expect(fixtures.modules.map((c) => c.name).sort()).toEqual(Object.keys(MODULES).sort());
  });

  for (const c of fixtures.modules) {
    it(`${c.name}: same parameter names, outputs and gradients`, () => {
      const model = MODULES[c.name]();
      expect(Object.keys(model.stateDict())).toEqual(Object.keys(c.state));
      model.loadStateDict(stateOf(c.state));
      const inputs = c.inputs.map((r) => load(r, r.requiresGrad));
      const out = model.forward(...inputs);
      expectClose(out, c.out, `${c.name} output`);
      if (c.gradOut) out.backward(load(c.gradOut));
      else out.sum().backward();
      const named = new Map<string, Tensor>(model.namedParameters());
      for (const [key, expected] of Object.entries(c.grads)) {
        const t = key.startsWith('input') ? inputs[Number(key.slice(5))] : named.get(key);
        expect(t?.grad, `${c.name}: grad of ${key}`).toBeTruthy();
        expectClose(t!.grad!, expected, `${c.name} grad of ${key}`);
      }
      for (const [name, p] of named) if (!(name in c.grads)) expect(p.grad, `${name} gets no gradient in PyTorch`).toBeNull();
    });
  }
});

describe('BatchNorm matches PyTorch over 3 training steps and in eval', () => {
  for (const c of fixtures.batchnorm) {
    it(`${c.name}: outputs, running statistics, gradients`, () => {
      const Ctor = c.module === 'BatchNorm1d' ? BatchNorm1d : BatchNorm2d;
      const bn = new Ctor(c.numFeatures, { momentum: c.momentum });
      bn.loadStateDict(stateOf(c.state));
      c.steps.forEach((step, i) => {
        const x = load(step.input, i === 0);
        const out = bn.forward(x);
        expectClose(out, step.out, `step ${i} output`, 2e-5);
        expectClose(bn.runningMean!, step.runningMean, `step ${i} runningMean`);
        expectClose(bn.runningVar!, step.runningVar, `step ${i} runningVar`);
        if (i === 0) {
          out.backward(load(c.gradOut));
          expectClose(x.grad!, c.grads.input0, 'grad of input', 2e-5);
          expectClose(bn.weight!.grad!, c.grads.weight, 'grad of weight', 2e-5);
          expectClose(bn.bias!.grad!, c.grads.bias, 'grad of bias', 2e-5);
        }
      });
      expect(bn.numBatchesTracked!.item()).toBe(3);
      bn.eval();
      const evalOut = bn.forward(load(c.eval.input));
      expectClose(evalOut, c.eval.out, 'eval output', 2e-5);
      expect(bn.numBatchesTracked!.item(), 'eval does not count batches').toBe(3);
    });
  }

  it('rejects a training batch with one value per channel, and wrong ranks or channel counts', () => {
    expect(() => new BatchNorm1d(3).forward(randn([1, 3]))).toThrow(/more than 1 value per channel/);
    expect(() => new BatchNorm2d(3).forward(randn([2, 3, 4]))).toThrow(/BatchNorm2d: expected 4-D input/);
    expect(() => new BatchNorm1d(3).forward(randn([4, 5]))).toThrow('BatchNorm1d: expected 3 channels in dim 1 (got input [4, 5])');
  });

  it('without running statistics always normalises by the batch', () => {
    const bn = new BatchNorm1d(2, { trackRunningStats: false, affine: false }).eval();
    expect(Object.keys(bn.stateDict())).toEqual([]);
    const y = bn.forward(
      tensor(
        [
          [1, 10],
          [3, 30],
        ],
        { dtype: 'float32' },
      ),
    );
    expect(Array.from(y.toArray()).map((v) => +v.toFixed(3))).toEqual([-1, -1, 1, 1]);
  });
});

describe('Module registration and naming', () => {
  it('Parameter shares its data, is a kept leaf and requires grad', () => {
    const data = randn([2, 3]);
    const p = new Parameter(data);
    expect(p.storage).toBe(data.storage);
    expect([p.kept, p.isLeaf, p.requiresGrad]).toEqual([true, true, true]);
    expect(new Parameter(zeros([2]), false).requiresGrad).toBe(false);
  });

  it('names parameters with dotted PyTorch paths in registration order', () => {
    const model = new Nested();
    expect(model.namedParameters().map(([n]) => n)).toEqual([
      'encoder.fc1.weight',
      'encoder.fc1.bias',
      'blocks.0.weight',
      'blocks.0.bias',
      'blocks.1.weight',
      'blocks.1.bias',
      'norm.weight',
      'norm.bias',
      'head.weight',
      'head.bias',
    ]);
    expect(model.parameters()).toHaveLength(10);
    expect(model.namedChildren().map(([n]) => n)).toEqual(['encoder', 'blocks.0', 'blocks.1', 'norm', 'head']);
    expect(model.children()[0]).toBe(model.encoder);
    expect(model.namedModules().map(([n]) => n)).toEqual(['', 'encoder', 'encoder.fc1', 'encoder.act', 'blocks.0', 'blocks.1', 'norm', 'head']);
  });

  it('Sequential names its layers 0, 1, 2 and chains them', () => {
    const seq = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
    expect(seq.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(seq.length).toBe(3);
    expect(seq.at(-1)).toBeInstanceOf(Linear);
    expect([...seq].map((m) => m.constructor.name)).toEqual(['Linear', 'ReLU', 'Linear']);
    expect(seq.forward(randn([5, 2])).shape).toEqual([5, 1]);
  });

  it('lists a parameter shared by two layers once', () => {
    const a = new Linear(3, 3);
    const b = new Linear(3, 3);
    b.weight = a.weight;
    const model = new Sequential(a, b);
    expect(model.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.bias']);
  });

  it('prints the module tree like PyTorch', () => {
    const model = new Sequential(new Linear(4, 8), new ReLU(), new Sequential(new Dropout(0.2), new Linear(8, 2, { bias: false })));
    expect(String(model)).toBe(
      [
        'Sequential(',
        '  (0): Linear(inFeatures=4, outFeatures=8, bias=true)',
        '  (1): ReLU()',
        '  (2): Sequential(',
        '    (0): Dropout(p=0.2)',
        '    (1): Linear(inFeatures=8, outFeatures=2, bias=false)',
        '  )',
        ')',
      ].join('\n'),
    );
  });

  it('train() and eval() reach every descendant and return the module', () => {
    const model = new Nested();
    expect(model.eval()).toBe(model);
    expect(model.modules().every((m) => !m.training)).toBe(true);
    model.train();
    expect(model.modules().every((m) => m.training)).toBe(true);
    model.train(false);
    expect(model.encoder.fc1.training).toBe(false);
  });

  it('apply() visits children before their parent', () => {
    const seen: string[] = [];
    const model = new Sequential(new Linear(2, 2), new Sequential(new ReLU()));
    model.apply((m) => seen.push(m.constructor.name));
    expect(seen).toEqual(['Linear', 'ReLU', 'Sequential', 'Sequential']);
    model.apply((m) => {
      if (m instanceof Linear) nn.init.zeros_(m.weight);
    });
    expect(Array.from((model.at(0) as nn.Linear).weight.toArray())).toEqual([0, 0, 0, 0]);
  });

  it('registerBuffer: kept, in stateDict after the parameters, not a parameter', () => {
    class Scaled extends Module {
      declare readonly scale: Tensor;
      fc = new Linear(2, 2);
      constructor() {
        super();
        this.registerBuffer('scale', ones([2]));
      }
      forward(x: Tensor): Tensor {
        return this.fc.forward(x).mul(this.scale);
      }
    }
    const m = new Scaled();
    expect(m.scale.kept).toBe(true);
    expect(m.parameters()).toHaveLength(2);
    expect(Object.keys(m.stateDict())).toEqual(['scale', 'fc.weight', 'fc.bias']);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['scale']);
    expect(() => m.registerBuffer('fc', ones([1]))).toThrow("registerBuffer: attribute 'fc' already exists on Scaled");
  });
});

describe('stateDict / loadStateDict', () => {
  it('round-trips: a second model loaded from the first computes the same outputs', () => {
    manualSeed(1);
    const a = new Nested();
    manualSeed(2);
    const b = new Nested();
    const x = randn([3, 4]);
    expect(Array.from(b.forward(x).toArray())).not.toEqual(Array.from(a.forward(x).toArray()));
    const result = b.loadStateDict(a.stateDict());
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(Array.from(b.forward(x).toArray())).toEqual(Array.from(a.forward(x).toArray()));
    expect(b.encoder.fc1.weight.storage).not.toBe(a.encoder.fc1.weight.storage);
  });

  it('returns detached views of the live parameters (clone to snapshot)', () => {
    const fc = new Linear(2, 2);
    const state = fc.stateDict();
    expect(state.weight.requiresGrad).toBe(false);
    expect(state.weight.storage).toBe(fc.weight.storage);
    noGrad(() => fc.weight.fill_(3));
    expect(Array.from(state.weight.toArray())).toEqual([3, 3, 3, 3]);
  });

  it('strict loading names missing and unexpected keys', () => {
    const fc = new Linear(3, 2);
    const { weight } = fc.stateDict();
    expect(() => fc.loadStateDict({ weight, extra: zeros([1]) })).toThrow('loadStateDict: missing keys "bias"; unexpected keys "extra" (loading into Linear)');
  });

  it('size mismatches are errors even when not strict, and nothing is copied', () => {
    const model = new Sequential(new Linear(3, 10));
    const before = Array.from(model.at(0).parameters()[1].toArray());
    const state = { '0.weight': zeros([10, 4]), '0.bias': zeros([10]) };
    expect(() => model.loadStateDict(state, { strict: false })).toThrow(
      'loadStateDict: size mismatch for 0.weight: copying a param with shape [10, 4] into [10, 3]',
    );
    expect(Array.from(model.at(0).parameters()[1].toArray())).toEqual(before);
  });

  it('non-strict loading copies what matches and reports the rest', () => {
    const fc = new Linear(2, 2);
    const result = fc.loadStateDict(
      new Map([
        ['weight', ones([2, 2])],
        ['other', zeros([1])],
      ]),
      { strict: false },
    );
    expect(result).toEqual({ missingKeys: ['bias'], unexpectedKeys: ['other'] });
    expect(Array.from(fc.weight.toArray())).toEqual([1, 1, 1, 1]);
  });
});

describe('gradients: zeroGrad and freezing', () => {
  it('zeroGrad() clears gradients (to null, or to zeros with setToNone false)', () => {
    const fc = new Linear(3, 2);
    fc.forward(randn([4, 3]))
      .sum()
      .backward();
    expect(fc.weight.grad).not.toBeNull();
    fc.zeroGrad(false);
    expect(Array.from(fc.weight.grad!.toArray())).toEqual([0, 0, 0, 0, 0, 0]);
    fc.zeroGrad();
    expect(fc.weight.grad).toBeNull();
    expect(fc.bias!.grad).toBeNull();
  });

  it('requiresGrad_(false) freezes every parameter of a sub-module', () => {
    const model = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 1));
    model.at(0).requiresGrad_(false);
    model
      .forward(randn([2, 3]))
      .sum()
      .backward();
    const grads = model.namedParameters().map(([n, p]) => [n, p.grad !== null]);
    expect(grads).toEqual([
      ['0.weight', false],
      ['0.bias', false],
      ['2.weight', true],
      ['2.bias', true],
    ]);
  });
});

describe('layer initialisation (as PyTorch)', () => {
  it('Linear: weight and bias in U(−1/√in, 1/√in), reproducible with manualSeed', () => {
    manualSeed(7);
    const fc = new Linear(400, 300);
    const bound = 1 / Math.sqrt(400);
    const w = Array.from(fc.weight.toArray());
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...w)).toBeGreaterThan(bound * 0.99);
    const std = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
    expect(std).toBeCloseTo(bound / Math.sqrt(3), 3);
    expect(Math.max(...fc.bias!.toArray().map(Math.abs))).toBeLessThanOrEqual(bound);
    manualSeed(7);
    expect(Array.from(new Linear(400, 300).weight.toArray())).toEqual(Array.from(w));
  });

  it('Embedding: N(0, 1) rows, with the padding row zeroed', () => {
    manualSeed(3);
    const emb = new Embedding(1000, 64, { paddingIdx: -1 });
    expect(emb.paddingIdx).toBe(999);
    const w = Array.from(emb.weight.toArray());
    const mean = w.reduce((a, v) => a + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, v) => a + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(std).toBeCloseTo(1, 1);
    expect(w.slice(999 * 64).every((v) => v === 0)).toBe(true);
  });

  it('LayerNorm and BatchNorm start at weight 1, bias 0, running mean 0 and variance 1', () => {
    const ln = new LayerNorm([2, 3]);
    expect(ln.weight!.tolist()).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
    expect(ln.bias!.tolist()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    const bn = new BatchNorm2d(2);
    expect([bn.weight!.tolist(), bn.bias!.tolist(), bn.runningMean!.tolist(), bn.runningVar!.tolist()]).toEqual([
      [1, 1],
      [0, 0],
      [0, 0],
      [1, 1],
    ]);
    expect([bn.numBatchesTracked!.dtype, bn.numBatchesTracked!.item(), bn.momentum, bn.eps]).toEqual(['int32', 0, 0.1, 1e-5]);
  });
});

describe('nn.init', () => {
  const stats = (t: Tensor) => {
    const v = Array.from(t.toArray());
    const mean = v.reduce((a, x) => a + x, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / v.length);
    return { mean, std, min: v.reduce((a, x) => Math.min(a, x)), max: v.reduce((a, x) => Math.max(a, x)) };
  };

  it('calculateGain follows PyTorch', () => {
    const g = nn.init.calculateGain;
    expect([g('linear'), g('conv2d'), g('sigmoid'), g('tanh'), g('relu'), g('selu')]).toEqual([1, 1, 1, 5 / 3, Math.SQRT2, 0.75]);
    expect(g('leakyRelu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 12);
    expect(g('leakyRelu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 12);
  });

  it('fans count the receptive field of conv weights', () => {
    expect(nn.init.calculateFanInAndFanOut(zeros([16, 8, 3, 3]))).toEqual({ fanIn: 72, fanOut: 144 });
    expect(nn.init.calculateFanInAndFanOut(zeros([5, 7]))).toEqual({ fanIn: 7, fanOut: 5 });
    expect(() => nn.init.xavierUniform_(zeros([5]))).toThrow(/fewer than 2 dimensions \(got \[5\]\)/);
  });

  it('kaiming and xavier draw from the documented distributions', () => {
    manualSeed(11);
    const t = zeros([256, 512]);
    const ku = stats(nn.init.kaimingUniform_(t, { nonlinearity: 'relu' }));
    const kuBound = Math.sqrt(2) * Math.sqrt(3 / 512);
    expect(ku.max).toBeLessThanOrEqual(kuBound);
    expect(ku.min).toBeGreaterThanOrEqual(-kuBound);
    expect(ku.std).toBeCloseTo(Math.sqrt(2 / 512), 3);
    const kn = stats(nn.init.kaimingNormal_(t, { mode: 'fanOut', nonlinearity: 'relu' }));
    expect(kn.std).toBeCloseTo(Math.sqrt(2 / 256), 3);
    expect(Math.abs(kn.mean)).toBeLessThan(0.002);
    const xu = stats(nn.init.xavierUniform_(t, 2));
    const xuBound = 2 * Math.sqrt(6 / (256 + 512));
    expect(xu.max).toBeLessThanOrEqual(xuBound);
    expect(xu.std).toBeCloseTo(xuBound / Math.sqrt(3), 3);
    const xn = stats(nn.init.xavierNormal_(t));
    expect(xn.std).toBeCloseTo(Math.sqrt(2 / 768), 3);
    const u = stats(nn.init.uniform_(t, -2, 3));
    expect([u.min >= -2, u.max < 3, Math.abs(u.mean - 0.5) < 0.02]).toEqual([true, true, true]);
    const n = stats(nn.init.normal_(t, 1, 0.5));
    expect([Math.abs(n.mean - 1) < 0.01, Math.abs(n.std - 0.5) < 0.01]).toEqual([true, true]);
    const tn = stats(nn.init.truncNormal_(t, 0, 1, -1, 1));
    expect([tn.min >= -1, tn.max <= 1]).toEqual([true, true]);
  });

  it('constant, zeros, ones and eye fill in place on parameters, without recording a graph', () => {
    const p = new Parameter(zeros([2, 3]));
    expect(nn.init.constant_(p, 2.5)).toBe(p);
    expect(Array.from(p.toArray())).toEqual([2.5, 2.5, 2.5, 2.5, 2.5, 2.5]);
    expect(nn.init.ones_(p).tolist()).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
    expect(nn.init.eye_(p).tolist()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect([p.isLeaf, p.requiresGrad]).toEqual([true, true]);
  });
});

describe('Dropout, Flatten, Identity', () => {
  it('Dropout zeroes about p of the elements and scales the rest by 1/(1−p) in training', () => {
    manualSeed(5);
    const drop = new Dropout(0.25);
    const y = drop.forward(ones([100, 100])).toArray();
    const zerosCount = y.filter((v) => v === 0).length;
    expect(zerosCount / y.length).toBeCloseTo(0.25, 1);
    expect(y.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6)).toBe(true);
  });

  it('Dropout is the identity in eval, and the same mask follows the same seed', () => {
    const drop = new Dropout(0.5);
    const x = randn([4, 4]);
    expect(drop.eval().forward(x)).toBe(x);
    drop.train();
    manualSeed(9);
    const a = Array.from(drop.forward(x).toArray());
    manualSeed(9);
    expect(Array.from(drop.forward(x).toArray())).toEqual(a);
  });

  it('Dropout gradients pass through the kept elements only, scaled', () => {
    manualSeed(4);
    const x = ones([50], { requiresGrad: true });
    const y = F.dropout(x, 0.5);
    y.sum().backward();
    expect(Array.from(x.grad!.toArray())).toEqual(Array.from(y.toArray()));
  });

  it('Dropout validates p', () => {
    expect(() => new Dropout(1.5)).toThrow('Dropout: probability p must be between 0 and 1 (got 1.5)');
    expect(() => F.dropout(ones([2]), -0.1)).toThrow('dropout: probability p must be between 0 and 1 (got -0.1)');
    expect(Array.from(F.dropout(ones([3]), 1).toArray())).toEqual([0, 0, 0]);
  });

  it('Flatten keeps the batch dim; Identity returns its input', () => {
    expect(new Flatten().forward(zeros([8, 1, 28, 28])).shape).toEqual([8, 784]);
    expect(new Flatten(0, 1).forward(zeros([2, 3, 4])).shape).toEqual([6, 4]);
    const x = zeros([2]);
    expect(new Identity().forward(x)).toBe(x);
  });
});

describe('nn.functional checks', () => {
  it('linear is one op whose backward reads the weight transposed', () => {
    const w = new Parameter(randn([3, 4]));
    const y = F.linear(randn([2, 4]), w);
    expect(y.gradFn?.name).toBe('linear');
    expect(() => F.linear(randn([2, 5]), w)).toThrow('linear: input [2, 5] does not end in the 4 input features of weight [3, 4]');
    expect(() => F.linear(randn([2, 4]), w, zeros([4]))).toThrow('linear: bias must have shape [3] (got [4])');
  });

  it('embedding rejects float indices and out-of-range ones, naming the value', () => {
    const w = randn([5, 2]);
    expect(() => F.embedding(tensor([1.5]), w)).toThrow('embedding: input must hold int32 indices (got float32)');
    expect(() => F.embedding(tensor([1, 7], { dtype: 'int32' }), w)).toThrow(/index 7 .* out of range/);
  });

  it('layerNorm checks that the input ends in normalizedShape', () => {
    expect(() => F.layerNorm(randn([2, 5]), [4])).toThrow('layerNorm: input [2, 5] does not end in normalizedShape [4]');
  });
});

describe('nn.utils', () => {
  it('clipGradNorm_ scales gradients to the max norm and returns the norm before clipping', () => {
    const a = new Parameter(zeros([2]));
    const b = new Parameter(zeros([1]));
    a.grad = tensor([3, 0], { dtype: 'float32' }).keep();
    b.grad = tensor([4], { dtype: 'float32' }).keep();
    expect(nn.utils.clipGradNorm_([a, b], 1)).toBeCloseTo(5, 6);
    expect(Array.from(a.grad.toArray()).map((v) => +v.toFixed(5))).toEqual([0.6, 0]);
    expect(Array.from(b.grad.toArray()).map((v) => +v.toFixed(5))).toEqual([0.8]);
    expect(nn.utils.clipGradNorm_([a, b], 10)).toBeCloseTo(1, 5);
    expect(b.grad.toArray()[0]).toBeCloseTo(0.8, 5);
    expect(nn.utils.clipGradNorm_([a, b], 0.1, Infinity)).toBeCloseTo(0.8, 5);
    expect(b.grad.toArray()[0]).toBeCloseTo(0.1, 5);
  });

  it('clipGradValue_ clamps every gradient element', () => {
    const p = new Parameter(zeros([3]));
    p.grad = tensor([-2, 0.5, 3], { dtype: 'float32' }).keep();
    nn.utils.clipGradValue_([p], 1);
    expect(Array.from(p.grad.toArray())).toEqual([-1, 0.5, 1]);
  });

  it('parametersToVector and vectorToParameters are inverse', () => {
    const fc = new Linear(3, 2);
    const v = nn.utils.parametersToVector(fc.parameters());
    expect(v.shape).toEqual([8]);
    const other = new Linear(3, 2);
    nn.utils.vectorToParameters(v, other.parameters());
    expect(other.weight.tolist()).toEqual(fc.weight.tolist());
    expect(() => nn.utils.vectorToParameters(zeros([3]), other.parameters())).toThrow(
      'vectorToParameters: expected a 1-D vector of 8 elements for these parameters (got [3])',
    );
  });
});

describe('a training loop', () => {
  it('Linear+ReLU+Linear: loss goes down and live tensors stay flat over 200 steps', () => {
    manualSeed(0);
    const model = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 1));
    const x = randn([32, 4]);
    const y = x.sum(1, true).relu();
    const lr = 0.05;
    const step = () => {
      model.zeroGrad();
      const loss = F.mseLoss(model.forward(x), y);
      loss.backward();
      noGrad(() => {
        for (const p of model.parameters()) p.sub_(p.grad!.mul(lr));
      });
      return loss.item();
    };
    const first = step();
    for (let i = 0; i < 10; i++) step();
    const live = memoryStats().liveTensors;
    let last = first;
    for (let i = 0; i < 200; i++) last = step();
    expect(memoryStats().liveTensors).toBe(live);
    expect(last).toBeLessThan(first * 0.1);
  });

  it('eval-mode forwards under noGrad leave no tensors behind but their outputs', () => {
    const model = new Sequential(new Linear(4, 8), new BatchNorm1d(8), new GELU(), new Dropout(0.3), new Linear(8, 3), new LayerNorm(3)).eval();
    const x = randn([5, 4]);
    const before = memoryStats().liveTensors;
    for (let i = 0; i < 20; i++) noGrad(() => model.forward(x)).dispose();
    expect(memoryStats().liveTensors).toBe(before);
  });

  it('train-mode steps with BatchNorm, Dropout, LayerNorm and Embedding do not leak', () => {
    manualSeed(1);
    const emb = new Embedding(10, 6);
    const body = new Sequential(new Linear(6, 8), new BatchNorm1d(8), new ReLU(), new Dropout(0.2), new LayerNorm(8), new Linear(8, 3));
    const idx = tensor([1, 2, 3, 4, 5, 6], { dtype: 'int32' });
    const labels = tensor([0, 1, 2, 0, 1, 2], { dtype: 'int32' });
    const params = [...emb.parameters(), ...body.parameters()];
    const step = () => {
      const loss = F.crossEntropy(body.forward(emb.forward(idx)), labels, { labelSmoothing: 0.1 });
      loss.backward();
      noGrad(() => params.forEach((p) => p.sub_(p.grad!.mul(0.1))));
      emb.zeroGrad();
      body.zeroGrad();
    };
    for (let i = 0; i < 5; i++) step();
    const live = memoryStats().liveTensors;
    for (let i = 0; i < 50; i++) step();
    expect(memoryStats().liveTensors).toBe(live);
  });
});
