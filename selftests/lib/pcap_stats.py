#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pcap_stats.py PCAP K H X [ADDR]: what the stats PM must report for
PCAP, from tshark's reading of it, as JSON.  H and X as flowctl takes
them ("10", "2.5"); ADDR as the PM's "addr": which end of a packet its
bytes count for in the address figures, src, dst or both (the default,
each end once).

tshark gives each packet's addresses, IP protocol and IP length; the
figures follow the integer rules of pms/stats/wstats.h, written again
here in Python's unbounded integers: bytes per protocol and per address
(an address counts what it sends and what it receives, once), the top
K, those over H percent of the bytes, those more than X standard
deviations above the mean, and the packet-size mean, stddev and
histogram.
"""
import json
import math
import socket
from tshark_cache import tshark
import sys

SIZE_BOUNDS = [64, 128, 256, 512, 1024, 1500]
U64_MAX = (1 << 64) - 1


def packets(pcap):
    fields = ["ip.src", "ip.dst", "ip.proto", "ip.len",
              "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.plen"]
    args = ["-T", "fields", "-E", "occurrence=f"]
    for f in fields:
        args += ["-e", f]
    for line in tshark(pcap, *args).splitlines():
        s4, d4, p4, l4, s6, d6, p6, l6 = line.split("\t")
        if s4:
            yield socket.AF_INET, s4, d4, int(p4), int(l4)
        elif s6:
            yield socket.AF_INET6, s6, d6, int(p6), int(l6) + 40


def milli(text):
    whole, _, frac = text.partition(".")
    return int(whole) * 1000 + int((frac + "000")[:3])


def spread(counts):
    n = len(counts)
    if not n:
        return 0, 0, 0
    top, shift = max(counts), 0
    while n * (top >> shift) ** 2 > U64_MAX:
        shift += 1
    c = [b >> shift for b in counts]
    mean = sum(c) // n
    return shift, mean, math.isqrt(sum(x * x for x in c) // n - mean * mean)


def heavy(b, total, h):
    shift = 0
    while total >> shift > U64_MAX // 100000:
        shift += 1
    return (b >> shift) * 100000 > h * (total >> shift)


def queries(items, total, k, h, x):
    """items: [(name, bytes)], most bytes first."""
    shift, mean, stddev = spread([b for _, b in items])
    return {
        "all": items,
        "top": items[:k],
        "heavy": [i for i in items if heavy(i[1], total, h)],
        "outlier": [i for i in items
                    if i[1] >> shift > mean + x * stddev // 1000],
        "mean": mean << shift,
        "stddev": stddev << shift,
    }


def main():
    pcap, k, h, x = sys.argv[1], int(sys.argv[2]), milli(sys.argv[3]), milli(sys.argv[4])
    mode = sys.argv[5] if len(sys.argv) > 5 else "both"
    protos, addrs = {}, {}
    n = total = sumsq = 0
    hist = [0] * (len(SIZE_BOUNDS) + 1)
    for fam, src, dst, proto, length in packets(pcap):
        n += 1
        total += length
        sumsq += length * length
        hist[sum(length >= b for b in SIZE_BOUNDS)] += 1
        protos[proto] = protos.get(proto, 0) + length
        for a in {"src": [src], "dst": [dst], "both": {src, dst}}[mode]:
            key = (fam, socket.inet_pton(fam, a))
            addrs[key] = addrs.get(key, 0) + length
    mean = total // n if n else 0
    out = {
        "packets": n, "bytes": total, "size_mean": mean,
        "size_stddev": math.isqrt(sumsq // n - mean * mean) if n else 0,
        "sizes": hist,
        "protocols": queries(sorted(protos.items(), key=lambda i: (-i[1], i[0])),
                             total, k, h, x),
        "addrs": queries([(socket.inet_ntop(key[0], key[1]), b) for key, b in
                          sorted(addrs.items(), key=lambda i: (-i[1], i[0]))],
                         total, k, h, x),
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
