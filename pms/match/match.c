// SPDX-License-Identifier: GPL-2.0
/*
 * match: count occurrences of byte patterns in the payload of a flow's
 * connections, in TCP byte-stream order and per UDP datagram (FlowOS's
 * Module3, seeds/002 4.3.1).
 *
 *	flowctl attach FLOW match pattern 'GET /' pattern hex:0d0a0d0a
 *		[nocase 1] [max_conns 4096] [ooo_kb 64] [idle 60s]
 *
 * Patterns: a value is the bytes of its text; "hex:" introduces bytes
 * in hexadecimal and "str:" a text that would otherwise begin with
 * "hex:".  Occurrences are counted where they end, overlapping ones
 * too.  TCP comes reassembled (include/flowos/conn.h): a pattern split
 * across segments counts once, a retransmitted segment adds nothing,
 * and nothing matches across a gap.  UDP datagrams are matched one by
 * one.
 *
 * Counts are kept per pattern for the flow and per pattern for each
 * connection; the results show the flow's counts, and the counts of
 * live connections and of the last connections that ended.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <flowos/ac.h>
#include <flowos/conn.h>
#include <flowos/pm.h>

enum { P_PATTERN, P_NOCASE, P_MAX_CONNS, P_OOO_KB, P_IDLE };

static const struct flowos_pm_param match_params[] = {
	[P_PATTERN] = { "pattern", FLOWOS_PARAM_STRING, 1, FLOWOS_PM_MAX_STRINGS,
			0, "bytes to count; hex:HEX for binary",
			.check = flowos_pattern_check },
	[P_NOCASE] = { "nocase", FLOWOS_PARAM_U64, 0, 1, 0,
		       "1: ASCII letters match either case" },
	[P_MAX_CONNS] = { "max_conns", FLOWOS_PARAM_U64, 16, 1 << 20, 4096,
			  "most connections followed at once" },
	[P_OOO_KB] = { "ooo_kb", FLOWOS_PARAM_U64, 0, 1024, 64,
		       "out-of-order memory per side (payload and overhead), KiB" },
	[P_IDLE] = { "idle", FLOWOS_PARAM_DURATION, MSEC_PER_SEC,
		     3600 * MSEC_PER_SEC, 60 * MSEC_PER_SEC,
		     "a connection without packets for this long ends" },
};

enum {
	S_MATCHES, S_BYTES, S_DATAGRAMS, S_CONNS_ACTIVE, S_CONNS_OPENED,
	S_CONNS_FINISHED, S_CONNS_RESET, S_CONNS_EXPIRED, S_CONNS_EVICTED,
	S_CONNS_REFUSED, S_DUP_BYTES, S_GAP_BYTES, S_OOO_SEGS, S_OVERFLOWS,
	S_SEG_OVERFLOWS, S_RESTARTS,
};

static const char *const match_scalars[] = {
	[S_MATCHES] = "matches",
	[S_BYTES] = "bytes_scanned",
	[S_DATAGRAMS] = "datagrams",
	[S_CONNS_ACTIVE] = "conns_active",
	[S_CONNS_OPENED] = "conns_opened",
	[S_CONNS_FINISHED] = "conns_finished",
	[S_CONNS_RESET] = "conns_reset",
	[S_CONNS_EXPIRED] = "conns_expired",
	[S_CONNS_EVICTED] = "conns_evicted",
	[S_CONNS_REFUSED] = "conns_refused",
	[S_DUP_BYTES] = "dup_bytes",
	[S_GAP_BYTES] = "gap_bytes",
	[S_OOO_SEGS] = "ooo_segments",
	[S_OVERFLOWS] = "ooo_overflows",
	[S_SEG_OVERFLOWS] = "ooo_seg_overflows",
	[S_RESTARTS] = "conns_restarted",
};

/* Rows of ended connections kept for the results. */
#define MATCH_ENDED_ROWS	256
/* Most rows of the connections table in the results. */
#define MATCH_REPORT_ROWS	4096

/* A connection, as the PM keeps it: its scan states and counts. */
struct match_conn {
	u32 state[FLOWOS_NSIDES];	/* automaton state of each side */
	u64 counts[];			/* per pattern */
};

