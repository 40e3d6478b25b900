/**
 * Classification metrics over predicted and true labels, with scikit-learn's definitions:
 * precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R); a 0/0 counts as 0.
 * Predictions may be labels [N] or scores [N, C] (the argmax over C is taken).
 */
import { Tensor } from '../tensor.js';
import { fmtShape } from '../shape.js';

/** How per-class scores are combined: unweighted mean, global counts, or mean weighted by support. */
export type Average = 'macro' | 'micro' | 'weighted';

/** Labels as a plain Int32Array: scores [N, C] become their argmax, probabilities [N, 1] are thresholded at 0.5, labels [N] are copied. */
export function toLabels(op: string, x: Tensor | ArrayLike<number>): Int32Array {
  if (!(x instanceof Tensor)) return Int32Array.from(x);
  x.check(op);
  if (x.ndim === 2 && x.shape[1] === 1) return Int32Array.from(x.toArray() as ArrayLike<number>, (v) => +(v >= 0.5));
  if (x.ndim === 2) return x.argmax(1).toArray() as Int32Array;
  if (x.ndim !== 1) throw new RangeError(`${op}: expected labels [N] or scores [N, C] (got shape ${fmtShape(x.shape)})`);
  return Int32Array.from(x.toArray(), (v) => Math.trunc(v));
}

function pair(op: string, pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>): [Int32Array, Int32Array] {
  const p = toLabels(op, pred);
  const t = toLabels(op, target);
  if (p.length !== t.length) throw new RangeError(`${op}: ${p.length} predictions but ${t.length} targets`);
  return [p, t];
}

/**
 * Fraction of predictions equal to the target.
 * @example accuracy(logits, labels) // 0.93
 */
export function accuracy(pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>): number {
  const [p, t] = pair('accuracy', pred, target);
  let hit = 0;
  for (let i = 0; i < p.length; i++) hit += +(p[i] === t[i]);
  return p.length === 0 ? 0 : hit / p.length;
}

/**
 * counts[i][j] = number of samples of true class i predicted as class j (scikit-learn's layout).
 * @example confusionMatrix([0, 1, 1], [0, 1, 0]) // [[1, 1], [0, 1]]
 */
export function confusionMatrix(pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>, numClasses?: number): number[][] {
  const [p, t] = pair('confusionMatrix', pred, target);
  let n = numClasses ?? 0;
  if (numClasses === undefined) for (let i = 0; i < p.length; i++) n = Math.max(n, p[i] + 1, t[i] + 1);
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < p.length; i++) {
    if (p[i] < 0 || p[i] >= n || t[i] < 0 || t[i] >= n) {
      throw new RangeError(`confusionMatrix: label ${p[i] < 0 || p[i] >= n ? p[i] : t[i]} at position ${i} is outside 0..${n - 1}`);
    }
    m[t[i]][p[i]]++;
  }
  return m;
}

