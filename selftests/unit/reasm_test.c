// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of TCP reassembly (kmod/reasm.c), built natively under
 * AddressSanitizer and UBSan.  The truth is the byte stream itself: a
 * random stream is cut into random segments, which are sent shuffled,
 * retransmitted and overlapping, from a random initial sequence number
 * (often just below the 2^32 wrap).  Every byte delivered must be the
 * stream's byte at that offset, each offset at most once; with a queue
 * large enough nothing may be lost, and with a small one every lost byte
 * must be counted as a gap and flagged at the next delivery.  Segments
 * the monitor missed (lost to it, not to the receiver) make holes that
 * the receiver's cumulative ACK, computed from everything sent, lets
 * the reassembler skip at once (flowos_reasm_ack()).
 */
#include <stdlib.h>

#include "flowos_user.h"
#include <flowos/reasm.h>
#include "kselftest_harness.h"
#include "reasm_sink.h"
#include "test_rand.h"

#define STREAM_MAX	6000
#define SENDS_MAX	4000

struct send {
	u32 off;	/* offset in the stream */
	u32 len;
};

/* Cut [0, n) into segments, then add retransmissions and overlaps. */
static unsigned int make_sends(struct send *s, u32 n)
{
	unsigned int cnt = 0, extra, i;
	u32 off = 0;

	while (off < n) {
		u32 len = 1 + rnd_below(rnd_below(4) ? 200 : 1500);

		s[cnt].off = off;
		s[cnt].len = min(len, n - off);
		off += s[cnt++].len;
	}
	extra = rnd_below(cnt + 1);
	for (i = 0; i < extra && cnt < SENDS_MAX; i++) {
		u32 a = rnd_below(n), b = a + 1 + rnd_below(n - a);

		if (rnd_below(2))
			s[cnt] = s[rnd_below(cnt)];	/* a retransmission */
		else
			s[cnt] = (struct send){ a, b - a };	/* an overlap */
		cnt++;
	}
	return cnt;
}

/* Local reordering: each segment moves by at most @reach places. */
static void shuffle(struct send *s, unsigned int cnt, unsigned int reach)
{
	unsigned int i;

	for (i = 0; reach && i < cnt; i++) {
		unsigned int j = i + rnd_below(min(reach, cnt - i));
		struct send t = s[i];

		s[i] = s[j];
		s[j] = t;
	}
}

struct run {
	u32 n;
	u32 isn;
	u32 ooo_limit;
	unsigned int reach;
	bool syn_first;
	unsigned int lose;	/* one send in @lose is missed; 0: none */
	bool acks;		/* the receiver's ACK after each send */
};

/* The receiver's cumulative ACK: the bytes every send so far covers. */
static u32 ack_after(bool *covered, u32 n, u32 *acked, const struct send *s)
{
	u32 i;

	for (i = s->off; i < s->off + s->len; i++)
		covered[i] = true;
	while (*acked < n && covered[*acked])
		(*acked)++;
	return *acked;
}

static void run_stream(struct __test_metadata *_metadata,
		       const struct run *r, struct sink *k)
{
	static u8 stream[STREAM_MAX];
	static struct send sends[SENDS_MAX];
	static bool covered[STREAM_MAX];
	const struct flowos_reasm_env env = sink_env(k, r->ooo_limit);
	struct flowos_reasm_half h = {};
	unsigned int cnt, i;
	u32 acked = 0;

	for (i = 0; i < r->n; i++)
		stream[i] = rnd();
	memset(covered, 0, sizeof(covered));
	memset(k, 0, sizeof(*k));
	k->stream = stream;
	k->stream_len = STREAM_MAX;
	cnt = make_sends(sends, r->n);
	shuffle(sends, cnt, r->reach);

	if (r->syn_first) {
		flowos_reasm_segment(&h, &env, r->isn - 1, 0x02, NULL, 0, 0);
	} else {	/* picked up mid-stream: the first segment sets the start */
		flowos_reasm_segment(&h, &env, r->isn, 0, stream, 0, 1);
		k->sent++;
		covered[0] = true;
	}
	for (i = 0; i < cnt; i++) {
		if (r->lose && !rnd_below(r->lose)) {
			/* Missed by the monitor, not by the receiver. */
		} else {
			flowos_reasm_segment(&h, &env, r->isn + sends[i].off,
					     i == cnt - 1 ? 0x01 : 0, stream,
					     sends[i].off, sends[i].len);
			k->sent += sends[i].len;
		}
		if (r->acks)
			flowos_reasm_ack(&h, &env, r->isn +
					 ack_after(covered, r->n, &acked, &sends[i]));
	}
	/* The FIN came with the last send; it may have been early. */
	flowos_reasm_segment(&h, &env, r->isn + r->n, 0x01, NULL, 0, 0);
	if (r->acks) {
		/* Everything acknowledged: nothing waits for the flush. */
		flowos_reasm_ack(&h, &env, r->isn + r->n + 1);
		ASSERT_EQ(0, h.nsegs);
		ASSERT_EQ(r->n, k->stats.bytes + k->stats.gap_bytes);
		ASSERT_TRUE(flowos_reasm_done(&h));
	}
	flowos_reasm_flush(&h, &env);

	ASSERT_EQ(0, k->errors);
	ASSERT_EQ(r->n, k->stats.bytes + k->stats.gap_bytes);
	/* Every byte sent was delivered or counted again, not both. */
	ASSERT_EQ(k->sent, k->stats.bytes + k->stats.dup_bytes);
	ASSERT_EQ(0, k->allocated);
	ASSERT_EQ(0, h.queued);
	ASSERT_TRUE(flowos_reasm_done(&h));
}

