#!/usr/bin/env bash
# Scaling of `crmkit cdr` under mpirun: ranks 1, 2, 4, 8, 16 (up to the cores present, or the
# list in RANKS), one thread per rank, on generated call detail records. ROUNDS interleaved
# runs (default 3) per rank count; prints the best and median of the command's own seconds
# (JSON "seconds" of rank 0: reading its byte range, the exchange of the customers' sums,
# the features of its customers, merging the ranks' rows, writing) and of the wall time of
# the whole mpirun (with MPI start-up), the speed-ups over one rank, the CPU seconds of the
# command summed over the ranks (JSON "rank_cpu_seconds", or "cpu_seconds" for one) and of the
# busiest rank, the sum's ratio to one rank's (median; <= 1.15 with balanced ranks means
# >= 1.7x on 2 idle cores), the CPU of the whole job (kernel accounting: every rank and
# mpirun, start-up included), and checks that every rank count writes the same bytes as a
# run without mpirun.
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
        # step CPU of every rank: sum and busiest
        rc=$(printf '%s' "$out" | sed -n 's/.*"\(rank_\)*cpu_seconds":\[*\([0-9.e+,-]*\).*/\2/p' |
            tr ',' '\n' | awk '{ s += $1; if ($1 > m) m = $1 } END { printf "%.3f %.3f", s, m }')
        echo "$np $s $w $c $rc" >>"$tmp/cdr.txt"
    done
done
stat() { # np column: best median
    awk -v np="$1" -v col="$2" '$1 == np { print $col }' "$tmp/cdr.txt" | sort -g |
        awk '{ v[NR] = $1 } END { printf "%.3f %.3f", v[1], v[int((NR + 1) / 2)] }'
}
printf "%-6s %-14s %-8s %-14s %-8s %-14s %-8s %-9s %-10s %-10s\n" ranks cdr_best/med speedup \
    wall_best/med wall_up cpu_sum_b/med cpu_x busiest job_cpu_s same_bytes
base="" wbase="" cbase=""
for np in "${nps[@]}"; do
    read -r sb sm <<<"$(stat "$np" 2)"
    read -r wb wm <<<"$(stat "$np" 3)"
    read -r cb cm <<<"$(stat "$np" 4)"
    read -r ub um <<<"$(stat "$np" 5)"
    read -r _ bm <<<"$(stat "$np" 6)"
    [ -n "$base" ] || { base=$sb; wbase=$wb; cbase=$um; }
    same=$(cmp -s "$tmp/ref.csv" "$tmp/m$np.csv" && echo yes || echo NO)
    printf "%-6s %-14s %-8.2f %-14s %-8.2f %-14s %-8.2f %-9s %-10s %-10s\n" "$np" "$sb/$sm" \
        "$(echo "$base / $sb" | bc -l)" "$wb/$wm" "$(echo "$wbase / $wb" | bc -l)" "$ub/$um" \
        "$(echo "$um / $cbase" | bc -l)" "$bm" "$cm" "$same"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
