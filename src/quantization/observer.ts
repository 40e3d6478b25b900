/**
 * Calibration observers and quantization parameters, with PyTorch's formulas (torch.ao.quantization
 * MinMaxObserver): activations are quint8 (0…255) with a zero point, weights per-channel symmetric
 * qint8 (−128…127, zero point 0).
 */
import { noGrad } from '../autograd/grad-mode.js';
import { roundHalfEven } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { show } from '../validate.js';

/** A per-tensor affine mapping: real = scale · (q − zeroPoint). */
export interface QParams {
  scale: number;
  zeroPoint: number;
}

const F32_EPS = 1.1920928955078125e-7;

/**
 * quint8 parameters covering [min, max] (widened to hold 0), as MinMaxObserver.calculate_qparams;
 * qmax 127 is PyTorch's reduce_range (7-bit activations, what the relaxed int8 dot product takes).
 */
export function quint8Params(min: number, max: number, qmax: 127 | 255 = 255): QParams {
  if (qmax !== 255 && qmax !== 127) throw new RangeError(`quantization.quint8Params: qmax must be 255 or 127 (reduce range), got ${String(qmax)}`);
  if (typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max) || min > max)
    throw new RangeError(`quantization.quint8Params: min and max must be numbers with min ≤ max (got ${String(min)}, ${String(max)})`);
  const lo = Math.fround(Math.min(min, 0));
  const hi = Math.fround(Math.max(max, 0));
  const scale = Math.max(Math.fround(Math.fround(hi - lo) / qmax), F32_EPS);
  const zeroPoint = Math.min(Math.max(0 - roundHalfEven(Math.fround(lo / scale)), 0), qmax);
  return { scale, zeroPoint };
}

/** Per-row symmetric qint8 scales of a [rows, cols] weight (PerChannelMinMaxObserver, per_channel_symmetric). */
export function weightScales(w: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let amax = 0;
    for (let c = 0; c < cols; c++) amax = Math.max(amax, Math.abs(w[r * cols + c]));
    scales[r] = Math.max(Math.fround(Math.fround(amax) / 127.5), F32_EPS);
  }
  return scales;
}

/** round(w · (1/scale)) clamped to int8, per row (ATen's quantize_val). */
export function quantizeWeight(w: ArrayLike<number>, scales: Float32Array, cols: number): Int8Array {
  const q = new Int8Array(w.length);
  for (let r = 0; r < scales.length; r++) {
    const inv = Math.fround(1 / scales[r]);
    for (let c = 0; c < cols; c++) q[r * cols + c] = Math.min(Math.max(roundHalfEven(Math.fround(w[r * cols + c] * inv)), -128), 127);
  }
  return q;
}

/** Records the values a layer's input takes during calibration and turns them into quint8 parameters. */
export interface Observer {
  observe(x: Tensor): void;
  /** Parameters for quint8 up to qmax (255, or 127 for 7-bit activations). */
  qparams(qmax?: 127 | 255): QParams;
}

/** Which observer `prepare` attaches: the running min and max, or a histogram clipped at a percentile. */
export type ObserverKind = 'minmax' | 'histogram';

/** Tracks the running min and max (torch.ao.quantization.MinMaxObserver). */
export class MinMaxObserver implements Observer {
  /** Smallest value seen. */
  min = Infinity;
  /** Largest value seen. */
  max = -Infinity;
  /** Widens [min, max] to include x's values. */
  observe(x: Tensor): void {
    const [lo, hi] = minMaxOf(observed('MinMaxObserver', x));
    this.min = Math.min(this.min, lo);
    this.max = Math.max(this.max, hi);
  }
  /** Scale and zero point for quint8 (up to qmax) covering [min, max]. */
  qparams(qmax: 127 | 255 = 255): QParams {
    if (this.min > this.max) throw new Error('quantization: an observer saw no data; run calibration batches through the prepared model before convert()');
    return quint8Params(this.min, this.max, qmax);
  }
}

/**
 * A 2048-bin histogram of the values seen (its range grows as needed, re-binning the counts); the
 * quantization range keeps `percentile` % of them and clips the rest, so rare outliers do not
 * stretch the scale for everyone.
 */
export class HistogramObserver implements Observer {
  /** Number of histogram bins. */
  readonly bins = 2048;
  /** Values counted per bin, over [min, max]. */
  counts = new Float64Array(2048);
  /** Lower edge of the histogram. */
  min = Infinity;
  /** Upper edge of the histogram. */
  max = -Infinity;
  constructor(readonly percentile = 99.99) {
    if (typeof percentile !== 'number' || !(percentile > 50 && percentile <= 100))
      throw new RangeError(`HistogramObserver: percentile must be in (50, 100] (got ${percentile})`);
  }
  /** Adds x's values to the histogram, widening its range as needed. */
  observe(x: Tensor): void {
    const [lo, hi] = minMaxOf(observed('HistogramObserver', x));
    const values = noGrad(() => x.toArray());
    if (!(lo <= hi)) return;
    if (lo < this.min || hi > this.max) this.#grow(Math.min(lo, this.min), Math.max(hi, this.max));
    const width = (this.max - this.min) / this.bins || 1;
    for (let i = 0; i < values.length; i++) this.counts[Math.min(Math.floor((values[i] - this.min) / width), this.bins - 1)]++;
  }
  #grow(lo: number, hi: number): void {
    const old = this.counts;
    const oldMin = this.min;
    const oldWidth = (this.max - this.min) / this.bins;
    this.counts = new Float64Array(this.bins);
    const width = (hi - lo) / this.bins || 1;
    if (Number.isFinite(oldMin)) {
      for (let b = 0; b < this.bins; b++) {
        if (old[b] === 0) continue;
        const center = oldMin + (b + 0.5) * oldWidth;
        this.counts[Math.min(Math.floor((center - lo) / width), this.bins - 1)] += old[b];
      }
    }
    this.min = lo;
    this.max = hi;
  }
  /** Scale and zero point for quint8 (up to qmax) covering the central `percentile` % of the values seen. */
  qparams(qmax: 127 | 255 = 255): QParams {
    if (this.min > this.max) throw new Error('quantization: an observer saw no data; run calibration batches through the prepared model before convert()');
    const total = this.counts.reduce((a, b) => a + b, 0);
    const tail = (total * (100 - this.percentile)) / 200;
    const width = (this.max - this.min) / this.bins;
    let lo = 0;
    for (let acc = 0; lo < this.bins - 1 && acc + this.counts[lo] <= tail; lo++) acc += this.counts[lo];
    let hi = this.bins - 1;
    for (let acc = 0; hi > lo && acc + this.counts[hi] <= tail; hi--) acc += this.counts[hi];
    return quint8Params(this.min + lo * width, this.min + (hi + 1) * width, qmax);
  }
}

function observed(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}.observe: expected a Tensor (got ${show(x)})`);
  return x;
}

function minMaxOf(x: Tensor): [number, number] {
  if (x.numel() === 0) return [Infinity, -Infinity];
  const c = x.isContiguous() ? x : noGrad(() => x.contiguous());
  const r = c.dtype === 'float32' ? c.backend.minMax(c.storage, c.offset, c.numel()) : minMaxLoop(c.toArray());
  if (c !== x) c.dispose();
  return r;
}

function minMaxLoop(v: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    lo = Math.min(lo, v[i]);
    hi = Math.max(hi, v[i]);
  }
  return [lo, hi];
}

/** @internal The range of a float tensor, for dynamic quantization. */
export const tensorRange = minMaxOf;
