/**
 * The threaded GEMM run both in headless Chromium and in Node: a 512×512 matmul on one thread and
 * on two, with exact-in-float32 inputs so both sides multiply the same numbers; and causal fused
 * attention forward + backward (its batch·head entries split across the threads) on one and two. Outputs travel as
 * base64 of their float bits (what `page.evaluate` carries compactly and compares exactly).
 */

/** Deterministic values in [-0.5, 0.5], exact in float32. */
function grid(rows, cols, seed) {
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (((i * 7 + j * 13 + seed * 5) % 17) - 8) / 16));
}

function bits(t) {
  const bytes = new Uint8Array(t.toArray().buffer);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** GEMM calls split across threads so far, read off the wasm backend a tensor lives on (dist is one file, its internals unexported). */
const splitCalls = (t) => t.backend.parallelGemmCalls;

/** Output and q, k, v gradients of causal attention over [2, 4, 64, 32] inputs, as one vector. */
function attention(T) {
  const [q, k, v] = [3, 4, 5].map((seed) => T.tensor(grid(8 * 64, 32, seed)).reshape(2, 4, 64, 32).requiresGrad_());
  const out = T.nn.functional.scaledDotProductAttention(q, k, v, { isCausal: true });
  out.mul(out).sum().backward();
  return T.nn.utils.parametersToVector([out, q.grad, k.grad, v.grad]);
}

/** @param {typeof import('../../src/index.js')} T the Tessera module */
export async function runThreadsWorkload(T) {
  const defaultThreads = T.getNumThreads();
  const a = T.tensor(grid(512, 512, 1));
  const b = T.tensor(grid(512, 512, 2));
  await T.setNumThreads(1);
  const one = bits(T.matmul(a, b));
  const attentionOne = bits(attention(T));
  const running = await T.setNumThreads(2);
  const before = splitCalls(a);
  const two = bits(T.matmul(a, b));
  const beforeAttention = splitCalls(a);
  const attentionTwo = bits(attention(T));
  return {
    attentionOne,
    attentionTwo,
    attentionSplitCalls: splitCalls(a) - beforeAttention,
    crossOriginIsolated: globalThis.crossOriginIsolated ?? null,
    cores: globalThis.navigator?.hardwareConcurrency ?? null,
    relaxedSimd: T.wasmFeatures().relaxedSimd,
    defaultThreads,
    running,
    threads: T.getNumThreads(),
    splitCalls: beforeAttention - before,
    one,
    two,
  };
}
