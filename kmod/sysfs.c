// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/flowos: what a scraper reads without any tool.
 *
 *   version    the core module's version string
 *
 * One value per file.  The directory exists exactly as long as the
 * module is loaded.
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "flowos.h"

static struct kobject *flowos_kobj;

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", FLOWOS_VERSION);
}

static struct kobj_attribute version_attr = __ATTR_RO(version);

static struct attribute *flowos_attrs[] = {
	&version_attr.attr,
	NULL,
};

static const struct attribute_group flowos_attr_group = {
	.attrs = flowos_attrs,
};

int flowos_sysfs_init(void)
{
	int err;

	flowos_kobj = kobject_create_and_add("flowos", kernel_kobj);
	if (!flowos_kobj)
		return -ENOMEM;

	err = sysfs_create_group(flowos_kobj, &flowos_attr_group);
	if (err) {
		kobject_put(flowos_kobj);
		return err;
	}
	return 0;
}

void flowos_sysfs_exit(void)
{
	sysfs_remove_group(flowos_kobj, &flowos_attr_group);
	kobject_put(flowos_kobj);
}
