// A training loop written PyTorch-style, without fit(): zeroGrad, forward, loss, backward, step.
// Run after `npm run build`: node examples/manual-loop.mjs
import { data, manualSeed, nn, noGrad, optim } from '../dist/index.js';

manualSeed(0);
const { images, labels } = data.loadDigits();
const [trainSet, testSet] = data.randomSplit(new data.TensorDataset(images, labels), [0.8, 0.2]);
const loader = new data.DataLoader(trainSet, { batchSize: 64, shuffle: true });

const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(64, 64), new nn.Tanh(), new nn.Linear(64, 10));
const lossFn = new nn.CrossEntropyLoss();
const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
const scheduler = new optim.lrScheduler.StepLR(optimizer, { stepSize: 10, gamma: 0.5 });

for (let epoch = 1; epoch <= 30; epoch++) {
  model.train();
  let total = 0;
  let correct = 0;
  let lossSum = 0;
  for (const [x, y] of loader) {
    optimizer.zeroGrad();
    const logits = model.forward(x);
    const loss = lossFn.forward(logits, y);
    loss.backward();
    optimizer.step();
    // Reading the loss and the logits after backward is fine: they live until the next zeroGrad().
    lossSum += loss.item() * y.shape[0];
    correct += logits.argmax(1).eq(y).sum().item();
    total += y.shape[0];
  }
  scheduler.step();
  if (epoch % 5 === 0) {
    console.log(`epoch ${epoch}  loss ${(lossSum / total).toFixed(4)}  train accuracy ${(correct / total).toFixed(4)}  lr ${scheduler.getLastLr()[0]}`);
  }
}

model.eval();
const [x, y] = new data.DataLoader(testSet, { batchSize: testSet.length })[Symbol.iterator]().next().value;
const accuracy = noGrad(() => model.forward(x).argmax(1).eq(y).float().mean().item());
console.log(`test accuracy ${(100 * accuracy).toFixed(2)}%`);
