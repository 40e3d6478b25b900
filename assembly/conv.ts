// Convolution and pooling kernels: im2col / col2im (conv2d runs as GEMM over
// the column matrix), max pooling with argmax indices, average pooling and
// adaptive average pooling, each with its backward.
// Layout: images are contiguous [planes, inH, inW] f32 blocks (one image's
// channels, or N·C planes for pooling). The column matrix is row-major
// [channels·kH·kW, outH·outW]: row (c, ki, kj) holds, for every output
// position, the input element that kernel tap multiplies, 0 in the padding.
// Padding is given as the top/left amount only; bottom/right follow from
// outH/outW, so asymmetric ('same') padding needs nothing extra. Max-pool
// indices are i32 offsets into one plane (h·inW + w), as PyTorch's are.
// Alignment: 4-byte only (v128 loads/stores are unaligned-safe).
// Aliasing: no output may overlap an input. Backward kernels and col2im
// overwrite their whole output (zero it, then accumulate); col2im may also
// zero the column entries that read padding.
// Called by the TS wasm backend (src/backend/wasm.ts) for ops/conv.ts;
// nothing here allocates.

// The output columns [lo, hi) whose input column ow·stride + offset lies in
// [0, inW); every other column of the row reads padding.
@inline function firstInside(offset: i32, stride: i32, outW: i32): i32 {
  return offset >= 0 ? 0 : min(outW, (-offset + stride - 1) / stride);
}
@inline function endInside(offset: i32, stride: i32, inW: i32, outW: i32): i32 {
  const last = inW - 1 - offset;
  return last < 0 ? 0 : min(outW, last / stride + 1);
}

