/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPFIX messages (RFC 7011) of per-5-tuple flow records, for the ipfix
 * PM to send to collectors (nfdump's nfcapd, pmacct's nfacctd).
 *
 * A message is built in a buffer the caller gives (a datagram's worth):
 * ipfix_msg_start(), then templates and records while they fit, then
 * ipfix_msg_finish() writes the message header.  Two templates describe
 * the records, one per address family (IPFIX_TEMPLATE_V4 and _V6); a
 * record goes in a data set of its family's template, a new set when
 * the family changes.  The information elements are RFC 7012's:
 *
 *	sourceIPv4Address (8) or sourceIPv6Address (27), destination...
 *	(12 or 28), protocolIdentifier (4), sourceTransportPort (7),
 *	destinationTransportPort (11), octetDeltaCount (1), packetDeltaCount
 *	(2), flowStartMilliseconds (152), flowEndMilliseconds (153),
 *	tcpControlBits (6, in one octet: reduced-size encoding, RFC 7011
 *	6.2, as most exporters send it), flowEndReason (136),
 *	ingressInterface (10), egressInterface (14), flowDirection (61).
 *
 * The message header's sequence number is the caller's: RFC 7011 3.1
 * counts the data records sent before this message in the stream of its
 * observation domain, templates not included (ipfix_msg.records says how
 * many a message carries).
 *
 * Kernel-independent: selftests/unit/ipfix_collectors.sh builds it
 * natively (ipfix_send.c) and holds its messages to nfdump's and
 * tshark's reading of them.
 */
#ifndef _FLOWOS_IPFIX_MSG_H
#define _FLOWOS_IPFIX_MSG_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "kshim.h"
#endif

#define IPFIX_PORT		4739
#define IPFIX_TEMPLATE_V4	256
#define IPFIX_TEMPLATE_V6	257

/* flowEndReason (RFC 7012 5.11.3). */
enum ipfix_end_reason {
	IPFIX_END_IDLE = 1,		/* idle timeout */
	IPFIX_END_ACTIVE = 2,		/* active timeout */
	IPFIX_END_OF_FLOW = 3,		/* FIN or RST */
	IPFIX_END_FORCED = 4,		/* the exporter stopped */
	IPFIX_END_LACK_OF_RESOURCES = 5,	/* evicted from a full table */
};

/* One flow record: addresses in network order, the rest in host order. */
struct ipfix_rec {
	u8 family;		/* AF_INET or AF_INET6 */
	u8 proto;
	u8 tcp_flags;		/* OR of the flags of its TCP segments */
	u8 end_reason;		/* enum ipfix_end_reason */
	u8 direction;		/* flowDirection: 0 ingress, 1 egress */
	u8 saddr[16];
	u8 daddr[16];
	u16 sport;
	u16 dport;
	u64 octets;		/* IP bytes */
	u64 packets;
	u64 start_ms;		/* ms since the epoch */
	u64 end_ms;
	u32 ingress_if;
	u32 egress_if;
};

/* A message being built in @buf. */
struct ipfix_msg {
	u8 *buf;
	size_t size;		/* of @buf */
	size_t len;		/* written so far */
	size_t set;		/* offset of the open data set's header, or 0 */
	u16 set_id;		/* its template */
	u32 records;		/* data records in the message */
};

/* Bytes of the smallest buffer that takes templates and one record. */
#define IPFIX_MSG_MIN	256
/* And the most a message may have. */
#define IPFIX_MSG_MAX	65535

bool ipfix_msg_start(struct ipfix_msg *m, u8 *buf, size_t size);
bool ipfix_msg_add_templates(struct ipfix_msg *m);
bool ipfix_msg_add_record(struct ipfix_msg *m, const struct ipfix_rec *r);
size_t ipfix_msg_finish(struct ipfix_msg *m, u32 export_time, u32 seq,
			u32 domain);

#endif
