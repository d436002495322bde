// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the windowed statistics of the stats PM
 * (pms/stats/wstats.c), built natively under AddressSanitizer and UBSan.
 * The truth is brute force: every packet is kept with the window it was
 * counted in, and each check adds up the packets of the view again.
 * Times jump forward by whole windows and past the history, go back a
 * little, and the view changes size, as "flowctl set ... last" does.
 * Means, standard deviations, outliers and shares are held to GMP's
 * exact rationals, computed the textbook way (two passes, the sum of
 * squared deviations from the mean), not the PM's one-pass integers.
 */
#include <gmp.h>
#include <stdlib.h>

#include "flowos_user.h"
#include "wstats.h"
#include "kselftest_harness.h"
#include "test_rand.h"

#define WIDTH		1000
#define MAX_PACKETS	1500
#define POOL		24

struct ref_packet {
	u64 window;		/* the window it was counted in */
	struct wstats_addr src, dst;
	u8 proto;
	u32 len;
};

struct ref {
	struct ref_packet p[MAX_PACKETS];
	u32 n;
	u64 cur;
	bool started;
};

static struct wstats_addr pool[POOL];

static void make_pool(void)
{
	u32 i;

	for (i = 0; i < POOL; i++) {
		memset(&pool[i], 0, sizeof(pool[i]));
		pool[i].family = i % 3 ? AF_INET : AF_INET6;
		pool[i].a[0] = htonl(0x0a000000 + i);
		if (pool[i].family == AF_INET6)
			pool[i].a[3] = htonl(i);
	}
}

static void ref_advance(struct ref *r, u64 t)
{
	u64 w = t / WIDTH;

	if (!r->started || w > r->cur)
		r->cur = w;
	r->started = true;
}

static void ref_add(struct ref *r, u32 history, u64 t, u8 proto, u32 s, u32 d,
		    u32 len)
{
	struct ref_packet *p = &r->p[r->n++];

	ref_advance(r, t);
	p->window = t / WIDTH;
	if (r->cur - p->window >= history)
		p->window = r->cur;	/* too late: counted now */
	p->src = pool[s];
	p->dst = pool[d];
	p->proto = proto;
	p->len = len;
}

static bool in_view(const struct ref *r, const struct ref_packet *p, u32 view)
{
	return r->cur - p->window < view;
}

static u32 ref_addr_items(const struct ref *r, u32 view, struct wstats_item *out)
{
	u32 i, j, n = 0;

	for (i = 0; i < POOL; i++) {
		u64 bytes = 0;

		for (j = 0; j < r->n; j++) {
			const struct ref_packet *p = &r->p[j];

			if (!in_view(r, p, view))
				continue;
			if (!memcmp(&p->src, &pool[i], sizeof(pool[i])) ||
			    !memcmp(&p->dst, &pool[i], sizeof(pool[i])))
				bytes += p->len;
		}
		if (!bytes)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].addr = pool[i];
		out[n++].bytes = bytes;
	}
	wstats_sort(out, n);
	return n;
}

static u32 ref_proto_items(const struct ref *r, u32 view, struct wstats_item *out)
{
	u64 bytes[WSTATS_PROTOS] = {};
	u32 i, n = 0;

	for (i = 0; i < r->n; i++)
		if (in_view(r, &r->p[i], view))
			bytes[r->p[i].proto] += r->p[i].len;
	for (i = 0; i < WSTATS_PROTOS; i++) {
		if (!bytes[i])
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].proto = i;
		out[n++].bytes = bytes[i];
	}
	return n;	/* already in order only when bytes tie: sort */
}

static void mpq_set_u64(mpq_t q, u64 v)
{
	mpz_set_ui(mpq_numref(q), v);	/* unsigned long is 64 bits here */
	mpz_set_ui(mpq_denref(q), 1);
}

/*
 * The population mean and variance of @v[0..n-1], as exact rationals:
 * m = S / n with S = sum(v_i), and var = sum((v_i - m)^2) / n, which is
 * sum((n * v_i - S)^2) / n^3 in integers.
 */
static void exact_moments(const u64 *v, u32 n, mpq_t m, mpq_t var)
{
	mpz_t sum, dev;
	u32 i;

	mpz_inits(sum, dev, NULL);
	for (i = 0; i < n; i++)
		mpz_add_ui(sum, sum, v[i]);
	mpq_set_num(m, sum);
	mpz_set_ui(mpq_denref(m), n);
	mpq_canonicalize(m);
	mpz_set_ui(mpq_numref(var), 0);
	for (i = 0; i < n; i++) {
		mpz_set_ui(dev, v[i]);
		mpz_mul_ui(dev, dev, n);
		mpz_sub(dev, dev, sum);
		mpz_addmul(mpq_numref(var), dev, dev);
	}
	mpz_ui_pow_ui(mpq_denref(var), n, 3);
	mpq_canonicalize(var);
	mpz_clears(sum, dev, NULL);
}

/* floor(q) and floor(sqrt(q)), q >= 0 and below 2^64 */
static u64 floor_q(const mpq_t q)
{
	mpz_t z;
	u64 r;

	mpz_init(z);
	mpz_fdiv_q(z, mpq_numref(q), mpq_denref(q));
	r = mpz_get_ui(z);
	mpz_clear(z);
	return r;
}

static u64 floor_sqrt_q(const mpq_t q)
{
	mpz_t z;
	u64 r;

	mpz_init(z);
	mpz_fdiv_q(z, mpq_numref(q), mpq_denref(q));
	mpz_sqrt(z, z);		/* floor(sqrt(floor(q))) = floor(sqrt(q)) */
	r = mpz_get_ui(z);
	mpz_clear(z);
	return r;
}

