/**
 * How argument checks name the value they got, and the check for function arguments. A leaf
 * module (it imports nothing), so low-level modules such as memory.ts can use it without the
 * import cycle validate.ts → tensor.ts → memory.ts.
 */

/** A value as an error message shows it: numbers and strings verbatim, objects by their kind. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return v.length <= 8 ? `[${v.map(show).join(', ')}]` : `an array of length ${v.length}`;
  if (typeof v === 'function') return `a function${v.name ? ` (${v.name})` : ''}`;
  const name = (v as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

/** A function argument (a callback such as tidy's body or a transform). */
export function func<F extends Function>(fn: string, arg: string, v: F): F {
  if (typeof v !== 'function') throw new TypeError(`${fn}: ${arg} must be a function (got ${show(v)})`);
  return v;
}
