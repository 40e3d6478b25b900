/**
 * The reference backend: every kernel as a plain loop over typed arrays, computed in float64 and
 * stored in the storage's dtype. Read it first to learn what a kernel computes: `loops` holds one
 * loop per Backend method, `ReferenceBackend` maps storages to typed arrays and calls them, and the
 * scalar functions and pooling windows the loops share come last. It is also the `js` device (the
 * only one with float64, where `gradcheck` runs), the oracle the SIMD kernels are tested against,
 * and what the wasm backend runs, over views of its linear memory, for dtypes and ops that have no
 * SIMD kernel.
 */
import type { DType, TypedArray } from '../dtype.js';
import { arrayTypeOf, roundHalfEven } from '../dtype.js';
import { forEachStrided } from '../shape.js';
import type {
  AdaptiveWindow2d,
  AttentionDims,
  AvgWindow2d,
  Backend,
  BinaryOp,
  Block,
  FixedBGemm,
  GemmArgs,
  GemmInt8Args,
  MemoryStats,
  QuantizeArgs,
  QuantizeBytesArgs,
  ReduceOp,
  ScanOp,
  Storage,
  Strided,
  UnaryOp,
  Window2d,
} from './backend.js';
import type { AdagradHyper, AdamHyper, OptimTarget, RmspropHyper, SgdHyper } from './backend.js';
import { blockGemm } from './backend.js';
import * as rnn from './rnn-reference.js';
import * as attn from './attention-reference.js';
import type { Span } from './rnn-reference.js';
import { now } from './version.js';

