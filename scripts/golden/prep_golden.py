#!/usr/bin/python3
"""Golden values for tests/unit/test_prep.c from scikit-learn and numpy.

Writes tests/golden/prep/scalers.txt: a heavy-tailed 60 x 3 matrix with missing values, then
what SimpleImputer(mean) + StandardScaler, SimpleImputer(median) + MinMaxScaler and
np.percentile(1, 99) winsorising followed by StandardScaler make of it. Plain numbers with
%.17g so the test reads them without a CSV parser. Run: /usr/bin/python3 scripts/golden/prep_golden.py
"""
import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import MinMaxScaler, StandardScaler

rng = np.random.default_rng(20260101)
n, d = 60, 3
x = np.column_stack([
    rng.lognormal(3.0, 1.2, n),          # heavy tail, like throughput
    rng.normal(100.0, 15.0, n),          # bill
    rng.integers(0, 500, n).astype(float),  # minutes
])
x[rng.random((n, d)) < 0.08] = np.nan

z = StandardScaler().fit_transform(SimpleImputer(strategy="mean").fit_transform(x))
m = MinMaxScaler().fit_transform(SimpleImputer(strategy="median").fit_transform(x))
xi = SimpleImputer(strategy="mean").fit_transform(x)
lo = np.nanpercentile(x, 1, axis=0)
hi = np.nanpercentile(x, 99, axis=0)
c = StandardScaler().fit_transform(np.clip(xi, lo, hi))


def block(f, a):
    for row in a:
        f.write(" ".join("%.17g" % v for v in row) + "\n")


with open("tests/golden/prep/scalers.txt", "w") as f:
    f.write("%d %d\n" % (n, d))
    block(f, x)
    block(f, z)
    block(f, m)
    block(f, c)
    block(f, [lo, hi])
