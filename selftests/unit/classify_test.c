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

/* A few ICMP types and codes, and TOS bytes, so that flows hit often. */
static u8 rnd_icmp(void)
{
	static const u8 values[] = { 0, 3, 8, 11, 128, 129 };

	return values[rnd_below(ARRAY_SIZE(values))];
}

static u8 rnd_tos(void)
{
	/* CS0, AF11, EF, CS6, with any ECN bits */
	static const u8 dscps[] = { 0, 10, 46, 48 };

	return dscps[rnd_below(ARRAY_SIZE(dscps))] << 2 | rnd_below(4);
}

/* Device names, often one another's prefix. */
static const char *const dev_names[] = { "eth0", "eth1", "eth10", "veth0", "lo" };
static const char *const name_patterns[] = {
	"eth0", "eth1", "eth10", "veth0", "lo", "eth*", "e*", "veth*", "eth1*",
};

/* @name, NUL-terminated, into a name buffer of IFNAMSIZ bytes. */
static void set_name(char *buf, const char *name)
{
	snprintf(buf, IFNAMSIZ, "%s", name);
}

/*
 * A device's name buffer as the key holds it: the name, its NUL, and
 * bytes after it from an older, longer name (the kernel's rename does
 * not clear them); all 0 for no device.
 */
static void rnd_key_name(char *buf)
{
	unsigned int i;

	for (i = 0; i < IFNAMSIZ; i++)
		buf[i] = 'a' + rnd_below(26);
	if (!rnd_below(5)) {
		memset(buf, 0, IFNAMSIZ);
		return;
	}
	set_name(buf, dev_names[rnd_below(ARRAY_SIZE(dev_names))]);
}

static void rnd_dev_match(struct flowos_match *m)
{
	if (!rnd_below(5)) {
		set_name(m->iifname, name_patterns[rnd_below(ARRAY_SIZE(name_patterns))]);
		set(m, FLOWOS_A_FLOW_IIFNAME);
	}
	if (!rnd_below(5)) {
		set_name(m->oifname, name_patterns[rnd_below(ARRAY_SIZE(name_patterns))]);
		set(m, FLOWOS_A_FLOW_OIFNAME);
	}
	if (!rnd_below(5)) {
		m->vlan = rnd_below(2) ? 100 : rnd_below(4096);
		set(m, FLOWOS_A_FLOW_VLAN);
	}
}

static void rnd_icmp_match(struct flowos_match *m)
{
	m->proto = rnd_below(2) ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	set(m, FLOWOS_A_FLOW_PROTO);
	if (rnd_below(2)) {
		m->icmp_type = rnd_icmp();
		set(m, FLOWOS_A_FLOW_ICMP_TYPE);
	}
	if (!rnd_below(3)) {
		m->icmp_code = rnd_below(2) ? 0 : rnd_icmp();
		set(m, FLOWOS_A_FLOW_ICMP_CODE);
	}
}

