// SPDX-License-Identifier: GPL-2.0
/*
 * Results of any size: what a PM instance reports is taken once into a
 * buffer of its own (struct flowos_results), then sent in as many
 * netlink messages as it needs.
 *
 * A dump message is at most a few tens of KiB and a netlink attribute at
 * most 64 KiB, while a count PM's table of 65536 sub-flows is ~12 MiB:
 * the buffer cannot be one attribute, nor can a PM be asked to fill a
 * message again and again from where it stopped (its tables change
 * between two reads, and sorting them again for each message costs more
 * than the rest of the read).  So the buffer is a list of records, each
 * a netlink attribute: leaves (a parameter, a value, a table's row) are
 * copied into messages whole; containers (the instance's parameters, its
 * results, a table) are not attributes but a RES_OPEN record, holding
 * the container's attribute type and its head (a table's name and
 * TABLE flag), and a RES_CLOSE record.  A message is cut between two
 * leaves; the next one opens again every container still open at the
 * cut, with its head, and goes on with the next leaf.
 *
 * The buffer grows as the PM fills it, up to FLOWOS_RESULTS_MAX.  It
 * and the scratch memory a PM sorts in (flowos_result_scratch()) are
 * charged to a budget of their own, results_limit_kb for all reads in
 * progress: an unprivileged reader cannot make the kernel hold more, and
 * reads still work when PMs have used up mem_limit_kb (which is when an
 * operator most wants to read them).
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "flowos.h"

static unsigned long results_limit_kb = 64 * 1024;
module_param(results_limit_kb, ulong, 0644);
MODULE_PARM_DESC(results_limit_kb,
		 "Most memory (KiB) held by reads of PM results in progress (default 64 MiB)");

static atomic_long_t results_used = ATOMIC_LONG_INIT(0);

/*
 * Room for @bytes more under results_limit_kb, or false.  Reads by users
 * without CAP_NET_ADMIN may fill half of it, so that however many of
 * them stall their dumps, an administrator can still read.
 */
static bool results_charge(size_t bytes, bool privileged)
{
	long limit = READ_ONCE(results_limit_kb) * 1024 / (privileged ? 1 : 2);
	long used = atomic_long_read(&results_used);

	do {
		if (bytes > LONG_MAX - used || used + (long)bytes > limit)
			return false;
	} while (!atomic_long_try_cmpxchg(&results_used, &used, used + bytes));
	return true;
}

static void results_uncharge(size_t bytes)
{
	atomic_long_sub(bytes, &results_used);
}

/* Record types of a results buffer that are not attributes. */
#define RES_OPEN	0x3ff0	/* u32 the container's type, then its head */
#define RES_CLOSE	0x3ff1

/* The largest results of one instance: 2^16 rows of ~200 bytes, twice. */
#define FLOWOS_RESULTS_MAX	(SZ_32M)
/* Scratch allocations of one read (flowos_result_scratch()). */
#define RES_SCRATCH	2

/*
 * How deep containers and nests go: results, table, row, value.  One
 * more for the instance's body in an event.
 */
#define RES_DEPTH	6

/*
 * The results of one instance, as records.  Owned by one reader at a
 * time (a request, a dump between its calls, an event), so no lock.
 */
struct flowos_results {
	char *buf;		/* the records */
	u32 len;		/* bytes of records */
	u32 size;		/* bytes allocated, and charged */
	int err;		/* the builders' first error; sticky */
	unsigned int depth;	/* containers and nests open while building */
	u32 open[RES_DEPTH];	/* their records */
	u32 pos;		/* the next record to send */
	unsigned int pdepth;	/* containers open at @pos */
	u32 popen[RES_DEPTH];	/* their records */
	u32 part;		/* the next message's FLOWOS_A_PM_PART */
	bool privileged;	/* for CAP_NET_ADMIN: all of results_limit_kb */
	void *scratch[RES_SCRATCH];	/* the PM's, freed with the results */
	size_t scratch_size[RES_SCRATCH];
	/* Whose results they are, for each message: */
	char flow[FLOWOS_NAME_MAX];
	char name[FLOWOS_NAME_MAX];
	char type[FLOWOS_NAME_MAX];
	u8 order;
	u8 workers;
};

