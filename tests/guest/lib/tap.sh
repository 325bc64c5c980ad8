# SPDX-License-Identifier: GPL-2.0
# TAP helpers for the guest suites (busybox sh). Sourced.
tap_n=0
tap_failed=0
ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}
not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $*"
}
# check DESCRIPTION COMMAND...: ok if the command succeeds.
check() {
	_desc=$1
	shift
	if "$@"; then ok "$_desc"; else not_ok "$_desc"; fi
}
diag() {
	echo "# $*"
}
# Lines of the kernel log that mean the kernel is unhappy.
dmesg_bad() {
	dmesg | grep -E 'WARNING:|BUG:|Oops|KASAN|general protection|possible (recursive|circular|irq)|inconsistent lock state|INFO: task .* blocked|RCU stall|refcount_t:|list_(add|del) corruption|Call Trace'
}
tap_done() {
	[ "$tap_failed" -eq 0 ]
}

D=/sys/kernel/debug/lazytlb

# field FILE KEYCOL KEY NAME [COMM]: column NAME of the last row whose
# column KEYCOL equals KEY (and whose comm is COMM, if given), using the
# file's header line for column names. Last, because a forked copy of an
# mm has the same tgid as the exec'd one that replaced it.
field() {
	awk -v kc="$2" -v key="$3" -v name="$4" -v comm="${5:-}" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$col[kc] == key && (comm == "" || $col["comm"] == comm) { v = $col[name] }
		END { print v }' "$1"
}
# summary KEY
summary() {
	awk -v k="$1" '$1 == k { print $2 }' $D/summary
}
# sumvar VAR KEY: VAR=the summary's KEY, read by the shell itself: no
# process starts or ends (and frees an mm) while it reads.
sumvar() {
	while read -r _k _v _r; do
		[ "$_k" = "$2" ] && eval "$1=\$_v"
	done <$D/summary
}

NCPU=$(nproc)

# Run a user task on every CPU: an idle CPU drops the mm it holds lazily.
flush_lazy() {
	for _c in $(seq 0 $((NCPU - 1))); do taskset -c "$_c" true; done
}

# retire_wait TGID COMM [TRIES]: flush lazy references until the mm of
# process TGID named COMM shows in retired (freed), at most TRIES rounds.
retire_wait() {
	_i=0
	while [ $_i -lt "${3:-100}" ] && [ -z "$(field $D/retired tgid "$1" id "$2")" ]; do
		flush_lazy
		_i=$((_i + 1))
	done
}

# start_quiet ROUNDS: pingpong with every task parked on its CPU when done,
# this shell confined to CPU 0, so that the other CPUs, whose last user
# task was a now sleeping pingpong thread, keep holding its mm lazily.
# Sets quiet_pid (the process) and quiet_job (the shell's job).
start_quiet() {
	taskset -p 1 $$ >/dev/null
	rm -f /tmp/quiet.out
	./pingpong -p "$((NCPU / 2))" -n "$1" -s -q >/tmp/quiet.out &
	quiet_job=$!
	_i=0
	while [ $_i -lt 300 ] && ! [ -s /tmp/quiet.out ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	quiet_pid=$(sed -n 's/.*pid=\([0-9]*\) .*/\1/p' /tmp/quiet.out)
}

stop_quiet() {
	kill "$quiet_job"
	wait "$quiet_job" 2>/dev/null
	taskset -p "$(printf %x $(((1 << NCPU) - 1)))" $$ >/dev/null
}

# exit_after_mm FORMAT: 1 if the sched_process_exit tracepoint whose tracefs
# format file is FORMAT fires after exit_mm() (6.x: no group_dead field), 0
# if before (7.x: trace_sched_process_exit(tsk, group_dead) moved ahead of
# exit_mm()). Decided from what the running kernel says, not its version.
exit_after_mm() {
	if grep -q 'field:.* group_dead;' "$1"; then echo 0; else echo 1; fi
}
