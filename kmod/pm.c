// SPDX-License-Identifier: GPL-2.0
/*
 * Processing modules: the registry of PM types, and instances, each one
 * or more kernel threads ("workers") that hand their PM windows of a
 * flow's stream.  Worker w of n works on the per-CPU rings of the CPUs
 * c with c % n == w: a ring has one worker, and a worker's rings, its
 * shard of the PM's state and its counters are its own.
 *
 * Lifetimes: attaching takes a reference on the PM's module, so a PM in
 * use cannot be unloaded; detaching stops the threads before the
 * instance leaves the stream, so no unit is freed under a running
 * ->process.  Instances are freed after an RCU grace period, since the
 * packet path walks them to wake their threads.
 */
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <uapi/linux/sched/types.h>
#include <linux/slab.h>

#include "flowos.h"

/* Every registered PM type; flowos_mutex. */
LIST_HEAD(flowos_pm_types);

const struct flowos_pm_ops *flowos_pm_type_find(const char *name)
{
	const struct flowos_pm_ops *ops;

	lockdep_assert_held(&flowos_mutex);
	list_for_each_entry(ops, &flowos_pm_types, list)
		if (!strcmp(ops->name, name))
			return ops;
	return NULL;
}

static bool pm_params_valid(const struct flowos_pm_ops *ops)
{
	unsigned int i;

	if (ops->n_params > FLOWOS_PM_MAX_PARAMS)
		return false;
	for (i = 0; i < ops->n_params; i++) {
		const struct flowos_pm_param *p = &ops->params[i];

		if (!p->name || !strcmp(p->name, "name") ||
		    !strcmp(p->name, "order") || !strcmp(p->name, "workers"))
			return false;
		if (p->min > p->max ||
		    (p->type == FLOWOS_PARAM_STRING &&
		     (p->max > FLOWOS_PM_MAX_STRINGS || p->live)) ||
		    (p->live && !ops->set_params))
			return false;
	}
	return true;
}

/*
 * Each scalar result is a file beside the core's in the instance's sysfs
 * directory: its name must be a valid one, and taken by neither.
 */
static bool pm_scalars_valid(const struct flowos_pm_ops *ops)
{
	unsigned int i, j;

	for (i = 0; i < ops->n_scalars; i++) {
		const char *name = ops->scalars[i];

		if (!name || !flowos_valid_name(name) ||
		    flowos_sysfs_pm_file(name))
			return false;
		for (j = 0; j < i; j++)
			if (!strcmp(ops->scalars[j], name))
				return false;
	}
	return true;
}

static bool pm_ops_valid(const struct flowos_pm_ops *ops)
{
	return pm_params_valid(ops) && pm_scalars_valid(ops) &&
	       ops->name && flowos_valid_name(ops->name) &&
	       strlen(ops->name) < FLOWOS_NAME_MAX &&
	       ops->max_workers <= FLOWOS_PM_WORKERS_MAX &&
	       ops->layer >= FLOWOS_LAYER_IP && ops->layer <= FLOWOS_LAYER_MAX &&
	       (ops->mode == FLOWOS_PM_MODE_RO || ops->mode == FLOWOS_PM_MODE_RW) &&
	       (!ops->needs_inline || ops->mode == FLOWOS_PM_MODE_RW) &&
	       (!ops->n_scalars || ops->read_scalar) && ops->process;
}

/**
 * flowos_register_pm - make a PM type available to attach
 * @ops: the type; must stay valid until flowos_unregister_pm()
 *
 * Return: 0, -EINVAL if @ops is malformed, -EEXIST if the name is taken.
 */
int flowos_register_pm(struct flowos_pm_ops *ops)
{
	int err = 0;

	if (WARN_ON(!pm_ops_valid(ops)))
		return -EINVAL;
	mutex_lock(&flowos_mutex);
	if (flowos_pm_type_find(ops->name))
		err = -EEXIST;
	else
		list_add_tail(&ops->list, &flowos_pm_types);
	if (!err)
		flowos_sysfs_add_type(ops);
	mutex_unlock(&flowos_mutex);
	if (!err)
		pr_info("PM type %s registered\n", ops->name);
	return err;
}
EXPORT_SYMBOL_GPL(flowos_register_pm);

