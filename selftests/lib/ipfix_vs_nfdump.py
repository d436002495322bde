#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ipfix_vs_nfdump.py RECORDS NFDUMP_JSON: hold the flow records a
collector stored (nfdump -o json, TZ=UTC) to the records that were sent
(RECORDS, ipfix_send's input lines), field by field: addresses, ports,
protocol, packets, bytes, first and last ms, TCP flags, interfaces and
direction.  Prints what differs (at most 5) and exits 1, or prints how
many records agree."""
import datetime
import ipaddress
import json
import sys

FLAGS = "CEUAPRSF"      # nfdump's letters, most significant bit first


def sent(path):
    out = []
    for line in open(path):
        (fam, proto, sa, da, sp, dp, octets, packets, start, end, flags,
         _reason, i_if, o_if, direction) = line.split()
        out.append((str(ipaddress.ip_address(sa)),
                    str(ipaddress.ip_address(da)), int(sp), int(dp),
                    int(proto), int(packets), int(octets), int(start),
                    int(end), int(flags), int(i_if), int(o_if),
                    int(direction)))
    return sorted(out)


def ms(text):
    t = datetime.datetime.fromisoformat(text).replace(
        tzinfo=datetime.timezone.utc)
    return round(t.timestamp() * 1000)


def flags(text):
    """nfdump's "...AP.SF" (all 8 letters, . where clear) as bits."""
    bits = 0
    for i, c in enumerate(text):
        if c != ".":
            bits |= 1 << (7 - i)
    return bits


def stored(path):
    out = []
    for r in json.load(open(path)):
        out.append((r.get("src4_addr") or r.get("src6_addr"),
                    r.get("dst4_addr") or r.get("dst6_addr"),
                    r.get("src_port", 0), r.get("dst_port", 0), r["proto"],
                    r["in_packets"], r["in_bytes"], ms(r["first"]),
                    ms(r["last"]), flags(r.get("tcp_flags", "........")), r["input_snmp"],
                    r["output_snmp"], r["direction"]))
    return sorted(out)


def main():
    want, got = sent(sys.argv[1]), stored(sys.argv[2])
    bad = ["%d records stored, %d sent" % (len(got), len(want))] \
        if len(got) != len(want) else []
    bad += ["stored %s, sent %s" % (g, w) for g, w in zip(got, want) if g != w]
    for line in bad[:5] or ["%d records agree" % len(got)]:
        print("# " + line)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
