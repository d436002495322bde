// SPDX-License-Identifier: GPL-2.0
/*
 * The "flowos" generic netlink family (uapi/linux/flowos.h says what
 * every command and attribute means).
 *
 * Types and ranges live in the policy; the rules that tie attributes
 * together live in one place, match_from_attrs().  Every rejection says
 * why in the extended ack and, where one attribute is to blame, points at
 * it.  A rejected request changes nothing.
 */
#include <linux/if_vlan.h>
#include <linux/log2.h>
#include <linux/netdevice.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "flowos.h"

/* Not const: 6.1's NLA_POLICY_FULL_RANGE() takes a plain pointer. */
static struct netlink_range_validation qlen_range = {
	.min = FLOWOS_QLEN_MIN,
	.max = FLOWOS_QLEN_MAX,
};

static const struct nla_policy flow_policy[FLOWOS_A_FLOW_MAX + 1] = {
	[FLOWOS_A_FLOW_NAME] = { .type = NLA_NUL_STRING,
				 .len = FLOWOS_NAME_MAX - 1 },
	[FLOWOS_A_FLOW_ID] = { .type = NLA_REJECT },
	[FLOWOS_A_FLOW_FAMILY] = { .type = NLA_U8 },
	[FLOWOS_A_FLOW_PROTO] = { .type = NLA_U8 },
	[FLOWOS_A_FLOW_SRC] = NLA_POLICY_MIN_LEN(sizeof(struct in_addr)),
	[FLOWOS_A_FLOW_SRC_PREFIX] = NLA_POLICY_MAX(NLA_U8, 128),
	[FLOWOS_A_FLOW_DST] = NLA_POLICY_MIN_LEN(sizeof(struct in_addr)),
	[FLOWOS_A_FLOW_DST_PREFIX] = NLA_POLICY_MAX(NLA_U8, 128),
	[FLOWOS_A_FLOW_SPORT_MIN] = { .type = NLA_U16 },
	[FLOWOS_A_FLOW_SPORT_MAX] = { .type = NLA_U16 },
	[FLOWOS_A_FLOW_DPORT_MIN] = { .type = NLA_U16 },
	[FLOWOS_A_FLOW_DPORT_MAX] = { .type = NLA_U16 },
	[FLOWOS_A_FLOW_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[FLOWOS_A_FLOW_DIR] = NLA_POLICY_RANGE(NLA_U8, FLOWOS_DIR_IN,
					       FLOWOS_DIR_BOTH),
	[FLOWOS_A_FLOW_PRIORITY] = { .type = NLA_U32 },
	[FLOWOS_A_FLOW_STATS] = { .type = NLA_REJECT },
	[FLOWOS_A_FLOW_QLEN] = NLA_POLICY_FULL_RANGE(NLA_U32, &qlen_range),
	[FLOWOS_A_FLOW_MODE] = NLA_POLICY_RANGE(NLA_U8, FLOWOS_FLOW_MODE_PASSIVE,
						FLOWOS_FLOW_MODE_MAX),
	[FLOWOS_A_FLOW_OVERFLOW] = NLA_POLICY_RANGE(NLA_U8, FLOWOS_OVERFLOW_ACCEPT,
						    FLOWOS_OVERFLOW_MAX),
	[FLOWOS_A_FLOW_PIPELINE] = NLA_POLICY_NESTED_ARRAY(flowos_pm_policy),
	[FLOWOS_A_FLOW_ICMP_TYPE] = { .type = NLA_U8 },
	[FLOWOS_A_FLOW_ICMP_CODE] = { .type = NLA_U8 },
	[FLOWOS_A_FLOW_DSCP] = NLA_POLICY_MAX(NLA_U8, 63),
	[FLOWOS_A_FLOW_ECN] = NLA_POLICY_MAX(NLA_U8, 3),
	[FLOWOS_A_FLOW_IIFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[FLOWOS_A_FLOW_OIFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[FLOWOS_A_FLOW_VLAN] = NLA_POLICY_MAX(NLA_U16, VLAN_VID_MASK),
};

/* The attributes that say what a flow matches: struct flowos_match. */
static const u8 match_attrs[] = {
	FLOWOS_A_FLOW_FAMILY, FLOWOS_A_FLOW_PROTO, FLOWOS_A_FLOW_SRC,
	FLOWOS_A_FLOW_SRC_PREFIX, FLOWOS_A_FLOW_DST, FLOWOS_A_FLOW_DST_PREFIX,
	FLOWOS_A_FLOW_SPORT_MIN, FLOWOS_A_FLOW_SPORT_MAX,
	FLOWOS_A_FLOW_DPORT_MIN, FLOWOS_A_FLOW_DPORT_MAX,
	FLOWOS_A_FLOW_IFINDEX, FLOWOS_A_FLOW_DIR,
	FLOWOS_A_FLOW_ICMP_TYPE, FLOWOS_A_FLOW_ICMP_CODE,
	FLOWOS_A_FLOW_DSCP, FLOWOS_A_FLOW_ECN,
	FLOWOS_A_FLOW_IIFNAME, FLOWOS_A_FLOW_OIFNAME, FLOWOS_A_FLOW_VLAN,
};

enum flowos_nl_mcgrp { FLOWOS_NLGRP_EVENTS };

static const struct genl_multicast_group flowos_nl_mcgrps[] = {
	[FLOWOS_NLGRP_EVENTS] = { .name = FLOWOS_MCGRP_EVENTS },
};

/*
 * [A-Za-z0-9_.-]: the kernel's isalnum() is Latin-1 and would let bytes
 * such as 0xe9 through, and the name would not be UTF-8.
 */
static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/*
 * Names of flows and instances are also sysfs directory names: ASCII
 * letters, digits, '_', '.' and '-' (so no "/"), and not "." or "..".
 */
bool flowos_valid_name(const char *name)
{
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (; *name; name++)
		if (!name_char_ok(*name))
			return false;
	return true;
}

/* An address attribute and its prefix into @addr / @len. */
static int parse_addr(struct nlattr **tb, int attr, int prefix_attr, u8 family,
		      __be32 *addr, u8 *len, struct netlink_ext_ack *extack)
{
	unsigned int size = family == AF_INET6 ? 16 : 4;

	if (!tb[attr]) {
		if (tb[prefix_attr]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[prefix_attr],
					    "a prefix length needs an address");
			return -EINVAL;
		}
		return 0;
	}
	if (!family) {
		NL_SET_ERR_MSG_ATTR(extack, tb[attr],
				    "an address needs the family (ip or ip6)");
		return -EINVAL;
	}
	if (nla_len(tb[attr]) != size) {
		NL_SET_ERR_MSG_ATTR(extack, tb[attr],
				    "address length does not match the family");
		return -EINVAL;
	}
	nla_memcpy(addr, tb[attr], size);
	*len = tb[prefix_attr] ? nla_get_u8(tb[prefix_attr]) : size * 8;
	if (*len > size * 8) {
		NL_SET_ERR_MSG_ATTR(extack, tb[prefix_attr],
				    "prefix length longer than the address");
		return -EINVAL;
	}
	return 0;
}

/* A port range: MIN alone is one port; MAX needs MIN; MIN <= MAX. */
static int parse_ports(struct nlattr **tb, int min_attr, u8 proto_present,
		       u8 proto, u16 *min, u16 *max,
		       struct netlink_ext_ack *extack)
{
	int max_attr = min_attr + 1;

	if (!tb[min_attr]) {
		if (tb[max_attr]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[max_attr],
					    "a port range needs its lower end");
			return -EINVAL;
		}
		return 0;
	}
	if (!proto_present || (proto != IPPROTO_TCP && proto != IPPROTO_UDP &&
			       proto != IPPROTO_SCTP)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[min_attr],
				    "matching ports needs proto tcp, udp or sctp");
		return -EINVAL;
	}
	*min = nla_get_u16(tb[min_attr]);
	*max = tb[max_attr] ? nla_get_u16(tb[max_attr]) : *min;
	if (*min > *max) {
		NL_SET_ERR_MSG_ATTR(extack, tb[max_attr],
				    "port range is reversed (min > max)");
		return -EINVAL;
	}
	return 0;
}

