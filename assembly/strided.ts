// Strided iteration shared by the strided kernels (elementwise.ts, indexing.ts):
// dims are coalesced, then rows of the innermost dim are walked with an
// odometer. Shapes and strides come in i32 rows of a meta block written by the
// TS backend; strides are in elements. Nothing here allocates.

// Static scratch (below __heap_base) for the coalesced shape, up to three
// operands' strides and the odometer; kernels are never re-entered, so one
// copy suffices.
const MAX_DIMS = 64;
export const SH: usize = memory.data(MAX_DIMS * 4, 16);
export const SA: usize = memory.data(MAX_DIMS * 4, 16);
export const SB: usize = memory.data(MAX_DIMS * 4, 16);
export const SC: usize = memory.data(MAX_DIMS * 4, 16);
const IDX: usize = memory.data(MAX_DIMS * 4, 16);

@inline export function geti(base: usize, i: i32): i32 { return load<i32>(base + (<usize>i << 2)); }
@inline function seti(base: usize, i: i32, v: i32): void { store<i32>(base + (<usize>i << 2), v); }

// Drops size-1 dims and merges neighbours that are jointly contiguous in all
// three operands (pass one stride row twice for two operands), so e.g. a
// contiguous [2,3,4] op becomes one 24-long row and a scalar broadcast a
// single stride-0 row. Writes SH/SA/SB/SC and returns the new ndim (≥ 1), or
// 0 if the shape has no elements.
export function coalesce(ndim: i32, shape: usize, sa: usize, sb: usize, sc: usize): i32 {
  // Trap rather than overrun the static scratch (torch's limit is 64 too).
  if (ndim > MAX_DIMS) unreachable();
  let nd = 0;
  for (let d = 0; d < ndim; d++) {
    const s = geti(shape, d);
    if (s == 0) return 0;
    if (s == 1) continue;
    const a = geti(sa, d);
    const b = geti(sb, d);
    const c = geti(sc, d);
    if (nd > 0) {
      const ps = geti(SH, nd - 1);
      if (geti(SA, nd - 1) == a * s && geti(SB, nd - 1) == b * s && geti(SC, nd - 1) == c * s) {
        seti(SH, nd - 1, ps * s);
        seti(SA, nd - 1, a);
        seti(SB, nd - 1, b);
        seti(SC, nd - 1, c);
        continue;
      }
    }
    seti(SH, nd, s);
    seti(SA, nd, a);
    seti(SB, nd, b);
    seti(SC, nd, c);
    nd++;
  }
  if (nd == 0) {
    seti(SH, 0, 1);
    seti(SA, 0, 0);
    seti(SB, 0, 0);
    seti(SC, 0, 0);
    nd = 1;
  }
  return nd;
}

// The odometer over the outer dims [0, nd-1): the element offsets of the
// three operands at the current row.
export let offA: usize = 0;
export let offB: usize = 0;
export let offC: usize = 0;

// Rows = product of the outer dims; resets the odometer to the first row.
@inline export function firstRow(nd: i32): i32 {
  let rows = 1;
  for (let d = 0; d < nd - 1; d++) {
    rows *= geti(SH, d);
    seti(IDX, d, 0);
  }
  offA = 0;
  offB = 0;
  offC = 0;
  return rows;
}

// Advances the odometer one row.
@inline export function nextRow(nd: i32): void {
  for (let d = nd - 2; d >= 0; d--) {
    const k = geti(IDX, d) + 1;
    const s = geti(SH, d);
    offA += <usize>geti(SA, d);
    offB += <usize>geti(SB, d);
    offC += <usize>geti(SC, d);
    if (k < s) {
      seti(IDX, d, k);
      return;
    }
    seti(IDX, d, 0);
    offA -= <usize>geti(SA, d) * <usize>s;
    offB -= <usize>geti(SB, d) * <usize>s;
    offC -= <usize>geti(SC, d) * <usize>s;
  }
}

// n 4-byte elements from x (element stride s) to contiguous out, bits as-is.
@inline export function copyRow(x: usize, out: usize, n: i32, s: i32): void {
  let i = 0;
  if (s == 1) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, v128.load(x + o));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<i32>(out + o, load<i32>(x + o));
    }
  } else if (s == 0) {
    const v = load<i32>(x);
    const vv = i32x4.splat(v);
    for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), vv);
    for (; i < n; i++) store<i32>(out + (<usize>i << 2), v);
  } else {
    const dx = <usize>s << 2;
    let q = x;
    for (; i < n; i++) {
      store<i32>(out + (<usize>i << 2), load<i32>(q));
      q += dx;
    }
  }
}
