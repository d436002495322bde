// SPDX-License-Identifier: GPL-2.0
/*
 * Flow classification by tuple-space search, as the Open vSwitch
 * datapath does it: flows are grouped by the shape of what they match (a
 * mask over struct flowos_key), each group is a hash table of masked
 * keys, and a lookup costs one hash probe per group, not a walk over
 * every flow.  Port ranges, which are not masks, are split into the few
 * prefixes that cover them.
 *
 * Priorities: each entry has a rank (priority, then the older flow); the
 * groups are sorted by their best rank, so a lookup stops as soon as no
 * later group can beat what it found.
 *
 * A group hashes and compares only the words of the key that its mask
 * touches (Open vSwitch's miniflows do the same): "proto udp dport 80"
 * reads two words of eleven, which is most of the lookup's cost saved.
 *
 * The classifier is immutable: every change of a namespace's flows
 * builds a new one under flowos_mutex and publishes it with RCU.  Flows
 * change rarely; packets must never wait for them.
 */
#ifdef __KERNEL__
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/log2.h>
#include <linux/sort.h>
#include <linux/netlink.h>

#include "flowos.h"
#else
#include "flowos_user.h"
#endif
#include "classify.h"

/* Entries one flow may expand to, and all flows of a namespace. */
#define MAX_PORT_PREFIXES	32
#define MAX_ENTRIES		65536

struct cls_entry {
	u32 key[FLOWOS_KEY_WORDS];	/* the group's words, masked */
	struct flowos_flow *flow;
	u64 rank;
	struct cls_entry *next;		/* hash chain */
};

struct cls_group {
	struct flowos_key mask;
	u64 best_rank;
	u32 nentries;
	u32 hash_mask;			/* buckets - 1 */
	u32 nwords;			/* words of the key the mask touches */
	u8 word[FLOWOS_KEY_WORDS];	/* their indices in struct flowos_key */
	u32 word_mask[FLOWOS_KEY_WORDS];	/* and their masks */
	struct cls_entry **buckets;
	struct cls_entry *entries;
};

struct flowos_classifier {
	struct rcu_head rcu;
	u32 seed;
	u32 dirs;	/* BIT(FLOWOS_DIR_IN), _OUT: what some flow matches */
	bool devs;	/* some flow matches a device name or a VLAN */
	u32 ngroups;
	struct cls_group groups[];
};

/* A prefix of a 16-bit port: value and mask, host order. */
struct port_prefix {
	u16 value;
	u16 mask;
};

/* Higher priority first, then the older (lower id) flow. */
static u64 flow_rank(const struct flowos_flow *flow)
{
	return (u64)flow->priority << 32 | (U32_MAX - flow->id);
}

/* The directions @flow takes packets from, as BIT(FLOWOS_DIR_*). */
static u32 flow_dirs(const struct flowos_flow *flow)
{
	if (flow->match.dir == FLOWOS_DIR_BOTH)
		return BIT(FLOWOS_DIR_IN) | BIT(FLOWOS_DIR_OUT);
	return BIT(flow->match.dir);
}

/* Whether @flow reads the key's words that only some flows need. */
static bool flow_matches_devs(const struct flowos_flow *flow)
{
	const struct flowos_match *m = &flow->match;

	return FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_VLAN) ||
	       FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_IIFNAME) ||
	       FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_OIFNAME);
}

/* Split [lo, hi] into the aligned power-of-two blocks that cover it. */
static unsigned int port_range_prefixes(u16 lo, u16 hi,
					struct port_prefix *out)
{
	u32 start = lo, end = (u32)hi + 1;
	unsigned int n = 0;

	while (start < end) {
		u32 size = start ? 1U << __ffs(start) : 1U << 16;

		while (start + size > end)
			size >>= 1;
		out[n].value = start;
		out[n].mask = ~(size - 1);
		n++;
		start += size;
	}
	return n;
}

/*
 * The prefixes of a flow's source (or destination) port: its range's, or
 * the ICMP type's (code's), which the parser puts in their place.
 */
