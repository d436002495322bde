// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "json.h"

void json_init(struct json *j, FILE *out, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->pretty = pretty;
	j->first[0] = true;
}

static void put_escaped(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void newline(struct json *j)
{
	if (j->pretty)
		fprintf(j->out, "\n%*s", 2 * j->depth, "");
}

/* The separator and key before a value at the current depth. */
static void begin_value(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->out);
	j->first[j->depth] = false;
	if (j->depth)
		newline(j);
	if (key) {
		put_escaped(j->out, key);
		fputs(j->pretty ? ": " : ":", j->out);
	}
}

void json_open(struct json *j, const char *key, char bracket)
{
	begin_value(j, key);
	fputc(bracket, j->out);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->first[++j->depth] = true;
}

void json_close(struct json *j, char bracket)
{
	bool empty = j->first[j->depth];

	j->depth--;
	if (!empty)
		newline(j);
	fputc(bracket, j->out);
	if (!j->depth)
		fputc('\n', j->out);
}

void json_str(struct json *j, const char *key, const char *val)
{
	begin_value(j, key);
	put_escaped(j->out, val);
}

void json_u64(struct json *j, const char *key, uint64_t val)
{
	begin_value(j, key);
	fprintf(j->out, "%llu", (unsigned long long)val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	begin_value(j, key);
	fputs(val ? "true" : "false", j->out);
}
