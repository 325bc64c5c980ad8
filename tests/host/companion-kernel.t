#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The companion kernel: build (or reuse) five kernels from one 7.3
# source with kernel/patches applied, differing only in the lazy TLB mode,
# and run tests/guest/shootdown.sh on each:
#
#   vm refcount, shootdown,     boot, lazytlb.ko builds and loads, hotplug
#   hazptr                      keeps init_mm's mm_count, a short soak
#                               leaves the kernel log clean
#   debug shootdown, hazptr     DEBUG_VM_SHOOT_LAZIES (with the loaded_mm
#                               and hazard pointer checks) + KASAN +
#                               PROVE_LOCKING: the long soak leaves it
#                               clean, once as booted and once with
#                               lazytlb_test_noflush_lazy, where shootdown
#                               IPIs happen; lazytlb.ko's counts are
#                               checked against ftrace's in both
#
# LAZYTLB_UNFIXED=1 also builds the debug shootdown kernel without the x86
# fix (kernel/patches 0002) and checks that the same soak makes the check
# warn (and reports what it does with lazytlb_test_noflush_lazy): the test
# is known to catch the bug (not in CI: one more debug build).
#
# The debug shootdown kernel also runs the load/unload soak (tests/guest/soak.sh),
# with the module as shipped and built with one __mmdrop() kretprobe
# instance: clean console, misses counted.
#
# Knobs: LAZYTLB_STRESS_SECS (debug runs, default 40), LAZYTLB_VM_SECS
# (vm runs, default 10), LAZYTLB_SOAK_CYCLES (default 40).
. "$(dirname "$0")/../lib/host.sh"

STRESS_SECS=${LAZYTLB_STRESS_SECS:-40}
SOAK_CYCLES=${LAZYTLB_SOAK_CYCLES:-40}
VM_SECS=${LAZYTLB_VM_SECS:-10}
LOGS=$BUILD/logs/companion
mkdir -p "$LOGS"

if make -s -C "$TOP" "$BUILD/bin/lazy_stress" >"$LOGS/make-workloads.log" 2>&1; then
	ok "lazy_stress builds (static)"
else
	not_ok "lazy_stress builds (static)"
	sed 's/^/# /' "$LOGS/make-workloads.log" | tail -n 20
	exit 1
fi

# build MODE FLAVOR [UNFIXED=1]: sets BZIMAGE and KDIR, or returns 1.
build() {
	local mode=$1 flavor=$2 extra=${3:-} log name
	name=$flavor-$mode${extra:+-unfixed}
	log=$LOGS/build-$name.log
	BZIMAGE='' KDIR=''
	# shellcheck disable=SC2086 # $extra is empty or one word
	if ! "$TOP/scripts/build-kernel" MODE="$mode" FLAVOR="$flavor" $extra >"$log" 2>&1; then
		not_ok "$name: kernel builds (scripts/build-kernel MODE=$mode FLAVOR=$flavor $extra)"
		tail -n 30 "$log" | sed 's/^/# /'
		return 1
	fi
	ok "$name: kernel builds"
	check "$name: build-kernel checked that the two modes' configs differ only in the mode" \
		grep -q '^build-kernel: OK, the configs differ only in the mode symbols' "$log"
	BZIMAGE=$(sed -n 's/^build-kernel: .* bzImage=\([^ ]*\) KDIR=.*/\1/p' "$log" | tail -n 1)
	KDIR=$(sed -n 's/^build-kernel: .* KDIR=\([^ ]*\)$/\1/p' "$log" | tail -n 1)
	[ -f "$BZIMAGE" ] && [ -d "$KDIR" ]
}

# module KDIR NAME: build lazytlb.ko against KDIR; sets KO (empty on failure).
module() {
	local out=$BUILD/ko/companion-$2
	KO=
	if [ ! -d "$TOP/module" ] || [ ! -x "$TOP/scripts/build-module" ]; then
		not_ok "$2: lazytlb.ko builds against $1 (no module/ or scripts/build-module)"
		return
	fi
	if "$TOP/scripts/build-module" "$1" "$out" >/dev/null 2>&1; then
		ok "$2: lazytlb.ko builds against KDIR=$1"
		KO=$out/lazytlb.ko
	else
		not_ok "$2: lazytlb.ko builds against KDIR=$1"
		tail -n 20 "$out/build.log" | sed 's/^/# /'
	fi
}

