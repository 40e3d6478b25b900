/**
 * Elementwise ops: each reads checks → output → kernel call → backward, in one place.
 * Binary ops broadcast like NumPy/PyTorch; plain numbers act as 0-d tensors.
 */
import type { ArithOp, BinaryOp, UnaryOp } from '../backend/backend.js';
import { finish, isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import type { Device, DType } from '../dtype.js';
import { isFloat, promoteTypes } from '../dtype.js';
import { broadcastShapes, fmtShape, sameShape } from '../shape.js';
import type { TensorLike } from '../tensor.js';
import { Tensor } from '../tensor.js';
import { int, oneOf, options as options_, show, tensorArg } from '../validate.js';
import { assignInto, copyRaw, operand, scalarAs, stridedAs, unbroadcast, withContiguous, withDtype } from './util.js';
import { composite } from '../autograd/composite.js';
import { full, tensor } from '../creation.js';
import { bumpVersion } from '../backend/version.js';

const COMPARISONS = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

type BinaryGrad = (g: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor | null, Tensor | null];

function binary(name: string, op: BinaryOp, x: TensorLike, y: TensorLike, grad: BinaryGrad | null): Tensor {
  const like = x instanceof Tensor ? x : y instanceof Tensor ? y : null;
  if (!like) throw new TypeError(`${name}: at least one operand must be a Tensor`);
  // Scalars made from numbers live as long as the result's graph needs them.
  return composite(name, () => {
    const a = operand(name, x, like, 'the first operand');
    const b = operand(name, y, like, 'the second operand');
    const shape = broadcastShapes(name, a.shape, b.shape);
    let dtype = promoteTypes(a.dtype, b.dtype);
    if (op === 'div' || op === 'pow') dtype = isFloat(dtype) ? dtype : 'float32';
    const out = Tensor.empty(shape, COMPARISONS.has(op) ? 'bool' : dtype, a.backend);
    withDtype(a, dtype, (ac) => withDtype(b, dtype, (bc) => a.backend.binary(op, stridedAs(ac, shape), stridedAs(bc, shape), out.storage, shape)));
    return finish(
      out,
      name,
      [a, b],
      grad &&
        ((g) => {
          const [ga, gb] = grad(g, a, b, out);
          return [ga && a.requiresGrad ? unbroadcast(ga, a.shape) : null, gb && b.requiresGrad ? unbroadcast(gb, b.shape) : null];
        }),
    );
  });
}

/** a + b, broadcasting. @example add(tensor([1, 2]), 1) // [2, 3] */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return binary('add', 'add', a, b, (g) => [g, g]);
}
/** a − b, broadcasting. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return binary('sub', 'sub', a, b, (g, _, y) => [g, y.requiresGrad ? neg(g) : null]);
}
/** a · b elementwise, broadcasting. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binary('mul', 'mul', a, b, (g, x, y) => [x.requiresGrad ? mul(g, y) : null, y.requiresGrad ? mul(g, x) : null]);
}
/** a / b elementwise (true division: integers give floats). */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return binary('div', 'div', a, b, (g, x, y, out) => [
    x.requiresGrad ? div(g, y) : null,
    // d(a/b)/db = −(a/b)/b
    y.requiresGrad ? neg(mul(g, div(out, y))) : null,
  ]);
}
/** a^b elementwise. @example pow(tensor([2, 3]), 2) // [4, 9] */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return binary('pow', 'pow', a, b, (g, x, y, out) => [
    x.requiresGrad ? mul(g, mul(y, pow(x, sub(y, 1)))) : null,
    // NOTE: PyTorch defines d(0^b)/db = 0 for b ≥ 0 instead of 0·log(0) = NaN.
    y.requiresGrad ? mul(g, where(x.eq(0).mul(y.ge(0)), 0, mul(out, log(x)))) : null,
  ]);
}
/** Elementwise maximum; NaN wins, equal inputs split the gradient. */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binary('maximum', 'maximum', a, b, (g, x, y) => splitGrad(g, x.gt(y), x.eq(y)));
}
/** Elementwise minimum; NaN wins, equal inputs split the gradient. */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return binary('minimum', 'minimum', a, b, (g, x, y) => splitGrad(g, x.lt(y), x.eq(y)));
}
/** Routes g to a where `aWins`, to b where it loses, half each on ties (as PyTorch does). */
function splitGrad(g: Tensor, aWins: Tensor, tie: Tensor): [Tensor, Tensor] {
  const share = add(aWins, mul(tie, 0.5));
  return [mul(g, share), mul(g, sub(1, share))];
}

