// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the count PM's sub-flow table (pms/count/table.c),
 * built natively under AddressSanitizer and UBSan.  The truth is a
 * model kept beside it: which keys are in the table and the packets
 * each has had since it came in.  A table that is full must evict one
 * entry per new key, and which one it picks is CLOCK's business, but
 * the model checks every claim the table makes about it: a hit only
 * for a key in, a new entry only while there is room, an eviction only
 * of a key in, and counts that never lose a packet.  And what CLOCK
 * promises: a key with a packet since the last eviction is evicted only
 * if every key in has had one since it came in (a newcomer with none is
 * taken first, and a busy key stays).  The keys differ in every word of
 * the key.  And count_unit_key() against the definition of "key".
 */
#include "flowos_user.h"
#include "table.h"
#include "kselftest_harness.h"
#include "test_rand.h"

#define UNIVERSE	256

struct model {
	bool in[UNIVERSE];
	u64 packets[UNIVERSE];	/* since the key came in */
	int at[1U << 12];	/* pool index -> key, -1 if none */
	bool hit_since_eviction[UNIVERSE];
	bool hit_since_in[UNIVERSE];
	u64 evicted_packets;	/* of keys since evicted */
};

/*
 * Key @k: IPv6 addresses and ports in which each two bits of @k land in
 * a different 64-bit word of the key, so that a table comparing or
 * hashing only some of the key's words mixes keys up.
 */
static void key_of(u32 k, struct count_key *key)
{
	memset(key, 0, sizeof(*key));
	key->family = AF_INET6;
	key->proto = k & 0x80 ? IPPROTO_TCP : IPPROTO_UDP;
	key->saddr[0] = htonl(0x20010db8);
	key->saddr[3] = htonl(k & 3);
	key->daddr[1] = htonl(k >> 2 & 3);
	key->daddr[3] = htonl(k >> 4 & 3);
	key->sport = htons(1000 + (k >> 6 & 1));
	key->dport = htons(53);
}

/* One packet of key @k through the table, checked against @m. */
static int packet(struct count_table *t, struct model *m, u32 k)
{
	enum count_table_found found;
	struct count_subflow *sf;
	struct count_key key;
	int idx, old, i;

	key_of(k, &key);
	sf = count_table_get(t, &key, &found);
	idx = sf - t->pool;
	if (idx < 0 || idx >= (int)t->size || memcmp(&sf->key, &key, sizeof(key)))
		return -1;
	old = m->at[idx];
	switch (found) {
	case COUNT_HIT:
		if (!m->in[k] || old != (int)k || sf->packets != m->packets[k])
			return -2;
		m->hit_since_eviction[k] = true;
		m->hit_since_in[k] = true;
		break;
	case COUNT_NEW:
		if (m->in[k] || old != -1 || t->used > t->size || sf->packets)
			return -3;
		break;
	case COUNT_EVICTED:
		if (m->in[k] || old < 0 || !m->in[old] || sf->packets)
			return -4;
		/* The table was full: every slot held a key. */
		for (i = 0; i < (int)t->size; i++)
			if (m->at[i] < 0)
				return -5;
		/* A busy key goes only if no key in is idle since it came. */
		for (i = 0; m->hit_since_eviction[old] && i < UNIVERSE; i++)
			if (m->in[i] && !m->hit_since_in[i])
				return -6;
		m->in[old] = false;
		m->evicted_packets += m->packets[old];
		memset(m->hit_since_eviction, 0, sizeof(m->hit_since_eviction));
		break;
	}
	if (found != COUNT_HIT) {
		m->in[k] = true;
		m->hit_since_in[k] = false;
		m->packets[k] = 0;
		m->at[idx] = k;
	}
	sf->packets++;
	m->packets[k]++;
	return 0;
}

static void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	memset(m->at, 0xff, sizeof(m->at));
}

/* Every packet is in an entry or was in an evicted one. */
static u64 table_packets(const struct count_table *t)
{
	u64 n = 0;
	u32 i;

	for (i = 0; i < t->used; i++)
		n += t->pool[i].packets;
	return n;
}

