# SPDX-License-Identifier: GPL-2.0
"""Send hand-made IP packets, well-formed or not, out of a device.

    python3 inject.py DEV DST_MAC KIND COUNT
    python3 inject.py --local KIND COUNT

KIND is one of the names below; each builds one packet that the kernel's
IP layer accepts (valid IP header and checksum) but whose transport or
extension headers are broken in one known way, or a well-formed UDP
datagram ("udp_ok") for the control, or a well-formed SCTP packet with one
DATA chunk ("sctp_ok", "sctp6_ok": 36412 to 9899, 64 and 84 IP bytes;
"sctp_other_port": to 9898).  Prints how many were sent.

The first form sends frames out of DEV with a packet socket, so the
receiving side's hooks see them and the sender's do not.  --local sends
an IPv4 KIND through the local stack with a raw IP socket, so the
sender's egress (POST_ROUTING) hook sees it too.
"""
import socket
import struct
import sys

SRC4, DST4 = "10.0.0.1", "10.0.0.2"
SRC6, DST6 = "fd00::1", "fd00::2"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(proto, payload):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64,
                      proto, 0, socket.inet_aton(SRC4), socket.inet_aton(DST4))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return 0x0800, hdr + payload


def ipv6(nexthdr, payload):
    hdr = struct.pack("!IHBB16s16s", 6 << 28, len(payload), nexthdr, 64,
                      socket.inet_pton(socket.AF_INET6, SRC6),
                      socket.inet_pton(socket.AF_INET6, DST6))
    return 0x86DD, hdr + payload


def tcp(doff, length):
    hdr = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, doff << 4, 0x10, 1024, 0, 0)
    return (hdr + b"\0" * 40)[:length]


def udp(length, data=b"x" * 16):
    return struct.pack("!HHHH", 40000, 9000, length, 0) + data


def crc32c(data):
    """CRC32c (Castagnoli), as SCTP's checksum is (RFC 9260 Appendix B)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return ~crc & 0xFFFFFFFF


def sctp(length=None, sport=36412, dport=9899):
    """An SCTP packet: the common header and one DATA chunk of 16 bytes
    (RFC 9260 3.3.1), checksummed; cut to length if given."""
    chunk = struct.pack("!BBHIHHI", 0, 0x03, 16 + 16, 1, 0, 0, 0) + b"s" * 16
    hdr = struct.pack("!HHII", sport, dport, 0x1234abcd, 0)
    packet = hdr + chunk
    packet = hdr[:8] + struct.pack("<I", crc32c(packet)) + chunk
    return packet[:length]


def dest_opts(count):
    """count destination-options headers, each 8 bytes of padding."""
    out = b""
    for i in range(count):
        nxt = 60 if i + 1 < count else 59   # 59: no next header
        out += struct.pack("!BB", nxt, 0) + b"\x01\x04\0\0\0\0"
    return out


KINDS = {
    "tcp_bad_doff": lambda: ipv4(6, tcp(2, 20)),      # data offset 8 bytes
    "tcp_truncated": lambda: ipv4(6, tcp(5, 10)),     # 10 of 20 header bytes
    "udp_bad_len": lambda: ipv4(17, udp(4)),          # UDP length below 8
    "ext_hdr_chain": lambda: ipv6(60, dest_opts(9)),  # 9 extension headers
    "udp_ok": lambda: ipv4(17, udp(24)),
    "sctp_truncated": lambda: ipv4(132, sctp(8)),     # 8 of 12 header bytes
    "sctp_ok": lambda: ipv4(132, sctp()),             # 36412 -> 9899
    "sctp_other_port": lambda: ipv4(132, sctp(dport=9898)),
    "sctp6_ok": lambda: ipv6(132, sctp()),
}


def send_local(kind, count):
    ethertype, packet = KINDS[kind]()
    if ethertype != 0x0800:
        sys.exit("--local sends IPv4 kinds only")
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    print(sum(s.sendto(packet, (DST4, 0)) == len(packet) for _ in range(count)))


def main():
    if sys.argv[1] == "--local":
        send_local(sys.argv[2], int(sys.argv[3]))
        return
    dev, mac, kind, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    ethertype, packet = KINDS[kind]()
    frame = (bytes.fromhex(mac.replace(":", "")) + b"\x02\0\0\0\0\x01" +
             struct.pack("!H", ethertype) + packet)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((dev, 0))
    print(sum(s.send(frame) == len(frame) for _ in range(count)))


if __name__ == "__main__":
    main()
