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
 * References begun or ended elsewhere (exit_mm(), exec_mmap(), and
 * kthread_use_mm()/kthread_unuse_mm() if their own hooks were missed)
 * happen while the task runs, so they are reconciled here when it
 * switches out: a task without an mm whose active_mm is not what this CPU
 * holds took a reference we did not see; a task with an mm on a CPU that
 * still holds one dropped it. The task's flags tell which site it was.
 *
 * The mirror of a CPU is written only there (or, once the CPU is dead, by
 * the hotplug callback), with IRQs off; other CPUs read it with
 * READ_ONCE() and accept a stale view. The per-CPU counters likewise.
 *
 * No locks, no allocation, bounded work: at most one table lookup per
 * grab, none for an mm without a row until a row is claimed somewhere.
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
	case LAZYTLB_KTHREAD:		/* the calls are counted, in lazytlb_kthread_mm() */
	case LAZYTLB_SHOOTDOWN:		/* counted by lazytlb_shoot() */
		break;
	case LAZYTLB_EXIT:
		pc->exits++;
		if (s)
			atomic_inc(&s->exits);
		break;
	case LAZYTLB_EXEC:
		pc->execs++;
		if (s)
			atomic_inc(&s->execs);
		break;
	case LAZYTLB_UNEXPLAINED:
		pc->unexplained++;
		break;
	case LAZYTLB_LEFT:
		pc->left++;
		if (s)
			atomic_inc(&s->left);
		break;
	case LAZYTLB_HOTPLUG:
		pc->hotplug++;
		break;
	}
}

/* The shared part: held, max_held and the cache-line transfer estimate. */
static __always_inline void __lazytlb_touch(struct lazytlb_cpu *pc,
					    struct lazytlb_slot *s,
					    struct lazytlb_counts *c, int cpu,
					    int delta)
{
	int last, held, max;

	held = atomic_add_return(delta, &s->held);
	if (delta > 0) {	/* a drop cannot raise it */
		max = atomic_read(&s->max_held);
		while (held > max &&
		       !atomic_try_cmpxchg(&s->max_held, &max, held))
			;
	}
	last = READ_ONCE(s->last_cpu);
	if (last != cpu) {
		if (last >= 0) {
			c->xfers++;
			pc->xfers++;
		}
		WRITE_ONCE(s->last_cpu, cpu);
	}
}

static void lazytlb_touch(struct lazytlb_cpu *pc, struct lazytlb_slot *s,
			  struct lazytlb_counts *c, int cpu, int delta)
{
	if (lazytlb_shared_stats)
		__lazytlb_touch(pc, s, c, cpu, delta);
}

/* Find @mm's row for this CPU's mirror, unless it is known to have none. */
static void lazytlb_track(struct lazytlb_cpu *pc, int cpu,
			  struct mm_struct *mm)
{
	struct lazytlb_cpu_state *st = &pc->lazy;
	u32 seq, i, gen;

	if (mm == st->last) {
		if (st->slot && lazytlb_state_tracked(st))
			return;
		/* No row claimed since the last miss: still none. */
		if (!st->slot && st->miss_seq == lazytlb_insert_seq())
			return;
	}
	seq = lazytlb_insert_seq();
	i = lazytlb_lookup(mm);
	st->fast_mm = NULL;		/* @counts changes: no fast path */
	WRITE_ONCE(st->last, mm);
	if (i == LAZYTLB_NO_SLOT) {
		WRITE_ONCE(st->slot, NULL);
		st->miss_seq = seq;
		return;
	}
	gen = READ_ONCE(lazytlb_slots[i].gen);
	st->counts = lazytlb_cpu_counts(cpu, i, gen);
	if (unlikely(!st->counts)) {
		/* No cache row free this instant: untracked, look again. */
		WRITE_ONCE(st->slot, NULL);
		WRITE_ONCE(st->last, NULL);
		return;
	}
	WRITE_ONCE(st->gen, gen);
	WRITE_ONCE(st->slot, &lazytlb_slots[i]);
}

