// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstats: the performance of each TCP connection of a flow, as a
 * monitoring point on its path sees it (Tstat-like).
 *
 *	flowctl attach FLOW tcpstats [max_conns 1024] [idle 60s] [report 16]
 *				     [linger 2s]
 *
 * Each connection (both directions, the client being the SYN's sender,
 * or the first to send when seen mid-stream) is judged segment by
 * segment by tcpa.c: retransmissions, reordering, duplicate ACKs, zero
 * windows, the handshake's RTT halves and running RTT samples (see
 * tcpa.h for the rules, which are tshark's).  A connection ends on a
 * RST, when both FINs are acknowledged, after "idle" without a segment,
 * when a new SYN reuses its 4-tuple, or evicted when the table of
 * max_conns is full (an ended one first, then the least recently seen).
 * One that ends by RST or FIN stays in the table for "linger", so that
 * its late segments (a FIN sent again because the last ACK was lost
 * past the monitor, the RSTs that answer segments after a RST) are its
 * own, as they are in a capture's tcp.stream, not a new connection's.
 * Its record is then announced as a "conn_end" event (flowctl monitor),
 * so that nothing is lost to the table's bound.
 *
 * The window and options of a segment come from its TCP header, so the
 * instance asks the core for each unit's packet (flowos_pm.headers);
 * a unit whose packet the memory cap refused is counted (no_header)
 * and judged without them.  A GSO or GRO aggregate is one segment of
 * its whole payload, as the sequence numbers it covers are.
 *
 * Results: per flow, the connections' counts and the RTT samples of the
 * last TCPSTATS_SAMPLES (both directions): percentiles and a histogram;
 * per connection, the "report" largest by bytes (conns) and by mean RTT
 * (top_rtt), or every one with report 0.
 *
 * One thread; @lock (a mutex: events may sleep) keeps ->process,
 * ->tick and ->fill_results apart.
 */
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>
#include <net/tcp.h>
#include <flowos/pm.h>
#include "tcpa.h"

enum { P_MAX_CONNS, P_IDLE, P_REPORT, P_LINGER };

static const struct flowos_pm_param tcpstats_params[] = {
	[P_MAX_CONNS] = { "max_conns", FLOWOS_PARAM_U64, 16, 16384, 1024,
			  "most connections followed at once" },
	[P_IDLE] = { "idle", FLOWOS_PARAM_DURATION, MSEC_PER_SEC,
		     86400 * MSEC_PER_SEC, 60 * MSEC_PER_SEC,
		     "a connection without a segment for this long ends" },
	[P_REPORT] = { "report", FLOWOS_PARAM_U64, 0, 65536, 16,
		       "connections shown, largest first; 0: all" },
	[P_LINGER] = { "linger", FLOWOS_PARAM_DURATION, 0, 60 * MSEC_PER_SEC,
		       2 * MSEC_PER_SEC,
		       "an ended connection waits this long for late segments" },
};

enum {
	S_ACTIVE, S_OPENED, S_CLOSED_FIN, S_CLOSED_RST, S_EXPIRED,
	S_EVICTED, S_REUSED, S_REFUSED, S_MIDSTREAM, S_RETRANS, S_OOO,
	S_DUP_ACKS, S_ZERO_WINDOWS, S_BAD_FLAGS, S_NO_HEADER, S_RTT_SAMPLES,
	__S_MAX
};

static const char *const tcpstats_scalars[] = {
	[S_ACTIVE] = "conns_active",
	[S_OPENED] = "conns_opened",
	[S_CLOSED_FIN] = "conns_fin",
	[S_CLOSED_RST] = "conns_rst",
	[S_EXPIRED] = "conns_idle",
	[S_EVICTED] = "conns_evicted",
	[S_REUSED] = "conns_reused",
	[S_REFUSED] = "conns_refused",
	[S_MIDSTREAM] = "conns_midstream",
	[S_RETRANS] = "retrans",
	[S_OOO] = "out_of_order",
	[S_DUP_ACKS] = "dup_acks",
	[S_ZERO_WINDOWS] = "zero_windows",
	[S_BAD_FLAGS] = "bad_flags",
	[S_NO_HEADER] = "no_header",
	[S_RTT_SAMPLES] = "rtt_samples",
};

