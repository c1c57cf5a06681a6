#!/usr/bin/env bash
# Scaling of `crmkit cdr` under mpirun: ranks 1, 2, 4, 8, 16 (up to the cores present), one
# thread per rank, on generated call detail records; prints the command's own seconds (JSON
# "seconds" of rank 0: reading its part, gathering and merging the other ranks' sums, writing)
# and the wall time of the whole mpirun (with MPI start-up), the speed-up over one rank, and
# checks that every rank count writes the same bytes as a run without mpirun.
#   usage: bench/mpi_scaling_cdr.sh [CUSTOMERS] [DAYS]   (default 6000 customers, 30 days:
#          about 2.7 million records, 150 MB)
# Run it alone: flock /tmp/bench.lock bench/mpi_scaling_cdr.sh
set -eu
CRMKIT=${CRMKIT:-$(cd "$(dirname "$0")/.." && pwd)/build/crmkit}
CUST=${1:-6000}
DAYS=${2:-30}
CORES=$(nproc)
MPIRUN=(mpirun --oversubscribe --allow-run-as-root --mca btl self,vader --bind-to none)
tmp=$(mktemp -d /tmp/crmkit-cdrscale-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$CRMKIT" gen cdr -o "$tmp/c.csv" --customers "$CUST" --days "$DAYS" --seed 1 --quiet >/dev/null
recs=$(($(wc -l <"$tmp/c.csv") - 1))
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $CORES cores; $recs records ($(du -m "$tmp/c.csv" | cut -f1) MB), $CUST customers; $(date -u +%F)"
"$CRMKIT" cdr "$tmp/c.csv" -o "$tmp/ref.csv" --threads 1 --quiet
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-6s %-10s %-10s %-10s %-10s %-10s\n" ranks cdr_s speedup wall_s wall_up same_bytes
base="" wbase=""
for np in 1 2 4 8 16; do
    [ "$np" -le "$CORES" ] || break
    t0=$(date +%s.%N)
    json=$(OMP_NUM_THREADS=1 "${MPIRUN[@]}" -np "$np" "$CRMKIT" cdr "$tmp/c.csv" --threads 1 \
        -o "$tmp/m$np.csv" --json --quiet 2>/dev/null)
    w=$(echo "$(date +%s.%N) - $t0" | bc -l)
    s=$(printf '%s' "$json" | sed -n 's/.*"seconds":\([0-9.e+-]*\).*/\1/p')
    [ -n "$base" ] || { base=$s; wbase=$w; }
    same=$(cmp -s "$tmp/ref.csv" "$tmp/m$np.csv" && echo yes || echo NO)
    printf "%-6s %-10.3f %-10.2f %-10.3f %-10.2f %-10s\n" "$np" "$s" "$(echo "$base / $s" | bc -l)" \
        "$w" "$(echo "$wbase / $w" | bc -l)" "$same"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
