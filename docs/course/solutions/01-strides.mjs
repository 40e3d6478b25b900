// Reference solution of exercise 1 (docs/course/01-tensors.md).

export function broadcastShape(a, b) {
  const n = Math.max(a.length, b.length);
  const out = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new RangeError(`shapes [${a}] and [${b}] do not broadcast (dimension ${i}: ${x} vs ${y})`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

export function readStrided(storage, shape, strides, offset) {
  if (shape.length === 0) return storage[offset];
  const [size, ...restShape] = shape;
  const [stride, ...restStrides] = strides;
  return Array.from({ length: size }, (_, i) => readStrided(storage, restShape, restStrides, offset + i * stride));
}
