#!/usr/bin/env bash
# Identifier columns under mpirun: only rank 0 holds their text (crm_table_read_csv_split),
# so the labels file that rank 0 writes must carry every row's id as a run without mpirun
# does: ids repeated across the parts, first seen in a later part, missing cells, and a
# text column that becomes an identifier only by its count of distinct values (merged on
# every rank). Naming an identifier column as a feature fails the same way on every rank.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/mpi_common.sh"
tmp=$(mktemp -d /tmp/crmkit-mpiids-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
# 9,000 rows in three blocks; account_id repeats with period 3,001 (a later part holds ids the
# earlier parts saw and new ones), every 97th id is missing; code is distinct on every row
# but its name is not an identifier's
awk 'BEGIN { srand(7); print "account_id,code,tenure,spend,calls";
    for (i = 0; i < 9000; i++) {
        id = (i % 97 == 5) ? "" : sprintf("A%05d", (i * 7919) % 3001);
        printf "%s,C%06d,%d,%.2f,%d\n", id, i, int(rand() * 900), rand() * 80, int(rand() * 300)
    } }' >ids.csv
same() { # name file1 file2
    if cmp -s "$2" "$3"; then echo "ok: $1"; else fail "$1: $2 and $3 differ"; fi
}
"$CRMKIT" segment ids.csv --k 3 --seed 4 -o ref.crmk --labels ref.csv --threads 1 --quiet \
    >/dev/null || fail "segment ids.csv without mpirun"
head -1 ref.csv | grep -q "^account_id,segment" || fail "labels keyed by account_id: $(head -1 ref.csv)"
grep -q "^A00005," ref.csv || fail "id A00005 in the labels"
for np in 2 4; do
    for th in 1 2; do
        "${MPIRUN[@]}" -np $np "$CRMKIT" segment ids.csv --k 3 --seed 4 -o m.crmk --labels l.csv \
            --threads $th --quiet >/dev/null 2>err.txt || fail "segment ids.csv np $np threads $th: exit $?"
        same "ids model, np $np threads $th" ref.crmk m.crmk
        same "ids labels, np $np threads $th" ref.csv l.csv
    done
done
"$CRMKIT" segment ids.csv --features tenure,account_id --k 3 -o x.crmk --quiet >/dev/null 2>want.txt
want_rc=$?
[ "$want_rc" -ne 0 ] || fail "an identifier as a feature without mpirun: exit 0"
for np in 2 4; do
    "${MPIRUN[@]}" -np $np "$CRMKIT" segment ids.csv --features tenure,account_id --k 3 \
        -o x.crmk --quiet >/dev/null 2>got.txt
    rc=$?
    [ "$rc" -eq "$want_rc" ] || fail "an identifier as a feature, np $np: exit $rc, want $want_rc"
    grep -q "identifier" got.txt || fail "an identifier as a feature, np $np: $(cat got.txt)"
    [ ! -e x.crmk ] || fail "an identifier as a feature, np $np: a model file was written"
done
[ "$fails" -eq 0 ] || exit 1
echo "all ok"
