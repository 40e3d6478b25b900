// Fused LSTM and GRU gate kernels: one call per time step, forward and
// backward, around the step's GEMM against weight_hh (src/nn/rnn-fused.ts).
// Each replaces the ~15 elementwise ops (chunk, sigmoid, tanh, mul, add…) a
// composed step runs, and their ~15 temporaries, with one pass over the step.
// Layout: contiguous f32 rows; `rows` is the batch, `hidden` is H; gate blocks
// are [rows, 4H] (LSTM: i, f, g, o) or [rows, 3H] (GRU: r, z, n), states
// [rows, H]. Pointers are byte offsets; 0 means "absent" for the optional
// ones (the TS allocator never hands out address 0).
// Aliasing: an output may be the same block as an input read at the same
// index (noted per kernel); otherwise no overlap.
// Columns go four at a time with a scalar tail that runs the same vector code
// on a splatted lane, so bulk and tail results are bit-identical.
import { sigmoid4, tanh4 } from "./vmath";

@inline function ld(wide: bool, p: usize): v128 {
  return wide ? v128.load(p) : f32x4.splat(load<f32>(p));
}

@inline function st(wide: bool, p: usize, v: v128): void {
  if (wide) v128.store(p, v);
  else store<f32>(p, f32x4.extract_lane(v, 0));
}

@inline function oneMinus(x: v128): v128 {
  return f32x4.sub(f32x4.splat(1), x);
}

// ------------------------------------------------------------------ LSTM ---

@inline function lstmAt(wide: bool, gates: usize, hb: usize, cPrev: usize, c: usize, h: usize): void {
  const i = sigmoid4(ld(wide, gates));
  const f = sigmoid4(ld(wide, gates + hb));
  const g = tanh4(ld(wide, gates + 2 * hb));
  const o = sigmoid4(ld(wide, gates + 3 * hb));
  const cNext = f32x4.add(f32x4.mul(f, ld(wide, cPrev)), f32x4.mul(i, g));
  st(wide, gates, i);
  st(wide, gates + hb, f);
  st(wide, gates + 2 * hb, g);
  st(wide, gates + 3 * hb, o);
  st(wide, c, cNext);
  st(wide, h, f32x4.mul(o, tanh4(cNext)));
}

// One LSTM step from its pre-activations gates [rows, 4H] (x·W_ihᵀ + b_ih +
// h·W_hhᵀ + b_hh): overwrites them with the activated gates i, f, g, o (what
// the backward reads), writes c = f·cPrev + i·g and h = o·tanh(c).
export function lstmCellF32(gates: usize, cPrev: usize, c: usize, h: usize, rows: i32, hidden: i32): void {
  const hb = <usize>hidden << 2;
  for (let r = 0; r < rows; r++) {
    const gRow = gates + <usize>r * 4 * hb;
    const sRow = <usize>r * hb;
    let j = 0;
    for (; j + 4 <= hidden; j += 4) {
      const o = <usize>j << 2;
      lstmAt(true, gRow + o, hb, cPrev + sRow + o, c + sRow + o, h + sRow + o);
    }
    for (; j < hidden; j++) {
      const o = <usize>j << 2;
      lstmAt(false, gRow + o, hb, cPrev + sRow + o, c + sRow + o, h + sRow + o);
    }
  }
}

