// SPDX-License-Identifier: GPL-2.0
/*
 * lazytlb-bpf: count lazy-TLB mm references per mm with BPF, the way
 * lazytlb.ko does, and print the module's mms and retired tables.
 *
 *   lazytlb-bpf [-d SECONDS] [-p PID] [-m MAX_MMS] [-r RETIRED_MAX]
 *               [-s] [--json] [-v]
 *
 * Counts from start until Ctrl-C (SIGINT/SIGTERM) or for -d SECONDS, then
 * prints the live mms, the retired (freed) mms and a summary.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lazytlb.h"
#include "lazytlb.skel.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define LAZYTLB_MM_HEADER \
	"id tgid comm users count grabs drops handovers held max_held cpus xfers exits kthread execs"

static struct env {
	double duration;
	int pid;
	unsigned int max_mms;
	unsigned int retired_max;
	bool no_shared;
	bool json;
	bool verbose;
} env = {
	.max_mms = 4096,
	.retired_max = 4096,
};

const char *argp_program_version = "lazytlb-bpf 0.1.0";
static const char doc[] =
"Count lazy-TLB mm references per mm with BPF, like lazytlb.ko.\n"
"\n"
"Counts until Ctrl-C or -d SECONDS, then prints the live mms, the retired\n"
"(freed) mms and a summary, with the columns of the module's debugfs files.\n"
"\n"
"EXAMPLES:\n"
"    lazytlb-bpf             # count until Ctrl-C\n"
"    lazytlb-bpf -d 10 -p 42 # 10 seconds, only the mms of process 42\n"
"    lazytlb-bpf --json      # one JSON object, for scripts\n";

#define OPT_JSON 1000

static const struct argp_option opts[] = {
	{ "duration", 'd', "SECONDS", 0, "Count for this long, then print" },
	{ "pid", 'p', "PID", 0, "Print only the mms of this process (tgid)" },
	{ "max-mms", 'm', "N", 0, "Live mms the map holds (default 4096)" },
	{ "retired-max", 'r', "N", 0, "Retired rows kept, oldest dropped first (default 4096)" },
	{ "no-shared-stats", 's', NULL, 0, "Do not track max_held and xfers (as shared_stats=0)" },
	{ "json", OPT_JSON, NULL, 0, "Print JSON" },
	{ "verbose", 'v', NULL, 0, "Print libbpf debug messages" },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show the full help" },
	{},
};

static unsigned long parse_num(const char *arg, struct argp_state *state,
			       unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || v < min || v > max)
		argp_error(state, "'%s' is not a number in [%lu, %lu]", arg,
			   min, max);
	return v;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	char *end;

	switch (key) {
	case 'd':
		errno = 0;
		env.duration = strtod(arg, &end);
		if (errno || end == arg || *end || env.duration <= 0)
			argp_error(state, "bad duration '%s'", arg);
		break;
	case 'p':
		env.pid = parse_num(arg, state, 1, 0x7fffffff);
		break;
	case 'm':
		env.max_mms = parse_num(arg, state, 16, 1 << 20);
		break;
	case 'r':
		env.retired_max = parse_num(arg, state, 16, 1 << 20);
		break;
	case 's':
		env.no_shared = true;
		break;
	case OPT_JSON:
		env.json = true;
		break;
	case 'v':
		env.verbose = true;
		break;
	case 'h':
		argp_state_help(state, stderr, ARGP_HELP_STD_HELP);
		break;
	case ARGP_KEY_ARG:
		argp_usage(state);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int libbpf_print_fn(enum libbpf_print_level level, const char *format,
			   va_list args)
{
	if (level == LIBBPF_DEBUG && !env.verbose)
		return 0;
	return vfprintf(stderr, format, args);
}

static volatile sig_atomic_t exiting;

static void sig_handler(int sig)
{
	exiting = 1;
}

/* Retired rows: a ring of the last env.retired_max, oldest first. */
static struct lazytlb_mm *ring;
static unsigned long long ring_head;

static int handle_retired(void *ctx, void *data, size_t len)
{
	if (len < sizeof(struct lazytlb_mm))
		return 0;
	memcpy(&ring[ring_head++ % env.retired_max], data,
	       sizeof(struct lazytlb_mm));
	return 0;
}

/* Run one task iterator to its end. */
static int run_iter(struct bpf_program *prog)
{
	struct bpf_link *link;
	char buf[64];
	int fd, n;

	link = bpf_program__attach_iter(prog, NULL);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		n = -errno;
		bpf_link__destroy(link);
		return n;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	n = n < 0 ? -errno : 0;
	close(fd);
	bpf_link__destroy(link);
	return n;
}