// Bulk memory ops cost a call into the engine each, too much for the few
// floats of an image row: rows use these loops, whole buffers memory.fill.
@inline function zeroF32(p: usize, n: i32): void {
  if (n > 0) memory.fill(p, 0, <usize>n << 2);
}
@inline function zeroRowF32(p: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), f32x4.splat(0));
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), 0);
}
@inline function copyRowF32(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

// -------------------------------------------------------------- im2col ---

export function im2colF32(
  x: usize, cols: usize, channels: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padH: i32, padW: i32, dilationH: i32, dilationW: i32,
): void {
  const planeBytes = <usize>inH * <usize>inW << 2;
  const rowBytes = <usize>outH * <usize>outW << 2;
  if (shiftedRows(inW, outW, strideH, strideW, dilationW)) {
    im2colShiftedF32(x, cols, channels, inH, inW, outH, kH, kW, padH, padW, dilationH);
    return;
  }
  let row = cols;
  for (let c = 0; c < channels; c++) {
    const plane = x + <usize>c * planeBytes;
    for (let ki = 0; ki < kH; ki++) {
      for (let kj = 0; kj < kW; kj++) {
        const offW = kj * dilationW - padW;
        const lo = firstInside(offW, strideW, outW);
        const hi = max(lo, endInside(offW, strideW, inW, outW));
        for (let oh = 0; oh < outH; oh++) {
          const dst = row + (<usize>(oh * outW) << 2);
          const ih = oh * strideH - padH + ki * dilationH;
          if (ih < 0 || ih >= inH) {
            zeroRowF32(dst, outW);
            continue;
          }
          const src = plane + (<usize>(ih * inW) << 2);
          zeroRowF32(dst, lo);
          if (strideW == 1) {
            copyRowF32(dst + (<usize>lo << 2), src + (<usize>(lo + offW) << 2), hi - lo);
          } else {
            for (let ow = lo; ow < hi; ow++) {
              store<f32>(dst + (<usize>ow << 2), load<f32>(src + (<usize>(ow * strideW + offW) << 2)));
            }
          }
          zeroRowF32(dst + (<usize>hi << 2), outW - hi);
        }
        row += rowBytes;
      }
    }
  }
}

// With stride 1 and rows as wide as the input's ('same' padding), each kernel
// tap's column block is the image shifted by ki·dilationH·inW + kj − pad
// elements: one contiguous copy per block, then zeros where a row wrapped
// into its neighbour and in the padding rows. Small images have rows too short
// for a per-row loop to pay for itself.
@inline function shiftedRows(inW: i32, outW: i32, strideH: i32, strideW: i32, dilationW: i32): bool {
  return strideH == 1 && strideW == 1 && dilationW == 1 && outW == inW;
}

function im2colShiftedF32(
  x: usize, cols: usize, channels: i32, inH: i32, inW: i32, outH: i32, kH: i32, kW: i32, padH: i32, padW: i32, dilationH: i32,
): void {
  const plane = inH * inW;
  const block = outH * inW;
  let dst = cols;
  for (let c = 0; c < channels; c++) {
    const src = x + (<usize>(c * plane) << 2);
    for (let ki = 0; ki < kH; ki++) {
      const rowShift = ki * dilationH - padH;
      // Rows [r0, r1) of the tap's block read input rows inside the image.
      const r0 = min(outH, max(0, -rowShift));
      const r1 = max(r0, min(outH, inH - rowShift));
      for (let kj = 0; kj < kW; kj++) {
        const offW = kj - padW;
        const shift = rowShift * inW + offW;
        // Only read inside the plane: the one element either side it would miss is a wrapped (zeroed) one.
        const start = min(block, max(r0 * inW, -shift));
        const end = max(start, min(r1 * inW, plane - shift));
        zeroRowF32(dst, start);
        copyRowF32(dst + (<usize>start << 2), src + (<usize>(start + shift) << 2), end - start);
        zeroRowF32(dst + (<usize>end << 2), block - end);
        const lo = firstInside(offW, 1, inW);
        const hi = max(lo, endInside(offW, 1, inW, inW));
        for (let oh = r0; oh < r1; oh++) {
          const rowDst = dst + (<usize>(oh * inW) << 2);
          for (let ow = 0; ow < lo; ow++) store<f32>(rowDst + (<usize>ow << 2), 0);
          for (let ow = hi; ow < inW; ow++) store<f32>(rowDst + (<usize>ow << 2), 0);
        }
        dst += <usize>block << 2;
      }
    }
  }
}

// The adjoint of im2col: every column entry is added back to the input
// element it was read from (overlapping windows accumulate).
export function col2imF32(
  cols: usize, x: usize, channels: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padH: i32, padW: i32, dilationH: i32, dilationW: i32,
): void {
  const planeBytes = <usize>inH * <usize>inW << 2;
  const rowBytes = <usize>outH * <usize>outW << 2;
  zeroF32(x, channels * inH * inW);
  if (shiftedRows(inW, outW, strideH, strideW, dilationW)) {
    col2imShiftedF32(cols, x, channels, inH, inW, outH, kH, kW, padH, padW, dilationH);
    return;
  }
  let row = cols;
  for (let c = 0; c < channels; c++) {
    const plane = x + <usize>c * planeBytes;
    for (let ki = 0; ki < kH; ki++) {
      for (let kj = 0; kj < kW; kj++) {
        const offW = kj * dilationW - padW;
        const lo = firstInside(offW, strideW, outW);
        const hi = max(lo, endInside(offW, strideW, inW, outW));
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * strideH - padH + ki * dilationH;
          if (ih < 0 || ih >= inH) continue;
          const src = row + (<usize>(oh * outW) << 2);
          const dst = plane + (<usize>(ih * inW) << 2);
          if (strideW == 1) {
            const s = src + (<usize>lo << 2);
            const d = dst + (<usize>(lo + offW) << 2);
            const n = hi - lo;
            let i = 0;
            for (; i + 4 <= n; i += 4) {
              const o = <usize>i << 2;
              v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
            }
            for (; i < n; i++) {
              const o = <usize>i << 2;
              store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
            }
          } else {
            for (let ow = lo; ow < hi; ow++) {
              const d = dst + (<usize>(ow * strideW + offW) << 2);
              store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ow << 2)));
            }
          }
        }
        row += rowBytes;
      }
    }
  }
}

