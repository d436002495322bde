// SPDX-License-Identifier: GPL-2.0
/*
 * bench-native: flowos's packet path built from the kernel's own source
 * (kmod/parse.c, kmod/classify.c, kmod/fastpath.h) and run natively over
 * a trace held in memory.  It measures what the VM cannot: time on a real
 * CPU (Mpps per core, ns per packet) and, under callgrind, an exact count
 * of instructions per packet for each stage of the path.
 *
 * Configurations, each a stage of what the hook does per packet:
 *   parse      flowos_parse_l3() only
 *   flows1     + the key, classification among 1 flow and the flow's
 *              counters: the hook with no PM attached
 *   unit1      + the unit written on the flow's ring: a PM attached
 *   flows100   flows1 with 100 flows defined, the packets matching the
 *   flows1000  last one added (the others match other UDP ports)
 *   shapes4    flows1 with 4 or 8 flows whose matches differ in shape
 *   shapes8    (which fields, which prefix lengths), so that each is a
 *              group of its own that every packet is looked up in
 *   rich8      shapes8 with shapes of the matches added later: ICMP type
 *              and code, DSCP, ECN (the key's words are the same)
 *   count5     unit1, and the count PM's work on the unit, done at once:
 *              its key and its sub-flow table (pms/count/table.c), per
 *              5-tuple, as many entries as the trace has 5-tuples (4096,
 *              max_subflows' default)
 *   countsrc   count5 keyed by source address ("key src"): packets and
 *              bytes per source, the task of Michel et al. (seeds/004)
 *   count5_64k count5 over a trace of 65536 or 2^20 5-tuples, each once
 *   count5_1m  per pass in a scrambled order, in a table of as many
 *   unit1_1m   unit1 over count5_1m's trace: what it costs without a table
 *
 * A count stage fills its table in a pass over the trace before the
 * clock starts, so that every measured packet finds its sub-flow, as in
 * "make bench"'s flowos_count_4k/64k/1m; the run fails unless the table
 * holds every 5-tuple, evicted none and counted every packet.
 *
 * What the kernel adds around this, and "make bench" measures in the VM:
 * the netfilter hook call and the defragmentation hook before it,
 * skb_header_pointer() instead of a flat buffer, local_bh_disable() and
 * local_bh_enable(), per-CPU addressing, the clocksource behind
 * ktime_get_ns(), and the PM thread's wake-ups.  Here the PM is assumed
 * to keep up: a wake-up (every FLOWOS_WAKE_BATCH units) releases the
 * ring.  The run fails if any packet is not classified as expected,
 * since a benchmark that misclassifies measures nothing.
 */
#include <getopt.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

#include "fastpath.h"
#include "table.h"

/* As kmod/stream.c: queued units that make the hook wake the PM. */
#define FLOWOS_WAKE_BATCH	64
#define RING_LEN		4096
/* Distinct frames in a synthetic trace, and the stride they lie at. */
#define TRACE_FRAMES		65536
#define FRAME_STRIDE		128
#define HIT_PORT		9
#define IFINDEX			2

enum bench_stage { STAGE_PARSE, STAGE_CLASSIFY, STAGE_UNIT, STAGE_COUNT };

/* The synthetic traces: 4096 5-tuples in order, or more, scrambled. */
enum trace_kind { TRACE_4K, TRACE_64K, TRACE_1M, TRACE_KINDS };

static const u32 trace_tuples[TRACE_KINDS] = { 4096, 1U << 16, 1U << 20 };

struct config {
	const char *name;
	enum bench_stage stage;
	unsigned int nflows;
	bool shapes;		/* each flow a shape of its own */
	bool rich;		/* ... of ICMP type, DSCP and ECN matches */
	enum trace_kind trace;
	const char *key;	/* the count PM's key: NULL, 5-tuple */
};

