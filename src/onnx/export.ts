/**
 * ONNX export: trace a module's forward with the op observer (every op reports itself from
 * `finish()`), keep the ops that lead to the outputs, and write each as the ONNX nodes PyTorch's
 * exporter writes for it. Dynamic axes come from a second trace at other sizes: the dims that
 * changed are the dynamic ones, and shape arguments are written so they follow them. A constant
 * JavaScript made from such a size (arange(T), ones([T, T]), a causal mask) is recognised from its
 * values in both traces and rebuilt in the graph from the run-time sizes.
 */
import { noGrad, observeOps, type OpEvent } from '../autograd/grad-mode.js';
import { promoteTypes, type DType } from '../dtype.js';
import { type AnyModule, Module } from '../nn/module.js';
import { GRU, LSTM, RNN } from '../nn/rnn.js';
import { fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { options as checkOptions, show } from '../validate.js';
import { tensor } from '../creation.js';
import { nodeFs } from '../io/node-fs.js';
import { ProtoWriter } from './proto.js';

/** Options of `onnx.export`, named as torch.onnx.export's. */
export interface ExportOptions {
  /** Names of the graph inputs, one per argument (default `input`, or `input_0`, `input_1`, …). */
  inputNames?: string[];
  /** Names of the graph outputs (default `output`, or `output_0`, …). */
  outputNames?: string[];
  /** Per input or output name, the dims whose size may change: `[0]` or `{ 0: 'batch' }`. */
  dynamicAxes?: Record<string, number[] | Record<number, string>>;
  /** The ONNX opset; 13 to 17 (default 17). */
  opsetVersion?: number;
}

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 } as const;

interface Traced {
  event: OpEvent;
  /** The module running when the op completed, as a state-dict prefix ('' for the root). */
  path: string;
  moduleType: string;
}

interface Trace {
  events: Traced[];
  outputs: Tensor[];
  /** Values of tensors an op read that no traced op, argument or parameter produced. */
  constants: Map<Tensor, { values: ArrayLike<number>; shape: number[]; dtype: DType }>;
}

/** The tensors an event produced: a recurrent layer's several outputs, else the op's one. */
function eventOutputs(e: OpEvent): Tensor[] {
  return (e.attrs.outputs as Tensor[] | undefined) ?? [e.output];
}

function attrTensors(e: OpEvent): Tensor[] {
  return Object.values(e.attrs).filter((v): v is Tensor => v instanceof Tensor);
}

/** Tensors in a module's result (nested arrays, nulls dropped), in order. */
function flatTensors(v: unknown): Tensor[] | null {
  if (v instanceof Tensor) return [v];
  if (v === null) return [];
  if (!Array.isArray(v)) return null;
  const parts = v.map(flatTensors);
  return parts.every((p) => p !== null) ? (parts as Tensor[][]).flat() : null;
}

/**
 * A recurrent layer is written as ONNX's own RNN/LSTM/GRU op, so its forward is traced as one
 * event (the ops inside it are not recorded) whose inputs are the input and the initial states
 * it was given, and whose attrs carry the module and all of its outputs.
 */
function recurrentEvent(m: RNN | LSTM | GRU, args: unknown[], result: unknown): OpEvent {
  const [input, state] = args as [Tensor, Tensor | [Tensor, Tensor] | null | undefined];
  const [h0, c0] = state instanceof Tensor ? [state, null] : Array.isArray(state) ? state : [null, null];
  const outputs = flatTensors(result)!;
  return { name: m.mode === 'LSTM' ? 'LSTM' : m.mode === 'GRU' ? 'GRU' : 'RNN', inputs: [input], output: outputs[0], attrs: { module: m, outputs, h0, c0 } };
}

function trace(model: AnyModule, args: Tensor[], known: Set<Tensor>): Trace {
  const events: Traced[] = [];
  const constants: Trace['constants'] = new Map();
  const seen = new Set(known);
  const stack: [string, AnyModule][] = [];
  const record = (event: OpEvent, path: string, m: AnyModule) => {
    for (const t of [...event.inputs, ...attrTensors(event)]) {
      if (seen.has(t) || constants.has(t)) continue;
      constants.set(t, { values: t.toArray().slice(), shape: [...t.shape], dtype: t.dtype });
    }
    for (const t of (event.attrs.outputs as Tensor[] | undefined) ?? [event.output]) seen.add(t);
    events.push({ event, path, moduleType: m.constructor.name });
  };
  // The recurrent layer running now, whose inner ops are not recorded.
  let recurrent: { m: unknown; args: unknown[] } | null = null;
  const handles = model.namedModules().flatMap(([path, m]) => [
    m.registerForwardPreHook((_, a) => {
      stack.push([path, m]);
      if (!recurrent && (m instanceof RNN || m instanceof LSTM || m instanceof GRU)) recurrent = { m, args: a };
    }),
    m.registerForwardHook((_, __, result) => {
      if (recurrent?.m === m) {
        record(recurrentEvent(m as RNN, recurrent.args, result), path, m);
        recurrent = null;
      }
      stack.pop();
    }),
  ]);
  let result: unknown;
  try {
    result = noGrad(() =>
      observeOps(
        (event) => {
          if (recurrent) return;
          const [path, m] = stack[stack.length - 1] ?? ['', model];
          record(event, path, m);
        },
        () => (model as unknown as (...a: Tensor[]) => unknown)(...args),
      ),
    );
  } finally {
    for (const h of handles) h.remove();
  }
  const outputs = flatTensors(result);
  if (!outputs || outputs.length === 0) throw new TypeError('onnx.export: the model must return a Tensor or an array of Tensors');
  return { events, outputs, constants };
}

/** A graph value: its ONNX name, dtype, shape at the export sizes, and which dims are dynamic. */
interface Value {
  name: string;
  dtype: DType;
  shape: readonly number[];
  /** The same value's shape in the second trace (equal to shape without dynamic axes). */
  shapeB: readonly number[];
}

const isDyn = (v: Value, d: number): boolean => v.shape[d] !== v.shapeB[d];

interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attrs: Record<string, number | number[] | string | string[] | { tensor: Initializer }>;
}

interface Initializer {
  name: string;
  dtype: keyof typeof ONNX_DTYPE;
  shape: readonly number[];
  values: ArrayLike<number> | BigInt64Array;
}

/** Node and constant builders: what op emitters and the constants that follow the dynamic axes write with. */
interface GraphOps {
  /** Adds a node writing a fresh intermediate; returns its name. */
  node(op: string, inputs: string[], attrs?: NodeSpec['attrs']): string;
  int64(values: readonly (number | bigint)[]): string;
  int64Scalar(value: number): string;
  scalar(value: number, dtype: DType): string;
  /** A 1-element int64 value holding, at run time, the size of a dynamic dim that was `a` and `b` in the two traces. */
  dimOf(a: number, b: number): string;
}

/** What an op's emitter sees: its inputs and output as graph values, its attrs in both traces, and node builders. */
interface EmitContext extends GraphOps {
  op: string;
  x: Value[];
  out: Value;
  /** All of the op's outputs (a recurrent layer has several); outs[0] is out. */
  outs: Value[];
  /** The graph value of a tensor the op reads directly (a layer's parameter). */
  valueOf(t: Tensor): Value;
  /** Adds the node that writes the op's k-th output. */
  finalAt(k: number, op: string, inputs: string[], attrs?: NodeSpec['attrs']): void;
  attrs: Readonly<Record<string, unknown>>;
  attrsB: Readonly<Record<string, unknown>>;
  /** The graph value of a tensor the op read through its attrs (an index or condition). */
  attrValue(key: string): Value;
  /** Adds a node with several fresh outputs; returns their names. */
  nodeOutputs(op: string, inputs: string[], count: number, attrs?: NodeSpec['attrs']): string[];
  /** Adds the node that writes the op's output. */
  final(op: string, inputs: string[], attrs?: NodeSpec['attrs']): void;
  /** A constant of `shape` filled with `fill`. */
  constant(shape: readonly number[], dtype: DType, fill: number): string;
  opset: number;
  /** An initializer of any ONNX dtype (int8 weights, uint8 zero points); returns its name. */
  init(dtype: keyof typeof ONNX_DTYPE, shape: readonly number[], values: ArrayLike<number>): string;
  fail(why: string): never;
}

