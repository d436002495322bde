// SPDX-License-Identifier: GPL-2.0
/*
 * Test PMs that make the pipeline order observable.
 *
 * test_mark (read-write) sets unit->mark on every unit it processes,
 * slowly: one unit per call, sleeping delay_us after it.  test_check
 * (read-only) counts the units it sees and those not marked yet.  With
 * test_mark at order 0 and test_check at order 1, "unmarked" stays 0 if
 * and only if the core never shows an order-1 instance a unit that the
 * order-0 one has not released.
 *
 * The attach window: test_check may also sleep in ->init (init_ms) and
 * then fail (init_fail), for an attach that is slow or refused late,
 * and it counts as "late" the units a window hands it for the first time,
 * once a test_mark instance is working on that CPU's ring, that are not
 * marked: with test_check attached first and test_mark attached at a
 * lower order later, "late" stays 0 if and only if test_mark starts
 * no later than where test_check had got to, and test_check sees no unit
 * from then on that test_mark has not released.  test_check may sleep
 * delay_us after each unit too, to lag behind.  It has no ->tick: what
 * its wake-ups are tested with.
 *
 * test_payload works on the payload stream, slowly (delay_us per unit),
 * and counts the payload bytes of the packet clones it is handed, and
 * the units that came without one: what the clone path and the memory
 * cap are tested with.
 *
 * test_drop (read-write) asks the core to drop every Nth unit it sees
 * (every), and counts those the core agreed to drop: on an inline flow
 * all of them, on a passive one none.
 *
 * test_nat (read-write) writes headers through flowos_unit_write_header():
 * a stateless one-to-one NAT that sends what goes to vaddr (port vport)
 * to raddr (port rport) and makes what comes from raddr (port rport)
 * come from vaddr (port vport); ports of 0 stay as they are.  It sets
 * every packet's IPv4 TOS or IPv6 traffic class to tos (unless 256),
 * and with bad_write 1 first tries to change each packet's protocol
 * (next header) byte, which must be refused.
 */
#include <linux/delay.h>
#include <linux/inet.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <flowos/pm.h>

struct test_state {
	u64 seen;
	u64 unmarked;		/* test_payload: units without a clone */
	u64 payload_bytes;
	u64 late;
	u64 *handed;		/* test_check: per CPU, the highest tail seen */
};

/*
 * Per CPU: a test_mark instance has processed a unit of that CPU's ring
 * (so it is on the stream), since the last test_mark ->init.
 */
static bool *mark_started;

/*
 * While set, test_mark takes no unit: its ring fills whatever the pace
 * of the traffic, so that a test overflows it for sure.
 */
static bool mark_stall;
module_param(mark_stall, bool, 0644);
MODULE_PARM_DESC(mark_stall, "test_mark takes no unit while set");

static const struct flowos_pm_param mark_params[] = {
	{ "delay_us", FLOWOS_PARAM_U64, 0, 100000, 100,
	  "sleep after each unit" },
};

enum { C_DELAY_US, C_INIT_MS, C_INIT_FAIL };

static const struct flowos_pm_param check_params[] = {
	[C_DELAY_US] = { "delay_us", FLOWOS_PARAM_U64, 0, 100000, 0,
			 "sleep after each unit" },
	[C_INIT_MS] = { "init_ms", FLOWOS_PARAM_U64, 0, 60000, 0,
			"sleep in ->init" },
	[C_INIT_FAIL] = { "init_fail", FLOWOS_PARAM_U64, 0, 1, 0,
			  "then fail ->init" },
};

static const char *const test_scalars[] = { "seen", "unmarked", "late" };
static const char *const payload_scalars[] = {
	"seen", "missing_skb", "payload_bytes",
};

static const struct flowos_pm_param drop_params[] = {
	{ "every", FLOWOS_PARAM_U64, 1, 1000, 2, "drop every Nth unit" },
};

/* test_drop keeps its drops in ->unmarked. */
static const char *const drop_scalars[] = { "seen", "drops" };