TEST(agrees_with_the_model_on_random_traffic)
{
	static struct model m;
	unsigned int seed;

	for (seed = 1; seed <= 300; seed++) {
		struct count_table t;
		u32 size, keys, n, i;

		rnd_state = seed;
		size = 16 << rnd_below(4);
		keys = 8 + rnd_below(UNIVERSE - 8);
		n = 2000 + rnd_below(3000);
		model_init(&m);
		ASSERT_EQ(0, count_table_init(&t, size, seed));
		for (i = 0; i < n; i++) {
			/* A few keys busy, the rest now and then. */
			u32 k = rnd_below(4) ? rnd_below(1 + keys / 8) : rnd_below(keys);
			int err = packet(&t, &m, k);

			ASSERT_EQ(0, err) TH_LOG("seed %u, packet %u, key %u", seed, i, k);
		}
		ASSERT_EQ(n, table_packets(&t) + m.evicted_packets)
			TH_LOG("seed %u", seed);
		ASSERT_LE(t.used, size);
		count_table_free(&t);
	}
}

TEST(a_busy_key_outlives_a_flood_of_new_ones)
{
	static struct model m;
	struct count_table t;
	u32 k;

	model_init(&m);
	ASSERT_EQ(0, count_table_init(&t, 16, 7));
	ASSERT_EQ(0, packet(&t, &m, 0));
	for (k = 1; k < UNIVERSE; k++) {
		ASSERT_EQ(0, packet(&t, &m, k)) TH_LOG("new key %u", k);
		ASSERT_EQ(0, packet(&t, &m, 0)) TH_LOG("after new key %u", k);
		ASSERT_TRUE(m.in[0]);
	}
	EXPECT_EQ(UNIVERSE, m.packets[0]);
	count_table_free(&t);
}

TEST(a_full_table_evicts_one_entry_per_new_key)
{
	static struct model m;
	struct count_table t;
	u32 k, in = 0;

	model_init(&m);
	ASSERT_EQ(0, count_table_init(&t, 32, 3));
	for (k = 0; k < UNIVERSE; k++)
		ASSERT_EQ(0, packet(&t, &m, k));
	for (k = 0; k < UNIVERSE; k++)
		in += m.in[k];
	EXPECT_EQ(32, in);
	EXPECT_EQ(32, t.used);
	EXPECT_EQ(UNIVERSE, table_packets(&t) + m.evicted_packets);
	count_table_free(&t);
}

/* A unit's key as "key" says, from the definition of each field. */
TEST(unit_keys_keep_what_key_names_and_mask_prefixes)
{
	struct flowos_unit u = { .family = AF_INET6, .proto = IPPROTO_TCP };
	struct count_keyspec ks = { .fields = K_5TUPLE, .whole = true };
	struct count_key key, want;

	u.saddr[0] = htonl(0x20010db8);
	u.saddr[1] = htonl(0x00010002);
	u.saddr[2] = htonl(0xaabbccdd);
	u.saddr[3] = htonl(0x11223344);
	u.daddr[0] = htonl(0x20010db8);
	u.daddr[3] = htonl(1);
	u.sport = htons(40000);
	u.dport = htons(443);

	count_unit_key(&ks, &u, &key);
	memset(&want, 0, sizeof(want));
	memcpy(want.saddr, u.saddr, 16);
	memcpy(want.daddr, u.daddr, 16);
	want.sport = u.sport;
	want.dport = u.dport;
	want.family = AF_INET6;
	want.proto = IPPROTO_TCP;
	EXPECT_EQ(0, memcmp(&key, &want, sizeof(key)));

	/* "src/24/48": IPv6 sources by their first 48 bits, nothing else. */
	ks = (struct count_keyspec){ .fields = K_SRC,
				     .plen = { { 24, 48 }, { 32, 128 } } };
	count_unit_key(&ks, &u, &key);
	memset(&want, 0, sizeof(want));
	want.family = AF_INET6;
	want.saddr[0] = htonl(0x20010db8);
	want.saddr[1] = htonl(0x00010000);
	EXPECT_EQ(0, memcmp(&key, &want, sizeof(key)));

	/* The same for IPv4: its /24, in the first word. */
	u.family = AF_INET;
	memset(u.saddr, 0, sizeof(u.saddr));
	u.saddr[0] = htonl(0xc0a80107);
	count_unit_key(&ks, &u, &key);
	memset(&want, 0, sizeof(want));
	want.family = AF_INET;
	want.saddr[0] = htonl(0xc0a80100);
	EXPECT_EQ(0, memcmp(&key, &want, sizeof(key)));

	/* "proto,dport": no addresses, so no family either. */
	ks = (struct count_keyspec){ .fields = K_PROTO | K_DPORT };
	count_unit_key(&ks, &u, &key);
	memset(&want, 0, sizeof(want));
	want.proto = IPPROTO_TCP;
	want.dport = htons(443);
	EXPECT_EQ(0, memcmp(&key, &want, sizeof(key)));
}

TEST_HARNESS_MAIN
