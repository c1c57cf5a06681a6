#!/usr/bin/env bash
# segment --algo birch|em|dbscan|optigrid|denclue on the telco churn table: model files that
# assign the training rows as the fit labelled them (DENCLUE excepted, see crmkit/denclue.h),
# DBSCAN's noise segment, JSON fields, the comparison of every algorithm (--json, --csv),
# report --compare and the dendrogram of a hierarchical model, bad options with exit 64 and no
# model file left behind.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/cli_common.sh"
EXPECT_GREP=-F
before_expect() { rm -f m.crmk; }
after_expect() {
    grep -q "^crmkit\( segment\| compare\| report\)\?: " err.txt ||
        fail "$1: message not prefixed: $(head -c 200 err.txt)"
    [ ! -e m.crmk ] || fail "$1: left a model file"
}
CRMKIT=${CRMKIT:-./build/crmkit}
SRC=${CRM_SOURCE_DIR:-.}
tmp=$(mktemp -d /tmp/crmkit-segdens-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
run() {
    local name=$1
    shift
    if "$@" >out.txt 2>err.txt; then echo "ok: $name"; else fail "$name: exit $? ($(head -c 300 err.txt))"; fi
}
json_num() { grep -o "\"$2\":[-0-9.eE+]*" "$1" | head -n 1 | cut -d: -f2; }
json_str() { grep -o "\"$2\":\"[^\"]*\"" "$1" | head -n 1 | cut -d: -f2 | tr -d '"'; }
zcat "$SRC/tests/data/telco_churn.csv.gz" | head -n 2001 >t.csv
n=2000

"$CRMKIT" segment --help | grep -q -- "--eps E" || fail "segment --help lacks --eps"

# every algorithm: a model file, and assign of the training file gives the training labels
for spec in "birch --k 4 --threshold 0.4 --branching 20" "em --k 4" "em --k 3 --covariance diag" \
    "dbscan --eps 0.4 --min-samples 8" "optigrid --min-size 20"; do
    set -- $spec
    algo=$1
    run "$spec" "$CRMKIT" segment t.csv --algo $spec -o $algo.crmk --labels $algo.l.csv --json --quiet
    cp out.txt $algo.json
    [ "$(json_str $algo.json algo)" = $algo ] || fail "$algo: json algo: $(head -c 200 $algo.json)"
    [ "$(wc -l <$algo.l.csv)" = $((n + 1)) ] || fail "$algo: labels lines"
    run "$algo assign" "$CRMKIT" assign $algo.crmk t.csv -o $algo.a.csv --quiet
    [ $algo = dbscan ] && continue # border rows: see below
    cmp -s $algo.a.csv $algo.l.csv || fail "$algo: assign of the training file differs from the training labels"
done
[ "$(json_num birch.json k)" = 4 ] || fail "birch: k"
[ "$(json_num birch.json branching)" = 20 ] || fail "birch: branching"
[ "$(json_num birch.json subclusters)" -ge 4 ] || fail "birch: subclusters"
grep -q '"covariance":"diag"' em.json || fail "em: covariance"
grep -q '"converged":true' em.json || fail "em: converged"
# DBSCAN: clusters + the noise segment (named Noise, last), its size = the noise rows
k=$(json_num dbscan.json k)
c=$(json_num dbscan.json clusters)
[ "$k" = $((c + 1)) ] || fail "dbscan: k $k, clusters $c"
[ "$(json_num dbscan.json noise_segment)" = $((k - 1)) ] || fail "dbscan: noise segment"
grep -q '"names":\[[^]]*"Noise"\]' dbscan.json || fail "dbscan: last segment not named Noise"
noise=$(json_num dbscan.json noise_rows)
[ "$(awk -F, -v s=$((k - 1)) 'NR > 1 && $2 == s' dbscan.l.csv | wc -l)" = "$noise" ] || fail "dbscan: noise rows in the labels file"
# assign takes the nearest core row's cluster: core and noise rows keep their training label,
# a border row near two clusters may change (a handful here), never to or from noise
paste -d, dbscan.l.csv dbscan.a.csv | awk -F, -v s=$((k - 1)) 'NR > 1 && $2 != $6 {
    d++; if ($2 == s || $6 == s) bad++ } END { exit !(d <= 20 && bad == 0) }' ||
    fail "dbscan: assign changes more than border rows"
