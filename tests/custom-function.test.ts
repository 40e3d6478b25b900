import { describe, expect, it } from 'vitest';
import { autograd, gradcheck, manualSeed, randn, tensor, type Tensor } from '../src/index.js';

class Cube extends autograd.Function {
  static override forward(ctx: autograd.FunctionCtx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.pow(3);
  }
  static override backward(ctx: autograd.FunctionCtx, grad: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return grad.mul(x.square().mul(3));
  }
}

/** y = x·scale with a non-tensor argument: its gradient slot is null. */
class Scale extends autograd.Function {
  static override forward(ctx: autograd.FunctionCtx, x: Tensor, scale: number): Tensor {
    ctx.scale = scale;
    return x.mul(scale);
  }
  static override backward(ctx: autograd.FunctionCtx, grad: Tensor): (Tensor | null)[] {
    return [grad.mul(ctx.scale as number), null];
  }
}

/** A numerically stable softplus written by hand, saving an intermediate (the sigmoid). */
class Softplus extends autograd.Function {
  static override forward(ctx: autograd.FunctionCtx, x: Tensor): Tensor {
    ctx.saveForBackward(x.sigmoid());
    return x.relu().add(x.abs().neg().exp().add(1).log());
  }
  static override backward(ctx: autograd.FunctionCtx, grad: Tensor): Tensor {
    return grad.mul(ctx.savedTensors[0]);
  }
}

class Forgetful extends autograd.Function {
  static override forward(_ctx: autograd.FunctionCtx, x: Tensor, y: Tensor): Tensor {
    return x.add(y);
  }
  static override backward(_ctx: autograd.FunctionCtx, grad: Tensor): Tensor {
    return grad;
  }
}

describe('autograd.Function: custom ops from user code', () => {
  it('a cube op gives 3x² times the incoming gradient', () => {
    const x = tensor([1, -2, 3], { requiresGrad: true });
    const y = Cube.apply(x);
    expect(Array.from(y.toArray())).toEqual([1, -8, 27]);
    expect(y.gradFn?.name).toBe('Cube');
    y.sum().backward();
    expect(Array.from(x.grad!.toArray())).toEqual([3, 12, 27]);
  });

  it('passes gradcheck in float64 for a saved input, a saved intermediate and a non-tensor argument', () => {
    manualSeed(1);
    const x = randn([2, 3], { dtype: 'float64', device: 'js', requiresGrad: true });
    expect(gradcheck((a) => Cube.apply(a), [x])).toBe(true);
    expect(gradcheck((a) => Scale.apply(a, -2.5), [x])).toBe(true);
    expect(gradcheck((a) => Softplus.apply(a), [x])).toBe(true);
  });

  it('composes with built-in ops in one graph', () => {
    const x = tensor([0.5, 2], { requiresGrad: true });
    Cube.apply(x.mul(2)).mean().backward();
    // d/dx mean((2x)³) = 3·(2x)²·2 / 2
    expect(Array.from(x.grad!.toArray())).toEqual([3, 48]);
  });

  it('records nothing when no argument requires grad', () => {
    const y = Cube.apply(tensor([2]));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
  });

  it('names the op when backward returns the wrong number or shape of gradients', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    expect(() =>
      Forgetful.apply(a, tensor([3, 4]))
        .sum()
        .backward(),
    ).toThrow(/Forgetful\.backward returned 1 gradient\(s\) but forward took 2 argument/);
    class WrongShape extends autograd.Function {
      static override forward(_ctx: autograd.FunctionCtx, x: Tensor): Tensor {
        return x.sum();
      }
      static override backward(_ctx: autograd.FunctionCtx, grad: Tensor): Tensor {
        return grad;
      }
    }
    expect(() => WrongShape.apply(tensor([1, 2], { requiresGrad: true })).backward()).toThrow(
      /WrongShape\.backward: gradient 0 has shape \[\] but argument 0 has shape \[2\]/,
    );
  });

  it('names the op when forward returns something that is not a tensor, or saves a non-tensor', () => {
    class Numbers extends autograd.Function {
      static override forward(): Tensor {
        return 3 as unknown as Tensor;
      }
    }
    expect(() => Numbers.apply(tensor([1]))).toThrow(/Numbers\.forward must return a Tensor, got number/);
    class SavesNumber extends autograd.Function {
      static override forward(ctx: autograd.FunctionCtx, x: Tensor): Tensor {
        ctx.saveForBackward(x, 2 as unknown as Tensor);
        return x;
      }
    }
    expect(() => SavesNumber.apply(tensor([1]))).toThrow(/saveForBackward: argument 1 is not a Tensor/);
    class NoBackward extends autograd.Function {
      static override forward(_ctx: autograd.FunctionCtx, x: Tensor): Tensor {
        return x.mul(2);
      }
    }
    expect(() =>
      NoBackward.apply(tensor([1], { requiresGrad: true }))
        .sum()
        .backward(),
    ).toThrow(/NoBackward\.backward is not implemented/);
  });

  it('an argument returned unchanged gets its own node and the argument stays a leaf', () => {
    class Identity extends autograd.Function {
      static override forward(_ctx: autograd.FunctionCtx, x: Tensor): Tensor {
        return x;
      }
      static override backward(_ctx: autograd.FunctionCtx, grad: Tensor): Tensor {
        return grad.mul(2);
      }
    }
    const x = tensor([1, 2], { requiresGrad: true });
    const y = Identity.apply(x);
    expect(x.isLeaf).toBe(true);
    y.sum().backward();
    expect(Array.from(x.grad!.toArray())).toEqual([2, 2]);
  });

  it('raises when a saved tensor is changed in place between forward and backward', () => {
    class MulBy extends autograd.Function {
      static override forward(ctx: autograd.FunctionCtx, x: Tensor, k: Tensor): Tensor {
        ctx.saveForBackward(k);
        return x.mul(k);
      }
      static override backward(ctx: autograd.FunctionCtx, grad: Tensor): (Tensor | null)[] {
        return [grad.mul(ctx.savedTensors[0]), null];
      }
    }
    const k = tensor([2, 3]);
    const y = MulBy.apply(tensor([1, 2], { requiresGrad: true }), k);
    k.mul_(0);
    expect(() => y.sum().backward()).toThrow(/MulBy.*(modified|changed|version)/i);
  });

  it('a training loop through a custom op keeps memory flat', async () => {
    const { memoryStats } = await import('../src/index.js');
    const w = tensor([0.5, -0.5], { requiresGrad: true });
    const step = () => {
      const loss = Softplus.apply(w.mul(3)).sum();
      loss.backward();
      w.grad = null;
    };
    for (let i = 0; i < 20; i++) step();
    const before = memoryStats().liveTensors;
    for (let i = 0; i < 200; i++) step();
    expect(memoryStats().liveTensors).toBeLessThanOrEqual(before);
  });
});
