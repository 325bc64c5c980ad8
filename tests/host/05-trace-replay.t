#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The ftrace replay (tests/guest/lib/lazy-from-trace.awk) on both sides of
# the 7.x move of trace_sched_process_exit() ahead of exit_mm(), with
# traces of known shape, and the guest's test that tells the two apart
# from the tracepoint's format file. No guest: a second or so.
. "$(dirname "$0")/../lib/host.sh"
awk_file=$TOP/tests/guest/lib/lazy-from-trace.awk
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sw() {	# sw CPU PREV_COMM PREV_PID NEXT_COMM NEXT_PID
	printf '%s-%s [%03d] d..2. 1.%06d: sched_switch: prev_comm=%s prev_pid=%s prev_prio=120 prev_state=S ==> next_comm=%s next_pid=%s next_prio=120\n' \
		"$2" "$3" "$1" "$RANDOM" "$2" "$3" "$4" "$5"
}
ex() {	# ex CPU COMM PID [group_dead]
	printf '%s-%s [%03d] ..... 1.%06d: sched_process_exit: comm=%s pid=%s prio=120%s\n' \
		"$2" "$3" "$1" "$RANDOM" "$2" "$3" "${4:+ group_dead=$4}"
}

# 6.x: exit_mm() ran, then the event; the thread is preempted by a kworker
# (pid 50), comes back and switches out for good to idle. Without its mm
# it is a kernel thread to context_switch(): the exit's lazy reference is
# handed over three times and dropped once.
{
	sw 1 sh 99 pingpong 100
	ex 1 pingpong 100
	sw 1 pingpong 100 kworker/1:1 50
	sw 1 kworker/1:1 50 pingpong 100
	sw 1 pingpong 100 swapper/1 0
	sw 1 swapper/1 0 sh 99
} >"$tmp/after"
# 7.x: the event, then the thread is preempted while it still has its mm
# (a grab, then a drop when it comes back), then exit_mm() (not traced),
# then its last switch-out hands the exit's reference to idle.
{
	sw 1 sh 99 pingpong 100
	ex 1 pingpong 100 1
	sw 1 pingpong 100 kworker/1:1 50
	sw 1 kworker/1:1 50 pingpong 100
	sw 1 pingpong 100 swapper/1 0
	sw 1 swapper/1 0 sh 99
} >"$tmp/before"

replay() {	# replay TRACE EXIT_AFTER_MM
	awk -v COMM=pingpong -v KTHREADS="50" -v EXIT_AFTER_MM="$2" \
		-f "$awk_file" "$1" | head -n 1
}
want_after="grabs 1 drops 1 handovers 3 exits 1"
want_before="grabs 2 drops 2 handovers 1 exits 1"
got=$(replay "$tmp/after" 1)
check "event after exit_mm (6.x), replayed as such: $got" test "$got" = "$want_after"
got=$(replay "$tmp/before" 0)
check "event before exit_mm (7.x), replayed as such: $got" test "$got" = "$want_before"
# The placement matters: each trace replayed the other way is wrong.
got=$(replay "$tmp/after" 0)
check "6.x trace replayed the 7.x way differs ($got)" test "$got" != "$want_after"
got=$(replay "$tmp/before" 1)
check "7.x trace replayed the 6.x way differs ($got)" test "$got" != "$want_before"
got=$(awk -v COMM=pingpong -v EXIT_AFTER_MM=1 -f "$awk_file" "$tmp/after" | sed -n 's/^exit_events //p')
check "exit events of COMM counted ($got)" test "$got" = 1

# The guest decides from the format file (exit_after_mm in tap.sh).
cat >"$tmp/format-6" <<'F'
name: sched_process_exit
ID: 300
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:char comm[16];	offset:8;	size:16;	signed:0;
	field:pid_t pid;	offset:24;	size:4;	signed:1;
	field:int prio;	offset:28;	size:4;	signed:1;

print fmt: "comm=%s pid=%d prio=%d", REC->comm, REC->pid, REC->prio
F
sed -e 's/^\(\tfield:int prio;.*\)$/\1\n\tfield:bool group_dead;\toffset:32;\tsize:1;\tsigned:0;/' \
    -e 's/prio=%d", REC->comm, REC->pid, REC->prio/prio=%d group_dead=%s", REC->comm, REC->pid, REC->prio, REC->group_dead ? "true" : "false"/' \
	"$tmp/format-6" >"$tmp/format-7"
check "format without group_dead: fires after exit_mm" test "$(exit_after_mm "$tmp/format-6")" = 1
check "format with group_dead: fires before exit_mm" test "$(exit_after_mm "$tmp/format-7")" = 0
tap_done
