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
// overwrite their whole output (zero it, then accumulate).
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

// The adjoint of im2col: every column entry is added back to the input
// element it was read from (overlapping windows accumulate).
export function col2imF32(
  cols: usize, x: usize, channels: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padH: i32, padW: i32, dilationH: i32, dilationW: i32,
): void {
  const planeBytes = <usize>inH * <usize>inW << 2;
  const rowBytes = <usize>outH * <usize>outW << 2;
  zeroF32(x, channels * inH * inW);
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

// ----------------------------------------------------------- max pool ---

// Padding never wins: windows take the max over their in-range taps only,
// which is what padding with -inf gives. NaN wins over everything, as in
// PyTorch. `indices` gets the plane offset of each max (first one on ties).
export function maxPool2dF32(
  x: usize, out: usize, indices: usize, planes: i32, inH: i32, inW: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padH: i32, padW: i32, dilationH: i32, dilationW: i32,
): void {
  const planeBytes = <usize>inH * <usize>inW << 2;
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const plane = x + <usize>p * planeBytes;
    for (let oh = 0; oh < outH; oh++) {
      let h0 = oh * strideH - padH;
      const h1 = min(h0 + (kH - 1) * dilationH + 1, inH);
      while (h0 < 0) h0 += dilationH;
      for (let ow = 0; ow < outW; ow++) {
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
        store<i32>(indices + o, arg);
        o += 4;
      }
    }
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
