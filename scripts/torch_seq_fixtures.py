"""Generate PyTorch reference values for tests/seq.test.ts (recurrent layers, attention, Transformers).

Rerun with:

    /usr/bin/python3 scripts/torch_seq_fixtures.py

(needs Debian's python3-torch 1.13; the pyenv python3 on PATH has no torch).
Writes tests/fixtures/torch-seq.json, a list of cases

  { "name", "kind", "args": constructor/call options in Tessera's camelCase names,
    "state": {PyTorch state_dict key: tensor}, "inputs": [tensor | null],
    "outs": [tensor], "gradOuts": [tensor], "grads": {"input<i>": tensor, "<state key>": tensor} }

The loss is sum_i sum(outs[i] * gradOuts[i]) over the flattened outputs (for LSTM: output, hN,
cN), so every output's gradient path is checked. Masks are stored as tensors with dtype "bool" or
float (-inf as the string "-Infinity"). Tensors are {shape, data, dtype?}: float32 unless dtype is "int32" or "bool".

PyTorch 1.13 has no scaled_dot_product_attention: the "sdpa" cases compose it by hand.

Also writes tests/fixtures/torch-seq.safetensors, the state_dict() of a model holding an LSTM, a
GRU, a MultiheadAttention, a TransformerEncoder and a TransformerDecoder (written with a minimal
safetensors writer here), and its outputs on one input in the JSON's "model" entry.
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn

torch.manual_seed(0)
HERE = os.path.dirname(__file__)
OUT_JSON = os.path.join(HERE, "..", "tests", "fixtures", "torch-seq.json")
OUT_ST = os.path.join(HERE, "..", "tests", "fixtures", "torch-seq.safetensors")


def enc(t):
    t = t.detach()
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()], "dtype": "bool"}
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()], "dtype": "int32"}
    return {"shape": list(t.shape), "data": [num(float(v)) for v in t.reshape(-1).tolist()]}


def num(v):
    """JSON has no infinities: masks' -inf is written as the string "-Infinity"."""
    return v if math.isfinite(v) else ("-Infinity" if v < 0 else "Infinity")


def flatten(out):
    if isinstance(out, torch.Tensor):
        return [out]
    res = []
    for o in out:
        if o is not None:
            res.extend(flatten(o))
    return res


CASES = []


def case(name, kind, module, inputs, run, args=None):
    """Record run(module, leaves): every output, the grads of float inputs and of every parameter."""
    leaves = [None if x is None else x.clone().requires_grad_(x.is_floating_point()) for x in inputs]
    outs = flatten(run(module, leaves))
    grad_outs = [torch.randn(o.shape) for o in outs]
    loss = sum((o * g).sum() for o, g in zip(outs, grad_outs))
    loss.backward()
    grads = {}
    for i, x in enumerate(leaves):
        if x is not None and x.grad is not None:
            grads["input%d" % i] = enc(x.grad)
    state = {}
    if module is not None:
        state = {k: enc(v) for k, v in module.state_dict().items()}
        for pname, p in module.named_parameters():
            grads[pname] = enc(p.grad)
    CASES.append({
        "name": name,
        "kind": kind,
        "args": args or {},
        "state": state,
        "inputs": [None if x is None else enc(x) for x in inputs],
        "outs": [enc(o) for o in outs],
        "gradOuts": [enc(g) for g in grad_outs],
        "grads": grads,
    })


# ---------------------------------------------------------------- recurrent layers

def rnn_case(name, cls, ctor, x, h=None):
    module = getattr(nn, cls)(**ctor)
    args = {"cls": cls, "ctor": camel_opts(ctor)}
    if cls == "LSTM":
        inputs = [x] + (list(h) if h is not None else [])
        case(name, "rnn", module, inputs, lambda m, l: m(l[0], (l[1], l[2]) if len(l) > 1 else None), args)
    else:
        inputs = [x] + ([h] if h is not None else [])
        case(name, "rnn", module, inputs, lambda m, l: m(*l), args)


def camel_opts(opts):
    def camel(k):
        parts = k.split("_")
        return parts[0] + "".join(p.title() for p in parts[1:])
    return {camel(k): v for k, v in opts.items()}


