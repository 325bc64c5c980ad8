# SPDX-License-Identifier: GPL-2.0
#
# lazytlb.ko on a stock kernel: run inside the guest (busybox sh) from the
# directory holding lazytlb.ko, pingpong, lazytlb-stat and lib/. TAP out.
#
# Every count is checked against what the kernel itself says: ftrace's
# sched_switch events, /proc/stat's ctxt, the mm's own mm_count.
. ./lib/tap.sh

P=/sys/module/lazytlb/parameters
T=/sys/kernel/tracing
diag "kernel $(uname -r), $NCPU CPUs"

loaded() { grep -q '^lazytlb ' /proc/modules; }

# --- bad input at load: clear error, nothing left behind -----------------
for bad in max_mms=5 max_mms=100000 max_mms=abc retired_max=0 enabled=maybe \
	   reset=1 shared_stats=2; do
	if insmod ./lazytlb.ko "$bad" 2>/dev/null || loaded; then
		not_ok "insmod $bad is refused"
		rmmod lazytlb 2>/dev/null
	else
		ok "insmod $bad is refused"
	fi
done
check "a bad max_mms names the parameter and the range in the log" \
	sh -c "dmesg | grep -q \"lazytlb: max_mms: '5' is not a number in \\[16, 65536\\]\""
[ -d $D ] && not_ok "no debugfs directory after refused loads" ||
	ok "no debugfs directory after refused loads"

# --- memory: what the summary says the module took, against vmalloc -------
vmalloc_kb() { awk '$1 == "VmallocUsed:" { print $2 }' /proc/meminfo; }
# load_kb PARAMS: sets mb (memory_bytes) and kb (VmallocUsed growth).
load_kb() {
	_v0=$(vmalloc_kb)
	insmod ./lazytlb.ko "$@" || return 1
	kb=$(($(vmalloc_kb) - _v0))
	mb=$(summary memory_bytes)
	rmmod lazytlb
}
# A first load warms what loading itself takes from vmalloc (7.x keeps
# module text in a 2 MiB cache); two loads then differ by the table only.
insmod ./lazytlb.ko && rmmod lazytlb
load_kb max_mms=16 && mb16=$mb kb16=$kb
check "insmod max_mms=65536" load_kb max_mms=65536
dmb=$(((mb - mb16) / 1024)) dkb=$((kb - kb16))
diag "memory_bytes $mb16 -> $mb, VmallocUsed +$kb16 kB -> +$kb kB on $NCPU CPUs"
check "memory_bytes grows as VmallocUsed does from 16 to 65536 rows, within 1 MiB ($dmb kB, $dkb kB)" \
	test "${mb:-0}" -gt 0 -a $((dkb - dmb)) -le 1024 -a $((dmb - dkb)) -le 1024
check "65536 rows take less than 16 MiB" test "${mb:-99999999}" -lt $((16 << 20))

# --- load ------------------------------------------------------------------
check "insmod lazytlb.ko" insmod ./lazytlb.ko
check "summary names its hooks" sh -c "grep -q '^hooks tracepoint:sched_switch,kprobe:wake_up_new_task,kprobe:begin_new_exec,kretprobe:__mmdrop' $D/summary"
# Stock kernels refcount lazy references (only powerpc selects shootdown).
check "mode: refcount ($(summary mode), votes $(summary mode_votes))" test "$(summary mode)" = refcount
check "no shootdown hook on a refcount kernel" sh -c "! grep -q do_shoot_lazy_tlb $D/summary"
for f in summary mms cpus retired; do
	mode=$(stat -c %a $D/$f 2>/dev/null)
	[ "$mode" = 444 ] && ok "$f is mode 0444" || not_ok "$f is mode 0444 (is $mode)"
