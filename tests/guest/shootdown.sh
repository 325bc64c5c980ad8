# SPDX-License-Identifier: GPL-2.0
#
# The companion kernel, inside the guest (busybox sh), from the directory
# holding lazy_stress, lib/ and optionally lazytlb.ko:
#
#   sh shootdown.sh MODE FLAVOR [SECONDS] [noflush]
#
# MODE=refcount|shootdown|hazptr, FLAVOR=vm|debug: what the host built and
# expects.
# noflush: the kernel was booted with lazytlb_test_noflush_lazy (debug
# flavor), so lazy CPUs stay on an exiting mm until __mmdrop().
#
# 1. The kernel is the one the host built.
# 2. CPU hotplug leaves init_mm's mm_count as it was without lazy TLB
#    refcounting (kernel/patches 0003), read from the kernel itself with a
#    kprobe event.
# 3. The soak, for SECONDS (default 30): lazy_stress (munmap storm with
#    sleeping threads, fork/exit storm, ping-pong, exec from a thread)
#    while a CPU goes offline and online and a tracepoint's static key is
#    flipped (text_poke), with lazytlb.ko loaded if present. The kernel
#    log must stay clean: DEBUG_VM_SHOOT_LAZIES with kernel/patches 0004
#    warns if any CPU still has the freed mm as active_mm or loaded.
# 4. On shootdown and hazptr kernels with lazytlb.ko: its shootdowns,
#    shootdown_ipis, shootdown_targets and shootdown_held (and on hazptr,
#    teardown_scans) during the soak equal what ftrace saw (function
#    tracer on do_shoot_lazy_tlb, its hardirq flag, the switch_mm() it
#    makes, lazy_tlb_hazptr_shootdown; kprobe events on __mmdrop), and the
#    IPIs are within the CAL line of /proc/interrupts. With noflush they
#    are > 0.
# TAP on stdout.
. ./lib/tap.sh

MODE=${1:-}
FLAVOR=${2:-}
SECS=${3:-30}
NOFLUSH=0
[ "${4:-}" = noflush ] && NOFLUSH=1
T=/sys/kernel/tracing
diag "kernel $(uname -r), $NCPU CPUs, expecting $MODE/$FLAVOR, soak ${SECS}s, noflush=$NOFLUSH"

case "$MODE/$FLAVOR" in
refcount/vm | refcount/debug | shootdown/vm | shootdown/debug | hazptr/vm | hazptr/debug) ;;
*)
	not_ok "usage: shootdown.sh refcount|shootdown|hazptr vm|debug [seconds] [noflush]"
	exit 1
	;;
esac

cfg() { zcat /proc/config.gz | grep -qx "$1"; }

# --- 1. the kernel is the one the host built ---------------------------------
if [ -r /proc/config.gz ]; then
	ok "/proc/config.gz is readable"
else
	not_ok "/proc/config.gz is readable (CONFIG_IKCONFIG_PROC)"
fi
case $MODE in
shootdown | hazptr)
	M=$(echo "$MODE" | tr a-z A-Z)
	check "kernel has CONFIG_MMU_LAZY_TLB_$M=y" cfg CONFIG_MMU_LAZY_TLB_$M=y
	check "kernel has no CONFIG_MMU_LAZY_TLB_REFCOUNT" sh -c "! zcat /proc/config.gz | grep -q '^CONFIG_MMU_LAZY_TLB_REFCOUNT='"
	;;
refcount)
	check "kernel has CONFIG_MMU_LAZY_TLB_REFCOUNT=y" cfg CONFIG_MMU_LAZY_TLB_REFCOUNT=y
	check "kernel has no CONFIG_MMU_LAZY_TLB_SHOOTDOWN" sh -c "! zcat /proc/config.gz | grep -q '^CONFIG_MMU_LAZY_TLB_SHOOTDOWN='"
	;;
