/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The classifier: what a flow matches, a packet's key, and the lookup.
 * Kernel-independent like the parser: it builds natively too, for unit
 * tests against a brute-force model (selftests/unit/classify_test.c).
 */
#ifndef _FLOWOS_CLASSIFY_H
#define _FLOWOS_CLASSIFY_H

#ifdef __KERNEL__
#include <linux/types.h>
#endif
#include <linux/flowos.h>

struct list_head;
struct netlink_ext_ack;
struct flowos_flow;
struct flowos_classifier;

/* Which attributes a flow was created with: FLOWOS_A_FLOW_* bits. */
#define FLOWOS_MATCH_HAS(m, attr) ((m)->present & BIT(attr))

/* What a flow matches (uapi/linux/flowos.h says what each field means). */
struct flowos_match {
	__be32 src[4];
	__be32 dst[4];
	u32 ifindex;
	u32 present;
	u16 sport_min, sport_max;
	u16 dport_min, dport_max;
	u8 family;
	u8 proto;
	u8 src_len, dst_len;
	u8 dir;			/* enum flowos_dir */
};

/*
 * The classifier's view of a packet: the fields flows match on, laid out
 * as 32-bit words so that masking and hashing work word by word.
 */
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

/* classify.c */
struct flowos_classifier *flowos_classifier_build(struct list_head *flows,
						  struct netlink_ext_ack *extack);
void flowos_classifier_free_rcu(struct flowos_classifier *cls);
bool flowos_classify_sees(const struct flowos_classifier *cls, u8 dir);
struct flowos_flow *flowos_classify(const struct flowos_classifier *cls,
				    const struct flowos_key *key);

#endif /* _FLOWOS_CLASSIFY_H */
