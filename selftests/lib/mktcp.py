#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""mktcp.py OUT.pcap [SRC_MAC DST_MAC [GAP]]: write a capture of TCP
connections, each showing one thing a TCP statistics PM must tell apart,
as a monitoring point between client and server would see them.

The capture is the test input, not its truth: the tests compare what
flowos makes of it with tshark's TCP analysis (tcp.analysis.*) of the
same file.  Every connection has ports of its own (the client's port
says which scenario it is, see SCENARIOS) and starts GAP seconds (10)
after the last packet of the one before; the server is 20 ms away from
the monitoring point and the client 30 ms, each side taking 1 ms to
answer.
"""
import socket
import struct
import sys

from inject import csum

CLIENT4, SERVER4 = "10.0.0.1", "10.0.0.2"
CLIENT6, SERVER6 = "fd00::1", "fd00::2"
TO_SERVER, TO_CLIENT = 0.020, 0.030     # monitor -> side -> monitor, halves
MSS = 1000
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def options(mss=None, wscale=None, sack_ok=False, ts=None):
    out = b""
    if mss is not None:
        out += struct.pack("!BBH", 2, 4, mss)
    if sack_ok:
        out += b"\x04\x02"
    if ts is not None:
        out += struct.pack("!BBII", 8, 10, ts[0], ts[1])
    if wscale is not None:
        out += struct.pack("!BBB", 3, 3, wscale)
    return out + b"\x01" * (-len(out) % 4)


class Conn:
    """One connection: each call of seg() is one packet at the monitor."""

    def __init__(self, cap, t0, cport, family=4, isn=(1000, 5000), ts=False):
        self.cap, self.t, self.family, self.ts = cap, t0, family, ts
        self.ends = [(CLIENT4 if family == 4 else CLIENT6, cport),
                     (SERVER4 if family == 4 else SERVER6, 80)]
        self.seq = list(isn)            # next sequence number of each side
        self.ack = [0, 0]               # what each side acknowledges
        self.win = [65535, 65535]
        self.t0 = t0
        self.tsval = [0, 0]             # the last timestamp each side sent

    def seg(self, side, flags, length=0, dt=0.0, seq=None, ack=None,
            win=None, opts=None, advance=True):
        self.t += round(dt * 1e9)
        s = self.seq[side] if seq is None else seq
        a = self.ack[side] if ack is None else ack
        if self.ts:
            # Each side's clock ticks in ms from its own origin; it echoes
            # the last value the other side sent (RFC 7323).
            self.tsval[side] = (self.t - self.t0) // 10 ** 6 + 100000 * (side + 1)
            opts = options(ts=(self.tsval[side],
                               self.tsval[1 - side] if flags & ACK else 0),
                           **(opts or {}))
        elif opts:
            opts = options(**opts)
        else:
            opts = b""
        hdr_len = 20 + len(opts)
        tcp = struct.pack("!HHIIBBHHH", self.ends[side][1],
                          self.ends[1 - side][1], s & 0xffffffff,
                          a & 0xffffffff if flags & ACK else 0,
                          hdr_len // 4 << 4, flags,
                          self.win[side] if win is None else win, 0, 0)
        tcp += opts + bytes((side * 7 + i) & 0xff for i in range(length))
        src, dst = self.ends[side][0], self.ends[1 - side][0]
        self.cap.packet(self.t, self.family, src, dst, tcp)
        if advance and seq is None:
            self.seq[side] += length + (1 if flags & (SYN | FIN) else 0)
        return s

    def handshake(self, opts=True):
        o = {"mss": MSS, "wscale": 7, "sack_ok": True} if opts else None
        self.seg(0, SYN, opts=o)
        self.ack[1] = self.seq[0]
        self.seg(1, SYN | ACK, dt=TO_SERVER, opts=o)
        self.ack[0] = self.seq[1]
        self.seg(0, ACK, dt=TO_CLIENT)

    def data(self, side, n, length=MSS, dt=0.0001):
        for _ in range(n):
            self.seg(side, PSH | ACK, length, dt=dt)

    def ack_all(self, side, dt):
        self.ack[side] = self.seq[1 - side]
        self.seg(side, ACK, dt=dt)

    def close(self):
        self.seg(0, FIN | ACK, dt=0.001)
        self.ack[1] = self.seq[0]
        self.seg(1, FIN | ACK, dt=TO_SERVER)
        self.ack[0] = self.seq[1]
        self.seg(0, ACK, dt=TO_CLIENT)


def clean(c):
    """Handshake with options, 8 segments each way, acks, FIN close."""
    c.handshake()
    c.data(0, 8)
    c.ack_all(1, TO_SERVER)
    c.data(1, 8)
    c.ack_all(0, TO_CLIENT)
    c.close()


def rto_retransmission(c):
    """A segment lost after the monitor, sent again after a timeout."""
    c.handshake()
    c.data(0, 2)
    lost = c.seg(0, PSH | ACK, MSS, dt=0.0001)
    c.ack[1] = lost
    c.seg(1, ACK, dt=TO_SERVER)
    c.seg(0, PSH | ACK, MSS, dt=0.3, seq=lost)
    c.ack_all(1, TO_SERVER)
    c.close()


def fast_retransmission(c):
    """A segment lost after the monitor: three duplicate ACKs, then it
    comes again at once."""
    c.handshake()
    c.data(0, 1)
    lost = c.seg(0, PSH | ACK, MSS, dt=0.0001)
    c.data(0, 4)
    c.ack[1] = lost
    c.seg(1, ACK, dt=TO_SERVER)
    for _ in range(4):
        c.seg(1, ACK, dt=0.0001)
    c.seg(0, PSH | ACK, MSS, dt=0.001, seq=lost)
    c.ack_all(1, TO_SERVER)
    c.close()


def fast_after_two(c):
    """Fast retransmission after the fewest duplicate ACKs tshark
    allows: two."""
    dup_acks_then(c, 2, 0.001)


def duplicated(c):
    """The newest segment twice in a row, as a duplicating link sends
    it: at once, but ending where the highest did, so not reordering."""
    c.handshake()
    c.data(0, 2)
    last = c.seg(0, PSH | ACK, MSS, dt=0.0001)
    c.seg(0, PSH | ACK, MSS, dt=0.0001, seq=last)
    c.ack_all(1, TO_SERVER)
    c.close()


def dup_acks_then(c, dups, wait):
    """A segment lost after the monitor, dups duplicate ACKs, and the
    segment again wait seconds after the last of them."""
    c.handshake()
    c.data(0, 1)
    lost = c.seg(0, PSH | ACK, MSS, dt=0.0001)
    c.data(0, 2)
    c.ack[1] = lost
    c.seg(1, ACK, dt=TO_SERVER)
    for _ in range(dups):
        c.seg(1, ACK, dt=0.0001)
    c.seg(0, PSH | ACK, MSS, dt=wait, seq=lost)
    c.ack_all(1, TO_SERVER)
    c.close()


def one_dup_ack(c):
    """Sent again right after a single duplicate ACK: not a fast
    retransmission (it takes two)."""
    dup_acks_then(c, 1, 0.001)


def dup_acks_long_ago(c):
    """Sent again 100 ms after two duplicate ACKs: too late for a fast
    retransmission."""
    dup_acks_then(c, 2, 0.1)


def fin_again(c):
    """A FIN sent again after the server acknowledged it."""
    c.handshake()
    c.data(0, 1)
    fin = c.seg(0, FIN | ACK, dt=0.001)
    c.ack_all(1, TO_SERVER)
    c.seg(0, FIN | ACK, dt=0.3, seq=fin)
    c.seg(1, FIN | ACK, dt=TO_SERVER)
    c.ack[0] = c.seq[1]
    c.seg(0, ACK, dt=TO_CLIENT)


def hole(c):
    """One-byte segments, one of them missing from the capture: the hole
    is one byte wide, and the server acknowledges past it."""
    c.handshake()
    c.data(0, 2, length=1)
    c.seq[0] += 1
    c.data(0, 2, length=1)
    c.ack_all(1, TO_SERVER)
    c.data(0, 1, length=1)
    c.ack_all(1, TO_SERVER)
    c.close()


def reordering(c):
    """Two segments swapped on the way to the monitor."""
    c.handshake()
    c.data(0, 2)
    first = c.seq[0]
    c.seg(0, PSH | ACK, MSS, dt=0.0001, seq=first + MSS)
    c.seg(0, PSH | ACK, MSS, dt=0.0002, seq=first)
    c.seq[0] = first + 2 * MSS
    c.data(0, 2)
    c.ack_all(1, TO_SERVER)
    c.close()


def spurious_retransmission(c):
    """A segment sent again after the server acknowledged it."""
    c.handshake()
    again = c.seg(0, PSH | ACK, MSS, dt=0.0001)
    c.data(0, 1)
    c.ack_all(1, TO_SERVER)
    c.seg(0, PSH | ACK, MSS, dt=0.2, seq=again)
    c.seg(1, ACK, dt=TO_SERVER)
    c.close()


def zero_window(c):
    """The server's buffer fills: a zero window, a probe, an update."""
    c.handshake()
    c.data(0, 4)
    c.ack_all(1, TO_SERVER)
    c.win[1] = 0
    c.seg(1, ACK, dt=0.0001)
    c.seg(0, ACK, 1, dt=0.2, advance=False)
    c.seg(1, ACK, dt=TO_SERVER)
    c.win[1] = 65535
    c.seg(1, ACK, dt=0.1)
    c.data(0, 2)
    c.ack_all(1, TO_SERVER)
    c.close()


