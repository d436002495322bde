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

/* The length of the valid UTF-8 sequence at @s (RFC 3629), or 0. */
static unsigned int utf8_seq(const unsigned char *s)
{
	unsigned int n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* The string's NUL ends a short sequence before it is overrun. */
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, surrogates, and past U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

/*
 * @s as a JSON string.  A byte that is not part of valid UTF-8 (a
 * pattern of arbitrary bytes) is written as the code point of the same
 * number, \u00XX, so that the output is always valid JSON.
 */
static void put_escaped(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned int n;

	fputc('"', out);
	for (; *s; s += n ? n : 1) {
		n = utf8_seq(s);
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if (*s < 0x20 || !n)
			fprintf(out, "\\u%04x", *s);
		else
			fwrite(s, 1, n, out);
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
