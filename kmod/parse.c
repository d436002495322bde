// SPDX-License-Identifier: GPL-2.0
/*
 * Packet header parsing (see parse.h).
 *
 * Rules that hold for every path through this file:
 *  - a header is read only through flowos_hdr(), which fails rather than
 *    read past the packet;
 *  - a transport header is looked for only inside the IP length, never in
 *    link-layer padding or trailing garbage;
 *  - loops are bounded (VLAN tags, IPv6 extension headers);
 *  - on any result other than FLOWOS_PARSE_OK the record is incomplete
 *    and must not be used.
 */
#ifdef __KERNEL__
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include <linux/sctp.h>
#include <linux/if_ether.h>
#include <linux/if_vlan.h>
#include <net/ip.h>
#include <net/ipv6.h>
#endif

#include "parse.h"

/* At most two VLAN tags (802.1ad outer, 802.1Q inner). */
#define MAX_VLAN_TAGS 2

static const char *const parse_result_names[__FLOWOS_PARSE_MAX] = {
	[FLOWOS_PARSE_OK]		= "ok",
	[FLOWOS_PARSE_NOT_IP]		= "not_ip",
	[FLOWOS_PARSE_TRUNCATED]	= "truncated",
	[FLOWOS_PARSE_BAD_VERSION]	= "bad_version",
	[FLOWOS_PARSE_BAD_IHL]		= "bad_ihl",
	[FLOWOS_PARSE_BAD_LENGTH]	= "bad_length",
	[FLOWOS_PARSE_BAD_EXT_HDR]	= "bad_ext_hdr",
	[FLOWOS_PARSE_BAD_TCP_DOFF]	= "bad_tcp_doff",
	[FLOWOS_PARSE_BAD_UDP_LEN]	= "bad_udp_len",
};

const char *flowos_parse_result_name(enum flowos_parse_result r)
{
	if ((unsigned int)r >= __FLOWOS_PARSE_MAX)
		return "unknown";
	return parse_result_names[r];
}

static enum flowos_parse_result parse_tcp(const struct flowos_pkt_buf *b,
					  unsigned int off, unsigned int end,
					  struct flowos_pkt *pkt)
{
	struct tcphdr copy;
	const struct tcphdr *th;
	unsigned int doff;

	if (end - off < sizeof(*th))
		return FLOWOS_PARSE_TRUNCATED;
	th = flowos_hdr(b, off, sizeof(*th), &copy);
	if (!th)
		return FLOWOS_PARSE_TRUNCATED;

	doff = th->doff * 4;
	if (doff < sizeof(*th) || doff > end - off)
		return FLOWOS_PARSE_BAD_TCP_DOFF;

	pkt->sport = th->source;
	pkt->dport = th->dest;
	pkt->tcp_seq = ntohl(th->seq);
	pkt->tcp_ack = ntohl(th->ack_seq);
	/* The flag byte follows the data offset nibble (RFC 9293 3.1). */
	pkt->tcp_flags = ((const u8 *)th)[13];
	pkt->payload_off = off + doff;
	pkt->payload_len = end - pkt->payload_off;
	return FLOWOS_PARSE_OK;
}

static enum flowos_parse_result parse_udp(const struct flowos_pkt_buf *b,
					  unsigned int off, unsigned int end,
					  struct flowos_pkt *pkt)
{
	struct udphdr copy;
	const struct udphdr *uh;
	unsigned int ulen;

	if (end - off < sizeof(*uh))
		return FLOWOS_PARSE_TRUNCATED;
	uh = flowos_hdr(b, off, sizeof(*uh), &copy);
	if (!uh)
		return FLOWOS_PARSE_TRUNCATED;

	/* The length covers the header; zero (jumbogram) is not accepted. */
	ulen = ntohs(uh->len);
	if (ulen < sizeof(*uh) || ulen > end - off)
		return FLOWOS_PARSE_BAD_UDP_LEN;

	pkt->sport = uh->source;
	pkt->dport = uh->dest;
	/* Bytes past the UDP length, inside the IP packet, are not payload. */
	pkt->payload_off = off + sizeof(*uh);
	pkt->payload_len = ulen - sizeof(*uh);
	return FLOWOS_PARSE_OK;
}

/*
 * The SCTP common header (RFC 9260 3.1): ports where UDP has them, then
 * the verification tag and checksum.  The chunks after it are payload.
 */
static enum flowos_parse_result parse_sctp(const struct flowos_pkt_buf *b,
					   unsigned int off, unsigned int end,
					   struct flowos_pkt *pkt)
{
	struct sctphdr copy;
	const struct sctphdr *sh;

