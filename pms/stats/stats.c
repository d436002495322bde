// SPDX-License-Identifier: GPL-2.0
/*
 * stats: a flow's traffic over time windows, and the six queries of a
 * query-based monitor (seeds 003) over "the last T":
 *
 *	flowctl attach FLOW stats [window 1s] [history 30] [last 10s]
 *		[view tumbling|sliding] [log 8192] [proto ip|app]
 *		[max_conns 4096]
 *		[k 10] [h 10] [x 2] [max_addrs 1024] [addr both]
 *		[internal PREFIX]...
 *	flowctl set FLOW stats last 5s k 3
 *
 * Windows are tumbling, "window" long, aligned to the attach; the last
 * "history" of them are kept.  The view, "last", covers the current
 * window and as many before it as make up T (rounded up to whole
 * windows); "view sliding" makes it exactly the last T: the units seen
 * in (now - T, now], T a whole number of windows, with up to "log"
 * units a window kept one by one for that (wstats.h).  Over the view:
 * packets, bytes, packet-size mean, stddev and histogram, bytes per IP
 * protocol and per IP address (with "addr both", the default, an
 * address counts what it sends and what it receives; "addr src" only
 * what it sends, "addr dst" only what it receives), and for protocols
 * and for addresses: the top k, those with more than h percent of the
 * view's bytes, and those more than x standard deviations above the mean.
 * "proto app" makes the protocols application protocols (apps.h): each
 * TCP or UDP connection's, from its first payload, and the IP protocol
 * of any other packet.
 * With "internal" prefixes, protocols, addresses and the queries count
 * only the external traffic (one end inside, the other outside), and h
 * is a percentage of its bytes.
 * k, h, x and last change at run time and keep what was collected.
 * pms/stats/wstats.h gives the arithmetic, and the bound on addresses.
 * As each window starts, protocols and addresses that went over h
 * percent are announced as "heavy_hitter" events (flowctl monitor).
 *
 * A unit counts in the window of its timestamp (when the packet was
 * seen), not of its processing, unless it is older than the history.
 */
#include <linux/bitmap.h>
#include <linux/inet.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <flowos/pm.h>
#include "apps.h"
#include "wstats.h"

/* Rows of an address or protocol table at most. */
#define STATS_ROWS_MAX	100

enum {
	P_WINDOW, P_HISTORY, P_LAST, P_K, P_H, P_X, P_MAX_ADDRS, P_ADDR,
	P_INTERNAL, P_VIEW, P_LOG, P_PROTO, P_MAX_CONNS,
};

/* "view": tumbling (the default) or sliding. */
static const char *const view_modes[] = { "tumbling", "sliding" };

static const char *check_view(const char *value)
{
	return match_string(view_modes, ARRAY_SIZE(view_modes), value) < 0 ?
	       "view: tumbling or sliding" : NULL;
}

static bool sliding(const struct flowos_pm *pm)
{
	return pm->params[P_VIEW] &&
	       !strcmp(pm->strings[P_VIEW]->v[0], "sliding");
}

static const char *check_proto(const char *value)
{
	return strcmp(value, "ip") && strcmp(value, "app") ?
	       "proto: ip or app" : NULL;
}

/* "proto app": application protocols. */
static bool app_protos(const struct flowos_pm *pm)
{
	return pm->params[P_PROTO] && !strcmp(pm->strings[P_PROTO]->v[0], "app");
}

/* "addr": the names of enum wstats_addr_mode. */
static const char *const addr_modes[] = {
	[WSTATS_ADDR_BOTH] = "both",
	[WSTATS_ADDR_SRC] = "src",
	[WSTATS_ADDR_DST] = "dst",
};

static int addr_mode(const char *value)
{
	return match_string(addr_modes, ARRAY_SIZE(addr_modes), value);
}

static const char *check_addr(const char *value)
{
	return addr_mode(value) < 0 ? "addr: src, dst or both" : NULL;
}

/*
 * "internal": ADDR/LEN, IPv4 or IPv6, host bits zero (as "ip route"
 * wants them).  Returns what is wrong, or NULL.
 */
