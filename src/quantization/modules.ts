/**
 * int8 layers: per-channel symmetric int8 weights and quint8 activations, run by the int8 GEMM
 * (assembly/int8.ts) with a float32 epilogue, so they take and return float32 like the layers they
 * replace. The input's quantization parameters are fixed by calibration (static) or computed from
 * each batch's min and max (dynamic, as torch.ao.nn.quantized.dynamic.Linear). With reduceRange the
 * activations take 7 bits (0…127, PyTorch's reduce_range): a Linear or Conv2d layer then runs the GEMM on the
 * relaxed int8 dot product where the runtime validates it (gemmInt8U7), else the baseline one, with
 * identical results.
 */
import { composite } from '../autograd/composite.js';
import { finish, noGrad } from '../autograd/grad-mode.js';
import { tensor } from '../creation.js';
import { Module } from '../nn/module.js';
import { fmtShape, numel } from '../shape.js';
import type { GemmInt8Args, Storage } from '../backend/backend.js';
import { Tensor } from '../tensor.js';
import { type QParams, quantizeWeight, quint8Params, tensorRange, weightScales } from './observer.js';

const pad4 = (n: number) => Math.ceil(n / 4) * 4;
const BUFFERS = ['weight', 'weight_scale', 'bias', 'input_scale', 'input_zero_point'] as const;

/** Float32 values padded with zeros to a multiple of 4 (the GEMM epilogue reads 4 columns at a time). */
function padded(values: ArrayLike<number>, device: Tensor['device']): Tensor {
  const out = new Float32Array(pad4(values.length));
  out.set(values);
  return tensor(out, { dtype: 'float32', device }).keep();
}

/**
 * The int8 weight [n, k] as the GEMM's B: int8 panels of 8 rows (assembly/int8.ts draws the
 * layout), four bytes per int32 element.
 */
function packWeight(q: Int8Array, n: number, k: number, kPad: number, device: Tensor['device']): Tensor {
  const packed = new Int8Array(Math.ceil(n / 8) * kPad * 8);
  for (let j = 0; j < n; j++) {
    const base = (j >> 3) * kPad * 8 + ((j >> 2) & 1) * 16 + (j & 3) * 2;
    for (let c = 0; c < k; c++) packed[base + (c >> 2) * 32 + ((c >> 1) & 1) * 8 + (c & 1)] = q[j * k + c];
  }
  return tensor(new Int32Array(packed.buffer), { dtype: 'int32', device }).keep();
}

/** The int8 weight [n, k] as gemmInt8U7's B: int8 panels of 8 rows, each row's k quads as 4 bytes. */
function packWeightU7(q: Int8Array, n: number, k: number, kPad: number, device: Tensor['device']): Tensor {
  const packed = new Int8Array(Math.ceil(n / 8) * kPad * 8);
  for (let j = 0; j < n; j++) {
    const base = (j >> 3) * kPad * 8 + (j & 7) * 4;
    for (let c = 0; c < k; c++) packed[base + (c >> 2) * 32 + (c & 3)] = q[j * k + c];
  }
  return tensor(new Int32Array(packed.buffer), { dtype: 'int32', device }).keep();
}

/** The int8 weight [rows, k] as the GEMM's A: i16 panels of 4 rows, two i16 per int32 element. */
function packWeightRows(q: Int8Array, rows: number, k: number, kPad: number, device: Tensor['device']): Tensor {
  const packed = new Int16Array(Math.ceil(rows / 4) * 4 * kPad);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < k; c++) packed[(r >> 2) * kPad * 4 + (c >> 2) * 16 + (r & 3) * 4 + (c & 3)] = q[r * k + c];
  }
  return tensor(new Int32Array(packed.buffer), { dtype: 'int32', device }).keep();
}

/** What an int8 layer's GEMM reads, built from its buffers. */
interface Operands {
  packed: Tensor;
  scales: Tensor;
  /** Per-channel sums of the int8 weight (the zero-point correction of the conv and of gemmInt8U7). */
  sums: Tensor;
  bias: Tensor | null;
  attrs: Record<string, unknown>;
  /** The weight is packed for gemmInt8U7 (the relaxed int8 dot product). */
  relaxed: boolean;
}

