/**
 * Image transforms for data pipelines (torchvision.transforms). Each takes an image [C, H, W] or
 * a batch [N, C, H, W]; the random ones draw from the global generator (seeded by `manualSeed`)
 * unless given their own, and on a batch draw independently for every image.
 */
import { randn, tensor } from '../creation.js';
import { isFloat } from '../dtype.js';
import { tidy } from '../memory.js';
import { interpolate } from '../nn/interpolate.js';
import { cat } from '../ops/shape.js';
import { Generator, defaultGenerator } from '../random.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import * as V from '../validate.js';
import { randperm } from './dataset.js';
import {
  type AffineParams,
  type Interpolation,
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  inverseAffineMatrix,
  warpAffine,
} from './warp.js';
export type { AffineParams, Interpolation } from './warp.js';

/** A transform: an object with `forward(x)` (of an image tensor, or of T such as a token array). */
export interface Transform<T = Tensor> {
  forward(x: T): T;
}
/** A transform object or a plain function from a sample to a sample. */
export type TransformLike<T = Tensor> = Transform<T> | ((x: T) => T);

/** One number (for every channel) or an array of finite numbers, as an array. */
function numbers(fn: string, arg: string, v: number | readonly number[]): number[] {
  const list = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(list)) throw new TypeError(`${fn}: ${arg} must be a number or an array of numbers (got ${V.show(v)})`);
  return list.map((x: unknown, i: number) => V.num(fn, `${arg}[${i}]`, x));
}

