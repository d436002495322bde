#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pcap_aggregate.py PCAP KEY: packets and IP bytes of PCAP per KEY, from
tshark's reading of it, as JSON: a sorted list of [fields..., packets,
bytes], the fields being those KEY names, in the order src, dst, proto,
sport, dport.

KEY is what the count PM takes ("flowctl.8"): "5tuple", or a comma-
separated list of proto, src, dst, srcdst, sport and dport, where an
address may take an IPv4 prefix length and then an IPv6 one ("src/24",
"src/24/64"; without one, the addresses whole).  The prefixes are
applied with Python's ipaddress module.  Ports are TCP's, UDP's and
SCTP's; for ICMP and ICMPv6, the type and the code.
"""
import ipaddress
import json
from tshark_cache import fields
import sys

FIELDS = ["ip.src", "ip.dst", "ip.proto", "ip.len",
          "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.plen",
          "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
          "sctp.srcport", "sctp.dstport", "icmp.type", "icmp.code",
          "icmpv6.type", "icmpv6.code"]


def parse_key(key):
    """{field: (v4 prefix, v6 prefix) or True}"""
    spec = {}
    for tok in key.split(","):
        name, *lens = tok.split("/")
        if name == "5tuple" and not lens:
            names = ["src", "dst", "proto", "sport", "dport"]
        elif name == "srcdst":
            names = ["src", "dst"]
        else:
            names = [name]
        for n in names:
            if n in ("src", "dst"):
                v4 = int(lens[0]) if lens else 32
                v6 = int(lens[1]) if len(lens) > 1 else 128
                spec[n] = (v4, v6)
            else:
                spec[n] = True
    return spec


def packets(pcap):
    for v in fields(pcap, FIELDS):
        if v["ip.src"]:
            src, dst = v["ip.src"], v["ip.dst"]
            proto, size = int(v["ip.proto"]), int(v["ip.len"])
        elif v["ipv6.src"]:
            src, dst = v["ipv6.src"], v["ipv6.dst"]
            proto, size = int(v["ipv6.nxt"]), int(v["ipv6.plen"]) + 40
        else:
            continue
        ports = (0, 0)
        # An ICMP error quotes the packet it is about, whose ports tshark
        # shows too: the ICMP packet's own are its type and code.
        pairs = {1: [("icmp.type", "icmp.code")],
                 58: [("icmpv6.type", "icmpv6.code")]}.get(proto, [
                     ("tcp.srcport", "tcp.dstport"),
                     ("udp.srcport", "udp.dstport"),
                     ("sctp.srcport", "sctp.dstport")])
        for a, b in pairs:
            if v[a]:
                ports = (int(v[a].split(",")[0]), int(v[b].split(",")[0]))
                break
        yield src, dst, proto, ports, size


def masked(addr, lens):
    a = ipaddress.ip_address(addr)
    plen = lens[0] if a.version == 4 else lens[1]
    return str(ipaddress.ip_network(f"{addr}/{plen}", strict=False).network_address)


def main():
    pcap, key = sys.argv[1], sys.argv[2]
    spec = parse_key(key)
    sums = {}
    for src, dst, proto, (sport, dport), size in packets(pcap):
        k = []
        if "src" in spec:
            k.append(masked(src, spec["src"]))
        if "dst" in spec:
            k.append(masked(dst, spec["dst"]))
        if "proto" in spec:
            k.append(proto)
        if "sport" in spec:
            k.append(sport)
        if "dport" in spec:
            k.append(dport)
        n, b = sums.get(tuple(k), (0, 0))
        sums[tuple(k)] = (n + 1, b + size)
    print(json.dumps(sorted(list(k) + [n, b] for k, (n, b) in sums.items())))


if __name__ == "__main__":
    main()
