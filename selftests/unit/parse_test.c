// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the packet parser (kmod/parse.c), built natively under
 * AddressSanitizer and UBSan.  Packets are assembled field by field here,
 * so the expected values come from the test, not from the parser.  Every
 * parse reads from a heap copy of exactly the packet's length: a read one
 * byte past the end is an ASan report, i.e. a failed test.
 */
#include <stdlib.h>

#include "parse.h"
#include "flowos/unit.h"
#include "kselftest_harness.h"

/* NET_IP_ALIGN: frames start 2 bytes into an aligned buffer, as in skbs,
 * so that the IP header is 4-byte aligned after a 14-byte Ethernet header.
 */
#define NET_IP_ALIGN 2

struct pktb {
	unsigned int n;
	u8 pad[4 - NET_IP_ALIGN];
	u8 d[1024];
} __aligned(8);

static u8 *put(struct pktb *p, unsigned int len)
{
	u8 *at = p->d + p->n;

	memset(at, 0, len);
	p->n += len;
	return at;
}

static void put_eth(struct pktb *p, u16 proto)
{
	struct ethhdr *eth = (struct ethhdr *)put(p, sizeof(*eth));

	memset(eth->h_dest, 0x02, ETH_ALEN);
	memset(eth->h_source, 0x04, ETH_ALEN);
	eth->h_proto = htons(proto);
}

static void put_vlan(struct pktb *p, u16 tci, u16 proto)
{
	struct vlan_hdr *vh = (struct vlan_hdr *)put(p, sizeof(*vh));

	vh->h_vlan_TCI = htons(tci);
	vh->h_vlan_encapsulated_proto = htons(proto);
}

#define V4_SRC 0x0a000001	/* 10.0.0.1 */
#define V4_DST 0xc0a80102	/* 192.168.1.2 */

/* An IPv4 header of @ihl words; the total length is fixed up by done(). */
static struct iphdr *put_ipv4(struct pktb *p, u8 proto, unsigned int ihl)
{
	struct iphdr *iph = (struct iphdr *)put(p, ihl * 4);

	iph->version = 4;
	iph->ihl = ihl;
	iph->ttl = 64;
	iph->protocol = proto;
	iph->saddr = htonl(V4_SRC);
	iph->daddr = htonl(V4_DST);
	return iph;
}

static const struct in6_addr v6_src = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } } };
static const struct in6_addr v6_dst = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } } };

static struct ipv6hdr *put_ipv6(struct pktb *p, u8 nexthdr)
{
	struct ipv6hdr *ip6h = (struct ipv6hdr *)put(p, sizeof(*ip6h));

	ip6h->version = 6;
	ip6h->nexthdr = nexthdr;
	ip6h->hop_limit = 64;
	ip6h->saddr = v6_src;
	ip6h->daddr = v6_dst;
	return ip6h;
}

/* An extension header of @bytes bytes (hdrlen in 8-octet units). */
static void put_ext(struct pktb *p, u8 nexthdr, unsigned int bytes)
{
	struct ipv6_opt_hdr *oh = (struct ipv6_opt_hdr *)put(p, bytes);

	oh->nexthdr = nexthdr;
	oh->hdrlen = bytes / 8 - 1;
}

static struct tcphdr *put_tcp(struct pktb *p, unsigned int doff, u8 flags)
{
	struct tcphdr *th = (struct tcphdr *)put(p, doff * 4);

	th->source = htons(40000);
	th->dest = htons(80);
	th->seq = htonl(0x01020304);
	th->ack_seq = htonl(0xa0b0c0d0);
	th->doff = doff;
	((u8 *)th)[13] = flags;
	return th;
}

static struct udphdr *put_udp(struct pktb *p, unsigned int payload)
{
	struct udphdr *uh = (struct udphdr *)put(p, sizeof(*uh));

	uh->source = htons(5353);
	uh->dest = htons(53);
	uh->len = htons(sizeof(*uh) + payload);
	return uh;
}

/* An SCTP common header; its chunks are the caller's payload. */
static struct sctphdr *put_sctp(struct pktb *p)
{
	struct sctphdr *sh = (struct sctphdr *)put(p, sizeof(*sh));

	sh->source = htons(36412);
	sh->dest = htons(9899);
	sh->vtag = htonl(0xdeadbeef);
	return sh;
}

static void put_payload(struct pktb *p, unsigned int len)
{
	u8 *at = put(p, len);
	unsigned int i;

	for (i = 0; i < len; i++)
		at[i] = 'a' + i % 26;
}

/* Set the IP length fields from what was appended after @l3_off. */
static void done_ipv4(struct pktb *p, unsigned int l3_off)
{
	struct iphdr *iph = (struct iphdr *)(p->d + l3_off);

	iph->tot_len = htons(p->n - l3_off);
}

static void done_ipv6(struct pktb *p, unsigned int l3_off)
{
	struct ipv6hdr *ip6h = (struct ipv6hdr *)(p->d + l3_off);

	ip6h->payload_len = htons(p->n - l3_off - sizeof(*ip6h));
}

