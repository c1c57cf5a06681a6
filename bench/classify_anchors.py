#!/usr/bin/python3
"""Anchors for bench_classify: scikit-learn's DecisionTreeClassifier(criterion="entropy") and
Weka's J48 (default pruning) trained on the same generated customers that bench_classify
wrote with --csv, with wall and CPU seconds (best of --repeat).

Usage: OMP_WAIT_POLICY=passive /usr/bin/python3 bench/classify_anchors.py train.csv
           [--repeat 3] [--no-j48] [--j48-repeat 1] [--predict new.csv]

scikit-learn gets the usual pipeline (mean imputation, one-hot for region and plan_type; a tree
needs no scaling); its fit time is that of the pipeline. J48 reads an ARFF of the same rows
(missing values as "?"), and its time is the java process's (JVM start included, about
0.3 s), measured by the wall clock and by the CPU time of the child process.

--predict times scikit-learn's batch prediction from a raw table, as bench_classify times
crmkit's: each counterpart is fitted on train.csv inside its pipeline (imputation, one-hot,
and scaling where the model needs it), then predict_proba of the whole pipeline on the
DataFrame read from new.csv (reading not timed), best of --repeat. The MLP is trained for 10
epochs only: the time of a prediction does not depend on how far training went.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
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


def predict_anchors(df, new, repeat):
    """(name, wall, cpu) of predict_proba on new for each counterpart of bench_classify's
    models, fitted on df."""
    feats = [c for c in df.columns if c not in (ID, TARGET)]
    cat = [c for c in feats if df[c].dtype == object]
    num = [c for c in feats if c not in cat]

    def pre(scale):
        steps = [("impute", SimpleImputer())] + ([("scale", StandardScaler())] if scale else [])
        return ColumnTransformer([("num", Pipeline(steps), num),
                                  ("cat", OneHotEncoder(handle_unknown="ignore"), cat)])

    models = [
        ("c45", "DecisionTreeClassifier(entropy)", False,
         DecisionTreeClassifier(criterion="entropy", random_state=0)),
        ("nb", "GaussianNB", False, GaussianNB()),
        ("logreg", "LogisticRegression", True, LogisticRegression(max_iter=1000)),
        ("gbt", "HistGradientBoostingClassifier", False,
         HistGradientBoostingClassifier(max_iter=100, max_leaf_nodes=31, random_state=0)),
        ("mlp", "MLPClassifier(64,32)", True,
         MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=10, random_state=0)),
    ]
    out = []
    for name, what, scale, est in models:
        model = Pipeline([("pre", pre(scale)), ("model", est)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(df[feats], df[TARGET])
        best_wall = best_cpu = float("inf")
        for _ in range(repeat):
            w0, c0 = time.perf_counter(), time.process_time()
            model.predict_proba(new[feats])
            best_wall = min(best_wall, time.perf_counter() - w0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        out.append((name, what, best_wall, best_cpu))
    return out


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
    ap.add_argument("--predict")
    args = ap.parse_args()
    df = pd.read_csv(args.csv)
    if args.predict:
        new = pd.read_csv(args.predict)
        for name, what, wall, cpu in predict_anchors(df, new, args.repeat):
            print("sklearn-predict %-7s %-32s %d rows %.3f s (cpu %.3f s, %.0f rows/s)"
                  % (name, what, len(new), wall, cpu, len(new) / wall))
            sys.stdout.flush()
    wall, cpu, leaves = sklearn_tree(df, args.repeat)
    print("sklearn-tree-entropy fit %.3f s (cpu %.3f s) leaves %d" % (wall, cpu, leaves))
    sys.stdout.flush()
    if not args.no_j48:
        res = j48(df, args.j48_repeat)
        if res is not None:
            print("weka-j48 fit %.3f s (cpu %.3f s) leaves %s" % res)


if __name__ == "__main__":
    main()
