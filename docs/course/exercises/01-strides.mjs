// Exercise 1 (docs/course/01-tensors.md). Replace each `throw` with your code, then run
// `npm run course -- 01`.

/**
 * The shape two operands broadcast to, as PyTorch defines it: shapes are aligned from the right;
 * a size 1 (or a missing dimension) stretches to the other size; any other mismatch throws.
 * broadcastShape([3, 1], [4]) → [3, 4]
 */
export function broadcastShape(a, b) {
  throw new Error('exercise 1: broadcastShape is not written yet');
}

/**
 * The nested array a view shows: element [i, j, …] is storage[offset + i·strides[0] + j·strides[1] + …].
 * readStrided([0, 1, 2, 3, 4, 5], [3, 2], [1, 3], 0) → [[0, 3], [1, 4], [2, 5]] (a transpose)
 */
export function readStrided(storage, shape, strides, offset) {
  throw new Error('exercise 1: readStrided is not written yet');
}