/*
 * flowos_unregister_pm - withdraw a PM type.  No instance can exist: each
 * holds a reference on the module that calls this from its exit.
 */
void flowos_unregister_pm(struct flowos_pm_ops *ops)
{
	mutex_lock(&flowos_mutex);
	flowos_sysfs_del_type(ops);
	list_del(&ops->list);
	mutex_unlock(&flowos_mutex);
}
EXPORT_SYMBOL_GPL(flowos_unregister_pm);

/*
 * Load the module of PM type @name by its alias if the type is not
 * registered; the caller then looks it up under flowos_mutex.  Call
 * without the mutex: loading a PM registers it, which takes the mutex.
 */
void flowos_pm_type_load(const char *name)
{
	bool found;

	mutex_lock(&flowos_mutex);
	found = flowos_pm_type_find(name);
	mutex_unlock(&flowos_mutex);
	if (!found)
		request_module("flowos-pm-%s", name);
}

struct flowos_pm_inst *flowos_pm_find(const struct flowos_flow *flow,
				      const char *name)
{
	struct flowos_stream *st = rcu_dereference_protected(flow->stream,
				lockdep_is_held(&flowos_mutex));
	struct flowos_pm_inst *pi;

	if (!st)
		return NULL;
	list_for_each_entry(pi, &st->pms, node)
		if (!strcmp(pi->name, name))
			return pi;
	return NULL;
}

/* The most workers an instance of @ops may run. */
unsigned int flowos_pm_type_workers(const struct flowos_pm_ops *ops)
{
	return max(ops->max_workers, 1U);
}

/*
 * The first CPU from @cpu on whose ring worker @w works (c % workers ==
 * w->idx), or nr_cpu_ids.  @cpu is in @w's class or nr_cpu_ids or more.
 */
static unsigned int worker_cpu(const struct flowos_worker *w, unsigned int cpu)
{
	for (; cpu < nr_cpu_ids; cpu += w->pi->pm.workers)
		if (cpu_possible(cpu))
			return cpu;
	return nr_cpu_ids;
}

/* The instance's counters: its workers' summed.  Any context. */
void flowos_pm_read_counts(const struct flowos_pm_inst *pi,
			   struct flowos_pm_counts *c)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < pi->pm.workers; i++) {
		c->processed += READ_ONCE(pi->workers[i].processed);
		c->wakeups += READ_ONCE(pi->workers[i].wakeups);
		c->dropped += READ_ONCE(pi->workers[i].dropped);
	}
}

bool flowos_unit_drop(struct flowos_pm *pm, const struct flowos_window *win,
		      struct flowos_unit *u)
{
	struct flowos_pm_inst *pi = container_of(pm, struct flowos_pm_inst, pm);
	struct flowos_worker *w = &pi->workers[win->worker];

	if (pm->ops->mode != FLOWOS_PM_MODE_RW || !pi->st->inline_mode ||
	    u->flags & FLOWOS_UNIT_DROPPED)
		return false;
	u->flags |= FLOWOS_UNIT_DROPPED;
	WRITE_ONCE(w->dropped, w->dropped + 1);
	return true;
}
EXPORT_SYMBOL_GPL(flowos_unit_drop);

/* Wake the worker of @cpu's ring, or every worker (FLOWOS_ALL_CPUS). */
void flowos_pm_wake(const struct flowos_pm_inst *pi, int cpu)
{
	unsigned int i;

	if (cpu != FLOWOS_ALL_CPUS) {
		wake_up_process(pi->workers[cpu % pi->pm.workers].task);
		return;
	}
	for (i = 0; i < pi->pm.workers; i++)
		wake_up_process(pi->workers[i].task);
}

u64 flowos_pm_backlog(const struct flowos_pm_inst *pi)
{
	u64 backlog = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		/* Pairs with the release store in ring_publish(). */
		u64 tail = smp_load_acquire(&pi->st->rings[cpu]->tail);

		backlog += tail - READ_ONCE(pi->head[cpu]);
	}
	return backlog;
}

/*
 * Hand worker @w the window of @cpu's ring it may work on, if not
 * empty.  Returns the units it released.
 */
