#!/usr/bin/env bash
# The wait policy and thread count crmkit gives libgomp without the user setting anything
# (tools/waitpolicy/waitpolicy.c, run before libgomp starts): sleeping waiters (GOMP_SPINCOUNT 0
# as libgomp reports it) in one process start, no restart; the user's variables win;
# --threads N reaches libgomp (and so OpenBLAS).
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
SRC=${CRM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d /tmp/crmkit-wait-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
unset OMP_WAIT_POLICY GOMP_SPINCOUNT OMP_NUM_THREADS
run() { # run ENV... -- ARGS...: libgomp's verbose environment report of each process start
    env OMP_DISPLAY_ENV=verbose "$@" 2>&1 | grep -E "DISPLAY ENVIRONMENT BEGIN|GOMP_SPINCOUNT|OMP_NUM_THREADS =" >"$tmp/env.txt"
}
last() { grep "$1" "$tmp/env.txt" | tail -n 1 | sed "s/.*= '\(.*\)'/\1/"; }
starts() { grep -c "BEGIN" "$tmp/env.txt"; }
seg=("$CRMKIT" segment "$SRC/tests/data/telco_churn.csv.gz" -o "$tmp/m.crmk" --k 3 --quiet)

run "${seg[@]}"
[ "$(starts)" = 1 ] || fail "default: $(starts) process starts, want 1 (no restart)"
[ "$(last GOMP_SPINCOUNT)" = 0 ] || fail "default: waiting threads spin ($(last GOMP_SPINCOUNT))"
run OMP_WAIT_POLICY=active "${seg[@]}"
[ "$(last GOMP_SPINCOUNT)" != 0 ] || fail "the user's OMP_WAIT_POLICY=active was overridden"
run OMP_WAIT_POLICY=active OMP_NUM_THREADS=2 "${seg[@]}"
[ "$(starts)" = 1 ] || fail "with both variables set there is a restart"
[ "$(last GOMP_SPINCOUNT)" != 0 ] || fail "the user's OMP_WAIT_POLICY=active was overridden"
run GOMP_SPINCOUNT=1000 OMP_NUM_THREADS=2 "${seg[@]}"
[ "$(last GOMP_SPINCOUNT)" = 1000 ] || fail "the user's GOMP_SPINCOUNT was overridden"
run OMP_NUM_THREADS=2 "${seg[@]}"
[ "$(last OMP_NUM_THREADS)" = 2 ] || fail "the user's OMP_NUM_THREADS was overridden"
run "${seg[@]}" --threads 1
[ "$(last OMP_NUM_THREADS)" = 1 ] || fail "--threads 1 does not reach libgomp"
[ "$(starts)" = 1 ] || fail "--threads 1: $(starts) process starts, want 1"
[ "$(last GOMP_SPINCOUNT)" = 0 ] || fail "--threads 1: waiting threads spin"
run OMP_NUM_THREADS=2 "${seg[@]}" --threads 1
[ "$(last OMP_NUM_THREADS)" = 2 ] || fail "--threads 1 overrode the user's OMP_NUM_THREADS"
run "${seg[@]}" --threads=3
[ "$(last OMP_NUM_THREADS)" = 3 ] || fail "--threads=3 does not reach libgomp"
# The library whose constructor sets these must come after libgomp in the program's list of
# needed libraries (the loader initialises it first then); say so plainly if it does not.
if command -v readelf >/dev/null 2>&1; then
    needed=$(readelf -d "$CRMKIT" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    case "$needed" in
    *libcrmkit-waitpolicy.so*) ;;
    *) fail "the program does not need libcrmkit-waitpolicy.so: $needed" ;;
    esac
    case "$needed" in
    *libcrmkit-waitpolicy.so*libgomp.so*) fail "libcrmkit-waitpolicy.so is needed before libgomp: $needed" ;;
    esac
else
    echo "readelf absent: the order of the needed libraries is not checked"
fi
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
