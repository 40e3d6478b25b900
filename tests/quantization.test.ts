// int8 quantization against PyTorch 1.13 (tests/fixtures/torch-quant.json, scripts/torch_quant_fixtures.py).
// The int8 GEMM on the relaxed int8 dot product runs where the runtime validates relaxed SIMD and
// computes it right: Node 22, Chromium (tests/browser/browser.test.ts), or Node 20 via
// `npx vitest run tests/quantization.test.ts --execArgv=--experimental-wasm-relaxed-simd --execArgv=--no-liftoff`
// (Node 20's baseline compiler gets the instruction wrong: with the flag alone the backend's probe
// keeps the baseline GEMM and its exact-sum tests skip). Elsewhere its baseline form is tested.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from './helpers.js';
import { u7BIndex } from '../src/backend/reference.js';
import { deserialize, manualSeed, nn, noGrad, onnx, quantization, randn, type Device, Tensor, tensor, wasmFeatures } from '../src/index.js';

ortWeb.env.wasm.numThreads = 1;

interface Rec {
  shape: number[];
  dtype: string;
  data: number[];
}
interface Case {
  name: string;
  kind: 'linear' | 'conv';
  static: boolean;
  weight: Rec;
  bias: Rec;
  input: Rec;
  calibration?: Rec[];
  weightInt8: Rec;
  weightScale: Rec;
  inputScale: number;
  inputZeroPoint: number;
  exact: Rec;
  torch: Rec;
  torchOutputScale?: number;
  torchOutputZeroPoint?: number;
  conv?: { stride: [number, number]; padding: [number, number]; dilation: [number, number] };
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/torch-quant.json', import.meta.url), 'utf8')) as { cases: Case[] };
const t = (r: Rec, device: Device = 'wasm') => tensor(r.data, { shape: r.shape, dtype: 'float32', device });
const maxAbs = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

function floatModel(c: Case, device: Device): nn.Module {
  let layer: nn.Linear | nn.Conv2d;
  if (c.kind === 'linear') layer = new nn.Linear(c.weight.shape[1], c.weight.shape[0], { device });
  else {
    const [outC, inC, kH, kW] = c.weight.shape;
    layer = new nn.Conv2d(inC, outC, [kH, kW], { ...c.conv!, device });
  }
  layer.loadStateDict({ weight: t(c.weight, device), bias: t(c.bias, device) });
  return new nn.Sequential(layer);
}

// PyTorch's default 8-bit activations, whatever the runtime ('auto' takes 7 bits where relaxed SIMD validates).
function quantize(c: Case, device: Device): nn.Module {
  const model = floatModel(c, device);
  if (!c.static) return quantization.quantizeDynamic(model, { reduceRange: false });
  quantization.prepare(model, { reduceRange: false });
  for (const b of c.calibration!) noGrad(() => model(t(b, device)));
  return quantization.convert(model);
}

describe('quantization vs PyTorch 1.13', () => {
  for (const c of fixture.cases) {
    for (const device of ['wasm', 'js'] as const) {
      it(`${c.name} (${device}): int8 weights, scales and input parameters equal PyTorch's; the output equals the dequantized computation`, () => {
        const model = quantize(c, device);
        const layer = model.children()[0] as quantization.QuantizedLinear | quantization.QuantizedConv2d;
        expect(layer).toBeInstanceOf(c.kind === 'linear' ? quantization.QuantizedLinear : quantization.QuantizedConv2d);
        expect(Array.from(layer.weightInt8())).toEqual(c.weightInt8.data);
        expect(Array.from(layer.weightScale())).toEqual(c.weightScale.data.map(Math.fround));
        const x = t(c.input, device);
        if (c.static) expect(layer.inputQParams).toEqual({ scale: Math.fround(c.inputScale), zeroPoint: c.inputZeroPoint });
        else {
          const [lo, hi] = [Math.min(...c.input.data), Math.max(...c.input.data)];
          expect(quantization.quint8Params(lo, hi)).toEqual({ scale: Math.fround(c.inputScale), zeroPoint: c.inputZeroPoint });
        }
        const y = noGrad(() => model(x));
        expect(y.shape).toEqual(c.exact.shape);
        const out = y.toArray();
        // int32 accumulation is exact; the float32 epilogue rounds each output once or twice.
        expect(maxDiff(out, c.exact.data)).toBeLessThan(2e-6 * maxAbs(c.exact.data) + 1e-6);
        // PyTorch's own int8 module: static ones requantize the output (half a step of error, and
        // saturation outside the calibrated range), dynamic onednn Linear quantizes the input at its
        // own precision.
        if (c.static) {
          const [s, zp] = [c.torchOutputScale!, c.torchOutputZeroPoint!];
          const clipped = out.map((v) => Math.min(Math.max(v, -zp * s), (255 - zp) * s));
          expect(maxDiff(clipped, c.torch.data)).toBeLessThanOrEqual(s);
        } else expect(maxDiff(out, c.torch.data)).toBeLessThanOrEqual(0.02 * maxAbs(c.exact.data));
      });
    }
  }

  for (const reduceRange of [false, true]) {
    it(`int8 accuracy on a trained-size MLP (${reduceRange ? '7' : '8'}-bit activations): outputs track float32 within a few quantization steps, both devices agree bit for bit`, () => {
      manualSeed(3);
      const make = (device: Device) => {
        manualSeed(3);
        return new nn.Sequential(new nn.Linear(130, 67, { device }), new nn.ReLU(), new nn.Linear(67, 9, { device }));
      };
      const x = randn([13, 130]);
      const ref = noGrad(() => make('wasm')(x)).toArray();
      const a = noGrad(() => quantization.quantizeDynamic(make('wasm'), { reduceRange })(x)).toArray();
      const b = noGrad(() => quantization.quantizeDynamic(make('js'), { reduceRange })(x.to('js'))).toArray();
      expect(maxDiff(a, ref)).toBeLessThan((reduceRange ? 0.04 : 0.02) * maxAbs(ref));
      expect(Array.from(a)).toEqual(Array.from(b));
    });
  }
});

const relaxedDot = tensor([0]).backend.int8RelaxedDot;

/**
 * The int8 conv's output from its definition, independent of both backends' im2col and GEMM layouts:
 * Σ (q − zp)·w over the taps inside the image (padding is real 0, so q = zp there), through the
 * GEMM's float32 epilogue.
 */
function directQuantizedConv(layer: quantization.QuantizedConv2d, x: Tensor): number[] {
  const {
    inChannels: C,
    outChannels: O,
    kernelSize: [kH, kW],
    stride,
    padding,
    dilation,
  } = layer.geometry;
  const [N, , H, W] = x.shape;
  const { scale, zeroPoint } = layer.inputQParams!;
  const xs = x.toArray();
  const w = layer.weightInt8();
  const ws = layer.weightScale();
  const bias = layer.biasValues();
  const halfEven = (v: number) => (Math.abs(v % 1) === 0.5 && Math.round(v) % 2 !== 0 ? Math.round(v) - 1 : Math.round(v));
  const qOf = (v: number) => Math.min(Math.max(halfEven(Math.fround(v * Math.fround(1 / scale))) + zeroPoint, 0), layer.qmax);
  const outH = Math.floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0]) + 1;
  const outW = Math.floor((W + 2 * padding[1] - dilation[1] * (kW - 1) - 1) / stride[1]) + 1;
  const out: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++) {
          let acc = 0;
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < kH; i++) {
              for (let j = 0; j < kW; j++) {
                const ih = oh * stride[0] - padding[0] + i * dilation[0];
                const iw = ow * stride[1] - padding[1] + j * dilation[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += (qOf(xs[((n * C + c) * H + ih) * W + iw]) - zeroPoint) * w[((o * C + c) * kH + i) * kW + j];
              }
            }
          }
          const y = Math.fround(Math.fround(acc) * Math.fround(ws[o] * Math.fround(scale)));
          out.push(bias ? Math.fround(y + bias[o]) : y);
        }
      }
    }
  }
  return out;
}

