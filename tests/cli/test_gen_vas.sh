#!/usr/bin/env bash
# crmkit gen vas: columns, ids that join the customer table, determinism, segments, errors.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
tmp=$(mktemp -d /tmp/crmkit-genvas-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if [ "$2" != "$3" ]; then fail "$1: exit $3, expected $2"; else echo "ok: $1"; fi; }

"$CRMKIT" gen vas --help >"$tmp/h"; check "--help" 0 $?
grep -q -- "--segments" "$tmp/h" || fail "--help lacks --segments"
"$CRMKIT" gen --help | grep -q "vas" || fail "gen --help lists no vas kind"
"$CRMKIT" gen vas --customers 10 2>/dev/null; check "missing -o" 64 $?
"$CRMKIT" gen vas --customers 0 -o "$tmp/x.csv" 2>/dev/null; check "--customers 0" 64 $?
"$CRMKIT" gen vas --failure-rate 1 -o "$tmp/x.csv" 2>/dev/null; check "--failure-rate 1" 64 $?
"$CRMKIT" gen vas --segments "$tmp/none.csv" -o "$tmp/x.csv" 2>/dev/null; check "missing labels" 66 $?
[ ! -e "$tmp/x.csv" ] || fail "a failed run left a file"

"$CRMKIT" gen vas --customers 400 --seed 5 -o "$tmp/a.csv" --catalogue "$tmp/cat.csv" --json >"$tmp/j"; check "gen vas" 0 $?
"$CRMKIT" gen vas --customers=400 --seed=5 --output "$tmp/b.csv"; check "again" 0 $?
cmp -s "$tmp/a.csv" "$tmp/b.csv" || fail "same seed, different logs"
[ "$(head -1 "$tmp/a.csv")" = "msg_type,mobile_no,txn_amount,pr_code,record_time,txn_type,target_mobile,topup_type,status" ] || fail "header"
grep -q '"customers":400' "$tmp/j" || fail "json summary"
grep -q '^DATA_5GB,"Data bundle 5 GB, 30 days",data,8.00$' "$tmp/cat.csv" || fail "catalogue row"
grep -q ',FAILED$' "$tmp/a.csv" || fail "no failed rows"
# every mobile_no is a subscriber_id of gen customers with as many rows
"$CRMKIT" gen customers --rows 400 -o "$tmp/c.csv"
cut -d, -f1 "$tmp/c.csv" | tail -n +2 | sort >"$tmp/ids"
cut -d, -f2 "$tmp/a.csv" | tail -n +2 | sort -u >"$tmp/vas_ids"
[ -z "$(comm -13 "$tmp/ids" "$tmp/vas_ids")" ] || fail "VAS customers missing from the customer table"
[ "$(wc -l <"$tmp/vas_ids")" -gt 300 ] || fail "too few customers with VAS rows"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all gen vas CLI checks passed"
