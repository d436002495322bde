// SPDX-License-Identifier: GPL-2.0
/*
 * nl_fuzz: throw random, truncated, oversized, wrongly typed and wrongly
 * nested requests at the flowos family, crafted raw with libmnl (libnl
 * would refuse to build many of them), and hold the kernel to its word:
 * a rejected request changes nothing, and says why.
 *
 *   nl_fuzz SEED COUNT
 *
 * Names come from a small pool shared with the flows and PM instances
 * the caller set up, so that requests reach real objects, not only the
 * "no such flow" path.  After every request the state (every flow with
 * its definition, every PM instance with its parameters) is dumped; a
 * rejected request after which it differs is a violation.  Every tenth
 * dump is abandoned half way.
 *
 * A request that reaches flowos and is refused must carry an extended
 * ack message: refused without one is a violation too.  The generic
 * netlink core refuses some requests before flowos sees them (an
 * unknown command, a dump of a command that has none or the reverse, a
 * message cut inside its generic netlink header) and says nothing; those
 * are counted apart.  Prints a summary line and exits 1 on any violation
 * or if the family stops answering.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/flowos.h>

#include "kshim.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static const char *const names[] = {
	"f0", "f1", "count", "test_check", "x", "stats", "", ".", "..",
	"a-very-long-name-that-is-over-thirty-one-characters",
};

struct sock {
	struct mnl_socket *nl;
	unsigned int portid;
	unsigned int seq;
	char buf[1 << 17];
};

static u16 family;
static unsigned long tried, accepted, rejected, with_extack, violations;
static unsigned long by_core;		/* refused before flowos saw them */
static unsigned long silent[256];	/* flowos's, without extack, by errno */

/* Whether the command has a doit and a dumpit (kmod/netlink.c's ops). */
static bool has_handler(unsigned int cmd, bool dump)
{
	switch (cmd) {
	case FLOWOS_CMD_FLOW_GET:
	case FLOWOS_CMD_STATS_GET:
		return true;
	case FLOWOS_CMD_PM_TYPE_GET:
		return dump;
	case FLOWOS_CMD_FLOW_NEW:
	case FLOWOS_CMD_FLOW_DEL:
	case FLOWOS_CMD_NET_GET:
	case FLOWOS_CMD_PM_ATTACH:
	case FLOWOS_CMD_PM_DETACH:
	case FLOWOS_CMD_PM_SET:
		return !dump;
	default:		/* FLOWOS_CMD_PM_EVENT is a notification */
		return false;
	}
}

/* A request the generic netlink core refuses without asking flowos. */
static bool core_refuses(const struct nlmsghdr *nlh, unsigned int cmd)
{
	bool dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;

	return nlh->nlmsg_len < MNL_NLMSG_HDRLEN + GENL_HDRLEN ||
	       !has_handler(cmd, dump);
}

static unsigned int rnd(unsigned int n)
{
	return n ? (unsigned int)random() % n : 0;
}

static struct sock *sock_open(void)
{
	struct sock *s = calloc(1, sizeof(*s));
	struct timeval tv = { .tv_sec = 10 };
	int one = 1;

	if (!s)
		return NULL;
	s->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!s->nl || mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		free(s);
		return NULL;
	}
	mnl_socket_setsockopt(s->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Every request is answered: a silent kernel is a failure, not a hang. */
	setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = time(NULL);
	return s;
}

static void sock_close(struct sock *s)
{
	mnl_socket_close(s->nl);
	free(s);
}

static struct nlmsghdr *put_header(char *buf, u16 type, u8 cmd,
				   u16 flags, unsigned int seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *gh;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	gh = mnl_nlmsg_put_extra_header(nlh, sizeof(*gh));
	gh->cmd = cmd;
	gh->version = FLOWOS_FAMILY_VERSION;
	return nlh;
}

/* What the last request's error said. */
struct result {
	int error;		/* 0, or a negative errno */
	bool extack;		/* an extended-ack message came with it */
	void (*on_msg)(const struct nlmsghdr *nlh, void *data);
	void *data;
};

static int on_data(const struct nlmsghdr *nlh, void *data)
{
	struct result *r = data;

	if (r->on_msg)
		r->on_msg(nlh, r->data);
	return MNL_CB_OK;
}

static int on_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct result *r = data;
	const struct nlattr *attr;

	r->error = err->error;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		mnl_attr_for_each(attr, nlh, sizeof(*err))
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
				r->extack = true;
	return err->error ? MNL_CB_ERROR : MNL_CB_STOP;
}

static int on_stop(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_STOP;
}

static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = on_error,
	[NLMSG_DONE] = on_stop,
};