/* b > m + X * sqrt(var), X = x_milli / 1000, in rationals. */
static bool exact_outlier(u64 b, const mpq_t m, const mpq_t var, u64 x_milli)
{
	mpq_t d, rhs;
	bool out;

	mpq_inits(d, rhs, NULL);
	mpq_set_u64(d, b);
	mpq_sub(d, d, m);
	/* above m, and (b - m)^2 > X^2 var */
	out = mpq_sgn(d) > 0;
	mpq_mul(d, d, d);
	mpq_set_ui(rhs, x_milli * x_milli, 1000000);
	mpq_canonicalize(rhs);
	mpq_mul(rhs, rhs, var);
	out = out && mpq_cmp(d, rhs) > 0;
	mpq_clears(d, rhs, NULL);
	return out;
}

/* Every figure of @ws against the packets of @r. */
static void check(struct __test_metadata *_metadata, const struct wstats *ws,
		  const struct ref *r, u32 seed, bool exact_addrs)
{
	static struct wstats_item got[POOL], want[POOL];
	u32 view = ws->cfg.view, history = ws->cfg.history, age, i, n;
	static u64 sizes_in_view[MAX_PACKETS];
	u64 packets = 0, bytes = 0, mean, stddev;

	ASSERT_EQ(r->cur, ws->cur) TH_LOG("seed %u", seed);
	for (age = 0; age < history && age <= r->cur; age++) {
		const struct wstats_window *w = wstats_window(ws, age);
		u64 wp = 0, wb = 0, sizes[WSTATS_SIZE_BUCKETS] = {};
		static const u32 bounds[] = WSTATS_SIZE_BOUNDS;

		ASSERT_NE(NULL, w);
		for (i = 0; i < r->n; i++) {
			const struct ref_packet *p = &r->p[i];
			u32 b = 0;

			if (p->window != r->cur - age)
				continue;
			wp++;
			wb += p->len;
			while (b < ARRAY_SIZE(bounds) && p->len >= bounds[b])
				b++;
			sizes[b]++;
			if (age < view) {
				sizes_in_view[packets++] = p->len;
				bytes += p->len;
			}
		}
		ASSERT_EQ(wp, w->packets) TH_LOG("seed %u age %u", seed, age);
		ASSERT_EQ(wb, w->bytes) TH_LOG("seed %u age %u", seed, age);
		ASSERT_EQ(0, memcmp(sizes, w->sizes, sizeof(sizes)))
			TH_LOG("seed %u age %u", seed, age);
	}
	ASSERT_EQ(packets, ws->view.packets) TH_LOG("seed %u", seed);
	ASSERT_EQ(bytes, ws->view.bytes) TH_LOG("seed %u", seed);

	wstats_size_moments(ws, &mean, &stddev);
	if (packets) {
		mpq_t m, var;

		mpq_inits(m, var, NULL);
		exact_moments(sizes_in_view, packets, m, var);
		EXPECT_EQ(floor_q(m), mean) TH_LOG("seed %u", seed);
		EXPECT_EQ(floor_sqrt_q(var), stddev) TH_LOG("seed %u", seed);
		mpq_clears(m, var, NULL);
	}

	n = ref_proto_items(r, view, want);
	wstats_sort(want, n);
	ASSERT_EQ(n, wstats_protos(ws, got)) TH_LOG("seed %u", seed);
	ASSERT_EQ(0, memcmp(want, got, n * sizeof(*got))) TH_LOG("seed %u", seed);
	/* No internal prefix: the queries' total is every byte of the view. */
	ASSERT_EQ(bytes, ws->view.ext_bytes) TH_LOG("seed %u", seed);

	/* The space-saving victim must be a least-counted entry. */
	for (i = 0; i < ws->used; i++) {
		ASSERT_EQ(i, ws->entries[ws->heap[i]].heap);
		if (i)
			ASSERT_LE(ws->entries[ws->heap[(i - 1) / 2]].view,
				  ws->entries[ws->heap[i]].view)
				TH_LOG("seed %u heap %u", seed, i);
	}
	if (!exact_addrs && wstats_approximate(ws))
		return;
	/* Not flagged approximate: every address exact, in order. */
	n = ref_addr_items(r, view, want);
	ASSERT_EQ(n, wstats_addrs(ws, got)) TH_LOG("seed %u", seed);
	ASSERT_EQ(0, memcmp(want, got, n * sizeof(*got))) TH_LOG("seed %u", seed);
}

static u64 next_time(u64 t, u32 history)
{
	switch (rnd_below(16)) {
	case 0:		/* idle for longer than the history */
		return t + (u64)(history + rnd_below(3)) * WIDTH;
	case 1:
	case 2:		/* the next window or two */
		return t + (1 + rnd_below(2)) * WIDTH;
	case 3:		/* a little in the past */
		return t > 3 * WIDTH ? t - rnd_below(3 * WIDTH) : t;
	default:
		return t + rnd_below(WIDTH / 4);
	}
}

static u32 rnd_len(void)
{
	return rnd_below(4) ? 20 + rnd_below(1600) : 20 + rnd_below(65516);
}

