// SPDX-License-Identifier: GPL-2.0
/*
 * Streams: a flow's units in per-CPU rings, and the windows PMs see.
 *
 * Physically a flow has one ring per CPU; the stream of each layer is the
 * subsequence of units in that layer (unit->layers), which the window
 * iterator filters, so a packet is queued once however many layers it
 * is in.  Every index is a 64-bit sequence number that only grows; a
 * ring slot is seq & (qlen - 1).
 *
 * The three FlowOS window invariants (seeds/002, 4.3.1), for each ring:
 *   released <= head <= tail: a window lies within the stream;
 *   head <= tail: an instance never runs ahead of what was queued;
 *   an instance at order k+1 has head <= the head of every instance at
 *   a lower order: it sees no unit they have not released.
 * flowos_stream_limit() is where they are made; pm.c checks them for
 * every window it hands out.  An instance attaching at order k starts
 * no later than any instance above k has been handed units, so the
 * third holds from the attach on for every unit they had not seen
 * (pm_set_heads()).
 */
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/skbuff.h>
#include <linux/timekeeping.h>

#include "flowos.h"
#include "fastpath.h"

/* Queued units that make the hook wake the first threads. */
#define FLOWOS_WAKE_BATCH	64

static void ring_free(struct flowos_ring *r)
{
	if (r)
		kvfree(r->held);
	kvfree(r);
}

/* A ring of @qlen units, with room for held packets if @inline_mode. */
static struct flowos_ring *ring_alloc(u32 qlen, bool inline_mode, int node)
{
	struct flowos_ring *r;

	r = kvzalloc_node(struct_size(r, units, qlen), GFP_KERNEL, node);
	if (!r)
		return NULL;
	mutex_init(&r->release_lock);
	if (!inline_mode)
		return r;
	r->held = kvzalloc_node(array_size(qlen, sizeof(*r->held)),
				GFP_KERNEL, node);
	if (!r->held) {
		ring_free(r);
		return NULL;
	}
	return r;
}

/*
 * A stream of @flow with a ring of flow->qlen units per possible CPU,
 * charged to the memory cap, or an ERR_PTR.
 */
struct flowos_stream *flowos_stream_alloc(struct flowos_flow *flow,
					  struct netlink_ext_ack *extack)
{
	bool inline_mode = flow->mode == FLOWOS_FLOW_MODE_INLINE;
	size_t ring_size = struct_size_t(struct flowos_ring, units, flow->qlen);
	struct flowos_stream *st;
	size_t charge;
	int cpu;

	if (inline_mode)
		ring_size += flow->qlen * sizeof(struct flowos_held);
	charge = ring_size * num_possible_cpus();
	if (flowos_mem_charge_setup(charge, extack))
		return ERR_PTR(-ENOSPC);
	st = kzalloc(struct_size(st, rings, nr_cpu_ids), GFP_KERNEL);
	if (!st)
		goto uncharge;
	st->flow = flow;
	st->qlen = flow->qlen;
	st->inline_mode = inline_mode;
	st->charged = charge;
	spin_lock_init(&st->lock);
	INIT_LIST_HEAD(&st->pms);
	for_each_possible_cpu(cpu) {
		st->rings[cpu] = ring_alloc(st->qlen, inline_mode,
					    cpu_to_node(cpu));
		if (!st->rings[cpu])
			goto free;
	}
	return st;

free:
	for_each_possible_cpu(cpu)
		ring_free(st->rings[cpu]);
	kfree(st);
uncharge:
	flowos_mem_uncharge(charge);
	return ERR_PTR(-ENOMEM);
}

/* Drop the clones of units [from, to) of @r. */
static void ring_free_units(struct flowos_ring *r, u32 qlen, u64 from, u64 to)
{
	for (; from < to; from++) {
		struct flowos_unit *u = &r->units[from & (qlen - 1)];

		if (u->skb) {
			flowos_mem_uncharge(u->skb->truesize);
			consume_skb(u->skb);
			u->skb = NULL;
		}
	}
}

