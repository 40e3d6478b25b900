// conv2d, maxPool2d, avgPool2d and adaptiveAvgPool2d: values and gradients against PyTorch
// (tests/fixtures/torch-conv.json, regenerate with /usr/bin/python3 scripts/torch_conv_fixtures.py),
// float64 gradchecks on the reference backend, wasm/js agreement, errors and memory.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Generator,
  adaptiveAvgPool2d,
  avgPool2d,
  conv2d,
  gradcheck,
  manualSeed,
  maxPool2d,
  memoryStats,
  nn,
  noGrad,
  randn,
  tensor,
  zeros,
  type Device,
  type Tensor,
} from '../src/index.js';

interface TensorRecord {
  shape: number[];
  data: number[];
}
type Names = 'input' | 'weight' | 'bias';
interface Case {
  name: string;
  op: 'conv2d' | 'maxPool2d' | 'avgPool2d' | 'adaptiveAvgPool2d';
  args: Record<string, unknown>;
  inputs: Partial<Record<Names, TensorRecord>>;
  out: TensorRecord;
  gradOut: TensorRecord;
  grads: Partial<Record<Names, TensorRecord>>;
}

const cases: Case[] = JSON.parse(readFileSync(new URL('./fixtures/torch-conv.json', import.meta.url), 'utf8'));

/** Python's None becomes null in the fixtures; the ops take null or a missing key alike. */
const RUN: Record<Case['op'], (x: Partial<Record<Names, Tensor>>, args: never) => Tensor> = {
  conv2d: (x, args) => conv2d(x.input!, x.weight!, x.bias ?? null, args),
  maxPool2d: (x, args) => maxPool2d(x.input!, args),
  avgPool2d: (x, args) => avgPool2d(x.input!, args),
  adaptiveAvgPool2d: (x, args: { outputSize: number | [number | null, number | null] }) => adaptiveAvgPool2d(x.input!, args.outputSize),
};

const seeded = (seed: number) => new Generator(seed);
const f64 = { dtype: 'float64', device: 'js' } as const;