static unsigned int run_window(struct flowos_worker *w, unsigned int cpu)
{
	struct flowos_pm_inst *pi = w->pi;
	struct flowos_stream *st = pi->st;
	struct flowos_ring *r = st->rings[cpu];
	struct flowos_window win = {
		.units = r->units,
		.mask = st->qlen - 1,
		.layer = pi->pm.ops->layer,
		.cpu = cpu,
		.worker = w->idx,
		.head = pi->head[cpu],
	};
	unsigned int done;

	rcu_read_lock();
	win.tail = flowos_stream_limit(st, pi, cpu);
	rcu_read_unlock();
	if (win.tail <= win.head)
		return 0;
	/*
	 * Again under the lock, where an instance attaching at a lower
	 * order reads how far each instance has been handed (pm_set_heads()):
	 * either this window knows of it, or it starts no later than this
	 * window ends.
	 */
	spin_lock(&st->lock);
	rcu_read_lock();
	win.tail = flowos_stream_limit(st, pi, cpu);
	rcu_read_unlock();
	pi->handed[cpu] = max(pi->handed[cpu], win.tail);
	spin_unlock(&st->lock);
	if (win.tail <= win.head)
		return 0;

	/* The window invariants; see stream.c. */
	WARN_ON_ONCE(win.head < READ_ONCE(r->released) ||
		     win.tail - win.head > st->qlen);

	done = pi->pm.ops->process(&pi->pm, &win);
	if (WARN_ON_ONCE(done > win.tail - win.head))
		done = win.tail - win.head;
	if (!done)
		return 0;
	/* Pairs with the acquire load in flowos_stream_limit(). */
	smp_store_release(&pi->head[cpu], win.head + done);
	WRITE_ONCE(w->processed, w->processed + done);
	flowos_stream_release(st, cpu);
	return done;
}

/*
 * One pass over the worker's rings; true if it got anything done.  The
 * next orders' workers may have been waiting for these units, whichever
 * CPUs' rings they work on.
 */
static bool run_once(struct flowos_worker *w)
{
	unsigned int n = w->pi->pm.workers, done = 0, cpu;

	for (cpu = worker_cpu(w, w->idx); cpu < nr_cpu_ids; cpu = worker_cpu(w, cpu + n))
		done += run_window(w, cpu);
	if (done) {
		rcu_read_lock();
		flowos_stream_wake(w->pi->st, w->pi->order + 1,
				   FLOWOS_PM_ORDER_MAX, FLOWOS_ALL_CPUS);
		rcu_read_unlock();
	}
	return done;
}

/*
 * Whether the worker's rings have units its PM has not been handed yet.
 * Units it kept (handed, not released) are not work: they come again
 * with the next new ones, or after a tick (pm_thread()).
 */
static bool has_work(struct flowos_worker *w)
{
	struct flowos_pm_inst *pi = w->pi;
	unsigned int n = pi->pm.workers, cpu;
	bool work = false;

	rcu_read_lock();
	for (cpu = worker_cpu(w, w->idx); cpu < nr_cpu_ids; cpu = worker_cpu(w, cpu + n))
		if (flowos_stream_limit(pi->st, pi, cpu) > pi->handed[cpu]) {
			work = true;
			break;
		}
	rcu_read_unlock();
	return work;
}

/* Whether the PM keeps units of the worker's rings it was handed. */
static bool keeps_units(struct flowos_worker *w)
{
	struct flowos_pm_inst *pi = w->pi;
	unsigned int n = pi->pm.workers, cpu;

	for (cpu = worker_cpu(w, w->idx); cpu < nr_cpu_ids; cpu = worker_cpu(w, cpu + n))
		if (pi->handed[cpu] > pi->head[cpu])
			return true;
	return false;
}

/*
 * Tell the hook that the worker sleeps until woken, so that the next unit
 * on any of its rings wakes the first order's threads, batch or not.
 */
static void worker_set_idle(struct flowos_worker *w)
{
	struct flowos_stream *st = w->pi->st;
	unsigned int n = w->pi->pm.workers, cpu;

	for (cpu = worker_cpu(w, w->idx); cpu < nr_cpu_ids; cpu = worker_cpu(w, cpu + n))
		if (!READ_ONCE(st->rings[cpu]->idle))
			WRITE_ONCE(st->rings[cpu]->idle, true);
}

