// Reference solution of exercise 6 (docs/course/06-cnns.md).
import { tensor } from 'tessera';

export function im2col(image, kernelSize, { padding = 0, stride = 1 } = {}) {
  const [C, H, W] = image.shape;
  const k = kernelSize;
  const outH = Math.floor((H + 2 * padding - k) / stride) + 1;
  const outW = Math.floor((W + 2 * padding - k) / stride) + 1;
  const pixels = image.toArray();
  const columns = new Float32Array(C * k * k * outH * outW);
  // Row (c, i, j) of the matrix holds filter tap (i, j) of channel c at every output position.
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const row = (c * k + i) * k + j;
        for (let y = 0; y < outH; y++) {
          for (let x = 0; x < outW; x++) {
            const sy = y * stride + i - padding;
            const sx = x * stride + j - padding;
            const inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
            columns[row * outH * outW + y * outW + x] = inside ? pixels[(c * H + sy) * W + sx] : 0;
          }
        }
      }
    }
  }
  return tensor(columns, { shape: [C * k * k, outH * outW] });
}
