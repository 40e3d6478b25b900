// Helpers shared by transfer.mjs, distill.mjs and compress.mjs: Fashion-MNIST from Debian's
// `dataset-fashion-mnist` (or, in the smoke settings the test suite runs, the bundled 8×8 digits
// when it is not installed), class-balanced subsets, the small CNN those examples train, a
// training loop, accuracy, latency and a Markdown table.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { data, fit, nn, noGrad, optim, tensor } from '../dist/index.js';

export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The command line: `--smoke` (tiny sizes, for the test suite), `--full`, `--name N` options and a dataset directory. */
export function parseArgs(argv = process.argv.slice(2)) {
  const values = new Map();
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--smoke' || argv[i] === '--full') continue;
    if (argv[i].startsWith('--')) {
      const value = Number(argv[++i]);
      if (!Number.isFinite(value)) throw new Error(`${argv[i - 1]} needs a number (got ${argv[i]})`);
      values.set(argv[i - 1].slice(2), value);
    } else positional.push(argv[i]);
  }
  const option = (name, fallback) => values.get(name) ?? fallback;
  return { smoke: argv.includes('--smoke'), full: argv.includes('--full'), option, dir: positional[0] ?? '/usr/share/datasets/fashion-mnist' };
}

/**
 * { name, train, test, side } with train/test = { images [N, 1, side, side], labels [N] }, or null
 * after printing the install hint. Only the smoke setting falls back to the bundled digits.
 */
export async function loadImages(dir, smoke) {
  const file = (name) => join(dir, `${name}.gz`);
  if (existsSync(file('train-images-idx3-ubyte'))) {
    const train = await data.readIdxDataset(file('train-images-idx3-ubyte'), file('train-labels-idx1-ubyte'));
    const test = await data.readIdxDataset(file('t10k-images-idx3-ubyte'), file('t10k-labels-idx1-ubyte'));
    return { name: 'Fashion-MNIST', train, test, side: 28 };
  }
  console.log(`Fashion-MNIST not found in ${dir}; install it with: sudo apt-get install dataset-fashion-mnist`);
  if (!smoke) return null;
  const { images, labels } = data.loadDigits();
  const split = (start, length) => ({ images: images.narrow(0, start, length), labels: labels.narrow(0, start, length) });
  return { name: 'digits (Fashion-MNIST not installed)', train: split(0, 1300), test: split(1300, 497), side: 8 };
}

/** Seeded Fisher–Yates shuffle (mulberry32), so a subset is the same on every run. */
function shuffled(values, seed) {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Up to `perClass` images of each of `classes`, drawn with `seed`, labels renumbered 0…classes.length−1. */
export function pick({ images, labels }, classes, perClass, seed = 0) {
  const all = labels.toArray();
  const chosen = [];
  const renumbered = [];
  classes.forEach((c, k) => {
    const indices = shuffled(
      all.reduce((acc, label, i) => (label === c ? acc.concat(i) : acc), []),
      seed * 31 + c,
    ).slice(0, perClass);
    chosen.push(...indices);
    renumbered.push(...indices.map(() => k));
  });
  const order = shuffled(
    chosen.map((_, i) => i),
    seed,
  );
  return {
    images: images.indexSelect(0, tensor(Int32Array.from(order, (i) => chosen[i]))),
    labels: tensor(Int32Array.from(order, (i) => renumbered[i])),
  };
}

/** The feature extractor: two conv blocks and a hidden Linear layer (`channels`, `hidden` set its size). */
export function makeFeatures(side, { channels = 16, hidden = 128 } = {}) {
  return new nn.Sequential(
    new nn.Conv2d(1, channels, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(channels, 2 * channels, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(2 * channels * (side / 4) ** 2, hidden),
    new nn.ReLU(),
  );
}

/** The CNN: features, then a Linear head to `classes` logits. */
export function makeCnn(side, { channels = 16, hidden = 128, classes = 10 } = {}) {
  return new nn.Sequential(makeFeatures(side, { channels, hidden }), new nn.Linear(hidden, classes));
}

export const countParameters = (params) => params.reduce((n, p) => n + p.numel(), 0);

/** Trains with cross-entropy for `epochs` (Adam over `params`: tensors or parameter groups); returns the seconds taken. */
export function train(model, set, { epochs, params = model.parameters(), lr = 2e-3, batchSize = 64 }) {
  const started = performance.now();
  model.train();
  const loader = new data.DataLoader(new data.TensorDataset(set.images, set.labels), { batchSize, shuffle: true });
  fit(model, loader, { epochs, optimizer: new optim.Adam(params, { lr }), loss: new nn.CrossEntropyLoss(), verbose: false });
  return (performance.now() - started) / 1000;
}

/**
 * Knowledge distillation (Hinton et al., 2015): the student learns from the teacher's softened
 * probabilities, softmax(logits / temperature), through KL divergence scaled by temperature²
 * (so its gradients keep their size as the temperature changes), mixed with the labels'
 * cross-entropy at weight 1 − alpha. Returns the seconds taken.
 */
export function distill(student, teacher, set, { epochs, temperature = 4, alpha = 0.7, lr = 2e-3, batchSize = 64 }) {
  const started = performance.now();
  teacher.eval();
  student.train();
  const loader = new data.DataLoader(new data.TensorDataset(set.images, set.labels), { batchSize, shuffle: true });
  const optimizer = new optim.Adam(student.parameters(), { lr });
  const kl = new nn.KLDivLoss({ reduction: 'batchmean' });
  const crossEntropy = new nn.CrossEntropyLoss();
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const [x, y] of loader) {
      const soft = noGrad(() => teacher(x).div(temperature).softmax(1));
      const logits = student(x);
      const loss = kl(logits.div(temperature).logSoftmax(1), soft)
        .mul(alpha * temperature ** 2)
        .add(crossEntropy(logits, y).mul(1 - alpha));
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
    }
  }
  return (performance.now() - started) / 1000;
}

/** Top-1 accuracy in eval mode, in batches of 1000. */
export function accuracy(model, { images, labels }) {
  model.eval();
  let correct = 0;
  for (let start = 0; start < labels.shape[0]; start += 1000) {
    const n = Math.min(1000, labels.shape[0] - start);
    correct += noGrad(() =>
      model(images.narrow(0, start, n))
        .argmax(1)
        .eq(labels.narrow(0, start, n))
        .sum()
        .item(),
    );
  }
  return correct / labels.shape[0];
}

/**
 * Median milliseconds of one eval-mode forward pass on `x` for each model, after warm-up runs;
 * the models take turns within every round, so load from other processes falls on all alike.
 */
export function latencies(models, x, rounds = 30) {
  for (const model of models) model.eval();
  const times = models.map(() => []);
  for (let round = 0; round < rounds + 3; round++) {
    models.forEach((model, i) => {
      const started = performance.now();
      noGrad(() => model(x));
      if (round >= 3) times[i].push(performance.now() - started);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

/** A Markdown table. */
export function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
