// SPDX-License-Identifier: GPL-2.0
/*
 * flowctl's PM commands: attach, detach, pms, stats.
 *
 * PM results are self-describing (uapi: enum flowos_a_value), so stats
 * shows any PM's results, tables included, without knowing the PM.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>

#include "flowctl.h"
#include "json.h"

static const char *const layer_names[] = {
	[FLOWOS_LAYER_IP] = "ip", [FLOWOS_LAYER_TCP] = "tcp",
	[FLOWOS_LAYER_UDP] = "udp", [FLOWOS_LAYER_ICMP] = "icmp",
	[FLOWOS_LAYER_PAYLOAD] = "payload",
	[FLOWOS_LAYER_STREAM] = "stream",
};

static const char *const mode_names[] = {
	[FLOWOS_PM_MODE_RO] = "ro", [FLOWOS_PM_MODE_RW] = "rw",
};

static const char *const type_names[] = {
	[FLOWOS_PARAM_U64] = "u64", [FLOWOS_PARAM_DURATION] = "duration",
	[FLOWOS_PARAM_STRING] = "string", [FLOWOS_PARAM_DECIMAL] = "decimal",
};

/* The top-level attributes of a message, by type (ignoring newer ones). */
struct attrs {
	const struct nlattr **tb;
	int max;
};

static int collect(const struct nlattr *attr, void *data)
{
	struct attrs *a = data;
	int type = mnl_attr_get_type(attr);

	if (type <= a->max)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

int flowctl_parse_msg(const struct nlmsghdr *nlh, const struct nlattr **tb,
		      int max)
{
	struct attrs a = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	return mnl_attr_parse(nlh, GENL_HDRLEN, collect, &a) < 0 ? -1 : 0;
}

int flowctl_parse_nest(const struct nlattr *nest, const struct nlattr **tb,
		       int max)
{
	struct attrs a = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	return mnl_attr_parse_nested(nest, collect, &a) < 0 ? -1 : 0;
}

static uint64_t u64_of(const struct nlattr *attr)
{
	return attr && mnl_attr_get_payload_len(attr) == 8 ?
	       mnl_attr_get_u64(attr) : 0;
}

static const char *str_of(const struct nlattr *attr)
{
	return attr && !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) ?
	       mnl_attr_get_str(attr) : "?";
}

/* attach */

/* Where each KEY VALUE pair sits in the request, to name the bad one. */
struct param_pos {
	const char *key;
	const char *value;
	uint32_t start, end;
};

#define MAX_PAIRS 2048

/* Where each instance of a pipeline (create ... attach ...) sits. */
struct entry_pos {
	const char *type;
	uint32_t start, end;
};

struct pairs {
	struct nlmsghdr *nlh;
	size_t room;		/* bytes the request may grow to */
	struct param_pos pos[MAX_PAIRS];
	int n;
	struct entry_pos ent[FLOWOS_PIPELINE_MAX];
	int nent;
};

static int put_pair(struct pairs *pp, const char *key, const char *value)
{
	struct nlattr *p;

	if (pp->n == MAX_PAIRS)
		return flowctl_usage_error("too many parameters");
	p = mnl_attr_nest_start_check(pp->nlh, pp->room, FLOWOS_A_PM_PARAM);
	if (!p || !mnl_attr_put_strz_check(pp->nlh, pp->room,
					   FLOWOS_A_PARAM_KEY, key) ||
	    !mnl_attr_put_strz_check(pp->nlh, pp->room,
				     FLOWOS_A_PARAM_VALUE, value))
		return flowctl_usage_error("parameters too large for one request");
	mnl_attr_nest_end(pp->nlh, p);
	pp->pos[pp->n].key = key;
	pp->pos[pp->n].value = value;
	pp->pos[pp->n].start = (char *)p - (char *)pp->nlh;
	pp->pos[pp->n].end = pp->pos[pp->n].start + p->nla_len;
	pp->n++;
	return 0;
}

/*
 * "KEY @FILE": one value per line of FILE, for lists such as patterns.
 * Empty lines and lines starting with '#' are skipped.  The values stay
 * allocated until flowctl exits: the error report names their key.
 */
static int put_file_pairs(struct pairs *pp, const char *key, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f = fopen(path, "r");
	int err = 0;

	if (!f)
		return flowctl_usage_error("cannot read '%s': %s", path,
					   strerror(errno));
	while (!err && (len = getline(&line, &cap, f)) >= 0) {
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		err = put_pair(pp, key, strdup(line));
	}
	free(line);
	fclose(f);
	return err;
}

static int put_params(struct pairs *pp, int argc, char **argv)
{
	struct nlattr *params;
	int i, err = 0;

	params = mnl_attr_nest_start_check(pp->nlh, pp->room, FLOWOS_A_PM_PARAMS);
	if (!params)
		return flowctl_usage_error("parameters too large for one request");
	for (i = 0; i < argc && !err; i += 2) {
		if (i + 1 >= argc)
			return flowctl_usage_error("parameter '%s' wants a value",
						   argv[i]);
		if (argv[i + 1][0] == '@')
			err = put_file_pairs(pp, argv[i], argv[i + 1] + 1);
		else
			err = put_pair(pp, argv[i], argv[i + 1]);
	}
	mnl_attr_nest_end(pp->nlh, params);
	return err;
}

static void print_reply(const struct nlmsghdr *nlh, struct json *j);

static int on_attached(const struct nlmsghdr *nlh, void *data)
{
	if (flowctl_opts.json) {
		struct json j;

		json_init(&j, stdout, flowctl_opts.pretty);
		print_reply(nlh, &j);
	}
	return MNL_CB_OK;
}

/* How many pairs of @pp have @key: a list parameter has several. */
static int key_count(const struct pairs *pp, const char *key)
{
	int i, n = 0;

	for (i = 0; i < pp->n; i++)
		n += !strcmp(pp->pos[i].key, key);
	return n;
}

/*
 * Send @pp's request.  An error the kernel pins on a pair names its key,
 * and its value where the key was given more than once (which of 1024
 * patterns is bad).
 */
