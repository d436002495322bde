// SPDX-License-Identifier: GPL-2.0
/*
 * Windowed traffic statistics: see wstats.h for what is counted and the
 * integer rules every figure follows.
 *
 * The view's sums (packets, bytes, per protocol, per address) are kept
 * up to date as packets come, and corrected when a window leaves the
 * view, so that a query reads them instead of adding windows up.  The
 * address entries form a min-heap on their view bytes, which gives
 * space-saving its least-counted entry in O(1) and costs O(log n) per
 * packet; rotating the windows re-heapifies once, O(n) per window.
 *
 * A sliding view adds its edge: when a window leaves the view's whole
 * windows, its sums are copied to the edge sums; as now - T moves on,
 * its kept units at or before it leave the edge sums, from the front of
 * their time order.  Units mostly come in that order (each CPU's ring
 * is in it): one a little out of it moves back into place as it comes,
 * and a window with one further out is sorted when it becomes the edge
 * (the kernel's sort, a heapsort, costs about a thousand instructions a
 * unit where insertion costs none).  A unit that comes for the edge
 * window once it is the edge goes into the order by binary insertion.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/math.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/sort.h>
#include <linux/string.h>
#else
#include "flowos_user.h"
#endif
#include "wstats.h"

static const u32 size_bounds[] = WSTATS_SIZE_BOUNDS;

static u32 slot_of(const struct wstats *ws, u64 window)
{
	u32 rem;

	div_u64_rem(window, ws->cfg.history, &rem);
	return rem;
}

static u64 *addr_row(const struct wstats *ws, u32 entry)
{
	return &ws->addr_bytes[(size_t)entry * ws->cfg.history];
}

static u64 *proto_row(const struct wstats *ws, u32 slot)
{
	return &ws->proto_bytes[(size_t)slot * WSTATS_PROTOS];
}

/* floor(sqrt(x)), digit by digit: int_sqrt64() stops at 64 bits. */
static u64 isqrt_u128(unsigned __int128 x)
{
	unsigned __int128 root = 0, bit = (unsigned __int128)1 << 126;

	while (bit > x)
		bit >>= 2;
	for (; bit; bit >>= 2) {
		if (x >= root + bit) {
			x -= root + bit;
			root = (root >> 1) + bit;
		} else {
			root >>= 1;
		}
	}
	return root;
}

static u32 hash_bits_for(u32 max_addrs)
{
	return ilog2(roundup_pow_of_two(max_addrs));
}

static size_t log_size(const struct wstats_config *cfg)
{
	size_t slots = cfg->view + 1;

	if (!cfg->sliding)
		return 0;
	return slots * cfg->log * sizeof(struct wstats_unit) +
	       slots * sizeof(struct wstats_logged) +
	       cfg->max_addrs * sizeof(u64);
}

size_t wstats_size(const struct wstats_config *cfg)
{
	size_t h = cfg->history, n = cfg->max_addrs;

	return h * sizeof(struct wstats_window) +
	       h * WSTATS_PROTOS * sizeof(u64) +
	       (sizeof(u32) << hash_bits_for(cfg->max_addrs)) +
	       n * (sizeof(struct wstats_entry) + sizeof(u32) +
		    h * sizeof(u64)) + log_size(cfg);
}

static bool config_valid(const struct wstats_config *cfg)
{
	u32 i;

	if (!cfg->width || !cfg->history || cfg->history > WSTATS_HISTORY_MAX ||
	    !cfg->view || cfg->view > cfg->history || !cfg->max_addrs ||
	    cfg->max_addrs > WSTATS_ADDRS_MAX ||
	    cfg->ninternal > WSTATS_INTERNAL_MAX)
		return false;
	/* The edge window must still be kept when it is the edge. */
	if (cfg->sliding && (cfg->view >= cfg->history || !cfg->log ||
			     cfg->log > WSTATS_LOG_MAX ||
			     log_size(cfg) > INT_MAX))
		return false;
	for (i = 0; i < cfg->ninternal; i++)
		if (cfg->internal[i].len >
		    (cfg->internal[i].addr.family == AF_INET ? 32 : 128))
			return false;
	return true;
}

