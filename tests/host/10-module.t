#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lazytlb.ko on every Debian kernel of the matrix (scripts/build/matrix:
# Debian 12's 6.1 and 6.12, trixie's 6.12, trixie-backports' 7.3; or
# $LAZYTLB_KERNELS, e.g. KSID for make check-sid): build against each
# one's own headers with its own release's gcc (a chroot for the newer
# ones), W=1 and sparse; boot each one's own vmlinuz with 4 vCPUs and run
# tests/guest/module.sh inside, then the load/unload soak
# (tests/guest/soak.sh, LAZYTLB_SOAK_CYCLES cycles, default 40). A kernel
# whose packages could not be had fails its row, naming the package.
. "$(dirname "$0")/../lib/host.sh"
load_kernels
SOAK_CYCLES=${LAZYTLB_SOAK_CYCLES:-40}

if make -s -C "$TOP" workloads tools >"$BUILD/logs-make.txt" 2>&1; then
	ok "workloads and lazytlb-stat build"
else
	not_ok "workloads and lazytlb-stat build"
	sed 's/^/# /' "$BUILD/logs-make.txt"
fi

for var in $(matrix_vars); do
	if ! matrix_row "$var"; then
		not_ok "$var: kernel packages available ($kwhy)"
		continue
	fi
	k=$krel
	ko=$BUILD/ko/$k
	if build_ko "$k" "$kroot" "$ko" W=1 C=1 >/dev/null 2>&1; then
		ok "$k: module builds${kroot:+ (in the $kroot chroot)}"
	else
		not_ok "$k: module builds${kroot:+ (in the $kroot chroot)}"
		sed 's/^/# /' "$ko/build.log" | tail -n 30
		continue
	fi
	# W=1 and sparse (C=1) say nothing about our code.
	if our_warnings "$ko/build.log" "$ko/warnings"; then
		not_ok "$k: W=1 and sparse are clean"
		sed 's/^/# /' "$ko/warnings" | head -n 30
	elif grep -q 'sparse is not available' "$ko/build.log"; then
		# Debian's 7.x headers packages lack scripts/checker-valid.sh.
		ok "$k: W=1 is clean; sparse # SKIP kbuild of linux-headers-$k cannot run sparse (no scripts/checker-valid.sh)"
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
