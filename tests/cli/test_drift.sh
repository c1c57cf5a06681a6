#!/usr/bin/env bash
# crmkit drift: the training data against itself is stable (PSI 0, exit 0); another sample of
# the same generator is stable; a copy with three columns shifted drifts on exactly those
# three (exit 1, verdict line); a two-layer model drifts on its group shares when voice use
# triples; bad input gives the usual exit codes. (Model files written
# before models kept the training distribution: tests/unit/test_drift.c.)
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
tmp=$(mktemp -d /tmp/crmkit-drift-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_exit() { # expect_exit CODE NAME CMD...
    local want=$1 name=$2
    shift 2
    "$@" >out.txt 2>err.txt
    local got=$?
    if [ "$got" = "$want" ]; then echo "ok: $name (exit $got)"; else
        fail "$name: exit $got, expected $want ($(head -c 300 err.txt))"; fi
}
json_num() { grep -o "\"$2\":[-0-9.eE+]*" "$1" | head -n 1 | cut -d: -f2; }

"$CRMKIT" drift --help >help.txt 2>&1 || fail "drift --help exits non-zero"
grep -q "usage: crmkit drift" help.txt || fail "drift --help prints no usage"

"$CRMKIT" gen customers --rows 4000 --seed 1 -o a.csv >/dev/null || fail "gen a"
"$CRMKIT" gen customers --rows 4000 --seed 2 -o b.csv >/dev/null || fail "gen b"
"$CRMKIT" segment a.csv --k 4 --seed 1 -o m.crmk >/dev/null || fail "segment"

expect_exit 0 "training data against itself" "$CRMKIT" drift m.crmk a.csv --json
cp out.txt self.json
grep -q '"drifted":false' self.json || fail "self: $(cat self.json)"
[ "$(grep -o '"psi":[-0-9.eE+]*' self.json | cut -d: -f2 | sort -u)" = 0 ] || fail "self PSI not all 0"
grep -q '"verdict":"stable: nothing shifted past 0.1"' self.json || fail "self verdict"

expect_exit 0 "another sample" "$CRMKIT" drift m.crmk b.csv
grep -q "^verdict: stable" out.txt || fail "sample verdict: $(tail -n 1 out.txt)"

# Shift three columns: tenure +400 days, download x2, revenue x1.5.
head -n 1 a.csv | grep -q '^subscriber_id,region,plan_type,tenure_days,upload_mb,download_mb,.*,revenue,churn$' ||
    fail "gen columns changed: $(head -n 1 a.csv)"
awk -F, -v OFS=, 'NR == 1 { print; next } { $4 = $4 + 400; $6 = $6 * 2; $17 = $17 * 1.5; print }' a.csv >shifted.csv
expect_exit 1 "shifted copy" "$CRMKIT" drift m.crmk shifted.csv
grep -q "^verdict: re-segment: 3 features drifted past 0.25" out.txt || fail "shifted verdict: $(tail -n 1 out.txt)"
for f in tenure_days download_mb revenue; do
    grep -Eq "^$f +[0-9.]+ +drifted$" out.txt || fail "$f not reported drifted"
done
[ "$(grep -c ' drifted$' out.txt)" = 3 ] || fail "other features reported drifted: $(grep ' drifted$' out.txt)"
expect_exit 1 "shifted copy --json" "$CRMKIT" drift m.crmk shifted.csv --json
grep -q '"drifted_features":3' out.txt || fail "json drifted_features: $(cat out.txt)"
expect_exit 0 "higher threshold" "$CRMKIT" drift m.crmk shifted.csv --threshold 100
grep -q "^verdict: watch: 3 features shifted past 0.1, none past 100" out.txt || fail "watch verdict: $(tail -n 1 out.txt)"

# A cron job's use: the exit status alone.
if "$CRMKIT" drift m.crmk shifted.csv >/dev/null 2>&1; then fail "drift exits 0 on drifted data"; fi

# A two-layer model (the demo's): layer-1 group shares and each group's segment shares.
"$CRMKIT" demo --dir demo --rows 3000 --quiet >/dev/null 2>&1 || fail "demo"
expect_exit 0 "two-layer, training data" "$CRMKIT" drift demo/segments.crmk demo/customers_cdr.csv --json
grep -q '"kind":"twolayer"' out.txt || fail "two-layer json: $(cat out.txt)"
grep -q '"name":"layer 1 group shares","psi":0,' out.txt || fail "two-layer group PSI not 0: $(cat out.txt)"
# on-net minutes and the voice charges of the call records x3: customers move to the
# HighVoice groups.
awk -F, -v OFS=, 'NR == 1 { for (j = 1; j <= NF; j++) c[$j] = j; print; next }
    { $c["cdr_minutes_onnet"] *= 3; $c["cdr_charge_voice"] *= 3; print }' demo/customers_cdr.csv >tl_shift.csv
expect_exit 1 "two-layer, shifted" "$CRMKIT" drift demo/segments.crmk tl_shift.csv
grep -q "^verdict: re-segment: drifted past 0.25: layer 1 group shares" out.txt ||
    fail "two-layer verdict: $(tail -n 1 out.txt)"

# Bad input.
expect_exit 64 "no data" "$CRMKIT" drift m.crmk
expect_exit 64 "bad threshold" "$CRMKIT" drift m.crmk a.csv --threshold -1
expect_exit 66 "missing model" "$CRMKIT" drift nothere.crmk a.csv
grep -q "^crmkit drift: " err.txt || fail "message not prefixed: $(cat err.txt)"
expect_exit 66 "missing data" "$CRMKIT" drift m.crmk nothere.csv
cut -d, -f1-5 a.csv >few.csv
expect_exit 66 "data without a feature" "$CRMKIT" drift m.crmk few.csv
grep -q "download_mb" err.txt || fail "missing feature not named: $(cat err.txt)"

[ "$fails" = 0 ] && echo "all drift checks passed"
exit "$fails"
