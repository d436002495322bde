// SPDX-License-Identifier: GPL-2.0
/*
 * "flowctl apply [--dry-run] [--prune] FILE": make the namespace's flows
 * and PM instances what FILE says, changing only what differs, all or
 * nothing.
 *
 * FILE is what "flowctl dump" writes: "create NAME [MATCH...] [attach
 * TYPE [KEY VALUE]...]..." and "attach FLOW TYPE [KEY VALUE]..." lines,
 * quoted and commented as --batch reads them; the flow of an attach line
 * is one FILE creates.  Or what "flowctl -j dump" writes, the same in
 * JSON (conf_json.c), when its first character is a '{'.  The namespace
 * is read as "flowctl dump" writes it and parsed by the same code, so
 * both sides of each comparison come one way:
 *
 *   - a flow is the same when its definition means the same
 *     (flowctl_definition_key: what is left out is its default);
 *   - an instance, known by its flow and name (the type unless named),
 *     is the same when its type, order and workers are, and each
 *     parameter of its PM's schema: numbers by value ("10s" and
 *     "10000ms" are one), a parameter left out as its default, a list
 *     in order.
 *
 * A flow whose definition differs is changed in place ("change"), so
 * its counters and instances stay; an instance whose differing
 * parameters are all live is "set"; one that differs otherwise is
 * detached and attached again, and starts anew; a new flow is created
 * with its pipeline in one request, so that its PMs see its first
 * packet, unless its parameters are too large for one.  A flow FILE
 * leaves out stays, unless --prune.  Each step logs what undoes it; at
 * the first refusal the log runs backwards, and the error names FILE's
 * line.  The undo cannot bring back what a detach or a delete threw
 * away: a replaced instance's state, a pruned flow's counters.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowctl.h"
#include "json.h"

/* A flow or an instance, as the words of the line that makes it. */
struct entry {
	const char *flow;
	const char *name;	/* an instance's; NULL for a flow */
	char **w;		/* a flow's MATCH...; an instance's TYPE [K V]... */
	int n;
	unsigned int line;	/* FILE's line; 0 for the namespace's */
	bool kept;		/* the other side has it too */
};

/* A configuration: FILE's, or the namespace's as dump writes it. */
struct conf {
	const char *path;
	bool json;		/* FILE's "lines" are its flows, counted from 1 */
	struct entry *flows, *insts;
	int nflows, ninsts;
	char **lines;		/* what the words point into */
	int nlines;
};

/* A PM type's parameters, from the kernel (FLOWOS_CMD_PM_TYPE_GET). */
struct param_spec {
	char *name;
	uint8_t type;
	uint64_t def;
	bool live;
};

struct type_spec {
	char *name;
	struct param_spec *p;
	int n;
};

struct specs {
	struct type_spec *t;
	int n;
};

/*
 * One step, as a flowctl command, and the command that undoes it (or,
 * for a flow pruned, the flow as it was, to create again).
 */
struct step {
	char **argv, **undo;
	int argc, undo_argc;
	unsigned int line;
	const struct entry *recreate;
};

struct plan {
	struct step *s;
	int n;
	char **notes;		/* what a dry run says of what stays */
	int nnotes;
	char **strings;		/* words made for steps, freed with them */
	int nstrings;
};

static void *grow(void *p, int n, size_t size)
{
	void *q = realloc(p, (n + 1) * size);

	if (!q) {
		fputs("flowctl: out of memory\n", stderr);
		exit(FLOWCTL_EXIT_ERROR);
	}
	return q;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		fputs("flowctl: out of memory\n", stderr);
		exit(FLOWCTL_EXIT_ERROR);
	}
	return d;
}

static void conf_free(struct conf *c)
{
	int i;

	for (i = 0; i < c->nflows; i++)
		free(c->flows[i].w);
	for (i = 0; i < c->ninsts; i++)
		free(c->insts[i].w);
	for (i = 0; i < c->nlines; i++)
		free(c->lines[i]);
	free(c->flows);
	free(c->insts);
	free(c->lines);
}

static __printf(3, 4) int line_error(const struct conf *c, unsigned int line,
				     const char *fmt, ...)
{
	va_list ap;

	if (!c->json)
		fprintf(stderr, "flowctl: %s:%u: ", c->path, line);
	else if (line)
		fprintf(stderr, "flowctl: %s: flow %u: ", c->path, line);
	else
		fprintf(stderr, "flowctl: %s: ", c->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return FLOWCTL_EXIT_USAGE;
}

static struct entry *find(struct entry *e, int n, const char *flow,
			  const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(e[i].flow, flow) &&
		    (name ? e[i].name && !strcmp(e[i].name, name) : !e[i].name))
			return &e[i];
	return NULL;
}

