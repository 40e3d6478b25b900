/**
 * `npm run build && node bench/fused.mjs`: the fused LayerNorm, GELU and softmax kernels
 * (assembly/fused.ts) against the same math composed from Tessera's elementwise ops and
 * reductions, forward + backward on [4096, 128] float32, in the same run. Median of 7 rounds of
 * 10 steps after warm-up.
 */
import * as T from '../dist/index.js';
const { nn, randn, tidy } = T;
const F = nn.functional;
T.manualSeed(0);
const x = randn([4096, 128], { requiresGrad: true }).keep();
const w = randn([128], { requiresGrad: true }).keep(),
  b = randn([128], { requiresGrad: true }).keep();
// The composed forms the fused kernels replace.
const lnComposed = (x) => {
  const m = x.mean(-1, true);
  const c = x.sub(m);
  const v = c.mul(c).mean(-1, true);
  return c.mul(v.add(1e-5).rsqrt()).mul(w).add(b);
};
const geluComposed = (x) => x.mul(x.div(Math.SQRT2).erf().add(1)).mul(0.5);
const geluTanhComposed = (x) =>
  x
    .mul(
      x
        .pow(3)
        .mul(0.044715)
        .add(x)
        .mul(Math.sqrt(2 / Math.PI))
        .tanh()
        .add(1),
    )
    .mul(0.5);
const softmaxComposed = (x) => {
  const e = x.sub(x.max(-1, true).values).exp();
  return e.div(e.sum(-1, true));
};
function time(f) {
  const run = () =>
    tidy(() => {
      const y = f(x);
      y.backward(T.onesLike(y));
      x.grad = null;
      w.grad = null;
      b.grad = null;
    });
  for (let i = 0; i < 5; i++) run();
  const ts = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) run();
    ts.push((performance.now() - t0) / 10);
  }
  ts.sort((a, b) => a - b);
  return ts[3];
}
for (const [name, fused, composed] of [
  ['layerNorm', (x) => F.layerNorm(x, [128], w, b), lnComposed],
  ['gelu', (x) => F.gelu(x), geluComposed],
  ['gelu tanh', (x) => F.gelu(x, { approximate: 'tanh' }), geluTanhComposed],
  ['softmax', (x) => x.softmax(-1), softmaxComposed],
]) {
  const a = time(fused);
  const c = time(composed);
  console.log(`${name} [4096,128] fwd+bwd: fused ${a.toFixed(2)} ms, composed ${c.toFixed(2)} ms, ratio ${(c / a).toFixed(2)}x`);
}
