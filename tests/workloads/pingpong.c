// SPDX-License-Identifier: GPL-2.0
/*
 * pingpong: pairs of threads (or processes) passing a token through pipes,
 * like will-it-scale's context_switch1. The two ends of a pair are pinned
 * to different CPUs, so each CPU goes task -> idle -> task: one lazy grab
 * and one lazy drop per round trip on each side.
 *
 *   pingpong [-p PAIRS] [-n ROUNDS | -d SECONDS] [-P] [-s] [-q]
 *     -p PAIRS    pairs of tasks (default: nproc / 2, at least 1)
 *     -n ROUNDS   round trips per pair (default 10000)
 *     -d SECONDS  run for this long instead of a round count
 *     -P          processes instead of threads (no shared mm: the control)
 *     -s          when done, every task sleeps on its CPU until killed,
 *                 so each CPU last ran a task of this mm and holds it
 *                 lazily while idle (threads: a quiet mm to look at)
 *     -q          print only the result line
 *
 * Prints: "pingpong pid=P pairs=N rounds=R seconds=S rounds_per_sec=X".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

struct pair {
	int ab[2];		/* a writes, b reads */
	int ba[2];		/* b writes, a reads */
	int cpu_a, cpu_b;
	unsigned long rounds;	/* done by this pair */
};

static unsigned long opt_rounds = 10000;
static double opt_seconds;
/* Set by main when -d runs out; shared with -P children. */
static int *stop;
static int sleep_after;
static pthread_barrier_t done;

static char xread(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		die("read");
	return c;
}

static void xwrite(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		die("write");
}

/* The a side drives the rounds; its last token, 'q', ends the pair. */
static void side_a(struct pair *p)
{
	unsigned long n;

	pin(p->cpu_a);
	for (n = 0;; n++) {
		int last = opt_seconds ? __atomic_load_n(stop, __ATOMIC_RELAXED) :
			   n + 1 >= opt_rounds;

		xwrite(p->ab[1], last ? 'q' : 'x');
		xread(p->ba[0]);
		if (last)
			break;
	}
	p->rounds = n + 1;
}

static void side_b(struct pair *p)
{
	char c;

	pin(p->cpu_b);
	do {
		c = xread(p->ab[0]);
		xwrite(p->ba[1], c);
	} while (c != 'q');
}

/* With -s: tell main we are done, then sleep here, on our own CPU. */
static void *park(void)
{
	if (!sleep_after)
		return NULL;
	pthread_barrier_wait(&done);
	for (;;)
		pause();
}

static void *thread_a(void *arg)
{
	side_a(arg);
	return park();
}

static void *thread_b(void *arg)
{
	side_b(arg);
	return park();
}

static void print_usage(void)
{
	fputs("usage: pingpong [-p PAIRS] [-n ROUNDS | -d SECONDS] [-P] [-s] [-q]\n",
	      stderr);
}

int main(int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int pairs = ncpu / 2 > 0 ? ncpu / 2 : 1;
	int procs = 0, quiet = 0, opt, i;
	unsigned long total = 0;
	struct pair *p;
	pthread_t *tid;
	double t0, t1;

	while ((opt = getopt(argc, argv, "p:n:d:Psq")) != -1) {
		switch (opt) {
		case 'p':
			pairs = atoi(optarg);
			break;
		case 'n':
			opt_rounds = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			opt_seconds = atof(optarg);
			break;
		case 'P':
			procs = 1;
			break;
		case 's':
			sleep_after = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			print_usage();
			return 2;
		}
	}
	if (pairs < 1 || (!opt_seconds && opt_rounds < 1) || opt_seconds < 0) {
		fprintf(stderr, "pingpong: bad pair or round count\n");
		return 2;
	}

	/* Shared with child processes in -P mode. */
	p = mmap(NULL, sizeof(*p) * pairs + sizeof(int), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	stop = (int *)(p + pairs);
	tid = calloc(2 * pairs, sizeof(*tid));
	if (!tid)
		die("calloc");
	for (i = 0; i < pairs; i++) {
		if (pipe(p[i].ab) || pipe(p[i].ba))
			die("pipe");
		p[i].cpu_a = (2 * i) % ncpu;
		p[i].cpu_b = (2 * i + 1) % ncpu;
	}

	if (sleep_after && !procs &&
	    pthread_barrier_init(&done, NULL, 2 * pairs + 1)) {
		fprintf(stderr, "pingpong: pthread_barrier_init failed\n");
		return 1;
	}
	t0 = now();
	for (i = 0; i < pairs; i++) {
		if (procs) {
			if (fork() == 0) {
				side_b(&p[i]);
				_exit(0);
			}
			if (fork() == 0) {
				side_a(&p[i]);
				_exit(0);
			}
			continue;
		}
		if (pthread_create(&tid[2 * i], NULL, thread_b, &p[i]) ||
		    pthread_create(&tid[2 * i + 1], NULL, thread_a, &p[i])) {
			fprintf(stderr, "pingpong: pthread_create failed\n");
			return 1;
		}
	}
	if (opt_seconds) {
		struct timespec ts = {
			.tv_sec = (time_t)opt_seconds,
			.tv_nsec = (long)((opt_seconds - (time_t)opt_seconds) * 1e9),
		};

		nanosleep(&ts, NULL);
		__atomic_store_n(stop, 1, __ATOMIC_RELAXED);
	}
	if (procs) {
		while (wait(NULL) > 0)
			;
	} else if (sleep_after) {
		pthread_barrier_wait(&done);
	} else {
		for (i = 0; i < 2 * pairs; i++)
			pthread_join(tid[i], NULL);
	}
	t1 = now();
	for (i = 0; i < pairs; i++)
		total += p[i].rounds;
	printf("pingpong pid=%d pairs=%d rounds=%lu seconds=%.3f rounds_per_sec=%.1f\n",
	       getpid(), pairs, total, t1 - t0, total / (t1 - t0));
	fflush(stdout);
	if (!quiet && sleep_after) {
		printf("ready\n");
		fflush(stdout);
	}
	if (sleep_after)
		for (;;)
			pause();
	return 0;
}
