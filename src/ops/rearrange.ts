/**
 * Ops that move elements around without arithmetic: tril/triu, flip, roll, repeat/tile and pad.
 * tril/triu, flip and constant padding are ops of their own (one copy each way); roll, repeat and
 * the reflect/replicate/circular pads are composites of slice/cat/expand/indexSelect, whose
 * backwards already sum gradients that reach one element from several places.
 */
import { composite } from '../autograd/composite.js';
import { finish } from '../autograd/grad-mode.js';
import { arange, full, tensor } from '../creation.js';
import { fmtShape, normDim, numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { indexSelect } from './indexing.js';
import { cat, expand, reshape, slice } from './shape.js';
import { assignInto, scalarAs } from './util.js';
import { ge, le, sub, where } from './elementwise.js';
import * as V from '../validate.js';

function checkTensor(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: input must be a Tensor (got ${x === null ? 'null' : typeof x})`);
  return x.check(op);
}

function checkInt(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: ${arg} must be an integer (got ${String(v)})`);
  return v;
}

function intList(op: string, arg: string, v: unknown): number[] {
  const list = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(list)) throw new TypeError(`${op}: ${arg} must be an integer or an array of integers (got ${String(v)})`);
  return list.map((s, i) => checkInt(op, `${arg}[${i}]`, s));
}

/** Zeroes the elements of the last two dims on one side of a diagonal; both directions share it. */
function triangle(op: 'tril' | 'triu', x: Tensor, diagonal: number): Tensor {
  checkTensor(op, x);
  checkInt(op, 'diagonal', diagonal);
  if (x.ndim < 2) throw new RangeError(`${op}: input must have at least 2 dims (got shape ${fmtShape(x.shape)})`);
  const rows = x.shape[x.ndim - 2],
    cols = x.shape[x.ndim - 1];
  // A [rows, cols] mask of the kept elements, broadcast over the batch dims: tril keeps
  // j − i ≤ diagonal, triu keeps j − i ≥ diagonal.
  return composite(op, () => {
    const offsets = sub(arange(cols, { device: x.device }).unsqueeze(0), arange(rows, { device: x.device }).unsqueeze(1));
    const keep = op === 'tril' ? le(offsets, diagonal) : ge(offsets, diagonal);
    return where(keep, x, scalarAs(0, x));
  });
}

/**
 * The lower triangle of the last two dims (j − i ≤ diagonal), zeros elsewhere.
 * @example tril(ones([3, 3])) // causal mask
 */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle('tril', x, diagonal);
}

/** The upper triangle of the last two dims (j − i ≥ diagonal), zeros elsewhere. */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle('triu', x, diagonal);
}

/**
 * x with the order of elements reversed along each of `dims`.
 * @example flip(tensor([1, 2, 3]), [0]) // [3, 2, 1]
 */
export function flip(x: Tensor, dims: number | number[]): Tensor {
  checkTensor('flip', x);
  const list = intList('flip', 'dims', dims).map((d) => normDim('flip', d, x.ndim));
  if (new Set(list).size !== list.length) throw new RangeError(`flip: dims ${JSON.stringify(dims)} names the same dimension twice`);
  const out = Tensor.empty(x.shape, x.dtype, x.backend);
  // Read x with negative strides on the flipped dims, starting from their last element.
  let offset = x.offset;
  const strides = x.strides.map((s, d) => {
    if (!list.includes(d)) return s;
    offset += (x.shape[d] - 1) * s;
    return -s;
  });
  x.backend.copy({ storage: x.storage, offset, strides }, out.storage, 0, x.shape);
  return finish(out, 'flip', [x], (g) => [flip(g, list)]);
}

/**
 * x with elements shifted by `shifts` along `dims`, wrapping around; without dims, the flattened
 * tensor is rolled and reshaped back.
 * @example roll(tensor([1, 2, 3, 4]), 1) // [4, 1, 2, 3]
 */
