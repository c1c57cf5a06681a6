#!/usr/bin/python3
"""Golden values for tests/unit/test_segment.c: the whole cleaning + k-means pipeline in
scikit-learn, from given initial centres in original units.

SimpleImputer(mean) -> clip at np.nanpercentile(2, 98) -> StandardScaler -> KMeans(lloyd,
init = the centres pushed through the same fitted transform, n_init=1, tol=0).
Writes tests/golden/segment/{data.csv,centres.csv,expected.txt}.
Run: /usr/bin/python3 scripts/golden/segment_golden.py
"""
import numpy as np
from sklearn.cluster import KMeans
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler

rng = np.random.default_rng(7)
n = 400
centres_true = np.array([[20, 300, 5], [80, 100, 40], [150, 500, 10], [60, 700, 80]], float)
lab = rng.integers(0, 4, n)
x = centres_true[lab] + rng.normal(0, 1, (n, 3)) * np.array([15.0, 80.0, 8.0])
x[:, 1] += rng.lognormal(0, 1.5, n)  # a heavy tail
x[rng.random((n, 3)) < 0.05] = np.nan
init = np.array([[30, 250, 0], [70, 150, 30], [140, 450, 20], [50, 650, 70]], float)

imp = SimpleImputer(strategy="mean").fit(x)
lo = np.nanpercentile(x, 2, axis=0)
hi = np.nanpercentile(x, 98, axis=0)
xc = np.clip(imp.transform(x), lo, hi)
sc = StandardScaler().fit(xc)
z = sc.transform(xc)
c = sc.transform(np.clip(imp.transform(init), lo, hi))
km = KMeans(n_clusters=4, init=c, n_init=1, max_iter=300, tol=0, algorithm="lloyd").fit(z)

with open("tests/golden/segment/data.csv", "w") as f:
    f.write("id,a,b,c\n")
    for i, row in enumerate(x):
        f.write("u%03d," % i + ",".join("" if np.isnan(v) else "%.17g" % v for v in row) + "\n")
with open("tests/golden/segment/centres.csv", "w") as f:
    f.write("a,b,c\n")
    for row in init:
        f.write(",".join("%.17g" % v for v in row) + "\n")
with open("tests/golden/segment/expected.txt", "w") as f:
    f.write("%.17g %d\n" % (km.inertia_, km.n_iter_))
    f.write(" ".join(str(v) for v in km.labels_) + "\n")