/** Applies a transform object or function. */
export function runTransform<T>(t: TransformLike<T>, x: T): T {
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
export class Compose<T = Tensor> implements Transform<T> {
  /** The transforms applied in order. */
  readonly transforms: readonly TransformLike<T>[];
  constructor(transforms: readonly TransformLike<T>[]) {
    if (!Array.isArray(transforms)) throw new TypeError(`Compose: expected an array of transforms (got ${V.show(transforms)})`);
    transforms.forEach((t, i) => {
      if (typeof t !== 'function' && typeof (t as Transform<T>)?.forward !== 'function')
        throw new TypeError(`Compose: transform ${i} is neither a function nor an object with forward(x) (got ${V.show(t)})`);
    });
    this.transforms = [...transforms];
  }
  /** Applies each transform in turn to `x`. */
  forward(x: T): T {
    return this.transforms.reduce((y, t) => runTransform(t, y), x);
  }
}

/**
 * Per-channel standardisation: out[c] = (x[c] - mean[c]) / std[c]. A single number applies to
 * every channel. Differentiable (built from sub and div).
 * @example new Normalize([0.1307], [0.3081]).forward(images)
 */
export class Normalize implements Transform {
  /** Per-channel mean subtracted. */
  readonly mean: readonly number[];
  /** Per-channel standard deviation divided by. */
  readonly std: readonly number[];
  constructor(mean: number | readonly number[], std: number | readonly number[]) {
    this.mean = numbers('Normalize', 'mean', mean);
    this.std = numbers('Normalize', 'std', std);
    const zero = this.std.findIndex((s) => s === 0);
    if (zero >= 0) throw new RangeError(`Normalize: std is 0 at channel ${zero}, which would divide by zero`);
  }
  /** (x - mean) / std per channel of a (C, H, W) or (N, C, H, W) tensor, as torchvision's Normalize. */
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
  /** Output (height, width). */
  readonly size: readonly [number, number];
  /** Padding (left, top, right, bottom) added before cropping. */
  readonly padding: readonly [number, number, number, number];
  /** Value of the padded pixels. */
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

  /** A random (height, width) crop of the last two dims, after padding. */
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
  /** Probability of flipping. */
  readonly p: number;
  private readonly generator: Generator | undefined;
  constructor(p = 0.5, options: { generator?: Generator } = {}) {
    V.options('RandomHorizontalFlip', options, ['generator']);
    this.p = probability('RandomHorizontalFlip', 'p', p);
    this.generator = V.generator('RandomHorizontalFlip', options.generator);
  }

  /** Flips the last dim (width) with probability p. */
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

/**
 * Mirrors an image top to bottom with probability p (default 0.5), as torchvision's
 * RandomVerticalFlip; a batch flips each image independently.
 * @example new RandomVerticalFlip(0.5).forward(images)
 */
export class RandomVerticalFlip implements Transform {
  /** Probability of flipping. */
  readonly p: number;
  private readonly generator: Generator | undefined;
  constructor(p = 0.5, options: { generator?: Generator } = {}) {
    this.p = probability('RandomVerticalFlip', 'p', p);
    this.generator = checkGenerator('RandomVerticalFlip', V.options('RandomVerticalFlip', options, ['generator']).generator);
  }

  /** Flips the second-to-last dim (height) with probability p. */
  forward(x: Tensor): Tensor {
    const [n, c, h, w] = imageDims('RandomVerticalFlip', x);
    const g = this.generator ?? defaultGenerator;
    const src = x.toArray();
    const out = src.slice();
    for (let img = 0; img < n; img++) {
      if (!(g.random() < this.p)) continue;
      for (let k = 0; k < c; k++) {
        const plane = (img * c + k) * h * w;
        for (let i = 0; i < h; i++) out.set(src.subarray(plane + (h - 1 - i) * w, plane + (h - i) * w), plane + i * w);
      }
    }
    return tensor(out, { shape: x.shape, dtype: x.dtype, device: x.device });
  }
}

// ---------------------------------------------------------------- shared argument checks

function probability(op: string, arg: string, p: unknown): number {
  return V.num(op, arg, p, { min: 0, max: 1 });
}

function checkGenerator(op: string, g: unknown): Generator | undefined {
  return V.generator(op, g as Generator | undefined);
}

/** A symmetric range (a number v → [-v, v], or v ≥ 0 → [center - v, center + v]) or an explicit [min, max]. */
function range(op: string, arg: string, v: unknown, center = 0, min = -Infinity): [number, number] {
  if (typeof v === 'number') {
    V.num(op, arg, v, { min: 0 });
    return [Math.max(min, center - v), center + v];
  }
  if (Array.isArray(v) && v.length === 2 && v.every((e) => typeof e === 'number' && Number.isFinite(e)) && v[0] <= v[1] && v[0] >= min) return [v[0], v[1]];
  throw new RangeError(
    `${op}: ${arg} must be a non-negative number or [min, max] with min ≤ max${min > -Infinity ? ` and min ≥ ${min}` : ''} (got ${V.show(v)})`,
  );
}

/** A fill value for every channel or one per channel. */
function fillValues(op: string, fill: unknown): number[] {
  const list = typeof fill === 'number' ? [fill] : fill;
  if (!Array.isArray(list) || list.length === 0 || !list.every((f) => typeof f === 'number' && Number.isFinite(f)))
    throw new TypeError(`${op}: fill must be a number or one number per channel (got ${V.show(fill)})`);
  return list;
}

function checkFill(op: string, fill: readonly number[], channels: number): void {
  if (fill.length !== 1 && fill.length !== channels) throw new RangeError(`${op}: fill has ${fill.length} values but the image has ${channels} channels`);
}

const uniform = (g: Generator, [lo, hi]: readonly [number, number]) => lo + (hi - lo) * g.random();

/** The output buffer of a pixel transform: float copy of the input. */
function floatPixels(op: string, x: Tensor): Float32Array | Float64Array {
  if (!isFloat(x.dtype)) throw new TypeError(`${op}: expects a floating point image (got ${x.dtype}); convert with .to('float32')`);
  return x.toArray().slice() as Float32Array | Float64Array;
}

// ---------------------------------------------------------------- geometric

/** Options of RandomRotation. */
export interface RandomRotationOptions {
  /** Pixel resampling (default 'nearest', as torchvision). */
  interpolation?: Interpolation;
  /** Value of the pixels rotated in from outside (default 0; a number or one per channel). */
  fill?: number | readonly number[];
  /** Centre of rotation [x, y] in pixels (default the image centre). */
  center?: readonly [number, number];
  generator?: Generator;
}

/**
 * Rotates each image by an angle drawn uniformly from [-degrees, degrees] (or [min, max]),
 * counter-clockwise for positive angles, as torchvision's RandomRotation (expand = false).
 * @example new RandomRotation(15).forward(images)
 */
export class RandomRotation implements Transform {
  /** Range (min, max) the angle is drawn from, in degrees counter-clockwise. */
  readonly degrees: readonly [number, number];
  /** 'nearest' or 'bilinear' resampling. */
  readonly interpolation: Interpolation;
  /** Per-channel value of pixels outside the rotated image. */
  readonly fill: readonly number[];
  /** Rotation centre (x, y) in pixels, or null for the image centre. */
  readonly center: readonly [number, number] | null;
  private readonly generator: Generator | undefined;

  constructor(degrees: number | readonly [number, number], options: RandomRotationOptions = {}) {
    const op = 'RandomRotation';
    options = V.options(op, options, ['interpolation', 'fill', 'center', 'generator']);
    this.degrees = range(op, 'degrees', degrees);
    this.interpolation = V.oneOf(op, 'interpolation', options.interpolation ?? 'nearest', ['nearest', 'bilinear'] as const);
    this.fill = fillValues(op, options.fill ?? 0);
    this.center = options.center ? point(op, 'center', options.center) : null;
    this.generator = checkGenerator(op, options.generator);
  }

  /** Rotates the image by a random angle from `degrees`, as torchvision's RandomRotation. */
  forward(x: Tensor): Tensor {
    const op = 'RandomRotation';
    const [n, c, h, w] = imageDims(op, x);
    checkFill(op, this.fill, c);
    const g = this.generator ?? defaultGenerator;
    const src = x.toArray();
    const out = floatPixels(op, x);
    for (let img = 0; img < n; img++) {
      const angle = uniform(g, this.degrees);
      // rotate() is counter-clockwise, affine() clockwise: torchvision passes -angle.
      const m = inverseAffineMatrix({ angle: -angle, translate: [0, 0], scale: 1, shear: [0, 0], center: this.center }, w, h);
      warpAffine(src, out, img, [c, h, w], m, this.interpolation, this.fill);
    }
    return tensor(out, { shape: x.shape, dtype: x.dtype, device: x.device });
  }
}

function point(op: string, arg: string, v: unknown): [number, number] {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((e) => typeof e === 'number' && Number.isFinite(e)))
    throw new TypeError(`${op}: ${arg} must be [x, y] (got ${V.show(v)})`);
  return [v[0], v[1]];
}

/** Options of RandomAffine (torchvision's, with its meanings). */
export interface RandomAffineOptions extends RandomRotationOptions {
  /** Maximum translation as fractions [a, b] of width and height: dx ∈ (-a·W, a·W), dy ∈ (-b·H, b·H), rounded to pixels. */
  translate?: readonly [number, number];
  /** Scale range [min, max] (default 1). */
  scale?: readonly [number, number];
  /** Shear in degrees: s → x in [-s, s]; [min, max] → x; [xmin, xmax, ymin, ymax] → x and y. */
  shear?: number | readonly number[];
}

/**
 * A random affine map per image (rotation, translation, scale, shear) keeping the centre fixed,
 * as torchvision's RandomAffine; positive degrees rotate clockwise, as torchvision's affine.
 * @example new RandomAffine(10, { translate: [0.1, 0.1], scale: [0.9, 1.1] }).forward(images)
 */
export class RandomAffine implements Transform {
  /** Range (min, max) of the rotation angle, in degrees. */
  readonly degrees: readonly [number, number];
  /** Maximum horizontal and vertical shift as fractions of width and height, or null. */
  readonly translate: readonly [number, number] | null;
  /** Range (min, max) of the scale factor, or null for 1. */
  readonly scale: readonly [number, number] | null;
  /** Shear ranges in degrees (x, or x then y), or null. */
  readonly shear: readonly number[] | null;
  /** 'nearest' or 'bilinear' resampling. */
  readonly interpolation: Interpolation;
  /** Per-channel value of pixels outside the transformed image. */
  readonly fill: readonly number[];
  /** Centre (x, y) of the transform in pixels, or null for the image centre. */
  readonly center: readonly [number, number] | null;
  private readonly generator: Generator | undefined;

  constructor(degrees: number | readonly [number, number], options: RandomAffineOptions = {}) {
    const op = 'RandomAffine';
    options = V.options(op, options, ['translate', 'scale', 'shear', 'interpolation', 'fill', 'center', 'generator']);
    this.degrees = range(op, 'degrees', degrees);
    const t = options.translate;
    if (t !== undefined && !(Array.isArray(t) && t.length === 2 && t.every((v) => typeof v === 'number' && v >= 0 && v <= 1)))
      throw new RangeError(`${op}: translate must be [a, b] with fractions between 0 and 1 (got ${V.show(t)})`);
    this.translate = t ? [t[0], t[1]] : null;
    this.scale = options.scale === undefined ? null : range(op, 'scale', options.scale, 1, 0);
    if (this.scale && this.scale[0] <= 0) throw new RangeError(`${op}: scale values must be positive (got ${V.show(options.scale)})`);
    const s = options.shear;
    if (s === undefined) this.shear = null;
    else if (typeof s === 'number') this.shear = range(op, 'shear', s);
    else if (Array.isArray(s) && s.length === 4) this.shear = [...range(op, 'shear', s.slice(0, 2)), ...range(op, 'shear', s.slice(2))];
    else this.shear = range(op, 'shear', s);
    this.interpolation = V.oneOf(op, 'interpolation', options.interpolation ?? 'nearest', ['nearest', 'bilinear'] as const);
    this.fill = fillValues(op, options.fill ?? 0);
    this.center = options.center ? point(op, 'center', options.center) : null;
    this.generator = checkGenerator(op, options.generator);
  }

  /** Draws one image's parameters in torchvision's order (angle, translation, scale, shear). */
  getParams(width: number, height: number, g: Generator = this.generator ?? defaultGenerator): AffineParams {
    const angle = uniform(g, this.degrees);
    const translate: [number, number] = this.translate
      ? [
          Math.round(uniform(g, [-this.translate[0] * width, this.translate[0] * width])),
          Math.round(uniform(g, [-this.translate[1] * height, this.translate[1] * height])),
        ]
      : [0, 0];
    const scale = this.scale ? uniform(g, this.scale) : 1;
    const shear: [number, number] = [0, 0];
    if (this.shear) {
      shear[0] = uniform(g, [this.shear[0], this.shear[1]]);
      if (this.shear.length === 4) shear[1] = uniform(g, [this.shear[2], this.shear[3]]);
    }
    return { angle, translate, scale, shear, center: this.center };
  }

  /** Applies a random rotation, translation, scale and shear, as torchvision's RandomAffine. */
  forward(x: Tensor): Tensor {
    const op = 'RandomAffine';
    const [n, c, h, w] = imageDims(op, x);
    checkFill(op, this.fill, c);
    const src = x.toArray();
    const out = floatPixels(op, x);
    for (let img = 0; img < n; img++) warpAffine(src, out, img, [c, h, w], inverseAffineMatrix(this.getParams(w, h), w, h), this.interpolation, this.fill);
    return tensor(out, { shape: x.shape, dtype: x.dtype, device: x.device });
  }
}

/** [height, width] of a size argument (one number: a square). */
function hw(op: string, size: unknown): [number, number] {
  const s = typeof size === 'number' ? [size, size] : size;
  if (!Array.isArray(s) || s.length !== 2 || !s.every((v) => Number.isInteger(v) && v >= 1))
    throw new RangeError(`${op}: size must be a positive integer or [height, width] (got ${V.show(size)})`);
  return [s[0], s[1]];
}

/** Options of Resize. */
export interface ResizeOptions {
  /** 'bilinear' (default, as torchvision) or 'nearest'. */
  interpolation?: Interpolation;
  /** With a single-number size: the longer edge is capped at this. */
  maxSize?: number;
}

/**
 * Resizes images with F.interpolate (differentiable), as torchvision's Resize: [h, w] gives that
 * size; one number matches the shorter edge to it and keeps the aspect ratio.
 * @example new Resize(32).forward(zeros([3, 28, 56])) // [3, 32, 64]
 */
export class Resize implements Transform {
  /** Target (height, width), or the length of the shorter side when one number. */
  readonly size: number | readonly [number, number];
  /** 'nearest' or 'bilinear' resampling. */
  readonly interpolation: Interpolation;
  /** Upper bound on the longer side when `size` is one number (torchvision's max_size), or null. */
  readonly maxSize: number | null;

  constructor(size: number | readonly [number, number], options: ResizeOptions = {}) {
    const op = 'Resize';
    options = V.options(op, options, ['interpolation', 'maxSize']);
    this.size = typeof size === 'number' ? hw(op, size)[0] : hw(op, size);
    this.interpolation = V.oneOf(op, 'interpolation', options.interpolation ?? 'bilinear', ['nearest', 'bilinear'] as const);
    this.maxSize = options.maxSize === undefined ? null : V.int(op, 'maxSize', options.maxSize, { min: 1 });
    if (this.maxSize !== null && typeof this.size !== 'number') throw new TypeError(`${op}: maxSize is only allowed when size is a single number`);
    if (this.maxSize !== null && this.maxSize <= (this.size as number))
      throw new RangeError(`${op}: maxSize ${this.maxSize} must be larger than size ${this.size}`);
  }

  /** The output [height, width] for an input of [height, width] (torchvision's _compute_resized_output_size). */
  outputSize(h: number, w: number): [number, number] {
    if (typeof this.size !== 'number') return [this.size[0], this.size[1]];
    const [short, long] = h <= w ? [h, w] : [w, h];
    let [newShort, newLong] = [this.size, Math.floor((this.size * long) / short)];
    if (this.maxSize !== null && newLong > this.maxSize) [newShort, newLong] = [Math.floor((this.maxSize * newShort) / newLong), this.maxSize];
    return h <= w ? [newShort, newLong] : [newLong, newShort];
  }

  /** Resizes the last two dims to `size`, as torchvision's Resize. */
  forward(x: Tensor): Tensor {
    const [, , h, w] = imageDims('Resize', x);
    return resize(x, this.outputSize(h, w), this.interpolation);
  }
}

/** F.interpolate of an image or a batch to [h, w]; bilinear without corner alignment, as torchvision. */
function resize(x: Tensor, size: readonly [number, number], interpolation: Interpolation): Tensor {
  const opts = { size: [size[0], size[1]], mode: interpolation, ...(interpolation === 'bilinear' ? { alignCorners: false } : {}) };
  if (x.ndim === 4) return interpolate(x, opts);
  return tidy(() => interpolate(x.unsqueeze(0), opts).squeeze(0));
}

/** Options of RandomResizedCrop. */
export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image's (default [0.08, 1]). */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio width/height, drawn log-uniformly (default [3/4, 4/3]). */
  ratio?: readonly [number, number];
  interpolation?: Interpolation;
  generator?: Generator;
}

