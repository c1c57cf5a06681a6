#!/usr/bin/python3
"""Golden files for hierarchical clustering, from Debian's scipy (python3-scipy).

Run from the repository root:  /usr/bin/python3 scripts/golden/make_hclust_golden.py
Writes tests/golden/cluster/hclust_*.csv (comma-separated numbers, no header, 17 significant
digits): the data, scipy.cluster.hierarchy.linkage for each linkage, fcluster labels for a cut
by k (criterion "maxclust", k = 2..7) and by height (criterion "distance", midway between merges
46 and 47 and between merges 82 and 83), and for weighted Ward the linkage of the rows repeated
by their weights."""
import os

import numpy as np
import scipy
from scipy.cluster.hierarchy import fcluster, linkage

OUT = os.path.join("tests", "golden", "cluster")


def save(name, arr, fmt="%.17g"):
    arr = np.asarray(arr)
    np.savetxt(os.path.join(OUT, name), np.atleast_2d(arr) if arr.ndim == 1 else arr,
               delimiter=",", fmt=fmt)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(13)
    centres = rng.normal(scale=4.0, size=(4, 3))
    x = np.vstack([c + rng.normal(size=(23, 3)) for c in centres])  # 92 rows, 3 columns
    x = x[rng.permutation(x.shape[0])]
    save("hclust_x.csv", x)
    with open(os.path.join(OUT, "hclust_versions.txt"), "w") as f:
        f.write("# made by scripts/golden/make_hclust_golden.py with scipy %s, numpy %s\n"
                % (scipy.__version__, np.__version__))
    for method in ("ward", "complete", "average", "single"):
        z = linkage(x, method=method, metric="euclidean")
        save("hclust_z_%s.csv" % method, z)
        labels = [fcluster(z, k, criterion="maxclust") for k in range(2, 8)]
        save("hclust_k_%s.csv" % method, np.array(labels), fmt="%d")
        # midway between two merges, so that rounding in the last digit cannot move the cut
        heights = [(z[45, 2] + z[46, 2]) / 2, (z[81, 2] + z[82, 2]) / 2]
        save("hclust_h_%s.csv" % method, np.array(heights))
        cut = [fcluster(z, t, criterion="distance") for t in heights]
        save("hclust_hk_%s.csv" % method, np.array(cut), fmt="%d")
    # weighted Ward: 15 points with integer weights; the linkage of the rows repeated by their
    # weights merges the copies at height 0 first, then its last 14 merges are the weighted
    # tree's heights
    wx = rng.normal(scale=3.0, size=(15, 2))
    w = rng.randint(1, 5, size=15)
    save("hclust_wx.csv", wx)
    save("hclust_w.csv", w, fmt="%d")
    rep = np.repeat(wx, w, axis=0)
    z = linkage(rep, method="ward")
    save("hclust_wz_heights.csv", z[-14:, 2])


if __name__ == "__main__":
    main()
