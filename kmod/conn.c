// SPDX-License-Identifier: GPL-2.0
/*
 * Connections of a PM instance and their payload in order
 * (include/flowos/conn.h): a hash table keyed on the unordered pair of
 * endpoints, an LRU list, and a reassembler per TCP side.  Everything
 * here runs in one instance's thread; there is no locking of its own.
 *
 * Memory: the buckets, every connection and every queued segment are
 * charged to the global cap.  A connection that cannot be had is
 * counted (refused) and its unit skipped; a segment that cannot be
 * queued becomes a gap, as a full queue does.
 */
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <net/tcp.h>
#include <flowos/conn.h>

/* Endpoints in a canonical order, so both directions hash alike. */
struct conn_key {
	__be32 addr[FLOWOS_NSIDES][4];
	__be16 port[FLOWOS_NSIDES];
	u8 family;
	u8 proto;
	u16 pad;
};

static bool endpoint_less(const __be32 *a1, __be16 p1, const __be32 *a2,
			  __be16 p2)
{
	int c = memcmp(a1, a2, 16);

	return c < 0 || (!c && (__force u16)p1 < (__force u16)p2);
}

static u32 unit_hash(const struct flowos_conns *t, const struct flowos_unit *u)
{
	struct conn_key k = { .family = u->family, .proto = u->proto };
	int lo = endpoint_less(u->saddr, u->sport, u->daddr, u->dport) ? 0 : 1;

	memcpy(k.addr[lo], u->saddr, 16);
	memcpy(k.addr[!lo], u->daddr, 16);
	k.port[lo] = u->sport;
	k.port[!lo] = u->dport;
	return jhash2((const u32 *)&k, sizeof(k) / sizeof(u32), t->seed);
}

/* The side of @c that sent @u, or -1 if @u is not of @c. */
static int conn_side(const struct flowos_conn *c, const struct flowos_unit *u)
{
	if (c->family != u->family || c->proto != u->proto)
		return -1;
	if (c->port[0] == u->sport && c->port[1] == u->dport &&
	    !memcmp(c->addr[0], u->saddr, 16) && !memcmp(c->addr[1], u->daddr, 16))
		return FLOWOS_SIDE_A;
	if (c->port[1] == u->sport && c->port[0] == u->dport &&
	    !memcmp(c->addr[1], u->saddr, 16) && !memcmp(c->addr[0], u->daddr, 16))
		return FLOWOS_SIDE_B;
	return -1;
}

static struct hlist_head *conn_bucket(const struct flowos_conns *t, u32 hash)
{
	return &t->buckets[hash_32(hash, t->bits)];
}

static struct flowos_conn *conn_find(const struct flowos_conns *t,
				     const struct flowos_unit *u, u32 hash,
				     int *side)
{
	struct flowos_conn *c;

	hlist_for_each_entry(c, conn_bucket(t, hash), hnode) {
		*side = conn_side(c, u);
		if (*side >= 0)
			return c;
	}
	return NULL;
}

static size_t conn_size(const struct flowos_conns *t)
{
	return sizeof(struct flowos_conn) + t->priv_size;
}

/*
 * End @c: deliver what its queues hold, tell the PM, free it, and count
 * it in *@why (when the instance stops, in nothing).
 */
static void conn_end(struct flowos_conns *t, struct flowos_conn *c, u64 *why)
{
	unsigned int side;

	for (side = 0; side < FLOWOS_NSIDES; side++) {
		t->cur = c;
		t->cur_side = side;
		flowos_reasm_flush(&c->half[side], &t->env);
	}
	if (t->ops->end)
		t->ops->end(t, c);
	hlist_del(&c->hnode);
	list_del(&c->lru);
	kfree(c);
	flowos_mem_uncharge(conn_size(t));
	WRITE_ONCE(t->stats.active, t->stats.active - 1);
	if (why)
		WRITE_ONCE(*why, *why + 1);
}

