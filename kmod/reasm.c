// SPDX-License-Identifier: GPL-2.0
/*
 * TCP reassembly of one half of a connection; include/flowos/reasm.h
 * says what it promises.  Sequence numbers wrap: they are compared as
 * serial numbers (RFC 1982), as the TCP stack's before() and after() do.
 * The segments queued all lie within 2^31 after the next byte expected,
 * so that order is a total one among them.
 *
 * Overlaps: a byte is delivered once; the copies of it that come again
 * are counted as dup_bytes.  The queue (a red-black tree, as TCP's
 * out_of_order_queue) holds disjoint segments: a new segment loses the
 * bytes it shares with the queued segments at its ends, and takes the
 * place of those it covers whole.  Each segment is queued and removed
 * once at most, so a segment costs O(log n) amortized, however they
 * overlap, and a call delivers at most the whole queue.
 */
#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#else
#include "flowos_user.h"
#endif
#include <flowos/reasm.h>

/* Byte 13 of the TCP header. */
#define TCP_FLAG_FIN_BIT	0x01
#define TCP_FLAG_SYN_BIT	0x02

/* How far back from the furthest byte seen a half's window reaches. */
#define WINDOW_SPAN		BIT(30)

#ifndef __KERNEL__
unsigned long flowos_reasm_steps;
#endif

/* Natively, a test of the cost counts the comparisons made. */
static inline void count_step(void)
{
#ifndef __KERNEL__
	flowos_reasm_steps++;
#endif
}

static bool seq_before(u32 a, u32 b)
{
	count_step();
	return (s32)(a - b) < 0;
}

static bool seq_after(u32 a, u32 b)
{
	return seq_before(b, a);
}

static u32 seg_end(const struct flowos_reasm_seg *s)
{
	return s->seq + s->len;
}

static struct flowos_reasm_seg *seg_of(struct rb_node *node)
{
	return node ? rb_entry(node, struct flowos_reasm_seg, node) : NULL;
}

static struct flowos_reasm_seg *first_seg(const struct flowos_reasm_half *h)
{
	return seg_of(rb_first(&h->ooo));
}

/*
 * Allocations of the slab allocator are rounded up to its caches' sizes,
 * powers of two but for a few in between: charge the power of two.
 */
u32 flowos_reasm_truesize(u32 len)
{
	return roundup_pow_of_two(sizeof(struct flowos_reasm_seg) + len);
}

static unsigned int take_break(struct flowos_reasm_half *h)
{
	unsigned int flags = h->flags & FLOWOS_HALF_BREAK ?
			     FLOWOS_DATA_BREAK : 0;

	h->flags &= ~FLOWOS_HALF_BREAK;
	return flags;
}

/* Skip to @seq: the bytes before it will never come. */
static void skip_gap(struct flowos_reasm_half *h,
		     const struct flowos_reasm_env *env, u32 seq)
{
	env->stats->gap_bytes += seq - h->next;
	h->next = seq;
	h->flags |= FLOWOS_HALF_BREAK;
}

static void seg_free(struct flowos_reasm_half *h,
		     const struct flowos_reasm_env *env,
		     struct flowos_reasm_seg *s)
{
	rb_erase(&s->node, &h->ooo);
	h->queued -= flowos_reasm_truesize(s->len);
	h->nsegs--;
	env->free(env->ctx, s, sizeof(*s) + s->len);
}

/*
 * Deliver the queued segments that the front has reached: at most
 * ooo_max_segs of them, with a chance to reschedule between them.
 */
static void drain(struct flowos_reasm_half *h,
		  const struct flowos_reasm_env *env)
{
	struct flowos_reasm_seg *s;

	while ((s = first_seg(h)) && !seq_after(s->seq, h->next)) {
		u32 end = seg_end(s);

		if (seq_after(end, h->next)) {
			u32 skip = h->next - s->seq;

			env->stats->dup_bytes += skip;
			env->emit(env->ctx, s->data + skip, s->len - skip,
				  take_break(h));
			env->stats->bytes += s->len - skip;
			h->next = end;
		} else {
			env->stats->dup_bytes += s->len;
		}
		seg_free(h, env, s);
		cond_resched();
	}
}

