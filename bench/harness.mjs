/**
 * Drives one adapter through one workload: build it, check its output against the float64
 * reference, and only then time it. A wrong result is never timed or reported.
 */
import {
  checkGemm,
  checkMlpStep,
  elementwiseCase,
  elementwiseRef,
  gemmCase,
  mlpCase,
  mlpForwardRef,
  mlpGradRef,
  reductionCase,
  reductionRef,
  softmaxCase,
  softmaxRef,
  ELEMENTWISE,
  GEMM_SHAPES,
  REDUCTIONS,
  SIZES,
  TRANSPOSES,
  TRANSPOSE_SIZES,
} from './workloads.mjs';
import { compareArrays, measure, rate, throughput } from './lib.mjs';

export const UNITS = { gemm: 'GFLOP/s', elementwise: 'GB/s', reduction: 'GB/s', softmax: 'GB/s', mlp: 'steps/s', infer: 'inferences/s' };

/** Every shared workload, in report order; `group` names its table. */
export function allCases() {
  const cases = [];
  for (const [m, k, n] of GEMM_SHAPES) cases.push({ group: 'GEMM (float32)', ...gemmCase(m, k, n) });
  for (const s of TRANSPOSE_SIZES) for (const tr of TRANSPOSES) cases.push({ group: 'GEMM transpose cases', ...gemmCase(s, s, s, tr) });
  for (const op of ELEMENTWISE) for (const n of SIZES) cases.push({ group: 'Elementwise', ...elementwiseCase(op, n) });
  for (const op of REDUCTIONS) for (const n of SIZES) cases.push({ group: 'Reductions', ...reductionCase(op, n) });
  cases.push({ group: 'Softmax', ...softmaxCase() });
  cases.push({ group: 'MLP 784→256→10', ...mlpCase(64), id: 'MLP train step b64', kind: 'mlp' });
  cases.push({ group: 'MLP 784→256→10', ...mlpCase(1), id: 'MLP inference b1', kind: 'infer' });
  cases.push({ group: 'MLP 784→256→10', ...mlpCase(64), id: 'MLP inference b64', kind: 'infer' });
  return cases;
}

/** The float64 reference of a case, computed once. */
function reference(c) {
  if (!c.ref) {
    c.ref =
      c.kind === 'elementwise'
        ? elementwiseRef(c)
        : c.kind === 'reduction'
          ? reductionRef(c)
          : c.kind === 'softmax'
            ? softmaxRef(c)
            : c.kind === 'mlp'
              ? mlpGradRef(c)
              : c.kind === 'infer'
                ? mlpForwardRef(c).z
                : null;
  }
  return c.ref;
}

/** Checks an output (or, for training, the parameters before and after one step). */
export function checkOutput(c, got) {
  const ref = reference(c);
  switch (c.kind) {
    case 'gemm':
      return checkGemm(c, got);
    case 'elementwise':
      return compareArrays(got, ref, 1e-4);
    case 'reduction':
      return compareArrays(got, ref.out, 1e-4, ref.scale);
    case 'softmax':
      return compareArrays(got, ref, 1e-5, 1);
    case 'infer':
      return compareArrays(got, ref, 1e-4);
    case 'mlp':
      return checkMlpStep(c, got.before, got.after, ref);
    default:
      throw new Error(`no check for ${c.kind}`);
  }
}

/** What the case's kind is called on an adapter. */
function factoryName(kind) {
  return { gemm: 'gemm', elementwise: 'elementwise', reduction: 'reduction', softmax: 'softmax', mlp: 'mlpTrain', infer: 'mlpInfer' }[kind];
}

/**
 * Runs case c on adapter: { figure } on success, { skipped } when the adapter cannot, { wrong } when
 * the check fails. `timeMs` is the measuring budget; slow cases get fewer iterations (never < 3).
 */
export async function runCase(adapter, c, { timeMs = 400 } = {}) {
  const make = adapter[factoryName(c.kind)];
  if (!make) return { skipped: 'not supported' };
  let runner;
  try {
    runner = await make.call(adapter, c);
    if (!runner) return { skipped: 'not supported' };
  } catch (e) {
    return { skipped: `failed: ${e.message.split('\n')[0]}` };
  }
  let got;
  let oneCallMs;
  try {
    const t0 = performance.now();
    if (c.kind === 'mlp') {
      const before = await runner.params();
      await runner.run();
      got = { before, after: await runner.params() };
    } else got = await runner.output();
    oneCallMs = performance.now() - t0;
  } catch (e) {
    return { skipped: `failed: ${e.message.split('\n')[0]}` };
  }
  const check = checkOutput(c, got);
  if (!check.ok) {
    await runner.dispose?.();
    return { wrong: check.maxErr };
  }
  const iters = Math.max(3, Math.min(5, Math.floor((timeMs * 1.5) / Math.max(oneCallMs, 1e-3))));
  const stats = await measure(`${adapter.name} ${c.id}`, runner.run, {
    timeMs,
    warmupMs: Math.min(timeMs / 4, 150),
    minIterations: iters,
    warmupIterations: oneCallMs > 300 ? 1 : 3,
  });
  await runner.dispose?.();
  return { figure: figureOf(c, stats), label: runner.label, maxErr: check.maxErr };
}

/** Converts latencies into the case's unit. */
export function figureOf(c, stats) {
  if (c.kind === 'mlp' || c.kind === 'infer') return rate(stats);
  return throughput(stats, c.work, 1e9);
}

/** How one result prints: the figure, a skip note, or the refusal to report a wrong result. */
export function describe(result) {
  if (result.figure) return result.figure;
  if (result.wrong !== undefined) return `WRONG RESULT — not reported (max error ${result.wrong.toExponential(2)})`;
  return `skipped: ${result.skipped}`;
}