static struct flowos_conn *conn_new(struct flowos_conns *t,
				    const struct flowos_unit *u, u32 hash)
{
	struct flowos_conn *c;

	if (t->stats.active >= t->max)
		conn_end(t, list_first_entry(&t->lru, struct flowos_conn, lru),
			 &t->stats.evicted);
	if (!flowos_mem_charge(conn_size(t)))
		return NULL;
	c = kzalloc(conn_size(t), GFP_KERNEL);
	if (!c) {
		flowos_mem_uncharge(conn_size(t));
		return NULL;
	}
	c->id = ++t->next_id;
	c->family = u->family;
	c->proto = u->proto;
	memcpy(c->addr[FLOWOS_SIDE_A], u->saddr, 16);
	memcpy(c->addr[FLOWOS_SIDE_B], u->daddr, 16);
	c->port[FLOWOS_SIDE_A] = u->sport;
	c->port[FLOWOS_SIDE_B] = u->dport;
	hlist_add_head(&c->hnode, conn_bucket(t, hash));
	list_add_tail(&c->lru, &t->lru);
	WRITE_ONCE(t->stats.active, t->stats.active + 1);
	WRITE_ONCE(t->stats.opened, t->stats.opened + 1);
	return c;
}

/* Reassembler callbacks: the bytes of t->cur's side t->cur_side. */
static void emit_bytes(void *ctx, const u8 *data, u32 len, unsigned int flags)
{
	struct flowos_conns *t = ctx;

	t->ops->data(t, t->cur, t->cur_side, data, len, flags);
}

/*
 * Bytes @off..@off + @len of an skb, in the linear pieces it is made of:
 * no copy.  skb_seq_read() hands out whole pieces, which may run past
 * the end asked for: cut the last one.
 */
static void emit_src(void *ctx, const void *src, u32 off, u32 len,
		     unsigned int flags)
{
	struct sk_buff *skb = (struct sk_buff *)src;
	struct skb_seq_state st;
	unsigned int consumed = 0, n;
	const u8 *data;

	skb_prepare_seq_read(skb, off, off + len, &st);
	while (consumed < len &&
	       (n = skb_seq_read(consumed, &data, &st)) != 0) {
		n = min(n, len - consumed);
		emit_bytes(ctx, data, n, flags);
		flags = 0;
		consumed += n;
	}
	skb_abort_seq_read(&st);
}

static void copy_bytes(const void *src, u32 off, u32 len, u8 *to)
{
	if (WARN_ON_ONCE(skb_copy_bits(src, off, to, len)))
		memset(to, 0, len);
}

/* Queued segments are charged to the cap as the slab allocator rounds them. */
static void *seg_alloc(void *ctx, size_t size)
{
	size_t charge = kmalloc_size_roundup(size);
	void *p;

	if (!flowos_mem_charge(charge))
		return NULL;
	p = kmalloc(size, GFP_KERNEL | __GFP_NOWARN);
	if (!p)
		flowos_mem_uncharge(charge);
	return p;
}

static void seg_free(void *ctx, void *p, size_t size)
{
	kfree(p);
	flowos_mem_uncharge(kmalloc_size_roundup(size));
}

int flowos_conns_init(struct flowos_conns *t, const struct flowos_conn_ops *ops,
		      void *owner, size_t priv_size, unsigned int max_conns,
		      u32 ooo_limit, u64 idle_ms)
{
	memset(t, 0, sizeof(*t));
	t->bits = ilog2(roundup_pow_of_two(max(max_conns, 2U)));
	if (!flowos_mem_charge(sizeof(*t->buckets) << t->bits))
		return -ENOSPC;
	t->buckets = kvcalloc(1U << t->bits, sizeof(*t->buckets), GFP_KERNEL);
	if (!t->buckets) {
		flowos_mem_uncharge(sizeof(*t->buckets) << t->bits);
		return -ENOMEM;
	}
	t->ops = ops;
	t->owner = owner;
	t->priv_size = priv_size;
	t->max = max_conns;
	t->idle_ns = idle_ms * NSEC_PER_MSEC;
	t->seed = get_random_u32();
	INIT_LIST_HEAD(&t->lru);
	t->env = (struct flowos_reasm_env) {
		.ctx = t,
		.emit_src = emit_src,
		.emit = emit_bytes,
		.copy = copy_bytes,
		.alloc = seg_alloc,
		.free = seg_free,
		.ooo_limit = ooo_limit,
		.ooo_max_segs = FLOWOS_REASM_MAX_SEGS,
		.stats = &t->stats.reasm,
	};
	return 0;
}
EXPORT_SYMBOL_GPL(flowos_conns_init);

