// SPDX-License-Identifier: GPL-2.0
/*
 * flowos_nl: the selftests' own client of the flowos netlink family, on
 * libnl-genl-3.  It shares nothing with flowctl but the uapi header, so
 * a flowctl bug cannot hide a kernel bug, nor the other way round.
 *
 *   flowos_nl new NAME [family 4|6] [proto N] [src ADDR[/LEN]]
 *                 [dst ADDR[/LEN]] [sport LO[-HI]] [dport LO[-HI]]
 *                 [dev IFNAME] [dir in|out|both] [prio N]
 *                 [icmp_type N] [icmp_code N] [dscp N] [ecn N]
 *                 [iifname NAME] [oifname NAME] [vlan N]
 *   flowos_nl del NAME
 *   flowos_nl get NAME
 *   flowos_nl dump
 *   flowos_nl monitor COUNT SECONDS
 *   flowos_nl attach FLOW TYPE [name NAME] [order N] [KEY=VALUE...]
 *   flowos_nl detach FLOW NAME
 *   flowos_nl stats FLOW [NAME]
 *   flowos_nl net
 *   flowos_nl batch          (stdin: a "new ..." or "del ..." per line)
 *
 * Prints one "key=value ..." line per flow in a reply; for a PM
 * instance, its identity, core counters and scalar results on one line,
 * then one "row TABLE col=value ..." line per table row.  stats dumps
 * the instances of FLOW (or only NAME), each in as many messages as the
 * kernel sends, and checks the parts come in order.  monitor joins the
 * "events" group, says "ready" on stderr, prints COUNT events, each line
 * starting with "event=new" or "event=del", and fails if they do not
 * come within SECONDS.  On a kernel
 * error, also one that ends a dump, prints "error: STRERROR:
 * EXTACK-MESSAGE" and exits 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <linux/flowos.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static char extack_msg[256];
static int kernel_err;
static int events_left = -1;	/* monitor: events still to print */

static void bad_usage(void)
{
	fputs("usage: flowos_nl new|del|get NAME [MATCH...]\n"
	      "       flowos_nl dump\n"
	      "       flowos_nl monitor COUNT SECONDS\n"
	      "       flowos_nl attach FLOW TYPE [name NAME] [order N] [KEY=VALUE...]\n"
	      "       flowos_nl detach FLOW NAME\n"
	      "       flowos_nl stats FLOW [NAME]\n"
	      "       flowos_nl net\n"
	      "       flowos_nl batch   (new/del commands on stdin)\n", stderr);
	exit(2);
}

