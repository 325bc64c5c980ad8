/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lazytlb-bpf: what the BPF side (lazytlb.bpf.c) and the loader
 * (lazytlb-bpf.c) share. The meaning of every counter is that of the
 * module's (module/account.c, include/lazytlb.h).
 */
#ifndef __LAZYTLB_BPF_H
#define __LAZYTLB_BPF_H

#define LAZYTLB_COMM_LEN	16
#define LAZYTLB_MASK_WORDS	4	/* cpus column up to 256 CPUs */
#define LAZYTLB_MAX_CPUS	(LAZYTLB_MASK_WORDS * 64)
#define LAZYTLB_NAME_MAX	256	/* exec file names longer are cut */

/*
 * One mm, keyed by its address; also the record of a retired mm that
 * __mmdrop() sends through the ring buffer.
 */
struct lazytlb_mm {
	__u64 id;		/* 0: never used; ids start at 1 */
	__s32 tgid;
	__s32 users;		/* mm_users when last seen, see @seen */
	__s32 count;		/* mm_count when last seen */
	__u32 seen;		/* refresh pass that saw the mm; 0: none */
	char comm[LAZYTLB_COMM_LEN];
	__u64 grabs;
	__u64 drops;
	__u64 handovers;
	__u64 xfers;
	__s32 held;		/* CPUs whose mirror holds the mm now */
	__s32 max_held;
	__s32 last_cpu;		/* -1: none yet */
	__u32 exits;
	__u32 kthread;
	__u32 execs;
	__u32 cpus_unknown;	/* a CPU >= LAZYTLB_MAX_CPUS touched it */
	__u64 cpumask[LAZYTLB_MASK_WORDS];
};

/* Per-CPU mirror of the lazy reference and per-CPU totals. */
struct lazytlb_cpu {
	__u64 mm;		/* 0: none */
	__u64 id;		/* row id of @mm when it began; 0: no row */
	__u64 valid;		/* 0: unknown since start: adopt, don't count */
	__u64 switches;
	__u64 grabs;
	__u64 drops;
	__u64 handovers;
	__u64 xfers;
	__u64 exits;
	__u64 kthread;
	__u64 execs;
	__u64 unexplained;
	__u64 untracked;
};

/* Global counters, indexes into the array map "stats". */
enum lazytlb_stat {
	LAZYTLB_STAT_OVERFLOW,		/* mms that found no room in the map */
	LAZYTLB_STAT_RETIRED,		/* mms retired */
	LAZYTLB_STAT_RETIRED_LOST,	/* retired records the ring dropped */
	LAZYTLB_STAT_MAX,
};

#endif /* __LAZYTLB_BPF_H */
