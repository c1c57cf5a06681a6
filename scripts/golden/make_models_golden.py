#!/usr/bin/python3
"""Golden files for the naive Bayes, KNN, SVM and MLP unit tests (tests/golden/models/).

Run with Debian's Python: /usr/bin/python3 scripts/golden/make_models_golden.py
Each file is a list of arrays, one per block:
    name rows cols
    v v v ...          (rows lines of cols numbers, %.17g)
The tests parse them without Python.
"""
import os
import sys

import numpy as np
from sklearn.naive_bayes import GaussianNB, CategoricalNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "golden", "models")


def write(path, arrays):
    with open(path, "w") as f:
        for name, a in arrays:
            a = np.asarray(a, dtype=float)
            if a.ndim == 1:
                a = a.reshape(-1, 1)
            f.write("%s %d %d\n" % (name, a.shape[0], a.shape[1]))
            for row in a:
                f.write(" ".join("%.17g" % v for v in row) + "\n")


def blobs(rng, n, d, k, spread):
    centres = rng.normal(0, 3, size=(k, d))
    y = rng.integers(0, k, size=n)
    x = centres[y] + rng.normal(0, spread, size=(n, d)) * rng.uniform(0.5, 2.0, size=d)
    return x, y


def nbayes(rng):
    x, y = blobs(rng, 90, 4, 3, 1.5)
    xt, _ = blobs(rng, 25, 4, 3, 2.5)
    g = GaussianNB().fit(x, y)
    arrays = [("x", x), ("y", y), ("xt", xt), ("theta", g.theta_), ("var", g.var_),
              ("proba", g.predict_proba(xt)), ("jll", g.predict_joint_log_proba(xt)
                                               if hasattr(g, "predict_joint_log_proba")
                                               else g._joint_log_likelihood(xt)),
              ("pred", g.predict(xt))]
    # Mixed: 2 numeric columns (Gaussian) + 2 categorical columns (3 and 2 levels).
    xc = np.column_stack([rng.integers(0, 3, size=90), rng.integers(0, 2, size=90)])
    xc[:, 0] = np.where(rng.uniform(size=90) < 0.5, y % 3, xc[:, 0])
    xct = np.column_stack([rng.integers(0, 3, size=25), rng.integers(0, 2, size=25)])
    gm = GaussianNB().fit(x[:, :2], y)
    cm = CategoricalNB(alpha=1.0, min_categories=[3, 2]).fit(xc, y)
    jg = gm._joint_log_likelihood(xt[:, :2])
    jc = cm._joint_log_likelihood(xct)
    jll = jg + jc - np.log(gm.class_prior_)
    proba = np.exp(jll - jll.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    arrays += [("xm", np.column_stack([x[:, :2], xc])), ("xmt", np.column_stack([xt[:, :2], xct])),
               ("mixed_proba", proba)]
    write(os.path.join(OUT, "nbayes.txt"), arrays)


def knn(rng):
    x, y = blobs(rng, 120, 3, 3, 2.0)
    xt, _ = blobs(rng, 30, 3, 3, 3.0)
    arrays = [("x", x), ("y", y), ("xt", xt)]
    for w in ("uniform", "distance"):
        m = KNeighborsClassifier(n_neighbors=7, weights=w, algorithm="brute").fit(x, y)
        dist, ind = m.kneighbors(xt)
        arrays += [("ind_" + w, ind), ("dist_" + w, dist), ("proba_" + w, m.predict_proba(xt)),
                   ("pred_" + w, m.predict(xt))]
    write(os.path.join(OUT, "knn.txt"), arrays)


def svm(rng):
    x, y = blobs(rng, 80, 3, 2, 2.5)
    xt, _ = blobs(rng, 20, 3, 2, 3.0)
    gamma = 1.0 / (x.shape[1] * x.var())
    arrays = [("x", x), ("y", y), ("xt", xt), ("gamma", [gamma])]
    for kern in ("linear", "rbf", "poly"):
        m = SVC(kernel=kern, C=1.0, gamma=gamma, degree=3, coef0=0.0, tol=1e-3,
                shrinking=True).fit(x, y)
        # Positive for class 1, the sign crm_svm_decision_function uses too.
        dec = m.decision_function(xt)
        arrays += [("dec_" + kern, dec), ("nsv_" + kern, [m.support_.size])]
    write(os.path.join(OUT, "svm.txt"), arrays)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261123)
    nbayes(rng)
    knn(rng)
    svm(rng)
    return 0


if __name__ == "__main__":
    sys.exit(main())
