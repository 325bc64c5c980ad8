// SPDX-License-Identifier: GPL-2.0
/*
 * lazytlb: attach to the kernel.
 *
 * context_switch(), mmgrab() and mmdrop() are inlined everywhere, so the
 * lazy references are mirrored from the sched_switch tracepoint (see
 * account.c). Kprobes on out-of-line functions keep the mm table in step
 * with the lives of mms:
 *
 *   wake_up_new_task()	a forked task's new mm enters the table
 *   begin_new_exec()	an exec's new mm enters the table
 *   __mmdrop()		(kprobe) readers stop reading the mm; (kretprobe)
 *			the freed mm leaves the table, into the retired
 *			ring, when __mmdrop() returns
 *   kthread_use_mm(), kthread_unuse_mm()	(kretprobes) a kernel
 *			thread ends or begins a lazy reference
 *   CPU hotplug	(a cpuhp state after finish_cpu()) a dead CPU's
 *			lazy reference ends
 *   do_shoot_lazy_tlb()	shootdown kernels only: the IPIs that move
 *			CPUs off a dying mm, counted per mm
 *   leave_mm(), flush_tlb_func()	(kretprobes) shootdown kernels only:
 *			x86 leaving a lazy mm for init_mm by itself, which
 *			the companion patch makes move active_mm along
 *
 * None of them is on the context-switch path.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/binfmts.h>
#include <linux/cpuhotplug.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/mm_types.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include "lazytlb.h"
#include "lazytlb_compat.h"

/*
 * Instances of the __mmdrop() kretprobe: a preempted __mmdrop() keeps its
 * own, so be generous. Tests build with 1 (KCFLAGS=-D...) to make misses.
 */
#ifndef LAZYTLB_MMDROP_MAXACTIVE
#define LAZYTLB_MMDROP_MAXACTIVE	max_t(int, 64, 8 * num_possible_cpus())
#endif

static struct tracepoint *lazytlb_tp_sched_switch;

static void lazytlb_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_switch"))
		lazytlb_tp_sched_switch = tp;
}

static int lazytlb_new_task(struct kprobe *kp, struct pt_regs *regs)
{
	struct task_struct *p;
	u32 i;

	p = (struct task_struct *)regs_get_kernel_argument(regs, 0);
	if (!p->mm)
		return 0;
	/*
	 * Threads share an mm that is already there: a lock-free check. A
	 * dying row with this address belongs to a freed mm whose
	 * __mmdrop() has not returned yet: lazytlb_insert() replaces it.
	 */
	i = lazytlb_lookup(p->mm);
	if (i == LAZYTLB_NO_SLOT || READ_ONCE(lazytlb_slots[i].dying))
		lazytlb_insert(p->mm, p, NULL, p->mm != current->mm);
	return 0;
}

static int lazytlb_new_exec(struct kprobe *kp, struct pt_regs *regs)
{
	struct linux_binprm *bprm;

	bprm = (struct linux_binprm *)regs_get_kernel_argument(regs, 0);
	/* begin_new_exec() names the task after the file; so do we. */
	if (bprm->mm)
		lazytlb_insert(bprm->mm, current, kbasename(bprm->filename),
			       true);
	return 0;
}

/*
 * __mmdrop() begins: a plain kprobe, which no shortage of kretprobe
 * instances can skip, tells the readers to keep away from the mm.
 */
static int lazytlb_mmdrop_begins(struct kprobe *kp, struct pt_regs *regs)
{
	lazytlb_dying((struct mm_struct *)regs_get_kernel_argument(regs, 0));
	return 0;
}

static struct kprobe lazytlb_dying_probe = {
	.symbol_name = "__mmdrop",
	.pre_handler = lazytlb_mmdrop_begins,
};

/* __mmdrop() in flight: the row is retired when it returns. */
struct lazytlb_mmdrop_call {
	u64 start_ns;
	u32 slot;
	u32 gen;
};

