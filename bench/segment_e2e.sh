#!/usr/bin/env bash
# The whole `crmkit segment` (load + clean + 15 Lloyd iterations + profile + drift reference +
# model file) against pandas.read_csv + scikit-learn KMeans(init=the same centres, n_init=1,
# max_iter=15, tol=0).fit on the same CSV of doubles written with 17 significant digits.
# Both sides cluster the same matrix (crmkit: --scale none --transform none) from the same
# initial centres; the first round checks that they reach the same partition (cluster sizes
# equal, inertia and every cluster mean within 1e-9 relative).
#
# Rounds are interleaved (crmkit 2 threads, reference 2 threads, crmkit 1 thread, reference
# 1 thread, ...); medians of wall and CPU seconds (user + system, all threads) per side are
# printed with the ratio reference / crmkit. crmkit is timed as a whole process (start-up,
# reading, writing the model); the reference inside its process from pandas.read_csv to the
# end of fit (interpreter start and imports not counted). One thread on the reference:
# OMP_NUM_THREADS=1 and threadpoolctl limit 1; two: 2 and 2. OMP_WAIT_POLICY=passive on both.
#
# After the timed rounds, one untimed run per thread count keeps its outputs (model, labels,
# --json summary without timings) under $OUT/e2e_outputs/t<N>/ and prints their SHA-256; they
# must agree across thread counts, and with EXPECT_DIR=<a copy of e2e_outputs from another
# build> every file is compared byte for byte (exit 1 when one differs).
#
# CRMKIT_BASE=<another crmkit binary> adds it to every round (after the reference), for a
# before/after ratio measured in the same run.
#
# PAUSE=<seconds> idles that long before every timed run, as between a user's commands. Back
# to back, each run gets the pages the one before just freed; after a pause, a virtual
# machine that hands free memory back to its host (free page reporting) must be given them
# again, and first touches cost more, on both sides.
#
# Usage: [EXPECT_DIR=dir] [CRMKIT_BASE=bin] bench/segment_e2e.sh [BUILD_DIR] [ROWS] [COLS] [ROUNDS] [K] [ITERS]
# Run it under flock /tmp/bench.lock on a shared machine.
set -euo pipefail
BUILD=${1:-build}
ROWS=${2:-1000000}
COLS=${3:-16}
ROUNDS=${4:-5}
K=${5:-16}
ITERS=${6:-15}
PY=/usr/bin/python3
OUT=${CRM_BENCH_OUT:-bench/out}
CRMKIT=${CRMKIT:-$BUILD/crmkit}
[ -x "$CRMKIT" ] || CRMKIT=$BUILD/tools/crmkit/crmkit
mkdir -p "$OUT"
FILE="$OUT/csv17_${ROWS}x${COLS}.csv"
[ -s "$FILE" ] || "$BUILD/bench/bench_csv" make17 "$FILE" "$ROWS" "$COLS"
INIT="$OUT/init_${ROWS}x${COLS}_k${K}.csv"
# k data rows at seeded positions, copied as text: both sides parse the same digits
[ -s "$INIT" ] || "$PY" - "$FILE" "$INIT" "$ROWS" "$K" <<'PYEOF'
import random, sys
path, init, rows, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(7)
pick = set(rng.sample(range(1, rows + 1), k))
with open(path) as f, open(init, "w") as g:
    for i, line in enumerate(f):
        if i == 0 or i in pick:
            g.write(line)
PYEOF
echo "file: $FILE ($(stat -c %s "$FILE") bytes, $ROWS rows x $COLS columns, 17 significant digits)"
echo "init: $INIT ($K centres), $ITERS iterations, tol 0"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; loadavg before: $(cat /proc/loadavg)"
cat "$FILE" >/dev/null # page cache warm for both sides

echo "pause before each timed run: ${PAUSE:-0} s"

OMP_WAIT_POLICY=passive "$PY" - "$CRMKIT" "$FILE" "$INIT" "$ROUNDS" "$ITERS" "$OUT" "${PAUSE:-0}" <<'PYEOF'
import json, os, resource, statistics, subprocess, sys, time
crmkit, path, init, rounds, iters, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
pause = float(sys.argv[7])
model = os.path.join(out, "segment_e2e.crmk")

