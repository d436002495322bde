/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowos: the unit, a packet as PMs see it.  Part of the PM API
 * (flowos/pm.h includes it); kept apart and kernel-independent so that
 * the packet path's unit writer builds natively for the native benchmark
 * (tools/bench-native), which includes tools/lib/kshim.h first.
 */
#ifndef _FLOWOS_UNIT_H
#define _FLOWOS_UNIT_H

#ifdef __KERNEL__
#include <linux/types.h>
#endif

struct sk_buff;

/*
 * struct flowos_unit - one packet of a flow, as PMs see it (a DataUnit).
 *
 * Written by the packet path, read by PMs; only a read-write PM may
 * change it, and then only @mark, and on an inline flow drop it
 * (flowos_unit_drop()), write its payload (flowos_unit_write()) or its
 * headers (flowos_unit_write_header()).  A
 * dropped unit is in no stream: the windows of later orders skip it.
 * Addresses are in network order, an IPv4 address in [0].  For ICMP,
 * @sport is the type and @dport the code.
 *
 * A unit is one skb, which may be a GSO or GRO aggregate: it stands for
 * @segs packets on the wire (1 for any other packet), and @wire_len is
 * their IP-layer bytes, each segment with its own headers.  Count with
 * these two, never with the skb.  All segments but the last carry
 * @gso_size bytes of the payload (@gso_size 0 when they do not split it
 * evenly: a tunnel's, UFO's, SCTP's); flowos_unit_seg_len() has their
 * length.
 *
 * On a passive flow, @skb is a clone of the packet, set only while some
 * instance on the flow works on FLOWOS_LAYER_PAYLOAD or _STREAM, or has
 * set flowos_pm.payload (packets with payload) or flowos_pm.headers
 * (every packet of its layer), and
 * @payload_off is the offset of the payload from skb->data.  Even then
 * @skb may be NULL: a clone the memory cap refused (counted in the
 * flow's mem_drops) leaves the unit queued without its packet, for the
 * PMs that read headers only.  On an inline flow, @skb is the packet
 * itself, always set, held until every instance has released the unit:
 * a read-only PM reads it and never writes it, a read-write PM writes
 * it only through flowos_unit_write() and flowos_unit_write_header()
 * (flowos/pm.h), which keep @payload_off and @l4_off valid.
 */
struct flowos_unit {
	u64 tstamp;		/* ktime_get_ns() when the packet was seen */
	__be32 saddr[4];
	__be32 daddr[4];
	__be16 sport;
	__be16 dport;
	u32 ifindex;		/* the device it came in on (IN) or leaves by */
	u8 family;		/* AF_INET or AF_INET6 */
	u8 proto;
	u8 tcp_flags;
	u8 dir;			/* FLOWOS_DIR_IN or FLOWOS_DIR_OUT */
	u8 layers;		/* BIT(FLOWOS_LAYER_*) of every stream it is in */
	u8 mark;		/* for read-write PMs */
	u8 flags;		/* FLOWOS_UNIT_*: the core's */
	u16 payload_off;
	u16 segs;		/* wire packets it stands for, >= 1 */
	u32 wire_len;		/* IP bytes of its @segs wire packets */
	u32 payload_len;
	u32 tcp_seq;
	u32 tcp_ack;		/* meaningful with TCPHDR_ACK in @tcp_flags */
	u16 gso_size;		/* payload of each of them but the last */
	u16 l4_off;		/* transport header, from skb->data, with @skb */
	struct sk_buff *skb;
};

/* flowos_unit.flags */
#define FLOWOS_UNIT_DROPPED	0x01	/* a read-write PM dropped it */

/*
 * The IP length of each wire packet @u stands for but the last, or 0
 * when @u is one packet or the size is not known; the last is the rest
 * of @wire_len.  Each segment has the same headers, and their payloads
 * add up to @payload_len: so the headers are what @wire_len has beyond
 * it, over @segs (not @payload_off, which may hold a header the stack
 * takes off its segments, such as IPv6 BIG TCP's jumbo header).
 */
static inline u32 flowos_unit_seg_len(const struct flowos_unit *u)
{
	if (u->segs < 2 || !u->gso_size || u->wire_len < u->payload_len)
		return 0;
	return (u->wire_len - u->payload_len) / u->segs + u->gso_size;
}

#endif /* _FLOWOS_UNIT_H */