static int lazytlb_mmdrop_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	struct lazytlb_mmdrop_call *call = (void *)ri->data;
	struct mm_struct *mm;

	mm = (struct mm_struct *)regs_get_kernel_argument(regs, 0);
	call->slot = lazytlb_lookup(mm);
	if (call->slot == LAZYTLB_NO_SLOT)
		return 1;	/* no row: nothing to do on return */
	/* The mm is not freed yet: its slot cannot be reused meanwhile. */
	call->gen = READ_ONCE(lazytlb_slots[call->slot].gen);
	call->start_ns = ktime_get_ns();
	return 0;
}

static int lazytlb_mmdrop_return(struct kretprobe_instance *ri,
				 struct pt_regs *regs)
{
	struct lazytlb_mmdrop_call *call = (void *)ri->data;

	lazytlb_retire(call->slot, call->gen, ktime_get_ns() - call->start_ns);
	return 0;
}

static struct kretprobe lazytlb_mmdrop_probe = {
	.kp.symbol_name = "__mmdrop",
	.entry_handler = lazytlb_mmdrop_entry,
	.handler = lazytlb_mmdrop_return,
	.data_size = sizeof(struct lazytlb_mmdrop_call),
};

/*
 * kthread_use_mm(mm) and kthread_unuse_mm(mm): accounted on return, when
 * the lazy reference has changed hands (either may be preempted before
 * that; then the switch-out has reconciled it already).
 */
static int lazytlb_kthread_entry(struct kretprobe_instance *ri,
				 struct pt_regs *regs)
{
	*(struct mm_struct **)ri->data =
		(struct mm_struct *)regs_get_kernel_argument(regs, 0);
	return 0;
}

static int lazytlb_kthread_return(struct kretprobe_instance *ri,
				  struct pt_regs *regs)
{
	lazytlb_kthread_mm(*(struct mm_struct **)ri->data);
	return 0;
}

static struct kretprobe lazytlb_kthread_probes[] = {
	{ .kp.symbol_name = "kthread_use_mm" },
	{ .kp.symbol_name = "kthread_unuse_mm" },
};

/* Only shootdown kernels have it; optional. */
static int lazytlb_shoot_hook(struct kprobe *kp, struct pt_regs *regs)
{
	lazytlb_shoot((struct mm_struct *)regs_get_kernel_argument(regs, 0));
	return 0;
}

static struct kprobe lazytlb_shoot_probe = {
	.symbol_name = "do_shoot_lazy_tlb",
	.pre_handler = lazytlb_shoot_hook,
};

static bool lazytlb_shoot_attached;

/* Only hazptr kernels have it: the teardown that reads hazard pointers. */
static int lazytlb_scan_hook(struct kprobe *kp, struct pt_regs *regs)
{
	lazytlb_scan((struct mm_struct *)regs_get_kernel_argument(regs, 0));
	return 0;
}

static struct kprobe lazytlb_scan_probe = {
	.symbol_name = "lazy_tlb_hazptr_shootdown",
	.pre_handler = lazytlb_scan_hook,
};

bool lazytlb_scan_attached;

/*
 * x86 leaves a lazy mm for init_mm in these (shootdown kernels only: with
 * refcounting active_mm stays, and so does the reference). Entry and
 * return run on one CPU with IRQs off.
 */
static int lazytlb_leave_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	if (current->mm)
		return 1;	/* not lazy */
	*(struct mm_struct **)ri->data = current->active_mm;
	return 0;
}

static int lazytlb_leave_return(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	struct mm_struct *mm = *(struct mm_struct **)ri->data;

	if (current->active_mm != mm)
		lazytlb_left(mm);
	return 0;
}

static struct kretprobe lazytlb_leave_probes[] = {
	{ .kp.symbol_name = "leave_mm" },
	{ .kp.symbol_name = "flush_tlb_func" },
};

/* A set of kretprobes that pass one pointer from entry to return. */
struct lazytlb_kretprobes {
	struct kretprobe *rps;
	int n;
	int registered;
	kretprobe_handler_t entry;
	kretprobe_handler_t handler;
	const char *why;	/* for the load error */
};

