/**
 * The op table: one row per differentiable op of API.md's "Tensors" table, as PyTorch's OpInfo
 * and minitorch's op tables do. A row says how many tensor inputs the op takes, how to draw their
 * shapes and the op's other arguments (dims, indices, masks), which values keep it smooth, and
 * how to call Tessera. Every property test iterates this table, and `satisfies
 * Record<DifferentiableOp, OpInfo>` makes a name added to `DifferentiableOp` without a row (or a
 * row without a name) a compile error (`npx tsc -p property-tests`).
 */
import fc from 'fast-check';
import {
  add,
  sub,
  mul,
  div,
  pow,
  neg,
  abs,
  exp,
  log,
  sqrt,
  rsqrt,
  sin,
  cos,
  tanh,
  sigmoid,
  relu,
  gelu,
  clamp,
  maximum,
  minimum,
  where,
  matmul,
  bmm,
  sum,
  mean,
  var as variance,
  std,
  maxDim,
  minDim,
  max,
  min,
  softmax,
  logSoftmax,
  logsumexp,
  reshape,
  view,
  flatten,
  squeeze,
  unsqueeze,
  transpose,
  permute,
  expand,
  contiguous,
  slice,
  select,
  cat,
  stack,
  split,
  chunk,
  indexSelect,
  gather,
  tensor,
  type Tensor,
  floor,
  ceil,
  round,
  log1p,
  expm1,
  erf,
  remainder,
  prod,
  tril,
  triu,
  flip,
  roll,
  repeat,
  tile,
  nn,
  cumsum,
  cumprod,
  sort,
  topk,
  scatter,
  scatterAdd,
  indexAdd,
  einsum,
  zerosLike,
} from '../src/index.js';
import type { Tolerance } from './compare.js';
import { DISTINCT, NONZERO, POSITIVE, REAL, WIDE, broadcastArb, dimArb, dimsArb, numel, shapeArb, valuesFor, type Domain, type Sizes } from './arbitraries.js';

export const DIFFERENTIABLE_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'powScalar',
  'neg',
  'abs',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'relu',
  'gelu',
  'clamp',
  'maximum',
  'minimum',
  'where',
  'matmul',
  'bmm',
  'sum',
  'mean',
  'var',
  'std',
  'maxDim',
  'minDim',
  'max',
  'min',
  'softmax',
  'logSoftmax',
  'logsumexp',
  'reshape',
  'view',
  'flatten',
  'squeeze',
  'unsqueeze',
  'transpose',
  'permute',
  'expand',
  'contiguous',
  'slice',
  'select',
  'cat',
  'stack',
  'split',
  'chunk',
  'indexSelect',
  'gather',
  'floor',
  'ceil',
  'round',
  'log1p',
  'expm1',
  'erf',
  'geluTanh',
  'remainder',
  'prod',
  'leakyRelu',
  'silu',
  'elu',
  'softplus',
  'mish',
  'hardswish',
  'hardtanh',
  'relu6',
  'tril',
  'triu',
  'flip',
  'roll',
  'repeat',
  'tile',
  'pad',
  'cumsum',
  'cumprod',
  'sort',
  'topk',
  'scatter',
  'scatterAdd',
  'indexAdd',
  'einsum',
  'groupNorm',
  'rmsNorm',
  'huberLoss',
  'smoothL1Loss',
  'klDiv',
  'layerNorm',
] as const;

/** Every op whose gradient Tessera computes (`powScalar` is pow with a number exponent, `maxDim` is max(dim)). */
export type DifferentiableOp = (typeof DIFFERENTIABLE_OPS)[number];

/** One random call of an op: input shapes, the other arguments, and the call itself. */
export interface OpCase {
  readonly shapes: number[][];
  readonly args: unknown;
  readonly fn: (inputs: Tensor[]) => Tensor | Tensor[];
}

export interface OpInfo {
  /** Number of tensor inputs that receive gradients ('variadic' for cat and stack). */
  readonly arity: number | 'variadic';
  /** Where input values are drawn from: one domain for every input, or one per input. */
  readonly domain: Domain | readonly Domain[];
  /** Random calls with shapes no larger than `sizes`. */
  readonly sample: (sizes: Sizes) => fc.Arbitrary<OpCase>;
  /** wasm-vs-js tolerance in float32 when the default (rtol 1e-5, atol 1e-5) is too tight, with the reason next to it. */
  readonly float32?: Tolerance;
  /** The op rejects non-contiguous inputs (view, as in PyTorch), so tests never pass it strided ones. */
  readonly contiguousOnly?: boolean;
}

