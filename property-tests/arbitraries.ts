/**
 * Generators the op table builds its samples from: shapes (with broadcasting), dims, and input
 * values drawn from an op's domain. Values come from a seeded PRNG rather than one fc.double per
 * element, so a 70×70 input costs one draw; a failing case prints its shapes and value seed.
 */
import fc from 'fast-check';
import { tensor, type Device, type DType, type Tensor } from '../src/index.js';

/** How large generated shapes may get. */
export interface Sizes {
  readonly maxRank: number;
  readonly maxSize: number;
  /** Dims are shrunk (largest first) until a shape has at most this many elements. */
  readonly maxNumel: number;
  /** Largest m, k, n of a matmul. */
  readonly maxMatrix: number;
}

/** Small enough that a gradcheck (two forwards per input element per output element) stays cheap. */
export const SMALL: Sizes = { maxRank: 4, maxSize: 4, maxNumel: 24, maxMatrix: 4 };
/** Large enough that SIMD kernels run whole f32x4 blocks and their scalar tails. */
export const LARGE: Sizes = { maxRank: 3, maxSize: 70, maxNumel: 4900, maxMatrix: 40 };

/** Where an op is smooth: values in [lo, hi], ≥ `gap` from each `avoid` point; `distinct` keeps all elements of all inputs ≥ (hi − lo)/(2n) apart. */
export interface Domain {
  readonly lo: number;
  readonly hi: number;
  readonly avoid?: readonly number[];
  readonly gap?: number;
  readonly distinct?: boolean;
}

export const REAL: Domain = { lo: -2, hi: 2 };
/** Wide enough to reach exp's range reduction and the saturated tails of sigmoid, tanh and gelu. */
export const WIDE: Domain = { lo: -10, hi: 10 };
export const POSITIVE: Domain = { lo: 0.1, hi: 3 };
/** Away from the kink at 0 (abs, relu). */
export const NONZERO: Domain = { lo: -2, hi: 2, avoid: [0], gap: 0.1 };
/** No ties, so max/min/maximum/minimum pick one element and central differences never straddle a switch. */
export const DISTINCT: Domain = { lo: -3, hi: 3, distinct: true };

export function numel(shape: readonly number[]): number {
  return shape.reduce((n, s) => n * s, 1);
}

/** Shrinks the largest dim until the shape holds at most `max` elements. */
function capNumel(shape: number[], max: number): number[] {
  const s = [...shape];
  while (numel(s) > max) {
    const i = s.indexOf(Math.max(...s));
    s[i] = Math.ceil(s[i] / 2);
  }
  return s;
}

/** A shape of rank minRank..sizes.maxRank with dims in minSize..sizes.maxSize. */
export function shapeArb(sizes: Sizes, minRank = 0, minSize = 1): fc.Arbitrary<number[]> {
  // NOTE: unbiased draws: fast-check's default bias towards small values would make most tensors 0-d or tiny.
  const dim = fc.noBias(fc.integer({ min: minSize, max: sizes.maxSize }));
  return fc
    .noBias(fc.integer({ min: minRank, max: Math.max(minRank, sizes.maxRank) }))
    .chain((rank) => fc.array(dim, { minLength: rank, maxLength: rank }))
    .map((s) => capNumel(s, sizes.maxNumel))
    .map((s) => s.map((d) => Math.max(d, minSize)));
}

/** `count` shapes that broadcast together: each is a common shape with some leading dims dropped and some others set to 1 ([3, 1] with [4] included). */
export function broadcastArb(sizes: Sizes, count: number): fc.Arbitrary<number[][]> {
  return shapeArb(sizes).chain((out) => {
    const one = fc
      .tuple(
        fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, fc.noBias(fc.nat({ max: out.length }))),
        fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
      )
      .map(([drop, ones]) => out.map((s, i) => (ones[i] ? 1 : s)).slice(drop));
    return fc.array(one, { minLength: count, maxLength: count });
  });
}

/** A dim of a tensor of rank `ndim` (negative half the time, as users write -1). */
export function dimArb(ndim: number): fc.Arbitrary<number> {
  const n = Math.max(ndim, 1);
  return fc.integer({ min: -n, max: n - 1 });
}

/** 1..ndim distinct dims of a tensor of rank `ndim ≥ 1`. */
export function dimsArb(ndim: number): fc.Arbitrary<number[]> {
  return fc.uniqueArray(fc.nat({ max: ndim - 1 }), { minLength: 1, maxLength: ndim });
}

/** A PRNG (mulberry32) returning floats in [0, 1): tests need values, not a library's generator. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values for inputs of the given shapes, drawn from `domain` with `seed`. */
export function valuesFor(domain: Domain, shapes: readonly (readonly number[])[], seed: number): number[][] {
  const random = prng(seed);
  const total = shapes.reduce((n, s) => n + numel(s), 0);
  const { lo, hi } = domain;
  let flat: number[];
  if (domain.distinct) {
    // A random permutation of evenly spaced slots, jittered inside each slot.
    const keys = Array.from({ length: total }, () => random());
    const rank = new Array<number>(total);
    [...keys.keys()].sort((i, j) => keys[i] - keys[j]).forEach((i, r) => (rank[i] = r));
    const slot = (hi - lo) / Math.max(total, 1);
    flat = rank.map((r) => lo + (r + 0.25 + 0.5 * random()) * slot);
  } else {
    flat = Array.from({ length: total }, () => lo + (hi - lo) * random());
    const gap = domain.gap ?? 0;
    for (const p of domain.avoid ?? []) {
      flat = flat.map((v) => (Math.abs(v - p) >= gap ? v : v >= p ? p + gap : p - gap));
    }
  }
  let start = 0;
  return shapes.map((s) => flat.slice(start, (start += numel(s))));
}

/** Leaf tensors holding `values`, one per shape. */
export function leaves(values: number[][], shapes: readonly (readonly number[])[], dtype: DType, device: Device): Tensor[] {
  return shapes.map((shape, i) => tensor(values[i], { shape, dtype, device, requiresGrad: true }));
}

/** The dims of a rank-n tensor in reverse order; the permutation is its own inverse. */
export function reversedDims(ndim: number): number[] {
  return Array.from({ length: ndim }, (_, i) => ndim - 1 - i);
}

/**
 * Leaves stored with their dims reversed, so `permute(reversedDims)` of each is a non-contiguous
 * view (for rank ≥ 2) holding `values` in the logical shape: ops see strided inputs, and
 * gradients still land in leaves.
 */
export function stridedLeaves(values: number[][], shapes: readonly (readonly number[])[], dtype: DType, device: Device): Tensor[] {
  return shapes.map((shape, i) => {
    const base = tensor(values[i], { shape, dtype, device });
    return base.permute(reversedDims(shape.length)).contiguous().requiresGrad_(true);
  });
}

/** The logical view of a leaf made by stridedLeaves. */
export function logical(leaf: Tensor): Tensor {
  return leaf.permute(reversedDims(leaf.ndim));
}
