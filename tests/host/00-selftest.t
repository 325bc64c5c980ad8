#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The harness itself: a guest command's exit status and output come back,
# and a test that should fail does (so a broken harness cannot pass).
. "$(dirname "$0")/../lib/host.sh"
load_kernels
out=$BUILD/logs/selftest
"$TOP/scripts/vm-run" -k "$BUILD/kernels/$K612/vmlinuz" -s 2 -o "$out" -t 300 \
	-- 'echo hello-from-guest; echo data >/dev/ttyS2; exit 7' >/dev/null 2>&1
rc=$?
check "vm-run returns the guest command's exit status (7, got $rc)" test $rc -eq 7
check "the guest's output comes back" grep -qx hello-from-guest "$out/tap"
check "the data channel comes back" grep -qx data "$out/data"
check "the console is captured" grep -q "Linux version" "$out/console"
if "$TOP/scripts/vm-run" -k /nonexistent -- true >/dev/null 2>&1; then
	not_ok "vm-run refuses a missing kernel"
else
	ok "vm-run refuses a missing kernel"
fi
printf 'WARNING: CPU: 0 PID: 1 at x.c:1 f+0x0/0x0\n' >"$out/fake-console"
if console_bad "$out/fake-console" >/dev/null; then
	ok "a WARNING on a console is caught"
else
	not_ok "a WARNING on a console is caught"
fi
tap_done
