// Axis reductions and row softmax.
// Layout: the input is contiguous and viewed as [outer, len, inner]; the
// middle axis is reduced into a contiguous [outer, inner] output (f32, or
// i32 for arg-reductions). Softmax works on a contiguous [rows, cols] along
// the last axis. Pointers are byte offsets, counts are i32.
// Alignment: 4-byte only (v128 loads/stores are unaligned-safe).
// Aliasing: softmax/logSoftmax may run in place (out == x); reductions must
// not alias input and output.
// Called by the TS wasm backend (src/backend/wasm.ts); nothing allocates.
import { exp4, hsum, log4 } from "./vmath";

// Rows are summed in f32 blocks of this many elements per lane group, then
// each block is added into an f64 total, so error stays ~1 ulp even for
// 1e6+ elements without paying for f64 in the hot loop.
const SUM_BLOCK = 1024;

// Sum of n contiguous floats: 4 independent f32x4 accumulators (ILP and
// 16-way splitting of the rounding error) within a block, f64 across blocks.
function sumRow(x: usize, n: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  while (i + 16 <= n) {
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    const end = min(n, i + SUM_BLOCK);
    for (; i + 16 <= end; i += 16) {
      const p = x + (<usize>i << 2);
      a0 = f32x4.add(a0, v128.load(p));
      a1 = f32x4.add(a1, v128.load(p, 16));
      a2 = f32x4.add(a2, v128.load(p, 32));
      a3 = f32x4.add(a3, v128.load(p, 48));
    }
    total += hsum(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  }
  for (; i < n; i++) total += <f64>load<f32>(x + (<usize>i << 2));
  return total;
}

// Four f64 column totals (two f64x2) back to one f32x4.
@inline function demote4(lo: v128, hi: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

export function sumAxisF32(x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  const rowBytes = <usize>len * <usize>inner << 2;
  const strideBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const px = x + <usize>o * rowBytes;
    const po = out + (<usize>o * <usize>inner << 2);
    if (inner == 1) {
      store<f32>(po, <f32>sumRow(px, len));
      continue;
    }
    // Vectorise across `inner`: each lane owns one output column; per block
    // the f32 partials are promoted to two f64x2 totals.
    let j = 0;
    // 16 columns at a time use whole 64-byte cache lines of every row walked.
    for (; j + 16 <= inner; j += 16) {
      const pj = px + (<usize>j << 2);
      let lo0 = f64x2.splat(0); let hi0 = f64x2.splat(0);
      let lo1 = f64x2.splat(0); let hi1 = f64x2.splat(0);
      let lo2 = f64x2.splat(0); let hi2 = f64x2.splat(0);
      let lo3 = f64x2.splat(0); let hi3 = f64x2.splat(0);
      let l = 0;
      while (l < len) {
        const end = min(len, l + SUM_BLOCK);
        let a0 = f32x4.splat(0);
        let a1 = f32x4.splat(0);
        let a2 = f32x4.splat(0);
        let a3 = f32x4.splat(0);
        for (; l < end; l++) {
          const p = pj + <usize>l * strideBytes;
          a0 = f32x4.add(a0, v128.load(p));
          a1 = f32x4.add(a1, v128.load(p, 16));
          a2 = f32x4.add(a2, v128.load(p, 32));
          a3 = f32x4.add(a3, v128.load(p, 48));
        }
        lo0 = f64x2.add(lo0, f64x2.promote_low_f32x4(a0)); hi0 = f64x2.add(hi0, f64x2.promote_low_f32x4(i32x4.shuffle(a0, a0, 2, 3, 0, 1)));
        lo1 = f64x2.add(lo1, f64x2.promote_low_f32x4(a1)); hi1 = f64x2.add(hi1, f64x2.promote_low_f32x4(i32x4.shuffle(a1, a1, 2, 3, 0, 1)));
        lo2 = f64x2.add(lo2, f64x2.promote_low_f32x4(a2)); hi2 = f64x2.add(hi2, f64x2.promote_low_f32x4(i32x4.shuffle(a2, a2, 2, 3, 0, 1)));
        lo3 = f64x2.add(lo3, f64x2.promote_low_f32x4(a3)); hi3 = f64x2.add(hi3, f64x2.promote_low_f32x4(i32x4.shuffle(a3, a3, 2, 3, 0, 1)));
      }
      const q = po + (<usize>j << 2);
      v128.store(q, demote4(lo0, hi0));
      v128.store(q, demote4(lo1, hi1), 16);
      v128.store(q, demote4(lo2, hi2), 32);
      v128.store(q, demote4(lo3, hi3), 48);
    }
    for (; j + 4 <= inner; j += 4) {
      const pj = px + (<usize>j << 2);
      let lo = f64x2.splat(0);
      let hi = f64x2.splat(0);
      let l = 0;
      while (l < len) {
        const end = min(len, l + SUM_BLOCK);
        let acc = f32x4.splat(0);
        for (; l < end; l++) acc = f32x4.add(acc, v128.load(pj + <usize>l * strideBytes));
        lo = f64x2.add(lo, f64x2.promote_low_f32x4(acc));
        hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(acc, acc, 2, 3, 0, 1)));
      }
      v128.store(po + (<usize>j << 2), demote4(lo, hi));
    }
    for (; j < inner; j++) {
      let t: f64 = 0;
      const pj = px + (<usize>j << 2);
      for (let l = 0; l < len; l++) t += <f64>load<f32>(pj + <usize>l * strideBytes);
      store<f32>(po + (<usize>j << 2), <f32>t);
    }
  }
}

