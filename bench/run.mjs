/**
 * `npm run bench`: Tessera's own suites on the built package — GEMM (every transpose case),
 * elementwise, reductions, softmax, MLP training and inference, conv2d and a small CNN when dist
 * has them, 1 vs N threads, import + wasm compile time, and the gzip size of what a user loads.
 * Every figure is the median [p10–p90] of tinybench samples taken after warm-up, and only after
 * the output matched a float64 reference.
 */
import { pathToFileURL } from 'node:url';
import { allCases, describe, runCase, UNITS } from './harness.mjs';
import { compareArrays, fmtFigure, machine, mdTable, measure, progress, rate, throughput } from './lib.mjs';
import { CONV_CASES, conv2dBackwardRef, convFlops, convSetup, smallCnn, smallCnnLossRef } from './conv.mjs';
import { loadTessera, tesseraAdapter } from './tessera.mjs';
import { gzipSize, importTime, loadLines } from './load.mjs';
import { threadsSection } from './threads.mjs';
import { mlpCase } from './workloads.mjs';

const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 300);

/** conv2d forward and backward GFLOP/s per case, or why they could not run. */
async function convSuite(tess) {
  if (!tess.conv2d) return { skipped: 'skipped: conv2d not available' };
  const { T } = tess;
  const rows = [];
  for (const [i, cc] of CONV_CASES.entries()) {
    progress(`  ${cc.id}`);
    const s = convSetup(tess, cc, 500 + 10 * i);
    if (s.error) {
      rows.push([cc.id, `WRONG RESULT or failure — not reported (${s.error})`, '']);
      continue;
    }
    const fwd = await measure(cc.id, () => T.noGrad(() => s.conv(s.xt, s.wtt, s.bt)).dispose(), { timeMs: TIME_MS });
    const backward = () => {
      T.releasePendingGraphs();
      for (const p of [s.xt, s.wtt, s.bt]) p.grad = null;
      T.sum(T.mul(s.conv(s.xt, s.wtt, s.bt), s.gt)).backward();
    };
    backward();
    const ref = conv2dBackwardRef(s.x, s.wt, s.g, cc);
    const cx = compareArrays(s.xt.grad.toArray(), ref.gx, 1e-4);
    const cw = compareArrays(s.wtt.grad.toArray(), ref.gw, 1e-3, Math.max(...ref.gw.map(Math.abs)));
    let bwdCell;
    if (!cx.ok || !cw.ok) bwdCell = `WRONG RESULT — not reported (max error ${Math.max(cx.maxErr, cw.maxErr).toExponential(2)})`;
    else {
      const st = await measure(`${cc.id} fwd+bwd`, backward, { timeMs: TIME_MS });
      bwdCell = fmtFigure(throughput(st, 3 * convFlops(cc), 1e9));
    }
    rows.push([cc.id, fmtFigure(throughput(fwd, convFlops(cc), 1e9)), bwdCell]);
  }
  return { rows };
}

/** Small-CNN training steps/s, checked by its first loss against a float64 forward. */
export async function cnnSuite(tess) {
  if (!tess.conv2d && !tess.Conv2d) return { skipped: 'skipped: conv2d not available' };
  const cnn = smallCnn(tess);
  if (cnn.error) return { skipped: `skipped: ${cnn.error}` };
  const { T } = tess;
  const loss = T.noGrad(() => cnn.loss(cnn.forward()).item());
  const ref = smallCnnLossRef(cnn.weights());
  if (!(Math.abs(loss - ref) <= 1e-4 * Math.max(1, Math.abs(ref)))) return { skipped: `WRONG RESULT — not reported (loss ${loss} vs ${ref})` };
  return { figure: rate(await measure('small CNN step', cnn.step, { timeMs: TIME_MS * 2 })), label: cnn.label };
}

async function main() {
  const m = machine();
  const tess = await loadTessera();
  const out = [];
  const say = (s = '') => {
    out.push(s);
    console.log(s);
  };
  say(`# Tessera benchmarks (npm run bench)\n`);
  say(`${m.cpu}, ${m.cores} cores, ${m.memory}; Node ${m.node} (V8 ${m.v8}); ${m.os}; ${m.date}; load average ${m.load}`);
  say(
    `Threads: ${tess.getNumThreads ? tess.getNumThreads() : tess.setNumThreads ? 'configurable' : 'not implemented (1 thread)'}. Figures: median [p10–p90] after warm-up.\n`,
  );

  const adapter = tesseraAdapter(tess);
  let group = null;
  let rows = [];
  const flush = () => {
    if (group) say(`## ${group}\n\n${mdTable(['workload', 'unit', 'Tessera'], rows)}\n`);
    rows = [];
  };
  for (const c of allCases()) {
    if (c.group !== group) {
      flush();
      group = c.group;
    }
    progress(`  ${c.id}`);
    const r = await runCase(adapter, c, { timeMs: TIME_MS });
    rows.push([r.label ? `${c.id} (${r.label})` : c.id, UNITS[c.kind], fmtFigure(describe(r))]);
  }
  if (tess.hasNn) {
    const c = { ...mlpCase(64), kind: 'mlp', id: 'MLP train step b64' };
    const r = await runCase(tesseraAdapter(tess, { variant: 'nn' }), c, { timeMs: TIME_MS });
    rows.push([`${c.id} (${r.label ?? 'nn'})`, UNITS.mlp, fmtFigure(describe(r))]);
  }
  flush();

  progress('conv2d');
  const conv = await convSuite(tess);
  say(`## conv2d (3×3, padding 1; GFLOP/s, backward = input + weight grads)\n`);
  say(conv.skipped ?? mdTable(['case', 'forward', 'forward + backward'], conv.rows));
  say();
  const cnn = await cnnSuite(tess);
  say(`## Small CNN training step (batch 64, 1×8×8: conv 16, conv 32, max-pool, linear)\n`);
  say(cnn.figure ? `${fmtFigure(cnn.figure)} steps/s (${cnn.label})` : cnn.skipped);
  say();

  progress('threads');
  say(`## 1 vs N threads\n`);
  say(await threadsSection(tess));
  say();

  progress('import time, size');
  const imp = importTime();
  const size = await gzipSize();
  say(`## Load\n`);
  for (const line of loadLines(imp, size)) say(line);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
