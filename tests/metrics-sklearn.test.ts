import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fit, manualSeed, metrics, nn, optim, randn, tensor } from '../src/index.js';

interface Prf {
  name: string;
  target: number[];
  pred: number[];
  options: metrics.ScoreOptions;
  precision: number | number[];
  recall: number | number[];
  f1: number | number[];
}
interface Roc {
  name: string;
  target: number[];
  scores: number[];
  auc: number;
  fpr: number[];
  tpr: number[];
  thresholds: number[];
  fprAll: number[];
  tprAll: number[];
  thresholdsAll: number[];
}
const fx: {
  prf: Prf[];
  roc: Roc[];
  multiclassAuc: { target: number[]; scores: number[][]; macro: number; weighted: number };
  topk: { k: number; target: number[]; scores: number[][]; value: number }[];
  regression: { target: number[]; pred: number[]; mae: number; mse: number; rmse: number; r2: number };
} = JSON.parse(readFileSync(new URL('./fixtures/sklearn-scores.json', import.meta.url), 'utf8'));

const close = (got: number | number[], want: number | number[]) => {
  if (Array.isArray(want)) {
    expect(got).toHaveLength(want.length);
    want.forEach((w, i) => expect((got as number[])[i]).toBeCloseTo(w, 12));
  } else expect(got as number).toBeCloseTo(want, 12);
};

describe('metrics follow scikit-learn 1.2.1', () => {
  it.each(fx.prf.map((c) => [c.name, c] as const))('precision/recall/f1, %s', (_, c) => {
    close(metrics.precision(c.pred, c.target, c.options as never), c.precision);
    close(metrics.recall(c.pred, c.target, c.options as never), c.recall);
    close(metrics.f1(c.pred, c.target, c.options as never), c.f1);
  });

  it("the issue's cases: macro over present labels, options objects honoured, [N, 1] thresholded, binary by default", () => {
    expect(metrics.precision([0, 2], [0, 2], 'macro')).toBe(1);
    expect(metrics.precision([0, 2], [0, 2], { average: 'macro' })).toBe(1);
    expect(metrics.accuracy(tensor([[0.9], [0.8], [0.1]]), [1, 1, 0])).toBe(1);
    expect(() => metrics.f1([0, 1, 2], [0, 1, 2])).toThrow(/3 labels \(0, 1, 2\) but average is 'binary'/);
    expect(() => metrics.f1([0, 1], [0, 1], { average: 'mean' as never })).toThrow(/average must be/);
    expect(() => metrics.f1([0, 1], [0, 1], { zeroDivision: 2 as never })).toThrow(/zeroDivision must be 0, 1 or 'warn'/);
  });

  it.each(fx.roc.map((c) => [c.name, c] as const))('rocCurve and rocAuc, %s scores', (_, c) => {
    const r = metrics.rocCurve(c.scores, c.target);
    close(r.fpr, c.fpr);
    close(r.tpr, c.tpr);
    close(r.thresholds, c.thresholds);
    const all = metrics.rocCurve(c.scores, c.target, { dropIntermediate: false });
    close(all.fpr, c.fprAll);
    close(all.thresholds, c.thresholdsAll);
    close(metrics.rocAuc(c.scores, c.target), c.auc);
    close(metrics.rocAuc(tensor(c.scores.map((s) => [1 - s, s])), c.target), c.auc);
  });

  it('one-vs-rest rocAuc over [N, C] probabilities, macro and weighted; topKAccuracy for k = 1, 2, 3', () => {
    const m = fx.multiclassAuc;
    close(metrics.rocAuc(tensor(m.scores), m.target), m.macro);
    close(metrics.rocAuc(tensor(m.scores), m.target, { average: 'weighted' }), m.weighted);
    for (const c of fx.topk) close(metrics.topKAccuracy(tensor(c.scores), c.target, c.k), c.value);
    expect(() => metrics.rocCurve([0.1, 0.2], [1, 1])).toThrow(/only positive samples/);
  });

  it('mae, mse, rmse, r2, and the same names in fit on a regression', () => {
    const r = fx.regression;
    close(metrics.mae(r.pred, r.target), r.mae);
    close(metrics.mse(r.pred, r.target), r.mse);
    close(metrics.rmse(r.pred, r.target), r.rmse);
    close(metrics.r2(r.pred, r.target), r.r2);
    manualSeed(2);
    const x = randn([64, 3]).keep();
    const y = x.matmul(tensor([[1], [-2], [0.5]])).keep();
    const model = new nn.Linear(3, 1);
    const h = fit(model, [[x, y]], {
      epochs: 60,
      optimizer: new optim.Adam(model.parameters(), { lr: 0.1 }),
      loss: new nn.MSELoss(),
      metrics: ['mae', 'mse', 'rmse', 'r2'],
      verbose: false,
    });
    expect(h.mse[59]).toBeCloseTo(h.loss[59], 4);
    expect(h.rmse[59]).toBeCloseTo(Math.sqrt(h.mse[59]), 10);
    expect(h.r2[59]).toBeGreaterThan(0.95);
  });

  it('confusionMatrixSvg draws one shaded cell per count with the class names', () => {
    const m = metrics.confusionMatrix([0, 1, 1, 2], [0, 1, 2, 2]);
    const svg = metrics.confusionMatrixSvg(m, { labels: ['cat', 'dog', '<bird>'], title: 'pets' });
    expect(svg.match(/<rect x=/g)).toHaveLength(9);
    expect(svg).toContain('&lt;bird&gt;');
    expect(svg).toContain('>pets</text>');
    expect(() => metrics.confusionMatrixSvg([[1, 2]])).toThrow(/square matrix/);
  });
});