# same seed, same labels whatever the thread count
run "dbscan 1 thread" "$CRMKIT" segment t.csv --algo dbscan --eps 0.4 --min-samples 8 --threads 1 -o d1.crmk --labels d1.csv --quiet
cmp -s d1.csv dbscan.l.csv || fail "dbscan: labels depend on the thread count"
run "birch k auto" "$CRMKIT" segment t.csv --algo birch -o ba.crmk --json --quiet
[ "$(json_str out.txt method)" = auto ] || fail "birch auto: method"
run "em k auto" "$CRMKIT" segment t.csv --algo em --k auto --kmin 2 --kmax 4 -o ea.crmk --json --quiet
grep -q '"bic_curve":\[[-0-9.eE+]*,[-0-9.eE+]*,[-0-9.eE+]*\]' out.txt || fail "em auto: no BIC curve of 3 values"
run "denclue" "$CRMKIT" segment t.csv --algo denclue --bandwidth 0.6 -o dc.crmk --labels dc.csv --json --quiet
[ "$(json_num out.txt k)" -ge 2 ] || fail "denclue: k"
[ "$(json_num out.txt sample_rows)" = 0 ] || fail "denclue: 2,000 rows climbed from a sample"
run "denclue assign" "$CRMKIT" assign dc.crmk t.csv -o dca.csv --quiet
# past --sample rows the climbs start from a seeded sample, the other rows are placed as new
# customers: every row labelled, the same labels with 1 and 2 threads, and --sample all
# climbs from every row again (the labels of the first run)
run "denclue sample" "$CRMKIT" segment t.csv --algo denclue --bandwidth 0.6 --sample 1000 -o dcs.crmk --labels dcs.csv --json --quiet
[ "$(json_num out.txt sample_rows)" = 1000 ] || fail "denclue: sample_rows $(json_num out.txt sample_rows)"
[ "$(wc -l <dcs.csv)" = $((n + 1)) ] || fail "denclue sample: labels lines"
run "denclue sample 1 thread" "$CRMKIT" segment t.csv --algo denclue --bandwidth 0.6 --sample 1000 --threads 1 -o dcs1.crmk --labels dcs1.csv --quiet
cmp -s dcs.csv dcs1.csv || fail "denclue sample: labels depend on the thread count"
cmp -s dcs.crmk dcs1.crmk || fail "denclue sample: model depends on the thread count"
run "denclue sample all" "$CRMKIT" segment t.csv --algo denclue --bandwidth 0.6 --sample all -o dca2.crmk --labels dca2.csv --quiet
cmp -s dca2.csv dc.csv || fail "denclue --sample all: labels differ from the default on 2,000 rows"
"$CRMKIT" segment t.csv --algo denclue --bandwidth 0.6 --sample 1000 -o m.crmk --quiet | grep -q "from a sample of 1000 rows" ||
    fail "denclue sample: the summary does not say so"

# the comparison of every algorithm on the same data
run "compare all" "$CRMKIT" compare t.csv --algos kmeans,xmeans,birch,em,optigrid,denclue,dbscan --kmax 8 --eps 0.4 --min-samples 8 --json --quiet
for a in kmeans xmeans birch em optigrid denclue dbscan; do
    grep -q "\"algo\":\"$a\"" out.txt || fail "compare: no row for $a"
done
run "compare csv" "$CRMKIT" compare t.csv --algos xmeans,birch,dbscan --kmax 8 --eps 0.4 --min-samples 8 --csv --quiet
[ "$(wc -l <out.txt)" = 4 ] || fail "compare csv: $(cat out.txt)"
kx=$(awk -F, 'NR == 2 { print $2 }' out.txt)
kb=$(awk -F, 'NR == 3 { print $2 }' out.txt)
[ "$kx" = "$kb" ] || fail "compare: birch did not take the k X-means found ($kx, $kb)"
# the report: the comparison as charts, the dendrogram of a hierarchical model
run "report --compare" "$CRMKIT" report birch.crmk --data t.csv --compare kmeans,birch,dbscan -o r.html --json --quiet
for c in s2-k s2-db s2-dunn s2-cp s2-sp; do
    grep -q "\"$c\"" out.txt || fail "report --compare: no chart $c ($(head -c 300 out.txt))"
done
head -n 801 t.csv >h.csv
run "hier model" "$CRMKIT" segment h.csv --algo hier --k 4 -o h.crmk --quiet
run "report dendrogram" "$CRMKIT" report h.crmk -o h.html --svg-dir hs --quiet
[ -s hs/s1-dendrogram.svg ] || fail "report: no dendrogram chart"
grep -q "<path d=\"M" hs/s1-dendrogram.svg || fail "report: the dendrogram draws nothing"

# bad options
expect "eps without dbscan" 64 "--eps and --min-samples are for --algo dbscan" -- "$CRMKIT" segment t.csv --algo birch --eps 1 -o m.crmk
expect "k with dbscan" 64 "--algo dbscan finds its own number of clusters" -- "$CRMKIT" segment t.csv --algo dbscan --k 3 -o m.crmk
expect "bad eps" 64 "--eps needs a number > 0" -- "$CRMKIT" segment t.csv --algo dbscan --eps 0 -o m.crmk
expect "bad branching" 64 "--branching needs a whole number in [2, 1000000]" -- "$CRMKIT" segment t.csv --algo birch --branching 1 -o m.crmk
expect "threshold without birch" 64 "--threshold and --branching are for --algo birch" -- "$CRMKIT" segment t.csv --algo em --threshold 1 -o m.crmk
expect "bad covariance" 64 "--covariance is full or diag" -- "$CRMKIT" segment t.csv --algo em --covariance tied -o m.crmk
expect "bandwidth without denclue" 64 "--bandwidth and --xi are for --algo denclue" -- "$CRMKIT" segment t.csv --algo optigrid --bandwidth 1 -o m.crmk
expect "compare unknown" 64 "optigrid, denclue)" -- "$CRMKIT" compare t.csv --algos kmeans,spectral --k 3
expect "report --compare without data" 64 "--compare runs the algorithms on --data" -- "$CRMKIT" report birch.crmk --compare kmeans -o m.html

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
