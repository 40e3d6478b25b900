// A small GPT on the State of the Union addresses: a byte-level BPE tokenizer trained on the
// text, a causal Transformer (nn.TransformerEncoder with isCausal) trained on the earlier
// addresses, validation perplexity on the latest ones, samples, and the weights saved as
// safetensors and reloaded.
//
//   node examples/text-gpt.mjs                                # full run (a few minutes on two cores)
//   node examples/text-gpt.mjs --steps 30 --from 2012 --vocab 384 --dmodel 48 --layers 2  # the test suite's short setting
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nn, optim, data, onnx, tensor, arange, multinomial, topk, noGrad, manualSeed, Generator, save, load } from '../dist/index.js';
import { loadStateOfTheUnion } from './corpora.mjs';

const F = nn.functional;
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const STEPS = arg('steps', 1200);
const FROM = arg('from', 1946); // the post-war addresses: about 1.2 M BPE tokens
const VOCAB = arg('vocab', 1024);
const D_MODEL = arg('dmodel', 128);
const LAYERS = arg('layers', 4);
const HEADS = 4;
const CONTEXT = 64;
const BATCH = 16;
const EVAL_BATCHES = arg('eval', 100);

manualSeed(0);
const gen = new Generator(1);

// The last ~8% of addresses (the most recent) are held out: validation is on text the model never saw.
const speeches = loadStateOfTheUnion().filter((s) => s.year >= FROM);
const nVal = Math.max(1, Math.round(speeches.length * 0.08));
const trainText = speeches
  .slice(0, -nVal)
  .map((s) => s.text)
  .join('\n\n');
const valText = speeches
  .slice(-nVal)
  .map((s) => s.text)
  .join('\n\n');

