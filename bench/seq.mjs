// Sequence-model workloads of issue 10 against PyTorch CPU (one thread, its own process):
// an LSTM training step, causal attention forward + backward, a GPT training step and sampling
// from the names model at batch 1 through a static key/value cache; the LSTM
// step also against tf.layers.lstm on tfjs-backend-wasm, and the GPT step and attention again with
// Tessera on two threads.
//
//   npm run build && node bench/seq.mjs     (also run as the last section of bench:compare)
import { spawnSync } from 'node:child_process';
import { nn, optim, randn, tensor, setNumThreads, manualSeed, noGrad, tidy, multinomial, Generator } from '../dist/index.js';
import * as tessera from '../dist/index.js';
import { NamesGPT } from '../examples/names-model.mjs';
import { tfjsLstmStepMs } from './peers/tfjs-lstm.mjs';
import { medianMs } from './lib.mjs';
import { PYTHON, pythonEnv } from './peers/python.mjs';

const F = nn.functional;

/** The three workloads in Tessera, median ms per step; GPT and attention again on two threads (`threads2`). */
export async function tesseraSeq() {
  await setNumThreads(1);
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
  // The same attention composed from ops (what F.scaledDotProductAttention ran before the fused kernel).
  const hidden = tensor(
    Int32Array.from({ length: 64 * 64 }, (_, i) => (i % 64 > Math.floor(i / 64) ? 1 : 0)),
    { shape: [64, 64], dtype: 'bool' },
  ).keep();
  const attentionComposed = () => {
    for (const t of [q, k, v]) t.grad = null;
    q.matmul(k.transpose(-2, -1))
      .mul(1 / Math.sqrt(32))
      .maskedFill(hidden, -Infinity)
      .softmax(-1)
      .matmul(v)
      .sum()
      .backward();
  };

  const { gpt, idx, step: gptStep } = gptWorkload(tessera);
  // tidy frees what its function leaves behind except what it returns: return nothing.
  const lstmForward = medianMs(() => tidy(() => void noGrad(() => lstm(lstmX))), 3, 15);
  const gptForward = medianMs(() => tidy(() => void noGrad(() => gpt(idx))), 2, 8);
  const one = {
    lstm: medianMs(lstmStep, 3, 15),
    ...attentionTimes(attention, attentionComposed),
    ...gptTimes(gptStep),
    lstmForward,
    lstmGemm: lstmGemmMs(),
    gptForward,
    gptGemm: gptGemmMs(),
    sample: samplingMs(),
  };
  const running = await setNumThreads(2);
  const threads2 = running === 2 ? { lstm: medianMs(lstmStep, 3, 15), attention: medianMs(attention, 3, 30), gpt: medianMs(gptStep, 2, 8) } : null;
  await setNumThreads(1);
  return { ...one, threads2 };
}

/** The GPT step's model (vocab 65, d 128, 4 pre-norm GELU layers, 4 heads, ctx 64), batch and AdamW step, on the build `T`. */
export function gptWorkload(T) {
  const { nn, optim, tensor, randint } = T;
  T.manualSeed(0);
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
  const opt = new optim.AdamW(gpt.parameters(), { lr: 1e-3 });
  const idx = randint(0, 65, [16, 64], { dtype: 'int32' }).keep();
  const tgt = randint(0, 65, [16 * 64], { dtype: 'int32' }).keep();
  const step = () => {
    opt.zeroGrad();
    nn.functional.crossEntropy(gpt(idx).reshape(-1, 65), tgt).backward();
    opt.step();
  };
  return { gpt, idx, step };
}

/**
 * The GPT step's median wall ms over 8 steps (after 2), and its mean process CPU ms per step over
 * them: on a shared machine CPU time counts only the cycles this process got (one thread: workers idle).
 */
function gptTimes(step) {
  for (let i = 0; i < 2; i++) step();
  const cpu0 = process.cpuUsage();
  const gpt = medianMs(step, 0, 8);
  const cpu = process.cpuUsage(cpu0);
  return { gpt, gptCpu: (cpu.user + cpu.system) / 1000 / 8 };
}

