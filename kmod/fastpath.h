/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-packet steps between the parser and the ring that do not touch
 * the kernel: a parsed packet's classifier key, and the unit written for
 * it.  Shared by the hook (hook.c, stream.c) and the native benchmark
 * (tools/bench-native), so that the benchmark runs the kernel's own code.
 */
#ifndef _FLOWOS_FASTPATH_H
#define _FLOWOS_FASTPATH_H

#ifdef __KERNEL__
#include <linux/string.h>
#include <net/tcp.h>
#include <flowos/unit.h>
#else
#include "flowos_user.h"
#include "flowos/unit.h"
#endif
#include "classify.h"
#include "parse.h"

/* The classifier key of @pkt, seen on @ifindex in direction @dir. */
static inline void flowos_pkt_key(const struct flowos_pkt *pkt, u32 ifindex,
				  u8 dir, struct flowos_key *key)
{
	memcpy(key->src, pkt->saddr, sizeof(key->src));
	memcpy(key->dst, pkt->daddr, sizeof(key->dst));
	key->ifindex = ifindex;
	key->sport = pkt->sport;
	key->dport = pkt->dport;
	key->family = pkt->family;
	key->proto = pkt->proto;
	key->dir = dir;
	key->tos = pkt->tos;
}

/* BIT(FLOWOS_LAYER_*) of every stream @pkt is in. */
static inline u8 flowos_unit_layers(const struct flowos_pkt *pkt)
{
	u8 layers = BIT(FLOWOS_LAYER_IP);

	if (pkt->flags & FLOWOS_PKT_FRAGMENT)
		return layers;
	switch (pkt->proto) {
	case IPPROTO_TCP:
		layers |= BIT(FLOWOS_LAYER_TCP);
		if (pkt->payload_len ||
		    pkt->tcp_flags & (TCPHDR_SYN | TCPHDR_FIN | TCPHDR_RST))
			layers |= BIT(FLOWOS_LAYER_STREAM);
		break;
	case IPPROTO_UDP:
		layers |= BIT(FLOWOS_LAYER_UDP);
		if (pkt->payload_len)
			layers |= BIT(FLOWOS_LAYER_STREAM);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		layers |= BIT(FLOWOS_LAYER_ICMP);
		break;
	}
	if (pkt->payload_len)
		layers |= BIT(FLOWOS_LAYER_PAYLOAD);
	return layers;
}

/* The unit of @pkt, seen at @tstamp (ns) in direction @dir; no clone. */
static inline void flowos_unit_fill(struct flowos_unit *u,
				    const struct flowos_pkt *pkt, u8 dir,
				    u64 tstamp)
{
	u->tstamp = tstamp;
	memcpy(u->saddr, pkt->saddr, sizeof(u->saddr));
	memcpy(u->daddr, pkt->daddr, sizeof(u->daddr));
	u->sport = pkt->sport;
	u->dport = pkt->dport;
	u->ifindex = pkt->ifindex;
	u->family = pkt->family;
	u->proto = pkt->proto;
	u->tcp_flags = pkt->tcp_flags;
	u->dir = dir;
	u->layers = flowos_unit_layers(pkt);
	u->mark = 0;
	u->flags = 0;
	u->payload_off = pkt->payload_off;
	u->l4_off = pkt->l4_off;
	u->wire_len = pkt->wire_len;
	u->payload_len = pkt->payload_len;
	u->tcp_seq = pkt->tcp_seq;
	u->tcp_ack = pkt->tcp_ack;
	u->segs = pkt->segs;
	u->gso_size = pkt->gso_size;
	u->skb = NULL;
}

#endif /* _FLOWOS_FASTPATH_H */
