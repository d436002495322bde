// SPDX-License-Identifier: GPL-2.0
/*
 * PM parameters: "KEY VALUE" pairs of an attach or set request, checked
 * against the PM type's schema (include/flowos/pm.h) and turned into
 * values, and back into pairs for replies, as a user would write them.
 */
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <net/netlink.h>

#include <flowos/ac.h>
#include "flowos.h"

const struct nla_policy flowos_param_policy[FLOWOS_A_PARAM_MAX + 1] = {
	[FLOWOS_A_PARAM_KEY] = { .type = NLA_NUL_STRING,
				 .len = FLOWOS_NAME_MAX - 1 },
	[FLOWOS_A_PARAM_VALUE] = { .type = NLA_NUL_STRING, .len = 255 },
	[FLOWOS_A_PARAM_TYPE] = { .type = NLA_REJECT },
};

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

int flowos_pattern_decode(const char *value, u8 *buf, size_t max)
{
	size_t len;

	if (!strncmp(value, "hex:", 4)) {
		value += 4;
		len = strlen(value);
		if (!len || len % 2 || len / 2 > max ||
		    hex2bin(buf, value, len / 2))
			return -EINVAL;
		return len / 2;
	}
	if (!strncmp(value, "str:", 4))
		value += 4;
	len = strlen(value);
	if (!len || len > max)
		return -EINVAL;
	memcpy(buf, value, len);
	return len;
}
EXPORT_SYMBOL_GPL(flowos_pattern_decode);

const char *flowos_pattern_check(const char *value)
{
	u8 buf[FLOWOS_AC_PATTERN_MAX];

	if (!strncmp(value, "hex:", 4) &&
	    strlen(value + 4) > 2 * FLOWOS_AC_PATTERN_MAX)
		return "a pattern is at most 255 bytes";
	if (flowos_pattern_decode(value, buf, sizeof(buf)) >= 0)
		return NULL;
	if (!strncmp(value, "hex:", 4))
		return "not a pattern: bad hex (hex: wants pairs of hex digits)";
	if (strlen(value) > FLOWOS_AC_PATTERN_MAX)
		return "a pattern is at most 255 bytes";
	return "not a pattern: empty";
}
EXPORT_SYMBOL_GPL(flowos_pattern_check);

/*
 * The values of @strs decoded into @pats, their bytes in @bytes;
 * -EINVAL for a bad one, -E2BIG if they are too many bytes together.
 */
static int decode_patterns(const struct flowos_pm_strings *strs,
			   struct flowos_ac_pattern *pats, u8 *bytes)
{
	unsigned int i, total = 0;

	for (i = 0; i < strs->n; i++) {
		u8 *buf = bytes + i * FLOWOS_AC_PATTERN_MAX;
		int len = flowos_pattern_decode(strs->v[i], buf,
						FLOWOS_AC_PATTERN_MAX);

		if (len < 0)
			return len;
		pats[i] = (struct flowos_ac_pattern){ .data = buf, .len = len };
		total += len;
	}
	return total > FLOWOS_AC_TOTAL_MAX ? -E2BIG : 0;
}

int flowos_pm_ac_build(struct flowos_pm *pm, struct flowos_ac *ac,
		       const struct flowos_pm_strings *strs, bool nocase)
{
	struct flowos_ac_pattern *pats;
	size_t size = 0;
	u8 *bytes;
	int err;

	memset(ac, 0, sizeof(*ac));
	pats = kcalloc(strs->n, sizeof(*pats), GFP_KERNEL);
	bytes = kvmalloc_array(strs->n, FLOWOS_AC_PATTERN_MAX, GFP_KERNEL);
	err = -ENOMEM;
	if (!pats || !bytes)
		goto out;
	err = decode_patterns(strs, pats, bytes);
	if (err == -E2BIG)
		pm->errmsg = "the patterns hold more than 16384 bytes together";
	else if (err)
		pm->errmsg = "a pattern is empty, too long, or bad hex";
	if (err) {
		err = -EINVAL;
		goto out;
	}
	size = flowos_ac_size(pats, strs->n);
	err = -ENOSPC;
	if (!flowos_mem_charge(size))
		goto out;
	err = flowos_ac_build(ac, pats, strs->n, nocase);
	if (err)
		flowos_mem_uncharge(size);
out:
	kvfree(bytes);
	kfree(pats);
	return err;
}
EXPORT_SYMBOL_GPL(flowos_pm_ac_build);

void flowos_pm_ac_free(struct flowos_ac *ac)
{
	flowos_mem_uncharge(ac->size);
	flowos_ac_free(ac);
}
EXPORT_SYMBOL_GPL(flowos_pm_ac_free);

/* Add @value to the values of @ops's string parameter @idx. */
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
 * One KEY VALUE pair into @params (and @strings[], per parameter, for a
 * string one).  @live_only: for a running instance, where only live
 * parameters may change (never a string one: @strings is NULL).
 */
