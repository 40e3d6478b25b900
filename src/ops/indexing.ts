/**
 * Integer indexing: indexSelect (whole slices by index) and gather (one element per index).
 * Their backwards scatter-add gradOut back to the positions read. Index tensors are int32 and
 * are bounds-checked before anything is read.
 */
import { forEachStrided } from '../backend/reference.js';
import { finish } from '../autograd/grad-mode.js';
import { fmtShape, normDim } from '../shape.js';
import { Tensor } from '../tensor.js';
import { zeros } from '../creation.js';

function checkIndex(op: string, index: Tensor, x: Tensor, d: number): Int32Array | Float32Array | Float64Array {
  if (!(index instanceof Tensor)) throw new TypeError(`${op}: index must be an int32 Tensor`);
  index.check(op);
  if (index.dtype !== 'int32') throw new TypeError(`${op}: index must have dtype int32 (got ${index.dtype})`);
  if (index.device !== x.device) throw new TypeError(`${op}: index is on device '${index.device}' but the input is on '${x.device}'`);
  const values = index.toArray();
  const n = x.ndim === 0 ? 1 : x.shape[d];
  for (let i = 0; i < values.length; i++) {
    if (values[i] < -n || values[i] >= n) {
      throw new RangeError(`${op}: index ${values[i]} (element ${i} of the index) is out of range for dim ${d} of size ${n} (input shape ${fmtShape(x.shape)})`);
    }
    if (values[i] < 0) values[i] += n;
  }
  return values;
}

/**
 * Picks the slices at `index` (1-D int32) along dim.
 * @example x.indexSelect(0, tensor([2, 0], { dtype: 'int32' }))
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  x.check('indexSelect');
  const d = normDim('indexSelect', dim, x.ndim);
  if (index.ndim > 1) throw new RangeError(`indexSelect: index must be 0-D or 1-D (got shape ${fmtShape(index.shape)})`);
  const idx = checkIndex('indexSelect', index, x, d);
  const shape = x.ndim === 0 ? [] : x.shape.map((s, i) => (i === d ? idx.length : s));
  const out = Tensor.empty(shape, x.dtype, x.backend);
  // Iterate the output with the selected dim's stride 0, adding index·stride per position.
  const strides = x.ndim === 0 ? [] : x.strides.map((s, i) => (i === d ? 0 : s));
  const xv = x.backend.view(x.storage);
  const ov = out.backend.view(out.storage);
  const outStrides = shape.map((_, i) => (i === d ? 1 : 0));
  if (d === 0 && x.ndim > 0 && x.isContiguous()) {
    // NOTE: rows of a contiguous tensor are contiguous: one set() per row (DataLoader batches, embeddings).
    const row = x.numel() / x.shape[0];
    for (let k = 0; k < idx.length; k++) ov.set(xv.subarray(x.offset + idx[k] * row, x.offset + (idx[k] + 1) * row), k * row);
  } else {
    forEachStrided(shape, [strides, outStrides], [x.offset, 0], (i, [ix, k]) => {
      ov[i] = xv[ix + (x.ndim === 0 ? 0 : idx[k] * x.strides[d])];
    });
  }
  return finish(out, 'indexSelect', [x], (g) => {
    const gx = zeros(x.shape, { dtype: g.dtype, device: g.device });
    const gv = gx.backend.view(gx.storage);
    const gs = gx.strides.map((s, i) => (i === d ? 0 : s));
    const src = g.backend.view(g.storage);
    forEachStrided(shape, [gs, outStrides, g.strides], [0, 0, g.offset], (_, [ig, k, jg]) => {
      gv[ig + (x.ndim === 0 ? 0 : idx[k] * gx.strides[d])] += src[jg];
    });
    return [gx];
  }, { dim: d, index });
}

/**
 * out[i][j] = x[i][index[i][j]] for dim = 1 (and likewise for other dims), as torch.gather.
 * @example x.gather(1, labels.unsqueeze(1))
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  x.check('gather');
  const d = normDim('gather', dim, x.ndim);
  if (index.ndim !== x.ndim) throw new RangeError(`gather: index must have as many dims as the input (index ${fmtShape(index.shape)}, input ${fmtShape(x.shape)})`);
  index.shape.forEach((s, i) => {
    if (i !== d && s > x.shape[i]) throw new RangeError(`gather: index ${fmtShape(index.shape)} is larger than the input ${fmtShape(x.shape)} in dim ${i}`);
  });
  const idx = checkIndex('gather', index, x, d);
  const shape = [...index.shape];
  const out = Tensor.empty(shape, x.dtype, x.backend);
  const strides = x.strides.map((s, i) => (i === d ? 0 : s));
  const xv = x.backend.view(x.storage);
  const ov = out.backend.view(out.storage);
  const stepD = x.ndim === 0 ? 0 : x.strides[d];
  forEachStrided(shape, [strides], [x.offset], (i, [ix]) => {
    ov[i] = xv[ix + idx[i] * stepD];
  });
  return finish(out, 'gather', [x], (g) => {
    const gx = zeros(x.shape, { dtype: g.dtype, device: g.device });
    const gv = gx.backend.view(gx.storage);
    const gs = gx.strides.map((s, i) => (i === d ? 0 : s));
    const src = g.backend.view(g.storage);
    const gStep = gx.ndim === 0 ? 0 : gx.strides[d];
    forEachStrided(shape, [gs, g.strides], [0, g.offset], (i, [ig, jg]) => {
      gv[ig + idx[i] * gStep] += src[jg];
    });
    return [gx];
  }, { dim: d, index });
}
