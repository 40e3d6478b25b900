"""Generate PyTorch reference traces for tests/optim.test.ts.

Rerun with:

    /usr/bin/python3 scripts/torch_optim_fixtures.py

(needs Debian's python3-torch; the pyenv python3 on PATH has no torch).
Writes tests/fixtures/torch-optim.json:

  "problem": the parameters A [3, 3] and C [2] (group 0) and B [5] (group 1), their starting
      values, and the loss sum((A u - t)^2) + sum(s (B - c)^2) + 0.1 sum(B^3). C never gets a
      gradient, so every optimizer must skip it.
  "optimizers": cases { name, optimizer, options, groups: [overrides of group 0, of group 1],
      float32 | float64: { grads: [step][A, B], params: [step][A, B, C] } }: five steps of
      zero_grad / backward / step; grads are recorded before each step (the test feeds them
      as .grad), params after it. Options use Tessera's camelCase names.
  "schedulers": cases { name, scheduler, options, optimizer, lrs: [epoch][group],
      momentum?: [epoch][group] (OneCycleLR's momentum or beta1) }, epoch 0 being the value
      after construction; each epoch calls optimizer.step() then scheduler.step().
"""
import json
import os

import torch

OUT_PATH = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch-optim.json")
STEPS = 5

TORCH_NAMES = {
    "weightDecay": "weight_decay",
    "lrDecay": "lr_decay",
    "initialAccumulatorValue": "initial_accumulator_value",
    "stepSize": "step_size",
    "tMax": "T_max",
    "etaMin": "eta_min",
    "startFactor": "start_factor",
    "endFactor": "end_factor",
    "totalIters": "total_iters",
    "maxLr": "max_lr",
    "totalSteps": "total_steps",
    "stepsPerEpoch": "steps_per_epoch",
    "pctStart": "pct_start",
    "annealStrategy": "anneal_strategy",
    "threePhase": "three_phase",
}


def torch_kwargs(options):
    return {TORCH_NAMES.get(k, k): tuple(v) if k == "betas" else v for k, v in options.items()}


gen = torch.Generator().manual_seed(0)
PROBLEM = {
    name: torch.randn(*shape, generator=gen, dtype=torch.float64)
    for name, shape in [("A", (3, 3)), ("B", (5,)), ("C", (2,)), ("u", (3,)), ("t", (3,)), ("c", (5,))]
}
PROBLEM["s"] = torch.rand(5, generator=gen, dtype=torch.float64) + 0.5


def flat(x):
    return [float(v) for v in x.detach().reshape(-1).tolist()]


def trace(optimizer, options, groups, dtype):
    A, B, C = (PROBLEM[n].to(dtype).clone().requires_grad_(True) for n in "ABC")
    u, t, c, s = (PROBLEM[n].to(dtype) for n in "utcs")
    param_groups = [
        {"params": [A, C], **torch_kwargs(groups[0])},
        {"params": [B], **torch_kwargs(groups[1])},
    ]
    opt = getattr(torch.optim, optimizer)(param_groups, **torch_kwargs(options))
    grads, params = [], []
    for _ in range(STEPS):
        opt.zero_grad(set_to_none=True)
        loss = ((A @ u - t) ** 2).sum() + (s * (B - c) ** 2).sum() + 0.1 * (B ** 3).sum()
        loss.backward()
        grads.append([flat(A.grad), flat(B.grad)])
        opt.step()
        params.append([flat(A), flat(B), flat(C)])
        assert C.grad is None
    return {"grads": grads, "params": params}


