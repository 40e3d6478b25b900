/**
 * The workloads every framework runs, their seeded inputs, their units of work, and float64
 * references their outputs are checked against before anything is timed.
 */
import { rng, uniform } from './lib.mjs';

/** [m, k, n] of C[m, n] = A[m, k] · B[k, n]. */
export const GEMM_SHAPES = [
  [64, 64, 64],
  [128, 128, 128],
  [256, 256, 256],
  [512, 512, 512],
  [1024, 1024, 1024],
  [64, 784, 256],
  [256, 1024, 1024],
];
export const TRANSPOSE_SIZES = [256, 512];
export const TRANSPOSES = ['NN', 'TN', 'NT', 'TT'];
export const SIZES = [1e3, 1e4, 1e5, 1e6];
export const ELEMENTWISE = ['add', 'mul', 'exp', 'relu', 'broadcastAdd'];
export const REDUCTIONS = ['sumLast', 'sumFirst', 'maxLast', 'maxFirst'];
export const SOFTMAX_SHAPE = [64, 1000];
export const MLP = { inDim: 784, hidden: 256, classes: 10, batch: 64, lr: 0.1 };

/** A 2-D shape of n elements (rows ≈ n / cols), so both reduction axes have real length. */
export function matShape(n) {
  return { 1e3: [10, 100], 1e4: [100, 100], 1e5: [100, 1000], 1e6: [1000, 1000] }[n];
}

let seedCounter = 1;
const nextSeed = () => seedCounter++ * 7919;

/** A GEMM case: stored operands (A is [k, m] when transposed, B is [n, k]) and its FLOPs. */
export function gemmCase(m, k, n, trans = 'NN') {
  const tA = trans[0] === 'T';
  const tB = trans[1] === 'T';
  return {
    id: `gemm ${m}×${k}×${n}${trans === 'NN' ? '' : ' ' + trans}`,
    kind: 'gemm',
    m,
    k,
    n,
    tA,
    tB,
    trans,
    a: uniform(m * k, nextSeed()),
    b: uniform(k * n, nextSeed()),
    aShape: tA ? [k, m] : [m, k],
    bShape: tB ? [n, k] : [k, n],
    work: 2 * m * k * n,
  };
}

/** Checks a GEMM result on 96 sampled entries against float64 sums; errors relative to Σ|a·b|. */
export function checkGemm(c, got) {
  const { m, k, n, tA, tB, a, b } = c;
  const r = rng(12345);
  let maxErr = 0;
  for (let s = 0; s < 96; s++) {
    const i = Math.floor(r() * m);
    const j = Math.floor(r() * n);
    let acc = 0;
    let mag = 0;
    for (let p = 0; p < k; p++) {
      const av = tA ? a[p * m + i] : a[i * k + p];
      const bv = tB ? b[j * k + p] : b[p * n + j];
      acc += av * bv;
      mag += Math.abs(av * bv);
    }
    const e = Math.abs(got[i * n + j] - acc) / Math.max(mag, 1e-30);
    if (!(e <= maxErr)) maxErr = Number.isNaN(e) ? Infinity : e;
  }
  return { ok: maxErr <= 1e-4, maxErr };
}

/** An elementwise case on a [rows, cols] tensor; broadcastAdd adds a [cols] row. */
export function elementwiseCase(op, n) {
  const shape = matShape(n);
  const [, cols] = shape;
  const x = uniform(n, nextSeed(), -3, 3);
  const binary = op === 'add' || op === 'mul' || op === 'broadcastAdd';
  const y = binary ? uniform(op === 'broadcastAdd' ? cols : n, nextSeed(), -3, 3) : null;
  const bytes = 4 * (2 * n + (y ? y.length : 0));
  return { id: `${op} ${fmtN(n)}`, kind: 'elementwise', op, n, shape, x, y, work: bytes };
}

/** The float64 result of an elementwise case. */
export function elementwiseRef(c) {
  const { op, x, y, shape } = c;
  const cols = shape[1];
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = op === 'add' ? v + y[i] : op === 'mul' ? v * y[i] : op === 'exp' ? Math.exp(v) : op === 'relu' ? Math.max(v, 0) : v + y[i % cols];
  }
  return out;
}

/** A reduction case along the last or the first axis of a [rows, cols] tensor. */
export function reductionCase(op, n) {
  const shape = matShape(n);
  return {
    id: `${op} ${fmtN(n)}`,
    kind: 'reduction',
    op,
    n,
    shape,
    reducer: op.startsWith('sum') ? 'sum' : 'max',
    axis: op.endsWith('Last') ? 1 : 0,
    x: uniform(n, nextSeed()),
    work: 4 * n,
  };
}

/** float64 result and per-entry tolerance scale (Σ|x| for sums) of a reduction case. */
export function reductionRef(c) {
  const [rows, cols] = c.shape;
  const outLen = c.axis === 1 ? rows : cols;
  const out = new Float64Array(outLen).fill(c.reducer === 'sum' ? 0 : -Infinity);
  const scale = new Float64Array(outLen);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = c.x[i * cols + j];
      const o = c.axis === 1 ? i : j;
      if (c.reducer === 'sum') {
        out[o] += v;
        scale[o] += Math.abs(v);
      } else {
        out[o] = Math.max(out[o], v);
        scale[o] = 1;
      }
    }
  }
  return { out, scale };
}

