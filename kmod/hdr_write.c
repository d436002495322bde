// SPDX-License-Identifier: GPL-2.0
/*
 * Header writes and the checksums they feed (see hdr_write.h).
 *
 * Three sums cover header bytes:
 *  - the IPv4 header checksum, over the IPv4 header (RFC 791);
 *  - the TCP or UDP checksum, over the transport header, its payload and
 *    a pseudo-header that repeats the addresses (RFC 9293 3.1, RFC 768,
 *    RFC 8200 8.1);
 *  - the sum of a CHECKSUM_COMPLETE packet, over every byte from the IP
 *    header on, checksum fields included, which the caller keeps.
 * Each field takes the change of what it covers (RFC 1624), in one's
 * complement arithmetic; nothing is summed again from scratch.  A change
 * that starts at an odd offset of what a sum covers is shifted by a
 * byte (csum_block_add()).  The addresses are at even offsets both of
 * the IP header and of the pseudo-header, so their change counts there
 * as it does in the IP header.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/minmax.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#else
#include <errno.h>
#endif

#include "hdr_write.h"

/*
 * The bits of byte @pos of an IP header that a write must leave as they
 * are: those that give the packet its shape, and the checksum.
 */
static u8 ip_fixed_bits(u8 family, u32 pos)
{
	if (family == AF_INET) {
		switch (pos) {
		case 0:		/* version, header length */
		case 2 ... 3:	/* total length */
		case 7:		/* fragment offset */
		case 9:		/* protocol */
		case 10 ... 11:	/* header checksum */
			return 0xff;
		case 6:		/* MF, fragment offset; DF is free */
			return 0x3f;
		}
		return 0;
	}
	switch (pos) {
	case 0:			/* version; the traffic class is free */
		return 0xf0;
	case 4 ... 5:		/* payload length */
	case 6:			/* next header */
		return 0xff;
	}
	return 0;
}

/* The same, for byte @pos of a TCP or UDP header. */
static u8 l4_fixed_bits(u8 proto, u32 pos)
{
	if (proto == IPPROTO_TCP) {
		switch (pos) {
		case 12:	/* data offset; the reserved bits are free */
			return 0xf0;
		case 16 ... 17:	/* checksum */
			return 0xff;
		}
		return 0;
	}
	return pos >= 4 ? 0xff : 0;	/* length, checksum */
}

static bool write_in_headers(const struct flowos_hdrs *h, u32 off, u32 len)
{
	u32 l4_at = h->l4 - h->ip, end = l4_at + h->l4_len;

	if (off > end || len > end - off)
		return false;
	/* Nothing between the two headers: extension headers are not ours. */
	return max_t(u32, off, h->ip_len) >= min_t(u32, off + len, l4_at);
}

static bool write_keeps_shape(const struct flowos_hdrs *h, u32 off,
			      const u8 *data, u32 len)
{
	u32 l4_at = h->l4 - h->ip;
	u32 i;

	for (i = 0; i < len; i++) {
		u32 pos = off + i;
		u8 fixed = pos < h->ip_len ? ip_fixed_bits(h->family, pos) :
				l4_fixed_bits(h->proto, pos - l4_at);

		if ((h->ip[pos] ^ data[i]) & fixed)
			return false;
	}
	return true;
}

/*
 * What @len bytes going from @old to @new add to a sum that begins @pos
 * bytes before them.
 */
static __wsum csum_change(const void *old, const void *new, u32 len, u32 pos)
{
	__wsum diff = csum_sub(csum_partial(new, len, 0),
			       csum_partial(old, len, 0));

	return csum_block_add(0, diff, pos);
}

/*
 * Set the checksum field @check, in @h's headers, to @value; return what
 * that adds to the packet's sum.
 */
static __wsum set_check(const struct flowos_hdrs *h, __sum16 *check,
			__sum16 value)
{
	__sum16 old = *check;

	*check = value;
	return csum_change(&old, check, sizeof(*check), (u8 *)check - h->ip);
}

