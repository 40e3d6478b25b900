/**
 * conv2d forward/backward and the small-CNN training step, run only when dist has F.conv2d /
 * nn.Conv2d (another issue adds them). Results are checked against float64 direct convolution.
 */
import { uniform, compareArrays } from './lib.mjs';

/** Conv cases: [batch, inC, H, W] → outC with a 3×3 kernel, padding 1, stride 1. */
export const CONV_CASES = [
  { id: 'conv2d 64×1×8×8 → 16, 3×3', n: 64, c: 1, h: 8, w: 8, o: 16 },
  { id: 'conv2d 64×16×8×8 → 32, 3×3', n: 64, c: 16, h: 8, w: 8, o: 32 },
  { id: 'conv2d 64×32×14×14 → 64, 3×3', n: 64, c: 32, h: 14, w: 14, o: 64 },
];

/** float64 conv2d (3×3, padding 1): out[n][o][y][x]. */
export function conv2dRef(x, wt, b, { n, c, h, w, o }) {
  const out = new Float64Array(n * o * h * w);
  for (let ni = 0; ni < n; ni++)
    for (let oi = 0; oi < o; oi++)
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < w; xx++) {
          let acc = b ? b[oi] : 0;
          for (let ci = 0; ci < c; ci++)
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++) {
                const iy = y + ky - 1;
                const ix = xx + kx - 1;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                acc += x[((ni * c + ci) * h + iy) * w + ix] * wt[((oi * c + ci) * 3 + ky) * 3 + kx];
              }
          out[((ni * o + oi) * h + y) * w + xx] = acc;
        }
  return out;
}

/** float64 gradients of sum(conv(x, w) * g) with respect to x and w. */
export function conv2dBackwardRef(x, wt, g, { n, c, h, w, o }) {
  const gx = new Float64Array(n * c * h * w);
  const gw = new Float64Array(o * c * 9);
  for (let ni = 0; ni < n; ni++)
    for (let oi = 0; oi < o; oi++)
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < w; xx++) {
          const gv = g[((ni * o + oi) * h + y) * w + xx];
          for (let ci = 0; ci < c; ci++)
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++) {
                const iy = y + ky - 1;
                const ix = xx + kx - 1;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                const xi = ((ni * c + ci) * h + iy) * w + ix;
                const wi = ((oi * c + ci) * 3 + ky) * 3 + kx;
                gx[xi] += gv * wt[wi];
                gw[wi] += gv * x[xi];
              }
        }
  return { gx, gw };
}

/** Calls F.conv2d with padding 1, trying PyTorch's positional form and then an options object. */
export function makeConvCall(tess) {
  const forms = [(x, w, b) => tess.conv2d(x, w, b, 1, 1), (x, w, b) => tess.conv2d(x, w, b, { stride: 1, padding: 1 })];
  return (x, w, b, form) => forms[form](x, w, b);
}

/** Builds a conv case's tensors and finds the call form whose output matches the reference. */
export function convSetup(tess, cc, seed) {
  const { T } = tess;
  const x = uniform(cc.n * cc.c * cc.h * cc.w, seed);
  const wt = uniform(cc.o * cc.c * 9, seed + 1, -0.3, 0.3);
  const b = uniform(cc.o, seed + 2);
  const g = uniform(cc.n * cc.o * cc.h * cc.w, seed + 3);
  const xt = T.tensor(x, { shape: [cc.n, cc.c, cc.h, cc.w], requiresGrad: true }).keep();
  const wtt = T.tensor(wt, { shape: [cc.o, cc.c, 3, 3], requiresGrad: true }).keep();
  const bt = T.tensor(b, { shape: [cc.o], requiresGrad: true }).keep();
  const gt = T.tensor(g, { shape: [cc.n, cc.o, cc.h, cc.w] }).keep();
  const call = makeConvCall(tess);
  const ref = conv2dRef(x, wt, b, cc);
  const errors = [];
  for (const form of [0, 1]) {
    try {
      const out = T.noGrad(() => call(xt, wtt, bt, form));
      const check = compareArrays(out.toArray(), ref, 1e-4);
      out.dispose();
      if (check.ok) return { x, wt, g, xt, wtt, bt, gt, conv: (a, w2, b2) => call(a, w2, b2, form) };
      errors.push(`max error ${check.maxErr.toExponential(2)}`);
    } catch (e) {
      errors.push(e.message.split('\n')[0]);
    }
  }
  return { error: errors.join('; ') };
}

/** FLOPs of one forward conv (backward for input and weight costs twice this). */
export function convFlops(cc) {
  return 2 * cc.n * cc.o * cc.h * cc.w * cc.c * 9;
}

/**
 * The small CNN of the issue (batch 64, 1×8×8): conv 16, ReLU, conv 32, ReLU, max-pool 2, linear 10,
 * cross-entropy, SGD. Uses nn.Conv2d/nn.Linear/optim.SGD when dist has them, else the same model
 * from conv2d, maxPool2d and matmul with PyTorch-like U(±1/√fanIn) weights and a manual SGD step.
 */