/** softmax along the last axis of [64, 1000]. */
export function softmaxCase() {
  const [rows, cols] = SOFTMAX_SHAPE;
  return { id: `softmax ${rows}×${cols}`, kind: 'softmax', shape: SOFTMAX_SHAPE, x: uniform(rows * cols, nextSeed(), -5, 5), work: 8 * rows * cols };
}

export function softmaxRef(c) {
  const [rows, cols] = c.shape;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) mx = Math.max(mx, c.x[i * cols + j]);
    let s = 0;
    for (let j = 0; j < cols; j++) s += out[i * cols + j] = Math.exp(c.x[i * cols + j] - mx);
    for (let j = 0; j < cols; j++) out[i * cols + j] /= s;
  }
  return out;
}

/**
 * The MLP 784→256→10 with ReLU, in the layout x · W + b (W is [in, out]); adapters that store
 * PyTorch's [out, in] transpose on the way in and out. Inputs U(0, 1), PyTorch-like init bounds.
 */
export function mlpCase(batch = MLP.batch) {
  const { inDim, hidden, classes } = MLP;
  const r = rng(nextSeed());
  return {
    id: `mlp ${inDim}→${hidden}→${classes} b${batch}`,
    kind: 'mlp',
    ...MLP,
    batch,
    x: uniform(batch * inDim, nextSeed(), 0, 1),
    y: Int32Array.from({ length: batch }, () => Math.floor(r() * classes)),
    w1: uniform(inDim * hidden, nextSeed(), -1 / Math.sqrt(inDim), 1 / Math.sqrt(inDim)),
    b1: uniform(hidden, nextSeed(), -1 / Math.sqrt(inDim), 1 / Math.sqrt(inDim)),
    w2: uniform(hidden * classes, nextSeed(), -1 / Math.sqrt(hidden), 1 / Math.sqrt(hidden)),
    b2: uniform(classes, nextSeed(), -1 / Math.sqrt(hidden), 1 / Math.sqrt(hidden)),
  };
}

function matmul64(a, b, m, k, n, tA = false, tB = false) {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = tA ? a[p * m + i] : a[i * k + p];
      if (av === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += av * (tB ? b[j * k + p] : b[p * n + j]);
    }
  }
  return out;
}

/** float64 logits of the MLP (inference check). */
export function mlpForwardRef(c) {
  const { batch, inDim, hidden, classes } = c;
  const h = matmul64(c.x, c.w1, batch, inDim, hidden);
  for (let i = 0; i < h.length; i++) h[i] = Math.max(h[i] + c.b1[i % hidden], 0);
  const z = matmul64(h, c.w2, batch, hidden, classes);
  for (let i = 0; i < z.length; i++) z[i] += c.b2[i % classes];
  return { h, z };
}

/** float64 mean cross-entropy loss and gradients [gW1, gb1, gW2, gb2] of one training step. */
export function mlpGradRef(c) {
  const { batch, inDim, hidden, classes } = c;
  const { h, z } = mlpForwardRef(c);
  const dz = new Float64Array(batch * classes);
  let loss = 0;
  for (let i = 0; i < batch; i++) {
    let mx = -Infinity;
    for (let j = 0; j < classes; j++) mx = Math.max(mx, z[i * classes + j]);
    let s = 0;
    for (let j = 0; j < classes; j++) s += Math.exp(z[i * classes + j] - mx);
    const lse = mx + Math.log(s);
    loss += (lse - z[i * classes + c.y[i]]) / batch;
    for (let j = 0; j < classes; j++) dz[i * classes + j] = (Math.exp(z[i * classes + j] - lse) - (j === c.y[i] ? 1 : 0)) / batch;
  }
  const gW2 = matmul64(h, dz, hidden, batch, classes, true);
  const gb2 = new Float64Array(classes);
  for (let i = 0; i < dz.length; i++) gb2[i % classes] += dz[i];
  const dh = matmul64(dz, c.w2, batch, classes, hidden, false, true);
  for (let i = 0; i < dh.length; i++) if (h[i] <= 0) dh[i] = 0;
  const gW1 = matmul64(c.x, dh, inDim, batch, hidden, true);
  const gb1 = new Float64Array(hidden);
  for (let i = 0; i < dh.length; i++) gb1[i % hidden] += dh[i];
  return { loss, grads: [gW1, gb1, gW2, gb2] };
}

/**
 * Checks one SGD step: the gradients implied by (before − after) / lr against the float64 ones,
 * each relative to its tensor's largest entry.
 */
export function checkMlpStep(c, before, after, ref) {
  let maxErr = 0;
  ref.grads.forEach((g, t) => {
    let scale = 0;
    for (const v of g) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < g.length; i++) {
      const implied = (before[t][i] - after[t][i]) / c.lr;
      const e = Math.abs(implied - g[i]) / scale;
      if (!(e <= maxErr)) maxErr = Number.isNaN(e) ? Infinity : e;
    }
  });
  return { ok: maxErr <= 2e-3, maxErr };
}

/** "1e6" style labels. */
export function fmtN(n) {
  return `1e${Math.round(Math.log10(n))}`;
}
