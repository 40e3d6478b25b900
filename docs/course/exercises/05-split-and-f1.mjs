// Exercise 5 (docs/course/05-data.md). Run `npm run course -- 05`.

/**
 * Splits indices 0..labels.length−1 into [train, test] so that each class c puts
 * round(count(c)·testFraction) of its indices (chosen at random with `random()`, which returns
 * numbers in [0, 1)) into test and the rest into train.
 */
export function stratifiedSplit(labels, testFraction, random = Math.random) {
  throw new Error('exercise 5: stratifiedSplit is not written yet');
}

/** Macro-averaged F1 of two arrays of class labels, as scikit-learn's f1_score(average='macro'). */
export function macroF1(predicted, truth) {
  throw new Error('exercise 5: macroF1 is not written yet');
}
