// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the header writer of read-write PMs (kmod/hdr_write.c),
 * built natively under AddressSanitizer and UBSan, for what the VM
 * cannot show: veth never hands a CHECKSUM_COMPLETE packet to the hook.
 *
 * Random IPv4 and IPv6 packets, TCP and UDP, with IP and TCP options and
 * odd payload lengths, take random writes of their headers in each of
 * the three checksum states an skb may be in.  The truth is RFC 1071's
 * sum, written here on its own (16-bit words in network order): after
 * each write the IPv4 header sums to 0xffff, so do the transport
 * header, payload and pseudo-header (RFC 9293 3.1, RFC 768, RFC 8200
 * 8.1; a CHECKSUM_PARTIAL packet first completed as the stack would),
 * and a CHECKSUM_COMPLETE packet's running sum equals the sum of its
 * bytes.  Writes that change the fields giving a packet its shape, as
 * RFC 791, 8200, 9293 and 768 lay them out, are refused and change
 * nothing.
 */
#include <stdlib.h>

#include "hdr_write.h"
#include "kselftest_harness.h"
#include "test_rand.h"

#define PKT_MAX		256
#define HBH_LEN		8	/* an IPv6 hop-by-hop options header */

enum csum_state { CS_NONE, CS_PARTIAL, CS_COMPLETE, __CS_MAX };

struct pkt {
	u8 b[PKT_MAX];
	u32 len;
	u32 ip_len, l4_at, l4_len;
	u8 family, proto;
	enum csum_state cs;
	bool udp_nocheck;	/* UDP sent without a checksum (0) */
	__wsum complete;	/* CS_COMPLETE: the skb's sum, host order */
};

/* RFC 1071: the one's complement sum of 16-bit big-endian words. */
static u32 rfc_sum(const u8 *p, u32 len, u32 acc)
{
	u32 i;

	for (i = 0; i + 1 < len; i += 2)
		acc += p[i] << 8 | p[i + 1];
	if (len & 1)
		acc += p[len - 1] << 8;
	return acc;
}

static u16 rfc_fold(u32 acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return acc;
}

