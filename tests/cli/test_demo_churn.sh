#!/usr/bin/env bash
# crmkit demo, churn step: three models compared on held-out AUC, the best kept, its gains
# table printed, and the customers most at risk have distinct scores (C4.5 with Laplace
# corrected leaves, or whichever model wins, ranks them instead of tying them at 1.000).
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
tmp=$(mktemp -d /tmp/crmkit-demochurn-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$CRMKIT" demo --dir "$tmp/d" --rows 3000 --quiet >"$tmp/out" 2>"$tmp/err" || fail "demo exit $?"
grep -q "^held-out ROC AUC .*C4.5 0\.[0-9]*, boosted trees 0\.[0-9]*, logistic regression 0\.[0-9]*$" "$tmp/out" ||
    fail "no comparison of the three models"
# The kept model is the one with the highest AUC of the three.
best=$(sed -n 's/^held-out ROC AUC[^:]*: //p' "$tmp/out" | tr ',' '\n' |
    awk '{ auc = $NF; $NF = ""; sub(/ +$/, ""); sub(/^ +/, ""); if (auc > b) { b = auc; n = $0 } } END { print n }')
grep -q "^kept $best (best held-out ROC AUC)" "$tmp/out" || fail "kept model is not the best ($best)"
[ "$(grep -c '^ *[0-9]*% *[0-9]* *[0-9]* *[0-9]*% *[0-9.]*$' "$tmp/out")" = 10 ] || fail "gains table has not 10 rows"
# Top 10 risks: ten distinct values.
sed -n '/customers most at risk/,/model saved/p' "$tmp/out" | awk 'NR > 2 && $1 ~ /^0\./ { print $1 }' >"$tmp/risks"
[ "$(wc -l <"$tmp/risks")" = 10 ] || fail "not 10 customers at risk"
[ "$(sort -u "$tmp/risks" | wc -l)" = 10 ] || fail "risk scores tie: $(tr '\n' ' ' <"$tmp/risks")"
[ "$fails" = 0 ] || { echo "$fails failure(s)"; cat "$tmp/out"; exit 1; }
