// SPDX-License-Identifier: GPL-2.0
/*
 * lazytlb: the table of live mms and the ring of retired ones.
 *
 * The table is an open-addressing hash of preallocated slots. Slots are
 * claimed when an mm is born (fork, exec) or found at load, and retired
 * when the mm is freed (__mmdrop), all under lazytlb_table_lock, which
 * the scheduler hot path never takes: it only looks keys up. A retired
 * slot keeps a tombstone, which later inserts reuse; tombstones never turn
 * back into empty slots, so a lookup may stop at the first empty one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/kernel.h>
#include <linux/mm_types.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include "lazytlb.h"

/* Longest probe sequence; bounds the hot path's lookup. */
#define LAZYTLB_MAX_PROBE	32U

struct lazytlb_slot *lazytlb_slots;
DEFINE_RAW_SPINLOCK(lazytlb_table_lock);

/* [cpu * table size + slot]: each CPU writes only its own stretch. */
static struct lazytlb_counts *lazytlb_counts;
static unsigned int lazytlb_size;

/* Ring of retired rows; all below under lazytlb_table_lock. */
static struct lazytlb_row *lazytlb_ring;
static u64 lazytlb_ring_head;	/* rows ever written */
static u64 lazytlb_next_id = 1;
static u64 lazytlb_live;
static u64 lazytlb_overflow;	/* mms that found no free slot */
static u64 lazytlb_shootdowns;
static u64 lazytlb_teardown_ns;

unsigned int lazytlb_table_size(void)
{
	return lazytlb_size;
}

struct lazytlb_counts *lazytlb_counts_of(int cpu, u32 slot)
{
	return &lazytlb_counts[(size_t)cpu * lazytlb_size + slot];
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

static void lazytlb_zero_counts(u32 slot)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(lazytlb_counts_of(cpu, slot), 0,
		       sizeof(struct lazytlb_counts));
}

