// int8 inference kernels (quantized Linear / Conv2d, src/quantization/).
//
// The GEMM multiplies i16 A by int8 B into i32 with i32x4.dot_i16x8_s: B is
// stored as int8 (a quarter of float32's bytes, what a batch-1 GEMV streams)
// and widened in registers with i16x8.extend_low/high_i8x16_s; each dot does 8
// multiply-adds into four i32 lanes with no saturation (|A| ≤ 255, |B| ≤ 128:
// a pair sum fits i32 exactly). Accumulation is i32 over the whole K, so the
// result is exact whatever K's blocking.
//
// Layouts (kPad = k rounded up to a multiple of 4; a quad is 4 consecutive k;
// both operands are in panels of kPad·8 bytes, zero wherever k ≥ the real k):
// - A, i16, panels of 4 rows: row r, k at byte
//   (r>>2)·kPad·8 + (k>>2)·32 + (r&3)·8 + (k&3)·2, rows past m zero. One row's
//   (k, k+1) pair is an i32, broadcast with load32_splat.
// - B, int8, panels of 8 columns: column j, k at byte
//   (j>>3)·kPad·8 + (k>>2)·32 + ((j>>2)&1)·16 + ((k>>1)&1)·8 + (j&3)·2 + (k&1).
//   Each 16 bytes hold 4 columns for two k pairs; extend_low widens the first
//   pair, extend_high the second.
// Linear: A the activations (quint8 minus its zero point), B the weight packed
// once. Conv2d: A the weight (rows = output channels), B the im2col columns of
// the input quantized once as q − 128 (int8), corrected in the epilogue by
// (128 − zp)·Σk w per channel.
// Epilogue: out[row·ldc + col] = f32(acc + corrMul·corr[c])·(scaleA·scaleB[c]) + bias[c],
// c = row (perRow) or col; scaleB, bias and corr are read 4 columns at a time,
// so padded to a multiple of 4.

// min and max of n f32 at x, written to out[0], out[1]; both NaN if any value is.
export function minMaxF32(x: usize, n: i32, out: usize): void {
  let lo = f32x4.splat(Infinity);
  let hi = f32x4.splat(-Infinity);
  let nan = i32x4.splat(0);
  // Two sets of accumulators for 8 floats a step, so one step's min/max need not wait for the last's.
  let lo1 = lo;
  let hi1 = hi;
  let nan1 = nan;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const v = v128.load(x + (<usize>i << 2));
    const w = v128.load(x + (<usize>i << 2), 16);
    lo = f32x4.pmin(lo, v);
    hi = f32x4.pmax(hi, v);
    nan = v128.or(nan, f32x4.ne(v, v));
    lo1 = f32x4.pmin(lo1, w);
    hi1 = f32x4.pmax(hi1, w);
    nan1 = v128.or(nan1, f32x4.ne(w, w));
  }
  lo = f32x4.pmin(lo, lo1);
  hi = f32x4.pmax(hi, hi1);
  nan = v128.or(nan, nan1);
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    lo = f32x4.pmin(lo, v);
    hi = f32x4.pmax(hi, v);
    nan = v128.or(nan, f32x4.ne(v, v));
  }
  if (v128.any_true(nan)) {
    store<f32>(out, NaN);
    store<f32>(out, NaN, 4);
    return;
  }
  let mn = min(min(f32x4.extract_lane(lo, 0), f32x4.extract_lane(lo, 1)), min(f32x4.extract_lane(lo, 2), f32x4.extract_lane(lo, 3)));
  let mx = max(max(f32x4.extract_lane(hi, 0), f32x4.extract_lane(hi, 1)), max(f32x4.extract_lane(hi, 2), f32x4.extract_lane(hi, 3)));
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    mn = min(mn, v);
    mx = max(mx, v);
  }
  store<f32>(out, mn);
  store<f32>(out, mx, 4);
}

// clamp(round(v · invScale) + zp, qmin, qmax) − shift, four lanes (half to even, as torch.quantize_per_tensor).
@inline
function quantize4(v: v128, vs: v128, vzp: v128, vlo: v128, vhi: v128, vshift: v128): v128 {
  const q = i32x4.add(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v, vs))), vzp);
  return i32x4.sub(i32x4.min_s(i32x4.max_s(q, vlo), vhi), vshift);
}

@inline
function quantize1(v: f32, invScale: f32, zp: i32, qmin: i32, qmax: i32): i32 {
  return min(max(<i32>min(max(nearest(v * invScale), <f32>-65536), <f32>65536) + zp, qmin), qmax);
}

