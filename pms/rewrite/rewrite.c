// SPDX-License-Identifier: GPL-2.0
/*
 * rewrite: replace a byte pattern in the TCP and UDP payload of an
 * inline flow, as it passes (a read-write PM: seeds/002 4.3, FlowOS's
 * PMs that change the flow's content in pipeline order).
 *
 *	flowctl create web dport 80 proto tcp mode inline
 *	flowctl attach web rewrite pattern 'secret' with 'XXXXXX'
 *		[hold 50ms] [max_conns 4096] [idle 60s]
 *
 * Values are the bytes of their text, or hex:HEX, as match's patterns;
 * the replacement is as long as the pattern, so no sequence number,
 * length or acknowledgment changes.  Each direction of each TCP
 * connection is one stream of bytes in sequence order: an occurrence is
 * replaced wherever it lies, also across segments, and occurrences do
 * not overlap (the leftmost first, as sed's s/P/R/g).  Several patterns
 * are several instances, in pipeline order.  A UDP datagram is one
 * stream of its own.
 *
 * Across segments: a segment whose end could begin an occurrence (its
 * last bytes are a prefix of the pattern) is kept, not released, until
 * the next segment of its direction shows whether the occurrence
 * completes, or until @hold has passed; then it goes on unchanged
 * (counted in hold_expired).  The units behind a kept one in its ring
 * wait with it: the ring releases in order.  A pattern spread over more
 * than REWRITE_MAX_KEPT segments is not replaced (missed).
 *
 * Retransmissions: a segment that repeats bytes already seen gets the
 * recent replacements in those bytes again (the sender still holds the
 * original), and is searched on its own for whole occurrences; a
 * segment past a hole starts the search over.  Occurrences across a
 * hole are not replaced.
 *
 * The table of directions belongs to the instance's thread; readers
 * see only the counters (READ_ONCE).
 */
#include <linux/jhash.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/tcp.h>
#include <flowos/pm.h>

/* The longest pattern, as match's. */
#define REWRITE_PATTERN_MAX	255
/* Segments one direction keeps at most while an occurrence may complete. */
#define REWRITE_MAX_KEPT	4
/* Replacements remembered per direction, for retransmissions. */
#define REWRITE_HISTORY		16
/* Payload bytes searched per read of a packet. */
#define REWRITE_CHUNK		256

enum { P_PATTERN, P_WITH, P_HOLD, P_MAX_CONNS, P_IDLE };

static const char *check_value(const char *value);

static const struct flowos_pm_param rewrite_params[] = {
	[P_PATTERN] = { "pattern", FLOWOS_PARAM_STRING, 1, 1, 0,
			"bytes to replace; hex:HEX for binary",
			.check = check_value },
	[P_WITH] = { "with", FLOWOS_PARAM_STRING, 1, 1, 0,
		     "what replaces them: as many bytes; hex:HEX for binary",
		     .check = check_value },
	[P_HOLD] = { "hold", FLOWOS_PARAM_DURATION, 1, 10 * MSEC_PER_SEC, 50,
		     "longest a segment waits for the next one of its direction" },
	[P_MAX_CONNS] = { "max_conns", FLOWOS_PARAM_U64, 16, 1 << 20, 4096,
			  "most connection directions followed at once" },
	[P_IDLE] = { "idle", FLOWOS_PARAM_DURATION, MSEC_PER_SEC,
		     3600 * MSEC_PER_SEC, 60 * MSEC_PER_SEC,
		     "a direction without packets for this long is forgotten" },
};

enum {
	S_REWRITTEN, S_BYTES, S_HELD, S_HOLD_EXPIRED, S_MISSED, S_FAILED,
	S_DIRS_ACTIVE, S_DIRS_EVICTED,
};

static const char *const rewrite_scalars[] = {
	[S_REWRITTEN] = "rewritten",
	[S_BYTES] = "bytes_scanned",
	[S_HELD] = "held",
	[S_HOLD_EXPIRED] = "hold_expired",
	[S_MISSED] = "missed",
	[S_FAILED] = "failed",
	[S_DIRS_ACTIVE] = "dirs_active",
	[S_DIRS_EVICTED] = "dirs_evicted",
};