/**
 * Crops a random area and aspect ratio of each image and resizes it to `size`, as torchvision's
 * RandomResizedCrop (10 tries, then a central crop clamped to the ratio range).
 * @example new RandomResizedCrop(8, { scale: [0.6, 1] }).forward(images) // [N, C, 8, 8]
 */
export class RandomResizedCrop implements Transform {
  /** Output (height, width). */
  readonly size: readonly [number, number];
  /** Range of the crop's area as a fraction of the image's. */
  readonly scale: readonly [number, number];
  /** Range of the crop's aspect ratio (width / height). */
  readonly ratio: readonly [number, number];
  /** 'nearest' or 'bilinear' resampling. */
  readonly interpolation: Interpolation;
  private readonly generator: Generator | undefined;

  constructor(size: number | readonly [number, number], options: RandomResizedCropOptions = {}) {
    const op = 'RandomResizedCrop';
    options = V.options(op, options, ['scale', 'ratio', 'interpolation', 'generator']);
    this.size = hw(op, size);
    this.scale = range(op, 'scale', options.scale ?? [0.08, 1], 0, 0);
    this.ratio = range(op, 'ratio', options.ratio ?? [3 / 4, 4 / 3], 0, 0);
    if (this.ratio[0] <= 0) throw new RangeError(`${op}: ratio values must be positive (got ${V.show(options.ratio)})`);
    this.interpolation = V.oneOf(op, 'interpolation', options.interpolation ?? 'bilinear', ['nearest', 'bilinear'] as const);
    this.generator = checkGenerator(op, options.generator);
  }

