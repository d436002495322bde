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

#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/u64_stats_sync.h>
#include <linux/netfilter.h>
#include <net/netlink.h>
#include <linux/flowos.h>
#include <flowos/pm.h>

#include "classify.h"
#include "parse.h"

#define FLOWOS_VERSION "0.1.0"

struct net;

extern struct mutex flowos_mutex;

/* Index into the per-direction counters. */
enum { FLOWOS_IN, FLOWOS_OUT, FLOWOS_NDIRS };

struct flowos_flow_stats {
	u64_stats_t packets[FLOWOS_NDIRS];
	u64_stats_t bytes[FLOWOS_NDIRS];
	u64_stats_t ring_drops;
	u64_stats_t mem_drops;
	/* Inline flows: see enum flowos_a_stats. */
	u64_stats_t held;
	u64_stats_t reinjected;
	u64_stats_t lost;
	u64_stats_t bypassed;
	u64_stats_t overflow_drops;
	u64_stats_t pm_drops;
	struct u64_stats_sync syncp;
};

/*
 * What an inline flow keeps of a packet it holds (unit->skb), to pass it
 * on where it was taken: the hook's state, with a reference on its
 * devices and socket, as an nf_queue entry has.  @lost: a device of it
 * went away (flowos_inline_netdev_event() took those references back),
 * so the packet is dropped when released.
 */
struct flowos_held {
	struct nf_hook_state state;
	struct net_device *skb_dev;	/* skb->dev, which may differ */
	unsigned int charged;	/* bytes charged to the memory cap */
	bool lost;
};

/*
 * One CPU's ring of a flow's units.  The producer is the hook on that
 * CPU, with bottom halves off, so it never races with itself; it owns
 * @tail.  Consumers (instance threads) own @released, under the
 * stream's lock.  Each side reads the other's index with acquire
 * semantics; the two live on separate cache lines.  @idle is set by a
 * thread that goes to sleep until woken and cleared by the hook when it
 * wakes them; it shares the producer's line, which it is read with.
 */
struct flowos_ring {
	u64 tail;			/* next unit to write */
	unsigned int since_wake;	/* units queued since the last wake-up */
	bool idle;			/* a thread of this ring waits for a unit */
	u64 released ____cacheline_aligned;	/* units below are free */
	/*
	 * Inline flows: @held[seq & (qlen - 1)] belongs to unit seq, and
	 * @release_lock serializes passing packets on (and moving
	 * @released) with itself, so that they leave in ring order, and
	 * with a device going away.
	 */
	struct flowos_held *held;
	struct mutex release_lock;	/* see above */
	struct flowos_unit units[];
};

/*
 * struct flowos_stream - a flow's units and the instances working on them.
 * Exists while the flow has an attached instance; the packet path
 * finds it through flow->stream under RCU, published once its first
 * instance has been initialised and started.
 */
struct flowos_stream {
	struct rcu_head rcu;
	struct flowos_flow *flow;	/* which outlives it */
	u32 qlen;
	bool inline_mode;	/* the flow's, fixed: hold packets */
	size_t charged;		/* bytes of rings, against the memory cap */
	u8 first_order;		/* lowest order attached: woken by the hook */
	bool need_skb;		/* an instance reads payload: clone packets */
	u8 hdr_layers;		/* ... or every header of these layers */
	/*
	 * @lock serializes releasing units (reading every instance's head,
	 * moving ring->released, freeing clones) and handing out windows
	 * (flowos_pm_inst.handed) with changes of @pms.
	 * Changes of @pms also hold flowos_mutex; the hook walks it under
	 * RCU to wake threads.
	 */
	spinlock_t lock;
	struct list_head pms;	/* struct flowos_pm_inst, attach order */
	struct flowos_ring *rings[];	/* nr_cpu_ids */
};

struct flowos_pm_inst;

/*
 * struct flowos_worker - one thread of an instance.  Worker w of n works
 * on the rings of the CPUs c with c % n == w, so each head[c] of the
 * instance has one writer.  Its own cache line: the counters are
 * written for every window.
 */
struct flowos_worker {
	struct flowos_pm_inst *pi;
	struct task_struct *task;	/* a reference is held until freed */
	unsigned int idx;
	u64 processed;			/* written by the thread only */
	u64 wakeups;			/* written by the thread only */
	u64 dropped;			/* written by the thread only */
} ____cacheline_aligned;

