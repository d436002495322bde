/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The caller's side of the reassembler (kmod/reasm.c) for native tests:
 * segments are slices of one known byte stream, and every byte delivered
 * is checked, as it comes, against the stream at the offset it must have
 * (where the half started, plus the bytes delivered and skipped so far).
 * A SYN that starts the half over (a new connection) starts it at
 * @restart_base of the stream: the caller sets that, and calls
 * sink_sync() after each segment.
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
	u32 restart_base;	/* where a restart would start it */
	u64 restarts_seen;
	bool break_due;		/* a restart: the next delivery is flagged */
	struct flowos_reasm_stats stats;
	u64 sent;		/* bytes sent, each copy: the caller counts them */
	u64 gap_seen;		/* gap_bytes at the last delivery */
	u64 allocated;		/* bytes held in the queue now */
	u64 peak;		/* the most it held */
	unsigned int errors;
	unsigned int breaks;
};

/* The half started over: what it delivers from now on is @restart_base on. */
static inline void sink_sync(struct sink *k)
{
	if (k->stats.restarts == k->restarts_seen)
		return;
	k->restarts_seen = k->stats.restarts;
	k->base = k->restart_base - (u32)(k->stats.bytes + k->stats.gap_bytes);
	k->break_due = true;
}

static inline void sink_take(struct sink *k, const u8 *data, u32 len,
			     unsigned int flags)
{
	u32 pos;
	bool gap;

	sink_sync(k);
	pos = k->base + (u32)(k->stats.bytes + k->stats.gap_bytes);
	gap = k->stats.gap_bytes != k->gap_seen;
	if (!len || (u64)pos + len > k->stream_len ||
	    memcmp(data, k->stream + pos, len))
		k->errors++;
	if ((gap || k->break_due) != !!(flags & FLOWOS_DATA_BREAK))
		k->errors++;
	k->break_due = false;
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