function expectClose(actual: Tensor | null, expected: TensorRecord, what: string, rtol = 1e-5, atol = 1e-5): void {
  expect(actual, `${what}: missing`).not.toBeNull();
  expect(actual!.shape, `${what}: shape`).toEqual(expected.shape);
  const got = actual!.toArray();
  const bad: string[] = [];
  expected.data.forEach((e, i) => {
    if (!(Math.abs(got[i] - e) <= atol + rtol * Math.abs(e))) bad.push(`[${i}] got ${got[i]}, want ${e}`);
  });
  expect(bad.length, `${what}: ${bad.length}/${expected.data.length} off: ${bad.slice(0, 4).join('; ')}`).toBe(0);
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  const x = a.toArray();
  const y = b.toArray();
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

describe.each(['wasm', 'js'] as const)('PyTorch reference values on %s', (device: Device) => {
  it('covers every op', () => {
    expect(new Set(cases.map((c) => c.op))).toEqual(new Set(Object.keys(RUN)));
  });

  it.each(cases)('$name', (c) => {
    const leaves: Partial<Record<Names, Tensor>> = {};
    for (const [name, r] of Object.entries(c.inputs) as [Names, TensorRecord][]) {
      leaves[name] = tensor(Float32Array.from(r.data), { shape: r.shape, device, requiresGrad: true });
    }
    const out = RUN[c.op](leaves, c.args as never);
    expectClose(out, c.out, 'out');
    out.backward(tensor(Float32Array.from(c.gradOut.data), { shape: c.gradOut.shape, device }));
    for (const [name, g] of Object.entries(c.grads) as [Names, TensorRecord][]) expectClose(leaves[name]!.grad, g, `grad of ${name}`);
  });
});

describe('gradients match central differences in float64', () => {
  it('conv2d with stride, padding, dilation, groups and bias', () => {
    const g = seeded(1);
    const x = randn([1, 4, 4, 5], { ...f64, generator: g, requiresGrad: true });
    const w = randn([4, 2, 2, 3], { ...f64, generator: g, requiresGrad: true });
    const b = randn([4], { ...f64, generator: g, requiresGrad: true });
    const opts = { stride: [2, 1] as [number, number], padding: 1, dilation: [1, 2] as [number, number], groups: 2 };
    expect(gradcheck((x, w, b) => conv2d(x, w, b, opts), [x, w, b])).toBe(true);
  });

  it("conv2d with a 1×1 kernel and with padding 'same' on an even kernel", () => {
    const g = seeded(2);
    const x = randn([1, 3, 4, 3], { ...f64, generator: g, requiresGrad: true });
    const w1 = randn([2, 3, 1, 1], { ...f64, generator: g, requiresGrad: true });
    const w2 = randn([2, 3, 2, 2], { ...f64, generator: g, requiresGrad: true });
    expect(gradcheck((x, w) => conv2d(x, w), [x, w1])).toBe(true);
    expect(gradcheck((x, w) => conv2d(x, w, null, { padding: 'same' }), [x, w2])).toBe(true);
  });

  it('maxPool2d with overlapping windows, padding, dilation and ceilMode', () => {
    const x = randn([1, 2, 5, 6], { ...f64, generator: seeded(3), requiresGrad: true });
    expect(gradcheck((x) => maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }), [x])).toBe(true);
    expect(gradcheck((x) => maxPool2d(x, { kernelSize: 2, stride: 1, dilation: 2 }), [x])).toBe(true);
  });

  it('avgPool2d with and without countIncludePad, and ceilMode', () => {
    const x = randn([1, 1, 5, 6], { ...f64, generator: seeded(4), requiresGrad: true });
    expect(gradcheck((x) => avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }), [x])).toBe(true);
    expect(gradcheck((x) => avgPool2d(x, { kernelSize: [2, 3], stride: 1, padding: 1, countIncludePad: false }), [x])).toBe(true);
  });

  it('adaptiveAvgPool2d with uneven cells', () => {
    const x = randn([1, 2, 7, 5], { ...f64, generator: seeded(5), requiresGrad: true });
    expect(gradcheck((x) => adaptiveAvgPool2d(x, [3, 2]), [x])).toBe(true);
  });

  it('the check is tight enough to notice a missing term in a conv gradient', () => {
    const g = seeded(6);
    const x = randn([1, 2, 4, 4], { ...f64, generator: g, requiresGrad: true });
    const w = randn([2, 2, 3, 3], { ...f64, generator: g, requiresGrad: true });
    // Numerically 2·conv(x, w), but backward sees x only through the first term.
    const missingTerm = (x: Tensor, w: Tensor) => conv2d(x, w).add(conv2d(x.detach(), w));
    expect(gradcheck(missingTerm, [x, w], { raiseException: false })).toBe(false);
  });
});

