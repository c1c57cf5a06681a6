#!/usr/bin/env bash
# crmkit compare: each row equals what the single commands give on the same data and seed
# (the kmeans row's indices are `crmkit validity` of `crmkit segment --k K`, the xmeans row's
# k is `crmkit segment --k auto`'s), kmeans takes the k found by an automatic algorithm with
# --k auto, CSV and JSON agree, and bad input gives usage errors.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
tmp=$(mktemp -d /tmp/crmkit-compare-XXXXXX)
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
close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; s = b < 0 ? -b : b; exit !(d <= 1e-9 * s + 1e-12) }'; }

"$CRMKIT" compare --help >help.txt 2>&1 || fail "compare --help exits non-zero"
grep -q "usage: crmkit compare" help.txt || fail "compare --help prints no usage"

"$CRMKIT" gen customers --rows 2000 --seed 3 -o c.csv >/dev/null || fail "gen"

expect_exit 0 "compare k 5" "$CRMKIT" compare c.csv --algos kmeans,xmeans --k 5 --kmax 10 --seed 4 --json
cp out.txt cmp.json
"$CRMKIT" segment c.csv --k 5 --seed 4 -o m.crmk --labels l.csv >/dev/null || fail "segment"
"$CRMKIT" validity c.csv --labels l.csv --model m.crmk --json >val.json || fail "validity"
kmeans_row=$(grep -o '{"algo":"kmeans"[^}]*}' cmp.json)
echo "$kmeans_row" >row.json
grep -q '"k":5' row.json || fail "kmeans row k: $kmeans_row"
for key in sse cp sp db dunn silhouette ch; do
    a=$(json_num row.json "$key")
    b=$(json_num val.json "$key")
    close "$a" "$b" || fail "kmeans $key $a differs from crmkit validity's $b"
done
echo "ok: the kmeans row equals crmkit validity of crmkit segment --k 5"
"$CRMKIT" segment c.csv --k auto --method xmeans --kmax 10 --seed 4 -o x.crmk --json >xseg.json || fail "segment auto"
grep -o '{"algo":"xmeans"[^}]*}' cmp.json >xrow.json
[ "$(json_num xrow.json k)" = "$(json_num xseg.json k)" ] || fail "xmeans k $(json_num xrow.json k) vs segment --k auto $(json_num xseg.json k)"

# --k auto: kmeans takes the k the first automatic algorithm found, whatever the order.
expect_exit 0 "k auto" "$CRMKIT" compare c.csv --algos kmeans,elbow --kmax 8 --seed 4 --csv
head -n 1 out.txt | grep -q '^algo,k,cp,sp,db,dunn,silhouette,ch,sse,fit_seconds$' || fail "csv header: $(head -n 1 out.txt)"
k_km=$(awk -F, '$1 == "kmeans" { print $2 }' out.txt)
k_el=$(awk -F, '$1 == "elbow" { print $2 }' out.txt)
[ -n "$k_km" ] && [ "$k_km" = "$k_el" ] || fail "kmeans k $k_km is not the elbow's $k_el"
[ "$(wc -l <out.txt)" = 3 ] || fail "csv has $(wc -l <out.txt) lines"

expect_exit 0 "em takes the elbow's k" "$CRMKIT" compare c.csv --algos em,elbow,em-diag --kmax 8 --seed 4 --csv
k_el=$(awk -F, '$1 == "elbow" { print $2 }' out.txt)
for a in em em-diag; do
    [ "$(awk -F, -v a=$a '$1 == a { print $2 }' out.txt)" = "$k_el" ] || fail "$a k is not the elbow's $k_el"
    awk -F, -v a=$a '$1 == a && !($7 > -1 && $7 < 1) { exit 1 }' out.txt || fail "$a silhouette not in (-1, 1): $(cat out.txt)"
done

expect_exit 0 "table and report" "$CRMKIT" compare c.csv --algos elbow,kmeans --kmax 6 --report cmp.html
grep -q "^elbow " out.txt || fail "table: $(cat out.txt)"
[ "$(grep -o '<svg ' cmp.html | wc -l)" = 8 ] || fail "the comparison page does not hold 8 charts"
grep -Eqi 'https?:|src=|<script' cmp.html && fail "the comparison page references something outside itself"
grep -q "Davies-Bouldin" cmp.html || fail "comparison page without its table"

expect_exit 64 "unknown algorithm" "$CRMKIT" compare c.csv --algos kmeans,optics
grep -q 'crmkit compare: unknown algorithm "optics"' err.txt || fail "message: $(cat err.txt)"
expect_exit 64 "kmeans without k" "$CRMKIT" compare c.csv --algos kmeans
expect_exit 64 "json and csv" "$CRMKIT" compare c.csv --json --csv
expect_exit 64 "bad k" "$CRMKIT" compare c.csv --k zero
expect_exit 66 "missing data" "$CRMKIT" compare nothere.csv
expect_exit 66 "missing feature" "$CRMKIT" compare c.csv --features revenue,nope --k 3 --algos kmeans

[ "$fails" = 0 ] && echo "all compare checks passed"
exit "$fails"