static const struct config configs[] = {
	{ "parse", STAGE_PARSE, 0 },
	{ "flows1", STAGE_CLASSIFY, 1 },
	{ "unit1", STAGE_UNIT, 1 },
	{ "flows100", STAGE_CLASSIFY, 100 },
	{ "flows1000", STAGE_CLASSIFY, 1000 },
	{ "shapes4", STAGE_CLASSIFY, 4, true },
	{ "shapes8", STAGE_CLASSIFY, 8, true },
	{ "rich8", STAGE_CLASSIFY, 8, true, true },
	{ "count5", STAGE_COUNT, 1 },
	{ "countsrc", STAGE_COUNT, 1, .key = "src" },
	{ "count5_64k", STAGE_COUNT, 1, .trace = TRACE_64K },
	{ "count5_1m", STAGE_COUNT, 1, .trace = TRACE_1M },
	{ "unit1_1m", STAGE_UNIT, 1, .trace = TRACE_1M },
};

/* A frame of the trace: its bytes, and where its IP header starts. */
struct trace_pkt {
	const u8 *data;
	u32 len;
	u16 l3_off;
	__be16 proto;
};

struct trace {
	struct trace_pkt *pkts;
	u32 n;
	u8 *frames;
};

/* What the kernel keeps per flow per CPU (struct flowos_flow_stats). */
struct flow_stats {
	u64 packets[2];
	u64 bytes[2];
};

/* A flow's ring on one CPU, as struct flowos_ring. */
struct ring {
	u64 tail;
	unsigned int since_wake;
	u64 released;
	u64 ring_drops;
	u64 wakes;
	struct flowos_unit units[RING_LEN];
};

/* The count PM's state for the count stages, as one shard of it. */
struct count {
	struct count_keyspec ks;
	struct count_table table;
	u64 found[COUNT_EVICTED + 1];	/* by enum count_table_found */
	u64 packets;
	u64 bytes;
};

struct bench {
	struct flowos_classifier *cls;
	struct flowos_flow *flows;
	struct flow_stats *stats;	/* by flow id - 1 */
	struct ring *ring;
	struct count count;
	u64 malformed;
	u64 parsed;
};

/*
 * ktime_get_ns() as the kernel computes it from the TSC clocksource:
 * cycles since a base, scaled by mult >> shift.  The kernel adds a
 * seqcount read and an indirect call to the clocksource.
 */
static struct {
	u64 base_cycles;
	u64 base_ns;
	u32 mult;
	u32 shift;
} clk;

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void clock_calibrate(void)
{
	struct timespec pause = { .tv_nsec = 20000000 };
	u64 c0 = __rdtsc(), t0 = now_ns(), c1, t1;

	nanosleep(&pause, NULL);
	c1 = __rdtsc();
	t1 = now_ns();
	clk.shift = 24;
	clk.mult = (u32)(((t1 - t0) << clk.shift) / (c1 - c0 ? c1 - c0 : 1));
	clk.base_cycles = c1;
	clk.base_ns = t1;
}

static inline u64 ktime_get_ns(void)
{
	return clk.base_ns +
	       (((__rdtsc() - clk.base_cycles) * clk.mult) >> clk.shift);
}

/* flowctl create fN proto udp dport P: what netlink makes of it. */
static void flow_init(struct flowos_flow *flow, u32 id, u16 dport)
{
	memset(flow, 0, sizeof(*flow));
	flow->id = id;
	flow->match.proto = IPPROTO_UDP;
	flow->match.dport_min = dport;
	flow->match.dport_max = dport;
	flow->match.dir = FLOWOS_DIR_IN;
	flow->match.present = BIT(FLOWOS_A_FLOW_PROTO) |
			      BIT(FLOWOS_A_FLOW_DPORT_MIN);
}

static void match_prefix(struct flowos_match *m, bool dest, u32 addr,
			 u8 len)
{
	m->family = AF_INET;
	m->present |= BIT(FLOWOS_A_FLOW_FAMILY);
	if (dest) {
		m->dst[0] = htonl(addr);
		m->dst_len = len;
		m->present |= BIT(FLOWOS_A_FLOW_DST);
	} else {
		m->src[0] = htonl(addr);
		m->src_len = len;
		m->present |= BIT(FLOWOS_A_FLOW_SRC);
	}
}