describe('the SIMD kernels agree with the reference backend', () => {
  function onBoth(shapes: number[][], seed: number): [Tensor[], Tensor[]] {
    const g = seeded(seed);
    const wasm = shapes.map((s) => randn(s, { generator: g, device: 'wasm', requiresGrad: true }));
    const js = wasm.map((t) => tensor(t.toArray(), { shape: [...t.shape], device: 'js', requiresGrad: true }));
    return [wasm, js];
  }

  it.each([
    { name: 'stride 1, padding 1, groups 2', opts: { padding: 1, groups: 2 }, w: [16, 4, 3, 3] },
    { name: 'stride 2, dilation 2, 5×3 kernel', opts: { stride: 2, dilation: 2, padding: [2, 1] as [number, number] }, w: [6, 8, 5, 3] },
    { name: 'depthwise', opts: { padding: 1, groups: 8 }, w: [8, 1, 3, 3] },
    { name: "padding 'same', 4×2 kernel, dilation [2, 1]", opts: { padding: 'same' as const, dilation: [2, 1] as [number, number] }, w: [6, 8, 4, 2] },
    { name: 'padding [3, 1]: whole rows of padding', opts: { padding: [3, 1] as [number, number] }, w: [6, 8, 3, 3] },
  ])('conv2d on [4, 8, 19, 23], $name: forward and all gradients', ({ opts, w }) => {
    const [[xw, ww, bw], [xj, wj, bj]] = onBoth([[4, 8, 19, 23], w, [w[0]]], 7);
    const ow = conv2d(xw, ww, bw, opts);
    const oj = conv2d(xj, wj, bj, opts);
    expect(ow.shape).toEqual(oj.shape);
    expect(maxAbsDiff(ow, oj)).toBeLessThan(1e-4);
    ow.square().sum().backward();
    oj.square().sum().backward();
    expect(maxAbsDiff(xw.grad!, xj.grad!)).toBeLessThan(1e-3);
    expect(maxAbsDiff(ww.grad!, wj.grad!)).toBeLessThan(1e-2);
    expect(maxAbsDiff(bw.grad!, bj.grad!)).toBeLessThan(1e-2);
  });

  it('pools on [4, 8, 19, 23]', () => {
    const [[xw], [xj]] = onBoth([[4, 8, 19, 23]], 8);
    const pools = [
      (x: Tensor) => maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, dilation: [1, 2], ceilMode: true }),
      (x: Tensor) => avgPool2d(x, { kernelSize: [3, 2], stride: [2, 1], padding: 1, countIncludePad: false, ceilMode: true }),
      (x: Tensor) => adaptiveAvgPool2d(x, [5, 7]),
    ];
    for (const pool of pools) {
      xw.grad = null;
      xj.grad = null;
      const ow = pool(xw);
      const oj = pool(xj);
      expect(maxAbsDiff(ow, oj)).toBeLessThan(1e-5);
      ow.square().sum().backward();
      oj.square().sum().backward();
      expect(maxAbsDiff(xw.grad!, xj.grad!)).toBeLessThan(1e-5);
    }
  });

  it.each([
    { name: '2×2 windows', opts: { kernelSize: 2 } },
    { name: '2×2 windows, ceilMode', opts: { kernelSize: 2, ceilMode: true } },
    { name: '3×3 at stride 1, padding 1', opts: { kernelSize: 3, stride: 1, padding: 1 } },
    { name: '2×3 at stride [1, 3]', opts: { kernelSize: [2, 3] as [number, number], stride: [1, 3] as [number, number] } },
    { name: '2×2 at dilation 2', opts: { kernelSize: 2, stride: 1, dilation: 2 } },
  ])('maxPool2d $name picks the same values and argmax as the reference, with ties, NaN and -inf, with and without grad', ({ opts }) => {
    // Small integers make ties common (±0 among them: the first tap's sign must win); NaN must win its
    // window and -inf must never beat a real value. Widths 17 and 14 leave rows whose windows are
    // not a multiple of four.
    for (const shape of [
      [2, 3, 11, 17],
      [1, 2, 9, 14],
    ]) {
      const data = randn(shape, { generator: seeded(9), dtype: 'float64', device: 'js' }).toArray();
      const values = Array.from(data, (v, i) => (i % 29 === 0 ? NaN : i % 13 === 0 ? -Infinity : Math.round(v * 1.5)));
      const xw = tensor(values, { shape, requiresGrad: true });
      const xj = tensor(values, { shape, device: 'js', requiresGrad: true });
      const ow = maxPool2d(xw, opts);
      const oj = maxPool2d(xj, opts);
      expect(Array.from(ow.toArray())).toEqual(Array.from(oj.toArray()));
      // Without grad the kernel skips the argmax: the same values, signed zeros included.
      expect(Array.from(noGrad(() => maxPool2d(xw, opts)).toArray())).toEqual(Array.from(oj.toArray()));
      expect(Array.from(noGrad(() => maxPool2d(xj, opts)).toArray())).toEqual(Array.from(oj.toArray()));
      ow.sum().backward();
      oj.sum().backward();
      expect(Array.from(xw.grad!.toArray())).toEqual(Array.from(xj.grad!.toArray()));
    }
  });
});

