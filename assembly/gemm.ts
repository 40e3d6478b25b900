// Single-precision GEMM: C = alpha·op(A)·op(B) + beta·C, all row-major.
// Layout: op(A) is m×k (A stored k×m when transA), op(B) is k×n (B stored n×k
// when transB); lda/ldb/ldc are row strides in elements. `work` is scratch of
// gemmWorkBytes() bytes owned by the caller (allocated once by the TS side).
// Alignment: 4-byte only; packed panels in `work` are read with v128 loads,
// which are unaligned-safe anyway.
// Aliasing: C must not overlap A, B or work. beta == 0 never reads C.
// Called by the TS wasm backend (matmul/linear/conv paths). gemvF32, the
// one-row case, sits at the end.
//
// Design (Goto/BLIS, explained in docs/performance.md): B is packed per
// (KC×NC) block into NR-wide slivers and A per (MC×KC) block into MR-tall
// slivers, zero-padded at the edges, so all four transpose cases feed the same
// MR×NR register-blocked micro-kernel. The B sliver (KC·NR·4 = 8 KiB) stays in
// L1 while A slivers stream from the L2-resident packed A block
// (MC·KC·4 = 128 KiB). 4×8 is the largest tile V8 keeps in registers: it
// hoists a k-step's loads ahead of its multiplies, so 8 accumulators + 2 B
// vectors + 4 A broadcasts fill 14 of the 15 xmm registers it allocates;
// 6×8 (or unrolling k by 2) spills accumulators to the stack and runs at half
// speed. Blocking between KC 128–512, MC 64–256, NC 256–1024 measured flat.

import { hsum } from "./vmath";

const MR = 4;
const NR = 8;
const KC = 256;
const MC = 128;
const NC = 512;

const A_PACK_BYTES = MC * KC * 4;
const B_PACK_BYTES = KC * NC * 4;
const TILE_BYTES = MR * NR * 4;

export function gemmWorkBytes(): i32 {
  return A_PACK_BYTES + B_PACK_BYTES + TILE_BYTES;
}

// Pack op(A)[ic:ic+mc, pc:pc+kc] as ceil(mc/MR) slivers, each kc groups of
// MR consecutive row values; rows past mc are zero.
function packA(transA: i32, a: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  const ldaB = <usize>lda << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const sliver = dst + (<usize>ir * <usize>kc << 2);
    if (transA) {
      // A stored k×m: the MR row values for one p are contiguous.
      const src = a + (<usize>pc * ldaB) + (<usize>(ic + ir) << 2);
      if (mr == MR) {
        for (let p = 0; p < kc; p++) {
          v128.store(sliver + (<usize>p << 4), v128.load(src + <usize>p * ldaB));
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = sliver + (<usize>p << 4);
          v128.store(d, f32x4.splat(0));
          for (let r = 0; r < mr; r++) store<f32>(d + (<usize>r << 2), load<f32>(src + <usize>p * ldaB + (<usize>r << 2)));
        }
      }
    } else {
      const src = a + <usize>(ic + ir) * ldaB + (<usize>pc << 2);
      if (mr == MR) {
        // 4×4 transposes: 4 k-values from each of the 4 rows become 4
        // MR-groups.
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          const s = src + (<usize>p << 2);
          transpose4x4Store(v128.load(s), v128.load(s + ldaB), v128.load(s + 2 * ldaB), v128.load(s + 3 * ldaB), sliver + (<usize>p << 4), MR * 4);
        }
        for (; p < kc; p++) {
          const s = src + (<usize>p << 2);
          const d = sliver + (<usize>p << 4);
          store<f32>(d, load<f32>(s));
          store<f32>(d, load<f32>(s + ldaB), 4);
          store<f32>(d, load<f32>(s + 2 * ldaB), 8);
          store<f32>(d, load<f32>(s + 3 * ldaB), 12);
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = sliver + (<usize>p << 4);
          v128.store(d, f32x4.splat(0));
          for (let r = 0; r < mr; r++) store<f32>(d + (<usize>r << 2), load<f32>(src + <usize>r * ldaB + (<usize>p << 2)));
        }
      }
    }
  }
}

