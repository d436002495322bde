// SPDX-License-Identifier: GPL-2.0
/*
 * nfq-accept: the userspace half of the NFQUEUE reference of "make
 * bench": takes the packets of one netfilter queue and accepts each,
 * as the simplest NFQUEUE program does: libnetfilter_queue's own
 * example (examples/nf-queue.c, on libmnl), each packet copied whole
 * to it and given its verdict on its own.
 *
 *   nfq-accept QUEUE COUNT
 *
 * Binds QUEUE (its length raised to 65536, the receive buffer to hold
 * as many), prints "ready" once the kernel has acknowledged that, and
 * exits after COUNT verdicts, printing "seen COUNT".  A packet the
 * kernel could not queue or deliver is counted in
 * /proc/net/netfilter/nfnetlink_queue, never seen here: then COUNT never
 * comes, and whoever waits ends it with SIGTERM, upon which it prints
 * "seen N" (N < COUNT) and exits 1.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define QUEUE_MAXLEN	65536

/* A netlink read of queued packets; a verdict is built apart. */
static char buf[1 << 17];
static char out[8192];

static struct mnl_socket *nl;
static unsigned int queue;
static volatile sig_atomic_t stopped;

static void stop(int sig)
{
	(void)sig;
	stopped = 1;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void send_or_die(struct nlmsghdr *nlh)
{
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		die("mnl_socket_sendto");
}

static void verdict(unsigned int id)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(out, NFQNL_MSG_VERDICT, queue);

	nfq_nlmsg_verdict_put(nlh, id, NF_ACCEPT);
	send_or_die(nlh);
}

static int on_packet(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr[NFQA_MAX + 1] = {};
	struct nfqnl_msg_packet_hdr *ph;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_ERROR;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	verdict(ntohl(ph->packet_id));
	++*(unsigned long *)data;
	return MNL_CB_OK;
}

/* Send a configuration message and wait for its acknowledgment. */
static void configure(struct nlmsghdr *nlh, unsigned int portid)
{
	ssize_t len;

	nlh->nlmsg_flags |= NLM_F_ACK;
	send_or_die(nlh);
	len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (len < 0 || mnl_cb_run(buf, len, 0, portid, NULL, NULL) < 0)
		die("configuring the queue");
}

static void bind_queue(unsigned int portid)
{
	struct nlmsghdr *nlh;

	nlh = nfq_nlmsg_put(out, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	configure(nlh, portid);
	nlh = nfq_nlmsg_put(out, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, QUEUE_MAXLEN);
	configure(nlh, portid);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = stop };	/* no SA_RESTART */
	unsigned long seen = 0, count;
	int rcvbuf = 64 << 20, one = 1;
	unsigned int portid;
	ssize_t len;

	if (argc != 3) {
		fprintf(stderr, "usage: nfq-accept QUEUE COUNT\n");
		return 2;
	}
	queue = strtoul(argv[1], NULL, 0);
	count = strtoul(argv[2], NULL, 0);
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink");
	portid = mnl_socket_get_portid(nl);
	/* Room for a whole run queued, as the flowos ring has (qlen 65536). */
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		die("SO_RCVBUFFORCE");
	/* An overrun is the kernel's to count (user_dropped), not an error. */
	mnl_socket_setsockopt(nl, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	bind_queue(portid);
	printf("ready\n");
	fflush(stdout);
	sigaction(SIGTERM, &sa, NULL);
	while (seen < count && !stopped) {
		len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0)
			die("mnl_socket_recvfrom");
		if (mnl_cb_run(buf, len, 0, portid, on_packet, &seen) < 0)
			die("mnl_cb_run");
	}
	printf("seen %lu\n", seen);
	return seen < count;
}