// ------------------------------------------------------------- max/min ---

const R_MAX = 0;
const R_MIN = 1;

// wasm f32x4.max/min and f32.max/min return NaN when either side is NaN,
// which is exactly torch's NaN-propagating amax/amin.
@inline function vpick(op: i32, a: v128, b: v128): v128 {
  return op == R_MAX ? f32x4.max(a, b) : f32x4.min(a, b);
}
@inline function spick(op: i32, a: f32, b: f32): f32 {
  return op == R_MAX ? Mathf.max(a, b) : Mathf.min(a, b);
}
@inline function identity(op: i32): f32 {
  return op == R_MAX ? -Infinity : Infinity;
}

// pmax/pmin are one instruction where max/min are a long NaN-safe sequence,
// so the bulk loop uses them (keeping the accumulator as the first operand) and
// tracks NaN separately: any NaN lane makes the row's result NaN.
@inline function ppick(op: i32, a: v128, b: v128): v128 {
  return op == R_MAX ? f32x4.pmax(a, b) : f32x4.pmin(a, b);
}

@inline function extremeRow(op: i32, x: usize, n: i32): f32 {
  const id = f32x4.splat(identity(op));
  let a0 = id;
  let a1 = id;
  let a2 = id;
  let a3 = id;
  let nan = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const v0 = v128.load(p);
    const v1 = v128.load(p, 16);
    const v2 = v128.load(p, 32);
    const v3 = v128.load(p, 48);
    a0 = ppick(op, a0, v0);
    a1 = ppick(op, a1, v1);
    a2 = ppick(op, a2, v2);
    a3 = ppick(op, a3, v3);
    nan = v128.or(nan, v128.or(f32x4.ne(v0, v0), f32x4.ne(v1, v1)));
    nan = v128.or(nan, v128.or(f32x4.ne(v2, v2), f32x4.ne(v3, v3)));
  }
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    a0 = ppick(op, a0, v);
    nan = v128.or(nan, f32x4.ne(v, v));
  }
  const v = vpick(op, vpick(op, a0, a1), vpick(op, a2, a3));
  let r = spick(op, spick(op, f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
    spick(op, f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
  if (v128.any_true(nan)) r = NaN;
  for (; i < n; i++) r = spick(op, r, load<f32>(x + (<usize>i << 2)));
  return r;
}

@inline function extremeAxis(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  const rowBytes = <usize>len * <usize>inner << 2;
  const strideBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const px = x + <usize>o * rowBytes;
    const po = out + (<usize>o * <usize>inner << 2);
    if (inner == 1) {
      store<f32>(po, extremeRow(op, px, len));
      continue;
    }
    let j = 0;
    for (; j + 4 <= inner; j += 4) {
      const pj = px + (<usize>j << 2);
      let acc = f32x4.splat(identity(op));
      let nan = f32x4.splat(0);
      for (let l = 0; l < len; l++) {
        const v = v128.load(pj + <usize>l * strideBytes);
        acc = ppick(op, acc, v);
        nan = v128.or(nan, f32x4.ne(v, v));
      }
      v128.store(po + (<usize>j << 2), v128.or(acc, nan));
    }
    for (; j < inner; j++) {
      const pj = px + (<usize>j << 2);
      let r = identity(op);
      for (let l = 0; l < len; l++) r = spick(op, r, load<f32>(pj + <usize>l * strideBytes));
      store<f32>(po + (<usize>j << 2), r);
    }
  }
}

export function maxAxisF32(x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  extremeAxis(R_MAX, x, out, outer, len, inner);
}
export function minAxisF32(x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  extremeAxis(R_MIN, x, out, outer, len, inner);
}

// ----------------------------------------------------------- argmax/min ---

// Does candidate v replace the current best? Strict comparison keeps the
// first index on ties; the first NaN wins and is never replaced (torch).
@inline function vbetter(op: i32, v: v128, best: v128): v128 {
  const cmp = op == R_MAX ? f32x4.gt(v, best) : f32x4.lt(v, best);
  return v128.or(cmp, v128.andnot(f32x4.ne(v, v), f32x4.ne(best, best)));
}
@inline function sbetter(op: i32, v: f32, best: f32): bool {
  return (op == R_MAX ? v > best : v < best) || (v != v && best == best);
}

// Lane-wise candidates come from disjoint index sets, so merging them needs
// the index as a tie-breaker (smaller index wins on equal value or NaN).
@inline function mergeBetter(op: i32, v: f32, i: i32, bv: f32, bi: i32): bool {
  if (sbetter(op, v, bv)) return true;
  if (sbetter(op, bv, v)) return false;
  return i < bi; // equal, or both NaN
}

@inline function argRow(op: i32, x: usize, n: i32): i32 {
  if (n <= 0) return 0;
  let i = 0;
  let bestV: f32 = load<f32>(x);
  let bestI: i32 = 0;
  if (n >= 8) {
    let bv = v128.load(x);
    let bi = i32x4(0, 1, 2, 3);
    let idx = bi;
    const four = i32x4.splat(4);
    for (i = 4; i + 4 <= n; i += 4) {
      idx = i32x4.add(idx, four);
      const v = v128.load(x + (<usize>i << 2));
      const m = vbetter(op, v, bv);
      bv = v128.bitselect(v, bv, m);
      bi = v128.bitselect(idx, bi, m);
    }
    bestV = f32x4.extract_lane(bv, 0);
    bestI = i32x4.extract_lane(bi, 0);
    let v = f32x4.extract_lane(bv, 1);
    let k = i32x4.extract_lane(bi, 1);
    if (mergeBetter(op, v, k, bestV, bestI)) { bestV = v; bestI = k; }
    v = f32x4.extract_lane(bv, 2);
    k = i32x4.extract_lane(bi, 2);
    if (mergeBetter(op, v, k, bestV, bestI)) { bestV = v; bestI = k; }
    v = f32x4.extract_lane(bv, 3);
    k = i32x4.extract_lane(bi, 3);
    if (mergeBetter(op, v, k, bestV, bestI)) { bestV = v; bestI = k; }
  } else {
    i = 1;
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (sbetter(op, v, bestV)) { bestV = v; bestI = i; }
  }
  return bestI;
}

@inline function argAxis(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  const rowBytes = <usize>len * <usize>inner << 2;
  const strideBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const px = x + <usize>o * rowBytes;
    const po = out + (<usize>o * <usize>inner << 2);
    if (inner == 1) {
      store<i32>(po, argRow(op, px, len));
      continue;
    }
    let j = 0;
    if (len > 0) {
      for (; j + 4 <= inner; j += 4) {
        const pj = px + (<usize>j << 2);
        let bv = v128.load(pj);
        let bi = i32x4.splat(0);
        for (let l = 1; l < len; l++) {
          const v = v128.load(pj + <usize>l * strideBytes);
          const m = vbetter(op, v, bv);
          bv = v128.bitselect(v, bv, m);
          bi = v128.bitselect(i32x4.splat(l), bi, m);
        }
        v128.store(po + (<usize>j << 2), bi);
      }
    }
    for (; j < inner; j++) {
      const pj = px + (<usize>j << 2);
      let bestI = 0;
      if (len > 0) {
        let bestV = load<f32>(pj);
        for (let l = 1; l < len; l++) {
          const v = load<f32>(pj + <usize>l * strideBytes);
          if (sbetter(op, v, bestV)) { bestV = v; bestI = l; }
        }
      }
      store<i32>(po + (<usize>j << 2), bestI);
    }
  }
}

