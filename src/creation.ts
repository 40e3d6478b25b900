/** Factories: tensor() from data, and zeros/ones/full/eye/arange/linspace/rand/randn/randint and *Like. */
import type { Device, DType, TypedArray } from './dtype.js';
import { getDefaultDevice } from './device.js';
import { Generator, defaultGenerator } from './random.js';
import { checkShape, fmtShape, numel } from './shape.js';
import type { NestedArray } from './tensor.js';
import { Tensor } from './tensor.js';

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

function fromFlat(values: ArrayLike<number>, shape: readonly number[], opts: TensorOptions, dtype: DType): Tensor {
  const t = Tensor.empty(shape, dtype, opts.device ?? getDefaultDevice());
  const view = t.backend.view(t.storage);
  if (dtype === 'int32' || dtype === 'bool') {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isInteger(v) && dtype === 'int32') throw new TypeError(`tensor: int32 data must be integers (element ${i} is ${v})`);
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
    throw new TypeError(`tensor: ragged nested array: ${path} has ${Array.isArray(data) ? `length ${data.length}` : 'no elements'} but length ${shape[dim]} was expected (shape ${fmtShape(shape)})`);
  }
  data.forEach((v, i) => flatten(v, shape, dim + 1, `${path}[${i}]`, out, kinds));
}

/**
 * A tensor from nested arrays, a flat array or a typed array (copied). The dtype is inferred like
 * PyTorch's (float32 for floats, int32 for integers, bool for booleans, Int32Array → int32).
 * @example const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 */
export function tensor(data: NestedArray | TypedArray | readonly number[], opts: TensorDataOptions = {}): Tensor {
  if (ArrayBuffer.isView(data) || (opts.shape && Array.isArray(data))) {
    const flat = data as ArrayLike<number>;
    const shape = checkShape('tensor', opts.shape ?? [flat.length]);
    if (numel(shape) !== flat.length) throw new RangeError(`tensor: shape ${fmtShape(shape)} needs ${numel(shape)} elements but the data has ${flat.length}`);
    const dtype = opts.dtype ?? (data instanceof Int32Array ? 'int32' : data instanceof Float64Array && opts.device === 'js' ? 'float64' : 'float32');
    return fromFlat(flat, shape, opts, dtype);
  }
  const shape = inferShape(data as NestedArray, 'data');
  const flat: number[] = [];
  const kinds = new Set<string>();
  flatten(data as NestedArray, shape, 0, 'data', flat, kinds);
  const inferred: DType = kinds.has('float') ? 'float32' : kinds.has('int') ? (opts.requiresGrad ? 'float32' : 'int32') : kinds.has('bool') ? 'bool' : 'float32';
  return fromFlat(flat, shape, opts, opts.dtype ?? inferred);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
  if (Number.isNaN(value) && opts.dtype !== undefined && opts.dtype !== 'float32' && opts.dtype !== 'float64') throw new TypeError(`full: cannot fill an ${opts.dtype} tensor with NaN`);
  const t = Tensor.empty(checkShape('full', shape), opts.dtype ?? 'float32', opts.device ?? getDefaultDevice());
  t.backend.fill(t.storage, 0, t.numel(), value);
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** A factory's arguments: a shape array, or sizes as varargs (PyTorch's `zeros(2, 3)`), then options. */
export type SizeArgs<O> = [shape: readonly number[], opts?: O] | [...sizes: number[]] | [...sizes: number[], opts: O];

/** Splits `zeros([2, 3], opts)` / `zeros(2, 3, opts)` into the shape and the options. */
function sizeArgs<O extends object>(op: string, args: readonly unknown[]): [number[], O] {
  if (Array.isArray(args[0])) {
    if (args.length > 2) throw new TypeError(`${op}: after a shape array only an options object may follow (got ${args.length} arguments); pass sizes either as an array or as numbers`);
    return [args[0] as number[], (args[1] ?? {}) as O];
  }
  const last = args[args.length - 1];
  const hasOpts = last !== null && typeof last === 'object';
  const sizes = hasOpts ? args.slice(0, -1) : args;
  sizes.forEach((v, i) => {
    if (typeof v !== 'number') throw new TypeError(`${op}: size ${i} is ${v === null ? 'null' : typeof v}; pass sizes as numbers (${op}(2, 3)) or one array (${op}([2, 3])), then options`);
  });
  return [sizes as number[], (hasOpts ? last : {}) as O];
}

