// SPDX-License-Identifier: GPL-2.0
/*
 * lazytlb: the table of live mms and the ring of retired ones.
 *
 * The table is an open-addressing hash of preallocated slots. Slots are
 * claimed when an mm is born (fork, exec) or found at load, and retired
 * when the mm is freed (__mmdrop), all under the table lock, which the
 * scheduler hot path never takes: it only looks keys up. A retired slot
 * keeps a tombstone, which later inserts reuse; tombstones never turn
 * back into empty slots, so a lookup may stop at the first empty one.
 *
 * Each CPU counts an mm's grabs, drops and handovers in a small per-CPU
 * cache of rows (struct lazytlb_cpu_row), mapped by slot index, with one
 * spare: memory grows as rows plus CPUs, not rows times CPUs. A CPU that
 * needs a cache row for another mm hands the old one's counts to that
 * mm's slot totals; the retire of an mm claims what the CPUs still hold.
 *
 * Nothing here dereferences an mm found in the table: the row of an mm
 * can outlive it when a probe on __mmdrop() is missed. A reader that
 * wants mm_users and mm_count finds a task that has the mm, under that
 * task's lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/hash.h>
#include <linux/kernel.h>
#include <linux/mm_types.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include "lazytlb.h"

/* Longest probe sequence; bounds the hot path's lookup. */
#define LAZYTLB_MAX_PROBE	32U
/* Slots reset per hold of the table lock. */
#define LAZYTLB_RESET_BATCH	64U
/* Per-CPU cache rows, mapped by slot index; one more is the spare. */
#define LAZYTLB_CPU_ROWS	32U
/* A cache row whose counts a retire is reading. */
#define LAZYTLB_ROW_CLAIMED	((struct lazytlb_slot *)1UL)

struct lazytlb_cpu_rows {
	struct lazytlb_cpu_row e[LAZYTLB_CPU_ROWS + 1];
	struct lazytlb_slot *flushing;	/* handing a row back to it */
};

/* Read on every lookup, written only at load. */
struct lazytlb_slot *lazytlb_slots __read_mostly;
static struct lazytlb_cpu_rows __percpu *lazytlb_rows __read_mostly;
/* Per slot, the CPUs that ever had a cache row for it: lazytlb_cpumap(). */
static unsigned long *lazytlb_cpumaps __read_mostly;
static unsigned int lazytlb_map_longs __read_mostly;
static unsigned int lazytlb_size __read_mostly;
static struct lazytlb_row *lazytlb_ring __read_mostly;

/*
 * Written on fork, exec and exit: kept off the cache lines that the
 * context-switch path reads. All under @lock but @inserts, which the hot
 * path reads without it.
 */
static struct {
	raw_spinlock_t lock;
	u32 inserts;		/* rows ever claimed: see lazytlb_insert_seq() */
	u64 ring_head;		/* rows ever written to the ring */
	u64 next_id;
	u64 live;
	u64 overflow;		/* new mms that found no free slot */
	u64 shootdowns;
	u64 teardown_ns;
} lazytlb_tbl ____cacheline_aligned_in_smp = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(lazytlb_tbl.lock),
	.next_id = 1,
};

unsigned int lazytlb_table_size(void)
{
	return lazytlb_size;
}

static unsigned long *lazytlb_cpumap(u32 slot)
{
	return lazytlb_cpumaps + (size_t)slot * lazytlb_map_longs;
}

static u32 lazytlb_home(struct mm_struct *mm)
{
	return reciprocal_scale(hash_ptr(mm, 32), lazytlb_size);
}

static unsigned int lazytlb_probe_len(void)
{
	return min(lazytlb_size, LAZYTLB_MAX_PROBE);
}

/* Lock-free; safe from the scheduler with the runqueue lock held. */
u32 lazytlb_lookup(struct mm_struct *mm)
{
	u32 i = lazytlb_home(mm);
	unsigned int n;

	for (n = 0; n < lazytlb_probe_len(); n++) {
		/* Pairs with the release in lazytlb_insert(): slot filled. */
		struct mm_struct *key = smp_load_acquire(&lazytlb_slots[i].key);

		if (key == mm)
			return i;
		if (!key)
			break;
		if (++i == lazytlb_size)
			i = 0;
	}
	return LAZYTLB_NO_SLOT;
}