/** Per-class precision, recall, F1 and support from a confusion matrix. */
export interface ClassScores {
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

export function classScores(matrix: number[][]): ClassScores {
  const n = matrix.length;
  const out: ClassScores = { precision: [], recall: [], f1: [], support: [] };
  for (let c = 0; c < n; c++) {
    const tp = matrix[c][c];
    let predicted = 0;
    let actual = 0;
    for (let k = 0; k < n; k++) {
      predicted += matrix[k][c];
      actual += matrix[c][k];
    }
    const p = ratio(tp, predicted);
    const r = ratio(tp, actual);
    out.precision.push(p);
    out.recall.push(r);
    out.f1.push(ratio(2 * p * r, p + r));
    out.support.push(actual);
  }
  return out;
}

function averaged(kind: keyof Omit<ClassScores, 'support'>, pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>, average: Average): number {
  const matrix = confusionMatrix(pred, target);
  if (average === 'micro') return accuracy(pred, target);
  const scores = classScores(matrix);
  const total = scores.support.reduce((a, b) => a + b, 0);
  const present = matrix.length;
  return scores[kind].reduce((acc, v, c) => acc + (average === 'weighted' ? (v * scores.support[c]) / total : v / present), 0);
}

/** Precision averaged over classes ('macro' by default). In single-label classification, micro = accuracy. */
export function precision(pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>, average: Average = 'macro'): number {
  return averaged('precision', pred, target, average);
}
/** Recall averaged over classes ('macro' by default). */
export function recall(pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>, average: Average = 'macro'): number {
  return averaged('recall', pred, target, average);
}
/** F1 averaged over classes ('macro' by default). */
export function f1(pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>, average: Average = 'macro'): number {
  return averaged('f1', pred, target, average);
}

/** Options of classificationReport. */
export interface ReportOptions {
  /** Display names of the classes, in label order. */
  targetNames?: string[];
  /** Decimal places (default 2). */
  digits?: number;
}

/**
 * Per-class precision/recall/F1/support plus accuracy, macro and weighted averages, laid out
 * exactly like scikit-learn's classification_report.
 * @example console.log(classificationReport(logits, labels));
 */
export function classificationReport(pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>, options: ReportOptions = {}): string {
  const digits = options.digits ?? 2;
  const matrix = confusionMatrix(pred, target, options.targetNames?.length);
  const s = classScores(matrix);
  const names = options.targetNames ?? matrix.map((_, i) => String(i));
  const width = Math.max(...names.map((n) => n.length), 'weighted avg'.length, digits);
  const total = s.support.reduce((a, b) => a + b, 0);
  const num = (v: number) => v.toFixed(digits).padStart(9);
  const row = (name: string, values: number[], support: number) =>
    `${name.padStart(width)} ${values.map((v) => ` ${num(v)}`).join('')} ${String(support).padStart(9)}\n`;
  const mean = (v: number[], w?: number[]) => v.reduce((a, x, i) => a + x * (w ? w[i] / total : 1 / v.length), 0);
  let out = `${''.padStart(width)} ${['precision', 'recall', 'f1-score', 'support'].map((h) => ` ${h.padStart(9)}`).join('')}\n\n`;
  names.forEach((name, c) => (out += row(name, [s.precision[c], s.recall[c], s.f1[c]], s.support[c])));
  out += '\n';
  out += `${'accuracy'.padStart(width)} ${' '.repeat(10)}${' '.repeat(10)} ${num(accuracy(pred, target))} ${String(total).padStart(9)}\n`;
  out += row('macro avg', [mean(s.precision), mean(s.recall), mean(s.f1)], total);
  out += row('weighted avg', [mean(s.precision, s.support), mean(s.recall, s.support), mean(s.f1, s.support)], total);
  return out;
}

/** Values of a regression output and target as float arrays of the same length. */
function values(op: string, pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>): [Float64Array, Float64Array] {
  const flat = (x: Tensor | ArrayLike<number>) => Float64Array.from(x instanceof Tensor ? (x.check(op).toArray() as ArrayLike<number>) : x);
  const p = flat(pred);
  const t = flat(target);
  if (p.length !== t.length) throw new RangeError(`${op}: ${p.length} predicted values but ${t.length} targets`);
  if (p.length === 0) throw new RangeError(`${op}: no values`);
  return [p, t];
}

/** Mean absolute error (scikit-learn's mean_absolute_error over all elements). @example mae([1, 2], [1, 4]) // 1 */
export function mae(pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>): number {
  const [p, t] = values('mae', pred, target);
  return p.reduce((a, v, i) => a + Math.abs(v - t[i]), 0) / p.length;
}

/** Mean squared error. @example mse([1, 2], [1, 4]) // 2 */
export function mse(pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>): number {
  const [p, t] = values('mse', pred, target);
  return p.reduce((a, v, i) => a + (v - t[i]) ** 2, 0) / p.length;
}

/** Root mean squared error. @example rmse([1, 2], [1, 4]) // 1.414… */
export function rmse(pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>): number {
  return Math.sqrt(mse(pred, target));
}

/** Coefficient of determination R² = 1 − SS_res / SS_tot (scikit-learn's r2_score: 1 for a perfect fit of a constant target, 0 otherwise). */
export function r2(pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>): number {
  const [p, t] = values('r2', pred, target);
  const mean = t.reduce((a, v) => a + v, 0) / t.length;
  const ssRes = p.reduce((a, v, i) => a + (t[i] - v) ** 2, 0);
  const ssTot = t.reduce((a, v) => a + (v - mean) ** 2, 0);
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

/** Fraction of samples whose true class is among the k highest scores [N, C] (ties broken by lower index). @example topKAccuracy(logits, labels, 5) */
export function topKAccuracy(scores: Tensor, target: Tensor | ArrayLike<number>, k = 5): number {
  if (!(scores instanceof Tensor) || scores.ndim !== 2) throw new RangeError(`topKAccuracy: scores must be a Tensor [N, C]${scores instanceof Tensor ? ` (got shape ${fmtShape(scores.shape)})` : ''}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`topKAccuracy: k must be a positive integer (got ${k})`);
  const [n, c] = scores.shape;
  const t = toLabels('topKAccuracy', target);
  if (t.length !== n) throw new RangeError(`topKAccuracy: ${n} score rows but ${t.length} targets`);
  const s = scores.toArray() as ArrayLike<number>;
  let hit = 0;
  for (let i = 0; i < n; i++) {
    const label = t[i];
    if (label < 0 || label >= c) throw new RangeError(`topKAccuracy: target ${label} at position ${i} is outside 0..${c - 1}`);
    const mine = s[i * c + label];
    let above = 0;
    for (let j = 0; j < c; j++) {
      const v = s[i * c + j];
      if (v > mine || (v === mine && j < label)) above++;
    }
    hit += +(above < k);
  }
  return n === 0 ? 0 : hit / n;
}

/** The metrics fit and evaluate know by name, as functions of (output, target); precision, recall and F1 are macro averages there. */
export const BUILTIN_METRICS: Readonly<Record<string, (output: Tensor, target: Tensor) => number>> = {
  accuracy,
  precision: (o, t) => precision(o, t, 'macro'),
  recall: (o, t) => recall(o, t, 'macro'),
  f1: (o, t) => f1(o, t, 'macro'),
  topKAccuracy: (o, t) => topKAccuracy(o, t),
  mae,
  mse,
  rmse,
  r2,
};