describe('semantics', () => {
  it('reads non-contiguous inputs and weights', () => {
    const g = seeded(9);
    const x = randn([2, 3, 5, 4], { generator: g });
    const w = randn([4, 3, 3, 2], { generator: g });
    const expected = conv2d(x, w, null, { padding: 1 });
    const xT = x.transpose(2, 3).contiguous().transpose(2, 3);
    const wT = w.permute(1, 0, 2, 3).contiguous().permute(1, 0, 2, 3);
    expect(xT.isContiguous()).toBe(false);
    expect(maxAbsDiff(conv2d(xT, wT, null, { padding: 1 }), expected)).toBe(0);
    expect(maxAbsDiff(maxPool2d(xT, 2), maxPool2d(x, 2))).toBe(0);
  });

  it('the weight gradient is the same when the columns are too large to keep and are rebuilt', () => {
    // [2, 16, 128, 128] with a 3×3 kernel has 4.7M column entries, over the 4M kept from forward; each image alone is under.
    const g = seeded(12);
    const x = randn([2, 16, 128, 128], { generator: g });
    const w = randn([4, 16, 3, 3], { generator: g, requiresGrad: true });
    conv2d(x, w, null, { padding: 1 }).square().sum().backward();
    const whole = w.grad!.toArray();
    w.grad = null;
    for (const n of [0, 1])
      conv2d(x.narrow(0, n, 1), w, null, { padding: 1 })
        .square()
        .sum()
        .backward();
    const halves = w.grad!.toArray();
    const scale = Math.max(...Array.from(whole, Math.abs));
    expect(Math.max(...Array.from(whole, (v, i) => Math.abs(v - halves[i])))).toBeLessThan(1e-5 * scale);
  });

  it('max pooling pads with -inf: an all-negative input never pools to a padding 0', () => {
    const x = tensor(
      [
        [
          [
            [-5, -4],
            [-3, -2],
          ],
        ],
      ],
      { dtype: 'float32' },
    );
    expect(maxPool2d(x, { kernelSize: 2, stride: 1, padding: 1 }).tolist()).toEqual([
      [
        [
          [-5, -4, -4],
          [-3, -2, -2],
          [-3, -2, -2],
        ],
      ],
    ]);
  });

  it('max pooling propagates NaN and sends the gradient to it', () => {
    const x = tensor(
      [
        [
          [
            [1, NaN],
            [3, 2],
          ],
        ],
      ],
      { requiresGrad: true },
    );
    const out = maxPool2d(x, 2);
    expect(Number.isNaN(out.item())).toBe(true);
    out.sum().backward();
    expect(x.grad!.tolist()).toEqual([
      [
        [
          [0, 1],
          [0, 0],
        ],
      ],
    ]);
  });

  it('a tie sends the gradient to the first maximum only', () => {
    const x = tensor(
      [
        [
          [
            [7, 7],
            [7, 7],
          ],
        ],
      ],
      { requiresGrad: true },
    );
    maxPool2d(x, 2).sum().backward();
    expect(x.grad!.tolist()).toEqual([
      [
        [
          [1, 0],
          [0, 0],
        ],
      ],
    ]);
  });

  it('zero-batch inputs give empty outputs and zero weight gradients', () => {
    const x = zeros([0, 2, 4, 4], { requiresGrad: true });
    const w = randn([3, 2, 3, 3], { generator: seeded(10), requiresGrad: true });
    const out = conv2d(x, w);
    expect(out.shape).toEqual([0, 3, 2, 2]);
    out.sum().backward();
    expect(Array.from(w.grad!.toArray()).every((v) => v === 0)).toBe(true);
  });
});

