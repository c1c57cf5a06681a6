#!/usr/bin/env bash
# Model files are byte-identical for the same inputs, options and seed (fit times only with
# --stamp); train --json says the saved model's rows under --cv; predict writes each
# probability as the shortest text that reads back to the same double.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
SRC=${CRM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TELCO=$SRC/tests/data/telco_churn.csv.gz
tmp=$(mktemp -d /tmp/crmkit-repro-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
cd "$tmp" || exit 1

for algo in c45 gbt logreg nb; do
    for i in 1 2; do
        "$CRMKIT" train "$TELCO" --target Churn --drop customerID --algo "$algo" -o "$algo$i.crmc" \
            --quiet >/dev/null || fail "train $algo"
    done
    cmp -s "${algo}1.crmc" "${algo}2.crmc" || fail "two $algo trainings give different files"
done
for i in 1 2; do
    "$CRMKIT" segment "$TELCO" -o "s$i.crmk" --quiet >/dev/null || fail "segment"
done
cmp -s s1.crmk s2.crmk || fail "two segmentations give different files"
# --stamp records the fit time, so the file differs (and still loads).
"$CRMKIT" train "$TELCO" --target Churn --drop customerID -o stamped.crmc --stamp --quiet >/dev/null || fail "--stamp"
cmp -s c451.crmc stamped.crmc && fail "--stamp wrote the same bytes"
"$CRMKIT" show stamped.crmc >/dev/null || fail "a stamped model does not load"

# crmkit show explains every kind: the tree, coefficients, gain shares and the loss curve,
# priors and per-class means, layers.
"$CRMKIT" train "$TELCO" --target Churn --drop customerID --algo mlp -o mlp.crmc --quiet >/dev/null || fail "train mlp"
show_has() { "$CRMKIT" show "$1" >show.txt 2>&1 || fail "show $1"; grep -q "$2" show.txt || fail "show $1 has no \"$2\""; }
show_has c451.crmc "C4.5 tree"
show_has logreg1.crmc "tenure  *[-+][0-9]"
show_has gbt1.crmc "training curve"
show_has gbt1.crmc "training-loss reduction (gain)"
show_has nb1.crmc "No  *0\.73"
show_has nb1.crmc "per-class means"
show_has mlp.crmc "45 inputs -> 64 ReLU -> 32 ReLU -> 2 softmax"

# trained_rows: all 7043 rows after --cv (n_train is a fold's training part).
"$CRMKIT" train "$TELCO" --target Churn --drop customerID --cv 5 --json --quiet >cv.json || fail "train --cv"
grep -q '"trained_rows":7043' cv.json || fail "trained_rows under --cv: $(grep -o '"n_train":[0-9]*,"trained_rows":[0-9]*' cv.json)"
"$CRMKIT" train "$TELCO" --target Churn --drop customerID --json --quiet >ho.json || fail "train holdout"
grep -q '"n_train":4930,"trained_rows":4930' ho.json || fail "trained_rows with a held-out split"

# Shortest round-trip text: no shorter %g precision reads back to the same double.
"$CRMKIT" predict gbt1.crmc "$TELCO" --proba -o risk.csv 2>/dev/null || fail "predict"
if command -v python3 >/dev/null; then
    python3 - risk.csv <<'PY' || fail "probabilities are not the shortest round-trip text"
import csv, sys
long_ones = 0
with open(sys.argv[1]) as f:
    r = csv.reader(f)
    next(r)
    for row in r:
        for s in row[2:]:
            v = float(s)
            digits = len(s.replace("-", "").replace(".", "").split("e")[0].lstrip("0")) or 1
            assert ("%.*g" % (digits, v)) == s, s
            for p in range(1, digits):
                assert float("%.*g" % (p, v)) != v, (s, p)
            long_ones += digits > 6
assert long_ones > 1000, long_ones  # more than six digits are needed, and given
PY
else
    echo "SKIP: python3 absent, round-trip check not run"
fi
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
