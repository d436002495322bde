#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pcap_apps.py PCAP: the bytes of each application protocol in PCAP,
as tshark dissects it, read the way seeds/003 counts protocols: every
packet of a connection goes to the protocol of the connection's first
payload, as JSON {name: bytes} (IP bytes).

A connection is tshark's TCP or UDP stream (tcp.stream, udp.stream).
Its first packet with payload (tcp.len or a UDP length over 8) names
the protocol: the highest layer of frame.protocols among dns, mdns,
dhcp, ntp, ssdp, quic, http, tls, ssh and smtp, else "other/tcp" or
"other/udp"; a connection without payload is "other/...".  Any other IP
packet is "ip/N", N its IP protocol (the outer one: an ICMP error that
quotes a DNS query is ICMP; an IPv6 packet's after its hop-by-hop
options, as an MLD report's ICMPv6).
"""
import json
import sys
from tshark_cache import tshark

APPS = {"dns", "mdns", "dhcp", "ntp", "ssdp", "quic", "http", "tls", "ssh",
        "smtp"}


def app_of(protocols, transport):
    for layer in reversed(protocols.split(":")):
        if layer in APPS:
            return layer
    return "other/" + transport


def main():
    fields = ["frame.protocols", "ip.proto", "ip.len", "ipv6.nxt", "ipv6.plen",
              "ipv6.hopopts.nxt", "tcp.stream", "tcp.len", "udp.stream",
              "udp.length"]
    args = ["-T", "fields", "-E", "occurrence=f"]
    for f in fields:
        args += ["-e", f]
    packets = []
    for line in tshark(sys.argv[1], *args).splitlines():
        protos, p4, l4, p6, l6, hop, ts, tl, us, ul = line.split("\t")
        if p4:
            proto, length = int(p4), int(l4)
        elif p6:
            proto, length = int(hop if p6 == "0" and hop else p6), int(l6) + 40
        else:
            continue			# not IP
        if proto == 6 and ts:
            stream = ("tcp", int(ts))
            payload = int(tl or 0) > 0
        elif proto == 17 and us:
            stream = ("udp", int(us))
            payload = int(ul or 0) > 8
        else:
            packets.append(("ip/%d" % proto, None, length))
            continue
        packets.append((app_of(protos, stream[0]) if payload else None, stream,
                        length))
    first = {}
    for app, stream, _ in packets:
        if stream is not None and app is not None:
            first.setdefault(stream, app)
    out = {}
    for app, stream, length in packets:
        if stream is not None:
            app = first.get(stream, "other/" + stream[0])
        out[app] = out.get(app, 0) + length
    json.dump(out, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