static int log_init(struct wstats *ws)
{
	size_t slots = ws->cfg.view + 1;

	if (!ws->cfg.sliding)
		return 0;
	ws->log = kvcalloc(slots * ws->cfg.log, sizeof(*ws->log), GFP_KERNEL);
	ws->logged = kvcalloc(slots, sizeof(*ws->logged), GFP_KERNEL);
	ws->addr_edge = kvcalloc(ws->cfg.max_addrs, sizeof(u64), GFP_KERNEL);
	return ws->log && ws->logged && ws->addr_edge ? 0 : -ENOMEM;
}

int wstats_init(struct wstats *ws, const struct wstats_config *cfg)
{
	size_t h = cfg->history, n = cfg->max_addrs;

	if (!config_valid(cfg))
		return -EINVAL;
	memset(ws, 0, sizeof(*ws));
	ws->cfg = *cfg;
	ws->hash_bits = hash_bits_for(cfg->max_addrs);
	ws->win = kvcalloc(h, sizeof(*ws->win), GFP_KERNEL);
	ws->proto_bytes = kvcalloc(h * WSTATS_PROTOS, sizeof(u64), GFP_KERNEL);
	ws->buckets = kvcalloc(1U << ws->hash_bits, sizeof(u32), GFP_KERNEL);
	ws->entries = kvcalloc(n, sizeof(*ws->entries), GFP_KERNEL);
	ws->addr_bytes = kvcalloc(n * h, sizeof(u64), GFP_KERNEL);
	ws->heap = kvcalloc(n, sizeof(u32), GFP_KERNEL);
	if (!ws->win || !ws->proto_bytes || !ws->buckets || !ws->entries ||
	    !ws->addr_bytes || !ws->heap || log_init(ws)) {
		wstats_free(ws);
		return -ENOMEM;
	}
	ws->size = wstats_size(cfg);
	return 0;
}

void wstats_free(struct wstats *ws)
{
	kvfree(ws->win);
	kvfree(ws->proto_bytes);
	kvfree(ws->buckets);
	kvfree(ws->entries);
	kvfree(ws->addr_bytes);
	kvfree(ws->heap);
	kvfree(ws->log);
	kvfree(ws->logged);
	kvfree(ws->addr_edge);
	memset(ws, 0, sizeof(*ws));
}

/* The min-heap of entries on their view bytes. */

static void heap_swap(struct wstats *ws, u32 i, u32 j)
{
	u32 e = ws->heap[i];

	ws->heap[i] = ws->heap[j];
	ws->heap[j] = e;
	ws->entries[ws->heap[i]].heap = i;
	ws->entries[ws->heap[j]].heap = j;
}

/*
 * An entry's bytes in the view: its whole windows', and a sliding
 * view's edge's (which space-saving must weigh too, or an address
 * whose bytes are mostly in the edge would go first).
 */
static u64 heap_key(const struct wstats *ws, u32 i)
{
	u32 e = ws->heap[i];

	return ws->entries[e].view + (ws->addr_edge ? ws->addr_edge[e] : 0);
}

/* An entry whose bytes grew: it sinks. */
static void heap_sink(struct wstats *ws, u32 i)
{
	for (;;) {
		u32 least = i, l = 2 * i + 1, r = l + 1;

		if (l < ws->used && heap_key(ws, l) < heap_key(ws, least))
			least = l;
		if (r < ws->used && heap_key(ws, r) < heap_key(ws, least))
			least = r;
		if (least == i)
			return;
		heap_swap(ws, i, least);
		i = least;
	}
}

