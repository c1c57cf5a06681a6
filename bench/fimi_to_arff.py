#!/usr/bin/env python3
"""fimi_to_arff.py: FIMI transactions (plain or .gz) -> sparse ARFF of binary attributes, the
input Weka's FP-Growth needs. One attribute i<item> {0,1} per distinct item (ascending)."""
import gzip
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    opener = gzip.open if src.endswith(".gz") else open
    with opener(src, "rt") as f:
        trans = [sorted(set(int(x) for x in line.split())) for line in f]
    items = sorted({i for t in trans for i in t})
    col = {item: k for k, item in enumerate(items)}
    with open(dst, "w") as out:
        out.write("@relation fimi\n")
        for item in items:
            out.write("@attribute i%d {0,1}\n" % item)
        out.write("@data\n")
        for t in trans:
            out.write("{" + ",".join("%d 1" % col[i] for i in t) + "}\n")


if __name__ == "__main__":
    main()
