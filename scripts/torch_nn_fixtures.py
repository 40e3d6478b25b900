"""Generate PyTorch reference values for tests/nn.test.ts and tests/loss.test.ts.

Rerun with:

    /usr/bin/python3 scripts/torch_nn_fixtures.py

(needs Debian's python3-torch; the pyenv python3 on PATH has no torch).
Writes tests/fixtures/torch-nn.json with three lists:

  "modules": { "name", "state": {tessera key: tensor}, "inputs": [tensor + requiresGrad],
               "gradOut": tensor | null, "out": tensor,
               "grads": {"input0": tensor, ..., "<param name>": tensor} }
      The module's weights are exported under PyTorch's own state_dict keys (Tessera uses the
      same keys: running_mean, num_batches_tracked), so the test loads them with loadStateDict.
      A scalar output calls out.backward(); any other calls out.backward(gradOut).
  "losses":  { "name", "loss", "options", "inputs": [input, target], "out", "gradInput" }
      options use Tessera's names (ignoreIndex, labelSmoothing, posWeight, weight as a tensor);
      the loss is reduced to a scalar with sum(out * gradOut) when reduction is 'none'.
  "batchnorm": { "name", "module", "numFeatures", "momentum", "state", "steps": [
                 {"input", "out", "runningMean", "runningVar"}], "eval": {"input", "out"},
                 "gradOut", "grads": {input0, weight, bias} (of the first step) }

Tensors are {shape, data, dtype?}: float32 unless dtype is "int32".
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
OUT_PATH = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch-nn.json")


def f32(v):
    return float(v)


def enc(t):
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()], "dtype": "int32"}
    return {"shape": list(t.shape), "data": [f32(v) for v in t.reshape(-1).tolist()]}


def state_of(module):
    return {k: enc(v) for k, v in module.state_dict().items()}


# ---------------------------------------------------------------- modules

MODULES = []


def module_case(name, module, inputs, scalar=False):
    """Record module(*inputs): outputs, and grads of float inputs and of every parameter."""
    state = state_of(module)
    leaves = [x.clone().requires_grad_(x.is_floating_point()) for x in inputs]
    out = module(*leaves)
    if scalar:
        out = out.sum()
        grad_out = None
        out.backward()
    else:
        grad_out = torch.randn(out.shape)
        out.backward(grad_out)
    grads = {}
    for i, x in enumerate(leaves):
        if x.grad is not None:
            grads["input%d" % i] = enc(x.grad)
    for pname, p in module.named_parameters():
        if p.grad is not None:
            grads[pname] = enc(p.grad)
    MODULES.append({
        "name": name,
        "state": state,
        "inputs": [dict(enc(x), requiresGrad=bool(x.is_floating_point())) for x in inputs],
        "gradOut": enc(grad_out) if grad_out is not None else None,
        "out": enc(out),
        "grads": grads,
    })


def randomize_affine(module):
    """LayerNorm/BatchNorm start at weight 1, bias 0; random values test that they are applied."""
    with torch.no_grad():
        module.weight.copy_(torch.randn(module.weight.shape) * 0.5 + 1.0)
        module.bias.copy_(torch.randn(module.bias.shape) * 0.5)


module_case("mlp", nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)), [torch.randn(5, 4)])
module_case("linear_3d_input", nn.Linear(4, 5), [torch.randn(2, 3, 4)])
module_case("linear_1d_input", nn.Linear(4, 5), [torch.randn(4)])
module_case("linear_no_bias", nn.Linear(6, 2, bias=False), [torch.randn(3, 6)])
module_case("mlp_gelu_tanh_sigmoid", nn.Sequential(nn.Linear(3, 6), nn.GELU(), nn.Linear(6, 6), nn.Tanh(), nn.Linear(6, 2), nn.Sigmoid()), [torch.randn(4, 3)])
module_case("softmax_logsoftmax", nn.Sequential(nn.Linear(5, 5), nn.Softmax(dim=1), nn.Linear(5, 4), nn.LogSoftmax(dim=1)), [torch.randn(3, 5)])


class Nested(nn.Module):
    """Nested children and a list of layers, for dotted names (encoder.fc1.weight, blocks.0.bias)."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential()
        self.encoder.add_module("fc1", nn.Linear(4, 6))
        self.encoder.add_module("act", nn.ReLU())
        self.blocks = nn.ModuleList([nn.Linear(6, 6), nn.Linear(6, 6)])
        self.norm = nn.LayerNorm(6)
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        h = self.encoder(x)
        for b in self.blocks:
            h = torch.tanh(b(h)) + h
        return self.head(self.norm(h))


