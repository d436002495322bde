// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the tcpstats PM's TCP analysis (pms/tcpstats/tcpa.c),
 * built natively under AddressSanitizer and UBSan, for what a capture
 * held against tshark (tcpa_tshark.sh) does not show: bad input (flags
 * no TCP sends together, ACKs of data never sent, options cut short),
 * the end of a connection and the reuse of its 4-tuple, Karn's rule,
 * more segments in flight than are timed, and the RTT figures, each
 * worked out by hand from RFC 9293, 6298 and 7323.
 */
#include "tcpa.h"
#include "kselftest_harness.h"

#define ACK	0x10
#define SYN	0x02
#define FIN	0x01
#define RST	0x04
#define MS	1000000ULL

static struct tcpa_conn c;

/* A segment of @len payload bytes from @side, with window 1000. */
static unsigned int seg(unsigned int side, u64 t_ms, u8 flags, u32 seq,
			u32 ack, u32 len)
{
	struct tcpa_seg s = {
		.t = t_ms * MS, .seq = seq, .ack = ack, .len = len,
		.flags = flags, .segs = 1, .wire_len = 40 + len,
		.hdr = true, .win = 1000, .wscale = TCPA_NO_WSCALE,
	};

	return tcpa_add(&c, side, &s);
}

/* SYN at 0 ms, SYN-ACK at 10, ACK at 30: ISNs 100 (client), 500. */
static void handshake(void)
{
	tcpa_init(&c, 0);
	seg(TCPA_CLIENT, 0, SYN, 100, 0, 0);
	seg(TCPA_SERVER, 10, SYN | ACK, 500, 101, 0);
	seg(TCPA_CLIENT, 30, ACK, 101, 501, 0);
}

TEST(handshake_halves)
{
	handshake();
	EXPECT_EQ(10 * MS, c.hs_server_rtt);
	EXPECT_EQ(20 * MS, c.hs_client_rtt);
	EXPECT_TRUE(c.established);
	EXPECT_FALSE(c.midstream);
	/* The SYN and the SYN-ACK were timed like data. */
	EXPECT_EQ(1, c.dir[TCPA_CLIENT].rtt.n);
	EXPECT_EQ(10 * MS, c.dir[TCPA_CLIENT].rtt.last);
	EXPECT_EQ(20 * MS, c.dir[TCPA_SERVER].rtt.last);
}

/*
 * The PM takes each CPU's units in turn, so a unit may come after a
 * later one: no time runs backwards, none wraps to 2^64 ns.
 */
TEST(units_out_of_time_order)
{
	tcpa_init(&c, 50 * MS);
	seg(TCPA_CLIENT, 50, SYN, 100, 0, 0);
	seg(TCPA_SERVER, 40, SYN | ACK, 500, 101, 0);
	seg(TCPA_CLIENT, 30, ACK, 101, 501, 0);
	EXPECT_EQ(0, c.hs_server_rtt);
	EXPECT_EQ(0, c.hs_client_rtt);
	EXPECT_EQ(30 * MS, c.start);
	EXPECT_EQ(50 * MS, c.last);
	seg(TCPA_CLIENT, 60, ACK, 101, 501, 100);
	seg(TCPA_CLIENT, 55, ACK, 101, 501, 100);
	EXPECT_EQ(60 * MS, c.last);
	EXPECT_EQ(55 * MS, c.dir[TCPA_CLIENT].first_data_t);
	EXPECT_EQ(60 * MS, c.dir[TCPA_CLIENT].last_data_t);
	/* Sent again 5 ms "before" the first: judged, not wrapped. */
	EXPECT_EQ(TCPA_OUT_OF_ORDER, seg(TCPA_CLIENT, 55, ACK, 101, 501, 50) &
		  (TCPA_OUT_OF_ORDER | TCPA_RETRANS));
}

