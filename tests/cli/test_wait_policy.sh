#!/usr/bin/env bash
# The wait policy and thread count crmkit gives libgomp without the user setting anything
# (tools/crmkit/waitpolicy.c): one restart with sleeping waiters (GOMP_SPINCOUNT 0 as libgomp
# reports it); the user's variables win; --threads N reaches libgomp (and so OpenBLAS).
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
SRC=${CRM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d /tmp/crmkit-wait-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
unset OMP_WAIT_POLICY GOMP_SPINCOUNT OMP_NUM_THREADS CRMKIT_WAIT_POLICY_SET
run() { # run ENV... -- ARGS...: libgomp's verbose environment report of each process start
    env OMP_DISPLAY_ENV=verbose "$@" 2>&1 | grep -E "DISPLAY ENVIRONMENT BEGIN|GOMP_SPINCOUNT|OMP_NUM_THREADS =" >"$tmp/env.txt"
}
last() { grep "$1" "$tmp/env.txt" | tail -n 1 | sed "s/.*= '\(.*\)'/\1/"; }
starts() { grep -c "BEGIN" "$tmp/env.txt"; }
seg=("$CRMKIT" segment "$SRC/tests/data/telco_churn.csv.gz" -o "$tmp/m.crmk" --k 3 --quiet)

run "${seg[@]}"
[ "$(starts)" = 2 ] || fail "default: $(starts) process starts, want 2 (one restart)"
[ "$(last GOMP_SPINCOUNT)" = 0 ] || fail "default: waiting threads spin ($(last GOMP_SPINCOUNT))"
run OMP_WAIT_POLICY=active "${seg[@]}"
[ "$(last GOMP_SPINCOUNT)" != 0 ] || fail "the user's OMP_WAIT_POLICY=active was overridden"
run OMP_WAIT_POLICY=active OMP_NUM_THREADS=2 "${seg[@]}"
[ "$(starts)" = 1 ] || fail "with both variables set there is a restart"
run GOMP_SPINCOUNT=1000 OMP_NUM_THREADS=2 "${seg[@]}"
[ "$(last GOMP_SPINCOUNT)" = 1000 ] || fail "the user's GOMP_SPINCOUNT was overridden"
run OMP_NUM_THREADS=2 "${seg[@]}"
[ "$(last OMP_NUM_THREADS)" = 2 ] || fail "the user's OMP_NUM_THREADS was overridden"
run "${seg[@]}" --threads 1
[ "$(last OMP_NUM_THREADS)" = 1 ] || fail "--threads 1 does not reach libgomp"
run CRMKIT_WAIT_POLICY_SET=1 "${seg[@]}"
[ "$(starts)" = 1 ] || fail "the marker does not stop the restart"
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
