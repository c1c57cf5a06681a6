#!/usr/bin/env bash
# The dashboard end to end in headless Chromium: a real `crmkit serve` on the models and store
# of a small pipeline, driven by web/test/e2e.mjs (playwright-core): every chart renders, a
# click on a pie segment filters the customer list, a customer opens with segment, risk and
# offers, and the CSV export holds exactly the filtered rows. Screenshots go to
# $CRM_BINARY_DIR/dashboard-shots (or $SHOTS).
set -u
. "$(dirname "$0")/lib.sh"
root=${CRM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
need node
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "SKIP: Chromium is not installed ($CHROMIUM)"; exit 0; }
[ -d "$root/web/node_modules/playwright-core" ] ||
    { echo "SKIP: web/node_modules lacks playwright-core (run make web where npm exists)"; exit 0; }
tmp=$(mktemp -d /tmp/crmkit-dash-XXXXXX)
trap 'kill "$SERVER_PID" 2>/dev/null; rm -rf "$tmp"' EXIT
K=$CRMKIT
run() { "$@" >>"$tmp/pipeline.log" 2>&1 || { fail "$*"; cat "$tmp/pipeline.log"; exit 1; }; }
run "$K" gen customers --rows 6000 --seed 11 -o "$tmp/c.csv" --quiet
run "$K" segment "$tmp/c.csv" --k 4 --tier-by revenue --seed 3 -o "$tmp/seg.crmk" --labels "$tmp/labels.csv" --quiet
run "$K" train "$tmp/c.csv" --target churn --algo gbt -o "$tmp/churn.crmc" --quiet
run "$K" predict "$tmp/churn.crmc" "$tmp/c.csv" --proba -o "$tmp/risk.csv"
run "$K" gen vas --customers 6000 --seed 11 -o "$tmp/vas.csv" --quiet
run "$K" rules "$tmp/vas.csv" --format vas --minsup 0.02 --minconf 0.3 --segments "$tmp/labels.csv" -o "$tmp/rules.crmr"
run "$K" recommend "$tmp/rules.crmr" --baskets "$tmp/vas.csv" --format vas --segments "$tmp/labels.csv" -o "$tmp/rec.csv"
run "$K" segment "$tmp/c.csv" --k 3 --seed 5 -o "$tmp/old.crmk" --labels "$tmp/old_labels.csv" --quiet
run "$K" load "$tmp/c.csv" --labels "$tmp/labels.csv" --predictions "$tmp/risk.csv" --recommendations "$tmp/rec.csv" \
    --previous-labels "$tmp/old_labels.csv" --services "$tmp/vas.csv" -o "$tmp/store.db"
start_server "$tmp/server.log" --model seg="$tmp/seg.crmk" --rules "$tmp/rules.crmr" --store "$tmp/store.db" --threads 2
wait_ready || exit 1
shots=${SHOTS:-${CRM_BINARY_DIR:-$tmp}/dashboard-shots}
mkdir -p "$shots"
( cd "$root/web" && BASE_URL="http://127.0.0.1:$PORT" CHROMIUM="$CHROMIUM" SHOTS="$shots" \
    timeout 120 node test/e2e.mjs ) 2>&1 | tee "$tmp/e2e.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "the browser test failed"
stop_server

# The same on the demo's output (make run): the two-layer model on its call-record features,
# served by the command the demo prints; the layer-1/layer-2 tree is drawn too.
case $K in /*) ;; *) K=$PWD/$K ;; esac
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
( cd "$tmp" && "$K" demo --dir demo --rows 3000 --seed 4 --port "$port" --quiet >demo.txt 2>&1 ) ||
    { fail "crmkit demo"; cat "$tmp/demo.txt"; }
cmd=$(awk '/^== serve the demo/ { getline; print; exit }' "$tmp/demo.txt")
[ -n "$cmd" ] || fail "the demo printed no serve command"
( cd "$tmp" && eval "exec $cmd --threads 2" ) >"$tmp/server2.log" 2>&1 &
SERVER_PID=$!
PORT=$port
wait_ready || exit 1
mkdir -p "$shots/twolayer"
( cd "$root/web" && BASE_URL="http://127.0.0.1:$PORT" CHROMIUM="$CHROMIUM" SHOTS="$shots/twolayer" \
    CHARTS=chart-sizes,chart-profile,chart-risk,chart-items,chart-tree timeout 120 node test/e2e.mjs ) 2>&1 |
    tee "$tmp/e2e2.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "the browser test on the demo's two-layer model failed"
stop_server
echo "$((fails == 0 ? 1 : 0)) passed, $fails failed"
[ "$fails" -eq 0 ]
