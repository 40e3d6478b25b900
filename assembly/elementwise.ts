// Elementwise kernels: unary, binary (contiguous and strided/broadcast),
// strided copy, fill and casts.
// Layout: f32/i32 arrays in this module's memory, pointers are byte offsets,
// counts/strides are i32 (strides in elements, non-negative).
// Alignment: only 4-byte alignment is assumed; v128.load/store are used with
// their default (unaligned-safe) semantics.
// Aliasing: `out` may equal an input of the same shape (each element is read
// before the same index is written); partial overlaps are not supported.
// Called by the TS wasm backend (src/backend/wasm.ts); nothing here allocates.
import {
  exp4, log4, tanh4, sigmoid4, geluGrad4, geluTanhGrad4, erf4, log1p4, expm14, sin4, cos4, pow4, powf,
} from "./vmath";
import { SA, SB, SH, coalesce, copyRow, firstRow, geti, nextRow, offA, offB } from "./strided";

// ---------------------------------------------------------------- unary ---

const U_NEG = 0;
const U_ABS = 1;
const U_EXP = 2;
const U_LOG = 3;
const U_SQRT = 4;
const U_RSQRT = 5;
const U_SIN = 6;
const U_COS = 7;
const U_TANH = 8;
const U_SIGMOID = 9;
const U_RELU = 10;
const U_FLOOR = 12;
const U_CEIL = 13;
const U_ROUND = 14;
const U_LOG1P = 15;
const U_EXPM1 = 16;
const U_ERF = 17;
const U_GELU_GRAD = 19;
const U_GELU_TANH_GRAD = 20;

// `op` is always a literal at the call site, so after inlining the chain
// folds to a single branch and each export gets its own tight loop.
@inline function unaryVec(op: i32, v: v128): v128 {
  if (op == U_NEG) return f32x4.neg(v);
  if (op == U_ABS) return f32x4.abs(v);
  if (op == U_EXP) return exp4(v);
  if (op == U_LOG) return log4(v);
  if (op == U_SQRT) return f32x4.sqrt(v);
  if (op == U_RSQRT) return f32x4.div(f32x4.splat(1.0), f32x4.sqrt(v));
  if (op == U_SIN) return sin4(v);
  if (op == U_COS) return cos4(v);
  if (op == U_TANH) return tanh4(v);
  if (op == U_SIGMOID) return sigmoid4(v);
  // torch's clamp_min(x, 0), `x < 0 ? 0 : x`: NaN and -0 pass through (relu(-0.) is -0.). A
  // compare and an and-not; f32x4.max is a long NaN-safe sequence, and pmax measured no faster.
  if (op == U_RELU) return v128.andnot(v, f32x4.lt(v, f32x4.splat(0.0)));
  if (op == U_FLOOR) return f32x4.floor(v);
  if (op == U_CEIL) return f32x4.ceil(v);
  // nearest rounds ties to even, as torch.round.
  if (op == U_ROUND) return f32x4.nearest(v);
  if (op == U_LOG1P) return log1p4(v);
  if (op == U_EXPM1) return expm14(v);
  if (op == U_ERF) return erf4(v);
  if (op == U_GELU_GRAD) return geluGrad4(v);
  return geluTanhGrad4(v); // U_GELU_TANH_GRAD (GELU forward is in fused.ts, beside its backward)
}

@inline function unaryLoop(op: i32, x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, unaryVec(op, v128.load(x + o)));
  }
  // Tail through the vector path on a splat: identical results to the bulk.
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, f32x4.extract_lane(unaryVec(op, f32x4.splat(load<f32>(x + o))), 0));
  }
}

export function negF32(x: usize, out: usize, n: i32): void { unaryLoop(U_NEG, x, out, n); }
export function absF32(x: usize, out: usize, n: i32): void { unaryLoop(U_ABS, x, out, n); }
export function expF32(x: usize, out: usize, n: i32): void { unaryLoop(U_EXP, x, out, n); }
export function logF32(x: usize, out: usize, n: i32): void { unaryLoop(U_LOG, x, out, n); }
export function sqrtF32(x: usize, out: usize, n: i32): void { unaryLoop(U_SQRT, x, out, n); }
export function rsqrtF32(x: usize, out: usize, n: i32): void { unaryLoop(U_RSQRT, x, out, n); }
export function sinF32(x: usize, out: usize, n: i32): void { unaryLoop(U_SIN, x, out, n); }
export function cosF32(x: usize, out: usize, n: i32): void { unaryLoop(U_COS, x, out, n); }
export function tanhF32(x: usize, out: usize, n: i32): void { unaryLoop(U_TANH, x, out, n); }
export function sigmoidF32(x: usize, out: usize, n: i32): void { unaryLoop(U_SIGMOID, x, out, n); }
export function reluF32(x: usize, out: usize, n: i32): void { unaryLoop(U_RELU, x, out, n); }
export function floorF32(x: usize, out: usize, n: i32): void { unaryLoop(U_FLOOR, x, out, n); }
export function ceilF32(x: usize, out: usize, n: i32): void { unaryLoop(U_CEIL, x, out, n); }
export function roundF32(x: usize, out: usize, n: i32): void { unaryLoop(U_ROUND, x, out, n); }
export function log1pF32(x: usize, out: usize, n: i32): void { unaryLoop(U_LOG1P, x, out, n); }
export function expm1F32(x: usize, out: usize, n: i32): void { unaryLoop(U_EXPM1, x, out, n); }
export function erfF32(x: usize, out: usize, n: i32): void { unaryLoop(U_ERF, x, out, n); }
export function geluGradF32(x: usize, out: usize, n: i32): void { unaryLoop(U_GELU_GRAD, x, out, n); }
export function geluTanhGradF32(x: usize, out: usize, n: i32): void { unaryLoop(U_GELU_TANH_GRAD, x, out, n); }

