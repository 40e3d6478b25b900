/**
 * matmul and bmm onto the backend GEMM. A transposed operand (what every backward needs) is
 * passed as a GEMM flag with its leading dimension, never copied; batch dims broadcast like
 * torch.matmul.
 */
import type { Storage } from '../backend/backend.js';
import { finish } from '../autograd/grad-mode.js';
import { isFloat, promoteTypes } from '../dtype.js';
import { composite } from '../autograd/composite.js';
import { broadcastShapes, broadcastStrides, fmtShape, numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { copyRaw, operand, unbroadcast } from './util.js';
import { squeeze, transpose, transposeView, unsqueeze } from './shape.js';

interface GemmOperand {
  source: Tensor;
  trans: boolean;
  ld: number;
}

/**
 * How GEMM can read the last two dims of x (of xᵀ with `transposed`, no view made) in place, or
 * a contiguous copy when it cannot.
 */
function gemmOperand(x: Tensor, transposed = false): GemmOperand {
  const d = x.ndim;
  const [r, c] = transposed ? [d - 1, d - 2] : [d - 2, d - 1];
  const rows = x.shape[r],
    cols = x.shape[c];
  const rs = x.strides[r],
    cs = x.strides[c];
  if ((cs === 1 || cols === 1) && (rows === 1 || rs >= cols)) return { source: x, trans: false, ld: rows === 1 ? Math.max(cols, 1) : rs };
  if ((rs === 1 || rows === 1) && (cols === 1 || cs >= rows)) return { source: x, trans: true, ld: cols === 1 ? Math.max(rows, 1) : cs };
  const copy = copyRaw(transposed ? transposeView(x, d - 2, d - 1) : x);
  return { source: copy, trans: false, ld: Math.max(cols, 1) };
}

/**
 * @internal x·Wᵀ + bias with no graph, for x [N, in], weight [out, in] and bias [out] or null, as
 * PyTorch's addmm: the bias rows are written first and the GEMM adds onto them (beta 1), so a
 * layer is one kernel call and no separate add. Computes in x's and weight's promoted dtype.
 */
export function addmmTransposed(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const dtype = promoteTypes(x.dtype, weight.dtype);
  const n = x.shape[0],
    k = x.shape[1],
    outF = weight.shape[0];
  const out = Tensor.empty([n, outF], dtype, x.backend);
  // Casts and copies the GEMM cannot read in place are freed once it has run.
  composite('linear', () => {
    const [a, w] = [x, weight].map((t) => (t.dtype === dtype ? t : copyRaw(t, dtype)));
    if (bias) {
      const b = bias.dtype === dtype ? bias : copyRaw(bias, dtype);
      out.backend.copy({ storage: b.storage, offset: b.offset, strides: [0, b.strides[0]] }, out.storage, 0, [n, outF]);
    }
    const A = gemmOperand(a);
    const B = gemmOperand(w, true);
    gemm(A, A.source.offset, B, B.source.offset, out.storage, 0, n, outF, k, bias ? 1 : 0);
  });
  return out;
}

/** Batched [..., m, k] · [..., k, n] for tensors of ≥ 2 dims; the op both public functions build on. */
function matmulNd(name: string, a: Tensor, b: Tensor): Tensor {
  const m = a.shape[a.ndim - 2],
    k = a.shape[a.ndim - 1];
  const k2 = b.shape[b.ndim - 2],
    n = b.shape[b.ndim - 1];
  if (k !== k2) {
    throw new RangeError(`${name}: cannot multiply ${fmtShape(a.shape)} by ${fmtShape(b.shape)} (inner dimensions ${k} and ${k2} differ)`);
  }
  const plain = a.ndim === 2 && b.ndim === 2;
  const batch = plain ? [] : broadcastShapes(name, a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = Tensor.empty(plain ? [m, n] : [...batch, m, n], a.dtype, a.backend);
  // Operands the GEMM cannot read in place are copied; the copies are freed once it has run.
  composite(name, () => {
    const A = gemmOperand(a);
    const B = gemmOperand(b);
    if (plain) gemm(A, A.source.offset, B, B.source.offset, out.storage, 0, m, n, k);
    else gemmBatches(A, a, B, b, batch, out, m, n, k);
  });
  return finish(out, name, [a, b], (g) => [
    // dA = dC · Bᵀ and dB = Aᵀ · dC; the transposes are GEMM flags, and broadcast batches are summed back.
    a.requiresGrad ? unbroadcast(matmulNd(name, g, transpose(b, -1, -2)), a.shape) : null,
    b.requiresGrad ? unbroadcast(matmulNd(name, transpose(a, -1, -2), g), b.shape) : null,
  ]);
}

/** One GEMM per (broadcast) batch index, each operand offset by its own batch strides. */
function gemmBatches(A: GemmOperand, a: Tensor, B: GemmOperand, b: Tensor, batch: number[], out: Tensor, m: number, n: number, k: number): void {
  const aBatch = broadcastStrides(a.shape.slice(0, -2), A.source.strides.slice(0, -2), batch);
  const bBatch = broadcastStrides(b.shape.slice(0, -2), B.source.strides.slice(0, -2), batch);
  const count = numel(batch);
  const index = new Array<number>(batch.length).fill(0);
  for (let i = 0; i < count; i++) {
    let aOff = A.source.offset;
    let bOff = B.source.offset;
    for (let d = 0; d < batch.length; d++) {
      aOff += index[d] * aBatch[d];
      bOff += index[d] * bBatch[d];
    }
    gemm(A, aOff, B, bOff, out.storage, i * m * n, m, n, k);
    for (let d = batch.length - 1; d >= 0 && ++index[d] === batch[d]; d--) index[d] = 0;
  }
}

function gemm(A: GemmOperand, aOff: number, B: GemmOperand, bOff: number, c: Storage, cOff: number, m: number, n: number, k: number, beta = 0): void {
  A.source.backend.gemm({
    transA: A.trans,
    transB: B.trans,
    m,
    n,
    k,
    alpha: 1,
    a: A.source.storage,
    aOffset: aOff,
    lda: A.ld,
    b: B.source.storage,
    bOffset: bOff,
    ldb: B.ld,
    beta,
    c,
    cOffset: cOff,
    ldc: Math.max(n, 1),
  });
}

function floatOperands(name: string, a: Tensor, b: Tensor): [Tensor, Tensor] {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new TypeError(`${name}: both arguments must be Tensors`);
  operand(name, b, a.check(name), 'the second argument');
  const dtype = promoteTypes(isFloat(a.dtype) ? a.dtype : 'float32', isFloat(b.dtype) ? b.dtype : 'float32');
  return [a.dtype === dtype ? a : copyRaw(a, dtype), b.dtype === dtype ? b : copyRaw(b, dtype)];
}

/**
 * Matrix product with torch.matmul's rules: 1-D operands are vectors, leading dims broadcast.
 * @example randn([64, 784]).matmul(randn([784, 256])) // [64, 256]
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const [x, y] = floatOperands('matmul', a, b);
  if (x.ndim === 0 || y.ndim === 0)
    throw new RangeError(`matmul: both arguments need at least 1 dimension (got ${fmtShape(a.shape)} and ${fmtShape(b.shape)})`);
  const x2 = x.ndim === 1 ? unsqueeze(x, 0) : x;
  const y2 = y.ndim === 1 ? unsqueeze(y, 1) : y;
  if (x2.shape[x2.ndim - 1] !== y2.shape[y2.ndim - 2]) {
    throw new RangeError(
      `matmul: cannot multiply ${fmtShape(a.shape)} by ${fmtShape(b.shape)} (inner dimensions ${x2.shape[x2.ndim - 1]} and ${y2.shape[y2.ndim - 2]} differ)`,
    );
  }
  let out = matmulNd('matmul', x2, y2);
  // Drop the dims the 1-D operands were given, last first so the other's index stays valid.
  if (y.ndim === 1) out = squeeze(out, -1);
  if (x.ndim === 1) out = squeeze(out, y.ndim === 1 ? -1 : -2);
  return out;
}

/** Batched matrix product of [b, n, m] and [b, m, p] (no broadcasting, as torch.bmm). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  const [x, y] = floatOperands('bmm', a, b);
  if (x.ndim !== 3 || y.ndim !== 3 || x.shape[0] !== y.shape[0]) {
    throw new RangeError(`bmm: expects two 3-D tensors with the same batch size (got ${fmtShape(a.shape)} and ${fmtShape(b.shape)})`);
  }
  return matmulNd('bmm', x, y);
}
