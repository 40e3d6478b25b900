// Trains the digits CNN in a Web Worker, so the page stays responsive, and answers predictions,
// weight downloads and uploads between training steps.
import { argmax, data, deserialize, getNumThreads, manualSeed, maxPool2d, nn, noGrad, optim, serialize, softmax, tensor } from '../dist/index.js';

const F = nn.functional;

/** conv → pool → conv → pool → linear, `width` channels in the first layer. */
class DigitsCNN extends nn.Module {
  constructor(width) {
    super();
    this.conv1 = new nn.Conv2d(1, width, 3, { padding: 1 });
    this.conv2 = new nn.Conv2d(width, 2 * width, 3, { padding: 1 });
    this.fc = new nn.Linear(2 * width * 2 * 2, 10);
  }
  forward(x) {
    const h = maxPool2d(F.relu(this.conv1(x)), 2); // [N, width, 4, 4]
    const g = maxPool2d(F.relu(this.conv2(h)), 2); // [N, 2·width, 2, 2]
    return this.fc(g.flatten(1));
  }
}

manualSeed(0);
const { images, labels } = data.loadDigits();
const order = data.randperm(images.shape[0]);
const pick = (indices) => tensor(indices, { dtype: 'int32' });
const trainIndex = pick(order.slice(0, 1437));
const testIndex = pick(order.slice(1437));
const train = { x: images.indexSelect(0, trainIndex), y: labels.indexSelect(0, trainIndex) };
const test = { x: images.indexSelect(0, testIndex), y: labels.indexSelect(0, testIndex) };

let model = null;
let running = false;
const inbox = [];

const post = (message) => self.postMessage(message);
const pause = () => new Promise((resolve) => setTimeout(resolve, 0));

function accuracy(x, y) {
  return noGrad(() => argmax(model(x), 1).eq(y).float().mean().item());
}

async function trainLoop({ lr, batchSize, width, steps }) {
  manualSeed(1);
  model = new DigitsCNN(width);
  const optimizer = new optim.Adam(model.parameters(), { lr });
  running = true;
  post({ type: 'started', parameters: model.parameters().reduce((n, p) => n + p.numel(), 0) });
  for (let step = 1; step <= steps && running; step++) {
    const batch = pick(Array.from({ length: batchSize }, () => Math.floor(Math.random() * train.x.shape[0])));
    const x = train.x.indexSelect(0, batch);
    const y = train.y.indexSelect(0, batch);
    model.train();
    const logits = model(x);
    const loss = F.crossEntropy(logits, y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    const progress = { type: 'progress', step, loss: loss.item() };
    if (step % 10 === 0 || step === steps) {
      model.eval();
      progress.testAccuracy = accuracy(test.x, test.y);
    }
    post(progress);
    if (step % 5 === 0) {
      await pause();
      handleInbox();
    }
  }
  running = false;
  post({ type: 'done' });
}

function predict(pixels) {
  if (!model) return post({ type: 'prediction', probabilities: null });
  model.eval();
  const probabilities = noGrad(() =>
    softmax(model(tensor(pixels, { shape: [1, 1, 8, 8] })), 1)
      .reshape(-1)
      .tolist(),
  );
  post({ type: 'prediction', probabilities });
}

function handle(message) {
  try {
    if (message.type === 'train') {
      if (!running) trainLoop(message).catch((error) => post({ type: 'error', message: error.message }));
    } else if (message.type === 'stop') running = false;
    else if (message.type === 'predict') predict(message.pixels);
    else if (message.type === 'save') {
      if (!model) throw new Error('train a model before saving it');
      post({ type: 'weights', bytes: serialize(model.stateDict()), width: model.conv1.outChannels });
    } else if (message.type === 'load') {
      const state = deserialize(new Uint8Array(message.bytes)).tensors;
      model = new DigitsCNN(state['conv1.weight'].shape[0]);
      model.loadStateDict(state);
      model.eval();
      post({ type: 'loaded', testAccuracy: accuracy(test.x, test.y) });
    } else if (message.type === 'testDigit') {
      const i = message.index % test.x.shape[0];
      post({ type: 'testDigit', pixels: Array.from(test.x.select(0, i).toArray()), label: test.y.select(0, i).item() });
    }
  } catch (error) {
    post({ type: 'error', message: error.message });
  }
}

function handleInbox() {
  for (const message of inbox.splice(0)) handle(message);
}

self.onmessage = ({ data: message }) => {
  // While training, messages wait for the next pause between steps; otherwise they run now.
  if (running && message.type !== 'stop') inbox.push(message);
  else handle(message);
};

post({ type: 'ready', isolated: self.crossOriginIsolated === true, threads: getNumThreads() });
