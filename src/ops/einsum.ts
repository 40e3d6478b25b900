/**
 * einsum: Einstein summation over labelled dims, as torch.einsum. Operands are contracted left to
 * right, each pair as one batched matmul ([batch, m, k]·[batch, k, n]); a label repeated within
 * one operand takes its diagonal, and a label no later operand or the output needs is summed as
 * soon as possible. Everything is a composite of tensor ops, so autograd derives the backward.
 */
import { composite } from '../autograd/composite.js';
import { eye } from '../creation.js';
import { fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { mul } from './elementwise.js';
import { matmul } from './linalg.js';
import { sum } from './reduce.js';
import { expand, permute, reshape } from './shape.js';

/** A tensor and the label of each of its dims. */
interface Labelled {
  t: Tensor;
  labels: string[];
}

const ELLIPSIS_LABELS = '0123456789';

/** Splits one operand's subscripts into labels, expanding '...' to the dims it covers (aligned right). */
function parseTerm(term: string, ndim: number | null, ellipsisDims: number, where: string): string[] {
  const parts = term.split('...');
  if (parts.length > 2) throw new SyntaxError(`einsum: ${where} has more than one '...'`);
  for (const c of parts.join('')) {
    if (!/[a-zA-Z]/.test(c)) throw new SyntaxError(`einsum: ${where} has the character '${c}'; subscripts are letters a-z and A-Z (and '...')`);
  }
  if (parts.length === 1) {
    if (ndim !== null && term.length !== ndim) throw new RangeError(`einsum: ${where} '${term}' names ${term.length} dims but the operand has ${ndim}`);
    return [...term];
  }
  const named = parts[0].length + parts[1].length;
  const covered = ndim === null ? ellipsisDims : ndim - named;
  if (covered < 0) throw new RangeError(`einsum: ${where} '${term}' names ${named} dims but the operand has only ${ndim}`);
  const ell = [...ELLIPSIS_LABELS.slice(ellipsisDims - covered, ellipsisDims)];
  return [...parts[0], ...ell, ...parts[1]];
}

/**
 * Sums over labelled dims of many operands, e.g. 'ij,jk->ik' (matmul), 'bhqd,bhkd->bhqk'
 * (attention scores), 'ii->i' (diagonal), 'i,j->ij' (outer product), '...ij->...ji'. Without
 * '->', the output is every label used once, in alphabetical order.
 * @example einsum('ij,jk->ik', a, b)
 */
export function einsum(equation: string, ...operands: (Tensor | Tensor[])[]): Tensor {
  if (typeof equation !== 'string') throw new TypeError(`einsum: equation must be a string (got ${typeof equation})`);
  const tensors = operands.length === 1 && Array.isArray(operands[0]) ? operands[0] : (operands as Tensor[]);
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`einsum: operand ${i} must be a Tensor`);
    t.check('einsum');
  });
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs, extra] = eq.split('->');
  if (extra !== undefined) throw new SyntaxError(`einsum: equation '${equation}' has more than one '->'`);
  const terms = lhs.split(',');
  if (terms.length !== tensors.length)
    throw new RangeError(
      `einsum: equation '${equation}' has ${terms.length} operand${terms.length === 1 ? '' : 's'} but ${tensors.length} tensor${tensors.length === 1 ? ' was' : 's were'} given`,
    );
  const ellipsisDims = Math.max(0, ...terms.map((term, i) => (term.includes('...') ? tensors[i].ndim - (term.length - 3) : 0)));
  if (ellipsisDims > ELLIPSIS_LABELS.length) throw new RangeError(`einsum: '...' covers ${ellipsisDims} dims, at most ${ELLIPSIS_LABELS.length} are supported`);
  const inputs: Labelled[] = terms.map((term, i) => ({ t: tensors[i], labels: parseTerm(term, tensors[i].ndim, ellipsisDims, `operand ${i}`) }));
  const sizes = new Map<string, number>();
  inputs.forEach(({ t, labels }, i) =>
    labels.forEach((l, k) => {
      const s = t.shape[k];
      const seen = sizes.get(l);
      if (seen === undefined || seen === 1) sizes.set(l, s);
      else if (s !== seen && s !== 1) {
        throw new RangeError(
          `einsum: subscript '${ELLIPSIS_LABELS.includes(l) ? '...' : l}' has size ${s} in operand ${i} (shape ${fmtShape(t.shape)}) but ${seen} elsewhere`,
        );
      }
    }),
  );
  const counts = new Map<string, number>();
  for (const { labels } of inputs) for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const output =
    rhs === undefined
      ? [...ELLIPSIS_LABELS.slice(0, ellipsisDims), ...[...counts.keys()].filter((l) => !ELLIPSIS_LABELS.includes(l) && counts.get(l) === 1).sort()]
      : parseTerm(rhs, null, ellipsisDims, 'the output');
  output.forEach((l, i) => {
    if (!sizes.has(l)) throw new RangeError(`einsum: output subscript '${l}' appears in no operand`);
    if (output.indexOf(l) !== i) throw new RangeError(`einsum: output subscript '${l}' appears twice`);
  });
  return composite('einsum', () => {
    let acc = reduceUnneeded(diagonals(inputs[0]), inputs.slice(1), output);
    for (let i = 1; i < inputs.length; i++) {
      const later = inputs.slice(i + 1);
      const next = reduceUnneeded(diagonals(inputs[i]), [...later, acc], output);
      acc = contract(reduceUnneeded(acc, [next, ...later], output), next, later, output, sizes);
    }
    const summed = reduceUnneeded(acc, [], output);
    const order = output.map((l) => summed.labels.indexOf(l));
    return order.every((d, i) => d === i) ? summed.t : permute(summed.t, order);
  });
}