static void run(struct __test_metadata *_metadata, u32 seed, u32 max_addrs,
		u32 naddrs)
{
	static struct ref r;
	struct wstats_config cfg = { .width = WIDTH, .seed = seed };
	struct wstats ws;
	u64 t = rnd_below(5) * WIDTH;
	static const u8 protos[] = { 6, 17, 1, 58, 0, 255, 47 };

	cfg.history = 1 + rnd_below(8);
	cfg.view = 1 + rnd_below(cfg.history);
	cfg.max_addrs = max_addrs;
	ASSERT_EQ(0, wstats_init(&ws, &cfg));
	ASSERT_GE(wstats_size(&cfg), ws.size);
	memset(&r, 0, sizeof(r));
	r.started = true;	/* wstats starts in window 0 */

	while (r.n < MAX_PACKETS) {
		u32 op = rnd_below(40);

		t = next_time(t, cfg.history);
		if (op == 0) {
			wstats_set_view(&ws, 1 + rnd_below(cfg.history));
		} else if (op == 1) {
			wstats_advance(&ws, t);
			ref_advance(&r, t);
		} else {
			u32 s = rnd_below(naddrs), d = rnd_below(naddrs);
			u32 len = rnd_len();
			u8 proto = protos[rnd_below(sizeof(protos))];
			struct wstats_pkt p = { .segs = 1, .len = len };

			if (pool[s].family != pool[d].family)
				d = s;
			p.saddr = pool[s].a;
			p.daddr = pool[d].a;
			p.family = pool[s].family;
			p.proto = proto;
			wstats_add(&ws, t, &p);
			ref_add(&r, cfg.history, t, proto, s, d, len);
		}
		if (op < 8)
			check(_metadata, &ws, &r, seed, max_addrs >= naddrs);
	}
	check(_metadata, &ws, &r, seed, max_addrs >= naddrs);
	EXPECT_EQ(r.n, ws.packets);
	if (max_addrs >= naddrs)
		EXPECT_EQ(0, ws.evictions);
	wstats_free(&ws);
}

TEST(exact_when_the_table_holds_every_address)
{
	u32 seed;

	make_pool();
	for (seed = 1; seed <= 200; seed++) {
		rnd_state = seed;
		run(_metadata, seed, POOL, 1 + rnd_below(POOL));
	}
}

TEST(exact_unless_flagged_when_the_table_is_small)
{
	u32 seed;

	make_pool();
	for (seed = 1; seed <= 200; seed++) {
		rnd_state = seed;
		run(_metadata, seed, 1 + rnd_below(8), 8 + rnd_below(POOL - 8));
	}
}

/*
 * A GSO or GRO packet is the wire packets it stands for: 3 segments of
 * 1500, 1500 and 700 bytes count as those three packets would, in every
 * sum, the size histogram and the spread of sizes.
 */
TEST(an_aggregate_counts_as_its_segments)
{
	struct wstats_config cfg = { .width = WIDTH, .history = 2, .view = 2,
				     .max_addrs = 4, .seed = 1 };
	__be32 a[4] = { htonl(0x0a000001) }, b[4] = { htonl(0x0a000002) };
	struct wstats_pkt gso = { a, b, AF_INET, 6, 3, 1500, 3700 };
	struct wstats_pkt one = { a, b, AF_INET, 6, 1, 0, 1500 };
	struct wstats agg, segs;
	u64 mean[2], stddev[2];

	ASSERT_EQ(0, wstats_init(&agg, &cfg));
	ASSERT_EQ(0, wstats_init(&segs, &cfg));
	wstats_add(&agg, 10, &gso);
	wstats_add(&segs, 10, &one);
	wstats_add(&segs, 10, &one);
	one.len = 700;
	wstats_add(&segs, 10, &one);

	EXPECT_EQ(3, agg.packets);
	EXPECT_EQ(3700, agg.bytes);
	EXPECT_EQ(0, memcmp(&agg.view, &segs.view, sizeof(agg.view)));
	wstats_size_moments(&agg, &mean[0], &stddev[0]);
	wstats_size_moments(&segs, &mean[1], &stddev[1]);
	EXPECT_EQ(3700 / 3, mean[0]);
	EXPECT_EQ(mean[1], mean[0]);
	EXPECT_EQ(stddev[1], stddev[0]);
	wstats_free(&agg);
	wstats_free(&segs);
}

/*
 * "addr": a packet of 100 bytes from a to b, and one of 10 from b to a,
 * count 110 for each with both ends (the default), 100 for a and 10 for
 * b by sender, 10 for a and 100 for b by receiver.
 */
TEST(the_address_mode_picks_the_end_that_counts)
{
	static const u32 modes[] = { WSTATS_ADDR_BOTH, WSTATS_ADDR_SRC,
				     WSTATS_ADDR_DST };
	static const u64 want[][2] = { { 110, 110 }, { 100, 10 }, { 10, 100 } };
	__be32 a[4] = { htonl(0x0a000001) }, b[4] = { htonl(0x0a000002) };
	struct wstats_item items[4];
	unsigned int m, i, n;

	for (m = 0; m < ARRAY_SIZE(modes); m++) {
		struct wstats_config cfg = { .width = WIDTH, .history = 1,
					     .view = 1, .max_addrs = 4,
					     .seed = 1, .addr_mode = modes[m] };
		struct wstats_pkt ab = { a, b, AF_INET, 6, 1, 0, 100 };
		struct wstats_pkt ba = { b, a, AF_INET, 6, 1, 0, 10 };
		u64 got[2] = {};
		struct wstats ws;

		ASSERT_EQ(0, wstats_init(&ws, &cfg));
		wstats_add(&ws, 10, &ab);
		wstats_add(&ws, 10, &ba);
		n = wstats_addrs(&ws, items);
		for (i = 0; i < n; i++)
			got[items[i].addr.a[0] == b[0]] = items[i].bytes;
		EXPECT_EQ(want[m][0], got[0]) TH_LOG("mode %u", modes[m]);
		EXPECT_EQ(want[m][1], got[1]) TH_LOG("mode %u", modes[m]);
		wstats_free(&ws);
	}
}

/* Inside 10.0.0.0/29, or the IPv6 pool's first 29 bits alike. */
static bool ref_internal(const struct wstats_addr *a)
{
	return ntohl(a->a[0]) >> 3 == 0x0a000000 >> 3;
}

struct ext_packet {
	u32 s, d, len;
	u8 proto;
	u64 window;
};