/* One pattern's count in a connection that ended. */
struct match_ended {
	u64 id;
	__be32 addr[FLOWOS_NSIDES][4];
	__be16 port[FLOWOS_NSIDES];
	u8 family;
	u8 proto;
	u32 pattern;
	u64 count;
};

/*
 * An instance.  @lock: the thread holds it while it works (->process,
 * ->tick), readers of the tables (->fill_results) while they copy them.
 * Scalars are read without it, with READ_ONCE.
 */
struct match_state {
	struct mutex lock;		/* the tables below, and @conns */
	struct flowos_ac ac;
	struct flowos_conns conns;
	struct match_conn *cur;		/* whose bytes are being scanned */
	u64 matches;
	u64 *counts;			/* per pattern, for the flow */
	struct match_ended *ended;	/* a ring of MATCH_ENDED_ROWS */
	u64 nended;			/* rows ever written to @ended */
	size_t charged;
};

static void on_hit(void *ctx, u32 pattern)
{
	struct match_state *ms = ctx;

	ms->counts[pattern]++;
	ms->cur->counts[pattern]++;
	WRITE_ONCE(ms->matches, ms->matches + 1);
}

static void match_data(struct flowos_conns *t, struct flowos_conn *c,
		       unsigned int side, const u8 *data, u32 len,
		       unsigned int flags)
{
	struct match_state *ms = t->owner;
	struct match_conn *mc = flowos_conn_priv(c);

	if (flags & FLOWOS_DATA_BREAK)
		mc->state[side] = FLOWOS_AC_START;
	ms->cur = mc;
	mc->state[side] = flowos_ac_scan(&ms->ac, mc->state[side], data, len,
					 on_hit, ms);
}

/* Keep the counts of a connection that ends. */
static void match_end(struct flowos_conns *t, struct flowos_conn *c)
{
	struct match_state *ms = t->owner;
	struct match_conn *mc = flowos_conn_priv(c);
	u32 p;

	for (p = 0; p < ms->ac.npatterns; p++) {
		struct match_ended *e;

		if (!mc->counts[p])
			continue;
		e = &ms->ended[ms->nended++ % MATCH_ENDED_ROWS];
		e->id = c->id;
		memcpy(e->addr, c->addr, sizeof(e->addr));
		memcpy(e->port, c->port, sizeof(e->port));
		e->family = c->family;
		e->proto = c->proto;
		e->pattern = p;
		e->count = mc->counts[p];
	}
}

static const struct flowos_conn_ops match_conn_ops = {
	.data = match_data,
	.end = match_end,
};

static void match_free(struct match_state *ms)
{
	flowos_pm_ac_free(&ms->ac);
	kvfree(ms->counts);
	kvfree(ms->ended);
	flowos_mem_uncharge(ms->charged);
	kfree(ms);
}

static int match_init(struct flowos_pm *pm)
{
	u32 n = pm->strings[P_PATTERN]->n;
	struct match_state *ms;
	size_t tables;
	int err;

	ms = kzalloc(sizeof(*ms), GFP_KERNEL);
	if (!ms)
		return -ENOMEM;
	mutex_init(&ms->lock);
	err = flowos_pm_ac_build(pm, &ms->ac, pm->strings[P_PATTERN],
				 pm->params[P_NOCASE]);
	if (err)
		goto free;
	tables = n * sizeof(*ms->counts) + MATCH_ENDED_ROWS * sizeof(*ms->ended);
	err = -ENOSPC;
	if (!flowos_mem_charge(tables))
		goto free;
	ms->charged += tables;
	err = -ENOMEM;
	ms->counts = kvcalloc(n, sizeof(*ms->counts), GFP_KERNEL);
	ms->ended = kvcalloc(MATCH_ENDED_ROWS, sizeof(*ms->ended), GFP_KERNEL);
	if (!ms->counts || !ms->ended)
		goto free;
	err = flowos_conns_init(&ms->conns, &match_conn_ops, ms,
				struct_size_t(struct match_conn, counts, n),
				pm->params[P_MAX_CONNS],
				pm->params[P_OOO_KB] * SZ_1K,
				pm->params[P_IDLE]);
	if (err)
		goto free;
	pm->priv = ms;
	return 0;

free:
	match_free(ms);
	return err;
}