def keep_alive(c):
    """An idle connection kept alive: seq - 1, no data."""
    c.handshake()
    c.data(0, 1)
    c.ack_all(1, TO_SERVER)
    c.seg(0, ACK, dt=2.0, seq=c.seq[0] - 1)
    c.seg(1, ACK, dt=TO_SERVER)
    c.close()


def refused(c):
    """A SYN answered by a RST: the port is closed."""
    c.seg(0, SYN, opts={"mss": MSS, "wscale": 7, "sack_ok": True})
    c.ack[1] = c.seq[0]
    c.seg(1, RST | ACK, dt=TO_SERVER)


def sequence_wrap(c):
    """Both sides' sequence numbers wrap past 2^32."""
    c.handshake()
    c.data(0, 6)
    c.ack_all(1, TO_SERVER)
    c.data(1, 6)
    c.ack_all(0, TO_CLIENT)
    c.close()


def reused_tuple(c):
    """A connection closed by RST, then a new one on the same 4-tuple."""
    c.handshake()
    c.data(0, 2)
    c.ack_all(1, TO_SERVER)
    c.seg(0, RST | ACK, dt=0.001)
    c.seq = [700000000, 900000000]
    c.handshake()
    c.data(0, 2)
    c.ack_all(1, TO_SERVER)
    c.close()


