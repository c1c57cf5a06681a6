#!/usr/bin/env bash
# `segment --k auto` (the k sweep) gives a k marketing can use: 3..12 segments, none under 1%
# of the customers, on 100,000 generated customers (default features) and on the telco table;
# the k table is in --json with one chosen row; the labels carry segment_name and outlier.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
SRC=${CRM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d /tmp/crmkit-segauto-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# check NAME JSON: k in 3..12, every size >= 1% of rows, k_table with k = 3..12 and one chosen.
check() {
    python3 - "$1" "$2" <<'PY' || fail "$1"
import json, sys
name, path = sys.argv[1], sys.argv[2]
d = json.load(open(path))
k, sizes, rows = d["k"], d["sizes"], d["rows"]
assert 3 <= k <= 12, f"{name}: k = {k}"
assert len(sizes) == k and sum(sizes) == rows, f"{name}: sizes {sizes}"
assert min(sizes) >= 0.01 * rows, f"{name}: a segment of {min(sizes)} of {rows}"
t = d["k_table"]
assert [r["k"] for r in t] == list(range(3, 13)), f"{name}: table ks {[r['k'] for r in t]}"
chosen = [r for r in t if r["chosen"]]
assert len(chosen) == 1 and chosen[0]["segments"] == k, f"{name}: chosen {chosen}"
best = max(r["silhouette"] for r in t if r["silhouette"] is not None)
assert chosen[0]["silhouette"] == best, f"{name}: chosen silhouette is not the highest"
for r in t:
    for key in ("sse", "bic", "silhouette", "calinski_harabasz", "davies_bouldin"):
        assert isinstance(r[key], float), f"{name}: {key} = {r[key]!r}"
print(f"ok: {name}: k = {k}, smallest segment {min(sizes) / rows:.3f}")
PY
}

if ! command -v python3 >/dev/null; then echo "SKIP: python3 is needed to read the JSON"; exit 0; fi
"$CRMKIT" gen customers --rows 100000 --seed 3 -o "$tmp/c.csv" --quiet || fail "gen"
"$CRMKIT" segment "$tmp/c.csv" --k auto -o "$tmp/c.crmk" --labels "$tmp/l.csv" --json --quiet \
    >"$tmp/c.json" || fail "segment generated customers: exit $?"
check "100,000 generated customers" "$tmp/c.json"
head -n 1 "$tmp/l.csv" | grep -q '^subscriber_id,segment,segment_name,outlier$' || fail "labels header"
"$CRMKIT" segment "$SRC/tests/data/telco_churn.csv.gz" --k auto -o "$tmp/t.crmk" --json --quiet \
    >"$tmp/t.json" || fail "segment telco: exit $?"
check "telco table" "$tmp/t.json"
# The text output prints the table and marks the chosen k.
"$CRMKIT" segment "$SRC/tests/data/telco_churn.csv.gz" -o "$tmp/t2.crmk" --quiet >"$tmp/t.txt" || fail "segment text"
grep -q "<- chosen" "$tmp/t.txt" || fail "no k table in the text output"
# --min-share is checked.
"$CRMKIT" segment "$tmp/c.csv" -o "$tmp/x.crmk" --min-share 0.7 2>/dev/null
[ $? = 64 ] || fail "--min-share 0.7 is not a usage error"
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
