// Exercise 6 (docs/course/06-cnns.md). Run `npm run course -- 06`. Use Tessera ops (slice, stack, F.pad, …)
// or build the numbers in a plain array and call tensor(values, { shape }).

/** The [C·k·k, outH·outW] patch matrix of a [C, H, W] image for a k×k convolution. */
export function im2col(image, kernelSize, { padding = 0, stride = 1 } = {}) {
  throw new Error('exercise 6: im2col is not written yet');
}