/** State shared by the int8 layers: the weight as int8 values and scales, and its packed GEMM form. */
abstract class QuantizedBase extends Module {
  /** Quantization of the input; null for dynamic (computed per batch). */
  inputQParams: QParams | null;
  #operands: Operands | null = null;
  /** The storages of BUFFERS the operands were built from, their versions then, and the buffer epoch then. */
  #builtFrom: Storage[] = [];
  #builtVersions: number[] = [];
  #builtEpoch = -1;
  readonly kPad: number;
  /** The largest quantized activation: 127 with reduceRange (7 bits), else 255. */
  readonly qmax: 127 | 255;

  constructor(
    readonly outFeatures: number,
    readonly k: number,
    weightShape: number[],
    weight: ArrayLike<number>,
    bias: ArrayLike<number> | null,
    inputQParams: QParams | null,
    device: Tensor['device'],
    /** Activations in 7 bits (0…127), PyTorch's reduce_range. */
    readonly reduceRange: boolean,
  ) {
    super();
    if (typeof reduceRange !== 'boolean') throw new TypeError(`${new.target.name}: reduceRange must be a boolean (got ${String(reduceRange)})`);
    this.kPad = Math.ceil(k / 4) * 4;
    this.qmax = reduceRange ? 127 : 255;
    const scales = weightScales(weight, outFeatures, k);
    const q = quantizeWeight(weight, scales, k);
    this.registerBuffer('weight', tensor(Int32Array.from(q), { shape: weightShape, dtype: 'int32', device }));
    this.registerBuffer('weight_scale', tensor(scales, { dtype: 'float32', device }));
    this.registerBuffer('bias', bias ? tensor(Float32Array.from(bias), { dtype: 'float32', device }) : null);
    this.inputQParams = inputQParams;
    if (inputQParams) {
      this.registerBuffer('input_scale', tensor(new Float32Array([inputQParams.scale]), { dtype: 'float32', device }));
      this.registerBuffer('input_zero_point', tensor(new Int32Array([inputQParams.zeroPoint]), { dtype: 'int32', device }));
    }
  }

  /** The weight's int8 values [outFeatures, k] (row-major). */
  weightInt8(): Int8Array {
    return Int8Array.from(noGrad(() => this.buffer('weight').toArray()));
  }
  /** The weight's per-output-channel scales. */
  weightScale(): Float32Array {
    return Float32Array.from(noGrad(() => this.buffer('weight_scale').toArray()));
  }
  /** The float32 bias, or null. */
  biasValues(): Float32Array | null {
    const b = this.buffer('bias', true);
    return b ? Float32Array.from(noGrad(() => b.toArray())) : null;
  }

  protected buffer(name: string, optional = false): Tensor {
    const t = (this as unknown as Record<string, Tensor | null>)[name];
    if (!t && !optional) throw new Error(`${this.constructor.name}: buffer '${name}' is missing`);
    return t as Tensor;
  }

