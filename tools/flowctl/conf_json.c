// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON form of a configuration, for programs: what "flowctl -j dump"
 * writes and "flowctl apply" reads besides the command form.
 *
 *   {"schema": 1, "flows": [
 *     {"name": "web",
 *      "match": {"family": "ip", "proto": "tcp", "dport": "80"},
 *      "pms": [{"type": "match", "name": "m", "order": 1,
 *               "params": {"pattern": ["GET /", "hex:0d0a"],
 *                          "nocase": "1"}}]}]}
 *
 * A flow is its name, its match (each keyword of create with its value;
 * "family" for ip or ip6, and the definition's prio, qlen, mode and
 * overflow) and its instances in attach order (type, name, order,
 * workers, and each parameter: a string, or a list for a parameter
 * given more than once).  Values may be numbers where the command form
 * takes one.  The form is the command form's words, structured: both
 * come to the same words, and apply treats them alike.  Members it does
 * not know are refused, not ignored, as a misspelt keyword is.
 * Parsed with json-c; written (apply.c, flowctl_dump_json) with
 * flowctl's own writer, whose json_bool() json-c's types would shadow.
 */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "flowctl.h"

/* An instance's keys that are not parameters. */
static const char *const pm_core_keys[] = { "name", "order", "workers" };

/* Words being gathered for one flow. */
struct words {
	const struct flowctl_conf_sink *sink;
	char *w[FLOWCTL_MAX_WORDS];
	int n;
	bool full;
};

static void put_word(struct words *ws, const char *s)
{
	if (ws->n == FLOWCTL_MAX_WORDS) {
		ws->full = true;
		return;
	}
	ws->w[ws->n++] = ws->sink->keep(ws->sink->ctx, s);
}

/* A scalar as the word the command form would have: false if it is none. */
static bool put_value(struct words *ws, struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
	case json_type_int:
		put_word(ws, json_object_get_string(v));
		return true;
	default:
		return false;
	}
}

static int bad(const struct flowctl_conf_sink *sink, unsigned int index,
	       const char *what, const char *key)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s%s%s", what, key ? ": " : "", key ? key : "");
	return sink->error(sink->ctx, index, msg);
}

static int match_words(struct words *ws, struct json_object *match,
		       unsigned int index)
{
	if (!json_object_is_type(match, json_type_object))
		return bad(ws->sink, index, "\"match\" is not an object", NULL);
	json_object_object_foreach(match, key, v) {
		if (!strcmp(key, "family")) {
			if (!json_object_is_type(v, json_type_string))
				return bad(ws->sink, index, "\"family\" is not \"ip\" or \"ip6\"",
					   NULL);
			put_word(ws, json_object_get_string(v));
			continue;
		}
		put_word(ws, key);
		if (!put_value(ws, v))
			return bad(ws->sink, index, "a match value is not a string or integer",
				   key);
	}
	return 0;
}

/* Whether an instance's @key is attach's own (name, order, workers). */
bool flowctl_pm_core_key(const char *key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pm_core_keys); i++)
		if (!strcmp(key, pm_core_keys[i]))
			return true;
	return false;
}

/* "attach TYPE [name N] [order N] [workers N] [KEY VALUE]..." */
static int pm_words(struct words *ws, struct json_object *pm, unsigned int index)
{
	struct json_object *type, *params, *item;
	size_t i;

	if (!json_object_is_type(pm, json_type_object) ||
	    !json_object_object_get_ex(pm, "type", &type) ||
	    !json_object_is_type(type, json_type_string))
		return bad(ws->sink, index, "an instance without a \"type\" string", NULL);
	put_word(ws, "attach");
	put_word(ws, json_object_get_string(type));
	json_object_object_foreach(pm, key, v) {
		if (!strcmp(key, "type") || !strcmp(key, "params"))
			continue;
		if (!flowctl_pm_core_key(key))
			return bad(ws->sink, index, "an instance's unknown member", key);
		put_word(ws, key);
		if (!put_value(ws, v))
			return bad(ws->sink, index, "not a string or integer", key);
	}
	if (!json_object_object_get_ex(pm, "params", &params))
		return 0;
	if (!json_object_is_type(params, json_type_object))
		return bad(ws->sink, index, "\"params\" is not an object", NULL);
	json_object_object_foreach(params, pkey, pv) {
		if (!json_object_is_type(pv, json_type_array)) {
			put_word(ws, pkey);
			if (!put_value(ws, pv))
				return bad(ws->sink, index, "not a string, integer or list", pkey);
			continue;
		}
		for (i = 0; i < json_object_array_length(pv); i++) {
			item = json_object_array_get_idx(pv, i);
			put_word(ws, pkey);
			if (!put_value(ws, item))
				return bad(ws->sink, index, "a list item not a string or integer",
					   pkey);
		}
	}
	return 0;
}

