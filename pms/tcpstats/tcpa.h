/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP connection analysis as a monitoring point between the two ends
 * sees it (Tstat-like): per direction packets, bytes, retransmissions,
 * reordering, duplicate ACKs, zero windows; the handshake's two RTT
 * halves; running RTT samples from data and ACKs and from timestamps.
 *
 * Each segment is judged by the rules of tshark's TCP analysis (the
 * Wireshark User's Guide, "TCP Analysis"; packet-tcp.c of Wireshark
 * 4.0), so that tshark's reading of a capture is the tests' truth.  The
 * state a direction keeps is tshark's: the next sequence number
 * expected (the highest seq + length seen), the last ACK and window it
 * sent, and how many duplicate ACKs in a row.  Where they differ:
 *  - RTT samples follow Karn's rule (tshark's ack_rtt times a segment's
 *    first send even when it was sent again), and a sample of 0 ns (a
 *    capture clock that did not move) is none, as tshark's;
 *  - a segment with SYN and FIN or RST is counted apart (bad_flags) and
 *    judged no further: tshark judges it, and may take it for a new
 *    conversation;
 *  - a SYN begins a new connection on a 4-tuple after the old one
 *    ended, or with another sequence number than the first SYN's; the
 *    caller ends the old one (tcpa_new_conn());
 *  - the payload is what the IP length says: tshark takes only what a
 *    capture holds of a packet it cut short (the native tool
 *    tcpa_pcap does the same, to compare).
 *
 * RTT: up to TCPA_TIMED segments of each direction not yet acknowledged
 * are timed (SYN and FIN included; more in flight wait for room).  An
 * ACK from the other side that covers some gives a sample: the time
 * since the newest of them was sent, as tshark's tcp.analysis.ack_rtt,
 * unless bytes of it were sent again (Karn's rule; tshark times the
 * first send).  With timestamps (RFC 7323), the first echo of a TSval
 * gives a sample too: the time since that TSval was first sent.
 *
 * Kernel-independent: it builds natively for selftests/unit/tcpa_test.c.
 * Not locked: the caller serializes every call on one connection.
 */
#ifndef _FLOWOS_TCPA_H
#define _FLOWOS_TCPA_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "kshim.h"
#endif

/* What one segment was judged to be: tcpa_add()'s return, OR-ed bits. */
#define TCPA_RETRANS		0x0001	/* tcp.analysis.retransmission */
#define TCPA_FAST_RETRANS	0x0002	/* ... after duplicate ACKs */
#define TCPA_SPURIOUS		0x0004	/* ... of bytes already ACKed */
#define TCPA_OUT_OF_ORDER	0x0008
#define TCPA_DUP_ACK		0x0010
#define TCPA_ZERO_WINDOW	0x0020
#define TCPA_ZW_PROBE		0x0040	/* zero window probe */
#define TCPA_ZW_PROBE_ACK	0x0080
#define TCPA_KEEP_ALIVE		0x0100
#define TCPA_KEEP_ALIVE_ACK	0x0200
#define TCPA_WINDOW_UPDATE	0x0400
#define TCPA_LOST		0x0800	/* previous segment not captured */
#define TCPA_ACK_UNSEEN		0x1000	/* ACKs a segment not seen */
#define TCPA_BAD_FLAGS		0x2000	/* SYN with FIN or RST: ignored */

/* Sides: the SYN's sender (or, seen mid-stream, the first to send). */
enum { TCPA_CLIENT, TCPA_SERVER, TCPA_SIDES };

/* How a connection ended. */
enum tcpa_end {
	TCPA_OPEN,
	TCPA_END_FIN,		/* both sides' FINs, each acknowledged */
	TCPA_END_RST,
	TCPA_END_IDLE,		/* the caller's timeout */
	TCPA_END_EVICTED,	/* the caller's table was full */
	TCPA_END_REUSED,	/* a new SYN on its 4-tuple */
};

/* One TCP segment as the monitoring point saw it. */
struct tcpa_seg {
	u64 t;			/* ns */
	u32 seq;
	u32 ack;		/* with TCPHDR_ACK in @flags */
	u32 len;		/* payload bytes */
	u32 wire_len;		/* IP bytes of its @segs wire packets */
	u16 segs;		/* wire packets (a GSO/GRO aggregate: more) */
	u16 win;		/* the window field, unscaled */
	u8 flags;		/* the TCP header's flags byte */
	/* Options (tcpa_parse()); @win and these only if @hdr. */
	bool hdr;
	bool sack_ok;
	bool ts;
	u8 wscale;		/* TCPA_NO_WSCALE: none */
	u16 mss;		/* 0: none */
	u32 tsval;
	u32 tsecr;
};

#define TCPA_NO_WSCALE	0xff

