// BERT in miniature: pretrain a small Transformer encoder with masked-language modelling on the
// SpamAssassin message bodies (their text only, no labels), then fine-tune it to tell spam from
// ham with few labelled messages, and compare with the same classifier trained from scratch on
// the same labels with the same budget.
//
//   node examples/bert-finetune.mjs                                                      # full run
//   node examples/bert-finetune.mjs --limit 500 --pretrain 1 --labelled 100 --epochs 3 --maxlen 32 --vocab 512  # the test suite's short setting
import { nn, optim, data, tensor, fit, evaluate, metrics, noGrad, manualSeed, Generator } from '../dist/index.js';
import { splitSpamAssassin } from './corpora.mjs';

const F = nn.functional;
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const LIMIT = arg('limit', Infinity); // messages used (a fixed subset), for a quick run
const PRETRAIN_EPOCHS = arg('pretrain', 4); // masked-language-modelling epochs over every training body
const LABELLED = arg('labelled', 300); // labelled messages the classifiers learn from
const EPOCHS = arg('epochs', 8); // fine-tuning epochs (the same for both classifiers)
const MAX_LEN = arg('maxlen', 128);
const VOCAB = arg('vocab', 2000);
const D = 64;
const BATCH = 32;
const IGNORE = -100; // F.crossEntropy's default ignoreIndex, as PyTorch's

manualSeed(0);
const gen = new Generator(0);

const { train, test } = splitSpamAssassin({ limit: LIMIT });
const clean = (text) => text.replace(/\s+/g, ' ').slice(0, 16 * MAX_LEN);
const tokenizer = data.BPETokenizer.train(train.map((m) => clean(m.text)).join('\n'), { vocabSize: VOCAB, specialTokens: ['<pad>', '<cls>', '<mask>'] });
const [PAD, CLS, MASK] = ['<pad>', '<cls>', '<mask>'].map((s) => tokenizer.encode(s)[0]);
const V = tokenizer.vocabSize;

