/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowos: connections and their payload in order, for PMs on the
 * FLOWOS_LAYER_STREAM layer (what FlowOS's stream pointer gave its PMs).
 *
 * A PM embeds a struct flowos_conns in its instance and hands it every
 * window; the table finds each unit's connection (TCP or UDP, both
 * directions in one), reassembles TCP (include/flowos/reasm.h) and calls
 * the PM's ->data with the payload bytes of each side in sequence
 * order, each byte once; a UDP datagram comes whole, flagged
 * FLOWOS_DATA_BREAK.  A TCP side stops waiting for a hole once the
 * other side acknowledges past it (flowos_reasm_ack()).  A connection
 * ends on RST, once every side seen has delivered up to its FIN, after
 * @idle_ms without a packet, when a SYN outside the window of its side
 * begins a new connection on the same 4-tuple (counted in
 * stats.reasm.restarts; the SYN opens the new one), or when the table
 * is full and it is the least recently seen; ->end runs first.
 *
 * The table belongs to the instance's thread: ->process and ->tick call
 * it, and anything else reading it (->fill_results) must hold a lock
 * of the PM's own that ->process holds too.  Counters are for any
 * context, read with READ_ONCE.
 */
#ifndef _FLOWOS_CONN_H
#define _FLOWOS_CONN_H

#include <linux/list.h>
#include <linux/types.h>
#include <flowos/pm.h>
#include <flowos/reasm.h>

/* The two sides: the first to send (the SYN's sender, if seen), the other. */
enum { FLOWOS_SIDE_A, FLOWOS_SIDE_B, FLOWOS_NSIDES };

struct flowos_conn {
	struct hlist_node hnode;
	struct list_head lru;		/* least recently seen first */
	u64 id;				/* numbered from 1 per table */
	u64 last_seen;			/* unit->tstamp */
	__be32 addr[FLOWOS_NSIDES][4];
	__be16 port[FLOWOS_NSIDES];
	u8 family;
	u8 proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	u8 seen;			/* BIT(side) of the sides that sent */
	u8 ack_wait;			/* BIT(side) of the sides with @ack set */
	u16 ring[FLOWOS_NSIDES];	/* CPU of the ring of each side's last unit */
	u32 ack[FLOWOS_NSIDES];		/* an ACK of the side's bytes, deferred */
	u64 ack_tstamp[FLOWOS_NSIDES];	/* when that ACK was seen */
	struct flowos_reasm_half half[FLOWOS_NSIDES];
	unsigned long priv[];		/* the PM's, zeroed: priv_size bytes */
};

struct flowos_conns;

/* Callbacks run in the instance's thread; ->data must not sleep. */
struct flowos_conn_ops {
	/* Bytes of @side, in order; FLOWOS_DATA_BREAK after a gap. */
	void (*data)(struct flowos_conns *t, struct flowos_conn *c,
		     unsigned int side, const u8 *data, u32 len,
		     unsigned int flags);
	/* Optional: @c ends and is freed on return. */
	void (*end)(struct flowos_conns *t, struct flowos_conn *c);
};

/* What a table has seen (u64 each; read with READ_ONCE). */
struct flowos_conns_stats {
	struct flowos_reasm_stats reasm;
	u64 active;		/* connections in the table now */
	u64 opened;
	u64 finished;		/* ended by FIN */
	u64 reset;		/* ended by RST */
	u64 expired;		/* ended by the idle timeout */
	u64 evicted;		/* ended to make room */
	u64 refused;		/* units whose connection found no memory */
	u64 datagrams;		/* UDP datagrams delivered */
};

struct flowos_conns {
	const struct flowos_conn_ops *ops;
	void *owner;			/* the PM's, for its callbacks */
	struct hlist_head *buckets;
	unsigned int bits;
	unsigned int max;		/* connections at most */
	size_t priv_size;
	u64 idle_ns;
	u32 seed;
	u64 next_id;
	struct list_head lru;
	struct flowos_reasm_env env;
	struct flowos_conn *cur;	/* whose bytes the reassembler emits */
	unsigned int cur_side;
	unsigned int cur_ring;		/* CPU of the window's ring */
	struct flowos_conns_stats stats;
};

/*
 * Up to @max_conns connections with @priv_size bytes of the PM's each,
 * @ooo_limit bytes of out-of-order queue per side (truesize, in at most
 * FLOWOS_REASM_MAX_SEGS segments), ended after @idle_ms without a
 * packet.  Charged to the memory cap: -ENOSPC when over it.
 */
int flowos_conns_init(struct flowos_conns *t, const struct flowos_conn_ops *ops,
		      void *owner, size_t priv_size, unsigned int max_conns,
		      u32 ooo_limit, u64 idle_ms);
/* End every connection (->end runs) and free the table. */
void flowos_conns_fini(struct flowos_conns *t);
/* Take every unit of @win; returns how many (all of them). */
unsigned int flowos_conns_process(struct flowos_conns *t,
				  const struct flowos_window *win);
/* End the connections idle since before @now - idle_ms. */
void flowos_conns_expire(struct flowos_conns *t, u64 now);

/* Every connection in the table, least recently seen first. */
#define flowos_conns_for_each(t, c) list_for_each_entry(c, &(t)->lru, lru)

static inline void *flowos_conn_priv(struct flowos_conn *c)
{
	return c->priv;
}

#endif /* _FLOWOS_CONN_H */
