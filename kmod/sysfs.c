// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/flowos: what a scraper reads without any tool, one value
 * per file.
 *
 *   version			the core module's version
 *   malformed/REASON		packets the hooks could not parse, by reason
 *   memory_used		bytes held for PMs, against the module
 *				parameter mem_limit_kb
 *   memory_refused		attaches refused by that cap
 *   pm_types/TYPE/{layer,mode}	each PM type loaded
 *   flows/FLOW/		each flow of the initial network namespace:
 *	id priority qlen family proto src dst sport dport ifindex dir
 *	icmp_type icmp_code dscp ecn iifname oifname vlan
 *	mode overflow		its definition ("any" where it matches all)
 *	packets_in bytes_in packets_out bytes_out ring_drops mem_drops
 *	held reinjected lost bypassed overflow_drops pm_drops
 *				its counters
 *	pms/NAME/{type,order,workers,backlog,processed,wakeups,dropped,
 *		  RESULT...}
 *				each attached instance and its scalar results
 *
 * Other namespaces' flows are not here: sysfs belongs to the initial
 * namespace; their owners read them over netlink.  Files are readable by
 * everyone, as netlink reads are.
 *
 * Lifetimes: a directory is removed under flowos_mutex before what it
 * shows is freed, and kobject_del() waits for the readers in progress;
 * so show functions take no lock (flowos_mutex would deadlock with that
 * wait) and read only what stays valid until then.
 */
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "flowos.h"

static struct kobject *flowos_kobj, *flows_kobj, *pm_types_kobj;

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", FLOWOS_VERSION);
}

static struct kobj_attribute version_attr = __ATTR_RO(version);

static ssize_t memory_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	u64 used, limit, refused;

	flowos_mem_read(&used, &limit, &refused);
	return sysfs_emit(buf, "%llu\n",
			  strcmp(attr->attr.name, "memory_used") ? refused : used);
}

static struct kobj_attribute memory_used_attr =
	__ATTR(memory_used, 0444, memory_show, NULL);
static struct kobj_attribute memory_refused_attr =
	__ATTR(memory_refused, 0444, memory_show, NULL);

/* Malformed packets of the initial namespace; file names are reasons. */
static ssize_t malformed_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	u64 malformed[__FLOWOS_PARSE_MAX];
	int r;

	flowos_net_read_malformed(flowos_pernet(&init_net), malformed);
	for (r = 0; r < __FLOWOS_PARSE_MAX; r++)
		if (!strcmp(attr->attr.name, flowos_parse_result_name(r)))
			return sysfs_emit(buf, "%llu\n", malformed[r]);
	return -EINVAL;
}

#define MALFORMED_ATTR(_name) \
	static struct kobj_attribute malformed_##_name##_attr = \
		__ATTR(_name, 0444, malformed_show, NULL)

MALFORMED_ATTR(truncated);
MALFORMED_ATTR(bad_version);
MALFORMED_ATTR(bad_ihl);
MALFORMED_ATTR(bad_length);
MALFORMED_ATTR(bad_ext_hdr);
MALFORMED_ATTR(bad_tcp_doff);
MALFORMED_ATTR(bad_udp_len);

static struct attribute *malformed_attrs[] = {
	&malformed_truncated_attr.attr, &malformed_bad_version_attr.attr,
	&malformed_bad_ihl_attr.attr, &malformed_bad_length_attr.attr,
	&malformed_bad_ext_hdr_attr.attr, &malformed_bad_tcp_doff_attr.attr,
	&malformed_bad_udp_len_attr.attr,
	NULL,
};

static const struct attribute_group malformed_group = {
	.name = "malformed",
	.attrs = malformed_attrs,
};

static struct attribute *flowos_attrs[] = {
	&version_attr.attr,
	&memory_used_attr.attr,
	&memory_refused_attr.attr,
	NULL,
};

static const struct attribute_group flowos_attr_group = {
	.attrs = flowos_attrs,
};

/* A directory whose kobject lives in a struct with what it shows. */
struct flowos_sysdir {
	struct kobject kobj;
	void *obj;		/* the flow or the instance */
};

static void flowos_sysdir_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct flowos_sysdir, kobj));
}

static void *dir_obj(struct kobject *kobj)
{
	return container_of(kobj, struct flowos_sysdir, kobj)->obj;
}

