// Fused scaled-dot-product attention, forward and backward, for F.scaledDotProductAttention
// (src/nn/attention-fused.ts). Per batch·head, the queries go in blocks of RB rows: the block's
// scores S = scale·Q·Kᵀ go into an RB×S scratch, the mask is added and each row's softmax taken in
// place, and O = P·V follows, so the [L, S] score matrix never exists whole and nothing but each
// row's log-sum-exp is saved. The backward recomputes P from Q, K and the saved log-sum-exp
// (FlashAttention's recomputation) rather than storing it: per block dV += Pᵀ·dO, dP = dO·Vᵀ,
// dS = P⊙(dP − rowsum(dO⊙O)), dQ = scale·dS·K, dK += scale·dSᵀ·Q.
// The products run on register tiles of MR×NR (GEMM's micro-kernel shape, assembly/gemm.ts) that
// read their operands where they lie instead of packing them: a row of B is NR contiguous floats
// (V, K, Q, dO as stored, Kᵀ and Vᵀ transposed once per batch·head entry), and A's entries are
// broadcast loads from any layout (Q, dO, P, dS and their transposes alike). At these sizes (a head
// is a few KiB, in L1) packing every block's operands cost as much as the products. With `causal`,
// each tile stops at its rows' diagonal: the score tiles wholly above it are skipped, not masked,
// and P·V, dS·K, Pᵀ·dO and dSᵀ·Q sum only over the keys (queries) a tile's rows can see; within
// a row the entries above the diagonal that a tile still reads are written as 0 instead of going
// through exp(−∞).
// Layout: contiguous f32 [batch, L, E] queries, [batch, S, E] keys, [batch, S, Ev] values and
// [batch, L, Ev] outputs; the optional additive mask is [L, S] per batch entry, maskStride
// elements apart (0: one mask for all). lse is [batch, L], each row's log-sum-exp in base 2 (log₂ of the
// sum of 2^score over the row, the scores kept as log₂e·(scale·q·k + mask)). Pointers are byte offsets, 0 = absent.
// scratch holds attentionScratchBytes(L, S, E, Ev).
// Aliasing: none of the outputs may overlap an input.
import { madd, transpose4x4Store } from "./gemm";
import { log4 } from "./vmath";

const RB = 64;
const MR = 4;
const NR = 8;

// The causal shape of a product over one row block (tileGemm's `shape`), `diag` the block's first query.
// Every tile, every k (no causal mask).
const ALL = 0;
// Rows are queries diag + r, columns keys: a row tile computes the columns up to its last row's diagonal (scores, dP).
const COLS_TO_DIAG = 1;
// Rows are queries, k runs over keys: a row tile sums k up to its last row's diagonal (P·V, dS·K).
const K_TO_DIAG = 2;
// Rows are keys, k runs over the block's queries diag + p: a row tile sums from its first row's diagonal on (Pᵀ·dO, dSᵀ·Q).
const K_FROM_DIAG = 3;

// Scratch of one call: P and dP (min(RB, L) rows of rowStride(S) each), Kᵀ [E, S], and Vᵀ [Ev, S]
// (backward) or each row's 1/sum (forward).
export function attentionScratchBytes(L: i32, S: i32, E: i32, Ev: i32): i32 {
  return (2 * min(RB, L) * rowStride(S) + E * S + max(Ev * S, min(RB, L))) << 2;
}

// Lanes j < n of a vector as all-ones, the rest 0: the last, partial vector of a row.
@inline function lanesBelow(n: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(n));
}

// The rows of P and dP are padded to whole vectors (rowStride), so a row's n entries are read and
// written as ⌈n/4⌉ vectors: the last one's lanes past n are masked, and written as 0.
@inline function rowStride(sc: i32): i32 {
  return (sc + 3) & ~3;
}

