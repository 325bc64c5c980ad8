// SPDX-License-Identifier: GPL-2.0
/*
 * lazytlb: module parameters, load and unload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include "lazytlb.h"

#define LAZYTLB_MIN_ROWS	16U
#define LAZYTLB_MAX_ROWS	65536U

/* Read on every context switch; written only by the controls below. */
bool lazytlb_enabled __read_mostly = true;
bool lazytlb_shared_stats __read_mostly = true;
DEFINE_STATIC_KEY_FALSE(lazytlb_shared_key);
u32 lazytlb_epoch __read_mostly = 1;
unsigned int lazytlb_max_mms __read_mostly = 1024;
unsigned int lazytlb_retired_max __read_mostly = 1024;
DEFINE_PER_CPU(struct lazytlb_cpu, lazytlb_cpu);

/* Serialises enable and reset against each other and against unload. */
static DEFINE_MUTEX(lazytlb_control_mutex);
static bool lazytlb_loaded;

/*
 * Wait until no hook runs the old configuration any more: every hook runs
 * with preemption disabled, so an RCU grace period covers all of them.
 */
static void lazytlb_quiesce(void)
{
	synchronize_rcu();
}

static int lazytlb_set_enabled(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret;

	ret = kstrtobool(val, &on);
	if (ret) {
		pr_err("enabled: '%.*s' is not a boolean\n",
		       (int)strcspn(val, "\n"), val);
		return -EINVAL;
	}
	mutex_lock(&lazytlb_control_mutex);
	if (lazytlb_loaded && !on && lazytlb_on()) {
		WRITE_ONCE(lazytlb_enabled, false);
		lazytlb_quiesce();
		lazytlb_fast_clear();
	}
	if (lazytlb_loaded && on && !lazytlb_on()) {
		/*
		 * References changed unseen while disabled: every CPU adopts
		 * its own anew (new epoch), and no mm counts one in held.
		 */
		WRITE_ONCE(lazytlb_epoch, lazytlb_epoch + 1);
		lazytlb_quiesce();
		lazytlb_table_clear_held();
	}
	/* Pairs with lazytlb_on(): the epoch is seen before enabled. */
	smp_store_release(&lazytlb_enabled, on);
	mutex_unlock(&lazytlb_control_mutex);
	return 0;
}

static int lazytlb_get_enabled(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%c\n", lazytlb_on() ? 'Y' : 'N');
}

static const struct kernel_param_ops lazytlb_enabled_ops = {
	.set = lazytlb_set_enabled,
	.get = lazytlb_get_enabled,
};
module_param_cb(enabled, &lazytlb_enabled_ops, NULL, 0644);
MODULE_PARM_DESC(enabled, "Count lazy-TLB references (default Y); re-enabling forgets references taken while off");

static int lazytlb_set_reset(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	bool was;

	if (kstrtouint(val, 0, &v) || v != 1) {
		pr_err("reset: write 1 to zero every counter\n");
		return -EINVAL;
	}
	mutex_lock(&lazytlb_control_mutex);
	if (!lazytlb_loaded) {
		mutex_unlock(&lazytlb_control_mutex);
		pr_err("reset: not allowed at load time\n");
		return -EINVAL;
	}
	was = lazytlb_on();
	WRITE_ONCE(lazytlb_enabled, false);
	lazytlb_quiesce();
	lazytlb_fast_clear();
	lazytlb_table_reset();
	lazytlb_reset_cpus();
	WRITE_ONCE(lazytlb_epoch, lazytlb_epoch + 1);
	/* Pairs with lazytlb_on(): the epoch is seen before enabled. */
	smp_store_release(&lazytlb_enabled, was);
	mutex_unlock(&lazytlb_control_mutex);
	return 0;
}

static const struct kernel_param_ops lazytlb_reset_ops = {
	.set = lazytlb_set_reset,
};
module_param_cb(reset, &lazytlb_reset_ops, NULL, 0200);
MODULE_PARM_DESC(reset, "Write 1 to zero all counters and the retired ring");

static int lazytlb_set_rows(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v < LAZYTLB_MIN_ROWS ||
	    v > LAZYTLB_MAX_ROWS) {
		pr_err("%s: '%.*s' is not a number in [%u, %u]\n", kp->name,
		       (int)strcspn(val, "\n"), val, LAZYTLB_MIN_ROWS,
		       LAZYTLB_MAX_ROWS);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops lazytlb_rows_ops = {
	.set = lazytlb_set_rows,
	.get = param_get_uint,
};
module_param_cb(max_mms, &lazytlb_rows_ops, &lazytlb_max_mms, 0444);
MODULE_PARM_DESC(max_mms, "Live mms the table holds, preallocated at load (16..65536, default 1024); more are counted as overflow");
module_param_cb(retired_max, &lazytlb_rows_ops, &lazytlb_retired_max, 0444);
MODULE_PARM_DESC(retired_max, "Rows in the ring of freed mms (16..65536, default 1024); the oldest is overwritten");
module_param_named(shared_stats, lazytlb_shared_stats, bool, 0444);
MODULE_PARM_DESC(shared_stats, "Track max_held and xfers: one shared cache-line write per lazy grab or drop (default Y)");

static int __init lazytlb_init(void)
{
	int ret;

	ret = lazytlb_table_init();
	if (ret)
		return ret;
	if (lazytlb_shared_stats)
		static_branch_enable(&lazytlb_shared_key);
	ret = lazytlb_hooks_register();
	if (ret)
		goto free_table;
	/* After the hooks, so that no mm created meanwhile is missed. */
	lazytlb_populate();
	lazytlb_detect_mode();
	ret = lazytlb_debugfs_init();
	if (ret)
		goto unregister;
	mutex_lock(&lazytlb_control_mutex);
	lazytlb_loaded = true;
	mutex_unlock(&lazytlb_control_mutex);
	pr_info("counting lazy-TLB references (%u mms, %u retired rows)\n",
		lazytlb_table_size(), lazytlb_retired_max);
	return 0;

unregister:
	lazytlb_hooks_unregister();
free_table:
	lazytlb_table_free();
	return ret;
}

static void __exit lazytlb_exit(void)
{
	mutex_lock(&lazytlb_control_mutex);
	lazytlb_loaded = false;
	mutex_unlock(&lazytlb_control_mutex);
	lazytlb_debugfs_exit();
	lazytlb_hooks_unregister();
	lazytlb_table_free();
}

module_init(lazytlb_init);
module_exit(lazytlb_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Count lazy-TLB mm references per mm, per CPU and in total");
MODULE_AUTHOR("lazytlb developers");
MODULE_VERSION("0.1.0");
