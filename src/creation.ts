/** Factories: tensor() from data, and zeros/ones/full/eye/arange/linspace/rand/randn/randint and *Like. */
import type { Device, DType, TypedArray } from './dtype.js';
import { getDefaultDevice } from './device.js';
import { isFloat } from './dtype.js';
import { Generator, defaultGenerator } from './random.js';
import { fmtShape, numel } from './shape.js';
import type { NestedArray } from './tensor.js';
import { Tensor } from './tensor.js';
import * as V from './validate.js';

/** Options every factory takes. */
export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

/** Options of `tensor()`: a flat array or typed array plus `shape` skips nesting. */
export interface TensorDataOptions extends TensorOptions {
  shape?: readonly number[];
}

/** Options of the random factories. */
export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

const OPTION_KEYS = ['dtype', 'device', 'requiresGrad'];
const RANDOM_KEYS = [...OPTION_KEYS, 'generator'];

/** Checks a factory's options object: known keys, a real dtype and device, a boolean requiresGrad. */
function checkOptions<O extends TensorOptions>(fn: string, opts: O | undefined, keys = OPTION_KEYS): O {
  const o = V.options(fn, opts, keys);
  if (o.dtype !== undefined) V.dtype(fn, o.dtype);
  if (o.device !== undefined) V.device(fn, o.device);
  if (o.requiresGrad !== undefined) V.bool(fn, 'requiresGrad', o.requiresGrad);
  if ((o as RandomOptions).generator !== undefined && !((o as RandomOptions).generator instanceof Generator)) {
    throw new TypeError(`${fn}: generator must be a Generator (got ${V.show((o as RandomOptions).generator)})`);
  }
  return o;
}

/** A size given as varargs `(2, 3)`, one array `([2, 3])`, either followed by an options object. */
export type SizeArgs<O> = [size: readonly number[], opts?: O] | number[] | [...size: number[], opts: O];

function splitSizeArgs<O extends TensorOptions>(fn: string, args: readonly unknown[], keys = OPTION_KEYS): [number[], O] {
  if (args.length > 1 && args[args.length - 1] === undefined) args = args.slice(0, -1);
  const last = args[args.length - 1];
  const hasOpts = args.length > 0 && V.isPlainObject(last);
  const sizes = hasOpts ? args.slice(0, -1) : args;
  if (sizes.length === 0) throw new TypeError(`${fn}: expects a size, e.g. ${fn}(2, 3) or ${fn}([2, 3])`);
  return [V.sizeArgs(fn, sizes), checkOptions<O>(fn, (hasOpts ? last : undefined) as O | undefined, keys)];
}

function fromFlat(fn: string, values: ArrayLike<number>, shape: readonly number[], opts: TensorOptions, dtype: DType): Tensor {
  const t = Tensor.empty(shape, dtype, opts.device ?? getDefaultDevice());
  const view = t.backend.view(t.storage);
  if (dtype === 'int32' || dtype === 'bool') {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (dtype === 'int32' && !Number.isInteger(v)) throw new TypeError(`${fn}: int32 data must be integers (element ${i} is ${v})`);
      if (dtype === 'int32' && (v < V.INT32_MIN || v > V.INT32_MAX)) {
        throw new RangeError(
          `${fn}: int32 data must lie in ${V.INT32_MIN}..${V.INT32_MAX} (element ${i} is ${v}); use dtype 'float32' or 'float64' for larger values`,
        );
      }
      view[i] = dtype === 'bool' ? +!!v : v;
    }
  } else view.set(values);
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function inferShape(data: NestedArray, path: string): number[] {
  if (!Array.isArray(data)) return [];
  if (data.length === 0) return [0];
  const inner = inferShape(data[0], `${path}[0]`);
  return [data.length, ...inner];
}