// The largest of p[0:n]. pmax (one maxps) rather than max (V8's NaN- and −0-exact sequence of about
// seven instructions; this pass took a fifth of the forward with it): a NaN score is dropped here but
// still turns its row's sum, and so the row, into NaN, and a −0 max shifts the row as +0 does.
@inline function rowMax(p: usize, n: i32): f32 {
  let m = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= n; j += 4) m = f32x4.pmax(m, v128.load(p + (<usize>j << 2)));
  if (j < n) m = f32x4.pmax(m, v128.bitselect(v128.load(p + (<usize>j << 2)), f32x4.splat(-Infinity), lanesBelow(n - j)));
  m = f32x4.pmax(m, i32x4.shuffle(m, m, 2, 3, 0, 1));
  m = f32x4.pmax(m, i32x4.shuffle(m, m, 1, 0, 3, 2));
  return f32x4.extract_lane(m, 0);
}

const LOG2E: f32 = 1.44269504088896341;

// 2^x for x ≤ 0 (the scores are kept in base 2, scale·log₂e·q·k, so the softmax's exponential needs
// no multiply by log₂e nor a split ln 2): x = n + r with |r| ≤ ½, 2^r by its Taylor series to r⁶
// (relative error ≤ 1.2e-7 ≈ 1 ulp), 2^n put in the exponent bits; below −126.5 (n = −127) the
// exponent field is 0, so the result is 0 (what exp gives there, within 2⁻¹²⁶ of it). About 20 vector
// operations against exp4's 32: the exponential is a third of the kernel's time.
@inline function exp2neg4(x0: v128): v128 {
  const x = f32x4.pmax(x0, f32x4.splat(-127.0));
  const t = f32x4.add(x, f32x4.splat(12582912.0));
  const r = f32x4.sub(x, f32x4.sub(t, f32x4.splat(12582912.0)));
  let p = f32x4.splat(1.5403530393381606e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3333558146428443e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(9.618129107628477e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.550410866482158e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(2.402265069591007e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(6.931471805599453e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  const n = i32x4.sub(t, f32x4.splat(12582912.0));
  return f32x4.mul(p, i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23));
}

// p[j] = 2^(p[j] − shift) for j < n and 0 up to the next whole vector, returning their sum.
@inline function expShift(p: usize, n: i32, shift: f32): f32 {
  const vs = f32x4.splat(shift);
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const a = p + (<usize>j << 2);
    const e = exp2neg4(f32x4.sub(v128.load(a), vs));
    v128.store(a, e);
    acc = f32x4.add(acc, e);
  }
  if (j < n) {
    const a = p + (<usize>j << 2);
    const e = v128.and(exp2neg4(f32x4.sub(v128.load(a), vs)), lanesBelow(n - j));
    v128.store(a, e);
    acc = f32x4.add(acc, e);
  }
  return f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
}

// p[j] += log₂e·m[j] for j < n: an additive mask into base-2 scores.
@inline function addRow(p: usize, m: usize, n: i32): void {
  const c = f32x4.splat(LOG2E);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(p + o, f32x4.add(v128.load(p + o), f32x4.mul(v128.load(m + o), c)));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(p + o, load<f32>(p + o) + load<f32>(m + o) * LOG2E);
  }
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

@inline function storeRow8(c: usize, x0: v128, x1: v128, va: v128, acc: bool): void {
  if (acc) {
    v128.store(c, f32x4.add(f32x4.mul(x0, va), v128.load(c)));
    v128.store(c, f32x4.add(f32x4.mul(x1, va), v128.load(c, 16)), 16);
  } else {
    v128.store(c, f32x4.mul(x0, va));
    v128.store(c, f32x4.mul(x1, va), 16);
  }
}

@inline function storeRow4(c: usize, x: v128, va: v128, acc: bool): void {
  v128.store(c, acc ? f32x4.add(f32x4.mul(x, va), v128.load(c)) : f32x4.mul(x, va));
}

// Row r's factor: alpha, or with row scales rs the r-th of them.
@inline function rowFactor(alpha: f32, rs: usize, r: i32): v128 {
  return f32x4.splat(rs ? load<f32>(rs + (<usize>r << 2)) : alpha);
}

// C[0:MR, 0:NR] (= or +=) f_r·Σ_{p0 ≤ p < p1} A(r, p)·B[p, 0:NR], A(r, p) at a + r·ars + p·aps,
// f_r = rowFactor(alpha, rs, r).
@inline function tile4x8(
  p0: i32, p1: i32, alpha: f32, rs: usize, a: usize, ars: usize, aps: usize, b: usize, ldbB: usize, c: usize, ldcB: usize, acc: bool,
): void {
  let c00 = f32x4.splat(0); let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0); let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0); let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0); let c31 = f32x4.splat(0);
  let pa = a + <usize>p0 * aps;
  let pb = b + <usize>p0 * ldbB;
  const a2 = ars << 1;
  const a3 = a2 + ars;
  for (let p = p0; p < p1; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const x0 = v128.load32_splat(pa);
    c00 = madd(x0, b0, c00);
    c01 = madd(x0, b1, c01);
    const x1 = v128.load32_splat(pa + ars);
    c10 = madd(x1, b0, c10);
    c11 = madd(x1, b1, c11);
    const x2 = v128.load32_splat(pa + a2);
    c20 = madd(x2, b0, c20);
    c21 = madd(x2, b1, c21);
    const x3 = v128.load32_splat(pa + a3);
    c30 = madd(x3, b0, c30);
    c31 = madd(x3, b1, c31);
    pa += aps;
    pb += ldbB;
  }
  storeRow8(c, c00, c01, rowFactor(alpha, rs, 0), acc);
  storeRow8(c + ldcB, c10, c11, rowFactor(alpha, rs, 1), acc);
  storeRow8(c + 2 * ldcB, c20, c21, rowFactor(alpha, rs, 2), acc);
  storeRow8(c + 3 * ldcB, c30, c31, rowFactor(alpha, rs, 3), acc);
}

