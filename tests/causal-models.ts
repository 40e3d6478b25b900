// GPT-style models as users write them (examples/text-gpt.mjs, examples/names-transformer.mjs),
// shared by the ONNX export and import tests of dynamic sequence axes.
import { arange, nn, ones, tensor, tril, type Tensor } from '../src/index.js';

const F = nn.functional;

/** examples/text-gpt.mjs's model: positions from arange(T), causal pre-norm encoder layers, the head tied to the token embedding. */
export class TextGPT extends nn.Module<[Tensor], Tensor> {
  tokens: nn.Embedding;
  positions: nn.Embedding;
  blocks: nn.TransformerEncoder;
  constructor(vocab: number, context: number, dModel: number, nHead: number) {
    super();
    this.tokens = new nn.Embedding(vocab, dModel);
    this.positions = new nn.Embedding(context, dModel);
    const layer = new nn.TransformerEncoderLayer(dModel, nHead, {
      dimFeedforward: 4 * dModel,
      dropout: 0,
      activation: 'gelu',
      batchFirst: true,
      normFirst: true,
    });
    this.blocks = new nn.TransformerEncoder(layer, 2, { norm: new nn.LayerNorm(dModel) });
  }
  forward(idx: Tensor): Tensor {
    const T = idx.shape[1];
    const x = this.tokens(idx).add(this.positions(arange(T, { dtype: 'int32' })));
    return F.linear(this.blocks(x, { isCausal: true }), this.tokens.weight);
  }
}

class CausalSelfAttention extends nn.Module<[Tensor], Tensor> {
  qkv: nn.Linear;
  proj: nn.Linear;
  constructor(
    dModel: number,
    readonly nHead: number,
  ) {
    super();
    this.qkv = new nn.Linear(dModel, 3 * dModel);
    this.proj = new nn.Linear(dModel, dModel);
  }
  forward(x: Tensor): Tensor {
    const [B, T, C] = x.shape;
    const [q, k, v] = this.qkv(x)
      .split(C, 2)
      .map((t) => t.reshape(B, T, this.nHead, C / this.nHead).transpose(1, 2));
    const y = F.scaledDotProductAttention(q, k, v, { isCausal: T > 1 });
    return this.proj(y.transpose(1, 2).reshape(B, T, C));
  }
}

class Block extends nn.Module<[Tensor], Tensor> {
  ln1: nn.LayerNorm;
  attn: CausalSelfAttention;
  ln2: nn.LayerNorm;
  fc: nn.Linear;
  out: nn.Linear;
  constructor(dModel: number, nHead: number) {
    super();
    this.ln1 = new nn.LayerNorm(dModel);
    this.attn = new CausalSelfAttention(dModel, nHead);
    this.ln2 = new nn.LayerNorm(dModel);
    this.fc = new nn.Linear(dModel, 4 * dModel);
    this.out = new nn.Linear(4 * dModel, dModel);
  }
  forward(x: Tensor): Tensor {
    const h = x.add(this.attn(this.ln1(x)));
    return h.add(this.out(this.fc(this.ln2(h)).gelu()));
  }
}

/** examples/names-transformer.mjs's model: positions as a JavaScript-built int32 range, SDPA with isCausal, split q/k/v. */
export class NamesGPT extends nn.Module<[Tensor], Tensor> {
  tokens: nn.Embedding;
  positions: nn.Embedding;
  blocks: Block[];
  lnF: nn.LayerNorm;
  head: nn.Linear;
  constructor(vocab: number, context: number, dModel: number, nHead: number) {
    super();
    this.tokens = new nn.Embedding(vocab, dModel);
    this.positions = new nn.Embedding(context, dModel);
    this.blocks = [new Block(dModel, nHead), new Block(dModel, nHead)];
    this.lnF = new nn.LayerNorm(dModel);
    this.head = new nn.Linear(dModel, vocab);
  }
  forward(idx: Tensor): Tensor {
    const T = idx.shape[1];
    const pos = tensor(
      Int32Array.from({ length: T }, (_, i) => i),
      { dtype: 'int32' },
    );
    let x = this.tokens(idx).add(this.positions(pos));
    for (const block of this.blocks) x = block(x);
    return this.head(this.lnF(x));
  }
}

/**
 * Attention under the masks users build from x.shape: tril(ones([T, T])), GPT-2's registered
 * [context, context] tril buffer cut to [:T, :T], and the float mask of PyTorch's
 * generate_square_subsequent_mask built in JavaScript; x is [batch, T ≤ context, 8].
 */
export class MaskedAttention extends nn.Module<[Tensor], Tensor> {
  mha = new nn.MultiheadAttention(8, 2, { batchFirst: true });
  proj = new nn.Linear(8, 8);
  constructor(context: number) {
    super();
    this.registerBuffer('bias', tril(ones([context, context])));
  }
  forward(x: Tensor): Tensor {
    const T = x.shape[1];
    const keep = tril(ones([T, T]));
    const cut = (this as unknown as { bias: Tensor }).bias.narrow(0, 0, T).narrow(1, 0, T);
    const own = x.matmul(x.transpose(1, 2)).maskedFill(keep.eq(0), -Infinity).maskedFill(cut.eq(0), -Infinity).softmax(-1).matmul(x);
    const square = new Float32Array(T * T);
    for (let i = 0; i < T; i++) square.fill(-Infinity, i * T + i + 1, (i + 1) * T);
    const [withWeights] = this.mha(x, x, x, { attnMask: tensor(square, { shape: [T, T] }) });
    // isCausal with the weights requested builds its mask in JavaScript too; without them it runs the fused kernel.
    const [causal] = this.mha(x, x, x, { isCausal: true });
    const [fused] = this.mha(x, x, x, { isCausal: true, needWeights: false });
    return this.proj(own).add(withWeights).add(causal).add(fused);
  }
}
