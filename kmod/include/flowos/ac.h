/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Aho-Corasick multi-pattern matching as a dense automaton over byte
 * classes.  The kernel's textsearch finds one pattern per call and
 * cannot carry a partial match from one segment to the next; this
 * automaton finds every pattern in one pass, and its state, one u32,
 * carries across as many pieces as a stream comes in.
 *
 * Part of the PM API (the core exports it: match and block share it).
 * Kernel-independent: it builds natively for selftests/unit/ac_test.c.
 */
#ifndef _FLOWOS_AC_H
#define _FLOWOS_AC_H

#ifdef __KERNEL__
#include <linux/types.h>
#endif

/* Longest pattern, and most bytes of all patterns together. */
#define FLOWOS_AC_PATTERN_MAX	255
#define FLOWOS_AC_TOTAL_MAX	16384

struct flowos_ac_pattern {
	const u8 *data;
	u32 len;		/* 1..FLOWOS_AC_PATTERN_MAX */
};

struct flowos_ac {
	u32 nstates;
	u32 nclasses;
	u8 cls[256];		/* byte -> class; case folded if nocase */
	u32 *delta;		/* [state * nclasses + class] -> state */
	u32 *out;		/* [state]: first pattern + 1 ending here, or 0 */
	u32 *dict;		/* [state]: nearest suffix state with output */
	u32 *next_same;		/* [pattern]: next pattern + 1 of equal text */
	u32 npatterns;
	size_t size;		/* bytes allocated, for the memory cap */
};

/* The state to start a stream (or resume after a break) in. */
#define FLOWOS_AC_START	0

/* How much flowos_ac_build() will allocate for these patterns. */
size_t flowos_ac_size(const struct flowos_ac_pattern *pats, u32 n);
/* 0, -EINVAL for a bad pattern set, -ENOMEM. */
int flowos_ac_build(struct flowos_ac *ac, const struct flowos_ac_pattern *pats,
		    u32 n, bool nocase);
void flowos_ac_free(struct flowos_ac *ac);

/*
 * Run @len bytes from @state; @hit(@ctx, pattern index) once for every
 * occurrence ending in them (overlapping ones too).  Returns the state
 * to continue from with the bytes that follow.
 */
u32 flowos_ac_scan(const struct flowos_ac *ac, u32 state, const u8 *data,
		   u32 len, void (*hit)(void *ctx, u32 pattern), void *ctx);

#endif /* _FLOWOS_AC_H */