/*
 * A worker's thread: work while there is work (polling keeps a busy
 * flow free of wake-ups), else sleep until woken: by the hook after a
 * batch of units, by a lower order that released units, or by detach.
 * A worker that has just worked sleeps at most FLOWOS_TICK_MS, which
 * picks up units short of a batch; one that then found nothing more,
 * and has no ->tick to call and no unit kept, sleeps until woken, and
 * has the hook wake it on the next unit (ring->idle).  On an inline
 * flow, where packets wait for the PMs, every sleep is one the next unit
 * ends.  Only wake-ups count in @wakeups, not timeouts.
 */
static int pm_thread(void *arg)
{
	struct flowos_worker *w = arg;
	struct flowos_pm *pm = &w->pi->pm;
	u64 next_tick = ktime_get_ns() + FLOWOS_TICK_MS * NSEC_PER_MSEC;
	bool idle = false;

	while (!kthread_should_stop()) {
		bool busy = run_once(w);
		u64 now = ktime_get_ns();
		long timeout = msecs_to_jiffies(FLOWOS_TICK_MS);

		if (pm->ops->tick && now >= next_tick) {
			pm->ops->tick(pm, w->idx, now);
			next_tick = now + FLOWOS_TICK_MS * NSEC_PER_MSEC;
		}
		if (busy) {
			idle = false;
			cond_resched();
			continue;
		}
		set_current_state(TASK_INTERRUPTIBLE);
		if (idle && !pm->ops->tick && !keeps_units(w))
			timeout = MAX_SCHEDULE_TIMEOUT;
		/* A held packet must not wait for the timeout. */
		if (timeout == MAX_SCHEDULE_TIMEOUT || w->pi->st->inline_mode) {
			worker_set_idle(w);
			/*
			 * Pairs with smp_mb() in ring_publish(): the hook
			 * sees ring->idle, or has_work() sees its unit.
			 */
			smp_mb();
		}
		if (!kthread_should_stop() && !has_work(w)) {
			if (schedule_timeout(timeout))
				WRITE_ONCE(w->wakeups, w->wakeups + 1);
			else
				idle = true;
		}
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

/* Recompute what depends on the set of instances.  Under st->lock. */
static void stream_update(struct flowos_stream *st)
{
	struct flowos_pm_inst *pi;
	u8 first = FLOWOS_PM_ORDER_MAX;
	bool need_skb = false;
	u8 hdr_layers = 0;

	list_for_each_entry(pi, &st->pms, node) {
		first = min(first, pi->order);
		need_skb |= pi->pm.ops->layer == FLOWOS_LAYER_PAYLOAD ||
			    pi->pm.ops->layer == FLOWOS_LAYER_STREAM ||
			    pi->pm.payload || pi->pm.headers;
		if (pi->pm.headers)
			hdr_layers |= BIT(pi->pm.ops->layer);
	}
	WRITE_ONCE(st->first_order, first);
	WRITE_ONCE(st->need_skb, need_skb);
	WRITE_ONCE(st->hdr_layers, hdr_layers);
}

/*
 * A name of its own; a read-write instance must have its order to
 * itself; a PM that changes packets needs an inline flow.
 */
static int check_order(struct flowos_stream *st,
		       const struct flowos_pm_ops *ops, const char *name,
		       u8 order, struct netlink_ext_ack *extack)
{
	struct flowos_pm_inst *pi;

	if (ops->needs_inline && !st->inline_mode) {
		NL_SET_ERR_MSG_MOD(extack,
				   "this PM changes packets: it needs an inline flow (mode inline)");
		return -EOPNOTSUPP;
	}

	list_for_each_entry(pi, &st->pms, node) {
		if (!strcmp(pi->name, name)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "the flow has an instance of this name");
			return -EEXIST;
		}
		if (pi->order == order &&
		    (ops->mode == FLOWOS_PM_MODE_RW ||
		     pi->pm.ops->mode == FLOWOS_PM_MODE_RW)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "a read-write PM needs its pipeline order to itself");
			return -EBUSY;
		}
	}
	return 0;
}

/*
 * Where @pi starts on each ring: where the instances below its order
 * are, or at the tail; but no later than any instance above its order
 * has been handed units, so that these see no unit, from now on, that
 * @pi has not released (the pipeline order).  Those instances' windows
 * are handed out under st->lock, which the caller holds, as it puts @pi
 * on the stream: every window handed out after that knows of @pi.
 */
