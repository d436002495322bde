/* SPDX-License-Identifier: GPL-2.0 */
/* Natively, module parameters and exports are plain variables and functions. */
#ifndef _FLOWOS_KSTUB_MODULEPARAM_H
#define _FLOWOS_KSTUB_MODULEPARAM_H

#define module_param(...)
#define MODULE_PARM_DESC(...)
#define EXPORT_SYMBOL_GPL(...)

#endif /* _FLOWOS_KSTUB_MODULEPARAM_H */
