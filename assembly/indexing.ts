// Indexing kernels: where (select by a condition), gather (one element per
// index along a dim), scatter (gather's adjoint: write or add at the indexed
// positions) and the index bounds check the ops run before either.
// Layout: 4-byte elements (f32 or i32; where/gather and scatter's write mode
// move bits as-is), i32 conditions and indices; pointers are byte offsets at
// each operand's first element, strides are in elements (non-negative).
// `meta` holds i32 rows: the shape, then each operand's strides (see each
// kernel); the dims are coalesced first (strided.ts).
// Indices must be in range: the ops check them with indexBoundsI32 first.
// Aliasing: out must not overlap the inputs.
// Called by the TS wasm backend (src/backend/wasm.ts); nothing allocates.
import { SA, SB, SC, SH, coalesce, copyRow, firstRow, geti, nextRow, offA, offB, offC } from "./strided";

// ---------------------------------------------------------------- where ---

// out[i] = cond[c(i)] != 0 ? a[a(i)] : b[b(i)] with contiguous out.
// meta: shape, cond's strides, a's strides, b's strides.
export function where32(cond: usize, a: usize, b: usize, out: usize, ndim: i32, meta: usize): void {
  const row = <usize>ndim << 2;
  const nd = coalesce(ndim, meta, meta + row, meta + 2 * row, meta + 3 * row);
  if (nd == 0) return;
  const n = geti(SH, nd - 1);
  const sc = geti(SA, nd - 1);
  const sa = geti(SB, nd - 1);
  const sb = geti(SC, nd - 1);
  const rows = firstRow(nd);
  let po = out;
  for (let r = 0; r < rows; r++) {
    whereRow(cond + (offA << 2), a + (offB << 2), b + (offC << 2), po, n, sc, sa, sb);
    po += <usize>n << 2;
    nextRow(nd);
  }
}

@inline function whereRow(c: usize, a: usize, b: usize, out: usize, n: i32, sc: i32, sa: i32, sb: i32): void {
  if (sc == 0) {
    // One condition for the whole row (a mask broadcast along the last dim).
    if (load<i32>(c) != 0) copyRow(a, out, n, sa);
    else copyRow(b, out, n, sb);
    return;
  }
  let i = 0;
  if (sc == 1 && sa <= 1 && sb <= 1) {
    // Contiguous or scalar values: a lane mask from the condition picks bits.
    const zero = i32x4.splat(0);
    const a0 = i32x4.splat(load<i32>(a));
    const b0 = i32x4.splat(load<i32>(b));
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const m = i32x4.ne(v128.load(c + o), zero);
      const va = sa == 1 ? v128.load(a + o) : a0;
      const vb = sb == 1 ? v128.load(b + o) : b0;
      v128.store(out + o, v128.bitselect(va, vb, m));
    }
  }
  for (; i < n; i++) {
    const v = load<i32>(c + (<usize>i * <usize>sc << 2)) != 0 ? load<i32>(a + (<usize>i * <usize>sa << 2)) : load<i32>(b + (<usize>i * <usize>sb << 2));
    store<i32>(out + (<usize>i << 2), v);
  }
}

// --------------------------------------------------------------- gather ---

// out[i] = x[x(i) + index[ix(i)]·step] with contiguous out: x's stride along
// the indexed dim is 0 in meta, the index supplies the position there.
// meta: shape, x's strides, the index's strides.
export function gather32(x: usize, index: usize, step: i32, out: usize, ndim: i32, meta: usize): void {
  const row = <usize>ndim << 2;
  const si = meta + 2 * row;
  const nd = coalesce(ndim, meta, meta + row, si, si);
  if (nd == 0) return;
  const n = geti(SH, nd - 1);
  const sx = geti(SA, nd - 1);
  const sidx = geti(SB, nd - 1);
  const rows = firstRow(nd);
  const stepBytes = <usize>step << 2;
  let po = out;
  for (let r = 0; r < rows; r++) {
    gatherRow(x + (offA << 2), index + (offB << 2), stepBytes, po, n, sx, sidx);
    po += <usize>n << 2;
    nextRow(nd);
  }
}