/* RFC 6298 5.7 / Karn: a segment sent twice gives no sample. */
TEST(karn_no_sample_from_a_resent_segment)
{
	handshake();
	seg(TCPA_CLIENT, 40, ACK, 101, 501, 100);
	EXPECT_EQ(TCPA_RETRANS, seg(TCPA_CLIENT, 400, ACK, 101, 501, 100));
	seg(TCPA_SERVER, 410, ACK, 501, 201, 0);
	EXPECT_EQ(1, c.dir[TCPA_CLIENT].rtt.n);	/* the SYN's only */
	EXPECT_EQ(1, c.dir[TCPA_CLIENT].retrans);
	EXPECT_EQ(100, c.dir[TCPA_CLIENT].retrans_bytes);
	/* The next segment, sent once, is timed again. */
	seg(TCPA_CLIENT, 420, ACK, 201, 501, 100);
	seg(TCPA_SERVER, 435, ACK, 501, 301, 0);
	EXPECT_EQ(2, c.dir[TCPA_CLIENT].rtt.n);
	EXPECT_EQ(15 * MS, c.dir[TCPA_CLIENT].rtt.last);
}

/*
 * More in flight than TCPA_TIMED: the later segments are not timed, and
 * the ACK of all of them measures from the newest one timed.
 */
TEST(more_in_flight_than_timed)
{
	unsigned int i;

	handshake();
	for (i = 0; i < TCPA_TIMED + 4; i++)
		seg(TCPA_CLIENT, 40 + i, ACK, 101 + 10 * i, 501, 10);
	seg(TCPA_SERVER, 100, ACK, 501, 101 + 10 * (TCPA_TIMED + 4), 0);
	EXPECT_EQ(2, c.dir[TCPA_CLIENT].rtt.n);
	EXPECT_EQ((100 - (40 + TCPA_TIMED - 1)) * MS,
		  c.dir[TCPA_CLIENT].rtt.last);
}

/* An ACK of bytes never sent is flagged, and times nothing. */
TEST(ack_of_unsent_data)
{
	handshake();
	seg(TCPA_CLIENT, 40, ACK, 101, 501, 100);
	EXPECT_EQ(TCPA_ACK_UNSEEN, seg(TCPA_SERVER, 50, ACK, 501, 50001, 0));
	EXPECT_EQ(1, c.dir[TCPA_SERVER].acked_unseen);
	EXPECT_EQ(1, c.dir[TCPA_CLIENT].rtt.n);
}

/* SYN with FIN or RST: counted, and nothing else changes. */
TEST(flags_no_tcp_sends)
{
	struct tcpa_dir before;

	handshake();
	before = c.dir[TCPA_CLIENT];
	EXPECT_EQ(TCPA_BAD_FLAGS, seg(TCPA_CLIENT, 40, SYN | FIN, 101, 0, 0));
	EXPECT_EQ(TCPA_BAD_FLAGS, seg(TCPA_CLIENT, 41, SYN | RST | ACK, 7, 501, 5));
	EXPECT_EQ(2, c.bad_flags);
	EXPECT_EQ(before.nextseq, c.dir[TCPA_CLIENT].nextseq);
	EXPECT_EQ(before.lastack, c.dir[TCPA_CLIENT].lastack);
	EXPECT_EQ(TCPA_OPEN, c.end);
	/* Still on the wire: counted as packets. */
	EXPECT_EQ(before.packets + 2, c.dir[TCPA_CLIENT].packets);
}

/* RFC 9293 3.6: each FIN acknowledged ends it; a RST ends it at once. */
TEST(ends)
{
	struct tcpa_seg syn = { .flags = SYN, .seq = 100 };

	handshake();
	seg(TCPA_CLIENT, 40, FIN | ACK, 101, 501, 0);
	EXPECT_EQ(TCPA_OPEN, c.end);
	seg(TCPA_SERVER, 50, FIN | ACK, 501, 102, 0);
	EXPECT_EQ(TCPA_OPEN, c.end);
	seg(TCPA_CLIENT, 60, ACK, 102, 502, 0);
	EXPECT_EQ(TCPA_END_FIN, c.end);
	/* A SYN after the end begins a new connection, even the same ISN. */
	EXPECT_TRUE(tcpa_new_conn(&c, TCPA_CLIENT, &syn));

	handshake();
	seg(TCPA_SERVER, 40, RST, 501, 0, 0);
	EXPECT_EQ(TCPA_END_RST, c.end);
}

