// SPDX-License-Identifier: GPL-2.0
/*
 * TCP connection analysis (see tcpa.h).  The per-segment rules are
 * tshark's (Wireshark 4.0, packet-tcp.c, tcp_analyze_sequence_number()),
 * in its order; sequence numbers compare modulo 2^32 (RFC 9293 3.4).
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#include <net/tcp.h>
#else
#include <errno.h>
#define TCPHDR_PSH	0x08
#define TCPHDR_ACK	0x10
#define TCPOPT_EOL	0
#define TCPOPT_NOP	1
#define TCPOPT_MSS	2
#define TCPOPT_WINDOW	3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_TIMESTAMP 8
#endif

#include "tcpa.h"

/* tshark's out-of-order threshold without a handshake RTT, and its
 * window for a fast retransmission after the last duplicate ACK.
 */
#define TCPA_OOO_NS		3000000ULL
#define TCPA_FAST_NS		20000000ULL

static bool seq_lt(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

static bool seq_gt(u32 a, u32 b)
{
	return seq_lt(b, a);
}

static bool seq_le(u32 a, u32 b)
{
	return !seq_gt(a, b);
}

static void parse_options(const u8 *p, u32 len, struct tcpa_seg *s)
{
	while (len) {
		u8 kind = p[0], olen;

		if (kind == TCPOPT_EOL)
			return;
		if (kind == TCPOPT_NOP) {
			p++;
			len--;
			continue;
		}
		if (len < 2 || p[1] < 2 || p[1] > len)
			return;
		olen = p[1];
		if (kind == TCPOPT_MSS && olen == 4)
			s->mss = p[2] << 8 | p[3];
		else if (kind == TCPOPT_WINDOW && olen == 3)
			s->wscale = p[2] > 14 ? 14 : p[2];	/* RFC 7323 2.3 */
		else if (kind == TCPOPT_SACK_PERM && olen == 2)
			s->sack_ok = true;
		else if (kind == TCPOPT_TIMESTAMP && olen == 10) {
			s->ts = true;
			s->tsval = (u32)p[2] << 24 | p[3] << 16 | p[4] << 8 | p[5];
			s->tsecr = (u32)p[6] << 24 | p[7] << 16 | p[8] << 8 | p[9];
		}
		p += olen;
		len -= olen;
	}
}

int tcpa_parse(const u8 *th, u32 len, struct tcpa_seg *s)
{
	u32 doff;

	if (len < 20)
		return -EINVAL;
	doff = (th[12] >> 4) * 4;
	if (doff < 20 || doff > len)
		return -EINVAL;
	s->win = th[14] << 8 | th[15];
	s->wscale = TCPA_NO_WSCALE;
	s->mss = 0;
	s->sack_ok = false;
	s->ts = false;
	parse_options(th + 20, doff - 20, s);
	s->hdr = true;
	return 0;
}

static void dir_init(struct tcpa_dir *d)
{
	memset(d, 0, sizeof(*d));
	d->wscale = TCPA_NO_WSCALE;
	d->win = U32_MAX;	/* tshark's: none seen yet */
}

void tcpa_init(struct tcpa_conn *c, u64 t)
{
	memset(c, 0, sizeof(*c));
	dir_init(&c->dir[TCPA_CLIENT]);
	dir_init(&c->dir[TCPA_SERVER]);
	c->start = t;
	c->last = t;
}

bool tcpa_new_conn(const struct tcpa_conn *c, unsigned int side,
		   const struct tcpa_seg *s)
{
	const struct tcpa_dir *d = &c->dir[side];

	if ((s->flags & (TCPHDR_SYN | TCPHDR_ACK | TCPHDR_FIN | TCPHDR_RST)) !=
	    TCPHDR_SYN)
		return false;
	if (c->end == TCPA_END_RST || c->end == TCPA_END_FIN)
		return true;
	/* A SYN sent again carries the first one's sequence number. */
	return !d->syn || d->nextseq != s->seq + 1;
}

/*
 * The time from @then to @now, 0 if @then is later: a capture's times
 * only grow, but the tcpstats PM takes the units of each CPU's ring in
 * turn, so a segment may come after a later one of another ring.
 */
static u64 since(u64 now, u64 then)
{
	return now > then ? now - then : 0;
}

static void rtt_add(struct tcpa_rtt *r, u64 ns)
{
	unsigned __int128 wide = ns;

	if (!r->n || ns < r->min)
		r->min = ns;
	if (ns > r->max)
		r->max = ns;
	r->n++;
	r->sum += ns;
	r->sumsq += wide * wide;
	r->last = ns;
}

u64 tcpa_rtt_mean(const struct tcpa_rtt *r)
{
	return r->n ? r->sum / r->n : 0;
}

/* floor(sqrt(v)) of a 128-bit value, by bisection on 64-bit roots. */
static u64 isqrt128(unsigned __int128 v)
{
	u64 lo = 0, hi = U64_MAX;

	while (lo < hi) {
		u64 mid = lo + (hi - lo) / 2 + 1;
		unsigned __int128 sq = mid;

		if (sq * mid <= v)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

u64 tcpa_rtt_stddev(const struct tcpa_rtt *r)
{
	unsigned __int128 n = r->n, s = r->sum, d;

	if (!r->n)
		return 0;
	/* sqrt(n·Σx² − (Σx)²) / n, the population standard deviation. */
	d = n * r->sumsq - s * s;
	return isqrt128(d) / r->n;
}

/* The window @s advertises, scaled once both SYNs agreed on scaling. */
static u32 seg_window(const struct tcpa_conn *c, unsigned int side,
		      const struct tcpa_seg *s)
{
	const struct tcpa_dir *d = &c->dir[side], *o = &c->dir[!side];

	if (s->flags & TCPHDR_SYN || d->wscale == TCPA_NO_WSCALE ||
	    o->wscale == TCPA_NO_WSCALE)
		return s->win;
	return (u32)s->win << d->wscale;
}

static void note_syn(struct tcpa_conn *c, unsigned int side,
		     const struct tcpa_seg *s)
{
	struct tcpa_dir *d = &c->dir[side];

	if (s->hdr && !d->syn) {
		d->mss = s->mss;
		d->wscale = s->wscale;
		d->sack_ok = s->sack_ok;
		d->ts_ok = s->ts;
	}
	d->syn = true;
	if (!(s->flags & TCPHDR_ACK)) {
		if (c->syn_seen)
			c->syn_retrans = true;
		else
			c->syn_t = s->t;
		c->syn_seen = true;
		return;
	}
	if (c->synack_seen) {
		c->syn_retrans = true;
		return;
	}
	c->synack_seen = true;
	c->synack_t = s->t;
	if (c->syn_seen && !c->syn_retrans)
		c->hs_server_rtt = since(s->t, c->syn_t);
}

/* The handshake's last ACK, and a SYN answered by a RST. */
static void note_handshake(struct tcpa_conn *c, unsigned int side,
			   const struct tcpa_seg *s)
{
	const struct tcpa_dir *server = &c->dir[TCPA_SERVER];

	if (s->flags & TCPHDR_SYN) {
		note_syn(c, side, s);
		return;
	}
	if (s->flags & TCPHDR_RST && side == TCPA_SERVER && c->syn_seen &&
	    !c->synack_seen && !c->refused) {
		c->refused = true;
		/* How long the server took to refuse (tshark's initial RTT). */
		if (!c->syn_retrans)
			c->hs_server_rtt = since(s->t, c->syn_t);
	}
	if (side == TCPA_CLIENT && c->synack_seen && !c->established &&
	    s->flags & TCPHDR_ACK && server->started &&
	    s->ack == server->nextseq) {
		c->established = true;
		if (!c->syn_retrans)
			c->hs_client_rtt = since(s->t, c->synack_t);
	}
}

/* The sequence space @s takes: payload, and one for a SYN or a FIN. */
static u32 seq_space(const struct tcpa_seg *s)
{
	return s->len + !!(s->flags & (TCPHDR_SYN | TCPHDR_FIN));
}

/* Time a new segment of @d, if the ring has room. */
static void timed_push(struct tcpa_dir *d, const struct tcpa_seg *s)
{
	struct tcpa_timed *e;

	if (d->timed_n == TCPA_TIMED)
		return;
	e = &d->timed[(d->timed_first + d->timed_n++) % TCPA_TIMED];
	e->start = s->seq;
	e->end = s->seq + seq_space(s);
	e->t = s->t;
	e->resent = false;
}

/* Bytes [@seq, @end) of @d were sent again: their segments give no RTT. */
static void timed_resent(struct tcpa_dir *d, u32 seq, u32 end)
{
	unsigned int i;

	for (i = 0; i < d->timed_n; i++) {
		struct tcpa_timed *e = &d->timed[(d->timed_first + i) % TCPA_TIMED];

		if (seq_lt(seq, e->end) && seq_lt(e->start, end))
			e->resent = true;
	}
}

/*
 * An ACK of @d's bytes up to @ack at @t: the segments it covers leave,
 * and the newest of them gives a sample (none if @t is 0).  A sample of
 * 0 ns is no round trip but a clock that did not move: none either (nor
 * does tshark give one).
 */
static void timed_acked(struct tcpa_dir *d, u32 ack, u64 t)
{
	const struct tcpa_timed *newest = NULL;

	while (d->timed_n) {
		const struct tcpa_timed *e = &d->timed[d->timed_first];

		if (seq_lt(ack, e->end))
			break;
		newest = e;
		d->timed_first = (d->timed_first + 1) % TCPA_TIMED;
		d->timed_n--;
	}
	if (newest && !newest->resent && t > newest->t)
		rtt_add(&d->rtt, t - newest->t);
}

/* Timestamps: the first echo of a TSval this side sent gives a sample. */
static void note_timestamps(struct tcpa_dir *fwd, struct tcpa_dir *rev,
			    const struct tcpa_seg *s)
{
	if (!s->hdr || !s->ts)
		return;
	/*
	 * Only the echo of the TSval timed gives a sample: one past it
	 * echoes a later segment, whose first send was not timed.
	 */
	if (rev->ts_timing && s->flags & TCPHDR_ACK &&
	    seq_le(rev->ts_val, s->tsecr)) {
		if (s->tsecr == rev->ts_val && s->t > rev->ts_t)
			rtt_add(&rev->ts_rtt, s->t - rev->ts_t);
		rev->ts_timing = false;
	}
	/* A TSval is timed from its first appearance only. */
	if (fwd->ts_seen && !seq_gt(s->tsval, fwd->ts_last))
		return;
	fwd->ts_seen = true;
	fwd->ts_last = s->tsval;
	if (!fwd->ts_timing) {
		fwd->ts_timing = true;
		fwd->ts_val = s->tsval;
		fwd->ts_t = s->t;
	}
}

/*
 * tshark's verdicts on what @s says of itself and of the reverse
 * direction, before the retransmission checks: zero window (probe),
 * lost segment, keep-alive, window update, and the ACKs that repeat
 * the last one.
 */
static unsigned int judge_ack(struct tcpa_dir *fwd, const struct tcpa_dir *rev,
			      const struct tcpa_seg *s, u32 win)
{
	bool plain = !(s->flags & (TCPHDR_SYN | TCPHDR_FIN | TCPHDR_RST));
	bool same = fwd->started && s->seq == fwd->nextseq && fwd->acked &&
		    s->ack == fwd->lastack;
	unsigned int v = 0;

	if (s->len == 1 && fwd->started && s->seq == fwd->nextseq &&
	    rev->win == 0)
		return TCPA_ZW_PROBE;
	if (s->hdr && win == 0 && plain)
		v |= TCPA_ZERO_WINDOW;
	if (fwd->started && seq_gt(s->seq, fwd->nextseq) &&
	    !(s->flags & TCPHDR_RST))
		v |= TCPA_LOST;
	if (s->len <= 1 && plain && fwd->started &&
	    s->seq == fwd->nextseq - 1)
		v |= TCPA_KEEP_ALIVE;
	if (!s->hdr || s->len || !plain || !same)
		return v;
	if (win && win != fwd->win)
		return v | TCPA_WINDOW_UPDATE;
	if (win && win == fwd->win && rev->last_verdict & TCPA_KEEP_ALIVE)
		return v | TCPA_KEEP_ALIVE_ACK;
	if (win == 0 && fwd->win == 0 && rev->last_verdict & TCPA_ZW_PROBE)
		return v | TCPA_ZW_PROBE_ACK;
	if (win && win == fwd->win)
		v |= TCPA_DUP_ACK;
	return v;
}

/*
 * What kind of retransmission @s is, if it carries sequence space below
 * the highest seen: spurious (the other side had acknowledged it all),
 * fast (right after two or more duplicate ACKs asked for it),
 * out-of-order (soon after the highest, and not ending there), or a
 * plain one.  Every kind but out-of-order is a retransmission too.
 */
static unsigned int judge_resend(const struct tcpa_conn *c,
				 const struct tcpa_dir *fwd,
				 const struct tcpa_dir *rev,
				 const struct tcpa_seg *s, unsigned int v)
{
	u64 ooo_ns = c->hs_server_rtt && c->hs_client_rtt ?
		     c->hs_server_rtt + c->hs_client_rtt : TCPA_OOO_NS;

	if (!seq_space(s) || !fwd->started || !seq_lt(s->seq, fwd->nextseq) ||
	    v & TCPA_KEEP_ALIVE)
		return 0;
	if (s->len && rev->acked && seq_le(s->seq + s->len, rev->lastack))
		return TCPA_SPURIOUS | TCPA_RETRANS;
	if (rev->dupacks >= 2 && s->seq == rev->lastack &&
	    since(s->t, rev->lastack_t) < TCPA_FAST_NS)
		return TCPA_FAST_RETRANS | TCPA_RETRANS;
	if (since(s->t, fwd->nextseq_t) < ooo_ns &&
	    fwd->nextseq != s->seq + s->len)
		return TCPA_OUT_OF_ORDER;
	return TCPA_RETRANS;
}

static void count_verdict(struct tcpa_dir *d, const struct tcpa_seg *s,
			  unsigned int v)
{
	d->retrans += !!(v & TCPA_RETRANS);
	d->retrans_bytes += v & TCPA_RETRANS ? s->len : 0;
	d->fast_retrans += !!(v & TCPA_FAST_RETRANS);
	d->spurious += !!(v & TCPA_SPURIOUS);
	d->out_of_order += !!(v & TCPA_OUT_OF_ORDER);
	d->dup_acks += !!(v & TCPA_DUP_ACK);
	d->zero_windows += !!(v & TCPA_ZERO_WINDOW);
	d->zw_probes += !!(v & TCPA_ZW_PROBE);
	d->keep_alives += !!(v & TCPA_KEEP_ALIVE);
	d->window_updates += !!(v & TCPA_WINDOW_UPDATE);
	d->lost += !!(v & TCPA_LOST);
	d->acked_unseen += !!(v & TCPA_ACK_UNSEEN);
}

/* After the verdict: what the direction remembers of @s. */
static void advance(struct tcpa_dir *fwd, const struct tcpa_seg *s,
		    unsigned int v, u32 win)
{
	u32 end = s->seq + seq_space(s);

	if (!(v & TCPA_ZW_PROBE)) {
		if (!fwd->started || seq_gt(end, fwd->nextseq)) {
			fwd->nextseq = end;
			fwd->nextseq_t = s->t;
		}
		if (!fwd->started || s->seq == fwd->maxseqtobeacked)
			fwd->maxseqtobeacked = fwd->nextseq;
	}
	fwd->started = true;
	if (s->hdr)
		fwd->win = win;
	if (s->flags & TCPHDR_ACK) {
		fwd->lastack = s->ack;
		fwd->lastack_t = s->t;
		fwd->acked = true;
	}
	fwd->dupacks = v & TCPA_DUP_ACK ? fwd->dupacks + 1 : 0;
	fwd->last_verdict = v;
}

/* How the connection ends: a RST, or each FIN acknowledged. */
static void note_end(struct tcpa_conn *c, unsigned int side,
		     const struct tcpa_seg *s)
{
	struct tcpa_dir *fwd = &c->dir[side], *rev = &c->dir[!side];

	if (s->flags & TCPHDR_RST) {
		c->end = TCPA_END_RST;
		return;
	}
	if (s->flags & TCPHDR_FIN)
		fwd->fin = true;
	if (rev->fin && s->flags & TCPHDR_ACK && s->ack == rev->nextseq)
		rev->fin_acked = true;
	if (fwd->fin_acked && rev->fin_acked)
		c->end = TCPA_END_FIN;
}

unsigned int tcpa_add(struct tcpa_conn *c, unsigned int side,
		      const struct tcpa_seg *s)
{
	struct tcpa_dir *fwd = &c->dir[side], *rev = &c->dir[!side];
	unsigned int v, resend;
	u32 win;

	c->start = min_t(u64, c->start, s->t);
	c->last = max_t(u64, c->last, s->t);
	fwd->packets += s->segs;
	fwd->bytes += s->wire_len;
	fwd->payload += s->len;
	if (s->len) {
		/* Its first payload, or an earlier one (tcpstats.c's rings). */
		if (fwd->payload == s->len || s->t < fwd->first_data_t)
			fwd->first_data_t = s->t;
		fwd->last_data_t = max_t(u64, fwd->last_data_t, s->t);
	}
	/* No TCP sends these: counted, and kept out of the state. */
	if (s->flags & TCPHDR_SYN && s->flags & (TCPHDR_FIN | TCPHDR_RST)) {
		c->bad_flags++;
		return TCPA_BAD_FLAGS;
	}
	if (!fwd->started && !rev->started && !(s->flags & TCPHDR_SYN))
		c->midstream = true;
	note_handshake(c, side, s);
	win = seg_window(c, side, s);

	v = judge_ack(fwd, rev, s, win);
	if (s->flags & TCPHDR_ACK && rev->started &&
	    seq_gt(s->ack, rev->maxseqtobeacked)) {
		v |= TCPA_ACK_UNSEEN;
		rev->maxseqtobeacked = rev->nextseq;
	}
	resend = judge_resend(c, fwd, rev, s, v);
	v |= resend;
	count_verdict(fwd, s, v);

	if (resend)
		timed_resent(fwd, s->seq, s->seq + seq_space(s));
	else if (seq_space(s) && !(v & (TCPA_ZW_PROBE | TCPA_KEEP_ALIVE)))
		timed_push(fwd, s);
	/* An ACK of bytes never seen times nothing (tshark neither). */
	if (s->flags & TCPHDR_ACK)
		timed_acked(rev, s->ack, v & TCPA_ACK_UNSEEN ? 0 : s->t);
	note_timestamps(fwd, rev, s);
	advance(fwd, s, v, win);
	note_end(c, side, s);
	return v;
}