/* Parse the first @n bytes of @p from a heap buffer of exactly @n bytes. */
static enum flowos_parse_result parse_n(const struct pktb *p, unsigned int n,
					struct flowos_pkt *pkt)
{
	u8 *buf = malloc(NET_IP_ALIGN + n);
	struct flowos_pkt_buf b = { .data = buf + NET_IP_ALIGN, .len = n };
	enum flowos_parse_result r;

	memcpy(buf + NET_IP_ALIGN, p->d, n);
	r = flowos_parse_eth(&b, pkt);
	free(buf);
	return r;
}

static enum flowos_parse_result parse(const struct pktb *p,
				      struct flowos_pkt *pkt)
{
	return parse_n(p, p->n, pkt);
}

/* A TCP/IPv4 frame with 10 bytes of payload. */
static void ipv4_tcp_frame(struct pktb *p)
{
	put_eth(p, ETH_P_IP);
	put_ipv4(p, IPPROTO_TCP, 5);
	put_tcp(p, 5, 0x18);
	put_payload(p, 10);
	done_ipv4(p, ETH_HLEN);
}

TEST(ipv4_tcp)
{
	struct pktb p = {};
	struct flowos_pkt pkt;

	ipv4_tcp_frame(&p);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(AF_INET, pkt.family);
	EXPECT_EQ(IPPROTO_TCP, pkt.proto);
	EXPECT_EQ(htonl(V4_SRC), pkt.saddr[0]);
	EXPECT_EQ(htonl(V4_DST), pkt.daddr[0]);
	EXPECT_EQ(0, pkt.saddr[1] | pkt.daddr[1]);
	EXPECT_EQ(htons(40000), pkt.sport);
	EXPECT_EQ(htons(80), pkt.dport);
	EXPECT_EQ(0x01020304, pkt.tcp_seq);
	EXPECT_EQ(0xa0b0c0d0, pkt.tcp_ack);
	EXPECT_EQ(0x18, pkt.tcp_flags);
	EXPECT_EQ(0, pkt.flags);
	EXPECT_EQ(20 + 20 + 10, pkt.len);
	EXPECT_EQ(14, pkt.l3_off);
	EXPECT_EQ(34, pkt.l4_off);
	EXPECT_EQ(54, pkt.payload_off);
	EXPECT_EQ(10, pkt.payload_len);
}

TEST(ipv4_and_tcp_options)
{
	struct pktb p = {};
	struct flowos_pkt pkt;

	put_eth(&p, ETH_P_IP);
	put_ipv4(&p, IPPROTO_TCP, 15);
	put_tcp(&p, 8, 0x02);
	done_ipv4(&p, ETH_HLEN);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(14 + 60, pkt.l4_off);
	EXPECT_EQ(14 + 60 + 32, pkt.payload_off);
	EXPECT_EQ(0, pkt.payload_len);
	EXPECT_EQ(60 + 32, pkt.len);
	EXPECT_EQ(0x02, pkt.tcp_flags);
}

TEST(ipv4_udp_with_ethernet_padding)
{
	struct pktb p = {};
	struct flowos_pkt pkt;

	put_eth(&p, ETH_P_IP);
	put_ipv4(&p, IPPROTO_UDP, 5);
	put_udp(&p, 4);
	put_payload(&p, 4);
	done_ipv4(&p, ETH_HLEN);
	put(&p, 60 - p.n);	/* minimum frame: padding is not IP */
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(20 + 8 + 4, pkt.len);
	EXPECT_EQ(htons(5353), pkt.sport);
	EXPECT_EQ(htons(53), pkt.dport);
	EXPECT_EQ(14 + 28, pkt.payload_off);
	EXPECT_EQ(4, pkt.payload_len);
}

TEST(udp_payload_ends_at_udp_length)
{
	struct pktb p = {};
	struct flowos_pkt pkt;

	put_eth(&p, ETH_P_IP);
	put_ipv4(&p, IPPROTO_UDP, 5);
	put_udp(&p, 3);
	put_payload(&p, 8);	/* 5 bytes inside IP but past the UDP length */
	done_ipv4(&p, ETH_HLEN);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(3, pkt.payload_len);
	EXPECT_EQ(36, pkt.len);
}

/* An SCTP/IPv4 frame with one 16-byte chunk after the common header. */
static void ipv4_sctp_frame(struct pktb *p)
{
	put_eth(p, ETH_P_IP);
	put_ipv4(p, IPPROTO_SCTP, 5);
	put_sctp(p);
	put_payload(p, 16);
	done_ipv4(p, ETH_HLEN);
}

TEST(ipv4_sctp_ports)
{
	struct pktb p = {};
	struct flowos_pkt pkt;

	ipv4_sctp_frame(&p);
	put(&p, 60 - p.n + 4);	/* padding past the IP length */
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(IPPROTO_SCTP, pkt.proto);
	EXPECT_EQ(htons(36412), pkt.sport);
	EXPECT_EQ(htons(9899), pkt.dport);
	EXPECT_EQ(20 + 12 + 16, pkt.len);
	EXPECT_EQ(14 + 20, pkt.l4_off);
	EXPECT_EQ(14 + 20 + 12, pkt.payload_off);
	EXPECT_EQ(16, pkt.payload_len);
	EXPECT_EQ(0, pkt.tcp_flags | pkt.tcp_seq | pkt.tcp_ack);
}