/* RTT samples kept for the percentiles, and the histogram's bounds. */
#define TCPSTATS_SAMPLES	4096
static const u32 hist_le_us[] = {
	100, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000,
	500000, 1000000, U32_MAX,
};

/* A connection's ends: [0] the client, [1] the server. */
struct tcpstats_key {
	__be32 addr[2][4];
	__be16 port[2];
	u8 family;
	u8 pad[3];
};

struct tcpstats_conn {
	struct hlist_node hnode;
	struct list_head lru;		/* on free, open or lingering */
	struct tcpstats_key key;
	struct tcpa_conn a;
};

struct tcpstats {
	struct mutex lock;		/* all below but the counters */
	struct tcpstats_conn *pool;
	struct hlist_head *buckets;
	unsigned int hash_bits;
	u32 seed;
	struct list_head free;
	/*
	 * Open ones, and those ended but for their late segments
	 * (@linger_ns), in the order their last units were taken: least
	 * recently seen first, but for the skew between CPUs' rings, by
	 * which a tick may end one a little late.
	 */
	struct list_head open;
	struct list_head lingering;
	u64 idle_ns;
	u64 linger_ns;
	size_t charged;
	u64 samples[TCPSTATS_SAMPLES];	/* a ring of the last RTT samples */
	u64 hist[ARRAY_SIZE(hist_le_us)];
	u64 counters[__S_MAX];		/* WRITE_ONCE under @lock */
};

static void bump_counter(struct tcpstats *ts, unsigned int i, u64 n)
{
	WRITE_ONCE(ts->counters[i], ts->counters[i] + n);
}

static u64 us(u64 ns)
{
	return div_u64(ns, NSEC_PER_USEC);
}

static void add_sample(struct tcpstats *ts, u64 ns)
{
	u64 n = ts->counters[S_RTT_SAMPLES];
	unsigned int b = 0;

	/* The last bucket takes whatever is longer than the others. */
	while (b < ARRAY_SIZE(hist_le_us) - 1 && us(ns) > hist_le_us[b])
		b++;
	ts->hist[b]++;
	ts->samples[n % TCPSTATS_SAMPLES] = ns;
	bump_counter(ts, S_RTT_SAMPLES, 1);
}

/* @u's key, its sender first; the reverse, its receiver first. */
static void unit_key(const struct flowos_unit *u, struct tcpstats_key *k,
		     bool reverse)
{
	size_t alen = u->family == AF_INET ? 4 : 16;

	memset(k, 0, sizeof(*k));
	k->family = u->family;
	memcpy(k->addr[reverse], u->saddr, alen);
	memcpy(k->addr[!reverse], u->daddr, alen);
	k->port[reverse] = u->sport;
	k->port[!reverse] = u->dport;
}

static struct hlist_head *conn_bucket(struct tcpstats *ts,
				      const struct tcpstats_key *k)
{
	/*
	 * Either order of the ends hashes alike: the lower end first, then
	 * the whole 4-tuple through the seeded hash, so that no choice of
	 * ports or addresses by a sender puts connections in one bucket.
	 */
	int cmp = memcmp(k->addr[0], k->addr[1], sizeof(k->addr[0]));
	unsigned int lo = cmp > 0 || (!cmp && ntohs(k->port[0]) > ntohs(k->port[1]));
	u32 w[9];

	memcpy(w, k->addr[lo], sizeof(k->addr[lo]));
	memcpy(w + 4, k->addr[!lo], sizeof(k->addr[!lo]));
	w[8] = (u32)ntohs(k->port[lo]) << 16 | ntohs(k->port[!lo]);
	return &ts->buckets[hash_32(jhash2(w, ARRAY_SIZE(w), ts->seed),
				    ts->hash_bits)];
}

/* @u's connection and the side that sent @u, or NULL. */
static struct tcpstats_conn *lookup(struct tcpstats *ts,
				    const struct flowos_unit *u,
				    unsigned int *side)
{
	struct tcpstats_key k[2];
	struct tcpstats_conn *c;

	unit_key(u, &k[0], false);
	unit_key(u, &k[1], true);
	hlist_for_each_entry(c, conn_bucket(ts, &k[0]), hnode) {
		for (*side = 0; *side < TCPA_SIDES; (*side)++)
			if (!memcmp(&c->key, &k[*side], sizeof(c->key)))
				return c;
	}
	return NULL;
}

