"""Generate a model whose masks PyTorch 1.13's torch.onnx.export writes as initializers, for
tests/onnx-import.test.ts: which initializers onnx.load makes Parameters and which buffers.

Rerun with:

    /usr/bin/python3 scripts/torch_onnx_masks.py

(needs Debian's python3-torch and python3-onnx). Writes tests/fixtures/onnx/masks.onnx and
tests/fixtures/onnx/masks.json. At a fixed sequence length the exporter folds the model's masks
into initializers: a registered additive causal mask of -inf (consumed by Add, as a bias is), one
of torch.finfo(float32).min (Hugging Face's fill value), a registered tril buffer compared with 0
(folded to a bool Where condition) and a registered int64 position_ids buffer (Gather indices).
The JSON holds PyTorch's parameter and buffer names and sizes and its logits at batch 2 and 3,
written with 9 significant digits (exact for float32) and a dtype.
"""
import json
import math
import os

import onnx
import torch

torch.manual_seed(0)
OUT_DIR = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "onnx")
T, D, VOCAB = 6, 8, 13


def record(t, dtype="float32"):
    values = t.detach().reshape(-1).tolist()
    data = [int(v) for v in values] if dtype == "int32" else [float("%.9g" % v) for v in values]
    return {"shape": list(t.shape), "dtype": dtype, "data": data}


class MaskedLM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.tokens = torch.nn.Embedding(VOCAB, D)
        self.positions = torch.nn.Embedding(T, D)
        self.register_buffer("position_ids", torch.arange(T).unsqueeze(0))
        self.qkv = torch.nn.Linear(D, 3 * D)
        self.register_buffer("causal", torch.triu(torch.full((T, T), float("-inf")), 1))
        self.register_buffer("finfo_mask", torch.triu(torch.full((T, T), torch.finfo(torch.float32).min), 1))
        self.register_buffer("keep", torch.tril(torch.ones(T, T)))
        self.head = torch.nn.Linear(D, VOCAB)

    def forward(self, idx):
        x = self.tokens(idx) + self.positions(self.position_ids)
        q, k, v = self.qkv(x).split(D, dim=2)
        scores = q @ k.transpose(1, 2) / math.sqrt(D)
        a = (scores + self.causal).softmax(-1) @ v
        b = scores.masked_fill(self.keep == 0, float("-inf")).softmax(-1) @ v
        c = (scores + self.finfo_mask).softmax(-1) @ v
        return self.head(a + b + c)


model = MaskedLM().eval()
path = os.path.join(OUT_DIR, "masks.onnx")
axes = {"idx": {0: "batch"}, "logits": {0: "batch"}}
torch.onnx.export(model, (torch.randint(0, VOCAB, (2, T)),), path, input_names=["idx"], output_names=["logits"], dynamic_axes=axes, opset_version=14)
graph = onnx.load(path).graph
onnx.checker.check_model(onnx.load(path), full_check=True)
runs = []
with torch.no_grad():
    for batch in (2, 3):
        idx = torch.randint(0, VOCAB, (batch, T))
        runs.append({"input": record(idx, "int32"), "outputs": [record(model(idx))]})
summary = {
    "torch": torch.__version__,
    "onnx": onnx.__version__,
    "initializers": {t.name: onnx.TensorProto.DataType.Name(t.data_type) for t in graph.initializer},
    "parameters": {n: p.numel() for n, p in model.named_parameters()},
    "buffers": {n: b.numel() for n, b in model.named_buffers()},
    "runs": runs,
}
with open(os.path.join(OUT_DIR, "masks.json"), "w") as f:
    json.dump(summary, f)
    f.write("\n")
print(summary["initializers"])
