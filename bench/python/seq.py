"""PyTorch side of bench/seq.mjs: the same sequence workloads, one thread, median ms per step.

    /usr/bin/python3 bench/python/seq.py  # prints {"lstm": ms, "attention": ms, "gpt": ms} as JSON
"""
import json
import math
import statistics
import time

import torch
import torch.nn as nn

torch.set_num_threads(1)
torch.manual_seed(0)


def median_ms(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


lstm = nn.LSTM(64, 128)
lstm_opt = torch.optim.Adam(lstm.parameters(), lr=1e-3)
lstm_x = torch.randn(32, 32, 64)


def lstm_step():
    lstm_opt.zero_grad()
    lstm(lstm_x)[0].square().mean().backward()
    lstm_opt.step()


q, k, v = (torch.randn(16, 4, 64, 32, requires_grad=True) for _ in range(3))
causal = torch.ones(64, 64, dtype=torch.bool).tril()


def attention():
    # composed by hand: torch 1.13 has no scaled_dot_product_attention
    s = (q @ k.transpose(-2, -1)) * (1 / math.sqrt(32))
    out = torch.softmax(s.masked_fill(~causal, float("-inf")), -1) @ v
    out.sum().backward()


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(65, 128)
        self.pos = nn.Embedding(64, 128)
        layer = nn.TransformerEncoderLayer(128, 4, dim_feedforward=512, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, 4)
        self.ln = nn.LayerNorm(128)
        self.head = nn.Linear(128, 65)
        self.mask = torch.triu(torch.full((64, 64), float("-inf")), 1)

    def forward(self, idx):
        x = self.tok(idx) + self.pos(torch.arange(64))
        return self.head(self.ln(self.blocks(x, mask=self.mask)))


gpt = GPT()
gpt_opt = torch.optim.AdamW(gpt.parameters(), lr=1e-3)
idx = torch.randint(0, 65, (16, 64))
tgt = torch.randint(0, 65, (16, 64))


def gpt_step():
    gpt_opt.zero_grad()
    nn.functional.cross_entropy(gpt(idx).reshape(-1, 65), tgt.reshape(-1)).backward()
    gpt_opt.step()


print(json.dumps({"lstm": median_ms(lstm_step, 3, 15), "attention": median_ms(attention, 3, 30), "gpt": median_ms(gpt_step, 2, 8)}))