static int run_with_params(struct flowctl_nl *nl, const struct pairs *pp,
			   const char *what, mnl_cb_t on_reply)
{
	const struct param_pos *pos;
	char where[64] = "";
	int i;

	if (!flowctl_nl_run(nl, pp->nlh, on_reply, NULL))
		return 0;
	for (i = 0; i < pp->nent; i++)
		if (nl->err_off >= pp->ent[i].start && nl->err_off < pp->ent[i].end)
			snprintf(where, sizeof(where), "attach %d (%s): ", i + 1,
				 pp->ent[i].type);
	for (i = 0; i < pp->n; i++) {
		pos = &pp->pos[i];
		if (nl->err_off < pos->start || nl->err_off >= pos->end)
			continue;
		fprintf(stderr, "flowctl: %s: %sparameter '%s': %s", what, where,
			pos->key, nl->errmsg[0] ? nl->errmsg : "invalid");
		if (key_count(pp, pos->key) > 1)
			fprintf(stderr, " (value '%s')", pos->value);
		fputc('\n', stderr);
		return FLOWCTL_EXIT_ERROR;
	}
	if (where[0]) {
		fprintf(stderr, "flowctl: %s: %s%s\n", what, where,
			nl->errmsg[0] ? nl->errmsg : strerror(nl->err));
		return FLOWCTL_EXIT_ERROR;
	}
	return flowctl_kernel_error(nl, what);
}

static const char attach_usage[] =
	"attach FLOW TYPE [name NAME] [order N] [workers N] [KEY VALUE|KEY @FILE]...";

/*
 * "name", "order" and "workers" are the core's, not the PM's: taken
 * wherever they stand among the PM's KEY VALUE pairs (no PM parameter
 * may have those names).  Returns 1 if @key is one, 0 if not, or a
 * usage error.
 */
static int put_core_pair(struct pairs *pp, const char *key, const char *value)
{
	unsigned long n;
	bool put;

	if (!strcmp(key, "name")) {
		put = mnl_attr_put_strz_check(pp->nlh, pp->room,
					      FLOWOS_A_PM_NAME, value);
	} else if (!strcmp(key, "order")) {
		if (flowctl_parse_ulong(value, 255, &n))
			return -flowctl_usage_error("bad order '%s'", value);
		put = mnl_attr_put_u8_check(pp->nlh, pp->room,
					    FLOWOS_A_PM_ORDER, n);
	} else if (!strcmp(key, "workers")) {
		if (flowctl_parse_ulong(value, 255, &n) || !n)
			return -flowctl_usage_error("bad number of workers '%s'",
						    value);
		put = mnl_attr_put_u8_check(pp->nlh, pp->room,
					    FLOWOS_A_PM_WORKERS, n);
	} else {
		return 0;
	}
	if (!put)
		return -flowctl_usage_error("parameters too large for one request");
	return 1;
}

/*
 * TYPE [name NAME] [order N] [workers N] [KEY VALUE|KEY @FILE]...: one
 * instance, into @pp's request.
 */
static int put_instance(struct pairs *pp, int argc, char **argv)
{
	char **pm_args;
	int i, n = 0, ret;

	if (!mnl_attr_put_strz_check(pp->nlh, pp->room, FLOWOS_A_PM_TYPE,
				     argv[0]))
		return flowctl_usage_error("parameters too large for one request");
	pm_args = calloc(argc, sizeof(*pm_args));
	if (!pm_args)
		return FLOWCTL_EXIT_ERROR;
	for (i = 1; i < argc; i += 2) {
		ret = i + 1 < argc ? put_core_pair(pp, argv[i], argv[i + 1]) : 0;
		if (ret < 0) {
			free(pm_args);
			return -ret;
		}
		if (ret)
			continue;
		pm_args[n++] = argv[i];
		if (i + 1 < argc)
			pm_args[n++] = argv[i + 1];
	}
	ret = put_params(pp, n, pm_args);
	free(pm_args);
	return ret ? FLOWCTL_EXIT_USAGE : 0;
}

/*
 * Begin @pp on @nlh, a request in @nl->req.  Its pairs are counted anew
 * for each request: in a batch, one command follows another.
 */
static void pairs_start(struct pairs *pp, struct flowctl_nl *nl,
			struct nlmsghdr *nlh)
{
	pp->nlh = nlh;
	pp->room = sizeof(nl->req);
	pp->n = 0;
	pp->nent = 0;
}

static int cmd_attach(struct flowctl_nl *nl, int argc, char **argv)
{
	static struct pairs pp;
	int ret;

	if (argc < 2)
		return flowctl_usage_error("%s", attach_usage);
	pairs_start(&pp, nl, flowctl_nl_msg(nl, FLOWOS_CMD_PM_ATTACH, 0));
	mnl_attr_put_strz(pp.nlh, FLOWOS_A_PM_FLOW, argv[0]);
	ret = put_instance(&pp, argc - 1, argv + 1);
	if (ret)
		return ret;
	return run_with_params(nl, &pp, "cannot attach", on_attached);
}

/**
 * flowctl_create_pipeline - send a create request with its PM pipeline
 * @nl: the connection
 * @nlh: the request, its flow's name and match put already
 * @argc: @argv's length
 * @argv: "attach TYPE [KEY VALUE]..." once or more: each instance as
 *	"flowctl attach" takes it, without the flow's name.  A word
 *	"attach" where a KEY would stand begins the next.
 *
 * An error the kernel pins on an instance says which, by number and type.
 */
int flowctl_create_pipeline(struct flowctl_nl *nl, struct nlmsghdr *nlh,
			    int argc, char **argv)
{
	static struct pairs pp;
	struct nlattr *pipeline, *entry;
	int i, end, ret;

	pairs_start(&pp, nl, nlh);
	pipeline = mnl_attr_nest_start(nlh, FLOWOS_A_FLOW_PIPELINE);
	for (i = 0; i < argc; i = end) {
		if (i + 1 >= argc)
			return flowctl_usage_error("attach wants a PM type");
		for (end = i + 2; end < argc && strcmp(argv[end], "attach");
		     end += 2)
			;
		if (end > argc)
			end = argc;	/* a KEY without its VALUE, put_params says */
		if (pp.nent == FLOWOS_PIPELINE_MAX)
			return flowctl_usage_error("more than %d instances",
						   FLOWOS_PIPELINE_MAX);
		entry = mnl_attr_nest_start_check(nlh, pp.room, pp.nent + 1);
		if (!entry)
			return flowctl_usage_error("the pipeline is too large for one request");
		ret = put_instance(&pp, end - i - 1, argv + i + 1);
		if (ret)
			return ret;
		mnl_attr_nest_end(nlh, entry);
		pp.ent[pp.nent].type = argv[i + 1];
		pp.ent[pp.nent].start = (char *)entry - (char *)nlh;
		pp.ent[pp.nent].end = pp.ent[pp.nent].start + entry->nla_len;
		pp.nent++;
	}
	mnl_attr_nest_end(nlh, pipeline);
	return run_with_params(nl, &pp, "cannot create flow", NULL);
}

static const char set_usage[] = "set FLOW NAME KEY VALUE [KEY VALUE]...";

