#!/usr/bin/env bash
# Values of 1e308 and 1e160 through segment, assign, train and predict for every algorithm:
# refused with the file and column named (exit 65) and no output file, never exit 0 with
# NaN, null inertia, an empty segment or a "constant column" that is not constant.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
case $CRMKIT in /*) ;; *) CRMKIT=$PWD/$CRMKIT ;; esac
tmp=$(mktemp -d /tmp/crmkit-extreme-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# refused NAME FILE -- command...: exit 65, message names FILE and field "a", no out.* file
refused() {
    local name=$1 file=$2
    shift 3
    rm -f out.*
    "$@" >stdout.txt 2>err.txt
    local got=$?
    if [ "$got" = 65 ] && grep -q "$file.*field \"a\".*too large" err.txt; then
        echo "ok: $name"
    else
        fail "$name: exit $got ($(head -c 300 err.txt)) $(grep -il nan stdout.txt out.* 2>/dev/null)"
    fi
    ls out.* >/dev/null 2>&1 && fail "$name: left $(ls out.*)"
}

make_data() { # make_data FILE VALUE: 40 rows, the value in row 31 of column a
    {
        echo "id,a,b,y"
        for i in $(seq 1 40); do
            a=$((i % 7))
            [ "$i" = 31 ] && a=$2
            echo "c$i,$a,$(((i * 3) % 5)),$([ $((i % 2)) = 0 ] && echo yes || echo no)"
        done
    } >"$1"
}
make_data ok.csv 3
make_data e308.csv 1e308
make_data e160.csv 1e160
make_data neg.csv -1e200

"$CRMKIT" segment ok.csv --k 2 --features a,b -o ok.crmk --quiet >/dev/null || fail "segment ok.csv"
for v in e308 e160 neg; do
    for scale in none zscore minmax; do
        refused "segment $v --scale $scale" $v.csv -- "$CRMKIT" segment $v.csv --k 2 --features a,b --scale $scale -o out.crmk --quiet
    done
    refused "assign $v" $v.csv -- "$CRMKIT" assign ok.crmk $v.csv -o out.csv
done
for algo in c45 nb knn logreg gbt mlp svm vote; do
    if ! "$CRMKIT" train ok.csv --target y --drop id --algo $algo -o ok_$algo.crmc >/dev/null 2>err.txt; then
        grep -q LIBSVM err.txt && { echo "skipped: $algo (no LIBSVM)"; continue; }
        fail "train $algo on ok.csv: $(head -c 200 err.txt)"
        continue
    fi
    for v in e308 e160; do
        refused "train $algo $v" $v.csv -- "$CRMKIT" train $v.csv --target y --drop id --algo $algo -o out.crmc
        refused "predict $algo $v" $v.csv -- "$CRMKIT" predict ok_$algo.crmc $v.csv --proba -o out.csv
    done
done

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all extreme-value checks passed"
