#!/usr/bin/env bash
# Scaling of crmkit train --algo gbt under mpirun (data-parallel boosting: each rank grows
# the trees on its blocks of training rows, histograms added across ranks): ranks 1, 2, 4, 8,
# 16 (up to the cores present), one thread per rank, on a generated customer table (target:
# churn). Prints the fit's seconds (the JSON fit_seconds of rank 0: preparation and
# boosting), the whole command's wall and CPU seconds, the fit's speed-up over one rank, and
# checks that every rank count wrote the same model bytes.
#   usage: bench/mpi_scaling_gbt.sh [ROWS]      (default 400000 rows)
# Run it alone: flock /tmp/bench.lock bench/mpi_scaling_gbt.sh
# Leaf-wise growth adds one histogram across the ranks per split (about 30 MPI_Allreduce
# calls per tree): on a machine shared with other work, ranks that spin while waiting for a
# descheduled partner multiply the time; OMPI_MCA_mpi_yield_when_idle=1 (the default here,
# override with YIELD=0) makes a waiting rank give its core away.
set -eu
export OMPI_MCA_mpi_yield_when_idle=${YIELD:-1}
CRMKIT=${CRMKIT:-$(cd "$(dirname "$0")/.." && pwd)/build/crmkit}
ROWS=${1:-400000}
CORES=$(nproc)
MPIRUN=(mpirun --oversubscribe --allow-run-as-root --mca btl self,vader --bind-to none)
tmp=$(mktemp -d /tmp/crmkit-gbtscale-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$CRMKIT" gen customers -o "$tmp/c.csv" --rows "$ROWS" --seed 1 --quiet >/dev/null
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $CORES cores; $ROWS rows; $(date -u +%F)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg); mpi_yield_when_idle=$OMPI_MCA_mpi_yield_when_idle"
printf "%-6s %-10s %-10s %-10s %-10s %-10s\n" ranks fit_s speedup wall_s cpu_s same_model
base=""
for np in 1 2 4 8 16; do
    [ "$np" -le "$CORES" ] || break
    /usr/bin/time -f "%e %U %S" -o "$tmp/time" env OMP_NUM_THREADS=1 "${MPIRUN[@]}" -np "$np" \
        "$CRMKIT" train "$tmp/c.csv" --target churn --algo gbt --threads 1 \
        -o "$tmp/m$np.crmc" --json --quiet >"$tmp/j$np.json" 2>/dev/null
    s=$(sed -n 's/.*"fit_seconds":\([0-9.e+-]*\).*/\1/p' "$tmp/j$np.json")
    read -r wall u sy <"$tmp/time"
    [ -n "$base" ] || base=$s
    same=$(cmp -s "$tmp/m1.crmc" "$tmp/m$np.crmc" && echo yes || echo NO)
    printf "%-6s %-10.3f %-10.2f %-10.2f %-10.2f %-10s\n" "$np" "$s" "$(echo "$base / $s" | bc -l)" \
        "$wall" "$(echo "$u + $sy" | bc -l)" "$same"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
