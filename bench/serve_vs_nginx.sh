#!/usr/bin/env bash
# crmkit serve under load (wrk, keep-alive, loopback only, bounded in time), in one run:
#   1. nginx returning a fixed 20-byte body (the ceiling of this machine's HTTP stack);
#   2. crmkit serve, one row per request: Acumos protobuf and Acumos JSON (req/s, p99, errors);
#   3. 10,000-row protobuf batches: rows scored a second;
#   4. the same segmentation in a Flask + scikit-learn app as Acumos' Python runner serves it;
#   5. customer lookups from a 1,000,000-customer store built by crmkit load.
# Usage: bench/serve_vs_nginx.sh [BUILD_DIR] [SECONDS per run] [CUSTOMERS]
# SECONDS defaults to 10; at about 15,000 req/s a run of 70 s passes 1,000,000 requests.
set -uo pipefail
BUILD=${1:-build}
SECS=${2:-10}
N_CUST=${3:-1000000}
CRMKIT=$BUILD/crmkit
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
THREADS=$(nproc)
export OMP_WAIT_POLICY=passive
for t in wrk curl; do command -v $t >/dev/null || { echo "SKIP: $t is not installed"; exit 0; }; done
tmp=$(mktemp -d /tmp/crmkit-bench-serve-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 400); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no answer from $1"; exit 1; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u '+%Y-%m-%d %H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)"
"$CRMKIT" demo --rows 20000 --seed 42 --quiet --dir "$tmp/demo" >/dev/null || exit 1
# A k-means segmentation of the demo's numeric columns (the demo's own model is two-layer),
# so that the scikit-learn reference fits the same kind of model with the same k.
K=6
"$CRMKIT" segment "$tmp/demo/customers.csv" --k $K --seed 1 --cap 1,99 --quiet \
    -o "$tmp/demo/kmeans.crmk" >/dev/null || exit 1

P=$(free_port)
"$CRMKIT" serve --model "$tmp/demo/kmeans.crmk" --port "$P" --threads "$THREADS" >"$tmp/serve.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$P/readyz"
curl -s "http://127.0.0.1:$P/model/artifacts/protobuf" >"$tmp/model.proto"
protoc --python_out="$tmp" -I"$tmp" "$tmp/model.proto" || exit 1
"$PY" - "$tmp" <<'PY'
import csv, json, sys
sys.path.insert(0, sys.argv[1])
import model_pb2
d = sys.argv[1]
feats = [f.name for f in model_pb2.DataFrame.DESCRIPTOR.fields]
rows = [r for r in csv.DictReader(open(d + "/demo/customers.csv")) if all(r[f] != "" for f in feats)]
one = model_pb2.DataFrame()
for f in feats:
    getattr(one, f).append(float(rows[0][f]))
open(d + "/one.pb", "wb").write(one.SerializeToString())
json.dump({f: [float(rows[0][f])] for f in feats}, open(d + "/one.json", "w"))
batch = model_pb2.DataFrame()
for f in feats:
    getattr(batch, f).extend(float(r[f]) for r in (rows * 2)[:10000])
