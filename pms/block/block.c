// SPDX-License-Identifier: GPL-2.0
/*
 * block: cut a connection once its payload shows one of a set of
 * patterns (a read-write PM of an inline flow: seeds/002 4.3, FlowOS's
 * PMs that drop a flow's packets in pipeline order).
 *
 *	flowctl create web dport 80 proto tcp mode inline
 *	flowctl attach web block pattern 'cmd.exe' [pattern hex:HEX ...]
 *		[nocase 1] [max_conns 4096] [ooo_kb 64] [idle 60s]
 *		[blocked_idle 600s]
 *
 * Patterns are match's (pms/match): the bytes of their text, or hex:.
 * Each side of a TCP connection is searched in sequence order, as the
 * receiver's application would read it (include/flowos/conn.h), so a
 * pattern split across segments is found where it completes; a UDP
 * datagram is searched on its own.  A segment that repeats bytes (a
 * retransmission, or one that comes after the table gave up waiting for
 * it) is searched on its own too: the receiver may never have had them.
 * The packet in which an occurrence completes is dropped, and every
 * later packet of the connection (pure ACKs too), both directions: the
 * receiver's application never reads the occurrence whole, nor anything
 * after it.  Each blocked connection is announced once, as a "blocked"
 * event (flowctl monitor).  What went on before the cut stays gone:
 * packets of the connection on another CPU's ring that the instance
 * took first; and a GSO packet is dropped whole, with its segments
 * before the one that completes the occurrence.
 *
 * A connection is its 5-tuple: a new connection on the same 5-tuple as
 * a blocked one is blocked too, until the 5-tuple has been without
 * packets for @blocked_idle (long, by default: a sender retransmits
 * with growing pauses, and a retransmission let through would hand the
 * receiver what was cut).  Past @max_conns blocked connections, the
 * one without packets the longest is forgotten (blocked_evicted) and
 * its packets pass again.
 *
 * The tables belong to the instance's thread; @lock keeps them still
 * for a read of the results.  Scalars are read with READ_ONCE.
 */
#include <linux/hash.h>
#include <linux/in.h>
#include <linux/jhash.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <flowos/ac.h>
#include <flowos/conn.h>
#include <flowos/pm.h>

enum { P_PATTERN, P_NOCASE, P_MAX_CONNS, P_OOO_KB, P_IDLE, P_BLOCKED_IDLE };

static const struct flowos_pm_param block_params[] = {
	[P_PATTERN] = { "pattern", FLOWOS_PARAM_STRING, 1, FLOWOS_PM_MAX_STRINGS,
			0, "bytes that cut a connection; hex:HEX for binary",
			.check = flowos_pattern_check },
	[P_NOCASE] = { "nocase", FLOWOS_PARAM_U64, 0, 1, 0,
		       "1: ASCII letters match either case" },
	[P_MAX_CONNS] = { "max_conns", FLOWOS_PARAM_U64, 16, 1 << 20, 4096,
			  "most connections searched, and blocked, at once" },
	[P_OOO_KB] = { "ooo_kb", FLOWOS_PARAM_U64, 0, 1024, 64,
		       "out-of-order memory per side (payload and overhead), KiB" },
	[P_IDLE] = { "idle", FLOWOS_PARAM_DURATION, MSEC_PER_SEC,
		     3600 * MSEC_PER_SEC, 60 * MSEC_PER_SEC,
		     "a connection searched without packets for this long ends" },
	[P_BLOCKED_IDLE] = { "blocked_idle", FLOWOS_PARAM_DURATION, MSEC_PER_SEC,
			     86400 * MSEC_PER_SEC, 600 * MSEC_PER_SEC,
			     "a blocked 5-tuple without packets this long is forgotten" },
};

enum {
	S_BLOCKED, S_DROPPED_PACKETS, S_DROPPED_BYTES, S_BLOCKED_ACTIVE,
	S_BLOCKED_EXPIRED, S_BLOCKED_EVICTED, S_BYTES, S_CONNS_ACTIVE,
	S_CONNS_EVICTED, S_CONNS_REFUSED, S_GAP_BYTES,
};

