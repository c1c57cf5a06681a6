#!/usr/bin/env bash
# fim_vs_weka.sh: crmkit itemsets (N-List, end to end: read .gz, mine, write every itemset in
# SPMF text) against Weka 3.6's FP-Growth (mining alone, timed inside the JVM by
# bench/WekaFPGrowthMine.java over Weka's own classes, ARFF already loaded) and ELKI 0.7.1's
# FPGrowth (speed only: its itemsets are wrong on sparse data and on mushroom), on the same
# FIMI files at the same absolute supports. Wall seconds are the best of RUNS, with the CPU
# seconds (user + system) of that run beside them; peak memory is /usr/bin/time's maximum
# resident set size. The load average is printed first and last (the machine may be shared).
#
# usage: bench/fim_vs_weka.sh [CRMKIT] [FIMI_DIR] [RUNS]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
K=${1:-$HERE/../build/crmkit}
D=${2:-$HERE/../../shared/data/fimi}
RUNS=${3:-3}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export OMP_WAIT_POLICY=passive
JAVA_OPTS="-Xmx8g -Djdk.net.URLClassPath.disableJarIndex=true"
javac -cp /usr/share/java/weka.jar -d "$W/classes" "$HERE/WekaFPGrowthMine.java" || exit 1

# best wall seconds, its peak RSS (MiB) and its CPU seconds of a command, over RUNS runs
best() {
    local b=999999 m=0 c=0
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f "%e %M %U %S" -o "$W/t" "$@" >"$W/stdout" 2>"$W/stderr" || { echo "FAILED"; cat "$W/stderr" >&2; return; }
        read -r e kb u sy <"$W/t"
        if awk "BEGIN{exit !($e < $b)}"; then b=$e; m=$((kb / 1024)); c=$(awk "BEGIN{printf \"%.2f\", $u + $sy}"); fi
    done
    echo "$b $m $c"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "| set | minsup count | itemsets | crmkit e2e s | crmkit cpu s | crmkit MiB | Weka mine s | Weka load s | Weka MiB | Weka mine / crmkit e2e | ELKI FPGrowth s | ELKI / crmkit |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for spec in "chess 2877" "chess 2557" "mushroom 4062" "mushroom 2438" "mushroom 1625" \
            "retail 882" "retail 441" "retail 89" "T10I4D100K 1000" "T10I4D100K 500" \
            "T10I4D100K 100" "connect 64180"; do
    set -- $spec
    set_name=$1 sup=$2
    [ -f "$W/$set_name.arff" ] || python3 "$HERE/fimi_to_arff.py" "$D/$set_name.dat.gz" "$W/$set_name.arff"
    [ -f "$W/$set_name.dat" ] || zcat "$D/$set_name.dat.gz" >"$W/$set_name.dat"
    read -r ct cm cc <<<"$(best "$K" itemsets "$D/$set_name.dat.gz" --minsup-count "$sup" -o "$W/out.txt")"
    n=$(wc -l <"$W/out.txt")
    # Weka: one JVM per run; mining time printed by the driver
    wbest=999999 wload=0 wmem=0 wn=0
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f "%e %M" -o "$W/t" java $JAVA_OPTS -cp "/usr/share/java/weka.jar:$W/classes" \
            weka.associations.WekaFPGrowthMine "$W/$set_name.arff" "$sup" >"$W/wk" 2>"$W/wkerr"
        line=$(cat "$W/wk")
        m=$(sed -n 's/.*mine_seconds=\([0-9.]*\).*/\1/p' <<<"$line")
        l=$(sed -n 's/.*load_seconds=\([0-9.]*\).*/\1/p' <<<"$line")
        wn=$(sed -n 's/itemsets=\([0-9]*\).*/\1/p' <<<"$line")
        read -r _ kb <"$W/t"
        if [ -n "$m" ] && awk "BEGIN{exit !($m < $wbest)}"; then wbest=$m; wload=$l; wmem=$((kb / 1024)); fi
    done
    [ "$wn" = "$n" ] || wn="$wn (differs!)"
    read -r et _ <<<"$(best java $JAVA_OPTS -cp /usr/share/java/elki.jar \
        de.lmu.ifi.dbs.elki.application.KDDCLIApplication -dbc.in "$W/$set_name.dat" \
        -dbc.parser SimpleTransactionParser -algorithm itemsetmining.FPGrowth \
        -itemsetmining.minsupp "$sup" -resulthandler DiscardResultHandler)"
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$set_name" "$sup" "$n" \
        "$ct" "$cc" "$cm" "$wbest" "$wload" "$wmem" "$(awk "BEGIN{printf \"%.1f\", $wbest / ($ct > 0.01 ? $ct : 0.01)}")" \
        "$et" "$(awk "BEGIN{printf \"%.1f\", $et / ($ct > 0.01 ? $ct : 0.01)}")"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
