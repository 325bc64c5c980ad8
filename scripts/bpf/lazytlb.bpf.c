// SPDX-License-Identifier: GPL-2.0
/*
 * lazytlb-bpf: count lazy-TLB mm references per mm, as lazytlb.ko does.
 *
 * The per-CPU mirror of module/account.c, fed by the same sched_switch
 * tracepoint (tp_btf: BTF-typed arguments, no kprobe on a suffixed
 * symbol):
 *
 *   prev user,   next kernel: grab of prev->active_mm
 *   prev kernel, next kernel: handover
 *   prev kernel, next user:   drop (finish_task_switch())
 *   prev user,   next user:   nothing lazy
 *
 * ("user" means task->mm != NULL.) References begun or ended while a task
 * runs (exit_mm(), kthread_use_mm(), kthread_unuse_mm(), exec_mmap()) are
 * reconciled when the task switches out, and the first switch on each CPU
 * after start adopts the CPU's lazy mm without counting it.
 *
 * Rows are made where the module makes them (fork: wake_up_new_task(),
 * exec: begin_new_exec(), start: a task iterator) and retired from
 * __mmdrop() into a ring buffer, so short-lived mms are not lost.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "lazytlb.h"

#define PF_IDLE		0x00000002
#define PF_EXITING	0x00000004
#define PF_KTHREAD	0x00200000

enum lazytlb_cause {
	LAZYTLB_SWITCH,
	LAZYTLB_EXIT,
	LAZYTLB_KTHREAD,
	LAZYTLB_EXEC,
	LAZYTLB_UNEXPLAINED,
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);	/* the loader's -m */
	__type(key, __u64);
	__type(value, struct lazytlb_mm);
} mms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lazytlb_cpu);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} retired SEC(".maps");

/* Scratch for exec file names. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[LAZYTLB_NAME_MAX + LAZYTLB_COMM_LEN]);
} names SEC(".maps");

const volatile bool shared_stats = true;

__u64 next_id = 1;
__u64 stats[LAZYTLB_STAT_MAX];
__u32 refresh_pass;

static __always_inline void stat_inc(int i)
{
	if (i >= 0 && i < LAZYTLB_STAT_MAX)
		__sync_fetch_and_add(&stats[i], 1);
}

/* The row of @mm if it is the one the mirror began on (id), or NULL. */
static __always_inline struct lazytlb_mm *state_row(struct lazytlb_cpu *pc)
{
	struct lazytlb_mm *e;
	__u64 mm = pc->mm;

	if (!pc->id)
		return NULL;
	e = bpf_map_lookup_elem(&mms, &mm);
	if (!e || e->id != pc->id)
		return NULL;	/* retired since, or a new mm at the address */
	return e;
}

static __always_inline void count_cause(struct lazytlb_cpu *pc,
					struct lazytlb_mm *e, int cause)
{
	switch (cause) {
	case LAZYTLB_EXIT:
		pc->exits++;
		if (e)
			__sync_fetch_and_add(&e->exits, 1);
		break;
	case LAZYTLB_KTHREAD:
		pc->kthread++;
		if (e)
			__sync_fetch_and_add(&e->kthread, 1);
		break;
	case LAZYTLB_EXEC:
		pc->execs++;
		if (e)
			__sync_fetch_and_add(&e->execs, 1);
		break;
	case LAZYTLB_UNEXPLAINED:
		pc->unexplained++;
		break;
	}
}

/* The cpus column: CPUs that grabbed or dropped the mm. */
static __always_inline void mark_cpu(struct lazytlb_mm *e, __u32 cpu)
{
	__u32 w = cpu / 64;
	__u64 bit = 1ULL << (cpu % 64);

	if (w >= LAZYTLB_MASK_WORDS) {
		e->cpus_unknown = 1;
		return;
	}
	if (!(e->cpumask[w] & bit))
		__sync_fetch_and_or(&e->cpumask[w], bit);
}