struct flowos_results *flowos_results_new(const struct flowos_pm_inst *pi,
					  bool privileged)
{
	struct flowos_results *res = kzalloc(sizeof(*res), GFP_KERNEL);

	if (!res)
		return NULL;
	res->privileged = privileged;
	strscpy(res->flow, pi->flow->name, sizeof(res->flow));
	strscpy(res->name, pi->name, sizeof(res->name));
	strscpy(res->type, pi->pm.ops->name, sizeof(res->type));
	res->order = pi->order;
	res->workers = pi->pm.workers;
	return res;
}

static int res_fail(struct flowos_results *res, int err)
{
	if (!res->err)
		res->err = err;
	return res->err;
}

void flowos_results_free(struct flowos_results *res)
{
	unsigned int i;

	if (!res)
		return;
	for (i = 0; i < RES_SCRATCH; i++) {
		kvfree(res->scratch[i]);
		results_uncharge(res->scratch_size[i]);
	}
	kvfree(res->buf);
	results_uncharge(res->size);
	kfree(res);
}

void *flowos_result_scratch(struct flowos_results *res, size_t bytes)
{
	unsigned int i;

	for (i = 0; i < RES_SCRATCH && res->scratch[i]; i++)
		;
	if (res->err || WARN_ON_ONCE(i == RES_SCRATCH))
		return NULL;
	if (!results_charge(bytes, res->privileged)) {
		res_fail(res, -ENOSPC);
		return NULL;
	}
	res->scratch[i] = kvmalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!res->scratch[i]) {
		results_uncharge(bytes);
		res_fail(res, -ENOMEM);
		return NULL;
	}
	res->scratch_size[i] = bytes;
	return res->scratch[i];
}
EXPORT_SYMBOL_GPL(flowos_result_scratch);

int flowos_results_error(const struct flowos_results *res)
{
	return res->err;
}

/* How many containers and nests are open. */
unsigned int flowos_results_depth(const struct flowos_results *res)
{
	return res->depth;
}

/* Room for @bytes more; the buffer may move. */
static int res_grow(struct flowos_results *res, u32 bytes)
{
	u32 need, size;
	char *buf;

	if (res->err)
		return res->err;
	if (check_add_overflow(res->len, bytes, &need) ||
	    need > FLOWOS_RESULTS_MAX)
		return res_fail(res, -EFBIG);
	if (need <= res->size)
		return 0;
	size = clamp_t(u32, roundup_pow_of_two(need), SZ_4K, FLOWOS_RESULTS_MAX);
	if (!results_charge(size - res->size, res->privileged))
		return res_fail(res, -ENOSPC);
	buf = kvmalloc(size, GFP_KERNEL_ACCOUNT);
	if (!buf) {
		results_uncharge(size - res->size);
		return res_fail(res, -ENOMEM);
	}
	memcpy(buf, res->buf, res->len);
	kvfree(res->buf);
	res->buf = buf;
	res->size = size;
	return 0;
}

static struct nlattr *res_attr(const struct flowos_results *res, u32 off)
{
	return (struct nlattr *)(res->buf + off);
}

/* An attribute of @len bytes of @data (NULL: zeroes) at the end. */
static int res_put(struct flowos_results *res, u16 type, u32 len,
		   const void *data)
{
	u32 off = res->len, total = nla_total_size(len);
	struct nlattr *nla;

	if (len > U16_MAX - NLA_HDRLEN)
		return res_fail(res, -EMSGSIZE);
	if (res_grow(res, total))
		return res->err;
	nla = res_attr(res, off);
	nla->nla_type = type;
	nla->nla_len = nla_attr_size(len);
	if (data)
		memcpy(nla_data(nla), data, len);
	else
		memset(nla_data(nla), 0, len);
	memset((char *)nla + nla->nla_len, 0, total - nla->nla_len);
	res->len += total;
	return 0;
}