/* ICMP type and code: each needs proto icmp or icmpv6. */
static int parse_icmp(struct nlattr **tb, struct flowos_match *m,
		      struct netlink_ext_ack *extack)
{
	struct nlattr *type = tb[FLOWOS_A_FLOW_ICMP_TYPE];
	struct nlattr *code = tb[FLOWOS_A_FLOW_ICMP_CODE];

	if (!type && !code)
		return 0;
	if (!tb[FLOWOS_A_FLOW_PROTO] ||
	    (m->proto != IPPROTO_ICMP && m->proto != IPPROTO_ICMPV6)) {
		NL_SET_ERR_MSG_ATTR(extack, type ?: code,
				    "matching ICMP type or code needs proto icmp or icmpv6");
		return -EINVAL;
	}
	if (type)
		m->icmp_type = nla_get_u8(type);
	if (code)
		m->icmp_code = nla_get_u8(code);
	return 0;
}

/*
 * A device name to match: what a device may be called (dev_valid_name()),
 * or such a name's beginning and a '*'.
 */
static int parse_ifname(struct nlattr *attr, char *name,
			struct netlink_ext_ack *extack)
{
	char base[IFNAMSIZ];
	ssize_t len;

	if (!attr)
		return 0;
	nla_strscpy(name, attr, IFNAMSIZ);
	len = strscpy(base, name, sizeof(base));
	if (len > 0 && base[len - 1] == '*')
		base[len - 1] = '\0';
	if (!dev_valid_name(base) || strchr(base, '*')) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "not a device name, nor one's beginning and a '*'");
		return -EINVAL;
	}
	return 0;
}

