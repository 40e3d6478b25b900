// API fuzz (issue 8): every public function, Tensor method and nn/optim/data constructor is called
// with wrong-typed, non-finite, fractional, negative, huge and wrong-dtype arguments. Each call must
// return or throw an Error that names the function; never a crash inside the engine (a TypeError
// about undefined, a stack overflow, an invalid typed array length), and never a corrupted
// allocator: after every call a fresh tensor's values are its own.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** The source text of f's parameter list (a constructor's, for a class). */
function parameterText(f: Function): string {
  let src = Function.prototype.toString.call(f);
  if (isClass(f)) {
    const at = src.search(/constructor\s*\(/);
    if (at < 0) return '';
    src = src.slice(src.indexOf('(', at));
  } else src = src.slice(src.indexOf('('));
  let depth = 0;
  for (let i = 0; i < src.length; i++) {
    if ('([{'.includes(src[i])) depth++;
    else if (')]}'.includes(src[i]) && --depth === 0) return src.slice(1, i);
  }
  return src;
}

/** Takes an options object: a parameter defaulting to {}, or one named options/opts. */
const takesOptions = (f: Function): boolean => /=\s*\{\s*\}|\b(options|opts)\b/.test(parameterText(f));

const isNamespace = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && (Object.getPrototypeOf(v) === null || Object.getPrototypeOf(v) === Object.prototype);

/**
 * Every entry point reachable from src/index.ts that takes an options object: functions (in
 * namespaces too), class constructors, and the methods and static methods classes define (each
 * function once, named after the first class that defines it). Names: `F.x` for nn.functional,
 * `Tensor.x` for Tensor methods, `ns.Class` for a constructor, `ns.Class.method` for a method.
 */
function optionEntryPoints(): string[] {
  const found: string[] = [];
  const seen = new Set<unknown>();
  const visit = (f: Function, name: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    if (takesOptions(f)) found.push(name);
  };
  const walk = (ns: Record<string, unknown>, prefix: string) => {
    for (const [n, v] of Object.entries(ns)) {
      if (typeof v === 'function' && isClass(v)) {
        visit(v, `${prefix}${n}`);
        for (const holder of [v, v.prototype]) {
          for (const m of Object.getOwnPropertyNames(holder)) {
            const f = Object.getOwnPropertyDescriptor(holder, m)?.value;
            if (m !== 'constructor' && typeof f === 'function' && !isClass(f)) visit(f, `${prefix}${n}.${m}`);
          }
        }
      } else if (typeof v === 'function') visit(v, `${prefix}${n}`);
      else if (isNamespace(v) || (v && Object.prototype.toString.call(v) === '[object Module]')) walk(v as Record<string, unknown>, `${prefix}${n}.`);
    }
  };
  walk({ ...T, nn: { ...T.nn, functional: {} }, F: T.nn.functional }, '');
  return found;
}

const x4 = () => randn([1, 2, 5, 5]);
const linear = new T.nn.Linear(1, 1);
const trainable = (): [InstanceType<typeof T.nn.Linear>, [T.Tensor, T.Tensor][]] => [linear, [[T.ones([2, 1]), T.ones([2, 1])]]];
const sgd = () => new T.optim.SGD(linear.parameters(), { lr: 0.01 });
const F = T.nn.functional;
const { randn, ones, zeros } = T;
/**
 * A valid call per entry point that takes an options object, with the options last: the probe
 * replaces them with { ...options, bogusKey: 1 } and with null.
 */
const OPTION_CALLS: Record<string, (options: unknown) => unknown> = {
  'F.batchNorm': (o) => F.batchNorm(randn([4, 3]), null, null, { training: true, ...(o as object) }),
  'F.binaryCrossEntropy': (o) => F.binaryCrossEntropy(ones([2]).mul(0.5), ones([2]), o as never),
  'F.binaryCrossEntropyWithLogits': (o) => F.binaryCrossEntropyWithLogits(randn([2]), ones([2]), o as never),
  'F.conv2d': (o) => F.conv2d(x4(), randn([3, 2, 3, 3]), null, o as never),
  'F.crossEntropy': (o) => F.crossEntropy(randn([2, 3]), tensor([0, 2]), o as never),
  'F.gelu': (o) => F.gelu(randn([3]), o as never),
  'F.huberLoss': (o) => F.huberLoss(randn([3]), randn([3]), o as never),
  'F.interpolate': (o) => F.interpolate(x4(), { scaleFactor: 2, ...(o as object) }),
  'F.klDiv': (o) => F.klDiv(randn([3]), randn([3]).softmax(0), o as never),
  'F.l1Loss': (o) => F.l1Loss(randn([3]), randn([3]), o as never),
  'F.mseLoss': (o) => F.mseLoss(randn([3]), randn([3]), o as never),
  'F.nllLoss': (o) => F.nllLoss(randn([2, 3]), tensor([0, 2]), o as never),
  'F.pad': (o) => F.pad(randn([2, 2]), [1, 1], o as never),
  'F.scaledDotProductAttention': (o) => F.scaledDotProductAttention(randn([1, 2, 4]), randn([1, 2, 4]), randn([1, 2, 4]), o as never),
  'F.smoothL1Loss': (o) => F.smoothL1Loss(randn([3]), randn([3]), o as never),
  'F.softplus': (o) => F.softplus(randn([3]), o as never),
  'F.hardtanh': (o) => F.hardtanh(randn([3]), o as never),
  'F.relu6': (o) => F.relu6(randn([3]), o as never),
  indexAdd: (o) => T.indexAdd(zeros([3]), 0, tensor([0]), ones([1]), o as never),
  pad: (o) => T.pad(randn([2, 2]), [1, 1], o as never),
  conv2d: (o) => T.conv2d(x4(), randn([3, 2, 3, 3]), null, o as never),
  'nn.RNN': (o) => new T.nn.RNN(2, 3, o as never),
  'nn.LSTM': (o) => new T.nn.LSTM(2, 3, o as never),
  'nn.GRU': (o) => new T.nn.GRU(2, 3, o as never),
  'nn.RNNCell': (o) => new T.nn.RNNCell(2, 3, o as never),
  'nn.LSTMCell': (o) => new T.nn.LSTMCell(2, 3, o as never),
  'nn.GRUCell': (o) => new T.nn.GRUCell(2, 3, o as never),
  'nn.MultiheadAttention.forward': (o) => {
    const x = randn([2, 1, 4]);
    return new T.nn.MultiheadAttention(4, 2).forward(x, x, x, o as never);
  },
  'nn.utils.clipGradNorm_': (o) => T.nn.utils.clipGradNorm_([ones([1], { requiresGrad: true })], 1, 2, o as never),
  'Tensor.norm': (o) => randn([3]).norm(2, o as never),
  norm: (o) => T.norm(randn([3]), 2, o as never),
  maxPool2d: (o) => T.maxPool2d(x4(), { kernelSize: 2, ...(o as object) }),
  avgPool2d: (o) => T.avgPool2d(x4(), { kernelSize: 2, ...(o as object) }),
  'nn.MaxPool2d': (o) => new T.nn.MaxPool2d(2, o as never),
  'nn.AvgPool2d': (o) => new T.nn.AvgPool2d(2, o as never),
  'nn.KLDivLoss': (o) => new T.nn.KLDivLoss(o as never),
  'nn.MultiheadAttention': (o) => new T.nn.MultiheadAttention(4, 2, o as never),
  'nn.TransformerEncoderLayer': (o) => new T.nn.TransformerEncoderLayer(4, 2, o as never),
  'nn.TransformerDecoderLayer': (o) => new T.nn.TransformerDecoderLayer(4, 2, o as never),
  'nn.TransformerEncoder': (o) => new T.nn.TransformerEncoder(new T.nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }), 1, o as never),
  'nn.TransformerDecoder': (o) => new T.nn.TransformerDecoder(new T.nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 8 }), 1, o as never),
  'nn.TransformerEncoderLayer.forward': (o) => new T.nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }).forward(randn([2, 1, 4]), o as never),
  'nn.TransformerDecoderLayer.forward': (o) =>
    new T.nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 8 }).forward(randn([2, 1, 4]), randn([3, 1, 4]), o as never),
  'nn.TransformerEncoder.forward': (o) =>
    new T.nn.TransformerEncoder(new T.nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }), 1).forward(randn([2, 1, 4]), o as never),
  'nn.TransformerDecoder.forward': (o) =>
    new T.nn.TransformerDecoder(new T.nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 8 }), 1).forward(randn([2, 1, 4]), randn([3, 1, 4]), o as never),
  'nn.Module.loadStateDict': (o) => {
    const m = new T.nn.Linear(2, 1);
    return m.loadStateDict(m.stateDict(), o as never);
  },
  'nn.summary': (o) => T.nn.summary(new T.nn.Linear(2, 1), [1, 2], o as never),
  'nn.utils.rnn.padSequence': (o) => T.nn.utils.rnn.padSequence([randn([2]), randn([3])], o as never),
  'onnx.export': (o) => T.onnx.export(new T.nn.Linear(2, 1), [randn([1, 2])], o as never),
  'quantization.quantizeDynamic': (o) => T.quantization.quantizeDynamic(new T.nn.Sequential(new T.nn.Linear(2, 1)), o as never),
  'quantization.prepare': (o) => T.quantization.prepare(new T.nn.Sequential(new T.nn.Linear(2, 1)), o as never),
  EarlyStopping: (o) => new T.EarlyStopping(o as never),
  ModelCheckpoint: (o) => new T.ModelCheckpoint({ onSave: () => {}, ...(o as object) }),
  HistoryLogger: (o) => new T.HistoryLogger({ onWrite: () => {}, ...(o as object) }),
  'metrics.precision': (o) => T.metrics.precision([0, 1], [0, 1], o as never),
  'metrics.recall': (o) => T.metrics.recall([0, 1], [0, 1], o as never),
  'metrics.f1': (o) => T.metrics.f1([0, 1], [0, 1], o as never),
  'metrics.rocAuc': (o) => T.metrics.rocAuc([0.1, 0.9], [0, 1], o as never),
  'metrics.classificationReport': (o) => T.metrics.classificationReport([0, 1], [0, 1], o as never),
  'Tensor.backward': (o) =>
    randn([2], { requiresGrad: true })
      .sum()
      .backward(undefined, o as never),
  'Tensor.gelu': (o) => randn([3]).gelu(o as never),
  'Tensor.round': (o) => randn([3]).round(o as never),
  'Tensor.var': (o) => randn([3]).var(0, o as never),
  'Tensor.std': (o) => randn([3]).std(0, o as never),
  'Tensor.sort': (o) => randn([3]).sort(o as never),
  'Tensor.argsort': (o) => randn([3]).argsort(o as never),
  'Tensor.topk': (o) => randn([3]).topk(2, o as never),
  'Tensor.multinomial': (o) => ones([3]).multinomial(2, o as never),
  'Tensor.indexAdd': (o) => zeros([3]).indexAdd(0, tensor([0]), ones([1]), o as never),
  tensor: (o) => T.tensor([1], o as never),
  full: (o) => T.full([2], 1, o as never),
  eye: (o) => T.eye(2, 2, o as never),
  arange: (o) => T.arange(0, 3, 1, o as never),
  linspace: (o) => T.linspace(0, 1, 3, o as never),
  randint: (o) => T.randint(0, 3, [2], o as never),
  zerosLike: (o) => T.zerosLike(ones([2]), o as never),
  onesLike: (o) => T.onesLike(ones([2]), o as never),
  fullLike: (o) => T.fullLike(ones([2]), 3, o as never),
  randLike: (o) => T.randLike(ones([2]), o as never),
  randnLike: (o) => T.randnLike(ones([2]), o as never),
  gelu: (o) => T.gelu(randn([3]), o as never),
  round: (o) => T.round(randn([3]), o as never),
  var: (o) => T.var(randn([3]), 0, o as never),
  std: (o) => T.std(randn([3]), 0, o as never),
  sort: (o) => T.sort(randn([3]), o as never),
  argsort: (o) => T.argsort(randn([3]), o as never),
  topk: (o) => T.topk(randn([3]), 2, o as never),
  multinomial: (o) => T.multinomial(ones([3]), 2, o as never),
  'nn.Linear': (o) => new T.nn.Linear(2, 1, o as never),
  'nn.Upsample': (o) => new T.nn.Upsample({ scaleFactor: 2, ...(o as object) }),
  'nn.Embedding': (o) => new T.nn.Embedding(3, 2, o as never),
  'nn.LayerNorm': (o) => new T.nn.LayerNorm(2, o as never),
  'nn.BatchNorm1d': (o) => new T.nn.BatchNorm1d(2, o as never),
  'nn.BatchNorm2d': (o) => new T.nn.BatchNorm2d(2, o as never),
  'nn.GELU': (o) => new T.nn.GELU(o as never),
  'nn.Softplus': (o) => new T.nn.Softplus(o as never),
  'nn.Hardtanh': (o) => new T.nn.Hardtanh(o as never),
  'nn.ReLU6': (o) => new T.nn.ReLU6(o as never),
  'nn.GroupNorm': (o) => new T.nn.GroupNorm(1, 2, o as never),
  'nn.RMSNorm': (o) => new T.nn.RMSNorm(2, o as never),
  'nn.Conv2d': (o) => new T.nn.Conv2d(1, 1, 3, o as never),
  'nn.MSELoss': (o) => new T.nn.MSELoss(o as never),
  'nn.L1Loss': (o) => new T.nn.L1Loss(o as never),
  'nn.CrossEntropyLoss': (o) => new T.nn.CrossEntropyLoss(o as never),
  'nn.NLLLoss': (o) => new T.nn.NLLLoss(o as never),
  'nn.BCELoss': (o) => new T.nn.BCELoss(o as never),
  'nn.BCEWithLogitsLoss': (o) => new T.nn.BCEWithLogitsLoss(o as never),
  'nn.HuberLoss': (o) => new T.nn.HuberLoss(o as never),
  'nn.SmoothL1Loss': (o) => new T.nn.SmoothL1Loss(o as never),
  'nn.init.kaimingUniform_': (o) => T.nn.init.kaimingUniform_(zeros([2, 2]), o as never),
  'nn.init.kaimingNormal_': (o) => T.nn.init.kaimingNormal_(zeros([2, 2]), o as never),
  'nn.utils.prune.globalUnstructured': (o) =>
    T.nn.utils.prune.globalUnstructured([[new T.nn.Linear(2, 2), 'weight']], { pruningMethod: 'l1Unstructured', amount: 0.5, ...(o as object) }),
  gradcheck: (o) => T.gradcheck((x) => x.mul(2), [randn([2], { device: 'js', dtype: 'float64', requiresGrad: true })], o as never),
  'data.WeightedRandomSampler': (o) => new T.data.WeightedRandomSampler([1, 2], 2, o as never),
  'data.randomSplit': (o) => T.data.randomSplit(new T.data.TensorDataset(randn([4, 1])), [2, 2], o as never),
  'data.DataLoader': (o) => new T.data.DataLoader(new T.data.TensorDataset(randn([4, 1])), o as never),
  'data.RandomCrop': (o) => new T.data.RandomCrop(2, o as never),
  'data.RandomHorizontalFlip': (o) => new T.data.RandomHorizontalFlip(0.5, o as never),
  'data.RandomVerticalFlip': (o) => new T.data.RandomVerticalFlip(0.5, o as never),
  'data.RandomRotation': (o) => new T.data.RandomRotation(10, o as never),
  'data.RandomAffine': (o) => new T.data.RandomAffine(10, o as never),
  'data.Resize': (o) => new T.data.Resize(2, o as never),
  'data.RandomResizedCrop': (o) => new T.data.RandomResizedCrop(2, o as never),
  'data.GaussianNoise': (o) => new T.data.GaussianNoise(o as never),
  'data.ColorJitter': (o) => new T.data.ColorJitter(o as never),
  'data.RandomErasing': (o) => new T.data.RandomErasing(o as never),
  'data.RandomDeletion': (o) => new T.data.RandomDeletion(o as never),
  'data.RandomSwap': (o) => new T.data.RandomSwap(o as never),
  'data.SynonymReplacement': (o) => new T.data.SynonymReplacement(o as never),
  'data.RandomInsertion': (o) => new T.data.RandomInsertion(o as never),
  'data.readIdxDataset': (o) =>
    T.data.readIdxDataset(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 7]), new Uint8Array([0, 0, 8, 1, 0, 0, 0, 1, 3]), o as never),
  'data.loadDigits': (o) => T.data.loadDigits(o as never),
  'data.BPETokenizer.train': (o) => T.data.BPETokenizer.train('ab ab ab', { vocabSize: 260, ...(o as object) }),
  'optim.SGD': (o) => new T.optim.SGD([ones([1], { requiresGrad: true })], { lr: 0.1, ...(o as object) }),
  'optim.Adam': (o) => new T.optim.Adam([ones([1], { requiresGrad: true })], o as never),
  'optim.AdamW': (o) => new T.optim.AdamW([ones([1], { requiresGrad: true })], o as never),
  'optim.RMSprop': (o) => new T.optim.RMSprop([ones([1], { requiresGrad: true })], o as never),
  'optim.Adagrad': (o) => new T.optim.Adagrad([ones([1], { requiresGrad: true })], o as never),
  load: (o) => T.load(T.serialize({ a: ones([1]) }), o as never),
  serialize: (o) => T.serialize({ a: ones([1]) }, undefined, o as never),
  deserialize: (o) => T.deserialize(T.serialize({ a: ones([1]) }), o as never),
  'onnx.exportToFile': (o) => T.onnx.exportToFile(new T.nn.Linear(2, 1), [randn([1, 2])], join(tmpdir(), `tessera-fuzz-${process.pid}.onnx`), o as never),
  fit: (o) => T.fit(...trainable(), { epochs: 1, optimizer: sgd(), loss: F.mseLoss, verbose: false, ...(o as object) }),
  fitAsync: (o) => T.fitAsync(...trainable(), { epochs: 1, optimizer: sgd(), loss: F.mseLoss, verbose: false, ...(o as object) }),
  evaluate: (o) => T.evaluate(...trainable(), o as never),
  evaluateAsync: (o) => T.evaluateAsync(...trainable(), o as never),
  'evaluateAsync (yieldEvery)': (o) => T.evaluateAsync(...trainable(), { yieldEvery: 'batch', ...(o as object) }),
  lrFinder: (o) => T.lrFinder(...trainable(), { optimizer: sgd(), loss: F.mseLoss, numIter: 3, ...(o as object) }),
  'metrics.rocCurve': (o) => T.metrics.rocCurve([0.1, 0.9], [0, 1], o as never),
  plotHistory: (o) => T.plotHistory({ loss: [1, 0.5] }, o as never),
  plotLrFinder: (o) => T.plotLrFinder({ lrs: [0.1, 1], losses: [1, 2], suggestedLr: 0.1 }, o as never),
  plotHistograms: (o) => T.plotHistograms({ a: [1, 2] }, o as never),
  'metrics.confusionMatrixSvg': (o) =>
    T.metrics.confusionMatrixSvg(
      [
        [1, 0],
        [0, 1],
      ],
      o as never,
    ),
};