export function smallCnn(tess, lr = 0.05) {
  const { T } = tess;
  const F = T.nn?.functional ?? {};
  const maxPool2d = F.maxPool2d ?? T.maxPool2d;
  if (!maxPool2d) return { error: 'needs maxPool2d' };
  const x = T.tensor(uniform(64 * 64, 99), { shape: [64, 1, 8, 8] }).keep();
  const yArr = Int32Array.from({ length: 64 }, (_, i) => (i * 7) % 10);
  const y = T.tensor(yArr).keep();
  const yCol = T.tensor(yArr, { shape: [64, 1] }).keep();
  let layers;
  let params;
  if (T.nn?.Conv2d && T.nn?.Linear) {
    const c1 = new T.nn.Conv2d(1, 16, 3, { padding: 1 });
    const c2 = new T.nn.Conv2d(16, 32, 3, { padding: 1 });
    const fc = new T.nn.Linear(32 * 4 * 4, 10);
    layers = { c1: [c1.weight, c1.bias], c2: [c2.weight, c2.bias], fc: [fc.weight, fc.bias] };
    params = [c1, c2, fc].flatMap((m) => [...m.parameters()]);
  } else {
    const p = (shape, fanIn, seed) =>
      T.tensor(
        uniform(
          shape.reduce((a, b) => a * b, 1),
          seed,
          -1 / Math.sqrt(fanIn),
          1 / Math.sqrt(fanIn),
        ),
        { shape, requiresGrad: true },
      ).keep();
    layers = {
      c1: [p([16, 1, 3, 3], 9, 11), p([16], 9, 12)],
      c2: [p([32, 16, 3, 3], 144, 13), p([32], 144, 14)],
      fc: [p([10, 512], 512, 15), p([10], 512, 16)],
    };
    params = Object.values(layers).flat();
  }
  const conv = (v, [w, b]) => tess.conv2d(v, w, b, { stride: 1, padding: 1 });
  const forward = () => {
    const a = maxPool2d(T.relu(conv(T.relu(conv(x, layers.c1)), layers.c2)), 2);
    return T.add(T.matmul(T.reshape(a, [64, 512]), T.t(layers.fc[0])), layers.fc[1]);
  };
  const opt = T.optim?.SGD && T.nn?.Conv2d ? new T.optim.SGD(params, { lr }) : null;
  const loss = (z) => (tess.crossEntropy ? tess.crossEntropy(z, y) : T.neg(T.mean(T.gather(T.logSoftmax(z, 1), 1, yCol))));
  return {
    label: T.nn?.Conv2d ? 'nn.Conv2d' : 'conv2d/maxPool2d ops, manual SGD',
    forward,
    loss,
    step: () => {
      if (opt) opt.zeroGrad();
      else {
        T.releasePendingGraphs();
        for (const q of params) q.grad = null;
      }
      loss(forward()).backward();
      if (opt) opt.step();
      else
        T.noGrad(() => {
          for (const q of params) q.sub_(q.grad, lr);
        });
    },
    weights: () => ({
      x: x.toArray(),
      y: yArr,
      c1: layers.c1.map((q) => q.toArray()),
      c2: layers.c2.map((q) => q.toArray()),
      fc: layers.fc.map((q) => q.toArray()),
    }),
  };
}

/** float64 loss of the small CNN for the given weights, to check Tessera's forward. */
export function smallCnnLossRef(wts) {
  const a1 = conv2dRef(wts.x, wts.c1[0], wts.c1[1], { n: 64, c: 1, h: 8, w: 8, o: 16 }).map((v) => Math.max(v, 0));
  const a2 = conv2dRef(a1, wts.c2[0], wts.c2[1], { n: 64, c: 16, h: 8, w: 8, o: 32 }).map((v) => Math.max(v, 0));
  let loss = 0;
  for (let n = 0; n < 64; n++) {
    const feat = new Float64Array(512);
    for (let c = 0; c < 32; c++)
      for (let py = 0; py < 4; py++)
        for (let px = 0; px < 4; px++) {
          let m = -Infinity;
          for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) m = Math.max(m, a2[((n * 32 + c) * 8 + 2 * py + dy) * 8 + 2 * px + dx]);
          feat[(c * 4 + py) * 4 + px] = m;
        }
    const z = new Float64Array(10);
    for (let o = 0; o < 10; o++) {
      z[o] = wts.fc[1][o];
      for (let i = 0; i < 512; i++) z[o] += wts.fc[0][o * 512 + i] * feat[i];
    }
    const mx = Math.max(...z);
    const lse = mx + Math.log(z.reduce((s, v) => s + Math.exp(v - mx), 0));
    loss += (lse - z[wts.y[n]]) / 64;
  }
  return loss;
}