// The same for C[0:MR, 0:4]: the last columns of a causal row tile that reach past its diagonal by
// fewer than NR, or of a row narrower than NR.
@inline function tile4x4(
  p0: i32, p1: i32, alpha: f32, rs: usize, a: usize, ars: usize, aps: usize, b: usize, ldbB: usize, c: usize, ldcB: usize, acc: bool,
): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  let c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0);
  let pa = a + <usize>p0 * aps;
  let pb = b + <usize>p0 * ldbB;
  const a2 = ars << 1;
  const a3 = a2 + ars;
  for (let p = p0; p < p1; p++) {
    const b0 = v128.load(pb);
    c0 = madd(v128.load32_splat(pa), b0, c0);
    c1 = madd(v128.load32_splat(pa + ars), b0, c1);
    c2 = madd(v128.load32_splat(pa + a2), b0, c2);
    c3 = madd(v128.load32_splat(pa + a3), b0, c3);
    pa += aps;
    pb += ldbB;
  }
  storeRow4(c, c0, rowFactor(alpha, rs, 0), acc);
  storeRow4(c + ldcB, c1, rowFactor(alpha, rs, 1), acc);
  storeRow4(c + 2 * ldcB, c2, rowFactor(alpha, rs, 2), acc);
  storeRow4(c + 3 * ldcB, c3, rowFactor(alpha, rs, 3), acc);
}

