// SPDX-License-Identifier: GPL-2.0
/*
 * "flowctl exporter": the namespace's numbers in the Prometheus text
 * exposition format (version 0.0.4), served over HTTP by libmicrohttpd.
 *
 *   flowctl [-n NETNS] exporter [--listen ADDR:PORT] [--namespace NAME]
 *
 * Every GET /metrics reads the kernel afresh: the flows (FLOW_GET), each
 * flow's instances (STATS_GET) and the namespace (NET_GET), so what a
 * scrape shows is what flowctl would show at that moment.  Requests are
 * answered one at a time by libmicrohttpd's one polling thread, the
 * only user of the netlink socket once the exporter runs.
 *
 * Labels are bounded: namespace, flow, pm (the instance), type, and the
 * fixed sets direction, reason and outcome.  Result tables (per address,
 * per connection) are not exported: an address as a label would make a
 * series per address.  An instance's scalar results that are numbers
 * are, as flowos_pm_TYPE_RESULT, untyped, since a PM's schema does not
 * say whether a result only grows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <microhttpd.h>

#include "flowctl.h"

#define EXPORTER_DEFAULT_LISTEN	"127.0.0.1:9850"
/* The namespace label: at most this long, of these characters. */
#define NAMESPACE_LABEL_MAX	64
#define NAMESPACE_LABEL_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-"

/* A text that grows as a scrape is written. */
struct page {
	char *buf;
	size_t len, room;
	bool failed;
};

static __printf(2, 3) void page_printf(struct page *p, const char *fmt, ...)
{
	va_list ap;
	char *grown;
	int n;

	while (!p->failed) {
		va_start(ap, fmt);
		n = vsnprintf(p->buf + p->len, p->room - p->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			p->failed = true;
			return;
		}
		if ((size_t)n < p->room - p->len) {
			p->len += n;
			return;
		}
		grown = realloc(p->buf, 2 * p->room + n + 1);
		if (!grown) {
			p->failed = true;
			return;
		}
		p->buf = grown;
		p->room = 2 * p->room + n + 1;
	}
}

/* One sample, before it is written under its family's HELP and TYPE. */
struct sample {
	char metric[96];
	char labels[512];
	unsigned long long value;
	unsigned int seq;	/* to keep the reading order within a family */
};

struct scrape {
	const char *ns;		/* the namespace label's value */
	struct sample *s;
	unsigned int n, room;
	/* The flows' names, for their instances: a dump cannot run inside another. */
	char (*flows)[FLOWOS_NAME_MAX];
	unsigned int nflows;
	bool failed;
};