/*
 * The 8-byte alignment that nla_put_u64_64bit() gives on some
 * architectures would not survive the copy into messages, where records
 * land at other offsets; readers copy u64 values out (nla_get_u64(),
 * mnl_attr_get_u64() do), so none is attempted.
 */
static int res_put_u64(struct flowos_results *res, u16 type, u64 value)
{
	return res_put(res, type, sizeof(value), &value);
}

static int res_put_string(struct flowos_results *res, u16 type, const char *s)
{
	return res_put(res, type, strlen(s) + 1, s);
}

static int res_push(struct flowos_results *res, u32 off)
{
	if (res->depth == RES_DEPTH)
		return res_fail(res, -EMSGSIZE);
	res->open[res->depth++] = off;
	return 0;
}

/* A nest that is an attribute, and so a leaf if nothing above is one. */
int flowos_results_nest_start(struct flowos_results *res, u16 type)
{
	u32 off = res->len;

	if (res_put(res, type | NLA_F_NESTED, 0, NULL))
		return res->err;
	return res_push(res, off);
}

/*
 * A container: its content may be sent in several messages, each of
 * which opens it again with its @head_name (if any) and TABLE flag.
 */
int flowos_results_container_start(struct flowos_results *res, u16 type,
				   const char *head_name)
{
	u32 off = res->len, type32 = type | NLA_F_NESTED;
	unsigned int i;

	/* Inside a nest (a table in a row), it would be copied whole. */
	for (i = 0; i < res->depth; i++)
		if (WARN_ON_ONCE(res_attr(res, res->open[i])->nla_type != RES_OPEN))
			return res_fail(res, -EINVAL);
	if (head_name && strlen(head_name) > FLOWOS_NAME_MAX)
		return res_fail(res, -EINVAL);

	if (res_put(res, RES_OPEN, sizeof(type32), &type32))
		return res->err;
	if (head_name && (res_put_string(res, FLOWOS_A_VALUE_NAME, head_name) ||
			  res_put(res, FLOWOS_A_VALUE_TABLE, 0, NULL)))
		return res->err;
	res_attr(res, off)->nla_len = res->len - off;
	return res_push(res, off);
}

/* Close the innermost open container or nest. */
void flowos_results_end(struct flowos_results *res)
{
	struct nlattr *nla;
	u32 off;

	if (res->err)
		return;
	if (WARN_ON_ONCE(!res->depth)) {
		res_fail(res, -EINVAL);
		return;
	}
	off = res->open[--res->depth];
	nla = res_attr(res, off);
	if (nla->nla_type == RES_OPEN) {
		res_put(res, RES_CLOSE, 0, NULL);
		return;
	}
	if (res->len - off > U16_MAX) {
		res_fail(res, -EMSGSIZE);
		return;
	}
	nla->nla_len = res->len - off;
}

int flowos_results_put(struct flowos_results *res, u16 type, u32 len,
		       const void *data)
{
	return res_put(res, type, len, data);
}

int flowos_results_put_u64(struct flowos_results *res, u16 type, u64 value)
{
	return res_put_u64(res, type, value);
}

/* Results, for PMs (include/flowos/pm.h). */

static int value_start(struct flowos_results *res, const char *name)
{
	if (flowos_results_nest_start(res, FLOWOS_A_VALUE))
		return res->err;
	return res_put_string(res, FLOWOS_A_VALUE_NAME, name);
}

static int value_end(struct flowos_results *res)
{
	flowos_results_end(res);
	return res->err;
}

int flowos_result_put_u64(struct flowos_results *res, const char *name,
			  u64 value)
{
	if (value_start(res, name) ||
	    res_put_u64(res, FLOWOS_A_VALUE_U64, value))
		return res->err;
	return value_end(res);
}
EXPORT_SYMBOL_GPL(flowos_result_put_u64);

