// int8 inference kernels (quantized Linear / Conv2d, src/quantization/).
//
// Values are 8-bit (int8 weights, uint8 or int8 activations) but are held as
// i16 with the zero point already subtracted, so one i32x4.dot_i16x8_s does 8
// multiply-adds into four i32 lanes with no saturation (|a − zp| ≤ 255,
// |w| ≤ 128: each pair sum fits i32 exactly). The f32 GEMM does 4 per
// f32x4.mul + f32x4.add, so the micro-kernel does twice the work per
// instruction, and its operands are half the bytes.
//
// Layouts (K padded to kPad, even; padding is zero so it adds nothing):
// - A (activations): i16 [m, kPad] row-major; a (k, k+1) pair is one i32,
//   broadcast with load32_splat.
// - B (weights, packed once when a model is quantized): groups of 4 output
//   columns, each [kPad/2][4 columns][2 k] i16, i.e. 16 bytes per k pair,
//   columns past n zero.
// Epilogue: out = acc·scaleA·scaleB[col] + bias[col] in f32, written row-major
// [m, n] (ldc) or transposed [n, m] (conv's [outC, H·W] planes).

// min and max of n f32 at x, written to out[0], out[1]; both NaN if any value is.
export function minMaxF32(x: usize, n: i32, out: usize): void {
  let lo = f32x4.splat(Infinity);
  let hi = f32x4.splat(-Infinity);
  let nan = i32x4.splat(0);
  let i = 0;
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

// out[r, c] = clamp(round(x[r, c] · invScale) + zp, qmin, qmax) − zp as i16 [rows, kPad],
// where x[r, c] is the f32 at x + (r·rs + c·cs)·4; columns cols..kPad are zero.
// Rounding is half to even (f32x4.nearest), as torch.quantize_per_tensor.
export function quantizeI16(x: usize, rows: i32, cols: i32, rs: i32, cs: i32, invScale: f32, zp: i32, qmin: i32, qmax: i32, out: usize, kPad: i32): void {
  const vs = f32x4.splat(invScale);
  const vzp = i32x4.splat(zp);
  const vlo = i32x4.splat(qmin);
  const vhi = i32x4.splat(qmax);
  for (let r = 0; r < rows; r++) {
    const src = x + (<usize>r * <usize>rs << 2);
    const dst = out + (<usize>r * <usize>kPad << 1);
    let c = 0;
    if (cs == 1) {
      for (; c + 8 <= cols; c += 8) {
        const s = src + (<usize>c << 2);
        let q0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s), vs)));
        let q1 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s, 16), vs)));
        q0 = i32x4.sub(i32x4.min_s(i32x4.max_s(i32x4.add(q0, vzp), vlo), vhi), vzp);
        q1 = i32x4.sub(i32x4.min_s(i32x4.max_s(i32x4.add(q1, vzp), vlo), vhi), vzp);
        v128.store(dst + (<usize>c << 1), i16x8.narrow_i32x4_s(q0, q1));
      }
    }
    for (; c < cols; c++) {
      const v = load<f32>(src + (<usize>c * <usize>cs << 2));
      const q = <i32>min(max(nearest(v * invScale), <f32>-65536), <f32>65536) + zp;
      store<i16>(dst + (<usize>c << 1), <i16>(min(max(q, qmin), qmax) - zp));
    }
    for (; c < kPad; c++) store<i16>(dst + (<usize>c << 1), 0);
  }
}

// Writes one accumulator vector (4 columns of one row) through the epilogue;
// later K blocks add to what the first wrote.
@inline
function storeAcc(acc: v128, row: i32, col: i32, n: i32, scaleA: f32, scaleB: usize, bias: usize, out: usize, ldc: i32, transOut: i32, first: bool): void {
  const cols = min(4, n - col);
  if (cols <= 0) return;
  // transOut < 0 marks per-row scales and bias (conv: the weight is A), written row-major.
  const perRow = transOut < 0;
  const sb = perRow ? f32x4.splat(load<f32>(scaleB + (<usize>row << 2))) : v128.load(scaleB + (<usize>col << 2));
  let y = f32x4.mul(f32x4.convert_i32x4_s(acc), f32x4.mul(sb, f32x4.splat(scaleA)));
  if (first && bias) y = f32x4.add(y, perRow ? f32x4.splat(load<f32>(bias + (<usize>row << 2))) : v128.load(bias + (<usize>col << 2)));
  if (perRow) transOut = 0;
  if (!transOut && cols == 4) {
    const at = out + ((<usize>row * <usize>ldc + <usize>col) << 2);
    v128.store(at, first ? y : f32x4.add(y, v128.load(at)));
    return;
  }
  for (let j = 0; j < cols; j++) {
    const v = f32x4.extract_lane(y, 0);
    const at = out + ((transOut ? <usize>(col + j) * <usize>ldc + <usize>row : <usize>row * <usize>ldc + <usize>(col + j)) << 2);
    store<f32>(at, first ? v : v + load<f32>(at));
    y = i32x4.shuffle(y, y, 1, 2, 3, 0);
  }
}

