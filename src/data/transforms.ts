/**
 * Image transforms for data pipelines (torchvision.transforms). Each takes an image [C, H, W] or
 * a batch [N, C, H, W]; the random ones draw from the global generator (seeded by `manualSeed`)
 * unless given their own, and on a batch draw independently for every image.
 */
import { tensor } from '../creation.js';
import { tidy } from '../memory.js';
import { Generator, defaultGenerator } from '../random.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import * as V from '../validate.js';

/** A transform: an object with `forward(x)`, or a plain function of a tensor. */
export interface Transform {
  forward(x: Tensor): Tensor;
}
export type TransformLike = Transform | ((x: Tensor) => Tensor);

/** One number (for every channel) or an array of finite numbers, as an array. */
function numbers(fn: string, arg: string, v: number | readonly number[]): number[] {
  const list = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(list)) throw new TypeError(`${fn}: ${arg} must be a number or an array of numbers (got ${V.show(v)})`);
  return list.map((x: unknown, i: number) => V.num(fn, `${arg}[${i}]`, x));
}

function run(t: TransformLike, x: Tensor): Tensor {
  return typeof t === 'function' ? t(x) : t.forward(x);
}

/** [images, channels, height, width] of an image or a batch, checked. */
function imageDims(op: string, x: Tensor): [number, number, number, number] {
  if (x.ndim === 3) return [1, x.shape[0], x.shape[1], x.shape[2]];
  if (x.ndim === 4) return [x.shape[0], x.shape[1], x.shape[2], x.shape[3]];
  throw new RangeError(`${op}: expected an image [C, H, W] or a batch [N, C, H, W], got shape ${fmtShape(x.shape)}`);
}

/**
 * Applies transforms one after another.
 * @example const augment = new Compose([new RandomCrop(8, { padding: 1 }), new RandomHorizontalFlip()]);
 */
export class Compose implements Transform {
  readonly transforms: readonly TransformLike[];
  constructor(transforms: readonly TransformLike[]) {
    if (!Array.isArray(transforms)) throw new TypeError(`Compose: transforms must be an array of transforms (got ${V.show(transforms)})`);
    transforms.forEach((t, i) => {
      if (typeof t !== 'function' && typeof (t as Transform | null)?.forward !== 'function')
        throw new TypeError(`Compose: transforms[${i}] must be a function or an object with forward(x) (got ${V.show(t)})`);
    });
    this.transforms = [...transforms];
  }
  forward(x: Tensor): Tensor {
    return this.transforms.reduce((y, t) => run(t, y), x);
  }
}

/**
 * Per-channel standardisation: out[c] = (x[c] - mean[c]) / std[c]. A single number applies to
 * every channel. Differentiable (built from sub and div).
 * @example new Normalize([0.1307], [0.3081]).forward(images)
 */
export class Normalize implements Transform {
  readonly mean: readonly number[];
  readonly std: readonly number[];
  constructor(mean: number | readonly number[], std: number | readonly number[]) {
    this.mean = numbers('Normalize', 'mean', mean);
    this.std = numbers('Normalize', 'std', std);
    const zero = this.std.findIndex((s) => s === 0);
    if (zero >= 0) throw new RangeError(`Normalize: std is 0 at channel ${zero}, which would divide by zero`);
  }
  forward(x: Tensor): Tensor {
    const [, channels] = imageDims('Normalize', x);
    for (const [name, v] of [
      ['mean', this.mean],
      ['std', this.std],
    ] as const) {
      if (v.length !== 1 && v.length !== channels)
        throw new RangeError(`Normalize: ${name} has ${v.length} values but the input ${fmtShape(x.shape)} has ${channels} channels`);
    }
    const dtype = x.dtype === 'float64' ? 'float64' : 'float32';
    return tidy(() => {
      const perChannel = (v: readonly number[]) => tensor(v, { shape: [v.length, 1, 1], dtype, device: x.device });
      return x.sub(perChannel(this.mean)).div(perChannel(this.std));
    });
  }
}

/** Options of RandomCrop. */
export interface RandomCropOptions {
  /** Zero-padding added before cropping: all sides, [left/right, top/bottom] or [left, top, right, bottom]. */
  padding?: number | readonly [number, number] | readonly [number, number, number, number];
  /** Value of the padded pixels (default 0). */
  fill?: number;
  generator?: Generator;
}

/**
 * Crops a random size×size (or [h, w]) window, after padding the image when `padding` is given,
 * as torchvision's RandomCrop; a batch gets an independent window per image.
 * @example new RandomCrop(8, { padding: 1 }).forward(images) // shifts each digit by up to a pixel
 */
