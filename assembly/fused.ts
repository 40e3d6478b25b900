// Fused single-pass kernels for the Transformer hot path: GELU forward and
// backward (both forms; here rather than with the other unary kernels, so the
// GEMM worker build exports them without elementwise.ts's static data),
// softmax/log-softmax backward, and LayerNorm forward and backward. Each replaces a chain of elementwise ops and reductions that
// would read and write the whole tensor once per op.
// Layout: contiguous f32 rows [rows, cols] (softmax along the last axis,
// LayerNorm over the trailing cols elements); pointers are byte offsets and
// 0 means "absent" for the optional weight/bias/gradient pointers (the TS
// allocator never hands out address 0: it starts at heapBase).
// Alignment: 4-byte only (v128 loads/stores are unaligned-safe).
// Aliasing: outputs must not overlap inputs, except gradIn == gradOut for
// the elementwise GELU backward.
// Called by the TS wasm backend (src/backend/wasm.ts); nothing allocates.
import { exp4, gelu4, geluTanh4, geluTanhGrad4 } from "./vmath";

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) +
    f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// ------------------------------------------------------------------ gelu ---

@inline function geluValue(tanhForm: bool, x: v128): v128 {
  return tanhForm ? geluTanh4(x) : gelu4(x);
}

// The tail goes through the vector path on a splat, so a range split anywhere gives the same bits.
@inline function geluLoop(tanhForm: bool, x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, geluValue(tanhForm, v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, f32x4.extract_lane(geluValue(tanhForm, f32x4.splat(load<f32>(x + o))), 0));
  }
}

export function geluF32(x: usize, out: usize, n: i32): void { geluLoop(false, x, out, n); }
export function geluTanhF32(x: usize, out: usize, n: i32): void { geluLoop(true, x, out, n); }

// gelu'(x). The exact form takes Φ(x) = y/x from the forward's y = x·Φ(x), so its slope Φ + x·φ
// needs no erf fit, only the exp for φ; below |x| = 2⁻²⁰, where y/x would lose digits (or be 0/0),
// Φ is its first-order expansion ½ + x·φ(0), exact far below float32's resolution there. The tanh
// form recomputes its tanh from x: recovering 1 + tanh from y leaves 1 − tanh², the slope's second
// term, with few correct digits where tanh is near ±1 (3e-6 absolute at x ≈ 4.7 against 1.6e-6).
@inline function geluSlope(tanhForm: bool, x: v128, y: v128): v128 {
  if (tanhForm) return geluTanhGrad4(x);
  const c = f32x4.splat(0.3989422804014327);
  const nearZero = f32x4.lt(f32x4.abs(x), f32x4.splat(9.5367431640625e-7));
  const phi = v128.bitselect(f32x4.add(f32x4.splat(0.5), f32x4.mul(x, c)), f32x4.div(y, x), nearZero);
  return f32x4.add(phi, f32x4.mul(x, f32x4.mul(exp4(f32x4.mul(f32x4.mul(x, x), f32x4.splat(-0.5))), c)));
}

@inline function geluBackwardLoop(tanhForm: bool, x: usize, y: usize, g: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(g + o), geluSlope(tanhForm, v128.load(x + o), v128.load(y + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const slope = geluSlope(tanhForm, f32x4.splat(load<f32>(x + o)), f32x4.splat(load<f32>(y + o)));
    store<f32>(out + o, load<f32>(g + o) * f32x4.extract_lane(slope, 0));
  }
}

// gradIn = gradOut · gelu'(x) in one pass, from x and the forward's output y
// (the unfused form computes the slope into a temporary, then multiplies).
export function geluBackwardF32(x: usize, y: usize, g: usize, out: usize, n: i32, tanhForm: i32): void {
  if (tanhForm) geluBackwardLoop(true, x, y, g, out, n);
  else geluBackwardLoop(false, x, y, g, out, n);
}

// --------------------------------------------------------------- softmax ---

// Σ a[i]·b[i] over a row (b == 0: Σ a[i]), two accumulators.
@inline function dotRow(a: usize, b: usize, n: i32, plain: bool): f32 {
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    if (plain) {
      s0 = f32x4.add(s0, v128.load(a + o));
      s1 = f32x4.add(s1, v128.load(a + o, 16));
    } else {
      s0 = f32x4.add(s0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
      s1 = f32x4.add(s1, f32x4.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
    }
  }
  let s = hsum(f32x4.add(s0, s1));
  for (; i < n; i++) {
    const o = <usize>i << 2;
    s += plain ? load<f32>(a + o) : load<f32>(a + o) * load<f32>(b + o);
  }
  return s;
}

// softmax: gradIn = y·(g − Σ g·y); log-softmax (y = log-probabilities):
// gradIn = g − e^y·Σ g. One row read twice, written once.
export function softmaxBackwardF32(y: usize, g: usize, out: usize, rows: i32, cols: i32, log: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const py = y + <usize>r * rowBytes;
    const pg = g + <usize>r * rowBytes;
    const po = out + <usize>r * rowBytes;
    const s = dotRow(pg, py, cols, log != 0);
    const sv = f32x4.splat(s);
    let i = 0;
    for (; i + 4 <= cols; i += 4) {
      const o = <usize>i << 2;
      const yv = v128.load(py + o);
      const gv = v128.load(pg + o);
      v128.store(po + o, log ? f32x4.sub(gv, f32x4.mul(exp4(yv), sv)) : f32x4.mul(yv, f32x4.sub(gv, sv)));
    }
    for (; i < cols; i++) {
      const o = <usize>i << 2;
      const yv = load<f32>(py + o);
      const gv = load<f32>(pg + o);
      store<f32>(po + o, log ? gv - f32x4.extract_lane(exp4(f32x4.splat(yv)), 0) * s : yv * (gv - s));
    }
  }
}

// ------------------------------------------------------------- layerNorm ---

// Each row: mean, then the biased variance of (x − mean) from the row while
// it is in cache (two passes over one row, not two over the tensor), then
// out = (x − mean)·rstd·w + b. mean and rstd are saved for the backward.
export function layerNormF32(x: usize, w: usize, b: usize, out: usize, meanOut: usize, rstdOut: usize, rows: i32, cols: i32, eps: f32): void {
  const rowBytes = <usize>cols << 2;
  const inv = <f32>1 / <f32>cols;
  for (let r = 0; r < rows; r++) {
    const px = x + <usize>r * rowBytes;
    const po = out + <usize>r * rowBytes;
    const mean = dotRow(px, 0, cols, true) * inv;
    const mv = f32x4.splat(mean);
    let v0 = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= cols; i += 4) {
      const d = f32x4.sub(v128.load(px + (<usize>i << 2)), mv);
      v0 = f32x4.add(v0, f32x4.mul(d, d));
    }
    let variance = hsum(v0);
    for (; i < cols; i++) {
      const d = load<f32>(px + (<usize>i << 2)) - mean;
      variance += d * d;
    }
    const rstd = <f32>1 / Mathf.sqrt(variance * inv + eps);
    store<f32>(meanOut + (<usize>r << 2), mean);
    store<f32>(rstdOut + (<usize>r << 2), rstd);
    const rv = f32x4.splat(rstd);
    i = 0;
    for (; i + 4 <= cols; i += 4) {
      const o = <usize>i << 2;
      let v = f32x4.mul(f32x4.sub(v128.load(px + o), mv), rv);
      if (w) v = f32x4.mul(v, v128.load(w + o));
      if (b) v = f32x4.add(v, v128.load(b + o));
      v128.store(po + o, v);
    }
    for (; i < cols; i++) {
      const o = <usize>i << 2;
      let v = (load<f32>(px + o) - mean) * rstd;
      if (w) v *= load<f32>(w + o);
      if (b) v += load<f32>(b + o);
      store<f32>(po + o, v);
    }
  }
}

