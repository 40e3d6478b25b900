"""PyTorch side of the interop tests (tests/interop.test.ts): state dicts cross with no key map.

    /usr/bin/python3 scripts/torch_interop_fixtures.py            # writes the fixtures below
    /usr/bin/python3 scripts/torch_interop_fixtures.py check FILE # loads a Tessera-written file

(needs Debian's python3-torch, 1.13; the safetensors files are read and written with the
standard-library codec in scripts/safetensors_reader.py, since python3-safetensors is absent.)

Writes
  tests/fixtures/torch-resnet.safetensors  the state_dict of a small ResNet-style CNN with
      BatchNorm (trained 3 SGD steps so the running statistics are not their initial values),
      under PyTorch's keys verbatim (num_batches_tracked is I64, as PyTorch stores it);
  tests/fixtures/torch-interop.json  {"input", "eval_out"}: an input and the model's eval-mode
      output, and {"optimizers": {name: {"state": [keys], "param_groups": [keys]}},
      "schedulers": {name: [keys]}}: PyTorch's own state_dict keys after one step.

`check FILE` loads FILE (written by Tessera's save(model.stateDict())) into the same architecture
with strict=True, runs it in eval mode on the input in the file's __metadata__ ("input", JSON) and
exits 1 unless the output matches the "expected" output recorded there within 1e-5.
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_reader  # noqa: E402

HERE = os.path.dirname(__file__)
FIXTURES = os.path.join(HERE, "..", "tests", "fixtures")
DTYPES = {torch.float32: "F32", torch.int64: "I64", torch.int32: "I32"}
TORCH_DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32}


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class ResNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = nn.Sequential(Block(8, 8, 1), Block(8, 16, 2))
        self.fc_out = nn.Linear(16, 5)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer1(x)
        return self.fc_out(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def enc(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def write_state(path, state):
    tensors = {k: (DTYPES[v.dtype], list(v.shape), v.reshape(-1).tolist()) for k, v in state.items()}
    safetensors_reader.write(path, tensors, {"format": "pt", "written_by": "scripts/torch_interop_fixtures.py"})


def read_state(path):
    f = safetensors_reader.read(path)
    state = {k: torch.tensor(v["values"], dtype=TORCH_DTYPES[v["dtype"]]).reshape(v["shape"]) for k, v in f["tensors"].items()}
    return state, f["metadata"] or {}


def optimizer_keys():
    out = {}
    makers = {
        "SGD": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        "Adam": lambda p: torch.optim.Adam(p, amsgrad=True),
        "AdamW": lambda p: torch.optim.AdamW(p),
        "RMSprop": lambda p: torch.optim.RMSprop(p, momentum=0.9, centered=True),
        "Adagrad": lambda p: torch.optim.Adagrad(p, lr_decay=0.1),
    }
    for name, make in makers.items():
        p = torch.zeros(2, requires_grad=True)
        opt = make([p])
        p.grad = torch.ones(2)
        opt.step()
        sd = opt.state_dict()
        out[name] = {"top": list(sd.keys()), "state": sorted(sd["state"][0].keys()), "param_groups": sorted(sd["param_groups"][0].keys())}
    return out


def scheduler_keys():
    S = torch.optim.lr_scheduler
    makers = {
        "StepLR": lambda o: S.StepLR(o, step_size=3),
        "CosineAnnealingLR": lambda o: S.CosineAnnealingLR(o, T_max=10),
        "LinearLR": lambda o: S.LinearLR(o),
        "OneCycleLR": lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=10),
    }
    out = {}
    for name, make in makers.items():
        opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
        sched = make(opt)
        opt.step()
        sched.step()
        # anneal_func is a bound method (pickled by torch.save); it is not state a JSON file can hold.
        out[name] = sorted(k for k in sched.state_dict().keys() if k != "anneal_func")
    return out


def generate():
    torch.manual_seed(0)
    model = ResNetish()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        x = torch.randn(4, 3, 8, 8)
        loss = model(x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        out = model(x)
    write_state(os.path.join(FIXTURES, "torch-resnet.safetensors"), model.state_dict())
    fixture = {"input": enc(x), "eval_out": enc(out), "optimizers": optimizer_keys(), "schedulers": scheduler_keys()}
    with open(os.path.join(FIXTURES, "torch-interop.json"), "w") as f:
        json.dump(fixture, f)
    print("wrote torch-resnet.safetensors (%d tensors) and torch-interop.json" % len(model.state_dict()))


def check(path):
    state, metadata = read_state(path)
    model = ResNetish()
    model.load_state_dict(state, strict=True)
    model.eval()
    x = torch.tensor(json.loads(metadata["input"])["data"], dtype=torch.float32).reshape(json.loads(metadata["input"])["shape"])
    expected = torch.tensor(json.loads(metadata["expected"])["data"]).reshape(json.loads(metadata["expected"])["shape"])
    with torch.no_grad():
        out = model(x)
    diff = (out - expected).abs().max().item()
    print("loaded strictly into torch.nn.Module; max |torch - tessera| = %.3g" % diff)
    sys.exit(0 if diff < 1e-5 else 1)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        generate()
