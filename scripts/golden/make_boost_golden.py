#!/usr/bin/python3
"""Golden files for tests/unit/test_logreg.c (scikit-learn's LogisticRegression, lbfgs, L2)
and tests/unit/test_gbt.c (HistGradientBoostingClassifier predictions).

Run with Debian's Python (scikit-learn 1.2):  /usr/bin/python3 scripts/golden/make_boost_golden.py
Writes tests/golden/boost/logreg_<case>.txt. Each file is whitespace-separated numbers:
    n p k C balanced
    n rows of: p feature values, then the label
    n_coef_rows rows of p coefficients
    n_coef_rows intercepts
    objective value 0.5*||W||^2 + C*sum_i s_i*loss_i at the reference solution
The reference is scikit-learn's own optimum: lbfgs and newton-cg are both run to tol=1e-12 and
the one with the smaller gradient is stored (lbfgs stops on its relative-decrease test, ~1e-5
short of the optimum, when a column is on a large scale); the two must agree to 1e-4 and the
stored one must have max |gradient| / (C * sum of weights) below 1e-9.
"""
import os
import sys
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.utils.class_weight import compute_sample_weight

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "golden", "boost")


def objective(clf, X, y, C, sw):
    W = np.atleast_2d(clf.coef_)
    b = clf.intercept_
    Z = X @ W.T + b
    if W.shape[0] == 1:
        z = Z[:, 0]
        loss = np.logaddexp(0, z) - y * z
    else:
        m = Z.max(axis=1, keepdims=True)
        lse = (m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True)))[:, 0]
        loss = lse - Z[np.arange(len(y)), y]
    return 0.5 * (W * W).sum() + C * (sw * loss).sum()


def grad_norm(clf, X, y, C, sw):
    W = np.atleast_2d(clf.coef_)
    Z = X @ W.T + clf.intercept_
    if W.shape[0] == 1:
        R = (1 / (1 + np.exp(-Z[:, 0])) - y)[:, None]
    else:
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        R = P - np.eye(W.shape[0])[y]
    R = R * sw[:, None]
    gW = W + C * R.T @ X
    gb = C * R.sum(axis=0)
    return max(np.abs(gW).max(), np.abs(gb).max()) / (C * sw.sum())


def case(name, X, y, C=1.0, balanced=False):
    cw = "balanced" if balanced else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = LogisticRegression(C=C, solver="lbfgs", tol=1e-12, max_iter=100000,
                                 class_weight=cw).fit(X, y)
        chk = LogisticRegression(C=C, solver="newton-cg", tol=1e-12, max_iter=100000,
                                 class_weight=cw).fit(X, y)
    W = np.atleast_2d(ref.coef_)
    b = ref.intercept_.copy()
    bc = chk.intercept_.copy()
    if W.shape[0] > 1:
        b -= b.mean()
        bc -= bc.mean()
    diff = max(np.abs(W - np.atleast_2d(chk.coef_)).max(), np.abs(b - bc).max())
    if diff > 1e-4:
        sys.exit(f"{name}: lbfgs and newton-cg disagree by {diff}")
    k = len(np.unique(y))
    sw = compute_sample_weight("balanced", y) if balanced else np.ones(len(y))
    g_ref, g_chk = grad_norm(ref, X, y, C, sw), grad_norm(chk, X, y, C, sw)
    if g_chk < g_ref:
        ref, W, b, g_ref = chk, np.atleast_2d(chk.coef_), bc, g_chk
    if g_ref > 1e-9:
        sys.exit(f"{name}: reference gradient {g_ref} is not small")
    f = objective(ref, X, y, C, sw)
    with open(os.path.join(OUT, f"logreg_{name}.txt"), "w") as fh:
        fh.write(f"{X.shape[0]} {X.shape[1]} {k} {C!r} {int(balanced)}\n")
        for row, lab in zip(X, y):
            fh.write(" ".join(repr(float(v)) for v in row) + f" {int(lab)}\n")
        for row in W:
            fh.write(" ".join(repr(float(v)) for v in row) + "\n")
        fh.write(" ".join(repr(float(v)) for v in b) + "\n")
        fh.write(repr(float(f)) + "\n")
    print(f"{name}: n={X.shape[0]} p={X.shape[1]} k={k} lbfgs-vs-newton {diff:.2e} "
          f"gradient {g_ref:.1e}")


