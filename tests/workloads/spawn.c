// SPDX-License-Identifier: GPL-2.0
/*
 * spawn: fork and exec, one child at a time, all on one CPU, so that mms
 * are born and freed in a known order: each child's fork copy (freed at
 * its exec), then its exec'd mm (named "exe", freed when it exits).
 *
 *   spawn [-c CPU] COUNT
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

int main(int argc, char **argv)
{
	int cpu = 0, opt, status;
	long n, i;

	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt != 'c') {
			fprintf(stderr, "usage: spawn [-c CPU] COUNT\n");
			return 2;
		}
		cpu = atoi(optarg);
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: spawn [-c CPU] COUNT\n");
		return 2;
	}
	n = strtol(argv[optind], NULL, 0);
	if (n <= 0)
		return 0;	/* a child: its exec'd mm ends here */
	pin(cpu);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid) {
			execl("/proc/self/exe", "spawn", "0", (char *)NULL);
			die("exec");
		}
		if (waitpid(pid, &status, 0) != pid || status)
			die("child");
	}
	return 0;
}
