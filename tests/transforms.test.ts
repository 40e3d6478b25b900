// Image transforms (torchvision semantics): geometry checked against exact rotations and
// shifts, colour against torchvision's formulas on known colours, the random parameter draws
// against their ranges, seeding, and that every transform keeps labels and shapes in a pipeline.
import { describe, expect, it } from 'vitest';
import { Generator, arange, data, nn, rand, tensor, type Tensor } from '../src/index.js';

const {
  ColorJitter,
  Compose,
  DataLoader,
  TensorDataset,
  GaussianNoise,
  RandomAffine,
  RandomCrop,
  RandomErasing,
  RandomHorizontalFlip,
  RandomResizedCrop,
  RandomRotation,
  RandomVerticalFlip,
  Resize,
} = data;
const g = (seed: number) => new Generator(seed);
const values = (t: Tensor) => Array.from(t.toArray());
const close = (a: number[], b: number[], tol = 1e-6) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= tol);

describe('geometric transforms', () => {
  const img = arange(16).reshape([1, 4, 4]).to('float32');

  it('RandomVerticalFlip with p = 1 reverses the rows; p = 0 is the identity', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], { shape: [1, 3, 2] });
    expect(values(new RandomVerticalFlip(1).forward(x))).toEqual([5, 6, 3, 4, 1, 2]);
    expect(values(new RandomVerticalFlip(0).forward(x))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('RandomRotation by exactly 90° turns the image counter-clockwise (torch.rot90), 180° twice', () => {
    const r90 = new RandomRotation([90, 90]).forward(img);
    // torch.rot90(arange(16).view(4, 4), 1, [0, 1]): the last column becomes the first row.
    expect(values(r90)).toEqual([3, 7, 11, 15, 2, 6, 10, 14, 1, 5, 9, 13, 0, 4, 8, 12]);
    expect(values(new RandomRotation([180, 180]).forward(img))).toEqual(values(img).reverse());
    expect(values(new RandomRotation([0, 0], { interpolation: 'bilinear' }).forward(img))).toEqual(values(img));
  });

  it('RandomRotation fills the corners it rotates in from outside, per channel', () => {
    const ones = tensor(new Float32Array(2 * 5 * 5).fill(1), { shape: [2, 5, 5] });
    const out = values(new RandomRotation([45, 45], { fill: [7, 9] }).forward(ones));
    expect(out[0]).toBe(7); // corner of channel 0
    expect(out[25]).toBe(9); // corner of channel 1
    expect(out[12]).toBe(1); // centre stays
  });

  it('RandomAffine draws torchvision-style parameters and applies them: a pure translation shifts by whole pixels', () => {
    const t = new RandomAffine(0, { translate: [0.5, 0.5], generator: g(3) });
    const p = new RandomAffine(0, { translate: [0.5, 0.5] }).getParams(4, 4, g(3));
    expect(p.angle).toBe(0);
    expect(p.translate.every((v) => Number.isInteger(v) && Math.abs(v) <= 2)).toBe(true);
    const out = values(t.forward(img));
    const [dx, dy] = p.translate;
    const want = Array.from({ length: 16 }, (_, k) => {
      const [i, j] = [Math.floor(k / 4) - dy, (k % 4) - dx];
      return i >= 0 && i < 4 && j >= 0 && j < 4 ? i * 4 + j : 0;
    });
    expect(out).toEqual(want);
  });

  it('RandomAffine: positive degrees turn clockwise (as torchvision affine); scale 2 zooms on the centre', () => {
    expect(values(new RandomAffine([90, 90]).forward(img))).toEqual([12, 8, 4, 0, 13, 9, 5, 1, 14, 10, 6, 2, 15, 11, 7, 3]);
    const zoom = values(new RandomAffine(0, { scale: [2, 2], interpolation: 'bilinear' }).forward(img));
    // Output pixel (0, 0) is at (-1.5, -1.5) from the centre; halved, (-0.75, -0.75) is input index
    // (0.75, 0.75): pixels 0, 1, 4, 5 weighted 1/16, 3/16, 3/16, 9/16.
    expect(zoom[0]).toBeCloseTo((0 * 1 + 1 * 3 + 4 * 3 + 5 * 9) / 16, 5);
  });

  it('RandomAffine shear parameters follow the number / [min, max] / 4-value forms', () => {
    const draw = (shear: number | number[]) => new RandomAffine(0, { shear }).getParams(8, 8, g(1)).shear;
    expect(Math.abs(draw(10)[0])).toBeLessThanOrEqual(10);
    expect(draw(10)[1]).toBe(0);
    const four = draw([5, 6, -3, -2]);
    expect(four[0]).toBeGreaterThanOrEqual(5);
    expect(four[1]).toBeLessThanOrEqual(-2);
  });

  it('Resize matches the shorter edge and keeps the aspect ratio, caps the longer at maxSize, and is F.interpolate (differentiable)', () => {
    expect(new Resize(32).forward(rand([3, 28, 56])).shape).toEqual([3, 32, 64]);
    expect(new Resize(32).forward(rand([2, 1, 56, 28])).shape).toEqual([2, 1, 64, 32]);
    expect(new Resize(16, { maxSize: 20 }).outputSize(10, 40)).toEqual([5, 20]);
    expect(new Resize([5, 7]).forward(rand([1, 4, 4])).shape).toEqual([1, 5, 7]);
    const x = rand([1, 1, 4, 4], { generator: g(2), requiresGrad: true });
    const y = new Resize(8).forward(x);
    expect(values(y)).toEqual(values(nn.functional.interpolate(x, { size: [8, 8], mode: 'bilinear', alignCorners: false })));
    y.sum().backward();
    expect(x.grad!.sum().item()).toBeCloseTo(64, 4);
  });

  it('RandomResizedCrop with scale and ratio fixed at 1 is a Resize of the whole image; crops stay inside', () => {
    const x = rand([2, 3, 6, 6], { generator: g(4) });
    const whole = new RandomResizedCrop(4, { scale: [1, 1], ratio: [1, 1] }).forward(x);
    expect(close(values(whole), values(new Resize([4, 4]).forward(x)))).toBe(true);
    const crop = new RandomResizedCrop([5, 3]);
    for (let s = 0; s < 50; s++) {
      const [top, left, h, w] = crop.getParams(10, 12, g(s));
      expect(top >= 0 && left >= 0 && top + h <= 10 && left + w <= 12 && h > 0 && w > 0).toBe(true);
    }
    // An impossible ratio falls back to a central crop clamped to the ratio range.
    expect(new RandomResizedCrop(4, { scale: [1, 1], ratio: [4, 4] }).getParams(8, 8, g(0))).toEqual([3, 0, 2, 8]);
  });
});