enum { N_VADDR, N_RADDR, N_VPORT, N_RPORT, N_TOS, N_BAD_WRITE };

static const char *nat_addr_check(const char *value)
{
	u8 buf[16];

	if (in4_pton(value, -1, buf, -1, NULL) ||
	    in6_pton(value, -1, buf, -1, NULL))
		return NULL;
	return "not an IPv4 or IPv6 address";
}

static const struct flowos_pm_param nat_params[] = {
	[N_VADDR] = { "vaddr", FLOWOS_PARAM_STRING, 1, 1, 0,
		      "the address clients use", .check = nat_addr_check },
	[N_RADDR] = { "raddr", FLOWOS_PARAM_STRING, 1, 1, 0,
		      "the server's real address", .check = nat_addr_check },
	[N_VPORT] = { "vport", FLOWOS_PARAM_U64, 0, 65535, 0,
		      "the port clients use (0: any, unchanged)" },
	[N_RPORT] = { "rport", FLOWOS_PARAM_U64, 0, 65535, 0,
		      "the server's real port" },
	[N_TOS] = { "tos", FLOWOS_PARAM_U64, 0, 256, 256,
		    "TOS or traffic class to set (256: leave)" },
	[N_BAD_WRITE] = { "bad_write", FLOWOS_PARAM_U64, 0, 1, 0,
			  "try to change the protocol byte first" },
};

static const char *const nat_scalars[] = {
	"seen", "mapped", "tos_set", "refused", "failed", "partial", "gso",
};

struct nat_state {
	u64 count[ARRAY_SIZE(nat_scalars)];
	__be32 vaddr[4], raddr[4];
	__be16 vport, rport;
	u8 family;
};

/* partial, gso: units seen CHECKSUM_PARTIAL, and GSO ones */
enum {
	NS_SEEN, NS_MAPPED, NS_TOS_SET, NS_REFUSED, NS_FAILED, NS_PARTIAL,
	NS_GSO,
};

static int test_init(struct flowos_pm *pm)
{
	struct test_state *ts = kzalloc(sizeof(*ts), GFP_KERNEL);

	pm->priv = ts;
	return ts ? 0 : -ENOMEM;
}

static void test_fini(struct flowos_pm *pm)
{
	struct test_state *ts = pm->priv;

	kfree(ts->handed);
	kfree(ts);
}

static int mark_init(struct flowos_pm *pm)
{
	memset(mark_started, 0, nr_cpu_ids * sizeof(*mark_started));
	return test_init(pm);
}

static int check_init(struct flowos_pm *pm)
{
	struct test_state *ts;

	if (pm->params[C_INIT_MS])
		msleep(pm->params[C_INIT_MS]);
	if (pm->params[C_INIT_FAIL]) {
		pm->errmsg = "init_fail: failing as asked";
		return -EINVAL;
	}
	if (test_init(pm))
		return -ENOMEM;
	ts = pm->priv;
	ts->handed = kcalloc(nr_cpu_ids, sizeof(*ts->handed), GFP_KERNEL);
	if (!ts->handed) {
		kfree(ts);
		return -ENOMEM;
	}
	return 0;
}

static unsigned int payload_process(struct flowos_pm *pm,
				    const struct flowos_window *win);

static u64 test_read_scalar(const struct flowos_pm *pm, unsigned int i)
{
	const struct test_state *ts = pm->priv;

	switch (i) {
	case 0:
		return READ_ONCE(ts->seen);
	case 1:
		return READ_ONCE(ts->unmarked);
	default:
		/* "late" for test_check, "payload_bytes" for test_payload */
		return pm->ops->process == payload_process ?
		       READ_ONCE(ts->payload_bytes) : READ_ONCE(ts->late);
	}
}