/* Device names and the VLAN: an output device only where there is one. */
static int parse_devs(struct nlattr **tb, struct flowos_match *m, u8 dir,
		      struct netlink_ext_ack *extack)
{
	int err;

	if (tb[FLOWOS_A_FLOW_OIFNAME] && dir == FLOWOS_DIR_IN) {
		NL_SET_ERR_MSG_ATTR(extack, tb[FLOWOS_A_FLOW_OIFNAME],
				    "an output device needs dir out or both: a packet has one only on egress");
		return -EINVAL;
	}
	err = parse_ifname(tb[FLOWOS_A_FLOW_IIFNAME], m->iifname, extack);
	if (!err)
		err = parse_ifname(tb[FLOWOS_A_FLOW_OIFNAME], m->oifname, extack);
	if (tb[FLOWOS_A_FLOW_VLAN])
		m->vlan = nla_get_u16(tb[FLOWOS_A_FLOW_VLAN]);
	return err;
}

/*
 * The match of a new flow, with every rule that ties attributes together.
 * The device is looked up under RCU, not RTNL: it must exist now, but a
 * flow may outlive it (it then matches nothing), as its ifindex is only
 * compared with each packet's.
 */
static int match_from_attrs(struct net *net, struct nlattr **tb,
			    struct flowos_match *m,
			    struct netlink_ext_ack *extack)
{
	unsigned int i;
	int err;

	BUILD_BUG_ON(BITS_PER_TYPE(m->present) <= FLOWOS_A_FLOW_MAX);
	memset(m, 0, sizeof(*m));
	for (i = 0; i < ARRAY_SIZE(match_attrs); i++)
		if (tb[match_attrs[i]])
			m->present |= BIT(match_attrs[i]);

	if (tb[FLOWOS_A_FLOW_FAMILY]) {
		m->family = nla_get_u8(tb[FLOWOS_A_FLOW_FAMILY]);
		if (m->family != AF_INET && m->family != AF_INET6) {
			NL_SET_ERR_MSG_ATTR(extack, tb[FLOWOS_A_FLOW_FAMILY],
					    "family must be AF_INET or AF_INET6");
			return -EINVAL;
		}
	}
	if (tb[FLOWOS_A_FLOW_PROTO])
		m->proto = nla_get_u8(tb[FLOWOS_A_FLOW_PROTO]);

	err = parse_addr(tb, FLOWOS_A_FLOW_SRC, FLOWOS_A_FLOW_SRC_PREFIX,
			 m->family, m->src, &m->src_len, extack);
	if (!err)
		err = parse_addr(tb, FLOWOS_A_FLOW_DST, FLOWOS_A_FLOW_DST_PREFIX,
				 m->family, m->dst, &m->dst_len, extack);
	if (!err)
		err = parse_ports(tb, FLOWOS_A_FLOW_SPORT_MIN,
				  !!tb[FLOWOS_A_FLOW_PROTO], m->proto,
				  &m->sport_min, &m->sport_max, extack);
	if (!err)
		err = parse_ports(tb, FLOWOS_A_FLOW_DPORT_MIN,
				  !!tb[FLOWOS_A_FLOW_PROTO], m->proto,
				  &m->dport_min, &m->dport_max, extack);
	if (!err)
		err = parse_icmp(tb, m, extack);
	if (err)
		return err;
	if (tb[FLOWOS_A_FLOW_DSCP])
		m->dscp = nla_get_u8(tb[FLOWOS_A_FLOW_DSCP]);
	if (tb[FLOWOS_A_FLOW_ECN])
		m->ecn = nla_get_u8(tb[FLOWOS_A_FLOW_ECN]);

