// Module call path and hooks: `model(x)` runs forward pre-hooks, forward, forward hooks and the
// full-backward-hook wiring, whoever calls the module (user code, Sequential, a parent module).
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, noGrad, ones, randn, tensor, zeros, type Tensor } from '../src/index.js';
import { expectValues } from './helpers.js';

const { Linear, ReLU, Sequential, Module, Parameter } = nn;

const f = (data: number[][]) => tensor(data, { dtype: 'float32' });

/** A Linear with weight [[1, 2], [3, 4]] and bias [0.5, -0.5]. */
function fixedLinear(): InstanceType<typeof Linear> {
  const fc = new Linear(2, 2);
  noGrad(() => {
    fc.weight.copy_(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    fc.bias!.copy_(tensor([0.5, -0.5]));
  });
  return fc;
}

class TwoLayer extends Module {
  fc1 = fixedLinear();
  fc2 = fixedLinear();
  forward(x: Tensor): Tensor {
    return this.fc2(this.fc1(x).relu());
  }
}

describe('calling a module', () => {
  it('model(x) is callable and equals forward(x) and call(x)', () => {
    const fc = fixedLinear();
    const x = f([[1, 1]]);
    expect(typeof fc).toBe('function');
    expect(fc instanceof Module).toBe(true);
    expectValues(fc(x), [[3.5, 6.5]]);
    expectValues(fc.call(x), [[3.5, 6.5]]);
    expectValues(fc.forward(x), [[3.5, 6.5]]);
  });

  it('a callable module keeps its own members: Sequential.length, parameters, state dict keys', () => {
    const seq = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
    expect(seq.length).toBe(3);
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(seq(zeros([4, 2])).shape).toEqual([4, 1]);
  });
});

describe('forward hooks', () => {
  it('run when Sequential and a parent module call the layer, and stop after handle.remove()', () => {
    const net = new TwoLayer();
    const seq = new Sequential(net);
    const seen: number[][][] = [];
    const handle = net.fc1.registerForwardHook((m, args, out) => {
      expect(m).toBe(net.fc1);
      expectValues(args[0], [[1, 1]]);
      seen.push(out.tolist() as number[][]);
    });
    seq(f([[1, 1]]));
    net(f([[1, 1]]));
    expect(seen).toEqual([[[3.5, 6.5]], [[3.5, 6.5]]]);
    handle.remove();
    handle.remove();
    seq(f([[1, 1]]));
    expect(seen.length).toBe(2);
  });

  it('a forward hook that returns a value replaces the output; forward() alone runs no hooks', () => {
    const fc = fixedLinear();
    fc.registerForwardHook((_m, _args, out) => out.mul(0));
    expectValues(fc(f([[1, 1]])), [[0, 0]]);
    expectValues(fc.forward(f([[1, 1]])), [[3.5, 6.5]]);
  });

  it('forward pre-hooks replace the arguments (an array, or a single value) and run in registration order', () => {
    const fc = fixedLinear();
    const order: string[] = [];
    fc.registerForwardPreHook((_m, [x]) => {
      order.push('first');
      return [x.mul(2)];
    });
    const h = fc.registerForwardPreHook((_m, [x]) => {
      order.push('second');
      return x.add(1);
    });
    // ([1, 1]·2 + 1) = [3, 3] → [3·3 + 0.5, 7·3 − 0.5]
    expectValues(fc(f([[1, 1]])), [[9.5, 20.5]]);
    expect(order).toEqual(['first', 'second']);
    h.remove();
    expectValues(fc(f([[1, 1]])), [[6.5, 13.5]]);
  });

  it('hooks get distinct handle ids and reject a non-function', () => {
    const fc = fixedLinear();
    const a = fc.registerForwardHook(() => undefined);
    const b = fc.registerForwardPreHook(() => undefined);
    expect(a.id).not.toBe(b.id);
    expect(() => fc.registerForwardHook(42 as never)).toThrow(/registerForwardHook: the hook must be a function/);
  });

  it('pruning as PyTorch does it: weight = weight_orig * weight_mask, recomputed by a forward pre-hook', () => {
    const fc = fixedLinear() as InstanceType<typeof Linear> & { weight_orig: InstanceType<typeof Parameter> };
    const orig = fc.weight;
    delete (fc as Partial<typeof fc>).weight;
    fc.weight_orig = orig;
    fc.registerBuffer(
      'weight_mask',
      tensor([
        [1, 0],
        [0, 1],
      ]),
    );
    const mask = (m: typeof fc) => (m as unknown as { weight_mask: Tensor }).weight_mask;
    fc.registerForwardPreHook((m) => {
      (m as unknown as { weight: Tensor }).weight = m.weight_orig.mul(mask(m));
    });
    const y = fc(f([[1, 1]]));
    expectValues(y, [[1.5, 3.5]]);
    y.sum().backward();
    expectValues(fc.weight_orig.grad!, [
      [1, 0],
      [0, 1],
    ]);
    expect(Object.keys(fc.stateDict()).sort()).toEqual(['bias', 'weight_mask', 'weight_orig']);
  });
});

describe('full backward hooks', () => {
  it('receive gradInput and gradOutput at the module boundary (y = xWᵀ + b: gradInput = gradOutput·W)', () => {
    const net = new TwoLayer();
    const got: { gradIn: number[][]; gradOut: number[][] }[] = [];
    net.fc2.registerFullBackwardHook((m, gradInput, gradOutput) => {
      expect(m).toBe(net.fc2);
      got.push({ gradIn: gradInput[0]!.tolist() as number[][], gradOut: gradOutput[0]!.tolist() as number[][] });
    });
    const x = tensor([[1, 1]], { requiresGrad: true });
    net(x)
      .mul(tensor([[1, 2]]))
      .sum()
      .backward();
    // gradOut = [1, 2]; gradIn = [1, 2]·[[1, 2], [3, 4]] = [7, 10]
    expect(got).toEqual([{ gradIn: [[7, 10]], gradOut: [[1, 2]] }]);
    // fc1's output is positive, so relu passes [7, 10]; x.grad = [7, 10]·W = [37, 54]
    expectValues(x.grad!, [[37, 54]]);
  });

  it('a hook that returns gradInput replaces what flows on', () => {
    const net = new TwoLayer();
    net.fc2.registerFullBackwardHook((_m, gradInput) => [gradInput[0]!.mul(0.5)]);
    const x = tensor([[1, 1]], { requiresGrad: true });
    net(x).sum().backward();
    // gradOut = [1, 1] → gradIn = [4, 6] → halved [2, 3] → x.grad = [2, 3]·W = [11, 16]
    expectValues(x.grad!, [[11, 16]]);
    // fc1's weight grad sees the halved gradient too: [2, 3]ᵀ·[1, 1]
    expectValues(net.fc1.weight.grad!, [
      [2, 2],
      [3, 3],
    ]);
  });

  it('a first layer whose input needs no grad gets gradInput [null] and the real gradOutput', () => {
    const fc = fixedLinear();
    const calls: [(number[][] | null)[], number[][]][] = [];
    fc.registerFullBackwardHook((_m, gradInput, gradOutput) => {
      calls.push([gradInput.map((g) => (g ? (g.tolist() as number[][]) : null)), gradOutput[0]!.tolist() as number[][]]);
    });
    fc(ones([1, 2]))
      .mul(3)
      .sum()
      .backward();
    expect(calls).toEqual([[[null], [[3, 3]]]]);
    expectValues(fc.weight.grad!, [
      [3, 3],
      [3, 3],
    ]);
  });

  it('a wrong return value is a clear error naming the hook method', () => {
    const fc = fixedLinear();
    fc.registerFullBackwardHook(() => [zeros([3])]);
    const x = tensor([[1, 1]], { requiresGrad: true });
    expect(() => fc(x).sum().backward()).toThrow(
      /registerFullBackwardHook: the hook of Linear returned shape \[3\] for gradInput\[0\], expected a tensor of shape \[1, 2\]/,
    );
  });

  it('is not wired under noGrad (inference pays nothing)', () => {
    const fc = fixedLinear();
    let calls = 0;
    fc.registerFullBackwardHook(() => void calls++);
    const y = noGrad(() => fc(tensor([[1, 1]], { requiresGrad: true })));
    expect(y.requiresGrad).toBe(false);
    expect(calls).toBe(0);
  });
});

describe('Module.to and printing', () => {
  it('to(device) moves parameters and buffers; outputs match', () => {
    const net = new Sequential(fixedLinear(), new nn.BatchNorm1d(2));
    net.eval();
    const before = net(f([[1, 1]])).tolist();
    expect(net.to('js')).toBe(net);
    expect(net.parameters().every((p) => p.device === 'js' && p.requiresGrad)).toBe(true);
    expect(net.buffers().every((b) => b.device === 'js')).toBe(true);
    expectValues(net(tensor([[1, 1]], { dtype: 'float32', device: 'js' })), before as number[][]);
    expect(() => net.to('gpu' as never)).toThrow(/Module.to: unknown device 'gpu'/);
  });

  it('console.log(model) prints the module tree', () => {
    const seq = new Sequential(new Linear(2, 3), new ReLU());
    expect(inspect(seq)).toBe('Sequential(\n  (0): Linear(inFeatures=2, outFeatures=3, bias=true)\n  (1): ReLU()\n)');
  });
});

describe('what a hook captures is the user’s (feature extraction)', () => {
  const x = f([
    [1, -1],
    [2, 0.5],
  ]);
  // fc1(x) = [[-0.5, -1.5], [3.5, 7.5]]; relu → [[0, 0], [3.5, 7.5]]; fc2 → [[0.5, -0.5], [19, 40]]
  const hidden = [
    [0, 0],
    [3.5, 7.5],
  ];
  const fixedSeq = () => new Sequential(fixedLinear(), new ReLU(), fixedLinear());

  it('Sequential under noGrad: a captured output and a captured input stay readable after the pass', () => {
    const seq = fixedSeq();
    const outs: Tensor[] = [];
    const ins: Tensor[] = [];
    seq.at(1).registerForwardHook((_m, _args, out) => void outs.push(out));
    seq.at(2).registerForwardHook((_m, args) => void ins.push(args[0]));
    const y = noGrad(() => seq(x));
    expectValues(y, [
      [0.5, -0.5],
      [19, 40],
    ]);
    expectValues(outs[0], hidden);
    expectValues(ins[0], hidden);
  });

  it('with grad on: activations captured in each training step are intact after later backward() calls', () => {
    const seq = fixedSeq();
    const outs: Tensor[] = [];
    const made: Tensor[] = [];
    seq.at(1).registerForwardHook((_m, _args, out) => {
      outs.push(out);
      made.push(out.sum(1));
    });
    for (let step = 0; step < 3; step++) {
      seq.zeroGrad();
      seq(x).sum().backward();
    }
    expect(outs.length).toBe(3);
    for (const out of outs) expectValues(out, hidden);
    for (const m of made) expectValues(m, [0, 11]);
  });

  it('a hook inside a composite layer (TransformerEncoder) keeps what it receives and what it makes', () => {
    manualSeed(4);
    const layer = new nn.TransformerEncoderLayer(8, 2, { dropout: 0, batchFirst: true });
    const encoder = new nn.TransformerEncoder(layer, 2);
    encoder.eval();
    const src = randn([2, 3, 8]);
    const outs: Tensor[] = [];
    const pooled: Tensor[] = [];
    encoder.layers[0].registerForwardHook((_m, _args, out) => {
      outs.push(out);
      pooled.push(out.mean(1));
    });
    noGrad(() => encoder(src));
    const expected = noGrad(() => encoder.layers[0].forward(src));
    expectValues(outs[0], expected.tolist() as number[][][]);
    expectValues(pooled[0], expected.mean(1).tolist() as number[][]);
  });

  it('a full backward hook may keep gradOutput and gradInput (grad-CAM) past later backward() calls', () => {
    const net = new TwoLayer();
    const gradOuts: Tensor[] = [];
    const gradIns: Tensor[] = [];
    net.fc2.registerFullBackwardHook((_m, gradInput, gradOutput) => {
      gradOuts.push(gradOutput[0]!);
      gradIns.push(gradInput[0]!);
    });
    for (let step = 0; step < 2; step++) {
      const input = tensor([[1, 1]], { requiresGrad: true });
      net(input)
        .mul(tensor([[1, 2]]))
        .sum()
        .backward();
      expectValues(input.grad!, [[37, 54]]);
    }
    for (const g of gradOuts) expectValues(g, [[1, 2]]);
    for (const g of gradIns) expectValues(g, [[7, 10]]);
  });
});
