#!/usr/bin/env bash
# Bad input to segment, assign, profile and validity: each gives a non-zero exit, a message
# naming the file (and line, column or field), and leaves no output file behind.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/cli_common.sh"
after_expect() { # no output and no temporary file left behind
    for f in m.crmk l.csv a.csv; do
        [ ! -e "$f" ] || { fail "$1: left $f behind"; rm -f "$f"; }
    done
    ls ./*.tmp.* >/dev/null 2>&1 && { fail "$1: left a temporary file"; rm -f ./*.tmp.*; }
}
CRMKIT=${CRMKIT:-./build/crmkit}
tmp=$(mktemp -d /tmp/crmkit-segbad-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

seg() { "$CRMKIT" segment "$@" -o m.crmk --labels l.csv --quiet; }

# ---- the data file ----
expect "missing file" 66 "nope.csv" -- seg nope.csv --k 2
: >empty.csv
expect "empty file" 65 "empty.csv.*empty file" -- seg empty.csv --k 2
printf 'a,b\n' >header.csv
expect "header only" 65 "header.csv:2:.*no data rows" -- seg header.csv --k 2
printf 'a,b\n1,2\n3\n4,5\n' >ragged.csv
expect "ragged row" 65 'ragged.csv:3:2: field "b"' -- seg ragged.csv --k 2
{ echo "a,b"; for i in $(seq 1 40); do echo "$i,$((i % 3))"; done; echo "oops,1"; } >word.csv
expect "word in numeric column" 65 'word.csv:42:1: field "a": expected a number, got "oops"' -- seg word.csv --k 2
# A quote never closed is reported once the field passes the 1 MiB field limit, without
# reading (and holding) the rest of a large file; a small file says so at its end.
{ printf 'a,b\n1,2\n"3,4\n'; seq 1 400000 | sed 's/$/,1/'; } >openquote.csv
expect "unclosed quote, large file" 65 \
    'openquote.csv:3:1: field "a": quoted field longer than the limit of 1048576 bytes' -- seg openquote.csv --k 2
printf 'a,b\n1,2\n3,"4\n5,6\n' >openquote_small.csv
expect "unclosed quote, small file" 65 \
    'openquote_small.csv:3:2: field "b": quoted field is not closed before the end of the input' -- seg openquote_small.csv --k 2
if [ -x "$(dirname "$CRMKIT")/crmkit" ]; then
    { echo "caller,callee,start_time,duration,network,type,bytes,charge"
      echo 'S1,"X2,2024-01-01 00:00:00,5,onnet,voice,0,0.1'
      yes 'S1,X2,2024-01-01 00:00:00,5,onnet,voice,0,0.1' | head -n 400000; } >openquote_cdr.csv
    expect "cdr: unclosed quote, large file" 65 \
        'openquote_cdr.csv:2:2: field "callee": quoted field longer than the limit' -- \
        "$CRMKIT" cdr openquote_cdr.csv -o a.csv --quiet
fi
printf 'a,b\n1,2\ninf,3\n2,1\n' >inf.csv
expect "infinite value" 65 'inf.csv:3:1: field "a"' -- seg inf.csv --k 2
printf 'a,b\n1,2\nNaN,3\n2,1\n5,5\n' >nan.csv
expect "NaN without imputation" 65 'nan.csv:3: field "a": missing value in row 2' -- seg nan.csv --k 2 --impute none
printf 'a,b,c\n1,,5\n2,,6\n3,,7\n' >allmissing.csv
expect "all-missing column" 65 'allmissing.csv: field "b": column is entirely missing' -- seg allmissing.csv --k 2
printf 'a,b\n1,5\n2,5\n3,5\n4,5\n' >const.csv
expect "constant column" 65 'const.csv: field "b": column is constant' -- seg const.csv --k 2
printf 'a,a\n1,2\n3,4\n' >dup.csv
expect "duplicate column names" 65 'dup.csv:1:2: field "a": duplicate column name' -- seg dup.csv --k 2
printf 'a,b\n1,2\n3,4\n5,7\n' >ok.csv
echo Gold >names.txt
expect "unknown feature" 66 'ok.csv: field "arpu": no column named "arpu"' -- seg ok.csv --k 2 --features a,arpu
printf 'a,b\n1,2\n1,2\n3,4\n3,4\n5,6\n' >dupes.csv
expect "k above distinct rows" 65 "dupes.csv: k = 4 but the data has only 3 distinct rows" -- seg dupes.csv --k 4
expect "k above rows" 65 "dupes.csv: k = 9 is larger than the number of rows" -- seg dupes.csv --k 9
expect "k = 0" 64 "k must be at least 1" -- seg ok.csv --k 0
expect "k = -3" 64 "k must be at least 1" -- seg ok.csv --k -3
expect "k not a number" 64 'got "many"' -- seg ok.csv --k many
expect "bad --cap" 64 "cap needs LOW,HIGH" -- seg ok.csv --k 2 --cap 99,1
expect "bad --scale" 64 "scale is zscore" -- seg ok.csv --k 2 --scale log
expect "no -o" 64 "model file is required" -- "$CRMKIT" segment ok.csv --k 2
expect "names file of the wrong length" 64 "names.txt: 1 segment names given for 2 segments" -- seg ok.csv --k 2 --tier-by none --names names.txt
expect "tier column absent" 66 'field "arpu"' -- seg ok.csv --k 2 --tier-by arpu
expect "output folder absent" 74 "no/dir/m.crmk" -- "$CRMKIT" segment ok.csv --k 2 -o no/dir/m.crmk

# ---- model files ----
{ echo "id,a,b"; for i in $(seq 1 30); do echo "c$i,$((i % 7)),$(((i * 5) % 11))"; done; } >train.csv
"$CRMKIT" segment train.csv --k 3 -o good.crmk --quiet >/dev/null || fail "could not make a model"
cp good.crmk v2.crmk
printf '\002' | dd of=v2.crmk bs=1 seek=8 conv=notrunc 2>/dev/null
expect "model of another version (assign)" 65 "v2.crmk: model file format version 2; this crmkit reads version 1" -- "$CRMKIT" assign v2.crmk train.csv -o a.csv
expect "model of another version (profile)" 65 "format version 2" -- "$CRMKIT" profile v2.crmk
head -c 200 good.crmk >cut.crmk
expect "truncated model" 65 "cut.crmk: truncated model file" -- "$CRMKIT" assign cut.crmk train.csv -o a.csv
cp good.crmk flip.crmk
printf 'X' | dd of=flip.crmk bs=1 seek=150 conv=notrunc 2>/dev/null
expect "corrupted model" 65 "flip.crmk: corrupt model file: checksum mismatch" -- "$CRMKIT" profile flip.crmk
expect "foreign file as model" 65 "train.csv: not a crmkit model file" -- "$CRMKIT" assign train.csv train.csv -o a.csv
expect "missing model" 66 "nope.crmk" -- "$CRMKIT" assign nope.crmk train.csv -o a.csv
printf 'id,a\nc1,3\n' >lacks.csv
expect "new data lacks a feature" 66 'lacks.csv: field "b": the model needs column "b"' -- "$CRMKIT" assign good.crmk lacks.csv -o a.csv
printf 'id,a,b\nc1,3,x\nc2,4,y\n' >texty.csv
expect "feature has another type" 65 'field "b": column is text here but was numeric' -- "$CRMKIT" assign good.crmk texty.csv -o a.csv

# ---- validity ----
printf 'id,segment\nc1,0\n' >short.csv
expect "labels for unknown rows" 65 'train.csv:3: field "id": no label for this customer in short.csv' -- "$CRMKIT" validity train.csv --labels short.csv
printf 'a,b\n1,2\n' >nolabel.csv
expect "labels without segment column" 65 'needs a numeric "segment" column' -- "$CRMKIT" validity train.csv --labels nolabel.csv
expect "validity needs --labels" 64 "labels file is required" -- "$CRMKIT" validity train.csv

echo "$fails failures"
[ "$fails" -eq 0 ]
