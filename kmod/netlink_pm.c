// SPDX-License-Identifier: GPL-2.0
/*
 * The PM commands of the "flowos" family (uapi/linux/flowos.h): attach,
 * set, detach, stats and PM types.  Parameters are parsed in
 * pm_params.c, results taken and sent in parts by results.c.
 */
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "flowos.h"

static const struct nla_policy params_policy[FLOWOS_A_PM_PARAM + 1] = {
	[FLOWOS_A_PM_PARAM] = NLA_POLICY_NESTED(flowos_param_policy),
};

const struct nla_policy flowos_pm_policy[FLOWOS_A_PM_MAX + 1] = {
	[FLOWOS_A_PM_FLOW] = { .type = NLA_NUL_STRING,
			       .len = FLOWOS_NAME_MAX - 1 },
	[FLOWOS_A_PM_NAME] = { .type = NLA_NUL_STRING,
			       .len = FLOWOS_NAME_MAX - 1 },
	[FLOWOS_A_PM_TYPE] = { .type = NLA_NUL_STRING,
			       .len = FLOWOS_NAME_MAX - 1 },
	[FLOWOS_A_PM_ORDER] = NLA_POLICY_MAX(NLA_U8, FLOWOS_PM_ORDER_MAX),
	[FLOWOS_A_PM_PARAMS] = NLA_POLICY_NESTED(params_policy),
	[FLOWOS_A_PM_PARAM] = { .type = NLA_REJECT },
	[FLOWOS_A_PM_STATS] = { .type = NLA_REJECT },
	[FLOWOS_A_PM_RESULTS] = { .type = NLA_REJECT },
	[FLOWOS_A_PM_EVENT] = { .type = NLA_REJECT },
	[FLOWOS_A_PM_WORKERS] = NLA_POLICY_RANGE(NLA_U8, 1, FLOWOS_PM_WORKERS_MAX),
	[FLOWOS_A_PM_PART] = { .type = NLA_REJECT },
};

/* Instances */

/* The largest body of a reply that is one message (not a dump). */
#define ONE_MSG_BODY_MAX	SZ_32K

static int put_pm_stats(struct flowos_results *res,
			const struct flowos_pm_inst *pi)
{
	struct flowos_pm_counts c;

	flowos_pm_read_counts(pi, &c);
	if (flowos_results_nest_start(res, FLOWOS_A_PM_STATS) ||
	    flowos_results_put_u64(res, FLOWOS_A_PM_STATS_PROCESSED, c.processed) ||
	    flowos_results_put_u64(res, FLOWOS_A_PM_STATS_BACKLOG,
				   flowos_pm_backlog(pi)) ||
	    flowos_results_put_u64(res, FLOWOS_A_PM_STATS_WAKEUPS, c.wakeups) ||
	    flowos_results_put_u64(res, FLOWOS_A_PM_STATS_DROPPED, c.dropped))
		return flowos_results_error(res);
	flowos_results_end(res);
	return flowos_results_error(res);
}

/* The PM's scalars, then whatever it fills in. */
static int put_results(struct flowos_results *res,
		       const struct flowos_pm_inst *pi)
{
	const struct flowos_pm_ops *ops = pi->pm.ops;
	unsigned int i, depth;
	int err;

	if (flowos_results_container_start(res, FLOWOS_A_PM_RESULTS, NULL))
		return flowos_results_error(res);
	for (i = 0; i < ops->n_scalars; i++)
		flowos_result_put_u64(res, ops->scalars[i],
				      ops->read_scalar(&pi->pm, i));
	depth = flowos_results_depth(res);
	if (ops->fill_results) {
		err = ops->fill_results(&pi->pm, res);
		if (err)
			return flowos_results_error(res) ?: err;
	}
	if (WARN_ONCE(flowos_results_depth(res) != depth,
		      "flowos: PM %s left a table or row open\n", ops->name))
		return -EINVAL;
	flowos_results_end(res);
	return flowos_results_error(res);
}

/*
 * The start of a read of @pi, under flowos_mutex: who it is and the
 * core's counts of it, which need its flow and stream; a detach may take
 * both away once the mutex is dropped.  Errors stay in the result.
 */
