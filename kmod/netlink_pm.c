// SPDX-License-Identifier: GPL-2.0
/*
 * The PM commands of the "flowos" family: PM types, attach, detach and
 * stats (uapi/linux/flowos.h), and the helpers PMs fill results with.
 */
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "flowos.h"

static const struct nla_policy param_policy[FLOWOS_A_PARAM_MAX + 1] = {
	[FLOWOS_A_PARAM_KEY] = { .type = NLA_NUL_STRING,
				 .len = FLOWOS_NAME_MAX - 1 },
	[FLOWOS_A_PARAM_VALUE] = { .type = NLA_NUL_STRING, .len = 255 },
	[FLOWOS_A_PARAM_TYPE] = { .type = NLA_REJECT },
};

static const struct nla_policy params_policy[FLOWOS_A_PM_PARAM + 1] = {
	[FLOWOS_A_PM_PARAM] = NLA_POLICY_NESTED(param_policy),
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
};

/* Results, for PMs (include/flowos/pm.h). */

static struct nlattr *value_start(struct sk_buff *msg, const char *name)
{
	struct nlattr *nest = nla_nest_start(msg, FLOWOS_A_VALUE);

	if (nest && nla_put_string(msg, FLOWOS_A_VALUE_NAME, name)) {
		nla_nest_cancel(msg, nest);
		return NULL;
	}
	return nest;
}

static int value_end(struct sk_buff *msg, struct nlattr *nest, int err)
{
	if (err) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

int flowos_result_put_u64(struct sk_buff *msg, const char *name, u64 value)
{
	struct nlattr *nest = value_start(msg, name);

	if (!nest)
		return -EMSGSIZE;
	return value_end(msg, nest, nla_put_u64_64bit(msg, FLOWOS_A_VALUE_U64,
						      value, FLOWOS_A_VALUE_PAD));
}
EXPORT_SYMBOL_GPL(flowos_result_put_u64);

int flowos_result_put_string(struct sk_buff *msg, const char *name,
			     const char *value)
{
	struct nlattr *nest = value_start(msg, name);

	if (!nest)
		return -EMSGSIZE;
	return value_end(msg, nest,
			 nla_put_string(msg, FLOWOS_A_VALUE_STRING, value));
}
EXPORT_SYMBOL_GPL(flowos_result_put_string);

int flowos_result_put_addr(struct sk_buff *msg, const char *name, u8 family,
			   const __be32 *addr)
{
	struct nlattr *nest = value_start(msg, name);

	if (!nest)
		return -EMSGSIZE;
	return value_end(msg, nest,
			 nla_put(msg, FLOWOS_A_VALUE_ADDR,
				 family == AF_INET6 ? 16 : 4, addr));
}
EXPORT_SYMBOL_GPL(flowos_result_put_addr);

struct nlattr *flowos_result_table_start(struct sk_buff *msg, const char *name)
{
	struct nlattr *value = value_start(msg, name);

	if (value && nla_put_flag(msg, FLOWOS_A_VALUE_TABLE)) {
		nla_nest_cancel(msg, value);
		return NULL;
	}
	return value;
}
EXPORT_SYMBOL_GPL(flowos_result_table_start);

struct nlattr *flowos_result_row_start(struct sk_buff *msg)
{
	return nla_nest_start(msg, FLOWOS_A_VALUE_ROW);
}
EXPORT_SYMBOL_GPL(flowos_result_row_start);

/* Close a table or a row. */
void flowos_result_end(struct sk_buff *msg, struct nlattr *nest)
{
	nla_nest_end(msg, nest);
}
EXPORT_SYMBOL_GPL(flowos_result_end);

void flowos_result_cancel(struct sk_buff *msg, struct nlattr *nest)
{
	nla_nest_cancel(msg, nest);
}
EXPORT_SYMBOL_GPL(flowos_result_cancel);

/* Events a PM announces */

bool flowos_pm_has_listeners(const struct flowos_pm *pm)
{
	const struct flowos_pm_inst *pi = container_of(pm, struct flowos_pm_inst, pm);

	return flowos_nl_has_listeners(pi->flow->fn);
}
EXPORT_SYMBOL_GPL(flowos_pm_has_listeners);

bool flowos_pm_event_start(struct flowos_pm *pm, struct flowos_pm_event *ev,
			   const char *name)
{
	struct flowos_pm_inst *pi = container_of(pm, struct flowos_pm_inst, pm);

	if (!flowos_pm_has_listeners(pm))
		return false;
	ev->msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!ev->msg)
		return false;
	ev->hdr = genlmsg_put(ev->msg, 0, 0, &flowos_nl_family, 0,
			      FLOWOS_CMD_PM_EVENT);
	if (!ev->hdr ||
	    nla_put_string(ev->msg, FLOWOS_A_PM_FLOW, pi->flow->name) ||
	    nla_put_string(ev->msg, FLOWOS_A_PM_NAME, pi->name) ||
	    nla_put_string(ev->msg, FLOWOS_A_PM_TYPE, pm->ops->name) ||
	    nla_put_string(ev->msg, FLOWOS_A_PM_EVENT, name))
		goto cancel;
	ev->values = nla_nest_start(ev->msg, FLOWOS_A_PM_RESULTS);
	if (ev->values)
		return true;
cancel:
	flowos_pm_event_cancel(ev);
	return false;
}
EXPORT_SYMBOL_GPL(flowos_pm_event_start);

