/**
 * Ordering and sampling: sort, argsort, topk and multinomial. The order is found on the host (a
 * comparison sort per line along dim); values are then gathered by the indices, so gather's
 * backward is theirs too.
 */
import { finish } from '../autograd/grad-mode.js';
import { isFloat } from '../dtype.js';
import { defaultGenerator, Generator } from '../random.js';
import { fmtShape, normDim } from '../shape.js';
import { Tensor } from '../tensor.js';
import * as V from '../validate.js';
import { gather } from './indexing.js';
import { aroundDim, valuesIndices, type ValuesIndices } from './reduce.js';
import { contiguous, slice } from './shape.js';
import { composite } from '../autograd/composite.js';
import { tensor } from '../creation.js';
import { withContiguous } from './util.js';

/** Options of `sort` and `argsort`. */
export interface SortOptions {
  /** The dim to sort along (default −1). */
  dim?: number;
  /** Largest first (default false). */
  descending?: boolean;
  /** Keep equal elements in their original order; Tessera's sort is always stable, so this only documents intent. */
  stable?: boolean;
}

/** Options of `topk`. */
export interface TopkOptions {
  /** The dim to pick along (default −1). */
  dim?: number;
  /** The k largest (default) or the k smallest. */
  largest?: boolean;
  /** Return them in order (default true; Tessera always does). */
  sorted?: boolean;
}

function checkTensor(op: string, x: unknown): Tensor {
  return V.tensorArg(op, 'input', x);
}

/** int32 indices, x's shape, that order each line along dim d (a stable sort, NaN above every number). */
function orderAlong(x: Tensor, d: number, descending: boolean): Tensor {
  const [outer, len, inner] = aroundDim(x.shape, d);
  const out = Tensor.empty(x.shape, 'int32', x.backend);
  withContiguous(x, (c) => x.backend.argsort(c.storage, c.offset, out.storage, outer, len, inner, descending));
  return out;
}

function sortArgs(op: string, x: Tensor, options: SortOptions): [number, boolean] {
  checkTensor(op, x);
  const { dim = -1, descending = false, stable = false } = V.options(op, options, ['dim', 'descending', 'stable']);
  if (typeof descending !== 'boolean') throw new TypeError(`${op}: descending must be a boolean (got ${String(descending)})`);
  V.bool(op, 'stable', stable);
  return [normDim(op, dim, x.ndim), descending];
}

/**
 * The elements of x sorted along dim, with the index each came from, as `[values, indices]`
 * (also `.values` / `.indices`); stable, NaN last.
 * @example const [values, indices] = sort(tensor([3, 1, 2])); // [1, 2, 3], [1, 2, 0]
 */
export function sort(x: Tensor, options: SortOptions = {}): ValuesIndices {
  const [d, descending] = sortArgs('sort', x, options);
  const indices = orderAlong(x, d, descending);
  return valuesIndices(gather(x, d, indices), indices);
}

/** The int32 indices that sort x along dim (sort(x).indices). */
export function argsort(x: Tensor, options: SortOptions = {}): Tensor {
  const [d, descending] = sortArgs('argsort', x, options);
  return orderAlong(x, d, descending);
}

/**
 * The k largest (or smallest) elements along dim, in order, and their indices, as
 * `[values, indices]` (also `.values` / `.indices`).
 * @example const [values, indices] = topk(logits, 5); // the 5 largest logits per row
 */
export function topk(x: Tensor, k: number, options: TopkOptions = {}): ValuesIndices {
  checkTensor('topk', x);
  const { dim = -1, largest = true } = V.options('topk', options, ['dim', 'largest', 'sorted']);
  V.bool('topk', 'largest', largest);
  const d = normDim('topk', dim, x.ndim);
  const n = x.ndim === 0 ? 1 : x.shape[d];
  if (x.ndim === 0 && k !== 1) throw new RangeError(`topk: k must be 1 for a 0-d tensor (got ${k})`);
  if (!Number.isInteger(k) || k < 0 || k > n)
    throw new RangeError(`topk: k must be an integer from 0 to ${n}, the size of dim ${d} (got ${k}; input shape ${fmtShape(x.shape)})`);
  // The first k of each line of the ordering (the rest is freed here).
  const indices = composite('topk', () => {
    const order = orderAlong(x, d, largest);
    return k === n ? order : contiguous(slice(order, d, 0, k));
  });
  return valuesIndices(gather(x, d, indices), indices);
}

/** Options of `multinomial`. */
export interface MultinomialOptions {
  /** Draw with replacement (default false: each category at most once per row). */
  replacement?: boolean;
  generator?: Generator;
}

/**
 * numSamples int32 category indices per row of `probs` ([C] or [N, C] non-negative weights, not
 * necessarily normalised), drawn in proportion to the weights.
 * @example multinomial(probs, 1, { generator: new Generator(0) }) // one sampled token per row
 */
export function multinomial(probs: Tensor, numSamples: number, options: MultinomialOptions = {}): Tensor {
  checkTensor('multinomial', probs);
  const { replacement = false, generator = defaultGenerator } = V.options('multinomial', options, ['replacement', 'generator']);
  V.bool('multinomial', 'replacement', replacement);
  if (!isFloat(probs.dtype)) throw new TypeError(`multinomial: probs must be a floating point tensor (got ${probs.dtype})`);
  if (probs.ndim !== 1 && probs.ndim !== 2) throw new RangeError(`multinomial: probs must be 1-D [C] or 2-D [N, C] (got shape ${fmtShape(probs.shape)})`);
  if (!Number.isInteger(numSamples) || numSamples <= 0) throw new RangeError(`multinomial: numSamples must be a positive integer (got ${numSamples})`);
  if (!(generator instanceof Generator)) throw new TypeError('multinomial: generator must be a Generator');
  const classes = probs.shape[probs.ndim - 1];
  const rows = probs.ndim === 1 ? 1 : probs.shape[0];
  if (!replacement && numSamples > classes)
    throw new RangeError(`multinomial: cannot draw ${numSamples} samples without replacement from ${classes} categories`);
  const w = probs.toArray();
  const ov = new Int32Array(rows * numSamples);
  const weights = new Float64Array(classes);
  for (let r = 0; r < rows; r++) {
    let total = 0;
    let positive = 0;
    for (let c = 0; c < classes; c++) {
      const v = w[r * classes + c];
      if (!(v >= 0) || v === Infinity) throw new RangeError(`multinomial: probs must be finite and non-negative (row ${r} has ${v} at ${c})`);
      weights[c] = v;
      total += v;
      if (v > 0) positive++;
    }
    if (total === 0) throw new RangeError(`multinomial: row ${r} of probs sums to 0`);
    if (!replacement && numSamples > positive)
      throw new RangeError(`multinomial: cannot draw ${numSamples} samples without replacement from row ${r}, which has ${positive} non-zero weights`);
    for (let s = 0; s < numSamples; s++) {
      let u = generator.random() * total;
      let pick = -1;
      for (let c = 0; c < classes; c++) {
        if (weights[c] <= 0) continue;
        pick = c;
        u -= weights[c];
        if (u < 0) break;
      }
      ov[r * numSamples + s] = pick;
      if (!replacement) {
        total -= weights[pick];
        weights[pick] = 0;
      }
    }
  }
  // Sampling runs on the host, from the generator's stream, as the random factories do.
  const out = tensor(ov, { shape: probs.ndim === 1 ? [numSamples] : [rows, numSamples], dtype: 'int32', device: probs.device });
  return finish(out, 'multinomial', [probs], null);
}