static struct flowos_results *read_start(const struct flowos_pm_inst *pi,
					 bool privileged)
{
	struct flowos_results *res;

	lockdep_assert_held(&flowos_mutex);
	res = flowos_results_new(pi, privileged);
	if (res)
		put_pm_stats(res, pi);
	return res;
}

/*
 * The rest of what @pi reports, taken now and held until sent: its
 * parameters and its results.  The caller keeps @pi, with flowos_mutex
 * or as a reader (flowos_pm_reader_get()); a PM's fill may take long on
 * a large table, so reads do it as readers, and neither configuration
 * nor other readers wait for it.  Frees @res on an error.
 */
static struct flowos_results *read_finish(struct flowos_results *res,
					  const struct flowos_pm_inst *pi,
					  struct netlink_ext_ack *extack)
{
	int err;

	if (!res)
		return ERR_PTR(-ENOMEM);
	err = flowos_results_error(res) ?: flowos_params_put(res, pi) ?:
	      put_results(res, pi);
	if (!err)
		return res;
	flowos_results_free(res);
	if (err == -ENOSPC)
		NL_SET_ERR_MSG_MOD(extack,
				   "memory for reads in progress is at its cap (module parameter results_limit_kb)");
	else if (err == -EFBIG)
		NL_SET_ERR_MSG_MOD(extack, "the results are larger than 32 MiB");
	return ERR_PTR(err);
}

/* One message of @cmd: who @res is, and its body if it has one. */
static struct sk_buff *res_msg(struct flowos_results *res, u32 portid,
			       u32 seq, u8 cmd)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(flowos_results_pending(res) + NLMSG_GOODSIZE / 4,
			  GFP_KERNEL);
	if (!skb)
		return NULL;
	hdr = genlmsg_put(skb, portid, seq, &flowos_nl_family, 0, cmd);
	if (!hdr || flowos_results_put_header(res, skb) ||
	    flowos_results_send(res, skb)) {
		nlmsg_free(skb);
		return NULL;
	}
	genlmsg_end(skb, hdr);
	return skb;
}

/*
 * Attach, set and detach announced on "events": who the instance is.
 * A listener reads the rest with FLOWOS_CMD_STATS_GET.
 */
static void pm_event(struct flowos_net *fn, const struct flowos_pm_inst *pi,
		     u8 cmd)
{
	struct flowos_results *res;

	if (!flowos_nl_has_listeners(fn))
		return;
	res = flowos_results_new(pi, true);
	if (res)
		flowos_nl_notify(fn, res_msg(res, 0, 0, cmd));
	flowos_results_free(res);
}

/*
 * The reply to an attach or a set: the instance as a "do" of
 * FLOWOS_CMD_STATS_GET has it, or only who it is when that would not be
 * one message.  The change is made by then: the reply does not fail it.
 */
static int reply_pm(struct genl_info *info, const struct flowos_pm_inst *pi)
{
	struct flowos_results *res = read_finish(read_start(pi, true), pi, NULL);
	struct sk_buff *skb;

	if (IS_ERR(res) || flowos_results_pending(res) > ONE_MSG_BODY_MAX) {
		if (!IS_ERR(res))
			flowos_results_free(res);
		res = flowos_results_new(pi, true);
		if (!res)
			return -ENOMEM;
	}
	skb = res_msg(res, info->snd_portid, info->snd_seq,
		      info->genlhdr->cmd);
	flowos_results_free(res);
	if (!skb)
		return -ENOMEM;
	return genlmsg_reply(skb, info);
}

/*
 * The flow and, if @want_pm, the instance a request names, or an error
 * saying which is missing.
 */
static int find_target(struct flowos_net *fn, struct genl_info *info,
		       bool want_pm, struct flowos_flow **flow,
		       struct flowos_pm_inst **pi)
{
	struct nlattr **tb = info->attrs;