static void put_addr_port(struct flowos_results *res, const char *addr,
			  const char *port, const struct tcpstats_key *k,
			  unsigned int side)
{
	flowos_result_put_addr(res, addr, k->family, k->addr[side]);
	flowos_result_put_u64(res, port, ntohs(k->port[side]));
}

static const char *const end_names[] = {
	[TCPA_OPEN] = "open", [TCPA_END_FIN] = "fin", [TCPA_END_RST] = "rst",
	[TCPA_END_IDLE] = "idle", [TCPA_END_EVICTED] = "evicted",
	[TCPA_END_REUSED] = "reused",
};

/* What one direction of a connection did (columns c_..., s_...). */
static int put_dir(struct flowos_results *res, const struct tcpa_conn *a,
		   unsigned int side)
{
	static const char *const names[TCPA_SIDES][19] = {
		{ "c_packets", "c_bytes", "c_payload", "c_retrans",
		  "c_retrans_bytes", "c_out_of_order", "c_dup_acks",
		  "c_zero_windows", "c_rtt_samples", "c_rtt_min_us",
		  "c_rtt_mean_us", "c_rtt_max_us", "c_rtt_stddev_us",
		  "c_rtt_last_us", "c_ts_rtt_samples", "c_ts_rtt_min_us",
		  "c_ts_rtt_mean_us", "c_ts_rtt_max_us", "c_throughput_bps" },
		{ "s_packets", "s_bytes", "s_payload", "s_retrans",
		  "s_retrans_bytes", "s_out_of_order", "s_dup_acks",
		  "s_zero_windows", "s_rtt_samples", "s_rtt_min_us",
		  "s_rtt_mean_us", "s_rtt_max_us", "s_rtt_stddev_us",
		  "s_rtt_last_us", "s_ts_rtt_samples", "s_ts_rtt_min_us",
		  "s_ts_rtt_mean_us", "s_ts_rtt_max_us", "s_throughput_bps" },
	};
	const char *const *n = names[side];
	const struct tcpa_dir *d = &a->dir[side];
	u64 span = d->last_data_t - d->first_data_t;
	/* 128 bits inside: 8 * NSEC_PER_SEC * payload wraps past 2.3 GB. */
	u64 bps = span ? mul_u64_u64_div_u64(d->payload, 8 * NSEC_PER_SEC,
					     span) : 0;

	flowos_result_put_u64(res, n[0], d->packets);
	flowos_result_put_u64(res, n[1], d->bytes);
	flowos_result_put_u64(res, n[2], d->payload);
	flowos_result_put_u64(res, n[3], d->retrans);
	flowos_result_put_u64(res, n[4], d->retrans_bytes);
	flowos_result_put_u64(res, n[5], d->out_of_order);
	flowos_result_put_u64(res, n[6], d->dup_acks);
	flowos_result_put_u64(res, n[7], d->zero_windows);
	flowos_result_put_u64(res, n[8], d->rtt.n);
	flowos_result_put_u64(res, n[9], us(d->rtt.min));
	flowos_result_put_u64(res, n[10], us(tcpa_rtt_mean(&d->rtt)));
	flowos_result_put_u64(res, n[11], us(d->rtt.max));
	flowos_result_put_u64(res, n[12], us(tcpa_rtt_stddev(&d->rtt)));
	flowos_result_put_u64(res, n[13], us(d->rtt.last));
	flowos_result_put_u64(res, n[14], d->ts_rtt.n);
	flowos_result_put_u64(res, n[15], us(d->ts_rtt.min));
	flowos_result_put_u64(res, n[16], us(tcpa_rtt_mean(&d->ts_rtt)));
	flowos_result_put_u64(res, n[17], us(d->ts_rtt.max));
	return flowos_result_put_u64(res, n[18], bps);
}

/* A time of the units' clock (CLOCK_MONOTONIC) as ms since the epoch. */
static u64 unix_ms(u64 mono_ns)
{
	return ktime_to_ms(ktime_mono_to_real(ns_to_ktime(mono_ns)));
}

/*
 * One connection's record: a row's values, or an event's.  Returns the
 * sticky error of the results.
 */