static const char *const block_scalars[] = {
	[S_BLOCKED] = "blocked",
	[S_DROPPED_PACKETS] = "dropped_packets",
	[S_DROPPED_BYTES] = "dropped_bytes",
	[S_BLOCKED_ACTIVE] = "blocked_active",
	[S_BLOCKED_EXPIRED] = "blocked_expired",
	[S_BLOCKED_EVICTED] = "blocked_evicted",
	[S_BYTES] = "bytes_scanned",
	[S_CONNS_ACTIVE] = "conns_active",
	[S_CONNS_EVICTED] = "conns_evicted",
	[S_CONNS_REFUSED] = "conns_refused",
	[S_GAP_BYTES] = "gap_bytes",
};

/* Rows of the blocked table in the results at most. */
#define BLOCK_REPORT_ROWS	4096

/*
 * A connection's 5-tuple, the same for both directions: the side with
 * the lower address (then port) first.  Words, for hashing.
 */
struct block_key {
	__be32 addr[FLOWOS_NSIDES][4];
	__be16 port[FLOWOS_NSIDES];
	u8 family;
	u8 proto;
	u8 pad[2];
};

/* A blocked connection. */
struct block_entry {
	struct hlist_node hnode;
	struct list_head lru;		/* least recently seen first */
	struct block_key key;
	u8 sender;			/* side of @key that sent the pattern */
	u32 pattern;
	u64 last_seen;			/* the latest unit->tstamp */
	u64 packets;			/* dropped: wire packets */
	u64 bytes;			/* and their IP bytes */
};

/* A connection whose bytes showed a pattern, during one call of the table. */
struct block_hit {
	struct block_key key;
	u8 sender;
	u32 pattern;
};

/*
 * Hits one call of the connections table may report: the unit's own
 * connection, and those it ends (one evicted to make room; the old one
 * of a restarted 4-tuple).  A tick that ends more connections at once
 * blocks the first BLOCK_MAX_HITS of those with a hit: the others end
 * anyway, and a retransmission of theirs is searched again.
 */
#define BLOCK_MAX_HITS	8

/* What block keeps of each connection searched. */
struct block_conn {
	u32 state[FLOWOS_NSIDES];	/* each side's automaton state */
	bool cut;			/* a pattern was found: search no more */
};

struct block_state {
	struct mutex lock;		/* the tables, against reads */
	struct flowos_ac ac;
	struct flowos_conns conns;
	u64 blocked_idle_ns;
	u32 seed;
	unsigned int hash_bits;
	struct hlist_head *buckets;	/* of blocked connections */
	struct list_head lru;
	struct list_head free;
	struct block_entry *pool;
	size_t charged;
	u32 pattern;			/* first pattern + 1 of a scan, or 0 */
	unsigned int nhits;
	struct block_hit hits[BLOCK_MAX_HITS];
	u64 scalars[ARRAY_SIZE(block_scalars)];
};

static void add(struct block_state *bs, unsigned int i, u64 n)
{
	WRITE_ONCE(bs->scalars[i], bs->scalars[i] + n);
}

static void sub(struct block_state *bs, unsigned int i, u64 n)
{
	WRITE_ONCE(bs->scalars[i], bs->scalars[i] - n);
}

/* ---- Keys ---- */

static bool side_first(const __be32 *a, __be16 pa, const __be32 *b, __be16 pb)
{
	int cmp = memcmp(a, b, 16);

	return cmp < 0 || (!cmp && memcmp(&pa, &pb, sizeof(pa)) <= 0);
}

/*
 * The key of the connection between @a:@pa and @b:@pb, and which of its
 * sides @a is.
 */
static unsigned int make_key(struct block_key *key, u8 family, u8 proto,
			     const __be32 *a, __be16 pa,
			     const __be32 *b, __be16 pb)
{
	unsigned int sa = !side_first(a, pa, b, pb);

	memset(key, 0, sizeof(*key));
	memcpy(key->addr[sa], a, sizeof(key->addr[0]));
	memcpy(key->addr[!sa], b, sizeof(key->addr[0]));
	key->port[sa] = pa;
	key->port[!sa] = pb;
	key->family = family;
	key->proto = proto;
	return sa;
}

