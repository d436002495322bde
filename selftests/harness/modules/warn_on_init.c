// SPDX-License-Identifier: GPL-2.0
/*
 * A module that WARNs while loading.  scripts/vm must fail a run that
 * loads it and quote the warning: see selftests/harness/vm_failures.sh.
 */
#include <linux/module.h>

static noinline void flowos_harness_warn(void)
{
	WARN_ON(1);
}

static int __init warn_on_init_init(void)
{
	flowos_harness_warn();
	return 0;
}

static void __exit warn_on_init_exit(void)
{
}

module_init(warn_on_init_init);
module_exit(warn_on_init_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowos test harness: WARN on load");