static const char *parse_prefix(const char *text, struct wstats_prefix *pfx)
{
	const char *slash = strchr(text, '/'), *end;
	unsigned int len, max;
	u32 i;

	memset(pfx, 0, sizeof(*pfx));
	if (!slash)
		return "internal: ADDR/LEN, such as 10.0.0.0/8";
	if (in4_pton(text, slash - text, (u8 *)pfx->addr.a, -1, &end) &&
	    end == slash) {
		pfx->addr.family = AF_INET;
		max = 32;
	} else if (in6_pton(text, slash - text, (u8 *)pfx->addr.a, -1, &end) &&
		   end == slash) {
		pfx->addr.family = AF_INET6;
		max = 128;
	} else {
		return "internal: not an IPv4 or IPv6 address before the /";
	}
	if (kstrtouint(slash + 1, 10, &len) || len > max)
		return "internal: LEN must be 0 to 32 (IPv4) or 128 (IPv6)";
	pfx->len = len;
	for (i = len; i < max; i++)
		if (((u8 *)pfx->addr.a)[i / 8] & (0x80 >> i % 8))
			return "internal: host bits set after the prefix length";
	return NULL;
}

static const char *check_prefix(const char *value)
{
	struct wstats_prefix pfx;

	return parse_prefix(value, &pfx);
}

static const struct flowos_pm_param stats_params[] = {
	[P_WINDOW] = { "window", FLOWOS_PARAM_DURATION, 100, 3600 * MSEC_PER_SEC,
		       MSEC_PER_SEC, "length of a tumbling window" },
	[P_HISTORY] = { "history", FLOWOS_PARAM_U64, 1, WSTATS_HISTORY_MAX, 30,
			"windows kept" },
	[P_LAST] = { "last", FLOWOS_PARAM_DURATION, 1,
		     WSTATS_HISTORY_MAX * 3600ULL * MSEC_PER_SEC,
		     10 * MSEC_PER_SEC,
		     "the view T: at most history x window", true },
	[P_K] = { "k", FLOWOS_PARAM_U64, 1, STATS_ROWS_MAX, 10,
		  "top-k protocols and addresses", true },
	[P_H] = { "h", FLOWOS_PARAM_DECIMAL, 0, 100 * 1000, 10 * 1000,
		  "heavy hitters: more than h percent of the bytes", true },
	[P_X] = { "x", FLOWOS_PARAM_DECIMAL, 0, 1000 * 1000, 2 * 1000,
		  "outliers: more than x stddev above the mean", true },
	[P_MAX_ADDRS] = { "max_addrs", FLOWOS_PARAM_U64, 16, WSTATS_ADDRS_MAX,
			  1024, "addresses tracked, space-saving beyond" },
	[P_ADDR] = { "addr", FLOWOS_PARAM_STRING, 0, 1, 0,
		     "an address counts the bytes it sends (src), receives (dst) or both",
		     .check = check_addr },
	[P_INTERNAL] = { "internal", FLOWOS_PARAM_STRING, 0,
			 WSTATS_INTERNAL_MAX, 0,
			 "an internal prefix: the queries count only packets with one end inside",
			 .check = check_prefix },
	[P_VIEW] = { "view", FLOWOS_PARAM_STRING, 0, 1, 0,
		     "tumbling: whole windows; sliding: exactly the last T",
		     .check = check_view },
	[P_LOG] = { "log", FLOWOS_PARAM_U64, 1, WSTATS_LOG_MAX, 8192,
		    "sliding: units kept one by one a window; beyond, the oldest counts whole" },
	[P_PROTO] = { "proto", FLOWOS_PARAM_STRING, 0, 1, 0,
		      "ip: IP protocols; app: application protocols, by connection",
		      .check = check_proto },
	[P_MAX_CONNS] = { "max_conns", FLOWOS_PARAM_U64, 16, APPS_CONNS_MAX,
			  4096, "proto app: connections tracked" },
};

enum {
	S_PACKETS, S_BYTES, S_WINDOWS, S_PPS, S_BPS, S_VIEW_PACKETS,
	S_VIEW_BYTES, S_ADDRS, S_EVICTIONS, S_APPROXIMATE, S_LATE,
	S_VIEW_OVER_MS, S_APP_CONNS, S_APP_PENDING, S_APP_BLIND,
	S_APP_EVICTED,
};