/* @in as a label value: backslash, double quote and newline escaped. */
static void label_escape(char *out, size_t size, const char *in)
{
	size_t o = 0;

	for (; *in && o + 3 < size; in++) {
		if (*in == '\\' || *in == '"' || *in == '\n') {
			out[o++] = '\\';
			out[o++] = *in == '\n' ? 'n' : *in;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

/* A sample of @metric; @fmt gives the labels after namespace's. */
static __printf(4, 5) void add(struct scrape *sc, const char *metric,
			       unsigned long long value, const char *fmt, ...)
{
	char ns[2 * NAMESPACE_LABEL_MAX + 1];
	unsigned int room;
	struct sample *s;
	int len, more = 0;
	va_list ap;

	if (sc->failed)
		return;
	if (sc->n == sc->room) {
		room = 2 * sc->room + 64;
		s = reallocarray(sc->s, room, sizeof(*sc->s));
		if (!s) {
			sc->failed = true;
			return;
		}
		sc->s = s;
		sc->room = room;
	}
	s = &sc->s[sc->n];
	snprintf(s->metric, sizeof(s->metric), "%s", metric);
	label_escape(ns, sizeof(ns), sc->ns);
	len = snprintf(s->labels, sizeof(s->labels), "namespace=\"%s\"", ns);
	if (fmt && len >= 0 && (size_t)len < sizeof(s->labels)) {
		va_start(ap, fmt);
		more = vsnprintf(s->labels + len, sizeof(s->labels) - len, fmt, ap);
		va_end(ap);
	}
	/* A label cut short would make the whole page invalid. */
	if (len < 0 || more < 0 || (size_t)len + more >= sizeof(s->labels)) {
		sc->failed = true;
		return;
	}
	s->value = value;
	s->seq = sc->n++;
}

/* A flow's counters; its name into sc->flows, for its instances. */
static int on_flow(const struct nlmsghdr *nlh, void *data)
{
	static const struct {
		int attr;
		const char *outcome;
	} inline_outcomes[] = {
		{ FLOWOS_A_STATS_HELD, "held" },
		{ FLOWOS_A_STATS_REINJECTED, "reinjected" },
		{ FLOWOS_A_STATS_LOST, "lost" },
		{ FLOWOS_A_STATS_BYPASSED, "bypassed" },
		{ FLOWOS_A_STATS_OVERFLOW_DROPS, "overflow_dropped" },
		{ FLOWOS_A_STATS_PM_DROPS, "pm_dropped" },
	};
	struct scrape *sc = data;
	char flow[2 * FLOWOS_NAME_MAX];
	struct flow_view v;
	void *grown;
	size_t i;

	if (flowctl_parse_flow(nlh, &v) || !v.tb[FLOWOS_A_FLOW_NAME])
		return MNL_CB_ERROR;
	grown = reallocarray(sc->flows, sc->nflows + 1, sizeof(*sc->flows));
	if (!grown)
		return MNL_CB_ERROR;
	sc->flows = grown;
	snprintf(sc->flows[sc->nflows++], FLOWOS_NAME_MAX, "%s",
		 mnl_attr_get_str(v.tb[FLOWOS_A_FLOW_NAME]));
	label_escape(flow, sizeof(flow), mnl_attr_get_str(v.tb[FLOWOS_A_FLOW_NAME]));
	add(sc, "flowos_flow_packets_total", flowctl_flow_stat(&v, FLOWOS_A_STATS_PACKETS_IN),
	    ",flow=\"%s\",direction=\"in\"", flow);
	add(sc, "flowos_flow_packets_total", flowctl_flow_stat(&v, FLOWOS_A_STATS_PACKETS_OUT),
	    ",flow=\"%s\",direction=\"out\"", flow);
	add(sc, "flowos_flow_bytes_total", flowctl_flow_stat(&v, FLOWOS_A_STATS_BYTES_IN),
	    ",flow=\"%s\",direction=\"in\"", flow);
	add(sc, "flowos_flow_bytes_total", flowctl_flow_stat(&v, FLOWOS_A_STATS_BYTES_OUT),
	    ",flow=\"%s\",direction=\"out\"", flow);
	add(sc, "flowos_flow_drops_total", flowctl_flow_stat(&v, FLOWOS_A_STATS_RING_DROPS),
	    ",flow=\"%s\",reason=\"ring\"", flow);
	add(sc, "flowos_flow_drops_total", flowctl_flow_stat(&v, FLOWOS_A_STATS_MEM_DROPS),
	    ",flow=\"%s\",reason=\"memory\"", flow);
	for (i = 0; i < ARRAY_SIZE(inline_outcomes); i++)
		add(sc, "flowos_flow_inline_packets_total",
		    flowctl_flow_stat(&v, inline_outcomes[i].attr),
		    ",flow=\"%s\",outcome=\"%s\"", flow, inline_outcomes[i].outcome);
	return MNL_CB_OK;
}

/* @name with what a metric name may not hold as '_'. */
static void metric_part(char *out, size_t size, const char *name)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < size; i++)
		out[i] = (name[i] >= 'a' && name[i] <= 'z') ||
			 (name[i] >= 'A' && name[i] <= 'Z') ||
			 (name[i] >= '0' && name[i] <= '9') ? name[i] : '_';
	out[i] = '\0';
}

/* An instance's counters and scalar results (one part of its reply). */
static int on_instance(const struct nlmsghdr *nlh, void *data)
{
	static const struct {
		int attr;
		const char *metric;
	} pm_stats[] = {
		{ FLOWOS_A_PM_STATS_PROCESSED, "flowos_pm_processed_total" },
		{ FLOWOS_A_PM_STATS_BACKLOG, "flowos_pm_backlog" },
		{ FLOWOS_A_PM_STATS_WAKEUPS, "flowos_pm_wakeups_total" },
		{ FLOWOS_A_PM_STATS_DROPPED, "flowos_pm_dropped_total" },
	};
	const struct nlattr *tb[FLOWOS_A_PM_MAX + 1];
	const struct nlattr *st[FLOWOS_A_PM_STATS_MAX + 1], *v;
	char flow[2 * FLOWOS_NAME_MAX], pm[2 * FLOWOS_NAME_MAX];
	char type[FLOWOS_NAME_MAX], result[FLOWOS_NAME_MAX], metric[96];
	struct scrape *sc = data;
	struct flowctl_cell c;
	size_t i;

	if (flowctl_parse_msg(nlh, tb, FLOWOS_A_PM_MAX) || !tb[FLOWOS_A_PM_NAME] ||
	    !tb[FLOWOS_A_PM_TYPE] || !tb[FLOWOS_A_PM_FLOW])
		return MNL_CB_ERROR;
	label_escape(flow, sizeof(flow), mnl_attr_get_str(tb[FLOWOS_A_PM_FLOW]));
	label_escape(pm, sizeof(pm), mnl_attr_get_str(tb[FLOWOS_A_PM_NAME]));
	metric_part(type, sizeof(type), mnl_attr_get_str(tb[FLOWOS_A_PM_TYPE]));
	if (tb[FLOWOS_A_PM_STATS] &&
	    !flowctl_parse_nest(tb[FLOWOS_A_PM_STATS], st, FLOWOS_A_PM_STATS_MAX))
		for (i = 0; i < ARRAY_SIZE(pm_stats); i++)
			if (st[pm_stats[i].attr])
				add(sc, pm_stats[i].metric,
				    mnl_attr_get_u64(st[pm_stats[i].attr]),
				    ",flow=\"%s\",pm=\"%s\",type=\"%s\"", flow, pm, type);
	if (!tb[FLOWOS_A_PM_RESULTS])
		return MNL_CB_OK;
	mnl_attr_for_each_nested(v, tb[FLOWOS_A_PM_RESULTS]) {
		if (flowctl_table_name(v) || !flowctl_cell_of(v, &c) || !c.number)
			continue;
		metric_part(result, sizeof(result), c.name);
		snprintf(metric, sizeof(metric), "flowos_pm_%s_%s", type, result);
		add(sc, metric, c.u, ",flow=\"%s\",pm=\"%s\"", flow, pm);
	}
	return MNL_CB_OK;
}

/* The namespace's malformed packets, and the global memory figures. */
static int on_net(const struct nlmsghdr *nlh, void *data)
{
	static const char *const reasons[FLOWOS_A_MALFORMED_MAX + 1] = {
		[FLOWOS_A_MALFORMED_TRUNCATED] = "truncated",
		[FLOWOS_A_MALFORMED_BAD_VERSION] = "bad_version",
		[FLOWOS_A_MALFORMED_BAD_IHL] = "bad_ihl",
		[FLOWOS_A_MALFORMED_BAD_LENGTH] = "bad_length",
		[FLOWOS_A_MALFORMED_BAD_EXT_HDR] = "bad_ext_hdr",
		[FLOWOS_A_MALFORMED_BAD_TCP_DOFF] = "bad_tcp_doff",
		[FLOWOS_A_MALFORMED_BAD_UDP_LEN] = "bad_udp_len",
	};
	const struct nlattr *tb[FLOWOS_A_NET_MAX + 1];
	const struct nlattr *mal[FLOWOS_A_MALFORMED_MAX + 1];
	struct scrape *sc = data;
	int r;

	if (flowctl_parse_msg(nlh, tb, FLOWOS_A_NET_MAX))
		return MNL_CB_ERROR;
	if (tb[FLOWOS_A_NET_FLOWS])
		add(sc, "flowos_flows", mnl_attr_get_u32(tb[FLOWOS_A_NET_FLOWS]), NULL);
	if (tb[FLOWOS_A_NET_MALFORMED] &&
	    !flowctl_parse_nest(tb[FLOWOS_A_NET_MALFORMED], mal, FLOWOS_A_MALFORMED_MAX))
		for (r = 0; r <= FLOWOS_A_MALFORMED_MAX; r++)
			if (reasons[r] && mal[r])
				add(sc, "flowos_malformed_packets_total",
				    mnl_attr_get_u64(mal[r]), ",reason=\"%s\"", reasons[r]);
	if (tb[FLOWOS_A_NET_MEM_USED])
		add(sc, "flowos_memory_used_bytes",
		    mnl_attr_get_u64(tb[FLOWOS_A_NET_MEM_USED]), NULL);
	if (tb[FLOWOS_A_NET_MEM_LIMIT])
		add(sc, "flowos_memory_limit_bytes",
		    mnl_attr_get_u64(tb[FLOWOS_A_NET_MEM_LIMIT]), NULL);
	if (tb[FLOWOS_A_NET_MEM_REFUSED])
		add(sc, "flowos_memory_refused_total",
		    mnl_attr_get_u64(tb[FLOWOS_A_NET_MEM_REFUSED]), NULL);
	return MNL_CB_OK;
}

/* What HELP says of each family; the families in the order written. */
static const struct {
	const char *metric;
	const char *type;
	const char *help;
} families[] = {
	{ "flowos_up", "gauge", "1 if every read of this scrape succeeded, else 0." },
	{ "flowos_flows", "gauge", "Flows in the namespace." },
	{ "flowos_flow_packets_total", "counter", "Packets a flow counted, by direction." },
	{ "flowos_flow_bytes_total", "counter", "IP bytes a flow counted, by direction." },
	{ "flowos_flow_drops_total", "counter",
	  "Units a flow's PMs missed: ring full, or queued without the packet (memory cap)." },
	{ "flowos_flow_inline_packets_total", "counter",
	  "An inline flow's packets: held, reinjected, lost, bypassed, dropped (overflow, PM)." },
	{ "flowos_pm_processed_total", "counter", "Units a PM instance released." },
	{ "flowos_pm_backlog", "gauge", "Units queued for a PM instance now." },
	{ "flowos_pm_wakeups_total", "counter", "Times a PM instance's thread was woken." },
	{ "flowos_pm_dropped_total", "counter", "Packets a PM instance dropped (inline flows)." },
	{ "flowos_malformed_packets_total", "counter",
	  "Packets the namespace's hooks could not parse, by reason." },
	{ "flowos_memory_used_bytes", "gauge", "Bytes flowos holds for PMs, all namespaces." },
	{ "flowos_memory_limit_bytes", "gauge", "The cap on that memory (mem_limit_kb)." },
	{ "flowos_memory_refused_total", "counter", "Attaches the memory cap refused." },
};

static int family_index(const char *metric)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(families); i++)
		if (!strcmp(families[i].metric, metric))
			return i;
	return ARRAY_SIZE(families);	/* a PM's result: after the others */
}

