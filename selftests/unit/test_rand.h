/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unit tests' random numbers: a linear congruential generator with
 * a seed of the test's choosing, so that a failure can be replayed.
 */
#ifndef _FLOWOS_TEST_RAND_H
#define _FLOWOS_TEST_RAND_H

static u32 rnd_state;

static inline u32 rnd(void)
{
	rnd_state = rnd_state * 1103515245 + 12345;
	return rnd_state >> 8;
}

static inline u32 rnd_below(u32 n)
{
	return rnd() % n;
}

#endif /* _FLOWOS_TEST_RAND_H */