static void unit_key(const struct flowos_unit *u, struct block_key *key)
{
	make_key(key, u->family, u->proto, u->saddr, u->sport, u->daddr,
		 u->dport);
}

/* ---- Searching ---- */

static void on_hit(void *ctx, u32 pattern)
{
	struct block_state *bs = ctx;

	if (!bs->pattern)
		bs->pattern = pattern + 1;
}

/* Scan @len bytes of @data from *@state; the first pattern + 1, or 0. */
static u32 scan(struct block_state *bs, u32 *state, const u8 *data, u32 len)
{
	bs->pattern = 0;
	*state = flowos_ac_scan(&bs->ac, *state, data, len, on_hit, bs);
	return bs->pattern;
}

/* @pattern was found in what @addr:@port sent to @peer:@peer_port. */
static void record_hit(struct block_state *bs, u8 family, u8 proto,
		       const __be32 *addr, __be16 port,
		       const __be32 *peer, __be16 peer_port, u32 pattern)
{
	struct block_hit *h;

	if (bs->nhits == BLOCK_MAX_HITS)
		return;
	h = &bs->hits[bs->nhits++];
	h->sender = make_key(&h->key, family, proto, addr, port, peer, peer_port);
	h->pattern = pattern;
}

static void block_data(struct flowos_conns *t, struct flowos_conn *c,
		       unsigned int side, const u8 *data, u32 len,
		       unsigned int flags)
{
	struct block_state *bs = t->owner;
	struct block_conn *bc = flowos_conn_priv(c);
	u32 found;

	/* Cut already: its packets are dropped before the table sees them. */
	if (bc->cut)
		return;
	if (flags & FLOWOS_DATA_BREAK)
		bc->state[side] = FLOWOS_AC_START;
	found = scan(bs, &bc->state[side], data, len);
	if (!found)
		return;
	bc->cut = true;
	record_hit(bs, c->family, c->proto, c->addr[side], c->port[side],
		   c->addr[!side], c->port[!side], found - 1);
}

static const struct flowos_conn_ops block_conn_ops = {
	.data = block_data,
};

/*
 * A TCP segment's payload on its own: bytes the table had seen, or had
 * skipped (a hole it gave up on), are not handed to ->data again, yet
 * the receiver may not have had them.  So whatever a segment repeats is
 * searched again, alone.
 */
static void scan_alone(struct block_state *bs, const struct flowos_unit *u)
{
	u32 state = FLOWOS_AC_START, off, found = 0;
	u8 buf[256];

	for (off = 0; off < u->payload_len && !found; off += sizeof(buf)) {
		u32 n = min_t(u32, u->payload_len - off, sizeof(buf));
		const u8 *p = skb_header_pointer(u->skb, u->payload_off + off,
						 n, buf);

		if (!p)
			return;
		found = scan(bs, &state, p, n);
	}
	if (found)
		record_hit(bs, u->family, u->proto, u->saddr, u->sport,
			   u->daddr, u->dport, found - 1);
}

/*
 * Hand the connections table @u alone, the unit at @seq of @win: an
 * occurrence found then completes in @u, or in bytes it let through (a
 * hole it filled, an ACK it carried), or in a connection that its
 * arrival ended.  The table sees the stream layer only, as match.
 */
static void search_unit(struct block_state *bs, const struct flowos_window *win,
			u64 seq, const struct flowos_unit *u)
{
	struct flowos_window one = *win;
	u64 dup = bs->conns.stats.reasm.dup_bytes;

	one.layer = FLOWOS_LAYER_STREAM;
	one.head = seq;
	one.tail = seq + 1;
	flowos_conns_process(&bs->conns, &one);
	if (u->proto == IPPROTO_TCP && bs->conns.stats.reasm.dup_bytes != dup)
		scan_alone(bs, u);
}

/* ---- Blocked connections ---- */

static struct hlist_head *blocked_bucket(struct block_state *bs,
					 const struct block_key *key)
{
	u32 h = jhash2((const u32 *)key, sizeof(*key) / sizeof(u32), bs->seed);

	return &bs->buckets[hash_32(h, bs->hash_bits)];
}