TEST(ipv6_sctp_after_extension_header)
{
	struct pktb p = {};
	struct flowos_pkt pkt;

	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IPPROTO_DSTOPTS);
	put_ext(&p, IPPROTO_SCTP, 8);
	put_sctp(&p);
	done_ipv6(&p, ETH_HLEN);	/* a header alone, no chunk */
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(IPPROTO_SCTP, pkt.proto);
	EXPECT_EQ(htons(36412), pkt.sport);
	EXPECT_EQ(htons(9899), pkt.dport);
	EXPECT_EQ(14 + 40 + 8, pkt.l4_off);
	EXPECT_EQ(14 + 40 + 8 + 12, pkt.payload_off);
	EXPECT_EQ(0, pkt.payload_len);
}

/* The common header must fit inside the IP length, not only the frame. */
TEST(sctp_header_past_the_ip_length)
{
	struct pktb p = {};
	struct flowos_pkt pkt;
	struct iphdr *iph;

	ipv4_sctp_frame(&p);
	iph = (struct iphdr *)(p.d + ETH_HLEN);
	iph->tot_len = htons(20 + 11);
	EXPECT_EQ(FLOWOS_PARSE_TRUNCATED, parse(&p, &pkt));
	iph->tot_len = htons(20 + 12);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(htons(9899), pkt.dport);
	EXPECT_EQ(0, pkt.payload_len);

	/* A fragment has no ports, SCTP or not. */
	iph->frag_off = htons(IP_MF);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(0, pkt.sport | pkt.dport);
}

TEST(icmp_echo_keys_type_and_code)
{
	struct pktb p = {};
	struct flowos_pkt pkt;
	u8 *icmp;

	put_eth(&p, ETH_P_IP);
	put_ipv4(&p, IPPROTO_ICMP, 5);
	icmp = put(&p, 8);
	icmp[0] = 8;	/* echo request */
	icmp[1] = 0;
	put_payload(&p, 56);
	done_ipv4(&p, ETH_HLEN);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(IPPROTO_ICMP, pkt.proto);
	EXPECT_EQ(htons(8), pkt.sport);
	EXPECT_EQ(htons(0), pkt.dport);
	EXPECT_EQ(84, pkt.len);		/* ping -s 56 */
}

TEST(ipv4_malformed_headers)
{
	struct pktb p = {};
	struct flowos_pkt pkt;
	struct iphdr *iph;

	ipv4_tcp_frame(&p);
	iph = (struct iphdr *)(p.d + ETH_HLEN);

	iph->version = 5;
	EXPECT_EQ(FLOWOS_PARSE_BAD_VERSION, parse(&p, &pkt));
	iph->version = 4;

	iph->ihl = 4;
	EXPECT_EQ(FLOWOS_PARSE_BAD_IHL, parse(&p, &pkt));
	iph->ihl = 5;

	iph->tot_len = htons(19);
	EXPECT_EQ(FLOWOS_PARSE_BAD_LENGTH, parse(&p, &pkt));

	iph->tot_len = htons(p.n - ETH_HLEN + 1);
	EXPECT_EQ(FLOWOS_PARSE_TRUNCATED, parse(&p, &pkt));

	/* The TCP header must fit inside the IP length, not the frame. */
	iph->tot_len = htons(20 + 12);
	EXPECT_EQ(FLOWOS_PARSE_TRUNCATED, parse(&p, &pkt));

	/* IHL past the IP length. */
	iph->ihl = 15;
	iph->tot_len = htons(40);
	EXPECT_EQ(FLOWOS_PARSE_BAD_LENGTH, parse(&p, &pkt));
}

/*
 * IPv4 BIG TCP (Linux 6.3+): a GSO or GRO TCP packet over 64 KiB has
 * tot_len 0, and its length is the skb's from the IP header on, as the
 * kernel's iph_totlen() has it.  Build one of 70000 payload bytes and
 * parse it from a heap buffer of exactly its size, marked GSO TCP.
 */
#define BIG_PAYLOAD 70000

static enum flowos_parse_result parse_big(unsigned int payload, bool gso_tcp,
					  u8 proto, struct flowos_pkt *pkt)
{
	unsigned int n = ETH_HLEN + 20 + 20 + payload;
	u8 *buf = calloc(1, NET_IP_ALIGN + n);
	struct flowos_pkt_buf b = {
		.data = buf + NET_IP_ALIGN, .len = n, .gso_tcp = gso_tcp,
	};
	enum flowos_parse_result r;
	struct pktb p = {};

	put_eth(&p, ETH_P_IP);
	put_ipv4(&p, proto, 5);
	put_tcp(&p, 5, 0x10);
	memcpy(buf + NET_IP_ALIGN, p.d, p.n);	/* tot_len stays 0 */
	r = flowos_parse_eth(&b, pkt);
	free(buf);
	return r;
}