	if (tb[FLOWOS_A_FLOW_IFINDEX]) {
		bool found;

		m->ifindex = nla_get_u32(tb[FLOWOS_A_FLOW_IFINDEX]);
		rcu_read_lock();
		found = dev_get_by_index_rcu(net, m->ifindex);
		rcu_read_unlock();
		if (!found) {
			NL_SET_ERR_MSG_ATTR(extack, tb[FLOWOS_A_FLOW_IFINDEX],
					    "no such device in this namespace");
			return -ENODEV;
		}
	}
	m->dir = tb[FLOWOS_A_FLOW_DIR] ? nla_get_u8(tb[FLOWOS_A_FLOW_DIR]) :
					 FLOWOS_DIR_IN;
	return parse_devs(tb, m, m->dir, extack);
}

static int put_match(struct sk_buff *skb, const struct flowos_match *m)
{
	unsigned int size = m->family == AF_INET6 ? 16 : 4;

#define PUT_IF(attr, put) (FLOWOS_MATCH_HAS(m, attr) && (put))
	if (PUT_IF(FLOWOS_A_FLOW_FAMILY,
		   nla_put_u8(skb, FLOWOS_A_FLOW_FAMILY, m->family)) ||
	    PUT_IF(FLOWOS_A_FLOW_PROTO,
		   nla_put_u8(skb, FLOWOS_A_FLOW_PROTO, m->proto)) ||
	    PUT_IF(FLOWOS_A_FLOW_SRC,
		   nla_put(skb, FLOWOS_A_FLOW_SRC, size, m->src) ||
		   nla_put_u8(skb, FLOWOS_A_FLOW_SRC_PREFIX, m->src_len)) ||
	    PUT_IF(FLOWOS_A_FLOW_DST,
		   nla_put(skb, FLOWOS_A_FLOW_DST, size, m->dst) ||
		   nla_put_u8(skb, FLOWOS_A_FLOW_DST_PREFIX, m->dst_len)) ||
	    PUT_IF(FLOWOS_A_FLOW_SPORT_MIN,
		   nla_put_u16(skb, FLOWOS_A_FLOW_SPORT_MIN, m->sport_min) ||
		   nla_put_u16(skb, FLOWOS_A_FLOW_SPORT_MAX, m->sport_max)) ||
	    PUT_IF(FLOWOS_A_FLOW_DPORT_MIN,
		   nla_put_u16(skb, FLOWOS_A_FLOW_DPORT_MIN, m->dport_min) ||
		   nla_put_u16(skb, FLOWOS_A_FLOW_DPORT_MAX, m->dport_max)) ||
	    PUT_IF(FLOWOS_A_FLOW_ICMP_TYPE,
		   nla_put_u8(skb, FLOWOS_A_FLOW_ICMP_TYPE, m->icmp_type)) ||
	    PUT_IF(FLOWOS_A_FLOW_ICMP_CODE,
		   nla_put_u8(skb, FLOWOS_A_FLOW_ICMP_CODE, m->icmp_code)) ||
	    PUT_IF(FLOWOS_A_FLOW_DSCP,
		   nla_put_u8(skb, FLOWOS_A_FLOW_DSCP, m->dscp)) ||
	    PUT_IF(FLOWOS_A_FLOW_ECN,
		   nla_put_u8(skb, FLOWOS_A_FLOW_ECN, m->ecn)) ||
	    PUT_IF(FLOWOS_A_FLOW_IFINDEX,
		   nla_put_u32(skb, FLOWOS_A_FLOW_IFINDEX, m->ifindex)) ||
	    PUT_IF(FLOWOS_A_FLOW_IIFNAME,
		   nla_put_string(skb, FLOWOS_A_FLOW_IIFNAME, m->iifname)) ||
	    PUT_IF(FLOWOS_A_FLOW_OIFNAME,
		   nla_put_string(skb, FLOWOS_A_FLOW_OIFNAME, m->oifname)) ||
	    PUT_IF(FLOWOS_A_FLOW_VLAN,
		   nla_put_u16(skb, FLOWOS_A_FLOW_VLAN, m->vlan)) ||
	    nla_put_u8(skb, FLOWOS_A_FLOW_DIR, m->dir))
		return -EMSGSIZE;
#undef PUT_IF
	return 0;
}