static void print_flow(struct nlattr **tb)
{
	static const char *const stats_names[] = {
		[FLOWOS_A_STATS_PACKETS_IN] = "packets_in",
		[FLOWOS_A_STATS_BYTES_IN] = "bytes_in",
		[FLOWOS_A_STATS_PACKETS_OUT] = "packets_out",
		[FLOWOS_A_STATS_BYTES_OUT] = "bytes_out",
		[FLOWOS_A_STATS_RING_DROPS] = "ring_drops",
		[FLOWOS_A_STATS_MEM_DROPS] = "mem_drops",
		[FLOWOS_A_STATS_HELD] = "held",
		[FLOWOS_A_STATS_REINJECTED] = "reinjected",
		[FLOWOS_A_STATS_LOST] = "lost",
		[FLOWOS_A_STATS_BYPASSED] = "bypassed",
		[FLOWOS_A_STATS_OVERFLOW_DROPS] = "overflow_drops",
		[FLOWOS_A_STATS_PM_DROPS] = "pm_drops",
	};
	struct nlattr *st[FLOWOS_A_STATS_MAX + 1];
	char addr[INET6_ADDRSTRLEN];
	int i;

	printf("name=%s", nla_get_string(tb[FLOWOS_A_FLOW_NAME]));
	if (tb[FLOWOS_A_FLOW_ID])
		printf(" id=%u", nla_get_u32(tb[FLOWOS_A_FLOW_ID]));
	if (tb[FLOWOS_A_FLOW_PRIORITY])
		printf(" prio=%u", nla_get_u32(tb[FLOWOS_A_FLOW_PRIORITY]));
	if (tb[FLOWOS_A_FLOW_FAMILY])
		printf(" family=%u", nla_get_u8(tb[FLOWOS_A_FLOW_FAMILY]));
	if (tb[FLOWOS_A_FLOW_PROTO])
		printf(" proto=%u", nla_get_u8(tb[FLOWOS_A_FLOW_PROTO]));
	for (i = FLOWOS_A_FLOW_SRC; i <= FLOWOS_A_FLOW_DST; i += 2) {
		if (!tb[i])
			continue;
		inet_ntop(nla_len(tb[i]) == 16 ? AF_INET6 : AF_INET,
			  nla_data(tb[i]), addr, sizeof(addr));
		printf(" %s=%s/%u", i == FLOWOS_A_FLOW_SRC ? "src" : "dst",
		       addr, nla_get_u8(tb[i + 1]));
	}
	if (tb[FLOWOS_A_FLOW_SPORT_MIN])
		printf(" sport=%u-%u", nla_get_u16(tb[FLOWOS_A_FLOW_SPORT_MIN]),
		       nla_get_u16(tb[FLOWOS_A_FLOW_SPORT_MAX]));
	if (tb[FLOWOS_A_FLOW_DPORT_MIN])
		printf(" dport=%u-%u", nla_get_u16(tb[FLOWOS_A_FLOW_DPORT_MIN]),
		       nla_get_u16(tb[FLOWOS_A_FLOW_DPORT_MAX]));
	if (tb[FLOWOS_A_FLOW_ICMP_TYPE])
		printf(" icmp_type=%u", nla_get_u8(tb[FLOWOS_A_FLOW_ICMP_TYPE]));
	if (tb[FLOWOS_A_FLOW_ICMP_CODE])
		printf(" icmp_code=%u", nla_get_u8(tb[FLOWOS_A_FLOW_ICMP_CODE]));
	if (tb[FLOWOS_A_FLOW_DSCP])
		printf(" dscp=%u", nla_get_u8(tb[FLOWOS_A_FLOW_DSCP]));
	if (tb[FLOWOS_A_FLOW_ECN])
		printf(" ecn=%u", nla_get_u8(tb[FLOWOS_A_FLOW_ECN]));
	if (tb[FLOWOS_A_FLOW_IFINDEX])
		printf(" ifindex=%u", nla_get_u32(tb[FLOWOS_A_FLOW_IFINDEX]));
	if (tb[FLOWOS_A_FLOW_IIFNAME])
		printf(" iifname=%s", nla_get_string(tb[FLOWOS_A_FLOW_IIFNAME]));
	if (tb[FLOWOS_A_FLOW_OIFNAME])
		printf(" oifname=%s", nla_get_string(tb[FLOWOS_A_FLOW_OIFNAME]));
	if (tb[FLOWOS_A_FLOW_VLAN])
		printf(" vlan=%u", nla_get_u16(tb[FLOWOS_A_FLOW_VLAN]));
	if (tb[FLOWOS_A_FLOW_DIR])
		printf(" dir=%u", nla_get_u8(tb[FLOWOS_A_FLOW_DIR]));
	if (tb[FLOWOS_A_FLOW_MODE])
		printf(" mode=%u", nla_get_u8(tb[FLOWOS_A_FLOW_MODE]));
	if (tb[FLOWOS_A_FLOW_OVERFLOW])
		printf(" overflow=%u", nla_get_u8(tb[FLOWOS_A_FLOW_OVERFLOW]));
	if (tb[FLOWOS_A_FLOW_STATS] &&
	    !nla_parse_nested(st, FLOWOS_A_STATS_MAX, tb[FLOWOS_A_FLOW_STATS],
			      NULL)) {
		for (i = FLOWOS_A_STATS_PACKETS_IN; i <= FLOWOS_A_STATS_MAX; i++)
			if (st[i])
				printf(" %s=%llu", stats_names[i],
				       (unsigned long long)nla_get_u64(st[i]));
	}
	printf("\n");
}