  /** One crop [top, left, height, width] of an image of height × width (torchvision's get_params). */
  getParams(height: number, width: number, g: Generator = this.generator ?? defaultGenerator): [number, number, number, number] {
    const area = height * width;
    const logRatio: [number, number] = [Math.log(this.ratio[0]), Math.log(this.ratio[1])];
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = area * uniform(g, this.scale);
      const aspect = Math.exp(uniform(g, logRatio));
      const w = Math.round(Math.sqrt(target * aspect));
      const h = Math.round(Math.sqrt(target / aspect));
      if (w > 0 && w <= width && h > 0 && h <= height) return [g.integer(0, height - h + 1), g.integer(0, width - w + 1), h, w];
    }
    const inRatio = width / height;
    let [h, w] = [height, width];
    if (inRatio < this.ratio[0]) h = Math.round(w / this.ratio[0]);
    else if (inRatio > this.ratio[1]) w = Math.round(h * this.ratio[1]);
    return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
  }

  /** A random crop of random area and aspect ratio, resized to `size`, as torchvision's RandomResizedCrop. */
  forward(x: Tensor): Tensor {
    const [n, , height, width] = imageDims('RandomResizedCrop', x);
    const g = this.generator ?? defaultGenerator;
    const crop = (img: Tensor) => {
      const [top, left, h, w] = this.getParams(height, width, g);
      return resize(img.narrow(-2, top, h).narrow(-1, left, w), this.size, this.interpolation);
    };
    if (x.ndim === 3) return tidy(() => crop(x));
    return tidy(() => cat(Array.from({ length: n }, (_, i) => crop(x.narrow(0, i, 1)))));
  }
}