describe('errors name the op, the argument and the shapes', () => {
  const x = zeros([8, 4, 28, 28]);
  it.each<[string, () => unknown]>([
    ['conv2d: expected input with 3 channels (weight [16, 3, 3, 3]) but got [8, 4, 28, 28]', () => conv2d(x, zeros([16, 3, 3, 3]))],
    [
      'conv2d: expected input with 2 channels (weight [6, 1, 3, 3], groups 2) but got [8, 4, 28, 28]',
      () => conv2d(x, zeros([6, 1, 3, 3]), null, { groups: 2 }),
    ],
    ['conv2d: expected input with 3 channels (weight [16, 3, 3, 3]) but got [4, 28, 28]', () => conv2d(zeros([4, 28, 28]), zeros([16, 3, 3, 3]))],
    [
      'conv2d: the kernel (3×3) is larger than the padded input (2×2; input [1, 2, 2], weight [1, 1, 3, 3])',
      () => conv2d(zeros([1, 2, 2]), zeros([1, 1, 3, 3])),
    ],
    ["conv2d: groups (4) must divide the weight's 6 output channels (weight [6, 2, 3, 3])", () => conv2d(x, zeros([6, 2, 3, 3]), null, { groups: 4 })],
    ['conv2d: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input (got shape [28, 28])', () => conv2d(zeros([28, 28]), zeros([1, 1, 3, 3]))],
    ['conv2d: expected a 4-D weight [outChannels, inChannels / groups, kH, kW] (got shape [16, 4, 3])', () => conv2d(x, zeros([16, 4, 3]))],
    ['conv2d: expected a bias of shape [16] for weight [16, 4, 3, 3] (got [8])', () => conv2d(x, zeros([16, 4, 3, 3]), zeros([8]))],
    [
      'conv2d: the kernel (5×5 after dilation) is larger than the padded input (4×4; input [1, 1, 4, 4], weight [1, 1, 3, 3])',
      () => conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 3, 3]), null, { dilation: 2 }),
    ],
    ['conv2d: options must be an object (got 1)', () => conv2d(x, zeros([16, 4, 3, 3]), null, 1 as never)],
    ['conv2d: stride must be a positive integer or a pair of them (got 0)', () => conv2d(x, zeros([16, 4, 3, 3]), null, { stride: 0 })],
    ['conv2d: padding must be a non-negative integer or a pair of them (got -1)', () => conv2d(x, zeros([16, 4, 3, 3]), null, { padding: -1 })],
    ["conv2d: padding 'same' needs stride 1 (got stride 2)", () => conv2d(x, zeros([16, 4, 3, 3]), null, { padding: 'same', stride: 2 })],
    ["conv2d: weight is on device 'js' but the input is on 'wasm'", () => conv2d(x, zeros([16, 4, 3, 3], { device: 'js' }))],
    ['conv2d: expected a floating point input (got int32)', () => conv2d(x.int(), zeros([16, 4, 3, 3]))],
    ['maxPool2d: padding [2, 2] must be at most half the kernel size (kernel [2, 2], dilation [1, 1])', () => maxPool2d(x, { kernelSize: 2, padding: 2 })],
    ['maxPool2d: the output would be 0×0 for input [1, 1, 2, 2] (kernel [3, 3] is larger than the padded input)', () => maxPool2d(zeros([1, 1, 2, 2]), 3)],
    ['avgPool2d: stride must be a positive integer or a pair of them (got [1, 0])', () => avgPool2d(x, { kernelSize: 2, stride: [1, 0] })],
    ['adaptiveAvgPool2d: outputSize must be a positive integer, or a pair of them where null keeps the input size (got 0)', () => adaptiveAvgPool2d(x, 0)],
  ])('%s', (message, fn) => {
    expect(fn).toThrow(message);
  });
});

describe('memory', () => {
  it('a conv → maxPool → conv training step keeps live tensors and bytes flat', () => {
    const g = seeded(11);
    const w1 = randn([8, 1, 3, 3], { generator: g, requiresGrad: true }).keep();
    const w2 = randn([4, 8, 3, 3], { generator: g, requiresGrad: true }).keep();
    const b1 = zeros([8], { requiresGrad: true }).keep();
    const x = randn([16, 1, 8, 8], { generator: g }).keep();
    const step = () => {
      const h = maxPool2d(conv2d(x, w1, b1, { padding: 1 }).relu(), 2);
      const y = avgPool2d(conv2d(h, w2, null, { padding: 'same' }), { kernelSize: 3, padding: 1 });
      const loss = adaptiveAvgPool2d(y, 1).square().sum();
      loss.backward();
      for (const p of [w1, w2, b1]) {
        p.grad!.dispose();
        p.grad = null;
      }
      return loss.item();
    };
    for (let i = 0; i < 3; i++) step();
    const before = memoryStats();
    for (let i = 0; i < 20; i++) step();
    const after = memoryStats();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveBytes).toBe(before.liveBytes);
  });
});

