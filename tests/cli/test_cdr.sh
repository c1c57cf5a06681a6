#!/usr/bin/env bash
# crmkit gen cdr and crmkit cdr: features against an awk computation of the same sums, the
# date window, bad fields named by line and column with no partial output, exit codes, JSON,
# segment reading the features, gen cdr determinism and ids that join gen customers.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
tmp=$(mktemp -d /tmp/crmkit-cdr-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if [ "$2" != "$3" ]; then fail "$1: exit $3, expected $2"; else echo "ok: $1"; fi; }

# ---- options and usage errors ----
"$CRMKIT" cdr --help >"$tmp/h"; check "cdr --help" 0 $?
grep -q -- "--from DATE" "$tmp/h" || fail "cdr --help lacks --from"
"$CRMKIT" gen cdr --help >"$tmp/h"; check "gen cdr --help" 0 $?
"$CRMKIT" gen --help | grep -q "cdr" || fail "gen --help lists no cdr kind"
"$CRMKIT" --help | grep -q "^  cdr " || fail "crmkit --help lists no cdr command"
"$CRMKIT" cdr -o "$tmp/x.csv" 2>/dev/null; check "no input" 64 $?
"$CRMKIT" cdr "$tmp/none.csv" 2>/dev/null; check "no -o" 64 $?
"$CRMKIT" cdr "$tmp/none.csv" -o "$tmp/x.csv" --from 2024-02-30 2>"$tmp/e"; check "bad --from" 64 $?
grep -q "^crmkit cdr: --from: bad date" "$tmp/e" || fail "bad --from message: $(cat "$tmp/e")"
"$CRMKIT" cdr "$tmp/none.csv" -o "$tmp/x.csv" --from 2024-02-02 --to 2024-02-01 2>/dev/null; check "--from after --to" 64 $?
"$CRMKIT" cdr "$tmp/none.csv" -o "$tmp/x.csv" 2>"$tmp/e"; check "missing input file" 66 $?
grep -q "^crmkit cdr: .*none.csv" "$tmp/e" || fail "missing file message: $(cat "$tmp/e")"
"$CRMKIT" gen cdr --days 0 -o "$tmp/x.csv" 2>/dev/null; check "gen cdr --days 0" 64 $?
"$CRMKIT" gen cdr --customers 10 2>/dev/null; check "gen cdr without -o" 64 $?
[ ! -e "$tmp/x.csv" ] || fail "a failed run left a file"

# ---- gen cdr: determinism, .gz, ids of gen customers ----
"$CRMKIT" gen cdr --customers 300 --days 10 --seed 3 -o "$tmp/a.csv" --json --threads 1 >"$tmp/j"; check "gen cdr" 0 $?
"$CRMKIT" gen cdr --customers=300 --days=10 --seed=3 --output "$tmp/b.csv.gz" --threads 2 --quiet; check "gen cdr .gz" 0 $?
gzip -dc "$tmp/b.csv.gz" | cmp -s - "$tmp/a.csv" || fail "the .gz file and 1 thread differ from the plain file"
[ "$(head -1 "$tmp/a.csv")" = "caller,callee,start_time,duration,network,type,bytes,charge" ] || fail "gen cdr header"
records=$(($(wc -l <"$tmp/a.csv") - 1))
grep -q "\"records\":$records," "$tmp/j" || fail "gen cdr --json records ($records): $(cat "$tmp/j")"
"$CRMKIT" gen customers --rows 300 --seed 3 -o "$tmp/c.csv"
cut -d, -f1 "$tmp/c.csv" | tail -n +2 | sort >"$tmp/ids"
cut -d, -f1 "$tmp/a.csv" | tail -n +2 | sort -u >"$tmp/callers"
[ -z "$(comm -13 "$tmp/ids" "$tmp/callers")" ] || fail "callers that are not customers"
[ "$(wc -l <"$tmp/callers")" -gt 250 ] || fail "too few callers"
grep ',onnet,voice,' "$tmp/a.csv" | cut -d, -f2 | sort -u >"$tmp/onnet"
[ -z "$(comm -13 "$tmp/ids" "$tmp/onnet")" ] || fail "on-net callees that are not customers"