const INT64_MAX = 9223372036854775807n;

const UNARY: Record<string, string> = {
  neg: 'Neg',
  abs: 'Abs',
  exp: 'Exp',
  log: 'Log',
  sqrt: 'Sqrt',
  sin: 'Sin',
  cos: 'Cos',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  relu: 'Relu',
  sign: 'Sign',
  erf: 'Erf',
};
const ARITHMETIC: Record<string, string> = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', pow: 'Pow', maximum: 'Max', minimum: 'Min' };
const COMPARISON: Record<string, string> = { eq: 'Equal', lt: 'Less', le: 'LessOrEqual', gt: 'Greater', ge: 'GreaterOrEqual', ne: 'Equal' };
const IDENTITY = new Set(['clone', 'detach', 'contiguous', 'BackwardHookFunction']);
const RESHAPES = new Set(['reshape', 'view', 'squeeze', 'unsqueeze', 'flatten']);

function castTo(c: EmitContext, v: Value, dtype: DType): string {
  return v.dtype === dtype ? v.name : c.node('Cast', [v.name], { to: ONNX_DTYPE[onnxType(dtype)] });
}

function onnxType(dtype: DType): keyof typeof ONNX_DTYPE {
  return dtype;
}

/**
 * The Reshape target: fixed dims as numbers, a dynamic dim kept in place as 0, at most one other as
 * -1; with more, the target is assembled at run time from the sizes of values that have them.
 */
function reshapeTarget(c: EmitContext): string {
  const [x] = c.x;
  const target = [...c.out.shape];
  const free: number[] = [];
  c.out.shape.forEach((_, d) => {
    if (!isDyn(c.out, d)) return;
    if (d < x.shape.length && isDyn(x, d) && x.shape[d] === c.out.shape[d] && x.shapeB[d] === c.out.shapeB[d]) target[d] = 0;
    else free.push(d);
  });
  if (free.length === 1) target[free[0]] = -1;
  if (free.length <= 1) return c.int64(target);
  const parts = c.out.shape.map((s, d) => (isDyn(c.out, d) ? c.dimOf(s, c.out.shapeB[d]) : c.int64([s])));
  return c.node('Concat', parts, { axis: 0 });
}

interface ConstantValues {
  values: ArrayLike<number>;
  shape: readonly number[];
  dtype: DType;
}

/** How JavaScript made a constant whose shape follows the dynamic axes, read from its values in both traces. */
type ConstantPattern =
  | { kind: 'fill'; value: number }
  | { kind: 'range'; start: number; step: number }
  /** [rows, cols] holding `lower` where col − row ≤ diagonal and `upper` elsewhere: tril/triu masks, causal masks. */
  | { kind: 'band'; diagonal: number; lower: number; upper: number };

function fillOf(c: ConstantValues): number | null {
  const first = c.values[0];
  for (let k = 1; k < c.values.length; k++) if (!Object.is(c.values[k], first)) return null;
  return c.values.length > 0 ? first : null;
}

function rangeOf(c: ConstantValues): { start: number; step: number } | null {
  if (c.shape.length !== 1 || c.values.length < 2) return null;
  const start = c.values[0];
  const step = c.values[1] - start;
  if (!Number.isInteger(start) || !Number.isInteger(step) || step === 0) return null;
  for (let k = 2; k < c.values.length; k++) if (c.values[k] !== start + k * step) return null;
  return { start, step };
}

function bandOf(c: ConstantValues): { diagonal: number; lower: number; upper: number } | null {
  if (c.shape.length !== 2) return null;
  const [L, S] = c.shape;
  const v = c.values;
  if (L === 0 || S === 0) return null;
  const lower = v[(L - 1) * S];
  const upper = v[S - 1];
  if (Object.is(lower, upper)) return null;
  // The diagonal from the first row that holds both values: its leading run of `lower` ends at col = row + diagonal.
  let diagonal: number | null = null;
  for (let i = 0; i < L && diagonal === null; i++) {
    let run = 0;
    while (run < S && Object.is(v[i * S + run], lower)) run++;
    if (run > 0 && run < S) diagonal = run - 1 - i;
  }
  if (diagonal === null) return null;
  for (let i = 0; i < L; i++) for (let j = 0; j < S; j++) if (!Object.is(v[i * S + j], j - i <= diagonal ? lower : upper)) return null;
  return { diagonal, lower, upper };
}

/** The pattern both traces' values of a constant follow, or null when they follow none (or different ones). */
function constantPattern(a: ConstantValues, b: ConstantValues): ConstantPattern | null {
  if (a.shape.length !== b.shape.length) return null;
  const fill = fillOf(a);
  if (fill !== null) return fillOf(b) === fill ? { kind: 'fill', value: fill } : null;
  const [ra, rb] = [rangeOf(a), rangeOf(b)];
  // A one-element arange in the other trace shows its start only.
  const sameRange = ra && (rb ? rb.start === ra.start && rb.step === ra.step : b.values.length === 1 && b.values[0] === ra.start);
  if (ra && sameRange) return { kind: 'range', ...ra };
  const [ba, bb] = [bandOf(a), bandOf(b)];
  if (ba && bb && ba.diagonal === bb.diagonal && Object.is(ba.lower, bb.lower) && Object.is(ba.upper, bb.upper)) return { kind: 'band', ...ba };
  return null;
}

/** A scalar int64 holding the size of dim d of a value shaped `shape` in one trace and `shapeB` in the other. */
function sizeScalar(g: GraphOps, shape: readonly number[], shapeB: readonly number[], d: number): string {
  if (shape[d] === shapeB[d]) return g.int64Scalar(shape[d]);
  return g.node('Squeeze', [g.dimOf(shape[d], shapeB[d]), g.int64([0])]);
}

/** A bool [rows, cols] value, true where col − row ≤ diagonal (tril's kept part), built from scalar int64 sizes. */
function belowDiagonal(g: GraphOps, rows: string, cols: string, diagonal: number): string {
  const [zero, one] = [g.int64Scalar(0), g.int64Scalar(1)];
  const r = g.node('Unsqueeze', [g.node('Range', [zero, rows, one]), g.int64([1])]);
  const c = g.node('Unsqueeze', [g.node('Range', [zero, cols, one]), g.int64([0])]);
  return g.node('LessOrEqual', [g.node('Sub', [c, r]), g.int64Scalar(diagonal)]);
}

/** Writes the nodes that rebuild a constant of the pattern at the run-time sizes; returns its name. */
function rebuildConstant(g: GraphOps, p: ConstantPattern, a: ConstantValues, b: ConstantValues): string {
  const to = ONNX_DTYPE[onnxType(a.dtype)];
  if (p.kind === 'fill') {
    const dims = a.shape.map((s, d) => (s === b.shape[d] ? g.int64([s]) : g.dimOf(s, b.shape[d])));
    const shape = dims.length === 1 ? dims[0] : g.node('Concat', dims, { axis: 0 });
    return g.node('ConstantOfShape', [shape], { value: { tensor: { name: 'value', dtype: onnxType(a.dtype), shape: [1], values: [p.value] } } });
  }
  if (p.kind === 'range') {
    const count = sizeScalar(g, a.shape, b.shape, 0);
    const limit = p.start === 0 && p.step === 1 ? count : g.node('Add', [g.int64Scalar(p.start), g.node('Mul', [count, g.int64Scalar(p.step)])]);
    return g.node('Cast', [g.node('Range', [g.int64Scalar(p.start), limit, g.int64Scalar(p.step)])], { to });
  }
  const keep = belowDiagonal(g, sizeScalar(g, a.shape, b.shape, 0), sizeScalar(g, a.shape, b.shape, 1), p.diagonal);
  if (a.dtype === 'bool') return p.lower ? keep : g.node('Not', [keep]);
  return g.node('Where', [keep, g.scalar(p.lower, a.dtype), g.scalar(p.upper, a.dtype)]);
}

