#!/usr/bin/python3
"""Anchors for bench_classify: scikit-learn's DecisionTreeClassifier(criterion="entropy") and
Weka's J48 (default pruning) trained on the same generated customers that bench_classify
wrote with --csv, with wall and CPU seconds (best of --repeat).

Usage: OMP_WAIT_POLICY=passive /usr/bin/python3 bench/classify_anchors.py train.csv
           [--repeat 3] [--no-j48] [--j48-repeat 1]

scikit-learn gets the usual pipeline (mean imputation, one-hot for region and plan_type; a tree
needs no scaling); its fit time is that of the pipeline. J48 reads an ARFF of the same rows
(missing values as "?"), and its time is the java process's (JVM start included, about
0.3 s), measured by the wall clock and by the CPU time of the child process.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier

TARGET = "churn"
ID = "subscriber_id"


def sklearn_tree(df, repeat):
    feats = [c for c in df.columns if c not in (ID, TARGET)]
    cat = [c for c in feats if df[c].dtype == object]
    num = [c for c in feats if c not in cat]
    best_wall = best_cpu = float("inf")
    leaves = 0
    for _ in range(repeat):
        model = Pipeline([("pre", ColumnTransformer([
            ("num", SimpleImputer(), num),
            ("cat", OneHotEncoder(handle_unknown="ignore"), cat)])),
            ("tree", DecisionTreeClassifier(criterion="entropy", random_state=0))])
        w0, c0 = time.perf_counter(), time.process_time()
        model.fit(df[feats], df[TARGET])
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
        leaves = model[-1].get_n_leaves()
    return best_wall, best_cpu, leaves


def write_arff(df, path):
    feats = [c for c in df.columns if c != ID]
    with open(path, "w") as f:
        f.write("@relation customers\n")
        for c in feats:
            if c == TARGET:
                f.write("@attribute %s {0,1}\n" % c)
            elif df[c].dtype == object:
                levels = sorted(df[c].dropna().unique())
                f.write("@attribute %s {%s}\n" % (c, ",".join(levels)))
            else:
                f.write("@attribute %s numeric\n" % c)
        f.write("@data\n")
        out = df[feats].copy()
        out[TARGET] = out[TARGET].astype(int).astype(str)
        out.to_csv(f, header=False, index=False, na_rep="?")


def j48(df, repeat):
    jar = "/usr/share/java/weka.jar"
    if not os.path.exists(jar):
        return None
    best_wall = best_cpu = float("inf")
    leaves = "?"
    with tempfile.TemporaryDirectory() as tmp:
        arff = os.path.join(tmp, "train.arff")
        write_arff(df, arff)
        for _ in range(repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            w0 = time.perf_counter()
            # -no-cv -v: train only, no cross-validation and no statistics on the training set
            out = subprocess.run(["java", "-Xmx8g", "-cp", jar, "weka.classifiers.trees.J48",
                                  "-t", arff, "-no-cv", "-v"],
                                 capture_output=True, text=True, check=True).stdout
            wall = time.perf_counter() - w0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
            for line in out.splitlines():
                if line.startswith("Number of Leaves"):
                    leaves = line.split(":")[1].strip()
    return best_wall, best_cpu, leaves


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--j48-repeat", type=int, default=1)
    ap.add_argument("--no-j48", action="store_true")
    args = ap.parse_args()
    df = pd.read_csv(args.csv)
    wall, cpu, leaves = sklearn_tree(df, args.repeat)
    print("sklearn-tree-entropy fit %.3f s (cpu %.3f s) leaves %d" % (wall, cpu, leaves))
    sys.stdout.flush()
    if not args.no_j48:
        res = j48(df, args.j48_repeat)
        if res is not None:
            print("weka-j48 fit %.3f s (cpu %.3f s) leaves %s" % res)


if __name__ == "__main__":
    main()