/** a == b elementwise, as bool. */
export function eq(a: TensorLike, b: TensorLike): Tensor {
  return binary('eq', 'eq', a, b, null);
}
/** a != b elementwise, as bool. */
export function ne(a: TensorLike, b: TensorLike): Tensor {
  return binary('ne', 'ne', a, b, null);
}
/** a < b elementwise, as bool. */
export function lt(a: TensorLike, b: TensorLike): Tensor {
  return binary('lt', 'lt', a, b, null);
}
/** a <= b elementwise, as bool. */
export function le(a: TensorLike, b: TensorLike): Tensor {
  return binary('le', 'le', a, b, null);
}
/** a > b elementwise, as bool. */
export function gt(a: TensorLike, b: TensorLike): Tensor {
  return binary('gt', 'gt', a, b, null);
}
/** a >= b elementwise, as bool. */
export function ge(a: TensorLike, b: TensorLike): Tensor {
  return binary('ge', 'ge', a, b, null);
}

function unary(name: UnaryOp, x: Tensor, grad: ((g: Tensor, x: Tensor, out: Tensor) => Tensor) | null, keepInts = false): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${name}: expected a Tensor (got ${typeof x})`);
  tensorArg(name, 'input', x);
  const dtype = isFloat(x.dtype) || keepInts ? x.dtype : 'float32';
  const out = Tensor.empty(x.shape, dtype === 'bool' ? 'int32' : dtype, x.backend);
  withDtype(x, dtype, (src) => withContiguous(src, (c) => x.backend.unary(name, c.storage, c.offset, out.storage, out.numel())));
  return finish(out, name, [x], grad && ((g) => [grad(g, x, out)]));
}

/** −x. */
export function neg(x: Tensor): Tensor {
  return unary('neg', x, (g) => neg(g), true);
}
/** |x|; the gradient at 0 is 0, as in PyTorch. */
export function abs(x: Tensor): Tensor {
  return unary('abs', x, (g, x) => mul(g, sign(x)), true);
}
/** e^x. */
export function exp(x: Tensor): Tensor {
  return unary('exp', x, (g, _, out) => mul(g, out));
}
/** Natural logarithm. */
export function log(x: Tensor): Tensor {
  return unary('log', x, (g, x) => div(g, x));
}
/** √x. */
export function sqrt(x: Tensor): Tensor {
  return unary('sqrt', x, (g, _, out) => div(g, mul(out, 2)));
}
/** 1/√x. */
export function rsqrt(x: Tensor): Tensor {
  return unary('rsqrt', x, (g, _, out) => mul(g, mul(pow(out, 3), -0.5)));
}
/** sin x. */
export function sin(x: Tensor): Tensor {
  return unary('sin', x, (g, x) => mul(g, cos(x)));
}
/** cos x. */
export function cos(x: Tensor): Tensor {
  return unary('cos', x, (g, x) => neg(mul(g, sin(x))));
}
/** tanh x. */
export function tanh(x: Tensor): Tensor {
  return unary('tanh', x, (g, _, out) => mul(g, sub(1, mul(out, out))));
}
/** σ(x) = 1 / (1 + e^−x). */
export function sigmoid(x: Tensor): Tensor {
  return unary('sigmoid', x, (g, _, out) => mul(g, mul(out, sub(1, out))));
}
/** max(x, 0). */
export function relu(x: Tensor): Tensor {
  tensorArg('relu', 'input', x);
  return unary(
    'relu',
    x,
    isFloat(x.dtype)
      ? (g, x) => fusedBackward(g, x, (xc, gc, out) => x.backend.reluBackward(xc.storage, xc.offset, gc.storage, gc.offset, out.storage, out.numel()))
      : (g, x) => mul(g, gt(x, 0)),
    true,
  );
}
/**
 * An elementwise backward as one kernel over contiguous x and gradOut (relu's mask, gelu's slope):
 * the unfused form writes a temporary (mask or slope) and multiplies it in a second pass.
 */
function fusedBackward(g: Tensor, x: Tensor, kernel: (xc: Tensor, gc: Tensor, out: Tensor) => void): Tensor {
  const out = Tensor.empty(x.shape, g.dtype, x.backend);
  withContiguous(x, (xc) => withContiguous(g, (gc) => kernel(xc, gc, out)));
  return out;
}
/** Options of `gelu`. */
export interface GeluOptions {
  /** 'none' (default) for x·Φ(x) with the exact erf, 'tanh' for ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
  approximate?: 'none' | 'tanh';
}

/**
 * x·Φ(x), the exact (erf) GELU that PyTorch uses by default, or its tanh approximation.
 * @example gelu(x, { approximate: 'tanh' })
 */
export function gelu(x: Tensor, options: GeluOptions = {}): Tensor {
  const { approximate = 'none' } = options_('gelu', options, ['approximate']);
  oneOf('gelu', 'approximate', approximate, ['none', 'tanh']);
  const tanhForm = approximate === 'tanh';
  return unary(tanhForm ? 'geluTanh' : 'gelu', x, (g, x, y) =>
    fusedBackward(g, x, (xc, gc, out) => x.backend.geluBackward(tanhForm, xc.storage, xc.offset, y.storage, gc.storage, gc.offset, out.storage, out.numel())),
  );
}
/** The largest integer ≤ x (integer tensors unchanged); its gradient is 0, as in PyTorch. */
export function floor(x: Tensor): Tensor {
  return unary('floor', x, zeroGrad, true);
}
/** The smallest integer ≥ x (integer tensors unchanged); its gradient is 0. */
export function ceil(x: Tensor): Tensor {
  return unary('ceil', x, zeroGrad, true);
}
/**
 * x rounded to the nearest integer, ties to even (torch.round), or to `decimals` decimal places
 * as round(x·10^d)/10^d; its gradient is 0.
 * @example round(tensor([0.5, 1.5, 2.345]), { decimals: 0 }) // [0, 2, 2]
 */
export function round(x: Tensor, options: { decimals?: number } = {}): Tensor {
  tensorArg('round', 'input', x);
  // 10^±308 is the widest finite scale.
  const decimals = int('round', 'decimals', options_('round', options, ['decimals']).decimals ?? 0, { min: -308, max: 308 });
  if (decimals === 0 || !isFloat(x.dtype)) return unary('round', x, zeroGrad, true);
  const scale = 10 ** decimals;
  return composite('round', () => div(unary('round', mul(x, scale), zeroGrad), scale));
}
/** log(1 + x), accurate for small x. */
export function log1p(x: Tensor): Tensor {
  return unary('log1p', x, (g, x) => div(g, add(x, 1)));
}
/** eˣ − 1, accurate for small x. */
export function expm1(x: Tensor): Tensor {
  return unary('expm1', x, (g, _, out) => mul(g, add(out, 1)));
}
/** The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt. */
export function erf(x: Tensor): Tensor {
  return unary('erf', x, (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))));
}

function zeroGrad(g: Tensor): Tensor {
  return mul(g, 0);
}

/** True where x is NaN (always false for integer and bool tensors). */
export function isnan(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`isnan: expected a Tensor (got ${typeof x})`);
  return ne(x, x);
}
/** True where x is zero (false), as bool. */
export function logicalNot(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`logicalNot: expected a Tensor (got ${typeof x})`);
  return eq(x, 0);
}
/** True where both a and b are non-zero, broadcasting, as bool. */
export function logicalAnd(a: Tensor, b: TensorLike | boolean): Tensor {
  return composite('logicalAnd', () => ne(mul(truthOf('logicalAnd', a, a), truthOf('logicalAnd', b, a)), 0));
}
/** True where a or b (or both) is non-zero, broadcasting, as bool. */
export function logicalOr(a: Tensor, b: TensorLike | boolean): Tensor {
  return composite('logicalOr', () => ne(add(truthOf('logicalOr', a, a), truthOf('logicalOr', b, a)), 0));
}

/** 1 where x is non-zero, as an int32-compatible bool tensor on like's device. */
function truthOf(op: string, x: TensorLike | boolean, like: unknown): Tensor {
  if (!(like instanceof Tensor)) throw new TypeError(`${op}: the first operand must be a Tensor (got ${typeof like})`);
  if (x instanceof Tensor) return ne(operand(op, x, like, 'the second operand'), 0);
  if (typeof x !== 'number' && typeof x !== 'boolean')
    throw new TypeError(`${op}: the second operand must be a Tensor, a number or a boolean (got ${typeof x})`);
  return full([], +(x !== 0 && x !== false), { dtype: 'bool', device: like.device });
}

/**
 * The remainder of a / b with the sign of b (Python's %, torch.remainder): a − floor(a/b)·b.
 * @example remainder(tensor([-3, 3]), 2) // [1, 1]
 */
export function remainder(a: TensorLike, b: TensorLike): Tensor {
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : null;
  if (!like) throw new TypeError('remainder: at least one operand must be a Tensor');
  const bothInt = [a, b].every((v) => (v instanceof Tensor ? !isFloat(v.dtype) : Number.isInteger(v)));
  if (bothInt) return intRemainder(a, b, like);
  return composite('remainder', () => sub(a, mul(floor(div(a, b)), b)));
}

/** Integer remainder computed exactly (float32 division loses int32s above 2²⁴); a zero divisor raises as in PyTorch. */
function intRemainder(a: TensorLike, b: TensorLike, like: Tensor): Tensor {
  const asInt = (v: TensorLike) => (v instanceof Tensor ? cast(v, 'int32') : full([], v as number, { dtype: 'int32', device: like.device }));
  const [ta, tb] = [asInt(a), asInt(b)];
  const shape = broadcastShapes('remainder', ta.shape, tb.shape);
  const xs = ta.expand(shape).contiguous().toArray();
  const ys = tb.expand(shape).contiguous().toArray();
  const out = new Int32Array(xs.length);
  for (let i = 0; i < out.length; i++) {
    const y = ys[i] as number;
    if (y === 0) throw new RangeError(`remainder: integer division by zero (element ${i} of the divisor, shape ${fmtShape(tb.shape)})`);
    const r = (xs[i] as number) % y;
    out[i] = r !== 0 && r < 0 !== y < 0 ? r + y : r;
  }
  return tensor(out, { dtype: 'int32', device: like.device }).reshape(shape);
}
/** −1, 0 or 1 by the sign of x (not differentiable). */
export function sign(x: Tensor): Tensor {
  return unary('sign', x, null, true);
}
/** x². */
export function square(x: Tensor): Tensor {
  return mul(x, x);
}

/** Limits x to [min, max]; either bound may be omitted. The gradient passes where min ≤ x ≤ max. */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  tensorArg('clamp', 'input', x);
  if (min == null && max == null) throw new TypeError('clamp: at least one of min and max must be given');
  for (const [arg, v] of [
    ['min', min],
    ['max', max],
  ] as const) {
    if (v != null && (typeof v !== 'number' || Number.isNaN(v))) throw new TypeError(`clamp: ${arg} must be a number (got ${v})`);
  }
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  const out = Tensor.empty(x.shape, x.dtype, x.backend);
  withContiguous(x, (c) => x.backend.clamp(c.storage, c.offset, out.storage, out.numel(), lo, hi));
  return finish(
    out,
    'clamp',
    [x],
    (g) => {
      if (lo === -Infinity && hi === Infinity) return [g];
      const inside = lo === -Infinity ? le(x, hi) : hi === Infinity ? ge(x, lo) : mul(ge(x, lo), le(x, hi));
      return [where(inside, g, 0)];
    },
    { min: lo, max: hi },
  );
}

/**
 * @internal x limited to [minVal, maxVal] with PyTorch's hardtanh gradient, which passes only
 * strictly inside the bounds (clamp's passes at them too); F.hardtanh and F.relu6 validate and call it.
 */
export function hardtanhOp(x: Tensor, minVal: number, maxVal: number): Tensor {
  const out = Tensor.empty(x.shape, x.dtype, x.backend);
  withContiguous(x, (c) => x.backend.clamp(c.storage, c.offset, out.storage, out.numel(), minVal, maxVal));
  return finish(out, 'hardtanh', [x], (g) => [where(mul(gt(x, minVal), lt(x, maxVal)), g, 0)], { min: minVal, max: maxVal });
}

/**
 * Picks a where condition is true (non-zero) and b elsewhere, broadcasting all three.
 * @example where(x.gt(0), x, 0) // relu
 */
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (!(condition instanceof Tensor)) throw new TypeError('where: condition must be a Tensor');
  condition.check('where');
  return composite('where', () => {
    const x = operand('where', a, b instanceof Tensor ? b : condition, 'the second argument');
    const y = operand('where', b, x, 'the third argument');
    const shape = broadcastShapes('where', condition.shape, x.shape, y.shape);
    const dtype: DType = promoteTypes(x.dtype, y.dtype);
    const out = Tensor.empty(shape, x.dtype === 'bool' && y.dtype === 'bool' ? 'bool' : dtype, x.backend);
    out.backend.where(stridedAs(condition, shape), stridedAs(x, shape), stridedAs(y, shape), out.storage, shape);
    return finish(
      out,
      'where',
      [x, y],
      (g) => [x.requiresGrad ? unbroadcast(where(condition, g, 0), x.shape) : null, y.requiresGrad ? unbroadcast(where(condition, 0, g), y.shape) : null],
      { condition },
    );
  });
}

/** x with `value` wherever mask is true. */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`maskedFill: input must be a Tensor (got ${show(x)})`);
  if (!(mask instanceof Tensor)) throw new TypeError(`maskedFill: mask must be a bool Tensor (got ${show(mask)})`);
  tensorArg('maskedFill', 'input', x);
  mask.check('maskedFill');
  if (mask.dtype !== 'bool') throw new TypeError(`maskedFill: mask must have dtype bool (got ${mask.dtype}), as in PyTorch; compare first, e.g. x.gt(0)`);
  if (!sameShape(broadcastShapes('maskedFill', x.shape, mask.shape), x.shape)) {
    throw new RangeError(`maskedFill: mask of shape ${fmtShape(mask.shape)} does not broadcast to the input's shape ${fmtShape(x.shape)}`);
  }
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`maskedFill: value must be a number (got ${value})`);
  return composite('maskedFill', () => where(mask, scalarAs(value, x), x));
}

