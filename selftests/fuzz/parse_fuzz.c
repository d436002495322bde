// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the packet parser (kmod/parse.c), built natively
 * with AddressSanitizer and UBSan.  Each input is parsed as an Ethernet
 * frame, as an IPv4 packet, as an IPv6 packet and as the IPv4 packet of
 * a GSO TCP skb (where a tot_len of 0 means BIG TCP).  libFuzzer hands over
 * a heap buffer of exactly the input's length, so reading one byte past
 * it is an ASan report.  A packet the parser accepts must also describe
 * itself consistently: the IP packet, the transport header and the
 * payload lie inside the input and in that order, since the classifier
 * and the PMs trust these offsets.  As a GSO skb, its gso_size and
 * gso_segs taken from the input's first bytes, the wire counts must be
 * those of at least one packet and at most GSO_MAX_SEGS, none shorter
 * than its headers.
 */
#include <stdio.h>
#include <stdlib.h>

#include "parse.h"

#define FAIL(what) do { \
	fprintf(stderr, "parse_fuzz: %s: %s\n", how, what); \
	abort(); \
} while (0)

static void check(const char *how, enum flowos_parse_result r,
		  const struct flowos_pkt *p, size_t size)
{
	/* IPv6 BIG TCP's jumbo header, which no segment carries. */
	unsigned int jumbo = p->flags & FLOWOS_PKT_JUMBO_HBH ? 8 : 0;

	if ((unsigned int)r >= __FLOWOS_PARSE_MAX)
		FAIL("result out of range");
	if (!strcmp(flowos_parse_result_name(r), "unknown"))
		FAIL("result without a name");
	if (r != FLOWOS_PARSE_OK)
		return;
	if (p->family != AF_INET && p->family != AF_INET6)
		FAIL("bad family");
	if (p->l3_off > size || p->len > size - p->l3_off)
		FAIL("IP packet runs past the input");
	if (p->len < (p->family == AF_INET ? 20 : 40))
		FAIL("IP packet shorter than its header");
	if (p->l4_off < p->l3_off || p->l4_off > p->l3_off + p->len)
		FAIL("transport header outside the IP packet");
	if (p->payload_off < p->l4_off ||
	    p->payload_off + p->payload_len > p->l3_off + p->len)
		FAIL("payload outside the IP packet");
	if (!p->segs || p->wire_len < p->len - jumbo)
		FAIL("fewer wire bytes than the packet has");
	if (p->segs == 1 && p->wire_len != p->len &&
	    p->wire_len != p->len - jumbo)
		FAIL("one packet, other wire bytes");
	if (p->segs > 1 && p->wire_len != U32_MAX &&
	    p->wire_len - (p->len - jumbo) !=
	    (u64)(p->segs - 1) * (p->payload_off - p->l3_off - jumbo))
		FAIL("wire bytes are not the headers once per segment");
	if (p->flags & FLOWOS_PKT_FRAGMENT)
		return;
	if (p->proto == IPPROTO_TCP && p->payload_off - p->l4_off < 20)
		FAIL("TCP payload inside the TCP header");
	if (p->proto == IPPROTO_UDP && p->payload_off - p->l4_off != 8)
		FAIL("UDP payload not after the UDP header");
	if (p->proto == IPPROTO_SCTP && p->payload_off - p->l4_off != 12)
		FAIL("SCTP payload not after the SCTP common header");
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	const struct flowos_pkt_buf b = { data, size };
	const struct flowos_pkt_buf gso = { data, size, .gso_tcp = true };
	struct flowos_pkt pkt;

	check("ethernet", flowos_parse_eth(&b, &pkt), &pkt, size);
	check("ipv4", flowos_parse_l3(&b, 0, htons(ETH_P_IP), &pkt), &pkt,
	      size);
	check("ipv6", flowos_parse_l3(&b, 0, htons(ETH_P_IPV6), &pkt), &pkt,
	      size);
	/* As a GSO TCP skb: an IPv4 tot_len of 0 means "all of it". */
	check("ipv4 gso", flowos_parse_l3(&gso, 0, htons(ETH_P_IP), &pkt),
	      &pkt, size);
	/* Any gso_size and gso_segs: from the input's first four bytes. */
	if (size >= 4) {
		struct flowos_pkt_buf seg = { data, size, .gso_tcp = true,
					      .gso_size = data[0] << 8 | data[1],
					      .gso_segs = data[2] << 8 | data[3],
					      .gso_l4 = data[1] & 1 ? IPPROTO_TCP :
							IPPROTO_UDP };

		check("gso sizes", flowos_parse_l3(&seg, 0, htons(ETH_P_IP),
						   &pkt), &pkt, size);
		check("gso sizes v6", flowos_parse_l3(&seg, 0,
						      htons(ETH_P_IPV6), &pkt),
		      &pkt, size);
	}
	return 0;
}
