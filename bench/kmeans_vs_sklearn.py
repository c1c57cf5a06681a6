#!/usr/bin/python3
"""k-means and X-means: crmkit against scikit-learn, FAISS and pyclustering, same data, same run.

Usage (from the repository root, after building into build/):
    OMP_WAIT_POLICY=passive /usr/bin/python3 bench/kmeans_vs_sklearn.py [--bin build/bench/bench_kmeans]
        [--rows 1000000] [--dim 16] [--k 16] [--iters 20] [--repeats 3]
        [--xrows 200000] [--xdim 8] [--xk 6] [--skip-xmeans]

Lloyd: the same 1,000,000 x 16 float64 matrix and the same 16 initial centres for every
tool, tol 0; the time per iteration is (t(N iterations) - t(1 iteration)) / (N - 1), best of
--repeats runs each. The machine floor (DGEMM rate, read bandwidth) is measured by the C
driver. X-means: 200,000 x 8 Gaussian blobs; pyclustering's xmeans (Python core: Debian's
package has no C++ core) from 2 k-means++ centres against crm_xmeans_fit from kmin 2; both
results are scored with the paper's BIC (penalty once per model). The OPENBLAS_CORETYPE of
the environment applies to both sides and is printed."""
import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np


def parse(out):
    vals = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2:
            vals[parts[0]] = float(parts[1])
    return vals


def run_c(args):
    res = subprocess.run(args, check=True, capture_output=True, text=True)
    return parse(res.stdout)


def blobs(n, dim, k, seed):
    rng = np.random.RandomState(seed)
    centres = rng.uniform(-10, 10, size=(k, dim))
    lab = rng.randint(0, k, size=n)
    x = centres[lab] + rng.normal(size=(n, dim))
    return np.ascontiguousarray(x, dtype=np.float64)


def best_of(fn, repeats):
    """Best wall time and best process CPU time (all threads) over repeats."""
    best = math.inf
    best_cpu = math.inf
    extra = None
    for _ in range(repeats):
        c0 = time.process_time()
        t0 = time.perf_counter()
        extra = fn()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, best_cpu, extra


def sklearn_lloyd(x, init, iters, repeats, algorithm="lloyd"):
    from sklearn.cluster import KMeans

    def fit(n):
        km = KMeans(n_clusters=init.shape[0], init=init, n_init=1, max_iter=n, tol=0.0,
                    algorithm=algorithm)
        km.fit(x)
        return km.n_iter_, km.inertia_

    t1, c1, _ = best_of(lambda: fit(1), repeats)
    tn, cn, (n_iter, inertia) = best_of(lambda: fit(iters), repeats)
    return t1, tn, n_iter, inertia, (cn - c1) / (n_iter - 1)


def faiss_lloyd(x, init, iters, repeats):
    import faiss

    def fit(n):
        km = faiss.Kmeans(x.shape[1], init.shape[0], niter=n, max_points_per_centroid=x.shape[0],
                          verbose=False, seed=1)
        km.train(x, init_centroids=init)
        return n

    t1, c1, _ = best_of(lambda: fit(1), repeats)
    tn, cn, _ = best_of(lambda: fit(iters), repeats)
    return t1, tn, iters, (cn - c1) / (iters - 1)


def paper_bic(x, labels):
    """The X-means paper's BIC (docs/algorithms/xmeans.md), penalty once per model."""
    r, m = x.shape
    ks = np.unique(labels)
    k = len(ks)
    sse = 0.0
    mix = 0.0
    for j in ks:
        pts = x[labels == j]
        sse += ((pts - pts.mean(axis=0)) ** 2).sum()
        mix += len(pts) * math.log(len(pts) / r)
    var = sse / (m * (r - k))
    loglik = mix - r * m / 2 * math.log(2 * math.pi * var) - m * (r - k) / 2
    p = (k - 1) + k * m + 1
    return loglik - p / 2 * math.log(r), k