/** x converted to dtype (x itself when it already has it); differentiable between float dtypes. */
export function cast(x: Tensor, dtype: DType, name = 'to'): Tensor {
  tensorArg(name, 'input', x);
  if (x.dtype === dtype) return x;
  // As PyTorch's MPS device refuses float64 rather than moving the tensor behind the user's back.
  if (dtype === 'float64' && x.device !== 'js') {
    throw new TypeError(
      `${name}: float64 tensors live on the 'js' device only, and this tensor is on '${x.device}': move and convert it at once with x.to('js', 'float64') (or x.to('js').double())`,
    );
  }
  // NOTE: a raw copy would keep 2 or 0.5 as a bool's stored word; bool must hold exactly 0 or 1.
  if (dtype === 'bool') return ne(x, 0);
  const out = copyRaw(x, dtype);
  return finish(out, 'to', [x], isFloat(dtype) ? (g) => [cast(g, x.dtype)] : null, { dtype });
}

/** A copy of x on another device (x itself when it is already there); gradients flow back to x's device. */
export function toDevice(x: Tensor, device: Device): Tensor {
  tensorArg('to', 'input', x);
  if (x.device === device) return x;
  if (x.dtype === 'float64' && device !== 'js') {
    throw new TypeError(
      `to: float64 tensors live on the 'js' device only, so this one cannot move to '${device}': convert and move it at once with x.to('${device}', 'float32')`,
    );
  }
  // The copy crosses backends, so it goes through host memory.
  const out = tensor(x.toArray(), { shape: [...x.shape], dtype: x.dtype, device });
  return finish(out, 'to', [x], isFloat(x.dtype) ? (g) => [toDevice(g, x.device)] : null);
}

