"""Generate PyTorch reference values for tests/torch-reference.test.ts.

Rerun with:

    /usr/bin/python3 scripts/torch_fixtures.py

(needs Debian's python3-torch; the pyenv python3 on PATH has no torch).
Writes tests/fixtures/torch-ops.json: a list of cases

    { "name", "op", "args", "inputs": [{shape, data, requiresGrad, dtype?}],
      "out": {shape, data, dtype?} | [ {...}, ... ],
      "gradOut": {shape, data} | [ {...} | null, ... ] | null,
      "grads": [ {shape, data} | null per input ] }

Conventions (mirrored by the OPS table in the test):
  * float32 everywhere; index tensors carry "dtype": "int32" and int data.
  * Single output: scalar outputs call out.backward(); others call
    out.backward(gradOut) with a seeded random gradOut.
  * Multiple outputs (max/min over a dim, split, chunk): "out" and "gradOut"
    are lists; the loss is sum_i sum(out[i] * gradOut[i]) over the entries
    whose gradOut is not null (indices get null), then loss.backward().
  * Inputs are chosen away from kinks: positive for log/sqrt/rsqrt/pow,
    away from 0 for relu/abs, away from clamp bounds and from ties.
"""
import json
import os

import numpy as np
import torch

torch.manual_seed(0)
OUT_PATH = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch-ops.json")


# ---------------------------------------------------------------- inputs


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def positive(*shape):
    """Uniform in [0.5, 2.0): safe for log / sqrt / rsqrt / pow."""
    return torch.rand(*shape, dtype=torch.float32) * 1.5 + 0.5


def away_from(*shape, points=(0.0,), margin=0.1):
    """randn, resampled until every entry is at least `margin` from each point."""
    x = randn(*shape)
    while any(bool(((x - p).abs() < margin).any()) for p in points):
        bad = torch.zeros(x.shape, dtype=torch.bool)
        for p in points:
            bad |= (x - p).abs() < margin
        x = torch.where(bad, randn(*shape), x)
    return x


def distinct_pair(shape_a, shape_b, margin=0.1):
    """Two randn tensors whose broadcast difference stays >= margin (no ties)."""
    while True:
        a, b = randn(*shape_a), randn(*shape_b)
        if bool(((a - b).abs() >= margin).all()):
            return a, b


def idx(values):
    return torch.tensor(values, dtype=torch.int64)


# ---------------------------------------------------------------- serialisation


def f32(v):
    """Shortest decimal that round-trips the float32 value."""
    return float(repr(np.float32(v)))


def enc(t):
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()], "dtype": "int32"}
    return {"shape": list(t.shape), "data": [f32(v) for v in t.reshape(-1).tolist()]}


CASES = []


def case(name, op, fn, inputs, args=None, grad=None):
    """Run fn(*inputs) in torch and record forward values and input grads.

    grad: per-input requiresGrad flags (default: float inputs require grad).
    """
    if grad is None:
        grad = [t.is_floating_point() for t in inputs]
    leaves = [t.clone().requires_grad_(g) for t, g in zip(inputs, grad)]
    out = fn(*leaves)
    multi = isinstance(out, (tuple, list))
    outs = list(out) if multi else [out]
    differentiable = [o.is_floating_point() and o.requires_grad for o in outs]
    grad_out = None
    if any(grad):
        if not multi and out.dim() == 0:
            out.backward()
        else:
            gs = [randn(*o.shape) if d else None for o, d in zip(outs, differentiable)]
            loss = sum((o * g).sum() for o, g in zip(outs, gs) if g is not None)
            loss.backward()
            grad_out = [None if g is None else enc(g) for g in gs] if multi else enc(gs[0])
    CASES.append({
        "name": name,
        "op": op,
        "args": args or {},
        "inputs": [dict(enc(t), requiresGrad=g) for t, g in zip(inputs, grad)],
        "out": [enc(o) for o in outs] if multi else enc(out),
        "gradOut": grad_out,
        "grads": [enc(l.grad) if g and l.grad is not None else None for l, g in zip(leaves, grad)],
    })


# ---------------------------------------------------------------- elementwise binary

