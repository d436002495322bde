// SPDX-License-Identifier: GPL-2.0
/*
 * flowos: a flow-processing framework after FlowOS (CHANGE project).
 *
 * Module init and exit only: each init step's undo is read straight off
 * the goto ladder, in reverse order.
 */
#include <linux/module.h>
#include <net/genetlink.h>

#include "flowos.h"

static int __init flowos_init(void)
{
	int err;

	err = flowos_sysfs_init();
	if (err)
		return err;
	err = flowos_flow_init();
	if (err)
		goto sysfs;
	err = flowos_inline_init();
	if (err)
		goto flow;
	err = flowos_sysfs_add_malformed();
	if (err)
		goto inline_mode;
	err = flowos_netlink_init();
	if (err)
		goto malformed;

	pr_info("version " FLOWOS_VERSION " loaded\n");
	return 0;

malformed:
	flowos_sysfs_del_malformed();
inline_mode:
	flowos_inline_exit();
flow:
	flowos_flow_exit();
sysfs:
	flowos_sysfs_exit();
	return err;
}

/* Netlink first: no request may come in while the flows are torn down. */
static void __exit flowos_exit(void)
{
	flowos_netlink_exit();
	flowos_sysfs_del_malformed();
	flowos_inline_exit();
	flowos_flow_exit();
	flowos_sysfs_exit();
}

module_init(flowos_init);
module_exit(flowos_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowos: flow processing framework");
MODULE_AUTHOR("flowos developers");
MODULE_VERSION(FLOWOS_VERSION);
MODULE_ALIAS_GENL_FAMILY(FLOWOS_FAMILY_NAME);
