// SPDX-License-Identifier: GPL-2.0
/*
 * count: packets and bytes of a flow, in total and per time window, and
 * per 5-tuple sub-flow in a bounded table.
 *
 *	flowctl attach FLOW count [workers N] [window 10s] [max_subflows 4096]
 *			    [report 16] [key 5tuple]
 *
 * A sub-flow is what "key" says, as nfdump's -A aggregation: a
 * comma-separated list of proto, src, dst, sport and dport ("srcdst" is
 * src,dst; "5tuple", the default, all five), an address with a prefix
 * length for IPv4 and one for IPv6 if given ("src/24": IPv4 sources by
 * /24, IPv6 ones whole; "src/24/64": IPv6 ones by /64 too).  A key with
 * no address puts IPv4 and IPv6 together; ports are TCP's, UDP's and
 * SCTP's, and ICMP's type and code.
 *
 * The sub-flow table (table.c) holds at most max_subflows entries (up
 * to 2^20), preallocated at attach so that processing never allocates,
 * 88 bytes each with its hash bucket (for a power of two; the buckets
 * are rounded up to one); when it is full, a sub-flow not seen for a
 * while (CLOCK's choice) is evicted, and counted, to make room.
 * Totals are exact whatever the table does.  Windows are closed
 * by the instance's clock (->tick): a unit counts in the window open
 * when it is processed, which is within a few tens of milliseconds of
 * its arrival.  The results show the "report" largest sub-flows by
 * bytes (top_subflows), or with "report 0" every sub-flow the tables
 * hold, in as many messages as that takes.
 *
 * With N workers the state is in N shards, one per worker, each with a
 * table of its own (so max_subflows each) and no lock or counter shared
 * with the others; reading merges them.  The windows of all shards
 * start together and have one length, so they close together, each
 * within a tick.  A 5-tuple seen on the CPUs of two workers is in both
 * tables: "subflows" counts it twice, top_subflows adds its rows up.
 */
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <flowos/pm.h>

#include "table.h"

enum { P_WINDOW, P_MAX_SUBFLOWS, P_REPORT, P_KEY };

/*
 * A million sub-flows a worker: 88 MiB of table each (an entry and a
 * bucket, 88 bytes), charged against the memory cap at attach.
 */
#define COUNT_SUBFLOWS_MAX	BIT(20)

static const char *check_key(const char *value);

static const struct flowos_pm_param count_params[] = {
	[P_WINDOW] = { "window", FLOWOS_PARAM_DURATION, 100, 3600 * MSEC_PER_SEC,
		       10 * MSEC_PER_SEC, "length of a time window" },
	[P_MAX_SUBFLOWS] = { "max_subflows", FLOWOS_PARAM_U64, 16, COUNT_SUBFLOWS_MAX,
			     4096, "most 5-tuple sub-flows kept" },
	[P_REPORT] = { "report", FLOWOS_PARAM_U64, 0, 65536, 16,
		       "sub-flows shown in the results, largest first; 0: all" },
	[P_KEY] = { "key", FLOWOS_PARAM_STRING, 0, 1, 0,
		    "what a sub-flow is: 5tuple, or proto,src[/4LEN[/6LEN]],dst...,sport,dport",
		    .check = check_key },
};

enum {
	S_PACKETS, S_BYTES, S_SUBFLOWS, S_EVICTIONS, S_WINDOWS,
	S_LAST_WINDOW_PACKETS, S_LAST_WINDOW_BYTES,
};

static const char *const count_scalars[] = {
	[S_PACKETS] = "packets",
	[S_BYTES] = "bytes",
	[S_SUBFLOWS] = "subflows",
	[S_EVICTIONS] = "evictions",
	[S_WINDOWS] = "windows",
	[S_LAST_WINDOW_PACKETS] = "last_window_packets",
	[S_LAST_WINDOW_BYTES] = "last_window_bytes",
};

/* What the results show of a sub-flow: a copy, ranked outside the lock. */
struct count_row {
	struct count_key key;
	u64 packets;
	u64 bytes;
};

/*
 * One worker's share of an instance: the units of its CPUs' rings.  Its
 * thread writes everything; readers (netlink, sysfs) read the scalars
 * with READ_ONCE and the table under @lock.
 */
