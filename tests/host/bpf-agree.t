#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lazytlb.ko and lazytlb-bpf agree (tests/guest/bpf-agree.sh), on every
# Debian kernel of the matrix (scripts/build/matrix, or $LAZYTLB_KERNELS)
# with 4 vCPUs. lazytlb-bpf is built once, CO-RE, and the same binary runs
# on every kernel; lazytlb.ko is built per kernel with its release's own
# toolchain. Prints TAP: the guest's lines, prefixed with the kernel, and
# one line per kernel for a clean console and a clean end.
#
#   tests/host/bpf-agree.t [VAR...]   (default: the matrix, e.g. K73 K612)
set -euo pipefail
. "$(dirname "$0")/../lib/host.sh"
cd "$TOP"
load_kernels
[ $# -gt 0 ] && LAZYTLB_KERNELS="$*"

log=build/logs/bpf-agree
mkdir -p "$log"

if nice -n 10 make -s -C "$TOP" workloads bpf >"$log/build.log" 2>&1; then
	ok "build pingpong and lazytlb-bpf"
else
	not_ok "build pingpong and lazytlb-bpf (see $log/build.log)"
	sed 's/^/# /' "$log/build.log" | tail -n 20
	exit 1
fi
bpf_sum=$(sha256sum build/bin/lazytlb-bpf | cut -c1-16)
diag "lazytlb-bpf $bpf_sum: one binary for every kernel"

for var in $(matrix_vars); do
	if ! matrix_row "$var"; then
		not_ok "$var: kernel packages available ($kwhy)"
		continue
	fi
	k=$krel
	ko=build/ko/$k
	if build_ko "$k" "$kroot" "$ko" >"$log/module-$k.log" 2>&1; then
		ok "$k: build lazytlb.ko${kroot:+ (in the $kroot chroot)}"
	else
		not_ok "$k: build lazytlb.ko (see $log/module-$k.log)"
		continue
	fi
	if ! grep -q '^CONFIG_DEBUG_INFO_BTF=y' "build/kernels/$k/config"; then
		# Every Debian kernel of the matrix has BTF: one without is news.
		not_ok "$k: CONFIG_DEBUG_INFO_BTF=y (lazytlb-bpf needs BTF)"
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
now=$(sha256sum build/bin/lazytlb-bpf | cut -c1-16)
check "lazytlb-bpf was not rebuilt for any kernel ($bpf_sum, $now)" test "$now" = "$bpf_sum"
tap_done