static u32 rnd_isn(void)
{
	return rnd_below(2) ? rnd() << 8 : 0u - 1 - rnd_below(3000);
}

TEST(large_queue_delivers_every_byte_once)
{
	struct sink k;
	unsigned int seed;

	for (seed = 1; seed <= 300; seed++) {
		struct run r = {
			.n = 1 + (rnd_state = seed, rnd_below(STREAM_MAX)),
			.ooo_limit = STREAM_MAX * 16,
			.reach = rnd_below(30),
			.syn_first = true,
		};

		r.isn = rnd_isn();
		run_stream(_metadata, &r, &k);
		ASSERT_EQ(0, k.stats.gap_bytes);
		ASSERT_EQ(r.n, k.stats.bytes);
		ASSERT_EQ(0, k.stats.overflows);
	}
}

TEST(small_queue_counts_every_gap)
{
	struct sink k;
	unsigned int seed, overflows = 0;

	for (seed = 1; seed <= 300; seed++) {
		struct run r = {
			.n = 1 + (rnd_state = seed, rnd_below(STREAM_MAX)),
			.ooo_limit = rnd_below(3000),
			.reach = 1 + rnd_below(60),
			.syn_first = rnd_below(2),
		};

		r.isn = rnd_isn();
		run_stream(_metadata, &r, &k);
		/* The sink checked that each gap was flagged, once. */
		ASSERT_EQ(k.stats.gap_bytes ? 1 : 0, !!k.breaks);
		overflows += k.stats.overflows;
	}
	/* Otherwise this test would not test what it says. */
	ASSERT_LT(100, overflows);
}

TEST(acks_skip_the_holes_the_monitor_missed)
{
	struct sink k;
	unsigned int seed;
	u64 gaps = 0;

	for (seed = 1; seed <= 300; seed++) {
		struct run r = {
			.n = 1 + (rnd_state = seed, rnd_below(STREAM_MAX)),
			.ooo_limit = rnd_below(2) ? STREAM_MAX * 16 :
				     rnd_below(3000),
			.reach = rnd_below(30),
			.syn_first = rnd_below(2),
			.lose = 2 + rnd_below(20),
			.acks = true,
		};

		r.isn = rnd_isn();
		/*
		 * The sink checked that each delivery after a gap was
		 * flagged (a gap at the end is followed by none).
		 */
		run_stream(_metadata, &r, &k);
		gaps += k.stats.gap_bytes;
	}
	ASSERT_LT(1000, gaps);
}

TEST(acks_of_a_whole_stream_skip_nothing)
{
	struct sink k;
	unsigned int seed;

	for (seed = 1; seed <= 100; seed++) {
		struct run r = {
			.n = 1 + (rnd_state = seed, rnd_below(STREAM_MAX)),
			.ooo_limit = STREAM_MAX * 16,
			.reach = rnd_below(30),
			.syn_first = true,
			.acks = true,
		};

		r.isn = rnd_isn();
		run_stream(_metadata, &r, &k);
		ASSERT_EQ(0, k.stats.gap_bytes);
		ASSERT_EQ(r.n, k.stats.bytes);
	}
}