/* Send @nlh; with @abandon, read one batch of replies and stop there. */
static int transact(struct sock *s, struct nlmsghdr *nlh, struct result *r,
		    bool abandon)
{
	int n;

	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(s->nl, s->buf, sizeof(s->buf));
		if (n < 0)
			return -errno;
		n = mnl_cb_run2(s->buf, n, nlh->nlmsg_seq, s->portid, on_data, r,
				ctl_cbs, NLMSG_MIN_TYPE);
	} while (n > 0 && !abandon);
	return 0;
}

static int resolve_family(struct sock *s)
{
	char req[256];
	struct nlmsghdr *nlh = put_header(req, GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
					  0, ++s->seq);
	const struct nlattr *attr;
	int n;

	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, FLOWOS_FAMILY_NAME);
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	n = mnl_socket_recvfrom(s->nl, s->buf, sizeof(s->buf));
	if (n <= 0)
		return -1;
	nlh = (struct nlmsghdr *)s->buf;
	if (nlh->nlmsg_type == NLMSG_ERROR)
		return -1;
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID)
			family = mnl_attr_get_u16(attr);
	/* Drain the ACK. */
	mnl_socket_recvfrom(s->nl, s->buf, sizeof(s->buf));
	return family ? 0 : -1;
}

/* One random attribute, maybe nested, maybe plausible. */
static void put_random_attr(struct nlmsghdr *nlh, size_t room, int depth)
{
	u16 type = rnd(24);
	unsigned char junk[300];
	size_t len;
	unsigned int i;

	if (depth < 3 && rnd(4) == 0) {
		struct nlattr *nest = mnl_attr_nest_start(nlh, type);
		unsigned int n = rnd(4);

		if (rnd(3))
			nest->nla_type &= ~NLA_F_NESTED;
		for (i = 0; i < n; i++)
			put_random_attr(nlh, room / 2, depth + 1);
		mnl_attr_nest_end(nlh, nest);
		return;
	}
	switch (rnd(6)) {
	case 0:		/* a name from the pool */
		mnl_attr_put_strz(nlh, type, names[rnd(ARRAY_SIZE(names))]);
		return;
	case 1:		/* a string without its NUL */
		mnl_attr_put(nlh, type, 1 + rnd(40),
			     "flowflowflowflowflowflowflowflowflowflowflow");
		return;
	case 2:
		mnl_attr_put_u8(nlh, type, rnd(256));
		return;
	case 3:
		mnl_attr_put_u32(nlh, type, rnd(3) ? rnd(70000) : (u32)random());
		return;
	default:	/* junk of any length, zero included */
		len = rnd(sizeof(junk));
		if (len > room)
			len = room;
		for (i = 0; i < len; i++)
			junk[i] = random();
		mnl_attr_put(nlh, type, len, junk);
	}
}

/* A parameter pair that a PM type might accept, or might not. */
static void put_params(struct nlmsghdr *nlh)
{
	static const char *const keys[] = {
		"window", "report", "max_subflows", "x", "k", "last", "h",
	};
	static const char *const values[] = {
		"1s", "0", "16", "99999999999", "", "5ms", "0.5", "2.", "1.2345",
	};
	struct nlattr *params = mnl_attr_nest_start(nlh, FLOWOS_A_PM_PARAMS);
	unsigned int i, n = rnd(4);

	for (i = 0; i < n; i++) {
		struct nlattr *p = mnl_attr_nest_start(nlh, FLOWOS_A_PM_PARAM);

		mnl_attr_put_strz(nlh, FLOWOS_A_PARAM_KEY, keys[rnd(ARRAY_SIZE(keys))]);
		if (rnd(5))
			mnl_attr_put_strz(nlh, FLOWOS_A_PARAM_VALUE,
					  values[rnd(ARRAY_SIZE(values))]);
		mnl_attr_nest_end(nlh, p);
	}
	mnl_attr_nest_end(nlh, params);
}

static void build_request(struct nlmsghdr *nlh, unsigned int cmd)
{
	unsigned int i, n = rnd(8);

	if (((cmd >= FLOWOS_CMD_PM_ATTACH && cmd <= FLOWOS_CMD_STATS_GET) ||
	     cmd == FLOWOS_CMD_PM_SET) && rnd(2)) {
		/* Mostly well-formed PM requests: reach the deep paths. */
		mnl_attr_put_strz(nlh, FLOWOS_A_PM_FLOW, names[rnd(3)]);
		mnl_attr_put_strz(nlh, rnd(2) ? FLOWOS_A_PM_TYPE : FLOWOS_A_PM_NAME,
				  names[2 + rnd(4)]);
		if (rnd(2))
			mnl_attr_put_u8(nlh, FLOWOS_A_PM_ORDER, rnd(10));
		if (!rnd(4))	/* 0 and 65 are out of range */
			mnl_attr_put_u8(nlh, FLOWOS_A_PM_WORKERS,
					rnd(2) ? rnd(4) : 65);
		if (rnd(2))
			put_params(nlh);
	} else if (cmd == FLOWOS_CMD_FLOW_NEW && rnd(2)) {
		mnl_attr_put_strz(nlh, FLOWOS_A_FLOW_NAME, names[rnd(5)]);
		mnl_attr_put_u8(nlh, FLOWOS_A_FLOW_PROTO, 17);
	}
	for (i = 0; i < n; i++)
		put_random_attr(nlh, 2048, 0);
}

