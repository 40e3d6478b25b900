// Sequence-model workloads of issue 10 against PyTorch CPU (one thread, its own process):
// an LSTM training step, causal attention forward + backward, and a GPT training step.
//
//   npm run build && node bench/seq.mjs     (also run as the last section of bench:compare)
import { spawnSync } from 'node:child_process';
import { nn, optim, randn, randint, tensor, setNumThreads, manualSeed, noGrad, tidy } from '../dist/index.js';
import { PYTHON, pythonEnv } from './peers/python.mjs';

const F = nn.functional;

function medianMs(fn, warmup, reps) {
  for (let i = 0; i < warmup; i++) fn();
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** The three workloads in Tessera; each returns its median ms per step. */
export function tesseraSeq() {
  setNumThreads(1);
  manualSeed(0);
  const lstm = new nn.LSTM(64, 128);
  const lstmOpt = new optim.Adam(lstm.parameters(), { lr: 1e-3 });
  const lstmX = randn([32, 32, 64]).keep();
  const lstmStep = () => {
    lstmOpt.zeroGrad();
    lstm(lstmX)[0].square().mean().backward();
    lstmOpt.step();
  };

  const [q, k, v] = [0, 1, 2].map(() => randn([16, 4, 64, 32], { requiresGrad: true }).keep());
  const attention = () => {
    for (const t of [q, k, v]) t.grad = null;
    F.scaledDotProductAttention(q, k, v, { isCausal: true }).sum().backward();
  };

  class GPT extends nn.Module {
    tok = new nn.Embedding(65, 128);
    pos = new nn.Embedding(64, 128);
    blocks = new nn.TransformerEncoder(
      new nn.TransformerEncoderLayer(128, 4, { dimFeedforward: 512, dropout: 0, activation: 'gelu', batchFirst: true, normFirst: true }),
      4,
    );
    ln = new nn.LayerNorm(128);
    head = new nn.Linear(128, 65);
    positions = tensor(
      Int32Array.from({ length: 64 }, (_, i) => i),
      { dtype: 'int32' },
    ).keep();
    forward(idx) {
      const x = this.tok(idx).add(this.pos(this.positions));
      return this.head(this.ln(this.blocks(x, { isCausal: true })));
    }
  }
  const gpt = new GPT();
  const gptOpt = new optim.AdamW(gpt.parameters(), { lr: 1e-3 });
  const idx = randint(0, 65, [16, 64], { dtype: 'int32' }).keep();
  const tgt = randint(0, 65, [16 * 64], { dtype: 'int32' }).keep();
  const gptStep = () => {
    gptOpt.zeroGrad();
    F.crossEntropy(gpt(idx).reshape(-1, 65), tgt).backward();
    gptOpt.step();
  };
  const lstmForward = medianMs(() => tidy(() => noGrad(() => lstm(lstmX))), 3, 15);
  const gptForward = medianMs(() => tidy(() => noGrad(() => gpt(idx))), 2, 8);
  return { lstm: medianMs(lstmStep, 3, 15), attention: medianMs(attention, 3, 30), gpt: medianMs(gptStep, 2, 8), lstmForward, gptForward };
}

/** PyTorch's figures, or null when /usr/bin/python3 has no torch. */
export function torchSeq() {
  const r = spawnSync(PYTHON, [new URL('./python/seq.py', import.meta.url).pathname], { encoding: 'utf8', env: pythonEnv().env });
  return r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').at(-1)) : null;
}

/** The markdown section bench:compare prints. */
export function seqSection(tess, torch) {
  const ms = (x) => (x === undefined || x === null ? '—' : `${x.toFixed(1)} ms`);
  const rows = [
    ['LSTM step (in 64, hidden 128, seq 32, batch 32, Adam)', 'lstm', 0.6],
    ['causal attention fwd+bwd (B16 H4 L64 E32)', 'attention', 1.0],
    ['GPT step (vocab 65, d 128, 4 layers, 4 heads, ctx 64, batch 16, AdamW)', 'gpt', 0.6],
  ];
  const lines = [
    '## Sequence models (issue 10; one thread, median ms per step)\n',
    '| workload | Tessera | torch | T÷torch (speed) | target |',
    '|---|---|---|---|---|',
  ];
  for (const [name, key, target] of rows) {
    const r = torch ? torch[key] / tess[key] : null;
    lines.push(
      `| ${name} | ${ms(tess[key])} | ${ms(torch?.[key])} | ${r === null ? '—' : `${r.toFixed(2)}×`} | ≥ ${target}× ${r === null ? '' : r >= target ? 'met' : 'MISSED'} |`,
    );
  }
  // GEMM work of the LSTM step: the input projection once, 32 recurrent GEMMs, each ×3 with backward.
  const lstmGflop = (3 * (2 * 1024 * 64 * 512 + 32 * 2 * 32 * 128 * 512)) / 1e9;
  lines.push(
    '',
    `What limits the LSTM step: its GEMM work is ${lstmGflop.toFixed(2)} GFLOP (${((lstmGflop / tess.lstm) * 1000).toFixed(1)} GFLOP/s achieved over the whole step); ` +
      `the forward alone (no graph) takes ${tess.lstmForward.toFixed(1)} ms of the ${tess.lstm.toFixed(1)} ms, and the rest is the backward of ~15 small graph nodes per time step ` +
      '(add, chunk, 3 sigmoid, 2 tanh, 3 mul, …: ~480 nodes on [32, 128] tensors) plus Adam, because the fused LSTM gate kernel (forward and backward) is not written yet. ' +
      `The GPT step's forward alone (no graph) takes ${tess.gptForward.toFixed(1)} ms of its ${tess.gpt.toFixed(1)} ms.`,
  );
  lines.push(
    '',
    "PyTorch 1.13 has no scaled_dot_product_attention: its attention row is composed by hand (matmul, masked_fill, softmax, matmul), as is Tessera's (no fused kernel yet). tfjs is not compared: tf.layers.lstm needs @tensorflow/tfjs-layers, which is not a dev dependency.",
  );
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const tess = tesseraSeq();
  console.log(seqSection(tess, torchSeq()));
}