def midstream(c):
    """Seen from the middle: no handshake, data both ways, a close."""
    c.ack = [c.seq[1], c.seq[0]]
    c.data(0, 3)
    c.ack_all(1, TO_SERVER)
    c.data(1, 2)
    c.ack_all(0, TO_CLIENT)
    c.close()


def unseen_ack(c):
    """An ACK of data never sent, then the right one."""
    c.handshake()
    c.data(0, 1)
    c.seg(1, ACK, dt=TO_SERVER, ack=c.seq[0] + 50000)
    c.ack_all(1, 0.001)
    c.close()


def last_ack_lost(c):
    """A clean close whose last ACK is lost past the monitor: the server
    sends its FIN again, and the client acknowledges it again."""
    clean(c)
    c.seg(1, FIN | ACK, dt=0.3, seq=c.seq[1] - 1)
    c.seg(0, ACK, dt=TO_CLIENT)


def data_after_rst(c):
    """The client resets while the server's data is in flight; the data
    comes after the RST, and the client answers it with another RST."""
    c.handshake()
    c.data(0, 1)
    c.ack_all(1, TO_SERVER)
    c.seg(0, RST | ACK, dt=0.001)
    c.data(1, 2)
    c.seg(0, RST, dt=TO_CLIENT, ack=0)