/* An attached PM instance: what its PM sees, and the core's side. */
struct flowos_pm_inst {
	struct flowos_pm pm;
	struct list_head node;		/* stream->pms */
	struct rcu_head rcu;
	struct flowos_flow *flow;
	struct flowos_stream *st;
	struct flowos_worker *workers;	/* pm.workers of them */
	struct pm_sysfs *sysfs;		/* initial namespace only */
	/*
	 * One reference while it is attached, and one per reader of its
	 * results (netlink_pm.c), who holds it without flowos_mutex: taken
	 * under the mutex while it is attached.  The last put runs ->fini
	 * and frees it, so a detach never waits for a read.
	 */
	refcount_t refs;
	char name[FLOWOS_NAME_MAX];
	u8 order;
	/*
	 * Per CPU: how far windows of that ring have been handed to the
	 * instance (>= head); written under the stream's lock.
	 */
	u64 *handed;
	u64 head[];			/* per CPU: next unit to work on */
};

/* What an attach asks for, besides the flow and the type. */
struct flowos_pm_conf {
	const char *name;
	u8 order;
	u8 workers;
	u64 params[FLOWOS_PM_MAX_PARAMS];
	struct flowos_pm_strings *strings[FLOWOS_PM_MAX_PARAMS]; /* or NULL */
};

struct flowos_flow {
	struct list_head node;	/* flowos_net.flows, oldest first; flowos_mutex */
	struct rcu_head rcu;
	char name[FLOWOS_NAME_MAX];
	u32 id;
	/*
	 * The definition: flowos_mutex to change (flowos_flow_change()),
	 * and def_seq around the change for sysfs, which reads it without
	 * the mutex.  The packet path reads only overflow (READ_ONCE); the
	 * classifier has its own copy of the rest.  qlen and mode change
	 * only while the flow has no stream.
	 */
	seqlock_t def_seq;
	u32 priority;
	struct flowos_match match;
	u32 qlen;
	u8 mode;		/* enum flowos_flow_mode */
	u8 overflow;		/* enum flowos_overflow */
	struct flowos_flow_stats __percpu *stats;
	struct flowos_stream __rcu *stream;	/* flowos_mutex to change */
	struct flowos_flow_sysfs *sysfs;	/* initial namespace only */
	struct flowos_net *fn;		/* its namespace, which outlives it */
};

/* IPv4 and IPv6, ingress and egress. */
#define FLOWOS_NHOOKS 4

/* Packets of a namespace the hooks could not parse, per reason. */
struct flowos_net_stats {
	u64_stats_t malformed[__FLOWOS_PARSE_MAX];
	struct u64_stats_sync syncp;
};

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
	struct flowos_net_stats __percpu *stats;
};

struct flowos_net *flowos_pernet(const struct net *net);

/* flow.c */
int flowos_flow_init(void);
void flowos_flow_exit(void);
struct flowos_flow *flowos_flow_find(struct flowos_net *fn, const char *name);
/* How a flow is made, besides its name and what it matches. */
struct flowos_flow_conf {
	u32 priority;
	u32 qlen;
	u8 mode;
	u8 overflow;
};

struct flowos_flow *flowos_flow_create(struct flowos_net *fn, const char *name,
				       const struct flowos_flow_conf *conf,
				       const struct flowos_match *match,
				       const struct nlattr *pipeline,
				       struct netlink_ext_ack *extack);
int flowos_flow_delete(struct flowos_net *fn, struct flowos_flow *flow,
		       struct netlink_ext_ack *extack);
int flowos_flow_change(struct flowos_net *fn, struct flowos_flow *flow,
		       const struct flowos_flow_conf *conf,
		       const struct flowos_match *match,
		       struct netlink_ext_ack *extack);
void flowos_flow_read_def(const struct flowos_flow *flow,
			  struct flowos_flow_conf *conf,
			  struct flowos_match *match);
/* Counters of a flow, summed over CPUs. */
struct flowos_flow_totals {
	u64 packets[FLOWOS_NDIRS];
	u64 bytes[FLOWOS_NDIRS];
	u64 ring_drops;
	u64 mem_drops;
	u64 held;
	u64 reinjected;
	u64 lost;
	u64 bypassed;
	u64 overflow_drops;
	u64 pm_drops;
};

void flowos_flow_read_stats(const struct flowos_flow *flow,
			    struct flowos_flow_totals *t);

void flowos_net_read_malformed(const struct flowos_net *fn,
			       u64 malformed[__FLOWOS_PARSE_MAX]);

