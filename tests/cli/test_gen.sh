#!/usr/bin/env bash
# crmkit gen: help on every level, exit codes, deterministic output, no partial file.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
tmp=$(mktemp -d /tmp/crmkit-gen-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # check NAME EXPECTED_CODE ACTUAL_CODE
    if [ "$2" != "$3" ]; then echo "FAIL: $1: exit $3, expected $2"; fails=$((fails + 1)); else echo "ok: $1"; fi
}

"$CRMKIT" gen --help >"$tmp/h1" 2>&1; check "gen --help" 0 $?
grep -q customers "$tmp/h1" || { echo "FAIL: gen --help lists no kinds"; fails=$((fails + 1)); }
"$CRMKIT" gen customers --help >"$tmp/h2" 2>&1; check "gen customers --help" 0 $?
grep -q -- "--missing-rate" "$tmp/h2" || { echo "FAIL: customers --help"; fails=$((fails + 1)); }
"$CRMKIT" gen >/dev/null 2>&1; check "gen without kind" 64 $?
"$CRMKIT" gen planets -o "$tmp/x.csv" >/dev/null 2>"$tmp/err"; check "unknown kind" 64 $?
grep -q 'unknown kind "planets"' "$tmp/err" || { echo "FAIL: unknown kind message"; fails=$((fails + 1)); }
"$CRMKIT" gen customers --rows 10 >/dev/null 2>&1; check "missing -o" 64 $?
"$CRMKIT" gen customers --rows 0 -o "$tmp/x.csv" >/dev/null 2>&1; check "--rows 0" 64 $?
"$CRMKIT" gen customers --rows abc -o "$tmp/x.csv" >/dev/null 2>&1; check "--rows abc" 64 $?
"$CRMKIT" gen customers --missing-rate 0.9 -o "$tmp/x.csv" >/dev/null 2>&1; check "--missing-rate 0.9" 64 $?
"$CRMKIT" gen customers --rows 10 --bogus -o "$tmp/x.csv" >/dev/null 2>&1; check "unknown option" 64 $?
"$CRMKIT" gen customers --rows 10 --seed >/dev/null 2>&1; check "--seed without value" 64 $?
[ ! -e "$tmp/x.csv" ] || { echo "FAIL: a usage error left a file"; fails=$((fails + 1)); }

# A directory that does not exist: I/O error, and nothing left behind.
"$CRMKIT" gen customers --rows 100 -o "$tmp/no/such/dir/c.csv" >/dev/null 2>"$tmp/err"; check "bad output dir" 74 $?
grep -q "no/such/dir/c.csv" "$tmp/err" || { echo "FAIL: bad dir message names no file"; fails=$((fails + 1)); }
# A read-only directory: nothing created there (skipped for root, who can write anyway).
mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
if [ "$(id -u)" != 0 ]; then
    "$CRMKIT" gen customers --rows 100 -o "$tmp/ro/c.csv" >/dev/null 2>&1; check "read-only dir" 74 $?
    [ -z "$(ls -A "$tmp/ro")" ] || { echo "FAIL: partial file in read-only dir"; fails=$((fails + 1)); }
fi

"$CRMKIT" gen customers --rows 2000 --seed 9 -o "$tmp/a.csv" --json >"$tmp/a.json"; check "gen 2000 rows" 0 $?
"$CRMKIT" gen customers --rows=2000 --seed=9 --output "$tmp/b.csv" >/dev/null; check "gen again, = form" 0 $?
cmp -s "$tmp/a.csv" "$tmp/b.csv" || { echo "FAIL: same seed, different files"; fails=$((fails + 1)); }
"$CRMKIT" gen customers --rows 2000 --seed 10 -o "$tmp/c.csv" >/dev/null; check "other seed" 0 $?
cmp -s "$tmp/a.csv" "$tmp/c.csv" && { echo "FAIL: different seeds, same file"; fails=$((fails + 1)); }
[ "$(wc -l <"$tmp/a.csv")" = 2001 ] || { echo "FAIL: expected header + 2000 lines"; fails=$((fails + 1)); }
head -1 "$tmp/a.csv" | grep -q '^subscriber_id,region,plan_type,tenure_days,' || { echo "FAIL: header"; fails=$((fails + 1)); }
grep -q '"rows":2000' "$tmp/a.json" && grep -q '"churn_rate":' "$tmp/a.json" || { echo "FAIL: --json summary"; fails=$((fails + 1)); }
ls "$tmp" | grep -q '\.tmp\.' && { echo "FAIL: temporary file left"; fails=$((fails + 1)); }
OMP_NUM_THREADS=1 "$CRMKIT" gen customers --rows 2000 --seed 9 -o "$tmp/d.csv" >/dev/null
cmp -s "$tmp/a.csv" "$tmp/d.csv" || { echo "FAIL: output depends on the thread count"; fails=$((fails + 1)); }
"$CRMKIT" gen customers --rows 5 --truth -o - | head -1 | grep -q ',true_type$' || { echo "FAIL: --truth to stdout"; fails=$((fails + 1)); }

[ "$fails" = 0 ] && echo "all gen CLI checks passed"
exit $(( fails > 0 ))