/* Flows */

static const char *const dir_names[] = {
	[FLOWOS_DIR_IN] = "in", [FLOWOS_DIR_OUT] = "out", [FLOWOS_DIR_BOTH] = "both",
};

static ssize_t show_prefix(char *buf, const struct flowos_match *m,
			   int attr, const __be32 *addr, u8 len)
{
	if (!FLOWOS_MATCH_HAS(m, attr))
		return sysfs_emit(buf, "any\n");
	if (m->family == AF_INET6)
		return sysfs_emit(buf, "%pI6c/%u\n", addr, len);
	return sysfs_emit(buf, "%pI4/%u\n", addr, len);
}

/* A device name of the match ("any" when it has none). */
static ssize_t show_name(char *buf, const struct flowos_match *m, int attr,
			 const char *name)
{
	if (!FLOWOS_MATCH_HAS(m, attr))
		return sysfs_emit(buf, "any\n");
	return sysfs_emit(buf, "%s\n", name);
}

/* A number or range of the match ("any" when it has none). */
static ssize_t show_range(char *buf, const struct flowos_match *m, int attr,
			  u16 lo, u16 hi)
{
	if (!FLOWOS_MATCH_HAS(m, attr))
		return sysfs_emit(buf, "any\n");
	if (lo == hi)
		return sysfs_emit(buf, "%u\n", lo);
	return sysfs_emit(buf, "%u-%u\n", lo, hi);
}

enum flow_file {
	FF_ID, FF_PRIORITY, FF_QLEN, FF_FAMILY, FF_PROTO, FF_SRC, FF_DST,
	FF_SPORT, FF_DPORT, FF_IFINDEX, FF_DIR,
	FF_ICMP_TYPE, FF_ICMP_CODE, FF_DSCP, FF_ECN, FF_IIFNAME, FF_OIFNAME,
	FF_VLAN,
	FF_MODE, FF_OVERFLOW,
	/* Counters from here on, in this order. */
	FF_PACKETS_IN, FF_BYTES_IN, FF_PACKETS_OUT, FF_BYTES_OUT, FF_RING_DROPS,
	FF_MEM_DROPS, FF_HELD, FF_REINJECTED, FF_LOST, FF_BYPASSED,
	FF_OVERFLOW_DROPS, FF_PM_DROPS, FF_MAX
};

static ssize_t flow_show_stat(const struct flowos_flow *flow, int file,
			      char *buf)
{
	struct flowos_flow_totals t;

	flowos_flow_read_stats(flow, &t);
	{
		const u64 v[FF_MAX - FF_PACKETS_IN] = {
			t.packets[FLOWOS_IN], t.bytes[FLOWOS_IN],
			t.packets[FLOWOS_OUT], t.bytes[FLOWOS_OUT],
			t.ring_drops, t.mem_drops, t.held, t.reinjected,
			t.lost, t.bypassed, t.overflow_drops, t.pm_drops,
		};

		return sysfs_emit(buf, "%llu\n", v[file - FF_PACKETS_IN]);
	}
}

