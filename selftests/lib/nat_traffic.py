#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""nat_traffic.py: an echoed TCP transfer, for the header-write selftest.

  echo ADDR PORT        accept one TCP connection, send back every byte
                        it brings, close at its end; print the peer's
                        address and port as this end saw them
  send DST PORT BYTES   connect, send BYTES random bytes (while reading
                        what comes back), then read to the end; print
                        the sha256 of what was sent and of what came
                        back, and the peer's address and port as this
                        end saw them

Both give up after 60 s, whatever the network does.
"""
import hashlib
import os
import socket
import sys
import threading

TIMEOUT = 60


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def echo(addr, port):
    srv = socket.socket(family(addr))
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(1)
    srv.settimeout(TIMEOUT)
    conn, peer = srv.accept()
    conn.settimeout(TIMEOUT)
    while True:
        data = conn.recv(65536)
        if not data:
            break
        conn.sendall(data)
    conn.close()
    print(peer[0], peer[1])


def send(dst, port, nbytes):
    data = os.urandom(nbytes)
    sock = socket.create_connection((dst, port), timeout=TIMEOUT)
    peer = sock.getpeername()

    def writer():
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=writer)
    thread.start()
    got = hashlib.sha256()
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        got.update(chunk)
    thread.join()
    sock.close()
    print(hashlib.sha256(data).hexdigest(), got.hexdigest(), peer[0], peer[1])


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "echo":
        echo(args[0], int(args[1]))
    elif cmd == "send":
        send(args[0], int(args[1]), int(args[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