/* A newcomer, with no bytes in the view yet, or one that lost some. */
static void heap_rise(struct wstats *ws, u32 i)
{
	while (i && heap_key(ws, (i - 1) / 2) > heap_key(ws, i)) {
		heap_swap(ws, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heapify(struct wstats *ws)
{
	u32 i;

	for (i = ws->used / 2; i-- > 0;)
		heap_sink(ws, i);
}

/* The address table. */

static u32 *addr_bucket(struct wstats *ws, const struct wstats_addr *addr)
{
	u32 h = jhash2((const u32 *)addr, sizeof(*addr) / sizeof(u32),
		       ws->cfg.seed);

	return &ws->buckets[h & ((1U << ws->hash_bits) - 1)];
}

static void unhash(struct wstats *ws, u32 e)
{
	u32 *link = addr_bucket(ws, &ws->entries[e].addr);

	while (*link != e + 1)
		link = &ws->entries[*link - 1].next;
	*link = ws->entries[e].next;
}

/*
 * Space-saving: the least-counted entry makes room.  The newcomer keeps
 * the old counts, so it is over-counted, never under-counted; every
 * window they were in is marked lost.  Entry @keep, the other end of
 * the packet being counted, is not the one to go (a sliding view's
 * edge packet has not counted its bytes for it yet).
 */
static u32 evict(struct wstats *ws, u32 keep)
{
	u32 i = 0, e, s;
	const u64 *row;

	if (ws->heap[0] == keep && ws->used > 1)
		i = ws->used > 2 && heap_key(ws, 2) < heap_key(ws, 1) ? 2 : 1;
	e = ws->heap[i];
	row = addr_row(ws, e);

	for (s = 0; s < ws->cfg.history; s++)
		if (row[s])
			ws->win[s].lost = true;
	unhash(ws, e);
	ws->evictions++;
	return e;
}

static u32 addr_entry(struct wstats *ws, const struct wstats_addr *addr,
		      u32 keep)
{
	u32 *head = addr_bucket(ws, addr), e;

	for (e = *head; e; e = ws->entries[e - 1].next)
		if (!memcmp(&ws->entries[e - 1].addr, addr, sizeof(*addr)))
			return e - 1;

	if (ws->used < ws->cfg.max_addrs) {
		e = ws->used++;
		ws->heap[e] = e;
		ws->entries[e].heap = e;
		ws->entries[e].view = 0;
		heap_rise(ws, e);
	} else {
		e = evict(ws, keep);
	}
	ws->entries[e].addr = *addr;
	ws->entries[e].next = *head;
	*head = e + 1;
	return e;
}

/* Count @len for @addr in window @slot; returns its entry. */
static u32 addr_add(struct wstats *ws, const struct wstats_addr *addr,
		    u32 slot, bool in_view, u32 len, u32 keep)
{
	u32 e = addr_entry(ws, addr, keep);

	addr_row(ws, e)[slot] += len;
	if (in_view) {
		ws->entries[e].view += len;
		heap_sink(ws, ws->entries[e].heap);
	}
	return e;
}

/* Windows. */

static u32 size_bucket(u32 len)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(size_bounds); i++)
		if (len < size_bounds[i])
			break;
	return i;
}

static void window_add(struct wstats_window *w, const struct wstats_pkt *p)
{
	u64 full = p->segs > 1 ? (u64)(p->segs - 1) * p->seg_len : 0;
	u32 last = p->len > full ? p->len - full : 0;

	w->packets += p->segs;
	w->bytes += p->len;
	w->sumsq += (u64)last * last;
	w->sizes[size_bucket(last)]++;
	if (p->segs > 1) {
		w->sumsq += (unsigned __int128)(p->segs - 1) *
			    ((u64)p->seg_len * p->seg_len);
		w->sizes[size_bucket(p->seg_len)] += p->segs - 1;
	}
}

static void window_merge(struct wstats_window *sum,
			 const struct wstats_window *w)
{
	u32 i;

	sum->packets += w->packets;
	sum->bytes += w->bytes;
	sum->ext_bytes += w->ext_bytes;
	sum->sumsq += w->sumsq;
	for (i = 0; i < WSTATS_SIZE_BUCKETS; i++)
		sum->sizes[i] += w->sizes[i];
}

static void window_sub(struct wstats_window *sum, const struct wstats_window *w)
{
	u32 i;

	sum->packets -= w->packets;
	sum->bytes -= w->bytes;
	sum->ext_bytes -= w->ext_bytes;
	sum->sumsq -= w->sumsq;
	for (i = 0; i < WSTATS_SIZE_BUCKETS; i++)
		sum->sizes[i] -= w->sizes[i];
}

/* The log of a sliding view, and its edge. */

static u32 log_index(const struct wstats *ws, u64 window)
{
	u32 rem;

	div_u64_rem(window, ws->cfg.view + 1, &rem);
	return rem;
}

static struct wstats_unit *log_units(const struct wstats *ws, u32 i)
{
	return &ws->log[(size_t)i * ws->cfg.log];
}

/* Window cur - view exists: the sliding view has an edge. */
static bool has_edge(const struct wstats *ws)
{
	return ws->cfg.sliding && ws->cur >= ws->cfg.view;
}

/* now - T: units at or before it are out of a sliding view. */
static u64 edge_cut(const struct wstats *ws)
{
	return ws->now - (u64)ws->cfg.view * ws->cfg.width;
}

static void bump(u64 *sum, u32 len, bool add)
{
	if (add)
		*sum += len;
	else
		*sum -= len;
}

/* Count @u in the edge sums (@add), or take it out. */
static void edge_count(struct wstats *ws, const struct wstats_unit *u,
		       bool add)
{
	const struct wstats_pkt p = {
		.segs = u->segs, .seg_len = u->seg_len, .len = u->len,
	};
	struct wstats_window w = {};
	u32 i;

	window_add(&w, &p);
	if (add)
		window_merge(&ws->edge, &w);
	else
		window_sub(&ws->edge, &w);
	if (!u->ext)
		return;
	bump(&ws->edge.ext_bytes, u->len, add);
	bump(&ws->proto_edge[u->proto], u->len, add);
	for (i = 0; i < ARRAY_SIZE(u->entry); i++) {
		u32 e = u->entry[i];

		if (e == WSTATS_NO_ENTRY)
			continue;
		bump(&ws->addr_edge[e], u->len, add);
		if (add)
			heap_sink(ws, ws->entries[e].heap);
		else
			heap_rise(ws, ws->entries[e].heap);
	}
}

/* The edge window's sums, whole: what its window slot holds. */
static void edge_fill(struct wstats *ws)
{
	u32 s = slot_of(ws, ws->cur - ws->cfg.view), e;

	ws->edge = ws->win[s];
	memcpy(ws->proto_edge, proto_row(ws, s), sizeof(ws->proto_edge));
	for (e = 0; e < ws->used; e++)
		ws->addr_edge[e] = addr_row(ws, e)[s];
}

static int unit_cmp(const void *a, const void *b)
{
	const struct wstats_unit *x = a, *y = b;

	return x->t < y->t ? -1 : x->t > y->t;
}

/*
 * Window cur - view has just left the whole windows: it is the edge,
 * counted whole, its units in time order to be taken out as now - T
 * passes them; or counted whole for good if they were not all kept.
 */
static void edge_start(struct wstats *ws)
{
	struct wstats_logged *l = &ws->logged[log_index(ws, ws->cur - ws->cfg.view)];

	edge_fill(ws);
	ws->edge_next = 0;
	ws->edge_whole = l->n > ws->cfg.log;
	if (!ws->edge_whole && l->unsorted)
		sort(log_units(ws, l - ws->logged), l->n,
		     sizeof(struct wstats_unit), unit_cmp, NULL);
	l->unsorted = false;
}

/* Take the units at or before now - T out of the edge sums. */
static void edge_trim(struct wstats *ws)
{
	u32 i = log_index(ws, ws->cur - ws->cfg.view);
	const struct wstats_unit *units = log_units(ws, i);
	u64 cut = edge_cut(ws);

	if (ws->edge_whole)
		return;
	while (ws->edge_next < ws->logged[i].n && units[ws->edge_next].t <= cut)
		edge_count(ws, &units[ws->edge_next++], false);
}

/*
 * @u came for the edge window after it became the edge: into the time
 * order, unless it is already out of the view.  With no room left the
 * edge is counted whole from now on (its window slot holds @u already).
 */
static void edge_late(struct wstats *ws, const struct wstats_unit *u)
{
	u32 i = log_index(ws, ws->cur - ws->cfg.view);
	struct wstats_unit *units = log_units(ws, i);
	u32 lo = ws->edge_next, hi = ws->logged[i].n, mid;

	if (ws->edge_whole) {
		edge_count(ws, u, true);
		return;
	}
	if (u->t <= edge_cut(ws))
		return;
	if (ws->logged[i].n == ws->cfg.log) {
		ws->logged[i].n++;
		ws->edge_whole = true;
		edge_fill(ws);
		heapify(ws);
		return;
	}
	while (lo < hi) {	/* the first unit after @u */
		mid = lo + (hi - lo) / 2;
		if (units[mid].t <= u->t)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&units[lo + 1], &units[lo],
		(ws->logged[i].n - lo) * sizeof(*units));
	units[lo] = *u;
	ws->logged[i].n++;
	edge_count(ws, u, true);
}

/* Append @u to @units, @l->n of them, back into time order if close. */
static void log_keep(struct wstats_unit *units, struct wstats_logged *l,
		     const struct wstats_unit *u)
{
	u32 pos = l->n, moved = 0;

	while (pos && units[pos - 1].t > u->t && moved++ < WSTATS_REORDER) {
		units[pos] = units[pos - 1];
		pos--;
	}
	if (pos && units[pos - 1].t > u->t)
		l->unsorted = true;
	units[pos] = *u;
}

/*
 * Keep @u, counted in @window, for a sliding view: in its window's log
 * slot, or in the edge's order.  Windows before the edge are out of it.
 * The count seen saturates at one past cfg.log: "not all kept".
 */
static void slide_add(struct wstats *ws, u64 window, const struct wstats_unit *u)
{
	u32 i = log_index(ws, window);
	struct wstats_logged *l = &ws->logged[i];

	if (ws->cur - window > ws->cfg.view)
		return;
	if (ws->cur - window == ws->cfg.view) {
		edge_late(ws, u);
		return;
	}
	if (l->n < ws->cfg.log)
		log_keep(log_units(ws, i), l, u);
	if (l->n <= ws->cfg.log)
		l->n++;
}

/* Drop window cur - view + 1 from the view, and start window cur + 1. */
static void rotate_one(struct wstats *ws)
{
	u32 h = ws->cfg.history, e, p;
	u32 leaving = slot_of(ws, ws->cur + 1 + h - ws->cfg.view);
	u32 next = slot_of(ws, ws->cur + 1);
	u64 *protos = proto_row(ws, leaving);

	window_sub(&ws->view, &ws->win[leaving]);
	for (p = 0; p < WSTATS_PROTOS; p++)
		ws->proto_view[p] -= protos[p];
	for (e = 0; e < ws->used; e++) {
		u64 *row = addr_row(ws, e);

		ws->entries[e].view -= row[leaving];
		row[next] = 0;
	}
	memset(&ws->win[next], 0, sizeof(ws->win[next]));
	memset(proto_row(ws, next), 0, WSTATS_PROTOS * sizeof(u64));
	ws->cur++;
	/* Its log slot was the old edge's. */
	if (ws->cfg.sliding)
		memset(&ws->logged[log_index(ws, ws->cur)], 0,
		       sizeof(*ws->logged));
}

/* Everything kept is older than the history: start afresh at @window. */
static void restart(struct wstats *ws, u64 window)
{
	u32 h = ws->cfg.history, e;

	memset(ws->win, 0, h * sizeof(*ws->win));
	memset(ws->proto_bytes, 0, h * WSTATS_PROTOS * sizeof(u64));
	memset(ws->proto_view, 0, sizeof(ws->proto_view));
	memset(&ws->view, 0, sizeof(ws->view));
	memset(ws->addr_bytes, 0, (size_t)ws->cfg.max_addrs * h * sizeof(u64));
	for (e = 0; e < ws->used; e++)
		ws->entries[e].view = 0;
	ws->cur = window;
	if (ws->cfg.sliding)
		memset(ws->logged, 0, (ws->cfg.view + 1) * sizeof(*ws->logged));
	/* The edge, if any, is window cur - view: empty, as all before. */
}

void wstats_advance(struct wstats *ws, u64 t)
{
	u64 window = div64_u64(t, ws->cfg.width);

	ws->now = max(ws->now, t);
	if (window > ws->cur) {
		if (window - ws->cur >= ws->cfg.history) {
			restart(ws, window);
		} else {
			while (ws->cur < window)
				rotate_one(ws);
		}
		if (has_edge(ws))
			edge_start(ws);
		heapify(ws);
	}
	if (has_edge(ws))
		edge_trim(ws);
}

static void make_addr(struct wstats_addr *addr, u8 family, const __be32 *a)
{
	memset(addr, 0, sizeof(*addr));
	addr->family = family;
	memcpy(addr->a, a, family == AF_INET ? 4 : 16);
}

bool wstats_prefix_has(const struct wstats_prefix *pfx, u8 family,
		       const __be32 *addr)
{
	const u8 *a = (const u8 *)addr, *p = (const u8 *)pfx->addr.a;
	u32 whole = pfx->len / 8, rest = pfx->len % 8;

	return family == pfx->addr.family && !memcmp(a, p, whole) &&
	       (!rest || !((a[whole] ^ p[whole]) & (0xff00 >> rest)));
}

static bool internal(const struct wstats *ws, u8 family, const __be32 *addr)
{
	u32 i;

	for (i = 0; i < ws->cfg.ninternal; i++)
		if (wstats_prefix_has(&ws->cfg.internal[i], family, addr))
			return true;
	return false;
}

/* Counted by the queries: every packet, or one end in, one out. */
static bool external(const struct wstats *ws, const struct wstats_pkt *p)
{
	return !ws->cfg.ninternal ||
	       internal(ws, p->family, p->saddr) !=
	       internal(ws, p->family, p->daddr);
}

/* The address figures of @p; the entries counted go to @u. */
static void addrs_add(struct wstats *ws, const struct wstats_pkt *p, u32 slot,
		      bool in_view, struct wstats_unit *u)
{
	struct wstats_addr src, dst;

	/* By default an address "uses" what it sends and receives, once. */
	make_addr(&src, p->family, p->saddr);
	make_addr(&dst, p->family, p->daddr);
	if (ws->cfg.addr_mode != WSTATS_ADDR_DST)
		u->entry[0] = addr_add(ws, &src, slot, in_view, p->len,
				       WSTATS_NO_ENTRY);
	if (ws->cfg.addr_mode == WSTATS_ADDR_DST ||
	    (ws->cfg.addr_mode == WSTATS_ADDR_BOTH &&
	     memcmp(&src, &dst, sizeof(src))))
		u->entry[1] = addr_add(ws, &dst, slot, in_view, p->len,
				       u->entry[0]);
}

void wstats_add(struct wstats *ws, u64 t, const struct wstats_pkt *p)
{
	u64 window = div64_u64(t, ws->cfg.width);
	struct wstats_unit u = {
		.t = t, .segs = p->segs, .seg_len = p->seg_len, .len = p->len,
		.entry = { WSTATS_NO_ENTRY, WSTATS_NO_ENTRY },
		.proto = p->proto, .ext = external(ws, p),
	};
	bool in_view;
	u32 slot;

	wstats_advance(ws, t);
	if (ws->cur - window >= ws->cfg.history) {
		ws->late++;
		window = ws->cur;
		/* Counted now: at the start of the current window. */
		u.t = window * ws->cfg.width;
	}
	slot = slot_of(ws, window);
	in_view = ws->cur - window < ws->cfg.view;

	window_add(&ws->win[slot], p);
	if (in_view)
		window_add(&ws->view, p);
	ws->packets += p->segs;
	ws->bytes += p->len;
	if (u.ext) {
		ws->win[slot].ext_bytes += p->len;
		proto_row(ws, slot)[p->proto] += p->len;
		if (in_view) {
			ws->view.ext_bytes += p->len;
			ws->proto_view[p->proto] += p->len;
		}
		addrs_add(ws, p, slot, in_view, &u);
	}
	if (ws->cfg.sliding)
		slide_add(ws, window, &u);
}

void wstats_set_view(struct wstats *ws, u32 view)
{
	u32 age, e, p;

	/* The log has view + 1 slots: a sliding view keeps its size. */
	if (ws->cfg.sliding)
		return;
	ws->cfg.view = view;
	memset(&ws->view, 0, sizeof(ws->view));
	memset(ws->proto_view, 0, sizeof(ws->proto_view));
	for (e = 0; e < ws->used; e++)
		ws->entries[e].view = 0;
	for (age = 0; age < view && age <= ws->cur; age++) {
		u32 s = slot_of(ws, ws->cur - age);
		const struct wstats_window *w = &ws->win[s];
		const u64 *protos = proto_row(ws, s);

		window_merge(&ws->view, w);
		for (p = 0; p < WSTATS_PROTOS; p++)
			ws->proto_view[p] += protos[p];
		for (e = 0; e < ws->used; e++)
			ws->entries[e].view += addr_row(ws, e)[s];
	}
	heapify(ws);
}

const struct wstats_window *wstats_window(const struct wstats *ws, u32 age)
{
	if (age >= ws->cfg.history || age > ws->cur)
		return NULL;
	return &ws->win[slot_of(ws, ws->cur - age)];
}

bool wstats_approximate(const struct wstats *ws)
{
	const struct wstats_window *w;
	u32 age, view = ws->cfg.view + has_edge(ws);

	if (has_edge(ws) && ws->edge_whole)
		return true;
	for (age = 0; age < view; age++) {
		w = wstats_window(ws, age);
		if (w && w->lost)
			return true;
	}
	return false;
}

u64 wstats_view_start(const struct wstats *ws)
{
	u64 first = ws->cur + 1 > ws->cfg.view ? ws->cur + 1 - ws->cfg.view : 0;

	if (!has_edge(ws))
		return first * ws->cfg.width;
	return ws->edge_whole ? (first - 1) * ws->cfg.width : edge_cut(ws);
}

void wstats_view_sums(const struct wstats *ws, struct wstats_window *out)
{
	*out = ws->view;
	if (has_edge(ws))
		window_merge(out, &ws->edge);
}

static int item_cmp(const void *a, const void *b)
{
	const struct wstats_item *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	return memcmp(x->addr.a, y->addr.a, sizeof(x->addr.a));
}

void wstats_sort(struct wstats_item *items, u32 n)
{
	sort(items, n, sizeof(*items), item_cmp, NULL);
}

u32 wstats_protos(const struct wstats *ws, struct wstats_item *out)
{
	u32 p, n = 0;

	for (p = 0; p < WSTATS_PROTOS; p++) {
		u64 bytes = ws->proto_view[p] + ws->proto_edge[p];

		if (!bytes)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].proto = p;
		out[n++].bytes = bytes;
	}
	wstats_sort(out, n);
	return n;
}

