// F.interpolate and nn.Upsample: values and gradients against PyTorch
// (tests/fixtures/torch-interpolate.json, regenerate with /usr/bin/python3 scripts/torch_interpolate_fixtures.py),
// float64 gradchecks on the reference backend, and errors for bad arguments.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Generator, gradcheck, nn, randn, tensor, zeros, type Device, type Tensor } from '../src/index.js';

interface TensorRecord {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  args: nn.functional.InterpolateOptions;
  input: TensorRecord;
  out: TensorRecord;
  gradOut: TensorRecord;
  grad: TensorRecord;
}

const cases: Case[] = JSON.parse(readFileSync(new URL('./fixtures/torch-interpolate.json', import.meta.url), 'utf8'));
const F = nn.functional;

function expectClose(actual: Tensor | null, expected: TensorRecord, what: string, tol = 1e-5): void {
  expect(actual, `${what}: missing`).not.toBeNull();
  expect(actual!.shape, `${what}: shape`).toEqual(expected.shape);
  const got = actual!.toArray();
  const bad = expected.data.flatMap((e, i) => (Math.abs(got[i] - e) <= tol + tol * Math.abs(e) ? [] : [`[${i}] got ${got[i]}, want ${e}`]));
  expect(bad.length, `${what}: ${bad.length}/${expected.data.length} off: ${bad.slice(0, 4).join('; ')}`).toBe(0);
}

describe.each(['wasm', 'js'] as const)('F.interpolate matches PyTorch on %s', (device: Device) => {
  it.each(cases)('$name', (c) => {
    const x = tensor(Float32Array.from(c.input.data), { shape: c.input.shape, device, requiresGrad: true });
    const out = F.interpolate(x, c.args);
    expectClose(out, c.out, 'out');
    out.backward(tensor(Float32Array.from(c.gradOut.data), { shape: c.gradOut.shape, device }));
    expectClose(x.grad, c.grad, 'grad');
  });
});

describe('F.interpolate gradients match central differences in float64', () => {
  const f64 = { dtype: 'float64', device: 'js', requiresGrad: true } as const;
  it.each([
    { mode: 'bilinear', size: [5, 3] },
    { mode: 'bilinear', scaleFactor: 1.5, alignCorners: true },
    { mode: 'bilinear', scaleFactor: [0.6, 2] },
    { mode: 'nearest', size: [5, 2] },
  ] as nn.functional.InterpolateOptions[])('2-D %o', (opts) => {
    const x = randn([2, 2, 3, 4], { ...f64, generator: new Generator(3) });
    expect(gradcheck((x) => F.interpolate(x, opts), [x])).toBe(true);
  });

  it('1-D linear and nearest', () => {
    const x = randn([1, 2, 4], { ...f64, generator: new Generator(4) });
    expect(gradcheck((x) => F.interpolate(x, { size: 7, mode: 'linear' }), [x])).toBe(true);
    expect(gradcheck((x) => F.interpolate(x, { scaleFactor: 0.75, mode: 'linear', alignCorners: true }), [x])).toBe(true);
    expect(gradcheck((x) => F.interpolate(x, { scaleFactor: 2.5 }), [x])).toBe(true);
  });
});

describe('nn.Upsample', () => {
  it('is F.interpolate with stored options, and prints them', () => {
    const x = randn([1, 2, 3, 3], { generator: new Generator(5) });
    const up = new nn.Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: false });
    expect(up.forward(x).shape).toEqual([1, 2, 6, 6]);
    expect(Array.from(up.forward(x).toArray())).toEqual(Array.from(F.interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: false }).toArray()));
    expect(String(up)).toContain("scaleFactor=2, mode='bilinear', alignCorners=false");
    expect(up.parameters()).toHaveLength(0);
  });

  it('nearest ×2 repeats every pixel into a 2×2 block', () => {
    const x = tensor([1, 2, 3, 4], { shape: [1, 1, 2, 2] });
    expect(Array.from(new nn.Upsample({ scaleFactor: 2 }).forward(x).toArray())).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });
});

describe('F.interpolate rejects bad arguments with a clear error', () => {
  const x = zeros([1, 1, 4, 4]);
  it.each([
    [{}, /exactly one of size and scaleFactor/],
    [{ size: 2, scaleFactor: 2 }, /exactly one of size and scaleFactor/],
    [{ size: [2, 2, 2] }, /size must be a number or 2 numbers for a 4-D input/],
    [{ size: 0 }, /size must be an integer ≥ 1/],
    [{ scaleFactor: -1 }, /scaleFactor must be a finite number > 0/],
    [{ scaleFactor: 0.1 }, /makes spatial dim 0 of size 4 empty/],
    [{ size: 3, mode: 'bicubic' }, /mode must be one of/],
    [{ size: 3, mode: 'linear' }, /mode 'linear' needs a 3-D input/],
    [{ size: 3, alignCorners: true }, /alignCorners can only be set with the interpolating modes/],
    [{ size: 3, sizes: 3 }, /sizes/],
  ])('%o', (opts, message) => {
    expect(() => F.interpolate(x, opts as nn.functional.InterpolateOptions)).toThrow(message);
  });

  it('names the shape of a wrong-rank or integer input', () => {
    expect(() => F.interpolate(zeros([4, 4]), { size: 2 })).toThrow(/\[N, C, L\] or \[N, C, H, W\] \(got shape \[4, 4\]\)/);
    expect(() => F.interpolate(zeros([1, 1, 4], { dtype: 'int32' }), { size: 2 })).toThrow(/floating point tensor \(got int32\)/);
    expect(() => new nn.Upsample({} as nn.functional.InterpolateOptions)).toThrow(/Upsample: pass exactly one/);
  });
});
