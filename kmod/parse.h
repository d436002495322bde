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
#include <linux/skbuff.h>
#include <linux/in6.h>

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

/* @gso_tcp stands for an skb with SKB_GSO_TCPV4 or SKB_GSO_TCPV6 set. */
struct flowos_pkt_buf {
	const u8 *data;
	unsigned int len;
	bool gso_tcp;
};

static inline unsigned int flowos_buf_len(const struct flowos_pkt_buf *b)
{
	return b->len;
}

static inline bool flowos_buf_gso_tcp(const struct flowos_pkt_buf *b)
{
	return b->gso_tcp;
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

/* Longest IPv6 extension header chain walked before giving up. */
#define FLOWOS_MAX_EXT_HDRS	8

/*
 * struct flowos_pkt - the parsed header fields of one packet.
 *
 * Offsets are from the start of the buffer parsed.  Addresses are in
 * network order; an IPv4 address sits in addr[0].  sport and dport are
 * the ports of TCP, UDP and SCTP; for ICMP and ICMPv6, sport holds the
 * type and dport the code (as Open vSwitch keys them).
 * len is the IP-layer length (header and payload, without link-layer
 * padding): the byte count flow counters use.
 */
struct flowos_pkt {
	__be32 saddr[4];
	__be32 daddr[4];
	__be16 sport;
	__be16 dport;
	u8 family;		/* AF_INET or AF_INET6 */
	u8 proto;		/* transport protocol, after IPv6 ext headers */
	u8 tcp_flags;
	u8 flags;		/* FLOWOS_PKT_* */
	u16 vlan_id;		/* outer tag, when FLOWOS_PKT_VLAN */
	u16 l3_off;
	u16 l4_off;
	u16 payload_off;
	u32 len;
	u32 payload_len;
	u32 tcp_seq;
	u32 tcp_ack;
};

enum flowos_parse_result flowos_parse_l3(const struct flowos_pkt_buf *b,
					 unsigned int off, __be16 proto,
					 struct flowos_pkt *pkt);
enum flowos_parse_result flowos_parse_eth(const struct flowos_pkt_buf *b,
					  struct flowos_pkt *pkt);
const char *flowos_parse_result_name(enum flowos_parse_result r);

#endif /* _FLOWOS_PARSE_H */