// The GEMM's A from x [rows, cols] (f32 at x + (r·rs + c·cs)·4): q − zp as i16 in
// 4-row panels (layout above), rows up to a multiple of 4 and k up to kPad zero.
export function quantizeA(x: usize, rows: i32, cols: i32, rs: i32, cs: i32, invScale: f32, zp: i32, qmin: i32, qmax: i32, out: usize, kPad: i32): void {
  const panel = <usize>kPad << 3;
  // Zero only what no row writes: a last panel's missing rows (the whole panel, before its rows
  // are written) and each row's last quad where cols stops inside it.
  const full = rows & ~3;
  if (full < rows) memory.fill(out + <usize>(full >> 2) * panel, 0, panel);
  if ((cols & 3) != 0) {
    for (let r = 0; r < full; r++) store<u64>(out + <usize>(r >> 2) * panel + (<usize>(r & 3) << 3) + (<usize>(cols >> 2) << 5), 0);
  }
  const vs = f32x4.splat(invScale);
  const vzp = i32x4.splat(zp);
  const vlo = i32x4.splat(qmin);
  const vhi = i32x4.splat(qmax);
  for (let r = 0; r < rows; r++) {
    const src = x + (<usize>r * <usize>rs << 2);
    const dst = out + <usize>(r >> 2) * panel + (<usize>(r & 3) << 3);
    let c = 0;
    if (cs == 1) {
      for (; c + 4 <= cols; c += 4) {
        const q = quantize4(v128.load(src + (<usize>c << 2)), vs, vzp, vlo, vhi, vzp);
        v128.store64_lane(dst + (<usize>(c >> 2) << 5), i16x8.narrow_i32x4_s(q, q), 0);
      }
    }
    for (; c < cols; c++) {
      const q = quantize1(load<f32>(src + (<usize>c * <usize>cs << 2)), invScale, zp, qmin, qmax) - zp;
      store<i16>(dst + (<usize>(c >> 2) << 5) + (<usize>(c & 3) << 1), <i16>q);
    }
  }
}

// n contiguous f32 → int8 bytes clamp(round(x · invScale) + zp, qmin, qmax) − 128
// (qmin ≥ 0, qmax ≤ 255): the conv's input, quantized once for every kernel tap.
export function quantizeI8(x: usize, n: i32, invScale: f32, zp: i32, qmin: i32, qmax: i32, out: usize): void {
  const vs = f32x4.splat(invScale);
  const vzp = i32x4.splat(zp);
  const vlo = i32x4.splat(qmin);
  const vhi = i32x4.splat(qmax);
  const v128s = i32x4.splat(128);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const s = x + (<usize>i << 2);
    const q0 = quantize4(v128.load(s), vs, vzp, vlo, vhi, v128s);
    const q1 = quantize4(v128.load(s, 16), vs, vzp, vlo, vhi, v128s);
    const q2 = quantize4(v128.load(s, 32), vs, vzp, vlo, vhi, v128s);
    const q3 = quantize4(v128.load(s, 48), vs, vzp, vlo, vhi, v128s);
    v128.store(out + <usize>i, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)));
  }
  for (; i < n; i++) store<i8>(out + <usize>i, <i8>(quantize1(load<f32>(x + (<usize>i << 2)), invScale, zp, qmin, qmax) - 128));
}

// The output columns [lo, hi) whose input column ow·stride + offset lies in [0, inW).
@inline function firstInside(offset: i32, stride: i32, outW: i32): i32 {
  return offset >= 0 ? 0 : min(outW, (-offset + stride - 1) / stride);
}
@inline function endInside(offset: i32, stride: i32, inW: i32, outW: i32): i32 {
  const last = inW - 1 - offset;
  return last < 0 ? 0 : min(outW, last / stride + 1);
}

