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

# --k past what the rows allow: refused before any clustering, with the reason.
"$CRMKIT" gen customers --rows 3000 --seed 4 -o "$tmp/c3k.csv" --quiet
timeout 60 "$CRMKIT" segment "$tmp/c3k.csv" -o "$tmp/m.crmk" --k 3000 --quiet 2>"$tmp/err"
check "--k 3000 on 3000 rows" 64 $?
grep -q "at most 1500, half the rows" "$tmp/err" || fail "--k n: message: $(cat "$tmp/err")"
timeout 60 "$CRMKIT" segment "$tmp/c3k.csv" -o "$tmp/m.crmk" --k 1501 --quiet 2>/dev/null
check "--k 1501 on 3000 rows" 64 $?
[ ! -e "$tmp/m.crmk" ] || fail "a refused --k left a model"

# --max-memory: a bad size is a usage error; a limit too small stops with the limit named.
"$CRMKIT" segment "$tmp/c3k.csv" -o "$tmp/m.crmk" --max-memory lots 2>"$tmp/err"
check "--max-memory lots" 64 $?
grep -q "max-memory needs a size" "$tmp/err" || fail "--max-memory lots: $(cat "$tmp/err")"
timeout 60 "$CRMKIT" segment "$tmp/g.csv" -o "$tmp/m.crmk" --k 4 --quiet --max-memory 16M 2>"$tmp/err"
check "--max-memory 16M for 270,000 rows" 71 $?
# estimated before reading: how much, the limit, and what helps
grep -q "about [0-9]* rows x 18 columns need about 9[0-9] MiB .*more than the limit of 16 MiB (--max-memory).*--features" "$tmp/err" ||
    fail "--max-memory 16M: $(cat "$tmp/err")"
[ ! -e "$tmp/m.crmk" ] || fail "a failed run left a model"
timeout 60 "$CRMKIT" segment "$tmp/c3k.csv" -o "$tmp/m.crmk" --k 4 --quiet --max-memory=64M >/dev/null
check "--max-memory=64M is enough for 3000 rows" 0 $?

# An endless pipe on standard input: stops at the memory limit, never hangs or grows on.
yes 1,2,3 | timeout 60 "$CRMKIT" segment - -o "$tmp/p.crmk" --quiet --max-memory 64M 2>"$tmp/err"
check "endless pipe under --max-memory 64M" 71 "${PIPESTATUS[1]}"
grep -q "the limit is 64 MiB" "$tmp/err" || fail "endless pipe: $(cat "$tmp/err")"
# /dev/zero and an endless line: stopped by the NUL byte and by the line limit (64 MiB).
timeout 60 "$CRMKIT" segment - -o "$tmp/p.crmk" --quiet </dev/zero 2>"$tmp/err"
check "/dev/zero on standard input" 65 $?
tr '\0' a </dev/zero | timeout 60 "$CRMKIT" segment - -o "$tmp/p.crmk" --quiet --max-memory 1G 2>"$tmp/err"
check "an endless line on standard input" 65 "${PIPESTATUS[1]}"
grep -q "line longer than the limit" "$tmp/err" || fail "endless line: $(cat "$tmp/err")"
[ ! -e "$tmp/p.crmk" ] || fail "a failed read left a model"

# A gzip bomb: 200 MiB of one byte in under 1 MiB of gzip. It is inflated in steps and fails
# at the line limit (64 MiB) under a 256 MiB memory limit, instead of being decoded whole.
head -c 200M /dev/zero | tr '\0' a | gzip -1 >"$tmp/bomb.csv.gz"
timeout 60 "$CRMKIT" segment "$tmp/bomb.csv.gz" -o "$tmp/b.crmk" --quiet --max-memory 256M 2>"$tmp/err"
check "gzip bomb" 65 $?
grep -q "bomb.csv.gz:1: line longer than the limit of 67108864 bytes" "$tmp/err" ||
    fail "gzip bomb: $(cat "$tmp/err")"