static ssize_t flow_show(const struct flowos_flow *flow, int file, char *buf)
{
	struct flowos_flow_conf conf;
	struct flowos_match match, *m = &match;

	if (file == FF_ID)
		return sysfs_emit(buf, "%u\n", flow->id);
	if (file >= FF_PACKETS_IN)
		return flow_show_stat(flow, file, buf);
	/* "flowctl change" may be giving it a new one. */
	flowos_flow_read_def(flow, &conf, &match);
	switch (file) {
	case FF_PRIORITY:
		return sysfs_emit(buf, "%u\n", conf.priority);
	case FF_QLEN:
		return sysfs_emit(buf, "%u\n", conf.qlen);
	case FF_FAMILY:
		if (!FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_FAMILY))
			return sysfs_emit(buf, "any\n");
		return sysfs_emit(buf, "%s\n", m->family == AF_INET6 ? "ip6" : "ip");
	case FF_PROTO:
		if (!FLOWOS_MATCH_HAS(m, FLOWOS_A_FLOW_PROTO))
			return sysfs_emit(buf, "any\n");
		return sysfs_emit(buf, "%u\n", m->proto);
	case FF_SRC:
		return show_prefix(buf, m, FLOWOS_A_FLOW_SRC, m->src, m->src_len);
	case FF_DST:
		return show_prefix(buf, m, FLOWOS_A_FLOW_DST, m->dst, m->dst_len);
	case FF_SPORT:
		return show_range(buf, m, FLOWOS_A_FLOW_SPORT_MIN,
				  m->sport_min, m->sport_max);
	case FF_DPORT:
		return show_range(buf, m, FLOWOS_A_FLOW_DPORT_MIN,
				  m->dport_min, m->dport_max);
	case FF_IFINDEX:
		return sysfs_emit(buf, "%u\n", m->ifindex);
	case FF_ICMP_TYPE:
		return show_range(buf, m, FLOWOS_A_FLOW_ICMP_TYPE,
				  m->icmp_type, m->icmp_type);
	case FF_ICMP_CODE:
		return show_range(buf, m, FLOWOS_A_FLOW_ICMP_CODE,
				  m->icmp_code, m->icmp_code);
	case FF_DSCP:
		return show_range(buf, m, FLOWOS_A_FLOW_DSCP, m->dscp, m->dscp);
	case FF_ECN:
		return show_range(buf, m, FLOWOS_A_FLOW_ECN, m->ecn, m->ecn);
	case FF_IIFNAME:
		return show_name(buf, m, FLOWOS_A_FLOW_IIFNAME, m->iifname);
	case FF_OIFNAME:
		return show_name(buf, m, FLOWOS_A_FLOW_OIFNAME, m->oifname);
	case FF_VLAN:
		return show_range(buf, m, FLOWOS_A_FLOW_VLAN, m->vlan, m->vlan);
	case FF_DIR:
		return sysfs_emit(buf, "%s\n", dir_names[m->dir]);
	case FF_MODE:
		return sysfs_emit(buf, "%s\n", conf.mode == FLOWOS_FLOW_MODE_INLINE ?
				  "inline" : "passive");
	case FF_OVERFLOW:
		return sysfs_emit(buf, "%s\n", conf.overflow == FLOWOS_OVERFLOW_DROP ?
				  "drop" : "accept");
	default:
		return -EINVAL;
	}
}

struct flow_attr {
	struct kobj_attribute attr;
	int file;
};

static ssize_t flow_attr_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	return flow_show(dir_obj(kobj),
			 container_of(attr, struct flow_attr, attr)->file, buf);
}

#define FLOW_ATTR(_name, _file) \
	static struct flow_attr flow_attr_##_name = { \
		.attr = __ATTR(_name, 0444, flow_attr_show, NULL), \
		.file = _file, \
	}

FLOW_ATTR(id, FF_ID);
FLOW_ATTR(priority, FF_PRIORITY);
FLOW_ATTR(qlen, FF_QLEN);
FLOW_ATTR(family, FF_FAMILY);
FLOW_ATTR(proto, FF_PROTO);
FLOW_ATTR(src, FF_SRC);
FLOW_ATTR(dst, FF_DST);
FLOW_ATTR(sport, FF_SPORT);
FLOW_ATTR(dport, FF_DPORT);
FLOW_ATTR(ifindex, FF_IFINDEX);
FLOW_ATTR(dir, FF_DIR);
FLOW_ATTR(icmp_type, FF_ICMP_TYPE);
FLOW_ATTR(icmp_code, FF_ICMP_CODE);
FLOW_ATTR(dscp, FF_DSCP);
FLOW_ATTR(ecn, FF_ECN);
FLOW_ATTR(iifname, FF_IIFNAME);
FLOW_ATTR(oifname, FF_OIFNAME);
FLOW_ATTR(vlan, FF_VLAN);
FLOW_ATTR(packets_in, FF_PACKETS_IN);
FLOW_ATTR(bytes_in, FF_BYTES_IN);
FLOW_ATTR(packets_out, FF_PACKETS_OUT);
FLOW_ATTR(bytes_out, FF_BYTES_OUT);
FLOW_ATTR(ring_drops, FF_RING_DROPS);
FLOW_ATTR(mem_drops, FF_MEM_DROPS);
FLOW_ATTR(mode, FF_MODE);
FLOW_ATTR(overflow, FF_OVERFLOW);
FLOW_ATTR(held, FF_HELD);
FLOW_ATTR(reinjected, FF_REINJECTED);
FLOW_ATTR(lost, FF_LOST);
FLOW_ATTR(bypassed, FF_BYPASSED);
FLOW_ATTR(overflow_drops, FF_OVERFLOW_DROPS);
FLOW_ATTR(pm_drops, FF_PM_DROPS);