static void lazytlb_zero_slot(struct lazytlb_slot *s)
{
	atomic_set(&s->exits, 0);
	atomic_set(&s->kthread, 0);
	atomic_set(&s->execs, 0);
	atomic_set(&s->scans, 0);
	atomic_set(&s->targets, 0);
	atomic_set(&s->ipis, 0);
	atomic_set(&s->shot, 0);
	atomic_set(&s->left, 0);
	atomic_set(&s->held, 0);
	atomic_set(&s->max_held, 0);
	atomic64_set(&s->grabs, 0);
	atomic64_set(&s->drops, 0);
	atomic64_set(&s->handovers, 0);
	atomic64_set(&s->xfers, 0);
	WRITE_ONCE(s->last_cpu, -1);
	bitmap_zero(lazytlb_cpumap(s - lazytlb_slots), nr_cpu_ids);
}

/*
 * Hand cache row @e's counts back to its slot, unless a retire claims
 * them first; true if @e is free now. This CPU, IRQs off.
 */
static bool lazytlb_evict(struct lazytlb_cpu_rows *rows,
			  struct lazytlb_cpu_row *e)
{
	/* Acquire: a retire's reads of the row come before it frees it. */
	struct lazytlb_slot *s = smp_load_acquire(&e->slot);

	if (!s)
		return true;
	if (s == LAZYTLB_ROW_CLAIMED)
		return false;
	WRITE_ONCE(rows->flushing, s);
	/*
	 * Fully ordered: a retire that sees @e's slot change also sees
	 * ->flushing, and waits for the totals below (lazytlb_sum_rows()).
	 */
	if (cmpxchg(&e->slot, s, NULL) == s && e->gen == READ_ONCE(s->gen)) {
		atomic64_add(e->c.grabs, &s->grabs);
		atomic64_add(e->c.drops, &s->drops);
		atomic64_add(e->c.handovers, &s->handovers);
		atomic64_add(e->c.xfers, &s->xfers);
	}
	/* Pairs with the acquire in lazytlb_sum_rows(). */
	smp_store_release(&rows->flushing, NULL);
	/* Acquire, as above: a claimed row is free once it is read. */
	return !smp_load_acquire(&e->slot);
}

static bool lazytlb_row_is(struct lazytlb_cpu_row *e, struct lazytlb_slot *s,
			   u32 gen)
{
	return READ_ONCE(e->slot) == s && e->gen == gen;
}

/*
 * This CPU's cache row for slot @i at generation @gen, made if need be;
 * NULL if none can be had this instant. The row mapped by @i and the
 * spare are two ways: a new row takes a free one, else the mapped one is
 * handed back. Called from the switch path, IRQs off.
 */
struct lazytlb_counts *lazytlb_cpu_counts(int cpu, u32 i, u32 gen)
{
	struct lazytlb_cpu_rows *rows = this_cpu_ptr(lazytlb_rows);
	struct lazytlb_cpu_row *e = &rows->e[i % LAZYTLB_CPU_ROWS];
	struct lazytlb_cpu_row *spare = &rows->e[LAZYTLB_CPU_ROWS];
	struct lazytlb_slot *s = &lazytlb_slots[i];

	if (lazytlb_row_is(e, s, gen))
		return &e->c;
	if (lazytlb_row_is(spare, s, gen))
		return &spare->c;
	if (READ_ONCE(e->slot) && !READ_ONCE(spare->slot)) {
		e = spare;
	} else if (!lazytlb_evict(rows, e)) {
		e = spare;
		if (!lazytlb_evict(rows, e))
			return NULL;
	}
	e->gen = gen;
	memset(&e->c, 0, sizeof(e->c));
	/* A retire reads this CPU's rows only if its bit is set. */
	if (!test_bit(cpu, lazytlb_cpumap(i)))
		set_bit(cpu, lazytlb_cpumap(i));
	/* Pairs with lazytlb_sum_rows(): the bit and zeroed counts first. */
	smp_store_release(&e->slot, s);
	/*
	 * A retire that began meanwhile may have passed this CPU: it wrote
	 * the key, then read the bitmap; we wrote the bitmap and the row,
	 * then read the key. The full barriers on both sides make one see
	 * the other; if it is us, the row must not outlive the retire.
	 */
	smp_mb();
	if (!lazytlb_is_mm(READ_ONCE(s->key)) || READ_ONCE(s->gen) != gen) {
		cmpxchg(&e->slot, s, NULL);
		return NULL;
	}
	return &e->c;
}