TEST(ipv4_big_tcp_gso_has_zero_tot_len)
{
	struct flowos_pkt pkt;

	ASSERT_EQ(FLOWOS_PARSE_OK,
		  parse_big(BIG_PAYLOAD, true, IPPROTO_TCP, &pkt));
	EXPECT_EQ(AF_INET, pkt.family);
	EXPECT_EQ(IPPROTO_TCP, pkt.proto);
	EXPECT_EQ(htons(40000), pkt.sport);
	EXPECT_EQ(htons(80), pkt.dport);
	EXPECT_EQ(20 + 20 + BIG_PAYLOAD, pkt.len);
	EXPECT_EQ(14 + 40, pkt.payload_off);
	EXPECT_EQ(BIG_PAYLOAD, pkt.payload_len);

	/* Under 64 KiB too: the kernel's rule does not look at the size. */
	ASSERT_EQ(FLOWOS_PARSE_OK, parse_big(100, true, IPPROTO_TCP, &pkt));
	EXPECT_EQ(20 + 20 + 100, pkt.len);
	EXPECT_EQ(100, pkt.payload_len);
}

TEST(ipv4_zero_tot_len_without_gso_is_malformed)
{
	struct flowos_pkt pkt;

	EXPECT_EQ(FLOWOS_PARSE_BAD_LENGTH,
		  parse_big(BIG_PAYLOAD, false, IPPROTO_TCP, &pkt));
	EXPECT_EQ(FLOWOS_PARSE_BAD_LENGTH,
		  parse_big(100, false, IPPROTO_TCP, &pkt));
}

/* On a GSO skb, tot_len is still the truth when it is not 0. */
TEST(ipv4_gso_with_tot_len_uses_it)
{
	struct pktb p = {};
	struct flowos_pkt_buf b;
	struct flowos_pkt pkt;
	struct iphdr *iph;

	ipv4_tcp_frame(&p);
	put(&p, 6);	/* bytes past tot_len are not IP */
	b = (struct flowos_pkt_buf){ .data = p.d, .len = p.n, .gso_tcp = true };
	ASSERT_EQ(FLOWOS_PARSE_OK, flowos_parse_eth(&b, &pkt));
	EXPECT_EQ(20 + 20 + 10, pkt.len);
	EXPECT_EQ(10, pkt.payload_len);

	iph = (struct iphdr *)(p.d + ETH_HLEN);
	iph->tot_len = htons(19);
	EXPECT_EQ(FLOWOS_PARSE_BAD_LENGTH, flowos_parse_eth(&b, &pkt));
}

/*
 * Parse @p as an skb of GSO size @size with @segs segments counted by the
 * stack (0: SKB_GSO_DODGY, not counted), of segments that split the
 * payload of @l4 (0: of another protocol, as a tunnel's).
 */
static enum flowos_parse_result parse_gso(const struct pktb *p, u16 size,
					  u16 segs, u8 l4,
					  struct flowos_pkt *pkt)
{
	struct flowos_pkt_buf b = {
		.data = p->d, .len = p->n, .gso_size = size, .gso_segs = segs,
		.gso_l4 = l4,
	};

	return flowos_parse_eth(&b, pkt);
}

/*
 * A GSO or GRO packet counts as the packets it stands for on the wire,
 * each with its own headers.  Here 900 payload bytes in segments of 100
 * behind 20 + 32 bytes of headers: 9 packets of 152 bytes.
 */
TEST(gso_tcp_counts_wire_segments)
{
	struct pktb p = {};
	struct flowos_pkt pkt;

	put_eth(&p, ETH_P_IP);
	put_ipv4(&p, IPPROTO_TCP, 5);
	put_tcp(&p, 8, 0x10);
	put_payload(&p, 900);
	done_ipv4(&p, ETH_HLEN);

	ASSERT_EQ(FLOWOS_PARSE_OK, parse_gso(&p, 100, 0, IPPROTO_TCP, &pkt));
	EXPECT_EQ(20 + 32 + 900, pkt.len);
	EXPECT_EQ(9, pkt.segs);
	EXPECT_EQ(100, pkt.gso_size);
	EXPECT_EQ(9 * 152, pkt.wire_len);

	/* The stack's count, when it made it, is the truth. */
	ASSERT_EQ(FLOWOS_PARSE_OK, parse_gso(&p, 100, 9, IPPROTO_TCP, &pkt));
	EXPECT_EQ(9 * 152, pkt.wire_len);

	/* A last segment shorter than the rest: 8 of 112, 1 of 4 bytes. */
	ASSERT_EQ(FLOWOS_PARSE_OK, parse_gso(&p, 112, 0, IPPROTO_TCP, &pkt));
	EXPECT_EQ(9, pkt.segs);
	EXPECT_EQ(8 * (52 + 112) + 52 + 4, pkt.wire_len);
}

