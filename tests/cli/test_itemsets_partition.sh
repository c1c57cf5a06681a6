#!/usr/bin/env bash
# test_itemsets_partition.sh: `crmkit itemsets` in two passes over parts of the input
# (--partition-bytes, or a file larger than --max-memory) gives the itemsets and supports of the
# in-memory miners, byte for byte in --sorted order, for every mode, format and option.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/cli_common.sh"
K=${CRMKIT:?CRMKIT must name the crmkit binary}
SRC=${CRM_SOURCE_DIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
has() { grep -q -- "$2" "$1" || fail "$1 lacks \"$2\": $(head -c 300 "$1")"; }
same() { cmp -s "$1" "$2" || fail "$3: $1 and $2 differ ($(wc -l <"$1") vs $(wc -l <"$2") lines)"; }

T10=$SRC/tests/data/fim/t10_head1000.dat
MUSH=$SRC/tests/data/fim/mushroom_head300.dat

# the three in-memory miners, sorted, against parts of 14,000 bytes (about 350 transactions;
# smaller parts mine at a share of the support so low that every subset is a candidate)
for args in "--minsup-count 10" "--minsup 0.02" "--minsup-count 4 --max-len 2" \
    "--minsup-count 15 --closed" "--minsup-count 15 --maximal" "--minsup-count 12 --min-len 2"; do
    # shellcheck disable=SC2086
    for algo in nlist fpgrowth apriori; do
        expect_code 0 "$K" itemsets "$T10" $args --algo $algo --sorted -o "$T/mem_$algo.txt" --quiet
    done
    same "$T/mem_nlist.txt" "$T/mem_fpgrowth.txt" "nlist vs fpgrowth ($args)"
    same "$T/mem_nlist.txt" "$T/mem_apriori.txt" "nlist vs apriori ($args)"
    # shellcheck disable=SC2086
    expect_code 0 "$K" itemsets "$T10" $args --partition-bytes 14000 -o "$T/part.txt" --quiet
    same "$T/mem_nlist.txt" "$T/part.txt" "partitioned ($args)"
    [ -s "$T/part.txt" ] || fail "no itemsets ($args)"
done
# --sorted holds the miner's itemsets, only reordered
expect_code 0 "$K" itemsets "$T10" --minsup-count 10 -o "$T/native.txt" --quiet
sort "$T/native.txt" >"$T/a"
expect_code 0 "$K" itemsets "$T10" --minsup-count 10 --partition-bytes 14000 -o "$T/part.txt" --quiet
sort "$T/part.txt" >"$T/b"
same "$T/a" "$T/b" "partitioned vs the miner's own order, as sets"

# a dense file (mushroom) with CSV output and relative supports over all transactions
expect_code 0 "$K" itemsets "$MUSH" --minsup 0.4 --sorted --csv -o "$T/m1.csv" --quiet
expect_code 0 "$K" itemsets "$MUSH" --minsup 0.4 --partition-bytes 6000 --csv -o "$T/m2.csv" --quiet
same "$T/m1.csv" "$T/m2.csv" "mushroom CSV"

# basket names, @ITEM names of FIMI input, and gzip
awk 'NR <= 400 { s = ""; for (i = 1; i <= NF; i++) s = s (i > 1 ? "," : "") "item" $i; print s }' \
    "$T10" >"$T/b.csv"
expect_code 0 "$K" itemsets "$T/b.csv" --minsup-count 12 --sorted --out-format json -o "$T/b1.json" --quiet
expect_code 0 "$K" itemsets "$T/b.csv" --minsup-count 12 --partition-bytes 12000 --out-format json \
    -o "$T/b2.json" --quiet
same "$T/b1.json" "$T/b2.json" "baskets"
{
    echo "@ITEM=177=bread"
    echo "@ITEM=52=milk"
    head -300 "$T10"
} | gzip >"$T/named.dat.gz"
expect_code 0 "$K" itemsets "$T/named.dat.gz" --minsup-count 8 --sorted -o "$T/n1.txt" --quiet
expect_code 0 "$K" itemsets "$T/named.dat.gz" --minsup-count 8 --partition-bytes 6000 -o "$T/n2.txt" \
    --quiet
same "$T/n1.txt" "$T/n2.txt" "@ITEM names"
has "$T/n2.txt" "bread"

# a file larger than --max-memory is read in parts instead of being refused (padded to 18 MB
# with SPMF comment lines)
for i in 1 2 3 4 5 6; do
    printf '@CONVERTED_FROM_TEXT '
    head -c 3000000 /dev/zero | tr '\0' 'x'
    echo
done >"$T/big.dat"
cat "$T10" >>"$T/big.dat"
expect_code 0 "$K" itemsets "$T/big.dat" --skip-empty --minsup-count 30 --max-memory 16 --json \
    -o "$T/big.txt"
has "$T/out" '"partitioned":true'
has "$T/out" '"transactions":1000'
expect_code 0 "$K" itemsets "$T/big.dat" --skip-empty --minsup-count 30 --sorted -o "$T/big1.txt" \
    --quiet
same "$T/big1.txt" "$T/big.txt" "larger than the memory limit"

# bad input in a later part: file, line and column, no output
{
    head -500 "$T10"
    echo "1 2 x3"
    tail -10 "$T10"
} >"$T/bad.dat"
expect_code 65 "$K" itemsets "$T/bad.dat" --minsup-count 20 --partition-bytes 14000 -o "$T/bad.txt"
has "$T/err" "bad.dat:501:5"
[ ! -e "$T/bad.txt" ] || fail "partial output on bad input"
# long format is refused in parts
printf 'c,i\n1,a\n' >"$T/long.csv"
expect_code 64 "$K" itemsets "$T/long.csv" --format long --minsup-count 1 --partition-bytes 100
has "$T/err" "a line a transaction"

# parts so small that their share of the support is 1: refused with the way out, no output
expect_code 65 "$K" itemsets "$T10" --minsup-count 2 --partition-bytes 400 --max-itemsets 20000 \
    -o "$T/tiny.txt"
has "$T/err" "larger parts"
[ ! -e "$T/tiny.txt" ] || fail "partial output after the candidate limit"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all partitioned itemsets checks passed"
