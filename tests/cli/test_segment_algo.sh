#!/usr/bin/env bash
# segment --algo kmodes|kprototypes|hier|xmeans on the telco churn table: real values (assign
# of the training data gives the training labels for k-modes and k-prototypes; hierarchical
# clustering reports its linkage and the micro-clusters past the memory guard), k auto, bad
# options with exit 64 and no model file left behind.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/cli_common.sh"
EXPECT_GREP=-F
before_expect() { rm -f m.crmk; }
after_expect() {
    grep -q "^crmkit\( segment\)\?: " err.txt || fail "$1: message not prefixed: $(head -c 200 err.txt)"
    [ ! -e m.crmk ] || fail "$1: left a model file"
}
CRMKIT=${CRMKIT:-./build/crmkit}
SRC=${CRM_SOURCE_DIR:-.}
tmp=$(mktemp -d /tmp/crmkit-segalgo-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
run() {
    local name=$1
    shift
    if "$@" >out.txt 2>err.txt; then echo "ok: $name"; else fail "$name: exit $? ($(head -c 300 err.txt))"; fi
}
json_num() { grep -o "\"$2\":[-0-9.eE+]*" "$1" | head -n 1 | cut -d: -f2; }
json_str() { grep -o "\"$2\":\"[^\"]*\"" "$1" | head -n 1 | cut -d: -f2 | tr -d '"'; }
zcat "$SRC/tests/data/telco_churn.csv.gz" >t.csv
n=$(($(wc -l <t.csv) - 1))

"$CRMKIT" segment --help | grep -q -- "--algo" || fail "segment --help lacks --algo"

for algo in kmodes kprototypes; do
    run "$algo k=4" "$CRMKIT" segment t.csv --algo $algo --k 4 --seed 2 -o $algo.crmk --labels $algo.l.csv --json --quiet
    cp out.txt $algo.json
    [ "$(json_str $algo.json algo)" = $algo ] || fail "$algo: json algo: $(head -c 200 $algo.json)"
    [ "$(json_num $algo.json k)" = 4 ] || fail "$algo: json k"
    [ "$(json_num $algo.json cost)" = "$(json_num $algo.json inertia)" ] || fail "$algo: cost"
    [ "$(wc -l <$algo.l.csv)" = $((n + 1)) ] || fail "$algo: labels lines"
    run "$algo assign" "$CRMKIT" assign $algo.crmk t.csv -o $algo.a.csv --quiet
    cmp -s $algo.a.csv $algo.l.csv || fail "$algo: assign of the training file differs from the training labels"
done
# k-modes: the 15 text columns as raw levels (customerID has a level per row and is left out)
[ "$(json_num kmodes.json categorical_features)" = 15 ] || fail "kmodes: categorical features"
[ "$(json_num kmodes.json numeric_features)" = 0 ] || fail "kmodes: numeric features"
[ "$(json_num kprototypes.json numeric_features)" = 4 ] || fail "kprototypes: numeric features"
# the same seed gives the same model, whatever the thread count
run "kprototypes huang threads 1" "$CRMKIT" segment t.csv --algo kprototypes --k 4 --kmodes-init huang --n-init 2 --seed 3 --threads 1 -o p1.crmk --labels p1.csv --quiet
run "kprototypes huang threads 2" "$CRMKIT" segment t.csv --algo kprototypes --k 4 --kmodes-init huang --n-init 2 --seed 3 --threads 2 -o p2.crmk --labels p2.csv --quiet
cmp -s p1.csv p2.csv || fail "kprototypes: labels depend on the thread count"
run "kmodes k auto" "$CRMKIT" segment t.csv --algo kmodes --k auto --kmin 2 --kmax 6 -o ka.crmk --json --quiet
[ "$(json_str out.txt method)" = auto ] || fail "kmodes auto: method $(json_str out.txt method)"
grep -q '"elbow_inertia":\[[-0-9.eE+]*,[-0-9.eE+]*,[-0-9.eE+]*,[-0-9.eE+]*,[-0-9.eE+]*\]' out.txt || fail "kmodes auto: no cost curve of 5 values"

# hierarchical: the first 1500 rows (numeric default features)
head -n 1501 t.csv >h.csv
for l in ward complete average single; do
    run "hier $l" "$CRMKIT" segment h.csv --algo hier --linkage $l --k 3 -o h$l.crmk --labels h$l.csv --json --quiet
    [ "$(json_str out.txt linkage)" = $l ] || fail "hier $l: json linkage"
    [ "$(json_num out.txt micro_clusters)" = 0 ] || fail "hier $l: micro-clusters under the guard"
    run "hier $l assign" "$CRMKIT" assign h$l.crmk h.csv -o ha.csv --quiet
    cmp -s ha.csv h$l.csv || fail "hier $l: assign of the training file differs from the training labels"
done
run "hier cut height" "$CRMKIT" segment h.csv --algo hier --cut-height 5 -o hc.crmk --json --quiet
grep -q '"cut_height":5' out.txt || fail "hier cut height: $(head -c 300 out.txt)"
run "hier k auto" "$CRMKIT" segment h.csv --algo hier --k auto --kmax 8 -o hk.crmk --json --quiet
k=$(json_num out.txt k)
[ "$k" -ge 2 ] && [ "$k" -le 8 ] || fail "hier k auto: k $k"
# past the memory guard (1 MiB: 512 rows), micro-clusters, and the output says so
run "hier guard" "$CRMKIT" segment h.csv --algo hier --k 4 --max-matrix-mb 1 --micro 100 -o hg.crmk
grep -q "the tree was built on 100 k-means micro-clusters" out.txt || fail "hier guard: no note: $(head -c 300 out.txt)"
run "hier guard json" "$CRMKIT" segment h.csv --algo hier --k 4 --max-matrix-mb 1 --micro 100 -o hg.crmk --json --quiet
[ "$(json_num out.txt micro_clusters)" = 100 ] || fail "hier guard json: micro_clusters"
grep -q "micro-clusters" err.txt || fail "hier guard json: no note on stderr"
# 3000 rows with 10 distinct values: 500 micro-clusters cannot be seeded; halved to 7, they can
awk 'BEGIN { print "id,a,b"; for (i = 0; i < 3000; i++) print "c" i "," (i * 7) % 10 "," (i * 13) % 10 }' >dup.csv
run "hier guard, duplicates" "$CRMKIT" segment dup.csv --algo hier --k 3 --max-matrix-mb 1 --micro 500 -o hd.crmk --json --quiet
[ "$(json_num out.txt micro_clusters)" = 7 ] || fail "hier guard with duplicates: $(head -c 300 out.txt)"
# X-means through --algo
run "xmeans" "$CRMKIT" segment h.csv --algo xmeans --kmax 6 -o x.crmk --json --quiet
[ "$(json_str out.txt method)" = xmeans ] || fail "xmeans: method"

# bad options and data
expect "unknown algo" 64 '--algo is kmeans, xmeans, kmodes, kprototypes, hier, birch, em, dbscan, optigrid or denclue, got "spectral"' -- "$CRMKIT" segment t.csv --algo spectral -o m.crmk
expect "unknown linkage" 64 '--linkage is ward, complete, average or single, got "centroid"' -- "$CRMKIT" segment t.csv --algo hier --linkage centroid -o m.crmk
expect "linkage without hier" 64 "are for --algo hier" -- "$CRMKIT" segment t.csv --linkage ward -o m.crmk
expect "gamma without kprototypes" 64 "are for --algo kmodes or kprototypes" -- "$CRMKIT" segment t.csv --algo hier --gamma 1 -o m.crmk
expect "negative gamma" 64 "--gamma needs a number >= 0" -- "$CRMKIT" segment t.csv --algo kprototypes --gamma -1 -o m.crmk
expect "method with kmodes" 64 "--method chooses k for k-means" -- "$CRMKIT" segment t.csv --algo kmodes --method elbow -o m.crmk
expect "xmeans with k" 64 "--algo xmeans chooses k" -- "$CRMKIT" segment t.csv --algo xmeans --k 3 -o m.crmk
expect "cut height and k" 64 "--cut-height and --k both" -- "$CRMKIT" segment h.csv --algo hier --k 3 --cut-height 2 -o m.crmk
expect "kmodes on a numeric feature" 64 'field "tenure"' -- "$CRMKIT" segment t.csv --algo kmodes --k 3 --features gender,tenure -o m.crmk
expect "hier k above rows" 64 "k = 20 is more than the 10 rows" -- "$CRMKIT" segment <(head -n 11 h.csv) --algo hier --k 20 --features tenure,MonthlyCharges -o m.crmk

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
