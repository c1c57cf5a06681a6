#!/usr/bin/env bash
# test_itemsets.sh: `crmkit itemsets`: counts, output formats, exit codes, messages and no
# partial output files on bad input.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/cli_common.sh"
K=${CRMKIT:?CRMKIT must name the crmkit binary}
SRC=${CRM_SOURCE_DIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
has() { grep -q -- "$2" "$1" || fail "$1 lacks \"$2\": $(head -c 300 "$1")"; }

# --help explains the ceil convention
expect_code 0 "$K" itemsets --help
has "$T/out" "ceil(S x transactions)"

# counts on the fixtures (independent Eclat: 505 itemsets at 10, longest 5)
for algo in nlist fpgrowth apriori; do
    expect_code 0 "$K" itemsets "$SRC/tests/data/fim/t10_head1000.dat" --minsup-count 10 --algo $algo --json
    has "$T/out" '"itemsets":505'
    has "$T/out" '"max_len":5'
    has "$T/out" '"transactions":1000'
    has "$T/out" '"seconds":'
done
# a fraction: ceil(0.01 x 1000) = 10
expect_code 0 "$K" itemsets "$SRC/tests/data/fim/t10_head1000.dat" --minsup 0.01 --json
has "$T/out" '"minsup_count":10'
has "$T/out" '"itemsets":505'

# exact SPMF text, gzip input, -o written atomically
printf '5 9 1 \n9 5 \n1 9 \n9 \n' | gzip > "$T/small.dat.gz"
expect_code 0 "$K" itemsets "$T/small.dat.gz" --minsup-count 2 -o "$T/o.txt"
printf '9 #SUP: 4\n1 #SUP: 2\n1 9 #SUP: 2\n5 #SUP: 2\n5 9 #SUP: 2\n' > "$T/want.txt"
cmp -s "$T/o.txt" "$T/want.txt" || fail "SPMF output differs: $(cat "$T/o.txt")"
expect_code 0 "$K" itemsets "$T/small.dat.gz" --minsup-count 2 --closed
printf '9 #SUP: 4\n1 9 #SUP: 2\n5 9 #SUP: 2\n' > "$T/want.txt"
cmp -s "$T/out" "$T/want.txt" || fail "closed output differs: $(cat "$T/out")"
expect_code 0 "$K" itemsets "$T/small.dat.gz" --minsup-count 2 --maximal --csv
has "$T/out" '^items,size,support,relative_support$'
has "$T/out" '^"{1,9}",2,2,0.5$'
expect_code 0 "$K" itemsets "$T/small.dat.gz" --minsup-count 2 --max-len 1 --out-format json -o "$T/o.json"
has "$T/o.json" '"items":\[9\],"support":4'

# names: baskets as arules reads them, long CSV and VAS logs
printf 'whole milk,yogurt\nwhole milk,rolls/buns,yogurt\nsoda\n' > "$T/b.csv"
expect_code 0 "$K" itemsets "$T/b.csv" --minsup-count 2
has "$T/out" '^whole milk yogurt #SUP: 2$'
printf 'mobile_no,pr_code,status\n0911,RBT,SUCCESS\n0912,RBT,SUCCESS\n0911,NEWS,SUCCESS\n0912,NEWS,FAILED\n' > "$T/vas.csv"
expect_code 0 "$K" itemsets "$T/vas.csv" --format vas --status-ok SUCCESS --minsup-count 1 --json
has "$T/out" '"transactions":2'
has "$T/out" '"itemsets":3'
# vas keeps only SUCCESS rows by default, like rules and recommend; long keeps every row
expect_code 0 "$K" itemsets "$T/vas.csv" --format vas --minsup-count 1 -o "$T/v1"
has "$T/v1" '^NEWS RBT #SUP: 1$'
expect_code 0 "$K" itemsets "$T/vas.csv" --format vas --minsup-count 2 -o "$T/v2"
[ "$(wc -l <"$T/v2")" -eq 1 ] || fail "vas default status filter: $(cat "$T/v2")"
expect_code 0 "$K" itemsets "$T/vas.csv" --format vas --status-ok SUCCESS,FAILED --minsup-count 2 -o "$T/v3"
has "$T/v3" '^NEWS RBT #SUP: 2$'
expect_code 0 "$K" itemsets "$T/vas.csv" --format long --customer-col mobile_no --item-col pr_code --minsup-count 2
has "$T/out" '^NEWS RBT #SUP: 2$'
expect_code 66 "$K" itemsets "$T/vas.csv" --format vas --item-col product --minsup-count 1
has "$T/err" 'no column "product"'

# bad input: message with file:line:column, exit 65, no output file left behind
printf '1 2 \n3 abc 4\n' > "$T/bad.dat"
expect_code 65 "$K" itemsets "$T/bad.dat" --format fimi --minsup-count 1 -o "$T/bad.out"
has "$T/err" 'bad.dat:2:3:'
has "$T/err" '"abc"'
[ ! -e "$T/bad.out" ] || fail "partial output after a parse error"
ls "$T" | grep -q 'tmp\.' && fail "temporary file left behind"
: > "$T/empty.dat"
expect_code 65 "$K" itemsets "$T/empty.dat" --minsup 0.5
has "$T/err" 'no transactions'
# a support of 0 or above 1, or none
expect_code 64 "$K" itemsets "$T/small.dat.gz" --minsup 0
has "$T/err" '(0, 1]'
expect_code 64 "$K" itemsets "$T/small.dat.gz" --minsup 1.5
expect_code 64 "$K" itemsets "$T/small.dat.gz" --minsup-count 0
expect_code 64 "$K" itemsets "$T/small.dat.gz"
expect_code 64 "$K" itemsets "$T/small.dat.gz" --minsup 0.1 --minsup-count 3
expect_code 64 "$K" itemsets "$T/small.dat.gz" --minsup 0.1 --closed --maximal
expect_code 64 "$K" itemsets "$T/small.dat.gz" --minsup 0.1 --algo eclat
expect_code 66 "$K" itemsets "$T/nope.dat" --minsup 0.1
# empty lines are empty transactions (counted), unless --skip-empty
printf '1 2\n\n1\n\n' > "$T/gaps.dat"
expect_code 0 "$K" itemsets "$T/gaps.dat" --minsup 0.5 --json
has "$T/out" '"transactions":4'
has "$T/out" '"itemsets":1'
expect_code 0 "$K" itemsets "$T/gaps.dat" --minsup 0.5 --skip-empty --json
has "$T/out" '"transactions":2'
has "$T/out" '"itemsets":3'
# a blow-up stops with a guard message, not an OOM kill, and leaves no file
expect_code 65 "$K" itemsets "$SRC/tests/data/fim/mushroom_head300.dat" --minsup-count 1 --max-itemsets 20000 -o "$T/huge.txt"
has "$T/err" 'more than 20000 itemsets'
[ ! -e "$T/huge.txt" ] || fail "partial output after the itemset limit"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all itemsets CLI checks passed"