static int put_conn(struct flowos_results *res, const struct tcpstats_key *k,
		    const struct tcpa_conn *a)
{
	const struct tcpa_dir *c = &a->dir[TCPA_CLIENT];
	const struct tcpa_dir *s = &a->dir[TCPA_SERVER];

	put_addr_port(res, "client", "cport", k, TCPA_CLIENT);
	put_addr_port(res, "server", "sport", k, TCPA_SERVER);
	flowos_result_put_string(res, "state", end_names[a->end]);
	flowos_result_put_u64(res, "midstream", a->midstream);
	flowos_result_put_u64(res, "refused", a->refused);
	flowos_result_put_u64(res, "start_ms", unix_ms(a->start));
	flowos_result_put_u64(res, "end_ms", unix_ms(a->last));
	flowos_result_put_u64(res, "duration_ms",
			      div_u64(a->last - a->start, NSEC_PER_MSEC));
	flowos_result_put_u64(res, "hs_server_rtt_us", us(a->hs_server_rtt));
	flowos_result_put_u64(res, "hs_client_rtt_us", us(a->hs_client_rtt));
	flowos_result_put_u64(res, "c_mss", c->mss);
	flowos_result_put_u64(res, "s_mss", s->mss);
	flowos_result_put_u64(res, "c_wscale", c->wscale);
	flowos_result_put_u64(res, "s_wscale", s->wscale);
	flowos_result_put_u64(res, "sack", c->sack_ok && s->sack_ok);
	flowos_result_put_u64(res, "timestamps", c->ts_ok && s->ts_ok);
	flowos_result_put_u64(res, "bad_flags", a->bad_flags);
	put_dir(res, a, TCPA_CLIENT);
	return put_dir(res, a, TCPA_SERVER);
}

/* @c ends (@a->end says how): announced, counted, freed. */
static void conn_end(struct flowos_pm *pm, struct tcpstats_conn *c)
{
	static const unsigned int counter[] = {
		[TCPA_END_FIN] = S_CLOSED_FIN, [TCPA_END_RST] = S_CLOSED_RST,
		[TCPA_END_IDLE] = S_EXPIRED, [TCPA_END_EVICTED] = S_EVICTED,
		[TCPA_END_REUSED] = S_REUSED,
	};
	struct tcpstats *ts = pm->priv;
	struct flowos_pm_event ev;

	bump_counter(ts, counter[c->a.end], 1);
	if (flowos_pm_event_start(pm, &ev, "conn_end")) {
		if (put_conn(ev.res, &c->key, &c->a))
			flowos_pm_event_cancel(&ev);
		else
			flowos_pm_event_send(pm, &ev);
	}
	hlist_del(&c->hnode);
	list_move(&c->lru, &ts->free);
}

/* A new connection for @u, its sender the client; evicts if full. */
static struct tcpstats_conn *conn_new(struct flowos_pm *pm,
				      const struct flowos_unit *u)
{
	struct tcpstats *ts = pm->priv;
	struct tcpstats_conn *c;

	/* Full: an ended one goes first, then the least recently seen. */
	if (list_empty(&ts->free)) {
		c = list_first_entry_or_null(&ts->lingering,
					     struct tcpstats_conn, lru);
		if (!c) {
			c = list_first_entry(&ts->open, struct tcpstats_conn, lru);
			c->a.end = TCPA_END_EVICTED;
		}
		conn_end(pm, c);
	}
	c = list_first_entry(&ts->free, struct tcpstats_conn, lru);
	unit_key(u, &c->key, false);
	tcpa_init(&c->a, u->tstamp);
	hlist_add_head(&c->hnode, conn_bucket(ts, &c->key));
	list_move_tail(&c->lru, &ts->open);
	bump_counter(ts, S_OPENED, 1);
	return c;
}

/* @u as tcpa.c takes it: the header's window and options if at hand. */
static void unit_seg(struct tcpstats *ts, const struct flowos_unit *u,
		     struct tcpa_seg *s)
{
	u32 hlen = u->payload_off - u->l4_off;
	const u8 *th = NULL;
	u8 buf[60];

