"""Reference values for Tessera's classification metrics, from scikit-learn.

Rerun with Debian's python3-sklearn: /usr/bin/python3 scripts/sklearn_metrics_fixtures.py
Writes tests/fixtures/sklearn-metrics.json (committed; the tests need no Python).
"""
import json
import random

from sklearn.metrics import (accuracy_score, classification_report, confusion_matrix,
                             f1_score, precision_score, recall_score)

random.seed(0)
cases = []
for name, n, classes, noise in [("balanced", 60, 3, 0.3), ("skewed", 80, 4, 0.5),
                                ("never predicted", 40, 5, 0.0), ("perfect", 25, 3, 0.0)]:
    target = [random.randrange(classes) for _ in range(n)]
    if name == "never predicted":
        pred = [t if t != 4 else 0 for t in target]
        target[0] = 4
    else:
        pred = [t if random.random() > noise else random.randrange(classes) for t in target]
    labels = list(range(classes))
    case = {"name": name, "pred": pred, "target": target, "classes": classes,
            "accuracy": accuracy_score(target, pred),
            "confusion": confusion_matrix(target, pred, labels=labels).tolist(),
            "report": classification_report(target, pred, labels=labels, zero_division=0),
            "report3": classification_report(target, pred, labels=labels, digits=3, zero_division=0,
                                             target_names=[f"class {c}" for c in labels])}
    for avg in ("macro", "micro", "weighted"):
        kw = dict(labels=labels, average=avg, zero_division=0)
        case[f"precision_{avg}"] = precision_score(target, pred, **kw)
        case[f"recall_{avg}"] = recall_score(target, pred, **kw)
        case[f"f1_{avg}"] = f1_score(target, pred, **kw)
    cases.append(case)

with open("tests/fixtures/sklearn-metrics.json", "w") as f:
    json.dump(cases, f, indent=1)
