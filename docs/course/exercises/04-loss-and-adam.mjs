// Exercise 4 (docs/course/04-modules-losses-optimizers.md). Run `npm run course -- 04`.

/**
 * Mean cross-entropy of a batch: logits is an array of rows (one number per class), targets the
 * class index of each row. With labelSmoothing ε the target is 1 − ε on the true class plus ε/K on
 * every class. Must be finite for logits like [1000, 1001, 1002].
 */
export function crossEntropy(logits, targets, { labelSmoothing = 0 } = {}) {
  throw new Error('exercise 4: crossEntropy is not written yet');
}

/**
 * One Adam step on `param` (an array of numbers, updated in place) given `grad` (same length).
 * `state` starts as {} and is yours to fill (first and second moments, step count).
 * weightDecay λ adds λ·param to the gradient first (Adam's L2 penalty, not AdamW's).
 */
export function adamStep(param, grad, state, { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 } = {}) {
  throw new Error('exercise 4: adamStep is not written yet');
}
