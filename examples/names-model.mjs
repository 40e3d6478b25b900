// The character-level Transformer (a tiny GPT) of examples/names-transformer.mjs and its static
// key/value cache; bench/seq.mjs times sampling from the same model.
import { nn, tensor, zeros } from '../dist/index.js';

const F = nn.functional;

/** Causal self-attention whose keys and values can be cached across calls when sampling. */
class CausalSelfAttention extends nn.Module {
  constructor(dModel, nHead) {
    super();
    this.nHead = nHead;
    this.qkv = new nn.Linear(dModel, 3 * dModel);
    this.proj = new nn.Linear(dModel, dModel);
  }

  forward(x, cache = null) {
    const [B, T, C] = x.shape;
    const [q, k, v] = this.qkv(x)
      .split(C, 2)
      .map((t) => t.reshape(B, T, this.nHead, C / this.nHead).transpose(1, 2));
    let keys = k,
      values = v;
    if (cache) {
      // This step's keys and values are written in place after the cached ones; attention reads
      // the filled part, so a new token copies nothing of the past.
      const end = cache.length + T;
      cache.k.narrow(2, cache.length, T).copy_(k);
      cache.v.narrow(2, cache.length, T).copy_(v);
      keys = cache.k.narrow(2, 0, end);
      values = cache.v.narrow(2, 0, end);
      cache.length = end;
    }
    // With a cache a single new token sees every cached position; a prompt is causal.
    const y = F.scaledDotProductAttention(q, keys, values, { isCausal: T > 1 });
    return this.proj(y.transpose(1, 2).reshape(B, T, C));
  }
}

class Block extends nn.Module {
  constructor(dModel, nHead) {
    super();
    this.ln1 = new nn.LayerNorm(dModel);
    this.attn = new CausalSelfAttention(dModel, nHead);
    this.ln2 = new nn.LayerNorm(dModel);
    this.fc = new nn.Linear(dModel, 4 * dModel);
    this.out = new nn.Linear(4 * dModel, dModel);
  }

  forward(x, cache = null) {
    const h = x.add(this.attn(this.ln1(x), cache));
    return h.add(this.out(this.fc(this.ln2(h)).gelu()));
  }
}

/** Token and position embeddings, `nLayer` pre-norm blocks, a final LayerNorm and the vocabulary head. */
export class NamesGPT extends nn.Module {
  constructor({ vocab, context, dModel = 64, nHead = 4, nLayer = 2 }) {
    super();
    this.context = context;
    this.dModel = dModel;
    this.nHead = nHead;
    this.tokens = new nn.Embedding(vocab, dModel);
    this.positions = new nn.Embedding(context, dModel);
    this.blocks = Array.from({ length: nLayer }, () => new Block(dModel, nHead));
    this.lnF = new nn.LayerNorm(dModel);
    this.head = new nn.Linear(dModel, vocab);
  }

  /** idx [B, T] → logits [B, T, vocab]; `caches` (from newCache) and `start` for cached sampling. */
  forward(idx, caches = null, start = 0) {
    const T = idx.shape[1];
    const pos = tensor(
      Int32Array.from({ length: T }, (_, i) => start + i),
      { dtype: 'int32' },
    );
    let x = this.tokens(idx).add(this.positions(pos));
    this.blocks.forEach((block, i) => {
      x = block(x, caches ? caches[i] : null);
    });
    return this.head(this.lnF(x));
  }

  /**
   * A static key/value cache (as PyTorch's static caches) for batch 1: per block, [1, heads,
   * context, headDim] buffers allocated once and filled in place, `length` positions in use.
   * Reset it for a new sequence with `for (const c of caches) c.length = 0`.
   */
  newCache() {
    const shape = [1, this.nHead, this.context, this.dModel / this.nHead];
    return this.blocks.map(() => ({ k: zeros(shape), v: zeros(shape), length: 0 }));
  }
}
