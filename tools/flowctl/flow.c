// SPDX-License-Identifier: GPL-2.0
/*
 * flowctl's flow commands: create, delete, list, show, monitor.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/flowos.h>
#include <linux/genetlink.h>

#include "flowctl.h"
#include "json.h"

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
	{ "icmp", IPPROTO_ICMP }, { "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP }, { "icmpv6", IPPROTO_ICMPV6 },
	{ "sctp", IPPROTO_SCTP }, { "gre", IPPROTO_GRE },
	{ "esp", IPPROTO_ESP },
};

static const char *const dir_names[] = {
	[FLOWOS_DIR_IN] = "in", [FLOWOS_DIR_OUT] = "out",
	[FLOWOS_DIR_BOTH] = "both",
};

static const char *const mode_names[] = {
	[FLOWOS_FLOW_MODE_PASSIVE] = "passive",
	[FLOWOS_FLOW_MODE_INLINE] = "inline",
};

static const char *const overflow_names[] = {
	[FLOWOS_OVERFLOW_ACCEPT] = "accept",
	[FLOWOS_OVERFLOW_DROP] = "drop",
};

/* The index of @s in @names[1..@max], or 0. */
static uint8_t enum_value(const char *const *names, unsigned int max,
			  const char *s)
{
	unsigned int i;

	for (i = 1; i <= max; i++)
		if (names[i] && !strcmp(names[i], s))
			return i;
	return 0;
}

static const char *proto_name(uint8_t proto, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(protos); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	snprintf(buf, len, "%u", proto);
	return buf;
}

static int parse_proto(const char *s, uint8_t *proto)
{
	unsigned long v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(protos); i++) {
		if (!strcmp(s, protos[i].name)) {
			*proto = protos[i].proto;
			return 0;
		}
	}
	if (flowctl_parse_ulong(s, 255, &v))
		return -1;
	*proto = v;
	return 0;
}

/* ADDR[/LEN]: the family it belongs to, or -1. */
static int put_prefix(struct nlmsghdr *nlh, int attr, const char *arg,
		      uint8_t *family)
{
	char buf[INET6_ADDRSTRLEN + 5], *slash;
	unsigned char addr[16];
	unsigned long len;
	int size;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return -1;
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1)
		size = 4, *family = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		size = 16, *family = AF_INET6;
	else
		return -1;
	if (slash && flowctl_parse_ulong(slash, size * 8, &len))
		return -1;
	mnl_attr_put(nlh, attr, size, addr);
	if (slash)
		mnl_attr_put_u8(nlh, attr + 1, len);
	return 0;
}

/* PORT or LO-HI. */
static int put_ports(struct nlmsghdr *nlh, int attr, const char *arg)
{
	unsigned long lo, hi;
	char buf[16], *dash;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return -1;
	dash = strchr(buf, '-');
	if (dash)
		*dash++ = '\0';
	if (flowctl_parse_ulong(buf, 65535, &lo) ||
	    (dash && flowctl_parse_ulong(dash, 65535, &hi)))
		return -1;
	mnl_attr_put_u16(nlh, attr, lo);
	if (dash)
		mnl_attr_put_u16(nlh, attr + 1, hi);
	return 0;
}

static int parse_dir(const char *s, uint8_t *dir)
{
	int d;

	for (d = FLOWOS_DIR_IN; d <= FLOWOS_DIR_BOTH; d++) {
		if (!strcmp(s, dir_names[d])) {
			*dir = d;
			return 0;
		}
	}
	return -1;
}

/* A value of a match keyword and its name, as nft(8) spells them. */
struct named_value {
	const char *name;
	uint8_t value;
};

/* ICMP types (RFC 792 and its updates; RFC 4443, 4861 and 3810 for v6). */
static const struct named_value icmp_types[] = {
	{ "echo-reply", 0 }, { "destination-unreachable", 3 },
	{ "source-quench", 4 }, { "redirect", 5 }, { "echo-request", 8 },
	{ "router-advertisement", 9 }, { "router-solicitation", 10 },
	{ "time-exceeded", 11 }, { "parameter-problem", 12 },
	{ "timestamp-request", 13 }, { "timestamp-reply", 14 },
};

static const struct named_value icmpv6_types[] = {
	{ "destination-unreachable", 1 }, { "packet-too-big", 2 },
	{ "time-exceeded", 3 }, { "parameter-problem", 4 },
	{ "echo-request", 128 }, { "echo-reply", 129 },
	{ "mld-listener-query", 130 }, { "mld-listener-report", 131 },
	{ "mld-listener-done", 132 }, { "nd-router-solicit", 133 },
	{ "nd-router-advert", 134 }, { "nd-neighbor-solicit", 135 },
	{ "nd-neighbor-advert", 136 }, { "nd-redirect", 137 },
	{ "mld2-listener-report", 143 },
};

/* DiffServ code points: RFC 2474 (CSn), 2597 (AFxy), 3246, 5865, 8622. */
static const struct named_value dscp_names[] = {
	{ "cs0", 0 }, { "le", 1 }, { "cs1", 8 }, { "af11", 10 },
	{ "af12", 12 }, { "af13", 14 }, { "cs2", 16 }, { "af21", 18 },
	{ "af22", 20 }, { "af23", 22 }, { "cs3", 24 }, { "af31", 26 },
	{ "af32", 28 }, { "af33", 30 }, { "cs4", 32 }, { "af41", 34 },
	{ "af42", 36 }, { "af43", 38 }, { "cs5", 40 }, { "va", 44 },
	{ "ef", 46 }, { "cs6", 48 }, { "cs7", 56 },
};

/* ECN codepoints, RFC 3168. */
static const struct named_value ecn_names[] = {
	{ "not-ect", 0 }, { "ect1", 1 }, { "ect0", 2 }, { "ce", 3 },
};

