#!/usr/bin/python3
"""MLP, naive Bayes, SVM and KNN: crmkit against scikit-learn on the same generated customers.

    OMP_WAIT_POLICY=passive /usr/bin/python3 bench/models_vs_sklearn.py [--build build]
        [--rows N] [--predict-rows M] [--svm-rows S] [--knn-rows K] [--repeat R]
        [--models mlp,nb,svm,knn] [--mlp-seeds 1,2,3,4,5] [--mlp-epochs E]

Runs build/bench/bench_models (which generates the customers, times crmkit and dumps the
exact design matrices it used), then times scikit-learn on the same numbers:
MLPClassifier((64, 32), early_stopping=True) (crmkit's MLP defaults are the same settings),
GaussianNB (crmkit's naive Bayes runs on the raw columns with categorical counts, as
crm_classifier gives it), SVC(probability=False) on the first S rows, and
KNeighborsClassifier(5) fitted on K rows and asked for K test rows. Each time is the best of
R runs (scikit-learn's MLP fit: of min(R, 2) runs). Prints figures and ratios.

"To the same accuracy": both MLPs use the same stopping rule (validation accuracy, patience
10, tol 1e-4), but on this data the validation accuracy is flat from the first epochs, so
the epoch at which the patience runs out is a matter of chance for either library. The MLP is
therefore fitted once per seed of --mlp-seeds on both sides (epochs, time, CPU time, held-out
accuracy each) and the medians are compared; with --mlp-epochs E both sides also run exactly
E epochs without early stopping on all rows, which gives the time per epoch.
"""
import argparse
import os
import subprocess
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np


FIELDS = ("epochs", "seconds", "cpu_seconds", "test_accuracy")


def fmt(v):
    e, w, c, acc = v
    return f"{e:g} epochs {w:.2f} s (CPU {c:.2f} s) acc {acc:.4f}"