static int on_reply(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[FLOWOS_A_FLOW_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (genlmsg_parse(nlh, 0, tb, FLOWOS_A_FLOW_MAX, NULL) ||
	    !tb[FLOWOS_A_FLOW_NAME]) {
		fprintf(stderr, "flowos_nl: malformed reply\n");
		return NL_STOP;
	}
	if (events_left >= 0) {
		struct genlmsghdr *gh = nlmsg_data(nlh);

		printf("event=%s ", gh->cmd == FLOWOS_CMD_FLOW_NEW ? "new" :
		       gh->cmd == FLOWOS_CMD_FLOW_DEL ? "del" : "other");
		events_left--;
	}
	print_flow(tb);
	fflush(stdout);
	return NL_OK;
}

static int parse_u(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	return errno || *end || end == s || *out > max ? -1 : 0;
}

/* One value of a result: "name=value", an address as text. */
static void print_value(struct nlattr *value)
{
	struct nlattr *tb[FLOWOS_A_VALUE_MAX + 1];
	char addr[INET6_ADDRSTRLEN];

	if (nla_parse_nested(tb, FLOWOS_A_VALUE_MAX, value, NULL) ||
	    !tb[FLOWOS_A_VALUE_NAME] || tb[FLOWOS_A_VALUE_TABLE])
		return;
	printf(" %s=", nla_get_string(tb[FLOWOS_A_VALUE_NAME]));
	if (tb[FLOWOS_A_VALUE_U64])
		printf("%llu", (unsigned long long)nla_get_u64(tb[FLOWOS_A_VALUE_U64]));
	else if (tb[FLOWOS_A_VALUE_STRING])
		printf("%s", nla_get_string(tb[FLOWOS_A_VALUE_STRING]));
	else if (tb[FLOWOS_A_VALUE_ADDR])
		printf("%s", inet_ntop(nla_len(tb[FLOWOS_A_VALUE_ADDR]) == 16 ?
				       AF_INET6 : AF_INET,
				       nla_data(tb[FLOWOS_A_VALUE_ADDR]),
				       addr, sizeof(addr)));
}

/* The rows of every table among @results, a line each. */
static void print_tables(struct nlattr *results)
{
	struct nlattr *tb[FLOWOS_A_VALUE_MAX + 1], *v, *row, *col;
	int rem, rrem, crem;

	nla_for_each_nested(v, results, rem) {
		if (nla_parse_nested(tb, FLOWOS_A_VALUE_MAX, v, NULL) ||
		    !tb[FLOWOS_A_VALUE_TABLE] || !tb[FLOWOS_A_VALUE_NAME])
			continue;
		nla_for_each_nested(row, v, rrem) {
			if (nla_type(row) != FLOWOS_A_VALUE_ROW)
				continue;
			printf("row %s", nla_get_string(tb[FLOWOS_A_VALUE_NAME]));
			nla_for_each_nested(col, row, crem)
				print_value(col);
			printf("\n");
		}
	}
}

/*
 * The messages of a stats reply, kept until it is whole: an instance
 * may come in several parts, its scalars in any of them.
 */
static struct nl_msg **parts;
static int nparts;

static int on_pm_part(struct nl_msg *msg, void *arg)
{
	struct nl_msg **grown = realloc(parts, (nparts + 1) * sizeof(*parts));

	if (!grown) {
		kernel_err = -ENOMEM;
		return NL_STOP;
	}
	parts = grown;
	nlmsg_get(msg);
	parts[nparts++] = msg;
	return NL_OK;
}

static int part_of(struct nlattr **tb)
{
	return tb[FLOWOS_A_PM_PART] ? (int)nla_get_u32(tb[FLOWOS_A_PM_PART]) : 0;
}

/* Parts @first.. of one instance: how many, or -1 if out of order. */
static int instance_parts(int first)
{
	struct nlattr *tb0[FLOWOS_A_PM_MAX + 1], *tb[FLOWOS_A_PM_MAX + 1];
	int n;

	genlmsg_parse(nlmsg_hdr(parts[first]), 0, tb0, FLOWOS_A_PM_MAX, NULL);
	if (part_of(tb0))
		return -1;
	for (n = 1; first + n < nparts; n++) {
		if (genlmsg_parse(nlmsg_hdr(parts[first + n]), 0, tb,
				  FLOWOS_A_PM_MAX, NULL) || !part_of(tb))
			break;
		if (part_of(tb) != n || !tb[FLOWOS_A_PM_NAME] ||
		    strcmp(nla_get_string(tb[FLOWOS_A_PM_NAME]),
			   nla_get_string(tb0[FLOWOS_A_PM_NAME])))
			return -1;
	}
	return n;
}

static int print_instance(int first, int n)
{
	struct nlattr *tb[FLOWOS_A_PM_MAX + 1], *st[FLOWOS_A_PM_STATS_MAX + 1];
	struct nlattr *v;
	int i, rem;

	if (genlmsg_parse(nlmsg_hdr(parts[first]), 0, tb, FLOWOS_A_PM_MAX, NULL) ||
	    !tb[FLOWOS_A_PM_FLOW] || !tb[FLOWOS_A_PM_NAME] ||
	    !tb[FLOWOS_A_PM_TYPE] || !tb[FLOWOS_A_PM_ORDER]) {
		fprintf(stderr, "flowos_nl: malformed reply\n");
		return -1;
	}
	printf("flow=%s name=%s type=%s order=%u parts=%d",
	       nla_get_string(tb[FLOWOS_A_PM_FLOW]),
	       nla_get_string(tb[FLOWOS_A_PM_NAME]),
	       nla_get_string(tb[FLOWOS_A_PM_TYPE]),
	       nla_get_u8(tb[FLOWOS_A_PM_ORDER]), n);
	if (tb[FLOWOS_A_PM_STATS] &&
	    !nla_parse_nested(st, FLOWOS_A_PM_STATS_MAX, tb[FLOWOS_A_PM_STATS], NULL) &&
	    st[FLOWOS_A_PM_STATS_PROCESSED] && st[FLOWOS_A_PM_STATS_BACKLOG])
		printf(" processed=%llu backlog=%llu",
		       (unsigned long long)nla_get_u64(st[FLOWOS_A_PM_STATS_PROCESSED]),
		       (unsigned long long)nla_get_u64(st[FLOWOS_A_PM_STATS_BACKLOG]));
	for (i = first; i < first + n; i++)
		if (!genlmsg_parse(nlmsg_hdr(parts[i]), 0, tb, FLOWOS_A_PM_MAX, NULL) &&
		    tb[FLOWOS_A_PM_RESULTS])
			nla_for_each_nested(v, tb[FLOWOS_A_PM_RESULTS], rem)
				print_value(v);
	printf("\n");
	for (i = first; i < first + n; i++)
		if (!genlmsg_parse(nlmsg_hdr(parts[i]), 0, tb, FLOWOS_A_PM_MAX, NULL) &&
		    tb[FLOWOS_A_PM_RESULTS])
			print_tables(tb[FLOWOS_A_PM_RESULTS]);
	return 0;
}

/* Every instance collected, once the reply is whole. */
static int print_parts(void)
{
	int i, n, err = 0;

	for (i = 0; i < nparts && !err; i += n) {
		n = instance_parts(i);
		if (n < 0) {
			fprintf(stderr, "flowos_nl: parts of an instance out of order\n");
			err = 1;
			break;
		}
		err = print_instance(i, n) ? 1 : 0;
	}
	for (i = 0; i < nparts; i++)
		nlmsg_free(parts[i]);
	free(parts);
	parts = NULL;
	nparts = 0;
	return err;
}

/* An attach reply, one message. */
static int on_pm_reply(struct nl_msg *msg, void *arg)
{
	on_pm_part(msg, arg);
	return print_parts() ? NL_STOP : NL_OK;
}

/*
 * The end of a dump, which may carry the error that stopped it (an int,
 * then the extended ack's attributes).
 */
static int on_done(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *a;
	int rem, err;

	if (nlmsg_datalen(nlh) < (int)sizeof(err))
		return NL_STOP;
	memcpy(&err, nlmsg_data(nlh), sizeof(err));
	if (!err)
		return NL_STOP;
	kernel_err = err;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		nla_for_each_attr(a, (struct nlattr *)((char *)nlmsg_data(nlh) + sizeof(err)),
				  nlmsg_datalen(nlh) - sizeof(err), rem)
			if (nla_type(a) == NLMSGERR_ATTR_MSG)
				snprintf(extack_msg, sizeof(extack_msg), "%s",
					 (char *)nla_data(a));
	return NL_STOP;
}

static int on_net_reply(struct nl_msg *msg, void *arg)
{
	static const char *const names[] = {
		[FLOWOS_A_MALFORMED_TRUNCATED] = "truncated",
		[FLOWOS_A_MALFORMED_BAD_VERSION] = "bad_version",
		[FLOWOS_A_MALFORMED_BAD_IHL] = "bad_ihl",
		[FLOWOS_A_MALFORMED_BAD_LENGTH] = "bad_length",
		[FLOWOS_A_MALFORMED_BAD_EXT_HDR] = "bad_ext_hdr",
		[FLOWOS_A_MALFORMED_BAD_TCP_DOFF] = "bad_tcp_doff",
		[FLOWOS_A_MALFORMED_BAD_UDP_LEN] = "bad_udp_len",
	};
	struct nlattr *tb[FLOWOS_A_NET_MAX + 1], *m[FLOWOS_A_MALFORMED_MAX + 1];
	int i;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, FLOWOS_A_NET_MAX, NULL) ||
	    !tb[FLOWOS_A_NET_FLOWS] || !tb[FLOWOS_A_NET_MALFORMED] ||
	    nla_parse_nested(m, FLOWOS_A_MALFORMED_MAX, tb[FLOWOS_A_NET_MALFORMED],
			     NULL)) {
		fprintf(stderr, "flowos_nl: malformed reply\n");
		return NL_STOP;
	}
	printf("flows=%u", nla_get_u32(tb[FLOWOS_A_NET_FLOWS]));
	for (i = FLOWOS_A_MALFORMED_TRUNCATED; i <= FLOWOS_A_MALFORMED_MAX; i++)
		if (m[i])
			printf(" %s=%llu", names[i], (unsigned long long)nla_get_u64(m[i]));
	printf("\n");
	return NL_OK;
}