static void put16(u8 *p, u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* The transport checksum's pseudo-header and segment, summed. */
static u32 l4_sum(const struct pkt *k)
{
	u32 seg = k->len - k->l4_at, acc;

	if (k->family == AF_INET)
		acc = rfc_sum(k->b + 12, 8, 0);
	else
		acc = rfc_sum(k->b + 8, 32, 0);
	acc += k->proto + (seg >> 16) + (seg & 0xffff);
	return rfc_sum(k->b + k->l4_at, seg, acc);
}

static u32 l4_check_at(const struct pkt *k)
{
	return k->l4_at + (k->proto == IPPROTO_TCP ? 16 : 6);
}

static void fill_l4_check(struct pkt *k)
{
	u32 at = l4_check_at(k);
	u16 v;

	put16(k->b + at, 0);
	if (k->udp_nocheck)
		return;
	if (k->cs == CS_PARTIAL) {	/* the pseudo-header's sum only */
		u32 seg = k->len - k->l4_at;

		put16(k->b + at, rfc_fold(l4_sum(k) -
			rfc_sum(k->b + k->l4_at, seg, 0)));
		return;
	}
	v = ~rfc_fold(l4_sum(k));
	put16(k->b + at, v ? v : (k->proto == IPPROTO_UDP ? 0xffff : 0));
}

static void rnd_fill(u8 *p, u32 len)
{
	while (len--)
		*p++ = rnd();
}

static void build(struct pkt *k, u8 family, u8 proto, enum csum_state cs)
{
	u32 opts = 4 * rnd_below(11), payload = rnd_below(90);
	bool hbh = family == AF_INET6 && rnd_below(3) == 0;
	u8 *ip = k->b, *l4;

	memset(k, 0, sizeof(*k));
	k->family = family;
	k->proto = proto;
	k->cs = cs;
	k->ip_len = family == AF_INET ? 20 + 4 * rnd_below(11) : 40;
	k->l4_at = k->ip_len + (hbh ? HBH_LEN : 0);
	k->l4_len = proto == IPPROTO_TCP ? 20 + opts : 8;
	k->len = k->l4_at + k->l4_len + payload;
	rnd_fill(k->b, k->len);
	l4 = k->b + k->l4_at;
	if (family == AF_INET) {
		ip[0] = 0x40 | k->ip_len / 4;
		put16(ip + 2, k->len);
		ip[6] &= 0x40;		/* DF or not; not a fragment */
		ip[7] = 0;
		ip[9] = proto;
		put16(ip + 10, 0);
		put16(ip + 10, ~rfc_fold(rfc_sum(ip, k->ip_len, 0)));
	} else {
		ip[0] = 0x60 | (ip[0] & 0x0f);
		put16(ip + 4, k->len - 40);
		ip[6] = hbh ? 0 : proto;
		if (hbh) {
			ip[40] = proto;
			ip[41] = 0;
		}
	}
	if (proto == IPPROTO_TCP)
		l4[12] = (k->l4_len / 4) << 4 | (l4[12] & 0x0f);
	else
		put16(l4 + 4, k->len - k->l4_at);
	/* IPv4 allows it, IPv6 for tunnels (RFC 6935). */
	k->udp_nocheck = proto == IPPROTO_UDP && cs != CS_PARTIAL &&
			 rnd_below(4) == 0;
	fill_l4_check(k);
	/* The host-order sum of what the host reads in network order. */
	k->complete = htons(rfc_fold(rfc_sum(k->b, k->len, 0)));
}

static struct flowos_hdrs hdrs_of(struct pkt *k)
{
	return (struct flowos_hdrs) {
		.ip = k->b, .l4 = k->b + k->l4_at,
		.ip_len = k->ip_len, .l4_len = k->l4_len,
		.family = k->family, .proto = k->proto,
		.partial = k->cs == CS_PARTIAL,
	};
}

/*
 * Byte @pos of packet @k, as the RFCs lay the headers out: the bits a
 * write must keep.
 */
static u8 shape_bits(const struct pkt *k, u32 pos)
{
	u32 t = pos - k->l4_at;

	if (pos >= k->ip_len && pos < k->l4_at)
		return 0xff;			/* extension header: not ours */
	if (pos < k->ip_len && k->family == AF_INET) {
		static const u8 v4[20] = {
			[0] = 0xff,		/* version, IHL */
			[2] = 0xff, [3] = 0xff,	/* total length */
			[6] = 0x3f, [7] = 0xff,	/* MF, fragment offset */
			[9] = 0xff,		/* protocol */
			[10] = 0xff, [11] = 0xff,	/* header checksum */
		};
		return pos < 20 ? v4[pos] : 0;
	}
	if (pos < k->ip_len) {
		static const u8 v6[40] = {
			[0] = 0xf0,		/* version */
			[4] = 0xff, [5] = 0xff,	/* payload length */
			[6] = 0xff,		/* next header */
		};
		return v6[pos];
	}
	if (k->proto == IPPROTO_TCP)
		return t == 12 ? 0xf0 : (t == 16 || t == 17) ? 0xff : 0;
	return t >= 4 ? 0xff : 0;		/* UDP length, checksum */
}

/*
 * What a write's bytes should be: random, or (@keep) random where the
 * shape allows, the packet's own bytes elsewhere.
 */
static void make_write(const struct pkt *k, u32 off, u8 *data, u32 len,
		       bool keep)
{
	u32 i;

	for (i = 0; i < len; i++) {
		u8 fixed = off + i < k->len ? shape_bits(k, off + i) : 0xff;
		u8 old = off + i < k->len ? k->b[off + i] : 0;

		data[i] = rnd();
		if (keep)
			data[i] = (data[i] & ~fixed) | (old & fixed);
	}
}

static bool write_allowed(const struct pkt *k, u32 off, const u8 *data,
			  u32 len)
{
	u32 i;

	if (off + len > k->l4_at + k->l4_len)
		return false;
	/* Nor into the extension headers between IP and transport header. */
	for (i = off; i < off + len; i++)
		if (i >= k->ip_len && i < k->l4_at)
			return false;
	for (i = 0; i < len; i++)
		if ((k->b[off + i] ^ data[i]) & shape_bits(k, off + i))
			return false;
	return true;
}

/* The stack's completion of a CHECKSUM_PARTIAL packet. */
static void complete_partial(struct pkt *k)
{
	u32 at = l4_check_at(k), seg = k->len - k->l4_at;
	u16 v = ~rfc_fold(rfc_sum(k->b + k->l4_at, seg, 0));

	put16(k->b + at, v ? v : (k->proto == IPPROTO_UDP ? 0xffff : 0));
}

static bool sums_valid(const struct pkt *k, const char **why)
{
	struct pkt done = *k;
	u16 host;

	if (k->family == AF_INET &&
	    rfc_fold(rfc_sum(k->b, k->ip_len, 0)) != 0xffff) {
		*why = "IPv4 header checksum";
		return false;
	}
	if (k->cs == CS_PARTIAL)
		complete_partial(&done);
	if (!k->udp_nocheck && rfc_fold(l4_sum(&done)) != 0xffff) {
		*why = "transport checksum";
		return false;
	}
	if (k->udp_nocheck && (k->b[l4_check_at(k)] | k->b[l4_check_at(k) + 1])) {
		*why = "a UDP datagram without checksum got one";
		return false;
	}
	host = rfc_fold(k->complete);
	if (k->cs == CS_COMPLETE &&
	    host % 0xffff != htons(rfc_fold(rfc_sum(k->b, k->len, 0))) % 0xffff) {
		*why = "CHECKSUM_COMPLETE sum";
		return false;
	}
	return true;
}

static bool is_check_field(const struct pkt *k, u32 pos)
{
	u32 l4c = l4_check_at(k);

	return (k->family == AF_INET && (pos == 10 || pos == 11)) ||
	       pos == l4c || pos == l4c + 1;
}

/*
 * The written bytes are @data, every other byte is as before: checksum
 * fields aside, which sums_valid() judges.
 */
static bool written_as_asked(const struct pkt *before, const struct pkt *after,
			     u32 off, const u8 *data, u32 len)
{
	u32 i;

	for (i = 0; i < before->len; i++) {
		bool written = i >= off && i < off + len;

		if (is_check_field(before, i))
			continue;
		if (after->b[i] != (written ? data[i - off] : before->b[i]))
			return false;
	}
	return true;
}

static const u8 families[] = { AF_INET, AF_INET6 };
static const u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP };

TEST(random_writes_keep_every_checksum)
{
	unsigned int seed, accepted = 0, refused = 0;

	for (seed = 1; seed <= 3000; seed++) {
		struct pkt k, before;
		struct flowos_hdrs h;
		const char *why = "";
		u8 data[32];
		u32 off, len;
		__wsum delta;
		int i, err;

		rnd_state = seed;
		build(&k, families[seed % 2], protos[seed / 2 % 2],
		      seed / 4 % __CS_MAX);
		ASSERT_TRUE(sums_valid(&k, &why)) TH_LOG("seed %u: built: %s",
							 seed, why);
		for (i = 0; i < 8; i++) {
			h = hdrs_of(&k);
			off = rnd_below(k.l4_at + k.l4_len + 4);
			len = 1 + rnd_below(sizeof(data));
			make_write(&k, off, data, len, rnd_below(5) != 0);
			before = k;
			err = flowos_hdrs_write(&h, off, data, len, &delta);
			if (!write_allowed(&before, off, data, len)) {
				ASSERT_EQ(-EINVAL, err)
					TH_LOG("seed %u write %d: %u+%u", seed,
					       i, off, len);
				ASSERT_EQ(0, memcmp(before.b, k.b, k.len));
				refused++;
				continue;
			}
			ASSERT_EQ(0, err) TH_LOG("seed %u write %d: %u+%u",
						 seed, i, off, len);
			accepted++;
			k.complete = csum_add(k.complete, delta);
			ASSERT_TRUE(written_as_asked(&before, &k, off, data, len))
				TH_LOG("seed %u write %d", seed, i);
			ASSERT_TRUE(sums_valid(&k, &why))
				TH_LOG("seed %u write %d: %u+%u: %s", seed, i,
				       off, len, why);
		}
	}
	/* Both outcomes were exercised, many times. */
	ASSERT_GT(accepted, 5000);
	ASSERT_GT(refused, 5000);
}