interface Sample<A> {
  shapes: number[][];
  args: A;
}

interface Row<A> {
  arity: number | 'variadic';
  domain: Domain | readonly Domain[];
  sample: (sizes: Sizes) => fc.Arbitrary<Sample<A>>;
  fn: (inputs: Tensor[], args: A) => Tensor | Tensor[];
  float32?: Tolerance;
  contiguousOnly?: boolean;
}

/** Binds a row's typed arguments into its calls, so rows with different argument types share one table. */
function op<A>(row: Row<A>): OpInfo {
  return {
    arity: row.arity,
    domain: row.domain,
    float32: row.float32,
    contiguousOnly: row.contiguousOnly,
    sample: (sizes) =>
      row.sample(sizes).map(({ shapes, args }) => ({
        shapes,
        args,
        fn: (inputs: Tensor[]) => row.fn(inputs, args),
        [fc.toStringMethod]: () => `shapes ${JSON.stringify(shapes)}, args ${JSON.stringify(args) ?? 'none'}`,
      })),
  };
}

/** Sizes for each of up to `count` inputs whose elements all reach the output (cat, stack). */
const perInput = (sizes: Sizes, count: number): Sizes => ({ ...sizes, maxNumel: Math.ceil(sizes.maxNumel / count) });
const noArgs = (shapes: fc.Arbitrary<number[][]>): fc.Arbitrary<Sample<undefined>> => shapes.map((s) => ({ shapes: s, args: undefined }));

/** Op on one tensor with no other arguments. */
function unary(domain: Domain, fn: (x: Tensor) => Tensor): OpInfo {
  return op({ arity: 1, domain, sample: (sizes) => noArgs(shapeArb(sizes).map((s) => [s])), fn: ([x]) => fn(x) });
}

/** Op on two tensors that broadcast. */
function binary(domain: Domain | readonly Domain[], fn: (a: Tensor, b: Tensor) => Tensor): OpInfo {
  return op({ arity: 2, domain, sample: (sizes) => noArgs(broadcastArb(sizes, 2)), fn: ([a, b]) => fn(a, b) });
}

/** Op on one tensor of rank ≥ minRank and arguments drawn for its shape (dims, sizes, indices). */
function alongDim<A>(
  minRank: number,
  extra: (shape: number[]) => fc.Arbitrary<A>,
  fn: (x: Tensor, args: A) => Tensor | Tensor[],
  domain: Domain = REAL,
): OpInfo {
  return op({
    arity: 1,
    domain,
    sample: (sizes) => shapeArb(sizes, minRank).chain((s) => extra(s).map((args) => ({ shapes: [s], args }))),
    fn: ([x], args) => fn(x, args),
  });
}

/** Which dims a reduction reduces: all (undefined), one dim, or a non-empty list (PyTorch reads [] as "all dims"; Tessera as "none"). */
const reduceDimArb = (shape: number[]): fc.Arbitrary<number | number[] | undefined> =>
  shape.length === 0 ? fc.oneof(fc.constant(undefined), dimArb(0)) : fc.oneof(fc.constant(undefined), dimArb(shape.length), dimsArb(shape.length));

const int32 = (values: number[], shape: number[], like: Tensor): Tensor => tensor(values, { shape, dtype: 'int32', device: like.device });

/** Target shapes with the same number of elements: flat, reversed, with a leading 1, or with -1 inferred. */
const reshapeTargetArb = (shape: number[]): fc.Arbitrary<number[]> =>
  fc.constantFrom([numel(shape)], [...shape].reverse(), [1, ...shape], [-1], shape.length > 0 ? [...shape.slice(0, -1), -1] : [-1]);

/** A permutation of 0..n-1. */
const permutationArb = (n: number): fc.Arbitrary<number[]> =>
  fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }).map((keys) => [...keys.keys()].sort((i, j) => keys[i] - keys[j]));

