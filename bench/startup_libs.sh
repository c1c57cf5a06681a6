#!/usr/bin/env bash
# startup_libs.sh: what loading each library crmkit links costs a program that does nothing
# else. An empty C program is linked (--no-as-needed) with nothing, with each library alone
# and with crmkit's whole list, and `crmkit --version` runs beside them; hyperfine -N gives
# each one's CPU (user + sys) and wall means, and the difference to the empty program.
# Run it under `flock /tmp/bench.lock`. usage: [RUNS=300] bench/startup_libs.sh [CRMKIT]
set -euo pipefail
CRMKIT=${1:-build/crmkit}
RUNS=${RUNS:-300}
command -v hyperfine >/dev/null || { echo "startup_libs.sh: hyperfine is needed" >&2; exit 2; }
command -v pkg-config >/dev/null || { echo "startup_libs.sh: pkg-config is needed" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo 'int main(void) { return 0; }' >"$tmp/empty.c"
# name and link flags; "all" is crmkit's own list (ldd of crmkit)
sets=("none=" "openblas=$(pkg-config --libs openblas)" "libsvm=-lsvm" "libgomp=-lgomp"
      "jansson+protobuf-c=-ljansson -lprotobuf-c" "libdeflate+zlib=-ldeflate -lz")
sets+=("all=$(pkg-config --libs openblas) -lgomp -ldeflate -lz -lm -lsvm -ljansson -lprotobuf-c")
cmds=() names=()
for s in "${sets[@]}"; do
    name=${s%%=*}
    # shellcheck disable=SC2086
    cc -O2 "$tmp/empty.c" -o "$tmp/$name" -Wl,--no-as-needed ${s#*=} 2>"$tmp/err" ||
        { echo "skipped $name: $(head -c 200 "$tmp/err")"; continue; }
    names+=("$name") cmds+=("$tmp/$name")
done
names+=("crmkit --version") cmds+=("$CRMKIT --version")
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u '+%F %H:%M UTC'); loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N -w 20 -r "$RUNS" --export-json "$tmp/h.json" "${cmds[@]}" >/dev/null
/usr/bin/python3 - "$tmp/h.json" "${names[@]}" <<'EOF'
import json, statistics, sys
res = json.load(open(sys.argv[1]))["results"]
names = sys.argv[2:]
base = None
print("%-22s %9s %9s %13s" % ("program", "CPU ms", "wall ms", "CPU over empty"))
for name, r in zip(names, res):
    cpu = (r["user"] + r["system"]) * 1e3
    wall = statistics.median(r["times"]) * 1e3
    base = cpu if base is None else base
    print("%-22s %9.2f %9.2f %+13.2f" % (name, cpu, wall, cpu - base))
EOF