function same(c: EmitContext, key: string): unknown {
  const a = c.attrs[key];
  if (JSON.stringify(a) !== JSON.stringify(c.attrsB[key])) c.fail(`its ${key} (${JSON.stringify(a)}) changes with the dynamic axes`);
  return a;
}

/**
 * PyTorch's attention weights softmax(q·kᵀ·scale + mask) over the last two of `nd` dims, the mask
 * additive; a [N·heads, L, S] mask is seen as [N, heads, L, S] when `heads` is given (the packed
 * self-attention's queries are [N, heads, L, hd]).
 */
function attentionWeights(c: EmitContext, q: string, k: string, nd: number, lengths: () => [string, string], dtype: DType, heads: number | null): string {
  const perm = Array.from({ length: nd }, (_, i) => (i === nd - 2 ? nd - 1 : i === nd - 1 ? nd - 2 : i));
  let scores = c.node('Mul', [c.node('MatMul', [q, c.node('Transpose', [k], { perm })]), c.scalar(c.attrs.scale as number, dtype)]);
  if (c.attrs.isCausal) {
    // Query i sees keys ≤ i.
    const [L, S] = lengths();
    scores = c.node('Where', [belowDiagonal(c, L, S, 0), scores, c.scalar(-Infinity, dtype)]);
  } else if (c.attrs.attnMask) {
    const mask = c.attrValue('attnMask');
    let additive = mask.dtype === 'bool' ? c.node('Where', [mask.name, c.scalar(0, dtype), c.scalar(-Infinity, dtype)]) : castTo(c, mask, dtype);
    if (heads !== null && mask.shape.length === 3) {
      const trailing = c.node('Slice', [c.node('Shape', [mask.name]), c.int64([1]), c.int64([3])]);
      additive = c.node('Reshape', [additive, c.node('Concat', [c.int64([-1, heads]), trailing], { axis: 0 })]);
    }
    scores = c.node('Add', [scores, additive]);
  }
  return c.node('Softmax', [scores], { axis: -1 });
}

const EMITTERS: Record<string, (c: EmitContext) => void> = {
  RNN: recurrentLayer,
  LSTM: recurrentLayer,
  GRU: recurrentLayer,
  scaledDotProductAttention: (c) => {
    const [q, k, v] = c.x;
    const nd = k.shape.length;
    // The causal mask is built from q's and k's run-time lengths, so any sequence length runs.
    const length = (t: Value) => c.node('Gather', [c.node('Shape', [t.name]), c.int64Scalar(nd - 2)], { axis: 0 });
    c.final('MatMul', [attentionWeights(c, q.name, k.name, nd, () => [length(q), length(k)], q.dtype, null), v.name]);
  },
  packedSelfAttention: (c) => {
    // qkv [N, L, 3E] (batchFirst) or [L, N, 3E] regrouped as [3, N, H, L, hd]; the heads' outputs merged back.
    const [qkv] = c.x;
    const heads = c.attrs.heads as number;
    const batchFirst = c.attrs.batchFirst as boolean;
    const hd = qkv.shape[2] / 3 / heads;
    const seqDim = batchFirst ? 1 : 0;
    const grouped = c.node('Transpose', [c.node('Reshape', [qkv.name, c.int64([0, 0, 3, heads, hd])])], {
      perm: batchFirst ? [2, 0, 3, 1, 4] : [2, 1, 3, 0, 4],
    });
    const [q, k, v] = [0, 1, 2].map((i) => c.node('Gather', [grouped, c.int64Scalar(i)], { axis: 0 }));
    const length = () => {
      const L = c.node('Gather', [c.node('Shape', [qkv.name]), c.int64Scalar(seqDim)], { axis: 0 });
      return [L, L] as [string, string];
    };
    const weights = attentionWeights(c, q, k, 4, length, qkv.dtype, heads);
    const merged = c.node('Transpose', [c.node('MatMul', [weights, v])], { perm: batchFirst ? [0, 2, 1, 3] : [2, 0, 1, 3] });
    c.final('Reshape', [merged, c.int64([0, 0, heads * hd])]);
  },
  quantizedLinear: quantizedLayer,
  quantizedConv2d: quantizedLayer,
  linear: (c) =>
    c.final(
      'Gemm',
      c.x.map((v) => v.name),
      { transB: 1 },
    ),
  matmul: (c) => c.final('MatMul', [c.x[0].name, c.x[1].name]),
  bmm: (c) => c.final('MatMul', [c.x[0].name, c.x[1].name]),
  rsqrt: (c) => c.final('Reciprocal', [c.node('Sqrt', [c.x[0].name])]),
  gelu: (c) => {
    // PyTorch 1.13's form: x · 0.5 · (1 + erf(x / √2)).
    const [x] = c.x;
    const erf = c.node('Erf', [c.node('Div', [x.name, c.scalar(Math.SQRT2, x.dtype)])]);
    const gate = c.node('Mul', [x.name, c.node('Add', [erf, c.scalar(1, x.dtype)])]);
    c.final('Mul', [gate, c.scalar(0.5, x.dtype)]);
  },
  // ONNX has no Log1p, Expm1 or tanh-form Gelu (opset 17): PyTorch 1.13 writes the same compositions.
  log1p: (c) => c.final('Log', [c.node('Add', [c.x[0].name, c.scalar(1, c.x[0].dtype)])]),
  expm1: (c) => c.final('Sub', [c.node('Exp', [c.x[0].name]), c.scalar(1, c.x[0].dtype)]),
  geluTanh: (c) => {
    // x · 0.5 · (1 + tanh(√(2/π) · (x + 0.044715 · x³))).
    const [x] = c.x;
    const cube = c.node('Mul', [c.node('Mul', [x.name, x.name]), x.name]);
    const inner = c.node('Add', [x.name, c.node('Mul', [cube, c.scalar(0.044715, x.dtype)])]);
    const tanh = c.node('Tanh', [c.node('Mul', [inner, c.scalar(Math.sqrt(2 / Math.PI), x.dtype)])]);
    const gate = c.node('Mul', [x.name, c.node('Add', [tanh, c.scalar(1, x.dtype)])]);
    c.final('Mul', [gate, c.scalar(0.5, x.dtype)]);
  },
  clamp: clip,
  // F.hardtanh and F.relu6 (as PyTorch's exporter writes them).
  hardtanh: clip,
  where: (c) => c.final('Where', [castTo(c, c.attrValue('condition'), 'bool'), castTo(c, c.x[0], c.out.dtype), castTo(c, c.x[1], c.out.dtype)]),
  to: (c) => (c.attrs.dtype ? c.final('Cast', [c.x[0].name], { to: ONNX_DTYPE[onnxType(c.attrs.dtype as DType)] }) : c.final('Identity', [c.x[0].name])),
  sum: (c) => {
    const dims = same(c, 'dims') as number[];
    c.final('ReduceSum', [c.x[0].name, c.int64(dims)], { keepdims: c.attrs.keepdim ? 1 : 0 });
  },
  mean: (c) => c.final('ReduceMean', [c.x[0].name], { axes: same(c, 'dims') as number[], keepdims: c.attrs.keepdim ? 1 : 0 }),
  max: (c) => c.final('ReduceMax', [c.x[0].name], { axes: same(c, 'dims') as number[], keepdims: c.attrs.keepdim ? 1 : 0 }),
  min: (c) => c.final('ReduceMin', [c.x[0].name], { axes: same(c, 'dims') as number[], keepdims: c.attrs.keepdim ? 1 : 0 }),
  argmax: (c) => argExtreme(c, 'ArgMax'),
  argmin: (c) => argExtreme(c, 'ArgMin'),
  softmax: (c) => c.final('Softmax', [c.x[0].name], { axis: same(c, 'dim') as number }),
  logSoftmax: (c) => c.final('LogSoftmax', [c.x[0].name], { axis: same(c, 'dim') as number }),
  transpose: (c) => {
    const perm = c.x[0].shape.map((_, i) => i);
    const [a, b] = [c.attrs.dim0 as number, c.attrs.dim1 as number];
    [perm[a], perm[b]] = [perm[b], perm[a]];
    c.final('Transpose', [c.x[0].name], { perm });
  },
  permute: (c) => c.final('Transpose', [c.x[0].name], { perm: same(c, 'dims') as number[] }),
  expand: (c) => {
    const [x] = c.x;
    const lead = c.out.shape.length - x.shape.length;
    const target = c.out.shape.map((s, d) => {
      if (!isDyn(c.out, d)) return s;
      if (d >= lead && isDyn(x, d - lead)) return 1;
      return c.fail(`it expands dim ${d} to a size that follows a dynamic axis`);
    });
    c.final('Expand', [x.name, c.int64(target)]);
  },
  slice: (c) => {
    const [x] = c.x;
    const dim = same(c, 'dim') as number;
    const start = same(c, 'start') as number;
    const step = same(c, 'step') as number;
    const [endA, endB] = [c.attrs.end as number, c.attrsB.end as number];
    const runsToEnd = endA === x.shape[dim] && endB === x.shapeB[dim];
    // An end that follows a dynamic axis (GPT-2's registered [context, context] mask cut to [:T, :T]) is read at run time.
    const end = runsToEnd && isDyn(x, dim) ? c.int64([INT64_MAX]) : endA !== endB ? c.dimOf(endA, endB) : c.int64([endA]);
    c.final('Slice', [x.name, c.int64([start]), end, c.int64([dim]), c.int64([step])]);
  },
  select: (c) => {
    const [x] = c.x;
    const dim = c.attrs.dim as number;
    let index = c.attrs.index as number;
    if (index !== c.attrsB.index) {
      // Counted from the end in both traces (x[:, -1] on a dynamic dim) it is a negative index.
      if (index - x.shape[dim] !== (c.attrsB.index as number) - x.shapeB[dim]) c.fail('its index changes with the dynamic axes');
      index -= x.shape[dim];
    }
    c.final('Gather', [x.name, c.int64Scalar(index)], { axis: dim });
  },
  cat: (c) =>
    c.final(
      'Concat',
      c.x.map((v) => v.name),
      { axis: same(c, 'dim') as number },
    ),
  indexSelect: (c) => {
    const index = c.attrValue('index');
    const idx = index.shape.length === 0 ? c.node('Reshape', [index.name, c.int64([1])]) : index.name;
    c.final('Gather', [c.x[0].name, idx], { axis: same(c, 'dim') as number });
  },
  gather: (c) => c.final('GatherElements', [c.x[0].name, c.attrValue('index').name], { axis: same(c, 'dim') as number }),
  embedding: (c) => c.final('Gather', [c.x[0].name, c.attrValue('indices').name], { axis: 0 }),
  layerNorm: (c) => {
    if (c.opset < 17) c.fail('LayerNormalization needs opsetVersion 17');
    const [x] = c.x;
    const normalized = x.shape.slice(c.attrs.axis as number);
    const param = (key: string, fill: number) => (c.attrs[key] ? c.attrValue(key).name : c.constant(normalized, x.dtype, fill));
    c.final('LayerNormalization', [x.name, param('weight', 1), param('bias', 0)], { axis: c.attrs.axis as number, epsilon: c.attrs.epsilon as number });
  },
  conv2d: (c) =>
    c.final(
      'Conv',
      c.x.map((v) => v.name),
      {
        kernel_shape: c.attrs.kernelShape as number[],
        strides: c.attrs.strides as number[],
        pads: c.attrs.pads as number[],
        dilations: c.attrs.dilations as number[],
        group: c.attrs.groups as number,
      },
    ),
  maxPool2d: (c) => {
    const a = c.attrs;
    c.final('MaxPool', [c.x[0].name], {
      kernel_shape: a.kernelShape as number[],
      strides: a.strides as number[],
      pads: a.pads as number[],
      dilations: a.dilations as number[],
      ceil_mode: a.ceilMode ? 1 : 0,
    });
  },
  avgPool2d: (c) => {
    const a = c.attrs;
    if (a.divisorOverride !== null) c.fail('divisorOverride has no ONNX AveragePool form');
    c.final('AveragePool', [c.x[0].name], {
      kernel_shape: a.kernelShape as number[],
      strides: a.strides as number[],
      pads: a.pads as number[],
      ceil_mode: a.ceilMode ? 1 : 0,
      count_include_pad: a.countIncludePad ? 1 : 0,
    });
  },
  adaptiveAvgPool2d: (c) => {
    const [x] = c.x;
    const [outH, outW] = c.attrs.outputSize as number[];
    const nd = x.shape.length;
    const [H, W] = x.shape.slice(-2);
    if (isDyn(x, nd - 2) || isDyn(x, nd - 1)) c.fail('its input height or width follows a dynamic axis, which changes its windows');
    if (outH === 1 && outW === 1) return c.final('GlobalAveragePool', [x.name]);
    if (H % outH === 0 && W % outW === 0) {
      const kernel = [H / outH, W / outW];
      return c.final('AveragePool', [x.name], { kernel_shape: kernel, strides: kernel });
    }
    // Uneven windows (PyTorch's floor(i·H/out) … ceil((i+1)·H/out)) are averaging matrices: A·x·Bᵀ with A [outH, H], B [outW, W].
    const rows = outH === H ? x.name : c.node('MatMul', [c.init('float32', [outH, H], averagingMatrix(H, outH)), x.name]);
    const bt = transposed(averagingMatrix(W, outW), outW, W);
    if (outW === W) c.final('Identity', [rows]);
    else c.final('MatMul', [rows, c.init('float32', [W, outW], bt)]);
  },
};

