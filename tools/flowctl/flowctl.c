// SPDX-License-Identifier: GPL-2.0
/*
 * flowctl: create flows, attach processing modules and read what flowos
 * counts, over the "flowos" generic netlink family.
 *
 *   flowctl [-j] [-p] [-n NETNS] COMMAND [ARGS...]
 *   flowctl [-j] [-p] [-n NETNS] [--force] -b|--batch FILE
 *
 * Exit status: 0 on success, 1 when the kernel refused (its reason is
 * printed), 2 on a usage error.  See flowctl(8).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/flowos.h>

#include "flowctl.h"

struct flowctl_opts flowctl_opts;

/* Every command, by the file that implements it. */
static const struct flowctl_cmd *const cmd_tables[] = {
	flowctl_flow_cmds, flowctl_pm_cmds, flowctl_apply_cmds,
	flowctl_top_cmds, flowctl_exporter_cmds, NULL,
};

static void help(FILE *out)
{
	const struct flowctl_cmd *const *t, *c;

	fprintf(out, "usage: flowctl [-j] [-p] [-n NETNS] COMMAND [ARGS...]\n"
		"       flowctl [-j] [-p] [-n NETNS] [--force] -b|--batch FILE\n"
		"  -b, --batch    run the commands of FILE (- for stdin), one a line\n"
		"  -f, --force    in a batch, go on after a command fails\n"
		"  -j, --json     JSON output\n"
		"  -p, --pretty   indented JSON\n"
		"  -n, --netns    run in the named network namespace\n"
		"commands:\n");
	for (t = cmd_tables; *t; t++)
		for (c = *t; c->name; c++)
			fprintf(out, "  %-8s %s\n", c->name, c->args);
	fprintf(out, "MATCH (any order, each at most once):\n"
		"  ip | ip6                   address family\n"
		"  proto tcp|udp|sctp|icmp|icmpv6|N\n"
		"  src ADDR[/LEN], dst ADDR[/LEN]\n"
		"  sport PORT[-PORT], dport PORT[-PORT]   (tcp, udp, sctp)\n"
		"  icmp-type TYPE             (icmp, icmpv6) a number or a name:\n"
		"                             echo-request, destination-unreachable...\n"
		"  icmp-code N                (icmp, icmpv6)\n"
		"  dscp N|NAME                DiffServ code point: 0-63, ef, af11, cs1...\n"
		"  ecn N|NAME                 not-ect, ect1, ect0, ce or 0-3\n"
		"  dev IFNAME                 the device the packet is seen on\n"
		"  iifname NAME[*], oifname NAME[*]   the input, output (dir out)\n"
		"                             device's name now (a prefix with *)\n"
		"  vlan ID                    VLAN id (with dev: the VLAN's parent)\n"
		"  dir in|out|both            ingress (default), egress, both\n"
		"  prio N                     highest wins where flows overlap\n"
		"  qlen N                     units per CPU ring for PMs (power of 2)\n"
		"  mode passive|inline        inline: packets wait for the PMs\n"
		"  overflow accept|drop       inline: what to do when a packet\n"
		"                             cannot be held (default accept)\n");
}

int flowctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("flowctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (flowctl -h for help)\n", stderr);
	return FLOWCTL_EXIT_USAGE;
}

/* "flowctl: cannot create flow: File exists: a flow of this name exists" */
int flowctl_kernel_error(const struct flowctl_nl *nl, const char *what)
{
	fprintf(stderr, "flowctl: %s: %s%s%s\n", what, strerror(nl->err),
		nl->errmsg[0] ? ": " : "", nl->errmsg);
	return FLOWCTL_EXIT_ERROR;
}

int flowctl_parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || *out > max ? -1 : 0;
}

const char *flowctl_enum_name(const char *const *names, unsigned int max,
			      unsigned int val)
{
	return val <= max && names[val] ? names[val] : "unknown";
}