static int cmp_samples(const void *pa, const void *pb)
{
	const struct sample *a = pa, *b = pb;
	int fa = family_index(a->metric), fb = family_index(b->metric), c;

	if (fa != fb)
		return fa - fb;
	c = strcmp(a->metric, b->metric);
	return c ? c : (int)a->seq - (int)b->seq;
}

/* The samples, each family once, under its HELP and TYPE. */
static void write_samples(struct page *p, struct scrape *sc)
{
	const char *last = "";
	unsigned int i;
	int f;

	qsort(sc->s, sc->n, sizeof(*sc->s), cmp_samples);
	for (i = 0; i < sc->n; i++) {
		const struct sample *s = &sc->s[i];

		if (strcmp(s->metric, last)) {
			f = family_index(s->metric);
			if (f < (int)ARRAY_SIZE(families))
				page_printf(p, "# HELP %s %s\n# TYPE %s %s\n", s->metric,
					    families[f].help, s->metric, families[f].type);
			else
				page_printf(p, "# HELP %s %s\n# TYPE %s untyped\n", s->metric,
					    "A PM's result, as flowctl stats shows it.", s->metric);
			last = s->metric;
		}
		page_printf(p, "%s{%s} %llu\n", s->metric, s->labels, s->value);
	}
}

/*
 * A fresh socket after a failed scrape: replies a callback left unread
 * would otherwise meet the next request, and a module loaded again has
 * another family id.
 */
