#!/usr/bin/env bash
# Files crmkit writes, it reads back; files crafted by others are refused as data errors.
# - 5,000-byte column names, category levels, class names and item names round trip through
#   every model kind (segmentation, a classifier of each algorithm, rules); a name beyond the
#   shared limit (CRM_MODEL_MAX_NAME, 65,536 bytes) is refused when saving, with no file left.
# - A rules file whose rule sides claim 0x7fffffff items, and a classifier whose raw
#   preprocessing was changed, both with valid checksums (tests/cli/model_patch.py), are
#   exit 65 with a message: no undefined behaviour, no "internal error" (70).
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
case $CRMKIT in /*) ;; *) CRMKIT=$PWD/$CRMKIT ;; esac
PATCH=$(cd "$(dirname "$0")" && pwd)/model_patch.py
tmp=$(mktemp -d /tmp/crmkit-limits-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

L=$(head -c 5000 /dev/zero | tr '\0' 'L')
H=$(head -c 70000 /dev/zero | tr '\0' 'H')

# ---- segmentation: a long column name and a long category level ----
{
    echo "id,a,$L,cat"
    for i in $(seq 1 40); do
        lvl=x
        [ $((i % 3)) = 0 ] && lvl=$L
        echo "c$i,$((i % 9)),$(((i * 7) % 11)),$lvl"
    done
} >seg.csv
if "$CRMKIT" segment seg.csv --k 2 --features "a,$L,cat" --tier-by none -o seg.crmk --labels l.csv \
    --quiet >/dev/null 2>err.txt; then
    "$CRMKIT" profile seg.crmk --json >p.json 2>err.txt && grep -q "$L" p.json &&
        ok "segmentation: 5,000-byte column name and level read back" ||
        fail "segmentation read back: $(head -c 200 err.txt)"
    "$CRMKIT" assign seg.crmk seg.csv -o a.csv >/dev/null 2>err.txt && cmp -s <(cut -d, -f2 a.csv) <(cut -d, -f2 l.csv) &&
        ok "segmentation: assign reproduces the labels" || fail "assign: $(head -c 200 err.txt)"
else
    fail "segment with long names: $(head -c 200 err.txt)"
fi

# ---- classifiers: every algorithm, long feature name, level and class name ----
{
    echo "id,$L,b,cat,y"
    for i in $(seq 1 60); do
        cls=no
        [ $((i % 2)) = 0 ] && cls=$L
        lvl=p
        [ $((i % 3)) = 0 ] && lvl=$L
        echo "c$i,$((i % 5 + (i % 2) * 4)),$(((i * 3) % 7)),$lvl,$cls"
    done
} >clf.csv
for algo in c45 nb knn logreg gbt mlp svm vote; do
    if "$CRMKIT" train clf.csv --target y --algo "$algo" -o "m_$algo.crmc" >/dev/null 2>err.txt; then
        if "$CRMKIT" predict "m_$algo.crmc" clf.csv -o "p_$algo.csv" 2>err.txt && grep -q "$L" "p_$algo.csv"; then
            ok "classifier $algo: 5,000-byte names read back"
        else
            fail "classifier $algo read back: $(head -c 200 err.txt)"
        fi
    elif grep -q "LIBSVM" err.txt; then
        echo "skipped: $algo (no LIBSVM)"
    else
        fail "train $algo with long names: $(head -c 200 err.txt)"
    fi
done

# ---- rules: long item names ----
{
    echo "customer,item"
    for i in $(seq 1 6); do
        echo "c$i,$L"
        echo "c$i,B"
    done
} >b.csv
if "$CRMKIT" rules b.csv --format long --minsup 0.5 --minconf 0.5 -o r.crmr >/dev/null 2>err.txt; then
    "$CRMKIT" recommend r.crmr --items B >out.txt 2>err.txt && grep -q "$L" out.txt &&
        ok "rules: 5,000-byte item name read back" || fail "rules read back: $(head -c 200 err.txt)"
else
    fail "rules with long names: $(head -c 200 err.txt)"
fi

# ---- beyond the limit: refused when saving, nothing left ----
{
    echo "id,a,$H"
    for i in $(seq 1 20); do echo "c$i,$((i % 4)),$((i % 7))"; done
} >huge.csv
"$CRMKIT" segment huge.csv --k 2 -o huge.crmk --quiet >/dev/null 2>err.txt
got=$?
[ "$got" = 65 ] && grep -q "column name .* is 70000 bytes long; a model file holds names of up to 65536 bytes" err.txt &&
    ok "70,000-byte column name refused when saving" || fail "huge name: exit $got ($(head -c 200 err.txt))"
[ ! -e huge.crmk ] || fail "a model with a huge name was left"
ls ./*.tmp.* >/dev/null 2>&1 && fail "temporary file left"

# ---- crafted files with valid checksums ----
printf 'customer,item\nc1,A\nc1,B\nc2,A\nc2,B\nc3,A\nc3,B\n' >ab.csv
"$CRMKIT" rules ab.csv --format long --minsup 0.3 --minconf 0.1 -o ab.crmr >/dev/null || fail "rules ab"
# set.0's first rule: n_lhs and n_rhs = 0x7fffffff (their sum overflowed a signed int)
python3 "$PATCH" ab.crmr bad.crmr set.0 set0rule:2 i32 0x7fffffff
python3 -c "
import sys; sys.path.insert(0, '$(dirname "$PATCH")')
import model_patch as m, struct
h, s = m.parse(open('bad.crmr', 'rb').read())
p = dict(s)['set.0']; n = struct.unpack_from('<I', p, 0)[0]
sys.exit(0 if struct.unpack_from('<i', p, 4 + n + 16 + 16 + 8 + 24)[0] == 0x7fffffff else 1)" ||
    fail "the patch did not land on n_lhs"
"$CRMKIT" recommend bad.crmr --items A >/dev/null 2>err.txt
got=$?
[ "$got" = 65 ] && ! grep -q "runtime error" err.txt && grep -q "bad.crmr" err.txt &&
    ok "rules file with 0x7fffffff rule sides: 65" || fail "crafted rules: exit $got ($(head -c 300 err.txt))"

head -41 clf.csv | sed "s/$L/long/g" >small.csv
"$CRMKIT" train small.csv --target y --algo c45 -o c45.crmc >/dev/null 2>&1 || fail "train c45"
# prepraw/prep: version u32, impute u32, cap low f64, cap high f64, flags u32, scale u32, encode u32
python3 "$PATCH" c45.crmc flags.crmc prepraw/prep 24 u32 1
python3 "$PATCH" c45.crmc onehot.crmc prepraw/prep 32 u32 0
for f in flags onehot; do
    "$CRMKIT" predict $f.crmc small.csv -o p.csv >/dev/null 2>err.txt
    got=$?
    [ "$got" = 65 ] && grep -q "$f.crmc: classifier raw preprocessing gives" err.txt &&
        ok "classifier with a changed raw preprocessing ($f): 65" ||
        fail "crafted classifier ($f): exit $got ($(head -c 300 err.txt))"
done
[ ! -e p.csv ] || fail "predictions written from a crafted model"

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all model-limit checks passed"
