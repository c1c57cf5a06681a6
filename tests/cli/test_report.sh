#!/usr/bin/env bash
# crmkit report: the demo writes report.html; `crmkit report` on the demo's three model files
# writes a page that references nothing outside itself, SVG files that are valid XML, and
# (when Chromium is installed) renders every chart with drawn elements of non-zero size.
# Bad input: usage errors, a missing or foreign model file, data without the model's features,
# and no partial output in any of those cases.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
tmp=$(mktemp -d /tmp/crmkit-report-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
run() { # run NAME CMD...: must exit 0
    local name=$1
    shift
    if "$@" >out.txt 2>err.txt; then echo "ok: $name"; else fail "$name: exit $? ($(head -c 300 err.txt))"; fi
}
expect_exit() { # expect_exit CODE NAME CMD...
    local want=$1 name=$2
    shift 2
    "$@" >out.txt 2>err.txt
    local got=$?
    [ "$got" = "$want" ] || fail "$name: exit $got, expected $want ($(head -c 300 err.txt))"
    [ "$got" = "$want" ] && echo "ok: $name (exit $got)"
}

"$CRMKIT" report --help >help.txt 2>&1 || fail "report --help exits non-zero"
grep -q "usage: crmkit report" help.txt || fail "report --help prints no usage"

# The demo writes report.html and says where.
run "demo" "$CRMKIT" demo --dir d --rows 3000 --seed 5 --quiet
grep -q "== report: d/report.html" out.txt || fail "demo does not print the report path: $(tail -n 3 out.txt)"
[ -s d/report.html ] || fail "demo wrote no report.html"

# The demo's model is a two-layer one; a plain segmentation with the elbow method beside it.
run "segment" "$CRMKIT" segment d/customers.csv --k auto --method elbow --kmax 8 --cap 1,99 \
    --seed 2 -o seg.crmk
# A hierarchical model (its dendrogram) and a comparison of clusterers on the data, last.
head -n 601 d/customers.csv >h.csv
run "segment hier" "$CRMKIT" segment h.csv --algo hier --k 4 -o hier.crmk --quiet
run "report" "$CRMKIT" report seg.crmk d/segments.crmk d/churn.crmc d/rules.crmr hier.crmk \
    --data d/customers.csv --compare kmeans,birch,dbscan -o r.html --svg-dir svg --json
cp out.txt rep.json
grep -q '"sections":6' rep.json || fail "report json: $(cat rep.json)"
for c in s5-dendrogram s6-k s6-cp s6-sp s6-db s6-dunn s6-silhouette s6-ch s6-seconds; do
    grep -q "\"$c\"" rep.json || fail "chart $c missing"
done
n_charts=$(grep -o '"s[0-9]-[a-z0-9-]*"' rep.json | wc -l)
[ "$n_charts" -ge 20 ] || fail "only $n_charts charts: $(cat rep.json)"
for c in s1-sizes s1-k-curve s1-pca s1-k-sse s1-k-bic s1-k-silhouette s1-profiles s1-profile-1 s2-tree s2-groups s2-group-profiles \
    s2-g1-sizes s2-g1-profiles s3-importance s3-roc s3-gains s3-lift s3-confusion s4-items \
    s4-items-by-set; do
    grep -q "\"$c\"" rep.json || fail "chart $c missing"
    [ -s "svg/$c.svg" ] || fail "svg/$c.svg not written"
done
[ "$(ls svg | wc -l)" = "$n_charts" ] || fail "$(ls svg | wc -l) SVG files for $n_charts charts"
[ "$(grep -o '<svg ' r.html | wc -l)" = "$n_charts" ] || fail "the page does not hold every chart"

# Self-contained: no URL, no src=, no link but to its own anchors, no script, no url().
if grep -Eqi 'https?:|src=|<script|<link|url\(|@import' r.html; then
    fail "the page references something outside itself: $(grep -Eoi '.{20}(https?:|src=|<script|<link|url\(|@import).{20}' r.html | head -n 3)"
fi
[ "$(grep -o 'href="[^"]*"' r.html | grep -vc 'href="#')" = 0 ] || fail "a link leaves the page"
grep -q "Segmentation: seg.crmk" r.html || fail "no segmentation section"
grep -q "Two-layer segmentation: d/segments.crmk" r.html || fail "no two-layer section"
grep -q "the average customer's" r.html || fail "no distinctive features in words"
grep -q "ROC AUC" r.html || fail "no classifier metrics"
grep -q "Rules over all customers" r.html || fail "no rules tables"

# SVG files are valid XML with the SVG namespace (and so is the HTML's structure of charts).
if command -v python3 >/dev/null 2>&1; then
    python3 - svg/*.svg >xml.txt 2>&1 <<'EOF' || fail "SVG files: $(head -c 400 xml.txt)"
import sys
import xml.etree.ElementTree as ET
for p in sys.argv[1:]:
    root = ET.parse(p).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg", (p, root.tag)
    assert float(root.get("width")) > 0 and float(root.get("height")) > 0, p
    assert len(list(root.iter())) > 5, p
print("ok", len(sys.argv) - 1)
EOF
    echo "ok: SVG files are valid XML ($(cat xml.txt))"
else
    echo "skip: python3 not installed, SVG files not parsed"
fi

# Rendering in headless Chromium: every SVG has drawn elements with a non-zero box.
chromium_bin=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium_bin" ]; then
    echo "skip: chromium not installed, rendering not checked"
else
    chrome() {
        timeout 120 "$chromium_bin" --headless --no-sandbox --disable-gpu --disable-quic \
            --no-first-run --disable-background-networking --disable-component-update \
            --disable-sync --disable-dev-shm-usage --user-data-dir="$(mktemp -d "$tmp/chrome-XXXXXX")" "$@"
    }
    # The check script goes into a copy; the report itself holds none.
    sed 's|</body>|<script>\
var out = [];\
document.querySelectorAll("svg").forEach(function (s) {\
  var b = s.getBBox(), drawn = 0;\
  s.querySelectorAll("rect,path,circle,polyline,line,text").forEach(function (e) {\
    var bb = e.getBBox(); if (bb.width > 0 \|\| bb.height > 0) drawn++; });\
  var f = s.closest("figure");\
  out.push((f ? f.id : "?") + " " + Math.round(b.width) + " " + Math.round(b.height) + " " + drawn);\
});\
var pre = document.createElement("pre"); pre.id = "svgcheck";\
pre.textContent = "BEGIN\\n" + out.join("\\n") + "\\nEND"; document.body.appendChild(pre);\
</script></body>|' r.html >check.html
    chrome --dump-dom "file://$tmp/check.html" >dom.html 2>chrome.err
    sed -n '/BEGIN/,/END/p' dom.html | grep -v 'BEGIN\|END' >boxes.txt
    [ "$(wc -l <boxes.txt)" = "$n_charts" ] ||
        fail "Chromium measured $(wc -l <boxes.txt) charts of $n_charts ($(tail -c 300 chrome.err))"
    while read -r id w h drawn; do
        if [ "$w" -le 0 ] || [ "$h" -le 0 ] || [ "$drawn" -lt 5 ]; then
            fail "chart $id did not render: box ${w}x${h}, $drawn drawn elements"
        fi
    done <boxes.txt
    echo "ok: Chromium rendered $(wc -l <boxes.txt) charts ($(head -n 1 boxes.txt) ...)"
    chrome --screenshot="$tmp/shot.png" --window-size=1200,2400 "file://$tmp/r.html" >/dev/null 2>&1
    if [ "$(stat -c %s shot.png 2>/dev/null || echo 0)" -gt 20000 ]; then
        echo "ok: screenshot $(stat -c %s shot.png) bytes"
    else
        fail "no screenshot"
    fi
fi

# Bad input: clear messages, meaningful exit codes, no partial output.
expect_exit 64 "no model" "$CRMKIT" report -o x.html
expect_exit 64 "no output" "$CRMKIT" report seg.crmk
expect_exit 64 "unknown option" "$CRMKIT" report seg.crmk -o x.html --bogus
expect_exit 66 "missing model" "$CRMKIT" report nothere.crmk -o x.html
grep -q "^crmkit report: .*nothere.crmk" err.txt || fail "missing model message: $(cat err.txt)"
printf 'not a model\n' >fake.crmk
expect_exit 65 "foreign file" "$CRMKIT" report fake.crmk -o x.html
printf 'subscriber_id,x\n1,2\n2,3\n' >other.csv
expect_exit 66 "data without the features" "$CRMKIT" report seg.crmk --data other.csv -o x.html
grep -q "crmkit report: " err.txt || fail "message not prefixed: $(cat err.txt)"
expect_exit 66 "missing data" "$CRMKIT" report seg.crmk --data nothere.csv -o x.html
[ ! -e x.html ] || fail "a failed report left x.html behind"
ls x.html.tmp.* >/dev/null 2>&1 && fail "a failed report left a temporary file"

[ "$fails" = 0 ] && echo "all report checks passed"
exit "$fails"
