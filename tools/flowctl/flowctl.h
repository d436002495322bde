/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWCTL_H
#define _FLOWCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#include "kshim.h"
#include "nl.h"
#include <linux/flowos.h>

/* Exit statuses, as iproute2's: the kernel said no; the user erred. */
#define FLOWCTL_EXIT_ERROR	1
#define FLOWCTL_EXIT_USAGE	2

/* The version of Documentation/flowctl.schema.json that -j output follows. */
#define FLOWCTL_JSON_SCHEMA	1

struct flowctl_opts {
	bool json;
	bool pretty;
	const char *netns;
};

extern struct flowctl_opts flowctl_opts;

struct flowctl_cmd {
	const char *name;
	int (*run)(struct flowctl_nl *nl, int argc, char **argv);
	const char *args;
};

extern const struct flowctl_cmd flowctl_flow_cmds[];
extern const struct flowctl_cmd flowctl_pm_cmds[];
extern const struct flowctl_cmd flowctl_apply_cmds[];
extern const struct flowctl_cmd flowctl_top_cmds[];
extern const struct flowctl_cmd flowctl_exporter_cmds[];

/* A flow as a reply describes it (flow.c). */
struct flow_view {
	const struct nlattr *tb[FLOWOS_A_FLOW_MAX + 1];
	const struct nlattr *stats[FLOWOS_A_STATS_MAX + 1];
	uint8_t cmd;
};

struct json;
int flowctl_parse_flow(const struct nlmsghdr *nlh, struct flow_view *v);
uint64_t flowctl_flow_stat(const struct flow_view *v, int attr);
void flowctl_json_flow(struct json *j, const struct flow_view *v);
void flowctl_json_stamp(struct json *j, bool timed);
void flowctl_print_flow_counters(const struct flow_view *v);
void flowctl_print_create(const struct flow_view *v);
void flowctl_print_pm_event(const struct nlmsghdr *nlh);
int flowctl_create_pipeline(struct flowctl_nl *nl, struct nlmsghdr *nlh,
			    int argc, char **argv);

/* The most words of one command line (--batch, apply). */
#define FLOWCTL_MAX_WORDS	4096

/* A flow's definition, comparable with memcmp (flowctl_definition_key). */
struct flowctl_key {
	unsigned int len;
	char buf[1024];
};

int flowctl_definition_key(int n, char **words, struct flowctl_key *key);
int flowctl_match_words(int argc, char **argv);
int flowctl_split_words(char *line, char **argv);
const struct flowctl_cmd *flowctl_lookup_cmd(const char *name);
int flowctl_dump(struct flowctl_nl *nl, const char *flow);
int flowctl_dump_json(struct flowctl_nl *nl, const char *flow);

/* Where flowctl_conf_json_read() puts what it reads (conf_json.c). */
struct flowctl_conf_sink {
	void *ctx;
	/* a copy of @s that lives as long as what the words go to */
	char *(*keep)(void *ctx, const char *s);
	/* a flow, as create's words after "create"; @index from 1 */
	int (*flow)(void *ctx, char **w, int n, unsigned int index);
	/* what is wrong with flow @index (0: the file as a whole) */
	int (*error)(void *ctx, unsigned int index, const char *msg);
};

int flowctl_conf_json_read(FILE *f, const struct flowctl_conf_sink *sink);
bool flowctl_pm_core_key(const char *key);
void flowctl_print_word(const char *s);
int flowctl_parse_msg(const struct nlmsghdr *nlh, const struct nlattr **tb,
		      int max);
int flowctl_parse_nest(const struct nlattr *nest, const struct nlattr **tb,
		       int max);

/* A result value that is not a table, as text (pm.c). */
struct flowctl_cell {
	const char *name;
	const char *text;	/* the string value, or @buf */
	bool number;		/* a counter: @u, right-aligned in tables */
	uint64_t u;
	char buf[INET6_ADDRSTRLEN > 21 ? INET6_ADDRSTRLEN : 21];
};

bool flowctl_cell_of(const struct nlattr *nest, struct flowctl_cell *c);
const char *flowctl_table_name(const struct nlattr *v);

__printf(1, 2) int flowctl_usage_error(const char *fmt, ...);
int flowctl_kernel_error(const struct flowctl_nl *nl, const char *what);
int flowctl_parse_ulong(const char *s, unsigned long max, unsigned long *out);
const char *flowctl_enum_name(const char *const *names, unsigned int max,
			      unsigned int val);

#endif /* _FLOWCTL_H */