  /**
   * The packed weight, scales, bias and per-channel weight sums (for the zero-point correction),
   * rebuilt when loadStateDict wrote new values into the buffers.
   */
  protected operands(): Operands {
    // Checked on every call (a batch-1 layer's overhead): reading the buffers themselves costs more
    // than the rest of the check, so replaced buffers show in the epoch and in-place writes in the
    // versions of the storages the operands were built from.
    let fresh = this.#operands !== null && this.#builtEpoch === this.bufferEpoch;
    for (let i = 0; fresh && i < this.#builtFrom.length; i++) fresh = this.#builtFrom[i].version === this.#builtVersions[i];
    if (!fresh) {
      const old = this.#operands;
      for (const t of old ? [old.packed, old.scales, old.sums, old.bias] : []) t?.dispose();
      const w = this.buffer('weight');
      const raw = noGrad(() => w.toArray());
      const values = Int8Array.from(raw);
      if (values.some((v, i) => v !== raw[i])) throw new RangeError(`${this.constructor.name}: weight holds values outside int8 (-128 to 127)`);
      const relaxed = this.takesRelaxedDot(w.backend);
      const packed = relaxed ? packWeightU7(values, this.outFeatures, this.k, this.kPad, w.device) : this.packWeights(values, w.device);
      const scales = padded(this.weightScale(), w.device);
      const sums = new Int32Array(Math.ceil(this.outFeatures / 4) * 4);
      values.forEach((v, i) => {
        sums[Math.floor(i / this.k)] += v;
      });
      const b = this.biasValues();
      const bias = b ? padded(b, w.device) : null;
      if (this.inputQParams) {
        this.inputQParams = { scale: noGrad(() => this.buffer('input_scale').item()), zeroPoint: noGrad(() => this.buffer('input_zero_point').item()) };
      }
      const attrs = this.exportAttrs(this.inputQParams);
      this.#operands = { packed, scales, sums: tensor(sums, { dtype: 'int32', device: w.device }).keep(), bias, attrs, relaxed };
      this.#builtFrom = BUFFERS.flatMap((name) => this.buffer(name, true)?.storage ?? []);
      this.#builtVersions = this.#builtFrom.map((s) => s.version);
      this.#builtEpoch = this.bufferEpoch;
    }
    return this.#operands!;
  }

  /** The quint8 parameters of x: the calibrated ones, or x's own range (dynamic). */
  protected inputParams(x: Tensor): QParams {
    if (this.inputQParams) return this.inputQParams;
    const [lo, hi] = tensorRange(x);
    if (!Number.isFinite(lo) || !Number.isFinite(hi))
      throw new RangeError(`${this.constructor.name}: the input holds NaN or infinite values, which int8 cannot represent`);
    return quint8Params(lo, hi, this.qmax);
  }

  /** Whether this layer runs gemmInt8U7 (the relaxed int8 dot product) on `backend`: 7-bit activations where it validates. */
  protected takesRelaxedDot(backend: Tensor['backend']): boolean {
    return this.reduceRange && backend.int8RelaxedDot;
  }

  /** x [rows, cols] (element strides rs, cs) quantized into the GEMM's A. */
  protected quantizeRows(x: Tensor, offset: number, rows: number, cols: number, rs: number, cs: number, q: QParams, into: Tensor): void {
    x.backend.quantizeInt8A({
      x: x.storage,
      xOffset: offset,
      rows,
      cols,
      rowStride: rs,
      colStride: cs,
      invScale: Math.fround(1 / q.scale),
      zeroPoint: q.zeroPoint,
      qmin: 0,
      qmax: this.qmax,
      out: into.storage,
      kPad: this.kPad,
    });
  }

  /** The int8 weight in the layout this layer's GEMM reads (Linear: packed B). */
  protected packWeights(q: Int8Array, device: Tensor['device']): Tensor {
    return packWeight(q, this.outFeatures, this.k, this.kPad, device);
  }

  /** What the ONNX exporter writes for this layer (the op's attrs). */
  abstract exportAttrs(inputQParams: QParams | null): Record<string, unknown>;

  protected checkInput(op: string, x: Tensor): void {
    if (!(x instanceof Tensor)) throw new TypeError(`${op}: input must be a Tensor`);
    x.check(op);
    if (x.dtype !== 'float32') throw new TypeError(`${op}: expected a float32 input (got ${x.dtype})`);
    const device = this.buffer('weight').device;
    if (x.device !== device) throw new TypeError(`${op}: the input is on '${x.device}' but the layer on '${device}'`);
  }
}

/** Linear with int8 weights (torch.ao.nn.quantized.Linear, or .dynamic.Linear without input parameters). */
export class QuantizedLinear extends QuantizedBase {
  /** Size of each input sample (PyTorch's in_features). */
  readonly inFeatures: number;
  constructor(
    weight: ArrayLike<number>,
    bias: ArrayLike<number> | null,
    inFeatures: number,
    outFeatures: number,
    inputQParams: QParams | null,
    device: Tensor['device'],
    reduceRange = false,
  ) {
    super(outFeatures, inFeatures, [outFeatures, inFeatures], weight, bias, inputQParams, device, reduceRange);
    this.inFeatures = inFeatures;
  }

