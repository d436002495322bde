/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The count PM's sub-flow table: a fixed pool of entries, allocated
 * whole, in a hash table.  When the pool is used up, CLOCK picks the
 * entry to evict: a hand goes round the pool, clearing the bit a hit
 * sets, and stops at the first entry whose bit is clear, one not seen
 * since the hand last passed it (an approximation of the least recently
 * seen, which a hit would otherwise have to keep in order by moving its
 * entry in a list: two more cache lines to write, in a table that does
 * not fit the cache).  Kernel-independent, so that tools/bench-native
 * runs this very code natively.
 *
 * One writer; readers of the entries hold the writer's lock (count.c's
 * shard lock).  Not safe for concurrent use by itself.
 */
#ifndef _FLOWOS_COUNT_TABLE_H
#define _FLOWOS_COUNT_TABLE_H

#ifdef __KERNEL__
#include <linux/list.h>
#include <linux/types.h>
#include <flowos/unit.h>
#else
#include "flowos_user.h"
#include "flowos/unit.h"
#endif

/* The fields of a sub-flow's key ("key"). */
enum {
	K_PROTO = BIT(0),
	K_SRC = BIT(1),
	K_DST = BIT(2),
	K_SPORT = BIT(3),
	K_DPORT = BIT(4),
	K_5TUPLE = K_PROTO | K_SRC | K_DST | K_SPORT | K_DPORT,
};

enum { KEY_SRC, KEY_DST };

struct count_keyspec {
	u8 fields;			/* K_* */
	bool whole;			/* all five, addresses unmasked */
	u8 plen[2][2];			/* [KEY_SRC/KEY_DST][IPv4, IPv6] */
};

/*
 * A sub-flow's identity, also as the words it is hashed (w32) and
 * compared (w64) in: five 64-bit compares instead of memcmp()'s bytes.
 */
struct count_key {
	union {
		struct {
			__be32 saddr[4];
			__be32 daddr[4];
			__be16 sport;
			__be16 dport;
			u8 family;
			u8 proto;
			u16 pad;
		};
		u32 w32[10];
		u64 w64[5];
	};
};

struct count_subflow {
	struct hlist_node hnode;
	struct count_key key;
	bool seen;			/* CLOCK's bit: a hit since the hand passed */
	u64 packets;
	u64 bytes;
};

struct count_table {
	struct hlist_head *buckets;
	struct count_subflow *pool;	/* taken in order, never given back */
	unsigned int size;		/* entries in @pool */
	unsigned int used;		/* taken so far */
	unsigned int hand;		/* CLOCK's, once @used is @size */
	unsigned int hash_bits;
	u32 seed;
};

/* What count_table_get() did to find the sub-flow. */
enum count_table_found { COUNT_HIT, COUNT_NEW, COUNT_EVICTED };

size_t count_table_size(unsigned int n);
int count_table_init(struct count_table *t, unsigned int n, u32 seed);
void count_table_free(struct count_table *t);
void count_unit_key(const struct count_keyspec *ks,
		    const struct flowos_unit *u, struct count_key *key);
struct count_subflow *count_table_get(struct count_table *t,
				      const struct count_key *key,
				      enum count_table_found *found);

#endif /* _FLOWOS_COUNT_TABLE_H */