// Pack op(B)[pc:pc+kc, jc:jc+nc] as ceil(nc/NR) slivers, each kc groups of
// NR consecutive column values; columns past nc are zero.
function packB(transB: i32, b: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  const ldbB = <usize>ldb << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const sliver = dst + (<usize>jr * <usize>kc << 2);
    if (!transB) {
      // B stored k×n: the NR column values for one p are contiguous.
      const src = b + <usize>pc * ldbB + (<usize>(jc + jr) << 2);
      if (nr == NR) {
        for (let p = 0; p < kc; p++) {
          const s = src + <usize>p * ldbB;
          const d = sliver + (<usize>p << 5);
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const s = src + <usize>p * ldbB;
          const d = sliver + (<usize>p << 5);
          v128.store(d, f32x4.splat(0));
          v128.store(d, f32x4.splat(0), 16);
          for (let c = 0; c < nr; c++) store<f32>(d + (<usize>c << 2), load<f32>(s + (<usize>c << 2)));
        }
      }
    } else {
      // B stored n×k: column j of op(B) is row j of B, contiguous in p.
      const src = b + <usize>(jc + jr) * ldbB + (<usize>pc << 2);
      if (nr == NR) {
        // Two 4×4 transposes per 4 k-values: rows 0–3 of B fill the low
        // half of each NR-group, rows 4–7 the high half.
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          const s = src + (<usize>p << 2);
          const d = sliver + (<usize>p << 5);
          transpose4x4Store(v128.load(s), v128.load(s + ldbB), v128.load(s + 2 * ldbB), v128.load(s + 3 * ldbB), d, NR * 4);
          const s4 = s + 4 * ldbB;
          transpose4x4Store(v128.load(s4), v128.load(s4 + ldbB), v128.load(s4 + 2 * ldbB), v128.load(s4 + 3 * ldbB), d + 16, NR * 4);
        }
        for (; p < kc; p++) {
          const s = src + (<usize>p << 2);
          const d = sliver + (<usize>p << 5);
          for (let c = 0; c < NR; c++) store<f32>(d + (<usize>c << 2), load<f32>(s + <usize>c * ldbB));
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = sliver + (<usize>p << 5);
          v128.store(d, f32x4.splat(0));
          v128.store(d, f32x4.splat(0), 16);
          for (let c = 0; c < nr; c++) store<f32>(d + (<usize>c << 2), load<f32>(src + <usize>c * ldbB + (<usize>p << 2)));
        }
      }
    }
  }
}

// Stores the transpose of the 4×4 block with rows r0..r3: column i of the
// block goes to d + i·stride.
@inline export function transpose4x4Store(r0: v128, r1: v128, r2: v128, r3: v128, d: usize, stride: usize): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5); // r0[0] r1[0] r0[1] r1[1]
  const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(d, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(d + stride, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
  v128.store(d + 2 * stride, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
  v128.store(d + 3 * stride, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
}

// c + a·b. The relaxed-SIMD build fuses it into one FMA where the CPU has one
// (the result may differ from the unfused one in the last bit, which GEMM allows).
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// C tile (mr×nr valid) = alpha·(Ap·Bp) + beta·C, where beta == 0 means C is
// write-only. Later k-blocks pass beta = 1 to accumulate.
@inline function microKernel(
  kc: i32, ap: usize, bp: usize, c: usize, ldc: i32,
  mr: i32, nr: i32, alpha: f32, beta: f32, tile: usize,
): void {
  let c00 = f32x4.splat(0); let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0); let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0); let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0); let c31 = f32x4.splat(0);
  let pa = ap;
  let pb = bp;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    const a1 = v128.load32_splat(pa, 4);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    const a2 = v128.load32_splat(pa, 8);
    c20 = madd(a2, b0, c20);
    c21 = madd(a2, b1, c21);
    const a3 = v128.load32_splat(pa, 12);
    c30 = madd(a3, b0, c30);
    c31 = madd(a3, b1, c31);
    pa += MR * 4;
    pb += NR * 4;
  }
  const va = f32x4.splat(alpha);
  const ldcB = <usize>ldc << 2;
  if (mr == MR && nr == NR) {
    if (beta == 0) {
      v128.store(c, f32x4.mul(c00, va)); v128.store(c, f32x4.mul(c01, va), 16);
      c += ldcB;
      v128.store(c, f32x4.mul(c10, va)); v128.store(c, f32x4.mul(c11, va), 16);
      c += ldcB;
      v128.store(c, f32x4.mul(c20, va)); v128.store(c, f32x4.mul(c21, va), 16);
      c += ldcB;
      v128.store(c, f32x4.mul(c30, va)); v128.store(c, f32x4.mul(c31, va), 16);
    } else {
      const vb = f32x4.splat(beta);
      updateRow(c, c00, c01, va, vb); c += ldcB;
      updateRow(c, c10, c11, va, vb); c += ldcB;
      updateRow(c, c20, c21, va, vb); c += ldcB;
      updateRow(c, c30, c31, va, vb);
    }
    return;
  }
  // Edge tile: spill to scratch, then update only the valid part of C.
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  storeEdge(tile, c, ldc, mr, nr, alpha, beta);
}

