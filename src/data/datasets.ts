/**
 * Data sets bundled with Tessera, embedded as text modules (src/data/bundled, generated at build by
 * scripts/vendor-data.mjs from the copies in data/), so they load without fs or network, in
 * browsers as in Node. Sources and licences: data/README.md.
 */
import { tensor } from '../creation.js';
import type { Device } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import * as V from '../validate.js';
import { DIGITS } from './bundled/digits.js';
import { FEMALE_NAMES, MALE_NAMES } from './bundled/names.js';

/** The 8×8 digits as tensors, plus the raw arrays they were made from. */
export interface Digits {
  /** [1797, 1, 8, 8] float32: pixel / 16, so in [0, 1]. */
  images: Tensor;
  /** [1797] int32 class labels 0–9. */
  labels: Tensor;
  /** The raw pixels, 1797·64 values in 0..16, image by image, row-major. */
  pixels: Uint8Array;
  /** The raw labels. */
  targets: Uint8Array;
}

let digitsCache: { pixels: Uint8Array; targets: Uint8Array } | null = null;

/** Decodes DIGITS: a line of letters (A = 0) per pixel position across all images, then the labels. */
function decodeDigits(): { pixels: Uint8Array; targets: Uint8Array } {
  const lines = DIGITS.trim().split('\n');
  const labels = lines[64];
  const pixels = new Uint8Array(labels.length * 64);
  const targets = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    targets[i] = labels.charCodeAt(i) - 48;
    for (let p = 0; p < 64; p++) pixels[i * 64 + p] = lines[p].charCodeAt(i) - 65;
  }
  return { pixels, targets };
}

/** Decodes a front-coded list: each line is k (one digit) and the rest of a name whose first k letters are the previous name's. */
function decodeNames(text: string): string[] {
  const names: string[] = [];
  let previous = '';
  for (const line of text.trim().split('\n')) {
    previous = previous.slice(0, line.charCodeAt(0) - 48) + line.slice(1);
    names.push(previous);
  }
  return names;
}

/**
 * The UCI optical-recognition handwritten digits (1,797 images of 8×8 pixels, 10 classes; the
 * copy scikit-learn ships as `load_digits`). Images are scaled to [0, 1] by dividing by 16.
 * @example const { images, labels } = loadDigits(); // [1797, 1, 8, 8], [1797]
 */
export function loadDigits(options: { device?: Device } = {}): Digits {
  V.options('loadDigits', options, ['device']);
  digitsCache ??= decodeDigits();
  const { pixels, targets } = digitsCache;
  const n = targets.length;
  const scaled = new Float32Array(pixels.length);
  for (let i = 0; i < scaled.length; i++) scaled[i] = pixels[i] / 16;
  return {
    images: tensor(scaled, { shape: [n, 1, 8, 8], device: options.device }),
    labels: tensor(new Int32Array(targets), { device: options.device }),
    pixels: pixels.slice(),
    targets: targets.slice(),
  };
}

/**
 * Common English first names (4,951 female, 3,898 male, from Moby Word II via stdlib-js; public
 * domain), for character-level sequence models.
 * @example const { female, male } = loadNames(); female[0] // 'Aaren'
 */
export function loadNames(): { female: string[]; male: string[] } {
  return { female: decodeNames(FEMALE_NAMES), male: decodeNames(MALE_NAMES) };
}
