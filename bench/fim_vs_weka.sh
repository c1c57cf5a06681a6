#!/usr/bin/env bash
# fim_vs_weka.sh: crmkit itemsets (N-List; read .gz, mine, write every itemset in SPMF text)
# against Weka 3.6's FP-Growth and ELKI 0.7.1's FPGrowth (speed only: its itemsets are wrong
# on sparse data and on mushroom), on the same FIMI files at the same absolute supports.
# Three ratios, each labelled: whole process against whole process (Weka: JVM start, ARFF
# load, mining, as one `java` command; crmkit: the whole `crmkit itemsets` command), crmkit's
# whole command against Weka's mining step alone (timed inside the JVM by
# bench/WekaFPGrowthMine.java over Weka's own classes, ARFF already loaded), and mining step
# against mining step (crmkit's mine_seconds from --json: mining and writing the itemsets).
# Weka and ELKI read uncompressed text (ARFF, .dat), so crmkit's whole command is also timed
# on the uncompressed .dat ("plain"), beside the .dat.gz, with its own whole / whole ratio.
# Whole-process times are the best of RUNS by bench_proctime (wall, with the CPU seconds and
# peak resident MiB of that run); step times are the least of RUNS. The load average is
# printed first and last (the machine may be shared).
#
# usage: bench/fim_vs_weka.sh [CRMKIT] [FIMI_DIR] [RUNS] [SET:SUPPORT_COUNT...]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
K=${1:-$HERE/../build/crmkit}
D=${2:-$HERE/../../shared/data/fimi}
RUNS=${3:-3}
shift $(($# < 3 ? $# : 3))
PT=$(dirname "$K")/bench/bench_proctime
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export OMP_WAIT_POLICY=passive
JAVA_OPTS="-Xmx8g -Djdk.net.URLClassPath.disableJarIndex=true"
javac -cp /usr/share/java/weka.jar -d "$W/classes" "$HERE/WekaFPGrowthMine.java" || exit 1
SPECS=("$@")
[ ${#SPECS[@]} -gt 0 ] || SPECS=(chess:2877 chess:2557 mushroom:4062 mushroom:2438 mushroom:1625
    retail:882 retail:441 retail:89 T10I4D100K:1000 T10I4D100K:500 T10I4D100K:100 connect:64180)

# least value of KEY=<number> (Weka driver) or "KEY":<number> (crmkit --json) in a file
least() {
    grep -o "\"\?$1\"\?[=:][0-9.e-]*" "$2" | sed 's/.*[=:]//' | sort -g | head -1
}
ratio() { awk "BEGIN{printf \"%.1f\", $1 / $2}"; }

# Every input is written before anything is timed, then synced, so that their writeback
# does not overlap any timing (crmkit's output is written atomically: fsync, then rename).
for spec in "${SPECS[@]}"; do
    set_name=${spec%%:*}
    [ -f "$W/$set_name.arff" ] || python3 "$HERE/fimi_to_arff.py" "$D/$set_name.dat.gz" "$W/$set_name.arff"
    [ -f "$W/$set_name.dat" ] || zcat "$D/$set_name.dat.gz" >"$W/$set_name.dat"
done
sync
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| set | minsup count | itemsets | crmkit whole s (cpu), .gz | crmkit whole s (cpu), plain | crmkit mine s | crmkit MiB | Weka whole s (cpu) | Weka load s | Weka mine s | Weka MiB | whole / whole, .gz | whole / whole, plain | Weka mine / crmkit whole | mine / mine | ELKI whole s | ELKI / crmkit whole |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for spec in "${SPECS[@]}"; do
    set_name=${spec%%:*} sup=${spec#*:}
    rm -f "$W/k.out" "$W/p.out" "$W/w.out" "$W/e.out"
    read -r kw kc km < <("$PT" "$RUNS" "$W/k.out" "$K" itemsets "$D/$set_name.dat.gz" \
        --minsup-count "$sup" -o "$W/out.txt" --json --quiet) || exit 1
    kmine=$(least mine_seconds "$W/k.out")
    read -r pw pc _ < <("$PT" "$RUNS" "$W/p.out" "$K" itemsets "$W/$set_name.dat" \
        --minsup-count "$sup" -o "$W/plain.txt" --json --quiet) || exit 1
    cmp -s "$W/out.txt" "$W/plain.txt" || { echo "plain and .gz outputs differ" >&2; exit 1; }
    n=$(wc -l <"$W/out.txt")
    read -r ww wc wm < <("$PT" "$RUNS" "$W/w.out" java $JAVA_OPTS \
        -cp "/usr/share/java/weka.jar:$W/classes" weka.associations.WekaFPGrowthMine \
        "$W/$set_name.arff" "$sup") || exit 1
    wmine=$(least mine_seconds "$W/w.out")
    wload=$(least load_seconds "$W/w.out")
    wn=$(sed -n 's/itemsets=\([0-9]*\).*/\1/p' "$W/w.out" | head -1)
    [ "$wn" = "$n" ] || n="$n (Weka: $wn!)"
    read -r ew _ _ < <("$PT" "$RUNS" "$W/e.out" java $JAVA_OPTS -cp /usr/share/java/elki.jar \
        de.lmu.ifi.dbs.elki.application.KDDCLIApplication -dbc.in "$W/$set_name.dat" \
        -dbc.parser SimpleTransactionParser -algorithm itemsetmining.FPGrowth \
        -itemsetmining.minsupp "$sup" -resulthandler DiscardResultHandler) || exit 1
    printf "| %s | %s | %s | %s (%s) | %s (%s) | %.4f | %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" \
        "$set_name" "$sup" "$n" "$kw" "$kc" "$pw" "$pc" "$kmine" "$km" "$ww" "$wc" "$wload" "$wmine" "$wm" \
        "$(ratio "$ww" "$kw")" "$(ratio "$ww" "$pw")" "$(ratio "$wmine" "$kw")" "$(ratio "$wmine" "$kmine")" \
        "$ew" "$(ratio "$ew" "$kw")"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
