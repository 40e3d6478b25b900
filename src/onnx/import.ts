/**
 * ONNX import: `onnx.load(bytes)` parses a model and returns a Module that runs its graph with
 * Tessera's ops, so it trains: the float initializers that are weights become Parameters and the
 * other named ones buffers (see initializerRole), nested by their dotted names, so state-dict keys
 * are the file's initializer names. int64 values (shapes, axes) are computed in JavaScript, as
 * ONNX Runtime does on the host.
 */
import { roundHalfEven } from '../dtype.js';
import { full, tensor, zeros } from '../creation.js';
import { Module, Parameter } from '../nn/module.js';
import * as F from '../nn/functional.js';
import { fmtShape } from '../shape.js';
import { show } from '../validate.js';
import { Tensor } from '../tensor.js';
import { cat, stack } from '../ops/shape.js';
import { gruSequence, lstmSequence } from '../nn/rnn-fused.js';
import { erf, gelu, round, where } from '../ops/elementwise.js';
import { gather, indexSelect } from '../ops/indexing.js';
import { flip, tril, triu } from '../ops/rearrange.js';
import { conv2d, maxPool2d, avgPool2d, adaptiveAvgPool2d } from '../ops/conv.js';
import { nodeFs } from '../io/node-fs.js';
import { fieldFloat, fieldInt, fieldString, ProtoError, type ProtoField, readFields, repeatedFloats, repeatedInts } from './proto.js';

/** int64 values (shapes, axes, indices) kept on the host as numbers. */
interface Host {
  host: true;
  shape: number[];
  data: number[];
}
type Val = Tensor | Host;

interface Attr {
  i?: number;
  f?: number;
  s?: string;
  ints?: number[];
  floats?: number[];
  strings?: string[];
  t?: Val;
}

interface OnnxNode {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, Attr>;
}

/** The ONNX type of tensors Tessera holds as int32 that were int8 or uint8 (zero points and quantized values fix a quantized range). */
const BYTE_TYPE = new WeakMap<Tensor, 'int8' | 'uint8'>();
function asBytes(t: Tensor, type: 'int8' | 'uint8'): Tensor {
  BYTE_TYPE.set(t, type);
  return t;
}

const DTYPES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64' };

function parseTensor(data: Uint8Array, base: number): { name: string; value: Val } {
  const fields = readFields(data, base, 'TensorProto');
  const dims = repeatedInts(fields, 1);
  const typeCode = fieldInt(fields.find((f) => f.field === 2) ?? ({ value: 0n } as ProtoField));
  const name = fields.find((f) => f.field === 8);
  const tname = name ? fieldString(name) : '';
  if (fields.some((f) => f.field === 14 && f.value === 1n))
    throw new ProtoError(`onnx.load: tensor '${tname}' keeps its data in an external file, which load() cannot read; save the model with its data inside`);
  const raw = fields.find((f) => f.field === 9)?.data;
  const count = dims.reduce((a, b) => a * b, 1);
  const dtype = DTYPES[typeCode];
  if (!dtype) throw new ProtoError(`onnx.load: tensor '${tname}' (byte ${base}) has ONNX data type ${typeCode}, which Tessera cannot hold`);
  let values: number[];
  if (raw) {
    const copy = raw.slice();
    const view = new DataView(copy.buffer);
    const size = { float32: 4, uint8: 1, int8: 1, int16: 2, int32: 4, int64: 8, bool: 1, float64: 8 }[dtype]!;
    if (copy.length !== count * size)
      throw new ProtoError(`onnx.load: tensor '${tname}' has ${copy.length} data bytes for shape ${fmtShape(dims)} of ${dtype} (expected ${count * size})`);
    values = Array.from({ length: count }, (_, k) => {
      switch (dtype) {
        case 'float32':
          return view.getFloat32(k * 4, true);
        case 'float64':
          return view.getFloat64(k * 8, true);
        case 'int32':
          return view.getInt32(k * 4, true);
        case 'int64':
          return Number(view.getBigInt64(k * 8, true));
        case 'int16':
          return view.getInt16(k * 2, true);
        case 'int8':
          return view.getInt8(k);
        default:
          return view.getUint8(k);
      }
    });
  } else if (dtype === 'float32') values = repeatedFloats(fields, 4);
  else if (dtype === 'int64') values = repeatedInts(fields, 7);
  else if (dtype === 'float64') values = fields.filter((f) => f.field === 10).flatMap((f) => Array.from(new Float64Array(f.data.slice().buffer)));
  else values = repeatedInts(fields, 5);
  if (values.length !== count) throw new ProtoError(`onnx.load: tensor '${tname}' has ${values.length} values for shape ${fmtShape(dims)}`);
  if (dtype === 'int64') return { name: tname, value: { host: true, shape: dims, data: values } };
  const tdtype = dtype === 'float32' || dtype === 'float64' ? 'float32' : dtype === 'bool' ? 'bool' : 'int32';
  const value = tensor(tdtype === 'float32' ? Float32Array.from(values) : Int32Array.from(values), { shape: dims, dtype: tdtype });
  return { name: tname, value: dtype === 'int8' || dtype === 'uint8' ? asBytes(value, dtype) : value };
}

function parseNode(f: ProtoField): OnnxNode {
  const fields = readFields(f.data, f.at, 'NodeProto');
  const strings = (n: number) => fields.filter((g) => g.field === n).map(fieldString);
  const attrs = new Map<string, Attr>();
  for (const a of fields.filter((g) => g.field === 5)) {
    const af = readFields(a.data, a.at, 'AttributeProto');
    const get = (n: number) => af.find((g) => g.field === n);
    const attr: Attr = {};
    if (get(2)) attr.f = fieldFloat(get(2)!);
    if (get(3)) attr.i = fieldInt(get(3)!);
    if (get(4)) attr.s = fieldString(get(4)!);
    if (get(5)) attr.t = parseTensor(get(5)!.data, get(5)!.at).value;
    if (af.some((g) => g.field === 8)) attr.ints = repeatedInts(af, 8);
    if (af.some((g) => g.field === 7)) attr.floats = repeatedFloats(af, 7);
    if (af.some((g) => g.field === 9)) attr.strings = af.filter((g) => g.field === 9).map(fieldString);
    attrs.set(fieldString(get(1)!), attr);
  }
  const domain = strings(7)[0] ?? '';
  const op = strings(4)[0] ?? '';
  return { op: domain && domain !== 'ai.onnx' ? `${domain}.${op}` : op, name: strings(3)[0] ?? '', inputs: strings(1), outputs: strings(2), attrs };
}