/*
 * The last queued segment that starts before @seq, and where a segment
 * starting at @seq goes in the tree.
 */
static struct flowos_reasm_seg *seg_find(struct flowos_reasm_half *h, u32 seq,
					 struct rb_node ***linkp,
					 struct rb_node **parentp)
{
	struct rb_node **link = &h->ooo.rb_node, *parent = NULL;
	struct flowos_reasm_seg *prev = NULL;

	while (*link) {
		struct flowos_reasm_seg *s = seg_of(*link);

		parent = *link;
		if (seq_before(s->seq, seq)) {
			prev = s;
			link = &parent->rb_right;
		} else {
			link = &parent->rb_left;
		}
	}
	*linkp = link;
	*parentp = parent;
	return prev;
}

static struct flowos_reasm_seg *seg_next(const struct flowos_reasm_half *h,
					 struct flowos_reasm_seg *prev)
{
	return prev ? seg_of(rb_next(&prev->node)) : first_seg(h);
}

/* Queue a segment ahead of the front; false if there is no room. */
static bool enqueue(struct flowos_reasm_half *h,
		    const struct flowos_reasm_env *env, u32 seq,
		    const void *src, u32 off, u32 len)
{
	struct flowos_reasm_seg *prev, *next, *s;
	struct rb_node **link, *parent;
	u32 end = seq + len, dup = 0;
	bool moved = false;

	prev = seg_find(h, seq, &link, &parent);
	next = seg_next(h, prev);
	/* Bytes that the queued segment at its start holds already. */
	s = prev && seq_after(seg_end(prev), seq) ? prev :
	    next && next->seq == seq ? next : NULL;
	if (s) {
		dup = seg_end(s) - seq;
		if (dup >= len) {
			env->stats->dup_bytes += len;
			return true;
		}
		seq += dup;
		off += dup;
		next = seg_next(h, s);
		moved = true;
	}
	/* Those of a segment that it overlaps at its end. */
	if (next && seq_before(next->seq, end)) {
		s = seg_find(h, end, &link, &parent);
		if (seq_after(seg_end(s), end)) {
			dup += end - s->seq;
			end = s->seq;
			if (end == seq) {
				env->stats->dup_bytes += dup;
				return true;
			}
		}
		moved = true;
	}
	len = end - seq;

	if (h->nsegs >= env->ooo_max_segs) {
		env->stats->seg_overflows++;
		return false;
	}
	if (flowos_reasm_truesize(len) > env->ooo_limit - h->queued)
		return false;
	s = env->alloc(env->ctx, sizeof(*s) + len);
	if (!s)
		return false;
	s->seq = seq;
	s->len = len;
	env->copy(src, off, len, s->data);
	/* Counted once it is queued: a caller that finds no room retries. */
	env->stats->dup_bytes += dup;

	/* The segments between, which it covers whole: it replaces them. */
	while (next && seq_before(next->seq, end)) {
		prev = next;
		next = seg_next(h, prev);
		env->stats->dup_bytes += prev->len;
		seg_free(h, env, prev);
	}
	if (moved)
		seg_find(h, seq, &link, &parent);
	rb_link_node(&s->node, parent, link);
	rb_insert_color(&s->node, &h->ooo);
	h->queued += flowos_reasm_truesize(len);
	h->nsegs++;
	env->stats->ooo_segs++;
	return true;
}

/* Bytes [seq, seq + len) of a started half. */
static void take_bytes(struct flowos_reasm_half *h,
		       const struct flowos_reasm_env *env, u32 seq,
		       const void *src, u32 off, u32 len)
{
	u32 end = seq + len;

	while (seq_after(seq, h->next)) {
		struct flowos_reasm_seg *first;

		if (enqueue(h, env, seq, src, off, len))
			return;
		/* No room: stop waiting for the first hole, and retry. */
		env->stats->overflows++;
		first = first_seg(h);
		skip_gap(h, env, first && seq_before(first->seq, seq) ?
			 first->seq : seq);
		drain(h, env);
	}
	if (!seq_after(end, h->next)) {
		env->stats->dup_bytes += len;
		return;
	}
	env->stats->dup_bytes += h->next - seq;
	off += h->next - seq;
	len = end - h->next;
	env->emit_src(env->ctx, src, off, len, take_break(h));
	env->stats->bytes += len;
	h->next = end;
	drain(h, env);
}