static char **words_copy(char **w, int n)
{
	char **c = grow(NULL, n, sizeof(*c));

	memcpy(c, w, n * sizeof(*c));
	return c;
}

/*
 * An instance's words, TYPE [KEY VALUE]...: its name (the type's unless
 * "name" is given), and the core's keys checked, so that a bad one is
 * found before anything changes.
 */
static int add_inst(struct conf *c, const char *flow, char **w, int n,
		    unsigned int line)
{
	const char *name = w[0];
	unsigned long v;
	int i;

	if (n % 2 == 0)
		return line_error(c, line, "attach %s: parameter '%s' wants a value",
				  w[0], w[n - 1]);
	for (i = 1; i < n; i += 2) {
		if (!strcmp(w[i], "name"))
			name = w[i + 1];
		else if ((!strcmp(w[i], "order") &&
			  flowctl_parse_ulong(w[i + 1], FLOWOS_PM_ORDER_MAX, &v)) ||
			 (!strcmp(w[i], "workers") &&
			  (flowctl_parse_ulong(w[i + 1], FLOWOS_PM_WORKERS_MAX, &v) || !v)))
			return line_error(c, line, "attach %s: bad %s '%s'",
					  w[0], w[i], w[i + 1]);
	}
	if (find(c->insts, c->ninsts, flow, name))
		return line_error(c, line, "flow %s has an instance named %s already",
				  flow, name);
	c->insts = grow(c->insts, c->ninsts, sizeof(*c->insts));
	c->insts[c->ninsts++] = (struct entry){
		.flow = flow, .name = name, .w = words_copy(w, n), .n = n,
		.line = line,
	};
	return 0;
}

/* "create NAME [MATCH...] [attach TYPE [KEY VALUE]...]...": @w after create. */
static int add_create(struct conf *c, char **w, int n, unsigned int line)
{
	struct flowctl_key key;
	int m, i, end, err;

	if (n < 1)
		return line_error(c, line, "create wants a flow's name");
	if (find(c->flows, c->nflows, w[0], NULL))
		return line_error(c, line, "flow %s is created twice", w[0]);
	m = flowctl_match_words(n - 1, w + 1);
	if (flowctl_definition_key(m, w + 1, &key))
		return line_error(c, line, "create %s: bad definition", w[0]);
	c->flows = grow(c->flows, c->nflows, sizeof(*c->flows));
	c->flows[c->nflows++] = (struct entry){
		.flow = w[0], .w = words_copy(w + 1, m), .n = m, .line = line,
	};
	/* Its pipeline: each "attach" where a KEY would stand begins one. */
	for (i = 1 + m; i < n; i = end) {
		if (i + 1 >= n)
			return line_error(c, line, "attach wants a PM type");
		for (end = i + 2; end < n && strcmp(w[end], "attach"); end += 2)
			;
		if (end > n)
			end = n;
		err = add_inst(c, w[0], w + i + 1, end - i - 1, line);
		if (err)
			return err;
	}
	return 0;
}

/* One line of @c, its @n words in @w. */
static int add_line(struct conf *c, char **w, int n, unsigned int line)
{
	if (!strcmp(w[0], "create"))
		return add_create(c, w + 1, n - 1, line);
	if (strcmp(w[0], "attach"))
		return line_error(c, line, "'%s': apply takes create and attach lines only",
				  w[0]);
	if (n < 3)
		return line_error(c, line, "attach wants a flow and a PM type");
	if (!find(c->flows, c->nflows, w[1], NULL))
		return line_error(c, line, "flow %s is not created before this line",
				  w[1]);
	return add_inst(c, w[1], w + 2, n - 2, line);
}

/* Read @f into @c: FILE's lines, or the text of a dump. */
static int conf_read(struct conf *c, FILE *f)
{
	static char *w[FLOWCTL_MAX_WORDS];
	char *line = NULL, *copy;
	unsigned int n = 0;
	size_t size = 0;
	int argc, err = 0;

	while (!err && getline(&line, &size, f) >= 0) {
		n++;
		copy = xstrdup(line);
		c->lines = grow(c->lines, c->nlines, sizeof(*c->lines));
		c->lines[c->nlines++] = copy;
		argc = flowctl_split_words(copy, w);
		if (argc < 0)
			err = line_error(c, n, "an open quote or too many words");
		else if (argc)
			err = add_line(c, w, argc, n);
	}
	free(line);
	return err;
}

static char *conf_keep(void *ctx, const char *s)
{
	struct conf *c = ctx;

	c->lines = grow(c->lines, c->nlines, sizeof(*c->lines));
	return c->lines[c->nlines++] = xstrdup(s);
}

static int conf_add_flow(void *ctx, char **w, int n, unsigned int index)
{
	return add_create(ctx, w, n, index);
}

static int conf_json_error(void *ctx, unsigned int index, const char *msg)
{
	return line_error(ctx, index, "%s", msg);
}