// im2col of one int8 image xq [channels, inH, inW] (padding reads `fill`, the
// quantized 0) into the GEMM's B: columns = output positions, k = (c, ki, kj).
// scratch holds the row-major column matrix [kPad, pPad] bytes (pPad = positions
// rounded up to 8) on the way; out gets ceil(positions / 8) B panels. u7A: out is
// gemmI8U7's A instead (rows = output positions, 4-row panels of k quads), for an
// image of 7-bit bytes q whose padding is the zero point.
export function im2colPackI8(
  xq: usize, channels: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padH: i32, padW: i32, dilationH: i32, dilationW: i32,
  fill: i32, scratch: usize, out: usize, kPad: i32, u7A: i32,
): void {
  const positions = outH * outW;
  const pPad = (positions + 7) & ~7;
  const plane = <usize>inH * <usize>inW;
  const k = channels * kH * kW;
  // The padding past the last position and the rows past k (A is zero there, so only determinism asks for them).
  memory.fill(scratch, <u8>fill, <usize>kPad * <usize>pPad);
  if (strideH == 1 && strideW == 1 && dilationW == 1 && outW == inW) {
    unfoldShiftedI8(xq, channels, inH, inW, outH, kH, kW, padH, padW, dilationH, fill, scratch, pPad);
    if (u7A) transposeToU7Panels(scratch, out, kPad, pPad);
    else transposeToPanels(scratch, out, kPad, pPad);
    return;
  }
  let row = scratch;
  for (let c = 0; c < channels; c++) {
    const src0 = xq + <usize>c * plane;
    for (let ki = 0; ki < kH; ki++) {
      for (let kj = 0; kj < kW; kj++) {
        const offW = kj * dilationW - padW;
        const lo = firstInside(offW, strideW, outW);
        const hi = max(lo, endInside(offW, strideW, inW, outW));
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * strideH - padH + ki * dilationH;
          if (ih < 0 || ih >= inH) continue;
          const dst = row + <usize>(oh * outW);
          const src = src0 + <usize>(ih * inW);
          if (strideW == 1) {
            const s = src + <usize>(lo + offW);
            let ow = lo;
            for (; ow + 8 <= hi; ow += 8) store<u64>(dst + <usize>ow, load<u64>(s + <usize>(ow - lo)));
            for (; ow < hi; ow++) store<u8>(dst + <usize>ow, load<u8>(s + <usize>(ow - lo)));
          } else {
            for (let ow = lo; ow < hi; ow++) store<u8>(dst + <usize>ow, load<u8>(src + <usize>(ow * strideW + offW)));
          }
        }
        row += <usize>pPad;
      }
    }
  }
  if (u7A) transposeToU7Panels(scratch, out, kPad, pPad);
  else transposeToPanels(scratch, out, kPad, pPad);
}

// With stride 1 and rows as wide as the input's ('same' padding), each kernel tap's row of the
// column matrix is the image shifted by ki·dilationH·inW + kj − padW bytes: one contiguous copy,
// then `fill` where a row wrapped into its neighbour (the rest of the row is filled already). Short
// image rows make a copy per image row cost more than the copying (conv.ts's im2colShiftedF32).
function unfoldShiftedI8(
  xq: usize, channels: i32, inH: i32, inW: i32, outH: i32, kH: i32, kW: i32, padH: i32, padW: i32, dilationH: i32,
  fill: i32, scratch: usize, pPad: i32,
): void {
  const plane = inH * inW;
  const block = outH * inW;
  let dst = scratch;
  for (let c = 0; c < channels; c++) {
    const src = xq + <usize>(c * plane);
    for (let ki = 0; ki < kH; ki++) {
      const rowShift = ki * dilationH - padH;
      // Rows [r0, r1) of the tap's block read input rows inside the image.
      const r0 = min(outH, max(0, -rowShift));
      const r1 = max(r0, min(outH, inH - rowShift));
      for (let kj = 0; kj < kW; kj++) {
        const offW = kj - padW;
        const shift = rowShift * inW + offW;
        // Only read inside the plane: the one byte either side it would miss is a wrapped (filled) one.
        const start = min(block, max(r0 * inW, -shift));
        const end = max(start, min(r1 * inW, plane - shift));
        copyBytes(dst + <usize>start, src + <usize>(start + shift), end - start);
        const lo = firstInside(offW, 1, inW);
        const hi = max(lo, endInside(offW, 1, inW, inW));
        if (lo > 0 || hi < inW) {
          for (let oh = r0; oh < r1; oh++) {
            const rowDst = dst + <usize>(oh * inW);
            for (let ow = 0; ow < lo; ow++) store<u8>(rowDst + <usize>ow, <u8>fill);
            for (let ow = hi; ow < inW; ow++) store<u8>(rowDst + <usize>ow, <u8>fill);
          }
        }
        dst += <usize>pPad;
      }
    }
  }
}

// n bytes, 16 at a time; a tail shorter than 16 is one overlapping copy ending at n (source and
// destination do not overlap).
@inline function copyBytes(dst: usize, src: usize, n: i32): void {
  if (n < 16) {
    for (let i = 0; i < n; i++) store<u8>(dst + <usize>i, load<u8>(src + <usize>i));
    return;
  }
  let i = 0;
  for (; i + 16 <= n; i += 16) v128.store(dst + <usize>i, v128.load(src + <usize>i));
  if (i < n) v128.store(dst + <usize>(n - 16), v128.load(src + <usize>(n - 16)));
}