static const char *const stats_scalars[] = {
	[S_PACKETS] = "packets",
	[S_BYTES] = "bytes",
	[S_WINDOWS] = "windows",
	[S_PPS] = "pps",
	[S_BPS] = "bps",
	[S_VIEW_PACKETS] = "view_packets",
	[S_VIEW_BYTES] = "view_bytes",
	[S_ADDRS] = "addrs",
	[S_EVICTIONS] = "addr_evictions",
	[S_APPROXIMATE] = "approximate",
	[S_LATE] = "late",
	[S_VIEW_OVER_MS] = "view_over_ms",
	[S_APP_CONNS] = "app_conns",
	[S_APP_PENDING] = "app_pending",
	[S_APP_BLIND] = "app_blind",
	[S_APP_EVICTED] = "app_evicted",
};

/*
 * An instance.  The thread feeds @ws; netlink reads it and changes the
 * view.  @lock orders them; the scalars are published with WRITE_ONCE
 * for readers that take no lock (sysfs).
 */
struct stats_state {
	struct mutex lock;		/* all but @scalars */
	struct wstats ws;
	struct apps apps;		/* "proto app" only: else zeroed */
	u64 t0;				/* ktime of window 0 */
	u64 k, h, x;			/* live parameters */
	u64 scalars[ARRAY_SIZE(stats_scalars)];
	size_t charged;
	/* Heavy hitters as last announced, at the start of window @checked. */
	u64 checked;
	DECLARE_BITMAP(heavy_protos, WSTATS_PROTOS);
	struct wstats_addr *heavy_addrs;	/* [STATS_ROWS_MAX] */
	u32 nheavy_addrs;
	struct wstats_item *items;		/* [max_addrs], scratch */
};

static u32 view_windows(const u64 *params)
{
	return DIV_ROUND_UP_ULL(params[P_LAST], params[P_WINDOW]);
}

/*
 * A sliding view is T exactly, in whole windows, and keeps the window
 * before them (its edge).  Its log has a slot per window of the view:
 * T cannot change.
 */
static bool view_fits(struct flowos_pm *pm, const u64 *params)
{
	if (!sliding(pm)) {
		if (view_windows(params) <= params[P_HISTORY])
			return true;
		pm->errmsg = "last is longer than history x window";
		return false;
	}
	if ((view_windows(params) + 1) * params[P_LOG] *
	    sizeof(struct wstats_unit) > INT_MAX) {
		pm->errmsg = "view sliding: (last / window + 1) x log units are over 2 GiB";
		return false;
	}
	if (params[P_LAST] % params[P_WINDOW]) {
		pm->errmsg = "view sliding: last must be a whole number of windows";
		return false;
	}
	if (view_windows(params) >= params[P_HISTORY]) {
		pm->errmsg = "view sliding: history must be more than last / window";
		return false;
	}
	return true;
}

static u64 rate(u64 n, u64 ns)
{
	return wstats_rate(n, ns);
}

/* How much longer than T a sliding view is: its edge counted whole. */
static u64 view_over_ns(const struct wstats *ws)
{
	u64 t = (u64)ws->cfg.view * ws->cfg.width;

	if (!ws->cfg.sliding || ws->now < t)
		return 0;
	return ws->now - t - wstats_view_start(ws);
}

/*
 * Make the scalars match @ss->ws.  Called with ss->lock held.  A
 * sliding view is as of the last time its units or a tick brought.
 */
static void publish(struct stats_state *ss)
{
	const struct wstats *ws = &ss->ws;
	const struct wstats_window *last = wstats_window(ws, 1);
	struct wstats_window view;
	u64 v[ARRAY_SIZE(stats_scalars)];
	unsigned int i;

	wstats_view_sums(ws, &view);
	v[S_PACKETS] = ws->packets;
	v[S_BYTES] = ws->bytes;
	v[S_WINDOWS] = ws->cur;
	v[S_PPS] = last ? rate(last->packets, ws->cfg.width) : 0;
	v[S_BPS] = last ? rate(last->bytes * 8, ws->cfg.width) : 0;
	v[S_VIEW_PACKETS] = view.packets;
	v[S_VIEW_BYTES] = view.bytes;
	v[S_ADDRS] = ws->used;
	v[S_EVICTIONS] = ws->evictions;
	v[S_APPROXIMATE] = wstats_approximate(ws);
	v[S_LATE] = ws->late;
	v[S_VIEW_OVER_MS] = div_u64(view_over_ns(ws), NSEC_PER_MSEC);
	v[S_APP_CONNS] = ss->apps.used;
	v[S_APP_PENDING] = ss->apps.pending;
	v[S_APP_BLIND] = ss->apps.blind;
	v[S_APP_EVICTED] = ss->apps.evicted;
	for (i = 0; i < ARRAY_SIZE(v); i++)
		WRITE_ONCE(ss->scalars[i], v[i]);
}