/* Read @f, the JSON form, into @c. */
static int conf_read_json(struct conf *c, FILE *f)
{
	const struct flowctl_conf_sink sink = {
		.ctx = c, .keep = conf_keep, .flow = conf_add_flow,
		.error = conf_json_error,
	};

	c->json = true;
	return flowctl_conf_json_read(f, &sink);
}

/* Read FILE, in the command form or (a '{' first) the JSON one. */
static int conf_read_any(struct conf *c, FILE *f)
{
	int ch;

	do
		ch = getc(f);
	while (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r');
	if (ch != EOF)
		ungetc(ch, f);
	return ch == '{' ? conf_read_json(c, f) : conf_read(c, f);
}

/*
 * The namespace's configuration (of @flow, or all), read as "flowctl
 * dump" writes it.
 */
static int conf_of_namespace(struct flowctl_nl *nl, const char *flow,
			     struct conf *c)
{
	FILE *tmp = tmpfile();
	int saved, ret;

	if (!tmp) {
		fprintf(stderr, "flowctl: apply: %s\n", strerror(errno));
		return FLOWCTL_EXIT_ERROR;
	}
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	if (saved < 0 || dup2(fileno(tmp), STDOUT_FILENO) < 0) {
		fprintf(stderr, "flowctl: apply: %s\n", strerror(errno));
		fclose(tmp);
		return FLOWCTL_EXIT_ERROR;
	}
	ret = flowctl_dump(nl, flow);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	if (!ret) {
		rewind(tmp);
		c->path = "the namespace's dump";
		if (conf_read(c, tmp))
			ret = FLOWCTL_EXIT_ERROR;
	}
	fclose(tmp);
	return ret;
}

/* specs */

static int on_param_spec(const struct nlattr *nest, struct type_spec *t)
{
	const struct nlattr *tb[FLOWOS_A_PARAM_SPEC_MAX + 1];
	const struct nlattr *def;

	if (flowctl_parse_nest(nest, tb, FLOWOS_A_PARAM_SPEC_MAX) ||
	    !tb[FLOWOS_A_PARAM_SPEC_NAME] || !tb[FLOWOS_A_PARAM_SPEC_TYPE])
		return MNL_CB_ERROR;
	def = tb[FLOWOS_A_PARAM_SPEC_DEFAULT];
	t->p = grow(t->p, t->n, sizeof(*t->p));
	t->p[t->n++] = (struct param_spec){
		.name = xstrdup(mnl_attr_get_str(tb[FLOWOS_A_PARAM_SPEC_NAME])),
		.type = mnl_attr_get_u8(tb[FLOWOS_A_PARAM_SPEC_TYPE]),
		.def = def && mnl_attr_get_payload_len(def) == 8 ?
		       mnl_attr_get_u64(def) : 0,
		.live = tb[FLOWOS_A_PARAM_SPEC_LIVE],
	};
	return MNL_CB_OK;
}

static int on_type_spec(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[FLOWOS_A_TYPE_MAX + 1], *p;
	struct specs *sp = data;
	struct type_spec *t;

	if (flowctl_parse_msg(nlh, tb, FLOWOS_A_TYPE_MAX) ||
	    !tb[FLOWOS_A_TYPE_NAME])
		return MNL_CB_ERROR;
	sp->t = grow(sp->t, sp->n, sizeof(*sp->t));
	t = &sp->t[sp->n++];
	*t = (struct type_spec){
		.name = xstrdup(mnl_attr_get_str(tb[FLOWOS_A_TYPE_NAME])),
	};
	if (tb[FLOWOS_A_TYPE_PARAMS])
		mnl_attr_for_each_nested(p, tb[FLOWOS_A_TYPE_PARAMS])
			if (on_param_spec(p, t) != MNL_CB_OK)
				return MNL_CB_ERROR;
	return MNL_CB_OK;
}

static void specs_free(struct specs *sp)
{
	int i, k;

	for (i = 0; i < sp->n; i++) {
		for (k = 0; k < sp->t[i].n; k++)
			free(sp->t[i].p[k].name);
		free(sp->t[i].p);
		free(sp->t[i].name);
	}
	free(sp->t);
}

static const struct type_spec *spec_of(const struct specs *sp, const char *type)
{
	int i;

	for (i = 0; i < sp->n; i++)
		if (!strcmp(sp->t[i].name, type))
			return &sp->t[i];
	return NULL;
}

/* instances: comparing them */

/*
 * A value as the PM reads it (flowctl(8), PROCESSING MODULES): a
 * duration in ms ("10s", "250ms", "2m", "1h"; a bare number is
 * seconds), a decimal in thousandths, else a number.  False if it is
 * none: the kernel will say why.
 */
static bool value_of(uint8_t type, const char *s, uint64_t *v)
{
	static const struct { const char *suffix; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "", 1000 }, { "m", 60000 },
		{ "h", 3600000 },
	};
	size_t len = strspn(s, "0123456789"), flen;
	unsigned long long n, frac = 0;
	unsigned int i;
	char *end;

	if (!len || len > 19)
		return false;
	n = strtoull(s, &end, 10);
	if (type == FLOWOS_PARAM_DURATION) {
		for (i = 0; i < ARRAY_SIZE(units); i++)
			if (!strcmp(end, units[i].suffix))
				return !__builtin_mul_overflow(n, units[i].ms, v);
		return false;
	}
	if (type == FLOWOS_PARAM_DECIMAL) {
		if (*end == '.') {
			flen = strspn(end + 1, "0123456789");
			if (!flen || flen > 3 || end[1 + flen])
				return false;
			frac = strtoull(end + 1, NULL, 10);
			while (flen++ < 3)
				frac *= 10;
		} else if (*end) {
			return false;
		}
		return !__builtin_mul_overflow(n, 1000, v) &&
		       !__builtin_add_overflow(*v, frac, v);
	}
	*v = n;
	return !*end;
}

