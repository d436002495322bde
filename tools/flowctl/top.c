// SPDX-License-Identifier: GPL-2.0
/*
 * "flowctl top": the namespace's flows and their rates, refreshed every
 * interval, as top(1) and iftop(8) show theirs.
 *
 *   flowctl top [--sort pps|bps|drops|packets|bytes|name]
 *               [--interval SECONDS] [--count N]
 *
 * Each round reads every flow (FLOWOS_CMD_FLOW_GET) and, for a flow
 * with a stats instance, its top talkers; a rate is what a counter grew
 * by since the last round over the time between the two reads
 * (CLOCK_MONOTONIC), so a flow's first round shows none.  On a terminal
 * the screen is redrawn, and a key sorts (p, b, d, P, B, n) or quits
 * (q); elsewhere each round follows the last, after a "--- TIME" line,
 * for a log.  A flow is known by name: one deleted and created again
 * starts its rates anew.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "flowctl.h"

/* How many talkers of a flow's stats instance a round shows. */
#define TOP_TALKERS	3

enum top_key { K_PPS, K_BPS, K_DROPS, K_PACKETS, K_BYTES, K_NAME };

static const char *const key_names[] = {
	[K_PPS] = "pps", [K_BPS] = "bps", [K_DROPS] = "drops",
	[K_PACKETS] = "packets", [K_BYTES] = "bytes", [K_NAME] = "name",
};

/* The key each keystroke sorts by. */
static const char key_chars[] = {
	[K_PPS] = 'p', [K_BPS] = 'b', [K_DROPS] = 'd',
	[K_PACKETS] = 'P', [K_BYTES] = 'B', [K_NAME] = 'n',
};

struct talker {
	char addr[INET6_ADDRSTRLEN];
	uint64_t bytes;
};

struct top_flow {
	char name[FLOWOS_NAME_MAX];
	uint64_t packets, bytes, drops;	/* both directions; ring + memory */
	double pps, bps, dps;		/* per second since the last round */
	bool rated;			/* it was there last round */
	struct talker talker[TOP_TALKERS];
	int ntalkers;
};

struct top {
	struct top_flow *f, *last;
	int n, nlast;
	enum top_key key;
	struct timespec at, last_at;
};

static int on_top_flow(const struct nlmsghdr *nlh, void *data)
{
	struct top *t = data;
	struct top_flow *f;
	struct flow_view v;
	void *grown;

	if (flowctl_parse_flow(nlh, &v) || !v.tb[FLOWOS_A_FLOW_NAME])
		return MNL_CB_ERROR;
	grown = realloc(t->f, (t->n + 1) * sizeof(*t->f));
	if (!grown)
		return MNL_CB_ERROR;
	t->f = grown;
	f = &t->f[t->n++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s",
		 mnl_attr_get_str(v.tb[FLOWOS_A_FLOW_NAME]));
	f->packets = flowctl_flow_stat(&v, FLOWOS_A_STATS_PACKETS_IN) +
		     flowctl_flow_stat(&v, FLOWOS_A_STATS_PACKETS_OUT);
	f->bytes = flowctl_flow_stat(&v, FLOWOS_A_STATS_BYTES_IN) +
		   flowctl_flow_stat(&v, FLOWOS_A_STATS_BYTES_OUT);
	f->drops = flowctl_flow_stat(&v, FLOWOS_A_STATS_RING_DROPS) +
		   flowctl_flow_stat(&v, FLOWOS_A_STATS_MEM_DROPS);
	return MNL_CB_OK;
}

/* The rows of table @v ("top_addrs"), as talkers of @f. */
static void take_talkers(struct top_flow *f, const struct nlattr *v)
{
	const struct nlattr *row, *cell;
	struct flowctl_cell c;
	struct talker *tk;

	mnl_attr_for_each_nested(row, v) {
		if (mnl_attr_get_type(row) != FLOWOS_A_VALUE_ROW ||
		    f->ntalkers == TOP_TALKERS)
			continue;
		tk = &f->talker[f->ntalkers];
		memset(tk, 0, sizeof(*tk));
		mnl_attr_for_each_nested(cell, row) {
			if (!flowctl_cell_of(cell, &c))
				continue;
			if (!strcmp(c.name, "addr"))
				snprintf(tk->addr, sizeof(tk->addr), "%s", c.text);
			else if (!strcmp(c.name, "bytes"))
				tk->bytes = c.u;
		}
		if (tk->addr[0])
			f->ntalkers++;
	}
}