static void pm_set_heads(struct flowos_pm_inst *pi)
{
	struct flowos_stream *st = pi->st;
	struct flowos_pm_inst *other;
	int cpu;

	lockdep_assert_held(&st->lock);
	for_each_possible_cpu(cpu) {
		u64 head = flowos_stream_limit(st, pi, cpu);

		list_for_each_entry(other, &st->pms, node)
			if (other->order > pi->order)
				head = min(head, other->handed[cpu]);
		pi->head[cpu] = head;
		pi->handed[cpu] = head;
	}
}

/* Free the values of every string parameter in @strings, and forget them. */
void flowos_pm_strings_free(struct flowos_pm_strings **strings)
{
	unsigned int p, i;

	for (p = 0; p < FLOWOS_PM_MAX_PARAMS; p++) {
		for (i = 0; strings[p] && i < strings[p]->n; i++)
			kfree(strings[p]->v[i]);
		kfree(strings[p]);
		strings[p] = NULL;
	}
}

static void pm_free(struct flowos_pm_inst *pi)
{
	flowos_pm_strings_free((struct flowos_pm_strings **)pi->pm.strings);
	kfree(pi->handed);
	kfree(pi->workers);
	kfree(pi);
}

static void pm_stop_threads(struct flowos_pm_inst *pi)
{
	unsigned int i;

	for (i = 0; i < pi->pm.workers; i++)
		kthread_stop(pi->workers[i].task);
}

/*
 * The hook may wake a thread until a grace period after its instance
 * left the stream: the task structs are kept until then.
 */
static void pm_free_rcu(struct rcu_head *head)
{
	struct flowos_pm_inst *pi = container_of(head, struct flowos_pm_inst, rcu);
	unsigned int i;

	for (i = 0; i < pi->pm.workers; i++)
		put_task_struct(pi->workers[i].task);
	pm_free(pi);
}

/*
 * The flow's stream, or a new one, not yet published, if it has none (an
 * ERR_PTR if that cannot be had).  flowos_mutex held.
 */
static struct flowos_stream *flow_stream(struct flowos_flow *flow,
					 struct netlink_ext_ack *extack)
{
	struct flowos_stream *st = rcu_dereference_protected(flow->stream,
				lockdep_is_held(&flowos_mutex));

	return st ?: flowos_stream_alloc(flow, extack);
}

/*
 * Drop the flow's stream (published or not) if no instance is left.  An
 * inline stream's packets are settled first, once no hook can be
 * holding one more: after a grace period, which a namespace going away
 * has had already (its classifier went in pre_exit, see flow.c).
 */
static void flow_stream_put(struct flowos_flow *flow, struct flowos_stream *st)
{
	lockdep_assert_held(&flowos_mutex);
	if (!list_empty(&st->pms))
		return;
	RCU_INIT_POINTER(flow->stream, NULL);
	if (st->inline_mode) {
		if (rcu_access_pointer(flow->fn->cls))
			synchronize_rcu();
		flowos_stream_settle(st);
	}
	flowos_stream_free_rcu(st);
}

/* An instance of @conf; it owns @conf->strings on success. */
static struct flowos_pm_inst *pm_alloc(struct flowos_flow *flow,
				       struct flowos_stream *st,
				       const struct flowos_pm_ops *ops,
				       const struct flowos_pm_conf *conf)
{
	struct flowos_pm_inst *pi;
	unsigned int i;

	pi = kzalloc(struct_size(pi, head, nr_cpu_ids), GFP_KERNEL);
	if (!pi)
		return NULL;
	pi->workers = kcalloc(conf->workers, sizeof(*pi->workers), GFP_KERNEL);
	pi->handed = kcalloc(nr_cpu_ids, sizeof(*pi->handed), GFP_KERNEL);
	if (!pi->workers || !pi->handed) {
		kfree(pi->handed);
		kfree(pi->workers);
		kfree(pi);
		return NULL;
	}
	for (i = 0; i < conf->workers; i++) {
		pi->workers[i].pi = pi;
		pi->workers[i].idx = i;
	}
	pi->pm.ops = ops;
	pi->pm.net = flow->fn->net;
	pi->pm.workers = conf->workers;
	memcpy(pi->pm.params, conf->params, sizeof(pi->pm.params));
	memcpy(pi->pm.strings, conf->strings, sizeof(pi->pm.strings));
	pi->flow = flow;
	pi->st = st;
	pi->order = conf->order;
	refcount_set(&pi->refs, 1);
	strscpy(pi->name, conf->name, sizeof(pi->name));
	return pi;
}

