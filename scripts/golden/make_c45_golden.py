#!/usr/bin/python3
"""Golden files for tests/unit/test_c45.c: Weka J48 (default pruning: -C 0.25 -M 2) on
(1) the IBM telco churn table with the stratified 70/30 split of bench/telco_compare.py, and
(2) a small synthetic table with missing values in numeric and categorical columns and three
classes (fractional instances, multiway splits).

Run: /usr/bin/python3 scripts/golden/make_c45_golden.py   (needs Debian's weka and sklearn)
Writes tests/golden/c45/telco_j48.txt, tests/golden/c45/missing_j48.txt and the CSVs of the
synthetic case, tests/data/c45_missing_train.csv and c45_missing_test.csv.

Each golden file has lines "key values...": leaves, size, correct (test rows J48 classifies
right), test_rows (0-based data rows of the test part, telco only), pred (J48's predicted
class index per test row, classes sorted as crmkit sorts them) and proba (J48's distribution,
3 decimals, row after row).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "bench"))
import telco_compare as tc  # noqa: E402

OUT = os.path.join(ROOT, "tests", "golden", "c45")


def j48(train_arff, test_arff):
    jar = "/usr/share/java/weka.jar"
    base = ["java", "-cp", jar, "weka.classifiers.trees.J48", "-t", train_arff, "-T", test_arff]
    out = subprocess.run(base, capture_output=True, text=True, check=True).stdout
    leaves = int(out.split("Number of Leaves  :")[1].split()[0])
    size = int(out.split("Size of the tree :")[1].split()[0])
    pred_out = subprocess.run(base + ["-p", "0", "-distribution"], capture_output=True,
                              text=True, check=True).stdout
    preds, probas, correct = [], [], 0
    for line in pred_out.splitlines():
        tok = line.split()
        if len(tok) < 4 or not tok[0].isdigit():
            continue
        actual = tok[1].split(":")[0]
        predicted = tok[2].split(":")[0]
        dist = tok[-1].replace("*", "").split(",")
        preds.append(int(predicted) - 1)
        probas.append([float(v) for v in dist])
        correct += actual == predicted
    return leaves, size, correct, preds, probas


def write(name, leaves, size, correct, preds, probas, test_rows=None):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "w") as f:
        f.write("leaves %d\nsize %d\ncorrect %d\n" % (leaves, size, correct))
        if test_rows is not None:
            f.write("test_rows " + " ".join(str(r) for r in test_rows) + "\n")
        f.write("pred " + " ".join(str(p) for p in preds) + "\n")
        f.write("proba " + " ".join(repr(v) for row in probas for v in row) + "\n")


def telco(tmp):
    df = tc.load(os.path.join(ROOT, "tests", "data", "telco_churn.csv.gz"))
    train, test = train_test_split(df, test_size=0.3, stratify=df[tc.TARGET], random_state=42)
    test = test.sort_index()
    tc.write_arff(train, os.path.join(tmp, "train.arff"))
    tc.write_arff(test, os.path.join(tmp, "test.arff"))
    res = j48(os.path.join(tmp, "train.arff"), os.path.join(tmp, "test.arff"))
    write("telco_j48.txt", *res, test_rows=list(test.index))


def synthetic(tmp):
    rng = np.random.RandomState(7)
    n = 400
    a = rng.normal(size=n)
    b = rng.uniform(0, 10, size=n).round(1)
    c = rng.choice(["red", "green", "blue", "grey"], size=n)
    d = rng.randint(0, 5, size=n).astype(float)
    score = a + (b > 6) * 1.5 + (c == "red") * 1.0 - (c == "blue") * 0.8 + rng.normal(0, .6, n)
    y = np.where(score > 1.2, "high", np.where(score > -0.3, "mid", "low"))
    df = pd.DataFrame({"a": a.round(3), "b": b, "c": c, "d": d, "y": y})
    for col, rate in (("a", 0.12), ("b", 0.08), ("c", 0.1)):
        df.loc[rng.rand(n) < rate, col] = np.nan
    train, test = df.iloc[:300], df.iloc[300:]
    train.to_csv(os.path.join(ROOT, "tests", "data", "c45_missing_train.csv"), index=False)
    test.to_csv(os.path.join(ROOT, "tests", "data", "c45_missing_test.csv"), index=False)
    # ARFF with the class levels in crmkit's order (sorted) so class indices agree.
    for part, name in ((train, "mtrain.arff"), (test, "mtest.arff")):
        with open(os.path.join(tmp, name), "w") as f:
            f.write("@relation m\n@attribute a numeric\n@attribute b numeric\n"
                    "@attribute c {blue,green,grey,red}\n@attribute d numeric\n"
                    "@attribute y {high,low,mid}\n@data\n")
            for _, r in part.iterrows():
                vals = ["?" if pd.isna(r[k]) else (str(r[k]) if k in "cy" else repr(float(r[k])))
                        for k in "abcdy"]
                f.write(",".join(vals) + "\n")
    res = j48(os.path.join(tmp, "mtrain.arff"), os.path.join(tmp, "mtest.arff"))
    write("missing_j48.txt", *res)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        telco(tmp)
        synthetic(tmp)


if __name__ == "__main__":
    main()