/** [out, size]: row i averages PyTorch's adaptive window i, floor(i·size/out) to ceil((i+1)·size/out). */
function averagingMatrix(size: number, out: number): Float32Array {
  const m = new Float32Array(out * size);
  for (let i = 0; i < out; i++) {
    const [start, end] = [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)];
    for (let k = start; k < end; k++) m[i * size + k] = 1 / (end - start);
  }
  return m;
}

function transposed(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
  return t;
}

/** clamp and hardtanh as Clip, an infinite bound left out. */
function clip(c: EmitContext): void {
  const [x] = c.x;
  const bound = (v: unknown) => (Number.isFinite(v) ? c.scalar(v as number, x.dtype) : '');
  const ins = [x.name, bound(c.attrs.min), bound(c.attrs.max)];
  while (ins[ins.length - 1] === '') ins.pop();
  c.final('Clip', ins);
}

/** PyTorch's gate blocks in ONNX's order: LSTM i,f,g,o → i,o,f,c; GRU r,z,n → z,r,h. */
const ONNX_GATE_ORDER: Record<string, number[]> = { RNN: [0], LSTM: [0, 3, 1, 2], GRU: [1, 0, 2] };

/**
 * A recurrent layer as ONNX's RNN/LSTM/GRU, one node per layer as PyTorch's exporter writes it.
 * W, R and B are computed in the graph from the layer's own parameters (rows gathered into ONNX's
 * gate order, directions stacked), so the file keeps PyTorch's keys (weight_ih_l0, …) and ONNX
 * Runtime folds the reordering away when it loads the model.
 */