struct count_shard {
	spinlock_t lock;		/* @table */
	struct count_table table;	/* its pool taken in order: shard_used() */
	u64 scalars[ARRAY_SIZE(count_scalars)];
	u64 window_end;			/* ns */
	u64 window_packets;
	u64 window_bytes;
} ____cacheline_aligned;

/* An instance: what its shards share, which only ->init writes. */
struct count_state {
	struct count_keyspec key;
	size_t charged;			/* against the memory cap */
	u64 window_origin;		/* ns: windows start at origin + k * len */
	unsigned int n_shards;
	struct count_shard shards[];
};

/* "/V4[/V6]" after an address field: its prefix lengths, if given. */
static int parse_prefixes(char *s, u8 *plen)
{
	char *v6;

	plen[0] = 32;
	plen[1] = 128;
	if (!*s)
		return 0;
	if (*s++ != '/')
		return -EINVAL;
	v6 = strchr(s, '/');
	if (v6)
		*v6++ = '\0';
	if (kstrtou8(s, 10, &plen[0]) || plen[0] > 32)
		return -EINVAL;
	if (v6 && (kstrtou8(v6, 10, &plen[1]) || plen[1] > 128))
		return -EINVAL;
	return 0;
}

/* One field of a key: what it adds to @ks, or -EINVAL. */
static int parse_key_field(char *tok, struct count_keyspec *ks)
{
	static const struct { const char *name; u8 fields; } plain[] = {
		{ "5tuple", K_5TUPLE }, { "proto", K_PROTO },
		{ "sport", K_SPORT }, { "dport", K_DPORT },
	};
	static const struct { const char *name; u8 fields; } addr[] = {
		{ "srcdst", K_SRC | K_DST }, { "src", K_SRC }, { "dst", K_DST },
	};
	unsigned int i;
	u8 plen[2];

	for (i = 0; i < ARRAY_SIZE(plain); i++)
		if (!strcmp(tok, plain[i].name)) {
			if (plain[i].fields & K_SRC)
				parse_prefixes("", ks->plen[KEY_SRC]);
			if (plain[i].fields & K_DST)
				parse_prefixes("", ks->plen[KEY_DST]);
			return plain[i].fields;
		}
	for (i = 0; i < ARRAY_SIZE(addr); i++) {
		size_t n = strlen(addr[i].name);

		if (strncmp(tok, addr[i].name, n))
			continue;
		if (parse_prefixes(tok + n, plen))
			return -EINVAL;
		if (addr[i].fields & K_SRC)
			memcpy(ks->plen[KEY_SRC], plen, sizeof(plen));
		if (addr[i].fields & K_DST)
			memcpy(ks->plen[KEY_DST], plen, sizeof(plen));
		return addr[i].fields;
	}
	return -EINVAL;
}

/* @value ("key"), each field at most once; -EINVAL if it is not one. */
static int parse_key(const char *value, struct count_keyspec *ks)
{
	char buf[256], *s = buf, *tok;
	int fields;

	memset(ks, 0, sizeof(*ks));
	if (strscpy(buf, value, sizeof(buf)) < 0)
		return -EINVAL;
	while ((tok = strsep(&s, ","))) {
		fields = parse_key_field(tok, ks);
		if (fields < 0 || ks->fields & fields)
			return -EINVAL;
		ks->fields |= fields;
	}
	ks->whole = ks->fields == K_5TUPLE &&
		    ks->plen[KEY_SRC][0] == 32 && ks->plen[KEY_SRC][1] == 128 &&
		    ks->plen[KEY_DST][0] == 32 && ks->plen[KEY_DST][1] == 128;
	return 0;
}

static const char *check_key(const char *value)
{
	struct count_keyspec ks;

	if (!parse_key(value, &ks))
		return NULL;
	return "key: proto, src[/LEN[/LEN6]], dst[/...], srcdst[/...], sport, dport; or 5tuple";
}

static void add_scalar(struct count_shard *sh, unsigned int i, u64 n)
{
	WRITE_ONCE(sh->scalars[i], sh->scalars[i] + n);
}

static void count_free(struct count_state *cs)
{
	unsigned int i;

	for (i = 0; i < cs->n_shards; i++)
		count_table_free(&cs->shards[i].table);
	flowos_mem_uncharge(cs->charged);
	kfree(cs);
}