static void nl_reopen(struct flowctl_nl *nl)
{
	const char *family = nl->family_name, *group = nl->group_name;
	uint8_t version = nl->version;

	flowctl_nl_close(nl);
	if (!flowctl_nl_open(nl, family, version, group))
		return;
	fprintf(stderr, "flowctl exporter: %s\n", nl->errmsg);
	flowctl_nl_close(nl);	/* opened, maybe, but not bound */
	nl->sock = NULL;
}

/* Every read of a scrape into @sc; false if one failed. */
static bool read_all(struct flowctl_nl *nl, struct scrape *sc)
{
	struct nlmsghdr *nlh;
	bool ok = true;
	unsigned int i;

	nlh = flowctl_nl_msg(nl, FLOWOS_CMD_NET_GET, 0);
	ok &= !flowctl_nl_run(nl, nlh, on_net, sc);
	nlh = flowctl_nl_msg(nl, FLOWOS_CMD_FLOW_GET, NLM_F_DUMP);
	ok &= !flowctl_nl_run(nl, nlh, on_flow, sc);
	for (i = 0; i < sc->nflows; i++) {
		nlh = flowctl_nl_msg(nl, FLOWOS_CMD_STATS_GET, NLM_F_DUMP);
		mnl_attr_put_strz(nlh, FLOWOS_A_PM_FLOW, sc->flows[i]);
		/* A flow deleted since the list has none: not a failure. */
		if (flowctl_nl_run(nl, nlh, on_instance, sc) && nl->err != ENOENT)
			ok = false;
	}
	return ok;
}

