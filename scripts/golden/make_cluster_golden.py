#!/usr/bin/python3
"""Golden files for the clustering tests, from Debian's scikit-learn (python3-sklearn).

Run from the repository root:  /usr/bin/python3 scripts/golden/make_cluster_golden.py
Writes tests/golden/cluster/*.csv (plain comma-separated numbers, no header) and
expected.txt (key = value lines, values printed with 17 significant digits)."""
import os
import sys

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import (calinski_harabasz_score, davies_bouldin_score,
                             silhouette_score)

OUT = os.path.join("tests", "golden", "cluster")


def save(name, arr, fmt="%.17g"):
    np.savetxt(os.path.join(OUT, name), np.atleast_2d(arr) if arr.ndim == 1 else arr,
               delimiter=",", fmt=fmt)


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = ["# made by scripts/golden/make_cluster_golden.py with scikit-learn "
             + sklearn.__version__ + ", numpy " + np.__version__]
    rng = np.random.RandomState(7)
    # Overlapping anisotropic blobs, so that Lloyd needs a good number of iterations.
    x, _ = make_blobs(n_samples=1500, centers=6, n_features=5, cluster_std=2.5,
                      random_state=3)
    x = x @ rng.normal(size=(5, 5)) * 0.7 + rng.normal(size=5)
    init = x[rng.choice(x.shape[0], 6, replace=False)]
    save("lloyd_x.csv", x)
    save("lloyd_init.csv", init)
    for name, tol, max_iter in (("tol0", 0.0, 300), ("tol1e-2", 1e-2, 300),
                                ("iter3", 0.0, 3)):
        km = KMeans(n_clusters=6, init=init, n_init=1, max_iter=max_iter, tol=tol,
                    algorithm="lloyd").fit(x)
        save("lloyd_labels_%s.csv" % name, km.labels_.reshape(-1, 1), fmt="%d")
        save("lloyd_centers_%s.csv" % name, km.cluster_centers_)
        lines.append("lloyd_%s_tol = %.17g" % (name, tol))
        lines.append("lloyd_%s_max_iter = %d" % (name, max_iter))
        lines.append("lloyd_%s_inertia = %.17g" % (name, km.inertia_))
        lines.append("lloyd_%s_n_iter = %d" % (name, km.n_iter_))
    # Validity indices: the tol0 labelling, and an arbitrary labelling whose label values
    # are not consecutive.
    km = KMeans(n_clusters=6, init=init, n_init=1, max_iter=300, tol=0.0,
                algorithm="lloyd").fit(x)
    v = np.array([3, 10, 11, 42, 7])[rng.randint(0, 5, size=x.shape[0])]
    save("validity_labels_random.csv", v.reshape(-1, 1), fmt="%d")
    for name, lab in (("kmeans", km.labels_), ("random", v)):
        lines.append("validity_%s_db = %.17g" % (name, davies_bouldin_score(x, lab)))
        lines.append("validity_%s_silhouette = %.17g" % (name, silhouette_score(x, lab)))
        lines.append("validity_%s_ch = %.17g" % (name, calinski_harabasz_score(x, lab)))
    with open(os.path.join(OUT, "expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
