#!/usr/bin/env python3
"""snap_meta_edit.py — edits a savepoint's _metadata (docs/savepoint-format.md) and rewrites its
durable-file trailer (content length, CRC-32), so that the only damage a reader can find is the
edit itself. Used by tests/runtime/upgrade.sh.

  snap_meta_edit.py flip-fp FILE HEX   flips the last bit of the first stored fingerprint HEX
  snap_meta_edit.py v1 FILE OP...      rewrites a version 2 file as version 1: drops the
                                       fingerprints stored after each operator's state file name
"""
import struct, sys, zlib


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def main():
    how, path = sys.argv[1], sys.argv[2]
    data = open(path, "rb").read()
    head, content, tail = data[:16], data[16:-16], data[-16:]
    assert tail[12:] == b"PEND" and struct.unpack(">Q", tail[:8])[0] == len(content)
    if how == "flip-fp":
        fp = bytes.fromhex(sys.argv[3])
        at = content.index(fp) + 7
        content = content[:at] + bytes([content[at] ^ 1]) + content[at + 1:]
    elif how == "v1":
        assert struct.unpack(">I", head[8:12])[0] == 2
        for op in sys.argv[3:]:
            name = ("op-%s.state" % op).encode()
            start = content.index(bytes([len(name)]) + name) + 1 + len(name)
            n, i = varint(content, start + 8)
            for _ in range(n):
                ln, i = varint(content, i)
                i += ln + 8
            content = content[:start] + content[i:]
        head = head[:8] + struct.pack(">I", 1) + head[12:]
    else:
        sys.exit("unknown edit " + how)
    crc = zlib.crc32(head + content)
    open(path, "wb").write(head + content + struct.pack(">QI", len(content), crc) + b"PEND")


main()