/* @s as a name of @table or a number up to @max, into @v; -1 if neither. */
static int parse_named(const struct named_value *table, size_t n,
		       unsigned long max, const char *s, unsigned long *v)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(s, table[i].name)) {
			*v = table[i].value;
			return 0;
		}
	}
	return flowctl_parse_ulong(s, max, v) ? -1 : 0;
}

/* @value's name in @table, or the number in @buf. */
static const char *named_str(const struct named_value *table, size_t n,
			     uint8_t value, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (table[i].value == value)
			return table[i].name;
	snprintf(buf, len, "%u", value);
	return buf;
}

/* The ICMP type names of @proto (icmp unless icmpv6), in @n. */
static const struct named_value *icmp_type_table(uint8_t proto, size_t *n)
{
	if (proto == IPPROTO_ICMPV6) {
		*n = ARRAY_SIZE(icmpv6_types);
		return icmpv6_types;
	}
	*n = ARRAY_SIZE(icmp_types);
	return icmp_types;
}

/* "icmp-type TYPE", which may name a type of the match's proto. */
static int put_icmp_type(struct nlmsghdr *nlh, const char *type, uint8_t proto)
{
	const struct named_value *table;
	unsigned long v;
	size_t n;

	table = icmp_type_table(proto, &n);
	if (parse_named(table, n, 255, type, &v))
		return flowctl_usage_error("bad ICMP%s type '%s'",
					   proto == IPPROTO_ICMPV6 ? "v6" : "", type);
	mnl_attr_put_u8(nlh, FLOWOS_A_FLOW_ICMP_TYPE, v);
	return 0;
}

/*
 * The match of "flowctl create NAME MATCH...": keywords in any order,
 * each at most once.  The family follows from an address when not given.
 */
static int put_match(struct nlmsghdr *nlh, int argc, char **argv)
{
	uint8_t family = 0, addr_family = 0, proto = 0, dir;
	const char *icmp_type = NULL;
	unsigned int seen = 0;
	unsigned long v;
	int i;

	for (i = 0; i < argc; i++) {
		const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned int bit;

		if (!strcmp(k, "ip") || !strcmp(k, "ip6")) {
			bit = 1 << 0;
			family = k[2] ? AF_INET6 : AF_INET;
		} else if (!val) {
			return flowctl_usage_error("'%s' wants a value", k);
		} else if (!strcmp(k, "proto")) {
			bit = 1 << 1;
			if (parse_proto(val, &proto))
				return flowctl_usage_error("bad protocol '%s'", val);
			mnl_attr_put_u8(nlh, FLOWOS_A_FLOW_PROTO, proto);
			i++;
		} else if (!strcmp(k, "src") || !strcmp(k, "dst")) {
			bit = k[0] == 's' ? 1 << 2 : 1 << 3;
			if (put_prefix(nlh, k[0] == 's' ? FLOWOS_A_FLOW_SRC :
				       FLOWOS_A_FLOW_DST, val, &addr_family))
				return flowctl_usage_error("bad prefix '%s'", val);
			i++;
		} else if (!strcmp(k, "sport") || !strcmp(k, "dport")) {
			bit = k[0] == 's' ? 1 << 4 : 1 << 5;
			if (put_ports(nlh, k[0] == 's' ? FLOWOS_A_FLOW_SPORT_MIN :
				      FLOWOS_A_FLOW_DPORT_MIN, val))
				return flowctl_usage_error("bad port or range '%s'", val);
			i++;
		} else if (!strcmp(k, "dev")) {
			bit = 1 << 6;
			v = if_nametoindex(val);
			if (!v)
				return flowctl_usage_error("no device '%s' here", val);
			mnl_attr_put_u32(nlh, FLOWOS_A_FLOW_IFINDEX, v);
			i++;
		} else if (!strcmp(k, "dir")) {
			bit = 1 << 7;
			if (parse_dir(val, &dir))
				return flowctl_usage_error("dir is in, out or both");
			mnl_attr_put_u8(nlh, FLOWOS_A_FLOW_DIR, dir);
			i++;
		} else if (!strcmp(k, "qlen")) {
			bit = 1 << 9;
			if (flowctl_parse_ulong(val, UINT32_MAX, &v))
				return flowctl_usage_error("bad ring length '%s'", val);
			mnl_attr_put_u32(nlh, FLOWOS_A_FLOW_QLEN, v);
			i++;
		} else if (!strcmp(k, "mode")) {
			bit = 1 << 10;
			v = enum_value(mode_names, FLOWOS_FLOW_MODE_MAX, val);
			if (!v)
				return flowctl_usage_error("mode is passive or inline");
			mnl_attr_put_u8(nlh, FLOWOS_A_FLOW_MODE, v);
			i++;
		} else if (!strcmp(k, "overflow")) {
			bit = 1 << 11;
			v = enum_value(overflow_names, FLOWOS_OVERFLOW_MAX, val);
			if (!v)
				return flowctl_usage_error("overflow is accept or drop");
			mnl_attr_put_u8(nlh, FLOWOS_A_FLOW_OVERFLOW, v);
			i++;
		} else if (!strcmp(k, "icmp-type")) {
			bit = 1 << 12;
			icmp_type = val;	/* its names depend on proto */
			i++;
		} else if (!strcmp(k, "icmp-code")) {
			bit = 1 << 13;
			if (flowctl_parse_ulong(val, 255, &v))
				return flowctl_usage_error("bad ICMP code '%s'", val);
			mnl_attr_put_u8(nlh, FLOWOS_A_FLOW_ICMP_CODE, v);
			i++;
		} else if (!strcmp(k, "dscp")) {
			bit = 1 << 14;
			if (parse_named(dscp_names, ARRAY_SIZE(dscp_names), 63, val, &v))
				return flowctl_usage_error("bad DSCP '%s' (0-63, ef, af11, cs1...)",
							   val);
			mnl_attr_put_u8(nlh, FLOWOS_A_FLOW_DSCP, v);
			i++;
		} else if (!strcmp(k, "ecn")) {
			bit = 1 << 15;
			if (parse_named(ecn_names, ARRAY_SIZE(ecn_names), 3, val, &v))
				return flowctl_usage_error("bad ECN '%s' (0-3, not-ect, ect1...)",
							   val);
			mnl_attr_put_u8(nlh, FLOWOS_A_FLOW_ECN, v);
			i++;
		} else if (!strcmp(k, "iifname") || !strcmp(k, "oifname")) {
			bit = k[0] == 'i' ? 1 << 16 : 1 << 17;
			if (!*val || strlen(val) >= IF_NAMESIZE)
				return flowctl_usage_error("bad device name '%s'", val);
			mnl_attr_put_strz(nlh, k[0] == 'i' ? FLOWOS_A_FLOW_IIFNAME :
					  FLOWOS_A_FLOW_OIFNAME, val);
			i++;
		} else if (!strcmp(k, "vlan")) {
			bit = 1 << 18;
			if (flowctl_parse_ulong(val, 4095, &v))
				return flowctl_usage_error("bad VLAN id '%s' (0-4095)", val);
			mnl_attr_put_u16(nlh, FLOWOS_A_FLOW_VLAN, v);
			i++;
		} else if (!strcmp(k, "prio")) {
			bit = 1 << 8;
			if (flowctl_parse_ulong(val, UINT32_MAX, &v))
				return flowctl_usage_error("bad priority '%s'", val);
			mnl_attr_put_u32(nlh, FLOWOS_A_FLOW_PRIORITY, v);
			i++;
		} else {
			return flowctl_usage_error("unknown keyword '%s'", k);
		}
		if (seen & bit)
			return flowctl_usage_error("'%s' given twice", k);
		seen |= bit;
	}
	if (icmp_type && put_icmp_type(nlh, icmp_type, proto))
		return FLOWCTL_EXIT_USAGE;
	if (family && addr_family && family != addr_family)
		return flowctl_usage_error("the addresses are not of the family given");
	if (family || addr_family)
		mnl_attr_put_u8(nlh, FLOWOS_A_FLOW_FAMILY, family ?: addr_family);
	return 0;
}

