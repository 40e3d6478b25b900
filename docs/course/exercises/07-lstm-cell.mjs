// Exercise 7 (docs/course/07-sequence-models.md). Run `npm run course -- 07`.

/**
 * One LSTM step for a batch: x [N, input], h and c [N, hidden]; weights holds weight_ih
 * [4·hidden, input], weight_hh [4·hidden, hidden], bias_ih and bias_hh [4·hidden], gates in
 * PyTorch's order i, f, g, o. Returns [hNext, cNext].
 */
export function lstmCellStep(x, [h, c], weights) {
  throw new Error('exercise 7: lstmCellStep is not written yet');
}
