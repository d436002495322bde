#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""reasm_seeds.py OUTDIR: the reassembly fuzzer's seed corpus
(reasm_fuzz.c says what its input means): the queue's worst cases, a
hole then more one-byte segments than the queue may hold, in ascending and descending
order, under a large queue and under a small segment cap, holes
acknowledged by the other side, and large segments over many tiny ones
queued."""
import hashlib
import os
import sys

SYN, FIN, ACK, BURST = 0x02, 0x01, 0x10, 0x80


def conf(limit_nibble, shift_sel, cap_sel):
    """The first byte: a queue of limit_nibble << (6 + 2 * shift_sel)
    bytes and seg_caps[cap_sel] segments (it sets the ISN too)."""
    return bytes([limit_nibble | cap_sel << 4 | shift_sel << 6])


def seg(off, flags, length):
    return bytes([off & 0xff, off >> 8, flags, length])


def bursts(start, end):
    """One-byte segments at [start, end), 255 a record."""
    out = b""
    while start < end:
        n = min(255, end - start)
        out += seg(start, BURST, n)
        start += n
    return out


def seeds():
    big = conf(0xf, 3, 0)          # 61440 bytes, 1024 segments
    capped = conf(0xf, 3, 3)       # 61440 bytes, 32 segments
    small = conf(0x4, 0, 0)        # 256 bytes
    n = 1100                       # just past the segment cap
    tail = seg(0, 0, 1) + seg(n, FIN, 1)
    yield big + seg(0, SYN, 0) + bursts(1, n) + tail
    yield big + bursts(1, n) + tail
    yield capped + seg(0, SYN, 0) + bursts(1, n) + tail
    yield small + seg(0, SYN, 0) + bursts(1, n) + tail
    # Descending: every segment goes in front of all the others.
    yield big + seg(0, SYN, 0) + b"".join(
        seg(off, 0, 1) for off in range(300, 0, -1)) + tail
    # Holes the other side acknowledges, one at a time, then past all.
    yield big + seg(0, SYN, 0) + b"".join(
        seg(start, 0, 20) + seg(start - 10, ACK, 5)
        for start in range(11, 2000, 30)) + seg(0, ACK, 255) + tail
    # Large segments replacing the tiny ones they cover.
    yield big + seg(0, SYN, 0) + b"".join(
        bursts(start, start + 200) + seg(start, 0, 255)
        for start in range(1, n, 300)) + tail


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    n = 0
    for seed in seeds():
        with open(os.path.join(out, hashlib.sha1(seed).hexdigest()), "wb") as f:
            f.write(seed)
        n += 1
    print(n)


main()
