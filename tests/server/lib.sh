# Shared by tests/server/test_*.sh: start `crmkit serve` on a free loopback port, wait for it,
# stop it. Not a test itself (no test_ prefix).
CRMKIT=${CRMKIT:-./build/crmkit}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { # check NAME EXPECTED ACTUAL
    if [ "$2" != "$3" ]; then fail "$1: got $3, expected $2"; else echo "ok: $1"; fi
}
has() { # has NAME FILE TEXT
    grep -qF -- "$3" "$2" || { fail "$1: no \"$3\" in $2"; sed 's/^/    /' "$2" | head -20; }
}
need() { # need TOOL...: skip the whole test (exit 0) with a reason when one is absent
    for t in "$@"; do
        if ! command -v "$t" >/dev/null 2>&1; then echo "SKIP: $t is not installed"; exit 0; fi
    done
}
if "$CRMKIT" serve --help 2>/dev/null | grep -q "^usage"; then :; else
    echo "SKIP: crmkit was built without the server"; exit 0
fi
need curl
# Debian's Python (python3-protobuf, python3-flask) even where another python3 comes first.
PY=${PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3

# start_server LOG ARGS...: sets SERVER_PID and PORT (the server picks a free port).
start_server() {
    local log=$1
    shift
    "$CRMKIT" serve --port 0 "$@" >"$log" 2>&1 &
    SERVER_PID=$!
    PORT=""
    for _ in $(seq 1 200); do
        PORT=$(sed -n 's|^crmkit serve: listening on http://[^:]*:\([0-9]*\)/$|\1|p' "$log")
        [ -n "$PORT" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$PORT" ] || { fail "server did not start"; cat "$log"; }
}
wait_ready() { # wait_ready: until /readyz says 200 (10 s at most)
    for _ in $(seq 1 200); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ] && return 0
        sleep 0.05
    done
    fail "server never became ready"
    return 1
}
stop_server() { # stop_server: SIGTERM, wait, report the exit status in STOP_CODE
    kill -TERM "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID"
    STOP_CODE=$?
}
# demo_models DIR: the demo's customers (customers_cdr.csv: with their call-record features,
# which the two-layer model reads), two-layer segment model (segments.crmk), churn
# classifier and rules (small), and a plain k-means segmentation of the numeric columns
# (plain.crmk, its training labels in plain_labels.csv).
demo_models() {
    "$CRMKIT" demo --rows 3000 --seed 7 --quiet --dir "$1" >"$1/demo.log" 2>&1 ||
        { fail "crmkit demo"; cat "$1/demo.log"; exit 1; }
    "$CRMKIT" segment "$1/customers.csv" --k 4 --seed 1 --quiet -o "$1/plain.crmk" \
        --labels "$1/plain_labels.csv" >/dev/null || { fail "crmkit segment"; exit 1; }
}
