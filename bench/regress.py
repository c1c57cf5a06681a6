#!/usr/bin/env python3
"""regress.py: driver of bench/regress.sh (see there for usage and environment)."""
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

OLD, NEW, ROUNDS, FILTER = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ROOT = os.environ["REGRESS_ROOT"]
ROWS = int(os.environ["REGRESS_ROWS"])
CDR_CUST = int(os.environ["REGRESS_CDR_CUSTOMERS"])
WORK = os.environ["REGRESS_WORK"]
SLOW = float(os.environ["REGRESS_SLOW"])
FIMI = os.path.join(ROOT, "..", "shared", "data", "fimi")
TELCO = os.path.join(ROOT, "tests", "data", "telco_churn.csv.gz")
# as bench/fim_vs_weka.sh (minimum support counts), so the rows of bench/results/fim.md
FIM_SPECS = [("chess", 2877), ("chess", 2557), ("mushroom", 4062), ("mushroom", 2438),
             ("mushroom", 1625), ("retail", 882), ("retail", 441), ("retail", 89),
             ("T10I4D100K", 1000), ("T10I4D100K", 500), ("T10I4D100K", 100), ("connect", 64180)]
ALGOS = ["c45", "gbt", "logreg", "nb", "knn", "svm", "mlp"]
ENV = dict(os.environ)
for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "CRMKIT_WAIT_POLICY_SET"):
    ENV.pop(k, None)
# both sides wait the same way: the old build's OpenMP threads spin by default, and spinning
# beside other work on 2 cores is CPU time that says nothing about the code
ENV["OMP_WAIT_POLICY"] = "passive"
HEAVY_ROUNDS = int(os.environ.get("REGRESS_HEAVY_ROUNDS", "3"))

SIDES = {"old": OLD, "new": NEW}
_help = {}


def crm(side):
    return os.path.join(SIDES[side], "crmkit")


def help_text(side, *cmd):
    key = (side,) + cmd
    if key not in _help:
        p = subprocess.run([crm(side)] + list(cmd) + ["--help"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=ENV)
        _help[key] = p.stdout.decode("utf-8", "replace") if p.returncode == 0 else None
    return _help[key]


def has_command(side, *cmd):
    return help_text(side, *cmd) is not None


def has_option(side, opt, *cmd):
    h = help_text(side, *cmd)
    return h is not None and re.search(re.escape(opt) + r"\b", h) is not None


def out(side, name):
    d = os.path.join(WORK, "out", side)
    os.makedirs(d, exist_ok=True)
    return os.path.join(d, name)


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            n += block.count(b"\n")
    return n


def run_timed(argv, stdout_path=None, env=None):
    """Runs argv, returns (cpu seconds of the process and its threads, wall seconds)."""
    so = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=so, stderr=subprocess.PIPE, env=env or ENV)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if stdout_path:
        so.close()
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(argv), p.returncode,
                                                err.decode("utf-8", "replace")[-400:]))
    return ru.ru_utime + ru.ru_stime, wall


def fix(side, argv):
    """argv as this side accepts it: --quiet dropped where a command has no such option."""
    if os.path.basename(argv[0]) == "crmkit" and "--quiet" in argv and \
            not has_option(side, "--quiet", argv[1]):
        argv = [a for a in argv if a != "--quiet"]
    return argv


class Bench:
    """name, argv builder per side, optional check(side) -> text that must agree, and
    prerequisites run once per side before timing (e.g. a model to predict with)."""

    def __init__(self, name, argv, check=None, pre=None, stdout=None, env=None):
        self.name, self.check, self.pre, self.stdout, self.env = name, check, pre, stdout, env
        self.argv = (lambda s: fix(s, argv(s))) if argv else None
        self.rounds = ROUNDS
        self.skip = None
        self.cpu = {"old": [], "new": []}
        self.wall = {"old": [], "new": []}
        self.agree = ""