void flowos_pm_event_send(struct flowos_pm *pm, struct flowos_pm_event *ev)
{
	struct flowos_pm_inst *pi = container_of(pm, struct flowos_pm_inst, pm);

	nla_nest_end(ev->msg, ev->values);
	genlmsg_end(ev->msg, ev->hdr);
	flowos_nl_notify(pi->flow->fn, ev->msg);
	ev->msg = NULL;
}
EXPORT_SYMBOL_GPL(flowos_pm_event_send);

void flowos_pm_event_cancel(struct flowos_pm_event *ev)
{
	nlmsg_free(ev->msg);
	ev->msg = NULL;
}
EXPORT_SYMBOL_GPL(flowos_pm_event_cancel);

/* Parameters */

/* "10s", "250ms", "2m", "1h"; a bare number is seconds.  In ms. */
static int parse_duration(const char *s, u64 *ms)
{
	static const struct { const char *suffix; u64 ms; } units[] = {
		{ "ms", 1 }, { "s", MSEC_PER_SEC }, { "", MSEC_PER_SEC },
		{ "m", 60 * MSEC_PER_SEC }, { "h", 3600 * MSEC_PER_SEC },
	};
	char num[24];
	size_t len = strspn(s, "0123456789");
	unsigned int i;
	u64 n;

	if (!len || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len);
	num[len] = '\0';
	if (kstrtou64(num, 10, &n))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(s + len, units[i].suffix))
			return check_mul_overflow(n, units[i].ms, ms) ? -ERANGE : 0;
	return -EINVAL;
}

/* "2", "2.5", "0.125": in thousandths. */
static int parse_decimal(const char *s, u64 *milli)
{
	size_t ilen = strspn(s, "0123456789"), flen = 0;
	char num[24];
	u64 n, frac = 0;

	if (!ilen || ilen >= sizeof(num))
		return -EINVAL;
	if (s[ilen] == '.') {
		flen = strspn(s + ilen + 1, "0123456789");
		if (!flen || flen > 3 || s[ilen + 1 + flen])
			return -EINVAL;
		memcpy(num, s + ilen + 1, flen);
		num[flen] = '\0';
		if (kstrtou64(num, 10, &frac))
			return -EINVAL;
		while (flen++ < 3)
			frac *= 10;
	} else if (s[ilen]) {
		return -EINVAL;
	}
	memcpy(num, s, ilen);
	num[ilen] = '\0';
	if (kstrtou64(num, 10, &n))
		return -EINVAL;
	if (check_mul_overflow(n, 1000ULL, milli) ||
	    check_add_overflow(*milli, frac, milli))
		return -ERANGE;
	return 0;
}

static int parse_param(const struct flowos_pm_param *p, const char *s, u64 *v)
{
	int err;

	if (p->type == FLOWOS_PARAM_DURATION)
		err = parse_duration(s, v);
	else if (p->type == FLOWOS_PARAM_DECIMAL)
		err = parse_decimal(s, v);
	else
		err = kstrtou64(s, 10, v);
	if (err)
		return err;
	return *v < p->min || *v > p->max ? -ERANGE : 0;
}

static int param_index(const struct flowos_pm_ops *ops, const char *key)
{
	unsigned int i;

	for (i = 0; i < ops->n_params; i++)
		if (!strcmp(ops->params[i].name, key))
			return i;
	return -1;
}

