// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the classifier (kmod/classify.c), built natively under
 * AddressSanitizer and UBSan.  The truth is a brute-force model written
 * from the uapi's words, not from the classifier: a packet belongs to the
 * flow of highest priority, then lowest id, among those whose every given
 * field matches.  Random flows (prefixes, port ranges, families,
 * directions, priorities) and random packets drawn near them are
 * classified both ways; every packet must agree.
 */
#include <stdlib.h>

#include "flowos_user.h"
#include "kselftest_harness.h"
#include "test_rand.h"

#define MAX_FLOWS 300

/* Addresses come from a small pool, so that prefixes overlap often. */
static void rnd_addr(u8 family, __be32 *addr)
{
	unsigned int i, words = family == AF_INET6 ? 4 : 1;

	memset(addr, 0, 16);
	for (i = 0; i < words; i++)
		addr[i] = htonl(0x0a000000 | rnd_below(4) << 8 | rnd_below(4));
}

static void set(struct flowos_match *m, int attr)
{
	m->present |= BIT(attr);
}

static void rnd_ports(u16 *lo, u16 *hi)
{
	*lo = rnd_below(3) ? rnd_below(1100) : rnd_below(65536);
	*hi = rnd_below(2) ? *lo : *lo + rnd_below(65536 - *lo);
}

/* The protocols with ports (uapi: "tcp, udp or sctp"). */
static const u8 port_protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };

static void rnd_match(struct flowos_match *m)
{
	memset(m, 0, sizeof(*m));
	if (rnd_below(4)) {
		m->family = rnd_below(2) ? AF_INET6 : AF_INET;
		set(m, FLOWOS_A_FLOW_FAMILY);
	}
	if (rnd_below(2)) {
		m->proto = port_protos[rnd_below(3)];
		set(m, FLOWOS_A_FLOW_PROTO);
		if (rnd_below(2)) {
			rnd_ports(&m->dport_min, &m->dport_max);
			set(m, FLOWOS_A_FLOW_DPORT_MIN);
		}
		if (!rnd_below(3)) {
			rnd_ports(&m->sport_min, &m->sport_max);
			set(m, FLOWOS_A_FLOW_SPORT_MIN);
		}
	}
	if (m->family && rnd_below(2)) {
		rnd_addr(m->family, m->src);
		m->src_len = rnd_below(m->family == AF_INET6 ? 129 : 33);
		set(m, FLOWOS_A_FLOW_SRC);
	}
	if (m->family && rnd_below(2)) {
		rnd_addr(m->family, m->dst);
		m->dst_len = rnd_below(m->family == AF_INET6 ? 129 : 33);
		set(m, FLOWOS_A_FLOW_DST);
	}
	if (!rnd_below(4)) {
		m->ifindex = 1 + rnd_below(3);
		set(m, FLOWOS_A_FLOW_IFINDEX);
	}
	m->dir = FLOWOS_DIR_IN + rnd_below(3);
}

/* A packet: often one a flow would match, sometimes nothing like it. */
static void rnd_key(struct flowos_key *k)
{
	static const u8 protos[] = {
		IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP,
	};

	memset(k, 0, sizeof(*k));
	k->family = rnd_below(2) ? AF_INET6 : AF_INET;
	k->proto = protos[rnd_below(ARRAY_SIZE(protos))];
	rnd_addr(k->family, k->src);
	rnd_addr(k->family, k->dst);
	if (k->proto != IPPROTO_ICMP) {
		k->sport = htons(rnd_below(3) ? rnd_below(1100) : rnd_below(65536));
		k->dport = htons(rnd_below(3) ? rnd_below(1100) : rnd_below(65536));
	}
	k->ifindex = 1 + rnd_below(3);
	k->dir = rnd_below(2) ? FLOWOS_DIR_IN : FLOWOS_DIR_OUT;
}

