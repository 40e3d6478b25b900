"""PyTorch side of bench/seq.mjs: the same sequence workloads, one thread, median ms per step.

    /usr/bin/python3 bench/python/seq.py  # prints {"lstm": ms, "attention": ms, "attentionCpu": ms, "gpt": ms, "gptCpu": ms, "sample": ms, "sampleCpu": ms} as JSON
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


def cpu_ms(fn, warmup, rounds, reps):
    """The median over rounds of process CPU ms per call (time.process_time: the machine is shared)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(rounds):
        t = time.process_time()
        for _ in range(reps):
            fn()
        times.append((time.process_time() - t) * 1000 / reps)
    return statistics.median(times)


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


class CausalSelfAttention(nn.Module):
    """examples/names-model.mjs's attention: a static key/value cache written in place."""

    def __init__(self, d_model, n_head):
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x, cache, start):
        B, T, C = x.shape
        q, k, v = (t.reshape(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in self.qkv(x).split(C, 2))
        end = start + T
        cache["k"][:, :, start:end] = k
        cache["v"][:, :, start:end] = v
        keys, values = cache["k"][:, :, :end], cache["v"][:, :, :end]
        # composed by hand: torch 1.13 has no scaled_dot_product_attention (one query: no mask)
        w = torch.softmax((q @ keys.transpose(-2, -1)) * (1 / math.sqrt(C // self.n_head)), -1)
        return self.proj((w @ values).transpose(1, 2).reshape(B, T, C))


class NamesBlock(nn.Module):
    def __init__(self, d_model, n_head):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_head)
        self.ln2 = nn.LayerNorm(d_model)
        self.fc = nn.Linear(d_model, 4 * d_model)
        self.out = nn.Linear(4 * d_model, d_model)

    def forward(self, x, cache, start):
        h = x + self.attn(self.ln1(x), cache, start)
        return h + self.out(nn.functional.gelu(self.fc(self.ln2(h))))


class NamesGPT(nn.Module):
    def __init__(self, vocab=27, context=16, d_model=64, n_head=4, n_layer=2):
        super().__init__()
        self.tokens = nn.Embedding(vocab, d_model)
        self.positions = nn.Embedding(context, d_model)
        self.blocks = nn.ModuleList(NamesBlock(d_model, n_head) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab)
        self.cache_shape = (1, n_head, context, d_model // n_head)

    def forward(self, idx, caches, start):
        x = self.tokens(idx) + self.positions(torch.arange(start, start + idx.shape[1]))
        for block, cache in zip(self.blocks, caches):
            x = block(x, cache, start)
        return self.head(self.ln_f(x))


names = NamesGPT().eval()
names_caches = [{"k": torch.zeros(names.cache_shape), "v": torch.zeros(names.cache_shape)} for _ in names.blocks]
names_gen = torch.Generator().manual_seed(0)


def names_sequence():
    # a whole context of tokens, each drawn from softmax(logits), as bench/seq.mjs's samplingMs
    with torch.no_grad():
        token = 0
        for t in range(16):
            logits = names(torch.tensor([[token]]), names_caches, t).reshape(27)
            token = torch.multinomial(torch.softmax(logits, -1), 1, generator=names_gen).item()


for _ in range(30):
    names_sequence()
cpu0 = time.process_time()
sample = median_ms(names_sequence, 0, 40) / 16
sample_cpu = (time.process_time() - cpu0) * 1000 / (40 * 16)

for _ in range(2):
    gpt_step()
cpu0 = time.process_time()
gpt = median_ms(gpt_step, 0, 8)
gpt_cpu = (time.process_time() - cpu0) * 1000 / 8

print(
    json.dumps(
        {
            "lstm": median_ms(lstm_step, 3, 15),
            "attention": median_ms(attention, 3, 30),
            "attentionCpu": cpu_ms(attention, 3, 7, 10),
            "gpt": gpt,
            "gptCpu": gpt_cpu,
            "sample": sample,
            "sampleCpu": sample_cpu,
        }
    )
)