export function argmaxAxisF32(x: usize, outI32: usize, outer: i32, len: i32, inner: i32): void {
  argAxis(R_MAX, x, outI32, outer, len, inner);
}
export function argminAxisF32(x: usize, outI32: usize, outer: i32, len: i32, inner: i32): void {
  argAxis(R_MIN, x, outI32, outer, len, inner);
}

// -------------------------------------------------------------- softmax ---

// Σ exp(x - m) over a row, with the same 4-accumulator pattern as sumRow.
// When `store` is set the exponentials are also written to `out` (softmax
// needs them; logSoftmax only needs the sum).
@inline function expSumRow(x: usize, out: usize, n: i32, m: f32, write: bool): f32 {
  const mv = f32x4.splat(m);
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const e0 = exp4(f32x4.sub(v128.load(x + o), mv));
    const e1 = exp4(f32x4.sub(v128.load(x + o, 16), mv));
    if (write) {
      v128.store(out + o, e0);
      v128.store(out + o, e1, 16);
    }
    a0 = f32x4.add(a0, e0);
    a1 = f32x4.add(a1, e1);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const e0 = exp4(f32x4.sub(v128.load(x + o), mv));
    if (write) v128.store(out + o, e0);
    a0 = f32x4.add(a0, e0);
  }
  let s = <f32>hsum(f32x4.add(a0, a1));
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const e = f32x4.extract_lane(exp4(f32x4.splat(load<f32>(x + o) - m)), 0);
    if (write) store<f32>(out + o, e);
    s += e;
  }
  return s;
}

