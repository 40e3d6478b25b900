"""PyTorch 1.13's repr of tensors, for tests/print.test.ts (Tessera prints tensors as PyTorch does).

    /usr/bin/python3 scripts/torch_print_fixtures.py   # writes tests/fixtures/torch-print.json

Each case is {"name", "shape", "dtype", "data" (row-major, float32 values exactly;
NaN and ±Infinity as the strings "nan", "inf", "-inf"), "requires_grad",
"repr"}, with the repr translated to Tessera's spelling: requires_grad=True -> requiresGrad=true,
dtype=torch.int32 -> dtype=int32, True/False -> true/false.
"""
import json
import os

import torch

torch.manual_seed(0)
cases = [
    ("matrix with requires_grad", torch.tensor([[0.1, -1.2], [3.0, 4.0]], requires_grad=True)),
    ("int32 vector", torch.tensor([1, -20, 300], dtype=torch.int32)),
    ("integer-valued floats", torch.tensor([1.0, 2.0, -3.0])),
    ("3-d", torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) / 3),
    ("scientific: magnitudes span more than 1000x", torch.tensor([1e-5, 1.0, 1000.0])),
    ("scientific: large integers", torch.tensor([1.0, 2e9])),
    ("nan and inf", torch.tensor([float("nan"), float("inf"), float("-inf"), 1.5])),
    ("a long row wraps at 80 columns", torch.arange(30, dtype=torch.float32) * 1.5),
    ("0-d", torch.tensor(3.5)),
    ("0-d int", torch.tensor(7, dtype=torch.int32)),
    ("empty 2-d", torch.zeros(0, 3)),
    ("empty 1-d", torch.zeros(0)),
    ("bool", torch.tensor([True, False, True])),
    ("float64", torch.tensor([0.5, 1.25], dtype=torch.float64)),
    ("1-d past 1000 elements is summarised", torch.arange(2000, dtype=torch.float32)),
    ("40x30 (past 1000 elements) is summarised", torch.randn(40, 30)),
    ("4-d past 1000 elements", torch.arange(2 * 3 * 20 * 20, dtype=torch.float32).reshape(2, 3, 20, 20) / 10),
    ("wide matrix rows wrap", torch.randn(2, 12)),
]

def value(v, dtype):
    if dtype == torch.bool:
        return bool(v)
    if not dtype.is_floating_point:
        return int(v)
    return str(v) if v != v or v in (float("inf"), float("-inf")) else float(v)


out = []
for name, t in cases:
    text = repr(t)
    text = text.replace("requires_grad=True", "requiresGrad=true").replace("dtype=torch.", "dtype=")
    text = text.replace("True", "true").replace("False", "false")
    if t.numel() == 0 and t.dim() != 1:
        text = text.replace("size=(%s)" % ", ".join(map(str, t.shape)), "size=[%s]" % ", ".join(map(str, t.shape)))
    out.append({
        "name": name,
        "shape": list(t.shape),
        "dtype": str(t.dtype).replace("torch.", ""),
        "data": [value(v, t.dtype) for v in t.detach().flatten().tolist()],
        "requires_grad": t.requires_grad,
        "repr": text,
    })

path = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch-print.json")
with open(path, "w") as f:
    f.write("[\n" + ",\n".join(json.dumps(c) for c in out) + "\n]\n")
print("wrote", path)
