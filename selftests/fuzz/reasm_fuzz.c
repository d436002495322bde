// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for TCP reassembly (kmod/reasm.c), built natively
 * with AddressSanitizer and UBSan.  The input is a list of segments of
 * one known byte stream, 4 bytes each: stream offset (16 bits, little
 * endian), TCP flags (SYN, FIN and ACK are looked at, and BURST) and
 * length;
 * the first byte sets the initial sequence number just below the 2^32
 * wrap, the size of the out-of-order queue and its segment cap.  BURST
 * sends the length in one-byte segments from the offset on: a hole then
 * many tiny segments, the queue's worst case, in a few bytes of input
 * ("make stress" seeds the corpus with it: reasm_seeds.py).  A SYN
 * outside the window seen starts a new connection at its offset.  ACK
 * sends no segment: it is the other direction's acknowledgment of the
 * stream up to the offset plus the length (flowos_reasm_ack()), true or
 * not.  Whatever the order, overlap or repetition, every byte delivered
 * must be the stream's byte at its offset, every byte sent must be
 * delivered or counted as a dup, every byte up to the front delivered
 * or counted as a gap, once, each gap and restart must be flagged, the
 * queue
 * must hold its bounds and be empty, with all its memory returned,
 * after the final flush, and the work done (the comparisons of sequence
 * numbers) must stay within a few descents of the tree per segment.
 */
#include <stdio.h>

#include "reasm_sink.h"

#define STREAM_LEN	4096
#define SYN		0x02
#define FIN		0x01
#define ACK		0x10
#define BURST		0x80

static u8 stream[STREAM_LEN];

static void fail(const char *what, const struct sink *k)
{
	fprintf(stderr, "reasm_fuzz: %s (errors %u, bytes %llu, gaps %llu)\n",
		what, k->errors, (unsigned long long)k->stats.bytes,
		(unsigned long long)k->stats.gap_bytes);
	abort();
}

static const u32 seg_caps[] = { FLOWOS_REASM_MAX_SEGS, 1, 4, 32 };

/* Bytes [off, off + len) of the stream, with @flags, the bounds checked. */
static void send_seg(struct flowos_reasm_half *h,
		     const struct flowos_reasm_env *env, struct sink *k,
		     u32 isn, u32 off, u8 flags, u32 len)
{
	if (!(h->flags & FLOWOS_HALF_STARTED))
		k->base = off;
	flowos_reasm_segment(h, env, isn + off - !!(flags & SYN), flags,
			     stream, off, len);
	sink_sync(k);
	k->sent += len;
	if (h->queued > env->ooo_limit || h->nsegs > env->ooo_max_segs)
		fail("the queue outgrew its limits", k);
	if (k->allocated > h->queued)
		fail("the queue holds more than it was charged", k);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct sink k = { .stream = stream, .stream_len = STREAM_LEN };
	u8 conf = size ? data[0] : 0;
	u32 isn = 0u - 1 - conf;
	struct flowos_reasm_env env = sink_env(&k, (conf & 0xf) <<
					       (6 + (conf >> 6) * 2));
	struct flowos_reasm_half h = {};
	unsigned long steps = flowos_reasm_steps, segs = 1;
	size_t i;

	env.ooo_max_segs = seg_caps[conf >> 4 & 3];
	if (!stream[1])
		for (i = 0; i < STREAM_LEN; i++)
			stream[i] = i * 131 + 7;
	for (i = 1; i + 4 <= size; i += 4) {
		u32 off = (data[i] | data[i + 1] << 8) % STREAM_LEN;
		u8 flags = data[i + 2] & (SYN | FIN | ACK | BURST);
		u32 len = min((u32)data[i + 3], STREAM_LEN - off), end;

		if (flags & ACK) {
			flowos_reasm_ack(&h, &env, isn + off + data[i + 3]);
			sink_sync(&k);
			segs++;
			continue;
		}
		if (flags & BURST) {
			end = off + len;
			for (; off < end; off++, segs++)
				send_seg(&h, &env, &k, isn, off, 0, 1);
			continue;
		}
		/*
		 * The SYN is the byte before @off; outside the window
		 * seen, it starts a new connection at @off.
		 */
		k.restart_base = off;
		send_seg(&h, &env, &k, isn, off, flags, len);
		segs++;
	}
	flowos_reasm_flush(&h, &env);
	/*
	 * The sink placed each delivery after the bytes delivered and
	 * skipped before it; with no restart, they reach the front.
	 */
	if (!k.stats.restarts && h.flags & FLOWOS_HALF_STARTED &&
	    k.stats.bytes + k.stats.gap_bytes != h.next - (isn + k.base))
		fail("bytes up to the front neither delivered nor gaps, or both", &k);
	if (k.errors)
		fail("delivered bytes that are not the stream's", &k);
	if (k.sent != k.stats.bytes + k.stats.dup_bytes)
		fail("bytes neither delivered nor counted as dups, or both", &k);
	if (h.queued || h.nsegs || h.ooo.rb_node || k.allocated)
		fail("the queue kept segments or memory after the flush", &k);
	/* The tree holds at most 1024 segments: 2 * (10 + 2) a descent. */
	if (flowos_reasm_steps - steps > segs * 4 * 2 * (10 + 2))
		fail("the work grew faster than the segments", &k);
	return 0;
}