esac
check "uname -r ends in -lazytlb-$MODE" sh -c "uname -r | grep -q -- '-lazytlb-$MODE\$'"
check "CONFIG_BUG=y (warnings are printed at all)" cfg CONFIG_BUG=y
if [ "$FLAVOR" = debug ]; then
	for o in DEBUG_VM KASAN PROVE_LOCKING DEBUG_TLB_NOFLUSH_LAZY; do
		check "CONFIG_$o=y" cfg CONFIG_$o=y
	done
	if [ "$MODE" != refcount ]; then
		check "CONFIG_DEBUG_VM_SHOOT_LAZIES=y" cfg CONFIG_DEBUG_VM_SHOOT_LAZIES=y
	fi
fi
if [ $NOFLUSH = 1 ]; then
	check "booted with lazytlb_test_noflush_lazy" grep -qw lazytlb_test_noflush_lazy /proc/cmdline
	check "the kernel took lazytlb_test_noflush_lazy" \
		sh -c "dmesg | grep -q 'lazytlb_test_noflush_lazy: flushes leave lazy CPUs on the mm'"
else
	check "booted without lazytlb_test_noflush_lazy" sh -c "! grep -qw lazytlb_test_noflush_lazy /proc/cmdline"
fi

if dmesg_bad >/tmp/bad.boot; then
	not_ok "kernel log is clean after boot"
	sed 's/^/# /' /tmp/bad.boot | head -n 20
else
	ok "kernel log is clean after boot"
fi

# --- lazytlb.ko (if the host could build it) -----------------------------------
KO=0
if [ -f ./lazytlb.ko ]; then
	check "insmod lazytlb.ko" insmod ./lazytlb.ko
	m=$(summary mode 2>/dev/null)
	check "lazytlb reports mode $MODE (says '$m')" test "$m" = "$MODE"
	grep -q '^lazytlb ' /proc/modules && KO=1
fi

# --- 2. CPU hotplug and init_mm's mm_count ---------------------------------------
# mm_count is the first word of struct mm_struct: a kprobe event on sync(2)
# fetches init_mm's. Each offline/online cycle must leave it unchanged:
# online takes a lazy reference in cpu_init(), offline's finish_cpu() drops
# it with mmdrop_lazy_tlb().
LAST=$((NCPU - 1))
HP=/sys/devices/system/cpu/cpu$LAST/online
initmm_count() {
	echo >$T/trace
	sync
	sed -n 's/.* initmm_count: .*count=\(-\{0,1\}[0-9]*\).*/\1/p' $T/trace | tail -n 1
}
if echo 'p:lazytlb/initmm_count ksys_sync count=@init_mm:s32' >>$T/kprobe_events &&
	echo 1 >$T/events/lazytlb/initmm_count/enable; then
	c0=$(initmm_count)
	cycles=0
	for i in 1 2 3; do
		echo 0 >$HP && echo 1 >$HP && cycles=$((cycles + 1))
	done
	c1=$(initmm_count)
	echo 0 >$T/events/lazytlb/initmm_count/enable
	check "CPU $LAST went offline and online 3 times ($cycles)" test "$cycles" = 3
	if [ "$MODE" = refcount ]; then
		# Every lazy borrow of init_mm counts here: it moves.
		ok "init_mm mm_count across hotplug ($c0 -> $c1) # SKIP refcount: lazy references of init_mm are counted too"
	else
		check "init_mm mm_count unchanged by 3 hotplug cycles ($c0 -> $c1)" \
			test -n "$c0" -a "$c0" = "$c1"
	fi
else
	not_ok "kprobe event reading init_mm's mm_count armed"
fi

# --- tracing for the soak ---------------------------------------------------------
# switch_mm_irqs_off(unused, next, tsk) with next == &init_mm: leave_mm(),
# flush_tlb_func() on a lazy CPU, do_shoot_lazy_tlb(), idle_task_exit().
init_mm=$(awk '$3 == "init_mm" { print $1; exit }' /proc/kallsyms)
echo 16384 >$T/buffer_size_kb
probe_ok=0
if [ -n "$init_mm" ] && [ "$init_mm" != 0000000000000000 ] &&
	echo 'p:lazytlb/to_init_mm switch_mm_irqs_off next=$arg2:x64' >>$T/kprobe_events &&
	echo "next == 0x$init_mm" >$T/events/lazytlb/to_init_mm/filter &&
	echo 1 >$T/events/lazytlb/to_init_mm/enable; then
	probe_ok=1
	ok "kprobe on switch_mm_irqs_off(next == init_mm) armed"
