// SPDX-License-Identifier: GPL-2.0
/*
 * ipfix: per-5-tuple flow records of a flow, exported to IPFIX
 * collectors (RFC 7011) over UDP, as ipt_NETFLOW does.
 *
 *	flowctl attach FLOW ipfix collector ADDR[:PORT] [collector ...]
 *			    [active 60s] [inactive 15s] [max_flows 4096]
 *			    [templates 60s] [domain N] [msg_size 1400]
 *
 * A record is kept per 5-tuple, direction (ingress, egress) and device
 * in a table of at most max_flows entries, preallocated at attach.  It ends,
 * and goes to every collector, when:
 *
 *	- no packet came for "inactive" (flowEndReason 1, idle timeout);
 *	- it has lasted "active" (2, active timeout: a long flow is
 *	  reported in parts, each with its own delta counts);
 *	- a TCP segment with FIN or RST came (3, end of flow; the ACKs
 *	  after it start a new record);
 *	- the table was full and it was the least recently seen (5, lack
 *	  of resources): an eviction exports the record, so nothing is lost;
 *	- the instance is detached or its flow deleted (4, forced end).
 *	  When its namespace is torn down, the namespace's devices are
 *	  gone before flowos's instances: the forced records cannot leave
 *	  then, and count as send errors.
 *
 * Summed over its records, a 5-tuple's packets and bytes are what the
 * instance was handed of it: the count PM's totals.  Packets and bytes
 * count as on the wire (unit->segs and ->wire_len: IP bytes, a GSO
 * aggregate as its segments).  ICMP records carry 0 as source port and
 * type * 256 + code as destination port, as NetFlow exporters and
 * nfdump have it.
 *
 * Why in the kernel: an eviction must export the evicted record when it
 * happens; a userspace exporter could only learn of it through an event
 * per eviction, which is the same work plus a netlink message.
 *
 * The collectors are UDP sockets of the flow's namespace, connected at
 * attach (one that cannot be, for want of a route, refuses the attach).
 * Records wait in one message of msg_size bytes, sent when full and on
 * every tick (FLOWOS_TICK_MS), with MSG_DONTWAIT: a collector that is
 * down or slow costs send errors, counted, never memory.  Its records
 * are then lost to it, and the message sequence numbers (RFC 7011 3.1:
 * data records sent before the message) show it the gap.  The templates
 * go first, at attach, and again every "templates".  The observation
 * domain is "domain", or with domain 0 the namespace's inode number, so
 * that hosts (namespaces) exporting to one collector are told apart;
 * two instances of one namespace exporting to one collector need
 * domains of their own, or their sequence numbers mix.  A flow that
 * matches the exports themselves (their collector, their port) has
 * records of them too.
 *
 * One worker; the table is its thread's alone, and readers see only
 * counters, read with READ_ONCE.
 */
#include <linux/inet.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/udp.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <flowos/pm.h>

#include "ipfix_msg.h"

#define IPFIX_MAX_COLLECTORS	4
/* Send buffer of a collector's socket: about 400 messages of 1400 bytes. */
#define IPFIX_SNDBUF		SZ_1M

enum {
	P_COLLECTOR, P_ACTIVE, P_INACTIVE, P_MAX_FLOWS, P_TEMPLATES, P_DOMAIN,
	P_MSG_SIZE,
};

static const char *check_collector(const char *value);

static const struct flowos_pm_param ipfix_params[] = {
	[P_COLLECTOR] = { "collector", FLOWOS_PARAM_STRING, 1,
			  IPFIX_MAX_COLLECTORS, 0,
			  "where records go: ADDR[:PORT], [V6ADDR]:PORT (port 4739)",
			  .check = check_collector },
	[P_ACTIVE] = { "active", FLOWOS_PARAM_DURATION, MSEC_PER_SEC,
		       24 * 3600 * MSEC_PER_SEC, 60 * MSEC_PER_SEC,
		       "a record lasting this long is exported, and a new one begins" },
	[P_INACTIVE] = { "inactive", FLOWOS_PARAM_DURATION, 100,
			 3600 * MSEC_PER_SEC, 15 * MSEC_PER_SEC,
			 "a record with no packet for this long is exported" },
	[P_MAX_FLOWS] = { "max_flows", FLOWOS_PARAM_U64, 16, 1 << 20, 4096,
			  "most records kept; the stalest is exported to make room" },
	[P_TEMPLATES] = { "templates", FLOWOS_PARAM_DURATION, MSEC_PER_SEC,
			  3600 * MSEC_PER_SEC, 60 * MSEC_PER_SEC,
			  "how often the templates are sent again" },
	[P_DOMAIN] = { "domain", FLOWOS_PARAM_U64, 0, U32_MAX, 0,
		       "observation domain id; 0: the namespace's inode number" },
	[P_MSG_SIZE] = { "msg_size", FLOWOS_PARAM_U64, IPFIX_MSG_MIN, 65000,
			 1400, "most bytes of a message (a UDP payload)" },
};

