// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the Aho-Corasick automaton of the match PM
 * (kmod/ac.c), built natively under AddressSanitizer and UBSan.
 * The truth is brute force: at every offset of a random text, compare
 * every pattern (case-folded when asked).  Patterns come from a small
 * alphabet so that they overlap, nest and repeat; the text is fed in
 * random pieces, so matches split across pieces are checked too.
 */
#include <ctype.h>
#include <stdlib.h>

#include "flowos_user.h"
#include <flowos/ac.h>
#include "kselftest_harness.h"
#include "test_rand.h"

#define MAX_PATTERNS	60
#define TEXT_LEN	3000

static const char alphabet[] = "abcAB\0\xff";

static void rnd_bytes(u8 *p, u32 len)
{
	while (len--)
		*p++ = alphabet[rnd_below(sizeof(alphabet) - 1)];
}

static bool equal(const u8 *a, const u8 *b, u32 len, bool nocase)
{
	for (; len; len--, a++, b++)
		if (nocase ? tolower(*a) != tolower(*b) : *a != *b)
			return false;
	return true;
}

static u64 brute_count(const u8 *text, u32 tlen, const u8 *pat, u32 plen,
		       bool nocase)
{
	u64 n = 0;
	u32 i;

	for (i = 0; i + plen <= tlen; i++)
		n += equal(text + i, pat, plen, nocase);
	return n;
}

static void count_hit(void *ctx, u32 pattern)
{
	((u64 *)ctx)[pattern]++;
}

TEST(agrees_with_brute_force_in_random_pieces)
{
	static u8 pat_bytes[MAX_PATTERNS][8], text[TEXT_LEN];
	struct flowos_ac_pattern pats[MAX_PATTERNS];
	u64 got[MAX_PATTERNS];
	unsigned int seed;

	for (seed = 1; seed <= 400; seed++) {
		bool nocase;
		struct flowos_ac ac;
		u32 n, i, state = FLOWOS_AC_START, off = 0;

		rnd_state = seed;
		nocase = rnd_below(2);
		n = 1 + rnd_below(MAX_PATTERNS);
		for (i = 0; i < n; i++) {
			pats[i].len = 1 + rnd_below(rnd_below(4) ? 4 : 8);
			if (i && !rnd_below(8)) {	/* a duplicate */
				pats[i] = pats[rnd_below(i)];
				continue;
			}
			rnd_bytes(pat_bytes[i], pats[i].len);
			pats[i].data = pat_bytes[i];
		}
		rnd_bytes(text, TEXT_LEN);
		ASSERT_EQ(0, flowos_ac_build(&ac, pats, n, nocase));
		ASSERT_GE(flowos_ac_size(pats, n), ac.size);

		memset(got, 0, sizeof(got));
		while (off < TEXT_LEN) {
			u32 len = rnd_below(40);

			len = min(len, TEXT_LEN - off);

			state = flowos_ac_scan(&ac, state, text + off, len,
					       count_hit, got);
			off += len;
		}
		for (i = 0; i < n; i++)
			ASSERT_EQ(brute_count(text, TEXT_LEN, pats[i].data,
					      pats[i].len, nocase), got[i]) {
				TH_LOG("seed %u pattern %u of %u", seed, i, n);
			}
		flowos_ac_free(&ac);
	}
}

TEST(split_pattern_counts_once)
{
	static const u8 p0[] = "GET /secret", p1[] = "secret";
	struct flowos_ac_pattern pats[] = {
		{ p0, sizeof(p0) - 1 }, { p1, sizeof(p1) - 1 },
	};
	struct flowos_ac ac;
	u64 got[2] = {};
	u32 s;

	ASSERT_EQ(0, flowos_ac_build(&ac, pats, 2, false));
	s = flowos_ac_scan(&ac, FLOWOS_AC_START, (const u8 *)"xxGET /se", 9,
			   count_hit, got);
	s = flowos_ac_scan(&ac, s, (const u8 *)"cret and secret", 15,
			   count_hit, got);
	EXPECT_EQ(1, got[0]);
	EXPECT_EQ(2, got[1]);
	/* A break: start over, and nothing joins across it. */
	s = flowos_ac_scan(&ac, FLOWOS_AC_START, (const u8 *)"cret", 4,
			   count_hit, got);
	EXPECT_EQ(2, got[1]);
	flowos_ac_free(&ac);
}

TEST(bad_pattern_sets_refused)
{
	static u8 big[FLOWOS_AC_PATTERN_MAX + 1];
	struct flowos_ac_pattern empty = { big, 0 }, toolong = { big, sizeof(big) };
	struct flowos_ac_pattern many[FLOWOS_AC_TOTAL_MAX / FLOWOS_AC_PATTERN_MAX + 1];
	struct flowos_ac ac;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = (struct flowos_ac_pattern){ big, FLOWOS_AC_PATTERN_MAX };
	EXPECT_EQ(-EINVAL, flowos_ac_build(&ac, NULL, 0, false));
	EXPECT_EQ(-EINVAL, flowos_ac_build(&ac, &empty, 1, false));
	EXPECT_EQ(-EINVAL, flowos_ac_build(&ac, &toolong, 1, false));
	EXPECT_EQ(-EINVAL, flowos_ac_build(&ac, many, ARRAY_SIZE(many), false));
}

TEST_HARNESS_MAIN
