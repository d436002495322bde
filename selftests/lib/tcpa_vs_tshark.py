#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tcpa_vs_tshark.py CAPTURE OURS: hold the TCP analysis of the tcpstats
PM (OURS: what selftests/unit/tcpa_pcap printed for CAPTURE) against
tshark's reading of CAPTURE, and print one line per check:

    <check> <disagreements> <frames or connections checked> [examples]

then "samples <ack_rtt samples taken> <timestamp echoes in the capture>"
and "kinds <the tcp.analysis flags tshark found, comma-separated>".

The truth is tshark's alone: its tcp.stream, tcp.analysis.* flags,
initial_rtt and ack_rtt fields, and for timestamps RFC 7323's meaning of
the option's fields (the first frame echoing a TSval, less the first
frame that sent it).  Nothing here repeats the PM's rules.
"""
import sys
from tshark_cache import fields

FLAGS = ["retransmission", "fast_retransmission", "spurious_retransmission",
         "out_of_order", "duplicate_ack", "zero_window", "zero_window_probe",
         "zero_window_probe_ack", "keep_alive", "keep_alive_ack",
         "window_update", "lost_segment", "ack_lost_segment"]
FIELDS = (["frame.number", "frame.time_epoch", "tcp.stream", "tcp.srcport",
           "tcp.analysis.initial_rtt", "tcp.analysis.ack_rtt",
           "tcp.options.timestamp.tsval", "tcp.options.timestamp.tsecr",
           "tcp.flags.ack"] + ["tcp.analysis." + f for f in FLAGS])


def ns(text):
    """Seconds as tshark prints them, to integer nanoseconds."""
    whole, _, frac = text.partition(".")
    return int(whole) * 10 ** 9 + int((frac + "000000000")[:9])


def tshark(capture):
    return {int(v["frame.number"]): v
            for v in fields(capture, FIELDS, "-Y", "tcp", cache=False)}


def ours(path):
    frames, conns = {}, {}
    for line in open(path):
        f = line.split()
        if f[0] == "F":
            frames[int(f[1])] = {
                "conn": int(f[2]),
                "flags": set() if f[3] == "-" else set(f[3].split(",")),
                "rtt": None if f[4] == "-" else int(f[4]),
                "ts_rtt": None if f[5] == "-" else int(f[5])}
        elif f[0] == "C":
            conns[int(f[1])] = [int(x) for x in f[2:]]
    return frames, conns


def ts_truth(truth):
    """Per frame, the RTT its TSecr gives (RFC 7323): its time less that
    of the first frame of the other direction that sent this TSval, if
    it is the first frame of its direction to echo it."""
    sent, echoed, out = {}, set(), {}
    for n in sorted(truth):
        v = truth[n]
        if not v["tcp.options.timestamp.tsval"]:
            continue
        key = (v["tcp.stream"], v["tcp.srcport"])
        t = ns(v["frame.time_epoch"])
        sent.setdefault((key, int(v["tcp.options.timestamp.tsval"])), t)
        if v["tcp.flags.ack"] not in ("1", "True"):
            continue
        ecr = int(v["tcp.options.timestamp.tsecr"])
        peer = [k for k in sent if k[0][0] == key[0] and k[0] != key and
                k[1] == ecr]
        if peer and (key, ecr) not in echoed:
            echoed.add((key, ecr))
            out[n] = t - sent[peer[0]]
    return out


def report(name, bad, checked):
    print(name, len(bad), checked, " ".join(str(b) for b in bad[:5]))


def main():
    truth = tshark(sys.argv[1])
    frames, conns = ours(sys.argv[2])

    report("frames", [n for n in truth if n not in frames] +
           [n for n in frames if n not in truth], len(truth))
    report("streams", [n for n in frames if n in truth and
                       frames[n]["conn"] != int(truth[n]["tcp.stream"])],
           len(frames))
    bad = []
    for n, f in frames.items():
        want = {x for x in FLAGS if truth[n]["tcp.analysis." + x]}
        if f["flags"] - {"bad_flags"} != want:
            bad.append("%d:%s/%s" % (n, ",".join(sorted(f["flags"])) or "-",
                                     ",".join(sorted(want)) or "-"))
    report("verdicts", bad, len(frames))

    sampled = [n for n, f in frames.items() if f["rtt"] is not None]
    report("ack_rtt", ["%d:%d/%s" % (n, frames[n]["rtt"],
                                     truth[n]["tcp.analysis.ack_rtt"])
                       for n in sampled
                       if not truth[n]["tcp.analysis.ack_rtt"] or
                       ns(truth[n]["tcp.analysis.ack_rtt"]) != frames[n]["rtt"]],
           len(sampled))

    ts = ts_truth(truth)
    report("ts_rtt", ["%d:%s/%s" % (n, f["ts_rtt"], ts.get(n))
                      for n, f in frames.items()
                      if f["ts_rtt"] is not None and f["ts_rtt"] != ts.get(n)],
           sum(f["ts_rtt"] is not None for f in frames.values()))

    irtt = {}
    for v in truth.values():
        if v["tcp.analysis.initial_rtt"]:
            irtt[int(v["tcp.stream"])] = ns(v["tcp.analysis.initial_rtt"])
    report("initial_rtt", ["%d:%d/%s" % (c, v[0] + v[1], irtt.get(c))
                           for c, v in conns.items()
                           if (v[0] + v[1] if v[0] else None) !=
                           irtt.get(c)], len(conns))
    print("samples", len(sampled), len(ts))
    print("kinds", ",".join(x for x in FLAGS if any(
        v["tcp.analysis." + x] for v in truth.values())) or "-")


if __name__ == "__main__":
    main()
