# SPDX-License-Identifier: GPL-2.0
# Helpers for the host-side tests (tests/host/*.t, bash). Sourced.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$TOP/build
# ok, not_ok, check, diag, tap_done: the same as in the guest.
# shellcheck source=../guest/lib/tap.sh
. "$TOP/tests/guest/lib/tap.sh"

# The two Debian kernels scripts/setup unpacked.
load_kernels() {
	if [ ! -f "$BUILD/kernels.env" ]; then
		not_ok "build/kernels.env exists (run scripts/setup)"
		exit 1
	fi
	# shellcheck source=/dev/null
	. "$BUILD/kernels.env"
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
