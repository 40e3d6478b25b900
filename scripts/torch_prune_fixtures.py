"""Generate PyTorch 1.13 pruning masks for tests/prune.test.ts.

Rerun with:

    /usr/bin/python3 scripts/torch_prune_fixtures.py

(needs Debian's python3-torch). Writes tests/fixtures/torch-prune.json: a list of cases, each a
sequence of torch.nn.utils.prune calls (Tessera's names and arguments) on layers whose initial
weights are recorded, with the weight_mask of every layer after the last call. The amounts include
fractions whose count is a half (0.5 of 5 entries: Python's round() rounds it to even) and
norms PyTorch's ln_structured takes (1, 2, 3, inf, -inf). Values are float32, written with
9 significant digits (exact) and a dtype; non-finite norms are the strings "Infinity" and
"-Infinity".
"""
import json
import math
import os

import torch
import torch.nn.utils.prune as prune

torch.manual_seed(0)
OUT_PATH = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch-prune.json")


def enc(t):
    return {"shape": list(t.shape), "dtype": "float32", "data": [float("%.9g" % v) for v in t.detach().reshape(-1).tolist()]}


def norm_arg(n):
    if isinstance(n, float) and math.isinf(n):
        return "Infinity" if n > 0 else "-Infinity"
    return n


def make(kind):
    return torch.nn.Linear(5, 1) if kind == "linear5" else torch.nn.Linear(6, 4) if kind == "linear" else torch.nn.Conv2d(3, 5, 2)


CASES = []


def case(name, kinds, steps):
    """steps: (method, layer index, args) with Tessera's argument names."""
    layers = [make(k) for k in kinds]
    initial = [enc(layer.weight) for layer in layers]
    for method, index, args in steps:
        if method == "l1Unstructured":
            prune.l1_unstructured(layers[index], "weight", args["amount"])
        elif method == "lnStructured":
            prune.ln_structured(layers[index], "weight", args["amount"], n=args["n"], dim=args["dim"])
        elif method == "globalUnstructured":
            prune.global_unstructured([(layer, "weight") for layer in layers], pruning_method=prune.L1Unstructured, amount=args["amount"])
    CASES.append({
        "name": name,
        "layers": kinds,
        "weights": initial,
        "steps": [{"method": m, "layer": i, "args": {k: norm_arg(v) for k, v in a.items()}} for m, i, a in steps],
        "masks": [enc(layer.weight_mask) for layer in layers],
    })


case("l1Unstructured, half of 5 entries rounds to even (2)", ["linear5"], [("l1Unstructured", 0, {"amount": 0.5})])
case("l1Unstructured 0.3 and 0.7 of 5 (1.5 → 2, 3.5 → 4)", ["linear5", "linear5"], [("l1Unstructured", 0, {"amount": 0.3}), ("l1Unstructured", 1, {"amount": 0.7})])
case("l1Unstructured twice: a fraction of what is left", ["linear"], [("l1Unstructured", 0, {"amount": 0.3}), ("l1Unstructured", 0, {"amount": 0.5})])
case("l1Unstructured by count", ["conv"], [("l1Unstructured", 0, {"amount": 7})])
for n in [1, 2, 3, float("inf"), float("-inf")]:
    case(f"lnStructured n={norm_arg(n)} over filters", ["conv"], [("lnStructured", 0, {"amount": 0.4, "n": n, "dim": 0})])
case("lnStructured over input channels (dim 1), then over kernel rows (dim -2)", ["conv"],
     [("lnStructured", 0, {"amount": 0.34, "n": 2, "dim": 1}), ("lnStructured", 0, {"amount": 0.5, "n": 1, "dim": -2})])
case("l1Unstructured then lnStructured: structured pruning ranks the unmasked weights", ["linear"],
     [("l1Unstructured", 0, {"amount": 0.5}), ("lnStructured", 0, {"amount": 0.5, "n": 1, "dim": 0})])
case("globalUnstructured across a conv and a Linear", ["conv", "linear"], [("globalUnstructured", 0, {"amount": 0.6})])
case("globalUnstructured after l1Unstructured", ["linear", "linear"],
     [("l1Unstructured", 1, {"amount": 0.5}), ("globalUnstructured", 0, {"amount": 0.5})])

with open(OUT_PATH, "w") as f:
    json.dump({"torch": torch.__version__, "cases": CASES}, f)
    f.write("\n")
print("wrote %d cases to %s" % (len(CASES), OUT_PATH))