open(d + "/batch.pb", "wb").write(batch.SerializeToString())
PY
lua() { # lua FILE BODY CONTENT_TYPE
    cat >"$1" <<LUA
local f = io.open("$2", "rb"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body
wrk.headers["Content-Type"] = "$3"; wrk.headers["Accept"] = "$3"
LUA
}
lua "$tmp/pb.lua" "$tmp/one.pb" application/vnd.google.protobuf
lua "$tmp/json.lua" "$tmp/one.json" application/json
lua "$tmp/batch.lua" "$tmp/batch.pb" application/vnd.google.protobuf
# bench NAME URL [wrk args...]: prints req/s, p99, requests, errors; sets RPS.
bench() {
    local name=$1 url=$2
    shift 2
    wrk -t1 -c16 -d"${SECS}s" --latency "$@" "$url" >"$tmp/wrk.txt" 2>&1
    RPS=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' "$tmp/wrk.txt")
    local p99 reqs non2xx sock
    p99=$(sed -n 's/^ *99% *\(.*\)/\1/p' "$tmp/wrk.txt")
    reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$tmp/wrk.txt")
    non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\)/\1/p' "$tmp/wrk.txt")
    sock=$(sed -n 's/^ *Socket errors: *\(.*\)/\1/p' "$tmp/wrk.txt")
    printf '%-34s %10s req/s  p99 %-8s %9s requests  non-2xx %s  socket errors: %s\n' \
        "$name" "$RPS" "$p99" "$reqs" "${non2xx:-0}" "${sock:-none}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
    NP=$(free_port)
    mkdir -p "$tmp/nginx"
    cat >"$tmp/nginx/nginx.conf" <<NGX
worker_processes $THREADS;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/b; proxy_temp_path $tmp/nginx/p; fastcgi_temp_path $tmp/nginx/f;
  uwsgi_temp_path $tmp/nginx/u; scgi_temp_path $tmp/nginx/s;
  keepalive_requests 100000000;
  server { listen 127.0.0.1:$NP; location / { default_type text/plain; return 200 "01234567890123456789"; } }
}
NGX
    /usr/sbin/nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" &
    pids+=($!)
    wait_http "http://127.0.0.1:$NP/"
    bench "nginx, fixed 20-byte body" "http://127.0.0.1:$NP/"
    NGINX=$RPS
else
    echo "nginx not installed: no ceiling measured"
    NGINX=0
fi
U="http://127.0.0.1:$P/model/methods/classify"
bench "crmkit, 1 row, protobuf" "$U" -s "$tmp/pb.lua"
PBR=$RPS
bench "crmkit, 1 row, JSON" "$U" -s "$tmp/json.lua"
JSR=$RPS
[ "$NGINX" != 0 ] && echo "ratio to nginx: protobuf $(ratio "$PBR" "$NGINX"), JSON $(ratio "$JSR" "$NGINX") (bar: 0.5)"
wrk -t1 -c"$THREADS" -d"${SECS}s" -s "$tmp/batch.lua" "$U" >"$tmp/wrk.txt" 2>&1
BR=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' "$tmp/wrk.txt")
echo "crmkit, 10,000-row protobuf batches: $BR req/s = $(awk -v r="$BR" 'BEGIN { printf "%.0f", r * 10000 }') rows/s (bar: 5,000,000)"

if "$PY" -c 'import flask, sklearn, pandas' 2>/dev/null; then
    FP=$(free_port)
    "$PY" "$HERE/serve_flask_ref.py" "$tmp/demo/customers.csv" "$K" "$FP" "$tmp" >"$tmp/flask.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$FP/" && break; sleep 0.1; done
    bench "Flask + scikit-learn, 1 row, pb" "http://127.0.0.1:$FP/model/methods/classify" -s "$tmp/pb.lua"
    echo "crmkit / Flask: $(ratio "$PBR" "$RPS")x (bar: 20x)"
else
    echo "python3-flask, scikit-learn or pandas missing: no Flask reference"
fi

# Customer lookups from a store of N_CUST customers.
"$CRMKIT" gen customers --rows "$N_CUST" --seed 1 -o "$tmp/cust.csv" >/dev/null || exit 1
/usr/bin/time -f "%e s wall, %U s user + %S s system" -o "$tmp/load.time" "$CRMKIT" load "$tmp/cust.csv" -o "$tmp/store.db" >/dev/null || exit 1
echo "crmkit load of $N_CUST customers: $(cat "$tmp/load.time") (whole command: read CSV, write SQLite, index)"
SP=$(free_port)
"$CRMKIT" serve --model "$tmp/demo/kmeans.crmk" --store "$tmp/store.db" --port "$SP" --threads "$THREADS" >"$tmp/serve2.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$SP/readyz"
cat >"$tmp/lookup.lua" <<LUA
math.randomseed(7)
request = function()
  return wrk.format("GET", string.format("/v1/customers/S%07d", math.random(1, $N_CUST)))
end
LUA
bench "crmkit, customer lookups" "http://127.0.0.1:$SP/" -s "$tmp/lookup.lua"
echo "lookups/s: $RPS (bar: 20,000)"
