#!/usr/bin/env python3
"""itemsets_read.py: the whole `crmkit itemsets` (start, read, mine, write SPMF to a discarded
standard output) on the FIMI files, from .gz and from plain text, for two crmkit binaries (a
commit before a change and after it), interleaved in one run: each round runs every case with both binaries, in an
order that alternates, so that both see the same machine. Prints best and median wall
milliseconds of each and the ratio new / old (below 1: faster).

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
    load = os.getloadavg()
    times, cpu = {}, {}
    for r in range(rounds):
        for label, path, opt, val in runs:
            order = [("old", old), ("new", new)] if r % 2 == 0 else [("new", new), ("old", old)]
            for tag, exe in order:
                r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.perf_counter()
                # "-o -", never "-o /dev/null": an old build may replace the file it is
                # given by a renamed temporary (cca4dd1 turned /dev/null into a regular file)
                subprocess.run([exe, "itemsets", path, opt, val, "-o", "-"], env=env,
                               check=True, stdout=subprocess.DEVNULL)
                t1 = time.perf_counter()
                r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                times.setdefault((label, tag), []).append((t1 - t0) * 1e3)
                cpu.setdefault((label, tag), []).append(
                    (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1e3)
    print("load average before: %.2f %.2f %.2f; rounds: %d" % (load[0], load[1], load[2], rounds))
    print("| input | old best ms | new best ms | **new/old best** | old median | new median |"
          " new/old median | old CPU ms (median) | new CPU ms | new/old CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, _, opt, val in runs:
        o, n = times[(label, "old")], times[(label, "new")]
        co, cn = statistics.median(cpu[(label, "old")]), statistics.median(cpu[(label, "new")])
        print("| %s (%s %s) | %.2f | %.2f | **%.3f** | %.2f | %.2f | %.3f | %.1f | %.1f | %.3f |" % (
            label, opt, val, min(o), min(n), min(n) / min(o), statistics.median(o),
            statistics.median(n), statistics.median(n) / statistics.median(o), co, cn, cn / co))
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
