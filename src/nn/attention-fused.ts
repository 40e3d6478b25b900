/**
 * Fused scaled-dot-product attention: softmax(scale·q·kᵀ + mask)·v as one op whose forward and
 * backward are one kernel call each over all batch·head entries (assembly/attention.ts): the
 * [L, S] weights are never stored, the backward recomputes them from each row's saved log-sum-exp,
 * and causal attention skips the keys past each block's diagonal. F.scaledDotProductAttention and
 * nn.MultiheadAttention take this path when no dropout applies and the shapes allow it.
 */
import { composite } from '../autograd/composite.js';
import { finish, noGrad } from '../autograd/grad-mode.js';
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
  return canFuseMask(mask, lead, q);
}

/**
 * True when the kernels can read `mask` (or there is none) for queries with leading dims `lead`:
 * it needs no gradient, has like's dtype (or is bool) and device, and each of its leading dims is 1
 * or the query's.
 */
export function canFuseMask(mask: Tensor | null, lead: readonly number[], like: Tensor): boolean {
  if (!mask) return true;
  if (mask.requiresGrad || mask.ndim > lead.length + 2 || mask.device !== like.device) return false;
  if (mask.dtype !== 'bool' && mask.dtype !== like.dtype) return false;
  const off = lead.length + 2 - mask.ndim;
  return mask.shape.slice(0, -2).every((n, i) => n === 1 || n === lead[off + i]);
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

/**
 * Self-attention straight from the packed in-projection: `qkv` [N, L, 3E] (batchFirst) or
 * [L, N, 3E] holds each token's query, key and value, `heads` heads each; the result is the heads'
 * outputs merged back, [N, L, E] or [L, N, E]. One strided copy regroups q, k and v head-major for
 * the kernels and one merges the heads' outputs (the backward: one each way again), where splitting
 * q, k and v first would copy each of them twice and make the gradient of each a zero-filled [.., 3E]
 * tensor to sum. The caller has checked `canFuseMask(mask, [N·heads], qkv)`; `mask` is additive or
 * bool (true takes part), [L, L] or [N·heads, L, L].
 */
export function fusedPackedSelfAttention(qkv: Tensor, heads: number, batchFirst: boolean, mask: Tensor | null, causal: boolean): Tensor {
  return composite('packedSelfAttention', () => {
    const { backend, dtype } = qkv;
    const [d0, d1, E3] = qkv.shape;
    const E = E3 / 3;
    const hd = E / heads;
    const [N, L] = batchFirst ? [d0, d1] : [d1, d0];
    const batch = N * heads;
    // Token layout [N, L, parts, H, hd] (or [L, N, …]) seen head-major as [parts, N, H, L, hd], and back.
    const headMajor = (t: Tensor, parts: number) =>
      batchFirst ? t.reshape(N, L, parts, heads, hd).permute(2, 0, 3, 1, 4) : t.reshape(L, N, parts, heads, hd).permute(2, 1, 3, 0, 4);
    const tokenMajor = (t: Tensor) => (batchFirst ? t.permute(1, 3, 0, 2, 4) : t.permute(3, 1, 0, 2, 4));
    const h = noGrad(() => copyRaw(headMajor(qkv, 3)));
    const part = (t: Tensor, i: number): Block => ({ storage: t.storage, offset: t.offset + i * batch * L * hd });
    const m = mask ? kernelMask(mask, qkv, [batch], L, L) : null;
    const dims = { batch, L, S: L, E: hd, Ev: hd, scale: 1 / Math.sqrt(hd), causal, maskStride: m?.stride ?? 0 };
    const out = Tensor.empty([1, N, heads, L, hd], dtype, backend);
    const lse = Tensor.empty([batch, L], dtype, backend);
    const maskBlock = m ? block(m.mask) : null;
    backend.attention(part(h, 0), part(h, 1), part(h, 2), maskBlock, block(out), block(lse), dims);
    const merged = noGrad(() => copyRaw(tokenMajor(out)).reshape(d0, d1, E));
    return finish(
      merged,
      'packedSelfAttention',
      [qkv],
      (gIn) => {
        const g = noGrad(() => copyRaw(headMajor(gIn, 1)));
        const dh = Tensor.empty([3, N, heads, L, hd], dtype, backend);
        backend.attentionBackward(part(h, 0), part(h, 1), part(h, 2), maskBlock, block(out), block(lse), block(g), part(dh, 0), part(dh, 1), part(dh, 2), dims);
        return [noGrad(() => copyRaw(tokenMajor(dh)).reshape(d0, d1, E3))];
      },
      { heads, batchFirst, isCausal: causal, scale: dims.scale, attnMask: mask },
    );
  });
}
