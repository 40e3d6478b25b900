"""PyTorch CPU and numpy on the workloads of bench/compare.mjs, one thread each.

Reads a manifest (inputs as raw float32/int32 files written by the JS harness), times each
workload after warm-up, writes every output to a file for the harness to check, and prints one
JSON object: {"info": ..., "results": {framework: {case_index: {"samples_ms": [...]}}}}.
"""
import json
import os
import sys
import time

import numpy as np


def load(d, name, dtype=np.float32):
    return np.fromfile(os.path.join(d, name), dtype=dtype)


def timeit(fn, time_ms, min_iters=5, warmup=2):
    """Per-call latencies (ms) after warm-up: at least min_iters, until time_ms is spent."""
    for _ in range(warmup):
        fn()
    samples = []
    start = time.perf_counter()
    while len(samples) < min_iters or (time.perf_counter() - start) * 1000 < time_ms:
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
        if len(samples) >= 2000:
            break
    return samples


def numpy_case(c, d):
    k = c["kind"]
    if k == "gemm":
        a = load(d, c["a"]).reshape(c["aShape"])
        b = load(d, c["b"]).reshape(c["bShape"])
        A = a.T if c["tA"] else a
        B = b.T if c["tB"] else b
        f = lambda: A @ B
        return f, f
    if k == "elementwise":
        x = load(d, c["x"]).reshape(c["shape"])
        y = load(d, c["y"]).reshape([c["shape"][1]] if c["op"] == "broadcastAdd" else c["shape"]) if c.get("y") else None
        f = {"add": lambda: x + y, "mul": lambda: x * y, "exp": lambda: np.exp(x),
             "relu": lambda: np.maximum(x, 0), "broadcastAdd": lambda: x + y}[c["op"]]
        return f, f
    if k == "reduction":
        x = load(d, c["x"]).reshape(c["shape"])
        f = (lambda: x.sum(c["axis"])) if c["reducer"] == "sum" else (lambda: x.max(c["axis"]))
        return f, f
    if k == "softmax":
        x = load(d, c["x"]).reshape(c["shape"])

        def f():
            e = np.exp(x - x.max(1, keepdims=True))
            return e / e.sum(1, keepdims=True)
        return f, f
    if k in ("mlp", "infer"):
        B, I, H, C = c["batch"], c["inDim"], c["hidden"], c["classes"]
        x = load(d, c["x"]).reshape(B, I)
        y = load(d, c["y"], np.int32)
        p = [load(d, c["w1"]).reshape(I, H), load(d, c["b1"]), load(d, c["w2"]).reshape(H, C), load(d, c["b2"])]
        if k == "infer":
            f = lambda: np.maximum(x @ p[0] + p[1], 0) @ p[2] + p[3]
            return f, f
        lr = np.float32(c["lr"])
        rows = np.arange(B)

        def step():
            w1, b1, w2, b2 = p
            h = np.maximum(x @ w1 + b1, 0)
            z = h @ w2 + b2
            z -= z.max(1, keepdims=True)
            e = np.exp(z)
            dz = e / e.sum(1, keepdims=True)
            dz[rows, y] -= 1
            dz /= B
            gw2 = h.T @ dz
            gb2 = dz.sum(0)
            dh = dz @ w2.T
            dh[h <= 0] = 0
            gw1 = x.T @ dh
            gb1 = dh.sum(0)
            for w, g in ((w1, gw1), (b1, gb1), (w2, gw2), (b2, gb2)):
                w -= lr * g

        def check():
            before = [q.copy() for q in p]
            step()
            return np.concatenate([q.ravel() for q in before + p])
        return step, check
    return None, None