enum {
	S_PACKETS, S_BYTES, S_FLOWS, S_RECORDS, S_MESSAGES, S_TEMPLATES,
	S_SEND_ERRORS, S_IDLE, S_ACTIVE, S_END_OF_FLOW, S_EVICTED, S_FORCED,
};

static const char *const ipfix_scalars[] = {
	[S_PACKETS] = "packets",
	[S_BYTES] = "bytes",
	[S_FLOWS] = "flows",
	[S_RECORDS] = "records",
	[S_MESSAGES] = "messages",
	[S_TEMPLATES] = "templates",
	[S_SEND_ERRORS] = "send_errors",
	[S_IDLE] = "records_idle",
	[S_ACTIVE] = "records_active",
	[S_END_OF_FLOW] = "records_end_of_flow",
	[S_EVICTED] = "records_evicted",
	[S_FORCED] = "records_forced",
};

/* Which records of each end reason are counted where. */
static const u8 reason_scalar[] = {
	[IPFIX_END_IDLE] = S_IDLE,
	[IPFIX_END_ACTIVE] = S_ACTIVE,
	[IPFIX_END_OF_FLOW] = S_END_OF_FLOW,
	[IPFIX_END_FORCED] = S_FORCED,
	[IPFIX_END_LACK_OF_RESOURCES] = S_EVICTED,
};

/* A record's identity: words, for hashing. */
struct ipfix_key {
	__be32 saddr[4];
	__be32 daddr[4];
	__be16 sport;
	__be16 dport;
	u32 ifindex;		/* a 5-tuple on two devices is two records */
	u8 family;
	u8 proto;
	u8 dir;
	u8 pad;
};

struct ipfix_flow {
	struct hlist_node hnode;
	struct list_head lru;		/* by last packet, stalest first */
	struct list_head age;		/* by first packet, oldest first */
	struct ipfix_key key;
	u64 packets;
	u64 bytes;
	u64 first;			/* ns, unit->tstamp's clock */
	u64 last;
	u8 tcp_flags;
};

struct ipfix_collector {
	struct socket *sock;		/* NULL once detached */
	const char *name;		/* as given: pm->strings */
	u64 messages;
	u64 send_errors;
	int last_error;
};

struct ipfix_state {
	struct hlist_head *buckets;
	unsigned int hash_bits;
	u32 seed;
	struct list_head lru;
	struct list_head age;
	struct list_head free;
	struct ipfix_flow *pool;
	size_t charged;			/* against the memory cap */

	/* The message being filled, and what the stream has had. */
	struct ipfix_msg msg;
	u8 *buf;
	bool msg_open;
	u64 records_sent;		/* the sequence number, mod 2^32 */
	u64 next_templates;		/* ns */
	u32 domain;

	unsigned int n_collectors;
	struct ipfix_collector collectors[IPFIX_MAX_COLLECTORS];
	u64 scalars[ARRAY_SIZE(ipfix_scalars)];
};

/*
 * @value as a collector's address: "A.B.C.D[:PORT]", "[V6]:PORT", or a
 * bare IPv6 address; the port defaults to IPFIX's, 4739.
 */