static struct block_entry *entry_find(struct block_state *bs,
				      const struct block_key *key)
{
	struct block_entry *e;

	hlist_for_each_entry(e, blocked_bucket(bs, key), hnode)
		if (!memcmp(&e->key, key, sizeof(*key)))
			return e;
	return NULL;
}

static void entry_forget(struct block_state *bs, struct block_entry *e,
			 unsigned int why)
{
	hlist_del(&e->hnode);
	list_move(&e->lru, &bs->free);
	sub(bs, S_BLOCKED_ACTIVE, 1);
	add(bs, why, 1);
}

/* Block the connection of @h, seen at @now. */
static struct block_entry *entry_add(struct block_state *bs,
				     const struct block_hit *h, u64 now)
{
	struct block_entry *e;

	if (list_empty(&bs->free))
		entry_forget(bs, list_first_entry(&bs->lru, struct block_entry, lru),
			     S_BLOCKED_EVICTED);
	e = list_first_entry(&bs->free, struct block_entry, lru);
	list_del(&e->lru);
	memset(e, 0, sizeof(*e));
	e->key = h->key;
	e->sender = h->sender;
	e->pattern = h->pattern;
	e->last_seen = now;
	hlist_add_head(&e->hnode, blocked_bucket(bs, &h->key));
	list_add_tail(&e->lru, &bs->lru);
	add(bs, S_BLOCKED_ACTIVE, 1);
	add(bs, S_BLOCKED, 1);
	return e;
}

/* @e had a packet at @tstamp: the least recently seen stay first. */
static void entry_seen(struct block_state *bs, struct block_entry *e,
		       u64 tstamp)
{
	/* Rings of other CPUs may hand over older units after newer ones. */
	e->last_seen = max(e->last_seen, tstamp);
	list_move_tail(&e->lru, &bs->lru);
}

static void drop(struct flowos_pm *pm, const struct flowos_window *win,
		 struct flowos_unit *u, struct block_entry *e)
{
	struct block_state *bs = pm->priv;

	entry_seen(bs, e, u->tstamp);
	if (!flowos_unit_drop(pm, win, u))
		return;
	e->packets += u->segs;
	e->bytes += u->wire_len;
	add(bs, S_DROPPED_PACKETS, u->segs);
	add(bs, S_DROPPED_BYTES, u->wire_len);
}

/* The sides of @e, the pattern's sender first: src, sport, dst, dport. */
static int put_sides(struct flowos_results *res, const struct block_entry *e)
{
	const struct block_key *k = &e->key;
	unsigned int s = e->sender;

	flowos_result_put_u64(res, "proto", k->proto);
	flowos_result_put_addr(res, "src", k->family, k->addr[s]);
	flowos_result_put_u64(res, "sport", ntohs(k->port[s]));
	flowos_result_put_addr(res, "dst", k->family, k->addr[!s]);
	return flowos_result_put_u64(res, "dport", ntohs(k->port[!s]));
}

/* The "blocked" event: which connection, and the pattern that cut it. */
static void announce(struct flowos_pm *pm, const struct block_entry *e)
{
	struct flowos_pm_event ev;

	if (!flowos_pm_event_start(pm, &ev, "blocked"))
		return;
	if (put_sides(ev.res, e) ||
	    flowos_result_put_string(ev.res, "pattern",
				     pm->strings[P_PATTERN]->v[e->pattern]))
		flowos_pm_event_cancel(&ev);
	else
		flowos_pm_event_send(pm, &ev);
}

/*
 * Block the connections the last search found a pattern in; the entry of
 * @key, if one of them, or NULL.
 */
static struct block_entry *block_hits(struct flowos_pm *pm,
				      const struct block_key *key, u64 now)
{
	struct block_state *bs = pm->priv;
	struct block_entry *mine = NULL, *e;
	unsigned int i;

	for (i = 0; i < bs->nhits; i++) {
		const struct block_hit *h = &bs->hits[i];

		e = entry_find(bs, &h->key);
		if (!e) {
			e = entry_add(bs, h, now);
			announce(pm, e);
		}
		if (key && !memcmp(&h->key, key, sizeof(*key)))
			mine = e;
	}
	bs->nhits = 0;
	return mine;
}