/** The loops, over any typed arrays; shared by both backends. */
export const loops = {
  unary(op: UnaryOp, x: TypedArray, xOffset: number, out: TypedArray, n: number): void {
    const f = unaryFns[op];
    for (let i = 0; i < n; i++) out[i] = f(x[xOffset + i]);
  },
  clamp(x: TypedArray, xOffset: number, out: TypedArray, n: number, lo: number, hi: number): void {
    for (let i = 0; i < n; i++) {
      // torch's std::max/min order: NaN and either zero pass unless strictly outside.
      const v = x[xOffset + i];
      const m = v < lo ? lo : v;
      out[i] = hi < m ? hi : m;
    }
  },
  binary(op: BinaryOp, a: TypedArray, aS: Strided, b: TypedArray, bS: Strided, out: TypedArray, shape: readonly number[], outOffset = 0): void {
    const f = (out instanceof Int32Array && intFns[op]) || binaryFns[op];
    forEachStrided(shape, [aS.strides, bS.strides], [aS.offset, bS.offset], (i, [ia, ib]) => {
      out[outOffset + i] = f(a[ia], b[ib]);
    });
  },
  copy(x: TypedArray, xS: Strided, out: TypedArray, outOffset: number, shape: readonly number[]): void {
    forEachStrided(shape, [xS.strides], [xS.offset], (i, [ix]) => {
      out[outOffset + i] = x[ix];
    });
  },
  assign(x: TypedArray, xS: Strided, out: TypedArray, outS: Strided, shape: readonly number[]): void {
    const toInt = out instanceof Int32Array;
    forEachStrided(shape, [outS.strides, xS.strides], [outS.offset, xS.offset], (_, [io, ix]) => {
      out[io] = toInt ? Math.trunc(x[ix]) : x[ix];
    });
  },
  where(cond: TypedArray, cS: Strided, a: TypedArray, aS: Strided, b: TypedArray, bS: Strided, out: TypedArray, shape: readonly number[]): void {
    forEachStrided(shape, [cS.strides, aS.strides, bS.strides], [cS.offset, aS.offset, bS.offset], (i, [ic, ia, ib]) => {
      out[i] = cond[ic] !== 0 ? a[ia] : b[ib];
    });
  },
  gather(x: TypedArray, xS: Strided, index: TypedArray, iS: Strided, step: number, out: TypedArray, shape: readonly number[]): void {
    forEachStrided(shape, [xS.strides, iS.strides], [xS.offset, iS.offset], (i, [ix, ii]) => {
      out[i] = x[ix + index[ii] * step];
    });
  },
  scatter(
    src: TypedArray,
    sS: Strided,
    index: TypedArray,
    iS: Strided,
    step: number,
    out: TypedArray,
    oS: Strided,
    shape: readonly number[],
    accumulate: boolean,
  ): void {
    const toInt = out instanceof Int32Array;
    forEachStrided(shape, [oS.strides, iS.strides, sS.strides], [oS.offset, iS.offset, sS.offset], (_, [io, ii, is]) => {
      const at = io + index[ii] * step;
      const v = accumulate ? out[at] + src[is] : src[is];
      out[at] = toInt ? Math.trunc(v) : v;
    });
  },
  indexBounds(index: TypedArray, offset: number, n: number, bound: number): number {
    for (let i = 0; i < n; i++) {
      const v = index[offset + i];
      if (v < 0 || v >= bound) return i;
    }
    return -1;
  },
  scan(op: ScanOp, x: TypedArray, xOffset: number, out: TypedArray, outer: number, len: number, inner: number): void {
    const wrap = out instanceof Int32Array;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        let acc = op === 'sum' ? 0 : 1;
        for (let i = 0; i < len; i++) {
          const at = (o * len + i) * inner + j;
          const v = x[xOffset + at];
          if (wrap) acc = op === 'sum' ? (acc + v) | 0 : Math.imul(acc, v);
          else acc = op === 'sum' ? acc + v : acc * v;
          out[at] = acc;
        }
      }
    }
  },
  cumprodBackward(x: TypedArray, xOffset: number, g: TypedArray, gOffset: number, out: TypedArray, outer: number, len: number, inner: number): void {
    // O(len²) per line: each product skips x[k] instead of dividing by it.
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const at = (i: number) => (o * len + i) * inner + j;
        let prefix = 1;
        for (let k = 0; k < len; k++) {
          let p = prefix;
          let acc = g[gOffset + at(k)] * p;
          for (let i = k + 1; i < len; i++) {
            p *= x[xOffset + at(i)];
            acc += g[gOffset + at(i)] * p;
          }
          out[at(k)] = acc;
          prefix *= x[xOffset + at(k)];
        }
      }
    }
  },
  argsort(x: TypedArray, xOffset: number, out: TypedArray, outer: number, len: number, inner: number, descending: boolean): void {
    const order = new Array<number>(len);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const at = (i: number) => (o * len + i) * inner + j;
        const value = (i: number) => x[xOffset + at(i)];
        for (let i = 0; i < len; i++) order[i] = i;
        order.sort((p, q) => (descending ? compareAscending(value(q), value(p)) : compareAscending(value(p), value(q))));
        for (let i = 0; i < len; i++) out[at(i)] = order[i];
      }
    }
  },
  reduce(op: ReduceOp, x: TypedArray, xOffset: number, out: TypedArray, outer: number, len: number, inner: number): void {
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const base = xOffset + o * len * inner + j;
        let acc = op === 'sum' ? 0 : x[base];
        let arg = 0;
        for (let r = op === 'sum' ? 0 : 1; r < len; r++) {
          const v = x[base + r * inner];
          if (op === 'sum') acc += v;
          else if (Number.isNaN(acc)) break;
          else if (op === 'max' || op === 'argmax' ? v > acc || Number.isNaN(v) : v < acc || Number.isNaN(v)) {
            acc = v;
            arg = r;
          }
        }
        // JS sums int32 exactly (to 2^53), so an int32 sum that leaves int32 is caught here, not wrapped.
        if (op === 'sum' && out instanceof Int32Array && (acc > 2147483647 || acc < -2147483648)) {
          throw new RangeError(
            `sum: the int32 sum ${acc} overflows int32 (PyTorch would widen to int64, which Tessera lacks); convert first, e.g. x.to('float32') or, on the 'js' device, x.to('float64')`,
          );
        }
        out[o * inner + j] = op === 'argmax' || op === 'argmin' ? arg : len === 0 && op !== 'sum' ? NaN : acc;
      }
    }
  },
  reluBackward(x: TypedArray, xOffset: number, gradOut: TypedArray, gradOutOffset: number, gradIn: TypedArray, n: number): void {
    // torch's threshold_backward: a NaN input passes its gradient on.
    for (let i = 0; i < n; i++) gradIn[i] = x[xOffset + i] <= 0 ? 0 : gradOut[gradOutOffset + i];
  },
  crossEntropy(x: TypedArray, xOffset: number, target: TypedArray, probs: TypedArray, loss: TypedArray, rows: number, cols: number): void {
    loops.softmax(false, x, xOffset, probs, rows, cols);
    for (let r = 0; r < rows; r++) {
      const row = xOffset + r * cols;
      const [m, s] = maxAndExpSum(x, row, cols);
      loss[r] = m + Math.log(s) - x[row + target[r]];
    }
  },
  crossEntropyBackward(probs: TypedArray, target: TypedArray, scale: TypedArray, gradIn: TypedArray, rows: number, cols: number): void {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) gradIn[r * cols + c] = probs[r * cols + c] * scale[r] - (c === target[r] ? scale[r] : 0);
    }
  },
  softmax(log: boolean, x: TypedArray, xOffset: number, out: TypedArray, rows: number, cols: number): void {
    for (let r = 0; r < rows; r++) {
      const base = xOffset + r * cols;
      const [max, sum] = maxAndExpSum(x, base, cols);
      const logSum = Math.log(sum);
      for (let c = 0; c < cols; c++) {
        const shifted = x[base + c] - max;
        out[r * cols + c] = log ? shifted - logSum : Math.exp(shifted) / sum;
      }
    }
  },
  geluBackward(tanhForm: boolean, x: TypedArray, xOffset: number, g: TypedArray, gOffset: number, out: TypedArray, n: number): void {
    const slope = unaryFns[tanhForm ? 'geluTanhGrad' : 'geluGrad'];
    for (let i = 0; i < n; i++) out[i] = g[gOffset + i] * slope(x[xOffset + i]);
  },
  softmaxBackward(log: boolean, y: TypedArray, g: TypedArray, out: TypedArray, rows: number, cols: number): void {
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let s = 0;
      for (let c = 0; c < cols; c++) s += log ? g[base + c] : g[base + c] * y[base + c];
      for (let c = 0; c < cols; c++) out[base + c] = log ? g[base + c] - Math.exp(y[base + c]) * s : y[base + c] * (g[base + c] - s);
    }
  },
  layerNorm(
    x: TypedArray,
    xOffset: number,
    w: TypedArray | null,
    b: TypedArray | null,
    out: TypedArray,
    mean: TypedArray,
    rstd: TypedArray,
    rows: number,
    cols: number,
    eps: number,
  ): void {
    for (let r = 0; r < rows; r++) {
      const base = xOffset + r * cols;
      let m = 0;
      for (let c = 0; c < cols; c++) m += x[base + c];
      m /= cols;
      let v = 0;
      for (let c = 0; c < cols; c++) v += (x[base + c] - m) ** 2;
      const s = 1 / Math.sqrt(v / cols + eps);
      mean[r] = m;
      rstd[r] = s;
      for (let c = 0; c < cols; c++) out[r * cols + c] = (x[base + c] - m) * s * (w ? w[c] : 1) + (b ? b[c] : 0);
    }
  },
  layerNormBackward(
    x: TypedArray,
    g: TypedArray,
    w: TypedArray | null,
    mean: TypedArray,
    rstd: TypedArray,
    gradIn: TypedArray,
    gradW: TypedArray | null,
    gradB: TypedArray | null,
    rows: number,
    cols: number,
  ): void {
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let sumDy = 0,
        sumDyXh = 0;
      for (let c = 0; c < cols; c++) {
        const xh = (x[base + c] - mean[r]) * rstd[r];
        const dy = g[base + c] * (w ? w[c] : 1);
        sumDy += dy;
        sumDyXh += dy * xh;
        if (gradW) gradW[c] += g[base + c] * xh;
        if (gradB) gradB[c] += g[base + c];
      }
      for (let c = 0; c < cols; c++) {
        const xh = (x[base + c] - mean[r]) * rstd[r];
        const dy = g[base + c] * (w ? w[c] : 1);
        gradIn[base + c] = rstd[r] * (dy - sumDy / cols - (xh * sumDyXh) / cols);
      }
    }
  },
  /** The int8 GEMM over i16 views (layouts in assembly/int8.ts); epilogue in float32 like the kernel. */
  // The int8 kernels' layouts (assembly/int8.ts): element indices of A (i16, 4-row panels) and B (int8, 8-column panels).
  gemmInt8(g: GemmInt8Args, a: Int16Array, b: Int8Array, scaleB: TypedArray, corr: TypedArray | null, bias: TypedArray | null, out: TypedArray): void {
    for (let row = 0; row < g.m; row++) {
      for (let col = 0; col < g.n; col++) {
        let acc = 0;
        for (let k = 0; k < g.kPad; k++) acc += a[int8AIndex(row, k, g.kPad)] * b[int8BIndex(col, k, g.kPad)];
        const c = g.perRowScale ? row : col;
        if (corr) acc += g.corrMul * corr[c];
        const y = Math.fround(Math.fround(acc) * Math.fround(scaleB[c] * Math.fround(g.scaleA)));
        out[g.outOffset + row * g.ldc + col] = bias ? Math.fround(y + bias[c]) : y;
      }
    }
  },
  quantizeInt8A(q: QuantizeArgs, x: TypedArray, out: Int16Array): void {
    out.fill(0, 0, Math.ceil(q.rows / 4) * 4 * q.kPad);
    for (let r = 0; r < q.rows; r++) {
      for (let c = 0; c < q.cols; c++) out[int8AIndex(r, c, q.kPad)] = quantizeVal(x[q.xOffset + r * q.rowStride + c * q.colStride], q) - q.zeroPoint;
    }
  },
  /** gemmInt8 on the relaxed layouts: u7 A bytes, int8 B in k quads (assembly/int8.ts, gemmI8U7). */
  gemmInt8U7(g: GemmInt8Args, a: Uint8Array, b: Int8Array, scaleB: TypedArray, corr: TypedArray | null, bias: TypedArray | null, out: TypedArray): void {
    for (let row = 0; row < g.m; row++) {
      for (let col = 0; col < g.n; col++) {
        let acc = 0;
        for (let k = 0; k < g.kPad; k++) acc += a[u7AIndex(row, k, g.kPad)] * b[u7BIndex(col, k, g.kPad)];
        if (corr) acc += g.corrMul * corr[col];
        const y = Math.fround(Math.fround(acc) * Math.fround(scaleB[col] * Math.fround(g.scaleA)));
        out[g.outOffset + row * g.ldc + col] = bias ? Math.fround(y + bias[col]) : y;
      }
    }
  },
  quantizeInt8U7A(q: QuantizeArgs, x: TypedArray, out: Uint8Array): void {
    out.fill(0, 0, Math.ceil(q.rows / 4) * 4 * q.kPad);
    for (let r = 0; r < q.rows; r++) {
      for (let c = 0; c < q.cols; c++) out[u7AIndex(r, c, q.kPad)] = quantizeVal(x[q.xOffset + r * q.rowStride + c * q.colStride], q);
    }
  },
  quantizeInt8(q: QuantizeBytesArgs, x: TypedArray, out: Int8Array): void {
    for (let i = 0; i < q.n; i++) out[i] = quantizeVal(x[q.xOffset + i], q) - 128;
  },
  im2colInt8(xq: Int8Array, xOffset: number, out: Int8Array, channels: number, w: Window2d, fill: number, kPad: number, u7A: boolean): void {
    const positions = w.outH * w.outW;
    const k = channels * w.kH * w.kW;
    for (let j = 0; j < Math.ceil(positions / 8) * 8; j++) {
      const [oh, ow] = [Math.floor(j / w.outW), j % w.outW];
      for (let r = 0; r < kPad; r++) {
        const [c, ki, kj] = [Math.floor(r / (w.kH * w.kW)), Math.floor(r / w.kW) % w.kH, r % w.kW];
        const ih = oh * w.strideH - w.padH + ki * w.dilationH;
        const iw = ow * w.strideW - w.padW + kj * w.dilationW;
        const inside = j < positions && r < k && ih >= 0 && ih < w.inH && iw >= 0 && iw < w.inW;
        out[u7A ? u7AIndex(j, r, kPad) : int8BIndex(j, r, kPad)] = inside ? xq[xOffset + (c * w.inH + ih) * w.inW + iw] : fill;
      }
    }
  },
  gemm(g: GemmArgs, a: TypedArray, b: TypedArray, c: TypedArray): void {
    for (let i = 0; i < g.m; i++) {
      for (let j = 0; j < g.n; j++) {
        let acc = 0;
        for (let p = 0; p < g.k; p++) {
          const av = a[g.aOffset + (g.transA ? p * g.lda + i : i * g.lda + p)];
          const bv = b[g.bOffset + (g.transB ? j * g.ldb + p : p * g.ldb + j)];
          acc += av * bv;
        }
        const ci = g.cOffset + i * g.ldc + j;
        c[ci] = g.beta === 0 ? g.alpha * acc : g.alpha * acc + g.beta * c[ci];
      }
    }
  },
  // The optimizer updates, one element at a time, in PyTorch 1.13's order of operations; the SIMD
  // kernels in assembly/optim.ts follow these lines. A state value is read back after it is
  // stored, so float32 storage rounds it where PyTorch's float32 tensors do.
  sgdStep(p: TypedArray, g: TypedArray, gOffset: number, n: number, buf: TypedArray | null, h: SgdHyper): void {
    for (let i = 0; i < n; i++) {
      let d = h.maximize ? -g[gOffset + i] : g[gOffset + i];
      if (h.weightDecay !== 0) d += h.weightDecay * p[i];
      if (buf) {
        buf[i] = h.initBuffer ? d : buf[i] * h.momentum + (1 - h.dampening) * d;
        d = h.nesterov ? d + h.momentum * buf[i] : buf[i];
      }
      p[i] += -h.lr * d;
    }
  },
  adamStep(p: TypedArray, g: TypedArray, gOffset: number, n: number, m: TypedArray, v: TypedArray, vMax: TypedArray | null, h: AdamHyper): void {
    for (let i = 0; i < n; i++) {
      let d = h.maximize ? -g[gOffset + i] : g[gOffset + i];
      if (h.weightDecay !== 0) d += h.weightDecay * p[i];
      if (h.paramScale !== 1) p[i] *= h.paramScale;
      m[i] = m[i] * h.beta1 + (1 - h.beta1) * d;
      v[i] = v[i] * h.beta2 + (1 - h.beta2) * d * d;
      if (vMax) vMax[i] = Math.max(vMax[i], v[i]);
      const denom = Math.sqrt((vMax ?? v)[i]) / h.bias2Sqrt + h.eps;
      p[i] += (-h.stepSize * m[i]) / denom;
    }
  },
  rmspropStep(
    p: TypedArray,
    g: TypedArray,
    gOffset: number,
    n: number,
    sq: TypedArray,
    gAvg: TypedArray | null,
    buf: TypedArray | null,
    h: RmspropHyper,
  ): void {
    for (let i = 0; i < n; i++) {
      let d = h.maximize ? -g[gOffset + i] : g[gOffset + i];
      if (h.weightDecay !== 0) d += h.weightDecay * p[i];
      sq[i] = sq[i] * h.alpha + (1 - h.alpha) * d * d;
      let avg: number;
      if (gAvg) {
        gAvg[i] = gAvg[i] * h.alpha + (1 - h.alpha) * d;
        avg = Math.sqrt(sq[i] - gAvg[i] * gAvg[i]) + h.eps;
      } else avg = Math.sqrt(sq[i]) + h.eps;
      if (buf) {
        buf[i] = buf[i] * h.momentum + d / avg;
        p[i] += -h.lr * buf[i];
      } else p[i] += (-h.lr * d) / avg;
    }
  },
  adagradStep(p: TypedArray, g: TypedArray, gOffset: number, n: number, sum: TypedArray, h: AdagradHyper): void {
    for (let i = 0; i < n; i++) {
      let d = h.maximize ? -g[gOffset + i] : g[gOffset + i];
      if (h.weightDecay !== 0) d += h.weightDecay * p[i];
      sum[i] += d * d;
      p[i] += (-h.clr * d) / (Math.sqrt(sum[i]) + h.eps);
    }
  },
  fill(out: TypedArray, offset: number, n: number, value: number): void {
    out.fill(value, offset, offset + n);
  },
  cast(x: TypedArray, xOffset: number, out: TypedArray, n: number): void {
    const toInt = out instanceof Int32Array;
    for (let i = 0; i < n; i++) out[i] = toInt ? Math.trunc(x[xOffset + i]) | 0 : x[xOffset + i];
  },
  im2col(x: TypedArray, xOffset: number, cols: TypedArray, channels: number, w: Window2d, colsOffset = 0): void {
    let i = colsOffset;
    for (let c = 0; c < channels; c++) {
      for (let ki = 0; ki < w.kH; ki++) {
        for (let kj = 0; kj < w.kW; kj++) {
          for (let oh = 0; oh < w.outH; oh++) {
            const ih = oh * w.strideH - w.padH + ki * w.dilationH;
            for (let ow = 0; ow < w.outW; ow++) {
              const iw = ow * w.strideW - w.padW + kj * w.dilationW;
              const inside = ih >= 0 && ih < w.inH && iw >= 0 && iw < w.inW;
              cols[i++] = inside ? x[xOffset + (c * w.inH + ih) * w.inW + iw] : 0;
            }
          }
        }
      }
    }
  },
  col2im(cols: TypedArray, out: TypedArray, outOffset: number, channels: number, w: Window2d): void {
    out.fill(0, outOffset, outOffset + channels * w.inH * w.inW);
    let i = 0;
    for (let c = 0; c < channels; c++) {
      for (let ki = 0; ki < w.kH; ki++) {
        for (let kj = 0; kj < w.kW; kj++) {
          for (let oh = 0; oh < w.outH; oh++) {
            const ih = oh * w.strideH - w.padH + ki * w.dilationH;
            for (let ow = 0; ow < w.outW; ow++, i++) {
              const iw = ow * w.strideW - w.padW + kj * w.dilationW;
              if (ih >= 0 && ih < w.inH && iw >= 0 && iw < w.inW) out[outOffset + (c * w.inH + ih) * w.inW + iw] += cols[i];
            }
          }
        }
      }
    }
  },
  maxPool2d(x: TypedArray, xOffset: number, out: TypedArray, indices: TypedArray | null, planes: number, w: Window2d): void {
    let o = 0;
    for (let p = 0; p < planes; p++) {
      const base = xOffset + p * w.inH * w.inW;
      for (let oh = 0; oh < w.outH; oh++) {
        let h0 = oh * w.strideH - w.padH;
        const h1 = Math.min(h0 + (w.kH - 1) * w.dilationH + 1, w.inH);
        while (h0 < 0) h0 += w.dilationH;
        for (let ow = 0; ow < w.outW; ow++, o++) {
          let w0 = ow * w.strideW - w.padW;
          const w1 = Math.min(w0 + (w.kW - 1) * w.dilationW + 1, w.inW);
          while (w0 < 0) w0 += w.dilationW;
          // Taps in the padding are skipped, as if it held -inf; NaN wins, as in PyTorch.
          let best = -Infinity;
          let arg = h0 * w.inW + w0;
          for (let h = h0; h < h1; h += w.dilationH) {
            for (let col = w0; col < w1; col += w.dilationW) {
              const v = x[base + h * w.inW + col];
              if (v > best || Number.isNaN(v)) {
                best = v;
                arg = h * w.inW + col;
              }
            }
          }
          out[o] = best;
          if (indices) indices[o] = arg;
        }
      }
    }
  },
  maxPool2dBackward(gradOut: TypedArray, gradOutOffset: number, indices: TypedArray, gradIn: TypedArray, planes: number, w: Window2d): void {
    const inPlane = w.inH * w.inW;
    const outPlane = w.outH * w.outW;
    gradIn.fill(0, 0, planes * inPlane);
    for (let p = 0; p < planes; p++) {
      for (let j = 0; j < outPlane; j++) gradIn[p * inPlane + indices[p * outPlane + j]] += gradOut[gradOutOffset + p * outPlane + j];
    }
  },
  avgPool2d(x: TypedArray, xOffset: number, out: TypedArray, planes: number, w: AvgWindow2d): void {
    windowMean(x, xOffset, out, planes, avgWindows(w));
  },
  avgPool2dBackward(gradOut: TypedArray, gradOutOffset: number, gradIn: TypedArray, planes: number, w: AvgWindow2d): void {
    windowMeanBackward(gradOut, gradOutOffset, gradIn, planes, avgWindows(w));
  },
  adaptiveAvgPool2d(x: TypedArray, xOffset: number, out: TypedArray, planes: number, w: AdaptiveWindow2d): void {
    windowMean(x, xOffset, out, planes, adaptiveWindows(w));
  },
  adaptiveAvgPool2dBackward(gradOut: TypedArray, gradOutOffset: number, gradIn: TypedArray, planes: number, w: AdaptiveWindow2d): void {
    windowMeanBackward(gradOut, gradOutOffset, gradIn, planes, adaptiveWindows(w));
  },
};

