/**
 * Tensor: a view (shape, strides, offset) of a Storage that lives in one backend's memory, plus the
 * autograd fields (requiresGrad, grad, gradFn). Every op is a function in `ops/`; the methods
 * here only forward to them, so an op reads top to bottom in one place.
 */
import './disposable.js';
import type { Backend, Storage } from './backend/backend.js';
import { backward as runBackward } from './autograd/engine.js';
import { onesLike } from './creation.js';
import type { GradNode } from './autograd/grad-mode.js';
import { backendFor, getDefaultDevice } from './device.js';
import type { Device, DType, TypedArray } from './dtype.js';
import { isFloat } from './dtype.js';
import { assertAlive, disposeTensor, gradReplaced, setTensorClass, track } from './memory.js';
import { formatTensor } from './print.js';
import { contiguousStrides, fmtShape, forEachStrided, normDim, numel } from './shape.js';
import * as E from './ops/elementwise.js';
import * as R from './ops/reduce.js';
import * as L from './ops/linalg.js';
import * as S from './ops/shape.js';
import * as I from './ops/indexing.js';
import * as A from './ops/rearrange.js';
import * as O from './ops/sort.js';
import * as V from './validate.js';
import { tensorArg } from './validate.js';
import { overwrittenSince, readGuard } from './backend/version.js';

/** A tensor or a plain number, which broadcasts as a 0-d tensor of a matching dtype. */
export type TensorLike = Tensor | number;

/** Nested arrays of numbers or booleans, as `tensor()` accepts and `tolist()` returns. */
export type NestedArray = number | boolean | NestedArray[];

/** Options of `backward()`. */
export interface BackwardOptions {
  /** Keep the graph so backward can run through it again (PyTorch's retain_graph). */
  retainGraph?: boolean;
}

/**
 * An n-dimensional array of float32, float64, int32 or bool values on a device, with autograd: create
 * one with `tensor()` or a factory, compute with its methods or the functions of the same names.
 * @example const x = tensor([[1, 2], [3, 4]], { requiresGrad: true }); x.matmul(x).sum().backward();
 */
export class Tensor {
  /** The size of each dim (PyTorch's `x.shape`; `size()` returns a copy). */
  readonly shape: readonly number[];
  /** Elements to step in storage per index of each dim (PyTorch's `x.stride()`). */
  readonly strides: readonly number[];
  /** Element offset of this view into its storage. */
  readonly offset: number;
  /** The element type: 'float32', 'float64', 'int32' or 'bool'. */
  readonly dtype: DType;
  readonly #storage: Storage;
  private gradTensor: Tensor | null = null;
  /** The op that produced this tensor, when it was recorded for autograd; null for leaves. */
  gradFn: GradNode | null = null;
  /** Exempt from automatic release (set by keep()). */
  kept = false;
  /** @internal A temporary only an op or composite could reach: released with its graph (memory.ts). */
  internal = false;
  /** Why this tensor was released, or null while it is alive. */
  releasedBecause: string | null = null;
  /**
   * @internal Tensors computed from this graph tensor without grad, and its graph's temporaries;
   * settled with it at the step boundary. Null until the first (most tensors never get one).
   */
  dependents: Tensor[] | null = null;
  /** @internal Computed without grad from a graph tensor, so released with that graph (memory.ts). */
  isDependent = false;
  /** @internal Scheduled for release at the next step boundary (memory.ts). */
  pendingRelease = false;
  /** This tensor is some leaf's .grad. */
  isGrad = false;
  /** True after retainGrad(): backward keeps .grad on this non-leaf (PyTorch's retains_grad). */
  retainsGrad = false;
  private requiresGradFlag = false;

  /** @internal Use `tensor()`, the factories or ops; this wraps an existing storage. */
  constructor(storage: Storage, shape: readonly number[], strides: readonly number[], offset: number, dtype: DType) {
    this.#storage = storage;
    // Own copies, read-only by type; not Object.freeze()d, which costs more than a small op's kernel.
    this.shape = shape.slice();
    this.strides = strides.slice();
    this.offset = offset;
    this.dtype = dtype;
    track(this);
  }

