// Vector math for the elementwise, softmax and activation kernels.
// Layout: pure register functions on f32x4 (v128) values; no memory access.
// Alignment/aliasing: n/a. Callers: elementwise.ts (unary kernels),
// reduce.ts (softmax, sums) and gemm.ts (gemv). All helpers are @inline so
// each kernel loop gets a straight-line body with constants hoisted by binaryen.
// Scalar tails call these same functions on a splatted lane so bulk and tail
// results are bit-identical.

// The sum of a vector's four lanes, in f64 (a row total's last step).
@inline export function hsum(v: v128): f64 {
  return <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1) +
    <f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3);
}

// Horner step: p*x + c (no FMA: relaxed-simd is not available by default and
// would make results platform dependent).
@inline export function mad(p: v128, x: v128, c: f32): v128 {
  return f32x4.add(f32x4.mul(p, x), f32x4.splat(c));
}

// Cephes-style expf. Range reduction x = n·ln2 + r with a split ln2 so r is
// accurate, degree-5 polynomial on r, then 2^n applied as two halves so that
// results in the subnormal range round once and exp(>88.72) overflows to inf.
@inline export function exp4(x0: v128): v128 {
  // Beyond these bounds the result is already inf / 0; clamping keeps n in a
  // range where both halves of 2^n are normal floats. NaN survives min/max.
  // pmin/pmax with x first keep NaN and are one instruction each, unlike min/max.
  const x = f32x4.pmin(f32x4.pmax(x0, f32x4.splat(-104.0)), f32x4.splat(89.0));
  // Round x·log2(e) to nearest by adding 1.5·2^23: the float's low mantissa bits are then the
  // integer n itself, which saves the nearest and trunc_sat conversions (many instructions each).
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), f32x4.splat(12582912.0));
  const fx = f32x4.sub(t, f32x4.splat(12582912.0));
  let r = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  const z = f32x4.mul(r, r);
  let p = f32x4.splat(1.9875691500e-4);
  p = mad(p, r, 1.3981999507e-3);
  p = mad(p, r, 8.3334519073e-3);
  p = mad(p, r, 4.1665795894e-2);
  p = mad(p, r, 1.6666665459e-1);
  p = mad(p, r, 5.0000001201e-1);
  const y = f32x4.add(f32x4.add(f32x4.mul(p, z), r), f32x4.splat(1.0));
  const n = i32x4.sub(t, f32x4.splat(12582912.0));
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(y, s1), s2);
}

// Cephes-style logf: x = m·2^e with m in [sqrt(.5), sqrt(2)), polynomial in
// m-1. Subnormal inputs are pre-scaled by 2^23 so they keep full precision.
@inline export function log4(x0: v128): v128 {
  const sub = f32x4.lt(x0, f32x4.splat(1.17549435e-38));
  const x = v128.bitselect(f32x4.mul(x0, f32x4.splat(8388608.0)), x0, sub);
  let e = i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(126));
  e = i32x4.sub(e, v128.and(sub, i32x4.splat(23)));
  let m = v128.or(v128.and(x, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  let ef = f32x4.convert_i32x4_s(e);
  const lo = f32x4.lt(m, f32x4.splat(0.707106781186547524));
  const tmp = v128.and(m, lo);
  m = f32x4.sub(m, f32x4.splat(1.0));
  ef = f32x4.sub(ef, v128.and(f32x4.splat(1.0), lo));
  m = f32x4.add(m, tmp);
  const z = f32x4.mul(m, m);
  let p = f32x4.splat(7.0376836292e-2);
  p = mad(p, m, -1.1514610310e-1);
  p = mad(p, m, 1.1676998740e-1);
  p = mad(p, m, -1.2420140846e-1);
  p = mad(p, m, 1.4249322787e-1);
  p = mad(p, m, -1.6668057665e-1);
  p = mad(p, m, 2.0000714765e-1);
  p = mad(p, m, -2.4999993993e-1);
  p = mad(p, m, 3.3333331174e-1);
  let y = f32x4.mul(f32x4.mul(p, m), z);
  y = f32x4.add(y, f32x4.mul(ef, f32x4.splat(-2.12194440e-4)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  let res = f32x4.add(m, y);
  res = f32x4.add(res, f32x4.mul(ef, f32x4.splat(0.693359375)));
  // Special cases last so they override whatever the bit tricks produced.
  res = v128.bitselect(f32x4.splat(-Infinity), res, f32x4.eq(x0, f32x4.splat(0.0)));
  res = v128.bitselect(f32x4.splat(NaN), res, f32x4.lt(x0, f32x4.splat(0.0)));
  res = v128.bitselect(x0, res, f32x4.eq(x0, f32x4.splat(Infinity)));
  res = v128.bitselect(x0, res, f32x4.ne(x0, x0));
  return res;
}

// tanh: odd polynomial near 0 (where 1 - 2/(e^2x+1) would cancel), the exp
// form elsewhere; exp overflowing to inf makes the exp form saturate to 1.
@inline export function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = mad(p, z, 2.06390887954e-2);
  p = mad(p, z, -5.37397155531e-2);
  p = mad(p, z, 1.33314422036e-1);
  p = mad(p, z, -3.33332819422e-1);
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), ax), ax);
  const e = exp4(f32x4.add(ax, ax));
  const large = f32x4.sub(
    f32x4.splat(1.0),
    f32x4.div(f32x4.splat(2.0), f32x4.add(e, f32x4.splat(1.0))),
  );
  const mag = v128.bitselect(small, large, f32x4.lt(ax, f32x4.splat(0.625)));
  // Odd function: copy x's sign bit (also keeps tanh(-0) = -0).
  return v128.bitselect(x, mag, i32x4.splat(0x80000000));
}

