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
 * test_payload works on the payload stream, slowly (delay_us per unit),
 * and counts the payload bytes of the packet clones it is handed, and
 * the units that came without one: what the clone path and the memory
 * cap are tested with.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <flowos/pm.h>

struct test_state {
	u64 seen;
	u64 unmarked;		/* test_payload: units without a clone */
	u64 payload_bytes;
};

static const struct flowos_pm_param mark_params[] = {
	{ "delay_us", FLOWOS_PARAM_U64, 0, 100000, 100,
	  "sleep after each unit" },
};

static const char *const test_scalars[] = { "seen", "unmarked" };
static const char *const payload_scalars[] = {
	"seen", "missing_skb", "payload_bytes",
};

static int test_init(struct flowos_pm *pm)
{
	struct test_state *ts = kzalloc(sizeof(*ts), GFP_KERNEL);

	pm->priv = ts;
	return ts ? 0 : -ENOMEM;
}

static void test_fini(struct flowos_pm *pm)
{
	kfree(pm->priv);
}

static u64 test_read_scalar(const struct flowos_pm *pm, unsigned int i)
{
	const struct test_state *ts = pm->priv;

	switch (i) {
	case 0:
		return READ_ONCE(ts->seen);
	case 1:
		return READ_ONCE(ts->unmarked);
	default:
		return READ_ONCE(ts->payload_bytes);
	}
}

/* The payload bytes really in the clone, from where the unit says. */
static unsigned int payload_process(struct flowos_pm *pm,
				    const struct flowos_window *win)
{
	struct test_state *ts = pm->priv;
	struct flowos_unit *u;
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
	struct flowos_unit *u = flowos_window_unit(win, win->head);

	u->mark = 1;
	WRITE_ONCE(ts->seen, ts->seen + 1);
	usleep_range(pm->params[0], pm->params[0] + 10);
	return 1;
}

static unsigned int check_process(struct flowos_pm *pm,
				  const struct flowos_window *win)
{
	struct test_state *ts = pm->priv;
	struct flowos_unit *u;
	u64 seq;

	flowos_window_for_each(win, seq, u) {
		WRITE_ONCE(ts->seen, ts->seen + 1);
		if (READ_ONCE(u->mark) != 1)
			WRITE_ONCE(ts->unmarked, ts->unmarked + 1);
	}
	return win->tail - win->head;
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
	.init = test_init,
	.fini = test_fini,
	.process = mark_process,
	.read_scalar = test_read_scalar,
};

static struct flowos_pm_ops check_ops = {
	.name = "test_check",
	.owner = THIS_MODULE,
	.layer = FLOWOS_LAYER_IP,
	.mode = FLOWOS_PM_MODE_RO,
	.scalars = test_scalars,
	.n_scalars = ARRAY_SIZE(test_scalars),
	.init = test_init,
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

static struct flowos_pm_ops *const test_types[] = {
	&mark_ops, &check_ops, &payload_ops,
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

	for (i = 0; i < ARRAY_SIZE(test_types); i++) {
		err = flowos_register_pm(test_types[i]);
		if (err) {
			unregister_first(i);
			return err;
		}
	}
	return 0;
}

static void __exit test_module_exit(void)
{
	unregister_first(ARRAY_SIZE(test_types));
}

module_init(test_module_init);
module_exit(test_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowos test PMs: pipeline order, payload clones");
