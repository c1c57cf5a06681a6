#!/usr/bin/env bash
# crmkit train --algo gbt under mpirun (data-parallel boosting: each rank grows the trees on
# its blocks of training rows, histograms added across ranks): the model file and the
# metrics are byte-identical to a run without mpirun for 1, 2 and 4 ranks x 1 and 2 threads
# (binary with the telco table; six classes with early stopping on 34,000 rows, enough for
# two threads and for every rank to own blocks of 4,096 rows; --cv and --test-size 0); a bad
# row stops every rank with the one-process message and no model file; other algorithms are
# refused across ranks (exit 64, said once).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/mpi_common.sh"
SRC=${CRM_SOURCE_DIR:-$here/../..}
tmp=$(mktemp -d /tmp/crmkit-mpigbt-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

same() { # name file1 file2
    if cmp -s "$2" "$3"; then echo "ok: $1"; else fail "$1: $2 and $3 differ"; fi
}
# the --json summaries without their timings and the model's file name
metrics() { python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for k in [k for k in d if "seconds" in k or k == "model"]:
    del d[k]
print(json.dumps(d, sort_keys=True))' "$1"; }

zcat "$SRC/tests/data/telco_churn.csv.gz" >telco.csv || exit 1
T=(--target Churn --drop customerID --algo gbt --gbt-max-iter 30)
"$CRMKIT" train telco.csv "${T[@]}" -o ref.crmc --json --quiet >ref.json || fail "telco without mpirun"
metrics ref.json >ref.m
for np in 1 2 4; do
    "${MPIRUN[@]}" -np $np "$CRMKIT" train telco.csv "${T[@]}" -o m.crmc --json --quiet \
        >m.json 2>err.txt || fail "telco np $np: exit $? $(head -c 300 err.txt)"
    same "telco gbt model, np $np" ref.crmc m.crmc
    metrics m.json >m.m
    same "telco held-out metrics, np $np" ref.m m.m
    rm -f m.crmc
done
[ "$(grep -c '"accuracy"' m.json)" = 1 ] && echo "ok: one summary from 4 ranks" ||
    fail "summary printed $(grep -c '"accuracy"' m.json) times"
"${MPIRUN[@]}" -np 2 "$CRMKIT" train telco.csv "${T[@]}" --cv 3 -o m.crmc --json --quiet \
    >m.json || fail "telco --cv 3 np 2"
"$CRMKIT" train telco.csv "${T[@]}" --cv 3 -o ref_cv.crmc --json --quiet >ref_cv.json
same "telco --cv 3 model, np 2" ref_cv.crmc m.crmc
metrics ref_cv.json >a.m
metrics m.json >b.m
same "telco --cv 3 metrics, np 2" a.m b.m
rm -f m.crmc

# six classes, early stopping (more than 10,000 training rows), two threads possible
"$CRMKIT" gen customers --rows 34000 --seed 11 --truth -o c.csv --quiet >/dev/null || exit 1
C=(--target true_type --drop churn --algo gbt --gbt-max-iter 12 --gbt-max-leaf-nodes 15
    --test-size 0.02)
"$CRMKIT" train c.csv "${C[@]}" --threads 1 -o cref.crmc --json --quiet >cref.json ||
    fail "6 classes without mpirun"
metrics cref.json >cref.m
"$CRMKIT" show cref.crmc | grep -q "validation" || fail "6 classes: no validation curve"
for np in 1 2 4; do
    for th in 1 2; do
        [ "$np" != 1 ] || [ "$th" != 1 ] || continue
        "${MPIRUN[@]}" -np $np "$CRMKIT" train c.csv "${C[@]}" --threads $th -o m.crmc --json \
            --quiet >m.json 2>err.txt || fail "6 classes np $np threads $th: exit $?"
        same "6-class gbt model, np $np threads $th" cref.crmc m.crmc
        metrics m.json >m.m
        same "6-class metrics, np $np threads $th" cref.m m.m
        rm -f m.crmc
    done
done
"$CRMKIT" train c.csv "${C[@]}" --test-size 0 --gbt-max-iter 5 -o z.crmc --quiet >/dev/null ||
    fail "--test-size 0 without mpirun"
"${MPIRUN[@]}" -np 2 "$CRMKIT" train c.csv "${C[@]}" --test-size 0 --gbt-max-iter 5 -o m.crmc \
    --quiet >/dev/null || fail "--test-size 0 np 2"
same "--test-size 0 model, np 2" z.crmc m.crmc

# a row without a target near the end: every rank stops, the one-process message, no model
n=$(wc -l <telco.csv)
awk -v n=$((n - 20)) -F, 'BEGIN { OFS = "," } NR == n { $NF = "" } 1' telco.csv >bad.csv
"$CRMKIT" train bad.csv "${T[@]}" -o b.crmc --quiet >/dev/null 2>ref_err.txt
want=$?
[ "$want" -ne 0 ] && [ ! -e b.crmc ] || fail "bad row without mpirun: exit $want"
for np in 2 4; do
    "${MPIRUN[@]}" -np $np "$CRMKIT" train bad.csv "${T[@]}" -o b.crmc --quiet >out.txt 2>err.txt
    got=$?
    [ "$got" = "$want" ] || fail "bad row np $np: exit $got (want $want)"
    msg=$(grep "crmkit train: " err.txt)
    [ "$msg" = "$(grep "crmkit train: " ref_err.txt)" ] && echo "ok: bad row np $np: $msg" ||
        fail "bad row np $np: \"$msg\" vs \"$(cat ref_err.txt)\""
    [ ! -e b.crmc ] || fail "bad row np $np: model written"
done

# other algorithms: refused across ranks, said once, nothing written
"${MPIRUN[@]}" -np 2 "$CRMKIT" train telco.csv --target Churn --algo c45 -o c.crmc >out.txt \
    2>err.txt
got=$?
[ "$got" -eq 64 ] || fail "train --algo c45 np 2: exit $got (want 64)"
[ "$(grep -c 'crmkit train: only --algo gbt' err.txt)" = 1 ] && echo "ok: c45 across ranks refused once" ||
    fail "c45 refusal: $(cat err.txt)"
[ ! -e c.crmc ] || fail "c45 refusal wrote a model"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all train --algo gbt mpirun checks passed"