  forward(input: Tensor): Tensor {
    this.checkInput('QuantizedLinear', input);
    const inF = this.inFeatures;
    if (input.ndim === 0 || input.shape[input.ndim - 1] !== inF) {
      throw new RangeError(`QuantizedLinear: input ${fmtShape(input.shape)} does not end in the layer's ${inF} input features`);
    }
    const { packed, scales, sums, bias, attrs, relaxed } = this.operands();
    return composite('quantizedLinear', () => {
      const x = input.isContiguous() ? input : noGrad(() => input.contiguous());
      const rows = numel(input.shape) / inF;
      const q = this.inputParams(x);
      const out = Tensor.empty([...input.shape.slice(0, -1), this.outFeatures], 'float32', x.backend);
      // Only A's layout and the zero-point correction differ between the two GEMMs.
      const gemmArgs = (a: Tensor, corr: Storage | null, corrMul: number): GemmInt8Args => ({
        m: rows,
        n: this.outFeatures,
        kPad: this.kPad,
        a: a.storage,
        b: packed.storage,
        scaleA: q.scale,
        scaleB: scales.storage,
        corr,
        corrMul,
        bias: bias?.storage ?? null,
        out: out.storage,
        outOffset: 0,
        ldc: this.outFeatures,
        perRowScale: false,
      });
      if (relaxed) {
        // A holds q itself (7 bits, one byte each); the epilogue subtracts zeroPoint·Σk w per column.
        const a = Tensor.empty([Math.ceil(rows / 4) * this.kPad], 'int32', x.backend);
        x.backend.quantizeInt8U7A({
          x: x.storage,
          xOffset: x.offset,
          rows,
          cols: inF,
          rowStride: inF,
          colStride: 1,
          invScale: Math.fround(1 / q.scale),
          zeroPoint: q.zeroPoint,
          qmin: 0,
          qmax: 127,
          out: a.storage,
          kPad: this.kPad,
        });
        x.backend.gemmInt8U7(gemmArgs(a, sums.storage, -q.zeroPoint));
      } else {
        const a = Tensor.empty([(Math.ceil(rows / 4) * 4 * this.kPad) / 2], 'int32', x.backend);
        this.quantizeRows(x, x.offset, rows, inF, inF, 1, q, a);
        x.backend.gemmInt8(gemmArgs(a, null, 0));
      }
      return finish(out, 'quantizedLinear', [input], null, attrs);
    });
  }

