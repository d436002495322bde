// SPDX-License-Identifier: GPL-2.0
/*
 * Inline flows: packets held while the flow's PM instances work on them,
 * then passed on where they were taken ("re-injected").
 *
 * The hook steals a packet (NF_STOLEN) and keeps its nf_hook_state, with
 * references on its devices and socket, in the ring beside its unit
 * (struct flowos_held), as an nf_queue entry would; no nf_queue handler
 * is registered, so nfnetlink_queue keeps working beside flowos.  When
 * every instance has released the unit, the thread that released it
 * passes the packet on (flowos_held_pass()) as nf_reinject() does for
 * NFQUEUE: the hooks after flowos's own at that hook point run, then
 * the state's okfn, with bottom halves off.  Packets of one ring leave
 * in ring order (ring->release_lock): packets that came in on one CPU
 * keep their order.  Not across CPUs: a sender that moves to another
 * CPU, or a receive path without RSS steering, can see its packets of
 * two rings leave reordered; and a packet that could not be held and
 * passed (overflow accept) overtakes those held.
 *
 * A device that goes away must not wait for the PMs: on NETDEV_UNREGISTER
 * (which unregister_netdevice() repeats while references remain) the
 * packets held on it give their references back and are dropped when
 * released, counted as lost.
 */
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_bridge.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_queue.h>
#include <net/sock.h>

#include "flowos.h"
#include "hdr_write.h"

/* Count one packet of @flow; bottom halves off. */
void flowos_inline_count(struct flowos_flow *flow,
			 enum flowos_inline_count what)
{
	struct flowos_flow_stats *s = this_cpu_ptr(flow->stats);
	u64_stats_t *c;

	switch (what) {
	case FLOWOS_INLINE_HELD:
		c = &s->held;
		break;
	case FLOWOS_INLINE_REINJECTED:
		c = &s->reinjected;
		break;
	case FLOWOS_INLINE_LOST:
		c = &s->lost;
		break;
	case FLOWOS_INLINE_BYPASSED:
		c = &s->bypassed;
		break;
	case FLOWOS_INLINE_PM_DROPS:
		c = &s->pm_drops;
		break;
	default:
		c = &s->overflow_drops;
		break;
	}
	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(c);
	u64_stats_update_end(&s->syncp);
}

/*
 * Whether @skb may outlive the RCU section it is in, as __nf_queue()
 * makes sure before queueing one: a socket early demux prefetched
 * without a reference gets one (dropped by sock_edemux() when the skb
 * is freed), and a route attached without a reference gets one.  And
 * not a clone that shares an unconfirmed conntrack entry with its
 * original (a multicast packet looped back): the original could be
 * confirmed while the clone is held, and the entry confirmed twice.
 * Nor a bridged packet: br_netfilter's state would need more pinning
 * (flowctl.8 says so).
 */
static bool skb_may_wait(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_BRIDGE_NETFILTER)
	if (nf_bridge_info_exists(skb))
		return false;
#endif
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	const struct nf_conn *ct = (const struct nf_conn *)skb_nfct(skb);

	if (ct && !nf_ct_is_confirmed(ct) && skb_cloned(skb))
		return false;
#endif
	if (skb_sk_is_prefetched(skb) && !sk_is_refcounted(skb->sk)) {
		if (!refcount_inc_not_zero(&skb->sk->sk_refcnt))
			return false;
		skb->destructor = sock_edemux;
	}
	return !skb_dst(skb) || skb_dst_force(skb);
}

/*
 * flowos_held_take - prepare @skb to be held, keeping @state in @h
 *
 * Takes references on what the packet needs until it is passed on: its
 * devices and socket, as an nf_queue entry does.  False if it cannot be
 * held (its socket or route is already going away, see skb_may_wait()):
 * then the caller lets it pass or drops it, and @h is unused.  From the
 * hook, bottom halves off.
 */
bool flowos_held_take(struct flowos_held *h, struct sk_buff *skb,
		      const struct nf_hook_state *state, unsigned int charged)
{
	if (!skb_may_wait(skb))
		return false;
	if (state->sk && !refcount_inc_not_zero(&state->sk->sk_refcnt))
		return false;
	h->state = *state;
	h->skb_dev = skb->dev;
	dev_hold(h->state.in);
	dev_hold(h->state.out);
	dev_hold(h->skb_dev);
	h->charged = charged;
	h->lost = false;
	return true;
}

