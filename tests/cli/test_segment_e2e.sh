#!/usr/bin/env bash
# gen -> segment -> assign -> profile -> validity -> demo, checking real values: assign of the
# training file reproduces the training labels, validity's SSE equals the k-means inertia,
# the same seed gives the same segments whatever the thread count.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
tmp=$(mktemp -d /tmp/crmkit-sege2e-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
run() { # run NAME CMD...: must exit 0
    local name=$1
    shift
    if "$@" >out.txt 2>err.txt; then echo "ok: $name"; else fail "$name: exit $? ($(head -c 300 err.txt))"; fi
}
# json_num FILE KEY: the number after "KEY": in a one-line JSON object (first match).
json_num() { grep -o "\"$2\":[-0-9.eE+]*" "$1" | head -n 1 | cut -d: -f2; }
has_key() { grep -q "\"$2\":" "$1" || fail "$1 has no \"$2\""; }

for cmd in segment assign validity profile demo; do
    "$CRMKIT" "$cmd" --help >help.txt 2>&1 || fail "$cmd --help exits non-zero"
    grep -q "usage: crmkit $cmd" help.txt || fail "$cmd --help prints no usage"
done

run "gen" "$CRMKIT" gen customers --rows 3000 --seed 5 -o c.csv
run "segment k=4" "$CRMKIT" segment c.csv --k 4 --seed 1 --tol 0 --cap 1,99 -o m.crmk --labels l.csv --json
cp out.txt seg.json
for key in k iterations inertia seconds load_seconds sizes names method features; do has_key seg.json "$key"; done
[ "$(json_num seg.json k)" = 4 ] || fail "segment json k is not 4"
sizes=$(grep -o '"sizes":\[[0-9,]*\]' seg.json | grep -o '[0-9][0-9,]*' | tr ',' '+')
[ "$(( sizes ))" = 3000 ] || fail "sizes $sizes do not add up to 3000"
head -n 1 l.csv | grep -q "^subscriber_id,segment,segment_name,outlier$" || fail "labels header: $(head -n 1 l.csv)"
[ "$(wc -l <l.csv)" = 3001 ] || fail "labels file has $(wc -l <l.csv) lines"

# assign of the training data reproduces the training labels, byte for byte.
run "assign training data" "$CRMKIT" assign m.crmk c.csv -o a.csv --json
cmp -s a.csv l.csv || fail "assign of the training file differs from the training labels"
grep -q '"unseen_levels":0' out.txt || fail "assign json: $(cat out.txt)"
# New customers in another column order: same labels for the same rows.
head -n 1 c.csv | grep -q '^subscriber_id,region,plan_type,tenure_days,.*,revenue,churn$' || fail "gen columns changed"
awk -F, -v OFS=, '{ print $17, $4, $1, $16, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $2 }' c.csv |
    head -n 101 >new.csv
run "assign reordered columns" "$CRMKIT" assign m.crmk new.csv -o a2.csv
head -n 101 l.csv | cmp -s - a2.csv || fail "assign of reordered columns differs"

run "profile" "$CRMKIT" profile m.crmk
grep -q "Platinum" out.txt || fail "profile names no Platinum tier"
grep -q "^revenue" out.txt || fail "profile shows no revenue row"
run "profile --json" "$CRMKIT" profile m.crmk --json
for key in segments population tier_by mean median ratio std_diff; do has_key out.txt "$key"; done

# Validity in the model's own space: SSE equals the inertia (converged with --tol 0).
run "validity --model" "$CRMKIT" validity c.csv --labels l.csv --model m.crmk --json
cp out.txt val.json
for key in sse cp sp db dunn silhouette ch; do
    v=$(json_num val.json "$key")
    [ -n "$v" ] || fail "validity $key is missing or not a finite number"
done
awk -v a="$(json_num val.json sse)" -v b="$(json_num seg.json inertia)" \
    'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-9 * b) }' ||
    fail "validity sse $(json_num val.json sse) != inertia $(json_num seg.json inertia)"
awk -v s="$(json_num val.json silhouette)" 'BEGIN { exit !(s > -1 && s <= 1) }' || fail "silhouette out of range"
run "validity by row order" "$CRMKIT" validity c.csv --labels l.csv --features tenure_days,revenue --scale minmax
grep -q "Davies-Bouldin" out.txt || fail "validity text output"

# k chosen automatically.
run "segment xmeans" "$CRMKIT" segment c.csv --k auto --method xmeans --kmin 2 --kmax 8 -o x.crmk --json
k=$(json_num out.txt k)
[ "$k" -ge 2 ] && [ "$k" -le 8 ] || fail "xmeans k $k outside 2..8"
has_key out.txt bic
run "segment elbow" "$CRMKIT" segment c.csv --k auto --method elbow --kmin 2 --kmax 8 -o e.crmk --json
has_key out.txt elbow_inertia

# Names from a file, in segment order; initial centres from a file.
printf 'Alpha\nBeta\nGamma\n' >names.txt
run "segment --names" "$CRMKIT" segment c.csv --k 3 --names names.txt -o n.crmk --json
grep -q '"names":\["Alpha","Beta","Gamma"\]' out.txt || fail "names not taken from the file"
printf 'revenue,monthly_bill\n10,5\n200,60\n600,150\n' >centres.csv
run "segment --init" "$CRMKIT" segment c.csv --features revenue,monthly_bill --init centres.csv --tier-by none -o i.crmk --json
[ "$(json_num out.txt k)" = 3 ] || fail "--init did not set k = 3"

# Same seed, same segments, whatever the number of threads.
OMP_NUM_THREADS=1 "$CRMKIT" segment c.csv --k 5 --seed 3 -o t1.crmk --labels t1.csv --quiet >/dev/null || fail "1 thread"
OMP_NUM_THREADS=2 "$CRMKIT" segment c.csv --k 5 --seed 3 -o t2.crmk --labels t2.csv --quiet >/dev/null || fail "2 threads"
cmp -s t1.csv t2.csv || fail "labels differ between 1 and 2 threads"

run "demo" "$CRMKIT" demo --dir demo --rows 3000 --quiet
for f in customers.csv cdr.csv cdr_features.csv customers_cdr.csv two_layer.json segments.crmk labels.csv \
    risk.csv store.db; do [ -s "demo/$f" ] || fail "demo wrote no $f"; done
grep -q "^== layer 1: 4 groups" out.txt || fail "demo printed no layer-1 profile"
grep -q "matched no rule" err.txt && fail "the demo warns about its own spec: $(cat err.txt)"
grep -q "^== layer 2: HighValue-HighVoice" out.txt || fail "demo printed no layer-2 profile"
head -n 1 demo/labels.csv | grep -q "^subscriber_id,l1,l2,segment,segment_id$" || fail "demo labels: $(head -n 1 demo/labels.csv)"
# the demo's model and spec are the two-layer ones: assign and segment --spec reproduce them
run "assign demo model" "$CRMKIT" assign demo/segments.crmk demo/customers_cdr.csv -o demo_a.csv
cmp -s demo_a.csv demo/labels.csv || fail "assign of the demo customers differs from the demo labels"
run "segment demo spec" "$CRMKIT" segment demo/customers_cdr.csv --spec demo/two_layer.json -o demo2.crmk --labels demo_l2.csv --quiet
cmp -s demo_l2.csv demo/labels.csv || fail "segment --spec with the demo's spec differs from the demo labels"

echo "$fails failures"
[ "$fails" -eq 0 ]
