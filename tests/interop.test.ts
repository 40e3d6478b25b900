// Files and state that cross between PyTorch and Tessera with no key map (issue 11 §1).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  nn,
  optim,
  tensor,
  zeros,
  ones,
  randn,
  manualSeed,
  load,
  save,
  saveCheckpoint,
  loadCheckpoint,
  serializeCheckpoint,
  deserializeCheckpoint,
  deserialize,
  noGrad,
  type Tensor,
} from '../src/index.js';

// Written by scripts/torch_interop_fixtures.py (PyTorch 1.13).
const fixtureDir = new URL('./fixtures/', import.meta.url);
const fixture = JSON.parse(readFileSync(new URL('torch-interop.json', fixtureDir), 'utf8')) as {
  input: { shape: number[]; data: number[] };
  eval_out: { shape: number[]; data: number[] };
  optimizers: Record<string, { top: string[]; state: string[]; param_groups: string[] }>;
  schedulers: Record<string, string[]>;
};
const PYTHON = '/usr/bin/python3';
const hasTorch = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** The same architecture as ResNetish in scripts/torch_interop_fixtures.py, written as a Tessera user would. */
class Block extends nn.Module {
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  conv2: nn.Conv2d;
  bn2: nn.BatchNorm2d;
  downsample: nn.Sequential | null = null;
  constructor(cin: number, cout: number, stride: number) {
    super();
    this.conv1 = new nn.Conv2d(cin, cout, 3, { stride, padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(cout);
    this.conv2 = new nn.Conv2d(cout, cout, 3, { padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(cout);
    if (stride !== 1 || cin !== cout) this.downsample = new nn.Sequential(new nn.Conv2d(cin, cout, 1, { stride, bias: false }), new nn.BatchNorm2d(cout));
  }
  forward(x: Tensor): Tensor {
    const out = this.bn2(this.conv2(this.bn1(this.conv1(x)).relu()));
    return out.add(this.downsample ? this.downsample(x) : x).relu();
  }
}
class ResNetish extends nn.Module {
  conv1 = new nn.Conv2d(3, 8, 3, { padding: 1, bias: false });
  bn1 = new nn.BatchNorm2d(8);
  layer1 = new nn.Sequential(new Block(8, 8, 1), new Block(8, 16, 2));
  fcOut = new nn.Linear(16, 5);
  forward(x: Tensor): Tensor {
    const features = this.layer1(this.bn1(this.conv1(x)).relu());
    return this.fcOut(features.mean([2, 3]));
  }
}
const fixtureInput = () => tensor(fixture.input.data, { shape: fixture.input.shape });

describe("state-dict keys are PyTorch's", () => {
  it('BatchNorm buffers are running_mean, running_var, num_batches_tracked (JS properties stay camelCase)', () => {
    const bn = new nn.BatchNorm2d(3);
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(bn.runningMean!.shape).toEqual([3]);
    expect(bn.namedBuffers().map(([k]) => k)).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
  });

  it('camelCase fields of user modules become snake_case keys, as the PyTorch original names them', () => {
    class Net extends nn.Module {
      convIn = new nn.Conv2d(1, 2, 3);
      fcOut = new nn.Linear(2, 2);
      forward(x: Tensor) {
        return this.fcOut(this.convIn(x).mean([2, 3]));
      }
    }
    const net = new Net();
    expect(Object.keys(net.stateDict())).toEqual(['conv_in.weight', 'conv_in.bias', 'fc_out.weight', 'fc_out.bias']);
    expect(net.namedParameters().map(([k]) => k)).toEqual(['conv_in.weight', 'conv_in.bias', 'fc_out.weight', 'fc_out.bias']);
    expect(String(net)).toContain('(fc_out): Linear(');
  });
});

describe('loadStateDict options', () => {
  const state = () => ({
    weight: tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'float32' },
    ),
    bias: tensor([5, 6], { dtype: 'float32' }),
  });

  it("stripPrefix removes DataParallel's module. prefix; mapKeys renames or drops entries", () => {
    const fc = new nn.Linear(2, 2);
    const prefixed = Object.fromEntries(Object.entries(state()).map(([k, v]) => [`module.${k}`, v]));
    fc.loadStateDict(prefixed, { stripPrefix: 'module.' });
    expect(fc.weight.tolist()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    const renamed = {
      w: tensor([
        [0, 1],
        [1, 0],
      ]),
      b: tensor([7, 8]),
      extra: zeros([1]),
    };
    fc.loadStateDict(renamed, { mapKeys: (k) => ({ w: 'weight', b: 'bias' })[k] ?? null });
    expect(fc.bias!.tolist()).toEqual([7, 8]);
  });

  it('a strict mismatch that is only a prefix says which option fixes it', () => {
    const fc = new nn.Linear(2, 2);
    const prefixed = Object.fromEntries(Object.entries(state()).map(([k, v]) => [`module.${k}`, v]));
    expect(() => fc.loadStateDict(prefixed)).toThrow(
      /missing keys "weight", "bias"; unexpected keys "module.weight", "module.bias" .*pass \{ stripPrefix: 'module.' \}/,
    );
  });

  it("assign makes the given tensors the module's (no copy); a parameter keeps requiresGrad", () => {
    const fc = new nn.Linear(2, 2);
    const s = state();
    fc.loadStateDict(s, { assign: true });
    expect(fc.weight.storage).toBe(s.weight.storage);
    expect(fc.weight).toBeInstanceOf(nn.Parameter);
    expect(fc.weight.requiresGrad).toBe(true);
    expect(fc.parameters()).toHaveLength(2);
    const bn = new nn.BatchNorm1d(2);
    const mean = tensor([0.5, -0.5]);
    bn.loadStateDict({ ...bn.stateDict(), running_mean: mean }, { assign: true });
    expect(bn.runningMean!.storage).toBe(mean.storage);
    // copying (the default) leaves the module's own tensors in place
    const other = new nn.Linear(2, 2);
    const before = other.weight.storage;
    other.loadStateDict(state());
    expect(other.weight.storage).toBe(before);
  });
});

describe("init takes PyTorch's option values", () => {
  it("mode 'fan_out' and nonlinearity 'leaky_relu' (camelCase still accepted)", () => {
    expect(nn.init.calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 12);
    const w = zeros([400, 50]);
    nn.init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' });
    const values = [...w.toArray()];
    const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    expect(std).toBeCloseTo(Math.sqrt(2 / 400), 2);
    expect(() => nn.init.kaimingUniform_(zeros([3, 3]), { mode: 'fan_in', nonlinearity: 'leaky_relu', a: 0.1 })).not.toThrow();
    expect(() => nn.init.kaimingUniform_(zeros([3, 3]), { mode: 'fanout' as never })).toThrow(
      "kaimingUniform_: mode must be 'fan_in' or 'fan_out' (got \"fanout\")",
    );
  });
});

describe("optimizer and scheduler stateDict() use PyTorch's layout and names", () => {
  const stepOnce = (opt: optim.Optimizer, p: Tensor) => {
    p.grad = ones(p.shape);
    opt.step();
  };

  it.each([
    [
      'SGD',
      (p: Tensor[]) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 }),
      ['momentum_buffer'],
      ['lr', 'momentum', 'dampening', 'weight_decay', 'nesterov', 'maximize'],
    ],
    [
      'Adam',
      (p: Tensor[]) => new optim.Adam(p, { amsgrad: true }),
      ['step', 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'],
      ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'maximize'],
    ],
    [
      'RMSprop',
      (p: Tensor[]) => new optim.RMSprop(p, { momentum: 0.9, centered: true }),
      ['step', 'square_avg', 'momentum_buffer', 'grad_avg'],
      ['lr', 'alpha', 'eps', 'weight_decay', 'momentum', 'centered', 'maximize'],
    ],
    [
      'Adagrad',
      (p: Tensor[]) => new optim.Adagrad(p, { lrDecay: 0.1 }),
      ['step', 'sum'],
      ['lr', 'lr_decay', 'weight_decay', 'initial_accumulator_value', 'eps', 'maximize'],
    ],
  ] as const)('%s', (_, make, stateKeys, groupKeys) => {
    const p = zeros([2], { requiresGrad: true });
    const opt = make([p]);
    stepOnce(opt, p);
    const sd = opt.stateDict();
    expect(Object.keys(sd)).toEqual(['state', 'param_groups']);
    expect(Object.keys(sd.state[0]).sort()).toEqual([...stateKeys].sort());
    expect(Object.keys(sd.param_groups[0]).sort()).toEqual([...groupKeys, 'params'].sort());
    // and it loads back into a fresh optimizer, which then steps identically
    const q = zeros([2], { requiresGrad: true });
    noGradCopy(q, p);
    const resumed = make([q]);
    resumed.loadStateDict(sd);
    stepOnce(opt, p);
    stepOnce(resumed, q);
    expect([...q.toArray()]).toEqual([...p.toArray()]);
  });

  it("loads PyTorch's own form: a 0-d step tensor and keys Tessera lacks (foreach, capturable)", () => {
    const p = zeros([2], { requiresGrad: true });
    const opt = new optim.Adam([p]);
    opt.loadStateDict({
      state: { 0: { step: tensor(3.0), exp_avg: tensor([0.1, 0.2]), exp_avg_sq: tensor([0.01, 0.04]) } },
      param_groups: [
        {
          lr: 0.01,
          betas: [0.9, 0.999],
          eps: 1e-8,
          weight_decay: 0,
          amsgrad: false,
          maximize: false,
          foreach: null,
          capturable: false,
          differentiable: false,
          fused: false,
          params: [0],
        },
      ],
    });
    expect((opt.state.get(p) as optim.AdamState).step).toBe(3);
    expect(opt.paramGroups[0].lr).toBe(0.01);
  });

  it('an old camelCase dict is refused with a reason', () => {
    const opt = new optim.SGD([zeros([2], { requiresGrad: true })], { lr: 0.1 });
    expect(() => opt.loadStateDict({ state: {}, paramGroups: [] } as never)).toThrow(/expected \{ state, param_groups \}.*older version/);
  });

  it("schedulers: last_epoch, base_lrs, _last_lr, _step_count and their settings under PyTorch's names", () => {
    const opt = new optim.SGD([zeros([2], { requiresGrad: true })], { lr: 0.1, momentum: 0.9 });
    const cos = new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 10, etaMin: 0.01 });
    cos.step();
    expect(cos.stateDict()).toEqual({
      T_max: 10,
      eta_min: 0.01,
      base_lrs: [0.1],
      last_epoch: 1,
      _step_count: 2,
      _last_lr: cos.getLastLr(),
      verbose: false,
      _get_lr_called_within_step: false,
    });
    expect(Object.keys(new optim.lrScheduler.StepLR(opt, { stepSize: 3 }).stateDict())).toEqual(expect.arrayContaining(['step_size', 'gamma']));
    expect(Object.keys(new optim.lrScheduler.LinearLR(opt).stateDict())).toEqual(expect.arrayContaining(['start_factor', 'end_factor', 'total_iters']));
    const one = new optim.lrScheduler.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10 });
    expect(one.stateDict()).toMatchObject({ total_steps: 10, cycle_momentum: true, use_beta1: false });
    expect((one.stateDict()._schedule_phases as object[])[0]).toEqual({
      end_step: 2,
      start_lr: 'initial_lr',
      end_lr: 'max_lr',
      start_momentum: 'max_momentum',
      end_momentum: 'base_momentum',
    });
    expect(() => cos.loadStateDict({ lastEpoch: 3 } as never)).toThrow(/older version/);
  });
});