static int cmd_set(struct flowctl_nl *nl, int argc, char **argv)
{
	static struct pairs pp;
	int i;

	if (argc < 4)
		return flowctl_usage_error("%s", set_usage);
	for (i = 3; i < argc; i += 2)
		if (argv[i][0] == '@')
			return flowctl_usage_error("set takes no @FILE values");
	pairs_start(&pp, nl, flowctl_nl_msg(nl, FLOWOS_CMD_PM_SET, 0));
	mnl_attr_put_strz(pp.nlh, FLOWOS_A_PM_FLOW, argv[0]);
	mnl_attr_put_strz(pp.nlh, FLOWOS_A_PM_NAME, argv[1]);
	if (put_params(&pp, argc - 2, argv + 2))
		return FLOWCTL_EXIT_USAGE;
	return run_with_params(nl, &pp, "cannot set", on_attached);
}

static int cmd_detach(struct flowctl_nl *nl, int argc, char **argv)
{
	struct nlmsghdr *nlh;

	if (argc != 2)
		return flowctl_usage_error("detach FLOW NAME");
	nlh = flowctl_nl_msg(nl, FLOWOS_CMD_PM_DETACH, 0);
	mnl_attr_put_strz(nlh, FLOWOS_A_PM_FLOW, argv[0]);
	mnl_attr_put_strz(nlh, FLOWOS_A_PM_NAME, argv[1]);
	if (flowctl_nl_run(nl, nlh, NULL, NULL))
		return flowctl_kernel_error(nl, "cannot detach");
	return 0;
}

/* pms */

/* A decimal parameter travels in thousandths: "2.5" is 2500. */
static void print_spec_value(uint8_t type, uint64_t v)
{
	if (type == FLOWOS_PARAM_DECIMAL && v % 1000)
		printf("%llu.%03llu", (unsigned long long)v / 1000,
		       (unsigned long long)v % 1000);
	else if (type == FLOWOS_PARAM_DECIMAL)
		printf("%llu", (unsigned long long)v / 1000);
	else
		printf("%llu", (unsigned long long)v);
}

static void print_param_spec(const struct nlattr *nest, struct json *j)
{
	const struct nlattr *tb[FLOWOS_A_PARAM_SPEC_MAX + 1];
	uint8_t type;

	if (flowctl_parse_nest(nest, tb, FLOWOS_A_PARAM_SPEC_MAX) ||
	    !tb[FLOWOS_A_PARAM_SPEC_TYPE])
		return;
	type = mnl_attr_get_u8(tb[FLOWOS_A_PARAM_SPEC_TYPE]);
	if (j) {
		json_open(j, NULL, '{');
		json_str(j, "name", str_of(tb[FLOWOS_A_PARAM_SPEC_NAME]));
		json_str(j, "type", flowctl_enum_name(type_names,
						      FLOWOS_PARAM_DECIMAL, type));
		json_u64(j, "min", u64_of(tb[FLOWOS_A_PARAM_SPEC_RANGE_MIN]));
		json_u64(j, "max", u64_of(tb[FLOWOS_A_PARAM_SPEC_RANGE_MAX]));
		json_u64(j, "default", u64_of(tb[FLOWOS_A_PARAM_SPEC_DEFAULT]));
		if (tb[FLOWOS_A_PARAM_SPEC_DOC])
			json_str(j, "doc", str_of(tb[FLOWOS_A_PARAM_SPEC_DOC]));
		json_bool(j, "live", tb[FLOWOS_A_PARAM_SPEC_LIVE]);
		json_close(j, '}');
		return;
	}
	if (type == FLOWOS_PARAM_STRING) {
		printf("    %-14s %s, given %llu..%llu times  %s\n",
		       str_of(tb[FLOWOS_A_PARAM_SPEC_NAME]), "string",
		       (unsigned long long)u64_of(tb[FLOWOS_A_PARAM_SPEC_RANGE_MIN]),
		       (unsigned long long)u64_of(tb[FLOWOS_A_PARAM_SPEC_RANGE_MAX]),
		       tb[FLOWOS_A_PARAM_SPEC_DOC] ?
		       str_of(tb[FLOWOS_A_PARAM_SPEC_DOC]) : "");
		return;
	}
	printf("    %-14s %s ", str_of(tb[FLOWOS_A_PARAM_SPEC_NAME]),
	       flowctl_enum_name(type_names, FLOWOS_PARAM_DECIMAL, type));
	print_spec_value(type, u64_of(tb[FLOWOS_A_PARAM_SPEC_RANGE_MIN]));
	printf("..");
	print_spec_value(type, u64_of(tb[FLOWOS_A_PARAM_SPEC_RANGE_MAX]));
	printf("%s, default ", type == FLOWOS_PARAM_DURATION ? " ms" : "");
	print_spec_value(type, u64_of(tb[FLOWOS_A_PARAM_SPEC_DEFAULT]));
	printf("%s  %s\n", tb[FLOWOS_A_PARAM_SPEC_LIVE] ? ", live" : "",
	       tb[FLOWOS_A_PARAM_SPEC_DOC] ?
	       str_of(tb[FLOWOS_A_PARAM_SPEC_DOC]) : "");
}

struct pms_ctx {
	struct json *j;
};

static int on_type(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[FLOWOS_A_TYPE_MAX + 1], *p;
	struct json *j = ((struct pms_ctx *)data)->j;
	uint8_t layer, mode, workers;

	if (flowctl_parse_msg(nlh, tb, FLOWOS_A_TYPE_MAX) || !tb[FLOWOS_A_TYPE_NAME] ||
	    !tb[FLOWOS_A_TYPE_LAYER] || !tb[FLOWOS_A_TYPE_MODE])
		return MNL_CB_ERROR;
	layer = mnl_attr_get_u8(tb[FLOWOS_A_TYPE_LAYER]);
	mode = mnl_attr_get_u8(tb[FLOWOS_A_TYPE_MODE]);
	workers = tb[FLOWOS_A_TYPE_WORKERS] ?
		  mnl_attr_get_u8(tb[FLOWOS_A_TYPE_WORKERS]) : 1;
	if (j) {
		json_open(j, NULL, '{');
		json_str(j, "name", str_of(tb[FLOWOS_A_TYPE_NAME]));
		json_str(j, "layer", flowctl_enum_name(layer_names,
						       FLOWOS_LAYER_MAX, layer));
		json_str(j, "mode", flowctl_enum_name(mode_names,
						      FLOWOS_PM_MODE_RW, mode));
		json_u64(j, "max_workers", workers);
		json_open(j, "params", '[');
	} else {
		printf("%s layer %s mode %s max_workers %u\n",
		       str_of(tb[FLOWOS_A_TYPE_NAME]),
		       flowctl_enum_name(layer_names, FLOWOS_LAYER_MAX, layer),
		       flowctl_enum_name(mode_names, FLOWOS_PM_MODE_RW, mode),
		       workers);
	}
	if (tb[FLOWOS_A_TYPE_PARAMS])
		mnl_attr_for_each_nested(p, tb[FLOWOS_A_TYPE_PARAMS])
			print_param_spec(p, j);
	if (j) {
		json_close(j, ']');
		json_close(j, '}');
	}
	return MNL_CB_OK;
}

