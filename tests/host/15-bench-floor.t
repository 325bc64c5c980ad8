#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The overhead benchmark's floor module (scripts/bench/lazytlb_floor.c):
# it builds against Debian's stock 6.1 and 6.12 headers with W=1 and
# sparse (C=1) saying nothing, and attaches to sched_switch the way
# module/hooks.c does. No guest: make bench-overhead runs it.
. "$(dirname "$0")/../lib/host.sh"
load_kernels

for k in "$K61" "$K612"; do
	out=$BUILD/bench/test-$k
	if "$TOP/scripts/bench/build-floor" "/lib/modules/$k/build" "$out" W=1 C=1 \
	   >/dev/null 2>&1; then
		ok "$k: lazytlb_floor.ko builds"
	else
		not_ok "$k: lazytlb_floor.ko builds"
		sed 's/^/# /' "$out/build.log" | tail -n 30
		continue
	fi
	if our_warnings "$out/build.log" "$out/warnings"; then
		not_ok "$k: lazytlb_floor.ko: W=1 and sparse are clean"
		sed 's/^/# /' "$out/warnings" | head -n 30
	else
		ok "$k: lazytlb_floor.ko: W=1 and sparse are clean"
	fi
done
# The hook the floor stands for: the same tracepoint, attached the same way.
for f in for_each_kernel_tracepoint tracepoint_probe_register; do
	if grep -q "$f" "$TOP/module/hooks.c" && grep -q "$f" "$TOP/scripts/bench/lazytlb_floor.c"; then
		ok "floor and lazytlb.ko both attach with $f()"
	else
		not_ok "floor and lazytlb.ko both attach with $f()"
	fi
done
tap_done