u32 wstats_addrs(const struct wstats *ws, struct wstats_item *out)
{
	u32 e, n = 0;

	for (e = 0; e < ws->used; e++) {
		u64 bytes = ws->entries[e].view;

		if (has_edge(ws))
			bytes += ws->addr_edge[e];
		if (!bytes)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].addr = ws->entries[e].addr;
		out[n++].bytes = bytes;
	}
	wstats_sort(out, n);
	return n;
}

/*
 * With n packets of S bytes and Q = sum(len^2): the mean S / n and the
 * stddev sqrt(n * Q - S^2) / n, rounded down.  n * Q fits 128 bits
 * while n < 2^40 and Q < 2^88; beyond (hundreds of hours of traffic in
 * one view), the three sums are scaled down alike, which keeps the
 * stddev close.
 */
void wstats_size_moments(const struct wstats *ws, u64 *mean, u64 *stddev)
{
	struct wstats_window v;
	u64 n, sum;
	unsigned __int128 sumsq, nq, s2;
	u32 shift = 0;

	wstats_view_sums(ws, &v);
	n = v.packets;
	sum = v.bytes;
	sumsq = v.sumsq;
	*mean = 0;
	*stddev = 0;
	if (!n)
		return;
	*mean = div64_u64(sum, n);
	while (n >> shift >= 1ULL << 40 || sumsq >> shift >> 88)
		shift++;
	n >>= shift;
	sum >>= shift;
	sumsq >>= shift;
	nq = n * sumsq;
	s2 = (unsigned __int128)sum * sum;
	if (n && nq > s2)
		*stddev = div64_u64(isqrt_u128(nq - s2), n);
}