static int put_stats(struct sk_buff *skb, const struct flowos_flow *flow)
{
	struct flowos_flow_totals t;
	struct nlattr *nest;
	unsigned int i;

	flowos_flow_read_stats(flow, &t);
	{
		const struct { u16 type; u64 value; } stats[] = {
			{ FLOWOS_A_STATS_PACKETS_IN, t.packets[FLOWOS_IN] },
			{ FLOWOS_A_STATS_BYTES_IN, t.bytes[FLOWOS_IN] },
			{ FLOWOS_A_STATS_PACKETS_OUT, t.packets[FLOWOS_OUT] },
			{ FLOWOS_A_STATS_BYTES_OUT, t.bytes[FLOWOS_OUT] },
			{ FLOWOS_A_STATS_RING_DROPS, t.ring_drops },
			{ FLOWOS_A_STATS_MEM_DROPS, t.mem_drops },
			{ FLOWOS_A_STATS_HELD, t.held },
			{ FLOWOS_A_STATS_REINJECTED, t.reinjected },
			{ FLOWOS_A_STATS_LOST, t.lost },
			{ FLOWOS_A_STATS_BYPASSED, t.bypassed },
			{ FLOWOS_A_STATS_OVERFLOW_DROPS, t.overflow_drops },
			{ FLOWOS_A_STATS_PM_DROPS, t.pm_drops },
		};

		nest = nla_nest_start(skb, FLOWOS_A_FLOW_STATS);
		if (!nest)
			return -EMSGSIZE;
		for (i = 0; i < ARRAY_SIZE(stats); i++)
			if (nla_put_u64_64bit(skb, stats[i].type,
					      stats[i].value,
					      FLOWOS_A_STATS_PAD))
				return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* One flow as a message of @cmd. */
static int fill_flow(struct sk_buff *skb, const struct flowos_flow *flow,
		     u32 portid, u32 seq, int flags, u8 cmd,
		     struct netlink_callback *cb)
{
	void *hdr;

	lockdep_assert_held(&flowos_mutex);
	hdr = genlmsg_put(skb, portid, seq, &flowos_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	if (nla_put_string(skb, FLOWOS_A_FLOW_NAME, flow->name) ||
	    nla_put_u32(skb, FLOWOS_A_FLOW_ID, flow->id))
		goto cancel;
	if (cmd != FLOWOS_CMD_FLOW_DEL &&
	    (nla_put_u32(skb, FLOWOS_A_FLOW_PRIORITY, flow->priority) ||
	     nla_put_u32(skb, FLOWOS_A_FLOW_QLEN, flow->qlen) ||
	     nla_put_u8(skb, FLOWOS_A_FLOW_MODE, flow->mode) ||
	     nla_put_u8(skb, FLOWOS_A_FLOW_OVERFLOW, flow->overflow) ||
	     put_match(skb, &flow->match) || put_stats(skb, flow)))
		goto cancel;
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * An event about @flow for the "events" group, or NULL when nobody
 * listens (or memory is short: events are best effort).  Built before a
 * deletion, since the flow may be freed as soon as it is deleted.
 */
static struct sk_buff *flow_event(struct flowos_net *fn,
				  const struct flowos_flow *flow, u8 cmd)
{
	struct sk_buff *skb;

	lockdep_assert_held(&flowos_mutex);
	if (!flowos_nl_has_listeners(fn))
		return NULL;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (skb && fill_flow(skb, flow, 0, 0, 0, cmd, NULL)) {
		nlmsg_free(skb);
		skb = NULL;
	}
	return skb;
}

bool flowos_nl_has_listeners(struct flowos_net *fn)
{
	return genl_has_listeners(&flowos_nl_family, fn->net,
				  FLOWOS_NLGRP_EVENTS);
}

/* Send @skb, if any, to the namespace's "events" group. */
void flowos_nl_notify(struct flowos_net *fn, struct sk_buff *skb)
{
	if (skb)
		genlmsg_multicast_netns(&flowos_nl_family, fn->net, skb, 0,
					FLOWOS_NLGRP_EVENTS, GFP_KERNEL);
}

/* Replies carry the request's command, as YNL clients expect. */
static int reply_flow(struct genl_info *info, const struct flowos_flow *flow)
{
	struct sk_buff *skb;
	int err;

	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	err = fill_flow(skb, flow, info->snd_portid, info->snd_seq, 0,
			info->genlhdr->cmd, NULL);
	if (err) {
		nlmsg_free(skb);
		return err;
	}
	return genlmsg_reply(skb, info);
}

/*
 * Run @act on the flow the request names, under flowos_mutex, or fail
 * with ENOENT saying so.  (Not genl pre_doit: its signature changed
 * between 6.1 and 6.2, and one helper reads as well.)
 */
static int on_named_flow(struct genl_info *info,
			 int (*act)(struct flowos_net *fn,
				    struct flowos_flow *flow,
				    struct genl_info *info))
{
	struct flowos_net *fn = flowos_pernet(genl_info_net(info));
	struct nlattr *attr = info->attrs[FLOWOS_A_FLOW_NAME];
	struct flowos_flow *flow;
	int err;

	if (FLOWOS_REQUIRE(info, FLOWOS_A_FLOW_NAME, "missing the flow's name"))
		return -EINVAL;

	mutex_lock(&flowos_mutex);
	flow = flowos_flow_find(fn, nla_data(attr));
	if (flow) {
		err = act(fn, flow, info);
	} else {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "no flow of this name");
		err = -ENOENT;
	}
	mutex_unlock(&flowos_mutex);
	return err;
}

/* A flow's priority, ring length, mode and overflow policy. */
static int conf_from_attrs(struct nlattr **tb, struct flowos_flow_conf *conf,
			   struct netlink_ext_ack *extack)
{
	conf->priority = tb[FLOWOS_A_FLOW_PRIORITY] ?
			 nla_get_u32(tb[FLOWOS_A_FLOW_PRIORITY]) : 0;
	conf->qlen = tb[FLOWOS_A_FLOW_QLEN] ?
		     nla_get_u32(tb[FLOWOS_A_FLOW_QLEN]) : FLOWOS_QLEN_DEFAULT;
	if (!is_power_of_2(conf->qlen)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[FLOWOS_A_FLOW_QLEN],
				    "the ring length must be a power of two");
		return -EINVAL;
	}
	conf->mode = tb[FLOWOS_A_FLOW_MODE] ?
		     nla_get_u8(tb[FLOWOS_A_FLOW_MODE]) : FLOWOS_FLOW_MODE_PASSIVE;
	if (tb[FLOWOS_A_FLOW_OVERFLOW] &&
	    conf->mode != FLOWOS_FLOW_MODE_INLINE) {
		NL_SET_ERR_MSG_ATTR(extack, tb[FLOWOS_A_FLOW_OVERFLOW],
				    "an overflow policy is for inline flows");
		return -EINVAL;
	}
	conf->overflow = tb[FLOWOS_A_FLOW_OVERFLOW] ?
			 nla_get_u8(tb[FLOWOS_A_FLOW_OVERFLOW]) :
			 FLOWOS_OVERFLOW_ACCEPT;
	return 0;
}

static int flow_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct flowos_net *fn = flowos_pernet(genl_info_net(info));
	struct nlattr **tb = info->attrs;
	struct flowos_flow *flow;
	struct flowos_flow_conf conf;
	struct flowos_match match;
	const char *name;
	int err;

	if (FLOWOS_REQUIRE(info, FLOWOS_A_FLOW_NAME, "missing the flow's name"))
		return -EINVAL;
	name = nla_data(tb[FLOWOS_A_FLOW_NAME]);
	if (!flowos_valid_name(name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[FLOWOS_A_FLOW_NAME],
				    "a flow name is letters, digits, '_', '.' and '-', not . or ..");
		return -EINVAL;
	}
	err = conf_from_attrs(tb, &conf, info->extack);
	if (!err && tb[FLOWOS_A_FLOW_PIPELINE])
		err = flowos_nl_pipeline_check(tb[FLOWOS_A_FLOW_PIPELINE],
					       info->extack);
	if (err)
		return err;

	mutex_lock(&flowos_mutex);
	if (flowos_flow_find(fn, name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[FLOWOS_A_FLOW_NAME],
				    "a flow of this name exists");
		err = -EEXIST;
		goto unlock;
	}
	err = match_from_attrs(fn->net, tb, &match, info->extack);
	if (err)
		goto unlock;
	flow = flowos_flow_create(fn, name, &conf, &match,
				  tb[FLOWOS_A_FLOW_PIPELINE], info->extack);
	if (IS_ERR(flow)) {
		err = PTR_ERR(flow);
		goto unlock;
	}
	flowos_nl_notify(fn, flow_event(fn, flow, FLOWOS_CMD_FLOW_NEW));
	flowos_nl_pipeline_announce(fn, flow);
	err = reply_flow(info, flow);
unlock:
	mutex_unlock(&flowos_mutex);
	return err;
}

static int delete_flow(struct flowos_net *fn, struct flowos_flow *flow,
		       struct genl_info *info)
{
	struct sk_buff *event = flow_event(fn, flow, FLOWOS_CMD_FLOW_DEL);
	int err;

	err = flowos_flow_delete(fn, flow, info->extack);
	if (err)
		nlmsg_free(event);
	else
		flowos_nl_notify(fn, event);
	return err;
}

static int change_flow(struct flowos_net *fn, struct flowos_flow *flow,
		       struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct flowos_flow_conf conf;
	struct flowos_match match;
	int err;

	if (tb[FLOWOS_A_FLOW_PIPELINE]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[FLOWOS_A_FLOW_PIPELINE],
				    "a pipeline comes with a new flow; attach to one that runs");
		return -EINVAL;
	}
	err = conf_from_attrs(tb, &conf, info->extack);
	if (!err)
		err = match_from_attrs(fn->net, tb, &match, info->extack);
	if (!err)
		err = flowos_flow_change(fn, flow, &conf, &match, info->extack);
	if (err)
		return err;
	flowos_nl_notify(fn, flow_event(fn, flow, FLOWOS_CMD_FLOW_SET));
	return reply_flow(info, flow);
}