	if (end - off < sizeof(*sh))
		return FLOWOS_PARSE_TRUNCATED;
	sh = flowos_hdr(b, off, sizeof(*sh), &copy);
	if (!sh)
		return FLOWOS_PARSE_TRUNCATED;

	pkt->sport = sh->source;
	pkt->dport = sh->dest;
	pkt->payload_off = off + sizeof(*sh);
	pkt->payload_len = end - pkt->payload_off;
	return FLOWOS_PARSE_OK;
}

/* ICMP and ICMPv6 share their first four bytes: type, code, checksum. */
static enum flowos_parse_result parse_icmp(const struct flowos_pkt_buf *b,
					   unsigned int off, unsigned int end,
					   struct flowos_pkt *pkt)
{
	u8 copy[4];
	const u8 *ih;

	if (end - off < sizeof(copy))
		return FLOWOS_PARSE_TRUNCATED;
	ih = flowos_hdr(b, off, sizeof(copy), copy);
	if (!ih)
		return FLOWOS_PARSE_TRUNCATED;

	pkt->sport = htons(ih[0]);
	pkt->dport = htons(ih[1]);
	pkt->payload_off = off + sizeof(copy);
	pkt->payload_len = end - pkt->payload_off;
	return FLOWOS_PARSE_OK;
}

/*
 * The transport header at @off, which must end by @end, the end of the
 * IP packet.  For fragments and protocols without ports, everything
 * from @off to @end is payload.
 */
static enum flowos_parse_result parse_l4(const struct flowos_pkt_buf *b,
					 unsigned int off, unsigned int end,
					 struct flowos_pkt *pkt)
{
	pkt->l4_off = off;
	if (!(pkt->flags & FLOWOS_PKT_FRAGMENT)) {
		switch (pkt->proto) {
		case IPPROTO_TCP:
			return parse_tcp(b, off, end, pkt);
		case IPPROTO_UDP:
			return parse_udp(b, off, end, pkt);
		case IPPROTO_SCTP:
			return parse_sctp(b, off, end, pkt);
		case IPPROTO_ICMP:
		case IPPROTO_ICMPV6:
			return parse_icmp(b, off, end, pkt);
		}
	}
	pkt->payload_off = off;
	pkt->payload_len = end - off;
	return FLOWOS_PARSE_OK;
}

static enum flowos_parse_result parse_ipv4(const struct flowos_pkt_buf *b,
					   unsigned int off,
					   struct flowos_pkt *pkt)
{
	struct iphdr copy;
	const struct iphdr *iph;
	unsigned int ihl, tot_len;

	iph = flowos_hdr(b, off, sizeof(*iph), &copy);
	if (!iph)
		return FLOWOS_PARSE_TRUNCATED;
	if (iph->version != 4)
		return FLOWOS_PARSE_BAD_VERSION;

	/*
	 * BIG TCP for IPv4 (Linux 6.3) leaves tot_len 0 on a GSO or GRO TCP
	 * packet over 64 KiB: its length is then the packet's own, as the
	 * kernel's iph_totlen() has it.  Elsewhere 0 is malformed.
	 */
	ihl = iph->ihl * 4;
	tot_len = ntohs(iph->tot_len);
	if (!tot_len && flowos_buf_gso_tcp(b))
		tot_len = flowos_buf_len(b) - off;
	if (ihl < sizeof(*iph))
		return FLOWOS_PARSE_BAD_IHL;
	if (tot_len < ihl)
		return FLOWOS_PARSE_BAD_LENGTH;
	if (tot_len > flowos_buf_len(b) - off)
		return FLOWOS_PARSE_TRUNCATED;

	pkt->family = AF_INET;
	pkt->proto = iph->protocol;
	pkt->tos = iph->tos;
	pkt->saddr[0] = iph->saddr;
	pkt->daddr[0] = iph->daddr;
	pkt->len = tot_len;
	if (iph->frag_off & htons(IP_MF | IP_OFFSET))
		pkt->flags |= FLOWOS_PKT_FRAGMENT;

	return parse_l4(b, off + ihl, off + tot_len, pkt);
}

/*
 * Walk the extension headers after the fixed IPv6 header at @off + 40,
 * leaving pkt->proto on the first header that is not one, and return its
 * offset in @l4_off.  A fragment header ends the walk: what follows a
 * fragment header belongs to a fragment.
 */
