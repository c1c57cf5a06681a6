#!/usr/bin/env bash
# Progress bars on the commands that can run for seconds (gen, rules, predict, recommend
# --baskets): drawn on a terminal, silenced by --quiet, never drawn into a file or pipe.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
case $CRMKIT in /*) ;; *) CRMKIT=$PWD/$CRMKIT ;; esac
if ! command -v script >/dev/null; then echo "SKIP: script(1) is needed for a terminal"; exit 0; fi
tmp=$(mktemp -d /tmp/crmkit-progress-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# on_tty NAME ARGS...: run crmkit ARGS on a pseudo-terminal; the bar is a line starting "\r".
on_tty() { script -qec "$(printf '%q ' "$CRMKIT" "$@")" /dev/null >tty.txt 2>&1 </dev/null; }
bar() { # bar NAME ARGS...: a bar with the defaults, none with --quiet, none into a file
    local name=$1
    shift
    on_tty "$@" || fail "$name: exit $?"
    grep -q $'\r.*%' tty.txt || fail "$name: no progress bar on a terminal"
    on_tty "$@" --quiet || fail "$name --quiet: exit $?"
    grep -q $'\r.*%' tty.txt && fail "$name --quiet: a bar was drawn"
    "$CRMKIT" "$@" 2>err.txt >/dev/null || fail "$name: exit $?"
    [ -s err.txt ] && grep -q '%' err.txt && fail "$name: a bar was written to a file"
}
"$CRMKIT" gen customers --rows 40000 -o c.csv --quiet || fail "gen"
"$CRMKIT" train c.csv --target churn --drop subscriber_id --algo logreg -o m.crmc --quiet >/dev/null || fail "train"
bar "gen customers" gen customers --rows 40000 -o c2.csv
bar "gen vas" gen vas --customers 40000 -o v.csv
bar "rules" rules v.csv --format vas --minsup 0.01 -o r.crmr
# baskets: the successful rows, four times over (enough bytes for the reader to report)
{ echo customer,item; for i in 1 2 3 4; do awk -F, 'NR > 1 && $9 == "SUCCESS" { print $2 "," $4 }' v.csv; done; } >b.csv
bar "predict" predict m.crmc c.csv -o p.csv
bar "recommend --baskets" recommend r.crmr --baskets b.csv -o rec.csv
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
