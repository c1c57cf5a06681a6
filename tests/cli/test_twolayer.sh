#!/usr/bin/env bash
# The two-layer model through the CLI: both example specs run (generated customers, the telco
# churn table), the labels carry l1, l2 and segment, assign of the training data reproduces
# the training labels (also with the columns in another order), profile shows both levels,
# a rule that leaves a group empty is a warning, and bad specs are reported with their place,
# a non-zero exit and no output file.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/cli_common.sh"
after_expect() { # no output file left behind
    for f in bad.crmk bad.csv; do
        [ ! -e "$f" ] || { fail "$1: left $f behind"; rm -f "$f"; }
    done
}
CRMKIT=${CRMKIT:-./build/crmkit}
SRC=${CRM_SOURCE_DIR:-$(pwd)}
tmp=$(mktemp -d /tmp/crmkit-twolayer-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
run() { # run NAME CMD...: must exit 0
    local name=$1
    shift
    if "$@" >out.txt 2>err.txt; then echo "ok: $name"; else fail "$name: exit $? ($(head -c 300 err.txt))"; fi
}
json_num() { grep -o "\"$2\":[-0-9.eE+]*" "$1" | head -n 1 | cut -d: -f2; }

"$CRMKIT" segment x.csv --spec s.json --help >help.txt 2>&1 || fail "segment --spec --help exits non-zero"
grep -q "usage: crmkit segment DATA.csv --spec" help.txt || fail "segment --spec --help prints no usage"

# ---- the generator's data with examples/two_layer.json ----
run "gen" "$CRMKIT" gen customers --rows 4000 --seed 9 -o c.csv --quiet
run "segment --spec" "$CRMKIT" segment c.csv --spec "$SRC/examples/two_layer.json" -o m.crmk \
    --labels l.csv --json --quiet
cp out.txt seg.json
grep -q '"kind":"twolayer"' seg.json || fail "segment json has no kind twolayer"
[ "$(json_num seg.json n_groups)" = 5 ] || fail "expected 5 groups, json: $(head -c 300 seg.json)"
for g in LowValue-LowVoice LowValue-HighVoice HighValue-LowVoice HighValue-HighVoice Unknown; do
    grep -q "\"name\":\"$g\"" seg.json || fail "no group $g in the json"
done
grep -q '"warnings":\[' seg.json || fail "segment json has no warnings list"
head -n 1 l.csv | grep -q "^subscriber_id,l1,l2,segment,segment_id$" || fail "labels header: $(head -n 1 l.csv)"
[ "$(wc -l <l.csv)" = 4001 ] || fail "labels file has $(wc -l <l.csv) lines"
# every segment is l1/S<l2> (no names in this spec), groups are the rule's
awk -F, 'NR > 1 && $4 != $2 "/S" $3 { bad++ } END { exit bad > 0 }' l.csv ||
    fail "segment column is not l1/S<l2>: $(sed -n 2,3p l.csv)"
# layer 1 by hand: the voice axis splits at the mean of bill_voice (column 12 of c.csv, 17
# after the 5 columns of the labels)
mean=$(awk -F, 'NR > 1 && $12 != "" { s += $12; n++ } END { printf "%.17g", s / n }' c.csv)
paste -d, l.csv c.csv | awk -F, -v m="$mean" '
    NR > 1 && $2 ~ /HighVoice$/ && $17 < m { bad++ }
    NR > 1 && $2 ~ /LowVoice$/ && $17 >= m { bad++ }
    NR > 1 && $2 == "Unknown" { unknown++ }
    END { exit (bad > 0 || unknown == 0) }' || fail "voice split does not follow the mean $mean"
paste -d, l.csv c.csv | awk -F, 'NR > 1 { n[$2]++ } END { for (g in n) print g, n[g] }' >sizes.txt
[ "$(awk '{ s += $2 } END { print s }' sizes.txt)" = 4000 ] || fail "group sizes do not add up"
# segment_id numbers the segments group after group, in the groups' order, from 0
awk -F, 'NR > 1 { id[$4] = $5; if ($5 in seen && seen[$5] != $4) bad++; seen[$5] = $4 }
    END { for (s in id) n++; for (s in id) if (id[s] < 0 || id[s] >= n) bad++; exit bad > 0 }' l.csv ||
    fail "segment_id is not one number per segment in 0..n-1"
awk -F, 'NR > 1 && $2 == "LowValue-LowVoice" && $3 == 1 && $5 != 0 { bad++ } END { exit bad > 0 }' l.csv ||
    fail "the first group's first segment is not segment_id 0"

run "assign training data" "$CRMKIT" assign m.crmk c.csv -o a.csv --json
cmp -s a.csv l.csv || fail "assign of the training file differs from the training labels"
grep -q '"kind":"twolayer"' out.txt || fail "assign json: $(head -c 300 out.txt)"
# the columns in another order, and only the first 200 customers
awk -F, -v OFS=, '{ print $17, $12, $1, $16, $5, $6, $7, $8, $9, $10, $11, $4, $13, $14, $15, $2, $3 }' c.csv |
    head -n 201 >new.csv
run "assign reordered columns" "$CRMKIT" assign m.crmk new.csv -o a2.csv
head -n 201 l.csv | cmp -s - a2.csv || fail "assign of reordered columns differs"

run "profile" "$CRMKIT" profile m.crmk
grep -q "== layer 1: 5 groups" out.txt || fail "profile shows no layer 1"
grep -q "== layer 2: HighValue-HighVoice" out.txt || fail "profile shows no layer 2"
grep -q "^value_rank" out.txt || fail "layer-1 profile has no value_rank row"
run "profile --json" "$CRMKIT" profile m.crmk --json
grep -q '"groups":\[' out.txt || fail "profile json has no groups"

# ---- the telco churn table with examples/two_layer_telco.json ----
run "segment telco" "$CRMKIT" segment "$SRC/tests/data/telco_churn.csv.gz" \
    --spec "$SRC/examples/two_layer_telco.json" -o t.crmk --labels tl.csv --quiet
head -n 1 tl.csv | grep -q "^customerID,l1,l2,segment,segment_id$" || fail "telco labels header: $(head -n 1 tl.csv)"
[ "$(wc -l <tl.csv)" = 7044 ] || fail "telco labels have $(wc -l <tl.csv) lines"
for g in Monthly-HighValue Monthly-LowValue Term-HighValue Term-LowValue; do
    grep -q ",$g," tl.csv || fail "no telco customer in group $g"
done
# layer 1 by hand: month-to-month customers are in Monthly-* groups, the others never
zcat "$SRC/tests/data/telco_churn.csv.gz" | paste -d, tl.csv - | awk -F, '
    NR > 1 { monthly = ($2 ~ /^Monthly-/); m2m = index($0, ",Month-to-month,") > 0
             if (monthly != m2m) bad++ }
    END { exit bad > 0 }' || fail "telco contract rule not applied"
run "assign telco" "$CRMKIT" assign t.crmk "$SRC/tests/data/telco_churn.csv.gz" -o ta.csv
cmp -s ta.csv tl.csv || fail "telco assign differs from the training labels"

# ---- an empty group is a warning, not an error ----
cat >empty.json <<'EOF'
{ "layer1": { "groups": [ { "name": "Whales", "when": "revenue > 1e12" },
                          { "name": "Everyone" } ] },
  "layer2": { "default": { "features": ["sms_count", "download_mb"], "k": 2 } } }
EOF
run "empty group" "$CRMKIT" segment c.csv --spec empty.json -o e.crmk --json --quiet
grep -q 'warning: group "Whales" is empty' err.txt || fail "no warning on stderr: $(cat err.txt)"
grep -q '"warnings":\["group \\"Whales\\" is empty' out.txt || fail "no warning in json: $(head -c 400 out.txt)"
[ -s e.crmk ] || fail "no model written with an empty group"
run "empty group, text" "$CRMKIT" segment c.csv --spec empty.json -o e.crmk --quiet
grep -q '^warning: group "Whales" is empty' out.txt || fail "no warning in the summary: $(head -n 4 out.txt)"

# ---- bad specs ----
seg() {
    local spec=$1
    shift
    "$CRMKIT" segment c.csv --spec "$spec" -o bad.crmk --labels bad.csv --quiet "$@"
}
printf '{ "layer1": {\n  "groups": [ { "name": "A", "when": "x > 1" } ]\n  "layer2": {} }\n' >syntax.json
expect "JSON syntax error" 65 'syntax.json:3:[0-9]*: JSON syntax error' -- seg syntax.json
printf '{"layer1":{"groups":[{"name":"A","when":"revenue > > 3"}]},"layer2":{"default":{"algo":"none"}}}' >expr.json
expect "malformed expression" 65 'expr.json: field "layer1.groups\[0\].when": malformed expression' -- seg expr.json
printf '{"layer1":{"groups":[{"name":"A","when":"revenu >= mean"}]},"layer2":{"default":{"algo":"none"}}}' >col.json
expect "unknown column" 66 'field "revenu": rule of group "A": no column named "revenu" (did you mean "revenue"?)' -- seg col.json
printf '{"layer1":{"groups":[{"name":"A"}]},"layer2":{"default":{"features":["sms_cnt"]}}}' >feat.json
expect "unknown feature" 66 'no column named "sms_cnt" (did you mean "sms_count"?)' -- seg feat.json
printf '{"layer1":{"groups":[{"name":"A"}]},"layer2":{"default":{"features":["sms_count"],"algo":"kmean"}}}' >algo.json
expect "unknown algorithm" 65 'unknown algorithm "kmean" (did you mean "kmeans"?)' -- seg algo.json
printf '{"layer1":{"groups":[{"name":"A"}]},"layer2":{"default":{"features":["sms_count"],"algo":"hier","linkage":"wards"}}}' >link.json
expect "unknown linkage" 65 'field "layer2.default.linkage": linkage is ward, complete, average or single' -- seg link.json
expect "missing spec" 66 "nope.json" -- seg nope.json
expect "segment options with --spec" 64 "--k cannot be used with --spec" -- seg algo.json --k 3

if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "all two-layer CLI checks passed"