describe('the int8 kernels match the reference backend bit for bit on every tile path', () => {
  // Batch 1–3 take the GEMV path (16 columns, a lone last panel read twice), 4+ rows the 4×8 tiles
  // (4×4 for a last panel of at most 4 columns);
  // k not a multiple of 4 and n not a multiple of 8 leave padded quads and columns; 600 k sums in i32.
  for (const [m, k, n] of [
    [1, 30, 40],
    [2, 31, 36],
    [3, 8, 16],
    [1, 5, 3],
    [5, 20, 13],
    [4, 9, 4],
    [9, 600, 21],
    [70, 33, 130],
    [6, 40, 10],
  ]) {
    // 7-bit activations run the relaxed int8 dot product's GEMM on wasm where the runtime validates
    // relaxed SIMD, and the baseline GEMM on 7-bit values elsewhere: the same int32 sums either way.
    for (const reduceRange of [false, true]) {
      it(`Linear ${m}×${k}×${n}, ${reduceRange ? `7-bit activations (${relaxedDot ? 'relaxed int8 dot product' : 'no relaxed SIMD here: baseline GEMM'})` : '8-bit activations'}`, () => {
        const make = (device: Device) => {
          manualSeed(m * 1000 + n);
          return quantization.quantizeDynamic(new nn.Sequential(new nn.Linear(k, n)).to(device), { reduceRange });
        };
        const x = randn([m, k]);
        const wasm = noGrad(() => make('wasm')(x)).toArray();
        const reference = noGrad(() => make('js')(x.to('js'))).toArray();
        expect(Array.from(wasm)).toEqual(Array.from(reference));
      });
    }
  }
  // im2col over the int8 input: padding (the quantized 0), strides, dilation, positions not a multiple of 8.
  for (const [name, inC, outC, kernel, opts, size] of [
    ['3×3 same padding, two input channels', 2, 6, 3, { padding: 1 }, 9],
    ['5×3 stride 2, padding [2, 1]', 3, 5, [5, 3], { stride: 2, padding: [2, 1] }, 11],
    ['3×3 dilation 2, no padding', 4, 9, 3, { dilation: 2 }, 10],
    ['1×1', 17, 3, 1, {}, 5],
    // Rows as wide as the input's: each tap's row of columns is one shifted copy of the image.
    ['3×3 dilation [2, 1], padding [2, 1], 18 wide', 3, 4, 3, { dilation: [2, 1], padding: [2, 1] }, 18],
  ] as const) {
    // 7-bit activations: the relaxed GEMM's A unfolded from bytes q, padded with the zero point.
    for (const reduceRange of [false, true]) {
      it(`Conv2d ${name}, ${reduceRange ? `7-bit activations (${relaxedDot ? 'relaxed int8 dot product' : 'no relaxed SIMD here: baseline GEMM'})` : '8-bit activations'}`, () => {
        const make = (device: Device) => {
          manualSeed(inC * 100 + outC);
          const model = new nn.Sequential(new nn.Conv2d(inC, outC, kernel as number, { ...(opts as object), device }));
          quantization.prepare(model, { reduceRange });
          manualSeed(5);
          noGrad(() => model(randn([4, inC, size, size], { device })));
          return quantization.convert(model);
        };
        manualSeed(6);
        const x = randn([3, inC, size, size]);
        const q = make('wasm');
        const wasm = noGrad(() => q(x)).toArray();
        const reference = noGrad(() => make('js')(x.to('js'))).toArray();
        expect(wasm.length).toBeGreaterThan(0);
        expect(Array.from(wasm)).toEqual(Array.from(reference));
        expect(Array.from(wasm)).toEqual(directQuantizedConv(q.children()[0] as quantization.QuantizedConv2d, x));
      });
    }
  }
});