/* ---- A window ---- */

/*
 * Every packet of the flow, whatever its layer: a blocked connection's
 * pure ACKs are dropped too.  IP fragments, which flowos sees only where
 * nf_defrag does not gather them first, carry no ports: they pass.
 */
static void block_unit(struct flowos_pm *pm, const struct flowos_window *win,
		       u64 seq, struct flowos_unit *u)
{
	struct block_state *bs = pm->priv;
	struct block_key key;
	struct block_entry *e;

	if (!flowos_unit_in_layer(u, FLOWOS_LAYER_TCP) &&
	    !flowos_unit_in_layer(u, FLOWOS_LAYER_UDP))
		return;
	unit_key(u, &key);
	e = entry_find(bs, &key);
	if (!e && flowos_unit_in_layer(u, FLOWOS_LAYER_STREAM)) {
		search_unit(bs, win, seq, u);
		e = block_hits(pm, &key, u->tstamp);
	}
	if (e)
		drop(pm, win, u, e);
}

static unsigned int block_process(struct flowos_pm *pm,
				  const struct flowos_window *win)
{
	struct block_state *bs = pm->priv;
	const struct flowos_unit *u;
	u64 seq;

	mutex_lock(&bs->lock);
	flowos_window_for_each(win, seq, u)
		block_unit(pm, win, seq, flowos_unit_rw(pm, u));
	mutex_unlock(&bs->lock);
	return win->tail - win->head;
}

static void block_tick(struct flowos_pm *pm, unsigned int worker, u64 now)
{
	struct block_state *bs = pm->priv;
	struct block_entry *e, *tmp;

	mutex_lock(&bs->lock);
	/* Connections that end may hand over bytes queued behind a hole. */
	flowos_conns_expire(&bs->conns, now);
	block_hits(pm, NULL, now);
	list_for_each_entry_safe(e, tmp, &bs->lru, lru) {
		if (e->last_seen + bs->blocked_idle_ns > now)
			break;
		entry_forget(bs, e, S_BLOCKED_EXPIRED);
	}
	mutex_unlock(&bs->lock);
}

/* ---- Results ---- */

static int put_row(struct flowos_results *res, const struct flowos_pm *pm,
		   const struct block_entry *e)
{
	flowos_result_row_start(res);
	put_sides(res, e);
	flowos_result_put_string(res, "pattern",
				 pm->strings[P_PATTERN]->v[e->pattern]);
	flowos_result_put_u64(res, "dropped_packets", e->packets);
	flowos_result_put_u64(res, "dropped_bytes", e->bytes);
	return flowos_result_end(res);
}

/*
 * The connections blocked now, the most recently seen first, at most
 * BLOCK_REPORT_ROWS: copied under the lock, written out after it.
 */
static int block_fill_results(const struct flowos_pm *pm,
			      struct flowos_results *res)
{
	struct block_state *bs = pm->priv;
	unsigned int i, n = 0, room;
	struct block_entry *rows, *e;