nested = Nested()
randomize_affine(nested.norm)
module_case("nested", nested, [torch.randn(3, 4)])

ln = nn.LayerNorm(6)
randomize_affine(ln)
module_case("layernorm_last_dim", ln, [torch.randn(3, 4, 6) * 2 + 1])
ln2 = nn.LayerNorm([4, 6])
randomize_affine(ln2)
module_case("layernorm_two_dims", ln2, [torch.randn(3, 4, 6)])
module_case("layernorm_no_affine", nn.LayerNorm(5, elementwise_affine=False), [torch.randn(2, 5)])

emb = nn.Embedding(10, 4, padding_idx=0)
module_case("embedding_padding", emb, [torch.tensor([[1, 0, 3], [3, 9, 0]], dtype=torch.int32)])
module_case("embedding", nn.Embedding(7, 3), [torch.tensor([2, 2, 6, 0], dtype=torch.int32)])

# ---------------------------------------------------------------- batch norm

BATCHNORM = []


def batchnorm_case(name, module, shape, momentum_label):
    randomize_affine(module)
    state = state_of(module)
    steps = []
    grads = None
    grad_out = None
    module.train()
    for step in range(3):
        x = (torch.randn(*shape) * 1.5 + 0.5).requires_grad_(True)
        out = module(x)
        if step == 0:
            grad_out = torch.randn(out.shape)
            out.backward(grad_out)
            grads = {"input0": enc(x.grad), "weight": enc(module.weight.grad), "bias": enc(module.bias.grad)}
        steps.append({"input": enc(x), "out": enc(out), "runningMean": enc(module.running_mean), "runningVar": enc(module.running_var)})
    module.eval()
    x = torch.randn(*shape)
    with torch.no_grad():
        out = module(x)
    BATCHNORM.append({
        "name": name, "module": type(module).__name__, "numFeatures": module.num_features, "momentum": momentum_label,
        "state": state, "steps": steps, "eval": {"input": enc(x), "out": enc(out)},
        "gradOut": enc(grad_out), "grads": grads,
    })


batchnorm_case("batchnorm1d", nn.BatchNorm1d(4), (8, 4), 0.1)
batchnorm_case("batchnorm1d_3d_input", nn.BatchNorm1d(3), (4, 3, 5), 0.1)
batchnorm_case("batchnorm2d", nn.BatchNorm2d(3), (4, 3, 5, 5), 0.1)
batchnorm_case("batchnorm1d_momentum_0.3", nn.BatchNorm1d(4, momentum=0.3), (6, 4), 0.3)
batchnorm_case("batchnorm1d_cumulative", nn.BatchNorm1d(4, momentum=None), (6, 4), None)

# ---------------------------------------------------------------- losses

LOSSES = []


def loss_case(name, loss, options, input, target, torch_fn):
    """Record torch_fn(x, target) and d/dx of sum(out * gradOut) (gradOut = 1 for scalars)."""
    x = input.clone().requires_grad_(True)
    out = torch_fn(x, target)
    grad_out = torch.ones(()) if out.dim() == 0 else torch.randn(out.shape)
    out.backward(grad_out)
    opts = {}
    for k, v in options.items():
        opts[k] = enc(v) if isinstance(v, torch.Tensor) else v
    LOSSES.append({
        "name": name, "loss": loss, "options": opts,
        "inputs": [enc(input), enc(target)],
        "out": enc(out), "gradOut": enc(grad_out), "gradInput": enc(x.grad),
    })


REDUCTIONS = ["mean", "sum", "none"]

for r in REDUCTIONS:
    a, b = torch.randn(4, 5), torch.randn(4, 5)
    loss_case("mse_" + r, "mseLoss", {"reduction": r}, a, b, lambda x, t, r=r: F.mse_loss(x, t, reduction=r))
    loss_case("l1_" + r, "l1Loss", {"reduction": r}, a, b, lambda x, t, r=r: F.l1_loss(x, t, reduction=r))

logits = torch.randn(6, 5) * 2
labels = torch.tensor([0, 4, 2, -100, 1, 2])
labels_plain = torch.tensor([0, 4, 2, 3, 1, 2])
class_weight = torch.rand(5) + 0.5
ce_variants = [
    ("plain", {}, labels_plain),
    ("ignore_default", {}, labels),
    ("ignore_2", {"ignore_index": 2}, labels_plain),
    ("weight", {"weight": class_weight}, labels_plain),
    ("weight_ignore", {"weight": class_weight}, labels),
    ("smoothing", {"label_smoothing": 0.1}, labels_plain),
    ("smoothing_weight_ignore", {"label_smoothing": 0.2, "weight": class_weight}, labels),
]
TESSERA_NAMES = {"ignore_index": "ignoreIndex", "label_smoothing": "labelSmoothing", "pos_weight": "posWeight", "weight": "weight"}


