/**
 * Classification metrics over predicted and true labels, with scikit-learn's definitions:
 * precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R); a 0/0 counts as 0.
 * Predictions may be labels [N] or scores [N, C] (the argmax over C is taken).
 */
import { Tensor } from '../tensor.js';
import { fmtShape } from '../shape.js';
import { options as checkOptions } from '../validate.js';

/**
 * How per-class scores are combined (scikit-learn's `average`): 'binary' reports the class
 * `posLabel` alone; 'macro' is the unweighted mean over the labels, 'weighted' the mean weighted
 * by support, 'micro' is computed from global counts; null gives the per-label scores.
 */
export type Average = 'binary' | 'macro' | 'micro' | 'weighted' | null;

/** Labels as a plain Int32Array: scores [N, C] become their argmax, probabilities [N, 1] are thresholded at 0.5, labels [N] are copied. */
export function toLabels(op: string, x: Tensor | ArrayLike<number>): Int32Array {
  if (!(x instanceof Tensor)) return Int32Array.from(x);
  x.check(op);
  if (x.ndim === 2 && x.shape[1] === 1) return Int32Array.from(x.toArray() as ArrayLike<number>, (v) => +(v >= 0.5));
  if (x.ndim === 2) return x.argmax(1).toArray() as Int32Array;
  if (x.ndim !== 1) throw new RangeError(`${op}: expected labels [N] or scores [N, C] (got shape ${fmtShape(x.shape)})`);
  return Int32Array.from(x.toArray(), (v) => Math.trunc(v));
}

/**
 * @internal Class labels from targets: integer labels [N], 0/1 targets [N, 1], or one-hot or
 * probability targets [N, C]. A regression target (a fractional value, or [N, 1] beyond 0/1) raises
 * instead of being rounded into labels, which would give a meaningless score.
 */
export function targetLabels(op: string, x: Tensor | ArrayLike<number>): Int32Array {
  const values = x instanceof Tensor ? (x.check(op).ndim === 2 && x.shape[1] > 1 ? null : x.toArray()) : x;
  if (values !== null) {
    const binary = x instanceof Tensor && x.ndim === 2;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isInteger(v) || (binary && v !== 0 && v !== 1)) {
        throw new RangeError(
          `${op}: targets must be class labels (integers, or 0/1 for [N, 1] targets), but element ${i} is ${v}; a classification metric of a regression target means nothing: use 'mse', 'mae', 'rmse' or 'r2'`,
        );
      }
    }
  }
  return toLabels(op, x);
}