// The row-major column matrix scratch [kPad, pPad] into B's panels: quads of 4 rows × 8 positions,
// rows (r0, r1) k pair p and (r2, r3) pair p + 1.
@inline function transposeToPanels(scratch: usize, out: usize, kPad: i32, pPad: i32): void {
  const panelBytes = <usize>kPad << 3;
  const quads = kPad >> 2;
  const rowBytes = <usize>pPad;
  for (let j = 0; j < pPad; j += 8) {
    const dst = out + <usize>(j >> 3) * panelBytes;
    for (let q = 0; q < quads; q++) {
      const r0 = scratch + (<usize>q << 2) * rowBytes + <usize>j;
      const v01 = v128.load64_lane(r0 + rowBytes, v128.load64_zero(r0), 1);
      const v23 = v128.load64_lane(r0 + 3 * rowBytes, v128.load64_zero(r0 + 2 * rowBytes), 1);
      const d = dst + (<usize>q << 5);
      v128.store(d, i8x16.shuffle(v01, v23, 0, 8, 1, 9, 2, 10, 3, 11, 16, 24, 17, 25, 18, 26, 19, 27));
      v128.store(d, i8x16.shuffle(v01, v23, 4, 12, 5, 13, 6, 14, 7, 15, 20, 28, 21, 29, 22, 30, 23, 31), 16);
    }
  }
}

// The row-major column matrix scratch [kPad, pPad] into gemmI8U7's A panels (rows = positions):
// per k quad, 8 positions × 4 rows become two panels' 16 bytes, each position's 4 k bytes together.
@inline function transposeToU7Panels(scratch: usize, out: usize, kPad: i32, pPad: i32): void {
  const panelBytes = <usize>kPad << 2;
  const quads = kPad >> 2;
  const rowBytes = <usize>pPad;
  for (let j = 0; j < pPad; j += 8) {
    const dst = out + <usize>(j >> 2) * panelBytes;
    for (let q = 0; q < quads; q++) {
      const r0 = scratch + (<usize>q << 2) * rowBytes + <usize>j;
      const v01 = v128.load64_lane(r0 + rowBytes, v128.load64_zero(r0), 1);
      const v23 = v128.load64_lane(r0 + 3 * rowBytes, v128.load64_zero(r0 + 2 * rowBytes), 1);
      const d = dst + (<usize>q << 4);
      v128.store(d, i8x16.shuffle(v01, v23, 0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27));
      v128.store(d + panelBytes, i8x16.shuffle(v01, v23, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31));
    }
  }
}

// Writes one accumulator vector (row, columns col..col+3) through the epilogue.
@inline
function storeAcc(acc: v128, row: i32, col: i32, m: i32, n: i32, scaleA: f32, scaleB: usize, corr: usize, corrMul: i32, bias: usize, out: usize, ldc: i32, perRow: bool): void {
  const cols = min(4, n - col);
  if (row >= m || cols <= 0) return;
  let sb: v128;
  if (perRow) {
    sb = f32x4.splat(load<f32>(scaleB + (<usize>row << 2)));
    if (corr) acc = i32x4.add(acc, i32x4.splat(load<i32>(corr + (<usize>row << 2)) * corrMul));
  } else {
    sb = v128.load(scaleB + (<usize>col << 2));
    if (corr) acc = i32x4.add(acc, i32x4.mul(v128.load(corr + (<usize>col << 2)), i32x4.splat(corrMul)));
  }
  let y = f32x4.mul(f32x4.convert_i32x4_s(acc), f32x4.mul(sb, f32x4.splat(scaleA)));
  if (bias) y = f32x4.add(y, perRow ? f32x4.splat(load<f32>(bias + (<usize>row << 2))) : v128.load(bias + (<usize>col << 2)));
  const at = out + ((<usize>row * <usize>ldc + <usize>col) << 2);
  if (cols == 4) {
    v128.store(at, y);
    return;
  }
  for (let j = 0; j < cols; j++) {
    store<f32>(at + (<usize>j << 2), f32x4.extract_lane(y, 0));
    y = i32x4.shuffle(y, y, 1, 2, 3, 0);
  }
}

// 8 columns of B per column block pass: 64 columns (8 panels, ≤ kPad·64 bytes)
// stay in L1 while every 4-row A panel sweeps them.
const COL_BLOCK = 64;

