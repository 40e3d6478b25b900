import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { optim, zeros } from '../src/index.js';

interface Case {
  name: string;
  options: Record<string, unknown>;
  lrs: number[][];
  metrics?: number[];
  state: Record<string, unknown>;
}
const { cases }: { cases: Case[] } = JSON.parse(readFileSync(new URL('./fixtures/torch-schedulers.json', import.meta.url), 'utf8'));
const S = optim.lrScheduler;

/** The fixture's optimizer: two groups (lr 0.1 and 0.05), SGD with momentum. */
function optimizer() {
  return new optim.SGD([{ params: [zeros([2], { requiresGrad: true })] }, { params: [zeros([3], { requiresGrad: true })], lr: 0.05 }], {
    lr: 0.1,
    momentum: 0.9,
  });
}

function make(c: Case, opt: optim.SGD) {
  const o = c.options as never;
  switch (c.name) {
    case 'ExponentialLR':
      return new S.ExponentialLR(opt, o);
    case 'MultiStepLR':
      return new S.MultiStepLR(opt, o);
    case 'ConstantLR':
      return new S.ConstantLR(opt, o);
    case 'PolynomialLR':
      return new S.PolynomialLR(opt, o);
    case 'LambdaLR':
      return new S.LambdaLR(opt, { lrLambda: [(e) => 0.9 ** e, (e) => 1 / (1 + e)] });
    case 'CosineAnnealingWarmRestarts':
      return new S.CosineAnnealingWarmRestarts(opt, o);
    case 'SequentialLR': {
      const names = c.options.schedulers as string[];
      const parts =
        names.length === 2
          ? [new S.LinearLR(opt, { startFactor: 0.1, totalIters: 5 }), new S.ExponentialLR(opt, { gamma: 0.9 })]
          : [new S.ConstantLR(opt, { factor: 0.1, totalIters: 3 }), new S.CosineAnnealingLR(opt, { tMax: 10 }), new S.StepLR(opt, { stepSize: 4, gamma: 0.5 })];
      return new S.SequentialLR(opt, { schedulers: parts, milestones: c.options.milestones as number[] });
    }
    default:
      throw new Error(c.name);
  }
}

/** Every key PyTorch's state_dict has is present with PyTorch's value (nested scheduler states too). */
function expectState(mine: Record<string, unknown>, torch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(torch)) {
    expect(mine, `state key ${key}`).toHaveProperty([key]);
    if (key === '_schedulers') (value as Record<string, unknown>[]).forEach((s, i) => expectState((mine[key] as Record<string, unknown>[])[i], s));
    else if (value === 'inf' || value === '-inf') expect(mine[key]).toBe(value === 'inf' ? Infinity : -Infinity);
    else if (typeof value === 'number') expect(mine[key] as number).toBeCloseTo(value, 12);
    else if (Array.isArray(value) && typeof value[0] === 'number') (value as number[]).forEach((v, i) => expect((mine[key] as number[])[i]).toBeCloseTo(v, 12));
    else expect(mine[key]).toEqual(value);
  }
}

