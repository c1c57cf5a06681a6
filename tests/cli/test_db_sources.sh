#!/usr/bin/env bash
# Tables read from SQLite (sqlite:FILE?table=...) and PostgreSQL (postgresql://...?table=...):
# the same rows give the same results as the CSV file they came from (segment labels and
# summary, predictions, CDR features, itemsets), NULL is a missing cell, REAL values keep every digit, text with
# commas, quotes and newlines survives; errors name the source (never its password) with
# the exit codes of files (66 missing, 64 bad source, 69 under mpirun) and leave no output.
# CSV outputs (labels, predictions) written into a table read back equal to the CSV files,
# typed columns, if_exists=replace/append/fail, and a failed write changes nothing.
# PostgreSQL runs a real server in a temporary folder (skipped when its programs are absent).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/cli_common.sh"
CRMKIT=${CRMKIT:-./build/crmkit}
case $CRMKIT in /*) ;; *) CRMKIT=$PWD/$CRMKIT ;; esac
bindir=$(cd "${CRM_BINARY_DIR:-$(dirname "$CRMKIT")}" && pwd)
config_h=$bindir/include/crmkit/config.h
tmp=$(mktemp -d /tmp/crmkit-db-XXXXXX)
pg_ctl_cmd=""
cleanup() {
    [ -n "$pg_ctl_cmd" ] && $pg_ctl_cmd stop -m immediate >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
if ! "$CRMKIT" load --help >/dev/null 2>&1; then
    echo "SKIP: crmkit-serve (SQLite) is not built"
    exit 0
fi
# the --json summary without what names the run (file names, times)
summary() { python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
for k in list(d):
    if k in ("model", "labels") or k.endswith("seconds"): del d[k]
print(json.dumps(d, sort_keys=True))' "$1"; }

"$CRMKIT" gen customers --rows 1500 --seed 11 -o c.csv --quiet >/dev/null || fail "gen"
# the same rows in SQLite: integers, REALs, text, empty cells as NULL
python3 - <<'PY' || fail "making c.db"
import csv, sqlite3
rows = list(csv.reader(open("c.csv")))
def value(v):
    if v == "": return None
    for kind in (int, float):
        try: return kind(v)
        except ValueError: pass
    return v
con = sqlite3.connect("c.db")
con.execute("CREATE TABLE customers (%s)" % ",".join('"%s"' % h for h in rows[0]))
con.executemany("INSERT INTO customers VALUES (%s)" % ",".join("?" * len(rows[0])),
                [[value(v) for v in r] for r in rows[1:]])
# awkward values: 17 significant digits, NULLs, text with a comma, a quote and a newline
con.execute('CREATE TABLE odd ("id", "x", "note", "say ""hi""")')
con.executemany("INSERT INTO odd VALUES (?, ?, ?, ?)",
                [("a1", 0.1 + 0.2, "plain", 1), ("a2", -15.617897467035018, 'with "quote", comma', 2),
                 ("a3", None, "line\nbreak", 3), ("a4", 1e-300, None, 4)])
con.commit()
PY

"$CRMKIT" segment c.csv --k 4 --seed 3 -o f.crmk --labels f.csv --json >f.json || fail "segment c.csv"
"$CRMKIT" segment "sqlite:c.db?table=customers" --k 4 --seed 3 -o s.crmk --labels s.csv --json \
    >s.json 2>err.txt || fail "segment sqlite: $(cat err.txt)"
cmp -s f.csv s.csv && ok "sqlite: the same labels as the CSV" || fail "sqlite: labels differ"
[ "$(summary f.json)" = "$(summary s.json)" ] && ok "sqlite: the same summary and profile" ||
    fail "sqlite: summary differs"
"$CRMKIT" profile s.crmk --json | grep -q '"source":"sqlite:c.db?table=customers"' &&
    ok "the model names its source" || fail "the model does not name sqlite:c.db?table=customers"
"$CRMKIT" segment "sqlite:c.db?query=SELECT%20*%20FROM%20customers%20WHERE%20revenue%20%3E%20100" \
    --k 2 --json -o q.crmk >q.json 2>err.txt || fail "segment sqlite query: $(cat err.txt)"
want=$(python3 -c 'import csv; print(sum(1 for r in csv.DictReader(open("c.csv")) if r["revenue"] and float(r["revenue"]) > 100))')
got=$(python3 -c 'import json; print(json.load(open("q.json"))["rows"])')
[ "$want" = "$got" ] && ok "sqlite query: $got rows" || fail "sqlite query: $got rows, expected $want"
"$CRMKIT" train c.csv --target churn --algo c45 -o t.crmc >/dev/null 2>&1 || fail "train"
"$CRMKIT" predict t.crmc c.csv -o pf.csv >/dev/null 2>&1 || fail "predict c.csv"
"$CRMKIT" predict t.crmc "sqlite:c.db?table=customers" -o ps.csv >/dev/null 2>err.txt ||
    fail "predict sqlite: $(cat err.txt)"
cmp -s pf.csv ps.csv && ok "sqlite: the same predictions" || fail "sqlite: predictions differ"
# every value of the odd table read back exactly (profile medians of x; ids and notes kept)
"$CRMKIT" segment "sqlite:c.db?table=odd" --features x --k 1 -o o.crmk --labels o.csv --quiet \
    >/dev/null 2>err.txt || fail "segment odd: $(cat err.txt)"
[ "$(cut -d, -f1 o.csv | tr '\n' ' ')" = "id a1 a2 a3 a4 " ] && ok "odd table: 4 rows by id" ||
    fail "odd table labels: $(cat o.csv)"
"$CRMKIT" profile o.crmk --json | python3 -c 'import json, math, sys
d = json.load(sys.stdin)["profile"]["population"]["x"]
assert d["median"] == 1e-300, d
assert d["mean"] == math.fsum([0.1 + 0.2, -15.617897467035018, 1e-300]) / 3, d' &&
    ok "odd table: REALs exact, NULL missing" || fail "odd table values"

# call detail records and service baskets from the database: the same as from their files
"$CRMKIT" gen cdr --customers 30 --days 2 --seed 4 -o calls.csv >/dev/null 2>&1 || fail "gen cdr"
printf 'customer,service\nc1,A\nc1,B\nc2,A\nc2,B\nc3,A\nc3,C\nc4,B\nc4,C\n' >vas.csv
python3 - <<'PY' || fail "making calls.db"
import csv, sqlite3
con = sqlite3.connect("calls.db")
for name in ("calls", "vas"):
    rows = list(csv.reader(open(name + ".csv")))
    con.execute("CREATE TABLE %s (%s)" % (name, ",".join('"%s"' % h for h in rows[0])))
    con.executemany("INSERT INTO %s VALUES (%s)" % (name, ",".join("?" * len(rows[0]))), rows[1:])
con.commit()
PY
"$CRMKIT" cdr calls.csv -o cf.csv >/dev/null 2>&1 || fail "cdr calls.csv"
"$CRMKIT" cdr "sqlite:calls.db?table=calls" -o cs.csv >/dev/null 2>err.txt || fail "cdr sqlite: $(cat err.txt)"
cmp -s cf.csv cs.csv && ok "sqlite: the same CDR features" || fail "sqlite: CDR features differ"
"$CRMKIT" itemsets vas.csv --format long --minsup 0.5 --sorted -o if.txt >/dev/null 2>&1 || fail "itemsets vas.csv"
"$CRMKIT" itemsets "sqlite:calls.db?table=vas" --format long --minsup 0.5 --sorted -o is.txt \
    >/dev/null 2>err.txt || fail "itemsets sqlite: $(cat err.txt)"
cmp -s if.txt is.txt && [ -s if.txt ] && ok "sqlite: the same itemsets" || fail "sqlite: itemsets differ"
# ---- CSV outputs into SQLite tables ----
# same_rows FILE.csv DB TABLE: every cell of the table equals the file's (numbers exactly)
same_rows() { python3 - "$@" <<'PY'
import csv, sqlite3, sys
path, db, table = sys.argv[1:4]
want = list(csv.reader(open(path, newline="")))
con = sqlite3.connect(db)
cur = con.execute('SELECT * FROM "%s"' % table)
head = [d[0] for d in cur.description]
got = cur.fetchall()
assert head == want[0], (head, want[0])
assert len(got) == len(want) - 1, (len(got), len(want) - 1)
for w, g in zip(want[1:], got):
    for a, b in zip(w, g):
        if a == "":
            assert b is None, (w, g)
        elif isinstance(b, (int, float)) and not isinstance(b, bool):
            assert type(b)(a) == b and str(b) == a or float(a) == b, (w, g)
        else:
            assert a == b, (w, g)
PY
}
"$CRMKIT" segment c.csv --k 4 --seed 3 -o w.crmk --labels "sqlite:out.db?table=labels" --json \
    >w.json 2>err.txt || fail "labels into sqlite: $(cat err.txt)"
same_rows f.csv out.db labels && ok "sqlite output: the labels table equals the CSV labels" ||
    fail "sqlite output: labels table differs"
[ "$(summary f.json)" = "$(summary w.json)" ] && ok "sqlite output: the same summary" ||
    fail "sqlite output: summary differs"
python3 -c 'import sqlite3; print(sqlite3.connect("out.db").execute("SELECT group_concat(name || \" \" || type, \",\") FROM pragma_table_info(\"labels\")").fetchone()[0])' >types.txt
[ "$(cat types.txt)" = "subscriber_id TEXT,segment INTEGER,segment_name TEXT,outlier INTEGER" ] &&
    ok "sqlite output: typed columns" || fail "sqlite output: column types $(cat types.txt)"
"$CRMKIT" predict t.crmc c.csv --proba -o pf_proba.csv >/dev/null 2>&1 || fail "predict --proba"
"$CRMKIT" predict t.crmc "sqlite:c.db?table=customers" --proba -o "sqlite:out.db?table=preds" \
    >/dev/null 2>err.txt || fail "predictions into sqlite: $(cat err.txt)"
same_rows pf_proba.csv out.db preds && ok "sqlite output: probabilities stored exactly" ||
    fail "sqlite output: predictions differ"
# replace (the default) keeps the table's definition; append adds; fail refuses before work
python3 -c 'import sqlite3; c = sqlite3.connect("out.db"); c.execute("CREATE INDEX by_segment ON labels(segment)"); c.commit()'
"$CRMKIT" assign w.crmk c.csv -o "sqlite:out.db?table=labels" >/dev/null 2>err.txt ||
    fail "assign into sqlite: $(cat err.txt)"
"$CRMKIT" assign w.crmk c.csv -o "sqlite:out.db?table=labels&if_exists=append" >/dev/null \
    2>err.txt || fail "append into sqlite: $(cat err.txt)"
python3 -c 'import sqlite3; c = sqlite3.connect("out.db"); print(c.execute("SELECT count(*) FROM labels").fetchone()[0], c.execute("SELECT count(*) FROM sqlite_master WHERE name = \"by_segment\"").fetchone()[0])' >n.txt
[ "$(cat n.txt)" = "3000 1" ] && ok "sqlite output: replace keeps the index, append adds rows" ||
    fail "sqlite output: replace/append gave $(cat n.txt) (rows, index)"
expect "sqlite output: if_exists=fail" 74 "the table exists" -- "$CRMKIT" segment c.csv --k 2 \
    -o x.crmk --labels "sqlite:out.db?table=labels&if_exists=fail"
[ ! -e x.crmk ] && ok "if_exists=fail: refused before the model was written" || fail "x.crmk written"
# a write that fails half-way changes nothing (predictions do not fit the labels' columns)
expect "sqlite output: columns that do not fit" 74 "has no column named predicted" -- \
    "$CRMKIT" predict t.crmc c.csv -o "sqlite:out.db?table=labels&if_exists=append"
[ "$(python3 -c 'import sqlite3; print(sqlite3.connect("out.db").execute("SELECT count(*) FROM labels").fetchone()[0])')" = 3000 ] &&
    ok "sqlite output: a failed append changed nothing" || fail "sqlite output: rows changed by a failed append"
# the model and its labels are a set: labels refused by the database, no model either
expect "sqlite output: labels refused at the end" 74 "has no column named segment" -- \
    "$CRMKIT" segment c.csv --k 2 -o y.crmk --labels "sqlite:out.db?table=preds&if_exists=append"
[ ! -e y.crmk ] && ok "sqlite output: no model without its labels" || fail "y.crmk written without its labels"
# ids with leading zeros stay text; empty cells are NULL
printf 'customer_id,x,y\n0012,1.5,2\n0345,,4\n7,2.5,\n' >z.csv
"$CRMKIT" segment z.csv --k 1 --impute median --types customer_id:id -o z.crmk --labels z_labels.csv --quiet >/dev/null 2>&1 || fail "segment z.csv"
"$CRMKIT" cdr calls.csv -o "sqlite:out.db?table=features" >/dev/null 2>err.txt ||
    fail "cdr into sqlite: $(cat err.txt)"
same_rows cf.csv out.db features && ok "sqlite output: CDR features" || fail "sqlite output: CDR features differ"
"$CRMKIT" assign z.crmk z.csv --types customer_id:id -o "sqlite:out.db?table=z" >/dev/null 2>err.txt || fail "assign z: $(cat err.txt)"
[ "$(python3 -c 'import sqlite3; print(sqlite3.connect("out.db").execute("SELECT group_concat(typeof(customer_id) || \":\" || customer_id) FROM z").fetchone()[0])')" = "text:0012,text:0345,text:7" ] &&
    ok "sqlite output: zero-padded ids stay text" || fail "sqlite output: ids lost their zeros"
expect "sqlite output: a model is not CSV" 64 "only CSV outputs" -- "$CRMKIT" segment c.csv --k 2 \
    -o "sqlite:out.db?table=model"
expect "sqlite output: a query is no output" 64 "name the table to write" -- "$CRMKIT" assign \
    w.crmk c.csv -o "sqlite:out.db?query=SELECT+1"
expect "sqlite output: same table in and out" 64 "both an input and an output" -- "$CRMKIT" \
    assign w.crmk "sqlite:out.db?table=labels" -o "sqlite:out.db?table=labels"
expect "sqlite output: same table, appended" 64 "both an input and an output" -- "$CRMKIT" \
    assign w.crmk "sqlite:./out.db?table=labels" -o "sqlite:out.db?table=labels&if_exists=append"
expect "sqlite output: missing folder" 74 "nodir/o.db" -- "$CRMKIT" segment c.csv --k 2 -o x.crmk \
    --labels "sqlite:nodir/o.db?table=t"
expect "sqlite: no such table (cdr)" 66 "no such table: nosuch" -- "$CRMKIT" cdr "sqlite:calls.db?table=nosuch" -o x.csv
expect "sqlite: no such table" 66 "no such table: nosuch" -- "$CRMKIT" segment "sqlite:c.db?table=nosuch" --k 2 -o x.crmk
expect "sqlite: no such file" 66 "sqlite:none.db" -- "$CRMKIT" segment "sqlite:none.db?table=t" --k 2 -o x.crmk
expect "sqlite: no rows" 65 "the table or query gave no rows" -- "$CRMKIT" segment "sqlite:c.db?query=SELECT+*+FROM+customers+WHERE+0" --k 2 -o x.crmk
expect "sqlite: nothing named" 64 "table=NAME or ?query=SQL" -- "$CRMKIT" segment "sqlite:c.db" --k 2 -o x.crmk
expect "sqlite: broken escape" 64 "broken" -- "$CRMKIT" segment "sqlite:c.db?query=SELECT%2" --k 2 -o x.crmk
expect "sqlite: bad SQL" 66 "syntax error" -- "$CRMKIT" segment "sqlite:c.db?query=SELEC" --k 2 -o x.crmk
[ ! -e x.crmk ] && [ ! -e x.csv ] && ok "no output after a failed read" || fail "an output written after a failed read"
if command -v mpirun >/dev/null 2>&1 && grep -q "define CRM_HAVE_MPI 1" "$config_h" 2>/dev/null &&
    ! grep -q "^CRM_SANITIZE:BOOL=ON" "$bindir/CMakeCache.txt" 2>/dev/null; then
    expect "under mpirun" 69 "not read under mpirun" -- timeout 60 mpirun --oversubscribe \
        --allow-run-as-root -np 2 "$CRMKIT" segment "sqlite:c.db?table=customers" --k 2 -o x.crmk
fi
# a password never appears in a message (nothing listens on port 1)
expect "password hidden" 66 "crm:\*\*\*@127.0.0.1:1/db?password=\*\*\*&table=t" -- "$CRMKIT" segment \
    "postgresql://crm:s3cret@127.0.0.1:1/db?password=s3cret2&table=t&connect_timeout=2" --k 2 -o x.crmk
grep -q s3cret err.txt && fail "the password is in the message: $(cat err.txt)"

# ---- PostgreSQL: a real server in this folder ----
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ] || ! command -v psql >/dev/null 2>&1; then
    echo "SKIP: PostgreSQL tests (Debian: postgresql)"
elif ! grep -q "define CRM_HAVE_PQ 1" "$config_h" 2>/dev/null; then
    echo "SKIP: PostgreSQL tests (crmkit built without libpq)"
else
    as_pg=()
    if [ "$(id -u)" = 0 ]; then # the server refuses to run as root
        chown postgres "$tmp" && as_pg=(runuser -u postgres --)
    fi
    port=$((20000 + RANDOM % 20000))
    "${as_pg[@]}" "$pgbin/initdb" -D "$tmp/pg" -A trust -U crm -E UTF8 --no-sync >pg_init.txt 2>&1 ||
        fail "initdb: $(tail -3 pg_init.txt)"
    pg_ctl_cmd="${as_pg[*]} $pgbin/pg_ctl -D $tmp/pg"
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w -o \
        "-k $tmp -p $port -c listen_addresses= -c fsync=off" start >/dev/null 2>&1 ||
        fail "the PostgreSQL server did not start: $(tail -3 "$tmp/pg.log")"
    url="postgresql:///postgres?host=$tmp&port=$port&user=crm"
    cols=$(head -1 c.csv | python3 -c 'import sys
types = {"subscriber_id": "text", "region": "text", "plan_type": "text"}
print(", ".join("%s %s" % (c, types.get(c, "float8")) for c in sys.stdin.read().strip().split(",")))')
    psql -q "$url" -c "CREATE TABLE customers ($cols)" -c "\\copy customers FROM 'c.csv' CSV HEADER" \
        >/dev/null 2>err.txt || fail "loading PostgreSQL: $(cat err.txt)"
    "$CRMKIT" segment "$url&table=customers" --k 4 --seed 3 -o p.crmk --labels p.csv --json \
        >p.json 2>err.txt || fail "segment postgresql: $(cat err.txt)"
    cmp -s f.csv p.csv && ok "postgresql: the same labels as the CSV" || fail "postgresql: labels differ"
    [ "$(summary f.json)" = "$(summary p.json)" ] && ok "postgresql: the same summary and profile" ||
        fail "postgresql: summary differs"
    "$CRMKIT" predict t.crmc "$url&query=SELECT+*+FROM+public.customers" -o pp.csv >/dev/null \
        2>err.txt || fail "predict postgresql: $(cat err.txt)"
    cmp -s pf.csv pp.csv && ok "postgresql: the same predictions" || fail "postgresql: predictions differ"
    "$CRMKIT" segment "$url&table=public.customers" --k 4 --seed 3 -o p2.crmk --labels p2.csv --quiet \
        >/dev/null 2>err.txt && cmp -s f.csv p2.csv && ok "postgresql: schema.table" ||
        fail "postgresql: schema.table: $(cat err.txt)"
    expect "postgresql: no such table" 66 'relation "nosuch" does not exist' -- \
        "$CRMKIT" segment "$url&table=nosuch" --k 2 -o x.crmk
    expect "postgresql: an error in the query" 66 "division by zero" -- \
        "$CRMKIT" segment "$url&query=SELECT+1/0+AS+x" --k 2 -o x.crmk
    expect "postgresql: an unknown parameter" 66 'invalid URI query parameter: "bogus"' -- \
        "$CRMKIT" segment "$url&table=customers&bogus=1" --k 2 -o x.crmk
    # CSV outputs into PostgreSQL: a new typed table, then replace keeps its index, append
    # adds, a failed append changes nothing, fail refuses before work, a password never shows
    "$CRMKIT" segment "$url&table=customers" --k 4 --seed 3 -o pw.crmk --json \
        --labels "postgresql://crm:s3cret@/postgres?host=$tmp&port=$port&table=public.labels" \
        >pw.json 2>err.txt || fail "labels into postgresql: $(cat err.txt)"
    grep -q s3cret pw.json err.txt && fail "postgresql output: the password is shown"
    psql -q "$url" -c "\\copy (SELECT * FROM labels ORDER BY subscriber_id) TO 'pl.csv' CSV HEADER" \
        >/dev/null 2>err.txt || fail "reading labels back: $(cat err.txt)"
    cmp -s f.csv pl.csv && ok "postgresql output: the labels table equals the CSV labels" ||
        fail "postgresql output: labels differ"
    psql -At "$url" -c "SELECT string_agg(column_name || ' ' || data_type, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'labels'" >types.txt 2>&1
    [ "$(cat types.txt)" = "subscriber_id text,segment bigint,segment_name text,outlier bigint" ] &&
        ok "postgresql output: typed columns" || fail "postgresql output: types $(cat types.txt)"
    "$CRMKIT" predict t.crmc c.csv --proba -o "$url&table=preds" >/dev/null 2>err.txt ||
        fail "predictions into postgresql: $(cat err.txt)"
    psql -q "$url" -c "\\copy (SELECT * FROM preds ORDER BY subscriber_id) TO 'pq.csv' CSV HEADER" >/dev/null 2>&1
    python3 - <<'PY' && ok "postgresql output: probabilities stored exactly" || fail "postgresql output: predictions differ"
import csv
a = list(csv.reader(open("pf_proba.csv"))); b = list(csv.reader(open("pq.csv")))
assert a[0] == b[0] and len(a) == len(b), (a[0], b[0], len(a), len(b))
for x, y in zip(sorted(a[1:]), b[1:]):
    assert x[0] == y[0] and all(float(u) == float(v) for u, v in zip(x[1:], y[1:])), (x, y)
PY
    psql -q "$url" -c "CREATE INDEX by_segment ON labels(segment)" >/dev/null 2>&1
    "$CRMKIT" assign pw.crmk c.csv -o "$url&table=labels" >/dev/null 2>err.txt ||
        fail "assign into postgresql: $(cat err.txt)"
    "$CRMKIT" assign pw.crmk c.csv -o "$url&table=labels&if_exists=append" >/dev/null 2>err.txt ||
        fail "append into postgresql: $(cat err.txt)"
    got=$(psql -At "$url" -c "SELECT (SELECT count(*) FROM labels) || ' ' || (SELECT count(*) FROM pg_indexes WHERE indexname = 'by_segment')")
    [ "$got" = "3000 1" ] && ok "postgresql output: replace keeps the index, append adds rows" ||
        fail "postgresql output: replace/append gave $got (rows, index)"
    expect "postgresql output: columns that do not fit" 74 'column "predicted" of relation "labels" does not exist' -- \
        "$CRMKIT" predict t.crmc c.csv -o "$url&table=labels&if_exists=append"
    [ "$(psql -At "$url" -c 'SELECT count(*) FROM labels')" = 3000 ] &&
        ok "postgresql output: a failed append changed nothing" || fail "postgresql output: rows changed"
    expect "postgresql output: if_exists=fail" 74 "the table exists" -- "$CRMKIT" segment c.csv \
        --k 2 -o x.crmk --labels "$url&table=labels&if_exists=fail"
    [ ! -e x.crmk ] && ok "postgresql output: refused before the work" || fail "x.crmk written"
    [ ! -e x.crmk ] && ok "no output after a failed read" || fail "x.crmk written after a failed read"
fi
[ "$fails" = 0 ] && echo "all database source checks passed"
exit $((fails > 0))
