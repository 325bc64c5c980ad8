/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lazytlb: count lazy-TLB mm references per mm, per CPU and in total.
 *
 * A CPU that switches from a user task to a kernel thread (or idle) keeps
 * the user mm loaded and takes a "lazy" reference on it; the reference is
 * handed from kernel thread to kernel thread and dropped when a user task
 * runs again (kernel/sched/core.c, context_switch()). Exiting tasks,
 * kthread_use_mm()/kthread_unuse_mm() and exec from a kernel thread also
 * start or end such references.
 *
 * At most one lazy reference is held per CPU at any time: the one of the
 * task running there. The module mirrors that reference per CPU from the
 * sched_switch tracepoint and reconciles it with the task's active_mm when
 * a task switches out, which accounts the references taken or dropped
 * outside context_switch() on the CPU where they happened.
 */
#ifndef _LAZYTLB_H
#define _LAZYTLB_H

#include <linux/atomic.h>
#include <linux/jump_label.h>
#include <linux/types.h>
#include <linux/sched.h>
#include <linux/spinlock.h>

struct mm_struct;
struct seq_file;

/* Why a lazy reference began or ended outside a plain context switch. */
enum lazytlb_cause {
	LAZYTLB_SWITCH,		/* context_switch() */
	LAZYTLB_EXIT,		/* exit_mm() of an exiting task */
	LAZYTLB_KTHREAD,	/* kthread_use_mm() / kthread_unuse_mm() */
	LAZYTLB_EXEC,		/* exec_mmap() from a task without an mm */
	LAZYTLB_UNEXPLAINED,	/* a missed event */
	LAZYTLB_SHOOTDOWN,	/* do_shoot_lazy_tlb() moved the CPU to init_mm */
	LAZYTLB_LEFT,		/* x86 left the lazy mm for init_mm itself */
	LAZYTLB_HOTPLUG,	/* finish_cpu() of a dead CPU, cpu_init() of a new one */
};

enum lazytlb_mode {
	LAZYTLB_MODE_UNKNOWN,
	LAZYTLB_MODE_REFCOUNT,	/* MMU_LAZY_TLB_REFCOUNT: mm_count atomics */
	LAZYTLB_MODE_SHOOTDOWN,	/* MMU_LAZY_TLB_SHOOTDOWN: IPIs at __mmdrop */
	LAZYTLB_MODE_HAZPTR,	/* MMU_LAZY_TLB_HAZPTR: IPIs to the holders */
};

/* Counters one CPU keeps for one mm; only that CPU writes them. */
struct lazytlb_counts {
	u64 grabs;
	u64 drops;
	u64 handovers;
	u64 xfers;
};

/*
 * A CPU's counters for one mm, in a small per-CPU cache (table.c): the
 * counts belong to whoever moves @slot away from its value, the CPU when
 * it needs the row for another mm (it adds them to the slot's totals) or
 * the retire of the mm (LAZYTLB_ROW_CLAIMED while it reads them).
 */
struct lazytlb_cpu_row {
	struct lazytlb_slot *slot;	/* NULL: free */
	u32 gen;
	struct lazytlb_counts c;
};

/*
 * One mm in the table. @key is NULL (never used), LAZYTLB_TOMB (retired,
 * reusable), LAZYTLB_RETIRING (its row is being written to the ring) or
 * the mm; it is published with release semantics after the rest of the
 * slot is filled in, under the table lock. The hot path only reads it.
 * The mm is never dereferenced through @key: it may have been freed.
 */
struct lazytlb_slot {
	struct mm_struct *key;
	u32 gen;
	pid_t tgid;
	u64 id;
	char comm[TASK_COMM_LEN];
	/* Rare events, from any CPU. */
	atomic_t exits;
	atomic_t kthread;	/* kthread_use_mm(), kthread_unuse_mm() calls */
	atomic_t execs;
	/* Shootdown and hazptr kernels, at __mmdrop(). */
	atomic_t scans;		/* hazptr: hazard pointer scans (one a teardown) */
	atomic_t targets;	/* CPUs do_shoot_lazy_tlb() ran on */
	atomic_t ipis;		/* ... of which remote, by IPI */
	atomic_t shot;		/* ... of which held the mm lazily */
	atomic_t left;		/* lazy CPUs that left it for init_mm first */
	bool dying;		/* in __mmdrop(): the mm is being freed */
	/* What the CPUs' cached rows handed back (lazytlb_cpu_row). */
	atomic64_t grabs;
	atomic64_t drops;
	atomic64_t handovers;
	atomic64_t xfers;
	/* Only with shared_stats: one shared write per grab or drop. */
	atomic_t held;
	atomic_t max_held;
	int last_cpu;
} ____cacheline_aligned_in_smp;

#define LAZYTLB_TOMB	((struct mm_struct *)1UL)
#define LAZYTLB_RETIRING	((struct mm_struct *)2UL)
/* A CPU's state after its task was moved to init_mm behind the scheduler. */
#define LAZYTLB_ON_INIT_MM	((struct mm_struct *)3UL)
/* Keys at or below this are markers, not mms. */
#define LAZYTLB_LAST_MARK	LAZYTLB_ON_INIT_MM
#define LAZYTLB_NO_SLOT	U32_MAX

static inline bool lazytlb_is_mm(const struct mm_struct *key)
{
	return key > LAZYTLB_LAST_MARK;
}

/*
 * What one CPU knows about the lazy reference its current task holds.
 * @slot, @counts and @gen belong to @last, the mm most recently begun
 * here, and stay after the reference ends: the next grab is usually of
 * the same mm and then needs no table lookup.
 */