/* The value of the core's @key among @e's pairs, or NULL. */
static const char *core_value(const struct entry *e, const char *key)
{
	int i;

	for (i = 1; i + 1 < e->n; i += 2)
		if (!strcmp(e->w[i], key))
			return e->w[i + 1];
	return NULL;
}

/*
 * Parameter @p of @e, canonical, into @out (malloc'd): its values, each
 * ended by a NUL byte, numbers as decimal.  A "KEY @FILE" value is the
 * lines of FILE, as attach reads them.  NULL if it cannot be told (a
 * number that is none, given twice).
 */
static char *param_canon(const struct entry *e, const struct param_spec *p,
			 size_t *len)
{
	char *out = NULL, *line = NULL;
	size_t cap = 0;
	uint64_t v;
	ssize_t l;
	FILE *m = open_memstream(&out, len), *f;
	bool ok = m, given = false;
	int i;

	for (i = 1; ok && i + 1 < e->n; i += 2) {
		if (strcmp(e->w[i], p->name))
			continue;
		if (p->type != FLOWOS_PARAM_STRING) {
			ok = !given && value_of(p->type, e->w[i + 1], &v);
			given = true;
			if (ok)
				fprintf(m, "%llu%c", (unsigned long long)v, 0);
			continue;
		}
		if (e->w[i + 1][0] != '@') {
			fprintf(m, "%s%c", e->w[i + 1], 0);
			continue;
		}
		f = fopen(e->w[i + 1] + 1, "r");
		ok = f;
		while (f && (l = getline(&line, &cap, f)) >= 0) {
			if (l && line[l - 1] == '\n')
				line[--l] = '\0';
			if (l && line[0] != '#')
				fprintf(m, "%s%c", line, 0);
		}
		if (f)
			fclose(f);
	}
	if (ok && !given && p->type != FLOWOS_PARAM_STRING)
		fprintf(m, "%llu%c", (unsigned long long)p->def, 0);
	free(line);
	if (m)
		fclose(m);
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}

/* Whether @e has a key its type's schema does not: it cannot be compared. */
static bool has_unknown_key(const struct entry *e, const struct type_spec *t)
{
	int i, k;

	for (i = 1; i + 1 < e->n; i += 2) {
		if (flowctl_pm_core_key(e->w[i]))
			continue;
		for (k = 0; k < t->n && strcmp(t->p[k].name, e->w[i]); k++)
			;
		if (k == t->n)
			return true;
	}
	return false;
}

/* Whether @a and @b, of one flow and name, have one type, order, workers. */
static bool same_core(const struct entry *a, const struct entry *b)
{
	const char *oa = core_value(a, "order") ?: "0";
	const char *ob = core_value(b, "order") ?: "0";
	const char *wa = core_value(a, "workers") ?: "1";
	const char *wb = core_value(b, "workers") ?: "1";

	return !strcmp(a->w[0], b->w[0]) && strtoul(oa, NULL, 10) == strtoul(ob, NULL, 10) &&
	       strtoul(wa, NULL, 10) == strtoul(wb, NULL, 10);
}

enum diff { SAME, LIVE, OTHER };

/* @e's value of numeric parameter @p as written, or its default, formatted. */
static char *value_word(struct plan *pl, const struct entry *e,
			const struct param_spec *p);

/*
 * How @want differs from @have (one flow, one name): not at all, in
 * live numbers only, or otherwise.  For LIVE, @set and @unset get the
 * words after "set FLOW" that make @want's values and @have's again.
 */
