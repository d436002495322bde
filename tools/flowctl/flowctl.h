/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWCTL_H
#define _FLOWCTL_H

#include <stdbool.h>

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

/* A flow as a reply describes it (flow.c). */
struct flow_view {
	const struct nlattr *tb[FLOWOS_A_FLOW_MAX + 1];
	const struct nlattr *stats[FLOWOS_A_STATS_MAX + 1];
	uint8_t cmd;
};

struct json;
int flowctl_parse_flow(const struct nlmsghdr *nlh, struct flow_view *v);
void flowctl_json_flow(struct json *j, const struct flow_view *v);
void flowctl_json_stamp(struct json *j, bool timed);
void flowctl_print_flow_counters(const struct flow_view *v);
void flowctl_print_create(const struct flow_view *v);
void flowctl_print_pm_event(const struct nlmsghdr *nlh);
int flowctl_create_pipeline(struct flowctl_nl *nl, struct nlmsghdr *nlh,
			    int argc, char **argv);

__printf(1, 2) int flowctl_usage_error(const char *fmt, ...);
int flowctl_kernel_error(const struct flowctl_nl *nl, const char *what);
int flowctl_parse_ulong(const char *s, unsigned long max, unsigned long *out);
const char *flowctl_enum_name(const char *const *names, unsigned int max,
			      unsigned int val);

#endif /* _FLOWCTL_H */
