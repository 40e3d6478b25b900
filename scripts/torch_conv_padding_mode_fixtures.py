"""Generate PyTorch 1.13's nn.Conv2d with each padding_mode for tests/conv-padding-mode.test.ts.

Rerun with:

    /usr/bin/python3 scripts/torch_conv_padding_mode_fixtures.py

Writes tests/fixtures/torch-conv-padding-mode.json: a list of cases {"name", "args" (Conv2d's
options in Tessera's names), "inChannels", "outChannels", "kernelSize", "weight", "bias", "input",
"gradOut", "out", "grads": {"input", "weight", "bias"}}, each tensor {"shape", "data"} in float32.
"""
import json
import os

import torch

OUT_PATH = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch-conv-padding-mode.json")


def rec(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


CASES = [
    # (name, in, out, kernel, torch kwargs, Tessera options)
    ("reflect, padding 1", 2, 3, 3, {"padding": 1, "padding_mode": "reflect"}, {"padding": 1, "paddingMode": "reflect"}),
    ("replicate, padding (1, 2), stride 2", 2, 3, 3, {"padding": (1, 2), "stride": 2, "padding_mode": "replicate"}, {"padding": [1, 2], "stride": 2, "paddingMode": "replicate"}),
    ("circular, padding 2, dilation 2", 2, 4, 3, {"padding": 2, "dilation": 2, "padding_mode": "circular"}, {"padding": 2, "dilation": 2, "paddingMode": "circular"}),
    ("reflect, padding 'same', kernel (2, 3)", 2, 3, (2, 3), {"padding": "same", "padding_mode": "reflect"}, {"padding": "same", "paddingMode": "reflect"}),
    ("circular, groups 2, no bias", 4, 4, 3, {"padding": 1, "groups": 2, "bias": False, "padding_mode": "circular"}, {"padding": 1, "groups": 2, "bias": False, "paddingMode": "circular"}),
    ("zeros, padding 1", 2, 3, 3, {"padding": 1, "padding_mode": "zeros"}, {"padding": 1, "paddingMode": "zeros"}),
]

torch.manual_seed(0)
cases = []
for name, cin, cout, k, kwargs, args in CASES:
    conv = torch.nn.Conv2d(cin, cout, k, **kwargs)
    x = torch.randn(2, cin, 5, 6, requires_grad=True)
    out = conv(x)
    g = torch.randn_like(out)
    out.backward(g)
    cases.append(
        {
            "name": name,
            "args": args,
            "inChannels": cin,
            "outChannels": cout,
            "kernelSize": list(k) if isinstance(k, tuple) else k,
            "weight": rec(conv.weight),
            "bias": rec(conv.bias) if conv.bias is not None else None,
            "input": rec(x),
            "gradOut": rec(g),
            "out": rec(out),
            "grads": {
                "input": rec(x.grad),
                "weight": rec(conv.weight.grad),
                "bias": rec(conv.bias.grad) if conv.bias is not None else None,
            },
        }
    )

with open(OUT_PATH, "w") as f:
    json.dump(cases, f)
print(f"wrote {len(cases)} cases to {OUT_PATH}")
