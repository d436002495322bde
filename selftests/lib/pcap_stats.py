#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pcap_stats.py [--after EPOCH] [--until EPOCH] PCAP K H X [ADDR [PREFIX...]]:
what the stats PM must report for PCAP, from tshark's reading of it, as
JSON; with --after and --until, for the packets captured after the
first and up to the second (seconds, as "date +%s.%N" prints them)
only: a sliding view's (now - T, now].  H and X as
flowctl takes them ("10", "2.5"); ADDR as the PM's "addr": which end of
a packet its bytes count for in the address figures, src, dst or both
(the default, each end once).  PREFIXes as the PM's "internal": then
protocols, addresses and the queries' total ("external_bytes") count
only the packets with one end inside a prefix and the other outside.

tshark gives each packet's addresses, IP protocol and IP length.  The
figures are the seed's definitions read with exact rationals (Python's
Fraction and statistics modules), not the PM's integer rules: bytes per
protocol and per address (an address counts what it sends and what it
receives, once), the top K, those over H percent of the bytes, those
more than X population standard deviations above the mean, and the
packet-size mean, stddev and histogram.  Means and standard deviations
are reported rounded down, as the PM reports them.
"""
from fractions import Fraction
import ipaddress
import json
import math
import socket
import statistics
from tshark_cache import tshark
import sys

SIZE_BOUNDS = [64, 128, 256, 512, 1024, 1500]


def packets(pcap, after, until):
    fields = ["frame.time_epoch", "ip.src", "ip.dst", "ip.proto", "ip.len",
              "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.plen"]
    args = ["-T", "fields", "-E", "occurrence=f"]
    for f in fields:
        args += ["-e", f]
    for line in tshark(pcap, *args).splitlines():
        when, s4, d4, p4, l4, s6, d6, p6, l6 = line.split("\t")
        if after is not None and Fraction(when) <= after:
            continue
        if until is not None and Fraction(when) > until:
            continue
        if s4:
            yield socket.AF_INET, s4, d4, int(p4), int(l4)
        elif s6:
            yield socket.AF_INET6, s6, d6, int(p6), int(l6) + 40


def moments(values):
    """The population mean and variance, exact."""
    values = [Fraction(v) for v in values]
    if not values:
        return Fraction(0), Fraction(0)
    return statistics.mean(values), statistics.pvariance(values)


def floor_sqrt(q):
    return math.isqrt(math.floor(q))    # = floor(sqrt(q)) for q >= 0


def outlier(b, mean, var, x):
    """b > mean + x * sqrt(var), squared where both sides are >= 0."""
    return b > mean and (b - mean) ** 2 > x * x * var


def queries(items, total, k, h, x):
    """items: [(name, bytes)], most bytes first."""
    mean, var = moments([b for _, b in items])
    return {
        "all": items,
        "top": items[:k],
        "heavy": [i for i in items if total and Fraction(i[1], total) > h / 100],
        "outlier": [i for i in items if outlier(i[1], mean, var, x)],
        "mean": math.floor(mean),
        "stddev": floor_sqrt(var),
    }


def main():
    args, after, until = sys.argv[1:], None, None
    while args[0] in ("--after", "--until"):
        if args[0] == "--after":
            after = Fraction(args[1])
        else:
            until = Fraction(args[1])
        args = args[2:]
    pcap, k, h, x = args[0], int(args[1]), Fraction(args[2]), Fraction(args[3])
    mode = args[4] if len(args) > 4 else "both"
    internal = [ipaddress.ip_network(p) for p in args[5:]]

    def inside(a):
        return any(ipaddress.ip_address(a) in net for net in internal)

    protos, addrs = {}, {}
    n = total = external = 0
    sizes = []
    hist = [0] * (len(SIZE_BOUNDS) + 1)
    for fam, src, dst, proto, length in packets(pcap, after, until):
        n += 1
        total += length
        sizes.append(length)
        hist[sum(length >= b for b in SIZE_BOUNDS)] += 1
        if internal and inside(src) == inside(dst):
            continue
        external += length
        protos[proto] = protos.get(proto, 0) + length
        for a in {"src": [src], "dst": [dst], "both": {src, dst}}[mode]:
            key = (fam, socket.inet_pton(fam, a))
            addrs[key] = addrs.get(key, 0) + length
    size_mean, size_var = moments(sizes)
    out = {
        "packets": n, "bytes": total, "size_mean": math.floor(size_mean),
        "size_stddev": floor_sqrt(size_var),
        "sizes": hist,
        "external_bytes": external,
        "protocols": queries(sorted(protos.items(), key=lambda i: (-i[1], i[0])),
                             external, k, h, x),
        "addrs": queries([(socket.inet_ntop(key[0], key[1]), b) for key, b in
                          sorted(addrs.items(), key=lambda i: (-i[1], i[0]))],
                         external, k, h, x),
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