// One row of C, columns [j, nEnd) (computing up to the next NR or 4 columns within n past nEnd):
// the rows a 4×8 tile does not cover. Sums in the same order as the tile, so the same bits.
function rowTail(
  j: i32, nEnd: i32, n: i32, p0: i32, p1: i32, alpha: f32, a: usize, aps: usize, b: usize, ldbB: usize, c: usize, acc: bool,
): void {
  const va = f32x4.splat(alpha);
  for (; j < nEnd && j + NR <= n; j += NR) {
    let x0 = f32x4.splat(0);
    let x1 = f32x4.splat(0);
    let pa = a + <usize>p0 * aps;
    let pb = b + <usize>p0 * ldbB + (<usize>j << 2);
    for (let p = p0; p < p1; p++) {
      const s = v128.load32_splat(pa);
      x0 = madd(s, v128.load(pb), x0);
      x1 = madd(s, v128.load(pb, 16), x1);
      pa += aps;
      pb += ldbB;
    }
    storeRow8(c + (<usize>j << 2), x0, x1, va, acc);
  }
  for (; j < nEnd && j + 4 <= n; j += 4) {
    let x = f32x4.splat(0);
    let pa = a + <usize>p0 * aps;
    let pb = b + <usize>p0 * ldbB + (<usize>j << 2);
    for (let p = p0; p < p1; p++) {
      x = madd(v128.load32_splat(pa), v128.load(pb), x);
      pa += aps;
      pb += ldbB;
    }
    storeRow4(c + (<usize>j << 2), x, va, acc);
  }
  for (; j < nEnd; j++) {
    let x = f32x4.splat(0);
    let pa = a + <usize>p0 * aps;
    let pb = b + <usize>p0 * ldbB + (<usize>j << 2);
    for (let p = p0; p < p1; p++) {
      x = madd(v128.load32_splat(pa), v128.load32_splat(pb), x);
      pa += aps;
      pb += ldbB;
    }
    const o = c + (<usize>j << 2);
    const y = alpha * f32x4.extract_lane(x, 0);
    store<f32>(o, acc ? y + load<f32>(o) : y);
  }
}

// C[m×n] (= or, with acc, +=) alpha·A·B over row tiles of MR rows, shaped by `shape` (above); A(r, p)
// is at a + r·ars + p·aps (bytes), row p of B is n floats at b + p·ldb·4, C's rows ldc apart. With
// row scales rs (m floats; 0: none), row r is scaled by rs[r] instead of alpha.
function tileGemm(
  shape: i32, diag: i32, m: i32, n: i32, k: i32, alpha: f32, rs: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: i32, c: usize, ldc: i32, acc: bool,
): void {
  const ldbB = <usize>ldb << 2;
  const ldcB = <usize>ldc << 2;
  for (let r0 = 0; r0 < m; r0 += MR) {
    const mr = min(MR, m - r0);
    let nEnd = n;
    let p0 = 0;
    let p1 = k;
    if (shape == COLS_TO_DIAG) nEnd = min(n, diag + r0 + mr);
    else if (shape == K_TO_DIAG) p1 = min(k, diag + r0 + mr);
    else if (shape == K_FROM_DIAG) p0 = min(k, max(0, r0 - diag));
    const ar = a + <usize>r0 * ars;
    const cr = c + <usize>r0 * ldcB;
    const rsr = rs ? rs + (<usize>r0 << 2) : 0;
    let j = 0;
    if (mr == MR) {
      for (; j + 4 < nEnd && j + NR <= n; j += NR) tile4x8(p0, p1, alpha, rsr, ar, ars, aps, b + (<usize>j << 2), ldbB, cr + (<usize>j << 2), ldcB, acc);
      if (j < nEnd && j + 4 <= n) {
        tile4x4(p0, p1, alpha, rsr, ar, ars, aps, b + (<usize>j << 2), ldbB, cr + (<usize>j << 2), ldcB, acc);
        j += 4;
      }
    }
    if (j < nEnd) for (let r = 0; r < mr; r++) rowTail(j, nEnd, n, p0, p1, rsr ? load<f32>(rsr + (<usize>r << 2)) : alpha, ar + <usize>r * ars, aps, b, ldbB, cr + <usize>r * ldcB, acc);
  }
}

// dst[c·rows + r] = src[r·cols + c]: a [rows, cols] matrix transposed, by 4×4 blocks.
function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  const sRow = <usize>cols << 2;
  const dRow = <usize>rows << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const s = src + <usize>r * sRow;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      transpose4x4Store(v128.load(s + o), v128.load(s + sRow + o), v128.load(s + 2 * sRow + o), v128.load(s + 3 * sRow + o), dst + <usize>c * dRow + (<usize>r << 2), dRow);
    }
    for (; c < cols; c++) {
      for (let i = 0; i < 4; i++) store<f32>(dst + <usize>c * dRow + (<usize>(r + i) << 2), load<f32>(s + <usize>i * sRow + (<usize>c << 2)));
    }
  }
  for (; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<f32>(dst + <usize>c * dRow + (<usize>r << 2), load<f32>(src + <usize>r * sRow + (<usize>c << 2)));
  }
}