/* "attach FLOW TYPE [name NAME] [order N] [KEY=VALUE...]" */
static void put_attach(struct nl_msg *msg, int argc, char **argv)
{
	struct nlattr *params, *p;
	unsigned long v;
	int i;

	nla_put_string(msg, FLOWOS_A_PM_TYPE, argv[0]);
	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "name"))
			nla_put_string(msg, FLOWOS_A_PM_NAME, argv[i + 1]);
		else if (!strcmp(argv[i], "order") && !parse_u(argv[i + 1], 255, &v))
			nla_put_u8(msg, FLOWOS_A_PM_ORDER, v);
		else
			break;
	}
	params = nla_nest_start(msg, FLOWOS_A_PM_PARAMS);
	for (; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq)
			bad_usage();
		*eq = '\0';
		p = nla_nest_start(msg, FLOWOS_A_PM_PARAM);
		nla_put_string(msg, FLOWOS_A_PARAM_KEY, argv[i]);
		nla_put_string(msg, FLOWOS_A_PARAM_VALUE, eq + 1);
		nla_nest_end(msg, p);
	}
	nla_nest_end(msg, params);
}

/* Keep the kernel's error and its extended-ack message. */
static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)err - 1;
	int len = nlh->nlmsg_len - NLMSG_HDRLEN - sizeof(*err);
	struct nlattr *attrs = (struct nlattr *)(err + 1), *a;
	int rem;

	kernel_err = err->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	nla_for_each_attr(a, attrs, len, rem)
		if (nla_type(a) == NLMSGERR_ATTR_MSG)
			snprintf(extack_msg, sizeof(extack_msg), "%s",
				 (char *)nla_data(a));
	return NL_STOP;
}

