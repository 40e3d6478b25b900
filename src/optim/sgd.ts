import type { OptimTarget } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';
import { checkHyper, Optimizer, stateLike } from './optimizer.js';
import type { ParamGroup, ParamsInput } from './optimizer.js';

/** SGD's hyperparameters (PyTorch's names in camelCase). */
export interface SGDOptions {
  /** Learning rate γ; required, in the options or in every group. */
  lr: number;
  /** Momentum factor μ (default 0). */
  momentum: number;
  /** Dampening τ for momentum (default 0). */
  dampening: number;
  /** L2 penalty λ (default 0). */
  weightDecay: number;
  /** Nesterov momentum (default false); needs momentum > 0 and dampening 0. */
  nesterov: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** SGD's per-parameter state: its momentum buffer (PyTorch's `momentum_buffer`). */
export type SGDState = { momentumBuffer: Tensor | null };

/**
 * Stochastic gradient descent, optionally with momentum, exactly as PyTorch's `torch.optim.SGD`:
 * ```
 * g ← ∇f(θ)  (−∇f(θ) if maximize);   if λ ≠ 0: g ← g + λθ
 * if μ ≠ 0:  b ← g on the first step, else b ← μb + (1 − τ)g
 *            g ← g + μb if nesterov, else g ← b
 * θ ← θ − γg
 * ```
 * @example
 * const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 */
export class SGD extends Optimizer<SGDOptions, SGDState> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> | number = {}) {
    super('SGD', params, { lr: NaN, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }, options);
  }

  protected validate(g: SGDOptions): void {
    checkHyper(this.name, g.momentum >= 0, 'momentum', g.momentum, 'must be >= 0');
    checkHyper(this.name, g.weightDecay >= 0, 'weightDecay', g.weightDecay, 'must be >= 0');
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new RangeError(`${this.name}: nesterov momentum requires momentum > 0 and dampening 0 (got momentum ${g.momentum}, dampening ${g.dampening})`);
    }
  }

  protected initState(): SGDState {
    return { momentumBuffer: null };
  }

  protected update(target: OptimTarget, p: Tensor, state: SGDState, g: ParamGroup<SGDOptions>): void {
    const initBuffer = g.momentum !== 0 && state.momentumBuffer == null;
    if (initBuffer) state.momentumBuffer = stateLike(p);
    const buffer = g.momentum !== 0 ? state.momentumBuffer!.storage : null;
    p.backend.sgdStep(target, buffer, { ...g, initBuffer });
  }
}
