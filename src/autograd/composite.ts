/**
 * Composite ops: an op written as an expression over other ops. The helper owns the lifetimes of
 * what the expression makes, so an op author writes math only (docs/memory.md).
 */
import { addDependent, collectCreated, release, releaseWithGraph, tensorsIn } from '../memory.js';

/**
 * Runs `fn` and keeps only what it returns (tensors in arrays and plain objects too). Every other
 * tensor it made is freed now, or, when the result carries a graph whose backward may still read
 * it, freed together with that graph. Returned graph tensors are settled together.
 * @example const y = composite('silu', () => x.mul(x.sigmoid()));
 */
export function composite<T>(name: string, fn: () => T): T {
  const { result, created } = collectCreated(fn);
  // The common cases, an op that made nothing or only the tensor it returns: nothing to free or tie together.
  if (created.length === 0 || (created.length === 1 && created[0] === result)) return result;
  const returned = tensorsIn(result);
  const graphOwner = returned.find((t) => t.gradFn !== null) ?? null;
  // Several graph outputs (an LSTM's output, hN and cN) are released together: a loss built from
  // any one of them releases the others, which would otherwise outlive the step unused.
  const outputs = returned.filter((t) => t.gradFn !== null && created.includes(t));
  for (const a of outputs) for (const b of outputs) if (a !== b) addDependent(a, b);
  for (const t of created) {
    if (returned.includes(t) || t.kept || t.releasedBecause !== null) continue;
    // Internal graph nodes go with the outputs too: those only an unused output reaches (the
    // views inside hN's stack) are never backpropagated, so graph release alone would miss them.
    if (graphOwner) releaseWithGraph(graphOwner, t);
    else release(t, `an internal temporary of ${name} was consumed`);
  }
  return result;
}
