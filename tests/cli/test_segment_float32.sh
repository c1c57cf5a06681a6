#!/usr/bin/env bash
# crmkit gen customers --features N (more usage columns, the others unchanged) and crmkit
# segment --float32 (the cleaned matrix stored as float32, sums in double): the same labels
# as float64 on well-separated data with the inertia within 1e-6 relative, the same bytes
# with 1 and 2 threads, the options it refuses, and the memory estimate naming it; float64
# with half the rows cleaned on demand against --keep-matrix.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
tmp=$(mktemp -d /tmp/crmkit-f32-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { # check NAME EXPECTED_CODE ACTUAL_CODE
    if [ "$2" != "$3" ]; then fail "$1: exit $3, expected $2"; else echo "ok: $1"; fi
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d[sys.argv[2]])" "$@"; }

# --features 20: six more columns after churn; the first 18 are the default file's, byte for byte
"$CRMKIT" gen customers --rows 2000 --seed 3 -o "$tmp/c14.csv" --quiet; check "gen default" 0 $?
"$CRMKIT" gen customers --rows 2000 --seed 3 --features 20 -o "$tmp/c20.csv" --quiet
check "gen --features 20" 0 $?
[ "$(head -n 1 "$tmp/c20.csv" | tr ',' '\n' | wc -l)" = 24 ] || fail "--features 20: not 24 columns"
head -n 1 "$tmp/c20.csv" | grep -q ",churn,roaming_min,intl_voice_min,data_sessions,video_mb,night_data_mb,topup_count$" ||
    fail "--features 20 header: $(head -n 1 "$tmp/c20.csv")"
cut -d, -f1-18 "$tmp/c20.csv" | cmp -s - "$tmp/c14.csv" || fail "--features 20 changed the other columns"
"$CRMKIT" gen customers --rows 10 --features 13 -o "$tmp/x.csv" 2>/dev/null; check "--features 13" 64 $?
"$CRMKIT" gen customers --rows 10 --features 25 -o "$tmp/x.csv" 2>/dev/null; check "--features 25" 64 $?

# --float32: 1 and 2 threads give the same labels and inertia, and it says its storage
for t in 1 2; do
    "$CRMKIT" segment "$tmp/c20.csv" -o "$tmp/m$t.crmk" --k 4 --float32 --threads $t --json --quiet \
        --labels "$tmp/l$t.csv" >"$tmp/j$t.json"
    check "segment --float32 --threads $t" 0 $?
done
cmp -s "$tmp/l1.csv" "$tmp/l2.csv" || fail "--float32: labels differ with 1 and 2 threads"
[ "$(json "$tmp/j1.json" inertia)" = "$(json "$tmp/j2.json" inertia)" ] || fail "--float32: inertia differs with 1 and 2 threads"
[ "$(json "$tmp/j1.json" storage)" = float32 ] || fail "--float32: storage $(json "$tmp/j1.json" storage)"
[ "$(json "$tmp/j1.json" features | tr -cd ',' | wc -c)" = 19 ] || fail "--float32: not 20 features"

# Well-separated blobs: float32 and float64 storage give the same labels, inertia within 1e-6
awk 'BEGIN { srand(5); print "id,a,b,c"; for (i = 0; i < 3000; i++) { g = i % 3;
     printf "%d,%.4f,%.4f,%.4f\n", i, 10*g + rand(), 20 - 7*g + rand(), 5*(g==1) + rand() } }' >"$tmp/blobs.csv"
"$CRMKIT" segment "$tmp/blobs.csv" -o "$tmp/b64.crmk" --k 3 --transform none --json --quiet \
    --labels "$tmp/b64.csv" >"$tmp/b64.json"; check "blobs float64" 0 $?
"$CRMKIT" segment "$tmp/blobs.csv" -o "$tmp/b32.crmk" --k 3 --transform none --float32 --json --quiet \
    --labels "$tmp/b32.csv" >"$tmp/b32.json"; check "blobs float32" 0 $?
cmp -s "$tmp/b64.csv" "$tmp/b32.csv" || fail "blobs: float32 labels differ from float64"
python3 - "$tmp/b64.json" "$tmp/b32.json" <<'PY' || fail "blobs: inertia not within 1e-6"
import json, sys
a = json.load(open(sys.argv[1]))["inertia"]; b = json.load(open(sys.argv[2]))["inertia"]
sys.exit(0 if abs(a - b) <= 1e-6 * a else 1)
PY
# the model assigns its own training rows to the labels it wrote
"$CRMKIT" assign "$tmp/b32.crmk" "$tmp/blobs.csv" -o "$tmp/a32.csv" --quiet; check "assign a float32 model" 0 $?
cmp -s <(cut -d, -f1,2 "$tmp/a32.csv") <(cut -d, -f1,2 "$tmp/b32.csv") || fail "assign differs from the training labels"

# refused with other algorithms, --init and --minibatch
"$CRMKIT" segment "$tmp/blobs.csv" -o "$tmp/x.crmk" --algo hier --k 3 --float32 2>"$tmp/err"
check "--float32 --algo hier" 64 $?
grep -q "float32 is for k-means" "$tmp/err" || fail "--float32 --algo hier: $(cat "$tmp/err")"
"$CRMKIT" segment "$tmp/blobs.csv" -o "$tmp/x.crmk" --minibatch --float32 2>/dev/null
check "--float32 --minibatch" 64 $?
[ ! -e "$tmp/x.crmk" ] || fail "a refused run left a model"

# the estimate: 100,000 rows x 24 columns do not fit 40 MiB in float64, do in float32 (with
# a sample: on a table this small, no sample means a double copy of every row for the fit)
"$CRMKIT" gen customers --rows 100000 --seed 3 --features 20 -o "$tmp/c100k.csv" --quiet
"$CRMKIT" segment "$tmp/c100k.csv" -o "$tmp/x.crmk" --k 4 --quiet --max-memory 40M 2>"$tmp/err"
check "float64 past --max-memory 40M" 71 $?
grep -q "need about 48 MiB (the table and its cleaned float64 matrix), more than the limit of 40 MiB.*With --float32 .* it needs about 29 MiB, which fits: add --float32" "$tmp/err" ||
    fail "estimate message: $(cat "$tmp/err")"
"$CRMKIT" segment "$tmp/c100k.csv" -o "$tmp/x.crmk" --k 4 --quiet --max-memory 40M --float32 --sample 10000 >/dev/null 2>"$tmp/err"
check "--float32 under --max-memory 40M" 0 $?

# float64 with a sample stores half the cleaned rows and cleans the rest on each pass;
# --keep-matrix stores them all: the same model and labels, 1 and 2 threads
for t in 1 2; do
    "$CRMKIT" segment "$tmp/c20.csv" --sample 1000 --seed 4 --threads $t -o "$tmp/h$t.crmk" \
        --labels "$tmp/hl$t.csv" --quiet >/dev/null
    check "segment --sample 1000 --threads $t" 0 $?
    "$CRMKIT" segment "$tmp/c20.csv" --sample 1000 --seed 4 --threads $t --keep-matrix \
        -o "$tmp/k$t.crmk" --labels "$tmp/kl$t.csv" --quiet >/dev/null
    check "segment --sample 1000 --keep-matrix --threads $t" 0 $?
    cmp -s "$tmp/h$t.crmk" "$tmp/k$t.crmk" && cmp -s "$tmp/hl$t.csv" "$tmp/kl$t.csv" ||
        fail "--keep-matrix changed the model or labels (threads $t)"
done
cmp -s "$tmp/k1.crmk" "$tmp/k2.crmk" || fail "--keep-matrix: the model differs with 1 and 2 threads"
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
