// One check per exercise: it throws, naming what is wrong, unless the module solves the exercise.
// Each compares the reader's code with Tessera itself on cases chosen to catch the usual mistakes.
import assert from 'node:assert/strict';
import { arange, conv2d, gradcheck, manualSeed, metrics, nn, optim, randn, tensor, zeros } from 'tessera';

export const checks = {
  async '01-strides'({ broadcastShape, readStrided }) {
    for (const [a, b] of [
      [[3, 1], [4]],
      [
        [2, 1, 5],
        [3, 1],
      ],
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
    assert.ok(
      gradcheck((t) => LogCosh.apply(t), [a]),
      'gradcheck failed: the backward does not match finite differences',
    );
    const big = tensor([-1000, 1000], { requiresGrad: true });
    LogCosh.apply(big).sum().backward();
    assert.deepEqual(big.grad.tolist(), [-1, 1], 'the gradient at ±1000 must be ±1 (tanh), finite');
  },
  async '03-matmul'({ matmul }) {
    manualSeed(3);
    for (const [m, k, n] of [
      [4, 8, 8],
      [1, 7, 1],
      [13, 5, 9],
      [33, 64, 17],
    ]) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const a = randn(transA ? [k, m] : [m, k]);
          const b = randn(transB ? [n, k] : [k, n]);
          const expected = (transA ? a.t() : a).matmul(transB ? b.t() : b).toArray();
          const got = matmul(a.toArray(), b.toArray(), m, k, n, { transA, transB });
          const what = `matmul ${m}×${k}×${n} transA=${transA} transB=${transB}`;
          assert.ok(got instanceof Float32Array && got.length === m * n, `${what} must return a Float32Array of ${m * n} values`);
          got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-4 * (1 + Math.abs(expected[i])), `${what}: C[${i}] is ${v}, expected ${expected[i]}`));
        }
      }
    }
  },
  async '04-loss-and-adam'({ crossEntropy, adamStep }) {
    const F = nn.functional;
    const cases = [
      [[[2, 1, 0.1]], [0]],
      [
        [
          [1000, 1001, 1002],
          [-5, 3, 0],
        ],
        [1, 2],
      ],
      [[[-1000, 0, 1000, 3]], [0]],
    ];
    for (const [logits, targets] of cases) {
      for (const labelSmoothing of [0, 0.1]) {
        const z = tensor(logits, { dtype: 'float64', device: 'js' });
        const y = tensor(targets, { dtype: 'int32', device: 'js' });
        const expected = F.crossEntropy(z, y, { labelSmoothing }).item();
        const got = crossEntropy(logits, targets, { labelSmoothing });
        const what = `crossEntropy(${JSON.stringify(logits)}, ${JSON.stringify(targets)}, { labelSmoothing: ${labelSmoothing} })`;
        assert.ok(Number.isFinite(got) && Math.abs(got - expected) < 1e-9 * (1 + Math.abs(expected)), `${what} is ${got}, expected ${expected}`);
      }
    }
    const options = { lr: 0.05, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 };
    const p = tensor([1, -2, 0.5], { dtype: 'float64', device: 'js', requiresGrad: true });
    const adam = new optim.Adam([p], options);
    const mine = [1, -2, 0.5];
    const state = {};
    for (let step = 1; step <= 5; step++) {
      adam.zeroGrad();
      p.pow(3).sum().backward();
      adamStep(mine, Array.from(p.grad.toArray()), state, options);
      adam.step();
      p.tolist().forEach((v, i) => assert.ok(Math.abs(mine[i] - v) < 1e-9, `after Adam step ${step}, param[${i}] is ${mine[i]}, expected ${v}`));
    }
  },
  async '05-split-and-f1'({ stratifiedSplit, macroF1 }) {
    for (const [predicted, truth] of [
      [
        [0, 2, 1, 2, 0, 1],
        [0, 1, 1, 2, 0, 2],
      ],
      [
        [0, 0, 0, 0],
        [0, 1, 2, 2],
      ],
      [
        [3, 3, 1],
        [1, 3, 3],
      ],
    ]) {
      const expected = metrics.f1(tensor(predicted), tensor(truth), { average: 'macro' });
      const got = macroF1(predicted, truth);
      assert.ok(Math.abs(got - expected) < 1e-12, `macroF1(${JSON.stringify(predicted)}, ${JSON.stringify(truth)}) is ${got}, expected ${expected}`);
    }
    let seed = 5;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const labels = [...Array(50).fill(0), ...Array(30).fill(1), ...Array(7).fill(2), 3];
    const [train, test] = stratifiedSplit(labels, 0.2, random);
    const all = [...train, ...test].sort((a, b) => a - b);
    assert.deepEqual(
      all,
      labels.map((_, i) => i),
      'train and test must together hold every index exactly once',
    );
    for (const c of [0, 1, 2, 3]) {
      const total = labels.filter((l) => l === c).length;
      const inTest = test.filter((i) => labels[i] === c).length;
      assert.ok(Math.abs(inTest - total * 0.2) <= 1, `class ${c}: ${inTest} of its ${total} samples went to test, expected about ${total * 0.2}`);
    }
  },
  async '06-im2col'({ im2col }) {
    manualSeed(6);
    for (const [C, H, W, k, padding, stride] of [
      [1, 4, 4, 3, 0, 1],
      [2, 5, 7, 3, 1, 1],
      [3, 6, 6, 2, 0, 2],
      [2, 7, 5, 3, 1, 2],
    ]) {
      const image = randn([C, H, W]);
      const filters = randn([4, C, k, k]);
      const expected = conv2d(image.unsqueeze(0), filters, null, { padding, stride }).squeeze(0);
      const [, outH, outW] = expected.shape;
      const what = `im2col of [${C}, ${H}, ${W}] with k=${k}, padding=${padding}, stride=${stride}`;
      const columns = im2col(image, k, { padding, stride });
      assert.deepEqual(columns.shape, [C * k * k, outH * outW], `${what}: shape`);
      const got = filters
        .reshape(4, C * k * k)
        .matmul(columns)
        .reshape(4, outH, outW);
      assert.ok(got.sub(expected).abs().max().item() < 1e-4, `${what}: filters · columns differs from conv2d`);
    }
  },
  async '07-lstm-cell'({ lstmCellStep }) {
    manualSeed(7);
    const cell = new nn.LSTMCell(3, 4);
    const x = randn([2, 3], { requiresGrad: true });
    const h = randn([2, 4]);
    const c = randn([2, 4]);
    const [hRef, cRef] = cell(x, [h, c]);
    hRef.sum().add(cRef.mul(2).sum()).backward();
    const gradRef = Array.from(x.grad.toArray());
    x.grad = null;
    const [hMine, cMine] = lstmCellStep(x, [h, c], cell.stateDict());
    assert.ok(hMine.sub(hRef).abs().max().item() < 1e-5, 'hNext differs from nn.LSTMCell');
    assert.ok(cMine.sub(cRef).abs().max().item() < 1e-5, 'cNext differs from nn.LSTMCell');
    hMine.sum().add(cMine.mul(2).sum()).backward();
    x.grad.toArray().forEach((g, i) => assert.ok(Math.abs(g - gradRef[i]) < 1e-5, 'the gradient with respect to x differs from nn.LSTMCell'));
  },
  async '08-quantize'({ quantizePerChannel, dequantize }) {
    manualSeed(8);
    const rowScale = tensor([[100], [1], [0.01], [0]]);
    const weight = randn([4, 16]).mul(rowScale);
    const { q, scales } = quantizePerChannel(weight);
    assert.equal(q.dtype, 'int32', 'q must be an int32 tensor of integers');
    assert.deepEqual(q.shape, [4, 16], 'q must have the shape of the weight');
    assert.ok(q.abs().max().item() <= 127, 'q must lie in [−127, 127]');
    const s = scales.tolist();
    const rows = weight.tolist();
    rows.forEach((row, r) => {
      const expected = Math.max(...row.map(Math.abs)) / 127 || 1;
      assert.ok(Math.abs(s[r] - expected) <= 1e-6 * expected, `scale of row ${r} is ${s[r]}, expected ${expected}`);
    });
    const error = dequantize({ q, scales }).sub(weight).abs().tolist();
    error.forEach((row, r) => assert.ok(Math.max(...row) <= s[r] / 2 + 1e-6 * s[r], `row ${r}: an error exceeds scale/2`));
    const perTensorScale = weight.abs().max().item() / 127;
    const perTensorError = weight.div(perTensorScale).round().mul(perTensorScale).sub(weight).abs().select(0, 2).max().item();
    assert.ok(Math.max(...error[2]) < perTensorError, 'per-channel must beat per-tensor on the small row');
  },
};