static enum flowos_parse_result
parse_ipv6_ext(const struct flowos_pkt_buf *b, unsigned int off,
	       unsigned int end, u8 nexthdr, struct flowos_pkt *pkt,
	       unsigned int *l4_off)
{
	unsigned int i, hdrlen;

	for (i = 0; i <= FLOWOS_MAX_EXT_HDRS; i++) {
		struct frag_hdr copy;
		const struct frag_hdr *fh;
		const struct ipv6_opt_hdr *oh;

		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_AH:
		case IPPROTO_FRAGMENT:
			break;
		default:
			pkt->proto = nexthdr;
			*l4_off = off;
			return FLOWOS_PARSE_OK;
		}
		if (i == FLOWOS_MAX_EXT_HDRS)
			break;

		/* Every extension header starts with next header, length. */
		if (end - off < sizeof(*fh))
			return FLOWOS_PARSE_TRUNCATED;
		fh = flowos_hdr(b, off, sizeof(*fh), &copy);
		if (!fh)
			return FLOWOS_PARSE_TRUNCATED;

		if (nexthdr == IPPROTO_FRAGMENT) {
			pkt->flags |= FLOWOS_PKT_FRAGMENT;
			pkt->proto = fh->nexthdr;
			*l4_off = off + sizeof(*fh);
			return FLOWOS_PARSE_OK;
		}

		oh = (const struct ipv6_opt_hdr *)fh;
		if (nexthdr == IPPROTO_AH)
			hdrlen = (oh->hdrlen + 2) * 4;	/* RFC 4302 2.2 */
		else
			hdrlen = (oh->hdrlen + 1) * 8;	/* RFC 8200 4.3 */
		if (hdrlen > end - off)
			return FLOWOS_PARSE_TRUNCATED;
		nexthdr = oh->nexthdr;
		off += hdrlen;
	}
	return FLOWOS_PARSE_BAD_EXT_HDR;
}

/*
 * The Hop-by-Hop header alone that ip6_xmit() puts in an IPv6 BIG TCP
 * aggregate to carry its length (as the kernel's struct hop_jumbo_hdr
 * and ipv6_has_hopopt_jumbo() have it): segmentation takes it off again,
 * so no packet on the wire has it.
 */
struct flowos_jumbo_hbh {
	u8 nexthdr;
	u8 hdrlen;
	u8 tlv_type;
	u8 tlv_len;
	__be32 payload_len;
};

static bool is_big_tcp_jumbo(const struct flowos_pkt_buf *b, unsigned int off,
			     const struct ipv6hdr *ip6h)
{
	struct flowos_jumbo_hbh copy;
	const struct flowos_jumbo_hbh *j;

	if (ip6h->payload_len || ip6h->nexthdr != IPPROTO_HOPOPTS ||
	    !flowos_buf_gso_tcp(b))
		return false;
	j = flowos_hdr(b, off + sizeof(*ip6h), sizeof(*j), &copy);
	return j && j->nexthdr == IPPROTO_TCP && !j->hdrlen &&
	       j->tlv_type == IPV6_TLV_JUMBO;
}

static enum flowos_parse_result parse_ipv6(const struct flowos_pkt_buf *b,
					   unsigned int off,
					   struct flowos_pkt *pkt)
{
	struct ipv6hdr copy;
	const struct ipv6hdr *ip6h;
	enum flowos_parse_result r;
	unsigned int tot_len, avail, l4_off;

	ip6h = flowos_hdr(b, off, sizeof(*ip6h), &copy);
	if (!ip6h)
		return FLOWOS_PARSE_TRUNCATED;
	if (ip6h->version != 6)
		return FLOWOS_PARSE_BAD_VERSION;

	/*
	 * A zero payload length is how BIG TCP (and jumbograms) mark a
	 * packet longer than 64 KiB: the packet's own length is the truth.
	 */
	avail = flowos_buf_len(b) - off;
	tot_len = sizeof(*ip6h) + ntohs(ip6h->payload_len);
	if (!ip6h->payload_len)
		tot_len = avail;
	if (is_big_tcp_jumbo(b, off, ip6h))
		pkt->flags |= FLOWOS_PKT_JUMBO_HBH;
	if (tot_len > avail)
		return FLOWOS_PARSE_TRUNCATED;

	pkt->family = AF_INET6;
	pkt->tos = ip6h->priority << 4 | ip6h->flow_lbl[0] >> 4;
	memcpy(pkt->saddr, &ip6h->saddr, sizeof(pkt->saddr));
	memcpy(pkt->daddr, &ip6h->daddr, sizeof(pkt->daddr));
	pkt->len = tot_len;

	r = parse_ipv6_ext(b, off + sizeof(*ip6h), off + tot_len,
			   ip6h->nexthdr, pkt, &l4_off);
	if (r != FLOWOS_PARSE_OK)
		return r;
	return parse_l4(b, l4_off, off + tot_len, pkt);
}