static enum diff inst_diff(const struct entry *have, const struct entry *want,
			   const struct specs *sp, struct plan *pl,
			   char ***set, char ***unset, int *n)
{
	const struct type_spec *t = spec_of(sp, have->w[0]);
	enum diff d = SAME;
	char *a, *b;
	size_t la, lb;
	int k;

	if (!t || !same_core(have, want) || has_unknown_key(have, t) ||
	    has_unknown_key(want, t))
		return OTHER;
	*set = grow(NULL, 2 * t->n + 1, sizeof(**set));
	*unset = grow(NULL, 2 * t->n + 1, sizeof(**unset));
	(*set)[0] = (*unset)[0] = (char *)have->name;
	*n = 1;
	for (k = 0; k < t->n && d != OTHER; k++) {
		a = param_canon(have, &t->p[k], &la);
		b = param_canon(want, &t->p[k], &lb);
		if (!a || !b) {
			d = OTHER;
		} else if (la != lb || memcmp(a, b, la)) {
			if (!t->p[k].live || t->p[k].type == FLOWOS_PARAM_STRING) {
				d = OTHER;
			} else {
				d = LIVE;
				(*set)[*n] = (*unset)[*n] = t->p[k].name;
				(*set)[*n + 1] = value_word(pl, want, &t->p[k]);
				(*unset)[*n + 1] = value_word(pl, have, &t->p[k]);
				*n += 2;
			}
		}
		free(a);
		free(b);
	}
	if (d != LIVE) {
		free(*set);
		free(*unset);
	}
	return d;
}

/* plan */

static char *plan_string(struct plan *pl, char *s)
{
	if (!s) {
		fputs("flowctl: out of memory\n", stderr);
		exit(FLOWCTL_EXIT_ERROR);
	}
	pl->strings = grow(pl->strings, pl->nstrings, sizeof(*pl->strings));
	pl->strings[pl->nstrings++] = s;
	return s;
}

static char *value_word(struct plan *pl, const struct entry *e,
			const struct param_spec *p)
{
	unsigned long long v = p->def;
	char *s;
	int i;

	for (i = 1; i + 1 < e->n; i += 2)
		if (!strcmp(e->w[i], p->name))
			return e->w[i + 1];
	if (p->type == FLOWOS_PARAM_DURATION)
		return plan_string(pl, asprintf(&s, "%llums", v) < 0 ? NULL : s);
	if (p->type == FLOWOS_PARAM_DECIMAL)
		return plan_string(pl, asprintf(&s, "%llu.%03llu", v / 1000,
						v % 1000) < 0 ? NULL : s);
	return plan_string(pl, asprintf(&s, "%llu", v) < 0 ? NULL : s);
}

/* A command: @cmd, @flow if not NULL, then @n words of @w. */
static char **command(const char *cmd, const char *flow, char **w, int n,
		      int *argc)
{
	char **v = grow(NULL, n + 2, sizeof(*v));

	*argc = 0;
	v[(*argc)++] = (char *)cmd;
	if (flow)
		v[(*argc)++] = (char *)flow;
	memcpy(v + *argc, w, n * sizeof(*v));
	*argc += n;
	return v;
}

static void add_step(struct plan *pl, char **argv, int argc, char **undo,
		     int undo_argc, unsigned int line)
{
	pl->s = grow(pl->s, pl->n, sizeof(*pl->s));
	pl->s[pl->n++] = (struct step){
		.argv = argv, .argc = argc, .undo = undo,
		.undo_argc = undo_argc, .line = line,
	};
}

/* "detach FLOW NAME" */
static char **detach_words(const struct entry *e, int *argc)
{
	char *name = (char *)e->name;

	return command("detach", e->flow, &name, 1, argc);
}

static void step_attach(struct plan *pl, const struct entry *e,
			unsigned int line)
{
	int argc, uargc;
	char **argv = command("attach", e->flow, e->w, e->n, &argc);
	char **undo = detach_words(e, &uargc);

	add_step(pl, argv, argc, undo, uargc, line);
}

static void step_detach(struct plan *pl, const struct entry *e,
			unsigned int line)
{
	int argc, uargc;
	char **argv = detach_words(e, &argc);
	char **undo = command("attach", e->flow, e->w, e->n, &uargc);

	add_step(pl, argv, argc, undo, uargc, line);
}

/*
 * Bytes a pipeline entry of @e's words takes in a request, about; a
 * "KEY @FILE" value, whose size only attach reads, counts as too many.
 */
static size_t inst_bytes(const struct entry *e)
{
	size_t bytes = 64;
	int i;

	for (i = 0; i < e->n; i++) {
		if (i % 2 == 0 && i && e->w[i][0] == '@')
			return SIZE_MAX / 2;
		bytes += strlen(e->w[i]) + 12;
	}
	return bytes;
}

/*
 * "create" of flow @f with its instances of @c: in one request where
 * they fit, well within flowctl's 64 KiB request (a nest's length is a
 * u16), else the flow, then each instance ("flowctl dump" writes such).
 * @undo undoes the whole.
 */