static void put_addr(struct nl_msg *msg, int attr, const char *arg)
{
	char buf[INET6_ADDRSTRLEN + 5], *slash;
	unsigned char addr[16];
	unsigned long len;

	snprintf(buf, sizeof(buf), "%s", arg);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1)
		nla_put(msg, attr, 4, addr);
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		nla_put(msg, attr, 16, addr);
	else
		bad_usage();
	if (slash) {
		if (parse_u(slash, 255, &len))
			bad_usage();
		nla_put_u8(msg, attr + 1, len);
	}
}

static void put_ports(struct nl_msg *msg, int attr, const char *arg)
{
	unsigned long lo, hi;
	char buf[32], *dash;

	snprintf(buf, sizeof(buf), "%s", arg);
	dash = strchr(buf, '-');
	if (dash)
		*dash++ = '\0';
	if (parse_u(buf, 65535, &lo) || (dash && parse_u(dash, 65535, &hi)))
		bad_usage();
	nla_put_u16(msg, attr, lo);
	if (dash)
		nla_put_u16(msg, attr + 1, hi);
}

static void put_match(struct nl_msg *msg, int argc, char **argv)
{
	unsigned long v;
	int i;

	for (i = 0; i + 1 < argc; i += 2) {
		const char *k = argv[i], *val = argv[i + 1];

		if (!strcmp(k, "family") && !parse_u(val, 6, &v))
			nla_put_u8(msg, FLOWOS_A_FLOW_FAMILY,
				   v == 6 ? AF_INET6 : v == 4 ? AF_INET : v);
		else if (!strcmp(k, "proto") && !parse_u(val, 255, &v))
			nla_put_u8(msg, FLOWOS_A_FLOW_PROTO, v);
		else if (!strcmp(k, "src"))
			put_addr(msg, FLOWOS_A_FLOW_SRC, val);
		else if (!strcmp(k, "dst"))
			put_addr(msg, FLOWOS_A_FLOW_DST, val);
		else if (!strcmp(k, "sport"))
			put_ports(msg, FLOWOS_A_FLOW_SPORT_MIN, val);
		else if (!strcmp(k, "dport"))
			put_ports(msg, FLOWOS_A_FLOW_DPORT_MIN, val);
		else if (!strcmp(k, "dev"))
			nla_put_u32(msg, FLOWOS_A_FLOW_IFINDEX,
				    if_nametoindex(val) ?: (parse_u(val, ~0U, &v) ? 0 : v));
		else if (!strcmp(k, "dir") && !parse_u(val, 255, &v))
			nla_put_u8(msg, FLOWOS_A_FLOW_DIR, v);
		else if (!strcmp(k, "dir"))
			nla_put_u8(msg, FLOWOS_A_FLOW_DIR,
				   !strcmp(val, "out") ? FLOWOS_DIR_OUT :
				   !strcmp(val, "both") ? FLOWOS_DIR_BOTH :
				   FLOWOS_DIR_IN);
		else if (!strcmp(k, "prio") && !parse_u(val, ~0U, &v))
			nla_put_u32(msg, FLOWOS_A_FLOW_PRIORITY, v);
		/* Any u8, so that the kernel's own checks are what refuses. */
		else if (!strcmp(k, "icmp_type") && !parse_u(val, 255, &v))
			nla_put_u8(msg, FLOWOS_A_FLOW_ICMP_TYPE, v);
		else if (!strcmp(k, "icmp_code") && !parse_u(val, 255, &v))
			nla_put_u8(msg, FLOWOS_A_FLOW_ICMP_CODE, v);
		else if (!strcmp(k, "dscp") && !parse_u(val, 255, &v))
			nla_put_u8(msg, FLOWOS_A_FLOW_DSCP, v);
		else if (!strcmp(k, "ecn") && !parse_u(val, 255, &v))
			nla_put_u8(msg, FLOWOS_A_FLOW_ECN, v);
		else if (!strcmp(k, "iifname"))
			nla_put_string(msg, FLOWOS_A_FLOW_IIFNAME, val);
		else if (!strcmp(k, "oifname"))
			nla_put_string(msg, FLOWOS_A_FLOW_OIFNAME, val);
		else if (!strcmp(k, "vlan") && !parse_u(val, 65535, &v))
			nla_put_u16(msg, FLOWOS_A_FLOW_VLAN, v);
		else
			bad_usage();
	}
	if (i != argc)
		bad_usage();
}

