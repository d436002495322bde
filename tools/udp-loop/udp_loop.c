// SPDX-License-Identifier: GPL-2.0
/*
 * udp-loop: the local sender of "make bench"'s egress rows
 * (scripts/bench-guest.sh).  A UDP socket connected to ADDR:PORT sends
 * COUNT datagrams of SIZE payload bytes, one send() each, as an
 * application does; prints how many the stack took, and fails unless
 * it took them all.
 *
 *	udp-loop ADDR PORT COUNT SIZE
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned long arg(const char *s, unsigned long max, const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "udp-loop: %s: not a number up to %lu: %s\n",
			what, max, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned long count, size, sent = 0;
	char payload[1472] = { 0 };
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: udp-loop ADDR PORT COUNT SIZE\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr, "udp-loop: not an IPv4 address: %s\n", argv[1]);
		return 2;
	}
	to.sin_port = htons(arg(argv[2], 65535, "port"));
	count = arg(argv[3], UINT32_MAX, "count");
	size = arg(argv[4], sizeof(payload), "size");

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to))) {
		perror("udp-loop: socket");
		return 1;
	}
	while (sent < count) {
		if (send(fd, payload, size, 0) != (ssize_t)size) {
			fprintf(stderr, "udp-loop: send %lu: %s\n", sent + 1,
				strerror(errno));
			break;
		}
		sent++;
	}
	close(fd);
	printf("%lu\n", sent);
	return sent == count ? 0 : 1;
}
