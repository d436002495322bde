#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""apptraffic.py serve|send ADDR4 ADDR6: real conversations of the
application protocols the stats PM tells apart, over sockets, for a
capture that tshark then dissects.

"serve ADDR4 ADDR6" (in the receiver's namespace) listens on ADDR4 and
ADDR6 and answers as each protocol's server would, prints "ready" once
listening, and runs until killed.  "send ADDR4 ADDR6" (in the sender's)
holds one conversation of each, waiting for each answer, and returns.

Each payload is the protocol's own first message, on its well-known
port: a DNS query (RFC 1035) to 53 and an mDNS one to 5353, a
DHCPDISCOVER (RFC 2131) from 68 to 67, an NTP client request (RFC 5905)
to 123, an SSDP M-SEARCH to 1900, a QUIC version 1 Initial (RFC 9000;
its protected part random) to UDP 443, an HTTP/1.1 GET to 80, a TLS
ClientHello from Python's ssl module to TCP 443, SSH banners on 22, an
SMTP greeting and EHLO on 25; and bytes no dissector claims, to ports
40000 (UDP) and 40001 (TCP), and a TCP connection with no payload at all
to 40002.  DNS and HTTP go over IPv6 too.
"""
import os
import selectors
import socket
import ssl
import struct
import sys
import threading

UDP_PORTS = [53, 5353, 67, 123, 1900, 443, 40000]
TCP_PORTS = [80, 443, 22, 25, 40001, 40002]


def dns_query(name=b"example.com"):
    q = b"".join(bytes([len(p)]) + p for p in name.split(b".")) + b"\0"
    return struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + q + \
        struct.pack("!HH", 1, 1)


def dhcp_discover():
    p = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, 0x3903F326,
                    0, 0x8000, bytes(4), bytes(4), bytes(4), bytes(4),
                    bytes.fromhex("020000000001") + bytes(10), bytes(64),
                    bytes(128))
    return p + bytes([99, 130, 83, 99, 53, 1, 1, 55, 2, 1, 3, 255])


def ntp_request():
    return bytes([0x23]) + bytes(47)


def quic_initial():
    dcid = os.urandom(8)
    hdr = bytes([0xc3]) + struct.pack("!I", 1) + bytes([8]) + dcid + \
        bytes([0]) + bytes([0]) + struct.pack("!H", 0x4000 | 1162)
    return hdr + os.urandom(1200 - len(hdr))


def udp_answer(port, data):
    if port in (53, 5353):
        return data[:2] + struct.pack("!H", 0x8180) + data[4:]
    if port == 123:
        return bytes([0x24]) + bytes(47)
    if port == 1900:
        return b"HTTP/1.1 200 OK\r\nST: ssdp:all\r\nUSN: uuid:flowos\r\n\r\n"
    return None


def read_line(c):
    data = b""
    while not data.endswith(b"\n"):
        chunk = c.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def tcp_serve(c, port):
    with c:
        if port == 80:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = c.recv(4096)
                if not chunk:
                    return
                data += chunk
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                      b"Connection: close\r\n\r\nok")
        elif port == 443:
            c.recv(4096)	# the ClientHello; no answer
        elif port == 22:
            c.sendall(b"SSH-2.0-flowos_selftest\r\n")
            read_line(c)
        elif port == 25:
            c.sendall(b"220 b.example ESMTP flowos\r\n")
            read_line(c)
            c.sendall(b"250 b.example\r\n")
            read_line(c)
            c.sendall(b"221 bye\r\n")
        elif port == 40001:
            c.recv(4096)
            c.sendall(b"\x00\x01 nothing to see")
        else:
            c.recv(1)		# the peer's FIN


def serve(addrs):
    sel = selectors.DefaultSelector()
    for addr in addrs:
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        for port in UDP_PORTS:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.bind((addr, port))
            sel.register(s, selectors.EVENT_READ, ("udp", port))
        for port in TCP_PORTS:
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, port))
            s.listen(8)
            sel.register(s, selectors.EVENT_READ, ("tcp", port))
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            kind, port = key.data
            if kind == "udp":
                data, peer = key.fileobj.recvfrom(65536)
                answer = udp_answer(port, data)
                if answer:
                    key.fileobj.sendto(answer, peer)
            else:
                c, _ = key.fileobj.accept()
                threading.Thread(target=tcp_serve, args=(c, port),
                                 daemon=True).start()


def udp_send(addr, port, data, sport=0, answer=False):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.bind(("", sport))
        s.settimeout(10)
        s.sendto(data, (addr, port))
        if answer:
            s.recvfrom(65536)


def tcp_talk(addr, port, talk):
    with socket.create_connection((addr, port), timeout=10) as s:
        talk(s)
        s.shutdown(socket.SHUT_WR)
        while s.recv(4096):
            pass


def tls_hello(addr):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((addr, 443), timeout=10) as s:
        try:
            with ctx.wrap_socket(s, server_hostname="b.example"):
                pass
        except (ssl.SSLError, OSError):
            pass	# the server closes after the hello


def http_get(s):
    s.sendall(b"GET / HTTP/1.1\r\nHost: b.example\r\n\r\n")


def ssh_banner(s):
    read_line(s)
    s.sendall(b"SSH-2.0-flowos_client\r\n")


def smtp(s):
    read_line(s)
    s.sendall(b"EHLO a.example\r\n")
    read_line(s)
    s.sendall(b"QUIT\r\n")
    read_line(s)


def send(addr4, addr6):
    udp_send(addr4, 53, dns_query(), answer=True)
    udp_send(addr6, 53, dns_query(b"example.org"), answer=True)
    udp_send(addr4, 5353, dns_query(b"flowos.local"), sport=5353, answer=True)
    udp_send(addr4, 67, dhcp_discover(), sport=68)
    udp_send(addr4, 123, ntp_request(), answer=True)
    udp_send(addr4, 1900, b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
             b"MAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n",
             answer=True)
    udp_send(addr4, 443, quic_initial())
    udp_send(addr4, 40000, b"\x00\x01 nothing to see")
    tcp_talk(addr4, 80, http_get)
    tcp_talk(addr6, 80, http_get)
    tls_hello(addr4)
    tcp_talk(addr4, 22, ssh_banner)
    tcp_talk(addr4, 25, smtp)
    tcp_talk(addr4, 40001, lambda s: s.sendall(b"\x00\x02 nor here"))
    tcp_talk(addr4, 40002, lambda s: None)


def main():
    if sys.argv[1] == "serve":
        serve(sys.argv[2:4])
    else:
        send(sys.argv[2], sys.argv[3])


if __name__ == "__main__":
    main()