/* The configuration of wstats from the parameters; the strings checked. */
static int make_config(struct flowos_pm *pm, struct wstats_config *cfg)
{
	const u64 *p = pm->params;
	int mode;
	u32 i;

	if (!view_fits(pm, p))
		return -EINVAL;
	*cfg = (struct wstats_config) {
		.width = p[P_WINDOW] * NSEC_PER_MSEC,
		.history = p[P_HISTORY],
		.view = view_windows(p),
		.sliding = sliding(pm),
		.log = p[P_LOG],
		.max_addrs = p[P_MAX_ADDRS],
		.seed = get_random_u32(),
		.ninternal = p[P_INTERNAL],
	};
	/* check_addr() has seen any value but an empty one. */
	mode = p[P_ADDR] ? addr_mode(pm->strings[P_ADDR]->v[0]) : WSTATS_ADDR_BOTH;
	if (mode < 0) {
		pm->errmsg = "addr: src, dst or both";
		return -EINVAL;
	}
	cfg->addr_mode = mode;
	for (i = 0; i < cfg->ninternal; i++) {
		pm->errmsg = parse_prefix(pm->strings[P_INTERNAL]->v[i],
					  &cfg->internal[i]);
		if (pm->errmsg)
			return -EINVAL;
	}
	return 0;
}

static void state_free(struct stats_state *ss)
{
	wstats_free(&ss->ws);
	apps_free(&ss->apps);
	kvfree(ss->heavy_addrs);
	kvfree(ss->items);
}

/* All of @ss's tables, or none. */
static int state_alloc(struct stats_state *ss, const struct wstats_config *cfg,
		       u32 max_conns)
{
	int err = wstats_init(&ss->ws, cfg);

	if (err)
		return err;
	ss->heavy_addrs = kvcalloc(STATS_ROWS_MAX, sizeof(*ss->heavy_addrs),
				   GFP_KERNEL);
	ss->items = kvcalloc(cfg->max_addrs, sizeof(*ss->items), GFP_KERNEL);
	if (ss->heavy_addrs && ss->items &&
	    (!max_conns || !apps_init(&ss->apps, max_conns, cfg->seed)))
		return 0;
	state_free(ss);
	return -ENOMEM;
}

static int stats_init(struct flowos_pm *pm)
{
	u32 max_conns = app_protos(pm) ? pm->params[P_MAX_CONNS] : 0;
	struct wstats_config *cfg;
	struct stats_state *ss;
	size_t charge;
	int err;

	/* About 1 KiB with the prefixes: not on the stack. */
	cfg = kmalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return -ENOMEM;
	err = make_config(pm, cfg);
	if (err)
		goto out;
	charge = sizeof(struct stats_state) + wstats_size(cfg) +
		 STATS_ROWS_MAX * sizeof(struct wstats_addr) +
		 cfg->max_addrs * sizeof(struct wstats_item) +
		 (max_conns ? apps_size(max_conns) : 0);
	err = -ENOSPC;
	if (!flowos_mem_charge(charge))
		goto out;
	ss = kzalloc(sizeof(*ss), GFP_KERNEL);
	err = ss ? state_alloc(ss, cfg, max_conns) : -ENOMEM;
	if (err) {
		kfree(ss);
		flowos_mem_uncharge(charge);
		goto out;
	}
	mutex_init(&ss->lock);
	ss->charged = charge;
	ss->t0 = ktime_get_ns();
	ss->k = pm->params[P_K];
	ss->h = pm->params[P_H];
	ss->x = pm->params[P_X];
	/* The first payload of each connection decides its protocol. */
	pm->payload = max_conns;
	pm->priv = ss;
out:
	kfree(cfg);
	return err;
}

static void stats_fini(struct flowos_pm *pm)
{
	struct stats_state *ss = pm->priv;

	state_free(ss);
	mutex_destroy(&ss->lock);
	flowos_mem_uncharge(ss->charged);
	kfree(ss);
}

static u64 since_t0(const struct stats_state *ss, u64 t)
{
	return t > ss->t0 ? t - ss->t0 : 0;
}