BINARY = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}
for op, f in BINARY.items():
    case(f"{op} [2,3]+[2,3]", op, f, [randn(2, 3), randn(2, 3)])
    case(f"{op} [2,3]+[3]", op, f, [randn(2, 3), randn(3)])
    case(f"{op} [2,1,4]+[3,1]", op, f, [randn(2, 1, 4), randn(3, 1)])
    case(f"{op} [3]+[2,3] (broadcast lhs)", op, f, [randn(3), randn(2, 3)])
    case(f"{op} [2,3]+scalar", op, lambda a, s=-1.75: f(a, s), [randn(2, 3)], {"other": -1.75})
# div by values bounded away from zero
case("div [2,3]/[2,3] positive denominator", "div", torch.div, [randn(2, 3), positive(2, 3)])

case("pow [2,3]**[2,3]", "pow", torch.pow, [positive(2, 3), randn(2, 3)])
case("pow [2,1,4]**[3,1]", "pow", torch.pow, [positive(2, 1, 4), randn(3, 1)])
for e in (2.0, 0.5, -1.5, 3.0):
    case(f"pow [2,3]**{e}", "pow", lambda a, e=e: a.pow(e), [positive(2, 3)], {"exponent": e})

# ---------------------------------------------------------------- elementwise unary

UNARY = {
    "neg": (torch.neg, randn), "exp": (torch.exp, randn), "sin": (torch.sin, randn),
    "cos": (torch.cos, randn), "tanh": (torch.tanh, randn), "sigmoid": (torch.sigmoid, randn),
    "gelu": (torch.nn.functional.gelu, randn),
    "log": (torch.log, positive), "sqrt": (torch.sqrt, positive), "rsqrt": (torch.rsqrt, positive),
    "abs": (torch.abs, away_from), "relu": (torch.relu, away_from),
}
for op, (f, gen) in UNARY.items():
    case(f"{op} [2,3]", op, f, [gen(2, 3)])
    case(f"{op} [2,3,4]", op, f, [gen(2, 3, 4)])

case("clamp min=-0.5 max=0.5", "clamp", lambda a: a.clamp(-0.5, 0.5),
     [away_from(3, 4, points=(-0.5, 0.5))], {"min": -0.5, "max": 0.5})
case("clamp min=0.2", "clamp", lambda a: a.clamp(min=0.2),
     [away_from(3, 4, points=(0.2,))], {"min": 0.2})
case("clamp max=-0.3", "clamp", lambda a: a.clamp(max=-0.3),
     [away_from(3, 4, points=(-0.3,))], {"max": -0.3})

for op, f in {"maximum": torch.maximum, "minimum": torch.minimum}.items():
    case(f"{op} [2,3],[2,3]", op, f, list(distinct_pair((2, 3), (2, 3))))
    case(f"{op} [2,3],[3]", op, f, list(distinct_pair((2, 3), (3,))))
    case(f"{op} [2,1,4],[3,1]", op, f, list(distinct_pair((2, 1, 4), (3, 1))))
    case(f"{op} [2,3],scalar", op, lambda a, f=f: f(a, torch.tensor(0.25)),
         [away_from(2, 3, points=(0.25,))], {"other": 0.25})

# the same tensor used twice: its gradient must accumulate both paths
case("mul x*x (same tensor twice)", "mulSelf", lambda a: a * a, [randn(2, 3)])

# where(x > 0, a, b): x only feeds the condition (no grad)
where = lambda x, a, b: torch.where(x > 0, a, b)
case("where [2,3]", "where", where, [away_from(2, 3), randn(2, 3), randn(2, 3)], grad=[False, True, True])
case("where broadcast cond[2,3] a[3] b[2,1]", "where", where,
     [away_from(2, 3), randn(3), randn(2, 1)], grad=[False, True, True])
case("where broadcast cond[2,1,4] a[3,1] b[4]", "where", where,
     [away_from(2, 1, 4), randn(3, 1), randn(4)], grad=[False, True, True])

# ---------------------------------------------------------------- matmul

mm = torch.matmul
case("matmul 1-D.1-D", "matmul", mm, [randn(4), randn(4)])
case("matmul 2-D.1-D", "matmul", mm, [randn(3, 4), randn(4)])
case("matmul 1-D.2-D", "matmul", mm, [randn(4), randn(4, 3)])
case("matmul 2-D.2-D", "matmul", mm, [randn(3, 4), randn(4, 5)])
case("matmul 3-D.3-D batched", "matmul", mm, [randn(2, 3, 4), randn(2, 4, 5)])
case("matmul 3-D.2-D", "matmul", mm, [randn(2, 3, 4), randn(4, 2)])
case("matmul broadcast batch [2,1,3,4].[5,4,2]", "matmul", mm, [randn(2, 1, 3, 4), randn(5, 4, 2)])
case("bmm [2,3,4].[2,4,5]", "bmm", torch.bmm, [randn(2, 3, 4), randn(2, 4, 5)])
# non-contiguous operand: a.transpose(0, 1) @ b
case("matmul transposed lhs a.T.b", "transposeMatmul", lambda a, b: a.transpose(0, 1) @ b,
     [randn(4, 3), randn(4, 5)])

