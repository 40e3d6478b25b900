// Spam or ham? An LSTM and a Transformer-encoder classifier side by side on the SpamAssassin
// public mail corpus (message bodies only, headers dropped), trained with `fit` on the same
// byte-level BPE tokens and judged on the same held-out split by the classification report.
//
//   node examples/spam-classifier.mjs                                        # full run
//   node examples/spam-classifier.mjs --limit 600 --epochs 2 --maxlen 48     # the test suite's short setting
import { nn, optim, data, tensor, fit, evaluate, metrics, manualSeed, Generator } from '../dist/index.js';
import { splitSpamAssassin } from './corpora.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const LIMIT = arg('limit', Infinity); // messages used (a fixed subset), for a quick run
const EPOCHS = arg('epochs', 4);
const MAX_LEN = arg('maxlen', 128); // tokens kept from the start of each body
const VOCAB = arg('vocab', 2000);
const D = 64;
const BATCH = 32;
const LABELS = ['ham', 'spam'];

manualSeed(0);

// A fixed 80/20 split of the messages; the tokenizer learns from the training part only.
const { train: trainMessages, test: testMessages } = splitSpamAssassin({ limit: LIMIT });
// Whitespace runs collapsed; the first few thousand characters are plenty for MAX_LEN tokens.
const clean = (text) => text.replace(/\s+/g, ' ').slice(0, 16 * MAX_LEN);
const tokenizer = data.BPETokenizer.train(trainMessages.map((m) => clean(m.text)).join('\n'), { vocabSize: VOCAB, specialTokens: ['<pad>'] });
const PAD = tokenizer.encode('<pad>')[0];

/** ids [N, MAX_LEN] (right-padded with <pad>), padding mask [N, MAX_LEN] (true = padding, PyTorch's keyPaddingMask) and labels [N]. */
function encode(list) {
  const ids = new Int32Array(list.length * MAX_LEN).fill(PAD);
  const mask = new Array(list.length * MAX_LEN).fill(true);
  list.forEach((m, i) => {
    // An empty body still gets one token (the pad), so every row has a position to read.
    const tokens = tokenizer.encode(clean(m.text)).slice(0, MAX_LEN);
    tokens.forEach((t, j) => (ids[i * MAX_LEN + j] = t));
    for (let j = 0; j < Math.max(1, tokens.length); j++) mask[i * MAX_LEN + j] = false;
  });
  return [
    tensor(ids, { shape: [list.length, MAX_LEN], dtype: 'int32' }),
    tensor(mask, { dtype: 'bool' }).reshape(list.length, MAX_LEN),
    tensor(
      Int32Array.from(list, (m) => m.label),
      { dtype: 'int32' },
    ),
  ];
}
const trainSet = new data.TensorDataset(...encode(trainMessages));
const testSet = new data.TensorDataset(...encode(testMessages));
const spamShare = (list) => `${((100 * list.filter((m) => m.label === 1).length) / list.length).toFixed(1)}% spam`;
console.log(
  `${trainMessages.length + testMessages.length} messages: ${trainMessages.length} for training (${spamShare(trainMessages)}), ${testMessages.length} held out (${spamShare(testMessages)}); ` +
    `BPE vocabulary ${tokenizer.vocabSize}, first ${MAX_LEN} tokens of each body`,
);

/** Embedding → LSTM → the output at each message's last real token → logits. */
class LSTMClassifier extends nn.Module {
  constructor() {
    super();
    this.embed = new nn.Embedding(tokenizer.vocabSize, D, { paddingIdx: PAD });
    this.lstm = new nn.LSTM(D, D, { batchFirst: true });
    this.head = new nn.Linear(D, LABELS.length);
  }

  forward(ids, mask) {
    const [out] = this.lstm(this.embed(ids));
    // Right padding comes after the real tokens, so the output there has not seen any padding.
    const last = mask.logicalNot().sum(1).sub(1).reshape(-1, 1, 1).expand(ids.shape[0], 1, D);
    return this.head(out.gather(1, last).squeeze(1));
  }
}

/** Embedding + learned positions → Transformer encoder (padding masked) → mean over real tokens → logits. */
class TransformerClassifier extends nn.Module {
  constructor() {
    super();
    this.embed = new nn.Embedding(tokenizer.vocabSize, D, { paddingIdx: PAD });
    this.positions = new nn.Embedding(MAX_LEN, D);
    const layer = new nn.TransformerEncoderLayer(D, 4, { dimFeedforward: 2 * D, dropout: 0.1, batchFirst: true, normFirst: true });
    this.encoder = new nn.TransformerEncoder(layer, 2, { norm: new nn.LayerNorm(D) });
    this.head = new nn.Linear(D, LABELS.length);
  }

  forward(ids, mask) {
    const T = ids.shape[1];
    const x = this.embed(ids).add(this.positions.weight.slice(0, 0, T));
    const h = this.encoder(x, { srcKeyPaddingMask: mask });
    const keep = mask.logicalNot().unsqueeze(2).to('float32');
    return this.head(h.mul(keep).sum(1).div(keep.sum(1)));
  }
}

const results = [];
for (const [name, model] of [
  ['LSTM', new LSTMClassifier()],
  ['Transformer', new TransformerClassifier()],
]) {
  const params = model.parameters().reduce((n, p) => n + p.numel(), 0);
  const t0 = performance.now();
  const history = fit(model, new data.DataLoader(trainSet, { batchSize: BATCH, shuffle: true, generator: new Generator(1) }), {
    epochs: EPOCHS,
    optimizer: new optim.AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0.01 }),
    loss: new nn.CrossEntropyLoss(),
    metrics: ['accuracy'],
    verbose: false,
  });
  const seconds = (performance.now() - t0) / 1000;
  const { predictions, targets } = evaluate(model, new data.DataLoader(testSet, { batchSize: 256 }));
  const f1 = metrics.f1(predictions, targets); // binary: spam is the positive class
  console.log(
    `\n${name} (${params} parameters): ${EPOCHS} epochs in ${seconds.toFixed(1)} s; ` +
      `training loss ${history.loss.map((l) => l.toFixed(3)).join(' → ')}, accuracy ${history.accuracy.map((a) => a.toFixed(3)).join(' → ')}`,
  );
  console.log(`${name} on the held-out messages:`);
  console.log(metrics.classificationReport(predictions, targets, { targetNames: LABELS, digits: 3 }));
  results.push({ name, f1, accuracy: metrics.accuracy(predictions, targets), seconds });
}
console.log(results.map((r) => `${r.name}: spam F1 ${r.f1.toFixed(3)}, accuracy ${r.accuracy.toFixed(3)} (${r.seconds.toFixed(0)} s)`).join('; '));