/* One flow, its @index counted from 1, as create's words. */
static int flow_words(const struct flowctl_conf_sink *sink,
		      struct json_object *flow, unsigned int index)
{
	struct json_object *name, *match, *pms;
	struct words *ws;
	size_t i;
	int err = 0;

	if (!json_object_is_type(flow, json_type_object) ||
	    !json_object_object_get_ex(flow, "name", &name) ||
	    !json_object_is_type(name, json_type_string))
		return bad(sink, index, "a flow without a \"name\" string", NULL);
	json_object_object_foreach(flow, key, v) {
		(void)v;
		if (strcmp(key, "name") && strcmp(key, "match") && strcmp(key, "pms"))
			return bad(sink, index, "a flow's unknown member", key);
	}
	ws = calloc(1, sizeof(*ws));
	if (!ws)
		return bad(sink, index, "out of memory", NULL);
	ws->sink = sink;
	put_word(ws, json_object_get_string(name));
	if (json_object_object_get_ex(flow, "match", &match))
		err = match_words(ws, match, index);
	if (!err && json_object_object_get_ex(flow, "pms", &pms)) {
		if (!json_object_is_type(pms, json_type_array))
			err = bad(sink, index, "\"pms\" is not a list", NULL);
		for (i = 0; !err && i < json_object_array_length(pms); i++)
			err = pm_words(ws, json_object_array_get_idx(pms, i), index);
	}
	if (!err && ws->full)
		err = bad(sink, index, "too many words for one flow", NULL);
	if (!err)
		err = sink->flow(sink->ctx, ws->w, ws->n, index);
	free(ws);
	return err;
}

/**
 * flowctl_conf_json_read - a configuration in JSON, flow by flow
 * @f: the file, read to its end
 * @sink: what takes each flow's words (and says what is wrong where)
 *
 * Returns 0, or what @sink's error or flow callback returned.
 */
int flowctl_conf_json_read(FILE *f, const struct flowctl_conf_sink *sink)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *top = NULL, *flows, *schema;
	enum json_tokener_error jerr = json_tokener_continue;
	char buf[4096];
	size_t n, i;
	int err = 0;

	if (!tok)
		return bad(sink, 0, "out of memory", NULL);
	while (!top && jerr == json_tokener_continue &&
	       (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		top = json_tokener_parse_ex(tok, buf, n);
		jerr = json_tokener_get_error(tok);
	}
	if (!top) {
		err = bad(sink, 0, "not JSON",
			  jerr == json_tokener_continue ? "it ends too soon" :
			  json_tokener_error_desc(jerr));
		goto out;
	}
	if (!json_object_is_type(top, json_type_object) ||
	    !json_object_object_get_ex(top, "flows", &flows) ||
	    !json_object_is_type(flows, json_type_array)) {
		err = bad(sink, 0, "not an object with a \"flows\" list", NULL);
		goto out;
	}
	if (json_object_object_get_ex(top, "schema", &schema) &&
	    json_object_get_int(schema) != FLOWCTL_JSON_SCHEMA) {
		err = bad(sink, 0, "a schema this flowctl does not know", NULL);
		goto out;
	}
	for (i = 0; !err && i < json_object_array_length(flows); i++)
		err = flow_words(sink, json_object_array_get_idx(flows, i), i + 1);
out:
	json_object_put(top);
	json_tokener_free(tok);
	return err;
}