/* A direction of a connection: words, for hashing. */
struct rewrite_key {
	__be32 saddr[4];
	__be32 daddr[4];
	__be16 sport;
	__be16 dport;
	u8 family;
	u8 pad[3];
};

/* A unit kept: the payload of sequence numbers [seq, seq + len). */
struct rewrite_kept {
	struct flowos_unit *u;
	u64 wseq;		/* in its ring */
	unsigned int cpu;	/* whose ring */
	u32 seq;
	u32 len;
	u64 since;		/* ktime_get_ns() when kept */
};

struct rewrite_dir {
	struct hlist_node hnode;
	struct list_head lru;		/* least recently seen first */
	struct list_head keeping;	/* in rewrite_state.keeping, if @nkept */
	struct rewrite_key key;
	u64 last_seen;
	bool started;
	u8 nkept;
	u8 nhistory;
	u8 history_pos;
	u32 matched;			/* pattern bytes ending at @next */
	u32 next;			/* sequence number of the next byte */
	struct rewrite_kept kept[REWRITE_MAX_KEPT];	/* oldest first */
	u32 history[REWRITE_HISTORY];	/* where replacements began */
};

struct rewrite_state {
	u8 pattern[REWRITE_PATTERN_MAX];
	u8 with[REWRITE_PATTERN_MAX];
	u8 fail[REWRITE_PATTERN_MAX];	/* KMP: the longest border of each prefix */
	u32 len;
	u64 hold_ns;
	u64 idle_ns;
	u32 seed;
	unsigned int hash_bits;
	struct hlist_head *buckets;
	struct list_head lru;
	struct list_head free;
	struct list_head keeping;	/* directions with units kept */
	struct rewrite_dir *pool;
	size_t charged;
	u64 *seen;			/* per CPU: next unit not yet searched */
	u64 scalars[ARRAY_SIZE(rewrite_scalars)];
};

static void add(struct rewrite_state *rs, unsigned int i, u64 n)
{
	WRITE_ONCE(rs->scalars[i], rs->scalars[i] + n);
}

static const char *check_value(const char *value)
{
	u8 buf[REWRITE_PATTERN_MAX];

	if (flowos_pattern_decode(value, buf, sizeof(buf)) >= 0)
		return NULL;
	if (!strncmp(value, "hex:", 4))
		return "bad hex, or over 255 bytes (hex: wants pairs of hex digits)";
	return "empty, or over 255 bytes";
}

/* ---- The table of directions ---- */

static struct hlist_head *bucket(struct rewrite_state *rs,
				 const struct rewrite_key *key)
{
	u32 h = jhash2((const u32 *)key, sizeof(*key) / sizeof(u32), rs->seed);

	return &rs->buckets[hash_32(h, rs->hash_bits)];
}

/*
 * Forget the units @d keeps: they go on as they are once their ring
 * releases them, and an occurrence they began is not replaced.
 */
static void let_go(struct rewrite_state *rs, struct rewrite_dir *d)
{
	if (d->nkept)
		list_del(&d->keeping);
	d->nkept = 0;
	d->matched = 0;
}

static void dir_free(struct rewrite_state *rs, struct rewrite_dir *d)
{
	let_go(rs, d);
	hlist_del(&d->hnode);
	list_move(&d->lru, &rs->free);
	add(rs, S_DIRS_ACTIVE, -1);
}

