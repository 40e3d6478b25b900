/**
 * `summary(model, inputShape)`: a Keras-like table of a model's layers, found by running one
 * forward pass under noGrad with forward hooks on every sub-module (as torchinfo does), so the
 * output shapes are the ones the model really produces.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { zeros } from '../creation.js';
import type { DType } from '../dtype.js';
import { bytesPerElement } from '../dtype.js';
import { tidy } from '../memory.js';
import { Tensor } from '../tensor.js';
import { options as checkOptions } from '../validate.js';
import type { AnyModule } from './module.js';
import type { RemovableHandle } from './hooks.js';

/** Options of `summary`. */
export interface SummaryOptions {
  /** The dtype of the zero inputs made from shapes (default float32; int32 for token ids). */
  dtype?: DType;
  /** How many levels of sub-modules to list (default: all). */
  depth?: number;
}

/** One row of a summary: a sub-module, what it output and the parameters it owns. */
export interface SummaryRow {
  /** The module's dotted name (`layer1.0.conv1`). */
  name: string;
  /** Its class name. */
  type: string;
  /** Nesting level, 1 for the model's children. */
  depth: number;
  /** The shape of each tensor it returned on its first call, or null when it was not called. */
  outputShapes: number[][] | null;
  /** Parameters it owns directly (not its children's). */
  params: number;
  /** Whether those parameters require grad: all, none or some ('partly'); null without parameters. */
  trainable: boolean | 'partly' | null;
}

/** What `summary` returns: the rows and totals; printing it (or `toString()`) gives the table. */
export interface ModelSummary {
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  /** Bytes of parameters and of buffers (BatchNorm's running statistics, …). */
  paramBytes: number;
  bufferBytes: number;
  /** Bytes of the inputs and of every listed module's outputs in one forward pass. */
  inputBytes: number;
  activationBytes: number;
  toString(): string;
}

/**
 * Runs `model` once on zeros of `inputShape` (batch dim included; an array of shapes or tensors for
 * several inputs) and returns a table of its layers: output shape, parameters, trainable, totals and
 * memory. The forward runs in eval mode (BatchNorm's statistics stay as they were); each module's
 * mode is restored after.
 * @example console.log(summary(model, [1, 3, 32, 32]));
 */
export function summary(model: AnyModule, input: number[] | Tensor | (number[] | Tensor)[], options: SummaryOptions = {}): ModelSummary {
  if (typeof model !== 'function' || typeof (model as { namedModules?: unknown }).namedModules !== 'function')
    throw new TypeError(`summary: the first argument must be an nn.Module, got ${model === null ? 'null' : typeof model}`);
  const { dtype = 'float32', depth = Infinity } = checkOptions('summary', options, ['dtype', 'depth']);
  const inputs = inputList(input);
  const outputs = new Map<AnyModule, number[][]>();
  const outputBytes = new Map<AnyModule, number>();
  // A model without sub-modules (one LSTM) is its own only row.
  const modules: [string, AnyModule][] = model.children().length > 0 ? model.namedModules().slice(1) : [['', model]];
  const handles: RemovableHandle[] = modules.map(([, m]) =>
    m.registerForwardHook((mod: AnyModule, _args: unknown, out: unknown) => {
      if (outputs.has(mod)) return;
      const tensors = tensorsIn(out);
      outputs.set(
        mod,
        tensors.map((t) => [...t.shape]),
      );
      outputBytes.set(
        mod,
        tensors.reduce((n, t) => n + t.numel() * bytesPerElement(t.dtype), 0),
      );
    }),
  );
  const made = inputs.map((i) => (i instanceof Tensor ? i : zeros(i, { dtype })));
  // In eval mode, so BatchNorm's running statistics are not updated by the zeros; modes are restored after.
  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  try {
    // The outputs are read by the hooks above only: the pass frees everything it made.
    noGrad(() => tidy(() => void model(...made)));
  } finally {
    for (const h of handles) h.remove();
    for (const [m, training] of modes) m.training = training;
    made.forEach((t, i) => {
      if (t !== inputs[i]) t.dispose();
    });
  }
  const childParams = (m: AnyModule) => new Set(m.children().flatMap((c) => c.parameters()));
  const rows: SummaryRow[] = modules
    .map(([name, m]) => {
      const inChildren = childParams(m);
      const own = m.parameters().filter((p) => !inChildren.has(p));
      const trainableCount = own.filter((p) => p.requiresGrad).length;
      return {
        name,
        type: m.constructor.name,
        depth: Math.max(1, name.split('.').length),
        outputShapes: outputs.get(m) ?? null,
        params: own.reduce((n, p) => n + p.numel(), 0),
        trainable: own.length === 0 ? null : trainableCount === own.length ? true : trainableCount === 0 ? false : 'partly',
      } satisfies SummaryRow;
    })
    .filter((r) => r.depth <= depth);
  const params = model.parameters();
  const bytes = (ts: Tensor[]) => ts.reduce((n, t) => n + t.numel() * bytesPerElement(t.dtype), 0);
  const result = {
    rows,
    totalParams: params.reduce((n, p) => n + p.numel(), 0),
    trainableParams: params.filter((p) => p.requiresGrad).reduce((n, p) => n + p.numel(), 0),
    paramBytes: bytes(params),
    bufferBytes: bytes(model.buffers()),
    inputBytes: bytes(made),
    activationBytes: modules.reduce((n, [, m]) => n + (outputBytes.get(m) ?? 0), 0),
    toString: () => table(model, result),
    [Symbol.for('nodejs.util.inspect.custom')]: () => table(model, result),
  };
  return result;
}