// sigmoid via e = exp(-|x|) so exp never overflows; for x<0 use e/(1+e) to
// keep relative accuracy in the tiny tail instead of 1/(1+huge).
@inline export function sigmoid4(x: v128): v128 {
  const e = exp4(f32x4.neg(f32x4.abs(x)));
  const s = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), e));
  return v128.bitselect(f32x4.mul(e, s), s, f32x4.lt(x, f32x4.splat(0.0)));
}

// erf(a) = a·P(a²) for 0 ≤ a < 1 (s = a²): fitted least-squares in relative error, < 5e-8 in
// exact arithmetic.
@inline function erfSmall4(a: v128, s: v128): v128 {
  let p = f32x4.splat(7.898139301687479e-5);
  p = mad(p, s, -0.0008024335256777704);
  p = mad(p, s, 0.005190051626414061);
  p = mad(p, s, -0.026854807510972023);
  p = mad(p, s, 0.11283612251281738);
  p = mad(p, s, -0.3761262893676758);
  p = mad(p, s, 1.128379225730896);
  return f32x4.mul(a, p);
}

// erfc(a) = exp(-a²)·T(1/(1+0.4a)) for a ≥ 1 (s = a², e = exp(-a²)), fitted like erfSmall4.
@inline function erfcBig4(a: v128, e: v128): v128 {
  const t = f32x4.div(
    f32x4.splat(1.0),
    f32x4.add(f32x4.splat(1.0), f32x4.mul(a, f32x4.splat(0.4))),
  );
  let q = f32x4.splat(-0.12041402608156204);
  q = mad(q, t, 0.25611862540245056);
  q = mad(q, t, -0.007439415901899338);
  q = mad(q, t, 0.22367054224014282);
  q = mad(q, t, 0.1946076601743698);
  q = mad(q, t, 0.227645143866539);
  q = mad(q, t, 0.22551029920578003);
  q = mad(q, t, 5.9229987527942285e-6);
  return f32x4.mul(e, q);
}

// erf(x): odd, so computed on |x| and given x's sign back.
@inline export function erf4(x: v128): v128 {
  const a = f32x4.abs(x);
  const s = f32x4.mul(a, a);
  const isSmall = f32x4.lt(a, f32x4.splat(1.0));
  const mag = v128.bitselect(erfSmall4(a, s), f32x4.sub(f32x4.splat(1.0), erfcBig4(a, exp4(f32x4.neg(s)))), isSmall);
  return v128.bitselect(x, mag, i32x4.splat(0x80000000));
}

// Φ(x) = ½·erfc(-x/√2), the standard normal CDF, given e = exp(-x²/2) (which GELU's derivative
// needs too): with a = |x|/√2, erfc(a) = e·Q(t), t = 1/(1 + 0.35a), one polynomial fitted for every
// a in [0, 10.5] (beyond, e underflows), relative error < 3e-8 in exact arithmetic; the Φ of x ≥ 0
// is 1 − ½·erfc(a), of x < 0 ½·erfc(a) (the negative tail keeps its relative accuracy). Where erf
// needs a second polynomial below a = 1 for relative accuracy near 0, Φ is near ½ there, so one
// fit serves: a division, 9 multiply-adds and the exp, against two fits for erf4.
@inline function phi4(x: v128, e: v128): v128 {
  const a = f32x4.abs(f32x4.mul(x, f32x4.splat(0.707106781186547524)));
  const t = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), f32x4.mul(a, f32x4.splat(0.35))));
  let q = f32x4.splat(0.06312993913888931);
  q = mad(q, t, -0.38180288672447205);
  q = mad(q, t, 0.7963575124740601);
  q = mad(q, t, -0.6819050312042236);
  q = mad(q, t, 0.6235260367393494);
  q = mad(q, t, -0.04841502383351326);
  q = mad(q, t, 0.24331346154212952);
  q = mad(q, t, 0.18736770749092102);
  q = mad(q, t, 0.19847173988819122);
  q = mad(q, t, -4.3510066461749375e-05);
  const halfErfc = f32x4.mul(f32x4.mul(e, q), f32x4.splat(0.5));
  return v128.bitselect(f32x4.sub(f32x4.splat(1.0), halfErfc), halfErfc, f32x4.ge(x, f32x4.splat(0.0)));
}

