// SPDX-License-Identifier: GPL-2.0
/*
 * The count PM's sub-flow table (table.h): kernel-independent, built
 * into flowos_pm_count.ko and natively into tools/bench-native.
 */
#ifdef __KERNEL__
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>
#else
#include "flowos_user.h"
#endif
#include "table.h"

static unsigned int table_hash_bits(unsigned int n)
{
	return ilog2(roundup_pow_of_two(n));
}

/* What a table of @n entries allocates: entries and buckets. */
size_t count_table_size(unsigned int n)
{
	return n * sizeof(struct count_subflow) +
	       (sizeof(struct hlist_head) << table_hash_bits(n));
}

int count_table_init(struct count_table *t, unsigned int n, u32 seed)
{
	t->size = n;
	t->used = 0;
	t->hand = 0;
	t->hash_bits = table_hash_bits(n);
	t->seed = seed;
	t->buckets = kvcalloc(1U << t->hash_bits, sizeof(*t->buckets),
			      GFP_KERNEL);
	t->pool = kvcalloc(n, sizeof(*t->pool), GFP_KERNEL);
	return t->buckets && t->pool ? 0 : -ENOMEM;
}

void count_table_free(struct count_table *t)
{
	kvfree(t->buckets);
	kvfree(t->pool);
}

/* @a, but for its bits past @plen (IPv4 in [0], the rest zero). */
static void mask_addr(__be32 *to, const __be32 *a, unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < 4; i++, plen = plen > 32 ? plen - 32 : 0)
		to[i] = plen >= 32 ? a[i] :
			plen ? a[i] & htonl(~0U << (32 - plen)) : 0;
}

/* The key of @u's sub-flow: its fields @ks names, the rest zero. */
void count_unit_key(const struct count_keyspec *ks,
		    const struct flowos_unit *u, struct count_key *key)
{
	unsigned int v6 = u->family == AF_INET6;

	if (ks->whole) {
		memcpy(key->saddr, u->saddr, sizeof(key->saddr));
		memcpy(key->daddr, u->daddr, sizeof(key->daddr));
		key->sport = u->sport;
		key->dport = u->dport;
		key->family = u->family;
		key->proto = u->proto;
		key->pad = 0;
		return;
	}
	memset(key, 0, sizeof(*key));
	if (ks->fields & (K_SRC | K_DST))
		key->family = u->family;
	if (ks->fields & K_SRC)
		mask_addr(key->saddr, u->saddr, ks->plen[KEY_SRC][v6]);
	if (ks->fields & K_DST)
		mask_addr(key->daddr, u->daddr, ks->plen[KEY_DST][v6]);
	if (ks->fields & K_PROTO)
		key->proto = u->proto;
	if (ks->fields & K_SPORT)
		key->sport = u->sport;
	if (ks->fields & K_DPORT)
		key->dport = u->dport;
}

static struct hlist_head *table_bucket(const struct count_table *t,
				       const struct count_key *key)
{
	u32 h = jhash2(key->w32, ARRAY_SIZE(key->w32), t->seed);

	return &t->buckets[hash_32(h, t->hash_bits)];
}

/*
 * The entry CLOCK evicts: the first from the hand on not seen since the
 * hand last passed it, the bits of those seen cleared on the way.  At
 * most one round and one entry: after a round every bit is clear.  A
 * round is long only after as many hits, which it pays back.
 */
static struct count_subflow *table_victim(struct count_table *t)
{
	for (;;) {
		struct count_subflow *sf = &t->pool[t->hand];

		if (++t->hand == t->size)
			t->hand = 0;
		if (!sf->seen)
			return sf;
		sf->seen = false;
	}
}

/* Word by word, the source first: where keys in one chain differ most. */
static bool key_equal(const struct count_key *a, const struct count_key *b)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(a->w64); i++)
		if (a->w64[i] != b->w64[i])
			return false;
	return true;
}

/**
 * count_table_get - the sub-flow of @key, made if new
 * @t: the table
 * @key: the sub-flow's key
 * @found: set to how: an entry's, a free one's, or an evicted one's
 *
 * Return: the sub-flow, its counts zero if it is new.  Never fails: a
 * full table evicts.
 */
struct count_subflow *count_table_get(struct count_table *t,
				      const struct count_key *key,
				      enum count_table_found *found)
{
	struct hlist_head *head = table_bucket(t, key);
	struct count_subflow *sf;

	hlist_for_each_entry(sf, head, hnode)
		if (key_equal(&sf->key, key)) {
			sf->seen = true;
			*found = COUNT_HIT;
			return sf;
		}

	if (t->used < t->size) {
		sf = &t->pool[t->used++];
		*found = COUNT_NEW;
	} else {
		sf = table_victim(t);
		hlist_del(&sf->hnode);
		*found = COUNT_EVICTED;
	}
	/* Not seen yet: a flood of new 5-tuples evicts its own first. */
	sf->seen = false;
	sf->key = *key;
	sf->packets = 0;
	sf->bytes = 0;
	hlist_add_head(&sf->hnode, head);
	return sf;
}