static struct rewrite_dir *dir_find(struct rewrite_state *rs,
				    const struct flowos_unit *u)
{
	struct rewrite_key key = {};
	struct hlist_head *head;
	struct rewrite_dir *d;

	memcpy(key.saddr, u->saddr, sizeof(key.saddr));
	memcpy(key.daddr, u->daddr, sizeof(key.daddr));
	key.sport = u->sport;
	key.dport = u->dport;
	key.family = u->family;
	head = bucket(rs, &key);
	hlist_for_each_entry(d, head, hnode)
		if (!memcmp(&d->key, &key, sizeof(key)))
			goto seen;
	if (list_empty(&rs->free)) {
		/* The least recently seen makes room. */
		dir_free(rs, list_first_entry(&rs->lru, struct rewrite_dir, lru));
		add(rs, S_DIRS_EVICTED, 1);
	}
	d = list_first_entry(&rs->free, struct rewrite_dir, lru);
	list_del(&d->lru);
	memset(d, 0, sizeof(*d));
	d->key = key;
	hlist_add_head(&d->hnode, head);
	list_add_tail(&d->lru, &rs->lru);
	add(rs, S_DIRS_ACTIVE, 1);
	d->last_seen = u->tstamp;
	return d;
seen:
	list_move_tail(&d->lru, &rs->lru);
	d->last_seen = u->tstamp;
	return d;
}

/* ---- Writing replacements ---- */

/*
 * Write the part of the replacement of the occurrence at @start that
 * falls in the payload [@seq, @seq + @len) of @u.
 */
static void write_part(struct flowos_pm *pm, struct flowos_unit *u, u32 seq,
		       u32 len, u32 start)
{
	struct rewrite_state *rs = pm->priv;
	s64 rel = (s32)(start - seq);	/* where it begins in @u: maybe before */
	s64 from = max_t(s64, rel, 0);
	s64 to = min_t(s64, rel + rs->len, len);

	if (from >= to)
		return;
	if (flowos_unit_write(pm, u, from, rs->with + (from - rel), to - from))
		add(rs, S_FAILED, 1);
}

static bool in_history(const struct rewrite_dir *d, u32 start)
{
	unsigned int i;

	for (i = 0; i < d->nhistory; i++)
		if (d->history[i] == start)
			return true;
	return false;
}

static void remember(struct rewrite_dir *d, u32 start)
{
	d->history[d->history_pos] = start;
	d->history_pos = (d->history_pos + 1) % REWRITE_HISTORY;
	d->nhistory = min(d->nhistory + 1, REWRITE_HISTORY);
}

/* The replacements remembered, in the retransmitted payload of @u. */
static void rewrite_again(struct flowos_pm *pm, struct rewrite_dir *d,
			  struct flowos_unit *u, u32 seq, u32 len)
{
	unsigned int i;

	for (i = 0; i < d->nhistory; i++)
		write_part(pm, u, seq, len, d->history[i]);
}

/* ---- Searching ---- */

/* One step of the pattern's automaton: bytes matched after @c. */
static u32 kmp_step(const struct rewrite_state *rs, u32 matched, u8 c)
{
	while (matched && rs->pattern[matched] != c)
		matched = rs->fail[matched - 1];
	return rs->pattern[matched] == c ? matched + 1 : 0;
}

/*
 * Search @u's payload from @off on, @matched pattern bytes already
 * matched before it, for occurrences; @found(pm, ctx, end) gets the
 * payload offset just past each one.  Returns the bytes matched at the
 * end.  Occurrences do not overlap: the search starts over after one.
 * The packet is read a chunk at a time, and written only between
 * chunks, so that no pointer into it outlives a write.
 */
static u32 search(struct flowos_pm *pm, struct flowos_unit *u, u32 off,
		  u32 matched,
		  void (*found)(struct flowos_pm *pm, void *ctx, u32 end),
		  void *ctx)
{
	struct rewrite_state *rs = pm->priv;
	u16 ends[REWRITE_CHUNK];
	u8 buf[REWRITE_CHUNK];

	add(rs, S_BYTES, u->payload_len - off);
	while (off < u->payload_len) {
		u32 n = min_t(u32, u->payload_len - off, REWRITE_CHUNK);
		const u8 *p = skb_header_pointer(u->skb, u->payload_off + off,
						 n, buf);
		unsigned int i, nends = 0;

		if (!p)
			break;
		for (i = 0; i < n; i++) {
			matched = kmp_step(rs, matched, p[i]);
			if (matched == rs->len) {
				ends[nends++] = i + 1;
				matched = 0;
			}
		}
		for (i = 0; i < nends; i++)
			found(pm, ctx, off + ends[i]);
		off += n;
	}
	return matched;
}

