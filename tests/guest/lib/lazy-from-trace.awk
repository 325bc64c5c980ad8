# SPDX-License-Identifier: GPL-2.0
#
# Replay context_switch()'s lazy-TLB rules over ftrace's sched_switch,
# sched_process_fork and sched_process_exit events, independently of
# lazytlb.ko, and count the lazy references of the processes whose comm
# is COMM.
#
#   awk -v COMM=pingpong -v KTHREADS="2 3 4 ..." -v EXIT_AFTER_MM=1|0 \
#       -f lazy-from-trace.awk trace
#
# A task is a kernel thread if it is idle (pid 0), in KTHREADS (PF_KTHREAD
# when the trace started) or forked by kthreadd (pid 2) during the trace.
#
# An exiting task's exit_mm() takes a lazy reference on its own mm (an
# "exit") and leaves the task without an mm until its last switch. Where
# that happens depends on the kernel, so the caller says which one runs
# (it reads the tracepoint's format file, see module.sh):
#   EXIT_AFTER_MM=1  sched_process_exit fires just after exit_mm() (6.1 to
#                    6.x: trace_sched_process_exit(tsk)): the event marks
#                    the exit, on the CPU it fired on; later switch-outs
#                    of that task are those of a task without an mm.
#   EXIT_AFTER_MM=0  it fires before exit_mm() (7.x:
#                    trace_sched_process_exit(tsk, group_dead), with a
#                    group_dead field): exit_mm() is somewhere between the
#                    event and the task's last switch-out, which is taken
#                    as the exit (a thread preempted in between is off by
#                    one switch).
# Unset, it is 0, and the exit events are only counted.
#
# Prints "grabs G drops D handovers H exits E" for COMM's mm, then one
# "cpu N switches S" line per CPU seen, then "exit_events X" (COMM's
# sched_process_exit events seen).
function field(name,    i) {
	for (i = 1; i <= NF; i++)
		if (index($i, name "=") == 1)
			return substr($i, length(name) + 2)
	return ""
}

function event_cpu(    i) {
	for (i = 1; i <= NF; i++)
		if ($i ~ /^\[[0-9]+\]$/)
			return substr($i, 2, length($i) - 2) + 0
	return -1
}

BEGIN {
	n = split(KTHREADS, k, " ")
	for (i = 1; i <= n; i++)
		kthread[k[i]] = 1
	kthread[0] = 1
	EXIT_AFTER_MM += 0
}

/sched_process_fork:/ {
	if (field("pid") == 2)
		kthread[field("child_pid")] = 1
	nev++
	ev_type[nev] = "fork"
	ev_next[nev] = field("child_pid")
	next
}

/sched_process_exit:/ {
	cpu = event_cpu()
	if (cpu < 0)
		next
	nev++
	ev_type[nev] = "exit"
	ev_cpu[nev] = cpu
	ev_prev[nev] = field("pid")
	ev_pcomm[nev] = field("comm")
	next
}

/sched_switch:/ {
	cpu = event_cpu()
	if (cpu < 0)
		next
	nev++
	ev_type[nev] = "switch"
	ev_cpu[nev] = cpu
	ev_prev[nev] = field("prev_pid")
	ev_next[nev] = field("next_pid")
	ev_pcomm[nev] = field("prev_comm")
	last_out[ev_prev[nev]] = nev
	last_in[ev_next[nev]] = nev
}

END {
	for (e = 1; e <= nev; e++) {
		c = ev_cpu[e]; p = ev_prev[e]; q = ev_next[e]
		mine = (ev_pcomm[e] == COMM)
		if (ev_type[e] == "fork") {
			delete gone[q]	# a reused pid is a new task
			continue
		}
		if (ev_type[e] == "exit") {
			if (mine)
				exit_events++
			if (!EXIT_AFTER_MM || (p in kthread))
				continue
			# exit_mm() just ran here: the task holds its own mm lazily.
			gone[p] = 1
			lazy[c] = mine ? "W" : "other"
			if (mine) {
				exits++
				grabs++
			}
			continue
		}
		switches[c]++
		dying = 0
		if (!EXIT_AFTER_MM) {
			# Gone for good after this switch: it exited.
			dying = mine && last_out[p] == e && !(last_in[p] > e)
			if (dying) {
				# exit_mm()'s reference is the one this CPU holds now.
				lazy[c] = "W"
				exits++
				grabs++
			}
		}
		prev_user = !(p in kthread) && !dying && !(p in gone)
		next_user = !(q in kthread) && !(q in gone)
		if (prev_user && !next_user) {
			lazy[c] = mine ? "W" : "other"
			if (mine)
				grabs++
		} else if (!prev_user && !next_user) {
			if (lazy[c] == "W")
				handovers++
		} else if (!prev_user && next_user) {
			if (lazy[c] == "W")
				drops++
			lazy[c] = ""
		}
	}
	printf "grabs %d drops %d handovers %d exits %d\n", grabs, drops, handovers, exits
	for (c in switches)
		printf "cpu %d switches %d\n", c, switches[c]
	printf "exit_events %d\n", exit_events
}