OPTIMIZER_CASES = [
    ("SGD plain", "SGD", {"lr": 0.05}, [{}, {"lr": 0.02}]),
    ("SGD momentum", "SGD", {"lr": 0.05, "momentum": 0.9}, [{}, {"lr": 0.02}]),
    ("SGD momentum + dampening", "SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}, [{}, {"lr": 0.02}]),
    ("SGD nesterov", "SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}, [{}, {"lr": 0.02, "momentum": 0.5}]),
    ("SGD weightDecay", "SGD", {"lr": 0.05, "weightDecay": 0.1}, [{}, {"lr": 0.02}]),
    ("SGD maximize", "SGD", {"lr": 0.01, "maximize": True}, [{}, {"lr": 0.005}]),
    ("SGD everything", "SGD", {"lr": 0.05, "momentum": 0.9, "weightDecay": 0.05, "nesterov": True, "maximize": True}, [{}, {"lr": 0.01}]),
    ("SGD lr only in groups", "SGD", {"momentum": 0.5}, [{"lr": 0.04}, {"lr": 0.02}]),
    ("Adam defaults", "Adam", {"lr": 0.01}, [{}, {"lr": 0.005}]),
    ("Adam amsgrad", "Adam", {"lr": 0.05, "betas": [0.8, 0.9], "amsgrad": True}, [{}, {"lr": 0.02}]),
    ("Adam weightDecay", "Adam", {"lr": 0.01, "weightDecay": 0.1}, [{}, {"lr": 0.005}]),
    ("Adam maximize", "Adam", {"lr": 0.01, "maximize": True}, [{}, {"lr": 0.005}]),
    ("Adam betas + eps", "Adam", {"lr": 0.02, "betas": [0.5, 0.6], "eps": 1e-3}, [{}, {"lr": 0.01, "betas": [0.7, 0.99]}]),
    ("Adam everything", "Adam", {"lr": 0.03, "betas": [0.85, 0.95], "weightDecay": 0.2, "amsgrad": True, "maximize": True}, [{}, {"lr": 0.01}]),
    ("AdamW defaults", "AdamW", {"lr": 0.01}, [{}, {"lr": 0.005}]),
    ("AdamW weightDecay + amsgrad", "AdamW", {"lr": 0.05, "weightDecay": 0.5, "betas": [0.8, 0.9], "amsgrad": True}, [{}, {"lr": 0.02, "weightDecay": 0.1}]),
    ("AdamW maximize", "AdamW", {"lr": 0.01, "maximize": True, "weightDecay": 0.1}, [{}, {"lr": 0.005}]),
    ("RMSprop defaults", "RMSprop", {"lr": 0.01}, [{}, {"lr": 0.005}]),
    ("RMSprop momentum", "RMSprop", {"lr": 0.01, "momentum": 0.9}, [{}, {"lr": 0.005}]),
    ("RMSprop centered", "RMSprop", {"lr": 0.01, "centered": True, "alpha": 0.9}, [{}, {"lr": 0.005}]),
    ("RMSprop centered + momentum + weightDecay", "RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weightDecay": 0.1}, [{}, {"lr": 0.005, "alpha": 0.8}]),
    ("RMSprop eps + maximize", "RMSprop", {"lr": 0.01, "eps": 1e-2, "maximize": True}, [{}, {"lr": 0.005}]),
    ("Adagrad defaults", "Adagrad", {"lr": 0.1}, [{}, {"lr": 0.05}]),
    ("Adagrad lrDecay", "Adagrad", {"lr": 0.1, "lrDecay": 0.5}, [{}, {"lr": 0.05}]),
    ("Adagrad initialAccumulatorValue", "Adagrad", {"lr": 0.1, "initialAccumulatorValue": 0.5}, [{}, {"lr": 0.05}]),
    ("Adagrad weightDecay + eps + maximize", "Adagrad", {"lr": 0.1, "weightDecay": 0.1, "eps": 1e-3, "maximize": True}, [{}, {"lr": 0.05, "lrDecay": 0.1}]),
]


def scheduler_case(name, scheduler, options, optimizer, opt_options, lrs, epochs):
    params = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, lrs)]
    opt = getattr(torch.optim, optimizer)(groups, **torch_kwargs(opt_options))
    sched = getattr(torch.optim.lr_scheduler, scheduler)(opt, **torch_kwargs(options))
    momentum_key = "betas" if "betas" in opt.defaults else "momentum"
    record_momentum = scheduler == "OneCycleLR"

    def momentum():
        return [g["betas"][0] if momentum_key == "betas" else g["momentum"] for g in opt.param_groups]

    out_lrs, out_momentum = [sched.get_last_lr()], [momentum()]
    for _ in range(epochs):
        opt.step()
        sched.step()
        out_lrs.append(sched.get_last_lr())
        out_momentum.append(momentum())
    case = {"name": name, "scheduler": scheduler, "options": options, "optimizer": optimizer,
            "optimizerOptions": opt_options, "groupLrs": lrs, "lrs": out_lrs}
    if record_momentum:
        case["momentum"] = out_momentum
    return case


SCHEDULER_CASES = [
    ("StepLR stepSize 3, gamma 0.5", "StepLR", {"stepSize": 3, "gamma": 0.5}, "SGD", {"momentum": 0.9}, [0.1, 0.05], 20),
    ("StepLR default gamma", "StepLR", {"stepSize": 5}, "SGD", {}, [0.1, 0.05], 20),
    ("CosineAnnealingLR past tMax", "CosineAnnealingLR", {"tMax": 8, "etaMin": 0.001}, "SGD", {}, [0.1, 0.05], 20),
    ("CosineAnnealingLR default etaMin", "CosineAnnealingLR", {"tMax": 20}, "Adam", {}, [0.01, 0.003], 20),
    ("LinearLR defaults", "LinearLR", {}, "SGD", {}, [0.1, 0.05], 20),
    ("LinearLR custom", "LinearLR", {"startFactor": 0.25, "endFactor": 0.75, "totalIters": 8}, "SGD", {}, [0.1, 0.05], 20),
    ("OneCycleLR defaults (SGD momentum)", "OneCycleLR", {"maxLr": 0.1, "totalSteps": 20}, "SGD", {"momentum": 0.9}, [0.1, 0.05], 20),
    ("OneCycleLR Adam betas, per-group maxLr, linear", "OneCycleLR", {"maxLr": [0.01, 0.02], "epochs": 4, "stepsPerEpoch": 5, "annealStrategy": "linear"}, "Adam", {}, [0.001, 0.001], 20),
    ("OneCycleLR threePhase", "OneCycleLR", {"maxLr": 0.1, "totalSteps": 20, "threePhase": True, "pctStart": 0.25}, "SGD", {"momentum": 0.9}, [0.1, 0.05], 20),
]


def main():
    problem = {
        "init": {n: flat(PROBLEM[n]) for n in "ABC"},
        "shapes": {"A": [3, 3], "B": [5], "C": [2]},
    }
    optimizers = []
    for name, optimizer, options, groups in OPTIMIZER_CASES:
        case = {"name": name, "optimizer": optimizer, "options": options, "groups": groups}
        for dtype_name, dtype in [("float32", torch.float32), ("float64", torch.float64)]:
            case[dtype_name] = trace(optimizer, options, groups, dtype)
        optimizers.append(case)
    schedulers = [scheduler_case(*c) for c in SCHEDULER_CASES]
    with open(OUT_PATH, "w") as f:
        json.dump({"problem": problem, "optimizers": optimizers, "schedulers": schedulers}, f)
        f.write("\n")
    print(f"wrote {len(optimizers)} optimizer traces and {len(schedulers)} schedules to {os.path.relpath(OUT_PATH)}")


if __name__ == "__main__":
    main()