static int cmd_pms(struct flowctl_nl *nl, int argc, char **argv)
{
	struct pms_ctx ctx = {};
	struct nlmsghdr *nlh;
	struct json j;
	int err;

	if (argc)
		return flowctl_usage_error("pms takes no arguments");
	if (flowctl_opts.json) {
		json_init(&j, stdout, flowctl_opts.pretty);
		json_open(&j, NULL, '[');
		ctx.j = &j;
	}
	nlh = flowctl_nl_msg(nl, FLOWOS_CMD_PM_TYPE_GET, NLM_F_DUMP);
	err = flowctl_nl_run(nl, nlh, on_type, &ctx);
	if (flowctl_opts.json)
		json_close(&j, ']');
	if (err)
		return flowctl_kernel_error(nl, "cannot list PM types");
	return 0;
}

/* stats: results */

static void print_value(const struct nlattr *nest, struct json *j, int indent);

/* A table's rows as JSON objects. */
static void print_rows(const struct nlattr *value, struct json *j)
{
	const struct nlattr *attr, *col;

	mnl_attr_for_each_nested(attr, value) {
		if (mnl_attr_get_type(attr) != FLOWOS_A_VALUE_ROW)
			continue;
		json_open(j, NULL, '{');
		mnl_attr_for_each_nested(col, attr)
			print_value(col, j, -1);
		json_close(j, '}');
	}
}

/* The name of a table value, or NULL if @v is not a table. */
const char *flowctl_table_name(const struct nlattr *v)
{
	const struct nlattr *tb[FLOWOS_A_VALUE_MAX + 1];

	if (flowctl_parse_nest(v, tb, FLOWOS_A_VALUE_MAX) || !tb[FLOWOS_A_VALUE_TABLE] ||
	    !tb[FLOWOS_A_VALUE_NAME])
		return NULL;
	return str_of(tb[FLOWOS_A_VALUE_NAME]);
}

/* @c from the value @nest; false if it has no name. */
bool flowctl_cell_of(const struct nlattr *nest, struct flowctl_cell *c)
{
	const struct nlattr *tb[FLOWOS_A_VALUE_MAX + 1], *addr;
	size_t len;

	if (flowctl_parse_nest(nest, tb, FLOWOS_A_VALUE_MAX) || !tb[FLOWOS_A_VALUE_NAME])
		return false;
	c->name = str_of(tb[FLOWOS_A_VALUE_NAME]);
	c->number = tb[FLOWOS_A_VALUE_U64];
	c->u = u64_of(tb[FLOWOS_A_VALUE_U64]);
	c->text = c->buf;
	addr = tb[FLOWOS_A_VALUE_ADDR];
	len = addr ? mnl_attr_get_payload_len(addr) : 0;
	if (c->number)
		snprintf(c->buf, sizeof(c->buf), "%llu", (unsigned long long)c->u);
	else if (tb[FLOWOS_A_VALUE_STRING])
		c->text = str_of(tb[FLOWOS_A_VALUE_STRING]);
	else if (!(len == 4 || len == 16) ||
		 !inet_ntop(len == 4 ? AF_INET : AF_INET6,
			    mnl_attr_get_payload(addr), c->buf, sizeof(c->buf)))
		snprintf(c->buf, sizeof(c->buf), "?");
	return true;
}

/*
 * A table in text, as ss(8) prints sockets: the columns' names on one
 * line, each row's values under them, counters right-aligned.  Its rows
 * may come in several parts (print_results), so they are gathered
 * first.  The columns are every row's, in the order they first appear;
 * a row without one shows "-".
 */
struct text_table {
	const struct nlattr **rows;
	unsigned int n_rows, room;
	const char **name;
	unsigned int *width;
	bool *number;
	unsigned int n_cols;
	struct flowctl_cell *cells;	/* one row's, by column */
	unsigned int n_cells;
};

/* A table too large for memory cannot be printed at all. */
static void *table_grow(void *p, size_t n, size_t size)
{
	p = reallocarray(p, n, size);
	if (!p) {
		fprintf(stderr, "flowctl: out of memory for a table of results\n");
		exit(1);
	}
	return p;
}

static void table_add_rows(struct text_table *t, const struct nlattr *value)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, value) {
		if (mnl_attr_get_type(attr) != FLOWOS_A_VALUE_ROW)
			continue;
		if (t->n_rows == t->room) {
			t->room = t->room ? 2 * t->room : 64;
			t->rows = table_grow(t->rows, t->room, sizeof(*t->rows));
		}
		t->rows[t->n_rows++] = attr;
	}
}

/*
 * The column called @name, added if new.  Rows mostly have the same
 * columns in the same order, so column @hint is tried first.
 */
static unsigned int table_column(struct text_table *t, const char *name,
				 unsigned int hint)
{
	unsigned int i, n = t->n_cols + 1;

	if (hint < t->n_cols && !strcmp(t->name[hint], name))
		return hint;
	for (i = 0; i < t->n_cols; i++)
		if (!strcmp(t->name[i], name))
			return i;
	t->name = table_grow(t->name, n, sizeof(*t->name));
	t->width = table_grow(t->width, n, sizeof(*t->width));
	t->number = table_grow(t->number, n, sizeof(*t->number));
	t->name[i] = name;
	t->width[i] = strlen(name);
	t->number[i] = true;
	t->n_cols = n;
	return i;
}

/*
 * Row @r's values in t->cells, by column ("-" where it has none); with
 * @measure, the columns (added as they first appear) grow to fit them.
 */
static void table_decode(struct text_table *t, unsigned int r, bool measure)
{
	const struct nlattr *v;
	unsigned int c, at = 0;
	struct flowctl_cell cell;

	for (c = 0; !measure && c < t->n_cells; c++)
		t->cells[c].text = "-";
	mnl_attr_for_each_nested(v, t->rows[r]) {
		if (flowctl_table_name(v) || !flowctl_cell_of(v, &cell))
			continue;
		c = table_column(t, cell.name, at++);
		if (measure) {
			if (strlen(cell.text) > t->width[c])
				t->width[c] = strlen(cell.text);
			t->number[c] &= cell.number;
		} else if (c < t->n_cells) {
			t->cells[c] = cell;
			t->cells[c].text = cell.text == cell.buf ?
					   t->cells[c].buf : cell.text;
		}
	}
}