static void step_create(struct plan *pl, const struct entry *f,
			const struct conf *c, unsigned int line, char **undo,
			int undo_argc)
{
	size_t bytes = 0;
	int i, words = f->n, argc, k = 0;
	char **argv;

	for (i = 0; i < c->ninsts; i++) {
		if (strcmp(c->insts[i].flow, f->flow))
			continue;
		bytes += inst_bytes(&c->insts[i]);
		words += 1 + c->insts[i].n;
		k++;
	}
	argv = command("create", f->flow, f->w, f->n, &argc);
	if (k > FLOWOS_PIPELINE_MAX || bytes >= 32768) {
		add_step(pl, argv, argc, undo, undo_argc, line);
		for (i = 0; i < c->ninsts; i++)
			if (!strcmp(c->insts[i].flow, f->flow))
				step_attach(pl, &c->insts[i], c->insts[i].line);
		return;
	}
	argv = grow(argv, words + 2, sizeof(*argv));
	for (i = 0; i < c->ninsts; i++) {
		if (strcmp(c->insts[i].flow, f->flow))
			continue;
		argv[argc++] = "attach";
		memcpy(argv + argc, c->insts[i].w, c->insts[i].n * sizeof(*argv));
		argc += c->insts[i].n;
	}
	add_step(pl, argv, argc, undo, undo_argc, line);
}

static void note(struct plan *pl, const char *flow)
{
	char *s;

	if (asprintf(&s, "# %s is not in the file: kept (--prune deletes it)",
		     flow) < 0)
		s = NULL;
	pl->notes = grow(pl->notes, pl->nnotes, sizeof(*pl->notes));
	pl->notes[pl->nnotes++] = plan_string(pl, s);
}

/* The steps that make the instances of flow @flow @want's. */
static void plan_instances(struct plan *pl, struct conf *have,
			   struct conf *want, const char *flow,
			   const struct specs *sp)
{
	char **set, **unset, **argv, **undo;
	int i, n, argc, uargc;
	struct entry *h, *w;

	for (i = 0; i < have->ninsts; i++) {
		h = &have->insts[i];
		if (strcmp(h->flow, flow))
			continue;
		w = find(want->insts, want->ninsts, flow, h->name);
		if (!w) {
			step_detach(pl, h, 0);
			continue;
		}
		w->kept = true;
		switch (inst_diff(h, w, sp, pl, &set, &unset, &n)) {
		case SAME:
			break;
		case LIVE:
			argv = command("set", flow, set, n, &argc);
			undo = command("set", flow, unset, n, &uargc);
			free(set);
			free(unset);
			add_step(pl, argv, argc, undo, uargc, w->line);
			break;
		case OTHER:
			step_detach(pl, h, w->line);
			step_attach(pl, w, w->line);
			break;
		}
	}
	for (i = 0; i < want->ninsts; i++) {
		w = &want->insts[i];
		if (!strcmp(w->flow, flow) && !w->kept)
			step_attach(pl, w, w->line);
	}
}

/*
 * The steps from @have to @want: for each flow of @want in its order,
 * create it, or change it and then its instances (detaches first, so a
 * replaced instance's name is free); with @prune, delete the flows
 * @want leaves out, last, so that a refusal before undoes no delete.
 */
static int plan_make(struct plan *pl, struct conf *have, struct conf *want,
		     const struct specs *sp, bool prune)
{
	struct flowctl_key kh, kw;
	struct entry *h, *w;
	char **argv, **undo;
	int i, argc, uargc;

	for (i = 0; i < want->nflows; i++) {
		w = &want->flows[i];
		h = find(have->flows, have->nflows, w->flow, NULL);
		if (!h) {
			undo = command("delete", w->flow, NULL, 0, &uargc);
			step_create(pl, w, want, w->line, undo, uargc);
			continue;
		}
		h->kept = true;
		if (flowctl_definition_key(h->n, h->w, &kh) ||
		    flowctl_definition_key(w->n, w->w, &kw))
			return FLOWCTL_EXIT_ERROR;
		if (kh.len != kw.len || memcmp(kh.buf, kw.buf, kh.len)) {
			argv = command("change", w->flow, w->w, w->n, &argc);
			undo = command("change", h->flow, h->w, h->n, &uargc);
			add_step(pl, argv, argc, undo, uargc, w->line);
		}
		plan_instances(pl, have, want, w->flow, sp);
	}
	for (i = 0; i < have->nflows; i++) {
		h = &have->flows[i];
		if (h->kept)
			continue;
		if (!prune) {
			note(pl, h->flow);
			continue;
		}
		/* Undone by creating it again, as it was, with its instances. */
		argv = command("delete", h->flow, NULL, 0, &argc);
		add_step(pl, argv, argc, NULL, 0, 0);
		pl->s[pl->n - 1].recreate = h;
	}
	return 0;
}