// The MR×4 variant for a last column sliver with nr ≤ 4 (as n = 9 leaves):
// the high half of the packed B sliver is zero padding, so skipping it halves
// the work of that sliver. Always an edge tile.
@inline function microKernelHalf(
  kc: i32, ap: usize, bp: usize, c: usize, ldc: i32,
  mr: i32, nr: i32, alpha: f32, beta: f32, tile: usize,
): void {
  let c0 = f32x4.splat(0); let c1 = f32x4.splat(0);
  let c2 = f32x4.splat(0); let c3 = f32x4.splat(0);
  let pa = ap;
  let pb = bp;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    c0 = madd(v128.load32_splat(pa), b0, c0);
    c1 = madd(v128.load32_splat(pa, 4), b0, c1);
    c2 = madd(v128.load32_splat(pa, 8), b0, c2);
    c3 = madd(v128.load32_splat(pa, 12), b0, c3);
    pa += MR * 4;
    pb += NR * 4;
  }
  v128.store(tile, c0); v128.store(tile, c1, 32);
  v128.store(tile, c2, 64); v128.store(tile, c3, 96);
  storeEdge(tile, c, ldc, mr, nr, alpha, beta);
}

// C[0:mr, 0:nr] = alpha·tile + beta·C, from a tile laid out MR rows of NR.
function storeEdge(tile: usize, c: usize, ldc: i32, mr: i32, nr: i32, alpha: f32, beta: f32): void {
  const ldcB = <usize>ldc << 2;
  for (let r = 0; r < mr; r++) {
    const crow = c + <usize>r * ldcB;
    const trow = tile + (<usize>r * NR << 2);
    for (let j = 0; j < nr; j++) {
      const o = <usize>j << 2;
      const v = alpha * load<f32>(trow + o);
      store<f32>(crow + o, beta == 0 ? v : v + beta * load<f32>(crow + o));
    }
  }
}

@inline function updateRow(c: usize, x0: v128, x1: v128, va: v128, vb: v128): void {
  v128.store(c, f32x4.add(f32x4.mul(x0, va), f32x4.mul(v128.load(c), vb)));
  v128.store(c, f32x4.add(f32x4.mul(x1, va), f32x4.mul(v128.load(c, 16), vb)), 16);
}

// C = beta·C for the degenerate cases (k == 0 or alpha == 0, as in BLAS);
// beta == 0 writes zeros without reading C.
function scaleC(m: i32, n: i32, beta: f32, c: usize, ldc: i32): void {
  const vb = f32x4.splat(beta);
  for (let i = 0; i < m; i++) {
    const row = c + (<usize>i * <usize>ldc << 2);
    let j = 0;
    if (beta == 0) {
      for (; j + 4 <= n; j += 4) v128.store(row + (<usize>j << 2), f32x4.splat(0));
      for (; j < n; j++) store<f32>(row + (<usize>j << 2), 0);
    } else {
      for (; j + 4 <= n; j += 4) {
        const p = row + (<usize>j << 2);
        v128.store(p, f32x4.mul(v128.load(p), vb));
      }
      for (; j < n; j++) {
        const p = row + (<usize>j << 2);
        store<f32>(p, load<f32>(p) * beta);
      }
    }
  }
}

export function gemmF32(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, work: usize,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0) {
    scaleC(m, n, beta, c, ldc);
    return;
  }
  const bpack = work + A_PACK_BYTES;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(transB, b, ldb, pc, jc, kc, nc, bpack);
      panel(transA, m, jc, nc, pc, kc, alpha, a, lda, bpack, pc == 0 ? beta : 1, c, ldc, work);
    }
  }
}