	lockdep_assert_held(&flowos_mutex);
	*flow = flowos_flow_find(fn, nla_data(tb[FLOWOS_A_PM_FLOW]));
	if (!*flow) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[FLOWOS_A_PM_FLOW],
				    "no flow of this name");
		return -ENOENT;
	}
	if (!want_pm)
		return 0;
	*pi = flowos_pm_find(*flow, nla_data(tb[FLOWOS_A_PM_NAME]));
	if (!*pi) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[FLOWOS_A_PM_NAME],
				    "the flow has no PM instance of this name");
		return -ENOENT;
	}
	return 0;
}

/* The type @attr names, pinned, or an error. */
static const struct flowos_pm_ops *get_type(const struct nlattr *attr,
					    struct netlink_ext_ack *extack)
{
	const struct flowos_pm_ops *ops;

	lockdep_assert_held(&flowos_mutex);
	ops = flowos_pm_type_find(nla_data(attr));
	if (!ops || !try_module_get(ops->owner)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "no PM type of this name is loaded or loadable");
		return ERR_PTR(-ENOENT);
	}
	return ops;
}

/* Whether the type, and this machine, can run @workers threads. */
static int check_workers(const struct flowos_pm_ops *ops, struct nlattr *attr,
			 unsigned int workers, struct netlink_ext_ack *extack)
{
	if (workers > flowos_pm_type_workers(ops)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "more workers than this PM type allows");
		return -EINVAL;
	}
	if (workers > num_possible_cpus()) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "more workers than this machine has CPUs");
		return -EINVAL;
	}
	return 0;
}

/*
 * Start the instance @tb describes (an attach request's attributes, or
 * one instance of a pipeline) on @flow, named @name.  Its type was
 * loaded, if it could be, before flowos_mutex was taken.
 */
static int attach_one(struct flowos_flow *flow, struct nlattr **tb,
		      const char *name, struct netlink_ext_ack *extack)
{
	struct flowos_pm_conf conf = {
		.name = name,
		.order = tb[FLOWOS_A_PM_ORDER] ?
			 nla_get_u8(tb[FLOWOS_A_PM_ORDER]) : 0,
		.workers = tb[FLOWOS_A_PM_WORKERS] ?
			   nla_get_u8(tb[FLOWOS_A_PM_WORKERS]) : 1,
	};
	const struct flowos_pm_ops *ops;
	int err;

	lockdep_assert_held(&flowos_mutex);
	ops = get_type(tb[FLOWOS_A_PM_TYPE], extack);
	if (IS_ERR(ops))
		return PTR_ERR(ops);
	err = check_workers(ops, tb[FLOWOS_A_PM_WORKERS], conf.workers,
			    extack);
	if (!err)
		err = flowos_params_from_attrs(ops, tb[FLOWOS_A_PM_PARAMS],
					       conf.params, conf.strings,
					       extack);
	if (!err)
		err = flowos_pm_attach(flow, ops, &conf, extack);
	if (err)
		module_put(ops->owner);
	return err;
}

static int attach_locked(struct flowos_net *fn, struct genl_info *info,
			 const char *name)
{
	struct flowos_pm_inst *pi;
	struct flowos_flow *flow;
	int err;

	err = find_target(fn, info, false, &flow, NULL);
	if (!err)
		err = attach_one(flow, info->attrs, name, info->extack);
	if (err)
		return err;
	fn->gen++;
	pi = flowos_pm_find(flow, name);
	pm_event(fn, pi, FLOWOS_CMD_PM_ATTACH);
	return reply_pm(info, pi);
}

/*
 * What an attach takes that can be checked without the lock: a type
 * and an instance name that are names (the type becomes a module alias
 * to load: a name, never a path).  Returns the instance's name.
 */
static const char *check_names(struct nlattr **tb,
			       const struct nlattr *where,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *name_attr;

	if (!tb[FLOWOS_A_PM_TYPE]) {
		NL_SET_ERR_MSG_ATTR(extack, where, "missing the PM type");
		return NULL;
	}
	if (!flowos_valid_name(nla_data(tb[FLOWOS_A_PM_TYPE]))) {
		NL_SET_ERR_MSG_ATTR(extack, tb[FLOWOS_A_PM_TYPE],
				    "a PM type is letters, digits, '_', '.' and '-', not . or ..");
		return NULL;
	}
	name_attr = tb[FLOWOS_A_PM_NAME] ?: tb[FLOWOS_A_PM_TYPE];
	if (!flowos_valid_name(nla_data(name_attr))) {
		NL_SET_ERR_MSG_ATTR(extack, name_attr,
				    "a PM name is letters, digits, '_', '.' and '-', not . or ..");
		return NULL;
	}
	return nla_data(name_attr);
}