static struct lazytlb_kretprobes lazytlb_leave_set = {
	.rps = lazytlb_leave_probes,
	.n = ARRAY_SIZE(lazytlb_leave_probes),
	.entry = lazytlb_leave_entry,
	.handler = lazytlb_leave_return,
	.why = "shootdown kernel: ",
};

static struct lazytlb_kretprobes lazytlb_kthread_set = {
	.rps = lazytlb_kthread_probes,
	.n = ARRAY_SIZE(lazytlb_kthread_probes),
	.entry = lazytlb_kthread_entry,
	.handler = lazytlb_kthread_return,
	.why = "",
};

static void lazytlb_unregister_set(struct lazytlb_kretprobes *set)
{
	while (set->registered > 0)
		unregister_kretprobe(&set->rps[--set->registered]);
}

static int lazytlb_register_set(struct lazytlb_kretprobes *set)
{
	int ret;

	for (; set->registered < set->n; set->registered++) {
		struct kretprobe *rp = &set->rps[set->registered];
		const char *name = rp->kp.symbol_name;

		/* A kretprobe must be clean before (re)registration. */
		memset(rp, 0, sizeof(*rp));
		rp->kp.symbol_name = name;
		rp->entry_handler = set->entry;
		rp->handler = set->handler;
		rp->data_size = sizeof(void *);
		rp->maxactive = 2 * num_possible_cpus();
		ret = register_kretprobe(rp);
		if (ret) {
			pr_err("%scannot kretprobe %s: error %d%s\n", set->why,
			       name, ret, ret == -ENOENT ? " (no such symbol)" : "");
			lazytlb_unregister_set(set);
			return ret;
		}
	}
	return 0;
}

static unsigned long lazytlb_set_missed(struct seq_file *m,
					struct lazytlb_kretprobes *set)
{
	unsigned long missed = 0;
	int i;

	for (i = 0; i < set->registered; i++) {
		struct kretprobe *rp = &set->rps[i];

		seq_printf(m, ",kretprobe:%s", rp->kp.symbol_name);
		missed += rp->kp.nmissed + rp->nmissed;
	}
	return missed;
}

/* After finish_cpu() (CPUHP_BRINGUP_CPU), which a teardown goes below. */
static int lazytlb_cpuhp_state = -1;

static int lazytlb_cpu_down(unsigned int cpu)
{
	lazytlb_cpu_dead(cpu);
	return 0;
}

static struct kprobe lazytlb_kprobes[] = {
	{ .symbol_name = "wake_up_new_task", .pre_handler = lazytlb_new_task },
	{ .symbol_name = "begin_new_exec", .pre_handler = lazytlb_new_exec },
};

static int lazytlb_register_kprobe(struct kprobe *kp)
{
	int ret;

	/* A kprobe struct must be clean before (re)registration. */
	kp->addr = NULL;
	kp->flags = 0;
	ret = register_kprobe(kp);
	if (ret)
		pr_err("cannot kprobe %s: error %d%s\n", kp->symbol_name, ret,
		       ret == -ENOENT ? " (no such symbol)" : "");
	return ret;
}

/* A probe only some kernels have: a missing symbol is not an error. */
static int lazytlb_register_optional(struct kprobe *kp, bool *attached)
{
	int ret;

	kp->addr = NULL;
	kp->flags = 0;
	ret = register_kprobe(kp);
	*attached = !ret;
	if (ret == -ENOENT)
		return 0;
	if (ret)
		pr_err("cannot kprobe %s: error %d\n", kp->symbol_name, ret);
	return ret;
}

