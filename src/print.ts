/**
 * Tensor printing as PyTorch's repr (torch/_tensor_str.py): 4 decimals, or integers with a
 * trailing '.', or scientific notation when magnitudes span more than 1000×; right-aligned columns;
 * rows wrapped at 80 characters; past 1,000 elements only the first and last 3 of each dim, with
 * '...'. The suffixes name what is not the default (dtype, device, gradFn, requiresGrad).
 */
import type { DType } from './dtype.js';

/** PyTorch's print options: precision, threshold, edge items, line width. */
const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;

/** What the printer needs to know about a tensor: its values in row-major order, and the suffixes. */
export interface PrintableTensor {
  shape: readonly number[];
  dtype: DType;
  data: ArrayLike<number>;
  suffixes: string[];
}

type Value = number | boolean;

/** Formats values of one tensor to a common width, as PyTorch's _Formatter. */
class Formatter {
  readonly #float: boolean;
  #intMode = true;
  #sciMode = false;
  #width = 1;

  constructor(dtype: DType, values: Value[]) {
    this.#float = dtype === 'float32' || dtype === 'float64';
    if (!this.#float) {
      for (const v of values) this.#width = Math.max(this.#width, String(v).length);
      return;
    }
    const finite = (values as number[]).filter((v) => Number.isFinite(v) && v !== 0).map(Math.abs);
    if (finite.length === 0) {
      for (const v of values) this.#width = Math.max(this.#width, this.format(v as number).length);
      return;
    }
    // Loops, not Math.min(...finite): a spread of a few hundred thousand values overflows the stack.
    let min = Infinity;
    let max = 0;
    for (const v of finite) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    this.#intMode = finite.every((v) => Number.isInteger(v));
    this.#sciMode = max / min > 1000 || max > 1e8 || (!this.#intMode && min < 1e-4);
    for (const v of values) this.#width = Math.max(this.#width, this.format(v as number).length);
  }

  get width(): number {
    return this.#width;
  }

  /** One value, unpadded. */
  format(v: Value): string {
    if (typeof v === 'boolean' || !this.#float) return String(v);
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    if (this.#sciMode) return v.toExponential(PRECISION).replace(/e([+-])(\d)$/, 'e$10$2');
    if (this.#intMode) return `${v.toFixed(0)}.`;
    return v.toFixed(PRECISION);
  }

  /** One value, right-aligned to the common width. */
  pad(v: Value): string {
    return this.format(v).padStart(this.#width);
  }
}

/** Prints the values of one tensor, keeping only the edge items of long dims when summarising. */
class Printer {
  readonly #shape: readonly number[];
  readonly #data: ArrayLike<number>;
  readonly #bool: boolean;
  readonly #summarize: boolean;
  readonly #strides: number[];
  readonly #f: Formatter;

  constructor(shape: readonly number[], dtype: DType, data: ArrayLike<number>, summarize: boolean) {
    this.#shape = shape;
    this.#data = data;
    this.#bool = dtype === 'bool';
    this.#summarize = summarize;
    this.#strides = shape.map((_, i) => shape.slice(i + 1).reduce((n, s) => n * s, 1));
    const shown: Value[] = [];
    this.#visit((v) => shown.push(v));
    this.#f = new Formatter(dtype, shown);
  }

  #value(i: number): Value {
    return this.#bool ? this.#data[i] !== 0 : this.#data[i];
  }

  /** The indices shown along `dim`, with -1 where '...' stands. */
  #indices(dim: number): number[] {
    const n = this.#shape[dim];
    const all = Array.from({ length: n }, (_, i) => i);
    if (!this.#summarize || n <= 2 * EDGE_ITEMS) return all;
    return [...all.slice(0, EDGE_ITEMS), -1, ...all.slice(n - EDGE_ITEMS)];
  }

  /** Calls fn on each shown value in order; a loop, not recursion, so thousands of dims cannot overflow the stack. */
  #visit(fn: (v: Value) => void): void {
    const rank = this.#shape.length;
    if (rank === 0) return fn(this.#value(0));
    const lists = this.#shape.map((_, d) => this.#indices(d).filter((i) => i >= 0));
    if (lists.some((l) => l.length === 0)) return;
    const pos = new Array<number>(rank).fill(0);
    for (;;) {
      let offset = 0;
      for (let d = 0; d < rank; d++) offset += lists[d][pos[d]] * this.#strides[d];
      fn(this.#value(offset));
      let d = rank - 1;
      while (d >= 0 && ++pos[d] === lists[d].length) pos[d--] = 0;
      if (d < 0) return;
    }
  }

  scalar(): string {
    return this.#f.format(this.#value(0));
  }

  /** The tensor from `dim` on, starting at `offset`, printed at column `indent`; an explicit stack, not recursion (see #visit). */
  nested(dim: number, offset: number, indent: number): string {
    interface Frame {
      dim: number;
      offset: number;
      indent: number;
      indices: number[];
      next: number;
      parts: string[];
    }
    const frame = (d: number, o: number, ind: number): Frame => ({ dim: d, offset: o, indent: ind, indices: this.#indices(d), next: 0, parts: [] });
    const stack = [frame(dim, offset, indent)];
    for (;;) {
      const top = stack[stack.length - 1];
      let text: string | null = null;
      if (top.dim === this.#shape.length - 1) text = this.#row(top.offset, top.indent, top.indices);
      else if (top.next < top.indices.length) {
        const i = top.indices[top.next++];
        if (i < 0) top.parts.push('...');
        else stack.push(frame(top.dim + 1, top.offset + i * this.#strides[top.dim], top.indent + 1));
      } else {
        const rank = this.#shape.length - top.dim;
        text = `[${top.parts.join(`,${'\n'.repeat(rank - 1)}${' '.repeat(top.indent + 1)}`)}]`;
      }
      if (text === null) continue;
      stack.pop();
      if (stack.length === 0) return text;
      stack[stack.length - 1].parts.push(text);
    }
  }

  /** The last dim at `offset`, wrapped at the line width. */
  #row(offset: number, indent: number, indices: number[]): string {
    const f = this.#f;
    const step = this.#strides[this.#shape.length - 1];
    const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / (f.width + 2)));
    const items = indices.map((i) => (i < 0 ? ' ...' : f.pad(this.#value(offset + i * step))));
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
    return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
  }
}

/**
 * `tensor([[ 0.1000, -1.2000], …], requiresGrad=true)`, as PyTorch prints it.
 * @example formatTensor({ shape: [2], dtype: 'float32', data: [1, 2.5], suffixes: [] }) // 'tensor([1.0000, 2.5000])'
 */
export function formatTensor({ shape, dtype, data, suffixes }: PrintableTensor): string {
  const prefix = 'tensor(';
  const count = shape.reduce((n, s) => n * s, 1);
  const summarize = count > THRESHOLD;
  const extra = [...suffixes];
  let body: string;
  if (count === 0) {
    body = '[]';
    if (shape.length !== 1) extra.unshift(`size=[${shape.join(', ')}]`);
  } else {
    const printer = new Printer(shape, dtype, data, summarize);
    body = shape.length === 0 ? printer.scalar() : printer.nested(0, 0, prefix.length);
  }
  let out = prefix + body;
  for (const s of extra) {
    const lastLine = out.slice(out.lastIndexOf('\n') + 1);
    out += lastLine.length + s.length + 2 > LINE_WIDTH ? `,\n${' '.repeat(prefix.length)}${s}` : `, ${s}`;
  }
  return `${out})`;
}