type InplaceName = 'add_' | 'sub_' | 'mul_' | 'div_' | 'copy_' | 'clamp_';
const INPLACE_OPS: Record<Exclude<InplaceName, 'copy_' | 'clamp_'>, ArithOp> = { add_: 'add', sub_: 'sub', mul_: 'mul', div_: 'div' };

function checkInplace(x: Tensor, name: string): void {
  tensorArg(name, 'input', x);
  if (isGradEnabled() && x.requiresGrad) {
    throw new Error(
      `${name}: in-place ops on a tensor that requires grad would corrupt its gradient; run the update inside noGrad(), or use the out-of-place op`,
    );
  }
}

/** @internal x op= other (with other scaled by alpha), in place; returns x. */
export function inplace<T extends Tensor>(x: T, name: InplaceName, other: TensorLike, alpha = 1): T {
  checkInplace(x, name);
  noGrad(() =>
    composite(name, () => {
      const o = operand(name, other, x, 'the argument');
      const scaled = alpha === 1 ? o : mul(o, alpha);
      const shape = broadcastShapes(name, x.shape, scaled.shape);
      const assigns = name === 'copy_' || name === 'clamp_';
      if (!sameShape(shape, x.shape)) {
        throw new RangeError(
          `${name}: a value of shape ${fmtShape(assigns ? scaled.shape : shape)} cannot be written into a tensor of shape ${fmtShape(x.shape)}`,
        );
      }
      if (!assigns) {
        const result = name === 'div_' && !isFloat(promoteTypes(x.dtype, scaled.dtype)) ? 'float32' : promoteTypes(x.dtype, scaled.dtype);
        if (!canCast(result, x.dtype))
          throw new TypeError(
            `${name}: the result type ${result} cannot be stored in this ${x.dtype} tensor in place (PyTorch refuses too); use the out-of-place op or convert with .to()`,
          );
      }
      const src = checkOverlap(name, x, scaled);
      if (!assigns && writesInPlace(x, src)) {
        // The kernel writes x's own elements: no result tensor, no copy back.
        x.backend.binary(INPLACE_OPS[name], stridedAs(x, shape), stridedAs(src, shape), x.storage, shape, x.offset);
        bumpVersion(x.storage);
      } else {
        assignInto(x, assigns ? src : binaryRaw(INPLACE_OPS[name], x, src));
      }
    }),
  );
  return x;
}