// Node 20 behind --experimental-wasm-relaxed-simd validates the relaxed build but its baseline compiler
// gets the int8 dot product wrong; the backend's probe sees it and int8 layers keep the baseline GEMM.
const brokenDot = wasmFeatures().relaxedSimd && !relaxedDot;

describe.skipIf(brokenDot)(
  `gemmInt8U7 (the relaxed int8 dot product) gives exact int32 sums${brokenDot ? ' (skipped: this runtime computes it wrongly)' : ''}`,
  () => {
    const path = relaxedDot ? 'relaxed int8 dot product' : 'no relaxed SIMD here: its baseline form';
    // The GEMV (1–3 rows), the 4×8 tile and the half tile of a last panel with ≤ 4 columns; k not a
    // multiple of 4; 784 k sums near i32's float-exact range; the MLP's shapes.
    for (const [m, k, n] of [
      [1, 30, 40],
      [2, 31, 36],
      [3, 8, 9],
      [5, 20, 13],
      [4, 9, 4],
      [9, 600, 21],
      [70, 33, 130],
      [64, 784, 256],
      [1, 784, 256],
    ]) {
      it(`${m}×${k}×${n} (${path}): Σk (q − zp)·w exactly, and the quantized bytes equal the reference backend's`, () => {
        const rand = mulberry32(m * 7919 + k * 31 + n);
        const kPad = Math.ceil(k / 4) * 4;
        const x = Float32Array.from({ length: m * k }, () => rand() * 6 - 2);
        const w = Int8Array.from({ length: n * k }, () => Math.floor(rand() * 256) - 128);
        const q = quantization.quint8Params(-2, 4, 127);
        const packedW = new Int8Array(Math.ceil(n / 8) * kPad * 8);
        const sums = new Int32Array(Math.ceil(n / 4) * 4);
        for (let j = 0; j < n; j++) {
          for (let c = 0; c < k; c++) {
            packedW[u7BIndex(j, c, kPad)] = w[j * k + c];
            sums[j] += w[j * k + c];
          }
        }
        const run = (device: Device) => {
          const xt = tensor(x, { shape: [m, k], device });
          const a = Tensor.empty([Math.ceil(m / 4) * kPad], 'int32', xt.backend);
          const args = { x: xt.storage, xOffset: 0, rows: m, cols: k, rowStride: k, colStride: 1, invScale: Math.fround(1 / q.scale) };
          xt.backend.quantizeInt8U7A({ ...args, zeroPoint: q.zeroPoint, qmin: 0, qmax: 127, out: a.storage, kPad });
          const b = tensor(new Int32Array(packedW.buffer), { dtype: 'int32', device });
          const ones = tensor(new Float32Array(Math.ceil(n / 4) * 4).fill(1), { device });
          const corr = tensor(sums, { dtype: 'int32', device });
          const out = Tensor.empty([m, n], 'float32', xt.backend);
          xt.backend.gemmInt8U7({
            m,
            n,
            kPad,
            a: a.storage,
            b: b.storage,
            scaleA: 1,
            scaleB: ones.storage,
            corr: corr.storage,
            corrMul: -q.zeroPoint,
            bias: null,
            out: out.storage,
            outOffset: 0,
            ldc: n,
            perRowScale: false,
          });
          return { a: Array.from(a.toArray()), out: Array.from(out.toArray()) };
        };
        const wasm = run('wasm');
        const reference = run('js');
        expect(wasm.a).toEqual(reference.a);
        // Independent of both backends: q from quint8Params' formula, the sums in plain integers (|Σ| < 2^24, exact in float32).
        const halfEven = (v: number) => (Math.abs(v % 1) === 0.5 && Math.round(v) % 2 !== 0 ? Math.round(v) - 1 : Math.round(v));
        const qOf = (v: number) => Math.min(Math.max(halfEven(Math.fround(v * Math.fround(1 / q.scale))) + q.zeroPoint, 0), 127);
        const want: number[] = [];
        for (let r = 0; r < m; r++) {
          for (let j = 0; j < n; j++) {
            let acc = 0;
            for (let c = 0; c < k; c++) acc += (qOf(x[r * k + c]) - q.zeroPoint) * w[j * k + c];
            want.push(acc);
          }
        }
        expect(wasm.out).toEqual(want);
        expect(reference.out).toEqual(want);
      });
    }

    it(`an MLP with 7-bit activations, dynamic and static, runs the same numbers on wasm (${path}) and the reference backend`, () => {
      for (const kind of ['dynamic', 'static'] as const) {
        const make = () => {
          manualSeed(11);
          const model = new nn.Sequential(new nn.Linear(784, 64), new nn.ReLU(), new nn.Linear(64, 10));
          if (kind === 'dynamic') return quantization.quantizeDynamic(model, { reduceRange: true });
          quantization.prepare(model, { reduceRange: true });
          manualSeed(12);
          noGrad(() => model(randn([16, 784])));
          return quantization.convert(model);
        };
        const q = make();
        const layers = q.children() as [quantization.QuantizedLinear, nn.ReLU, quantization.QuantizedLinear];
        expect(layers[0].reduceRange).toBe(true);
        if (kind === 'static') {
          // After the ReLU the calibrated range starts at 0: zero point 0, 127 steps up to the max.
          expect(layers[2].inputQParams?.zeroPoint).toBe(0);
          expect(layers[0].inputQParams!.zeroPoint).toBeLessThanOrEqual(127);
        }
        // Calibrated on wasm both (the float GEMM's relaxed FMA would move the observed range by an ulp), then moved.
        const reference = make().to('js');
        manualSeed(13);
        for (const rows of [1, 3, 17]) {
          const x = randn([rows, 784]);
          expect(Array.from(noGrad(() => q(x)).toArray())).toEqual(Array.from(noGrad(() => reference(x.to('js'))).toArray()));
        }
      }
    });

    it("reduceRange 'auto' (the default) takes 7 bits exactly for Linear and Conv2d on a runtime with the relaxed int8 dot product", () => {
      const model = new nn.Sequential(new nn.Conv2d(4, 4, 3), new nn.Flatten(), new nn.Linear(16, 3));
      quantization.prepare(model);
      noGrad(() => model(randn([2, 4, 4, 4])));
      quantization.convert(model);
      const [conv, , linear] = model.children() as [quantization.QuantizedConv2d, nn.Flatten, quantization.QuantizedLinear];
      expect(conv.reduceRange).toBe(relaxedDot);
      expect(conv.inputQParams!.zeroPoint).toBeLessThanOrEqual(relaxedDot ? 127 : 255);
      expect(linear.reduceRange).toBe(relaxedDot);
      expect(linear.inputQParams!.zeroPoint).toBeLessThanOrEqual(relaxedDot ? 127 : 255);
      const onJs = quantization.quantizeDynamic(new nn.Sequential(new nn.Linear(8, 2, { device: 'js' })));
      expect((onJs.children()[0] as quantization.QuantizedLinear).reduceRange).toBe(false);
      expect(quantization.quint8Params(-1, 3, 127)).toEqual({ scale: Math.fround(4 / 127), zeroPoint: 32 });
      expect(() => quantization.quantizeDynamic(new nn.Sequential(new nn.Linear(4, 2)), { reduceRange: 'yes' as never })).toThrow(
        /quantizeDynamic: reduceRange must be true, false or 'auto' \(got yes\)/,
      );
      expect(() => quantization.quint8Params(0, 1, 100 as never)).toThrow(/qmax must be 255 or 127/);
    });
  },
);

