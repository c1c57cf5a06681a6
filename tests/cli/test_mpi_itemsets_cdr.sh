#!/usr/bin/env bash
# crmkit itemsets and cdr under mpirun: outputs byte-identical to a run without mpirun for
# 1, 2 and 4 ranks; a bad row in another rank's part stops every rank with the message of a
# one-process run (file:line:column), a non-zero exit and no output file; train with an
# algorithm other than gbt is refused across ranks.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/mpi_common.sh"
SRC=${CRM_SOURCE_DIR:-$here/../..}
# Under ASan: OpenMPI's runtime keeps allocations past MPI_Finalize in plugins it unloads, which
# LeakSanitizer reports without a module to suppress by; the same code paths are leak-checked
# without mpirun in test_itemsets_partition.sh and test_cdr.sh.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
tmp=$(mktemp -d /tmp/crmkit-mpi2-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

same() { # name file1 file2
    if cmp -s "$2" "$3"; then echo "ok: $1"; else fail "$1: $2 and $3 differ"; fi
}

# ---- itemsets: count distribution ------------------------------------------------------------
T10=$SRC/tests/data/fim/t10_head1000.dat
for args in "--minsup-count 10" "--minsup 0.02 --closed" "--minsup-count 12 --maximal --csv"; do
    # shellcheck disable=SC2086
    "$CRMKIT" itemsets "$T10" $args --sorted -o ref.txt --quiet || fail "itemsets $args"
    nps="2 4"
    [ "$args" != "--minsup-count 10" ] || nps="1 2 4"
    for np in $nps; do
        # shellcheck disable=SC2086
        "${MPIRUN[@]}" -np $np "$CRMKIT" itemsets "$T10" $args --sorted -o m.txt --quiet \
            >out.txt 2>err.txt || fail "itemsets $args np $np: exit $?"
        same "itemsets $args, np $np" ref.txt m.txt
        rm -f m.txt
    done
done
# baskets of names, and a gzip file (read whole by rank 0)
awk '{ s = ""; for (i = 1; i <= NF; i++) s = s (i > 1 ? "," : "") "i" $i; print s }' "$T10" >b.csv
"$CRMKIT" itemsets b.csv --minsup-count 15 --sorted --out-format json -o ref.json --quiet
gzip -k b.csv
for f in b.csv b.csv.gz; do
    "${MPIRUN[@]}" -np 2 "$CRMKIT" itemsets $f --minsup-count 15 --sorted --out-format json \
        -o m.json --quiet || fail "itemsets $f np 2: exit $?"
    same "itemsets $f, np 2" ref.json m.json
    rm -f m.json
done
# a bad item in the last rank's part: every rank stops with the one-process message
{
    head -900 "$T10"
    echo "1 2 x3"
    tail -100 "$T10"
} >bad.dat
"$CRMKIT" itemsets bad.dat --minsup-count 10 -o o.txt 2>ref_err.txt
want=$?
for np in 2 4; do
    "${MPIRUN[@]}" -np $np "$CRMKIT" itemsets bad.dat --minsup-count 10 -o o.txt >out.txt \
        2>err.txt
    got=$?
    [ "$got" -ne 0 ] && [ "$want" -ne 0 ] || fail "itemsets bad row np $np: exit $got"
    grep -q "bad.dat:901:5" err.txt && echo "ok: itemsets bad row np $np names 901:5" ||
        fail "itemsets bad row np $np: $(head -c 300 err.txt)"
    [ "$(grep -c '^crmkit itemsets: ' err.txt)" = 1 ] || fail "itemsets bad row np $np: not printed once"
    [ ! -e o.txt ] || fail "itemsets bad row np $np: output left"
done
grep -q "bad.dat:901:5" ref_err.txt || fail "itemsets bad row without mpirun: $(cat ref_err.txt)"

# ---- cdr: per-customer sums merged across ranks -----------------------------------------------
# cdr of $1 under mpirun with $3 ranks, 1 and 2 threads: the bytes of $2
cdr_same_as() {
    for th in 1 2; do
        "${MPIRUN[@]}" -np $3 "$CRMKIT" cdr $1 -o m.csv --threads $th --quiet \
            >out.txt 2>err.txt || fail "cdr $1 np $3 threads $th: exit $?"
        same "cdr $1, np $3 threads $th" $2 m.csv
        rm -f m.csv
    done
}
# 4.7 MB: the ranks take its pieces (1 MiB and more) as each gets free, in another order
# every run; the same bytes whoever read which
"$CRMKIT" gen cdr --customers 1200 --days 4 --seed 3 -o big.csv --quiet >/dev/null || exit 1
"$CRMKIT" cdr big.csv -o refb.csv --quiet || fail "cdr big.csv without mpirun"
for np in 2 4; do
    cdr_same_as big.csv refb.csv $np
done
rm -f big.csv refb.csv
"$CRMKIT" gen cdr --customers 300 --days 4 --seed 7 -o c.csv --quiet >/dev/null || exit 1
"$CRMKIT" cdr c.csv -o ref.csv --quiet || fail "cdr without mpirun"
"$CRMKIT" cdr c.csv -o refw.csv --from 2024-01-02 --to 2024-01-03 --quiet || fail "cdr window"
for np in 1 2 4; do
    cdr_same_as c.csv ref.csv $np
    "${MPIRUN[@]}" -np $np "$CRMKIT" cdr c.csv -o m.csv --from 2024-01-02 --to 2024-01-03 \
        --quiet || fail "cdr window np $np: exit $?"
    same "cdr --from --to, np $np" refw.csv m.csv
    rm -f m.csv
done
# one summary, from rank 0, with the counts of one process and a CPU figure per rank
"${MPIRUN[@]}" -np 4 "$CRMKIT" cdr c.csv -o m.csv --json --quiet >out.txt 2>err.txt
[ "$(grep -c '"records"' out.txt)" = 1 ] && echo "ok: cdr one summary from 4 ranks" ||
    fail "cdr summary printed $(grep -c '"records"' out.txt) times"
"$CRMKIT" cdr c.csv -o ref.csv --json --quiet >ref.json
counts() { sed 's/"output":"[^"]*",//; s/,"threads".*//' "$1"; }
[ "$(counts out.txt)" = "$(counts ref.json)" ] && grep -q '"distinct_callees":[1-9]' out.txt &&
    echo "ok: cdr summary counts of 4 ranks = one process" ||
    fail "cdr summary: $(counts out.txt) vs $(counts ref.json)"
grep -Eq '"rank_cpu_seconds":\[[0-9.e-]+(,[0-9.e-]+){3}\]' out.txt &&
    echo "ok: cdr rank_cpu_seconds of 4 ranks" || fail "cdr rank_cpu_seconds: $(cat out.txt)"
rm -f m.csv
# a window with no records: every rank stops with the one-process message
"$CRMKIT" cdr c.csv -o m.csv --from 2030-01-01 --quiet 2>ref_err.txt
want=$?
"${MPIRUN[@]}" -np 2 "$CRMKIT" cdr c.csv -o m.csv --from 2030-01-01 --quiet >out.txt 2>err.txt
got=$?
[ "$got" = "$want" ] && [ "$(grep "crmkit cdr: " err.txt)" = "$(cat ref_err.txt)" ] && [ ! -e m.csv ] &&
    echo "ok: cdr empty window np 2: $(cat ref_err.txt)" ||
    fail "cdr empty window np 2: exit $got (want $want): $(cat err.txt)"
# quoted fields spanning lines: read as one process where no cut between ranks falls inside
# one; a long one across the middle of the file (a cut for 2 and 4 ranks) is refused
body=$(($(wc -l <c.csv) - 1))
half=$((body / 2))
{
    head -n 3 c.csv
    echo 'S9999990,"X1
X2",2024-01-02 10:00:00,60,onnet,voice,0,0.5'
    tail -n +4 c.csv
} >q1.csv
"$CRMKIT" cdr q1.csv -o refq.csv --quiet || fail "cdr quoted newline without mpirun"
for np in 2 4; do
    "${MPIRUN[@]}" -np $np "$CRMKIT" cdr q1.csv -o m.csv --quiet >out.txt 2>err.txt ||
        fail "cdr quoted newline np $np: $(cat err.txt)"
    same "cdr quoted newline in rank 0's part, np $np" refq.csv m.csv
    rm -f m.csv
done
{
    head -n $((half + 1)) c.csv
    printf 'S9999991,"'
    head -c $(($(wc -c <c.csv) / 3)) c.csv | tr -d '"'
    echo '",2024-01-02 10:00:00,60,onnet,voice,0,0.5'
    tail -n +$((half + 2)) c.csv
} >q2.csv
for np in 2 4; do
    "${MPIRUN[@]}" -np $np "$CRMKIT" cdr q2.csv -o m.csv --quiet >out.txt 2>err.txt
    got=$?
    msg=$(grep "crmkit cdr: " err.txt)
    [ "$got" = 65 ] && [ "$msg" = "crmkit cdr: q2.csv:$((half + 2)): a quoted field spans lines, which a file split across ranks cannot have (run it without mpirun)" ] &&
        [ ! -e m.csv ] && echo "ok: cdr quoted field across a cut np $np: $msg" ||
        fail "cdr quoted field across a cut np $np: exit $got: $(head -c 400 err.txt)"
done
gzip -k c.csv
"${MPIRUN[@]}" -np 2 "$CRMKIT" cdr c.csv.gz -o m.csv --quiet || fail "cdr gzip np 2: exit $?"
same "cdr gzip, np 2" ref.csv m.csv
rm -f m.csv
# a bad row near the end (in the last rank's part)
n=$(wc -l <c.csv)
awk -v n=$((n - 50)) 'NR == n { sub(/,voice,|,sms,|,data,/, ",fax,") } 1' c.csv >bad.csv
"$CRMKIT" cdr bad.csv -o m.csv --quiet 2>ref_err.txt
want=$?
for np in 2 4; do
    "${MPIRUN[@]}" -np $np "$CRMKIT" cdr bad.csv -o m.csv --quiet >out.txt 2>err.txt
    got=$?
    [ "$got" = "$want" ] && [ "$got" -ne 0 ] || fail "cdr bad row np $np: exit $got (want $want)"
    msg=$(grep "crmkit cdr: " err.txt)
    [ "$msg" = "$(cat ref_err.txt)" ] && echo "ok: cdr bad row np $np: $msg" ||
        fail "cdr bad row np $np: \"$msg\" vs \"$(cat ref_err.txt)\""
    [ ! -e m.csv ] || fail "cdr bad row np $np: output left"
done
grep -q "bad.csv:$((n - 50)):" ref_err.txt || fail "cdr bad row line: $(cat ref_err.txt)"

# ---- train: only --algo gbt runs across ranks (test_mpi_gbt.sh); others exit 64, said once --
"${MPIRUN[@]}" -np 2 "$CRMKIT" train --algo svm c.csv --target cust -o m.crmk >out.txt 2>err.txt
got=$?
[ "$got" -eq 64 ] || fail "train --algo svm np 2: exit $got (want 64)"
[ "$(grep -c '^crmkit train: ' err.txt)" = 1 ] && echo "ok: train --algo svm across ranks refused once" ||
    fail "train refusal: $(cat err.txt)"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all itemsets/cdr mpirun checks passed"