// C[:, jc:jc+nc] = alpha·op(A)[:, pc:pc+kc]·B_block + beta·C for one packed
// KC×NC block of B at `bpack`, packing A per MC×KC block into `work`.
@inline function panel(
  transA: i32, m: i32, jc: i32, nc: i32, pc: i32, kc: i32, alpha: f32,
  a: usize, lda: i32, bpack: usize, beta: f32, c: usize, ldc: i32, work: usize,
): void {
  const apack = work;
  const tile = work + A_PACK_BYTES + B_PACK_BYTES;
  const ldcB = <usize>ldc << 2;
  for (let ic = 0; ic < m; ic += MC) {
    const mc = min(MC, m - ic);
    packA(transA, a, lda, ic, pc, mc, kc, apack);
    for (let jr = 0; jr < nc; jr += NR) {
      const nr = min(NR, nc - jr);
      const bp = bpack + (<usize>jr * <usize>kc << 2);
      for (let ir = 0; ir < mc; ir += MR) {
        const mr = min(MR, mc - ir);
        const ap = apack + (<usize>ir * <usize>kc << 2);
        const cp = c + <usize>(ic + ir) * ldcB + (<usize>(jc + jr) << 2);
        if (nr > 4) microKernel(kc, ap, bp, cp, ldc, mr, nr, alpha, beta, tile);
        else microKernelHalf(kc, ap, bp, cp, ldc, mr, nr, alpha, beta, tile);
      }
    }
  }
}

// A B that many GEMMs share (an RNN's recurrent weight, one GEMM per time
// step) is packed once, whole, by gemmPackB: every KC×NC block as gemmF32
// packs it, in gemmF32's order (column blocks outer, k blocks inner), each
// kc·roundUp(nc, NR) floats. gemmPackedF32 then runs gemmF32 on it without
// packing B: the same blocks through the same micro-kernel, so the same bits.
export function gemmPackedBBytes(n: i32, k: i32): i32 {
  let floats = 0;
  for (let jc = 0; jc < n; jc += NC) floats += k * ((min(NC, n - jc) + NR - 1) / NR * NR);
  return floats << 2;
}

export function gemmPackB(transB: i32, n: i32, k: i32, b: usize, ldb: i32, dst: usize): void {
  let at = dst;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    const width = (nc + NR - 1) / NR * NR;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(transB, b, ldb, pc, jc, kc, nc, at);
      at += <usize>kc * <usize>width << 2;
    }
  }
}

export function gemmPackedF32(
  transA: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, bPacked: usize, beta: f32, c: usize, ldc: i32, work: usize,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0) {
    scaleC(m, n, beta, c, ldc);
    return;
  }
  let bpack = bPacked;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    const width = (nc + NR - 1) / NR * NR;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      panel(transA, m, jc, nc, pc, kc, alpha, a, lda, bpack, pc == 0 ? beta : 1, c, ldc, work);
      bpack += <usize>kc * <usize>width << 2;
    }
  }
}

// ----------------------------------------------------------------- gemv ---

