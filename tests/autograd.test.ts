// Autograd: leaves and graph nodes, accumulation, retainGraph, grad modes, detach, broadcasting,
// shared inputs, and detection of in-place writes to tensors a backward still needs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enableGrad, isGradEnabled, noGrad, ones, setDefaultDevice, tensor, type Device, type NestedArray, type Tensor } from '../src/index.js';
import { approx } from './helpers.js';

function expectGrad(t: Tensor, expected: NestedArray): void {
  expect(t.grad).not.toBeNull();
  expect(t.grad!.tolist()).toEqual(approx(expected));
}

describe.each<Device>(['wasm', 'js'])('autograd on %s', (device) => {
  beforeAll(() => setDefaultDevice(device));
  afterAll(() => setDefaultDevice('wasm'));

  it('backpropagates through matmul, relu and sum', () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    const w = tensor(
      [
        [0.5, -1],
        [2, 1],
      ],
      { requiresGrad: true },
    );
    // x·w = [[4.5, 1], [9.5, 1]]: every entry positive, so relu passes all of it.
    const y = x.matmul(w).relu().sum();
    y.backward();
    expect(y.item()).toBeCloseTo(16, 5);
    expectGrad(x, [
      [-0.5, 3],
      [-0.5, 3],
    ]);
    expectGrad(w, [
      [4, 4],
      [6, 6],
    ]);
  });

  it('relu blocks the gradient where its input is negative', () => {
    const x = tensor([-1, 2, -3, 4], { requiresGrad: true });
    x.relu().sum().backward();
    expectGrad(x, [0, 1, 0, 1]);
  });

  describe('leaves and nodes', () => {
    it('tensors made by users are leaves; op results are not and name their op', () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const c = tensor([3, 4]);
      expect(x.isLeaf).toBe(true);
      expect(x.gradFn).toBeNull();
      const y = x.mul(c);
      expect(y.isLeaf).toBe(false);
      expect(y.requiresGrad).toBe(true);
      expect(y.gradFn!.name).toBe('mul');
      expect(y.sum().gradFn!.name).toBe('sum');
      expect(x.reshape(1, 2).matmul(c.float().reshape(2, 1)).gradFn!.name).toBe('matmul');
      expect(x.exp().gradFn!.name).toBe('exp');
    });

    it('results of ops on tensors without grad are leaves that do not require grad', () => {
      const y = tensor([1.5, 2]).mul(2);
      expect(y.isLeaf).toBe(true);
      expect(y.requiresGrad).toBe(false);
      expect(y.gradFn).toBeNull();
    });

    it('only leaves get .grad unless retainGrad() is called on a node', () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const h = x.mul(3);
      const r = x.mul(2).retainGrad();
      h.add(r)
        .mul(tensor([1, 10]))
        .sum()
        .backward();
      expect(h.grad).toBeNull();
      expectGrad(r, [1, 10]);
      expectGrad(x, [5, 50]);
    });

    it('requiresGrad_ turns tracking on for float leaves and refuses int tensors', () => {
      const x = tensor([1.5, 2]);
      expect(x.requiresGrad_()).toBe(x);
      expect(x.requiresGrad).toBe(true);
      x.requiresGrad = false;
      expect(x.requiresGrad).toBe(false);
      expect(() => tensor([1, 2]).requiresGrad_()).toThrow(/requiresGrad_: only floating point tensors can require gradients \(this one is int32\)/);
      expect(() => tensor([true]).requiresGrad_()).toThrow(/this one is bool/);
    });
  });

  describe('backward', () => {
    it('accumulates into .grad across backward calls', () => {
      const x = tensor([1, 2, 3], { requiresGrad: true });
      x.mul(x).sum().backward();
      expectGrad(x, [2, 4, 6]);
      x.mul(3).sum().backward();
      expectGrad(x, [5, 7, 9]);
    });

    it('refuses a second backward through the same graph without retainGraph', () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const y = x.mul(x).sum();
      y.backward();
      expect(() => y.backward()).toThrow(/backward through the graph a second time.*retainGraph: true/);
      expectGrad(x, [2, 4]);
    });

    it('runs twice through a graph kept with { retainGraph: true }, accumulating', () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const y = x.mul(x).sum();
      y.backward(undefined, { retainGraph: true });
      y.backward();
      expectGrad(x, [4, 8]);
    });

    it('needs an explicit gradient for non-scalar outputs, of the output shape', () => {
      const x = tensor([1, 2], { requiresGrad: true });
      expect(() => x.mul(2).backward()).toThrow(/backward: a gradient can be created implicitly only for one-element outputs; pass a gradient of shape \[2\]/);
      expect(() => x.mul(2).backward(ones([3]))).toThrow(/backward: gradient shape \[3\] does not match the output shape \[2\]/);
      x.mul(2).backward(tensor([1, -1]));
      expectGrad(x, [2, -2]);
    });

    it('refuses a tensor that does not require grad', () => {
      expect(() => tensor([1.5]).sum().backward()).toThrow(/backward: this tensor does not require grad/);
    });

    it('sums the gradient of a broadcast input back to its shape', () => {
      const m = tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { requiresGrad: true },
      );
      const row = tensor([1, 1, 1], { requiresGrad: true });
      const col = tensor([[2], [3]], { requiresGrad: true });
      const s = tensor(0.5, { requiresGrad: true });
      m.mul(row).add(col).mul(s).sum().backward();
      expectGrad(row, [2.5, 3.5, 4.5]);
      expectGrad(col, [[1.5], [1.5]]);
      expectGrad(s, 21 + 3 * 2 + 3 * 3);
      expectGrad(m, [
        [0.5, 0.5, 0.5],
        [0.5, 0.5, 0.5],
      ]);
    });

    it('adds the contributions of a tensor used on several paths (diamond)', () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const a = x.add(1);
      const b = x.mul(2);
      // z = (x + 1)·2x, dz/dx = 2x + 2(x + 1) = 4x + 2
      a.mul(b).sum().backward();
      expectGrad(x, [6, 10]);
      const y = tensor([3], { requiresGrad: true });
      y.mul(y).mul(y).sum().backward();
      expectGrad(y, [27]);
    });

    it('gives the derivatives of the unary functions', () => {
      const x = tensor([0.5, 1, 2], { requiresGrad: true });
      x.exp().add(x.log()).add(x.tanh()).add(x.sqrt()).sum().backward();
      const d = (v: number) => Math.exp(v) + 1 / v + (1 - Math.tanh(v) ** 2) + 0.5 / Math.sqrt(v);
      expectGrad(x, [d(0.5), d(1), d(2)]);
    });
  });

  describe('grad modes and detach', () => {
    it('noGrad records nothing; enableGrad inside it records again; both restore the mode', () => {
      const x = tensor([1, 2], { requiresGrad: true });
      expect(isGradEnabled()).toBe(true);
      const [inner, reenabled] = noGrad(() => {
        expect(isGradEnabled()).toBe(false);
        const r = enableGrad(() => {
          expect(isGradEnabled()).toBe(true);
          return x.mul(2);
        });
        expect(isGradEnabled()).toBe(false);
        return [x.mul(2), r];
      });
      expect(isGradEnabled()).toBe(true);
      expect(inner.requiresGrad).toBe(false);
      expect(inner.gradFn).toBeNull();
      expect(reenabled.gradFn!.name).toBe('mul');
      expect(() =>
        noGrad(() => {
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(isGradEnabled()).toBe(true);
    });

    it('detach stops gradients at the detached tensor', () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const y = x.mul(x);
      y.detach().mul(x).sum().backward();
      // d/dx of (x²)_detached · x is just x²
      expectGrad(x, [1, 4]);
    });
  });

  describe('in-place writes to saved tensors', () => {
    it('are detected at backward when an input was overwritten', () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const c = tensor([0.5, 0.5]);
      const y = x.mul(c).sum();
      c.mul_(2);
      expect(() => y.backward()).toThrow(/an input of mul \(shape \[2\]\) was modified by an in-place operation/);
    });

    it('are detected when a leaf was updated under noGrad between forward and backward', () => {
      const w = tensor([1, 2], { requiresGrad: true });
      const loss = w.mul(w).sum();
      noGrad(() => w.sub_(1));
      expect(() => loss.backward()).toThrow(/in-place/);
    });

    it('are detected when an output its backward reuses was overwritten', () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const e = x.exp();
      noGrad(() => e.mul_(2));
      expect(() => e.backward(ones([2]))).toThrow(/the output of exp \(shape \[2\]\) was modified by an in-place operation/);
    });
  });
});