// The scores of rows [i0, i0 + rb) against keys [0, sc) into p (rows rowStride(sc) apart), in base
// 2: log₂e·(scale·Q·Kᵀ + mask), from kt = Kᵀ (rows S apart).
@inline function scoresBlock(
  qb: usize, kt: usize, mb: usize, p: usize, i0: i32, rb: i32, sc: i32, S: i32, E: i32, scale: f32, causal: i32,
): void {
  const ld = rowStride(sc);
  tileGemm(causal ? COLS_TO_DIAG : ALL, i0, rb, sc, E, scale * LOG2E, 0, qb + (<usize>i0 * <usize>E << 2), <usize>E << 2, 4, kt, S, p, ld, false);
  if (mb) {
    for (let r = 0; r < rb; r++) addRow(p + (<usize>r * <usize>ld << 2), mb + (<usize>(i0 + r) * <usize>S << 2), sc);
  }
}

export function attentionF32(
  q: usize, k: usize, v: usize, mask: usize, maskStride: i32, out: usize, lse: usize,
  batch: i32, L: i32, S: i32, E: i32, Ev: i32, scale: f32, causal: i32, scratch: usize,
): void {
  const kt = scratch + (<usize>(2 * min(RB, L)) * <usize>rowStride(S) << 2);
  const inv = kt + (<usize>E * <usize>S << 2);
  for (let b = 0; b < batch; b++) {
    const qb = q + (<usize>b * <usize>L * <usize>E << 2);
    const kb = k + (<usize>b * <usize>S * <usize>E << 2);
    const vb = v + (<usize>b * <usize>S * <usize>Ev << 2);
    const ob = out + (<usize>b * <usize>L * <usize>Ev << 2);
    const lb = lse + (<usize>b * <usize>L << 2);
    const mb = mask ? mask + (<usize>b * <usize>maskStride << 2) : 0;
    transpose(kb, S, E, kt);
    for (let i0 = 0; i0 < L; i0 += RB) {
      const rb = min(RB, L - i0);
      const sc = keysFor(causal, i0 + rb, S);
      const ld = rowStride(sc);
      scoresBlock(qb, kt, mb, scratch, i0, rb, sc, S, E, scale, causal);
      for (let r = 0; r < rb; r++) {
        const row = scratch + (<usize>r * <usize>ld << 2);
        const valid = causal ? min(i0 + r + 1, sc) : sc;
        const m = rowMax(row, valid);
        // Each row's max and sum for now; the pass below turns them into lse and 1/sum.
        store<f32>(lb + (<usize>(i0 + r) << 2), m);
        store<f32>(inv + (<usize>r << 2), expShift(row, valid, m));
      }
      // Four rows at a time (log4, not Mathf.log: AssemblyScript's logf reads a table, static data
      // the worker build may not have); the same bits as one row at a time.
      let r = 0;
      for (; r + 4 <= rb; r += 4) {
        const l = lb + (<usize>(i0 + r) << 2);
        const sums = v128.load(inv + (<usize>r << 2));
        v128.store(l, f32x4.add(v128.load(l), f32x4.mul(log4(sums), f32x4.splat(LOG2E))));
        v128.store(inv + (<usize>r << 2), f32x4.div(f32x4.splat(1), sums));
      }
      for (; r < rb; r++) {
        const l = lb + (<usize>(i0 + r) << 2);
        const sum = load<f32>(inv + (<usize>r << 2));
        store<f32>(l, load<f32>(l) + f32x4.extract_lane(f32x4.mul(log4(f32x4.splat(sum)), f32x4.splat(LOG2E)), 0));
        store<f32>(inv + (<usize>r << 2), 1 / sum);
      }
      // O = P·V with P's rows still unnormalised: each output row takes its 1/sum instead.
      tileGemm(causal ? K_TO_DIAG : ALL, i0, rb, Ev, sc, 1, inv, scratch, <usize>ld << 2, 4, vb, Ev, ob + (<usize>i0 * <usize>Ev << 2), Ev, false);
    }
  }
}