/*
 * Payload writes (flowos_unit_write()), at odd and even offsets, in the
 * three checksum states: the transport checksum and a CHECKSUM_COMPLETE
 * packet's sum stay right, a UDP datagram without a checksum stays
 * without, and a write that starts before the payload is refused.
 */
TEST(random_payload_writes_keep_every_checksum)
{
	unsigned int seed, written = 0, refused = 0, states = 0;

	for (seed = 1; seed <= 3000; seed++) {
		struct pkt k, before;
		struct flowos_hdrs h;
		u32 payload_at, off, len;
		const char *why = "";
		u8 data[32];
		__wsum delta;
		int i, err;

		rnd_state = seed;
		build(&k, families[seed % 2], protos[seed / 2 % 2],
		      seed / 4 % __CS_MAX);
		payload_at = k.l4_at + k.l4_len;
		if (k.len == payload_at)
			continue;
		for (i = 0; i < 8; i++) {
			h = hdrs_of(&k);
			off = payload_at - 2 + rnd_below(k.len - payload_at + 2);
			len = 1 + rnd_below(min_t(u32, sizeof(data),
						  k.len - max_t(u32, off, payload_at)));
			rnd_fill(data, len);
			before = k;
			err = flowos_payload_write(&h, off, data, len, &delta);
			if (off < payload_at) {
				ASSERT_EQ(-EINVAL, err);
				ASSERT_EQ(0, memcmp(before.b, k.b, k.len));
				refused++;
				continue;
			}
			ASSERT_EQ(0, err) TH_LOG("seed %u write %d: %u+%u",
						 seed, i, off, len);
			written++;
			states |= 1 << k.cs | k.udp_nocheck << __CS_MAX;
			k.complete = csum_add(k.complete, delta);
			ASSERT_TRUE(written_as_asked(&before, &k, off, data, len))
				TH_LOG("seed %u write %d", seed, i);
			ASSERT_TRUE(sums_valid(&k, &why))
				TH_LOG("seed %u write %d: %u+%u: %s", seed, i,
				       off, len, why);
		}
	}
	ASSERT_GT(written, 10000);
	ASSERT_GT(refused, 1000);
	/* Every checksum state, and UDP without a checksum, were written. */
	ASSERT_EQ((1 << (__CS_MAX + 1)) - 1, states);
}