// With x̂ = (x − mean)·rstd and dy = g·w: gradIn = rstd·(dy − mean(dy) −
// x̂·mean(dy·x̂)); gradW += g·x̂ and gradB += g (accumulated over rows: the
// caller zeroes them). x̂ is recomputed rather than stored.
export function layerNormBackwardF32(x: usize, g: usize, w: usize, meanIn: usize, rstdIn: usize, gradIn: usize, gradW: usize, gradB: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  const inv = <f32>1 / <f32>cols;
  for (let r = 0; r < rows; r++) {
    const px = x + <usize>r * rowBytes;
    const pg = g + <usize>r * rowBytes;
    const pi = gradIn + <usize>r * rowBytes;
    const mean = load<f32>(meanIn + (<usize>r << 2));
    const rstd = load<f32>(rstdIn + (<usize>r << 2));
    const mv = f32x4.splat(mean);
    const rv = f32x4.splat(rstd);
    let a0 = f32x4.splat(0);
    let b0 = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= cols; i += 4) {
      const o = <usize>i << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(px + o), mv), rv);
      const gv = v128.load(pg + o);
      const dy = w ? f32x4.mul(gv, v128.load(w + o)) : gv;
      a0 = f32x4.add(a0, dy);
      b0 = f32x4.add(b0, f32x4.mul(dy, xh));
      if (gradW) v128.store(gradW + o, f32x4.add(v128.load(gradW + o), f32x4.mul(gv, xh)));
      if (gradB) v128.store(gradB + o, f32x4.add(v128.load(gradB + o), gv));
    }
    let sumDy = hsum(a0);
    let sumDyXh = hsum(b0);
    for (let j = i; j < cols; j++) {
      const o = <usize>j << 2;
      const xh = (load<f32>(px + o) - mean) * rstd;
      const gv = load<f32>(pg + o);
      const dy = w ? gv * load<f32>(w + o) : gv;
      sumDy += dy;
      sumDyXh += dy * xh;
      if (gradW) store<f32>(gradW + o, load<f32>(gradW + o) + gv * xh);
      if (gradB) store<f32>(gradB + o, load<f32>(gradB + o) + gv);
    }
    const c1 = sumDy * inv;
    const c2 = sumDyXh * inv;
    const c1v = f32x4.splat(c1);
    const c2v = f32x4.splat(c2);
    i = 0;
    for (; i + 4 <= cols; i += 4) {
      const o = <usize>i << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(px + o), mv), rv);
      const gv = v128.load(pg + o);
      const dy = w ? f32x4.mul(gv, v128.load(w + o)) : gv;
      v128.store(pi + o, f32x4.mul(rv, f32x4.sub(f32x4.sub(dy, c1v), f32x4.mul(xh, c2v))));
    }
    for (; i < cols; i++) {
      const o = <usize>i << 2;
      const xh = (load<f32>(px + o) - mean) * rstd;
      const gv = load<f32>(pg + o);
      const dy = w ? gv * load<f32>(w + o) : gv;
      store<f32>(pi + o, rstd * (dy - c1 - xh * c2));
    }
  }
}