/* An instance's message: a stats instance's top talkers go to @data. */
static int on_top_instance(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[FLOWOS_A_PM_MAX + 1], *v;
	const char *table;
	struct top_flow *f = data;

	if (flowctl_parse_msg(nlh, tb, FLOWOS_A_PM_MAX) || !tb[FLOWOS_A_PM_TYPE] ||
	    strcmp(mnl_attr_get_str(tb[FLOWOS_A_PM_TYPE]), "stats") ||
	    !tb[FLOWOS_A_PM_RESULTS] || f->ntalkers)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(v, tb[FLOWOS_A_PM_RESULTS]) {
		table = flowctl_table_name(v);
		if (table && !strcmp(table, "top_addrs"))
			take_talkers(f, v);
	}
	return MNL_CB_OK;
}

static const struct top_flow *find_last(const struct top *t, const char *name)
{
	int i;

	for (i = 0; i < t->nlast; i++)
		if (!strcmp(t->last[i].name, name))
			return &t->last[i];
	return NULL;
}

static double rate(uint64_t now, uint64_t then, double secs)
{
	return now >= then && secs > 0 ? (now - then) / secs : 0;
}

/* One round: the flows now, their rates since the last, their talkers. */
static int top_read(struct flowctl_nl *nl, struct top *t)
{
	const struct top_flow *was;
	struct nlmsghdr *nlh;
	struct top_flow *f;
	double secs;
	int i;

	free(t->last);
	t->last = t->f;
	t->nlast = t->n;
	t->last_at = t->at;
	t->f = NULL;
	t->n = 0;
	nlh = flowctl_nl_msg(nl, FLOWOS_CMD_FLOW_GET, NLM_F_DUMP);
	if (flowctl_nl_run(nl, nlh, on_top_flow, t))
		return flowctl_kernel_error(nl, "cannot list flows");
	clock_gettime(CLOCK_MONOTONIC, &t->at);
	secs = (t->at.tv_sec - t->last_at.tv_sec) +
	       (t->at.tv_nsec - t->last_at.tv_nsec) / 1e9;
	for (i = 0; i < t->n; i++) {
		f = &t->f[i];
		was = find_last(t, f->name);
		if (was) {
			f->rated = true;
			f->pps = rate(f->packets, was->packets, secs);
			f->bps = 8 * rate(f->bytes, was->bytes, secs);
			f->dps = rate(f->drops, was->drops, secs);
		}
		/* A flow deleted meanwhile has no instances: no talkers. */
		nlh = flowctl_nl_msg(nl, FLOWOS_CMD_STATS_GET, NLM_F_DUMP);
		mnl_attr_put_strz(nlh, FLOWOS_A_PM_FLOW, f->name);
		flowctl_nl_run(nl, nlh, on_top_instance, f);
	}
	return 0;
}

static enum top_key sort_key;