/*
 * An inline flow's threads are woken by the hook on the first unit
 * held while they sleep, that is for nearly every packet of a flow they
 * keep up with.  A SCHED_NORMAL thread woken so preempts the task the
 * hook ran in (a sender, a softirq's ksoftirqd or pktgen), at a cost of
 * two context switches a packet.  A SCHED_BATCH thread does not (their
 * preemption is driven by the tick: kernel/sched/fair.c): it
 * runs at once on an idle CPU, and on a busy one at the tick or when the
 * task there sleeps, then works through every unit held meanwhile.
 * Fairness is unchanged: SCHED_BATCH has the same weight as its nice.
 */
static void worker_set_batch(struct task_struct *task)
{
	const struct sched_attr attr = { .sched_policy = SCHED_BATCH };

	WARN_ON_ONCE(sched_setattr_nocheck(task, &attr));
}

/* "flowos/NAME", or "flowos/NAME/W" when the instance has several. */
static struct task_struct *worker_create(struct flowos_worker *w)
{
	struct flowos_pm_inst *pi = w->pi;
	struct task_struct *task;

	if (pi->pm.workers == 1)
		task = kthread_create(pm_thread, w, "flowos/%s", pi->name);
	else
		task = kthread_create(pm_thread, w, "flowos/%s/%u", pi->name,
				      w->idx);
	if (!IS_ERR(task) && pi->st->inline_mode)
		worker_set_batch(task);
	return task;
}

/* Start the threads and put @pi on the stream. */
static int pm_start(struct flowos_pm_inst *pi)
{
	struct flowos_stream *st = pi->st;
	unsigned int i;

	lockdep_assert_held(&flowos_mutex);
	for (i = 0; i < pi->pm.workers; i++) {
		struct task_struct *task = worker_create(&pi->workers[i]);

		if (IS_ERR(task)) {
			/* None has run: the stream has never seen them. */
			while (i--) {
				kthread_stop(pi->workers[i].task);
				put_task_struct(pi->workers[i].task);
			}
			return PTR_ERR(task);
		}
		pi->workers[i].task = get_task_struct(task);
	}

	spin_lock(&st->lock);
	pm_set_heads(pi);
	list_add_tail_rcu(&pi->node, &st->pms);
	stream_update(st);
	spin_unlock(&st->lock);

	flowos_pm_wake(pi, FLOWOS_ALL_CPUS);
	return 0;
}

/* Why ->init failed: the PM's own words if it has any. */
static void pm_init_error(const struct flowos_pm *pm,
			  struct netlink_ext_ack *extack)
{
	if (!pm->errmsg) {
		NL_SET_ERR_MSG_MOD(extack, "the PM could not start an instance");
		return;
	}
	flowos_pm_errmsg(extack, pm->errmsg);
}

/**
 * flowos_pm_attach - start an instance of a PM type on a flow
 * @flow: the flow
 * @ops: the type; the caller holds a reference on its module, which the
 *	instance keeps on success
 * @conf: its name (valid and unique in @flow), pipeline order, workers
 *	(checked against @ops), parameters (checked against @ops->params)
 *	and the values of its string parameters, which the instance
 *	owns on success, and which are freed on failure
 * @extack: where to say why it failed
 *
 * Called with flowos_mutex held.
 */
int flowos_pm_attach(struct flowos_flow *flow, const struct flowos_pm_ops *ops,
		     struct flowos_pm_conf *conf, struct netlink_ext_ack *extack)
{
	struct flowos_stream *st;
	struct flowos_pm_inst *pi;
	int err;