function noGradCopy(dst: Tensor, src: Tensor): void {
  dst.requiresGrad_(false).copy_(src);
  dst.requiresGrad_(true);
}

describe('a PyTorch-written ResNet-style CNN with BatchNorm (tests/fixtures/torch-resnet.safetensors)', () => {
  it("loads strictly with no key map and gives PyTorch's eval output", async () => {
    const model = new ResNetish();
    const state = await load(new Uint8Array(readFileSync(new URL('torch-resnet.safetensors', fixtureDir))));
    expect(state['layer1.1.downsample.1.num_batches_tracked'].item()).toBe(3);
    expect(model.loadStateDict(state)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    model.eval();
    const out = noGrad(() => model(fixtureInput()));
    expect(out.shape).toEqual(fixture.eval_out.shape);
    [...out.toArray()].forEach((v, i) => expect(v, `output ${i}`).toBeCloseTo(fixture.eval_out.data[i], 5));
  });

  it.skipIf(!hasTorch)(
    `a Tessera-written file loads strictly in PyTorch and gives Tessera's eval output${hasTorch ? '' : ' (skipped: /usr/bin/python3 has no torch)'}`,
    async () => {
      manualSeed(3);
      const model = new ResNetish();
      for (let i = 0; i < 2; i++) noGrad(() => model(randn(4, 3, 8, 8)));
      model.eval();
      const x = randn(2, 3, 8, 8);
      const out = noGrad(() => model(x));
      const path = join(mkdtempSync(join(tmpdir(), 'tessera-interop-')), 'resnet.safetensors');
      const record = (t: Tensor) => JSON.stringify({ shape: t.shape, data: [...t.toArray()] });
      await save(model.stateDict(), path, { input: record(x), expected: record(out) });
      const report = execFileSync(PYTHON, [new URL('../scripts/torch_interop_fixtures.py', import.meta.url).pathname, 'check', path], { encoding: 'utf8' });
      expect(report).toMatch(/loaded strictly into torch.nn.Module/);
    },
  );
});

describe("optimizer and scheduler state dicts have PyTorch 1.13's keys (tests/fixtures/torch-interop.json)", () => {
  // Flags of PyTorch's implementation choices (multi-tensor, CUDA graphs, fused kernels); Tessera has one implementation.
  const torchOnly = new Set(['foreach', 'differentiable', 'capturable', 'fused']);
  const make: Record<string, (p: Tensor[]) => optim.Optimizer> = {
    SGD: (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 }),
    Adam: (p) => new optim.Adam(p, { amsgrad: true }),
    AdamW: (p) => new optim.AdamW(p),
    RMSprop: (p) => new optim.RMSprop(p, { momentum: 0.9, centered: true }),
    Adagrad: (p) => new optim.Adagrad(p, { lrDecay: 0.1 }),
  };
  it.each(Object.keys(make))('%s', (name) => {
    const p = zeros([2], { requiresGrad: true });
    const opt = make[name]([p]);
    p.grad = ones([2]);
    opt.step();
    const sd = opt.stateDict();
    const torch = fixture.optimizers[name];
    expect(Object.keys(sd)).toEqual(torch.top);
    expect(Object.keys(sd.state[0]).sort()).toEqual(torch.state);
    expect(Object.keys(sd.param_groups[0]).sort()).toEqual(torch.param_groups.filter((k) => !torchOnly.has(k)));
  });

  const schedulers: Record<string, (o: optim.Optimizer) => optim.lrScheduler.LRScheduler> = {
    StepLR: (o) => new optim.lrScheduler.StepLR(o, { stepSize: 3 }),
    CosineAnnealingLR: (o) => new optim.lrScheduler.CosineAnnealingLR(o, { tMax: 10 }),
    LinearLR: (o) => new optim.lrScheduler.LinearLR(o),
    OneCycleLR: (o) => new optim.lrScheduler.OneCycleLR(o, { maxLr: 0.1, totalSteps: 10 }),
  };
  it.each(Object.keys(schedulers))('%s', (name) => {
    const opt = new optim.SGD([zeros([2], { requiresGrad: true })], { lr: 0.1, momentum: 0.9 });
    const sched = schedulers[name](opt);
    opt.step();
    sched.step();
    expect(Object.keys(sched.stateDict()).sort()).toEqual(fixture.schedulers[name]);
  });
});

