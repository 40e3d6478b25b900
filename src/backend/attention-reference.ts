/**
 * The fused attention of assembly/attention.ts as plain loops, one query row at a time: the js
 * backend runs it (float64 gradchecks go through the fused path too), and it is the oracle the
 * SIMD kernel is tested against.
 */
import type { AttentionDims } from './backend.js';
import type { Span } from './rnn-reference.js';

/** Row i's scores against its visible keys (scale·q·kᵀ + mask), and how many keys it sees. */
function scores([q, qo]: Span, [k, ko]: Span, mask: Span | null, b: number, i: number, d: AttentionDims): Float64Array {
  const { L, S, E, scale, causal, maskStride } = d;
  const valid = causal ? Math.min(i + 1, S) : S;
  const s = new Float64Array(valid);
  const qRow = qo + (b * L + i) * E;
  for (let j = 0; j < valid; j++) {
    const kRow = ko + (b * S + j) * E;
    let acc = 0;
    for (let e = 0; e < E; e++) acc += q[qRow + e] * k[kRow + e];
    s[j] = scale * acc + (mask ? mask[0][mask[1] + b * maskStride + i * S + j] : 0);
  }
  return s;
}

export function attention(q: Span, k: Span, [v, vo]: Span, mask: Span | null, [out, oo]: Span, [lse, lo]: Span, d: AttentionDims): void {
  const { batch, L, S, Ev } = d;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < L; i++) {
      const s = scores(q, k, mask, b, i, d);
      const m = Math.max(...s);
      let sum = 0;
      for (let j = 0; j < s.length; j++) sum += s[j] = Math.exp(s[j] - m);
      const oRow = oo + (b * L + i) * Ev;
      for (let e = 0; e < Ev; e++) {
        let acc = 0;
        for (let j = 0; j < s.length; j++) acc += s[j] * v[vo + (b * S + j) * Ev + e];
        out[oRow + e] = acc / sum;
      }
      lse[lo + b * L + i] = m + Math.log(sum);
    }
  }
}

export function attentionBackward(
  [q, qo]: Span,
  [k, ko]: Span,
  [v, vo]: Span,
  mask: Span | null,
  [out, oo]: Span,
  [lse, lo]: Span,
  [g, go]: Span,
  [dq, dqo]: Span,
  [dk, dko]: Span,
  [dv, dvo]: Span,
  d: AttentionDims,
): void {
  const { batch, L, S, E, Ev, scale } = d;
  dk.fill(0, dko, dko + batch * S * E);
  dv.fill(0, dvo, dvo + batch * S * Ev);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < L; i++) {
      const p = scores([q, qo], [k, ko], mask, b, i, d);
      const gRow = go + (b * L + i) * Ev,
        qRow = qo + (b * L + i) * E,
        dqRow = dqo + (b * L + i) * E;
      let D = 0;
      for (let e = 0; e < Ev; e++) D += g[gRow + e] * out[oo + (b * L + i) * Ev + e];
      for (let e = 0; e < E; e++) dq[dqRow + e] = 0;
      for (let j = 0; j < p.length; j++) {
        const pj = Math.exp(p[j] - lse[lo + b * L + i]);
        const vRow = vo + (b * S + j) * Ev,
          kRow = ko + (b * S + j) * E;
        let dp = 0;
        for (let e = 0; e < Ev; e++) {
          dv[dvo + (b * S + j) * Ev + e] += pj * g[gRow + e];
          dp += g[gRow + e] * v[vRow + e];
        }
        const ds = scale * pj * (dp - D);
        for (let e = 0; e < E; e++) {
          dq[dqRow + e] += ds * k[kRow + e];
          dk[dko + (b * S + j) * E + e] += ds * q[qRow + e];
        }
      }
    }
  }
}
