#!/usr/bin/env bash
# Scaling of `crmkit cdr` under mpirun: ranks 1, 2, 4, 8, 16 (up to the cores present, or the
# list in RANKS), one thread per rank, on generated call detail records. ROUNDS interleaved
# runs (default 3) per rank count; prints the best and median of the command's own seconds
# (JSON "seconds" of rank 0: reading its byte range, gathering and merging the other ranks'
# sums, writing) and of the wall time of the whole mpirun (with MPI start-up), the speed-ups
# over one rank, the CPU seconds of the whole job, and checks that every rank count writes
# the same bytes as a run without mpirun.
#   usage: bench/mpi_scaling_cdr.sh [CUSTOMERS] [DAYS]   (default 20000 customers, 30 days:
#          about 10 million records, 600 MB)
# Run it alone: flock /tmp/bench.lock bench/mpi_scaling_cdr.sh
set -eu
CRMKIT=${CRMKIT:-$(cd "$(dirname "$0")/.." && pwd)/build/crmkit}
CUST=${1:-20000}
DAYS=${2:-30}
ROUNDS=${ROUNDS:-3}
CORES=$(nproc)
RANKS=${RANKS:-1 2 4 8 16}
MPIRUN=(mpirun --oversubscribe --allow-run-as-root --mca btl self,vader --bind-to none)
tmp=$(mktemp -d /tmp/crmkit-cdrscale-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$CRMKIT" gen cdr -o "$tmp/c.csv" --customers "$CUST" --days "$DAYS" --seed 1 --quiet >/dev/null
recs=$(($(wc -l <"$tmp/c.csv") - 1))
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $CORES cores; $recs records ($(du -m "$tmp/c.csv" | cut -f1) MB), $CUST customers, $ROUNDS rounds; $(date -u '+%F %H:%M') UTC"
"$CRMKIT" cdr "$tmp/c.csv" -o "$tmp/ref.csv" --threads 1 --quiet
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
nps=()
for np in $RANKS; do [ "$np" -le "$CORES" ] && nps+=("$np"); done
for r in $(seq "$ROUNDS"); do
    for np in "${nps[@]}"; do
        t0=$(date +%s.%N)
        out=$( { OMP_NUM_THREADS=1 /usr/bin/time -f "cpu %U %S" "${MPIRUN[@]}" -np "$np" "$CRMKIT" \
            cdr "$tmp/c.csv" --threads 1 -o "$tmp/m$np.csv" --json --quiet; } 2>&1)
        w=$(echo "$(date +%s.%N) - $t0" | bc -l)
        s=$(printf '%s' "$out" | sed -n 's/.*"seconds":\([0-9.e+-]*\).*/\1/p')
        c=$(printf '%s' "$out" | awk '/^cpu / { print $2 + $3 }')
        echo "$np $s $w $c" >>"$tmp/cdr.txt"
    done
done
stat() { # np column: best median
    awk -v np="$1" -v col="$2" '$1 == np { print $col }' "$tmp/cdr.txt" | sort -g |
        awk '{ v[NR] = $1 } END { printf "%.3f %.3f", v[1], v[int((NR + 1) / 2)] }'
}
printf "%-6s %-16s %-8s %-16s %-8s %-10s %-10s\n" ranks cdr_best/med speedup wall_best/med wall_up job_cpu_s same_bytes
base="" wbase=""
for np in "${nps[@]}"; do
    read -r sb sm <<<"$(stat "$np" 2)"
    read -r wb wm <<<"$(stat "$np" 3)"
    read -r cb cm <<<"$(stat "$np" 4)"
    [ -n "$base" ] || { base=$sb; wbase=$wb; }
    same=$(cmp -s "$tmp/ref.csv" "$tmp/m$np.csv" && echo yes || echo NO)
    printf "%-6s %-16s %-8.2f %-16s %-8.2f %-10s %-10s\n" "$np" "$sb/$sm" "$(echo "$base / $sb" | bc -l)" \
        "$wb/$wm" "$(echo "$wbase / $wb" | bc -l)" "$cm" "$same"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
