// API fuzz (issue 8): every public function, Tensor method and nn/optim/data constructor is called
// with wrong-typed, non-finite, fractional, negative, huge and wrong-dtype arguments. Each call must
// return or throw an Error that names the function; never a crash inside the engine (a TypeError
// about undefined, a stack overflow, an invalid typed array length), and never a corrupted
// allocator: after every call a fresh tensor's values are its own.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';

const { tensor, Tensor } = T;

/** Messages that mean a check was missing and the engine tripped over the value. */
const ENGINE_CRASH =
  /is not a function|Cannot read propert|is not iterable|Invalid typed array length|Maximum call stack|Cannot convert|Array buffer allocation|is not a constructor|Cannot destructure|object null is not|undefined is not/;

/** Functions whose point is a side effect on the process (threads, files, the default device, output). */
const SKIP = new Set([
  'setNumThreads',
  'setDefaultDevice',
  'save',
  'load',
  'fitAsync',
  'fit',
  'evaluate',
  'evaluateAsync',
  'plotHistory',
  'releasePendingGraphs',
  'exportToFile',
]);

const bad = (): unknown[] => [
  NaN,
  Infinity,
  -Infinity,
  -1,
  2.5,
  1e12,
  2 ** 31,
  -(2 ** 31) - 1,
  0,
  3,
  '3',
  'float16',
  'int64',
  'js',
  null,
  undefined,
  true,
  {},
  { bogus: 1 },
  { dtype: 'float16' },
  { dtype: 'int32' },
  [],
  [2.5],
  [NaN],
  [-1],
  [2, 3],
  [1e9, 1e9],
  () => 1,
  tensor([1, 2, 3], { dtype: 'int32' }),
  tensor([
    [1.5, -2],
    [3, 4],
  ]),
  tensor([true, false]),
  tensor([]).float(),
  tensor(2.5),
  tensor([-1, 0], { dtype: 'int32' }),
];
const arg = fc.oneof(fc.constantFrom(...bad()), fc.double(), fc.integer({ min: -5, max: 5 }));

function expectSound(): void {
  const y = tensor([1, 2, 3]).add(tensor([100, 200, 300]));
  expect(y.tolist()).toEqual([101, 202, 303]);
  expect(Number.isFinite(T.memoryStats().liveBytes)).toBe(true);
}

/** Runs `call`; returns a description of what went wrong, or null. */
function judge(name: string, call: () => unknown): string | null {
  let result: unknown;
  try {
    result = call();
  } catch (e) {
    if (!(e instanceof Error)) return `${name} threw a non-Error ${String(e)}`;
    if (ENGINE_CRASH.test(e.message) || (e instanceof RangeError && /call stack/.test(e.message))) return `${name} crashed: ${e.message}`;
    return null;
  }
  if (result instanceof Promise) result.catch(() => undefined);
  if (result instanceof Tensor && result.releasedBecause === null) {
    if (!result.shape.every((s) => Number.isInteger(s) && s >= 0)) return `${name} returned a tensor of shape [${result.shape.join(', ')}]`;
  }
  return null;
}

function check(name: string, make: (args: unknown[]) => () => unknown, maxArgs = 4): void {
  fc.assert(
    fc.property(fc.array(arg, { maxLength: maxArgs }), (args) => {
      const problem = T.tidy(() => judge(name, make(args)));
      expect(problem).toBeNull();
      expectSound();
    }),
    { numRuns: 12, seed: 8 },
  );
}

const isClass = (f: Function): boolean => /^class[\s{]/.test(Function.prototype.toString.call(f));

describe('API fuzz: wrong arguments give a result or a clear Error, and the allocator stays sound', () => {
  const top = Object.entries(T).filter(([n, v]) => typeof v === 'function' && !isClass(v) && !SKIP.has(n)) as [string, (...a: unknown[]) => unknown][];
  it.each(top)('top-level function %s', (name, fn) => check(name, (args) => () => fn(...args)));

  const methods = Object.getOwnPropertyNames(Tensor.prototype).filter(
    (n) =>
      n !== 'constructor' && typeof Object.getOwnPropertyDescriptor(Tensor.prototype, n)?.value === 'function' && !['dispose', 'keep', 'backward'].includes(n),
  );
  it.each(methods)('Tensor method %s', (name) => {
    check(name, (args) => () => {
      const x = tensor([
        [1.5, -2, 3],
        [0.5, 4, -1],
      ]);
      return (x as unknown as Record<string, (...a: unknown[]) => unknown>)[name](...args);
    });
  });

  const classes = (ns: Record<string, unknown>, prefix: string) =>
    Object.entries(ns)
      .filter(([, v]) => typeof v === 'function' && isClass(v as Function))
      .map(([n, v]) => [`${prefix}${n}`, v] as [string, new (...a: unknown[]) => unknown]);
  const ctors = [
    ...classes(T.nn as never, 'nn.'),
    ...classes(T.optim as never, 'optim.'),
    ...classes(T.data as never, 'data.'),
    ...classes(T.onnx as never, 'onnx.'),
  ];
  it.each(ctors)('constructor %s', (name, C) => check(name, (args) => () => new C(...args)));

  const functions = (ns: Record<string, unknown>, prefix: string) =>
    Object.entries(ns)
      .filter(([n, v]) => typeof v === 'function' && !isClass(v as Function) && !SKIP.has(n))
      .map(([n, v]) => [`${prefix}${n}`, v] as [string, (...a: unknown[]) => unknown]);
  it.each([...functions(T.data as never, 'data.'), ...functions(T.onnx as never, 'onnx.')])('function %s', (name, fn) =>
    check(name, (args) => () => fn(...args)),
  );

  const functional = Object.entries(T.nn.functional).filter(([, v]) => typeof v === 'function') as [string, (...a: unknown[]) => unknown][];
  it.each(functional)('nn.functional.%s', (name, fn) => check(name, (args) => () => fn(...args)));

  const init = Object.entries(T.nn.init).filter(([, v]) => typeof v === 'function') as [string, (...a: unknown[]) => unknown][];
  it.each(init)('nn.init.%s', (name, fn) => check(name, (args) => () => fn(...args)));
});
