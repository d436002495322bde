// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for TCP reassembly (kmod/reasm.c), built natively
 * with AddressSanitizer and UBSan.  The input is a list of segments of
 * one known byte stream, 4 bytes each: stream offset (16 bits, little
 * endian), TCP flags (SYN and FIN are looked at) and length; the first
 * byte sets the initial sequence number just below the 2^32 wrap and
 * the size of the out-of-order queue.  Whatever the order, overlap or
 * repetition, every byte delivered must be the stream's byte at its
 * offset, each gap must be flagged, and the queue must hold its bound
 * and be empty, with all its memory returned, after the final flush.
 */
#include <stdio.h>

#include "reasm_sink.h"

#define STREAM_LEN	4096
#define SYN		0x02
#define FIN		0x01

static u8 stream[STREAM_LEN];

static void fail(const char *what, const struct sink *k)
{
	fprintf(stderr, "reasm_fuzz: %s (errors %u, bytes %llu, gaps %llu)\n",
		what, k->errors, (unsigned long long)k->stats.bytes,
		(unsigned long long)k->stats.gap_bytes);
	abort();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct sink k = { .stream = stream, .stream_len = STREAM_LEN };
	u32 isn = 0u - 1 - (size ? data[0] : 0);
	const struct flowos_reasm_env env =
		sink_env(&k, size ? (data[0] & 0xf) * 64 : 0);
	struct flowos_reasm_half h = {};
	size_t i;

	if (!stream[1])
		for (i = 0; i < STREAM_LEN; i++)
			stream[i] = i * 131 + 7;
	for (i = 1; i + 4 <= size; i += 4) {
		u32 off = (data[i] | data[i + 1] << 8) % STREAM_LEN;
		u8 flags = data[i + 2] & (SYN | FIN);
		u32 len = min((u32)data[i + 3], STREAM_LEN - off);

		if (flags & SYN)
			off = 0;	/* the SYN is the byte before offset 0 */
		if (!(h.flags & FLOWOS_HALF_STARTED))
			k.base = off;
		flowos_reasm_segment(&h, &env, isn + off - !!(flags & SYN),
				     flags, stream, off, len);
		if (h.queued > env.ooo_limit)
			fail("the queue outgrew its limit", &k);
	}
	flowos_reasm_flush(&h, &env);
	if (k.errors)
		fail("delivered bytes that are not the stream's", &k);
	if (h.queued || h.ooo || k.allocated)
		fail("the queue kept segments or memory after the flush", &k);
	return 0;
}