static bool prefix_match(const __be32 *a, const __be32 *b, unsigned int len)
{
	const u8 *x = (const u8 *)a, *y = (const u8 *)b;
	unsigned int i;

	for (i = 0; i < len; i++)
		if ((x[i / 8] ^ y[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

#define HAS(m, attr) ((m)->present & BIT(attr))

/* The model: each given field, as uapi/linux/flowos.h defines it. */
static bool model_matches(const struct flowos_match *m,
			  const struct flowos_key *k)
{
	u16 sport = ntohs(k->sport), dport = ntohs(k->dport);

	return (!HAS(m, FLOWOS_A_FLOW_FAMILY) || m->family == k->family) &&
	       (!HAS(m, FLOWOS_A_FLOW_PROTO) || m->proto == k->proto) &&
	       (!HAS(m, FLOWOS_A_FLOW_SRC) || prefix_match(m->src, k->src, m->src_len)) &&
	       (!HAS(m, FLOWOS_A_FLOW_DST) || prefix_match(m->dst, k->dst, m->dst_len)) &&
	       (!HAS(m, FLOWOS_A_FLOW_SPORT_MIN) ||
		(sport >= m->sport_min && sport <= m->sport_max)) &&
	       (!HAS(m, FLOWOS_A_FLOW_DPORT_MIN) ||
		(dport >= m->dport_min && dport <= m->dport_max)) &&
	       (!HAS(m, FLOWOS_A_FLOW_IFINDEX) || m->ifindex == k->ifindex) &&
	       (m->dir == FLOWOS_DIR_BOTH || m->dir == k->dir);
}

static struct flowos_flow *model_classify(struct flowos_flow *flows,
					  unsigned int n,
					  const struct flowos_key *k)
{
	struct flowos_flow *best = NULL;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (model_matches(&flows[i].match, k) &&
		    (!best || flows[i].priority > best->priority ||
		     (flows[i].priority == best->priority && flows[i].id < best->id)))
			best = &flows[i];
	return best;
}

FIXTURE(cls) {
	struct flowos_flow flows[MAX_FLOWS];
	struct list_head list;
	struct netlink_ext_ack extack;
};

FIXTURE_SETUP(cls)
{
	INIT_LIST_HEAD(&self->list);
	self->extack._msg = NULL;
}

FIXTURE_TEARDOWN(cls)
{
}

/* @n random flows with ids 1..n, priorities from a few values. */
static void add_random_flows(struct flowos_flow *flows, struct list_head *list,
			     unsigned int n)
{
	unsigned int i;

	INIT_LIST_HEAD(list);
	for (i = 0; i < n; i++) {
		flows[i].id = i + 1;
		flows[i].priority = rnd_below(4);
		rnd_match(&flows[i].match);
		list_add_tail(&flows[i].node, list);
	}
}

/* Classify @packets random keys both ways; return how many disagree. */
static unsigned int disagreements(struct flowos_flow *flows,
				  struct list_head *list, unsigned int n,
				  unsigned int packets, unsigned int *matched)
{
	struct netlink_ext_ack extack = {};
	struct flowos_classifier *c;
	unsigned int i, bad = 0;
	struct flowos_key k;

	c = flowos_classifier_build(list, &extack);
	if (IS_ERR(c) || !c)
		return packets;
	*matched = 0;
	for (i = 0; i < packets; i++) {
		struct flowos_flow *want, *got;

		rnd_key(&k);
		want = model_classify(flows, n, &k);
		got = flowos_classify(c, &k);
		/* The hook skips a packet whose direction no flow takes. */
		if (!flowos_classify_sees(c, k.dir))
			got = NULL;
		*matched += !!want;
		if (got != want && bad++ < 5)
			ksft_print_msg("packet %u: flow %u, model says %u\n", i,
				       got ? got->id : 0, want ? want->id : 0);
	}
	flowos_classifier_free_rcu(c);
	return bad;
}

TEST_F(cls, agrees_with_model_few_flows)
{
	unsigned int seed, matched;

	for (seed = 1; seed <= 20; seed++) {
		rnd_state = seed;
		add_random_flows(self->flows, &self->list, 8);
		ASSERT_EQ(0, disagreements(self->flows, &self->list, 8, 5000,
					   &matched));
		/* The packets do exercise matches, not only misses. */
		ASSERT_LT(0, matched);
	}
}

TEST_F(cls, agrees_with_model_many_flows)
{
	unsigned int matched;

	rnd_state = 4242;
	add_random_flows(self->flows, &self->list, MAX_FLOWS);
	ASSERT_EQ(0, disagreements(self->flows, &self->list, MAX_FLOWS, 50000,
				   &matched));
	ASSERT_LT(1000, matched);
}

/* Whether some flow takes a direction, against the flows themselves. */
static bool model_sees(const struct flowos_flow *flows, unsigned int n, u8 dir)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (flows[i].match.dir == dir ||
		    flows[i].match.dir == FLOWOS_DIR_BOTH)
			return true;
	return false;
}

TEST_F(cls, sees_the_directions_of_its_flows)
{
	unsigned int seed, n, in = 0, out = 0;
	struct flowos_classifier *c;

	for (seed = 1; seed <= 200; seed++) {
		rnd_state = seed;
		n = 1 + rnd_below(3);
		add_random_flows(self->flows, &self->list, n);
		c = flowos_classifier_build(&self->list, &self->extack);
		ASSERT_FALSE(IS_ERR(c) || !c);
		EXPECT_EQ(model_sees(self->flows, n, FLOWOS_DIR_IN),
			  flowos_classify_sees(c, FLOWOS_DIR_IN));
		EXPECT_EQ(model_sees(self->flows, n, FLOWOS_DIR_OUT),
			  flowos_classify_sees(c, FLOWOS_DIR_OUT));
		in += !flowos_classify_sees(c, FLOWOS_DIR_IN);
		out += !flowos_classify_sees(c, FLOWOS_DIR_OUT);
		flowos_classifier_free_rcu(c);
	}
	/* Sets of flows blind to one direction did occur. */
	EXPECT_LT(0, in);
	EXPECT_LT(0, out);
	EXPECT_FALSE(flowos_classify_sees(NULL, FLOWOS_DIR_IN));
}

TEST_F(cls, empty_and_null)
{
	struct flowos_key k = {};

	EXPECT_EQ(NULL, flowos_classifier_build(&self->list, &self->extack));
	EXPECT_EQ(NULL, flowos_classify(NULL, &k));
}

/* Equal priority: the older flow (lower id) wins, whatever the order. */
TEST_F(cls, tie_goes_to_the_older_flow)
{
	struct flowos_classifier *c;
	struct flowos_key k = {};

	self->flows[0].id = 7;
	self->flows[1].id = 3;
	self->flows[0].match.dir = FLOWOS_DIR_BOTH;
	self->flows[1].match.dir = FLOWOS_DIR_BOTH;
	list_add_tail(&self->flows[0].node, &self->list);
	list_add_tail(&self->flows[1].node, &self->list);
	c = flowos_classifier_build(&self->list, &self->extack);
	ASSERT_FALSE(IS_ERR(c));
	k.dir = FLOWOS_DIR_IN;
	EXPECT_EQ(&self->flows[1], flowos_classify(c, &k));
	flowos_classifier_free_rcu(c);
}

/*
 * SCTP ports are matched like TCP's and UDP's, and the same port of
 * another protocol is not the flow's.
 */
TEST_F(cls, sctp_ports)
{
	static const u8 protos[] = { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP };
	struct flowos_classifier *c;
	struct flowos_key k = {};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(protos); i++) {
		struct flowos_match *m = &self->flows[i].match;

		self->flows[i].id = i + 1;
		m->proto = protos[i];
		m->dport_min = 9899;
		m->dport_max = 9899;
		m->sport_min = 30000;
		m->sport_max = 40000;
		m->present = BIT(FLOWOS_A_FLOW_PROTO) |
			     BIT(FLOWOS_A_FLOW_SPORT_MIN) |
			     BIT(FLOWOS_A_FLOW_DPORT_MIN);
		m->dir = FLOWOS_DIR_IN;
		list_add_tail(&self->flows[i].node, &self->list);
	}
	c = flowos_classifier_build(&self->list, &self->extack);
	ASSERT_FALSE(IS_ERR(c) || !c);

	k.family = AF_INET;
	k.dir = FLOWOS_DIR_IN;
	k.dport = htons(9899);
	for (i = 0; i < ARRAY_SIZE(protos); i++) {
		k.proto = protos[i];
		k.sport = htons(36412);
		EXPECT_EQ(&self->flows[i], flowos_classify(c, &k));
		k.sport = htons(40001);
		EXPECT_EQ(NULL, flowos_classify(c, &k));
	}
	k.proto = IPPROTO_SCTP;
	k.sport = htons(30000);
	k.dport = htons(9898);
	EXPECT_EQ(NULL, flowos_classify(c, &k));
	k.proto = IPPROTO_DCCP;		/* ports in the key, no flow of its own */
	k.dport = htons(9899);
	EXPECT_EQ(NULL, flowos_classify(c, &k));
	flowos_classifier_free_rcu(c);
}

/* Port ranges expand into prefixes; too many entries are refused. */
TEST_F(cls, too_many_entries_refused)
{
	struct flowos_classifier *c;
	unsigned int i;

	for (i = 0; i < 100; i++) {
		struct flowos_match *m = &self->flows[i].match;

		self->flows[i].id = i + 1;
		m->proto = IPPROTO_TCP;
		m->sport_min = 1;
		m->sport_max = 65534;		/* 30 prefixes */
		m->dport_min = 1;
		m->dport_max = 65534;
		m->present = BIT(FLOWOS_A_FLOW_PROTO) |
			     BIT(FLOWOS_A_FLOW_SPORT_MIN) |
			     BIT(FLOWOS_A_FLOW_DPORT_MIN);
		m->dir = FLOWOS_DIR_IN;
		list_add_tail(&self->flows[i].node, &self->list);
	}
	c = flowos_classifier_build(&self->list, &self->extack);
	ASSERT_TRUE(IS_ERR(c));
	EXPECT_EQ(-ENOSPC, PTR_ERR(c));
	ASSERT_NE(NULL, self->extack._msg);
	EXPECT_NE(NULL, strstr(self->extack._msg, "too many classifier entries"));
}

TEST_HARNESS_MAIN