static int get_flow(struct flowos_net *fn, struct flowos_flow *flow,
		    struct genl_info *info)
{
	return reply_flow(info, flow);
}

static int flow_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	return on_named_flow(info, delete_flow);
}

static int flow_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	return on_named_flow(info, change_flow);
}

static int flow_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return on_named_flow(info, get_flow);
}

/*
 * Flows in id order (the list is oldest first); cb->args[0] is the last
 * id sent, so a dump resumes where it stopped even if flows come and go.
 */
static int flow_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct flowos_net *fn = flowos_pernet(sock_net(skb->sk));
	struct flowos_flow *flow;
	int err = 0;

	mutex_lock(&flowos_mutex);
	cb->seq = fn->gen;
	list_for_each_entry(flow, &fn->flows, node) {
		if (flow->id <= cb->args[0])
			continue;
		err = fill_flow(skb, flow, NETLINK_CB(cb->skb).portid,
				cb->nlh->nlmsg_seq, NLM_F_MULTI,
				FLOWOS_CMD_FLOW_GET, cb);
		if (err)
			break;
		cb->args[0] = flow->id;
	}
	mutex_unlock(&flowos_mutex);
	/* A full message: come back for the rest. */
	return err == -EMSGSIZE ? skb->len : err;
}

/* Takes no attributes. */
static const struct nla_policy net_policy[FLOWOS_A_NET_MAX + 1] = {
	[FLOWOS_A_NET_FLOWS] = { .type = NLA_REJECT },
	[FLOWOS_A_NET_MALFORMED] = { .type = NLA_REJECT },
	[FLOWOS_A_NET_MEM_USED] = { .type = NLA_REJECT },
	[FLOWOS_A_NET_MEM_LIMIT] = { .type = NLA_REJECT },
	[FLOWOS_A_NET_MEM_REFUSED] = { .type = NLA_REJECT },
};