// col2im's shifted-rows case (see im2colShiftedF32): the entries that read
// padding are zeroed in cols first, so each tap's block adds to the image in
// one contiguous pass.
function col2imShiftedF32(
  cols: usize, x: usize, channels: i32, inH: i32, inW: i32, outH: i32, kH: i32, kW: i32, padH: i32, padW: i32, dilationH: i32,
): void {
  const plane = inH * inW;
  const block = outH * inW;
  let src = cols;
  for (let c = 0; c < channels; c++) {
    const dst = x + (<usize>(c * plane) << 2);
    for (let ki = 0; ki < kH; ki++) {
      const rowShift = ki * dilationH - padH;
      const r0 = min(outH, max(0, -rowShift));
      const r1 = max(r0, min(outH, inH - rowShift));
      for (let kj = 0; kj < kW; kj++) {
        const offW = kj - padW;
        const shift = rowShift * inW + offW;
        const lo = firstInside(offW, 1, inW);
        const hi = max(lo, endInside(offW, 1, inW, inW));
        for (let oh = r0; oh < r1; oh++) {
          const rowSrc = src + (<usize>(oh * inW) << 2);
          for (let ow = 0; ow < lo; ow++) store<f32>(rowSrc + (<usize>ow << 2), 0);
          for (let ow = hi; ow < inW; ow++) store<f32>(rowSrc + (<usize>ow << 2), 0);
        }
        const start = min(block, max(r0 * inW, -shift));
        const end = max(start, min(r1 * inW, plane - shift));
        const s = src + (<usize>start << 2);
        const d = dst + (<usize>(start + shift) << 2);
        const n = end - start;
        let i = 0;
        for (; i + 4 <= n; i += 4) {
          const o = <usize>i << 2;
          v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
        }
        for (; i < n; i++) {
          const o = <usize>i << 2;
          store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
        }
        src += <usize>block << 2;
      }
    }
  }
}

// ----------------------------------------------------------- max pool ---

// Padding never wins: windows take the max over their in-range taps only,
// which is what padding with -inf gives. NaN wins over everything, as in
// PyTorch (the last NaN of a window, which taps visit row by row). `indices`
// gets the plane offset of each max (first one on ties); indices = 0 skips
// them (inference: nothing will read them).
// Windows whose taps all lie inside their row go four at a time: V8 turns a
// scalar f32 compare-and-select into branches that mispredict on real data,
// while f32x4 compares and bitselects have none. A row's last windows short of
// four are redone by one overlapping group ending at the row's last inside
// window (same values, written twice).
export function maxPool2dF32(
  x: usize, out: usize, indices: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padH: i32, padW: i32, dilationH: i32, dilationW: i32,
): void {
  if (indices == 0) maxPool2d(x, out, 0, planes, inH, inW, outH, outW, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW, false);
  else maxPool2d(x, out, indices, planes, inH, inW, outH, outW, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW, true);
}

@inline function maxPool2d(
  x: usize, out: usize, indices: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padH: i32, padW: i32, dilationH: i32, dilationW: i32, withIndices: bool,
): void {
  const planeBytes = <usize>inH * <usize>inW << 2;
  // Windows [lo, hi) have every tap column inside [0, inW).
  const lo = firstInside(-padW, strideW, outW);
  const hi = max(lo, endInside((kW - 1) * dilationW - padW, strideW, inW, outW));
  const simd = hi - lo >= 4;
  // 2×2 windows at stride 2 over two whole rows: 8 adjacent floats of a row are exactly four windows' taps.
  const pairs = kW == 2 && strideW == 2 && dilationW == 1;
  const laneCols = i32x4(0, strideW, 2 * strideW, 3 * strideW);
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const plane = x + <usize>p * planeBytes;
    for (let oh = 0; oh < outH; oh++) {
      let h0 = oh * strideH - padH;
      const h1 = min(h0 + (kH - 1) * dilationH + 1, inH);
      while (h0 < 0) h0 += dilationH;
      const twoRows = pairs && kH == 2 && dilationH == 1 && h0 + 2 == h1;
      for (let ow = 0; ow < outW; ow++) {
        if (ow == lo && simd) {
          for (let g = lo; g < hi; g += 4) {
            const at = min(g, hi - 4);
            const d = o + (<usize>(at - lo) << 2);
            if (twoRows) maxPool2x2Group(plane, out + d, indices + d, h0, at, inW, padW, withIndices);
            else maxPoolGroup(plane, out + d, indices + d, h0, h1, at, inW, kW, strideW, padW, dilationH, dilationW, laneCols, withIndices);
          }
          o += <usize>(hi - lo) << 2;
          ow = hi - 1; // the loop's ow++ moves on to `hi`
          continue;
        }
        let w0 = ow * strideW - padW;
        const w1 = min(w0 + (kW - 1) * dilationW + 1, inW);
        while (w0 < 0) w0 += dilationW;
        let best = -Infinity as f32;
        let arg = h0 * inW + w0;
        for (let h = h0; h < h1; h += dilationH) {
          for (let w = w0; w < w1; w += dilationW) {
            const at = h * inW + w;
            const v = load<f32>(plane + (<usize>at << 2));
            if (v > best || isNaN(v)) {
              best = v;
              arg = at;
            }
          }
        }
        store<f32>(out + o, best);
        if (withIndices) store<i32>(indices + o, arg);
        o += 4;
      }
    }
  }
}

