#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lazytlb.ko on Debian's stock 6.1 and 6.12 kernels: build against each
# one's headers (W=1, sparse), boot each with 4 vCPUs, run
# tests/guest/module.sh inside, then the load/unload soak
# (tests/guest/soak.sh, LAZYTLB_SOAK_CYCLES cycles, default 40).
. "$(dirname "$0")/../lib/host.sh"
load_kernels
SOAK_CYCLES=${LAZYTLB_SOAK_CYCLES:-40}

if make -s -C "$TOP" workloads tools >"$BUILD/logs-make.txt" 2>&1; then
	ok "workloads and lazytlb-stat build"
else
	not_ok "workloads and lazytlb-stat build"
	sed 's/^/# /' "$BUILD/logs-make.txt"
fi

for k in "$K61" "$K612"; do
	ko=$BUILD/ko/$k
	if "$TOP/scripts/build-module" "/lib/modules/$k/build" "$ko" W=1 C=1 \
	   >/dev/null 2>&1; then
		ok "$k: module builds"
	else
		not_ok "$k: module builds"
		sed 's/^/# /' "$ko/build.log" | tail -n 30
		continue
	fi
	# W=1 and sparse (C=1) say nothing about our code.
	if grep -E 'warning:|error:' "$ko/build.log" | grep -v '^/usr/src' >"$ko/warnings"; then
		not_ok "$k: W=1 and sparse are clean"
		sed 's/^/# /' "$ko/warnings" | head -n 30
	else
		ok "$k: W=1 and sparse are clean"
	fi
	run_guest "$k" "$BUILD/kernels/$k/vmlinuz" module.sh -s 4 -t 900 -x tcg1 \
		-f "$ko/lazytlb.ko" -f "$BUILD/bin/pingpong" -f "$BUILD/bin/leaderexit" \
		-f "$BUILD/bin/spawn" -f "$BUILD/bin/chunkread" \
		-f "$BUILD/bin/lazytlb-stat" -f "$TOP/tests/guest/module.sh" \
		-f "$TOP/tests/guest/lib"
	# The load/unload soak (its KASAN run is in companion-kernel.t).
	run_guest "$k-soak" "$BUILD/kernels/$k/vmlinuz" "soak.sh $SOAK_CYCLES" \
		-s 4 -t 900 -x tcg1 -f "$ko/lazytlb.ko" -f "$BUILD/bin/pingpong" \
		-f "$BUILD/bin/exitstorm" -f "$TOP/tests/guest/soak.sh" \
		-f "$TOP/tests/guest/lib"
done
tap_done