static int count_init(struct flowos_pm *pm)
{
	unsigned int i, n = pm->params[P_MAX_SUBFLOWS];
	u64 window = pm->params[P_WINDOW] * NSEC_PER_MSEC;
	size_t charge = size_add(struct_size_t(struct count_state, shards,
					       pm->workers),
				 array_size(pm->workers, count_table_size(n)));
	u32 seed = get_random_u32();
	const char *spec = pm->strings[P_KEY] ? pm->strings[P_KEY]->v[0] : "5tuple";
	struct count_keyspec key;
	struct count_state *cs;

	/* The key's words must be the key's fields, no more, no less. */
	BUILD_BUG_ON(sizeof(struct count_key) != sizeof(((struct count_key *)0)->w64));
	BUILD_BUG_ON(offsetofend(struct count_key, pad) != sizeof(struct count_key));
	/* check_key() has seen any value but an empty one. */
	if (parse_key(spec, &key) || !key.fields) {
		pm->errmsg = "key: empty";
		return -EINVAL;
	}
	if (!flowos_mem_charge(charge))
		return -ENOSPC;
	cs = kzalloc(struct_size(cs, shards, pm->workers), GFP_KERNEL);
	if (!cs) {
		flowos_mem_uncharge(charge);
		return -ENOMEM;
	}
	cs->charged = charge;
	cs->n_shards = pm->workers;
	cs->key = key;
	cs->window_origin = ktime_get_ns();
	for (i = 0; i < cs->n_shards; i++) {
		struct count_shard *sh = &cs->shards[i];

		spin_lock_init(&sh->lock);
		if (count_table_init(&sh->table, n, seed)) {
			count_free(cs);
			return -ENOMEM;
		}
		sh->window_end = cs->window_origin + window;
	}
	pm->priv = cs;
	return 0;
}

static void count_fini(struct flowos_pm *pm)
{
	count_free(pm->priv);
}

static unsigned int count_process(struct flowos_pm *pm,
				  const struct flowos_window *win)
{
	struct count_state *cs = pm->priv;
	struct count_shard *sh = &cs->shards[win->worker];
	u64 seq, packets = 0, bytes = 0;
	const struct flowos_unit *u;
	struct count_key key;

	spin_lock(&sh->lock);
	flowos_window_for_each(win, seq, u) {
		enum count_table_found found;
		struct count_subflow *sf;

		count_unit_key(&cs->key, u, &key);
		sf = count_table_get(&sh->table, &key, &found);
		if (unlikely(found == COUNT_NEW))
			add_scalar(sh, S_SUBFLOWS, 1);
		else if (unlikely(found == COUNT_EVICTED))
			add_scalar(sh, S_EVICTIONS, 1);
		sf->packets += u->segs;
		sf->bytes += u->wire_len;
		packets += u->segs;
		bytes += u->wire_len;
	}
	spin_unlock(&sh->lock);

	add_scalar(sh, S_PACKETS, packets);
	add_scalar(sh, S_BYTES, bytes);
	sh->window_packets += packets;
	sh->window_bytes += bytes;
	return win->tail - win->head;
}

/*
 * Close the worker's windows that ended by @now; an idle one closes
 * empty.  Windows start at whole multiples of their length from the
 * origin, whatever a thread slept through, so that the shards agree.
 */
static void count_tick(struct flowos_pm *pm, unsigned int worker, u64 now)
{
	struct count_state *cs = pm->priv;
	struct count_shard *sh = &cs->shards[worker];
	u64 len = pm->params[P_WINDOW] * NSEC_PER_MSEC;

	if (now < sh->window_end)
		return;
	WRITE_ONCE(sh->scalars[S_LAST_WINDOW_PACKETS], sh->window_packets);
	WRITE_ONCE(sh->scalars[S_LAST_WINDOW_BYTES], sh->window_bytes);
	sh->window_packets = 0;
	sh->window_bytes = 0;
	add_scalar(sh, S_WINDOWS, 1);
	sh->window_end += len;
	if (sh->window_end <= now)	/* slept through whole windows */
		sh->window_end = cs->window_origin +
			(div64_u64(now - cs->window_origin, len) + 1) * len;
}