// Lanes of b where b wins over a in visiting order (a before b): b greater, or b NaN.
@inline function laterWins(a: v128, b: v128): v128 {
  return v128.or(f32x4.gt(b, a), f32x4.ne(b, b));
}

// Windows ow … ow + 3 of 2×2 windows at stride 2 on rows h0, h0 + 1, all taps inside: each row's
// pair first, then the rows (the winner of visiting order is associative: leftmost max, last NaN).
@inline function maxPool2x2Group(plane: usize, out: usize, indices: usize, h0: i32, ow: i32, inW: i32, padW: i32, withIndices: bool): void {
  const at = h0 * inW + ow * 2 - padW;
  const src = plane + (<usize>at << 2);
  const below = <usize>inW << 2;
  const a = v128.load(src);
  const b = v128.load(src, 16);
  const c = v128.load(src + below);
  const d = v128.load(src + below, 16);
  const topL = i8x16.shuffle(a, b, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
  const topR = i8x16.shuffle(a, b, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
  const botL = i8x16.shuffle(c, d, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
  const botR = i8x16.shuffle(c, d, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
  const takeTop = laterWins(topL, topR);
  const top = v128.bitselect(topR, topL, takeTop);
  const takeBot = laterWins(botL, botR);
  const bot = v128.bitselect(botR, botL, takeBot);
  const take = laterWins(top, bot);
  v128.store(out, v128.bitselect(bot, top, take));
  if (withIndices) {
    // A taken lane is all ones (−1): subtracting it moves to the right tap.
    const base = i32x4.add(i32x4.splat(at), i32x4(0, 2, 4, 6));
    const topArg = i32x4.sub(base, takeTop);
    const botArg = i32x4.sub(i32x4.add(base, i32x4.splat(inW)), takeBot);
    v128.store(indices, v128.bitselect(botArg, topArg, take));
  }
}

// Windows ow … ow + 3 of any window shape, all tap columns inside the row, taps visited row by row.
@inline function maxPoolGroup(
  plane: usize, out: usize, indices: usize, h0: i32, h1: i32, ow: i32,
  inW: i32, kW: i32, strideW: i32, padW: i32, dilationH: i32, dilationW: i32, laneCols: v128, withIndices: bool,
): void {
  let best = f32x4.splat(-Infinity);
  let arg = i32x4.splat(0);
  for (let h = h0; h < h1; h += dilationH) {
    for (let kj = 0; kj < kW; kj++) {
      const at = h * inW + ow * strideW + kj * dilationW - padW;
      const src = plane + (<usize>at << 2);
      let v: v128;
      if (strideW == 1) v = v128.load(src);
      else {
        const step = <usize>strideW << 2;
        v = f32x4(load<f32>(src), load<f32>(src + step), load<f32>(src + 2 * step), load<f32>(src + 3 * step));
      }
      const take = laterWins(best, v);
      best = v128.bitselect(v, best, take);
      if (withIndices) arg = v128.bitselect(i32x4.add(i32x4.splat(at), laneCols), arg, take);
    }
  }
  v128.store(out, best);
  if (withIndices) {
    // An all -inf window keeps its first tap, as the scalar loop does.
    const first = i32x4.add(i32x4.splat(h0 * inW + ow * strideW - padW), laneCols);
    v128.store(indices, v128.bitselect(arg, first, laterWins(f32x4.splat(-Infinity), best)));
  }
}

// gradIn[p, indices[p, o]] += gradOut[p, o]; gradIn is overwritten.
export function maxPool2dBackwardF32(gradOut: usize, indices: usize, gradIn: usize, planes: i32, inPlane: i32, outPlane: i32): void {
  zeroF32(gradIn, planes * inPlane);
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const plane = gradIn + (<usize>p * <usize>inPlane << 2);
    for (let j = 0; j < outPlane; j++) {
      const d = plane + (<usize>load<i32>(indices + o) << 2);
      store<f32>(d, load<f32>(d) + load<f32>(gradOut + o));
      o += 4;
    }
  }
}

// ----------------------------------------------------------- avg pool ---

// The divisor of window (oh, ow), as PyTorch defines it: the window clipped
// to the padded input when padding counts, to the input when it does not;
// a non-zero `divisor` overrides both.
@inline function avgDivisor(h0: i32, w0: i32, kH: i32, kW: i32, inH: i32, inW: i32, padH: i32, padW: i32, countIncludePad: i32, divisor: i32): f32 {
  if (divisor != 0) return <f32>divisor;
  if (countIncludePad) return <f32>((min(h0 + kH, inH + padH) - h0) * (min(w0 + kW, inW + padW) - w0));
  return <f32>((min(h0 + kH, inH) - max(h0, 0)) * (min(w0 + kW, inW) - max(w0, 0)));
}

export function avgPool2dF32(
  x: usize, out: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padH: i32, padW: i32, countIncludePad: i32, divisor: i32,
): void {
  const planeBytes = <usize>inH * <usize>inW << 2;
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const plane = x + <usize>p * planeBytes;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * strideH - padH;
      for (let ow = 0; ow < outW; ow++) {
        const w0 = ow * strideW - padW;
        const div = avgDivisor(h0, w0, kH, kW, inH, inW, padH, padW, countIncludePad, divisor);
        let acc: f32 = 0;
        for (let h = max(h0, 0); h < min(h0 + kH, inH); h++) {
          for (let w = max(w0, 0); w < min(w0 + kW, inW); w++) acc += load<f32>(plane + (<usize>(h * inW + w) << 2));
        }
        store<f32>(out + o, acc / div);
        o += 4;
      }
    }
  }
}

export function avgPool2dBackwardF32(
  gradOut: usize, gradIn: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padH: i32, padW: i32, countIncludePad: i32, divisor: i32,
): void {
  const planeBytes = <usize>inH * <usize>inW << 2;
  zeroF32(gradIn, planes * inH * inW);
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const plane = gradIn + <usize>p * planeBytes;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * strideH - padH;
      for (let ow = 0; ow < outW; ow++) {
        const w0 = ow * strideW - padW;
        const g = load<f32>(gradOut + o) / avgDivisor(h0, w0, kH, kW, inH, inW, padH, padW, countIncludePad, divisor);
        for (let h = max(h0, 0); h < min(h0 + kH, inH); h++) {
          for (let w = max(w0, 0); w < min(w0 + kW, inW); w++) {
            const d = plane + (<usize>(h * inW + w) << 2);
            store<f32>(d, load<f32>(d) + g);
          }
        }
        o += 4;
      }
    }
  }
}