static void held_put_devs(struct flowos_held *h)
{
	dev_put(h->state.in);
	dev_put(h->state.out);
	dev_put(h->skb_dev);
	h->state.in = NULL;
	h->state.out = NULL;
	h->skb_dev = NULL;
}

/* Not sock_put(): a SYN-ACK's socket is a request socket. */
static void held_put(struct flowos_held *h)
{
	held_put_devs(h);
	if (h->state.sk)
		sock_gen_put(h->state.sk);
	h->state.sk = NULL;
}

static struct nf_hook_entries *hook_entries(const struct nf_hook_state *s)
{
	switch (s->pf) {
	case NFPROTO_IPV4:
		return rcu_dereference(s->net->nf.hooks_ipv4[s->hook]);
	case NFPROTO_IPV6:
		return rcu_dereference(s->net->nf.hooks_ipv6[s->hook]);
	}
	return NULL;
}

/*
 * Where the hooks after flowos's at @s's hook point begin in @e: after
 * flowos's own entry, or, once it is gone (the namespace's last flow
 * was deleted while packets were held), at the first of a higher
 * priority.  Found anew for each packet, since hooks come and go while
 * it is held.
 */
static unsigned int hook_next(const struct nf_hook_entries *e,
			      const struct nf_hook_state *s)
{
	struct nf_hook_ops **ops = nf_hook_entries_get_hook_ops(e);
	int prio = flowos_hook_priority(s->pf, s->hook);
	unsigned int i;

	for (i = 0; i < e->num_hook_entries; i++) {
		if (flowos_hook_is_ours(ops[i]))
			return i + 1;
		if (ops[i]->priority > prio)
			return i;
	}
	return i;
}

/* Run hooks @i.. of @e, as nf_hook_slow() would; *@i ends where it stopped. */
static unsigned int hooks_run(struct sk_buff *skb, struct nf_hook_state *s,
			      const struct nf_hook_entries *e, unsigned int *i)
{
	unsigned int verdict;

	for (; *i < e->num_hook_entries; (*i)++) {
		do {
			verdict = nf_hook_entry_hookfn(&e->hooks[*i], skb, s);
		} while (verdict == NF_REPEAT);
		if (verdict != NF_ACCEPT)
			return verdict;
	}
	return NF_ACCEPT;
}

/*
 * Continue @skb's way from flowos's hook, as nf_reinject() does after an
 * NF_ACCEPT verdict.  No rerouting: that is only ever needed at
 * LOCAL_OUT, and flowos hooks PRE_ROUTING and POST_ROUTING.  Under RCU
 * with bottom halves off.
 */
static void reinject(struct sk_buff *skb, struct nf_hook_state *s)
{
	const struct nf_hook_entries *e = hook_entries(s);
	unsigned int verdict = NF_ACCEPT, i = 0;

	if (e) {
		i = hook_next(e, s);
next:
		verdict = hooks_run(skb, s, e, &i);
	}
	switch (verdict & NF_VERDICT_MASK) {
	case NF_ACCEPT:
	case NF_STOP:
		s->okfn(s->net, s->sk, skb);
		break;
	case NF_QUEUE:
		/* 1: the queue is gone and the rule says go on. */
		if (nf_queue(skb, s, i, verdict) == 1) {
			i++;
			goto next;
		}
		break;
	case NF_STOLEN:
		break;
	default:
		kfree_skb(skb);
	}
}

/*
 * flowos_held_pass - the end of a held packet, as @end says: passed on
 * (if its devices are still there), or dropped; counted either way.
 * Process context (a PM thread, or the flow's teardown); the caller
 * holds the ring's release_lock.
 */
void flowos_held_pass(struct flowos_flow *flow, struct flowos_held *h,
		      struct sk_buff *skb, enum flowos_held_end end)
{
	flowos_mem_uncharge(h->charged);
	local_bh_disable();
	rcu_read_lock();
	if (end == FLOWOS_HELD_PASS && !h->lost) {
		reinject(skb, &h->state);
		flowos_inline_count(flow, FLOWOS_INLINE_REINJECTED);
	} else {
		/* Its device may be gone: nothing must look at it. */
		if (h->lost)
			skb->dev = NULL;
		kfree_skb(skb);
		flowos_inline_count(flow, end == FLOWOS_HELD_PM_DROP && !h->lost ?
					  FLOWOS_INLINE_PM_DROPS :
					  FLOWOS_INLINE_LOST);
	}
	rcu_read_unlock();
	local_bh_enable();
	held_put(h);
}

