#!/usr/bin/python3
"""Golden files for the Gaussian mixture (EM) tests, from Debian's scikit-learn.

Run from the repository root:  /usr/bin/python3 scripts/golden/make_gmm_golden.py
Writes tests/golden/gmm/: x.csv (the data), init_weights.csv, init_means.csv,
init_covs_full.csv (k*d rows of d), init_covs_diag.csv (k rows of d), and for each case
<case>_weights.csv, <case>_means.csv, <case>_covs.csv, <case>_labels.csv and expected.txt
(key = value lines, 17 significant digits). The fits start from the given parameters
(weights_init, means_init, precisions_init = inverse covariances), so no k-means seeding is
involved and crmkit's EM must retrace scikit-learn's iterations."""
import os

import numpy as np
import sklearn
from sklearn.datasets import make_blobs
from sklearn.mixture import GaussianMixture

OUT = os.path.join("tests", "golden", "gmm")


def save(name, arr, fmt="%.17g"):
    arr = np.asarray(arr)
    np.savetxt(os.path.join(OUT, name), arr.reshape(-1, arr.shape[-1]) if arr.ndim > 1
               else arr.reshape(-1, 1), delimiter=",", fmt=fmt)


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = ["# made by scripts/golden/make_gmm_golden.py with scikit-learn "
             + sklearn.__version__ + ", numpy " + np.__version__]
    rng = np.random.RandomState(5)
    x, _ = make_blobs(n_samples=800, centers=3, n_features=4, cluster_std=[1.0, 2.0, 0.6],
                      random_state=11)
    x = x @ rng.normal(size=(4, 4)) * 0.8 + rng.normal(size=4) * 3
    k, d = 3, x.shape[1]
    w0 = np.array([0.3, 0.3, 0.4])
    m0 = x[rng.choice(x.shape[0], k, replace=False)]
    c_full = np.array([np.cov(x.T, bias=True) for _ in range(k)])
    c_diag = np.array([x.var(axis=0) for _ in range(k)])
    save("x.csv", x)
    save("init_weights.csv", w0)
    save("init_means.csv", m0)
    save("init_covs_full.csv", c_full)
    save("init_covs_diag.csv", c_diag)
    cases = (("full_iter20", "full", 0.0, 20), ("full_tol", "full", 1e-3, 200),
             ("diag_iter20", "diag", 0.0, 20), ("diag_tol", "diag", 1e-3, 200))
    for name, cov, tol, max_iter in cases:
        prec = np.linalg.inv(c_full) if cov == "full" else 1.0 / c_diag
        gm = GaussianMixture(n_components=k, covariance_type=cov, tol=tol, max_iter=max_iter,
                             reg_covar=1e-6, weights_init=w0, means_init=m0,
                             precisions_init=prec, random_state=0)
        labels = gm.fit_predict(x)
        save("%s_weights.csv" % name, gm.weights_)
        save("%s_means.csv" % name, gm.means_)
        save("%s_covs.csv" % name, gm.covariances_)
        save("%s_labels.csv" % name, labels, fmt="%d")
        lines.append("%s_tol = %.17g" % (name, tol))
        lines.append("%s_max_iter = %d" % (name, max_iter))
        lines.append("%s_n_iter = %d" % (name, gm.n_iter_))
        lines.append("%s_converged = %d" % (name, int(gm.converged_)))
        lines.append("%s_lower_bound = %.17g" % (name, gm.lower_bound_))
        lines.append("%s_score = %.17g" % (name, gm.score(x)))
        lines.append("%s_bic = %.17g" % (name, gm.bic(x)))
    with open(os.path.join(OUT, "expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    import warnings
    warnings.simplefilter("ignore")  # tol 0 runs to max_iter on purpose
    raise SystemExit(main())
