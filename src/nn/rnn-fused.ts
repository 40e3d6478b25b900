/**
 * The fused recurrences behind nn.LSTM and nn.GRU: one op per layer and direction over the whole
 * sequence. The input projection (x·W_ihᵀ for every time step) is one GEMM before it (F.linear);
 * each step is then one small GEMM against weight_hh (packed once per pass, Backend.withFixedB)
 * and one fused gate kernel (assembly/rnn.ts),
 * forward and backward, writing into buffers allocated once per sequence. The backward runs the
 * steps in reverse and forms weight_hh's gradient as one GEMM over all steps at the end.
 */
import { composite } from '../autograd/composite.js';
import { finish } from '../autograd/grad-mode.js';
import { type Block, blockGemm } from '../backend/backend.js';
import { copyRaw } from '../ops/util.js';
import { Tensor } from '../tensor.js';

/** t as a contiguous tensor: itself, or a copy (freed by the enclosing composite or backward). */
function contiguous(t: Tensor): Tensor {
  return t.isContiguous() ? t : copyRaw(t);
}

/** Row block `i` of `rows`·`width` elements of a contiguous tensor. */
function rowsOf(t: Tensor, i: number, size: number): Block {
  return { storage: t.storage, offset: t.offset + i * size };
}

/**
 * Σ over steps of dGates[t]ᵀ·hPrev(t) into a fresh [G, H] tensor: hPrev is h0 at the first step
 * processed and the previous step's h (a row block of `hs`) after it, so all but one step are one GEMM.
 */
function recurrentWeightGrad(dGates: Tensor, hs: Tensor, h0: Tensor, T: number, B: number, G: number, H: number, reverse: boolean): Tensor {
  const dW = Tensor.empty([G, H], dGates.dtype, dGates.backend);
  const at = (t: Tensor, i: number, width: number) => rowsOf(t, i, B * width);
  const first = reverse ? T - 1 : 0;
  if (T > 1) {
    // forward: steps 1…T−1 against h at 0…T−2; reverse: steps 0…T−2 against h at 1…T−1.
    const dFrom = reverse ? 0 : 1,
      hFrom = reverse ? 1 : 0;
    dGates.backend.gemm(blockGemm(true, false, G, H, (T - 1) * B, at(dGates, dFrom, G), G, at(hs, hFrom, H), H, 0, rowsOf(dW, 0, 0), H));
  }
  dGates.backend.gemm(blockGemm(true, false, G, H, B, at(dGates, first, G), G, rowsOf(h0, 0, 0), H, T > 1 ? 1 : 0, rowsOf(dW, 0, 0), H));
  return dW;
}

/** The step processed after step t, and the one before it (null at the first). */
function order(T: number, reverse: boolean): { step: (i: number) => number; prev: (t: number) => number | null } {
  return {
    step: (i) => (reverse ? T - 1 - i : i),
    prev: (t) => (reverse ? (t === T - 1 ? null : t + 1) : t === 0 ? null : t - 1),
  };
}

/**
 * An LSTM layer's recurrence over xp [T, B, 4H] (x·W_ihᵀ + b_ih + b_hh for every step) from h0, c0
 * [B, H] with weight_hh [4H, H], steps run backwards when `reverse`. Returns [T + 1, B, H]: h at
 * each step, then the final c.
 */
export function lstmSequence(xpIn: Tensor, h0In: Tensor, c0In: Tensor, wHhIn: Tensor, reverse: boolean): Tensor {
  return composite('lstm', () => lstm(xpIn, h0In, c0In, wHhIn, reverse));
}

function lstm(xpIn: Tensor, h0In: Tensor, c0In: Tensor, wHhIn: Tensor, reverse: boolean): Tensor {
  const [T, B, G] = xpIn.shape;
  const H = G / 4;
  const { backend, dtype } = xpIn;
  const [h0, c0, wHh] = [h0In, c0In, wHhIn].map(contiguous);
  // The gate buffer starts as the input projection; each step adds h·W_hhᵀ into it, then the gate kernel activates it in place.
  const gates = copyRaw(xpIn);
  const cs = Tensor.empty([T, B, H], dtype, backend);
  const out = Tensor.empty([T + 1, B, H], dtype, backend);
  const { step, prev } = order(T, reverse);
  const state = (t: Tensor, i: number) => rowsOf(t, i, B * H);
  const gateRows = (t: Tensor, i: number) => rowsOf(t, i, B * G);
  backend.withFixedB(true, G, H, state(wHh, 0), H, (hhGemm) => {
    for (let i = 0; i < T; i++) {
      const t = step(i),
        p = prev(t);
      const hPrev = p === null ? state(h0, 0) : state(out, p);
      const cPrev = p === null ? state(c0, 0) : state(cs, p);
      hhGemm(false, B, hPrev, H, 1, gateRows(gates, t), G);
      backend.lstmCell(gateRows(gates, t), cPrev, state(cs, t), state(out, t), B, H);
    }
  });
  backend.copy({ storage: cs.storage, offset: step(T - 1) * B * H, strides: [1] }, out.storage, T * B * H, [B * H]);
  return finish(
    out,
    'lstm',
    [xpIn, h0In, c0In, wHhIn],
    (gIn) => {
      const g = contiguous(gIn);
      const dGates = Tensor.empty([T, B, G], dtype, backend);
      const dh = Tensor.empty([B, H], dtype, backend);
      backend.fill(dh.storage, 0, B * H, 0);
      const dc = Tensor.empty([B, H], dtype, backend);
      backend.copy({ storage: g.storage, offset: g.offset + T * B * H, strides: [1] }, dc.storage, 0, [B * H]);
      backend.withFixedB(false, H, G, state(wHh, 0), H, (hhGemm) => {
        for (let i = T - 1; i >= 0; i--) {
          const t = step(i),
            p = prev(t);
          const cPrev = p === null ? state(c0, 0) : state(cs, p);
          backend.lstmCellBackward(gateRows(gates, t), cPrev, state(cs, t), state(g, t), state(dh, 0), state(dc, 0), gateRows(dGates, t), state(dc, 0), B, H);
          hhGemm(false, B, gateRows(dGates, t), G, 0, state(dh, 0), H);
        }
      });
      const dW = wHhIn.requiresGrad ? recurrentWeightGrad(dGates, out, h0, T, B, G, H, reverse) : null;
      return [dGates, dh, dc, dW];
    },
    { reverse },
  );
}