/* Parse failures and the attributes that report them. */
static const u8 malformed_attrs[__FLOWOS_PARSE_MAX] = {
	[FLOWOS_PARSE_TRUNCATED] = FLOWOS_A_MALFORMED_TRUNCATED,
	[FLOWOS_PARSE_BAD_VERSION] = FLOWOS_A_MALFORMED_BAD_VERSION,
	[FLOWOS_PARSE_BAD_IHL] = FLOWOS_A_MALFORMED_BAD_IHL,
	[FLOWOS_PARSE_BAD_LENGTH] = FLOWOS_A_MALFORMED_BAD_LENGTH,
	[FLOWOS_PARSE_BAD_EXT_HDR] = FLOWOS_A_MALFORMED_BAD_EXT_HDR,
	[FLOWOS_PARSE_BAD_TCP_DOFF] = FLOWOS_A_MALFORMED_BAD_TCP_DOFF,
	[FLOWOS_PARSE_BAD_UDP_LEN] = FLOWOS_A_MALFORMED_BAD_UDP_LEN,
};

static int put_netns(struct sk_buff *skb, struct flowos_net *fn)
{
	u64 malformed[__FLOWOS_PARSE_MAX], used, limit, refused;
	struct nlattr *nest;
	int r;

	flowos_net_read_malformed(fn, malformed);
	if (nla_put_u32(skb, FLOWOS_A_NET_FLOWS, fn->nflows))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, FLOWOS_A_NET_MALFORMED);
	if (!nest)
		return -EMSGSIZE;
	for (r = 0; r < __FLOWOS_PARSE_MAX; r++)
		if (malformed_attrs[r] &&
		    nla_put_u64_64bit(skb, malformed_attrs[r], malformed[r],
				      FLOWOS_A_MALFORMED_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);

	flowos_mem_read(&used, &limit, &refused);
	if (nla_put_u64_64bit(skb, FLOWOS_A_NET_MEM_USED, used,
			      FLOWOS_A_NET_PAD) ||
	    nla_put_u64_64bit(skb, FLOWOS_A_NET_MEM_LIMIT, limit,
			      FLOWOS_A_NET_PAD) ||
	    nla_put_u64_64bit(skb, FLOWOS_A_NET_MEM_REFUSED, refused,
			      FLOWOS_A_NET_PAD))
		return -EMSGSIZE;
	return 0;
}