/** ids [N, MAX_LEN]: <cls>, the body's first tokens, <pad>…; padding mask [N, MAX_LEN] (true = padding); labels [N]. */
function encode(list) {
  const ids = new Int32Array(list.length * MAX_LEN).fill(PAD);
  const mask = new Array(list.length * MAX_LEN).fill(true);
  list.forEach((m, i) => {
    const tokens = [CLS, ...tokenizer.encode(clean(m.text)).slice(0, MAX_LEN - 1)];
    tokens.forEach((t, j) => {
      ids[i * MAX_LEN + j] = t;
      mask[i * MAX_LEN + j] = false;
    });
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
const labelled = train.slice(0, LABELLED);
const [unlabelledIds, unlabelledMask] = encode(train);
const labelledSet = new data.TensorDataset(...encode(labelled));
const testSet = new data.TensorDataset(...encode(test));
console.log(
  `${train.length} training bodies for pretraining (labels unused), ${labelled.length} of them labelled for fine-tuning, ` +
    `${test.length} held out; BPE vocabulary ${V}, ${MAX_LEN} tokens per message`,
);

/** Token and position embeddings, then a pre-norm Transformer encoder: [B, T] ids → [B, T, D]. */
class Encoder extends nn.Module {
  constructor() {
    super();
    this.tokens = new nn.Embedding(V, D, { paddingIdx: PAD });
    this.positions = new nn.Embedding(MAX_LEN, D);
    // BERT's N(0, 0.02) embeddings (the MLM head reads logits through them), the <pad> row kept zero.
    nn.init.normal_(this.tokens.weight, 0, 0.02);
    nn.init.normal_(this.positions.weight, 0, 0.02);
    noGrad(() => this.tokens.weight.select(0, PAD).zero_());
    const layer = new nn.TransformerEncoderLayer(D, 4, { dimFeedforward: 4 * D, dropout: 0.1, activation: 'gelu', batchFirst: true, normFirst: true });
    this.layers = new nn.TransformerEncoder(layer, 2, { norm: new nn.LayerNorm(D) });
  }

  forward(ids, mask) {
    const x = this.tokens(ids).add(this.positions.weight.slice(0, 0, ids.shape[1]));
    return this.layers(x, { srcKeyPaddingMask: mask });
  }
}

/** The encoder with BERT's MLM head: a transform, then logits over the vocabulary through the tied token embedding. */
class MaskedLM extends nn.Module {
  constructor(encoder) {
    super();
    this.encoder = encoder;
    this.transform = new nn.Linear(D, D);
    this.norm = new nn.LayerNorm(D);
    this.bias = new nn.Parameter(tensor(new Float32Array(V)));
  }

  forward(ids, mask) {
    const h = this.norm(F.gelu(this.transform(this.encoder(ids, mask))));
    return F.linear(h, this.encoder.tokens.weight, this.bias);
  }
}

/** The encoder with a classification head on the <cls> position. */
class Classifier extends nn.Module {
  constructor(encoder) {
    super();
    this.encoder = encoder;
    this.dropout = new nn.Dropout(0.1);
    this.head = new nn.Linear(D, 2);
  }

  forward(ids, mask) {
    return this.head(this.dropout(this.encoder(ids, mask).select(1, 0)));
  }
}

/**
 * BERT's masking: 15% of the real tokens (never <cls> or padding) are chosen; of those 80% become
 * <mask>, 10% a random token, 10% stay. Targets are the original ids there and IGNORE elsewhere.
 */
function maskTokens(ids, mask) {
  const x = Int32Array.from(ids.toArray());
  const pad = mask.toArray();
  const target = new Int32Array(x.length).fill(IGNORE);
  for (let i = 0; i < x.length; i++) {
    if (pad[i] || x[i] === CLS || gen.random() >= 0.15) continue;
    target[i] = x[i];
    const r = gen.random();
    if (r < 0.8) x[i] = MASK;
    else if (r < 0.9) x[i] = Math.floor(gen.random() * (V - 3)); // an ordinary token
  }
  return [tensor(x, { shape: ids.shape, dtype: 'int32' }), tensor(target, { shape: ids.shape, dtype: 'int32' })];
}

// 1. Pretraining: fit's own step(batch) masks each batch afresh and returns the MLM loss.
manualSeed(1);
const pretrained = new MaskedLM(new Encoder());
let t0 = performance.now();
const mlm = fit(
  pretrained,
  new data.DataLoader(new data.TensorDataset(unlabelledIds, unlabelledMask), { batchSize: BATCH, shuffle: true, generator: new Generator(2) }),
  {
    epochs: PRETRAIN_EPOCHS,
    optimizer: new optim.AdamW(pretrained.parameters(), { lr: 2e-3, weightDecay: 0.01 }),
    step: ([ids, mask]) => {
      const [input, target] = maskTokens(ids, mask);
      return F.crossEntropy(pretrained(input, mask).reshape(-1, V), target.reshape(-1), { ignoreIndex: IGNORE });
    },
    verbose: false,
  },
);
console.log(
  `pretraining (masked LM, ${pretrained.parameters().reduce((n, p) => n + p.numel(), 0)} parameters): ${PRETRAIN_EPOCHS} epochs in ` +
    `${((performance.now() - t0) / 1000).toFixed(1)} s; MLM loss ${mlm.loss.map((l) => l.toFixed(3)).join(' → ')} (uniform: ${Math.log(V).toFixed(3)})`,
);

// 2. The same classifier twice, from the same seed: once on the pretrained encoder, once from scratch.
/** Batches as { inputs: [ids, mask], target }: fit calls model(ids, mask). */
const asInputs = (loader) => ({
  *[Symbol.iterator]() {
    for (const [ids, mask, target] of loader) yield { inputs: [ids, mask], target };
  },
});
const results = [];
for (const name of ['fine-tuned', 'from scratch']) {
  manualSeed(3);
  const encoder = new Encoder();
  if (name === 'fine-tuned') encoder.loadStateDict(pretrained.encoder.stateDict());
  const model = new Classifier(encoder);
  t0 = performance.now();
  const history = fit(model, asInputs(new data.DataLoader(labelledSet, { batchSize: BATCH, shuffle: true, generator: new Generator(4) })), {
    epochs: EPOCHS,
    optimizer: new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 }),
    loss: new nn.CrossEntropyLoss(),
    verbose: false,
  });
  const { predictions, targets } = evaluate(model, asInputs(new data.DataLoader(testSet, { batchSize: 256 })));
  const accuracy = metrics.accuracy(predictions, targets);
  const f1 = metrics.f1(predictions, targets);
  console.log(
    `${name}: ${EPOCHS} epochs on ${labelled.length} labelled messages in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
      `training loss ${history.loss.map((l) => l.toFixed(3)).join(' → ')}; held-out accuracy ${accuracy.toFixed(3)}, spam F1 ${f1.toFixed(3)}`,
  );
  results.push({ name, accuracy, f1 });
}
const [tuned, scratch] = results;
console.log(
  `held-out accuracy: fine-tuned ${tuned.accuracy.toFixed(3)} vs from scratch ${scratch.accuracy.toFixed(3)} ` +
    `(spam F1 ${tuned.f1.toFixed(3)} vs ${scratch.f1.toFixed(3)}), same ${EPOCHS} epochs on the same ${labelled.length} labels`,
);
