// SPDX-License-Identifier: GPL-2.0
/*
 * A test PM whose results take long to read: ->fill_results sleeps
 * read_ms before it writes its one row, then stays while the module's
 * parameter "hold" is set (60 s at most), and says on
 * /sys/module/flowos_pm_slowread/parameters/reading how many reads are
 * inside it now.  With it a test holds a read open until it releases
 * it, however slow the machine, and checks that nothing waits for it, configuration of any
 * namespace nor a detach of the instance being read, and that the read
 * still comes back whole: ->fini runs only once no read is inside
 * (early_fini counts the times it did not).
 */
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <flowos/pm.h>

static atomic_t reading = ATOMIC_INIT(0);
static atomic_t early_fini = ATOMIC_INIT(0);

static int counter_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read((atomic_t *)kp->arg));
}

static const struct kernel_param_ops counter_ops = {
	.get = counter_get,
};

module_param_cb(reading, &counter_ops, &reading, 0444);
MODULE_PARM_DESC(reading, "reads of results inside ->fill_results now");
module_param_cb(early_fini, &counter_ops, &early_fini, 0444);
MODULE_PARM_DESC(early_fini, "times ->fini ran while a read was inside ->fill_results");
static bool hold;
module_param(hold, bool, 0644);
MODULE_PARM_DESC(hold, "reads stay inside ->fill_results while set (60 s at most)");

static const struct flowos_pm_param slowread_params[] = {
	{ "read_ms", FLOWOS_PARAM_U64, 0, 60000, 1000,
	  "sleep in each read of the results", true },
};

static const char *const slowread_scalars[] = { "seen" };

static int slowread_init(struct flowos_pm *pm)
{
	u64 *seen = kzalloc(sizeof(*seen), GFP_KERNEL);

	pm->priv = seen;
	return seen ? 0 : -ENOMEM;
}

static void slowread_fini(struct flowos_pm *pm)
{
	/* One instance at a time is read in the test. */
	if (atomic_read(&reading))
		atomic_inc(&early_fini);
	kfree(pm->priv);
}

static unsigned int slowread_process(struct flowos_pm *pm,
				     const struct flowos_window *win)
{
	u64 *seen = pm->priv;

	WRITE_ONCE(*seen, *seen + win->tail - win->head);
	return win->tail - win->head;
}

/* read_ms is live: the core stores it; nothing to apply. */
static int slowread_set_params(struct flowos_pm *pm, const u64 *params)
{
	return 0;
}

static u64 slowread_read_scalar(const struct flowos_pm *pm, unsigned int i)
{
	return READ_ONCE(*(u64 *)pm->priv);
}

static int slowread_fill_results(const struct flowos_pm *pm,
				 struct flowos_results *res)
{
	unsigned int i;

	atomic_inc(&reading);
	msleep(READ_ONCE(pm->params[0]));
	for (i = 0; READ_ONCE(hold) && i < 3000; i++)
		msleep(20);
	atomic_dec(&reading);
	flowos_result_table_start(res, "after_sleep");
	flowos_result_row_start(res);
	flowos_result_put_u64(res, "slept_ms", pm->params[0]);
	flowos_result_put_u64(res, "seen", READ_ONCE(*(u64 *)pm->priv));
	flowos_result_end(res);
	return flowos_result_end(res);
}

static struct flowos_pm_ops slowread_ops = {
	.name = "test_slowread",
	.owner = THIS_MODULE,
	.layer = FLOWOS_LAYER_IP,
	.mode = FLOWOS_PM_MODE_RO,
	.params = slowread_params,
	.n_params = ARRAY_SIZE(slowread_params),
	.scalars = slowread_scalars,
	.n_scalars = ARRAY_SIZE(slowread_scalars),
	.init = slowread_init,
	.fini = slowread_fini,
	.process = slowread_process,
	.read_scalar = slowread_read_scalar,
	.fill_results = slowread_fill_results,
	.set_params = slowread_set_params,
};

static int __init slowread_module_init(void)
{
	return flowos_register_pm(&slowread_ops);
}

static void __exit slowread_module_exit(void)
{
	flowos_unregister_pm(&slowread_ops);
}

module_init(slowread_module_init);
module_exit(slowread_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowos test PM: results that take long to read");
