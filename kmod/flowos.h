/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowos core: declarations shared between the files of flowos.ko.
 * Nothing here is part of the PM API (see include/flowos/pm.h).
 */
#ifndef _FLOWOS_H
#define _FLOWOS_H

#define FLOWOS_VERSION "0.1.0"

int flowos_sysfs_init(void);
void flowos_sysfs_exit(void);

#endif /* _FLOWOS_H */
