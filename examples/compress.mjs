// Compression on Fashion-MNIST, one run: the CNN in float32, pruned to 50% sparsity, quantized to
// int8, and a distilled student a quarter its size — size on disk, test accuracy and batch-1 /
// batch-64 CPU latency in one table and one SVG chart — plus the int8 accuracy drop on the
// bundled digits. Targets: int8 accuracy drop ≤ 0.5 points on digits and on Fashion-MNIST, int8
// size ≤ 30% of float32.
//   pruned: global L1 unstructured pruning of every conv and Linear weight (nn.utils.prune), one
//     epoch of fine-tuning with the mask in place, then prune.remove;
//   int8: static post-training quantization (quantization.prepare with histogram observers,
//     calibration on 1,024 training images, quantization.convert), per-channel int8 weights;
//   student: the CNN at a quarter of the parameters, distilled from the float32 model at T = 4.
// Run after `npm run build`:
//   node examples/compress.mjs [/usr/share/datasets/fashion-mnist] [--full] [--smoke] [--epochs N]
// Fashion-MNIST comes from Debian: `sudo apt-get install dataset-fashion-mnist`; without it the
// example prints that hint and stops (the smoke setting, for the test suite, uses the bundled digits).
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { data, manualSeed, nn, noGrad, quantization, serialize } from '../dist/index.js';
import { accuracy, countParameters, distill, latencies, loadImages, makeCnn, parseArgs, pick, table, train } from './fashion.mjs';

const { smoke, full, option, dir } = parseArgs();
const started = performance.now();
const images = await loadImages(dir, smoke);
if (!images) process.exit(0);
const { name, side } = images;
const sizes = smoke
  ? { perClass: 40, epochs: 2, test: 40, reps: 3 }
  : full
    ? { perClass: 6000, epochs: 8, test: 1000, reps: 50 }
    : { perClass: 1000, epochs: 4, test: 1000, reps: 30 };
sizes.epochs = option('epochs', sizes.epochs);
const classes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const trainSet = pick(images.train, classes, sizes.perClass);
const testSet = pick(images.test, classes, sizes.test);
const outDir = new URL(`../out/compress${smoke ? '-smoke' : ''}/`, import.meta.url);
await mkdir(outDir, { recursive: true });
console.log(`${name}: ${trainSet.labels.shape[0]} training and ${testSet.labels.shape[0]} test images, ${sizes.epochs} epochs of training\n`);

/**
 * Static int8: histogram observers, calibration on the first 1,024 training images, convert;
 * reduceRange 'auto' (the default) gives Linear layers 7-bit activations where the relaxed int8 dot
 * product runs, true gives every layer 7 bits.
 */
function quantizeStatic(model, set, reduceRange = 'auto') {
  model.eval();
  quantization.prepare(model, { observer: 'histogram', reduceRange });
  const n = Math.min(1024, set.labels.shape[0]);
  for (let start = 0; start < n; start += 64) noGrad(() => model(set.images.narrow(0, start, Math.min(64, n - start))));
  return quantization.convert(model);
}

const weights = (model) => model.modules().filter((m) => m instanceof nn.Conv2d || m instanceof nn.Linear);
const sparsity = (model) => {
  const values = weights(model).flatMap((m) => Array.from(m.weight.toArray()));
  return values.filter((v) => v === 0).length / values.length;
};

manualSeed(0);
const float32 = makeCnn(side);
const trainSeconds = train(float32, trainSet, { epochs: sizes.epochs });
const copy = () => {
  const model = makeCnn(side);
  model.loadStateDict(float32.stateDict());
  return model;
};

const pruned = copy();
nn.utils.prune.globalUnstructured(
  weights(pruned).map((m) => [m, 'weight']),
  { pruningMethod: 'l1Unstructured', amount: 0.5 },
);
const prunedBefore = accuracy(pruned, testSet);
train(pruned, trainSet, { epochs: 1, lr: 5e-4 });
for (const m of weights(pruned)) nn.utils.prune.remove(m, 'weight');
console.log(
  `pruning: ${(100 * sparsity(pruned)).toFixed(1)}% of the conv/Linear weights are zero; test accuracy ${(100 * prunedBefore).toFixed(2)}% right after pruning, ${(100 * accuracy(pruned, testSet)).toFixed(2)}% after one epoch of fine-tuning`,
);

const int8 = quantizeStatic(copy(), trainSet);

manualSeed(1);
const student = makeCnn(side, { channels: 8, hidden: 64 });
distill(student, float32, trainSet, { epochs: sizes.epochs, temperature: 4 });