/* The view's figures of @ws against @pk[0..n-1], the last @view windows. */
static void check_external(struct __test_metadata *_metadata,
			   const struct wstats *ws, const struct ext_packet *pk,
			   u32 npk, u32 view)
{
	static struct wstats_item got[POOL], want[POOL];
	u64 bytes = 0, ext = 0, by_proto[4] = {}, by_addr[POOL] = {};
	u32 i, n;

	for (i = 0; i < npk; i++) {
		if (ws->cur - pk[i].window >= view)
			continue;
		bytes += pk[i].len;
		if (ref_internal(&pool[pk[i].s]) == ref_internal(&pool[pk[i].d]))
			continue;
		ext += pk[i].len;
		by_proto[pk[i].proto] += pk[i].len;
		by_addr[pk[i].s] += pk[i].len;
		by_addr[pk[i].d] += pk[i].len;
	}
	EXPECT_EQ(bytes, ws->view.bytes) TH_LOG("view %u", view);
	EXPECT_EQ(ext, ws->view.ext_bytes) TH_LOG("view %u", view);
	EXPECT_LT(0, ext);
	EXPECT_GT(bytes, ext);
	memset(want, 0, sizeof(want));
	for (i = n = 0; i < ARRAY_SIZE(by_proto); i++) {
		if (!by_proto[i])
			continue;
		want[n].bytes = by_proto[i];
		want[n++].proto = i;
	}
	wstats_sort(want, n);
	ASSERT_EQ(n, wstats_protos(ws, got)) TH_LOG("view %u", view);
	EXPECT_EQ(0, memcmp(want, got, n * sizeof(*got))) TH_LOG("view %u", view);
	memset(want, 0, sizeof(want));
	for (i = n = 0; i < POOL; i++) {
		if (!by_addr[i])
			continue;
		want[n].bytes = by_addr[i];
		want[n++].addr = pool[i];
	}
	wstats_sort(want, n);
	ASSERT_EQ(n, wstats_addrs(ws, got)) TH_LOG("view %u", view);
	EXPECT_EQ(0, memcmp(want, got, n * sizeof(*got))) TH_LOG("view %u", view);
}

/*
 * With internal prefixes, protocols, addresses and the queries' total
 * count only packets with exactly one end inside; the view's packets
 * and bytes still count all.  Over ten windows, six kept, as windows
 * leave the view and as the view changes size.
 */
TEST(internal_prefixes_keep_the_external_traffic)
{
	struct wstats_config cfg = { .width = WIDTH, .history = 6, .view = 4,
				     .max_addrs = POOL, .seed = 7,
				     .ninternal = 2 };
	static struct ext_packet pk[3000];
	struct wstats ws;
	u32 i, n = 0;

	cfg.internal[0].addr.family = AF_INET;
	cfg.internal[1].addr.family = AF_INET6;
	for (i = 0; i < 2; i++) {
		cfg.internal[i].addr.a[0] = htonl(0x0a000000);
		cfg.internal[i].len = 29;
	}
	make_pool();
	rnd_state = 99;
	ASSERT_EQ(0, wstats_init(&ws, &cfg));
	for (i = 0; i < ARRAY_SIZE(pk); i++) {
		u64 t = (u64)i * 10 * WIDTH / ARRAY_SIZE(pk);
		struct ext_packet e = { .s = rnd_below(POOL),
					.d = rnd_below(POOL),
					.len = 40 + rnd_below(1400),
					.proto = rnd_below(4), .window = t / WIDTH };
		struct wstats_pkt p = { .family = pool[e.s].family,
					.proto = e.proto, .segs = 1,
					.len = e.len };

		if (pool[e.d].family != pool[e.s].family)
			continue;
		p.saddr = pool[e.s].a;
		p.daddr = pool[e.d].a;
		wstats_add(&ws, t, &p);
		pk[n++] = e;
	}
	ASSERT_EQ(9, ws.cur);
	check_external(_metadata, &ws, pk, n, 4);
	wstats_set_view(&ws, 2);
	check_external(_metadata, &ws, pk, n, 2);
	wstats_set_view(&ws, 6);
	check_external(_metadata, &ws, pk, n, 6);
	wstats_free(&ws);
}

/*
 * flowctl.8's example: protocols with 100, 700 and 700 bytes have mean
 * 500 and stddev 282.84...; 700 is an outlier at x 0.707, not at 0.708.
 */
TEST(the_manual_example)
{
	struct wstats_config cfg = { .width = WIDTH, .history = 1, .view = 1,
				     .max_addrs = 16 };
	__be32 a = htonl(0x0a000001), b = htonl(0x0a000002);
	static const u8 protos[] = { 1, 6, 17 };
	static const u32 bytes[] = { 100, 700, 700 };
	struct wstats_item items[WSTATS_PROTOS];
	struct wstats_spread s;
	struct wstats ws;
	u32 i, n;

	ASSERT_EQ(0, wstats_init(&ws, &cfg));
	for (i = 0; i < 3; i++) {
		struct wstats_pkt p = { &a, &b, AF_INET, protos[i], 1, 0,
					bytes[i] };

		wstats_add(&ws, 10, &p);
	}
	n = wstats_protos(&ws, items);
	ASSERT_EQ(3, n);
	wstats_spread(items, n, &s);
	EXPECT_EQ(500, s.mean);
	EXPECT_EQ(282, s.stddev);
	EXPECT_TRUE(wstats_outlier(&s, 700, 707));
	EXPECT_FALSE(wstats_outlier(&s, 700, 708));
	EXPECT_FALSE(wstats_outlier(&s, 100, 0));
	wstats_free(&ws);
}

