/**
 * Composite ops: an op written as an expression over other ops. The helper owns the lifetimes of
 * what the expression makes, so an op author writes math only (docs/memory.md).
 */
import { collectCreated, release } from '../memory.js';

/**
 * Runs `fn` and keeps only what it returns (tensors in arrays and plain objects too). Every other
 * tensor it made is freed now, or, when the result carries a graph whose backward may still read
 * it, freed together with that graph.
 * @example const y = composite('silu', () => x.mul(x.sigmoid()));
 */
export function composite<T>(name: string, fn: () => T): T {
  const { result, created, returned } = collectCreated(fn);
  const graphOwner = returned.find((t) => t.gradFn !== null) ?? null;
  for (const t of created) {
    if (returned.includes(t) || t.gradFn || t.kept || t.releasedBecause !== null) continue;
    if (graphOwner) graphOwner.dependents.push(t);
    else release(t, `an internal temporary of ${name} was consumed`);
  }
  return result;
}
