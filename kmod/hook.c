// SPDX-License-Identifier: GPL-2.0
/*
 * The packet path: netfilter hooks that parse each packet, find its flow
 * and count it.  For a passive flow the verdict is always NF_ACCEPT:
 * these hooks never delay, change or drop its packets.  An inline flow
 * with PM instances holds its packets (NF_STOLEN) until they are done,
 * then passes them on from here (inline.c); one that cannot hold a
 * packet lets it pass or drops it by its overflow policy.
 *
 * Ingress, flowos runs before conntrack, NAT and the filter tables, so
 * a held packet reaches them when it is passed on; egress, after all
 * of them but conntrack's confirmation (and any hook of a still higher
 * priority), which it reaches when passed on.
 *
 * Ingress runs in PRE_ROUTING right after defragmentation, so no flow
 * ever sees a fragment of a packet that reassembles; egress runs in
 * POST_ROUTING after source NAT, so it sees what goes on the wire.
 *
 * That has a cost to the namespace, which flowctl.8 states: while it has
 * a flow, flowos_hook_register() keeps nf_defrag enabled there, and
 * nf_defrag's own hooks (PRE_ROUTING and LOCAL_OUT, IPv4 and IPv6) hold
 * every fragment until its packet is complete (NF_STOLEN), pass the
 * packet on reassembled, and drop fragments that time out, overlap or
 * find the reassembly memory full; forwarded packets are refragmented
 * on the way out.  This is what conntrack does whenever it is in use.
 */
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>

#include "flowos.h"
#include "fastpath.h"

/* As on the wire: a GSO or GRO packet counts as its segments. */
static void count_packet(struct flowos_flow *flow, int dir,
			 const struct flowos_pkt *pkt)
{
	struct flowos_flow_stats *s = this_cpu_ptr(flow->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->packets[dir], pkt->segs);
	u64_stats_add(&s->bytes[dir], pkt->wire_len);
	u64_stats_update_end(&s->syncp);
}

/*
 * Count the packet and queue its unit for the flow's PMs, holding the
 * packet if the flow is inline.  Returns the verdict.
 */
static unsigned int flow_take_bh(struct flowos_flow *flow,
				 const struct flowos_pkt *pkt, bool ingress,
				 struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	u8 dir = ingress ? FLOWOS_DIR_IN : FLOWOS_DIR_OUT;
	struct flowos_stream *st;

	count_packet(flow, ingress ? FLOWOS_IN : FLOWOS_OUT, pkt);
	st = rcu_dereference(flow->stream);
	if (!st)
		return NF_ACCEPT;
	if (st->inline_mode)
		return flowos_stream_hold(flow, st, pkt, dir, skb, state);
	flowos_stream_enqueue(flow, st, pkt, dir, skb);
	return NF_ACCEPT;
}

/*
 * This CPU's counters and ring must have one writer at a time, so bottom
 * halves must be off: then an egress hook in process context cannot be
 * interrupted by ingress on the same CPU.  They nearly always are off
 * already (ingress runs in softirq, or under netif_receive_skb()'s
 * callers, which turn them off), and the pair is skipped then: it is a
 * fair share of the hook's cost.  Egress from process context, or a
 * packet reinjected after an NFQUEUE verdict, takes it.
 */
static unsigned int flow_take(struct flowos_flow *flow,
			      const struct flowos_pkt *pkt, bool ingress,
			      struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	unsigned int verdict;

	if (softirq_count())
		return flow_take_bh(flow, pkt, ingress, skb, state);
	local_bh_disable();
	verdict = flow_take_bh(flow, pkt, ingress, skb, state);
	local_bh_enable();
	return verdict;
}

/* A packet the parser refused: counted per reason, never trusted. */
static void count_malformed(const struct flowos_net *fn,
			    enum flowos_parse_result r)
{
	struct flowos_net_stats *s;

	local_bh_disable();
	s = this_cpu_ptr(fn->stats);
	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->malformed[r]);
	u64_stats_update_end(&s->syncp);
	local_bh_enable();
}

/* @dev's name into @name; zeros for none. */
static void key_ifname(char *name, const struct net_device *dev)
{
	if (dev)
		memcpy(name, dev->name, IFNAMSIZ);
	else
		memset(name, 0, IFNAMSIZ);
}

/*
 * The key's words that only flows matching a device name or a VLAN
 * read.  A VLAN device's packets carry its id (with 8021q, the only
 * way to have one); a packet may also still carry a tag of its own (a
 * bridge's, with br_netfilter).
 */