/* Space-saving: an address with more than 1/m of the bytes stays. */
TEST(a_heavy_address_survives_a_small_table)
{
	struct wstats_config cfg = { .width = WIDTH, .history = 1, .view = 1,
				     .max_addrs = 4, .seed = 1 };
	static struct wstats_item items[4];
	struct wstats ws;
	__be32 heavy[4] = { htonl(0xc0a80001) }, other[4] = {};
	u32 i, n;

	ASSERT_EQ(0, wstats_init(&ws, &cfg));
	for (i = 0; i < 4000; i++) {
		other[0] = htonl(0x0a000000 + i);
		struct wstats_pkt p = { heavy, heavy, AF_INET, 17, 1, 0, 100 };

		if (i % 2 == 0) {
			p.saddr = other;
			p.daddr = other;
		}
		wstats_add(&ws, 10, &p);
	}
	n = wstats_addrs(&ws, items);
	ASSERT_EQ(4, n);
	EXPECT_EQ(heavy[0], items[0].addr.a[0]);
	EXPECT_EQ(2000 * 100, items[0].bytes);
	EXPECT_TRUE(wstats_approximate(&ws));
	/* 2000 other addresses, three places for them. */
	EXPECT_EQ(2000 - 3, ws.evictions);
	wstats_free(&ws);
}

static void check_spread(struct __test_metadata *_metadata,
			 const struct wstats_item *items, u32 n, u64 x, u32 seed)
{
	static u64 counts[64];
	struct wstats_spread s;
	u64 top = 0, total = 0;
	u32 i, shift = 0;
	mpq_t m, var;

	for (i = 0; i < n; i++)
		top = max(top, items[i].bytes);
	/* Exact below 2^47 bytes; beyond, of the counts shifted below. */
	while (top >> shift >= 1ULL << 47)
		shift++;
	for (i = 0; i < n; i++) {
		counts[i] = items[i].bytes >> shift;
		total += items[i].bytes;
	}
	mpq_inits(m, var, NULL);
	exact_moments(counts, n, m, var);
	wstats_spread(items, n, &s);
	ASSERT_EQ(shift, s.shift) TH_LOG("seed %u", seed);
	ASSERT_EQ(floor_q(m) << shift, s.mean) TH_LOG("seed %u", seed);
	ASSERT_EQ(floor_sqrt_q(var) << shift, s.stddev) TH_LOG("seed %u", seed);
	for (i = 0; i < n; i++) {
		u64 h = rnd_below(100001);
		mpq_t share, limit;

		ASSERT_EQ(exact_outlier(counts[i], m, var, x),
			  wstats_outlier(&s, items[i].bytes, x))
			TH_LOG("seed %u item %u x %llu", seed, i, (unsigned long long)x);
		/* bytes / total > H / 100, H = h / 1000 */
		mpq_inits(share, limit, NULL);
		mpq_set_u64(share, items[i].bytes);
		mpq_set_u64(limit, total ?: 1);
		mpq_div(share, share, limit);
		mpq_set_ui(limit, h, 100000);
		mpq_canonicalize(limit);
		ASSERT_EQ(total && mpq_cmp(share, limit) > 0,
			  wstats_heavy(items[i].bytes, total, h))
			TH_LOG("seed %u item %u h %llu", seed, i, (unsigned long long)h);
		mpq_clears(share, limit, NULL);
	}
	mpq_clears(m, var, NULL);
}

/*
 * Random counts up to 2^56, X up to 1000: the spread, the outliers and
 * the heavy hitters equal the rationals'.  A quarter of the sets repeat
 * a few values, which puts items near mean + X * stddev.
 */
TEST(spread_and_share_are_exact)
{
	static struct wstats_item items[64];
	u32 seed;

	for (seed = 1; seed <= 4000; seed++) {
		u32 n, i, bits;
		u64 x;

		rnd_state = seed;
		n = 1 + rnd_below(64);
		bits = rnd_below(4) ? 20 : 1 + rnd_below(56);
		x = rnd_below(3) ? rnd_below(5000) : rnd_below(1000001);
		for (i = 0; i < n; i++) {
			memset(&items[i], 0, sizeof(items[i]));
			items[i].bytes = ((u64)rnd() << 32 | rnd()) &
					 ((1ULL << bits) - 1);
			if (seed % 4 == 0)
				items[i].bytes = (items[i].bytes % 3) << (bits - 1);
		}
		check_spread(_metadata, items, n, x, seed);
	}
}

/*
 * Worked by hand.  {0, t, t}: mean 2t/3, stddev t * sqrt(2) / 3, so t
 * is an outlier exactly while X < (t - 2t/3) / (t * sqrt(2) / 3) =
 * 1 / sqrt(2) = 0.70710678...: at 0.707 it is, at 0.708 it is not, for
 * any t.  {0, 2t}: mean t, stddev t; 2t is not above t + 1 * t.
 */
TEST(outliers_at_the_edge)
{
	static const unsigned long long ts[] = { 1, 1000, 1ULL << 40, (1ULL << 46) - 1 };
	struct wstats_item it[3] = {};
	struct wstats_spread s;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(ts); i++) {
		unsigned long long t = ts[i];

		it[0].bytes = 0;
		it[1].bytes = t;
		it[2].bytes = t;
		wstats_spread(it, 3, &s);
		EXPECT_TRUE(wstats_outlier(&s, t, 707)) TH_LOG("t %llu", t);
		EXPECT_FALSE(wstats_outlier(&s, t, 708)) TH_LOG("t %llu", t);
		EXPECT_FALSE(wstats_outlier(&s, 0, 0));
		it[0].bytes = 2 * t;
		it[1].bytes = 0;
		wstats_spread(it, 2, &s);	/* {2t, 0} */
		EXPECT_EQ(t, s.mean);
		EXPECT_EQ(t, s.stddev);
		EXPECT_FALSE(wstats_outlier(&s, 2 * t, 1000)) TH_LOG("t %llu", t);
		EXPECT_TRUE(wstats_outlier(&s, 2 * t, 999)) TH_LOG("t %llu", t);
		EXPECT_TRUE(wstats_outlier(&s, 2 * t, 0));
	}
}

