/**
 * `npm run build && node bench/indexing.mjs [path/to/other/dist/index.js]`: the indexing ops the
 * wasm backend runs on SIMD kernels (assembly/indexing.ts) — an embedding forward + backward,
 * gather along the class dim forward + backward, where, and indexSelect of rows — timed on this
 * build, and, given a second build (e.g. one made from the commit before, `git archive <sha>`
 * then `npm run build` there), on that build too in the same process, with the ratio. Median of 9
 * rounds after warm-up; both builds see the same shapes and seeded data.
 */
import * as Now from '../dist/index.js';
import { medianMs } from './lib.mjs';

const other = process.argv[2] ? await import(new URL(process.argv[2], `file://${process.cwd()}/`).href) : null;

/**
 * The workloads on one build of Tessera: each makes its own tensors when it is timed and frees
 * them after, so one workload's kept tensors never shape another's reclaim passes.
 */
function workloads(T) {
  const { nn, randn, randint, tidy } = T;
  const F = nn.functional;
  // Gradients accumulate across steps into one .grad (no `.grad = null`), as before the kernels.
  const stepOf = (f) => () =>
    tidy(() => {
      const y = f();
      if (y.requiresGrad) y.sum().backward();
    });
  const make = (build) => () => {
    T.manualSeed(0);
    const kept = [];
    const keep = (t) => (kept.push(t), t.keep());
    return { step: stepOf(build(keep)), dispose: () => kept.forEach((t) => t.dispose()) };
  };
  return {
    'embedding [64, 32] of [10000, 128], fwd + bwd': make((keep) => {
      const weight = keep(randn([10000, 128], { requiresGrad: true }));
      const tokens = keep(randint(0, 10000, [64, 32], { dtype: 'int32' }));
      return () => F.embedding(tokens, weight);
    }),
    'embedding [64, 32] of [10000, 128], forward': make((keep) => {
      const weight = keep(randn([10000, 128]));
      const tokens = keep(randint(0, 10000, [64, 32], { dtype: 'int32' }));
      return () => F.embedding(tokens, weight);
    }),
    'gather 8 of 1000 classes × 4096 rows, forward': make((keep) => {
      const logits = keep(randn([4096, 1000]));
      const picks = keep(randint(0, 1000, [4096, 8], { dtype: 'int32' }));
      return () => logits.gather(1, picks);
    }),
    'gather 8 of 1000 classes × 4096 rows, fwd + bwd': make((keep) => {
      const logits = keep(randn([4096, 1000], { requiresGrad: true }));
      const picks = keep(randint(0, 1000, [4096, 8], { dtype: 'int32' }));
      return () => logits.gather(1, picks);
    }),
    'where [1024, 1024]': make((keep) => {
      const [a, b, mask] = [keep(randn([1024, 1024])), keep(randn([1024, 1024])), keep(randn([1024, 1024]).gt(0))];
      return () => T.where(mask, a, b);
    }),
    'where [1024, 1024] with a scalar (masked fill)': make((keep) => {
      const [a, mask] = [keep(randn([1024, 1024])), keep(randn([1024, 1024]).gt(0))];
      return () => T.where(mask, a, 0);
    }),
    'indexSelect 2048 rows of [10000, 128]': make((keep) => {
      const [weight, rows] = [keep(randn([10000, 128])), keep(randint(0, 10000, [2048], { dtype: 'int32' }))];
      return () => weight.indexSelect(0, rows);
    }),
  };
}

const now = workloads(Now);
const before = other ? workloads(other) : null;
/** Median ms of one workload, its tensors made before and freed after. */
function timed(setup) {
  const { step, dispose } = setup();
  const ms = medianMs(step, 3, 9, 5);
  dispose();
  return ms;
}
console.log(`| workload | this build ms |${before ? ' other build ms | speed-up |' : ''}`);
console.log(`|---|---:|${before ? '---:|---:|' : ''}`);
for (const name of Object.keys(now)) {
  const t = timed(now[name]);
  if (!before) {
    console.log(`| ${name} | ${t.toFixed(3)} |`);
    continue;
  }
  const o = timed(before[name]);
  console.log(`| ${name} | ${t.toFixed(3)} | ${o.toFixed(3)} | ${(o / t).toFixed(2)}× |`);
}
