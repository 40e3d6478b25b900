// Optimizers and lr schedules against PyTorch 1.13 traces in tests/fixtures/torch-optim.json.
// Regenerate the fixtures with: /usr/bin/python3 scripts/torch_optim_fixtures.py
// (its docstring documents the format).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memoryStats, noGrad, optim, randn, manualSeed, tensor, zeros, type Device, type DType, type Tensor } from '../src/index.js';

type Options = Record<string, unknown>;
interface Trace {
  grads: number[][][];
  params: number[][][];
}
interface OptimizerCase {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad';
  options: Options;
  groups: [Options, Options];
  float32: Trace;
  float64: Trace;
}
interface SchedulerCase {
  name: string;
  scheduler: 'StepLR' | 'CosineAnnealingLR' | 'LinearLR' | 'OneCycleLR';
  options: Options;
  optimizer: 'SGD' | 'Adam';
  optimizerOptions: Options;
  groupLrs: number[];
  lrs: number[][];
  momentum?: number[][];
}
interface Fixture {
  problem: { init: Record<'A' | 'B' | 'C', number[]>; shapes: Record<'A' | 'B' | 'C', number[]> };
  optimizers: OptimizerCase[];
  schedulers: SchedulerCase[];
}

const fixture: Fixture = JSON.parse(readFileSync(new URL('./fixtures/torch-optim.json', import.meta.url), 'utf8'));
const { init, shapes } = fixture.problem;

type AnyOptimizer = optim.Optimizer<optim.BaseOptions>;
type GroupsInput = { params: Tensor[] }[];
const OPTIMIZERS: Record<OptimizerCase['optimizer'], new (groups: GroupsInput, options: Options) => AnyOptimizer> = {
  SGD: optim.SGD as never,
  Adam: optim.Adam as never,
  AdamW: optim.AdamW as never,
  RMSprop: optim.RMSprop as never,
  Adagrad: optim.Adagrad as never,
};
const SCHEDULERS = optim.lrScheduler as unknown as Record<
  SchedulerCase['scheduler'],
  new (
    opt: AnyOptimizer,
    options: Options,
  ) => optim.lrScheduler.LRScheduler
>;

interface Problem {
  A: Tensor;
  B: Tensor;
  C: Tensor;
}

function problem(dtype: DType, device: Device, values = init): Problem {
  const make = (n: 'A' | 'B' | 'C') => tensor(values[n], { shape: shapes[n], dtype, device, requiresGrad: true }).keep();
  return { A: make('A'), B: make('B'), C: make('C') };
}

function optimizerFor(c: OptimizerCase, p: Problem): AnyOptimizer {
  return new OPTIMIZERS[c.optimizer](
    [
      { params: [p.A, p.C], ...c.groups[0] },
      { params: [p.B], ...c.groups[1] },
    ],
    c.options,
  );
}

/** Feeds PyTorch's gradients of `step` as .grad and takes one optimizer step. */
function stepWith(opt: AnyOptimizer, p: Problem, trace: Trace, step: number): void {
  const [gA, gB] = trace.grads[step];
  p.A.grad = tensor(gA, { shape: shapes.A, dtype: p.A.dtype, device: p.A.device });
  p.B.grad = tensor(gB, { shape: shapes.B, dtype: p.B.dtype, device: p.B.device });
  opt.step();
}

/** Largest |actual − expected| / max(|expected|, 1): parameters are O(1), so this is error in units of the value's scale. */
function maxRelativeError(actual: ArrayLike<number>, expected: number[]): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), 1));
  }
  return worst;
}

// float32 lands within about an ulp of PyTorch's float32 (same order of operations; its CPU kernels may fuse a + αb).
const RUNS: { label: string; dtype: 'float32' | 'float64'; device: Device; tol: number }[] = [
  { label: "float32 on 'wasm' (SIMD kernels)", dtype: 'float32', device: 'wasm', tol: 5e-7 },
  { label: "float32 on 'js'", dtype: 'float32', device: 'js', tol: 5e-7 },
  { label: "float64 on 'js'", dtype: 'float64', device: 'js', tol: 1e-14 },
];

describe('optimizers follow PyTorch 1.13 step for step', () => {
  for (const run of RUNS) {
    describe(run.label, () => {
      it.each(fixture.optimizers.map((c) => [c.name, c] as const))('%s: 5 steps, two param groups', (_, c) => {
        const trace = c[run.dtype];
        const p = problem(run.dtype, run.device);
        const opt = optimizerFor(c, p);
        for (let step = 0; step < trace.grads.length; step++) {
          stepWith(opt, p, trace, step);
          const [eA, eB, eC] = trace.params[step];
          expect(maxRelativeError(p.A.toArray(), eA), `A after step ${step + 1}`).toBeLessThan(run.tol);
          expect(maxRelativeError(p.B.toArray(), eB), `B after step ${step + 1}`).toBeLessThan(run.tol);
          expect([...p.C.toArray()], 'C has no gradient and must not move').toEqual(eC.map((v) => (run.dtype === 'float32' ? Math.fround(v) : v)));
        }
      });
    });
  }
});

