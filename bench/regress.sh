#!/usr/bin/env bash
# regress.sh: every benchmark family of bench/RESULTS.md that two builds can both run, old and
# new interleaved in one run, to check that a change slowed nothing (issue 11: no benchmark
# slower by more than 5%). Each round runs every case once with each build, the order of the
# two alternating from round to round, so both see the same machine. The figure is the median
# CPU time (user + system of the process and its threads, from wait4) over the rounds; wall
# time on a shared 2-core machine is mostly other people's work. Outputs are written to files
# in a work folder (never /dev/null: an old build may rename over it) and compared where both
# builds must agree (itemset counts, rows written, k of a model).
#
# usage: bench/regress.sh OLD_BUILD_DIR NEW_BUILD_DIR [ROUNDS] [FILTER_REGEX]
#   ROUNDS (default 5); FILTER_REGEX picks benchmarks by name (default: all).
#   REGRESS_ROWS: generated customers for the large segment/assign case (default 300000)
#   REGRESS_CDR_CUSTOMERS: customers of the generated CDR file, 6 days (default 20000)
#   REGRESS_WORK: work folder for generated inputs (kept between runs; default /tmp/crm-regress)
#   REGRESS_SLOW: ratio above which a row is flagged (default 1.05)
# Run it under `flock /tmp/bench.lock` on a shared machine.
set -euo pipefail
[ $# -ge 2 ] || {
    sed -n '2,17p' "$0"
    exit 2
}
OLD=$(cd "$1" && pwd)
NEW=$(cd "$2" && pwd)
ROUNDS=${3:-5}
FILTER=${4:-.}
HERE=$(cd "$(dirname "$0")" && pwd)
export REGRESS_ROOT=$HERE/..
export REGRESS_ROWS=${REGRESS_ROWS:-300000}
export REGRESS_CDR_CUSTOMERS=${REGRESS_CDR_CUSTOMERS:-20000}
export REGRESS_WORK=${REGRESS_WORK:-/tmp/crm-regress}
export REGRESS_SLOW=${REGRESS_SLOW:-1.05}
exec /usr/bin/python3 "$HERE/regress.py" "$OLD" "$NEW" "$ROUNDS" "$FILTER"
