#!/usr/bin/env bash
# crmkit rules: exit codes, messages, real metric values, segments, limits, no partial files.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
DATA=${CRM_SOURCE_DIR:-.}/tests/data
tmp=$(mktemp -d /tmp/crmkit-rules-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { # check NAME EXPECTED_CODE ACTUAL_CODE
    if [ "$2" != "$3" ]; then fail "$1: exit $3, expected $2"; else echo "ok: $1"; fi
}
has() { # has NAME FILE TEXT: FILE contains the fixed string TEXT
    grep -qF -- "$3" "$2" || { fail "$1: no \"$3\" in $2"; sed 's/^/    /' "$2" | head -20; }
}
B="$DATA/baskets_tiny.csv"

"$CRMKIT" rules --help >"$tmp/h" 2>&1; check "--help" 0 $?
has "--help" "$tmp/h" "--minconf"
has "--help ceil" "$tmp/h" "ceil(S x transactions)"
"$CRMKIT" rules "$B" --format long --minconf 0.5 -o "$tmp/r.crmr" 2>"$tmp/err"; check "no minsup" 64 $?
has "no minsup message" "$tmp/err" "give a minimum support"
"$CRMKIT" rules "$B" --format long --minsup 0 -o "$tmp/r.crmr" 2>"$tmp/err"; check "minsup 0" 64 $?
has "minsup 0 message" "$tmp/err" "--minsup must be a fraction in (0, 1]"
"$CRMKIT" rules "$B" --format long --minsup 1.5 -o "$tmp/r.crmr" 2>/dev/null; check "minsup 1.5" 64 $?
"$CRMKIT" rules "$B" --format long --minsup 0.2 --minconf 1.5 -o "$tmp/r.crmr" 2>"$tmp/err"; check "minconf 1.5" 64 $?
has "minconf message" "$tmp/err" "--minconf must be in [0, 1]"
"$CRMKIT" rules "$B" --format long --minsup 0.2 --sort size 2>/dev/null; check "bad --sort" 64 $?
"$CRMKIT" rules "$B" --format long --minsup 0.2 --bogus 2>/dev/null; check "unknown option" 64 $?
"$CRMKIT" rules "$tmp/none.csv" --format long --minsup 0.2 -o "$tmp/r.crmr" 2>"$tmp/err"; check "missing input" 66 $?
has "missing input names file" "$tmp/err" "none.csv"
[ ! -e "$tmp/r.crmr" ] || fail "a failed run left a rules file"

# Hand-checked values: 5 baskets {a,b,c} {a,b} {a,c} {b,d} {a,b,c,d}.
# {a,d} => {b,c}: c(abcd)=1, c(ad)=1, c(bc)=2: support 0.2, confidence 1, lift 2.5,
# leverage 0.2 - 0.2*0.4 = 0.12, conviction inf.
"$CRMKIT" rules "$B" --format long --minsup-count 1 --minconf 0.5 -o "$tmp/r.crmr" \
    --csv "$tmp/r.csv" >"$tmp/out"; check "rules on the tiny baskets" 0 $?
has "csv header" "$tmp/r.csv" "segment,antecedent,consequent,support,confidence,lift,leverage,conviction,count,antecedent_count,consequent_count"
has "rule a,d => b,c" "$tmp/r.csv" "all,a;d,b;c,0.2,1,2.5,0.12,inf,1,1,2"
# a => c: c(ac)=3, c(a)=4, c(c)=3: confidence 0.75, lift 1.25, leverage 0.12, conviction 1.6
has "rule a => c" "$tmp/r.csv" "all,a,c,0.6,0.75,1.25,0.12,1.6,3,4,3"
has "text report" "$tmp/out" "35 rules"
[ "$(sed -n 2p "$tmp/r.csv" | cut -d, -f2-3)" = "a;d,b;c" ] || fail "highest lift first"
awk -F, 'NR > 1 && $5 > 1 { bad = 1 } END { exit bad }' "$tmp/r.csv" || fail "a confidence above 1"
awk -F, 'NR > 1 && $5 < 0.5 { bad = 1 } END { exit bad }' "$tmp/r.csv" || fail "a rule below --minconf"

# Same rules from each miner, and the same file twice.
for algo in fpgrowth apriori; do
    "$CRMKIT" rules "$B" --format long --minsup-count 1 --minconf 0.5 --algo $algo \
        --csv "$tmp/$algo.csv" >/dev/null; check "--algo $algo" 0 $?
    cmp -s "$tmp/r.csv" "$tmp/$algo.csv" || fail "$algo gives other rules"
done
"$CRMKIT" rules "$B" --format long --minsup-count 1 --minconf 0.5 -o "$tmp/r2.crmr" >/dev/null
cmp -s "$tmp/r.crmr" "$tmp/r2.crmr" || fail "same input, different rules files"

# --sort confidence and --top.
"$CRMKIT" rules "$B" --format long --minsup-count 1 --minconf 0 --sort confidence --top 4 \
    --csv "$tmp/top.csv" >/dev/null; check "--sort confidence --top 4" 0 $?
[ "$(wc -l <"$tmp/top.csv")" = 5 ] || fail "--top 4 gave $(($(wc -l <"$tmp/top.csv") - 1)) rules"
awk -F, 'NR > 1 && $5 != 1 { bad = 1 } END { exit bad }' "$tmp/top.csv" || fail "top by confidence is not 1"

# JSON summary.
"$CRMKIT" rules "$B" --format long --minsup 0.2 --minconf 0.5 --json >"$tmp/j"; check "--json" 0 $?
has "json rules" "$tmp/j" '"rules":35'
has "json transactions" "$tmp/j" '"transactions":5'
has "json top rule" "$tmp/j" '"antecedent":["a","d"],"consequent":["b","c"],"support":0.2,"confidence":1,"lift":2.5'

# Segments: x = {c1, c2}, y = {c3, c4, c5}.
"$CRMKIT" rules "$B" --format long --minsup-count 1 --minconf 0.5 --segments "$DATA/labels_tiny.csv" \
    --distinct-factor 1.5 -o "$tmp/s.crmr" --csv "$tmp/s.csv" --json >"$tmp/sj"; check "--segments" 0 $?
has "segment x in json" "$tmp/sj" '"name":"x","transactions":2'
has "segment y in json" "$tmp/sj" '"name":"y","transactions":3'
# {a,b} is in both baskets of x (1.0) and 3 of 5 overall (0.6): ratio 5/3
has "distinctive a,b for x" "$tmp/sj" '"items":["a","b"],"support":1,"population_support":0.6,"ratio":1.6666666666666667'
# in y, b => d: c(bd)=2, c(b)=2, c(d)=2 of 3: confidence 1, lift 1.5, leverage 2/3 - 4/9
has "segment rules in csv" "$tmp/s.csv" "y,b,d,0.6666666667,1,1.5,0.2222222222,inf,2,2,2"
printf 'id,segment\nc1,x\nc1,y\n' >"$tmp/badlab.csv"
"$CRMKIT" rules "$B" --format long --minsup-count 1 --segments "$tmp/badlab.csv" -o "$tmp/bad.crmr" 2>"$tmp/err"; check "customer in two segments" 65 $?
has "two segments message" "$tmp/err" 'customer "c1" has more than one segment'
[ ! -e "$tmp/bad.crmr" ] || fail "bad labels left a rules file"

# Baskets without customer ids are matched to labels by row; the counts must agree.
printf 'a,b,c\na,b\na,c\nb,d\na,b,c,d\n' >"$tmp/b.basket"
"$CRMKIT" rules "$tmp/b.basket" --format basket --minsup-count 1 --minconf 0.5 \
    --segments "$DATA/labels_tiny.csv" --csv "$tmp/bb.csv" >/dev/null; check "basket file with labels by row" 0 $?
cmp -s "$tmp/s.csv" "$tmp/bb.csv" || fail "labels by row differ from labels by id"
printf 'id,segment\nc1,x\n' >"$tmp/short.csv"
"$CRMKIT" rules "$tmp/b.basket" --format basket --minsup-count 1 --segments "$tmp/short.csv" 2>"$tmp/err"; check "label count mismatch" 65 $?
has "label count message" "$tmp/err" "there are 1 labels for 5 transactions"

# VAS log: failed and timed-out rows are dropped, so CLOUD_1TB (only failed) is not an item.
"$CRMKIT" rules "$DATA/vas_tiny.csv" --format vas --minsup-count 2 --minconf 0.5 --csv "$tmp/v.csv" \
    --json >"$tmp/vj"; check "vas log" 0 $?
has "vas transactions" "$tmp/vj" '"transactions":5,"items":6'
has "vas rule" "$tmp/v.csv" "all,INTL_MINUTES,ROAM_DAY,0.4,1,2.5,0.24,inf,2,2,2"
has "vas rule without the timed-out row" "$tmp/v.csv" "all,RBT_POP,DATA_1GB,0.4,0.6666666667,1.666666667,0.16,1.8,2,3,2"
grep -q CLOUD_1TB "$tmp/v.csv" && fail "a failed-only service got into the rules"

# show prints a rules file: dictionary size, rule set, rules with support/confidence/lift
"$CRMKIT" rules "$DATA/vas_tiny.csv" --format vas --minsup-count 2 --minconf 0.5 -o "$tmp/v.crmr" \
    --quiet >/dev/null; check "vas rules file" 0 $?
"$CRMKIT" show "$tmp/v.crmr" >"$tmp/vs"; check "show rules" 0 $?
has "show dictionary" "$tmp/vs" "association rules: 6 items in the dictionary, 1 rule set"
has "show set" "$tmp/vs" 'rule set "all": 5 transactions, minimum count 2, 6 rules'
has "show top rule" "$tmp/vs" "0.4          1        2.5          2  {INTL_MINUTES} => {ROAM_DAY}"
has "show weaker rule" "$tmp/vs" "0.4     0.6667      1.667          2  {RBT_POP} => {DATA_1GB}"
"$CRMKIT" show "$tmp/v.crmr" --top 2 >"$tmp/vs2"; check "show --top" 0 $?
has "show --top header" "$tmp/vs2" "first 2 rules:"
[ "$(grep -c ' => ' "$tmp/vs2")" -eq 2 ] || fail "show --top 2 printed $(grep -c ' => ' "$tmp/vs2") rules"
"$CRMKIT" show "$tmp/v.crmr" --top x >/dev/null 2>&1; check "show --top x" 64 $?

# Limits: too many rules is a data error with a message, and no file.
"$CRMKIT" rules "$B" --format long --minsup-count 1 --minconf 0 --max-rules 3 -o "$tmp/lim.crmr" \
    --csv "$tmp/lim.csv" 2>"$tmp/err"; check "--max-rules 3" 65 $?
has "limit message" "$tmp/err" "more than 3 rules"
[ ! -e "$tmp/lim.crmr" ] && [ ! -e "$tmp/lim.csv" ] || fail "the limit left a file"
"$CRMKIT" rules "$B" --format long --minsup-count 1 --max-itemsets 5 -o "$tmp/lim.crmr" 2>"$tmp/err"; check "--max-itemsets 5" 65 $?
has "itemset guard message" "$tmp/err" "more than 5 itemsets"
[ ! -e "$tmp/lim.crmr" ] || fail "the itemset guard left a file"
"$CRMKIT" rules "$B" --format long --minsup-count 1 -o "$tmp/no/dir/r.crmr" 2>"$tmp/err"; check "bad output dir" 74 $?
[ -z "$(ls "$tmp" | grep -F '.tmp.')" ] || fail "temporary files left behind"

# A generated log with segments: each segment has distinctive bundles.
"$CRMKIT" gen customers --rows 1500 --seed 3 -o "$tmp/c.csv" >/dev/null 2>&1
awk -F, 'NR == 1 { print "subscriber_id,segment"; next } { print $1 "," (NR % 3 == 0 ? "gold" : (NR % 3 == 1 ? "silver" : "bronze")) }' \
    "$tmp/c.csv" >"$tmp/lab.csv"
"$CRMKIT" gen vas --customers 1500 --seed 3 --segments "$tmp/lab.csv" -o "$tmp/vas.csv" >/dev/null; check "gen vas with segments" 0 $?
"$CRMKIT" rules "$tmp/vas.csv" --format vas --minsup 0.05 --minconf 0.6 --segments "$tmp/lab.csv" \
    -o "$tmp/g.crmr" >"$tmp/g.out"; check "rules per segment on a generated log" 0 $?
for seg in bronze gold silver; do has "segment $seg" "$tmp/g.out" "segment $seg:"; done
[ "$(grep -c 'distinctive:' "$tmp/g.out")" = 3 ] || fail "every segment should have distinctive itemsets"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all rules CLI checks passed"