/**
 * A GRU layer's recurrence over xp [T, B, 3H] (x·W_ihᵀ + b_ih for every step) from h0 [B, H] with
 * weight_hh [3H, H] and bias_hh [3H] (or null), steps run backwards when `reverse`. Returns h at
 * each step, [T, B, H].
 */
export function gruSequence(xpIn: Tensor, h0In: Tensor, wHhIn: Tensor, bHhIn: Tensor | null, reverse: boolean): Tensor {
  return composite('gru', () => gru(xpIn, h0In, wHhIn, bHhIn, reverse));
}

function gru(xpIn: Tensor, h0In: Tensor, wHhIn: Tensor, bHhIn: Tensor | null, reverse: boolean): Tensor {
  const [T, B, G] = xpIn.shape;
  const H = G / 3;
  const { backend, dtype } = xpIn;
  const [xp, h0, wHh] = [xpIn, h0In, wHhIn].map(contiguous);
  const bHh = bHhIn && contiguous(bHhIn);
  const saved = Tensor.empty([T, B, 4 * H], dtype, backend);
  const hp = Tensor.empty([B, G], dtype, backend);
  const out = Tensor.empty([T, B, H], dtype, backend);
  const { step, prev } = order(T, reverse);
  const state = (t: Tensor, i: number) => rowsOf(t, i, B * H);
  const rows = (t: Tensor, i: number, width: number) => rowsOf(t, i, B * width);
  const bias = bHh && rowsOf(bHh, 0, 0);
  backend.withFixedB(true, G, H, state(wHh, 0), H, (hhGemm) => {
    for (let i = 0; i < T; i++) {
      const t = step(i),
        p = prev(t);
      const hPrev = p === null ? state(h0, 0) : state(out, p);
      hhGemm(false, B, hPrev, H, 0, rows(hp, 0, 0), G);
      backend.gruCell(rows(xp, t, G), rows(hp, 0, 0), bias, hPrev, state(out, t), rows(saved, t, 4 * H), B, H);
    }
  });
  const inputs = bHhIn ? [xpIn, h0In, wHhIn, bHhIn] : [xpIn, h0In, wHhIn];
  return finish(
    out,
    'gru',
    inputs,
    (gIn) => {
      const g = contiguous(gIn);
      const dxp = Tensor.empty([T, B, G], dtype, backend);
      const dhp = Tensor.empty([T, B, G], dtype, backend);
      const dh = Tensor.empty([B, H], dtype, backend);
      backend.fill(dh.storage, 0, B * H, 0);
      backend.withFixedB(false, H, G, state(wHh, 0), H, (hhGemm) => {
        for (let i = T - 1; i >= 0; i--) {
          const t = step(i),
            p = prev(t);
          const hPrev = p === null ? state(h0, 0) : state(out, p);
          backend.gruCellBackward(rows(saved, t, 4 * H), hPrev, state(g, t), state(dh, 0), rows(dxp, t, G), rows(dhp, t, G), state(dh, 0), B, H);
          hhGemm(false, B, rows(dhp, t, G), G, 1, state(dh, 0), H);
        }
      });
      const dW = wHhIn.requiresGrad ? recurrentWeightGrad(dhp, out, h0, T, B, G, H, reverse) : null;
      let db: Tensor | null = null;
      if (bHhIn?.requiresGrad) {
        db = Tensor.empty([G], dtype, backend);
        backend.reduce('sum', dhp.storage, 0, db.storage, 1, T * B, G);
      }
      return bHhIn ? [dxp, dh, dW, db] : [dxp, dh, dW];
    },
    { reverse },
  );
}
