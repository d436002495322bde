/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Windowed traffic statistics: tumbling windows of a fixed width with a
 * history of the last few, and "the last T" as a sliding view over the
 * newest of them.  Per window: packets, bytes, the sum of squared packet
 * sizes and a size histogram; bytes per IP protocol; bytes per IP
 * address in a bounded table.
 *
 * Every figure is an integer computed by the rules written here, so a
 * reference implementation (selftests/unit/wstats_test.c, and the tests'
 * tshark-based truth) can reproduce it exactly.
 *
 * The address table holds at most max_addrs addresses.  When it is full
 * a new address takes the place of the one with the fewest bytes in the
 * view and inherits its per-window counts (space-saving, Metwally et
 * al., ICDT 2005): an address that carries more than 1/max_addrs of the
 * view's bytes is never lost, and no address is under-counted.  Each
 * window remembers whether an eviction took bytes from it; a view that
 * covers such a window is approximate, and says so.
 *
 * A sliding view (cfg.sliding) covers exactly the units with times in
 * (now - T, now], T = view * width, "now" the latest time given to
 * wstats_advance() or wstats_add(): the view's whole windows, plus the
 * part after now - T of the window before them (the edge).  Each unit
 * of the view is kept (time, size, protocol, address entries), up to
 * cfg.log per window; when the edge comes, its units are sorted by time
 * and taken out of the view as now - T passes them, amortized O(log n)
 * per unit.  An edge window with more units than that is counted whole:
 * the view then covers (edge start, now], up to one window more than T,
 * and says so (wstats_view_start(), wstats_approximate()).
 *
 * With internal prefixes, the protocol and address figures, and the
 * share the queries measure against, are of the external traffic only:
 * packets with one end inside a prefix and the other outside (seeds
 * 003's "total external bandwidth").  Without, of all packets.
 *
 * Kernel-independent: it builds natively for selftests/unit/wstats_test.c.
 * Not locked: the caller serializes every call on one instance.
 */
#ifndef _FLOWOS_WSTATS_H
#define _FLOWOS_WSTATS_H

#ifdef __KERNEL__
#include <linux/types.h>
#endif

/* Exact sums of squares and their products take 128-bit integers. */
#ifndef __SIZEOF_INT128__
#error "the stats PM needs a compiler with 128-bit integers (64-bit targets)"
#endif

/*
 * Protocol keys: an IP protocol number, or WSTATS_APP_BASE plus an
 * application protocol (appid.h), which the caller chose.
 */
#define WSTATS_APP_BASE		256
#define WSTATS_PROTOS		(WSTATS_APP_BASE + 16)
#define WSTATS_HISTORY_MAX	256
#define WSTATS_ADDRS_MAX	65536
#define WSTATS_INTERNAL_MAX	32
#define WSTATS_LOG_MAX		(1024 * 1024)
#define WSTATS_NO_ENTRY		0xffffffffU
/* How far back a unit out of time order moves into place as it comes. */
#define WSTATS_REORDER		16

/* Packet sizes (IP length) up to these bounds, and one bucket above. */
#define WSTATS_SIZE_BOUNDS	{ 64, 128, 256, 512, 1024, 1500 }
#define WSTATS_SIZE_BUCKETS	7

/* An IP address: an IPv4 address is in a[0], the rest zero. */
struct wstats_addr {
	__be32 a[4];
	u32 family;		/* AF_INET or AF_INET6 */
};

struct wstats_window {
	unsigned __int128 sumsq;	/* sum of len * len */
	u64 packets;
	u64 bytes;
	u64 ext_bytes;		/* of packets the queries count */
	u64 sizes[WSTATS_SIZE_BUCKETS];
	bool lost;		/* an eviction took bytes counted here */
};

/* An address prefix: @len leading bits of @addr; the others are zero. */
struct wstats_prefix {
	struct wstats_addr addr;
	u32 len;
};

struct wstats_entry {
	struct wstats_addr addr;
	u32 next;		/* hash chain: entry index + 1, 0 ends it */
	u32 heap;		/* its place in wstats.heap */
	u64 view;		/* bytes in the view */
};

/* Which end of a packet its bytes count for, in the address figures. */
enum wstats_addr_mode {
	WSTATS_ADDR_BOTH,	/* each end once: what it sends and receives */
	WSTATS_ADDR_SRC,	/* the sender: what it sends */
	WSTATS_ADDR_DST,	/* the receiver: what it receives */
};

struct wstats_config {
	u64 width;		/* ns */
	u32 history;		/* windows kept, 1..WSTATS_HISTORY_MAX */
	u32 view;		/* whole windows in the view, 1..history */
	/* Sliding: the view is exact, needs history > view, and keeps */
	bool sliding;
	u32 log;		/* units per window, 1..WSTATS_LOG_MAX */
	u32 max_addrs;		/* 1..WSTATS_ADDRS_MAX */
	u32 seed;		/* for the address hash */
	u32 addr_mode;		/* enum wstats_addr_mode */
	/* The internal prefixes; none: every packet counts. */
	u32 ninternal;		/* 0..WSTATS_INTERNAL_MAX */
	struct wstats_prefix internal[WSTATS_INTERNAL_MAX];
};

/*
 * A unit of the sliding view, kept to take it out of the view at its
 * time: what wstats_add() counted, and where.
 */
struct wstats_unit {
	u64 t;
	u32 segs;
	u32 seg_len;
	u32 len;
	u32 entry[2];		/* address entries counted, or WSTATS_NO_ENTRY */
	u16 proto;		/* its key */
	bool ext;		/* counted by the queries */
};

/* A window's units kept: @n seen (more than cfg.log: not all kept). */
struct wstats_logged {
	u32 n;
	bool unsorted;		/* not in time order: sort them as the edge */
};

/*
 * Windows have absolute numbers: window i covers [i * width, (i + 1) *
 * width) on the caller's clock, and lives in slot i % history.  The view
 * is windows cur - view + 1 .. cur; those before window 0 are empty.
 */
struct wstats {
	struct wstats_config cfg;
	u64 cur;				/* the current window */
	struct wstats_window *win;		/* [history] */
	u64 *proto_bytes;			/* [history][WSTATS_PROTOS] */
	u64 proto_view[WSTATS_PROTOS];
	struct wstats_window view;		/* the view's sums; lost unused */
	u32 hash_bits;
	u32 *buckets;				/* entry index + 1, 0: empty */
	struct wstats_entry *entries;		/* [max_addrs], used first */
	u64 *addr_bytes;			/* [max_addrs][history] */
	u32 *heap;				/* min-heap of entries on .view */
	u32 used;
	u64 evictions;
	u64 late;		/* units older than the history: counted now */
	u64 packets;		/* since the start */
	u64 bytes;
	size_t size;		/* bytes allocated, for the memory cap */
	/*
	 * Sliding only.  The edge is window cur - view; its units after
	 * now - T are counted in @edge, @proto_edge and @addr_edge.  Units
	 * of windows cur - view .. cur are in log slot window % (view + 1),
	 * mostly in time order as they come.
	 */
	u64 now;
	struct wstats_window edge;		/* lost unused */
	u64 proto_edge[WSTATS_PROTOS];
	u64 *addr_edge;				/* [max_addrs] */
	struct wstats_unit *log;		/* [view + 1][cfg.log] */
	struct wstats_logged *logged;		/* [view + 1] */
	u32 edge_next;		/* the edge's first unit still in the view */
	bool edge_whole;	/* the edge's units are not all kept */
};

/* One protocol or address of a view, for the queries. */
struct wstats_item {
	u64 bytes;
	struct wstats_addr addr;	/* an address */
	u32 proto;			/* a protocol */
};

/*
 * The spread of a set of byte counts b_1..b_n, the population's: mean
 * m = S / n and standard deviation sd = sqrt(D) / n, where S = sum(b_i)
 * and D = n * sum(b_i^2) - S^2, both integers.  An outlier at X has
 * b_i > m + X * sd, which is decided exactly, in integers, as
 * 1000 * (n * b_i - S) > X_milli * sqrt(D).  @mean and @stddev are m and
 * sd rounded down.
 *
 * Exact while every count is below 2^WSTATS_EXACT_BITS bytes (128 TiB
 * in one view: ten minutes at 1.87 Tbit/s).  Beyond, the counts are
 * taken shifted right by @shift, the least that brings them below, and
 * the figures are of those: close, no longer exact.
 */
#define WSTATS_EXACT_BITS	47

struct wstats_spread {
	u32 n;
	u32 shift;
	u64 sum;		/* S, of the shifted counts */
	unsigned __int128 d;	/* D, of the shifted counts */
	u64 root;		/* floor(sqrt(D)) */
	u64 mean;
	u64 stddev;
};

size_t wstats_size(const struct wstats_config *cfg);
int wstats_init(struct wstats *ws, const struct wstats_config *cfg);
void wstats_free(struct wstats *ws);

/*
 * Make the window that holds @t current (t only grows, mostly), and if
 * sliding, take out of the view the units at or before @t - T.
 */
void wstats_advance(struct wstats *ws, u64 t);
/*
 * A packet seen, or the wire packets a GSO or GRO packet stands for:
 * @segs of them, all but the last @seg_len IP bytes long, @len IP bytes
 * in all.  With @segs 1, @seg_len is not read.
 */
struct wstats_pkt {
	const __be32 *saddr;
	const __be32 *daddr;
	u8 family;
	u16 proto;		/* its key: below WSTATS_PROTOS */
	u32 segs;
	u32 seg_len;
	u32 len;
};

/* Count @p, seen at @t. */
void wstats_add(struct wstats *ws, u64 t, const struct wstats_pkt *p);
/* True when @addr (of @family) lies inside @pfx. */
bool wstats_prefix_has(const struct wstats_prefix *pfx, u8 family,
		       const __be32 *addr);
/* Change the number of windows in the view (1..history); tumbling only. */
void wstats_set_view(struct wstats *ws, u32 view);

/*
 * True when an eviction took bytes from a window of the view, or a
 * sliding view counts its edge window whole.
 */
bool wstats_approximate(const struct wstats *ws);
/*
 * Where the view starts (times as given to wstats_add()): it covers
 * (start, now] if sliding, [start, now] if tumbling or if a sliding
 * view counts its edge whole; 0 before window 0.
 */
u64 wstats_view_start(const struct wstats *ws);
/* The view's sums: its whole windows, and the edge if sliding. */
void wstats_view_sums(const struct wstats *ws, struct wstats_window *out);
/* The view's windows, newest first; NULL before window 0. */
const struct wstats_window *wstats_window(const struct wstats *ws, u32 age);

/*
 * The protocols, or addresses, with bytes in the view, most bytes first,
 * ties by protocol number or by family then address bytes.  @out has
 * room for WSTATS_PROTOS, or max_addrs, items.  Returns how many.
 */
u32 wstats_protos(const struct wstats *ws, struct wstats_item *out);
u32 wstats_addrs(const struct wstats *ws, struct wstats_item *out);
void wstats_sort(struct wstats_item *items, u32 n);

/*
 * Mean and population stddev of the sizes of the view's packets,
 * rounded down (0 if none): exact below 2^40 packets in the view.
 */
void wstats_size_moments(const struct wstats *ws, u64 *mean, u64 *stddev);
void wstats_spread(const struct wstats_item *items, u32 n,
		   struct wstats_spread *s);
bool wstats_outlier(const struct wstats_spread *s, u64 bytes, u64 x_milli);
/*
 * More than H percent of @total, H in thousandths of a percent, exactly:
 * bytes * 100000 > H * total.
 */
bool wstats_heavy(u64 bytes, u64 total, u64 h_milli);
/* @n per second over @ns nanoseconds, rounded down; 0 over no time. */
u64 wstats_rate(u64 n, u64 ns);
/* @part of @total in hundredths of a percent, rounded down. */
u64 wstats_basis_points(u64 part, u64 total);

#endif /* _FLOWOS_WSTATS_H */