static struct attribute *flow_attrs[] = {
	&flow_attr_id.attr.attr, &flow_attr_priority.attr.attr,
	&flow_attr_qlen.attr.attr, &flow_attr_family.attr.attr,
	&flow_attr_proto.attr.attr, &flow_attr_src.attr.attr,
	&flow_attr_dst.attr.attr, &flow_attr_sport.attr.attr,
	&flow_attr_dport.attr.attr, &flow_attr_ifindex.attr.attr,
	&flow_attr_dir.attr.attr, &flow_attr_icmp_type.attr.attr,
	&flow_attr_icmp_code.attr.attr, &flow_attr_dscp.attr.attr,
	&flow_attr_ecn.attr.attr, &flow_attr_iifname.attr.attr,
	&flow_attr_oifname.attr.attr, &flow_attr_vlan.attr.attr,
	&flow_attr_packets_in.attr.attr,
	&flow_attr_bytes_in.attr.attr, &flow_attr_packets_out.attr.attr,
	&flow_attr_bytes_out.attr.attr, &flow_attr_ring_drops.attr.attr,
	&flow_attr_mem_drops.attr.attr, &flow_attr_mode.attr.attr,
	&flow_attr_overflow.attr.attr, &flow_attr_held.attr.attr,
	&flow_attr_reinjected.attr.attr, &flow_attr_lost.attr.attr,
	&flow_attr_bypassed.attr.attr, &flow_attr_overflow_drops.attr.attr,
	&flow_attr_pm_drops.attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(flow);

static const struct kobj_type flow_ktype = {
	.release = flowos_sysdir_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = flow_groups,
};

/* The flow's directory and its pms/ holder. */
struct flowos_flow_sysfs {
	struct flowos_sysdir *dir;
	struct kobject *pms;
};

static struct flowos_sysdir *dir_add(const struct kobj_type *ktype,
				     struct kobject *parent, const char *name,
				     void *obj)
{
	struct flowos_sysdir *dir = kzalloc(sizeof(*dir), GFP_KERNEL);

	if (!dir)
		return NULL;
	dir->obj = obj;
	if (kobject_init_and_add(&dir->kobj, ktype, parent, "%s", name)) {
		kobject_put(&dir->kobj);
		return NULL;
	}
	return dir;
}

static void dir_del(struct flowos_sysdir *dir)
{
	if (!dir)
		return;
	kobject_del(&dir->kobj);
	kobject_put(&dir->kobj);
}

/*
 * Best effort, as every sysfs file of this module: a flow works without
 * its directory, and netlink shows the same.
 */
void flowos_sysfs_add_flow(struct flowos_flow *flow)
{
	struct flowos_flow_sysfs *fs;

	lockdep_assert_held(&flowos_mutex);
	fs = kzalloc(sizeof(*fs), GFP_KERNEL);
	if (!fs)
		goto fail;
	fs->dir = dir_add(&flow_ktype, flows_kobj, flow->name, flow);
	if (!fs->dir)
		goto fail;
	fs->pms = kobject_create_and_add("pms", &fs->dir->kobj);
	if (!fs->pms)
		goto fail;
	flow->sysfs = fs;
	return;

fail:
	if (fs)
		dir_del(fs->dir);
	kfree(fs);
	pr_warn("no sysfs directory for flow %s\n", flow->name);
}

/* Before the flow is freed. */
void flowos_sysfs_del_flow(struct flowos_flow *flow)
{
	struct flowos_flow_sysfs *fs = flow->sysfs;

	lockdep_assert_held(&flowos_mutex);
	if (!fs)
		return;
	kobject_put(fs->pms);
	dir_del(fs->dir);
	kfree(fs);
	flow->sysfs = NULL;
}

/* PM instances: the core's files, then one per scalar result. */

enum pm_file {
	PF_TYPE, PF_ORDER, PF_WORKERS, PF_BACKLOG, PF_PROCESSED, PF_WAKEUPS,
	PF_DROPPED
};

static ssize_t pm_show(const struct flowos_pm_inst *pi, int file, char *buf)
{
	struct flowos_pm_counts c;

	flowos_pm_read_counts(pi, &c);
	switch (file) {
	case PF_TYPE:
		return sysfs_emit(buf, "%s\n", pi->pm.ops->name);
	case PF_ORDER:
		return sysfs_emit(buf, "%u\n", pi->order);
	case PF_WORKERS:
		return sysfs_emit(buf, "%u\n", pi->pm.workers);
	case PF_BACKLOG:
		return sysfs_emit(buf, "%llu\n", flowos_pm_backlog(pi));
	case PF_PROCESSED:
		return sysfs_emit(buf, "%llu\n", c.processed);
	case PF_WAKEUPS:
		return sysfs_emit(buf, "%llu\n", c.wakeups);
	default:
		return sysfs_emit(buf, "%llu\n", c.dropped);
	}
}

static ssize_t pm_attr_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return pm_show(dir_obj(kobj),
		       container_of(attr, struct flow_attr, attr)->file, buf);
}