/** Plain TypeScript backend; storages are ordinary typed arrays the garbage collector owns. */
export class ReferenceBackend implements Backend {
  readonly device = 'js' as const;
  private live = 0;
  private peak = 0;
  private storages = 0;
  /** The garbage collector frees a dropped storage's array; this keeps the counts in step (its held value is a size, not the storage). */
  private readonly collected = new FinalizationRegistry<number>((bytes) => {
    this.live -= bytes;
    this.storages--;
  });

  alloc(dtype: Exclude<DType, 'bool'>, length: number): Storage {
    // Typed arrays would silently truncate 2.5 to 2 and NaN to 0.
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`alloc: invalid tensor length ${length} (must be a non-negative integer)`);
    const array = new (arrayTypeOf(dtype))(length);
    this.live += array.byteLength;
    this.peak = Math.max(this.peak, this.live);
    this.storages++;
    const storage: Storage = { backend: this, dtype, length, ptr: 0, array, refs: 0, version: 0, born: now(), released: false };
    this.collected.register(storage, array.byteLength, storage);
    return storage;
  }
  free(storage: Storage): void {
    this.collected.unregister(storage);
    this.live -= storage.array!.byteLength;
    this.storages--;
  }
  view(storage: Storage): TypedArray {
    return storage.array!;
  }
  unary(op: UnaryOp, x: Storage, xOffset: number, out: Storage, n: number): void {
    loops.unary(op, this.view(x), xOffset, this.view(out), n);
  }
  clamp(x: Storage, xOffset: number, out: Storage, n: number, lo: number, hi: number): void {
    loops.clamp(this.view(x), xOffset, this.view(out), n, lo, hi);
  }
  binary(op: BinaryOp, a: Strided, b: Strided, out: Storage, shape: readonly number[], outOffset = 0): void {
    loops.binary(op, this.view(a.storage), a, this.view(b.storage), b, this.view(out), shape, outOffset);
  }
  copy(x: Strided, out: Storage, outOffset: number, shape: readonly number[]): void {
    loops.copy(this.view(x.storage), x, this.view(out), outOffset, shape);
  }
  assign(x: Strided, out: Strided, shape: readonly number[]): void {
    loops.assign(this.view(x.storage), x, this.view(out.storage), out, shape);
  }
  where(cond: Strided, a: Strided, b: Strided, out: Storage, shape: readonly number[]): void {
    loops.where(this.view(cond.storage), cond, this.view(a.storage), a, this.view(b.storage), b, this.view(out), shape);
  }
  gather(x: Strided, index: Strided, step: number, out: Storage, shape: readonly number[]): void {
    loops.gather(this.view(x.storage), x, this.view(index.storage), index, step, this.view(out), shape);
  }
  indexBounds(index: Storage, offset: number, n: number, bound: number): number {
    return loops.indexBounds(this.view(index), offset, n, bound);
  }
  scatter(src: Strided, index: Strided, step: number, out: Strided, shape: readonly number[], accumulate: boolean): void {
    loops.scatter(this.view(src.storage), src, this.view(index.storage), index, step, this.view(out.storage), out, shape, accumulate);
  }
  scan(op: ScanOp, x: Storage, xOffset: number, out: Storage, outer: number, len: number, inner: number): void {
    loops.scan(op, this.view(x), xOffset, this.view(out), outer, len, inner);
  }
  cumprodBackward(x: Storage, xOffset: number, gradOut: Storage, gradOutOffset: number, gradIn: Storage, outer: number, len: number, inner: number): void {
    loops.cumprodBackward(this.view(x), xOffset, this.view(gradOut), gradOutOffset, this.view(gradIn), outer, len, inner);
  }
  argsort(x: Storage, xOffset: number, out: Storage, outer: number, len: number, inner: number, descending: boolean): void {
    loops.argsort(this.view(x), xOffset, this.view(out), outer, len, inner, descending);
  }
  reduce(op: ReduceOp, x: Storage, xOffset: number, out: Storage, outer: number, len: number, inner: number): void {
    loops.reduce(op, this.view(x), xOffset, this.view(out), outer, len, inner);
  }
  softmax(log: boolean, x: Storage, xOffset: number, out: Storage, rows: number, cols: number): void {
    loops.softmax(log, this.view(x), xOffset, this.view(out), rows, cols);
  }
  // The slope from x alone (erf and tanh in float64): an independent check of the wasm kernel's, which uses y.
  geluBackward(tanhForm: boolean, x: Storage, xOffset: number, _y: Storage, gradOut: Storage, gradOutOffset: number, gradIn: Storage, n: number): void {
    loops.geluBackward(tanhForm, this.view(x), xOffset, this.view(gradOut), gradOutOffset, this.view(gradIn), n);
  }
  softmaxBackward(log: boolean, y: Storage, gradOut: Storage, gradIn: Storage, rows: number, cols: number): void {
    loops.softmaxBackward(log, this.view(y), this.view(gradOut), this.view(gradIn), rows, cols);
  }
  layerNorm(
    x: Storage,
    xOffset: number,
    weight: Storage | null,
    bias: Storage | null,
    out: Storage,
    mean: Storage,
    rstd: Storage,
    rows: number,
    cols: number,
    eps: number,
  ): void {
    const opt = (s: Storage | null) => (s ? this.view(s) : null);
    loops.layerNorm(this.view(x), xOffset, opt(weight), opt(bias), this.view(out), this.view(mean), this.view(rstd), rows, cols, eps);
  }
  layerNormBackward(
    x: Storage,
    gradOut: Storage,
    weight: Storage | null,
    mean: Storage,
    rstd: Storage,
    gradIn: Storage,
    gradWeight: Storage | null,
    gradBias: Storage | null,
    rows: number,
    cols: number,
  ): void {
    const opt = (s: Storage | null) => (s ? this.view(s) : null);
    loops.layerNormBackward(
      this.view(x),
      this.view(gradOut),
      opt(weight),
      this.view(mean),
      this.view(rstd),
      this.view(gradIn),
      opt(gradWeight),
      opt(gradBias),
      rows,
      cols,
    );
  }
  reluBackward(x: Storage, xOffset: number, gradOut: Storage, gradOutOffset: number, gradIn: Storage, n: number): void {
    loops.reluBackward(this.view(x), xOffset, this.view(gradOut), gradOutOffset, this.view(gradIn), n);
  }
  crossEntropy(x: Storage, xOffset: number, target: Storage, probs: Storage, loss: Storage, rows: number, cols: number): void {
    loops.crossEntropy(this.view(x), xOffset, this.view(target), this.view(probs), this.view(loss), rows, cols);
  }
  crossEntropyBackward(probs: Storage, target: Storage, scale: Storage, gradIn: Storage, rows: number, cols: number): void {
    loops.crossEntropyBackward(this.view(probs), this.view(target), this.view(scale), this.view(gradIn), rows, cols);
  }
  gemm(g: GemmArgs): void {
    loops.gemm(g, this.view(g.a), this.view(g.b), this.view(g.c));
  }
  withFixedB(transB: boolean, n: number, k: number, b: Block, ldb: number, fn: (gemm: FixedBGemm) => void): void {
    fn((transA, m, a, lda, beta, c, ldc) => this.gemm(blockGemm(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc)));
  }
  minMax(x: Storage, xOffset: number, n: number): [number, number] {
    const v = this.view(x);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = xOffset; i < xOffset + n; i++) {
      lo = Math.min(lo, v[i]);
      hi = Math.max(hi, v[i]);
    }
    return [lo, hi];
  }
  quantizeInt8A(q: QuantizeArgs): void {
    loops.quantizeInt8A(q, this.view(q.x), i16(this.view(q.out)));
  }
  quantizeInt8(q: QuantizeBytesArgs): void {
    loops.quantizeInt8(q, this.view(q.x), i8(this.view(q.out)));
  }
  im2colInt8(xq: Storage, xByteOffset: number, _scratch: Storage, out: Storage, channels: number, w: Window2d, fill: number, kPad: number, u7A = false): void {
    loops.im2colInt8(i8(this.view(xq)), xByteOffset, i8(this.view(out)), channels, w, fill, kPad, u7A);
  }
  gemmInt8(g: GemmInt8Args): void {
    const view = (s: Storage | null) => s && this.view(s);
    loops.gemmInt8(g, i16(this.view(g.a)), i8(this.view(g.b)), this.view(g.scaleB), view(g.corr), view(g.bias), this.view(g.out));
  }
  /** The reference backend has no relaxed SIMD; its gemmInt8U7 loop is the kernels' reference. */
  readonly int8RelaxedDot = false;
  quantizeInt8U7A(q: QuantizeArgs): void {
    loops.quantizeInt8U7A(q, this.view(q.x), u8(this.view(q.out)));
  }
  gemmInt8U7(g: GemmInt8Args): void {
    const view = (s: Storage | null) => s && this.view(s);
    loops.gemmInt8U7(g, u8(this.view(g.a)), i8(this.view(g.b)), this.view(g.scaleB), view(g.corr), view(g.bias), this.view(g.out));
  }
  sgdStep(t: OptimTarget, momentumBuffer: Storage | null, h: SgdHyper): void {
    loops.sgdStep(this.view(t.param), this.view(t.grad), t.gradOffset, t.n, momentumBuffer && this.view(momentumBuffer), h);
  }
  adamStep(t: OptimTarget, expAvg: Storage, expAvgSq: Storage, maxExpAvgSq: Storage | null, h: AdamHyper): void {
    loops.adamStep(this.view(t.param), this.view(t.grad), t.gradOffset, t.n, this.view(expAvg), this.view(expAvgSq), maxExpAvgSq && this.view(maxExpAvgSq), h);
  }
  rmspropStep(t: OptimTarget, squareAvg: Storage, gradAvg: Storage | null, momentumBuffer: Storage | null, h: RmspropHyper): void {
    const view = (s: Storage | null) => s && this.view(s);
    loops.rmspropStep(this.view(t.param), this.view(t.grad), t.gradOffset, t.n, this.view(squareAvg), view(gradAvg), view(momentumBuffer), h);
  }
  adagradStep(t: OptimTarget, sum: Storage, h: AdagradHyper): void {
    loops.adagradStep(this.view(t.param), this.view(t.grad), t.gradOffset, t.n, this.view(sum), h);
  }
  fill(out: Storage, offset: number, n: number, value: number): void {
    loops.fill(this.view(out), offset, n, value);
  }
  cast(x: Storage, xOffset: number, out: Storage, n: number): void {
    loops.cast(this.view(x), xOffset, this.view(out), n);
  }
  im2col(x: Storage, xOffset: number, cols: Storage, channels: number, w: Window2d, colsOffset = 0): void {
    loops.im2col(this.view(x), xOffset, this.view(cols), channels, w, colsOffset);
  }
  col2im(cols: Storage, out: Storage, outOffset: number, channels: number, w: Window2d): void {
    loops.col2im(this.view(cols), this.view(out), outOffset, channels, w);
  }
  maxPool2d(x: Storage, xOffset: number, out: Storage, indices: Storage | null, planes: number, w: Window2d): void {
    loops.maxPool2d(this.view(x), xOffset, this.view(out), indices && this.view(indices), planes, w);
  }
  maxPool2dBackward(gradOut: Storage, gradOutOffset: number, indices: Storage, gradIn: Storage, planes: number, w: Window2d): void {
    loops.maxPool2dBackward(this.view(gradOut), gradOutOffset, this.view(indices), this.view(gradIn), planes, w);
  }
  avgPool2d(x: Storage, xOffset: number, out: Storage, planes: number, w: AvgWindow2d): void {
    loops.avgPool2d(this.view(x), xOffset, this.view(out), planes, w);
  }
  avgPool2dBackward(gradOut: Storage, gradOutOffset: number, gradIn: Storage, planes: number, w: AvgWindow2d): void {
    loops.avgPool2dBackward(this.view(gradOut), gradOutOffset, this.view(gradIn), planes, w);
  }
  adaptiveAvgPool2d(x: Storage, xOffset: number, out: Storage, planes: number, w: AdaptiveWindow2d): void {
    loops.adaptiveAvgPool2d(this.view(x), xOffset, this.view(out), planes, w);
  }
  adaptiveAvgPool2dBackward(gradOut: Storage, gradOutOffset: number, gradIn: Storage, planes: number, w: AdaptiveWindow2d): void {
    loops.adaptiveAvgPool2dBackward(this.view(gradOut), gradOutOffset, this.view(gradIn), planes, w);
  }
  private span(b: Block): Span {
    return [this.view(b.storage), b.offset];
  }
  lstmCell(gates: Block, cPrev: Block, c: Block, h: Block, rows: number, hidden: number): void {
    rnn.lstmCell(this.span(gates), this.span(cPrev), this.span(c), this.span(h), rows, hidden);
  }
  lstmCellBackward(
    gates: Block,
    cPrev: Block,
    c: Block,
    dhOut: Block | null,
    dh: Block,
    dc: Block,
    dGates: Block,
    dcPrev: Block,
    rows: number,
    hidden: number,
  ): void {
    const s = (b: Block) => this.span(b);
    rnn.lstmCellBackward(s(gates), s(cPrev), s(c), dhOut && s(dhOut), s(dh), s(dc), s(dGates), s(dcPrev), rows, hidden);
  }
  gruCell(xp: Block, hp: Block, bHh: Block | null, hPrev: Block, h: Block, saved: Block, rows: number, hidden: number): void {
    const s = (b: Block) => this.span(b);
    rnn.gruCell(s(xp), s(hp), bHh && s(bHh), s(hPrev), s(h), s(saved), rows, hidden);
  }
  gruCellBackward(saved: Block, hPrev: Block, dhOut: Block | null, dh: Block, dxp: Block, dhp: Block, dhPrev: Block, rows: number, hidden: number): void {
    const s = (b: Block) => this.span(b);
    rnn.gruCellBackward(s(saved), s(hPrev), dhOut && s(dhOut), s(dh), s(dxp), s(dhp), s(dhPrev), rows, hidden);
  }
  attention(q: Block, k: Block, v: Block, mask: Block | null, out: Block, lse: Block, d: AttentionDims): void {
    const s = (b: Block) => this.span(b);
    attn.attention(s(q), s(k), s(v), mask && s(mask), s(out), s(lse), d);
  }
  attentionBackward(
    q: Block,
    k: Block,
    v: Block,
    mask: Block | null,
    out: Block,
    lse: Block,
    dOut: Block,
    dq: Block,
    dk: Block,
    dv: Block,
    d: AttentionDims,
  ): void {
    const s = (b: Block) => this.span(b);
    attn.attentionBackward(s(q), s(k), s(v), mask && s(mask), s(out), s(lse), s(dOut), s(dq), s(dk), s(dv), d);
  }
  stats(): MemoryStats {
    return { liveTensors: this.storages, liveBytes: this.live, cachedBytes: 0, wasmBytes: 0, peakBytes: this.peak, spills: 0, restores: 0 };
  }
  spill(): void {}
  stepBoundary(): void {}
}

