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

/*
 * A stream with a ring of @qlen units per possible CPU, charged to the
 * memory cap, or an ERR_PTR.
 */
struct flowos_stream *flowos_stream_alloc(u32 qlen,
					  struct netlink_ext_ack *extack)
{
	size_t ring_size = struct_size_t(struct flowos_ring, units, qlen);
	size_t charge = ring_size * num_possible_cpus();
	struct flowos_stream *st;
	int cpu;

	if (flowos_mem_charge_setup(charge, extack))
		return ERR_PTR(-ENOSPC);
	st = kzalloc(struct_size(st, rings, nr_cpu_ids), GFP_KERNEL);
	if (!st)
		goto uncharge;
	st->qlen = qlen;
	st->charged = charge;
	spin_lock_init(&st->lock);
	INIT_LIST_HEAD(&st->pms);
	for_each_possible_cpu(cpu) {
		st->rings[cpu] = kvzalloc_node(ring_size, GFP_KERNEL,
					       cpu_to_node(cpu));
		if (!st->rings[cpu])
			goto free;
	}
	return st;

free:
	for_each_possible_cpu(cpu)
		kvfree(st->rings[cpu]);
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

static void stream_free(struct rcu_head *head)
{
	struct flowos_stream *st = container_of(head, struct flowos_stream, rcu);
	int cpu;

	for_each_possible_cpu(cpu) {
		struct flowos_ring *r = st->rings[cpu];

		ring_free_units(r, st->qlen, r->released, r->tail);
		kvfree(r);
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
 * flowos_stream_enqueue - queue a packet's unit on this CPU's ring
 *
 * Called from the hook under RCU with bottom halves off: the only
 * producer of this CPU's ring.  A full ring drops the unit for the PMs
 * and counts it (ring_drops).  A clone that cannot be had under the
 * memory cap is counted (mem_drops) but the unit is queued all the same,
 * without its packet: header-only PMs on the flow still see it, and
 * payload PMs see a unit whose @skb is NULL.
 *
 * The first order's threads are woken after FLOWOS_WAKE_BATCH units, or
 * on the first unit after one of the ring's threads went to sleep until
 * woken (ring->idle): never once per unit while they are busy.
 */
void flowos_stream_enqueue(struct flowos_flow *flow, struct flowos_stream *st,
			   const struct flowos_pkt *pkt, u8 dir,
			   struct sk_buff *skb)
{
	int cpu = smp_processor_id();
	struct flowos_ring *r = st->rings[cpu];
	u64 tail = r->tail;
	struct flowos_unit *u;
	u8 first;

	/* Pairs with the release store in flowos_stream_release(). */
	if (tail - smp_load_acquire(&r->released) >= st->qlen) {
		count_drop(flow, false);
		return;
	}
	u = &r->units[tail & (st->qlen - 1)];
	flowos_unit_fill(u, pkt, dir, ktime_get_ns());
	if (READ_ONCE(st->need_skb) && pkt->payload_len) {
		u->skb = unit_clone(flow, skb);
		if (u->skb)
			u->payload_off = skb_network_offset(skb) +
					 pkt->payload_off;
	}
	/* Pairs with the acquire load in flowos_stream_limit(). */
	smp_store_release(&r->tail, tail + 1);

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
	/* Pairs with the release store in flowos_stream_enqueue(). */
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

/*
 * flowos_stream_release - free the units of @cpu's ring that every
 * instance is done with.  Called from instance threads and from detach.
 */
void flowos_stream_release(struct flowos_stream *st, unsigned int cpu)
{
	struct flowos_ring *r = st->rings[cpu];
	struct flowos_pm_inst *pi;
	u64 done, released;

	spin_lock(&st->lock);
	released = r->released;
	/* Pairs with the release store in flowos_stream_enqueue(). */
	done = smp_load_acquire(&r->tail);
	list_for_each_entry(pi, &st->pms, node)
		done = min(done, READ_ONCE(pi->head[cpu]));
	if (done > released) {
		ring_free_units(r, st->qlen, released, done);
		/* Pairs with the acquire load in flowos_stream_enqueue(). */
		smp_store_release(&r->released, done);
	}
	spin_unlock(&st->lock);
}
