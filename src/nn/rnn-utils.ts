/**
 * Sequence batching helpers for the recurrent layers (PyTorch's torch.nn.utils.rnn).
 */
import { composite } from '../autograd/composite.js';
import { full } from '../creation.js';
import { cat, stack } from '../ops/shape.js';
import { fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { bool, options as checkOptions } from '../validate.js';

/** Options of `padSequence`. */
export interface PadSequenceOptions {
  /** Return [batch, maxLen, …] instead of [maxLen, batch, …] (default false). */
  batchFirst?: boolean;
  /** What fills the positions past a sequence's end (default 0). */
  paddingValue?: number;
  /** Pad after each sequence ('right', default) or before it ('left'). */
  paddingSide?: 'right' | 'left';
}

/**
 * Stacks sequences of different lengths ([Lᵢ, …] each, same trailing dims) into one tensor padded
 * to the longest: [maxLen, batch, …], or [batch, maxLen, …] with batchFirst. Differentiable.
 * @example nn.utils.rnn.padSequence([a, b, c], { batchFirst: true }) // [3, maxLen, …]
 */
export function padSequence(sequences: Tensor[], options: PadSequenceOptions = {}): Tensor {
  const { batchFirst = false, paddingValue = 0, paddingSide = 'right' } = checkOptions('padSequence', options, ['batchFirst', 'paddingValue', 'paddingSide']);
  if (!Array.isArray(sequences) || sequences.length === 0) throw new TypeError('padSequence: expects a non-empty array of tensors');
  if (paddingSide !== 'right' && paddingSide !== 'left')
    throw new RangeError(`padSequence: paddingSide must be 'right' or 'left' (got '${String(paddingSide)}')`);
  if (typeof paddingValue !== 'number') throw new TypeError(`padSequence: paddingValue must be a number (got ${typeof paddingValue})`);
  bool('padSequence', 'batchFirst', batchFirst);
  sequences.forEach((s, i) => {
    if (!(s instanceof Tensor)) throw new TypeError(`padSequence: sequences[${i}] is not a Tensor`);
    s.check('padSequence');
    if (s.ndim === 0) throw new RangeError(`padSequence: sequences[${i}] is 0-D; each sequence needs a leading length dim`);
    const first = sequences[0];
    if (s.dtype !== first.dtype || s.ndim !== first.ndim || s.shape.slice(1).some((n, d) => n !== first.shape[d + 1])) {
      throw new RangeError(
        `padSequence: sequences[${i}] ${fmtShape(s.shape)} (${s.dtype}) does not match sequences[0] ${fmtShape(first.shape)} (${first.dtype}) after the length dim`,
      );
    }
  });
  const maxLen = Math.max(...sequences.map((s) => s.shape[0]));
  return composite('padSequence', () => {
    const padded = sequences.map((s) => {
      const n = maxLen - s.shape[0];
      if (n === 0) return s;
      const pad = full([n, ...s.shape.slice(1)], paddingValue, { dtype: s.dtype, device: s.device });
      return cat(paddingSide === 'right' ? [s, pad] : [pad, s], 0);
    });
    return stack(padded, batchFirst ? 0 : 1);
  });
}