# ---- crmkit cdr against awk: the same sums computed record by record ----
"$CRMKIT" cdr "$tmp/b.csv.gz" -o "$tmp/f.csv" --json >"$tmp/j"; check "cdr" 0 $?
grep -q "\"records\":$records," "$tmp/j" || fail "cdr --json records: $(cat "$tmp/j")"
grep -q '"customers":' "$tmp/j" || fail "cdr --json customers"
# awk: night 22:00-05:59, weekend from the day of 2024-01 (1 = Monday), charges in 1e-4
awk -F, 'NR > 1 {
    c = $1; h = substr($3, 12, 2) + 0; d = substr($3, 9, 2) + 0; wd = (d - 1) % 7
    ev[c]++; if (h >= 22 || h < 6) ni[c]++; if (wd >= 5) we[c]++
    split($8, p, "."); ch = p[1] * 10000 + p[2]
    if ($6 == "voice") { n = ($5 == "onnet") ? 0 : 1; calls[c, n]++; sec[c, n] += $4; cv[c] += ch
        if (!((c, $2) in seen)) { seen[c, $2] = 1; parties[c]++ } }
    else if ($6 == "sms") { sms[c]++; cs[c] += ch }
    else { data[c]++; bytes[c] += $7; cd[c] += ch }
}
END {
    for (c in ev) {
        t = cv[c] + cs[c] + cd[c]; nc = calls[c, 0] + calls[c, 1]
        printf "%s %d %d %.9f %.9f %d %.9f %.9f %.9f %d %d %.9f %.4f %.4f %.4f %.4f %.9f %.9f %.9f\n",
            c, calls[c, 0], calls[c, 1], sec[c, 0] / 60, sec[c, 1] / 60, parties[c],
            nc ? (sec[c, 0] + sec[c, 1]) / nc : 0, ni[c] / ev[c], we[c] / ev[c], sms[c], data[c],
            bytes[c] / 1048576, t / 1e4, cv[c] / 1e4, cs[c] / 1e4, cd[c] / 1e4,
            t ? cv[c] / t : 0, t ? cs[c] / t : 0, t ? cd[c] / t : 0
    }
}' "$tmp/a.csv" | sort >"$tmp/awk.txt"
tail -n +2 "$tmp/f.csv" | tr ',' ' ' | sort >"$tmp/ours.txt"
[ "$(wc -l <"$tmp/awk.txt")" = "$(wc -l <"$tmp/ours.txt")" ] || fail "awk and crmkit have different customers"
paste -d' ' "$tmp/awk.txt" "$tmp/ours.txt" | awk '{
    if ($1 != $20) { print "id " $1 " vs " $20; bad++; next }
    for (k = 2; k <= 19; k++) { a = $k; b = $(k + 19); d = a - b; if (d < 0) d = -d
        s = (a < 0 ? -a : a) + 1e-9; if (d > 1e-6 * s + 1e-6) { print $1 " column " k ": awk " a " crmkit " b; bad++ } } }
    END { exit bad > 0 }' | head -5 >"$tmp/diff"
[ ! -s "$tmp/diff" ] || fail "features differ from awk: $(cat "$tmp/diff")"
[ "$(head -1 "$tmp/f.csv" | cut -d, -f1)" = "subscriber_id" ] || fail "features id column"
tail -n +2 "$tmp/f.csv" | cut -d, -f1 | sort -c 2>/dev/null || fail "features not sorted by id"

# ---- threads, stdin, the date window ----
"$CRMKIT" cdr "$tmp/a.csv" -o "$tmp/f1.csv" --threads 1; check "cdr --threads 1" 0 $?
cmp -s "$tmp/f.csv" "$tmp/f1.csv" || fail "1 and 2 threads differ"
"$CRMKIT" cdr - -o "$tmp/f2.csv" <"$tmp/a.csv"; check "cdr from stdin" 0 $?
cmp -s "$tmp/f.csv" "$tmp/f2.csv" || fail "stdin differs"
"$CRMKIT" cdr "$tmp/a.csv" -o "$tmp/w.csv" --from 2024-01-03 --to 2024-01-05 --json >"$tmp/j"; check "cdr --from --to" 0 $?
awk -F, 'NR == 1 || (substr($3, 1, 10) >= "2024-01-03" && substr($3, 1, 10) <= "2024-01-05")' "$tmp/a.csv" >"$tmp/win.csv"
"$CRMKIT" cdr "$tmp/win.csv" -o "$tmp/w2.csv"; check "cdr on the awk window" 0 $?
cmp -s "$tmp/w.csv" "$tmp/w2.csv" || fail "--from/--to differs from filtering the file first"
grep -q '"first_day":"2024-01-03","last_day":"2024-01-05"' "$tmp/j" || fail "window in --json: $(cat "$tmp/j")"
"$CRMKIT" cdr "$tmp/a.csv" -o "$tmp/x.csv" --from 2025-01-01 2>"$tmp/e"; check "empty window" 65 $?
grep -q "no records in the date window" "$tmp/e" || fail "empty window message"

