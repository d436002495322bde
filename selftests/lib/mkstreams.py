#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""mkstreams.py OUT.pcap SRC_MAC DST_MAC: write TCP connections and UDP
datagrams from 10.0.0.1 to 10.0.0.2 that make reassembly work.

The capture is the test input, not its truth: selftests compare flowos
with tshark's own reassembly of this file.  It holds, on purpose:
- a pattern split across two segments, and one across three;
- a retransmitted segment and a segment overlapping two others;
- two segments swapped (out of order), and a server side (side B);
- a connection whose sequence numbers wrap past 2^32 mid-pattern;
- a connection cut by RST, one left open, and UDP datagrams, one of
  which ends where the next begins a pattern (which must not count);
- a connection left open whose client segment is missing from the
  capture (the monitor missed it, the server did not: it acknowledges
  past it), between the two halves of a pattern and before another.

The missing bytes are in no tool's reassembly: the capture has not got
them.  MISSING says which they are, for pcap_matches.py to cut each
side's bytes there, as the reassembler does (no pattern across a hole).
"""
import struct
import sys

from inject import csum

CLIENT, SERVER = "10.0.0.1", "10.0.0.2"

# The bytes left out of the capture: (client port, side, offset, length).
HOLE_PORT, HOLE_OFF, HOLE_LEN = 40005, 20, 30
MISSING = [(HOLE_PORT, 0, HOLE_OFF, HOLE_LEN)]


def ip4(addr):
    return bytes(int(x) for x in addr.split("."))


class Capture:
    def __init__(self, path, src_mac, dst_mac):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.eth = (bytes.fromhex(dst_mac.replace(":", "")) +
                    bytes.fromhex(src_mac.replace(":", "")) + b"\x08\x00")
        self.t = 1_700_000_000_000_000
        self.ipid = 1

    def ip(self, src, dst, proto, l4):
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), self.ipid,
                          0x4000, 64, proto, 0, ip4(src), ip4(dst))
        self.ipid += 1
        hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
        frame = self.eth + hdr + l4
        self.t += 1000
        self.f.write(struct.pack("<IIII", self.t // 10**6, self.t % 10**6,
                                 len(frame), len(frame)) + frame)

    def l4sum(self, src, dst, proto, seg):
        pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, len(seg))
        return csum(pseudo + seg)

    def tcp(self, src, sport, dst, dport, seq, ack, flags, data=b""):
        hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                          ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
        seg = hdr + data
        seg = seg[:16] + struct.pack("!H", self.l4sum(src, dst, 6, seg)) + seg[18:]
        self.ip(src, dst, 6, seg)

    def udp(self, src, sport, dst, dport, data):
        seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
        seg = seg[:6] + struct.pack("!H", self.l4sum(src, dst, 17, seg)) + seg[8:]
        self.ip(src, dst, 17, seg)


SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10


class Conn:
    """One TCP connection; send(side, offset, length) sends stream bytes."""

    def __init__(self, cap, sport, isn_c, isn_s, client_data, server_data):
        self.cap, self.sport = cap, sport
        self.isn = [isn_c, isn_s]
        self.data = [client_data, server_data]
        cap.tcp(CLIENT, sport, SERVER, 80, isn_c, 0, SYN)
        cap.tcp(SERVER, 80, CLIENT, sport, isn_s, isn_c + 1, SYN | ACK)

    def ends(self, side):
        if side == 0:
            return CLIENT, self.sport, SERVER, 80
        return SERVER, 80, CLIENT, self.sport

    def send(self, side, off, length, flags=PSH | ACK, acked=0):
        """Bytes [off, off + length) of a side, acknowledging the
        other side's first @acked bytes."""
        src, sport, dst, dport = self.ends(side)
        self.cap.tcp(src, sport, dst, dport, self.isn[side] + 1 + off,
                     self.isn[1 - side] + 1 + acked, flags,
                     self.data[side][off:off + length])

    def cuts(self, side, cuts):
        """Send the stream cut at these offsets, in order."""
        edges = [0] + cuts + [len(self.data[side])]
        for a, b in zip(edges, edges[1:]):
            self.send(side, a, b - a)

    def fin(self, side):
        self.send(side, len(self.data[side]), 0, FIN | ACK)


def main():
    cap = Capture(sys.argv[1], sys.argv[2], sys.argv[3])

    # 1: split patterns, a retransmission, an overlap, a swap, a response.
    req = (b"GET /secret HTTP/1.1\r\nHost: example\r\n\r\n" +
           b"x" * 50 + b"sec" + b"ret" + b"y" * 40 + b"aaaa" + b"z" * 30 +
           b"secret" + b"q" * 60)
    c = Conn(cap, 40001, 1000, 9000, req, b"HTTP/1.1 200 OK\r\n\r\nsecret secret")
    c.send(0, 0, 7)                  # "GET /se" | "cret ...": split
    c.send(0, 7, 86)                 # through the first "sec"
    c.send(0, 7, 86)                 # retransmitted
    c.send(0, 133, 40)               # ahead: queued
    c.send(0, 93, 40)                # the hole ("ret" ...)
    c.send(0, 120, 50)               # overlapping both
    c.send(0, 173, len(req) - 173)
    c.cuts(1, [20, 27])
    c.fin(0)
    c.fin(1)

    # 2: the client's sequence numbers wrap inside "secret".
    body = b"p" * 20 + b"secret" + b"wrap" * 3 + b"\r\n\r\n"
    c = Conn(cap, 40002, 0xFFFFFFFF - 23, 77, body, b"")
    c.cuts(0, [22, 23, 35])
    c.fin(0)
    c.fin(1)

    # 3: a pattern across three segments, a late duplicate, then RST.
    body = b"HTTP/1.1" + b"-" * 10 + b"secret" + b"+" * 10
    c = Conn(cap, 40003, 5000, 6000, body, b"")
    c.cuts(0, [4, 5])
    c.send(0, 8, 10)
    src, sport, dst, dport = c.ends(0)
    cap.tcp(src, sport, dst, dport, 5000 + 1 + 18, 6001, RST | ACK)

    # 4: left open (no FIN): counted among the open connections.
    c = Conn(cap, 40004, 123456, 654321, b"secretsecret", b"")
    c.cuts(0, [6])

    # 5: left open; the client's [20, 50) is missing from the capture,
    # but the server acknowledges it, and the "secret" after it.  The
    # first "secret" spans the hole: its "sec" is before it, its "ret"
    # after it, and neither counts.
    req = (b"GET /a HTTP/1.1\r\nsec" + b"m" * HOLE_LEN +
           b"ret--secret--\r\n\r\n")
    assert req[HOLE_OFF - 3:HOLE_OFF] == b"sec"
    resp = b"HTTP/1.1 200 OK\r\n\r\n"
    c = Conn(cap, HOLE_PORT, 0xFFFFFFFF - 30, 4242, req, resp)
    c.send(0, 0, HOLE_OFF)
    # [HOLE_OFF, HOLE_OFF + HOLE_LEN): sent, received, not captured.
    c.send(0, HOLE_OFF + HOLE_LEN, len(req) - HOLE_OFF - HOLE_LEN)
    c.send(1, 0, len(resp), acked=len(req))

    # UDP: "sec" ends one datagram, "ret" begins the next: no match.
    for d in (b"GET secret", b"aaa sec", b"ret aa", b"\r\n\r\n"):
        cap.udp(CLIENT, 5353, SERVER, 7777, d)


if __name__ == "__main__":
    main()
