/** Element-by-element comparisons whose errors name the first element that differs. */
import type { Tensor } from '../src/index.js';

/** |got − want| ≤ atol + rtol·|want| elementwise. */
export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

type Values = ArrayLike<number> | Tensor;

function valuesOf(x: Values): ArrayLike<number> {
  return 'toArray' in x ? x.toArray() : x;
}

/** Throws naming the first element where got and want differ by more than tol (NaN matches NaN). */
export function assertClose(what: string, got: Values, want: Values, tol: Tolerance): void {
  const g = valuesOf(got);
  const w = valuesOf(want);
  if (g.length !== w.length) throw new Error(`${what}: got ${g.length} elements, expected ${w.length}`);
  for (let i = 0; i < w.length; i++) {
    const ok = Math.abs(g[i] - w[i]) <= tol.atol + tol.rtol * Math.abs(w[i]) || (Number.isNaN(g[i]) && Number.isNaN(w[i]));
    if (!ok) throw new Error(`${what}, element ${i}: got ${g[i]}, expected ${w[i]} (|Δ| ${Math.abs(g[i] - w[i])})`);
  }
}

/** Throws unless got and want hold the same bits element by element (Object.is: -0 ≠ 0, NaN = NaN). */
export function assertBitwise(what: string, got: Values, want: Values): void {
  const g = valuesOf(got);
  const w = valuesOf(want);
  if (g.length !== w.length) throw new Error(`${what}: got ${g.length} elements, expected ${w.length}`);
  for (let i = 0; i < w.length; i++) {
    if (!Object.is(g[i], w[i])) throw new Error(`${what}, element ${i}: got ${g[i]}, expected ${w[i]}`);
  }
}
