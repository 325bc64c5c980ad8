// SPDX-License-Identifier: GPL-2.0
/*
 * lazy_stress - make lazy TLB CPUs leave their mm in every way x86 has.
 *
 * Build: gcc -O2 -static -pthread -o lazy_stress lazy_stress.c
 *
 * Four loads run at once until the duration is over (or, for the unmap
 * load, until its iteration count is reached):
 *
 *  - unmap: in one process, U threads mmap() a large anonymous region,
 *    touch one byte every STRIDE bytes (so page tables get allocated) and
 *    munmap() it.  munmap() frees the page tables, and the TLB flush that
 *    follows is sent to every CPU in mm_cpumask(), lazy ones included: on
 *    x86 a lazy CPU then switches to init_mm in flush_tlb_func().
 *  - sleep: in the same process, S threads sleep for short random times,
 *    so their CPUs go idle and keep the process's mm as their lazy mm.
 *  - fork: F forker processes each fork short-lived children, each with
 *    K threads that touch memory, sleep briefly and exit: every exit frees
 *    page tables in exit_mmap() and drops the last mm reference, which is
 *    where lazy TLB shootdown happens.
 *  - switch: C pairs of processes ping-pong one byte over pipes, so CPUs
 *    switch between mms and between user tasks and idle all the time.
 *  - exec: E processes each fork children whose second thread calls
 *    execve() (of this program with -X, which exits at once): exec_mmap()
 *    from a thread, after de_thread() has killed the other one.
 *
 * Prints one summary line; exits non-zero if any part failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct params {
	unsigned int duration;		/* seconds */
	unsigned long iterations;	/* per unmap thread, 0: unlimited */
	unsigned int unmappers;
	unsigned int sleepers;
	unsigned int forkers;
	unsigned int child_threads;
	unsigned int switch_pairs;
	unsigned int execers;
	size_t region;			/* bytes */
	size_t stride;			/* bytes */
};

/* Shared by every process of the run. */
struct shared {
	atomic_int stop;
	atomic_ulong unmaps;
	atomic_ulong sleeps;
	atomic_ulong forks;
	atomic_ulong switches;
	atomic_ulong execs;
	atomic_ulong failures;
};

static struct params p = {
	.duration = 10,
	.iterations = 0,
	.unmappers = 2,
	.sleepers = 4,
	.forkers = 2,
	.child_threads = 2,
	.switch_pairs = 1,
	.execers = 0,
	.region = 64UL << 20,
	.stride = 256UL << 10,
};

static struct shared *sh;

static void fail(const char *what)
{
	fprintf(stderr, "lazy_stress: %s: %s\n", what, strerror(errno));
	atomic_fetch_add(&sh->failures, 1);
}

static int stopping(void)
{
	return atomic_load_explicit(&sh->stop, memory_order_relaxed);
}

static unsigned int rnd(unsigned int *seed, unsigned int max)
{
	*seed = *seed * 1103515245 + 12345;
	return (*seed >> 16) % max;
}

