// SPDX-License-Identifier: GPL-2.0
/*
 * TCP reassembly of one half of a connection; include/flowos/reasm.h
 * says what it promises.  Sequence numbers wrap: they are compared as
 * serial numbers (RFC 1982), as the TCP stack's before() and after() do.
 *
 * Overlaps: the first copy of a byte to reach the front wins; later
 * copies are counted as dup_bytes and never delivered.  Queued segments
 * may overlap each other; the overlap is trimmed when they are delivered.
 */
#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/minmax.h>
#else
#include "flowos_user.h"
#endif
#include <flowos/reasm.h>

/* Byte 13 of the TCP header. */
#define TCP_FLAG_FIN_BIT	0x01
#define TCP_FLAG_SYN_BIT	0x02

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

static void seg_free(const struct flowos_reasm_env *env,
		     struct flowos_reasm_seg *s)
{
	env->free(env->ctx, s, sizeof(*s) + s->len);
}

/* Deliver the queued segments that the front has reached. */
static void drain(struct flowos_reasm_half *h,
		  const struct flowos_reasm_env *env)
{
	struct flowos_reasm_seg *s;

	while ((s = h->ooo) && !seq_after(s->seq, h->next)) {
		u32 end = s->seq + s->len;

		h->ooo = s->next;
		h->queued -= s->len;
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
		seg_free(env, s);
	}
}

/* Whether one queued segment holds all of [seq, seq + len) already. */
static bool queued_covers(const struct flowos_reasm_half *h, u32 seq, u32 len)
{
	const struct flowos_reasm_seg *s;

	for (s = h->ooo; s && !seq_after(s->seq, seq); s = s->next)
		if (!seq_before(s->seq + s->len, seq + len))
			return true;
	return false;
}

/* Queue a segment ahead of the front; false if there is no room. */
static bool enqueue(struct flowos_reasm_half *h,
		    const struct flowos_reasm_env *env, u32 seq,
		    const void *src, u32 off, u32 len)
{
	struct flowos_reasm_seg **pos, *s;

	if (queued_covers(h, seq, len)) {
		env->stats->dup_bytes += len;
		return true;
	}
	if (len > env->ooo_limit - h->queued)
		return false;
	s = env->alloc(env->ctx, sizeof(*s) + len);
	if (!s)
		return false;
	s->seq = seq;
	s->len = len;
	env->copy(src, off, len, s->data);
	for (pos = &h->ooo; *pos && !seq_after((*pos)->seq, seq);
	     pos = &(*pos)->next)
		;
	s->next = *pos;
	*pos = s;
	h->queued += len;
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
		if (enqueue(h, env, seq, src, off, len))
			return;
		/* No room: stop waiting for the first hole, and retry. */
		env->stats->overflows++;
		skip_gap(h, env, h->ooo && seq_before(h->ooo->seq, seq) ?
			 h->ooo->seq : seq);
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

void flowos_reasm_segment(struct flowos_reasm_half *h,
			  const struct flowos_reasm_env *env, u32 seq,
			  u8 tcp_flags, const void *src, u32 off, u32 len)
{
	if (tcp_flags & TCP_FLAG_SYN_BIT)
		seq++;
	if (!(h->flags & FLOWOS_HALF_STARTED)) {
		/* Picked up mid-stream when no SYN was seen. */
		h->next = seq;
		h->flags |= FLOWOS_HALF_STARTED;
	}
	if (tcp_flags & TCP_FLAG_FIN_BIT && !(h->flags & FLOWOS_HALF_FIN)) {
		h->fin = seq + len;
		h->flags |= FLOWOS_HALF_FIN;
	}
	if (len)
		take_bytes(h, env, seq, src, off, len);
}

bool flowos_reasm_done(const struct flowos_reasm_half *h)
{
	return h->flags & FLOWOS_HALF_FIN && !seq_before(h->next, h->fin);
}

void flowos_reasm_flush(struct flowos_reasm_half *h,
			const struct flowos_reasm_env *env)
{
	while (h->ooo) {
		if (seq_after(h->ooo->seq, h->next))
			skip_gap(h, env, h->ooo->seq);
		drain(h, env);
	}
}