// out = A·Bᵀ through the epilogue above, for A [m, kPad] and B [n, kPad] packed
// as described at the top. perRow: scaleB, bias and corr per row (the conv) instead of per column.
export function gemmI8(
  m: i32, n: i32, kPad: i32, a: usize, b: usize, scaleA: f32, scaleB: usize, corr: usize, corrMul: i32,
  bias: usize, out: usize, ldc: i32, perRow: i32,
): void {
  const quads = kPad >> 2;
  const panel = <usize>kPad << 3;
  const byRow = perRow != 0;
  if (m < 4) {
    // A GEMV (batch 1–3): 16 columns (two B panels) per pass, four independent accumulators,
    // each A pair splatted once for 16 columns; the bytes of B are the cost.
    for (let col = 0; col < n; col += 16) {
      const b0 = b + <usize>(col >> 3) * panel;
      // A lone last panel is read twice rather than past its end (the copy's columns are dropped).
      const b1 = col + 8 < n ? b0 + panel : b0;
      for (let row = 0; row < m; row++) {
        const ar = a + (<usize>row << 3);
        let c0 = i32x4.splat(0);
        let c1 = i32x4.splat(0);
        let c2 = i32x4.splat(0);
        let c3 = i32x4.splat(0);
        for (let q = 0; q < quads; q++) {
          const o = <usize>q << 5;
          const x0 = v128.load32_splat(ar + o);
          const x1 = v128.load32_splat(ar + o, 4);
          // load8x8_s loads and widens 8 bytes in one instruction.
          const p0 = b0 + o;
          const p1 = b1 + o;
          c0 = i32x4.add(c0, i32x4.add(i32x4.dot_i16x8_s(x0, v128.load8x8_s(p0)), i32x4.dot_i16x8_s(x1, v128.load8x8_s(p0, 8))));
          c1 = i32x4.add(c1, i32x4.add(i32x4.dot_i16x8_s(x0, v128.load8x8_s(p0, 16)), i32x4.dot_i16x8_s(x1, v128.load8x8_s(p0, 24))));
          c2 = i32x4.add(c2, i32x4.add(i32x4.dot_i16x8_s(x0, v128.load8x8_s(p1)), i32x4.dot_i16x8_s(x1, v128.load8x8_s(p1, 8))));
          c3 = i32x4.add(c3, i32x4.add(i32x4.dot_i16x8_s(x0, v128.load8x8_s(p1, 16)), i32x4.dot_i16x8_s(x1, v128.load8x8_s(p1, 24))));
        }
        storeAcc(c0, row, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, byRow);
        storeAcc(c1, row, col + 4, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, byRow);
        storeAcc(c2, row, col + 8, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, byRow);
        storeAcc(c3, row, col + 12, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, byRow);
      }
    }
    return;
  }
  // 4 rows × 8 columns per tile: per quad one 32-byte B load widened to the 4 dot operands,
  // the 8 A pairs broadcast from two loads, 16 dots into 8 accumulators.
  for (let c0 = 0; c0 < n; c0 += COL_BLOCK) {
    const c1 = min(n, c0 + COL_BLOCK);
    for (let row = 0; row < m; row += 4) {
      const ap = a + <usize>(row >> 2) * panel;
      for (let col = c0; col < c1; col += 8) {
        const bp = b + <usize>(col >> 3) * panel;
        if (col + 4 >= n) {
          // A last panel with at most 4 real columns: only its first half is multiplied.
          let a0 = i32x4.splat(0);
          let a1 = i32x4.splat(0);
          let a2 = i32x4.splat(0);
          let a3 = i32x4.splat(0);
          for (let q = 0; q < quads; q++) {
            const o = <usize>q << 5;
            const pa = ap + o;
            const v0 = v128.load(bp + o);
            const w0 = i16x8.extend_low_i8x16_s(v0);
            const w1 = i16x8.extend_high_i8x16_s(v0);
            const y0 = v128.load(pa);
            const y1 = v128.load(pa, 16);
            a0 = i32x4.add(a0, i32x4.add(i32x4.dot_i16x8_s(i32x4.shuffle(y0, y0, 0, 0, 0, 0), w0), i32x4.dot_i16x8_s(i32x4.shuffle(y0, y0, 1, 1, 1, 1), w1)));
            a1 = i32x4.add(a1, i32x4.add(i32x4.dot_i16x8_s(i32x4.shuffle(y0, y0, 2, 2, 2, 2), w0), i32x4.dot_i16x8_s(i32x4.shuffle(y0, y0, 3, 3, 3, 3), w1)));
            a2 = i32x4.add(a2, i32x4.add(i32x4.dot_i16x8_s(i32x4.shuffle(y1, y1, 0, 0, 0, 0), w0), i32x4.dot_i16x8_s(i32x4.shuffle(y1, y1, 1, 1, 1, 1), w1)));
            a3 = i32x4.add(a3, i32x4.add(i32x4.dot_i16x8_s(i32x4.shuffle(y1, y1, 2, 2, 2, 2), w0), i32x4.dot_i16x8_s(i32x4.shuffle(y1, y1, 3, 3, 3, 3), w1)));
          }
          storeAcc(a0, row, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, byRow);
          storeAcc(a1, row + 1, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, byRow);
          storeAcc(a2, row + 2, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, byRow);
          storeAcc(a3, row + 3, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, byRow);
          continue;
        }
        let a00 = i32x4.splat(0);
        let a01 = i32x4.splat(0);
        let a10 = i32x4.splat(0);
        let a11 = i32x4.splat(0);
        let a20 = i32x4.splat(0);
        let a21 = i32x4.splat(0);
        let a30 = i32x4.splat(0);
        let a31 = i32x4.splat(0);
        for (let q = 0; q < quads; q++) {
          const o = <usize>q << 5;
          const pa = ap + o;
          const v0 = v128.load(bp + o);
          const v1 = v128.load(bp + o, 16);
          let w0 = i16x8.extend_low_i8x16_s(v0);
          let w1 = i16x8.extend_low_i8x16_s(v1);
          // Two A loads and lane broadcasts beat eight load32_splat (measured ~10%).
          const y0 = v128.load(pa);
          const y1 = v128.load(pa, 16);
          let x = i32x4.shuffle(y0, y0, 0, 0, 0, 0);
          a00 = i32x4.add(a00, i32x4.dot_i16x8_s(x, w0));
          a01 = i32x4.add(a01, i32x4.dot_i16x8_s(x, w1));
          x = i32x4.shuffle(y0, y0, 2, 2, 2, 2);
          a10 = i32x4.add(a10, i32x4.dot_i16x8_s(x, w0));
          a11 = i32x4.add(a11, i32x4.dot_i16x8_s(x, w1));
          x = i32x4.shuffle(y1, y1, 0, 0, 0, 0);
          a20 = i32x4.add(a20, i32x4.dot_i16x8_s(x, w0));
          a21 = i32x4.add(a21, i32x4.dot_i16x8_s(x, w1));
          x = i32x4.shuffle(y1, y1, 2, 2, 2, 2);
          a30 = i32x4.add(a30, i32x4.dot_i16x8_s(x, w0));
          a31 = i32x4.add(a31, i32x4.dot_i16x8_s(x, w1));
          w0 = i16x8.extend_high_i8x16_s(v0);
          w1 = i16x8.extend_high_i8x16_s(v1);
          x = i32x4.shuffle(y0, y0, 1, 1, 1, 1);
          a00 = i32x4.add(a00, i32x4.dot_i16x8_s(x, w0));
          a01 = i32x4.add(a01, i32x4.dot_i16x8_s(x, w1));
          x = i32x4.shuffle(y0, y0, 3, 3, 3, 3);
          a10 = i32x4.add(a10, i32x4.dot_i16x8_s(x, w0));
          a11 = i32x4.add(a11, i32x4.dot_i16x8_s(x, w1));
          x = i32x4.shuffle(y1, y1, 1, 1, 1, 1);
          a20 = i32x4.add(a20, i32x4.dot_i16x8_s(x, w0));
          a21 = i32x4.add(a21, i32x4.dot_i16x8_s(x, w1));
          x = i32x4.shuffle(y1, y1, 3, 3, 3, 3);
          a30 = i32x4.add(a30, i32x4.dot_i16x8_s(x, w0));
          a31 = i32x4.add(a31, i32x4.dot_i16x8_s(x, w1));
        }
        storeAcc(a00, row, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, byRow);
        storeAcc(a01, row, col + 4, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, byRow);
        storeAcc(a10, row + 1, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, byRow);
        storeAcc(a11, row + 1, col + 4, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, byRow);
        storeAcc(a20, row + 2, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, byRow);
        storeAcc(a21, row + 2, col + 4, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, byRow);
        storeAcc(a30, row + 3, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, byRow);
        storeAcc(a31, row + 3, col + 4, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, byRow);
      }
    }
  }
}