int lazytlb_hooks_register(void)
{
	int i, ret;

	for_each_kernel_tracepoint(lazytlb_find_tracepoint, NULL);
	if (!lazytlb_tp_sched_switch) {
		pr_err("this kernel has no sched_switch tracepoint\n");
		return -ENOENT;
	}

	/* Readers must keep off a dying mm before any row can exist. */
	ret = lazytlb_register_kprobe(&lazytlb_dying_probe);
	if (ret)
		return ret;
	/* Table hooks next, so no mm the switch hook sees is unknown. */
	for (i = 0; i < ARRAY_SIZE(lazytlb_kprobes); i++) {
		ret = lazytlb_register_kprobe(&lazytlb_kprobes[i]);
		if (ret)
			goto unregister;
	}

	/* A shootdown runs inside __mmdrop(): attach to it first. */
	ret = lazytlb_register_optional(&lazytlb_shoot_probe,
					&lazytlb_shoot_attached);
	if (ret)
		goto unregister;
	if (lazytlb_shoot_attached) {
		ret = lazytlb_register_set(&lazytlb_leave_set);
		if (ret)
			goto unregister_shoot;
	}
	/* Hazptr kernels only; tried on its own, whatever do_shoot did. */
	ret = lazytlb_register_optional(&lazytlb_scan_probe,
					&lazytlb_scan_attached);
	if (ret)
		goto unregister_shoot;

	memset(&lazytlb_mmdrop_probe.kp, 0, sizeof(lazytlb_mmdrop_probe.kp));
	lazytlb_mmdrop_probe.kp.symbol_name = "__mmdrop";
	lazytlb_mmdrop_probe.maxactive = LAZYTLB_MMDROP_MAXACTIVE;
	ret = register_kretprobe(&lazytlb_mmdrop_probe);
	if (ret) {
		pr_err("cannot kretprobe __mmdrop: error %d%s\n", ret,
		       ret == -ENOENT ? " (no such symbol)" : "");
		goto unregister_shoot;
	}

	ret = lazytlb_register_set(&lazytlb_kthread_set);
	if (ret)
		goto unregister_mmdrop;

	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "lazytlb:dead",
					NULL, lazytlb_cpu_down);
	if (ret < 0) {
		pr_err("cannot add a CPU hotplug state: error %d\n", ret);
		goto unregister_kthread;
	}
	lazytlb_cpuhp_state = ret;

	ret = tracepoint_probe_register(lazytlb_tp_sched_switch,
					lazytlb_sched_switch, NULL);
	if (ret) {
		pr_err("cannot attach to tracepoint sched_switch: error %d\n",
		       ret);
		goto remove_cpuhp;
	}
	return 0;

remove_cpuhp:
	cpuhp_remove_state_nocalls(lazytlb_cpuhp_state);
unregister_kthread:
	lazytlb_unregister_set(&lazytlb_kthread_set);
unregister_mmdrop:
	unregister_kretprobe(&lazytlb_mmdrop_probe);
unregister_shoot:
	if (lazytlb_scan_attached)
		unregister_kprobe(&lazytlb_scan_probe);
	lazytlb_scan_attached = false;
	lazytlb_unregister_set(&lazytlb_leave_set);
	if (lazytlb_shoot_attached)
		unregister_kprobe(&lazytlb_shoot_probe);
	lazytlb_shoot_attached = false;
unregister:
	while (--i >= 0)
		unregister_kprobe(&lazytlb_kprobes[i]);
	unregister_kprobe(&lazytlb_dying_probe);
	return ret;
}

void lazytlb_hooks_unregister(void)
{
	int i;

	tracepoint_probe_unregister(lazytlb_tp_sched_switch,
				    lazytlb_sched_switch, NULL);
	/* No probe may still run once the module text goes away. */
	tracepoint_synchronize_unregister();
	cpuhp_remove_state_nocalls(lazytlb_cpuhp_state);
	lazytlb_unregister_set(&lazytlb_kthread_set);
	unregister_kretprobe(&lazytlb_mmdrop_probe);
	if (lazytlb_scan_attached)
		unregister_kprobe(&lazytlb_scan_probe);
	lazytlb_scan_attached = false;
	lazytlb_unregister_set(&lazytlb_leave_set);
	if (lazytlb_shoot_attached)
		unregister_kprobe(&lazytlb_shoot_probe);
	lazytlb_shoot_attached = false;
	for (i = ARRAY_SIZE(lazytlb_kprobes) - 1; i >= 0; i--)
		unregister_kprobe(&lazytlb_kprobes[i]);
	unregister_kprobe(&lazytlb_dying_probe);
}

