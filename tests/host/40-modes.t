#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lazytlb.ko on the companion kernels (vm flavor, refcount, shootdown and
# hazptr): it finds each kernel's mode by itself, and counts what each mode
# costs (mm_count atomics, shootdown IPIs, hazard pointer scans). Builds the kernels with
# scripts/build-kernel if they are not there yet (a few minutes each).
. "$(dirname "$0")/../lib/host.sh"

if make -s -C "$TOP" workloads >/dev/null 2>&1; then
	ok "workloads build"
else
	not_ok "workloads build"
fi
for mode in refcount shootdown hazptr; do
	log=$BUILD/logs/build-kernel-vm-$mode.log
	mkdir -p "$BUILD/logs"
	if ! "$TOP/scripts/build-kernel" MODE=$mode FLAVOR=vm >"$log" 2>&1; then
		not_ok "$mode: vm kernel builds"
		tail -n 20 "$log" | sed 's/^/# /'
		continue
	fi
	ok "$mode: vm kernel builds"
	kdir=$(sed -n 's/.* KDIR=\(.*\)$/\1/p' "$log" | tail -n 1)
	ko=$BUILD/ko/vm-$mode
	if "$TOP/scripts/build-module" "$kdir" "$ko" >/dev/null 2>&1; then
		ok "$mode: lazytlb.ko builds against the companion kernel"
	else
		not_ok "$mode: lazytlb.ko builds against the companion kernel"
		tail -n 20 "$ko/build.log" | sed 's/^/# /'
		continue
	fi
	run_guest "vm-$mode" "$kdir/arch/x86/boot/bzImage" "mode.sh $mode" \
		-s 4 -t 900 -x tcg1 -f "$ko/lazytlb.ko" -f "$BUILD/bin/pingpong" \
		-f "$TOP/tests/guest/mode.sh" -f "$TOP/tests/guest/lib"
done
tap_done
