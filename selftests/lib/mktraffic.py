#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""mktraffic.py OUT.pcap SRC_MAC DST_MAC [PACKETS [SEED]]: write a
capture of IPv4 and IPv6 traffic with skewed volumes, for the stats PM.

The capture is the test input, not its truth: selftests compare flowos
with tshark's reading of this file.  It holds, on purpose:
- a few heavy talkers (three IPv4, one IPv6) and many light ones, so
  that top-k, heavy hitters and outliers have clear answers, and more
  addresses than a small table holds;
- TCP, UDP, ICMP, ICMPv6, GRE, ESP and SCTP, with skewed volumes;
- packet sizes from 28 to 1500 bytes, in every histogram bucket;
- packets that reach an address back, and a host talking to itself.
Nothing in it needs a reply: destinations are not B's addresses.
"""
import random
import socket
import struct
import sys

from inject import csum

HEAVY4 = ["192.0.2.10", "192.0.2.20", "192.0.2.30"]
HEAVY6 = ["2001:db8::a"]
LIGHT4 = ["198.51.100.%d" % i for i in range(1, 61)]
LIGHT6 = ["2001:db8:1::%x" % i for i in range(1, 31)]
# (proto, weight, family): 58 only with IPv6, 1 only with IPv4.
PROTOS = [(6, 55, None), (17, 25, None), (1, 6, 4), (58, 4, 6), (47, 5, None),
          (50, 3, None), (132, 2, None)]


def l4(proto, size, rnd):
    if proto in (6, 17, 132):
        ports = struct.pack("!HH", rnd.randrange(1024, 65535),
                            rnd.choice((80, 443, 53, 9000)))
    else:
        ports = b""
    if proto == 6:
        hdr = ports + struct.pack("!IIBBHHH", rnd.getrandbits(32), 0, 5 << 4,
                                  0x18, 1024, 0, 0)
    elif proto == 17:
        hdr = ports + struct.pack("!HH", max(size, 8), 0)
    elif proto in (1, 58):
        hdr = struct.pack("!BBHHH", 8 if proto == 1 else 128, 0, 0, 1, 1)
    elif proto == 47:	# an ethertype nobody dissects: no inner packet
        hdr = struct.pack("!HH", 0, 0x88B5)
    elif proto == 50:
        hdr = struct.pack("!II", 0x1000 + rnd.randrange(8), 1)
    else:			# SCTP common header
        hdr = ports + struct.pack("!II", 1, 0)
    body = hdr + bytes(max(0, size - len(hdr)))
    return body[:max(size, len(hdr))]


def packet(src, dst, proto, size, rnd):
    if ":" in src:
        payload = l4(proto, max(size - 40, 8), rnd)
        return 0x86DD, struct.pack("!IHBB16s16s", 6 << 28, len(payload), proto,
                                   64, socket.inet_pton(socket.AF_INET6, src),
                                   socket.inet_pton(socket.AF_INET6, dst)) + payload
    payload = l4(proto, max(size - 20, 8), rnd)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64,
                      proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return 0x0800, hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def pick_pair(rnd, six):
    heavy, light = (HEAVY6, LIGHT6) if six else (HEAVY4, LIGHT4)
    r = rnd.random()
    if r < 0.5:			# a heavy talker with a light peer
        a, b = rnd.choice(heavy), rnd.choice(light)
    elif r < 0.52:		# a host to itself
        a = b = rnd.choice(light)
    else:
        a, b = rnd.sample(light, 2)
    return (a, b) if rnd.random() < 0.7 else (b, a)


def pick_proto(rnd, six):
    choices = [(p, w) for p, w, fam in PROTOS if fam in (None, 6 if six else 4)]
    return rnd.choices([p for p, _ in choices], [w for _, w in choices])[0]


def main():
    out, src_mac, dst_mac = sys.argv[1:4]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 1500
    rnd = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    eth = bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex(src_mac.replace(":", ""))
    t = 1_700_000_000_000_000
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for _ in range(count):
            six = rnd.random() < 0.3
            src, dst = pick_pair(rnd, six)
            proto = pick_proto(rnd, six)
            size = rnd.choice((rnd.randrange(28, 64), rnd.randrange(64, 600),
                               rnd.randrange(600, 1501), 1500))
            etype, ip = packet(src, dst, proto, size, rnd)
            frame = eth + struct.pack("!H", etype) + ip
            t += 200
            f.write(struct.pack("<IIII", t // 10**6, t % 10**6, len(frame),
                                len(frame)) + frame)


if __name__ == "__main__":
    main()
