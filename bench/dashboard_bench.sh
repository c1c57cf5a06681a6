#!/usr/bin/env bash
# The dashboard with a 1,000,000-customer store (issue: overview interactive in under 1 s, a
# drill-down page in under 100 ms): builds the store from generated customers, serves it,
# times the overview in headless Chromium (navigation to the page's ready mark, best of 5)
# and the drill-down requests the page makes (best and median of 15, curl, keep-alive off).
# Usage: bench/dashboard_bench.sh [ROWS] (default 1000000). Loopback only, bounded.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
K=${CRMKIT:-$root/build/crmkit}
rows=${1:-1000000}
work=${WORK:-$root/bench/out/dashboard}
mkdir -p "$work"
cd "$work"
if [ ! -s store.db ] || [ "$(cat rows 2>/dev/null)" != "$rows" ]; then
    echo "building a $rows-customer store in $work ..."
    "$K" gen customers --rows "$rows" --seed 3 -o c.csv --quiet
    "$K" segment c.csv --k 5 --tier-by revenue -o seg.crmk --labels labels.csv --quiet >/dev/null
    head -100001 c.csv >train.csv
    "$K" train train.csv --target churn --algo gbt -o churn.crmc --quiet >/dev/null
    "$K" predict churn.crmc c.csv --proba -o risk.csv >/dev/null
    "$K" gen vas --customers "$rows" --seed 3 -o vas.csv --quiet
    "$K" rules vas.csv --format vas --minsup 0.02 --minconf 0.3 --segments labels.csv -o rules.crmr >/dev/null
    /usr/bin/time -f "load: %e s, peak RSS %M KiB" "$K" load c.csv --labels labels.csv \
        --predictions risk.csv --services vas.csv -o store.db
    echo "$rows" >rows
fi
ls -l store.db | awk '{printf "store: %.0f MB\n", $5/1e6}'
"$K" serve --port 0 --model seg=seg.crmk --rules rules.crmr --store store.db >serve.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
for _ in $(seq 1 100); do
    port=$(sed -n 's|^crmkit serve: listening on http://[^:]*:\([0-9]*\)/$|\1|p' serve.log)
    [ -n "$port" ] && break
    sleep 0.1
done
U=http://127.0.0.1:$port
until [ "$(curl -s -o /dev/null -w '%{http_code}' $U/readyz)" = 200 ]; do sleep 0.1; done
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%F' '%H:%M) UTC"
time_url() { # NAME PATH: best and median of 15 requests, in ms
    local name=$1 path=$2
    for _ in $(seq 1 15); do curl -s -o /dev/null -w '%{time_total}\n' "$U$path"; done |
        sort -n | awk -v n="$name" '{t[NR]=$1*1000} END {printf "%-44s best %6.1f ms  median %6.1f ms\n", n, t[1], t[8]}'
}
time_url "overview data (/v1/dashboard)" "/v1/dashboard"
time_url "page 1, all customers" "/v1/dashboard/customers?segment=all&offset=0&limit=50"
time_url "page 1 of a segment" "/v1/dashboard/customers?segment=2&offset=0&limit=50"
time_url "segment, sorted by revenue desc" "/v1/dashboard/customers?segment=2&offset=0&limit=50&sort=-revenue"
time_url "segment, range filter" "/v1/dashboard/customers?segment=2&offset=0&limit=50&filter=tenure_days:100..900"
time_url "segment, filter + category + sort" "/v1/dashboard/customers?segment=2&offset=0&limit=50&filter=tenure_days:100..900&filter=region:=Capital|North&sort=-churn_risk"
time_url "page 200 of a segment" "/v1/dashboard/customers?segment=2&offset=10000&limit=50"
time_url "customer lookup" "/v1/customers/S0500000"
if [ -x /usr/bin/chromium ] && [ -d "$root/web/node_modules/playwright-core" ]; then
    (cd "$root/web" && BASE_URL=$U node test/overview_timing.mjs)
fi