/**
 * Fused and composed attention fwd+bwd in alternating rounds of 10 calls each (same process, one
 * thread), so both see the same load: the median over 7 rounds of wall ms per call and of process CPU
 * ms per call (process.cpuUsage), and each round's composed ÷ fused CPU ratio.
 */
function attentionTimes(fused, composed) {
  for (let i = 0; i < 3; i++) {
    fused();
    composed();
  }
  const wall = [[], []];
  const cpu = [[], []];
  for (let round = 0; round < 7; round++) {
    [fused, composed].forEach((fn, which) => {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < 10; i++) fn();
      const used = process.cpuUsage(cpu0);
      wall[which].push((performance.now() - t0) / 10);
      cpu[which].push((used.user + used.system) / 1000 / 10);
    });
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  return {
    attention: median(wall[0]),
    attentionComposed: median(wall[1]),
    attentionCpu: median(cpu[0]),
    attentionComposedCpu: median(cpu[1]),
    attentionRoundRatios: cpu[1].map((c, i) => c / cpu[0][i]),
  };
}

/** The names model's shape (examples/names-model.mjs): the bench/python/seq.py peer builds the same. */
const NAMES = { vocab: 27, context: 16 };

/**
 * Sampling from the names model at batch 1 through its static key/value cache: whole contexts of
 * tokens (no stop token), each drawn from softmax(logits). Median wall ms per token over 40
 * sequences, and their mean CPU ms per token (process.cpuUsage: the machine is shared).
 */
export function samplingMs() {
  manualSeed(0);
  const model = new NamesGPT(NAMES);
  model.eval();
  const caches = model.newCache();
  const generator = new Generator(0);
  const sequence = () =>
    noGrad(() => {
      for (const cache of caches) cache.length = 0;
      let token = 0;
      for (let t = 0; t < NAMES.context; t++) {
        const logits = (step) => model(tensor([[step]], { dtype: 'int32' }), caches, t).reshape(NAMES.vocab);
        token = tidy(() => multinomial(logits(token).softmax(-1), 1, { generator }).item());
      }
    });
  // Enough warm-up for V8 to optimise the per-op JavaScript (the first few hundred tokens run slower).
  for (let i = 0; i < 30; i++) sequence();
  const reps = 40;
  const cpu0 = process.cpuUsage();
  const ms = medianMs(sequence, 0, reps) / NAMES.context;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 / (reps * NAMES.context) };
}

/** tf.layers.lstm's step on tfjs-backend-wasm (one thread), or the reason it could not run. */
export async function tfjsSeq() {
  try {
    return { lstm: await tfjsLstmStepMs('wasm', 1, 5) };
  } catch (error) {
    return { error: String(error) };
  }
}

/**
 * The LSTM step's GEMMs alone, same shapes and transposes, no graph: the input projection, 32
 * recurrent steps forward (h·W_hhᵀ) and backward (dGates·W_hh), then W_hh's, W_ih's and x's gradients.
 */
function lstmGemmMs() {
  const [x, wIh, wHh, h, dStep, dGates, hs] = [
    [1024, 64],
    [512, 64],
    [512, 128],
    [32, 128],
    [32, 512],
    [1024, 512],
    [1024, 128],
  ].map((shape) => randn(shape).keep());
  return medianMs(
    () =>
      tidy(() =>
        noGrad(() => {
          x.matmul(wIh.t());
          for (let t = 0; t < 32; t++) h.matmul(wHh.t());
          for (let t = 0; t < 32; t++) dStep.matmul(wHh);
          dGates.t().matmul(hs);
          dGates.t().matmul(x);
          dGates.matmul(wIh);
        }),
      ),
    3,
    15,
  );
}

/**
 * The GPT step's linear-layer GEMMs alone, same shapes and transposes, no graph: per layer the
 * in-projection (128→384), out-projection (128→128), linear1 (128→512) and linear2 (512→128), then
 * the head (128→65), each forward (x·Wᵀ) and backward (dY·W for the input, dYᵀ·x for the weight),
 * over 16·64 = 1024 tokens. Returns its median ms and GFLOP.
 */
