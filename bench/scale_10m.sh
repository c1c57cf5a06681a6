#!/usr/bin/env bash
# Ten million customers on one machine: `crmkit segment` end to end on a 10,000,000-row CSV
# (read + clean + choose k + k-means + profile), each stage's time from its --json summary,
# CPU seconds and peak memory from /usr/bin/time -v; then scikit-learn on the same file
# (pandas.read_csv + StandardScaler + KMeans with the same k, n_init=1) and the ratio.
# Run it alone: flock /tmp/bench.lock bench/scale_10m.sh [BUILD_DIR] [ROWS]
# The CSV is made once (crmkit gen customers, seed 7) and kept under bench/out/.
# SKLEARN=0 skips the reference; SKLEARN_TIMEOUT (seconds, default 1800) bounds it.
set -euo pipefail
BUILD=${1:-build}
ROWS=${2:-10000000}
OUT=${CRM_BENCH_OUT:-bench/out}
CRMKIT="$BUILD/crmkit"
mkdir -p "$OUT"
FILE="$OUT/customers_$((ROWS / 1000000))m.csv"
[ "$ROWS" -ge 1000000 ] || FILE="$OUT/customers_${ROWS}.csv"
if [ ! -s "$FILE" ]; then
    echo "making $FILE ..."
    /usr/bin/time -f "gen: %e s wall, %U+%S s CPU, peak %M KB" \
        "$CRMKIT" gen customers --rows "$ROWS" --seed 7 -o "$FILE" --quiet
fi
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%F)"
echo "file: $FILE ($(stat -c %s "$FILE") bytes, $ROWS rows)"
cat "$FILE" >/dev/null # page cache warm for both
echo "load average before: $(cat /proc/loadavg)"

# crmkit, as a user runs it: default options (k chosen by the sweep on a sample, full Lloyd)
/usr/bin/time -v "$CRMKIT" segment "$FILE" -o "$OUT/scale.crmk" --json --quiet \
    >"$OUT/scale_crmkit.json" 2>"$OUT/scale_crmkit.time"
/usr/bin/python3 - "$OUT/scale_crmkit.json" "$OUT/scale_crmkit.time" "$ROWS" <<'PYEOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
t = open(sys.argv[2]).read()
user = float(re.search(r"User time \(seconds\): *([0-9.]+)", t).group(1))
sys_ = float(re.search(r"System time \(seconds\): *([0-9.]+)", t).group(1))
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): *([0-9:.]+)", t).group(1)
parts = [float(p) for p in wall.split(":")]
wall_s = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
rss = int(re.search(r"Maximum resident set size \(kbytes\): *([0-9]+)", t).group(1))
rows = int(sys.argv[3])
mat = rows * len(d["features"]) * 8
print("crmkit segment: k %d (%s), %d features, sample %d rows" %
      (d["k"], d["method"], len(d["features"]), d.get("sample_rows", 0)))
for s in ("load", "prep", "choose_k", "full_pass", "cluster", "profile", "drift"):
    if s + "_seconds" in d:
        print("  %-10s %8.2f s" % (s, d[s + "_seconds"]))
print("  %-10s %8.2f s wall, %.1f s CPU (user %.1f + sys %.1f)" % ("total", wall_s, user + sys_, user, sys_))
print("  peak RSS %.2f GB; float64 matrix %.2f GB (%.2fx)" % (rss * 1024 / 1e9, mat / 1e9, rss * 1024 / mat))
json.dump({"k": d["k"], "wall": wall_s, "cpu": user + sys_, "rss_kb": rss, "inertia": d["inertia"]},
          open(sys.argv[1] + ".sum", "w"))
PYEOF
echo "load average after crmkit: $(cat /proc/loadavg)"

if [ "${SKLEARN:-1}" != 0 ]; then
    k=$(/usr/bin/python3 -c "import json; print(json.load(open('$OUT/scale_crmkit.json.sum'))['k'])")
    set +e
    OMP_WAIT_POLICY=passive /usr/bin/time -v timeout "${SKLEARN_TIMEOUT:-1800}" \
        /usr/bin/python3 bench/scale_10m_sklearn.py "$FILE" "$k" >"$OUT/scale_sklearn.json" 2>"$OUT/scale_sklearn.time"
    rc=$?
    set -e
    /usr/bin/python3 - "$OUT/scale_sklearn.json" "$OUT/scale_sklearn.time" "$OUT/scale_crmkit.json.sum" "$rc" <<'PYEOF'
import json, re, sys
t = open(sys.argv[2]).read()
c = json.load(open(sys.argv[3]))
user = float(re.search(r"User time \(seconds\): *([0-9.]+)", t).group(1))
sys_ = float(re.search(r"System time \(seconds\): *([0-9.]+)", t).group(1))
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): *([0-9:.]+)", t).group(1)
parts = [float(p) for p in wall.split(":")]
wall_s = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
rss = int(re.search(r"Maximum resident set size \(kbytes\): *([0-9]+)", t).group(1))
if sys.argv[4] != "0":
    print("scikit-learn: FAILED (exit %s) after %.1f s wall, %.1f s CPU, peak RSS %.2f GB"
          % (sys.argv[4], wall_s, user + sys_, rss * 1024 / 1e9))
    sys.exit(0)
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
print("scikit-learn (pandas + StandardScaler + KMeans k=%d n_init=1), %d features:" % (d["k"], d["features"]))
for s in ("read", "prep", "kmeans"):
    print("  %-10s %8.2f s (%.1f s CPU)" % (s, d[s + "_seconds"], d[s + "_cpu_seconds"]))
print("  %-10s %8.2f s wall, %.1f s CPU; peak RSS %.2f GB; inertia %.6g (crmkit %.6g)"
      % ("total", wall_s, user + sys_, rss * 1024 / 1e9, d["inertia"], c["inertia"]))
print("ratio sklearn/crmkit: %.2fx wall, %.2fx CPU, %.2fx peak memory"
      % (wall_s / c["wall"], (user + sys_) / c["cpu"], rss / c["rss_kb"]))
PYEOF
    echo "load average after scikit-learn: $(cat /proc/loadavg)"
fi
