"""Generate PyTorch reference values for tests/torch-more-ops.test.ts.

Rerun with:

    /usr/bin/python3 scripts/torch_ops_fixtures.py

(needs Debian's python3-torch; the pyenv python3 on PATH has no torch).
Writes tests/fixtures/torch-more-ops.json: a list of cases

  { "name", "op", "args": {...Tessera's option names...},
    "inputs": [tensor + "requiresGrad"], "out": tensor, "gradOut": tensor | null,
    "grads": [tensor | null per input] }

for the elementwise math, activations, rearranging, ordering, scatter and einsum ops, the norms
and the losses. Tensors are {shape, data, dtype} with dtype "float32", "int32" or "bool", so a
1.0 that JSON writes as 1 stays a float. A case's output is its first output (the values of
sort/topk; their indices are checked as "indices"); a non-float output has no gradients.
NaN and infinities are written as the strings "NaN", "Infinity", "-Infinity". The
backward seeds the output with gradOut (random normal). RMSNorm, which torch 1.13 lacks, is
composed by hand: x * rsqrt(mean(x^2) + eps) * weight.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
OUT_PATH = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch-more-ops.json")


def enc(t):
    t = t.detach()
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "data": [bool(v) for v in t.reshape(-1).tolist()], "dtype": "bool"}
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()], "dtype": "int32"}
    return {"shape": list(t.shape), "data": [num(float(v)) for v in t.reshape(-1).tolist()], "dtype": "float32"}


def num(v):
    """JSON has no NaN or infinities: they are written as the strings JavaScript's Number() reads."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


CASES = []


def case(name, op, args, inputs, fn):
    leaves = [x.clone().requires_grad_(x.is_floating_point()) for x in inputs]
    result = fn(*leaves)
    extra = {}
    if isinstance(result, tuple):
        extra["indices"] = enc(result[1])
        result = result[0]
    grad_out = None
    grads = [None] * len(leaves)
    if result.is_floating_point() and any(x.requires_grad for x in leaves):
        grad_out = torch.randn(result.shape)
        result.backward(grad_out)
        grads = [enc(x.grad) if x.grad is not None else None for x in leaves]
    record = {
        "name": name,
        "op": op,
        "args": args,
        "inputs": [dict(enc(x), requiresGrad=x.is_floating_point()) for x in inputs],
        "out": enc(result),
        "gradOut": enc(grad_out) if grad_out is not None else None,
        "grads": grads,
    }
    record.update(extra)
    CASES.append(record)


def randn(*shape):
    return torch.randn(*shape)


def ints(values):
    return torch.tensor(values, dtype=torch.int64)


# ---------------------------------------------------------------- elementwise math
wide = torch.linspace(-4, 4, 17) + 0.013
case("floor", "floor", {}, [wide], torch.floor)
case("ceil", "ceil", {}, [wide], torch.ceil)
case("round ties to even", "round", {}, [torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -0.51])], torch.round)
case("round decimals 2", "round", {"decimals": 2}, [randn(6) * 3], lambda x: torch.round(x, decimals=2))
case("log1p", "log1p", {}, [torch.rand(8) * 3 - 0.9], torch.log1p)
case("expm1", "expm1", {}, [wide], torch.expm1)
case("erf", "erf", {}, [wide], torch.erf)
case("remainder tensor", "remainder", {}, [randn(2, 3) * 4, torch.rand(3) + 0.5], torch.remainder)
case("remainder negative divisor", "remainder", {}, [randn(5) * 4, -(torch.rand(5) + 0.5)], torch.remainder)
case("isnan", "isnan", {}, [torch.tensor([float("nan"), 1.0, float("inf")])], torch.isnan)
case("logicalAnd", "logicalAnd", {}, [torch.tensor([0.0, 2.0, -1.0, 0.0]), torch.tensor([1.0, 0.0, 3.0, 0.0])], torch.logical_and)
case("logicalOr", "logicalOr", {}, [torch.tensor([0.0, 2.0, -1.0, 0.0]), torch.tensor([1.0, 0.0, 3.0, 0.0])], torch.logical_or)
case("logicalNot", "logicalNot", {}, [torch.tensor([0.0, 2.0, -1.0])], torch.logical_not)
case("prod all", "prod", {}, [randn(2, 3)], torch.prod)
case("prod dim keepdim", "prod", {"dim": 1, "keepdim": True}, [randn(3, 4)], lambda x: torch.prod(x, 1, keepdim=True))
case("prod with a zero", "prod", {"dim": 0}, [torch.tensor([[2.0, 0.0], [3.0, 5.0], [0.5, 4.0]])], lambda x: torch.prod(x, 0))
case("any dim", "any", {"dim": 1}, [torch.tensor([[0.0, 0.0], [0.0, 2.0]])], lambda x: torch.any(x, 1))
case("all", "all", {}, [torch.tensor([[1.0, 3.0], [0.5, 2.0]])], torch.all)