describe('lr schedulers follow PyTorch 1.13 step by step', () => {
  it.each(cases.filter((c) => c.name !== 'ReduceLROnPlateau').map((c) => [`${c.name} ${JSON.stringify(c.options)}`, c] as const))(
    '%s: the lr sequence of both groups and the PyTorch-layout stateDict',
    (_, c) => {
      const opt = optimizer();
      const sched = make(c, opt);
      const lrs = [sched.getLastLr()];
      for (let i = 1; i < c.lrs.length; i++) {
        sched.step();
        lrs.push(sched.getLastLr());
      }
      lrs.forEach((row, i) => row.forEach((v, g) => expect(v, `step ${i} group ${g}`).toBeCloseTo(c.lrs[i][g], 14)));
      expectState(sched.stateDict() as Record<string, unknown>, c.state);
      // The state resumes a fresh scheduler where this one is.
      const again = make(c, optimizer());
      again.loadStateDict(sched.stateDict());
      expect(again.lastEpoch).toBe(sched.lastEpoch);
    },
  );

  it.each(cases.filter((c) => c.name === 'ReduceLROnPlateau').map((c) => [JSON.stringify(c.options), c] as const))(
    'ReduceLROnPlateau %s: lr sequence and stateDict',
    (_, c) => {
      const opt = optimizer();
      const sched = new S.ReduceLROnPlateau(opt, c.options as never);
      const lrs = c.metrics!.map((m) => (sched.step(m), sched.getLastLr()));
      lrs.forEach((row, i) => row.forEach((v, g) => expect(v, `step ${i} group ${g}`).toBeCloseTo(c.lrs[i][g], 14)));
      expectState(sched.stateDict(), c.state);
      const again = new S.ReduceLROnPlateau(optimizer());
      again.loadStateDict(sched.stateDict());
      expect(again.stateDict()).toEqual(sched.stateDict());
    },
  );

  it('bad arguments are named', () => {
    const opt = optimizer();
    expect(() => new S.ExponentialLR(opt, {} as never)).toThrow(/ExponentialLR: gamma must be a number > 0/);
    expect(() => new S.MultiStepLR(opt, { milestones: [1.5] })).toThrow(/MultiStepLR: milestones must be an array/);
    expect(() => new S.ConstantLR(opt, { factor: 2 })).toThrow(/ConstantLR: factor must be in \[0, 1\]/);
    expect(() => new S.PolynomialLR(opt, { totalIters: 0 })).toThrow(/PolynomialLR: totalIters must be a positive integer/);
    expect(() => new S.LambdaLR(opt, { lrLambda: [(e) => e] })).toThrow(/expected 2 lrLambda functions/);
    expect(() => new S.CosineAnnealingWarmRestarts(opt, { t0: 0 })).toThrow(/t0 must be a positive integer/);
    expect(() => new S.SequentialLR(opt, { schedulers: [new S.ExponentialLR(opt, { gamma: 0.9 })], milestones: [3] })).toThrow(/expected 0 milestones/);
    expect(() => new S.ReduceLROnPlateau(opt, { factor: 1 })).toThrow(/factor must be < 1/);
    expect(() => new S.ReduceLROnPlateau(opt).step(Number.NaN)).toThrow(/expected the monitored value/);
  });
  it('a misspelt or null options object is refused naming the scheduler and the key, for every scheduler', () => {
    const opt = optimizer();
    const valid: [string, Record<string, unknown>][] = [
      ['StepLR', { stepSize: 2 }],
      ['CosineAnnealingLR', { tMax: 4 }],
      ['LinearLR', {}],
      ['OneCycleLR', { maxLr: 0.1, totalSteps: 10 }],
      ['ReduceLROnPlateau', {}],
      ['ExponentialLR', { gamma: 0.9 }],
      ['MultiStepLR', { milestones: [2] }],
      ['ConstantLR', {}],
      ['PolynomialLR', {}],
      ['LambdaLR', { lrLambda: () => 1 }],
      ['CosineAnnealingWarmRestarts', { t0: 2 }],
      ['SequentialLR', { schedulers: [new S.ConstantLR(opt), new S.LinearLR(opt)], milestones: [2] }],
    ];
    const exported = Object.keys(S).filter((k) => /^[A-Z]/.test(k) && k !== 'LRScheduler');
    expect(valid.map(([name]) => name).sort()).toEqual(exported.sort());
    for (const [name, options] of valid) {
      const Ctor = (S as unknown as Record<string, new (o: unknown, p: unknown) => unknown>)[name];
      expect(() => new Ctor(opt, options), name).not.toThrow();
      expect(() => new Ctor(opt, { ...options, gamam: 0.5 }), name).toThrow(new RegExp(`^${name}: unknown option "gamam" in options; valid options are`));
      expect(() => new Ctor(opt, null), name).toThrow(new RegExp(`^${name}: options must be an object \\(got null\\)`));
    }
  });
});
