"""Generate PyTorch 1.13 int8 quantization references for tests/quantization.test.ts.

Rerun with:

    /usr/bin/python3 scripts/torch_quant_fixtures.py

(needs Debian's python3-torch). Writes tests/fixtures/torch-quant.json with, per case:
- the float layer's weight / bias and an input (and calibration batches for static cases);
- PyTorch's quantization of them: per-channel symmetric qint8 weight values and scales
  (PerChannelMinMaxObserver), quint8 input scale / zero point (MinMaxObserver) and values;
- "exact": the layer computed in float64 from the dequantized int8 weight and quint8 input,
  which an int8 GEMM with a float epilogue reproduces up to float32 rounding;
- "torch": PyTorch's own quantized module's output (onednn engine; dynamic Linear may use 7-bit
  activations (reduce_range) and static layers requantize their output, so it differs by about a
  quantization step).
Values are written with 9 significant digits (exact for float32).
"""
import json
import os

import torch
import torch.nn.functional as F
from torch.ao.quantization import MinMaxObserver, PerChannelMinMaxObserver, QConfig, per_channel_dynamic_qconfig

torch.manual_seed(0)
# Debian's build has no fbgemm; onednn is its x86 int8 engine.
torch.backends.quantized.engine = "onednn"
OUT_PATH = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch-quant.json")


def record(t, dtype="float32"):
    return {"shape": list(t.shape), "dtype": dtype, "data": [float("%.9g" % v) if dtype == "float32" else int(v) for v in t.detach().reshape(-1).tolist()]}


def weight_q(w):
    obs = PerChannelMinMaxObserver(ch_axis=0, dtype=torch.qint8, qscheme=torch.per_channel_symmetric)
    obs(w)
    scale, zp = obs.calculate_qparams()
    q = torch.quantize_per_channel(w, scale.float(), zp, 0, torch.qint8)
    return q, scale.float()


def input_q(batches):
    obs = MinMaxObserver(dtype=torch.quint8)
    for b in batches:
        obs(b)
    scale, zp = obs.calculate_qparams()
    return float(scale), int(zp)


cases = []

# Dynamic Linear: the input's parameters come from the batch itself.
lin = torch.nn.Linear(37, 19)
x = torch.randn(7, 37) * 2
qw, wscale = weight_q(lin.weight.data)
sx, zx = input_q([x])
qx = torch.quantize_per_tensor(x, sx, zx, torch.quint8)
exact = F.linear(qx.dequantize().double(), qw.dequantize().double(), lin.bias.data.double())
dyn = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(lin), {torch.nn.Linear: per_channel_dynamic_qconfig})
cases.append({
    "name": "dynamic linear", "kind": "linear", "static": False,
    "weight": record(lin.weight.data), "bias": record(lin.bias.data), "input": record(x),
    "weightInt8": record(qw.int_repr(), "int8"), "weightScale": record(wscale),
    "inputScale": sx, "inputZeroPoint": zx, "inputQuint8": record(qx.int_repr(), "uint8"),
    "exact": record(exact.float()), "torch": record(dyn(x)),
})

# Static Linear and Conv2d: input parameters from calibration batches.
qconfig = QConfig(activation=MinMaxObserver.with_args(dtype=torch.quint8),
                  weight=PerChannelMinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_channel_symmetric))


class Wrap(torch.nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.layer = layer
        self.dequant = torch.ao.quantization.DeQuantStub()

    def forward(self, x):
        return self.dequant(self.layer(self.quant(x)))


for name, layer, shape, conv in [
    ("static linear", torch.nn.Linear(64, 10), (5, 64), None),
    ("static conv2d", torch.nn.Conv2d(3, 8, 3, padding=1, stride=1), (2, 3, 9, 7), dict(padding=1, stride=1)),
    ("static conv2d strided", torch.nn.Conv2d(4, 6, (3, 2), padding=(1, 0), stride=2, dilation=(1, 2)), (2, 4, 10, 11), dict(padding=(1, 0), stride=2, dilation=(1, 2))),
]:
    calib = [torch.randn(*shape) * 1.5 + 0.3 for _ in range(3)]
    x = torch.randn(*shape)
    qw, wscale = weight_q(layer.weight.data)
    sx, zx = input_q(calib)
    qx = torch.quantize_per_tensor(x, sx, zx, torch.quint8)
    if conv is None:
        exact = F.linear(qx.dequantize().double(), qw.dequantize().double(), layer.bias.data.double())
    else:
        exact = F.conv2d(qx.dequantize().double(), qw.dequantize().double(), layer.bias.data.double(), **conv)
    model = Wrap(layer).eval()
    model.qconfig = qconfig
    prepared = torch.ao.quantization.prepare(model)
    for b in calib:
        prepared(b)
    converted = torch.ao.quantization.convert(prepared)
    case = {
        "name": name, "kind": "linear" if conv is None else "conv", "static": True,
        "weight": record(layer.weight.data), "bias": record(layer.bias.data), "input": record(x),
        "calibration": [record(b) for b in calib],
        "weightInt8": record(qw.int_repr(), "int8"), "weightScale": record(wscale),
        "inputScale": sx, "inputZeroPoint": zx, "inputQuint8": record(qx.int_repr(), "uint8"),
        "exact": record(exact.float()), "torch": record(converted(x)),
        # The requantized output saturates outside the range calibration saw.
        "torchOutputScale": float(converted.layer.scale),
        "torchOutputZeroPoint": int(converted.layer.zero_point),
    }
    if conv is not None:
        case["conv"] = {"stride": layer.stride, "padding": layer.padding, "dilation": layer.dilation}
    cases.append(case)

with open(OUT_PATH, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
print("wrote", OUT_PATH, len(cases), "cases")
