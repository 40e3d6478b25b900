import type { OptimTarget } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';
import { checkHyper, Optimizer, stateLike } from './optimizer.js';
import type { ParamGroup, ParamsInput } from './optimizer.js';

/** RMSprop's hyperparameters (PyTorch's names in camelCase). */
export interface RMSpropOptions {
  /** Learning rate γ (default 1e-2). */
  lr: number;
  /** Smoothing constant α of the running average of g² (default 0.99). */
  alpha: number;
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** L2 penalty λ (default 0). */
  weightDecay: number;
  /** Momentum factor μ (default 0). */
  momentum: number;
  /** Normalize by an estimate of the gradient's variance instead of its second moment (default false). */
  centered: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** RMSprop's per-parameter state; momentumBuffer and gradAvg exist only when used, as in PyTorch's state dict. */
export type RMSpropState = { step: number; squareAvg: Tensor; momentumBuffer?: Tensor | null; gradAvg?: Tensor | null };

/**
 * RMSprop, exactly as PyTorch's `torch.optim.RMSprop`:
 * ```
 * g ← ∇f(θ)  (−∇f(θ) if maximize);   if λ ≠ 0: g ← g + λθ
 * v ← α·v + (1 − α)·g²;   d ← √v + ε
 * if centered: a ← α·a + (1 − α)·g;   d ← √(v − a²) + ε
 * if μ > 0: b ← μ·b + g / d;   θ ← θ − γ·b     else: θ ← θ − γ·g / d
 * ```
 * @example const opt = new optim.RMSprop(model.parameters(), { lr: 0.01, momentum: 0.9 });
 */
export class RMSprop extends Optimizer<RMSpropOptions, RMSpropState> {
  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> | number = {}) {
    super('RMSprop', params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false }, options);
  }

  protected validate(g: RMSpropOptions): void {
    checkHyper(this.name, g.eps >= 0, 'epsilon', g.eps, 'must be >= 0');
    checkHyper(this.name, g.momentum >= 0, 'momentum', g.momentum, 'must be >= 0');
    checkHyper(this.name, g.weightDecay >= 0, 'weightDecay', g.weightDecay, 'must be >= 0');
    checkHyper(this.name, g.alpha >= 0, 'alpha', g.alpha, 'must be >= 0');
  }

  protected initState(p: Tensor, g: ParamGroup<RMSpropOptions>): RMSpropState {
    return {
      step: 0,
      squareAvg: stateLike(p),
      ...(g.momentum > 0 ? { momentumBuffer: stateLike(p) } : {}),
      ...(g.centered ? { gradAvg: stateLike(p) } : {}),
    };
  }

  protected update(target: OptimTarget, p: Tensor, s: RMSpropState, g: ParamGroup<RMSpropOptions>): void {
    s.step += 1;
    if (g.momentum > 0) s.momentumBuffer ??= stateLike(p);
    if (g.centered) s.gradAvg ??= stateLike(p);
    const buffer = g.momentum > 0 ? s.momentumBuffer!.storage : null;
    const gradAvg = g.centered ? s.gradAvg!.storage : null;
    p.backend.rmspropStep(target, s.squareAvg.storage, gradAvg, buffer, g);
  }
}
