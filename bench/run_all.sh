#!/usr/bin/env bash
# Run every benchmark driver against its anchor (same data, same run) and print the ratios.
# Needs a Release build in build/ and the anchors from `scripts/deps.sh --bench`.
# FIMI sets are read from ../shared/data/fimi (skipped when absent).
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY=passive
PY=/usr/bin/python3
run() { echo; echo "== $*"; "$@" || echo "(failed: $*)"; }
run bash bench/csv_vs_pandas.sh build 1000000 16 5
run bash bench/csv_vs_pandas.sh build 1000000 16 5 17
run "$PY" bench/kmeans_vs_sklearn.py --iters 20 --repeats 2
run bash bench/segment_e2e.sh build 1000000 16 3
run "$PY" bench/cluster2_bench.py
run bash bench/cdr_vs_pandas.sh build
run "$PY" bench/gmm_vs_sklearn.py --repeats 2
run "$PY" bench/density_vs_sklearn.py
if [ -d ../shared/data/fimi ]; then
    run build/bench/bench_gzip 20
    if [ -n "${CRM_OLD_CRMKIT:-}" ]; then # a build of an earlier commit: whole itemsets, both
        run "$PY" bench/itemsets_read.py "$CRM_OLD_CRMKIT" build/crmkit 15
    fi
    run build/bench/bench_fim ../shared/data/fimi 3
    run bash bench/fim_vs_weka.sh
else
    echo "skipped itemset benchmarks: ../shared/data/fimi is absent"
fi
if [ -d ../shared/data/telco_churn ]; then
    run "$PY" bench/telco_compare.py
fi
run bash bench/bench_classify.sh
run "$PY" bench/models_vs_sklearn.py
run "$PY" bench/bench_boost.py