# ---------------------------------------------------------------- reductions

for op in ("sum", "mean"):
    f = getattr(torch, op)
    case(f"{op} all", op, f, [randn(3, 4)])
    case(f"{op} dim=0", op, lambda a, f=f: f(a, 0), [randn(3, 4)], {"dim": 0})
    case(f"{op} dim=1 [2,3,4]", op, lambda a, f=f: f(a, 1), [randn(2, 3, 4)], {"dim": 1})
    case(f"{op} dim=-1", op, lambda a, f=f: f(a, -1), [randn(2, 3, 4)], {"dim": -1})
    case(f"{op} dim=1 keepdim", op, lambda a, f=f: f(a, 1, keepdim=True), [randn(2, 3, 4)], {"dim": 1, "keepdim": True})
    case(f"{op} dims=[0,2]", op, lambda a, f=f: f(a, [0, 2]), [randn(2, 3, 4)], {"dim": [0, 2]})
    case(f"{op} dims=[0,-1] keepdim", op, lambda a, f=f: f(a, [0, -1], keepdim=True),
         [randn(2, 3, 4)], {"dim": [0, -1], "keepdim": True})

for op in ("var", "std"):
    f = getattr(torch, op)
    case(f"{op} all", op, f, [randn(3, 4)])
    case(f"{op} all unbiased=False", op, lambda a, f=f: f(a, unbiased=False), [randn(3, 4)], {"correction": 0})
    case(f"{op} dim=0", op, lambda a, f=f: f(a, 0), [randn(3, 4)], {"dim": 0})
    case(f"{op} dim=-1 unbiased=False", op, lambda a, f=f: f(a, -1, unbiased=False),
         [randn(2, 3, 4)], {"dim": -1, "correction": 0})
    case(f"{op} dim=1 keepdim", op, lambda a, f=f: f(a, 1, keepdim=True), [randn(2, 3, 4)], {"dim": 1, "keepdim": True})
    case(f"{op} dims=[0,2]", op, lambda a, f=f: f(a, [0, 2]), [randn(2, 3, 4)], {"dim": [0, 2]})

for op in ("max", "min"):
    f = getattr(torch, op)
    case(f"{op} all", op, f, [randn(3, 4)])
    case(f"{op} dim=1", op, lambda a, f=f: tuple(f(a, 1)), [randn(3, 4)], {"dim": 1})
    case(f"{op} dim=0 keepdim", op, lambda a, f=f: tuple(f(a, 0, keepdim=True)), [randn(3, 4)], {"dim": 0, "keepdim": True})
    case(f"{op} dim=-1 [2,3,4]", op, lambda a, f=f: tuple(f(a, -1)), [randn(2, 3, 4)], {"dim": -1})

for op in ("argmax", "argmin"):
    f = getattr(torch, op)
    case(f"{op} all", op, f, [randn(3, 4)], grad=[False])
    case(f"{op} dim=1", op, lambda a, f=f: f(a, 1), [randn(3, 4)], {"dim": 1}, grad=[False])
    case(f"{op} dim=0 keepdim", op, lambda a, f=f: f(a, 0, keepdim=True), [randn(3, 4)],
         {"dim": 0, "keepdim": True}, grad=[False])
    case(f"{op} dim=-1 [2,3,4]", op, lambda a, f=f: f(a, -1), [randn(2, 3, 4)], {"dim": -1}, grad=[False])

for op, f in {"softmax": torch.softmax, "logSoftmax": torch.log_softmax}.items():
    for d in (0, 1, -1):
        case(f"{op} dim={d}", op, lambda a, d=d, f=f: f(a, d), [randn(3, 4)], {"dim": d})
    case(f"{op} dim=1 [2,3,4]", op, lambda a, f=f: f(a, 1), [randn(2, 3, 4)], {"dim": 1})