/** Shapes for matmul: vector·vector, vector·matrix, matrix·vector, matrix·matrix, and broadcast batches. */
function matmulShapes(sizes: Sizes): fc.Arbitrary<number[][]> {
  const dim = fc.noBias(fc.integer({ min: 1, max: sizes.maxMatrix }));
  const batch = fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 });
  return fc.tuple(dim, dim, dim, batch, fc.nat({ max: 6 }), fc.array(fc.boolean(), { minLength: 2, maxLength: 2 })).map(([m, k, n, b, kind, ones]) => {
    switch (kind) {
      case 0:
        return [[k], [k]];
      case 1:
        return [[k], [k, n]];
      case 2:
        return [[m, k], [k]];
      case 3:
        return [
          [m, k],
          [k, n],
        ];
      case 4:
        return [
          [...b, m, k],
          [k, n],
        ];
      case 5:
        return [
          [m, k],
          [...b, k, n],
        ];
      // Batches that broadcast against each other: [2, 1, m, k] · [3, k, n] → [2, 3, m, n].
      default:
        return [
          [...b.map((s, i) => (ones[i] ? 1 : s)), m, k],
          [...b.slice(1), k, n],
        ];
    }
  });
}

/**
 * Each element is a k-term dot product (k ≤ 40, |terms| ≤ 4) summed in a different order by the
 * blocked SIMD GEMM than by the plain loop, so the error scales with Σ|a·b| (up to 160), not with
 * the result, which cancellation can make small.
 */
const DOT_PRODUCT: Tolerance = { rtol: 1e-5, atol: 2e-5 };

const F = nn.functional;
type Reduction = 'mean' | 'sum' | 'none';
/** Away from the integers, where floor and ceil jump. */
const OFF_INTEGERS: Domain = { lo: -2.5, hi: 2.5, avoid: [-2, -1, 0, 1, 2], gap: 0.1 };
/** Away from the half-integers, where round jumps. */
const OFF_HALVES: Domain = { lo: -2.5, hi: 2.5, avoid: [-1.5, -0.5, 0.5, 1.5], gap: 0.1 };
/** Shapes of rank ≥ 2 for ops on the last two dims, with a diagonal offset. */
const diagonalArb = (): fc.Arbitrary<number> => fc.integer({ min: -3, max: 3 });
/** (before, after) pairs for the last dims, each in −1..2 for 'constant' and within the dim for the others. */
const padArb = (s: number[]) =>
  fc.constantFrom('constant', 'reflect', 'replicate', 'circular').chain((mode) => {
    const dims = Math.min(s.length, 3);
    return fc.integer({ min: 1, max: Math.max(dims, 1) }).chain((count) => {
      const sides = Array.from({ length: count * 2 }, (_, k) => {
        const n = s[s.length - 1 - Math.floor(k / 2)];
        const max = mode === 'reflect' ? n - 1 : mode === 'circular' ? n : 2;
        return fc.integer({ min: mode === 'constant' && n > 1 ? -1 : 0, max: Math.max(0, Math.min(max, 2)) });
      });
      return fc.tuple(...sides).map((pad) => ({ mode, pad, value: mode === 'constant' ? 0.5 : 0 }));
    });
  });