static int parse_collector(const char *value, struct sockaddr_storage *ss,
			   int *len)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	const char *host = value, *port = NULL, *end;
	size_t host_len = strlen(value);
	u16 portnum = IPFIX_PORT;

	memset(ss, 0, sizeof(*ss));
	if (*value == '[') {
		end = strchr(value, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		host = value + 1;
		host_len = end - host;
		port = end[1] ? end + 2 : NULL;
	} else if (strchr(value, ':') == strrchr(value, ':') &&
		   strchr(value, ':')) {
		end = strchr(value, ':');
		host_len = end - value;
		port = end + 1;
	}
	if (port && (kstrtou16(port, 10, &portnum) || !portnum))
		return -EINVAL;
	if (host_len && in4_pton(host, host_len, (u8 *)&sin->sin_addr, -1, &end) &&
	    end == host + host_len && *value != '[') {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(portnum);
		*len = sizeof(*sin);
		return 0;
	}
	if (host_len && in6_pton(host, host_len, sin6->sin6_addr.s6_addr, -1, &end) &&
	    end == host + host_len) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(portnum);
		*len = sizeof(*sin6);
		return 0;
	}
	return -EINVAL;
}

static const char *check_collector(const char *value)
{
	struct sockaddr_storage ss;
	int len;

	if (!parse_collector(value, &ss, &len))
		return NULL;
	return "collector: A.B.C.D[:PORT], [V6ADDR]:PORT or V6ADDR";
}

static void add_scalar(struct ipfix_state *is, unsigned int i, u64 n)
{
	WRITE_ONCE(is->scalars[i], is->scalars[i] + n);
}

/* Send the finished message to every collector: errors are counted. */
static void send_message(struct ipfix_state *is, size_t len)
{
	struct kvec iov = { .iov_base = is->buf, .iov_len = len };
	unsigned int i;

	for (i = 0; i < is->n_collectors; i++) {
		struct ipfix_collector *c = &is->collectors[i];
		struct msghdr mh = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
		int err;

		if (!c->sock)
			continue;
		err = kernel_sendmsg(c->sock, &mh, &iov, 1, len);
		if (err == len) {
			WRITE_ONCE(c->messages, c->messages + 1);
		} else {
			WRITE_ONCE(c->send_errors, c->send_errors + 1);
			WRITE_ONCE(c->last_error, err < 0 ? -err : EMSGSIZE);
			add_scalar(is, S_SEND_ERRORS, 1);
		}
	}
}

/* Finish and send the open message, if any. */
static void flush_message(struct ipfix_state *is)
{
	u32 records = is->msg.records;
	size_t len;

	if (!is->msg_open)
		return;
	len = ipfix_msg_finish(&is->msg, (u32)ktime_get_real_seconds(),
			       (u32)is->records_sent, is->domain);
	send_message(is, len);
	is->msg_open = false;
	is->records_sent += records;
	add_scalar(is, S_MESSAGES, 1);
	add_scalar(is, S_RECORDS, records);
}

static void open_message(struct ipfix_state *is, size_t size)
{
	if (is->msg_open)
		return;
	ipfix_msg_start(&is->msg, is->buf, size);
	is->msg_open = true;
}

/* Both templates, in a message of their own if records wait. */
static void send_templates(struct ipfix_state *is, size_t size, u64 now,
			   u64 every)
{
	flush_message(is);
	open_message(is, size);
	ipfix_msg_add_templates(&is->msg);	/* fits IPFIX_MSG_MIN */
	add_scalar(is, S_TEMPLATES, 1);
	flush_message(is);
	is->next_templates = now + every;
}

static u64 unix_ms(u64 mono_ns)
{
	return ktime_to_ms(ktime_mono_to_real(ns_to_ktime(mono_ns)));
}

static void record_of(const struct ipfix_flow *f, u8 reason,
		      struct ipfix_rec *r)
{
	const struct ipfix_key *k = &f->key;
	bool icmp = k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6;

	memset(r, 0, sizeof(*r));
	r->family = k->family;
	r->proto = k->proto;
	r->tcp_flags = f->tcp_flags;
	r->end_reason = reason;
	r->direction = k->dir == FLOWOS_DIR_OUT;
	memcpy(r->saddr, k->saddr, sizeof(r->saddr));
	memcpy(r->daddr, k->daddr, sizeof(r->daddr));
	/* For ICMP the unit has type and code in the ports. */
	r->sport = icmp ? 0 : ntohs(k->sport);
	r->dport = icmp ? ntohs(k->sport) << 8 | ntohs(k->dport) : ntohs(k->dport);
	r->octets = f->bytes;
	r->packets = f->packets;
	r->start_ms = unix_ms(f->first);
	r->end_ms = unix_ms(f->last);
	if (k->dir == FLOWOS_DIR_OUT)
		r->egress_if = k->ifindex;
	else
		r->ingress_if = k->ifindex;
}