#define PM_ATTR(_name, _file) \
	static struct flow_attr pm_attr_##_name = { \
		.attr = __ATTR(_name, 0444, pm_attr_show, NULL), \
		.file = _file, \
	}

PM_ATTR(type, PF_TYPE);
PM_ATTR(order, PF_ORDER);
PM_ATTR(workers, PF_WORKERS);
PM_ATTR(backlog, PF_BACKLOG);
PM_ATTR(processed, PF_PROCESSED);
PM_ATTR(wakeups, PF_WAKEUPS);
PM_ATTR(dropped, PF_DROPPED);

static struct attribute *pm_attrs[] = {
	&pm_attr_type.attr.attr, &pm_attr_order.attr.attr,
	&pm_attr_workers.attr.attr,
	&pm_attr_backlog.attr.attr, &pm_attr_processed.attr.attr,
	&pm_attr_wakeups.attr.attr, &pm_attr_dropped.attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(pm);

/* Whether @name is one of the core's files in an instance's directory. */
bool flowos_sysfs_pm_file(const char *name)
{
	struct attribute **a;

	for (a = pm_attrs; *a; a++)
		if (!strcmp((*a)->name, name))
			return true;
	return false;
}

static const struct kobj_type pm_ktype = {
	.release = flowos_sysdir_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = pm_groups,
};

static ssize_t result_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	const struct flowos_pm_inst *pi = dir_obj(kobj);
	unsigned int i = container_of(attr, struct flow_attr, attr)->file;

	return sysfs_emit(buf, "%llu\n", pi->pm.ops->read_scalar(&pi->pm, i));
}

/* The scalar results' files, which depend on the PM type. */
struct pm_results {
	struct attribute_group group;
	struct attribute **ptrs;
	struct flow_attr attrs[];
};

static struct pm_results *pm_results_alloc(const struct flowos_pm_ops *ops)
{
	unsigned int i, n = ops->n_scalars;
	struct pm_results *res;

	res = kzalloc(struct_size(res, attrs, n), GFP_KERNEL);
	if (!res)
		return NULL;
	res->ptrs = kcalloc(n + 1, sizeof(*res->ptrs), GFP_KERNEL);
	if (!res->ptrs) {
		kfree(res);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		struct kobj_attribute *a = &res->attrs[i].attr;

		sysfs_attr_init(&a->attr);
		a->attr.name = ops->scalars[i];
		a->attr.mode = 0444;
		a->show = result_show;
		res->attrs[i].file = i;
		res->ptrs[i] = &a->attr;
	}
	res->group.attrs = res->ptrs;
	return res;
}

static void pm_results_free(struct pm_results *res)
{
	if (res)
		kfree(res->ptrs);
	kfree(res);
}

/* An instance's directory: its dir, and the group of its results. */
struct pm_sysfs {
	struct flowos_sysdir *dir;
	struct pm_results *res;
};