int flowos_nl_pm_attach(struct sk_buff *skb, struct genl_info *info)
{
	struct flowos_net *fn = flowos_pernet(genl_info_net(info));
	struct nlattr **tb = info->attrs;
	const char *name;
	int err;

	if (FLOWOS_REQUIRE(info, FLOWOS_A_PM_FLOW, "missing the flow's name") ||
	    FLOWOS_REQUIRE(info, FLOWOS_A_PM_TYPE, "missing the PM type"))
		return -EINVAL;
	name = check_names(tb, NULL, info->extack);
	if (!name)
		return -EINVAL;

	flowos_pm_type_load(nla_data(tb[FLOWOS_A_PM_TYPE]));
	mutex_lock(&flowos_mutex);
	err = attach_locked(fn, info, name);
	mutex_unlock(&flowos_mutex);
	return err;
}

/* Pipelines: a flow's instances, created with it (FLOWOS_A_FLOW_PIPELINE) */

/*
 * The attributes of @entry, one instance of a pipeline, in @tb, and its
 * name in @name.
 */
static int pipeline_entry(const struct nlattr *entry, struct nlattr **tb,
			  const char **name, struct netlink_ext_ack *extack)
{
	int err;

	/* The policy has checked each entry; this only indexes it. */
	err = nla_parse_nested(tb, FLOWOS_A_PM_MAX, entry, flowos_pm_policy,
			       extack);
	if (err)
		return err;
	if (tb[FLOWOS_A_PM_FLOW]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[FLOWOS_A_PM_FLOW],
				    "an instance of a pipeline is on the flow created");
		return -EINVAL;
	}
	*name = check_names(tb, entry, extack);
	return *name ? 0 : -EINVAL;
}

/**
 * flowos_nl_pipeline_check - check a pipeline before the flow is made
 * @pipeline: the FLOWOS_A_FLOW_PIPELINE attribute
 * @extack: where to say which instance is wrong, and why
 *
 * Also loads each instance's PM type if it can be loaded: that may not
 * be done under flowos_mutex.  Called without it.
 */
int flowos_nl_pipeline_check(const struct nlattr *pipeline,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *tb[FLOWOS_A_PM_MAX + 1];
	const struct nlattr *entry;
	int rem, n = 0, err;
	const char *name;

	nla_for_each_nested(entry, pipeline, rem) {
		if (++n > FLOWOS_PIPELINE_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, entry,
					    "more instances than a pipeline may have (32)");
			return -E2BIG;
		}
		err = pipeline_entry(entry, tb, &name, extack);
		if (err)
			return err;
		flowos_pm_type_load(nla_data(tb[FLOWOS_A_PM_TYPE]));
	}
	return 0;
}

/**
 * flowos_nl_pipeline_attach - start a pipeline's instances on a new flow
 * @flow: the flow, not yet matching any packet
 * @pipeline: the FLOWOS_A_FLOW_PIPELINE attribute, checked by
 *	flowos_nl_pipeline_check()
 * @extack: where to say which instance was refused, and why
 *
 * On failure the instances started are left on @flow, for the caller's
 * teardown of it.  Called with flowos_mutex held.
 */
int flowos_nl_pipeline_attach(struct flowos_flow *flow,
			      const struct nlattr *pipeline,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[FLOWOS_A_PM_MAX + 1];
	const struct nlattr *entry;
	const char *name;
	int rem, err;

	lockdep_assert_held(&flowos_mutex);
	nla_for_each_nested(entry, pipeline, rem) {
		err = pipeline_entry(entry, tb, &name, extack);
		if (!err)
			err = attach_one(flow, tb, name, extack);
		if (err) {
			/* An ->init's refusal names no attribute: the entry. */
			if (extack && !extack->bad_attr)
				NL_SET_BAD_ATTR(extack, entry);
			return err;
		}
	}
	return 0;
}

