#!/usr/bin/env python3
"""Patch fields inside a crmkit model file and recompute every CRC, so that the change gets
past the container checks and reaches the decoders (docs/formats/model-file.md).

usage: model_patch.py IN OUT SECTION[/NESTED...] OFFSET TYPE VALUE [...more patches]
SECTION is a section tag; a nested model (a section whose payload is itself a model file,
such as a classifier's "prepraw") is entered with "/". OFFSET is a byte offset inside the
payload, or "set0rule" for the first rule of the rules file's set.0 (n_lhs). TYPE is u32,
i32 or i64."""
import struct
import sys
import zlib


def parse(buf):
    n = struct.unpack_from("<I", buf, 28)[0]
    pos, out = 36, []
    for _ in range(n):
        tag = buf[pos:pos + 16].rstrip(b"\0").decode()
        ln = struct.unpack_from("<Q", buf, pos + 16)[0]
        out.append([tag, bytearray(buf[pos + 28:pos + 28 + ln])])
        pos += 28 + ln
    return bytearray(buf[:36]), out


def build(head, secs):
    head[28:32] = struct.pack("<I", len(secs))
    head[32:36] = struct.pack("<I", zlib.crc32(bytes(head[:32])))
    out = bytearray(head)
    for tag, payload in secs:
        h = tag.encode().ljust(16, b"\0") + struct.pack("<Q", len(payload))
        out += h + struct.pack("<I", zlib.crc32(bytes(payload), zlib.crc32(h))) + payload
    return out


def patch(buf, path, offset, typ, value):
    head, secs = parse(buf)
    for s in secs:
        if s[0] == path[0]:
            if len(path) > 1:
                s[1] = patch(s[1], path[1:], offset, typ, value)
            else:
                if offset == "set0rule":
                    # name (u32 length + bytes), n_transactions, min_count, item counts,
                    # rule count, then the rule: 3 x i64, n_lhs i32, n_rhs i32
                    n_items = ITEMS
                    name_len = struct.unpack_from("<I", s[1], 0)[0]
                    offset = 4 + name_len + 16 + 8 * n_items + 8 + 24
                struct.pack_into({"u32": "<I", "i32": "<i", "i64": "<q"}[typ], s[1], int(offset),
                                 int(value, 0))
            return build(head, secs)
    sys.exit("no section " + path[0])


ITEMS = 0
if __name__ == "__main__":
    data = bytearray(open(sys.argv[1], "rb").read())
    args = sys.argv[3:]
    while args:
        where, off, typ, val = args[:4]
        args = args[4:]
        if off.startswith("set0rule:"):
            ITEMS = int(off.split(":")[1])
            off = "set0rule"
        data = patch(data, where.split("/"), off, typ, val)
    open(sys.argv[2], "wb").write(data)