bool flowos_reasm_new_syn(const struct flowos_reasm_half *h, u32 seq,
			  u8 tcp_flags)
{
	/* Its first byte, seq + 1, against the window [start, high]. */
	return tcp_flags & TCP_FLAG_SYN_BIT && h->flags & FLOWOS_HALF_STARTED &&
	       seq + 1 - h->start > h->high - h->start;
}

/*
 * The half saw bytes up to @end: its window reaches there, unless that
 * is further ahead of the front than the window spans (a bogus segment,
 * which would pull the window off the stream).
 */
static void extend_window(struct flowos_reasm_half *h, u32 end)
{
	if (seq_after(end, h->high) && end - h->next <= WINDOW_SPAN)
		h->high = end;
	if (seq_after(h->next, h->high))
		h->high = h->next;
	if (h->high - h->start > WINDOW_SPAN)
		h->start = h->high - WINDOW_SPAN;
}

void flowos_reasm_segment(struct flowos_reasm_half *h,
			  const struct flowos_reasm_env *env, u32 seq,
			  u8 tcp_flags, const void *src, u32 off, u32 len)
{
	if (tcp_flags & TCP_FLAG_SYN_BIT) {
		if (flowos_reasm_new_syn(h, seq, tcp_flags)) {
			/* The old connection ends: deliver what it queued. */
			flowos_reasm_flush(h, env);
			h->flags = FLOWOS_HALF_BREAK;
			env->stats->restarts++;
		}
		seq++;
	}
	if (!(h->flags & FLOWOS_HALF_STARTED)) {
		/* Picked up mid-stream when no SYN was seen. */
		h->next = seq;
		h->start = seq;
		h->high = seq;
		h->flags |= FLOWOS_HALF_STARTED;
	}
	if (tcp_flags & TCP_FLAG_FIN_BIT && !(h->flags & FLOWOS_HALF_FIN)) {
		h->fin = seq + len;
		h->flags |= FLOWOS_HALF_FIN;
	}
	if (len)
		take_bytes(h, env, seq, src, off, len);
	extend_window(h, seq + len);
}

/*
 * The receiver has every byte before @ack: the bytes of the holes below
 * it that the half never saw will never come (the monitor missed them,
 * the receiver did not).  Skip them as gaps, delivering what becomes
 * contiguous, up to the furthest byte seen at most: the bytes beyond
 * @high, not seen at all, are left to a later ACK, so that a bogus ack
 * (2^31 ahead at most, in serial order) cannot move the front past
 * bytes still to come, nor off the window that flowos_reasm_new_syn()
 * judges SYNs by.
 */
void flowos_reasm_ack(struct flowos_reasm_half *h,
		      const struct flowos_reasm_env *env, u32 ack)
{
	struct flowos_reasm_seg *first;
	u32 to;

	if (!(h->flags & FLOWOS_HALF_STARTED))
		return;
	to = seq_before(ack, h->high) ? ack : h->high;
	while (seq_before(h->next, to)) {
		first = first_seg(h);
		skip_gap(h, env, first && seq_before(first->seq, to) ?
			 first->seq : to);
		drain(h, env);
	}
}

bool flowos_reasm_done(const struct flowos_reasm_half *h)
{
	return h->flags & FLOWOS_HALF_FIN && !seq_before(h->next, h->fin);
}

void flowos_reasm_flush(struct flowos_reasm_half *h,
			const struct flowos_reasm_env *env)
{
	struct flowos_reasm_seg *first;

	while ((first = first_seg(h))) {
		if (seq_after(first->seq, h->next))
			skip_gap(h, env, first->seq);
		drain(h, env);
	}
}
