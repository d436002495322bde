// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the memory cap (kmod/mem.c), built natively under
 * AddressSanitizer and UBSan with C11 atomics standing in for the
 * kernel's (kstub/).  mem.c is included whole, so that the tests can set
 * its limit and read what it holds.
 *
 * The rule under test: a charge succeeds exactly when it fits in the
 * room left, whatever other charges are doing at the same time.  A
 * charge that does not fit must not, even for an instant, take room
 * that another one needed.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>

#include "kshim.h"

struct netlink_ext_ack {
	const char *_msg;
};

#define NL_SET_ERR_MSG_MOD(extack, msg) ((extack)->_msg = (msg))

/* Only the kernel's flowos.h would come next; what mem.c needs is above. */
#define _FLOWOS_H
#include "../../kmod/mem.c"

#include "kselftest_harness.h"

#define KB 1024L

static void reset(unsigned long limit_kb)
{
	mem_limit_kb = limit_kb;
	atomic_long_set(&mem_used, 0);
	atomic_long_set(&mem_refused, 0);
}

TEST(a_charge_fits_exactly_up_to_the_limit)
{
	reset(4);
	ASSERT_TRUE(flowos_mem_charge(3 * KB));
	ASSERT_TRUE(flowos_mem_charge(KB));
	ASSERT_FALSE(flowos_mem_charge(1));
	ASSERT_EQ(4 * KB, atomic_long_read(&mem_used));
	flowos_mem_uncharge(KB);
	ASSERT_TRUE(flowos_mem_charge(KB));
	flowos_mem_uncharge(4 * KB);
	ASSERT_EQ(0, atomic_long_read(&mem_used));
}

TEST(a_refused_charge_holds_nothing)
{
	reset(4);
	ASSERT_TRUE(flowos_mem_charge(KB));
	ASSERT_FALSE(flowos_mem_charge(4 * KB));
	ASSERT_FALSE(flowos_mem_charge((size_t)LONG_MAX + 2));
	ASSERT_EQ(KB, atomic_long_read(&mem_used));
}

/* mem_limit_kb is writable at run time: below what is held, nothing fits. */
TEST(nothing_fits_under_a_lowered_limit)
{
	reset(8);
	ASSERT_TRUE(flowos_mem_charge(6 * KB));
	mem_limit_kb = 4;
	ASSERT_FALSE(flowos_mem_charge(1));
	ASSERT_EQ(6 * KB, atomic_long_read(&mem_used));
}

TEST(a_refused_setup_is_counted_and_said)
{
	struct netlink_ext_ack extack = {};
	u64 used, limit, refused;

	reset(1);
	ASSERT_EQ(0, flowos_mem_charge_setup(KB, &extack));
	ASSERT_EQ(-ENOSPC, flowos_mem_charge_setup(1, &extack));
	ASSERT_NE(NULL, extack._msg);
	flowos_mem_read(&used, &limit, &refused);
	ASSERT_EQ(KB, used);
	ASSERT_EQ(KB, limit);
	ASSERT_EQ(1, refused);
}

/*
 * One thread keeps asking for more than the room left (an attach too
 * big for the cap); another charges and gives back small amounts that
 * always fit (clones on another flow).  None of the small ones may fail.
 */
#define SMALL		(4 * KB)
#define SMALL_ROUNDS	2000000

static atomic_bool big_stop;

static void *charge_big(void *room)
{
	size_t big = (long)room + 1;

	while (!atomic_load(&big_stop))
		if (flowos_mem_charge(big))
			return "a charge larger than the room fitted";
	return NULL;
}

TEST(a_refused_charge_takes_no_room_from_others)
{
	long room = 512 * KB;
	unsigned long failed = 0;
	pthread_t big;
	void *ret;
	int i;

	reset(1024);
	/* Half held for good: the big charge is refused whenever it comes. */
	ASSERT_TRUE(flowos_mem_charge(1024 * KB - room));
	atomic_store(&big_stop, false);
	ASSERT_EQ(0, pthread_create(&big, NULL, charge_big, (void *)room));
	for (i = 0; i < SMALL_ROUNDS; i++) {
		if (flowos_mem_charge(SMALL))
			flowos_mem_uncharge(SMALL);
		else
			failed++;
	}
	atomic_store(&big_stop, true);
	ASSERT_EQ(0, pthread_join(big, &ret));
	ASSERT_EQ(NULL, ret);
	EXPECT_EQ(0, failed)
		TH_LOG("%lu of %d small charges that fitted were refused",
		       failed, SMALL_ROUNDS);
	ASSERT_EQ(1024 * KB - room, atomic_long_read(&mem_used));
}

TEST_HARNESS_MAIN
