#!/usr/bin/python3
"""BIRCH and DBSCAN: crmkit against scikit-learn's Birch and DBSCAN, same data, same
parameters, same run; peak memory of each side.

Usage (from the repository root, after building build/bench/bench_density):
    flock /tmp/bench.lock /usr/bin/python3 bench/density_vs_sklearn.py [--rows 200000]
        [--dim 8] [--birch-rows 50000] [--eps 0.9,1.8] [--mem-limit-gb 4]

Data: Gaussian blobs (10 centres in [-8, 8]^dim, unit spread, seed 2). Each side runs in its
own process (crmkit: bench_density; scikit-learn: this script re-invoked) under /usr/bin/time,
whose maximum resident set size is the figure printed (the data and, for scikit-learn, the
Python interpreter and numpy included). scikit-learn runs under an
address-space limit of --mem-limit-gb (so that its neighbourhood lists cannot take the shared
machine's memory); a MemoryError is recorded as such. Printed per case: wall and CPU seconds,
peak memory, clusters found, and whether the labels are the same partition (DBSCAN: noise
equal too)."""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def sk_side(args):
    """Child: run scikit-learn on the file and print key value lines."""
    path, n, dim, algo = args[0], int(args[1]), int(args[2]), args[3]
    x = np.fromfile(path, dtype=np.float64).reshape(n, dim)
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        if algo == "birch":
            from sklearn.cluster import Birch
            lab = Birch(threshold=float(args[4]), branching_factor=int(args[5]),
                        n_clusters=int(args[6])).fit_predict(x)
            out = args[7]
        else:
            from sklearn.cluster import DBSCAN
            lab = DBSCAN(eps=float(args[4]), min_samples=int(args[5])).fit_predict(x)
            out = args[6]
    except MemoryError:
        print("failed MemoryError")
        print("peak_rss_kb %d" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        return 0
    print("seconds %.6f" % (time.perf_counter() - t0))
    print("cpu %.6f" % (time.process_time() - c0))
    print("k %d" % len(set(lab[lab >= 0].tolist())))
    lab.astype(np.int32).tofile(out)
    print("peak_rss_kb %d" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return 0


def parse(text):
    d = {}
    for line in text.splitlines():
        if " " in line:
            k, v = line.split(" ", 1)
            d[k] = v
    return d


def same_partition(a, b):
    if a.shape != b.shape or not np.array_equal(a < 0, b < 0):
        return False
    m = a >= 0
    pairs = set(zip(a[m].tolist(), b[m].tolist()))
    return len(pairs) == len(set(a[m].tolist())) == len(set(b[m].tolist()))


def run_case(a, tmp, data, n, algo, params):
    res = {}
    for side in ("crmkit", "sklearn"):
        lab = os.path.join(tmp, "%s.lab" % side)
        if os.path.exists(lab):
            os.remove(lab)
        if side == "crmkit":
            cmd = [a.bin, data, str(n), str(a.dim), algo] + params + [lab]
            pre = None
        else:
            cmd = [sys.executable, __file__, "--child", data, str(n), str(a.dim), algo] + params + [lab]
            lim = int(a.mem_limit_gb * (1 << 30))
            pre = lambda: resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
        # /usr/bin/time reports the child's own peak: a child forked straight from this
        # process would inherit this process's peak (Linux keeps ru_maxrss across exec)
        p = subprocess.run(["/usr/bin/time", "-f", "time_maxrss_kb %M"] + cmd,
                           capture_output=True, text=True, preexec_fn=pre,
                           env=dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2")))
        d = parse(p.stdout)
        t = parse(p.stderr)
        if "time_maxrss_kb" in t:
            d["peak_rss_kb"] = t["time_maxrss_kb"]
        if p.returncode != 0 and "failed" not in d:
            err = [l for l in p.stderr.strip().splitlines() if not l.startswith("time_maxrss_kb")]
            d["failed"] = "exit %d: %s" % (p.returncode, err[-1:] or "")
        if os.path.exists(lab):
            d["labels"] = np.fromfile(lab, dtype=np.int32)
        res[side] = d
    c, s = res["crmkit"], res["sklearn"]
    same = ("labels" in c and "labels" in s and same_partition(c["labels"], s["labels"]))
    def fmt(d):
        if "failed" in d:
            return "FAILED (%s), peak %s MB" % (d["failed"], int(d.get("peak_rss_kb", 0)) // 1024 or "?")
        return "%.2f s wall, %.2f s CPU, peak %d MB, k %s" % (
            float(d["seconds"]), float(d["cpu"]), int(d["peak_rss_kb"]) // 1024, d["k"])
    print("%s %s on %d x %d:" % (algo, " ".join(params), n, a.dim))
    print("  crmkit      " + fmt(c) + ("" if algo == "dbscan" else ", %s subclusters" % c.get("subclusters")))
    print("  scikit-learn " + fmt(s))
    if "failed" not in s and "failed" not in c:
        print("  ratio (wall) %.1fx, ratio (CPU) %.1fx, memory %.1fx less, same partition: %s" % (
            float(s["seconds"]) / float(c["seconds"]), float(s["cpu"]) / float(c["cpu"]),
            int(s["peak_rss_kb"]) / int(c["peak_rss_kb"]), "yes" if same else "NO"))
    sys.stdout.flush()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return sk_side(sys.argv[2:])
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/bench/bench_density")
    ap.add_argument("--rows", type=int, default=200000)
    ap.add_argument("--birch-rows", type=int, default=50000)
    ap.add_argument("--dim", type=int, default=8)
    ap.add_argument("--eps", default="0.9,1.8")
    ap.add_argument("--min-samples", type=int, default=10)
    ap.add_argument("--threshold", type=float, default=1.5)
    ap.add_argument("--branching", type=int, default=50)
    ap.add_argument("--mem-limit-gb", type=float, default=4.0)
    a = ap.parse_args()
    import sklearn
    print("scikit-learn %s, numpy %s; load average %s" % (
        sklearn.__version__, np.__version__, open("/proc/loadavg").read().strip()))
    rng = np.random.RandomState(2)
    centres = rng.uniform(-8, 8, size=(10, a.dim))
    x = centres[rng.randint(0, 10, size=a.rows)] + rng.normal(size=(a.rows, a.dim))
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "x.f64")
        np.ascontiguousarray(x).tofile(data)
        for eps in a.eps.split(","):
            run_case(a, tmp, data, a.rows, "dbscan", [eps, str(a.min_samples)])
        bdata = os.path.join(tmp, "xb.f64")
        np.ascontiguousarray(x[:a.birch_rows]).tofile(bdata)
        run_case(a, tmp, bdata, a.birch_rows, "birch", [str(a.threshold), str(a.branching), "10"])
    print("load average after: %s" % open("/proc/loadavg").read().strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
