#!/usr/bin/env bash
# crmkit demo, basket step: the VAS log of the demo's customers, rules per segment, offers.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
tmp=$(mktemp -d /tmp/crmkit-demobaskets-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$CRMKIT" demo --dir "$tmp/d" --rows 2000 --quiet >"$tmp/out" 2>"$tmp/err" || fail "demo exit $?"
for f in vas.csv rules.crmr rules.csv; do [ -s "$tmp/d/$f" ] || fail "demo wrote no $f"; done
grep -q "^baskets: " "$tmp/out" || fail "no basket step in the demo output"
grep -q "distinctive {" "$tmp/out" || fail "no distinctive itemsets printed"
grep -q "    offer " "$tmp/out" || fail "no recommendations printed"
grep -q "a rule offers a new service to" "$tmp/out" || fail "no share of customers served by rules"
# the saved rules serve `crmkit recommend`, with one set per segment of the labels
n_seg=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "segment") c = i; next } { print $c }' \
    "$tmp/d/labels.csv" | sort -u | wc -l)
"$CRMKIT" recommend "$tmp/d/rules.crmr" --items SPORTS_LIVE --segment nope 2>"$tmp/err2"
n_sets=$(sed -n 's/.*it has://p' "$tmp/err2" | wc -w)
[ "$n_sets" = $((n_seg + 1)) ] || fail "rules file has $n_sets sets for $n_seg segments"
"$CRMKIT" recommend "$tmp/d/rules.crmr" --items SPORTS_LIVE --top 2 >"$tmp/rec" || fail "recommend on the demo rules"
grep -q "1\. " "$tmp/rec" || fail "no recommendation from the demo rules"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; sed 's/^/    /' "$tmp/out" | tail -30; exit 1; }
echo "demo basket step checks passed"