def gbt_case(name, Xtr, ytr, Xte, max_iter):
    from sklearn.ensemble import HistGradientBoostingClassifier
    clf = HistGradientBoostingClassifier(max_iter=max_iter, early_stopping=False,
                                         random_state=0).fit(Xtr, ytr)
    P = clf.predict_proba(Xte)
    k = len(np.unique(ytr))
    with open(os.path.join(OUT, f"gbt_{name}.txt"), "w") as fh:
        fh.write(f"{len(Xtr)} {len(Xte)} {Xtr.shape[1]} {k} {max_iter}\n")
        for row, lab in zip(Xtr, ytr):
            fh.write(" ".join("nan" if np.isnan(v) else repr(float(v)) for v in row)
                     + f" {int(lab)}\n")
        for row, pr in zip(Xte, P):
            fh.write(" ".join("nan" if np.isnan(v) else repr(float(v)) for v in row) + " "
                     + " ".join(repr(float(v)) for v in pr) + "\n")
    print(f"gbt_{name}: train {len(Xtr)} test {len(Xte)} p={Xtr.shape[1]} k={k}")


def gbt_cases():
    # Binary: a nonlinear score of two numeric columns and a 5-level code, 10% missing cells.
    # The label noise keeps nodes impure: on a pure node scikit-learn's float32 gradients
    # give a gain of ~1e-14 that it takes as a split, while exact sums give 0 (no split).
    rng = np.random.default_rng(1)
    n = 1300
    X = np.column_stack([rng.normal(size=n), rng.uniform(-2, 2, size=n),
                         rng.integers(0, 5, size=n).astype(float), rng.normal(size=n)])
    z = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 - 1.5 + 0.6 * (X[:, 2] == 3) + rng.normal(size=n)
    y = (z > 0).astype(int)
    X[rng.uniform(size=X.shape) < 0.1] = np.nan
    X = np.round(X, 6)
    gbt_case("binary", X[:1000], y[:1000], X[1000:], 30)
    # Three classes by angle, missing cells in the noise column.
    n = 1200
    X = rng.normal(size=(n, 3))
    a = np.arctan2(X[:, 1], X[:, 0])
    y = np.where(a < -1.0, 0, np.where(a < 1.2, 1, 2))
    X[rng.uniform(size=n) < 0.15, 2] = np.nan
    X = np.round(X, 6)
    gbt_case("multiclass", X[:900], y[:900], X[900:], 20)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261123)
    # Binary, one column on a large scale (like monthly charges in currency units).
    n, p = 160, 4
    X = rng.normal(size=(n, p))
    X[:, 3] = rng.uniform(20, 120, size=n)
    z = 1.2 * X[:, 0] - 0.8 * X[:, 1] + 0.03 * (X[:, 3] - 70) + rng.logistic(size=n)
    y = (z > 0.3).astype(int)
    case("binary", np.round(X, 6), y)
    # Binary, imbalanced, balanced class weights, stronger penalty.
    n, p = 200, 3
    X = rng.normal(size=(n, p))
    z = X[:, 0] + 0.5 * X[:, 2] + rng.logistic(size=n) - 2.0
    y = (z > 0).astype(int)
    case("balanced", np.round(X, 6), y, C=0.3, balanced=True)
    # Multinomial, three classes.
    n, p = 240, 3
    X = rng.normal(size=(n, p))
    Z = np.stack([X[:, 0], X[:, 1] - 0.5 * X[:, 2], -X[:, 0] + 0.4 * X[:, 2]], axis=1)
    y = np.argmax(Z + rng.gumbel(size=Z.shape), axis=1)
    case("multinomial", np.round(X, 6), y, C=2.0)
    gbt_cases()


if __name__ == "__main__":
    main()
