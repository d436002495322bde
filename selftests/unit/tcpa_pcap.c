// SPDX-License-Identifier: GPL-2.0
/*
 * tcpa_pcap CAPTURE: run the TCP analysis of the tcpstats PM
 * (pms/tcpstats/tcpa.c) over the TCP segments of an Ethernet capture,
 * read with libpcap, and print what it made of them, for tcpa_tshark.sh
 * to hold against tshark's reading of the same file:
 *
 *	F <frame> <connection> <verdicts, comma-separated or -> <rtt ns or ->
 *	  <timestamp rtt ns or ->
 *	C <connection> <handshake RTT ns, server half> <client half>
 *	  <retrans> <out_of_order> <dup_acks> <zero_windows> (client, then
 *	  server) <RTT samples> <timestamp RTT samples: min max>
 *
 * Connections are numbered from 0 in the order they begin; a new SYN on
 * a 4-tuple begins a new one (tcpa_new_conn()).
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#include "tcpa.h"

#define MAX_CONNS	256

struct conn {
	u8 family;
	u8 addr[2][16];
	u16 port[2];
	unsigned int id;
	struct tcpa_conn a;
};

static struct conn conns[MAX_CONNS];
static unsigned int n_conns, next_id;

static const char *const names[] = {
	"retransmission", "fast_retransmission", "spurious_retransmission",
	"out_of_order", "duplicate_ack", "zero_window", "zero_window_probe",
	"zero_window_probe_ack", "keep_alive", "keep_alive_ack",
	"window_update", "lost_segment", "ack_lost_segment", "bad_flags",
};

/* The connection of a segment from @src to @dst, and which side sent it. */
static struct conn *lookup(u8 family, const u8 *src, const u8 *dst, u16 sport,
			   u16 dport, unsigned int *side)
{
	size_t alen = family == 4 ? 4 : 16;
	unsigned int i;

	for (i = n_conns; i-- > 0;) {
		struct conn *c = &conns[i];

		if (c->family != family)
			continue;
		for (*side = 0; *side < 2; (*side)++) {
			if (!memcmp(c->addr[*side], src, alen) &&
			    !memcmp(c->addr[!*side], dst, alen) &&
			    c->port[*side] == sport && c->port[!*side] == dport)
				return c;
		}
	}
	return NULL;
}

static struct conn *conn_new(u8 family, const u8 *src, const u8 *dst,
			     u16 sport, u16 dport, u64 t)
{
	struct conn *c;

	if (n_conns == MAX_CONNS) {
		fprintf(stderr, "tcpa_pcap: more than %d connections\n",
			MAX_CONNS);
		exit(1);
	}
	c = &conns[n_conns++];
	memset(c, 0, sizeof(*c));
	c->family = family;
	memcpy(c->addr[0], src, family == 4 ? 4 : 16);
	memcpy(c->addr[1], dst, family == 4 ? 4 : 16);
	c->port[0] = sport;
	c->port[1] = dport;
	c->id = next_id++;
	tcpa_init(&c->a, t);
	return c;
}

static void print_verdicts(unsigned int v)
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (v & 1u << i)
			printf("%s%s", n++ ? "," : "", names[i]);
	if (!n)
		printf("-");
}

/* The sample @r took since it held @before, or "-". */
static void print_sample(const struct tcpa_rtt *r, u64 before)
{
	if (r->n != before)
		printf(" %llu", (unsigned long long)r->last);
	else
		printf(" -");
}

/*
 * A TCP segment of @tcp_len bytes by its IP header, of which @caplen
 * were captured: tshark takes a segment cut short by the capture (some
 * of telnet-raw.pcap's) at what was captured, and so does this.
 */