	*s = (struct tcpa_seg) {
		.t = u->tstamp, .seq = u->tcp_seq, .ack = u->tcp_ack,
		.len = u->payload_len, .wire_len = u->wire_len,
		.segs = u->segs, .flags = u->tcp_flags,
	};
	/* The TCP header with its options lies from l4_off to the payload. */
	if (u->skb && hlen <= sizeof(buf))
		th = skb_header_pointer(u->skb, u->l4_off, hlen, buf);
	if (!th || tcpa_parse(th, hlen, s))
		bump_counter(ts, S_NO_HEADER, 1);
}

static void take_unit(struct flowos_pm *pm, const struct flowos_unit *u)
{
	struct tcpstats *ts = pm->priv;
	struct tcpstats_conn *c;
	u64 samples[TCPA_SIDES];
	unsigned int side, v, d;
	struct tcpa_seg s;
	bool midstream, refused;

	unit_seg(ts, u, &s);
	c = lookup(ts, u, &side);
	if (c && tcpa_new_conn(&c->a, side, &s)) {
		/* Lingering after its end, or still open: reused. */
		if (c->a.end == TCPA_OPEN)
			c->a.end = TCPA_END_REUSED;
		conn_end(pm, c);
		c = NULL;
	}
	if (!c) {
		c = conn_new(pm, u);
		side = TCPA_CLIENT;
	}
	for (d = 0; d < TCPA_SIDES; d++)
		samples[d] = c->a.dir[d].rtt.n;
	midstream = c->a.midstream;
	refused = c->a.refused && c->a.end == TCPA_END_RST;
	v = tcpa_add(&c->a, side, &s);
	for (d = 0; d < TCPA_SIDES; d++)
		if (c->a.dir[d].rtt.n != samples[d])
			add_sample(ts, c->a.dir[d].rtt.last);
	bump_counter(ts, S_RETRANS, !!(v & TCPA_RETRANS));
	bump_counter(ts, S_OOO, !!(v & TCPA_OUT_OF_ORDER));
	bump_counter(ts, S_DUP_ACKS, !!(v & TCPA_DUP_ACK));
	bump_counter(ts, S_ZERO_WINDOWS, !!(v & TCPA_ZERO_WINDOW));
	bump_counter(ts, S_BAD_FLAGS, !!(v & TCPA_BAD_FLAGS));
	if (!midstream && c->a.midstream)
		bump_counter(ts, S_MIDSTREAM, 1);
	/* Once: a refused connection lingers, and may take more segments. */
	if (!refused && c->a.refused && c->a.end == TCPA_END_RST)
		bump_counter(ts, S_REFUSED, 1);
	if (c->a.end == TCPA_OPEN)
		list_move_tail(&c->lru, &ts->open);
	else if (ts->linger_ns)	/* for its late segments, until a tick */
		list_move_tail(&c->lru, &ts->lingering);
	else
		conn_end(pm, c);
}

static unsigned int tcpstats_process(struct flowos_pm *pm,
				     const struct flowos_window *win)
{
	struct tcpstats *ts = pm->priv;
	const struct flowos_unit *u;
	u64 seq;

	mutex_lock(&ts->lock);
	flowos_window_for_each(win, seq, u)
		take_unit(pm, u);
	mutex_unlock(&ts->lock);
	return win->tail - win->head;
}

/* The connections idle since before @now - idle end. */
static void tcpstats_tick(struct flowos_pm *pm, unsigned int worker, u64 now)
{
	struct tcpstats *ts = pm->priv;
	struct tcpstats_conn *c, *tmp;

	mutex_lock(&ts->lock);
	list_for_each_entry_safe(c, tmp, &ts->lingering, lru) {
		if (now < c->a.last || now - c->a.last < ts->linger_ns)
			break;
		conn_end(pm, c);
	}
	list_for_each_entry_safe(c, tmp, &ts->open, lru) {
		if (now < c->a.last || now - c->a.last < ts->idle_ns)
			break;
		c->a.end = TCPA_END_IDLE;
		conn_end(pm, c);
	}
	mutex_unlock(&ts->lock);
}

static size_t tcpstats_size(unsigned int max_conns, unsigned int bits)
{
	return sizeof(struct tcpstats) +
	       array_size(max_conns, sizeof(struct tcpstats_conn)) +
	       (sizeof(struct hlist_head) << bits);
}