// ---------------------------------------------------------------- pixel values

/** Options of GaussianNoise (torchvision.transforms.v2.GaussianNoise). */
export interface GaussianNoiseOptions {
  mean?: number;
  /** Standard deviation of the noise (default 0.1). */
  sigma?: number;
  /** Clamp the result to [0, 1] (default true). */
  clip?: boolean;
  generator?: Generator;
}

/**
 * Adds N(mean, sigma²) noise to every pixel and clamps to [0, 1] unless `clip: false`, as
 * torchvision's v2 GaussianNoise. Differentiable in the image (an add and a clamp).
 * @example new GaussianNoise({ sigma: 0.05 }).forward(images)
 */
export class GaussianNoise implements Transform {
  /** Mean of the added noise. */
  readonly mean: number;
  /** Standard deviation of the added noise. */
  readonly sigma: number;
  /** Clamp the result to [0, 1]. */
  readonly clip: boolean;
  private readonly generator: Generator | undefined;

  constructor(options: GaussianNoiseOptions = {}) {
    const op = 'GaussianNoise';
    options = V.options(op, options, ['mean', 'sigma', 'clip', 'generator']);
    this.mean = V.num(op, 'mean', options.mean ?? 0);
    this.sigma = V.num(op, 'sigma', options.sigma ?? 0.1, { min: 0 });
    this.clip = V.bool(op, 'clip', options.clip ?? true);
    this.generator = checkGenerator(op, options.generator);
  }