static void match_fini(struct flowos_pm *pm)
{
	struct match_state *ms = pm->priv;

	flowos_conns_fini(&ms->conns);
	match_free(ms);
}

static unsigned int match_process(struct flowos_pm *pm,
				  const struct flowos_window *win)
{
	struct match_state *ms = pm->priv;
	unsigned int done;

	mutex_lock(&ms->lock);
	done = flowos_conns_process(&ms->conns, win);
	mutex_unlock(&ms->lock);
	return done;
}

static void match_tick(struct flowos_pm *pm, unsigned int worker, u64 now)
{
	struct match_state *ms = pm->priv;

	mutex_lock(&ms->lock);
	flowos_conns_expire(&ms->conns, now);
	mutex_unlock(&ms->lock);
}

static u64 match_read_scalar(const struct flowos_pm *pm, unsigned int i)
{
	const struct match_state *ms = pm->priv;
	const struct flowos_conns_stats *s = &ms->conns.stats;

	switch (i) {
	case S_MATCHES:		return READ_ONCE(ms->matches);
	case S_BYTES:		return READ_ONCE(s->reasm.bytes);
	case S_DATAGRAMS:	return READ_ONCE(s->datagrams);
	case S_CONNS_ACTIVE:	return READ_ONCE(s->active);
	case S_CONNS_OPENED:	return READ_ONCE(s->opened);
	case S_CONNS_FINISHED:	return READ_ONCE(s->finished);
	case S_CONNS_RESET:	return READ_ONCE(s->reset);
	case S_CONNS_EXPIRED:	return READ_ONCE(s->expired);
	case S_CONNS_EVICTED:	return READ_ONCE(s->evicted);
	case S_CONNS_REFUSED:	return READ_ONCE(s->refused);
	case S_DUP_BYTES:	return READ_ONCE(s->reasm.dup_bytes);
	case S_GAP_BYTES:	return READ_ONCE(s->reasm.gap_bytes);
	case S_OOO_SEGS:	return READ_ONCE(s->reasm.ooo_segs);
	case S_OVERFLOWS:	return READ_ONCE(s->reasm.overflows);
	case S_SEG_OVERFLOWS:	return READ_ONCE(s->reasm.seg_overflows);
	case S_RESTARTS:	return READ_ONCE(s->reasm.restarts);
	}
	return 0;
}

/* A row of the connections table, as a read copies it. */
struct match_row {
	struct match_ended e;
	bool open;
};

/*
 * What a read shows, copied under the lock: the thread waits for the
 * copy only, not for the rows to be written out.
 */
struct match_snapshot {
	u64 *counts;			/* per pattern */
	struct match_row *rows;		/* MATCH_REPORT_ROWS of room */
	unsigned int nrows;
};

/* The last MATCH_ENDED_ROWS rows of connections that ended. */
static void snapshot_ended(const struct match_state *ms,
			   struct match_snapshot *snap)
{
	u64 i = ms->nended > MATCH_ENDED_ROWS ? ms->nended - MATCH_ENDED_ROWS : 0;

	for (; i < ms->nended && snap->nrows < MATCH_REPORT_ROWS; i++) {
		struct match_row *r = &snap->rows[snap->nrows++];

		r->e = ms->ended[i % MATCH_ENDED_ROWS];
		r->open = false;
	}
}

/* The open connections' counts, up to MATCH_REPORT_ROWS rows in all. */
static void snapshot_open(struct match_state *ms, struct match_snapshot *snap)
{
	struct flowos_conn *c;
	u32 p;

	flowos_conns_for_each(&ms->conns, c) {
		struct match_conn *mc = flowos_conn_priv(c);

		for (p = 0; p < ms->ac.npatterns; p++) {
			struct match_row *r;

			if (!mc->counts[p])
				continue;
			if (snap->nrows >= MATCH_REPORT_ROWS)
				return;
			r = &snap->rows[snap->nrows++];
			r->e.id = c->id;
			memcpy(r->e.addr, c->addr, sizeof(r->e.addr));
			memcpy(r->e.port, c->port, sizeof(r->e.port));
			r->e.family = c->family;
			r->e.proto = c->proto;
			r->e.pattern = p;
			r->e.count = mc->counts[p];
			r->open = true;
		}
	}
}