export function roll(x: Tensor, shifts: number | number[], dims?: number | number[]): Tensor {
  checkTensor('roll', x);
  const s = intList('roll', 'shifts', shifts);
  if (dims === undefined) {
    if (s.length !== 1) throw new RangeError(`roll: without dims, shifts must be one integer (got ${JSON.stringify(shifts)})`);
    return composite('roll', () => reshape(rollDim(reshape(x, [x.numel()]), s[0], 0), [...x.shape]));
  }
  const d = intList('roll', 'dims', dims).map((v) => normDim('roll', v, x.ndim));
  if (d.length !== s.length) throw new RangeError(`roll: shifts ${JSON.stringify(shifts)} and dims ${JSON.stringify(dims)} must have the same length`);
  return composite('roll', () => d.reduce((t, dim, i) => rollDim(t, s[i], dim), x));
}

function rollDim(x: Tensor, shift: number, d: number): Tensor {
  const n = x.ndim === 0 ? 1 : x.shape[d];
  const k = n === 0 ? 0 : ((shift % n) + n) % n;
  if (k === 0 || x.ndim === 0) return x;
  return cat([slice(x, d, n - k), slice(x, d, 0, n - k)], d);
}

/**
 * x repeated `sizes[i]` times along dim i (sizes may be longer than x.ndim: new leading dims), as
 * torch.Tensor.repeat.
 * @example repeat(tensor([1, 2]), [2, 2]) // [[1, 2, 1, 2], [1, 2, 1, 2]]
 */
export function repeat(x: Tensor, sizes: number[]): Tensor {
  checkTensor('repeat', x);
  const reps = intList('repeat', 'sizes', sizes);
  if (reps.length < x.ndim)
    throw new RangeError(`repeat: sizes ${fmtShape(reps)} must have at least as many entries as the input has dims (${x.ndim}, shape ${fmtShape(x.shape)})`);
  if (reps.some((r) => r < 0)) throw new RangeError(`repeat: sizes must be non-negative (got ${fmtShape(reps)})`);
  const shape = [...new Array<number>(reps.length - x.ndim).fill(1), ...x.shape];
  // View x as [1, s0, 1, s1, …], broadcast to [r0, s0, r1, s1, …], then merge each pair.
  const interleaved = shape.flatMap((s) => [1, s]);
  const target = shape.flatMap((s, i) => [reps[i], s]);
  return composite('repeat', () =>
    reshape(
      expand(reshape(x, interleaved), target),
      shape.map((s, i) => s * reps[i]),
    ),
  );
}

/** repeat() with `dims` padded with leading 1s when shorter than x.ndim, as torch.tile. */
export function tile(x: Tensor, dims: number[]): Tensor {
  checkTensor('tile', x);
  const reps = intList('tile', 'dims', dims);
  return repeat(x, [...new Array<number>(Math.max(0, x.ndim - reps.length)).fill(1), ...reps]);
}

/** Options of `pad`. */
export interface PadOptions {
  /** How the border is filled (default 'constant'). */
  mode?: 'constant' | 'reflect' | 'replicate' | 'circular';
  /** The fill value of mode 'constant' (default 0). */
  value?: number;
}

const PAD_MODES = ['constant', 'reflect', 'replicate', 'circular'];

/**
 * Pads the last dims of x: `pad` lists (before, after) pairs starting from the last dim, as
 * torch.nn.functional.pad. 'constant' fills with value (negative pads crop); 'reflect' mirrors
 * without repeating the edge; 'replicate' repeats the edge; 'circular' wraps around.
 * @example F.pad(x, [1, 1, 2, 0], { mode: 'reflect' }) // last dim +2, second-last +2
 */
