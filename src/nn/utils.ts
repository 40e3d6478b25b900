/** nn.utils: gradient clipping, flattening parameters into one vector, `rnn.padSequence` and `prune`. */
import { noGrad } from '../autograd/grad-mode.js';
import { tensor } from '../creation.js';
import { composite } from '../autograd/composite.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cat } from '../ops/shape.js';
import * as V from '../validate.js';

export * as rnn from './rnn-utils.js';

/** Options of `clipGradNorm_`. */
export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or infinite instead of scaling by it. */
  errorIfNonfinite?: boolean;
}

/**
 * Scales all gradients in place so that their joint p-norm is at most maxNorm: each grad is
 * multiplied by min(1, maxNorm / (total + 1e-6)). Returns the total norm before clipping.
 * @example loss.backward(); clipGradNorm_(model.parameters(), 1.0); optimizer.step();
 */
export function clipGradNorm_(parameters: Iterable<Tensor>, maxNorm: number, normType = 2, options: ClipGradNormOptions = {}): number {
  const { errorIfNonfinite = false } = V.options('clipGradNorm_', options, ['errorIfNonfinite']);
  if (!(maxNorm >= 0)) throw new RangeError(`clipGradNorm_: maxNorm must be a non-negative number (got ${maxNorm})`);
  if (!(normType > 0)) throw new RangeError(`clipGradNorm_: normType must be positive or Infinity (got ${normType})`);
  const grads = [...parameters].map((p) => p.grad).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return 0;
  const total = noGrad(() => {
    const norms = grads.map((g) => composite('clipGradNorm_', () => g.norm(normType).item()));
    if (normType === Infinity) return Math.max(...norms);
    return norms.reduce((acc, n) => acc + n ** normType, 0) ** (1 / normType);
  });
  if (!Number.isFinite(total) && errorIfNonfinite) {
    throw new Error(`clipGradNorm_: the total norm of order ${normType} of the gradients is ${total}, so they cannot be clipped`);
  }
  const coef = Math.min(1, maxNorm / (total + 1e-6));
  if (coef < 1) noGrad(() => grads.forEach((g) => g.mul_(coef)));
  return total;
}

/**
 * Clamps every gradient element into [−clipValue, clipValue] in place.
 * @example clipGradValue_(model.parameters(), 0.5)
 */
export function clipGradValue_(parameters: Iterable<Tensor>, clipValue: number): void {
  if (!(clipValue >= 0)) throw new RangeError(`clipGradValue_: clipValue must be a non-negative number (got ${clipValue})`);
  noGrad(() => {
    for (const p of parameters) {
      if (!p.grad) continue;
      const grad = p.grad;
      composite('clipGradValue_', () => void grad.copy_(grad.clamp(-clipValue, clipValue)));
    }
  });
}

/** All parameters flattened and concatenated into one 1-D tensor (a copy). */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  const params = [...parameters];
  if (params.length === 0) return tensor([], { dtype: 'float32' });
  return noGrad(() =>
    composite('parametersToVector', () =>
      cat(
        params.map((p) => p.reshape(-1)),
        0,
      ),
    ),
  );
}

/** Copies consecutive slices of a 1-D vector into the parameters, in place (inverse of parametersToVector). */
export function vectorToParameters(vector: Tensor, parameters: Iterable<Tensor>): void {
  const params = [...parameters];
  const total = params.reduce((n, p) => n + p.numel(), 0);
  if (vector.ndim !== 1 || vector.numel() !== total) {
    throw new RangeError(`vectorToParameters: expected a 1-D vector of ${total} elements for these parameters (got ${fmtShape(vector.shape)})`);
  }
  noGrad(() => {
    let offset = 0;
    for (const p of params) {
      const start = offset;
      composite('vectorToParameters', () => void p.copy_(vector.slice(0, start, start + p.numel()).reshape([...p.shape])));
      offset += p.numel();
    }
  });
}
export * as prune from './prune.js';
