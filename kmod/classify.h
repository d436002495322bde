/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The classifier: what a flow matches, a packet's key, and the lookup.
 * Kernel-independent like the parser: it builds natively too, for unit
 * tests against a brute-force model (selftests/unit/classify_test.c).
 */
#ifndef _FLOWOS_CLASSIFY_H
#define _FLOWOS_CLASSIFY_H

#ifdef __KERNEL__
#include <linux/if.h>
#include <linux/types.h>
#elif !defined(IFNAMSIZ)
#define IFNAMSIZ 16		/* as <linux/if.h> */
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
	u8 icmp_type, icmp_code;
	u8 dscp, ecn;
	u16 vlan;
	char iifname[IFNAMSIZ];	/* may end in '*': a prefix */
	char oifname[IFNAMSIZ];
};

/*
 * The classifier's view of a packet: the fields flows match on, laid out
 * as 32-bit words so that masking and hashing work word by word.
 */
struct flowos_key {
	__be32 src[4];
	__be32 dst[4];
	u32 ifindex;
	__be16 sport;	/* ICMP: the type (the parser's convention) */
	__be16 dport;	/* ICMP: the code */
	u8 family;
	u8 proto;
	u8 dir;		/* FLOWOS_DIR_IN or FLOWOS_DIR_OUT */
	u8 tos;		/* IPv4 TOS, IPv6 Traffic Class: DSCP << 2 | ECN */
	/*
	 * The devices' words, set only where some flow of the classifier
	 * matches them (flowos_classify_wants_devs()): a group reads only
	 * the words its mask touches.
	 */
	u32 vlan_parent;	/* the ifindex of the VLAN's parent device */
	u16 vlan;		/* FLOWOS_KEY_VLAN_TAGGED | VLAN id, or 0 */
	u16 pad;
	char iifname[IFNAMSIZ];	/* as dev->name: bytes after the NUL are */
	char oifname[IFNAMSIZ];	/* whatever they are; all 0 for no device */
};

#define FLOWOS_KEY_VLAN_TAGGED	0x8000

#define FLOWOS_KEY_WORDS (sizeof(struct flowos_key) / sizeof(u32))

/* classify.c */
struct flowos_classifier *flowos_classifier_build(struct list_head *flows,
						  struct netlink_ext_ack *extack);
void flowos_classifier_free_rcu(struct flowos_classifier *cls);
bool flowos_classify_sees(const struct flowos_classifier *cls, u8 dir);
bool flowos_classify_wants_devs(const struct flowos_classifier *cls);
struct flowos_flow *flowos_classify(const struct flowos_classifier *cls,
				    const struct flowos_key *key);

#endif /* _FLOWOS_CLASSIFY_H */