	/* Room for those blocked now; any blocked meanwhile wait a read. */
	room = min_t(u64, READ_ONCE(bs->scalars[S_BLOCKED_ACTIVE]),
		     BLOCK_REPORT_ROWS);
	rows = flowos_result_scratch(res, (room ?: 1) * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	mutex_lock(&bs->lock);
	list_for_each_entry_reverse(e, &bs->lru, lru) {
		if (n == room)
			break;
		rows[n++] = *e;
	}
	mutex_unlock(&bs->lock);
	flowos_result_table_start(res, "blocked");
	for (i = 0; i < n; i++)
		if (put_row(res, pm, &rows[i]))
			break;
	return flowos_result_end(res);
}

static u64 block_read_scalar(const struct flowos_pm *pm, unsigned int i)
{
	const struct block_state *bs = pm->priv;
	const struct flowos_conns_stats *s = &bs->conns.stats;

	switch (i) {
	case S_BYTES:		return READ_ONCE(s->reasm.bytes);
	case S_CONNS_ACTIVE:	return READ_ONCE(s->active);
	case S_CONNS_EVICTED:	return READ_ONCE(s->evicted);
	case S_CONNS_REFUSED:	return READ_ONCE(s->refused);
	case S_GAP_BYTES:	return READ_ONCE(s->reasm.gap_bytes);
	}
	return READ_ONCE(bs->scalars[i]);
}

/* ---- Instances ---- */

static void block_free(struct block_state *bs)
{
	flowos_pm_ac_free(&bs->ac);
	kvfree(bs->pool);
	kvfree(bs->buckets);
	flowos_mem_uncharge(bs->charged);
	kfree(bs);
}

/* The table of blocked connections, charged to the memory cap. */
static int blocked_init(struct block_state *bs, unsigned int n)
{
	unsigned int i, hash_bits = ilog2(roundup_pow_of_two(n));
	size_t charge = n * sizeof(*bs->pool) +
			(sizeof(*bs->buckets) << hash_bits);

	if (!flowos_mem_charge(charge))
		return -ENOSPC;
	bs->charged = charge;
	bs->pool = kvcalloc(n, sizeof(*bs->pool), GFP_KERNEL);
	bs->buckets = kvcalloc(1U << hash_bits, sizeof(*bs->buckets), GFP_KERNEL);
	if (!bs->pool || !bs->buckets)
		return -ENOMEM;
	bs->hash_bits = hash_bits;
	bs->seed = get_random_u32();
	for (i = 0; i < n; i++)
		list_add_tail(&bs->pool[i].lru, &bs->free);
	return 0;
}

static int block_init(struct flowos_pm *pm)
{
	struct block_state *bs;
	int err;

	/*
	 * A connection forgotten by the table while still blocked would be
	 * searched afresh, from the middle of its stream.
	 */
	if (pm->params[P_BLOCKED_IDLE] < pm->params[P_IDLE]) {
		pm->errmsg = "blocked_idle must be at least idle";
		return -EINVAL;
	}
	bs = kzalloc(sizeof(*bs), GFP_KERNEL);
	if (!bs)
		return -ENOMEM;
	mutex_init(&bs->lock);
	INIT_LIST_HEAD(&bs->lru);
	INIT_LIST_HEAD(&bs->free);
	bs->blocked_idle_ns = pm->params[P_BLOCKED_IDLE] * NSEC_PER_MSEC;
	err = flowos_pm_ac_build(pm, &bs->ac, pm->strings[P_PATTERN],
				 pm->params[P_NOCASE]) ?:
	      blocked_init(bs, pm->params[P_MAX_CONNS]);
	if (err)
		goto free;
	err = flowos_conns_init(&bs->conns, &block_conn_ops, bs,
				sizeof(struct block_conn),
				pm->params[P_MAX_CONNS],
				pm->params[P_OOO_KB] * SZ_1K,
				pm->params[P_IDLE]);
	if (err)
		goto free;
	pm->priv = bs;
	return 0;

free:
	block_free(bs);
	return err;
}

static void block_fini(struct flowos_pm *pm)
{
	struct block_state *bs = pm->priv;

	flowos_conns_fini(&bs->conns);
	block_free(bs);
}

static struct flowos_pm_ops block_ops = {
	.name = "block",
	.owner = THIS_MODULE,
	.layer = FLOWOS_LAYER_IP,	/* the stream layer is searched */
	.mode = FLOWOS_PM_MODE_RW,
	.needs_inline = true,
	.params = block_params,
	.n_params = ARRAY_SIZE(block_params),
	.scalars = block_scalars,
	.n_scalars = ARRAY_SIZE(block_scalars),
	.init = block_init,
	.fini = block_fini,
	.process = block_process,
	.tick = block_tick,
	.read_scalar = block_read_scalar,
	.fill_results = block_fill_results,
};

static int __init block_module_init(void)
{
	return flowos_register_pm(&block_ops);
}

static void __exit block_module_exit(void)
{
	flowos_unregister_pm(&block_ops);
}

module_init(block_module_init);
module_exit(block_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowos PM: cut connections whose payload shows a pattern");
MODULE_ALIAS_FLOWOS_PM("block");
