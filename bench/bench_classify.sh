#!/usr/bin/env bash
# C4.5 training and batch prediction against scikit-learn's entropy tree and Weka's J48 on the
# same 200,000 generated customers, and every model's prediction of the same 1,000,000 new
# customers against its scikit-learn pipeline; prints both sides and the ratios (wall and CPU
# time).
# usage: bash bench/bench_classify.sh [build-dir] [rows]
set -eu
BUILD=${1:-build}
ROWS=${2:-200000}
tmp=$(mktemp -d /tmp/crmkit-bench-classify-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export OMP_WAIT_POLICY=passive
lscpu | grep 'Model name' || true
date -u
"$BUILD/bench/bench_classify" --rows "$ROWS" --repeat 3 --csv "$tmp/train.csv" \
    --predict-csv "$tmp/new.csv" | tee "$tmp/crmkit.txt"
/usr/bin/python3 "$(dirname "$0")/classify_anchors.py" "$tmp/train.csv" --repeat 3 \
    --predict "$tmp/new.csv" | tee "$tmp/anchors.txt"
awk '
  FILENAME ~ /crmkit/ && $1 == "c45" { wall = $3; cpu = $6 + 0 }
  FILENAME ~ /crmkit/ && $8 == "predict" { pw[$1] = $11; pc[$1] = $14 + 0 }
  FILENAME ~ /anchors/ && $1 == "sklearn-predict" { sp[$2] = $6; spc[$2] = $9 + 0 }
  FILENAME ~ /anchors/ && $1 == "sklearn-tree-entropy" { sw = $3; sc = $6 + 0 }
  FILENAME ~ /anchors/ && $1 == "weka-j48" { jw = $3; jc = $6 + 0 }
  END {
    printf "C4.5 fit speed-up: %.1fx wall / %.1fx cpu over scikit-learn (entropy)", sw / wall, sc / cpu
    if (jw > 0) printf ", %.1fx wall / %.1fx cpu over J48", jw / wall, jc / cpu
    printf "\n"
    for (m in sp) if (m in pw) printf "%s predict speed-up: %.1fx wall / %.1fx cpu over scikit-learn\n", m, sp[m] / pw[m], spc[m] / pc[m]
  }' "$tmp/crmkit.txt" "$tmp/anchors.txt"
