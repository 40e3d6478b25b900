// Fused scaled-dot-product attention, forward and backward, for F.scaledDotProductAttention
// (src/nn/attention-fused.ts). Per batch·head, the queries go in blocks of RB rows: the block's
// scores S = scale·Q·Kᵀ are one GEMM into an RB×S scratch, the mask is added and each row's
// softmax taken in place, and O = P·V is a second GEMM, so the [L, S] score matrix never exists
// whole and nothing but each row's log-sum-exp is saved. With `causal`, the block's GEMMs stop
// at its last row's diagonal: the keys after it are skipped, not masked, and within the block the
// entries above the diagonal are written as 0 instead of going through exp(−∞).
// The backward recomputes P from Q, K and the saved log-sum-exp (FlashAttention's recomputation)
// rather than storing it: per block dV += Pᵀ·dO, dP = dO·Vᵀ, dS = P⊙(dP − rowsum(dO⊙O)),
// dQ = scale·dS·K, dK += scale·dSᵀ·Q.
// Layout: contiguous f32 [batch, L, E] queries, [batch, S, E] keys, [batch, S, Ev] values and
// [batch, L, Ev] outputs; the optional additive mask is [L, S] per batch entry, maskStride
// elements apart (0: one mask for all). lse is [batch, L]. Pointers are byte offsets, 0 = absent.
// scratch holds 2·RB·S floats; work is gemmWorkBytes() of GEMM scratch.
// Aliasing: none of the outputs may overlap an input.
import { gemmF32 } from "./gemm";
import { exp4, log4 } from "./vmath";

const RB = 16;

@inline function rowMax(p: usize, n: i32): f32 {
  let m = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= n; j += 4) m = f32x4.max(m, v128.load(p + (<usize>j << 2)));
  let s = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; j < n; j++) s = max(s, load<f32>(p + (<usize>j << 2)));
  return s;
}

// p[j] = exp(p[j] − shift) for j < n, returning their sum; the tail runs the
// vector exp on a splatted lane so bulk and tail agree bit for bit.
@inline function expShift(p: usize, n: i32, shift: f32): f32 {
  const vs = f32x4.splat(shift);
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const a = p + (<usize>j << 2);
    const e = exp4(f32x4.sub(v128.load(a), vs));
    v128.store(a, e);
    acc = f32x4.add(acc, e);
  }
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; j < n; j++) {
    const a = p + (<usize>j << 2);
    const e = f32x4.extract_lane(exp4(f32x4.splat(load<f32>(a) - shift)), 0);
    store<f32>(a, e);
    s += e;
  }
  return s;
}

@inline function scaleRow(p: usize, n: i32, c: f32): void {
  const vc = f32x4.splat(c);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const a = p + (<usize>j << 2);
    v128.store(a, f32x4.mul(v128.load(a), vc));
  }
  for (; j < n; j++) {
    const a = p + (<usize>j << 2);
    store<f32>(a, load<f32>(a) * c);
  }
}

@inline function addRow(p: usize, m: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(p + o, f32x4.add(v128.load(p + o), v128.load(m + o)));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(p + o, load<f32>(p + o) + load<f32>(m + o));
  }
}

@inline function zeroRange(p: usize, from: i32, to: i32): void {
  for (let j = from; j < to; j++) store<f32>(p + (<usize>j << 2), 0);
}

@inline function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; j < n; j++) s += load<f32>(a + (<usize>j << 2)) * load<f32>(b + (<usize>j << 2));
  return s;
}

@inline function zeroFloats(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n << 2);
}

// Keys a block of queries ending (exclusively) at row i1 reads: all S, or
// under `causal` (query i sees keys ≤ i) the first min(i1, S).
@inline function keysFor(causal: i32, i1: i32, S: i32): i32 {
  return causal ? min(i1, S) : S;
}

// The scores of rows [i0, i0 + rb) against keys [0, sc) into p (rows sc
// apart): scale·Q·Kᵀ plus the mask.
@inline function scoresBlock(
  qb: usize, kb: usize, mb: usize, p: usize, i0: i32, rb: i32, sc: i32, S: i32, E: i32, scale: f32, work: usize,
): void {
  gemmF32(0, 1, rb, sc, E, scale, qb + (<usize>i0 * <usize>E << 2), E, kb, E, 0, p, sc, work);
  if (mb) {
    for (let r = 0; r < rb; r++) addRow(p + (<usize>r * <usize>sc << 2), mb + (<usize>(i0 + r) * <usize>S << 2), sc);
  }
}