static int net_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct flowos_net *fn = flowos_pernet(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &flowos_nl_family, 0,
				FLOWOS_CMD_NET_GET);
	mutex_lock(&flowos_mutex);
	err = hdr ? put_netns(msg, fn) : -EMSGSIZE;
	mutex_unlock(&flowos_mutex);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

#define FLOW_OP(_cmd, _doit, _dumpit, _flags) {			\
		.cmd = _cmd, .doit = _doit, .dumpit = _dumpit,		\
		.flags = _flags, .policy = flow_policy,			\
		.maxattr = FLOWOS_A_FLOW_MAX,				\
	}
#define PM_OP(_cmd, _doit, _dumpit, _flags) {			\
		.cmd = _cmd, .doit = _doit, .dumpit = _dumpit,		\
		.flags = _flags, .policy = flowos_pm_policy,		\
		.maxattr = FLOWOS_A_PM_MAX,				\
	}

/*
 * Each command with the policy of its attribute space.
 *
 * Who may change flows and PMs: CAP_NET_ADMIN in the initial user
 * namespace (GENL_ADMIN_PERM), whatever the network namespace, and not
 * the root of a user namespace that owns the network namespace.  Flows
 * share the global memory cap, start kernel threads and may load PM
 * modules: an unprivileged user who makes a user namespace must not be
 * able to use those up for the host.  Anyone in a namespace may read its
 * flows and statistics, as with the other counters of a namespace.
 */
static const struct genl_ops flowos_nl_ops[] = {
	FLOW_OP(FLOWOS_CMD_FLOW_NEW, flow_new_doit, NULL, GENL_ADMIN_PERM),
	FLOW_OP(FLOWOS_CMD_FLOW_DEL, flow_del_doit, NULL, GENL_ADMIN_PERM),
	FLOW_OP(FLOWOS_CMD_FLOW_GET, flow_get_doit, flow_get_dumpit, 0),
	PM_OP(FLOWOS_CMD_PM_TYPE_GET, NULL, flowos_nl_pm_type_dump, 0),
	PM_OP(FLOWOS_CMD_PM_ATTACH, flowos_nl_pm_attach, NULL,
	      GENL_ADMIN_PERM),
	PM_OP(FLOWOS_CMD_PM_DETACH, flowos_nl_pm_detach, NULL,
	      GENL_ADMIN_PERM),
	{
		.cmd = FLOWOS_CMD_STATS_GET,
		.doit = flowos_nl_stats_get,
		.dumpit = flowos_nl_stats_dump,
		.done = flowos_nl_stats_dump_done,
		.policy = flowos_pm_policy,
		.maxattr = FLOWOS_A_PM_MAX,
	},
	PM_OP(FLOWOS_CMD_PM_SET, flowos_nl_pm_set, NULL, GENL_ADMIN_PERM),
	FLOW_OP(FLOWOS_CMD_FLOW_SET, flow_set_doit, NULL, GENL_ADMIN_PERM),
	{
		.cmd = FLOWOS_CMD_NET_GET,
		.doit = net_get_doit,
		.policy = net_policy,
		.maxattr = FLOWOS_A_NET_MAX,
	},
};

struct genl_family flowos_nl_family __ro_after_init = {
	.name = FLOWOS_FAMILY_NAME,
	.version = FLOWOS_FAMILY_VERSION,
	.netnsok = true,
	/*
	 * Without it, genetlink runs every request and dump of the family
	 * under genl_mutex, which all families without parallel_ops share:
	 * a read of a large result would stall configuration, ours and
	 * theirs.  Each handler takes flowos_mutex where it needs it.
	 */
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = flowos_nl_ops,
	.n_ops = ARRAY_SIZE(flowos_nl_ops),
	/* Commands from this one on get genetlink's strict header checks. */
	.resv_start_op = FLOWOS_CMD_FLOW_SET,
	.mcgrps = flowos_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(flowos_nl_mcgrps),
};

int __init flowos_netlink_init(void)
{
	return genl_register_family(&flowos_nl_family);
}

void flowos_netlink_exit(void)
{
	genl_unregister_family(&flowos_nl_family);
	flowos_pm_errmsgs_free();
}
