/**
 * The computation run both in headless Chromium and in Node: a two-layer MLP (GELU hidden layer,
 * cross-entropy via logSoftmax, plus a ReLU-gated penalty on softmax probabilities) with fixed
 * weights, plus an LSTM, a causal Transformer encoder layer, a bidirectional GRU and a decoder layer over the same rows, then backward;
 * and a BPE tokenizer, top-k and seeded multinomial sampling. It receives the library as an argument so the page (`/dist/index.js`)
 * and Node (`dist/index.js`) run this one file against their own import.
 */

/** Deterministic weights in [-0.5, 0.5], exact in float32, so both sides build bit-identical inputs. */
function grid(rows, cols, seed) {
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (((i * 7 + j * 13 + seed * 5) % 17) - 8) / 16));
}

/**
 * Forward + backward on the given device; returns plain arrays (what `page.evaluate` can carry).
 * Sizes are odd on purpose so the SIMD kernels take both their 4-wide loops and their tails.
 * @param {typeof import('../../src/index.js')} T the Tessera module
 * @param {'wasm' | 'js'} [device]
 */
export function runWorkload(T, device = 'wasm') {
  const x = T.tensor(grid(6, 7, 1), { device });
  const targets = [0, 4, 2, 1, 3, 4];
  const onehot = T.tensor(targets.map((c) => [0, 1, 2, 3, 4].map((k) => (k === c ? 1 : 0))), { device });
  const w1 = T.tensor(grid(7, 9, 2), { device, requiresGrad: true });
  const b1 = T.tensor(grid(1, 9, 3)[0], { device, requiresGrad: true });
  const w2 = T.tensor(grid(9, 5, 4), { device, requiresGrad: true });
  const b2 = T.tensor(grid(1, 5, 5)[0], { device, requiresGrad: true });

  const hidden = T.gelu(T.add(T.matmul(x, w1), b1));
  const logits = T.add(T.matmul(hidden, w2), b2);
  const nll = T.neg(T.mean(T.sum(T.mul(T.logSoftmax(logits, 1), onehot), 1)));
  const overconfidence = T.sum(T.relu(T.sub(T.softmax(logits, 1), 0.25)));
  // A sequence model too: an LSTM over x's rows as one unbatched sequence, then causal self-attention.
  T.manualSeed(0);
  const lstm = new T.nn.LSTM(7, 5, { device });
  const attention = new T.nn.TransformerEncoderLayer(5, 1, { dimFeedforward: 6, dropout: 0, device });
  const [states] = lstm(x);
  const sequence = T.sum(attention(T.unsqueeze(states, 1), { isCausal: true }).tanh());
  // Then a bidirectional GRU and a causal decoder layer cross-attending to it, one memory slot padded.
  const gru = new T.nn.GRU(5, 3, { bidirectional: true, device });
  const decoder = new T.nn.TransformerDecoderLayer(6, 2, { dimFeedforward: 8, dropout: 0, batchFirst: true, device });
  const [both] = gru(states);
  const memory = T.unsqueeze(both, 0);
  const padded = T.tensor([[false, false, false, false, false, true]], { dtype: 'bool', device });
  const decoded = T.sum(decoder(memory, memory, { tgtIsCausal: true, memoryKeyPaddingMask: padded }).tanh());
  const loss = T.add(T.add(T.add(nll, T.mul(overconfidence, 0.1)), T.mul(sequence, 0.01)), T.mul(decoded, 0.01));
  loss.backward();
  // Text and sampling: a byte-level BPE trained on a sentence, top-k and seeded multinomial draws.
  const bpe = T.data.BPETokenizer.train('the cat sat on the mat; the cat ate the rat', { vocabSize: 266 });
  const ids = bpe.encode('the rat sat');
  const probs = T.softmax(T.detach(logits), 1);
  const text = {
    ids,
    decoded: bpe.decode(ids),
    topk: Array.from(T.topk(probs, 2, { dim: 1 }).indices.toArray()),
    samples: Array.from(T.multinomial(probs, 3, { replacement: true, generator: new T.Generator(7) }).toArray()),
  };

  // Before the int8 layers, whose buffers differ in size between the relaxed and the baseline GEMM.
  const memoryStats = T.memoryStats();
  // int8 Linear layers with 7-bit activations (reduceRange): where relaxed SIMD validates (Chromium)
  // they run the relaxed int8 dot product, elsewhere the baseline int8 GEMM on the same bytes; the
  // int32 sums are exact either way, so every side gives the same bits. Batch 1 takes the GEMV, 6 and 9
  // rows the 4 × 8 tiles with a partial row panel; 20 and 27 outputs end in a panel of ≤ 4 columns.
  const int8 = [];
  for (const [rows, inF, outF] of [[1, 37, 20], [6, 37, 20], [9, 70, 27], [2, 70, 27]]) {
    const linear = new T.nn.Linear(inF, outF, { device });
    linear.loadStateDict({ weight: T.tensor(grid(outF, inF, 6), { device }), bias: T.tensor(grid(1, outF, 7)[0], { device }) });
    const q = T.quantization.quantizeDynamic(new T.nn.Sequential(linear), { reduceRange: true });
    int8.push(...T.noGrad(() => q(T.tensor(grid(rows, inF, 8), { device }))).toArray());
  }
  // int8 Conv2d layers with 7-bit activations and fixed input parameters (zero point 40, so padding
  // that read 0 instead of the zero point would show): 'same' padding (the shifted unfold), stride 2
  // with uneven padding, dilation 2; 90, 15 and 30 positions leave a partial last row panel.
  const int8Conv = [];
  for (const [outC, kernelSize, stride, padding, dilation] of [
    [6, [3, 3], [1, 1], [1, 1], [1, 1]],
    [5, [5, 3], [2, 2], [2, 1], [1, 1]],
    [9, [3, 3], [1, 1], [0, 0], [2, 2]],
  ]) {
    const k = 3 * kernelSize[0] * kernelSize[1];
    const geometry = { inChannels: 3, outChannels: outC, kernelSize, stride, padding, dilation };
    const conv = new T.quantization.QuantizedConv2d(grid(outC, k, 9).flat(), grid(1, outC, 10)[0], geometry, { scale: 0.01, zeroPoint: 40 }, device, true);
    const x = T.tensor(grid(2 * 3 * 9, 10, 11).flat(), { shape: [2, 3, 9, 10], device });
    int8Conv.push(...T.noGrad(() => conv(x)).toArray());
  }

  const values = (t) => Array.from(t.toArray());
  return {
    device: loss.device,
    // Chromium takes the relaxed-SIMD (FMA) GEMM build where Node 20 cannot, which moves results by an ulp.
    relaxedSimd: T.wasmFeatures().relaxedSimd,
    loss: loss.item(),
    logits: values(logits),
    grads: {
      w1: values(w1.grad), b1: values(b1.grad), w2: values(w2.grad), b2: values(b2.grad),
      lstm: values(lstm.weight_ih_l0.grad), attention: values(attention.selfAttn.in_proj_weight.grad),
      gru: values(gru.weight_hh_l0_reverse.grad), decoder: values(decoder.multiheadAttn.in_proj_weight.grad),
    },
    text,
    int8,
    int8Conv,
    memory: memoryStats,
  };
}
