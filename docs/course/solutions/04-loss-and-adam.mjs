// Reference solution of exercise 4 (docs/course/04-modules-losses-optimizers.md).

function logSoftmax(row) {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((sum, z) => sum + Math.exp(z - m), 0));
  return row.map((z) => z - lse);
}

export function crossEntropy(logits, targets, { labelSmoothing = 0 } = {}) {
  let total = 0;
  logits.forEach((row, i) => {
    const logp = logSoftmax(row);
    const uniform = -logp.reduce((a, b) => a + b, 0) / row.length;
    total += (1 - labelSmoothing) * -logp[targets[i]] + labelSmoothing * uniform;
  });
  return total / logits.length;
}

export function adamStep(param, grad, state, { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 } = {}) {
  const [b1, b2] = betas;
  state.m ??= param.map(() => 0);
  state.s ??= param.map(() => 0);
  state.t = (state.t ?? 0) + 1;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i] + weightDecay * param[i];
    state.m[i] = b1 * state.m[i] + (1 - b1) * g;
    state.s[i] = b2 * state.s[i] + (1 - b2) * g * g;
    const mHat = state.m[i] / (1 - b1 ** state.t);
    const sHat = state.s[i] / (1 - b2 ** state.t);
    param[i] -= (lr * mHat) / (Math.sqrt(sHat) + eps);
  }
}
