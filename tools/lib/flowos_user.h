/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the classifier (kmod/classify.c) needs from the kernel and from
 * flowos.h, for building it natively: unit tests and native benchmarks
 * run the kernel's own source against these.  A flow here carries only
 * what the classifier reads.
 */
#ifndef _FLOWOS_USER_H
#define _FLOWOS_USER_H

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdlib.h>

#include "kshim.h"

#define U32_MAX ((u32)~0U)
#define U64_MAX ((u64)~0ULL)
#define NSEC_PER_SEC 1000000000ULL
#define BIT(n) (1UL << (n))
#define GFP_KERNEL 0
/* Natively, nothing is exported: the code is linked in. */
#define EXPORT_SYMBOL_GPL(sym) extern int flowos_user_no_export_##sym
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define __ffs(x) ((unsigned long)__builtin_ctzl(x))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define struct_size(p, member, n) (sizeof(*(p)) + (n) * sizeof(*(p)->member))

static inline void *ERR_PTR(long err) { return (void *)err; }
static inline long PTR_ERR(const void *p) { return (long)p; }
static inline bool IS_ERR(const void *p)
{
	return (unsigned long)p >= (unsigned long)-4095;
}

static inline void *kvcalloc(size_t n, size_t size, int gfp)
{
	return calloc(n ? n : 1, size);
}

static inline void *kvzalloc(size_t size, int gfp)
{
	return calloc(1, size);
}

static inline void kvfree(const void *p)
{
	free((void *)p);
}

static inline u32 roundup_pow_of_two(u32 n)
{
	return n <= 1 ? 1 : 1U << (32 - __builtin_clz(n - 1));
}

static inline u32 ilog2(u32 n)
{
	return 31 - __builtin_clz(n);
}

/* include/linux/math64.h: the divisions 32-bit kernels need spelled out. */
static inline u64 div64_u64(u64 dividend, u64 divisor)
{
	return dividend / divisor;
}

/* a * b / c with a 128-bit product, as lib/math/div64.c computes it. */
static inline u64 mul_u64_u64_div_u64(u64 a, u64 b, u64 c)
{
	return (u64)((__uint128_t)a * b / c);
}

static inline u64 div_u64_rem(u64 dividend, u32 divisor, u32 *remainder)
{
	*remainder = dividend % divisor;
	return dividend / divisor;
}

/* lib/math/int_sqrt.c: the floor of the square root. */
static inline u32 int_sqrt64(u64 x)
{
	u64 r = 0, bit;

	for (bit = 1ULL << 62; bit; bit >>= 2) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
	}
	return r;
}

/* Tests want runs they can repeat: the seed comes from rand(). */
static inline u32 get_random_u32(void)
{
	return (u32)rand();
}

static inline void sort(void *base, size_t num, size_t size,
			int (*cmp)(const void *, const void *), void *swap)
{
	qsort(base, num, size, cmp);
}

/* include/linux/jhash.h: Bob Jenkins' lookup3, as the kernel has it. */
static inline u32 rol32(u32 w, unsigned int s)
{
	return w << s | w >> (32 - s);
}

static inline void jhash_mix(u32 *a, u32 *b, u32 *c)
{
	*a -= *c; *a ^= rol32(*c, 4); *c += *b;
	*b -= *a; *b ^= rol32(*a, 6); *a += *c;
	*c -= *b; *c ^= rol32(*b, 8); *b += *a;
	*a -= *c; *a ^= rol32(*c, 16); *c += *b;
	*b -= *a; *b ^= rol32(*a, 19); *a += *c;
	*c -= *b; *c ^= rol32(*b, 4); *b += *a;
}

static inline void jhash_final(u32 *a, u32 *b, u32 *c)
{
	*c ^= *b; *c -= rol32(*b, 14);
	*a ^= *c; *a -= rol32(*c, 11);
	*b ^= *a; *b -= rol32(*a, 25);
	*c ^= *b; *c -= rol32(*b, 16);
	*a ^= *c; *a -= rol32(*c, 4);
	*b ^= *a; *b -= rol32(*a, 14);
	*c ^= *b; *c -= rol32(*b, 24);
}

static inline u32 jhash2(const u32 *k, u32 length, u32 initval)
{
	u32 a = 0xdeadbeef + (length << 2) + initval, b = a, c = a;

	for (; length > 3; length -= 3, k += 3) {
		a += k[0];
		b += k[1];
		c += k[2];
		jhash_mix(&a, &b, &c);
	}
	switch (length) {
	case 3:
		c += k[2];
		__attribute__((__fallthrough__));
	case 2:
		b += k[1];
		__attribute__((__fallthrough__));
	case 1:
		a += k[0];
		jhash_final(&a, &b, &c);
	}
	return c;
}

/* include/linux/list.h, the little the classifier walks. */
struct list_head {
	struct list_head *next, *prev;
};

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	list->next = list;
	list->prev = list;
}

static inline void list_add_tail(struct list_head *new, struct list_head *head)
{
	new->prev = head->prev;
	new->next = head;
	head->prev->next = new;
	head->prev = new;
}

static inline bool list_empty(const struct list_head *head)
{
	return head->next == head;
}

#define list_for_each_entry(pos, head, member)				\
	for (pos = container_of((head)->next, __typeof__(*pos), member);	\
	     &pos->member != (head);					\
	     pos = container_of(pos->member.next, __typeof__(*pos), member))

/* include/linux/list.h's hash lists, for the count PM's table. */
struct hlist_node {
	struct hlist_node *next, **pprev;
};

struct hlist_head {
	struct hlist_node *first;
};

static inline void hlist_add_head(struct hlist_node *n, struct hlist_head *h)
{
	n->next = h->first;
	if (h->first)
		h->first->pprev = &n->next;
	h->first = n;
	n->pprev = &h->first;
}

static inline void hlist_del(struct hlist_node *n)
{
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
}

#define hlist_entry_safe(ptr, type, member) \
	({ __typeof__(ptr) ____ptr = (ptr); \
	   ____ptr ? container_of(____ptr, type, member) : NULL; })
#define hlist_for_each_entry(pos, head, member)				\
	for (pos = hlist_entry_safe((head)->first, __typeof__(*(pos)), member); \
	     pos;							\
	     pos = hlist_entry_safe((pos)->member.next, __typeof__(*(pos)), member))

/* include/linux/hash.h: multiplicative hashing, the kernel's constant. */
static inline u32 hash_32(u32 val, unsigned int bits)
{
	return val * 0x61C88647 >> (32 - bits);
}

/* No readers to wait for: free at once. */
struct rcu_head {
	void *unused;
};

static inline void call_rcu(struct rcu_head *head, void (*fn)(struct rcu_head *))
{
	fn(head);
}

/* Nothing else to run. */
static inline void cond_resched(void)
{
}

struct netlink_ext_ack {
	const char *_msg;
};

#define NL_SET_ERR_MSG_MOD(extack, msg) ((extack)->_msg = (msg))

#include "classify.h"

/* The fields of a flow the classifier reads (kmod/flowos.h). */
struct flowos_flow {
	struct list_head node;
	u32 id;
	u32 priority;
	struct flowos_match match;
};

#endif /* _FLOWOS_USER_H */