done
check "summary header" sh -c "head -n 1 $D/summary | grep -qx 'key value'"
check "mms header" sh -c "head -n 1 $D/mms | grep -qx 'id tgid comm users count grabs drops handovers held max_held cpus xfers exits kthread execs atomics ipis targets shot left teardown_ns scans'"
check "retired header" sh -c "head -n 1 $D/retired | grep -qx 'id tgid comm users count grabs drops handovers held max_held cpus xfers exits kthread execs atomics ipis targets shot left teardown_ns scans'"
check "cpus header" sh -c "head -n 1 $D/cpus | grep -qx 'cpu switches grabs drops handovers xfers exits kthread execs unexplained untracked lazy_id'"
check "cpus has one row per online CPU" test "$(($(wc -l <$D/cpus) - 1))" -eq "$NCPU"
check "no kernel addresses in any file" sh -c "! grep -qiE 'ffff[0-9a-f]{12}' $D/*"

# --- controls: bad writes change nothing -----------------------------------
for bad in 2 0 x ""; do
	if echo "$bad" >$P/reset 2>/dev/null; then
		not_ok "reset refuses '$bad'"
	else
		ok "reset refuses '$bad'"
	fi
done
if echo maybe >$P/enabled 2>/dev/null; then
	not_ok "enabled refuses 'maybe'"
else
	ok "enabled refuses 'maybe'"
fi
check "enabled still Y" test "$(cat $P/enabled)" = Y
for p in max_mms retired_max shared_stats; do
	if echo 64 >$P/$p 2>/dev/null; then
		not_ok "$p is read-only after load"
	else
		ok "$p is read-only after load"
	fi
done

# --- global switches agree with the kernel's own count (/proc/stat ctxt) --
ctxt() { awk '$1 == "ctxt" { print $2 }' /proc/stat; }
c0=$(ctxt); s0=$(summary switches)
./pingpong -p "$((NCPU / 2))" -n 2000 -q >/dev/null
s1=$(summary switches); c1=$(ctxt)
ds=$((s1 - s0)); dc=$((c1 - c0))
diag "switches: module $ds, /proc/stat ctxt $dc"
# The reads themselves switch a few times; the counts are otherwise equal.
check "module switches match ctxt within 50 (module $ds, kernel $dc)" \
	test $((ds - dc)) -le 50 -a $((dc - ds)) -le 50 -a "$ds" -gt 4000

