// A character-level Transformer (a tiny GPT) trained on the bundled first names, then sampling
// new names with temperature, top-k and top-p, one token at a time through a key/value cache.
//
//   node examples/names-transformer.mjs            # full run (a few minutes on two cores)
//   node examples/names-transformer.mjs --steps 30 # the short setting the test suite runs
import { nn, onnx, optim, data, tensor, topk, multinomial, noGrad, tidy, manualSeed, Generator } from '../dist/index.js';
import { NamesGPT } from './names-model.mjs';

const F = nn.functional;
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const STEPS = arg('steps', 1500);
const CONTEXT = 16;
const BATCH = 32;

manualSeed(0);
const { female, male } = data.loadNames();
const names = [...female, ...male].map((n) => n.toLowerCase()).filter((n) => /^[a-z]+$/.test(n) && n.length < CONTEXT);
// '.' marks both the start and the end of a name.
const tokenizer = new data.CharTokenizer(`.${names.join('.')}.`);
const V = tokenizer.vocabSize;
const DOT = tokenizer.encode('.')[0];

// Each name is one example: x = '.name' padded, y = 'name.' padded with −1 (ignored by the loss).
const xs = new Int32Array(names.length * CONTEXT).fill(DOT);
const ys = new Int32Array(names.length * CONTEXT).fill(-1);
names.forEach((name, i) => {
  const ids = tokenizer.encode(`.${name}.`);
  for (let t = 0; t < ids.length - 1; t++) {
    xs[i * CONTEXT + t] = ids[t];
    ys[i * CONTEXT + t] = ids[t + 1];
  }
});
const X = tensor(xs, { shape: [names.length, CONTEXT], dtype: 'int32' });
const Y = tensor(ys, { shape: [names.length, CONTEXT], dtype: 'int32' });

const model = new NamesGPT({ vocab: V, context: CONTEXT });
const opt = new optim.AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0.01 });
const gen = new Generator(1);
console.log(`${names.length} names, vocabulary ${V}, ${model.parameters().reduce((n, p) => n + p.numel(), 0)} parameters`);

const curve = [];
const t0 = performance.now();
for (let step = 1; step <= STEPS; step++) {
  const rows = tensor(
    Int32Array.from({ length: BATCH }, () => Math.floor(gen.random() * names.length)),
    { dtype: 'int32' },
  );
  opt.zeroGrad();
  const logits = model(X.indexSelect(0, rows));
  const loss = F.crossEntropy(logits.reshape(-1, V), Y.indexSelect(0, rows).reshape(-1), { ignoreIndex: -1 });
  loss.backward();
  opt.step();
  curve.push(loss.item());
  if (step % Math.max(1, Math.floor(STEPS / 10)) === 0 || step === 1) {
    const recent = curve.slice(-50);
    console.log(`step ${String(step).padStart(5)}  loss ${(recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(3)}`);
  }
}
console.log(`trained ${STEPS} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s; loss ${curve[0].toFixed(3)} → ${curve.at(-1).toFixed(3)}`);

/** The next token from logits [vocab]: temperature, then top-k, then top-p (nucleus). */
function pick(logits, { temperature = 1, topK = 0, topP = 1 }) {
  const probs = logits.div(temperature).softmax(-1);
  const [values, indices] = topk(probs, topK > 0 ? Math.min(topK, V) : V);
  const p = values.toArray(),
    ids = indices.toArray();
  let keep = 0,
    mass = 0;
  while (keep < p.length && (keep === 0 || mass < topP)) mass += p[keep++];
  const kept = tensor(p.slice(0, keep));
  return ids[multinomial(kept, 1, { generator: gen }).item()];
}

// Keys and values of the sequence so far, written in place as it grows (see names-model.mjs).
const caches = model.newCache();

/** One name, sampled token by token; each step feeds only the new token through the cached keys/values. */
function sampleName(settings) {
  return noGrad(() => {
    for (const cache of caches) cache.length = 0;
    let token = DOT,
      out = '';
    for (let t = 0; t < CONTEXT; t++) {
      // tidy frees the step's tensors as it ends (pick returns a number), not at a later reclaim.
      token = tidy(() => pick(model(tensor([[token]], { dtype: 'int32' }), caches, t).reshape(V), settings));
      if (token === DOT) break;
      out += tokenizer.decode([token]);
    }
    return out;
  });
}

model.eval();
for (const settings of [{ temperature: 1 }, { temperature: 0.8, topK: 5 }, { temperature: 1, topP: 0.9 }]) {
  const samples = Array.from({ length: 8 }, () => sampleName(settings));
  console.log(`${JSON.stringify(settings)}: ${samples.join(', ')}`);
}

// Sampling speed at batch 1 with the key/value cache; CPU time too, since a shared machine's
// wall clock also counts other processes' turns.
let tokens = 0;
const s0 = performance.now();
const cpu0 = process.cpuUsage();
while (performance.now() - s0 < 1000) tokens += sampleName({ temperature: 1 }).length + 1;
const cpu = process.cpuUsage(cpu0);
console.log(
  `sampling: ${Math.round(tokens / ((performance.now() - s0) / 1000))} tokens/s (batch 1, key/value cache); ` +
    `${Math.round(tokens / ((cpu.user + cpu.system) / 1e6))} tokens per CPU-second`,
);

// Deployment: ONNX traced at the full context with a dynamic batch and sequence (the causal mask
// and the positions follow the input's length); read back, it gives the model's logits for a prompt.
const axes = { 0: 'batch', 1: 'seq' };
const bytes = onnx.export(model, X.slice(0, 0, 2), { inputNames: ['idx'], outputNames: ['logits'], dynamicAxes: { idx: axes, logits: axes } });
const prompt = tensor([tokenizer.encode('.ma')], { dtype: 'int32' });
const worst = noGrad(() => onnx.load(bytes)(prompt).sub(model(prompt)).abs().max().item());
console.log(`ONNX: ${(bytes.length / 1024).toFixed(0)} KB, dynamic batch and sequence; onnx.load's logits at 1 × 3 match within ${worst.toExponential(1)}`);