static int take_param(const struct flowos_pm_ops *ops, const struct nlattr *pair,
		      u64 *params, struct flowos_pm_strings **strings,
		      unsigned long *seen, bool live_only,
		      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[FLOWOS_A_PARAM_MAX + 1];
	const struct flowos_pm_param *p;
	const char *value, *why;
	int idx, err;

	/* Validated by the policy already. */
	err = nla_parse_nested(tb, FLOWOS_A_PARAM_MAX, pair, flowos_param_policy,
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
	why = p->type == FLOWOS_PARAM_STRING && *value && p->check ?
	      p->check(value) : NULL;
	if (why) {
		flowos_pm_errmsg(extack, why);
		NL_SET_BAD_ATTR(extack, pair);
		return -EINVAL;
	}
	if (p->type == FLOWOS_PARAM_STRING) {
		err = add_string(ops, idx, value, &strings[idx]);
		if (!err)
			params[idx] = strings[idx]->n;
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
			NL_SET_BAD_ATTR(extack, attr);
			flowos_err_msg_fmt(extack,
					   "a parameter this PM needs is missing or given too few times",
					   "parameter '%s' is missing or given too few times (at least %llu)",
					   p->name, p->min);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * The values of @ops's parameters from the KEY VALUE pairs of @attr,
 * defaults for the rest; those of string parameter i in @strings[i].
 * Errors point at the pair to blame.
 */
int flowos_params_from_attrs(const struct flowos_pm_ops *ops,
			     const struct nlattr *attr, u64 *params,
			     struct flowos_pm_strings **strings,
			     struct netlink_ext_ack *extack)
{
	unsigned long seen = 0;
	const struct nlattr *pair;
	unsigned int i;
	int rem, err = 0;

	memset(strings, 0, sizeof(*strings) * FLOWOS_PM_MAX_PARAMS);
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
	if (err)
		flowos_pm_strings_free(strings);
	return err;
}

/* One KEY VALUE pair of a reply, a leaf of @res. */
static int put_pair(struct flowos_results *res, const struct flowos_pm_param *p,
		    const char *value)
{
	u8 type = p->type;

	if (flowos_results_nest_start(res, FLOWOS_A_PM_PARAM) ||
	    flowos_results_put(res, FLOWOS_A_PARAM_KEY, strlen(p->name) + 1,
			       p->name) ||
	    flowos_results_put(res, FLOWOS_A_PARAM_VALUE, strlen(value) + 1,
			       value) ||
	    flowos_results_put(res, FLOWOS_A_PARAM_TYPE, sizeof(type), &type))
		return flowos_results_error(res);
	flowos_results_end(res);
	return flowos_results_error(res);
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

static int put_param(struct flowos_results *res,
		     const struct flowos_pm_param *p, u64 v,
		     const struct flowos_pm_strings *strings)
{
	unsigned int i;
	char buf[24];

	if (p->type == FLOWOS_PARAM_STRING) {
		for (i = 0; strings && i < strings->n; i++)
			if (put_pair(res, p, strings->v[i]))
				return flowos_results_error(res);
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
	return put_pair(res, p, buf);
}

/* The new values of live parameters; the instance's own for the rest. */
int flowos_params_live(const struct flowos_pm *pm, const struct nlattr *attr,
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

/*
 * Every parameter of @pi, a pair each: a container, as a list of 1024
 * patterns may take several messages.
 */
int flowos_params_put(struct flowos_results *res,
		      const struct flowos_pm_inst *pi)
{
	const struct flowos_pm_ops *ops = pi->pm.ops;
	unsigned int i;

	if (flowos_results_container_start(res, FLOWOS_A_PM_PARAMS, NULL))
		return flowos_results_error(res);
	for (i = 0; i < ops->n_params; i++)
		if (put_param(res, &ops->params[i], READ_ONCE(pi->pm.params[i]),
			      pi->pm.strings[i]))
			return flowos_results_error(res);
	flowos_results_end(res);
	return flowos_results_error(res);
}

/*
 * A PM's own words for a refusal, in an extended ack.  The ack is built
 * after the request's handler returns, when the PM's module may be gone
 * (it is unpinned on a refusal), and NL_SET_ERR_MSG() keeps a pointer:
 * so the message is a copy the core owns, one per distinct text, kept
 * until flowos is unloaded.  A PM has a handful of such texts; past
 * FLOWOS_PM_ERRMSGS of them, a fixed one is said instead.
 */
#define FLOWOS_PM_ERRMSGS	64

static const char *pm_errmsgs[FLOWOS_PM_ERRMSGS];	/* flowos_mutex */

void flowos_pm_errmsg(struct netlink_ext_ack *extack, const char *msg)
{
	const char *copy = NULL;
	unsigned int i;

	lockdep_assert_held(&flowos_mutex);
	if (!extack)
		return;
	for (i = 0; i < FLOWOS_PM_ERRMSGS && pm_errmsgs[i]; i++)
		if (!strcmp(pm_errmsgs[i], msg))
			copy = pm_errmsgs[i];
	if (!copy && i < FLOWOS_PM_ERRMSGS) {
		pm_errmsgs[i] = kstrdup(msg, GFP_KERNEL);
		copy = pm_errmsgs[i];
	}
	extack->_msg = copy ?: "the PM refused the request";
}

void flowos_pm_errmsgs_free(void)
{
	unsigned int i;

	for (i = 0; i < FLOWOS_PM_ERRMSGS; i++) {
		kfree(pm_errmsgs[i]);
		pm_errmsgs[i] = NULL;
	}
}