export function clampF32(x: usize, out: usize, n: i32, lo: f32, hi: f32): void {
  // torch.clamp is `min(max(x, lo), hi)` with std::max/min: `x < lo ? lo : x`, then
  // `hi < m ? hi : m`. pmax/pmin are exactly those comparisons (one instruction each): NaN and
  // a zero of either sign pass through unless strictly outside (clamp(-0., 0) is -0.).
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.pmin(f32x4.pmax(v128.load(x + o), vlo), vhi));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    const m = v < lo ? lo : v;
    store<f32>(out + o, hi < m ? hi : m);
  }
}

// torch's threshold_backward: `x <= 0 ? 0 : g`, so a NaN input passes its gradient on.
export function reluBackwardF32(x: usize, gradOut: usize, gradIn: usize, n: i32): void {
  const zero = f32x4.splat(0.0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const off = f32x4.le(v128.load(x + o), zero);
    v128.store(gradIn + o, v128.andnot(v128.load(gradOut + o), off));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(gradIn + o, load<f32>(x + o) <= 0 ? 0 : load<f32>(gradOut + o));
  }
}

// --------------------------------------------------------------- binary ---

// Op codes are part of the ABI (binaryF32's `op`); their one source is shared with the TS backend.
import {
  ADD as B_ADD, SUB as B_SUB, MUL as B_MUL, DIV as B_DIV, POW as B_POW, MAXIMUM as B_MAX, MINIMUM as B_MIN,
} from "../src/backend/op-codes";

@inline function binaryVec(op: i32, a: v128, b: v128): v128 {
  if (op == B_ADD) return f32x4.add(a, b);
  if (op == B_SUB) return f32x4.sub(a, b);
  if (op == B_MUL) return f32x4.mul(a, b);
  if (op == B_DIV) return f32x4.div(a, b);
  if (op == B_POW) return pow4(a, b);
  // wasm min/max return NaN if either lane is NaN (torch.maximum semantics).
  if (op == B_MAX) return f32x4.max(a, b);
  return f32x4.min(a, b);
}

@inline function binaryScalar(op: i32, a: f32, b: f32): f32 {
  if (op == B_ADD) return a + b;
  if (op == B_SUB) return a - b;
  if (op == B_MUL) return a * b;
  if (op == B_DIV) return a / b;
  if (op == B_POW) return powf(a, b);
  if (op == B_MAX) return Mathf.max(a, b);
  return Mathf.min(a, b);
}

// One row of a binary op with element strides sa/sb; the three SIMD cases
// cover contiguous, row-broadcast and scalar-broadcast operands.
@inline function binaryRow(op: i32, a: usize, b: usize, out: usize, n: i32, sa: i32, sb: i32): void {
  let i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, binaryVec(op, v128.load(a + o), v128.load(b + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, binaryScalar(op, load<f32>(a + o), load<f32>(b + o)));
    }
  } else if (sa == 1 && sb == 0) {
    const bs = load<f32>(b);
    const bv = f32x4.splat(bs);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, binaryVec(op, v128.load(a + o), bv));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, binaryScalar(op, load<f32>(a + o), bs));
    }
  } else if (sa == 0 && sb == 1) {
    const as = load<f32>(a);
    const av = f32x4.splat(as);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, binaryVec(op, av, v128.load(b + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, binaryScalar(op, as, load<f32>(b + o)));
    }
  } else {
    const da = <usize>sa << 2;
    const db = <usize>sb << 2;
    let pa = a;
    let pb = b;
    for (; i < n; i++) {
      store<f32>(out + (<usize>i << 2), binaryScalar(op, load<f32>(pa), load<f32>(pb)));
      pa += da;
      pb += db;
    }
  }
}