TEST(retransmission_and_overlap_counted_as_dup)
{
	static const u8 s[] = "0123456789abcdef";
	struct sink k = { .stream = s, .stream_len = sizeof(s) };
	const struct flowos_reasm_env env = sink_env(&k, 100);
	struct flowos_reasm_half h = {};

	flowos_reasm_segment(&h, &env, 999, 0x02, NULL, 0, 0);
	flowos_reasm_segment(&h, &env, 1000, 0, s, 0, 8);
	flowos_reasm_segment(&h, &env, 1000, 0, s, 0, 8);	/* again */
	flowos_reasm_segment(&h, &env, 1012, 0, s, 12, 4);	/* ahead */
	flowos_reasm_segment(&h, &env, 1004, 0, s, 4, 10);	/* overlaps both */
	ASSERT_EQ(16, k.stats.bytes);
	ASSERT_EQ(8 + 4 + 2, k.stats.dup_bytes);
	ASSERT_EQ(1, k.stats.ooo_segs);
	ASSERT_EQ(0, k.stats.gap_bytes);
	ASSERT_EQ(0, k.errors);
	ASSERT_EQ(0, k.allocated);
	ASSERT_FALSE(flowos_reasm_done(&h));
	flowos_reasm_segment(&h, &env, 1016, 0x01, NULL, 0, 0);
	ASSERT_TRUE(flowos_reasm_done(&h));
}

TEST(no_queue_skips_straight_to_the_segment)
{
	static const u8 s[] = "abcdefgh";
	struct sink k = { .stream = s, .stream_len = sizeof(s) };
	const struct flowos_reasm_env env = sink_env(&k, 0);
	struct flowos_reasm_half h = {};

	flowos_reasm_segment(&h, &env, 41, 0x02, NULL, 0, 0);
	flowos_reasm_segment(&h, &env, 42, 0, s, 0, 2);
	flowos_reasm_segment(&h, &env, 46, 0, s, 4, 4);
	ASSERT_EQ(6, k.stats.bytes);
	ASSERT_EQ(2, k.stats.gap_bytes);
	ASSERT_EQ(1, k.stats.overflows);
	ASSERT_EQ(1, k.breaks);
	ASSERT_EQ(0, k.errors);
	/* The bytes of the hole, late: already given up on. */
	flowos_reasm_segment(&h, &env, 44, 0, s, 2, 2);
	ASSERT_EQ(2, k.stats.dup_bytes);
}

/*
 * A hole, then @n one-byte segments after it, then the hole's byte: what
 * a sender may do to make every segment wait in the queue.  Returns the
 * comparisons of sequence numbers it cost, every byte delivered checked.
 */
static unsigned long hole_then_tiny(struct __test_metadata *_metadata,
				    u32 n, u32 ooo_limit, u32 max_segs)
{
	u8 *stream = malloc(n + 1);
	struct sink k = { .stream = stream, .stream_len = n + 1 };
	struct flowos_reasm_env env = sink_env(&k, ooo_limit);
	struct flowos_reasm_half h = {};
	u32 isn = 0u - 1000, i;	/* across the wrap */
	unsigned long steps;

	ASSERT_NE(NULL, stream);
	env.ooo_max_segs = max_segs;
	for (i = 0; i <= n; i++)
		stream[i] = rnd();
	flowos_reasm_segment(&h, &env, isn - 1, 0x02, NULL, 0, 0);
	steps = flowos_reasm_steps;
	for (i = 1; i <= n; i++)
		flowos_reasm_segment(&h, &env, isn + i, 0, stream, i, 1);
	flowos_reasm_segment(&h, &env, isn, 0, stream, 0, 1);
	flowos_reasm_flush(&h, &env);
	steps = flowos_reasm_steps - steps;
	free(stream);

	TH_LOG("%u segments, queue of %u bytes and %u segments: %lu comparisons, %llu bytes held",
	       n, ooo_limit, max_segs, steps, (unsigned long long)k.peak);
	ASSERT_EQ(0, k.errors);
	ASSERT_EQ(n + 1, k.stats.bytes + k.stats.gap_bytes);
	ASSERT_EQ(0, k.allocated);
	ASSERT_EQ(0, h.nsegs);
	/* Payload, headers and rounding: all of it within the limit. */
	ASSERT_GE(ooo_limit, k.peak);
	return steps;
}

