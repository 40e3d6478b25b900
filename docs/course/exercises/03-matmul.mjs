// Exercise 3 (docs/course/03-kernels.md). Write the loops, then run `npm run course -- 03`.

/**
 * C = op(A)·op(B) as a new row-major Float32Array of m×n, where op(A) is m×k (A is stored k×m when
 * transA) and op(B) is k×n (B is stored n×k when transB).
 */
export function matmul(a, b, m, k, n, { transA = false, transB = false } = {}) {
  throw new Error('exercise 3: matmul is not written yet');
}