/*
 * A flow of shape @shape (1..7), none of which the trace matches: each
 * masks other fields, or the same ones with other prefix lengths, than
 * the others and than the hit flow (proto, dport, dir).
 */
static void flow_shape(struct flowos_flow *flow, u32 id, unsigned int shape)
{
	struct flowos_match *m = &flow->match;

	memset(flow, 0, sizeof(*flow));
	flow->id = id;
	m->dir = FLOWOS_DIR_IN;
	switch (shape) {
	case 1:		/* src 10.99.0.0/16 */
		match_prefix(m, false, 0x0a630000, 16);
		break;
	case 2:		/* dst 192.0.2.0/24 */
		match_prefix(m, true, 0xc0000200, 24);
		break;
	case 3:		/* proto tcp sport 22 */
		m->proto = IPPROTO_TCP;
		m->sport_min = 22;
		m->sport_max = 22;
		m->present = BIT(FLOWOS_A_FLOW_PROTO) | BIT(FLOWOS_A_FLOW_SPORT_MIN);
		break;
	case 4:		/* src 10.98.0.0/16 dst 192.0.3.0/24 */
		match_prefix(m, false, 0x0a620000, 16);
		match_prefix(m, true, 0xc0000300, 24);
		break;
	case 5:		/* proto udp sport 5353 dport 53 */
		m->proto = IPPROTO_UDP;
		m->sport_min = 5353;
		m->sport_max = 5353;
		m->dport_min = 53;
		m->dport_max = 53;
		m->present = BIT(FLOWOS_A_FLOW_PROTO) | BIT(FLOWOS_A_FLOW_SPORT_MIN) |
			     BIT(FLOWOS_A_FLOW_DPORT_MIN);
		break;
	case 6:		/* dev with ifindex 99 */
		m->ifindex = 99;
		m->present = BIT(FLOWOS_A_FLOW_IFINDEX);
		break;
	default:	/* dst 203.0.113.0/24 proto udp */
		match_prefix(m, true, 0xcb007100, 24);
		m->proto = IPPROTO_UDP;
		m->present |= BIT(FLOWOS_A_FLOW_PROTO);
		break;
	}
}

/*
 * A flow of shape @shape (1..7) among ICMP type and code, DSCP and ECN
 * matches, none of which the trace (UDP, DS field 0) matches.
 */
static void flow_rich_shape(struct flowos_flow *flow, u32 id,
			    unsigned int shape)
{
	struct flowos_match *m = &flow->match;

	if (shape > 4) {	/* src /16, dst /24, tcp sport 22 */
		flow_shape(flow, id, shape - 4);
		return;
	}
	memset(flow, 0, sizeof(*flow));
	flow->id = id;
	m->dir = FLOWOS_DIR_IN;
	switch (shape) {
	case 1:		/* proto icmp icmp-type echo-request */
		m->proto = IPPROTO_ICMP;
		m->icmp_type = 8;
		m->present = BIT(FLOWOS_A_FLOW_PROTO) | BIT(FLOWOS_A_FLOW_ICMP_TYPE);
		break;
	case 2:		/* proto icmpv6 icmp-type 1 icmp-code 4 */
		m->proto = IPPROTO_ICMPV6;
		m->icmp_type = 1;
		m->icmp_code = 4;
		m->present = BIT(FLOWOS_A_FLOW_PROTO) | BIT(FLOWOS_A_FLOW_ICMP_TYPE) |
			     BIT(FLOWOS_A_FLOW_ICMP_CODE);
		break;
	case 3:		/* dscp ef */
		m->dscp = 46;
		m->present = BIT(FLOWOS_A_FLOW_DSCP);
		break;
	default:	/* proto udp dscp af11 ecn ce */
		m->proto = IPPROTO_UDP;
		m->dscp = 10;
		m->ecn = 3;
		m->present = BIT(FLOWOS_A_FLOW_PROTO) | BIT(FLOWOS_A_FLOW_DSCP) |
			     BIT(FLOWOS_A_FLOW_ECN);
		break;
	}
}