static int tcpstats_init(struct flowos_pm *pm)
{
	unsigned int max = pm->params[P_MAX_CONNS], i;
	unsigned int bits = ilog2(roundup_pow_of_two(max));
	size_t size = tcpstats_size(max, bits);
	struct tcpstats *ts;

	if (!flowos_mem_charge(size))
		return -ENOSPC;
	/* 33 KiB of samples: an order-4 page block is not to be counted on. */
	ts = kvzalloc(sizeof(*ts), GFP_KERNEL);
	if (ts) {
		ts->pool = kvcalloc(max, sizeof(*ts->pool), GFP_KERNEL);
		ts->buckets = kvcalloc(1U << bits, sizeof(*ts->buckets),
				       GFP_KERNEL);
	}
	if (!ts || !ts->pool || !ts->buckets) {
		if (ts) {
			kvfree(ts->pool);
			kvfree(ts->buckets);
		}
		kvfree(ts);
		flowos_mem_uncharge(size);
		return -ENOMEM;
	}
	mutex_init(&ts->lock);
	ts->hash_bits = bits;
	ts->seed = get_random_u32();
	ts->idle_ns = pm->params[P_IDLE] * NSEC_PER_MSEC;
	ts->linger_ns = pm->params[P_LINGER] * NSEC_PER_MSEC;
	ts->charged = size;
	INIT_LIST_HEAD(&ts->free);
	INIT_LIST_HEAD(&ts->open);
	INIT_LIST_HEAD(&ts->lingering);
	for (i = 0; i < max; i++)
		list_add_tail(&ts->pool[i].lru, &ts->free);
	pm->priv = ts;
	/* Windows and options are in each header: keep every packet. */
	pm->headers = true;
	return 0;
}

static void tcpstats_fini(struct flowos_pm *pm)
{
	struct tcpstats *ts = pm->priv;

	mutex_destroy(&ts->lock);
	kvfree(ts->pool);
	kvfree(ts->buckets);
	flowos_mem_uncharge(ts->charged);
	kvfree(ts);
}

static u64 tcpstats_read_scalar(const struct flowos_pm *pm, unsigned int i)
{
	const struct tcpstats *ts = pm->priv;
	u64 ended = 0, opened;
	unsigned int e;

	if (i != S_ACTIVE)
		return READ_ONCE(ts->counters[i]);
	/*
	 * Ended before opened is read, but a weakly ordered CPU may still
	 * show a connection's end without its opening: never below 0.
	 */
	for (e = S_CLOSED_FIN; e <= S_REUSED; e++)
		ended += READ_ONCE(ts->counters[e]);
	opened = READ_ONCE(ts->counters[S_OPENED]);
	return opened > ended ? opened - ended : 0;
}

/* A connection as the results show it, copied under the lock. */
struct conn_row {
	struct tcpstats_key key;
	struct tcpa_conn a;
	u64 bytes;
	u64 rtt_mean;
};

static void copy_row(struct conn_row *row, const struct tcpstats_conn *c)
{
	row->key = c->key;
	row->a = c->a;
	row->bytes = c->a.dir[0].bytes + c->a.dir[1].bytes;
	row->rtt_mean = max(tcpa_rtt_mean(&c->a.dir[0].rtt),
			    tcpa_rtt_mean(&c->a.dir[1].rtt));
}

/* Rows are sorted by pointer: a row is 1.6 KiB, too much to swap. */
static int row_by_bytes(const void *x, const void *y)
{
	const struct conn_row *a = *(const struct conn_row **)x;
	const struct conn_row *b = *(const struct conn_row **)y;

	return a->bytes < b->bytes ? 1 : a->bytes > b->bytes ? -1 : 0;
}

static int row_by_rtt(const void *x, const void *y)
{
	const struct conn_row *a = *(const struct conn_row **)x;
	const struct conn_row *b = *(const struct conn_row **)y;

	return a->rtt_mean < b->rtt_mean ? 1 :
	       a->rtt_mean > b->rtt_mean ? -1 : 0;
}

static int u64_cmp(const void *x, const void *y)
{
	u64 a = *(const u64 *)x, b = *(const u64 *)y;

	return a < b ? -1 : a > b;
}

/* The @pct-th percentile (nearest rank) of @n sorted samples, in us. */
static u64 percentile(const u64 *v, unsigned int n, unsigned int pct)
{
	return n ? us(v[DIV_ROUND_UP(n * pct, 100) - 1]) : 0;
}