/* The payload bytes really in the clone, from where the unit says. */
static unsigned int payload_process(struct flowos_pm *pm,
				    const struct flowos_window *win)
{
	struct test_state *ts = pm->priv;
	const struct flowos_unit *u;
	u64 seq;

	flowos_window_for_each(win, seq, u) {
		WRITE_ONCE(ts->seen, ts->seen + 1);
		if (!u->skb || u->skb->len < u->payload_off + u->payload_len)
			WRITE_ONCE(ts->unmarked, ts->unmarked + 1);
		else
			WRITE_ONCE(ts->payload_bytes,
				   ts->payload_bytes + u->payload_len);
		usleep_range(pm->params[0], pm->params[0] + 10);
	}
	return win->tail - win->head;
}

static unsigned int mark_process(struct flowos_pm *pm,
				 const struct flowos_window *win)
{
	struct test_state *ts = pm->priv;
	struct flowos_unit *u;

	if (READ_ONCE(mark_stall))
		return 0;
	u = flowos_unit_rw(pm, flowos_window_unit(win, win->head));
	u->mark = 1;
	if (!READ_ONCE(mark_started[win->cpu]))
		WRITE_ONCE(mark_started[win->cpu], true);
	WRITE_ONCE(ts->seen, ts->seen + 1);
	usleep_range(pm->params[0], pm->params[0] + 10);
	return 1;
}

static unsigned int check_process(struct flowos_pm *pm,
				  const struct flowos_window *win)
{
	struct test_state *ts = pm->priv;
	/* Whether a test_mark instance was on the stream before this window. */
	bool marking = READ_ONCE(mark_started[win->cpu]);
	u64 handed = ts->handed[win->cpu];
	const struct flowos_unit *u;
	u64 seq;

	flowos_window_for_each(win, seq, u) {
		bool marked = READ_ONCE(u->mark) == 1;

		WRITE_ONCE(ts->seen, ts->seen + 1);
		if (!marked)
			WRITE_ONCE(ts->unmarked, ts->unmarked + 1);
		if (!marked && marking && seq >= handed)
			WRITE_ONCE(ts->late, ts->late + 1);
		if (pm->params[C_DELAY_US])
			usleep_range(pm->params[C_DELAY_US],
				     pm->params[C_DELAY_US] + 10);
	}
	ts->handed[win->cpu] = max(handed, win->tail);
	return win->tail - win->head;
}

static unsigned int drop_process(struct flowos_pm *pm,
				 const struct flowos_window *win)
{
	struct test_state *ts = pm->priv;
	const struct flowos_unit *u;
	u64 seq;

	flowos_window_for_each(win, seq, u) {
		WRITE_ONCE(ts->seen, ts->seen + 1);
		if (ts->seen % pm->params[0] == 0 &&
		    flowos_unit_drop(pm, win, flowos_unit_rw(pm, u)))
			WRITE_ONCE(ts->unmarked, ts->unmarked + 1);
	}
	return win->tail - win->head;
}

static int nat_init(struct flowos_pm *pm)
{
	const char *v = pm->strings[N_VADDR]->v[0];
	const char *r = pm->strings[N_RADDR]->v[0];
	struct nat_state *ns = kzalloc(sizeof(*ns), GFP_KERNEL);

	if (!ns)
		return -ENOMEM;
	if (in4_pton(v, -1, (u8 *)ns->vaddr, -1, NULL) &&
	    in4_pton(r, -1, (u8 *)ns->raddr, -1, NULL)) {
		ns->family = AF_INET;
	} else if (in6_pton(v, -1, (u8 *)ns->vaddr, -1, NULL) &&
		   in6_pton(r, -1, (u8 *)ns->raddr, -1, NULL)) {
		ns->family = AF_INET6;
	} else {
		kfree(ns);
		pm->errmsg = "vaddr and raddr: one family for both";
		return -EINVAL;
	}
	ns->vport = htons(pm->params[N_VPORT]);
	ns->rport = htons(pm->params[N_RPORT]);
	pm->priv = ns;
	return 0;
}

static void nat_fini(struct flowos_pm *pm)
{
	kfree(pm->priv);
}