int flowos_result_put_string(struct flowos_results *res, const char *name,
			     const char *value)
{
	if (value_start(res, name) ||
	    res_put_string(res, FLOWOS_A_VALUE_STRING, value))
		return res->err;
	return value_end(res);
}
EXPORT_SYMBOL_GPL(flowos_result_put_string);

int flowos_result_put_addr(struct flowos_results *res, const char *name,
			   u8 family, const __be32 *addr)
{
	if (value_start(res, name) ||
	    res_put(res, FLOWOS_A_VALUE_ADDR, family == AF_INET6 ? 16 : 4, addr))
		return res->err;
	return value_end(res);
}
EXPORT_SYMBOL_GPL(flowos_result_put_addr);

int flowos_result_table_start(struct flowos_results *res, const char *name)
{
	return flowos_results_container_start(res, FLOWOS_A_VALUE, name);
}
EXPORT_SYMBOL_GPL(flowos_result_table_start);

int flowos_result_row_start(struct flowos_results *res)
{
	return flowos_results_nest_start(res, FLOWOS_A_VALUE_ROW);
}
EXPORT_SYMBOL_GPL(flowos_result_row_start);

int flowos_result_end(struct flowos_results *res)
{
	flowos_results_end(res);
	return res->err;
}
EXPORT_SYMBOL_GPL(flowos_result_end);

/* Sending */

/* Open the container of record @off in @skb again, with its head. */
static struct nlattr *reopen(struct sk_buff *skb,
			     const struct flowos_results *res, u32 off)
{
	const struct nlattr *rec = res_attr(res, off);
	u32 type, head_len = nla_len(rec) - sizeof(type);
	struct nlattr *nest;

	memcpy(&type, nla_data(rec), sizeof(type));
	nest = nla_nest_start_noflag(skb, type);
	if (!nest)
		return NULL;
	if (skb_tailroom(skb) < head_len) {
		nla_nest_cancel(skb, nest);
		return NULL;
	}
	skb_put_data(skb, (const char *)nla_data(rec) + sizeof(type), head_len);
	return nest;
}

/*
 * The records from @res->pos on, into @skb, as many as fit.  Returns 0
 * once every record is in, -EMSGSIZE if @skb is full first, -ENOBUFS if
 * not even one more leaf fits in it.
 */
int flowos_results_send(struct flowos_results *res, struct sk_buff *skb)
{
	struct nlattr *nest[RES_DEPTH];
	u32 at[RES_DEPTH], empty_len[RES_DEPTH], from = res->pos;
	bool fresh[RES_DEPTH];
	unsigned int d;

	for (d = 0; d < res->pdepth; d++) {
		nest[d] = reopen(skb, res, res->popen[d]);
		if (!nest[d]) {
			while (d)
				nla_nest_cancel(skb, nest[--d]);
			return -ENOBUFS;
		}
		at[d] = res->popen[d];
		fresh[d] = false;
	}
	while (res->pos < res->len) {
		const struct nlattr *rec = res_attr(res, res->pos);

		if (rec->nla_type == RES_CLOSE) {
			nla_nest_end(skb, nest[--d]);
		} else if (rec->nla_type == RES_OPEN) {
			nest[d] = reopen(skb, res, res->pos);
			if (!nest[d])
				break;
			at[d] = res->pos;
			fresh[d] = true;
			empty_len[d++] = skb->len;
		} else if (nla_put(skb, rec->nla_type, nla_len(rec),
				   nla_data(rec))) {
			break;
		}
		res->pos += NLA_ALIGN(rec->nla_len);
	}
	/* A container opened here with nothing in it waits for the next. */
	while (d && fresh[d - 1] && skb->len == empty_len[d - 1]) {
		nla_nest_cancel(skb, nest[--d]);
		res->pos = at[d];
	}
	res->pdepth = d;
	memcpy(res->popen, at, d * sizeof(at[0]));
	while (d)
		nla_nest_end(skb, nest[--d]);
	if (res->pos == res->len)
		return 0;
	return res->pos == from ? -ENOBUFS : -EMSGSIZE;
}