TEST(hole_then_tiny_segments_cost_linear_work)
{
	unsigned long small, large;

	rnd_state = 1;
	/* ooo_kb 64, the match PM's default. */
	small = hole_then_tiny(_metadata, 8192, 64 << 10, FLOWOS_REASM_MAX_SEGS);
	large = hole_then_tiny(_metadata, 32768, 64 << 10, FLOWOS_REASM_MAX_SEGS);
	TH_LOG("4 times the segments, %.2f times the work", (double)large / small);
	ASSERT_LT(large, 5 * small);
}

TEST(deep_queue_costs_log_work)
{
	unsigned long small, large;

	rnd_state = 2;
	/* No bound but memory: every segment waits. */
	small = hole_then_tiny(_metadata, 8192, U32_MAX, U32_MAX);
	large = hole_then_tiny(_metadata, 32768, U32_MAX, U32_MAX);
	TH_LOG("4 times the segments, %.2f times the work", (double)large / small);
	/* n log n: 4 * 15 / 13 of the work; n^2 would be 16 times. */
	ASSERT_LT(large, 5 * small);
	/* A descent of the tree or two per segment. */
	ASSERT_GE(8192 * 2 * (13 + 2), small);
	ASSERT_GE(32768 * 2 * (15 + 2), large);
}

/* The halves of a test of restarts: segments of one stream, checked. */
#define SYN	0x02
#define FIN	0x01

static void seg(struct flowos_reasm_half *h, const struct flowos_reasm_env *env,
		struct sink *k, u32 seq, u8 flags, u32 off, u32 len)
{
	flowos_reasm_segment(h, env, seq, flags, k->stream, off, len);
	sink_sync(k);
}

TEST(syn_with_a_new_isn_starts_a_new_connection)
{
	static u8 s[200];
	struct sink k = { .stream = s, .stream_len = sizeof(s) };
	const struct flowos_reasm_env env = sink_env(&k, 4096);
	struct flowos_reasm_half h = {};
	unsigned int i;

	for (i = 0; i < sizeof(s); i++)
		s[i] = rnd();
	/* A connection whose FIN is lost, with bytes queued behind a hole. */
	seg(&h, &env, &k, 999, SYN, 0, 0);
	seg(&h, &env, &k, 1000, 0, 0, 8);
	seg(&h, &env, &k, 1012, 0, 12, 4);
	ASSERT_EQ(8, k.stats.bytes);

	/* A new one on the 4-tuple, its ISN far ahead: stream from 100 on. */
	k.restart_base = 100;
	seg(&h, &env, &k, 5000000, SYN, 100, 0);
	seg(&h, &env, &k, 5000001, 0, 100, 10);
	seg(&h, &env, &k, 5000011, FIN, 110, 5);
	/* The old one's queue went first, its hole counted as a gap. */
	ASSERT_EQ(8 + 4 + 15, k.stats.bytes);
	ASSERT_EQ(4, k.stats.gap_bytes);
	ASSERT_EQ(0, k.stats.dup_bytes);
	ASSERT_EQ(1, k.stats.restarts);
	ASSERT_TRUE(flowos_reasm_done(&h));

	/* Its FIN lost too; the next one's ISN behind: stream from 150 on. */
	k.restart_base = 150;
	seg(&h, &env, &k, 7000, SYN, 150, 0);
	seg(&h, &env, &k, 7001, 0, 150, 20);
	ASSERT_EQ(8 + 4 + 15 + 20, k.stats.bytes);
	ASSERT_EQ(0, k.stats.dup_bytes);
	ASSERT_EQ(2, k.stats.restarts);
	ASSERT_FALSE(flowos_reasm_done(&h));
	/* Every delivery after a restart said it follows no earlier byte. */
	ASSERT_EQ(0, k.errors);
	ASSERT_EQ(0, k.allocated);
}

