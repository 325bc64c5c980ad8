// SPDX-License-Identifier: GPL-2.0
/*
 * chunkread: copy a file to stdout in reads of CHUNK bytes with a pause
 * between them, as a slow reader of a file that changes meanwhile.
 *
 *   chunkread [-w] FILE CHUNK MILLISECONDS
 *     -w   open FILE only once SIGUSR1 arrives (start now, read later)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "workload.h"

int main(int argc, char **argv)
{
	int fd, sig, wait_sig = 0;
	sigset_t usr1;
	size_t chunk;
	char *buf;
	ssize_t n;
	long ms;

	if (argc > 1 && !strcmp(argv[1], "-w")) {
		wait_sig = 1;
		argv++;
		argc--;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: chunkread [-w] FILE CHUNK MILLISECONDS\n");
		return 2;
	}
	chunk = strtoul(argv[2], NULL, 0);
	ms = strtol(argv[3], NULL, 0);
	buf = malloc(chunk ? chunk : 1);
	if (!buf)
		die("malloc");
	if (wait_sig) {
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigprocmask(SIG_BLOCK, &usr1, NULL);
		if (sigwait(&usr1, &sig))
			die("sigwait");
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		die(argv[1]);
	while ((n = read(fd, buf, chunk)) > 0) {
		if (write(1, buf, n) != n)
			die("write");
		usleep(ms * 1000);
	}
	if (n < 0)
		die("read");
	return 0;
}
