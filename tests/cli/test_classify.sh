#!/usr/bin/env bash
# crmkit train / predict / evaluate / show: exit codes, messages, outputs, no partial files,
# and the bad inputs of a classifier (one class, missing target, unseen categories, missing
# numbers, wrong model kind, features reordered or absent).
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
SRC=${CRM_SOURCE_DIR:-.}
tmp=$(mktemp -d /tmp/crmkit-classify-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # check NAME EXPECTED_CODE ACTUAL_CODE
    if [ "$2" != "$3" ]; then echo "FAIL: $1: exit $3, expected $2"; fails=$((fails + 1)); else echo "ok: $1"; fi
}
has() { # has NAME PATTERN FILE
    if grep -q -- "$2" "$3"; then echo "ok: $1"; else echo "FAIL: $1: no \"$2\" in $3:"; cat "$3"; fails=$((fails + 1)); fi
}
TRAIN=$SRC/tests/data/c45_missing_train.csv
TEST=$SRC/tests/data/c45_missing_test.csv
TELCO=$SRC/tests/data/telco_churn.csv.gz

"$CRMKIT" train --help >"$tmp/h" 2>&1; check "train --help" 0 $?
has "train help lists algorithms" "c45|svm|mlp" "$tmp/h"
has "train help lists C4.5 options" "--c45-confidence" "$tmp/h"
"$CRMKIT" predict --help >/dev/null 2>&1; check "predict --help" 0 $?
"$CRMKIT" evaluate --help >/dev/null 2>&1; check "evaluate --help" 0 $?
"$CRMKIT" show --help >/dev/null 2>&1; check "show --help" 0 $?

# Usage errors leave no model file.
"$CRMKIT" train "$TRAIN" -o "$tmp/m.crmc" >/dev/null 2>"$tmp/err"; check "train without --target" 64 $?
"$CRMKIT" train "$TRAIN" --target y --algo tree -o "$tmp/m.crmc" >/dev/null 2>"$tmp/err"; check "unknown algo" 64 $?
has "unknown algo named" '"tree"' "$tmp/err"
"$CRMKIT" train "$TRAIN" --target y --test-size 1.5 -o "$tmp/m.crmc" >/dev/null 2>&1; check "--test-size 1.5" 64 $?
"$CRMKIT" train "$TRAIN" --target y --c45-confidence 0.9 -o "$tmp/m.crmc" >/dev/null 2>&1; check "bad C4.5 option" 64 $?
"$CRMKIT" train "$TRAIN" --target y --bogus 1 -o "$tmp/m.crmc" >/dev/null 2>&1; check "unknown option" 64 $?
[ ! -e "$tmp/m.crmc" ] || { echo "FAIL: usage error left a model"; fails=$((fails + 1)); }

# Bad data: missing target column, one class.
"$CRMKIT" train "$TRAIN" --target nosuch -o "$tmp/m.crmc" >/dev/null 2>"$tmp/err"; check "missing target column" 66 $?
has "missing target named" '"nosuch"' "$tmp/err"
printf 'x,y\n1,a\n2,a\n3,a\n4,a\n' >"$tmp/one.csv"
"$CRMKIT" train "$tmp/one.csv" --target y -o "$tmp/m.crmc" >/dev/null 2>"$tmp/err"; check "one class" 65 $?
has "one class message" "only one class" "$tmp/err"
[ ! -e "$tmp/m.crmc" ] || { echo "FAIL: bad data left a model"; fails=$((fails + 1)); }

# Train with a held-out split and JSON metrics.
"$CRMKIT" train "$TRAIN" --target y --algo c45 --test-size 0.3 --seed 3 -o "$tmp/m.crmc" --json >"$tmp/train.json"; check "train c45 --json" 0 $?
for key in '"accuracy"' '"precision"' '"recall"' '"f1"' '"error"' '"auc"' '"confusion"' '"fit_seconds"' '"predict_seconds"'; do
    has "train json has $key" "$key" "$tmp/train.json"
done
[ -s "$tmp/m.crmc" ] || { echo "FAIL: no model file"; fails=$((fails + 1)); }
"$CRMKIT" train "$TRAIN" --target y --test-size 0.3 --seed 3 -o "$tmp/m2.crmc" --json >"$tmp/train2.json"
cmp -s "$tmp/m.crmc" "$tmp/m2.crmc" || true
grep -o '"accuracy":[^,]*' "$tmp/train.json" >"$tmp/a1"; grep -o '"accuracy":[^,]*' "$tmp/train2.json" >"$tmp/a2"
cmp -s "$tmp/a1" "$tmp/a2" || { echo "FAIL: same seed, different accuracy"; fails=$((fails + 1)); }
"$CRMKIT" train "$TRAIN" --target y --cv 5 --json >"$tmp/cv.json"; check "train --cv 5" 0 $?
has "cv json folds" '"folds":5' "$tmp/cv.json"

