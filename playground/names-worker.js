// Trains a character-level Transformer on the bundled first names in a Web Worker and samples new
// names as it learns (docs/course/07-sequence-models.md explains the model).
import { arange, data, manualSeed, multinomial, nn, noGrad, optim, randint, softmax, tensor } from '../dist/index.js';

const F = nn.functional;
const T = 16;
const D = 48;

manualSeed(0);
const names = [...data.loadNames().female, ...data.loadNames().male].map((n) => n.toLowerCase());
const text = names.map((n) => `.${n}`).join('') + '.';
const tokenizer = new data.CharTokenizer(text);
const ids = tokenizer.encode(text);
const V = tokenizer.vocabSize;
const DOT = tokenizer.encode('.')[0];

class TinyGPT extends nn.Module {
  constructor() {
    super();
    this.tokens = new nn.Embedding(V, D);
    this.positions = new nn.Embedding(T, D);
    this.blocks = new nn.Sequential(
      ...[0, 1].map(() => new nn.TransformerEncoderLayer(D, 4, { dimFeedforward: 4 * D, dropout: 0, batchFirst: true, normFirst: true })),
    );
    this.head = new nn.Linear(D, V);
  }
  forward(x) {
    let h = this.tokens(x).add(this.positions(arange(x.shape[1])));
    for (const block of this.blocks) h = block(h, { isCausal: true });
    return this.head(h);
  }
}

/** A new name: characters drawn one at a time from the model's softened distribution until '.'. */
function sample(model, temperature) {
  const out = [DOT];
  while (out.length < T) {
    const logits = noGrad(() => model(tensor([out.slice(-T)], { dtype: 'int32' })));
    const last = logits.select(1, out.length - 1).div(temperature);
    const next = multinomial(softmax(last, -1), 1).reshape(-1).item();
    if (next === DOT) break;
    out.push(next);
  }
  return tokenizer.decode(out.slice(1));
}

let running = false;
self.onmessage = async ({ data: message }) => {
  if (message.type === 'stop') running = false;
  if (message.type !== 'train' || running) return;
  running = true;
  manualSeed(2);
  const model = new TinyGPT();
  const optimizer = new optim.AdamW(model.parameters(), { lr: 3e-3 });
  for (let step = 1; step <= message.steps && running; step++) {
    const starts = randint(0, ids.length - T - 1, [32]).tolist();
    const x = tensor(
      starts.map((s) => ids.slice(s, s + T)),
      { dtype: 'int32' },
    );
    const y = tensor(
      starts.map((s) => ids.slice(s + 1, s + T + 1)),
      { dtype: 'int32' },
    );
    const loss = F.crossEntropy(model(x).reshape(-1, V), y.reshape(-1));
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    const progress = { type: 'progress', step, loss: loss.item() };
    if (step % 25 === 0 || step === message.steps) progress.samples = Array.from({ length: 5 }, () => sample(model, message.temperature ?? 0.8));
    self.postMessage(progress);
    if (step % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  running = false;
  self.postMessage({ type: 'done' });
};
self.postMessage({ type: 'ready', vocabulary: V, names: names.length });