	lockdep_assert_held(&flowos_mutex);
	st = flow_stream(flow, extack);
	if (IS_ERR(st)) {
		flowos_pm_strings_free(conf->strings);
		return PTR_ERR(st);
	}
	err = check_order(st, ops, conf->name, conf->order, extack);
	if (err)
		goto put_strings;
	err = -ENOMEM;
	pi = pm_alloc(flow, st, ops, conf);
	if (!pi)
		goto put_strings;
	err = ops->init ? ops->init(&pi->pm) : 0;
	if (err == -ENOSPC) {
		flowos_mem_refuse(extack);
		goto free;
	}
	if (err) {
		pm_init_error(&pi->pm, extack);
		goto free;
	}
	err = pm_start(pi);
	if (err)
		goto fini;
	/*
	 * Only now may the packet path queue units for it: a slow ->init
	 * must not fill rings nobody reads, nor a refused attach count
	 * drops.  Units queued from here on are all seen.
	 */
	if (!rcu_access_pointer(flow->stream))
		rcu_assign_pointer(flow->stream, st);
	flowos_sysfs_add_pm(pi);
	return 0;

fini:
	if (ops->detach)
		ops->detach(&pi->pm);
	if (ops->fini)
		ops->fini(&pi->pm);
free:
	pm_free(pi);
	goto put_stream;
put_strings:
	flowos_pm_strings_free(conf->strings);
put_stream:
	flow_stream_put(flow, st);
	return err;
}

/* The end of an instance nobody holds: its PM's state, then itself. */
static void pm_release(struct flowos_pm_inst *pi)
{
	const struct flowos_pm_ops *ops = pi->pm.ops;

	if (ops->fini)
		ops->fini(&pi->pm);
	call_rcu(&pi->rcu, pm_free_rcu);
	/* Last: the PM's code outlives every call into it. */
	module_put(ops->owner);
}

/**
 * flowos_pm_detach - stop an instance and take it off its flow
 * @pi: the instance; its threads have stopped and no unit reaches it when
 *	this returns, and it is freed then, or by the last reader of its
 *	results (flowos_pm_reader_put())
 *
 * Its stream goes with it if it was the flow's last instance, so a
 * reader must not touch @pi->st or @pi->flow.  Called with flowos_mutex
 * held; it never waits for a read.
 */
void flowos_pm_detach(struct flowos_pm_inst *pi)
{
	struct flowos_stream *st = pi->st;
	bool last;
	int cpu;

	lockdep_assert_held(&flowos_mutex);
	flowos_sysfs_del_pm(pi);
	pm_stop_threads(pi);
	if (pi->pm.ops->detach)
		pi->pm.ops->detach(&pi->pm);
	/* On an inline flow, what it is done with goes on now. */
	if (st->inline_mode)
		for_each_possible_cpu(cpu)
			flowos_stream_release(st, cpu);

	spin_lock(&st->lock);
	list_del_rcu(&pi->node);
	stream_update(st);
	last = list_empty(&st->pms);
	spin_unlock(&st->lock);

	/*
	 * Its units may be all that held the others back.  The last
	 * instance of an inline flow leaves the packets it had not
	 * processed to flow_stream_put(), which settles them by the
	 * flow's policy.
	 */
	if (!last || !st->inline_mode)
		for_each_possible_cpu(cpu)
			flowos_stream_release(st, cpu);
	flowos_stream_wake(st, pi->order + 1, FLOWOS_PM_ORDER_MAX,
			   FLOWOS_ALL_CPUS);
	flow_stream_put(pi->flow, st);
	flowos_pm_reader_put(pi);
}

/*
 * A reader of @pi's results, which may then drop flowos_mutex: @pi
 * stays, and its PM's state, parameters and code too, until
 * flowos_pm_reader_put(), even if it is detached meanwhile.  Called
 * with flowos_mutex held, @pi attached.
 */
void flowos_pm_reader_get(struct flowos_pm_inst *pi)
{
	lockdep_assert_held(&flowos_mutex);
	refcount_inc(&pi->refs);
}

/* Process context: the last put runs the PM's ->fini. */
void flowos_pm_reader_put(struct flowos_pm_inst *pi)
{
	might_sleep();
	if (refcount_dec_and_test(&pi->refs))
		pm_release(pi);
}

/* Detach every instance of @flow. */
void flowos_pm_detach_all(struct flowos_flow *flow)
{
	struct flowos_stream *st = rcu_dereference_protected(flow->stream,
				lockdep_is_held(&flowos_mutex));

	while (st && !list_empty(&st->pms)) {
		flowos_pm_detach(list_last_entry(&st->pms,
						 struct flowos_pm_inst, node));
		st = rcu_dereference_protected(flow->stream,
					       lockdep_is_held(&flowos_mutex));
	}
}