let t0 = performance.now();
const tokenizer = data.BPETokenizer.train(trainText, { vocabSize: VOCAB });
const trainIds = Int32Array.from(tokenizer.encode(trainText));
const valIds = Int32Array.from(tokenizer.encode(valText));
const V = tokenizer.vocabSize;
console.log(
  `${speeches.length} addresses ${speeches[0].year}–${speeches.at(-1).year} (validation: ${speeches.at(-nVal).year} on); ` +
    `BPE vocabulary ${V} trained in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
    `${trainIds.length} training tokens (${(trainText.length / trainIds.length).toFixed(2)} characters each), ${valIds.length} validation tokens`,
);
const trainTokens = tensor(trainIds, { dtype: 'int32' });
const valTokens = tensor(valIds, { dtype: 'int32' });

/** A decoder-only Transformer: pre-norm encoder layers under a causal mask, the output head tied to the token embedding. */
class GPT extends nn.Module {
  constructor({ vocab, context, dModel, nHead, nLayer }) {
    super();
    this.tokens = new nn.Embedding(vocab, dModel);
    this.positions = new nn.Embedding(context, dModel);
    // GPT-2's small initial embeddings: the tied output head would otherwise start with logits of size √dModel·|x|.
    nn.init.normal_(this.tokens.weight, 0, 0.02);
    nn.init.normal_(this.positions.weight, 0, 0.02);
    const layer = new nn.TransformerEncoderLayer(dModel, nHead, {
      dimFeedforward: 4 * dModel,
      dropout: 0,
      activation: 'gelu',
      batchFirst: true,
      normFirst: true,
    });
    this.blocks = new nn.TransformerEncoder(layer, nLayer, { norm: new nn.LayerNorm(dModel) });
  }

  /** idx [B, T] → logits [B, T, vocab]. */
  forward(idx) {
    const T = idx.shape[1];
    const x = this.tokens(idx).add(this.positions(arange(T, { dtype: 'int32' })));
    return F.linear(this.blocks(x, { isCausal: true }), this.tokens.weight);
  }
}

/** A batch of `BATCH` windows of the token stream at random offsets: inputs and next-token targets. */
function batch(tokens, rng) {
  const n = tokens.shape[0] - CONTEXT - 1;
  const starts = Array.from({ length: BATCH }, () => Math.floor(rng.random() * n));
  const idx = tensor(Int32Array.from(starts.flatMap((s) => Array.from({ length: CONTEXT + 1 }, (_, t) => s + t))), { dtype: 'int32' });
  const windows = tokens.indexSelect(0, idx).reshape(BATCH, CONTEXT + 1);
  return [windows.slice(1, 0, CONTEXT), windows.slice(1, 1, CONTEXT + 1)];
}

/**
 * Mean cross-entropy per token over consecutive, non-overlapping windows of the validation text
 * (at most `EVAL_BATCHES` batches of them), and its perplexity.
 */
function validate(m) {
  const windows = Math.min(Math.floor((valTokens.shape[0] - 1) / CONTEXT), EVAL_BATCHES * BATCH);
  let total = 0;
  m.eval();
  for (let w = 0; w < windows; w += BATCH) {
    const n = Math.min(BATCH, windows - w);
    total += noGrad(() => {
      const x = valTokens.slice(0, w * CONTEXT, (w + n) * CONTEXT).reshape(n, CONTEXT);
      const y = valTokens.slice(0, w * CONTEXT + 1, (w + n) * CONTEXT + 1).reshape(n, CONTEXT);
      return F.crossEntropy(m(x).reshape(-1, V), y.reshape(-1), { reduction: 'sum' }).item();
    });
  }
  m.train();
  const loss = total / (windows * CONTEXT);
  return { loss, perplexity: Math.exp(loss), tokens: windows * CONTEXT };
}

const model = new GPT({ vocab: V, context: CONTEXT, dModel: D_MODEL, nHead: HEADS, nLayer: LAYERS });
const nParams = model.parameters().reduce((n, p) => n + p.numel(), 0);
const opt = new optim.AdamW(model.parameters(), { lr: 2e-3, weightDecay: 0.1 });
const sched = new optim.lrScheduler.OneCycleLR(opt, { maxLr: 2e-3, totalSteps: STEPS, pctStart: 0.1 });
console.log(`GPT: ${LAYERS} layers, dModel ${D_MODEL}, ${HEADS} heads, context ${CONTEXT}, batch ${BATCH}; ${nParams} parameters`);
const before = validate(model);
console.log(`before training: validation loss ${before.loss.toFixed(3)}, perplexity ${before.perplexity.toFixed(1)} (uniform over the vocabulary: ${V})`);

const curve = [];
t0 = performance.now();
for (let step = 1; step <= STEPS; step++) {
  const [x, y] = batch(trainTokens, gen);
  opt.zeroGrad();
  const l = F.crossEntropy(model(x).reshape(-1, V), y.reshape(-1));
  l.backward();
  nn.utils.clipGradNorm_(model.parameters(), 1);
  opt.step();
  const loss = l.item();
  sched.step();
  curve.push(loss);
  if (step % Math.max(1, Math.floor(STEPS / 10)) === 0 || step === 1) {
    const recent = curve.slice(-50);
    console.log(`step ${String(step).padStart(5)}  loss ${(recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(3)}`);
  }
}
const seconds = (performance.now() - t0) / 1000;
const head = curve.slice(0, Math.min(10, curve.length));
const tail = curve.slice(-Math.min(10, curve.length));
const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
console.log(
  `trained ${STEPS} steps in ${seconds.toFixed(1)} s (${Math.round((STEPS * BATCH * CONTEXT) / seconds)} tokens/s); ` +
    `training loss ${mean(head).toFixed(3)} → ${mean(tail).toFixed(3)} (mean of the first and last ${head.length} steps)`,
);
const after = validate(model);
console.log(`validation loss ${after.loss.toFixed(3)}, perplexity ${after.perplexity.toFixed(1)} over ${after.tokens} held-out tokens (uniform: ${V})`);

/** Continues `prompt` by `n` tokens, sampling from the top-k of the temperature-scaled distribution. */
function sample(m, prompt, n, { temperature = 0.8, topK = 40 } = {}) {
  const ids = tokenizer.encode(prompt);
  m.eval();
  for (let i = 0; i < n; i++) {
    ids.push(
      noGrad(() => {
        const context = ids.slice(-CONTEXT);
        const logits = m(tensor([context], { dtype: 'int32' }))
          .select(1, context.length - 1)
          .reshape(V);
        const [values, indices] = topk(logits.div(temperature), Math.min(topK, V));
        return indices.toArray()[multinomial(values.softmax(-1), 1, { generator: gen }).item()];
      }),
    );
  }
  m.train();
  return tokenizer.decode(ids);
}

for (const prompt of ['The state of the Union is', 'My fellow Americans,', 'We must']) {
  console.log(`sample: ${JSON.stringify(sample(model, prompt, 40))}`);
}

// Save the weights (safetensors) and the tokenizer (JSON), load both into fresh objects, and check
// the copy computes exactly what the trained model does.
const dir = mkdtempSync(join(tmpdir(), 'tessera-text-gpt-'));
try {
  await save(model.stateDict(), join(dir, 'gpt.safetensors'), { example: 'text-gpt' });
  await tokenizer.save(join(dir, 'tokenizer.json'));
  const copy = new GPT({ vocab: V, context: CONTEXT, dModel: D_MODEL, nHead: HEADS, nLayer: LAYERS });
  copy.loadStateDict(await load(join(dir, 'gpt.safetensors')), { strict: true });
  const tokenizerCopy = await data.BPETokenizer.load(join(dir, 'tokenizer.json'));
  const sameTokens = tokenizerCopy.encode(valText).every((id, i) => id === valIds[i]);
  const [a, b] = [model, copy].map((m) => {
    m.eval();
    return noGrad(() => m(batch(valTokens, new Generator(7))[0]).toArray());
  });
  const identical = a.length === b.length && a.every((v, i) => v === b[i]);
  const reloaded = validate(copy);
  console.log(
    `reloaded from safetensors: logits ${identical ? 'identical' : 'DIFFERENT'}, tokenizer ${sameTokens ? 'identical' : 'DIFFERENT'}, ` +
      `validation perplexity ${reloaded.perplexity.toFixed(1)}`,
  );

  // Deployment: ONNX traced at the full context with a dynamic batch and sequence, so the causal
  // mask and the positions follow the prompt's length; read back, it gives the model's logits at
  // lengths it was not traced at.
  model.eval();
  const axes = { 0: 'batch', 1: 'seq' };
  const onnxPath = join(dir, 'gpt.onnx');
  await onnx.exportToFile(model, batch(valTokens, new Generator(8))[0].slice(0, 0, 2), onnxPath, {
    inputNames: ['idx'],
    outputNames: ['logits'],
    dynamicAxes: { idx: axes, logits: axes },
  });
  const deployed = await onnx.loadFile(onnxPath);
  const prompt = tensor([tokenizer.encode('The state of the Union is').slice(-CONTEXT)], { dtype: 'int32' });
  const windows = batch(valTokens, new Generator(9))[0]
    .slice(0, 0, 3)
    .slice(1, 0, CONTEXT - 3);
  const worst = Math.max(...[prompt, windows].map((idx) => noGrad(() => deployed(idx).sub(model(idx)).abs().max().item())));
  console.log(
    `ONNX: ${(statSync(onnxPath).size / 1024).toFixed(0)} KB, dynamic batch and sequence; onnx.load's logits at ` +
      `${[prompt, windows].map((t) => t.shape.join(' × ')).join(' and ')} match within ${worst.toExponential(1)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
