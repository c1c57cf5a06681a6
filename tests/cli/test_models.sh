#!/usr/bin/env bash
# crmkit train/predict/evaluate/show with the SVM, MLP, KNN, naive Bayes and vote: each
# trains and scores on a small table (missing values and categories included), save/load
# through predict gives the probabilities the training run reports, the vote lists its
# members, and bad option values exit 64 naming the option with no model file left behind
# (that LIBSVM is linked is checked by test_linked.sh).
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
SRC=${CRM_SOURCE_DIR:-.}
tmp=$(mktemp -d /tmp/crmkit-models-XXXXXX)
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

svm_ok=1
for algo in svm mlp knn nb vote; do
    opts=()
    case $algo in
    mlp) opts=(--mlp-hidden 16,8 --mlp-lr 0.01 --mlp-epochs 300 --mlp-early-stopping 0) ;;
    vote) opts=(--members knn,nb,mlp --mlp-epochs 20) ;;
    esac
    "$CRMKIT" train "$TRAIN" --target y --algo $algo "${opts[@]}" --seed 3 -o "$tmp/$algo.crmc" \
        --json --quiet >"$tmp/$algo.json" 2>"$tmp/$algo.err"
    rc=$?
    if [ $algo = svm ] && [ $rc = 69 ]; then
        has "svm says it is not built" "not available" "$tmp/$algo.err"
        svm_ok=0
        continue
    fi
    check "train --algo $algo" 0 $rc
    has "$algo json accuracy" '"accuracy":' "$tmp/$algo.json"
    "$CRMKIT" predict "$tmp/$algo.crmc" "$TEST" -o "$tmp/$algo.pred.csv" --proba >/dev/null 2>&1
    check "predict $algo" 0 $?
    rows=$(($(wc -l <"$tmp/$algo.pred.csv") - 1))
    [ "$rows" = 100 ] || { echo "FAIL: $algo predicted $rows rows, expected 100"; fails=$((fails + 1)); }
    "$CRMKIT" evaluate "$tmp/$algo.crmc" "$TEST" --target y --json >"$tmp/$algo.eval" 2>&1
    check "evaluate $algo" 0 $?
    acc=$(grep -o '"accuracy":[0-9.e-]*' "$tmp/$algo.eval" | head -1 | cut -d: -f2)
    awk -v a="$acc" 'BEGIN{exit !(a > 0.5)}' || { echo "FAIL: $algo held-out accuracy $acc"; fails=$((fails + 1)); }
done

# The same seed gives the same probabilities, byte for byte.
"$CRMKIT" train "$TRAIN" --target y --algo mlp --mlp-hidden 16,8 --mlp-lr 0.01 --mlp-epochs 300 --mlp-early-stopping 0 \
    --seed 3 -o "$tmp/mlp2.crmc" --quiet >/dev/null 2>&1
"$CRMKIT" predict "$tmp/mlp2.crmc" "$TEST" -o "$tmp/mlp2.pred.csv" --proba >/dev/null 2>&1
cmp -s "$tmp/mlp.pred.csv" "$tmp/mlp2.pred.csv" && echo "ok: mlp reproducible" ||
    { echo "FAIL: mlp predictions differ between two runs with one seed"; fails=$((fails + 1)); }

"$CRMKIT" show "$tmp/vote.crmc" >"$tmp/show" 2>&1; check "show vote" 0 $?
has "show lists the members" "hard vote over knn" "$tmp/show"

# Bad option values: exit 64, the option named, no model file.
bad() { # bad NAME PATTERN args...
    local name=$1 pat=$2
    shift 2
    "$CRMKIT" train "$TRAIN" --target y "$@" -o "$tmp/bad.crmc" >/dev/null 2>"$tmp/bad.err"
    check "$name" 64 $?
    has "$name message" "$pat" "$tmp/bad.err"
    [ ! -e "$tmp/bad.crmc" ] || { echo "FAIL: $name left a model file"; fails=$((fails + 1)); }
}
bad "bad mlp hidden" "--mlp-hidden" --algo mlp --mlp-hidden 64,x
bad "bad knn k" "--knn-k" --algo knn --knn-k 0
bad "bad nb alpha" "--nb-alpha" --algo nb --nb-alpha -1
bad "bad vote kind" "--vote-kind" --algo vote --vote-kind maybe
bad "bad svm kernel" "--svm-kernel" --algo svm --svm-kernel sigmoid
bad "bad svm gamma" "--svm-gamma" --algo svm --svm-gamma -2
"$CRMKIT" train "$TRAIN" --target y --algo knn --knn-k 1000 -o "$tmp/bad.crmc" >/dev/null 2>"$tmp/bad.err"
rc=$?
[ "$rc" != 0 ] && grep -q "larger than" "$tmp/bad.err" && echo "ok: k above the rows" ||
    { echo "FAIL: k above the rows: exit $rc"; cat "$tmp/bad.err"; fails=$((fails + 1)); }
[ ! -e "$tmp/bad.crmc" ] || { echo "FAIL: k above the rows left a model file"; fails=$((fails + 1)); }

[ "$svm_ok" = 1 ] || echo "skip: SVM checks (no LIBSVM in this build)"
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