static void lazytlb_zero_slot(struct lazytlb_slot *s)
{
	atomic_set(&s->exits, 0);
	atomic_set(&s->kthread, 0);
	atomic_set(&s->execs, 0);
	atomic_set(&s->targets, 0);
	atomic_set(&s->ipis, 0);
	atomic_set(&s->shot, 0);
	atomic_set(&s->left, 0);
	atomic_set(&s->held, 0);
	atomic_set(&s->max_held, 0);
	s->last_cpu = -1;
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

/* Number of CPUs whose current task holds a lazy reference on @s. */
static u32 lazytlb_held_now(struct lazytlb_slot *s)
{
	u32 held = 0;
	bool holds;
	int cpu;

	for_each_possible_cpu(cpu)
		held += lazytlb_cpu_held(cpu, &holds) == s;
	return held;
}

/*
 * Fill @row from slot @i; the caller holds lazytlb_table_lock. A @freed
 * mm is not read: its mm_users and mm_count were 0 when it was freed.
 */
static void lazytlb_fill_row(u32 i, struct lazytlb_row *row, bool freed)
{
	struct lazytlb_slot *s = &lazytlb_slots[i];
	int cpu;

	memset(row, 0, sizeof(*row));
	row->id = s->id;
	row->tgid = s->tgid;
	memcpy(row->comm, s->comm, sizeof(row->comm));
	if (!freed) {
		row->users = atomic_read(&s->key->mm_users);
		row->count = atomic_read(&s->key->mm_count);
	}
	for_each_possible_cpu(cpu) {
		struct lazytlb_counts *c = lazytlb_counts_of(cpu, i);
		u64 grabs = READ_ONCE(c->grabs), drops = READ_ONCE(c->drops);

		row->grabs += grabs;
		row->drops += drops;
		row->handovers += READ_ONCE(c->handovers);
		row->xfers += READ_ONCE(c->xfers);
		if (grabs || drops)
			row->cpus++;
	}
	row->held = lazytlb_held_now(s);
	row->max_held = atomic_read(&s->max_held);
	row->exits = atomic_read(&s->exits);
	row->kthread = atomic_read(&s->kthread);
	row->execs = atomic_read(&s->execs);
	row->targets = atomic_read(&s->targets);
	row->ipis = atomic_read(&s->ipis);
	row->shot = atomic_read(&s->shot);
	row->left = atomic_read(&s->left);
}

/* A snapshot of slot @i; false if the slot holds no live mm. */
bool lazytlb_row_of_slot(u32 i, struct lazytlb_row *row)
{
	unsigned long flags;
	bool live;

	raw_spin_lock_irqsave(&lazytlb_table_lock, flags);
	/*
	 * Under the lock, a key that is not dying belongs to an mm that has
	 * not entered __mmdrop(), so it is alive.
	 */
	live = lazytlb_slots[i].key && lazytlb_slots[i].key != LAZYTLB_TOMB &&
	       !lazytlb_slots[i].dying;
	if (live)
		lazytlb_fill_row(i, row, false);
	raw_spin_unlock_irqrestore(&lazytlb_table_lock, flags);
	return live;
}

/* Slot @i's final totals go to the ring; the caller holds the lock. */
static void lazytlb_retire_locked(u32 i, u64 teardown_ns)
{
	struct lazytlb_slot *s = &lazytlb_slots[i];
	struct lazytlb_row *row;

	row = &lazytlb_ring[lazytlb_ring_head++ % lazytlb_retired_max];
	lazytlb_fill_row(i, row, true);
	row->teardown_ns = teardown_ns;
	if (row->targets) {
		lazytlb_shootdowns++;
		lazytlb_teardown_ns += teardown_ns;
	}
	lazytlb_zero_counts(i);
	lazytlb_zero_slot(s);
	s->dying = false;
	lazytlb_live--;
	/* Counters are zero before the slot can be claimed again. */
	smp_store_release(&s->key, LAZYTLB_TOMB);
}

/*
 * __mmdrop() begins: the slot stays, so that the shootdown IPIs that
 * follow are counted, but no reader may touch the mm any more. Returns
 * the slot (and its generation), or LAZYTLB_NO_SLOT.
 */
u32 lazytlb_dying(struct mm_struct *mm, u32 *gen)
{
	u32 i = lazytlb_lookup(mm);
	unsigned long flags;

	if (i == LAZYTLB_NO_SLOT)
		return i;
	raw_spin_lock_irqsave(&lazytlb_table_lock, flags);
	if (lazytlb_slots[i].key == mm) {
		WRITE_ONCE(lazytlb_slots[i].dying, true);
		*gen = lazytlb_slots[i].gen;
	} else {
		i = LAZYTLB_NO_SLOT;
	}
	raw_spin_unlock_irqrestore(&lazytlb_table_lock, flags);
	return i;
}

/* __mmdrop() returned: the mm is gone, its row goes to the ring. */
void lazytlb_retire(u32 i, u32 gen, u64 teardown_ns)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&lazytlb_table_lock, flags);
	/* Not if an insert found it stale and retired it already. */
	if (lazytlb_slots[i].dying && lazytlb_slots[i].gen == gen)
		lazytlb_retire_locked(i, teardown_ns);
	raw_spin_unlock_irqrestore(&lazytlb_table_lock, flags);
}

/*
 * Claim a slot for a new mm. @owner names the row; @comm, if given,
 * overrides the owner's comm (exec knows the new name before the task
 * takes it). An mm that is already there keeps its row.
 */