/*
 * The wire segments a GSO or GRO packet stands for, and their IP bytes:
 * each segment carries its own copy of the headers before the payload
 * (IP, extension headers, TCP or UDP), as qdisc_pkt_len_init() counts
 * a GSO packet for qdiscs, but for the jumbo header of IPv6 BIG TCP.  A
 * tunnel's inner headers are payload here, so its segments' bytes are
 * short by those.  Any other packet is one segment.  At most
 * GSO_MAX_SEGS segments, as the stack's own count.
 */
static void set_wire_size(const struct flowos_pkt_buf *b,
			  struct flowos_pkt *pkt)
{
	unsigned int jumbo = pkt->flags & FLOWOS_PKT_JUMBO_HBH ?
			     sizeof(struct flowos_jumbo_hbh) : 0;
	unsigned int size, segs, hdrs;
	u8 l4;

	pkt->segs = 1;
	pkt->wire_len = pkt->len;
	flowos_buf_gso(b, &size, &segs, &l4);
	if (!size || !pkt->payload_len || pkt->flags & FLOWOS_PKT_FRAGMENT)
		return;
	/* GSO_BY_FRAGS (SCTP): no one size; the stack's count only. */
	if (!segs && size != FLOWOS_GSO_BY_FRAGS)
		segs = DIV_ROUND_UP(pkt->payload_len, size);
	segs = clamp(segs, 1U, (unsigned int)FLOWOS_GSO_MAX_SEGS);
	hdrs = pkt->payload_off - pkt->l3_off - jumbo;
	pkt->segs = segs;
	/* Only segments of this very payload are @size bytes of it each. */
	pkt->gso_size = size != FLOWOS_GSO_BY_FRAGS && l4 == pkt->proto ? size : 0;
	pkt->wire_len = min_t(u64, pkt->len - jumbo + (u64)(segs - 1) * hdrs,
			      U32_MAX);
}

/**
 * flowos_parse_l3 - parse an IP packet whose header starts at @off
 * @b: the packet
 * @off: offset of the IP header (skb_network_offset() in the kernel)
 * @proto: its ethertype, network order (skb->protocol)
 * @pkt: the record to fill; zeroed here first
 */
enum flowos_parse_result flowos_parse_l3(const struct flowos_pkt_buf *b,
					 unsigned int off, __be16 proto,
					 struct flowos_pkt *pkt)
{
	enum flowos_parse_result r;

	memset(pkt, 0, sizeof(*pkt));
	if (off > flowos_buf_len(b) || off > U16_MAX)
		return FLOWOS_PARSE_TRUNCATED;
	pkt->l3_off = off;

	if (proto == htons(ETH_P_IP))
		r = parse_ipv4(b, off, pkt);
	else if (proto == htons(ETH_P_IPV6))
		r = parse_ipv6(b, off, pkt);
	else
		return FLOWOS_PARSE_NOT_IP;
	if (r == FLOWOS_PARSE_OK)
		set_wire_size(b, pkt);
	return r;
}

/**
 * flowos_parse_eth - parse an Ethernet frame, with up to two VLAN tags
 * @b: the frame, starting at its destination MAC address
 * @pkt: the record to fill
 *
 * For captures and native benchmarks; in the kernel, netfilter hooks see
 * the IP header directly and call flowos_parse_l3().
 */
enum flowos_parse_result flowos_parse_eth(const struct flowos_pkt_buf *b,
					  struct flowos_pkt *pkt)
{
	struct ethhdr eth_copy;
	const struct ethhdr *eth;
	unsigned int off = sizeof(*eth), tags;
	enum flowos_parse_result r;
	u16 vlan_id = 0;
	__be16 proto;

	eth = flowos_hdr(b, 0, sizeof(*eth), &eth_copy);
	if (!eth)
		return FLOWOS_PARSE_TRUNCATED;
	proto = eth->h_proto;

	for (tags = 0; tags < MAX_VLAN_TAGS; tags++) {
		struct vlan_hdr vh_copy;
		const struct vlan_hdr *vh;

		if (proto != htons(ETH_P_8021Q) && proto != htons(ETH_P_8021AD))
			break;
		vh = flowos_hdr(b, off, sizeof(*vh), &vh_copy);
		if (!vh)
			return FLOWOS_PARSE_TRUNCATED;
		if (!tags)
			vlan_id = ntohs(vh->h_vlan_TCI) & VLAN_VID_MASK;
		proto = vh->h_vlan_encapsulated_proto;
		off += sizeof(*vh);
	}

	r = flowos_parse_l3(b, off, proto, pkt);
	if (tags) {
		pkt->flags |= FLOWOS_PKT_VLAN;
		pkt->vlan_id = vlan_id;
	}
	return r;
}