describe('quantization API', () => {
  it('serialize stores int8 weights as I8 (a quarter of float32) and loadStateDict restores an identical model', () => {
    manualSeed(1);
    const model = quantization.quantizeDynamic(new nn.Sequential(new nn.Linear(64, 32), new nn.ReLU(), new nn.Linear(32, 4)));
    const bytes = quantization.serialize(model);
    const file = deserialize(bytes);
    expect(file.tensors['0.weight'].dtype).toBe('int32');
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true))));
    expect(JSON.parse(header)['0.weight']).toMatchObject({ dtype: 'I8', shape: [32, 64] });
    expect(bytes.length).toBeLessThan(64 * 32 + 32 * 4 + 2000);
    manualSeed(2);
    const other = quantization.quantizeDynamic(new nn.Sequential(new nn.Linear(64, 32), new nn.ReLU(), new nn.Linear(32, 4)));
    const x = randn([3, 64]);
    expect(noGrad(() => other(x)).toArray()).not.toEqual(noGrad(() => model(x)).toArray());
    other.loadStateDict(file.tensors);
    expect(noGrad(() => other(x)).toArray()).toEqual(noGrad(() => model(x)).toArray());
  });

  it('a layer that already ran picks up buffers replaced by loadStateDict({ assign: true }) or moved by .to()', () => {
    const make = (seed: number) => {
      manualSeed(seed);
      const m = new nn.Sequential(new nn.Conv2d(4, 6, 3, { padding: 1 }), new nn.Flatten(), new nn.Linear(6 * 5 * 5, 3));
      quantization.prepare(m);
      noGrad(() => m(randn([2, 4, 5, 5])));
      return quantization.convert(m);
    };
    const [a, b] = [make(1), make(2)];
    const x = randn([2, 4, 5, 5]);
    const expected = noGrad(() => b(x)).toArray();
    expect(noGrad(() => a(x)).toArray()).not.toEqual(expected);
    a.loadStateDict(b.stateDict(), { assign: true });
    expect(noGrad(() => a(x)).toArray()).toEqual(expected);
    a.to('js');
    expect(noGrad(() => a(x.to('js'))).toArray()).toEqual(noGrad(() => b.to('js')(x.to('js'))).toArray());
  });

  it('a histogram observer clips a rare outlier that stretches the min-max range', () => {
    const calib = tensor(Array.from({ length: 20000 }, (_, i) => (i === 7 ? 1000 : Math.sin(i))));
    const minmax = new quantization.MinMaxObserver();
    const hist = new quantization.HistogramObserver(99.9);
    minmax.observe(calib);
    hist.observe(calib);
    expect(minmax.qparams().scale).toBeCloseTo(1001 / 255, 4);
    expect(hist.qparams().scale).toBeLessThan(0.05);
    expect(hist.qparams().scale).toBeGreaterThan(1.9 / 255);
  });

  it('prepare with the histogram observer converts a CNN whose int8 outputs track float32', () => {
    manualSeed(4);
    const model = new nn.Sequential(new nn.Conv2d(2, 4, 3), new nn.ReLU(), new nn.Flatten(), new nn.Linear(4 * 6 * 6, 3));
    const x = randn([5, 2, 8, 8]);
    const ref = noGrad(() => model(x)).toArray();
    quantization.prepare(model, { observer: 'histogram' });
    for (let i = 0; i < 4; i++) noGrad(() => model(randn([5, 2, 8, 8])));
    quantization.convert(model);
    expect(model.children().map((m) => m.constructor.name)).toEqual(['QuantizedConv2d', 'ReLU', 'Flatten', 'QuantizedLinear']);
    expect(maxDiff(noGrad(() => model(x)).toArray(), ref)).toBeLessThan(0.05 * maxAbs(ref));
  });

  it('convert leaves a convolution shallower than 16 (one input channel, 3×3) in float32 and quantizes the deeper ones', () => {
    manualSeed(8);
    const model = new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.ReLU(), new nn.Conv2d(4, 4, 3), new nn.Flatten(), new nn.Linear(4 * 4 * 4, 3));
    const x = randn([3, 1, 8, 8]);
    const ref = noGrad(() => model(x)).toArray();
    quantization.prepare(model);
    for (let i = 0; i < 3; i++) noGrad(() => model(randn([4, 1, 8, 8])));
    quantization.convert(model);
    expect(model.children().map((m) => m.constructor.name)).toEqual(['Conv2d', 'ReLU', 'QuantizedConv2d', 'Flatten', 'QuantizedLinear']);
    expect(maxDiff(noGrad(() => model(x)).toArray(), ref)).toBeLessThan(0.05 * maxAbs(ref));
  });

  it('misuse fails with errors naming the function and what was wrong', () => {
    const model = new nn.Sequential(new nn.Linear(4, 2));
    expect(() => quantization.convert(model)).toThrow(/convert: the model was not prepared/);
    quantization.prepare(model);
    expect(() => quantization.prepare(model)).toThrow(/already prepared/);
    expect(() => quantization.convert(model)).toThrow(/layer '0': .*saw no data/);
    expect(() => quantization.quantizeDynamic(model, { modules: [nn.Conv2d as never] })).toThrow(/modules must be an array of nn.Linear/);
    expect(() => quantization.quantizeDynamic({} as never)).toThrow(/model must be an nn.Module/);
    const fresh = () => new nn.Sequential(new nn.Linear(4, 2));
    expect(() => quantization.prepare(fresh(), { observer: 'histogram', percentile: 150 })).toThrow(
      /prepare: percentile must be a number in \(50, 100\] \(got 150\)/,
    );
    expect(() => quantization.prepare(fresh(), { percentile: 99 })).toThrow(/percentile applies to the 'histogram' observer only/);
    expect(() => quantization.quint8Params(3, -1)).toThrow(/quint8Params: min and max must be numbers with min ≤ max \(got 3, -1\)/);
    expect(() => quantization.quint8Params(Number.NaN, 1)).toThrow(/min and max must be numbers/);
    expect(() => new quantization.MinMaxObserver().observe([1, 2] as never)).toThrow(/MinMaxObserver.observe: expected a Tensor \(got \[1, 2\]\)/);
    expect(() => new quantization.HistogramObserver().observe(null as never)).toThrow(/HistogramObserver.observe: expected a Tensor \(got null\)/);
    expect(() => new quantization.HistogramObserver('99' as never)).toThrow(/percentile must be in \(50, 100\]/);
    const q = quantization.quantizeDynamic(new nn.Sequential(new nn.Linear(4, 2)));
    expect(() => q(randn([3, 5]))).toThrow(/QuantizedLinear: input \[3, 5\] does not end in the layer's 4 input features/);
    expect(() => q(tensor([[1, 2, 3, Number.NaN]]))).toThrow(/NaN or infinite/);
    expect(() => q(tensor([[1, 2, 3, 4]], { dtype: 'int32' }))).toThrow(/expected a float32 input \(got int32\)/);
  });
});