/* The hooks line, and the events their probes missed. */
unsigned long lazytlb_hooks_show(struct seq_file *m)
{
	unsigned long missed = lazytlb_dying_probe.nmissed;
	int i;

	seq_puts(m, "hooks tracepoint:sched_switch");
	for (i = 0; i < ARRAY_SIZE(lazytlb_kprobes); i++) {
		seq_printf(m, ",kprobe:%s", lazytlb_kprobes[i].symbol_name);
		missed += lazytlb_kprobes[i].nmissed;
	}
	seq_puts(m, ",kretprobe:__mmdrop");
	missed += lazytlb_mmdrop_probe.kp.nmissed + lazytlb_mmdrop_probe.nmissed;
	if (lazytlb_shoot_attached) {
		seq_puts(m, ",kprobe:do_shoot_lazy_tlb");
		missed += lazytlb_shoot_probe.nmissed;
	}
	if (lazytlb_scan_attached) {
		seq_puts(m, ",kprobe:lazy_tlb_hazptr_shootdown");
		missed += lazytlb_scan_probe.nmissed;
	}
	missed += lazytlb_set_missed(m, &lazytlb_leave_set);
	missed += lazytlb_set_missed(m, &lazytlb_kthread_set);
	seq_puts(m, ",kprobe:__mmdrop,cpuhp:lazytlb:dead\n");
	return missed;
}

static bool lazytlb_missed_one(struct seq_file *m, const char *kind,
			       const char *name, unsigned long n)
{
	if (n)
		seq_printf(m, " %s:%s=%lu", kind, name, n);
	return n;
}

static bool lazytlb_set_missed_by(struct seq_file *m,
				  struct lazytlb_kretprobes *set)
{
	bool any = false;
	int i;

	for (i = 0; i < set->registered; i++)
		any |= lazytlb_missed_one(m, "kretprobe", set->rps[i].kp.symbol_name,
					  set->rps[i].kp.nmissed + set->rps[i].nmissed);
	return any;
}

/*
 * Which probes missed events, and how many ("-": none): a kprobe that
 * fires while another runs on the same CPU (an IPI during a probe on a
 * function that runs with IRQs on) is skipped, a kretprobe also misses
 * when all its instances are in use.
 */
void lazytlb_missed_show(struct seq_file *m)
{
	bool any;
	int i;

	seq_puts(m, "kprobes_missed_by");
	any = lazytlb_missed_one(m, "kprobe", "__mmdrop",
				 lazytlb_dying_probe.nmissed);
	for (i = 0; i < ARRAY_SIZE(lazytlb_kprobes); i++)
		any |= lazytlb_missed_one(m, "kprobe", lazytlb_kprobes[i].symbol_name,
					  lazytlb_kprobes[i].nmissed);
	any |= lazytlb_missed_one(m, "kretprobe", "__mmdrop",
				  lazytlb_mmdrop_probe.kp.nmissed +
				  lazytlb_mmdrop_probe.nmissed);
	if (lazytlb_shoot_attached)
		any |= lazytlb_missed_one(m, "kprobe", "do_shoot_lazy_tlb",
					  lazytlb_shoot_probe.nmissed);
	if (lazytlb_scan_attached)
		any |= lazytlb_missed_one(m, "kprobe", "lazy_tlb_hazptr_shootdown",
					  lazytlb_scan_probe.nmissed);
	any |= lazytlb_set_missed_by(m, &lazytlb_leave_set);
	any |= lazytlb_set_missed_by(m, &lazytlb_kthread_set);
	seq_puts(m, any ? "\n" : " -\n");
}