/* UDP GSO over IPv6: the extension headers are in every segment too. */
TEST(gso_udp_ipv6_counts_extension_headers_per_segment)
{
	struct pktb p = {};
	struct flowos_pkt pkt;

	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IPPROTO_DSTOPTS);
	put_ext(&p, IPPROTO_UDP, 16);
	put_udp(&p, 850);
	put_payload(&p, 850);
	done_ipv6(&p, ETH_HLEN);

	ASSERT_EQ(FLOWOS_PARSE_OK, parse_gso(&p, 300, 0, IPPROTO_UDP, &pkt));
	EXPECT_EQ(3, pkt.segs);
	EXPECT_EQ(300, pkt.gso_size);
	EXPECT_EQ(2 * (40 + 16 + 8 + 300) + (40 + 16 + 8 + 250), pkt.wire_len);

	/*
	 * Segments of another protocol's payload (a tunnel's, over UDP):
	 * counted, but they do not cut this datagram every 300 bytes.
	 */
	ASSERT_EQ(FLOWOS_PARSE_OK, parse_gso(&p, 300, 3, 0, &pkt));
	EXPECT_EQ(3, pkt.segs);
	EXPECT_EQ(0, pkt.gso_size);
}

/*
 * IPv6 BIG TCP: the stack puts a jumbo Hop-by-Hop header (8 bytes) in an
 * aggregate over 64 KiB, with payload_len 0, and takes it off every
 * segment: the wire packets are 40 + 32 + 100 bytes.
 */
TEST(big_tcp_ipv6_jumbo_header_is_not_on_the_wire)
{
	static const u8 jumbo[8] = { IPPROTO_TCP, 0, IPV6_TLV_JUMBO, 4 };
	struct pktb p = {};
	struct flowos_pkt pkt;
	struct flowos_pkt_buf b;
	struct flowos_unit u;

	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IPPROTO_HOPOPTS);		/* payload_len stays 0 */
	memcpy(put(&p, sizeof(jumbo)), jumbo, sizeof(jumbo));
	put_tcp(&p, 8, 0x10);
	put_payload(&p, 900);
	b = (struct flowos_pkt_buf){ .data = p.d, .len = p.n, .gso_tcp = true,
				     .gso_size = 100, .gso_segs = 9,
				     .gso_l4 = IPPROTO_TCP };
	ASSERT_EQ(FLOWOS_PARSE_OK, flowos_parse_eth(&b, &pkt));
	EXPECT_EQ(40 + 8 + 32 + 900, pkt.len);
	EXPECT_EQ(9, pkt.segs);
	EXPECT_EQ(9 * (40 + 32 + 100), pkt.wire_len);
	/* What a PM reads of a segment's length: without the jumbo header. */
	u = (struct flowos_unit){ .payload_off = pkt.payload_off - pkt.l3_off,
				  .payload_len = pkt.payload_len,
				  .wire_len = pkt.wire_len, .segs = pkt.segs,
				  .gso_size = pkt.gso_size };
	EXPECT_EQ(40 + 32 + 100, flowos_unit_seg_len(&u));

	/* Not GSO TCP: a jumbogram as it is, header and all, one packet. */
	b.gso_tcp = false;
	b.gso_size = 0;
	b.gso_segs = 0;
	ASSERT_EQ(FLOWOS_PARSE_OK, flowos_parse_eth(&b, &pkt));
	EXPECT_EQ(1, pkt.segs);
	EXPECT_EQ(40 + 8 + 32 + 900, pkt.wire_len);
}

TEST(a_packet_that_is_not_gso_is_one_segment)
{
	struct pktb p = {};
	struct flowos_pkt pkt;
	struct iphdr *iph;

	put_eth(&p, ETH_P_IP);
	put_ipv4(&p, IPPROTO_TCP, 5);
	put_tcp(&p, 5, 0x10);
	put_payload(&p, 900);
	done_ipv4(&p, ETH_HLEN);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(1, pkt.segs);
	EXPECT_EQ(0, pkt.gso_size);
	EXPECT_EQ(pkt.len, pkt.wire_len);

	/* A fragment has no transport header to repeat: one packet. */
	iph = (struct iphdr *)(p.d + ETH_HLEN);
	iph->frag_off = htons(IP_MF);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse_gso(&p, 100, 0, IPPROTO_TCP, &pkt));
	EXPECT_EQ(1, pkt.segs);
	EXPECT_EQ(pkt.len, pkt.wire_len);
}

/* SCTP's GSO_BY_FRAGS has no one size: the stack's count only. */
TEST(gso_by_frags_takes_the_stacks_count)
{
	struct pktb p = {};
	struct flowos_pkt pkt;

	put_eth(&p, ETH_P_IP);
	put_ipv4(&p, IPPROTO_SCTP, 5);
	put_sctp(&p);
	put_payload(&p, 600);
	done_ipv4(&p, ETH_HLEN);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse_gso(&p, 0xffff, 3, 0, &pkt));
	EXPECT_EQ(3, pkt.segs);
	EXPECT_EQ(0, pkt.gso_size);
	EXPECT_EQ(20 + 12 + 600 + 2 * (20 + 12), pkt.wire_len);
	/* And none: one packet, not 0 nor 65535. */
	ASSERT_EQ(FLOWOS_PARSE_OK, parse_gso(&p, 0xffff, 0, 0, &pkt));
	EXPECT_EQ(1, pkt.segs);
}

