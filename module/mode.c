// SPDX-License-Identifier: GPL-2.0
/*
 * lazytlb: which lazy-TLB mode the running kernel uses, found by watching
 * what it does rather than by its version or a config file.
 *
 * A kernel thread adopts an mm with kthread_use_mm() and lets it go with
 * kthread_unuse_mm(), after which it keeps the mm as its lazy active_mm.
 * Across kthread_unuse_mm(), mm_count changes by:
 *
 *    0  refcount, 6.3+: mmgrab_lazy_tlb() +1, then mmdrop() of the use -1
 *    0  refcount, 6.1:  the use's reference simply becomes the lazy one
 *   -1  shootdown:      mmgrab_lazy_tlb() does nothing, mmdrop() -1
 *   -1  hazptr:         the same
 *
 * Without refcounting, the teardown tells the two apart: a hazptr kernel
 * frees an mm through lazy_tlb_hazptr_shootdown(), which reads every CPU's
 * hazard pointer, and the hooks found it (summary: teardown_scans counts
 * it running; mode_votes' shootdown means "no refcount").
 *
 * The mm is the loading process's own; other CPUs may take or drop lazy
 * references on it meanwhile, so the test runs several times and needs a
 * clear majority.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mm_types.h>
#include <linux/sched/mm.h>
#include "lazytlb.h"

#define LAZYTLB_MODE_TRIALS	7
#define LAZYTLB_MODE_MAJORITY	5

enum lazytlb_mode lazytlb_mode = LAZYTLB_MODE_UNKNOWN;
int lazytlb_mode_votes[LAZYTLB_MODE_SHOOTDOWN + 1];

struct lazytlb_mode_probe {
	struct mm_struct *mm;
	struct completion done;
	int votes[LAZYTLB_MODE_SHOOTDOWN + 1];
};

static int lazytlb_mode_thread(void *arg)
{
	struct lazytlb_mode_probe *p = arg;
	int i;

	for (i = 0; i < LAZYTLB_MODE_TRIALS; i++) {
		int before, delta;

		kthread_use_mm(p->mm);
		before = atomic_read(&p->mm->mm_count);
		kthread_unuse_mm(p->mm);
		delta = atomic_read(&p->mm->mm_count) - before;
		if (delta == 0)
			p->votes[LAZYTLB_MODE_REFCOUNT]++;
		else if (delta == -1)
			p->votes[LAZYTLB_MODE_SHOOTDOWN]++;
		else
			p->votes[LAZYTLB_MODE_UNKNOWN]++;
	}
	/* Never return into module text that rmmod may have freed. */
	kthread_complete_and_exit(&p->done, 0);
}

void lazytlb_detect_mode(void)
{
	struct lazytlb_mode_probe p = {};
	struct task_struct *t;
	int m;

	if (!current->mm || !mmget_not_zero(current->mm)) {
		pr_warn("loaded without a user mm: lazy-TLB mode unknown\n");
		return;
	}
	p.mm = current->mm;
	init_completion(&p.done);
	t = kthread_run(lazytlb_mode_thread, &p, "lazytlb-mode");
	if (IS_ERR(t)) {
		pr_warn("cannot start a thread to find the lazy-TLB mode: error %ld\n",
			PTR_ERR(t));
		mmput(p.mm);
		return;
	}
	wait_for_completion(&p.done);
	mmput(p.mm);

	for (m = 0; m <= LAZYTLB_MODE_SHOOTDOWN; m++) {
		lazytlb_mode_votes[m] = p.votes[m];
		if (m != LAZYTLB_MODE_UNKNOWN && p.votes[m] >= LAZYTLB_MODE_MAJORITY)
			lazytlb_mode = m;
	}
	/* The hazard pointer teardown exists only on hazptr kernels. */
	if (lazytlb_scan_attached) {
		if (lazytlb_mode == LAZYTLB_MODE_REFCOUNT)
			pr_warn("mm_count says refcount, yet the kernel has lazy_tlb_hazptr_shootdown(): taking hazptr\n");
		lazytlb_mode = LAZYTLB_MODE_HAZPTR;
	}
}

const char *lazytlb_mode_name(void)
{
	switch (lazytlb_mode) {
	case LAZYTLB_MODE_REFCOUNT:
		return "refcount";
	case LAZYTLB_MODE_SHOOTDOWN:
		return "shootdown";
	case LAZYTLB_MODE_HAZPTR:
		return "hazptr";
	default:
		return "unknown";
	}
}
