"""Generate PyTorch reference values for tests/conv.test.ts.

Rerun with:

    /usr/bin/python3 scripts/torch_conv_fixtures.py

(needs Debian's python3-torch; the pyenv python3 on PATH has no torch).
Writes tests/fixtures/torch-conv.json: a list of cases

    { "name", "op": "conv2d" | "maxPool2d" | "avgPool2d" | "adaptiveAvgPool2d",
      "args": options in Tessera's spelling (camelCase, as the op takes them),
      "inputs": { "input", "weight"?, "bias"? }: {shape, data},
      "out": {shape, data}, "gradOut": {shape, data},
      "grads": { same keys as inputs }: {shape, data} }

The loss is sum(out * gradOut) with a seeded random gradOut, so grads are the
vector-Jacobian product of each op. float32 throughout; values are written
with 9 significant digits (exact for float32).
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
OUT_PATH = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch-conv.json")


def record(t):
    return {"shape": list(t.shape), "data": [float("%.9g" % v) for v in t.detach().reshape(-1).tolist()]}


def run(name, op, args, fn, **inputs):
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items() if v is not None}
    out = fn(**leaves)
    grad_out = torch.randn(out.shape)
    (out * grad_out).sum().backward()
    return {
        "name": name,
        "op": op,
        "args": args,
        "inputs": {k: record(v) for k, v in leaves.items()},
        "out": record(out),
        "gradOut": record(grad_out),
        "grads": {k: record(v.grad) for k, v in leaves.items()},
    }


def torch_padding(padding):
    return padding if isinstance(padding, str) else tuple(padding) if isinstance(padding, list) else padding


def conv_case(name, x_shape, w_shape, bias=True, stride=1, padding=0, dilation=1, groups=1):
    x = torch.randn(*x_shape)
    w = torch.randn(*w_shape) * 0.5
    b = torch.randn(w_shape[0]) if bias else None
    args = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}

    def fn(input, weight, bias=None):
        return F.conv2d(input, weight, bias, stride=stride, padding=torch_padding(padding), dilation=dilation, groups=groups)

    return run(name, "conv2d", args, fn, input=x, weight=w, bias=b)


cases = []

# The stride × padding × dilation grid on a grouped conv with a non-square kernel and input.
for stride in (1, 2):
    for padding in (0, 1, 2):
        for dilation in (1, 2):
            cases.append(conv_case(
                f"conv groups 2, kernel 3x2, input 5x6, stride {stride}, padding {padding}, dilation {dilation}",
                (2, 4, 5, 6), (6, 2, 3, 2), stride=stride, padding=padding, dilation=dilation, groups=2))

cases += [
    conv_case("conv groups 1, 3x3, padding 1, batch 1", (1, 3, 5, 5), (4, 3, 3, 3), padding=1),
    conv_case("conv groups 1, no bias, batch 3", (3, 2, 6, 5), (3, 2, 3, 3), bias=False),
    conv_case("conv depthwise (groups = channels = 4, multiplier 2)", (2, 4, 6, 6), (8, 1, 3, 3), padding=1, groups=4),
    conv_case("conv 1x1 (columns are the input itself)", (3, 4, 3, 5), (5, 4, 1, 1)),
    conv_case("conv 1x1 with stride 2", (2, 3, 5, 5), (2, 3, 1, 1), stride=2),
    conv_case("conv per-axis stride, padding, dilation", (2, 2, 9, 8), (3, 2, 2, 3), stride=[2, 1], padding=[1, 2], dilation=[1, 2]),
    conv_case("conv kernel 1x4 on a tall input", (1, 2, 8, 4), (2, 2, 1, 4)),
    conv_case("conv padding 'same' with an even kernel pads more at the end", (2, 2, 5, 6), (3, 2, 4, 2), padding="same"),
    conv_case("conv padding 'same' with dilation 2", (1, 3, 6, 6), (2, 3, 3, 3), padding="same", dilation=2),
    conv_case("conv padding 'valid'", (1, 1, 4, 4), (1, 1, 3, 3), padding="valid"),
    conv_case("conv unbatched [C, H, W] input", (3, 5, 4), (2, 3, 2, 2), padding=1),
    conv_case("conv kernel as large as the padded input", (2, 1, 3, 3), (2, 1, 5, 5), padding=1),
]


def pool_case(name, op, x_shape, args, fn):
    return run(name, op, args, lambda input: fn(input), input=torch.randn(*x_shape))


def max_case(name, x_shape, kernelSize, stride=None, padding=0, dilation=1, ceilMode=False):
    args = {"kernelSize": kernelSize, "stride": stride, "padding": padding, "dilation": dilation, "ceilMode": ceilMode}
    return pool_case(name, "maxPool2d", x_shape, args, lambda x: F.max_pool2d(
        x, kernelSize, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceilMode))


def avg_case(name, x_shape, kernelSize, stride=None, padding=0, ceilMode=False, countIncludePad=True, divisorOverride=None):
    args = {"kernelSize": kernelSize, "stride": stride, "padding": padding, "ceilMode": ceilMode,
            "countIncludePad": countIncludePad, "divisorOverride": divisorOverride}
    return pool_case(name, "avgPool2d", x_shape, args, lambda x: F.avg_pool2d(
        x, kernelSize, stride=stride, padding=padding, ceil_mode=ceilMode,
        count_include_pad=countIncludePad, divisor_override=divisorOverride))


def adaptive_case(name, x_shape, outputSize):
    return pool_case(name, "adaptiveAvgPool2d", x_shape, {"outputSize": outputSize},
                     lambda x: F.adaptive_avg_pool2d(x, outputSize))


cases += [
    max_case("maxPool 2x2 (stride defaults to the kernel)", (3, 2, 6, 6), 2),
    max_case("maxPool 3x3 stride 1 (overlapping windows)", (1, 2, 5, 6), 3, stride=1),
    max_case("maxPool 3x3 stride 2 padding 1", (2, 2, 7, 7), 3, stride=2, padding=1),
    max_case("maxPool 2x2 stride 1 dilation 2", (1, 2, 6, 5), 2, stride=1, dilation=2),
    max_case("maxPool 3x3 stride 2 ceilMode (partial last window)", (2, 1, 6, 8), 3, stride=2, ceilMode=True),
    max_case("maxPool 2x2 stride 2 padding 1 ceilMode", (1, 2, 5, 5), 2, stride=2, padding=1, ceilMode=True),
    max_case("maxPool non-square kernel, stride and padding", (2, 2, 7, 9), [2, 3], stride=[1, 2], padding=[1, 1]),
    max_case("maxPool unbatched [C, H, W]", (3, 4, 4), 2),
    avg_case("avgPool 2x2", (3, 2, 6, 6), 2),
    avg_case("avgPool 3x3 stride 1 (overlapping windows)", (1, 2, 5, 6), 3, stride=1),
    avg_case("avgPool 3x3 stride 2 padding 1 countIncludePad", (2, 2, 7, 7), 3, stride=2, padding=1),
    avg_case("avgPool 3x3 stride 2 padding 1 without countIncludePad", (2, 2, 7, 7), 3, stride=2, padding=1, countIncludePad=False),
    avg_case("avgPool ceilMode with padding counts the clipped window", (1, 2, 6, 6), 3, stride=2, padding=1, ceilMode=True),
    avg_case("avgPool ceilMode without countIncludePad", (1, 2, 6, 6), 3, stride=2, padding=1, ceilMode=True, countIncludePad=False),
    avg_case("avgPool divisorOverride", (1, 1, 4, 4), 2, divisorOverride=3),
    avg_case("avgPool non-square", (2, 1, 5, 8), [2, 3], stride=[1, 2], padding=[1, 0]),
    adaptive_case("adaptiveAvgPool to 1x1 (global average)", (3, 4, 5, 5), 1),
    adaptive_case("adaptiveAvgPool 7x5 to 3x2 (uneven, overlapping cells)", (2, 2, 7, 5), [3, 2]),
    adaptive_case("adaptiveAvgPool upsampling 3x3 to 4x5", (1, 2, 3, 3), [4, 5]),
    adaptive_case("adaptiveAvgPool keeps H with null", (1, 2, 4, 6), [None, 3]),
    adaptive_case("adaptiveAvgPool unbatched", (2, 6, 6), 4),
]

with open(OUT_PATH, "w") as f:
    json.dump(cases, f, separators=(",", ":"))
    f.write("\n")
print(f"wrote {len(cases)} cases to {os.path.relpath(OUT_PATH)} ({os.path.getsize(OUT_PATH)} bytes)")