static unsigned int stats_process(struct flowos_pm *pm,
				  const struct flowos_window *win)
{
	struct stats_state *ss = pm->priv;
	const struct flowos_unit *u;
	u64 seq;

	mutex_lock(&ss->lock);
	flowos_window_for_each(win, seq, u) {
		struct wstats_pkt p = {
			.saddr = u->saddr, .daddr = u->daddr,
			.family = u->family, .proto = u->proto,
			.segs = u->segs,
			/* No one size (a tunnel's, SCTP's): an even split. */
			.seg_len = flowos_unit_seg_len(u) ?:
				   u->wire_len / u->segs,
			.len = u->wire_len,
		};
		u64 t = since_t0(ss, u->tstamp);

		/* A fragment has no ports: its IP protocol is its key. */
		if (ss->apps.conns && (u->sport || u->dport) &&
		    (u->proto == IPPROTO_TCP || u->proto == IPPROTO_UDP))
			apps_unit(&ss->apps, &ss->ws, u, t, &p);
		else
			wstats_add(&ss->ws, t, &p);
	}
	publish(ss);
	mutex_unlock(&ss->lock);
	return win->tail - win->head;
}

/* "12.34": hundredths of a percent, rounded down. */
static int put_percent(struct flowos_results *res, u64 bytes, u64 total)
{
	u64 bp = wstats_basis_points(bytes, total);
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu.%02llu", bp / 100, bp % 100);
	return flowos_result_put_string(res, "percent", buf);
}

/*
 * What a row or an event is of: "addr", an IP "proto" number, or with
 * "proto app", "app": an application protocol's name, or "ip/N" for
 * IP protocol N.
 */
static int put_key(struct flowos_results *res, const struct wstats_item *it,
		   bool addr, bool apps)
{
	char name[16];

	if (addr)
		return flowos_result_put_addr(res, "addr", it->addr.family,
					      it->addr.a);
	if (!apps)
		return flowos_result_put_u64(res, "proto", it->proto);
	if (it->proto >= WSTATS_APP_BASE)
		return flowos_result_put_string(res, "app",
						appid_name(it->proto -
							   WSTATS_APP_BASE));
	snprintf(name, sizeof(name), "ip/%u", it->proto);
	return flowos_result_put_string(res, "app", name);
}

/* "heavy_hitter": a protocol or an address, its bytes and share. */
static void announce(struct flowos_pm *pm, const struct wstats_item *it,
		     bool addr, u64 total)
{
	const struct stats_state *ss = pm->priv;
	struct flowos_pm_event ev;

	if (!flowos_pm_event_start(pm, &ev, "heavy_hitter"))
		return;
	if (put_key(ev.res, it, addr, ss->apps.conns) ||
	    flowos_result_put_u64(ev.res, "bytes", it->bytes) ||
	    put_percent(ev.res, it->bytes, total))
		flowos_pm_event_cancel(&ev);
	else
		flowos_pm_event_send(pm, &ev);
}

static bool was_heavy(const struct stats_state *ss,
		      const struct wstats_addr *addr)
{
	u32 i;

	for (i = 0; i < ss->nheavy_addrs; i++)
		if (!memcmp(&ss->heavy_addrs[i], addr, sizeof(*addr)))
			return true;
	return false;
}

static void announce_protos(struct flowos_pm *pm, struct stats_state *ss,
			    u64 total)
{
	DECLARE_BITMAP(now, WSTATS_PROTOS);
	u32 i, n = wstats_protos(&ss->ws, ss->items);

	bitmap_zero(now, WSTATS_PROTOS);
	/* Most bytes first: the heavy ones lead. */
	for (i = 0; i < n && wstats_heavy(ss->items[i].bytes, total, ss->h); i++) {
		__set_bit(ss->items[i].proto, now);
		if (!test_bit(ss->items[i].proto, ss->heavy_protos))
			announce(pm, &ss->items[i], false, total);
	}
	bitmap_copy(ss->heavy_protos, now, WSTATS_PROTOS);
}

static void announce_addrs(struct flowos_pm *pm, struct stats_state *ss,
			   u64 total)
{
	u32 i, n = wstats_addrs(&ss->ws, ss->items);

	for (i = 0; i < n && i < STATS_ROWS_MAX &&
	     wstats_heavy(ss->items[i].bytes, total, ss->h); i++)
		if (!was_heavy(ss, &ss->items[i].addr))
			announce(pm, &ss->items[i], true, total);
	ss->nheavy_addrs = i;
	for (i = 0; i < ss->nheavy_addrs; i++)
		ss->heavy_addrs[i] = ss->items[i].addr;
}