# show prints rules.
"$CRMKIT" show "$tmp/m.crmc" >"$tmp/show"; check "show" 0 $?
has "show prints a rule" " <= " "$tmp/show"
has "show counts leaves" "Number of leaves" "$tmp/show"

# predict: id + class, probabilities with --proba; features found by name in any order.
"$CRMKIT" predict "$tmp/m.crmc" "$TEST" -o "$tmp/p.csv" --proba 2>"$tmp/err"; check "predict --proba" 0 $?
head -1 "$tmp/p.csv" >"$tmp/hdr"
has "predict header" "row,predicted,p_high,p_low,p_mid" "$tmp/hdr"
[ "$(wc -l <"$tmp/p.csv")" = 101 ] || { echo "FAIL: predictions rows"; fails=$((fails + 1)); }
has "predict reports missing values" "missing values" "$tmp/err"
awk -F, 'BEGIN{OFS=","} {print $5,$4,$3,$2,$1}' "$TEST" >"$tmp/reordered.csv"
"$CRMKIT" predict "$tmp/m.crmc" "$tmp/reordered.csv" -o "$tmp/p2.csv" --proba 2>/dev/null; check "predict reordered columns" 0 $?
cmp -s "$tmp/p.csv" "$tmp/p2.csv" || { echo "FAIL: reordered columns changed predictions"; fails=$((fails + 1)); }
cut -d, -f1,3- "$TEST" >"$tmp/nob.csv"
"$CRMKIT" predict "$tmp/m.crmc" "$tmp/nob.csv" -o "$tmp/p3.csv" 2>"$tmp/err"; check "predict without a feature" 66 $?
has "absent feature named" '"b"' "$tmp/err"
[ ! -e "$tmp/p3.csv" ] || { echo "FAIL: failed predict left a file"; fails=$((fails + 1)); }
# unseen category: counted and reported, not an error.
sed 's/,red,/,purple,/' "$TEST" >"$tmp/unseen.csv"
"$CRMKIT" predict "$tmp/m.crmc" "$tmp/unseen.csv" -o "$tmp/p4.csv" 2>"$tmp/err"; check "predict unseen category" 0 $?
n_red=$(grep -c ',red,' "$TEST")
has "unseen categories counted" "; $n_red unseen categorical" "$tmp/err"

# evaluate
"$CRMKIT" evaluate "$tmp/m.crmc" "$TEST" --target y --json >"$tmp/ev.json"; check "evaluate --json" 0 $?
has "evaluate json accuracy" '"accuracy"' "$tmp/ev.json"
has "evaluate json confusion" '"confusion"' "$tmp/ev.json"
"$CRMKIT" evaluate "$tmp/m.crmc" "$TEST" --target nosuch --json >/dev/null 2>"$tmp/err"; check "evaluate missing target" 66 $?

# A model file of another kind, and a damaged one.
"$CRMKIT" gen customers --rows 200 --seed 1 -o "$tmp/cust.csv" >/dev/null 2>&1
if "$CRMKIT" segment "$tmp/cust.csv" --k 3 -o "$tmp/seg.crmc" >/dev/null 2>&1 && [ -s "$tmp/seg.crmc" ]; then
    "$CRMKIT" predict "$tmp/seg.crmc" "$TEST" -o "$tmp/p5.csv" 2>"$tmp/err"; check "predict with a segmentation model" 65 $?
    has "wrong kind message" "not a classifier" "$tmp/err"
    [ ! -e "$tmp/p5.csv" ] || { echo "FAIL: wrong kind left a file"; fails=$((fails + 1)); }
else
    echo "skip: crmkit segment not available for the wrong-kind test"
fi
head -c 100 "$tmp/m.crmc" >"$tmp/bad.crmc"
"$CRMKIT" predict "$tmp/bad.crmc" "$TEST" -o "$tmp/p6.csv" 2>"$tmp/err"; check "predict with a truncated model" 65 $?
"$CRMKIT" predict "$tmp/nosuch.crmc" "$TEST" -o "$tmp/p6.csv" 2>/dev/null; check "predict with no model" 66 $?

# Churn on the telco table: risk column, held-out AUC in JSON.
"$CRMKIT" train "$TELCO" --target Churn --drop customerID -o "$tmp/churn.crmc" --json >"$tmp/churn.json"; check "train telco churn" 0 $?
has "telco positive class" '"positive_class":"Yes"' "$tmp/churn.json"
has "telco gains table" '"gains"' "$tmp/churn.json"
"$CRMKIT" predict "$tmp/churn.crmc" "$TELCO" -o "$tmp/risk.csv" --proba 2>/dev/null; check "predict telco risk" 0 $?
head -1 "$tmp/risk.csv" >"$tmp/hdr"
has "risk header" "customerID,predicted,p_No,p_Yes,risk" "$tmp/hdr"

