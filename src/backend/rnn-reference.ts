/**
 * The recurrent-cell kernels of assembly/rnn.ts as plain loops: the js backend runs them (float64
 * gradchecks go through the fused path too), and they are the oracle the SIMD kernels are tested against.
 */
import type { TypedArray } from '../dtype.js';

/** An operand as the loops read it: an array and the element offset of the block. */
export type Span = readonly [TypedArray, number];

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function lstmCell([g, go]: Span, [cp, cpo]: Span, [c, co]: Span, [h, ho]: Span, rows: number, hidden: number): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < hidden; j++) {
      const gi = go + r * 4 * hidden + j,
        s = r * hidden + j;
      const i = sigmoid(g[gi]),
        f = sigmoid(g[gi + hidden]),
        gg = Math.tanh(g[gi + 2 * hidden]),
        o = sigmoid(g[gi + 3 * hidden]);
      const cNext = f * cp[cpo + s] + i * gg;
      g[gi] = i;
      g[gi + hidden] = f;
      g[gi + 2 * hidden] = gg;
      g[gi + 3 * hidden] = o;
      c[co + s] = cNext;
      h[ho + s] = o * Math.tanh(cNext);
    }
  }
}

export function lstmCellBackward(
  [g, go]: Span,
  [cp, cpo]: Span,
  [c, co]: Span,
  dhOut: Span | null,
  [dh, dho]: Span,
  [dc, dco]: Span,
  [dg, dgo]: Span,
  [dcp, dcpo]: Span,
  rows: number,
  hidden: number,
): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < hidden; j++) {
      const gi = r * 4 * hidden + j,
        s = r * hidden + j;
      const i = g[go + gi],
        f = g[go + gi + hidden],
        gg = g[go + gi + 2 * hidden],
        o = g[go + gi + 3 * hidden];
      const dhT = dh[dho + s] + (dhOut ? dhOut[0][dhOut[1] + s] : 0);
      const tc = Math.tanh(c[co + s]);
      const dcT = dc[dco + s] + dhT * o * (1 - tc * tc);
      dg[dgo + gi] = dcT * gg * i * (1 - i);
      dg[dgo + gi + hidden] = dcT * cp[cpo + s] * f * (1 - f);
      dg[dgo + gi + 2 * hidden] = dcT * i * (1 - gg * gg);
      dg[dgo + gi + 3 * hidden] = dhT * tc * o * (1 - o);
      dcp[dcpo + s] = dcT * f;
    }
  }
}

export function gruCell(
  [xp, xo]: Span,
  [hp, hpo]: Span,
  bHh: Span | null,
  [hPrev, hpr]: Span,
  [h, ho]: Span,
  [sv, so]: Span,
  rows: number,
  hidden: number,
): void {
  const bias = (k: number) => (bHh ? bHh[0][bHh[1] + k] : 0);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < hidden; j++) {
      const gi = r * 3 * hidden + j,
        vi = so + r * 4 * hidden + j,
        s = r * hidden + j;
      const hr = hp[hpo + gi] + bias(j),
        hz = hp[hpo + gi + hidden] + bias(j + hidden),
        hn = hp[hpo + gi + 2 * hidden] + bias(j + 2 * hidden);
      const rr = sigmoid(xp[xo + gi] + hr),
        z = sigmoid(xp[xo + gi + hidden] + hz),
        n = Math.tanh(xp[xo + gi + 2 * hidden] + rr * hn);
      h[ho + s] = n + z * (hPrev[hpr + s] - n);
      sv[vi] = rr;
      sv[vi + hidden] = z;
      sv[vi + 2 * hidden] = n;
      sv[vi + 3 * hidden] = hn;
    }
  }
}

export function gruCellBackward(
  [sv, so]: Span,
  [hPrev, hpr]: Span,
  dhOut: Span | null,
  [dh, dho]: Span,
  [dxp, dxo]: Span,
  [dhp, dhpo]: Span,
  [dhPrev, dhpr]: Span,
  rows: number,
  hidden: number,
): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < hidden; j++) {
      const gi = r * 3 * hidden + j,
        vi = so + r * 4 * hidden + j,
        s = r * hidden + j;
      const rr = sv[vi],
        z = sv[vi + hidden],
        n = sv[vi + 2 * hidden],
        hn = sv[vi + 3 * hidden];
      const dhT = dh[dho + s] + (dhOut ? dhOut[0][dhOut[1] + s] : 0);
      const dpn = dhT * (1 - z) * (1 - n * n);
      const dpr = dpn * hn * rr * (1 - rr);
      const dpz = dhT * (hPrev[hpr + s] - n) * z * (1 - z);
      dxp[dxo + gi] = dpr;
      dxp[dxo + gi + hidden] = dpz;
      dxp[dxo + gi + 2 * hidden] = dpn;
      dhp[dhpo + gi] = dpr;
      dhp[dhpo + gi + hidden] = dpz;
      dhp[dhpo + gi + 2 * hidden] = dpn * rr;
      dhPrev[dhpr + s] = dhT * z;
    }
  }
}