/*
 * Once a window, when it starts: announce the protocols and addresses
 * over h percent of the view that were not at the last check.  With no
 * listener, forget them all, so that a new one hears every current one.
 * Called with ss->lock held.
 */
static void check_heavy(struct flowos_pm *pm, struct stats_state *ss)
{
	struct wstats_window view;

	ss->checked = ss->ws.cur;
	if (!flowos_pm_has_listeners(pm)) {
		bitmap_zero(ss->heavy_protos, WSTATS_PROTOS);
		ss->nheavy_addrs = 0;
		return;
	}
	wstats_view_sums(&ss->ws, &view);
	announce_protos(pm, ss, view.ext_bytes);
	announce_addrs(pm, ss, view.ext_bytes);
}

static void stats_tick(struct flowos_pm *pm, unsigned int worker, u64 now)
{
	struct stats_state *ss = pm->priv;
	u64 cur = READ_ONCE(ss->scalars[S_WINDOWS]);

	/*
	 * Only ->tick, in the thread, writes ss->checked: no lock to read
	 * it.  A sliding view moves on with time, not only window by window.
	 */
	if (!ss->ws.cfg.sliding && !ss->apps.conns &&
	    div64_u64(since_t0(ss, now), ss->ws.cfg.width) == cur &&
	    ss->checked == cur)
		return;
	mutex_lock(&ss->lock);
	wstats_advance(&ss->ws, since_t0(ss, now));
	if (ss->apps.conns)
		apps_expire(&ss->apps, &ss->ws, since_t0(ss, now));
	if (ss->checked != ss->ws.cur)
		check_heavy(pm, ss);
	publish(ss);
	mutex_unlock(&ss->lock);
}

static u64 stats_read_scalar(const struct flowos_pm *pm, unsigned int i)
{
	const struct stats_state *ss = pm->priv;

	return READ_ONCE(ss->scalars[i]);
}

static int stats_set_params(struct flowos_pm *pm, const u64 *params)
{
	struct stats_state *ss = pm->priv;

	if (!view_fits(pm, params))
		return -EINVAL;
	if (sliding(pm) && params[P_LAST] != pm->params[P_LAST]) {
		pm->errmsg = "view sliding: last cannot change; attach anew";
		return -EINVAL;
	}
	mutex_lock(&ss->lock);
	if (view_windows(params) != ss->ws.cfg.view)
		wstats_set_view(&ss->ws, view_windows(params));
	ss->k = params[P_K];
	ss->h = params[P_H];
	ss->x = params[P_X];
	publish(ss);
	mutex_unlock(&ss->lock);
	return 0;
}

/* Results: a snapshot taken under the lock, sent without it. */

struct stats_snapshot {
	u64 now;			/* ns since t0 */
	u64 view_start;			/* ns since t0 */
	bool sliding;
	bool apps;			/* "proto app" */
	u64 width;
	u64 cur;
	u32 history;
	u32 view;
	u32 addr_mode;
	bool internal;		/* the queries are of the external traffic */
	u64 k, h, x;
	bool approximate;
	struct wstats_window view_sums;
	u64 size_mean, size_stddev;
	struct wstats_window windows[WSTATS_HISTORY_MAX];
	u32 nwindows;
	struct wstats_item protos[WSTATS_PROTOS];
	u32 nprotos;
	struct wstats_item *addrs;	/* [max_addrs] */
	u32 naddrs;
};