/*
 * Add every CPU's cached counts for slot @i at @gen to @row. With @claim
 * (the mm is freed), take them: no CPU hands them back afterwards, and
 * those a CPU is handing back are waited for, so that the slot's totals,
 * read last, hold them. Without, a racy sum for a live row.
 */
static void lazytlb_sum_rows(u32 i, u32 gen, bool claim,
			     struct lazytlb_row *row)
{
	struct lazytlb_slot *s = &lazytlb_slots[i];
	int cpu, k;

	/* A CPU without its bit never had a row for this slot. */
	for_each_set_bit(cpu, lazytlb_cpumap(i), nr_cpu_ids) {
		struct lazytlb_cpu_rows *rows = per_cpu_ptr(lazytlb_rows, cpu);
		unsigned int idx[2] = { i % LAZYTLB_CPU_ROWS, LAZYTLB_CPU_ROWS };

		for (k = 0; k < 2; k++) {
			struct lazytlb_cpu_row *e = &rows->e[idx[k]];

			/* Pairs with the release in lazytlb_cpu_counts(). */
			if (smp_load_acquire(&e->slot) != s ||
			    READ_ONCE(e->gen) != gen)
				continue;
			if (claim && cmpxchg(&e->slot, s, LAZYTLB_ROW_CLAIMED) != s)
				continue;
			row->grabs += READ_ONCE(e->c.grabs);
			row->drops += READ_ONCE(e->c.drops);
			row->handovers += READ_ONCE(e->c.handovers);
			row->xfers += READ_ONCE(e->c.xfers);
			if (claim) /* read: free for its CPU to use again */
				smp_store_release(&e->slot, NULL);
		}
		if (!claim)
			continue;
		/*
		 * A CPU that evicted first adds to the totals: wait for it.
		 * The barrier orders our reads of its rows before that of
		 * ->flushing (the full barrier in lazytlb_evict() pairs).
		 */
		smp_mb();
		/* Pairs with its release once the totals are added. */
		while (smp_load_acquire(&rows->flushing) == s)
			cpu_relax();
	}
	row->grabs += atomic64_read(&s->grabs);
	row->drops += atomic64_read(&s->drops);
	row->handovers += atomic64_read(&s->handovers);
	row->xfers += atomic64_read(&s->xfers);
	row->cpus = bitmap_weight(lazytlb_cpumap(i), nr_cpu_ids);
}

/*
 * Rows claimed so far: a CPU that found no row for an mm at this count
 * need not look again until the count moves.
 */
u32 lazytlb_insert_seq(void)
{
	/* Pairs with the release in lazytlb_insert(): key before count. */
	return smp_load_acquire(&lazytlb_tbl.inserts);
}

/*
 * The row of the lazy reference @cpu's current task holds, as the per-CPU
 * mirror says, read from any CPU (racy by nature, exact when nothing
 * switches). *@holds: whether it holds one at all; NULL for a reference on
 * an mm without a live row.
 */
struct lazytlb_slot *lazytlb_cpu_held(int cpu, bool *holds)
{
	struct lazytlb_cpu_state *st = &per_cpu(lazytlb_cpu, cpu).lazy;
	struct mm_struct *mm = READ_ONCE(st->mm);
	struct lazytlb_slot *s = READ_ONCE(st->slot);

	*holds = mm && READ_ONCE(st->epoch) == READ_ONCE(lazytlb_epoch);
	if (!*holds || !s || mm != READ_ONCE(st->last) ||
	    READ_ONCE(s->key) != mm || READ_ONCE(s->gen) != READ_ONCE(st->gen))
		return NULL;
	return s;
}

/*
 * Number of CPUs whose current task holds a lazy reference on @mm, the
 * key of slot @s at generation @gen (the key may be RETIRING meanwhile).
 */
static u32 lazytlb_held_now(struct lazytlb_slot *s, struct mm_struct *mm,
			    u32 gen)
{
	u32 epoch = READ_ONCE(lazytlb_epoch), held = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct lazytlb_cpu_state *st = &per_cpu(lazytlb_cpu, cpu).lazy;

		held += READ_ONCE(st->mm) == mm && READ_ONCE(st->last) == mm &&
			READ_ONCE(st->slot) == s && READ_ONCE(st->gen) == gen &&
			READ_ONCE(st->epoch) == epoch;
	}
	return held;
}