@inline function lstmBackAt(
  wide: bool, gates: usize, hb: usize, cPrev: usize, c: usize, dhOut: usize, dh: usize, dc: usize, dGates: usize, dcPrev: usize,
): void {
  const i = ld(wide, gates);
  const f = ld(wide, gates + hb);
  const g = ld(wide, gates + 2 * hb);
  const o = ld(wide, gates + 3 * hb);
  let dhT = ld(wide, dh);
  if (dhOut) dhT = f32x4.add(dhT, ld(wide, dhOut));
  // tanh(c) is recomputed rather than saved: one more tanh per element
  // against a [T, rows, H] buffer written and read back.
  const tc = tanh4(ld(wide, c));
  const dcT = f32x4.add(ld(wide, dc), f32x4.mul(f32x4.mul(dhT, o), oneMinus(f32x4.mul(tc, tc))));
  st(wide, dGates, f32x4.mul(f32x4.mul(dcT, g), f32x4.mul(i, oneMinus(i))));
  st(wide, dGates + hb, f32x4.mul(f32x4.mul(dcT, ld(wide, cPrev)), f32x4.mul(f, oneMinus(f))));
  st(wide, dGates + 2 * hb, f32x4.mul(f32x4.mul(dcT, i), oneMinus(f32x4.mul(g, g))));
  st(wide, dGates + 3 * hb, f32x4.mul(f32x4.mul(dhT, tc), f32x4.mul(o, oneMinus(o))));
  st(wide, dcPrev, f32x4.mul(dcT, f));
}

// The step's backward: from the activated gates, cPrev and c, the gradient
// reaching h from the recurrence (dh) and from the output (dhOut, 0 for none)
// and the one reaching c (dc), writes the pre-activation gradients dGates
// [rows, 4H] and dcPrev = dc_total·f. dcPrev may be dc.
export function lstmCellBackwardF32(
  gates: usize, cPrev: usize, c: usize, dhOut: usize, dh: usize, dc: usize, dGates: usize, dcPrev: usize, rows: i32, hidden: i32,
): void {
  const hb = <usize>hidden << 2;
  for (let r = 0; r < rows; r++) {
    const gRow = <usize>r * 4 * hb;
    const sRow = <usize>r * hb;
    let j = 0;
    for (; j + 4 <= hidden; j += 4) {
      const o = <usize>j << 2;
      const s = sRow + o;
      lstmBackAt(true, gates + gRow + o, hb, cPrev + s, c + s, dhOut ? dhOut + s : 0, dh + s, dc + s, dGates + gRow + o, dcPrev + s);
    }
    for (; j < hidden; j++) {
      const o = <usize>j << 2;
      const s = sRow + o;
      lstmBackAt(false, gates + gRow + o, hb, cPrev + s, c + s, dhOut ? dhOut + s : 0, dh + s, dc + s, dGates + gRow + o, dcPrev + s);
    }
  }
}

// ------------------------------------------------------------------- GRU ---

@inline function gruAt(wide: bool, xp: usize, hp: usize, bHh: usize, hb: usize, hPrev: usize, h: usize, saved: usize): void {
  let hr = ld(wide, hp);
  let hz = ld(wide, hp + hb);
  let hn = ld(wide, hp + 2 * hb);
  if (bHh) {
    hr = f32x4.add(hr, ld(wide, bHh));
    hz = f32x4.add(hz, ld(wide, bHh + hb));
    hn = f32x4.add(hn, ld(wide, bHh + 2 * hb));
  }
  const r = sigmoid4(f32x4.add(ld(wide, xp), hr));
  const z = sigmoid4(f32x4.add(ld(wide, xp + hb), hz));
  const n = tanh4(f32x4.add(ld(wide, xp + 2 * hb), f32x4.mul(r, hn)));
  const hp0 = ld(wide, hPrev);
  st(wide, h, f32x4.add(n, f32x4.mul(z, f32x4.sub(hp0, n))));
  st(wide, saved, r);
  st(wide, saved + hb, z);
  st(wide, saved + 2 * hb, n);
  st(wide, saved + 3 * hb, hn);
}

