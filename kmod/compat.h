/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compatibility with the kernels flowos supports, force-included into
 * every object.  Each probe names the upstream change it papers over, so
 * the rest of the tree reads like upstream code.  Keep this file small.
 *
 * Supported: Linux 6.1 and later; tested on Debian 12's 6.1 and 6.12.
 */
#ifndef _FLOWOS_COMPAT_H
#define _FLOWOS_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "flowos needs Linux 6.1 or later"
#endif

/*
 * 6.6 ("genetlink: use struct genl_info for dumps") moved a dump's
 * parsed attributes into a struct genl_info.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
#define flowos_dump_attrs(cb) (genl_dumpit_info(cb)->attrs)
#else
#define flowos_dump_attrs(cb) (genl_info_dump(cb)->attrs)
#endif

/*
 * 6.2 ("netlink: add support for formatted extack messages"): before
 * it, an extack message is a fixed string and cannot name the culprit.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define flowos_err_msg_fmt(extack, fixed, fmt, args...)	\
	NL_SET_ERR_MSG_MOD(extack, fixed)
#else
#define flowos_err_msg_fmt(extack, fixed, fmt, args...)	\
	NL_SET_ERR_MSG_FMT_MOD(extack, fmt, ##args)
#endif

#endif /* _FLOWOS_COMPAT_H */