static void plan_free(struct plan *pl)
{
	int i;

	for (i = 0; i < pl->n; i++) {
		free(pl->s[i].argv);
		free(pl->s[i].undo);
	}
	for (i = 0; i < pl->nstrings; i++)
		free(pl->strings[i]);
	free(pl->s);
	free(pl->notes);
	free(pl->strings);
	memset(pl, 0, sizeof(*pl));
}

static void print_command(FILE *f, char **argv, int argc)
{
	int i;

	fflush(stdout);
	if (f == stdout) {
		printf("%s", argv[0]);
		for (i = 1; i < argc; i++)
			flowctl_print_word(argv[i]);
		printf("\n");
		return;
	}
	fprintf(f, "%s", argv[0]);
	for (i = 1; i < argc; i++)
		fprintf(f, " %s", argv[i]);
	fputc('\n', f);
}

/* A command's words run as flowctl runs them; its error printed. */
static int run(struct flowctl_nl *nl, char **argv, int argc)
{
	return flowctl_lookup_cmd(argv[0])->run(nl, argc - 1, argv + 1);
}

/* Undo step @s; false, and said, if the namespace refused. */
static bool undo_step(struct flowctl_nl *nl, const struct step *s,
		      const struct conf *have)
{
	struct plan again = {};
	bool ok = true;
	int i;

	if (s->undo && run(nl, s->undo, s->undo_argc)) {
		fputs("flowctl: apply: could not undo: ", stderr);
		print_command(stderr, s->argv, s->argc);
		return false;
	}
	if (!s->recreate)
		return true;
	step_create(&again, s->recreate, have, 0, NULL, 0);
	for (i = 0; i < again.n && ok; i++)
		if (run(nl, again.s[i].argv, again.s[i].argc)) {
			fputs("flowctl: apply: could not undo: ", stderr);
			print_command(stderr, s->argv, s->argc);
			ok = false;
		}
	plan_free(&again);
	return ok;
}

/* Run @pl's steps; at a refusal, undo those done, last first. */
static int plan_run(struct flowctl_nl *nl, const struct plan *pl,
		    const struct conf *have, const struct conf *want)
{
	bool undone = true;
	int i, failed, ret = 0;

	for (failed = 0; failed < pl->n; failed++) {
		ret = run(nl, pl->s[failed].argv, pl->s[failed].argc);
		if (ret)
			break;
	}
	if (!ret)
		return 0;
	if (pl->s[failed].line)
		fprintf(stderr, "flowctl: %s:%u: refused\n", want->path,
			pl->s[failed].line);
	else
		fprintf(stderr, "flowctl: %s: refused, taking away what it leaves out\n",
			want->path);
	for (i = failed - 1; i >= 0; i--)
		undone &= undo_step(nl, &pl->s[i], have);
	if (undone)
		fprintf(stderr, "flowctl: apply: nothing changed (%d step%s undone)\n",
			failed, failed == 1 ? "" : "s");
	else
		fputs("flowctl: apply: the namespace is left part way: \"flowctl dump\" shows it\n",
		      stderr);
	return ret;
}

static int read_specs(struct flowctl_nl *nl, struct specs *sp)
{
	struct nlmsghdr *nlh = flowctl_nl_msg(nl, FLOWOS_CMD_PM_TYPE_GET,
					      NLM_F_DUMP);

	if (flowctl_nl_run(nl, nlh, on_type_spec, sp))
		return flowctl_kernel_error(nl, "cannot list PM types");
	return 0;
}

static const char apply_usage[] = "apply [--dry-run] [--prune] FILE";

/* "flowctl apply [--dry-run] [--prune] FILE" */
static int cmd_apply(struct flowctl_nl *nl, int argc, char **argv)
{
	struct conf want = {}, have = {};
	bool dry = false, prune = false, json = flowctl_opts.json;
	struct specs sp = {};
	struct plan pl = {};
	const char *path = NULL;
	FILE *f;
	int i, ret;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			dry = true;
		else if (!strcmp(argv[i], "--prune"))
			prune = true;
		else if (!path)
			path = argv[i];
		else
			return flowctl_usage_error("%s", apply_usage);
	}
	if (!path)
		return flowctl_usage_error("%s", apply_usage);
	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		fprintf(stderr, "flowctl: cannot read %s: %s\n", path,
			strerror(errno));
		return FLOWCTL_EXIT_ERROR;
	}
	want.path = path;
	ret = conf_read_any(&want, f);
	if (f != stdin)
		fclose(f);
	/* The steps print nothing: their JSON replies are not apply's. */
	flowctl_opts.json = false;
	if (!ret)
		ret = conf_of_namespace(nl, NULL, &have);
	if (!ret)
		ret = read_specs(nl, &sp);
	if (!ret)
		ret = plan_make(&pl, &have, &want, &sp, prune);
	for (i = 0; !ret && dry && i < pl.n; i++)
		print_command(stdout, pl.s[i].argv, pl.s[i].argc);
	for (i = 0; !ret && dry && i < pl.nnotes; i++)
		printf("%s\n", pl.notes[i]);
	if (!ret && !dry)
		ret = plan_run(nl, &pl, &have, &want);
	flowctl_opts.json = json;
	plan_free(&pl);
	specs_free(&sp);
	conf_free(&have);
	conf_free(&want);
	return ret;
}