interface Declared {
  /** The ONNX element type's name (float32, int64, …), or null when the file leaves it out. */
  dtype: string | null;
  dims: (number | string | null)[] | null;
}

/** A graph input's declared type: ValueInfoProto.type → TypeProto.tensor_type → elem_type and shape. */
function declaredType(f: ProtoField): Declared | null {
  const type = readFields(f.data, f.at, 'ValueInfoProto').find((g) => g.field === 2);
  const tensorType = type && readFields(type.data, type.at, 'TypeProto').find((g) => g.field === 1);
  if (!tensorType) return null;
  const parts = readFields(tensorType.data, tensorType.at, 'TypeProto.Tensor');
  const elem = parts.find((g) => g.field === 1);
  const shape = parts.find((g) => g.field === 2);
  const dims = shape
    ? readFields(shape.data, shape.at, 'TensorShapeProto')
        .filter((g) => g.field === 1)
        .map((d) => {
          const dim = readFields(d.data, d.at, 'TensorShapeProto.Dimension');
          const value = dim.find((g) => g.field === 1);
          const param = dim.find((g) => g.field === 2);
          return value ? fieldInt(value) : param ? fieldString(param) : null;
        })
    : null;
  return { dtype: elem ? (DTYPES[fieldInt(elem)] ?? null) : null, dims };
}

/** A forward() argument against its graph input's declaration: a Tensor of its rank, fixed dims and kind (float or integer). */
function checkInput(v: unknown, name: string, declared: Declared | null): Tensor {
  if (!(v instanceof Tensor)) throw new TypeError(`onnx model: input '${name}' must be a Tensor (got ${show(v)})`);
  if (!declared) return v;
  const wanted = declared.dims?.map((d) => (d === null ? '?' : d)).join(', ');
  const fits = declared.dims === null || (declared.dims.length === v.ndim && declared.dims.every((d, i) => typeof d !== 'number' || d === v.shape[i]));
  if (!fits) throw new RangeError(`onnx model: input '${name}' has shape ${fmtShape(v.shape)}, but the graph declares [${wanted}]`);
  const floatDeclared = declared.dtype === 'float32' || declared.dtype === 'float64';
  if (declared.dtype !== null && floatDeclared !== (v.dtype === 'float32' || v.dtype === 'float64'))
    throw new TypeError(`onnx model: input '${name}' is ${v.dtype}, but the graph declares ${declared.dtype}`);
  return v;
}

class OnnxContainer extends Module {
  forward(): Tensor {
    throw new Error('onnx.load: this container only groups imported parameters; call the imported model itself');
  }
}

/**
 * A Module running an imported ONNX graph; its weight initializers are its parameters, its masks,
 * statistics and index tables its buffers. A graph with
 * several outputs returns them as an array: load it as `onnx.load<Tensor[]>(bytes)` for that type.
 */
export class OnnxModule<Out extends Tensor | Tensor[] = Tensor> extends Module<Tensor[], Out> {
  /** Names of the graph's inputs, in the order forward() takes them. */
  readonly inputNames: string[];
  /** Names of the graph's outputs, in the order forward() returns them. */
  readonly outputNames: string[];
  readonly #nodes: OnnxNode[];
  /** Each input's declared element type and dims (a number fixed, a string or null free), when the file gives them. */
  readonly #inputTypes: (Declared | null)[];
  readonly #constants = new Map<string, Val>();
  /** State initializers: name, holding module, field, and whether the file's values are int64 (held as int32). */
  readonly #params: [string, Record<string, unknown>, string, boolean][] = [];

  /** @internal Use onnx.load. */
  constructor(bytes: Uint8Array) {
    super();
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`OnnxModule: expected the model as a Uint8Array (got ${show(bytes)}); use onnx.load`);
    const model = readFields(bytes, 0, 'ModelProto');
    const graphField = model.find((f) => f.field === 7);
    if (!graphField) throw new ProtoError('onnx.load: the file has no graph (is it an ONNX model?)');
    const graph = readFields(graphField.data, graphField.at, 'GraphProto');
    const initializers = graph.filter((g) => g.field === 5).map((f) => parseTensor(f.data, f.at));
    const initNames = new Set(initializers.map((i) => i.name));
    const ioName = (g: ProtoField) => fieldString(readFields(g.data, g.at, 'ValueInfoProto').find((h) => h.field === 1)!);
    const inputs = graph.filter((g) => g.field === 11 && !initNames.has(ioName(g)));
    this.inputNames = inputs.map(ioName);
    this.#inputTypes = inputs.map(declaredType);
    this.outputNames = graph.filter((g) => g.field === 12).map(ioName);
    this.#nodes = graph.filter((g) => g.field === 1).map(parseNode);
    for (const node of this.#nodes) {
      if (!(node.op in OPS))
        throw new Error(
          `onnx.load: op '${node.op}' (node '${node.name}') is not supported by Tessera's ONNX import (supported: ${Object.keys(OPS).sort().join(', ')})`,
        );
    }
    const trainable = differentiable(this.#nodes, this.outputNames);
    for (const { name, value } of initializers) {
      const role = initializerRole(name, value, trainable);
      if (role === 'constant') this.#constants.set(name, value);
      else this.#addState(name, value, role === 'parameter');
    }
  }