// ------------------------------------------------- adaptive avg pool ---

// Output cell o of n covers input [floor(o·len/n), ceil((o+1)·len/n)).
@inline function adaptiveStart(o: i32, len: i32, n: i32): i32 {
  return (o * len) / n;
}
@inline function adaptiveEnd(o: i32, len: i32, n: i32): i32 {
  return ((o + 1) * len + n - 1) / n;
}

export function adaptiveAvgPool2dF32(x: usize, out: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): void {
  const planeBytes = <usize>inH * <usize>inW << 2;
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const plane = x + <usize>p * planeBytes;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = adaptiveStart(oh, inH, outH);
      const h1 = adaptiveEnd(oh, inH, outH);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = adaptiveStart(ow, inW, outW);
        const w1 = adaptiveEnd(ow, inW, outW);
        let acc: f32 = 0;
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) acc += load<f32>(plane + (<usize>(h * inW + w) << 2));
        }
        store<f32>(out + o, acc / <f32>((h1 - h0) * (w1 - w0)));
        o += 4;
      }
    }
  }
}

export function adaptiveAvgPool2dBackwardF32(gradOut: usize, gradIn: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32): void {
  const planeBytes = <usize>inH * <usize>inW << 2;
  zeroF32(gradIn, planes * inH * inW);
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const plane = gradIn + <usize>p * planeBytes;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = adaptiveStart(oh, inH, outH);
      const h1 = adaptiveEnd(oh, inH, outH);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = adaptiveStart(ow, inW, outW);
        const w1 = adaptiveEnd(ow, inW, outW);
        const g = load<f32>(gradOut + o) / <f32>((h1 - h0) * (w1 - w0));
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) {
            const d = plane + (<usize>(h * inW + w) << 2);
            store<f32>(d, load<f32>(d) + g);
          }
        }
        o += 4;
      }
    }
  }
}
