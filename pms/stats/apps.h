/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stats PM's application protocols ("proto app"): a table of
 * connections (TCP or UDP, both directions in one entry) that gives
 * every packet of a connection the protocol its first payload shows
 * (appid.h), whichever side sends it.
 *
 * Packets before that payload (a TCP handshake) wait in the entry, up
 * to APPS_PENDING of them, and are counted, at their own times, when it
 * comes.  A connection that ends (FIN or RST) or idles APPS_IDLE_NS
 * before any payload, or has more packets than that without one, or
 * leaves a full table as the least recently seen, is "other/tcp" or
 * "other/udp".  A TCP SYN (no ACK) seen after a connection's protocol
 * was decided starts a new one (one seen before it, from a ring the
 * thread reads later, does not).  A TCP or UDP packet without ports (a
 * fragment) is no connection's: the caller counts it by IP protocol.
 * A unit whose payload the core could not keep (its clone refused by
 * the memory cap) is classified by its ports alone, and counted in
 * @blind.
 *
 * Not locked: the caller serializes every call on one table.
 */
#ifndef _FLOWOS_STATS_APPS_H
#define _FLOWOS_STATS_APPS_H

#include <linux/list.h>
#include <linux/types.h>
#include <flowos/unit.h>
#include "appid.h"
#include "wstats.h"

#define APPS_PENDING	8
#define APPS_IDLE_NS	(60ULL * NSEC_PER_SEC)
#define APPS_CONNS_MAX	(1024 * 1024)

/* A packet waiting for its connection's protocol. */
struct apps_pending {
	u64 t;
	u32 segs;
	u32 seg_len;
	u32 len;
	bool from_a;		/* sent by key.addr[0] */
};

/* A connection's ends, the lesser (address, port) first. */
struct apps_key {
	__be32 addr[2][4];
	__be16 port[2];
	u8 family;
	u8 proto;
};

struct apps_conn {
	struct hlist_node node;
	struct list_head lru;		/* least recently seen first */
	struct apps_key key;
	u64 last;
	u64 decided;			/* the time @app was decided */
	u8 app;				/* enum appid; APPID_NONE: waiting */
	u8 npending;
	struct apps_pending pending[APPS_PENDING];
};

struct apps {
	u32 max_conns;
	u32 hash_bits;
	u32 seed;
	struct hlist_head *buckets;
	struct apps_conn *conns;	/* [max_conns] */
	struct list_head free;
	struct list_head lru;
	u32 used;
	u64 pending;			/* packets waiting now */
	u64 blind;
	u64 evicted;			/* connections the full table let go */
};

size_t apps_size(u32 max_conns);
int apps_init(struct apps *a, u32 max_conns, u32 seed);
void apps_free(struct apps *a);

/*
 * Count @u, seen at @t and described by @p (its key unused), in @ws
 * under its connection's protocol: now, or when that is known.
 */
void apps_unit(struct apps *a, struct wstats *ws, const struct flowos_unit *u,
	       u64 t, const struct wstats_pkt *p);
/* Let connections idle since before @now - APPS_IDLE_NS go. */
void apps_expire(struct apps *a, struct wstats *ws, u64 now);

/* The wstats key of @app. */
static inline u16 apps_key(enum appid app)
{
	return WSTATS_APP_BASE + app;
}

#endif /* _FLOWOS_STATS_APPS_H */
