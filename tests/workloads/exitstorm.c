// SPDX-License-Identifier: GPL-2.0
/*
 * exitstorm: many short-lived multithreaded processes, the case the
 * shootdown mode pays for. Each process starts THREADS threads pinned to
 * different CPUs; each thread faults in a few pages of the shared mm and
 * exits, so its CPU goes idle still holding the mm lazily. The process
 * then exits and the last mmdrop finds those lazy users: refcount mode
 * dropped their references one atomic at a time, shootdown mode sends
 * them IPIs at teardown.
 *
 *   exitstorm [-t THREADS] [-c CONCURRENT] [-d SECONDS | -n PROCESSES]
 *             [-k KB] [-q]
 *     -t THREADS     threads per process, besides its main thread
 *                    (default nproc); thread i is pinned to CPU i % nproc
 *     -c CONCURRENT  processes alive at once (default 1)
 *     -d SECONDS     keep starting processes for this long (default 5)
 *     -n PROCESSES   start this many processes instead
 *     -k KB          memory each thread touches (default 16)
 *     -q             accepted for symmetry with pingpong (output is one line)
 *
 * Prints: "exitstorm pid=P threads=N concurrent=C processes=R seconds=S
 *          processes_per_sec=X" (one line).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

static long ncpu;
static int opt_threads;
static size_t opt_bytes = 16 * 1024;
static long page_size;

struct worker {
	pthread_t tid;
	int cpu;
	char *mem;
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	cpu_set_t set;
	size_t off;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	/* The CPU may be offline or outside our cpuset: run anywhere then. */
	sched_setaffinity(0, sizeof(set), &set);
	for (off = 0; off < opt_bytes; off += page_size)
		w->mem[off] = 1;
	return NULL;
}

/* One short-lived process: never returns. */
static void child(void)
{
	struct worker *w;
	char *mem;
	int i;

	w = calloc(opt_threads ? opt_threads : 1, sizeof(*w));
	mem = mmap(NULL, opt_bytes * (opt_threads + 1), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!w || mem == MAP_FAILED)
		_exit(1);
	for (i = 0; i < opt_threads; i++) {
		w[i].cpu = i % ncpu;
		w[i].mem = mem + opt_bytes * (i + 1);
		if (pthread_create(&w[i].tid, NULL, worker, &w[i]))
			_exit(1);
	}
	for (i = 0; i < opt_threads; i++)
		pthread_join(w[i].tid, NULL);
	_exit(0);
}

int main(int argc, char **argv)
{
	unsigned long started = 0, finished = 0, failed = 0, opt_procs = 0;
	double opt_seconds = 5, t0, t1, deadline;
	int concurrent = 1, running = 0, opt, status;
	pid_t pid;

	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	opt_threads = ncpu;
	page_size = sysconf(_SC_PAGESIZE);
	while ((opt = getopt(argc, argv, "t:c:d:n:k:q")) != -1) {
		switch (opt) {
		case 't':
			opt_threads = atoi(optarg);
			break;
		case 'c':
			concurrent = atoi(optarg);
			break;
		case 'd':
			opt_seconds = atof(optarg);
			break;
		case 'n':
			opt_procs = strtoul(optarg, NULL, 0);
			break;
		case 'k':
			opt_bytes = strtoul(optarg, NULL, 0) * 1024;
			break;
		case 'q':
			break;
		default:
			fprintf(stderr, "usage: exitstorm [-t THREADS] %s\n",
				"[-c CONCURRENT] [-d SECONDS | -n PROCESSES] [-k KB] [-q]");
			return 2;
		}
	}
	if (opt_threads < 0 || concurrent < 1 || opt_bytes < (size_t)page_size ||
	    (!opt_procs && opt_seconds <= 0)) {
		fprintf(stderr, "exitstorm: bad thread count, concurrency, size or duration\n");
		return 2;
	}

	t0 = now();
	deadline = t0 + opt_seconds;
	for (;;) {
		int more = opt_procs ? started < opt_procs : now() < deadline;

		if (more && running < concurrent) {
			pid = fork();
			if (pid < 0)
				die("fork");
			if (pid == 0)
				child();
			started++;
			running++;
			continue;
		}
		if (!running)
			break;
		pid = wait(&status);
		if (pid < 0)
			die("wait");
		running--;
		finished++;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	t1 = now();
	if (failed) {
		fprintf(stderr, "exitstorm: %lu of %lu processes failed\n",
			failed, finished);
		return 1;
	}
	printf("exitstorm pid=%d threads=%d concurrent=%d processes=%lu ",
	       getpid(), opt_threads, concurrent, finished);
	printf("seconds=%.3f processes_per_sec=%.1f\n",
	       t1 - t0, finished / (t1 - t0));
	return 0;
}