/*
 * Fill @row from slot @i, holding @mm at @gen, not reused meanwhile;
 * @claim: its mm is freed, take the CPUs' cached counts.
 */
static void lazytlb_fill_row(u32 i, struct mm_struct *mm, u32 gen,
			     bool claim, struct lazytlb_row *row)
{
	struct lazytlb_slot *s = &lazytlb_slots[i];

	memset(row, 0, sizeof(*row));
	row->id = s->id;
	row->tgid = s->tgid;
	memcpy(row->comm, s->comm, sizeof(row->comm));
	row->users = -1;
	row->count = -1;
	lazytlb_sum_rows(i, gen, claim, row);
	row->held = lazytlb_held_now(s, mm, gen);
	row->max_held = atomic_read(&s->max_held);
	row->exits = atomic_read(&s->exits);
	row->kthread = atomic_read(&s->kthread);
	row->execs = atomic_read(&s->execs);
	row->scans = atomic_read(&s->scans);
	row->targets = atomic_read(&s->targets);
	row->ipis = atomic_read(&s->ipis);
	row->shot = atomic_read(&s->shot);
	row->left = atomic_read(&s->left);
}

/*
 * mm_users and mm_count of @mm, read through a thread of process @tgid
 * that has it: its task lock keeps the mm alive. -1 if none has it.
 */
static void lazytlb_mm_counts(struct mm_struct *mm, pid_t tgid,
			      struct lazytlb_row *row)
{
	struct task_struct *p, *t;

	rcu_read_lock();
	p = pid_task(find_pid_ns(tgid, &init_pid_ns), PIDTYPE_TGID);
	if (p) {
		for_each_thread(p, t) {
			bool has;

			task_lock(t);
			has = t->mm == mm;
			if (has) {
				row->users = atomic_read(&mm->mm_users);
				row->count = atomic_read(&mm->mm_count);
			}
			task_unlock(t);
			if (has)
				break;
		}
	}
	rcu_read_unlock();
}

/* A snapshot of slot @i; false if the slot holds no live mm. */
bool lazytlb_row_of_slot(u32 i, struct lazytlb_row *row)
{
	struct lazytlb_slot *s = &lazytlb_slots[i];
	struct mm_struct *mm;
	unsigned long flags;
	bool live;
	u32 gen;

	raw_spin_lock_irqsave(&lazytlb_tbl.lock, flags);
	mm = s->key;
	gen = s->gen;
	live = lazytlb_is_mm(mm) && !s->dying;
	raw_spin_unlock_irqrestore(&lazytlb_tbl.lock, flags);
	if (!live)
		return false;
	/* O(CPUs) with IRQs on; kept only if the slot did not change. */
	lazytlb_fill_row(i, mm, gen, false, row);
	raw_spin_lock_irqsave(&lazytlb_tbl.lock, flags);
	live = s->key == mm && s->gen == gen && !s->dying;
	raw_spin_unlock_irqrestore(&lazytlb_tbl.lock, flags);
	/* Not under the table lock: task_lock() is a spinlock_t. */
	if (live)
		lazytlb_mm_counts(mm, row->tgid, row);
	return live;
}

/*
 * Write a retired row to the ring; the caller holds the table lock.
 * Not inlined, so that bench-scale can time it (function_graph).
 */
static noinline void lazytlb_ring_add(struct lazytlb_slot *s,
				      const struct lazytlb_row *row)
{
	lazytlb_ring[lazytlb_tbl.ring_head++ % lazytlb_retired_max] = *row;
	if (row->targets) {
		lazytlb_tbl.shootdowns++;
		lazytlb_tbl.teardown_ns += row->teardown_ns;
	}
	WRITE_ONCE(s->dying, false);
	lazytlb_tbl.live--;
	/* Counters are zero before the slot can be claimed again. */
	smp_store_release(&s->key, LAZYTLB_TOMB);
}

/*
 * Slot @i's final totals into @row, the CPUs' cached counts claimed. The
 * slot is zeroed when it is claimed again, not here: a CPU whose mirror
 * was late may still add to it.
 */