// ---- What the loops share: scalar functions, pooling windows, row statistics.

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_PI = Math.sqrt(2 / Math.PI);
const GELU_TANH_C = 0.044715;

/** erf to ~1e-15: Taylor series near 0, a continued fraction for erfc in the tails. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return Math.sign(x);
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))), evaluated bottom-up.
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

export const unaryFns: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  abs: Math.abs,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  // torch's clamp_min(x, 0): NaN and -0 pass through.
  relu: (x) => (x < 0 ? 0 : x),
  gelu: (x) => 0.5 * x * (1 + erf(x * SQRT1_2)),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  log1p: Math.log1p,
  expm1: Math.expm1,
  erf,
  geluTanh: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_PI * (x + GELU_TANH_C * x * x * x))),
  geluGrad: (x) => 0.5 * (1 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x),
  geluTanhGrad: (x) => {
    const t = Math.tanh(SQRT_2_PI * (x + GELU_TANH_C * x * x * x));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_PI * (1 + 3 * GELU_TANH_C * x * x);
  },
};

const nanAware = (pick: (a: number, b: number) => number) => (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : pick(a, b));

export const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: nanAware(Math.max),
  minimum: nanAware(Math.min),
  eq: (a, b) => +(a === b),
  ne: (a, b) => +(a !== b),
  lt: (a, b) => +(a < b),
  le: (a, b) => +(a <= b),
  gt: (a, b) => +(a > b),
  ge: (a, b) => +(a >= b),
};

/** int32 arithmetic wraps like C's int32_t instead of drifting into floats. */
const intFns: Partial<Record<BinaryOp, (a: number, b: number) => number>> = {
  add: (a, b) => (a + b) | 0,
  sub: (a, b) => (a - b) | 0,
  mul: Math.imul,
};