rnn_case("rnn_tanh_h0", "RNN", dict(input_size=3, hidden_size=4), torch.randn(5, 2, 3), torch.randn(1, 2, 4))
rnn_case("rnn_relu_2layers_batch_first", "RNN", dict(input_size=3, hidden_size=4, num_layers=2, nonlinearity="relu", batch_first=True), torch.randn(2, 5, 3))
rnn_case("rnn_bidirectional_no_bias", "RNN", dict(input_size=3, hidden_size=4, bias=False, bidirectional=True), torch.randn(4, 2, 3))
rnn_case("lstm_h0_c0", "LSTM", dict(input_size=3, hidden_size=4), torch.randn(5, 2, 3), (torch.randn(1, 2, 4), torch.randn(1, 2, 4)))
rnn_case("lstm_2layers_bidirectional_batch_first", "LSTM", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, batch_first=True), torch.randn(2, 4, 3))
rnn_case("lstm_2layers_bidirectional_h0_c0", "LSTM", dict(input_size=3, hidden_size=3, num_layers=2, bidirectional=True), torch.randn(3, 2, 3), (torch.randn(4, 2, 3), torch.randn(4, 2, 3)))
rnn_case("lstm_unbatched", "LSTM", dict(input_size=3, hidden_size=4), torch.randn(5, 3))
rnn_case("gru_h0", "GRU", dict(input_size=3, hidden_size=4), torch.randn(5, 2, 3), torch.randn(1, 2, 4))
rnn_case("gru_2layers_bidirectional_batch_first_h0", "GRU", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, batch_first=True), torch.randn(2, 4, 3), torch.randn(4, 2, 4))
rnn_case("gru_unbatched_no_bias", "GRU", dict(input_size=3, hidden_size=4, bias=False), torch.randn(4, 3), torch.randn(1, 4))


def cell_case(name, cls, ctor, x, h=None):
    module = getattr(nn, cls)(**ctor)
    args = {"cls": cls, "ctor": camel_opts(ctor)}
    if cls == "LSTMCell":
        inputs = [x] + (list(h) if h is not None else [])
        case(name, "rnn", module, inputs, lambda m, l: m(l[0], (l[1], l[2]) if len(l) > 1 else None), args)
    else:
        inputs = [x] + ([h] if h is not None else [])
        case(name, "rnn", module, inputs, lambda m, l: m(*l), args)


cell_case("rnncell_tanh", "RNNCell", dict(input_size=3, hidden_size=4), torch.randn(2, 3), torch.randn(2, 4))
cell_case("rnncell_relu_no_bias", "RNNCell", dict(input_size=3, hidden_size=4, nonlinearity="relu", bias=False), torch.randn(2, 3))
cell_case("lstmcell_state", "LSTMCell", dict(input_size=3, hidden_size=4), torch.randn(2, 3), (torch.randn(2, 4), torch.randn(2, 4)))
cell_case("grucell", "GRUCell", dict(input_size=3, hidden_size=4), torch.randn(2, 3), torch.randn(2, 4))
cell_case("grucell_unbatched", "GRUCell", dict(input_size=3, hidden_size=4), torch.randn(3))

seqs = [torch.randn(3, 2), torch.randn(1, 2), torch.randn(4, 2)]
for bf in (False, True):
    case("pad_sequence_batch_first_%s" % str(bf).lower(), "padSequence", None, seqs,
         lambda m, l, bf=bf: nn.utils.rnn.pad_sequence(l, batch_first=bf, padding_value=-1.5),
         {"batchFirst": bf, "paddingValue": -1.5})


# ---------------------------------------------------------------- attention

def sdpa(q, k, v, attn_mask=None, is_causal=False, scale=None):
    """scaled_dot_product_attention as PyTorch 2 documents it (bool mask: True takes part)."""
    L, S = q.shape[-2], k.shape[-2]
    s = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ k.transpose(-2, -1) * s
    if is_causal:
        scores = scores.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    return torch.softmax(scores, -1) @ v


def sdpa_case(name, q, k, v, mask=None, is_causal=False, scale=None):
    args = {"isCausal": is_causal}
    if scale is not None:
        args["scale"] = scale
    case(name, "sdpa", None, [q, k, v, mask], lambda m, l: sdpa(l[0], l[1], l[2], l[3], is_causal, scale), args)


