#!/usr/bin/env bash
# The README's "A first session" block, run as it stands (each `crmkit` replaced by the built
# binary) in an empty folder: every command must succeed and leave what the next one reads.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
case $CRMKIT in /*) ;; *) CRMKIT=$PWD/$CRMKIT ;; esac
README=${README:-$(cd "$(dirname "$0")/../.." && pwd)/README.md}
tmp=$(mktemp -d /tmp/crmkit-readme-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# The first fenced block after the heading, continuation lines joined.
awk '/^## A first session/ { on = 1; next }
     on && /^```/ { if (inside) exit; inside = 1; next }
     inside { print }' "$README" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' >"$tmp/session.txt"
[ "$(grep -c '^crmkit ' "$tmp/session.txt")" -ge 10 ] || fail "README session not found"
grep -v '^crmkit \|^$' "$tmp/session.txt" && fail "README session has lines that are not crmkit commands"

cd "$tmp" || exit 1
n=0
while IFS= read -r line; do
    [ -z "$line" ] && continue
    n=$((n + 1))
    # shellcheck disable=SC2086
    if eval "\"\$CRMKIT\" ${line#crmkit }" >"out$n.txt" 2>"err$n.txt"; then
        echo "ok: $line"
    else
        fail "$line: exit $? ($(head -c 300 "err$n.txt"))"
    fi
done <session.txt
for f in customers.csv new_customers.csv segments.crmk labels.csv new_labels.csv churn.crmc \
    risk.csv vas.csv services.crmr rules.csv; do
    [ -s "$f" ] || fail "the session made no $f"
done
head -n 1 labels.csv | grep -q '^subscriber_id,segment,segment_name,outlier$' || fail "labels header"
grep -q "rules of segment Gold" "out$n.txt" || fail "recommend did not use the Gold rules: $(cat "out$n.txt")"
# Per-segment rules: the rules CSV names at least three distinct segments.
[ "$(tail -n +2 rules.csv | cut -d, -f1 | sort -u | wc -l)" -ge 3 ] || fail "rules.csv: $(head -n 3 rules.csv)"

# The README's example error message is the one crmkit gives for the case it describes.
want=$(awk '/Errors name the file, line,$/ { on = 1 } on && /^crmkit segment: / { print; exit }' "$README")
[ -n "$want" ] || fail "README example error not found"
awk -F, -v OFS=, 'NR == 1042 { $17 = "unknown" } { print }' customers.csv >bad.csv && mv bad.csv customers.csv
"$CRMKIT" segment customers.csv -o bad.crmk 2>err.txt
[ $? = 65 ] || fail "the README's bad cell does not exit 65"
[ "$(cat err.txt)" = "$want" ] || fail "README error example: got $(cat err.txt)"
[ -e bad.crmk ] && fail "a model was left behind"
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