def prepare():
    os.makedirs(WORK, exist_ok=True)
    data = {}
    for name in sorted({n for n, _ in FIM_SPECS}):
        gz = os.path.join(FIMI, name + ".dat.gz")
        if not os.path.exists(gz):
            continue
        plain = os.path.join(WORK, name + ".dat")
        if not os.path.exists(plain):
            with gzip.open(gz, "rb") as f, open(plain + ".part", "wb") as g:
                shutil.copyfileobj(f, g)
            os.rename(plain + ".part", plain)
        data[name] = (gz, plain)
    cust = os.path.join(WORK, "cust%d.csv" % ROWS)
    if not os.path.exists(cust):
        subprocess.run([crm("new"), "gen", "customers", "--rows", str(ROWS), "--seed", "7",
                        "-o", cust, "--quiet"], check=True, env=ENV)
    data["cust"] = cust
    cdr = os.path.join(WORK, "cdr%d.csv" % CDR_CUST)
    if not os.path.exists(cdr) and has_command("new", "gen", "cdr"):
        subprocess.run([crm("new"), "gen", "cdr", "--customers", str(CDR_CUST), "--days", "6",
                        "--seed", "42", "-o", cdr, "--quiet"], check=True, env=ENV)
    data["cdr"] = cdr
    csvf = os.path.join(WORK, "csv_1000000x16.csv")
    bc = os.path.join(NEW, "bench", "bench_csv")
    if not os.path.exists(csvf) and os.path.exists(bc):
        subprocess.run([bc, "make", csvf, "1000000", "16"], check=True, env=ENV,
                       stdout=subprocess.DEVNULL)
    data["csv"] = csvf
    if "retail" in data:
        sub = os.path.join(WORK, "retail20k.dat")
        if not os.path.exists(sub):
            with open(data["retail"][1], "rb") as f, open(sub, "wb") as g:
                for i, line in enumerate(f):
                    if i == 20000:
                        break
                    g.write(line)
        data["retail20k"] = sub
    # every input read once so the page cache holds it for both sides
    for p in [TELCO, cust, cdr, csvf] + [x for n in data if isinstance(data[n], tuple)
                                           for x in data[n]]:
        if os.path.exists(p):
            with open(p, "rb") as f:
                while f.read(1 << 22):
                    pass
    return data


def itemsets_check(side, path):
    return "%d itemsets" % count_lines(path)


def define(data):
    B = []
    # start-up: what every command pays before its work
    B.append(Bench("start-up: crmkit --version", lambda s: [crm(s), "--version"]))
    dflt = {k: v for k, v in ENV.items() if k != "OMP_WAIT_POLICY"}
    B.append(Bench("start-up: crmkit --version, no OMP_WAIT_POLICY (as users run it)",
                   lambda s: [crm(s), "--version"], env=dflt))
    # itemsets: the whole command as bench/fim_vs_weka.sh times it (SPMF to a file)
    for name, sup in FIM_SPECS:
        if name not in data:
            b = Bench("itemsets %s %d" % (name, sup), None)
            b.skip = "%s.dat.gz absent from %s" % (name, FIMI)
            B.append(b)
            continue
        for kind, path in (("gz", data[name][0]), ("plain", data[name][1])):
            o = lambda s, n=name, k=kind, c=sup: out(s, "is_%s_%s_%d.txt" % (n, k, c))
            B.append(Bench("itemsets %s.%s %d" % (name, "dat.gz" if kind == "gz" else "dat", sup),
                           lambda s, p=path, c=sup, o=o: [crm(s), "itemsets", p, "--minsup-count",
                                                          str(c), "-o", o(s), "--quiet"],
                           check=lambda s, o=o: itemsets_check(s, o(s))))
    # rules and recommend on retail (support 0.5%, confidence 0.3)
    if "retail" in data:
        rr = lambda s: out(s, "retail.crmr")
        B.append(Bench("rules retail.dat.gz 0.005/0.3",
                       lambda s: [crm(s), "rules", data["retail"][0], "--format", "fimi",
                                  "--minsup", "0.005", "--minconf", "0.3", "-o", rr(s), "--quiet"],
                       check=lambda s: rules_check(s, rr(s))))
        rec = lambda s: out(s, "recommend.csv")
        B.append(Bench("recommend first 20,000 retail baskets (rules above)",
                       lambda s: [crm(s), "recommend", rr(s), "--baskets", data["retail20k"],
                                  "--format", "fimi", "--top", "5", "-o", rec(s), "--quiet"],
                       check=lambda s: "%d rows" % count_lines(rec(s)),
                       pre=lambda s: run_timed([crm(s), "rules", data["retail"][0], "--format",
                                                "fimi", "--minsup", "0.005", "--minconf",
                                                "0.3", "-o", rr(s), "--quiet"])))
    # segment and assign: k fixed (the default k search differs between versions)
    for label, path, k in (("telco", TELCO, 6), ("cust%d" % ROWS, data["cust"], 6)):
        m = lambda s, l=label: out(s, "seg_%s.crmk" % l)
        lab = lambda s, l=label: out(s, "lab_%s.csv" % l)
        seg = lambda s, p=path, m=m, k=k: [crm(s), "segment", p, "--k", str(k), "--seed", "1",
                                           "-o", m(s), "--quiet"]
        B.append(Bench("segment %s --k %d" % (label, k), seg))
        B.append(Bench("assign %s" % label,
                       lambda s, p=path, m=m, lab=lab: [crm(s), "assign", m(s), p, "-o", lab(s),
                                                        "--quiet"],
                       check=lambda s, lab=lab: "%d rows" % count_lines(lab(s)),
                       pre=lambda s, seg=seg: run_timed(seg(s))))
    # train and predict on telco, every algorithm
    for a in ALGOS:
        mf = lambda s, a=a: out(s, "telco_%s.crmc" % a)
        pf = lambda s, a=a: out(s, "pred_%s.csv" % a)
        tr = lambda s, a=a, mf=mf: [crm(s), "train", TELCO, "--target", "Churn", "--drop",
                                    "customerID", "--algo", a, "--seed", "1", "-o", mf(s),
                                    "--quiet"]
        B.append(Bench("train %s telco" % a, tr))
        B.append(Bench("predict %s telco" % a,
                       lambda s, mf=mf, pf=pf: [crm(s), "predict", mf(s), TELCO, "-o", pf(s),
                                                "--quiet"],
                       check=lambda s, pf=pf: "%d rows" % count_lines(pf(s)),
                       pre=lambda s, tr=tr: run_timed(tr(s))))
    # cdr features
    cf = lambda s: out(s, "cdr_features.csv")
    B.append(Bench("cdr %d customers x 6 days" % CDR_CUST,
                   lambda s: [crm(s), "cdr", data["cdr"], "-o", cf(s), "--quiet"],
                   check=lambda s: "%d rows" % count_lines(cf(s))))
    # CSV load: the library's reader through bench_csv (one read, 2 threads)
    B.append(Bench("csv load 1M x 16 (bench_csv, 2 threads)",
                   lambda s: [os.path.join(SIDES[s], "bench", "bench_csv"), "read", data["csv"],
                              "1", "2"]))
    return B