def tessera_opts(kw, r):
    out = {TESSERA_NAMES[k]: v for k, v in kw.items()}
    out["reduction"] = r
    return out


for vname, kw, tgt in ce_variants:
    for r in REDUCTIONS:
        loss_case("ce_%s_%s" % (vname, r), "crossEntropy", tessera_opts(kw, r), logits, tgt,
                  lambda x, t, kw=kw, r=r: F.cross_entropy(x, t, reduction=r, **kw))
        logp = F.log_softmax(logits, 1)
        if "label_smoothing" not in kw:
            loss_case("nll_%s_%s" % (vname, r), "nllLoss", tessera_opts(kw, r), logp, tgt,
                      lambda x, t, kw=kw, r=r: F.nll_loss(x, t, reduction=r, **kw))

spatial = torch.randn(2, 4, 3, 3)
spatial_labels = torch.randint(0, 4, (2, 3, 3))
spatial_labels[0, 1, 1] = -100
spatial_weight = torch.rand(4) + 0.5
for r in REDUCTIONS:
    kw = {"weight": spatial_weight, "label_smoothing": 0.1}
    loss_case("ce_spatial_" + r, "crossEntropy", tessera_opts(kw, r), spatial, spatial_labels,
              lambda x, t, kw=kw, r=r: F.cross_entropy(x, t, reduction=r, **kw))
    loss_case("nll_spatial_" + r, "nllLoss", tessera_opts({"weight": spatial_weight}, r), F.log_softmax(spatial, 1), spatial_labels,
              lambda x, t, r=r: F.nll_loss(x, t, weight=spatial_weight, reduction=r))
loss_case("ce_unbatched", "crossEntropy", {"reduction": "mean"}, torch.randn(5), torch.tensor(3),
          lambda x, t: F.cross_entropy(x, t))

probs = F.softmax(torch.randn(6, 5), 1)
for vname, kw in [("plain", {}), ("smoothing", {"label_smoothing": 0.15}), ("weight", {"weight": class_weight})]:
    for r in REDUCTIONS:
        loss_case("ce_probs_%s_%s" % (vname, r), "crossEntropy", tessera_opts(kw, r), logits, probs,
                  lambda x, t, kw=kw, r=r: F.cross_entropy(x, t, reduction=r, **kw))
loss_case("ce_probs_spatial", "crossEntropy", {"reduction": "mean"}, spatial, F.softmax(torch.randn(2, 4, 3, 3), 1),
          lambda x, t: F.cross_entropy(x, t))

p = torch.sigmoid(torch.randn(4, 3) * 2)
bt = torch.rand(4, 3)
bce_weight = torch.rand(3) + 0.5
for r in REDUCTIONS:
    loss_case("bce_" + r, "binaryCrossEntropy", {"reduction": r}, p, bt, lambda x, t, r=r: F.binary_cross_entropy(x, t, reduction=r))
    loss_case("bce_weight_" + r, "binaryCrossEntropy", {"reduction": r, "weight": bce_weight}, p, bt,
              lambda x, t, r=r: F.binary_cross_entropy(x, t, weight=bce_weight, reduction=r))
edge = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.5])
edge_t = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0])
loss_case("bce_saturated_inputs", "binaryCrossEntropy", {"reduction": "none"}, edge, edge_t,
          lambda x, t: F.binary_cross_entropy(x, t, reduction="none"))

z = torch.randn(4, 3) * 5
z[0, 0] = 40.0
z[1, 1] = -40.0
pos_weight = torch.tensor([1.0, 3.0, 0.5])
for r in REDUCTIONS:
    loss_case("bce_logits_" + r, "binaryCrossEntropyWithLogits", {"reduction": r}, z, bt,
              lambda x, t, r=r: F.binary_cross_entropy_with_logits(x, t, reduction=r))
    kw = {"weight": bce_weight, "pos_weight": pos_weight}
    loss_case("bce_logits_weight_pos_" + r, "binaryCrossEntropyWithLogits", tessera_opts(kw, r), z, bt,
              lambda x, t, kw=kw, r=r: F.binary_cross_entropy_with_logits(x, t, reduction=r, **kw))

with open(OUT_PATH, "w") as f:
    json.dump({"modules": MODULES, "batchnorm": BATCHNORM, "losses": LOSSES}, f, separators=(",", ":"))
print("wrote %d module, %d batchnorm, %d loss cases to %s" % (len(MODULES), len(BATCHNORM), len(LOSSES), OUT_PATH))
