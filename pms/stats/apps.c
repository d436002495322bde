// SPDX-License-Identifier: GPL-2.0
/*
 * The stats PM's table of connections for application protocols: see
 * apps.h.  Entries come from an array allocated at attach, so that the
 * thread never allocates; a hash table finds them and a list keeps them
 * in the order last seen.
 */
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <net/tcp.h>
#include "apps.h"

static u32 hash_bits_for(u32 max_conns)
{
	return ilog2(roundup_pow_of_two(max_conns));
}

size_t apps_size(u32 max_conns)
{
	return (sizeof(struct hlist_head) << hash_bits_for(max_conns)) +
	       (size_t)max_conns * sizeof(struct apps_conn);
}

int apps_init(struct apps *a, u32 max_conns, u32 seed)
{
	u32 i;

	memset(a, 0, sizeof(*a));
	a->max_conns = max_conns;
	a->hash_bits = hash_bits_for(max_conns);
	a->seed = seed;
	a->buckets = kvcalloc(1U << a->hash_bits, sizeof(*a->buckets),
			      GFP_KERNEL);
	a->conns = kvcalloc(max_conns, sizeof(*a->conns), GFP_KERNEL);
	if (!a->buckets || !a->conns) {
		apps_free(a);
		return -ENOMEM;
	}
	INIT_LIST_HEAD(&a->free);
	INIT_LIST_HEAD(&a->lru);
	for (i = 0; i < max_conns; i++)
		list_add_tail(&a->conns[i].lru, &a->free);
	return 0;
}

void apps_free(struct apps *a)
{
	kvfree(a->buckets);
	kvfree(a->conns);
	memset(a, 0, sizeof(*a));
}

/* @u's connection, its ends in order; @from_a: @u's sender is the first. */
static void make_key(const struct flowos_unit *u, struct apps_key *k,
		     bool *from_a)
{
	size_t alen = u->family == AF_INET ? 4 : 16;
	int c = memcmp(u->saddr, u->daddr, alen);

	memset(k, 0, sizeof(*k));
	k->family = u->family;
	k->proto = u->proto;
	*from_a = c < 0 || (!c && ntohs(u->sport) <= ntohs(u->dport));
	memcpy(k->addr[!*from_a], u->saddr, alen);
	memcpy(k->addr[*from_a], u->daddr, alen);
	k->port[!*from_a] = u->sport;
	k->port[*from_a] = u->dport;
}

static struct hlist_head *conn_bucket(struct apps *a, const struct apps_key *k)
{
	u32 h = jhash2((const u32 *)k, sizeof(*k) / sizeof(u32), a->seed);

	return &a->buckets[hash_32(h, a->hash_bits)];
}

/* Count packet @p of @c, seen at @t, under @c's protocol. */
static void count_in_app(struct wstats *ws, const struct apps_conn *c, u64 t,
			 const struct wstats_pkt *p)
{
	struct wstats_pkt q = *p;

	q.proto = apps_key(c->app);
	wstats_add(ws, t, &q);
}

/* The packets waiting in @c, now that its protocol is known. */
static void flush(struct apps *a, struct wstats *ws, struct apps_conn *c)
{
	u32 i;

	for (i = 0; i < c->npending; i++) {
		const struct apps_pending *w = &c->pending[i];
		const struct wstats_pkt p = {
			.saddr = c->key.addr[!w->from_a],
			.daddr = c->key.addr[w->from_a],
			.family = c->key.family,
			.segs = w->segs, .seg_len = w->seg_len, .len = w->len,
		};

		count_in_app(ws, c, w->t, &p);
	}
	a->pending -= c->npending;
	c->npending = 0;
}

static enum appid other(const struct apps_conn *c)
{
	return c->key.proto == IPPROTO_TCP ? APPID_OTHER_TCP : APPID_OTHER_UDP;
}

/* @c goes: what waits in it is of no known protocol. */
static void conn_end(struct apps *a, struct wstats *ws, struct apps_conn *c)
{
	if (c->app == APPID_NONE) {
		c->app = other(c);
		flush(a, ws, c);
	}
	hlist_del(&c->node);
	list_move(&c->lru, &a->free);
	a->used--;
}

static struct apps_conn *conn_get(struct apps *a, struct wstats *ws,
				  const struct apps_key *k, u64 t)
{
	struct hlist_head *head = conn_bucket(a, k);
	struct apps_conn *c;

	hlist_for_each_entry(c, head, node) {
		if (!memcmp(&c->key, k, sizeof(*k))) {
			list_move_tail(&c->lru, &a->lru);
			return c;
		}
	}
	if (list_empty(&a->free)) {
		conn_end(a, ws, list_first_entry(&a->lru, struct apps_conn, lru));
		a->evicted++;
	}
	c = list_first_entry(&a->free, struct apps_conn, lru);
	c->key = *k;
	c->last = t;
	c->app = APPID_NONE;
	c->npending = 0;
	hlist_add_head(&c->node, head);
	list_move_tail(&c->lru, &a->lru);
	a->used++;
	return c;
}

/* The protocol @u's payload shows, from as many bytes as there are. */
static enum appid classify(struct apps *a, const struct flowos_unit *u)
{
	u8 buf[APPID_PEEK];
	u32 len = min_t(u32, u->payload_len, sizeof(buf));
	const u8 *data = NULL;

	if (u->skb)
		data = skb_header_pointer(u->skb, u->payload_off, len, buf);
	if (!data) {
		a->blind++;
		len = 0;
	}
	return appid_classify(u->proto, ntohs(u->sport), ntohs(u->dport),
			      data, len);
}

static void hold(struct apps *a, struct apps_conn *c, u64 t,
		 const struct wstats_pkt *p, bool from_a)
{
	c->pending[c->npending++] = (struct apps_pending) {
		.t = t, .segs = p->segs, .seg_len = p->seg_len, .len = p->len,
		.from_a = from_a,
	};
	a->pending++;
}

void apps_unit(struct apps *a, struct wstats *ws, const struct flowos_unit *u,
	       u64 t, const struct wstats_pkt *p)
{
	bool tcp = u->proto == IPPROTO_TCP, from_a;
	u8 flags = tcp ? u->tcp_flags : 0;
	struct apps_conn *c;
	struct apps_key k;

	make_key(u, &k, &from_a);
	c = conn_get(a, ws, &k, t);
	c->last = max(c->last, t);
	/* A new SYN on a known connection: the 4-tuple is used again. */
	if ((flags & (TCPHDR_SYN | TCPHDR_ACK)) == TCPHDR_SYN &&
	    c->app != APPID_NONE && t > c->decided) {
		c->app = APPID_NONE;
		c->npending = 0;
	}
	if (c->app == APPID_NONE && !u->payload_len &&
	    !(flags & (TCPHDR_FIN | TCPHDR_RST)) && c->npending < APPS_PENDING) {
		hold(a, c, t, p, from_a);
		return;
	}
	if (c->app == APPID_NONE) {
		c->app = u->payload_len ? classify(a, u) : other(c);
		c->decided = t;
		flush(a, ws, c);
	}
	count_in_app(ws, c, t, p);
	if (flags & TCPHDR_RST)
		conn_end(a, ws, c);
}

void apps_expire(struct apps *a, struct wstats *ws, u64 now)
{
	struct apps_conn *c, *next;

	if (now < APPS_IDLE_NS)
		return;
	list_for_each_entry_safe(c, next, &a->lru, lru) {
		if (c->last >= now - APPS_IDLE_NS)
			break;
		conn_end(a, ws, c);
	}
}