/* Put @f's record in the message, then give its entry back. */
static void export_flow(struct flowos_pm *pm, struct ipfix_flow *f, u8 reason)
{
	struct ipfix_state *is = pm->priv;
	size_t size = pm->params[P_MSG_SIZE];
	struct ipfix_rec r;

	record_of(f, reason, &r);
	open_message(is, size);
	if (!ipfix_msg_add_record(&is->msg, &r)) {
		flush_message(is);
		open_message(is, size);
		/* An empty message of IPFIX_MSG_MIN takes any record. */
		WARN_ON_ONCE(!ipfix_msg_add_record(&is->msg, &r));
	}
	add_scalar(is, reason_scalar[reason], 1);
	WRITE_ONCE(is->scalars[S_FLOWS], is->scalars[S_FLOWS] - 1);
	hlist_del(&f->hnode);
	list_del(&f->age);
	list_move(&f->lru, &is->free);
}

static void unit_key(const struct flowos_unit *u, struct ipfix_key *key)
{
	memcpy(key->saddr, u->saddr, sizeof(key->saddr));
	memcpy(key->daddr, u->daddr, sizeof(key->daddr));
	key->sport = u->sport;
	key->dport = u->dport;
	key->ifindex = u->ifindex;
	key->family = u->family;
	key->proto = u->proto;
	key->dir = u->dir;
	key->pad = 0;
}

static struct hlist_head *flow_bucket(const struct ipfix_state *is,
				      const struct ipfix_key *key)
{
	u32 h = jhash2((const u32 *)key, sizeof(*key) / sizeof(u32), is->seed);

	return &is->buckets[hash_32(h, is->hash_bits)];
}

/* The record of @u, a new one (exporting the stalest if full) if none. */
static struct ipfix_flow *flow_get(struct flowos_pm *pm,
				   const struct flowos_unit *u)
{
	struct ipfix_state *is = pm->priv;
	struct ipfix_flow *f;
	struct hlist_head *head;
	struct ipfix_key key;

	unit_key(u, &key);
	head = flow_bucket(is, &key);
	hlist_for_each_entry(f, head, hnode)
		if (!memcmp(&f->key, &key, sizeof(key))) {
			if (!list_is_last(&f->lru, &is->lru))
				list_move_tail(&f->lru, &is->lru);
			return f;
		}

	if (list_empty(&is->free))
		export_flow(pm, list_first_entry(&is->lru, struct ipfix_flow, lru),
			    IPFIX_END_LACK_OF_RESOURCES);
	f = list_first_entry(&is->free, struct ipfix_flow, lru);
	f->key = key;
	f->packets = 0;
	f->bytes = 0;
	f->first = u->tstamp;
	f->last = u->tstamp;
	f->tcp_flags = 0;
	hlist_add_head(&f->hnode, head);
	list_move_tail(&f->lru, &is->lru);
	list_add_tail(&f->age, &is->age);
	add_scalar(is, S_FLOWS, 1);
	return f;
}

static unsigned int ipfix_process(struct flowos_pm *pm,
				  const struct flowos_window *win)
{
	struct ipfix_state *is = pm->priv;
	u64 seq, packets = 0, bytes = 0;
	const struct flowos_unit *u;

	flowos_window_for_each(win, seq, u) {
		struct ipfix_flow *f = flow_get(pm, u);

		f->packets += u->segs;
		f->bytes += u->wire_len;
		f->last = max(f->last, u->tstamp);
		packets += u->segs;
		bytes += u->wire_len;
		if (u->proto != IPPROTO_TCP)
			continue;
		f->tcp_flags |= u->tcp_flags;
		if (u->tcp_flags & (TCPHDR_FIN | TCPHDR_RST))
			export_flow(pm, f, IPFIX_END_OF_FLOW);
	}
	add_scalar(is, S_PACKETS, packets);
	add_scalar(is, S_BYTES, bytes);
	return win->tail - win->head;
}

