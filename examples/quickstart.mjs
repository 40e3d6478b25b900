// Fits a small MLP to y = sin(3x) with hand-written SGD and prints the loss as it falls.
// Run after `npm run build`: node examples/quickstart.mjs
import { linspace, manualSeed, noGrad, randn, zeros } from '../dist/index.js';

manualSeed(0);
const x = linspace(-1, 1, 256).reshape(256, 1);
const y = x.mul(3).sin();

const w1 = randn([1, 64]).requiresGrad_();
const b1 = zeros([64], { requiresGrad: true });
const w2 = randn([64, 1]).mul(0.1).requiresGrad_();
const b2 = zeros([1], { requiresGrad: true });
const params = [w1, b1, w2, b2];

const start = performance.now();
for (let step = 0; step <= 2000; step++) {
  const pred = x.matmul(w1).add(b1).tanh().matmul(w2).add(b2);
  const loss = pred.sub(y).pow(2).mean();
  for (const p of params) p.grad = null;
  loss.backward();
  noGrad(() => {
    for (const p of params) p.sub_(p.grad.mul(0.1));
  });
  if (step % 250 === 0) console.log(`step ${String(step).padStart(4)}  loss ${loss.item().toFixed(5)}`);
}
console.log(`2,001 steps in ${((performance.now() - start) / 1000).toFixed(2)} s`);
