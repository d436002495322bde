/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowos: writing the IP and TCP/UDP headers of a packet in place, with
 * every checksum they feed kept right (hdr_write.c).  Kernel-independent:
 * flowos_unit_write_header() (inline.c) hands it the headers of an skb it
 * made writable, and the native unit test (selftests/unit/hdrw_test.c)
 * hands it packets it builds, with tools/lib/kshim.h for the checksum
 * primitives.
 */
#ifndef _FLOWOS_HDR_WRITE_H
#define _FLOWOS_HDR_WRITE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "kshim.h"
#endif

/*
 * struct flowos_hdrs - the writable headers of one TCP or UDP packet
 * @ip: the IPv4 or IPv6 header
 * @l4: the TCP or UDP header, @l4 - @ip bytes after @ip (any IPv6
 *	extension headers lie between)
 * @ip_len: the IPv4 header with its options, or the fixed IPv6 header
 * @l4_len: the TCP header with its options, or the UDP header
 * @family: AF_INET or AF_INET6
 * @proto: IPPROTO_TCP or IPPROTO_UDP
 * @partial: CHECKSUM_PARTIAL: the transport checksum field holds only
 *	the pseudo-header's sum, and the rest is summed later
 */
struct flowos_hdrs {
	u8 *ip;
	u8 *l4;
	u16 ip_len;
	u16 l4_len;
	u8 family;
	u8 proto;
	bool partial;
};

/*
 * flowos_hdrs_write - write @len bytes of @data at @off bytes from the IP
 * header's start, in the IP header or the transport header
 *
 * Fixes the IPv4 header checksum, and the transport checksum for a
 * change of its header or of an address in its pseudo-header.  Refuses, changing nothing,
 * a write outside both headers (or into extension headers between
 * them) and one that changes what gives the packet its shape: the IP
 * version, IPv4 header length, fragment offset and more-fragments bit,
 * total or payload length, protocol or next header, the TCP data offset,
 * the UDP length, or a checksum field.  A UDP datagram without a checksum
 * (0) stays without, in either family.
 *
 * *@delta receives what the write added to the sum of the packet's bytes
 * (checksum fields included), as a sum that starts at @ip: the caller
 * adds it to a CHECKSUM_COMPLETE packet's sum.
 *
 * Return: 0, or -EINVAL.
 */
int flowos_hdrs_write(const struct flowos_hdrs *h, u32 off, const void *data,
		      u32 len, __wsum *delta);

/*
 * flowos_payload_write - write @len bytes of @data at @off bytes from the
 * IP header's start, in the transport payload of @h's packet
 *
 * The bytes must lie after the transport header (the caller knows where
 * the packet ends).  The transport checksum takes the change, unless
 * @h->partial (the stack sums the payload later) or the UDP datagram was
 * sent without one (0), which stays without.  *@delta receives what the
 * write added to the packet's sum, as flowos_hdrs_write()'s does.
 *
 * Return: 0, or -EINVAL for bytes before the payload (nothing changes).
 */
int flowos_payload_write(const struct flowos_hdrs *h, u32 off,
			 const void *data, u32 len, __wsum *delta);

#endif /* _FLOWOS_HDR_WRITE_H */