static void take_snapshot(struct match_state *ms, struct match_snapshot *snap)
{
	mutex_lock(&ms->lock);
	memcpy(snap->counts, ms->counts, ms->ac.npatterns * sizeof(*ms->counts));
	snap->nrows = 0;
	snapshot_ended(ms, snap);
	snapshot_open(ms, snap);
	mutex_unlock(&ms->lock);
}

static int put_patterns(const struct flowos_pm *pm, struct flowos_results *res,
			const struct match_snapshot *snap)
{
	u32 p, n = pm->strings[P_PATTERN]->n;

	flowos_result_table_start(res, "patterns");
	for (p = 0; p < n; p++) {
		flowos_result_row_start(res);
		flowos_result_put_string(res, "pattern", pm->strings[P_PATTERN]->v[p]);
		flowos_result_put_u64(res, "matches", snap->counts[p]);
		if (flowos_result_end(res))
			break;
	}
	return flowos_result_end(res);
}

/* A connection's row; its sides as first seen. */
static int put_conn_row(struct flowos_results *res, const struct flowos_pm *pm,
			const struct match_row *r)
{
	flowos_result_row_start(res);
	flowos_result_put_u64(res, "id", r->e.id);
	flowos_result_put_u64(res, "proto", r->e.proto);
	flowos_result_put_addr(res, "src", r->e.family, r->e.addr[0]);
	flowos_result_put_u64(res, "sport", ntohs(r->e.port[0]));
	flowos_result_put_addr(res, "dst", r->e.family, r->e.addr[1]);
	flowos_result_put_u64(res, "dport", ntohs(r->e.port[1]));
	flowos_result_put_string(res, "state", r->open ? "open" : "ended");
	flowos_result_put_string(res, "pattern",
				 pm->strings[P_PATTERN]->v[r->e.pattern]);
	flowos_result_put_u64(res, "matches", r->e.count);
	return flowos_result_end(res);
}

/*
 * Per-connection counts: the connections that ended (the last
 * MATCH_ENDED_ROWS rows of them), then the open ones, at most
 * MATCH_REPORT_ROWS rows in all.
 */
static int put_conns(const struct flowos_pm *pm, struct flowos_results *res,
		     const struct match_snapshot *snap)
{
	unsigned int i;

	flowos_result_table_start(res, "connections");
	/* On an error, stop: the core sees it, sticky in @res. */
	for (i = 0; i < snap->nrows; i++)
		if (put_conn_row(res, pm, &snap->rows[i]))
			break;
	return flowos_result_end(res);
}

static int match_fill_results(const struct flowos_pm *pm,
			      struct flowos_results *res)
{
	size_t counts = array_size(pm->strings[P_PATTERN]->n, sizeof(u64));
	size_t rows = array_size(MATCH_REPORT_ROWS, sizeof(struct match_row));
	struct match_snapshot snap;
	void *mem;

	mem = flowos_result_scratch(res, size_add(counts, rows));
	if (!mem)
		return -ENOMEM;
	snap.counts = mem;
	snap.rows = mem + counts;
	take_snapshot(pm->priv, &snap);
	return put_patterns(pm, res, &snap) ?: put_conns(pm, res, &snap);
}

static struct flowos_pm_ops match_ops = {
	.name = "match",
	.owner = THIS_MODULE,
	.layer = FLOWOS_LAYER_STREAM,
	.mode = FLOWOS_PM_MODE_RO,
	.params = match_params,
	.n_params = ARRAY_SIZE(match_params),
	.scalars = match_scalars,
	.n_scalars = ARRAY_SIZE(match_scalars),
	.init = match_init,
	.fini = match_fini,
	.process = match_process,
	.tick = match_tick,
	.read_scalar = match_read_scalar,
	.fill_results = match_fill_results,
};

static int __init match_module_init(void)
{
	return flowos_register_pm(&match_ops);
}

static void __exit match_module_exit(void)
{
	flowos_unregister_pm(&match_ops);
}

module_init(match_module_init);
module_exit(match_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowos PM: multi-pattern counts in reassembled payload");
MODULE_ALIAS_FLOWOS_PM("match");