// K is split into blocks of KC_PAIRS k pairs so that the A rows a column tile
// sweeps (m × 512 bytes) stay in L2 while the B sliver (8 × KC k) sits in L1.
const KC_PAIRS = 256;

// out = (A·Bᵀ)·scaleA·scaleB[col] + bias[col] for A i16 [m, kPad] and B packed
// (see the layout above) of n columns; bias is 0 for none. scaleB and bias are
// read 4 columns at a time, so they must be padded to a multiple of 4. With
// transOut = -1 they are per row instead (scaleB[row], bias[row]).
export function gemmI16(m: i32, n: i32, kPad: i32, a: usize, b: usize, scaleA: f32, scaleB: usize, bias: usize, out: usize, ldc: i32, transOut: i32): void {
  const kp = kPad >> 1;
  const rowBytes = <usize>kPad << 1;
  const groupBytes = <usize>kp << 4;
  for (let k0 = 0; k0 < kp; k0 += KC_PAIRS) {
    const k1 = min(kp, k0 + KC_PAIRS);
    const first = k0 == 0;
    let col = 0;
    // Fewer than 4 rows (a batch-1 Linear): 16 columns at a time, so four independent
    // accumulators hide the add latency and each A pair is splatted once for 16 columns.
    if (m < 4) {
      for (; col + 16 <= n; col += 16) {
        const g0 = b + <usize>(col >> 2) * groupBytes;
        const g1 = g0 + groupBytes;
        const g2 = g1 + groupBytes;
        const g3 = g2 + groupBytes;
        for (let row = 0; row < m; row++) {
          const a0 = a + <usize>row * rowBytes;
          let c0 = i32x4.splat(0);
          let c1 = i32x4.splat(0);
          let c2 = i32x4.splat(0);
          let c3 = i32x4.splat(0);
          for (let p = k0; p < k1; p++) {
            const x0 = v128.load32_splat(a0 + (<usize>p << 2));
            const at = <usize>p << 4;
            c0 = i32x4.add(c0, i32x4.dot_i16x8_s(x0, v128.load(g0 + at)));
            c1 = i32x4.add(c1, i32x4.dot_i16x8_s(x0, v128.load(g1 + at)));
            c2 = i32x4.add(c2, i32x4.dot_i16x8_s(x0, v128.load(g2 + at)));
            c3 = i32x4.add(c3, i32x4.dot_i16x8_s(x0, v128.load(g3 + at)));
          }
          storeAcc(c0, row, col, n, scaleA, scaleB, bias, out, ldc, transOut, first);
          storeAcc(c1, row, col + 4, n, scaleA, scaleB, bias, out, ldc, transOut, first);
          storeAcc(c2, row, col + 8, n, scaleA, scaleB, bias, out, ldc, transOut, first);
          storeAcc(c3, row, col + 12, n, scaleA, scaleB, bias, out, ldc, transOut, first);
        }
      }
    }
    for (; col < n; col += 8) {
      const g0 = b + <usize>(col >> 2) * groupBytes;
      if (col + 4 >= n) {
        // A lone last group: 4 rows × 4 columns, so no work is spent on columns past n.
        let row = 0;
        for (; row + 4 <= m; row += 4) {
          const a0 = a + <usize>row * rowBytes;
          const a1 = a0 + rowBytes;
          const a2 = a1 + rowBytes;
          const a3 = a2 + rowBytes;
          let c0 = i32x4.splat(0);
          let c1 = i32x4.splat(0);
          let c2 = i32x4.splat(0);
          let c3 = i32x4.splat(0);
          for (let p = k0; p < k1; p++) {
            const off = <usize>p << 2;
            const b0 = v128.load(g0 + (<usize>p << 4));
            c0 = i32x4.add(c0, i32x4.dot_i16x8_s(v128.load32_splat(a0 + off), b0));
            c1 = i32x4.add(c1, i32x4.dot_i16x8_s(v128.load32_splat(a1 + off), b0));
            c2 = i32x4.add(c2, i32x4.dot_i16x8_s(v128.load32_splat(a2 + off), b0));
            c3 = i32x4.add(c3, i32x4.dot_i16x8_s(v128.load32_splat(a3 + off), b0));
          }
          storeAcc(c0, row, col, n, scaleA, scaleB, bias, out, ldc, transOut, first);
          storeAcc(c1, row + 1, col, n, scaleA, scaleB, bias, out, ldc, transOut, first);
          storeAcc(c2, row + 2, col, n, scaleA, scaleB, bias, out, ldc, transOut, first);
          storeAcc(c3, row + 3, col, n, scaleA, scaleB, bias, out, ldc, transOut, first);
        }
        for (; row < m; row++) {
          const a0 = a + <usize>row * rowBytes;
          let c0 = i32x4.splat(0);
          for (let p = k0; p < k1; p++) c0 = i32x4.add(c0, i32x4.dot_i16x8_s(v128.load32_splat(a0 + (<usize>p << 2)), v128.load(g0 + (<usize>p << 4))));
          storeAcc(c0, row, col, n, scaleA, scaleB, bias, out, ldc, transOut, first);
        }
        continue;
      }
      const g1 = g0 + groupBytes;
      let row = 0;
      for (; row + 4 <= m; row += 4) {
        const a0 = a + <usize>row * rowBytes;
        const a1 = a0 + rowBytes;
        const a2 = a1 + rowBytes;
        const a3 = a2 + rowBytes;
        let c00 = i32x4.splat(0);
        let c01 = i32x4.splat(0);
        let c10 = i32x4.splat(0);
        let c11 = i32x4.splat(0);
        let c20 = i32x4.splat(0);
        let c21 = i32x4.splat(0);
        let c30 = i32x4.splat(0);
        let c31 = i32x4.splat(0);
        for (let p = k0; p < k1; p++) {
          const off = <usize>p << 2;
          const b0 = v128.load(g0 + (<usize>p << 4));
          const b1 = v128.load(g1 + (<usize>p << 4));
          const x0 = v128.load32_splat(a0 + off);
          const x1 = v128.load32_splat(a1 + off);
          const x2 = v128.load32_splat(a2 + off);
          const x3 = v128.load32_splat(a3 + off);
          c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x0, b0));
          c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x0, b1));
          c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x1, b0));
          c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x1, b1));
          c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x2, b0));
          c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x2, b1));
          c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x3, b0));
          c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x3, b1));
        }
        storeAcc(c00, row, col, n, scaleA, scaleB, bias, out, ldc, transOut, first);
        storeAcc(c01, row, col + 4, n, scaleA, scaleB, bias, out, ldc, transOut, first);
        storeAcc(c10, row + 1, col, n, scaleA, scaleB, bias, out, ldc, transOut, first);
        storeAcc(c11, row + 1, col + 4, n, scaleA, scaleB, bias, out, ldc, transOut, first);
        storeAcc(c20, row + 2, col, n, scaleA, scaleB, bias, out, ldc, transOut, first);
        storeAcc(c21, row + 2, col + 4, n, scaleA, scaleB, bias, out, ldc, transOut, first);
        storeAcc(c30, row + 3, col, n, scaleA, scaleB, bias, out, ldc, transOut, first);
        storeAcc(c31, row + 3, col + 4, n, scaleA, scaleB, bias, out, ldc, transOut, first);
      }
      for (; row < m; row++) {
        const a0 = a + <usize>row * rowBytes;
        let c00 = i32x4.splat(0);
        let c01 = i32x4.splat(0);
        for (let p = k0; p < k1; p++) {
          const x0 = v128.load32_splat(a0 + (<usize>p << 2));
          c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x0, v128.load(g0 + (<usize>p << 4))));
          c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x0, v128.load(g1 + (<usize>p << 4))));
        }
        storeAcc(c00, row, col, n, scaleA, scaleB, bias, out, ldc, transOut, first);
        storeAcc(c01, row, col + 4, n, scaleA, scaleB, bias, out, ldc, transOut, first);
      }
    }
  }
}

