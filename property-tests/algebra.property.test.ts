import fc from 'fast-check';
import { describe, it } from 'vitest';
import { cat, split, tensor, tidy, type Device, type DType, type Tensor } from '../src/index.js';
import { REAL, broadcastArb, dimArb, shapeArb, valuesFor, type Sizes } from './arbitraries.js';
import { assertBitwise, assertClose, type Tolerance } from './compare.js';

/** Fixed for reproducible runs; set PROPERTY_SEED to explore others. */
const SEED = Number(process.env.PROPERTY_SEED ?? 1337);
const RUNS = { seed: SEED, numRuns: 40 };
const SIZES: Sizes = { maxRank: 4, maxSize: 9, maxNumel: 600, maxMatrix: 24 };

interface Backend {
  device: Device;
  dtype: DType;
  /** For identities that hold exactly in real arithmetic but round differently in floating point. */
  tol: Tolerance;
}

// float32 on the SIMD kernels, float64 on the reference loops.
const BACKENDS: Backend[] = [
  { device: 'wasm', dtype: 'float32', tol: { rtol: 1e-5, atol: 1e-5 } },
  { device: 'js', dtype: 'float64', tol: { rtol: 1e-12, atol: 1e-12 } },
];

/** A shape and a seed for its values in [-2, 2]. */
const tensorArb = (sizes: Sizes = SIZES, minRank = 0) => fc.tuple(shapeArb(sizes, minRank), fc.nat());