/* This CPU's current task starts holding a lazy reference on @mm. */
static void lazytlb_begin(struct lazytlb_cpu *pc, int cpu,
			  struct mm_struct *mm, enum lazytlb_cause cause)
{
	struct lazytlb_cpu_state *st = &pc->lazy;

	lazytlb_track(pc, cpu, mm);
	WRITE_ONCE(st->mm, mm);
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
	WRITE_ONCE(st->mm, NULL);
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
		return LAZYTLB_HOTPLUG;		/* cpu_init() of a new CPU */
	if (t->flags & PF_KTHREAD)
		return LAZYTLB_KTHREAD;		/* kthread_unuse_mm() */
	if (t->flags & PF_EXITING)
		return LAZYTLB_EXIT;		/* exit_mm() */
	return LAZYTLB_UNEXPLAINED;
}

/*
 * Is this CPU's mirror current? A CPU not seen since load, enable or
 * reset adopts what its task holds, without counting it.
 */
static inline bool lazytlb_adopted(struct lazytlb_cpu_state *st,
				   struct task_struct *t)
{
	u32 epoch = READ_ONCE(lazytlb_epoch);

	if (likely(st->epoch == epoch))
		return true;
	WRITE_ONCE(st->mm, t->mm ? NULL : t->active_mm);
	st->fast_mm = NULL;
	WRITE_ONCE(st->last, NULL);
	WRITE_ONCE(st->slot, NULL);
	WRITE_ONCE(st->epoch, epoch);
	return false;
}

/*
 * Bring this CPU's mirror in line with @t, the task running here: account
 * the references @t began or ended since the mirror last saw it.
 */
static inline void lazytlb_reconcile(struct lazytlb_cpu *pc, int cpu,
				     struct task_struct *t)
{
	struct lazytlb_cpu_state *st = &pc->lazy;
	struct mm_struct *mm;

	if (t->mm) {
		/* A task with an mm runs: this CPU holds no lazy reference. */
		if (unlikely(st->mm == LAZYTLB_ON_INIT_MM))
			WRITE_ONCE(st->mm, NULL);
		if (unlikely(st->mm))
			lazytlb_end(pc, cpu, (t->flags & PF_KTHREAD) ?
				    LAZYTLB_KTHREAD : LAZYTLB_EXEC);
		return;
	}
	mm = t->active_mm;
	if (unlikely(st->mm == LAZYTLB_ON_INIT_MM))
		WRITE_ONCE(st->mm, mm);	/* init_mm */
	if (unlikely(st->mm != mm)) {
		enum lazytlb_cause cause = lazytlb_unseen_begin(t);

		if (st->mm)
			lazytlb_end(pc, cpu, cause == LAZYTLB_KTHREAD ?
				    LAZYTLB_KTHREAD : LAZYTLB_UNEXPLAINED);
		lazytlb_begin(pc, cpu, mm, cause);
	}
}

/*
 * Everything the fast path below does not take: a CPU seen for the first
 * time since load, enable or reset, a mirror that disagrees with the task
 * switching out, an mm whose row this CPU has not looked up (or that has
 * none), the first switch after a control change or after a retire took
 * this CPU's cache row. Leaves the licence for the next switch's fast
 * path.
 */
static noinline notrace void
lazytlb_switch_slow(void *data, bool preempt, struct task_struct *prev,
		    struct task_struct *next)
{
	struct lazytlb_cpu *pc = this_cpu_ptr(&lazytlb_cpu);
	struct lazytlb_cpu_state *st = &pc->lazy;
	int cpu;

	if (!lazytlb_on())
		return;
	cpu = smp_processor_id();
	pc->switches++;
	if (lazytlb_adopted(st, prev))
		lazytlb_reconcile(pc, cpu, prev);

