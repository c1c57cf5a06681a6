#!/usr/bin/env bash
# Ten million customers on one machine: `crmkit segment` end to end on a 10,000,000-row CSV
# of FEATURES numeric features (default 20: `crmkit gen customers --features 20`, 24 columns)
# (read + clean + choose k + k-means + profile), each stage's time from its --json summary,
# CPU seconds and peak memory from /usr/bin/time -v, with the default float64 storage and with
# --float32; then scikit-learn on the same file (pandas.read_csv + StandardScaler + KMeans with
# the same k, n_init=1) and the ratio to each.
# Run it alone: flock /tmp/bench.lock bench/scale_10m.sh [BUILD_DIR] [ROWS]
# The CSV is made once (crmkit gen customers, seed 7) and kept under bench/out/ (about 1.1 GB
# for 10 M rows: check `df -h` first, delete it after).
# SKLEARN=0 skips the reference; SKLEARN_TIMEOUT (seconds, default 1800) bounds it;
# STORAGES="float64 float32" (default) picks the crmkit runs.
set -euo pipefail
BUILD=${1:-build}
ROWS=${2:-10000000}
FEATURES=${FEATURES:-20}
OUT=${CRM_BENCH_OUT:-bench/out}
CRMKIT="$BUILD/crmkit"
mkdir -p "$OUT"
FILE="$OUT/customers_$((ROWS / 1000000))m_f$FEATURES.csv"
[ "$ROWS" -ge 1000000 ] || FILE="$OUT/customers_${ROWS}_f$FEATURES.csv"
if [ ! -s "$FILE" ]; then
    echo "making $FILE ..."
    /usr/bin/time -f "gen: %e s wall, %U+%S s CPU, peak %M KB" \
        "$CRMKIT" gen customers --rows "$ROWS" --seed 7 --features "$FEATURES" -o "$FILE" --quiet
fi
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%F)"
echo "file: $FILE ($(stat -c %s "$FILE") bytes, $ROWS rows)"
cat "$FILE" >/dev/null # page cache warm for both
echo "load average before: $(cat /proc/loadavg)"

# crmkit, as a user runs it: default options (k chosen by the sweep on a sample, full Lloyd),
# with each storage of the cleaned matrix
for storage in ${STORAGES:-float64 float32}; do
flag=""
[ "$storage" = float32 ] && flag="--float32"
/usr/bin/time -v "$CRMKIT" segment "$FILE" -o "$OUT/scale.crmk" --json --quiet $flag \
    >"$OUT/scale_crmkit_$storage.json" 2>"$OUT/scale_crmkit_$storage.time"
/usr/bin/python3 - "$OUT/scale_crmkit_$storage.json" "$OUT/scale_crmkit_$storage.time" "$ROWS" "$storage" <<'PYEOF'
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
print("crmkit segment (%s storage): k %d (%s), %d features, sample %d rows" %
      (sys.argv[4], d["k"], d["method"], len(d["features"]), d.get("sample_rows", 0)))
for s in ("load", "prep", "choose_k", "full_pass", "cluster", "profile", "drift"):
    if s + "_seconds" in d:
        print("  %-10s %8.2f s" % (s, d[s + "_seconds"]))
print("  %-10s %8.2f s wall, %.1f s CPU (user %.1f + sys %.1f); inertia %.10g"
      % ("total", wall_s, user + sys_, user, sys_, d["inertia"]))
print("  peak RSS %.2f GB; float64 matrix %.2f GB (%.2fx)" % (rss * 1024 / 1e9, mat / 1e9, rss * 1024 / mat))
json.dump({"k": d["k"], "wall": wall_s, "cpu": user + sys_, "rss_kb": rss, "inertia": d["inertia"]},
          open(sys.argv[1] + ".sum", "w"))
PYEOF
echo "load average after crmkit ($storage): $(cat /proc/loadavg)"
done

if [ "${SKLEARN:-1}" != 0 ]; then
    first=$(for s in ${STORAGES:-float64 float32}; do echo "$s"; break; done)
    k=$(/usr/bin/python3 -c "import json; print(json.load(open('$OUT/scale_crmkit_$first.json.sum'))['k'])")
    set +e
    OMP_WAIT_POLICY=passive /usr/bin/time -v timeout "${SKLEARN_TIMEOUT:-1800}" \
        /usr/bin/python3 bench/scale_10m_sklearn.py "$FILE" "$k" >"$OUT/scale_sklearn.json" 2>"$OUT/scale_sklearn.time"
    rc=$?
    set -e
    /usr/bin/python3 - "$OUT/scale_sklearn.json" "$OUT/scale_sklearn.time" "$rc" "$OUT"/scale_crmkit_*.json.sum <<'PYEOF'
import json, re, sys
t = open(sys.argv[2]).read()
user = float(re.search(r"User time \(seconds\): *([0-9.]+)", t).group(1))
sys_ = float(re.search(r"System time \(seconds\): *([0-9.]+)", t).group(1))
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): *([0-9:.]+)", t).group(1)
parts = [float(p) for p in wall.split(":")]
wall_s = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
rss = int(re.search(r"Maximum resident set size \(kbytes\): *([0-9]+)", t).group(1))
if sys.argv[3] != "0":
    print("scikit-learn: FAILED (exit %s) after %.1f s wall, %.1f s CPU, peak RSS %.2f GB"
          % (sys.argv[3], wall_s, user + sys_, rss * 1024 / 1e9))
    sys.exit(0)
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
print("scikit-learn (pandas + StandardScaler + KMeans k=%d n_init=1), %d features:" % (d["k"], d["features"]))
for s in ("read", "prep", "kmeans"):
    print("  %-10s %8.2f s (%.1f s CPU)" % (s, d[s + "_seconds"], d[s + "_cpu_seconds"]))
print("  %-10s %8.2f s wall, %.1f s CPU; peak RSS %.2f GB; inertia %.6g"
      % ("total", wall_s, user + sys_, rss * 1024 / 1e9, d["inertia"]))
for f in sys.argv[4:]:
    c = json.load(open(f))
    print("ratio sklearn/crmkit (%s): %.2fx wall, %.2fx CPU, %.2fx peak memory; crmkit inertia %.6g"
          % (f.split("scale_crmkit_")[-1].split(".")[0], wall_s / c["wall"], (user + sys_) / c["cpu"],
             rss / c["rss_kb"], c["inertia"]))
PYEOF
    echo "load average after scikit-learn: $(cat /proc/loadavg)"
fi