/* Print @count events of the "events" group, within @seconds. */
static int monitor(struct nl_sock *sk, int count, int seconds)
{
	struct timeval tv = { .tv_sec = 1 };
	time_t deadline = time(NULL) + seconds;
	int grp;

	grp = genl_ctrl_resolve_grp(sk, FLOWOS_FAMILY_NAME, FLOWOS_MCGRP_EVENTS);
	if (grp < 0 || nl_socket_add_membership(sk, grp)) {
		fprintf(stderr, "flowos_nl: cannot join the events group\n");
		return 1;
	}
	nl_socket_disable_seq_check(sk);
	setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_reply, NULL);
	fprintf(stderr, "ready\n");
	events_left = count;
	while (events_left > 0 && time(NULL) < deadline)
		nl_recvmsgs_default(sk);
	return events_left > 0;
}

/* The command of @argv (as given to flowos_nl), its netlink flags in @flags. */
static int parse_cmd(int argc, char **argv, int *flags)
{
	*flags = NLM_F_ACK;
	if (!strcmp(argv[1], "new") && argc >= 3)
		return FLOWOS_CMD_FLOW_NEW;
	if (!strcmp(argv[1], "del") && argc == 3)
		return FLOWOS_CMD_FLOW_DEL;
	if (!strcmp(argv[1], "get") && argc == 3)
		return FLOWOS_CMD_FLOW_GET;
	if (!strcmp(argv[1], "dump") && argc == 2) {
		*flags |= NLM_F_DUMP;
		return FLOWOS_CMD_FLOW_GET;
	}
	if (!strcmp(argv[1], "monitor") && argc == 4)
		return 0;
	if (!strcmp(argv[1], "attach") && argc >= 4)
		return FLOWOS_CMD_PM_ATTACH;
	if (!strcmp(argv[1], "detach") && argc == 4)
		return FLOWOS_CMD_PM_DETACH;
	if (!strcmp(argv[1], "stats") && (argc == 3 || argc == 4)) {
		*flags |= NLM_F_DUMP;
		return FLOWOS_CMD_STATS_GET;
	}
	if (!strcmp(argv[1], "net") && argc == 2)
		return FLOWOS_CMD_NET_GET;
	bad_usage();
	return -1;
}