/*
 * Export what timed out, then send what waits: records leave within a
 * tick of their timeout.  The lists are in processing order, which is
 * time order within a ring and close to it across rings.
 */
static void ipfix_tick(struct flowos_pm *pm, unsigned int worker, u64 now)
{
	struct ipfix_state *is = pm->priv;
	u64 inactive = pm->params[P_INACTIVE] * NSEC_PER_MSEC;
	u64 active = pm->params[P_ACTIVE] * NSEC_PER_MSEC;
	struct ipfix_flow *f, *next;

	if (now >= is->next_templates)
		send_templates(is, pm->params[P_MSG_SIZE], now,
			       pm->params[P_TEMPLATES] * NSEC_PER_MSEC);
	list_for_each_entry_safe(f, next, &is->lru, lru) {
		if (now < f->last + inactive)
			break;
		export_flow(pm, f, IPFIX_END_IDLE);
		cond_resched();
	}
	list_for_each_entry_safe(f, next, &is->age, age) {
		if (now < f->first + active)
			break;
		export_flow(pm, f, IPFIX_END_ACTIVE);
		cond_resched();
	}
	flush_message(is);
}

static void collectors_close(struct ipfix_state *is)
{
	unsigned int i;

	for (i = 0; i < is->n_collectors; i++) {
		if (is->collectors[i].sock)
			sock_release(is->collectors[i].sock);
		is->collectors[i].sock = NULL;
	}
}

/* As SO_SNDBUF would, without the doubling and the sysctl's cap. */
static void collector_sndbuf(struct sock *sk)
{
	lock_sock(sk);
	sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
	WRITE_ONCE(sk->sk_sndbuf, IPFIX_SNDBUF);
	sk->sk_write_space(sk);
	release_sock(sk);
}

/* A socket of the flow's namespace, connected to collector @i. */
static int collector_open(struct flowos_pm *pm, unsigned int i)
{
	struct ipfix_state *is = pm->priv;
	struct ipfix_collector *c = &is->collectors[i];
	struct sockaddr_storage ss;
	int len, err;

	c->name = pm->strings[P_COLLECTOR]->v[i];
	if (parse_collector(c->name, &ss, &len))
		return -EINVAL;		/* check_collector() let it by */
	err = sock_create_kern(pm->net, ss.ss_family, SOCK_DGRAM, IPPROTO_UDP,
			       &c->sock);
	if (err) {
		pm->errmsg = "collector: no UDP socket of its family here (IPv6 disabled?)";
		return err;
	}
	/*
	 * Room for a burst (a detach exporting the whole table, a storm of
	 * evictions) while a real device's queue drains: sends do not wait.
	 */
	collector_sndbuf(c->sock->sk);
	err = kernel_connect(c->sock, (struct sockaddr *)&ss, len, 0);
	if (err) {
		sock_release(c->sock);
		c->sock = NULL;
		pm->errmsg = err == -ENETUNREACH || err == -EHOSTUNREACH ?
			     "collector: no route to it" :
			     "collector: cannot connect a UDP socket to it";
	}
	return err;
}

static void ipfix_free(struct ipfix_state *is)
{
	collectors_close(is);
	kvfree(is->buckets);
	kvfree(is->pool);
	kvfree(is->buf);
	flowos_mem_uncharge(is->charged);
	kfree(is);
}

static int table_init(struct ipfix_state *is, unsigned int n)
{
	unsigned int i;

	is->hash_bits = ilog2(roundup_pow_of_two(n));
	is->buckets = kvcalloc(1U << is->hash_bits, sizeof(*is->buckets),
			       GFP_KERNEL);
	is->pool = kvcalloc(n, sizeof(*is->pool), GFP_KERNEL);
	if (!is->buckets || !is->pool)
		return -ENOMEM;
	INIT_LIST_HEAD(&is->lru);
	INIT_LIST_HEAD(&is->age);
	INIT_LIST_HEAD(&is->free);
	for (i = 0; i < n; i++)
		list_add_tail(&is->pool[i].lru, &is->free);
	return 0;
}