else
	not_ok "kprobe on switch_mm_irqs_off(next == init_mm) armed (init_mm=$init_mm)"
fi
# The function tracer, not kprobe events, where IRQs may be on: an IPI that
# arrives while a kprobe handler runs on its CPU makes lazytlb.ko's probe
# miss. text_poke() switches to its own mm with use_temporary_mm().
filter=use_temporary_mm
[ "$MODE" != refcount ] && filter="$filter do_shoot_lazy_tlb switch_mm"
[ "$MODE" = hazptr ] && filter="$filter lazy_tlb_hazptr_shootdown"
if echo "$filter" >$T/set_ftrace_filter && echo function >$T/current_tracer; then
	ok "function tracer armed on $filter"
else
	not_ok "function tracer armed on $filter"
fi
shoot_ok=0
if [ "$MODE" != refcount ]; then
	# do_shoot_lazy_tlb() only exists without refcounting. The function
	# tracer gives each call's context (hardirq: a real IPI) and the
	# switch_mm() it makes when the CPU held the mm; the kprobe events give
	# the mm, to tie each shootdown to its __mmdrop().
	if echo 'p:lazytlb/mmdrop __mmdrop mm=$arg1:x64' >>$T/kprobe_events &&
		echo 'p:lazytlb/shoot do_shoot_lazy_tlb mm=$arg1:x64' >>$T/kprobe_events &&
		echo 1 >$T/events/lazytlb/mmdrop/enable &&
		echo 1 >$T/events/lazytlb/shoot/enable; then
		shoot_ok=1
		ok "ftrace armed on __mmdrop, do_shoot_lazy_tlb and switch_mm"
	else
		not_ok "ftrace armed on __mmdrop, do_shoot_lazy_tlb and switch_mm"
	fi
fi

# WARN_ONCE() prints once per boot: re-arm them every second during the
# soak, so the log shows how often a check fails.
[ -w /sys/kernel/debug/clear_warn_once ]
check "debugfs clear_warn_once is writable" test $? -eq 0

# --- 3. the soak -----------------------------------------------------------------
dmesg -c >/dev/null
cal() { awk '$1 == "CAL:" { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n + 0 }' /proc/interrupts; }
# snap PREFIX: lazytlb.ko's counters into PREFIX_<key>, read by the shell
# itself: no process may start or end (and free an mm) between a snapshot
# and the start or end of the trace it is compared with.
# The misses of the probes these counters come from: kprobes_missed_by.
snap() {
	[ $KO = 1 ] || return 0
	eval "$1_missed_shoot=0"
	while read -r _k _v; do
		case $_k in
		shootdowns | shootdown_ipis | shootdown_targets | shootdown_held | \
		teardown_scans | kprobes_missed | overflow_mms)
			eval "$1_$_k=\${_v%% *}" ;;
		kprobes_missed_by)
			for _w in $_v; do
				case $_w in
				kprobe:do_shoot_lazy_tlb=* | kprobe:__mmdrop=* | kretprobe:__mmdrop=* | \
				kprobe:lazy_tlb_hazptr_shootdown=*)
					eval "$1_missed_shoot=\$(($1_missed_shoot + \${_w#*=}))" ;;
				esac
			done ;;
		esac
	done <$D/summary
}
cal0=$(cal)
# Changing current_tracer empties the buffer: it was set when armed, and
# is reset only after the trace is saved.
snap k0
echo >$T/trace
echo 1 >$T/tracing_on
mkdir -p $T/instances/poke 2>/dev/null
start=$(cut -d. -f1 /proc/uptime)
(while :; do echo 1 >/sys/kernel/debug/clear_warn_once; sleep 1; done) &
rearm=$!
(while :; do echo 0 >$HP; sleep 1; echo 1 >$HP; sleep 1; done) >/dev/null 2>&1 &
hotplug=$!
# Enabling a tracepoint flips its static key: text_poke() on every CPU.
(while :; do
	echo 1 >$T/instances/poke/events/sched/sched_wakeup/enable
	echo 0 >$T/instances/poke/events/sched/sched_wakeup/enable
	sleep 0.2
done) >/dev/null 2>&1 &
poke=$!
./lazy_stress -d "$SECS" -u 2 -s "$NCPU" -f 2 -k 3 -c 1 -e 1 -m 32 -S 256 >/tmp/stress.out 2>&1
rc=$?
kill $rearm $hotplug $poke
wait $rearm $hotplug $poke 2>/dev/null
echo 1 >$HP
# Let the last exits' mms be freed while tracing is still on.
sleep 2
flush_lazy
sleep 1
snap k1
echo 0 >$T/tracing_on
end=$(cut -d. -f1 /proc/uptime)
cal1=$(cal)
sed 's/^/# /' /tmp/stress.out
check "lazy_stress ran ${SECS}s without errors (rc=$rc)" test "$rc" -eq 0
for k in unmaps sleeps forks switches execs; do
	n=$(sed -n "s/.* $k=\([0-9]*\).*/\1/p" /tmp/stress.out)
	check "lazy_stress: $k happened (${n:-none})" test "${n:-0}" -gt 0