/* mem.c */
int flowos_mem_charge_setup(size_t bytes, struct netlink_ext_ack *extack);
int flowos_mem_refuse(struct netlink_ext_ack *extack);
void flowos_mem_read(u64 *used, u64 *limit, u64 *refused);

/* stream.c */
struct flowos_pkt;
struct flowos_stream *flowos_stream_alloc(struct flowos_flow *flow,
					  struct netlink_ext_ack *extack);
void flowos_stream_free_rcu(struct flowos_stream *st);
unsigned int flowos_stream_hold(struct flowos_flow *flow,
				struct flowos_stream *st,
				const struct flowos_pkt *pkt, u8 dir,
				struct sk_buff *skb,
				const struct nf_hook_state *state);
void flowos_stream_settle(struct flowos_stream *st);
void flowos_stream_enqueue(struct flowos_flow *flow, struct flowos_stream *st,
			   const struct flowos_pkt *pkt, u8 dir,
			   struct sk_buff *skb);
void flowos_stream_release(struct flowos_stream *st, unsigned int cpu);
u64 flowos_stream_limit(const struct flowos_stream *st,
			const struct flowos_pm_inst *pi, unsigned int cpu);
/* All the workers, not those of one CPU's ring. */
#define FLOWOS_ALL_CPUS	(-1)
void flowos_stream_wake(const struct flowos_stream *st, u8 lo, u8 hi, int cpu);

/* pm.c */
int flowos_pm_attach(struct flowos_flow *flow, const struct flowos_pm_ops *ops,
		     struct flowos_pm_conf *conf, struct netlink_ext_ack *extack);
void flowos_pm_strings_free(struct flowos_pm_strings **strings);
void flowos_pm_detach(struct flowos_pm_inst *pi);
void flowos_pm_reader_get(struct flowos_pm_inst *pi);
void flowos_pm_reader_put(struct flowos_pm_inst *pi);
void flowos_pm_detach_all(struct flowos_flow *flow);
struct flowos_pm_inst *flowos_pm_find(const struct flowos_flow *flow,
				      const char *name);
void flowos_pm_type_load(const char *name);
const struct flowos_pm_ops *flowos_pm_type_find(const char *name);
extern struct list_head flowos_pm_types;
u64 flowos_pm_backlog(const struct flowos_pm_inst *pi);
/* An instance's counters, its workers' summed. */
struct flowos_pm_counts {
	u64 processed;
	u64 wakeups;
	u64 dropped;
};

void flowos_pm_read_counts(const struct flowos_pm_inst *pi,
			   struct flowos_pm_counts *c);
void flowos_pm_wake(const struct flowos_pm_inst *pi, int cpu);
unsigned int flowos_pm_type_workers(const struct flowos_pm_ops *ops);

/* hook.c */
int flowos_hook_register(struct flowos_net *fn);
void flowos_hook_unregister(struct flowos_net *fn);
bool flowos_hook_is_ours(const struct nf_hook_ops *ops);
int flowos_hook_priority(u8 pf, unsigned int hooknum);

/* inline.c: holding packets and passing them on */
enum flowos_inline_count {
	FLOWOS_INLINE_HELD,
	FLOWOS_INLINE_REINJECTED,
	FLOWOS_INLINE_LOST,
	FLOWOS_INLINE_BYPASSED,
	FLOWOS_INLINE_OVERFLOW_DROPS,
	FLOWOS_INLINE_PM_DROPS,
};

void flowos_inline_count(struct flowos_flow *flow,
			 enum flowos_inline_count what);
bool flowos_held_take(struct flowos_held *h, struct sk_buff *skb,
		      const struct nf_hook_state *state, unsigned int charged);
/* What becomes of a held packet when it is released. */
enum flowos_held_end {
	FLOWOS_HELD_PASS,	/* passed on, unless its device went away */
	FLOWOS_HELD_DROP,	/* dropped: lost */
	FLOWOS_HELD_PM_DROP,	/* dropped by a read-write PM */
};

void flowos_held_pass(struct flowos_flow *flow, struct flowos_held *h,
		      struct sk_buff *skb, enum flowos_held_end end);
int flowos_inline_init(void);
void flowos_inline_exit(void);

/*
 * A required attribute of a request: when it is missing, the error says
 * so both ways, its type for programs (GENL_REQ_ATTR_CHECK) and @msg
 * for people.  True when missing.  (Not "__info": the kernel's
 * GENL_REQ_ATTR_CHECK() declares one of its own.)
 */
