/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every workload in tests/workloads needs: a monotonic clock, a fatal
 * error that names the program, and pinning to one CPU.
 */
#ifndef _LAZYTLB_WORKLOAD_H
#define _LAZYTLB_WORKLOAD_H

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* program_invocation_short_name: glibc, with _GNU_SOURCE. */
static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
		strerror(errno));
	exit(1);
}

static inline void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

#endif /* _LAZYTLB_WORKLOAD_H */