static void lazytlb_final_row(u32 i, struct mm_struct *mm, u32 gen,
			      u64 teardown_ns, struct lazytlb_row *row)
{
	lazytlb_fill_row(i, mm, gen, true, row);
	/* Freed: no user and no reference was left. */
	row->users = 0;
	row->count = 0;
	row->teardown_ns = teardown_ns;
}

/*
 * Retire slot @i (key @mm, generation @gen): its final totals go to the
 * ring. The slot leaves lookups first (LAZYTLB_RETIRING), so that it
 * cannot be claimed while the CPUs' cached counts are taken outside the
 * lock; the lock is held twice, each time for O(1) work.
 */
static void lazytlb_retire_slot(u32 i, struct mm_struct *mm, u32 gen,
				u64 teardown_ns)
{
	struct lazytlb_slot *s = &lazytlb_slots[i];
	struct lazytlb_row row;
	unsigned long flags;
	bool mine;

	raw_spin_lock_irqsave(&lazytlb_tbl.lock, flags);
	mine = s->key == mm && s->gen == gen;
	if (mine)
		WRITE_ONCE(s->key, LAZYTLB_RETIRING);
	raw_spin_unlock_irqrestore(&lazytlb_tbl.lock, flags);
	if (!mine)
		return;
	/* The key before the bitmap: pairs with lazytlb_cpu_counts(). */
	smp_mb();

	lazytlb_final_row(i, mm, gen, teardown_ns, &row);

	raw_spin_lock_irqsave(&lazytlb_tbl.lock, flags);
	lazytlb_ring_add(s, &row);
	raw_spin_unlock_irqrestore(&lazytlb_tbl.lock, flags);
}

/*
 * __mmdrop(@mm) begins: readers no longer go near the mm. The row stays
 * in lookups, so that the shootdown IPIs that follow are counted.
 */
void lazytlb_dying(struct mm_struct *mm)
{
	u32 i = lazytlb_lookup(mm);
	unsigned long flags;

	if (i == LAZYTLB_NO_SLOT)
		return;
	raw_spin_lock_irqsave(&lazytlb_tbl.lock, flags);
	if (lazytlb_slots[i].key == mm)
		WRITE_ONCE(lazytlb_slots[i].dying, true);
	raw_spin_unlock_irqrestore(&lazytlb_tbl.lock, flags);
}

/* __mmdrop() returned: the mm of slot @i, generation @gen, is gone. */
void lazytlb_retire(u32 i, u32 gen, u64 teardown_ns)
{
	struct mm_struct *mm = READ_ONCE(lazytlb_slots[i].key);

	if (lazytlb_is_mm(mm))
		lazytlb_retire_slot(i, mm, gen, teardown_ns);
}

/*
 * Claim a slot for an mm. @owner names the row; @comm, if given,
 * overrides the owner's comm (exec knows the new name before the task
 * takes it). An mm that is already there keeps its row. @new_mm: count
 * a full table as an overflow (not for another thread of a known mm).
 */
void lazytlb_insert(struct mm_struct *mm, struct task_struct *owner,
		    const char *comm, bool new_mm)
{
	u32 i = lazytlb_home(mm), free = LAZYTLB_NO_SLOT;
	struct lazytlb_slot *s;
	unsigned long flags;
	unsigned int n;

	raw_spin_lock_irqsave(&lazytlb_tbl.lock, flags);
	for (n = 0; n < lazytlb_probe_len(); n++) {
		struct mm_struct *key = lazytlb_slots[i].key;

		if (key == mm && lazytlb_slots[i].dying) {
			struct lazytlb_row row;

			/*
			 * The address of an mm freed since came back before
			 * __mmdrop()'s return (or with it missed) retired the
			 * old row: retire it here, O(CPUs) under the lock on
			 * this rare path; the return then finds it gone.
			 */
			WRITE_ONCE(lazytlb_slots[i].key, LAZYTLB_RETIRING);
			/* As in lazytlb_retire_slot(). */
			smp_mb();
			lazytlb_final_row(i, mm, lazytlb_slots[i].gen, 0, &row);
			lazytlb_ring_add(&lazytlb_slots[i], &row);
			key = LAZYTLB_TOMB;
		}
		if (key == mm)
			goto out;
		if (key == LAZYTLB_TOMB && free == LAZYTLB_NO_SLOT)
			free = i;
		if (!key) {
			if (free == LAZYTLB_NO_SLOT)
				free = i;
			break;
		}
		if (++i == lazytlb_size)
			i = 0;
	}
	if (free == LAZYTLB_NO_SLOT) {
		lazytlb_tbl.overflow += new_mm;
		goto out;
	}
	s = &lazytlb_slots[free];
	lazytlb_zero_slot(s);
	WRITE_ONCE(s->dying, false);
	WRITE_ONCE(s->gen, s->gen + 1);
	s->id = lazytlb_tbl.next_id++;
	s->tgid = owner->tgid;
	strscpy(s->comm, comm ? comm : owner->comm, sizeof(s->comm));
	lazytlb_tbl.live++;
	/* The slot is zeroed before its key shows. */
	smp_store_release(&s->key, mm);
	/* Pairs with lazytlb_insert_seq(): the key is seen first. */
	smp_store_release(&lazytlb_tbl.inserts, lazytlb_tbl.inserts + 1);
out:
	raw_spin_unlock_irqrestore(&lazytlb_tbl.lock, flags);
}