for d in (0, 1, -1):
    case(f"logsumexp dim={d}", "logsumexp", lambda a, d=d: torch.logsumexp(a, d), [randn(3, 4)], {"dim": d})
case("logsumexp dim=1 keepdim", "logsumexp", lambda a: torch.logsumexp(a, 1, keepdim=True),
     [randn(2, 3, 4)], {"dim": 1, "keepdim": True})
case("logsumexp large values", "logsumexp", lambda a: torch.logsumexp(a, 1),
     [randn(3, 4) * 10 + 80], {"dim": 1})
case("softmax large values", "softmax", lambda a: torch.softmax(a, 1), [randn(3, 4) * 10 + 80], {"dim": 1})

# ---------------------------------------------------------------- shapes & indexing

case("reshape [2,3,4]->[4,6]", "reshape", lambda a: a.reshape(4, 6), [randn(2, 3, 4)], {"shape": [4, 6]})
case("reshape [2,3,4]->[-1,2]", "reshape", lambda a: a.reshape(-1, 2), [randn(2, 3, 4)], {"shape": [-1, 2]})
case("view [2,3,4]->[6,4]", "view", lambda a: a.view(6, 4), [randn(2, 3, 4)], {"shape": [6, 4]})
case("flatten", "flatten", torch.flatten, [randn(2, 3, 4)])
case("flatten startDim=1", "flatten", lambda a: a.flatten(1), [randn(2, 3, 4)], {"startDim": 1})
case("flatten 0..1 of [2,3,4,1]", "flatten", lambda a: a.flatten(0, 1), [randn(2, 3, 4, 1)], {"startDim": 0, "endDim": 1})
case("squeeze all", "squeeze", torch.squeeze, [randn(2, 1, 3, 1)])
case("squeeze dim=1", "squeeze", lambda a: a.squeeze(1), [randn(2, 1, 3, 1)], {"dim": 1})
case("squeeze dim=0 (size 2: no-op)", "squeeze", lambda a: a.squeeze(0), [randn(2, 1, 3)], {"dim": 0})
case("unsqueeze dim=0", "unsqueeze", lambda a: a.unsqueeze(0), [randn(2, 3)], {"dim": 0})
case("unsqueeze dim=-1", "unsqueeze", lambda a: a.unsqueeze(-1), [randn(2, 3)], {"dim": -1})
case("unsqueeze dim=1", "unsqueeze", lambda a: a.unsqueeze(1), [randn(2, 3)], {"dim": 1})
case("transpose 0,1", "transpose", lambda a: a.transpose(0, 1), [randn(2, 3)], {"dim0": 0, "dim1": 1})
case("transpose 0,2 [2,3,4]", "transpose", lambda a: a.transpose(0, 2), [randn(2, 3, 4)], {"dim0": 0, "dim1": 2})
case("transpose -1,-2", "transpose", lambda a: a.transpose(-1, -2), [randn(2, 3, 4)], {"dim0": -1, "dim1": -2})
case("permute 2,0,1", "permute", lambda a: a.permute(2, 0, 1), [randn(2, 3, 4)], {"dims": [2, 0, 1]})
case("permute 1,2,0", "permute", lambda a: a.permute(1, 2, 0), [randn(2, 3, 4)], {"dims": [1, 2, 0]})
case("expand [3,1]->[2,3,4]", "expand", lambda a: a.expand(2, 3, 4), [randn(3, 1)], {"sizes": [2, 3, 4]})
case("expand [1,4]->[3,-1]", "expand", lambda a: a.expand(3, -1), [randn(1, 4)], {"sizes": [3, -1]})
case("contiguous of transpose", "contiguous", lambda a: a.transpose(0, 1).contiguous(), [randn(3, 4)],
     {"preTranspose": [0, 1]})
case("permute then reshape", "permuteReshape", lambda a: a.permute(2, 0, 1).reshape(4, 6), [randn(2, 3, 4)],
     {"dims": [2, 0, 1], "shape": [4, 6]})
case("slice x[:, 1:5:2]", "slice", lambda a: a[:, 1:5:2], [randn(3, 6)], {"dim": 1, "start": 1, "end": 5, "step": 2})
case("slice x[1:3]", "slice", lambda a: a[1:3], [randn(4, 5)], {"dim": 0, "start": 1, "end": 3, "step": 1})
case("slice x[:, :, 0:6:3] then sum(-1)", "sliceSum", lambda a: a[:, :, 0:6:3].sum(-1), [randn(2, 3, 6)],
     {"dim": 2, "start": 0, "end": 6, "step": 3})