TEST(tcp_bogus_data_offset)
{
	struct pktb p = {};
	struct flowos_pkt pkt;
	struct tcphdr *th;

	put_eth(&p, ETH_P_IP);
	put_ipv4(&p, IPPROTO_TCP, 5);
	th = put_tcp(&p, 5, 0x10);
	put_payload(&p, 8);
	done_ipv4(&p, ETH_HLEN);

	th->doff = 4;
	EXPECT_EQ(FLOWOS_PARSE_BAD_TCP_DOFF, parse(&p, &pkt));
	th->doff = 8;	/* 32 bytes, only 28 in the packet */
	EXPECT_EQ(FLOWOS_PARSE_BAD_TCP_DOFF, parse(&p, &pkt));
	th->doff = 7;	/* exactly the rest of the packet */
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(0, pkt.payload_len);
}

TEST(udp_bad_lengths)
{
	struct pktb p = {};
	struct flowos_pkt pkt;
	struct udphdr *uh;

	put_eth(&p, ETH_P_IP);
	put_ipv4(&p, IPPROTO_UDP, 5);
	uh = put_udp(&p, 16);
	put_payload(&p, 16);
	done_ipv4(&p, ETH_HLEN);

	uh->len = htons(0);
	EXPECT_EQ(FLOWOS_PARSE_BAD_UDP_LEN, parse(&p, &pkt));
	uh->len = htons(7);
	EXPECT_EQ(FLOWOS_PARSE_BAD_UDP_LEN, parse(&p, &pkt));
	uh->len = htons(25);
	EXPECT_EQ(FLOWOS_PARSE_BAD_UDP_LEN, parse(&p, &pkt));
	uh->len = htons(8);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(0, pkt.payload_len);
}

TEST(ipv4_fragments_have_no_ports)
{
	struct pktb p = {};
	struct flowos_pkt pkt;
	struct iphdr *iph;

	put_eth(&p, ETH_P_IP);
	iph = put_ipv4(&p, IPPROTO_UDP, 5);
	put_payload(&p, 24);
	done_ipv4(&p, ETH_HLEN);

	iph->frag_off = htons(185);	/* a later fragment: no UDP header */
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(FLOWOS_PKT_FRAGMENT, pkt.flags);
	EXPECT_EQ(0, pkt.sport | pkt.dport);
	EXPECT_EQ(34, pkt.payload_off);
	EXPECT_EQ(24, pkt.payload_len);

	iph->frag_off = htons(IP_MF);	/* the first fragment */
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(FLOWOS_PKT_FRAGMENT, pkt.flags);

	iph->frag_off = htons(0x4000);	/* DF only: not a fragment */
	ASSERT_EQ(FLOWOS_PARSE_BAD_UDP_LEN, parse(&p, &pkt));
}

TEST(ipv6_tcp)
{
	struct pktb p = {};
	struct flowos_pkt pkt;

	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IPPROTO_TCP);
	put_tcp(&p, 5, 0x11);
	put_payload(&p, 100);
	done_ipv6(&p, ETH_HLEN);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(AF_INET6, pkt.family);
	EXPECT_EQ(0, memcmp(pkt.saddr, &v6_src, 16));
	EXPECT_EQ(0, memcmp(pkt.daddr, &v6_dst, 16));
	EXPECT_EQ(40 + 20 + 100, pkt.len);
	EXPECT_EQ(54, pkt.l4_off);
	EXPECT_EQ(100, pkt.payload_len);
	EXPECT_EQ(0x11, pkt.tcp_flags);
}

/*
 * The DS field: the IPv4 TOS byte; in IPv6, the Traffic Class between
 * the version and the flow label (RFC 8200 section 3), written here as
 * raw bytes: version 6, class 0xb9 (EF, ECT(1)), flow label 0x12345.
 */
TEST(ds_field_of_ipv4_and_ipv6)
{
	static const u8 v6_first_word[4] = { 0x6b, 0x91, 0x23, 0x45 };
	struct pktb p = {};
	struct flowos_pkt pkt;
	struct iphdr *iph;

	put_eth(&p, ETH_P_IP);
	iph = put_ipv4(&p, IPPROTO_UDP, 5);
	iph->tos = 0xbb;		/* EF, CE */
	put_udp(&p, 0);
	done_ipv4(&p, ETH_HLEN);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(0xbb, pkt.tos);

	memset(&p, 0, sizeof(p));
	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IPPROTO_UDP);
	memcpy(p.d + ETH_HLEN, v6_first_word, sizeof(v6_first_word));
	put_udp(&p, 0);
	done_ipv6(&p, ETH_HLEN);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(0xb9, pkt.tos);
	EXPECT_EQ(htons(53), pkt.dport);
}

