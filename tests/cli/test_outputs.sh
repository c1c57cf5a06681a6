#!/usr/bin/env bash
# What an output may replace and when: devices, FIFOs and symbolic links as -o targets, the
# mode of a replaced file and the umask of a new one, an input named as an output (refused
# before any work), a missing output folder found before the work, temporary files removed
# on SIGINT/SIGTERM/SIGHUP, standard output on a full device (exit 74 for every command).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/cli_common.sh"
after_expect() { no_temporaries "$1"; }
CRMKIT=${CRMKIT:-./build/crmkit}
case $CRMKIT in /*) ;; *) CRMKIT=$PWD/$CRMKIT ;; esac
tmp=$(mktemp -d /tmp/crmkit-outputs-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
no_temporaries() {
    if ls ./*.tmp.* >/dev/null 2>&1; then
        fail "$1: left a temporary file: $(ls ./*.tmp.*)"
        rm -f ./*.tmp.*
    fi
}

"$CRMKIT" gen customers --rows 300 --seed 3 -o c.csv --quiet >/dev/null || fail "gen"
"$CRMKIT" segment c.csv --k 3 -o m.crmk --quiet >/dev/null || fail "segment"
"$CRMKIT" train c.csv --target churn --algo nb -o m.crmc >/dev/null 2>&1 || fail "train"

# ---- a character device: written, never replaced by a regular file ----
if [ "$(id -u)" = 0 ] && mknod null c 1 3 2>/dev/null; then
    "$CRMKIT" assign m.crmk c.csv -o null >/dev/null 2>err.txt || fail "assign -o device: $(cat err.txt)"
    [ -c null ] && ok "character device kept" || fail "the device node was replaced: $(ls -l null)"
    "$CRMKIT" segment c.csv --k 3 -o m2.crmk --labels null --quiet >/dev/null 2>err.txt ||
        fail "segment --labels device: $(cat err.txt)"
    [ -c null ] && ok "device kept as --labels" || fail "the device node was replaced as --labels"
    rm -f null m2.crmk
else
    echo "skipped: character device test (needs root and mknod)"
fi

# ---- a FIFO: written in place ----
mkfifo pipe
cat pipe >from_pipe.csv &
reader=$!
"$CRMKIT" assign m.crmk c.csv -o pipe >/dev/null 2>err.txt || fail "assign -o FIFO: $(cat err.txt)"
if [ -p pipe ]; then
    ok "FIFO kept"
else
    fail "the FIFO was replaced"
    kill $reader 2>/dev/null
fi
wait $reader
[ "$(wc -l <from_pipe.csv)" = 301 ] && ok "labels came through the FIFO" ||
    fail "FIFO reader got $(wc -l <from_pipe.csv) lines"

# ---- /dev/stdout: the descriptor the shell set up, appending included ----
echo pre >appended.txt
"$CRMKIT" assign m.crmk c.csv -o /dev/stdout >>appended.txt 2>err.txt || fail "assign -o /dev/stdout: $(cat err.txt)"
[ "$(sed -n 1p appended.txt)" = pre ] && case "$(sed -n 2p appended.txt)" in subscriber_id,segment*) true ;; *) false ;; esac &&
    ok "-o /dev/stdout appends where the shell said" || fail "-o /dev/stdout: $(head -2 appended.txt)"
[ -L /dev/stdout ] || [ -c /dev/stdout ] || fail "/dev/stdout is no longer a link or device"

# ---- a symbolic link: its target replaced, the link kept ----
echo old >target.csv
ln -s target.csv link.csv
"$CRMKIT" assign m.crmk c.csv -o link.csv >/dev/null 2>err.txt || fail "assign -o link: $(cat err.txt)"
[ -L link.csv ] && [ "$(readlink link.csv)" = target.csv ] && ok "symbolic link kept" ||
    fail "the link was replaced"
[ "$(wc -l <target.csv)" = 301 ] && ok "link target replaced" || fail "link target not written"

# ---- modes: a 0600 file stays 0600; new files follow the umask ----
echo old >secret.csv
chmod 600 secret.csv
"$CRMKIT" assign m.crmk c.csv -o secret.csv >/dev/null 2>&1 || fail "assign -o secret.csv"
[ "$(stat -c %a secret.csv)" = 600 ] && ok "0600 kept" || fail "mode became $(stat -c %a secret.csv)"
(umask 077 && "$CRMKIT" segment c.csv --k 3 -o private.crmk --labels private.csv --quiet >/dev/null)
[ "$(stat -c %a private.crmk)" = 600 ] && [ "$(stat -c %a private.csv)" = 600 ] &&
    ok "umask 077 gives 0600" || fail "umask 077 gave $(stat -c %a private.crmk private.csv)"
(umask 002 && "$CRMKIT" gen customers --rows 5 -o shared.csv >/dev/null)
[ "$(stat -c %a shared.csv)" = 664 ] && ok "umask 002 gives 0664" ||
    fail "umask 002 gave $(stat -c %a shared.csv)"

# ---- a target name near NAME_MAX ----
long=$(printf 'x%.0s' $(seq 1 250)).csv
"$CRMKIT" assign m.crmk c.csv -o "$long" >/dev/null 2>err.txt && [ -s "$long" ] &&
    ok "255-byte output name" || fail "255-byte output name: $(cat err.txt)"
no_temporaries "long name"

# ---- an input named as an output: refused (64) before any work ----
cp c.csv keep.csv
ln -s c.csv alias.csv
expect "segment x.csv -o x.csv" 64 "both an input and an output" -- "$CRMKIT" segment c.csv --k 3 -o c.csv
expect "segment through a symlink" 64 "both an input and an output" -- "$CRMKIT" segment c.csv --k 3 -o alias.csv
expect "segment -o m --labels m" 64 "given for two outputs" -- "$CRMKIT" segment c.csv --k 3 -o new.x --labels new.x
expect "segment -o m --labels ./m" 64 "given for two outputs" -- "$CRMKIT" segment c.csv --k 3 -o new.x --labels ./new.x
expect "segment --init as output" 64 "both an input" -- "$CRMKIT" segment c.csv --k 3 -o m3.crmk --labels c.csv
expect "assign -o MODEL" 64 "both an input and an output" -- "$CRMKIT" assign m.crmk c.csv -o m.crmk
expect "assign -o DATA" 64 "both an input and an output" -- "$CRMKIT" assign m.crmk c.csv -o ./c.csv
expect "predict -o MODEL" 64 "both an input and an output" -- "$CRMKIT" predict m.crmc c.csv -o m.crmc
expect "train -o DATA" 64 "both an input and an output" -- "$CRMKIT" train c.csv --target churn -o c.csv
printf 'c1 A\nc1 B\nc2 A\n' >b.txt
expect "itemsets -o INPUT" 64 "both an input and an output" -- "$CRMKIT" itemsets b.txt --format long --minsup 0.5 -o b.txt
expect "rules -o INPUT" 64 "both an input and an output" -- "$CRMKIT" rules b.txt --format long --minsup 0.5 -o b.txt
expect "rules -o R --csv R" 64 "given for two outputs" -- "$CRMKIT" rules b.txt --format long --minsup 0.5 -o r.x --csv r.x
expect "gen vas -o --segments" 64 "both an input and an output" -- "$CRMKIT" gen vas --customers 5 --segments keep.csv -o keep.csv
cp m.crmk keep.crmk
expect "report -o MODEL" 64 "both an input and an output" -- "$CRMKIT" report m.crmk -o m.crmk
expect "report -o --data" 64 "both an input and an output" -- "$CRMKIT" report m.crmk --data c.csv -o c.csv
"$CRMKIT" gen cdr --customers 5 --days 1 --seed 1 -o calls.csv >/dev/null 2>&1 || fail "gen cdr"
cp calls.csv keep_calls.csv
expect "cdr -o INPUT" 64 "both an input and an output" -- "$CRMKIT" cdr calls.csv -o ./calls.csv
cmp -s calls.csv keep_calls.csv && cmp -s m.crmk keep.crmk && ok "cdr and report inputs untouched" ||
    fail "cdr or report changed its input"
if "$CRMKIT" load --help >/dev/null 2>&1; then
    expect "load -o CUSTOMERS" 64 "both an input and an output" -- "$CRMKIT" load c.csv -o c.csv
    expect "load -o --labels" 64 "both an input and an output" -- "$CRMKIT" load c.csv --labels keep.csv -o keep.csv
else
    echo "skipped: load -o INPUT (built without SQLite)"
fi
cmp -s c.csv keep.csv && ok "input untouched" || fail "the input was changed"
[ ! -e m3.crmk ] && [ ! -e new.x ] && [ ! -e r.x ] || fail "an output was written after a refusal"

# ---- the output folder is checked before the work ----
# the data file does not exist: a check after the work would report it (66), not the folder
expect "missing folder found first (segment)" 74 "nodir/m.crmk" -- "$CRMKIT" segment nosuch.csv --k 3 -o nodir/m.crmk
expect "missing folder found first (labels)" 74 "nodir/l.csv" -- "$CRMKIT" segment nosuch.csv --k 3 -o m4.crmk --labels nodir/l.csv
expect "missing folder found first (train)" 74 "nodir/m.crmc" -- "$CRMKIT" train nosuch.csv --target churn -o nodir/m.crmc
expect "a folder as output" 74 "Is a directory" -- "$CRMKIT" assign m.crmk c.csv -o .
if [ "$(id -u)" != 0 ]; then
    mkdir ro && chmod 555 ro
    expect "read-only folder" 74 "ro/m.crmk" -- "$CRMKIT" segment nosuch.csv --k 3 -o ro/m.crmk
else
    echo "skipped: read-only folder test (root writes anywhere)"
fi

# ---- signals: no temporary file left behind ----
# The labels go to a FIFO nobody reads, so segment blocks there with the model finished but
# held back (the pair is written as a set): its temporary file exists when the signal comes.
for sig in INT TERM HUP; do
    rm -f held; mkfifo held
    # (a background job of a script starts with SIGINT ignored; --default-signal undoes that)
    env --default-signal=INT "$CRMKIT" segment c.csv --k 3 -o sig.crmk --labels held --quiet \
        >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
        ls ./sig.crmk.tmp.* >/dev/null 2>&1 && break
        sleep 0.05
    done
    ls ./sig.crmk.tmp.* >/dev/null 2>&1 || fail "SIG$sig: no temporary model file appeared"
    kill -s "$sig" $pid
    wait $pid 2>/dev/null
    got=$?
    case $sig in INT) want=130 ;; TERM) want=143 ;; HUP) want=129 ;; esac
    [ "$got" = "$want" ] && ok "SIG$sig: died of the signal" || fail "SIG$sig: exit $got, expected $want"
    no_temporaries "SIG$sig"
    [ ! -e sig.crmk ] || fail "SIG$sig: a model without its labels was left"
done
rm -f held
# a large file killed while it is written
"$CRMKIT" gen customers --rows 1000000 -o bigger.csv >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
    ls ./bigger.csv.tmp.* >/dev/null 2>&1 && break
    sleep 0.05
done
kill -TERM $pid
wait $pid 2>/dev/null
[ $? = 143 ] && ok "SIGTERM during gen" || fail "gen was not killed by SIGTERM"
no_temporaries "SIGTERM during gen"
[ ! -e bigger.csv ] || fail "a partial bigger.csv was left"

# ---- two runs writing the same model and labels: the pair always comes from one run ----
"$CRMKIT" gen customers --rows 3000 --seed 4 -o pair.csv >/dev/null
mixed=0
for round in 1 2 3 4 5 6; do
    "$CRMKIT" segment pair.csv --k 2 --tier-by none -o pair.crmk --labels pair_l.csv --quiet >/dev/null 2>&1 &
    p1=$!
    "$CRMKIT" segment pair.csv --k 5 --tier-by none -o pair.crmk --labels pair_l.csv --quiet >/dev/null 2>&1 &
    p2=$!
    wait $p1 $p2
    k=$("$CRMKIT" profile pair.crmk --json | sed -n 's/.*"k":\([0-9]*\).*/\1/p' | head -n 1)
    seen=$(tail -n +2 pair_l.csv | cut -d, -f2 | sort -u | wc -l)
    [ "$k" = "$seen" ] || mixed=$((mixed + 1))