/* @n is at most WSTATS_ADDRS_MAX (2^16): S < 2^63 and n * sum(c^2) < 2^126. */
void wstats_spread(const struct wstats_item *items, u32 n,
		   struct wstats_spread *s)
{
	unsigned __int128 sumsq = 0;
	u64 top = 0, c;
	u32 i;

	memset(s, 0, sizeof(*s));
	s->n = n;
	if (!n)
		return;
	for (i = 0; i < n; i++)
		top = max(top, items[i].bytes);
	while (top >> s->shift >> WSTATS_EXACT_BITS)
		s->shift++;
	for (i = 0; i < n; i++) {
		c = items[i].bytes >> s->shift;
		s->sum += c;
		sumsq += (unsigned __int128)c * c;
	}
	s->d = n * sumsq - (unsigned __int128)s->sum * s->sum;
	s->root = isqrt_u128(s->d);
	s->mean = div64_u64(s->sum, n) << s->shift;
	s->stddev = div64_u64(s->root, n) << s->shift;
}

/*
 * L = 1000 * (n * c - S) > X_milli * sqrt(D), X_milli < 2^20, with R =
 * floor(sqrt(D)): L <= X_milli * R says no and L >= X_milli * (R + 1)
 * yes.  Between, L = X_milli * R + r with 0 < r < X_milli, and squaring
 * both sides leaves 2 * X_milli * R * r + r^2 > X_milli^2 * (D - R^2),
 * products below 2^106.
 */