static void sleep_us(unsigned int us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void touch(char *mem, size_t len, size_t stride)
{
	size_t off;

	for (off = 0; off < len; off += stride)
		mem[off] = (char)off;
}

static void *unmap_thread(void *arg)
{
	unsigned long i;

	(void)arg;
	for (i = 0; !stopping() && (!p.iterations || i < p.iterations); i++) {
		char *mem = mmap(NULL, p.region, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (mem == MAP_FAILED) {
			fail("mmap");
			break;
		}
		touch(mem, p.region, p.stride);
		/* Partial unmap first, then the rest: two table-freeing flushes. */
		if (munmap(mem, p.region / 2) || munmap(mem + p.region / 2, p.region - p.region / 2)) {
			fail("munmap");
			break;
		}
		atomic_fetch_add(&sh->unmaps, 1);
	}
	return NULL;
}

static void *sleep_thread(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg * 7919 + getpid();

	while (!stopping()) {
		sleep_us(50 + rnd(&seed, 2000));
		atomic_fetch_add(&sh->sleeps, 1);
	}
	return NULL;
}

static void *child_thread(void *arg)
{
	size_t len = 4UL << 20;
	char *mem;

	(void)arg;
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return (void *)1;
	touch(mem, len, 64UL << 10);
	sleep_us(100);
	/* Leave the mapping to exit_mmap(). */
	return NULL;
}

/* A short-lived multithreaded process; returns its exit status. */
static int child_main(void)
{
	pthread_t tid[64];
	unsigned int i, n = p.child_threads < 64 ? p.child_threads : 64;
	int ret = 0;
	void *res;

	for (i = 0; i < n; i++)
		if (pthread_create(&tid[i], NULL, child_thread, NULL))
			return 2;
	for (i = 0; i < n; i++) {
		pthread_join(tid[i], &res);
		if (res)
			ret = 3;
	}
	return ret;
}

/*
 * Until the end: fork a child that runs @child, wait for it, count it in
 * @done; a child that fails is reported as @what.
 */
static void child_loop(int (*child)(void), atomic_ulong *done, const char *what)
{
	while (!stopping()) {
		pid_t pid = fork();
		int status;

		if (pid < 0) {
			fail("fork");
			sleep_us(1000);
			continue;
		}
		if (pid == 0)
			_exit(child());
		if (waitpid(pid, &status, 0) != pid) {
			fail("waitpid");
			continue;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			errno = 0;
			fail(what);
		}
		atomic_fetch_add(done, 1);
	}
	_exit(0);
}

static void switcher(void)
{
	int ab[2], ba[2];
	pid_t pid;
	char c = 0;

	if (pipe(ab) || pipe(ba)) {
		fail("pipe");
		_exit(1);
	}
	pid = fork();
	if (pid < 0) {
		fail("fork");
		_exit(1);
	}
	if (pid == 0) {
		close(ab[1]);
		close(ba[0]);
		/* Echo until the other side closes. */
		while (read(ab[0], &c, 1) == 1)
			if (write(ba[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	close(ab[0]);
	close(ba[1]);
	while (!stopping()) {
		if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1) {
			fail("pipe ping-pong");
			break;
		}
		atomic_fetch_add(&sh->switches, 2);
	}
	close(ab[1]);
	waitpid(pid, NULL, 0);
	_exit(0);
}

static char *self_exe;

static void *exec_thread(void *arg)
{
	char *argv[] = { "lazy_stress", "-X", NULL };

	(void)arg;
	execv(self_exe, argv);
	return (void *)1;
}

/* The child: a second thread execs; this one waits for de_thread(). */
static int exec_child(void)
{
	pthread_t tid;
	void *res;

	if (pthread_create(&tid, NULL, exec_thread, NULL))
		return 2;
	pthread_join(tid, &res);
	return 3;	/* execv() failed */
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-d seconds] [-i iterations] [-u unmap-threads] [-s sleep-threads]\n"
		"       [-f forkers] [-k threads-per-child] [-c switch-pairs]\n"
		"       [-e execers] [-m region-MiB] [-S stride-KiB]\n"
		"defaults: -d %u -i %lu (0: until the end) -u %u -s %u -f %u -k %u -c %u -e %u -m %zu -S %zu\n",
		argv0, p.duration, p.iterations, p.unmappers, p.sleepers, p.forkers,
		p.child_threads, p.switch_pairs, p.execers, p.region >> 20, p.stride >> 10);
	exit(2);
}

static unsigned long num(const char *s, const char *argv0)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end)
		usage(argv0);
	return v;
}

int main(int argc, char **argv)
{
	unsigned int nthreads, i, nprocs = 0;
	pthread_t *tids;
	pid_t *pids;
	struct timespec t0, t1;
	double secs;
	int opt;

	/* The image an exec load's thread runs: nothing. */
	if (argc == 2 && !strcmp(argv[1], "-X"))
		return 0;
	self_exe = realpath("/proc/self/exe", NULL);
	if (!self_exe)
		self_exe = "/proc/self/exe";
	while ((opt = getopt(argc, argv, "d:i:u:s:f:k:c:e:m:S:h")) != -1) {
		switch (opt) {
		case 'd': p.duration = num(optarg, argv[0]); break;
		case 'i': p.iterations = num(optarg, argv[0]); break;
		case 'u': p.unmappers = num(optarg, argv[0]); break;
		case 's': p.sleepers = num(optarg, argv[0]); break;
		case 'f': p.forkers = num(optarg, argv[0]); break;
		case 'k': p.child_threads = num(optarg, argv[0]); break;
		case 'c': p.switch_pairs = num(optarg, argv[0]); break;
		case 'e': p.execers = num(optarg, argv[0]); break;
		case 'm': p.region = num(optarg, argv[0]) << 20; break;
		case 'S': p.stride = num(optarg, argv[0]) << 10; break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || !p.duration || !p.region || !p.stride)
		usage(argv[0]);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap shared");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);

	/* Processes first: fork() before this process has threads. */
	pids = calloc(p.forkers + p.switch_pairs + p.execers + 1, sizeof(*pids));
	for (i = 0; i < p.forkers + p.switch_pairs + p.execers; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fail("fork");
			break;
		}
		if (pid == 0) {
			if (i < p.forkers)
				child_loop(child_main, &sh->forks, "child process");
			if (i < p.forkers + p.switch_pairs)
				switcher();
			child_loop(exec_child, &sh->execs, "exec from a thread");
		}
		pids[nprocs++] = pid;
	}

	nthreads = p.unmappers + p.sleepers;
	tids = calloc(nthreads + 1, sizeof(*tids));
	for (i = 0; i < nthreads; i++) {
		void *(*fn)(void *) = i < p.unmappers ? unmap_thread : sleep_thread;

		if (pthread_create(&tids[i], NULL, fn, (void *)(uintptr_t)i)) {
			errno = EAGAIN;
			fail("pthread_create");
			nthreads = i;
			break;
		}
	}

	/* Run for the duration, or until the unmappers are done. */
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (secs >= p.duration)
			break;
		if (p.iterations && p.unmappers &&
		    atomic_load(&sh->unmaps) >= p.iterations * p.unmappers)
			break;
		sleep_us(20000);
	}
	atomic_store(&sh->stop, 1);

	for (i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	for (i = 0; i < nprocs; i++) {
		int status;

		if (waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			errno = 0;
			fail("worker process");
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	printf("lazy_stress: %.1f s unmaps=%lu sleeps=%lu forks=%lu switches=%lu execs=%lu failures=%lu\n",
	       secs, atomic_load(&sh->unmaps), atomic_load(&sh->sleeps),
	       atomic_load(&sh->forks), atomic_load(&sh->switches),
	       atomic_load(&sh->execs), atomic_load(&sh->failures));
	return atomic_load(&sh->failures) ? 1 : 0;
}
