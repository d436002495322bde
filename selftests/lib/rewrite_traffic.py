#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rewrite_traffic.py: traffic for the rewrite PM's selftest, and its truth.

  send DST PORT SENT [SEED]   connect, send a crafted stream in 400-byte
                              writes (TCP_NODELAY, 2 ms apart, an MSS of
                              400: with TCP timestamps off, each write is
                              one segment even when the sender must queue
                              them), keep a copy in SENT
  split DST PORT PAUSE PART...  send each PART, PAUSE seconds apart, close
  recv ADDR PORT GOT          accept one connection, write what came to GOT
  udp DST PORT SENT N [NOCHECK]  send N datagrams with the pattern at every
                              offset parity; NOCHECK: without UDP checksum
  udprecv ADDR PORT GOT N     receive N datagrams, write them to GOT, one
                              per line (hex)
  check SENT GOT FIELDS PATTERN WITH
                              the truth: GOT must be SENT with every
                              occurrence of PATTERN replaced by WITH, as
                              Python's bytes.replace() does it (leftmost,
                              non-overlapping); FIELDS is tshark's
                              "tcp.seq tcp.len tcp.checksum.status" of the
                              receiver's capture.  Prints "OCCURRENCES
                              STRADDLING BAD_CHECKSUMS SAME INTACT WHOLE":
                              STRADDLING, the occurrences that cross a
                              segment boundary of the capture; INTACT,
                              those GOT has unchanged; WHOLE, 1 if GOT is
                              SENT with each occurrence either replaced
                              or intact, and nothing else changed (none
                              half replaced).
  udpcheck SENT GOT PATTERN WITH
                              prints "DATAGRAMS SAME": whether each datagram
                              came with its occurrences replaced

The stream holds the pattern "secret" inside writes, and split over two
writes in every way: "sec|ret", "secre|t", "s|ecsecret" (the match
restarts inside a false start) and "secr|ex" (a prefix that never
completes).  No filler byte is an "s", so every occurrence is one put
there on purpose.
"""
import random
import socket
import sys
import time

PATTERN = b"secret"
FILL = b"abdfghijklmnopquvwyz"
WRITE = 400
WRITES = 160
# How each write ends and the next begins, in turn.
SPLITS = [(b"sec", b"ret"), (b"secre", b"t"), (b"s", b"ecsecret"),
          (b"secr", b"ex")]


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def writes(seed):
    rnd = random.Random(seed)
    out, head = [], b""
    for k in range(WRITES):
        tail, nxt = SPLITS[k % len(SPLITS)]
        body = bytearray(rnd.choices(FILL, k=WRITE - len(head) - len(tail)))
        at = rnd.randrange(0, len(body) - len(PATTERN))
        body[at:at + len(PATTERN)] = PATTERN
        out.append(head + bytes(body) + tail)
        head = nxt
    out.append(head)
    return out


# A transfer that stalls (a bad checksum dropped, again and again) ends
# after this many seconds, and the check fails instead of hanging.
STALL = 30


def connect(dst, port):
    s = socket.socket(family(dst), socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, WRITE)
    s.settimeout(STALL)
    s.connect((dst, port))
    return s


def send(dst, port, sent, seed=1):
    chunks = writes(int(seed))
    with open(sent, "wb") as f:
        f.write(b"".join(chunks))
    s = connect(dst, int(port))
    for c in chunks:
        s.sendall(c)
        time.sleep(0.002)
    s.close()


def split(dst, port, pause, *parts):
    s = connect(dst, int(port))
    for i, part in enumerate(parts):
        if i:
            time.sleep(float(pause))
        s.sendall(part.encode())
    s.close()


def recv(addr, port, got):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(1)
    c, _ = s.accept()
    c.settimeout(STALL)
    data = bytearray()
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            data += d
    except socket.timeout:
        pass
    with open(got, "wb") as f:
        f.write(data)


def datagrams(n):
    # The pattern at offsets 0..7 of a datagram: both parities, and at
    # its very end once.
    for i in range(int(n)):
        off = i % 8
        d = FILL[:off] + PATTERN + FILL[:i % 5]
        yield d + (PATTERN if i % 3 == 0 else b"")


def udp(dst, port, sent, n, nocheck=None):
    s = socket.socket(family(dst), socket.SOCK_DGRAM)
    if nocheck:
        s.setsockopt(socket.SOL_SOCKET, 11, 1)  # SO_NO_CHECK
    with open(sent, "w") as f:
        for d in datagrams(n):
            s.sendto(d, (dst, int(port)))
            f.write(d.hex() + "\n")
            time.sleep(0.001)


def udprecv(addr, port, got, n):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    s.settimeout(20)
    with open(got, "w") as f:
        for _ in range(int(n)):
            f.write(s.recv(65536).hex() + "\n")
            f.flush()


def occurrences(data, pattern):
    at, out = data.find(pattern), []
    while at >= 0:
        out.append(at)
        at = data.find(pattern, at + len(pattern))
    return out


def check(sent, got, fields, pattern, with_):
    pattern, with_ = pattern.encode(), with_.encode()
    data = open(sent, "rb").read()
    got = open(got, "rb").read()
    same = got == data.replace(pattern, with_)
    starts, bad = set(), 0
    for line in open(fields):
        seq, length, status = (line.split() + ["", "", ""])[:3]
        if not length or int(length) == 0:
            continue
        # Relative sequence numbers: the first payload byte is 1.
        starts.add(int(seq) - 1)
        bad += status != "1"
    occ = occurrences(data, pattern)
    straddling = sum(any(o < b < o + len(pattern) for b in starts)
                     for o in occ)
    intact = [o for o in occ if got[o:o + len(pattern)] == pattern]
    whole = bytearray(data.replace(pattern, with_))
    for o in intact:
        whole[o:o + len(pattern)] = pattern
    print(len(occ), straddling, bad, int(same), len(intact),
          int(got == whole))


def udpcheck(sent, got, pattern, with_):
    pattern, with_ = pattern.encode(), with_.encode()
    want = [bytes.fromhex(x).replace(pattern, with_) for x in open(sent)]
    have = [bytes.fromhex(x) for x in open(got)]
    print(len(have), int(sorted(want) == sorted(have)))


if __name__ == "__main__":
    commands = {"send": send, "split": split, "recv": recv, "udp": udp,
                "udprecv": udprecv, "check": check, "udpcheck": udpcheck}
    commands[sys.argv[1]](*sys.argv[2:])