// The relaxed-dot int8 GEMM, for Linear where the runtime validates relaxed SIMD
// (src/quantization/modules.ts picks it). i32x4.relaxed_dot_i8x16_i7x16_add_s does 16
// multiply-adds into four i32 lanes, deterministically when every byte of its second operand is
// in [0, 127]: x86 lowers it to pmaddubsw (or vpdpbusd) with that operand unsigned, and a pair of
// u7·s8 products (≤ 2·127·128) cannot saturate i16. So A is the activations quantized to 7 bits
// (q in [0, 127] with a zero point zp, PyTorch's reduce_range) and B the int8 weight; the epilogue
// adds corrMul·corr with corr = Σk w per column and corrMul = −zp, giving Σk (q − zp)·w exactly.
// Layouts (kPad a multiple of 4, a quad 4 consecutive k, one i32 of bytes; zero past the real k):
// - A, u7 bytes, panels of 4 rows: row r, k at byte (r>>2)·kPad·4 + (k>>2)·16 + (r&3)·4 + (k&3);
// - B, int8, panels of 8 columns: column j, k at byte (j>>3)·kPad·8 + (k>>2)·32 + (j&7)·4 + (k&3).
// Compiled without relaxed SIMD (the kernels module, whose export the relaxed build's replaces),
// the same sums come from widening multiplies, so the layout and epilogue are checked on every runtime.