static int parse_stats(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type > FLOWOS_A_STATS_MAX)
		return MNL_CB_OK;	/* newer kernel: ignore */
	if (type != FLOWOS_A_STATS_PAD && mnl_attr_validate(attr, MNL_TYPE_U64))
		return MNL_CB_ERROR;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int parse_flow_attr(const struct nlattr *attr, void *data)
{
	struct flow_view *v = data;
	int type = mnl_attr_get_type(attr);

	if (type > FLOWOS_A_FLOW_MAX)
		return MNL_CB_OK;
	v->tb[type] = attr;
	if (type == FLOWOS_A_FLOW_STATS)
		return mnl_attr_parse_nested(attr, parse_stats, v->stats);
	return MNL_CB_OK;
}

int flowctl_parse_flow(const struct nlmsghdr *nlh, struct flow_view *v)
{
	const struct genlmsghdr *gh = mnl_nlmsg_get_payload(nlh);

	memset(v, 0, sizeof(*v));
	v->cmd = gh->cmd;
	if (mnl_attr_parse(nlh, sizeof(*gh), parse_flow_attr, v) < 0 ||
	    !v->tb[FLOWOS_A_FLOW_NAME])
		return -1;
	return 0;
}

/* The flow's counter @attr (FLOWOS_A_STATS_*), 0 if the reply has none. */
uint64_t flowctl_flow_stat(const struct flow_view *v, int attr)
{
	return v->stats[attr] ? mnl_attr_get_u64(v->stats[attr]) : 0;
}

static const char *addr_str(const struct nlattr *addr,
			    const struct nlattr *len, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	int family = mnl_attr_get_payload_len(addr) == 16 ? AF_INET6 : AF_INET;

	inet_ntop(family, mnl_attr_get_payload(addr), a, sizeof(a));
	snprintf(buf, size, "%s/%u", a, len ? mnl_attr_get_u8(len) : 0);
	return buf;
}

static void json_ports(struct json *j, const char *key,
		       const struct nlattr *min, const struct nlattr *max)
{
	json_open(j, key, '{');
	json_u64(j, "min", mnl_attr_get_u16(min));
	json_u64(j, "max", mnl_attr_get_u16(max));
	json_close(j, '}');
}

/*
 * Packets an inline flow holds now.  The counters are read CPU by CPU
 * while packets move: never below 0.
 */
static uint64_t held_now(const struct flow_view *v)
{
	uint64_t held = flowctl_flow_stat(v, FLOWOS_A_STATS_HELD);
	uint64_t gone = flowctl_flow_stat(v, FLOWOS_A_STATS_REINJECTED) +
			flowctl_flow_stat(v, FLOWOS_A_STATS_LOST) +
			flowctl_flow_stat(v, FLOWOS_A_STATS_PM_DROPS);

	return held > gone ? held - gone : 0;
}

static bool is_inline(const struct flow_view *v)
{
	return v->tb[FLOWOS_A_FLOW_MODE] &&
	       mnl_attr_get_u8(v->tb[FLOWOS_A_FLOW_MODE]) == FLOWOS_FLOW_MODE_INLINE;
}

/*
 * The first members of every object flowctl prints at the top level of
 * show, list, stats and monitor: the version of their schema
 * (Documentation/flowctl.schema.json), and with @timed (stats and
 * monitor, whose lines feed streams) when it was read, in ms since the
 * epoch, so that a line stands on its own.  show and list have no time,
 * so that two of them compare equal when nothing changed.
 */