// Quantizes x [k, n] (f32, row stride ldx) into the packed B layout above, for
// n columns and kPad (even) k: the int8 conv's im2col columns, positions as
// GEMM columns. Values as quantizeI16 (q − zp as i16); padding is zero.
export function quantizePackI16(x: usize, k: i32, n: i32, ldx: i32, invScale: f32, zp: i32, qmin: i32, qmax: i32, out: usize, kPad: i32): void {
  const kp = kPad >> 1;
  const vs = f32x4.splat(invScale);
  const vzp = i32x4.splat(zp);
  const vlo = i32x4.splat(qmin);
  const vhi = i32x4.splat(qmax);
  const ldb = <usize>ldx << 2;
  for (let col = 0; col < n; col += 4) {
    const group = out + <usize>(col >> 2) * (<usize>kp << 4);
    const full = col + 4 <= n;
    for (let p = 0; p < kp; p++) {
      const r0 = p << 1;
      const dst = group + (<usize>p << 4);
      if (full && r0 + 1 < k) {
        const s0 = x + <usize>r0 * ldb + (<usize>col << 2);
        let q0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s0), vs)));
        let q1 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s0 + ldb), vs)));
        q0 = i32x4.sub(i32x4.min_s(i32x4.max_s(i32x4.add(q0, vzp), vlo), vhi), vzp);
        q1 = i32x4.sub(i32x4.min_s(i32x4.max_s(i32x4.add(q1, vzp), vlo), vhi), vzp);
        // [k0 c0..c3, k1 c0..c3] → [c0 k0, c0 k1, c1 k0, …]
        const v = i16x8.narrow_i32x4_s(q0, q1);
        v128.store(dst, i8x16.shuffle(v, v, 0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15));
        continue;
      }
      for (let j = 0; j < 4; j++) {
        for (let h = 0; h < 2; h++) {
          const r = r0 + h;
          let q: i32 = 0;
          if (col + j < n && r < k) {
            const v = load<f32>(x + <usize>r * ldb + (<usize>(col + j) << 2));
            q = min(max(<i32>min(max(nearest(v * invScale), <f32>-65536), <f32>65536) + zp, qmin), qmax) - zp;
          }
          store<i16>(dst + (<usize>(j * 2 + h) << 1), <i16>q);
        }
      }
    }
  }
}
