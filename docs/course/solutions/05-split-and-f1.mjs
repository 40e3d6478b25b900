// Reference solution of exercise 5 (docs/course/05-data.md).

export function stratifiedSplit(labels, testFraction, random = Math.random) {
  const byClass = new Map();
  labels.forEach((label, i) => byClass.set(label, [...(byClass.get(label) ?? []), i]));
  const train = [];
  const test = [];
  for (const indices of byClass.values()) {
    // Fisher–Yates shuffle, then cut.
    for (let i = indices.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [indices[i], indices[j]] = [indices[j], indices[i]];
    }
    const nTest = Math.round(indices.length * testFraction);
    test.push(...indices.slice(0, nTest));
    train.push(...indices.slice(nTest));
  }
  return [train, test];
}

export function macroF1(predicted, truth) {
  const classes = [...new Set([...predicted, ...truth])];
  const scores = classes.map((c) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    predicted.forEach((p, i) => {
      if (p === c && truth[i] === c) tp++;
      else if (p === c) fp++;
      else if (truth[i] === c) fn++;
    });
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  });
  return scores.reduce((a, b) => a + b, 0) / classes.length;
}