/** Entry points not probed here, and why: another file probes their whole family, or their last parameter is no options object. */
const PROBED_ELSEWHERE = new Map<string, string>([
  ...Object.keys(T.optim.lrScheduler).map((n): [string, string] => [`optim.lrScheduler.${n}`, 'tests/schedulers.test.ts probes every scheduler']),
  ['optim.Optimizer', 'abstract: its constructor refuses direct use; each optimizer above probes its options check'],
  ['loadCheckpoint', 'targets ({ model, optimizer, … }) are objects to load into, not options'],
  ['deserializeCheckpoint', 'targets ({ model, optimizer, … }) are objects to load into, not options'],
]);

/** The name an entry's errors start with, where it is not the last part of the entry's path. */
const ERROR_NAME: Record<string, string> = {
  'nn.MultiheadAttention.forward': 'MultiheadAttention',
  'nn.TransformerEncoderLayer.forward': 'TransformerEncoderLayer.forward',
  'nn.TransformerDecoderLayer.forward': 'TransformerDecoderLayer.forward',
  'nn.TransformerEncoder.forward': 'TransformerEncoder.forward',
  'nn.TransformerDecoder.forward': 'TransformerDecoder.forward',
  'onnx.export': 'onnx.export',
  // exportToFile is export() and a write: its options are export()'s, refused under that name.
  'onnx.exportToFile': 'onnx.export',
  'nn.utils.prune.globalUnstructured': 'prune.globalUnstructured',
  'data.BPETokenizer.train': 'BPETokenizer.train',
  'evaluateAsync (yieldEvery)': 'evaluateAsync',
};
/**
 * Entries null cannot be refused by: the probe spreads the options into required ones, or null is
 * a valid value there (precision/recall/f1 take scikit-learn's average=None as null).
 */
