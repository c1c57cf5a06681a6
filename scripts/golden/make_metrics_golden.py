#!/usr/bin/python3
"""Golden files for tests/unit/test_metrics.c: scikit-learn's metrics on fixed predictions.

Run with Debian's Python (scikit-learn 1.2):  /usr/bin/python3 scripts/golden/make_metrics_golden.py
Writes tests/golden/metrics/<case>.txt. Each file: a line "n k", then n lines
"y pred p_0 .. p_{k-1}", then one "name v1 v2 ..." line per metric. Scores are rounded to
two decimals in the binary cases so that many ties occur (ROC AUC's tie rule is exercised).
The gains table is not a scikit-learn function: it is computed here from its definition
(rows sorted by score descending, ties by row index; top ceil(n * d / 10) rows).
"""
import os
import numpy as np
from sklearn.metrics import (accuracy_score, confusion_matrix, f1_score,
                             precision_recall_fscore_support, precision_score, recall_score,
                             roc_auc_score)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "golden",
                   "metrics")


def fmt(v):
    return repr(float(v))


def case(name, y, pred, proba):
    n, k = proba.shape
    labels = list(range(k))
    lines = ["%d %d" % (n, k)]
    for i in range(n):
        lines.append("%d %d %s" % (y[i], pred[i], " ".join(fmt(p) for p in proba[i])))
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    lines.append("accuracy " + fmt(accuracy_score(y, pred)))
    lines.append("precision " + " ".join(fmt(v) for v in p))
    lines.append("recall " + " ".join(fmt(v) for v in r))
    lines.append("f1 " + " ".join(fmt(v) for v in f))
    lines.append("support " + " ".join(str(int(v)) for v in s))
    lines.append("macro_precision " + fmt(precision_score(y, pred, labels=labels,
                                                          average="macro", zero_division=0)))
    lines.append("macro_recall " + fmt(recall_score(y, pred, labels=labels, average="macro",
                                                    zero_division=0)))
    lines.append("macro_f1 " + fmt(f1_score(y, pred, labels=labels, average="macro",
                                            zero_division=0)))
    lines.append("weighted_f1 " + fmt(f1_score(y, pred, labels=labels, average="weighted",
                                               zero_division=0)))
    cm = confusion_matrix(y, pred, labels=labels)
    lines.append("confusion " + " ".join(str(int(v)) for v in cm.ravel()))
    if k == 2:
        score = proba[:, 1]
        lines.append("auc " + fmt(roc_auc_score(y, score)))
        order = sorted(range(n), key=lambda i: (-score[i], i))
        pos = int(np.sum(y))
        gains = []
        for d in range(1, 11):
            top = -(-n * d // 10)
            hit = int(sum(y[order[j]] for j in range(top)))
            gains.append("%d %d %s" % (top, hit, fmt(hit / pos)))
        lines.append("gains " + " ".join(gains))
    with open(os.path.join(OUT, name + ".txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(20240)
    # Binary, imbalanced like churn, scores with ties.
    n = 397
    y = (rng.rand(n) < 0.27).astype(int)
    s = np.clip(0.35 * y + rng.rand(n) * 0.75, 0, 1).round(2)
    proba = np.column_stack([1 - s, s])
    pred = (s >= 0.5).astype(int)
    case("binary_ties", y, pred, proba)
    # Binary where one class is never predicted (zero-division path).
    pred0 = np.zeros(n, dtype=int)
    case("binary_never_positive", y, pred0, proba)
    # Three classes, one of them rarely predicted.
    n = 211
    y = rng.randint(0, 3, n)
    raw = rng.rand(n, 3) + np.eye(3)[y] * 0.6
    proba = raw / raw.sum(axis=1, keepdims=True)
    pred = proba.argmax(axis=1)
    flip = rng.rand(n) < 0.2
    pred[flip] = (pred[flip] + 1) % 3
    case("three_classes", y, pred, proba)


if __name__ == "__main__":
    main()
