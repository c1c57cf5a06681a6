#!/usr/bin/env bash
# CSV parsing: crmkit's reader against pandas.read_csv (C engine) on the same file, same run.
# Usage: bench/csv_vs_pandas.sh [BUILD_DIR] [ROWS] [COLS] [REPS] [KIND]
# KIND: dec (default: decimals with 0-4 places) or 17 (every value with 17 significant digits)
set -euo pipefail
BUILD=${1:-build}
ROWS=${2:-1000000}
COLS=${3:-16}
REPS=${4:-5}
KIND=${5:-dec}
PY=/usr/bin/python3
OUT=${CRM_BENCH_OUT:-bench/out}
mkdir -p "$OUT"
if [ "$KIND" = 17 ]; then
    FILE="$OUT/csv17_${ROWS}x${COLS}.csv"
    [ -s "$FILE" ] || "$BUILD/bench/bench_csv" make17 "$FILE" "$ROWS" "$COLS"
else
    FILE="$OUT/csv_${ROWS}x${COLS}.csv"
    [ -s "$FILE" ] || "$BUILD/bench/bench_csv" make "$FILE" "$ROWS" "$COLS"
fi
BYTES=$(stat -c %s "$FILE")
echo "file: $FILE ($BYTES bytes, $ROWS rows x $COLS numeric columns)"
cat "$FILE" >/dev/null # page cache warm for both readers

crm1=$("$BUILD/bench/bench_csv" read "$FILE" "$REPS" 1)
crm2=$("$BUILD/bench/bench_csv" read "$FILE" "$REPS" 2)
echo "$crm1"
echo "$crm2"
pd=$(OMP_WAIT_POLICY=passive "$PY" - "$FILE" "$REPS" <<'PYEOF'
import sys, time
import pandas as pd
path, reps = sys.argv[1], int(sys.argv[2])
best = float("inf")
for _ in range(reps):
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    best = min(best, time.perf_counter() - t0)
print(f"pandas {pd.__version__} rows={len(df)} best_s={best:.4f}")
PYEOF
)
echo "$pd"
c1=$(echo "$crm1" | sed 's/.*best_s=\([0-9.]*\).*/\1/')
c2=$(echo "$crm2" | sed 's/.*best_s=\([0-9.]*\).*/\1/')
p=$(echo "$pd" | sed 's/.*best_s=\([0-9.]*\).*/\1/')
awk -v b="$BYTES" -v c1="$c1" -v c2="$c2" -v p="$p" 'BEGIN {
  printf "MB/s: crmkit 1 thread %.0f, crmkit 2 threads %.0f, pandas %.0f\n", b/c1/1e6, b/c2/1e6, b/p/1e6;
  printf "ratio (pandas time / crmkit time): 1 thread %.1fx, 2 threads %.1fx (target >= 5x)\n", p/c1, p/c2 }'