/* A direction in sequence order: the context of found_in_order(). */
struct in_order {
	struct rewrite_dir *d;
	struct flowos_unit *u;
	u32 seq;			/* of @u's first payload byte */
};

/* An occurrence ending at @end of the unit in order: maybe in kept ones. */
static void found_in_order(struct flowos_pm *pm, void *ctx, u32 end)
{
	struct rewrite_state *rs = pm->priv;
	struct in_order *io = ctx;
	u32 start = io->seq + end - rs->len;
	unsigned int i;

	for (i = 0; i < io->d->nkept; i++)
		write_part(pm, io->d->kept[i].u, io->d->kept[i].seq,
			   io->d->kept[i].len, start);
	write_part(pm, io->u, io->seq, io->u->payload_len, start);
	remember(io->d, start);
	add(rs, S_REWRITTEN, 1);
}

/* An occurrence wholly inside a unit searched on its own. */
static void found_alone(struct flowos_pm *pm, void *ctx, u32 end)
{
	struct rewrite_state *rs = pm->priv;
	struct in_order *io = ctx;
	u32 start = io->seq + end - rs->len;

	write_part(pm, io->u, io->seq, io->u->payload_len, start);
	if (io->d && in_history(io->d, start))
		return;
	if (io->d)
		remember(io->d, start);
	add(rs, S_REWRITTEN, 1);
}

static void drop_oldest(struct rewrite_dir *d)
{
	memmove(&d->kept[0], &d->kept[1], --d->nkept * sizeof(d->kept[0]));
}

/*
 * After a segment in order, @u at @seq: keep the units that hold the
 * d->matched bytes at the end of the stream, and only those.  Past
 * REWRITE_MAX_KEPT the oldest goes, and with it the occurrence it began:
 * the automaton falls back to the longest match that the rest hold.
 */
static void keep(struct rewrite_state *rs, struct rewrite_dir *d,
		 const struct flowos_window *win, u64 wseq,
		 struct flowos_unit *u, u32 seq)
{
	u32 end = seq + u->payload_len;
	bool keeping = d->nkept;

	for (;;) {
		u32 rest;

		while (d->nkept && !after(d->kept[0].seq + d->kept[0].len,
					  end - d->matched))
			drop_oldest(d);
		if (!d->matched || d->nkept < REWRITE_MAX_KEPT)
			break;
		rest = d->nkept > 1 ? d->kept[1].seq : seq;
		drop_oldest(d);
		add(rs, S_MISSED, 1);
		while (d->matched && before(end - d->matched, rest))
			d->matched = rs->fail[d->matched - 1];
	}
	if (d->matched) {
		d->kept[d->nkept++] = (struct rewrite_kept){
			.u = u, .wseq = wseq, .cpu = win->cpu, .seq = seq,
			.len = u->payload_len, .since = ktime_get_ns(),
		};
		add(rs, S_HELD, 1);
	} else {
		d->nkept = 0;
	}
	if (keeping && !d->nkept)
		list_del(&d->keeping);
	else if (!keeping && d->nkept)
		list_add_tail(&d->keeping, &rs->keeping);
}

/* ---- A window ---- */

/* A TCP segment with payload, @u at @wseq of @win. */
static void tcp_segment(struct flowos_pm *pm, const struct flowos_window *win,
			u64 wseq, struct flowos_unit *u)
{
	struct rewrite_state *rs = pm->priv;
	struct rewrite_dir *d = dir_find(rs, u);
	struct in_order io = { .d = d, .u = u, .seq = u->tcp_seq };
	u32 off = 0;

	/* A SYN's data (TCP Fast Open) begins after the SYN. */
	if (u->tcp_flags & TCPHDR_SYN)
		io.seq++;
	if (!d->started || after(io.seq, d->next)) {
		/* The first bytes seen, or a hole: search from here. */
		let_go(rs, d);
		d->started = true;
		d->next = io.seq;
	} else if (before(io.seq, d->next)) {
		/* Bytes seen already: the sender's original copy. */
		rewrite_again(pm, d, u, io.seq, u->payload_len);
		if (!after(io.seq + u->payload_len, d->next)) {
			search(pm, u, 0, 0, found_alone, &io);
			return;
		}
		off = d->next - io.seq;
	}
	d->matched = search(pm, u, off, d->matched, found_in_order, &io);
	d->next = io.seq + u->payload_len;
	keep(rs, d, win, wseq, u, io.seq);
}