/* Whether word @k is one of create's keywords that stand alone. */
static bool is_family(const char *k)
{
	return !strcmp(k, "ip") || !strcmp(k, "ip6");
}

/*
 * conf_json_flow - a flow's definition, as the JSON form's members
 * @j: the writer, inside the flow's object
 * @name: the flow's name
 * @w: its definition's words, as create takes them after the name
 * @n: how many
 */
static void conf_json_flow(struct json *j, const char *name, char **w, int n)
{
	int i;

	json_str(j, "name", name);
	json_open(j, "match", '{');
	for (i = 0; i < n; i++) {
		if (is_family(w[i]))
			json_str(j, "family", w[i]);
		else if (i + 1 < n && ++i)
			json_str(j, w[i - 1], w[i]);
	}
	json_close(j, '}');
}

/* Whether @w[@i]'s key comes again after it among @n words (a list). */
static bool key_repeats(char **w, int n, int i)
{
	int k;

	for (k = 1; k < n; k += 2)
		if (k != i && !strcmp(w[k], w[i]))
			return true;
	return false;
}

/* Whether @w[@i]'s key came before it (its list is written already). */
static bool key_seen(char **w, int i)
{
	int k;

	for (k = 1; k < i; k += 2)
		if (!strcmp(w[k], w[i]))
			return true;
	return false;
}

/*
 * conf_json_pm - an instance, as an object of the JSON form
 * @j: the writer, inside the flow's "pms" list
 * @w: the instance's words, TYPE [KEY VALUE]..., as attach takes them
 * @n: how many
 */
static void conf_json_pm(struct json *j, char **w, int n)
{
	int i, k;

	json_open(j, NULL, '{');
	json_str(j, "type", w[0]);
	for (i = 1; i + 1 < n; i += 2)
		if (flowctl_pm_core_key(w[i]))
			json_str(j, w[i], w[i + 1]);
	json_open(j, "params", '{');
	for (i = 1; i + 1 < n; i += 2) {
		if (flowctl_pm_core_key(w[i]) || key_seen(w, i))
			continue;
		if (!key_repeats(w, n, i)) {
			json_str(j, w[i], w[i + 1]);
			continue;
		}
		json_open(j, w[i], '[');
		for (k = i; k + 1 < n; k += 2)
			if (!strcmp(w[k], w[i]))
				json_str(j, NULL, w[k + 1]);
		json_close(j, ']');
	}
	json_close(j, '}');
	json_close(j, '}');
}

/**
 * flowctl_dump_json - "flowctl -j dump [FLOW]": the JSON form
 * @nl: the socket
 * @flow: the flow to write, or NULL for every one
 *
 * Read as the command form is, then written from its words, so that the
 * two forms say the same.
 */
int flowctl_dump_json(struct flowctl_nl *nl, const char *flow)
{
	struct conf c = {};
	struct json j;
	int i, k, ret;

	flowctl_opts.json = false;	/* the dump's own output is text */
	ret = conf_of_namespace(nl, flow, &c);
	flowctl_opts.json = true;
	if (ret) {
		conf_free(&c);
		return ret;
	}
	json_init(&j, stdout, flowctl_opts.pretty);
	json_open(&j, NULL, '{');
	json_u64(&j, "schema", FLOWCTL_JSON_SCHEMA);
	json_open(&j, "flows", '[');
	for (i = 0; i < c.nflows; i++) {
		json_open(&j, NULL, '{');
		conf_json_flow(&j, c.flows[i].flow, c.flows[i].w, c.flows[i].n);
		json_open(&j, "pms", '[');
		for (k = 0; k < c.ninsts; k++)
			if (!strcmp(c.insts[k].flow, c.flows[i].flow))
				conf_json_pm(&j, c.insts[k].w, c.insts[k].n);
		json_close(&j, ']');
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_close(&j, '}');
	fflush(stdout);
	conf_free(&c);
	return 0;
}

const struct flowctl_cmd flowctl_apply_cmds[] = {
	{ "apply", cmd_apply, "[--dry-run] [--prune] FILE  (as dump writes)" },
	{ NULL },
};
