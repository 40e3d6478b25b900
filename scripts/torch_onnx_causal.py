"""Generate a causal (GPT-style) model written by PyTorch 1.13's torch.onnx.export with a dynamic
batch *and sequence* axis, for tests/onnx-import.test.ts.

Rerun with:

    /usr/bin/python3 scripts/torch_onnx_causal.py

(needs Debian's python3-torch and python3-onnx). Writes tests/fixtures/onnx/gpt-causal.onnx and
tests/fixtures/onnx/gpt-causal.json with PyTorch's logits at two batch sizes and two sequence
lengths. The model builds its masks the ways GPT code does, each from the input's run-time length
T = idx.shape[1]: positions from torch.arange(T) (ONNX Range); nn.Transformer's
generate_square_subsequent_mask(T), triu(full((T, T), -inf), 1), for a TransformerEncoderLayer
(Trilu); a hand-written attention masked with tril(ones(T, T)) (Trilu); and GPT-2's registered
[context, context] tril buffer sliced to [:T, :T] (Slice with run-time ends). Values are written
with 9 significant digits (exact for float32) and a dtype.
"""
import json
import math
import os

import onnx
import torch

torch.manual_seed(0)
OUT_DIR = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "onnx")
VOCAB, CONTEXT, D, HEADS = 11, 8, 16, 2


def record(t, dtype="float32"):
    values = t.detach().reshape(-1).tolist()
    data = [int(v) for v in values] if dtype == "int32" else [float("%.9g" % v) for v in values]
    return {"shape": list(t.shape), "dtype": dtype, "data": data}


class MaskedAttention(torch.nn.Module):
    """One head of causal self-attention, masked with tril(ones(T, T)) and a sliced tril buffer."""

    def __init__(self):
        super().__init__()
        self.qkv = torch.nn.Linear(D, 3 * D)
        self.proj = torch.nn.Linear(D, D)
        self.register_buffer("bias", torch.tril(torch.ones(CONTEXT, CONTEXT)))

    def forward(self, x):
        T = x.shape[1]
        q, k, v = self.qkv(x).split(D, dim=2)
        scores = q @ k.transpose(1, 2) / math.sqrt(D)
        scores = scores.masked_fill(torch.tril(torch.ones(T, T)) == 0, float("-inf"))
        scores = scores.masked_fill(self.bias[:T, :T] == 0, float("-inf"))
        return self.proj(scores.softmax(-1) @ v)


class CausalGPT(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.tokens = torch.nn.Embedding(VOCAB, D)
        self.positions = torch.nn.Embedding(CONTEXT, D)
        self.layer = torch.nn.TransformerEncoderLayer(D, HEADS, 4 * D, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.attn = MaskedAttention()
        self.norm = torch.nn.LayerNorm(D)
        self.head = torch.nn.Linear(D, VOCAB)

    def forward(self, idx):
        T = idx.shape[1]
        x = self.tokens(idx) + self.positions(torch.arange(T))
        x = self.layer(x, src_mask=torch.nn.Transformer.generate_square_subsequent_mask(T))
        x = x + self.attn(x)
        return self.head(self.norm(x))


model = CausalGPT().eval()
path = os.path.join(OUT_DIR, "gpt-causal.onnx")
example = torch.randint(0, VOCAB, (2, CONTEXT))
axes = {"idx": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}}
torch.onnx.export(model, (example,), path, input_names=["idx"], output_names=["logits"], dynamic_axes=axes, opset_version=14)
onnx.checker.check_model(onnx.load(path), full_check=True)
ops = sorted({n.op_type for n in onnx.load(path).graph.node})
runs = []
with torch.no_grad():
    for shape in ((2, CONTEXT), (3, 5), (1, 3), (4, 7)):
        idx = torch.randint(0, VOCAB, shape)
        runs.append({"input": record(idx, "int32"), "outputs": [record(model(idx))]})
with open(os.path.join(OUT_DIR, "gpt-causal.json"), "w") as f:
    json.dump({"torch": torch.__version__, "onnx": onnx.__version__, "ops": ops, "runs": runs}, f)
    f.write("\n")
print(" ".join(ops))
