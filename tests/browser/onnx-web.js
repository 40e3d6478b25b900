// Exports two seeded models with Tessera and runs the files in onnxruntime-web's wasm backend:
// the same code runs in the Chromium page (tests/browser/onnx-web.html) and in Node.

/** Each model's Tessera output and onnxruntime-web's for the exported file, as plain arrays. */
export async function runOnnxWeb(T, ort) {
  const { nn, manualSeed, randn, noGrad, onnx } = T;
  ort.env.wasm.numThreads = 1;
  manualSeed(31);
  const cnn = new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }),
    new nn.BatchNorm2d(4),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(64, 10),
    new nn.LogSoftmax(1),
  );
  class Sequence extends nn.Module {
    lstm = new nn.LSTM(6, 8, { batchFirst: true, bidirectional: true });
    encoder = new nn.TransformerEncoderLayer(16, 2, { dimFeedforward: 24, batchFirst: true });
    head = new nn.Linear(16, 3);
    forward(x) {
      const [h] = this.lstm(x);
      return this.head(this.encoder(h).mean(1));
    }
  }
  const cases = [
    { name: 'cnn', model: cnn, exportInput: randn([2, 1, 8, 8]), input: randn([5, 1, 8, 8]) },
    { name: 'lstm+transformer', model: new Sequence(), exportInput: randn([2, 7, 6]), input: randn([4, 7, 6]) },
  ];
  const results = [];
  for (const { name, model, exportInput, input } of cases) {
    model.eval();
    const bytes = onnx.export(model, exportInput, { dynamicAxes: { input: [0], output: [0] } });
    const session = await ort.InferenceSession.create(bytes);
    const { output } = await session.run({ input: new ort.Tensor('float32', Float32Array.from(input.toArray()), [...input.shape]) });
    const expected = noGrad(() => model(input));
    results.push({ name, dims: [...output.dims], tessera: Array.from(expected.toArray()), ort: Array.from(output.data) });
    await session.release();
  }
  return results;
}