function recurrentLayer(c: EmitContext): void {
  const m = c.attrs.module as RNN | LSTM | GRU;
  const kind = c.op;
  const [x] = c.x;
  const H = m.hiddenSize;
  const dirs = m.bidirectional ? 2 : 1;
  const batched = x.shape.length === 3;
  const order = ONNX_GATE_ORDER[kind];
  const rows = order.length === 1 ? null : c.int64(order.flatMap((k) => Array.from({ length: H }, (_, j) => k * H + j)));
  const params = m as unknown as Record<string, Tensor | undefined>;
  const reordered = (key: string) => {
    const v = c.valueOf(params[key]!).name;
    return rows ? c.node('Gather', [v, rows], { axis: 0 }) : v;
  };
  const stackDirs = (names: string[]) => {
    const lifted = names.map((n) => c.node('Unsqueeze', [n, c.int64([0])]));
    return lifted.length === 1 ? lifted[0] : c.node('Concat', lifted, { axis: 0 });
  };
  const state = (key: 'h0' | 'c0') => {
    if (!c.attrs[key]) return '';
    const v = c.attrValue(key).name;
    return batched ? v : c.node('Unsqueeze', [v, c.int64([1])]);
  };
  const [h0, c0] = [state('h0'), state('c0')];
  let seq = !batched ? c.node('Unsqueeze', [x.name, c.int64([1])]) : m.batchFirst ? c.node('Transpose', [x.name], { perm: [1, 0, 2] }) : x.name;
  const finals: string[][] = [[], []];
  for (let layer = 0; layer < m.numLayers; layer++) {
    const suffixes = dirs === 1 ? [`_l${layer}`] : [`_l${layer}`, `_l${layer}_reverse`];
    const W = stackDirs(suffixes.map((s) => reordered(`weight_ih${s}`)));
    const R = stackDirs(suffixes.map((s) => reordered(`weight_hh${s}`)));
    const B = m.bias ? stackDirs(suffixes.map((s) => c.node('Concat', [reordered(`bias_ih${s}`), reordered(`bias_hh${s}`)], { axis: 0 }))) : '';
    const initial = (v: string) => (v ? c.node('Slice', [v, c.int64([layer * dirs]), c.int64([(layer + 1) * dirs]), c.int64([0])]) : '');
    const attrs: NodeSpec['attrs'] = { hidden_size: H, direction: dirs === 2 ? 'bidirectional' : 'forward' };
    if (kind === 'GRU') attrs.linear_before_reset = 1;
    if (kind === 'RNN') attrs.activations = new Array<string>(dirs).fill(m.mode === 'RNN_RELU' ? 'Relu' : 'Tanh');
    const ins = [seq, W, R, B, '', initial(h0), ...(kind === 'LSTM' ? [initial(c0)] : [])];
    while (ins[ins.length - 1] === '') ins.pop();
    const [Y, Yh, Yc] = c.nodeOutputs(kind, ins, kind === 'LSTM' ? 3 : 2, attrs);
    finals[0].push(Yh);
    if (Yc) finals[1].push(Yc);
    // Y is [seq, dirs, batch, H]; the next layer and the output read [seq, batch, dirs·H].
    seq = dirs === 1 ? c.node('Squeeze', [Y, c.int64([1])]) : c.node('Reshape', [c.node('Transpose', [Y], { perm: [0, 2, 1, 3] }), c.int64([0, 0, -1])]);
  }
  if (!batched) c.finalAt(0, 'Squeeze', [seq, c.int64([1])]);
  else if (m.batchFirst) c.finalAt(0, 'Transpose', [seq], { perm: [1, 0, 2] });
  else c.finalAt(0, 'Identity', [seq]);
  finals.forEach((parts, k) => {
    if (k + 1 >= c.outs.length) return;
    const all = parts.length === 1 ? parts[0] : c.node('Concat', parts, { axis: 0 });
    if (batched) c.finalAt(k + 1, 'Identity', [all]);
    else c.finalAt(k + 1, 'Squeeze', [all, c.int64([1])]);
  });
}

interface QuantizedAttrs {
  kind: 'linear' | 'conv';
  weightInt8: Int8Array;
  weightScale: Float32Array;
  bias: Float32Array | null;
  shape: number[];
  geometry?: { stride: number[]; padding: number[]; dilation: number[]; kernelSize: number[] };
  inputQParams: { scale: number; zeroPoint: number } | null;
  /** 7-bit activations: the quantized input saturates at 127, not 255. */
  reduceRange: boolean;
}

/**
 * An int8 layer in the QDQ form ONNX Runtime fuses into its int8 kernels: the input through
 * QuantizeLinear → DequantizeLinear with the calibrated parameters and the int8 weight through
 * DequantizeLinear (per output channel) into Gemm / MatMul / Conv. A dynamic Linear is
 * DynamicQuantizeLinear → MatMulInteger → scaled to float, as onnxruntime's quantize_dynamic writes.
 * With 7-bit activations (reduceRange) the input is first capped at the real value of q = 127, and
 * a dynamic layer computes its 7-bit scale and zero point from the batch's range in the graph
 * (DynamicQuantizeLinear is 8-bit only).
 */
function quantizedLayer(c: EmitContext): void {
  const a = c.attrs as unknown as QuantizedAttrs;
  const [x] = c.x;
  const outC = a.shape[0];
  const wZero = c.init('int8', [outC], new Int8Array(outC));
  const bias = a.bias ? c.init('float32', [outC], a.bias) : null;
  if (a.kind === 'linear' && !a.inputQParams) {
    // MatMulInteger takes B as [in, out] with per-column zero points.
    const [out, inF] = a.shape;
    const wt = new Int8Array(inF * out);
    for (let o = 0; o < out; o++) for (let i = 0; i < inF; i++) wt[i * out + o] = a.weightInt8[o * inF + i];
    const [xq, xScale, xZero] = a.reduceRange ? dynamicQuantize7(c, x.name) : c.nodeOutputs('DynamicQuantizeLinear', [x.name], 3);
    const acc = c.node('MatMulInteger', [xq, c.init('int8', [inF, out], wt), xZero, wZero]);
    const scale = c.node('Mul', [xScale, c.init('float32', [out], a.weightScale)]);
    const y = c.node('Mul', [c.node('Cast', [acc], { to: ONNX_DTYPE.float32 }), scale]);
    c.final(bias ? 'Add' : 'Identity', bias ? [y, bias] : [y]);
    return;
  }
  if (!a.inputQParams) c.fail('a dynamically quantized Conv2d has no ONNX form');
  const sx = c.scalar(a.inputQParams.scale, 'float32');
  const zx = c.init('uint8', [], [a.inputQParams.zeroPoint]);
  const { scale, zeroPoint } = a.inputQParams;
  const capped = a.reduceRange ? c.node('Min', [x.name, c.scalar(Math.fround((127 - zeroPoint) * scale), 'float32')]) : x.name;
  const xd = c.node('DequantizeLinear', [c.node('QuantizeLinear', [capped, sx, zx]), sx, zx]);
  const wd = c.node('DequantizeLinear', [c.init('int8', a.shape, a.weightInt8), c.init('float32', [outC], a.weightScale), wZero], { axis: 0 });
  const withBias = (ins: string[]) => (bias ? [...ins, bias] : ins);
  if (a.kind === 'conv') {
    const g = a.geometry!;
    c.final('Conv', withBias([xd, wd]), {
      kernel_shape: g.kernelSize,
      strides: g.stride,
      pads: [g.padding[0], g.padding[1], g.padding[0], g.padding[1]],
      dilations: g.dilation,
      group: 1,
    });
  } else if (x.shape.length === 2) c.final('Gemm', withBias([xd, wd]), { transB: 1 });
  else {
    const y = c.node('MatMul', [xd, c.node('Transpose', [wd], { perm: [1, 0] })]);
    c.final(bias ? 'Add' : 'Identity', bias ? [y, bias] : [y]);
  }
}

/**
 * x as 7-bit quint8 with parameters from its own range, as quantization.quint8Params(min, max, 127):
 * [q, scale, zero point] (q uint8 in 0…127).
 */
function dynamicQuantize7(c: EmitContext, x: string): [string, string, string] {
  const zero = c.scalar(0, 'float32');
  const lo = c.node('Min', [c.node('ReduceMin', [x], { keepdims: 0 }), zero]);
  const hi = c.node('Max', [c.node('ReduceMax', [x], { keepdims: 0 }), zero]);
  const scale = c.node('Max', [c.node('Div', [c.node('Sub', [hi, lo]), c.scalar(127, 'float32')]), c.scalar(1.1920928955078125e-7, 'float32')]);
  const zp = c.node('Clip', [c.node('Neg', [c.node('Round', [c.node('Div', [lo, scale])])]), zero, c.scalar(127, 'float32')]);
  const capped = c.node('Min', [x, c.node('Mul', [c.node('Sub', [c.scalar(127, 'float32'), zp]), scale])]);
  const zpU8 = c.node('Cast', [zp], { to: ONNX_DTYPE.uint8 });
  return [c.node('QuantizeLinear', [capped, scale, zpU8]), scale, zpU8];
}