static int cmp_double(double a, double b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

/* Largest first; by name A to Z; ties by name. */
static int cmp_flows(const void *pa, const void *pb)
{
	const struct top_flow *a = pa, *b = pb;
	int c = 0;

	switch (sort_key) {
	case K_PPS:
		c = cmp_double(a->pps, b->pps);
		break;
	case K_BPS:
		c = cmp_double(a->bps, b->bps);
		break;
	case K_DROPS:
		c = cmp_double(a->dps, b->dps) ?: cmp_double(a->drops, b->drops);
		break;
	case K_PACKETS:
		c = cmp_double(a->packets, b->packets);
		break;
	case K_BYTES:
		c = cmp_double(a->bytes, b->bytes);
		break;
	case K_NAME:
		break;
	}
	return c ?: strcmp(a->name, b->name);
}

/* 1234567 as "1.23M": a rate in a column of its own width. */
static void print_rate(const struct top_flow *f, double r)
{
	static const char units[] = " kMGT";
	int u = 0;

	if (!f->rated) {
		printf(" %9s", "-");
		return;
	}
	while (r >= 1000 && u < 4) {
		r /= 1000;
		u++;
	}
	if (u)
		printf(" %8.2f%c", r, units[u]);
	else
		printf(" %9.0f", r);
}

static void top_print(struct top *t, unsigned int interval, bool tty)
{
	const struct top_flow *f;
	char when[32];
	time_t now = time(NULL);
	int i, k;

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	sort_key = t->key;
	qsort(t->f, t->n, sizeof(*t->f), cmp_flows);
	if (tty)
		printf("\033[H\033[2J");
	else
		printf("--- %ld\n", (long)now);
	printf("flowctl top  %s  %d flows, every %us, by %s", when, t->n,
	       interval, key_names[t->key]);
	printf(tty ? "  (p b d P B n: sort, q: quit)\n" : "\n");
	printf("%-*s %9s %9s %9s %12s %14s %10s\n", FLOWOS_NAME_MAX / 2, "FLOW",
	       "PKT/S", "BIT/S", "DROP/S", "PACKETS", "BYTES", "DROPS");
	for (i = 0; i < t->n; i++) {
		f = &t->f[i];
		printf("%-*s", FLOWOS_NAME_MAX / 2, f->name);
		print_rate(f, f->pps);
		print_rate(f, f->bps);
		print_rate(f, f->dps);
		printf(" %12llu %14llu %10llu\n", (unsigned long long)f->packets,
		       (unsigned long long)f->bytes, (unsigned long long)f->drops);
		for (k = 0; k < f->ntalkers; k++)
			printf("  talker %-39s %14llu bytes\n", f->talker[k].addr,
			       (unsigned long long)f->talker[k].bytes);
	}
	fflush(stdout);
}

static struct termios saved_tio;
static bool raw_tty;

static void tty_restore(void)
{
	if (raw_tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

/* Keys one at a time, unechoed, if standard input is a terminal. */
static void tty_raw(void)
{
	struct termios tio;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio))
		return;
	tio = saved_tio;
	tio.c_lflag &= ~(ICANON | ECHO);
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (!tcsetattr(STDIN_FILENO, TCSANOW, &tio)) {
		raw_tty = true;
		atexit(tty_restore);
	}
}

/*
 * Wait @ms for a key (or a signal to stop, blocked and polled for):
 * false to quit; a sort key changes @t->key, and the wait ends early.
 */
static bool top_wait(struct top *t, int ms, const sigset_t *stop)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	struct timespec zero = {};
	unsigned int i;
	char c;

	if (!raw_tty)
		return sigtimedwait(stop, NULL, &(struct timespec){
			.tv_sec = ms / 1000 }) < 0;
	if (poll(&pfd, 1, ms) <= 0)
		return sigtimedwait(stop, NULL, &zero) < 0;
	if (read(STDIN_FILENO, &c, 1) != 1 || c == 'q')
		return false;
	for (i = 0; i < ARRAY_SIZE(key_chars); i++)
		if (c == key_chars[i])
			t->key = i;
	return true;
}

static const char top_usage[] =
	"top [--sort pps|bps|drops|packets|bytes|name] [--interval SECONDS] [--count N]";

static int top_args(int argc, char **argv, struct top *t,
		    unsigned long *interval, unsigned long *count)
{
	unsigned int k;
	int i;

	for (i = 0; i < argc; i++) {
		if (i + 1 >= argc)
			return flowctl_usage_error("%s", top_usage);
		if (!strcmp(argv[i], "--sort")) {
			for (k = 0; k < ARRAY_SIZE(key_names) &&
			     strcmp(key_names[k], argv[i + 1]); k++)
				;
			if (k == ARRAY_SIZE(key_names))
				return flowctl_usage_error("--sort %s: %s", argv[i + 1],
							   "pps, bps, drops, packets, bytes or name");
			t->key = k;
		} else if (!strcmp(argv[i], "--interval")) {
			if (flowctl_parse_ulong(argv[i + 1], 3600, interval) || !*interval)
				return flowctl_usage_error("--interval wants seconds (1..3600)");
		} else if (!strcmp(argv[i], "--count")) {
			if (flowctl_parse_ulong(argv[i + 1], ULONG_MAX, count) || !*count)
				return flowctl_usage_error("--count wants a number of rounds");
		} else {
			return flowctl_usage_error("%s", top_usage);
		}
		i++;
	}
	return 0;
}

/* "flowctl top": until q, a signal, or --count rounds. */
static int cmd_top(struct flowctl_nl *nl, int argc, char **argv)
{
	unsigned long interval = 1, count = 0, round = 0;
	bool tty = isatty(STDOUT_FILENO);
	struct top t = { .key = K_PPS };
	sigset_t stop;
	int ret;

	ret = top_args(argc, argv, &t, &interval, &count);
	if (ret)
		return ret;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	if (tty)
		tty_raw();
	do {
		ret = top_read(nl, &t);
		if (ret)
			break;
		top_print(&t, interval, tty);
		if (count && ++round == count)
			break;
	} while (top_wait(&t, interval * 1000, &stop));
	tty_restore();
	raw_tty = false;
	free(t.f);
	free(t.last);
	return ret;
}

const struct flowctl_cmd flowctl_top_cmds[] = {
	{ "top", cmd_top, "[--sort KEY] [--interval SECONDS] [--count N]" },
	{ NULL },
};
