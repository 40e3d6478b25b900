import type { OptimTarget } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';
import { checkHyper, Optimizer, stateLike } from './optimizer.js';
import type { ParamGroup, ParamsInput } from './optimizer.js';

/** Adam's and AdamW's hyperparameters (PyTorch's names in camelCase). */
export interface AdamOptions {
  /** Learning rate γ (default 1e-3). */
  lr: number;
  /** Decay rates (β1, β2) of the running averages of the gradient and its square (default [0.9, 0.999]). */
  betas: readonly [number, number];
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** Weight decay λ: an L2 term in Adam (default 0), decoupled in AdamW (default 1e-2). */
  weightDecay: number;
  /** Use the AMSGrad variant: divide by the running maximum of v̂ (default false). */
  amsgrad: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** Adam's per-parameter state; maxExpAvgSq exists with amsgrad only, as in PyTorch's state dict. */
export type AdamState = { step: number; expAvg: Tensor; expAvgSq: Tensor; maxExpAvgSq?: Tensor | null };

const DEFAULTS: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false };

/** The update both share; `decoupled` chooses AdamW's weight decay. */
abstract class AdamBase extends Optimizer<AdamOptions, AdamState> {
  protected abstract readonly decoupled: boolean;

  protected validate(g: AdamOptions): void {
    checkHyper(this.name, g.eps >= 0, 'epsilon', g.eps, 'must be >= 0');
    if (!Array.isArray(g.betas) || g.betas.length !== 2)
      throw new TypeError(`${this.name}: betas must be a pair [beta1, beta2] (got ${JSON.stringify(g.betas)})`);
    g.betas.forEach((b, i) => checkHyper(this.name, b >= 0 && b < 1, `betas[${i}]`, b, 'must be in [0, 1)'));
    checkHyper(this.name, g.weightDecay >= 0, 'weightDecay', g.weightDecay, 'must be >= 0');
  }

  protected initState(p: Tensor, g: ParamGroup<AdamOptions>): AdamState {
    return { step: 0, expAvg: stateLike(p), expAvgSq: stateLike(p), ...(g.amsgrad ? { maxExpAvgSq: stateLike(p) } : {}) };
  }

  protected update(target: OptimTarget, p: Tensor, s: AdamState, g: ParamGroup<AdamOptions>): void {
    const [beta1, beta2] = g.betas;
    s.step += 1;
    if (g.amsgrad) s.maxExpAvgSq ??= stateLike(p);
    p.backend.adamStep(target, s.expAvg.storage, s.expAvgSq.storage, g.amsgrad ? s.maxExpAvgSq!.storage : null, {
      beta1,
      beta2,
      eps: g.eps,
      weightDecay: this.decoupled ? 0 : g.weightDecay,
      paramScale: this.decoupled ? 1 - g.lr * g.weightDecay : 1,
      stepSize: g.lr / (1 - beta1 ** s.step),
      bias2Sqrt: Math.sqrt(1 - beta2 ** s.step),
      maximize: g.maximize,
    });
  }
}

/**
 * Adam, exactly as PyTorch's `torch.optim.Adam`:
 * ```
 * g ← ∇f(θ)  (−∇f(θ) if maximize);   if λ ≠ 0: g ← g + λθ
 * m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²;   t ← t + 1
 * if amsgrad: v_max ← max(v_max, v), and v_max replaces v below
 * θ ← θ − (γ / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 * ```
 * @example const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
 */
export class Adam extends AdamBase {
  /** False: weight decay is added to the gradient (L2), as torch.optim.Adam. */
  protected readonly decoupled = false;
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> | number = {}) {
    super('Adam', params, DEFAULTS, options);
  }
}

/**
 * AdamW: Adam with decoupled weight decay, exactly as PyTorch's `torch.optim.AdamW`. The
 * parameter decays first, θ ← θ·(1 − γλ), and λθ is not added to the gradient; the rest is Adam.
 * @example const opt = new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 });
 */
export class AdamW extends AdamBase {
  /** True: weight decay shrinks the weights directly, as torch.optim.AdamW. */
  protected readonly decoupled = true;
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> | number = {}) {
    super('AdamW', params, { ...DEFAULTS, weightDecay: 1e-2 }, options);
  }
}
