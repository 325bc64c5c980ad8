# SPDX-License-Identifier: GPL-2.0
#
# Load and unload lazytlb.ko over and over while everything around it
# moves: a ping-pong, a fork/exit storm, readers of every debugfs file (one
# holding retired open), and writers of good and bad values to every
# parameter. Run inside the guest (busybox sh) from the directory holding
# lazytlb.ko, pingpong, exitstorm and lib/:
#
#   sh soak.sh [CYCLES] [missed]
#
# "missed": the module was built with one kretprobe instance for __mmdrop
# (LAZYTLB_MMDROP_MAXACTIVE=1): its misses must be counted, and nothing
# may touch a freed mm. The host checks the console for KASAN, BUG,
# WARNING and lockdep lines. TAP on stdout.
. ./lib/tap.sh

CYCLES=${1:-40}
MISSED=${2:-}
P=/sys/module/lazytlb/parameters
diag "kernel $(uname -r), $NCPU CPUs, $CYCLES load/unload cycles${MISSED:+, __mmdrop kretprobe with one instance}"

loaded() { grep -q '^lazytlb ' /proc/modules; }

./pingpong -p "$((NCPU / 2))" -d 100000 -q >/dev/null &
bg="$!"
(while :; do ./exitstorm -c 2 -n 20 >/dev/null 2>&1; done) &
bg="$bg $!"
(while :; do
	for f in summary mms cpus retired; do cat $D/$f >/dev/null 2>&1; done
done) &
bg="$bg $!"
(while :; do
	sleep 0.2 3<$D/retired
	sleep 0.1
done) 2>/dev/null &
bg="$bg $!"
(while :; do
	for v in 0 1 maybe; do echo $v >$P/enabled; done
	for v in 1 2 x; do echo $v >$P/reset; done
	for p in max_mms retired_max shared_stats; do echo 64 >$P/$p; done
	sleep 0.05
done) 2>/dev/null &
bg="$bg $!"

fail=0 busy=0 missed=0
i=0
while [ $i -lt "$CYCLES" ]; do
	case $((i % 3)) in
	0) args= ;;
	1) args="max_mms=16 retired_max=16" ;;
	2) args="shared_stats=0" ;;
	esac
	# shellcheck disable=SC2086 # $args is zero or more words
	insmod ./lazytlb.ko $args || fail=$((fail + 1))
	sleep 0.3
	m=$(summary kprobes_missed)
	[ "${m:-0}" -gt "$missed" ] && missed=$m
	# A reader holding a file open keeps the module: try again.
	j=0
	while loaded && [ $j -lt 50 ]; do
		rmmod lazytlb 2>/dev/null || { busy=$((busy + 1)); sleep 0.1; }
		j=$((j + 1))
	done
	loaded && fail=$((fail + 1))
	i=$((i + 1))
done
kill $bg 2>/dev/null
wait 2>/dev/null
loaded && rmmod lazytlb
diag "rmmod retried $busy times while a reader held a file; most kprobes missed in one load: $missed"
check "$CYCLES insmod/rmmod cycles under load ($fail failures)" test $fail -eq 0
check "module gone after the cycles" sh -c "! grep -q '^lazytlb ' /proc/modules && [ ! -d $D ]"
if [ -n "$MISSED" ]; then
	check "one __mmdrop kretprobe instance: misses are counted ($missed)" test "$missed" -gt 0
fi
dmesg_bad >/tmp/bad
check "no WARNING, BUG, Oops, KASAN or lockdep report in dmesg" test ! -s /tmp/bad
[ -s /tmp/bad ] && sed 's/^/# /' /tmp/bad | head -n 20
tap_done