const variants = [
  ['float32', float32, serialize(float32.stateDict())],
  ['50% pruned', pruned, serialize(pruned.stateDict())],
  ['int8 (static)', int8, quantization.serialize(int8)],
  ['distilled student', student, serialize(student.stateDict())],
];
const x1 = testSet.images.narrow(0, 0, 1);
const x64 = testSet.images.narrow(0, 0, 64);
const measured = [];
for (const [label, model, bytes] of variants) {
  const path = new URL(`${label.replace(/\W+/g, '-').replace(/-$/, '')}.safetensors`, outDir);
  await writeFile(path, bytes);
  measured.push({
    label,
    // int8 layers hold their weights as buffers, not parameters: count the float32 model's.
    parameters: countParameters((model === int8 ? float32 : model).parameters()),
    bytes: (await stat(path)).size,
    gzip: gzipSync(bytes, { level: 9 }).length,
    accuracy: accuracy(model, testSet),
  });
}
const models = variants.map(([, model]) => model);
const batch1 = latencies(models, x1, sizes.reps);
const batch64 = latencies(models, x64, Math.max(3, sizes.reps / 3));
measured.forEach((m, i) => Object.assign(m, { batch1: batch1[i], batch64: batch64[i] }));
const base = measured[0];
const rows = measured.map((m) => [
  m.label,
  m.parameters.toLocaleString('en-US'),
  (m.bytes / 1024).toFixed(1),
  (m.gzip / 1024).toFixed(1),
  ((100 * m.bytes) / base.bytes).toFixed(1),
  (100 * m.accuracy).toFixed(2),
  m === base ? '' : (100 * (m.accuracy - base.accuracy)).toFixed(2),
  m.batch1.toFixed(2),
  m.batch64.toFixed(1),
]);
console.log(
  `\n${table(['model', 'parameters', 'safetensors KiB', 'gzip -9 KiB', 'size % of float32', 'test accuracy %', 'Δ points', 'batch-1 ms', 'batch-64 ms'], rows)}`,
);
console.log(
  `(float32 trained in ${trainSeconds.toFixed(1)} s; latency: median eval-mode forward pass, one thread, noGrad, the four models in turn each round)`,
);

// The digits half of the int8 target: the digits CNN (examples/digits-cnn.mjs), float32 vs int8.
const digits = data.loadDigits();
const split = (start, length) => ({ images: digits.images.narrow(0, start, length), labels: digits.labels.narrow(0, start, length) });
const [digitsTrain, digitsTest] = [split(0, 1300), split(1300, 497)];
manualSeed(0);
const digitsCnn = () =>
  new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.Conv2d(16, 32, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(32 * 4 * 4, 10),
  );
const digitsFloat = digitsCnn();
train(digitsFloat, digitsTrain, { epochs: smoke ? 3 : 12, lr: 3e-3, batchSize: 32 });
const digitsInt8 = digitsCnn();
digitsInt8.loadStateDict(digitsFloat.stateDict());
quantizeStatic(digitsInt8, digitsTrain);
const [digitsA, digitsB] = [accuracy(digitsFloat, digitsTest), accuracy(digitsInt8, digitsTest)];
const int8Row = measured[2];
const change = (from, to) => `${(100 * from).toFixed(2)}% → ${(100 * to).toFixed(2)}% (${to >= from ? '+' : ''}${(100 * (to - from)).toFixed(2)} points)`;
console.log(`\nint8 vs float32 (target: accuracy drop ≤ 0.5 points, size ≤ 30%):`);
console.log(`  ${name}: ${change(base.accuracy, int8Row.accuracy)} on ${testSet.labels.shape[0]} test images`);
console.log(`  digits: ${change(digitsA, digitsB)} on 497 test images`);
// What 7-bit activations (the relaxed int8 dot product's condition) cost, on every int8 layer.
const seven = { images: accuracy(quantizeStatic(copy(), trainSet, true), testSet), digits: digitsCnn() };
seven.digits.loadStateDict(digitsFloat.stateDict());
console.log(
  `  with 7-bit activations in every int8 layer (reduceRange: true): ${name} ${change(base.accuracy, seven.images)}, digits ${change(digitsA, accuracy(quantizeStatic(seven.digits, digitsTrain, true), digitsTest))}`,
);
console.log(`  size: ${((100 * int8Row.bytes) / base.bytes).toFixed(1)}% of float32`);

// One SVG: a horizontal bar per model in three panels.
function barChart(panels, labels) {
  const [panelWidth, barHeight, labelWidth] = [300, 22, 130];
  const height = 50 + labels.length * (barHeight + 8);
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];
  const parts = panels.flatMap(({ title, values, unit }, p) => {
    const x0 = p * (panelWidth + labelWidth + 20);
    const max = Math.max(...values);
    return [
      `<text x="${x0 + labelWidth + panelWidth / 2}" y="20" text-anchor="middle" font-weight="bold">${title}</text>`,
      ...values.flatMap((v, i) => {
        const y = 35 + i * (barHeight + 8);
        const w = (v / max) * (panelWidth - 60);
        return [
          `<text x="${x0 + labelWidth - 6}" y="${y + barHeight / 2}" text-anchor="end" dominant-baseline="middle">${labels[i]}</text>`,
          `<rect x="${x0 + labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${colors[i % colors.length]}"/>`,
          `<text x="${x0 + labelWidth + w + 4}" y="${y + barHeight / 2}" dominant-baseline="middle">${v.toFixed(unit === '%' ? 2 : 1)} ${unit}</text>`,
        ];
      }),
    ];
  });
  const width = panels.length * (panelWidth + labelWidth + 20);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
${parts.join('\n')}
</svg>
`;
}
const svg = barChart(
  [
    { title: 'size on disk', values: measured.map((m) => m.bytes / 1024), unit: 'KiB' },
    { title: `test accuracy (${name})`, values: measured.map((m) => 100 * m.accuracy), unit: '%' },
    { title: 'batch-64 latency', values: measured.map((m) => m.batch64), unit: 'ms' },
  ],
  measured.map((m) => m.label),
);
const chart = new URL(`../out/compress${smoke ? '-smoke' : ''}.svg`, import.meta.url).pathname;
await writeFile(chart, svg);
console.log(`\nchart: ${chart}; models in ${outDir.pathname}`);
console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