static void key_devs(struct flowos_key *key, const struct sk_buff *skb,
		     const struct nf_hook_state *state,
		     const struct net_device *dev)
{
	key_ifname(key->iifname, state->in);
	key_ifname(key->oifname, state->out);
	key->vlan = 0;
	key->vlan_parent = 0;
#if IS_ENABLED(CONFIG_VLAN_8021Q)
	if (dev && is_vlan_dev(dev)) {
		key->vlan = FLOWOS_KEY_VLAN_TAGGED | vlan_dev_priv(dev)->vlan_id;
		key->vlan_parent = vlan_dev_priv(dev)->real_dev->ifindex;
		return;
	}
#endif
	if (skb_vlan_tag_present(skb)) {
		key->vlan = FLOWOS_KEY_VLAN_TAGGED | skb_vlan_tag_get_id(skb);
		key->vlan_parent = dev ? dev->ifindex : 0;
	}
}

/* Runs in softirq (ingress) or process context (egress), under RCU. */
static unsigned int flowos_hook(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	const struct flowos_net *fn = priv;
	const struct flowos_classifier *cls = rcu_dereference(fn->cls);
	const struct flowos_pkt_buf buf = { .skb = skb };
	bool ingress = state->hook == NF_INET_PRE_ROUTING;
	u8 dir = ingress ? FLOWOS_DIR_IN : FLOWOS_DIR_OUT;
	const struct net_device *dev;
	enum flowos_parse_result r;
	struct flowos_flow *flow;
	struct flowos_pkt pkt;
	struct flowos_key key;
	__be16 proto;

	/* No flow could take it: not even parsed, nor counted as malformed. */
	if (!flowos_classify_sees(cls, dir))
		return NF_ACCEPT;
	proto = state->pf == NFPROTO_IPV4 ? htons(ETH_P_IP) : htons(ETH_P_IPV6);
	r = flowos_parse_l3(&buf, skb_network_offset(skb), proto, &pkt);
	if (r != FLOWOS_PARSE_OK) {
		count_malformed(fn, r);
		return NF_ACCEPT;
	}

	dev = ingress ? state->in : state->out;
	pkt.ifindex = dev ? dev->ifindex : 0;
	flowos_pkt_key(&pkt, pkt.ifindex, dir, &key);
	if (flowos_classify_wants_devs(cls))
		key_devs(&key, skb, state, dev);
	flow = flowos_classify(cls, &key);
	if (!flow)
		return NF_ACCEPT;
	return flow_take(flow, &pkt, ingress, skb, state);
}

static const struct nf_hook_ops hook_ops_template[FLOWOS_NHOOKS] = {
	{
		.hook = flowos_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_CONNTRACK_DEFRAG + 1,
	}, {
		.hook = flowos_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP_PRI_NAT_SRC + 1,
	}, {
		.hook = flowos_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_CONNTRACK_DEFRAG + 1,
	}, {
		.hook = flowos_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP6_PRI_NAT_SRC + 1,
	},
};

/* Whether @ops is one of flowos's hooks, in any namespace. */
bool flowos_hook_is_ours(const struct nf_hook_ops *ops)
{
	return ops->hook == flowos_hook;
}

/* The priority of flowos's hook of family @pf at @hooknum. */
int flowos_hook_priority(u8 pf, unsigned int hooknum)
{
	unsigned int i;

	for (i = 0; i < FLOWOS_NHOOKS; i++)
		if (hook_ops_template[i].pf == pf &&
		    hook_ops_template[i].hooknum == hooknum)
			return hook_ops_template[i].priority;
	return INT_MAX;
}

int flowos_hook_register(struct flowos_net *fn)
{
	int err, i;

	lockdep_assert_held(&flowos_mutex);
	err = nf_defrag_ipv4_enable(fn->net);
	if (err)
		return err;
	err = nf_defrag_ipv6_enable(fn->net);
	if (err)
		goto defrag4;

	memcpy(fn->hook_ops, hook_ops_template, sizeof(fn->hook_ops));
	for (i = 0; i < FLOWOS_NHOOKS; i++)
		fn->hook_ops[i].priv = fn;
	err = nf_register_net_hooks(fn->net, fn->hook_ops, FLOWOS_NHOOKS);
	if (err)
		goto defrag6;
	fn->hooked = true;
	return 0;

defrag6:
	nf_defrag_ipv6_disable(fn->net);
defrag4:
	nf_defrag_ipv4_disable(fn->net);
	return err;
}

/*
 * Returns at once: a hook already running may go on until an RCU grace
 * period has passed, so what it reads must be freed after one.
 */
void flowos_hook_unregister(struct flowos_net *fn)
{
	lockdep_assert_held(&flowos_mutex);
	nf_unregister_net_hooks(fn->net, fn->hook_ops, FLOWOS_NHOOKS);
	nf_defrag_ipv6_disable(fn->net);
	nf_defrag_ipv4_disable(fn->net);
	fn->hooked = false;
}