TEST(ipv6_extension_header_chain)
{
	struct pktb p = {};
	struct flowos_pkt pkt;
	struct ipv6_opt_hdr *ah;

	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IPPROTO_HOPOPTS);
	put_ext(&p, IPPROTO_DSTOPTS, 8);
	put_ext(&p, IPPROTO_ROUTING, 24);
	put_ext(&p, IPPROTO_AH, 16);
	ah = (struct ipv6_opt_hdr *)put(&p, 16);
	ah->nexthdr = IPPROTO_UDP;
	/* AH counts its length in 4-octet units, minus 2 (RFC 4302). */
	ah->hdrlen = 16 / 4 - 2;
	put_udp(&p, 5);
	put_payload(&p, 5);
	done_ipv6(&p, ETH_HLEN);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(IPPROTO_UDP, pkt.proto);
	EXPECT_EQ(14 + 40 + 8 + 24 + 16 + 16, pkt.l4_off);
	EXPECT_EQ(htons(53), pkt.dport);
	EXPECT_EQ(5, pkt.payload_len);
}

static void ipv6_dstopts_chain(struct pktb *p, unsigned int headers)
{
	unsigned int i;

	put_eth(p, ETH_P_IPV6);
	put_ipv6(p, headers ? IPPROTO_DSTOPTS : IPPROTO_TCP);
	for (i = 0; i < headers; i++)
		put_ext(p, i + 1 < headers ? IPPROTO_DSTOPTS : IPPROTO_TCP, 8);
	put_tcp(p, 5, 0x10);
	done_ipv6(p, ETH_HLEN);
}

TEST(ipv6_chain_length_is_bounded)
{
	struct pktb ok = {}, too_long = {};
	struct flowos_pkt pkt;

	ipv6_dstopts_chain(&ok, FLOWOS_MAX_EXT_HDRS);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&ok, &pkt));
	EXPECT_EQ(IPPROTO_TCP, pkt.proto);
	EXPECT_EQ(14 + 40 + 8 * FLOWOS_MAX_EXT_HDRS, pkt.l4_off);

	ipv6_dstopts_chain(&too_long, FLOWOS_MAX_EXT_HDRS + 1);
	EXPECT_EQ(FLOWOS_PARSE_BAD_EXT_HDR, parse(&too_long, &pkt));
}

TEST(ipv6_extension_header_past_the_packet)
{
	struct pktb p = {};
	struct flowos_pkt pkt;

	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IPPROTO_HOPOPTS);
	put_ext(&p, IPPROTO_TCP, 8);
	done_ipv6(&p, ETH_HLEN);
	((struct ipv6_opt_hdr *)(p.d + p.n - 8))->hdrlen = 1;	/* 16 bytes */
	EXPECT_EQ(FLOWOS_PARSE_TRUNCATED, parse(&p, &pkt));
}

TEST(ipv6_fragment_header)
{
	struct pktb p = {};
	struct flowos_pkt pkt;
	struct frag_hdr *fh;

	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IPPROTO_FRAGMENT);
	fh = (struct frag_hdr *)put(&p, sizeof(*fh));
	fh->nexthdr = IPPROTO_UDP;
	fh->frag_off = htons(1 << 3);
	put_payload(&p, 16);
	done_ipv6(&p, ETH_HLEN);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	EXPECT_EQ(FLOWOS_PKT_FRAGMENT, pkt.flags);
	EXPECT_EQ(IPPROTO_UDP, pkt.proto);
	EXPECT_EQ(0, pkt.sport | pkt.dport);
	EXPECT_EQ(16, pkt.payload_len);
}

TEST(ipv6_no_next_header_and_zero_payload_length)
{
	struct pktb p = {};
	struct flowos_pkt pkt;

	put_eth(&p, ETH_P_IPV6);
	put_ipv6(&p, IPPROTO_NONE);
	put_payload(&p, 12);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&p, &pkt));
	/* payload_len 0: the length is what the packet holds (BIG TCP). */
	EXPECT_EQ(52, pkt.len);
	EXPECT_EQ(IPPROTO_NONE, pkt.proto);
	EXPECT_EQ(12, pkt.payload_len);

	done_ipv6(&p, ETH_HLEN);
	((struct ipv6hdr *)(p.d + ETH_HLEN))->version = 4;
	EXPECT_EQ(FLOWOS_PARSE_BAD_VERSION, parse(&p, &pkt));
}

TEST(vlan_tags)
{
	struct pktb one = {}, two = {}, three = {};
	struct flowos_pkt pkt;

	put_eth(&one, ETH_P_8021Q);
	put_vlan(&one, 0x2000 | 100, ETH_P_IP);	/* priority 1, VID 100 */
	put_ipv4(&one, IPPROTO_UDP, 5);
	put_udp(&one, 0);
	done_ipv4(&one, 18);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&one, &pkt));
	EXPECT_EQ(FLOWOS_PKT_VLAN, pkt.flags);
	EXPECT_EQ(100, pkt.vlan_id);
	EXPECT_EQ(18, pkt.l3_off);
	EXPECT_EQ(28, pkt.len);

	put_eth(&two, ETH_P_8021AD);
	put_vlan(&two, 7, ETH_P_8021Q);
	put_vlan(&two, 200, ETH_P_IPV6);
	put_ipv6(&two, IPPROTO_UDP);
	put_udp(&two, 0);
	done_ipv6(&two, 22);
	ASSERT_EQ(FLOWOS_PARSE_OK, parse(&two, &pkt));
	EXPECT_EQ(7, pkt.vlan_id);	/* the outer tag */
	EXPECT_EQ(22, pkt.l3_off);
	EXPECT_EQ(AF_INET6, pkt.family);

	/* A third tag is not unwrapped. */
	put_eth(&three, ETH_P_8021AD);
	put_vlan(&three, 1, ETH_P_8021Q);
	put_vlan(&three, 2, ETH_P_8021Q);
	put_vlan(&three, 3, ETH_P_IP);
	EXPECT_EQ(FLOWOS_PARSE_NOT_IP, parse(&three, &pkt));
}

