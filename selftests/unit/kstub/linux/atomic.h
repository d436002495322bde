/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's atomic_long_t, as much of it as kmod/mem.c uses, on C11
 * atomics (sequentially consistent, which is at least as strong as each
 * kernel primitive's ordering), for building mem.c natively.
 */
#ifndef _FLOWOS_KSTUB_ATOMIC_H
#define _FLOWOS_KSTUB_ATOMIC_H

#include <stdatomic.h>
#include <stdbool.h>

#define atomic_long_t atomic_long
#define ATOMIC_LONG_INIT(i) (i)
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static inline long atomic_long_read(atomic_long_t *v)
{
	return atomic_load(v);
}

static inline void atomic_long_set(atomic_long_t *v, long i)
{
	atomic_store(v, i);
}

static inline void atomic_long_inc(atomic_long_t *v)
{
	atomic_fetch_add(v, 1);
}

static inline void atomic_long_sub(long i, atomic_long_t *v)
{
	atomic_fetch_sub(v, i);
}

static inline long atomic_long_add_return(long i, atomic_long_t *v)
{
	/* Wrapping, as the kernel's, without C's signed overflow. */
	return (long)((unsigned long)atomic_fetch_add(v, i) + (unsigned long)i);
}

/* As the kernel's: on failure, *old is updated to the current value. */
static inline bool atomic_long_try_cmpxchg(atomic_long_t *v, long *old,
					   long new)
{
	return atomic_compare_exchange_strong(v, old, new);
}

#endif /* _FLOWOS_KSTUB_ATOMIC_H */