TEST(syn_inside_the_window_changes_nothing)
{
	static u8 s[100];
	struct sink k = { .stream = s, .stream_len = sizeof(s) };
	const struct flowos_reasm_env env = sink_env(&k, 4096);
	struct flowos_reasm_half h = {};
	unsigned int i;

	for (i = 0; i < sizeof(s); i++)
		s[i] = rnd();
	k.restart_base = 1000;	/* out of the stream: a restart is an error */
	seg(&h, &env, &k, 999, SYN, 0, 0);
	seg(&h, &env, &k, 1000, 0, 0, 30);
	seg(&h, &env, &k, 999, SYN, 0, 0);	/* retransmitted */
	seg(&h, &env, &k, 1040, 0, 40, 10);
	seg(&h, &env, &k, 1019, SYN, 20, 0);	/* inside what was sent */
	seg(&h, &env, &k, 1049, SYN, 50, 0);	/* up to the furthest byte */
	ASSERT_FALSE(flowos_reasm_new_syn(&h, 999, SYN));
	ASSERT_FALSE(flowos_reasm_new_syn(&h, 1049, SYN));
	ASSERT_TRUE(flowos_reasm_new_syn(&h, 1050, SYN));
	ASSERT_TRUE(flowos_reasm_new_syn(&h, 998, SYN));
	ASSERT_FALSE(flowos_reasm_new_syn(&h, 1050, 0));
	seg(&h, &env, &k, 1030, FIN, 30, 20);
	ASSERT_EQ(0, k.stats.restarts);
	ASSERT_EQ(50, k.stats.bytes);
	ASSERT_EQ(10, k.stats.dup_bytes);
	ASSERT_EQ(0, k.errors);
	ASSERT_TRUE(flowos_reasm_done(&h));
}

TEST(ack_past_a_hole_skips_it_at_once)
{
	static u8 s[40];
	struct sink k = { .stream = s, .stream_len = sizeof(s) };
	const struct flowos_reasm_env env = sink_env(&k, 4096);
	struct flowos_reasm_half h = {};
	unsigned int i;

	for (i = 0; i < sizeof(s); i++)
		s[i] = rnd();
	seg(&h, &env, &k, 999, SYN, 0, 0);
	seg(&h, &env, &k, 1000, 0, 0, 8);
	/* [8, 12) missed by the monitor; [12, 20) waits behind it. */
	seg(&h, &env, &k, 1012, 0, 12, 8);
	ASSERT_EQ(8, k.stats.bytes);
	ASSERT_EQ(1, h.nsegs);
	/* ACKs at or before the front change nothing. */
	flowos_reasm_ack(&h, &env, 990);
	flowos_reasm_ack(&h, &env, 1000);
	flowos_reasm_ack(&h, &env, 1008);
	ASSERT_EQ(8, k.stats.bytes);
	ASSERT_EQ(0, k.stats.gap_bytes);
	ASSERT_EQ(1008, h.next);
	/* Into the hole: its first bytes are skipped, the rest waits. */
	flowos_reasm_ack(&h, &env, 1010);
	ASSERT_EQ(2, k.stats.gap_bytes);
	ASSERT_EQ(8, k.stats.bytes);
	/* Past it: the queued segment comes at once, after a break. */
	flowos_reasm_ack(&h, &env, 1020);
	ASSERT_EQ(4, k.stats.gap_bytes);
	ASSERT_EQ(16, k.stats.bytes);
	ASSERT_EQ(0, h.nsegs);
	ASSERT_EQ(1, k.breaks);
	ASSERT_EQ(0, k.stats.overflows);
	/* The skipped bytes, late after all: duplicates. */
	seg(&h, &env, &k, 1008, 0, 8, 4);
	ASSERT_EQ(4, k.stats.dup_bytes);
	ASSERT_EQ(16, k.stats.bytes);
	/* The front goes on from there, unflagged. */
	seg(&h, &env, &k, 1020, FIN, 20, 10);
	ASSERT_EQ(26, k.stats.bytes);
	ASSERT_EQ(1, k.breaks);
	ASSERT_EQ(0, k.errors);
	ASSERT_EQ(0, k.allocated);
	ASSERT_TRUE(flowos_reasm_done(&h));
}