/** Takes the diagonal of every label repeated within one operand ('ii' → 'i'). */
function diagonals(x: Labelled): Labelled {
  let { t, labels } = x;
  for (;;) {
    const dup = labels.findIndex((l, i) => labels.indexOf(l) !== i);
    if (dup < 0) return { t, labels };
    const first = labels.indexOf(labels[dup]);
    const n = t.shape[first];
    // x[..i..j..]·δij summed over j keeps x[..i..i..].
    const maskShape = labels.map((_, k) => (k === first || k === dup ? n : 1));
    const mask = reshape(eye(n, n, { dtype: t.dtype, device: t.device }), maskShape);
    t = sum(mul(t, mask), dup);
    labels = labels.filter((_, k) => k !== dup);
  }
}

/** Sums the dims whose labels neither `others` nor the output use. */
function reduceUnneeded(x: Labelled, others: Labelled[], output: string[]): Labelled {
  const needed = new Set([...output, ...others.flatMap((o) => o.labels)]);
  const dims = x.labels.map((l, i) => (needed.has(l) ? -1 : i)).filter((i) => i >= 0);
  if (dims.length === 0) return x;
  return { t: sum(x.t, dims), labels: x.labels.filter((l) => needed.has(l)) };
}

/** One pairwise contraction as a batched matmul: a [batch, aOnly, shared] · b [batch, shared, bOnly]. */
function contract(a: Labelled, b: Labelled, later: Labelled[], output: string[], sizes: Map<string, number>): Labelled {
  const keep = new Set([...output, ...later.flatMap((o) => o.labels)]);
  const both = a.labels.filter((l) => b.labels.includes(l));
  const batch = both.filter((l) => keep.has(l));
  const shared = both.filter((l) => !keep.has(l));
  const aOnly = a.labels.filter((l) => !b.labels.includes(l));
  const bOnly = b.labels.filter((l) => !a.labels.includes(l));
  const size = (ls: string[]) => ls.reduce((n, l) => n * sizes.get(l)!, 1);
  const arrange = (x: Labelled, order: string[], shape: number[]): Tensor => {
    const perm = order.map((l) => x.labels.indexOf(l));
    const moved = perm.every((d, i) => d === i) ? x.t : permute(x.t, perm);
    // Size-1 dims broadcast against the other operand's size, as torch.einsum does.
    const full = order.map((l) => sizes.get(l)!);
    const grown = moved.shape.every((s, i) => s === full[i]) ? moved : expand(moved, full);
    return reshape(grown, shape);
  };
  const left = arrange(a, [...batch, ...aOnly, ...shared], [size(batch), size(aOnly), size(shared)]);
  const right = arrange(b, [...batch, ...shared, ...bOnly], [size(batch), size(shared), size(bOnly)]);
  const labels = [...batch, ...aOnly, ...bOnly];
  return {
    t: reshape(
      matmul(left, right),
      labels.map((l) => sizes.get(l)!),
    ),
    labels,
  };
}