static void nat_count(struct nat_state *ns, unsigned int i)
{
	WRITE_ONCE(ns->count[i], ns->count[i] + 1);
}

/* Write @addr and @port as the source (@src) or destination of @u. */
static int nat_write(struct flowos_pm *pm, struct flowos_unit *u, bool src,
		     const __be32 *addr, __be16 port)
{
	bool v4 = u->family == AF_INET;
	u32 off = v4 ? (src ? offsetof(struct iphdr, saddr) :
			      offsetof(struct iphdr, daddr)) :
		       (src ? offsetof(struct ipv6hdr, saddr) :
			      offsetof(struct ipv6hdr, daddr));
	int err;

	err = flowos_unit_write_header(pm, u, FLOWOS_HDR_IP, off, addr,
				       v4 ? 4 : 16);
	if (err || !port)
		return err;
	/* TCP and UDP alike begin with the two ports. */
	off = src ? offsetof(struct udphdr, source) :
		    offsetof(struct udphdr, dest);
	return flowos_unit_write_header(pm, u, FLOWOS_HDR_L4, off, &port,
					sizeof(port));
}

static bool nat_is(const struct nat_state *ns, const __be32 *addr,
		   __be16 port, const __be32 *want, __be16 want_port)
{
	size_t len = ns->family == AF_INET ? 4 : 16;

	return !memcmp(addr, want, len) && (!want_port || port == want_port);
}

/* IPv4's TOS byte, or IPv6's traffic class across its first two bytes. */
static int nat_set_tos(struct flowos_pm *pm, struct flowos_unit *u, u8 tos)
{
	const u8 *ip = skb_network_header(u->skb);
	u8 tc[2];

	if (u->family == AF_INET)
		return flowos_unit_write_header(pm, u, FLOWOS_HDR_IP,
						offsetof(struct iphdr, tos),
						&tos, 1);
	tc[0] = (ip[0] & 0xf0) | tos >> 4;
	tc[1] = (ip[1] & 0x0f) | tos << 4;
	return flowos_unit_write_header(pm, u, FLOWOS_HDR_IP, 0, tc, 2);
}

static void nat_one(struct flowos_pm *pm, struct nat_state *ns,
		    struct flowos_unit *u)
{
	u8 bad = 0xff;
	int err = 0;

	nat_count(ns, NS_SEEN);
	if (u->skb->ip_summed == CHECKSUM_PARTIAL)
		nat_count(ns, NS_PARTIAL);
	if (skb_is_gso(u->skb))
		nat_count(ns, NS_GSO);
	if (pm->params[N_BAD_WRITE]) {
		u32 off = u->family == AF_INET ?
			  offsetof(struct iphdr, protocol) :
			  offsetof(struct ipv6hdr, nexthdr);

		if (flowos_unit_write_header(pm, u, FLOWOS_HDR_IP, off, &bad,
					     1) == -EINVAL)
			nat_count(ns, NS_REFUSED);
		else
			nat_count(ns, NS_FAILED);
	}
	if (u->family == ns->family &&
	    nat_is(ns, u->daddr, u->dport, ns->vaddr, ns->vport)) {
		err = nat_write(pm, u, false, ns->raddr, ns->rport);
		nat_count(ns, err ? NS_FAILED : NS_MAPPED);
	} else if (u->family == ns->family &&
		   nat_is(ns, u->saddr, u->sport, ns->raddr, ns->rport)) {
		err = nat_write(pm, u, true, ns->vaddr, ns->vport);
		nat_count(ns, err ? NS_FAILED : NS_MAPPED);
	}
	if (pm->params[N_TOS] < 256) {
		err = nat_set_tos(pm, u, pm->params[N_TOS]);
		nat_count(ns, err ? NS_FAILED : NS_TOS_SET);
	}
}