/*
 * Sizes past 64-bit sums of squares: 2^33 wire segments of 60000 bytes
 * and as many of 1500 make sum(len^2) about 2^64.6.  As many of each:
 * mean (60000 + 1500) / 2 = 30750, stddev (60000 - 1500) / 2 = 29250.
 */
TEST(size_stddev_exact_past_64_bits)
{
	struct wstats_config cfg = {
		.width = WIDTH, .history = 4, .view = 4, .max_addrs = 16,
	};
	__be32 a = htonl(0x0a000001), b = htonl(0x0a000002);
	struct wstats_pkt big = {
		.saddr = &a, .daddr = &b, .family = AF_INET, .proto = 6,
		.segs = 1U << 16, .seg_len = 60000, .len = 60000U << 16,
	};
	struct wstats_pkt small = big;
	struct wstats ws;
	u64 mean, stddev;
	u32 i;

	small.seg_len = 1500;
	small.len = 1500U << 16;
	ASSERT_EQ(0, wstats_init(&ws, &cfg));
	for (i = 0; i < 1U << 17; i++) {
		wstats_add(&ws, 10, &big);
		wstats_add(&ws, 10, &small);
	}
	wstats_size_moments(&ws, &mean, &stddev);
	EXPECT_EQ(30750, mean);
	EXPECT_EQ(29250, stddev);
	wstats_free(&ws);
}

/*
 * Rates past the point where n * 10^9 wraps (n > 1.8e10): the expected
 * values are worked out by hand from the definition, bits per second
 * = bits / seconds, rounded down.
 */
TEST(rates_do_not_wrap)
{
	const u64 hour = 3600 * NSEC_PER_SEC, minute = 60 * NSEC_PER_SEC;

	/* 1 TB in an hour: 8e12 / 3600 = 2222222222.2 bit/s. */
	EXPECT_EQ(2222222222ULL, wstats_rate(8000000000000ULL, hour));
	/* 2.5 GB in a minute: 2e10 bits / 60 = 333333333.3 bit/s. */
	EXPECT_EQ(333333333ULL, wstats_rate(20000000000ULL, minute));
	/* 10 Gbit/s for one second, 1e10 bits, over 1 s. */
	EXPECT_EQ(10000000000ULL, wstats_rate(10000000000ULL, NSEC_PER_SEC));
	/* Just past the old wrap: 18446744074 bits in 1 s. */
	EXPECT_EQ(18446744074ULL, wstats_rate(18446744074ULL, NSEC_PER_SEC));
	/* The largest count, over a long time: U64_MAX / 1e9 s. */
	EXPECT_EQ(1000000000ULL, wstats_rate(U64_MAX, U64_MAX));
	EXPECT_EQ(0, wstats_rate(12345, 0));
	/* 3 packets in 1.5 s: 2 per second. */
	EXPECT_EQ(2, wstats_rate(3, 1500000000ULL));
}

TEST(percent_does_not_wrap)
{
	/* 1/3 of the bytes: 33.33 percent. */
	EXPECT_EQ(3333, wstats_basis_points(1, 3));
	/* 2^62 of 2^63 bytes: 50 percent, where bytes * 10000 wraps. */
	EXPECT_EQ(5000, wstats_basis_points(1ULL << 62, 1ULL << 63));
	EXPECT_EQ(10000, wstats_basis_points(U64_MAX, U64_MAX));
	EXPECT_EQ(0, wstats_basis_points(5, 0));
}

TEST(bad_configs_refused)
{
	struct wstats_config ok = { .width = WIDTH, .history = 4, .view = 4,
				    .max_addrs = 16 }, c;
	struct wstats ws;

	c = ok;
	c.width = 0;
	EXPECT_EQ(-EINVAL, wstats_init(&ws, &c));
	c = ok;
	c.view = 5;
	EXPECT_EQ(-EINVAL, wstats_init(&ws, &c));
	c = ok;
	c.history = WSTATS_HISTORY_MAX + 1;
	EXPECT_EQ(-EINVAL, wstats_init(&ws, &c));
	c = ok;
	c.max_addrs = 0;
	EXPECT_EQ(-EINVAL, wstats_init(&ws, &c));
	ASSERT_EQ(0, wstats_init(&ws, &ok));
	wstats_free(&ws);
}

/*
 * The sliding view, against the units it was given, one by one: every
 * figure is that of the units with times in (now - T, now], now the
 * latest time given.  When the view says it is approximate (its edge
 * window had more units than it keeps), the figures are those of every
 * unit from the start of that window, which is what it then says it
 * covers: never less than exact, at most one window more.  Times fall
 * on a coarse grid, so that units lie exactly on now - T, and come up
 * to three windows late.
 */
#define SLIDE_UNITS	1200
#define SLIDE_SEGS	4

struct slide_unit {
	u64 t;
	u32 segs, seg_len, len;
	u32 s, d;		/* in pool[] */
	u8 proto;
};

struct slide_truth {
	struct wstats_window sums;
	u64 proto[WSTATS_PROTOS];
	u64 addr[POOL];
	u64 sizes[SLIDE_UNITS * SLIDE_SEGS];
	u32 nsizes;
};

static void slide_count(struct slide_truth *st, const struct slide_unit *u,
			bool internal)
{
	static const u32 bounds[] = WSTATS_SIZE_BOUNDS;
	bool ext = !internal || ref_internal(&pool[u->s]) != ref_internal(&pool[u->d]);
	u32 i, left = u->len;

	for (i = 0; i < u->segs; i++) {
		u32 size = i + 1 < u->segs ? u->seg_len : left, b = 0;

		left -= size;
		while (b < ARRAY_SIZE(bounds) && size >= bounds[b])
			b++;
		st->sums.sizes[b]++;
		st->sums.sumsq += (u64)size * size;
		st->sizes[st->nsizes++] = size;
	}
	st->sums.packets += u->segs;
	st->sums.bytes += u->len;
	if (!ext)
		return;
	st->sums.ext_bytes += u->len;
	st->proto[u->proto] += u->len;
	st->addr[u->s] += u->len;
	if (u->d != u->s)
		st->addr[u->d] += u->len;
}

