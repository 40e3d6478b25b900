"""Generate PyTorch reference values for tests/interpolate.test.ts.

Rerun with:

    /usr/bin/python3 scripts/torch_interpolate_fixtures.py

(needs Debian's python3-torch 1.13; the pyenv python3 on PATH has no torch).
Writes tests/fixtures/torch-interpolate.json: a list of cases

    { "name", "args": F.interpolate's options in Tessera's spelling (camelCase),
      "input", "out", "gradOut", "grad": {shape, dtype, data} }

The loss is sum(out * gradOut) with a seeded random gradOut, so grad is the
vector-Jacobian product. float32 throughout, written with 9 significant digits.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
OUT_PATH = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch-interpolate.json")


def record(t):
    return {"shape": list(t.shape), "dtype": "float32", "data": [float("%.9g" % v) for v in t.detach().reshape(-1).tolist()]}


def case(name, shape, **args):
    x = torch.randn(*shape).requires_grad_(True)
    kwargs = {
        "size": args.get("size"),
        "scale_factor": args.get("scaleFactor"),
        "mode": args.get("mode", "nearest"),
        "align_corners": args.get("alignCorners"),
        "recompute_scale_factor": args.get("recomputeScaleFactor"),
    }
    out = F.interpolate(x, **kwargs)
    grad_out = torch.randn(out.shape)
    (out * grad_out).sum().backward()
    return {"name": name, "args": args, "input": record(x), "out": record(out), "gradOut": record(grad_out), "grad": record(x.grad)}


cases = [
    case("nearest 2-D upsample ×2", [1, 2, 3, 4], scaleFactor=2),
    case("nearest 2-D to an odd size", [2, 1, 5, 4], size=[7, 3]),
    case("nearest 2-D downsample by a fractional factor", [1, 2, 6, 7], scaleFactor=[0.5, 0.7]),
    case("nearest 2-D scaleFactor 1.5 with recomputeScaleFactor", [1, 1, 4, 5], scaleFactor=1.5, recomputeScaleFactor=True),
    case("nearest 1-D", [2, 3, 5], size=8),
    case("bilinear upsample ×2", [1, 2, 3, 4], scaleFactor=2, mode="bilinear", alignCorners=False),
    case("bilinear upsample ×2 alignCorners", [1, 2, 3, 4], scaleFactor=2, mode="bilinear", alignCorners=True),
    case("bilinear to an odd size", [2, 2, 5, 6], size=[7, 4], mode="bilinear"),
    case("bilinear to an odd size alignCorners", [2, 2, 5, 6], size=[7, 4], mode="bilinear", alignCorners=True),
    case("bilinear downsample ×0.5", [1, 3, 8, 6], scaleFactor=0.5, mode="bilinear"),
    case("bilinear scaleFactor 1.7 (sampled at 1/1.7)", [1, 1, 4, 5], scaleFactor=1.7, mode="bilinear"),
    case("bilinear to a single row alignCorners", [1, 1, 4, 5], size=[1, 3], mode="bilinear", alignCorners=True),
    case("bilinear same size", [1, 2, 3, 3], size=[3, 3], mode="bilinear"),
    case("linear 1-D", [2, 2, 5], size=9, mode="linear"),
    case("linear 1-D alignCorners", [2, 2, 5], scaleFactor=2.5, mode="linear", alignCorners=True),
]

with open(OUT_PATH, "w") as f:
    json.dump(cases, f)
print(f"wrote {len(cases)} cases to {OUT_PATH}")