/* Send command @cmd of @argv on @sk, print its reply: 0, or 1 on failure. */
static int run(struct nl_sock *sk, int family, int cmd, int flags, int argc,
	       char **argv)
{
	struct nl_msg *msg;
	int err;

	kernel_err = 0;
	extack_msg[0] = '\0';
	msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
				 flags, cmd, FLOWOS_FAMILY_VERSION))
		return 1;
	if (cmd >= FLOWOS_CMD_PM_ATTACH && cmd <= FLOWOS_CMD_STATS_GET) {
		nla_put_string(msg, FLOWOS_A_PM_FLOW, argv[2]);
		if (cmd == FLOWOS_CMD_PM_ATTACH)
			put_attach(msg, argc - 3, argv + 3);
		else if (argc > 3)
			nla_put_string(msg, FLOWOS_A_PM_NAME, argv[3]);
		nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM,
				    cmd == FLOWOS_CMD_STATS_GET ? on_pm_part : on_pm_reply,
				    NULL);
	} else if (cmd == FLOWOS_CMD_NET_GET) {
		nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_net_reply, NULL);
	} else {
		if (argc >= 3)
			nla_put_string(msg, FLOWOS_A_FLOW_NAME, argv[2]);
		if (cmd == FLOWOS_CMD_FLOW_NEW)
			put_match(msg, argc - 3, argv + 3);
		nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_reply, NULL);
	}

	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, on_error, NULL);
	nl_socket_modify_cb(sk, NL_CB_FINISH, NL_CB_CUSTOM, on_done, NULL);
	err = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		fprintf(stderr, "flowos_nl: send: %s\n", nl_geterror(err));
		return 1;
	}
	err = nl_recvmsgs_default(sk);
	/* What came before an error that stopped a dump, then the error. */
	if (cmd == FLOWOS_CMD_STATS_GET && print_parts() && !kernel_err && err >= 0)
		return 1;
	if (err < 0 && !kernel_err) {
		fprintf(stderr, "flowos_nl: receive: %s\n", nl_geterror(err));
		return 1;
	}
	if (kernel_err) {
		fflush(stdout);
		fprintf(stderr, "error: %s%s%s\n", strerror(-kernel_err),
			*extack_msg ? ": " : "", extack_msg);
		return 1;
	}
	return 0;
}

