// Files and state that cross between PyTorch and Tessera with no key map (issue 11 §1).
import { describe, expect, it } from 'vitest';
import { nn, optim, tensor, zeros, ones, type Tensor } from '../src/index.js';

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