void flowctl_json_stamp(struct json *j, bool timed)
{
	struct timespec now;

	json_u64(j, "schema", FLOWCTL_JSON_SCHEMA);
	if (!timed)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	json_u64(j, "time_ms", (uint64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
}

/*
 * ICMP type and code, DSCP and ECN: numbers, as the uapi has them; the
 * device names and the VLAN.
 */
static void json_match_extras(struct json *j, const struct nlattr *const *tb)
{
	static const struct {
		int attr;
		const char *key;
	} extras[] = {
		{ FLOWOS_A_FLOW_ICMP_TYPE, "icmp_type" },
		{ FLOWOS_A_FLOW_ICMP_CODE, "icmp_code" },
		{ FLOWOS_A_FLOW_DSCP, "dscp" },
		{ FLOWOS_A_FLOW_ECN, "ecn" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(extras); i++)
		if (tb[extras[i].attr])
			json_u64(j, extras[i].key, mnl_attr_get_u8(tb[extras[i].attr]));
	if (tb[FLOWOS_A_FLOW_IIFNAME])
		json_str(j, "iifname", mnl_attr_get_str(tb[FLOWOS_A_FLOW_IIFNAME]));
	if (tb[FLOWOS_A_FLOW_OIFNAME])
		json_str(j, "oifname", mnl_attr_get_str(tb[FLOWOS_A_FLOW_OIFNAME]));
	if (tb[FLOWOS_A_FLOW_VLAN])
		json_u64(j, "vlan", mnl_attr_get_u16(tb[FLOWOS_A_FLOW_VLAN]));
}

/* The flow's keys, into an object @j has open. */
void flowctl_json_flow(struct json *j, const struct flow_view *v)
{
	const struct nlattr *const *tb = v->tb;
	char buf[64];

	json_str(j, "name", mnl_attr_get_str(tb[FLOWOS_A_FLOW_NAME]));
	if (tb[FLOWOS_A_FLOW_ID])
		json_u64(j, "id", mnl_attr_get_u32(tb[FLOWOS_A_FLOW_ID]));
	if (tb[FLOWOS_A_FLOW_PRIORITY])
		json_u64(j, "priority", mnl_attr_get_u32(tb[FLOWOS_A_FLOW_PRIORITY]));
	if (tb[FLOWOS_A_FLOW_QLEN])
		json_u64(j, "qlen", mnl_attr_get_u32(tb[FLOWOS_A_FLOW_QLEN]));
	if (tb[FLOWOS_A_FLOW_MODE])
		json_str(j, "mode", flowctl_enum_name(mode_names, FLOWOS_FLOW_MODE_MAX,
						      mnl_attr_get_u8(tb[FLOWOS_A_FLOW_MODE])));
	if (tb[FLOWOS_A_FLOW_OVERFLOW])
		json_str(j, "overflow",
			 flowctl_enum_name(overflow_names, FLOWOS_OVERFLOW_MAX,
					   mnl_attr_get_u8(tb[FLOWOS_A_FLOW_OVERFLOW])));
	if (tb[FLOWOS_A_FLOW_DIR]) {
		json_open(j, "match", '{');
		if (tb[FLOWOS_A_FLOW_FAMILY])
			json_str(j, "family",
				 mnl_attr_get_u8(tb[FLOWOS_A_FLOW_FAMILY]) == AF_INET6 ?
				 "ip6" : "ip");
		if (tb[FLOWOS_A_FLOW_PROTO])
			json_str(j, "proto",
				 proto_name(mnl_attr_get_u8(tb[FLOWOS_A_FLOW_PROTO]),
					    buf, sizeof(buf)));
		if (tb[FLOWOS_A_FLOW_SRC])
			json_str(j, "src", addr_str(tb[FLOWOS_A_FLOW_SRC],
						    tb[FLOWOS_A_FLOW_SRC_PREFIX],
						    buf, sizeof(buf)));
		if (tb[FLOWOS_A_FLOW_DST])
			json_str(j, "dst", addr_str(tb[FLOWOS_A_FLOW_DST],
						    tb[FLOWOS_A_FLOW_DST_PREFIX],
						    buf, sizeof(buf)));
		if (tb[FLOWOS_A_FLOW_SPORT_MIN] && tb[FLOWOS_A_FLOW_SPORT_MAX])
			json_ports(j, "sport", tb[FLOWOS_A_FLOW_SPORT_MIN],
				   tb[FLOWOS_A_FLOW_SPORT_MAX]);
		if (tb[FLOWOS_A_FLOW_DPORT_MIN] && tb[FLOWOS_A_FLOW_DPORT_MAX])
			json_ports(j, "dport", tb[FLOWOS_A_FLOW_DPORT_MIN],
				   tb[FLOWOS_A_FLOW_DPORT_MAX]);
		json_match_extras(j, tb);
		if (tb[FLOWOS_A_FLOW_IFINDEX])
			json_u64(j, "ifindex", mnl_attr_get_u32(tb[FLOWOS_A_FLOW_IFINDEX]));
		json_str(j, "dir", flowctl_enum_name(dir_names, FLOWOS_DIR_BOTH,
						     mnl_attr_get_u8(tb[FLOWOS_A_FLOW_DIR])));
		json_close(j, '}');
	}
	if (tb[FLOWOS_A_FLOW_STATS]) {
		json_open(j, "stats", '{');
		json_u64(j, "packets_in", flowctl_flow_stat(v, FLOWOS_A_STATS_PACKETS_IN));
		json_u64(j, "bytes_in", flowctl_flow_stat(v, FLOWOS_A_STATS_BYTES_IN));
		json_u64(j, "packets_out", flowctl_flow_stat(v, FLOWOS_A_STATS_PACKETS_OUT));
		json_u64(j, "bytes_out", flowctl_flow_stat(v, FLOWOS_A_STATS_BYTES_OUT));
		json_u64(j, "ring_drops", flowctl_flow_stat(v, FLOWOS_A_STATS_RING_DROPS));
		json_u64(j, "mem_drops", flowctl_flow_stat(v, FLOWOS_A_STATS_MEM_DROPS));
		json_u64(j, "held", flowctl_flow_stat(v, FLOWOS_A_STATS_HELD));
		json_u64(j, "held_now", held_now(v));
		json_u64(j, "reinjected", flowctl_flow_stat(v, FLOWOS_A_STATS_REINJECTED));
		json_u64(j, "lost", flowctl_flow_stat(v, FLOWOS_A_STATS_LOST));
		json_u64(j, "bypassed", flowctl_flow_stat(v, FLOWOS_A_STATS_BYPASSED));
		json_u64(j, "overflow_drops", flowctl_flow_stat(v, FLOWOS_A_STATS_OVERFLOW_DROPS));
		json_u64(j, "pm_drops", flowctl_flow_stat(v, FLOWOS_A_STATS_PM_DROPS));
		json_close(j, '}');
	}
}

static void print_flow_json(const struct flow_view *v, const char *event)
{
	struct json j;

	json_init(&j, stdout, flowctl_opts.pretty);
	json_open(&j, NULL, '{');
	flowctl_json_stamp(&j, event);
	if (event)
		json_str(&j, "event", event);
	flowctl_json_flow(&j, v);
	json_close(&j, '}');
}

static void print_ports(const char *key, const struct nlattr *min,
			const struct nlattr *max)
{
	uint16_t lo = mnl_attr_get_u16(min), hi = mnl_attr_get_u16(max);

	if (lo == hi)
		printf(" %s %u", key, lo);
	else
		printf(" %s %u-%u", key, lo, hi);
}

/* ICMP type and code, DSCP and ECN, by name where they have one. */
static void print_match_extras(const struct nlattr *const *tb)
{
	const struct named_value *types;
	uint8_t proto = 0;
	char buf[8];
	size_t n;

	if (tb[FLOWOS_A_FLOW_PROTO])
		proto = mnl_attr_get_u8(tb[FLOWOS_A_FLOW_PROTO]);
	types = icmp_type_table(proto, &n);
	if (tb[FLOWOS_A_FLOW_ICMP_TYPE])
		printf(" icmp-type %s",
		       named_str(types, n, mnl_attr_get_u8(tb[FLOWOS_A_FLOW_ICMP_TYPE]),
				 buf, sizeof(buf)));
	if (tb[FLOWOS_A_FLOW_ICMP_CODE])
		printf(" icmp-code %u", mnl_attr_get_u8(tb[FLOWOS_A_FLOW_ICMP_CODE]));
	if (tb[FLOWOS_A_FLOW_DSCP])
		printf(" dscp %s", named_str(dscp_names, ARRAY_SIZE(dscp_names),
					     mnl_attr_get_u8(tb[FLOWOS_A_FLOW_DSCP]),
					     buf, sizeof(buf)));
	if (tb[FLOWOS_A_FLOW_ECN])
		printf(" ecn %s", named_str(ecn_names, ARRAY_SIZE(ecn_names),
					    mnl_attr_get_u8(tb[FLOWOS_A_FLOW_ECN]),
					    buf, sizeof(buf)));
}

/* Device names and the VLAN, after the device ("dev eth0 vlan 100"). */
static void print_match_devs(const struct nlattr *const *tb)
{
	if (tb[FLOWOS_A_FLOW_VLAN])
		printf(" vlan %u", mnl_attr_get_u16(tb[FLOWOS_A_FLOW_VLAN]));
	if (tb[FLOWOS_A_FLOW_IIFNAME])
		printf(" iifname %s", mnl_attr_get_str(tb[FLOWOS_A_FLOW_IIFNAME]));
	if (tb[FLOWOS_A_FLOW_OIFNAME])
		printf(" oifname %s", mnl_attr_get_str(tb[FLOWOS_A_FLOW_OIFNAME]));
}

/* The match as the words that would create it. */
static void print_match(const struct nlattr *const *tb)
{
	char buf[64];

	if (tb[FLOWOS_A_FLOW_FAMILY])
		printf(" %s", mnl_attr_get_u8(tb[FLOWOS_A_FLOW_FAMILY]) == AF_INET6 ?
		       "ip6" : "ip");
	if (tb[FLOWOS_A_FLOW_PROTO])
		printf(" proto %s", proto_name(mnl_attr_get_u8(tb[FLOWOS_A_FLOW_PROTO]),
					       buf, sizeof(buf)));
	if (tb[FLOWOS_A_FLOW_SRC])
		printf(" src %s", addr_str(tb[FLOWOS_A_FLOW_SRC],
					   tb[FLOWOS_A_FLOW_SRC_PREFIX], buf, sizeof(buf)));
	if (tb[FLOWOS_A_FLOW_DST])
		printf(" dst %s", addr_str(tb[FLOWOS_A_FLOW_DST],
					   tb[FLOWOS_A_FLOW_DST_PREFIX], buf, sizeof(buf)));
	if (tb[FLOWOS_A_FLOW_SPORT_MIN] && tb[FLOWOS_A_FLOW_SPORT_MAX])
		print_ports("sport", tb[FLOWOS_A_FLOW_SPORT_MIN], tb[FLOWOS_A_FLOW_SPORT_MAX]);
	if (tb[FLOWOS_A_FLOW_DPORT_MIN] && tb[FLOWOS_A_FLOW_DPORT_MAX])
		print_ports("dport", tb[FLOWOS_A_FLOW_DPORT_MIN], tb[FLOWOS_A_FLOW_DPORT_MAX]);
	print_match_extras(tb);
	if (tb[FLOWOS_A_FLOW_IFINDEX]) {
		uint32_t ifindex = mnl_attr_get_u32(tb[FLOWOS_A_FLOW_IFINDEX]);
		char ifname[IF_NAMESIZE];

		if (if_indextoname(ifindex, ifname))
			printf(" dev %s", ifname);
		else
			printf(" ifindex %u", ifindex);
	}
	print_match_devs(tb);
	if (tb[FLOWOS_A_FLOW_DIR])
		printf(" dir %s", flowctl_enum_name(dir_names, FLOWOS_DIR_BOTH,
						    mnl_attr_get_u8(tb[FLOWOS_A_FLOW_DIR])));
}

/* What defines the flow, as the keywords of create. */
static void print_definition(const struct flow_view *v)
{
	const struct nlattr *const *tb = v->tb;

	if (tb[FLOWOS_A_FLOW_PRIORITY])
		printf(" prio %u", mnl_attr_get_u32(tb[FLOWOS_A_FLOW_PRIORITY]));
	print_match(tb);
	if (tb[FLOWOS_A_FLOW_QLEN])
		printf(" qlen %u", mnl_attr_get_u32(tb[FLOWOS_A_FLOW_QLEN]));
	if (is_inline(v) && tb[FLOWOS_A_FLOW_OVERFLOW])
		printf(" mode inline overflow %s",
		       flowctl_enum_name(overflow_names, FLOWOS_OVERFLOW_MAX,
					 mnl_attr_get_u8(tb[FLOWOS_A_FLOW_OVERFLOW])));
}

/* The command that creates the flow again (flowctl dump). */
void flowctl_print_create(const struct flow_view *v)
{
	const struct nlattr *const *tb = v->tb;

	printf("create %s", mnl_attr_get_str(tb[FLOWOS_A_FLOW_NAME]));
	print_definition(v);
	printf("\n");
}

/* "in 3 packets 252 bytes, out 0 packets 0 bytes, drops 0 ring 0 memory" */
void flowctl_print_flow_counters(const struct flow_view *v)
{
	printf("in %llu packets %llu bytes, out %llu packets %llu bytes, ",
	       (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_PACKETS_IN),
	       (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_BYTES_IN),
	       (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_PACKETS_OUT),
	       (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_BYTES_OUT));
	printf("drops %llu ring %llu memory",
	       (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_RING_DROPS),
	       (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_MEM_DROPS));
}

/* "5 bypassed, 0 overflow drops" */
static const char *overflow_text(const struct flow_view *v, char *buf,
				 size_t size)
{
	snprintf(buf, size, "%llu bypassed, %llu overflow drops",
		 (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_BYPASSED),
		 (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_OVERFLOW_DROPS));
	return buf;
}

static void print_flow_text(const struct flow_view *v, const char *event)
{
	const struct nlattr *const *tb = v->tb;
	char buf[96];

	if (event)
		printf("%s ", event);
	printf("flow %s", mnl_attr_get_str(tb[FLOWOS_A_FLOW_NAME]));
	if (tb[FLOWOS_A_FLOW_ID])
		printf(" id %u", mnl_attr_get_u32(tb[FLOWOS_A_FLOW_ID]));
	print_definition(v);
	printf("\n");
	if (tb[FLOWOS_A_FLOW_STATS])
		printf("    in  %llu packets %llu bytes\n"
		       "    out %llu packets %llu bytes\n"
		       "    drops %llu ring %llu memory\n",
		       (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_PACKETS_IN),
		       (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_BYTES_IN),
		       (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_PACKETS_OUT),
		       (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_BYTES_OUT),
		       (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_RING_DROPS),
		       (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_MEM_DROPS));
	if (tb[FLOWOS_A_FLOW_STATS] && is_inline(v))
		printf("    held %llu now, %llu reinjected, %llu lost, %llu dropped by PMs, %s\n",
		       (unsigned long long)held_now(v),
		       (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_REINJECTED),
		       (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_LOST),
		       (unsigned long long)flowctl_flow_stat(v, FLOWOS_A_STATS_PM_DROPS),
		       overflow_text(v, buf, sizeof(buf)));
}

struct list_ctx {
	struct json *array;	/* -j list: inside a JSON array */
	unsigned int count;
};

static int on_flow(const struct nlmsghdr *nlh, void *data)
{
	struct list_ctx *ctx = data;
	struct flow_view v;

	if (flowctl_parse_flow(nlh, &v))
		return MNL_CB_ERROR;
	ctx->count++;
	if (ctx->array) {
		/* An element of the array: separate it from the last one. */
		if (ctx->count > 1)
			fputs(flowctl_opts.pretty ? ",\n" : ",", stdout);
		print_flow_json(&v, NULL);
	} else if (flowctl_opts.json) {
		print_flow_json(&v, NULL);
	} else {
		print_flow_text(&v, NULL);
	}
	return MNL_CB_OK;
}

static int name_cmd(struct flowctl_nl *nl, uint8_t cmd, const char *name,
		    mnl_cb_t cb, void *data)
{
	struct nlmsghdr *nlh = flowctl_nl_msg(nl, cmd, 0);

	mnl_attr_put_strz(nlh, FLOWOS_A_FLOW_NAME, name);
	return flowctl_nl_run(nl, nlh, cb, data);
}

/*
 * How many of @argv's words are the match: up to a word "attach" where
 * a keyword would stand (every keyword but ip and ip6 takes a value).
 */
int flowctl_match_words(int argc, char **argv)
{
	int i = 0;

	while (i < argc && strcmp(argv[i], "attach"))
		i += strcmp(argv[i], "ip") && strcmp(argv[i], "ip6") ? 2 : 1;
	return i < argc ? i : argc;
}

/* What a definition that leaves an attribute out means by it. */
static const struct {
	uint16_t type;
	uint8_t len;
	uint32_t value;
} definition_defaults[] = {
	{ FLOWOS_A_FLOW_DIR, 1, FLOWOS_DIR_IN },
	{ FLOWOS_A_FLOW_PRIORITY, 4, 0 },
	{ FLOWOS_A_FLOW_QLEN, 4, FLOWOS_QLEN_DEFAULT },
	{ FLOWOS_A_FLOW_MODE, 1, FLOWOS_FLOW_MODE_PASSIVE },
	{ FLOWOS_A_FLOW_OVERFLOW, 1, FLOWOS_OVERFLOW_ACCEPT },
};

/* @key += attribute @type of @len bytes at @data, or false if full. */
static bool key_put(struct flowctl_key *key, uint16_t type, uint16_t len,
		    const void *data)
{
	if (key->len + 4 + len > sizeof(key->buf))
		return false;
	memcpy(key->buf + key->len, &type, 2);
	memcpy(key->buf + key->len + 2, &len, 2);
	memcpy(key->buf + key->len + 4, data, len);
	key->len += 4 + len;
	return true;
}

/**
 * flowctl_definition_key - what @n words of create's MATCH mean
 * @n: how many words
 * @words: the definition, as "flowctl create NAME" takes it after NAME
 * @key: set to the attributes they put, in attribute order, each left
 *	out as its default (an overflow policy only for an inline flow,
 *	the only ones that have one): two definitions that mean the same
 *	have equal keys
 *
 * Returns 0, or a usage error (printed).
 */
int flowctl_definition_key(int n, char **words, struct flowctl_key *key)
{
	static char buf[8192];	/* a definition is a few dozen bytes */
	const struct nlattr *tb[FLOWOS_A_FLOW_MAX + 1] = {}, *a;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	bool inline_mode;
	uint32_t v;
	unsigned int i;
	int type;

	if (put_match(nlh, n, words))
		return FLOWCTL_EXIT_USAGE;
	mnl_attr_for_each(a, nlh, 0)
		if (mnl_attr_get_type(a) <= FLOWOS_A_FLOW_MAX)
			tb[mnl_attr_get_type(a)] = a;
	inline_mode = tb[FLOWOS_A_FLOW_MODE] &&
		      mnl_attr_get_u8(tb[FLOWOS_A_FLOW_MODE]) == FLOWOS_FLOW_MODE_INLINE;
	key->len = 0;
	for (type = 1; type <= FLOWOS_A_FLOW_MAX; type++) {
		if (type == FLOWOS_A_FLOW_OVERFLOW && !inline_mode)
			continue;
		if (tb[type]) {
			if (!key_put(key, type, mnl_attr_get_payload_len(tb[type]),
				     mnl_attr_get_payload(tb[type])))
				return flowctl_usage_error("a definition too long to compare");
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(definition_defaults); i++) {
			if (definition_defaults[i].type != type)
				continue;
			v = definition_defaults[i].value;
			/* Each default fits its attribute's width (1 or 4). */
			if (definition_defaults[i].len == 1)
				key_put(key, type, 1, &(uint8_t){ v });
			else
				key_put(key, type, 4, &v);
		}
	}
	return 0;
}

static const char create_usage[] =
	"create NAME [MATCH...] [attach TYPE [KEY VALUE]...]...";

/*
 * A request of @cmd for the flow @argv[0] with the definition of the
 * @n words after it, or NULL after a usage error.
 */
static struct nlmsghdr *definition_msg(struct flowctl_nl *nl, uint8_t cmd,
				       int n, char **argv)
{
	struct nlmsghdr *nlh = flowctl_nl_msg(nl, cmd, 0);

	mnl_attr_put_strz(nlh, FLOWOS_A_FLOW_NAME, argv[0]);
	return put_match(nlh, n, argv + 1) ? NULL : nlh;
}

/* Silent on success, as "ip link add" is; "show" tells the rest. */
static int cmd_create(struct flowctl_nl *nl, int argc, char **argv)
{
	struct nlmsghdr *nlh;
	int n;

	if (argc < 1)
		return flowctl_usage_error("%s", create_usage);
	n = flowctl_match_words(argc - 1, argv + 1);
	nlh = definition_msg(nl, FLOWOS_CMD_FLOW_NEW, n, argv);
	if (!nlh)
		return FLOWCTL_EXIT_USAGE;
	if (n < argc - 1)
		return flowctl_create_pipeline(nl, nlh, argc - 1 - n, argv + 1 + n);
	if (flowctl_nl_run(nl, nlh, NULL, NULL))
		return flowctl_kernel_error(nl, "cannot create flow");
	return 0;
}

/*
 * "change NAME [MATCH...]": the definition given, as create takes it
 * (what is left out is the default, not the old value), replaces the
 * flow's; its counters and PMs stay.
 */
static int cmd_change(struct flowctl_nl *nl, int argc, char **argv)
{
	struct nlmsghdr *nlh;

	if (argc < 1)
		return flowctl_usage_error("change NAME [MATCH...]");
	nlh = definition_msg(nl, FLOWOS_CMD_FLOW_SET, argc - 1, argv);
	if (!nlh)
		return FLOWCTL_EXIT_USAGE;
	if (flowctl_nl_run(nl, nlh, NULL, NULL))
		return flowctl_kernel_error(nl, "cannot change flow");
	return 0;
}

static int cmd_delete(struct flowctl_nl *nl, int argc, char **argv)
{
	if (argc != 1)
		return flowctl_usage_error("delete NAME");
	if (name_cmd(nl, FLOWOS_CMD_FLOW_DEL, argv[0], NULL, NULL))
		return flowctl_kernel_error(nl, "cannot delete flow");
	return 0;
}

static int cmd_show(struct flowctl_nl *nl, int argc, char **argv)
{
	struct list_ctx ctx = {};

	if (argc != 1)
		return flowctl_usage_error("show NAME");
	if (name_cmd(nl, FLOWOS_CMD_FLOW_GET, argv[0], on_flow, &ctx))
		return flowctl_kernel_error(nl, "cannot show flow");
	return 0;
}

static int cmd_list(struct flowctl_nl *nl, int argc, char **argv)
{
	struct list_ctx ctx = {};
	struct nlmsghdr *nlh;
	struct json j;
	int err;

	if (argc)
		return flowctl_usage_error("list takes no arguments");
	if (flowctl_opts.json) {
		json_init(&j, stdout, flowctl_opts.pretty);
		fputs(flowctl_opts.pretty ? "[\n" : "[", stdout);
		ctx.array = &j;
	}
	nlh = flowctl_nl_msg(nl, FLOWOS_CMD_FLOW_GET, NLM_F_DUMP);
	err = flowctl_nl_run(nl, nlh, on_flow, &ctx);
	if (flowctl_opts.json)
		puts(ctx.count && flowctl_opts.pretty ? "\n]" : "]");
	if (err)
		return flowctl_kernel_error(nl, "cannot list flows");
	return 0;
}

static int on_event(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *gh = mnl_nlmsg_get_payload(nlh);
	const char *event;
	struct flow_view v;

	if (nlh->nlmsg_type != ((struct flowctl_nl *)data)->family)
		return MNL_CB_OK;
	if (gh->cmd == FLOWOS_CMD_PM_ATTACH || gh->cmd == FLOWOS_CMD_PM_DETACH ||
	    gh->cmd == FLOWOS_CMD_PM_SET || gh->cmd == FLOWOS_CMD_PM_EVENT) {
		flowctl_print_pm_event(nlh);
		return MNL_CB_OK;
	}
	if (flowctl_parse_flow(nlh, &v))
		return MNL_CB_OK;
	event = v.cmd == FLOWOS_CMD_FLOW_NEW ? "new" :
		v.cmd == FLOWOS_CMD_FLOW_DEL ? "del" :
		v.cmd == FLOWOS_CMD_FLOW_SET ? "change" : "other";
	if (flowctl_opts.json)
		print_flow_json(&v, event);
	else
		print_flow_text(&v, event);
	fflush(stdout);
	return MNL_CB_OK;
}

static int cmd_monitor(struct flowctl_nl *nl, int argc, char **argv)
{
	if (argc)
		return flowctl_usage_error("monitor takes no arguments");
	if (flowctl_nl_join(nl))
		return flowctl_kernel_error(nl, "cannot listen to events");
	/* Tell a caller (or a test) that no event can be missed any more. */
	fprintf(stderr, "listening for flowos events\n");
	if (flowctl_nl_listen(nl, on_event, nl))
		return flowctl_kernel_error(nl, "monitor");
	return 0;
}

static const char *const malformed_names[] = {
	[FLOWOS_A_MALFORMED_TRUNCATED] = "truncated",
	[FLOWOS_A_MALFORMED_BAD_VERSION] = "bad_version",
	[FLOWOS_A_MALFORMED_BAD_IHL] = "bad_ihl",
	[FLOWOS_A_MALFORMED_BAD_LENGTH] = "bad_length",
	[FLOWOS_A_MALFORMED_BAD_EXT_HDR] = "bad_ext_hdr",
	[FLOWOS_A_MALFORMED_BAD_TCP_DOFF] = "bad_tcp_doff",
	[FLOWOS_A_MALFORMED_BAD_UDP_LEN] = "bad_udp_len",
};

static int on_status(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *attr, *m;
	uint64_t mem[3] = {};
	uint32_t flows = 0;
	struct json j;

	json_init(&j, stdout, flowctl_opts.pretty);
	if (flowctl_opts.json)
		json_open(&j, NULL, '{');
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		unsigned int type = mnl_attr_get_type(attr);

		if (type == FLOWOS_A_NET_FLOWS)
			flows = mnl_attr_get_u32(attr);
		else if (type >= FLOWOS_A_NET_MEM_USED &&
			 type <= FLOWOS_A_NET_MEM_REFUSED &&
			 !mnl_attr_validate(attr, MNL_TYPE_U64))
			mem[type - FLOWOS_A_NET_MEM_USED] = mnl_attr_get_u64(attr);
	}
	if (flowctl_opts.json) {
		json_u64(&j, "flows", flows);
		json_open(&j, "malformed", '{');
	} else {
		printf("flows %u\nmalformed packets:", flows);
	}
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) != FLOWOS_A_NET_MALFORMED)
			continue;
		mnl_attr_for_each_nested(m, attr) {
			unsigned int type = mnl_attr_get_type(m);

			if (type >= ARRAY_SIZE(malformed_names) ||
			    !malformed_names[type] ||
			    mnl_attr_validate(m, MNL_TYPE_U64))
				continue;
			if (flowctl_opts.json)
				json_u64(&j, malformed_names[type], mnl_attr_get_u64(m));
			else
				printf(" %s %llu", malformed_names[type],
				       (unsigned long long)mnl_attr_get_u64(m));
		}
	}
	if (flowctl_opts.json) {
		json_close(&j, '}');
		json_open(&j, "memory", '{');
		json_u64(&j, "used", mem[0]);
		json_u64(&j, "limit", mem[1]);
		json_u64(&j, "refused", mem[2]);
		json_close(&j, '}');
		json_close(&j, '}');
	} else {
		printf("\nmemory for PMs (all namespaces): %llu of %llu bytes",
		       (unsigned long long)mem[0], (unsigned long long)mem[1]);
		printf(", %llu attaches refused\n", (unsigned long long)mem[2]);
	}
	return MNL_CB_OK;
}

/* The namespace: how many flows, and the packets it could not parse. */
static int cmd_status(struct flowctl_nl *nl, int argc, char **argv)
{
	if (argc)
		return flowctl_usage_error("status takes no arguments");
	if (flowctl_nl_run(nl, flowctl_nl_msg(nl, FLOWOS_CMD_NET_GET, 0),
			   on_status, NULL))
		return flowctl_kernel_error(nl, "cannot read status");
	return 0;
}

const struct flowctl_cmd flowctl_flow_cmds[] = {
	{ "create", cmd_create,
	  "NAME [MATCH...] [attach TYPE [KEY VALUE]...]...  (see flowctl(8))" },
	{ "change", cmd_change, "NAME [MATCH...]  (the whole definition)" },
	{ "delete", cmd_delete, "NAME" },
	{ "list", cmd_list, "" },
	{ "show", cmd_show, "NAME" },
	{ "monitor", cmd_monitor, "" },
	{ "status", cmd_status, "" },
	{ NULL },
};