/**
 * Average-pool window (oh, ow) clipped to the input, [h0, h1, w0, w1, divisor], as PyTorch defines
 * the divisor: the window clipped to the padded input when padding counts, to the input when not.
 */
function avgWindow(w: AvgWindow2d, oh: number, ow: number): [number, number, number, number, number] {
  const h0 = oh * w.strideH - w.padH;
  const w0 = ow * w.strideW - w.padW;
  const h1 = Math.min(h0 + w.kH, w.inH);
  const w1 = Math.min(w0 + w.kW, w.inW);
  const padded = (Math.min(h0 + w.kH, w.inH + w.padH) - h0) * (Math.min(w0 + w.kW, w.inW + w.padW) - w0);
  const inside = (h1 - Math.max(h0, 0)) * (w1 - Math.max(w0, 0));
  const divisor = w.divisor !== 0 ? w.divisor : w.countIncludePad ? padded : inside;
  return [Math.max(h0, 0), h1, Math.max(w0, 0), w1, divisor];
}

/** Adaptive-pool cell (oh, ow): [floor(o·in/out), ceil((o+1)·in/out)) on each axis, divided by its area. */
function adaptiveWindow(w: AdaptiveWindow2d, oh: number, ow: number): [number, number, number, number, number] {
  const h0 = Math.floor((oh * w.inH) / w.outH),
    h1 = Math.ceil(((oh + 1) * w.inH) / w.outH);
  const w0 = Math.floor((ow * w.inW) / w.outW),
    w1 = Math.ceil(((ow + 1) * w.inW) / w.outW);
  return [h0, h1, w0, w1, (h1 - h0) * (w1 - w0)];
}

