#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bpf-agree.sh: lazytlb.ko and lazytlb-bpf count the same lazy-TLB
# references. Runs inside the guest (busybox sh) in a directory holding
# lazytlb.ko, lazytlb-bpf and pingpong; prints TAP lines.
#
#   sh bpf-agree.sh [ROUNDS]
#
# 1. Common window: the BPF tool attaches, then pingpong forks, execs,
#    runs and exits, and only after the module has retired the workload's
#    mm is the tool stopped. Every event on that mm falls inside both
#    windows: grabs, drops, handovers (and exits, kthread, execs) of the
#    retired rows must be equal.
# 2. Mm born before the tool: pingpong -s finishes its rounds and sleeps,
#    the CPUs are flushed so that none holds the mm lazily (the mm is then
#    quiet), the module's row is read, the tool starts, pingpong is killed.
#    The tool missed exactly the events before its start: module's final
#    row minus that snapshot must equal the tool's row.

rounds=${1:-2000}
D=/sys/kernel/debug/lazytlb
T=/tmp/bpf-agree
n=0
ncpu=$(nproc)

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
diag() { echo "# $*"; }
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

mkdir -p $T

# Make every CPU run a user task: a CPU that idles after the workload's
# threads holds a lazy reference on its mm and delays __mmdrop().
flush_cpus() {
	c=0
	while [ $c -lt "$ncpu" ]; do
		taskset -c $c true
		c=$((c + 1))
	done
}

# row FILE SECTION TGID COMM: "grabs drops handovers held exits kthread
# execs" of the one row for TGID/COMM (SECTION "" for a module file, else
# "mms"/"retired" of the tool's output). Prints nothing unless exactly one.
row() {
	awk -v sec="$2" -v tgid="$3" -v comm="$4" '
		sec != "" && /^[a-z]+:$/ { cur = substr($0, 1, length($0) - 1); next }
		sec != "" && cur != sec { next }
		$2 == tgid && $3 == comm { n++; r = $6 " " $7 " " $8 " " $9 " " $13 " " $14 " " $15 }
		END { if (n == 1) print r }' "$1"
}

# wait_for CMD...: up to 60 s, flushing CPUs meanwhile.
wait_for() {
	i=0
	while [ $i -lt 300 ]; do
		"$@" && return 0
		flush_cpus
		usleep 200000
		i=$((i + 1))
	done
	return 1
}

same() { [ -n "$1" ] && [ "$1" = "$2" ]; }
has_row() { [ -n "$(row "$1" "$2" "$3" "$4")" ]; }
retired_in_module() { cat $D/retired >$T/mod.retired && has_row $T/mod.retired "" "$1" pingpong; }
attached() { grep -q attached "$1" 2>/dev/null; }

# start_bpf NAME: run lazytlb-bpf until SIGINT, into $T/NAME.{out,err}.
start_bpf() {
	./lazytlb-bpf >$T/$1.out 2>$T/$1.err &
	bpf_pid=$!
	if wait_for attached $T/$1.err; then
		ok "$1: lazytlb-bpf attached"
	else
		not_ok "$1: lazytlb-bpf attached"
		sed 's/^/# /' $T/$1.err | tail -n 20
	fi
}

stop_bpf() {
	kill -INT $bpf_pid 2>/dev/null
	wait $bpf_pid
	rc=$?
	check "$1: lazytlb-bpf ended with status 0 (status $rc)" [ $rc -eq 0 ]
	check "$1: lazytlb-bpf printed its tables" grep -q '^summary:$' $T/$1.out
	lost=$(awk '/^retired_lost /{print $2}' $T/$1.out)
	check "$1: no retired record lost (${lost:-none})" [ "${lost:-x}" = 0 ]
}

