// SPDX-License-Identifier: GPL-2.0
/*
 * lazytlb_floor: the floor of lazytlb.ko's design, for scripts/bench-overhead.
 *
 * A sched_switch probe attached exactly as module/hooks.c attaches
 * lazytlb's (for_each_kernel_tracepoint(), tracepoint_probe_register()),
 * which only counts switches per CPU. What it costs is what any module
 * built on this hook pays before doing any work of its own. Not part of
 * lazytlb.ko: the benchmark builds it into build/ and throws it away.
 *
 * /sys/module/lazytlb_floor/parameters/switches: the switches counted
 * since load, summed over the CPUs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/tracepoint.h>

static DEFINE_PER_CPU(unsigned long, floor_switches);
static struct tracepoint *floor_tp;

static void floor_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_switch"))
		floor_tp = tp;
}

/* The prototype of lazytlb_sched_switch(); the body is the floor. */
static void floor_sched_switch(void *data, bool preempt,
			       struct task_struct *prev,
			       struct task_struct *next,
			       unsigned int prev_state)
{
	this_cpu_inc(floor_switches);
}

static int floor_switches_get(char *buf, const struct kernel_param *kp)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(floor_switches, cpu));
	return sysfs_emit(buf, "%lu\n", sum);
}

static const struct kernel_param_ops floor_switches_ops = {
	.get = floor_switches_get,
};
module_param_cb(switches, &floor_switches_ops, NULL, 0444);
MODULE_PARM_DESC(switches, "sched_switch events seen since load (read-only)");

static int __init floor_init(void)
{
	int ret;

	for_each_kernel_tracepoint(floor_find_tracepoint, NULL);
	if (!floor_tp) {
		pr_err("this kernel has no sched_switch tracepoint\n");
		return -ENOENT;
	}
	ret = tracepoint_probe_register(floor_tp, floor_sched_switch, NULL);
	if (ret)
		pr_err("cannot attach to tracepoint sched_switch: error %d\n", ret);
	return ret;
}

static void __exit floor_exit(void)
{
	tracepoint_probe_unregister(floor_tp, floor_sched_switch, NULL);
	tracepoint_synchronize_unregister();
}

module_init(floor_init);
module_exit(floor_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lazytlb benchmark floor: a sched_switch probe that only counts");