  /** @internal A new contiguous tensor: uninitialised, or zeros with `zeroed`. */
  static empty(shape: readonly number[], dtype: DType, device: Device | Backend, zeroed = false): Tensor {
    const backend = typeof device === 'string' ? backendFor(device) : device;
    if (dtype === 'float64' && backend.device !== 'js') {
      throw new TypeError(
        `float64 tensors live on the 'js' device only (got device '${backend.device}'): pass { device: 'js' }, or use float32 on '${backend.device}'`,
      );
    }
    for (const s of shape)
      if (!Number.isInteger(s) || s < 0) throw new RangeError(`invalid tensor shape ${fmtShape(shape)} (sizes must be non-negative integers)`);
    let storage: Storage;
    try {
      storage = backend.alloc(dtype === 'bool' ? 'int32' : dtype, numel(shape), zeroed);
    } catch (error) {
      if (error instanceof RangeError) throw new RangeError(`a ${dtype} tensor of shape ${fmtShape(shape)}: ${error.message}`);
      throw error;
    }
    return new Tensor(storage, shape, contiguousStrides(shape), 0, dtype);
  }

  /** Gradient accumulated by backward() into a leaf (or a tensor that called retainGrad()). */
  get grad(): Tensor | null {
    return this.gradTensor;
  }
  /** Replacing a gradient that backward() created (e.g. `p.grad = null`) frees it, as dropping it does in PyTorch. */
  set grad(value: Tensor | null) {
    const old = this.gradTensor;
    this.gradTensor = value;
    gradReplaced(old, value);
  }

