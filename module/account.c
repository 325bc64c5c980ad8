// SPDX-License-Identifier: GPL-2.0
/*
 * lazytlb: the per-CPU mirror of lazy-TLB references, fed by sched_switch.
 *
 * The probe runs in __schedule() with the runqueue lock held and IRQs off,
 * just before context_switch() (6.1 and 6.12 alike), so it classifies the
 * switch exactly as context_switch() will:
 *
 *   prev user,   next kernel: grab of prev->active_mm (mmgrab_lazy_tlb)
 *   prev kernel, next kernel: handover, no atomic
 *   prev kernel, next user:   drop, done by finish_task_switch()
 *   prev user,   next user:   nothing lazy
 *
 * ("user" means task->mm != NULL, as in context_switch().)
 *
 * References begun or ended elsewhere (exit_mm(), kthread_use_mm(),
 * kthread_unuse_mm(), exec_mmap()) happen while the task runs, so they
 * are reconciled here when it switches out: a task without an mm whose
 * active_mm is not what this CPU holds took a reference we did not see;
 * a task with an mm on a CPU that still holds one dropped it. The task's
 * flags tell which site it was.
 *
 * No locks, no allocation, bounded work: one table lookup per grab.
 */
#include <linux/atomic.h>
#include <linux/mm_types.h>
#include <linux/preempt.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/string.h>
#include "lazytlb.h"

static void lazytlb_count_cause(struct lazytlb_cpu *pc, struct lazytlb_slot *s,
				enum lazytlb_cause cause)
{
	switch (cause) {
	case LAZYTLB_SWITCH:
		break;
	case LAZYTLB_EXIT:
		pc->exits++;
		if (s)
			atomic_inc(&s->exits);
		break;
	case LAZYTLB_KTHREAD:
		pc->kthread++;
		if (s)
			atomic_inc(&s->kthread);
		break;
	case LAZYTLB_EXEC:
		pc->execs++;
		if (s)
			atomic_inc(&s->execs);
		break;
	case LAZYTLB_UNEXPLAINED:
		pc->unexplained++;
		break;
	case LAZYTLB_SHOOTDOWN:
		break;	/* counted by lazytlb_shoot() */
	case LAZYTLB_LEFT:
		pc->left++;
		if (s)
			atomic_inc(&s->left);
		break;
	}
}

/* The shared part: held, max_held and the cache-line transfer estimate. */
static void lazytlb_touch(struct lazytlb_cpu *pc, struct lazytlb_slot *s,
			  struct lazytlb_counts *c, int cpu, int delta)
{
	int last, held, max;

	if (!lazytlb_shared_stats)
		return;
	held = atomic_add_return(delta, &s->held);
	max = atomic_read(&s->max_held);
	while (held > max && !atomic_try_cmpxchg(&s->max_held, &max, held))
		;
	last = READ_ONCE(s->last_cpu);
	if (last != cpu) {
		if (last >= 0) {
			c->xfers++;
			pc->xfers++;
		}
		WRITE_ONCE(s->last_cpu, cpu);
	}
}

/* This CPU's current task starts holding a lazy reference on @mm. */
static void lazytlb_begin(struct lazytlb_cpu *pc, int cpu,
			  struct mm_struct *mm, enum lazytlb_cause cause)
{
	struct lazytlb_cpu_state *st = &pc->lazy;

	if (mm != st->last || !lazytlb_state_tracked(st)) {
		u32 i = lazytlb_lookup(mm);

		st->last = mm;
		st->slot = NULL;
		if (i != LAZYTLB_NO_SLOT) {
			st->slot = &lazytlb_slots[i];
			st->gen = READ_ONCE(st->slot->gen);
			st->counts = lazytlb_counts_of(cpu, i);
		}
	}
	st->mm = mm;
	pc->grabs++;
	if (st->slot) {
		st->counts->grabs++;
		lazytlb_touch(pc, st->slot, st->counts, cpu, 1);
	} else {
		pc->untracked++;
	}
	lazytlb_count_cause(pc, st->slot, cause);
}

/* The lazy reference this CPU holds ends. */
static void lazytlb_end(struct lazytlb_cpu *pc, int cpu,
			enum lazytlb_cause cause)
{
	struct lazytlb_cpu_state *st = &pc->lazy;
	struct lazytlb_slot *s = NULL;

	pc->drops++;
	if (st->mm == st->last && lazytlb_state_tracked(st)) {
		s = st->slot;
		st->counts->drops++;
		lazytlb_touch(pc, s, st->counts, cpu, -1);
	} else {
		pc->untracked++;
	}
	lazytlb_count_cause(pc, s, cause);
	st->mm = NULL;
}

static void lazytlb_handover(struct lazytlb_cpu *pc)
{
	struct lazytlb_cpu_state *st = &pc->lazy;

	pc->handovers++;
	if (st->mm == st->last && lazytlb_state_tracked(st))
		st->counts->handovers++;
	else
		pc->untracked++;
}

