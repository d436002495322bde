#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pcap_matches.py PCAP PATTERN...: what a pattern matcher over reassembled
payload must find in PCAP, computed by tshark, as JSON:

  {"patterns": {PATTERN: count}, "conns": {"SPORT-DPORT": {PATTERN: count}},
   "bytes": payload bytes in order, "dup_bytes": TCP bytes seen again,
   "gap_bytes": TCP bytes missing from the capture}

TCP streams are reassembled by tshark ("follow,tcp,raw": sequence order,
retransmissions and overlaps once); UDP payloads count one by one.
Occurrences overlap ("aa" is twice in "aaa").  Patterns are as the match
PM takes them: text, or hex:HEX.

Where bytes of a side are missing from the capture, tshark's follow
puts a note in their place ("[N bytes missing in capture file]" and a
NUL, as if it were data): the note is no payload, its N bytes are
gap_bytes, and a pattern does not count across it, as the reassembler
does not join the bytes on either side of a gap.
"""
import json
import re
import sys

from tshark_cache import tshark

MISSING = re.compile(rb"\[(\d+) bytes missing in capture file\]\0")
# What begins the section of one stream in tshark's follow output.
FILTER = re.compile(r"Filter: tcp\.stream (?:eq|==) (\d+)")


def decode(p):
    if p.startswith("hex:"):
        return bytes.fromhex(p[4:])
    return (p[4:] if p.startswith("str:") else p).encode()


def count(data, pat):
    n, i = 0, data.find(pat)
    while i >= 0:
        n, i = n + 1, data.find(pat, i + 1)
    return n


def follow(pcap, streams):
    """The two sides of each TCP stream, by stream: (ports, [client
    pieces, server pieces], bytes missing), a side's pieces being its
    bytes between the holes of the capture.  One tshark run follows them
    all, each in a section that names its stream."""
    args = []
    for s in streams:
        args += ["-z", "follow,tcp,raw,%d" % s]
    res, stream = {}, None
    for line in tshark(pcap, "-q", *args).splitlines() if args else []:
        section = FILTER.fullmatch(line)
        if section:
            stream = int(section.group(1))
            res[stream] = [None, [[b""], [b""]], 0]
        elif stream is None:
            continue
        elif line.startswith("Node 0:"):
            port0 = line.rsplit(":", 1)[1]
        elif line.startswith("Node 1:"):
            res[stream][0] = "%s-%s" % (port0, line.rsplit(":", 1)[1])
        elif line and all(c in "0123456789abcdef\t" for c in line) and \
                line.strip():
            side = 1 if line.startswith("\t") else 0
            data = bytes.fromhex(line.strip())
            hole = MISSING.fullmatch(data)
            sides = res[stream][1]
            if hole:
                res[stream][2] += int(hole.group(1))
                sides[side].append(b"")
            else:
                sides[side][-1] += data
    return res


def main():
    pcap, pats = sys.argv[1], sys.argv[2:]
    res = {"patterns": {p: 0 for p in pats}, "conns": {}, "bytes": 0,
           "dup_bytes": 0, "gap_bytes": 0}
    streams, tcp_bytes, udp = set(), 0, []
    for line in tshark(pcap, "-T", "fields", "-e", "tcp.stream", "-e",
                       "tcp.len", "-e", "udp.payload").splitlines():
        stream, length, payload = (line.split("\t") + ["", "", ""])[:3]
        if stream:
            streams.add(int(stream))
            tcp_bytes += int(length or 0)
        if payload:
            udp.append(payload)
    followed = follow(pcap, sorted(streams))
    for s in sorted(streams):
        ports, sides, gap = followed[s]
        pieces = sides[0] + sides[1]
        conn = {}
        for p in pats:
            n = sum(count(d, decode(p)) for d in pieces)
            res["patterns"][p] += n
            if n:
                conn[p] = n
        res["conns"][ports] = conn
        res["bytes"] += sum(len(d) for d in pieces)
        res["gap_bytes"] += gap
    res["dup_bytes"] = tcp_bytes - res["bytes"]
    for payload in udp:
        data = bytes.fromhex(payload.replace(":", ""))
        res["bytes"] += len(data)
        for p in pats:
            res["patterns"][p] += count(data, decode(p))
    json.dump(res, sys.stdout, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