// One row times a matrix: c[0:n] = alpha·(a[0:k] · op(B)) + beta·c, the m = 1
// case of gemmF32 (same argument meanings). GEMM would pack all of B for a
// single row, which costs more than the product; here B is streamed once.
// transB: B stored n×k, so each output is a dot of two contiguous rows, four
// rows at a time for ILP. Otherwise B is k×n and is streamed row by row.
// Aliasing: c must not overlap a or B. beta == 0 never reads c's old values.
export function gemvF32(transB: i32, n: i32, k: i32, alpha: f32, a: usize, b: usize, ldb: i32, beta: f32, c: usize): void {
  const ldbB = <usize>ldb << 2;
  if (transB) {
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = b + <usize>j * ldbB;
      const b1 = b0 + ldbB;
      const b2 = b1 + ldbB;
      const b3 = b2 + ldbB;
      let s0 = f32x4.splat(0);
      let s1 = f32x4.splat(0);
      let s2 = f32x4.splat(0);
      let s3 = f32x4.splat(0);
      let p = 0;
      for (; p + 4 <= k; p += 4) {
        const o = <usize>p << 2;
        const va = v128.load(a + o);
        s0 = f32x4.add(s0, f32x4.mul(va, v128.load(b0 + o)));
        s1 = f32x4.add(s1, f32x4.mul(va, v128.load(b1 + o)));
        s2 = f32x4.add(s2, f32x4.mul(va, v128.load(b2 + o)));
        s3 = f32x4.add(s3, f32x4.mul(va, v128.load(b3 + o)));
      }
      // Transpose-add the four partial vectors into one vector of four sums.
      const t0 = f32x4.add(i32x4.shuffle(s0, s1, 0, 4, 1, 5), i32x4.shuffle(s0, s1, 2, 6, 3, 7));
      const t1 = f32x4.add(i32x4.shuffle(s2, s3, 0, 4, 1, 5), i32x4.shuffle(s2, s3, 2, 6, 3, 7));
      let r = f32x4.add(i32x4.shuffle(t0, t1, 0, 1, 4, 5), i32x4.shuffle(t0, t1, 2, 3, 6, 7));
      for (; p < k; p++) {
        const o = <usize>p << 2;
        const va = f32x4.splat(load<f32>(a + o));
        const vb = f32x4(load<f32>(b0 + o), load<f32>(b1 + o), load<f32>(b2 + o), load<f32>(b3 + o));
        r = f32x4.add(r, f32x4.mul(va, vb));
      }
      storeScaled4(c + (<usize>j << 2), r, alpha, beta);
    }
    for (; j < n; j++) {
      const bj = b + <usize>j * ldbB;
      let s = f32x4.splat(0);
      let p = 0;
      for (; p + 4 <= k; p += 4) {
        const o = <usize>p << 2;
        s = f32x4.add(s, f32x4.mul(v128.load(a + o), v128.load(bj + o)));
      }
      let r = <f32>hsum(s);
      for (; p < k; p++) r += load<f32>(a + (<usize>p << 2)) * load<f32>(bj + (<usize>p << 2));
      storeScaled1(c + (<usize>j << 2), r, alpha, beta);
    }
    return;
  }
  // B is k×n: stream it row by row (contiguous, what the prefetcher likes) and
  // update c in column blocks that stay in L1, four rows of B per pass so c is
  // read and written once per four rows. alpha is folded into a's entries.
  for (let j0 = 0; j0 < n; j0 += GEMV_COLS) {
    const nb = min(GEMV_COLS, n - j0);
    const pc = c + (<usize>j0 << 2);
    const pb = b + (<usize>j0 << 2);
    for (let jj = 0; jj < nb; jj++) {
      const o = <usize>jj << 2;
      store<f32>(pc + o, beta != 0 ? beta * load<f32>(pc + o) : 0);
    }
    let p = 0;
    for (; p + 4 <= k; p += 4) {
      const pa = a + (<usize>p << 2);
      const a0 = alpha * load<f32>(pa);
      const a1 = alpha * load<f32>(pa, 4);
      const a2 = alpha * load<f32>(pa, 8);
      const a3 = alpha * load<f32>(pa, 12);
      const v0 = f32x4.splat(a0);
      const v1 = f32x4.splat(a1);
      const v2 = f32x4.splat(a2);
      const v3 = f32x4.splat(a3);
      const r0 = pb + <usize>p * ldbB;
      const r1 = r0 + ldbB;
      const r2 = r1 + ldbB;
      const r3 = r2 + ldbB;
      let jj = 0;
      for (; jj + 4 <= nb; jj += 4) {
        const o = <usize>jj << 2;
        const s01 = f32x4.add(f32x4.mul(v0, v128.load(r0 + o)), f32x4.mul(v1, v128.load(r1 + o)));
        const s23 = f32x4.add(f32x4.mul(v2, v128.load(r2 + o)), f32x4.mul(v3, v128.load(r3 + o)));
        v128.store(pc + o, f32x4.add(v128.load(pc + o), f32x4.add(s01, s23)));
      }
      for (; jj < nb; jj++) {
        const o = <usize>jj << 2;
        const s = a0 * load<f32>(r0 + o) + a1 * load<f32>(r1 + o) + a2 * load<f32>(r2 + o) + a3 * load<f32>(r3 + o);
        store<f32>(pc + o, load<f32>(pc + o) + s);
      }
    }
    for (; p < k; p++) {
      const ap = alpha * load<f32>(a + (<usize>p << 2));
      const vp = f32x4.splat(ap);
      const row = pb + <usize>p * ldbB;
      let jj = 0;
      for (; jj + 4 <= nb; jj += 4) {
        const o = <usize>jj << 2;
        v128.store(pc + o, f32x4.add(v128.load(pc + o), f32x4.mul(vp, v128.load(row + o))));
      }
      for (; jj < nb; jj++) {
        const o = <usize>jj << 2;
        store<f32>(pc + o, load<f32>(pc + o) + ap * load<f32>(row + o));
      }
    }
  }
}

// Columns of c updated per pass of the non-transposed gemv: 8 KB of c stays in L1.
const GEMV_COLS = 2048;

@inline function storeScaled4(pc: usize, r: v128, alpha: f32, beta: f32): void {
  let v = f32x4.mul(r, f32x4.splat(alpha));
  if (beta != 0) v = f32x4.add(v, f32x4.mul(v128.load(pc), f32x4.splat(beta)));
  v128.store(pc, v);
}
@inline function storeScaled1(pc: usize, r: f32, alpha: f32, beta: f32): void {
  store<f32>(pc, beta != 0 ? alpha * r + beta * load<f32>(pc) : alpha * r);
}