/* The state a rejected request must leave alone, as text. */
struct snapshot {
	char text[1 << 16];
	size_t len;
};

static void snap_msg(const struct nlmsghdr *nlh, void *data)
{
	struct snapshot *snap = data;
	const struct genlmsghdr *gh = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t n;

	/* Everything but counters, which traffic and ticks move. */
	mnl_attr_for_each(attr, nlh, sizeof(*gh)) {
		int type = mnl_attr_get_type(attr);

		if ((gh->cmd == FLOWOS_CMD_FLOW_GET && type == FLOWOS_A_FLOW_STATS) ||
		    (gh->cmd == FLOWOS_CMD_STATS_GET &&
		     (type == FLOWOS_A_PM_STATS || type == FLOWOS_A_PM_RESULTS)))
			continue;
		n = mnl_attr_get_len(attr);
		if (snap->len + n + 2 > sizeof(snap->text))
			return;
		snap->text[snap->len++] = gh->cmd;
		memcpy(snap->text + snap->len, attr, n);
		snap->len += n;
	}
}

static int snapshot(struct sock *s, struct snapshot *snap, bool abandon)
{
	static const u8 cmds[] = { FLOWOS_CMD_FLOW_GET, FLOWOS_CMD_STATS_GET };
	char req[256];
	unsigned int i;

	snap->len = 0;
	for (i = 0; i < 2; i++) {
		struct result r = { .on_msg = snap_msg, .data = snap };
		struct nlmsghdr *nlh = put_header(req, family, cmds[i], NLM_F_DUMP,
						  ++s->seq);

		if (transact(s, nlh, &r, abandon) || r.error)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct snapshot before, after;
	static char req[8192];
	struct sock *s, *ds;
	unsigned long count, i;

	if (argc != 3) {
		fprintf(stderr, "usage: nl_fuzz SEED COUNT\n");
		return 2;
	}
	srandom(strtoul(argv[1], NULL, 0));
	count = strtoul(argv[2], NULL, 0);
	s = sock_open();
	if (!s || resolve_family(s) || snapshot(s, &before, false)) {
		fprintf(stderr, "nl_fuzz: no flowos family to talk to\n");
		return 1;
	}
	for (i = 0; i < count; i++) {
		unsigned int cmd = rnd(FLOWOS_CMD_MAX + 3);
		struct nlmsghdr *nlh = put_header(req, family, cmd,
						  rnd(4) ? 0 : NLM_F_DUMP, ++s->seq);
		struct result r = {};

		build_request(nlh, cmd);
		if (rnd(10) == 0)	/* truncate: cut into the last attribute */
			nlh->nlmsg_len -= rnd(nlh->nlmsg_len - MNL_NLMSG_HDRLEN);
		tried++;
		if (transact(s, nlh, &r, false)) {
			fprintf(stderr, "nl_fuzz: request %lu (cmd %u) got no answer\n", i, cmd);
			return 1;
		}
		if (r.error && core_refuses(nlh, cmd)) {
			rejected++;
			by_core++;
		} else if (r.error) {
			rejected++;
			with_extack += r.extack;
			if (!r.extack) {
				violations++;
				silent[-r.error < 256 ? -r.error : 255]++;
				fprintf(stderr, "nl_fuzz: request %lu (cmd %u) ",
					i, cmd);
				fprintf(stderr, "refused (%s) without a message\n",
					strerror(-r.error));
			}
		} else {
			accepted++;
		}
		/* Half of a dump, on a socket closed right after. */
		ds = i % 10 ? NULL : sock_open();
		if (ds) {
			snapshot(ds, &after, true);
			sock_close(ds);
		}
		if (snapshot(s, &after, false)) {
			fprintf(stderr, "nl_fuzz: the family stopped answering\n");
			return 1;
		}
		if (r.error && (after.len != before.len ||
				memcmp(after.text, before.text, after.len))) {
			violations++;
			fprintf(stderr, "nl_fuzz: request %lu (cmd %u) refused (%s) ",
				i, cmd, strerror(-r.error));
			fprintf(stderr, "but changed the state\n");
		}
		before = after;
	}
	printf("nl_fuzz: %lu messages tried, %lu accepted, %lu rejected ",
	       tried, accepted, rejected);
	printf("(%lu by the genetlink core, %lu by flowos with a message), ",
	       by_core, with_extack);
	printf("%lu violations\n", violations);
	for (i = 0; i < 256; i++)
		if (silent[i])
			printf("nl_fuzz: flowos rejected %lu with %s and no message\n",
			       silent[i], strerror(i));
	sock_close(s);
	return violations ? 1 : 0;
}
