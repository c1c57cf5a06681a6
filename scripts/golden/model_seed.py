#!/usr/bin/env python3
"""Write small seed model files for fuzz/corpus/model_file/ (the format of
docs/formats/model-file.md). Real models made by `crmkit segment` are added beside them."""
import struct
import sys
import zlib


def model(kind, sections):
    head = b"CRMKMODL" + struct.pack("<I", 1) + kind.encode().ljust(16, b"\0")
    head += struct.pack("<I", len(sections))
    out = head + struct.pack("<I", zlib.crc32(head))
    for tag, payload in sections:
        t = tag.encode().ljust(16, b"\0") + struct.pack("<Q", len(payload))
        out += t + struct.pack("<I", zlib.crc32(payload, zlib.crc32(t))) + payload
    return out


def s(text):
    return struct.pack("<I", len(text)) + text.encode()


folder = sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus/model_file"
seeds = {
    "empty_model": model("segmentation", []),
    "scalars": model("testkind", [("scalars", struct.pack("<Iiqdd", 7, -1, 3, 0.5, 2.0) + s("revenue"))]),
    "two_sections": model("rules", [("a", s("x") * 3), ("b", struct.pack("<4d", 1, 2, 3, 4))]),
}
for name, data in seeds.items():
    with open(f"{folder}/{name}.crmk", "wb") as f:
        f.write(data)