// One GRU step from xp = x·W_ihᵀ + b_ih [rows, 3H] and hp = hPrev·W_hhᵀ
// [rows, 3H] (b_hh, [3H] or 0 for none, is added here because PyTorch's
// reset gate multiplies W_hn·h + b_hn): writes h = n + z·(hPrev − n) and
// saved [rows, 4H] = r, z, n, W_hn·h + b_hn for the backward.
export function gruCellF32(xp: usize, hp: usize, bHh: usize, hPrev: usize, h: usize, saved: usize, rows: i32, hidden: i32): void {
  const hb = <usize>hidden << 2;
  for (let r = 0; r < rows; r++) {
    const gRow = <usize>r * 3 * hb;
    const vRow = <usize>r * 4 * hb;
    const sRow = <usize>r * hb;
    let j = 0;
    for (; j + 4 <= hidden; j += 4) {
      const o = <usize>j << 2;
      gruAt(true, xp + gRow + o, hp + gRow + o, bHh ? bHh + o : 0, hb, hPrev + sRow + o, h + sRow + o, saved + vRow + o);
    }
    for (; j < hidden; j++) {
      const o = <usize>j << 2;
      gruAt(false, xp + gRow + o, hp + gRow + o, bHh ? bHh + o : 0, hb, hPrev + sRow + o, h + sRow + o, saved + vRow + o);
    }
  }
}

@inline function gruBackAt(
  wide: bool, saved: usize, hb: usize, hPrev: usize, dhOut: usize, dh: usize, dxp: usize, dhp: usize, dhPrev: usize,
): void {
  const r = ld(wide, saved);
  const z = ld(wide, saved + hb);
  const n = ld(wide, saved + 2 * hb);
  const hn = ld(wide, saved + 3 * hb);
  let dhT = ld(wide, dh);
  if (dhOut) dhT = f32x4.add(dhT, ld(wide, dhOut));
  const dpn = f32x4.mul(f32x4.mul(dhT, oneMinus(z)), oneMinus(f32x4.mul(n, n)));
  const dpr = f32x4.mul(f32x4.mul(dpn, hn), f32x4.mul(r, oneMinus(r)));
  const dpz = f32x4.mul(f32x4.mul(dhT, f32x4.sub(ld(wide, hPrev), n)), f32x4.mul(z, oneMinus(z)));
  st(wide, dxp, dpr);
  st(wide, dxp + hb, dpz);
  st(wide, dxp + 2 * hb, dpn);
  st(wide, dhp, dpr);
  st(wide, dhp + hb, dpz);
  st(wide, dhp + 2 * hb, f32x4.mul(dpn, r));
  st(wide, dhPrev, f32x4.mul(dhT, z));
}

// The step's backward: from saved (r, z, n, hn), hPrev and the gradients
// reaching h (dh from the recurrence, dhOut from the output, 0 for none),
// writes dxp [rows, 3H] (for x·W_ihᵀ + b_ih), dhp [rows, 3H] (for
// hPrev·W_hhᵀ + b_hh) and dhPrev = dh_total·z, the direct part of hPrev's
// gradient (the caller adds dhp·W_hh). dhPrev may be dh.
export function gruCellBackwardF32(
  saved: usize, hPrev: usize, dhOut: usize, dh: usize, dxp: usize, dhp: usize, dhPrev: usize, rows: i32, hidden: i32,
): void {
  const hb = <usize>hidden << 2;
  for (let r = 0; r < rows; r++) {
    const gRow = <usize>r * 3 * hb;
    const vRow = <usize>r * 4 * hb;
    const sRow = <usize>r * hb;
    let j = 0;
    for (; j + 4 <= hidden; j += 4) {
      const o = <usize>j << 2;
      const s = sRow + o;
      gruBackAt(true, saved + vRow + o, hb, hPrev + s, dhOut ? dhOut + s : 0, dh + s, dxp + gRow + o, dhp + gRow + o, dhPrev + s);
    }
    for (; j < hidden; j++) {
      const o = <usize>j << 2;
      const s = sRow + o;
      gruBackAt(false, saved + vRow + o, hb, hPrev + s, dhOut ? dhOut + s : 0, dh + s, dxp + gRow + o, dhp + gRow + o, dhPrev + s);
    }
  }
}