TEST(ack_skips_every_hole_below_it)
{
	static u8 s[40];
	struct sink k = { .stream = s, .stream_len = sizeof(s) };
	const struct flowos_reasm_env env = sink_env(&k, 4096);
	struct flowos_reasm_half h = {};
	u32 isn = 0u - 6;	/* the holes on either side of the wrap */
	unsigned int i;

	for (i = 0; i < sizeof(s); i++)
		s[i] = rnd();
	seg(&h, &env, &k, isn - 1, SYN, 0, 0);
	seg(&h, &env, &k, isn, 0, 0, 4);
	seg(&h, &env, &k, isn + 8, 0, 8, 4);
	seg(&h, &env, &k, isn + 16, 0, 16, 4);
	seg(&h, &env, &k, isn + 28, FIN, 28, 4);
	ASSERT_EQ(3, h.nsegs);
	/* Into the last hole: skipped to the ACK, the FIN's segment waits. */
	flowos_reasm_ack(&h, &env, isn + 24);
	ASSERT_EQ(4 + 4 + 4, k.stats.bytes);
	ASSERT_EQ(4 + 4 + 4, k.stats.gap_bytes);
	ASSERT_EQ(2, k.breaks);
	ASSERT_EQ(1, h.nsegs);
	ASSERT_EQ(isn + 24, h.next);
	ASSERT_FALSE(flowos_reasm_done(&h));
	/* The ACK of the FIN. */
	flowos_reasm_ack(&h, &env, isn + 33);
	ASSERT_EQ(16, k.stats.bytes);
	ASSERT_EQ(16, k.stats.gap_bytes);
	ASSERT_EQ(3, k.breaks);
	ASSERT_EQ(0, k.errors);
	ASSERT_EQ(0, k.allocated);
	ASSERT_TRUE(flowos_reasm_done(&h));
}

TEST(ack_beyond_what_was_seen_skips_no_further)
{
	static u8 s[40];
	struct sink k = { .stream = s, .stream_len = sizeof(s) };
	const struct flowos_reasm_env env = sink_env(&k, 4096);
	struct flowos_reasm_half h = {};
	unsigned int i;

	for (i = 0; i < sizeof(s); i++)
		s[i] = rnd();
	/* Not started: nothing to skip from. */
	flowos_reasm_ack(&h, &env, 5000);
	ASSERT_EQ(0, h.flags);
	seg(&h, &env, &k, 999, SYN, 0, 0);
	/* A SYN, no byte seen: an ACK ahead skips nothing. */
	flowos_reasm_ack(&h, &env, 1010);
	ASSERT_EQ(1000, h.next);
	seg(&h, &env, &k, 1000, 0, 0, 10);
	seg(&h, &env, &k, 1020, 0, 20, 5);
	/* A huge (spoofed) ACK: up to the furthest byte seen, no further. */
	flowos_reasm_ack(&h, &env, 1000 + 0x7ffffff0U);
	ASSERT_EQ(1025, h.next);
	ASSERT_EQ(10, k.stats.gap_bytes);
	/* One 2^31 or more ahead is behind, in serial order: nothing. */
	flowos_reasm_ack(&h, &env, 1000 + 0x90000000U);
	ASSERT_EQ(1025, h.next);
	/* A segment far ahead is queued, but moves no ACK's bound. */
	flowos_reasm_segment(&h, &env, 1000 + 0x7ffffff0U, 0, s, 30, 1);
	flowos_reasm_ack(&h, &env, 1000 + 0x7ffffff1U);
	ASSERT_EQ(1025, h.next);
	ASSERT_EQ(10, k.stats.gap_bytes);
	/* The bytes after the ones seen still come in order. */
	seg(&h, &env, &k, 1025, 0, 25, 5);
	ASSERT_EQ(20, k.stats.bytes);
	ASSERT_EQ(0, k.errors);
	ASSERT_FALSE(flowos_reasm_new_syn(&h, 1029, SYN));
	flowos_reasm_flush(&h, &env);
	ASSERT_EQ(0, k.allocated);
}

TEST(segment_far_ahead_keeps_the_window)
{
	static u8 s[20];
	struct sink k = { .stream = s, .stream_len = sizeof(s) };
	const struct flowos_reasm_env env = sink_env(&k, 4096);
	struct flowos_reasm_half h = {};

	seg(&h, &env, &k, 999, SYN, 0, 0);
	seg(&h, &env, &k, 1000, 0, 0, 10);
	/* Just within 2^31 ahead: queued, but no part of the window. */
	flowos_reasm_segment(&h, &env, 1000 + 0x7ffffff0U, 0, s, 10, 1);
	ASSERT_FALSE(flowos_reasm_new_syn(&h, 999, SYN));
	ASSERT_FALSE(flowos_reasm_new_syn(&h, 1009, SYN));
	ASSERT_TRUE(flowos_reasm_new_syn(&h, 1010, SYN));
	flowos_reasm_flush(&h, &env);
	ASSERT_EQ(0, k.allocated);
}

TEST_HARNESS_MAIN