def fit_timed(r, fn):
    """Best wall time of r runs of fn and the CPU time of that run."""
    best, cpu = float("inf"), float("inf")
    for _ in range(r):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        t = time.perf_counter() - t0
        if t < best:
            best, cpu = t, time.process_time() - c0
    return best, cpu


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
    ap.add_argument("--models", default="mlp,nb,svm,knn")
    ap.add_argument("--mlp-seeds", default="1,2,3,4,5")
    ap.add_argument("--mlp-epochs", type=int, default=20)
    a = ap.parse_args()
    models = a.models.split(",")
    seeds = [int(v) for v in a.mlp_seeds.split(",")]
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    exe = os.path.join(a.build, "bench", "bench_models")
    with tempfile.TemporaryDirectory() as d:
        cmd = [exe, "--rows", str(a.rows), "--predict-rows", str(a.predict_rows),
               "--svm-rows", str(a.svm_rows), "--svm-predict-rows", str(a.svm_predict_rows),
               "--knn-rows", str(a.knn_rows), "--repeat", str(a.repeat), "--dump", d,
               "--models", a.models, "--mlp-seeds", a.mlp_seeds,
               "--mlp-epochs", str(a.mlp_epochs)]
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
    mlp = None
    if "mlp" in models:
        for i, seed in enumerate(seeds):
            k = f"mlp_fit_s{seed}"
            m_ = MLPClassifier((64, 32), early_stopping=True, random_state=seed)
            sk[k + "_seconds"], sk[k + "_cpu_seconds"] = fit_timed(
                min(a.repeat, 2), lambda: m_.fit(X, y))
            sk[k + "_epochs"] = m_.n_iter_
            sk[k + "_test_accuracy"] = float((m_.predict(Xt) == yt).mean())
            if i == 0:
                mlp = m_
        if a.mlp_epochs > 0:
            m_ = MLPClassifier((64, 32), early_stopping=False, max_iter=a.mlp_epochs,
                               n_iter_no_change=a.mlp_epochs, random_state=seeds[0])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                sk["mlp_fixed_seconds"], sk["mlp_fixed_cpu_seconds"] = fit_timed(
                    min(a.repeat, 2), lambda: m_.fit(X, y))
            sk["mlp_fixed_epochs"] = m_.n_iter_
            sk["mlp_fixed_test_accuracy"] = float((m_.predict(Xt) == yt).mean())
        sk["mlp_predict_seconds"], _ = best_of(a.repeat, lambda: mlp.predict_proba(Xp))
    if "nb" in models:
        nb = GaussianNB()
        t0 = time.perf_counter()
        nb.fit(X, y)
        sk["nb_fit_seconds"] = time.perf_counter() - t0
        sk["nb_test_accuracy"] = float((nb.predict(Xt) == yt).mean())
        sk["nb_predict_seconds"], _ = best_of(a.repeat, lambda: nb.predict_proba(Xp))
    if "svm" in models:
        svc = SVC()
        t0 = time.perf_counter()
        svc.fit(X[:a.svm_rows], y[:a.svm_rows])
        sk["svm_fit_seconds"] = time.perf_counter() - t0
        sk["svm_n_support"] = int(svc.support_.size)
        sk["svm_test_accuracy"] = float((svc.predict(Xt) == yt).mean())
        sk["svm_predict_seconds"], _ = best_of(
            a.repeat, lambda: svc.decision_function(Xp[:a.svm_predict_rows]))
    if "knn" in models:
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
    if "mlp" in models:
        print("MLP (64, 32), early stopping, per seed: epochs, wall s, CPU s, test accuracy")
        for seed in seeds:
            k = f"mlp_fit_s{seed}"
            o, s_ = (ours[k + "_" + f] for f in FIELDS), (sk[k + "_" + f] for f in FIELDS)
            print(f"  seed {seed}: crmkit {fmt(o)} | sklearn {fmt(s_)} | ratio "
                  f"{sk[k + '_seconds'] / ours[k + '_seconds']:.2f}")
        med = {}
        for side, d_ in (("crmkit", ours), ("sklearn", sk)):
            med[side] = [statistics.median(d_[f"mlp_fit_s{s}_{f}"] for s in seeds)
                         for f in FIELDS]
            print(f"  median {side}: {fmt(med[side])}")
        print(f"ratio mlp_fit median time (sklearn / crmkit): "
              f"{med['sklearn'][1] / med['crmkit'][1]:.2f}")
        print(f"ratio mlp_fit total time over the seeds (sklearn / crmkit): "
              f"{sum(sk[f'mlp_fit_s{s}_seconds'] for s in seeds) / sum(ours[f'mlp_fit_s{s}_seconds'] for s in seeds):.2f}")
        if a.mlp_epochs > 0:
            o = [ours["mlp_fixed_" + f] for f in FIELDS]
            s_ = [sk["mlp_fixed_" + f] for f in FIELDS]
            print(f"MLP fixed {a.mlp_epochs} epochs, no early stopping: crmkit {fmt(o)} | "
                  f"sklearn {fmt(s_)}")
            print(f"  per epoch: crmkit {o[1] / o[0]:.4f} s ({o[2] / o[0]:.4f} CPU s), sklearn "
                  f"{s_[1] / s_[0]:.4f} s ({s_[2] / s_[0]:.4f} CPU s); ratio "
                  f"{(s_[1] / s_[0]) / (o[1] / o[0]):.2f}")
    for k in ("mlp_predict", "nb_predict", "svm_fit", "svm_predict", "knn_predict"):
        if k + "_seconds" in sk:
            print(f"ratio {k} (sklearn / crmkit): {sk[k + '_seconds'] / ours[k + '_seconds']:.2f}")
    for k, rows in (("mlp_predict", m), ("nb_predict", m), ("svm_predict", a.svm_predict_rows),
                    ("knn_predict", min(a.knn_rows, nt))):
        if k + "_seconds" in sk:
            print(f"rate {k} rows/s: crmkit {rows / ours[k + '_seconds']:.0f}  "
                  f"sklearn {rows / sk[k + '_seconds']:.0f}")


if __name__ == "__main__":
    sys.exit(main())