done
check "CPU $LAST is online again" grep -qx 1 $HP

overrun=$(cat $T/per_cpu/cpu*/stats 2>/dev/null | awk '/^overrun:/ { n += $2 } END { print n + 0 }')
check "the trace buffer lost nothing (overrun $overrun)" test "$overrun" -eq 0
cp $T/trace /tmp/soak.trace
echo 0 >$T/events/enable
echo nop >$T/current_tracer
if [ "$probe_ok" = 1 ]; then
	n=$(grep -c 'to_init_mm:' /tmp/soak.trace)
	diag "lazy CPU -> init_mm switches during the soak: $n"
	check "lazy CPUs were moved to init_mm during the soak ($n times)" test "$n" -gt 0
	n=$(grep -c ' use_temporary_mm <-' /tmp/soak.trace)
	check "text_poke() ran during the soak (use_temporary_mm $n times)" test "$n" -gt 0
fi

# --- 4. shootdowns: lazytlb.ko against ftrace --------------------------------------
if [ $shoot_ok = 1 ]; then
	# targets: do_shoot_lazy_tlb calls; ipis: those in hardirq context;
	# held: the switch_mm() each makes when the CPU held the mm (a tail
	# call: the next function traced on that CPU, with the same parent);
	# shootdowns: __mmdrop()s with at least one do_shoot_lazy_tlb of that
	# mm after it (and before its next __mmdrop).
	set -- $(awk '
		function cpu() { for (i = 1; i < NF; i++) if ($i ~ /^\[[0-9]+\]$/) return i; return 0 }
		/ <-/ {
			c = cpu(); fn = $(NF - 1)
			if (fn == "lazy_tlb_hazptr_shootdown")
				scans++
			if (fn == "do_shoot_lazy_tlb") {
				t++
				if ($(c + 1) ~ /^..[hH]/) ipi++
			} else if (fn == "switch_mm" && last[$c] == "do_shoot_lazy_tlb" && lastp[$c] == $NF) {
				held++
			}
			last[$c] = fn; lastp[$c] = $NF
		}
		/ mmdrop: / { m = $NF; sub(/^mm=/, "", m); frees++; open[m] = 1 }
		/ shoot: / { m = $NF; sub(/^mm=/, "", m); if (open[m]) { sd++; open[m] = 0 } }
		END { print t + 0, ipi + 0, held + 0, sd + 0, frees + 0, scans + 0 }' /tmp/soak.trace)
	kt=$1 kipi=$2 kheld=$3 ksd=$4 kfree=$5 kscans=$6
	diag "ftrace: do_shoot_lazy_tlb $kt (by IPI $kipi, held $kheld), shootdowns $ksd, __mmdrop $kfree; CAL IPIs $((cal1 - cal0))"
	forks=$(sed -n "s/.* forks=\([0-9]*\).*/\1/p" /tmp/stress.out)
	execs=$(sed -n "s/.* execs=\([0-9]*\).*/\1/p" /tmp/stress.out)
	diag "shootdown IPIs per freed mm: $(awk -v a="$kipi" -v b="$kfree" 'BEGIN { if (b) printf "%.3f", a / b; else print "-" }') ($kipi / $kfree; $forks forks, $execs execs)"
	if [ $NOFLUSH = 1 ]; then
		check "noflush: do_shoot_lazy_tlb ran by IPI ($kipi)" test "$kipi" -gt 0
		check "noflush: a shot CPU held the mm ($kheld)" test "$kheld" -gt 0
	fi
	if [ $KO = 1 ]; then
		for k in shootdowns shootdown_ipis shootdown_targets shootdown_held teardown_scans kprobes_missed overflow_mms missed_shoot; do
			eval "d_$k=\$((k1_$k - k0_$k))"
		done
		diag "lazytlb $(grep '^kprobes_missed_by' $D/summary)"
		# shellcheck disable=SC2154 # set by eval
		{
			# An IPI that arrives while one of lazytlb.ko's probes runs
			# with IRQs on (__mmdrop, fork, exec) makes a probe of the
			# IPI (flush_tlb_func) miss: counted, and shown by probe.
			diag "lazytlb: $d_kprobes_missed probe misses during the soak"
			check "lazytlb: the __mmdrop and do_shoot_lazy_tlb probes missed nothing ($d_missed_shoot)" \
				test "$d_missed_shoot" -eq 0
			check "lazytlb: every mm had a row ($d_overflow_mms overflowed)" test "$d_overflow_mms" -eq 0
			check "lazytlb shootdown_targets == ftrace's do_shoot_lazy_tlb calls ($d_shootdown_targets == $kt)" \
				test "$d_shootdown_targets" -eq "$kt"
			check "lazytlb shootdown_ipis == ftrace's calls in hardirq ($d_shootdown_ipis == $kipi)" \
				test "$d_shootdown_ipis" -eq "$kipi"
			check "lazytlb shootdown_held == ftrace's switch_mm from do_shoot_lazy_tlb ($d_shootdown_held == $kheld)" \
				test "$d_shootdown_held" -eq "$kheld"
			check "lazytlb shootdowns == ftrace's __mmdrop()s that shot ($d_shootdowns == $ksd)" \
				test "$d_shootdowns" -eq "$ksd"
			check "shootdown IPIs fit in /proc/interrupts CAL ($d_shootdown_ipis <= $((cal1 - cal0)))" \
				test "$d_shootdown_ipis" -le $((cal1 - cal0))
			if [ "$MODE" = hazptr ]; then
				check "hazptr: lazytlb teardown_scans == ftrace's lazy_tlb_hazptr_shootdown calls ($d_teardown_scans == $kscans)" \
					test "$d_teardown_scans" -eq "$kscans"
				check "hazptr: one scan per freed mm ($kscans == $kfree __mmdrop)" \
					test "$kscans" -eq "$kfree"
			else
				check "$MODE: no hazard pointer scans ($d_teardown_scans)" test "$d_teardown_scans" -eq 0
			fi
			if [ $NOFLUSH = 1 ]; then
				check "noflush: lazytlb counted shootdowns > 0 ($d_shootdowns)" test "$d_shootdowns" -gt 0
			fi
		}
	fi
fi
echo 0 >$T/events/enable 2>/dev/null
echo >$T/set_ftrace_filter
echo >$T/kprobe_events 2>/dev/null

w=$(dmesg | grep -c 'WARNING:')
l=$(dmesg | grep -c 'still uses mm .* after the lazy TLB shootdown')
diag "WARNING lines after the soak: $w, of which DEBUG_VM_SHOOT_LAZIES (do_check_lazy_tlb): $l"
if dmesg_bad >/tmp/bad.stress; then
	diag "soak ran at ${start}s..${end}s uptime; the console has every warning"
	not_ok "no WARNING/BUG/KASAN/lockdep in the kernel log during the soak"
	dmesg | grep -A 12 -E 'WARNING:|BUG:|KASAN' | sed 's/^/# /' | head -n 80
else
	ok "no WARNING/BUG/KASAN/lockdep in the kernel log during the soak"
fi

if [ $KO = 1 ]; then
	check "rmmod lazytlb" rmmod lazytlb
fi
tap_done