static void slide_check(struct __test_metadata *_metadata,
			const struct wstats *ws, const struct slide_unit *units,
			u32 n, u64 now, u32 seed, bool internal)
{
	static struct wstats_item got[WSTATS_PROTOS], want[WSTATS_PROTOS];
	static struct slide_truth st;
	u64 T = (u64)ws->cfg.view * WIDTH, cur = now / WIDTH, mean, stddev;
	unsigned long long at = now;	/* for the messages */
	bool whole = wstats_approximate(ws);
	struct wstats_window v;
	u32 i, m;

	memset(&st, 0, sizeof(st));
	if (cur < ws->cfg.view) {
		/* No window before the view's whole ones: every unit. */
		ASSERT_EQ(0, wstats_view_start(ws));
		ASSERT_FALSE(whole);
	} else if (whole) {
		/* Every unit from the start of the window before them. */
		ASSERT_EQ((cur - ws->cfg.view) * WIDTH, wstats_view_start(ws));
	} else {
		ASSERT_EQ(now - T, wstats_view_start(ws));
	}
	for (i = 0; i < n; i++)
		if (cur < ws->cfg.view ||
		    (whole ? units[i].t >= (cur - ws->cfg.view) * WIDTH :
			     units[i].t > now - T))
			slide_count(&st, &units[i], internal);

	wstats_view_sums(ws, &v);
	ASSERT_EQ(st.sums.packets, v.packets) TH_LOG("seed %u now %llu", seed, at);
	ASSERT_EQ(st.sums.bytes, v.bytes) TH_LOG("seed %u now %llu", seed, at);
	ASSERT_EQ(st.sums.ext_bytes, v.ext_bytes) TH_LOG("seed %u", seed);
	ASSERT_TRUE(st.sums.sumsq == v.sumsq) TH_LOG("seed %u", seed);
	ASSERT_EQ(0, memcmp(st.sums.sizes, v.sizes, sizeof(v.sizes)))
		TH_LOG("seed %u", seed);

	wstats_size_moments(ws, &mean, &stddev);
	if (st.nsizes) {
		mpq_t q, var;

		mpq_inits(q, var, NULL);
		exact_moments(st.sizes, st.nsizes, q, var);
		ASSERT_EQ(floor_q(q), mean) TH_LOG("seed %u", seed);
		ASSERT_EQ(floor_sqrt_q(var), stddev) TH_LOG("seed %u", seed);
		mpq_clears(q, var, NULL);
	}

	for (i = 0, m = 0; i < WSTATS_PROTOS; i++) {
		if (!st.proto[i])
			continue;
		memset(&want[m], 0, sizeof(want[m]));
		want[m].proto = i;
		want[m++].bytes = st.proto[i];
	}
	wstats_sort(want, m);
	ASSERT_EQ(m, wstats_protos(ws, got)) TH_LOG("seed %u now %llu", seed, at);
	ASSERT_EQ(0, memcmp(want, got, m * sizeof(*got))) TH_LOG("seed %u", seed);

	for (i = 0, m = 0; i < POOL; i++) {
		if (!st.addr[i])
			continue;
		memset(&want[m], 0, sizeof(want[m]));
		want[m].addr = pool[i];
		want[m++].bytes = st.addr[i];
	}
	wstats_sort(want, m);
	ASSERT_EQ(m, wstats_addrs(ws, got)) TH_LOG("seed %u now %llu", seed, at);
	ASSERT_EQ(0, memcmp(want, got, m * sizeof(*got))) TH_LOG("seed %u", seed);
}

/* The clock after @now, by steps of @step at most: only forward. */
static u64 slide_clock(u64 now, u32 history, u32 step)
{
	if (!rnd_below(24))	/* idle for longer than the history */
		return now + (u64)(history + rnd_below(3)) * WIDTH;
	return now + step * rnd_below(4);
}

/* A unit's time: mostly the clock's, else up to three windows late. */
static u64 slide_time(u64 now)
{
	u64 late = 50 * rnd_below(60);

	return rnd_below(12) || late > now ? now : now - late;
}

/*
 * @log units kept per window; with @internal, prefixes 10.0.0.0/29;
 * the clock moves by up to 3 * @step between units (50: about 13 units
 * a window, 5: about 130, so that a late one is far out of order).
 * Returns how many checks found the view approximate.
 */
