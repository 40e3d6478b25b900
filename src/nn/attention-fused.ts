/**
 * Fused scaled-dot-product attention: softmax(scale·q·kᵀ + mask)·v as one op whose forward and
 * backward are one kernel call each over all batch·head entries (assembly/attention.ts): the
 * [L, S] weights are never stored, the backward recomputes them from each row's saved log-sum-exp,
 * and causal attention skips the keys past each block's diagonal. F.scaledDotProductAttention and
 * nn.MultiheadAttention take this path when no dropout applies and the shapes allow it.
 */
import { composite } from '../autograd/composite.js';
import { finish } from '../autograd/grad-mode.js';
import type { Block } from '../backend/backend.js';
import { zeros } from '../creation.js';
import { logicalNot } from '../ops/elementwise.js';
import { copyRaw } from '../ops/util.js';
import { sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';

const block = (t: Tensor): Block => ({ storage: t.storage, offset: t.offset });

/**
 * True when `fusedAttention` computes this call: q, k and v share their leading dims and dtype, the
 * sequences are not empty, and the mask (if any) needs no gradient, has the dtype (or is bool) and
 * no more dims than the query.
 */
export function canFuseAttention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null): boolean {
  const lead = q.shape.slice(0, -2);
  if (k.ndim !== q.ndim || v.ndim !== q.ndim || !sameShape(k.shape.slice(0, -2), lead) || !sameShape(v.shape.slice(0, -2), lead)) return false;
  if (k.dtype !== q.dtype || v.dtype !== q.dtype || k.device !== q.device || v.device !== q.device) return false;
  if (q.shape[q.ndim - 2] === 0 || k.shape[k.ndim - 2] === 0 || q.shape[q.ndim - 1] === 0 || v.shape[v.ndim - 1] === 0) return false;
  if (!mask) return true;
  if (mask.requiresGrad || mask.ndim > q.ndim || mask.device !== q.device) return false;
  if (mask.dtype !== 'bool' && mask.dtype !== q.dtype) return false;
  // The mask's leading dims must each be 1 or the query's.
  const off = q.ndim - mask.ndim;
  return mask.shape.slice(0, -2).every((n, i) => n === 1 || n === q.shape[off + i]);
}

/**
 * The additive mask as the kernels read it: contiguous [L, S] for all batch entries (stride 0) or
 * [batch, L, S] (stride L·S). Bool masks follow scaledDotProductAttention's meaning: true takes part.
 */
function kernelMask(mask: Tensor, like: Tensor, lead: readonly number[], L: number, S: number): { mask: Tensor; stride: number } {
  return composite('attentionMask', () => {
    const additive = mask.dtype === 'bool' ? zeros(mask.shape, { dtype: like.dtype, device: like.device }).maskedFill(logicalNot(mask), -Infinity) : mask;
    const mLead = mask.shape.slice(0, -2);
    const shared = mLead.every((n) => n === 1);
    const target = shared ? [...mLead, L, S] : [...lead, L, S];
    return { mask: copyRaw(additive.expand(...target)), stride: shared ? 0 : L * S };
  });
}

/** The fused forward and backward; the caller has checked `canFuseAttention`. */
export function fusedAttention(query: Tensor, key: Tensor, value: Tensor, attnMask: Tensor | null, causal: boolean, scale: number): Tensor {
  return composite('scaledDotProductAttention', () => {
    const { backend, dtype } = query;
    const lead = query.shape.slice(0, -2);
    const [L, E] = query.shape.slice(-2);
    const S = key.shape[key.ndim - 2];
    const Ev = value.shape[value.ndim - 1];
    const batch = lead.reduce((n, d) => n * d, 1);
    const [q, k, v] = [query, key, value].map((t) => (t.isContiguous() ? t : copyRaw(t)));
    const m = attnMask ? kernelMask(attnMask, query, lead, L, S) : null;
    const dims = { batch, L, S, E, Ev, scale, causal, maskStride: m?.stride ?? 0 };
    const out = Tensor.empty([...lead, L, Ev], dtype, backend);
    // The log-sum-exp of each row of weights, saved so the backward recomputes them.
    const lse = Tensor.empty([batch, L], dtype, backend);
    const maskBlock = m ? block(m.mask) : null;
    backend.attention(block(q), block(k), block(v), maskBlock, block(out), block(lse), dims);
    return finish(
      out,
      'scaledDotProductAttention',
      [query, key, value],
      (gIn) => {
        const g = gIn.isContiguous() ? gIn : copyRaw(gIn);
        const [dq, dk, dv] = [query, key, value].map((t) => Tensor.empty(t.shape, dtype, backend));
        backend.attentionBackward(block(q), block(k), block(v), maskBlock, block(out), block(lse), block(g), block(dq), block(dk), block(dv), dims);
        return [dq, dk, dv];
      },
      { isCausal: causal, scale, attnMask },
    );
  });
}
