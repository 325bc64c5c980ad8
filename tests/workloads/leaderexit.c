// SPDX-License-Identifier: GPL-2.0
/*
 * leaderexit: a process whose main thread has called pthread_exit(): only
 * a second thread still has the mm (its group leader is a zombie).
 *
 *   leaderexit SECONDS
 *
 * Prints "leaderexit pid=P threads=1" once the leader is about to go.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "workload.h"

static void *sleeper(void *arg)
{
	sleep(*(unsigned int *)arg);
	exit(0);
}

int main(int argc, char **argv)
{
	static unsigned int secs;
	pthread_t t;

	if (argc != 2 || (secs = strtoul(argv[1], NULL, 0)) == 0) {
		fprintf(stderr, "usage: leaderexit SECONDS\n");
		return 2;
	}
	if (pthread_create(&t, NULL, sleeper, &secs))
		die("pthread_create");
	printf("leaderexit pid=%d threads=1\n", getpid());
	fflush(stdout);
	pthread_exit(NULL);
}