describe('Optimizer', () => {
  const adamCase = fixture.optimizers.find((c) => c.name === 'Adam amsgrad')!;

  it('skips parameters whose grad is null: no state, no change', () => {
    const p = problem('float32', 'wasm');
    const opt = optimizerFor(adamCase, p);
    stepWith(opt, p, adamCase.float32, 0);
    expect(opt.state.has(p.A)).toBe(true);
    expect(opt.state.has(p.C)).toBe(false);
  });

  it('bumps the storage version of the parameter and its state', () => {
    const p = problem('float32', 'wasm');
    const opt = optimizerFor(adamCase, p);
    const before = p.A.storage.version;
    stepWith(opt, p, adamCase.float32, 0);
    const expAvg = (opt.state.get(p.A) as optim.AdamState).expAvg;
    const stateBefore = expAvg.storage.version;
    expect(p.A.storage.version).toBeGreaterThan(before);
    stepWith(opt, p, adamCase.float32, 1);
    expect(expAvg.storage.version).toBeGreaterThan(stateBefore);
  });

  it('accepts a non-contiguous gradient and reads it in logical order', () => {
    const p1 = problem('float32', 'wasm');
    const p2 = problem('float32', 'wasm');
    const g = [...Array(9).keys()].map((i) => i / 10 - 0.4);
    const o1 = new optim.SGD([p1.A], { lr: 0.1 });
    const o2 = new optim.SGD([p2.A], { lr: 0.1 });
    p1.A.grad = tensor(g, { shape: [3, 3] });
    p2.A.grad = tensor(g, { shape: [3, 3] })
      .t()
      .contiguous()
      .t();
    expect(p2.A.grad.isContiguous()).toBe(false);
    o1.step();
    o2.step();
    expect([...p2.A.toArray()]).toEqual([...p1.A.toArray()]);
  });

  it('takes a plain list of parameters as one group with the defaults', () => {
    const p = problem('float32', 'wasm');
    const opt = new optim.Adam([p.A, p.B]);
    expect(opt.paramGroups).toHaveLength(1);
    expect(opt.paramGroups[0]).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false });
    expect(new optim.AdamW([p.C]).paramGroups[0].weightDecay).toBe(1e-2);
  });

  it('addParamGroup adds parameters with their own hyperparameters', () => {
    const p = problem('float32', 'wasm');
    const opt = new optim.SGD([p.A], { lr: 0.1, momentum: 0.9 });
    opt.addParamGroup({ params: [p.B], lr: 0.01 });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 0.01, momentum: 0.9 });
    expect(() => opt.addParamGroup({ params: [p.A] })).toThrow('SGD: some parameters appear in more than one parameter group');
  });

  it('zeroGrad() sets grads to null, zeroGrad(false) to zeros, and leaves the loss readable', () => {
    const w = tensor([1, 2, 3], { requiresGrad: true }).keep();
    const opt = new optim.SGD([w], { lr: 0.1 });
    const loss = w.mul(w).sum();
    loss.backward();
    expect(loss.item()).toBe(14);
    opt.zeroGrad(false);
    expect([...w.grad!.toArray()]).toEqual([0, 0, 0]);
    expect(loss.item()).toBe(14);
    opt.zeroGrad();
    expect(w.grad).toBeNull();
  });
});