export const OPS = {
  add: binary(REAL, (a, b) => add(a, b)),
  sub: binary(REAL, (a, b) => sub(a, b)),
  mul: binary(REAL, (a, b) => mul(a, b)),
  div: binary([REAL, { lo: -2, hi: 2, avoid: [0], gap: 0.5 }], (a, b) => div(a, b)),
  pow: binary([POSITIVE, REAL], (a, b) => pow(a, b)),
  powScalar: alongDim(
    0,
    () => fc.constantFrom(-1.5, -1, 0.5, 2, 3),
    (x, p) => pow(x, p),
    POSITIVE,
  ),
  neg: unary(REAL, neg),
  abs: unary(NONZERO, abs),
  exp: unary(WIDE, exp),
  log: unary(POSITIVE, log),
  sqrt: unary(POSITIVE, sqrt),
  rsqrt: unary(POSITIVE, rsqrt),
  sin: unary(REAL, sin),
  cos: unary(REAL, cos),
  tanh: unary(WIDE, tanh),
  sigmoid: unary(WIDE, sigmoid),
  relu: unary(NONZERO, relu),
  gelu: unary(WIDE, gelu),
  clamp: alongDim(
    0,
    () => fc.constantFrom<[number | null, number | null]>([-0.5, 0.5], [-0.5, null], [null, 0.5]),
    (x, [lo, hi]) => clamp(x, lo, hi),
    { lo: -1.5, hi: 1.5, avoid: [-0.5, 0.5], gap: 0.1 },
  ),
  maximum: binary(DISTINCT, (a, b) => maximum(a, b)),
  minimum: binary(DISTINCT, (a, b) => minimum(a, b)),
  where: op({
    arity: 2,
    domain: REAL,
    sample: (sizes) =>
      broadcastArb(sizes, 3).chain(([c, a, b]) =>
        fc.array(fc.boolean(), { minLength: numel(c), maxLength: numel(c) }).map((mask) => ({ shapes: [a, b], args: { shape: c, mask } })),
      ),
    fn: ([a, b], { shape, mask }) => where(tensor(mask, { shape, dtype: 'bool', device: a.device }), a, b),
  }),
  matmul: op({ arity: 2, domain: REAL, sample: (sizes) => noArgs(matmulShapes(sizes)), fn: ([a, b]) => matmul(a, b), float32: DOT_PRODUCT }),
  bmm: op({
    arity: 2,
    domain: REAL,
    sample: (sizes) => {
      const dim = fc.noBias(fc.integer({ min: 1, max: sizes.maxMatrix }));
      return noArgs(
        fc.tuple(fc.integer({ min: 1, max: 3 }), dim, dim, dim).map(([b, m, k, n]) => [
          [b, m, k],
          [b, k, n],
        ]),
      );
    },
    fn: ([a, b]) => bmm(a, b),
    float32: DOT_PRODUCT,
  }),
  sum: alongDim(
    0,
    (s) => fc.tuple(reduceDimArb(s), fc.boolean()),
    (x, [dim, keepdim]) => sum(x, dim, keepdim),
  ),
  mean: alongDim(
    0,
    (s) => fc.tuple(reduceDimArb(s), fc.boolean()),
    (x, [dim, keepdim]) => mean(x, dim, keepdim),
  ),
  // Reduced dims have ≥ 2 elements: with correction 1 a single element has no variance (0/0).
  var: op({
    arity: 1,
    domain: REAL,
    sample: (sizes) =>
      shapeArb(sizes, 1, 2).chain((s) => fc.tuple(reduceDimArb(s), fc.boolean(), fc.constantFrom(0, 1)).map((args) => ({ shapes: [s], args }))),
    fn: ([x], [dim, keepdim, correction]) => variance(x, dim, { keepdim, correction }),
  }),
  std: op({
    arity: 1,
    domain: REAL,
    sample: (sizes) =>
      shapeArb(sizes, 1, 2).chain((s) => fc.tuple(reduceDimArb(s), fc.boolean(), fc.constantFrom(0, 1)).map((args) => ({ shapes: [s], args }))),
    fn: ([x], [dim, keepdim, correction]) => std(x, dim, { keepdim, correction }),
  }),
  maxDim: alongDim(
    0,
    (s) => fc.tuple(dimArb(s.length), fc.boolean()),
    (x, [dim, keepdim]) => maxDim(x, dim, keepdim).values,
    DISTINCT,
  ),
  minDim: alongDim(
    0,
    (s) => fc.tuple(dimArb(s.length), fc.boolean()),
    (x, [dim, keepdim]) => minDim(x, dim, keepdim).values,
    DISTINCT,
  ),
  max: unary(DISTINCT, max),
  min: unary(DISTINCT, min),
  softmax: alongDim(
    0,
    (s) => dimArb(s.length),
    (x, dim) => softmax(x, dim),
    WIDE,
  ),
  logSoftmax: alongDim(
    0,
    (s) => dimArb(s.length),
    (x, dim) => logSoftmax(x, dim),
    WIDE,
  ),
  logsumexp: alongDim(
    1,
    (s) => fc.tuple(fc.oneof(dimArb(s.length), dimsArb(s.length)), fc.boolean()),
    (x, [dim, keepdim]) => logsumexp(x, dim, keepdim),
    WIDE,
  ),
  reshape: alongDim(0, reshapeTargetArb, (x, target) => reshape(x, target)),
  view: op({
    arity: 1,
    domain: REAL,
    contiguousOnly: true,
    sample: (sizes) => shapeArb(sizes).chain((s) => reshapeTargetArb(s).map((target) => ({ shapes: [s], args: target }))),
    fn: ([x], target) => view(x, target),
  }),
  flatten: alongDim(
    0,
    (s) =>
      fc.tuple(dimArb(s.length), dimArb(s.length)).map(([a, b]) => {
        const n = Math.max(s.length, 1);
        return (a + n) % n <= (b + n) % n ? [a, b] : [b, a];
      }),
    (x, [start, end]) => flatten(x, start, end),
  ),
  // Dims of size 1 are what squeeze removes, so many are set to 1.
  squeeze: op({
    arity: 1,
    domain: REAL,
    sample: (sizes) =>
      shapeArb(sizes).chain((s) =>
        fc
          .tuple(fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }), fc.option(dimArb(s.length), { nil: undefined }))
          .map(([ones, dim]) => ({ shapes: [s.map((d, i) => (ones[i] ? 1 : d))], args: dim })),
      ),
    fn: ([x], dim) => squeeze(x, dim),
  }),
  unsqueeze: alongDim(
    0,
    (s) => dimArb(s.length + 1),
    (x, dim) => unsqueeze(x, dim),
  ),
  transpose: alongDim(
    0,
    (s) => fc.tuple(dimArb(s.length), dimArb(s.length)),
    (x, [a, b]) => transpose(x, a, b),
  ),
  permute: alongDim(
    0,
    (s) => permutationArb(s.length),
    (x, dims) => permute(x, dims),
  ),
  expand: op({
    arity: 1,
    domain: REAL,
    sample: (sizes) =>
      shapeArb(sizes).chain((target) =>
        fc.tuple(fc.nat({ max: target.length }), fc.array(fc.boolean(), { minLength: target.length, maxLength: target.length })).map(([drop, ones]) => {
          const input = target.map((s, i) => (ones[i] ? 1 : s)).slice(drop);
          // -1 keeps an input dim's size, as in PyTorch.
          const args = target.map((s, i) => (i >= drop && !ones[i] && s % 2 === 0 ? -1 : s));
          return { shapes: [input], args };
        }),
      ),
    fn: ([x], target) => expand(x, target),
  }),
  // contiguous copies only a non-contiguous input, so the row makes one with a permutation.
  contiguous: alongDim(
    2,
    (s) => permutationArb(s.length),
    (x, dims) => contiguous(permute(x, dims)),
  ),
  slice: alongDim(
    1,
    (s) =>
      fc.integer({ min: 0, max: s.length - 1 }).chain((dim) => {
        const n = s[dim];
        const bound = fc.option(fc.integer({ min: -n - 1, max: n + 1 }), { nil: null });
        return fc.tuple(fc.constant(dim - (dim % 2) * s.length), bound, bound, fc.integer({ min: 1, max: 3 }));
      }),
    (x, [dim, start, end, step]) => slice(x, dim, start, end, step),
  ),
  select: alongDim(
    1,
    (s) => fc.integer({ min: 0, max: s.length - 1 }).chain((dim) => fc.tuple(fc.constant(dim), fc.integer({ min: -s[dim], max: s[dim] - 1 }))),
    (x, [dim, index]) => select(x, dim, index),
  ),
  cat: op({
    arity: 'variadic',
    domain: REAL,
    sample: (sizes) =>
      shapeArb(perInput(sizes, 3), 1).chain((s) =>
        fc
          .tuple(fc.integer({ min: 0, max: s.length - 1 }), fc.array(fc.integer({ min: 0, max: sizes.maxSize }), { minLength: 1, maxLength: 3 }))
          .map(([dim, lengths]) => ({ shapes: lengths.map((len) => s.map((d, i) => (i === dim ? len : d))), args: dim })),
      ),
    fn: (inputs, dim) => cat(inputs, dim),
  }),
  stack: op({
    arity: 'variadic',
    domain: REAL,
    sample: (sizes) =>
      shapeArb(perInput(sizes, 3)).chain((s) =>
        fc.tuple(fc.integer({ min: 1, max: 3 }), dimArb(s.length + 1)).map(([count, dim]) => ({ shapes: Array.from({ length: count }, () => s), args: dim })),
      ),
    fn: (inputs, dim) => stack(inputs, dim),
  }),
  split: alongDim(
    1,
    (s) =>
      fc.integer({ min: 0, max: s.length - 1 }).chain((dim) => {
        const n = s[dim];
        const sections = fc.array(fc.nat({ max: n }), { minLength: 1, maxLength: 3 }).map((cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), n];
          return points.slice(1).map((p, i) => p - points[i]);
        });
        return fc.tuple(fc.constant(dim), fc.oneof(fc.integer({ min: 1, max: n + 1 }), sections));
      }),
    (x, [dim, sizeOrSections]) => split(x, sizeOrSections, dim),
  ),
  chunk: alongDim(
    1,
    (s) => fc.tuple(fc.integer({ min: 1, max: 5 }), dimArb(s.length)),
    (x, [chunks, dim]) => chunk(x, chunks, dim),
  ),
  // Repeated indices are drawn on purpose: their gradients must add up.
  indexSelect: alongDim(
    1,
    (s) => fc.integer({ min: 0, max: s.length - 1 }).chain((dim) => fc.tuple(fc.constant(dim), fc.array(fc.nat({ max: s[dim] - 1 }), { maxLength: 5 }))),
    (x, [dim, index]) => indexSelect(x, dim, int32(index, [index.length], x)),
  ),
  gather: alongDim(
    1,
    (s) =>
      fc.integer({ min: 0, max: s.length - 1 }).chain((dim) => {
        const sizesOf = fc.tuple(...s.map((d, i) => fc.integer({ min: 1, max: i === dim ? 4 : d })));
        return sizesOf.chain((shape) =>
          fc.array(fc.nat({ max: s[dim] - 1 }), { minLength: numel(shape), maxLength: numel(shape) }).map((index) => ({ dim, shape, index })),
        );
      }),
    (x, { dim, shape, index }) => gather(x, dim, int32(index, shape, x)),
  ),
  floor: unary(OFF_INTEGERS, floor),
  ceil: unary(OFF_INTEGERS, ceil),
  round: alongDim(
    0,
    () => fc.constantFrom(0, 1),
    (x, decimals) => round(x, { decimals }),
    OFF_HALVES,
  ),
  log1p: unary(POSITIVE, log1p),
  expm1: unary(WIDE, expm1),
  erf: unary(REAL, erf),
  geluTanh: unary(WIDE, (x) => gelu(x, { approximate: 'tanh' })),
  remainder: binary([REAL, { lo: 0.5, hi: 2 }], (a, b) => remainder(a, b)),
  prod: alongDim(
    0,
    (s) => fc.tuple(fc.option(dimArb(s.length), { nil: undefined }), fc.boolean()),
    (x, [dim, keepdim]) => prod(x, dim, keepdim),
  ),
  leakyRelu: alongDim(
    0,
    () => fc.constantFrom(0.01, 0.2, -0.5),
    (x, slope) => F.leakyRelu(x, slope),
    NONZERO,
  ),
  silu: unary(WIDE, F.silu),
  elu: alongDim(
    0,
    () => fc.constantFrom(1, 0.5),
    (x, alpha) => F.elu(x, alpha),
    NONZERO,
  ),
  softplus: alongDim(
    0,
    () => fc.constantFrom(0.5, 1, 2),
    (x, beta) => F.softplus(x, { beta }),
    WIDE,
  ),
  mish: unary(WIDE, F.mish),
  hardswish: unary({ lo: -4, hi: 4, avoid: [-3, 3], gap: 0.1 }, F.hardswish),
  hardtanh: alongDim(
    0,
    () => fc.constantFrom<[number, number]>([-1, 1], [-0.5, 2]),
    (x, [minVal, maxVal]) => F.hardtanh(x, { minVal, maxVal }),
    { lo: -2.5, hi: 2.5, avoid: [-1, -0.5, 1, 2], gap: 0.1 },
  ),
  relu6: unary({ lo: -2, hi: 8, avoid: [0, 6], gap: 0.1 }, F.relu6),
  tril: alongDim(2, diagonalArb, (x, diagonal) => tril(x, diagonal)),
  triu: alongDim(2, diagonalArb, (x, diagonal) => triu(x, diagonal)),
  flip: alongDim(
    1,
    (s) => fc.uniqueArray(fc.integer({ min: 0, max: s.length - 1 }), { minLength: 1, maxLength: s.length }),
    (x, dims) => flip(x, dims),
  ),
  roll: op({
    arity: 1,
    domain: REAL,
    sample: (sizes) =>
      shapeArb(sizes, 1).chain((s) =>
        fc.oneof(
          fc.integer({ min: -5, max: 5 }).map((shift) => ({ shapes: [s], args: { shifts: [shift], dims: undefined as number[] | undefined } })),
          fc
            .uniqueArray(fc.integer({ min: 0, max: s.length - 1 }), { minLength: 1, maxLength: s.length })
            .chain((dims) =>
              fc
                .array(fc.integer({ min: -5, max: 5 }), { minLength: dims.length, maxLength: dims.length })
                .map((shifts) => ({ shapes: [s], args: { shifts, dims } })),
            ),
        ),
      ),
    fn: ([x], { shifts, dims }) => roll(x, dims ? shifts : shifts[0], dims),
  }),
  repeat: alongDim(
    0,
    (s) => fc.array(fc.integer({ min: 1, max: 3 }), { minLength: s.length, maxLength: s.length + 1 }),
    (x, sizes) => repeat(x, sizes),
  ),
  tile: alongDim(
    0,
    (s) => fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: s.length + 1 }),
    (x, dims) => tile(x, dims),
  ),
  pad: alongDim(1, padArb, (x, { mode, pad, value }) => F.pad(x, pad, { mode: mode as 'constant', value })),
  cumsum: alongDim(
    0,
    (s) => dimArb(s.length),
    (x, dim) => cumsum(x, dim),
  ),
  cumprod: alongDim(
    0,
    (s) => dimArb(s.length),
    (x, dim) => cumprod(x, dim),
  ),
  sort: alongDim(
    0,
    (s) => fc.tuple(dimArb(s.length), fc.boolean()),
    (x, [dim, descending]) => sort(x, { dim, descending }).values,
    DISTINCT,
  ),
  topk: alongDim(
    0,
    (s) =>
      dimArb(s.length).chain((dim) =>
        fc.tuple(fc.constant(dim), fc.integer({ min: s.length === 0 ? 1 : 0, max: s.length === 0 ? 1 : s[(dim + s.length) % s.length] }), fc.boolean()),
      ),
    (x, [dim, k, largest]) => topk(x, k, { dim, largest }).values,
    DISTINCT,
  ),
  // Distinct positions per line along dim: where two writes hit one element, which one wins is unspecified (as in PyTorch).
  scatter: op({
    arity: 2,
    domain: REAL,
    sample: (sizes) => scatterCaseArb(sizes, true),
    fn: ([x, src], { dim, shape, index }) => scatter(x, dim, int32(index, shape, x), src),
  }),
  scatterAdd: op({
    arity: 2,
    domain: REAL,
    sample: (sizes) => scatterCaseArb(sizes, false),
    fn: ([x, src], { dim, shape, index }) => scatterAdd(x, dim, int32(index, shape, x), src),
  }),
  indexAdd: op({
    arity: 2,
    domain: REAL,
    sample: (sizes) =>
      shapeArb(sizes, 1).chain((s) =>
        fc.integer({ min: 0, max: s.length - 1 }).chain((dim) =>
          fc.tuple(fc.array(fc.nat({ max: s[dim] - 1 }), { maxLength: 4 }), fc.constantFrom(1, -0.5)).map(([index, alpha]) => ({
            shapes: [s, s.map((d, i) => (i === dim ? index.length : d))],
            args: { dim, index, alpha },
          })),
        ),
      ),
    fn: ([x, source], { dim, index, alpha }) => indexAdd(x, dim, int32(index, [index.length], x), source, { alpha }),
  }),
  einsum: op({
    arity: 'variadic',
    domain: REAL,
    sample: (sizes) => {
      const n = fc.integer({ min: 1, max: sizes.maxMatrix });
      return fc
        .tuple(
          n,
          n,
          n,
          n,
          fc.constantFrom('ij,jk->ik', 'bij,bjk->bik', 'ii->i', 'ij->', 'i,j->ij', 'ij,ij->i', 'bhqd,bhkd->bhqk', '...ij->...ji', 'ijk,jl,kl->i'),
        )
        .map(([a, b, c, d, equation]) => {
          const shapes: Record<string, number[][]> = {
            'ij,jk->ik': [
              [a, b],
              [b, c],
            ],
            'bij,bjk->bik': [
              [2, a, b],
              [1, b, c],
            ],
            'ii->i': [[a, a]],
            'ij->': [[a, b]],
            'i,j->ij': [[a], [b]],
            'ij,ij->i': [
              [a, b],
              [a, b],
            ],
            'bhqd,bhkd->bhqk': [
              [1, 2, a, b],
              [1, 2, c, b],
            ],
            '...ij->...ji': [[2, a, b]],
            'ijk,jl,kl->i': [
              [a, b, c],
              [b, d],
              [c, d],
            ],
          };
          return { shapes: shapes[equation], args: equation };
        });
    },
    fn: (inputs, equation) => einsum(equation, ...inputs),
    float32: DOT_PRODUCT,
  }),
  layerNorm: op({
    arity: 3,
    domain: REAL,
    sample: (sizes) =>
      shapeArb(sizes, 1, 2).chain((s) =>
        fc.integer({ min: 1, max: Math.min(2, s.length) }).map((k) => {
          const normalized = s.slice(s.length - k);
          return { shapes: [s, normalized, normalized], args: normalized };
        }),
      ),
    fn: ([x, w, b], normalized) => F.layerNorm(x, normalized, w, b, 1e-5),
    float32: { rtol: 1e-4, atol: 1e-4 },
  }),
  groupNorm: op({
    arity: 3,
    domain: REAL,
    sample: () =>
      fc
        .tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom(1, 2), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }))
        .map(([n, groups, perGroup, rest]) => {
          const c = groups * perGroup;
          // Each group normalises ≥ 2 values, so its variance is not 0 (where 1/√(var + eps) is steep).
          return { shapes: [[n, c, Math.max(rest, perGroup === 1 ? 2 : 1)], [c], [c]], args: groups };
        }),
    fn: ([x, w, b], groups) => F.groupNorm(x, groups, w, b, 1e-5),
    float32: { rtol: 1e-4, atol: 1e-4 },
  }),
  rmsNorm: op({
    arity: 2,
    domain: NONZERO,
    sample: (sizes) => shapeArb(sizes, 1).map((s) => ({ shapes: [s, [s[s.length - 1]]], args: undefined })),
    fn: ([x, w]) => F.rmsNorm(x, [w.shape[0]], w, 1e-5),
    float32: { rtol: 1e-4, atol: 1e-5 },
  }),
  // Against a zero target, so input − target stays away from the kinks at ±delta / ±beta (the
  // target's gradient is the input's negated, by the same expression).
  huberLoss: alongDim(
    0,
    () => fc.constantFrom<Reduction>('mean', 'sum', 'none'),
    (x, reduction) => F.huberLoss(x, zerosLike(x), { reduction, delta: 0.75 }),
    { lo: -2, hi: 2, avoid: [-0.75, 0.75], gap: 0.05 },
  ),
  smoothL1Loss: alongDim(
    0,
    () => fc.constantFrom<Reduction>('mean', 'sum', 'none'),
    (x, reduction) => F.smoothL1Loss(x, zerosLike(x), { reduction, beta: 0.6 }),
    { lo: -2, hi: 2, avoid: [-0.6, 0.6], gap: 0.05 },
  ),
  klDiv: op({
    arity: 2,
    domain: [REAL, POSITIVE],
    sample: (sizes) =>
      shapeArb(sizes, 1).chain((s) =>
        fc
          .tuple(fc.constantFrom<Reduction | 'batchmean'>('mean', 'batchmean', 'sum', 'none'), fc.boolean())
          .map(([reduction, logTarget]) => ({ shapes: [s, s], args: { reduction, logTarget } })),
      ),
    fn: ([x, t], options) => F.klDiv(x, t, options),
  }),
} satisfies Record<DifferentiableOp, OpInfo>;

