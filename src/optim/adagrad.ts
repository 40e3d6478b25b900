import type { OptimTarget } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';
import { checkHyper, Optimizer, stateLike } from './optimizer.js';
import type { ParamGroup, ParamGroupInput, ParamsInput } from './optimizer.js';

/** Adagrad's hyperparameters (PyTorch's names in camelCase). */
export interface AdagradOptions {
  /** Learning rate γ (default 1e-2). */
  lr: number;
  /** Learning-rate decay η (default 0). */
  lrDecay: number;
  /** L2 penalty λ (default 0). */
  weightDecay: number;
  /** Starting value of the sum of squared gradients (default 0). */
  initialAccumulatorValue: number;
  /** Added to the denominator for numerical stability (default 1e-10). */
  eps: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** Adagrad's per-parameter state: its step count and sum of squared gradients. */
export type AdagradState = { step: number; sum: Tensor };

/**
 * Adagrad, exactly as PyTorch's `torch.optim.Adagrad`:
 * ```
 * g ← ∇f(θ)  (−∇f(θ) if maximize);   if λ ≠ 0: g ← g + λθ;   t ← t + 1
 * γ̃ ← γ / (1 + (t − 1)·η)
 * s ← s + g²   (s starts at initialAccumulatorValue)
 * θ ← θ − γ̃·g / (√s + ε)
 * ```
 * Like PyTorch's, its state exists from construction.
 * @example const opt = new optim.Adagrad(model.parameters(), { lr: 0.1 });
 */
export class Adagrad extends Optimizer<AdagradOptions, AdagradState> {
  constructor(params: ParamsInput<AdagradOptions>, options: Partial<AdagradOptions> | number = {}) {
    super('Adagrad', params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }, options);
  }

  protected validate(g: AdagradOptions): void {
    checkHyper(this.name, g.lrDecay >= 0, 'lrDecay', g.lrDecay, 'must be >= 0');
    checkHyper(this.name, g.weightDecay >= 0, 'weightDecay', g.weightDecay, 'must be >= 0');
    checkHyper(this.name, g.initialAccumulatorValue >= 0, 'initialAccumulatorValue', g.initialAccumulatorValue, 'must be >= 0');
    checkHyper(this.name, g.eps >= 0, 'epsilon', g.eps, 'must be >= 0');
  }

  override addParamGroup(group: ParamGroupInput<AdagradOptions>): void {
    super.addParamGroup(group);
    const added = this.paramGroups[this.paramGroups.length - 1];
    for (const p of added.params) this.state.set(p, this.initState(p, added));
  }

  protected initState(p: Tensor, g: ParamGroup<AdagradOptions>): AdagradState {
    return { step: 0, sum: stateLike(p, g.initialAccumulatorValue) };
  }

  protected update(target: OptimTarget, p: Tensor, s: AdagradState, g: ParamGroup<AdagradOptions>): void {
    s.step += 1;
    const clr = g.lr / (1 + (s.step - 1) * g.lrDecay);
    p.backend.adagradStep(target, s.sum.storage, { clr, eps: g.eps, weightDecay: g.weightDecay, maximize: g.maximize });
  }
}