# agree NAME WHAT A B: compare two "grabs drops handovers held exits
# kthread execs" lines, field by field.
agree() {
	set -- "$1" "$2" $3 $4
	name=$1 what=$2
	shift 2
	if [ $# -ne 14 ]; then
		not_ok "$name: $what: both rows present"
		return
	fi
	a1=$1 a2=$2 a3=$3 a4=$4 a5=$5 a6=$6 a7=$7
	shift 7
	check "$name: grabs agree ($a1 vs $1)" [ "$a1" = "$1" ]
	check "$name: drops agree ($a2 vs $2)" [ "$a2" = "$2" ]
	check "$name: handovers agree ($a3 vs $3)" [ "$a3" = "$3" ]
	check "$name: exits/kthread/execs agree ($a5/$a6/$a7 vs $5/$6/$7)" \
		[ "$a5 $a6 $a7" = "$5 $6 $7" ]
	check "$name: every lazy reference ended before __mmdrop (held $a4, $4)" \
		[ "$a4 $4" = "0 0" ]
}

for f in lazytlb.ko lazytlb-bpf pingpong; do
	check "$f is here" [ -e ./$f ]
done
if grep -q '^lazytlb ' /proc/modules || insmod ./lazytlb.ko; then
	ok "lazytlb.ko loaded"
else
	not_ok "lazytlb.ko loaded"
fi
check "sched_switch is a BTF tracepoint here (/sys/kernel/btf/vmlinux)" \
	[ -r /sys/kernel/btf/vmlinux ]

# 1. Common window.
start_bpf window
./pingpong -p 2 -n "$rounds" >$T/pp1.out
pid=$(sed -n 's/^pingpong pid=\([0-9]*\) .*/\1/p' $T/pp1.out)
check "window: pingpong ran (pid ${pid:-none})" [ -n "$pid" ]
check "window: the module retired the workload mm" wait_for retired_in_module "$pid"
stop_bpf window
mod=$(row $T/mod.retired "" "$pid" pingpong)
bpf=$(row $T/window.out retired "$pid" pingpong)
diag "window: module [$mod] bpf [$bpf] (grabs drops handovers held exits kthread execs)"
set -- $mod
check "window: the workload took lazy references (grabs ${1:-none})" [ "${1:-0}" -gt 0 ]
agree window "pingpong mm" "$mod" "$bpf"
# The pre-exec copy of the shell (same tgid, forked inside the window).
mod=$(row $T/mod.retired "" "$pid" sh)
bpf=$(row $T/window.out retired "$pid" sh)
diag "window: forked sh mm: module [$mod] bpf [$bpf]"
check "window: forked mm before exec agrees ($mod vs $bpf)" same "$mod" "$bpf"

# 2. An mm born before the tool: the tool misses what came before.
./pingpong -p 2 -n "$rounds" -s >$T/pp2.out &
pp=$!
wait_for grep -q '^ready$' $T/pp2.out
pid=$(sed -n 's/^pingpong pid=\([0-9]*\) .*/\1/p' $T/pp2.out)
check "early: pingpong ran and sleeps (pid ${pid:-none})" same "$pid" "$pp"
flush_cpus
cat $D/mms >$T/mod.before
before=$(row $T/mod.before "" "$pid" pingpong)
start_bpf early
flush_cpus
cat $D/mms >$T/mod.after
after=$(row $T/mod.after "" "$pid" pingpong)
check "early: the mm was quiet while the tool started ([$before] = [$after])" \
	same "$before" "$after"
kill "$pp"
wait "$pp" 2>/dev/null
check "early: the module retired the workload mm" wait_for retired_in_module "$pid"
stop_bpf early
mod=$(row $T/mod.retired "" "$pid" pingpong)
bpf=$(row $T/early.out retired "$pid" pingpong)
diag "early: module before [$before] final [$mod] bpf [$bpf]"
set -- $before
check "early: events before the tool's start exist (grabs ${1:-none})" [ "${1:-0}" -gt 0 ]
# Module's final minus its snapshot: what the common window saw.
set -- $before
b1=${1:-0} b2=${2:-0} b3=${3:-0} b5=${5:-0} b6=${6:-0} b7=${7:-0}
set -- $mod
delta=
[ $# -eq 7 ] && delta="$(($1 - b1)) $(($2 - b2)) $(($3 - b3)) $4 $(($5 - b5)) $(($6 - b6)) $(($7 - b7))"
diag "early: module final - snapshot [$delta]"
agree early "pingpong mm, module minus pre-start snapshot" "$delta" "$bpf"

rmmod lazytlb 2>/dev/null
check "lazytlb.ko unloaded" [ ! -d $D ]
