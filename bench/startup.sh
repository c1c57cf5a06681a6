#!/usr/bin/env bash
# startup.sh: the start-up cost of crmkit programs side by side, in the same run (hyperfine
# -N, interleaved by hyperfine's order): CPU (user + sys, means) and wall median of
# `crmkit --version`, of a small `crmkit itemsets` (chess, support 0.85) and of
# `crmkit serve --help` (which crmkit runs in crmkit-serve: two program starts), with nothing
# set in the environment (each program applies its own OpenMP wait policy; see PASSIVE below).
# Run it under `flock /tmp/bench.lock`.
# usage: RUNS_VERSION=300 RUNS_ITEMSETS=60 RUNS_SERVE=100 bench/startup.sh NAME=CRMKIT ...
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 NAME=CRMKIT [NAME=CRMKIT ...]" >&2; exit 2; }
RV=${RUNS_VERSION:-300}
RI=${RUNS_ITEMSETS:-60}
RS=${RUNS_SERVE:-100}
DATA=${CRM_DATA:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}
CHESS=$DATA/fimi/chess.dat.gz
command -v hyperfine >/dev/null || { echo "startup.sh: hyperfine is needed" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset OMP_WAIT_POLICY GOMP_SPINCOUNT OMP_NUM_THREADS
# PASSIVE=1: OMP_WAIT_POLICY=passive set for every program (none restarts itself; the figures
# are then the loading alone).
if [ "${PASSIVE:-0}" = 1 ]; then export OMP_WAIT_POLICY=passive; fi
names=() vcmds=() icmds=() scmds=()
for a in "$@"; do
    names+=("${a%%=*}")
    vcmds+=("${a#*=} --version")
    icmds+=("${a#*=} itemsets $CHESS --minsup 0.85")
    scmds+=("${a#*=} serve --help")
done
report() { # report TITLE JSON NAMES...
    python3 - "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))["results"]
for name, x in zip(sys.argv[3:], r):
    u, s = x["user"] * 1e3, x["system"] * 1e3
    print(f"| {sys.argv[1]} | {name} | {u:.1f} + {s:.1f} = {u + s:.1f} ms | {x['median'] * 1e3:.1f} ms |")
PY
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| command | program | CPU user + sys (mean) | wall (median) |"
echo "| --- | --- | --- | --- |"
hyperfine -N -w 10 -r "$RV" --export-json "$tmp/v.json" "${vcmds[@]}" >/dev/null 2>&1
report "\`crmkit --version\` ($RV runs)" "$tmp/v.json" "${names[@]}"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N -w 5 -r "$RI" --export-json "$tmp/i.json" "${icmds[@]}" >/dev/null 2>&1
report "\`crmkit itemsets chess.dat.gz --minsup 0.85\` ($RI runs)" "$tmp/i.json" "${names[@]}"
# (only the programs that have `serve`)
snames=() sc=()
for i in "${!scmds[@]}"; do
    if ${scmds[$i]} >/dev/null 2>&1; then snames+=("${names[$i]}"); sc+=("${scmds[$i]}"); fi
done
if [ "$RS" -gt 0 ] && [ ${#sc[@]} -gt 0 ]; then
    hyperfine -N -w 5 -r "$RS" --export-json "$tmp/s.json" "${sc[@]}" >/dev/null 2>&1
    report "\`crmkit serve --help\` ($RS runs)" "$tmp/s.json" "${snames[@]}"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