/* Sums over the shards, but for the windows: they close together. */
static u64 count_read_scalar(const struct flowos_pm *pm, unsigned int i)
{
	const struct count_state *cs = pm->priv;
	u64 v = 0;
	unsigned int s;

	for (s = 0; s < cs->n_shards; s++) {
		u64 sv = READ_ONCE(cs->shards[s].scalars[i]);

		v = i == S_WINDOWS ? max(v, sv) : v + sv;
	}
	return v;
}

static int row_cmp(const void *a, const void *b)
{
	const struct count_row *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return 0;
}

/* A row: the fields of the key (addresses as masked), then the counts. */
static int put_row(struct flowos_results *res, const struct count_keyspec *ks,
		   const struct count_row *r)
{
	flowos_result_row_start(res);
	if (ks->fields & K_SRC)
		flowos_result_put_addr(res, "src", r->key.family, r->key.saddr);
	if (ks->fields & K_DST)
		flowos_result_put_addr(res, "dst", r->key.family, r->key.daddr);
	if (ks->fields & K_PROTO)
		flowos_result_put_u64(res, "proto", r->key.proto);
	if (ks->fields & K_SPORT)
		flowos_result_put_u64(res, "sport", ntohs(r->key.sport));
	if (ks->fields & K_DPORT)
		flowos_result_put_u64(res, "dport", ntohs(r->key.dport));
	flowos_result_put_u64(res, "packets", r->packets);
	flowos_result_put_u64(res, "bytes", r->bytes);
	return flowos_result_end(res);
}

static int row_key_cmp(const void *a, const void *b)
{
	const struct count_row *x = a, *y = b;

	return memcmp(&x->key, &y->key, sizeof(x->key));
}

static void subflow_row(const struct count_subflow *sf, struct count_row *r)
{
	r->key = sf->key;
	r->packets = sf->packets;
	r->bytes = sf->bytes;
}

/*
 * How many sub-flows @sh holds: the first that many of its pool, which
 * is used in order and never given back (an eviction reuses an entry).
 */
static unsigned int shard_used(const struct count_shard *sh)
{
	return READ_ONCE(sh->scalars[S_SUBFLOWS]);
}

/*
 * The rows of @sh's first @n sub-flows, copied to @rows: those it held
 * when the read began, with their counts of now.  Under the lock for the
 * whole copy, so that a row is never one sub-flow's key and another's
 * counts: the worker waits meanwhile, a while at 2^20 sub-flows, and its
 * ring takes the units.
 */
static void snapshot_shard(struct count_shard *sh, struct count_row *rows,
			   unsigned int n)
{
	unsigned int i;

	spin_lock(&sh->lock);
	for (i = 0; i < n; i++)
		subflow_row(&sh->table.pool[i], &rows[i]);
	spin_unlock(&sh->lock);
}

/* Add up the rows of equal keys, which sit together once sorted by key. */
static unsigned int merge_rows(struct count_row *rows, unsigned int n)
{
	unsigned int i, out = 0;

	sort(rows, n, sizeof(*rows), row_key_cmp, NULL);
	for (i = 0; i < n; i++) {
		if (out && !row_key_cmp(&rows[out - 1], &rows[i])) {
			rows[out - 1].packets += rows[i].packets;
			rows[out - 1].bytes += rows[i].bytes;
		} else {
			rows[out++] = rows[i];
		}
	}
	return out;
}

/*
 * Every sub-flow of every shard, one row each, largest first, in scratch
 * memory of the read: 56 bytes for each sub-flow the shards hold (not
 * for each they may hold).  A 5-tuple may be in two shards, and only the
 * sum of its rows can be ranked, so the rows are all copied, then merged.
 */
static int all_rows(struct count_state *cs, struct flowos_results *res,
		    struct count_row **rowsp, unsigned int *np)
{
	unsigned int used[FLOWOS_PM_WORKERS_MAX];
	unsigned int i, n = 0;
	struct count_row *rows;

	for (i = 0; i < cs->n_shards; i++) {
		used[i] = shard_used(&cs->shards[i]);
		n += used[i];
	}
	rows = flowos_result_scratch(res, array_size(n, sizeof(*rows)));
	if (!rows)
		return -ENOMEM;
	n = 0;
	for (i = 0; i < cs->n_shards; i++) {
		snapshot_shard(&cs->shards[i], rows + n, used[i]);
		n += used[i];
	}
	if (cs->n_shards > 1)
		n = merge_rows(rows, n);
	sort(rows, n, sizeof(*rows), row_cmp, NULL);
	*rowsp = rows;
	*np = n;
	return 0;
}

