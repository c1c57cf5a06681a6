#!/bin/sh
# wait_policy.sh: crmkit's default threads against --threads 1, on an idle machine and beside
# a CPU-bound load on every core (one shell busy loop per core: no output, so nothing can
# fill a disk), for `segment` and `train --algo gbt` on the telco table and on generated
# customers.
#
# Four settings per job: "default" (what a user gets: waiting threads sleep, every core, see
# tools/waitpolicy/waitpolicy.c), "passive" (the same set by hand:
# OMP_WAIT_POLICY=passive OMP_NUM_THREADS=<cores>), "spin" (the old libgomp default,
# GOMP_SPINCOUNT=300000, which crmkit leaves alone) and "t1" (--threads 1). Each time is the best of

# (the target under load: <= 1.3), passive / t1 and spin / t1.
#
# usage: bench/wait_policy.sh [CRMKIT] [ROWS] [REPS] [REPS_BIG]
#        (defaults build/crmkit 1000000 3 1; REPS_BIG rounds for the ROWS-customer jobs)
set -eu
CRMKIT=${1:-build/crmkit}
ROWS=${2:-1000000}
REPS=${3:-3}
REPS_BIG=${4:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
TELCO=$HERE/../tests/data/telco_churn.csv.gz
WORK=$(mktemp -d)
LOADPIDS=""
cleanup() {
    for p in $LOADPIDS; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
unset OMP_WAIT_POLICY GOMP_SPINCOUNT OMP_NUM_THREADS

"$CRMKIT" gen customers -o "$WORK/cust.csv" --rows "$ROWS" --quiet

# median wall seconds of REPS runs of "$@"
timed() {
    i=0
    : >"$WORK/times"
    while [ "$i" -lt "$REPS" ]; do
        s=$(date +%s.%N)
        "$@" >/dev/null 2>&1
        e=$(date +%s.%N)
        echo "$e - $s" | bc >>"$WORK/times"
        i=$((i + 1))
    done
    sort -g "$WORK/times" | head -n 1 | awk '{printf "%.3f", $1}'
}

r() { echo "$1 $2" | awk '{printf "%.2f", $1 / $2}'; }

job() { # name, then the crmkit arguments
    name=$1
    shift
    d=$(timed "$CRMKIT" "$@")
    pa=$(timed env OMP_WAIT_POLICY=passive OMP_NUM_THREADS="$(nproc)" "$CRMKIT" "$@")
    sp=$(timed env GOMP_SPINCOUNT=300000 "$CRMKIT" "$@")
    t1=$(timed "$CRMKIT" "$@" --threads 1)
    echo "| $name | $LOADNAME (load avg $(cut -d" " -f1 /proc/loadavg)) | $d | $pa | $sp | $t1 | $(r "$d" "$t1") | $(r "$pa" "$t1") | $(r "$sp" "$t1") |"
}

jobs() {
    job "segment telco" segment "$TELCO" -o "$WORK/m.crmk" --quiet
    job "train gbt telco" train "$TELCO" --target Churn --algo gbt --quiet
    REPS0=$REPS
    REPS=$REPS_BIG
    job "segment $ROWS" segment "$WORK/cust.csv" -o "$WORK/m.crmk" --quiet
    job "train gbt $ROWS" train "$WORK/cust.csv" --target churn --drop subscriber_id --algo gbt --quiet
    REPS=$REPS0
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "| job | load | default s | passive s | spin s | --threads 1 s | default / t1 | passive / t1 | spin / t1 |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
LOADNAME="no added load"
jobs
n=0
while [ "$n" -lt "$(nproc)" ]; do
    sh -c 'while :; do :; done' &
    LOADPIDS="$LOADPIDS $!"
    n=$((n + 1))
done
LOADNAME="$(nproc) busy loops"
jobs
