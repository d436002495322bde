/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowos core: declarations shared between the files of flowos.ko.
 * Nothing here is part of the PM API (see include/flowos/pm.h).
 *
 * Locking: flowos_mutex serializes every change of configuration (netlink
 * requests, namespace teardown).  The packet path takes no lock: it reads
 * the namespace's classifier under RCU and updates per-CPU counters.
 */
#ifndef _FLOWOS_H
#define _FLOWOS_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/u64_stats_sync.h>
#include <linux/netfilter.h>
#include <linux/flowos.h>

#define FLOWOS_VERSION "0.1.0"

struct net;
struct flowos_classifier;

extern struct mutex flowos_mutex;

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

/* Index into the per-direction counters. */
enum { FLOWOS_IN, FLOWOS_OUT, FLOWOS_NDIRS };

struct flowos_flow_stats {
	u64_stats_t packets[FLOWOS_NDIRS];
	u64_stats_t bytes[FLOWOS_NDIRS];
	struct u64_stats_sync syncp;
};

struct flowos_flow {
	struct list_head node;	/* flowos_net.flows, oldest first; flowos_mutex */
	struct rcu_head rcu;
	char name[FLOWOS_NAME_MAX];
	u32 id;
	u32 priority;
	struct flowos_match match;
	struct flowos_flow_stats __percpu *stats;
};

/* IPv4 and IPv6, ingress and egress. */
#define FLOWOS_NHOOKS 4

/* The flows of one network namespace. */
struct flowos_net {
	struct net *net;
	struct list_head flows;		/* flowos_mutex */
	unsigned int nflows;		/* flowos_mutex */
	u32 next_id;			/* flowos_mutex */
	unsigned int gen;		/* flowos_mutex; bumped on every change */
	bool hooked;			/* flowos_mutex */
	struct nf_hook_ops hook_ops[FLOWOS_NHOOKS];	/* while hooked */
	struct flowos_classifier __rcu *cls;	/* flowos_mutex to write */
};

struct flowos_net *flowos_pernet(const struct net *net);

/* flow.c */
int flowos_flow_init(void);
void flowos_flow_exit(void);
struct flowos_flow *flowos_flow_find(struct flowos_net *fn, const char *name);
struct flowos_flow *flowos_flow_create(struct flowos_net *fn, const char *name,
				       u32 priority,
				       const struct flowos_match *match,
				       struct netlink_ext_ack *extack);
int flowos_flow_delete(struct flowos_net *fn, struct flowos_flow *flow,
		       struct netlink_ext_ack *extack);
void flowos_flow_read_stats(const struct flowos_flow *flow,
			    u64 packets[FLOWOS_NDIRS], u64 bytes[FLOWOS_NDIRS]);

/* classify.c */
struct flowos_key;
struct flowos_classifier *flowos_classifier_build(struct list_head *flows,
						  struct netlink_ext_ack *extack);
void flowos_classifier_free_rcu(struct flowos_classifier *cls);
struct flowos_flow *flowos_classify(const struct flowos_classifier *cls,
				    const struct flowos_key *key);

/* hook.c */
int flowos_hook_register(struct flowos_net *fn);
void flowos_hook_unregister(struct flowos_net *fn);

/* netlink.c */
int flowos_netlink_init(void);
void flowos_netlink_exit(void);

/* sysfs.c */
int flowos_sysfs_init(void);
void flowos_sysfs_exit(void);

#endif /* _FLOWOS_H */