/* A table of @n rows; returns the sticky error of the results. */
static int put_rows(struct flowos_results *res, const char *name,
		    const struct conn_row *const *order, unsigned int n)
{
	unsigned int i;

	flowos_result_table_start(res, name);
	for (i = 0; i < n; i++) {
		flowos_result_row_start(res);
		put_conn(res, &order[i]->key, &order[i]->a);
		flowos_result_end(res);
	}
	return flowos_result_end(res);
}

static int tcpstats_fill_results(const struct flowos_pm *pm,
				 struct flowos_results *res)
{
	unsigned int report = pm->params[P_REPORT], n = 0, i, ns;
	struct tcpstats *ts = pm->priv;
	const struct tcpstats_conn *c;
	unsigned int max = pm->params[P_MAX_CONNS];
	u64 hist[ARRAY_SIZE(hist_le_us)];
	const struct conn_row **order;
	struct conn_row *rows;
	u64 *samples;

	/* A read has two scratch areas: the rows and their order share one. */
	rows = flowos_result_scratch(res, array_size(max, sizeof(*rows) +
							sizeof(*order)));
	samples = flowos_result_scratch(res, sizeof(ts->samples));
	if (!rows || !samples)
		return -ENOMEM;
	order = (const struct conn_row **)(rows + max);
	mutex_lock(&ts->lock);
	list_for_each_entry(c, &ts->open, lru)
		copy_row(&rows[n++], c);
	list_for_each_entry(c, &ts->lingering, lru)
		copy_row(&rows[n++], c);
	ns = min_t(u64, ts->counters[S_RTT_SAMPLES], TCPSTATS_SAMPLES);
	memcpy(samples, ts->samples, sizeof(ts->samples));
	memcpy(hist, ts->hist, sizeof(hist));
	mutex_unlock(&ts->lock);

	sort(samples, ns, sizeof(*samples), u64_cmp, NULL);
	flowos_result_put_u64(res, "rtt_p50_us", percentile(samples, ns, 50));
	flowos_result_put_u64(res, "rtt_p90_us", percentile(samples, ns, 90));
	flowos_result_put_u64(res, "rtt_p99_us", percentile(samples, ns, 99));
	flowos_result_put_u64(res, "rtt_percentile_of", ns);
	flowos_result_table_start(res, "rtt_hist");
	for (i = 0; i < ARRAY_SIZE(hist); i++) {
		flowos_result_row_start(res);
		flowos_result_put_u64(res, "le_us", hist_le_us[i]);
		flowos_result_put_u64(res, "samples", hist[i]);
		flowos_result_end(res);
	}
	flowos_result_end(res);
	for (i = 0; i < n; i++)
		order[i] = &rows[i];
	sort(order, n, sizeof(*order), row_by_bytes, NULL);
	put_rows(res, "conns", order, report ? min(n, report) : n);
	sort(order, n, sizeof(*order), row_by_rtt, NULL);
	return put_rows(res, "top_rtt", order, report ? min(n, report) : n);
}

static struct flowos_pm_ops tcpstats_ops = {
	.name = "tcpstats",
	.owner = THIS_MODULE,
	.layer = FLOWOS_LAYER_TCP,
	.mode = FLOWOS_PM_MODE_RO,
	.params = tcpstats_params,
	.n_params = ARRAY_SIZE(tcpstats_params),
	.scalars = tcpstats_scalars,
	.n_scalars = ARRAY_SIZE(tcpstats_scalars),
	.init = tcpstats_init,
	.fini = tcpstats_fini,
	.process = tcpstats_process,
	.tick = tcpstats_tick,
	.read_scalar = tcpstats_read_scalar,
	.fill_results = tcpstats_fill_results,
};

static int __init tcpstats_module_init(void)
{
	return flowos_register_pm(&tcpstats_ops);
}

static void __exit tcpstats_module_exit(void)
{
	flowos_unregister_pm(&tcpstats_ops);
}

module_init(tcpstats_module_init);
module_exit(tcpstats_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowos PM: TCP connection performance (RTT, retransmissions, reordering)");
MODULE_ALIAS_FLOWOS_PM("tcpstats");