/** Debian's python3-onnx, when installed, checks the exported files too. */
const pythonOnnx = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('quantized models export to ONNX (QDQ) and run in ONNX Runtime with the same outputs', () => {
  async function run(ort: typeof ortNode | typeof ortWeb, bytes: Uint8Array, x: Tensor): Promise<Float32Array> {
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ input: new ort.Tensor('float32', x.toArray() as Float32Array, [...x.shape]) as ortNode.Tensor });
    return out[session.outputNames[0]].data as Float32Array;
  }
  async function check(model: nn.Module, x: Tensor, other: Tensor, ops: string[]): Promise<void> {
    const bytes = onnx.export(model, x, { dynamicAxes: { input: [0], output: [0] } });
    const text = new TextDecoder('latin1').decode(bytes);
    const path = join(mkdtempSync(join(tmpdir(), 'tessera-qdq-')), 'model.onnx');
    writeFileSync(path, bytes);
    if (pythonOnnx) execFileSync('/usr/bin/python3', ['-c', 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', path]);
    for (const op of ops) expect(text).toContain(op);
    for (const input of [x, other]) {
      const expected = noGrad(() => model(input)).toArray();
      for (const ort of [ortNode, ortWeb]) expect(maxDiff(await run(ort, bytes, input), expected)).toBeLessThan(1e-4 * Math.max(1, maxAbs(expected)));
    }
  }

  it('a dynamically quantized MLP as DynamicQuantizeLinear → MatMulInteger, at batch 3 and 8', async () => {
    manualSeed(5);
    const model = quantization.quantizeDynamic(new nn.Sequential(new nn.Linear(20, 33), new nn.ReLU(), new nn.Linear(33, 6)), { reduceRange: false });
    await check(model, randn([3, 20]), randn([8, 20]), ['DynamicQuantizeLinear', 'MatMulInteger']);
  });

  it('with 7-bit activations: the dynamic MLP quantizes its input from its range in the graph, the static one caps it at q = 127', async () => {
    manualSeed(5);
    const dynamic = quantization.quantizeDynamic(new nn.Sequential(new nn.Linear(20, 33), new nn.ReLU(), new nn.Linear(33, 6)), { reduceRange: true });
    await check(dynamic, randn([3, 20]), randn([8, 20]), ['ReduceMin', 'QuantizeLinear', 'MatMulInteger']);
    const model = new nn.Sequential(new nn.Linear(20, 33), new nn.ReLU(), new nn.Linear(33, 6));
    quantization.prepare(model, { reduceRange: true });
    noGrad(() => model(randn([8, 20])));
    quantization.convert(model);
    // Inputs past the calibrated range saturate at q = 127 in both.
    await check(model, randn([3, 20]).mul(3), randn([8, 20]), ['QuantizeLinear', 'DequantizeLinear', 'Gemm', 'Min']);
  });

  it('a statically quantized CNN as QuantizeLinear / DequantizeLinear around Conv and Gemm, at batch 2 and 5', async () => {
    manualSeed(6);
    const model = new nn.Sequential(
      new nn.Conv2d(2, 5, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(5, 4, [3, 2], { stride: 2, dilation: [1, 2] }),
      new nn.Flatten(),
      new nn.Linear(4 * 2 * 1, 3),
    );
    quantization.prepare(model, { reduceRange: false });
    for (let i = 0; i < 3; i++) noGrad(() => model(randn([4, 2, 10, 8])));
    quantization.convert(model);
    await check(model, randn([2, 2, 10, 8]), randn([5, 2, 10, 8]), ['QuantizeLinear', 'DequantizeLinear', 'Conv', 'Gemm']);
  });

  it('a statically quantized CNN with 7-bit activations caps each Conv input at q = 127 and pads with the zero point, at batch 2 and 5', async () => {
    manualSeed(7);
    const model = new nn.Sequential(
      new nn.Conv2d(2, 6, 3, { padding: 1 }),
      new nn.Tanh(),
      new nn.Conv2d(6, 4, [3, 2], { stride: 2, padding: [1, 0], dilation: [1, 2] }),
      new nn.Flatten(),
      new nn.Linear(4 * 5 * 3, 3),
    );
    quantization.prepare(model, { reduceRange: true });
    for (let i = 0; i < 3; i++) noGrad(() => model(randn([4, 2, 10, 8])));
    quantization.convert(model);
    expect((model.children()[2] as quantization.QuantizedConv2d).inputQParams!.zeroPoint).toBeGreaterThan(0);
    // Inputs past the calibrated range saturate at q = 127 in both.
    await check(model, randn([2, 2, 10, 8]).mul(3), randn([5, 2, 10, 8]), ['QuantizeLinear', 'DequantizeLinear', 'Conv', 'Min', 'Gemm']);
  });
});
