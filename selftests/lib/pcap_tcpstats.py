#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pcap_tcpstats.py [--live] CAPTURE EVENTS STATS NAME: hold what the tcpstats
instance NAME reported against tshark's reading of CAPTURE, taken where
the PM's flow sees the packets.

Its connections are the "conn_end" events of NAME in EVENTS (flowctl -j
monitor) and the rows of its "conns" table in STATS (flowctl -j stats:
those still open).  tshark's are its tcp.stream conversations, the
client being the sender of each one's first frame.  Prints one line per
figure:

    <figure> <connections that disagree> <connections compared> [examples]

The truth is tshark's alone: frames, payload, and its tcp.analysis
flags per direction; its initial RTT, to RTT_SLACK_MS; the end
of a connection from its flags (a RST: rst; a FIN each way: fin).

--live: CAPTURE is a live transfer's, stamped where the PM's hook reads
its own clock up to RTT_SLACK_MS later (below).  Two of tshark's flags
rest on comparing times with thresholds: a resent segment is out of
order when it comes within the initial RTT of the highest one, and a
fast retransmission when within 20 ms of the duplicate ACK.  The PM
makes the same comparisons on its own times, so a resent segment near
a threshold may be the other kind for it (seen twice in three runs of
tcpstats_netem.sh: 2/11 against tshark's 3/10, 5/9 against 6/8).  Then
only their sum, each way, must be tshark's; the kinds are shown.  The
rules themselves are held to tshark frame by frame, on the same stamps,
by selftests/unit/tcpa_tshark.sh.
"""
import json
import sys
from tshark_cache import fields

# tcpdump stamps a packet when veth queues it to the backlog, the PM
# when the netfilter hook runs it, after the backlog: the same packet,
# read at two points.  Under TCG a packet that runs cold (retranslated)
# code between the two, the first of a connection after an idle gap and
# above all the very first, was seen to reach the hook 1.5 to 6 ms after
# its stamp on a busy host, shortening the RTT the PM sees by as much.
# The capture's handshake halves are 20 and 30 ms (mktcp.py), so a wrong
# pair of packets or a wrong unit is still off by more than the slack.
RTT_SLACK_MS = 10

FIELDS = ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "tcp.dstport",
          "tcp.len", "tcp.flags.fin", "tcp.flags.reset",
          "tcp.analysis.initial_rtt", "tcp.analysis.retransmission",
          "tcp.analysis.out_of_order", "tcp.analysis.duplicate_ack",
          "tcp.analysis.zero_window"]
COUNTED = [("packets", None), ("payload", "tcp.len"),
           ("retrans", "tcp.analysis.retransmission"),
           ("out_of_order", "tcp.analysis.out_of_order"),
           ("dup_acks", "tcp.analysis.duplicate_ack"),
           ("zero_windows", "tcp.analysis.zero_window")]


def truth(capture):
    streams = {}
    for v in fields(capture, FIELDS, "-Y", "tcp"):
        src = v["ip.src"] or v["ipv6.src"]
        s = streams.setdefault(int(v["tcp.stream"]), {
            "client": src, "cport": int(v["tcp.srcport"]),
            "sport": int(v["tcp.dstport"]), "fins": set(), "rst": False,
            "irtt": None, "c": dict.fromkeys([n for n, _ in COUNTED], 0),
            "s": dict.fromkeys([n for n, _ in COUNTED], 0)})
        d = s["c"] if (src, int(v["tcp.srcport"])) == (s["client"], s["cport"]) \
            else s["s"]
        for name, field in COUNTED:
            if field is None:
                d[name] += 1
            elif field == "tcp.len":
                d[name] += int(v[field] or 0)
            elif v[field]:
                d[name] += 1
        if v["tcp.flags.fin"] in ("1", "True"):
            s["fins"].add(d is s["c"])
        if v["tcp.flags.reset"] in ("1", "True"):
            s["rst"] = True
        if v["tcp.analysis.initial_rtt"]:
            s["irtt"] = float(v["tcp.analysis.initial_rtt"]) * 1000
    for s in streams.values():
        s["state"] = "rst" if s["rst"] else "fin" if len(s["fins"]) == 2 \
            else "open"
    return [streams[k] for k in sorted(streams)]


def ours(events, stats, name):
    """Every connection once: its conn_end event, or its row of the table
    if none came.  A connection that lingered in the table when STATS
    was read may have been announced since, before EVENTS was read."""
    conns = [e["values"] for e in map(json.loads, open(events))
             if e["event"] == "conn_end" and e["name"] == name]
    pm = [p for p in json.load(open(stats))["pms"] if p["name"] == name][0]

    def key(c):
        return c["client"], c["cport"], c["server"], c["sport"], c["start_ms"]
    ended = set(map(key, conns))
    return conns + [c for c in pm["results"].get("conns", [])
                    if key(c) not in ended]


RESENT = ("retrans", "out_of_order")


def resent(name, c, s, live):
    """The PM's and tshark's @name each way, or with @live their resent
    segments of both kinds."""
    names = RESENT if live and name in RESENT else (name,)
    return ([sum(c[d + "_" + n] for n in names) for d in "cs"],
            [sum(s[d][n] for n in names) for d in "cs"])


def main():
    live = sys.argv[1] == "--live"
    args = sys.argv[2:] if live else sys.argv[1:]
    want = truth(args[0])
    got = ours(args[1], args[2], args[3])
    # The same 4-tuple's connections, in the order they began (tshark's
    # streams) and ended (the events; the table's rows come last).
    pairs, left = [], list(got)
    for s in want:
        match = [c for c in left if c["cport"] == s["cport"] and
                 c["sport"] == s["sport"] and c["client"] == s["client"]]
        pairs.append((s, match[0] if match else None))
        if match:
            left.remove(match[0])
    print("connections", len(left) + sum(c is None for _, c in pairs),
          len(want))
    for name, _ in COUNTED:
        bad = ["%d:%s/%s" % (s["cport"],
                             [c.get("c_" + name), c.get("s_" + name)] if c else None,
                             [s["c"][name], s["s"][name]])
               for s, c in pairs
               if not c or resent(name, c, s, live)[0] !=
               resent(name, c, s, live)[1]]
        kinds = [] if not live or name not in RESENT else [
            "%d:%s/%s" % (s["cport"], [c["c_" + name], c["s_" + name]],
                          [s["c"][name], s["s"][name]])
            for s, c in pairs if c and resent(name, c, s, False)[0] !=
            resent(name, c, s, False)[1]]
        kinds = "(with the other kind; alone: %s)" % " ".join(kinds[:4]) \
            if kinds else ""
        print(name, len(bad), len(pairs), " ".join(bad[:4]), kinds)
    bad = ["%d:%s/%s" % (s["cport"], c and c["state"], s["state"])
           for s, c in pairs if not c or c["state"] != s["state"]]
    print("state", len(bad), len(pairs), " ".join(bad[:4]))
    bad = ["%d:%s/%s" % (s["cport"], c and (c["hs_server_rtt_us"] +
                                            c["hs_client_rtt_us"]),
                         s["irtt"] and round(s["irtt"], 3))
           for s, c in pairs
           if not c or s["irtt"] is not None and
           abs((c["hs_server_rtt_us"] + c["hs_client_rtt_us"]) / 1000 -
               s["irtt"]) > RTT_SLACK_MS]
    print("initial_rtt", len(bad), sum(s["irtt"] is not None for s in want),
          " ".join(bad[:4]))


if __name__ == "__main__":
    main()