/*
 * Give back the references the held packets of @r have on @dev, and
 * what else of its namespace they hold that must not wait for the PMs:
 * their route and conntrack entry (an unconfirmed one holds up the
 * namespace's conntrack teardown).  PMs read neither.
 */
static void ring_let_go(struct flowos_stream *st, struct flowos_ring *r,
			const struct net_device *dev)
{
	u64 seq, tail;

	mutex_lock(&r->release_lock);
	/* Pairs with the release store in ring_publish(). */
	tail = smp_load_acquire(&r->tail);
	for (seq = r->released; seq < tail; seq++) {
		struct flowos_held *h = &r->held[seq & (st->qlen - 1)];
		struct sk_buff *skb = r->units[seq & (st->qlen - 1)].skb;

		if (h->lost || (h->state.in != dev && h->state.out != dev &&
				h->skb_dev != dev))
			continue;
		held_put_devs(h);
		h->lost = true;
		skb_dst_drop(skb);
		nf_reset_ct(skb);
	}
	mutex_unlock(&r->release_lock);
}

/*
 * Cleared before the notifier goes at module exit: unregistering it
 * replays NETDEV_UNREGISTER for every device, which must not take
 * references from held packets (there are none by then: each PM module
 * holds flowos, and a flow without instances holds no packet).
 */
static bool notifier_live;

static int netdev_event(struct notifier_block *nb, unsigned long event,
			void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct flowos_net *fn = flowos_pernet(dev_net(dev));
	struct flowos_flow *flow;
	int cpu;

	if (event != NETDEV_UNREGISTER || !READ_ONCE(notifier_live))
		return NOTIFY_DONE;
	mutex_lock(&flowos_mutex);
	list_for_each_entry(flow, &fn->flows, node) {
		struct flowos_stream *st = rcu_dereference_protected(flow->stream,
					lockdep_is_held(&flowos_mutex));

		if (!st || !st->inline_mode)
			continue;
		for_each_possible_cpu(cpu)
			ring_let_go(st, st->rings[cpu], dev);
	}
	mutex_unlock(&flowos_mutex);
	return NOTIFY_DONE;
}

static struct notifier_block netdev_notifier = {
	.notifier_call = netdev_event,
};

/* Whether @pm may write @u, a TCP or UDP packet: 0, or why not. */
static int unit_may_write(const struct flowos_pm *pm,
			  const struct flowos_unit *u)
{
	const struct flowos_pm_inst *pi =
		container_of(pm, struct flowos_pm_inst, pm);

	/* A read-only PM's flowos_unit_rw() gave it NULL. */
	if (pm->ops->mode != FLOWOS_PM_MODE_RW || !u)
		return -EPERM;
	if (!pi->st->inline_mode || !u->skb || skb_shared(u->skb) ||
	    u->flags & FLOWOS_UNIT_DROPPED)
		return -EPERM;
	/* A fragment has the protocol, not the header: it is IP-layer only. */
	if (!(u->layers & (BIT(FLOWOS_LAYER_TCP) | BIT(FLOWOS_LAYER_UDP))))
		return -EPROTONOSUPPORT;
	/*
	 * A GRO list keeps each packet's own headers in its frag_list, and
	 * its segmentation copies only addresses and ports from the first:
	 * other header bytes, and payload pulled into the head, would land
	 * in one packet or in the wrong one.
	 */
	if (skb_is_gso(u->skb) &&
	    skb_shinfo(u->skb)->gso_type & SKB_GSO_FRAGLIST)
		return -EOPNOTSUPP;
	return 0;
}

int flowos_unit_writable(struct flowos_pm *pm, struct flowos_unit *u, u32 off,
			 u32 len)
{
	int err = unit_may_write(pm, u);

	if (err)
		return err;
	if (off > u->payload_len || len > u->payload_len - off)
		return -EINVAL;
	/* From skb->data on: the transport header, whose checksum changes. */
	if (len && skb_ensure_writable(u->skb, u->payload_off + off + len))
		return -ENOMEM;
	return 0;
}
EXPORT_SYMBOL_GPL(flowos_unit_writable);

/* The headers of @u's packet, made writable up to its payload. */
static struct flowos_hdrs unit_hdrs(const struct flowos_unit *u)
{
	struct sk_buff *skb = u->skb;

