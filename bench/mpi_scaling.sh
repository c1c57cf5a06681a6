#!/usr/bin/env bash
# Scaling of crmkit under mpirun: ranks 1, 2, 4, 8, 16 (up to the cores present, or the list
# in RANKS), one thread per rank, on a generated customer table. For each rank count, ROUNDS
# interleaved runs (default 3); prints the best and median of the k-means step's seconds (JSON
# cluster_seconds of rank 0: k-means++ / the sample's fit and the Lloyd passes) and of the
# read (load_seconds: each rank parses its byte range), the CPU seconds of the whole job
# (every rank and mpirun, from the kernel's accounting), the balance (the largest and the
# smallest CPU seconds of one rank's whole process), the speed-ups over one rank, and
# checks that every rank count writes the same model bytes. Then the same for `crmkit cdr`
# (bench/mpi_scaling_cdr.sh).
#   usage: bench/mpi_scaling.sh [ROWS] [K]      (default 1,000,000 rows, k 8)
#   env:   ROUNDS=3  RANKS="1 2 4 8 16"  NO_CDR=1 (skip the cdr table)
#          CPU=1: the k-means and read seconds are rank 0's CPU seconds (CRMKIT_CPU_CLOCK=1),
#          not wall seconds: on a shared machine, the figure to judge the split by
# On a many-core machine: flock /tmp/bench.lock bench/mpi_scaling.sh 4000000 8
# Run it alone: flock /tmp/bench.lock bench/mpi_scaling.sh
set -eu
CRMKIT=${CRMKIT:-$(cd "$(dirname "$0")/.." && pwd)/build/crmkit}
ROWS=${1:-1000000}
K=${2:-8}
ROUNDS=${ROUNDS:-3}
CORES=$(nproc)
RANKS=${RANKS:-1 2 4 8 16}
MPIRUN=(mpirun --oversubscribe --allow-run-as-root --mca btl self,vader --bind-to none)
tmp=$(mktemp -d /tmp/crmkit-mpiscale-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$CRMKIT" gen customers -o "$tmp/c.csv" --rows "$ROWS" --seed 1 --quiet >/dev/null
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $CORES cores; $ROWS rows, k $K, $ROUNDS rounds; $(date -u '+%F %H:%M') UTC"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
nps=()
for np in $RANKS; do [ "$np" -le "$CORES" ] && nps+=("$np"); done
for r in $(seq "$ROUNDS"); do
    for np in "${nps[@]}"; do
        out=$( { CRMKIT_CPU_CLOCK=${CPU:-0} OMP_NUM_THREADS=1 /usr/bin/time -f "cpu %U %S" \
            "${MPIRUN[@]}" -np "$np" /usr/bin/time -f "rankcpu %U %S" "$CRMKIT" \
            segment "$tmp/c.csv" --k "$K" --threads 1 --n-init 3 -o "$tmp/m$np.crmk" --json \
            --quiet; } 2>&1)
        s=$(printf '%s' "$out" | sed -n 's/.*"cluster_seconds":\([0-9.e+-]*\).*/\1/p')
        l=$(printf '%s' "$out" | sed -n 's/.*"load_seconds":\([0-9.e+-]*\).*/\1/p')
        c=$(printf '%s' "$out" | awk '/^cpu / { print $2 + $3 }')
        # (a rank's line may follow rank 0's JSON on the same line)
        rcpu=$(printf '%s\n' "$out" | sed -n 's/.*rankcpu \([0-9.]*\) \([0-9.]*\).*/\1 \2/p')
        rmax=$(printf '%s\n' "$rcpu" | awk '{ v = $1 + $2; if (v > m) m = v } END { print m }')
        rmin=$(printf '%s\n' "$rcpu" | awk '{ v = $1 + $2; if (n++ == 0 || v < m) m = v } END { print m }')
        echo "$np $s $l $c $rmax $rmin" >>"$tmp/seg.txt"
    done
done
stat() { # column of seg.txt for np: best median
    awk -v np="$1" -v col="$2" '$1 == np { print $col }' "$tmp/$3" | sort -g |
        awk '{ v[NR] = $1 } END { printf "%.3f %.3f", v[1], v[int((NR + 1) / 2)] }'
}
printf "%-6s %-16s %-8s %-16s %-8s %-10s %-14s %-10s\n" ranks kmeans_best/med speedup read_best/med speedup \
    job_cpu_s rank_cpu_max/min same_model
base="" lbase=""
for np in "${nps[@]}"; do
    read -r sb sm <<<"$(stat "$np" 2 seg.txt)"
    read -r lb lm <<<"$(stat "$np" 3 seg.txt)"
    read -r cb cm <<<"$(stat "$np" 4 seg.txt)"
    read -r _ xm <<<"$(stat "$np" 5 seg.txt)"
    read -r _ nm <<<"$(stat "$np" 6 seg.txt)"
    [ -n "$base" ] || { base=$sb; lbase=$lb; }
    same=$(cmp -s "$tmp/m${nps[0]}.crmk" "$tmp/m$np.crmk" && echo yes || echo NO)
    printf "%-6s %-16s %-8.2f %-16s %-8.2f %-10s %-14s %-10s\n" "$np" "$sb/$sm" \
        "$(echo "$base / $sb" | bc -l)" "$lb/$lm" "$(echo "$lbase / $lb" | bc -l)" "$cm" "$xm/$nm" "$same"
done
echo "# load average after segment: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${NO_CDR:-}" ] || RANKS="$RANKS" ROUNDS="$ROUNDS" "$(dirname "$0")/mpi_scaling_cdr.sh"