// A row of all -inf gives m = -inf, x - m = NaN, so the row becomes NaN as in
// torch; a row containing +inf likewise yields NaN.
// Writes softmax(row) to po and returns the row's max m and exp-sum s packed as
// (m, s) in lanes 0 and 1, so callers that need logsumexp = m + log(s) get it.
@inline function softmaxRow(px: usize, po: usize, cols: i32): v128 {
  const m = extremeRow(R_MAX, px, cols);
  const s = expSumRow(px, po, cols, m, true);
  // One division per row, then multiplies (a division per element costs several times more).
  scaleRow(po, po, cols, 1 / s);
  return f32x4.replace_lane(f32x4.splat(m), 1, s);
}

// dst[i] = src[i] · k for i < n; dst may equal src.
@inline function scaleRow(src: usize, dst: usize, n: i32, k: f32): void {
  const kv = f32x4.splat(k);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.mul(v128.load(src + o), kv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(src + o) * k);
  }
}

export function softmaxF32(x: usize, out: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    softmaxRow(x + <usize>r * rowBytes, out + <usize>r * rowBytes, cols);
  }
}

export function logSoftmaxF32(x: usize, out: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const px = x + <usize>r * rowBytes;
    const po = out + <usize>r * rowBytes;
    const m = extremeRow(R_MAX, px, cols);
    const s = expSumRow(px, po, cols, m, false);
    const lse = f32x4.extract_lane(log4(f32x4.splat(s)), 0);
    const mv = f32x4.splat(m);
    const lv = f32x4.splat(lse);
    let i = 0;
    for (; i + 4 <= cols; i += 4) {
      const o = <usize>i << 2;
      v128.store(po + o, f32x4.sub(f32x4.sub(v128.load(px + o), mv), lv));
    }
    for (; i < cols; i++) {
      const o = <usize>i << 2;
      store<f32>(po + o, load<f32>(px + o) - m - lse);
    }
  }
}

// ------------------------------------------------- softmax cross-entropy ---

// Fused forward of cross-entropy over class indices for a contiguous
// [rows, cols] block of logits: probs = softmax(x) per row (kept for the
// backward) and loss[r] = logsumexp(x[r]) - x[r, target[r]], unweighted and
// unreduced (the caller applies class weights, ignoreIndex and the reduction).
// target: i32 [rows], each in [0, cols) (the caller maps ignored rows to 0).
// Aliasing: probs and loss must not overlap x or target.
export function crossEntropyF32(x: usize, target: usize, probs: usize, loss: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const px = x + <usize>r * rowBytes;
    const pp = probs + <usize>r * rowBytes;
    const ms = softmaxRow(px, pp, cols);
    const m = f32x4.extract_lane(ms, 0);
    const lse = m + f32x4.extract_lane(log4(f32x4.splat(f32x4.extract_lane(ms, 1))), 0);
    const t = load<i32>(target + (<usize>r << 2));
    store<f32>(loss + (<usize>r << 2), lse - load<f32>(px + (<usize>t << 2)));
  }
}

// Its backward: gradIn[r, c] = (probs[r, c] - [c == target[r]]) · scale[r],
// where scale[r] folds the incoming gradient, the row's class weight and the
// reduction's divisor (0 for ignored rows). All blocks contiguous.
// Aliasing: gradIn may equal probs (the target's probability is read first).
export function crossEntropyBackwardF32(probs: usize, target: usize, scale: usize, gradIn: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const pp = probs + <usize>r * rowBytes;
    const pg = gradIn + <usize>r * rowBytes;
    const sc = load<f32>(scale + (<usize>r << 2));
    const ot = <usize>load<i32>(target + (<usize>r << 2)) << 2;
    const pt = load<f32>(pp + ot);
    scaleRow(pp, pg, cols, sc);
    // p·s − s rather than (p − 1)·s: an ignored row (s = 0) gets +0, not −0.
    store<f32>(pg + ot, pt * sc - sc);
  }
}
