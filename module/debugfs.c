// SPDX-License-Identifier: GPL-2.0
/*
 * lazytlb: /sys/kernel/debug/lazytlb/{summary,mms,cpus,retired}.
 *
 * Every file is read-only (Secure Boot lockdown refuses debugfs writes;
 * controls are module parameters) and starts with a header line naming
 * its columns. Mms are named by a stable id, never by their address.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include "lazytlb.h"
#include "lazytlb_compat.h"

static struct dentry *lazytlb_dir;

#define LAZYTLB_MM_HEADER \
	"id tgid comm users count grabs drops handovers held max_held cpus xfers exits kthread execs atomics ipis targets shot left teardown_ns scans\n"

static void lazytlb_show_row(struct seq_file *m, const struct lazytlb_row *r)
{
	char comm[TASK_COMM_LEN];
	int i;

	/* One word per column, whatever the task called itself. */
	for (i = 0; i < TASK_COMM_LEN - 1 && r->comm[i]; i++)
		comm[i] = isgraph(r->comm[i]) ? r->comm[i] : '_';
	comm[i] = '\0';
	seq_printf(m, "%llu %d %s ", r->id, r->tgid, i ? comm : "-");
	/* Unknown once no task has the mm (retired, or its tasks are gone). */
	if (r->users < 0)
		seq_puts(m, "- - ");
	else
		seq_printf(m, "%d %d ", r->users, r->count);
	seq_printf(m, "%llu %llu %llu %u ", r->grabs, r->drops, r->handovers,
		   r->held);
	if (lazytlb_shared_stats)
		seq_printf(m, "%u %u %llu", r->max_held, r->cpus, r->xfers);
	else
		seq_printf(m, "- %u -", r->cpus);
	seq_printf(m, " %u %u %u ", r->exits, r->kthread, r->execs);
	/* A lazy grab or drop is one mm_count atomic, on refcount kernels. */
	if (lazytlb_mode == LAZYTLB_MODE_REFCOUNT)
		seq_printf(m, "%llu", r->grabs + r->drops);
	else if (lazytlb_mode != LAZYTLB_MODE_UNKNOWN)
		seq_puts(m, "0");
	else
		seq_puts(m, "-");
	seq_printf(m, " %u %u %u %u %llu %u\n", r->ipis, r->targets, r->shot,
		   r->left, r->teardown_ns, r->scans);
}

/* mms: one row per live mm; the iterator walks slot indices. */
static void *lazytlb_mms_start(struct seq_file *m, loff_t *pos)
{
	if (*pos == 0)
		return SEQ_START_TOKEN;
	return *pos <= lazytlb_table_size() ? pos : NULL;
}

static void *lazytlb_mms_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return lazytlb_mms_start(m, pos);
}

static void lazytlb_seq_stop(struct seq_file *m, void *v)
{
}

static int lazytlb_mms_show(struct seq_file *m, void *v)
{
	struct lazytlb_row row;

	if (v == SEQ_START_TOKEN) {
		seq_puts(m, LAZYTLB_MM_HEADER);
		return 0;
	}
	if (lazytlb_row_of_slot(*(loff_t *)v - 1, &row))
		lazytlb_show_row(m, &row);
	return 0;
}

static const struct seq_operations lazytlb_mms_sops = {
	.start = lazytlb_mms_start,
	.next = lazytlb_mms_next,
	.stop = lazytlb_seq_stop,
	.show = lazytlb_mms_show,
};

static int lazytlb_mms_open(struct inode *inode, struct file *file)
{
	lazytlb_refresh_owners();
	return seq_open(file, &lazytlb_mms_sops);
}

static const struct file_operations lazytlb_mms_fops = {
	.owner = THIS_MODULE,
	.open = lazytlb_mms_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release,
};

/*
 * retired: the ring, oldest first, from the oldest row kept when the file
 * was opened, so that a reader in small chunks sees a contiguous run of
 * retirements, those since its open included; it stops early at a row
 * overwritten before it got there.
 */