// acc + the 4-byte dot products of w (int8) and x (bytes in [0, 127]), per i32 lane.
@inline
function dotU7(w: v128, x: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_dot_i8x16_i7x16_add_s(w, x, acc);
  const lo = i32x4.extadd_pairwise_i16x8_s(i16x8.extmul_low_i8x16_s(w, x));
  const hi = i32x4.extadd_pairwise_i16x8_s(i16x8.extmul_high_i8x16_s(w, x));
  return i32x4.add(acc, i32x4.add(i32x4.shuffle(lo, hi, 0, 2, 4, 6), i32x4.shuffle(lo, hi, 1, 3, 5, 7)));
}

// The relaxed GEMM's A from x [rows, cols] (f32 at x + (r·rs + c·cs)·4): q = clamp(round(x·invScale) + zp,
// qmin, qmax) as bytes (0 ≤ qmin ≤ qmax ≤ 127) in 4-row panels, rows up to a multiple of 4 and k up to kPad zero.
export function quantizeU7A(x: usize, rows: i32, cols: i32, rs: i32, cs: i32, invScale: f32, zp: i32, qmin: i32, qmax: i32, out: usize, kPad: i32): void {
  const panel = <usize>kPad << 2;
  memory.fill(out, 0, <usize>((rows + 3) >> 2) * panel);
  const vs = f32x4.splat(invScale);
  const vzp = i32x4.splat(zp);
  const vlo = i32x4.splat(qmin);
  const vhi = i32x4.splat(qmax);
  const none = i32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const src = x + (<usize>r * <usize>rs << 2);
    const dst = out + <usize>(r >> 2) * panel + (<usize>(r & 3) << 2);
    let c = 0;
    if (cs == 1) {
      for (; c + 4 <= cols; c += 4) {
        const q = quantize4(v128.load(src + (<usize>c << 2)), vs, vzp, vlo, vhi, none);
        const h = i16x8.narrow_i32x4_s(q, q);
        v128.store32_lane(dst + (<usize>(c >> 2) << 4), i8x16.narrow_i16x8_u(h, h), 0);
      }
    }
    for (; c < cols; c++) {
      store<u8>(dst + (<usize>(c >> 2) << 4) + <usize>(c & 3), <u8>quantize1(load<f32>(src + (<usize>c * <usize>cs << 2)), invScale, zp, qmin, qmax));
    }
  }
}