/* RTT samples, in ns. */
struct tcpa_rtt {
	unsigned __int128 sumsq;	/* sum of squares, ns² */
	u64 n;
	u64 min;
	u64 max;
	u64 sum;
	u64 last;
};

#define TCPA_TIMED	16

/* A segment being timed: its sequence range's end and when it passed. */
struct tcpa_timed {
	u32 end;
	u32 start;
	u64 t;
	bool resent;		/* bytes of it were sent again: no sample */
};

/* One direction: what its side sent, and tshark's state of it. */
struct tcpa_dir {
	/* tshark's: valid once @started (a segment seen) or @acked. */
	u32 nextseq;		/* highest seq + length (+1 for SYN, FIN) */
	u32 maxseqtobeacked;	/* end of the bytes seen without a hole */
	u64 nextseq_t;		/* when @nextseq last grew */
	u32 lastack;		/* the last ACK this side sent */
	u64 lastack_t;
	u32 win;		/* the last window it sent, scaled if known */
	u32 dupacks;		/* duplicate ACKs in a row */
	u16 last_verdict;	/* TCPA_* of its last segment */
	bool started;
	bool acked;
	bool syn;		/* its SYN was seen */
	bool fin;		/* its FIN was seen */
	bool fin_acked;		/* ... and acknowledged by the other side */
	/* Its SYN's options. */
	bool sack_ok;
	bool ts_ok;
	u8 wscale;		/* TCPA_NO_WSCALE: none, or not seen */
	u16 mss;
	/* Counters. */
	u64 packets;		/* wire packets */
	u64 bytes;		/* their IP bytes */
	u64 payload;		/* TCP payload bytes, retransmissions included */
	u64 retrans;		/* retransmitted segments (any kind) */
	u64 retrans_bytes;
	u64 fast_retrans;
	u64 spurious;
	u64 out_of_order;
	u64 dup_acks;
	u64 zero_windows;	/* zero windows it advertised */
	u64 zw_probes;
	u64 keep_alives;
	u64 window_updates;
	u64 lost;		/* holes before its segments (not captured) */
	u64 acked_unseen;	/* its ACKs of segments not seen */
	u64 first_data_t;	/* when its first and last payload byte passed */
	u64 last_data_t;
	/* RTT of its data: the other side's ACKs give samples. */
	struct tcpa_timed timed[TCPA_TIMED];	/* a ring, oldest first */
	u8 timed_first;
	u8 timed_n;
	bool ts_seen;		/* @ts_last holds its newest TSval */
	u32 ts_last;
	bool ts_timing;		/* a TSval is being timed */
	u32 ts_val;
	u64 ts_t;
	struct tcpa_rtt rtt;	/* from data and ACKs */
	struct tcpa_rtt ts_rtt;	/* from timestamps */
};

struct tcpa_conn {
	struct tcpa_dir dir[TCPA_SIDES];
	u64 start;		/* its first segment's time */
	u64 last;		/* its last segment's */
	u64 syn_t;		/* the client's first SYN, if @syn_seen */
	u64 synack_t;		/* the server's first SYN-ACK, if @synack_seen */
	bool syn_seen;
	bool synack_seen;
	u64 hs_server_rtt;	/* SYN to SYN-ACK: 0 until known */
	u64 hs_client_rtt;	/* SYN-ACK to the client's ACK of it */
	bool midstream;		/* no SYN seen first */
	bool syn_retrans;	/* a handshake segment came twice: Karn */
	bool established;
	bool refused;		/* the SYN was answered by a RST */
	u8 end;			/* enum tcpa_end */
	u64 bad_flags;		/* segments with SYN and FIN or RST */
};

/*
 * The options and window of a TCP header of @len bytes (data offset
 * included) into @s, which holds the rest; @s->hdr set.  -1 when the
 * data offset is below 5 or beyond @len (nothing set); options cut
 * short are ignored from where they stop making sense.
 */
int tcpa_parse(const u8 *th, u32 len, struct tcpa_seg *s);

/* A new connection, its first segment from @side at @t. */
void tcpa_init(struct tcpa_conn *c, u64 t);

/*
 * Whether @s, from @side, begins a new connection on @c's 4-tuple: a
 * SYN (without ACK) after both sides' FINs or a RST, or one whose
 * sequence number differs from the client's first.
 */
bool tcpa_new_conn(const struct tcpa_conn *c, unsigned int side,
		   const struct tcpa_seg *s);

/* Take @s, sent by @side; return what it was judged to be (TCPA_*). */
unsigned int tcpa_add(struct tcpa_conn *c, unsigned int side,
		      const struct tcpa_seg *s);

/* Mean and population standard deviation of @r, rounded down; 0 if empty. */
u64 tcpa_rtt_mean(const struct tcpa_rtt *r);
u64 tcpa_rtt_stddev(const struct tcpa_rtt *r);

#endif /* _FLOWOS_TCPA_H */