describe('checkpoints: model, optimizer, scheduler, epoch and user values in one safetensors file', () => {
  const setup = () => {
    const model = new ResNetish();
    const opt = new optim.AdamW(model.parameters(), { lr: 0.01 });
    const sched = new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 10, etaMin: 0.001 });
    return { model, opt, sched };
  };
  const batch = (step: number) => {
    manualSeed(100 + step);
    return { x: randn(4, 3, 8, 8), y: randn(4, 5) };
  };
  const trainStep = ({ model, opt, sched }: ReturnType<typeof setup>, step: number) => {
    const { x, y } = batch(step);
    opt.zeroGrad();
    nn.functional.mseLoss(model(x), y).backward();
    opt.step();
    sched.step();
  };
  const weights = (m: nn.Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, [...t.toArray()]]));

  it('resume and train 5 more steps is bitwise identical to not stopping (file and byte forms)', async () => {
    manualSeed(1);
    const straight = setup();
    for (let s = 0; s < 8; s++) trainStep(straight, s);

    manualSeed(1);
    const first = setup();
    for (let s = 0; s < 3; s++) trainStep(first, s);
    const path = join(mkdtempSync(join(tmpdir(), 'tessera-ckpt-')), 'run.safetensors');
    await saveCheckpoint(path, { model: first.model, optimizer: first.opt, scheduler: first.sched, epoch: 3, note: 'warm start', best: { loss: 0.25 } });

    for (const source of [path, new Uint8Array(readFileSync(path))]) {
      manualSeed(999); // different initial weights: everything must come from the checkpoint
      const resumed = setup();
      const rest = await loadCheckpoint(source, { model: resumed.model, optimizer: resumed.opt, scheduler: resumed.sched });
      expect(rest).toEqual({ epoch: 3, note: 'warm start', best: { loss: 0.25 } });
      for (let s = 3; s < 8; s++) trainStep(resumed, s);
      expect(weights(resumed.model)).toEqual(weights(straight.model));
      expect(resumed.sched.getLastLr()).toEqual(straight.sched.getLastLr());
    }
  });

  it("is a safetensors file any reader opens: model.*, optimizer.state.*, JSON metadata in PyTorch's layout", () => {
    const run = setup();
    trainStep(run, 0);
    const bytes = serializeCheckpoint({ model: run.model, optimizer: run.opt, scheduler: run.sched, epoch: 1, mask: tensor([true, false]) });
    const { tensors, metadata } = deserialize(bytes);
    expect(Object.keys(tensors)).toContain('model.bn1.running_mean');
    expect(Object.keys(tensors)).toContain('optimizer.state.0.exp_avg_sq');
    expect(JSON.parse(metadata.optimizer).param_groups[0]).toMatchObject({ lr: run.opt.paramGroups[0].lr, weight_decay: 0.01, initial_lr: 0.01 });
    expect(JSON.parse(metadata.scheduler)).toMatchObject({ T_max: 10, last_epoch: 1 });
    const rest = deserializeCheckpoint(bytes);
    expect(rest.epoch).toBe(1);
    expect((rest.mask as Tensor).tolist()).toEqual([true, false]);
  });

  it('says what is wrong with a file that is not a checkpoint, or lacks what was asked for', () => {
    const run = setup();
    expect(() => deserializeCheckpoint(readFileSync(new URL('torch-resnet.safetensors', fixtureDir)), { model: run.model })).toThrow(
      /not a Tessera checkpoint.*load\(\) and model.loadStateDict\(\)/,
    );
    const modelOnly = serializeCheckpoint({ model: run.model });
    expect(() => deserializeCheckpoint(modelOnly, { optimizer: run.opt })).toThrow('loadCheckpoint: a optimizer was passed but the checkpoint holds none');
    expect(() => serializeCheckpoint({ model: run.model, lr: NaN })).toThrow("saveCheckpoint: extra 'lr' is NaN, which JSON cannot hold");
  });
});
