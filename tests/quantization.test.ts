// int8 quantization against PyTorch 1.13 (tests/fixtures/torch-quant.json, scripts/torch_quant_fixtures.py).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { deserialize, manualSeed, nn, noGrad, onnx, quantization, randn, type Device, type Tensor, tensor } from '../src/index.js';

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

function quantize(c: Case, device: Device): nn.Module {
  const model = floatModel(c, device);
  if (!c.static) return quantization.quantizeDynamic(model);
  quantization.prepare(model);
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

  it('int8 accuracy on a trained-size MLP: outputs track float32 within a few quantization steps, both devices agree bit for bit', () => {
    manualSeed(3);
    const make = (device: Device) => {
      manualSeed(3);
      return new nn.Sequential(new nn.Linear(130, 67, { device }), new nn.ReLU(), new nn.Linear(67, 9, { device }));
    };
    const x = randn([13, 130]);
    const ref = noGrad(() => make('wasm')(x)).toArray();
    const a = noGrad(() => quantization.quantizeDynamic(make('wasm'))(x)).toArray();
    const b = noGrad(() => quantization.quantizeDynamic(make('js'))(x.to('js'))).toArray();
    expect(maxDiff(a, ref)).toBeLessThan(0.02 * maxAbs(ref));
    expect(maxDiff(a, b)).toBeLessThan(1e-6 * maxAbs(ref));
  });
});

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
    it(`Linear ${m}×${k}×${n}`, () => {
      const make = (device: Device) => {
        manualSeed(m * 1000 + n);
        return quantization.quantizeDynamic(new nn.Sequential(new nn.Linear(k, n)).to(device));
      };
      const x = randn([m, k]);
      const wasm = noGrad(() => make('wasm')(x)).toArray();
      const reference = noGrad(() => make('js')(x.to('js'))).toArray();
      expect(Array.from(wasm)).toEqual(Array.from(reference));
    });
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
    it(`Conv2d ${name}`, () => {
      const make = (device: Device) => {
        manualSeed(inC * 100 + outC);
        const model = new nn.Sequential(new nn.Conv2d(inC, outC, kernel as number, { ...(opts as object), device }));
        quantization.prepare(model);
        manualSeed(5);
        noGrad(() => model(randn([4, inC, size, size], { device })));
        return quantization.convert(model);
      };
      manualSeed(6);
      const x = randn([3, inC, size, size]);
      const wasm = noGrad(() => make('wasm')(x)).toArray();
      const reference = noGrad(() => make('js')(x.to('js'))).toArray();
      expect(wasm.length).toBeGreaterThan(0);
      expect(Array.from(wasm)).toEqual(Array.from(reference));
    });
  }
});

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
    const model = quantization.quantizeDynamic(new nn.Sequential(new nn.Linear(20, 33), new nn.ReLU(), new nn.Linear(33, 6)));
    await check(model, randn([3, 20]), randn([8, 20]), ['DynamicQuantizeLinear', 'MatMulInteger']);
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
    quantization.prepare(model);
    for (let i = 0; i < 3; i++) noGrad(() => model(randn([4, 2, 10, 8])));
    quantization.convert(model);
    await check(model, randn([2, 2, 10, 8]), randn([5, 2, 10, 8]), ['QuantizeLinear', 'DequantizeLinear', 'Conv', 'Gemm']);
  });
});
