#!/usr/bin/env python3
"""itemsets_read.py: the whole `crmkit itemsets` (start, read, mine, write SPMF to a discarded
standard output) on the FIMI files, from .gz and from plain text, for two crmkit binaries (a
commit before a change and after it), interleaved in one run: each round runs every case with
both binaries, in an order that alternates, so that both see the same machine. Prints best and
median wall milliseconds of each and the ratio new / old (below 1: faster).

The old binary also runs a second time with the shared libraries the new one links for reasons
other than reading (OpenBLAS, LIBSVM, Jansson, protobuf-c: those of them it does not link)
preloaded ("old, linked alike"): that run pays the same start-up for loading them, so new /
that isolates the reading change from the cost of linking the libraries.

usage: itemsets_read.py OLD_CRMKIT NEW_CRMKIT [ROUNDS] [FIMI_DIR]
"""
import gzip
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

CASES = [("chess", "--minsup", "0.9"), ("mushroom", "--minsup", "0.3"),
         ("connect", "--minsup", "0.95"), ("retail", "--minsup", "0.01"),
         ("T10I4D100K", "--minsup-count", "1000")]


def shared_objects(exe):
    """The paths of the shared objects exe loads, from ldd."""
    out = subprocess.run(["ldd", exe], check=True, capture_output=True, text=True).stdout
    return {line.split()[0]: line.split()[2] for line in out.splitlines()
            if "=>" in line and len(line.split()) > 2}


def linked_alike(old, new):
    """The libraries the new binary links for other reasons than reading that old lacks."""
    want = ("libopenblas", "libsvm", "libjansson", "libprotobuf-c")
    have_old = shared_objects(old)
    return [path for name, path in sorted(shared_objects(new).items())
            if name.startswith(want) and name not in have_old]


def main():
    old, new = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    fimi = sys.argv[4] if len(sys.argv) > 4 else "../shared/data/fimi"
    tmp = tempfile.mkdtemp(prefix="itemsets_read.")
    runs = []
    for name, opt, val in CASES:
        gz = os.path.join(fimi, name + ".dat.gz")
        if not os.path.exists(gz):
            print("skipped", name, "(absent)")
            continue
        plain = os.path.join(tmp, name + ".dat")
        with gzip.open(gz, "rb") as f, open(plain, "wb") as g:
            g.write(f.read())
        runs.append((name + ".dat.gz", gz, opt, val))
        runs.append((name + ".dat", plain, opt, val))
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    alike = dict(env, LD_PRELOAD=":".join(linked_alike(old, new)))
    load = os.getloadavg()
    times, cpu = {}, {}
    for r in range(rounds):
        for label, path, opt, val in runs:
            order = [("old", old, env), ("alike", old, alike), ("new", new, env)]
            if r % 2 == 1:
                order.reverse()
            for tag, exe, run_env in order:
                r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.perf_counter()
                # "-o -", never "-o /dev/null": an old build may replace the file it is
                # given by a renamed temporary (cca4dd1 turned /dev/null into a regular file)
                subprocess.run([exe, "itemsets", path, opt, val, "-o", "-"], env=run_env,
                               check=True, stdout=subprocess.DEVNULL)
                t1 = time.perf_counter()
                r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                times.setdefault((label, tag), []).append((t1 - t0) * 1e3)
                cpu.setdefault((label, tag), []).append(
                    (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1e3)
    print("load average before: %.2f %.2f %.2f; rounds: %d; linked alike: %s" % (
        load[0], load[1], load[2], rounds, alike["LD_PRELOAD"] or "(nothing)"))
    print("| input | old best ms | old linked alike | new best ms | new/old best |"
          " **new/alike best** | new/old median | new/alike median | new/alike CPU (median) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, _, opt, val in runs:
        o, a, n = (times[(label, t)] for t in ("old", "alike", "new"))
        med = statistics.median
        print("| %s (%s %s) | %.2f | %.2f | %.2f | %.3f | **%.3f** | %.3f | %.3f | %.3f |" % (
            label, opt, val, min(o), min(a), min(n), min(n) / min(o), min(n) / min(a),
            med(n) / med(o), med(n) / med(a),
            med(cpu[(label, "new")]) / med(cpu[(label, "alike")])))
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