#define FLOWOS_REQUIRE(info, attr, msg) ({				\
	struct genl_info *__req_info = (info);				\
	bool __req_missing = GENL_REQ_ATTR_CHECK(__req_info, attr);	\
									\
	if (__req_missing)						\
		NL_SET_ERR_MSG(__req_info->extack, msg);		\
	__req_missing;							\
})

/* netlink.c */
int flowos_netlink_init(void);
void flowos_netlink_exit(void);
bool flowos_valid_name(const char *name);
extern struct genl_family flowos_nl_family;
bool flowos_nl_has_listeners(struct flowos_net *fn);
void flowos_nl_notify(struct flowos_net *fn, struct sk_buff *skb);

/* results.c: results of any size, sent in parts (see there) */
struct genl_info;
struct netlink_callback;
struct flowos_results *flowos_results_new(const struct flowos_pm_inst *pi,
					  bool privileged);
void flowos_results_free(struct flowos_results *res);
int flowos_results_error(const struct flowos_results *res);
unsigned int flowos_results_depth(const struct flowos_results *res);
int flowos_results_nest_start(struct flowos_results *res, u16 type);
int flowos_results_container_start(struct flowos_results *res, u16 type,
				   const char *head_name);
void flowos_results_end(struct flowos_results *res);
int flowos_results_put(struct flowos_results *res, u16 type, u32 len,
		       const void *data);
int flowos_results_put_u64(struct flowos_results *res, u16 type, u64 value);
int flowos_results_put_header(const struct flowos_results *res,
			      struct sk_buff *skb);
int flowos_results_send(struct flowos_results *res, struct sk_buff *skb);
int flowos_results_dump_part(struct flowos_results *res, struct sk_buff *skb,
			     struct netlink_callback *cb);
u32 flowos_results_pending(const struct flowos_results *res);

/* pm_params.c */
extern const struct nla_policy flowos_param_policy[FLOWOS_A_PARAM_MAX + 1];
int flowos_params_from_attrs(const struct flowos_pm_ops *ops,
			     const struct nlattr *attr, u64 *params,
			     struct flowos_pm_strings **strings,
			     struct netlink_ext_ack *extack);
int flowos_params_live(const struct flowos_pm *pm, const struct nlattr *attr,
		       u64 *params, struct netlink_ext_ack *extack);
int flowos_params_put(struct flowos_results *res,
		      const struct flowos_pm_inst *pi);
void flowos_pm_errmsg(struct netlink_ext_ack *extack, const char *msg);
void flowos_pm_errmsgs_free(void);

/* netlink_pm.c */
extern const struct nla_policy flowos_pm_policy[FLOWOS_A_PM_MAX + 1];
int flowos_nl_pm_type_dump(struct sk_buff *skb, struct netlink_callback *cb);
int flowos_nl_pm_attach(struct sk_buff *skb, struct genl_info *info);
int flowos_nl_pipeline_check(const struct nlattr *pipeline,
			     struct netlink_ext_ack *extack);
int flowos_nl_pipeline_attach(struct flowos_flow *flow,
			      const struct nlattr *pipeline,
			      struct netlink_ext_ack *extack);
void flowos_nl_pipeline_announce(struct flowos_net *fn,
				 const struct flowos_flow *flow);
int flowos_nl_pm_detach(struct sk_buff *skb, struct genl_info *info);
int flowos_nl_pm_set(struct sk_buff *skb, struct genl_info *info);
int flowos_nl_stats_get(struct sk_buff *skb, struct genl_info *info);
int flowos_nl_stats_dump(struct sk_buff *skb, struct netlink_callback *cb);
int flowos_nl_stats_dump_done(struct netlink_callback *cb);

/* sysfs.c */
int flowos_sysfs_init(void);
void flowos_sysfs_exit(void);
void flowos_sysfs_add_flow(struct flowos_flow *flow);
void flowos_sysfs_del_flow(struct flowos_flow *flow);
void flowos_sysfs_add_pm(struct flowos_pm_inst *pi);
void flowos_sysfs_del_pm(struct flowos_pm_inst *pi);
int flowos_sysfs_add_malformed(void);
void flowos_sysfs_del_malformed(void);
void flowos_sysfs_add_type(struct flowos_pm_ops *ops);
void flowos_sysfs_del_type(struct flowos_pm_ops *ops);
bool flowos_sysfs_pm_file(const char *name);

#endif /* _FLOWOS_H */
