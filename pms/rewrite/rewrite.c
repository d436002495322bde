// SPDX-License-Identifier: GPL-2.0
/*
 * rewrite: replace a byte pattern in the TCP and UDP payload of an
 * inline flow, as it passes (a read-write PM: seeds/002 4.3, FlowOS's
 * PMs that change the flow's content in pipeline order).
 *
 *	flowctl create web dport 80 proto tcp mode inline
 *	flowctl attach web rewrite pattern 'secret' with 'XXXXXX'
 *		[hold 50ms] [history 64] [max_conns 4096] [idle 60s]
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
 * than REWRITE_MAX_KEPT + 1 segments (those kept, and the one that
 * completes it) is not replaced (missed).
 *
 * Retransmissions: a segment that repeats bytes already seen is searched
 * on its own for whole occurrences, then gets the recent replacements
 * again where its bytes still hold the pattern (the sender still holds
 * the original); a segment past a hole starts the search over, and a
 * SYN the direction.  Occurrences across a hole are not replaced, nor
 * those whose segments came on two CPUs' rings out of order (the
 * instance's thread takes the rings one after the other).
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
#include <flowos/ac.h>
#include <flowos/pm.h>

/* The longest pattern, as flowos_pattern_check() lets through. */
#define REWRITE_PATTERN_MAX	FLOWOS_AC_PATTERN_MAX
/* Segments one direction keeps at most while an occurrence may complete. */
#define REWRITE_MAX_KEPT	4
/* Payload bytes searched per read of a packet. */
#define REWRITE_CHUNK		256

enum { P_PATTERN, P_WITH, P_HOLD, P_HISTORY, P_MAX_CONNS, P_IDLE };

static const struct flowos_pm_param rewrite_params[] = {
	[P_PATTERN] = { "pattern", FLOWOS_PARAM_STRING, 1, 1, 0,
			"bytes to replace; hex:HEX for binary",
			.check = flowos_pattern_check },
	[P_WITH] = { "with", FLOWOS_PARAM_STRING, 1, 1, 0,
		     "what replaces them: as many bytes; hex:HEX for binary",
		     .check = flowos_pattern_check },
	[P_HOLD] = { "hold", FLOWOS_PARAM_DURATION, 1, 10 * MSEC_PER_SEC, 50,
		     "longest a segment waits for the next one of its direction" },
	[P_HISTORY] = { "history", FLOWOS_PARAM_U64, 1, 4096, 64,
			"replacements remembered per direction, for retransmissions" },
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
	u16 nhistory;
	u16 history_pos;
	u32 matched;			/* pattern bytes ending at @next */
	u32 next;			/* sequence number of the next byte */
	struct rewrite_kept kept[REWRITE_MAX_KEPT];	/* oldest first */
	u32 *history;			/* where replacements began */
};

struct rewrite_state {
	u8 pattern[REWRITE_PATTERN_MAX];
	u8 with[REWRITE_PATTERN_MAX];
	u8 fail[REWRITE_PATTERN_MAX];	/* KMP: the longest border of each prefix */
	u32 len;
	u32 history_len;
	u64 hold_ns;
	u64 idle_ns;
	u32 seed;
	unsigned int hash_bits;
	struct hlist_head *buckets;
	struct list_head lru;
	struct list_head free;
	struct list_head keeping;	/* directions with units kept */
	struct rewrite_dir *pool;
	u32 *histories;			/* the pool's, history_len each */
	size_t charged;
	u64 *seen;			/* per CPU: next unit not yet searched */
	u64 scalars[ARRAY_SIZE(rewrite_scalars)];
};

static void add(struct rewrite_state *rs, unsigned int i, u64 n)
{
	WRITE_ONCE(rs->scalars[i], rs->scalars[i] + n);
}

/* ---- The table of directions ---- */

