#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ipfix_tuples.py NFDUMP_JSON [SYSID]: what a collector stored (nfdump
-o json), summed per 5-tuple over its records, as the sorted list
pcap_aggregate.py prints for the key "5tuple": [src, dst, proto, sport,
dport, packets, bytes].  ICMP and ICMPv6 records carry the type and the
code in the destination port (nfdump shows them as icmp_type and
icmp_code); pcap_aggregate.py has them as the ports.  With SYSID, only
the records of that exporter (nfdump's export_sysid).

--pmacct FILE: the same of what pmacct's nfacctd printed (its print
plugin, print_output json, one object per line and purge, appended),
with the aggregate src_host, dst_host, src_port, dst_port, proto.

--records NFDUMP_JSON SRC DST PROTO SPORT DPORT: how many records the
collector stored of that 5-tuple (their end reasons are not in nfdump's
JSON)."""
import json
import socket
import sys


def tuple_of(r):
    proto = r["proto"]
    if proto in (1, 58):
        ports = (r.get("icmp_type", 0), r.get("icmp_code", 0))
    else:
        ports = (r.get("src_port", 0), r.get("dst_port", 0))
    return (r.get("src4_addr") or r.get("src6_addr"),
            r.get("dst4_addr") or r.get("dst6_addr"), proto) + ports


def records(path, sysid=None):
    text = open(path).read().strip()
    for r in json.loads(text) if text else []:
        if r.get("type") == "FLOW" and (sysid is None or r["export_sysid"] == sysid):
            yield r


def pmacct(path):
    """(5-tuple, packets, bytes) of each line nfacctd printed."""
    for line in open(path):
        r = json.loads(line)
        proto = r["ip_proto"]
        proto = int(proto) if proto.isdigit() else socket.getprotobyname(proto)
        ports = (r["port_src"], r["port_dst"])
        if proto in (1, 58):
            ports = (r["port_dst"] >> 8, r["port_dst"] & 0xff)
        yield (r["ip_src"], r["ip_dst"], proto) + ports, r["packets"], r["bytes"]


def nfdump(path, sysid):
    for r in records(path, sysid):
        yield tuple_of(r), r["in_packets"], r["in_bytes"]


def main():
    if sys.argv[1] == "--records":
        want = tuple(sys.argv[3:6]) + tuple(int(p) for p in sys.argv[6:8])
        want = (want[0], want[1], int(want[2])) + want[3:]
        print(sum(tuple_of(r) == want for r in records(sys.argv[2])))
        return
    if sys.argv[1] == "--pmacct":
        rows = pmacct(sys.argv[2])
    else:
        rows = nfdump(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else None)
    sums = {}
    for k, packets, octets in rows:
        p, b = sums.get(k, (0, 0))
        sums[k] = (p + packets, b + octets)
    print(json.dumps(sorted(list(k) + list(v) for k, v in sums.items())))


if __name__ == "__main__":
    main()