/** Whether a value of dtype `from` may be stored in a `to` tensor in place: no float → integer, no number → bool. */
function canCast(from: DType, to: DType): boolean {
  if (isFloat(from)) return isFloat(to);
  return from === 'bool' || to !== 'bool';
}

/** Whether t's elements occupy exactly numel distinct, gap-free positions in some order (PyTorch's non-overlapping-and-dense). */
function isDense(t: Tensor): boolean {
  const dims = t.shape
    .map((s, i) => [s, t.strides[i]])
    .filter(([s]) => s !== 1)
    .sort((a, b) => a[1] - b[1]);
  let expected = 1;
  for (const [s, stride] of dims) {
    if (stride !== expected) return false;
    expected *= s;
  }
  return true;
}

/** The lowest and highest storage element t reads. */
function extent(t: Tensor): [number, number] {
  let lo = t.offset,
    hi = t.offset;
  t.shape.forEach((s, i) => (t.strides[i] < 0 ? (lo += (s - 1) * t.strides[i]) : (hi += (s - 1) * t.strides[i])));
  return [lo, hi];
}

/**
 * PyTorch's memory-overlap rules for `x op= src`: x may not write one element twice (an expanded
 * view), and copy_'s src may not partly overlap x (a shifted or transposed view of the same
 * memory), as PyTorch refuses. src being x itself is fine. Arithmetic in place computes its result
 * before writing, so overlap is harmless there; where PyTorch cannot tell (views with gaps) a copy
 * of src is written instead. Returns what to write (src or a copy).
 */