/* The count PM's key (count.c's parse_key() of "5tuple" or "src"). */
static void count_keyspec(struct count_keyspec *ks, const char *key)
{
	memset(ks, 0, sizeof(*ks));
	ks->fields = key ? K_SRC : K_5TUPLE;
	ks->whole = !key;
	ks->plen[KEY_SRC][0] = 32;
	ks->plen[KEY_SRC][1] = 128;
	ks->plen[KEY_DST][0] = 32;
	ks->plen[KEY_DST][1] = 128;
}

/*
 * @n flows; the packets match the last one, as in scripts/bench-guest.sh.
 * A count stage's table has room for @subflows.
 */
static int bench_init(struct bench *b, const struct config *cfg,
		      bool match_all, u32 subflows)
{
	struct netlink_ext_ack extack = {};
	struct list_head list;
	unsigned int i;

	memset(b, 0, sizeof(*b));
	if (cfg->stage == STAGE_COUNT) {
		count_keyspec(&b->count.ks, cfg->key);
		if (count_table_init(&b->count.table, subflows, 1))
			return -ENOMEM;
	}
	if (!cfg->nflows)
		return 0;
	b->flows = calloc(cfg->nflows, sizeof(*b->flows));
	b->stats = calloc(cfg->nflows, sizeof(*b->stats));
	b->ring = calloc(1, sizeof(*b->ring));
	if (!b->flows || !b->stats || !b->ring)
		return -ENOMEM;
	INIT_LIST_HEAD(&list);
	for (i = 0; i < cfg->nflows; i++) {
		bool hit = i == cfg->nflows - 1;

		if (cfg->rich && !hit)
			flow_rich_shape(&b->flows[i], i + 1, i + 1);
		else if (cfg->shapes && !hit)
			flow_shape(&b->flows[i], i + 1, i + 1);
		else
			flow_init(&b->flows[i], i + 1, hit ? HIT_PORT : 20002 + i);
		if (hit && match_all)
			b->flows[i].match.present = 0;
		list_add_tail(&b->flows[i].node, &list);
	}
	b->cls = flowos_classifier_build(&list, &extack);
	if (!b->cls || IS_ERR(b->cls)) {
		fprintf(stderr, "bench-native: classifier: %s\n",
			extack._msg ? extack._msg : "failed");
		return -EINVAL;
	}
	return 0;
}

static void bench_free(struct bench *b)
{
	count_table_free(&b->count.table);
	flowos_classifier_free_rcu(b->cls);
	free(b->flows);
	free(b->stats);
	free(b->ring);
}

static inline void count(struct flow_stats *s, u32 len)
{
	s->packets[0]++;
	s->bytes[0] += len;
}

/*
 * flowos_stream_enqueue() without the clone: header-only PMs.  Returns
 * the unit written, or NULL if the ring was full.
 */
static inline const struct flowos_unit *enqueue(struct ring *r,
						const struct flowos_pkt *pkt)
{
	struct flowos_unit *u;
	u64 tail = r->tail;

	if (tail - r->released >= RING_LEN) {
		r->ring_drops++;
		return NULL;
	}
	u = &r->units[tail & (RING_LEN - 1)];
	flowos_unit_fill(u, pkt, FLOWOS_DIR_IN, ktime_get_ns());
	r->tail = tail + 1;
	if (++r->since_wake >= FLOWOS_WAKE_BATCH) {
		r->since_wake = 0;
		r->wakes++;
		r->released = r->tail;
	}
	return u;
}