/* held, max_held and the cache-line transfer estimate. */
static __always_inline void touch(struct lazytlb_cpu *pc, struct lazytlb_mm *e,
				  __u32 cpu, int delta)
{
	int held, max, i;

	mark_cpu(e, cpu);
	held = __sync_fetch_and_add(&e->held, delta) + delta;
	if (!shared_stats)
		return;
	for (i = 0; i < 4; i++) {
		max = e->max_held;
		if (held <= max)
			break;
		if (__sync_val_compare_and_swap(&e->max_held, max, held) == max)
			break;
	}
	if (e->last_cpu != (int)cpu) {
		if (e->last_cpu >= 0) {
			__sync_fetch_and_add(&e->xfers, 1);
			pc->xfers++;
		}
		e->last_cpu = cpu;
	}
}

/* This CPU's current task starts holding a lazy reference on @mm. */
static __always_inline void lazy_begin(struct lazytlb_cpu *pc, __u32 cpu,
				       __u64 mm, int cause)
{
	struct lazytlb_mm *e = bpf_map_lookup_elem(&mms, &mm);

	pc->mm = mm;
	pc->grabs++;
	if (!e) {
		pc->id = 0;
		pc->untracked++;
	} else {
		pc->id = e->id;
		__sync_fetch_and_add(&e->grabs, 1);
		touch(pc, e, cpu, 1);
	}
	count_cause(pc, e, cause);
}

/* The lazy reference this CPU holds ends. */
static __always_inline void lazy_end(struct lazytlb_cpu *pc, __u32 cpu,
				     int cause)
{
	struct lazytlb_mm *e = state_row(pc);

	pc->drops++;
	if (!e) {
		pc->untracked++;
	} else {
		__sync_fetch_and_add(&e->drops, 1);
		touch(pc, e, cpu, -1);
	}
	count_cause(pc, e, cause);
	pc->mm = 0;
}

static __always_inline void lazy_handover(struct lazytlb_cpu *pc)
{
	struct lazytlb_mm *e = state_row(pc);

	pc->handovers++;
	if (e)
		__sync_fetch_and_add(&e->handovers, 1);
	else
		pc->untracked++;
}