static struct hlist_head *conn_bucket(struct rewrite_state *rs,
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
	u32 *history;

	memcpy(key.saddr, u->saddr, sizeof(key.saddr));
	memcpy(key.daddr, u->daddr, sizeof(key.daddr));
	key.sport = u->sport;
	key.dport = u->dport;
	key.family = u->family;
	head = conn_bucket(rs, &key);
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
	history = d->history;
	memset(d, 0, sizeof(*d));
	d->history = history;
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

/* Payload bytes of a unit: sequence numbers [seq, seq + len). */
struct rewrite_span {
	struct flowos_unit *u;
	u32 seq;
	u32 len;
};

/*
 * The bytes [*@from, *@to) of @sp that hold part of the occurrence at
 * @start, and where that part begins in the pattern; false if none.
 */
static bool part_of(const struct rewrite_state *rs,
		    const struct rewrite_span *sp, u32 start, u32 *from,
		    u32 *to, u32 *at)
{
	s64 rel = (s32)(start - sp->seq);	/* maybe before @sp */
	s64 lo = max_t(s64, rel, 0);
	s64 hi = min_t(s64, rel + rs->len, sp->len);

	if (lo >= hi)
		return false;
	*from = lo;
	*to = hi;
	*at = lo - rel;
	return true;
}

/*
 * Replace the occurrence at @start in the @n spans that hold it: every
 * part or, when a packet cannot be made writable (no memory to copy it,
 * a GRO list), none, counted as failed.  Whether it was replaced.
 */
static bool replace(struct flowos_pm *pm, const struct rewrite_span *sp,
		    unsigned int n, u32 start)
{
	struct rewrite_state *rs = pm->priv;
	u32 from, to, at;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (part_of(rs, &sp[i], start, &from, &to, &at) &&
		    flowos_unit_writable(pm, sp[i].u, from, to - from)) {
			add(rs, S_FAILED, 1);
			return false;
		}
	for (i = 0; i < n; i++)
		if (part_of(rs, &sp[i], start, &from, &to, &at))
			flowos_unit_write(pm, sp[i].u, from, rs->with + at,
					  to - from);
	return true;
}

static bool in_history(const struct rewrite_dir *d, u32 start)
{
	unsigned int i;

	for (i = 0; i < d->nhistory; i++)
		if (d->history[i] == start)
			return true;
	return false;
}

static void remember(struct rewrite_dir *d, u32 start, u32 history_len)
{
	d->history[d->history_pos] = start;
	d->history_pos = (d->history_pos + 1) % history_len;
	d->nhistory = min_t(u32, d->nhistory + 1, history_len);
}

/*
 * The replacements remembered, again, in the retransmitted payload of
 * @u at @seq, its first @len bytes: where the bytes are still the
 * pattern's (a sender's original copy), never over others.
 */
static void rewrite_again(struct flowos_pm *pm, struct rewrite_dir *d,
			  struct flowos_unit *u, u32 seq, u32 len)
{
	struct rewrite_state *rs = pm->priv;
	struct rewrite_span sp = { .u = u, .seq = seq, .len = len };
	u8 buf[REWRITE_PATTERN_MAX];
	u32 from, to, at;
	unsigned int i;

	for (i = 0; i < d->nhistory; i++) {
		const u8 *p;

		if (!part_of(rs, &sp, d->history[i], &from, &to, &at))
			continue;
		p = skb_header_pointer(u->skb, u->payload_off + from,
				       to - from, buf);
		if (p && !memcmp(p, rs->pattern + at, to - from))
			replace(pm, &sp, 1, d->history[i]);
	}
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
 * Search @u's payload [@off, @end), @matched pattern bytes already
 * matched before it, for occurrences; @found(pm, ctx, end) gets the
 * payload offset just past each one.  Returns the bytes matched at the
 * end.  Occurrences do not overlap: the search starts over after one.
 * The packet is read a chunk at a time, and written only between
 * chunks, so that no pointer into it outlives a write.
 */
static u32 search(struct flowos_pm *pm, struct flowos_unit *u, u32 off,
		  u32 end, u32 matched,
		  void (*found)(struct flowos_pm *pm, void *ctx, u32 end),
		  void *ctx)
{
	struct rewrite_state *rs = pm->priv;
	u16 ends[REWRITE_CHUNK];
	u8 buf[REWRITE_CHUNK];

	add(rs, S_BYTES, end - off);
	while (off < end) {
		u32 n = min_t(u32, end - off, REWRITE_CHUNK);
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
	struct rewrite_span sp[REWRITE_MAX_KEPT + 1];
	u32 start = io->seq + end - rs->len;
	unsigned int i;

	for (i = 0; i < io->d->nkept; i++)
		sp[i] = (struct rewrite_span){ io->d->kept[i].u,
					       io->d->kept[i].seq,
					       io->d->kept[i].len };
	sp[i++] = (struct rewrite_span){ io->u, io->seq, io->u->payload_len };
	if (!replace(pm, sp, i, start))
		return;
	remember(io->d, start, rs->history_len);
	add(rs, S_REWRITTEN, 1);
}

/* An occurrence wholly inside a unit searched on its own. */
static void found_alone(struct flowos_pm *pm, void *ctx, u32 end)
{
	struct rewrite_state *rs = pm->priv;
	struct in_order *io = ctx;
	struct rewrite_span sp = { io->u, io->seq, io->u->payload_len };
	u32 start = io->seq + end - rs->len;

	if (!replace(pm, &sp, 1, start) ||
	    (io->d && in_history(io->d, start)))
		return;
	if (io->d)
		remember(io->d, start, rs->history_len);
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
			u64 wseq, struct flowos_unit *u, struct rewrite_dir *d)
{
	struct rewrite_state *rs = pm->priv;
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
	} else if (!after(io.seq + u->payload_len, d->next)) {
		/*
		 * Bytes seen already, the sender's original copy: whole
		 * occurrences first, on the bytes as they came, then the
		 * parts of those that straddled its ends.
		 */
		search(pm, u, 0, u->payload_len, 0, found_alone, &io);
		rewrite_again(pm, d, u, io.seq, u->payload_len);
		return;
	} else if (before(io.seq, d->next)) {
		/* Some seen already, then new ones. */
		off = d->next - io.seq;
		rewrite_again(pm, d, u, io.seq, off);
	}
	d->matched = search(pm, u, off, u->payload_len, d->matched,
			    found_in_order, &io);
	d->next = io.seq + u->payload_len;
	keep(rs, d, win, wseq, u, io.seq);
}

/*
 * A TCP unit of the stream layer: a SYN begins the direction anew (a
 * new connection on the same 4-tuple has other sequence numbers), and
 * after a FIN or RST nothing follows to complete an occurrence.
 */
static void tcp_unit(struct flowos_pm *pm, const struct flowos_window *win,
		     u64 wseq, struct flowos_unit *u)
{
	struct rewrite_state *rs = pm->priv;
	struct rewrite_dir *d = dir_find(rs, u);

	if (u->tcp_flags & TCPHDR_SYN) {
		let_go(rs, d);
		d->started = false;
		d->nhistory = 0;
	}
	if (u->payload_len)
		tcp_segment(pm, win, wseq, u, d);
	if (u->tcp_flags & (TCPHDR_FIN | TCPHDR_RST))
		let_go(rs, d);
}

/* A UDP datagram, or each of those a UDP GSO packet stands for. */
static void udp_unit(struct flowos_pm *pm, struct flowos_unit *u)
{
	u32 seg = u->segs > 1 && u->gso_size ? u->gso_size : u->payload_len;
	struct in_order io = { .u = u };
	u32 off;

	for (off = 0; off < u->payload_len; off += seg)
		search(pm, u, off, min(off + seg, u->payload_len), 0,
		       found_alone, &io);
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
	const struct flowos_unit *u;

	for (; (u = flowos_window_next(win, &seq)) != NULL; seq++) {
		if (u->proto == IPPROTO_TCP)
			tcp_unit(pm, win, seq, flowos_unit_rw(pm, u));
		else if (u->proto == IPPROTO_UDP)
			udp_unit(pm, flowos_unit_rw(pm, u));
	}
	rs->seen[win->cpu] = win->tail;
	/* After the window: the next segment may have been in it. */
	expire_kept(rs, ktime_get_ns());
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
	       pm->params[P_MAX_CONNS] * (sizeof(struct rewrite_dir) +
					  pm->params[P_HISTORY] * sizeof(u32)) +
	       (sizeof(struct hlist_head) << hash_bits) +
	       nr_cpu_ids * sizeof(u64);
}

static void rewrite_free(struct rewrite_state *rs)
{
	kvfree(rs->pool);
	kvfree(rs->histories);
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
	rs->history_len = pm->params[P_HISTORY];
	rs->pool = kvcalloc(n, sizeof(*rs->pool), GFP_KERNEL);
	rs->histories = kvcalloc(array_size(n, rs->history_len),
				 sizeof(*rs->histories), GFP_KERNEL);
	rs->buckets = kvcalloc(1U << hash_bits, sizeof(*rs->buckets), GFP_KERNEL);
	rs->seen = kcalloc(nr_cpu_ids, sizeof(*rs->seen), GFP_KERNEL);
	if (!rs->pool || !rs->histories || !rs->buckets || !rs->seen)
		goto fail;
	rs->hash_bits = hash_bits;
	rs->seed = get_random_u32();
	rs->hold_ns = pm->params[P_HOLD] * NSEC_PER_MSEC;
	rs->idle_ns = pm->params[P_IDLE] * NSEC_PER_MSEC;
	INIT_LIST_HEAD(&rs->lru);
	INIT_LIST_HEAD(&rs->free);
	INIT_LIST_HEAD(&rs->keeping);
	for (i = 0; i < n; i++) {
		rs->pool[i].history = rs->histories + i * rs->history_len;
		list_add_tail(&rs->pool[i].lru, &rs->free);
	}
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
	.layer = FLOWOS_LAYER_STREAM,
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