/** A pooling geometry and the window [h0, h1, w0, w1, divisor] each output cell averages. */
interface MeanWindows {
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  window(oh: number, ow: number): [number, number, number, number, number];
}

/** Average of each output cell's window, plane by plane: avg pooling and adaptive avg pooling. */
function windowMean(x: TypedArray, xOffset: number, out: TypedArray, planes: number, g: MeanWindows): void {
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = xOffset + p * g.inH * g.inW;
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++, o++) {
        const [h0, h1, w0, w1, divisor] = g.window(oh, ow);
        let acc = 0;
        for (let h = h0; h < h1; h++) for (let col = w0; col < w1; col++) acc += x[base + h * g.inW + col];
        out[o] = acc / divisor;
      }
    }
  }
}

/** The adjoint of windowMean: each cell's gradient, divided by its divisor, spread over its window. */
function windowMeanBackward(gradOut: TypedArray, gradOutOffset: number, gradIn: TypedArray, planes: number, g: MeanWindows): void {
  gradIn.fill(0, 0, planes * g.inH * g.inW);
  let o = gradOutOffset;
  for (let p = 0; p < planes; p++) {
    const base = p * g.inH * g.inW;
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++, o++) {
        const [h0, h1, w0, w1, divisor] = g.window(oh, ow);
        const share = gradOut[o] / divisor;
        for (let h = h0; h < h1; h++) for (let col = w0; col < w1; col++) gradIn[base + h * g.inW + col] += share;
      }
    }
  }
}