static int ipfix_init(struct flowos_pm *pm)
{
	unsigned int i, n = pm->params[P_MAX_FLOWS];
	size_t size = pm->params[P_MSG_SIZE];
	size_t charge = sizeof(struct ipfix_state) + size +
			n * sizeof(struct ipfix_flow) +
			sizeof(struct hlist_head) * roundup_pow_of_two(n);
	struct ipfix_state *is;
	int err;

	if (!flowos_mem_charge(charge))
		return -ENOSPC;
	is = kzalloc(sizeof(*is), GFP_KERNEL);
	if (!is) {
		flowos_mem_uncharge(charge);
		return -ENOMEM;
	}
	is->charged = charge;
	pm->priv = is;
	is->seed = get_random_u32();
	is->domain = pm->params[P_DOMAIN] ? pm->params[P_DOMAIN] :
		     pm->net->ns.inum;
	is->buf = kvmalloc(size, GFP_KERNEL);
	err = is->buf ? table_init(is, n) : -ENOMEM;
	for (i = 0; !err && i < pm->params[P_COLLECTOR]; i++) {
		err = collector_open(pm, i);
		is->n_collectors = i + 1;
	}
	if (err) {
		ipfix_free(is);
		pm->priv = NULL;
		return err;
	}
	/* A collector knows the templates before the first record. */
	send_templates(is, size, ktime_get_ns(),
		       pm->params[P_TEMPLATES] * NSEC_PER_MSEC);
	return 0;
}

/* The sockets live in the flow's namespace: what is left goes now. */
static void ipfix_detach(struct flowos_pm *pm)
{
	struct ipfix_state *is = pm->priv;
	struct ipfix_flow *f, *next;

	list_for_each_entry_safe(f, next, &is->lru, lru) {
		export_flow(pm, f, IPFIX_END_FORCED);
		cond_resched();
	}
	flush_message(is);
	collectors_close(is);
}

static void ipfix_fini(struct flowos_pm *pm)
{
	ipfix_free(pm->priv);
}

static u64 ipfix_read_scalar(const struct flowos_pm *pm, unsigned int i)
{
	const struct ipfix_state *is = pm->priv;

	return READ_ONCE(is->scalars[i]);
}

/* Per collector: what was sent to it, and what failed. */
static int ipfix_fill_results(const struct flowos_pm *pm,
			      struct flowos_results *res)
{
	const struct ipfix_state *is = pm->priv;
	unsigned int i;

	flowos_result_put_u64(res, "domain", is->domain);
	flowos_result_table_start(res, "collectors");
	for (i = 0; i < is->n_collectors; i++) {
		const struct ipfix_collector *c = &is->collectors[i];

		flowos_result_row_start(res);
		flowos_result_put_string(res, "collector", c->name);
		flowos_result_put_u64(res, "messages", READ_ONCE(c->messages));
		flowos_result_put_u64(res, "send_errors",
				      READ_ONCE(c->send_errors));
		flowos_result_put_u64(res, "last_error",
				      READ_ONCE(c->last_error));
		if (flowos_result_end(res))
			break;
	}
	return flowos_result_end(res);
}

static struct flowos_pm_ops ipfix_ops = {
	.name = "ipfix",
	.owner = THIS_MODULE,
	.layer = FLOWOS_LAYER_IP,
	.mode = FLOWOS_PM_MODE_RO,
	.params = ipfix_params,
	.n_params = ARRAY_SIZE(ipfix_params),
	.scalars = ipfix_scalars,
	.n_scalars = ARRAY_SIZE(ipfix_scalars),
	.max_workers = 1,
	.init = ipfix_init,
	.detach = ipfix_detach,
	.fini = ipfix_fini,
	.process = ipfix_process,
	.tick = ipfix_tick,
	.read_scalar = ipfix_read_scalar,
	.fill_results = ipfix_fill_results,
};

static int __init ipfix_module_init(void)
{
	return flowos_register_pm(&ipfix_ops);
}

static void __exit ipfix_module_exit(void)
{
	flowos_unregister_pm(&ipfix_ops);
}

module_init(ipfix_module_init);
module_exit(ipfix_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowos PM: per-5-tuple flow records exported over IPFIX");
MODULE_ALIAS_FLOWOS_PM("ipfix");
