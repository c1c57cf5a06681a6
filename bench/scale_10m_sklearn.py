#!/usr/bin/python3
"""The reference for bench/scale_10m.sh: pandas.read_csv + StandardScaler + KMeans (same k,
n_init=1) on the same file and the same numeric features crmkit segment uses by default.
Prints one JSON line with each stage's wall and CPU seconds and the peak RSS."""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler


def stage(name, fn, out):
    w0, c0 = time.perf_counter(), time.process_time()
    r = fn()
    out[name + "_seconds"] = time.perf_counter() - w0
    out[name + "_cpu_seconds"] = time.process_time() - c0
    return r


def main():
    path, k = sys.argv[1], int(sys.argv[2])
    out = {"k": k}
    df = stage("read", lambda: pd.read_csv(path), out)
    feats = [c for c in df.columns
             if df[c].dtype.kind in "fi" and c != "churn" and not c.endswith("_id")]
    out["features"] = len(feats)
    out["rows"] = len(df)

    def clean():
        x = df[feats].to_numpy(dtype=np.float64)
        x = np.where(np.isnan(x), np.nanmean(x, axis=0), x)
        return StandardScaler().fit_transform(x)

    x = stage("prep", clean, out)
    del df
    km = stage("kmeans", lambda: KMeans(n_clusters=k, n_init=1, random_state=0).fit(x), out)
    out["inertia"] = float(km.inertia_)
    out["iterations"] = int(km.n_iter_)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps(out))


if __name__ == "__main__":
    main()