static int cmp_id(const void *a, const void *b)
{
	const struct lazytlb_mm *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static unsigned int popcount_mask(const struct lazytlb_mm *r)
{
	unsigned int n = 0;
	int i;

	for (i = 0; i < LAZYTLB_MASK_WORDS; i++)
		n += __builtin_popcountll(r->cpumask[i]);
	return n;
}

/* One word per column, whatever the task called itself. */
static void clean_comm(const struct lazytlb_mm *r, char *comm)
{
	int i;

	for (i = 0; i < LAZYTLB_COMM_LEN - 1 && r->comm[i]; i++) {
		char c = r->comm[i];

		/* isgraph() in the C locale; JSON strings need two more. */
		if (c <= ' ' || c >= 127 || (env.json && (c == '"' || c == '\\')))
			c = '_';
		comm[i] = c;
	}
	comm[i] = '\0';
	if (!i)
		snprintf(comm, LAZYTLB_COMM_LEN, "-");
}

static void print_row(const struct lazytlb_mm *r, bool live, __u32 pass,
		      bool first)
{
	bool known = r->seen && (!live || r->seen == pass);
	bool shared = !env.no_shared;
	char comm[LAZYTLB_COMM_LEN];
	int held = r->held < 0 ? 0 : r->held;

	clean_comm(r, comm);
	if (env.json) {
		printf("%s\n    {\"id\": %llu, \"tgid\": %d, \"comm\": \"%s\", ",
		       first ? "" : ",", (unsigned long long)r->id, r->tgid,
		       comm);
		if (known)
			printf("\"users\": %d, \"count\": %d, ", r->users,
			       r->count);
		else
			printf("\"users\": null, \"count\": null, ");
		printf("\"grabs\": %llu, \"drops\": %llu, \"handovers\": %llu, \"held\": %d, ",
		       (unsigned long long)r->grabs,
		       (unsigned long long)r->drops,
		       (unsigned long long)r->handovers, held);
		if (shared)
			printf("\"max_held\": %d, ", r->max_held);
		else
			printf("\"max_held\": null, ");
		if (r->cpus_unknown)
			printf("\"cpus\": null, ");
		else
			printf("\"cpus\": %u, ", popcount_mask(r));
		if (shared)
			printf("\"xfers\": %llu, ",
			       (unsigned long long)r->xfers);
		else
			printf("\"xfers\": null, ");
		printf("\"exits\": %u, \"kthread\": %u, \"execs\": %u}",
		       r->exits, r->kthread, r->execs);
		return;
	}
	printf("%llu %d %s ", (unsigned long long)r->id, r->tgid, comm);
	if (known)
		printf("%d %d ", r->users, r->count);
	else
		printf("- - ");
	printf("%llu %llu %llu %d ", (unsigned long long)r->grabs,
	       (unsigned long long)r->drops,
	       (unsigned long long)r->handovers, held);
	if (shared)
		printf("%d ", r->max_held);
	else
		printf("- ");
	if (r->cpus_unknown)
		printf("- ");
	else
		printf("%u ", popcount_mask(r));
	if (shared)
		printf("%llu", (unsigned long long)r->xfers);
	else
		printf("-");
	printf(" %u %u %u\n", r->exits, r->kthread, r->execs);
}

static void print_rows(const char *name, struct lazytlb_mm *rows, size_t n,
		       bool live, __u32 pass)
{
	bool first = true;
	size_t i;

	if (env.json)
		printf("  \"%s\": [", name);
	else
		printf("%s:\n%s\n", name, LAZYTLB_MM_HEADER);
	for (i = 0; i < n; i++) {
		if (env.pid && rows[i].tgid != env.pid)
			continue;
		print_row(&rows[i], live, pass, first);
		first = false;
	}
	if (env.json)
		printf("%s],\n", first ? "" : "\n  ");
	else
		printf("\n");
}

static void print_summary(struct lazytlb_bpf *skel,
			  const struct lazytlb_cpu *sum, size_t live,
			  unsigned long long overwritten)
{
	const struct {
		const char *key;
		unsigned long long v;
	} kv[] = {
		{ "switches", sum->switches },
		{ "grabs", sum->grabs },
		{ "drops", sum->drops },
		{ "handovers", sum->handovers },
		{ "xfers", sum->xfers },
		{ "exits", sum->exits },
		{ "kthread", sum->kthread },
		{ "execs", sum->execs },
		{ "unexplained", sum->unexplained },
		{ "untracked", sum->untracked },
		{ "live_mms", live },
		{ "overflow_mms", skel->bss->stats[LAZYTLB_STAT_OVERFLOW] },
		{ "retired_mms", skel->bss->stats[LAZYTLB_STAT_RETIRED] },
		{ "retired_lost", skel->bss->stats[LAZYTLB_STAT_RETIRED_LOST] },
		{ "retired_overwritten", overwritten },
	};
	size_t i;

	if (env.json)
		printf("  \"summary\": {");
	else
		printf("summary:\nkey value\n");
	for (i = 0; i < ARRAY_SIZE(kv); i++) {
		if (env.json)
			printf("%s\"%s\": %llu", i ? ", " : "", kv[i].key,
			       kv[i].v);
		else
			printf("%s %llu\n", kv[i].key, kv[i].v);
	}
	if (env.json)
		printf("}\n}\n");
}

static int dump(struct lazytlb_bpf *skel, __u32 pass)
{
	int fd = bpf_map__fd(skel->maps.mms);
	int cfd = bpf_map__fd(skel->maps.cpus);
	struct lazytlb_mm *live, *old;
	struct lazytlb_cpu sum = {}, *pcs;
	unsigned long long first;
	__u64 key, *prev = NULL;
	size_t n = 0, nold;
	__u32 zero = 0;
	int ncpus, i;

	live = calloc(env.max_mms, sizeof(*live));
	ncpus = libbpf_num_possible_cpus();
	pcs = calloc(ncpus > 0 ? ncpus : 1, sizeof(*pcs));
	if (!live || !pcs || ncpus <= 0) {
		fprintf(stderr, "lazytlb-bpf: out of memory\n");
		return 1;
	}
	while (n < env.max_mms && !bpf_map_get_next_key(fd, prev, &key)) {
		if (!bpf_map_lookup_elem(fd, &key, &live[n]))
			n++;
		prev = &key;
	}
	qsort(live, n, sizeof(*live), cmp_id);

	first = ring_head > env.retired_max ? ring_head - env.retired_max : 0;
	nold = ring_head - first;
	old = calloc(nold ? nold : 1, sizeof(*old));
	if (!old) {
		fprintf(stderr, "lazytlb-bpf: out of memory\n");
		return 1;
	}
	for (i = 0; i < (int)nold; i++)
		old[i] = ring[(first + i) % env.retired_max];

	if (!bpf_map_lookup_elem(cfd, &zero, pcs)) {
		for (i = 0; i < ncpus; i++) {
			sum.switches += pcs[i].switches;
			sum.grabs += pcs[i].grabs;
			sum.drops += pcs[i].drops;
			sum.handovers += pcs[i].handovers;
			sum.xfers += pcs[i].xfers;
			sum.exits += pcs[i].exits;
			sum.kthread += pcs[i].kthread;
			sum.execs += pcs[i].execs;
			sum.unexplained += pcs[i].unexplained;
			sum.untracked += pcs[i].untracked;
		}
	}

	if (env.json)
		printf("{\n");
	print_rows("mms", live, n, true, pass);
	print_rows("retired", old, nold, false, pass);

	print_summary(skel, &sum, n, first);
	fflush(stdout);
	free(live);
	free(old);
	free(pcs);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		.options = opts,
		.parser = parse_arg,
		.doc = doc,
	};
	struct ring_buffer *rb = NULL;
	struct lazytlb_bpf *skel;
	struct timespec t0, t;
	int err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return err;
	libbpf_set_print(libbpf_print_fn);

	ring = calloc(env.retired_max, sizeof(*ring));
	if (!ring) {
		fprintf(stderr, "lazytlb-bpf: out of memory\n");
		return 1;
	}

	skel = lazytlb_bpf__open();
	if (!skel) {
		fprintf(stderr, "lazytlb-bpf: cannot open the BPF object\n");
		return 1;
	}
	skel->rodata->shared_stats = !env.no_shared;
	bpf_map__set_max_entries(skel->maps.mms, env.max_mms);
	/* The iterators run on demand; attach() must leave them alone. */
	bpf_program__set_autoattach(skel->progs.lazytlb_populate, false);
	bpf_program__set_autoattach(skel->progs.lazytlb_refresh, false);

	err = lazytlb_bpf__load(skel);
	if (err) {
		fprintf(stderr, "lazytlb-bpf: cannot load the BPF programs: %s\n"
			"  (needs root, CONFIG_DEBUG_INFO_BTF and a kernel >= 5.12)\n",
			strerror(-err));
		goto out;
	}
	/* Table hooks first, so no mm the switch hook sees is unknown. */
	err = lazytlb_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "lazytlb-bpf: cannot attach: %s\n",
			strerror(-err));
		goto out;
	}
	err = run_iter(skel->progs.lazytlb_populate);
	if (err) {
		fprintf(stderr, "lazytlb-bpf: cannot list tasks: %s\n",
			strerror(-err));
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.retired), handle_retired,
			      NULL, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "lazytlb-bpf: cannot open the ring buffer: %s\n",
			strerror(-err));
		goto out;
	}

	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);
	fprintf(stderr, "lazytlb-bpf: attached; counting until %s\n",
		env.duration ? "the time is up" : "Ctrl-C");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!exiting) {
		err = ring_buffer__poll(rb, 100);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "lazytlb-bpf: ring buffer: %s\n",
				strerror(-err));
			goto out;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (env.duration && (t.tv_sec - t0.tv_sec) +
		    (t.tv_nsec - t0.tv_nsec) / 1e9 >= env.duration)
			break;
	}
	/* Stop counting first: the tables below are then one snapshot. */
	lazytlb_bpf__detach(skel);
	ring_buffer__consume(rb);

	skel->bss->refresh_pass = 2;
	err = run_iter(skel->progs.lazytlb_refresh);
	if (err)
		fprintf(stderr, "lazytlb-bpf: cannot refresh users/count: %s\n",
			strerror(-err));
	err = dump(skel, 2);
out:
	ring_buffer__free(rb);
	lazytlb_bpf__destroy(skel);
	free(ring);
	return err < 0 ? -err : err;
}