// Exact GELU x·Φ(x).
@inline function halfSquareExp4(x: v128): v128 {
  return exp4(f32x4.mul(f32x4.mul(x, x), f32x4.splat(-0.5)));
}

@inline export function gelu4(x: v128): v128 {
  const phi = phi4(x, halfSquareExp4(x));
  // Φ underflowing to 0 at x = -inf would give -inf·0 = NaN; the limit is 0.
  const g = f32x4.mul(x, phi);
  return v128.andnot(g, f32x4.eq(phi, f32x4.splat(0.0)));
}

// d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = e^(-x²/2)/√(2π).
@inline export function geluGrad4(x: v128): v128 {
  const e = halfSquareExp4(x);
  return f32x4.add(phi4(x, e), f32x4.mul(x, f32x4.mul(e, f32x4.splat(0.3989422804014327))));
}

// tanh(√(2/π)·(x + 0.044715·x³)), shared by the tanh GELU and its derivative.
@inline function geluTanhInner4(x: v128): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  return tanh4(f32x4.mul(f32x4.add(x, f32x4.mul(x3, f32x4.splat(0.044715))), f32x4.splat(0.7978845608028654)));
}

// The tanh approximation ½x(1 + tanh(√(2/π)(x + 0.044715x³))), as PyTorch's approximate='tanh'.
@inline export function geluTanh4(x: v128): v128 {
  const t = geluTanhInner4(x);
  return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(f32x4.splat(1.0), t));
}

// Its derivative: ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²).
@inline export function geluTanhGrad4(x: v128): v128 {
  const t = geluTanhInner4(x);
  const half = f32x4.splat(0.5);
  const one = f32x4.splat(1.0);
  const inner = f32x4.mul(f32x4.add(one, f32x4.mul(f32x4.mul(x, x), f32x4.splat(0.134145))), f32x4.splat(0.7978845608028654));
  const slope = f32x4.mul(f32x4.mul(f32x4.mul(half, x), f32x4.sub(one, f32x4.mul(t, t))), inner);
  return f32x4.add(f32x4.mul(half, f32x4.add(one, t)), slope);
}

// Per-lane scalar fallback (used for sin/cos, log1p/expm1 and pow): Mathf is accurate and
// these ops are rarely hot enough to justify a SIMD polynomial.
@inline export function sin4(x: v128): v128 {
  let r = f32x4.splat(Mathf.sin(f32x4.extract_lane(x, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.sin(f32x4.extract_lane(x, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.sin(f32x4.extract_lane(x, 2)));
  r = f32x4.replace_lane(r, 3, Mathf.sin(f32x4.extract_lane(x, 3)));
  return r;
}

@inline export function cos4(x: v128): v128 {
  let r = f32x4.splat(Mathf.cos(f32x4.extract_lane(x, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.cos(f32x4.extract_lane(x, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.cos(f32x4.extract_lane(x, 2)));
  r = f32x4.replace_lane(r, 3, Mathf.cos(f32x4.extract_lane(x, 3)));
  return r;
}

@inline export function log1p4(x: v128): v128 {
  let r = f32x4.splat(Mathf.log1p(f32x4.extract_lane(x, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.log1p(f32x4.extract_lane(x, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.log1p(f32x4.extract_lane(x, 2)));
  r = f32x4.replace_lane(r, 3, Mathf.log1p(f32x4.extract_lane(x, 3)));
  return r;
}

@inline export function expm14(x: v128): v128 {
  let r = f32x4.splat(Mathf.expm1(f32x4.extract_lane(x, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.expm1(f32x4.extract_lane(x, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.expm1(f32x4.extract_lane(x, 2)));
  r = f32x4.replace_lane(r, 3, Mathf.expm1(f32x4.extract_lane(x, 3)));
  return r;
}

// C powf: pow(1, y) = 1 even for NaN y; AS's Mathf.pow returns NaN there.
@inline export function powf(a: f32, b: f32): f32 {
  return a == 1 ? 1 : Mathf.pow(a, b);
}

@inline export function pow4(a: v128, b: v128): v128 {
  let r = f32x4.splat(powf(f32x4.extract_lane(a, 0), f32x4.extract_lane(b, 0)));
  r = f32x4.replace_lane(r, 1, powf(f32x4.extract_lane(a, 1), f32x4.extract_lane(b, 1)));
  r = f32x4.replace_lane(r, 2, powf(f32x4.extract_lane(a, 2), f32x4.extract_lane(b, 2)));
  r = f32x4.replace_lane(r, 3, powf(f32x4.extract_lane(a, 3), f32x4.extract_lane(b, 3)));
  return r;
}