describe('stateDict / loadStateDict', () => {
  const resumable = ['SGD everything', 'Adam everything', 'AdamW weightDecay + amsgrad', 'RMSprop centered + momentum + weightDecay', 'Adagrad lrDecay'];

  it.each(resumable)('%s: 3 steps, save, load into a fresh optimizer, 2 more steps = 5 uninterrupted steps, bitwise', (name) => {
    const c = fixture.optimizers.find((x) => x.name === name)!;
    const trace = c.float32;
    const straight = problem('float32', 'wasm');
    const straightOpt = optimizerFor(c, straight);
    for (let s = 0; s < 5; s++) stepWith(straightOpt, straight, trace, s);

    const first = problem('float32', 'wasm');
    const firstOpt = optimizerFor(c, first);
    for (let s = 0; s < 3; s++) stepWith(firstOpt, first, trace, s);
    const saved = firstOpt.stateDict();
    stepWith(firstOpt, first, trace, 3); // the saved copy must not follow the live state

    const values = { A: [...first.A.toArray()], B: [...first.B.toArray()], C: [...first.C.toArray()] };
    const resumed = problem('float32', 'wasm');
    const resumedOpt = optimizerFor(c, resumed);
    const rewound = problem('float32', 'wasm');
    const rewoundOpt = optimizerFor(c, rewound);
    for (let s = 0; s < 3; s++) stepWith(rewoundOpt, rewound, trace, s);
    noGrad(() => {
      resumed.A.copy_(rewound.A);
      resumed.B.copy_(rewound.B);
    });
    resumedOpt.loadStateDict(saved);
    for (let s = 3; s < 5; s++) stepWith(resumedOpt, resumed, trace, s);

    expect(values.A).not.toEqual([...straight.A.toArray()]);
    expect([...resumed.A.toArray()]).toEqual([...straight.A.toArray()]);
    expect([...resumed.B.toArray()]).toEqual([...straight.B.toArray()]);
    expect([...resumed.C.toArray()]).toEqual([...straight.C.toArray()]);
  });

  it("indexes parameters through the groups in order and records each group's hyperparameters", () => {
    const c = fixture.optimizers.find((x) => x.name === 'Adam amsgrad')!;
    const p = problem('float32', 'wasm');
    const opt = optimizerFor(c, p);
    stepWith(opt, p, c.float32, 0);
    const sd = opt.stateDict();
    expect(sd.param_groups.map((g) => g.params)).toEqual([[0, 1], [2]]);
    expect(sd.param_groups[1]).toMatchObject({ lr: 0.02, betas: [0.8, 0.9], amsgrad: true });
    expect(Object.keys(sd.state)).toEqual(['0', '2']);
    expect(sd.state[0].step).toBe(1);
    const expAvg = sd.state[0].exp_avg as Tensor;
    expect(expAvg.shape).toEqual([3, 3]);
    expect(expAvg).not.toBe((opt.state.get(p.A) as optim.AdamState).expAvg);
  });

  it('loads state into another dtype and device', () => {
    const c = fixture.optimizers.find((x) => x.name === 'Adam defaults')!;
    const wasmP = problem('float32', 'wasm');
    const wasmOpt = optimizerFor(c, wasmP);
    stepWith(wasmOpt, wasmP, c.float32, 0);
    const jsP = problem('float64', 'js');
    const jsOpt = optimizerFor(c, jsP);
    jsOpt.loadStateDict(wasmOpt.stateDict());
    const expAvg = (jsOpt.state.get(jsP.A) as optim.AdamState).expAvg;
    expect(expAvg.dtype).toBe('float64');
    expect(expAvg.device).toBe('js');
    expect([...expAvg.toArray()]).toEqual([...(wasmOpt.state.get(wasmP.A) as optim.AdamState).expAvg.toArray()]);
  });

  it('rejects a state dict whose groups do not match', () => {
    const p = problem('float32', 'wasm');
    const two = new optim.SGD([{ params: [p.A] }, { params: [p.B] }], { lr: 0.1 });
    const one = new optim.SGD([p.A, p.B], { lr: 0.1 });
    expect(() => one.loadStateDict(two.stateDict())).toThrow('loadStateDict: the state dict has 2 parameter groups but this SGD has 1');
    const other = new optim.SGD([p.A], { lr: 0.1 });
    expect(() => other.loadStateDict(one.stateDict())).toThrow('loadStateDict: parameter group 0 has 2 parameters in the state dict but 1 in this SGD');
  });
});

describe('lr schedulers follow PyTorch 1.13', () => {
  it.each(fixture.schedulers.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const params = c.groupLrs.map((lr, i) => ({ params: [zeros([i + 2], { requiresGrad: true }).keep()], lr }));
    const opt = new OPTIMIZERS[c.optimizer](params, c.optimizerOptions);
    const sched = new SCHEDULERS[c.scheduler](opt, c.options);
    const momentum = () =>
      opt.paramGroups.map((g) => {
        const group = g as optim.ParamGroup<optim.BaseOptions> & { momentum?: number; betas?: [number, number] };
        return group.betas ? group.betas[0] : group.momentum!;
      });
    for (let epoch = 0; epoch < c.lrs.length; epoch++) {
      if (epoch > 0) {
        opt.step();
        sched.step();
      }
      sched.getLastLr().forEach((lr, i) => expect(lr, `lr of group ${i} at epoch ${epoch}`).toBeCloseTo(c.lrs[epoch][i], 15));
      expect(opt.paramGroups.map((g) => g.lr)).toEqual(sched.getLastLr());
      if (c.momentum) momentum().forEach((m, i) => expect(m, `momentum of group ${i} at step ${epoch}`).toBeCloseTo(c.momentum![epoch][i], 15));
    }
  });

  it('OneCycleLR refuses to step past totalSteps', () => {
    const opt = new optim.SGD([zeros([2], { requiresGrad: true })], { lr: 0.1, momentum: 0.9 });
    const sched = new optim.lrScheduler.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) sched.step();
    expect(() => sched.step()).toThrow('OneCycleLR: tried to step 5 times; the specified number of total steps is 3');
  });

  it("a scheduler resumes from its stateDict and the optimizer's", () => {
    const make = () => {
      const opt = new optim.SGD([zeros([2], { requiresGrad: true })], { lr: 0.1 });
      return { opt, sched: new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 10, etaMin: 0.01 }) };
    };
    const a = make();
    for (let i = 0; i < 4; i++) a.sched.step();
    const b = make();
    b.opt.loadStateDict(a.opt.stateDict());
    b.sched.loadStateDict(a.sched.stateDict());
    for (let i = 0; i < 6; i++) {
      a.sched.step();
      b.sched.step();
      expect(b.sched.getLastLr()).toEqual(a.sched.getLastLr());
    }
  });
});

