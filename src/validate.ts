/**
 * Run-time argument checks for plain-JavaScript callers, shared by every public function. Each
 * check names the function, the argument and the value it got, and returns the value (narrowed),
 * so a call site reads `const n = int('eye', 'n', n, { min: 0 })`.
 */
import type { Device, DType } from './dtype.js';
import { Generator } from './random.js';
import { Tensor } from './tensor.js';
import { show } from './describe.js';

export { func, show } from './describe.js';

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];
export const DEVICES: readonly Device[] = ['wasm', 'js'];
/** The largest int32, the bound of every int32 value and index. */
export const INT32_MAX = 2147483647;
export const INT32_MIN = -2147483648;

interface Range {
  min?: number;
  max?: number;
}

function rangeText(r: Range): string {
  if (r.min !== undefined && r.max !== undefined) return ` in ${r.min}..${r.max}`;
  if (r.min === 0) return ' ≥ 0';
  if (r.min !== undefined) return ` ≥ ${r.min}`;
  if (r.max !== undefined) return ` ≤ ${r.max}`;
  return '';
}

/** An integer (a JS number with no fraction), optionally within [min, max]. */
export function int(fn: string, arg: string, v: unknown, r: Range = {}): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || (r.min !== undefined && v < r.min) || (r.max !== undefined && v > r.max)) {
    throw new (typeof v === 'number' ? RangeError : TypeError)(`${fn}: ${arg} must be an integer${rangeText(r)} (got ${show(v)})`);
  }
  return v;
}

/** A size: a non-negative integer. */
export function size(fn: string, arg: string, v: unknown): number {
  return int(fn, arg, v, { min: 0 });
}

/** A finite number (or, with `finite: false`, any non-NaN number), optionally within [min, max]. */
export function num(fn: string, arg: string, v: unknown, r: Range & { finite?: boolean; exclusiveMin?: boolean } = {}): number {
  const finite = r.finite ?? true;
  const below = r.min !== undefined && (r.exclusiveMin ? !((v as number) > r.min) : (v as number) < r.min);
  if (typeof v !== 'number' || Number.isNaN(v) || (finite && !Number.isFinite(v)) || below || (r.max !== undefined && v > r.max)) {
    const what = r.exclusiveMin && r.min !== undefined ? ` > ${r.min}${r.max !== undefined ? ` and ≤ ${r.max}` : ''}` : rangeText(r);
    throw new (typeof v === 'number' ? RangeError : TypeError)(`${fn}: ${arg} must be a ${finite ? 'finite ' : ''}number${what} (got ${show(v)})`);
  }
  return v;
}

/** A boolean. */
export function bool(fn: string, arg: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${fn}: ${arg} must be true or false (got ${show(v)})`);
  return v;
}

/** One of a fixed set of values (option strings such as 'mean' or 'fan_in'). */
export function oneOf<T>(fn: string, arg: string, v: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) throw new TypeError(`${fn}: ${arg} must be one of ${allowed.map(show).join(', ')} (got ${show(v)})`);
  return v as T;
}

/** A dtype string. */
export function dtype(fn: string, v: unknown, arg = 'dtype'): DType {
  if (!DTYPES.includes(v as DType)) {
    throw new TypeError(`${fn}: ${arg} must be one of ${DTYPES.map(show).join(', ')} (got ${show(v)})`);
  }
  return v as DType;
}

/** A device string. */
export function device(fn: string, v: unknown, arg = 'device'): Device {
  if (!DEVICES.includes(v as Device)) throw new TypeError(`${fn}: ${arg} must be one of ${DEVICES.map(show).join(', ')} (got ${show(v)})`);
  return v as Device;
}

/** A shape: an array of non-negative integers whose product is a safe integer. */
export function shape(fn: string, v: unknown, arg = 'size'): number[] {
  if (!Array.isArray(v)) throw new TypeError(`${fn}: ${arg} must be an array of non-negative integers (got ${show(v)})`);
  let n = 1;
  for (let i = 0; i < v.length; i++) {
    const s = v[i];
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0) {
      throw new (typeof s === 'number' ? RangeError : TypeError)(
        `${fn}: ${arg} ${show(v)} is invalid: element ${i} is ${show(s)} (sizes must be non-negative integers)`,
      );
    }
    n *= s;
  }
  if (!Number.isSafeInteger(n)) throw new RangeError(`${fn}: ${arg} ${show(v)} has ${n} elements, more than any tensor can hold`);
  return [...v];
}

/** A size given as one integer (a 1-D size, as PyTorch's IntArrayRef accepts) or as an array. */
export function shapeOrInt(fn: string, v: unknown, arg = 'size'): number[] {
  return shape(fn, typeof v === 'number' ? [v] : v, arg);
}

/** An optional Tensor argument: null/undefined, or a live Tensor. */
export function optionalTensor(fn: string, arg: string, v: unknown): Tensor | null {
  return v === null || v === undefined ? null : tensorArg(fn, arg, v);
}

/**
 * A size given PyTorch's two ways, varargs `(2, 3)` or one array `([2, 3])`, as a checked array.
 * A lone number is a 1-D size.
 */
export function sizeArgs(fn: string, args: readonly unknown[], arg = 'size'): number[] {
  return shape(fn, args.length === 1 && Array.isArray(args[0]) ? args[0] : args, arg);
}

/** An options object (or undefined → {}), refusing keys it does not know, as a typo would otherwise be ignored. */
export function options<T extends object>(fn: string, v: T | undefined, allowed: readonly string[], arg = 'options'): T {
  if (v === undefined) return {} as T;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`${fn}: ${arg} must be an object (got ${show(v)})`);
  for (const key of Object.keys(v)) {
    if (!allowed.includes(key)) {
      throw new TypeError(`${fn}: unknown option ${show(key)} in ${arg}; valid options are ${allowed.map((k) => `'${k}'`).join(', ')}`);
    }
  }
  return v;
}

/** An array of live Tensors. */
export function tensorList(fn: string, arg: string, v: unknown): Tensor[] {
  if (!Array.isArray(v)) throw new TypeError(`${fn}: ${arg} must be an array of Tensors (got ${show(v)})`);
  v.forEach((t, i) => tensorArg(fn, `${arg}[${i}]`, t));
  return v;
}

/** A random Generator; undefined stays undefined (the caller's default applies). */
export function generator<G extends Generator | undefined>(fn: string, v: G, arg = 'generator'): G {
  if (v !== undefined && !(v instanceof Generator)) throw new TypeError(`${fn}: ${arg} must be a Generator (got ${show(v)})`);
  return v;
}

/** True for a plain options object (not an array, not a tensor or other class instance). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** A live Tensor argument (a released one raises its own clear error). */
export function tensorArg(fn: string, arg: string, v: unknown): Tensor {
  if (!(v instanceof Tensor)) throw new TypeError(`${fn}: ${arg} must be a Tensor (got ${show(v)})`);
  return v.check(fn);
}