/* Which site gave @flags' task, now without an mm, an unseen reference. */
static __always_inline int unseen_begin(unsigned int flags)
{
	if (flags & PF_IDLE)
		return LAZYTLB_UNEXPLAINED;
	if (flags & PF_KTHREAD)
		return LAZYTLB_KTHREAD;
	if (flags & PF_EXITING)
		return LAZYTLB_EXIT;
	return LAZYTLB_UNEXPLAINED;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(lazytlb_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	__u64 prev_mm = (__u64)prev->mm, next_mm = (__u64)next->mm;
	__u64 active = (__u64)prev->active_mm;
	unsigned int flags = prev->flags;
	struct lazytlb_cpu *pc;
	__u32 zero = 0, cpu;
	int cause;

	pc = bpf_map_lookup_elem(&cpus, &zero);
	if (!pc)
		return 0;
	cpu = bpf_get_smp_processor_id();
	pc->switches++;

	if (!pc->valid) {
		/* First switch since start: adopt, don't count. */
		pc->valid = 1;
		pc->mm = prev_mm ? 0 : active;
		pc->id = 0;
	}

	if (prev_mm) {
		/* A task with an mm ran: this CPU held no lazy reference. */
		if (pc->mm)
			lazy_end(pc, cpu, (flags & PF_KTHREAD) ?
				 LAZYTLB_KTHREAD : LAZYTLB_EXEC);
		if (!next_mm)
			lazy_begin(pc, cpu, active, LAZYTLB_SWITCH);
		return 0;
	}

	if (pc->mm != active) {
		cause = unseen_begin(flags);
		if (pc->mm)
			lazy_end(pc, cpu, cause == LAZYTLB_KTHREAD ?
				 LAZYTLB_KTHREAD : LAZYTLB_UNEXPLAINED);
		lazy_begin(pc, cpu, active, cause);
	}
	if (next_mm)
		lazy_end(pc, cpu, LAZYTLB_SWITCH);
	else
		lazy_handover(pc);
	return 0;
}

/* Claim a row for a new mm; an mm that is already there keeps its row. */
static __always_inline void insert(__u64 mm, __s32 tgid, const char *comm)
{
	struct lazytlb_mm v = {};
	long err;

	if (!mm || bpf_map_lookup_elem(&mms, &mm))
		return;
	v.tgid = tgid;
	v.last_cpu = -1;
	bpf_probe_read_kernel_str(v.comm, sizeof(v.comm), comm);
	v.id = __sync_fetch_and_add(&next_id, 1);
	err = bpf_map_update_elem(&mms, &mm, &v, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST */)
		stat_inc(LAZYTLB_STAT_OVERFLOW);
}

SEC("fentry/wake_up_new_task")
int BPF_PROG(lazytlb_new_task, struct task_struct *p)
{
	insert((__u64)p->mm, p->tgid, p->comm);
	return 0;
}

/* begin_new_exec() names the task after the file; so do we. */
SEC("fentry/begin_new_exec")
int BPF_PROG(lazytlb_new_exec, struct linux_binprm *bprm)
{
	__u64 mm = (__u64)bprm->mm;
	__u32 zero = 0, base = 0, i;
	char *buf;
	long n;

	buf = bpf_map_lookup_elem(&names, &zero);
	if (!buf || !mm)
		return 0;
	n = bpf_probe_read_kernel_str(buf, LAZYTLB_NAME_MAX, bprm->filename);
	if (n <= 0)
		return 0;
	/* kbasename(): from the end, so that one path goes on per step. */
	for (i = 1; i < LAZYTLB_NAME_MAX; i++) {
		if (i >= n)
			break;
		if (buf[(n - 1 - i) & (LAZYTLB_NAME_MAX - 1)] == '/') {
			base = n - i;
			break;
		}
	}
	/* At most the NUL: the scratch is LAZYTLB_COMM_LEN longer. */
	insert(mm, bpf_get_current_pid_tgid() >> 32,
	       buf + (base & (LAZYTLB_NAME_MAX - 1)));
	return 0;
}

/* The mm is freed: its final totals go to the ring. */
SEC("fentry/__mmdrop")
int BPF_PROG(lazytlb_mmdrop, struct mm_struct *mm)
{
	__u64 key = (__u64)mm;
	struct lazytlb_mm *e, *r;

	e = bpf_map_lookup_elem(&mms, &key);
	if (!e)
		return 0;
	stat_inc(LAZYTLB_STAT_RETIRED);
	r = bpf_ringbuf_reserve(&retired, sizeof(*r), 0);
	if (r) {
		__builtin_memcpy(r, e, sizeof(*r));
		r->users = BPF_CORE_READ(mm, mm_users.counter);
		r->count = BPF_CORE_READ(mm, mm_count.counter);
		r->seen = 1;
		bpf_ringbuf_submit(r, 0);
	} else {
		stat_inc(LAZYTLB_STAT_RETIRED_LOST);
	}
	bpf_map_delete_elem(&mms, &key);
	return 0;
}

/* At start: enter the mms that exist already (the hooks are live). */
SEC("iter/task")
int lazytlb_populate(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct mm_struct *mm;

	if (!t || (t->flags & PF_KTHREAD))
		return 0;
	mm = t->mm;
	if (mm)
		insert((__u64)mm, t->tgid, t->comm);
	return 0;
}

/* Before a dump: names change (prctl), and users/count are read now. */
SEC("iter/task")
int lazytlb_refresh(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct lazytlb_mm *e;
	struct mm_struct *mm;
	__u64 key;

	if (!t || (t->flags & PF_KTHREAD))
		return 0;
	mm = t->mm;
	if (!mm)
		return 0;
	key = (__u64)mm;
	e = bpf_map_lookup_elem(&mms, &key);
	if (!e)
		return 0;
	e->users = BPF_CORE_READ(mm, mm_users.counter);
	e->count = BPF_CORE_READ(mm, mm_count.counter);
	e->seen = refresh_pass;
	if (e->tgid == t->tgid)
		bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), t->comm);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