/* What count_process() does with a unit, on the table of one worker. */
static inline void count_unit(struct count *c, const struct flowos_unit *u)
{
	enum count_table_found found;
	struct count_subflow *sf;
	struct count_key key;

	count_unit_key(&c->ks, u, &key);
	sf = count_table_get(&c->table, &key, &found);
	c->found[found]++;
	sf->packets += u->segs;
	sf->bytes += u->wire_len;
	c->packets += u->segs;
	c->bytes += u->wire_len;
}

/*
 * @n packets of @t, cycling, through @stage: the trace's frames in
 * order, or with @stride (below the trace's length, and prime to it),
 * every @stride-th.
 */
static __always_inline void
stage_loop(struct bench *b, enum bench_stage stage, const struct trace *t,
	   u64 n, u32 stride)
{
	u32 j = 0;
	u64 i;

	for (i = 0; i < n; i++) {
		const struct trace_pkt *tp = &t->pkts[j];
		const struct flowos_pkt_buf buf = { tp->data, tp->len };
		struct flowos_flow *flow;
		struct flowos_pkt pkt;
		struct flowos_key key;

		j += stride;
		if (j >= t->n)
			j -= t->n;
		if (flowos_parse_l3(&buf, tp->l3_off, tp->proto, &pkt) !=
		    FLOWOS_PARSE_OK) {
			b->malformed++;
			continue;
		}
		b->parsed++;
		if (stage == STAGE_PARSE)
			continue;
		flowos_pkt_key(&pkt, IFINDEX, FLOWOS_DIR_IN, &key);
		flow = flowos_classify(b->cls, &key);
		if (!flow)
			continue;
		count(&b->stats[flow->id - 1], pkt.len);
		if (stage >= STAGE_UNIT) {
			const struct flowos_unit *u = enqueue(b->ring, &pkt);

			if (stage == STAGE_COUNT && u)
				count_unit(&b->count, u);
		}
	}
}

/*
 * The measured loop.  Not inlined, so that callgrind can count it alone
 * (--toggle-collect=run_stage).
 */
static noinline void run_stage(struct bench *b, enum bench_stage stage,
			       const struct trace *t, u64 n)
{
	stage_loop(b, stage, t, n, 1);
}

static u32 gcd(u32 a, u32 b)
{
	while (b) {
		u32 r = a % b;

		a = b;
		b = r;
	}
	return a;
}

/*
 * A count stage's pass that fills its table, before the clock starts.
 * Its frames go in another order than the run's, a stride of about 0.4
 * of the trace: the table's pool is taken in the order sub-flows come,
 * so that a fill in the run's order would have the run walk the pool's
 * memory in order, the cache's best case.  noipa: else gcc folds it
 * into run_stage(), its twin, and callgrind counts the fill too.
 */
static __attribute__((__noipa__)) void fill_stage(struct bench *b, enum bench_stage stage,
				const struct trace *t, u64 n)
{
	u32 stride = t->n * 2 / 5 | 1;

	while (gcd(stride, t->n) != 1)
		stride += 2;
	stage_loop(b, stage, t, n, stride % t->n);
}

/*
 * A count stage's table: every packet of the fill (@fill) and of the
 * run (@n) counted; no eviction; with a synthetic trace, a sub-flow for
 * each of its 5-tuples (or, keyed by source, for each of its sources).
 */
static int count_verify(const struct count *c, const struct config *cfg,
			u64 fill, u64 n, bool synthetic)
{
	u64 want = trace_tuples[cfg->trace] / (cfg->key ? 16 : 1);

	if (c->packets != fill + n || c->found[COUNT_EVICTED] ||
	    (synthetic && c->found[COUNT_NEW] != want)) {
		fprintf(stderr,
			"bench-native: %s: %llu of %llu packets, %llu sub-flows (%llu wanted), %llu evictions\n",
			cfg->name, (unsigned long long)c->packets,
			(unsigned long long)(fill + n),
			(unsigned long long)c->found[COUNT_NEW],
			(unsigned long long)want,
			(unsigned long long)c->found[COUNT_EVICTED]);
		return -1;
	}
	return 0;
}