function flatten(data: NestedArray, shape: readonly number[], dim: number, path: string, out: number[], kinds: Set<string>): void {
  if (dim === shape.length) {
    if (Array.isArray(data)) throw new TypeError(`tensor: ragged nested array: ${path} is an array where a number was expected (shape ${fmtShape(shape)})`);
    if (typeof data === 'boolean') kinds.add('bool');
    else if (typeof data === 'number') kinds.add(Number.isInteger(data) ? 'int' : 'float');
    else throw new TypeError(`tensor: ${path} is ${typeof data}, expected a number or boolean`);
    out.push(+data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim]) {
    throw new TypeError(
      `tensor: ragged nested array: ${path} has ${Array.isArray(data) ? `length ${data.length}` : 'no elements'} but length ${shape[dim]} was expected (shape ${fmtShape(shape)})`,
    );
  }
  data.forEach((v, i) => flatten(v, shape, dim + 1, `${path}[${i}]`, out, kinds));
}

/**
 * A tensor from nested arrays, a flat array or a typed array (copied). The dtype is inferred like
 * PyTorch's (float32 for floats, int32 for integers, bool for booleans, Int32Array → int32).
 * @example const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 */
export function tensor(data: NestedArray | TypedArray | readonly number[], opts: TensorDataOptions = {}): Tensor {
  checkOptions('tensor', opts, [...OPTION_KEYS, 'shape']);
  if (ArrayBuffer.isView(data) && !(data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array)) {
    throw new TypeError(`tensor: data must be a nested array, a Float32Array, a Float64Array or an Int32Array (got ${V.show(data)})`);
  }
  if (ArrayBuffer.isView(data) || (opts.shape && Array.isArray(data))) {
    const flat = data as ArrayLike<number>;
    const shape = V.shape('tensor', opts.shape ?? [flat.length], 'shape');
    if (numel(shape) !== flat.length) throw new RangeError(`tensor: shape ${fmtShape(shape)} needs ${numel(shape)} elements but the data has ${flat.length}`);
    const dtype = opts.dtype ?? (data instanceof Int32Array ? 'int32' : data instanceof Float64Array && opts.device === 'js' ? 'float64' : 'float32');
    return fromFlat('tensor', flat, shape, opts, dtype);
  }
  const shape = inferShape(data as NestedArray, 'data');
  const flat: number[] = [];
  const kinds = new Set<string>();
  flatten(data as NestedArray, shape, 0, 'data', flat, kinds);
  const inferred: DType = kinds.has('float')
    ? 'float32'
    : kinds.has('int')
      ? opts.requiresGrad
        ? 'float32'
        : 'int32'
      : kinds.has('bool')
        ? 'bool'
        : 'float32';
  return fromFlat('tensor', flat, shape, opts, opts.dtype ?? inferred);
}

/** A tensor of `shape` filled with `value`. @example full([2, 2], 7) */
export function full(shape: readonly number[], value: number, opts?: TensorOptions): Tensor {
  return fill('full', V.shape('full', shape), value, checkOptions('full', opts));
}