# --- a workload of known shape, replayed from ftrace -------------------------
kthreads=""
for s in /proc/[0-9]*/stat; do
	st=$(cat "$s" 2>/dev/null) || continue
	# Fields after "pid (comm) ": state ppid pgrp session tty tpgid flags
	set -- ${st##*) }
	[ $# -ge 7 ] && [ $(($7 & 0x200000)) -ne 0 ] && kthreads="$kthreads ${st%% *}"
done
echo 0 >$T/tracing_on
echo >$T/trace
echo 8192 >$T/buffer_size_kb
echo 1 >$T/events/sched/sched_switch/enable
echo 1 >$T/events/sched/sched_process_fork/enable
echo 1 >$T/events/sched/sched_process_exit/enable
# Where sched_process_exit fires, from what the kernel says about it: 7.x
# moved it before exit_mm() and gave it a group_dead field; 6.x fires it
# just after exit_mm(). The replay places exit_mm() accordingly.
exit_after_mm=$(exit_after_mm $T/events/sched/sched_process_exit/format)
if [ "$exit_after_mm" = 0 ]; then
	diag "sched_process_exit has group_dead: it fires before exit_mm()"
else
	diag "sched_process_exit has no group_dead: it fires after exit_mm()"
fi
cat $D/cpus >/tmp/cpus0
echo 1 >$T/tracing_on
./pingpong -p "$((NCPU / 2))" -n 3000 -q >/tmp/pp.out
pid=$(sed -n 's/.*pid=\([0-9]*\) .*/\1/p' /tmp/pp.out)
# Idle CPUs still hold the mm lazily: drop the last references, and so
# free the mm, inside the trace.
retire_wait "$pid" pingpong
echo 0 >$T/tracing_on
cat $D/cpus >/tmp/cpus1
echo 0 >$T/events/sched/sched_switch/enable
echo 0 >$T/events/sched/sched_process_fork/enable
echo 0 >$T/events/sched/sched_process_exit/enable
lost=$(awk '/overrun:/ { s += $2 } END { print s + 0 }' $T/per_cpu/cpu*/stats)
check "trace buffer lost nothing (overrun $lost)" test "$lost" -eq 0
awk -v COMM=pingpong -v KTHREADS="$kthreads" -v EXIT_AFTER_MM="$exit_after_mm" \
	-f lib/lazy-from-trace.awk $T/trace >/tmp/replay
diag "ftrace replay: $(head -n 1 /tmp/replay)"
R=$D/retired
diag "module row:   $(awk -v t="$pid" '$2 == t && $3 == "pingpong"' $R)"
rg=$(field $R tgid "$pid" grabs pingpong)
rd=$(field $R tgid "$pid" drops pingpong)
rh=$(field $R tgid "$pid" handovers pingpong)
rx=$(field $R tgid "$pid" exits pingpong)
set -- $(head -n 1 /tmp/replay)
tg=$2 td=$4 th=$6 tx=$8
# Tolerance: a thread preempted between exit_mm() and its last switch looks,
# to ftrace, as if it still had its mm: at most one event per thread.
tol=$((NCPU + 1))
within() { [ -n "$1" ] && [ $(($1 - $2)) -le "$tol" ] && [ $(($2 - $1)) -le "$tol" ]; }
check "pingpong mm retired with a row" test -n "$rg"
check "grabs agree with ftrace (module $rg, ftrace $tg, tolerance $tol)" within "$rg" "$tg"
check "drops agree with ftrace (module $rd, ftrace $td, tolerance $tol)" within "$rd" "$td"
check "handovers agree with ftrace (module $rh, ftrace $th, tolerance $tol)" within "$rh" "$th"
check "exits: one per thread, $((NCPU / 2 * 2 + 1)) (module $rx, ftrace $tx)" \
	test "$rx" = "$((NCPU / 2 * 2 + 1))" -a "$tx" = "$rx"
ee=$(awk '$1 == "exit_events" { print $2 }' /tmp/replay)
check "sched_process_exit: one per thread ($ee)" test "$ee" = "$rx"
check "retired mm holds nothing: grabs == drops ($rg, $rd)" test "$rg" = "$rd"
ra=$(field $R tgid "$pid" atomics pingpong)
check "refcount: atomics == grabs + drops ($ra)" test "$ra" = "$((rg + rd))"
check "refcount: no shootdown IPIs ($(field $R tgid "$pid" targets pingpong))" \
	test "$(field $R tgid "$pid" targets pingpong)" = 0
check "the workload really went through idle (grabs $rg > 2 * 3000)" test "${rg:-0}" -gt 6000
bad=0
for c in $(seq 0 $((NCPU - 1))); do
	m0=$(field /tmp/cpus0 cpu "$c" switches)
	m1=$(field /tmp/cpus1 cpu "$c" switches)
	t=$(awk -v c="$c" '$1 == "cpu" && $2 == c { print $4 }' /tmp/replay)
	d=$((m1 - m0 - ${t:-0}))
	diag "cpu $c: module switches $((m1 - m0)), ftrace $t"
	[ $d -le 10 ] && [ $d -ge -10 ] || bad=1
done
check "per-CPU switches agree with ftrace within 10" test $bad -eq 0
echo >$T/trace

# --- a live, quiet mm: mm_count == (mm_users > 0) + lazy references held ---
start_quiet 500
pid=$quiet_pid
diag "quiet pingpong pid $pid"
good=0
for try in 1 2 3 4 5; do
	sleep 0.5
	row=$(awk -v t="$pid" '$2 == t && $3 == "pingpong"' $D/mms)
	set -- $row
	users=$4 count=$5 grabs=$6 drops=$7 held=$9
	diag "try $try: users $users count $count grabs $grabs drops $drops held $held"
	[ -n "$row" ] || continue
	u=0
	[ "$users" -gt 0 ] && u=1
	if [ "$count" -eq $((u + held)) ] && [ $((grabs - drops)) -eq "$held" ]; then
		good=1
		break
	fi
done
check "live mm: grabs - drops == held ($grabs - $drops == $held)" test $((grabs - drops)) -eq "${held:-x}"
check "live mm: mm_count == (mm_users > 0) + held ($count == $u + $held)" test $good -eq 1
check "the sleeping threads' CPUs hold it lazily (held $held >= 1)" test "${held:-0}" -ge 1
stop_quiet

# --- lazytlb-stat ------------------------------------------------------------
rm -f /tmp/stat-pp.out
./pingpong -p 1 -n 200 -s -q >/tmp/stat-pp.out &
ppjob=$!
i=0
while [ $i -lt 300 ] && ! [ -s /tmp/stat-pp.out ]; do sleep 0.1; i=$((i + 1)); done
pid=$(sed -n 's/.*pid=\([0-9]*\) .*/\1/p' /tmp/stat-pp.out)
./lazytlb-stat -n 3 >/tmp/stat.out 2>&1
check "lazytlb-stat lists the busiest mm first" sh -c "sed -n 2p /tmp/stat.out | grep -q pingpong"
./lazytlb-stat --json >/tmp/stat.json 2>&1
check "lazytlb-stat --json has the workload's row" sh -c "grep -q '\"tgid\": $pid' /tmp/stat.json && head -c 1 /tmp/stat.json | grep -q '{'"
if ./lazytlb-stat -n x >/dev/null 2>&1; then not_ok "lazytlb-stat refuses -n x"; else ok "lazytlb-stat refuses -n x"; fi
kill $ppjob
wait $ppjob 2>/dev/null

# --- fork/exit storm: every exited mm is retired, with grabs == drops -------
echo 1 >$P/reset
pids=""
for i in $(seq 1 60); do
	p=$(./pingpong -p 1 -n 20 -q | sed -n 's/.*pid=\([0-9]*\) .*/\1/p')
	pids="$pids $p"
done
flush_lazy
flush_lazy
missing=0 unbalanced=0 live=0
for p in $pids; do
	g=$(field $D/retired tgid "$p" grabs pingpong)
	d=$(field $D/retired tgid "$p" drops pingpong)
	[ -z "$g" ] && missing=$((missing + 1))
	[ -n "$g" ] && [ "$g" != "$d" ] && unbalanced=$((unbalanced + 1))
	[ -n "$(field $D/mms tgid "$p" id pingpong)" ] && live=$((live + 1))
done
check "storm: all 60 mms retired ($missing missing)" test $missing -eq 0
check "storm: every retired mm has grabs == drops ($unbalanced not)" test $unbalanced -eq 0
check "storm: none left in the live table ($live)" test $live -eq 0
check "storm: no kprobe missed an event ($(summary kprobes_missed))" test "$(summary kprobes_missed)" = 0
check "storm: nothing unexplained ($(summary unexplained))" test "$(summary unexplained)" = 0

# --- reading every file while the counters change ---------------------------
./pingpong -p "$((NCPU / 2))" -d 5 -q >/dev/null &
ppjob=$!
bad=0
for i in $(seq 1 100); do
	for f in summary mms cpus retired; do
		head -n 1 $D/$f >/tmp/h 2>/dev/null || bad=$((bad + 1))
		[ -s /tmp/h ] || bad=$((bad + 1))
		cat $D/$f >/dev/null 2>&1 || bad=$((bad + 1))
	done
done
wait $ppjob
check "400 reads during a workload, all complete ($bad failed)" test $bad -eq 0

# --- enable, reset ------------------------------------------------------------
echo 0 >$P/enabled
s0=$(summary switches)
./pingpong -p 1 -n 200 -q >/dev/null
s1=$(summary switches)
check "disabled: counters do not move ($s0 -> $s1)" test "$s0" = "$s1"
echo 1 >$P/enabled
./pingpong -p 1 -n 200 -q >/dev/null
s2=$(summary switches)
check "re-enabled: counters move again ($s1 -> $s2)" test "$s2" -gt "$s1"
echo 1 >$P/reset
check "reset empties the retired ring" test "$(summary retired_mms)" -le 2
check "reset zeroes the totals (grabs $(summary grabs))" test "$(summary grabs)" -lt 100

# --- enabled off and on under load: held forgets what it could not see -----
./pingpong -p "$((NCPU / 2))" -d 6 -q >/tmp/toggle.out &
ppjob=$!
for i in $(seq 1 20); do
	echo 0 >$P/enabled
	sleep 0.1	# references end unseen
	echo 1 >$P/enabled
	sleep 0.1
done
wait $ppjob
pid=$(sed -n 's/.*pid=\([0-9]*\) .*/\1/p' /tmp/toggle.out)
retire_wait "$pid" pingpong
mh=$(field $D/retired tgid "$pid" max_held pingpong)
check "20 enable toggles under load: max_held <= $NCPU CPUs ($mh)" \
	test -n "$mh" -a "${mh:-99}" -le "$NCPU"

# --- CPU hotplug: a dead CPU's lazy reference ends with it -------------------
cpu=$((NCPU - 1))
online=/sys/devices/system/cpu/cpu$cpu/online
if [ ! -w "$online" ]; then
	not_ok "CPU $cpu can be taken offline ($online)"
else
	taskset -p 1 $$ >/dev/null
	taskset -c "$cpu" sleep 120 &
	spid=$!
	sid='' lazy=-
	i=0
	while [ $i -lt 50 ] && { [ -z "$sid" ] || [ "$lazy" != "$sid" ]; }; do
		sleep 0.2
		sid=$(field $D/mms tgid "$spid" id sleep)
		lazy=$(field $D/cpus cpu "$cpu" lazy_id)
		i=$((i + 1))
	done
	check "CPU $cpu holds the sleeper's mm lazily (lazy_id $lazy, mm $sid)" \
		test -n "$sid" -a "$lazy" = "$sid"
	hp0=$(summary hotplug)
	un0=$(summary unexplained)
	echo 0 >"$online"
	kill "$spid"
	wait "$spid" 2>/dev/null
	retire_wait "$spid" sleep 2>/dev/null	# taskset fails on the offline CPU
	row=$(awk -v t="$spid" '$2 == t && $3 == "sleep"' $D/retired)
	set -- $row
	diag "offline CPU $cpu, sleeper retired: $row"
	check "hotplug: the sleeper's mm retired with held 0 (held ${9:-none})" test "${9:-x}" = 0
	check "hotplug: grabs == drops (${6:-none} == ${7:-none})" test -n "$row" -a "${6:-x}" = "${7:-y}"
	check "hotplug: counted as its own cause ($hp0 -> $(summary hotplug))" \
		test "$(summary hotplug)" -gt "$hp0"
	echo 1 >"$online"
	taskset -p "$(printf %x $(((1 << NCPU) - 1)))" $$ >/dev/null
	flush_lazy
	check "hotplug: the new CPU's first reference is not unexplained ($un0 -> $(summary unexplained))" \
		test "$(summary unexplained)" = "$un0"
fi

# --- a full table: overflow is counted once per mm, nothing breaks ----------
# summary_to VAR KEY: no fork, so no mm, while the table is being counted.
summary_to() {
	while read -r _k _v; do
		[ "$_k" = "$2" ] && eval "$1=\$_v"
	done <$D/summary
}
rm -f /tmp/fill.fifo
mkfifo /tmp/fill.fifo
rmmod lazytlb
check "insmod max_mms=16" insmod ./lazytlb.ko max_mms=16
# Subshells blocked on a FIFO: forked mms that never exec or exit, so the
# table fills up and keeps no tombstone for a new mm to reuse. Nothing
# else here forks until the count.
fill=""
i=0
while [ $i -lt 24 ]; do
	(read -r _ </tmp/fill.fifo) &
	fill="$fill $!"
	i=$((i + 1))
done
summary_to live live_mms
summary_to o0 overflow_mms
check "full table: every slot taken ($live live mms == 16)" test "$live" -eq 16
./pingpong -p 4 -n 100 -q >/dev/null
summary_to o1 overflow_mms
check "full table: a new 8-thread process overflows as its 2 mms, not per thread ($o0 -> $o1)" \
	test $((o1 - o0)) -eq 2
./pingpong -p "$((NCPU / 2))" -n 200 -q >/dev/null
check "full table: events still counted, untracked ($(summary untracked))" test "$(summary untracked)" -gt 0
kill $fill
wait $fill 2>/dev/null
rmmod lazytlb

# --- at load: a process whose main thread is gone; the loader's kthread use --
./leaderexit 120 >/tmp/le.out &
i=0
while [ $i -lt 300 ] && ! [ -s /tmp/le.out ]; do sleep 0.1; i=$((i + 1)); done
lpid=$(sed -n 's/.*pid=\([0-9]*\) .*/\1/p' /tmp/le.out)
sleep 0.5
echo 0 >$T/tracing_on
echo >$T/trace
echo 'kthread_use_mm kthread_unuse_mm' >$T/set_ftrace_filter
echo function >$T/current_tracer
echo 1 >$T/tracing_on
insmod ./lazytlb.ko retired_max=256 &
ipid=$!
wait $ipid
check "insmod retired_max=256" test $? -eq 0
retire_wait "$ipid" insmod 50
echo 0 >$T/tracing_on
uses=$(grep -c ': kthread_use_mm <-' $T/trace)
unuses=$(grep -c ': kthread_unuse_mm <-' $T/trace)
echo nop >$T/current_tracer
echo >$T/set_ftrace_filter
echo >$T/trace
kt=$(field $D/retired tgid "$ipid" kthread insmod)
diag "function trace: kthread_use_mm $uses, kthread_unuse_mm $unuses; insmod row kthread $kt"
check "the loader's row counts every kthread_use_mm/unuse_mm call on it ($kt == $uses + $unuses)" \
	test -n "$kt" -a "${kt:-x}" = "$((uses + unuses))" -a "$uses" -ge 7
check "summary kthread == function trace ($(summary kthread) == $((uses + unuses)))" \
	test "$(summary kthread)" = "$((uses + unuses))"
row=$(awk -v t="$lpid" '$2 == t && $3 == "leaderexit"' $D/mms)
diag "leaderexit pid $lpid: $row"
set -- $row
check "a process whose main thread exited has a row at load" test -n "$row"
check "its users come from the thread that has the mm (users ${4:-none} == 1)" test "${4:-x}" = 1
kill "$lpid" 2>/dev/null

# --- retired, read in 4 KiB chunks while the ring wraps: no row skipped -----
echo 1 >$P/reset
taskset -c 1 ./chunkread -w $D/retired 4096 500 >/tmp/chunks &
crjob=$!
./spawn -c 0 600 &
spjob=$!
i=0 ow=0
while [ $i -lt 20000 ] && [ "${ow:-0}" -eq 0 ]; do
	summary_to ow retired_overwritten
	i=$((i + 1))
done
kill -USR1 $crjob
wait $crjob
wait $spjob
set -- $(awk 'NR > 1 && $3 == "exe" { if (n && $1 != prev + 2) bad++; prev = $1; n++ }
	END { print n + 0, bad + 0 }' /tmp/chunks)
diag "chunked read: $1 exec'd mms of spawn, $2 gaps; $(summary retired_overwritten) rows overwritten"
check "chunked read of a wrapping ring: consecutive retirements, none skipped ($2 gaps in $1 rows)" \
	test "$1" -ge 20 -a "$2" -eq 0
rmmod lazytlb

# --- insmod/rmmod 50 times under load ----------------------------------------
./pingpong -p "$((NCPU / 2))" -d 60 -q >/dev/null &
ppjob=$!
fail=0
for i in $(seq 1 50); do
	insmod ./lazytlb.ko || fail=$((fail + 1))
	cat $D/summary $D/mms $D/cpus >/dev/null || fail=$((fail + 1))
	rmmod lazytlb || fail=$((fail + 1))
done
kill $ppjob
wait $ppjob 2>/dev/null
check "50 insmod/rmmod cycles under load ($fail failures)" test $fail -eq 0
check "module gone after the cycles" sh -c "! grep -q '^lazytlb ' /proc/modules && [ ! -d $D ]"

# --- the kernel stayed healthy -------------------------------------------------
dmesg_bad >/tmp/bad
check "no WARNING, BUG, Oops or lockdep report in dmesg" test ! -s /tmp/bad
[ -s /tmp/bad ] && sed 's/^/# /' /tmp/bad | head -n 20
tap_done