void lazytlb_insert(struct mm_struct *mm, struct task_struct *owner,
		    const char *comm)
{
	u32 i = lazytlb_home(mm), free = LAZYTLB_NO_SLOT;
	struct lazytlb_slot *s;
	unsigned long flags;
	unsigned int n;

	raw_spin_lock_irqsave(&lazytlb_table_lock, flags);
	for (n = 0; n < lazytlb_probe_len(); n++) {
		struct mm_struct *key = lazytlb_slots[i].key;

		if (key == mm && lazytlb_slots[i].dying) {
			/*
			 * The address of an mm freed since came back before
			 * __mmdrop()'s return was seen: retire the old row.
			 */
			lazytlb_retire_locked(i, 0);
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
		lazytlb_overflow++;
		goto out;
	}
	s = &lazytlb_slots[free];
	s->dying = false;
	s->gen++;
	s->id = lazytlb_next_id++;
	s->tgid = owner->tgid;
	strscpy(s->comm, comm ? comm : owner->comm, sizeof(s->comm));
	lazytlb_live++;
	/* Counters were zeroed when the slot was retired or allocated. */
	smp_store_release(&s->key, mm);
out:
	raw_spin_unlock_irqrestore(&lazytlb_table_lock, flags);
}

/* Row @pos of the ring, oldest first; false past the end. */
bool lazytlb_retired_row(loff_t pos, struct lazytlb_row *row)
{
	unsigned long flags;
	u64 first;
	bool ok;

	raw_spin_lock_irqsave(&lazytlb_table_lock, flags);
	first = lazytlb_ring_head > lazytlb_retired_max ?
		lazytlb_ring_head - lazytlb_retired_max : 0;
	ok = pos >= 0 && first + pos < lazytlb_ring_head;
	if (ok)
		*row = lazytlb_ring[(first + pos) % lazytlb_retired_max];
	raw_spin_unlock_irqrestore(&lazytlb_table_lock, flags);
	return ok;
}

void lazytlb_table_stats(struct lazytlb_table_stats *ts)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&lazytlb_table_lock, flags);
	ts->live = lazytlb_live;
	ts->retired = lazytlb_ring_head;
	ts->overwritten = lazytlb_ring_head > lazytlb_retired_max ?
			  lazytlb_ring_head - lazytlb_retired_max : 0;
	ts->overflow = lazytlb_overflow;
	ts->shootdowns = lazytlb_shootdowns;
	ts->teardown_ns = lazytlb_teardown_ns;
	raw_spin_unlock_irqrestore(&lazytlb_table_lock, flags);
}

/* Zero every count; the caller has quiesced the hooks. */
void lazytlb_table_reset(void)
{
	unsigned long flags;
	u32 i;

	raw_spin_lock_irqsave(&lazytlb_table_lock, flags);
	for (i = 0; i < lazytlb_size; i++) {
		lazytlb_zero_counts(i);
		lazytlb_zero_slot(&lazytlb_slots[i]);
	}
	lazytlb_ring_head = 0;
	lazytlb_overflow = 0;
	lazytlb_shootdowns = 0;
	lazytlb_teardown_ns = 0;
	raw_spin_unlock_irqrestore(&lazytlb_table_lock, flags);
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
		raw_spin_lock_irqsave(&lazytlb_table_lock, flags);
		if (s->key == mm && s->tgid == p->tgid)
			strscpy(s->comm, p->comm, sizeof(s->comm));
		raw_spin_unlock_irqrestore(&lazytlb_table_lock, flags);
	}
	rcu_read_unlock();
}

/* Enter the mms that exist at load; the fork and exec hooks are live. */
void lazytlb_populate(void)
{
	struct task_struct *p;

	rcu_read_lock();
	for_each_process(p) {
		task_lock(p);
		if (p->mm && !(p->flags & PF_KTHREAD))
			lazytlb_insert(p->mm, p, NULL);
		task_unlock(p);
	}
	rcu_read_unlock();
}

int lazytlb_table_init(void)
{
	u32 i;

	lazytlb_size = lazytlb_max_mms;
	lazytlb_slots = vzalloc(array_size(lazytlb_size, sizeof(*lazytlb_slots)));
	lazytlb_counts = vzalloc(array3_size(nr_cpu_ids, lazytlb_size,
					     sizeof(*lazytlb_counts)));
	lazytlb_ring = vzalloc(array_size(lazytlb_retired_max,
					  sizeof(*lazytlb_ring)));
	if (!lazytlb_slots || !lazytlb_counts || !lazytlb_ring) {
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
	vfree(lazytlb_ring);
	vfree(lazytlb_counts);
	vfree(lazytlb_slots);
	lazytlb_ring = NULL;
	lazytlb_counts = NULL;
	lazytlb_slots = NULL;
}