sdpa_case("sdpa_plain", torch.randn(2, 3, 4, 8), torch.randn(2, 3, 6, 8), torch.randn(2, 3, 6, 5))
sdpa_case("sdpa_bool_mask_broadcast", torch.randn(2, 3, 4, 8), torch.randn(2, 3, 6, 8), torch.randn(2, 3, 6, 5), torch.rand(4, 6) > 0.3)
sdpa_case("sdpa_float_mask_scale", torch.randn(2, 4, 8), torch.randn(2, 6, 8), torch.randn(2, 6, 5), torch.randn(2, 4, 6), scale=0.5)
sdpa_case("sdpa_causal", torch.randn(2, 2, 5, 4), torch.randn(2, 2, 5, 4), torch.randn(2, 2, 5, 4), is_causal=True)
sdpa_case("sdpa_causal_rectangular", torch.randn(1, 3, 4), torch.randn(1, 6, 4), torch.randn(1, 6, 4), is_causal=True)


def mha_case(name, ctor, q, k, v, call=None, self_attn=False):
    module = nn.MultiheadAttention(**ctor)
    call = call or {}
    args = {"ctor": camel_opts(ctor), "call": camel_opts({k2: v2 for k2, v2 in call.items() if not isinstance(v2, torch.Tensor)}), "selfAttention": self_attn}
    masks = [call.get("key_padding_mask"), call.get("attn_mask")]
    plain = {k2: v2 for k2, v2 in call.items() if not isinstance(v2, torch.Tensor)}

    def run(m, l):
        qq = l[0]
        kk = qq if self_attn else l[1]
        vv = qq if self_attn else l[2]
        return m(qq, kk, vv, key_padding_mask=l[3], attn_mask=l[4], **plain)
    case(name, "mha", module, [q, None if self_attn else k, None if self_attn else v] + masks, run, args)


causal = torch.triu(torch.full((4, 4), float("-inf")), 1)
mha_case("mha_self_float_causal_mask", dict(embed_dim=8, num_heads=2), torch.randn(4, 2, 8), None, None, {"attn_mask": causal}, self_attn=True)
mha_case("mha_cross_batch_first_key_padding", dict(embed_dim=8, num_heads=4, batch_first=True), torch.randn(2, 3, 8), torch.randn(2, 5, 8), torch.randn(2, 5, 8),
         {"key_padding_mask": torch.tensor([[False, False, False, True, True], [False, False, False, False, False]])})
mha_case("mha_kdim_vdim_per_head_weights", dict(embed_dim=8, num_heads=2, kdim=6, vdim=5), torch.randn(3, 2, 8), torch.randn(4, 2, 6), torch.randn(4, 2, 5),
         {"average_attn_weights": False, "attn_mask": torch.rand(3, 4) > 0.7})
mha_case("mha_no_bias_no_weights", dict(embed_dim=6, num_heads=3, bias=False), torch.randn(3, 2, 6), torch.randn(4, 2, 6), torch.randn(4, 2, 6), {"need_weights": False})
mha_case("mha_unbatched", dict(embed_dim=4, num_heads=2), torch.randn(3, 4), torch.randn(5, 4), torch.randn(5, 4), {"key_padding_mask": torch.tensor([False, True, False, False, True])})


# ---------------------------------------------------------------- Transformer layers

def randomize_norms(module):
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.copy_(torch.randn(m.weight.shape) * 0.5 + 1.0)
                m.bias.copy_(torch.randn(m.bias.shape) * 0.5)


def enc_layer(d, h, ff, **kw):
    layer = nn.TransformerEncoderLayer(d, h, dim_feedforward=ff, dropout=0.0, **kw)
    randomize_norms(layer)
    return layer


def dec_layer(d, h, ff, **kw):
    layer = nn.TransformerDecoderLayer(d, h, dim_feedforward=ff, dropout=0.0, **kw)
    randomize_norms(layer)
    return layer


def encoder_case(name, module, args, src, mask=None, kpm=None):
    case(name, "encoder", module, [src, mask, kpm], lambda m, l: m(l[0], mask=l[1], src_key_padding_mask=l[2]) if isinstance(m, nn.TransformerEncoder) else m(l[0], src_mask=l[1], src_key_padding_mask=l[2]), args)