  /** The backend whose memory holds this tensor's storage. */
  get backend(): Backend {
    return this.storage.backend;
  }
  /** The device holding the data: 'wasm' or 'js'. */
  get device(): Device {
    return this.storage.backend.device;
  }
  /** The number of dims (PyTorch's `x.ndim` / `dim()`). */
  get ndim(): number {
    return this.shape.length;
  }
  /** The shape as an array, or the length of dim `d` (negative counts from the end), as PyTorch's size(). @example randn(2, 3).size(-1) // 3 */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return [...this.shape];
    if (this.shape.length === 0) throw new RangeError(`size: dim ${dim} given but the tensor is 0-d (it has no dimensions)`);
    return this.shape[normDim('size', dim, this.shape.length)];
  }
  /** The number of elements. */
  numel(): number {
    return numel(this.shape);
  }
  /** True when this tensor was not produced by a recorded op (PyTorch's is_leaf). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }
  /** Whether autograd records ops on this tensor; settable on leaves (PyTorch's requires_grad). */
  get requiresGrad(): boolean {
    return this.requiresGradFlag;
  }
  set requiresGrad(flag: boolean) {
    this.requiresGrad_(flag);
  }
  /** @internal Set by ops on their outputs. */
  setRequiresGrad(flag: boolean): void {
    this.requiresGradFlag = flag;
  }

  /** Turns gradient tracking on or off for a leaf; returns this. */
  requiresGrad_(flag = true): this {
    if (flag && !isFloat(this.dtype)) throw new TypeError(`requiresGrad_: only floating point tensors can require gradients (this one is ${this.dtype})`);
    if (!this.isLeaf && !flag) throw new Error('requiresGrad_: cannot turn off requiresGrad on a non-leaf tensor; use detach()');
    this.requiresGradFlag = flag;
    return this;
  }

  /** Keeps .grad on this non-leaf tensor after backward. */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** True when the elements are laid out row-major without gaps. */
  isContiguous(): boolean {
    let expected = 1;
    for (let d = this.shape.length - 1; d >= 0; d--) {
      if (this.shape[d] !== 1 && this.strides[d] !== expected) return false;
      expected *= this.shape[d];
    }
    return true;
  }

  /**
   * The memory this tensor views. Inside a backward closure, reading a tensor overwritten in place
   * since its op's forward raises (backend/version.ts): every read of values goes through here.
   */
  get storage(): Storage {
    const s = this.#storage;
    if (readGuard !== null && overwrittenSince(s, readGuard)) {
      const op = readGuard.op;
      throw new Error(
        `backward: a tensor ${op} saved for its backward (a ${this.dtype} tensor of shape ${fmtShape(this.shape)}) was modified by an in-place operation after ${op} used it; clone() it before modifying`,
      );
    }
    return s;
  }

  /** @internal Throws a clear error if this tensor was released. */
  check(op: string): this {
    assertAlive(this, op);
    return this;
  }

  /** Copies the elements out, in row-major order, into a new typed array (Float32Array, Int32Array or Float64Array). */
  toArray(): TypedArray {
    this.check('toArray');
    const view = this.backend.view(this.storage);
    const out = new (view.constructor as new (n: number) => TypedArray)(this.numel());
    if (this.isContiguous()) out.set(view.subarray(this.offset, this.offset + this.numel()));
    else
      forEachStrided(this.shape, [this.strides], [this.offset], (i, [j]) => {
        out[i] = view[j];
      });
    return out;
  }

  /** The value of a one-element tensor as a number (1 or 0 for bool tensors; tolist() gives booleans). */
  item(): number {
    this.check('item');
    if (this.numel() !== 1)
      throw new RangeError(`item: only one-element tensors can be converted to a number (shape ${fmtShape(this.shape)} has ${this.numel()})`);
    return this.backend.view(this.storage)[this.offset];
  }

  /** The elements as nested arrays (booleans for bool tensors), like PyTorch's tolist(). */
  tolist(): NestedArray {
    const flat = Array.from(this.toArray(), (v) => (this.dtype === 'bool' ? v !== 0 : v));
    const build = (dim: number, start: number): NestedArray => {
      if (dim === this.shape.length) return flat[start];
      const stride = numel(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, start + i * stride));
    };
    return build(0, 0);
  }

  /**
   * Accumulates d(this)/d(leaf) into every leaf's .grad (PyTorch's backward).
   * @example const loss = x.mul(x).sum(); loss.backward(); x.grad; // 2x
   */
  backward(gradient?: Tensor, options: BackwardOptions = {}): void {
    runBackward(this, gradient, () => onesLike(this), V.options('backward', options, ['retainGraph']));
  }

  /** Exempts this tensor from automatic release at step boundaries and tidy() ends; returns this. */
  keep(): this {
    this.kept = true;
    return this;
  }

  /** Releases this tensor's memory now; using it afterwards throws. */
  dispose(): void {
    disposeTensor(this);
  }
  /** Releases the memory at the end of a `using` block, as dispose(). */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * The values as PyTorch prints them, with what is not the default (dtype but float32 and bool, device, gradFn,
   * requiresGrad): `tensor([[ 0.1000, -1.2000]], requiresGrad=true)`.
   * Past 1,000 elements only the first and last 3 of each dim are shown.
   */
  toString(): string {
    if (this.releasedBecause !== null) return `tensor(<released: ${this.releasedBecause}>, shape=${fmtShape(this.shape)}, dtype=${this.dtype})`;
    const suffixes: string[] = [];
    if (this.device !== getDefaultDevice()) suffixes.push(`device='${this.device}'`);
    if (this.dtype !== 'float32' && this.dtype !== 'bool') suffixes.push(`dtype=${this.dtype}`);
    if (this.gradFn) suffixes.push(`gradFn=<${this.gradFn.name}>`);
    else if (this.requiresGrad) suffixes.push('requiresGrad=true');
    return formatTensor({ shape: this.shape, dtype: this.dtype, data: this.toArray(), suffixes });
  }

  /** `console.log(t)` in Node prints what toString() does, not the internal fields. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // ---- elementwise (ops/elementwise.ts)
  /** Elementwise `this + other`, broadcasting; differentiable. */
  add(other: TensorLike): Tensor {
    return E.add(this, other);
  }
  /** Elementwise `this - other`, broadcasting; differentiable. */
  sub(other: TensorLike): Tensor {
    return E.sub(this, other);
  }
  /** Elementwise `this * other`, broadcasting; differentiable. */
  mul(other: TensorLike): Tensor {
    return E.mul(this, other);
  }
  /** Elementwise true division `this / other`, broadcasting; differentiable. */
  div(other: TensorLike): Tensor {
    return E.div(this, other);
  }
  /** Elementwise `this ** exponent`, broadcasting; differentiable. */
  pow(exponent: TensorLike): Tensor {
    return E.pow(this, exponent);
  }
  /** Elementwise larger of `this` and `other`, broadcasting; differentiable. */
  maximum(other: TensorLike): Tensor {
    return E.maximum(this, other);
  }
  /** Elementwise smaller of `this` and `other`, broadcasting; differentiable. */
  minimum(other: TensorLike): Tensor {
    return E.minimum(this, other);
  }
  /** Elementwise `this == other` as a bool tensor, broadcasting; not differentiable. */
  eq(other: TensorLike): Tensor {
    return E.eq(this, other);
  }
  /** Elementwise `this != other` as a bool tensor, broadcasting; not differentiable. */
  ne(other: TensorLike): Tensor {
    return E.ne(this, other);
  }
  /** Elementwise `this < other` as a bool tensor, broadcasting; not differentiable. */
  lt(other: TensorLike): Tensor {
    return E.lt(this, other);
  }
  /** Elementwise `this <= other` as a bool tensor, broadcasting; not differentiable. */
  le(other: TensorLike): Tensor {
    return E.le(this, other);
  }
  /** Elementwise `this > other` as a bool tensor, broadcasting; not differentiable. */
  gt(other: TensorLike): Tensor {
    return E.gt(this, other);
  }
  /** Elementwise `this >= other` as a bool tensor, broadcasting; not differentiable. */
  ge(other: TensorLike): Tensor {
    return E.ge(this, other);
  }
  /** Elementwise `-this`; differentiable. */
  neg(): Tensor {
    return E.neg(this);
  }
  /** Elementwise absolute value; differentiable. */
  abs(): Tensor {
    return E.abs(this);
  }
  /** Elementwise e^x; differentiable. */
  exp(): Tensor {
    return E.exp(this);
  }
  /** Elementwise natural logarithm; differentiable. */
  log(): Tensor {
    return E.log(this);
  }
  /** Elementwise square root; differentiable. */
  sqrt(): Tensor {
    return E.sqrt(this);
  }
  /** Elementwise 1/sqrt(x); differentiable. */
  rsqrt(): Tensor {
    return E.rsqrt(this);
  }
  /** Elementwise sine; differentiable. */
  sin(): Tensor {
    return E.sin(this);
  }
  /** Elementwise cosine; differentiable. */
  cos(): Tensor {
    return E.cos(this);
  }
  /** Elementwise hyperbolic tangent; differentiable. */
  tanh(): Tensor {
    return E.tanh(this);
  }
  /** Elementwise logistic sigmoid 1/(1+e^-x); differentiable. */
  sigmoid(): Tensor {
    return E.sigmoid(this);
  }
  /** Elementwise max(x, 0); differentiable. */
  relu(): Tensor {
    return E.relu(this);
  }
  /** Elementwise GELU, exact or `{ approximate: 'tanh' }` as PyTorch's F.gelu; differentiable. */
  gelu(options?: E.GeluOptions): Tensor {
    return E.gelu(this, options);
  }
  /** Elementwise floor; gradient zero. */
  floor(): Tensor {
    return E.floor(this);
  }
  /** Elementwise ceiling; gradient zero. */
  ceil(): Tensor {
    return E.ceil(this);
  }
  /** Elementwise round half to even, optionally to `decimals` places; gradient zero. */
  round(options?: { decimals?: number }): Tensor {
    return E.round(this, options);
  }
  /** Elementwise log(1 + x), accurate near 0; differentiable. */
  log1p(): Tensor {
    return E.log1p(this);
  }
  /** Elementwise e^x - 1, accurate near 0; differentiable. */
  expm1(): Tensor {
    return E.expm1(this);
  }
  /** Elementwise Gauss error function; differentiable. */
  erf(): Tensor {
    return E.erf(this);
  }
  /** Elementwise NaN test as a bool tensor. */
  isnan(): Tensor {
    return E.isnan(this);
  }
  /** Elementwise NOT as a bool tensor (PyTorch's logical_not). */
  logicalNot(): Tensor {
    return E.logicalNot(this);
  }
  /** Elementwise AND as a bool tensor, broadcasting (PyTorch's logical_and). */
  logicalAnd(other: TensorLike | boolean): Tensor {
    return E.logicalAnd(this, other);
  }
  /** Elementwise OR as a bool tensor, broadcasting (PyTorch's logical_or). */
  logicalOr(other: TensorLike | boolean): Tensor {
    return E.logicalOr(this, other);
  }
  /** Elementwise remainder with the divisor's sign (Python's %, PyTorch's remainder), broadcasting; differentiable. */
  remainder(other: TensorLike): Tensor {
    return E.remainder(this, other);
  }
  /** Elementwise sign: -1, 0 or 1; gradient zero. */
  sign(): Tensor {
    return E.sign(this);
  }
  /** Elementwise x²; differentiable. */
  square(): Tensor {
    return E.square(this);
  }
  /** Elementwise clip to [min, max] (either may be null); differentiable. */
  clamp(min?: number | null, max?: number | null): Tensor {
    return E.clamp(this, min, max);
  }
  /** `this` where `condition` is true, else `other`, broadcasting (PyTorch's `x.where(cond, y)`); differentiable. */
  where(condition: Tensor, other: TensorLike): Tensor {
    return E.where(condition, this, other);
  }
  /** A copy with `value` where the bool `mask` is true, broadcasting (PyTorch's masked_fill); differentiable. */
  maskedFill(mask: Tensor, value: number): Tensor {
    return E.maskedFill(this, mask, value);
  }
  /**
   * Converts to another dtype and/or device, as PyTorch's `x.to(...)` (a copy, or this tensor when it
   * already matches): a dtype, a device, a device then a dtype, `{ device, dtype }`, or another tensor
   * whose device and dtype to take. @example x.to('js', 'float64'); x.to({ dtype: 'int32' }); x.to(y)
   */
  to(target: DType | Device | Tensor | { device?: Device; dtype?: DType }, dtype?: DType): Tensor {
    let device: Device | undefined;
    let type: DType | undefined;
    if (target instanceof Tensor) [device, type] = [target.device, target.dtype];
    else if (target === 'wasm' || target === 'js') [device, type] = [target, dtype === undefined ? undefined : V.dtype('to', dtype)];
    else if (typeof target === 'string' && (V.DTYPES as readonly string[]).includes(target) && dtype === undefined) type = target as DType;
    else if (target !== null && typeof target === 'object' && !Array.isArray(target) && dtype === undefined) {
      const unknown = Object.keys(target).filter((k) => k !== 'device' && k !== 'dtype');
      if (unknown.length > 0) throw new TypeError(`to: unknown option ${JSON.stringify(unknown[0])} (expected device, dtype)`);
      if (target.device !== undefined) device = V.device('to', target.device);
      if (target.dtype !== undefined) type = V.dtype('to', target.dtype);
    } else {
      throw new TypeError(
        `to: expected a dtype ('float32', 'float64', 'int32', 'bool'), a device ('wasm', 'js') optionally followed by a dtype, { device, dtype } or a tensor, got ${V.show(target)}${dtype === undefined ? '' : ` and ${V.show(dtype)}`}`,
      );
    }
    // float64 exists only on 'js': move there before converting up, convert down before leaving it.
    if (device === 'js') return type === undefined ? E.toDevice(this, device) : E.cast(E.toDevice(this, device), type);
    const converted = type === undefined ? this : E.cast(this, type);
    return device === undefined ? converted : E.toDevice(converted, device);
  }
  /** A float32 copy (this tensor when it already is float32). */
  float(): Tensor {
    return E.cast(this, 'float32', 'float');
  }
  /** A float64 copy (this tensor when it already is float64); float64 lives on the 'js' device: `x.to('js', 'float64')` moves and converts. */
  double(): Tensor {
    return E.cast(this, 'float64', 'double');
  }
  /** An int32 copy: Tessera's integers are int32, so `long()` is `int()` (floats truncate toward zero). */
  int(): Tensor {
    return E.cast(this, 'int32', 'int');
  }
  /** An int32 copy, as `int()`: Tessera has no int64, and PyTorch code calls `.long()` for indices. */
  long(): Tensor {
    return E.cast(this, 'int32', 'long');
  }
  /** A bool copy: true where non-zero. */
  bool(): Tensor {
    return E.cast(this, 'bool', 'bool');
  }
  // in place, for optimizers and init; they bump the storage version
  /** In place `this += alpha * other`; returns this (PyTorch's add_). */
  add_(other: TensorLike, alpha = 1): this {
    return E.inplace(this, 'add_', other, alpha);
  }
  /** In place `this -= alpha * other`; returns this (PyTorch's sub_). */
  sub_(other: TensorLike, alpha = 1): this {
    return E.inplace(this, 'sub_', other, alpha);
  }
  /** In place `this *= other`; returns this (PyTorch's mul_). */
  mul_(other: TensorLike): this {
    return E.inplace(this, 'mul_', other);
  }
  /** In place `this /= other`; returns this (PyTorch's div_). */
  div_(other: TensorLike): this {
    return E.inplace(this, 'div_', other);
  }
  /** In place copy of `src`'s values, broadcast to this shape; returns this (PyTorch's copy_). */
  copy_(src: TensorLike): this {
    return E.inplace(this, 'copy_', src);
  }
  /** In place set every element to `value`; returns this (PyTorch's fill_). */
  fill_(value: number): this {
    return E.fill_(this, value);
  }
  /** In place set every element to 0; returns this (PyTorch's zero_). */
  zero_(): this {
    return E.fill_(this, 0, 'zero_');
  }
  /** In place clip to [min, max]; returns this (PyTorch's clamp_). */
  clamp_(min?: number | null, max?: number | null): this {
    return E.clamp_(this, min, max);
  }
  // ---- reductions (ops/reduce.ts)
  /** Sum over `dim` (one, several, or all when omitted), keeping reduced dims as size 1 with `keepdim`; differentiable. */
  sum(dim?: number | number[], keepdim = false): Tensor {
    return R.sum(this, dim, keepdim);
  }
  /** Mean over `dim` (one, several, or all when omitted), with `keepdim`; differentiable. */
  mean(dim?: number | number[], keepdim = false): Tensor {
    return R.mean(this, dim, keepdim);
  }
  /** Variance over dims: `x.var(1, { correction: 0, keepdim: true })`, or PyTorch's `x.var(1, unbiased, keepdim)`. */
  var(dim?: number | number[], options?: R.VarOptions): Tensor;
  var(dim: number | number[] | undefined, unbiased: boolean, keepdim?: boolean): Tensor;
  var(dim?: number | number[], options?: R.VarOptions | boolean, keepdim?: boolean): Tensor {
    return R.variance(this, dim, options, keepdim);
  }
  /** Standard deviation over dims, with var's arguments. */
  std(dim?: number | number[], options?: R.VarOptions): Tensor;
  std(dim: number | number[] | undefined, unbiased: boolean, keepdim?: boolean): Tensor;
  std(dim?: number | number[], options?: R.VarOptions | boolean, keepdim?: boolean): Tensor {
    return R.std(this, dim, options, keepdim);
  }
  /** Largest element, or `{ values, indices }` along `dim` with `keepdim` (PyTorch's max); differentiable. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): R.ValuesIndices;
  max(dim?: number, keepdim = false): Tensor | R.ValuesIndices {
    return dim === undefined ? R.max(this) : R.max(this, dim, keepdim);
  }
  /** Smallest element, or `{ values, indices }` along `dim` with `keepdim` (PyTorch's min); differentiable. */
  min(): Tensor;
  min(dim: number, keepdim?: boolean): R.ValuesIndices;
  min(dim?: number, keepdim = false): Tensor | R.ValuesIndices {
    return dim === undefined ? R.min(this) : R.min(this, dim, keepdim);
  }
  /** Index of the largest element, flattened or along `dim` with `keepdim`, as int32. */
  argmax(dim?: number, keepdim = false): Tensor {
    return R.argmax(this, dim, keepdim);
  }
  /** Index of the smallest element, flattened or along `dim` with `keepdim`, as int32. */
  argmin(dim?: number, keepdim = false): Tensor {
    return R.argmin(this, dim, keepdim);
  }
  /** Softmax along `dim` (PyTorch's `x.softmax(dim)`); differentiable. */
  softmax(dim: number): Tensor {
    return R.softmax(this, dim);
  }
  /** Log of softmax along `dim`, computed stably (PyTorch's log_softmax); differentiable. */
  logSoftmax(dim: number): Tensor {
    return R.logSoftmax(this, dim);
  }
  /** log(sum(exp(x))) over `dim`, computed stably, with `keepdim`; differentiable. */
  logsumexp(dim: number | number[], keepdim = false): Tensor {
    return R.logsumexp(this, dim, keepdim);
  }
  /** The vector p-norm over dims (all when omitted). @example x.norm(Infinity, { dim: 1, keepdim: true }) */
  norm(p: number | 'fro' = 2, options: R.NormOptions = {}): Tensor {
    return R.norm(this, p, options);
  }
  /** Largest value over dims (all when omitted), without indices. */
  amax(dim?: number | number[], keepdim = false): Tensor {
    return R.amax(this, dim, keepdim);
  }
  /** Smallest value over dims (all when omitted), without indices. */
  amin(dim?: number | number[], keepdim = false): Tensor {
    return R.amin(this, dim, keepdim);
  }
  /** Product over `dim` (all when omitted), with `keepdim`; differentiable. */
  prod(dim?: number, keepdim = false): Tensor {
    return R.prod(this, dim, keepdim);
  }
  /** True if any element is non-zero, over `dim` (all when omitted), with `keepdim`; a bool tensor. */
  any(dim?: number, keepdim = false): Tensor {
    return R.any(this, dim, keepdim);
  }
  /** True if every element is non-zero, over `dim` (all when omitted), with `keepdim`; a bool tensor. */
  all(dim?: number, keepdim = false): Tensor {
    return R.all(this, dim, keepdim);
  }
  /** Cumulative sum along `dim`; differentiable. */
  cumsum(dim: number): Tensor {
    return R.cumsum(this, dim);
  }
  /** Cumulative product along `dim`; differentiable. */
  cumprod(dim: number): Tensor {
    return R.cumprod(this, dim);
  }
  // ---- ordering and sampling (ops/sort.ts)
  /** `{ values, indices }` sorted along `options.dim` (default last), `descending`, `stable`; values differentiable. */
  sort(options?: O.SortOptions): R.ValuesIndices {
    return O.sort(this, options);
  }
  /** Indices that sort along `options.dim` (default last), as int32. */
  argsort(options?: O.SortOptions): Tensor {
    return O.argsort(this, options);
  }
  /** `{ values, indices }` of the `k` largest (or `largest: false` smallest) along `options.dim`; values differentiable. */
  topk(k: number, options?: O.TopkOptions): R.ValuesIndices {
    return O.topk(this, k, options);
  }
  /** `numSamples` int32 indices drawn per row with probability proportional to this tensor's weights. */
  multinomial(numSamples: number, options?: O.MultinomialOptions): Tensor {
    return O.multinomial(this, numSamples, options);
  }
  // ---- linear algebra (ops/linalg.ts)
  /** Matrix product with NumPy/PyTorch broadcasting of 1-D and batch dims (`@`); differentiable. */
  matmul(other: Tensor): Tensor {
    return L.matmul(this, other);
  }
  /** Batched matrix product of (b, n, m) and (b, m, p) without broadcasting; differentiable. */
  bmm(other: Tensor): Tensor {
    return L.bmm(this, other);
  }
  // ---- shape and views (ops/shape.ts)
  /** The same elements in a new shape (-1 infers one size), a view when possible, else a copy; differentiable. */
  reshape(...shape: (number | number[])[]): Tensor {
    return S.reshape(this, S.sizes('reshape', shape));
  }
  /** The same storage seen with a new shape (-1 infers one size); throws when the strides do not allow it; differentiable. */
  view(...shape: (number | number[])[]): Tensor {
    return S.view(this, S.sizes('view', shape));
  }
  /** Dims `startDim`..`endDim` merged into one (a view when possible); differentiable. */
  flatten(startDim = 0, endDim = -1): Tensor {
    return S.flatten(this, startDim, endDim);
  }
  /** A view without size-1 dims (all, or only `dim`); differentiable. */
  squeeze(dim?: number): Tensor {
    return S.squeeze(this, dim);
  }
  /** A view with a new size-1 dim inserted at `dim`; differentiable. */
  unsqueeze(dim: number): Tensor {
    return S.unsqueeze(this, dim);
  }
  /** A view with dims `dim0` and `dim1` swapped; differentiable. */
  transpose(dim0: number, dim1: number): Tensor {
    return S.transpose(this, dim0, dim1);
  }
  /** Transpose of a ≤2-D tensor. */
  t(): Tensor {
    return S.t(this);
  }
  /** The transpose: `t()` for ≤2-D tensors, all dims reversed otherwise (PyTorch's `x.T`). */
  get T(): Tensor {
    return this.ndim <= 2
      ? S.t(this)
      : S.permute(
          this,
          this.shape.map((_, i) => this.ndim - 1 - i),
        );
  }
  /** The last two dims swapped, a batch of matrix transposes (PyTorch's `x.mT`). */
  get mT(): Tensor {
    if (this.ndim < 2) throw new RangeError(`mT: expects a tensor with at least 2 dims (got shape ${fmtShape(this.shape)})`);
    return S.transpose(this, -2, -1);
  }
  /** A view with the dims reordered to `dims`; differentiable. */
  permute(...dims: (number | number[])[]): Tensor {
    return S.permute(this, S.sizes('permute', dims));
  }
  /** A broadcast view to `sizes` (-1 keeps a size) without copying; differentiable. */
  expand(...sizes: (number | number[])[]): Tensor {
    return S.expand(this, S.sizes('expand', sizes));
  }
  /** A broadcast view to `other`'s shape (PyTorch's expand_as); differentiable. */
  expandAs(other: Tensor): Tensor {
    return S.expand(this, [...tensorArg('expandAs', 'other', other).shape]);
  }
  /** This tensor if row-major contiguous, else a contiguous copy; differentiable. */
  contiguous(): Tensor {
    return S.contiguous(this);
  }
  /** A copy with its own storage, recorded for autograd; differentiable. */
  clone(): Tensor {
    return S.clone(this);
  }
  /** A tensor sharing this one's storage, cut from the graph. */
  detach(): Tensor {
    return S.detach(this);
  }
  /** A view of `start:end:step` along `dim` (PyTorch's `x[..., start:end:step]`); differentiable. */
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return S.slice(this, dim, start, end, step);
  }
  /** A view of `length` elements from `start` along `dim`; differentiable. */
  narrow(dim: number, start: number, length: number): Tensor {
    return S.narrow(this, dim, start, length);
  }
  /** A view at `index` along `dim`, removing that dim (PyTorch's `x[..., index]`); differentiable. */
  select(dim: number, index: number): Tensor {
    return S.select(this, dim, index);
  }
  /** Views of `sizeOrSections` elements each (or the listed sizes) along `dim`; differentiable. */
  split(sizeOrSections: number | number[], dim = 0): Tensor[] {
    return S.split(this, sizeOrSections, dim);
  }
  /** `chunks` views of near-equal size along `dim`; differentiable. */
  chunk(chunks: number, dim = 0): Tensor[] {
    return S.chunk(this, chunks, dim);
  }
  // ---- rearranging (ops/rearrange.ts)
  /** A copy with elements above diagonal `diagonal` of the last two dims zeroed; differentiable. */
  tril(diagonal = 0): Tensor {
    return A.tril(this, diagonal);
  }
  /** A copy with elements below diagonal `diagonal` of the last two dims zeroed; differentiable. */
  triu(diagonal = 0): Tensor {
    return A.triu(this, diagonal);
  }
  /** A copy reversed along `dims`; differentiable. */
  flip(dims: number | number[]): Tensor {
    return A.flip(this, dims);
  }
  /** A copy shifted circularly by `shifts` along `dims` (flattened when omitted); differentiable. */
  roll(shifts: number | number[], dims?: number | number[]): Tensor {
    return A.roll(this, shifts, dims);
  }
  /** A copy tiled `sizes` times per dim (PyTorch's repeat, not NumPy's); differentiable. */
  repeat(...sizes: (number | number[])[]): Tensor {
    return A.repeat(this, S.sizes('repeat', sizes));
  }
  /** A copy tiled `dims` times per dim, leading 1s filled in (PyTorch's tile); differentiable. */
  tile(...dims: (number | number[])[]): Tensor {
    return A.tile(this, S.sizes('tile', dims));
  }
  // ---- indexing (ops/indexing.ts)
  /** The entries at int32 `index` along `dim` (PyTorch's index_select); differentiable. */
  indexSelect(dim: number, index: Tensor): Tensor {
    return I.indexSelect(this, dim, index);
  }
  /** Values picked along `dim` at int32 `index`, output shaped like `index`; differentiable. */
  gather(dim: number, index: Tensor): Tensor {
    return I.gather(this, dim, index);
  }
  /** A copy with `src` written along `dim` at int32 `index` (out-of-place scatter); differentiable. */
  scatter(dim: number, index: Tensor, src: Tensor | number): Tensor {
    return I.scatter(this, dim, index, src);
  }
  /** A copy with `src` added along `dim` at int32 `index` (out-of-place scatter_add); differentiable. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return I.scatterAdd(this, dim, index, src);
  }
  /** A copy with `alpha * source` rows added at int32 `index` along `dim` (out-of-place index_add); differentiable. */
  indexAdd(dim: number, index: Tensor, source: Tensor, options?: { alpha?: number }): Tensor {
    return I.indexAdd(this, dim, index, source, options);
  }
}

setTensorClass(Tensor);