	if (prev->mm) {
		if (!next->mm)
			lazytlb_begin(pc, cpu, prev->active_mm, LAZYTLB_SWITCH);
	} else if (next->mm) {
		lazytlb_end(pc, cpu, LAZYTLB_SWITCH);
	} else {
		lazytlb_handover(pc);
	}
	st->fast_mm = st->last && lazytlb_state_tracked(st) ? st->last : NULL;
}

/*
 * Take every CPU's fast path away until its next slow switch, once the
 * hooks are quiesced and enabled is off: a disabled slow path grants none.
 */
void lazytlb_fast_clear(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		WRITE_ONCE(per_cpu(lazytlb_cpu, cpu).lazy.fast_mm, NULL);
}

/* The shared stats of a fast grab, and of a fast drop. */
static noinline notrace void lazytlb_fast_grab_touch(void)
{
	struct lazytlb_cpu *pc = this_cpu_ptr(&lazytlb_cpu);

	__lazytlb_touch(pc, pc->lazy.slot, pc->lazy.counts, smp_processor_id(), 1);
}

static noinline notrace void lazytlb_fast_drop_touch(void)
{
	struct lazytlb_cpu *pc = this_cpu_ptr(&lazytlb_cpu);

	__lazytlb_touch(pc, pc->lazy.slot, pc->lazy.counts, smp_processor_id(), -1);
}

/*
 * The cache row of the fast path's counters still names its slot: the
 * retire of the mm, which claims it, has not run (a new mm at a freed
 * one's address retires the old row before it can run anywhere).
 */
static __always_inline bool lazytlb_fast_row(void)
{
	struct lazytlb_counts *c = __this_cpu_read(lazytlb_cpu.lazy.counts);

	return READ_ONCE(container_of(c, struct lazytlb_cpu_row, c)->slot) ==
	       __this_cpu_read(lazytlb_cpu.lazy.slot);
}

/*
 * The fast path does exactly what the slow one would in the cases it
 * takes, with one compare for "enabled, same epoch, and @last's row was
 * live with @counts its counters when this CPU last checked" (@fast_mm,
 * which the controls clear) and one for "no retire claimed them since"
 * (lazytlb_fast_row()): the mirror agrees with
 * @prev (a user task on a CPU that holds nothing; a kernel task whose
 * active_mm is the one held) and the mm is @fast_mm. Then a grab, a drop
 * or a handover is three per-CPU writes. A task with an mm has active_mm
 * == mm (kthread_use_mm() and exec set both with IRQs off), so a grab
 * needs no load of active_mm.
 */
notrace void lazytlb_sched_switch(void *data, bool preempt,
				  struct task_struct *prev,
				  struct task_struct *next,
				  unsigned int prev_state)
{
	struct mm_struct *mm = prev->mm;

	/* %gs-relative per-CPU accesses: no pointer to compute first. */
	if (mm) {
		if (unlikely(__this_cpu_read(lazytlb_cpu.lazy.mm)))
			goto slow;		/* reconcile ends it */
		if (next->mm) {
			__this_cpu_inc(lazytlb_cpu.switches);	/* user -> user */
			return;
		}
		if (unlikely(mm != __this_cpu_read(lazytlb_cpu.lazy.fast_mm) ||
			     !lazytlb_fast_row()))
			goto slow;
		__this_cpu_write(lazytlb_cpu.lazy.mm, mm);	/* grab */
		__this_cpu_inc(lazytlb_cpu.switches);
		__this_cpu_inc(lazytlb_cpu.grabs);
		__this_cpu_read(lazytlb_cpu.lazy.counts)->grabs++;
		if (static_branch_unlikely(&lazytlb_shared_key))
			lazytlb_fast_grab_touch();
		return;
	}
	mm = prev->active_mm;
	if (unlikely(mm != __this_cpu_read(lazytlb_cpu.lazy.mm) ||
		     mm != __this_cpu_read(lazytlb_cpu.lazy.fast_mm) ||
		     !lazytlb_fast_row()))
		goto slow;
	__this_cpu_inc(lazytlb_cpu.switches);
	if (next->mm) {
		__this_cpu_write(lazytlb_cpu.lazy.mm, NULL);	/* drop */
		__this_cpu_inc(lazytlb_cpu.drops);
		__this_cpu_read(lazytlb_cpu.lazy.counts)->drops++;
		if (static_branch_unlikely(&lazytlb_shared_key))
			lazytlb_fast_drop_touch();
	} else {
		__this_cpu_inc(lazytlb_cpu.handovers);		/* handover */
		__this_cpu_read(lazytlb_cpu.lazy.counts)->handovers++;
	}
	return;
slow:
	lazytlb_switch_slow(data, preempt, prev, next);
}