# Members of 64 MiB back to back (ratio within reason per member, 512 MiB in all): stopped by
# the memory limit with its message.
head -c 64M /dev/zero | tr '\0' '\n' | gzip -1 >"$tmp/m1.gz"
for i in 1 2 3 4 5 6 7 8; do cat "$tmp/m1.gz"; done >"$tmp/many.csv.gz"
timeout 60 "$CRMKIT" segment "$tmp/many.csv.gz" -o "$tmp/b.crmk" --quiet --max-memory 256M 2>"$tmp/err"
code=$?
[ "$code" = 71 ] || [ "$code" = 65 ] || fail "512 MiB of newlines in gzip: exit $code"
[ ! -e "$tmp/b.crmk" ] || fail "a gzip bomb left a model"

# A 2 GB sparse file: read only up to its first hole, so it fails at once (no 2 GB read).
cp "$tmp/c3k.csv" "$tmp/sparse.csv" && truncate -s 2G "$tmp/sparse.csv"
start=$(date +%s)
timeout 60 "$CRMKIT" segment "$tmp/sparse.csv" -o "$tmp/s.crmk" --quiet --max-memory 64M 2>"$tmp/err"
check "2 GB sparse file" 65 $?
grep -q "sparse.csv:3002:1: a NUL byte inside a value" "$tmp/err" || fail "sparse file: $(cat "$tmp/err")"
[ $(($(date +%s) - start)) -lt 20 ] || fail "sparse file: took $(($(date +%s) - start)) s"

# Sampling: k chosen on 5,000 of 20,000 rows then Lloyd over every row; --minibatch refines the
# sample's centres first. Same seed, same model, whatever the threads; within 2% of the
# inertia of k-means on every row.
"$CRMKIT" gen customers --rows 20000 --seed 6 -o "$tmp/c20k.csv" --quiet
for th in 1 2; do
    "$CRMKIT" segment "$tmp/c20k.csv" -o "$tmp/s$th.crmk" --k 5 --sample 5000 --minibatch \
        --threads "$th" --json --quiet >"$tmp/s$th.json"
    check "--sample 5000 --minibatch --threads $th" 0 $?
done
cmp -s "$tmp/s1.crmk" "$tmp/s2.crmk" || fail "--sample --minibatch: threads 1 and 2 differ"
"$CRMKIT" segment "$tmp/c20k.csv" -o "$tmp/sa.crmk" --json --quiet --sample 5000 >"$tmp/sa.json"
check "--sample 5000, k chosen on it" 0 $?
"$CRMKIT" segment "$tmp/c20k.csv" -o "$tmp/sf.crmk" --k 5 --sample all --json --quiet >"$tmp/sf.json"
/usr/bin/python3 - "$tmp/s1.json" "$tmp/sf.json" "$tmp/sa.json" <<'PYEOF' || fail "sampled fits"
import json, sys
s, f, a = (json.load(open(p)) for p in sys.argv[1:4])
assert s["sample_rows"] == 5000 and f["sample_rows"] == 0, (s["sample_rows"], f["sample_rows"])
assert sum(s["sizes"]) == 20000 and s["outliers"] == 0
assert s["inertia"] <= 1.02 * f["inertia"], (s["inertia"], f["inertia"])
assert a["sample_rows"] == 5000 and 3 <= a["k"] <= 12 and len(a["k_table"]) >= 1, a["k"]
PYEOF
"$CRMKIT" segment "$tmp/c20k.csv" -o "$tmp/x.crmk" --sample 10 2>/dev/null; check "--sample 10" 64 $?

# itemsets keeps its own --max-memory (MiB of mining memory): not taken for the global one.
printf '1 2 3\n1 2\n2 3\n1 3\n' >"$tmp/b.dat"
"$CRMKIT" itemsets "$tmp/b.dat" --minsup-count 1 --max-memory 100 -o "$tmp/is.txt" --quiet
check "itemsets --max-memory 100 (MiB, its own)" 0 $?
echo "$fails failure(s)"; [ "$fails" = 0 ]
