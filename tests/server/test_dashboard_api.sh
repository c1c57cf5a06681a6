#!/usr/bin/env bash
# The dashboard's customer pages and CSV exports against a straightforward reference: a
# Python computation over the same CSV files (filters, sort with missing values last and ties
# in file order, offsets, every customer or one segment), for many query combinations; and
# the errors for a bad filter, sort or segment.
set -u
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d /tmp/crmkit-dash-api-XXXXXX)
trap 'kill "$SERVER_PID" 2>/dev/null; rm -rf "$tmp"' EXIT
K=$CRMKIT
run() { "$@" >>"$tmp/pipeline.log" 2>&1 || { fail "$*"; cat "$tmp/pipeline.log"; exit 1; }; }
run "$K" gen customers --rows 3000 --seed 5 -o "$tmp/c.csv" --quiet
run "$K" segment "$tmp/c.csv" --k 4 --seed 2 -o "$tmp/seg.crmk" --labels "$tmp/labels.csv" --quiet
run "$K" train "$tmp/c.csv" --target churn --algo logreg -o "$tmp/churn.crmc" --quiet
run "$K" predict "$tmp/churn.crmc" "$tmp/c.csv" --proba -o "$tmp/risk.csv"
run "$K" load "$tmp/c.csv" --labels "$tmp/labels.csv" --predictions "$tmp/risk.csv" -o "$tmp/store.db"
start_server "$tmp/server.log" --model seg="$tmp/seg.crmk" --store "$tmp/store.db" --threads 2
wait_ready || exit 1
"$PY" - "$PORT" "$tmp" <<'PY'
import csv, json, math, sys, urllib.parse, urllib.request
port, tmp = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(f"{tmp}/c.csv")))
seg = {r["subscriber_id"]: int(r["segment"]) for r in csv.DictReader(open(f"{tmp}/labels.csv"))}
risk = {r["subscriber_id"]: float(r["risk"]) for r in csv.DictReader(open(f"{tmp}/risk.csv"))}
numeric = {k for k in rows[0] if all(r[k] == "" or r[k].replace(".", "", 1).replace("-", "", 1).isdigit() for r in rows)}
fails = 0
def num(r, col):
    if col in ("risk", "churn_risk"): return risk[r["subscriber_id"]]
    if col == "segment": return float(seg[r["subscriber_id"]])
    return float(r[col]) if r[col] != "" else None
def expect(segment, filters, sort):
    sel = [r for r in rows if segment == "all" or seg[r["subscriber_id"]] == int(segment)]
    for f in filters:
        col, spec = f.split(":", 1)
        if spec.startswith("="):
            vals = spec[1:].split("|")
            sel = [r for r in sel if r[col] in vals]
        else:
            lo, hi = spec.split("..")
            sel = [r for r in sel if num(r, col) is not None and (lo == "" or num(r, col) >= float(lo)) and (hi == "" or num(r, col) <= float(hi))]
    order = {r["subscriber_id"]: i for i, r in enumerate(rows)}
    if sort:
        desc = sort.startswith("-"); col = sort.lstrip("-")
        def key(r):
            if col in numeric or col in ("risk", "churn_risk", "segment"):
                v = num(r, col)
            else:
                v = r[col] if r[col] != "" else None
            return v
        have = [r for r in sel if key(r) is not None]
        miss = [r for r in sel if key(r) is None]
        have.sort(key=lambda r: order[r["subscriber_id"]])
        have.sort(key=key, reverse=desc)   # stable: ties keep file order
        miss.sort(key=lambda r: order[r["subscriber_id"]])
        sel = have + miss
    return [r["subscriber_id"] for r in sel]
def get(q):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/dashboard/customers?{q}").read().decode()
cases = [("all", [], None), ("1", [], None), ("all", [], "-revenue"), ("2", [], "tenure_days"),
         ("all", ["tenure_days:100..900"], None), ("0", ["region:=Capital|North"], "-churn_risk"),
         ("all", ["download_mb:5000.."], "download_mb"), ("2", ["monthly_bill:..60", "plan_type:=prepaid"], "-sms_count"),
         ("all", ["region:=Coast"], "region"), ("all", [], "subscriber_id"), ("all", [], "-plan_type"),
         ("1", ["churn_risk:0.2..0.5"], "-risk"), ("all", ["segment:1..2"], "segment")]
for segment, filters, sort in cases:
    want = expect(segment, filters, sort)
    for offset, limit in ((0, 50), (37, 20), (len(want) - 5 if len(want) > 5 else 0, 50)):
        q = urllib.parse.urlencode([("segment", segment), ("offset", offset), ("limit", limit)] +
                                   [("filter", f) for f in filters] + ([("sort", sort)] if sort else []))
        page = json.loads(get(q))
        got = [row[0] for row in page["rows"]]
        if page["total"] != len(want) or got != want[offset:offset + limit]:
            fails += 1
            print(f"FAIL: {q}: total {page['total']} (want {len(want)}), first {got[:3]} (want {want[offset:offset+3]})")
    q = urllib.parse.urlencode([("segment", segment)] + [("filter", f) for f in filters] + ([("sort", sort)] if sort else []))
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/dashboard/customers.csv?{q}").read().decode()
    ids = [r["subscriber_id"] for r in csv.DictReader(body.splitlines())]
    if ids != want:
        fails += 1
        print(f"FAIL: export {q}: {len(ids)} rows (want {len(want)})")
    else:
        print(f"ok: {segment} {filters} {sort}: {len(want)} customers, pages and export")
sys.exit(1 if fails else 0)
PY
[ $? -eq 0 ] || fail "pages against the reference"
U="http://127.0.0.1:$PORT/v1/dashboard/customers"
check "unknown filter column" 400 "$(curl -s -o "$tmp/e1" -w '%{http_code}' "$U?filter=nosuch:1..2")"
has "names the column" "$tmp/e1" 'no column \"nosuch\"'
check "range on a text column" 400 "$(curl -s -o "$tmp/e2" -w '%{http_code}' "$U?filter=region:1..2")"
has "says what a text column takes" "$tmp/e2" 'a text column takes COLUMN:=V1|V2'
check "bad bound" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$U?filter=revenue:abc..2")"
check "unknown sort" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$U?sort=-nosuch")"
check "bad segment" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$U?segment=x")"
check "limit too big" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$U?limit=5000")"
check "unknown customer" 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v1/dashboard/customer/NOPE")"
check "the page is served" 200 "$(curl -s -o "$tmp/index.html" -w '%{http_code}' "http://127.0.0.1:$PORT/")"
has "the dashboard's page" "$tmp/index.html" '<title>crmkit dashboard</title>'
stop_server
echo "$((fails == 0 ? 1 : 0)) passed, $fails failed"
[ "$fails" -eq 0 ]
