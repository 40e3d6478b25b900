/** Shape arithmetic shared by every op: sizes, strides, broadcasting, dim normalisation. */

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Resolves a possibly negative dim against `ndim`, with an error naming the op. */
export function normDim(op: string, dim: number, ndim: number): number {
  const lo = -Math.max(ndim, 1);
  const hi = Math.max(ndim, 1) - 1;
  if (typeof dim !== 'number' || !Number.isInteger(dim)) {
    const got = typeof dim === 'string' ? `"${dim}"` : String(dim);
    throw new (typeof dim === 'number' ? RangeError : TypeError)(
      `${op}: dim must be an integer from ${lo} to ${hi} for a tensor with ${ndim} dimension(s) (got ${got})`,
    );
  }
  if (dim < lo || dim > hi) {
    throw new RangeError(`${op}: dim ${dim} is out of range for a tensor with ${ndim} dimension(s) (expected ${lo}..${hi})`);
  }
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

/** The broadcast shape of several shapes, as NumPy and PyTorch define it. */
export function broadcastShapes(op: string, ...shapes: (readonly number[])[]): number[] {
  if (shapes.length === 2 && sameShape(shapes[0], shapes[1])) return [...shapes[0]];
  const ndim = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(ndim).fill(1);
  for (const shape of shapes) {
    for (let i = 0; i < shape.length; i++) {
      const j = ndim - shape.length + i;
      const s = shape[i];
      if (out[j] === 1) out[j] = s;
      else if (s !== 1 && s !== out[j]) {
        throw new RangeError(`${op}: shapes ${shapes.map(fmtShape).join(' and ')} cannot be broadcast together (dimension ${j}: ${out[j]} vs ${s})`);
      }
    }
  }
  return out;
}

/** Strides that read a tensor of `shape`/`strides` as if it had `target` shape (0 on broadcast dims). */
export function broadcastStrides(shape: readonly number[], strides: readonly number[], target: readonly number[]): number[] {
  const out = new Array<number>(target.length).fill(0);
  const lead = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[lead + i] = shape[i] === 1 && target[lead + i] !== 1 ? 0 : strides[i];
  return out;
}

export function checkShape(op: string, shape: readonly number[]): number[] {
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) throw new RangeError(`${op}: invalid shape ${fmtShape(shape)} (sizes must be non-negative integers)`);
  }
  return [...shape];
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/**
 * Calls `body(i, offsets)` for every element of `shape` in row-major order, where offsets[j] is
 * the element offset of operand j. Counter-based, so it allocates once per call, not per element.
 */
export function forEachStrided(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  starts: readonly number[],
  body: (i: number, offsets: number[]) => void,
): void {
  const ndim = shape.length;
  let total = 1;
  for (const s of shape) total *= s;
  if (total === 0) return;
  const offsets = [...starts];
  const index = new Array<number>(ndim).fill(0);
  for (let i = 0; i < total; i++) {
    body(i, offsets);
    for (let d = ndim - 1; d >= 0; d--) {
      index[d]++;
      for (let j = 0; j < offsets.length; j++) offsets[j] += strides[j][d];
      if (index[d] < shape[d]) break;
      for (let j = 0; j < offsets.length; j++) offsets[j] -= strides[j][d] * shape[d];
      index[d] = 0;
    }
  }
}