/* Best effort, as for flows. */
void flowos_sysfs_add_pm(struct flowos_pm_inst *pi)
{
	struct flowos_flow_sysfs *fs = pi->flow->sysfs;
	struct pm_sysfs *ps;

	lockdep_assert_held(&flowos_mutex);
	if (!fs)
		return;
	ps = kzalloc(sizeof(*ps), GFP_KERNEL);
	if (!ps)
		goto fail;
	ps->dir = dir_add(&pm_ktype, fs->pms, pi->name, pi);
	ps->res = pm_results_alloc(pi->pm.ops);
	if (!ps->dir || !ps->res ||
	    sysfs_create_group(&ps->dir->kobj, &ps->res->group))
		goto fail;
	pi->sysfs = ps;
	return;

fail:
	if (ps) {
		dir_del(ps->dir);
		pm_results_free(ps->res);
	}
	kfree(ps);
	pr_warn("no sysfs directory for %s of flow %s\n", pi->name,
		pi->flow->name);
}

/* Before the instance stops. */
void flowos_sysfs_del_pm(struct flowos_pm_inst *pi)
{
	struct pm_sysfs *ps = pi->sysfs;

	lockdep_assert_held(&flowos_mutex);
	if (!ps)
		return;
	sysfs_remove_group(&ps->dir->kobj, &ps->res->group);
	dir_del(ps->dir);
	pm_results_free(ps->res);
	kfree(ps);
	pi->sysfs = NULL;
}

/* PM types */

static ssize_t type_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	static const char *const layers[] = {
		[FLOWOS_LAYER_IP] = "ip", [FLOWOS_LAYER_TCP] = "tcp",
		[FLOWOS_LAYER_UDP] = "udp", [FLOWOS_LAYER_ICMP] = "icmp",
		[FLOWOS_LAYER_PAYLOAD] = "payload",
		[FLOWOS_LAYER_STREAM] = "stream",
	};
	const struct flowos_pm_ops *ops = dir_obj(kobj);

	if (!strcmp(attr->attr.name, "layer"))
		return sysfs_emit(buf, "%s\n", layers[ops->layer]);
	return sysfs_emit(buf, "%s\n",
			  ops->mode == FLOWOS_PM_MODE_RW ? "rw" : "ro");
}

static struct kobj_attribute type_layer_attr = __ATTR(layer, 0444, type_show, NULL);
static struct kobj_attribute type_mode_attr = __ATTR(mode, 0444, type_show, NULL);

static struct attribute *type_attrs[] = {
	&type_layer_attr.attr, &type_mode_attr.attr, NULL,
};
ATTRIBUTE_GROUPS(type);

static const struct kobj_type type_ktype = {
	.release = flowos_sysdir_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = type_groups,
};

/* Best effort. */
void flowos_sysfs_add_type(struct flowos_pm_ops *ops)
{
	lockdep_assert_held(&flowos_mutex);
	ops->sysfs = dir_add(&type_ktype, pm_types_kobj, ops->name, ops);
	if (!ops->sysfs)
		pr_warn("no sysfs directory for PM type %s\n", ops->name);
}

void flowos_sysfs_del_type(struct flowos_pm_ops *ops)
{
	lockdep_assert_held(&flowos_mutex);
	dir_del(ops->sysfs);
	ops->sysfs = NULL;
}

int flowos_sysfs_init(void)
{
	int err = -ENOMEM;

	flowos_kobj = kobject_create_and_add("flowos", kernel_kobj);
	if (!flowos_kobj)
		return -ENOMEM;
	flows_kobj = kobject_create_and_add("flows", flowos_kobj);
	if (!flows_kobj)
		goto put;
	pm_types_kobj = kobject_create_and_add("pm_types", flowos_kobj);
	if (!pm_types_kobj)
		goto put_flows;
	err = sysfs_create_group(flowos_kobj, &flowos_attr_group);
	if (err)
		goto put_types;
	return 0;

put_types:
	kobject_put(pm_types_kobj);
put_flows:
	kobject_put(flows_kobj);
put:
	kobject_put(flowos_kobj);
	return err;
}

/* Only while the initial namespace's counters exist (see main.c). */
int flowos_sysfs_add_malformed(void)
{
	return sysfs_create_group(flowos_kobj, &malformed_group);
}

void flowos_sysfs_del_malformed(void)
{
	sysfs_remove_group(flowos_kobj, &malformed_group);
}

void flowos_sysfs_exit(void)
{
	sysfs_remove_group(flowos_kobj, &flowos_attr_group);
	kobject_put(pm_types_kobj);
	kobject_put(flows_kobj);
	kobject_put(flowos_kobj);
}