bool wstats_outlier(const struct wstats_spread *s, u64 bytes, u64 x_milli)
{
	unsigned __int128 nc = (unsigned __int128)s->n * (bytes >> s->shift);
	unsigned __int128 l, xr, r, e;

	if (!s->n || nc <= s->sum)
		return false;		/* not above the mean */
	l = (nc - s->sum) * 1000;
	xr = (unsigned __int128)x_milli * s->root;
	if (l <= xr)
		return false;
	if (l >= xr + x_milli)
		return true;
	r = l - xr;
	e = s->d - (unsigned __int128)s->root * s->root;
	return (unsigned __int128)(2 * x_milli) * s->root * r + r * r >
	       (unsigned __int128)(x_milli * x_milli) * e;
}

bool wstats_heavy(u64 bytes, u64 total, u64 h_milli)
{
	return (unsigned __int128)bytes * 100000 >
	       (unsigned __int128)h_milli * total;
}

/* With a 128-bit product: n * 10^9 wraps for n over 1.8e10. */
u64 wstats_rate(u64 n, u64 ns)
{
	return ns ? mul_u64_u64_div_u64(n, NSEC_PER_SEC, ns) : 0;
}

u64 wstats_basis_points(u64 part, u64 total)
{
	return total ? mul_u64_u64_div_u64(part, 10000, total) : 0;
}