/* The attributes that name the instance, first in each message. */
int flowos_results_put_header(const struct flowos_results *res,
			      struct sk_buff *skb)
{
	if (nla_put_string(skb, FLOWOS_A_PM_FLOW, res->flow) ||
	    nla_put_string(skb, FLOWOS_A_PM_NAME, res->name) ||
	    nla_put_string(skb, FLOWOS_A_PM_TYPE, res->type) ||
	    nla_put_u8(skb, FLOWOS_A_PM_ORDER, res->order) ||
	    nla_put_u8(skb, FLOWOS_A_PM_WORKERS, res->workers))
		return -EMSGSIZE;
	return 0;
}

/*
 * The next message of @res in a dump: 0 once it is whole, -EMSGSIZE if
 * the rest needs another message (and, if this one holds nothing of
 * @res, another skb).
 */
int flowos_results_dump_part(struct flowos_results *res, struct sk_buff *skb,
			     struct netlink_callback *cb)
{
	void *hdr;
	int err;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &flowos_nl_family, NLM_F_MULTI, FLOWOS_CMD_STATS_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (flowos_results_put_header(res, skb) ||
	    nla_put_u32(skb, FLOWOS_A_PM_PART, res->part)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	err = flowos_results_send(res, skb);
	if (err == -ENOBUFS) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	/* On a message kept: a cancelled one would take the flag along. */
	genl_dump_check_consistent(cb, hdr);
	genlmsg_end(skb, hdr);
	res->part++;
	return err;
}

/* The size of what is left to send, as one message's body. */
u32 flowos_results_pending(const struct flowos_results *res)
{
	return res->len - res->pos;
}

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

	ev->res = NULL;
	if (!flowos_pm_has_listeners(pm) || strlen(name) >= sizeof(ev->name))
		return false;
	strscpy(ev->name, name, sizeof(ev->name));
	ev->res = flowos_results_new(pi, true);
	if (!ev->res)
		return false;
	if (!flowos_results_container_start(ev->res, FLOWOS_A_PM_RESULTS, NULL))
		return true;
	flowos_pm_event_cancel(ev);
	return false;
}
EXPORT_SYMBOL_GPL(flowos_pm_event_start);

/*
 * One message: an event is a few values, and one that does not fit in
 * 32 KiB is dropped, said in the log.
 */
void flowos_pm_event_send(struct flowos_pm *pm, struct flowos_pm_event *ev)
{
	struct flowos_pm_inst *pi = container_of(pm, struct flowos_pm_inst, pm);
	struct flowos_results *res = ev->res;
	struct sk_buff *skb = NULL;
	void *hdr;

	flowos_results_end(res);
	if (res->err || res->len > SZ_32K)
		goto drop;
	skb = genlmsg_new(res->len + NLMSG_GOODSIZE / 2, GFP_KERNEL);
	if (!skb)
		goto drop;
	hdr = genlmsg_put(skb, 0, 0, &flowos_nl_family, 0, FLOWOS_CMD_PM_EVENT);
	if (!hdr || flowos_results_put_header(res, skb) ||
	    nla_put_string(skb, FLOWOS_A_PM_EVENT, ev->name) ||
	    flowos_results_send(res, skb))
		goto drop;
	genlmsg_end(skb, hdr);
	flowos_nl_notify(pi->flow->fn, skb);
	flowos_pm_event_cancel(ev);
	return;
drop:
	net_warn_ratelimited("flowos: %s/%s: event %s dropped (%d)\n",
			     res->flow, res->name, ev->name, res->err ?: -EMSGSIZE);
	nlmsg_free(skb);
	flowos_pm_event_cancel(ev);
}
EXPORT_SYMBOL_GPL(flowos_pm_event_send);

void flowos_pm_event_cancel(struct flowos_pm_event *ev)
{
	flowos_results_free(ev->res);
	ev->res = NULL;
}
EXPORT_SYMBOL_GPL(flowos_pm_event_cancel);
