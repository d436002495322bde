#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Address a capture's Ethernet frames to a test's own veth pair.

    pcap_setmac.py IN OUT SMAC DMAC     write OUT: IN with only the MACs set
    pcap_setmac.py --check IN OUT       frame by frame, OUT is IN but the MACs
    pcap_setmac.py --received IN OUT    write OUT: the frames of IN that a
                                        receiving Linux stack hands to its
                                        PRE_ROUTING hooks

--received leaves out what the stack drops before any hook: an IPv4
frame whose total length runs past the bytes it has (ip_rcv_core(),
counted as InTruncatedPkts), an IPv6 one whose payload length does
(ipv6_rcv()).  Such frames exist in captures cut short by the capture
tool; the truth of a test that replays them is what a receiver sees.

Only the twelve MAC bytes of each frame change: no length, checksum or
padding is "fixed" (tcprewrite --enet-smac/--enet-dmac also rewrites
the IPv4 total length of padded frames, recomputes TCP checksums and
repairs bad IPv4 header checksums, so the frames replayed would not be
the frames shipped).  Classic pcap only, Ethernet link type; any byte
order and either timestamp resolution.
"""
import struct
import sys

MAGICS = {0xA1B2C3D4, 0xA1B23C4D}


def records(path):
    """The file's global header and its records (header, frame)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise SystemExit(f"{path}: not a pcap file")
    for order in "<>":
        if struct.unpack(order + "I", data[:4])[0] in MAGICS:
            break
    else:
        raise SystemExit(f"{path}: not a classic pcap file")
    linktype = struct.unpack(order + "I", data[20:24])[0]
    if linktype != 1:
        raise SystemExit(f"{path}: link type {linktype}, not Ethernet")
    out, off = [], 24
    while off < len(data):
        if off + 16 > len(data):
            raise SystemExit(f"{path}: truncated record header")
        hdr = data[off:off + 16]
        incl = struct.unpack(order + "I", hdr[8:12])[0]
        frame = data[off + 16:off + 16 + incl]
        if len(frame) != incl:
            raise SystemExit(f"{path}: truncated frame")
        out.append((hdr, frame))
        off += 16 + incl
    return data[:24], out


def mac(text):
    b = bytes(int(x, 16) for x in text.split(":"))
    if len(b) != 6:
        raise SystemExit(f"not a MAC address: {text}")
    return b


def rewrite(src, dst, smac, dmac):
    head, recs = records(src)
    with open(dst, "wb") as f:
        f.write(head)
        for hdr, frame in recs:
            if len(frame) < 14:
                raise SystemExit(f"{src}: a frame of {len(frame)} bytes")
            f.write(hdr + dmac + smac + frame[12:])


def received(frame):
    """Whether the receiving stack passes @frame on to its hooks."""
    ethertype, ip = frame[12:14], frame[14:]
    if ethertype == b"\x08\x00" and len(ip) >= 20:
        return struct.unpack("!H", ip[2:4])[0] <= len(ip)
    if ethertype == b"\x86\xdd" and len(ip) >= 40:
        return 40 + struct.unpack("!H", ip[4:6])[0] <= len(ip)
    return True


def keep_received(src, dst):
    head, recs = records(src)
    with open(dst, "wb") as f:
        f.write(head)
        for hdr, frame in recs:
            if received(frame):
                f.write(hdr + frame)


def check(src, dst):
    head_a, a = records(src)
    head_b, b = records(dst)
    if head_a != head_b:
        print(f"{dst}: its file header differs from {src}'s")
        return 1
    if len(a) != len(b):
        print(f"{dst}: {len(b)} frames, {src}: {len(a)}")
        return 1
    for i, ((ha, fa), (hb, fb)) in enumerate(zip(a, b), 1):
        if ha != hb or fa[12:] != fb[12:]:
            print(f"frame {i} differs beyond its MAC addresses")
            return 1
    print(f"{len(a)} frames equal but for their MAC addresses")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 4 and sys.argv[1] == "--received":
        sys.exit(keep_received(sys.argv[2], sys.argv[3]))
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    rewrite(sys.argv[1], sys.argv[2], mac(sys.argv[3]), mac(sys.argv[4]))
