#!/usr/bin/env bash
# crmkit segment and assign under mpirun give byte-identical model and labels files for
# 1, 2 and 4 ranks x 1 and 2 threads, equal to a run without mpirun.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/mpi_common.sh"
tmp=$(mktemp -d /tmp/crmkit-mpires-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
# 9,000 rows: three blocks of 4,096 rows, so 2 and 4 ranks really split the passes
"$CRMKIT" gen customers -o c.csv --rows 9000 --seed 5 --quiet >/dev/null || exit 1
"$CRMKIT" gen customers -o n.csv --rows 5000 --seed 6 --quiet >/dev/null || exit 1

same() { # name file1 file2
    if cmp -s "$2" "$3"; then echo "ok: $1"; else fail "$1: $2 and $3 differ"; fi
}

"$CRMKIT" segment c.csv --k 5 --seed 3 -o ref.crmk --labels ref.csv --threads 1 --quiet \
    >/dev/null || fail "segment without mpirun"
for np in 1 2 4; do
    for th in 1 2; do
        "${MPIRUN[@]}" -np $np "$CRMKIT" segment c.csv --k 5 --seed 3 -o m.crmk --labels l.csv \
            --threads $th --quiet >out.txt 2>err.txt || fail "segment np $np threads $th: exit $?"
        same "segment --k 5 model, np $np threads $th" ref.crmk m.crmk
        same "segment --k 5 labels, np $np threads $th" ref.csv l.csv
        rm -f m.crmk l.csv
    done
done
# only rank 0 prints: one summary line
n=$(grep -c "customers of c.csv" out.txt)
[ "$n" = 1 ] && echo "ok: one summary from 4 ranks" || fail "summary printed $n times"

# k chosen by X-means
"$CRMKIT" segment c.csv --k auto -o refa.crmk --labels refa.csv --threads 2 --quiet >/dev/null ||
    fail "segment --k auto without mpirun"
for np in 2 4; do
    "${MPIRUN[@]}" -np $np "$CRMKIT" segment c.csv --k auto -o m.crmk --labels l.csv \
        --threads 1 --quiet >/dev/null 2>&1 || fail "segment --k auto np $np: exit $?"
    same "segment --k auto model, np $np" refa.crmk m.crmk
    same "segment --k auto labels, np $np" refa.csv l.csv
    rm -f m.crmk l.csv
done

# assign: each rank labels its byte range; rank 0 writes the file in input order
"$CRMKIT" assign ref.crmk n.csv -o refn.csv --quiet >/dev/null || fail "assign without mpirun"
for np in 2 4; do
    "${MPIRUN[@]}" -np $np "$CRMKIT" assign ref.crmk n.csv -o a.csv --quiet >/dev/null 2>&1 ||
        fail "assign np $np: exit $?"
    same "assign labels, np $np" refn.csv a.csv
    rm -f a.csv
done
# a .gz input is read by rank 0 alone: same labels
gzip -c n.csv >n.csv.gz
"${MPIRUN[@]}" -np 2 "$CRMKIT" assign ref.crmk n.csv.gz -o a.csv --quiet >/dev/null 2>&1 ||
    fail "assign .gz np 2: exit $?"
same "assign labels of a .gz, np 2" refn.csv a.csv

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all mpi result checks passed"