def decoder_case(name, module, args, tgt, memory, tgt_mask=None, memory_mask=None, tgt_kpm=None, memory_kpm=None):
    case(name, "decoder", module, [tgt, memory, tgt_mask, memory_mask, tgt_kpm, memory_kpm],
         lambda m, l: m(l[0], l[1], tgt_mask=l[2], memory_mask=l[3], tgt_key_padding_mask=l[4], memory_key_padding_mask=l[5]), args)


causal5 = torch.triu(torch.full((5, 5), float("-inf")), 1)
kpm = torch.tensor([[False, False, False, False, True], [False, False, False, False, False]])
encoder_case("encoder_layer_post_norm_relu", enc_layer(8, 2, 16), {"cls": "TransformerEncoderLayer", "dModel": 8, "nhead": 2, "ctor": {"dimFeedforward": 16, "dropout": 0}},
             torch.randn(5, 2, 8), causal5, kpm)
encoder_case("encoder_layer_norm_first_gelu_batch_first", enc_layer(8, 4, 12, activation="gelu", norm_first=True, batch_first=True),
             {"cls": "TransformerEncoderLayer", "dModel": 8, "nhead": 4, "ctor": {"dimFeedforward": 12, "dropout": 0, "activation": "gelu", "normFirst": True, "batchFirst": True}},
             torch.randn(2, 5, 8), torch.rand(5, 5) > 0.8)
encoder2 = nn.TransformerEncoder(enc_layer(8, 2, 16, norm_first=True), 2, norm=nn.LayerNorm(8))
randomize_norms(encoder2)
encoder_case("encoder_2_layers_final_norm", encoder2, {"cls": "TransformerEncoder", "numLayers": 2, "norm": True, "dModel": 8, "nhead": 2, "ctor": {"dimFeedforward": 16, "dropout": 0, "normFirst": True}},
             torch.randn(5, 2, 8), causal5, kpm)
decoder_case("decoder_layer_post_norm_relu", dec_layer(8, 2, 16), {"cls": "TransformerDecoderLayer", "dModel": 8, "nhead": 2, "ctor": {"dimFeedforward": 16, "dropout": 0}},
             torch.randn(5, 2, 8), torch.randn(4, 2, 8), causal5, None, kpm, torch.tensor([[False, False, True, True], [False, False, False, False]]))
decoder_case("decoder_layer_norm_first_gelu_batch_first", dec_layer(8, 4, 12, activation="gelu", norm_first=True, batch_first=True),
             {"cls": "TransformerDecoderLayer", "dModel": 8, "nhead": 4, "ctor": {"dimFeedforward": 12, "dropout": 0, "activation": "gelu", "normFirst": True, "batchFirst": True}},
             torch.randn(2, 5, 8), torch.randn(2, 4, 8), causal5, torch.rand(5, 4) > 0.8)
decoder2 = nn.TransformerDecoder(dec_layer(8, 2, 16), 2, norm=nn.LayerNorm(8))
randomize_norms(decoder2)
decoder_case("decoder_2_layers_final_norm", decoder2, {"cls": "TransformerDecoder", "numLayers": 2, "norm": True, "dModel": 8, "nhead": 2, "ctor": {"dimFeedforward": 16, "dropout": 0}},
             torch.randn(5, 2, 8), torch.randn(4, 2, 8), causal5)


# ---------------------------------------------------------------- a state_dict file written by PyTorch

class SeqModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=True)
        self.gru = nn.GRU(12, 4)
        self.attn = nn.MultiheadAttention(4, 2, batch_first=True)
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0, batch_first=True), 2)
        self.decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, dim_feedforward=8, dropout=0.0, batch_first=True), 1, norm=nn.LayerNorm(4))

    def forward(self, x):
        h, _ = self.lstm(x)
        g, _ = self.gru(h.transpose(0, 1))
        g = g.transpose(0, 1)
        a, _ = self.attn(g, g, g)
        e = self.encoder(a)
        return self.decoder(g, e)


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


model = SeqModel()
model.train()
write_safetensors(OUT_ST, model.state_dict())
x = torch.randn(2, 3, 4)
with torch.no_grad():
    y = model(x)
MODEL = {"input": enc(x), "out": enc(y), "keys": list(model.state_dict().keys())}

with open(OUT_JSON, "w") as f:
    json.dump({"cases": CASES, "model": MODEL}, f, separators=(",", ":"))
print("wrote %d cases to %s" % (len(CASES), OUT_JSON))
