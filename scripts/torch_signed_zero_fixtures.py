"""Generate PyTorch 1.13's signed zeros and NaNs of relu, clamp and leaky_relu for tests/elementwise.test.ts.

Rerun with:

    /usr/bin/python3 scripts/torch_signed_zero_fixtures.py

Writes tests/fixtures/torch-signed-zero.json: {"input": [...], "cases": [{"name", "args", "out",
"grad"}]}, where grad is d(sum(out))/d(input). JSON keeps -0.0 (JSON.parse reads it as -0); NaN is
written as the string "NaN". The input has 10 elements so that the SIMD kernels' 4-wide bulk and
their scalar tail both see -0 and NaN.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT_PATH = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch-signed-zero.json")
INPUT = [-1.0, -0.0, 0.0, 1.0, 6.0, float("nan"), -2.0, 0.5, -0.0, float("nan")]


def num(v):
    return "NaN" if math.isnan(v) else v


CASES = [
    ("relu", {}, torch.relu),
    ("clamp", {"min": 0.0, "max": 1.0}, lambda x: x.clamp(0.0, 1.0)),
    ("clamp", {"min": 0.0}, lambda x: x.clamp(min=0.0)),
    ("clamp", {"max": 0.0}, lambda x: x.clamp(max=0.0)),
    ("clamp", {"max": -0.0}, lambda x: x.clamp(max=-0.0)),
    ("clamp", {"min": -0.0, "max": 0.0}, lambda x: x.clamp(-0.0, 0.0)),
    ("leakyRelu", {"negativeSlope": 0.1}, lambda x: F.leaky_relu(x, 0.1)),
]

cases = []
for name, args, fn in CASES:
    x = torch.tensor(INPUT, dtype=torch.float32, requires_grad=True)
    out = fn(x)
    out.sum().backward()
    cases.append({"name": name, "args": args, "out": [num(v) for v in out.tolist()], "grad": [num(v) for v in x.grad.tolist()]})

with open(OUT_PATH, "w") as f:
    json.dump({"torch": torch.__version__, "input": [num(v) for v in INPUT], "cases": cases}, f, indent=1)
    f.write("\n")