  /** Adds N(mean, sigma²) noise to every element (clamped to [0, 1] with `clip`). */
  forward(x: Tensor): Tensor {
    imageDims('GaussianNoise', x);
    if (!isFloat(x.dtype)) throw new TypeError(`GaussianNoise: expects a floating point image (got ${x.dtype})`);
    return tidy(() => {
      const noisy = x.add(
        randn(x.shape, { dtype: x.dtype, device: x.device, generator: this.generator ?? defaultGenerator })
          .mul(this.sigma)
          .add(this.mean),
      );
      return this.clip ? noisy.clamp(0, 1) : noisy;
    });
  }
}

/** Options of ColorJitter: each a non-negative number v (factor range [max(0, 1 - v), 1 + v]; hue [-v, v]) or [min, max]. */
export interface ColorJitterOptions {
  brightness?: number | readonly [number, number];
  contrast?: number | readonly [number, number];
  saturation?: number | readonly [number, number];
  /** Hue shift range, within [-0.5, 0.5]. */
  hue?: number | readonly [number, number];
  generator?: Generator;
}

/**
 * Randomly changes brightness, contrast, saturation and hue, in a random order per image, as
 * torchvision's ColorJitter (images in [0, 1]; saturation and hue leave one-channel images alone).
 * @example new ColorJitter({ brightness: 0.3, contrast: 0.3 }).forward(images)
 */