static void rnd_match(struct flowos_match *m)
{
	memset(m, 0, sizeof(*m));
	if (rnd_below(4)) {
		m->family = rnd_below(2) ? AF_INET6 : AF_INET;
		set(m, FLOWOS_A_FLOW_FAMILY);
	}
	if (!rnd_below(4)) {
		rnd_icmp_match(m);
	} else if (rnd_below(2)) {
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
	if (!rnd_below(4)) {
		m->dscp = rnd_tos() >> 2;
		set(m, FLOWOS_A_FLOW_DSCP);
	}
	if (!rnd_below(5)) {
		m->ecn = rnd_below(4);
		set(m, FLOWOS_A_FLOW_ECN);
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
	rnd_dev_match(m);
	m->dir = FLOWOS_DIR_IN + rnd_below(3);
}

/* A packet: often one a flow would match, sometimes nothing like it. */
static void rnd_key(struct flowos_key *k)
{
	static const u8 protos[] = {
		IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP,
		IPPROTO_ICMPV6, IPPROTO_GRE,
	};

	memset(k, 0, sizeof(*k));
	k->family = rnd_below(2) ? AF_INET6 : AF_INET;
	k->proto = protos[rnd_below(ARRAY_SIZE(protos))];
	rnd_addr(k->family, k->src);
	rnd_addr(k->family, k->dst);
	k->dir = rnd_below(2) ? FLOWOS_DIR_IN : FLOWOS_DIR_OUT;
	k->tos = rnd_tos();
	k->ifindex = 1 + rnd_below(3);
	rnd_key_name(k->iifname);
	rnd_key_name(k->oifname);
	if (rnd_below(2)) {
		k->vlan = FLOWOS_KEY_VLAN_TAGGED | (rnd_below(2) ? 100 : rnd_below(4096));
		k->vlan_parent = 1 + rnd_below(3);
	}
	/* A fragment: its transport fields read as 0 (uapi). */
	if (!rnd_below(8))
		return;
	switch (k->proto) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* The parser puts the ICMP type and code where ports go. */
		k->sport = htons(rnd_icmp());
		k->dport = htons(rnd_below(2) ? 0 : rnd_icmp());
		break;
	case IPPROTO_GRE:
		break;
	default:
		k->sport = htons(rnd_below(3) ? rnd_below(1100) : rnd_below(65536));
		k->dport = htons(rnd_below(3) ? rnd_below(1100) : rnd_below(65536));
	}
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

/* A device's name (a C string) against a flow's: equal, or "PREFIX*". */
static bool name_matches(const char *pattern, const char *name)
{
	size_t len = strlen(pattern);

	if (pattern[len - 1] == '*')
		return !strncmp(pattern, name, len - 1);
	return !strcmp(pattern, name);
}

/* The device words: the VLAN's id, and its parent when a device is given. */
static bool model_devs_match(const struct flowos_match *m,
			     const struct flowos_key *k)
{
	bool tagged = k->vlan & FLOWOS_KEY_VLAN_TAGGED;

	if (HAS(m, FLOWOS_A_FLOW_VLAN) &&
	    (!tagged || (k->vlan & 0xfff) != m->vlan ||
	     (HAS(m, FLOWOS_A_FLOW_IFINDEX) && k->vlan_parent != m->ifindex)))
		return false;
	if (HAS(m, FLOWOS_A_FLOW_IFINDEX) && !HAS(m, FLOWOS_A_FLOW_VLAN) &&
	    m->ifindex != k->ifindex)
		return false;
	return (!HAS(m, FLOWOS_A_FLOW_IIFNAME) || name_matches(m->iifname, k->iifname)) &&
	       (!HAS(m, FLOWOS_A_FLOW_OIFNAME) || name_matches(m->oifname, k->oifname));
}

/*
 * The model: each given field, as uapi/linux/flowos.h defines it.  The
 * key carries an ICMP packet's type and code where ports go (the
 * parser's convention, kmod/classify.h); DSCP is the upper six bits of
 * the TOS byte, ECN the lower two.
 */
static bool model_matches(const struct flowos_match *m,
			  const struct flowos_key *k)
{
	u16 sport = ntohs(k->sport), dport = ntohs(k->dport);

	return (!HAS(m, FLOWOS_A_FLOW_ICMP_TYPE) || m->icmp_type == sport) &&
	       (!HAS(m, FLOWOS_A_FLOW_ICMP_CODE) || m->icmp_code == dport) &&
	       (!HAS(m, FLOWOS_A_FLOW_DSCP) || m->dscp == k->tos >> 2) &&
	       (!HAS(m, FLOWOS_A_FLOW_ECN) || m->ecn == (k->tos & 3)) &&
	       (!HAS(m, FLOWOS_A_FLOW_FAMILY) || m->family == k->family) &&
	       (!HAS(m, FLOWOS_A_FLOW_PROTO) || m->proto == k->proto) &&
	       (!HAS(m, FLOWOS_A_FLOW_SRC) || prefix_match(m->src, k->src, m->src_len)) &&
	       (!HAS(m, FLOWOS_A_FLOW_DST) || prefix_match(m->dst, k->dst, m->dst_len)) &&
	       (!HAS(m, FLOWOS_A_FLOW_SPORT_MIN) ||
		(sport >= m->sport_min && sport <= m->sport_max)) &&
	       (!HAS(m, FLOWOS_A_FLOW_DPORT_MIN) ||
		(dport >= m->dport_min && dport <= m->dport_max)) &&
	       model_devs_match(m, k) &&
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

/*
 * "proto icmp icmp-type echo-request" (8), "... echo-reply icmp-code 0",
 * "dscp ef" (46) with "ecn ce" (3): each takes exactly its packets.
 */
TEST_F(cls, icmp_type_code_dscp_ecn)
{
	struct flowos_match *echo = &self->flows[0].match;
	struct flowos_match *reply = &self->flows[1].match;
	struct flowos_match *ef_ce = &self->flows[2].match;
	struct flowos_classifier *c;
	struct flowos_key k = {};
	unsigned int i;

	echo->proto = IPPROTO_ICMP;
	echo->icmp_type = 8;
	echo->present = BIT(FLOWOS_A_FLOW_PROTO) | BIT(FLOWOS_A_FLOW_ICMP_TYPE);
	reply->proto = IPPROTO_ICMP;
	reply->icmp_type = 0;
	reply->icmp_code = 0;
	reply->present = BIT(FLOWOS_A_FLOW_PROTO) | BIT(FLOWOS_A_FLOW_ICMP_TYPE) |
			 BIT(FLOWOS_A_FLOW_ICMP_CODE);
	ef_ce->dscp = 46;
	ef_ce->ecn = 3;
	ef_ce->present = BIT(FLOWOS_A_FLOW_DSCP) | BIT(FLOWOS_A_FLOW_ECN);
	for (i = 0; i < 3; i++) {
		self->flows[i].id = i + 1;
		self->flows[i].match.dir = FLOWOS_DIR_IN;
		list_add_tail(&self->flows[i].node, &self->list);
	}
	c = flowos_classifier_build(&self->list, &self->extack);
	ASSERT_FALSE(IS_ERR(c) || !c);

	k.family = AF_INET;
	k.dir = FLOWOS_DIR_IN;
	k.proto = IPPROTO_ICMP;
	k.sport = htons(8);		/* echo request, code 0 */
	EXPECT_EQ(&self->flows[0], flowos_classify(c, &k));
	k.sport = htons(0);		/* echo reply */
	EXPECT_EQ(&self->flows[1], flowos_classify(c, &k));
	k.dport = htons(1);		/* type 0 code 1: neither */
	EXPECT_EQ(NULL, flowos_classify(c, &k));
	k.dport = 0;
	k.sport = htons(11);		/* time exceeded: none */
	EXPECT_EQ(NULL, flowos_classify(c, &k));
	k.tos = 46 << 2 | 3;		/* EF, CE */
	EXPECT_EQ(&self->flows[2], flowos_classify(c, &k));
	k.tos = 46 << 2 | 2;		/* EF, ECT(0) */
	EXPECT_EQ(NULL, flowos_classify(c, &k));
	k.tos = 47 << 2 | 3;		/* CE, not EF */
	EXPECT_EQ(NULL, flowos_classify(c, &k));
	k.proto = IPPROTO_UDP;		/* port 8 of UDP is no ICMP type */
	k.sport = htons(8);
	k.tos = 0;
	EXPECT_EQ(NULL, flowos_classify(c, &k));
	flowos_classifier_free_rcu(c);
}

/*
 * "iifname eth1" is not eth10's; "oifname veth*" takes veth0, not eth0;
 * "dev 2 vlan 100" takes VLAN 100 whose parent is device 2, whatever
 * device the packet is seen on (the VLAN device); "vlan 0" is a tag of
 * id 0, not its absence.
 */
TEST_F(cls, device_names_and_vlans)
{
	struct flowos_match *m[4];
	struct flowos_classifier *c;
	struct flowos_key k = {};
	unsigned int i;

	for (i = 0; i < 4; i++) {
		self->flows[i].id = i + 1;
		m[i] = &self->flows[i].match;
		m[i]->dir = FLOWOS_DIR_BOTH;
		list_add_tail(&self->flows[i].node, &self->list);
	}
	set_name(m[0]->iifname, "eth1");
	m[0]->present = BIT(FLOWOS_A_FLOW_IIFNAME);
	set_name(m[1]->oifname, "veth*");
	m[1]->present = BIT(FLOWOS_A_FLOW_OIFNAME);
	m[2]->ifindex = 2;
	m[2]->vlan = 100;
	m[2]->present = BIT(FLOWOS_A_FLOW_IFINDEX) | BIT(FLOWOS_A_FLOW_VLAN);
	m[3]->vlan = 0;
	m[3]->present = BIT(FLOWOS_A_FLOW_VLAN);
	c = flowos_classifier_build(&self->list, &self->extack);
	ASSERT_FALSE(IS_ERR(c) || !c);

	k.dir = FLOWOS_DIR_OUT;
	memcpy(k.iifname, "eth1\0ab", 8);	/* after the NUL: a longer old name's */
	EXPECT_EQ(&self->flows[0], flowos_classify(c, &k));
	memcpy(k.iifname, "eth10\0b", 8);
	EXPECT_EQ(NULL, flowos_classify(c, &k));
	set_name(k.oifname, "veth0");
	EXPECT_EQ(&self->flows[1], flowos_classify(c, &k));
	set_name(k.oifname, "eth0");
	EXPECT_EQ(NULL, flowos_classify(c, &k));

	k.ifindex = 7;			/* seen on the VLAN device */
	k.vlan = FLOWOS_KEY_VLAN_TAGGED | 100;
	k.vlan_parent = 2;
	EXPECT_EQ(&self->flows[2], flowos_classify(c, &k));
	k.vlan_parent = 3;
	EXPECT_EQ(NULL, flowos_classify(c, &k));
	k.ifindex = 2;			/* device 2, but not through VLAN 100 */
	k.vlan = 0;
	EXPECT_EQ(NULL, flowos_classify(c, &k));
	k.vlan = FLOWOS_KEY_VLAN_TAGGED;	/* a tag of id 0 */
	EXPECT_EQ(&self->flows[3], flowos_classify(c, &k));
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