/* The packets the hit flow must have counted: all of them that parsed. */
static int bench_verify(const struct bench *b, const struct config *cfg,
			u64 n)
{
	u64 hits;

	if (b->malformed) {
		fprintf(stderr, "bench-native: %s: %llu packets malformed\n",
			cfg->name, (unsigned long long)b->malformed);
		return -1;
	}
	if (!cfg->nflows)
		return 0;
	hits = b->stats[cfg->nflows - 1].packets[0];
	if (hits != n) {
		fprintf(stderr, "bench-native: %s: %llu of %llu packets hit the flow\n",
			cfg->name, (unsigned long long)hits,
			(unsigned long long)n);
		return -1;
	}
	if (cfg->stage >= STAGE_UNIT && b->ring->ring_drops) {
		fprintf(stderr, "bench-native: %s: ring drops\n", cfg->name);
		return -1;
	}
	return 0;
}

/*
 * A 60-byte UDP frame to port 9, as pktgen's: 5-tuple @tuple of 16
 * source ports (from 1024) of 10.0.1.0 and the addresses after it.
 */
static void synth_frame(u8 *f, u32 i, u32 tuple)
{
	struct ethhdr *eth = (struct ethhdr *)f;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);

	memset(f, 0, 60);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(46);
	ip->id = htons(i);
	ip->ttl = 32;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = htonl(0x0a000100 + (tuple >> 4));
	ip->daddr = htonl(0xc6120001);
	udp->source = htons(1024 + (tuple & 15));
	udp->dest = htons(HIT_PORT);
	udp->len = htons(26);
}

static int trace_add(struct trace *t, u8 *frame, u32 len)
{
	const struct flowos_pkt_buf buf = { frame, len };
	struct trace_pkt *tp = &t->pkts[t->n];
	struct flowos_pkt pkt;

	if (flowos_parse_eth(&buf, &pkt) != FLOWOS_PARSE_OK)
		return 0;	/* not IP, or malformed: not for the hook */
	tp->data = frame;
	tp->len = len;
	tp->l3_off = pkt.l3_off;
	tp->proto = htons(pkt.family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	t->n++;
	return 1;
}

/*
 * The synthetic trace of @kind: TRACE_FRAMES frames of 4096 5-tuples in
 * order; or one frame of each of its 5-tuples, in the order a
 * multiplication by an odd constant scrambles them to (a bijection
 * modulo their number, a power of two).
 */
static int trace_synth(struct trace *t, enum trace_kind kind)
{
	u32 tuples = trace_tuples[kind];
	u32 i, frames = kind == TRACE_4K ? TRACE_FRAMES : tuples;

	t->frames = calloc(frames, FRAME_STRIDE);
	t->pkts = calloc(frames, sizeof(*t->pkts));
	if (!t->frames || !t->pkts)
		return -ENOMEM;
	for (i = 0; i < frames; i++) {
		u32 tuple = kind == TRACE_4K ? i % tuples :
			    (i * 0x9e3779b1U) & (tuples - 1);

		synth_frame(t->frames + (size_t)i * FRAME_STRIDE, i, tuple);
		trace_add(t, t->frames + (size_t)i * FRAME_STRIDE, 60);
	}
	return 0;
}

/* The frames of a classic pcap file (Ethernet), each in its own buffer. */
static int trace_pcap(struct trace *t, const char *path)
{
	u32 ghdr[6], rec[4], cap = 0;
	FILE *f = fopen(path, "rb");

	if (!f || fread(ghdr, sizeof(ghdr), 1, f) != 1 ||
	    ghdr[0] != 0xa1b2c3d4 || ghdr[5] != 1 /* DLT_EN10MB */) {
		fprintf(stderr, "bench-native: %s: not a little-endian Ethernet pcap\n",
			path);
		return -EINVAL;
	}
	while (fread(rec, sizeof(rec), 1, f) == 1) {
		u8 *frame;

		if (rec[2] > 65535)
			break;
		if (t->n == cap) {
			cap = cap ? 2 * cap : 1024;
			t->pkts = realloc(t->pkts, cap * sizeof(*t->pkts));
			if (!t->pkts)
				return -ENOMEM;
		}
		frame = malloc(rec[2] ? rec[2] : 1);
		if (!frame || fread(frame, rec[2], 1, f) != 1) {
			free(frame);
			break;
		}
		if (!trace_add(t, frame, rec[2]))
			free(frame);
	}
	fclose(f);
	if (!t->n) {
		fprintf(stderr, "bench-native: %s: no IP packets\n", path);
		return -EINVAL;
	}
	return 0;
}

static const struct config *config_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(configs); i++)
		if (!strcmp(configs[i].name, name))
			return &configs[i];
	return NULL;
}