/* An inline stream's units were settled before (flowos_stream_settle()). */
static void stream_free(struct rcu_head *head)
{
	struct flowos_stream *st = container_of(head, struct flowos_stream, rcu);
	int cpu;

	for_each_possible_cpu(cpu) {
		struct flowos_ring *r = st->rings[cpu];

		if (!st->inline_mode)
			ring_free_units(r, st->qlen, r->released, r->tail);
		ring_free(r);
	}
	flowos_mem_uncharge(st->charged);
	kfree(st);
}

/*
 * Free @st once no packet can be queueing into it.  The caller has
 * unpublished it and stopped every thread.
 */
void flowos_stream_free_rcu(struct flowos_stream *st)
{
	call_rcu(&st->rcu, stream_free);
}

/* A unit the PMs will not see, for want of ring room or of memory. */
static void count_drop(struct flowos_flow *flow, bool for_memory)
{
	struct flowos_flow_stats *s = this_cpu_ptr(flow->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(for_memory ? &s->mem_drops : &s->ring_drops);
	u64_stats_update_end(&s->syncp);
}

/*
 * A clone of @skb for the payload PMs, charged to the memory cap, or
 * NULL (counted in mem_drops) when there is no memory or no room under
 * the cap.
 *
 * A clone shares the packet's pages, and a lagging PM may hold it for
 * long: so that it does not keep a sender's MSG_ZEROCOPY pages pinned,
 * and the sender's completion pending, the clone gets a private copy
 * of such pages, as taps do (dev_queue_xmit_nit()).  Not with
 * skb_orphan_frags(): MSG_ZEROCOPY buffers are SKBFL_DONT_ORPHAN (6.1
 * and 6.12 alike), which it leaves alone.  Charged after the copy, so
 * that release uncharges what was charged.
 */
static struct sk_buff *unit_clone(struct flowos_flow *flow,
				  struct sk_buff *skb)
{
	struct sk_buff *clone = skb_clone(skb, GFP_ATOMIC);

	if (!clone)
		goto drop;
	if (skb_orphan_frags_rx(clone, GFP_ATOMIC) ||
	    !flowos_mem_charge(clone->truesize)) {
		consume_skb(clone);
		goto drop;
	}
	return clone;

drop:
	count_drop(flow, true);
	return NULL;
}

/*
 * The free slot at @r's tail, or NULL if the ring is full.  From the
 * hook, the only producer of this CPU's ring.
 */
static struct flowos_unit *ring_slot(const struct flowos_stream *st,
				     struct flowos_ring *r)
{
	/* Pairs with the release store in stream_released(). */
	if (r->tail - smp_load_acquire(&r->released) >= st->qlen)
		return NULL;
	return &r->units[r->tail & (st->qlen - 1)];
}

/*
 * Publish the unit at @r's tail to the PMs, and wake the first order's
 * threads after FLOWOS_WAKE_BATCH units, or at once if one of the ring's
 * threads went to sleep until woken (ring->idle; on an inline flow, any
 * sleep): never once per unit while they are busy.
 */
static void ring_publish(const struct flowos_stream *st, struct flowos_ring *r,
			 int cpu)
{
	u8 first;

	/* Pairs with the acquire load in flowos_stream_limit(). */
	smp_store_release(&r->tail, r->tail + 1);

	if (++r->since_wake < FLOWOS_WAKE_BATCH) {
		/*
		 * Pairs with smp_mb() in pm_thread() before its last look
		 * for work: it sees this unit, or this sees it sleeping.
		 */
		smp_mb();
		if (likely(!READ_ONCE(r->idle)))
			return;
	}
	r->since_wake = 0;
	if (READ_ONCE(r->idle))
		WRITE_ONCE(r->idle, false);
	first = READ_ONCE(st->first_order);
	flowos_stream_wake(st, first, first, cpu);
}

/*
 * flowos_stream_enqueue - queue a packet's unit on this CPU's ring
 *
 * Called from the hook under RCU with bottom halves off: the only
 * producer of this CPU's ring.  A full ring drops the unit for the PMs
 * and counts it (ring_drops).  A clone that cannot be had under the
 * memory cap is counted (mem_drops) but the unit is queued all the same,
 * without its packet: header-only PMs on the flow still see it, and
 * payload PMs see a unit whose @skb is NULL.
 */
void flowos_stream_enqueue(struct flowos_flow *flow, struct flowos_stream *st,
			   const struct flowos_pkt *pkt, u8 dir,
			   struct sk_buff *skb)
{
	int cpu = smp_processor_id();
	struct flowos_ring *r = st->rings[cpu];
	struct flowos_unit *u = ring_slot(st, r);

	if (!u) {
		count_drop(flow, false);
		return;
	}
	flowos_unit_fill(u, pkt, dir, ktime_get_ns());
	if (READ_ONCE(st->need_skb) &&
	    (pkt->payload_len || u->layers & READ_ONCE(st->hdr_layers))) {
		u->skb = unit_clone(flow, skb);
		if (u->skb) {
			u->payload_off = skb_network_offset(skb) +
					 pkt->payload_off;
			u->l4_off = skb_network_offset(skb) + pkt->l4_off;
		}
	}
	ring_publish(st, r, cpu);
}

/*
 * flowos_stream_hold - take a packet of an inline flow for its PMs
 *
 * As flowos_stream_enqueue(), but the unit carries the packet itself,
 * which stays in the ring until every instance has released it: the
 * verdict is NF_STOLEN.  A packet that cannot be held (the ring full,
 * no room under the memory cap, its socket or route going away, a
 * bridged packet) is not queued, and
 * passes (NF_ACCEPT, counted as bypassed) or is dropped (NF_DROP,
 * overflow_drops) as the flow's overflow policy says.  A held packet
 * wakes the first order's threads at once if they sleep (pm_thread()):
 * it must not wait for a batch.
 */
unsigned int flowos_stream_hold(struct flowos_flow *flow,
				struct flowos_stream *st,
				const struct flowos_pkt *pkt, u8 dir,
				struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	int cpu = smp_processor_id();
	struct flowos_ring *r = st->rings[cpu];
	struct flowos_unit *u = ring_slot(st, r);
	unsigned int charge = skb->truesize;

	if (!u)
		goto overflow;
	if (!flowos_mem_charge(charge))
		goto overflow;
	if (!flowos_held_take(&r->held[r->tail & (st->qlen - 1)], skb, state,
			      charge)) {
		flowos_mem_uncharge(charge);
		goto overflow;
	}
	flowos_unit_fill(u, pkt, dir, ktime_get_ns());
	u->skb = skb;
	u->payload_off = skb_network_offset(skb) + pkt->payload_off;
	u->l4_off = skb_network_offset(skb) + pkt->l4_off;
	flowos_inline_count(flow, FLOWOS_INLINE_HELD);
	ring_publish(st, r, cpu);
	return NF_STOLEN;

overflow:
	if (READ_ONCE(flow->overflow) == FLOWOS_OVERFLOW_DROP) {
		flowos_inline_count(flow, FLOWOS_INLINE_OVERFLOW_DROPS);
		return NF_DROP;
	}
	flowos_inline_count(flow, FLOWOS_INLINE_BYPASSED);
	return NF_ACCEPT;
}

/*
 * Wake the threads of the instances at orders @lo..@hi that work on
 * @cpu's ring, or all of them (FLOWOS_ALL_CPUS).  Under RCU or
 * flowos_mutex.
 */
void flowos_stream_wake(const struct flowos_stream *st, u8 lo, u8 hi, int cpu)
{
	struct flowos_pm_inst *pi;

	list_for_each_entry_rcu(pi, &st->pms, node,
				lockdep_is_held(&flowos_mutex))
		if (pi->order >= lo && pi->order <= hi)
			flowos_pm_wake(pi, cpu);
}

/*
 * flowos_stream_limit - where @pi's window on @cpu's ring ends
 *
 * The lowest head of the instances at lower orders, or the ring's tail
 * when there are none.  An instance that attached at a lower order
 * than @pi started no later than @pi had been handed units then
 * (pm_set_heads()), so it holds back every unit @pi has not seen, and
 * none that @pi saw before it came.  Called under RCU: from @pi's
 * thread, or at attach.
 */
u64 flowos_stream_limit(const struct flowos_stream *st,
			const struct flowos_pm_inst *pi, unsigned int cpu)
{
	/* Pairs with the release store in ring_publish(). */
	u64 limit = smp_load_acquire(&st->rings[cpu]->tail);
	struct flowos_pm_inst *other;

	list_for_each_entry_rcu(other, &st->pms, node) {
		/* Pairs with the release store of a head in pm.c. */
		u64 head = smp_load_acquire(&other->head[cpu]);

		if (other->order < pi->order && head < limit)
			limit = head;
	}
	return limit;
}

/* How far every instance is done with @cpu's ring.  Under st->lock. */
static u64 stream_done(const struct flowos_stream *st, unsigned int cpu)
{
	struct flowos_pm_inst *pi;
	/* Pairs with the release store in ring_publish(). */
	u64 done = smp_load_acquire(&st->rings[cpu]->tail);

	lockdep_assert_held(&st->lock);
	list_for_each_entry(pi, &st->pms, node) {
		/*
		 * Pairs with the release store of a head in pm.c: what the
		 * instance wrote into units below it (a read-write PM's
		 * FLOWOS_UNIT_DROPPED) is seen by whoever releases them.
		 */
		u64 head = smp_load_acquire(&pi->head[cpu]);

		done = min(done, head);
	}
	return done;
}

/* Units below @done of @r are free. */
static void stream_released(struct flowos_ring *r, u64 done)
{
	/* Pairs with the acquire load in ring_slot(). */
	smp_store_release(&r->released, done);
}

/*
 * Pass on the held packets of units [released, @done) of @r, in order,
 * or drop them if !@accept or a PM dropped them, then free their slots.  Process context,
 * with the ring's release_lock: slots are freed only after their
 * packets have gone, so the hook cannot reuse a slot still being read.
 */
static void ring_pass_held(struct flowos_stream *st, struct flowos_ring *r,
			   u64 done, bool accept)
{
	u64 seq;

	lockdep_assert_held(&r->release_lock);
	for (seq = r->released; seq < done; seq++) {
		struct flowos_unit *u = &r->units[seq & (st->qlen - 1)];
		enum flowos_held_end end = FLOWOS_HELD_PASS;

		if (u->flags & FLOWOS_UNIT_DROPPED)
			end = FLOWOS_HELD_PM_DROP;
		else if (!accept)
			end = FLOWOS_HELD_DROP;
		flowos_held_pass(st->flow, &r->held[seq & (st->qlen - 1)],
				 u->skb, end);
		u->skb = NULL;
	}
	if (done > r->released)
		stream_released(r, done);
}

/*
 * flowos_stream_release - free the units of @cpu's ring that every
 * instance is done with, passing their packets on if the flow is
 * inline.  Called from instance threads and from detach.
 */
void flowos_stream_release(struct flowos_stream *st, unsigned int cpu)
{
	struct flowos_ring *r = st->rings[cpu];
	u64 done;

	if (st->inline_mode) {
		mutex_lock(&r->release_lock);
		spin_lock(&st->lock);
		done = stream_done(st, cpu);
		spin_unlock(&st->lock);
		ring_pass_held(st, r, done, true);
		mutex_unlock(&r->release_lock);
		return;
	}
	spin_lock(&st->lock);
	done = stream_done(st, cpu);
	if (done > r->released) {
		ring_free_units(r, st->qlen, r->released, done);
		stream_released(r, done);
	}
	spin_unlock(&st->lock);
}

/*
 * flowos_stream_settle - the end of every packet an inline stream holds,
 * when its last instance has gone: passed on unprocessed under overflow
 * accept, dropped (counted as lost) under overflow drop, as a packet
 * that could not be held would have been.  The caller has unpublished
 * @st and waited for an RCU grace period: no hook is queueing into it.
 */
void flowos_stream_settle(struct flowos_stream *st)
{
	bool accept = READ_ONCE(st->flow->overflow) != FLOWOS_OVERFLOW_DROP;
	int cpu;

	might_sleep();
	for_each_possible_cpu(cpu) {
		struct flowos_ring *r = st->rings[cpu];

		mutex_lock(&r->release_lock);
		ring_pass_held(st, r, r->tail, accept);
		mutex_unlock(&r->release_lock);
	}
}
