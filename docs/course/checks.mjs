// One check per exercise: it throws, naming what is wrong, unless the module solves the exercise.
// Each compares the reader's code with Tessera itself on cases chosen to catch the usual mistakes.
import assert from 'node:assert/strict';
import { arange, gradcheck, manualSeed, randn, tensor, zeros } from 'tessera';

export const checks = {
  async '01-strides'({ broadcastShape, readStrided }) {
    for (const [a, b] of [
      [[3, 1], [4]],
      [[2, 1, 5], [3, 1]],
      [[], [2, 2]],
      [[4], [4]],
      [[1], [0]],
    ]) {
      assert.deepEqual(broadcastShape(a, b), zeros(a).add(zeros(b)).shape, `broadcastShape([${a}], [${b}])`);
    }
    assert.throws(() => broadcastShape([3], [4]), undefined, 'broadcastShape([3], [4]) must throw');
    const x = arange(24).reshape(2, 3, 4);
    const storage = Array.from(x.toArray());
    for (const [name, view] of [
      ['x', x],
      ['x.t() of a row', x.select(0, 1).t()],
      ['x.permute(2, 0, 1)', x.permute(2, 0, 1)],
      ['x[:, 1, 1:4:2]', x.select(1, 1).slice(1, 1, 4, 2)],
      ['x[1, 2] expanded to [3, 4]', x.select(0, 1).select(0, 2).unsqueeze(0).expand(3, 4)],
      ['x[1, 2, 3] (0-d)', x.select(0, 1).select(0, 2).select(0, 3)],
    ]) {
      assert.deepEqual(readStrided(storage, view.shape, view.strides, view.offset), view.tolist(), `readStrided of ${name}`);
    }
  },

  async '02-custom-op'({ LogCosh }) {
    const xs = [-3, -0.5, 0, 0.25, 2, 700, -1000];
    const y = LogCosh.apply(tensor(xs, { dtype: 'float64', device: 'js' })).tolist();
    xs.forEach((x, i) => {
      const expected = Math.abs(x) > 30 ? Math.abs(x) - Math.LN2 : Math.log(Math.cosh(x));
      assert.ok(Math.abs(y[i] - expected) < 1e-9 * Math.max(1, Math.abs(expected)), `LogCosh(${x}) is ${y[i]}, expected ${expected}`);
    });
    manualSeed(2);
    const a = randn([2, 3], { dtype: 'float64', device: 'js', requiresGrad: true });
    assert.ok(gradcheck((t) => LogCosh.apply(t), [a]), 'gradcheck failed: the backward does not match finite differences');
    const big = tensor([-1000, 1000], { requiresGrad: true });
    LogCosh.apply(big).sum().backward();
    assert.deepEqual(big.grad.tolist(), [-1, 1], 'the gradient at ±1000 must be ±1 (tanh), finite');
  },
};

