#!/usr/bin/env bash
# crmkit recommend: ranked offers from fired rules, popularity fallback, segments, baskets
# files, damaged rules files, exit codes and no partial output.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
DATA=${CRM_SOURCE_DIR:-.}/tests/data
tmp=$(mktemp -d /tmp/crmkit-recommend-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { # check NAME EXPECTED_CODE ACTUAL_CODE
    if [ "$2" != "$3" ]; then fail "$1: exit $3, expected $2"; else echo "ok: $1"; fi
}
has() { # has NAME FILE TEXT
    grep -qF -- "$3" "$2" || { fail "$1: no \"$3\" in $2"; sed 's/^/    /' "$2" | head -20; }
}

# Rules of the tiny baskets {a,b,c} {a,b} {a,c} {b,d} {a,b,c,d}; segments x = first two.
"$CRMKIT" rules "$DATA/baskets_tiny.csv" --format long --minsup-count 1 --minconf 0.5 \
    --segments "$DATA/labels_tiny.csv" -o "$tmp/r.crmr" >/dev/null; check "make rules" 0 $?
R="$tmp/r.crmr"

"$CRMKIT" recommend --help >"$tmp/h"; check "--help" 0 $?
has "--help" "$tmp/h" "--baskets FILE"
"$CRMKIT" recommend "$R" 2>"$tmp/err"; check "no --items or --baskets" 64 $?
"$CRMKIT" recommend "$R" --items a --baskets x.csv 2>/dev/null; check "both --items and --baskets" 64 $?
"$CRMKIT" recommend "$R" --items a --top 0 2>/dev/null; check "--top 0" 64 $?
"$CRMKIT" recommend "$tmp/none.crmr" --items a 2>"$tmp/err"; check "missing rules file" 66 $?
"$CRMKIT" recommend "$R" --items a --segment nope 2>"$tmp/err"; check "unknown segment" 64 $?
has "unknown segment lists the sets" "$tmp/err" 'no segment "nope"'
has "unknown segment lists the sets" "$tmp/err" "all\", \"x\", \"y"

# Basket {d}: d => b fires with confidence 1, lift 1.25; a and c come with confidence 0.5 and
# lift 1.25 (d => a,b,c), tied, so by name.
"$CRMKIT" recommend "$R" --items d --top 3 --json >"$tmp/j"; check "--items d --json" 0 $?
has "ranked by confidence then lift then name" "$tmp/j" '{"segment":"all","unknown_items":[],"recommendations":[{"item":"b","source":"rule","confidence":1,"lift":1.25,"count":2,"because":["d"]},{"item":"a","source":"rule","confidence":0.5,"lift":1.25,"count":1,"because":["d"]},{"item":"c","source":"rule","confidence":0.5,"lift":1.25,"count":1,"because":["d"]}]}'
# Within segment y ({a,c} {b,d} {a,b,c,d}) the same rule has lift 1.5.
"$CRMKIT" recommend "$R" --items d --segment y --top 1 --json >"$tmp/j"; check "--segment y" 0 $?
has "segment rules" "$tmp/j" '"segment":"y","unknown_items":[],"recommendations":[{"item":"b","source":"rule","confidence":1,"lift":1.5'
# Text output, an unknown item is named on stderr and ignored.
"$CRMKIT" recommend "$R" --items d,zz --top 2 >"$tmp/t" 2>"$tmp/err"; check "unknown item ignored" 0 $?
has "unknown item warning" "$tmp/err" 'item "zz" is not in'
has "text output" "$tmp/t" "1. b"
# A basket of unknown items fires no rule: the population's most popular items (a and b,
# 4 baskets each, tied, so by name), and the output says so. A full basket gets nothing.
"$CRMKIT" recommend "$R" --items zz --top 2 >"$tmp/t" 2>/dev/null; check "cold start" 0 $?
has "popularity said" "$tmp/t" "no rule fired for this basket"
has "most popular first" "$tmp/t" "1. a"
"$CRMKIT" recommend "$R" --items a,b,c,d --json >"$tmp/j"; check "full basket" 0 $?
has "nothing left" "$tmp/j" '"recommendations":[]'

# A file of baskets, with segments.
printf 'customer,item\nc9,d\nc4,d\nc7,a\nc7,b\nc7,c\nc7,d\n' >"$tmp/b.csv"
"$CRMKIT" recommend "$R" --baskets "$tmp/b.csv" --segments "$DATA/labels_tiny.csv" --top 2 \
    -o "$tmp/rec.csv"; check "--baskets" 0 $?
has "baskets header" "$tmp/rec.csv" "customer,segment,rank,item,source,confidence,lift,because"
has "unlabelled customer uses the population" "$tmp/rec.csv" "c9,all,1,b,rule,1,1.25,d"
has "labelled customer uses its segment" "$tmp/rec.csv" "c4,y,1,b,rule,1,1.5,d"
[ "$(grep -c '^c7,' "$tmp/rec.csv")" = 0 ] || fail "a customer with every item got offers"
"$CRMKIT" recommend "$R" --baskets "$tmp/b.csv" -o "$tmp/no/dir/rec.csv" 2>/dev/null; check "bad output dir" 74 $?
"$CRMKIT" recommend "$R" --baskets "$tmp/nofile.csv" -o "$tmp/rec2.csv" 2>/dev/null; check "missing baskets" 66 $?
[ ! -e "$tmp/rec2.csv" ] || fail "a failed run left an output file"

# A VAS log as baskets: only SUCCESS rows count, so S0000003 (ROAM_DAY, INTL_MINUTES) is
# offered nothing from those two and S0000006 (a failed gift only) is absent.
"$CRMKIT" rules "$DATA/vas_tiny.csv" --format vas --minsup-count 2 --minconf 0.5 -o "$tmp/v.crmr" >/dev/null
"$CRMKIT" recommend "$tmp/v.crmr" --baskets "$DATA/vas_tiny.csv" --format vas --top 1 -o "$tmp/vrec.csv"; check "--baskets vas" 0 $?
has "vas offer from a rule" "$tmp/vrec.csv" "S0000004,all,1,DATA_1GB,rule,0.6666666667,1.666666667,RBT_POP"
grep -q '^S0000006,' "$tmp/vrec.csv" && fail "a customer with failed rows only got offers"

# Damaged rules files are refused with a data error, never a crash.
size=$(stat -c %s "$R")
head -c $((size / 2)) "$R" >"$tmp/cut.crmr"
"$CRMKIT" recommend "$tmp/cut.crmr" --items a 2>"$tmp/err"; check "truncated rules file" 65 $?
has "truncated message names file" "$tmp/err" "cut.crmr"
cp "$R" "$tmp/flip.crmr"
printf '\x55' | dd of="$tmp/flip.crmr" bs=1 seek=$((size - 20)) conv=notrunc 2>/dev/null
"$CRMKIT" recommend "$tmp/flip.crmr" --items a 2>"$tmp/err"; check "flipped byte" 65 $?
printf 'not a model file at all\n' >"$tmp/junk.crmr"
"$CRMKIT" recommend "$tmp/junk.crmr" --items a 2>/dev/null; check "foreign file" 65 $?

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all recommend CLI checks passed"