/* Announce each instance of a flow just created, in attach order. */
void flowos_nl_pipeline_announce(struct flowos_net *fn,
				 const struct flowos_flow *flow)
{
	struct flowos_stream *st = rcu_dereference_protected(flow->stream,
				lockdep_is_held(&flowos_mutex));
	struct flowos_pm_inst *pi;

	if (!st)
		return;
	list_for_each_entry(pi, &st->pms, node)
		pm_event(fn, pi, FLOWOS_CMD_PM_ATTACH);
}

int flowos_nl_pm_detach(struct sk_buff *skb, struct genl_info *info)
{
	struct flowos_net *fn = flowos_pernet(genl_info_net(info));
	struct flowos_pm_inst *pi;
	struct flowos_flow *flow;
	int err;

	if (FLOWOS_REQUIRE(info, FLOWOS_A_PM_FLOW, "missing the flow's name") ||
	    FLOWOS_REQUIRE(info, FLOWOS_A_PM_NAME, "missing the instance's name"))
		return -EINVAL;
	mutex_lock(&flowos_mutex);
	err = find_target(fn, info, true, &flow, &pi);
	if (!err) {
		pm_event(fn, pi, FLOWOS_CMD_PM_DETACH);
		flowos_pm_detach(pi);
		fn->gen++;
	}
	mutex_unlock(&flowos_mutex);
	return err;
}

static int set_locked(struct flowos_net *fn, struct genl_info *info)
{
	u64 params[FLOWOS_PM_MAX_PARAMS];
	struct flowos_pm_inst *pi;
	struct flowos_flow *flow;
	struct flowos_pm *pm;
	unsigned int i;
	int err;

	err = find_target(fn, info, true, &flow, &pi);
	if (err)
		return err;
	pm = &pi->pm;
	err = flowos_params_live(pm, info->attrs[FLOWOS_A_PM_PARAMS], params,
				 info->extack);
	if (err)
		return err;
	pm->errmsg = NULL;
	err = pm->ops->set_params(pm, params);
	if (err) {
		if (pm->errmsg)
			flowos_pm_errmsg(info->extack, pm->errmsg);
		else
			NL_SET_ERR_MSG_MOD(info->extack, "the PM refused the values");
		return err == -ENOMEM ? err : -EINVAL;
	}
	for (i = 0; i < pm->ops->n_params; i++)
		WRITE_ONCE(pm->params[i], params[i]);
	pm_event(fn, pi, FLOWOS_CMD_PM_SET);
	return reply_pm(info, pi);
}

int flowos_nl_pm_set(struct sk_buff *skb, struct genl_info *info)
{
	struct flowos_net *fn = flowos_pernet(genl_info_net(info));
	int err;

	if (FLOWOS_REQUIRE(info, FLOWOS_A_PM_FLOW, "missing the flow's name") ||
	    FLOWOS_REQUIRE(info, FLOWOS_A_PM_NAME, "missing the instance's name") ||
	    FLOWOS_REQUIRE(info, FLOWOS_A_PM_PARAMS, "missing the parameters to change"))
		return -EINVAL;
	mutex_lock(&flowos_mutex);
	err = set_locked(fn, info);
	mutex_unlock(&flowos_mutex);
	return err;
}

/*
 * The instance a request names, held as a reader (the caller puts it),
 * with its read started in @res, or an error.
 */
static struct flowos_pm_inst *find_reader(struct flowos_net *fn,
					  struct genl_info *info,
					  bool privileged,
					  struct flowos_results **res)
{
	struct flowos_pm_inst *pi;
	struct flowos_flow *flow;
	int err;

	mutex_lock(&flowos_mutex);
	err = find_target(fn, info, true, &flow, &pi);
	if (!err) {
		*res = read_start(pi, privileged);
		flowos_pm_reader_get(pi);
	}
	mutex_unlock(&flowos_mutex);
	return err ? ERR_PTR(err) : pi;
}