/* Let go of what waited longer than @hold, or waits for nothing now. */
static void expire_kept(struct rewrite_state *rs, u64 now)
{
	struct rewrite_dir *d, *tmp;

	list_for_each_entry_safe(d, tmp, &rs->keeping, keeping) {
		if (now - d->kept[0].since < rs->hold_ns)
			continue;
		add(rs, S_HOLD_EXPIRED, d->nkept);
		let_go(rs, d);
	}
}

/* The first unit of @cpu's ring that a direction keeps, or @tail. */
static u64 first_kept(struct rewrite_state *rs, unsigned int cpu, u64 tail)
{
	struct rewrite_dir *d;
	unsigned int i;

	list_for_each_entry(d, &rs->keeping, keeping)
		for (i = 0; i < d->nkept; i++)
			if (d->kept[i].cpu == cpu)
				tail = min(tail, d->kept[i].wseq);
	return tail;
}

static unsigned int rewrite_process(struct flowos_pm *pm,
				    const struct flowos_window *win)
{
	struct rewrite_state *rs = pm->priv;
	u64 seq = max(win->head, rs->seen[win->cpu]);
	struct flowos_unit *u;

	expire_kept(rs, ktime_get_ns());
	for (; (u = flowos_window_next(win, &seq)) != NULL; seq++) {
		if (u->proto == IPPROTO_TCP) {
			if (u->tcp_flags & (TCPHDR_FIN | TCPHDR_RST)) {
				/* Nothing follows to complete an occurrence. */
				tcp_segment(pm, win, seq, u);
				let_go(rs, dir_find(rs, u));
				continue;
			}
			tcp_segment(pm, win, seq, u);
		} else if (u->proto == IPPROTO_UDP) {
			struct in_order io = { .u = u };

			search(pm, u, 0, 0, found_alone, &io);
		}
	}
	rs->seen[win->cpu] = win->tail;
	return first_kept(rs, win->cpu, win->tail) - win->head;
}

static void rewrite_tick(struct flowos_pm *pm, unsigned int worker, u64 now)
{
	struct rewrite_state *rs = pm->priv;
	struct rewrite_dir *d, *tmp;

	expire_kept(rs, now);
	list_for_each_entry_safe(d, tmp, &rs->lru, lru) {
		if (now - d->last_seen < rs->idle_ns)
			break;
		dir_free(rs, d);
	}
}

/* ---- Instances ---- */

/* The KMP failure function: the longest proper border of each prefix. */
static void build_fail(struct rewrite_state *rs)
{
	u32 i, k = 0;

	rs->fail[0] = 0;
	for (i = 1; i < rs->len; i++) {
		while (k && rs->pattern[i] != rs->pattern[k])
			k = rs->fail[k - 1];
		if (rs->pattern[i] == rs->pattern[k])
			k++;
		rs->fail[i] = k;
	}
}

static int decode_values(struct flowos_pm *pm, struct rewrite_state *rs)
{
	int len = flowos_pattern_decode(pm->strings[P_PATTERN]->v[0],
					rs->pattern, sizeof(rs->pattern));
	int with = flowos_pattern_decode(pm->strings[P_WITH]->v[0], rs->with,
					 sizeof(rs->with));

	if (len < 0 || with < 0) {
		pm->errmsg = "pattern or with: empty, over 255 bytes, or bad hex";
		return -EINVAL;
	}
	if (len != with) {
		pm->errmsg = "with must be as long as pattern: lengths never change";
		return -EINVAL;
	}
	rs->len = len;
	build_fail(rs);
	return 0;
}