# ---------------------------------------------------------------- activations
act = torch.linspace(-6, 6, 25) + 0.01
case("leakyRelu", "leakyRelu", {"negativeSlope": 0.2}, [act], lambda x: F.leaky_relu(x, 0.2))
case("silu", "silu", {}, [act], F.silu)
case("elu", "elu", {"alpha": 0.7}, [act], lambda x: F.elu(x, 0.7))
case("softplus", "softplus", {}, [act * 5], F.softplus)
case("softplus beta threshold", "softplus", {"beta": 2.0, "threshold": 5.0}, [act], lambda x: F.softplus(x, beta=2.0, threshold=5.0))
case("mish", "mish", {}, [act], F.mish)
case("hardswish", "hardswish", {}, [act], F.hardswish)
case("gelu", "gelu", {"approximate": "none"}, [act], F.gelu)
case("gelu tanh", "gelu", {"approximate": "tanh"}, [act], lambda x: F.gelu(x, approximate="tanh"))

# ---------------------------------------------------------------- rearranging
case("tril", "tril", {"diagonal": 0}, [randn(2, 3, 4)], torch.tril)
case("tril -1", "tril", {"diagonal": -1}, [randn(4, 3)], lambda x: torch.tril(x, -1))
case("triu 1", "triu", {"diagonal": 1}, [randn(3, 4)], lambda x: torch.triu(x, 1))
case("flip", "flip", {"dims": [0, 2]}, [randn(2, 3, 4)], lambda x: torch.flip(x, [0, 2]))
case("roll flat", "roll", {"shifts": 2}, [randn(3, 4)], lambda x: torch.roll(x, 2))
case("roll dims", "roll", {"shifts": [1, -2], "dims": [0, 1]}, [randn(3, 4)], lambda x: torch.roll(x, (1, -2), (0, 1)))
case("repeat", "repeat", {"sizes": [2, 1, 3]}, [randn(2, 2)], lambda x: x.repeat(2, 1, 3))
case("tile", "tile", {"dims": [2]}, [randn(2, 3)], lambda x: torch.tile(x, (2,)))
# torch 1.13 pads 2*(ndim-2) entries in the non-constant modes: 3-D inputs for one dim, 4-D for two.
for mode, p, shape in [("constant", [1, 2, 0, 1], (1, 2, 3, 4)), ("reflect", [2, 1], (2, 3, 4)),
                       ("replicate", [1, 2, 2, 0], (1, 2, 3, 4)), ("circular", [1, 2], (2, 3, 4))]:
    x = randn(*shape)
    args = {"pad": p, "mode": mode}
    if mode == "constant":
        args["value"] = 0.5
        case("pad constant", "pad", args, [x], lambda t: F.pad(t, p, mode="constant", value=0.5))
    else:
        case("pad " + mode, "pad", args, [x], lambda t, p=p, mode=mode: F.pad(t, p, mode=mode))
case("pad constant negative", "pad", {"pad": [-1, 2], "mode": "constant", "value": 0.0}, [randn(2, 4)], lambda t: F.pad(t, [-1, 2]))

# ---------------------------------------------------------------- ordering and scans
case("sort descending", "sort", {"dim": 1, "descending": True}, [randn(3, 5)], lambda x: torch.sort(x, dim=1, descending=True))
case("sort dim 0", "sort", {"dim": 0}, [randn(4, 3)], lambda x: torch.sort(x, dim=0))
case("topk", "topk", {"k": 3}, [randn(2, 6)], lambda x: torch.topk(x, 3))
case("topk smallest dim 0", "topk", {"k": 2, "dim": 0, "largest": False}, [randn(5, 3)], lambda x: torch.topk(x, 2, dim=0, largest=False))
case("argsort", "argsort", {"dim": -1}, [randn(3, 5)], lambda x: torch.argsort(x, dim=-1))
case("cumsum", "cumsum", {"dim": 1}, [randn(3, 4)], lambda x: torch.cumsum(x, 1))
case("cumprod", "cumprod", {"dim": 0}, [randn(4, 3)], lambda x: torch.cumprod(x, 0))