# Segment assignment: --labels joins a labels file by id.
zcat "$TELCO" | head -301 >"$tmp/t300.csv"
awk -F, 'NR==1{print "customerID,segment"; next} {print $1 "," ($6 > 30 ? "loyal" : "new")}' "$tmp/t300.csv" >"$tmp/labels.csv"
"$CRMKIT" train "$tmp/t300.csv" --target segment --labels "$tmp/labels.csv" --drop customerID,Churn -o "$tmp/segclf.crmc" --json >"$tmp/seg.json"; check "train --labels" 0 $?
has "labels classes" '"classes":\["loyal","new"\]' "$tmp/seg.json"

# crmkit assign with a classifier trained on segment labels.
"$CRMKIT" gen customers --rows 1500 --seed 4 -o "$tmp/c.csv" >/dev/null 2>&1
if "$CRMKIT" segment "$tmp/c.csv" --k 3 -o "$tmp/s.crmc" >/dev/null 2>&1 &&
   "$CRMKIT" assign "$tmp/s.crmc" "$tmp/c.csv" -o "$tmp/lab.csv" >/dev/null 2>&1; then
    "$CRMKIT" train "$tmp/c.csv" --target segment --labels "$tmp/lab.csv" --drop churn -o "$tmp/sc.crmc" >/dev/null; check "train segment classifier" 0 $?
    "$CRMKIT" assign "$tmp/sc.crmc" "$tmp/c.csv" -o "$tmp/lab2.csv" >/dev/null; check "assign with a classifier" 0 $?
    head -1 "$tmp/lab2.csv" >"$tmp/hdr"
    has "assign classifier header" "subscriber_id,segment" "$tmp/hdr"
    agree=$(paste -d, "$tmp/lab.csv" "$tmp/lab2.csv" | awk -F, 'NR>1{n++; s+=($2==$6)} END{print (s/n > 0.9)}')
    [ "$agree" = 1 ] || { echo "FAIL: classifier assignment agrees with k-means on under 90%"; fails=$((fails + 1)); }
else
    echo "skip: crmkit segment/assign not available"
fi

# predict formats blocks of 4,096 rows in parallel: the file is the same with 1 and 2 threads,
# in input order, one line per row.
"$CRMKIT" gen customers --rows 10000 --seed 5 -o "$tmp/many.csv" >/dev/null 2>&1
"$CRMKIT" train "$tmp/many.csv" --target churn --algo nb --test-size 0 -o "$tmp/nb.crmc" >/dev/null 2>&1
OMP_NUM_THREADS=1 "$CRMKIT" predict "$tmp/nb.crmc" "$tmp/many.csv" -o "$tmp/p1.csv" --proba --quiet; check "predict 1 thread" 0 $?
OMP_NUM_THREADS=2 "$CRMKIT" predict "$tmp/nb.crmc" "$tmp/many.csv" -o "$tmp/p2.csv" --proba --quiet; check "predict 2 threads" 0 $?
cmp -s "$tmp/p1.csv" "$tmp/p2.csv" || { echo "FAIL: predictions depend on the thread count"; fails=$((fails + 1)); }
ids=$(cut -d, -f1 "$tmp/many.csv" | cmp -s - <(cut -d, -f1 "$tmp/p2.csv") && echo same)
[ "$ids" = same ] || { echo "FAIL: predictions not in input order"; fails=$((fails + 1)); }

# Boosted trees report importance by gain (loss reduction of the splits), in --json and show.
"$CRMKIT" train "$TRAIN" --target y --algo gbt --seed 3 -o "$tmp/g.crmc" --json >"$tmp/gbt.json"; check "train gbt --json" 0 $?
python3 - "$tmp/gbt.json" <<'PY' || { echo "FAIL: gbt importance in --json"; fails=$((fails + 1)); }
import json, sys
imp = json.load(open(sys.argv[1]))["importance"]
assert imp["kind"] == "gain", imp
v = [f["value"] for f in imp["features"]]
assert max(v) > 0 and min(v) >= 0, v
assert abs(sum(f["share"] for f in imp["features"]) - 1) < 1e-9, imp
print("ok: gbt importance by gain in --json")
PY
"$CRMKIT" show "$tmp/g.crmc" >"$tmp/gshow.txt" 2>&1; check "show gbt" 0 $?
has "show gbt importance by gain" "reduction (gain)" "$tmp/gshow.txt"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