export function addF32(a: usize, b: usize, out: usize, n: i32): void { binaryRow(B_ADD, a, b, out, n, 1, 1); }
export function subF32(a: usize, b: usize, out: usize, n: i32): void { binaryRow(B_SUB, a, b, out, n, 1, 1); }
export function mulF32(a: usize, b: usize, out: usize, n: i32): void { binaryRow(B_MUL, a, b, out, n, 1, 1); }
export function divF32(a: usize, b: usize, out: usize, n: i32): void { binaryRow(B_DIV, a, b, out, n, 1, 1); }
export function powF32(a: usize, b: usize, out: usize, n: i32): void { binaryRow(B_POW, a, b, out, n, 1, 1); }
export function maximumF32(a: usize, b: usize, out: usize, n: i32): void { binaryRow(B_MAX, a, b, out, n, 1, 1); }
export function minimumF32(a: usize, b: usize, out: usize, n: i32): void { binaryRow(B_MIN, a, b, out, n, 1, 1); }

// ------------------------------------------------- strided iteration -----

@inline function stridedBinary(op: i32, a: usize, b: usize, out: usize, nd: i32): void {
  const inner = geti(SH, nd - 1);
  const ia = geti(SA, nd - 1);
  const ib = geti(SB, nd - 1);
  const rows = firstRow(nd);
  let po = out;
  const rowBytes = <usize>inner << 2;
  for (let r = 0; r < rows; r++) {
    binaryRow(op, a + (offA << 2), b + (offB << 2), po, inner, ia, ib);
    po += rowBytes;
    nextRow(nd);
  }
}

export function binaryF32(op: i32, a: usize, b: usize, out: usize, ndim: i32, meta: usize): void {
  const sb = meta + (<usize>ndim << 3);
  const nd = coalesce(ndim, meta, meta + (<usize>ndim << 2), sb, sb);
  if (nd == 0) return;
  // Dispatch once, outside the loops, into per-op specialised copies.
  switch (op) {
    case B_ADD: stridedBinary(B_ADD, a, b, out, nd); break;
    case B_SUB: stridedBinary(B_SUB, a, b, out, nd); break;
    case B_MUL: stridedBinary(B_MUL, a, b, out, nd); break;
    case B_DIV: stridedBinary(B_DIV, a, b, out, nd); break;
    case B_POW: stridedBinary(B_POW, a, b, out, nd); break;
    case B_MAX: stridedBinary(B_MAX, a, b, out, nd); break;
    case B_MIN: stridedBinary(B_MIN, a, b, out, nd); break;
    default: break;
  }
}

// Materialise a strided view of 4-byte elements (f32 or i32: bits are moved
// as-is, so NaN payloads survive) into contiguous `out`.
export function copy32(x: usize, out: usize, ndim: i32, meta: usize): void {
  const strides = meta + (<usize>ndim << 2);
  const nd = coalesce(ndim, meta, strides, strides, strides);
  if (nd == 0) return;
  const inner = geti(SH, nd - 1);
  const is = geti(SA, nd - 1);
  const rows = firstRow(nd);
  let po = out;
  const rowBytes = <usize>inner << 2;
  for (let r = 0; r < rows; r++) {
    copyRow(x + (offA << 2), po, inner, is);
    po += rowBytes;
    nextRow(nd);
  }
}

// Write a strided view of 4-byte elements into a strided `out` (bits as-is):
// cat's slices and copy_ into a view. meta rows: shape, out's strides, x's.
// Callers never pass overlapping views other than x == out exactly.
export function assign32(x: usize, out: usize, ndim: i32, meta: usize): void {
  const so = meta + (<usize>ndim << 2);
  const sx = meta + (<usize>ndim << 3);
  const nd = coalesce(ndim, meta, so, sx, sx);
  if (nd == 0) return;
  const inner = geti(SH, nd - 1);
  const os = geti(SA, nd - 1);
  const is = geti(SB, nd - 1);
  const rows = firstRow(nd);
  for (let r = 0; r < rows; r++) {
    const po = out + (offA << 2);
    if (os == 1) copyRow(x + (offB << 2), po, inner, is);
    else {
      const dx = <usize>is << 2;
      const dout = <usize>os << 2;
      let q = x + (offB << 2);
      let o = po;
      for (let i = 0; i < inner; i++) {
        store<i32>(o, load<i32>(q));
        q += dx;
        o += dout;
      }
    }
    nextRow(nd);
  }
}

// ------------------------------------------------------- fill and casts ---

export function fillI32(out: usize, n: i32, v: i32): void {
  const vv = i32x4.splat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), vv);
  for (; i < n; i++) store<i32>(out + (<usize>i << 2), v);
}

export function fillF32(out: usize, n: i32, v: f32): void {
  fillI32(out, n, reinterpret<i32>(v));
}

export function castI32F32(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.convert_i32x4_s(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, <f32>load<i32>(x + o));
  }
}

// Truncates toward zero; out-of-range saturates and NaN gives 0 (the C cast
// is undefined there, trunc_sat at least makes it deterministic).
export function castF32I32(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, i32x4.trunc_sat_f32x4_s(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<i32>(out + o, i32x4.extract_lane(i32x4.trunc_sat_f32x4_s(f32x4.splat(load<f32>(x + o))), 0));
  }
}