# ---------------------------------------------------------------- scatter, gather-like, einsum
case("scatter", "scatter", {"dim": 1}, [randn(3, 5), ints([[0, 3], [4, 1], [2, 0]]), randn(3, 2)], lambda x, i, s: x.scatter(1, i, s))
case("scatterAdd", "scatterAdd", {"dim": 0}, [randn(3, 4), ints([[0, 1, 2, 0], [2, 2, 1, 0]]), randn(2, 4)], lambda x, i, s: x.scatter_add(0, i, s))
case("indexAdd", "indexAdd", {"dim": 1, "alpha": 0.5}, [randn(2, 4), ints([3, 0, 3]), randn(2, 3)], lambda x, i, s: x.index_add(1, i, s, alpha=0.5))
case("oneHot", "oneHot", {"numClasses": 4}, [ints([[0, 3], [1, 1]])], lambda i: F.one_hot(i, 4))
case("einsum matmul", "einsum", {"equation": "ij,jk->ik"}, [randn(2, 3), randn(3, 4)], lambda a, b: torch.einsum("ij,jk->ik", a, b))
case("einsum attention", "einsum", {"equation": "bhqd,bhkd->bhqk"}, [randn(2, 2, 3, 4), randn(2, 2, 5, 4)], lambda a, b: torch.einsum("bhqd,bhkd->bhqk", a, b))
case("einsum diagonal", "einsum", {"equation": "ii->i"}, [randn(3, 3)], lambda a: torch.einsum("ii->i", a))
case("einsum implicit outer", "einsum", {"equation": "i,j"}, [randn(3), randn(2)], lambda a, b: torch.einsum("i,j", a, b))
case("einsum ellipsis", "einsum", {"equation": "...ij,...jk->...ik"}, [randn(2, 3, 4), randn(4, 2)], lambda a, b: torch.einsum("...ij,...jk->...ik", a, b))
case("einsum three", "einsum", {"equation": "ijk,jl,kl->i"}, [randn(2, 3, 4), randn(3, 2), randn(4, 2)], lambda a, b, c: torch.einsum("ijk,jl,kl->i", a, b, c))

# ---------------------------------------------------------------- norms
case("groupNorm", "groupNorm", {"numGroups": 2, "eps": 1e-5}, [randn(3, 4, 5), randn(4), randn(4)],
     lambda x, w, b: F.group_norm(x, 2, w, b, 1e-5))
case("groupNorm 2d no affine", "groupNorm", {"numGroups": 3, "eps": 1e-3}, [randn(2, 6, 2, 3)], lambda x: F.group_norm(x, 3, eps=1e-3))
case("rmsNorm", "rmsNorm", {"normalizedShape": [5], "eps": 1e-6}, [randn(2, 3, 5), randn(5)],
     lambda x, w: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w)
case("rmsNorm two dims default eps", "rmsNorm", {"normalizedShape": [3, 4], "eps": None}, [randn(2, 3, 4)],
     lambda x: x * torch.rsqrt(x.pow(2).mean((-2, -1), keepdim=True) + torch.finfo(torch.float32).eps))

# ---------------------------------------------------------------- losses
for reduction in ["mean", "sum", "none"]:
    case("huberLoss " + reduction, "huberLoss", {"reduction": reduction, "delta": 0.8}, [randn(3, 4), randn(3, 4)],
         lambda x, t, r=reduction: F.huber_loss(x, t, reduction=r, delta=0.8))
    case("smoothL1Loss " + reduction, "smoothL1Loss", {"reduction": reduction, "beta": 0.5}, [randn(3, 4), randn(3, 4)],
         lambda x, t, r=reduction: F.smooth_l1_loss(x, t, reduction=r, beta=0.5))
for reduction in ["mean", "batchmean", "sum", "none"]:
    logp = F.log_softmax(randn(3, 5), 1)
    target = F.softmax(randn(3, 5), 1)
    target[0, 2] = 0.0
    case("klDiv " + reduction, "klDiv", {"reduction": reduction, "logTarget": False}, [logp, target],
         lambda x, t, r=reduction: F.kl_div(x, t, reduction=r))
case("klDiv logTarget", "klDiv", {"reduction": "batchmean", "logTarget": True}, [F.log_softmax(randn(2, 4), 1), F.log_softmax(randn(2, 4), 1)],
     lambda x, t: F.kl_div(x, t, reduction="batchmean", log_target=True))

# ---------------------------------------------------------------- hardtanh, relu6 (last: their gradOut draws must not shift the cases above)
# The inputs hit the bounds exactly, where PyTorch's gradient is 0 (clamp's is 1).
edges = torch.tensor([-3.0, -1.0, -0.5, 0.0, 0.25, 1.0, 2.0, 5.5, 6.0, 7.0])
case("hardtanh", "hardtanh", {}, [edges], F.hardtanh)
case("hardtanh bounds", "hardtanh", {"minVal": -0.5, "maxVal": 2.0}, [edges], lambda x: F.hardtanh(x, -0.5, 2.0))
case("relu6", "relu6", {}, [edges], F.relu6)
case("relu6 wide", "relu6", {}, [act * 1.5], F.relu6)

with open(OUT_PATH, "w") as f:
    json.dump(CASES, f)
print("wrote %d cases to %s" % (len(CASES), OUT_PATH))
