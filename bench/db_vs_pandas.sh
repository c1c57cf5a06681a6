#!/usr/bin/env bash
# A customer table in PostgreSQL segmented and its labels written back into a table, as a
# data team runs it: `crmkit segment 'postgresql://...?table=customers' --labels
# 'postgresql://...?table=labels'` against pandas.read_sql + StandardScaler + KMeans (same k,
# one initialisation) + the labels written with COPY through psycopg2 (the fastest way
# pandas' documentation gives; to_sql's default INSERTs are much slower). Both sides read
# the same table from the same server and write a new table each round.
#
# A PostgreSQL server is started in a temporary folder (Debian: postgresql); the table is
# `crmkit gen customers --rows ROWS --seed 1` written with crmkit itself. ROUNDS interleaved
# rounds (crmkit, reference); medians of wall and CPU seconds (user + system of the client
# process; the server's work is on both sides alike) and the ratio reference / crmkit.
# Threads: OMP_NUM_THREADS=THREADS for both (default 2). Needs python3-psycopg2,
# python3-sqlalchemy, python3-pandas, python3-sklearn (scripts/deps.sh --bench).
#   usage: flock /tmp/bench.lock bench/db_vs_pandas.sh [BUILD_DIR] [ROWS] [ROUNDS] [K]
set -euo pipefail
BUILD=${1:-build}
ROWS=${2:-1000000}
ROUNDS=${3:-3}
K=${4:-8}
THREADS=${THREADS:-2}
PY=/usr/bin/python3
CRMKIT=$(cd "$BUILD" && pwd)/crmkit
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "PostgreSQL server programs not found (Debian: postgresql)"; exit 1; }
tmp=$(mktemp -d /tmp/crmkit-dbbench-XXXXXX)
as_pg=()
if [ "$(id -u)" = 0 ]; then # the server refuses to run as root
    chown postgres "$tmp" && as_pg=(runuser -u postgres --)
fi
cleanup() {
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/pg" stop -m immediate >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
port=$((20000 + RANDOM % 20000))
"${as_pg[@]}" "$pgbin/initdb" -D "$tmp/pg" -A trust -U crm -E UTF8 --no-sync >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w -o \
    "-k $tmp -p $port -c listen_addresses= -c fsync=off -c shared_buffers=512MB" start >/dev/null
url="postgresql:///postgres?host=$tmp&port=$port&user=crm"
"$CRMKIT" gen customers --rows "$ROWS" --seed 1 -o "$url&table=customers" --quiet >/dev/null
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}'); $ROWS customers, k $K, $THREADS threads, $ROUNDS rounds; $(date -u '+%F %H:%M') UTC"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

OMP_NUM_THREADS=$THREADS OMP_WAIT_POLICY=passive "$PY" - "$CRMKIT" "$tmp" "$port" "$ROUNDS" "$K" <<'PYEOF'
import json, os, resource, statistics, subprocess, sys, time
crmkit, tmp, port, rounds, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
url = "postgresql:///postgres?host=%s&port=%s&user=crm" % (tmp, port)
ref = r'''
import io, resource, sys, time
import numpy as np, pandas as pd, psycopg2, sqlalchemy
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler
tmp, port, k, table = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
t0, c0 = time.perf_counter(), cpu()
engine = sqlalchemy.create_engine("postgresql+psycopg2://crm@/postgres?host=%s&port=%s" % (tmp, port))
df = pd.read_sql("SELECT * FROM customers", engine)
t1 = time.perf_counter()
num = df.select_dtypes("number").drop(columns=["churn"], errors="ignore")
x = StandardScaler().fit_transform(num.fillna(num.median()).to_numpy())
labels = KMeans(n_clusters=k, n_init=1, random_state=1).fit(x).labels_
t2 = time.perf_counter()
out = pd.DataFrame({"subscriber_id": df["subscriber_id"], "segment": labels})
con = psycopg2.connect(host=tmp, port=port, user="crm", dbname="postgres")
with con, con.cursor() as cur:
    cur.execute("DROP TABLE IF EXISTS %s; CREATE TABLE %s (subscriber_id text, segment bigint)" % (table, table))
    buf = io.StringIO()
    out.to_csv(buf, index=False, header=False)
    buf.seek(0)
    cur.copy_expert("COPY %s FROM STDIN WITH (FORMAT csv)" % table, buf)
t3 = time.perf_counter()
print("%f %f %f %f %f %d" % (t3 - t0, cpu() - c0, t1 - t0, t2 - t1, t3 - t2, len(out)))
'''
def run_crmkit(i):
    t0 = time.perf_counter(); r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([crmkit, "segment", url + "&table=customers", "--k", str(k), "--seed", "1",
                          "--n-init", "1", "-o", os.path.join(tmp, "m.crmk"),
                          "--labels", url + "&table=labels_crmkit_%d" % i, "--json"],
                         check=True, capture_output=True, text=True).stdout
    w = time.perf_counter() - t0; r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    d = json.loads(out)
    return w, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), d
def run_ref(i):
    out = subprocess.run([sys.executable, "-c", ref, tmp, port, str(k), "labels_ref_%d" % i],
                         check=True, capture_output=True, text=True).stdout.split()
    return [float(v) for v in out[:5]] + [int(out[5])]
cw, cc, rw, rc, stages = [], [], [], [], []
for i in range(rounds):
    w, c, d = run_crmkit(i)
    r = run_ref(i)
    cw.append(w); cc.append(c); rw.append(r[0]); rc.append(r[1]); stages.append(r[2:5])
    print("round %d: crmkit wall %.3f cpu %.3f (rows %d, load %.2f s, fit %.2f s) | reference wall %.3f cpu %.3f (read_sql %.2f, fit %.2f, write %.2f; %d rows) | load %.2f"
          % (i + 1, w, c, d.get("rows", 0), d.get("load_seconds", 0), d.get("seconds", 0), r[0], r[1], r[2], r[3], r[4], r[5], os.getloadavg()[0]))
m = statistics.median
print("median: crmkit wall %.3f s, CPU %.3f s; reference wall %.3f s, CPU %.3f s; ratio (reference / crmkit): wall %.2fx, CPU %.2fx"
      % (m(cw), m(cc), m(rw), m(rc), m(rw) / m(cw), m(rc) / m(cc)))
PYEOF
psql -At "$url" -c "SELECT 'labels tables: ' || string_agg(relname || ' ' || n_live_tup, ', ' ORDER BY relname) FROM pg_stat_user_tables WHERE relname LIKE 'labels%'"