export class RandomCrop implements Transform {
  readonly size: readonly [number, number];
  readonly padding: readonly [number, number, number, number];
  readonly fill: number;
  private readonly generator: Generator | undefined;

  constructor(size: number | readonly [number, number], options: RandomCropOptions = {}) {
    V.options('RandomCrop', options, ['padding', 'fill', 'generator']);
    if (typeof size !== 'number' && !(Array.isArray(size) && size.length === 2))
      throw new TypeError(`RandomCrop: size must be a number or [h, w] (got ${V.show(size)})`);
    this.size = typeof size === 'number' ? [size, size] : [size[0], size[1]];
    const p = options.padding ?? 0;
    if (typeof p !== 'number' && !(Array.isArray(p) && (p.length === 2 || p.length === 4)))
      throw new TypeError(`RandomCrop: padding must be a number, [left/right, top/bottom] or [left, top, right, bottom] (got ${V.show(p)})`);
    this.padding = typeof p === 'number' ? [p, p, p, p] : p.length === 2 ? [p[0], p[1], p[0], p[1]] : [p[0], p[1], p[2], p[3]];
    if (![...this.size, ...this.padding].every((v) => Number.isInteger(v) && v >= 0) || this.size.some((v) => v === 0)) {
      throw new RangeError(
        `RandomCrop: size must be positive and padding non-negative integers (got size ${fmtShape(this.size)}, padding ${fmtShape(this.padding)})`,
      );
    }
    this.fill = V.num('RandomCrop', 'fill', options.fill ?? 0, { finite: false });
    this.generator = V.generator('RandomCrop', options.generator);
  }

  forward(x: Tensor): Tensor {
    const [n, c, h, w] = imageDims('RandomCrop', x);
    const [left, top, right, bottom] = this.padding;
    const [ch, cw] = this.size;
    const ph = h + top + bottom;
    const pw = w + left + right;
    if (ch > ph || cw > pw)
      throw new RangeError(`RandomCrop: crop ${fmtShape(this.size)} is larger than the padded image ${fmtShape([ph, pw])} (input ${fmtShape(x.shape)})`);
    const g = this.generator ?? defaultGenerator;
    const src = x.toArray();
    const out = new (src.constructor as Float32ArrayConstructor)(n * c * ch * cw);
    for (let img = 0; img < n; img++) {
      // The window's top-left corner in padded coordinates, then shifted back into the image.
      const i0 = g.integer(0, ph - ch + 1) - top;
      const j0 = g.integer(0, pw - cw + 1) - left;
      for (let k = 0; k < c; k++) {
        const plane = (img * c + k) * h * w;
        const outPlane = (img * c + k) * ch * cw;
        for (let i = 0; i < ch; i++) {
          const si = i0 + i;
          for (let j = 0; j < cw; j++) {
            const sj = j0 + j;
            out[outPlane + i * cw + j] = si >= 0 && si < h && sj >= 0 && sj < w ? src[plane + si * w + sj] : this.fill;
          }
        }
      }
    }
    return tensor(out, { shape: x.ndim === 3 ? [c, ch, cw] : [n, c, ch, cw], dtype: x.dtype, device: x.device });
  }
}

/**
 * Mirrors an image left to right with probability p (default 0.5), as torchvision's
 * RandomHorizontalFlip; a batch flips each image independently.
 * @example new RandomHorizontalFlip(0.5).forward(images)
 */
export class RandomHorizontalFlip implements Transform {
  readonly p: number;
  private readonly generator: Generator | undefined;
  constructor(p = 0.5, options: { generator?: Generator } = {}) {
    V.options('RandomHorizontalFlip', options, ['generator']);
    this.p = V.num('RandomHorizontalFlip', 'p', p, { min: 0, max: 1 });
    this.generator = V.generator('RandomHorizontalFlip', options.generator);
  }

  forward(x: Tensor): Tensor {
    const [n, c, h, w] = imageDims('RandomHorizontalFlip', x);
    const g = this.generator ?? defaultGenerator;
    const src = x.toArray();
    const out = src.slice();
    for (let img = 0; img < n; img++) {
      if (!(g.random() < this.p)) continue;
      for (let row = 0; row < c * h; row++) {
        const base = (img * c * h + row) * w;
        for (let j = 0; j < w; j++) out[base + j] = src[base + w - 1 - j];
      }
    }
    return tensor(out, { shape: x.shape, dtype: x.dtype, device: x.device });
  }
}