static u32 slide_run(struct __test_metadata *_metadata, u32 seed, u32 log,
		     bool internal, u32 step)
{
	static const u8 protos[] = { 6, 17, 1, 58, 47 };
	static struct slide_unit units[SLIDE_UNITS];
	struct wstats_config cfg = {
		.width = WIDTH, .seed = seed, .sliding = true, .log = log,
		.max_addrs = POOL, .addr_mode = WSTATS_ADDR_BOTH,
	};
	u64 t, now = 50 * rnd_below(100);
	u32 n = 0, i, whole = 0, exact = 0;
	struct wstats ws;

	cfg.view = 1 + rnd_below(5);
	cfg.history = cfg.view + 4 + rnd_below(4);
	if (internal) {
		cfg.ninternal = 2;
		for (i = 0; i < 2; i++) {
			cfg.internal[i].addr.family = i ? AF_INET6 : AF_INET;
			cfg.internal[i].addr.a[0] = htonl(0x0a000000);
			cfg.internal[i].len = 29;
		}
	}
	ASSERT_EQ(0, wstats_init(&ws, &cfg)) TH_LOG("seed %u", seed);
	while (n < SLIDE_UNITS) {
		struct slide_unit *u = &units[n++];
		struct wstats_pkt p;

		now = slide_clock(now, cfg.history, step);
		t = slide_time(now);
		u->t = t;
		u->s = rnd_below(POOL);
		u->d = rnd_below(POOL);
		/* One family per unit: the destination's is the source's. */
		if (pool[u->d].family != pool[u->s].family)
			u->d = u->s;
		u->proto = protos[rnd_below(sizeof(protos))];
		u->segs = rnd_below(8) ? 1 : 2 + rnd_below(SLIDE_SEGS - 1);
		u->seg_len = 40 + rnd_below(1500);
		u->len = (u->segs - 1) * u->seg_len + 20 + rnd_below(1500);
		p = (struct wstats_pkt) {
			.saddr = pool[u->s].a, .daddr = pool[u->d].a,
			.family = pool[u->s].family, .proto = u->proto,
			.segs = u->segs, .seg_len = u->seg_len, .len = u->len,
		};
		wstats_add(&ws, t, &p);
		if (rnd_below(6))
			continue;
		/* A read: the clock now, or a little later. */
		if (rnd_below(2))
			now += 50 * rnd_below(WIDTH / 50);
		wstats_advance(&ws, now);
		slide_check(_metadata, &ws, units, n, now, seed, internal);
		if (wstats_approximate(&ws))
			whole++;
		else
			exact++;
	}
	wstats_free(&ws);
	EXPECT_NE(0, exact) TH_LOG("seed %u: never exact", seed);
	return whole;
}

TEST(sliding_view_exact_over_the_last_t)
{
	u32 seed;

	make_pool();
	for (seed = 1; seed <= 150; seed++) {
		rnd_state = seed;
		/* Room for every unit: never approximate. */
		ASSERT_EQ(0, slide_run(_metadata, seed, SLIDE_UNITS, seed % 3 == 0,
				       50))
			TH_LOG("seed %u", seed);
	}
}

/* Many units a window: late ones come far out of time order. */
TEST(sliding_view_exact_with_units_far_out_of_order)
{
	u32 seed;

	make_pool();
	for (seed = 1; seed <= 100; seed++) {
		rnd_state = seed * 31;
		ASSERT_EQ(0, slide_run(_metadata, seed, SLIDE_UNITS, seed % 2, 5))
			TH_LOG("seed %u", seed);
	}
}

/*
 * Space-saving weighs an address's bytes in the edge too: A's 10000
 * bytes, all in the edge, outweigh B's 100 in a whole window, so C
 * takes B's entry, not A's.  And the second end of a packet never
 * takes the first's entry.
 */
TEST(sliding_view_evicts_the_least_counted_address_edge_included)
{
	struct wstats_config cfg = {
		.width = WIDTH, .history = 4, .view = 2, .sliding = true,
		.log = 64, .max_addrs = 2, .addr_mode = WSTATS_ADDR_SRC,
	};
	struct wstats_item got[2];
	struct wstats ws;
	struct wstats_pkt p = { .family = AF_INET, .proto = 17, .segs = 1 };

	make_pool();	/* pool[i] is IPv4 unless i % 3 == 0 */
	ASSERT_EQ(0, wstats_init(&ws, &cfg));
	p.saddr = pool[1].a;	/* A */
	p.daddr = pool[2].a;
	p.len = 10000;
	wstats_add(&ws, 900, &p);
	p.saddr = pool[2].a;	/* B */
	p.len = 100;
	wstats_add(&ws, 2100, &p);
	p.saddr = pool[4].a;	/* C */
	wstats_add(&ws, 2200, &p);
	ASSERT_EQ(2, wstats_addrs(&ws, got));
	EXPECT_EQ(0, memcmp(&got[0].addr, &pool[1], sizeof(pool[1])));
	EXPECT_EQ(10000, got[0].bytes);
	EXPECT_EQ(0, memcmp(&got[1].addr, &pool[4], sizeof(pool[4])));
	EXPECT_EQ(200, got[1].bytes);	/* B's 100 inherited: over, not under */
	EXPECT_TRUE(wstats_approximate(&ws));
	wstats_free(&ws);

	/*
	 * A table of two holding D alone; then F to G, both new, late, in
	 * the edge.  F takes the free entry with no bytes yet (the edge's
	 * come after both ends are found); G must take D's, not F's.
	 */
	cfg.addr_mode = WSTATS_ADDR_BOTH;
	ASSERT_EQ(0, wstats_init(&ws, &cfg));
	p.saddr = pool[5].a;
	p.daddr = pool[5].a;
	p.len = 500;
	wstats_add(&ws, 2100, &p);	/* D to itself, whole window 2 */
	p.saddr = pool[8].a;
	p.daddr = pool[10].a;
	p.len = 9000;
	wstats_add(&ws, 500, &p);	/* F to G, in the edge (window 0) */
	ASSERT_EQ(2, wstats_addrs(&ws, got));
	EXPECT_EQ(0, memcmp(&got[0].addr, &pool[10], sizeof(pool[10])));
	EXPECT_EQ(9500, got[0].bytes);	/* G, with D's 500 inherited */
	EXPECT_EQ(0, memcmp(&got[1].addr, &pool[8], sizeof(pool[8])));
	EXPECT_EQ(9000, got[1].bytes);
	wstats_free(&ws);
}

TEST(sliding_view_says_when_its_edge_counts_whole)
{
	u32 seed, whole = 0;

	make_pool();
	for (seed = 1; seed <= 150; seed++) {
		rnd_state = seed * 7919;
		whole += slide_run(_metadata, seed, 1 + rnd_below(40), seed % 2,
				   seed % 3 ? 50 : 5);
	}
	EXPECT_NE(0, whole) TH_LOG("no edge was ever counted whole");
}

TEST_HARNESS_MAIN