function checkOverlap(name: string, x: Tensor, src: Tensor): Tensor {
  if (x.shape.some((s, i) => s > 1 && x.strides[i] === 0)) {
    throw new Error(
      `${name}: unsupported operation: more than one element of the written-to tensor (shape ${fmtShape(x.shape)}, an expanded view) refers to a single memory location; clone() it first`,
    );
  }
  if (src.storage !== x.storage || x.numel() === 0 || src.numel() === 0) return src;
  if (src.offset === x.offset && sameShape(src.shape, x.shape) && sameShape(src.strides, x.strides)) return src;
  const [xLo, xHi] = extent(x);
  const [sLo, sHi] = extent(src);
  if (xHi < sLo || sHi < xLo) return src;
  if (name === 'copy_' && isDense(x) && isDense(src)) {
    throw new Error(
      `${name}: unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory location (they are overlapping views of one storage); clone() the input first`,
    );
  }
  return copyRaw(src);
}

/**
 * Whether `x op= y` (y broadcasting to x's shape) can run as one kernel writing into x: x contiguous
 * and floating point, y of the same dtype and not another view of x's memory (each element of x
 * must be read only by the step that overwrites it).
 */
function writesInPlace(x: Tensor, y: Tensor): boolean {
  return isFloat(x.dtype) && y.dtype === x.dtype && x.isContiguous() && (y.storage !== x.storage || (y.offset === x.offset && sameShape(y.strides, x.strides)));
}

function binaryRaw(op: ArithOp, x: Tensor, y: Tensor): Tensor {
  return binary(op, op, x, y, null);
}

/** @internal Clamps x in place; returns x. */
export function clamp_<T extends Tensor>(x: T, min?: number | null, max?: number | null): T {
  checkInplace(x, 'clamp_');
  return noGrad(() => composite('clamp_', () => inplace(x, 'clamp_', clamp(x, min, max))));
}

/** @internal Fills x with value in place; returns x. */
export function fill_<T extends Tensor>(x: T, value: number, name = 'fill_'): T {
  checkInplace(x, name);
  if (typeof value !== 'number') throw new TypeError(`${name}: value must be a number (got ${typeof value})`);
  if (x.isContiguous()) x.backend.fill(x.storage, x.offset, x.numel(), value);
  else composite(name, () => assignInto(x, scalarAs(value, x)));
  bumpVersion(x.storage);
  return x;
}