static void snapshot_view(struct stats_state *ss, struct stats_snapshot *s)
{
	const struct wstats *ws = &ss->ws;
	const struct wstats_window *w;

	mutex_lock(&ss->lock);
	wstats_advance(&ss->ws, since_t0(ss, ktime_get_ns()));
	s->now = ws->now;
	s->view_start = wstats_view_start(ws);
	s->sliding = ws->cfg.sliding;
	s->apps = ss->apps.conns;
	s->width = ws->cfg.width;
	s->addr_mode = ws->cfg.addr_mode;
	s->internal = ws->cfg.ninternal;
	s->cur = ws->cur;
	s->history = ws->cfg.history;
	s->view = ws->cfg.view;
	s->k = ss->k;
	s->h = ss->h;
	s->x = ss->x;
	s->approximate = wstats_approximate(ws);
	wstats_view_sums(ws, &s->view_sums);
	wstats_size_moments(ws, &s->size_mean, &s->size_stddev);
	for (s->nwindows = 0; (w = wstats_window(ws, s->nwindows));
	     s->nwindows++)
		s->windows[s->nwindows] = *w;
	s->nprotos = wstats_protos(ws, s->protos);
	s->naddrs = wstats_addrs(ws, s->addrs);
	publish(ss);
	mutex_unlock(&ss->lock);
}

static int put_item(struct flowos_results *res, const struct stats_snapshot *s,
		    const struct wstats_item *it, bool addr)
{
	flowos_result_row_start(res);
	put_key(res, it, addr, s->apps);
	flowos_result_put_u64(res, "bytes", it->bytes);
	put_percent(res, it->bytes, s->view_sums.ext_bytes);
	return flowos_result_end(res);
}

enum stats_query { Q_ALL, Q_TOP, Q_HEAVY, Q_OUTLIER };

static bool selected(const struct stats_snapshot *s,
		     const struct wstats_spread *spread,
		     const struct wstats_item *it, u32 rank, enum stats_query q)
{
	switch (q) {
	case Q_TOP:
		return rank < s->k;
	case Q_HEAVY:
		return wstats_heavy(it->bytes, s->view_sums.ext_bytes, s->h);
	case Q_OUTLIER:
		return wstats_outlier(spread, it->bytes, s->x);
	default:
		return true;
	}
}

/*
 * One query's table over @items (most bytes first), at most
 * STATS_ROWS_MAX rows; "<name>_count" says how many qualify in all.
 */
static int put_query(struct flowos_results *res, const struct stats_snapshot *s,
		     const char *name, const struct wstats_item *items, u32 n,
		     bool addr, enum stats_query q)
{
	struct wstats_spread spread;
	char count_name[32];
	u32 i, rows = 0;

	wstats_spread(items, n, &spread);
	flowos_result_table_start(res, name);
	for (i = 0; i < n; i++) {
		if (!selected(s, &spread, &items[i], i, q))
			continue;
		if (rows++ < STATS_ROWS_MAX &&
		    put_item(res, s, &items[i], addr))
			break;
	}
	flowos_result_end(res);
	snprintf(count_name, sizeof(count_name), "%s_count", name);
	return flowos_result_put_u64(res, count_name, rows);
}

static int put_spread(struct flowos_results *res, const char *what,
		      const struct wstats_item *items, u32 n)
{
	struct wstats_spread spread;
	char name[32];

	wstats_spread(items, n, &spread);
	snprintf(name, sizeof(name), "%s_mean", what);
	flowos_result_put_u64(res, name, spread.mean);
	snprintf(name, sizeof(name), "%s_stddev", what);
	return flowos_result_put_u64(res, name, spread.stddev);
}

static int put_window_row(struct flowos_results *res,
			  const struct stats_snapshot *s, u32 age)
{
	const struct wstats_window *w = &s->windows[age];
	u64 start = (s->cur - age) * s->width;
	/* The current window's rates are over the time it has run. */
	u64 span = age ? s->width : max_t(u64, s->now - start, NSEC_PER_MSEC);

	flowos_result_row_start(res);
	flowos_result_put_u64(res, "start_ms", div_u64(start, NSEC_PER_MSEC));
	flowos_result_put_u64(res, "packets", w->packets);
	flowos_result_put_u64(res, "bytes", w->bytes);
	flowos_result_put_u64(res, "pps", rate(w->packets, span));
	flowos_result_put_u64(res, "bps", rate(w->bytes * 8, span));
	return flowos_result_end(res);
}

static int put_windows(struct flowos_results *res,
		       const struct stats_snapshot *s)
{
	u32 age;

	flowos_result_table_start(res, "history");
	for (age = 0; age < s->nwindows; age++)
		if (put_window_row(res, s, age))
			break;
	return flowos_result_end(res);
}

