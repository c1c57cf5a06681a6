#!/usr/bin/env bash
# Failures under mpirun: a bad row in the part another rank reads stops every rank with the
# message a one-process run gives (file, line, column), a non-zero exit and no output file;
# a rank killed mid-run makes the job fail within a bounded time, leaving no output behind.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/mpi_common.sh"
tmp=$(mktemp -d /tmp/crmkit-mpifail-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
"$CRMKIT" gen customers -o c.csv --rows 3000 --seed 5 --quiet >/dev/null || exit 1
"$CRMKIT" segment c.csv --k 4 -o ref.crmk --quiet >/dev/null || exit 1
# line 2801 (a data row near the end: in the last rank's part for 2 and 4 ranks) gets a
# field too many; line 2601 of another copy a word in a numeric column
awk 'NR==2801{print $0",extra"; next}{print}' c.csv >bad.csv
awk -F, 'NR==2601{$5="abc"}{print}' OFS=, c.csv >word.csv

no_outputs() { # name
    for f in m.crmk l.csv a.csv; do
        [ ! -e "$f" ] || { fail "$1: left $f behind"; rm -f "$f"; }
    done
    if ls ./*.tmp.* >/dev/null 2>&1; then fail "$1: left a temporary file"; rm -f ./*.tmp.*; fi
}
# check NAME EXPECTED_MESSAGE_LINE -- command...
check() {
    local name=$1 want=$2
    shift 3
    "$@" >out.txt 2>err.txt
    local got=$?
    local msgs
    msgs=$(grep -c "^crmkit" err.txt)
    if [ "$got" = 0 ] || [ "$got" = 124 ]; then
        fail "$name: exit $got"
    elif ! grep -qxF -- "$want" err.txt; then
        fail "$name: \"$(grep '^crmkit' err.txt | head -n 2)\" is not \"$want\""
    elif [ "$msgs" != 1 ]; then
        fail "$name: $msgs messages (only rank 0 should speak)"
    else
        echo "ok: $name: exit $got: $want"
    fi
    no_outputs "$name"
}

"$CRMKIT" assign ref.crmk bad.csv -o a.csv --quiet 2>ref_err.txt
ref_code=$?
want=$(grep '^crmkit' ref_err.txt | head -n 1)
case $want in *"bad.csv:2801:19:"*) echo "ok: one process: $want" ;;
    *) fail "one process: unexpected message \"$want\"" ;; esac
[ "$ref_code" = 65 ] || fail "one process: exit $ref_code, expected 65"
for np in 2 4; do
    check "assign, ragged row, np $np" "$want" -- "${MPIRUN[@]}" -np $np "$CRMKIT" assign ref.crmk \
        bad.csv -o a.csv --quiet
done
check "segment, ragged row, np 2" "crmkit segment: ${want#crmkit assign: }" -- "${MPIRUN[@]}" -np 2 "$CRMKIT" segment bad.csv --k 4 \
    -o m.crmk --labels l.csv --quiet
check "assign, word in a numeric column, np 2" \
    'crmkit assign: word.csv:2601:5: field "upload_mb": expected a number, got "abc"' -- \
    "${MPIRUN[@]}" -np 2 "$CRMKIT" assign ref.crmk word.csv -o a.csv --quiet

# a quoted field spanning lines cannot be split by bytes: refused with its line
{ head -n 1 c.csv; sed -n '2,1500p' c.csv; sed -n '1501p' c.csv | sed 's/^\([^,]*\),/"\1\nx",/';
  sed -n '1502,$p' c.csv; } >quoted.csv
check "assign, quoted newline, np 2" \
    "crmkit assign: quoted.csv:1501: a quoted field spans lines, which a file split across ranks cannot have (run it without mpirun)" \
    -- "${MPIRUN[@]}" -np 2 "$CRMKIT" assign ref.crmk quoted.csv -o a.csv --quiet

# a rank killed with SIGKILL mid-run: the job ends, non-zero, within the timeout; rank 0's
# output in progress is deleted (mpirun sends it SIGTERM; its handler removes temporaries)
"$CRMKIT" gen customers -o big.csv --rows 150000 --seed 9 --quiet >/dev/null || exit 1
start=$(date +%s)
"${MPIRUN[@]}" -np 2 "$CRMKIT" segment big.csv --k 12 --n-init 50 --threads 1 \
    -o m.crmk --labels l.csv --quiet >out.txt 2>err.txt &
job=$!
victim=""
for _ in $(seq 1 100); do # the rank with OMPI_COMM_WORLD_RANK=1
    for p in $(pgrep -f "crmkit segment big.csv" 2>/dev/null); do
        if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1; then
            victim=$p
        fi
    done
    [ -n "$victim" ] && break
    sleep 0.1
done
if [ -z "$victim" ]; then
    fail "kill: rank 1 not found"
    wait $job
else
    sleep 1.5 # well into the fit
    kill -9 "$victim"
    wait $job
    got=$?
    took=$(($(date +%s) - start))
    if [ "$got" = 0 ] || [ "$got" = 124 ]; then
        fail "kill: exit $got after ${took}s"
    else
        echo "ok: kill -9 of rank 1: the job ended with exit $got after ${took}s"
    fi
    no_outputs "kill"
    sleep 0.5
    if pgrep -f "crmkit segment big.csv" >/dev/null; then fail "kill: a rank is still running"; fi
fi

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all mpi failure checks passed"