def timestamps(c):
    """A clean connection with TCP timestamps on every segment."""
    clean(c)


# (client port, scenario, family, ISNs, timestamps)
SCENARIOS = [
    (40001, clean, 4, (1000, 5000), False),
    (40002, rto_retransmission, 4, (1000, 5000), False),
    (40003, fast_retransmission, 4, (1000, 5000), False),
    (40004, reordering, 4, (1000, 5000), False),
    (40005, spurious_retransmission, 4, (1000, 5000), False),
    (40006, zero_window, 4, (1000, 5000), False),
    (40007, keep_alive, 4, (1000, 5000), False),
    (40008, refused, 4, (1000, 5000), False),
    (40009, sequence_wrap, 4, (2 ** 32 - 3000, 2 ** 32 - 5), False),
    (40010, reused_tuple, 4, (1000, 5000), False),
    (40011, midstream, 4, (1000, 5000), False),
    (40012, unseen_ack, 4, (1000, 5000), False),
    (40013, timestamps, 4, (1000, 5000), True),
    (40014, fast_retransmission, 6, (1000, 5000), False),
    (40015, clean, 6, (3000000000, 123), True),
    (40016, fast_after_two, 4, (1000, 5000), False),
    (40017, duplicated, 4, (1000, 5000), False),
    (40018, one_dup_ack, 4, (1000, 5000), False),
    (40019, dup_acks_long_ago, 4, (1000, 5000), False),
    (40020, fin_again, 4, (1000, 5000), False),
    (40021, hole, 4, (1000, 5000), False),
    (40022, last_ack_lost, 4, (1000, 5000), False),
    (40023, data_after_rst, 4, (1000, 5000), False),
]


class Pcap:
    def __init__(self, path, src_mac, dst_mac):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))
        self.macs = [bytes.fromhex(m.replace(":", "")) for m in (src_mac, dst_mac)]

    def packet(self, t, family, src, dst, tcp):
        """One frame at t ns since the epoch."""
        if family == 4:
            s, d = socket.inet_aton(src), socket.inet_aton(dst)
            pseudo = s + d + struct.pack("!BBH", 0, 6, len(tcp))
        else:
            s = socket.inet_pton(socket.AF_INET6, src)
            d = socket.inet_pton(socket.AF_INET6, dst)
            pseudo = s + d + struct.pack("!IxxxB", len(tcp), 6)
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        if family == 4:
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0,
                             0x4000, 64, 6, 0, s, d)
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            ethertype = 0x0800
        else:
            ip = struct.pack("!IHBB16s16s", 6 << 28, len(tcp), 6, 64, s, d)
            ethertype = 0x86DD
        frame = self.macs[1] + self.macs[0] + struct.pack("!H", ethertype) + ip + tcp
        self.f.write(struct.pack("<IIII", t // 10 ** 9, t % 10 ** 9,
                                 len(frame), len(frame)) + frame)


def main():
    macs = sys.argv[2:4] if len(sys.argv) >= 4 else ["02:00:00:00:00:01",
                                                     "02:00:00:00:00:02"]
    cap = Pcap(sys.argv[1], *macs)
    gap = round(float(sys.argv[4]) * 1e9) if len(sys.argv) > 4 else 10 ** 10
    t = 1700000000 * 10 ** 9
    for port, scenario, family, isn, ts in SCENARIOS:
        conn = Conn(cap, t, port, family, isn, ts)
        scenario(conn)
        t = conn.t + gap
    cap.f.close()


if __name__ == "__main__":
    main()
