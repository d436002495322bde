# SPDX-License-Identifier: GPL-2.0
"""Set a device's GSO and GRO size limits over rtnetlink.

    python3 link_gso.py DEV KEY VALUE [KEY VALUE...]

KEY is gso_max_size, gro_max_size, gso_ipv4_max_size or gro_ipv4_max_size,
as "ip link set DEV KEY VALUE" names them.  Debian 12's iproute2 (6.1)
knows only the first two, and the IPv4 ones (BIG TCP for IPv4, Linux
6.3) are what a test of IPv4 BIG TCP needs: this sends one RTM_NEWLINK
with all of them and exits non-zero, saying why, if the kernel refuses.
"""
import errno
import os
import socket
import struct
import sys

# include/uapi/linux/if_link.h
IFLA = {
    "gso_max_size": 41,
    "gro_max_size": 58,
    "gso_ipv4_max_size": 63,
    "gro_ipv4_max_size": 64,
}
RTM_NEWLINK = 16
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4


def main():
    dev, pairs = sys.argv[1], sys.argv[2:]
    if not pairs or len(pairs) % 2:
        sys.exit(__doc__)
    attrs = b""
    for key, value in zip(pairs[::2], pairs[1::2]):
        attrs += struct.pack("=HHI", 8, IFLA[key], int(value))
    body = struct.pack("=BxHiII", socket.AF_UNSPEC, 0,
                       socket.if_nametoindex(dev), 0, 0) + attrs
    msg = struct.pack("=IHHII", 16 + len(body), RTM_NEWLINK,
                      NLM_F_REQUEST | NLM_F_ACK, 1, 0) + body
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.send(msg)
    reply = s.recv(65536)
    _, kind = struct.unpack_from("=IH", reply)
    err = struct.unpack_from("=i", reply, 16)[0] if kind == NLMSG_ERROR else 0
    if err:
        sys.exit("%s: %s" % (dev, os.strerror(-err) if -err in errno.errorcode
                             else err))


if __name__ == "__main__":
    main()
