// SPDX-License-Identifier: GPL-2.0
/*
 * ipfix_send [--mtu N] [--domain D] [--pcap FILE | HOST PORT] < RECORDS:
 * build IPFIX messages of the flow records on standard input with the
 * ipfix PM's encoder (pms/ipfix/ipfix_msg.c), the templates first, and
 * send each as a UDP datagram to a collector at HOST:PORT, or write
 * them to FILE as UDP packets to port 4739 (for tshark).  One record a
 * line, addresses as inet_pton(3) reads them:
 *
 *	FAMILY(4|6) PROTO SADDR DADDR SPORT DPORT OCTETS PACKETS START_MS
 *	END_MS TCP_FLAGS END_REASON INGRESS_IF EGRESS_IF DIRECTION
 *
 * Prints "messages N records N" when done.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipfix_msg.h"

static const char usage[] =
	"usage: ipfix_send [--mtu N] [--domain D] [--pcap FILE | HOST PORT] < RECORDS\n";

struct out {
	int fd;			/* a UDP socket, or -1 */
	pcap_t *dead;
	pcap_dumper_t *dump;	/* or a capture */
	unsigned int sent;
};

static int parse_rec(const char *line, struct ipfix_rec *r)
{
	char sa[64], da[64];
	unsigned int fam, proto, sport, dport, flags, reason, dir;
	unsigned long long octets, packets, start, end;
	unsigned int in_if, out_if;

	memset(r, 0, sizeof(*r));
	if (sscanf(line, "%u %u %63s %63s %u %u %llu %llu %llu %llu %u %u %u %u %u",
		   &fam, &proto, sa, da, &sport, &dport, &octets, &packets,
		   &start, &end, &flags, &reason, &in_if, &out_if, &dir) != 15)
		return -1;
	r->family = fam == 6 ? AF_INET6 : AF_INET;
	if (inet_pton(r->family, sa, r->saddr) != 1 ||
	    inet_pton(r->family, da, r->daddr) != 1)
		return -1;
	r->proto = proto;
	r->sport = sport;
	r->dport = dport;
	r->octets = octets;
	r->packets = packets;
	r->start_ms = start;
	r->end_ms = end;
	r->tcp_flags = flags;
	r->end_reason = reason;
	r->ingress_if = in_if;
	r->egress_if = out_if;
	r->direction = dir;
	return 0;
}

/* @msg in a UDP/IPv4 frame from 192.0.2.1 to 192.0.2.2:4739. */
static void dump_msg(struct out *o, const u8 *msg, size_t len)
{
	static u8 frame[14 + 20 + 8 + 65536];
	struct pcap_pkthdr h = { .caplen = 42 + len, .len = 42 + len };
	struct iphdr ip = {
		.version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP,
		.tot_len = htons(28 + len), .saddr = htonl(0xc0000201),
		.daddr = htonl(0xc0000202),
	};
	struct udphdr udp = {
		.source = htons(40000), .dest = htons(IPFIX_PORT),
		.len = htons(8 + len),
	};

	memset(frame, 0, 14);
	frame[12] = 0x08;
	memcpy(frame + 14, &ip, sizeof(ip));
	memcpy(frame + 34, &udp, sizeof(udp));
	memcpy(frame + 42, msg, len);
	h.ts.tv_sec = o->sent;
	pcap_dump((u_char *)o->dump, &h, frame);
}

static int emit(struct out *o, struct ipfix_msg *m, u32 seq, u32 domain)
{
	size_t len = ipfix_msg_finish(m, time(NULL), seq, domain);

	if (o->dump) {
		dump_msg(o, m->buf, len);
	} else {
		if (send(o->fd, m->buf, len, 0) != (ssize_t)len) {
			perror("ipfix_send: send");
			return -1;
		}
		/* A collector reads a datagram at a time: no burst to drop. */
		usleep(2000);
	}
	o->sent++;
	return 0;
}

static int open_out(struct out *o, int argc, char **argv, int i)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;

	o->fd = -1;
	o->dump = NULL;
	if (i + 2 == argc && !strcmp(argv[i], "--pcap")) {
		o->dead = pcap_open_dead(DLT_EN10MB, 65535);
		o->dump = pcap_dump_open(o->dead, argv[i + 1]);
		return o->dump ? 0 : -1;
	}
	if (i + 2 != argc || getaddrinfo(argv[i], argv[i + 1], &hints, &ai))
		return -1;
	o->fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (o->fd < 0 || connect(o->fd, ai->ai_addr, ai->ai_addrlen))
		return -1;
	freeaddrinfo(ai);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int mtu = 1400, domain = 1, records = 0;
	static u8 buf[65535];
	struct ipfix_msg m;
	struct ipfix_rec r;
	char line[512];
	struct out o;
	u32 seq = 0;
	int i = 1;

	for (; i + 1 < argc && argv[i][0] == '-' && strcmp(argv[i], "--pcap"); i += 2) {
		if (!strcmp(argv[i], "--mtu"))
			mtu = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--domain"))
			domain = strtoul(argv[i + 1], NULL, 0);
	}
	if (mtu > sizeof(buf) || !ipfix_msg_start(&m, buf, mtu) ||
	    open_out(&o, argc, argv, i)) {
		fputs(usage, stderr);
		return 2;
	}
	ipfix_msg_add_templates(&m);
	while (fgets(line, sizeof(line), stdin)) {
		if (parse_rec(line, &r)) {
			fprintf(stderr, "ipfix_send: bad record: %s", line);
			return 1;
		}
		if (!ipfix_msg_add_record(&m, &r)) {
			if (emit(&o, &m, seq, domain))
				return 1;
			seq += m.records;
			ipfix_msg_start(&m, buf, mtu);
			ipfix_msg_add_record(&m, &r);
		}
		records++;
	}
	if ((m.records || !o.sent) && emit(&o, &m, seq, domain))
		return 1;
	if (o.dump) {
		pcap_dump_close(o.dump);
		pcap_close(o.dead);
	}
	printf("messages %u records %u\n", o.sent, records);
	return 0;
}