/* Ring index of the oldest retired row still kept. */
u64 lazytlb_retired_first(void)
{
	unsigned long flags;
	u64 first;

	raw_spin_lock_irqsave(&lazytlb_tbl.lock, flags);
	first = lazytlb_tbl.ring_head > lazytlb_retired_max ?
		lazytlb_tbl.ring_head - lazytlb_retired_max : 0;
	raw_spin_unlock_irqrestore(&lazytlb_tbl.lock, flags);
	return first;
}

/* The row at ring index @index; false if not written yet or overwritten. */
bool lazytlb_retired_row(u64 index, struct lazytlb_row *row)
{
	unsigned long flags;
	bool ok;

	raw_spin_lock_irqsave(&lazytlb_tbl.lock, flags);
	ok = index < lazytlb_tbl.ring_head &&
	     index + lazytlb_retired_max >= lazytlb_tbl.ring_head;
	if (ok)
		*row = lazytlb_ring[index % lazytlb_retired_max];
	raw_spin_unlock_irqrestore(&lazytlb_tbl.lock, flags);
	return ok;
}

void lazytlb_table_stats(struct lazytlb_table_stats *ts)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&lazytlb_tbl.lock, flags);
	ts->live = lazytlb_tbl.live;
	ts->retired = lazytlb_tbl.ring_head;
	ts->overwritten = lazytlb_tbl.ring_head > lazytlb_retired_max ?
			  lazytlb_tbl.ring_head - lazytlb_retired_max : 0;
	ts->overflow = lazytlb_tbl.overflow;
	ts->shootdowns = lazytlb_tbl.shootdowns;
	ts->teardown_ns = lazytlb_tbl.teardown_ns;
	raw_spin_unlock_irqrestore(&lazytlb_tbl.lock, flags);
}

/* Zero slots [@i, @end) under the lock; not inlined, for bench-scale. */
static noinline void lazytlb_reset_batch(u32 i, u32 end)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&lazytlb_tbl.lock, flags);
	for (; i < end; i++)
		lazytlb_zero_slot(&lazytlb_slots[i]);
	raw_spin_unlock_irqrestore(&lazytlb_tbl.lock, flags);
}

/*
 * Zero every count; the caller has quiesced the switch hooks. The CPUs'
 * cache rows are dropped, then the slots zeroed a batch per hold of the
 * lock, so that IRQs are never off for long.
 */
void lazytlb_table_reset(void)
{
	unsigned long flags;
	int cpu, k;
	u32 i;

	for_each_possible_cpu(cpu) {
		struct lazytlb_cpu_rows *rows = per_cpu_ptr(lazytlb_rows, cpu);

		for (k = 0; k <= LAZYTLB_CPU_ROWS; k++) {
			struct lazytlb_slot *old = READ_ONCE(rows->e[k].slot);

			/* A retire reading a row frees it itself. */
			if (old != LAZYTLB_ROW_CLAIMED)
				cmpxchg(&rows->e[k].slot, old, NULL);
		}
	}
	for (i = 0; i < lazytlb_size; i += LAZYTLB_RESET_BATCH) {
		lazytlb_reset_batch(i, min(i + LAZYTLB_RESET_BATCH, lazytlb_size));
		cond_resched();
	}
	raw_spin_lock_irqsave(&lazytlb_tbl.lock, flags);
	lazytlb_tbl.ring_head = 0;
	lazytlb_tbl.overflow = 0;
	lazytlb_tbl.shootdowns = 0;
	lazytlb_tbl.teardown_ns = 0;
	raw_spin_unlock_irqrestore(&lazytlb_tbl.lock, flags);
}