function pair(op: string, pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>): [Int32Array, Int32Array] {
  const p = toLabels(op, pred);
  const t = targetLabels(op, target);
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

/** Per-class precision, recall, F1 and support from a confusion matrix (rows: true class, columns: predicted). */
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

/** Options of precision, recall and f1 (scikit-learn's keywords). */
export interface ScoreOptions {
  /** Default 'binary', as scikit-learn: the scores of class `posLabel` (only for two-label data). */
  average?: Average;
  /** The labels to score and average over (default: the sorted labels present in target or prediction). */
  labels?: readonly number[];
  /** The positive class of 'binary' (default 1). */
  posLabel?: number;
  /** The value of a score whose denominator is 0 (default 0, scikit-learn's 'warn'). */
  zeroDivision?: 0 | 1 | 'warn';
}

const AVERAGES = ['binary', 'macro', 'micro', 'weighted', null];

function scoreOptions(op: string, options: Average | ScoreOptions | undefined): Required<Omit<ScoreOptions, 'labels'>> & { labels?: readonly number[] } {
  const o: ScoreOptions = typeof options === 'string' || options === null ? { average: options } : (options ?? {});
  if (typeof o !== 'object')
    throw new TypeError(
      `${op}: the third argument must be an average ('binary', 'macro', 'micro', 'weighted', null) or { average, labels, posLabel, zeroDivision } (got ${JSON.stringify(options)})`,
    );
  checkOptions(op, o, ['average', 'labels', 'posLabel', 'zeroDivision']);
  const average = o.average === undefined ? 'binary' : o.average;
  if (!AVERAGES.includes(average))
    throw new RangeError(`${op}: average must be 'binary', 'macro', 'micro', 'weighted' or null (got ${JSON.stringify(o.average)})`);
  const zeroDivision = o.zeroDivision ?? 'warn';
  if (zeroDivision !== 0 && zeroDivision !== 1 && zeroDivision !== 'warn')
    throw new RangeError(`${op}: zeroDivision must be 0, 1 or 'warn' (got ${JSON.stringify(zeroDivision)})`);
  if (o.labels !== undefined && (!Array.isArray(o.labels) || o.labels.some((l) => !Number.isInteger(l))))
    throw new TypeError(`${op}: labels must be an array of integer class labels (got ${JSON.stringify(o.labels)})`);
  return { average, labels: o.labels, posLabel: o.posLabel ?? 1, zeroDivision };
}

/** Precision, recall and F1 with scikit-learn's precision_recall_fscore_support semantics. */
function prf(
  op: string,
  kind: 'precision' | 'recall' | 'f1',
  pred: Tensor | ArrayLike<number>,
  target: Tensor | ArrayLike<number>,
  options: Average | ScoreOptions | undefined,
): number | number[] {
  const { average, labels: given, posLabel, zeroDivision } = scoreOptions(op, options);
  const [p, t] = pair(op, pred, target);
  const present = [...new Set([...t, ...p])].sort((a, b) => a - b);
  let labels: readonly number[];
  if (average === 'binary') {
    if (present.length > 2)
      throw new RangeError(
        `${op}: the data has ${present.length} labels (${present.join(', ')}) but average is 'binary'; choose 'macro', 'micro', 'weighted' or null`,
      );
    if (!present.includes(posLabel) && present.length >= 2)
      throw new RangeError(`${op}: posLabel ${posLabel} is not a valid label; it should be one of ${present.join(', ')}`);
    labels = [posLabel];
  } else labels = given ?? present;
  const zd = zeroDivision === 1 ? 1 : 0;
  const index = new Map(labels.map((l, i) => [l, i]));
  const tp = new Array<number>(labels.length).fill(0);
  const predicted = new Array<number>(labels.length).fill(0);
  const actual = new Array<number>(labels.length).fill(0);
  for (let i = 0; i < p.length; i++) {
    const ip = index.get(p[i]);
    const it = index.get(t[i]);
    if (ip !== undefined) predicted[ip]++;
    if (it !== undefined) actual[it]++;
    if (ip !== undefined && p[i] === t[i]) tp[ip]++;
  }
  const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
  const scores = (tps: number[], preds: number[], trues: number[]) => {
    const pr = tps.map((x, i) => (preds[i] === 0 ? zd : x / preds[i]));
    const rc = tps.map((x, i) => (trues[i] === 0 ? zd : x / trues[i]));
    const f = pr.map((x, i) => (x + rc[i] === 0 ? 0 : (2 * x * rc[i]) / (x + rc[i])));
    return { precision: pr, recall: rc, f1: f }[kind];
  };
  if (average === 'micro') return scores([sum(tp)], [sum(predicted)], [sum(actual)])[0];
  const per = scores(tp, predicted, actual);
  if (average === null) return per;
  if (average === 'weighted') {
    const total = sum(actual);
    if (total === 0) return sum(predicted) === 0 || kind === 'recall' ? zd : 0;
    return per.reduce((a, v, i) => a + v * actual[i], 0) / total;
  }
  return labels.length === 0 ? 0 : sum(per) / per.length;
}

/**
 * Precision TP / (TP + FP), with scikit-learn's precision_score semantics: average 'binary' by
 * default (class 1 of two-label data); `average: null` returns one score per label.
 * @example precision([0, 2], [0, 2], 'macro') // 1
 */
export function precision(pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>, options: ScoreOptions & { average: null }): number[];
export function precision(
  pred: Tensor | ArrayLike<number>,
  target: Tensor | ArrayLike<number>,
  options?: Exclude<Average, null> | (ScoreOptions & { average?: Exclude<Average, null> }),
): number;
export function precision(pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>, options?: Average | ScoreOptions): number | number[] {
  return prf('precision', 'precision', pred, target, options);
}
/** Recall TP / (TP + FN), as scikit-learn's recall_score (average 'binary' by default). @example recall([1, 0, 1], [1, 1, 1]) // 0.667 */
export function recall(pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>, options: ScoreOptions & { average: null }): number[];
export function recall(
  pred: Tensor | ArrayLike<number>,
  target: Tensor | ArrayLike<number>,
  options?: Exclude<Average, null> | (ScoreOptions & { average?: Exclude<Average, null> }),
): number;
export function recall(pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>, options?: Average | ScoreOptions): number | number[] {
  return prf('recall', 'recall', pred, target, options);
}
/** F1 = 2PR / (P + R), as scikit-learn's f1_score (average 'binary' by default). @example f1(logits, labels, { average: 'macro' }) */
export function f1(pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>, options: ScoreOptions & { average: null }): number[];
export function f1(
  pred: Tensor | ArrayLike<number>,
  target: Tensor | ArrayLike<number>,
  options?: Exclude<Average, null> | (ScoreOptions & { average?: Exclude<Average, null> }),
): number;
export function f1(pred: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>, options?: Average | ScoreOptions): number | number[] {
  return prf('f1', 'f1', pred, target, options);
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
  const digits = checkOptions('classificationReport', options, ['targetNames', 'digits']).digits ?? 2;
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
  if (!(scores instanceof Tensor) || scores.ndim !== 2)
    throw new RangeError(`topKAccuracy: scores must be a Tensor [N, C]${scores instanceof Tensor ? ` (got shape ${fmtShape(scores.shape)})` : ''}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`topKAccuracy: k must be a positive integer (got ${k})`);
  const [n, c] = scores.shape;
  const t = targetLabels('topKAccuracy', target);
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

/** Scores of the positive class: [N], [N, 1], or column 1 of [N, 2]. */
function binaryScores(op: string, scores: Tensor | ArrayLike<number>): Float64Array {
  if (!(scores instanceof Tensor)) return Float64Array.from(scores);
  scores.check(op);
  if (scores.ndim === 1 || (scores.ndim === 2 && scores.shape[1] === 1)) return Float64Array.from(scores.toArray() as ArrayLike<number>);
  if (scores.ndim === 2 && scores.shape[1] === 2) return Float64Array.from(scores.select(1, 1).toArray() as ArrayLike<number>);
  throw new RangeError(
    `${op}: expected scores [N], [N, 1] or [N, 2] for a binary problem (got shape ${fmtShape(scores.shape)}); rocAuc takes [N, C] for C classes`,
  );
}

/** The ROC curve of a binary problem. */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** Decreasing; the first is max score + 1 (scikit-learn 1.2's convention). */
  thresholds: number[];
}

/**
 * False and true positive rates at each distinct score threshold, as scikit-learn's roc_curve
 * (with `dropIntermediate` points that are collinear removed).
 * @example const { fpr, tpr } = rocCurve(probabilities, labels);
 */
export function rocCurve(
  scores: Tensor | ArrayLike<number>,
  target: Tensor | ArrayLike<number>,
  options: { posLabel?: number; dropIntermediate?: boolean } = {},
): RocCurve {
  checkOptions('rocCurve', options, ['posLabel', 'dropIntermediate']);
  const s = binaryScores('rocCurve', scores);
  const t = targetLabels('rocCurve', target);
  if (s.length !== t.length) throw new RangeError(`rocCurve: ${s.length} scores but ${t.length} targets`);
  const posLabel = options.posLabel ?? 1;
  const order = Array.from(s.keys()).sort((a, b) => s[b] - s[a] || a - b);
  const fps: number[] = [];
  const tps: number[] = [];
  const thr: number[] = [];
  let tp = 0;
  let fp = 0;
  order.forEach((i, k) => {
    if (t[i] === posLabel) tp++;
    else fp++;
    if (k === order.length - 1 || s[order[k + 1]] !== s[i]) tps.push(tp), fps.push(fp), thr.push(s[i]);
  });
  let keep = fps.map((_, i) => i);
  if (options.dropIntermediate ?? true) {
    if (fps.length > 2)
      keep = keep.filter((i) => i === 0 || i === fps.length - 1 || fps[i - 1] - 2 * fps[i] + fps[i + 1] !== 0 || tps[i - 1] - 2 * tps[i] + tps[i + 1] !== 0);
  }
  const f = [0, ...keep.map((i) => fps[i])];
  const tt = [0, ...keep.map((i) => tps[i])];
  const th = [thr[keep[0]] + 1, ...keep.map((i) => thr[i])];
  const P = tp;
  const N = fp;
  if (P === 0 || N === 0) throw new RangeError(`rocCurve: the targets contain only ${P === 0 ? 'negative' : 'positive'} samples; the ROC curve needs both`);
  return { fpr: f.map((v) => v / N), tpr: tt.map((v) => v / P), thresholds: th };
}

function trapezoid(x: number[], y: number[]): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return area;
}

/**
 * Area under the ROC curve, as scikit-learn's roc_auc_score: binary scores [N] / [N, 1] /
 * [N, 2]; for class scores [N, C] (C > 2) the one-vs-rest AUCs averaged ('macro', default, or
 * 'weighted' by support).
 * @example rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) // 0.75
 */
export function rocAuc(scores: Tensor | ArrayLike<number>, target: Tensor | ArrayLike<number>, options: { average?: 'macro' | 'weighted' } = {}): number {
  checkOptions('rocAuc', options, ['average']);
  if (scores instanceof Tensor && scores.ndim === 2 && scores.shape[1] > 2) {
    const [n, c] = scores.shape;
    const t = targetLabels('rocAuc', target);
    if (t.length !== n) throw new RangeError(`rocAuc: ${n} score rows but ${t.length} targets`);
    const s = scores.toArray() as ArrayLike<number>;
    const average = options.average ?? 'macro';
    if (average !== 'macro' && average !== 'weighted') throw new RangeError(`rocAuc: average must be 'macro' or 'weighted' (got ${JSON.stringify(average)})`);
    let sum = 0;
    let weight = 0;
    for (let k = 0; k < c; k++) {
      const col = Float64Array.from({ length: n }, (_, i) => s[i * c + k]);
      const { fpr, tpr } = rocCurve(
        col,
        Int32Array.from(t, (v) => +(v === k)),
        { dropIntermediate: false },
      );
      const w = average === 'weighted' ? t.filter((v) => v === k).length : 1;
      sum += w * trapezoid(fpr, tpr);
      weight += w;
    }
    return sum / weight;
  }
  const { fpr, tpr } = rocCurve(scores, target, { dropIntermediate: false });
  return trapezoid(fpr, tpr);
}

/** Options of confusionMatrixSvg. */
export interface HeatMapOptions {
  /** Class names, in label order (default the label numbers). */
  labels?: readonly string[];
  title?: string;
  /** Side of one cell in pixels (default 40). */
  cellSize?: number;
}

/**
 * A confusion matrix as an SVG heat map: rows are true classes, columns predictions, each cell
 * shaded by its share of its row and labelled with its count.
 * @example writeFileSync('confusion.svg', confusionMatrixSvg(confusionMatrix(pred, target)));
 */
export function confusionMatrixSvg(matrix: readonly (readonly number[])[], options: HeatMapOptions = {}): string {
  checkOptions('confusionMatrixSvg', options, ['labels', 'title', 'cellSize']);
  const n = matrix.length;
  if (n === 0 || matrix.some((row) => !Array.isArray(row) || row.length !== n))
    throw new RangeError('confusionMatrixSvg: expected a square matrix (an array of n rows of n counts), as confusionMatrix returns');
  const names = options.labels ?? matrix.map((_, i) => String(i));
  if (names.length !== n) throw new RangeError(`confusionMatrixSvg: ${names.length} labels for a ${n}×${n} matrix`);
  const cell = options.cellSize ?? 40;
  const left = 20 + 7 * Math.max(...names.map((s) => s.length));
  const top = options.title ? 56 : 30;
  const width = left + n * cell + 20;
  const height = top + n * cell + 44;
  const esc = (text: string) => text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (options.title) parts.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${esc(options.title)}</text>`);
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((v, j) => {
      const share = total === 0 ? 0 : v / total;
      const shade = Math.round(255 - 200 * share);
      parts.push(`<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)" stroke="#ccc"/>`);
      parts.push(
        `<text x="${left + j * cell + cell / 2}" y="${top + i * cell + cell / 2 + 4}" text-anchor="middle" fill="${share > 0.6 ? 'white' : 'black'}">${v}</text>`,
      );
    });
    parts.push(`<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${esc(names[i])}</text>`);
  });
  names.forEach((name, j) => parts.push(`<text x="${left + j * cell + cell / 2}" y="${top - 6}" text-anchor="middle">${esc(name)}</text>`));
  parts.push(`<text x="${left + (n * cell) / 2}" y="${top + n * cell + 20}" text-anchor="middle">predicted</text>`);
  parts.push(`<text x="12" y="${top + (n * cell) / 2}" text-anchor="middle" transform="rotate(-90 12 ${top + (n * cell) / 2})">true</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