// out = A·Bᵀ through gemmI8's epilogue (per column), for A [m, kPad] (u7) and B [n, kPad] (int8)
// in the relaxed layouts above.
export function gemmI8U7(
  m: i32, n: i32, kPad: i32, a: usize, b: usize, scaleA: f32, scaleB: usize, corr: usize, corrMul: i32,
  bias: usize, out: usize, ldc: i32,
): void {
  const quads = kPad >> 2;
  const aPanel = <usize>kPad << 2;
  const bPanel = <usize>kPad << 3;
  if (m < 4) {
    // A GEMV (batch 1–3): 16 columns (two B panels) per pass, one A quad splatted per 16 columns.
    for (let col = 0; col < n; col += 16) {
      const b0 = b + <usize>(col >> 3) * bPanel;
      // A lone last panel is read twice rather than past its end (the copy's columns are dropped).
      const b1 = col + 8 < n ? b0 + bPanel : b0;
      for (let row = 0; row < m; row++) {
        const ar = a + (<usize>row << 2);
        let c0 = i32x4.splat(0);
        let c1 = i32x4.splat(0);
        let c2 = i32x4.splat(0);
        let c3 = i32x4.splat(0);
        for (let q = 0; q < quads; q++) {
          const o = <usize>q << 5;
          const x = v128.load32_splat(ar + (<usize>q << 4));
          c0 = dotU7(v128.load(b0 + o), x, c0);
          c1 = dotU7(v128.load(b0 + o, 16), x, c1);
          c2 = dotU7(v128.load(b1 + o), x, c2);
          c3 = dotU7(v128.load(b1 + o, 16), x, c3);
        }
        storeAcc(c0, row, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, false);
        storeAcc(c1, row, col + 4, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, false);
        storeAcc(c2, row, col + 8, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, false);
        storeAcc(c3, row, col + 12, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, false);
      }
    }
    return;
  }
  // 4 rows × 8 columns per tile: per quad two B loads, one A load broadcast to 4 rows, 8 dots.
  for (let c0 = 0; c0 < n; c0 += COL_BLOCK) {
    const c1 = min(n, c0 + COL_BLOCK);
    for (let row = 0; row < m; row += 4) {
      const ap = a + <usize>(row >> 2) * aPanel;
      for (let col = c0; col < c1; col += 8) {
        const bp = b + <usize>(col >> 3) * bPanel;
        if (col + 4 >= n) {
          // A last panel with at most 4 real columns: only its first half is multiplied.
          let h0 = i32x4.splat(0);
          let h1 = i32x4.splat(0);
          let h2 = i32x4.splat(0);
          let h3 = i32x4.splat(0);
          for (let q = 0; q < quads; q++) {
            const v0 = v128.load(bp + (<usize>q << 5));
            const y = v128.load(ap + (<usize>q << 4));
            h0 = dotU7(v0, i32x4.shuffle(y, y, 0, 0, 0, 0), h0);
            h1 = dotU7(v0, i32x4.shuffle(y, y, 1, 1, 1, 1), h1);
            h2 = dotU7(v0, i32x4.shuffle(y, y, 2, 2, 2, 2), h2);
            h3 = dotU7(v0, i32x4.shuffle(y, y, 3, 3, 3, 3), h3);
          }
          storeAcc(h0, row, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, false);
          storeAcc(h1, row + 1, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, false);
          storeAcc(h2, row + 2, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, false);
          storeAcc(h3, row + 3, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, false);
          continue;
        }
        let a00 = i32x4.splat(0);
        let a01 = i32x4.splat(0);
        let a10 = i32x4.splat(0);
        let a11 = i32x4.splat(0);
        let a20 = i32x4.splat(0);
        let a21 = i32x4.splat(0);
        let a30 = i32x4.splat(0);
        let a31 = i32x4.splat(0);
        for (let q = 0; q < quads; q++) {
          const o = <usize>q << 5;
          const v0 = v128.load(bp + o);
          const v1 = v128.load(bp + o, 16);
          const y = v128.load(ap + (<usize>q << 4));
          let x = i32x4.shuffle(y, y, 0, 0, 0, 0);
          a00 = dotU7(v0, x, a00);
          a01 = dotU7(v1, x, a01);
          x = i32x4.shuffle(y, y, 1, 1, 1, 1);
          a10 = dotU7(v0, x, a10);
          a11 = dotU7(v1, x, a11);
          x = i32x4.shuffle(y, y, 2, 2, 2, 2);
          a20 = dotU7(v0, x, a20);
          a21 = dotU7(v1, x, a21);
          x = i32x4.shuffle(y, y, 3, 3, 3, 3);
          a30 = dotU7(v0, x, a30);
          a31 = dotU7(v1, x, a31);
        }
        storeAcc(a00, row, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, false);
        storeAcc(a01, row, col + 4, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, false);
        storeAcc(a10, row + 1, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, false);
        storeAcc(a11, row + 1, col + 4, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, false);
        storeAcc(a20, row + 2, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, false);
        storeAcc(a21, row + 2, col + 4, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, false);
        storeAcc(a30, row + 3, col, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, false);
        storeAcc(a31, row + 3, col + 4, m, n, scaleA, scaleB, corr, corrMul, bias, out, ldc, false);
      }
    }
  }
}