function inputList(input: unknown): (number[] | Tensor)[] {
  const isShape = (v: unknown): v is number[] => Array.isArray(v) && v.every((s) => Number.isInteger(s) && s >= 0);
  if (input instanceof Tensor || isShape(input)) return [input];
  if (Array.isArray(input) && input.length > 0 && input.every((v) => v instanceof Tensor || isShape(v))) return input;
  throw new TypeError(
    `summary: expected the input shape (with the batch dim, e.g. [1, 3, 32, 32]), a tensor, or an array of them for several inputs; got ${JSON.stringify(input)}`,
  );
}

/** Every tensor in a forward's result (a tensor, or arrays/objects of them, e.g. an LSTM's `[out, [h, c]]`). */
function tensorsIn(out: unknown): Tensor[] {
  if (out instanceof Tensor) return [out];
  if (Array.isArray(out)) return out.flatMap(tensorsIn);
  if (out !== null && typeof out === 'object') return Object.values(out).flatMap(tensorsIn);
  return [];
}

const count = (n: number) => n.toLocaleString('en-US');

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(2)} KB`;
  return `${(bytes / 1024 ** 2).toFixed(2)} MB`;
}

function table(model: AnyModule, s: ModelSummary): string {
  const header = ['Layer (type)', 'Output shape', 'Param #', 'Trainable'];
  const cells = s.rows.map((r) => [
    `${'  '.repeat(r.depth - 1)}${r.name ? `${r.name.split('.').at(-1)} ` : ''}(${r.type})`,
    r.outputShapes === null ? '--' : r.outputShapes.map((shape) => `[${shape.join(', ')}]`).join(', '),
    r.params === 0 ? '--' : count(r.params),
    r.trainable === null ? '--' : r.trainable === 'partly' ? 'partly' : r.trainable ? 'yes' : 'no',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i === 2 ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('   ')
      .trimEnd();
  const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b, 0) + 3 * (widths.length - 1));
  return [
    `${model.constructor.name} summary`,
    rule('='),
    line(header),
    rule('='),
    ...cells.map(line),
    rule('='),
    `Total params: ${count(s.totalParams)}`,
    `Trainable params: ${count(s.trainableParams)}`,
    `Non-trainable params: ${count(s.totalParams - s.trainableParams)}`,
    rule('-'),
    `Input size: ${size(s.inputBytes)}`,
    `Forward pass outputs: ${size(s.activationBytes)}`,
    `Params size: ${size(s.paramBytes)}`,
    `Buffers size: ${size(s.bufferBytes)}`,
    `Estimated total: ${size(s.inputBytes + s.activationBytes + s.paramBytes + s.bufferBytes)}`,
    rule('='),
  ].join('\n');
}
