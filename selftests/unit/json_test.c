// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of flowctl's JSON writer (tools/flowctl/json.c): strings
 * come out as RFC 8259 wants them whatever bytes they hold, so that
 * every line of flowctl -j is valid JSON, even for a pattern of
 * arbitrary bytes.  Expected texts are worked out from RFC 8259 7 and
 * RFC 3629 4 by hand.
 */
#include <stdio.h>
#include <stdlib.h>

#include "json.h"
#include "kselftest_harness.h"

/* @s as json_str() writes it, as the one member of an object. */
static char *json_of(const char *s)
{
	struct json j;
	size_t size;
	char *buf;
	FILE *f = open_memstream(&buf, &size);

	json_init(&j, f, false);
	json_open(&j, NULL, '{');
	json_str(&j, "s", s);
	json_close(&j, '}');
	fclose(f);
	return buf;
}

#define EXPECT_JSON(want, s) do {		\
	char *got = json_of(s);			\
	EXPECT_STREQ(want, got);		\
	free(got);				\
} while (0)

TEST(ascii_and_escapes)
{
	EXPECT_JSON("{\"s\":\"GET /\"}\n", "GET /");
	EXPECT_JSON("{\"s\":\"a\\\"b\\\\c\"}\n", "a\"b\\c");
	EXPECT_JSON("{\"s\":\"\\u0001\\u001f\"}\n", "\x01\x1f");
}

/* Valid UTF-8 of each length passes as it is. */
TEST(valid_utf8_kept)
{
	EXPECT_JSON("{\"s\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}\n",
		    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

/* What is not UTF-8 becomes \u00XX, byte by byte. */
TEST(invalid_bytes_escaped)
{
	/* Latin-1 e-acute alone; a lead byte cut by the end. */
	EXPECT_JSON("{\"s\":\"caf\\u00e9\"}\n", "caf\xe9");
	EXPECT_JSON("{\"s\":\"x\\u00e2\\u0082\"}\n", "x\xe2\x82");
	/* Overlong "/" (C0 AF), a surrogate (ED A0 80), past U+10FFFF. */
	EXPECT_JSON("{\"s\":\"\\u00c0\\u00af\"}\n", "\xc0\xaf");
	EXPECT_JSON("{\"s\":\"\\u00ed\\u00a0\\u0080\"}\n", "\xed\xa0\x80");
	EXPECT_JSON("{\"s\":\"\\u00f4\\u0090\\u0080\\u0080\"}\n",
		    "\xf4\x90\x80\x80");
	/* A stray continuation byte, then valid text again. */
	EXPECT_JSON("{\"s\":\"\\u0080ok\"}\n", "\x80ok");
}

TEST_HARNESS_MAIN
