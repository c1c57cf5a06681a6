#!/bin/sh
# Exit status 69 ("the command's optional part was not built"), walked with the core-only
# build that `make test` makes for fuzzing (no LIBSVM, no server, no SQLite, no MPI): the
# release build has every part, so its own exit-code test cannot reach 69.
# usage: test_core_only_exit.sh CRMKIT
CRMKIT=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fails=0
expect69() { # NAME WORD -- command...: exit 69 and a message naming WORD, no output file
    name=$1 word=$2
    shift 3
    "$@" >out.txt 2>err.txt
    got=$?
    if [ "$got" != 69 ]; then
        echo "FAIL: $name: exit $got, expected 69: $(cat err.txt)"; fails=$((fails + 1))
    elif ! grep -qi "$word" err.txt; then
        echo "FAIL: $name: exit 69 without naming $word: $(cat err.txt)"; fails=$((fails + 1))
    elif [ -e never.out ]; then
        echo "FAIL: $name: an output file was written"; fails=$((fails + 1))
    else
        echo "ok: $name: 69, $(head -c 200 err.txt)"
    fi
}
"$CRMKIT" gen customers --rows 300 --seed 1 -o c.csv --quiet || { echo "FAIL: gen"; exit 1; }
expect69 "train --algo svm without LIBSVM" libsvm -- "$CRMKIT" train c.csv --target churn --algo svm -o never.out
expect69 "serve without the server's libraries" libmicrohttpd -- "$CRMKIT" serve --model never.crmk --port 0
expect69 "load without SQLite" sqlite -- "$CRMKIT" load c.csv -o never.out
exit $fails