/* A SYN sent again is the same connection; another ISN is a new one. */
TEST(syn_again_or_reused_tuple)
{
	struct tcpa_seg again = { .flags = SYN, .seq = 100 };
	struct tcpa_seg other = { .flags = SYN, .seq = 9000 };
	struct tcpa_seg synack = { .flags = SYN | ACK, .seq = 9000 };

	tcpa_init(&c, 0);
	seg(TCPA_CLIENT, 0, SYN, 100, 0, 0);
	EXPECT_FALSE(tcpa_new_conn(&c, TCPA_CLIENT, &again));
	EXPECT_TRUE(tcpa_new_conn(&c, TCPA_CLIENT, &other));
	EXPECT_FALSE(tcpa_new_conn(&c, TCPA_SERVER, &synack));
	/* The SYN again: the handshake RTT is ambiguous, so none (Karn). */
	EXPECT_EQ(TCPA_RETRANS, seg(TCPA_CLIENT, 1000, SYN, 100, 0, 0));
	seg(TCPA_SERVER, 1010, SYN | ACK, 500, 101, 0);
	seg(TCPA_CLIENT, 1030, ACK, 101, 501, 0);
	EXPECT_EQ(0, c.hs_server_rtt);
	EXPECT_EQ(0, c.hs_client_rtt);
	EXPECT_TRUE(c.established);
}

TEST(refused)
{
	tcpa_init(&c, 0);
	seg(TCPA_CLIENT, 0, SYN, 100, 0, 0);
	seg(TCPA_SERVER, 7, RST | ACK, 0, 101, 0);
	EXPECT_TRUE(c.refused);
	EXPECT_EQ(7 * MS, c.hs_server_rtt);
	EXPECT_EQ(TCPA_END_RST, c.end);
}

/* Sequence numbers compare modulo 2^32 (RFC 9293 3.4). */
TEST(sequence_wrap)
{
	tcpa_init(&c, 0);
	seg(TCPA_CLIENT, 0, SYN, 0xfffffff0, 0, 0);
	seg(TCPA_SERVER, 10, SYN | ACK, 500, 0xfffffff1, 0);
	seg(TCPA_CLIENT, 30, ACK, 0xfffffff1, 501, 0);
	EXPECT_EQ(0, seg(TCPA_CLIENT, 31, ACK, 0xfffffff1, 501, 100));
	EXPECT_EQ(0, seg(TCPA_CLIENT, 32, ACK, 0x55, 501, 100));
	EXPECT_EQ(TCPA_RETRANS, seg(TCPA_CLIENT, 300, ACK, 0xfffffff1, 501, 100));
	seg(TCPA_SERVER, 310, ACK, 501, 0xb9, 0);
	EXPECT_EQ(0xb9, c.dir[TCPA_CLIENT].nextseq);
	EXPECT_EQ(0, c.dir[TCPA_CLIENT].lost);
}

/* 10, 20 and 30 ms: mean 20 ms, population stddev sqrt(200/3) ms. */
TEST(rtt_figures)
{
	struct tcpa_rtt r = { 0 };

	EXPECT_EQ(0, tcpa_rtt_mean(&r));
	EXPECT_EQ(0, tcpa_rtt_stddev(&r));
	handshake();		/* client 10 ms, server 20 ms */
	seg(TCPA_CLIENT, 40, ACK, 101, 501, 100);
	seg(TCPA_SERVER, 60, ACK, 501, 201, 0);
	seg(TCPA_CLIENT, 70, ACK, 201, 501, 100);
	seg(TCPA_SERVER, 100, ACK, 501, 301, 0);
	r = c.dir[TCPA_CLIENT].rtt;
	ASSERT_EQ(3, r.n);
	EXPECT_EQ(10 * MS, r.min);
	EXPECT_EQ(30 * MS, r.max);
	EXPECT_EQ(20 * MS, tcpa_rtt_mean(&r));
	EXPECT_EQ(8164965, tcpa_rtt_stddev(&r));	/* 8.1649658 ms */
}

