/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal streaming JSON writer: objects and arrays nest, keys are
 * written as given (flowctl's keys are stable and plain), strings are
 * escaped.  Pretty output indents by two spaces.
 */
#ifndef _FLOWCTL_JSON_H
#define _FLOWCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;
	bool pretty;
	int depth;
	bool first[JSON_MAX_DEPTH];	/* nothing written yet at this depth */
};

void json_init(struct json *j, FILE *out, bool pretty);
void json_open(struct json *j, const char *key, char bracket);
void json_close(struct json *j, char bracket);
void json_str(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_bool(struct json *j, const char *key, bool val);

#endif /* _FLOWCTL_JSON_H */
