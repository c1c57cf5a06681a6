#!/usr/bin/python3
"""Every crmkit classifier against its scikit-learn counterpart (and C4.5 against Weka's J48)
on the IBM telco churn table, with the same stratified 70/30 split for all.

Usage: /usr/bin/python3 bench/telco_compare.py [--crmkit build/crmkit] [--data FILE]
                                                [--seed 42] [--only c45,gbt] [--markdown]

The split is made once here (scikit-learn's train_test_split, stratified on Churn, given
seed) and written to train.csv / test.csv (and .arff for Weka) in a temporary folder. crmkit
trains on train.csv with --test-size 0 and is scored by `crmkit evaluate` on test.csv; the
scikit-learn models get the usual pipeline (mean imputation + standard scaling for numbers,
one-hot for categories); J48 reads the same rows as ARFF. Each row of the printed table gives
held-out accuracy and ROC AUC of both sides and the differences in points.

To add a model: append a row to MODELS (crmkit --algo and options, scikit-learn factory).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGET = "Churn"
ID = "customerID"


def sk_tree(seed):
    return DecisionTreeClassifier(criterion="entropy", random_state=seed)


def sk_vote(seed):
    return VotingClassifier([("tree", sk_tree(seed)),
                             ("svm", SVC(probability=True, random_state=seed)),
                             ("mlp", MLPClassifier((64, 32), max_iter=300, early_stopping=True,
                                                   random_state=seed))], voting="hard")


# (label, crmkit algo, extra crmkit options, scikit-learn factory or None)
MODELS = [
    ("c45", "c45", [], sk_tree),
    ("c45-unpruned", "c45", ["--c45-prune", "0"], sk_tree),
    ("svm", "svm", [], lambda s: SVC(probability=True, random_state=s)),
    ("mlp", "mlp", [], lambda s: MLPClassifier((64, 32), max_iter=300, early_stopping=True,
                                               random_state=s)),
    ("knn", "knn", [], lambda s: KNeighborsClassifier()),
    ("nb", "nb", [], lambda s: GaussianNB()),
    ("nb-design", "nb", ["--nb-design", "1"], lambda s: GaussianNB()),
    ("logreg", "logreg", [], lambda s: LogisticRegression(max_iter=1000)),
    ("gbt", "gbt", [], lambda s: HistGradientBoostingClassifier(random_state=s)),
    ("vote", "vote", ["--members", "c45,svm,mlp"], sk_vote),
]


def load(path):
    df = pd.read_csv(path)
    df["TotalCharges"] = pd.to_numeric(df["TotalCharges"].replace(" ", np.nan), errors="coerce")
    return df


def write_arff(df, path):
    with open(path, "w") as f:
        f.write("@relation telco\n")
        for col in df.columns:
            if col == ID:
                continue
            if df[col].dtype.kind in "if":
                f.write("@attribute %s numeric\n" % col)
            else:
                levels = sorted(df[col].dropna().unique())
                f.write("@attribute %s {%s}\n" % (col, ",".join("'%s'" % v for v in levels)))
        f.write("@data\n")
        for _, row in df.iterrows():
            vals = []
            for col in df.columns:
                if col == ID:
                    continue
                v = row[col]
                if pd.isna(v):
                    vals.append("?")
                elif df[col].dtype.kind in "if":
                    vals.append(repr(float(v)))
                else:
                    vals.append("'%s'" % v)
            f.write(",".join(vals) + "\n")


def sk_pipeline(model, df):
    feats = [c for c in df.columns if c not in (ID, TARGET)]
    num = [c for c in feats if df[c].dtype.kind in "if"]
    cat = [c for c in feats if c not in num]
    pre = ColumnTransformer([
        ("num", Pipeline([("imp", SimpleImputer()), ("sc", StandardScaler())]), num),
        ("cat", OneHotEncoder(handle_unknown="ignore"), cat)])
    return Pipeline([("pre", pre), ("model", model)]), feats


def run_sklearn(factory, seed, train, test):
    model, feats = sk_pipeline(factory(seed), train)
    y_tr = (train[TARGET] == "Yes").astype(int)
    y_te = (test[TARGET] == "Yes").astype(int)
    t0 = time.perf_counter()
    model.fit(train[feats], y_tr)
    fit_s = time.perf_counter() - t0
    pred = model.predict(test[feats])
    if hasattr(model, "predict_proba") and getattr(model[-1], "voting", "soft") != "hard":
        score = model.predict_proba(test[feats])[:, 1]
    else:
        score = pred
    extra = ""
    if isinstance(model[-1], DecisionTreeClassifier):
        extra = "%d leaves" % model[-1].get_n_leaves()
    return accuracy_score(y_te, pred), roc_auc_score(y_te, score), fit_s, extra


def run_crmkit(crmkit, algo, opts, seed, tmp):
    model = os.path.join(tmp, "m_%s_%d.crmc" % (algo, len(opts)))
    train = os.path.join(tmp, "train.csv")
    test = os.path.join(tmp, "test.csv")
    cmd = [crmkit, "train", train, "--target", TARGET, "--algo", algo, "--test-size", "0",
           "--seed", str(seed), "-o", model, "--json", "--quiet"] + opts
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "exit %d" % r.returncode
    fit_s = json.loads(r.stdout)["fit_seconds"]
    r = subprocess.run([crmkit, "evaluate", model, test, "--target", TARGET, "--json"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()
    m = json.loads(r.stdout)
    extra = ""
    if algo == "c45":
        show = subprocess.run([crmkit, "show", model], capture_output=True, text=True).stdout
        leaves = re.search(r"Number of leaves: (\d+)", show)
        size = re.search(r"Size of the tree: (\d+)", show)
        if leaves and size:
            extra = "%s leaves, size %s" % (leaves.group(1), size.group(1))
    return (m["accuracy"], m["auc"], fit_s, extra), None


def run_j48(tmp):
    jar = "/usr/share/java/weka.jar"
    if not os.path.exists(jar):
        return None
    cmd = ["java", "-cp", jar, "weka.classifiers.trees.J48", "-t",
           os.path.join(tmp, "train.arff"), "-T", os.path.join(tmp, "test.arff"), "-i"]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    secs = time.perf_counter() - t0
    test_part = out[out.find("=== Error on test data ==="):]
    acc = float(re.search(r"Correctly Classified Instances\s+\d+\s+([\d.]+)", test_part).group(1))
    auc_yes = None
    detail = test_part[test_part.find("=== Detailed Accuracy By Class ==="):]
    for line in detail.splitlines():
        tok = line.split()
        if len(tok) >= 7 and tok[-1].strip("'") == "Yes":
            auc_yes = float(tok[-2])
            break
    leaves = re.search(r"Number of Leaves\s*:\s*(\d+)", out).group(1)
    size = re.search(r"Size of the tree\s*:\s*(\d+)", out).group(1)
    return acc / 100.0, auc_yes, secs, "%s leaves, size %s" % (leaves, size)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crmkit", default=os.path.join(ROOT, "build", "crmkit"))
    ap.add_argument("--data", default=os.path.join(ROOT, "tests", "data", "telco_churn.csv.gz"))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    only = set(args.only.split(",")) if args.only else None
    df = load(args.data)
    train, test = train_test_split(df, test_size=0.3, stratify=df[TARGET],
                                   random_state=args.seed)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        train.to_csv(os.path.join(tmp, "train.csv"), index=False)
        test.to_csv(os.path.join(tmp, "test.csv"), index=False)
        for label, algo, opts, factory in MODELS:
            if only and label not in only:
                continue
            ours, why = run_crmkit(args.crmkit, algo, opts, args.seed, tmp)
            ref = run_sklearn(factory, args.seed, train, test) if factory else None
            rows.append((label, "scikit-learn", ours, ref, why))
            if label == "c45":
                write_arff(train, os.path.join(tmp, "train.arff"))
                write_arff(test, os.path.join(tmp, "test.arff"))
                rows.append((label, "Weka J48", ours, run_j48(tmp), why))
    print("telco churn, %d train / %d test rows, stratified split seed %d" %
          (len(train), len(test), args.seed))
    print("| model | anchor | crmkit acc | anchor acc | diff (pts) | crmkit AUC | anchor AUC |"
          " diff (pts) | crmkit fit s | anchor fit s | notes (crmkit / anchor) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, anchor, ours, ref, why in rows:
        if ours is None:
            print("| %s | %s | n/a | %s | | | %s | | | %s | %s |" %
                  (label, anchor, "%.4f" % ref[0] if ref else "", "%.4f" % ref[1] if ref else "",
                   "%.2f" % ref[2] if ref else "", why))
            continue
        d_acc = 100 * (ours[0] - ref[0]) if ref else float("nan")
        d_auc = 100 * (ours[1] - ref[1]) if ref and ref[1] is not None and ours[1] is not None \
            else float("nan")
        print("| %s | %s | %.4f | %.4f | %+.1f | %.4f | %s | %+.1f | %.2f | %.2f | %s / %s |" %
              (label, anchor, ours[0], ref[0], d_acc, ours[1] if ours[1] is not None else float("nan"),
               "%.4f" % ref[1] if ref[1] is not None else "n/a", d_auc, ours[2], ref[2],
               ours[3], ref[3]))


if __name__ == "__main__":
    sys.exit(main())
