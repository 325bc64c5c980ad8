# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers for the host-side tests (tests/host/*.t, bash). Sourced.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$TOP/build
# ok, not_ok, check, diag, tap_done: the same as in the guest.
# shellcheck source=../guest/lib/tap.sh
. "$TOP/tests/guest/lib/tap.sh"

# The matrix kernels scripts/setup found (build/kernels.env), and the
# opt-in ones scripts/build/chroot made (build/chroots/*.env, e.g. sid).
load_kernels() {
	local f
	if [ ! -f "$BUILD/kernels.env" ]; then
		not_ok "build/kernels.env exists (run scripts/setup)"
		exit 1
	fi
	# shellcheck source=/dev/null
	. "$BUILD/kernels.env"
	for f in "$BUILD"/chroots/*.env; do
		# shellcheck source=/dev/null
		[ -f "$f" ] && . "$f"
	done
	return 0
}

# matrix_vars: the kernels a suite runs on, as VARs of scripts/build/matrix:
# $LAZYTLB_KERNELS if set (e.g. "KSID" for make check-sid, "K73 K612"),
# else every kernel that is not opt-in.
matrix_vars() {
	if [ -n "${LAZYTLB_KERNELS:-}" ]; then
		# shellcheck disable=SC2086 # a list of words
		printf '%s\n' $LAZYTLB_KERNELS
	else
		awk '$1 == "kernel" && $6 != "optin" { print $2 }' "$TOP/scripts/build/matrix"
	fi
}

# matrix_row VAR: sets krel (the release), kroot (its chroot, "" for this
# machine) and kwhy (why it is not there, "" if it is). A kernel that is
# not there is an error of its row, never a skip.
matrix_row() {
	local r=${1}_ROOT e=${1}_ERROR
	# shellcheck disable=SC2034 # for the caller
	krel=${!1:-} kroot=${!r:-} kwhy=${!e:-}
	if [ -z "$krel" ] && [ -z "$kwhy" ]; then
		kwhy="$1 is not in build/kernels.env: run scripts/setup"
		grep -q "^kernel $1 .* optin" "$TOP/scripts/build/matrix" &&
			kwhy="$1 is not in build/chroots/*.env: run scripts/build/chroot for it"
	fi
	[ -z "$kwhy" ] && [ ! -f "$BUILD/kernels/$krel/vmlinuz" ] &&
		kwhy="no $BUILD/kernels/$krel/vmlinuz: run scripts/setup"
	[ -z "$kwhy" ]
}

# build_ko RELEASE ROOT OUTDIR [make args...]: lazytlb.ko for a matrix
# kernel, with its own release's toolchain (a chroot) or this machine's.
build_ko() {
	local rel=$1 root=$2 out=$3
	shift 3
	if [ -n "$root" ]; then
		nice -n 10 "$TOP/scripts/build/chroot-module" "$root" "$rel" "$out" "$@"
	else
		nice -n 10 "$TOP/scripts/build-module" "/lib/modules/$rel/build" "$out" "$@"
	fi
}

# our_warnings BUILD_LOG OUT: the warnings and errors a W=1/C=1 build
# printed about our code (not about the kernel's own headers) into OUT;
# true if there are any.
our_warnings() {
	grep -E 'warning:|error:' "$1" | grep -v '^/usr/src' >"$2"
}

# Kernel log lines that mean trouble, from a vm-run console file.
console_bad() {
	grep -aE 'WARNING:|BUG:|Oops|KASAN|general protection|possible (recursive|circular|irq) lock|INFO: task .* blocked|RCU stall|refcount_t:|Kernel panic|Call Trace' "$1"
}

# check_console DESC CONSOLE_FILE: a test that the guest's kernel stayed quiet.
check_console() {
	if [ ! -s "$2" ]; then
		not_ok "$1: console captured"
	elif console_bad "$2" >"$2.bad"; then
		not_ok "$1: no WARNING/BUG/Oops/lockdep on the console"
		sed 's/^/# /' "$2.bad" | head -n 30
	else
		ok "$1: no WARNING/BUG/Oops/lockdep on the console"
	fi
}

# run_guest NAME VMLINUZ SCRIPT [vm-run args...]: boot, run a guest suite,
# pass its TAP lines through (renumbered by tests/check), check the console.
run_guest() {
	local name=$1 kernel=$2 script=$3 out=$BUILD/logs/$1 rc
	shift 3
	mkdir -p "$out"
	"$TOP/scripts/vm-run" -k "$kernel" -o "$out" "$@" -- "sh $script" \
		>"$out/stdout" 2>"$out/stderr"
	rc=$?
	sed -n -e 's/^\(not ok\|ok\) [0-9]* - /\1 - '"$name"': /p' -e '/^#/p' \
		"$out/tap"
	if [ $rc -eq 124 ]; then
		not_ok "$name: guest finished (see $out/console)"
		tail -n 20 "$out/console" | sed 's/^/# /'
	fi
	check_console "$name" "$out/console"
}