/*
 * Forget the references counted in held: enabling again, the CPUs adopt
 * what they hold without counting it. The switch hooks are quiesced.
 */
void lazytlb_table_clear_held(void)
{
	u32 i;

	for (i = 0; i < lazytlb_size; i++) {
		atomic_set(&lazytlb_slots[i].held, 0);
		if (!(i % LAZYTLB_RESET_BATCH))
			cond_resched();
	}
}

/* Names change after fork and exec (prctl(PR_SET_NAME)): take them again. */
void lazytlb_refresh_owners(void)
{
	struct task_struct *p;
	unsigned long flags;

	rcu_read_lock();
	for_each_process(p) {
		struct mm_struct *mm = READ_ONCE(p->mm);
		struct lazytlb_slot *s;
		u32 i;

		if (!mm || (p->flags & PF_KTHREAD))
			continue;
		i = lazytlb_lookup(mm);
		if (i == LAZYTLB_NO_SLOT)
			continue;
		s = &lazytlb_slots[i];
		raw_spin_lock_irqsave(&lazytlb_tbl.lock, flags);
		if (s->key == mm && s->tgid == p->tgid)
			strscpy(s->comm, p->comm, sizeof(s->comm));
		raw_spin_unlock_irqrestore(&lazytlb_tbl.lock, flags);
	}
	rcu_read_unlock();
}

/*
 * Enter the mms that exist at load; the fork, exec and __mmdrop() hooks
 * are live. The first thread that still has an mm stands for its process:
 * the group leader may have called pthread_exit().
 */
void lazytlb_populate(void)
{
	struct task_struct *p, *t;

	rcu_read_lock();
	for_each_process(p) {
		if (p->flags & PF_KTHREAD)
			continue;
		for_each_thread(p, t) {
			bool done;

			/* Under task_lock(), t->mm holds an mm_users. */
			task_lock(t);
			done = t->mm;
			if (done)
				lazytlb_insert(t->mm, t, NULL, true);
			task_unlock(t);
			if (done)
				break;
		}
	}
	rcu_read_unlock();
}

/* Bytes allocated at load for the table, its counters and the ring. */
size_t lazytlb_table_bytes(void)
{
	return array_size(lazytlb_size, sizeof(*lazytlb_slots)) +
	       array3_size(lazytlb_size, lazytlb_map_longs, sizeof(long)) +
	       array_size(lazytlb_retired_max, sizeof(*lazytlb_ring)) +
	       array_size(num_possible_cpus(), sizeof(struct lazytlb_cpu_rows));
}

int lazytlb_table_init(void)
{
	u32 i;

	lazytlb_size = lazytlb_max_mms;
	lazytlb_map_longs = BITS_TO_LONGS(nr_cpu_ids);
	lazytlb_slots = vzalloc(array_size(lazytlb_size, sizeof(*lazytlb_slots)));
	lazytlb_cpumaps = vzalloc(array3_size(lazytlb_size, lazytlb_map_longs,
					      sizeof(long)));
	lazytlb_ring = vzalloc(array_size(lazytlb_retired_max,
					  sizeof(*lazytlb_ring)));
	lazytlb_rows = alloc_percpu(struct lazytlb_cpu_rows);
	if (!lazytlb_slots || !lazytlb_cpumaps || !lazytlb_ring || !lazytlb_rows) {
		pr_err("cannot allocate a table of %u mms for %u CPUs\n",
		       lazytlb_size, nr_cpu_ids);
		lazytlb_table_free();
		return -ENOMEM;
	}
	for (i = 0; i < lazytlb_size; i++)
		lazytlb_zero_slot(&lazytlb_slots[i]);
	return 0;
}

void lazytlb_table_free(void)
{
	free_percpu(lazytlb_rows);
	vfree(lazytlb_ring);
	vfree(lazytlb_cpumaps);
	vfree(lazytlb_slots);
	lazytlb_rows = NULL;
	lazytlb_ring = NULL;
	lazytlb_cpumaps = NULL;
	lazytlb_slots = NULL;
}
