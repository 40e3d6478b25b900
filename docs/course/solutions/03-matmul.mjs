// Reference solution of exercise 3 (docs/course/03-kernels.md).

export function matmul(a, b, m, k, n, { transA = false, transB = false } = {}) {
  const c = new Float32Array(m * n);
  // Element (i, p) of op(A) and (p, j) of op(B), whichever way they are stored.
  const aAt = transA ? (i, p) => a[p * m + i] : (i, p) => a[i * k + p];
  for (let i = 0; i < m; i++) {
    const row = i * n;
    for (let p = 0; p < k; p++) {
      const aip = aAt(i, p);
      if (transB) {
        for (let j = 0; j < n; j++) c[row + j] += aip * b[j * k + p];
      } else {
        // i-p-j: the inner loop reads a row of B and writes a row of C with stride 1.
        const bRow = p * n;
        for (let j = 0; j < n; j++) c[row + j] += aip * b[bRow + j];
      }
    }
  }
  return c;
}