  /** Holds an initializer under its dotted name: a Parameter, or a buffer (an int64 one as int32, read back as int64 values). */
  #addState(name: string, value: Val, parameter: boolean): void {
    const parts = name.split('.');
    let holder = this as unknown as Module;
    for (const part of parts.slice(0, -1)) {
      const h = holder as unknown as Record<string, unknown>;
      if (!(h[part] instanceof Module)) h[part] = new OnnxContainer();
      holder = h[part] as Module;
    }
    const leaf = parts[parts.length - 1];
    if (parameter) (holder as unknown as Record<string, unknown>)[leaf] = new Parameter(value as Tensor);
    else holder.registerBuffer(leaf, asTensor(value));
    this.#params.push([name, holder as unknown as Record<string, unknown>, leaf, !(value instanceof Tensor)]);
  }

  /** Runs the graph on the inputs (in the file's input order): its output, or an array of them in `outputNames` order when it has several. */
  forward(...inputs: Tensor[]): Out {
    if (inputs.length !== this.inputNames.length)
      throw new RangeError(`onnx model: expected ${this.inputNames.length} inputs (${this.inputNames.join(', ')}), got ${inputs.length}`);
    const env = new Map<string, Val>(this.#constants);
    for (const [name, holder, field, int64] of this.#params) {
      const t = holder[field] as Tensor;
      env.set(name, int64 ? { host: true, shape: [...t.shape], data: Array.from(t.toArray()) } : t);
    }
    this.inputNames.forEach((n, i) => env.set(n, checkInput(inputs[i], n, this.#inputTypes[i])));
    for (const node of this.#nodes) {
      const args = node.inputs.map((n) => {
        if (n === '') return undefined;
        const v = env.get(n);
        if (v === undefined) throw new Error(`onnx model: node '${node.name}' (${node.op}) reads '${n}', which no earlier node produced`);
        return v;
      });
      const outs = OPS[node.op](args, node, this.training);
      node.outputs.forEach((n, i) => {
        if (n !== '' && outs[i] !== undefined) env.set(n, outs[i]);
      });
    }
    const results = this.outputNames.map((n) => asTensor(env.get(n)!));
    return (results.length === 1 ? results[0] : results) as Out;
  }
}

function asTensor(v: Val): Tensor {
  return v instanceof Tensor ? v : tensor(Int32Array.from(v.data), { shape: v.shape, dtype: 'int32' });
}

function ints(v: Val | undefined, what: string): number[] {
  if (v === undefined) throw new Error(`onnx model: ${what} is missing`);
  return v instanceof Tensor ? Array.from(v.toArray()) : v.data;
}

const attrI = (n: OnnxNode, k: string, d: number) => n.attrs.get(k)?.i ?? d;
const attrF = (n: OnnxNode, k: string, d: number) => n.attrs.get(k)?.f ?? d;
const attrInts = (n: OnnxNode, k: string, d: number[]) => n.attrs.get(k)?.ints ?? d;
const norm = (axis: number, ndim: number) => (axis < 0 ? axis + ndim : axis);

type Op = (x: (Val | undefined)[], n: OnnxNode, training: boolean) => (Val | undefined)[];

const t0 = (x: (Val | undefined)[]) => asTensor(x[0]!);
const binary =
  (fn: (a: Tensor, b: Tensor) => Tensor): Op =>
  (x) => [fn(asTensor(x[0]!), asTensor(x[1]!))];
/** Arithmetic on int64 values (shape computations) stays on the host, with ONNX's integer semantics (Div truncates). */
const arithmetic =
  (fn: (a: Tensor, b: Tensor) => Tensor, host: (a: number, b: number) => number): Op =>
  (x) => {
    const [a, b] = [x[0]!, x[1]!];
    // Values that broadcast against each other (a column of row indices minus a row of column indices) run as tensors.
    const elementwise =
      !(a instanceof Tensor) && !(b instanceof Tensor) && (a.data.length === 1 || b.data.length === 1 || fmtShape(a.shape) === fmtShape(b.shape));
    if (!elementwise) return [fn(asTensor(a), asTensor(b))];
    const long = a.data.length >= b.data.length ? a : b;
    const at = (v: Host, i: number) => v.data[v.data.length === 1 ? 0 : i];
    return [{ host: true, shape: long.shape, data: long.data.map((_, i) => host(at(a, i), at(b, i))) }];
  };
const unary =
  (fn: (a: Tensor) => Tensor): Op =>
  (x) => [fn(t0(x))];

function reduceAxes(x: (Val | undefined)[], n: OnnxNode, fromInput: boolean): number[] {
  const t = t0(x);
  const axes = fromInput ? (x[1] ? ints(x[1], 'axes') : []) : attrInts(n, 'axes', []);
  return (axes.length === 0 ? t.shape.map((_, i) => i) : axes).map((a) => norm(a, t.ndim));
}

function poolPads(n: OnnxNode): [number, number] {
  const pads = attrInts(n, 'pads', [0, 0, 0, 0]);
  if (pads[0] !== pads[2] || pads[1] !== pads[3])
    throw new Error(`onnx model: node '${n.name}' (${n.op}) pads its ends unevenly (${pads}), which Tessera's pooling does not do`);
  return [pads[0], pads[1]];
}

type Recurrence = 'RNN' | 'LSTM' | 'GRU';
const GATE_COUNT: Record<Recurrence, number> = { RNN: 1, LSTM: 4, GRU: 3 };
/** The ONNX gate blocks in PyTorch's order: LSTM i,o,f,c → i,f,c,o; GRU z,r,h → r,z,n. */
const TORCH_ORDER: Record<Recurrence, number[]> = { RNN: [0], LSTM: [0, 2, 3, 1], GRU: [1, 0, 2] };
const DEFAULT_ACTIVATIONS: Record<Recurrence, string[]> = { RNN: ['Tanh'], LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'] };

/**
 * ONNX's RNN, LSTM and GRU ops (what PyTorch's exporter and Tessera's write) run with Tessera's
 * recurrent kernels: the weights are put back in PyTorch's gate order with differentiable slices,
 * so gradients reach the file's W, R and B. Returns Y [seq, dirs, batch, H], Y_h (and Y_c).
 */
function recurrence(kind: Recurrence): Op {
  return (x, n) => {
    const fail = (why: string): never => {
      throw new Error(`onnx model: node '${n.name}' (${kind}) ${why}, which Tessera's ONNX import does not support`);
    };
    const X = t0(x);
    const [W, R] = [asTensor(x[1]!), asTensor(x[2]!)];
    const B = x[3] ? asTensor(x[3]) : null;
    if (attrI(n, 'layout', 0) !== 0) fail('has layout=1 (batch-major)');
    if (n.attrs.has('clip')) fail('clips its cell state');
    if (attrI(n, 'input_forget', 0) !== 0) fail('couples the input and forget gates (input_forget=1)');
    if (kind === 'GRU' && attrI(n, 'linear_before_reset', 0) !== 1)
      fail("applies the reset gate before the linear map (linear_before_reset=0, not PyTorch's GRU)");
    if (x[7]) fail('has peephole weights (P)');
    const direction = n.attrs.get('direction')?.s ?? 'forward';
    const dirs = direction === 'bidirectional' ? 2 : 1;
    const acts = n.attrs.get('activations')?.strings ?? [];
    const per = kind === 'RNN' ? 1 : DEFAULT_ACTIVATIONS[kind].length;
    const relu = kind === 'RNN' && acts[0] === 'Relu';
    const expected = kind === 'RNN' ? [relu ? 'Relu' : 'Tanh'] : DEFAULT_ACTIVATIONS[kind];
    for (let i = 0; i < acts.length; i++) if (acts[i] !== expected[i % per]) fail(`uses activations ${acts.join(', ')}`);
    const [T, batch] = X.shape;
    if (x[4]) {
      const lens = ints(x[4], 'sequence_lens');
      if (lens.some((l) => l !== T)) fail(`has sequence_lens ${lens.join(', ')} shorter than the sequence (${T})`);
    }
    const H = attrI(n, 'hidden_size', W.shape[1] / GATE_COUNT[kind]);
    const G = GATE_COUNT[kind] * H;
    const torchOrder = (w: Tensor) => (kind === 'RNN' ? w : cat(TORCH_ORDER[kind].map((k) => w.narrow(0, k * H, H))));
    const initial = (v: Val | undefined, d: number) => (v ? asTensor(v).select(0, d) : zeros([batch, H], { dtype: X.dtype }));
    const ys: Tensor[] = [];
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    for (let d = 0; d < dirs; d++) {
      const reverse = direction === 'reverse' || d === 1;
      const wIh = torchOrder(W.select(0, d));
      const wHh = torchOrder(R.select(0, d));
      const bIh = B && torchOrder(B.select(0, d).narrow(0, 0, G));
      const bHh = B && torchOrder(B.select(0, d).narrow(0, G, G));
      const last = reverse ? 0 : T - 1;
      if (kind === 'LSTM') {
        const hc = lstmSequence(F.linear(X, wIh, bIh && bHh!.add(bIh)), initial(x[5], d), initial(x[6], d), wHh, reverse);
        ys.push(hc.narrow(0, 0, T));
        hs.push(hc.select(0, last));
        cs.push(hc.select(0, T));
      } else if (kind === 'GRU') {
        const out = gruSequence(F.linear(X, wIh, bIh), initial(x[5], d), wHh, bHh, reverse);
        ys.push(out);
        hs.push(out.select(0, last));
      } else {
        const xp = F.linear(X, wIh, bIh && bHh!.add(bIh));
        const steps = new Array<Tensor>(T);
        let h = initial(x[5], d);
        for (let i = 0; i < T; i++) {
          const t = reverse ? T - 1 - i : i;
          const pre = xp.select(0, t).add(F.linear(h, wHh));
          h = relu ? pre.relu() : pre.tanh();
          steps[t] = h;
        }
        ys.push(stack(steps, 0));
        hs.push(h);
      }
    }
    return [stack(ys, 1), stack(hs, 0), kind === 'LSTM' ? stack(cs, 0) : undefined];
  };
}

/** Ops none of whose inputs carry a gradient to their outputs (comparisons, shapes, indices, integer results). */
const NO_GRADIENT = new Set([
  'Shape',
  'Size',
  'ConstantOfShape',
  'Range',
  'Equal',
  'Less',
  'LessOrEqual',
  'Greater',
  'GreaterOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'ArgMax',
  'ArgMin',
  'Sign',
  'NonZero',
  'Floor',
  'Ceil',
  'Round',
  'QuantizeLinear',
  'DynamicQuantizeLinear',
  'MatMulInteger',
]);
/** The inputs that carry a gradient, for ops whose other inputs are conditions, indices, shapes, axes or statistics. */
const GRADIENT_INPUTS: Record<string, number[]> = {
  Where: [1, 2],
  Gather: [0],
  GatherElements: [0],
  Slice: [0],
  Reshape: [0],
  Expand: [0],
  Squeeze: [0],
  Unsqueeze: [0],
  Split: [0],
  ReduceSum: [0],
  Trilu: [0],
  Tile: [0],
  Pad: [0],
  Dropout: [0],
  BatchNormalization: [0, 1, 2],
  RNN: [0, 1, 2, 3, 5, 6, 7],
  LSTM: [0, 1, 2, 3, 5, 6, 7],
  GRU: [0, 1, 2, 3, 5, 6, 7],
};
const FLOAT_CODES = new Set([1, 10, 11, 16]);

/** The names of the values that reach a graph output through ops that carry a gradient. */
function differentiable(nodes: OnnxNode[], outputs: string[]): Set<string> {
  const live = new Set(outputs);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (!n.outputs.some((o) => live.has(o)) || NO_GRADIENT.has(n.op)) continue;
    if (n.op === 'Cast' && !FLOAT_CODES.has(attrI(n, 'to', 1))) continue;
    const carries = GRADIENT_INPUTS[n.op];
    n.inputs.forEach((name, i) => {
      if (name !== '' && (!carries || carries.includes(i))) live.add(name);
    });
  }
  return live;
}

/**
 * What an initializer becomes. A Parameter: a float tensor that reaches an output through ops
 * that carry a gradient and holds values a trained weight can hold (finite, within ±1e30, so not
 * a −∞ or finfo.min mask). A buffer (state, saved, not trained): any other non-scalar initializer
 * under a module's name (a mask, running statistics, position_ids). A graph constant: scalars,
 * exporter-made names (PyTorch's onnx::Where_45, Tessera's onnx::Constant) and int64 values
 * beyond int32.
 */
function initializerRole(name: string, value: Val, trainable: Set<string>): 'parameter' | 'buffer' | 'constant' {
  const shape = value instanceof Tensor ? value.shape : value.shape;
  if (shape.length === 0 || /(^|\.)onnx::Constant/.test(name)) return 'constant';
  const leaf = name.slice(name.lastIndexOf('.') + 1);
  if (value instanceof Tensor && value.dtype === 'float32' && trainable.has(name) && leaf !== 'running_mean' && leaf !== 'running_var') {
    const values = value.toArray();
    let weightLike = true;
    for (let k = 0; k < values.length && weightLike; k++) weightLike = Math.abs(values[k]) < 1e30;
    if (weightLike) return 'parameter';
  }
  if (name.includes('::')) return 'constant';
  if (!(value instanceof Tensor) && value.data.some((v) => v !== (v | 0))) return 'constant';
  return 'buffer';
}

/** The integer range of a quantized value: uint8 unless the zero point is int8. */
function quantRange(zeroPoint: Val | undefined, n: OnnxNode): [number, number] {
  const type = zeroPoint instanceof Tensor ? BYTE_TYPE.get(zeroPoint) : zeroPoint === undefined ? 'uint8' : undefined;
  if (type === undefined) throw new Error(`onnx model: node '${n.name}' (${n.op}) has a zero point that is neither uint8 nor int8`);
  return type === 'uint8' ? [0, 255] : [-128, 127];
}

/** A per-axis scale or zero point [C] shaped to broadcast along `axis` of an input of rank `ndim`; a scalar as it is. */
function alongAxis(v: Tensor, axis: number, ndim: number): Tensor {
  if (v.ndim === 0 || ndim === 0) return v;
  const shape = new Array<number>(ndim).fill(1);
  shape[norm(axis, ndim)] = v.numel();
  return v.reshape(shape);
}

/** The integer values of a quantized tensor (int8 or uint8, held as int32) as float32. */
const quantized = (v: Val | undefined): Tensor => asTensor(v!).to('float32');

const OPS: Record<string, Op> = {
  RNN: recurrence('RNN'),
  LSTM: recurrence('LSTM'),
  GRU: recurrence('GRU'),
  ConstantOfShape: (x, n) => {
    const shape = ints(x[0], 'ConstantOfShape shape');
    const value = n.attrs.get('value')?.t;
    const fill = value ? asTensor(value).toArray()[0] : 0;
    if (value && !(value instanceof Tensor)) return [{ host: true, shape, data: new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(fill) }];
    return [full(shape, fill, { dtype: value instanceof Tensor ? value.dtype : 'float32' })];
  },
  Range: (x) => {
    const [start, limit, delta] = [0, 1, 2].map((k) => ints(x[k], `Range ${['start', 'limit', 'delta'][k]}`)[0]);
    if (delta === 0) throw new Error('onnx model: Range with delta 0');
    const data = Array.from({ length: Math.max(Math.ceil((limit - start) / delta), 0) }, (_, i) => start + i * delta);
    if (!(x[0] instanceof Tensor)) return [{ host: true, shape: [data.length], data }];
    return [tensor(x[0].dtype === 'float32' ? Float32Array.from(data) : Int32Array.from(data), { dtype: x[0].dtype })];
  },
  Trilu: (x, n) => {
    const diagonal = x[1] ? ints(x[1], 'Trilu k')[0] : 0;
    return [attrI(n, 'upper', 1) ? triu(t0(x), diagonal) : tril(t0(x), diagonal)];
  },
  // Quantized graphs (QDQ, and onnxruntime's dynamic MatMulInteger form) run in float32 on integer
  // values: exact while a MatMulInteger's sums stay below 2²⁴. Inference only: rounding has no gradient.
  QuantizeLinear: (x, n) => {
    const t = t0(x);
    const [lo, hi] = quantRange(x[2], n);
    const axis = attrI(n, 'axis', 1);
    const scale = alongAxis(asTensor(x[1]!), axis, t.ndim);
    const zero = x[2] ? alongAxis(quantized(x[2]), axis, t.ndim) : 0;
    return [asBytes(round(t.div(scale)).add(zero).clamp(lo, hi).to('int32'), lo < 0 ? 'int8' : 'uint8')];
  },
  DequantizeLinear: (x, n) => {
    const q = quantized(x[0]);
    const axis = attrI(n, 'axis', 1);
    const centred = x[2] ? q.sub(alongAxis(quantized(x[2]), axis, q.ndim)) : q;
    return [centred.mul(alongAxis(asTensor(x[1]!), axis, q.ndim))];
  },
  DynamicQuantizeLinear: (x) => {
    const t = t0(x);
    const lo = Math.min(t.min().item(), 0);
    const hi = Math.max(t.max().item(), 0);
    const scale = Math.fround((hi - lo) / 255);
    const zero = scale === 0 ? 0 : Math.min(Math.max(roundHalfEven(-lo / scale), 0), 255);
    const q = scale === 0 ? zeros(t.shape, { dtype: 'int32' }) : round(t.div(scale)).add(zero).clamp(0, 255).to('int32');
    const byte = (v: number) => asBytes(tensor([v], { dtype: 'int32' }).reshape([]), 'uint8');
    return [asBytes(q, 'uint8'), tensor([scale], { dtype: 'float32' }).reshape([]), byte(zero)];
  },
  MatMulInteger: (x) => {
    const a = x[2] ? quantized(x[0]).sub(quantized(x[2])) : quantized(x[0]);
    const b = x[3] ? quantized(x[1]).sub(quantized(x[3])) : quantized(x[1]);
    return [round(a.matmul(b)).to('int32')];
  },
  Round: unary((a) => round(a)),
  LeakyRelu: (x, n) => [F.leakyRelu(t0(x), attrF(n, 'alpha', 0.01))],
  Elu: (x, n) => [F.elu(t0(x), attrF(n, 'alpha', 1))],
  Softplus: unary((a) => F.softplus(a)),
  HardSwish: unary((a) => F.hardswish(a)),
  // Per-(sample, channel) normalisation: group norm with one channel per group (PyTorch writes GroupNorm this way).
  InstanceNormalization: (x, n) => {
    const t = t0(x);
    return [F.groupNorm(t, t.shape[1], asTensor(x[1]!), asTensor(x[2]!), attrF(n, 'epsilon', 1e-5))];
  },
  Pad: (x, n) => {
    const t = t0(x);
    const mode = n.attrs.get('mode')?.s ?? 'constant';
    const modes: Record<string, 'constant' | 'reflect' | 'replicate' | 'circular'> = {
      constant: 'constant',
      reflect: 'reflect',
      edge: 'replicate',
      wrap: 'circular',
    };
    if (!modes[mode]) throw new Error(`onnx model: node '${n.name}' (Pad) has mode '${mode}', which Tessera's ONNX import does not support`);
    const pads = ints(x[1], 'Pad pads');
    const rank = t.ndim;
    const axes = x[3] ? ints(x[3], 'Pad axes').map((a) => norm(a, rank)) : t.shape.map((_, d) => d);
    const begin = new Array<number>(rank).fill(0);
    const end = new Array<number>(rank).fill(0);
    axes.forEach((a, i) => {
      begin[a] = pads[i];
      end[a] = pads[i + axes.length];
    });
    // F.pad's list runs from the last dim back, as far as the first padded one.
    const first = begin.findIndex((b, d) => b !== 0 || end[d] !== 0);
    if (first < 0) return [t];
    const list: number[] = [];
    for (let d = rank - 1; d >= first; d--) list.push(begin[d], end[d]);
    // ONNX ignores constant_value outside mode 'constant'; F.pad refuses one there, as PyTorch.
    const value = x[2] && modes[mode] === 'constant' ? asTensor(x[2]).item() : 0;
    return [F.pad(t, list, { mode: modes[mode], value })];
  },
  Resize: (x, n) => {
    const t = t0(x);
    const mode = n.attrs.get('mode')?.s ?? 'nearest';
    const transform = n.attrs.get('coordinate_transformation_mode')?.s ?? 'half_pixel';
    const fail = (why: string): never => {
      throw new Error(`onnx model: node '${n.name}' (Resize) ${why}, which Tessera's ONNX import does not support`);
    };
    const sizes = x[3] ? ints(x[3], 'Resize sizes') : null;
    const scales = !sizes && x[2] ? Array.from(asTensor(x[2]).toArray()) : null;
    if (!sizes && !scales) fail('has neither scales nor sizes');
    const lead = (sizes ?? scales)!.slice(0, 2);
    if (sizes ? lead.some((v, d) => v !== t.shape[d]) : lead.some((v) => v !== 1)) fail('resizes the batch or channel dim');
    let options: F.InterpolateOptions;
    if (mode === 'nearest') {
      if (transform !== 'asymmetric' || (n.attrs.get('nearest_mode')?.s ?? 'round_prefer_floor') !== 'floor')
        fail(`uses nearest mode with ${transform} coordinates (PyTorch's nearest is asymmetric with floor)`);
      options = { mode: 'nearest' };
    } else if (mode === 'linear' && t.ndim === 4 && ['half_pixel', 'pytorch_half_pixel', 'align_corners'].includes(transform)) {
      options = { mode: 'bilinear', alignCorners: transform === 'align_corners' };
    } else return fail(`uses ${mode} mode with ${transform} coordinates on a ${t.ndim}-D input`);
    return [F.interpolate(t, sizes ? { ...options, size: sizes.slice(2) } : { ...options, scaleFactor: scales!.slice(2) })];
  },
  Identity: (x) => [x[0]],
  Dropout: (x) => [x[0]],
  Constant: (_, n) => [n.attrs.get('value')?.t ?? tensor([n.attrs.get('value_float')?.f ?? 0])],
  Add: arithmetic(
    (a, b) => a.add(b),
    (a, b) => a + b,
  ),
  Sub: arithmetic(
    (a, b) => a.sub(b),
    (a, b) => a - b,
  ),
  Mul: arithmetic(
    (a, b) => a.mul(b),
    (a, b) => a * b,
  ),
  Div: arithmetic(
    (a, b) => a.div(b),
    (a, b) => Math.trunc(a / b),
  ),
  Pow: binary((a, b) => a.pow(b)),
  Max: binary((a, b) => a.maximum(b)),
  Min: binary((a, b) => a.minimum(b)),
  Equal: binary((a, b) => a.eq(b)),
  Less: binary((a, b) => a.lt(b)),
  LessOrEqual: binary((a, b) => a.le(b)),
  Greater: binary((a, b) => a.gt(b)),
  GreaterOrEqual: binary((a, b) => a.ge(b)),
  Not: unary((a) => a.eq(0)),
  Neg: unary((a) => a.neg()),
  Abs: unary((a) => a.abs()),
  Exp: unary((a) => a.exp()),
  Log: unary((a) => a.log()),
  Sqrt: unary((a) => a.sqrt()),
  Reciprocal: unary((a) => a.pow(-1)),
  Sin: unary((a) => a.sin()),
  Cos: unary((a) => a.cos()),
  Tanh: unary((a) => a.tanh()),
  Sigmoid: unary((a) => a.sigmoid()),
  Relu: unary((a) => a.relu()),
  Sign: unary((a) => a.sign()),
  Erf: unary((a) => erf(a)),
  Gelu: unary((a) => gelu(a)),
  Cast: (x, n) => {
    const to = DTYPES[attrI(n, 'to', 1)];
    const v = x[0]!;
    if (to === 'int64') return [v instanceof Tensor ? { host: true, shape: [...v.shape], data: Array.from(v.toArray()) } : v];
    const cast = asTensor(v).to((to === 'float64' ? 'float32' : to === 'bool' ? 'bool' : to === 'float32' ? 'float32' : 'int32') as never);
    return [to === 'int8' || to === 'uint8' ? asBytes(cast === v ? cast.clone() : cast, to) : cast];
  },
  Where: (x) => [where(asTensor(x[0]!), asTensor(x[1]!), asTensor(x[2]!))],
  Clip: (x) => {
    const bound = (v: Val | undefined) => (v === undefined ? null : asTensor(v).item());
    return [t0(x).clamp(bound(x[1]), bound(x[2]))];
  },
  ReduceSum: (x, n) => [t0(x).sum(reduceAxes(x, n, true), attrI(n, 'keepdims', 1) === 1)],
  ReduceMean: (x, n) => [t0(x).mean(reduceAxes(x, n, false), attrI(n, 'keepdims', 1) === 1)],
  ReduceMax: (x, n) => {
    const t = t0(x);
    const axes = reduceAxes(x, n, false);
    if (axes.length === t.ndim && attrI(n, 'keepdims', 1) === 0) return [t.max()];
    let out = t;
    for (const a of [...axes].sort((p, q) => q - p)) out = out.max(a, attrI(n, 'keepdims', 1) === 1).values;
    return [out];
  },
  ReduceMin: (x, n) => {
    const t = t0(x);
    const axes = reduceAxes(x, n, false);
    if (axes.length === t.ndim && attrI(n, 'keepdims', 1) === 0) return [t.min()];
    let out = t;
    for (const a of [...axes].sort((p, q) => q - p)) out = out.min(a, attrI(n, 'keepdims', 1) === 1).values;
    return [out];
  },
  ArgMax: (x, n) => [t0(x).argmax(attrI(n, 'axis', 0), attrI(n, 'keepdims', 1) === 1)],
  ArgMin: (x, n) => [t0(x).argmin(attrI(n, 'axis', 0), attrI(n, 'keepdims', 1) === 1)],
  Softmax: (x, n) => [t0(x).softmax(attrI(n, 'axis', -1))],
  LogSoftmax: (x, n) => [t0(x).logSoftmax(attrI(n, 'axis', -1))],
  Transpose: (x, n) => {
    const t = t0(x);
    return [
      t.permute(
        attrInts(
          n,
          'perm',
          t.shape.map((_, i) => t.ndim - 1 - i),
        ),
      ),
    ];
  },
  Reshape: (x) => {
    const v = x[0]!;
    const inShape = v instanceof Tensor ? v.shape : v.shape;
    const target = ints(x[1], 'Reshape shape').map((s, d) => (s === 0 ? inShape[d] : s));
    if (!(v instanceof Tensor)) {
      const known = target.reduce((p, s) => (s === -1 ? p : p * s), 1);
      return [{ host: true, shape: target.map((s) => (s === -1 ? v.data.length / known : s)), data: v.data }];
    }
    return [v.reshape(target)];
  },
  Flatten: (x, n) => {
    const t = t0(x);
    const axis = norm(attrI(n, 'axis', 1), t.ndim);
    return [t.reshape([t.shape.slice(0, axis).reduce((a, b) => a * b, 1), -1])];
  },
  Squeeze: (x, n) => {
    const t = t0(x);
    const axes = (
      x[1]
        ? ints(x[1], 'axes')
        : attrInts(
            n,
            'axes',
            t.shape.flatMap((s, i) => (s === 1 ? [i] : [])),
          )
    ).map((a) => norm(a, t.ndim));
    return [t.reshape(t.shape.filter((_, i) => !axes.includes(i)))];
  },
  Unsqueeze: (x, n) => {
    const v = x[0]!;
    const shape = [...(v instanceof Tensor ? v.shape : v.shape)];
    const axes = (x[1] ? ints(x[1], 'axes') : attrInts(n, 'axes', [])).map((a) =>
      norm(a, shape.length + (x[1] ? ints(x[1], 'axes').length : attrInts(n, 'axes', []).length)),
    );
    for (const a of [...axes].sort((p, q) => p - q)) shape.splice(a, 0, 1);
    return [v instanceof Tensor ? v.reshape(shape) : { host: true, shape, data: v.data }];
  },
  Shape: (x, n) => {
    const v = x[0]!;
    const shape = v instanceof Tensor ? [...v.shape] : v.shape;
    const start = norm(attrI(n, 'start', 0), shape.length);
    const end = n.attrs.has('end') ? norm(attrI(n, 'end', 0), shape.length) : shape.length;
    const data = shape.slice(start, end);
    return [{ host: true, shape: [data.length], data }];
  },
  Expand: (x) => {
    const t = t0(x);
    const target = ints(x[1], 'Expand shape');
    const rank = Math.max(t.ndim, target.length);
    const full = Array.from({ length: rank }, (_, i) => {
      const own = t.shape[i - (rank - t.ndim)] ?? 1;
      const want = target[i - (rank - target.length)] ?? 1;
      return want === 1 ? own : want;
    });
    return [t.expand(full)];
  },
  Slice: (x) => {
    let t = t0(x);
    const starts = ints(x[1], 'starts');
    const ends = ints(x[2], 'ends');
    const axes = x[3] ? ints(x[3], 'axes') : starts.map((_, i) => i);
    const steps = x[4] ? ints(x[4], 'steps') : starts.map(() => 1);
    axes.forEach((a, i) => {
      if (steps[i] === 0) throw new Error('onnx model: Slice with step 0');
      const d = norm(a, t.ndim);
      const size = t.shape[d];
      if (steps[i] > 0) {
        t = t.slice(d, Math.max(starts[i], -size - 1), Math.min(ends[i], size), steps[i]);
        return;
      }
      // A backward slice (PyTorch reverses its pad list this way) is a forward one over the flipped dim: ONNX clamps start to [0, size−1], end to [−1, size−1].
      const clampTo = (v: number, lo: number) => Math.min(Math.max(v < 0 ? v + size : v, lo), size - 1);
      const [start, end] = [clampTo(starts[i], 0), ends[i] < -size ? -1 : clampTo(ends[i], -1)];
      t = flip(t, d).slice(d, size - 1 - start, size - 1 - end, -steps[i]);
    });
    return [t];
  },
  Gather: (x, n) => {
    const v = x[0]!;
    const idx = x[1]!;
    const axis = attrI(n, 'axis', 0);
    if (!(v instanceof Tensor)) {
      const picks = ints(idx, 'Gather indices').map((i) => v.data[i < 0 ? i + v.data.length : i]);
      return [{ host: true, shape: idx instanceof Tensor ? [...idx.shape] : idx.shape, data: picks }];
    }
    const d = norm(axis, v.ndim);
    const idxShape = idx instanceof Tensor ? [...idx.shape] : idx.shape;
    // Tensor indices (token ids) stay tensors, so a traced re-export reads them from the input rather than as constants.
    const flat =
      idx instanceof Tensor && !ints(idx, 'Gather indices').some((i) => i < 0)
        ? idx.to('int32').reshape([-1])
        : tensor(
            Int32Array.from(ints(idx, 'Gather indices'), (i) => (i < 0 ? i + v.shape[d] : i)),
            { dtype: 'int32' },
          );
    const picked = indexSelect(v, d, flat);
    return [picked.reshape([...v.shape.slice(0, d), ...idxShape, ...v.shape.slice(d + 1)])];
  },
  Split: (x, n) => {
    const t = t0(x);
    const axis = norm(attrI(n, 'axis', 0), t.ndim);
    const count = n.outputs.length;
    const sizes = x[1] ? ints(x[1], 'Split split') : attrInts(n, 'split', []);
    // Without sizes, equal parts (the last one smaller when the dim does not divide evenly).
    const parts =
      sizes.length > 0
        ? sizes
        : Array.from({ length: count }, (_, k) => Math.min(Math.ceil(t.shape[axis] / count), t.shape[axis] - k * Math.ceil(t.shape[axis] / count)));
    let at = 0;
    return parts.map((size) => {
      const part = t.narrow(axis, at, size);
      at += size;
      return part;
    });
  },
  GatherElements: (x, n) => [gather(t0(x), attrI(n, 'axis', 0), asTensor(x[1]!))],
  Concat: (x, n) => {
    const axis = attrI(n, 'axis', 0);
    if (x.every((v) => v !== undefined && !(v instanceof Tensor)))
      return [{ host: true, shape: [x.reduce((s, v) => s + (v as Host).data.length, 0)], data: x.flatMap((v) => (v as Host).data) }];
    const ts = x.map((v) => asTensor(v!));
    return [cat(ts, norm(axis, ts[0].ndim))];
  },
  Gemm: (x, n) => {
    let a = t0(x);
    let b = asTensor(x[1]!);
    if (attrI(n, 'transA', 0)) a = a.transpose(0, 1);
    const alpha = attrF(n, 'alpha', 1);
    const beta = attrF(n, 'beta', 1);
    let y = attrI(n, 'transB', 0) && alpha === 1 ? F.linear(a, b) : a.matmul(attrI(n, 'transB', 0) ? (b = b.transpose(0, 1)) : b);
    if (alpha !== 1) y = y.mul(alpha);
    if (x[2]) y = y.add(beta === 1 ? asTensor(x[2]) : asTensor(x[2]).mul(beta));
    return [y];
  },
  MatMul: binary((a, b) => a.matmul(b)),
  Conv: (x, n) => {
    const w = asTensor(x[1]!);
    const pads = attrInts(n, 'pads', [0, 0, 0, 0]);
    const autoPad = n.attrs.get('auto_pad')?.s ?? 'NOTSET';
    if (w.ndim !== 4) throw new Error(`onnx model: node '${n.name}' is a ${w.ndim - 2}-D Conv; Tessera has Conv2d only`);
    let padding: [number, number] | 'same' | 'valid' = [pads[0], pads[1]];
    if (autoPad === 'SAME_UPPER') padding = 'same';
    else if (autoPad === 'VALID') padding = 'valid';
    else if (pads[0] !== pads[2] || pads[1] !== pads[3]) {
      // Tessera's 'same' pads the extra row and column at the end, as ONNX's asymmetric pads here do.
      if (pads[2] - pads[0] === 1 || pads[3] - pads[1] === 1) padding = 'same';
      else throw new Error(`onnx model: node '${n.name}' (Conv) pads ${pads}, which Tessera's conv2d cannot express`);
    }
    return [
      conv2d(t0(x), w, x[2] ? asTensor(x[2]) : null, {
        stride: attrInts(n, 'strides', [1, 1]) as [number, number],
        padding,
        dilation: attrInts(n, 'dilations', [1, 1]) as [number, number],
        groups: attrI(n, 'group', 1),
      }),
    ];
  },
  MaxPool: (x, n) => [
    maxPool2d(t0(x), {
      kernelSize: attrInts(n, 'kernel_shape', []) as [number, number],
      stride: attrInts(n, 'strides', [1, 1]) as [number, number],
      padding: poolPads(n),
      dilation: attrInts(n, 'dilations', [1, 1]) as [number, number],
      ceilMode: attrI(n, 'ceil_mode', 0) === 1,
    }),
  ],
  AveragePool: (x, n) => [
    avgPool2d(t0(x), {
      kernelSize: attrInts(n, 'kernel_shape', []) as [number, number],
      stride: attrInts(n, 'strides', [1, 1]) as [number, number],
      padding: poolPads(n),
      ceilMode: attrI(n, 'ceil_mode', 0) === 1,
      countIncludePad: attrI(n, 'count_include_pad', 0) === 1,
    }),
  ],
  GlobalAveragePool: (x) => [adaptiveAvgPool2d(t0(x), 1)],
  BatchNormalization: (x, n) => {
    const t = t0(x);
    const [scale, bias, mean, variance] = x.slice(1, 5).map((v) => asTensor(v!));
    return [F.batchNorm(t, mean, variance, { weight: scale, bias, training: false, eps: attrF(n, 'epsilon', 1e-5) })];
  },
  LayerNormalization: (x, n) => {
    const t = t0(x);
    const axis = norm(attrI(n, 'axis', -1), t.ndim);
    return [F.layerNorm(t, t.shape.slice(axis), x[1] ? asTensor(x[1]) : null, x[2] ? asTensor(x[2]) : null, attrF(n, 'epsilon', 1e-5))];
  },
};

/** Reads an ONNX model (bytes, or a file path in Node) as a trainable Module; `onnx.load`. */
export function loadModel<Out extends Tensor | Tensor[] = Tensor>(bytes: Uint8Array | ArrayBuffer): OnnxModule<Out> {
  const data = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(data instanceof Uint8Array)) throw new TypeError('onnx.load: expected the model as a Uint8Array or ArrayBuffer (use loadFile for a path)');
  // A Node Buffer's slice() shares memory instead of copying, which the tensor decoding relies on: view it as a plain Uint8Array.
  return new OnnxModule<Out>(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** Reads an ONNX file from a path (Node only). */
export async function loadFile<Out extends Tensor | Tensor[] = Tensor>(path: string): Promise<OnnxModule<Out>> {
  if (typeof path !== 'string' || path === '') throw new TypeError(`onnx.loadFile: path must be a non-empty string (got ${show(path)})`);
  const { readFile } = await nodeFs('onnx.loadFile');
  return loadModel<Out>(new Uint8Array(await readFile(path)));
}