/* Add @value to the list of @ops's string parameter. */
static int add_string(const struct flowos_pm_ops *ops, unsigned int idx,
		      const char *value, struct flowos_pm_strings **strings)
{
	struct flowos_pm_strings *l = *strings;
	u64 max = ops->params[idx].max;

	if (!*value)
		return -EINVAL;
	if (!l) {
		l = kzalloc(struct_size(l, v, max), GFP_KERNEL);
		if (!l)
			return -ENOMEM;
		*strings = l;
	}
	if (l->n >= max)
		return -ERANGE;
	l->v[l->n] = kstrdup(value, GFP_KERNEL);
	if (!l->v[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

/*
 * One KEY VALUE pair into @params (or @strings).  @live_only: for a
 * running instance, where only live parameters may change.
 */
static int take_param(const struct flowos_pm_ops *ops, const struct nlattr *pair,
		      u64 *params, struct flowos_pm_strings **strings,
		      unsigned long *seen, bool live_only,
		      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[FLOWOS_A_PARAM_MAX + 1];
	const struct flowos_pm_param *p;
	const char *value;
	int idx, err;

	/* Validated by the policy already. */
	err = nla_parse_nested(tb, FLOWOS_A_PARAM_MAX, pair, param_policy,
			       extack);
	if (err)
		return err;
	if (!tb[FLOWOS_A_PARAM_KEY] || !tb[FLOWOS_A_PARAM_VALUE]) {
		NL_SET_ERR_MSG_ATTR(extack, pair,
				    "a parameter needs a key and a value");
		return -EINVAL;
	}
	idx = param_index(ops, nla_data(tb[FLOWOS_A_PARAM_KEY]));
	if (idx < 0) {
		NL_SET_ERR_MSG_ATTR(extack, pair,
				    "no such parameter for this PM type");
		return -EINVAL;
	}
	p = &ops->params[idx];
	if (live_only && !p->live) {
		NL_SET_ERR_MSG_ATTR(extack, pair,
				    "this parameter cannot change while the PM runs");
		return -EINVAL;
	}
	value = nla_data(tb[FLOWOS_A_PARAM_VALUE]);
	if (p->type != FLOWOS_PARAM_STRING && __test_and_set_bit(idx, seen)) {
		NL_SET_ERR_MSG_ATTR(extack, pair, "given twice");
		return -EINVAL;
	}
	if (p->type == FLOWOS_PARAM_STRING) {
		err = add_string(ops, idx, value, strings);
		if (!err)
			params[idx] = (*strings)->n;
	} else {
		err = parse_param(p, value, &params[idx]);
	}
	if (err == -ENOMEM)
		return err;
	if (err == -ERANGE && p->type == FLOWOS_PARAM_STRING) {
		NL_SET_ERR_MSG_ATTR(extack, pair,
				    "given more times than the PM takes");
		return -EINVAL;
	}
	if (err == -ERANGE) {
		NL_SET_ERR_MSG_ATTR(extack, pair, "value out of range");
		return -EINVAL;
	}
	if (err) {
		NL_SET_ERR_MSG_ATTR(extack, pair,
				    "value not valid for the parameter's type");
		return -EINVAL;
	}
	return 0;
}

/* A string parameter given fewer times than its minimum. */
static int check_string_counts(const struct flowos_pm_ops *ops,
			       const u64 *params, const struct nlattr *attr,
			       struct netlink_ext_ack *extack)
{
	unsigned int i;

	for (i = 0; i < ops->n_params; i++) {
		const struct flowos_pm_param *p = &ops->params[i];

		if (p->type == FLOWOS_PARAM_STRING && params[i] < p->min) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "a parameter this PM needs is missing or given too few times");
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * The values of @ops's parameters from the KEY VALUE pairs of @attr,
 * defaults for the rest; those of its string parameter in *@strings.
 * Errors point at the pair to blame.
 */
static int params_from_attrs(const struct flowos_pm_ops *ops,
			     const struct nlattr *attr, u64 *params,
			     struct flowos_pm_strings **strings,
			     struct netlink_ext_ack *extack)
{
	unsigned long seen = 0;
	const struct nlattr *pair;
	unsigned int i;
	int rem, err = 0;

	*strings = NULL;
	for (i = 0; i < ops->n_params; i++)
		params[i] = ops->params[i].type == FLOWOS_PARAM_STRING ?
			    0 : ops->params[i].def;
	if (attr) {
		nla_for_each_nested(pair, attr, rem) {
			err = take_param(ops, pair, params, strings, &seen,
					 false, extack);
			if (err)
				break;
		}
	}
	if (!err)
		err = check_string_counts(ops, params, attr, extack);
	if (err) {
		flowos_pm_strings_free(*strings);
		*strings = NULL;
	}
	return err;
}

static int put_pair(struct sk_buff *skb, const struct flowos_pm_param *p,
		    const char *value)
{
	struct nlattr *nest = nla_nest_start(skb, FLOWOS_A_PM_PARAM);

	if (!nest || nla_put_string(skb, FLOWOS_A_PARAM_KEY, p->name) ||
	    nla_put_string(skb, FLOWOS_A_PARAM_VALUE, value) ||
	    nla_put_u8(skb, FLOWOS_A_PARAM_TYPE, p->type))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* 2500 as "2.5", 2000 as "2": as a user would write it. */
static void format_decimal(char *buf, size_t size, u64 milli)
{
	unsigned int frac = milli % 1000, digits = 3;

	if (!frac) {
		snprintf(buf, size, "%llu", milli / 1000);
		return;
	}
	for (; frac % 10 == 0; frac /= 10)
		digits--;
	snprintf(buf, size, "%llu.%0*u", milli / 1000, digits, frac);
}

static int put_param(struct sk_buff *skb, const struct flowos_pm_param *p,
		     u64 v, const struct flowos_pm_strings *strings)
{
	unsigned int i;
	char buf[24];

	if (p->type == FLOWOS_PARAM_STRING) {
		for (i = 0; strings && i < strings->n; i++)
			if (put_pair(skb, p, strings->v[i]))
				return -EMSGSIZE;
		return 0;
	}
	if (p->type == FLOWOS_PARAM_DECIMAL)
		format_decimal(buf, sizeof(buf), v);
	else if (p->type == FLOWOS_PARAM_DURATION && v % MSEC_PER_SEC)
		snprintf(buf, sizeof(buf), "%llums", v);
	else if (p->type == FLOWOS_PARAM_DURATION)
		snprintf(buf, sizeof(buf), "%llus", v / MSEC_PER_SEC);
	else
		snprintf(buf, sizeof(buf), "%llu", v);
	return put_pair(skb, p, buf);
}

/* Instances */

static int put_params(struct sk_buff *skb, const struct flowos_pm_inst *pi)
{
	const struct flowos_pm_ops *ops = pi->pm.ops;
	struct nlattr *nest = nla_nest_start(skb, FLOWOS_A_PM_PARAMS);
	unsigned int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ops->n_params; i++)
		if (put_param(skb, &ops->params[i], pi->pm.params[i],
			      pi->pm.strings))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int put_pm_stats(struct sk_buff *skb, const struct flowos_pm_inst *pi)
{
	struct nlattr *nest = nla_nest_start(skb, FLOWOS_A_PM_STATS);
	u64 processed, wakeups;

	flowos_pm_read_counts(pi, &processed, &wakeups);
	if (!nest ||
	    nla_put_u64_64bit(skb, FLOWOS_A_PM_STATS_PROCESSED,
			      processed, FLOWOS_A_PM_STATS_PAD) ||
	    nla_put_u64_64bit(skb, FLOWOS_A_PM_STATS_BACKLOG,
			      flowos_pm_backlog(pi), FLOWOS_A_PM_STATS_PAD) ||
	    nla_put_u64_64bit(skb, FLOWOS_A_PM_STATS_WAKEUPS,
			      wakeups, FLOWOS_A_PM_STATS_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int put_results(struct sk_buff *skb, const struct flowos_pm_inst *pi)
{
	const struct flowos_pm_ops *ops = pi->pm.ops;
	struct nlattr *nest = nla_nest_start(skb, FLOWOS_A_PM_RESULTS);
	unsigned int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ops->n_scalars; i++)
		if (flowos_result_put_u64(skb, ops->scalars[i],
					  ops->read_scalar(&pi->pm, i)))
			return -EMSGSIZE;
	if (ops->fill_results && ops->fill_results(&pi->pm, skb))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* One instance as a message of @cmd.  Called with flowos_mutex held. */
static int fill_pm(struct sk_buff *skb, const struct flowos_pm_inst *pi,
		   u32 portid, u32 seq, int flags, u8 cmd,
		   struct netlink_callback *cb)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &flowos_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	if (nla_put_string(skb, FLOWOS_A_PM_FLOW, pi->flow->name) ||
	    nla_put_string(skb, FLOWOS_A_PM_NAME, pi->name) ||
	    nla_put_string(skb, FLOWOS_A_PM_TYPE, pi->pm.ops->name) ||
	    nla_put_u8(skb, FLOWOS_A_PM_ORDER, pi->order) ||
	    nla_put_u8(skb, FLOWOS_A_PM_WORKERS, pi->pm.workers))
		goto cancel;
	if (cmd != FLOWOS_CMD_PM_DETACH &&
	    (put_params(skb, pi) || put_pm_stats(skb, pi) ||
	     put_results(skb, pi)))
		goto cancel;
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* Results may hold a table: a larger buffer if a page is not enough. */
static struct sk_buff *pm_msg(const struct flowos_pm_inst *pi, u32 portid,
			      u32 seq, u8 cmd)
{
	static const size_t sizes[] = { NLMSG_GOODSIZE, SZ_64K, SZ_128K + SZ_64K };
	struct sk_buff *skb;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		skb = genlmsg_new(sizes[i], GFP_KERNEL);
		if (!skb)
			return NULL;
		if (!fill_pm(skb, pi, portid, seq, 0, cmd, NULL))
			return skb;
		nlmsg_free(skb);
	}
	return NULL;
}

static void pm_event(struct flowos_net *fn, const struct flowos_pm_inst *pi,
		     u8 cmd)
{
	if (flowos_nl_has_listeners(fn))
		flowos_nl_notify(fn, pm_msg(pi, 0, 0, cmd));
}

static int reply_pm(struct genl_info *info, const struct flowos_pm_inst *pi)
{
	struct sk_buff *skb = pm_msg(pi, info->snd_portid, info->snd_seq,
				     info->genlhdr->cmd);

	if (!skb)
		return -ENOMEM;
	return genlmsg_reply(skb, info);
}

/*
 * The flow and, if @want_pm, the instance a request names, or an error
 * saying which is missing.  Called with flowos_mutex held.
 */
static int find_target(struct flowos_net *fn, struct genl_info *info,
		       bool want_pm, struct flowos_flow **flow,
		       struct flowos_pm_inst **pi)
{
	struct nlattr **tb = info->attrs;

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

/* The type, pinned, or an error.  Called with flowos_mutex held. */
static const struct flowos_pm_ops *get_type(struct genl_info *info)
{
	struct nlattr *attr = info->attrs[FLOWOS_A_PM_TYPE];
	const struct flowos_pm_ops *ops = flowos_pm_type_find(nla_data(attr));

	if (!ops || !try_module_get(ops->owner)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
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

static int attach_locked(struct flowos_net *fn, struct genl_info *info,
			 const char *name)
{
	struct nlattr **tb = info->attrs;
	struct flowos_pm_conf conf = {
		.name = name,
		.order = tb[FLOWOS_A_PM_ORDER] ?
			 nla_get_u8(tb[FLOWOS_A_PM_ORDER]) : 0,
		.workers = tb[FLOWOS_A_PM_WORKERS] ?
			   nla_get_u8(tb[FLOWOS_A_PM_WORKERS]) : 1,
	};
	const struct flowos_pm_ops *ops;
	struct flowos_pm_inst *pi;
	struct flowos_flow *flow;
	int err;

	err = find_target(fn, info, false, &flow, NULL);
	if (err)
		return err;
	ops = get_type(info);
	if (IS_ERR(ops))
		return PTR_ERR(ops);
	err = check_workers(ops, tb[FLOWOS_A_PM_WORKERS], conf.workers,
			    info->extack);
	if (!err)
		err = params_from_attrs(ops, tb[FLOWOS_A_PM_PARAMS], conf.params,
					&conf.strings, info->extack);
	if (!err)
		err = flowos_pm_attach(flow, ops, &conf, info->extack);
	if (err) {
		module_put(ops->owner);
		return err;
	}
	fn->gen++;
	pi = flowos_pm_find(flow, name);
	pm_event(fn, pi, FLOWOS_CMD_PM_ATTACH);
	return reply_pm(info, pi);
}

int flowos_nl_pm_attach(struct sk_buff *skb, struct genl_info *info)
{
	struct flowos_net *fn = flowos_pernet(genl_info_net(info));
	struct nlattr **tb = info->attrs;
	struct nlattr *name_attr;
	int err;

	if (FLOWOS_REQUIRE(info, FLOWOS_A_PM_FLOW, "missing the flow's name") ||
	    FLOWOS_REQUIRE(info, FLOWOS_A_PM_TYPE, "missing the PM type"))
		return -EINVAL;
	name_attr = tb[FLOWOS_A_PM_NAME] ?: tb[FLOWOS_A_PM_TYPE];
	if (!flowos_valid_name(nla_data(name_attr))) {
		NL_SET_ERR_MSG_ATTR(info->extack, name_attr,
				    "a PM name is letters, digits, '_', '.' and '-', not . or ..");
		return -EINVAL;
	}

	flowos_pm_type_load(nla_data(tb[FLOWOS_A_PM_TYPE]));
	mutex_lock(&flowos_mutex);
	err = attach_locked(fn, info, nla_data(name_attr));
	mutex_unlock(&flowos_mutex);
	return err;
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

/* The new values of live parameters; the instance's own for the rest. */
static int live_params(const struct flowos_pm *pm, const struct nlattr *attr,
		       u64 *params, struct netlink_ext_ack *extack)
{
	const struct nlattr *pair;
	unsigned long seen = 0;
	int rem, err;

	memcpy(params, pm->params, sizeof(pm->params));
	nla_for_each_nested(pair, attr, rem) {
		err = take_param(pm->ops, pair, params, NULL, &seen, true,
				 extack);
		if (err)
			return err;
	}
	if (!seen) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "no parameter to change");
		return -EINVAL;
	}
	return 0;
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
	err = live_params(pm, info->attrs[FLOWOS_A_PM_PARAMS], params,
			  info->extack);
	if (err)
		return err;
	pm->errmsg = NULL;
	err = pm->ops->set_params(pm, params);
	if (err) {
		/* A static string, set by the PM: see flowos_pm_attach(). */
		info->extack->_msg = pm->errmsg ?: "the PM refused the values";
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

int flowos_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
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
	if (!err)
		err = reply_pm(info, pi);
	mutex_unlock(&flowos_mutex);
	return err;
}

/* Instances of one flow from the @skip-th on; -EMSGSIZE when full. */
static int dump_flow_pms(struct sk_buff *skb, struct netlink_callback *cb,
			 const struct flowos_flow *flow, unsigned long *skip)
{
	struct flowos_stream *st = rcu_dereference_protected(flow->stream,
				lockdep_is_held(&flowos_mutex));
	struct flowos_pm_inst *pi;
	unsigned long i = 0;
	int err;

	if (!st)
		return 0;
	list_for_each_entry(pi, &st->pms, node) {
		if (i++ < *skip)
			continue;
		err = fill_pm(skb, pi, NETLINK_CB(cb->skb).portid,
			      cb->nlh->nlmsg_seq, NLM_F_MULTI,
			      FLOWOS_CMD_STATS_GET, cb);
		if (err)
			return err;
		(*skip)++;
	}
	return 0;
}

/*
 * Every instance, by flow in id order, then attach order.  cb->args[0]
 * is the id of the flow in progress, cb->args[1] how many of its
 * instances were sent.
 */
int flowos_nl_stats_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct flowos_net *fn = flowos_pernet(sock_net(skb->sk));
	struct nlattr *only = flowos_dump_attrs(cb)[FLOWOS_A_PM_FLOW];
	struct flowos_flow *flow;
	int err = 0;

	mutex_lock(&flowos_mutex);
	cb->seq = fn->gen;
	list_for_each_entry(flow, &fn->flows, node) {
		if (flow->id < cb->args[0] ||
		    (only && strcmp(flow->name, nla_data(only))))
			continue;
		if (flow->id != cb->args[0]) {
			cb->args[0] = flow->id;
			cb->args[1] = 0;
		}
		err = dump_flow_pms(skb, cb, flow, &cb->args[1]);
		if (err)
			break;
	}
	mutex_unlock(&flowos_mutex);
	return err == -EMSGSIZE && skb->len ? skb->len : err;
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