TEST(not_ip)
{
	struct pktb p = {};
	struct flowos_pkt pkt;

	put_eth(&p, ETH_P_ARP);
	put(&p, 28);
	EXPECT_EQ(FLOWOS_PARSE_NOT_IP, parse(&p, &pkt));
}

/* Cut a valid frame at every length: each prefix is refused as truncated. */
static void check_every_prefix(struct __test_metadata *_metadata,
			       const struct pktb *p)
{
	struct flowos_pkt pkt;
	unsigned int n;

	ASSERT_EQ(FLOWOS_PARSE_OK, parse(p, &pkt));
	for (n = 0; n < p->n; n++) {
		enum flowos_parse_result r = parse_n(p, n, &pkt);

		if (r != FLOWOS_PARSE_TRUNCATED)
			TH_LOG("cut at %u of %u: %s", n, p->n,
			       flowos_parse_result_name(r));
		ASSERT_EQ(FLOWOS_PARSE_TRUNCATED, r);
	}
}

TEST(every_truncation_is_refused)
{
	struct pktb tcp = {}, udp6 = {}, vlan = {}, sctp = {};

	ipv4_tcp_frame(&tcp);
	check_every_prefix(_metadata, &tcp);

	ipv4_sctp_frame(&sctp);
	check_every_prefix(_metadata, &sctp);

	put_eth(&udp6, ETH_P_IPV6);
	put_ipv6(&udp6, IPPROTO_HOPOPTS);
	put_ext(&udp6, IPPROTO_UDP, 16);
	put_udp(&udp6, 3);
	put_payload(&udp6, 3);
	done_ipv6(&udp6, ETH_HLEN);
	check_every_prefix(_metadata, &udp6);

	put_eth(&vlan, ETH_P_8021Q);
	put_vlan(&vlan, 5, ETH_P_IP);
	put_ipv4(&vlan, IPPROTO_TCP, 6);
	put_tcp(&vlan, 6, 0x02);
	done_ipv4(&vlan, 18);
	check_every_prefix(_metadata, &vlan);
}

TEST(every_result_has_a_name)
{
	unsigned int r;

	for (r = 0; r < __FLOWOS_PARSE_MAX; r++)
		EXPECT_STRNE("unknown", flowos_parse_result_name(r));
	EXPECT_STREQ("unknown", flowos_parse_result_name(__FLOWOS_PARSE_MAX));
}

static u32 xorshift(u32 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * Random corruption of valid frames: the parser never reads out of
 * bounds (ASan), and whatever it accepts is self-consistent.
 */
TEST(random_corruption_keeps_invariants)
{
	struct pktb seeds[3] = {};
	u32 state = 0x2545f491;
	unsigned int i, accepted = 0;

	ipv4_tcp_frame(&seeds[0]);
	ipv6_dstopts_chain(&seeds[1], 3);
	put_eth(&seeds[2], ETH_P_8021Q);
	put_vlan(&seeds[2], 9, ETH_P_IP);
	put_ipv4(&seeds[2], IPPROTO_UDP, 7);
	put_udp(&seeds[2], 20);
	put_payload(&seeds[2], 20);
	done_ipv4(&seeds[2], 18);

	for (i = 0; i < 200000; i++) {
		struct pktb p = seeds[xorshift(&state) % 3];
		struct flowos_pkt pkt;
		unsigned int flips = 1 + xorshift(&state) % 4, j;
		enum flowos_parse_result r;

		for (j = 0; j < flips; j++)
			p.d[xorshift(&state) % p.n] = xorshift(&state);
		p.n -= xorshift(&state) % 8 == 0 ? xorshift(&state) % p.n : 0;

		r = parse(&p, &pkt);
		ASSERT_LT(r, __FLOWOS_PARSE_MAX);
		if (r != FLOWOS_PARSE_OK)
			continue;
		accepted++;
		ASSERT_LE(pkt.l3_off, pkt.l4_off);
		ASSERT_LE(pkt.l4_off, pkt.payload_off);
		ASSERT_LE(pkt.payload_off + pkt.payload_len, pkt.l3_off + pkt.len);
		ASSERT_LE(pkt.l3_off + pkt.len, p.n);
	}
	/* The corruption must leave some packets valid, or this tests little. */
	EXPECT_GT(accepted, 1000);
	TH_LOG("%u of %u corrupted frames still parsed", accepted, i);
}

TEST_HARNESS_MAIN