/* RFC 7323 3.2: only the echo of the TSval timed gives a sample. */
TEST(timestamps)
{
	struct tcpa_seg s = { .segs = 1, .hdr = true, .ts = true, .win = 1000,
			      .wscale = TCPA_NO_WSCALE };

	tcpa_init(&c, 0);
	s.flags = ACK;
	s.t = 0;
	s.tsval = 1000;
	tcpa_add(&c, TCPA_CLIENT, &s);		/* TSval 1000 timed at 0 */
	s.t = 5 * MS;
	s.tsval = 1005;
	s.seq = 0;
	tcpa_add(&c, TCPA_CLIENT, &s);		/* not timed: one at a time */
	s.t = 30 * MS;
	s.tsval = 77;
	s.tsecr = 1005;				/* echoes past the one timed */
	tcpa_add(&c, TCPA_SERVER, &s);
	EXPECT_EQ(0, c.dir[TCPA_CLIENT].ts_rtt.n);
	s.t = 40 * MS;
	s.tsval = 1040;
	tcpa_add(&c, TCPA_CLIENT, &s);		/* timed at 40 */
	s.t = 45 * MS;
	s.tsval = 1040;
	tcpa_add(&c, TCPA_CLIENT, &s);		/* the same TSval: not again */
	s.t = 62 * MS;
	s.tsval = 99;
	s.tsecr = 1040;
	tcpa_add(&c, TCPA_SERVER, &s);
	ASSERT_EQ(1, c.dir[TCPA_CLIENT].ts_rtt.n);
	EXPECT_EQ(22 * MS, c.dir[TCPA_CLIENT].ts_rtt.last);
}

/* Options (RFC 9293 3.2, 7323, 2018), and headers cut short. */
TEST(parse)
{
	static const u8 opts[] = {
		2, 4, 0x05, 0xb4,		/* MSS 1460 */
		1, 3, 3, 15,			/* NOP, window scale 15 */
		4, 2,				/* SACK permitted */
		8, 10, 0, 0, 1, 0, 0, 0, 2, 0,	/* TSval 256, TSecr 512 */
	};
	u8 th[60] = { 0 };
	struct tcpa_seg s;

	memcpy(th + 20, opts, sizeof(opts));
	th[12] = (20 + 20) / 4 << 4;
	th[14] = 0x12;
	th[15] = 0x34;
	ASSERT_EQ(0, tcpa_parse(th, 40, &s));
	EXPECT_EQ(0x1234, s.win);
	EXPECT_EQ(1460, s.mss);
	EXPECT_EQ(14, s.wscale);	/* RFC 7323 2.3: 14 at most */
	EXPECT_TRUE(s.sack_ok);
	EXPECT_TRUE(s.ts);
	EXPECT_EQ(256, s.tsval);
	EXPECT_EQ(512, s.tsecr);
	/* The timestamp option cut off by the data offset: not taken. */
	th[12] = (20 + 16) / 4 << 4;
	ASSERT_EQ(0, tcpa_parse(th, 36, &s));
	EXPECT_EQ(1460, s.mss);
	EXPECT_FALSE(s.ts);
	/* An option whose length runs past the header ends the parse. */
	th[20 + 1] = 40;
	ASSERT_EQ(0, tcpa_parse(th, 36, &s));
	EXPECT_EQ(0, s.mss);
	/* A length of 0 or 1 would never end: refused the same way. */
	th[20 + 1] = 0;
	ASSERT_EQ(0, tcpa_parse(th, 36, &s));
	EXPECT_EQ(0, s.mss);
	EXPECT_EQ(-EINVAL, tcpa_parse(th, 19, &s));
	th[12] = 4 << 4;		/* a data offset below 5 */
	EXPECT_EQ(-EINVAL, tcpa_parse(th, 40, &s));
	th[12] = 15 << 4;		/* beyond the bytes given */
	EXPECT_EQ(-EINVAL, tcpa_parse(th, 40, &s));
}

TEST_HARNESS_MAIN