/* Each field that gives a packet its shape, one bit flipped: refused. */
TEST(shape_fields_refused)
{
	static const struct { u8 family, proto; u32 pos; u8 bit; } cases[] = {
		{ AF_INET, IPPROTO_TCP, 0, 0x01 },	/* IHL */
		{ AF_INET, IPPROTO_TCP, 0, 0x10 },	/* version */
		{ AF_INET, IPPROTO_TCP, 3, 0x04 },	/* total length */
		{ AF_INET, IPPROTO_TCP, 6, 0x20 },	/* MF */
		{ AF_INET, IPPROTO_TCP, 7, 0x01 },	/* fragment offset */
		{ AF_INET, IPPROTO_TCP, 9, 0x01 },	/* protocol */
		{ AF_INET, IPPROTO_TCP, 10, 0x80 },	/* header checksum */
		{ AF_INET6, IPPROTO_TCP, 0, 0x80 },	/* version */
		{ AF_INET6, IPPROTO_TCP, 5, 0x01 },	/* payload length */
		{ AF_INET6, IPPROTO_UDP, 6, 0x02 },	/* next header */
	};
	static const struct { u8 proto; u32 pos; u8 bit; } l4_cases[] = {
		{ IPPROTO_TCP, 12, 0x10 },	/* data offset */
		{ IPPROTO_TCP, 16, 0x01 },	/* checksum */
		{ IPPROTO_UDP, 5, 0x01 },	/* length */
		{ IPPROTO_UDP, 7, 0x80 },	/* checksum */
	};
	struct flowos_hdrs h;
	struct pkt k, before;
	__wsum delta;
	unsigned int i;
	u8 v;

	rnd_state = 7;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		build(&k, cases[i].family, cases[i].proto, CS_NONE);
		before = k;
		h = hdrs_of(&k);
		v = k.b[cases[i].pos] ^ cases[i].bit;
		EXPECT_EQ(-EINVAL, flowos_hdrs_write(&h, cases[i].pos, &v, 1,
						     &delta)) TH_LOG("case %u", i);
		EXPECT_EQ(0, memcmp(before.b, k.b, k.len));
	}
	for (i = 0; i < ARRAY_SIZE(l4_cases); i++) {
		build(&k, families[i % 2], l4_cases[i].proto, CS_NONE);
		before = k;
		h = hdrs_of(&k);
		v = k.b[k.l4_at + l4_cases[i].pos] ^ l4_cases[i].bit;
		EXPECT_EQ(-EINVAL, flowos_hdrs_write(&h, k.l4_at + l4_cases[i].pos,
						     &v, 1, &delta)) TH_LOG("case %u", i);
		EXPECT_EQ(0, memcmp(before.b, k.b, k.len));
	}
	/* The free bits next to them: DF, the traffic class, TCP's reserved. */
	build(&k, AF_INET, IPPROTO_TCP, CS_NONE);
	h = hdrs_of(&k);
	v = k.b[6] ^ 0x40;
	EXPECT_EQ(0, flowos_hdrs_write(&h, 6, &v, 1, &delta));
	build(&k, AF_INET6, IPPROTO_UDP, CS_NONE);
	h = hdrs_of(&k);
	v = k.b[0] ^ 0x0f;
	EXPECT_EQ(0, flowos_hdrs_write(&h, 0, &v, 1, &delta));
	build(&k, AF_INET, IPPROTO_TCP, CS_NONE);
	h = hdrs_of(&k);
	v = k.b[k.l4_at + 12] ^ 0x0e;
	EXPECT_EQ(0, flowos_hdrs_write(&h, k.l4_at + 12, &v, 1, &delta));
}

/*
 * A UDP checksum that comes out as 0 is sent as 0xffff (RFC 768: 0 means
 * none): a new source port that makes it so, in either family.
 */
TEST(udp_zero_checksum_sent_as_ffff)
{
	unsigned int i;

	rnd_state = 11;
	for (i = 0; i < ARRAY_SIZE(families); i++) {
		struct flowos_hdrs h;
		struct pkt k, probe;
		__wsum delta;
		u32 port;
		u8 v[2];

		do
			build(&k, families[i], IPPROTO_UDP, CS_NONE);
		while (k.udp_nocheck);
		for (port = 0; port <= 0xffff; port++) {
			probe = k;
			put16(probe.b + probe.l4_at, port);
			put16(probe.b + l4_check_at(&probe), 0);
			if (rfc_fold(l4_sum(&probe)) == 0xffff)
				break;
		}
		ASSERT_GE(0xffff, port);
		put16(v, port);
		h = hdrs_of(&k);
		ASSERT_EQ(0, flowos_hdrs_write(&h, k.l4_at, v, 2, &delta));
		EXPECT_EQ(0xff, k.b[l4_check_at(&k)]);
		EXPECT_EQ(0xff, k.b[l4_check_at(&k) + 1]);
	}
}

TEST_HARNESS_MAIN