describe.each(BACKENDS)('algebraic identities on $device ($dtype)', ({ device, dtype, tol }) => {
  const make = (shape: readonly number[], seed: number, values = valuesFor(REAL, [shape], seed)[0]): Tensor => tensor(values, { shape, dtype, device });
  const property = <T>(arb: fc.Arbitrary<T>, check: (value: T) => void) =>
    fc.assert(
      fc.property(arb, (v) => tidy(() => check(v))),
      RUNS,
    );

  it('(a·b)ᵀ equals bᵀ·aᵀ', () => {
    const dim = fc.integer({ min: 1, max: SIZES.maxMatrix });
    property(fc.tuple(dim, dim, dim, fc.nat()), ([m, k, n, seed]) => {
      const a = make([m, k], seed);
      const b = make([k, n], seed + 1);
      assertClose('(a·b)ᵀ vs bᵀ·aᵀ', b.t().matmul(a.t()), a.matmul(b).t(), tol);
    });
  });

  it('softmax rows sum to 1 and lie in [0, 1] for any finite input', () => {
    const finite = dtype === 'float32' ? fc.float({ noNaN: true, noDefaultInfinity: true }) : fc.double({ noNaN: true, noDefaultInfinity: true });
    // Large magnitudes (±80, where exp overflows float32 unless the max is subtracted) and any finite value.
    const value = fc.oneof(fc.double({ min: -80, max: 80, noNaN: true }), fc.constantFrom(-80, 80), finite);
    const rows = fc.integer({ min: 1, max: 6 });
    const cols = fc.integer({ min: 1, max: 70 });
    property(
      fc.tuple(rows, cols).chain(([r, c]) => fc.tuple(fc.constant([r, c]), fc.array(value, { minLength: r * c, maxLength: r * c }))),
      ([shape, values]) => {
        const p = make(shape, 0, values).softmax(1);
        const probs = p.toArray();
        for (let i = 0; i < probs.length; i++) {
          if (!(probs[i] >= 0 && probs[i] <= 1)) throw new Error(`softmax element ${i} is ${probs[i]}, outside [0, 1]`);
        }
        // Summing cols values each rounded to ε costs up to cols·ε.
        assertClose('row sums of softmax', p.sum(1), new Array(shape[0]).fill(1), { rtol: 0, atol: shape[1] * (dtype === 'float32' ? 1.2e-7 : 2.3e-16) });
      },
    );
  });

  it('logSoftmax equals log(softmax)', () => {
    // Inputs within ±20 keep softmax above float32's smallest normal, so its log is finite.
    property(
      tensorArb(SIZES, 1).chain(([s, seed]) => dimArb(s.length).map((dim) => [s, dim, seed] as const)),
      ([shape, dim, seed]) => {
        const x = make(shape, seed, valuesFor({ lo: -20, hi: 20 }, [shape], seed)[0]);
        assertClose('logSoftmax vs log(softmax)', x.logSoftmax(dim), x.softmax(dim).log(), { rtol: tol.rtol, atol: tol.atol * 10 });
      },
    );
  });

  it('x + y − y ≈ x', () => {
    property(fc.tuple(broadcastArb(SIZES, 2), fc.nat()), ([[xs, ys], seed]) => {
      const x = make(xs, seed);
      const y = make(ys, seed + 1);
      const back = x.add(y).sub(y);
      // Rounding x + y costs ε·|x + y| ≤ ε·4 with |x|, |y| ≤ 2.
      assertClose('x + y − y vs x', back, x.expand([...back.shape]), { rtol: 0, atol: 4 * (dtype === 'float32' ? 1.2e-7 : 2.3e-16) });
    });
  });

  it('the sum over all dims equals the sums taken one dim at a time, in any order', () => {
    property(
      tensorArb().chain(([s, seed]) =>
        fc.tuple(
          fc.constant(s),
          fc.constant(seed),
          fc.shuffledSubarray(
            s.map((_, i) => i),
            { minLength: s.length, maxLength: s.length },
          ),
        ),
      ),
      ([shape, seed, order]) => {
        const x = make(shape, seed);
        let partial = x;
        // Reducing the highest remaining dim first keeps the other dims' numbers valid.
        for (const d of [...order].sort((a, b) => b - a)) partial = partial.sum(d);
        const ordered = order.reduce((t, d, i) => t.sum(d - order.slice(0, i).filter((e) => e < d).length), x);
        assertClose('sum() vs per-dim sums (descending)', partial, x.sum(), { rtol: tol.rtol, atol: tol.atol * 10 });
        assertClose('sum() vs per-dim sums (shuffled)', ordered, x.sum(), { rtol: tol.rtol, atol: tol.atol * 10 });
      },
    );
  });

  it('transposing twice is the identity, bit for bit', () => {
    property(
      tensorArb(SIZES, 1).chain(([s, seed]) => fc.tuple(fc.constant(s), fc.constant(seed), dimArb(s.length), dimArb(s.length))),
      ([shape, seed, a, b]) => {
        const x = make(shape, seed);
        const twice = x.transpose(a, b).transpose(a, b);
        assertBitwise('x.transpose(a, b).transpose(a, b)', twice, x);
        assertBitwise('its shape', twice.shape, x.shape);
      },
    );
  });

  it('reshape there and back is the identity, bit for bit', () => {
    property(
      tensorArb().chain(([s, seed]) => fc.tuple(fc.constant(s), fc.constant(seed), fc.shuffledSubarray(s))),
      ([shape, seed, target]) => {
        const x = make(shape, seed);
        // target holds some of the dims; -1 absorbs the rest.
        const y = x.reshape([...target, -1]).reshape(shape);
        assertBitwise('x.reshape(t).reshape(x.shape)', y, x);
        assertBitwise('its shape', y.shape, x.shape);
      },
    );
  });

  it('cat(split(x)) equals x, bit for bit', () => {
    property(
      tensorArb(SIZES, 1).chain(([s, seed]) =>
        fc
          .integer({ min: 0, max: s.length - 1 })
          .chain((dim) => fc.tuple(fc.constant(s), fc.constant(seed), fc.constant(dim), fc.integer({ min: 1, max: s[dim] }))),
      ),
      ([shape, seed, dim, size]) => {
        const x = make(shape, seed);
        assertBitwise(`cat(split(x, ${size}, ${dim}), ${dim})`, cat(split(x, size, dim), dim), x);
      },
    );
  });

  it('a + b equals a + b.expand(broadcast shape), bit for bit', () => {
    property(fc.tuple(broadcastArb(SIZES, 2), fc.nat()), ([[as, bs], seed]) => {
      const a = make(as, seed);
      const b = make(bs, seed + 1);
      const out = a.add(b);
      assertBitwise('a + b vs a + b.expand(out.shape)', a.add(b.expand([...out.shape])), out);
    });
  });
});