def torch_case(torch, c, d):
    F = torch.nn.functional
    k = c["kind"]
    T = lambda name, shape=None, dtype=np.float32: torch.from_numpy(load(d, name, dtype).reshape(shape) if shape else load(d, name, dtype))
    if k == "gemm":
        a, b = T(c["a"], c["aShape"]), T(c["b"], c["bShape"])
        A = a.t() if c["tA"] else a
        B = b.t() if c["tB"] else b
        f = lambda: torch.matmul(A, B)
        return f, f
    if k == "elementwise":
        x = T(c["x"], c["shape"])
        y = T(c["y"], [c["shape"][1]] if c["op"] == "broadcastAdd" else c["shape"]) if c.get("y") else None
        f = {"add": lambda: torch.add(x, y), "mul": lambda: torch.mul(x, y), "exp": lambda: torch.exp(x),
             "relu": lambda: torch.relu(x), "broadcastAdd": lambda: torch.add(x, y)}[c["op"]]
        return f, f
    if k == "reduction":
        x = T(c["x"], c["shape"])
        f = (lambda: x.sum(c["axis"])) if c["reducer"] == "sum" else (lambda: x.amax(c["axis"]))
        return f, f
    if k == "softmax":
        x = T(c["x"], c["shape"])
        f = lambda: torch.softmax(x, 1)
        return f, f
    if k in ("mlp", "infer"):
        B, I, H, C = c["batch"], c["inDim"], c["hidden"], c["classes"]
        x = T(c["x"], [B, I])
        y = T(c["y"], None, np.int32).long()
        l1, l2 = torch.nn.Linear(I, H), torch.nn.Linear(H, C)
        with torch.no_grad():
            l1.weight.copy_(T(c["w1"], [I, H]).t())
            l1.bias.copy_(T(c["b1"]))
            l2.weight.copy_(T(c["w2"], [H, C]).t())
            l2.bias.copy_(T(c["b2"]))
        model = torch.nn.Sequential(l1, torch.nn.ReLU(), l2)
        if k == "infer":
            def infer():
                with torch.no_grad():
                    return model(x)
            return infer, infer
        opt = torch.optim.SGD(model.parameters(), lr=c["lr"])

        def step():
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()

        def flat():
            return [l1.weight.detach().t().contiguous().numpy().copy(), l1.bias.detach().numpy().copy(),
                    l2.weight.detach().t().contiguous().numpy().copy(), l2.bias.detach().numpy().copy()]

        def check():
            before = flat()
            step()
            return np.concatenate([q.ravel() for q in before + flat()])
        return step, check
    if k == "cnn":
        torch.manual_seed(0)
        x = T(c["x"], [64, 1, 8, 8])
        y = T(c["y"], None, np.int32).long()
        model = torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(512, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.05)

        def step():
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()

        def check():
            with torch.no_grad():
                loss = F.cross_entropy(model(x), y).reshape(1)
            ws = [p.detach().numpy().ravel() for p in model.parameters()]
            return np.concatenate([loss.numpy()] + ws)
        return step, check
    return None, None


def blas_info(torch):
    info = {}
    try:
        from threadpoolctl import threadpool_info
        info["threadpoolctl"] = [{k: v for k, v in lib.items() if k in ("internal_api", "filepath", "version", "num_threads", "threading_layer", "architecture")}
                                 for lib in threadpool_info()]
    except Exception as e:  # threadpoolctl is optional
        info["threadpoolctl"] = f"unavailable: {e}"
    if torch is not None:
        cfg = torch.__config__.show()
        info["torch_config"] = [line.strip() for line in cfg.splitlines() if "BLAS" in line or "LAPACK" in line or "CPU capability" in line]
        info["torch_threads"] = torch.get_num_threads()
    return info


def main():
    manifest_path = sys.argv[1]
    with open(manifest_path) as fh:
        manifest = json.load(fh)
    d = os.path.dirname(manifest_path)
    time_ms = manifest["timeMs"]
    try:
        import torch
        torch.set_num_threads(1)
    except Exception as e:
        torch = None
        torch_error = str(e)
    out = {"info": {"python": sys.version.split()[0], "numpy": np.__version__,
                    "torch": torch.__version__ if torch else f"unavailable: {torch_error}"},
           "results": {"numpy": {}, "torch": {}}}
    for i, c in enumerate(manifest["cases"]):
        for fw in ("numpy", "torch"):
            if fw == "torch" and torch is None:
                continue
            try:
                if fw == "numpy":
                    run, check = numpy_case(c, d)
                else:
                    with torch.no_grad() if c["kind"] not in ("mlp", "cnn") else torch.enable_grad():
                        run, check = torch_case(torch, c, d)
                if run is None:
                    continue
                got = check()
                got = got.detach().numpy() if hasattr(got, "detach") else got
                np.ascontiguousarray(got, dtype=np.float32).tofile(os.path.join(d, f"out-{fw}-{i}.f32"))
                t0 = time.perf_counter()
                run()
                one = (time.perf_counter() - t0) * 1000
                iters = max(3, min(5, int(time_ms * 1.5 / max(one, 1e-3))))
                if fw == "torch" and c["kind"] not in ("mlp", "cnn"):
                    with torch.no_grad():
                        samples = timeit(run, time_ms, iters, 1 if one > 300 else 3)
                else:
                    samples = timeit(run, time_ms, iters, 1 if one > 300 else 3)
                out["results"][fw][str(i)] = {"samples_ms": samples}
            except Exception as e:
                out["results"][fw][str(i)] = {"skipped": f"failed: {e}"}
        print(f"  python {c['id']}", file=sys.stderr, flush=True)
    out["info"]["blas"] = blas_info(torch)
    buf = __import__("io").StringIO()
    try:
        from contextlib import redirect_stdout
        with redirect_stdout(buf):
            np.show_config()
        out["info"]["numpy_config"] = [l for l in buf.getvalue().splitlines() if "libraries" in l or "name" in l.lower()][:8]
    except Exception:
        pass
    print(json.dumps(out))


if __name__ == "__main__":
    main()
