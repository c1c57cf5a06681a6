#!/usr/bin/env bash
# `make run`'s last step as a user meets it: `crmkit demo` prints how to serve its models and
# customer store; that printed command is run literally (in the folder the demo ran in) and
# must answer: /readyz, the dashboard's overview of the two-layer model (segment sizes that
# equal the labels' counts, the layer-1/layer-2 tree), a segment's customer list and its CSV
# export, and one customer's page (segment id and name as in labels.csv, risk as in
# risk.csv). Also: the two-layer model's inputs in its metadata are the columns it reads.
set -u
. "$(dirname "$0")/lib.sh"
case $CRMKIT in /*) ;; *) CRMKIT=$PWD/$CRMKIT ;; esac
tmp=$(mktemp -d /tmp/crmkit-demo-serve-XXXXXX)
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$CRMKIT" demo --dir demo --rows 2000 --days 7 --seed 3 --port "$port" --quiet >demo.txt 2>demo.err ||
    { fail "crmkit demo: $(cat demo.err)"; exit 1; }
[ -s demo.err ] && fail "the demo warns: $(cat demo.err)"
# The command is the line after the "== serve" heading; the dashboard's address follows.
cmd=$(awk '/^== serve the demo/ { getline; print; exit }' demo.txt)
case $cmd in
"$CRMKIT serve --model demo/segments.crmk "*"--store demo/store.db --port $port") echo "ok: printed: $cmd" ;;
*) fail "printed serve command: $cmd"; exit 1 ;;
esac
[ "$(tail -n 1 demo.txt)" = "   then open the dashboard at http://127.0.0.1:$port/ (its data: http://127.0.0.1:$port/v1/dashboard)" ] ||
    fail "last line: $(tail -n 1 demo.txt)"
eval "exec $cmd --threads 2" >server.log 2>&1 &
SERVER_PID=$!
PORT=$port
wait_ready || { cat server.log; exit 1; }
check "/readyz" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")"
"$PY" - "$port" <<'PY' || fail "dashboard on the demo's output"
import csv, json, sys, urllib.parse, urllib.request
u = "http://127.0.0.1:%s" % sys.argv[1]
def get(path):
    return urllib.request.urlopen(u + path).read().decode()
labels = list(csv.DictReader(open("demo/labels.csv")))
risk = {r["subscriber_id"]: float(r["risk"]) for r in csv.DictReader(open("demo/risk.csv"))}
count = {}
for r in labels:
    count[int(r["segment_id"])] = count.get(int(r["segment_id"]), 0) + 1
name = {int(r["segment_id"]): r["segment"] for r in labels}
o = json.loads(get("/v1/dashboard"))
s = o["segmentation"]
assert s["kind"] == "twolayer", s["kind"]
assert [x["id"] for x in s["segments"]] == list(range(len(s["segments"]))), s["segments"]
assert {x["id"]: x["name"] for x in s["segments"] if x["id"] in name} == name, "segment names"
stored = {x["id"]: x["size"] for x in s["store_segments"] if x["size"] > 0}
assert stored == count, (stored, count)
assert len(s["features"]) == len(s["population"]["mean"]) and all(len(x["profile"]) == len(s["features"]) for x in s["segments"])
assert any(v is not None and abs(v) > 0.1 for x in s["segments"] for v in x["profile"]), "flat profiles"
tree = s["tree"]
assert [g["name"] for g in tree] == ["HighValue-HighVoice", "HighValue-LowVoice", "LowValue-HighVoice", "LowValue-LowVoice"], tree
assert sorted(i for g in tree for i in g["segments"]) == [x["id"] for x in s["segments"]], tree
assert sum(g["size"] for g in tree) == 2000, tree
assert o["store"]["customers"] == 2000 and o["gains"] is not None and o["baskets"] is not None
print("ok: overview: %d segments in %d groups, sizes equal labels.csv" % (len(s["segments"]), len(tree)))
# drill-down: the biggest segment's list, filtered, and its CSV export
seg = max(count, key=count.get)
page = json.loads(get("/v1/dashboard/customers?segment=%d&limit=5&sort=-risk" % seg))
assert page["total"] == count[seg], (page["total"], count[seg])
assert len(page["rows"]) == 5
ids = {r["subscriber_id"] for r in labels if int(r["segment_id"]) == seg}
body = get("/v1/dashboard/customers.csv?segment=%d" % seg)
got = {row[0] for row in list(csv.reader(body.splitlines()))[1:]}
assert got == ids, "CSV export of the segment"
print("ok: segment %s (%s): %d customers listed and exported" % (seg, name[seg], page["total"]))
# one customer's page
cid = labels[0]["subscriber_id"]
c = json.loads(get("/v1/customers/" + cid))
assert c["segment"] == {"id": int(labels[0]["segment_id"]), "name": labels[0]["segment"]}, c["segment"]
assert abs(c["churn_risk"] - risk[cid]) < 1e-12, c["churn_risk"]
assert c["record"]["subscriber_id"] == cid and "cdr_minutes_onnet" in c["record"]
d = json.loads(get("/v1/dashboard/customer/" + cid))
print("ok: customer %s: segment %s, risk %.4f; dashboard view keys %s" % (cid, c["segment"]["name"], c["churn_risk"], sorted(d)))
# the page by segment name
p2 = json.loads(get("/v1/segments/%s/customers?limit=1" % urllib.parse.quote(name[seg], safe="")))
assert p2["total"] == count[seg], p2
# the model's inputs: the columns the spec reads, from the model itself
meta = json.loads(get("/model/artifacts/metadata"))
feats = [f["name"] for f in meta["features"]]
assert feats[:2] == ["cdr_charge_total", "cdr_charge_voice"] and "cdr_data_mb" in feats and len(feats) == 10, feats
print("ok: two-layer inputs: %s" % feats)
page = get("/")
assert "<html" in page.lower(), page[:200]
print("ok: the dashboard page answers at /")
PY
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
check "server stops on SIGTERM" 0 $?
SERVER_PID=""
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