struct lazytlb_retired_iter {
	u64 first;
	struct lazytlb_row row;
};

static void *lazytlb_retired_start(struct seq_file *m, loff_t *pos)
{
	struct lazytlb_retired_iter *it = m->private;

	if (*pos == 0)
		return SEQ_START_TOKEN;
	return lazytlb_retired_row(it->first + *pos - 1, &it->row) ?
	       &it->row : NULL;
}

static void *lazytlb_retired_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return lazytlb_retired_start(m, pos);
}

static int lazytlb_retired_show(struct seq_file *m, void *v)
{
	if (v == SEQ_START_TOKEN)
		seq_puts(m, LAZYTLB_MM_HEADER);
	else
		lazytlb_show_row(m, v);
	return 0;
}

static const struct seq_operations lazytlb_retired_sops = {
	.start = lazytlb_retired_start,
	.next = lazytlb_retired_next,
	.stop = lazytlb_seq_stop,
	.show = lazytlb_retired_show,
};

static int lazytlb_retired_open(struct inode *inode, struct file *file)
{
	struct lazytlb_retired_iter *it;

	it = __seq_open_private(file, &lazytlb_retired_sops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->first = lazytlb_retired_first();
	return 0;
}

static const struct file_operations lazytlb_retired_fops = {
	.owner = THIS_MODULE,
	.open = lazytlb_retired_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release_private,
};

static int lazytlb_cpus_show(struct seq_file *m, void *v)
{
	int cpu;

	seq_puts(m, "cpu switches grabs drops handovers xfers exits kthread execs unexplained untracked lazy_id\n");
	for_each_online_cpu(cpu) {
		struct lazytlb_cpu *pc = per_cpu_ptr(&lazytlb_cpu, cpu);
		bool holds;
		struct lazytlb_slot *s = lazytlb_cpu_held(cpu, &holds);

		seq_printf(m, "%d %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu ",
			   cpu, READ_ONCE(pc->switches), READ_ONCE(pc->grabs),
			   READ_ONCE(pc->drops), READ_ONCE(pc->handovers),
			   READ_ONCE(pc->xfers), READ_ONCE(pc->exits),
			   READ_ONCE(pc->kthread), READ_ONCE(pc->execs),
			   READ_ONCE(pc->unexplained), READ_ONCE(pc->untracked));
		/* lazy_id: "-" none, 0 an mm without a row. */
		if (!holds)
			seq_puts(m, "-\n");
		else
			seq_printf(m, "%llu\n", s ? READ_ONCE(s->id) : 0);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(lazytlb_cpus);

static int lazytlb_summary_show(struct seq_file *m, void *v)
{
	struct lazytlb_cpu sum = {};
	struct lazytlb_table_stats ts;
	u64 held = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct lazytlb_cpu *pc = per_cpu_ptr(&lazytlb_cpu, cpu);
		bool holds;

		sum.switches += READ_ONCE(pc->switches);
		sum.grabs += READ_ONCE(pc->grabs);
		sum.drops += READ_ONCE(pc->drops);
		sum.handovers += READ_ONCE(pc->handovers);
		sum.xfers += READ_ONCE(pc->xfers);
		sum.exits += READ_ONCE(pc->exits);
		sum.kthread += READ_ONCE(pc->kthread);
		sum.execs += READ_ONCE(pc->execs);
		sum.unexplained += READ_ONCE(pc->unexplained);
		sum.untracked += READ_ONCE(pc->untracked);
		sum.scans += READ_ONCE(pc->scans);
		sum.shoot_targets += READ_ONCE(pc->shoot_targets);
		sum.shoot_ipis += READ_ONCE(pc->shoot_ipis);
		sum.shoot_held += READ_ONCE(pc->shoot_held);
		sum.left += READ_ONCE(pc->left);
		sum.hotplug += READ_ONCE(pc->hotplug);
		lazytlb_cpu_held(cpu, &holds);
		held += holds;
	}
	lazytlb_table_stats(&ts);

	seq_puts(m, "key value\n");
	seq_printf(m, "version %s\n", THIS_MODULE->version);
	seq_printf(m, "enabled %d\n", lazytlb_on());
	seq_printf(m, "shared_stats %d\n", lazytlb_shared_stats);
	seq_printf(m, "mode %s\n", lazytlb_mode_name());
	seq_printf(m, "mode_votes refcount=%d,shootdown=%d,neither=%d\n",
		   lazytlb_mode_votes[LAZYTLB_MODE_REFCOUNT],
		   lazytlb_mode_votes[LAZYTLB_MODE_SHOOTDOWN],
		   lazytlb_mode_votes[LAZYTLB_MODE_UNKNOWN]);
	seq_printf(m, "lazy_helpers %d\n", LAZYTLB_HAVE_LAZY_HELPERS);
	seq_printf(m, "kprobes_missed %lu\n", lazytlb_hooks_show(m));
	lazytlb_missed_show(m);
	seq_printf(m, "cpus %u\n", num_online_cpus());
	seq_printf(m, "table_size %u\n", lazytlb_table_size());
	seq_printf(m, "memory_bytes %zu\n", lazytlb_table_bytes());
	seq_printf(m, "live_mms %llu\n", ts.live);
	seq_printf(m, "overflow_mms %llu\n", ts.overflow);
	seq_printf(m, "retired_mms %llu\n", ts.retired);
	seq_printf(m, "retired_overwritten %llu\n", ts.overwritten);
	seq_printf(m, "switches %llu\n", sum.switches);
	seq_printf(m, "grabs %llu\n", sum.grabs);
	seq_printf(m, "drops %llu\n", sum.drops);
	seq_printf(m, "handovers %llu\n", sum.handovers);
	seq_printf(m, "held %llu\n", held);
	seq_printf(m, "xfers %llu\n", sum.xfers);
	seq_printf(m, "exits %llu\n", sum.exits);
	seq_printf(m, "kthread %llu\n", sum.kthread);
	seq_printf(m, "execs %llu\n", sum.execs);
	seq_printf(m, "hotplug %llu\n", sum.hotplug);
	seq_printf(m, "unexplained %llu\n", sum.unexplained);
	seq_printf(m, "untracked %llu\n", sum.untracked);
	if (lazytlb_mode == LAZYTLB_MODE_REFCOUNT)
		seq_printf(m, "atomics %llu\n", sum.grabs + sum.drops);
	else
		seq_printf(m, "atomics %s\n",
			   lazytlb_mode != LAZYTLB_MODE_UNKNOWN ? "0" : "-");
	seq_printf(m, "shootdowns %llu\n", ts.shootdowns);
	seq_printf(m, "shootdown_ipis %llu\n", sum.shoot_ipis);
	seq_printf(m, "shootdown_targets %llu\n", sum.shoot_targets);
	seq_printf(m, "shootdown_held %llu\n", sum.shoot_held);
	seq_printf(m, "shootdown_ns %llu\n", ts.teardown_ns);
	seq_printf(m, "teardown_scans %llu\n", sum.scans);
	seq_printf(m, "left %llu\n", sum.left);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(lazytlb_summary);

int lazytlb_debugfs_init(void)
{
	struct dentry *dir;

	dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (IS_ERR(dir)) {
		pr_err("cannot create debugfs directory: error %ld\n",
		       PTR_ERR(dir));
		return PTR_ERR(dir);
	}
	debugfs_create_file("summary", 0444, dir, NULL, &lazytlb_summary_fops);
	debugfs_create_file("mms", 0444, dir, NULL, &lazytlb_mms_fops);
	debugfs_create_file("cpus", 0444, dir, NULL, &lazytlb_cpus_fops);
	debugfs_create_file("retired", 0444, dir, NULL, &lazytlb_retired_fops);
	lazytlb_dir = dir;
	return 0;
}

void lazytlb_debugfs_exit(void)
{
	debugfs_remove_recursive(lazytlb_dir);
}