/* A complete checksum field, once what it covers changed by @diff. */
static __sum16 check_plus(__sum16 check, __wsum diff)
{
	return csum_fold(csum_add(diff, ~csum_unfold(check)));
}

static __sum16 *l4_check_field(const struct flowos_hdrs *h)
{
	if (h->proto == IPPROTO_TCP)
		return &((struct tcphdr *)h->l4)->check;
	return &((struct udphdr *)h->l4)->check;
}

/*
 * The transport checksum, once its header changed by @d_l4 and its
 * pseudo-header by @d_pseudo; returns what that adds to the packet's sum.
 */
static __wsum fix_l4_check(const struct flowos_hdrs *h, __wsum d_l4,
			   __wsum d_pseudo)
{
	__sum16 *check = l4_check_field(h);
	__sum16 value;

	/*
	 * A UDP datagram sent without a checksum stays so: IPv4 allows it,
	 * IPv6 for tunnels (RFC 6935), whose receivers expect 0.
	 */
	if (h->proto == IPPROTO_UDP && !*check)
		return 0;
	/*
	 * A CHECKSUM_PARTIAL packet's field holds the pseudo-header's sum,
	 * folded, to which the rest is added when it is summed later.
	 */
	if (h->partial)
		value = ~csum_fold(csum_add(csum_unfold(*check), d_pseudo));
	else
		value = check_plus(*check, csum_add(d_l4, d_pseudo));
	if (h->proto == IPPROTO_UDP && !value && !h->partial)
		value = CSUM_MANGLED_0;
	return set_check(h, check, value);
}

int flowos_hdrs_write(const struct flowos_hdrs *h, u32 off, const void *data,
		      u32 len, __wsum *delta)
{
	bool v4 = h->family == AF_INET;
	u32 addrs_at = v4 ? offsetof(struct iphdr, saddr) :
			    offsetof(struct ipv6hdr, saddr);
	u32 addrs_end = v4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	u32 l4_at = h->l4 - h->ip, end = off + len, lo, hi;
	__wsum d_ip = 0, d_pseudo = 0, d_l4 = 0;
	const u8 *src = data;
	bool addrs = false;

	*delta = 0;
	if (!len)
		return 0;
	if (!write_in_headers(h, off, len) ||
	    !write_keeps_shape(h, off, src, len))
		return -EINVAL;

	hi = min_t(u32, end, h->ip_len);
	if (off < hi) {
		d_ip = csum_change(h->ip + off, src, hi - off, off);
		lo = max_t(u32, off, addrs_at);
		hi = min_t(u32, hi, addrs_end);
		addrs = lo < hi;
		if (addrs)
			d_pseudo = csum_change(h->ip + lo, src + lo - off,
					       hi - lo, lo);
	}
	if (end > l4_at) {
		lo = max_t(u32, off, l4_at);
		d_l4 = csum_change(h->ip + lo, src + lo - off, end - lo,
				   lo - l4_at);
	}
	*delta = csum_change(h->ip + off, src, len, off);
	memcpy(h->ip + off, src, len);

	if (v4 && off < h->ip_len) {
		struct iphdr *iph = (struct iphdr *)h->ip;

		*delta = csum_add(*delta,
				  set_check(h, &iph->check,
					    check_plus(iph->check, d_ip)));
	}
	if (end > l4_at || addrs)
		*delta = csum_add(*delta, fix_l4_check(h, d_l4, d_pseudo));
	return 0;
}

int flowos_payload_write(const struct flowos_hdrs *h, u32 off,
			 const void *data, u32 len, __wsum *delta)
{
	u32 l4_at = h->l4 - h->ip;
	__wsum d_l4;

	*delta = 0;
	if (off < l4_at + h->l4_len)
		return -EINVAL;
	if (!len)
		return 0;
	d_l4 = csum_change(h->ip + off, data, len, off - l4_at);
	*delta = csum_change(h->ip + off, data, len, off);
	memcpy(h->ip + off, data, len);
	*delta = csum_add(*delta, fix_l4_check(h, d_l4, 0));
	return 0;
}
