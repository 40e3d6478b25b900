// Reference solution of exercise 7 (docs/course/07-sequence-models.md).

export function lstmCellStep(x, [h, c], weights) {
  const { weight_ih, weight_hh, bias_ih, bias_hh } = weights;
  const gates = x.matmul(weight_ih.t()).add(bias_ih).add(h.matmul(weight_hh.t())).add(bias_hh);
  const [i, f, g, o] = gates.chunk(4, 1);
  const cNext = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
  const hNext = o.sigmoid().mul(cNext.tanh());
  return [hNext, cNext];
}
