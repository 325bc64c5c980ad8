// SPDX-License-Identifier: GPL-2.0
/*
 * tlbflush: threads of one process mapping, touching and unmapping memory
 * while the other threads of the same mm run, like will-it-scale's
 * tlb_flush2. Every unmap (or MADV_DONTNEED) flushes the TLB of each CPU
 * that may hold the mm, so the flush IPIs reach the CPUs where the other
 * threads run or, when they sleep, lazily hold the mm.
 *
 *   tlbflush [-t THREADS] [-d SECONDS | -n ITERATIONS] [-s KB] [-M] [-q]
 *     -t THREADS     threads of the one process (default nproc); thread i
 *                    is pinned to CPU i % nproc
 *     -d SECONDS     run for this long (default 5)
 *     -n ITERATIONS  map/touch/unmap cycles per thread instead of a time
 *     -s KB          size of each thread's region (default 512)
 *     -M             keep one mapping per thread and drop its pages with
 *                    madvise(MADV_DONTNEED), as tlb_flush2 does, instead
 *                    of munmap (which also frees page tables)
 *     -q             accepted for symmetry with pingpong (output is one line)
 *
 * Prints: "tlbflush pid=P threads=N iterations=I pages=G seconds=S
 *          iterations_per_sec=X" (one line).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

struct worker {
	pthread_t tid;
	int cpu;
	unsigned long iterations;
	unsigned long pages;
};

static unsigned long opt_iterations;
static double opt_seconds = 5;
static size_t opt_bytes = 512 * 1024;
static int opt_madvise;
static int stop;			/* set by main when the time is up */
static long page_size;

static char *map_region(void)
{
	char *p = mmap(NULL, opt_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static int done(unsigned long n)
{
	return opt_iterations ? n >= opt_iterations :
	       __atomic_load_n(&stop, __ATOMIC_RELAXED);
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	char *p = NULL;
	unsigned long n;
	size_t off;

	pin(w->cpu);
	if (opt_madvise)
		p = map_region();
	for (n = 0; !done(n); n++) {
		if (!opt_madvise)
			p = map_region();
		for (off = 0; off < opt_bytes; off += page_size)
			p[off] = (char)n;
		w->pages += opt_bytes / page_size;
		if (opt_madvise) {
			if (madvise(p, opt_bytes, MADV_DONTNEED))
				die("madvise");
		} else if (munmap(p, opt_bytes)) {
			die("munmap");
		}
	}
	if (opt_madvise)
		munmap(p, opt_bytes);
	w->iterations = n;
	return NULL;
}

int main(int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned long iterations = 0, pages = 0;
	int threads = ncpu > 0 ? ncpu : 1;
	struct worker *w;
	double t0, t1;
	int opt, i;

	page_size = sysconf(_SC_PAGESIZE);
	while ((opt = getopt(argc, argv, "t:d:n:s:Mq")) != -1) {
		switch (opt) {
		case 't':
			threads = atoi(optarg);
			break;
		case 'd':
			opt_seconds = atof(optarg);
			break;
		case 'n':
			opt_iterations = strtoul(optarg, NULL, 0);
			break;
		case 's':
			opt_bytes = strtoul(optarg, NULL, 0) * 1024;
			break;
		case 'M':
			opt_madvise = 1;
			break;
		case 'q':
			break;
		default:
			fprintf(stderr, "usage: tlbflush [-t THREADS] %s\n",
				"[-d SECONDS | -n ITERATIONS] [-s KB] [-M] [-q]");
			return 2;
		}
	}
	if (threads < 1 || opt_bytes < (size_t)page_size ||
	    (!opt_iterations && opt_seconds <= 0)) {
		fprintf(stderr, "tlbflush: bad thread count, size or duration\n");
		return 2;
	}

	w = calloc(threads, sizeof(*w));
	if (!w)
		die("calloc");
	t0 = now();
	for (i = 0; i < threads; i++) {
		w[i].cpu = i % ncpu;
		if (pthread_create(&w[i].tid, NULL, worker, &w[i])) {
			fprintf(stderr, "tlbflush: pthread_create failed\n");
			return 1;
		}
	}
	if (!opt_iterations) {
		struct timespec ts = {
			.tv_sec = (time_t)opt_seconds,
			.tv_nsec = (long)((opt_seconds - (time_t)opt_seconds) * 1e9),
		};

		nanosleep(&ts, NULL);
		__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(w[i].tid, NULL);
		iterations += w[i].iterations;
		pages += w[i].pages;
	}
	t1 = now();
	printf("tlbflush pid=%d threads=%d iterations=%lu pages=%lu ",
	       getpid(), threads, iterations, pages);
	printf("seconds=%.3f iterations_per_sec=%.1f\n",
	       t1 - t0, iterations / (t1 - t0));
	return 0;
}