export function attentionBackwardF32(
  q: usize, k: usize, v: usize, mask: usize, maskStride: i32, out: usize, lse: usize, dOut: usize,
  dq: usize, dk: usize, dv: usize,
  batch: i32, L: i32, S: i32, E: i32, Ev: i32, scale: f32, causal: i32, scratch: usize,
): void {
  const dp = scratch + (<usize>min(RB, L) * <usize>rowStride(S) << 2);
  const kt = dp + (<usize>min(RB, L) * <usize>rowStride(S) << 2);
  const vt = kt + (<usize>E * <usize>S << 2);
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
    transpose(kb, S, E, kt);
    transpose(vb, S, Ev, vt);
    zeroFloats(dkb, S * E);
    zeroFloats(dvb, S * Ev);
    for (let i0 = 0; i0 < L; i0 += RB) {
      const rb = min(RB, L - i0);
      const sc = keysFor(causal, i0 + rb, S);
      const ld = rowStride(sc);
      scoresBlock(qb, kt, mb, scratch, i0, rb, sc, S, E, scale, causal);
      for (let r = 0; r < rb; r++) {
        const valid = causal ? min(i0 + r + 1, sc) : sc;
        expShift(scratch + (<usize>r * <usize>ld << 2), valid, load<f32>(lb + (<usize>(i0 + r) << 2)));
      }
      const gRows = gb + (<usize>i0 * <usize>Ev << 2);
      // dV[0:sc] += Pᵀ·dO and dP = dO·Vᵀ: Pᵀ read as P's columns, Vᵀ from vt.
      tileGemm(causal ? K_FROM_DIAG : ALL, i0, sc, Ev, rb, 1, 0, scratch, 4, <usize>ld << 2, gRows, Ev, dvb, Ev, true);
      tileGemm(causal ? COLS_TO_DIAG : ALL, i0, rb, sc, Ev, 1, 0, gRows, <usize>Ev << 2, 4, vt, S, dp, ld, false);
      for (let r = 0; r < rb; r++) {
        const i = i0 + r;
        const row = scratch + (<usize>r * <usize>ld << 2);
        const drow = dp + (<usize>r * <usize>ld << 2);
        const valid = causal ? min(i + 1, sc) : sc;
        const vd = f32x4.splat(dot(gb + (<usize>i * <usize>Ev << 2), ob + (<usize>i * <usize>Ev << 2), Ev));
        let j = 0;
        for (; j + 4 <= valid; j += 4) {
          const o = <usize>j << 2;
          v128.store(drow + o, f32x4.mul(v128.load(row + o), f32x4.sub(v128.load(drow + o), vd)));
        }
        if (j < valid) {
          // Past the diagonal dP may be unwritten (not finite): masked, not multiplied by P's 0.
          const o = <usize>j << 2;
          v128.store(drow + o, v128.and(f32x4.mul(v128.load(row + o), f32x4.sub(v128.load(drow + o), vd)), lanesBelow(valid - j)));
        }
      }
      // dQ = scale·dS·K, dK[0:sc] += scale·dSᵀ·Q.
      tileGemm(causal ? K_TO_DIAG : ALL, i0, rb, E, sc, scale, 0, dp, <usize>ld << 2, 4, kb, E, dqb + (<usize>i0 * <usize>E << 2), E, false);
      tileGemm(causal ? K_FROM_DIAG : ALL, i0, sc, E, rb, scale, 0, dp, 4, <usize>ld << 2, qb + (<usize>i0 * <usize>E << 2), E, dkb, E, true);
    }
  }
}