done
[ "$mixed" = 0 ] && ok "concurrent runs never mix a model with the other run's labels" ||
    fail "$mixed of 6 concurrent rounds left a model of one run with the labels of the other"
no_temporaries "concurrent runs"

# ---- standard output on a full device: exit 74 for every command ----
if [ -w /dev/full ]; then
    printf 'c1,A\nc1,B\nc2,A\nc2,B\nc3,A\n' >bk.txt
    "$CRMKIT" rules bk.txt --format long --minsup 0.4 --minconf 0.5 -o r.crmr >/dev/null ||
        fail "rules for /dev/full"
    "$CRMKIT" assign m.crmk c.csv -o l.csv >/dev/null || fail "assign for /dev/full"
    full() {
        local name=$1
        shift
        "$@" >/dev/full 2>err.txt
        local got=$?
        if [ "$got" = 74 ] && [ -s err.txt ]; then
            ok "/dev/full: $name"
        else
            fail "/dev/full: $name: exit $got ($(head -c 200 err.txt))"
        fi
    }
    full "help" "$CRMKIT" --help
    full "version" "$CRMKIT" --version
    full "gen customers" "$CRMKIT" gen customers --rows 20 -o -
    full "gen customers --json" "$CRMKIT" gen customers --rows 20 -o g.csv --json
    full "gen vas" "$CRMKIT" gen vas --customers 20 -o -
    full "segment" "$CRMKIT" segment c.csv --k 3 -o f.crmk --quiet
    full "assign" "$CRMKIT" assign m.crmk c.csv -o -
    full "validity" "$CRMKIT" validity c.csv --labels l.csv --model m.crmk
    full "profile" "$CRMKIT" profile m.crmk
    full "itemsets" "$CRMKIT" itemsets bk.txt --format long --minsup 0.4
    full "rules" "$CRMKIT" rules bk.txt --format long --minsup 0.4
    full "recommend" "$CRMKIT" recommend r.crmr --items A
    full "train" "$CRMKIT" train c.csv --target churn --algo nb
    full "predict" "$CRMKIT" predict m.crmc c.csv -o -
    full "evaluate" "$CRMKIT" evaluate m.crmc c.csv
    full "show" "$CRMKIT" show m.crmk
    full "demo" "$CRMKIT" demo --dir demo --rows 400 --quiet
    for cmd in gen segment assign validity profile itemsets rules recommend train predict \
        evaluate show demo; do
        full "$cmd --help" "$CRMKIT" $cmd --help
    done
else
    echo "skipped: /dev/full is not writable here"
fi

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all output checks passed"