static void table_print_cell(const struct text_table *t, unsigned int c,
			     const char *text)
{
	int width = t->width[c];

	printf("%s%*s", c ? "  " : "", t->number[c] ? width : -width, text);
}

/* Prints @t under its name @name at @indent, and empties it. */
static void table_print(struct text_table *t, const char *name, int indent)
{
	unsigned int c, r;

	printf("%*s%s:\n", indent, "", name);
	for (r = 0; r < t->n_rows; r++)
		table_decode(t, r, true);
	t->n_cells = t->n_cols;
	t->cells = table_grow(NULL, t->n_cells + 1, sizeof(*t->cells));
	if (t->n_rows) {
		printf("%*s", indent + 2, "");
		for (c = 0; c < t->n_cols; c++)
			table_print_cell(t, c, t->name[c]);
		printf("\n");
	}
	for (r = 0; r < t->n_rows; r++) {
		table_decode(t, r, false);
		printf("%*s", indent + 2, "");
		for (c = 0; c < t->n_cells; c++)
			table_print_cell(t, c, t->cells[c].text);
		printf("\n");
	}
	free(t->rows);
	free(t->name);
	free(t->width);
	free(t->number);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/*
 * One value: "name value" on its own line at @indent, or inline
 * (@indent < 0, an event's), or a JSON member.
 */
static void print_value(const struct nlattr *nest, struct json *j, int indent)
{
	const char *table = flowctl_table_name(nest);
	struct text_table t = {};
	struct flowctl_cell cell;

	if (table && j) {
		json_open(j, table, '[');
		print_rows(nest, j);
		json_close(j, ']');
	} else if (table) {
		table_add_rows(&t, nest);
		table_print(&t, table, indent < 0 ? 0 : indent);
	} else if (!flowctl_cell_of(nest, &cell)) {
		return;
	} else if (j && cell.number) {
		json_u64(j, cell.name, cell.u);
	} else if (j) {
		json_str(j, cell.name, cell.text);
	} else if (indent >= 0) {
		printf("%*s%s %s\n", indent, "", cell.name, cell.text);
	} else {
		printf(" %s %s", cell.name, cell.text);
	}
}

/* stats: instances */

static bool pair_is_list(const struct nlattr **tb)
{
	return tb[FLOWOS_A_PARAM_TYPE] &&
	       mnl_attr_get_u8(tb[FLOWOS_A_PARAM_TYPE]) == FLOWOS_PARAM_STRING;
}

/*
 * An instance as the kernel sends it: one message ("part") or several,
 * each carrying on the parameters and results where the previous one
 * stopped (uapi: FLOWOS_CMD_STATS_GET).  Copies: the receive buffer is
 * reused.
 */
struct instance {
	struct nlmsghdr **part;
	unsigned int n;
	const struct nlattr *tb[FLOWOS_A_PM_MAX + 1];	/* of part 0 */
};

/* The @attr nest of part @i of @in, or NULL. */
static const struct nlattr *part_nest(const struct instance *in,
				      unsigned int i, int attr)
{
	const struct nlattr *tb[FLOWOS_A_PM_MAX + 1];

	if (flowctl_parse_msg(in->part[i], tb, FLOWOS_A_PM_MAX))
		return NULL;
	return tb[attr];
}

/*
 * Parameters: KEY VALUE pairs; in JSON an object, where a string
 * parameter (a list, one pair per item) is an array of its items.
 */
static void print_params(const struct instance *in, struct json *j)
{
	const struct nlattr *tb[FLOWOS_A_PARAM_MAX + 1], *nest, *p;
	const char *list = NULL, *key;
	unsigned int i;

	if (j)
		json_open(j, "params", '{');
	for (i = 0; i < in->n; i++) {
		nest = part_nest(in, i, FLOWOS_A_PM_PARAMS);
		if (!nest)
			continue;
		mnl_attr_for_each_nested(p, nest) {
			if (flowctl_parse_nest(p, tb, FLOWOS_A_PARAM_MAX) ||
			    !tb[FLOWOS_A_PARAM_KEY] || !tb[FLOWOS_A_PARAM_VALUE])
				continue;
			key = str_of(tb[FLOWOS_A_PARAM_KEY]);
			if (!j) {
				printf(" %s %s", key, str_of(tb[FLOWOS_A_PARAM_VALUE]));
				continue;
			}
			if (list && strcmp(list, key)) {
				json_close(j, ']');
				list = NULL;
			}
			if (pair_is_list(tb) && !list) {
				json_open(j, key, '[');
				list = key;
			}
			json_str(j, list ? NULL : key, str_of(tb[FLOWOS_A_PARAM_VALUE]));
		}
	}
	if (list)
		json_close(j, ']');
	if (j)
		json_close(j, '}');
}

/*
 * @s as one word of a batch line (flowctl --batch): as it is when that
 * is unambiguous, else in double quotes, with " and \ escaped.
 */
static bool plain_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.:/@%+=,-", *s))
			return false;
	return true;
}

