// SPDX-License-Identifier: GPL-2.0
/*
 * Flows: the table of each network namespace, their life cycle and their
 * counters.
 *
 * A namespace costs nothing until it has a flow: its netfilter hooks are
 * registered with the first flow and removed with the last.  Every
 * change publishes a new classifier (classify.c); a deleted flow is freed
 * after an RCU grace period, when no packet can still be counting on it.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "flowos.h"

/* Serializes every change of configuration; see flowos.h. */
DEFINE_MUTEX(flowos_mutex);

static unsigned int max_flows = 1024;
module_param(max_flows, uint, 0644);
MODULE_PARM_DESC(max_flows, "Most flows in one network namespace (default 1024)");

static unsigned int flowos_net_id __read_mostly;

struct flowos_net *flowos_pernet(const struct net *net)
{
	return net_generic(net, flowos_net_id);
}

struct flowos_flow *flowos_flow_find(struct flowos_net *fn, const char *name)
{
	struct flowos_flow *flow;

	lockdep_assert_held(&flowos_mutex);
	list_for_each_entry(flow, &fn->flows, node)
		if (!strcmp(flow->name, name))
			return flow;
	return NULL;
}

static void flow_free(struct flowos_flow *flow)
{
	free_percpu(flow->stats);
	kfree(flow);
}

static void flow_free_rcu(struct rcu_head *head)
{
	flow_free(container_of(head, struct flowos_flow, rcu));
}

/*
 * Build and publish the classifier for the namespace's flows as they are
 * now.  On failure nothing changes.  (classify.c builds natively too, for
 * its unit tests, so the lock is asserted here rather than there.)
 */
static int publish_classifier(struct flowos_net *fn,
			      struct netlink_ext_ack *extack)
{
	struct flowos_classifier *cls, *old;

	lockdep_assert_held(&flowos_mutex);
	cls = flowos_classifier_build(&fn->flows, extack);
	if (IS_ERR(cls))
		return PTR_ERR(cls);
	old = rcu_replace_pointer(fn->cls, cls, lockdep_is_held(&flowos_mutex));
	flowos_classifier_free_rcu(old);
	fn->gen++;
	return 0;
}

/* Give @flow its definition (see struct flowos_flow for who reads it). */
static void flow_define(struct flowos_flow *flow,
			const struct flowos_flow_conf *conf,
			const struct flowos_match *match)
{
	write_seqlock(&flow->def_seq);
	flow->priority = conf->priority;
	flow->qlen = conf->qlen;
	flow->mode = conf->mode;
	WRITE_ONCE(flow->overflow, conf->overflow);
	flow->match = *match;
	write_sequnlock(&flow->def_seq);
}

/**
 * flowos_flow_read_def - a consistent copy of a flow's definition
 * @flow: the flow
 * @conf: its priority, ring length, mode and overflow policy
 * @match: what it matches
 *
 * For readers without flowos_mutex (sysfs), while it may change.
 */
void flowos_flow_read_def(const struct flowos_flow *flow,
			  struct flowos_flow_conf *conf,
			  struct flowos_match *match)
{
	unsigned int seq;

	do {
		seq = read_seqbegin(&flow->def_seq);
		conf->priority = flow->priority;
		conf->qlen = flow->qlen;
		conf->mode = flow->mode;
		conf->overflow = flow->overflow;
		*match = flow->match;
	} while (read_seqretry(&flow->def_seq, seq));
}

static struct flowos_flow *flow_alloc(const char *name,
				      const struct flowos_flow_conf *conf,
				      const struct flowos_match *match)
{
	struct flowos_flow *flow;
	int cpu;

	flow = kzalloc(sizeof(*flow), GFP_KERNEL);
	if (!flow)
		return NULL;
	flow->stats = alloc_percpu(struct flowos_flow_stats);
	if (!flow->stats) {
		kfree(flow);
		return NULL;
	}
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(flow->stats, cpu)->syncp);
	strscpy(flow->name, name, sizeof(flow->name));
	seqlock_init(&flow->def_seq);
	flow_define(flow, conf, match);
	return flow;
}

/* After the flow left the classifier: the rest of its teardown. */
static void flow_retire(struct flowos_flow *flow)
{
	flowos_pm_detach_all(flow);
	flowos_sysfs_del_flow(flow);
	call_rcu(&flow->rcu, flow_free_rcu);
}

/**
 * flowos_flow_create - add a flow to a namespace and start matching it
 * @fn: the namespace's flows
 * @name: the new flow's name
 * @conf: its rank among overlapping flows, the length of its per-CPU
 *	rings (a power of two), its mode and overflow policy
 * @match: what it matches
 * @pipeline: the PM instances to start on it first
 *	(FLOWOS_A_FLOW_PIPELINE, checked by flowos_nl_pipeline_check()),
 *	or NULL
 * @extack: where to say why it failed
 *
 * The flow enters the classifier last, so that its pipeline sees its
 * first packet; if any step fails, nothing is left of it.  The caller
 * has checked that @name is valid and unused and that @match is
 * consistent, and holds flowos_mutex.
 */
