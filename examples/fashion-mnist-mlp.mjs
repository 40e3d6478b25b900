// An MLP on Fashion-MNIST read from IDX files (the MNIST file format, gzip or not).
// Debian installs them with `apt-get install dataset-fashion-mnist`; run after `npm run build`:
//   node examples/fashion-mnist-mlp.mjs [/usr/share/datasets/fashion-mnist] [epochs]
import { join } from 'node:path';
import { data, evaluate, fit, manualSeed, metrics, nn, optim } from '../dist/index.js';

const dir = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const epochs = Number(process.argv[3] ?? 3);
const classes = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
manualSeed(0);

const file = (name) => join(dir, `${name}.gz`);
const train = await data.readIdxDataset(file('train-images-idx3-ubyte'), file('train-labels-idx1-ubyte'));
const test = await data.readIdxDataset(file('t10k-images-idx3-ubyte'), file('t10k-labels-idx1-ubyte'));
console.log(`Fashion-MNIST from ${dir}: ${train.images.shape[0]} train and ${test.images.shape[0]} test images of 28×28`);

const trainLoader = new data.DataLoader(new data.TensorDataset(train.images, train.labels), { batchSize: 128, shuffle: true });
const testLoader = new data.DataLoader(new data.TensorDataset(test.images, test.labels), { batchSize: 1000 });

const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 256), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(256, 10));
const optimizer = new optim.AdamW(model.parameters(), { lr: 2e-3, weightDecay: 1e-4 });
fit(model, trainLoader, { epochs, optimizer, loss: new nn.CrossEntropyLoss(), metrics: ['accuracy'] });

const result = evaluate(model, testLoader, { loss: new nn.CrossEntropyLoss(), metrics: ['accuracy'] });
console.log(`\ntest accuracy ${(100 * result.logs.accuracy).toFixed(2)}%\n`);
console.log(metrics.classificationReport(result.predictions, result.targets, { targetNames: classes }));