/*
 * kthread_use_mm(@mm) or kthread_unuse_mm(@mm) returned in the current
 * task: the first ended the task's lazy reference (and took a real one
 * on @mm), the second began a lazy reference on @mm. Each call counts in
 * @mm's kthread column. Back-to-back calls on one mm leave nothing for
 * the switch-out to see, hence a hook of their own.
 */
void lazytlb_kthread_mm(struct mm_struct *mm)
{
	struct lazytlb_cpu *pc;
	unsigned long flags;
	u32 i;

	if (!lazytlb_on())
		return;
	/* The shootdown and leave hooks touch the mirror from IRQs. */
	local_irq_save(flags);
	pc = this_cpu_ptr(&lazytlb_cpu);
	if (lazytlb_adopted(&pc->lazy, current))
		lazytlb_reconcile(pc, smp_processor_id(), current);
	pc->kthread++;
	i = lazytlb_lookup(mm);
	if (i != LAZYTLB_NO_SLOT)
		atomic_inc(&lazytlb_slots[i].kthread);
	local_irq_restore(flags);
}

/*
 * lazy_tlb_hazptr_shootdown(@mm) starts (hazptr kernels): __mmdrop() reads
 * every CPU's hazard pointer, once a teardown.
 */
void lazytlb_scan(struct mm_struct *mm)
{
	u32 i;

	if (!lazytlb_on())
		return;
	this_cpu_inc(lazytlb_cpu.scans);
	i = lazytlb_lookup(mm);
	if (i != LAZYTLB_NO_SLOT)
		atomic_inc(&lazytlb_slots[i].scans);
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

	if (!lazytlb_on())
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
		WRITE_ONCE(pc->lazy.mm, LAZYTLB_ON_INIT_MM);
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

	if (!lazytlb_on() || pc->lazy.mm != mm ||
	    pc->lazy.epoch != READ_ONCE(lazytlb_epoch))
		return;
	lazytlb_end(pc, smp_processor_id(), LAZYTLB_LEFT);
	WRITE_ONCE(pc->lazy.mm, LAZYTLB_ON_INIT_MM);
}

/*
 * @cpu is dead and finish_cpu() has dropped its idle task's lazy
 * reference (kernel/cpu.c): end the mirrored one. Runs on the CPU that
 * took @cpu down, which is the only writer of the dead CPU's state now.
 */
void lazytlb_cpu_dead(unsigned int cpu)
{
	struct lazytlb_cpu *pc = per_cpu_ptr(&lazytlb_cpu, cpu);
	struct mm_struct *mm;

	/* Like the other hooks, so that enable and reset can quiesce it. */
	preempt_disable();
	mm = pc->lazy.mm;
	if (lazytlb_on() && pc->lazy.epoch == READ_ONCE(lazytlb_epoch) && mm) {
		if (mm == LAZYTLB_ON_INIT_MM)	/* init_mm, adopted uncounted */
			WRITE_ONCE(pc->lazy.mm, NULL);
		else
			lazytlb_end(pc, cpu, LAZYTLB_HOTPLUG);
	}
	preempt_enable();
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
