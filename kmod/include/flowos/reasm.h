/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowos: TCP reassembly of one direction of a connection (a "half").
 *
 * Segments go in as they arrive, in any order, retransmitted or
 * overlapping; bytes come out once each, in sequence order, through
 * @emit callbacks.  Segments ahead of the next expected byte wait in a
 * bounded out-of-order queue, a red-black tree: a segment costs
 * O(log n) in the segments queued.  The queue's bound counts what each
 * segment costs (its truesize: payload, header and the allocator's
 * rounding, flowos_reasm_truesize()), and the segments too
 * (@ooo_max_segs).  When the queue is full, the reassembler stops
 * waiting for the hole: the missing bytes are counted as a gap and the
 * next bytes delivered carry FLOWOS_DATA_BREAK, so a matcher knows not
 * to join the bytes on either side of it.
 *
 * On a monitoring point, a segment that the receiver got but the
 * monitor did not (capture loss, a ring drop, another path) is never
 * retransmitted: once the other direction acknowledges past a hole
 * (flowos_reasm_ack()), the reassembler stops waiting for it, as when
 * the queue is full.  Copies of the skipped bytes that come after all
 * are counted as dup_bytes, as any byte behind the front is.
 *
 * A SYN whose first byte lies outside the window the half has seen
 * (from its first byte to the end of the furthest segment, the last
 * 2^30 bytes at most) begins a new connection on a 4-tuple reused
 * before the old one ended (its FIN lost or dropped): what the old one
 * queued is delivered, the half starts over at the SYN, and its next
 * bytes carry FLOWOS_DATA_BREAK.  A SYN inside the window (a
 * retransmission) changes nothing.
 *
 * Kernel-independent (like the parser and the classifier): it builds
 * natively for selftests/unit/reasm_test.c.  The caller serializes all
 * calls on one half.  In the kernel, flowos_reasm_segment(),
 * flowos_reasm_ack() and flowos_reasm_flush() may reschedule while they
 * deliver the queue: call them where sleeping is allowed.
 */
#ifndef _FLOWOS_REASM_H
#define _FLOWOS_REASM_H

#ifdef __KERNEL__
#include <linux/types.h>
#endif
/* Natively, the kernel's tools/include/linux/rbtree.h (make ksrc). */
#include <linux/rbtree.h>

/* Flags of delivered bytes. */
#define FLOWOS_DATA_BREAK	0x1	/* not contiguous with earlier bytes */

/* A segment waiting for the bytes before it. */
struct flowos_reasm_seg {
	struct rb_node node;	/* in flowos_reasm_half.ooo, by sequence number */
	u32 seq;
	u32 len;
	u8 data[];
};

/*
 * Segments an out-of-order queue holds at most by default: with a
 * queue of 64 KiB, as many as one-byte segments (64 bytes of truesize
 * each) fit in it.  It bounds the work of one call, which may deliver
 * the whole queue.
 */
#define FLOWOS_REASM_MAX_SEGS	1024

/* What happened to the bytes of a half (or of many: the sums). */
struct flowos_reasm_stats {
	u64 bytes;		/* delivered, each byte once */
	u64 dup_bytes;		/* received again: retransmitted or overlapping */
	u64 gap_bytes;		/* never received, skipped */
	u64 ooo_segs;		/* segments queued out of order */
	u64 overflows;		/* times a full queue made a gap */
	u64 seg_overflows;	/* of those, times the segment cap made it */
	u64 restarts;		/* SYNs that began a new connection on a half */
};

/*
 * How the reassembler reaches its caller.  A segment's bytes stay the
 * caller's (@src is opaque, an skb in the kernel): the reassembler emits
 * them from there, or copies them when it must queue them.
 */
struct flowos_reasm_env {
	void *ctx;
	/* Deliver @len bytes at @off of @src. */
	void (*emit_src)(void *ctx, const void *src, u32 off, u32 len,
			 unsigned int flags);
	/* Deliver @len bytes from memory. */
	void (*emit)(void *ctx, const u8 *data, u32 len, unsigned int flags);
	/* Copy @len bytes at @off of @src to @to. */
	void (*copy)(const void *src, u32 off, u32 len, u8 *to);
	/* Memory for a queued segment (may return NULL), and its return. */
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p, size_t size);
	u32 ooo_limit;		/* truesize the out-of-order queue may hold */
	u32 ooo_max_segs;	/* segments it may hold */
	struct flowos_reasm_stats *stats;
};

enum {
	FLOWOS_HALF_STARTED	= 0x1,	/* @next is set */
	FLOWOS_HALF_FIN		= 0x2,	/* @fin is set */
	FLOWOS_HALF_BREAK	= 0x4,	/* next delivery follows a gap */
};

struct flowos_reasm_half {
	u32 next;		/* sequence number of the next byte to deliver */
	u32 fin;		/* sequence number of the FIN */
	u32 start;		/* the window seen: from @start ... */
	u32 high;		/* ... to the end of the furthest segment */
	u8 flags;
	u32 queued;		/* truesize of @ooo */
	u32 nsegs;		/* segments in @ooo */
	struct rb_root ooo;	/* disjoint segments, by sequence number */
};

/*
 * Take one segment: @seq is its sequence number (of the SYN when
 * @tcp_flags has SYN), @len its payload bytes at @off of @src.
 */
void flowos_reasm_segment(struct flowos_reasm_half *h,
			  const struct flowos_reasm_env *env, u32 seq,
			  u8 tcp_flags, const void *src, u32 off, u32 len);

/*
 * True if a segment of @seq and @tcp_flags is the SYN of a new
 * connection on @h: flowos_reasm_segment() would start @h over.
 */
bool flowos_reasm_new_syn(const struct flowos_reasm_half *h, u32 seq,
			  u8 tcp_flags);

/* The truesize a queued segment of @len bytes is charged. */
u32 flowos_reasm_truesize(u32 len);

/*
 * The other direction acknowledged every byte of @h before @ack: skip
 * the holes below it (counted as gaps, the next bytes delivered flagged
 * FLOWOS_DATA_BREAK) and deliver the queued segments that follow them,
 * up to the end of the furthest segment seen at most.  An @ack at or
 * before the next byte expected, or on a half not started, changes
 * nothing.  Only for a segment with the ACK flag set.  May reschedule,
 * as flowos_reasm_segment() does.
 */
void flowos_reasm_ack(struct flowos_reasm_half *h,
		      const struct flowos_reasm_env *env, u32 ack);

/* True once every byte up to the FIN was delivered. */
bool flowos_reasm_done(const struct flowos_reasm_half *h);

/*
 * The half ends (RST, idle, eviction): deliver what is queued, holes
 * counted as gaps, and free the queue.
 */
void flowos_reasm_flush(struct flowos_reasm_half *h,
			const struct flowos_reasm_env *env);

#ifndef __KERNEL__
/*
 * Natively built, the comparisons of sequence numbers made so far: the
 * work done, for tests that hold it to a bound (not counted in the
 * kernel).
 */
extern unsigned long flowos_reasm_steps;
#endif

#endif /* _FLOWOS_REASM_H */