function argExtreme(c: EmitContext, op: 'ArgMax' | 'ArgMin'): void {
  const [x] = c.x;
  const dim = c.attrs.dim as number | null;
  const keepdim = c.attrs.keepdim ? 1 : 0;
  const source = dim === null ? c.node('Reshape', [x.name, c.int64([-1])]) : x.name;
  let index = c.node(op, [source], { axis: dim ?? 0, keepdims: dim === null ? 0 : keepdim });
  if (dim === null && keepdim) index = c.node('Reshape', [index, c.int64(x.shape.map(() => 1))]);
  c.final('Cast', [index], { to: ONNX_DTYPE.int32 });
}

/** Serializes a model as ONNX; `onnx.export`. */
export function exportModel(model: AnyModule, args: Tensor | Tensor[], options: ExportOptions = {}): Uint8Array {
  if (!(model instanceof Module)) throw new TypeError('onnx.export: model must be an nn.Module');
  checkOptions('onnx.export', options, ['inputNames', 'outputNames', 'dynamicAxes', 'opsetVersion']);
  const given = args instanceof Tensor ? [args] : args;
  if (!Array.isArray(given) || given.length === 0 || !given.every((t) => t instanceof Tensor)) {
    throw new TypeError('onnx.export: args must be a Tensor or a non-empty array of Tensors (the example inputs to trace with)');
  }
  for (const t of given) t.check('onnx.export');
  // A view (a slice of a batch) is traced as a contiguous copy: reshaping a view copies it outside the traced ops, which would make the copy a constant.
  const inputs = given.map((t) => (t.isContiguous() ? t : noGrad(() => t.contiguous())));
  const opset = options.opsetVersion ?? 17;
  if (!Number.isInteger(opset) || opset < 13 || opset > 17) throw new RangeError(`onnx.export: opsetVersion must be 13 to 17 (got ${opset})`);
  const inputNames = options.inputNames ?? (inputs.length === 1 ? ['input'] : inputs.map((_, i) => `input_${i}`));
  checkNames('inputNames', inputNames);
  if (inputNames.length !== inputs.length) throw new RangeError(`onnx.export: inputNames has ${inputNames.length} names for ${inputs.length} inputs`);
  const dynamicAxes = options.dynamicAxes ?? {};
  checkDynamicAxes(dynamicAxes);

  const paramNames = new Map<Tensor, string>();
  for (const [name, p] of model.namedParameters()) paramNames.set(p, name);
  for (const [name, b] of model.namedBuffers()) if (!paramNames.has(b)) paramNames.set(b, name);

  const wasTraining = model.training;
  model.eval();
  let A: Trace;
  let B: Trace | null = null;
  let argsB: Tensor[] = inputs;
  try {
    A = trace(model, inputs, new Set([...inputs, ...paramNames.keys()]));
    const dynInputs = inputNames.map((name, i) => dynamicDims('input', name, dynamicAxes[name], inputs[i].ndim));
    checkDistinctSizes(inputs, inputNames, dynInputs, dynamicAxes);
    if (dynInputs.some((d) => d.size > 0)) {
      argsB = otherShapes(inputs, dynInputs).map((shape, i) => resized(inputs[i], shape));
      B = trace(model, argsB, new Set([...argsB, ...paramNames.keys()]));
    }
  } finally {
    model.train(wasTraining);
  }
  const outputNames = options.outputNames ?? (A.outputs.length === 1 ? ['output'] : A.outputs.map((_, i) => `output_${i}`));
  checkNames('outputNames', outputNames);
  const shared = outputNames.find((n) => inputNames.includes(n));
  if (shared !== undefined) throw new RangeError(`onnx.export: '${shared}' names both an input and an output; graph values need distinct names`);
  if (outputNames.length !== A.outputs.length)
    throw new RangeError(`onnx.export: outputNames has ${outputNames.length} names for the model's ${A.outputs.length} outputs`);
  for (const name of Object.keys(dynamicAxes)) {
    if (!inputNames.includes(name) && !outputNames.includes(name))
      throw new RangeError(
        `onnx.export: dynamicAxes names '${name}', which is neither an input (${inputNames.join(', ')}) nor an output (${outputNames.join(', ')})`,
      );
  }
  if (B && (B.events.length !== A.events.length || B.events.some((e, i) => e.event.name !== A.events[i].event.name))) {
    throw new Error('onnx.export: the forward runs different ops at the other sizes of the dynamic axes, so one graph cannot represent it');
  }

  // The ops the outputs depend on, walking back from them (ops nested in another op are skipped).
  const producer = new Map<Tensor, number>();
  A.events.forEach((e, i) => {
    for (const t of eventOutputs(e.event)) producer.set(t, i);
  });
  const needed = new Set<number>();
  const stack = [...A.outputs];
  while (stack.length > 0) {
    const t = stack.pop()!;
    const i = producer.get(t);
    if (i === undefined || needed.has(i)) continue;
    needed.add(i);
    stack.push(...A.events[i].event.inputs, ...attrTensors(A.events[i].event));
  }

  const nodes: NodeSpec[] = [];
  const initializers: Initializer[] = [];
  const values = new Map<Tensor, Value>();
  const usedNames = new Set<string>();
  const fresh = (base: string): string => {
    let name = base;
    for (let k = 1; usedNames.has(name); k++) name = `${base}_${k}`;
    usedNames.add(name);
    return name;
  };
  inputs.forEach((t, i) => values.set(t, { name: fresh(inputNames[i]), dtype: t.dtype, shape: t.shape, shapeB: argsB[i].shape }));
  const initializer = (dtype: keyof typeof ONNX_DTYPE, shape: readonly number[], vals: Initializer['values'], base = 'onnx::Constant'): string => {
    const name = fresh(base);
    initializers.push({ name, dtype, shape, values: vals });
    return name;
  };
  /** A node's name as PyTorch's exporter writes it: under its module's path, numbered. */
  const nodeNameIn = (path: string, op: string) => `/${path ? `${path.replaceAll('.', '/')}/` : ''}${op}_${nodes.length}`;
  /** Builders whose nodes are named under `path` (a module's, '' for the root). */
  const graphOps = (path: string, fail: (why: string) => never): GraphOps => {
    const nodeName = (op: string) => nodeNameIn(path, op);
    const g: GraphOps = {
      node: (op, ins, attrs = {}) => {
        const o = fresh(`${nodeName(op)}_output`);
        nodes.push({ op, inputs: ins, outputs: [o], name: nodeName(op), attrs });
        return o;
      },
      int64: (vals) =>
        initializer(
          'int64',
          [vals.length],
          BigInt64Array.from(vals, (v) => BigInt(v)),
        ),
      int64Scalar: (value) => initializer('int64', [], BigInt64Array.of(BigInt(value))),
      scalar: (value, dtype) => initializer(onnxType(dtype), [], [value]),
      dimOf: (a, b) => {
        // Graph inputs come first in `values`, so a dim is read from the input it came in with when it can be.
        for (const v of values.values()) {
          const k = v.shape.findIndex((s, d) => s === a && v.shapeB[d] === b && s !== b);
          if (k >= 0) return g.node('Gather', [g.node('Shape', [v.name]), g.int64([k])], { axis: 0 });
        }
        return fail(`no value has a dim that is ${a} and ${b} at the two traced sizes`);
      },
    };
    return g;
  };
  const graphValue = (t: Tensor, tB: Tensor | undefined, where: () => string): Value => {
    const v = values.get(t);
    if (v) return v;
    const param = paramNames.get(t);
    if (param !== undefined) {
      const value = { name: fresh(param), dtype: t.dtype, shape: t.shape, shapeB: t.shape };
      values.set(t, value);
      initializers.push({ name: value.name, dtype: onnxType(t.dtype), shape: t.shape, values: noGrad(() => t.toArray()) });
      return value;
    }
    const constant = A.constants.get(t);
    if (!constant) throw new Error(`onnx.export: ${where()} reads a tensor that was released before export could read it`);
    const cB = tB ? B?.constants.get(tB) : undefined;
    if (tB && B && !cB)
      throw new Error(`onnx.export: ${where()} reads a constant at the traced sizes but a computed tensor at the others; one graph cannot represent it`);
    if (cB && fmtShape(cB.shape) !== fmtShape(constant.shape)) {
      // Made in JavaScript from a size that follows the dynamic axes (arange(T), ones([T, T]), a causal mask): rebuilt from the run-time sizes.
      const pattern = constantPattern(constant, cB);
      if (!pattern) {
        throw new Error(
          `onnx.export: ${where()} reads a constant whose shape (${fmtShape(constant.shape)} vs ${fmtShape(cB.shape)}) follows the dynamic axes and is not a fill, an arange or a triangular mask; build it from the input with tensor ops instead`,
        );
      }
      const g = graphOps('', (why) => {
        throw new Error(`onnx.export: ${where()} reads a constant that follows the dynamic axes, but ${why}`);
      });
      const value = { name: rebuildConstant(g, pattern, constant, cB), dtype: constant.dtype, shape: constant.shape, shapeB: cB.shape };
      values.set(t, value);
      return value;
    }
    if (cB && Array.from(cB.values).some((v, k) => v !== constant.values[k])) {
      throw new Error(
        `onnx.export: ${where()} reads a constant whose value follows the dynamic axes (a count or size computed in JavaScript); compute it with tensor ops instead`,
      );
    }
    const value = { name: fresh('onnx::Constant'), dtype: constant.dtype, shape: constant.shape, shapeB: constant.shape };
    values.set(t, value);
    initializers.push({ name: value.name, dtype: onnxType(constant.dtype), shape: constant.shape, values: constant.values });
    return value;
  };
  const outputIndex = new Map<Tensor, number>();
  A.outputs.forEach((t, i) => {
    if (!outputIndex.has(t) && producer.has(t)) outputIndex.set(t, i);
  });

  for (const i of [...needed].sort((a, b) => a - b)) {
    const { event, path, moduleType } = A.events[i];
    const eB = B?.events[i].event;
    const where = () => `op '${event.name}' in module ${path === '' ? '(root)' : `'${path}'`} (${moduleType})`;
    const fail = (why: string): never => {
      throw new Error(`onnx.export: ${where()} cannot be exported: ${why}`);
    };
    const emitter = RESHAPES.has(event.name) ? null : IDENTITY.has(event.name) ? null : EMITTERS[event.name];
    const x = event.inputs.map((t, k) => graphValue(t, eB?.inputs[k], where));
    const attrValues = new Map<string, Value>();
    for (const [key, v] of Object.entries(event.attrs)) {
      if (v instanceof Tensor) attrValues.set(key, graphValue(v, eB?.attrs[key] as Tensor | undefined, where));
    }
    const outTensorsB = eB ? eventOutputs(eB) : null;
    const outs: Value[] = eventOutputs(event).map((t, k) => {
      const oi = outputIndex.get(t);
      return {
        name: fresh(oi !== undefined ? outputNames[oi] : `/${path ? `${path.replaceAll('.', '/')}/` : ''}${event.name}_output_${i}${k > 0 ? `_${k}` : ''}`),
        dtype: t.dtype,
        shape: t.shape,
        shapeB: outTensorsB ? outTensorsB[k].shape : t.shape,
      };
    });
    const out = outs[0];
    const nodeName = (op: string) => nodeNameIn(path, op);
    const c: EmitContext = {
      ...graphOps(path, fail),
      op: event.name,
      x,
      out,
      outs,
      valueOf: (t) => graphValue(t, undefined, where),
      finalAt: (k, op, ins, attrs = {}) => void nodes.push({ op, inputs: ins, outputs: [outs[k].name], name: nodeName(op), attrs }),
      attrs: event.attrs,
      attrsB: eB?.attrs ?? event.attrs,
      attrValue: (key) => attrValues.get(key) ?? fail(`its ${key} tensor is missing`),
      nodeOutputs: (op, ins, count, attrs = {}) => {
        const outs = Array.from({ length: count }, (_, k) => fresh(`${nodeName(op)}_output_${k}`));
        nodes.push({ op, inputs: ins, outputs: outs, name: nodeName(op), attrs });
        return outs;
      },
      final: (op, ins, attrs = {}) => void nodes.push({ op, inputs: ins, outputs: [out.name], name: nodeName(op), attrs }),
      constant: (shape, dtype, fill) => initializer(onnxType(dtype), shape, new Float64Array(shape.reduce((a, b) => a * b, 1)).fill(fill)),
      opset,
      init: (dtype, shape, vals) => initializer(dtype, shape, vals, `${path ? `${path}.` : ''}${dtype === 'int8' ? 'weight_quantized' : 'onnx::Constant'}`),
      fail,
    };
    if (RESHAPES.has(event.name)) c.final('Reshape', [x[0].name, reshapeTarget(c)]);
    else if (IDENTITY.has(event.name)) c.final('Identity', [x[0].name]);
    else if (UNARY[event.name]) c.final(UNARY[event.name], [x[0].name]);
    else if (ARITHMETIC[event.name])
      c.final(
        ARITHMETIC[event.name],
        x.map((v) => castTo(c, v, out.dtype)),
      );
    else if (COMPARISON[event.name]) {
      const common = promoteTypes(x[0].dtype, x[1].dtype);
      const ins = x.map((v) => castTo(c, v, common));
      if (event.name === 'ne') c.final('Not', [c.node('Equal', ins)]);
      else c.final(COMPARISON[event.name], ins);
    } else if (emitter) emitter(c);
    else
      fail(
        `Tessera has no ONNX export for '${event.name}' (export supports ${[...RESHAPES, ...IDENTITY, ...Object.keys(UNARY), ...Object.keys(ARITHMETIC), ...Object.keys(COMPARISON), ...Object.keys(EMITTERS)].sort().join(', ')})`,
      );
    eventOutputs(event).forEach((t, k) => values.set(t, outs[k]));
  }

  // Outputs that no op of the trace produced (an input or parameter returned as is) go through Identity.
  const graphOutputs: Value[] = A.outputs.map((t, i) => {
    const v = values.get(t) ?? graphValue(t, B?.outputs[i], () => `output ${i}`);
    if (v.name === outputNames[i]) return v;
    const alias = { ...v, name: fresh(outputNames[i]) };
    nodes.push({ op: 'Identity', inputs: [v.name], outputs: [alias.name], name: `/Identity_${nodes.length}`, attrs: {} });
    return alias;
  });
  const graphInputs = inputs.map((t) => values.get(t)!);
  return encodeModel({
    opset,
    nodes,
    initializers,
    inputs: graphInputs.map((v, i) => ({ ...v, params: dimParams(v, dynamicAxes[inputNames[i]], inputNames[i]) })),
    outputs: graphOutputs.map((v, i) => ({ ...v, params: dimParams(v, dynamicAxes[outputNames[i]], outputNames[i]) })),
  });
}