static unsigned int match_port_prefixes(const struct flowos_match *m,
					bool dest, struct port_prefix *out)
{
	u32 attr = dest ? FLOWOS_A_FLOW_DPORT_MIN : FLOWOS_A_FLOW_SPORT_MIN;
	u32 icmp = dest ? FLOWOS_A_FLOW_ICMP_CODE : FLOWOS_A_FLOW_ICMP_TYPE;

	if (FLOWOS_MATCH_HAS(m, icmp)) {
		out[0].value = dest ? m->icmp_code : m->icmp_type;
		out[0].mask = 0xffff;
		return 1;
	}
	if (!FLOWOS_MATCH_HAS(m, attr)) {
		out[0].value = 0;
		out[0].mask = 0;
		return 1;
	}
	return dest ? port_range_prefixes(m->dport_min, m->dport_max, out) :
		      port_range_prefixes(m->sport_min, m->sport_max, out);
}

static void prefix_mask(__be32 *mask, unsigned int words, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < words; i++, len -= min(len, 32U))
		mask[i] = len >= 32 ? htonl(~0U) :
			  len ? htonl(~0U << (32 - len)) : 0;
}

/*
 * A device name: its bytes and the NUL after them, so that the bytes a
 * device's name buffer holds after its NUL do not matter; or, for
 * "NAME*", the bytes before the '*' only.
 */
static void name_to_key(const char *name, char *key, char *mask)
{
	size_t len = strnlen(name, IFNAMSIZ - 1);

	if (len && name[len - 1] == '*')
		len--;
	else
		len++;			/* the NUL too */
	memcpy(key, name, len);
	memset(mask, 0xff, len);
}

/* The mask and masked key of a flow, ports aside. */
static void match_to_key(const struct flowos_match *m, struct flowos_key *key,
			 struct flowos_key *mask)
{
	unsigned int words = m->family == AF_INET6 ? 4 : 1;

	memset(key, 0, sizeof(*key));
	memset(mask, 0, sizeof(*mask));
	if (FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_FAMILY)) {
		key->family = m->family;
		mask->family = 0xff;
	}
	if (FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_PROTO)) {
		key->proto = m->proto;
		mask->proto = 0xff;
	}
	if (FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_VLAN)) {
		key->vlan = FLOWOS_KEY_VLAN_TAGGED | m->vlan;
		mask->vlan = 0xffff;
	}
	/* With a VLAN, the device given is the VLAN's parent. */
	if (FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_IFINDEX) &&
	    FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_VLAN)) {
		key->vlan_parent = m->ifindex;
		mask->vlan_parent = ~0U;
	} else if (FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_IFINDEX)) {
		key->ifindex = m->ifindex;
		mask->ifindex = ~0U;
	}
	if (FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_IIFNAME))
		name_to_key(m->iifname, key->iifname, mask->iifname);
	if (FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_OIFNAME))
		name_to_key(m->oifname, key->oifname, mask->oifname);
	if (m->dir != FLOWOS_DIR_BOTH) {
		key->dir = m->dir;
		mask->dir = 0xff;
	}
	if (FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_DSCP)) {
		key->tos |= m->dscp << 2;
		mask->tos |= 0xfc;
	}
	if (FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_ECN)) {
		key->tos |= m->ecn;
		mask->tos |= 0x03;
	}
	if (FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_SRC))
		prefix_mask(mask->src, words, m->src_len);
	if (FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_DST))
		prefix_mask(mask->dst, words, m->dst_len);
	memcpy(key->src, m->src, sizeof(key->src));
	memcpy(key->dst, m->dst, sizeof(key->dst));
}

static void key_and(struct flowos_key *out, const struct flowos_key *key,
		    const struct flowos_key *mask)
{
	const u32 *k = (const u32 *)key, *m = (const u32 *)mask;
	u32 *o = (u32 *)out;
	unsigned int i;

	for (i = 0; i < FLOWOS_KEY_WORDS; i++)
		o[i] = k[i] & m[i];
}

/* The words of @key that @g's mask touches, masked, into @out. */
static void group_key(const struct cls_group *g, const struct flowos_key *key,
		      u32 *out)
{
	const u32 *k = (const u32 *)key;
	u32 i;

	for (i = 0; i < g->nwords; i++)
		out[i] = k[g->word[i]] & g->word_mask[i];
}

