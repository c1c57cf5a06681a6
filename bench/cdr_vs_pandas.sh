#!/usr/bin/env bash
# crmkit cdr against pandas (read_csv + groupby, bench/cdr_pandas.py) on the same generated
# CDRs, in the same run: records a second, CPU seconds and peak RSS (/usr/bin/time), and the
# ratio. Then 50 M records two ways: 30 days of the same 100,000 customers as .gz (more days:
# more distinct contacts), and the 10 M file read five times through a pipe (the same
# customers and contacts, five times the records), to show that memory follows the customers
# and their contacts, not the records. pandas runs on 10 M only (50 M rows need ~15 GB).
# usage: bench/cdr_vs_pandas.sh [BUILD_DIR] [WORK_DIR]   (WORK_DIR needs ~2.5 GB)
set -uo pipefail
build=${1:-build}
dir=${2:-/tmp/crmkit-cdr-bench}
crmkit=$build/crmkit
PY=/usr/bin/python3
mkdir -p "$dir"
tm() { /usr/bin/time -f "%e %U %S %M" -o "$dir/time" "$@"; }
report() { # label records
    read -r wall user sys rss <"$dir/time"
    awk -v l="$1" -v n="$2" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
        printf "%-34s %11d rec  %7.2f s wall  %7.2f s cpu  %6.2f M rec/s  %6.2f M rec/cpu-s  %7.1f MB RSS\n",
            l, n, w, u + s, n / w / 1e6, n / (u + s) / 1e6, r / 1024 }'
}
echo "machine: $(nproc) cores, $(uptime | sed 's/.*load/load/')"
[ -s "$dir/c10.csv" ] || "$crmkit" gen cdr --customers 100000 --days 6 --seed 42 -o "$dir/c10.csv" --quiet
[ -s "$dir/c50.csv.gz" ] || "$crmkit" gen cdr --customers 100000 --days 30 --seed 42 -o "$dir/c50.csv.gz" --quiet
n10=$(($(wc -l <"$dir/c10.csv") - 1))
cat "$dir/c10.csv" >/dev/null # page cache
for t in 1 2; do
    tm "$crmkit" cdr "$dir/c10.csv" -o "$dir/f10_$t.csv" --threads $t --quiet
    report "crmkit cdr 10M csv, $t thread(s)" "$n10"
done
cmp -s "$dir/f10_1.csv" "$dir/f10_2.csv" || echo "WARNING: 1 and 2 threads differ"
tm $PY bench/cdr_pandas.py "$dir/c10.csv" --compare "$dir/f10_2.csv" >"$dir/pandas.txt"
cat "$dir/pandas.txt"
report "pandas read_csv+groupby 10M csv" "$n10"
cp "$dir/time" "$dir/time_pandas"
tm "$crmkit" cdr "$dir/c10.csv" -o "$dir/f10_2.csv" --quiet
report "crmkit cdr 10M csv, 2 threads" "$n10"
awk -v a="$(cut -d' ' -f1 "$dir/time_pandas")" -v b="$(cut -d' ' -f1 "$dir/time")" \
    'BEGIN { printf "ratio pandas / crmkit (wall, 10M): %.1f\n", a / b }'
tm "$crmkit" cdr "$dir/c50.csv.gz" -o "$dir/f50.csv" --quiet --json >"$dir/j50"
n50=$(sed 's/.*"records":\([0-9]*\).*/\1/' "$dir/j50")
report "crmkit cdr 50M (30 days) csv.gz" "$n50"
grep -o '"customers":[0-9]*,"distinct_callees":[0-9]*,"caller_callee_pairs":[0-9]*' "$dir/j50"
tm bash -c "cat '$dir/c10.csv'; for i in 1 2 3 4; do tail -n +2 '$dir/c10.csv'; done" >/dev/null
read -r catwall _ <"$dir/time"
tm bash -c "{ cat '$dir/c10.csv'; for i in 1 2 3 4; do tail -n +2 '$dir/c10.csv'; done; } | '$crmkit' cdr - -o '$dir/f50r.csv' --quiet --json >'$dir/j50r'"
n50r=$(sed 's/.*"records":\([0-9]*\).*/\1/' "$dir/j50r")
report "crmkit cdr 5 x 10M through a pipe" "$n50r"
grep -o '"customers":[0-9]*,"distinct_callees":[0-9]*,"caller_callee_pairs":[0-9]*' "$dir/j50r"
echo "(the pipe line's RSS is the largest process of the pipeline: crmkit; cat alone took $catwall s)"
