# SPDX-License-Identifier: GPL-2.0
#
# Replay context_switch()'s lazy-TLB rules over ftrace's sched_switch and
# sched_process_fork events, independently of lazytlb.ko, and count the
# lazy references of the processes whose comm is COMM.
#
#   awk -v COMM=pingpong -v KTHREADS="2 3 4 ..." -f lazy-from-trace.awk trace
#
# A task is a kernel thread if it is idle (pid 0), in KTHREADS (PF_KTHREAD
# when the trace started) or forked by kthreadd (pid 2) during the trace.
# A thread of COMM whose switch-out is its last appearance is exiting: it
# ran exit_mm(), which took a lazy reference on its own mm (an "exit").
#
# Prints "grabs G drops D handovers H exits E" for COMM's mm, then one
# "cpu N switches S" line per CPU seen.
function field(name,    i) {
	for (i = 1; i <= NF; i++)
		if (index($i, name "=") == 1)
			return substr($i, length(name) + 2)
	return ""
}

BEGIN {
	n = split(KTHREADS, k, " ")
	for (i = 1; i <= n; i++)
		kthread[k[i]] = 1
	kthread[0] = 1
}

/sched_process_fork:/ {
	if (field("pid") == 2)
		kthread[field("child_pid")] = 1
	next
}

/sched_switch:/ {
	cpu = -1
	for (i = 1; i <= NF; i++)
		if ($i ~ /^\[[0-9]+\]$/) {
			cpu = substr($i, 2, length($i) - 2) + 0
			break
		}
	if (cpu < 0)
		next
	nev++
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
		switches[c]++
		mine = (ev_pcomm[e] == COMM)
		# Gone for good after this switch: it exited.
		dying = mine && last_out[p] == e && !(last_in[p] > e)
		prev_user = !(p in kthread) && !dying
		next_user = !(q in kthread)
		if (dying) {
			# exit_mm()'s reference is the one this CPU holds now.
			lazy[c] = "W"
			exits++
			grabs++
		}
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
}