static bool words_equal(const u32 *a, const u32 *b, u32 n)
{
	u32 diff = 0, i;

	for (i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	return !diff;
}

/* Note which words of its mask @g must look at. */
static void group_set_words(struct cls_group *g)
{
	const u32 *m = (const u32 *)&g->mask;
	u32 i;

	g->nwords = 0;
	for (i = 0; i < FLOWOS_KEY_WORDS; i++) {
		if (!m[i])
			continue;
		g->word[g->nwords] = i;
		g->word_mask[g->nwords++] = m[i];
	}
}

/* The group of @mask among the first @n of @groups, or a new one. */
static struct cls_group *group_of(struct cls_group *groups, u32 *n,
				  const struct flowos_key *mask)
{
	u32 i;

	for (i = 0; i < *n; i++)
		if (!memcmp(&groups[i].mask, mask, sizeof(*mask)))
			return &groups[i];
	groups[*n].mask = *mask;
	group_set_words(&groups[*n]);
	return &groups[(*n)++];
}

/* Call @fn for every (mask, masked key) entry that @flow expands to. */
static void expand_flow(struct flowos_flow *flow,
			void (*fn)(void *arg, struct flowos_flow *flow,
				   const struct flowos_key *key,
				   const struct flowos_key *mask),
			void *arg)
{
	struct port_prefix sp[MAX_PORT_PREFIXES], dp[MAX_PORT_PREFIXES];
	unsigned int nsp, ndp, i, j;
	struct flowos_key key, mask, k;

	match_to_key(&flow->match, &key, &mask);
	nsp = match_port_prefixes(&flow->match, false, sp);
	ndp = match_port_prefixes(&flow->match, true, dp);
	for (i = 0; i < nsp; i++) {
		for (j = 0; j < ndp; j++) {
			mask.sport = htons(sp[i].mask);
			mask.dport = htons(dp[j].mask);
			key.sport = htons(sp[i].value);
			key.dport = htons(dp[j].value);
			key_and(&k, &key, &mask);
			fn(arg, flow, &k, &mask);
		}
	}
}

struct build_ctx {
	struct cls_group *groups;
	u32 ngroups;
	u32 seed;
	bool fill;		/* pass 2: entries and buckets exist */
};

static void build_entry(void *arg, struct flowos_flow *flow,
			const struct flowos_key *key,
			const struct flowos_key *mask)
{
	struct build_ctx *ctx = arg;
	struct cls_group *g = group_of(ctx->groups, &ctx->ngroups, mask);
	struct cls_entry *e;
	u32 bucket;

	if (!ctx->fill) {
		g->nentries++;
		return;
	}
	e = &g->entries[g->nentries++];
	group_key(g, key, e->key);
	e->flow = flow;
	e->rank = flow_rank(flow);
	g->best_rank = max(g->best_rank, e->rank);
	bucket = jhash2(e->key, g->nwords, ctx->seed) & g->hash_mask;
	e->next = g->buckets[bucket];
	g->buckets[bucket] = e;
}

static void classifier_free(struct flowos_classifier *cls)
{
	u32 i;

	for (i = 0; i < cls->ngroups; i++) {
		kvfree(cls->groups[i].buckets);
		kvfree(cls->groups[i].entries);
	}
	kvfree(cls);
}

static int group_cmp(const void *a, const void *b)
{
	const struct cls_group *ga = a, *gb = b;

	return ga->best_rank < gb->best_rank ? 1 :
	       ga->best_rank > gb->best_rank ? -1 : 0;
}

/* Size each group's tables: buckets for a load factor of at most 1/2. */
static int alloc_groups(struct flowos_classifier *cls)
{
	u32 i;

	for (i = 0; i < cls->ngroups; i++) {
		struct cls_group *g = &cls->groups[i];
		u32 nbuckets = roundup_pow_of_two(2 * g->nentries);

		g->buckets = kvcalloc(nbuckets, sizeof(*g->buckets), GFP_KERNEL);
		g->entries = kvcalloc(g->nentries, sizeof(*g->entries),
				      GFP_KERNEL);
		if (!g->buckets || !g->entries)
			return -ENOMEM;
		g->hash_mask = nbuckets - 1;
		g->nentries = 0;	/* counts again while filling */
	}
	return 0;
}

/**
 * flowos_classifier_build - a classifier for @flows
 * @flows: list of struct flowos_flow, by node
 * @extack: where to say why it failed
 *
 * Returns NULL for an empty list, an ERR_PTR on failure.  The kernel's
 * caller, publish_classifier(), holds flowos_mutex and asserts it: this
 * file also builds natively, where there is no such lock.
 */
struct flowos_classifier *flowos_classifier_build(struct list_head *flows,
						  struct netlink_ext_ack *extack)
{
	struct port_prefix prefixes[MAX_PORT_PREFIXES];
	struct flowos_classifier *cls;
	struct flowos_flow *flow;
	struct build_ctx ctx = {};
	u32 total = 0;
	int err;

	if (list_empty(flows))
		return NULL;
	list_for_each_entry(flow, flows, node)
		total += match_port_prefixes(&flow->match, false, prefixes) *
			 match_port_prefixes(&flow->match, true, prefixes);
	if (total > MAX_ENTRIES) {
		NL_SET_ERR_MSG_MOD(extack,
				   "port ranges expand to too many classifier entries");
		return ERR_PTR(-ENOSPC);
	}

	/* Every group has an entry: there are at most @total groups. */
	cls = kvzalloc(struct_size(cls, groups, total), GFP_KERNEL);
	if (!cls)
		return ERR_PTR(-ENOMEM);
	cls->seed = get_random_u32();

	/* Pass 1 counts groups and their entries; pass 2 fills them in. */
	ctx.groups = cls->groups;
	ctx.seed = cls->seed;
	list_for_each_entry(flow, flows, node)
		expand_flow(flow, build_entry, &ctx);
	cls->ngroups = ctx.ngroups;
	err = alloc_groups(cls);
	if (err) {
		classifier_free(cls);
		return ERR_PTR(err);
	}

	ctx.fill = true;
	list_for_each_entry(flow, flows, node) {
		expand_flow(flow, build_entry, &ctx);
		cls->dirs |= flow_dirs(flow);
		cls->devs |= flow_matches_devs(flow);
	}
	sort(cls->groups, cls->ngroups, sizeof(cls->groups[0]), group_cmp, NULL);
	return cls;
}

static void classifier_free_rcu(struct rcu_head *head)
{
	classifier_free(container_of(head, struct flowos_classifier, rcu));
}

void flowos_classifier_free_rcu(struct flowos_classifier *cls)
{
	if (cls)
		call_rcu(&cls->rcu, classifier_free_rcu);
}

/**
 * flowos_classify_sees - whether some flow of @cls takes packets going @dir
 * @cls: the namespace's classifier (may be NULL)
 * @dir: FLOWOS_DIR_IN or FLOWOS_DIR_OUT
 *
 * The hook asks before it parses: with only ingress flows (the default),
 * every packet sent would otherwise be parsed and classified for nothing.
 */
bool flowos_classify_sees(const struct flowos_classifier *cls, u8 dir)
{
	return cls && (cls->dirs & BIT(dir));
}

/**
 * flowos_classify_wants_devs - whether the key's device words are read
 * @cls: the namespace's classifier, not NULL
 *
 * When some flow matches a device name or a VLAN: the hook then fills
 * in vlan, vlan_parent, iifname and oifname, which no other flow reads.
 */
bool flowos_classify_wants_devs(const struct flowos_classifier *cls)
{
	return cls->devs;
}

/**
 * flowos_classify - the flow a packet belongs to, or NULL
 * @cls: the namespace's classifier (may be NULL)
 * @key: the packet's key
 *
 * Called with rcu_read_lock held (netfilter hooks are).
 */
struct flowos_flow *flowos_classify(const struct flowos_classifier *cls,
				    const struct flowos_key *key)
{
	const struct cls_entry *best = NULL;
	u32 masked[FLOWOS_KEY_WORDS];
	u32 i;

	if (!cls)
		return NULL;
	for (i = 0; i < cls->ngroups; i++) {
		const struct cls_group *g = &cls->groups[i];
		const struct cls_entry *e;

		if (best && g->best_rank <= best->rank)
			break;
		group_key(g, key, masked);
		e = g->buckets[jhash2(masked, g->nwords, cls->seed) &
			       g->hash_mask];
		for (; e; e = e->next)
			if ((!best || e->rank > best->rank) &&
			    words_equal(e->key, masked, g->nwords))
				best = e;
	}
	return best ? best->flow : NULL;
}