static void segment(unsigned long frame, u64 t, u8 family, const u8 *src,
		    const u8 *dst, const u8 *th, u32 tcp_len, u32 caplen,
		    u32 ip_len)
{
	struct tcpa_seg s = { .t = t, .segs = 1, .wire_len = ip_len };
	u16 sport = th[0] << 8 | th[1], dport = th[2] << 8 | th[3];
	struct conn *c;
	unsigned int side, v;
	u64 before, ts_before;

	tcp_len = caplen < tcp_len ? caplen : tcp_len;
	if (tcpa_parse(th, tcp_len, &s))
		return;
	s.seq = (u32)th[4] << 24 | th[5] << 16 | th[6] << 8 | th[7];
	s.ack = (u32)th[8] << 24 | th[9] << 16 | th[10] << 8 | th[11];
	s.flags = th[13];
	s.len = tcp_len - (th[12] >> 4) * 4;
	c = lookup(family, src, dst, sport, dport, &side);
	if (c && tcpa_new_conn(&c->a, side, &s)) {
		c->a.end = TCPA_END_REUSED;
		c = NULL;
	}
	if (!c) {
		c = conn_new(family, src, dst, sport, dport, t);
		side = TCPA_CLIENT;
	}
	before = c->a.dir[!side].rtt.n;
	ts_before = c->a.dir[!side].ts_rtt.n;
	v = tcpa_add(&c->a, side, &s);
	printf("F %lu %u ", frame, c->id);
	print_verdicts(v);
	print_sample(&c->a.dir[!side].rtt, before);
	print_sample(&c->a.dir[!side].ts_rtt, ts_before);
	printf("\n");
}

static void frame(unsigned long n, const struct pcap_pkthdr *h, const u8 *p)
{
	/* tv_usec holds nanoseconds: the capture was opened so. */
	u64 t = (u64)h->ts.tv_sec * 1000000000ULL + h->ts.tv_usec;
	u32 len = h->caplen, ip_len;
	u16 ethertype;

	if (len < 14)
		return;
	ethertype = p[12] << 8 | p[13];
	p += 14;
	len -= 14;
	if (ethertype == 0x0800 && len >= 20 && p[9] == 6) {
		u32 ihl = (p[0] & 15) * 4;

		ip_len = p[2] << 8 | p[3];
		if (ihl < 20 || ip_len < ihl || ihl > len)
			return;
		segment(n, t, 4, p + 12, p + 16, p + ihl, ip_len - ihl,
			len - ihl, ip_len);
	} else if (ethertype == 0x86dd && len >= 40 && p[6] == 6) {
		ip_len = 40 + (p[4] << 8 | p[5]);
		segment(n, t, 6, p + 8, p + 24, p + 40, ip_len - 40, len - 40,
			ip_len);
	}
}

static void print_conns(void)
{
	unsigned int i, d;

	for (i = 0; i < n_conns; i++) {
		const struct tcpa_conn *a = &conns[i].a;

		printf("C %u %llu %llu", conns[i].id,
		       (unsigned long long)a->hs_server_rtt,
		       (unsigned long long)a->hs_client_rtt);
		for (d = 0; d < TCPA_SIDES; d++)
			printf(" %llu %llu %llu %llu",
			       (unsigned long long)a->dir[d].retrans,
			       (unsigned long long)a->dir[d].out_of_order,
			       (unsigned long long)a->dir[d].dup_acks,
			       (unsigned long long)a->dir[d].zero_windows);
		for (d = 0; d < TCPA_SIDES; d++)
			printf(" %llu %llu %llu",
			       (unsigned long long)a->dir[d].ts_rtt.n,
			       (unsigned long long)a->dir[d].ts_rtt.min,
			       (unsigned long long)a->dir[d].ts_rtt.max);
		printf(" %u %u\n", a->end, a->refused);
	}
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	unsigned long n = 0;
	const u8 *p;
	pcap_t *pc;

	if (argc != 2) {
		fprintf(stderr, "usage: tcpa_pcap CAPTURE\n");
		return 2;
	}
	pc = pcap_open_offline_with_tstamp_precision(argv[1],
						     PCAP_TSTAMP_PRECISION_NANO,
						     err);
	if (!pc) {
		fprintf(stderr, "tcpa_pcap: %s\n", err);
		return 1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "tcpa_pcap: not an Ethernet capture\n");
		return 1;
	}
	while (pcap_next_ex(pc, &h, &p) == 1)
		frame(++n, h, p);
	pcap_close(pc);
	print_conns();
	return 0;
}