const avgWindows = (w: AvgWindow2d): MeanWindows => ({ ...w, window: (oh, ow) => avgWindow(w, oh, ow) });
const adaptiveWindows = (w: AdaptiveWindow2d): MeanWindows => ({ ...w, window: (oh, ow) => adaptiveWindow(w, oh, ow) });

/** NaN sorts above every number, as in PyTorch. */
function compareAscending(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a - b;
}

/**
 * A row's max and Σ exp(x − max), the two halves of its log-sum-exp. Subtracting the max keeps
 * exp() from overflowing; an all −inf row gives NaN, as in PyTorch.
 */
function maxAndExpSum(x: TypedArray, base: number, cols: number): [number, number] {
  let max = -Infinity;
  for (let c = 0; c < cols; c++) max = Math.max(max, x[base + c]);
  let sum = 0;
  for (let c = 0; c < cols; c++) sum += Math.exp(x[base + c] - max);
  return [max, sum];
}

/** The i16 pairs an int32 storage holds for the int8 kernels. */
export function i16(a: TypedArray): Int16Array {
  return new Int16Array(a.buffer, a.byteOffset, a.length * 2);
}

/** The bytes an int32 storage holds for the int8 kernels. */
function i8(a: TypedArray): Int8Array {
  return new Int8Array(a.buffer, a.byteOffset, a.length * 4);
}

