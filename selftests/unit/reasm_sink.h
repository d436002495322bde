/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The caller's side of the reassembler (kmod/reasm.c) for native tests:
 * segments are slices of one known byte stream, and every byte delivered
 * is checked, as it comes, against the stream at the offset it must have
 * (where the half started, plus the bytes delivered and skipped so far).
 * Used by selftests/unit/reasm_test.c and selftests/fuzz/reasm_fuzz.c.
 */
#ifndef _FLOWOS_REASM_SINK_H
#define _FLOWOS_REASM_SINK_H

#include <stdlib.h>

#include "flowos_user.h"
#include <flowos/reasm.h>

struct sink {
	const u8 *stream;
	u32 stream_len;
	u32 base;		/* stream offset the half started at */
	struct flowos_reasm_stats stats;
	u64 gap_seen;		/* gap_bytes at the last delivery */
	u64 allocated;		/* bytes held in the queue now */
	u64 peak;		/* the most it held */
	unsigned int errors;
	unsigned int breaks;
};

static inline void sink_take(struct sink *k, const u8 *data, u32 len,
			     unsigned int flags)
{
	u64 pos = k->base + k->stats.bytes + k->stats.gap_bytes;
	bool gap = k->stats.gap_bytes != k->gap_seen;

	if (!len || pos + len > k->stream_len ||
	    memcmp(data, k->stream + pos, len))
		k->errors++;
	if (gap != !!(flags & FLOWOS_DATA_BREAK))
		k->errors++;
	k->breaks += gap;
	k->gap_seen = k->stats.gap_bytes;
}

static inline void sink_emit(void *ctx, const u8 *data, u32 len,
			     unsigned int flags)
{
	sink_take(ctx, data, len, flags);
}

static inline void sink_emit_src(void *ctx, const void *src, u32 off,
				 u32 len, unsigned int flags)
{
	sink_take(ctx, (const u8 *)src + off, len, flags);
}

static inline void sink_copy(const void *src, u32 off, u32 len, u8 *to)
{
	memcpy(to, (const u8 *)src + off, len);
}

static inline void *sink_alloc(void *ctx, size_t size)
{
	struct sink *k = ctx;

	k->allocated += size;
	k->peak = max(k->peak, k->allocated);
	return malloc(size);
}

static inline void sink_free(void *ctx, void *p, size_t size)
{
	struct sink *k = ctx;

	k->allocated -= size;
	free(p);
}

/* A queue of @ooo_limit bytes of truesize and the default segment cap. */
static inline struct flowos_reasm_env sink_env(struct sink *k, u32 ooo_limit)
{
	return (struct flowos_reasm_env){
		.ctx = k, .emit_src = sink_emit_src, .emit = sink_emit,
		.copy = sink_copy, .alloc = sink_alloc, .free = sink_free,
		.ooo_limit = ooo_limit, .ooo_max_segs = FLOWOS_REASM_MAX_SEGS,
		.stats = &k->stats,
	};
}

#endif /* _FLOWOS_REASM_SINK_H */
