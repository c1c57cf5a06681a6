#!/usr/bin/python3
"""Gradient-boosted trees and logistic regression: crmkit against scikit-learn on the same data.

    OMP_WAIT_POLICY=passive /usr/bin/python3 bench/bench_boost.py [--build build] [--rows N]
        [--predict-rows M] [--iters I] [--leaves L] [--repeat R]

Runs build/bench/bench_boost (which generates the customers, times crmkit and dumps the exact
matrices it used), then fits scikit-learn's HistGradientBoostingClassifier with the same
iterations, leaves, bins, learning rate and min_samples_leaf, early stopping off, and
LogisticRegression (lbfgs, C=1) on the same standardised columns, and prints the ratios.
Each timing is the best of R runs.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def best_of(r, fn):
    best, out = float("inf"), None
    for _ in range(r):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def standardise(x, ref):
    mean = np.nanmean(ref, axis=0)
    sd = np.sqrt(np.nanmean(ref * ref, axis=0) - mean * mean)
    sd[~(sd > 0)] = 1.0
    x = np.where(np.isnan(x), mean, x)
    return (x - mean) / sd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rows", type=int, default=200000)
    ap.add_argument("--predict-rows", type=int, default=1000000)
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--leaves", type=int, default=31)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    exe = os.path.join(a.build, "bench", "bench_boost")
    with tempfile.TemporaryDirectory() as d:
        cmd = [exe, "--rows", str(a.rows), "--predict-rows", str(a.predict_rows),
               "--iters", str(a.iters), "--leaves", str(a.leaves), "--repeat", str(a.repeat),
               "--dump", d]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        ours = {}
        for line in out.splitlines():
            k, v = line.split()
            ours[k] = float(v)
        n, p, m = (int(v) for v in open(os.path.join(d, "shape.txt")).read().split())
        X = np.fromfile(os.path.join(d, "X.f64"), dtype="<f8").reshape(n, p)
        y = np.fromfile(os.path.join(d, "y.i32"), dtype="<i4")
        Xp = np.fromfile(os.path.join(d, "Xp.f64"), dtype="<f8").reshape(m, p)

    hgb = HistGradientBoostingClassifier(max_iter=a.iters, max_leaf_nodes=a.leaves,
                                         learning_rate=0.1, min_samples_leaf=20, max_bins=255,
                                         early_stopping=False, random_state=0)
    t_fit, _ = best_of(a.repeat, lambda: hgb.fit(X, y))
    t_pred, _ = best_of(a.repeat, lambda: hgb.predict_proba(Xp))
    sk = {"hgb_fit_seconds": t_fit, "hgb_predict_seconds": t_pred,
          "hgb_n_iter": hgb.n_iter_,
          "hgb_train_logloss": log_loss(y, hgb.predict_proba(X))}
    Xs, Xps = standardise(X, X), standardise(Xp, X)
    lr = LogisticRegression(C=1.0, max_iter=1000)
    t_fit, _ = best_of(a.repeat, lambda: lr.fit(Xs, y))
    t_pred, _ = best_of(a.repeat, lambda: lr.predict_proba(Xps))
    sk.update({"sklearn_logreg_fit_seconds": t_fit, "sklearn_logreg_predict_seconds": t_pred})

    print(f"data: {n} rows x {p} features (generated customers), predict {m} rows")
    for k, v in ours.items():
        print(f"crmkit {k} {v:g}")
    for k, v in sk.items():
        print(f"sklearn {k} {v:g}")
    print(f"ratio gbt fit (sklearn / crmkit): {sk['hgb_fit_seconds'] / ours['gbt_fit_seconds']:.2f}")
    print(f"ratio gbt predict (sklearn / crmkit): "
          f"{sk['hgb_predict_seconds'] / ours['gbt_predict_seconds']:.2f}")
    print(f"ratio logreg fit (sklearn / crmkit): "
          f"{sk['sklearn_logreg_fit_seconds'] / ours['logreg_fit_seconds']:.2f}")
    print(f"ratio logreg predict (sklearn / crmkit): "
          f"{sk['sklearn_logreg_predict_seconds'] / ours['logreg_predict_seconds']:.2f}")


if __name__ == "__main__":
    sys.exit(main())