describe('pixel transforms', () => {
  it('GaussianNoise has the requested mean and spread, clips to [0, 1], and passes gradients', () => {
    const x = tensor(new Float32Array(20000).fill(0.5), { shape: [2, 1, 100, 100] });
    const noisy = values(new GaussianNoise({ sigma: 0.2, clip: false, generator: g(5) }).forward(x)).map((v) => v - 0.5);
    const mean = noisy.reduce((a, b) => a + b, 0) / noisy.length;
    const std = Math.sqrt(noisy.reduce((a, b) => a + (b - mean) ** 2, 0) / noisy.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(std).toBeCloseTo(0.2, 2);
    const clipped = values(new GaussianNoise({ sigma: 1, generator: g(5) }).forward(x));
    expect(Math.min(...clipped)).toBe(0);
    expect(Math.max(...clipped)).toBe(1);
    const leaf = rand([1, 2, 2], { requiresGrad: true });
    new GaussianNoise({ sigma: 0.01, clip: false }).forward(leaf).sum().backward();
    expect(values(leaf.grad!)).toEqual([1, 1, 1, 1]);
  });

  it("ColorJitter follows torchvision's adjust_* on known colours", () => {
    const red = tensor([1, 0, 0], { shape: [3, 1, 1] });
    // hue + 1/3 turns red into green; + 0.5 into cyan.
    expect(close(values(new ColorJitter({ hue: [1 / 3, 1 / 3] }).forward(red)), [0, 1, 0], 1e-5)).toBe(true);
    expect(close(values(new ColorJitter({ hue: [0.5, 0.5] }).forward(red)), [0, 1, 1], 1e-5)).toBe(true);
    // Saturation 0 makes every channel the luma 0.2989 r + 0.587 g + 0.114 b.
    expect(close(values(new ColorJitter({ saturation: [0, 0] }).forward(red)), [0.2989, 0.2989, 0.2989], 1e-6)).toBe(true);
    const gray = tensor([0.2, 0.4, 0.6, 0.8], { shape: [1, 2, 2] });
    expect(close(values(new ColorJitter({ brightness: [2, 2] }).forward(gray)), [0.4, 0.8, 1, 1])).toBe(true);
    // Contrast 0 gives the mean grey level everywhere; contrast 2 doubles the distance to it.
    expect(close(values(new ColorJitter({ contrast: [0, 0] }).forward(gray)), [0.5, 0.5, 0.5, 0.5])).toBe(true);
    expect(close(values(new ColorJitter({ contrast: [2, 2] }).forward(gray)), [0, 0.3, 0.7, 1])).toBe(true);
    // Saturation and hue leave a one-channel image alone, as torchvision.
    expect(values(new ColorJitter({ saturation: 0.5, hue: 0.2 }).forward(gray))).toEqual(values(gray));
  });

  it('RandomErasing with p = 1 erases one rectangle of the value, within the area range; p = 0 is the identity', () => {
    const x = tensor(new Float32Array(3 * 20 * 20).fill(0.5), { shape: [3, 20, 20] });
    const out = values(new RandomErasing({ p: 1, value: [7, 8, 9], scale: [0.1, 0.2], generator: g(6) }).forward(x));
    const erased = out.slice(0, 400).filter((v) => v === 7).length;
    expect(erased).toBeGreaterThanOrEqual(0.1 * 400 * 0.8);
    expect(erased).toBeLessThanOrEqual(0.2 * 400 * 1.25);
    expect(out.slice(400, 800).filter((v) => v === 8).length).toBe(erased);
    expect(values(new RandomErasing({ p: 0 }).forward(x))).toEqual(values(x));
    const noise = values(new RandomErasing({ p: 1, value: 'random', generator: g(6) }).forward(x));
    expect(noise.filter((v) => v !== 0.5).length).toBe(3 * erased);
  });
});

const ALL: [string, () => data.Transform, number[] | null][] = [
  ['RandomCrop', () => new RandomCrop(8, { padding: 1 }), null],
  ['RandomHorizontalFlip', () => new RandomHorizontalFlip(), null],
  ['RandomVerticalFlip', () => new RandomVerticalFlip(), null],
  ['RandomRotation', () => new RandomRotation(20), null],
  ['RandomAffine', () => new RandomAffine(10, { translate: [0.1, 0.1], scale: [0.9, 1.1], shear: 5 }), null],
  ['Resize', () => new Resize([6, 10]), [1, 6, 10]],
  ['RandomResizedCrop', () => new RandomResizedCrop(8, { scale: [0.5, 1] }), null],
  ['GaussianNoise', () => new GaussianNoise({ sigma: 0.1 }), null],
  ['ColorJitter', () => new ColorJitter({ brightness: 0.3, contrast: 0.3 }), null],
  ['RandomErasing', () => new RandomErasing({ p: 1 }), null],
];

describe.each(ALL)('%s in a data pipeline', (_name, make, shape) => {
  const images = rand([10, 1, 8, 8], { generator: g(7) });
  const labels = tensor(Int32Array.from({ length: 10 }, (_, i) => i % 3));

  it('keeps the labels and the sample shape (TensorDataset transform and DataLoader)', () => {
    const ds = new TensorDataset(images, labels, { transform: make() });
    const [x0, y0] = ds.getItem(4);
    expect(x0.shape).toEqual(shape ?? [1, 8, 8]);
    expect(y0.item()).toBe(1);
    const seen: number[] = [];
    for (const [xb, yb] of new DataLoader(ds, { batchSize: 4, shuffle: true, generator: g(1) })) {
      expect(xb.shape.slice(1)).toEqual(shape ?? [1, 8, 8]);
      expect(xb.shape[0]).toBe(yb.shape[0]);
      seen.push(...values(yb));
    }
    expect(seen.sort()).toEqual(values(labels).sort());
  });

  it('works on a batch too, and inside Compose', () => {
    expect(make().forward(images).shape).toEqual([10, ...(shape ?? [1, 8, 8])]);
    expect(new Compose([make(), (x: Tensor) => x.mul(1)]).forward(images).shape).toEqual([10, ...(shape ?? [1, 8, 8])]);
  });
});

describe('seeding', () => {
  it.each([
    ['RandomRotation', (gen: Generator) => new RandomRotation(30, { generator: gen })],
    ['RandomAffine', (gen: Generator) => new RandomAffine(30, { shear: 10, generator: gen })],
    ['RandomResizedCrop', (gen: Generator) => new RandomResizedCrop(8, { generator: gen })],
    ['ColorJitter', (gen: Generator) => new ColorJitter({ brightness: 0.5, contrast: 0.5, generator: gen })],
    ['RandomErasing', (gen: Generator) => new RandomErasing({ p: 1, generator: gen })],
    ['RandomVerticalFlip', (gen: Generator) => new RandomVerticalFlip(0.5, { generator: gen })],
    ['GaussianNoise', (gen: Generator) => new GaussianNoise({ generator: gen })],
  ] as [string, (gen: Generator) => data.Transform][])('%s: the same seed gives the same batch, another seed another', (_n, make) => {
    const x = rand([6, 1, 8, 8], { generator: g(8) });
    expect(values(make(g(1)).forward(x))).toEqual(values(make(g(1)).forward(x)));
    expect(values(make(g(1)).forward(x))).not.toEqual(values(make(g(2)).forward(x)));
  });
});

describe('argument errors', () => {
  it.each([
    [() => new RandomRotation(-5), /RandomRotation: degrees must be a finite number ≥ 0/],
    [() => new RandomRotation(5, { interpolation: 'bicubic' as 'nearest' }), /interpolation must be one of/],
    [() => new RandomRotation(5, { fill: [1, 2] }).forward(rand([3, 4, 4])), /fill has 2 values but the image has 3 channels/],
    [() => new RandomAffine(5, { translate: [2, 0] }), /translate must be \[a, b\] with fractions between 0 and 1/],
    [() => new RandomAffine(5, { scale: [0, 1] }), /scale values must be positive/],
    [() => new Resize(0), /Resize: size must be a positive integer or \[height, width\]/],
    [() => new Resize([4, 4], { maxSize: 8 }), /maxSize is only allowed when size is a single number/],
    [() => new RandomResizedCrop(4, { ratio: [2, 1] }), /ratio must be/],
    [() => new GaussianNoise({ sigma: -1 }), /sigma must be a finite number ≥ 0/],
    [() => new ColorJitter({ hue: 0.7 }), /hue must lie within \[-0.5, 0.5\]/],
    [() => new ColorJitter({ brightness: 0.2 }).forward(rand([2, 4, 4])), /expects 1 or 3 channels/],
    [() => new RandomErasing({ p: 2 }), /p must be a finite number in 0..1/],
    [() => new RandomVerticalFlip(0.5).forward(rand([4, 4])), /expected an image \[C, H, W\] or a batch/],
    [() => new RandomRotation(5).forward(tensor([1, 2, 3, 4], { shape: [1, 2, 2], dtype: 'int32' })), /floating point image \(got int32\)/],
    [() => new TensorDataset(rand([2, 2]), { transform: 3 } as never), /transform must be a function of a tensor or a transform/],
    [() => new TensorDataset(rand([2, 2]), { transfrom: 3 } as never), /unknown option "transfrom"/],
    [() => new DataLoader(new TensorDataset(rand([2, 2])), { transform: 'x' as never }), /DataLoader: transform must be a function of a batch/],
  ])('%#', (fn, message) => {
    expect(fn).toThrow(message);
  });
});

describe('transform options of TensorDataset and DataLoader', () => {
  it('targetTransform maps labels; a DataLoader transform maps whole batches after collation', () => {
    const ds = new TensorDataset(rand([4, 2]), tensor([0, 1, 2, 3], { dtype: 'int32' }), { targetTransform: (y) => y.add(10) });
    expect(values(ds.getItem(2)[1])).toEqual([12]);
    const loader = new DataLoader(ds, { batchSize: 4, transform: ([x, y]) => [x.mul(0), y] });
    const [[xb, yb]] = [...loader];
    expect(values(xb)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(values(yb)).toEqual([10, 11, 12, 13]);
  });
});