describe('errors name the optimizer, the argument and the rule', () => {
  const w = () => zeros([3], { requiresGrad: true });

  it('rejects bad hyperparameters', () => {
    expect(() => new optim.SGD([w()], { lr: -1 })).toThrow('SGD: invalid learning rate -1 (lr must be >= 0)');
    expect(() => new optim.SGD([w()])).toThrow('SGD: parameter group 0 has no learning rate; pass lr in the options or in every group');
    expect(() => new optim.SGD([w()], { lr: 0.1, nesterov: true })).toThrow(
      'SGD: nesterov momentum requires momentum > 0 and dampening 0 (got momentum 0, dampening 0)',
    );
    expect(() => new optim.Adam([w()], { betas: [1, 0.999] })).toThrow('Adam: invalid betas[0] 1 (must be in [0, 1))');
    expect(() => new optim.AdamW([w()], { betas: [0.9, -0.1] })).toThrow('AdamW: invalid betas[1] -0.1 (must be in [0, 1))');
    expect(() => new optim.RMSprop([w()], { momentum: -0.5 })).toThrow('RMSprop: invalid momentum -0.5 (must be >= 0)');
    expect(() => new optim.Adagrad([w()], { lrDecay: -1 })).toThrow('Adagrad: invalid lrDecay -1 (must be >= 0)');
    expect(() => new optim.Adam([{ params: [w()], lr: -0.1 }])).toThrow('Adam: invalid learning rate -0.1 (lr must be >= 0)');
  });

  it('rejects parameters an in-place kernel cannot update', () => {
    const big = zeros([4, 3], { requiresGrad: true });
    expect(() => new optim.Adam([big.detach().slice(1, 0, 2)])).toThrow(
      'Adam: parameter 0 of group 0 (shape [4, 2]) does not own its storage (it is a view of a larger or non-contiguous tensor)',
    );
    expect(() => new optim.SGD([big.mul(2)], { lr: 0.1 })).toThrow(
      'SGD: parameter 0 of group 0 is not a leaf tensor (it was computed by mul); optimize the leaves',
    );
    expect(() => new optim.SGD([], { lr: 0.1 })).toThrow('SGD: got an empty parameter list');
    expect(() => new optim.SGD([big, big], { lr: 0.1 })).toThrow('SGD: parameter group 0 lists a parameter twice');
  });

  it('rejects a gradient of the wrong shape at step()', () => {
    const p = w();
    const opt = new optim.SGD([p], { lr: 0.1 });
    p.grad = zeros([4]);
    expect(() => opt.step()).toThrow("SGD.step: a parameter of shape [3] (float32 on 'wasm') has a gradient of shape [4] (float32 on 'wasm')");
  });
});

describe('memory', () => {
  it('200 steps of Adam keep live tensors and bytes flat after the first step', () => {
    manualSeed(0);
    const w = randn([16, 8], { requiresGrad: true }).keep();
    const b = zeros([8], { requiresGrad: true }).keep();
    const x = randn([32, 16]).keep();
    const y = randn([32, 8]).keep();
    const opt = new optim.Adam([w, b], { lr: 1e-2, amsgrad: true });
    const losses: number[] = [];
    let after1 = memoryStats();
    for (let i = 0; i < 200; i++) {
      opt.zeroGrad();
      const loss = x.matmul(w).add(b).sub(y).square().mean();
      loss.backward();
      opt.step();
      losses.push(loss.item());
      if (i === 0) after1 = memoryStats();
    }
    const now = memoryStats();
    expect(now.liveTensors).toBe(after1.liveTensors);
    expect(now.liveBytes).toBe(after1.liveBytes);
    expect(losses[199]).toBeLessThan(losses[0] / 2);
  });
});