/* As "ip -n NETNS": the namespace that "ip netns add" made. */
static int enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (strchr(name, '/')) {
		fprintf(stderr, "flowctl: bad namespace name '%s'\n", name);
		return -1;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "flowctl: cannot enter namespace '%s': %s\n",
			name, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static const struct flowctl_cmd *find_cmd(const struct flowctl_cmd *c,
					  const char *name)
{
	while (c->name && strcmp(c->name, name))
		c++;
	return c;
}

/* The command called @name, or NULL. */
const struct flowctl_cmd *flowctl_lookup_cmd(const char *name)
{
	const struct flowctl_cmd *const *t, *c;

	for (t = cmd_tables; *t; t++) {
		c = find_cmd(*t, name);
		if (c->name)
			return c;
	}
	return NULL;
}

/*
 * @line's words into @argv, as a shell would split them for flowctl:
 * blanks separate, single or double quotes keep a word whole, a
 * backslash out of single quotes takes the next character as it is,
 * "#" out of quotes begins a comment.  Returns the number of words, or
 * -1 for an open quote or too many words.
 */
static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int flowctl_split_words(char *line, char **argv)
{
	char *in = line, *out = line;
	int argc = 0;
	char quote;

	for (;;) {
		while (blank(*in))
			in++;
		if (!*in || *in == '#')
			return argc;
		if (argc == FLOWCTL_MAX_WORDS)
			return -1;
		argv[argc++] = out;
		for (quote = 0; *in && (quote || !blank(*in)); in++) {
			if (*in == quote)
				quote = 0;
			else if (!quote && (*in == '"' || *in == '\''))
				quote = *in;
			else if (*in == '\\' && quote != '\'' && in[1])
				*out++ = *++in;
			else
				*out++ = *in;
		}
		if (quote)
			return -1;
		if (*in)
			in++;
		*out++ = '\0';
	}
}

/*
 * "flowctl --batch FILE": each line a command, as it would follow
 * "flowctl" (as "ip -batch").  Stops at the first that fails, unless
 * @force; its status is the batch's, with the file and line named.
 */
static int run_batch(struct flowctl_nl *nl, const char *path, bool force)
{
	static char *argv[FLOWCTL_MAX_WORDS];
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	const struct flowctl_cmd *c;
	int argc, ret = 0, status;
	unsigned int n = 0;
	char *line = NULL;
	size_t size = 0;

	if (!f) {
		fprintf(stderr, "flowctl: cannot read %s: %s\n", path,
			strerror(errno));
		return FLOWCTL_EXIT_ERROR;
	}
	while (getline(&line, &size, f) >= 0) {
		n++;
		argc = flowctl_split_words(line, argv);
		if (!argc)
			continue;
		c = argc > 0 ? flowctl_lookup_cmd(argv[0]) : NULL;
		if (argc < 0)
			status = flowctl_usage_error("an open quote or too many words");
		else if (!c)
			status = flowctl_usage_error("unknown command '%s'", argv[0]);
		else
			status = c->run(nl, argc - 1, argv + 1);
		fflush(stdout);
		if (!status)
			continue;
		fprintf(stderr, "flowctl: %s:%u: command failed\n", path, n);
		if (!ret)
			ret = status;
		if (!force)
			break;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "netns", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "batch", required_argument, NULL, 'b' },
		{ "force", no_argument, NULL, 'f' },
		{}
	};
	const struct flowctl_cmd *c = NULL;
	const char *batch = NULL;
	struct flowctl_nl *nl;
	bool force = false;
	int opt, ret, i;

	/* "-batch" and "-force", as ip(8) spells them, before the command. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-n") || !strcmp(argv[i], "--netns"))
			i++;
		else if (!strcmp(argv[i], "-batch"))
			argv[i] = "--batch";
		else if (!strcmp(argv[i], "-force"))
			argv[i] = "--force";
	}
	while ((opt = getopt_long(argc, argv, "+jpn:hVb:f", options, NULL)) != -1) {
		switch (opt) {
		case 'b':
			batch = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'j':
			flowctl_opts.json = true;
			break;
		case 'p':
			flowctl_opts.pretty = true;
			break;
		case 'n':
			flowctl_opts.netns = optarg;
			break;
		case 'h':
			help(stdout);
			return 0;
		case 'V':
			printf("flowctl, for the flowos netlink family version %d\n",
			       FLOWOS_FAMILY_VERSION);
			return 0;
		default:
			help(stderr);
			return FLOWCTL_EXIT_USAGE;
		}
	}
	if (batch ? optind < argc : optind >= argc) {
		help(stderr);
		return FLOWCTL_EXIT_USAGE;
	}
	if (!batch) {
		c = flowctl_lookup_cmd(argv[optind]);
		if (!c)
			return flowctl_usage_error("unknown command '%s'", argv[optind]);
	}

	if (flowctl_opts.netns && enter_netns(flowctl_opts.netns))
		return FLOWCTL_EXIT_ERROR;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return FLOWCTL_EXIT_ERROR;
	if (flowctl_nl_open(nl, FLOWOS_FAMILY_NAME, FLOWOS_FAMILY_VERSION,
			    FLOWOS_MCGRP_EVENTS)) {
		ret = flowctl_kernel_error(nl, "flowos");
	} else if (batch) {
		ret = run_batch(nl, batch, force);
	} else {
		ret = c->run(nl, argc - optind - 1, argv + optind + 1);
	}
	flowctl_nl_close(nl);
	free(nl);
	return ret;
}
