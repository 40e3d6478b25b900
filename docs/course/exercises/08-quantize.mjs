// Exercise 8 (docs/course/08-compression-deployment.md). Run `npm run course -- 08`.

/** Symmetric int8 quantization with one scale per row of a 2-D weight: returns { q, scales }. */
export function quantizePerChannel(weight) {
  throw new Error('exercise 8: quantizePerChannel is not written yet');
}

/** The float weight that { q, scales } stands for. */
export function dequantize({ q, scales }) {
  throw new Error('exercise 8: dequantize is not written yet');
}