@inline function gatherRow(x: usize, index: usize, stepBytes: usize, out: usize, n: i32, sx: i32, si: i32): void {
  if (si == 0) {
    // One index for the row: a slice copy (indexSelect on dim 0, embedding rows).
    copyRow(x + <usize>load<i32>(index) * stepBytes, out, n, sx);
    return;
  }
  let i = 0;
  if (sx == 0 && si == 1) {
    // One position per element (gather along the last dim): addresses four at a time.
    const vstep = i32x4.splat(<i32>stepBytes);
    const vx = i32x4.splat(<i32>x);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const at = i32x4.add(vx, i32x4.mul(v128.load(index + o), vstep));
      let v = v128.load32_zero(<usize>i32x4.extract_lane(at, 0));
      v = v128.load32_lane(<usize>i32x4.extract_lane(at, 1), v, 1);
      v = v128.load32_lane(<usize>i32x4.extract_lane(at, 2), v, 2);
      v = v128.load32_lane(<usize>i32x4.extract_lane(at, 3), v, 3);
      v128.store(out + o, v);
    }
  }
  for (; i < n; i++) {
    const at = x + (<usize>i * <usize>sx << 2) + <usize>load<i32>(index + (<usize>i * <usize>si << 2)) * stepBytes;
    store<i32>(out + (<usize>i << 2), load<i32>(at));
  }
}

// -------------------------------------------------------------- scatter ---

const WRITE = 0;
const ADD_F32 = 1;
const ADD_I32 = 2;

// out[o(i) + index[ix(i)]·step] = src[s(i)] (mode 0, bits as-is), or += in f32
// (1) or i32 (2), in row-major order, so repeated positions accumulate and the
// last write wins. meta: shape, out's strides (0 along the indexed dim), the
// index's strides, src's strides.
export function scatter32(src: usize, index: usize, step: i32, out: usize, ndim: i32, meta: usize, mode: i32): void {
  const row = <usize>ndim << 2;
  const nd = coalesce(ndim, meta, meta + row, meta + 2 * row, meta + 3 * row);
  if (nd == 0) return;
  switch (mode) {
    case WRITE: stridedScatter(WRITE, src, index, step, out, nd); break;
    case ADD_F32: stridedScatter(ADD_F32, src, index, step, out, nd); break;
    case ADD_I32: stridedScatter(ADD_I32, src, index, step, out, nd); break;
    default: break;
  }
}

@inline function stridedScatter(mode: i32, src: usize, index: usize, step: i32, out: usize, nd: i32): void {
  const n = geti(SH, nd - 1);
  const so = geti(SA, nd - 1);
  const si = geti(SB, nd - 1);
  const ss = geti(SC, nd - 1);
  const rows = firstRow(nd);
  const stepBytes = <usize>step << 2;
  for (let r = 0; r < rows; r++) {
    scatterRow(mode, src + (offC << 2), index + (offB << 2), stepBytes, out + (offA << 2), n, so, si, ss);
    nextRow(nd);
  }
}

@inline function combine4(mode: i32, old: v128, v: v128): v128 {
  if (mode == ADD_F32) return f32x4.add(old, v);
  if (mode == ADD_I32) return i32x4.add(old, v);
  return v;
}

@inline function combine1(mode: i32, at: usize, v: usize): void {
  if (mode == ADD_F32) store<f32>(at, load<f32>(at) + load<f32>(v));
  else if (mode == ADD_I32) store<i32>(at, load<i32>(at) + load<i32>(v));
  else store<i32>(at, load<i32>(v));
}

@inline function scatterRow(mode: i32, src: usize, index: usize, stepBytes: usize, out: usize, n: i32, so: i32, si: i32, ss: i32): void {
  let i = 0;
  if (si == 0 && so == 1 && ss <= 1) {
    // One index for a row of distinct contiguous positions (the embedding's
    // and indexSelect's backward): whole vectors at once.
    const dst = out + <usize>load<i32>(index) * stepBytes;
    const s0 = i32x4.splat(load<i32>(src));
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = ss == 1 ? v128.load(src + o) : s0;
      v128.store(dst + o, combine4(mode, v128.load(dst + o), v));
    }
  }
  for (; i < n; i++) {
    const at = out + (<usize>i * <usize>so << 2) + <usize>load<i32>(index + (<usize>i * <usize>si << 2)) * stepBytes;
    combine1(mode, at, src + (<usize>i * <usize>ss << 2));
  }
}

// ---------------------------------------------------------------- bounds ---

// The position of the first of n contiguous i32 indices outside [0, bound),
// or -1: one unsigned compare catches negatives too.
export function indexBoundsI32(index: usize, n: i32, bound: i32): i32 {
  const vb = i32x4.splat(bound);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    if (v128.any_true(i32x4.ge_u(v128.load(index + (<usize>i << 2)), vb))) break;
  }
  for (; i < n; i++) {
    if (<u32>load<i32>(index + (<usize>i << 2)) >= <u32>bound) return i;
  }
  return -1;
}
