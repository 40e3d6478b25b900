"""Reference values for precision/recall/F1 options, ROC, top-k and regression metrics, from scikit-learn.

Rerun with Debian's python3-sklearn 1.2.1: /usr/bin/python3 scripts/sklearn_scores_fixtures.py
Writes tests/fixtures/sklearn-scores.json (committed; the tests need no Python).
"""
import json
import random

import numpy as np
from sklearn.metrics import (f1_score, mean_absolute_error, mean_squared_error, precision_score,
                             r2_score, recall_score, roc_auc_score, roc_curve, top_k_accuracy_score)

random.seed(1)
rng = np.random.default_rng(1)
out = {"prf": [], "roc": [], "topk": [], "regression": []}

binary_t = [random.randrange(2) for _ in range(40)]
binary_p = [t if random.random() > 0.3 else 1 - t for t in binary_t]
multi_t = [random.randrange(4) for _ in range(50)]
multi_p = [t if random.random() > 0.4 else random.randrange(5) for t in multi_t]  # predicts a label 4 never true
gaps_t = [0, 2, 2, 0, 2]
gaps_p = [0, 2, 0, 0, 2]
none_p = [0, 0, 0, 0]
none_t = [0, 0, 0, 0]
for name, t, p, options in [
    ("binary default", binary_t, binary_p, {}),
    ("binary posLabel 0", binary_t, binary_p, {"average": "binary", "posLabel": 0}),
    ("multiclass macro", multi_t, multi_p, {"average": "macro"}),
    ("multiclass micro", multi_t, multi_p, {"average": "micro"}),
    ("multiclass weighted", multi_t, multi_p, {"average": "weighted"}),
    ("multiclass per label", multi_t, multi_p, {"average": None}),
    ("multiclass labels subset", multi_t, multi_p, {"average": "macro", "labels": [1, 3]}),
    ("multiclass micro labels", multi_t, multi_p, {"average": "micro", "labels": [0, 1, 2, 3]}),
    ("label gaps macro", gaps_t, gaps_p, {"average": "macro"}),
    ("no positives, zeroDivision 0", none_t, none_p, {"average": "binary"}),
    ("no positives, zeroDivision 1", none_t, none_p, {"average": "binary", "zeroDivision": 1}),
    ("absent label, zeroDivision 1", multi_t, multi_p, {"average": None, "labels": [0, 4, 7], "zeroDivision": 1}),
]:
    kw = {"average": options.get("average", "binary"), "zero_division": options.get("zeroDivision", "warn")}
    if "posLabel" in options:
        kw["pos_label"] = options["posLabel"]
    if "labels" in options:
        kw["labels"] = options["labels"]
    res = {"name": name, "target": t, "pred": p, "options": options}
    for fn, key in [(precision_score, "precision"), (recall_score, "recall"), (f1_score, "f1")]:
        v = fn(t, p, **kw)
        res[key] = v.tolist() if isinstance(v, np.ndarray) else float(v)
    out["prf"].append(res)

for name, n, ties in [("distinct", 30, False), ("ties", 40, True)]:
    t = rng.integers(0, 2, n)
    s = np.clip(t * 0.3 + rng.random(n) * 0.7, 0, 1)
    if ties:
        s = np.round(s, 1)
    fpr, tpr, thr = roc_curve(t, s)
    fpr2, tpr2, thr2 = roc_curve(t, s, drop_intermediate=False)
    out["roc"].append({"name": name, "target": t.tolist(), "scores": s.tolist(), "auc": roc_auc_score(t, s),
                       "fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr.tolist(),
                       "fprAll": fpr2.tolist(), "tprAll": tpr2.tolist(), "thresholdsAll": thr2.tolist()})

t = rng.integers(0, 4, 60)
logits = rng.normal(size=(60, 4)) + np.eye(4)[t] * 1.0
prob = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
out["multiclassAuc"] = {"target": t.tolist(), "scores": prob.tolist(),
                        "macro": roc_auc_score(t, prob, multi_class="ovr", average="macro"),
                        "weighted": roc_auc_score(t, prob, multi_class="ovr", average="weighted")}
for k in (1, 2, 3):
    out["topk"].append({"k": k, "target": t.tolist(), "scores": logits.tolist(), "value": top_k_accuracy_score(t, logits, k=k, labels=[0, 1, 2, 3])})

y = rng.normal(size=25)
yhat = y + rng.normal(scale=0.3, size=25)
out["regression"] = {"target": y.tolist(), "pred": yhat.tolist(), "mae": mean_absolute_error(y, yhat), "mse": mean_squared_error(y, yhat),
                     "rmse": mean_squared_error(y, yhat, squared=False), "r2": r2_score(y, yhat)}

with open("tests/fixtures/sklearn-scores.json", "w") as f:
    json.dump(out, f, indent=1)