const NULL_EXEMPT = new Set([
  'F.batchNorm',
  'nn.Upsample',
  'nn.utils.prune.globalUnstructured',
  'data.BPETokenizer.train',
  'optim.SGD',
  'fit',
  'fitAsync',
  'lrFinder',
  'evaluateAsync (yieldEvery)',
  'F.interpolate',
  'maxPool2d',
  'avgPool2d',
  'ModelCheckpoint',
  'HistoryLogger',
  'metrics.precision',
  'metrics.recall',
  'metrics.f1',
]);

describe('options: an unknown key or null names the function and the key, never ignored', () => {
  it('every exported function, constructor and method that takes options has a probe call (a new one fails until added here)', () => {
    const missing = optionEntryPoints().filter((n) => !(n in OPTION_CALLS) && !PROBED_ELSEWHERE.has(n));
    expect(missing).toEqual([]);
  });

  /** What `call` threw or rejected with (an async entry point rejects), or null. */
  const failure = async (call: () => unknown): Promise<unknown> => {
    try {
      await call();
      return null;
    } catch (e) {
      return e;
    }
  };
  it.each(Object.entries(OPTION_CALLS))('%s', async (name, call) => {
    expect(await failure(() => call({}))).toBeNull();
    const short = (ERROR_NAME[name] ?? name.split('.').at(-1)!).replace('.', '\\.').replace('_', '_?');
    expect(String(await failure(() => call({ bogusKey: 1 })))).toMatch(new RegExp(`^TypeError: ${short}: unknown option "bogusKey"`));
    if (NULL_EXEMPT.has(name)) return;
    expect(String(await failure(() => call(null)))).toMatch(new RegExp(`^TypeError: ${short}: options must be an object \\(got null\\)`));
  });
});