  exportAttrs(inputQParams: QParams | null): Record<string, unknown> {
    return {
      kind: 'linear',
      weightInt8: this.weightInt8(),
      weightScale: this.weightScale(),
      bias: this.biasValues(),
      shape: [this.outFeatures, this.inFeatures],
      inputQParams,
      reduceRange: this.reduceRange,
    };
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, ${this.inputQParams ? `inputScale=${this.inputQParams.scale}, inputZeroPoint=${this.inputQParams.zeroPoint}` : 'dynamic'}${this.reduceRange ? ', reduceRange=true' : ''}`;
  }
}

/** Geometry of a quantized convolution (groups 1, symmetric zero padding). */
export interface QuantizedConvGeometry {
  inChannels: number;
  outChannels: number;
  kernelSize: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

/** Conv2d with int8 weights, by im2col and the int8 GEMM (torch.ao.nn.quantized.Conv2d). */
export class QuantizedConv2d extends QuantizedBase {
  constructor(
    weight: ArrayLike<number>,
    bias: ArrayLike<number> | null,
    readonly geometry: QuantizedConvGeometry,
    inputQParams: QParams | null,
    device: Tensor['device'],
    reduceRange = false,
  ) {
    const { inChannels, outChannels, kernelSize } = geometry;
    super(outChannels, inChannels * kernelSize[0] * kernelSize[1], [outChannels, inChannels, ...kernelSize], weight, bias, inputQParams, device, reduceRange);
  }

  /** The weight [outC, k] as the GEMM's A (rows = output channels). */
  protected override packWeights(q: Int8Array, device: Tensor['device']): Tensor {
    return packWeightRows(q, this.outFeatures, this.k, this.kPad, device);
  }

  forward(input: Tensor): Tensor {
    this.checkInput('QuantizedConv2d', input);
    const g = this.geometry;
    if (input.ndim !== 4 || input.shape[1] !== g.inChannels) {
      throw new RangeError(`QuantizedConv2d: expected input [N, ${g.inChannels}, H, W] (got ${fmtShape(input.shape)})`);
    }
    const [N, C, H, W] = input.shape;
    const [kH, kW] = g.kernelSize;
    const outH = Math.floor((H + 2 * g.padding[0] - g.dilation[0] * (kH - 1) - 1) / g.stride[0]) + 1;
    const outW = Math.floor((W + 2 * g.padding[1] - g.dilation[1] * (kW - 1) - 1) / g.stride[1]) + 1;
    if (outH < 1 || outW < 1) throw new RangeError(`QuantizedConv2d: the kernel is larger than the padded input ${fmtShape(input.shape)}`);
    const { packed, scales, sums, bias, attrs, relaxed } = this.operands();
    return composite('quantizedConv2d', () => {
      const x = input.isContiguous() ? input : noGrad(() => input.contiguous());
      const q = this.inputParams(x);
      const P = outH * outW;
      const pPad = Math.ceil(P / 8) * 8;
      const window = {
        inH: H,
        inW: W,
        outH,
        outW,
        kH,
        kW,
        strideH: g.stride[0],
        strideW: g.stride[1],
        padH: g.padding[0],
        padW: g.padding[1],
        dilationH: g.dilation[0],
        dilationW: g.dilation[1],
      };
      const backend = x.backend;
      const image = C * H * W;
      const xq = Tensor.empty([Math.ceil((N * image) / 4)], 'int32', backend);
      const scratch = Tensor.empty([(this.kPad * pPad) / 4], 'int32', backend);
      const cols = Tensor.empty([(this.kPad * pPad) / 4], 'int32', backend);
      const invScale = Math.fround(1 / q.scale);
      if (relaxed) {
        // The input is quantized once to 7-bit bytes q (the zero point and the range shifted by 128
        // cancel quantizeInt8's − 128) and every image unfolded from them, padded with the zero point,
        // as the GEMM's A (rows = output positions); the weight is B, so the GEMM writes each image
        // [H·W, outC], Σ q·w − zp·Σ w = Σ (q − zp)·w, and the planes come from one transposing copy.
        backend.quantizeInt8({ x: x.storage, xOffset: x.offset, n: N * image, invScale, zeroPoint: q.zeroPoint + 128, qmin: 128, qmax: 255, out: xq.storage });
        const nhwc = Tensor.empty([N, outH, outW, g.outChannels], 'float32', backend);
        for (let n = 0; n < N; n++) {
          backend.im2colInt8(xq.storage, n * image, scratch.storage, cols.storage, C, window, q.zeroPoint, this.kPad, true);
          backend.gemmInt8U7({
            m: P,
            n: g.outChannels,
            kPad: this.kPad,
            a: cols.storage,
            b: packed.storage,
            scaleA: q.scale,
            scaleB: scales.storage,
            corr: sums.storage,
            corrMul: -q.zeroPoint,
            bias: bias?.storage ?? null,
            out: nhwc.storage,
            outOffset: n * P * g.outChannels,
            ldc: g.outChannels,
            perRowScale: false,
          });
        }
        return finish(
          noGrad(() => nhwc.permute(0, 3, 1, 2).contiguous()),
          'quantizedConv2d',
          [input],
          null,
          attrs,
        );
      }
      // The input is quantized once (bytes q − 128) and every image unfolded from those bytes.
      backend.quantizeInt8({ x: x.storage, xOffset: x.offset, n: N * image, invScale, zeroPoint: q.zeroPoint, qmin: 0, qmax: this.qmax, out: xq.storage });
      const out = Tensor.empty([N, g.outChannels, outH, outW], 'float32', backend);
      for (let n = 0; n < N; n++) {
        backend.im2colInt8(xq.storage, n * image, scratch.storage, cols.storage, C, window, q.zeroPoint - 128, this.kPad);
        // The weight is A (rows = output channels) and the columns B, so the GEMM writes the
        // [outC, H·W] planes in place, with per-row (per-channel) scales; Σ (q − 128)·w + (128 − zp)·Σ w
        // is Σ (q − zp)·w.
        backend.gemmInt8({
          m: g.outChannels,
          n: P,
          kPad: this.kPad,
          a: packed.storage,
          b: cols.storage,
          scaleA: q.scale,
          scaleB: scales.storage,
          corr: sums.storage,
          corrMul: 128 - q.zeroPoint,
          bias: bias?.storage ?? null,
          out: out.storage,
          outOffset: n * g.outChannels * P,
          ldc: P,
          perRowScale: true,
        });
      }
      return finish(out, 'quantizedConv2d', [input], null, attrs);
    });
  }

  exportAttrs(inputQParams: QParams | null): Record<string, unknown> {
    const g = this.geometry;
    return {
      kind: 'conv',
      weightInt8: this.weightInt8(),
      weightScale: this.weightScale(),
      bias: this.biasValues(),
      shape: [g.outChannels, g.inChannels, ...g.kernelSize],
      geometry: g,
      inputQParams,
      reduceRange: this.reduceRange,
    };
  }

  override extraRepr(): string {
    const g = this.geometry;
    return `${g.inChannels}, ${g.outChannels}, kernelSize=[${g.kernelSize}], stride=[${g.stride}], padding=[${g.padding}], ${this.inputQParams ? `inputScale=${this.inputQParams.scale}` : 'dynamic'}${this.reduceRange ? ', reduceRange=true' : ''}`;
  }
}