export class ColorJitter implements Transform {
  /** Range the brightness factor is drawn from, or null to leave brightness. */
  readonly brightness: readonly [number, number] | null;
  /** Range the contrast factor is drawn from, or null. */
  readonly contrast: readonly [number, number] | null;
  /** Range the saturation factor is drawn from, or null. */
  readonly saturation: readonly [number, number] | null;
  /** Range the hue shift is drawn from (within [-0.5, 0.5]), or null. */
  readonly hue: readonly [number, number] | null;
  private readonly generator: Generator | undefined;

  constructor(options: ColorJitterOptions = {}) {
    const op = 'ColorJitter';
    options = V.options(op, options, ['brightness', 'contrast', 'saturation', 'hue', 'generator']);
    const factor = (name: 'brightness' | 'contrast' | 'saturation') => {
      const v = options[name];
      return v === undefined ? null : range(op, name, v, 1, 0);
    };
    this.brightness = factor('brightness');
    this.contrast = factor('contrast');
    this.saturation = factor('saturation');
    this.hue = options.hue === undefined ? null : range(op, 'hue', options.hue, 0, -0.5);
    if (this.hue && this.hue[1] > 0.5) throw new RangeError(`${op}: hue must lie within [-0.5, 0.5] (got ${V.show(options.hue)})`);
    this.generator = checkGenerator(op, options.generator);
  }

  /** Adjusts brightness, contrast, saturation and hue of an RGB image by random factors, in random order. */
  forward(x: Tensor): Tensor {
    const op = 'ColorJitter';
    const [n, c, h, w] = imageDims(op, x);
    if (c !== 1 && c !== 3) throw new RangeError(`${op}: expects 1 or 3 channels (got ${c} in shape ${fmtShape(x.shape)})`);
    const g = this.generator ?? defaultGenerator;
    const px = floatPixels(op, x);
    const plane = h * w;
    for (let img = 0; img < n; img++) {
      const base = img * c * plane;
      // torchvision draws the order, then every factor, then applies them in that order.
      const order = randperm(4, g);
      const b = this.brightness && uniform(g, this.brightness);
      const ct = this.contrast && uniform(g, this.contrast);
      const s = this.saturation && uniform(g, this.saturation);
      const hu = this.hue && uniform(g, this.hue);
      for (const k of order) {
        if (k === 0 && b !== null) adjustBrightness(px, base, c * plane, b);
        if (k === 1 && ct !== null) adjustContrast(px, base, c, plane, ct);
        if (k === 2 && s !== null) adjustSaturation(px, base, c, plane, s);
        if (k === 3 && hu !== null) adjustHue(px, base, c, plane, hu);
      }
    }
    return tensor(px, { shape: x.shape, dtype: x.dtype, device: x.device });
  }
}

