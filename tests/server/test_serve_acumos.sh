#!/usr/bin/env bash
# crmkit serve, Acumos side: a client generated with protoc from the served .proto gets the
# segments of `crmkit assign` from /model/methods/classify (protobuf and JSON) and /classify;
# MLflow /invocations and /v1 agree too; bad requests get 400/415 with a JSON error.
set -u
. "$(dirname "$0")/lib.sh"
need protoc
"$PY" -c 'import google.protobuf' 2>/dev/null || { echo "SKIP: python3-protobuf is not installed"; exit 0; }
tmp=$(mktemp -d /tmp/crmkit-serve-acumos-XXXXXX)
trap 'kill "$SERVER_PID" 2>/dev/null; rm -rf "$tmp"' EXIT
demo_models "$tmp"
# 300 customers without missing values (the server refuses missing values with a 400), with
# the features the demo made from their call records (the two-layer model reads those).
{ head -1 "$tmp/customers_cdr.csv"; tail -n +2 "$tmp/customers_cdr.csv" | grep -v ',,' | grep -v ',$' | head -300; } >"$tmp/sample.csv"
"$CRMKIT" assign "$tmp/plain.crmk" "$tmp/sample.csv" -o "$tmp/labels.csv" >/dev/null
check "crmkit assign" 0 $?
"$CRMKIT" predict "$tmp/churn.crmc" "$tmp/sample.csv" --proba -o "$tmp/pred.csv" --quiet
check "crmkit predict" 0 $?

"$CRMKIT" assign "$tmp/segments.crmk" "$tmp/sample.csv" -o "$tmp/tl_labels.csv" >/dev/null
check "crmkit assign (two-layer)" 0 $?
start_server "$tmp/server.log" --model segments="$tmp/plain.crmk" --model churn="$tmp/churn.crmc" \
    --rules "$tmp/rules.crmr" --model tl="$tmp/segments.crmk" --threads 2
wait_ready
"$PY" "$(dirname "$0")/acumos_client.py" "$PORT" "$tmp" "$tmp/sample.csv" "$tmp/labels.csv" \
    "$tmp/pred.csv"
check "client checks" 0 $?
# The demo's two-layer model: /v1/segment names the segments as crmkit assign does.
"$PY" - "$tmp/sample.csv" "$PORT" "$tmp/tl_labels.csv" <<'PY' && echo "ok: two-layer segments of crmkit assign" || fail "two-layer segments"
import csv, json, sys, urllib.request
rows = list(csv.DictReader(open(sys.argv[1])))
u = "http://127.0.0.1:%s" % sys.argv[2]
meta = json.load(urllib.request.urlopen(u + "/models/tl/model/artifacts/metadata"))
body = {"rows": [{f["name"]: (float(r[f["name"]]) if f["type"] == "double" else r[f["name"]])
                  for f in meta["features"]} for r in rows]}
req = urllib.request.Request(u + "/models/tl/v1/segment", json.dumps(body).encode())
got = [x["name"] for x in json.load(urllib.request.urlopen(req))["results"]]
want = [r["segment"] for r in csv.DictReader(open(sys.argv[3]))]
print("two-layer: %d rows, %d agree" % (len(want), sum(a == b for a, b in zip(got, want))))
sys.exit(0 if got == want and len(want) > 0 else 1)
PY
stop_server
check "SIGTERM: exit 0" 0 "$STOP_CODE"
has "stop is logged" "$tmp/server.log" "stopped"

# A model segmented without scaling takes the same rows as raw or as ?scaled=1 input.
"$CRMKIT" segment "$tmp/customers.csv" --k 4 --scale none --transform none --seed 1 --quiet -o "$tmp/raw.crmk" >/dev/null
check "segment --scale none" 0 $?
start_server "$tmp/server2.log" --model "$tmp/raw.crmk" --threads 1
wait_ready
body=$("$PY" - "$tmp/sample.csv" "$tmp" "$PORT" <<'PY'
import csv, json, sys, urllib.request
rows = list(csv.DictReader(open(sys.argv[1])))
meta = json.load(urllib.request.urlopen("http://127.0.0.1:%s/model/artifacts/metadata" % sys.argv[3]))
feats = [f["name"] for f in meta["features"]]
print(json.dumps({"rows": [{n: float(r[n]) for n in feats} for r in rows]}))
PY
)
a=$(curl -s -XPOST "http://127.0.0.1:$PORT/v1/segment" -d "$body" | sed 's/"version":"[^"]*"//')
b=$(curl -s -XPOST "http://127.0.0.1:$PORT/v1/segment?scaled=1" -d "$body" | sed 's/"version":"[^"]*"//')
case "$a" in *'"results":[{"segment"'*) [ "$a" = "$b" ] ;; *) false ;; esac && echo "ok: ?scaled=1 equals raw input on an unscaled model" ||
    fail "?scaled=1 differs: ${a:0:200} / ${b:0:200}"
case "$a" in *'"results":[{"segment"'*) echo "ok: raw model answers" ;; *) fail "raw model: ${a:0:200}" ;; esac
stop_server
[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