def pyclustering_xmeans(x, kmin, kmax):
    np.warnings = warnings  # pyclustering 0.10.1 uses numpy.warnings (removed in numpy 1.24)
    from pyclustering.cluster.center_initializer import kmeans_plusplus_initializer
    from pyclustering.cluster.xmeans import xmeans
    data = x.tolist()
    t0 = time.perf_counter()
    init = kmeans_plusplus_initializer(data, kmin, random_state=1).initialize()
    xm = xmeans(data, init, kmax=kmax, ccore=True, random_state=1)
    xm.process()
    t = time.perf_counter() - t0
    labels = np.empty(len(data), dtype=np.int64)
    for j, members in enumerate(xm.get_clusters()):
        labels[members] = j
    return t, labels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/bench/bench_kmeans")
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--dim", type=int, default=16)
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--xrows", type=int, default=200000)
    ap.add_argument("--xdim", type=int, default=8)
    ap.add_argument("--xk", type=int, default=6)
    ap.add_argument("--skip-lloyd", action="store_true")
    ap.add_argument("--skip-xmeans", action="store_true")
    a = ap.parse_args()
    print("OPENBLAS_CORETYPE=%s OMP_WAIT_POLICY=%s OMP_NUM_THREADS=%s" % (
        os.environ.get("OPENBLAS_CORETYPE", "(unset)"), os.environ.get("OMP_WAIT_POLICY", "(unset)"),
        os.environ.get("OMP_NUM_THREADS", "(unset)")))
    with tempfile.TemporaryDirectory() as tmp:
        if not a.skip_lloyd:
            x = blobs(a.rows, a.dim, a.k, 42)
            rng = np.random.RandomState(7)
            init = np.ascontiguousarray(x[rng.choice(a.rows, a.k, replace=False)])
            xp = os.path.join(tmp, "x.bin")
            ip = os.path.join(tmp, "init.bin")
            x.tofile(xp)
            init.tofile(ip)
            mach = run_c([a.bin, "machine", str(a.rows), str(a.dim), str(a.k)])
            print("machine: DGEMM %.1f GFLOP/s, read bandwidth %.1f GB/s (%d threads)" % (
                mach["dgemm_gflops"], mach["read_gbs"], mach["threads"]))
            print("  per-iteration floor: %.2f ms (flops %.2f ms, one read of X %.2f ms)" % (
                1e3 * mach["floor_s"], 1e3 * mach["floor_flops_s"], 1e3 * mach["floor_mem_s"]))
            print("  crmkit's screening passes read X's float copy: %.2f ms for one read" % (
                0.5e3 * mach["floor_mem_s"]))
            c = run_c([a.bin, "lloyd", xp, ip, str(a.rows), str(a.dim), str(a.k), str(a.iters),
                       str(a.repeats)])
            ours = c["crmkit_per_iter"]
            ours_cpu = c["crmkit_cpu_per_iter"]
            print("crmkit  lloyd: %.2f ms/iter wall, %.2f ms/iter CPU (t1 %.3f s, t%d %.3f s, "
                  "inertia %.10g)" % (1e3 * ours, 1e3 * ours_cpu, c["crmkit_t1"],
                                      c["crmkit_iters"], c["crmkit_tn"], c["crmkit_inertia"]))
            s1, sn, s_it, s_in, sk_cpu = sklearn_lloyd(x, init, a.iters, a.repeats)
            sk = (sn - s1) / (s_it - 1)
            print("sklearn lloyd: %.2f ms/iter wall, %.2f ms/iter CPU (t1 %.3f s, t%d %.3f s, "
                  "inertia %.10g)" % (1e3 * sk, 1e3 * sk_cpu, s1, s_it, sn, s_in))
            # Elkan: scikit-learn's exact accelerated variant (bounds skip distance work),
            # the fair reference for crmkit passes that re-read only the rows that moved.
            e1, en, e_it, e_in, ek_cpu = sklearn_lloyd(x, init, a.iters, a.repeats, "elkan")
            ek = (en - e1) / (e_it - 1)
            print("sklearn elkan: %.2f ms/iter wall, %.2f ms/iter CPU (t1 %.3f s, t%d %.3f s, "
                  "inertia %.10g)" % (1e3 * ek, 1e3 * ek_cpu, e1, e_it, en, e_in))
            try:
                f1, fn, f_it, fa_cpu = faiss_lloyd(x.astype(np.float32), init.astype(np.float32),
                                                   a.iters, a.repeats)
                fa = (fn - f1) / (f_it - 1)
                print("faiss   lloyd: %.2f ms/iter wall, %.2f ms/iter CPU (t1 %.3f s, t%d %.3f s;"
                      " float32)" % (1e3 * fa, 1e3 * fa_cpu, f1, f_it, fn))
            except ImportError:
                fa = fa_cpu = float("nan")
                print("faiss not installed")
            print("RATIO wall: sklearn/crmkit %.2fx  sklearn-elkan/crmkit %.2fx  faiss/crmkit %.2fx"
                  "  crmkit/floor %.2fx" % (sk / ours, ek / ours, fa / ours, ours / mach["floor_s"]))
            print("RATIO CPU:  sklearn/crmkit %.2fx  faiss/crmkit %.2fx" % (
                sk_cpu / ours_cpu, fa_cpu / ours_cpu))
        if not a.skip_xmeans:
            x = blobs(a.xrows, a.xdim, a.xk, 43)
            xp = os.path.join(tmp, "xm.bin")
            lp = os.path.join(tmp, "xm_labels.bin")
            x.tofile(xp)
            c = run_c([a.bin, "xmeans", xp, str(a.xrows), str(a.xdim), "2", "20", lp])
            ours_lab = np.fromfile(lp, dtype=np.int32)
            ob, ok = paper_bic(x, ours_lab)
            print("crmkit  xmeans: %.3f s, k %d, paper BIC %.6g (reported %.6g)" % (
                c["crmkit_xmeans_s"], ok, ob, c["crmkit_xmeans_bic"]))
            pt, plab = pyclustering_xmeans(x, 2, 20)
            pb, pk = paper_bic(x, plab)
            print("pyclust xmeans: %.3f s, k %d, paper BIC %.6g" % (pt, pk, pb))
            print("RATIO pyclustering/crmkit %.2fx; true k %d; same k: %s; BIC crmkit - pyclustering %.6g"
                  % (pt / c["crmkit_xmeans_s"], a.xk, ok == pk, ob - pb))
    return 0


if __name__ == "__main__":
    sys.exit(main())
