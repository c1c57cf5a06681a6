#!/usr/bin/env bash
# Every command's --json output is JSON that Python reads (also for a table whose header is
# Latin-1: the bytes that are not UTF-8 come out as the Latin-1 characters, in UTF-8), with
# numbers in their shortest exact form (246.9, not 246.90000000000001). The CSV dialect
# options: --sep ';' and --sep auto read a semicolon file (which without them has no numeric
# column), --types turns a numeric-looking column categorical, --na adds a missing marker.
# Unknown column and option names are answered with the nearest existing name.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
command -v python3 >/dev/null || { echo "skip: python3 not found"; exit 0; }
tmp=$(mktemp -d /tmp/crmkit-json-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# json NAME CMD...: the command exits 0 and its standard output is one JSON document
json() {
    local name=$1
    shift
    "$@" >out.json 2>err.txt
    local rc=$?
    if [ "$rc" != 0 ]; then
        fail "$name: exit $rc ($(head -c 300 err.txt))"
    elif ! python3 -c 'import json,sys; json.load(sys.stdin)' <out.json 2>py.txt; then
        fail "$name: not JSON ($(head -c 200 py.txt)): $(head -c 300 out.json)"
    else
        echo "ok: $name --json"
    fi
    cp out.json "$name.json" 2>/dev/null
}
# has FILE TEXT NAME
has() { grep -qF -- "$2" "$1" || fail "$3: no '$2' in $(head -c 400 "$1")"; }

json gen_customers "$CRMKIT" gen customers --rows 600 --seed 3 -o c.csv --json
json gen_vas "$CRMKIT" gen vas --customers 200 --seed 3 -o vas.csv --json
json gen_cdr "$CRMKIT" gen cdr --customers 50 --days 3 --seed 3 -o cdr.csv --json
json cdr "$CRMKIT" cdr cdr.csv -o feat.csv --json
json segment "$CRMKIT" segment c.csv --k 3 --seed 1 -o m.crmk --labels lab.csv --json --quiet
json assign "$CRMKIT" assign m.crmk c.csv -o lab2.csv --json --quiet
json validity "$CRMKIT" validity c.csv --labels lab.csv --json --quiet
json profile "$CRMKIT" profile m.crmk --json
json compare "$CRMKIT" compare c.csv --algos kmeans --k 3 --json --quiet
json drift "$CRMKIT" drift m.crmk c.csv --json --quiet
json show_segment "$CRMKIT" show m.crmk --json
json train "$CRMKIT" train c.csv --target churn --algo c45 -o ch.crmc --json --quiet
json predict "$CRMKIT" predict ch.crmc c.csv -o p.csv --json --quiet
json predict_rows "$CRMKIT" predict ch.crmc c.csv -o - --proba --json --quiet
json evaluate "$CRMKIT" evaluate ch.crmc c.csv --json
json show_classifier "$CRMKIT" show ch.crmc --json
json itemsets "$CRMKIT" itemsets vas.csv --format vas --minsup 0.05 -o sets.txt --json --quiet
json rules "$CRMKIT" rules vas.csv --format vas --minsup 0.05 -o r.crmr --json --quiet
json show_rules "$CRMKIT" show r.crmr --json
item=$(python3 -c 'import json; d=json.load(open("rules.json")); print(d["sets"][0]["top_rules"][0]["antecedent"][0])' 2>/dev/null)
json recommend_items "$CRMKIT" recommend r.crmr --items "${item:-x}" --json
json recommend_baskets "$CRMKIT" recommend r.crmr --baskets vas.csv --format vas --json --quiet
python3 -c 'import json; d=json.load(open("recommend_baskets.json")); assert d["customers"] > 0 and len(d["recommendations"]) > 0' ||
    fail "recommend --baskets --json holds no recommendations"
json recommend_baskets_o "$CRMKIT" recommend r.crmr --baskets vas.csv --format vas -o rec.csv --json --quiet
head -n 1 rec.csv | grep -q '^customer,segment,rank,item' || fail "recommend -o with --json: the CSV file"
json report "$CRMKIT" report m.crmk ch.crmc -o rep.html --json --quiet

# A Latin-1 header (and a Latin-1 value) come out as UTF-8; 246.9 as 246.9.
printf 'id,r\xe9gion,d\xe9pense,appels\nA,N\xe9,246.9,1\nB,S,3,2\nC,N\xe9,4.5,3\nD,S,7,4\nE,N\xe9,5,5\n' >lat.csv
json latin1_segment "$CRMKIT" segment lat.csv --k 2 --seed 1 -o l.crmk --labels ll.csv --json --quiet
has latin1_segment.json '"dépense"' "Latin-1 column name as UTF-8"
has latin1_segment.json '246.9,' "shortest number"
grep -q '246.90000' latin1_segment.json && fail "246.9 written with 17 digits"
json latin1_validity "$CRMKIT" validity lat.csv --labels ll.csv --json --quiet
json latin1_train "$CRMKIT" train lat.csv --target "$(printf 'r\xe9gion')" --algo nb --test-size 0 -o l.crmc --json --quiet
json latin1_predict "$CRMKIT" predict l.crmc lat.csv -o - --json --quiet
has latin1_predict.json '"Né"' "Latin-1 value as UTF-8"
json latin1_show "$CRMKIT" show l.crmc --json

# --sep: a semicolon file has no numeric column read as comma-separated.
tr ',' ';' <c.csv >semi.csv
"$CRMKIT" segment semi.csv --k 3 --seed 1 -o s0.crmk --quiet >/dev/null 2>err.txt
[ $? = 65 ] || fail "semicolon file without --sep: expected exit 65"
for sep in ';' auto; do
    "$CRMKIT" segment semi.csv --sep "$sep" --k 3 --seed 1 -o "s.crmk" --json --quiet >s.json ||
        fail "--sep $sep: exit $?"
    python3 - s.json segment.json <<'EOF' || fail "--sep $sep: not the comma file's segments"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["sizes"] == b["sizes"] and a["features"] == b["features"], (a["sizes"], b["sizes"])
EOF
done
tr ',' '\t' <c.csv >tab.csv
"$CRMKIT" validity tab.csv --sep tab --labels lab.csv --json --quiet >/dev/null || fail "--sep tab"
"$CRMKIT" predict ch.crmc semi.csv --sep auto -o p2.csv --quiet || fail "predict --sep auto"
cmp -s p.csv p2.csv || fail "predict --sep auto: other predictions than the comma file"
"$CRMKIT" segment semi.csv --sep x -o x.crmk 2>err.txt
[ $? = 64 ] || fail "--sep x: expected exit 64"
has err.txt 'crmkit segment: --sep is' "--sep x message"

# --types: complaints (small whole numbers) becomes categorical, so not a default feature.
has segment.json '"complaints"' "complaints is a default feature"
json types "$CRMKIT" segment c.csv --types complaints:cat --k 3 --seed 1 -o t.crmk --json --quiet
grep -qF '"complaints"' types.json && fail "--types complaints:cat: still a numeric feature"
"$CRMKIT" segment c.csv --types Complaints:cat -o t.crmk 2>err.txt
[ $? = 66 ] || fail "--types with an unknown column: expected exit 66"
has err.txt '(did you mean "complaints"?)' "--types suggestion"

# --na: a word marked missing is a missing value, not a bad cell.
awk -F, -v OFS=, 'NR == 10 { $17 = "unknown" } { print }' c.csv >na.csv
"$CRMKIT" segment na.csv --k 3 -o n.crmk --quiet 2>/dev/null
[ $? = 65 ] || fail "a word in a numeric column: expected exit 65"
"$CRMKIT" segment na.csv --na unknown --k 3 -o n.crmk --quiet >/dev/null || fail "--na unknown"

# Nearest names: columns (case first) and options.
"$CRMKIT" segment c.csv --features Revenue,tenure_days -o x.crmk 2>err.txt
[ $? = 66 ] || fail "unknown feature: expected exit 66"
has err.txt 'crmkit segment: c.csv: field "Revenue": no column named "Revenue" in the table (did you mean "revenue"?)' "feature suggestion"
"$CRMKIT" train c.csv --target Churn -o x.crmc 2>err.txt
has err.txt '(did you mean "churn"?)' "target suggestion"
"$CRMKIT" segment c.csv --thread 2 -o x.crmk 2>err.txt
[ $? = 64 ] || fail "unknown option: expected exit 64"
has err.txt 'crmkit segment: unknown option "--thread" (did you mean --threads?)' "option suggestion"
"$CRMKIT" predict ch.crmc c.csv -o p.csv --id Subscriber 2>err.txt
has err.txt '(did you mean "subscriber_id"?)' "--id suggestion"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
