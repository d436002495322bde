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
 * change it, and then only @mark.  Addresses are in network order, an
 * IPv4 address in [0].  For ICMP, @sport is the type and @dport the code.
 * @len counts IP-layer bytes.  @skb is a clone of the packet, set only
 * while some instance on the flow works on FLOWOS_LAYER_PAYLOAD, and
 * @payload_off is the offset of the payload from skb->data.  Even then
 * @skb may be NULL: a clone the memory cap refused (counted in the
 * flow's mem_drops) leaves the unit queued without its packet, for the
 * PMs that read headers only.
 */
struct flowos_unit {
	u64 tstamp;		/* ktime_get_ns() when the packet was seen */
	__be32 saddr[4];
	__be32 daddr[4];
	__be16 sport;
	__be16 dport;
	u8 family;		/* AF_INET or AF_INET6 */
	u8 proto;
	u8 tcp_flags;
	u8 dir;			/* FLOWOS_DIR_IN or FLOWOS_DIR_OUT */
	u8 layers;		/* BIT(FLOWOS_LAYER_*) of every stream it is in */
	u8 mark;		/* for read-write PMs */
	u16 payload_off;
	u32 len;
	u32 payload_len;
	u32 tcp_seq;
	u32 tcp_ack;		/* meaningful with TCPHDR_ACK in @tcp_flags */
	struct sk_buff *skb;
};

#endif /* _FLOWOS_UNIT_H */