/** The unsigned bytes an int32 storage holds for the relaxed int8 GEMM's A. */
function u8(a: TypedArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.length * 4);
}

/** Element index of A's row r, k in the int8 GEMM's 4-row i16 panels. */
function int8AIndex(r: number, k: number, kPad: number): number {
  return (r >> 2) * kPad * 4 + (k >> 2) * 16 + (r & 3) * 4 + (k & 3);
}

/** Byte index of B's column j, k in the int8 GEMM's 8-column panels. */
function int8BIndex(j: number, k: number, kPad: number): number {
  return (j >> 3) * kPad * 8 + (k >> 2) * 32 + ((j >> 2) & 1) * 16 + ((k >> 1) & 1) * 8 + (j & 3) * 2 + (k & 1);
}

/** Byte index of A's row r, k in the relaxed int8 GEMM's 4-row u7 panels. */
function u7AIndex(r: number, k: number, kPad: number): number {
  return (r >> 2) * kPad * 4 + (k >> 2) * 16 + (r & 3) * 4 + (k & 3);
}

/** Byte index of B's column j, k in the relaxed int8 GEMM's 8-column panels of k quads. */
export function u7BIndex(j: number, k: number, kPad: number): number {
  return (j >> 3) * kPad * 8 + (k >> 2) * 32 + (j & 7) * 4 + (k & 3);
}

/** clamp(round(x · invScale) + zeroPoint, qmin, qmax) in float32 arithmetic, half to even (ATen's quantize_val). */
function quantizeVal(x: number, q: { invScale: number; zeroPoint: number; qmin: number; qmax: number }): number {
  const v = Math.fround(x * q.invScale);
  return Math.min(Math.max(Math.min(Math.max(roundHalfEven(v), -65536), 65536) + q.zeroPoint, q.qmin), q.qmax);
}
