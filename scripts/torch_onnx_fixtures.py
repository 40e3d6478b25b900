"""Generate ONNX files written by PyTorch 1.13's torch.onnx.export for tests/onnx-import.test.ts.

Rerun with:

    /usr/bin/python3 scripts/torch_onnx_fixtures.py

(needs Debian's python3-torch and python3-onnx). Writes, per model, tests/fixtures/onnx/<name>.onnx
(exported with a dynamic batch axis, constant folding on, as torch.onnx.export does by default) and
tests/fixtures/onnx/torch-onnx.json with inputs and PyTorch's outputs at the export batch size
and another one. Values are written with 9 significant digits (exact for float32) and a dtype.
"""
import json
import os

import onnx
import torch

torch.manual_seed(0)
OUT_DIR = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "onnx")


def record(t):
    return {"shape": list(t.shape), "dtype": "float32", "data": [float("%.9g" % v) for v in t.detach().reshape(-1).tolist()]}


class LastOutputs(torch.nn.Module):
    """Runs a recurrent layer and returns its output and final states as a flat tuple."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        out, state = self.rnn(x)
        return (out, *state) if isinstance(state, tuple) else (out, state)


class SelfAttention(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.mha = torch.nn.MultiheadAttention(8, 2)

    def forward(self, x):
        return self.mha(x, x, x)[0]


def batch_axis(seq_first):
    return 1 if seq_first else 0


models = [
    # name, module, input shape at export, at the other batch size, batch dim, output names
    ("lstm", LastOutputs(torch.nn.LSTM(5, 6, num_layers=2, bidirectional=True, batch_first=True)), [3, 4, 5], [5, 4, 5], 0, ["output", "h_n", "c_n"]),
    ("gru", LastOutputs(torch.nn.GRU(4, 5, num_layers=2)), [6, 2, 4], [6, 3, 4], 1, ["output", "h_n"]),
    ("rnn", LastOutputs(torch.nn.RNN(4, 3, nonlinearity="relu", bidirectional=True)), [5, 2, 4], [5, 4, 4], 1, ["output", "h_n"]),
    ("mha", SelfAttention(), [5, 2, 8], [5, 3, 8], 1, ["output"]),
    (
        "encoder",
        torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True),
        [2, 5, 8],
        [3, 5, 8],
        0,
        ["output"],
    ),
]

cases = []


def export_case(name, model, shape, other, bdim, outputs):
    model.eval()
    x = torch.randn(*shape)
    x2 = torch.randn(*other)
    path = os.path.join(OUT_DIR, f"{name}.onnx")
    axes = {"input": {bdim: "batch"}}
    for o in outputs:
        axes[o] = {0 if o == "output" and bdim == 0 else (1 if o != "output" else bdim): "batch"}
    torch.onnx.export(model, (x,), path, input_names=["input"], output_names=outputs, dynamic_axes=axes, opset_version=14)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    ops = sorted({n.op_type for n in onnx.load(path).graph.node})
    with torch.no_grad():
        runs = []
        for inp in (x, x2):
            out = model(inp)
            out = out if isinstance(out, tuple) else (out,)
            runs.append({"input": record(inp), "outputs": [record(o) for o in out]})
    cases.append({"name": name, "file": f"{name}.onnx", "ops": ops, "outputNames": outputs, "runs": runs})


for case in models:
    export_case(*case)
# Made after the others, so adding it left their weights and inputs as they were: ReLU6 and Hardtanh as Clip.
clip = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU6(), torch.nn.Linear(8, 5), torch.nn.Hardtanh(-0.5, 0.8))
with torch.no_grad():
    clip[0].weight.mul_(4)
export_case("clip", clip, [3, 6], [5, 6], 0, ["output"])
# The other layers whose ONNX ops PyTorch writes differently from Tessera: activations as their
# own ops (Softplus at its default threshold: PyTorch's exporter drops the threshold), GroupNorm as
# InstanceNormalization, padding modes and pooling padding as Pad (its pad list reversed with a
# backward Slice), and Upsample as Resize. (PyTorch 1.13 refuses AdaptiveAvgPool2d with uneven windows,
# and writes circular padding as Slices of the wrong rows — x[-2:-1] for x[-1:] — so neither is here.)
T = torch.nn
acts = T.Sequential(T.Linear(6, 8), T.LeakyReLU(0.1), T.ELU(0.7), T.Softplus(2), T.Linear(8, 8), T.Hardswish(), T.Mish(), T.SiLU(), T.GELU(approximate="tanh"))
export_case("activations", acts, [3, 6], [5, 6], 0, ["output"])
norms = T.Sequential(
    T.Conv2d(2, 4, 3, padding=1, padding_mode="reflect"),
    T.GroupNorm(2, 4),
    T.Conv2d(4, 4, 3, padding=(1, 2), padding_mode="replicate"),
    T.ZeroPad2d((1, 0, 2, 1)),
)
export_case("norms-padding", norms, [2, 2, 6, 7], [3, 2, 6, 7], 0, ["output"])
pools = T.Sequential(
    T.Conv2d(2, 3, 3),
    T.AvgPool2d(3, 1, 1),
    T.MaxPool2d(3, 2, ceil_mode=True),
    T.Upsample(scale_factor=2),
    T.Upsample(scale_factor=2, mode="bilinear"),
    T.Upsample(size=(5, 7), mode="bilinear", align_corners=True),
)
export_case("pools-resize", pools, [2, 2, 8, 8], [3, 2, 8, 8], 0, ["output"])

with open(os.path.join(OUT_DIR, "torch-onnx.json"), "w") as f:
    json.dump({"torch": torch.__version__, "onnx": onnx.__version__, "cases": cases}, f)
    f.write("\n")
print("\n".join(f"{c['name']}: {' '.join(c['ops'])}" for c in cases))