/** Graph input or output names: an array of distinct non-empty strings (they become the runtime's feed and fetch keys). */
function checkNames(arg: string, names: unknown): asserts names is string[] {
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string' && n !== ''))
    throw new TypeError(`onnx.export: ${arg} must be an array of non-empty strings (got ${show(names)})`);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new RangeError(`onnx.export: ${arg} names '${twice}' twice`);
}

/** dynamicAxes: per name, an array of dims or an object mapping dims to names. */
function checkDynamicAxes(axes: unknown): void {
  if (axes === null || typeof axes !== 'object' || Array.isArray(axes))
    throw new TypeError(`onnx.export: dynamicAxes must be an object of { name: [dims] or { dim: 'label' } } (got ${show(axes)})`);
  for (const [name, spec] of Object.entries(axes)) {
    const ok = Array.isArray(spec)
      ? spec.every((d) => Number.isInteger(d))
      : spec !== null && typeof spec === 'object' && Object.entries(spec).every(([d, label]) => /^\d+$/.test(d) && typeof label === 'string');
    if (!ok) throw new TypeError(`onnx.export: dynamicAxes['${name}'] must be an array of dims or an object of { dim: 'label' } (got ${show(spec)})`);
  }
}

function dynamicDims(kind: string, name: string, spec: number[] | Record<number, string> | undefined, ndim: number): Set<number> {
  if (spec === undefined) return new Set();
  const dims = Array.isArray(spec) ? spec : Object.keys(spec).map(Number);
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d >= ndim)
      throw new RangeError(`onnx.export: dynamicAxes['${name}'] names dim ${d}, but the ${kind} has ${ndim} dims`);
  }
  return new Set(dims);
}