describe('layers', () => {
  it('Conv2d holds weight [out, in / groups, kH, kW] and bias [out], drawn from U(±1/√fanIn)', () => {
    manualSeed(0);
    const conv = new nn.Conv2d(6, 8, [3, 2], { groups: 2, padding: 1 });
    expect(conv.namedParameters().map(([name, p]) => [name, p.shape])).toEqual([
      ['weight', [8, 3, 3, 2]],
      ['bias', [8]],
    ]);
    const bound = 1 / Math.sqrt(3 * 3 * 2);
    for (const p of [conv.weight, conv.bias!]) {
      const v = Array.from(p.toArray());
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
    }
    // U(−b, b) has standard deviation b/√3; 144 weights land within 15 % of it.
    const w = Array.from(conv.weight.toArray());
    const std = Math.sqrt(w.reduce((a, x) => a + x * x, 0) / w.length);
    expect(std / (bound / Math.sqrt(3))).toBeGreaterThan(0.85);
    expect(std / (bound / Math.sqrt(3))).toBeLessThan(1.15);
  });

  it('Conv2d is reproducible under manualSeed and forwards to conv2d with its settings', () => {
    manualSeed(3);
    const a = new nn.Conv2d(2, 4, 3, { stride: 2, padding: 1, bias: false });
    manualSeed(3);
    const b = new nn.Conv2d(2, 4, 3, { stride: 2, padding: 1, bias: false });
    expect(Array.from(a.weight.toArray())).toEqual(Array.from(b.weight.toArray()));
    expect(a.bias).toBeNull();
    const x = randn([3, 2, 9, 7], { generator: seeded(12) });
    expect(maxAbsDiff(a.forward(x), conv2d(x, a.weight, null, { stride: 2, padding: 1 }))).toBe(0);
    expect(a.toString()).toBe('Conv2d(2, 4, kernelSize=[3, 3], stride=[2, 2], padding=[1, 1], bias=false)');
  });

  it('Conv2d rejects groups that do not divide the channels', () => {
    expect(() => new nn.Conv2d(6, 8, 3, { groups: 4 })).toThrow('Conv2d: groups (4) must divide both inChannels (6) and outChannels (8)');
    expect(() => new nn.Conv2d(1, 8, 0)).toThrow('Conv2d: kernelSize must be a positive integer or a pair of them (got 0)');
  });

  it('the pooling layers forward to their ops', () => {
    const x = randn([2, 3, 9, 8], { generator: seeded(13) });
    const max = new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true });
    const avg = new nn.AvgPool2d([2, 3], { countIncludePad: false, padding: 1 });
    const ada = new nn.AdaptiveAvgPool2d([null, 2]);
    expect(maxAbsDiff(max.forward(x), maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }))).toBe(0);
    expect(maxAbsDiff(avg.forward(x), avgPool2d(x, { kernelSize: [2, 3], countIncludePad: false, padding: 1 }))).toBe(0);
    expect(ada.forward(x).shape).toEqual([2, 3, 9, 2]);
    expect(new nn.MaxPool2d(2).toString()).toBe('MaxPool2d(kernelSize=2, stride=2, padding=0, dilation=1, ceilMode=false)');
  });

  it('a small CNN learns a fixed batch with plain SGD and its memory stays flat', () => {
    manualSeed(1);
    const model = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(4, 4, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.AdaptiveAvgPool2d(1),
      new nn.Flatten(),
      new nn.Linear(4, 1),
    );
    const x = randn([8, 1, 8, 8], { generator: seeded(14) }).keep();
    const y = randn([8, 1], { generator: seeded(15) }).keep();
    const step = () => {
      model.zeroGrad();
      const loss = model.forward(x).sub(y).square().mean();
      loss.backward();
      noGrad(() => {
        for (const p of model.parameters()) p.sub_(p.grad!.mul(0.1));
      });
      return loss.item();
    };
    const first = step();
    for (let i = 0; i < 5; i++) step();
    const before = memoryStats();
    let last = 0;
    for (let i = 0; i < 30; i++) last = step();
    const after = memoryStats();
    expect(last).toBeLessThan(first);
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveBytes).toBe(before.liveBytes);
  });
});