void flowctl_print_word(const char *s)
{
	const char *c;

	if (plain_word(s)) {
		printf(" %s", s);
		return;
	}
	printf(" \"");
	for (c = s; *c; c++)
		printf(*c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
	printf("\"");
}

/* The command that attaches @in again (flowctl dump). */
static void print_attach(const struct instance *in)
{
	const struct nlattr **tb = (const struct nlattr **)in->tb;
	const struct nlattr *ptb[FLOWOS_A_PARAM_MAX + 1], *nest, *p;
	unsigned int i;

	printf("attach");
	flowctl_print_word(str_of(tb[FLOWOS_A_PM_FLOW]));
	flowctl_print_word(str_of(tb[FLOWOS_A_PM_TYPE]));
	printf(" name");
	flowctl_print_word(str_of(tb[FLOWOS_A_PM_NAME]));
	printf(" order %u workers %u", mnl_attr_get_u8(tb[FLOWOS_A_PM_ORDER]),
	       tb[FLOWOS_A_PM_WORKERS] ? mnl_attr_get_u8(tb[FLOWOS_A_PM_WORKERS]) : 1);
	for (i = 0; i < in->n; i++) {
		nest = part_nest(in, i, FLOWOS_A_PM_PARAMS);
		if (!nest)
			continue;
		mnl_attr_for_each_nested(p, nest) {
			if (flowctl_parse_nest(p, ptb, FLOWOS_A_PARAM_MAX) ||
			    !ptb[FLOWOS_A_PARAM_KEY] || !ptb[FLOWOS_A_PARAM_VALUE])
				continue;
			flowctl_print_word(str_of(ptb[FLOWOS_A_PARAM_KEY]));
			flowctl_print_word(str_of(ptb[FLOWOS_A_PARAM_VALUE]));
		}
	}
	printf("\n");
}

/* The rows of table value @v: in JSON now, in text once all are in. */
static void results_rows(struct text_table *t, const struct nlattr *v,
			 struct json *j)
{
	if (j)
		print_rows(v, j);
	else
		table_add_rows(t, v);
}

/* The end of table @open, if one is open. */
static void results_close(struct text_table *t, const char *open,
			  struct json *j)
{
	if (open && j)
		json_close(j, ']');
	else if (open)
		table_print(t, open, 4);
}

/*
 * The results of every part: a table that a part ends with and the
 * next one begins with (the same name) is one table, its rows in order.
 */
static void print_results(const struct instance *in, struct json *j)
{
	const struct nlattr *nest, *v;
	const char *open = NULL, *name;
	struct text_table t = {};
	unsigned int i;
	bool first;

	for (i = 0; i < in->n; i++) {
		nest = part_nest(in, i, FLOWOS_A_PM_RESULTS);
		if (!nest)
			continue;
		first = true;
		mnl_attr_for_each_nested(v, nest) {
			name = flowctl_table_name(v);
			if (first && i && open && name && !strcmp(open, name)) {
				results_rows(&t, v, j);
				first = false;
				continue;
			}
			first = false;
			results_close(&t, open, j);
			open = NULL;
			if (!name) {
				print_value(v, j, 4);
				continue;
			}
			if (j)
				json_open(j, name, '[');
			results_rows(&t, v, j);
			open = name;
		}
	}
	results_close(&t, open, j);
}

/* One instance: a JSON object in @j, or text. */
static void print_instance(const struct instance *in, struct json *j)
{
	const struct nlattr **tb = (const struct nlattr **)in->tb;
	const struct nlattr *st[FLOWOS_A_PM_STATS_MAX + 1];
	unsigned int workers;

	workers = tb[FLOWOS_A_PM_WORKERS] ? mnl_attr_get_u8(tb[FLOWOS_A_PM_WORKERS]) : 1;
	if (tb[FLOWOS_A_PM_STATS])
		flowctl_parse_nest(tb[FLOWOS_A_PM_STATS], st, FLOWOS_A_PM_STATS_MAX);
	else
		memset(st, 0, sizeof(st));

	if (j) {
		json_open(j, NULL, '{');
		json_str(j, "name", str_of(tb[FLOWOS_A_PM_NAME]));
		json_str(j, "type", str_of(tb[FLOWOS_A_PM_TYPE]));
		json_u64(j, "order", mnl_attr_get_u8(tb[FLOWOS_A_PM_ORDER]));
		json_u64(j, "workers", workers);
	} else {
		printf("  pm %s type %s order %u workers %u",
		       str_of(tb[FLOWOS_A_PM_NAME]), str_of(tb[FLOWOS_A_PM_TYPE]),
		       mnl_attr_get_u8(tb[FLOWOS_A_PM_ORDER]), workers);
	}
	print_params(in, j);
	if (j) {
		json_u64(j, "processed", u64_of(st[FLOWOS_A_PM_STATS_PROCESSED]));
		json_u64(j, "backlog", u64_of(st[FLOWOS_A_PM_STATS_BACKLOG]));
		json_u64(j, "wakeups", u64_of(st[FLOWOS_A_PM_STATS_WAKEUPS]));
		json_u64(j, "dropped", u64_of(st[FLOWOS_A_PM_STATS_DROPPED]));
		json_open(j, "results", '{');
	} else {
		printf("\n    processed %llu backlog %llu wakeups %llu",
		       (unsigned long long)u64_of(st[FLOWOS_A_PM_STATS_PROCESSED]),
		       (unsigned long long)u64_of(st[FLOWOS_A_PM_STATS_BACKLOG]),
		       (unsigned long long)u64_of(st[FLOWOS_A_PM_STATS_WAKEUPS]));
		/* Only read-write PMs on inline flows drop packets. */
		if (u64_of(st[FLOWOS_A_PM_STATS_DROPPED]))
			printf(" dropped %llu",
			       (unsigned long long)u64_of(st[FLOWOS_A_PM_STATS_DROPPED]));
		printf("\n");
	}
	print_results(in, j);
	if (j) {
		json_close(j, '}');
		json_close(j, '}');
	}
}

/* A reply of one message: an attach or a set. */
static void print_reply(const struct nlmsghdr *nlh, struct json *j)
{
	struct nlmsghdr *part = (struct nlmsghdr *)nlh;
	struct instance in = { .part = &part, .n = 1 };

	if (flowctl_parse_msg(nlh, in.tb, FLOWOS_A_PM_MAX) || !in.tb[FLOWOS_A_PM_NAME] ||
	    !in.tb[FLOWOS_A_PM_TYPE] || !in.tb[FLOWOS_A_PM_ORDER])
		return;
	print_instance(&in, j);
}

static void instance_clear(struct instance *in)
{
	while (in->n)
		free(in->part[--in->n]);
	free(in->part);
	in->part = NULL;
}

/*
 * What a stats dump collects: every instance, whole, printed once the
 * dump has ended well (a dump read again must not print one twice).
 */
struct stats_ctx {
	struct instance in;	/* in progress */
	struct instance *done;
	unsigned int ndone;
	struct json *j;
	bool dump;		/* as the commands that make them again */
};

/* The instance in progress is whole: keep it with the others. */
static int instance_done(struct stats_ctx *sc)
{
	struct instance *grown;

	if (!sc->in.n)
		return 0;
	grown = realloc(sc->done, (sc->ndone + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	sc->done = grown;
	sc->done[sc->ndone++] = sc->in;
	memset(&sc->in, 0, sizeof(sc->in));
	return 0;
}

static void stats_print(struct stats_ctx *sc)
{
	unsigned int i;

	for (i = 0; i < sc->ndone; i++) {
		if (sc->dump)
			print_attach(&sc->done[i]);
		else
			print_instance(&sc->done[i], sc->j);
	}
}

static void stats_clear(struct stats_ctx *sc)
{
	while (sc->ndone)
		instance_clear(&sc->done[--sc->ndone]);
	free(sc->done);
	sc->done = NULL;
	instance_clear(&sc->in);
}

static uint32_t part_of(const struct nlattr **tb)
{
	return tb[FLOWOS_A_PM_PART] ? mnl_attr_get_u32(tb[FLOWOS_A_PM_PART]) : 0;
}

/*
 * A part: the first of an instance ends the one before; a later one
 * must carry on the instance in progress, or the reply is not whole.
 */
static int on_instance(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[FLOWOS_A_PM_MAX + 1];
	struct stats_ctx *sc = data;
	struct instance *in = &sc->in;
	struct nlmsghdr **grown, *copy;
	uint32_t part;

	if (flowctl_parse_msg(nlh, tb, FLOWOS_A_PM_MAX) || !tb[FLOWOS_A_PM_NAME] ||
	    !tb[FLOWOS_A_PM_TYPE] || !tb[FLOWOS_A_PM_ORDER] ||
	    !tb[FLOWOS_A_PM_FLOW])
		return MNL_CB_OK;
	part = part_of(tb);
	if (!part) {
		if (instance_done(sc))
			return MNL_CB_ERROR;
	} else if (part != in->n ||
		   strcmp(str_of(tb[FLOWOS_A_PM_NAME]), str_of(in->tb[FLOWOS_A_PM_NAME])) ||
		   strcmp(str_of(tb[FLOWOS_A_PM_FLOW]), str_of(in->tb[FLOWOS_A_PM_FLOW]))) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	grown = realloc(in->part, (in->n + 1) * sizeof(*grown));
	if (!grown)
		return MNL_CB_ERROR;
	in->part = grown;
	copy = malloc(nlh->nlmsg_len);
	if (!copy)
		return MNL_CB_ERROR;
	memcpy(copy, nlh, nlh->nlmsg_len);
	in->part[in->n++] = copy;
	if (!part)
		flowctl_parse_msg(copy, in->tb, FLOWOS_A_PM_MAX);
	return MNL_CB_OK;
}

/* What a PM instance announced: its event's name and values. */
static void print_pm_notice(const struct nlattr **tb)
{
	const struct nlattr *v;
	struct json j;

	if (flowctl_opts.json) {
		json_init(&j, stdout, flowctl_opts.pretty);
		json_open(&j, NULL, '{');
		flowctl_json_stamp(&j, true);
		json_str(&j, "event", str_of(tb[FLOWOS_A_PM_EVENT]));
		json_str(&j, "flow", str_of(tb[FLOWOS_A_PM_FLOW]));
		json_str(&j, "name", str_of(tb[FLOWOS_A_PM_NAME]));
		json_str(&j, "type", str_of(tb[FLOWOS_A_PM_TYPE]));
		json_open(&j, "values", '{');
	} else {
		printf("%s pm %s type %s flow %s:", str_of(tb[FLOWOS_A_PM_EVENT]),
		       str_of(tb[FLOWOS_A_PM_NAME]), str_of(tb[FLOWOS_A_PM_TYPE]),
		       str_of(tb[FLOWOS_A_PM_FLOW]));
	}
	if (tb[FLOWOS_A_PM_RESULTS])
		mnl_attr_for_each_nested(v, tb[FLOWOS_A_PM_RESULTS])
			print_value(v, flowctl_opts.json ? &j : NULL, -1);
	if (flowctl_opts.json) {
		json_close(&j, '}');
		json_close(&j, '}');
	} else {
		printf("\n");
	}
}

/*
 * "attach pm NAME type TYPE order N flow FLOW" (or set, detach), or
 * what an instance announced; or one JSON object.
 */
void flowctl_print_pm_event(const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *gh = mnl_nlmsg_get_payload(nlh);
	const char *event = gh->cmd == FLOWOS_CMD_PM_ATTACH ? "attach" :
			    gh->cmd == FLOWOS_CMD_PM_SET ? "set" : "detach";
	const struct nlattr *tb[FLOWOS_A_PM_MAX + 1];
	struct json j;

	if (flowctl_parse_msg(nlh, tb, FLOWOS_A_PM_MAX))
		return;
	if (gh->cmd == FLOWOS_CMD_PM_EVENT) {
		if (tb[FLOWOS_A_PM_EVENT])
			print_pm_notice(tb);
		fflush(stdout);
		return;
	}
	if (!tb[FLOWOS_A_PM_ORDER])
		return;
	if (flowctl_opts.json) {
		json_init(&j, stdout, flowctl_opts.pretty);
		json_open(&j, NULL, '{');
		flowctl_json_stamp(&j, true);
		json_str(&j, "event", event);
		json_str(&j, "flow", str_of(tb[FLOWOS_A_PM_FLOW]));
		json_str(&j, "name", str_of(tb[FLOWOS_A_PM_NAME]));
		json_str(&j, "type", str_of(tb[FLOWOS_A_PM_TYPE]));
		json_u64(&j, "order", mnl_attr_get_u8(tb[FLOWOS_A_PM_ORDER]));
		json_close(&j, '}');
	} else {
		printf("%s pm %s type %s order %u flow %s\n", event,
		       str_of(tb[FLOWOS_A_PM_NAME]), str_of(tb[FLOWOS_A_PM_TYPE]),
		       mnl_attr_get_u8(tb[FLOWOS_A_PM_ORDER]),
		       str_of(tb[FLOWOS_A_PM_FLOW]));
	}
	fflush(stdout);
}

/* A flow reply, copied: the reply buffer is reused by the next request. */
struct flow_copy {
	struct flow_view v;
	void *msg;
};

static int on_flow_copy(const struct nlmsghdr *nlh, void *data)
{
	struct flow_copy *fc = data;

	free(fc->msg);
	fc->msg = malloc(nlh->nlmsg_len);
	if (!fc->msg)
		return MNL_CB_ERROR;
	memcpy(fc->msg, nlh, nlh->nlmsg_len);
	return flowctl_parse_flow(fc->msg, &fc->v) ? MNL_CB_ERROR : MNL_CB_OK;
}

/* Reads of a flow's PMs, while they keep changing under the read. */
#define STATS_TRIES 5

/*
 * Stats of one flow: its counters, then each instance.  With @listed,
 * the flow came from a list of every flow, and one deleted since is
 * left out (FLOWCTL_GONE), not an error.
 */
#define FLOWCTL_GONE (-1)

static int flow_stats(struct flowctl_nl *nl, const char *flow, struct json *j,
		      bool listed, bool dump)
{
	struct stats_ctx sc = { .j = j, .dump = dump };
	struct flow_copy fc = {};
	struct nlmsghdr *nlh;
	int err, tries;

	nlh = flowctl_nl_msg(nl, FLOWOS_CMD_FLOW_GET, 0);
	mnl_attr_put_strz(nlh, FLOWOS_A_FLOW_NAME, flow);
	if (flowctl_nl_run(nl, nlh, on_flow_copy, &fc)) {
		free(fc.msg);
		if (listed && nl->err == ENOENT)
			return FLOWCTL_GONE;
		return flowctl_kernel_error(nl, "cannot read flow");
	}
	if (dump) {
		flowctl_print_create(&fc.v);
	} else if (j) {
		json_open(j, NULL, '{');
		flowctl_json_stamp(j, true);
		flowctl_json_flow(j, &fc.v);
		json_open(j, "pms", '[');
	} else {
		printf("flow %s: ", flow);
		flowctl_print_flow_counters(&fc.v);
		printf("\n");
	}
	free(fc.msg);

	/*
	 * A dump that a change of the namespace's PMs interrupted (the
	 * kernel flags it, NLM_F_DUMP_INTR) may have missed or repeated an
	 * instance: read it again, a few times, before giving up.
	 */
	for (tries = 0; tries < STATS_TRIES; tries++) {
		stats_clear(&sc);
		nlh = flowctl_nl_msg(nl, FLOWOS_CMD_STATS_GET, NLM_F_DUMP);
		mnl_attr_put_strz(nlh, FLOWOS_A_PM_FLOW, flow);
		err = flowctl_nl_run(nl, nlh, on_instance, &sc);
		if (!err || nl->err != EINTR)
			break;
	}
	/* Nothing of a dump that failed is shown. */
	if (!err)
		err = instance_done(&sc);
	if (!err)
		stats_print(&sc);
	stats_clear(&sc);
	if (j) {
		json_close(j, ']');
		json_close(j, '}');
	}
	if (err)
		return flowctl_kernel_error(nl, "cannot read PM stats");
	return 0;
}

struct names {
	char **name;
	int n;
};

static int on_flow_name(const struct nlmsghdr *nlh, void *data)
{
	struct names *names = data;
	struct flow_view v;
	char **grown;

	if (flowctl_parse_flow(nlh, &v))
		return MNL_CB_ERROR;
	grown = realloc(names->name, (names->n + 1) * sizeof(*grown));
	if (!grown)
		return MNL_CB_ERROR;
	names->name = grown;
	names->name[names->n] = strdup(mnl_attr_get_str(v.tb[FLOWOS_A_FLOW_NAME]));
	return names->name[names->n++] ? MNL_CB_OK : MNL_CB_ERROR;
}

static void names_free(struct names *names)
{
	while (names->n)
		free(names->name[--names->n]);
	free(names->name);
	names->name = NULL;
}

/*
 * One round of stats: of @flow, or of every flow.  With @ndjson, each
 * flow is one line of JSON with the time, for a pipeline to consume.
 * With @dump, as the commands that would make them again.
 */
static int stats_round(struct flowctl_nl *nl, const char *flow, bool ndjson,
		       bool dump)
{
	struct names names = {};
	bool json = flowctl_opts.json && !dump;
	bool array = json && !flow && !ndjson;
	struct json j, *jp = json ? &j : NULL;
	struct nlmsghdr *nlh;
	int i, ret = 0;

	if (flow) {
		names.name = malloc(sizeof(*names.name));
		if (!names.name)
			return FLOWCTL_EXIT_ERROR;
		names.name[names.n++] = strdup(flow);
	} else {
		nlh = flowctl_nl_msg(nl, FLOWOS_CMD_FLOW_GET, NLM_F_DUMP);
		if (flowctl_nl_run(nl, nlh, on_flow_name, &names)) {
			names_free(&names);
			return flowctl_kernel_error(nl, "cannot list flows");
		}
	}
	json_init(&j, stdout, flowctl_opts.pretty && !ndjson);
	if (array)
		json_open(&j, NULL, '[');
	for (i = 0; i < names.n && !ret; i++) {
		if (ndjson)
			json_init(&j, stdout, false);
		ret = flow_stats(nl, names.name[i], jp, !flow, dump);
		if (ret == FLOWCTL_GONE)
			ret = 0;
	}
	if (array)
		json_close(&j, ']');
	names_free(&names);
	fflush(stdout);
	return ret;
}

/* "flowctl stats [FLOW] [--watch SECONDS]" */
static int cmd_stats(struct flowctl_nl *nl, int argc, char **argv)
{
	unsigned long watch = 0;
	const char *flow = NULL;
	sigset_t stop;
	int i, ret;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--watch") || !strcmp(argv[i], "-w")) {
			if (i + 1 >= argc ||
			    flowctl_parse_ulong(argv[++i], 86400, &watch) || !watch)
				return flowctl_usage_error("--watch wants seconds (1..86400)");
		} else if (!flow) {
			flow = argv[i];
		} else {
			return flowctl_usage_error("stats [FLOW] [--watch SECONDS]");
		}
	}
	if (!watch)
		return stats_round(nl, flow, false, false);

	/* Wait for the next round or a signal to stop, whichever comes. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	do {
		if (!flowctl_opts.json)
			printf("--- %ld\n", (long)time(NULL));
		ret = stats_round(nl, flow, flowctl_opts.json, false);
		if (ret)
			return ret;
	} while (sigtimedwait(&stop, NULL,
			      &(struct timespec){ .tv_sec = watch }) < 0);
	return 0;
}

/* Every flow (or @flow) and its instances, as "flowctl dump" writes them. */
int flowctl_dump(struct flowctl_nl *nl, const char *flow)
{
	return stats_round(nl, flow, false, true);
}

/*
 * "flowctl dump [FLOW]": the flows and their instances as the commands
 * that make them again, for "flowctl --batch" (read with the instances'
 * stats: the kernel has no lighter read of their parameters).
 */
static int cmd_dump(struct flowctl_nl *nl, int argc, char **argv)
{
	if (argc > 1)
		return flowctl_usage_error("dump [FLOW]");
	if (flowctl_opts.json)
		return flowctl_dump_json(nl, argc ? argv[0] : NULL);
	return flowctl_dump(nl, argc ? argv[0] : NULL);
}

const struct flowctl_cmd flowctl_pm_cmds[] = {
	{ "attach", cmd_attach,
	  "FLOW TYPE [name NAME] [order N] [workers N] [KEY VALUE|KEY @FILE]..." },
	{ "detach", cmd_detach, "FLOW NAME" },
	{ "set", cmd_set, "FLOW NAME KEY VALUE [KEY VALUE]..." },
	{ "pms", cmd_pms, "" },
	{ "stats", cmd_stats, "[FLOW] [--watch SECONDS]" },
	{ "dump", cmd_dump, "[FLOW]  (as commands for --batch; -j: as JSON)" },
	{ NULL },
};
