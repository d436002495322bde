/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The classifier's view of a packet: the fields flows match on, laid out
 * as 32-bit words so that masking and hashing work word by word.
 */
#ifndef _FLOWOS_CLASSIFY_H
#define _FLOWOS_CLASSIFY_H

#include <linux/types.h>

struct flowos_key {
	__be32 src[4];
	__be32 dst[4];
	u32 ifindex;
	__be16 sport;
	__be16 dport;
	u8 family;
	u8 proto;
	u8 dir;		/* FLOWOS_DIR_IN or FLOWOS_DIR_OUT */
	u8 pad;
};

#define FLOWOS_KEY_WORDS (sizeof(struct flowos_key) / sizeof(u32))

#endif /* _FLOWOS_CLASSIFY_H */