/* Which site gave @t, now without an mm, a reference we did not see. */
static enum lazytlb_cause lazytlb_unseen_begin(struct task_struct *t)
{
	if (t->flags & PF_IDLE)
		return LAZYTLB_UNEXPLAINED;	/* hotplug */
	if (t->flags & PF_KTHREAD)
		return LAZYTLB_KTHREAD;		/* kthread_unuse_mm() */
	if (t->flags & PF_EXITING)
		return LAZYTLB_EXIT;		/* exit_mm() */
	return LAZYTLB_UNEXPLAINED;
}

void lazytlb_sched_switch(void *data, bool preempt, struct task_struct *prev,
			  struct task_struct *next, unsigned int prev_state)
{
	struct lazytlb_cpu *pc;
	struct lazytlb_cpu_state *st;
	struct mm_struct *mm;
	u32 epoch;
	int cpu;

	if (!READ_ONCE(lazytlb_enabled))
		return;
	cpu = smp_processor_id();
	pc = this_cpu_ptr(&lazytlb_cpu);
	st = &pc->lazy;
	pc->switches++;

	epoch = READ_ONCE(lazytlb_epoch);
	if (unlikely(st->epoch != epoch)) {
		/* First switch since load, enable or reset: adopt, don't count. */
		st->epoch = epoch;
		st->mm = prev->mm ? NULL : prev->active_mm;
		st->last = NULL;
		st->slot = NULL;
	}

	if (prev->mm) {
		/* A task with an mm ran: this CPU held no lazy reference. */
		if (unlikely(st->mm == LAZYTLB_ON_INIT_MM))
			st->mm = NULL;
		if (unlikely(st->mm))
			lazytlb_end(pc, cpu, (prev->flags & PF_KTHREAD) ?
				    LAZYTLB_KTHREAD : LAZYTLB_EXEC);
		if (!next->mm)
			lazytlb_begin(pc, cpu, prev->active_mm, LAZYTLB_SWITCH);
		return;
	}

	mm = prev->active_mm;
	if (unlikely(st->mm == LAZYTLB_ON_INIT_MM))
		st->mm = mm;	/* init_mm */
	if (unlikely(st->mm != mm)) {
		enum lazytlb_cause cause = lazytlb_unseen_begin(prev);

		if (st->mm)
			lazytlb_end(pc, cpu, cause == LAZYTLB_KTHREAD ?
				    LAZYTLB_KTHREAD : LAZYTLB_UNEXPLAINED);
		lazytlb_begin(pc, cpu, mm, cause);
	}
	if (next->mm)
		lazytlb_end(pc, cpu, LAZYTLB_SWITCH);
	else
		lazytlb_handover(pc);
}

/*
 * do_shoot_lazy_tlb(@mm) runs on this CPU, IRQs off: by IPI from the CPU
 * freeing @mm, or called there directly. If the current task holds @mm
 * lazily, the kernel moves it to init_mm: that reference ends here, with
 * no atomic, and init_mm (which has no row) takes its place.
 */
void lazytlb_shoot(struct mm_struct *mm)
{
	struct lazytlb_cpu *pc = this_cpu_ptr(&lazytlb_cpu);
	bool held = current->active_mm == mm;
	bool ipi = in_hardirq();
	u32 i;

	if (!READ_ONCE(lazytlb_enabled))
		return;
	pc->shoot_targets++;
	pc->shoot_ipis += ipi;
	pc->shoot_held += held;
	i = lazytlb_lookup(mm);
	if (i != LAZYTLB_NO_SLOT) {
		struct lazytlb_slot *s = &lazytlb_slots[i];

		atomic_inc(&s->targets);
		if (ipi)
			atomic_inc(&s->ipis);
		if (held)
			atomic_inc(&s->shot);
	}
	if (held && pc->lazy.mm == mm &&
	    pc->lazy.epoch == READ_ONCE(lazytlb_epoch)) {
		lazytlb_end(pc, smp_processor_id(), LAZYTLB_SHOOTDOWN);
		/* init_mm is not exported: the switch-out names it. */
		pc->lazy.mm = LAZYTLB_ON_INIT_MM;
	}
}

/*
 * This CPU's current task, which had @mm lazily, now has init_mm: x86 left
 * the lazy mm itself (leave_mm() from idle, flush_tlb_func() when page
 * tables are freed) and, on a shootdown kernel with the companion patch,
 * moved active_mm along. Called with IRQs off.
 */
void lazytlb_left(struct mm_struct *mm)
{
	struct lazytlb_cpu *pc = this_cpu_ptr(&lazytlb_cpu);

	if (!READ_ONCE(lazytlb_enabled) || pc->lazy.mm != mm ||
	    pc->lazy.epoch != READ_ONCE(lazytlb_epoch))
		return;
	lazytlb_end(pc, smp_processor_id(), LAZYTLB_LEFT);
	pc->lazy.mm = LAZYTLB_ON_INIT_MM;
}

/* Zero the per-CPU totals; the caller has quiesced the hooks. */
void lazytlb_reset_cpus(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct lazytlb_cpu *pc = per_cpu_ptr(&lazytlb_cpu, cpu);
		struct lazytlb_cpu_state lazy = pc->lazy;

		memset(pc, 0, sizeof(*pc));
		pc->lazy = lazy;
	}
}
