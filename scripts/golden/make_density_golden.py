#!/usr/bin/python3
"""Golden files for the BIRCH and DBSCAN tests, from Debian's scikit-learn.

Run from the repository root:  /usr/bin/python3 scripts/golden/make_density_golden.py
Writes into tests/golden/cluster/: for each case <name>_x.csv (the rows) and
<name>_labels.csv (scikit-learn's labels, one per line; DBSCAN noise is -1); the parameters
of each case are below and in tests/unit/test_density.c. Also blobs_x.csv and
blobs_truth.csv (make_blobs' own labels), the well-separated blobs OptiGrid and DENCLUE must
recover."""
import os

import numpy as np
from sklearn.cluster import DBSCAN, Birch
from sklearn.datasets import make_blobs

OUT = os.path.join("tests", "golden", "cluster")


def save(name, arr, fmt="%.17g"):
    arr = np.asarray(arr)
    np.savetxt(os.path.join(OUT, name), arr if arr.ndim > 1 else arr.reshape(-1, 1),
               delimiter=",", fmt=fmt)


def main():
    os.makedirs(OUT, exist_ok=True)
    # BIRCH: 600 rows in 3 dimensions, 4 blobs; threshold 0.8, branching 50, 4 clusters (overlapping blobs).
    x, _ = make_blobs(n_samples=600, centers=4, n_features=3, cluster_std=2.5, random_state=3)
    save("birch_a_x.csv", x)
    save("birch_a_labels.csv", Birch(threshold=0.8, branching_factor=50, n_clusters=4)
         .fit_predict(x), fmt="%d")
    # BIRCH with a small branching factor (many splits, a deep tree): 1500 rows, 5-D.
    x, _ = make_blobs(n_samples=1500, centers=5, n_features=5, cluster_std=2.5, random_state=7)
    save("birch_b_x.csv", x)
    save("birch_b_labels.csv", Birch(threshold=1.5, branching_factor=5, n_clusters=5)
         .fit_predict(x), fmt="%d")
    # DBSCAN: blobs plus uniform noise, 2-D, eps 0.6, min_samples 6.
    rng = np.random.RandomState(4)
    x, _ = make_blobs(n_samples=700, centers=3, n_features=2, cluster_std=0.7, random_state=9)
    x = np.vstack([x, rng.uniform(x.min(0) - 2, x.max(0) + 2, size=(100, 2))])
    save("dbscan_a_x.csv", x)
    save("dbscan_a_labels.csv", DBSCAN(eps=0.6, min_samples=6).fit_predict(x), fmt="%d")
    # DBSCAN in 6-D with touching clusters (border rows near two clusters).
    x, _ = make_blobs(n_samples=1200, centers=4, n_features=6, cluster_std=1.3, random_state=21,
                      center_box=(-4, 4))
    save("dbscan_b_x.csv", x)
    save("dbscan_b_labels.csv", DBSCAN(eps=2.2, min_samples=10).fit_predict(x), fmt="%d")
    # Well-separated blobs for OptiGrid and DENCLUE (no scikit-learn counterpart): the truth.
    x, y = make_blobs(n_samples=900, centers=[[0, 0, 0], [6, 0, 0], [0, 6, 0], [3, 3, 6]],
                      n_features=3, cluster_std=0.5, random_state=5)
    save("blobs_x.csv", x)
    save("blobs_truth.csv", y, fmt="%d")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