/* A count stage's table: room for every 5-tuple of a trace. */
static u32 count_subflows(const struct config *cfg, bool pcap)
{
	return pcap ? 1U << 20 : trace_tuples[cfg->trace];
}

static int run_config(const struct config *cfg, const struct trace *t,
		      bool pcap, u64 n, unsigned int round)
{
	u64 t0, t1, fill = 0;
	struct bench b;
	int err;

	err = bench_init(&b, cfg, pcap, count_subflows(cfg, pcap));
	if (!err && cfg->stage == STAGE_COUNT) {
		fill = t->n;
		fill_stage(&b, cfg->stage, t, fill);
	}
	if (!err) {
		t0 = now_ns();
		run_stage(&b, cfg->stage, t, n);
		t1 = now_ns();
		err = bench_verify(&b, cfg, fill + n);
	}
	if (!err && cfg->stage == STAGE_COUNT)
		err = count_verify(&b.count, cfg, fill, n, !pcap);
	if (!err)
		printf("%u,%s,%llu,%.2f,%.2f\n", round, cfg->name,
		       (unsigned long long)n, (double)(t1 - t0) / n,
		       n * 1e3 / (t1 - t0));
	bench_free(&b);
	return err;
}

/* The configurations are listed on one line: scripts/bench-native reads it. */
static void bad_usage(void)
{
	unsigned int i;

	fprintf(stderr,
		"usage: bench-native [--packets N] [--rounds R] [--pcap FILE] [--config NAME]...\n"
		"configs:");
	for (i = 0; i < ARRAY_SIZE(configs); i++)
		fprintf(stderr, " %s", configs[i].name);
	fprintf(stderr, " (all by default)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "packets", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	const struct config *chosen[ARRAY_SIZE(configs)];
	unsigned int nchosen = 0, rounds = 3, r, i;
	struct trace pcap_trace = {}, traces[TRACE_KINDS] = {};
	const char *pcap = NULL;
	u64 n = 10000000;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			n = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			rounds = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			pcap = optarg;
			break;
		case 'c':
			if (nchosen == ARRAY_SIZE(chosen))
				bad_usage();
			chosen[nchosen] = config_by_name(optarg);
			if (!chosen[nchosen++])
				bad_usage();
			break;
		default:
			bad_usage();
		}
	}
	if (optind != argc || !n || !rounds)
		bad_usage();
	for (i = 0; !nchosen && i < ARRAY_SIZE(configs); i++)
		chosen[i] = &configs[i];
	if (!nchosen)
		nchosen = ARRAY_SIZE(configs);

	srand(1);
	clock_calibrate();
	if (pcap && trace_pcap(&pcap_trace, pcap))
		return 1;
	/* The synthetic traces the chosen configurations run on. */
	for (i = 0; !pcap && i < nchosen; i++)
		if (!traces[chosen[i]->trace].n &&
		    trace_synth(&traces[chosen[i]->trace], chosen[i]->trace))
			return 1;
	printf("round,config,packets,ns_per_pkt,mpps\n");
	for (r = 1; r <= rounds; r++)
		for (i = 0; i < nchosen; i++)
			if (run_config(chosen[i], pcap ? &pcap_trace :
				       &traces[chosen[i]->trace], pcap, n, r))
				return 1;
	return 0;
}