export function attentionF32(
  q: usize, k: usize, v: usize, mask: usize, maskStride: i32, out: usize, lse: usize,
  batch: i32, L: i32, S: i32, E: i32, Ev: i32, scale: f32, causal: i32, scratch: usize, work: usize,
): void {
  for (let b = 0; b < batch; b++) {
    const qb = q + (<usize>b * <usize>L * <usize>E << 2);
    const kb = k + (<usize>b * <usize>S * <usize>E << 2);
    const vb = v + (<usize>b * <usize>S * <usize>Ev << 2);
    const ob = out + (<usize>b * <usize>L * <usize>Ev << 2);
    const lb = lse + (<usize>b * <usize>L << 2);
    const mb = mask ? mask + (<usize>b * <usize>maskStride << 2) : 0;
    for (let i0 = 0; i0 < L; i0 += RB) {
      const rb = min(RB, L - i0);
      const sc = keysFor(causal, i0 + rb, S);
      scoresBlock(qb, kb, mb, scratch, i0, rb, sc, S, E, scale, work);
      for (let r = 0; r < rb; r++) {
        const row = scratch + (<usize>r * <usize>sc << 2);
        const valid = causal ? min(i0 + r + 1, sc) : sc;
        const m = rowMax(row, valid);
        const sum = expShift(row, valid, m);
        scaleRow(row, valid, 1 / sum);
        zeroRange(row, valid, sc);
        // log4, not Mathf.log: AssemblyScript's logf reads a table, static data the worker build may not have.
        store<f32>(lb + (<usize>(i0 + r) << 2), m + f32x4.extract_lane(log4(f32x4.splat(sum)), 0));
      }
      gemmF32(0, 0, rb, Ev, sc, 1, scratch, sc, vb, Ev, 0, ob + (<usize>i0 * <usize>Ev << 2), Ev, work);
    }
  }
}

export function attentionBackwardF32(
  q: usize, k: usize, v: usize, mask: usize, maskStride: i32, out: usize, lse: usize, dOut: usize,
  dq: usize, dk: usize, dv: usize,
  batch: i32, L: i32, S: i32, E: i32, Ev: i32, scale: f32, causal: i32, scratch: usize, work: usize,
): void {
  const dp = scratch + (<usize>RB * <usize>S << 2);
  for (let b = 0; b < batch; b++) {
    const qb = q + (<usize>b * <usize>L * <usize>E << 2);
    const kb = k + (<usize>b * <usize>S * <usize>E << 2);
    const vb = v + (<usize>b * <usize>S * <usize>Ev << 2);
    const ob = out + (<usize>b * <usize>L * <usize>Ev << 2);
    const gb = dOut + (<usize>b * <usize>L * <usize>Ev << 2);
    const lb = lse + (<usize>b * <usize>L << 2);
    const mb = mask ? mask + (<usize>b * <usize>maskStride << 2) : 0;
    const dqb = dq + (<usize>b * <usize>L * <usize>E << 2);
    const dkb = dk + (<usize>b * <usize>S * <usize>E << 2);
    const dvb = dv + (<usize>b * <usize>S * <usize>Ev << 2);
    zeroFloats(dkb, S * E);
    zeroFloats(dvb, S * Ev);
    for (let i0 = 0; i0 < L; i0 += RB) {
      const rb = min(RB, L - i0);
      const sc = keysFor(causal, i0 + rb, S);
      scoresBlock(qb, kb, mb, scratch, i0, rb, sc, S, E, scale, work);
      for (let r = 0; r < rb; r++) {
        const row = scratch + (<usize>r * <usize>sc << 2);
        const valid = causal ? min(i0 + r + 1, sc) : sc;
        expShift(row, valid, load<f32>(lb + (<usize>(i0 + r) << 2)));
        zeroRange(row, valid, sc);
      }
      const gRows = gb + (<usize>i0 * <usize>Ev << 2);
      gemmF32(1, 0, sc, Ev, rb, 1, scratch, sc, gRows, Ev, 1, dvb, Ev, work);
      gemmF32(0, 1, rb, sc, Ev, 1, gRows, Ev, vb, Ev, 0, dp, sc, work);
      for (let r = 0; r < rb; r++) {
        const i = i0 + r;
        const row = scratch + (<usize>r * <usize>sc << 2);
        const drow = dp + (<usize>r * <usize>sc << 2);
        const valid = causal ? min(i + 1, sc) : sc;
        const vd = f32x4.splat(dot(gb + (<usize>i * <usize>Ev << 2), ob + (<usize>i * <usize>Ev << 2), Ev));
        let j = 0;
        for (; j + 4 <= valid; j += 4) {
          const o = <usize>j << 2;
          v128.store(drow + o, f32x4.mul(v128.load(row + o), f32x4.sub(v128.load(drow + o), vd)));
        }
        const d = f32x4.extract_lane(vd, 0);
        for (; j < valid; j++) {
          const o = <usize>j << 2;
          store<f32>(drow + o, load<f32>(row + o) * (load<f32>(drow + o) - d));
        }
        zeroRange(drow, valid, sc);
      }
      gemmF32(0, 0, rb, E, sc, scale, dp, sc, kb, E, 0, dqb + (<usize>i0 * <usize>E << 2), E, work);
      gemmF32(1, 0, sc, E, rb, scale, dp, sc, qb + (<usize>i0 * <usize>E << 2), E, 1, dkb, E, work);
    }
  }
}