guest_files() {
	GF=(-f "$BUILD/bin/lazy_stress" -f "$TOP/tests/guest/shootdown.sh"
	    -f "$TOP/tests/guest/lib")
	[ -n "$KO" ] && GF+=(-f "$KO")
	return 0
}

for spec in "refcount vm $VM_SECS" "shootdown vm $VM_SECS" "hazptr vm $VM_SECS" \
	    "shootdown debug $STRESS_SECS" "hazptr debug $STRESS_SECS"; do
	read -r mode flavor secs <<<"$spec"
	name=$flavor-$mode
	build "$mode" "$flavor" || continue
	module "$KDIR" "$name"
	guest_files
	run_guest "companion-$name" "$BZIMAGE" "shootdown.sh $mode $flavor $secs" \
		-s 4 -m 1024 -t 1200 "${GF[@]}"
	if [ "$flavor" = debug ]; then
		run_guest "companion-$name-noflush" "$BZIMAGE" \
			"shootdown.sh $mode $flavor $secs noflush" \
			-s 4 -m 1024 -t 1200 -a lazytlb_test_noflush_lazy "${GF[@]}"
	fi
	[ "$name" = debug-shootdown ] && [ -n "$KO" ] || continue
	# Under KASAN and lockdep: the load/unload soak, then the same with
	# one __mmdrop() kretprobe instance, so that its misses happen.
	soak=(-f "$BUILD/bin/pingpong" -f "$BUILD/bin/exitstorm"
	      -f "$TOP/tests/guest/soak.sh" -f "$TOP/tests/guest/lib")
	run_guest "companion-$name-soak" "$BZIMAGE" "soak.sh $SOAK_CYCLES" \
		-s 4 -m 1024 -t 1200 -f "$KO" "${soak[@]}"
	out=$BUILD/ko/companion-$name-missed
	if "$TOP/scripts/build-module" "$KDIR" "$out" \
	   KCFLAGS=-DLAZYTLB_MMDROP_MAXACTIVE=1 >/dev/null 2>&1; then
		ok "$name: lazytlb.ko builds with one __mmdrop kretprobe instance"
		run_guest "companion-$name-missed" "$BZIMAGE" \
			"soak.sh $SOAK_CYCLES missed" -s 4 -m 1024 -t 1200 \
			-f "$out/lazytlb.ko" "${soak[@]}"
	else
		not_ok "$name: lazytlb.ko builds with one __mmdrop kretprobe instance"
		tail -n 20 "$out/build.log" | sed 's/^/# /'
	fi
done

if [ "${LAZYTLB_UNFIXED:-0}" = 1 ]; then
	# Same soak, same debug config, without the x86 fix: must warn.
	if build shootdown debug UNFIXED=1; then
		KO=
		guest_files
		for fl in flush noflush; do
			out=$LOGS/unfixed-$fl
			mkdir -p "$out"
			append=
			[ $fl = noflush ] && append=lazytlb_test_noflush_lazy
			"$TOP/scripts/vm-run" -k "$BZIMAGE" -o "$out" -s 4 -m 1024 -t 1200 \
				${append:+-a "$append"} "${GF[@]}" -- \
				"sh shootdown.sh shootdown debug $STRESS_SECS ${append:+noflush}" \
				>"$out/stdout" 2>"$out/stderr"
			n=$(grep -ac 'WARNING:' "$out/console")
			c=$(grep -ac 'still uses mm .* after the lazy TLB shootdown' "$out/console")
			diag "unfixed kernel, $fl: $n WARNING lines, $c from the shootdown check; $(sed -n "s/^# \\(lazy_stress: .*\\)/\\1/p" "$out/tap")"
			grep -a 'still uses mm' "$out/console" | sed 's/^/# /' | head -n 3
			# With the test switch, flushes no longer move lazy CPUs to
			# init_mm: only leave_mm() is left to show the bug, and
			# QEMU's idle does not call it. Reported, not asserted.
			[ $fl = noflush ] && continue
			check "debug-shootdown-unfixed ($fl): the shootdown check catches the dangling active_mm" \
				test "$c" -gt 0
		done
	fi
fi
tap_done
