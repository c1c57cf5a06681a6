#!/usr/bin/python3
"""MLP, naive Bayes, SVM and KNN: crmkit against scikit-learn on the same generated customers.

    OMP_WAIT_POLICY=passive /usr/bin/python3 bench/models_vs_sklearn.py [--build build]
        [--rows N] [--predict-rows M] [--svm-rows S] [--knn-rows K] [--repeat R]

Runs build/bench/bench_models (which generates the customers, times crmkit and dumps the
exact design matrices it used), then times scikit-learn on the same numbers:
MLPClassifier((64, 32), early_stopping=True) (crmkit's MLP defaults are the same settings),
GaussianNB (crmkit's naive Bayes runs on the raw columns with categorical counts, as
crm_classifier gives it), SVC(probability=False) on the first S rows, and
KNeighborsClassifier(5) fitted on K rows and asked for K test rows. Each time is the best of
R runs (scikit-learn's MLP fit: of min(R, 2) runs). Prints figures and ratios.
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rows", type=int, default=200000)
    ap.add_argument("--predict-rows", type=int, default=1000000)
    ap.add_argument("--svm-rows", type=int, default=5000)
    ap.add_argument("--svm-predict-rows", type=int, default=100000)
    ap.add_argument("--knn-rows", type=int, default=50000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    exe = os.path.join(a.build, "bench", "bench_models")
    with tempfile.TemporaryDirectory() as d:
        cmd = [exe, "--rows", str(a.rows), "--predict-rows", str(a.predict_rows),
               "--svm-rows", str(a.svm_rows), "--svm-predict-rows", str(a.svm_predict_rows),
               "--knn-rows", str(a.knn_rows), "--repeat", str(a.repeat), "--dump", d]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        ours = {}
        for line in out.splitlines():
            k, v = line.split()
            ours[k] = float(v)
        n, p, nt, m = (int(v) for v in open(os.path.join(d, "shape.txt")).read().split())
        X = np.fromfile(os.path.join(d, "X.f64"), dtype="<f8").reshape(n, p)
        y = np.fromfile(os.path.join(d, "y.i32"), dtype="<i4")
        Xt = np.fromfile(os.path.join(d, "Xt.f64"), dtype="<f8").reshape(nt, p)
        yt = np.fromfile(os.path.join(d, "yt.i32"), dtype="<i4")
        Xp = np.fromfile(os.path.join(d, "Xp.f64"), dtype="<f8").reshape(m, p)

    sk = {}
    mlp = MLPClassifier((64, 32), early_stopping=True, random_state=1)
    sk["mlp_fit_seconds"], _ = best_of(min(a.repeat, 2), lambda: mlp.fit(X, y))
    sk["mlp_epochs"] = mlp.n_iter_
    sk["mlp_test_accuracy"] = float((mlp.predict(Xt) == yt).mean())
    sk["mlp_predict_seconds"], _ = best_of(a.repeat, lambda: mlp.predict_proba(Xp))
    nb = GaussianNB()
    t0 = time.perf_counter()
    nb.fit(X, y)
    sk["nb_fit_seconds"] = time.perf_counter() - t0
    sk["nb_test_accuracy"] = float((nb.predict(Xt) == yt).mean())
    sk["nb_predict_seconds"], _ = best_of(a.repeat, lambda: nb.predict_proba(Xp))
    svc = SVC()
    t0 = time.perf_counter()
    svc.fit(X[:a.svm_rows], y[:a.svm_rows])
    sk["svm_fit_seconds"] = time.perf_counter() - t0
    sk["svm_n_support"] = int(svc.support_.size)
    sk["svm_test_accuracy"] = float((svc.predict(Xt) == yt).mean())
    sk["svm_predict_seconds"], _ = best_of(
        a.repeat, lambda: svc.decision_function(Xp[:a.svm_predict_rows]))
    knn = KNeighborsClassifier(5).fit(X[:a.knn_rows], y[:a.knn_rows])
    q = Xt[:a.knn_rows]
    sk["knn_predict_seconds"], pk = best_of(a.repeat, lambda: knn.predict_proba(q))
    sk["knn_test_accuracy"] = float(((pk[:, 1] > pk[:, 0]) == (yt[:len(q)] == 1)).mean())

    print(f"data: {n} training rows x {p} design columns (generated customers), {nt} test rows, "
          f"predict {m} rows")
    for k, v in ours.items():
        print(f"crmkit {k} {v:g}")
    for k, v in sk.items():
        print(f"sklearn {k} {v:g}")
    for k in ("mlp_fit", "mlp_predict", "nb_predict", "svm_fit", "svm_predict", "knn_predict"):
        print(f"ratio {k} (sklearn / crmkit): {sk[k + '_seconds'] / ours[k + '_seconds']:.2f}")
    for k, rows in (("mlp_predict", m), ("nb_predict", m), ("svm_predict", a.svm_predict_rows),
                    ("knn_predict", min(a.knn_rows, nt))):
        print(f"rate {k} rows/s: crmkit {rows / ours[k + '_seconds']:.0f}  "
              f"sklearn {rows / sk[k + '_seconds']:.0f}")


if __name__ == "__main__":
    sys.exit(main())