/*
 * batch: a "new" or "del" command per line of stdin, on one socket, so
 * that many flows cost one start of the program; stops at the first
 * that fails.
 */
static int batch(struct nl_sock *sk, int family)
{
	char line[1024], *argv[64], *tok;
	int argc, cmd, flags;

	while (fgets(line, sizeof(line), stdin)) {
		argv[0] = "flowos_nl";
		argc = 1;
		for (tok = strtok(line, " \t\n"); tok && argc < 63;
		     tok = strtok(NULL, " \t\n"))
			argv[argc++] = tok;
		if (argc == 1)
			continue;
		if (strcmp(argv[1], "new") && strcmp(argv[1], "del"))
			bad_usage();
		argv[argc] = NULL;
		cmd = parse_cmd(argc, argv, &flags);
		if (run(sk, family, cmd, flags, argc, argv))
			return 1;
		/*
		 * "new" is answered with the flow, then acknowledged, and one
		 * read takes only the flow: take the acknowledgment too, or
		 * the next command reads it, and the queue grows.
		 */
		if (cmd == FLOWOS_CMD_FLOW_NEW && nl_wait_for_ack(sk) < 0)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int family, cmd = 0, flags = 0, one = 1, err;
	bool batched;
	struct nl_sock *sk;

	if (argc < 2)
		bad_usage();
	batched = !strcmp(argv[1], "batch") && argc == 2;
	if (!batched)
		cmd = parse_cmd(argc, argv, &flags);

	sk = nl_socket_alloc();
	if (!sk || genl_connect(sk)) {
		fprintf(stderr, "flowos_nl: cannot open a generic netlink socket\n");
		return 1;
	}
	/* A dump's messages are up to 32 KiB: size the buffer to each. */
	nl_socket_enable_msg_peek(sk);
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	family = genl_ctrl_resolve(sk, FLOWOS_FAMILY_NAME);
	if (family < 0) {
		fprintf(stderr, "flowos_nl: no flowos family (module not loaded?)\n");
		return 1;
	}
	if (batched)
		err = batch(sk, family);
	else if (!cmd)
		err = monitor(sk, atoi(argv[2]), atoi(argv[3]));
	else
		err = run(sk, family, cmd, flags, argc, argv);
	nl_socket_free(sk);
	return err;
}