/* The one instance a "do" names, if its body fits in one message. */
int flowos_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct flowos_net *fn = flowos_pernet(genl_info_net(info));
	struct flowos_results *res;
	struct flowos_pm_inst *pi;
	struct sk_buff *msg;

	if (FLOWOS_REQUIRE(info, FLOWOS_A_PM_FLOW, "missing the flow's name") ||
	    FLOWOS_REQUIRE(info, FLOWOS_A_PM_NAME, "missing the instance's name"))
		return -EINVAL;
	pi = find_reader(fn, info, netlink_capable(skb, CAP_NET_ADMIN), &res);
	if (IS_ERR(pi))
		return PTR_ERR(pi);
	res = read_finish(res, pi, info->extack);
	flowos_pm_reader_put(pi);
	if (IS_ERR(res))
		return PTR_ERR(res);
	if (flowos_results_pending(res) > ONE_MSG_BODY_MAX) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "the results are larger than one message: dump them (NLM_F_DUMP)");
		flowos_results_free(res);
		return -EMSGSIZE;
	}
	msg = res_msg(res, info->snd_portid, info->snd_seq,
		      FLOWOS_CMD_STATS_GET);
	flowos_results_free(res);
	if (!msg)
		return -ENOMEM;
	return genlmsg_reply(msg, info);
}

/*
 * Where a stats dump is, between two calls: the flow in progress (by
 * id), how many of its instances were sent whole, and the results of
 * the one being sent, taken when the dump reached it, or NULL.
 */
struct stats_dump {
	u32 flow_id;
	unsigned int sent;
	struct flowos_results *res;
};

static struct stats_dump *stats_dump_of(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct stats_dump) > sizeof(cb->ctx));
	return (struct stats_dump *)cb->ctx;
}

/* The sd->sent-th instance of @flow on, the first @only_pm may name. */
static struct flowos_pm_inst *next_in_flow(const struct flowos_flow *flow,
					   const char *only_pm,
					   struct stats_dump *sd)
{
	struct flowos_stream *st = rcu_dereference_protected(flow->stream,
				lockdep_is_held(&flowos_mutex));
	struct flowos_pm_inst *pi;
	unsigned int i = 0;

	if (!st)
		return NULL;
	list_for_each_entry(pi, &st->pms, node) {
		if (i++ < sd->sent)
			continue;
		if (!only_pm || !strcmp(pi->name, only_pm))
			return pi;
		sd->sent++;
	}
	return NULL;
}

/*
 * The next instance to dump, by flow in id order, then attach order,
 * held as a reader with its read started in @res; NULL when there is
 * none.
 */
static struct flowos_pm_inst *next_instance(struct flowos_net *fn,
					    struct netlink_callback *cb,
					    struct stats_dump *sd,
					    struct flowos_results **res)
{
	struct nlattr **attrs = flowos_dump_attrs(cb);
	struct nlattr *only = attrs[FLOWOS_A_PM_FLOW];
	const char *only_pm = attrs[FLOWOS_A_PM_NAME] ?
			      nla_data(attrs[FLOWOS_A_PM_NAME]) : NULL;
	struct flowos_pm_inst *pi = NULL;
	struct flowos_flow *flow;

	mutex_lock(&flowos_mutex);
	cb->seq = fn->gen;
	list_for_each_entry(flow, &fn->flows, node) {
		if (flow->id < sd->flow_id ||
		    (only && strcmp(flow->name, nla_data(only))))
			continue;
		if (flow->id != sd->flow_id) {
			sd->flow_id = flow->id;
			sd->sent = 0;
		}
		pi = next_in_flow(flow, only_pm, sd);
		if (pi) {
			*res = read_start(pi, netlink_capable(cb->skb,
							      CAP_NET_ADMIN));
			flowos_pm_reader_get(pi);
			break;
		}
	}
	mutex_unlock(&flowos_mutex);
	return pi;
}

/*
 * The next part of the instance in progress, and the instance counted
 * as sent once it is whole; -EMSGSIZE when @skb is full.
 */
static int dump_instance_part(struct sk_buff *skb, struct netlink_callback *cb,
			      struct stats_dump *sd)
{
	int err = flowos_results_dump_part(sd->res, skb, cb);

	if (err)
		return err;
	flowos_results_free(sd->res);
	sd->res = NULL;
	sd->sent++;
	return 0;
}