static size_t rewrite_charge(const struct flowos_pm *pm, unsigned int hash_bits)
{
	return sizeof(struct rewrite_state) +
	       pm->params[P_MAX_CONNS] * sizeof(struct rewrite_dir) +
	       (sizeof(struct hlist_head) << hash_bits) +
	       nr_cpu_ids * sizeof(u64);
}

static void rewrite_free(struct rewrite_state *rs)
{
	kvfree(rs->pool);
	kvfree(rs->buckets);
	kfree(rs->seen);
	kfree(rs);
}

static int rewrite_init(struct flowos_pm *pm)
{
	unsigned int i, n = pm->params[P_MAX_CONNS];
	unsigned int hash_bits = ilog2(roundup_pow_of_two(n));
	size_t charge = rewrite_charge(pm, hash_bits);
	struct rewrite_state *rs;
	int err;

	if (!flowos_mem_charge(charge))
		return -ENOSPC;
	rs = kzalloc(sizeof(*rs), GFP_KERNEL);
	if (!rs) {
		flowos_mem_uncharge(charge);
		return -ENOMEM;
	}
	rs->charged = charge;
	err = decode_values(pm, rs);
	if (err)
		goto fail;
	err = -ENOMEM;
	rs->pool = kvcalloc(n, sizeof(*rs->pool), GFP_KERNEL);
	rs->buckets = kvcalloc(1U << hash_bits, sizeof(*rs->buckets), GFP_KERNEL);
	rs->seen = kcalloc(nr_cpu_ids, sizeof(*rs->seen), GFP_KERNEL);
	if (!rs->pool || !rs->buckets || !rs->seen)
		goto fail;
	rs->hash_bits = hash_bits;
	rs->seed = get_random_u32();
	rs->hold_ns = pm->params[P_HOLD] * NSEC_PER_MSEC;
	rs->idle_ns = pm->params[P_IDLE] * NSEC_PER_MSEC;
	INIT_LIST_HEAD(&rs->lru);
	INIT_LIST_HEAD(&rs->free);
	INIT_LIST_HEAD(&rs->keeping);
	for (i = 0; i < n; i++)
		list_add_tail(&rs->pool[i].lru, &rs->free);
	pm->priv = rs;
	return 0;

fail:
	rewrite_free(rs);
	flowos_mem_uncharge(charge);
	return err;
}

static void rewrite_fini(struct flowos_pm *pm)
{
	struct rewrite_state *rs = pm->priv;
	size_t charge = rs->charged;

	rewrite_free(rs);
	flowos_mem_uncharge(charge);
}

static u64 rewrite_read_scalar(const struct flowos_pm *pm, unsigned int i)
{
	const struct rewrite_state *rs = pm->priv;

	return READ_ONCE(rs->scalars[i]);
}

static struct flowos_pm_ops rewrite_ops = {
	.name = "rewrite",
	.owner = THIS_MODULE,
	.layer = FLOWOS_LAYER_PAYLOAD,
	.mode = FLOWOS_PM_MODE_RW,
	.needs_inline = true,
	.params = rewrite_params,
	.n_params = ARRAY_SIZE(rewrite_params),
	.scalars = rewrite_scalars,
	.n_scalars = ARRAY_SIZE(rewrite_scalars),
	.init = rewrite_init,
	.fini = rewrite_fini,
	.process = rewrite_process,
	.tick = rewrite_tick,
	.read_scalar = rewrite_read_scalar,
};

static int __init rewrite_module_init(void)
{
	return flowos_register_pm(&rewrite_ops);
}

static void __exit rewrite_module_exit(void)
{
	flowos_unregister_pm(&rewrite_ops);
}

module_init(rewrite_module_init);
module_exit(rewrite_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowos PM: replace a pattern in the payload of an inline flow");
MODULE_ALIAS_FLOWOS_PM("rewrite");