/* Read everything and write the page; false if a read failed. */
static bool scrape(struct flowctl_nl *nl, const char *ns, struct page *p)
{
	struct scrape sc = { .ns = ns };
	bool ok = false;

	/* A socket that could not be opened again is tried once more. */
	if (!nl->sock)
		nl_reopen(nl);
	if (nl->sock)
		ok = read_all(nl, &sc);
	free(sc.flows);
	if (!ok)
		nl_reopen(nl);
	if (sc.failed) {
		p->failed = true;
		free(sc.s);
		return false;
	}
	add(&sc, "flowos_up", ok, NULL);
	write_samples(p, &sc);
	free(sc.s);
	return ok;
}

struct exporter {
	struct flowctl_nl *nl;
	const char *ns;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     const char *type, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn,
				  unsigned int status, const char *text)
{
	return reply(conn, status, "text/plain; charset=utf-8", (char *)text,
		     strlen(text), MHD_RESPMEM_PERSISTENT);
}

/* libmicrohttpd's request handler: GET (or HEAD) /metrics. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct exporter *e = cls;
	struct page p = {};

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "flowctl exporter: only GET /metrics\n");
	if (!strcmp(url, "/"))
		return reply_text(conn, MHD_HTTP_OK,
				  "flowctl exporter: flowos's numbers are at /metrics\n");
	if (strcmp(url, "/metrics"))
		return reply_text(conn, MHD_HTTP_NOT_FOUND,
				  "flowctl exporter: no such page; try /metrics\n");
	scrape(e->nl, e->ns, &p);
	if (p.failed) {
		free(p.buf);
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "flowctl exporter: out of memory, or a label too long\n");
	}
	return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
		     p.buf, p.len, MHD_RESPMEM_MUST_FREE);
}

/* ADDR:PORT, [ADDR6]:PORT or :PORT (every address) into @ss. */
static int parse_listen(const char *arg, struct sockaddr_storage *ss,
			socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV |
					      AI_PASSIVE };
	char host[INET6_ADDRSTRLEN + 2], *port;
	struct addrinfo *ai;
	const char *h;

	if (snprintf(host, sizeof(host), "%s", arg) >= (int)sizeof(host))
		return -1;
	port = strrchr(host, ':');
	if (!port || !port[1])
		return -1;
	*port++ = '\0';
	h = host;
	if (host[0] == '[') {
		if (port[-2] != ']')
			return -1;
		port[-2] = '\0';
		h = host + 1;
	}
	/* No address: every one, IPv6 and IPv4 (MHD_USE_DUAL_STACK). */
	if (!*h)
		hints.ai_family = AF_INET6;
	if (getaddrinfo(*h ? h : NULL, port, &hints, &ai))
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* Whether @s may be the namespace label: short, plain characters. */
static bool label_ok(const char *s)
{
	size_t len = strlen(s);

	return len && len <= NAMESPACE_LABEL_MAX &&
	       strspn(s, NAMESPACE_LABEL_CHARS) == len;
}