def rules_check(side, path):
    p = subprocess.run([crm(side), "show", path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=ENV)
    m = re.search(rb", (\d+) rules,", p.stdout)
    return (m.group(1).decode() + " rules") if m else "?"


def applicable(b, data):
    if b.skip:
        return
    for s in ("old", "new"):
        argv = b.argv(s)
        exe = argv[0]
        if not os.path.exists(exe):
            b.skip = "%s absent in the %s build" % (os.path.basename(exe), s)
            return
        if exe.endswith("crmkit"):
            cmd = argv[1]
            if not has_command(s, cmd):
                b.skip = "no 'crmkit %s' in the %s build" % (cmd, s)
                return
            for opt in argv[2:]:
                if opt.startswith("--") and opt != "--quiet" and not has_option(s, opt, cmd):
                    b.skip = "'crmkit %s' of the %s build has no %s" % (cmd, s, opt)
                    return
        for a in argv[1:]:
            if a.startswith(WORK) and "/out/" not in a and not os.path.exists(a):
                b.skip = "input %s absent" % a
                return


def main():
    load0 = open("/proc/loadavg").read().split()[:3]
    t_start = time.time()
    data = prepare()
    benches = [b for b in define(data) if re.search(FILTER, b.name)]
    for b in benches:
        applicable(b, data)
    live = [b for b in benches if not b.skip]
    # once per side: prerequisites and a first run (warms caches, checks the outputs agree)
    for b in live:
        try:
            for s in ("old", "new"):
                if b.pre:
                    b.pre(s)
                c, _ = run_timed(b.argv(s), env=b.env)
                if c > 2.0:
                    b.rounds = min(ROUNDS, HEAVY_ROUNDS)
            if b.check:
                co, cn = b.check("old"), b.check("new")
                b.agree = co if co == cn else "DIFFER: old %s, new %s" % (co, cn)
        except RuntimeError as e:
            b.skip = "failed: %s" % e
    live = [b for b in live if not b.skip]
    loads = []
    for r in range(ROUNDS):
        loads.append(float(open("/proc/loadavg").read().split()[0]))
        for b in live:
            if r >= b.rounds:
                continue
            order = ("old", "new") if r % 2 == 0 else ("new", "old")
            for s in order:
                c, w = run_timed(b.argv(s), env=b.env)
                b.cpu[s].append(c)
                b.wall[s].append(w)
    load1 = open("/proc/loadavg").read().split()[:3]
    print("old build %s, new build %s; %d rounds; %s" % (OLD, NEW, ROUNDS,
                                                          time.strftime("%Y-%m-%d %H:%M UTC",
                                                                        time.gmtime(t_start))))
    print("load average before %s, after %s; 1-min load at each round's start: %s" % (
        " ".join(load0), " ".join(load1), " ".join("%.1f" % x for x in loads)))
    print()
    print("| benchmark | rounds | old CPU s (median) | new CPU s (median) | new/old | "
          "old wall (median) | new wall | outputs | flag |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    flagged = []
    for b in benches:
        if b.skip:
            print("| %s | | | | | | | skipped: %s | |" % (b.name, b.skip.replace("\n", " ")))
            continue
        co, cn = statistics.median(b.cpu["old"]), statistics.median(b.cpu["new"])
        wo, wn = statistics.median(b.wall["old"]), statistics.median(b.wall["new"])
        ratio = cn / co if co > 0 else float("nan")
        flag = "**SLOWER**" if ratio > SLOW else ""
        if flag:
            flagged.append(b.name)
        print("| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %s | %s |" % (
            b.name, len(b.cpu["old"]), co, cn, ratio, wo, wn, b.agree or "-", flag))
    print()
    print("flagged (new/old CPU > %.2f): %s" % (SLOW, ", ".join(flagged) if flagged else "none"))
    print("total %.0f s" % (time.time() - t_start))


if __name__ == "__main__":
    main()
