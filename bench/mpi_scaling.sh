#!/usr/bin/env bash
# Scaling of crmkit under mpirun: ranks 1, 2, 4, 8, 16 (up to the cores present), one thread
# per rank, on a generated customer table; prints the k-means step's seconds (the JSON
# cluster_seconds of crmkit segment) and its speed-up over one rank. Results must be the
# same bytes for every rank count: the script checks that too.
#   usage: bench/mpi_scaling.sh [ROWS] [K]      (default 400000 rows, k 8)
# Run it alone: flock /tmp/bench.lock bench/mpi_scaling.sh
set -eu
CRMKIT=${CRMKIT:-$(cd "$(dirname "$0")/.." && pwd)/build/crmkit}
ROWS=${1:-400000}
K=${2:-8}
CORES=$(nproc)
MPIRUN=(mpirun --oversubscribe --allow-run-as-root --mca btl self,vader --bind-to none)
tmp=$(mktemp -d /tmp/crmkit-mpiscale-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$CRMKIT" gen customers -o "$tmp/c.csv" --rows "$ROWS" --seed 1 --quiet >/dev/null
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $CORES cores; $ROWS rows, k $K; $(date -u +%F)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-6s %-14s %-10s %-10s\n" ranks kmeans_s speedup same_model
base=""
for np in 1 2 4 8 16; do
    [ "$np" -le "$CORES" ] || break
    json=$(OMP_NUM_THREADS=1 "${MPIRUN[@]}" -np "$np" "$CRMKIT" segment "$tmp/c.csv" --k "$K" \
        --threads 1 --n-init 3 -o "$tmp/m$np.crmk" --json --quiet 2>/dev/null)
    s=$(printf '%s' "$json" | sed -n 's/.*"cluster_seconds":\([0-9.e+-]*\).*/\1/p')
    [ -n "$base" ] || base=$s
    same=$(cmp -s "$tmp/m1.crmk" "$tmp/m$np.crmk" && echo yes || echo NO)
    printf "%-6s %-14.3f %-10.2f %-10s\n" "$np" "$s" "$(echo "$base / $s" | bc -l)" "$same"
done
# crmkit cdr under mpirun (branch mpi2): a row here once `cdr` runs across ranks
if "${MPIRUN[@]}" -np 2 "$CRMKIT" cdr --help 2>&1 | grep -q "does not run across ranks"; then
    echo "# cdr: does not run across ranks in this build; skipped"
fi
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