void flowos_conns_fini(struct flowos_conns *t)
{
	struct flowos_conn *c, *tmp;

	list_for_each_entry_safe(c, tmp, &t->lru, lru)
		conn_end(t, c, NULL);
	kvfree(t->buckets);
	flowos_mem_uncharge(sizeof(*t->buckets) << t->bits);
	t->buckets = NULL;
}
EXPORT_SYMBOL_GPL(flowos_conns_fini);

/* Every side that sent has delivered up to its FIN. */
static bool conn_finished(const struct flowos_conn *c)
{
	unsigned int side;

	for (side = 0; side < FLOWOS_NSIDES; side++)
		if (c->seen & BIT(side) && !flowos_reasm_done(&c->half[side]))
			return false;
	return true;
}

/*
 * A UDP GSO or GRO packet holds u->segs datagrams of u->gso_size bytes
 * but the last: each is a message of its own, as on the wire.
 */
static void take_udp(struct flowos_conns *t, struct flowos_conn *c,
		     const struct flowos_unit *u)
{
	u32 size = u->segs > 1 && u->gso_size ? u->gso_size : u->payload_len;
	u32 off = 0, n, datagrams = 0;

	do {
		n = min(size, u->payload_len - off);
		emit_src(t, u->skb, u->payload_off + off, n, FLOWOS_DATA_BREAK);
		off += n;
		datagrams++;
	} while (off < u->payload_len);
	t->stats.reasm.bytes += u->payload_len;
	WRITE_ONCE(t->stats.datagrams, t->stats.datagrams + datagrams);
}

/*
 * The units of one ring come in the order they were seen, but the PM
 * takes the rings of different CPUs in turns: a segment on another ring
 * than its ACK's may not have been taken yet, and would be skipped as a
 * gap.  So an ACK applies at once when the side it acknowledges sent
 * its last unit on the ACK's ring; otherwise it waits for that side's
 * next unit seen after it (which comes after every earlier unit of its
 * ring), or for the connection's end.  A side is taken to send on one
 * ring, as receive hashing does it.
 */
static void ack_side(struct flowos_conns *t, struct flowos_conn *c,
		     unsigned int side, u32 ack)
{
	unsigned int cur = t->cur_side;

	t->cur_side = side;
	flowos_reasm_ack(&c->half[side], &t->env, ack);
	t->cur_side = cur;
	/* The ACK waiting, if not after this one, is done too. */
	if (c->ack_wait & BIT(side) && !after(c->ack[side], ack))
		c->ack_wait &= ~BIT(side);
}

/* @u, of side t->cur_side, acknowledges the other side's bytes. */
static void take_ack(struct flowos_conns *t, struct flowos_conn *c,
		     const struct flowos_unit *u)
{
	unsigned int other = !t->cur_side;

	if (!(u->tcp_flags & TCPHDR_ACK) || !(c->seen & BIT(other)))
		return;
	if (c->ring[other] == t->cur_ring) {
		ack_side(t, c, other, u->tcp_ack);
		return;
	}
	if (!(c->ack_wait & BIT(other)) || after(u->tcp_ack, c->ack[other])) {
		c->ack[other] = u->tcp_ack;
		c->ack_tstamp[other] = u->tstamp;
		c->ack_wait |= BIT(other);
	}
}

