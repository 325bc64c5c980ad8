# SPDX-License-Identifier: GPL-2.0
#
# lazytlb.ko on a companion kernel: mode detection and the accounting that
# differs between the modes. Runs inside the guest (busybox sh); the mode
# the kernel was built with is $1 (refcount, shootdown or hazptr). TAP out.
#
# The kernel's own word is mm_count: with refcount, every lazy reference is
# in it; with shootdown and hazptr, none is.
. ./lib/tap.sh

want=$1
diag "kernel $(uname -r), built $want, $NCPU CPUs"

check "insmod lazytlb.ko" insmod ./lazytlb.ko
check "mode: $want ($(summary mode), votes $(summary mode_votes))" \
	test "$(summary mode)" = "$want"
if [ "$want" != refcount ]; then
	check "do_shoot_lazy_tlb is hooked" sh -c "grep -q '^hooks .*kprobe:do_shoot_lazy_tlb' $D/summary"
	check "x86's own leaving of lazy mms is hooked" \
		sh -c "grep -q '^hooks .*kretprobe:leave_mm,kretprobe:flush_tlb_func' $D/summary"
else
	check "no do_shoot_lazy_tlb to hook" sh -c "! grep -q do_shoot_lazy_tlb $D/summary"
fi
if [ "$want" = hazptr ]; then
	check "the hazard pointer teardown is hooked" \
		sh -c "grep -q '^hooks .*kprobe:lazy_tlb_hazptr_shootdown' $D/summary"
else
	check "no hazard pointer teardown to hook" sh -c "! grep -q lazy_tlb_hazptr_shootdown $D/summary"
fi

# --- a quiet live mm: who holds what, as mm_count says ---------------------
start_quiet 300
pid=$quiet_pid
good=0
for try in 1 2 3 4 5; do
	sleep 0.5
	set -- $(awk -v t="$pid" '$2 == t && $3 == "pingpong"' $D/mms)
	users=$4 count=$5 grabs=$6 drops=$7 held=$9 atomics=${16}
	diag "try $try: users $users count $count grabs $grabs drops $drops held $held atomics $atomics"
	[ -n "$users" ] || continue
	if [ "$want" = refcount ]; then
		[ "$count" -eq $((1 + held)) ] && [ "$held" -ge 1 ] && good=1
	else
		[ "$count" -eq 1 ] && [ "$held" -ge 1 ] && good=1
	fi
	[ $good -eq 1 ] && break
done
if [ "$want" = refcount ]; then
	check "refcount: mm_count == 1 + held ($count == 1 + $held), held >= 1" test $good -eq 1
	check "refcount: atomics == grabs + drops ($atomics == $grabs + $drops)" \
		test "$atomics" = "$((grabs + drops))"
else
	check "$want: mm_count == 1 while $held CPUs hold it lazily" test $good -eq 1
	check "$want: atomics == 0 ($atomics)" test "$atomics" = 0
fi
check "grabs - drops == held ($grabs - $drops == $held)" test "$((grabs - drops))" = "$held"
stop_quiet

# --- an exit storm: what the teardowns cost ---------------------------------
echo 1 >/sys/module/lazytlb/parameters/reset
T=/sys/kernel/tracing
# The kernel's count of hazard pointer scans: the function tracer.
if [ "$want" = hazptr ]; then
	echo lazy_tlb_hazptr_shootdown >$T/set_ftrace_filter
	echo function >$T/current_tracer
fi
pids=""
for i in $(seq 1 40); do
	p=$(./pingpong -p "$((NCPU / 2))" -n 20 -q | sed -n 's/.*pid=\([0-9]*\) .*/\1/p')
	pids="$pids $p"
done
flush_lazy
flush_lazy
if [ "$want" = hazptr ]; then
	sumvar mscans teardown_scans
	echo 0 >$T/tracing_on
	kscans=$(grep -c ' lazy_tlb_hazptr_shootdown <-' $T/trace)
	echo nop >$T/current_tracer
	echo >$T/set_ftrace_filter
	echo 1 >$T/tracing_on
fi
missing=0 unbalanced=0 dangling=0 targets=0 atomics=0 grabs=0 drops=0 left=0 scans=0
for p in $pids; do
	g=$(field $D/retired tgid "$p" grabs pingpong)
	[ -z "$g" ] && missing=$((missing + 1)) && continue
	d=$(field $D/retired tgid "$p" drops pingpong)
	[ "$g" != "$d" ] && unbalanced=$((unbalanced + 1))
	# held after __mmdrop() returned: a CPU whose active_mm still
	# points at the freed mm.
	[ "$(field $D/retired tgid "$p" held pingpong)" != 0 ] && dangling=$((dangling + 1))
	left=$((left + $(field $D/retired tgid "$p" left pingpong)))
	grabs=$((grabs + g)) drops=$((drops + d))
	targets=$((targets + $(field $D/retired tgid "$p" targets pingpong)))
	scans=$((scans + $(field $D/retired tgid "$p" scans pingpong)))
	atomics=$((atomics + $(field $D/retired tgid "$p" atomics pingpong)))
done
diag "storm: grabs $grabs drops $drops atomics $atomics shootdown targets $targets left $left"
diag "summary: $(grep -E '^(atomics|shootdown|left)' $D/summary | tr '\n' ' ')"
check "storm: all 40 mms retired ($missing missing)" test $missing -eq 0
check "storm: every retired mm has grabs == drops ($unbalanced not)" test $unbalanced -eq 0
check "storm: no CPU still on a freed mm ($dangling mms)" test $dangling -eq 0
if [ "$want" = refcount ]; then
	check "refcount storm: atomics == grabs + drops ($atomics)" test "$atomics" = "$((grabs + drops))"
	check "refcount storm: no shootdown IPIs ($targets)" test "$targets" = 0
	check "refcount storm: no lazy mm left behind the scheduler ($left)" test "$left" = 0
else
	check "$want storm: atomics == 0 ($atomics)" test "$atomics" = 0
	check "$want storm: summary atomics 0" test "$(summary atomics)" = 0
	# exit_mmap()'s page-table-freeing flush moves the lazy CPUs to
	# init_mm before __mmdrop(): the references end there, and the
	# shootdown finds (almost) nobody left to IPI.
	check "shootdown storm: lazy references ended by x86 leaving the mm ($left)" \
		test "$left" -ge 40
	check "$want storm: every reference ended by a switch, x86 or a shootdown" \
		test "$((grabs - drops))" = 0
fi
if [ "$want" = hazptr ]; then
	check "hazptr storm: one hazard pointer scan per retired mm ($scans for 40)" test "$scans" = 40
	check "hazptr storm: teardown_scans == ftrace's lazy_tlb_hazptr_shootdown calls ($mscans == $kscans)" \
		test -n "$kscans" -a "$mscans" = "$kscans"
else
	check "$want storm: no hazard pointer scans ($scans, summary $(summary teardown_scans))" \
		test "$scans" = 0 -a "$(summary teardown_scans)" = 0
fi

check "rmmod lazytlb" rmmod lazytlb
dmesg_bad >/tmp/bad
check "no WARNING, BUG, Oops or lockdep report in dmesg" test ! -s /tmp/bad
[ -s /tmp/bad ] && sed 's/^/# /' /tmp/bad | head -n 20
tap_done
