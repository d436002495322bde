/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet header parsing: from the bytes of a packet to the compact record
 * that the classifier and the PMs work on (a DataUnit's header fields).
 *
 * The same source builds into flowos.ko, where headers are read from an
 * skb with skb_header_pointer() (paged data is copied to the caller's
 * buffer), and natively in userspace over a flat buffer, for unit tests,
 * fuzzing and the native benchmark (tools/lib/kshim.h).  Every read is
 * bounds-checked through flowos_hdr(); nothing in a packet is trusted.
 */
#ifndef _FLOWOS_PARSE_H
#define _FLOWOS_PARSE_H

#ifdef __KERNEL__
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/in6.h>

#define FLOWOS_GSO_BY_FRAGS	GSO_BY_FRAGS
#define FLOWOS_GSO_MAX_SEGS	GSO_MAX_SEGS

/* The packet a parse reads from. */
struct flowos_pkt_buf {
	const struct sk_buff *skb;
};

static inline unsigned int flowos_buf_len(const struct flowos_pkt_buf *b)
{
	return b->skb->len;
}

/* A GSO (or GRO) TCP packet: its IPv4 tot_len may be 0 (BIG TCP). */
static inline bool flowos_buf_gso_tcp(const struct flowos_pkt_buf *b)
{
	return skb_is_gso(b->skb) && skb_is_gso_tcp(b->skb);
}

/* GSO types whose segments are plain TCP, or plain UDP, datagrams. */
#define FLOWOS_GSO_TCP_ONLY	(SKB_GSO_TCPV4 | SKB_GSO_TCPV6 | \
				 SKB_GSO_TCP_ECN | SKB_GSO_TCP_FIXEDID | \
				 SKB_GSO_DODGY)
#define FLOWOS_GSO_UDP_ONLY	(SKB_GSO_UDP_L4 | SKB_GSO_DODGY)

/*
 * What a GSO or GRO packet stands for on the wire: the payload bytes of
 * each segment but the last (0: it is not one), how many segments the
 * stack counted (0: to be computed, for a packet from an untrusted
 * source, SKB_GSO_DODGY, whose gso_segs nobody has checked), and the
 * protocol whose payload the segments split (IPPROTO_TCP or IPPROTO_UDP;
 * 0 for any other type: a tunnel's, whose segments repeat inner headers,
 * UFO's, whose segments are IP fragments, SCTP's, fraglist GRO's).
 */
static inline void flowos_buf_gso(const struct flowos_pkt_buf *b,
				  unsigned int *size, unsigned int *segs,
				  u8 *l4)
{
	const struct skb_shared_info *si = skb_shinfo(b->skb);
	unsigned int type = si->gso_type;

	*size = skb_is_gso(b->skb) ? si->gso_size : 0;
	*segs = type & SKB_GSO_DODGY ? 0 : si->gso_segs;
	*l4 = 0;
	if (type & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6) &&
	    !(type & ~FLOWOS_GSO_TCP_ONLY))
		*l4 = IPPROTO_TCP;
	else if (type & SKB_GSO_UDP_L4 && !(type & ~FLOWOS_GSO_UDP_ONLY))
		*l4 = IPPROTO_UDP;
}

/*
 * flowos_hdr - @len bytes at @off, or NULL if the packet is shorter.
 * Points into the packet when those bytes are linear, else into @copy.
 */
static inline const void *flowos_hdr(const struct flowos_pkt_buf *b,
				     unsigned int off, unsigned int len,
				     void *copy)
{
	return skb_header_pointer(b->skb, off, len, copy);
}
#else
#include "kshim.h"

/* As <linux/skbuff.h> and <linux/netdevice.h> have them. */
#define FLOWOS_GSO_BY_FRAGS	0xFFFF
#define FLOWOS_GSO_MAX_SEGS	65535u

/*
 * @gso_tcp stands for an skb with SKB_GSO_TCPV4 or SKB_GSO_TCPV6 set,
 * @gso_size and @gso_segs for its skb_shinfo()'s (0 and 0: not GSO;
 * @gso_segs 0: SKB_GSO_DODGY), @gso_l4 for the protocol its segments
 * split (flowos_buf_gso() in the kernel).
 */
struct flowos_pkt_buf {
	const u8 *data;
	unsigned int len;
	bool gso_tcp;
	u16 gso_size;
	u16 gso_segs;
	u8 gso_l4;
};

static inline unsigned int flowos_buf_len(const struct flowos_pkt_buf *b)
{
	return b->len;
}

