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

# the --json summary (profile: each segment's means and medians, dealt out by feature to the
# ranks) is the one of one process, but for the seconds
nosec() { sed 's/"[a-z_]*seconds":[0-9.e+-]*,//g' "$1"; }
"$CRMKIT" segment c.csv --k 5 --seed 3 -o mj.crmk --threads 1 --json --quiet >refj.txt ||
    fail "segment --json without mpirun"
grep -q '"median"' refj.txt || fail "segment --json: no profile medians"
for np in 2 4; do
    "${MPIRUN[@]}" -np $np "$CRMKIT" segment c.csv --k 5 --seed 3 -o mj.crmk --threads 1 \
        --json --quiet >j.txt 2>err.txt || fail "segment --json np $np: exit $?"
    if [ "$(nosec refj.txt)" = "$(nosec j.txt)" ]; then echo "ok: --json summary, np $np"
    else fail "--json summary, np $np: differs from one process"; fi
    rm -f m.crmk
done

# k-means of a given k under mpirun: each rank cleans only its own rows, so a missing value
# (imputation none) in the last rank's rows must still stop every rank with the message of
# one process, and no model
awk -F, 'NR == 1 || ($4 != "" && $17 != "")' c.csv |
    awk -F, 'NR == 8000 { $4 = "" } { print }' OFS=, >miss.csv
"$CRMKIT" segment miss.csv --features tenure_days,revenue --k 3 --impute none -o x.crmk \
    --quiet >/dev/null 2>want.txt && fail "miss.csv: no error without mpirun"
grep -q "missing value in row" want.txt || fail "miss.csv: $(cat want.txt)"
for np in 2 4; do
    "${MPIRUN[@]}" -np $np "$CRMKIT" segment miss.csv --features tenure_days,revenue --k 3 \
        --impute none -o x.crmk --quiet >/dev/null 2>got.txt && fail "miss.csv np $np: exit 0"
    if grep -qxF "$(cat want.txt)" got.txt; then echo "ok: missing value in a late row, np $np"
    else fail "miss.csv np $np: $(head -3 got.txt)"; fi
    [ ! -e x.crmk ] || fail "miss.csv np $np: a model was written"
done

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

# Each rank parses only its byte range, so column types, levels and ids must be decided over
# the whole file: "halfid" is unique within each half (an id to a rank that sees half) but
# repeats across halves (categorical); "mixed" is numbers in the first two thirds and 10 %
# words after (numeric to rank 0, categorical overall, its levels the numbers' texts); "plan"
# gains levels late in the file. The labels file names rows by the first id column ("cust").
awk 'BEGIN { print "halfid,x1,mixed,cust,plan,x2";
  for (i = 0; i < 3000; i++) {
    m = (i >= 2000 && i % 3 == 0) ? "none" : (i * 7) % 10;
    p = i < 2000 ? (i % 2 ? "A" : "B") : substr("CDA", i % 3 + 1, 1);
    printf "h%d,%.3f,%s,c%05d,%s,%.1f\n", i % 1500, (i * 37 % 101) / 7, m, i, p, (i * 53 % 89) * 1.5 } }' \
    >types.csv
"$CRMKIT" segment types.csv --features x1,x2,mixed,plan --k 3 --seed 2 -o reft.crmk \
    --labels reft.csv --quiet >/dev/null || fail "segment types.csv without mpirun"
head -c 5 reft.csv | grep -q "^cust," || fail "types.csv: the labels are not named by cust"
for np in 2 4; do
    "${MPIRUN[@]}" -np $np "$CRMKIT" segment types.csv --features x1,x2,mixed,plan --k 3 \
        --seed 2 -o m.crmk --labels l.csv --threads 1 --quiet >/dev/null 2>&1 ||
        fail "segment types.csv np $np: exit $?"
    same "types decided over the whole file: model, np $np" reft.crmk m.crmk
    same "types decided over the whole file: labels, np $np" reft.csv l.csv
    rm -f m.crmk l.csv