	return (struct flowos_hdrs) {
		.ip = skb_network_header(skb),
		.l4 = skb->data + u->l4_off,
		.ip_len = u->family == AF_INET ? ip_hdrlen(skb) :
						 sizeof(struct ipv6hdr),
		.l4_len = u->payload_off - u->l4_off,
		.family = u->family,
		.proto = u->proto,
	};
}

/* What the writes of hdr_write.c added to the packet's sum, added to it. */
static void unit_csum_add(struct sk_buff *skb, __wsum delta)
{
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->csum = csum_block_add(skb->csum, delta,
					   skb_network_offset(skb));
}

int flowos_unit_write(struct flowos_pm *pm, struct flowos_unit *u, u32 off,
		      const void *data, u32 len)
{
	struct flowos_hdrs h;
	__wsum delta;
	u8 *at;
	int err;

	err = flowos_unit_writable(pm, u, off, len);
	if (err || !len)
		return err;
	h = unit_hdrs(u);
	at = u->skb->data + u->payload_off + off;
	/*
	 * A CHECKSUM_PARTIAL packet's transport sum is made later, over
	 * what it holds then, and so is the outer UDP sum of a tunnel's
	 * (local checksum offload leaves it independent of the inner
	 * payload): no field changes.
	 */
	h.partial = u->skb->ip_summed == CHECKSUM_PARTIAL;
	err = flowos_payload_write(&h, at - h.ip, data, len, &delta);
	if (!err)
		unit_csum_add(u->skb, delta);
	return err;
}
EXPORT_SYMBOL_GPL(flowos_unit_write);

/* @u's addresses, ports and TCP fields, after a write of its headers. */
static void unit_reread_headers(struct flowos_unit *u,
				const struct flowos_hdrs *h)
{
	if (u->family == AF_INET) {
		const struct iphdr *iph = (const struct iphdr *)h->ip;

		u->saddr[0] = iph->saddr;
		u->daddr[0] = iph->daddr;
	} else {
		const struct ipv6hdr *ip6h = (const struct ipv6hdr *)h->ip;

		memcpy(u->saddr, &ip6h->saddr, sizeof(u->saddr));
		memcpy(u->daddr, &ip6h->daddr, sizeof(u->daddr));
	}
	/* TCP and UDP alike begin with the two ports. */
	u->sport = ((const struct udphdr *)h->l4)->source;
	u->dport = ((const struct udphdr *)h->l4)->dest;
	if (u->proto == IPPROTO_TCP) {
		const struct tcphdr *th = (const struct tcphdr *)h->l4;

		u->tcp_seq = ntohl(th->seq);
		u->tcp_ack = ntohl(th->ack_seq);
		u->tcp_flags = h->l4[13];	/* after the data offset */
	}
}

int flowos_unit_write_header(struct flowos_pm *pm, struct flowos_unit *u,
			     enum flowos_hdr hdr, u32 off, const void *data,
			     u32 len)
{
	struct flowos_hdrs h;
	struct sk_buff *skb;
	__wsum delta;
	int err;

	err = unit_may_write(pm, u);
	if (err || !len)
		return err;
	if (hdr != FLOWOS_HDR_IP && hdr != FLOWOS_HDR_L4)
		return -EINVAL;
	skb = u->skb;
	if (skb_ensure_writable(skb, u->payload_off))
		return -ENOMEM;
	h = unit_hdrs(u);
	/*
	 * The field holds the pseudo-header's sum when the checksum is left
	 * to the device or to segmentation for this header; a tunnel's
	 * outer UDP header, whose inner one is left so, has a whole sum.
	 */
	h.partial = skb->ip_summed == CHECKSUM_PARTIAL &&
		    (skb_is_gso(skb) || skb_checksum_start(skb) == h.l4);
	if (hdr == FLOWOS_HDR_L4) {
		if (off > U32_MAX - (h.l4 - h.ip))
			return -EINVAL;
		off += h.l4 - h.ip;
	}
	err = flowos_hdrs_write(&h, off, data, len, &delta);
	if (err)
		return err;
	unit_csum_add(skb, delta);
	unit_reread_headers(u, &h);
	return 0;
}
EXPORT_SYMBOL_GPL(flowos_unit_write_header);

/* After flowos_flow_init(): every namespace has its flowos_net. */
int flowos_inline_init(void)
{
	WRITE_ONCE(notifier_live, true);
	return register_netdevice_notifier(&netdev_notifier);
}

void flowos_inline_exit(void)
{
	WRITE_ONCE(notifier_live, false);
	unregister_netdevice_notifier(&netdev_notifier);
}