/**
 * Dynamic dims are told apart by their sizes in the two traces, so two different axes (batch and
 * sequence) of the same size would be confused: refused, asking for example inputs that differ.
 */
function checkDistinctSizes(inputs: Tensor[], names: string[], dyn: Set<number>[], axes: ExportOptions['dynamicAxes'] & object): void {
  const seen = new Map<number, { input: number; dim: number; label: string | undefined }>();
  inputs.forEach((t, i) => {
    const spec = axes[names[i]];
    for (const d of dyn[i]) {
      const label = spec && !Array.isArray(spec) ? spec[d] : undefined;
      const other = seen.get(t.shape[d]);
      if (other && ((other.input === i && other.dim !== d) || (label !== undefined && other.label !== undefined && label !== other.label))) {
        throw new RangeError(
          `onnx.export: dynamic dims ${other.dim} of '${names[other.input]}' and ${d} of '${names[i]}' are both ${t.shape[d]} in the example input, so the exporter cannot tell them apart; trace with sizes that differ (e.g. batch 2, sequence 8)`,
        );
      }
      seen.set(t.shape[d], { input: i, dim: d, label });
    }
  });
}

/** The dim names of a graph input or output: the user's, else `<name>_dim<d>` for a dim that followed the dynamic axes. */
function dimParams(v: Value, spec: unknown, name: string): (string | null)[] {
  const given = spec && !Array.isArray(spec) ? (spec as Record<number, string>) : {};
  return v.shape.map((_, d) => given[d] ?? (isDyn(v, d) || (Array.isArray(spec) && spec.includes(d)) ? `${name}_dim${d}` : null));
}

/**
 * The inputs' shapes in the second trace. Dynamic dims shrink by one, so an input at a model's
 * maximum (a GPT at its context length) stays within it; a dim below 3 grows instead, so none
 * becomes 1. Mixing the two can leave a product of dims unchanged (2·3 → 3·2), which would make a
 * flattening reshape look static: then every dim grows.
 */
function otherShapes(inputs: Tensor[], dyn: Set<number>[]): number[][] {
  const plan = (size: (s: number) => number) => inputs.map((t, i) => t.shape.map((s, d) => (dyn[i].has(d) ? size(s) : s)));
  const mixed = plan((s) => (s >= 3 ? s - 1 : s + 1));
  const keepsAProduct = inputs.some((t, i) => {
    const dims = [...dyn[i]];
    for (let subset = 1; subset < 1 << dims.length; subset++) {
      const chosen = dims.filter((_, k) => subset & (1 << k));
      if (chosen.length > 1 && chosen.reduce((p, d) => p * t.shape[d], 1) === chosen.reduce((p, d) => p * mixed[i][d], 1)) return true;
    }
    return false;
  });
  return keepsAProduct ? plan((s) => s + 1) : mixed;
}

/** t resized to `shape` (values repeated cyclically, so indices stay valid). */
function resized(t: Tensor, shape: number[]): Tensor {
  if (shape.every((s, d) => s === t.shape[d])) return t;
  const src = t.toArray();
  const strides = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const count = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(count);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < count; k++) {
    let from = 0;
    for (let d = 0; d < shape.length; d++) from += (idx[d] % t.shape[d]) * strides[d];
    out[k] = src[from];
    for (let d = shape.length - 1; d >= 0 && ++idx[d] === shape[d]; d--) idx[d] = 0;
  }
  return tensor(out, { shape, dtype: t.dtype, device: t.device });
}

interface GraphIO extends Value {
  params: (string | null)[];
}

function encodeModel(g: { opset: number; nodes: NodeSpec[]; initializers: Initializer[]; inputs: GraphIO[]; outputs: GraphIO[] }): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 8); // ir_version 8 (ONNX 1.10+), what opset 17 runtimes read
  w.string(2, 'tessera');
  w.string(3, '0.1.0');
  w.message(7, (gw) => {
    for (const n of g.nodes) gw.message(1, (nw) => writeNode(nw, n));
    gw.string(2, 'tessera');
    for (const init of g.initializers) gw.message(5, (tw) => writeTensor(tw, init));
    for (const v of g.inputs) gw.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of g.outputs) gw.message(12, (vw) => writeValueInfo(vw, v));
  });
  w.message(8, (ow) => ow.string(1, '').int(2, g.opset));
  return w.finish();
}

function writeNode(w: ProtoWriter, n: NodeSpec): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.op);
  for (const [name, value] of Object.entries(n.attrs)) {
    w.message(5, (aw) => {
      aw.string(1, name);
      if (typeof value === 'number') {
        if (Number.isInteger(value) && name !== 'alpha' && name !== 'beta' && name !== 'epsilon') aw.int(3, value).int(20, 2);
        else aw.float(2, value).int(20, 1);
      } else if (typeof value === 'string') aw.string(4, value).int(20, 3);
      else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
        for (const v of value) aw.string(9, v);
        aw.int(20, 8);
      } else if (Array.isArray(value)) aw.packedInts(8, value as number[]).int(20, 7);
      else aw.message(5, (tw) => writeTensor(tw, value.tensor)).int(20, 4);
    });
  }
}

/** The little-endian bytes of a tensor's values in its ONNX dtype. */
export function tensorBytes(dtype: keyof typeof ONNX_DTYPE, values: ArrayLike<number> | BigInt64Array): Uint8Array {
  switch (dtype) {
    case 'float32':
      return new Uint8Array(Float32Array.from(values as ArrayLike<number>).buffer);
    case 'float64':
      return new Uint8Array(Float64Array.from(values as ArrayLike<number>).buffer);
    case 'int32':
      return new Uint8Array(Int32Array.from(values as ArrayLike<number>).buffer);
    case 'int64':
      return new Uint8Array((values instanceof BigInt64Array ? values : BigInt64Array.from(values as ArrayLike<number>, (v) => BigInt(v))).buffer.slice(0));
    case 'int8':
      return new Uint8Array(Int8Array.from(values as ArrayLike<number>).buffer);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(values as ArrayLike<number>, (v) => (dtype === 'bool' ? (v !== 0 ? 1 : 0) : v));
  }
}

function writeTensor(w: ProtoWriter, t: Initializer): void {
  if (t.shape.length > 0) w.packedInts(1, t.shape);
  w.int(2, ONNX_DTYPE[t.dtype]);
  w.string(8, t.name);
  w.bytes(9, tensorBytes(t.dtype, t.values));
}

function writeValueInfo(w: ProtoWriter, v: GraphIO): void {
  w.string(1, v.name);
  w.message(2, (tw) =>
    tw.message(1, (tt) => {
      tt.int(1, ONNX_DTYPE[onnxType(v.dtype)]);
      tt.message(2, (sw) => {
        v.shape.forEach((s, d) => sw.message(1, (dw) => (v.params[d] !== null ? dw.string(2, v.params[d]!) : dw.int(1, s))));
      });
    }),
  );
}

/** Writes `onnx.export`'s bytes to a file (Node only). */
export async function exportToFile(model: AnyModule, args: Tensor | Tensor[], path: string, options: ExportOptions = {}): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new TypeError(`onnx.exportToFile: path must be a non-empty string (got ${show(path)})`);
  const bytes = exportModel(model, args, options);
  const { writeFile } = await nodeFs('onnx.exportToFile');
  await writeFile(path, bytes);
}