static unsigned int nat_process(struct flowos_pm *pm,
				const struct flowos_window *win)
{
	const struct flowos_unit *u;
	u64 seq;

	flowos_window_for_each(win, seq, u)
		nat_one(pm, pm->priv, flowos_unit_rw(pm, u));
	return win->tail - win->head;
}

static u64 nat_read_scalar(const struct flowos_pm *pm, unsigned int i)
{
	const struct nat_state *ns = pm->priv;

	return READ_ONCE(ns->count[i]);
}

static struct flowos_pm_ops mark_ops = {
	.name = "test_mark",
	.owner = THIS_MODULE,
	.layer = FLOWOS_LAYER_IP,
	.mode = FLOWOS_PM_MODE_RW,
	.params = mark_params,
	.n_params = ARRAY_SIZE(mark_params),
	.scalars = test_scalars,
	.n_scalars = 1,
	.init = mark_init,
	.fini = test_fini,
	.process = mark_process,
	.read_scalar = test_read_scalar,
};

static struct flowos_pm_ops check_ops = {
	.name = "test_check",
	.owner = THIS_MODULE,
	.layer = FLOWOS_LAYER_IP,
	.mode = FLOWOS_PM_MODE_RO,
	.params = check_params,
	.n_params = ARRAY_SIZE(check_params),
	.scalars = test_scalars,
	.n_scalars = ARRAY_SIZE(test_scalars),
	.init = check_init,
	.fini = test_fini,
	.process = check_process,
	.read_scalar = test_read_scalar,
};

static struct flowos_pm_ops payload_ops = {
	.name = "test_payload",
	.owner = THIS_MODULE,
	.layer = FLOWOS_LAYER_PAYLOAD,
	.mode = FLOWOS_PM_MODE_RO,
	.params = mark_params,
	.n_params = ARRAY_SIZE(mark_params),
	.scalars = payload_scalars,
	.n_scalars = ARRAY_SIZE(payload_scalars),
	.init = test_init,
	.fini = test_fini,
	.process = payload_process,
	.read_scalar = test_read_scalar,
};

static struct flowos_pm_ops drop_ops = {
	.name = "test_drop",
	.owner = THIS_MODULE,
	.layer = FLOWOS_LAYER_IP,
	.mode = FLOWOS_PM_MODE_RW,
	.params = drop_params,
	.n_params = ARRAY_SIZE(drop_params),
	.scalars = drop_scalars,
	.n_scalars = ARRAY_SIZE(drop_scalars),
	.init = test_init,
	.fini = test_fini,
	.process = drop_process,
	.read_scalar = test_read_scalar,
};

static struct flowos_pm_ops nat_ops = {
	.name = "test_nat",
	.owner = THIS_MODULE,
	.layer = FLOWOS_LAYER_IP,
	.mode = FLOWOS_PM_MODE_RW,
	.needs_inline = true,
	.params = nat_params,
	.n_params = ARRAY_SIZE(nat_params),
	.scalars = nat_scalars,
	.n_scalars = ARRAY_SIZE(nat_scalars),
	.init = nat_init,
	.fini = nat_fini,
	.process = nat_process,
	.read_scalar = nat_read_scalar,
};

static struct flowos_pm_ops *const test_types[] = {
	&mark_ops, &check_ops, &payload_ops, &drop_ops, &nat_ops,
};

static void unregister_first(unsigned int n)
{
	while (n--)
		flowos_unregister_pm(test_types[n]);
}

static int __init test_module_init(void)
{
	unsigned int i;
	int err;

	mark_started = kcalloc(nr_cpu_ids, sizeof(*mark_started), GFP_KERNEL);
	if (!mark_started)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(test_types); i++) {
		err = flowos_register_pm(test_types[i]);
		if (err) {
			unregister_first(i);
			kfree(mark_started);
			return err;
		}
	}
	return 0;
}

static void __exit test_module_exit(void)
{
	unregister_first(ARRAY_SIZE(test_types));
	kfree(mark_started);
}

module_init(test_module_init);
module_exit(test_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowos test PMs: pipeline order, payload clones, writes");
