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
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <flowos/pm.h>

struct test_state {
	u64 seen;
	u64 unmarked;
};

static const struct flowos_pm_param mark_params[] = {
	{ "delay_us", FLOWOS_PARAM_U64, 0, 100000, 100,
	  "sleep after each unit" },
};

static const char *const test_scalars[] = { "seen", "unmarked" };

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

	return i ? READ_ONCE(ts->unmarked) : READ_ONCE(ts->seen);
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

static int __init test_module_init(void)
{
	int err = flowos_register_pm(&mark_ops);

	if (err)
		return err;
	err = flowos_register_pm(&check_ops);
	if (err)
		flowos_unregister_pm(&mark_ops);
	return err;
}

static void __exit test_module_exit(void)
{
	flowos_unregister_pm(&check_ops);
	flowos_unregister_pm(&mark_ops);
}

module_init(test_module_init);
module_exit(test_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowos test PMs: pipeline order");