/*
 * The namespace label: -n's name, else the name under /run/netns (as
 * "ip netns identify" finds it), else "init" for the initial namespace,
 * else "net:INODE"; a name that is no plain label is left for the next.
 */
static void namespace_label(char *buf, size_t size)
{
	struct stat self, other;
	struct dirent *d;
	char path[sizeof("/run/netns/") + NAME_MAX];
	DIR *dir;

	if (flowctl_opts.netns && label_ok(flowctl_opts.netns)) {
		snprintf(buf, size, "%s", flowctl_opts.netns);
		return;
	}
	if (stat("/proc/self/ns/net", &self)) {
		snprintf(buf, size, "unknown");
		return;
	}
	snprintf(buf, size, "net:%llu", (unsigned long long)self.st_ino);
	if (!stat("/proc/1/ns/net", &other) && other.st_ino == self.st_ino &&
	    other.st_dev == self.st_dev) {
		snprintf(buf, size, "init");
		return;
	}
	dir = opendir("/run/netns");
	while (dir && (d = readdir(dir))) {
		snprintf(path, sizeof(path), "/run/netns/%s", d->d_name);
		if (d->d_name[0] != '.' && label_ok(d->d_name) && !stat(path, &other) &&
		    other.st_ino == self.st_ino && other.st_dev == self.st_dev) {
			snprintf(buf, size, "%s", d->d_name);
			break;
		}
	}
	if (dir)
		closedir(dir);
}

static const char exporter_usage[] = "exporter [--listen ADDR:PORT] [--namespace NAME]";

static int cmd_exporter(struct flowctl_nl *nl, int argc, char **argv)
{
	const char *listen = EXPORTER_DEFAULT_LISTEN;
	struct sockaddr_storage ss;
	struct MHD_Daemon *daemon;
	char ns[NAME_MAX + 1] = "";	/* a directory entry's name fits */
	struct exporter e = { .nl = nl, .ns = ns };
	sigset_t stop;
	socklen_t len;
	int i, sig;

	for (i = 0; i < argc; i += 2) {
		if (i + 1 >= argc)
			return flowctl_usage_error("'%s' wants a value (%s)", argv[i],
						   exporter_usage);
		if (!strcmp(argv[i], "--listen"))
			listen = argv[i + 1];
		else if (!strcmp(argv[i], "--namespace") && label_ok(argv[i + 1]))
			snprintf(ns, sizeof(ns), "%s", argv[i + 1]);
		else if (!strcmp(argv[i], "--namespace"))
			return flowctl_usage_error("bad --namespace '%s': 1 to %d of %s",
						   argv[i + 1], NAMESPACE_LABEL_MAX,
						   "[A-Za-z0-9_.:-]");
		else
			return flowctl_usage_error("unknown option '%s' (%s)", argv[i],
						   exporter_usage);
	}
	if (parse_listen(listen, &ss, &len))
		return flowctl_usage_error("bad --listen '%s': ADDR:PORT, [ADDR6]:PORT or :PORT",
					   listen);
	if (!ns[0])
		namespace_label(ns, sizeof(ns));
	/* Block them here, so that libmicrohttpd's thread inherits the mask. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
				  (ss.ss_family != AF_INET6 ? 0 :
				   listen[0] == ':' ? MHD_USE_DUAL_STACK : MHD_USE_IPv6),
				  0, NULL, NULL, on_request, &e,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_TIMEOUT, 30U,
				  MHD_OPTION_END);
	if (!daemon) {
		fprintf(stderr, "flowctl: cannot listen on %s: %s\n", listen,
			strerror(errno));
		return FLOWCTL_EXIT_ERROR;
	}
	fprintf(stderr, "flowctl exporter: serving /metrics on %s, namespace \"%s\"\n",
		listen, ns);
	sigwait(&stop, &sig);
	MHD_stop_daemon(daemon);
	return 0;
}

const struct flowctl_cmd flowctl_exporter_cmds[] = {
	{ "exporter", cmd_exporter, exporter_usage },
	{}
};
