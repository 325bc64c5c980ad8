#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lazytlb.ko and lazytlb-bpf agree (tests/guest/bpf-agree.sh), on Debian
# 6.12 and 6.1 guests with 4 vCPUs. Builds what it needs; prints TAP: the
# guest's lines, renumbered and prefixed with the kernel, and one line per
# kernel for a clean console (no WARNING/BUG/Oops/KASAN/lockdep) and a
# clean end.
#
#   tests/host/bpf-agree.t [KERNEL_RELEASE...]   (default: $K612 $K61)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }

if [ ! -f build/kernels.env ]; then
	not_ok "build/kernels.env exists (run scripts/setup)"
	exit 1
fi
. build/kernels.env
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=("$K612" "$K61")

log=build/logs/bpf-agree
mkdir -p "$log"

# The lead's Makefile includes scripts/bpf/bpf.mk; until then, add it here.
mk=(make -s -C "$top")
grep -q 'scripts/bpf/bpf.mk' Makefile || mk+=(-f Makefile -f scripts/bpf/bpf.mk)
if nice -n 10 "${mk[@]}" workloads bpf >"$log/build.log" 2>&1; then
	ok "build pingpong and lazytlb-bpf"
else
	not_ok "build pingpong and lazytlb-bpf (see $log/build.log)"
	sed 's/^/# /' "$log/build.log" | tail -n 20
	exit 1
fi

for k in "${kernels[@]}"; do
	ko=build/ko/$k
	if nice -n 10 scripts/build-module "/lib/modules/$k/build" "$ko" \
	     >"$log/module-$k.log" 2>&1; then
		ok "$k: build lazytlb.ko"
	else
		not_ok "$k: build lazytlb.ko (see $log/module-$k.log)"
		continue
	fi
	out=$log/$k
	rm -rf "$out"
	set +e
	scripts/vm-run -k "build/kernels/$k/vmlinuz" -s 4 -t 300 -o "$out" \
		-f "$ko/lazytlb.ko" -f build/bin/lazytlb-bpf \
		-f build/bin/pingpong -f tests/guest/bpf-agree.sh \
		-- 'sh ./bpf-agree.sh' >/dev/null 2>"$out.stderr"
	rc=$?
	set -e
	guest_ok=0 guest_bad=0
	while IFS= read -r line; do
		case $line in
		"ok "*)
			ok "$k: ${line#ok * - }"
			guest_ok=$((guest_ok + 1)) ;;
		"not ok "*)
			not_ok "$k: ${line#not ok * - }"
			guest_bad=$((guest_bad + 1)) ;;
		"#"*)
			echo "$line" ;;
		esac
	done < <(cat "$out/tap" 2>/dev/null || true)
	if [ $rc -eq 0 ] && [ $guest_ok -gt 0 ]; then
		ok "$k: guest ran the suite to its end ($guest_ok ok, $guest_bad not ok)"
	else
		not_ok "$k: guest ran the suite to its end (vm-run status $rc, $guest_ok ok; see $out)"
		sed 's/^/# /' "$out.stderr" | tail -n 10
	fi
	bad=$(grep -E 'WARNING:|BUG:|Oops|KASAN|possible .* locking|circular locking' \
		"$out/console" 2>/dev/null | head -n 5 || true)
	if [ -z "$bad" ] && [ -s "$out/console" ]; then
		ok "$k: console has no WARNING/BUG/Oops"
	else
		not_ok "$k: console has no WARNING/BUG/Oops (see $out/console)"
		printf '%s\n' "$bad" | sed 's/^/# /'
	fi
done
[ $failed -eq 0 ]
