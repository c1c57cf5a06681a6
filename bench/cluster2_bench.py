#!/usr/bin/python3
"""k-prototypes and Ward benchmarks: crmkit (bench_kmodes) against references in the same run.

  /usr/bin/python3 bench/cluster2_bench.py [--bench build/bench/bench_kmodes] [--rows 100000]
      [--hier-rows 20000] [--skip-kproto] [--skip-hier]

k-prototypes: 100,000 x 20 mixed rows (10 numeric, 10 categorical), k = 8, Cao's
initialisation. The Python `kmodes` package is not in Debian, so the reference is a
straightforward vectorised numpy k-prototypes (Huang's batch iterations from the same Cao
start, the same gamma), written here; its cost and crmkit's are printed side by side.

Ward: 20,000 x 10 points (8 blobs). crmkit's crm_hclust_linkage against scikit-learn's
AgglomerativeClustering(linkage="ward") and python3-fastcluster's linkage(method="ward"),
each timed once after a warm-up of the imports; merge heights compared with fastcluster's."""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def run_bench(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return {line.split()[0]: float(line.split()[1]) for line in out.splitlines() if line.strip()}


def cao_rows(num, cat, k, gamma):
    n, m = cat.shape
    dens = np.zeros(n, dtype=np.int64)
    for a in range(m):
        dens += np.bincount(cat[:, a])[cat[:, a]]
    rows = [int(np.argmax(dens))]
    mind = np.full(n, np.inf)
    for _ in range(1, k):
        last = rows[-1]
        d = ((num - num[last]) ** 2).sum(axis=1) + gamma * (cat != cat[last]).sum(axis=1)
        mind = np.minimum(mind, d)
        rows.append(int(np.argmax(mind * dens)))
    return rows


def kproto_numpy(num, cat, k, gamma, max_iter=100):
    rows = cao_rows(num, cat, k, gamma)
    means = num[rows].copy()
    modes = cat[rows].copy()
    labels = np.full(num.shape[0], -1)
    it = 0
    for it in range(1, max_iter + 1):
        d = ((num[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
        d += gamma * (cat[:, None, :] != modes[None, :, :]).sum(axis=2)
        new = d.argmin(axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        for c in range(k):
            sel = labels == c
            if sel.any():
                means[c] = num[sel].mean(axis=0)
                for a in range(cat.shape[1]):
                    modes[c, a] = np.bincount(cat[sel, a]).argmax()
    cost = (((num - means[labels]) ** 2).sum() + gamma * (cat != modes[labels]).sum())
    return cost, it


def bench_kproto(args, tmp):
    prefix = os.path.join(tmp, "kp")
    r = run_bench([args.bench, "kproto", str(args.rows), "10", "10", "8", "1", prefix])
    num = np.fromfile(prefix + ".num", dtype=np.float64).reshape(args.rows, 10)
    cat = np.fromfile(prefix + ".cat", dtype=np.int32).reshape(args.rows, 10)
    gamma = 0.5 * num.std(axis=0).mean()
    t0 = time.perf_counter()
    c0 = time.process_time()
    cost, it = kproto_numpy(num, cat, 8, gamma)
    t_ref = time.perf_counter() - t0
    c_ref = time.process_time() - c0
    print("k-prototypes %d x 20 (10 numeric, 10 categorical), k = 8, Cao" % args.rows)
    print("  crmkit      %8.3f s (CPU %.3f s)  cost %.6g  %d batch passes  gamma %.6g"
          % (r["seconds"], r["cpu_seconds"], r["cost"], r["iterations"], r["gamma"]))
    print("  numpy batch %8.3f s (CPU %.3f s)  cost %.6g  %d batch passes  gamma %.6g"
          % (t_ref, c_ref, cost, it, gamma))
    print("  ratio (numpy / crmkit) %.1fx wall, %.1fx CPU"
          % (t_ref / r["seconds"], c_ref / r["cpu_seconds"]))
    r10 = run_bench([args.bench, "kproto", str(args.rows), "10", "10", "8", "1", prefix, "10",
                     "huang"])
    print("  crmkit, Huang's initialisation, n_init 10 (the kmodes package's default count): "
          "%.3f s (CPU %.3f s), cost %.6g" % (r10["seconds"], r10["cpu_seconds"], r10["cost"]))


def bench_hier(args, tmp):
    import fastcluster
    from sklearn.cluster import AgglomerativeClustering
    rng = np.random.RandomState(5)
    n = args.hier_rows
    centres = rng.normal(scale=5.0, size=(8, 10))
    x = centres[rng.randint(0, 8, size=n)] + rng.normal(size=(n, 10))
    path = os.path.join(tmp, "ward.f64")
    x.astype(np.float64).tofile(path)
    hpath = os.path.join(tmp, "heights.f64")
    r = run_bench([args.bench, "hier", path, str(n), "10", "ward", hpath])
    ours = np.fromfile(hpath, dtype=np.float64)
    t0 = time.perf_counter()
    c0 = time.process_time()
    z = fastcluster.linkage(x, method="ward")
    t_fc = time.perf_counter() - t0
    c_fc = time.process_time() - c0
    diff = np.max(np.abs(z[:, 2] - ours))
    del z
    t0 = time.perf_counter()
    c0 = time.process_time()
    AgglomerativeClustering(n_clusters=8, linkage="ward").fit(x)
    t_sk = time.perf_counter() - t0
    c_sk = time.process_time() - c0
    print("Ward linkage, %d x 10" % n)
    print("  crmkit                   %7.3f s (CPU %.3f s)" % (r["seconds"], r["cpu_seconds"]))
    print("  fastcluster.linkage      %7.3f s (CPU %.3f s)  ratio %.2fx wall, %.2fx CPU "
          "(max height difference %.2g)"
          % (t_fc, c_fc, t_fc / r["seconds"], c_fc / r["cpu_seconds"], diff))
    print("  sklearn Agglomerative    %7.3f s (CPU %.3f s)  ratio %.2fx wall, %.2fx CPU"
          % (t_sk, c_sk, t_sk / r["seconds"], c_sk / r["cpu_seconds"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", default="build/bench/bench_kmodes")
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--hier-rows", type=int, default=20000)
    ap.add_argument("--skip-kproto", action="store_true")
    ap.add_argument("--skip-hier", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_kproto:
            bench_kproto(args, tmp)
        if not args.skip_hier:
            bench_hier(args, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
