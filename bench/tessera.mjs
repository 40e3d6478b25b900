/**
 * Tessera's side of every workload, on the built package (dist/index.js). Each factory returns
 * { run, output } (or { run, params } for training): run() is what is timed, output() is read
 * once for the check. Features other issues add (nn, optim, setNumThreads, conv2d) are detected.
 */
import { fileURLToPath } from 'node:url';

export const distEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Loads dist (or another build's `dist/index.js`) and describes what it offers. */
export async function loadTessera(entry = distEntry) {
  const T = await import(entry);
  const F = T.nn?.functional ?? T.F ?? null;
  return {
    T,
    hasNn: typeof T.nn?.Linear === 'function',
    hasOptim: typeof T.optim?.SGD === 'function',
    crossEntropy: F?.crossEntropy ?? null,
    conv2d: F?.conv2d ?? T.conv2d ?? null,
    Conv2d: T.nn?.Conv2d ?? null,
    setNumThreads: typeof T.setNumThreads === 'function' ? T.setNumThreads : null,
    getNumThreads: typeof T.getNumThreads === 'function' ? T.getNumThreads : null,
  };
}

/** The adapter the harness drives; `variant` 'raw' uses only tensor ops, 'nn' uses nn/optim when present. */
export function tesseraAdapter(tess, { variant = 'raw' } = {}) {
  const { T } = tess;
  const t32 = (data, shape, opts = {}) => T.tensor(data, { shape, ...opts }).keep();
  return {
    name: 'Tessera',
    gemm(c) {
      const a = t32(c.a, c.aShape);
      const b = t32(c.b, c.bShape);
      const A = c.tA ? a.t() : a;
      const B = c.tB ? b.t() : b;
      return {
        run: () => T.matmul(A, B).dispose(),
        output: () => T.matmul(A, B).toArray(),
      };
    },
    elementwise(c) {
      const x = t32(c.x, c.shape);
      const y = c.y ? t32(c.y, c.op === 'broadcastAdd' ? [c.shape[1]] : c.shape) : null;
      const f = {
        add: () => T.add(x, y),
        mul: () => T.mul(x, y),
        exp: () => T.exp(x),
        relu: () => T.relu(x),
        broadcastAdd: () => T.add(x, y),
      }[c.op];
      return { run: () => f().dispose(), output: () => f().toArray() };
    },
    reduction(c) {
      const x = t32(c.x, c.shape);
      const f = () => {
        if (c.reducer === 'sum') return T.sum(x, c.axis);
        const { values, indices } = T.maxDim(x, c.axis);
        indices.dispose();
        return values;
      };
      return { run: () => f().dispose(), output: () => f().toArray() };
    },
    softmax(c) {
      const x = t32(c.x, c.shape);
      return { run: () => T.softmax(x, 1).dispose(), output: () => T.softmax(x, 1).toArray() };
    },
    mlpTrain(c) {
      return variant === 'nn' && tess.hasNn ? nnMlp(tess, c) : rawMlp(T, c);
    },
    mlpInfer(c) {
      const x = t32(c.x, [c.batch, c.inDim]);
      const [w1, b1, w2, b2] = [t32(c.w1, [c.inDim, c.hidden]), t32(c.b1, [c.hidden]), t32(c.w2, [c.hidden, c.classes]), t32(c.b2, [c.classes])];
      const f = () => T.noGrad(() => T.tidy(() => T.add(T.matmul(T.relu(T.add(T.matmul(x, w1), b1)), w2), b2)));
      return { run: () => f().dispose(), output: () => f().toArray() };
    },
  };
}

/** Mean cross-entropy: nn.functional.crossEntropy when dist has it, else logSoftmax + gather. */
function lossOf(T, tess, z, yIdx, yCol) {
  if (tess?.crossEntropy) return tess.crossEntropy(z, yIdx);
  return T.neg(T.mean(T.gather(T.logSoftmax(z, 1), 1, yCol)));
}

/** The PyTorch-style step with raw ops and a manual SGD update under noGrad. */
function rawMlp(T, c) {
  const x = T.tensor(c.x, { shape: [c.batch, c.inDim] }).keep();
  const yCol = T.tensor(c.y, { shape: [c.batch, 1] }).keep();
  const params = [
    [c.w1, [c.inDim, c.hidden]],
    [c.b1, [c.hidden]],
    [c.w2, [c.hidden, c.classes]],
    [c.b2, [c.classes]],
  ].map(([d, s]) => T.tensor(d, { shape: s, requiresGrad: true }).keep());
  const [w1, b1, w2, b2] = params;
  return {
    label: 'raw ops, logSoftmax+gather, manual SGD',
    run: () => {
      T.releasePendingGraphs();
      for (const p of params) p.grad = null;
      const z = T.add(T.matmul(T.relu(T.add(T.matmul(x, w1), b1)), w2), b2);
      const loss = T.neg(T.mean(T.gather(T.logSoftmax(z, 1), 1, yCol)));
      loss.backward();
      T.noGrad(() => {
        for (const p of params) p.sub_(p.grad, c.lr);
      });
    },
    params: () => params.map((p) => p.toArray()),
  };
}

/** The same step written with nn.Linear, crossEntropy and optim.SGD (weights are [out, in]). */
function nnMlp(tess, c) {
  const { T } = tess;
  const l1 = new T.nn.Linear(c.inDim, c.hidden);
  const l2 = new T.nn.Linear(c.hidden, c.classes);
  const transposed = (d, rows, cols) =>
    T.tensor(d, { shape: [rows, cols] })
      .t()
      .contiguous();
  T.noGrad(() => {
    l1.weight.copy_(transposed(c.w1, c.inDim, c.hidden));
    l1.bias.copy_(T.tensor(c.b1));
    l2.weight.copy_(transposed(c.w2, c.hidden, c.classes));
    l2.bias.copy_(T.tensor(c.b2));
  });
  const x = T.tensor(c.x, { shape: [c.batch, c.inDim] }).keep();
  const y = T.tensor(c.y).keep();
  const yCol = T.tensor(c.y, { shape: [c.batch, 1] }).keep();
  const params = [l1.weight, l1.bias, l2.weight, l2.bias];
  const opt = tess.hasOptim ? new T.optim.SGD(params, { lr: c.lr }) : null;
  const flatT = (p, rows, cols) =>
    T.tensor(p.toArray(), { shape: [rows, cols] })
      .t()
      .contiguous()
      .toArray();
  return {
    label: `nn.Linear, ${tess.crossEntropy ? 'F.crossEntropy' : 'logSoftmax+gather'}, ${opt ? 'optim.SGD' : 'manual SGD'}`,
    run: () => {
      if (opt) opt.zeroGrad();
      else {
        T.releasePendingGraphs();
        for (const p of params) p.grad = null;
      }
      const z = l2.forward(T.relu(l1.forward(x)));
      lossOf(T, tess, z, y, yCol).backward();
      if (opt) opt.step();
      else
        T.noGrad(() => {
          for (const p of params) p.sub_(p.grad, c.lr);
        });
    },
    params: () => [flatT(l1.weight, c.hidden, c.inDim), l1.bias.toArray(), flatT(l2.weight, c.classes, c.hidden), l2.bias.toArray()],
  };
}