function fill(fn: string, shape: number[], value: number, opts: TensorOptions): Tensor {
  const dtype = opts.dtype ?? 'float32';
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError(`${fn}: value must be a number (got ${V.show(value)})`);
  if (dtype === 'int32' && (!Number.isInteger(value) || value < V.INT32_MIN || value > V.INT32_MAX)) {
    throw new RangeError(`${fn}: cannot fill an int32 tensor with ${value} (int32 holds integers in ${V.INT32_MIN}..${V.INT32_MAX})`);
  }
  // +0 and false, not -0 or NaN: fresh memory holds +0's bits.
  const zero = Object.is(Number(value), 0);
  const t = Tensor.empty(shape, dtype, opts.device ?? getDefaultDevice(), zero);
  if (!zero) t.backend.fill(t.storage, 0, t.numel(), dtype === 'bool' ? +!!value : value);
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** A tensor of zeros. @example zeros(2, 3); zeros([2, 3], { dtype: 'int32' }) */
export function zeros(...args: SizeArgs<TensorOptions>): Tensor {
  const [shape, opts] = splitSizeArgs('zeros', args);
  return fill('zeros', shape, 0, opts);
}

/** A tensor of ones. @example ones(2, 3); ones([2, 3]) */
export function ones(...args: SizeArgs<TensorOptions>): Tensor {
  const [shape, opts] = splitSizeArgs('ones', args);
  return fill('ones', shape, 1, opts);
}

function like(fn: string, t: Tensor, opts: TensorOptions | undefined, keys = OPTION_KEYS): TensorOptions {
  if (!(t instanceof Tensor)) throw new TypeError(`${fn}: expects a Tensor as its first argument (got ${V.show(t)})`);
  t.check(fn);
  return { dtype: t.dtype, device: t.device, ...checkOptions(fn, opts, keys) };
}

/** Zeros with t's shape, dtype and device. */
export function zerosLike(t: Tensor, opts?: TensorOptions): Tensor {
  const o = like('zerosLike', t, opts);
  return fill('zerosLike', [...t.shape], 0, o);
}

/** Ones with t's shape, dtype and device. */
export function onesLike(t: Tensor, opts?: TensorOptions): Tensor {
  const o = like('onesLike', t, opts);
  return fill('onesLike', [...t.shape], 1, o);
}

/** `value` everywhere, with t's shape, dtype and device. */
export function fullLike(t: Tensor, value: number, opts?: TensorOptions): Tensor {
  const o = like('fullLike', t, opts);
  return fill('fullLike', [...t.shape], value, o);
}

/** The n×m identity matrix (m defaults to n). @example eye(3); eye(2, 3, { dtype: 'int32' }) */
export function eye(n: number, m?: number | TensorOptions, opts?: TensorOptions): Tensor {
  if (V.isPlainObject(m)) [m, opts] = [undefined, m as TensorOptions];
  V.size('eye', 'n', n);
  const cols = m === undefined ? n : V.size('eye', 'm', m);
  const o = checkOptions('eye', opts);
  const t = fill('eye', V.shape('eye', [n, cols]), 0, o);
  if (Math.min(n, cols) > 0) {
    const view = t.backend.view(t.storage);
    for (let i = 0; i < Math.min(n, cols); i++) view[i * cols + i] = 1;
  }
  return t;
}

/**
 * Values start, start+step, … below end; int32 when all arguments are integers, like PyTorch.
 * An options object may follow any number of the numbers, as in PyTorch's keyword arguments.
 * @example arange(5) // [0, 1, 2, 3, 4]; arange(16, { dtype: 'float32' })
 */
export function arange(start: number, end?: number | TensorOptions, step?: number | TensorOptions, opts?: TensorOptions): Tensor {
  if (V.isPlainObject(end)) [end, step, opts] = [undefined, undefined, end as TensorOptions];
  else if (V.isPlainObject(step)) [step, opts] = [undefined, step as TensorOptions];
  const o = checkOptions('arange', opts);
  V.num('arange', end === undefined ? 'end' : 'start', start);
  if (end === undefined) [start, end] = [0, start];
  const stop = V.num('arange', 'end', end);
  const by = step === undefined ? 1 : V.num('arange', 'step', step);
  if (by === 0) throw new RangeError('arange: step must be non-zero');
  if ((stop - start) / by < 0) throw new RangeError(`arange: end ${stop} cannot be reached from start ${start} with step ${by} (PyTorch raises too)`);
  const n = Math.ceil((stop - start) / by);
  if (!Number.isSafeInteger(n)) throw new RangeError(`arange: ${start}..${stop} by ${by} has ${n} elements, more than any tensor can hold`);
  const integral = [start, stop, by].every(Number.isInteger);
  const dtype = o.dtype ?? (integral ? 'int32' : 'float32');
  const last = start + (n - 1) * by;
  if (dtype === 'int32' && n > 0 && (Math.min(start, last) < V.INT32_MIN || Math.max(start, last) > V.INT32_MAX)) {
    throw new RangeError(`arange: values ${start}..${last} do not fit in int32 (${V.INT32_MIN}..${V.INT32_MAX}); pass { dtype: 'float32' } or 'float64'`);
  }
  // Allocating first makes a size that cannot fit fail before n values are computed.
  const t = Tensor.empty([n], dtype, o.device ?? getDefaultDevice());
  const view = t.backend.view(t.storage);
  for (let i = 0; i < n; i++) view[i] = dtype === 'bool' ? +(start + i * by !== 0) : start + i * by;
  if (o.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, opts?: TensorOptions): Tensor {
  V.num('linspace', 'start', start);
  V.num('linspace', 'end', end);
  // The values are made in JS before the tensor, so bound them first as the allocator would.
  V.int('linspace', 'steps', steps, { min: 0, max: V.INT32_MAX });
  const values = Float64Array.from({ length: steps }, (_, i) => (steps === 1 ? start : start + ((end - start) * i) / (steps - 1)));
  return fromFlat('linspace', values, [steps], checkOptions('linspace', opts), opts?.dtype ?? 'float32');
}

/** Allocates first, so a size that cannot fit fails before any sampling, then samples into the tensor. */
function randomTensor(fn: string, shape: number[], opts: RandomOptions, sample: (g: Generator) => number, dtype: DType): Tensor {
  if (dtype === 'bool') throw new TypeError(`${fn}: dtype 'bool' is not supported (use rand(...).lt(p) for random booleans)`);
  if (fn !== 'randint' && !isFloat(dtype)) throw new TypeError(`${fn}: dtype must be 'float32' or 'float64' (got '${dtype}'); use randint for integers`);
  const t = Tensor.empty(shape, dtype, opts.device ?? getDefaultDevice());
  const g = opts.generator ?? defaultGenerator;
  const view = t.backend.view(t.storage);
  for (let i = 0; i < view.length; i++) view[i] = sample(g);
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** Uniform samples in [0, 1). @example rand(2, 2) */
export function rand(...args: SizeArgs<RandomOptions>): Tensor {
  const [shape, opts] = splitSizeArgs<RandomOptions>('rand', args, RANDOM_KEYS);
  return randomTensor('rand', shape, opts, (g) => g.random(), opts.dtype ?? 'float32');
}

/** Standard normal samples. @example randn(2, 2) */
export function randn(...args: SizeArgs<RandomOptions>): Tensor {
  const [shape, opts] = splitSizeArgs<RandomOptions>('randn', args, RANDOM_KEYS);
  return randomTensor('randn', shape, opts, (g) => g.normal(), opts.dtype ?? 'float32');
}

/** Uniform integers in [low, high), both within int32. @example randint(0, 10, [5]) */
export function randint(low: number, high: number, shape: readonly number[], opts?: RandomOptions): Tensor {
  V.int('randint', 'low', low, { min: V.INT32_MIN, max: V.INT32_MAX });
  V.int('randint', 'high', high, { min: V.INT32_MIN, max: V.INT32_MAX + 1 });
  if (high <= low) throw new RangeError(`randint: need low < high (got ${low}, ${high})`);
  const o = checkOptions<RandomOptions>('randint', opts, RANDOM_KEYS);
  return randomTensor('randint', V.shape('randint', shape), o, (g) => g.integer(low, high), o.dtype ?? 'int32');
}

/** Uniform [0, 1) samples with t's shape. */
export function randLike(t: Tensor, opts?: RandomOptions): Tensor {
  const o: RandomOptions = like('randLike', t, opts, RANDOM_KEYS);
  return randomTensor('randLike', [...t.shape], o, (g) => g.random(), o.dtype!);
}

/** Standard normal samples with t's shape. */
export function randnLike(t: Tensor, opts?: RandomOptions): Tensor {
  const o: RandomOptions = like('randnLike', t, opts, RANDOM_KEYS);
  return randomTensor('randnLike', [...t.shape], o, (g) => g.normal(), o.dtype!);
}