/*
 * A min-heap of rows by bytes, for the largest @size of a table without
 * copying it.  Not <linux/min_heap.h>: its interface changed in 6.11,
 * and flowos builds for 6.1 too.
 */
struct top_rows {
	struct count_row *rows;
	unsigned int n, size;
};

static void top_sift_down(struct top_rows *top, unsigned int i)
{
	for (;;) {
		unsigned int least = i, l = 2 * i + 1, r = l + 1;

		if (l < top->n && top->rows[l].bytes < top->rows[least].bytes)
			least = l;
		if (r < top->n && top->rows[r].bytes < top->rows[least].bytes)
			least = r;
		if (least == i)
			return;
		swap(top->rows[i], top->rows[least]);
		i = least;
	}
}

static void top_sift_up(struct top_rows *top, unsigned int i)
{
	while (i && top->rows[(i - 1) / 2].bytes > top->rows[i].bytes) {
		swap(top->rows[(i - 1) / 2], top->rows[i]);
		i = (i - 1) / 2;
	}
}

/* @sf, if it is among the @top->size largest seen so far. */
static void top_offer(struct top_rows *top, const struct count_subflow *sf)
{
	if (top->n < top->size) {
		subflow_row(sf, &top->rows[top->n]);
		top_sift_up(top, top->n++);
	} else if (sf->bytes > top->rows[0].bytes) {
		subflow_row(sf, &top->rows[0]);
		top_sift_down(top, 0);
	}
}

/*
 * The @report largest sub-flows of a table in one shard, largest first:
 * a heap of @report rows, filled under the lock in O(n log report), with
 * no copy of the table.  Of the sub-flows held when the read began, as
 * all_rows().
 */
static int top_rows_of_shard(struct count_shard *sh, unsigned int report,
			     struct flowos_results *res,
			     struct count_row **rowsp, unsigned int *np)
{
	unsigned int i, used = shard_used(sh);
	struct top_rows top = { .size = min(report, used) };

	top.rows = flowos_result_scratch(res, array_size(top.size,
							 sizeof(*top.rows)));
	if (!top.rows)
		return -ENOMEM;
	spin_lock(&sh->lock);
	for (i = 0; i < used; i++)
		top_offer(&top, &sh->table.pool[i]);
	spin_unlock(&sh->lock);
	sort(top.rows, top.n, sizeof(*top.rows), row_cmp, NULL);
	*rowsp = top.rows;
	*np = top.n;
	return 0;
}

/* The largest sub-flows, "report" of them or (report 0) every one. */
static int count_fill_results(const struct flowos_pm *pm,
			      struct flowos_results *res)
{
	struct count_state *cs = pm->priv;
	unsigned int i, n, report = pm->params[P_REPORT];
	struct count_row *rows;
	int err;

	if (report && cs->n_shards == 1)
		err = top_rows_of_shard(&cs->shards[0], report, res, &rows, &n);
	else
		err = all_rows(cs, res, &rows, &n);
	if (err)
		return err;
	if (report)
		n = min(n, report);

	flowos_result_table_start(res, "top_subflows");
	for (i = 0; i < n; i++)
		if (put_row(res, &cs->key, &rows[i]))
			break;
	return flowos_result_end(res);
}

static struct flowos_pm_ops count_ops = {
	.name = "count",
	.owner = THIS_MODULE,
	.layer = FLOWOS_LAYER_IP,
	.mode = FLOWOS_PM_MODE_RO,
	.params = count_params,
	.n_params = ARRAY_SIZE(count_params),
	.scalars = count_scalars,
	.n_scalars = ARRAY_SIZE(count_scalars),
	.max_workers = FLOWOS_PM_WORKERS_MAX,
	.init = count_init,
	.fini = count_fini,
	.process = count_process,
	.tick = count_tick,
	.read_scalar = count_read_scalar,
	.fill_results = count_fill_results,
};

static int __init count_module_init(void)
{
	return flowos_register_pm(&count_ops);
}

static void __exit count_module_exit(void)
{
	flowos_unregister_pm(&count_ops);
}

module_init(count_module_init);
module_exit(count_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowos PM: packets and bytes per flow and per 5-tuple");
MODULE_ALIAS_FLOWOS_PM("count");