export function pad(x: Tensor, padding: number[], options: PadOptions = {}): Tensor {
  checkTensor('pad', x);
  const { mode = 'constant', value = 0 } = V.options('pad', options, ['mode', 'value']);
  if (!PAD_MODES.includes(mode)) throw new TypeError(`pad: mode must be one of ${PAD_MODES.map((m) => `'${m}'`).join(', ')} (got ${JSON.stringify(mode)})`);
  const p = intList('pad', 'pad', padding);
  if (p.length % 2 !== 0) throw new RangeError(`pad: pad must have an even number of entries, (before, after) per dim (got ${p.length})`);
  if (p.length / 2 > x.ndim)
    throw new RangeError(`pad: pad ${fmtShape(p)} pads ${p.length / 2} dims but the input has only ${x.ndim} (shape ${fmtShape(x.shape)})`);
  if (typeof value !== 'number') throw new TypeError(`pad: value must be a number (got ${String(value)})`);
  // PyTorch refuses a fill value with the other modes rather than ignoring it.
  if (mode !== 'constant' && value !== 0) throw new TypeError(`pad: mode '${mode}' takes no value (got ${value}); value fills only mode 'constant'`);
  const pairs: [number, number, number][] = [];
  for (let k = 0; k < p.length / 2; k++) pairs.push([x.ndim - 1 - k, p[2 * k], p[2 * k + 1]]);
  for (const [d, before, after] of pairs) {
    const n = x.shape[d];
    if (n + before + after < 0)
      throw new RangeError(`pad: padding (${before}, ${after}) of dim ${d} leaves a negative size (input shape ${fmtShape(x.shape)})`);
    if (mode === 'reflect' && (before >= n || after >= n)) {
      throw new RangeError(`pad: reflect padding (${before}, ${after}) must be smaller than the size ${n} of dim ${d} (input shape ${fmtShape(x.shape)})`);
    }
    if (mode === 'circular' && (before > n || after > n)) {
      throw new RangeError(`pad: circular padding (${before}, ${after}) must be at most the size ${n} of dim ${d} (input shape ${fmtShape(x.shape)})`);
    }
    if (mode === 'replicate' && n === 0 && before + after > 0)
      throw new RangeError(`pad: replicate cannot pad the empty dim ${d} (input shape ${fmtShape(x.shape)})`);
  }
  if (mode === 'constant') return composite('pad', () => constantPad(cropNegative(x, pairs), pairs, value));
  return composite('pad', () => pairs.reduce((t, [d, before, after]) => indexSelect(t, d, borderIndex(mode, t.shape[d], before, after, t)), x));
}

/** Source positions along a dim of size n for output positions −before … n + after − 1. */
function borderIndex(mode: string, n: number, before: number, after: number, like: Tensor): Tensor {
  const index = new Int32Array(n + before + after);
  for (let i = 0; i < index.length; i++) {
    const j = i - before;
    index[i] = mode === 'reflect' ? (j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j) : mode === 'replicate' ? Math.min(Math.max(j, 0), n - 1) : ((j % n) + n) % n;
  }
  return tensor(index, { dtype: 'int32', device: like.device });
}

/** Negative constant pads crop: the slice they leave, as a view with its own backward. */
function cropNegative(x: Tensor, pairs: [number, number, number][]): Tensor {
  return pairs.reduce((t, [d, before, after]) => (before < 0 || after < 0 ? slice(t, d, Math.max(0, -before), t.shape[d] - Math.max(0, -after)) : t), x);
}

function constantPad(x: Tensor, pairs: [number, number, number][], value: number): Tensor {
  const before = x.shape.map(() => 0);
  const shape = [...x.shape];
  for (const [d, b, a] of pairs) {
    before[d] = Math.max(b, 0);
    shape[d] += Math.max(b, 0) + Math.max(a, 0);
  }
  const out = full(shape, value, { dtype: x.dtype, device: x.device });
  if (numel(x.shape) > 0)
    composite('pad', () =>
      assignInto(
        x.shape.reduce((t: Tensor, s, d) => slice(t, d, before[d], before[d] + s), out),
        x,
      ),
    );
  return finish(out, 'pad', [x], (g) => [x.shape.reduce((t: Tensor, s, d) => slice(t, d, before[d], before[d] + s), g)]);
}