struct flowos_flow *flowos_flow_create(struct flowos_net *fn, const char *name,
				       const struct flowos_flow_conf *conf,
				       const struct flowos_match *match,
				       const struct nlattr *pipeline,
				       struct netlink_ext_ack *extack)
{
	struct flowos_flow *flow;
	int err;

	lockdep_assert_held(&flowos_mutex);
	if (fn->nflows >= max_flows) {
		NL_SET_ERR_MSG_MOD(extack,
				   "this namespace has max_flows flows already");
		return ERR_PTR(-ENOSPC);
	}
	flow = flow_alloc(name, conf, match);
	if (!flow)
		return ERR_PTR(-ENOMEM);

	/* Hooks first: with no classifier yet they match nothing. */
	if (!fn->hooked) {
		err = flowos_hook_register(fn);
		if (err) {
			NL_SET_ERR_MSG_MOD(extack, "cannot register netfilter hooks");
			flow_free(flow);
			return ERR_PTR(err);
		}
	}

	flow->id = fn->next_id;
	flow->fn = fn;
	/* Before its instances: their directories go in the flow's. */
	if (net_eq(fn->net, &init_net))
		flowos_sysfs_add_flow(flow);
	err = pipeline ? flowos_nl_pipeline_attach(flow, pipeline, extack) : 0;
	if (err)
		goto retire;
	list_add_tail(&flow->node, &fn->flows);
	err = publish_classifier(fn, extack);
	if (err) {
		list_del(&flow->node);
		goto retire;
	}
	fn->next_id++;
	fn->nflows++;
	return flow;

retire:
	/* In no classifier published: no packet has reached it. */
	if (!fn->nflows)
		flowos_hook_unregister(fn);
	flow_retire(flow);
	return ERR_PTR(err);
}

/**
 * flowos_flow_change - give a running flow a new definition
 * @fn: the namespace's flows
 * @flow: the flow; it keeps its name, id, counters and PM instances
 * @conf: its new priority, ring length, mode and overflow policy
 * @match: what it matches from now on
 * @extack: where to say why it failed
 *
 * The new classifier replaces the old one in one pointer: a packet is
 * matched by the old definitions or by the new ones, never by both or
 * neither.  The ring length and the mode are the stream's: they change
 * only while no instance is attached.  On failure nothing changes.
 * The caller has checked @match and holds flowos_mutex.
 */
int flowos_flow_change(struct flowos_net *fn, struct flowos_flow *flow,
		       const struct flowos_flow_conf *conf,
		       const struct flowos_match *match,
		       struct netlink_ext_ack *extack)
{
	struct flowos_flow_conf old_conf;
	struct flowos_match old_match;
	int err;

	lockdep_assert_held(&flowos_mutex);
	if ((conf->qlen != flow->qlen || conf->mode != flow->mode) &&
	    rcu_access_pointer(flow->stream)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "a flow's ring length and mode change only while no PM is attached (an absent qlen or mode means the default)");
		return -EBUSY;
	}
	flowos_flow_read_def(flow, &old_conf, &old_match);
	flow_define(flow, conf, match);
	err = publish_classifier(fn, extack);
	if (err)
		flow_define(flow, &old_conf, &old_match);
	return err;
}

/**
 * flowos_flow_delete - stop matching a flow and free it
 * @fn: the namespace's flows
 * @flow: the flow, freed after an RCU grace period
 * @extack: where to say why it failed
 *
 * Fails only when the smaller classifier cannot be allocated; then the
 * flow stays as it was.  The caller holds flowos_mutex.
 */
int flowos_flow_delete(struct flowos_net *fn, struct flowos_flow *flow,
		       struct netlink_ext_ack *extack)
{
	struct list_head *prev = flow->node.prev;
	int err;

	lockdep_assert_held(&flowos_mutex);
	list_del(&flow->node);
	err = publish_classifier(fn, extack);
	if (err) {
		list_add(&flow->node, prev);
		return err;
	}
	if (!--fn->nflows)
		flowos_hook_unregister(fn);
	flow_retire(flow);
	return 0;
}

/*
 * A namespace going away stops matching: no classifier, no hooks.  A
 * hook already running may still count into the namespace's flows and
 * stats until a grace period has passed.
 */
static void flows_unhook(struct flowos_net *fn)
{
	struct flowos_classifier *old;

	lockdep_assert_held(&flowos_mutex);
	old = rcu_replace_pointer(fn->cls, NULL, lockdep_is_held(&flowos_mutex));
	flowos_classifier_free_rcu(old);
	if (fn->hooked)
		flowos_hook_unregister(fn);
}

/* Then drop every flow of it, PM instances and all; cannot fail. */
static void flows_flush(struct flowos_net *fn)
{
	struct flowos_flow *flow, *tmp;

	lockdep_assert_held(&flowos_mutex);
	list_for_each_entry_safe(flow, tmp, &fn->flows, node) {
		list_del(&flow->node);
		flow_retire(flow);
	}
	fn->nflows = 0;
	fn->gen++;
}