/*
 * Every instance, by flow in id order, then attach order; each in as
 * many messages as its results need (results.c).  The results of an
 * instance are taken without flowos_mutex (read_finish()).
 */
int flowos_nl_stats_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct flowos_net *fn = flowos_pernet(sock_net(skb->sk));
	struct stats_dump *sd = stats_dump_of(cb);
	struct flowos_results *res;
	struct flowos_pm_inst *pi;
	int err = 0;

	while (!err) {
		if (!sd->res) {
			pi = next_instance(fn, cb, sd, &res);
			if (!pi)
				break;
			sd->res = read_finish(res, pi, cb->extack);
			flowos_pm_reader_put(pi);
			if (IS_ERR(sd->res)) {
				err = PTR_ERR(sd->res);
				sd->res = NULL;
				break;
			}
		}
		err = dump_instance_part(skb, cb, sd);
	}
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	if (err == -EMSGSIZE)
		NL_SET_ERR_MSG_MOD(cb->extack, "a result does not fit in a message");
	return err;
}

int flowos_nl_stats_dump_done(struct netlink_callback *cb)
{
	struct stats_dump *sd = stats_dump_of(cb);

	flowos_results_free(sd->res);
	sd->res = NULL;
	return 0;
}

/* Types */

static int put_param_spec(struct sk_buff *skb, const struct flowos_pm_param *p)
{
	struct nlattr *nest = nla_nest_start(skb, FLOWOS_A_TYPE_PARAM);

	if (!nest ||
	    nla_put_string(skb, FLOWOS_A_PARAM_SPEC_NAME, p->name) ||
	    nla_put_u8(skb, FLOWOS_A_PARAM_SPEC_TYPE, p->type) ||
	    nla_put_u64_64bit(skb, FLOWOS_A_PARAM_SPEC_RANGE_MIN, p->min,
			      FLOWOS_A_PARAM_SPEC_PAD) ||
	    nla_put_u64_64bit(skb, FLOWOS_A_PARAM_SPEC_RANGE_MAX, p->max,
			      FLOWOS_A_PARAM_SPEC_PAD) ||
	    nla_put_u64_64bit(skb, FLOWOS_A_PARAM_SPEC_DEFAULT, p->def,
			      FLOWOS_A_PARAM_SPEC_PAD) ||
	    (p->doc && nla_put_string(skb, FLOWOS_A_PARAM_SPEC_DOC, p->doc)) ||
	    (p->live && nla_put_flag(skb, FLOWOS_A_PARAM_SPEC_LIVE)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int fill_type(struct sk_buff *skb, const struct flowos_pm_ops *ops,
		     struct netlink_callback *cb)
{
	struct nlattr *params;
	unsigned int i;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &flowos_nl_family, NLM_F_MULTI,
			  FLOWOS_CMD_PM_TYPE_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_string(skb, FLOWOS_A_TYPE_NAME, ops->name) ||
	    nla_put_u8(skb, FLOWOS_A_TYPE_LAYER, ops->layer) ||
	    nla_put_u8(skb, FLOWOS_A_TYPE_MODE, ops->mode) ||
	    nla_put_u8(skb, FLOWOS_A_TYPE_WORKERS, flowos_pm_type_workers(ops)))
		goto cancel;
	params = nla_nest_start(skb, FLOWOS_A_TYPE_PARAMS);
	if (!params)
		goto cancel;
	for (i = 0; i < ops->n_params; i++)
		if (put_param_spec(skb, &ops->params[i]))
			goto cancel;
	nla_nest_end(skb, params);
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* Types in registration order; cb->args[0] counts those sent. */
int flowos_nl_pm_type_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct flowos_pm_ops *ops;
	unsigned long i = 0;
	int err = 0;

	mutex_lock(&flowos_mutex);
	list_for_each_entry(ops, &flowos_pm_types, list) {
		if (i++ < cb->args[0])
			continue;
		err = fill_type(skb, ops, cb);
		if (err)
			break;
		cb->args[0]++;
	}
	mutex_unlock(&flowos_mutex);
	return err == -EMSGSIZE && skb->len ? skb->len : err;
}