/** A tensor of zeros. @example zeros(2, 3); zeros([2, 3], { dtype: 'int32' }) */
export function zeros(...args: SizeArgs<TensorOptions>): Tensor {
  const [shape, opts] = sizeArgs<TensorOptions>('zeros', args);
  return full(shape, 0, opts);
}

/** A tensor of ones. @example ones(2, 3); ones([2, 3]) */
export function ones(...args: SizeArgs<TensorOptions>): Tensor {
  const [shape, opts] = sizeArgs<TensorOptions>('ones', args);
  return full(shape, 1, opts);
}

function likeOpts(t: Tensor, opts: TensorOptions): TensorOptions {
  return { dtype: t.dtype, device: t.device, ...opts };
}

/** Zeros with t's shape, dtype and device. */
export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return full(t.shape, 0, likeOpts(t, opts));
}

/** Ones with t's shape, dtype and device. */
export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return full(t.shape, 1, likeOpts(t, opts));
}

/** `value` everywhere, with t's shape, dtype and device. */
export function fullLike(t: Tensor, value: number, opts: TensorOptions = {}): Tensor {
  return full(t.shape, value, likeOpts(t, opts));
}

/** The n×m identity matrix (m defaults to n). */
export function eye(n: number, m: number = n, opts: TensorOptions = {}): Tensor {
  const values = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) values[i * m + i] = 1;
  return fromFlat(values, checkShape('eye', [n, m]), opts, opts.dtype ?? 'float32');
}

/**
 * Values start, start+step, … below end; int32 when all arguments are integers, like PyTorch.
 * @example arange(5) // [0, 1, 2, 3, 4]
 */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new RangeError(`arange: step must be finite and non-zero (got ${step})`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const values = Float64Array.from({ length: n }, (_, i) => start + i * step);
  const integral = [start, end, step].every(Number.isInteger);
  return fromFlat(values, [n], opts, opts.dtype ?? (integral ? 'int32' : 'float32'));
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: steps must be a non-negative integer (got ${steps})`);
  const values = Float64Array.from({ length: steps }, (_, i) => (steps === 1 ? start : start + ((end - start) * i) / (steps - 1)));
  return fromFlat(values, [steps], opts, opts.dtype ?? 'float32');
}

function randomTensor(op: string, shape: readonly number[], opts: RandomOptions, sample: (g: Generator) => number, dtype: DType): Tensor {
  const values = new Float64Array(numel(checkShape(op, shape)));
  const g = opts.generator ?? defaultGenerator;
  for (let i = 0; i < values.length; i++) values[i] = sample(g);
  return fromFlat(values, shape, opts, dtype);
}

/** Uniform samples in [0, 1). @example rand(2, 2); rand([2, 2], { generator }) */
export function rand(...args: SizeArgs<RandomOptions>): Tensor {
  const [shape, opts] = sizeArgs<RandomOptions>('rand', args);
  return randomTensor('rand', shape, opts, (g) => g.random(), opts.dtype ?? 'float32');
}

/** Standard normal samples. @example randn(2, 3); randn([2, 3], { requiresGrad: true }) */
export function randn(...args: SizeArgs<RandomOptions>): Tensor {
  const [shape, opts] = sizeArgs<RandomOptions>('randn', args);
  return randomTensor('randn', shape, opts, (g) => g.normal(), opts.dtype ?? 'float32');
}

/** Uniform integers in [low, high). @example randint(0, 10, [5]) */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw new RangeError(`randint: need integers low < high (got ${low}, ${high})`);
  return randomTensor('randint', shape, opts, (g) => g.integer(low, high), opts.dtype ?? 'int32');
}

/** Uniform [0, 1) samples with t's shape. */
export function randLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return rand(t.shape, { dtype: t.dtype, device: t.device, ...opts });
}

/** Standard normal samples with t's shape. */
export function randnLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return randn(t.shape, { dtype: t.dtype, device: t.device, ...opts });
}
