#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""block_traffic.py: conversations for the block PM's selftest.

  serve ADDR PORT GOT [REPLY...]
        accept one TCP connection and write what it read to GOT; once the
        first bytes came, send each REPLY, PAUSE apart.  It stops at the
        peer's FIN (and closes in kind) or after IDLE without bytes (and
        resets: a cut connection never ends by itself).
  chat DST PORT GOT PAUSE MSG...
        connect, print the local port, send each MSG as a segment of its
        own (TCP_NODELAY), PAUSE seconds apart; then read what came back
        until the peer's FIN or IDLE, write it to GOT, and close or reset
        as serve does.  A MSG "wait:PATH" sends nothing: it waits until
        PATH exists (at most 30 s); a MSG "now:MSG" is MSG sent without
        the pause before it.
  dgrams DST PORT MSG...  send each MSG as a datagram, from one socket
  dgramseq DST PORT STEP...
                          a STEP "N:MSG" sends MSG from socket N (each
                          socket its own source port), "sleep:S" waits S
                          seconds; PAUSE between steps
  dgramrecv ADDR PORT GOT write each datagram received to GOT, one per
                          line, until the one that says "end" (or 10 s
                          without one; 60 s for the first, which waits
                          for the sender to start)

A MSG or REPLY "hex:HEX" is the bytes HEX.  IDLE is 1.5 s, or the
environment's IDLE.  Every process ends within seconds whatever the
network does to it.
"""
import os
import socket
import struct
import sys
import time

PAUSE = 0.2
IDLE = float(os.environ.get("IDLE", "1.5"))


def payload(msg):
    return bytes.fromhex(msg[4:]) if msg.startswith("hex:") else msg.encode()


def wait_for(path):
    deadline = time.monotonic() + 30
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def read_all(sock):
    """What comes until FIN (True) or IDLE seconds of silence (False)."""
    sock.settimeout(IDLE)
    got = b""
    while True:
        try:
            data = sock.recv(65536)
        except (socket.timeout, ConnectionError):
            return got, False
        if not data:
            return got, True
        got += data


def close(sock, clean):
    """FIN after a FIN; else a reset, so no retransmission outlives us."""
    if not clean:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
    sock.close()


def serve(addr, port, path, replies):
    lsn = socket.socket(family(addr), socket.SOCK_STREAM)
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsn.bind((addr, port))
    lsn.listen(1)
    lsn.settimeout(30)
    conn, _ = lsn.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    got = b""
    if replies:
        conn.settimeout(IDLE)
        try:
            got = conn.recv(65536)
        except (socket.timeout, ConnectionError):
            pass
        for msg in replies:
            conn.send(payload(msg))
            time.sleep(PAUSE)
    rest, clean = read_all(conn)
    open(path, "wb").write(got + rest)
    close(conn, clean)


def chat(dst, port, path, pause, msgs):
    sock = socket.socket(family(dst), socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(10)
    sock.connect((dst, port))
    print(sock.getsockname()[1], flush=True)
    for i, msg in enumerate(msgs):
        if msg.startswith("wait:"):
            wait_for(msg[5:])
            continue
        if msg.startswith("now:"):
            msg = msg[4:]
        elif i:
            time.sleep(pause)
        sock.send(payload(msg))
    sock.shutdown(socket.SHUT_WR)
    got, clean = read_all(sock)
    open(path, "wb").write(got)
    close(sock, clean)


def dgrams(dst, port, msgs):
    sock = socket.socket(family(dst), socket.SOCK_DGRAM)
    for msg in msgs:
        sock.sendto(msg.encode(), (dst, port))
        time.sleep(PAUSE)


def dgramseq(dst, port, steps):
    socks = {}
    for step in steps:
        what, _, arg = step.partition(":")
        if what == "sleep":
            time.sleep(float(arg))
            continue
        if what not in socks:
            socks[what] = socket.socket(family(dst), socket.SOCK_DGRAM)
        socks[what].sendto(arg.encode(), (dst, port))
        time.sleep(PAUSE)


def dgramrecv(addr, port, path):
    sock = socket.socket(family(addr), socket.SOCK_DGRAM)
    sock.bind((addr, port))
    lines = []
    try:
        while not lines or lines[-1] != "end":
            # A slow guest (a debug kernel on a busy host) can take
            # seconds to start the sender's python.
            sock.settimeout(10 if lines else 60)
            lines.append(sock.recv(65536).decode())
    except socket.timeout:
        pass
    open(path, "w").write("".join(l + "\n" for l in lines))


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "serve":
        serve(args[0], int(args[1]), args[2], args[3:])
    elif cmd == "chat":
        chat(args[0], int(args[1]), args[2], float(args[3]), args[4:])
    elif cmd == "dgrams":
        dgrams(args[0], int(args[1]), args[2:])
    elif cmd == "dgramseq":
        dgramseq(args[0], int(args[1]), args[2:])
    elif cmd == "dgramrecv":
        dgramrecv(args[0], int(args[1]), args[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
