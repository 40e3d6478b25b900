// Augmentation at the same budget: the same small CNN, the same initial weights, the same number
// of steps on the same Fashion-MNIST subset, trained once on the images as they are and once
// through random affine jitter, flips and erasing (one DataLoader batch transform). Both runs'
// validation curves go into one SVG. Run after `npm run build`:
//   node examples/augment.mjs [/usr/share/datasets/fashion-mnist] [--short]
// Fashion-MNIST comes from Debian: `apt-get install dataset-fashion-mnist`. Without it the full
// setting is skipped with that hint; the short setting (the test suite's) falls back to the
// bundled 8×8 digits.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Generator, data, fit, manualSeed, nn, optim, plotHistory } from '../dist/index.js';

const args = process.argv.slice(2);
const short = args.includes('--short');
const dir = args.find((a) => !a.startsWith('--')) ?? '/usr/share/datasets/fashion-mnist';
const started = performance.now();
const file = (name) => join(dir, `${name}.gz`);
const haveFashion = existsSync(file('train-images-idx3-ubyte'));

let images;
let labels;
let name;
if (haveFashion) {
  const train = await data.readIdxDataset(file('train-images-idx3-ubyte'), file('train-labels-idx1-ubyte'));
  ({ images, labels } = train);
  name = 'Fashion-MNIST';
} else {
  console.log(`Fashion-MNIST not found in ${dir}; install it with: sudo apt-get install dataset-fashion-mnist`);
  if (!short) process.exit(0);
  ({ images, labels } = data.loadDigits());
  name = 'digits (Fashion-MNIST not installed)';
}

// A fixed, class-balanced subset: augmentation matters most when data is scarce.
const [trainSize, valSize, epochs] = short ? [600, 300, 4] : [4000, 2000, 12];
const all = new data.TensorDataset(images, labels);
const [trainSet, valSet] = data.randomSplit(all, [trainSize, valSize, all.length - trainSize - valSize], {
  generator: new Generator(1),
  stratify: labels,
});
const side = images.shape[2];
console.log(`${name}: ${trainSet.length} training and ${valSet.length} validation images of ${side}×${side}, ${epochs} epochs per run`);

const augment = new data.Compose([
  new data.RandomAffine(8, { translate: [0.08, 0.08], scale: [0.9, 1.1], interpolation: 'bilinear' }),
  new data.RandomHorizontalFlip(),
  new data.RandomErasing({ p: 0.25, scale: [0.02, 0.1] }),
]);

function makeModel() {
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Dropout(0.2),
    new nn.Linear(32 * (side / 4) ** 2, 10),
  );
}

function run(withAugmentation) {
  manualSeed(0); // same initial weights and the same shuffles for both runs
  const model = makeModel();
  const trainLoader = new data.DataLoader(trainSet, {
    batchSize: 64,
    shuffle: true,
    generator: new Generator(2),
    transform: withAugmentation ? ([x, y]) => [augment.forward(x), y] : undefined,
  });
  const valLoader = new data.DataLoader(valSet, { batchSize: 500 });
  const optimizer = new optim.Adam(model.parameters(), { lr: 2e-3 });
  const history = fit(model, trainLoader, {
    epochs,
    optimizer,
    loss: new nn.CrossEntropyLoss(),
    metrics: ['accuracy'],
    validation: valLoader,
    verbose: false,
  });
  const label = withAugmentation ? 'with augmentation' : 'without augmentation';
  const curve = history.valAccuracy.map((a) => a.toFixed(3)).join(' → ');
  console.log(`${label}: validation accuracy ${curve}; best ${Math.max(...history.valAccuracy).toFixed(3)}, final loss ${history.valLoss.at(-1).toFixed(4)}`);
  return history;
}

const plain = run(false);
const augmented = run(true);
const svg = plotHistory(
  { loss: plain.valLoss, valLoss: augmented.valLoss, accuracy: plain.valAccuracy, valAccuracy: augmented.valAccuracy },
  { title: `${name}: validation curves at the same budget`, labels: ['no augmentation', 'augmentation'] },
);
const outDir = new URL('../out/', import.meta.url);
await mkdir(outDir, { recursive: true });
const plotPath = new URL(short ? 'augment-short.svg' : 'augment.svg', outDir).pathname;
await writeFile(plotPath, svg);
console.log(`saved the validation curves to ${plotPath}`);
console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