/* One CPU's counters of a flow, read consistently. */
static void read_cpu_stats(const struct flowos_flow_stats *s,
			   struct flowos_flow_totals *t)
{
	unsigned int start;
	int d;

	do {
		start = u64_stats_fetch_begin(&s->syncp);
		for (d = 0; d < FLOWOS_NDIRS; d++) {
			t->packets[d] = u64_stats_read(&s->packets[d]);
			t->bytes[d] = u64_stats_read(&s->bytes[d]);
		}
		t->ring_drops = u64_stats_read(&s->ring_drops);
		t->mem_drops = u64_stats_read(&s->mem_drops);
		t->held = u64_stats_read(&s->held);
		t->reinjected = u64_stats_read(&s->reinjected);
		t->lost = u64_stats_read(&s->lost);
		t->bypassed = u64_stats_read(&s->bypassed);
		t->overflow_drops = u64_stats_read(&s->overflow_drops);
		t->pm_drops = u64_stats_read(&s->pm_drops);
	} while (u64_stats_fetch_retry(&s->syncp, start));
}

/* Sum a flow's per-CPU counters; exact, whatever the packet path does. */
void flowos_flow_read_stats(const struct flowos_flow *flow,
			    struct flowos_flow_totals *t)
{
	struct flowos_flow_totals c;
	int cpu, d;

	memset(t, 0, sizeof(*t));
	for_each_possible_cpu(cpu) {
		read_cpu_stats(per_cpu_ptr(flow->stats, cpu), &c);
		for (d = 0; d < FLOWOS_NDIRS; d++) {
			t->packets[d] += c.packets[d];
			t->bytes[d] += c.bytes[d];
		}
		t->ring_drops += c.ring_drops;
		t->mem_drops += c.mem_drops;
		t->held += c.held;
		t->reinjected += c.reinjected;
		t->lost += c.lost;
		t->bypassed += c.bypassed;
		t->overflow_drops += c.overflow_drops;
		t->pm_drops += c.pm_drops;
	}
}

/* Sum a namespace's per-CPU malformed-packet counters. */
void flowos_net_read_malformed(const struct flowos_net *fn,
			       u64 malformed[__FLOWOS_PARSE_MAX])
{
	int cpu, r;

	memset(malformed, 0, __FLOWOS_PARSE_MAX * sizeof(*malformed));
	for_each_possible_cpu(cpu) {
		const struct flowos_net_stats *s = per_cpu_ptr(fn->stats, cpu);
		u64 v[__FLOWOS_PARSE_MAX];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (r = 0; r < __FLOWOS_PARSE_MAX; r++)
				v[r] = u64_stats_read(&s->malformed[r]);
		} while (u64_stats_fetch_retry(&s->syncp, start));

		for (r = 0; r < __FLOWOS_PARSE_MAX; r++)
			malformed[r] += v[r];
	}
}

static int __net_init flowos_net_init(struct net *net)
{
	struct flowos_net *fn = flowos_pernet(net);
	int cpu;

	/*
	 * First: a namespace that fails to come up unregisters its devices,
	 * and the netdevice notifier (inline.c) walks its flows then.
	 */
	fn->net = net;
	INIT_LIST_HEAD(&fn->flows);
	fn->next_id = 1;
	fn->stats = alloc_percpu(struct flowos_net_stats);
	if (!fn->stats)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(fn->stats, cpu)->syncp);
	return 0;
}

/*
 * Namespaces go away in batches (cleanup_net(), or every namespace at
 * rmmod), and the core runs an RCU grace period between the pre_exit and
 * the exit_batch methods of a batch.  So each namespace stops matching
 * first, and the batch's flows, PM threads and counters are torn down
 * after that one grace period, in one pass under flowos_mutex: no hook
 * can still be counting into them, and flowos adds no wait of its own
 * per namespace.
 */
static void __net_exit flowos_net_pre_exit(struct net *net)
{
	mutex_lock(&flowos_mutex);
	flows_unhook(flowos_pernet(net));
	mutex_unlock(&flowos_mutex);
}

static void __net_exit flowos_net_exit_batch(struct list_head *net_list)
{
	struct net *net;

	mutex_lock(&flowos_mutex);
	list_for_each_entry(net, net_list, exit_list)
		flows_flush(flowos_pernet(net));
	mutex_unlock(&flowos_mutex);
	list_for_each_entry(net, net_list, exit_list)
		free_percpu(flowos_pernet(net)->stats);
}

static struct pernet_operations flowos_net_ops = {
	.init = flowos_net_init,
	.pre_exit = flowos_net_pre_exit,
	.exit_batch = flowos_net_exit_batch,
	.id = &flowos_net_id,
	.size = sizeof(struct flowos_net),
};

int flowos_flow_init(void)
{
	return register_pernet_subsys(&flowos_net_ops);
}

void flowos_flow_exit(void)
{
	unregister_pernet_subsys(&flowos_net_ops);
	/* Flows and classifiers freed by call_rcu must be gone first. */
	rcu_barrier();
}