/** x, src and an index into x whose positions along dim are distinct within each line (when `distinct`). */
function scatterCaseArb(sizes: Sizes, distinct: boolean) {
  return shapeArb(perInput(sizes, 2), 1).chain((s) =>
    fc.integer({ min: 0, max: s.length - 1 }).chain((dim) =>
      fc.tuple(...s.map((d, i) => fc.integer({ min: 1, max: i === dim && distinct ? d : d + (i === dim ? 2 : 0) }))).chain((shape) => {
        const lines = numel(shape) / shape[dim];
        const line = distinct
          ? fc.uniqueArray(fc.nat({ max: s[dim] - 1 }), { minLength: shape[dim], maxLength: shape[dim] })
          : fc.array(fc.nat({ max: s[dim] - 1 }), { minLength: shape[dim], maxLength: shape[dim] });
        return fc.array(line, { minLength: lines, maxLength: lines }).map((perLine) => {
          // perLine[l][k] is the k-th index of line l; lay them out in index's row-major order.
          const index = new Array<number>(numel(shape));
          const inner = numel(shape.slice(dim + 1));
          for (let l = 0; l < lines; l++) {
            const o = Math.floor(l / inner),
              j = l % inner;
            for (let k = 0; k < shape[dim]; k++) index[(o * shape[dim] + k) * inner + j] = perLine[l][k];
          }
          return { shapes: [s, shape], args: { dim, shape, index } };
        });
      }),
    ),
  );
}

/** Input values for one call: drawn per input when the row has a domain per input, else jointly (so `distinct` holds across inputs). */
export function inputValues(info: OpInfo, shapes: readonly number[][], seed: number): number[][] {
  const { domain } = info;
  if (!isDomainList(domain)) return valuesFor(domain, shapes, seed);
  return shapes.map((s, i) => valuesFor(domain[i], [s], seed + i)[0]);
}

function isDomainList(domain: Domain | readonly Domain[]): domain is readonly Domain[] {
  return Array.isArray(domain);
}