static inline bool flowos_buf_gso_tcp(const struct flowos_pkt_buf *b)
{
	return b->gso_tcp;
}

static inline void flowos_buf_gso(const struct flowos_pkt_buf *b,
				  unsigned int *size, unsigned int *segs,
				  u8 *l4)
{
	*size = b->gso_size;
	*segs = b->gso_segs;
	*l4 = b->gso_l4;
}

static inline const void *flowos_hdr(const struct flowos_pkt_buf *b,
				     unsigned int off, unsigned int len,
				     void *copy)
{
	if (off > b->len || len > b->len - off)
		return NULL;
	return b->data + off;
}
#endif

/*
 * Why a packet was not parsed.  Each reason has its own counter, so an
 * operator can tell hostile or broken traffic from traffic flowos does
 * not look at (FLOWOS_PARSE_NOT_IP).
 */
enum flowos_parse_result {
	FLOWOS_PARSE_OK,
	FLOWOS_PARSE_NOT_IP,		/* not IPv4 or IPv6: ignored */
	FLOWOS_PARSE_TRUNCATED,		/* a header runs past the packet */
	FLOWOS_PARSE_BAD_VERSION,	/* IP version does not match */
	FLOWOS_PARSE_BAD_IHL,		/* IPv4 header length below 20 */
	FLOWOS_PARSE_BAD_LENGTH,	/* IP length below its own header */
	FLOWOS_PARSE_BAD_EXT_HDR,	/* IPv6 extension chain too long */
	FLOWOS_PARSE_BAD_TCP_DOFF,	/* TCP data offset out of range */
	FLOWOS_PARSE_BAD_UDP_LEN,	/* UDP length out of range */
	__FLOWOS_PARSE_MAX,
};

/* flowos_pkt.flags */
#define FLOWOS_PKT_FRAGMENT	0x01	/* IP fragment: no transport fields */
#define FLOWOS_PKT_VLAN		0x02	/* came with an 802.1Q/802.1ad tag */
/*
 * An IPv6 BIG TCP aggregate with the jumbo Hop-by-Hop header that the
 * stack adds for it and takes off every segment it cuts.
 */
#define FLOWOS_PKT_JUMBO_HBH	0x04

/* Longest IPv6 extension header chain walked before giving up. */
#define FLOWOS_MAX_EXT_HDRS	8

/*
 * struct flowos_pkt - the parsed header fields of one packet.
 *
 * Offsets are from the start of the buffer parsed.  Addresses are in
 * network order; an IPv4 address sits in addr[0].  sport and dport are
 * the ports of TCP, UDP and SCTP; for ICMP and ICMPv6, sport holds the
 * type and dport the code (as Open vSwitch keys them).
 * len is the IP-layer length of the packet as the stack holds it
 * (header and payload, without link-layer padding).  A GSO or GRO packet
 * stands for @segs packets on the wire, each with its own copy of the
 * headers before @payload_off and @gso_size bytes of payload but the
 * last (@gso_size 0: they do not split this payload evenly, as a
 * tunnel's): @wire_len is their IP bytes, what flow counters count.  Any
 * other packet is one segment, and @wire_len is @len.
 */
struct flowos_pkt {
	__be32 saddr[4];
	__be32 daddr[4];
	__be16 sport;
	__be16 dport;
	u8 family;		/* AF_INET or AF_INET6 */
	u8 proto;		/* transport protocol, after IPv6 ext headers */
	u8 tcp_flags;
	u8 tos;			/* IPv4 TOS, IPv6 Traffic Class */
	u8 flags;		/* FLOWOS_PKT_* */
	u16 vlan_id;		/* outer tag, when FLOWOS_PKT_VLAN */
	u16 l3_off;
	u16 l4_off;
	u16 payload_off;
	u32 len;
	u32 payload_len;
	u32 tcp_seq;
	u32 tcp_ack;
	u32 wire_len;
	u16 segs;
	u16 gso_size;
	u32 ifindex;		/* the hook's device, not the parser's */
};

enum flowos_parse_result flowos_parse_l3(const struct flowos_pkt_buf *b,
					 unsigned int off, __be16 proto,
					 struct flowos_pkt *pkt);
enum flowos_parse_result flowos_parse_eth(const struct flowos_pkt_buf *b,
					  struct flowos_pkt *pkt);
const char *flowos_parse_result_name(enum flowos_parse_result r);

#endif /* _FLOWOS_PARSE_H */