static int put_sizes(struct flowos_results *res, const struct stats_snapshot *s)
{
	static const u32 bounds[] = WSTATS_SIZE_BOUNDS;
	u32 i, lo = 0;

	flowos_result_table_start(res, "sizes");
	for (i = 0; i < WSTATS_SIZE_BUCKETS; i++) {
		char range[24];

		if (i < ARRAY_SIZE(bounds))
			snprintf(range, sizeof(range), "%u-%u", lo, bounds[i] - 1);
		else
			snprintf(range, sizeof(range), "%u-", lo);
		flowos_result_row_start(res);
		flowos_result_put_string(res, "size", range);
		flowos_result_put_u64(res, "packets", s->view_sums.sizes[i]);
		if (flowos_result_end(res))
			break;
		lo = i < ARRAY_SIZE(bounds) ? bounds[i] : lo;
	}
	return flowos_result_end(res);
}

static int put_view(struct flowos_results *res, const struct stats_snapshot *s)
{
	u64 span = s->now - s->view_start;

	flowos_result_put_string(res, "view", view_modes[s->sliding]);
	flowos_result_put_u64(res, "view_ms", div_u64(span, NSEC_PER_MSEC));
	flowos_result_put_u64(res, "view_pps", rate(s->view_sums.packets, span));
	flowos_result_put_u64(res, "view_bps", rate(s->view_sums.bytes * 8, span));
	flowos_result_put_u64(res, "size_mean", s->size_mean);
	flowos_result_put_u64(res, "size_stddev", s->size_stddev);
	/* What the queries' shares are of: all bytes, or the external ones. */
	flowos_result_put_string(res, "queries_count",
				 s->internal ? "external" : "all");
	flowos_result_put_u64(res, "external_bytes", s->view_sums.ext_bytes);
	put_spread(res, "proto", s->protos, s->nprotos);
	/* Which end the address figures count ("addr"). */
	flowos_result_put_string(res, "addrs_count", addr_modes[s->addr_mode]);
	return put_spread(res, "addr", s->addrs, s->naddrs);
}

static int put_queries(struct flowos_results *res,
		       const struct stats_snapshot *s)
{
	put_query(res, s, "protocols", s->protos, s->nprotos, false, Q_ALL);
	put_query(res, s, "top_protocols", s->protos, s->nprotos, false, Q_TOP);
	put_query(res, s, "heavy_protocols", s->protos, s->nprotos, false,
		  Q_HEAVY);
	put_query(res, s, "outlier_protocols", s->protos, s->nprotos, false,
		  Q_OUTLIER);
	put_query(res, s, "top_addrs", s->addrs, s->naddrs, true, Q_TOP);
	put_query(res, s, "heavy_addrs", s->addrs, s->naddrs, true, Q_HEAVY);
	return put_query(res, s, "outlier_addrs", s->addrs, s->naddrs, true,
			 Q_OUTLIER);
}

static int stats_fill_results(const struct flowos_pm *pm,
			      struct flowos_results *res)
{
	struct stats_state *ss = pm->priv;
	struct stats_snapshot *s;

	/* Scratch of the read, freed with it: charged to results_limit_kb. */
	s = flowos_result_scratch(res, sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	s->addrs = flowos_result_scratch(res, array_size(ss->ws.cfg.max_addrs,
							 sizeof(*s->addrs)));
	if (!s->addrs)
		return -ENOMEM;
	snapshot_view(ss, s);
	return put_view(res, s) ?: put_windows(res, s) ?: put_sizes(res, s) ?:
	       put_queries(res, s);
}

static struct flowos_pm_ops stats_ops = {
	.name = "stats",
	.owner = THIS_MODULE,
	.layer = FLOWOS_LAYER_IP,
	.mode = FLOWOS_PM_MODE_RO,
	.params = stats_params,
	.n_params = ARRAY_SIZE(stats_params),
	.scalars = stats_scalars,
	.n_scalars = ARRAY_SIZE(stats_scalars),
	.init = stats_init,
	.fini = stats_fini,
	.process = stats_process,
	.tick = stats_tick,
	.read_scalar = stats_read_scalar,
	.fill_results = stats_fill_results,
	.set_params = stats_set_params,
};

static int __init stats_module_init(void)
{
	return flowos_register_pm(&stats_ops);
}

static void __exit stats_module_exit(void)
{
	flowos_unregister_pm(&stats_ops);
}

module_init(stats_module_init);
module_exit(stats_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowos PM: windowed traffic statistics, top-k, heavy hitters");
MODULE_ALIAS_FLOWOS_PM("stats");