function gptGemmMs() {
  const N = 1024;
  const linears = [...Array(4)].flatMap(() => [
    [128, 384],
    [128, 128],
    [128, 512],
    [512, 128],
  ]);
  linears.push([128, 65]);
  const ops = linears.map(([inF, outF]) => ({ x: randn([N, inF]).keep(), w: randn([outF, inF]).keep(), dy: randn([N, outF]).keep() }));
  const ms = medianMs(
    () =>
      tidy(() =>
        noGrad(() => {
          for (const { x, w, dy } of ops) {
            x.matmul(w.t());
            dy.matmul(w);
            dy.t().matmul(x);
          }
        }),
      ),
    2,
    9,
  );
  const gflop = linears.reduce((t, [inF, outF]) => t + 3 * 2 * N * inF * outF, 0) / 1e9;
  return { ms, gflop };
}

/** PyTorch's figures, or null when /usr/bin/python3 has no torch. */
export function torchSeq() {
  const r = spawnSync(PYTHON, [new URL('./python/seq.py', import.meta.url).pathname], { encoding: 'utf8', env: pythonEnv().env });
  return r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').at(-1)) : null;
}

/** The markdown section bench:compare prints. */
export function seqSection(tess, torch, tfjs) {
  const ms = (x) => (x === undefined || x === null ? '—' : `${x.toFixed(1)} ms`);
  const rows = [
    ['LSTM step (in 64, hidden 128, seq 32, batch 32, Adam)', 'lstm', 0.6],
    ['causal attention fwd+bwd (B16 H4 L64 E32), fused', 'attention', 1.0],
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
  if (torch?.gptCpu) {
    const r = torch.gptCpu / tess.gptCpu;
    lines.push(
      `| GPT step by process CPU time (1 thread each) | ${ms(tess.gptCpu)} CPU | ${ms(torch.gptCpu)} CPU | ${r.toFixed(2)}× | ≥ 0.6× ${r >= 0.6 ? 'met' : 'MISSED'} |`,
    );
  }
  const two = tess.threads2;
  for (const [name, key, target] of [
    ['GPT step, Tessera on 2 threads', 'gpt', 1.0],
    ['causal attention fwd+bwd, Tessera on 2 threads', 'attention', null],
    ['LSTM step, Tessera on 2 threads', 'lstm', null],
  ]) {
    const r = torch && two ? torch[key] / two[key] : null;
    const verdict = target === null || r === null ? '' : `≥ ${target}× ${r >= target ? 'met' : 'MISSED'}`;
    lines.push(
      `| ${name} | ${two ? ms(two[key]) : '— (2 threads not available)'} | ${ms(torch?.[key])} (1 thread) | ${r === null ? '—' : `${r.toFixed(2)}×`} | ${verdict} |`,
    );
  }
  const perSecond = (msPerToken) => Math.round(1000 / msPerToken).toLocaleString('en-US');
  const sample = tess.sample;
  const sampleRatio = torch?.sample ? torch.sample / sample.ms : null;
  lines.push(
    `| sampling from the names model, tokens/s (batch 1, static key/value cache; vocab 27, d 64, 2 layers, 4 heads, ctx 16) | ${perSecond(sample.ms)} (${perSecond(sample.cpuMs)} per CPU-s) | ` +
      `${torch?.sample ? `${perSecond(torch.sample)} (${perSecond(torch.sampleCpu)} per CPU-s)` : '—'} | ${sampleRatio === null ? '—' : `${sampleRatio.toFixed(2)}×`} | ≥ 1,000 tokens/s ${1000 / sample.ms >= 1000 ? 'met' : 'MISSED'} |`,
  );
  if (tfjs?.lstm) {
    const r = tfjs.lstm / tess.lstm;
    lines.push(
      `| LSTM step vs tf.layers.lstm on tfjs-backend-wasm (1 thread) | ${ms(tess.lstm)} | ${ms(tfjs.lstm)} (tfjs-wasm) | ${r.toFixed(1)}× | ≥ 15× ${r >= 15 ? 'met' : 'MISSED'} |`,
    );
  } else lines.push(`| LSTM step vs tf.layers.lstm on tfjs-backend-wasm | ${ms(tess.lstm)} | — (${tfjs?.error ?? 'not run'}) | — | ≥ 15× |`);
  const fusedGain = tess.attentionComposed / tess.attention;
  lines.push(
    `| causal attention fwd+bwd, fused vs Tessera composed (matmul, maskedFill, softmax, matmul) | ${ms(tess.attention)} | ${ms(tess.attentionComposed)} (composed) | ${fusedGain.toFixed(2)}× | ≥ 2× ${fusedGain >= 2 ? 'met' : 'MISSED'} |`,
  );
  const cpuGain = tess.attentionComposedCpu / tess.attentionCpu;
  const rounds = [...tess.attentionRoundRatios].sort((a, b) => a - b);
  lines.push(
    `| the same by process CPU time, alternating rounds (median of 7; rounds ${rounds[0].toFixed(2)}–${rounds.at(-1).toFixed(2)}×) | ${ms(tess.attentionCpu)} CPU | ${ms(tess.attentionComposedCpu)} CPU (composed) | ${cpuGain.toFixed(2)}× | ≥ 2× ${cpuGain >= 2 ? 'met' : 'MISSED'} |`,
  );
  if (torch?.attentionCpu) {
    const r = torch.attentionCpu / tess.attentionCpu;
    lines.push(
      `| causal attention fwd+bwd by process CPU time (1 thread each) | ${ms(tess.attentionCpu)} CPU | ${ms(torch.attentionCpu)} CPU | ${r.toFixed(2)}× | ≥ 1.0× ${r >= 1 ? 'met' : 'MISSED'} |`,
    );
  }
  // GEMM work of the LSTM step: the input projection once, 32 recurrent GEMMs, each ×3 with backward.
  const lstmGflop = (3 * (2 * 1024 * 64 * 512 + 32 * 2 * 32 * 128 * 512)) / 1e9;
  lines.push(
    '',
    `What limits the LSTM step: its GEMM work is ${lstmGflop.toFixed(2)} GFLOP; the same GEMMs alone (same shapes, no graph) take ${tess.lstmGemm.toFixed(1)} ms ` +
      `(${((lstmGflop / tess.lstmGemm) * 1000).toFixed(1)} GFLOP/s), ${((100 * tess.lstmGemm) / tess.lstm).toFixed(0)}% of the ${tess.lstm.toFixed(1)} ms step; ` +
      (torch
        ? `0.6× PyTorch's ${ms(torch.lstm)} allows ${ms(torch.lstm / 0.6)}, ${tess.lstmGemm > torch.lstm / 0.6 ? 'less than these GEMMs alone take at this speed (128-bit SIMD, separate multiply and add)' : 'more than these GEMMs alone take'}. `
        : '') +
      `The forward alone (no graph) takes ${tess.lstmForward.toFixed(1)} ms. ` +
      `The GPT step's forward alone (no graph) takes ${tess.gptForward.toFixed(1)} ms of its ${tess.gpt.toFixed(1)} ms.`,
  );
  const g = tess.gptGemm;
  const gptParts = g.ms + 4 * tess.attention;
  lines.push(
    '',
    `What limits the GPT step: its linear layers' GEMMs (${g.gflop.toFixed(2)} GFLOP) alone, same shapes, no graph, take ${g.ms.toFixed(1)} ms ` +
      `(${((g.gflop / g.ms) * 1000).toFixed(1)} GFLOP/s), and its four causal attentions fwd+bwd (the attention row's shape) ${(4 * tess.attention).toFixed(1)} ms: ` +
      `${gptParts.toFixed(1)} ms, ${((100 * gptParts) / tess.gpt).toFixed(0)}% of the ${tess.gpt.toFixed(1)} ms step` +
      (torch ? `; 0.6× PyTorch's ${ms(torch.gpt)} allows ${ms(torch.gpt / 0.6)}.` : '.'),
  );
  lines.push(
    '',
    "PyTorch 1.13 has no scaled_dot_product_attention: its attention row is composed by hand (matmul, masked_fill, softmax, matmul); Tessera's runs the fused kernel (assembly/attention.ts). tf.layers.lstm (@tensorflow/tfjs-layers 4.22.0) runs the same LSTM step (batch-first input, all steps' outputs, mean of squares, Adam) with a Glorot-uniform recurrent initializer: its default orthogonal one fails on the wasm backend; tfjs-backend-cpu is not timed (≈ 8 s per step here).",
  );
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const tess = await tesseraSeq();
  console.log(seqSection(tess, torchSeq(), await tfjsSeq()));
}