/* A unit of t->cur_side seen after the ACK waiting for it: apply it. */
static void take_waiting_ack(struct flowos_conns *t, struct flowos_conn *c,
			     const struct flowos_unit *u)
{
	unsigned int side = t->cur_side;

	if (c->ack_wait & BIT(side) && u->tstamp >= c->ack_tstamp[side])
		ack_side(t, c, side, c->ack[side]);
}

static void take_tcp(struct flowos_conns *t, struct flowos_conn *c,
		     const struct flowos_unit *u)
{
	/* A unit queued without its packet carries no bytes: a hole. */
	u32 len = u->skb ? u->payload_len : 0;

	/*
	 * The ACK first: its sender had the bytes it acknowledges before
	 * it sent this segment's, so the PM sees the two sides in the
	 * order the conversation went (a request's tail, then the
	 * response), and an ACK that lets the other side reach its FIN
	 * counts before conn_finished() below.
	 */
	take_waiting_ack(t, c, u);
	take_ack(t, c, u);
	flowos_reasm_segment(&c->half[t->cur_side], &t->env, u->tcp_seq,
			     u->tcp_flags, u->skb, u->payload_off, len);
	if (u->tcp_flags & TCPHDR_RST)
		conn_end(t, c, &t->stats.reset);
	else if (conn_finished(c))
		conn_end(t, c, &t->stats.finished);
}

/*
 * A unit that could open a connection: one with bytes, or a SYN.  A
 * stray FIN or RST of a connection already gone opens nothing.
 */
static bool unit_opens(const struct flowos_unit *u)
{
	return u->payload_len ||
	       (u->proto == IPPROTO_TCP && (u->tcp_flags & TCPHDR_SYN));
}

static void take_unit(struct flowos_conns *t, const struct flowos_unit *u)
{
	u32 hash = unit_hash(t, u);
	struct flowos_conn *c;
	int side;

	c = conn_find(t, u, hash, &side);
	/*
	 * A SYN of a new connection on the 4-tuple (the old one's FIN was
	 * lost or dropped): the old one ends, with both its halves and
	 * what the PM keeps of it, and the SYN opens another.
	 */
	if (c && u->proto == IPPROTO_TCP &&
	    flowos_reasm_new_syn(&c->half[side], u->tcp_seq, u->tcp_flags)) {
		conn_end(t, c, &t->stats.reasm.restarts);
		c = NULL;
	}
	if (!c) {
		if (!unit_opens(u))
			return;
		c = conn_new(t, u, hash);
		if (!c) {
			WRITE_ONCE(t->stats.refused, t->stats.refused + 1);
			return;
		}
		side = FLOWOS_SIDE_A;
	}
	c->last_seen = u->tstamp;
	c->seen |= BIT(side);
	c->ring[side] = t->cur_ring;
	list_move_tail(&c->lru, &t->lru);
	t->cur = c;
	t->cur_side = side;
	if (u->proto == IPPROTO_UDP) {
		if (u->skb)
			take_udp(t, c, u);
	} else {
		take_tcp(t, c, u);
	}
}

unsigned int flowos_conns_process(struct flowos_conns *t,
				  const struct flowos_window *win)
{
	const struct flowos_unit *u;
	u64 seq;

	t->cur_ring = win->cpu;
	flowos_window_for_each(win, seq, u)
		if (u->proto == IPPROTO_TCP || u->proto == IPPROTO_UDP)
			take_unit(t, u);
	return win->tail - win->head;
}
EXPORT_SYMBOL_GPL(flowos_conns_process);

void flowos_conns_expire(struct flowos_conns *t, u64 now)
{
	struct flowos_conn *c, *tmp;

	list_for_each_entry_safe(c, tmp, &t->lru, lru) {
		if (c->last_seen + t->idle_ns > now)
			break;
		conn_end(t, c, &t->stats.expired);
	}
}
EXPORT_SYMBOL_GPL(flowos_conns_expire);
