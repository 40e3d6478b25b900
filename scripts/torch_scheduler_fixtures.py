"""Reference lr sequences and state dicts of PyTorch's lr schedulers.

Rerun with Debian's torch 1.13: /usr/bin/python3 scripts/torch_scheduler_fixtures.py
Writes tests/fixtures/torch-schedulers.json (committed; the tests need no Python). Each case
names the scheduler and its Tessera options; `lrs` holds get_last_lr() of both param groups
after construction and after each of `steps` steps (ReduceLROnPlateau: step(metric) with the
case's `metrics`); `state` is state_dict() at the end, JSON-safe.
"""
import json
import math
import warnings

import torch
from torch.optim import SGD
from torch.optim import lr_scheduler as L

warnings.filterwarnings("ignore")
STEPS = 30


def optimizer():
    a = torch.nn.Parameter(torch.zeros(2))
    b = torch.nn.Parameter(torch.zeros(3))
    return SGD([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1, momentum=0.9)


def jsonable(v):
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if callable(v):
        return None
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def lambdas():
    return [lambda e: 0.9 ** e, lambda e: 1 / (1 + e)]


CASES = [
    ("ExponentialLR", {"gamma": 0.9}, lambda o: L.ExponentialLR(o, gamma=0.9)),
    ("MultiStepLR", {"milestones": [3, 7, 7, 12], "gamma": 0.5}, lambda o: L.MultiStepLR(o, milestones=[3, 7, 7, 12], gamma=0.5)),
    ("ConstantLR", {"factor": 0.25, "totalIters": 4}, lambda o: L.ConstantLR(o, factor=0.25, total_iters=4)),
    ("ConstantLR", {}, lambda o: L.ConstantLR(o)),
    ("PolynomialLR", {"totalIters": 10, "power": 2.0}, lambda o: L.PolynomialLR(o, total_iters=10, power=2.0)),
    ("PolynomialLR", {}, lambda o: L.PolynomialLR(o)),
    ("LambdaLR", {"lrLambda": "per-group"}, lambda o: L.LambdaLR(o, lr_lambda=lambdas())),
    ("CosineAnnealingWarmRestarts", {"t0": 5}, lambda o: L.CosineAnnealingWarmRestarts(o, T_0=5)),
    ("CosineAnnealingWarmRestarts", {"t0": 3, "tMult": 2, "etaMin": 0.001}, lambda o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001)),
    ("SequentialLR", {"schedulers": ["LinearLR", "ExponentialLR"], "milestones": [5]},
     lambda o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.1, total_iters=5), L.ExponentialLR(o, gamma=0.9)], milestones=[5])),
    ("SequentialLR", {"schedulers": ["ConstantLR", "CosineAnnealingLR", "StepLR"], "milestones": [3, 13]},
     lambda o: L.SequentialLR(o, [L.ConstantLR(o, factor=0.1, total_iters=3), L.CosineAnnealingLR(o, T_max=10), L.StepLR(o, step_size=4, gamma=0.5)], milestones=[3, 13])),
]

out = []
for name, options, make in CASES:
    o = optimizer()
    s = make(o)
    lrs = [s.get_last_lr()]
    for _ in range(STEPS):
        o.step()
        s.step()
        lrs.append(s.get_last_lr())
    out.append({"name": name, "options": options, "lrs": lrs, "state": jsonable(s.state_dict())})

# ReduceLROnPlateau: a loss that improves, stalls, improves a little, then stalls again.
metrics = [1.0, 0.8, 0.7, 0.7, 0.7, 0.7, 0.69999, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
for options, kwargs in [({"factor": 0.5, "patience": 2}, dict(factor=0.5, patience=2)),
                        ({"mode": "max", "factor": 0.5, "patience": 1, "thresholdMode": "abs", "threshold": 0.05, "cooldown": 2, "minLr": [0.02, 0.001]},
                         dict(mode="max", factor=0.5, patience=1, threshold_mode="abs", threshold=0.05, cooldown=2, min_lr=[0.02, 0.001]))]:
    o = optimizer()
    s = L.ReduceLROnPlateau(o, **kwargs)
    seq = metrics if options.get("mode") != "max" else [1 - m for m in metrics]
    lrs = []
    for m in seq:
        o.step()
        s.step(m)
        lrs.append(s._last_lr)
    out.append({"name": "ReduceLROnPlateau", "options": options, "metrics": seq, "lrs": lrs, "state": jsonable(s.state_dict())})

with open("tests/fixtures/torch-schedulers.json", "w") as f:
    json.dump({"torch": torch.__version__, "cases": out}, f, indent=1)
