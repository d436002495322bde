#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""mkcorpus.py OUTDIR PCAP...: the parser fuzzer's seed corpus, from real
captures: each distinct Ethernet frame, and the same frame from its IP
header on (as the IPv4 and IPv6 entry points see a packet), one file
each.  Reads classic little-endian pcap files with Ethernet framing."""
import hashlib
import os
import struct
import sys

ETHERTYPES = {0x0800, 0x86DD}


def frames(path):
    with open(path, "rb") as f:
        head = f.read(24)
        magic, _, _, _, _, _, linktype = struct.unpack("<IHHiIII", head)
        if magic not in (0xA1B2C3D4, 0xA1B23C4D) or linktype != 1:
            sys.exit("mkcorpus: %s: not a little-endian Ethernet pcap" % path)
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            caplen = struct.unpack("<IIII", rec)[2]
            yield f.read(caplen)


def main():
    out, pcaps = sys.argv[1], sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    seeds = set()
    for pcap in pcaps:
        for frame in frames(pcap):
            seeds.add(frame)
            if len(frame) > 14 and struct.unpack(">H", frame[12:14])[0] in ETHERTYPES:
                seeds.add(frame[14:])
    for seed in seeds:
        name = hashlib.sha1(seed).hexdigest()
        with open(os.path.join(out, name), "wb") as f:
            f.write(seed)
    print(len(seeds))


main()
