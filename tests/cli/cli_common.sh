# Shared by tests/cli/test_*.sh: counting failures, and expect for a command that must fail.
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# expect NAME CODE PATTERN -- command...: the command (stdout in out.txt, stderr in err.txt)
# exits CODE and its stderr matches PATTERN (grep; EXPECT_GREP=-F for a fixed string; an
# empty PATTERN matches anything). A test may define before_expect NAME (say, removing an
# output) and after_expect NAME CODE (say, no output file left behind); they run around it.
expect() {
    local name=$1 code=$2 pattern=$3
    shift 4
    if declare -F before_expect >/dev/null; then before_expect "$name"; fi
    "$@" >out.txt 2>err.txt
    local got=$?
    if [ "$got" != "$code" ]; then
        fail "$name: exit $got, expected $code ($(head -c 300 err.txt))"
    elif [ -n "$pattern" ] && ! grep -q ${EXPECT_GREP:-} -- "$pattern" err.txt; then
        fail "$name: message \"$(head -c 300 err.txt)\" does not match \"$pattern\""
    else
        ok "$name: $(head -n 1 err.txt)"
        if declare -F after_expect_ok >/dev/null; then after_expect_ok "$name" "$code"; fi
    fi
    if declare -F after_expect >/dev/null; then after_expect "$name" "$code"; fi
}

# expect_code CODE command...: the command exits CODE (output in $T/out and $T/err).
expect_code() {
    local want=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    local got=$?
    [ "$got" -eq "$want" ] || fail "exit $got (want $want): $* :: $(head -c 300 "$T/err")"
}