done
# a word in a numeric column (under 1 in 20) in the last part: the message of one process
awk -F, 'NR == 8000 { $5 = "n/a?" } { print }' OFS=, c.csv >word.csv
"$CRMKIT" segment word.csv --k 3 -o w.crmk --quiet >/dev/null 2>want.txt
[ -s want.txt ] || fail "word.csv: no error without mpirun"
for np in 2 4; do
    "${MPIRUN[@]}" -np $np "$CRMKIT" segment word.csv --k 3 -o w.crmk --quiet >/dev/null 2>got.txt
    grep -q "$(cat want.txt)" got.txt && echo "ok: word in the last part, np $np: $(cat want.txt)" ||
        fail "word.csv np $np: '$(cat got.txt)', want '$(cat want.txt)'"
    [ ! -e w.crmk ] || fail "word.csv np $np: a model was written"
done
# the numeric features are fitted one per rank in turn: a constant column fitted by rank 1
# fails the whole job with the message of one process
awk -F, '{ print $0 "," (NR == 1 ? "flat" : 7) }' c.csv >flat.csv
"$CRMKIT" segment flat.csv --features tenure_days,flat,upload_mb --k 3 -o f.crmk --quiet \
    >/dev/null 2>want.txt
grep -q "flat" want.txt || fail "flat.csv: no error naming the constant column without mpirun"
for np in 2 4; do
    "${MPIRUN[@]}" -np $np "$CRMKIT" segment flat.csv --features tenure_days,flat,upload_mb \
        --k 3 -o f.crmk --quiet >/dev/null 2>got.txt
    [ "$(head -n 1 got.txt)" = "$(cat want.txt)" ] && echo "ok: constant column, np $np: $(cat want.txt)" ||
        fail "flat.csv np $np: '$(cat got.txt)', want '$(cat want.txt)'"
done
# more ranks than lines: ranks with empty parts
head -n 9 c.csv >tiny8.csv
"$CRMKIT" segment tiny8.csv --k 2 -o ref8.crmk --labels ref8.csv --quiet >/dev/null ||
    fail "segment tiny8 without mpirun"
"${MPIRUN[@]}" -np 4 "$CRMKIT" segment tiny8.csv --k 2 -o m.crmk --labels l.csv --quiet \
    >/dev/null 2>&1 || fail "segment tiny8 np 4: exit $?"
same "segment of 8 rows, np 4: model" ref8.crmk m.crmk
same "segment of 8 rows, np 4: labels" ref8.csv l.csv
rm -f m.crmk l.csv

# assign: each rank labels its byte range; rank 0 writes the file in input order
"$CRMKIT" assign ref.crmk n.csv -o refn.csv --quiet >/dev/null || fail "assign without mpirun"
for np in 2 4; do
    "${MPIRUN[@]}" -np $np "$CRMKIT" assign ref.crmk n.csv -o a.csv --quiet >/dev/null 2>&1 ||
        fail "assign np $np: exit $?"
    same "assign labels, np $np" refn.csv a.csv
    rm -f a.csv
done
# more ranks than rows (3 rows, then blank lines): ranks with nothing to do, same labels
{ head -n 4 n.csv; printf '\n\n\n\n\n\n\n\n'; } >tiny.csv
"$CRMKIT" assign ref.crmk tiny.csv -o reft.csv --quiet >/dev/null || fail "assign tiny without mpirun"
"${MPIRUN[@]}" -np 4 "$CRMKIT" assign ref.crmk tiny.csv -o a.csv --quiet >/dev/null 2>&1 ||
    fail "assign tiny np 4: exit $?"
same "assign labels of 3 rows, np 4" reft.csv a.csv
rm -f a.csv
# a .gz input is read by rank 0 alone: same labels
gzip -c n.csv >n.csv.gz
"${MPIRUN[@]}" -np 2 "$CRMKIT" assign ref.crmk n.csv.gz -o a.csv --quiet >/dev/null 2>&1 ||
    fail "assign .gz np 2: exit $?"
same "assign labels of a .gz, np 2" refn.csv a.csv

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all mpi result checks passed"