# ---- bad records: file, line, column, field; no partial output ----
head -50 "$tmp/a.csv" >"$tmp/bad.csv"
echo "S0000001,S0000002,2024-01-32 10:00:00,60,onnet,voice,0,0.0300" >>"$tmp/bad.csv"
"$CRMKIT" cdr "$tmp/bad.csv" -o "$tmp/x.csv" 2>"$tmp/e"; check "bad timestamp" 65 $?
grep -q '^crmkit cdr: .*bad.csv:51:3: field "start_time": bad start time' "$tmp/e" || fail "bad timestamp message: $(cat "$tmp/e")"
head -50 "$tmp/a.csv" >"$tmp/bad.csv"
echo "S0000001,S0000002,2024-01-02 10:00:00,60,onnet,video,0,0.0300" >>"$tmp/bad.csv"
"$CRMKIT" cdr "$tmp/bad.csv" -o "$tmp/x.csv" 2>"$tmp/e"; check "bad type" 65 $?
grep -q 'bad.csv:51:6: field "type": unknown type' "$tmp/e" || fail "bad type message: $(cat "$tmp/e")"
head -50 "$tmp/a.csv" >"$tmp/bad.csv"
echo "S0000001,S0000002,2024-01-02 10:00:00,60,onnet,voice,0" >>"$tmp/bad.csv"
"$CRMKIT" cdr "$tmp/bad.csv" -o "$tmp/x.csv" 2>"$tmp/e"; check "short row" 65 $?
grep -q 'bad.csv:51:8: field "charge": row has 7 fields' "$tmp/e" || fail "short row message: $(cat "$tmp/e")"
printf 'caller,callee,start_time,duration\n' >"$tmp/bad.csv"
"$CRMKIT" cdr "$tmp/bad.csv" -o "$tmp/x.csv" 2>"$tmp/e"; check "missing columns" 66 $?
grep -q 'no column "network"' "$tmp/e" || fail "missing column message: $(cat "$tmp/e")"
head -c 3000 "$tmp/b.csv.gz" >"$tmp/trunc.csv.gz"
"$CRMKIT" cdr "$tmp/trunc.csv.gz" -o "$tmp/x.csv" 2>"$tmp/e"; check "truncated gzip" 65 $?
grep -q "^crmkit cdr: .*trunc.csv.gz" "$tmp/e" || fail "truncated gzip message: $(cat "$tmp/e")"
[ ! -e "$tmp/x.csv" ] || fail "a failed run left a partial output"

# ---- segment reads the features as they are ----
"$CRMKIT" gen cdr --customers 600 --days 7 --seed 5 -o "$tmp/s.csv.gz" --quiet
"$CRMKIT" cdr "$tmp/s.csv.gz" -o "$tmp/sf.csv"; check "cdr for segment" 0 $?
"$CRMKIT" segment "$tmp/sf.csv" --k 4 -o "$tmp/m.crmk" --labels "$tmp/l.csv" --json --quiet >"$tmp/j"; check "segment on cdr features" 0 $?
grep -q '"k":4' "$tmp/j" || fail "segment --json: $(head -c 300 "$tmp/j")"
[ "$(head -1 "$tmp/l.csv" | cut -d, -f1)" = "subscriber_id" ] || fail "labels do not carry subscriber_id: $(head -1 "$tmp/l.csv")"
[ "$(wc -l <"$tmp/l.csv")" = "$(wc -l <"$tmp/sf.csv")" ] || fail "a label per customer"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all cdr CLI checks passed"
