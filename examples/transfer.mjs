// Transfer learning on Fashion-MNIST: a CNN pretrained on classes 0–4 (T-shirt/top, Trouser,
// Pullover, Dress, Coat) adapts to classes 5–9 (Sandal, Shirt, Sneaker, Bag, Ankle boot) from 50
// images per class, at the same number of steps, side by side:
//   frozen backbone + new head — only the new Linear head trains;
//   full fine-tuning — everything trains, the backbone at a 10× smaller lr (two parameter groups),
//     and, to show what the groups do, at the head's lr throughout;
//   from scratch — the same CNN from random weights.
// Each is repeated on several draws of the 50 images per class (mean ± standard deviation).
// Run after `npm run build`:
//   node examples/transfer.mjs [/usr/share/datasets/fashion-mnist] [--full] [--smoke] [--draws N] [--epochs N] [--shots N]
// Fashion-MNIST comes from Debian: `sudo apt-get install dataset-fashion-mnist`; without it the
// example prints that hint and stops (the smoke setting, for the test suite, uses the bundled digits).
import { manualSeed, nn } from '../dist/index.js';
import { FASHION_CLASSES, accuracy, countParameters, loadImages, makeCnn, makeFeatures, parseArgs, pick, table, train } from './fashion.mjs';

const { smoke, full, option, dir } = parseArgs();
const started = performance.now();
const images = await loadImages(dir, smoke);
if (!images) process.exit(0);
const { name, side } = images;
const [sourceClasses, targetClasses] = [
  [0, 1, 2, 3, 4],
  [5, 6, 7, 8, 9],
];
const sizes = smoke
  ? { source: 60, pretrain: 2, shots: 10, epochs: 8, draws: 1, test: 40 }
  : full
    ? { source: 6000, pretrain: 5, shots: 50, epochs: 40, draws: 5, test: 1000 }
    : { source: 2000, pretrain: 3, shots: 50, epochs: 20, draws: 3, test: 1000 };
sizes.draws = option('draws', sizes.draws);
sizes.epochs = option('epochs', sizes.epochs);
sizes.shots = option('shots', sizes.shots);
const hidden = 128;

// Pretraining on the source classes.
manualSeed(0);
const source = pick(images.train, sourceClasses, sizes.source);
const pretrained = makeCnn(side, { hidden, classes: 5 });
const pretrainSeconds = train(pretrained, source, { epochs: sizes.pretrain });
const sourceTest = pick(images.test, sourceClasses, sizes.test);
const targetTest = pick(images.test, targetClasses, sizes.test);
const classNames = (classes) => (name === 'Fashion-MNIST' ? classes.map((c) => FASHION_CLASSES[c]).join(', ') : `the digits ${classes.join(', ')}`);
console.log(
  `${name}: pretrained on ${source.labels.shape[0]} images of classes 0–4 (${classNames(sourceClasses)}), ${sizes.pretrain} epochs in ${pretrainSeconds.toFixed(1)} s`,
);
console.log(`source-task test accuracy ${(100 * accuracy(pretrained, sourceTest)).toFixed(2)}% on ${sourceTest.labels.shape[0]} images`);
console.log(
  `target task: classes 5–9 (${classNames(targetClasses)}), ${sizes.shots} training images per class, ${sizes.epochs} epochs (batch 25), test on ${targetTest.labels.shape[0]} images, ${sizes.draws} draw(s) of the training images\n`,
);

const backbone = () => {
  const features = makeFeatures(side, { hidden });
  features.loadStateDict(pretrained.at(0).stateDict());
  return features;
};
const methods = {
  'frozen backbone + new head': () => {
    const model = new nn.Sequential(backbone().requiresGrad_(false), new nn.Linear(hidden, 5));
    return { model, params: model.at(1).parameters(), lr: 3e-3 };
  },
  'full fine-tuning (backbone lr ÷10)': () => {
    const model = new nn.Sequential(backbone(), new nn.Linear(hidden, 5));
    return {
      model,
      params: [
        { params: model.at(0).parameters(), lr: 3e-4 },
        { params: model.at(1).parameters(), lr: 3e-3 },
      ],
      lr: 3e-3,
    };
  },
  'full fine-tuning (one lr)': () => {
    const model = new nn.Sequential(backbone(), new nn.Linear(hidden, 5));
    return { model, params: model.parameters(), lr: 3e-3 };
  },
  'from scratch': () => {
    const model = makeCnn(side, { hidden, classes: 5 });
    return { model, params: model.parameters(), lr: 3e-3 };
  },
};

const results = Object.fromEntries(Object.keys(methods).map((m) => [m, { accuracies: [], seconds: 0, trainable: 0 }]));
for (let draw = 0; draw < sizes.draws; draw++) {
  const few = pick(images.train, targetClasses, sizes.shots, draw + 1);
  for (const [method, make] of Object.entries(methods)) {
    manualSeed(100 + draw); // the same new-head initialisation and batch order for every method
    const { model, params, lr } = make();
    const result = results[method];
    result.trainable = countParameters(model.parameters().filter((p) => p.requiresGrad));
    result.seconds += train(model, few, { epochs: sizes.epochs, params, lr, batchSize: 25 });
    result.accuracies.push(accuracy(model, targetTest));
  }
}

const stats = (values) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1));
  return `${(100 * mean).toFixed(2)} ± ${(100 * sd).toFixed(2)}`;
};
const rows = Object.entries(results).map(([method, r]) => [
  method,
  r.trainable.toLocaleString('en-US'),
  stats(r.accuracies),
  r.accuracies.map((a) => (100 * a).toFixed(1)).join(' '),
  (r.seconds / sizes.draws).toFixed(1),
]);
console.log(table(['method', 'trainable parameters', 'test accuracy % (mean ± sd)', 'per draw', 's per run'], rows));
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