case("slice x[:, -3:] (negative start, open end)", "slice", lambda a: a[:, -3:], [randn(3, 5)],
     {"dim": 1, "start": -3, "end": None, "step": 1})
case("slice x[1:100] (end clamped)", "slice", lambda a: a[1:100], [randn(3, 4)], {"dim": 0, "start": 1, "end": 100, "step": 1})
case("select x[:, 2]", "select", lambda a: a[:, 2], [randn(3, 4)], {"dim": 1, "index": 2})
case("select x[1]", "select", lambda a: a[1], [randn(3, 4, 2)], {"dim": 0, "index": 1})
case("select x[..., -1]", "select", lambda a: a.select(-1, -1), [randn(3, 4)], {"dim": -1, "index": -1})

case("cat dim=0", "cat", lambda a, b: torch.cat([a, b], 0), [randn(2, 3), randn(4, 3)], {"dim": 0})
case("cat dim=1 three", "cat", lambda a, b, c: torch.cat([a, b, c], 1), [randn(2, 1), randn(2, 3), randn(2, 2)], {"dim": 1})
case("cat dim=-1 3-D", "cat", lambda a, b: torch.cat([a, b], -1), [randn(2, 3, 2), randn(2, 3, 4)], {"dim": -1})
case("stack dim=0", "stack", lambda a, b: torch.stack([a, b], 0), [randn(2, 3), randn(2, 3)], {"dim": 0})
case("stack dim=1 three", "stack", lambda a, b, c: torch.stack([a, b, c], 1), [randn(2, 3), randn(2, 3), randn(2, 3)], {"dim": 1})
case("stack dim=-1", "stack", lambda a, b: torch.stack([a, b], -1), [randn(2, 3), randn(2, 3)], {"dim": -1})
case("split size=2 of 5", "split", lambda a: tuple(torch.split(a, 2, 0)), [randn(5, 3)], {"sizeOrSections": 2, "dim": 0})
case("split sections [1,3,2] dim=1", "split", lambda a: tuple(torch.split(a, [1, 3, 2], 1)), [randn(2, 6)],
     {"sizeOrSections": [1, 3, 2], "dim": 1})
case("chunk 3 of 5", "chunk", lambda a: tuple(torch.chunk(a, 3, 0)), [randn(5, 2)], {"chunks": 3, "dim": 0})
case("chunk 4 of 6 (gives 3 pieces)", "chunk", lambda a: tuple(torch.chunk(a, 4, 1)), [randn(2, 6)], {"chunks": 4, "dim": 1})
case("chunk 2 dim=-1", "chunk", lambda a: tuple(torch.chunk(a, 2, -1)), [randn(2, 3, 4)], {"chunks": 2, "dim": -1})

case("indexSelect dim=0 repeated", "indexSelect", lambda a, i: torch.index_select(a, 0, i),
     [randn(4, 3), idx([2, 0, 2, 3])], {"dim": 0})
case("indexSelect dim=1", "indexSelect", lambda a, i: torch.index_select(a, 1, i),
     [randn(2, 5), idx([4, 1])], {"dim": 1})
case("indexSelect dim=-1 3-D", "indexSelect", lambda a, i: torch.index_select(a, -1, i),
     [randn(2, 3, 4), idx([3, 3, 0])], {"dim": -1})
case("gather dim=1", "gather", lambda a, i: torch.gather(a, 1, i),
     [randn(3, 4), idx([[0, 3], [1, 1], [2, 0]])], {"dim": 1})
case("gather dim=0 repeated", "gather", lambda a, i: torch.gather(a, 0, i),
     [randn(3, 4), idx([[0, 2, 2, 1], [0, 0, 1, 2]])], {"dim": 0})
case("gather dim=-1 3-D smaller index", "gather", lambda a, i: torch.gather(a, -1, i),
     [randn(2, 3, 4), idx([[[1], [3], [0]], [[2], [2], [1]]])], {"dim": -1})

# ---------------------------------------------------------------- write

os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
with open(OUT_PATH, "w") as fh:
    fh.write("[\n" + ",\n".join(json.dumps(c, separators=(",", ":")) for c in CASES) + "\n]\n")
print(f"wrote {len(CASES)} cases to {os.path.normpath(OUT_PATH)} ({os.path.getsize(OUT_PATH)} bytes)")