REF = r'''
import json, resource, sys, time
import numpy as np, pandas as pd
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits
path, init, iters, nt, check = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
centres = pd.read_csv(init).to_numpy()
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
with threadpool_limits(nt):
    c0, t0 = cpu(), time.perf_counter()
    df = pd.read_csv(path)
    c1, t1 = cpu(), time.perf_counter()
    km = KMeans(n_clusters=len(centres), init=centres, n_init=1, max_iter=iters, tol=0.0,
                algorithm="lloyd").fit(df.to_numpy())
    wall, cs = time.perf_counter() - t0, cpu() - c0
res = {"wall": wall, "cpu": cs, "inertia": km.inertia_, "n_iter": int(km.n_iter_),
       "read_wall": t1 - t0, "read_cpu": c1 - c0}
if check:
    x = df.to_numpy()
    lab = km.labels_
    res["sizes"] = np.bincount(lab, minlength=len(centres)).tolist()
    res["means"] = [x[lab == j].mean(axis=0).tolist() for j in range(len(centres))]
    res["columns"] = list(df.columns)
print(json.dumps(res))
'''

base = os.environ.get("CRMKIT_BASE", "")

def crm(nt, binary=None):
    time.sleep(pause)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([binary or crmkit, "segment", path, "-o", model, "--init", init, "--max-iter", str(iters),
                        "--tol", "0", "--scale", "none", "--transform", "none", "--threads", str(nt),
                        "--json", "--quiet"], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = json.loads(p.stdout)
    res["wall"] = wall
    res["cpu"] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return res

def ref(nt, check):
    env = dict(os.environ, OMP_NUM_THREADS=str(nt), OPENBLAS_NUM_THREADS=str(nt))
    time.sleep(pause)
    p = subprocess.run([sys.executable, "-c", REF, path, init, str(iters), str(nt), "1" if check else "0"],
                       check=True, capture_output=True, text=True, env=env)
    return json.loads(p.stdout.strip().splitlines()[-1])

def same(c, r):
    """Same partition: sizes equal, inertia and the cluster means within 1e-9 relative."""
    ok = c["iterations"] == r["n_iter"] and c["sizes"] == r["sizes"]
    ok = ok and abs(c["inertia"] - r["inertia"]) <= 1e-9 * abs(r["inertia"])
    worst = 0.0
    for j, seg in enumerate(c["profile"]["segments"]):
        for f, name in enumerate(r["columns"]):
            a, b = seg["features"][name]["mean"], r["means"][j][f]
            worst = max(worst, abs(a - b) / max(abs(b), 1.0))
    ok = ok and worst <= 1e-9
    print("check: crmkit %d iterations, inertia %.17g, sizes %s" % (c["iterations"], c["inertia"], c["sizes"]))
    print("check: sklearn %d iterations, inertia %.17g, sizes %s" % (r["n_iter"], r["inertia"], r["sizes"]))
    print("check: largest relative difference of a cluster mean %.3g: %s" % (worst, "SAME" if ok else "DIFFERENT"))
    return ok

times = {(s, nt): {"wall": [], "cpu": []} for s in ("crmkit", "ref", "base") for nt in (2, 1)}
stages = {2: [], 1: []}
ref_stages = {2: [], 1: []}
ok = True
for rnd in range(rounds):
    for nt in (2, 1):
        c = crm(nt)
        r = ref(nt, rnd == 0 and nt == 2)
        if rnd == 0 and nt == 2:
            ok = same(c, r)
        for s, v in (("crmkit", c), ("ref", r)):
            times[(s, nt)]["wall"].append(v["wall"])
            times[(s, nt)]["cpu"].append(v["cpu"])
        stages[nt].append(c)
        ref_stages[nt].append(r)
        if base:
            b = crm(nt, base)
            times[("base", nt)]["wall"].append(b["wall"])
            times[("base", nt)]["cpu"].append(b["cpu"])
            print("round %d threads %d: CRMKIT_BASE wall %.3f cpu %.3f" % (rnd + 1, nt, b["wall"], b["cpu"]))
        print("round %d threads %d: crmkit wall %.3f cpu %.3f | reference wall %.3f cpu %.3f | load %s" % (
            rnd + 1, nt, c["wall"], c["cpu"], r["wall"], r["cpu"], open("/proc/loadavg").read().split()[0]),
            flush=True)
med = lambda a: statistics.median(a)
for nt in (2, 1):
    cw, cc = med(times[("crmkit", nt)]["wall"]), med(times[("crmkit", nt)]["cpu"])
    rw, rc = med(times[("ref", nt)]["wall"]), med(times[("ref", nt)]["cpu"])
    st = {k: med([s[k] for s in stages[nt]]) for k in ("load_seconds", "prep_seconds", "cluster_seconds",
                                                     "profile_seconds", "drift_seconds")}
    print("threads %d: crmkit median wall %.3f s, CPU %.3f s; reference wall %.3f s, CPU %.3f s; "
          "ratio (reference / crmkit): wall %.2fx, CPU %.2fx (target >= 4x)" % (nt, cw, cc, rw, rc, rw / cw, rc / cc))
    print("threads %d: crmkit stages (median wall s): load %.3f prep %.3f cluster %.3f profile %.3f drift %.3f" % (
        nt, st["load_seconds"], st["prep_seconds"], st["cluster_seconds"], st["profile_seconds"], st["drift_seconds"]))
    if base:
        bw, bc = med(times[("base", nt)]["wall"]), med(times[("base", nt)]["cpu"])
        print("threads %d: CRMKIT_BASE median wall %.3f s, CPU %.3f s; this build is %.2fx faster "
              "(wall), %.2fx (CPU); reference / base: wall %.2fx, CPU %.2fx" % (
              nt, bw, bc, bw / cw, bc / cc, rw / bw, rc / bc))
    rr = [x["read_wall"] for x in ref_stages[nt]]
    rf = [x["wall"] - x["read_wall"] for x in ref_stages[nt]]
    rrc = [x["read_cpu"] for x in ref_stages[nt]]
    rfc = [x["cpu"] - x["read_cpu"] for x in ref_stages[nt]]
    print("threads %d: reference stages (median s): pandas.read_csv wall %.3f CPU %.3f, "
          "to_numpy + KMeans.fit wall %.3f CPU %.3f" % (nt, med(rr), med(rrc), med(rf), med(rfc)))
print("loadavg after: %s" % open("/proc/loadavg").read().strip())

# Outputs, untimed: model, labels and the --json summary (timings dropped) of one run per thread
# count, kept under $OUT/e2e_outputs/t<N>/ with their SHA-256; both thread counts must agree, and
# with EXPECT_DIR (such a folder from another build) every file must be byte-identical to it.
import hashlib, shutil
expect = os.environ.get("EXPECT_DIR", "")
digests = {}
for nt in (1, 2):
    d = os.path.join(out, "e2e_outputs", "t%d" % nt)
    os.makedirs(d, exist_ok=True)
    p = subprocess.run([crmkit, "segment", path, "-o", os.path.join(d, "model.crmk"), "--init", init,
                        "--max-iter", str(iters), "--tol", "0", "--scale", "none", "--transform", "none",
                        "--threads", str(nt), "--labels", os.path.join(d, "labels.csv"), "--json", "--quiet"],
                       check=True, capture_output=True, text=True)
    js = json.loads(p.stdout)
    js = {k: v for k, v in js.items() if not k.endswith("seconds") and k not in ("model", "labels")}
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump(js, f, sort_keys=True)
    for name in ("model.crmk", "labels.csv", "summary.json"):
        h = hashlib.sha256(open(os.path.join(d, name), "rb").read()).hexdigest()
        digests[(nt, name)] = h
        same_ref = ""
        if expect:
            ref = os.path.join(expect, "t%d" % nt, name)
            same_ref = ", expected: %s" % ("SAME" if os.path.exists(ref) and
                                          open(ref, "rb").read() == open(os.path.join(d, name), "rb").read()
                                          else "DIFFERENT")
            ok = ok and same_ref.endswith("SAME")
        print("outputs: threads %d %-12s sha256 %s%s" % (nt, name, h[:16], same_ref))
for name in ("model.crmk", "labels.csv", "summary.json"):
    if digests[(1, name)] != digests[(2, name)]:
        print("outputs: %s differs between 1 and 2 threads" % name)
        ok = False
sys.exit(0 if ok else 1)
PYEOF