/** Options of RandomErasing. */
export interface RandomErasingOptions {
  /** Probability of erasing an image (default 0.5). */
  p?: number;
  /** Range of the erased area as a fraction of the image (default [0.02, 0.33]). */
  scale?: readonly [number, number];
  /** Range of the erased rectangle's aspect ratio, drawn log-uniformly (default [0.3, 3.3]). */
  ratio?: readonly [number, number];
  /** Erasing value: a number (default 0), one per channel, or 'random' for N(0, 1) noise. */
  value?: number | readonly number[] | 'random';
  generator?: Generator;
}

/**
 * Erases a random rectangle of each image with probability p, as torchvision's RandomErasing
 * (10 tries to fit the rectangle, else the image is left as it is).
 * @example new RandomErasing({ p: 0.5, value: 0 }).forward(images)
 */
export class RandomErasing implements Transform {
  /** Probability of erasing a rectangle. */
  readonly p: number;
  /** Range of the erased area as a fraction of the image's. */
  readonly scale: readonly [number, number];
  /** Range of the erased rectangle's aspect ratio. */
  readonly ratio: readonly [number, number];
  /** Per-channel fill value, or 'random' for normal noise. */
  readonly value: readonly number[] | 'random';
  private readonly generator: Generator | undefined;

  constructor(options: RandomErasingOptions = {}) {
    const op = 'RandomErasing';
    options = V.options(op, options, ['p', 'scale', 'ratio', 'value', 'generator']);
    this.p = probability(op, 'p', options.p ?? 0.5);
    this.scale = range(op, 'scale', options.scale ?? [0.02, 0.33], 0, 0);
    this.ratio = range(op, 'ratio', options.ratio ?? [0.3, 3.3], 0, 0);
    if (this.ratio[0] <= 0) throw new RangeError(`${op}: ratio values must be positive (got ${V.show(options.ratio)})`);
    this.value = options.value === 'random' ? 'random' : fillValues(op, options.value ?? 0);
    this.generator = checkGenerator(op, options.generator);
  }

  /** With probability p, fills a random rectangle of a (C, H, W) tensor, as torchvision's RandomErasing. */
  forward(x: Tensor): Tensor {
    const op = 'RandomErasing';
    const [n, c, h, w] = imageDims(op, x);
    if (this.value !== 'random') checkFill(op, this.value, c);
    const g = this.generator ?? defaultGenerator;
    const px = floatPixels(op, x);
    const logRatio: [number, number] = [Math.log(this.ratio[0]), Math.log(this.ratio[1])];
    for (let img = 0; img < n; img++) {
      if (!(g.random() < this.p)) continue;
      for (let attempt = 0; attempt < 10; attempt++) {
        const area = h * w * uniform(g, this.scale);
        const aspect = Math.exp(uniform(g, logRatio));
        const eh = Math.round(Math.sqrt(area * aspect));
        const ew = Math.round(Math.sqrt(area / aspect));
        if (!(eh < h && ew < w)) continue;
        const top = g.integer(0, h - eh + 1);
        const left = g.integer(0, w - ew + 1);
        for (let k = 0; k < c; k++) {
          const base = (img * c + k) * h * w;
          for (let i = top; i < top + eh; i++)
            for (let j = left; j < left + ew; j++) px[base + i * w + j] = this.value === 'random' ? g.normal() : this.value[this.value.length === 1 ? 0 : k];
        }
        break;
      }
    }
    return tensor(px, { shape: x.shape, dtype: x.dtype, device: x.device });
  }
}
