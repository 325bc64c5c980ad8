// SPDX-License-Identifier: GPL-2.0
/*
 * lazytlb-stat: the mms with the most lazy-TLB reference traffic.
 *
 *   lazytlb-stat [-n ROWS] [-w [SECONDS]] [-r] [--json] [-D DIR]
 *     -n ROWS     rows to print (default 20)
 *     -w SECONDS  refresh like top (default every 2 s)
 *     -r          the retired (freed) mms instead of the live ones
 *     --json      one JSON object: summary and rows
 *     -D DIR      read DIR instead of /sys/kernel/debug/lazytlb
 *
 * Traffic is grabs + drops: the atomics a refcounting kernel does on
 * mm_count for lazy references. Columns are found by the files' headers.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_COLS	32
#define MAX_FIELD	64

struct row {
	char f[MAX_COLS][MAX_FIELD];
	unsigned long long traffic;
};

struct table {
	int ncols;
	char cols[MAX_COLS][MAX_FIELD];
	struct row *rows;
	size_t nrows;
};

static const char *dir = "/sys/kernel/debug/lazytlb";

static int split(char *line, char out[][MAX_FIELD])
{
	int n = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(line, " \t\n", &save); tok && n < MAX_COLS;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		snprintf(out[n], MAX_FIELD, "%s", tok);
		n++;
	}
	return n;
}

static int col(const struct table *t, const char *name)
{
	int i;

	for (i = 0; i < t->ncols; i++)
		if (!strcmp(t->cols[i], name))
			return i;
	return -1;
}

static int read_table(const char *file, struct table *t)
{
	char path[4096], line[1024];
	int g, d;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "lazytlb-stat: %s: %s%s\n", path, strerror(errno),
			errno == ENOENT ?
			" (is lazytlb.ko loaded and debugfs mounted?)" : "");
		return -1;
	}
	memset(t, 0, sizeof(*t));
	if (!fgets(line, sizeof(line), f)) {
		fprintf(stderr, "lazytlb-stat: %s: empty\n", path);
		fclose(f);
		return -1;
	}
	t->ncols = split(line, t->cols);
	g = col(t, "grabs");
	d = col(t, "drops");
	if (g < 0 || d < 0) {
		fprintf(stderr, "lazytlb-stat: %s: no grabs/drops columns\n", path);
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct row *r;

		t->rows = realloc(t->rows, (t->nrows + 1) * sizeof(*t->rows));
		if (!t->rows) {
			fprintf(stderr, "lazytlb-stat: out of memory\n");
			exit(1);
		}
		r = &t->rows[t->nrows];
		if (split(line, r->f) != t->ncols)
			continue;
		r->traffic = strtoull(r->f[g], NULL, 10) + strtoull(r->f[d], NULL, 10);
		t->nrows++;
	}
	fclose(f);
	return 0;
}

static int by_traffic(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->traffic < y->traffic ? 1 : x->traffic > y->traffic ? -1 : 0;
}

static int print_summary(int json)
{
	char path[4096], line[256], kv[MAX_COLS][MAX_FIELD];
	int first = 1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/summary", dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "lazytlb-stat: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!fgets(line, sizeof(line), f)) {	/* header */
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (split(line, kv) != 2)
			continue;
		if (json) {
			char *end;

			strtoull(kv[1], &end, 10);
			printf("%s\"%s\": ", first ? "" : ", ", kv[0]);
			printf(*end ? "\"%s\"" : "%s", kv[1]);
			first = 0;
		} else if (!strcmp(kv[0], "grabs") || !strcmp(kv[0], "drops") ||
			   !strcmp(kv[0], "handovers") || !strcmp(kv[0], "held") ||
			   !strcmp(kv[0], "live_mms") || !strcmp(kv[0], "overflow_mms") ||
			   !strcmp(kv[0], "mode")) {
			printf("%s %s  ", kv[0], kv[1]);
		}
	}
	if (!json)
		printf("\n");
	fclose(f);
	return 0;
}

static int show(const char *file, long nrows, int json)
{
	struct table t;
	size_t i;
	int c;

	if (read_table(file, &t))
		return -1;
	qsort(t.rows, t.nrows, sizeof(*t.rows), by_traffic);
	if ((size_t)nrows > t.nrows)
		nrows = t.nrows;
	if (json) {
		printf("{\"summary\": {");
		if (print_summary(1))
			return -1;
		printf("},\n \"%s\": [", file);
		for (i = 0; i < (size_t)nrows; i++) {
			printf("%s\n  {", i ? "," : "");
			for (c = 0; c < t.ncols; c++) {
				char *end;
				const char *v = t.rows[i].f[c];

				strtoll(v, &end, 10);
				printf("%s\"%s\": ", c ? ", " : "", t.cols[c]);
				if (!strcmp(v, "-"))
					printf("null");	/* not known */
				else
					printf(*end || !*v ? "\"%s\"" : "%s", v);
			}
			printf("}");
		}
		printf("\n]}\n");
	} else {
		int width[MAX_COLS];

		/* Each column as wide as its widest cell; comm left-aligned. */
		for (c = 0; c < t.ncols; c++) {
			width[c] = strlen(t.cols[c]);
			for (i = 0; i < (size_t)nrows; i++)
				if ((int)strlen(t.rows[i].f[c]) > width[c])
					width[c] = strlen(t.rows[i].f[c]);
			if (!strcmp(t.cols[c], "comm"))
				width[c] = -width[c];
		}
		for (c = 0; c < t.ncols; c++)
			printf("%s%*s", c ? " " : "", width[c], t.cols[c]);
		printf("\n");
		for (i = 0; i < (size_t)nrows; i++) {
			for (c = 0; c < t.ncols; c++)
				printf("%s%*s", c ? " " : "", width[c], t.rows[i].f[c]);
			printf("\n");
		}
		if (print_summary(0))
			return -1;
	}
	free(t.rows);
	return 0;
}

static void print_usage(void)
{
	fputs("usage: lazytlb-stat [-n ROWS] [-w [SECONDS]] [-r] [--json] [-D DIR]\n",
	      stderr);
	exit(2);
}

static long number(const char *s, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min) {
		fprintf(stderr, "lazytlb-stat: '%s' is not an integer >= %ld\n",
			s, min);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long nrows = 20, interval = 0;
	const char *file = "mms";
	int json = 0, opt;

	while ((opt = getopt_long(argc, argv, "n:w::rD:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			nrows = number(optarg, 1);
			break;
		case 'w':
			if (!optarg && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			interval = optarg ? number(optarg, 1) : 2;
			break;
		case 'r':
			file = "retired";
			break;
		case 'j':
			json = 1;
			break;
		case 'D':
			dir = optarg;
			break;
		default:
			print_usage();
		}
	}
	if (optind != argc)
		print_usage();
	if (!interval)
		return show(file, nrows, json) ? 1 : 0;
	for (;;) {
		printf("\033[H\033[2J");
		if (show(file, nrows, json))
			return 1;
		fflush(stdout);
		sleep(interval);
	}
}