struct lazytlb_cpu_state {
	struct mm_struct *mm;		/* held now; NULL: none */
	struct mm_struct *last;
	struct lazytlb_slot *slot;	/* NULL: @last has no row */
	struct lazytlb_counts *counts;	/* this CPU's cached counters for @slot */
	u32 gen;
	u32 epoch;			/* != lazytlb_epoch: unknown */
	u32 miss_seq;			/* @last had no row at this insert count */
	/*
	 * The fast path's licence, NULL for none: the slow path left the
	 * mirror current (enabled, this epoch) with @fast_mm == @last, whose
	 * row was live and whose cache row @counts is (while that cache row
	 * still names @slot). The enabled and reset controls clear it.
	 */
	struct mm_struct *fast_mm;
};

/* Is @st's mm still the one in its slot (not retired, not reused)? */
static inline bool lazytlb_state_tracked(const struct lazytlb_cpu_state *st)
{
	return st->slot && READ_ONCE(st->slot->key) == st->last &&
	       READ_ONCE(st->slot->gen) == st->gen;
}

/* Per-CPU totals over all mms, tracked or not. */
struct lazytlb_cpu {
	struct lazytlb_cpu_state lazy;
	u64 switches;
	u64 grabs;
	u64 drops;
	u64 handovers;
	u64 xfers;
	u64 exits;
	u64 kthread;
	u64 execs;
	u64 unexplained;
	u64 untracked;		/* events on mms without a table row */
	u64 hotplug;
	u64 scans;
	u64 shoot_targets;
	u64 shoot_ipis;
	u64 shoot_held;
	u64 left;
};

/* A snapshot of one mm, live or retired. */
struct lazytlb_row {
	u64 id;
	pid_t tgid;
	char comm[TASK_COMM_LEN];
	int users;		/* -1: no task has the mm any more */
	int count;
	u64 grabs;
	u64 drops;
	u64 handovers;
	u64 xfers;
	u32 held;
	u32 max_held;
	u32 cpus;
	u32 exits;
	u32 kthread;
	u32 execs;
	u32 ipis;
	u32 targets;
	u32 shot;
	u32 left;
	u32 scans;
	u64 teardown_ns;	/* time in __mmdrop(), shootdown IPIs included */
};

/* module/mode.c */
extern enum lazytlb_mode lazytlb_mode;
extern int lazytlb_mode_votes[LAZYTLB_MODE_SHOOTDOWN + 1];
void lazytlb_detect_mode(void);
const char *lazytlb_mode_name(void);

/* module/main.c: parameters and shared state */
extern bool lazytlb_enabled;
extern bool lazytlb_shared_stats;
/* lazytlb_shared_stats for the switch hook's fast path: set at load. */
DECLARE_STATIC_KEY_FALSE(lazytlb_shared_key);
extern u32 lazytlb_epoch;

/*
 * The hot path's view of enabled and epoch: enabling publishes the new
 * epoch before it sets enabled, with release; this acquire pairs with it.
 */
static inline bool lazytlb_on(void)
{
	/* Pairs with the release in the enabled and reset controls. */
	return smp_load_acquire(&lazytlb_enabled);
}

extern unsigned int lazytlb_max_mms;
extern unsigned int lazytlb_retired_max;
DECLARE_PER_CPU(struct lazytlb_cpu, lazytlb_cpu);

/* module/table.c: the mm table and the retired ring */
extern struct lazytlb_slot *lazytlb_slots;
int lazytlb_table_init(void);
void lazytlb_table_free(void);
u32 lazytlb_lookup(struct mm_struct *mm);
u32 lazytlb_insert_seq(void);
void lazytlb_insert(struct mm_struct *mm, struct task_struct *owner,
		    const char *comm, bool new_mm);
void lazytlb_dying(struct mm_struct *mm);
void lazytlb_retire(u32 slot, u32 gen, u64 teardown_ns);
void lazytlb_populate(void);
void lazytlb_refresh_owners(void);
struct lazytlb_counts *lazytlb_cpu_counts(int cpu, u32 slot, u32 gen);
struct lazytlb_slot *lazytlb_cpu_held(int cpu, bool *holds);
bool lazytlb_row_of_slot(u32 slot, struct lazytlb_row *row);
u64 lazytlb_retired_first(void);
bool lazytlb_retired_row(u64 index, struct lazytlb_row *row);
void lazytlb_table_reset(void);
void lazytlb_table_clear_held(void);
size_t lazytlb_table_bytes(void);
unsigned int lazytlb_table_size(void);
struct lazytlb_table_stats {
	u64 live;
	u64 retired;
	u64 overwritten;
	u64 overflow;
	u64 shootdowns;		/* teardowns that ran do_shoot_lazy_tlb() */
	u64 teardown_ns;	/* their time in __mmdrop() */
};

void lazytlb_table_stats(struct lazytlb_table_stats *ts);

/* module/account.c: the per-CPU mirror of lazy references */
void lazytlb_sched_switch(void *data, bool preempt, struct task_struct *prev,
			  struct task_struct *next, unsigned int prev_state);
void lazytlb_reset_cpus(void);
void lazytlb_shoot(struct mm_struct *mm);
void lazytlb_scan(struct mm_struct *mm);
extern bool lazytlb_scan_attached;
void lazytlb_left(struct mm_struct *mm);
void lazytlb_kthread_mm(struct mm_struct *mm);
void lazytlb_cpu_dead(unsigned int cpu);
void lazytlb_fast_clear(void);

/* module/hooks.c */
int lazytlb_hooks_register(void);
void lazytlb_hooks_unregister(void);
unsigned long lazytlb_hooks_show(struct seq_file *m);
void lazytlb_missed_show(struct seq_file *m);

/* module/debugfs.c */
int lazytlb_debugfs_init(void);
void lazytlb_debugfs_exit(void);

#endif /* _LAZYTLB_H */
