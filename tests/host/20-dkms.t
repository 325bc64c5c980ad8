#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS from a checkout: `make dkms-install` builds and installs lazytlb for
# every installed kernel that has headers (here Debian 12's 6.1 and 6.12),
# where modprobe finds it, with the right vermagic, and says which kernels
# it skipped and why: one without headers, one whose config lacks
# CONFIG_KPROBES (fake /lib/modules entries, removed again). dkms.conf's
# BUILD_EXCLUSIVE_CONFIG makes dkms itself refuse the latter with its
# message. `make dkms-uninstall` takes it all away again.
. "$(dirname "$0")/../lib/host.sh"
load_kernels
log=$BUILD/logs/dkms.log
mkdir -p "$BUILD/logs"
: >"$log"
version=$(sed -n 's/^VERSION := //p' "$TOP/Makefile")

noheaders=0.0.0-lazytlb-noheaders
nokprobes=0.0.0-lazytlb-nokprobes
cleanup() { rm -rf "/lib/modules/$noheaders" "/lib/modules/$nokprobes"; }
trap cleanup EXIT
cleanup
mkdir -p "/lib/modules/$noheaders/kernel" "/lib/modules/$nokprobes/build"
# Headers of a kernel built without kprobes: a real config minus KPROBES.
grep -v '^CONFIG_KPROBES=' "/lib/modules/$K612/build/.config" >"/lib/modules/$nokprobes/build/.config"
echo '# CONFIG_KPROBES is not set' >>"/lib/modules/$nokprobes/build/.config"
printf 'all:\n\t@false\n' >"/lib/modules/$nokprobes/build/Makefile"

if make -C "$TOP" dkms-install >"$log" 2>&1; then
	ok "make dkms-install (every kernel)"
else
	not_ok "make dkms-install (every kernel)"
	tail -n 30 "$log" | sed 's/^/# /'
fi
for k in "$K61" "$K612"; do
	path=$(modprobe -S "$k" --show-depends lazytlb 2>>"$log" | awk '/^insmod/ { print $2 }')
	case $path in
	/lib/modules/"$k"/updates/dkms/lazytlb.ko*) ok "$k: modprobe finds it ($path)" ;;
	*) not_ok "$k: modprobe finds it in updates/dkms (found '$path')" ;;
	esac
	vermagic=$(modinfo -F vermagic "$path" 2>/dev/null | awk '{ print $1 }')
	check "$k: vermagic is $k ($vermagic)" test "$vermagic" = "$k"
done
check "dkms status lists both kernels" \
	sh -c "dkms status -m lazytlb | grep -q '$K61' && dkms status -m lazytlb | grep -q '$K612'"
check "says it skipped $noheaders: no headers" \
	grep -q "skipping $noheaders: no headers" "$log"
check "says it skipped $nokprobes: its config lacks CONFIG_KPROBES" \
	grep -q "skipping $nokprobes: its config lacks CONFIG_KPROBES" "$log"
check "installed-for line names both Debian kernels" \
	sh -c "grep '^dkms-install: installed for:' '$log' | grep -q '$K61' && grep '^dkms-install: installed for:' '$log' | grep -q '$K612'"

# dkms itself, asked for the kernel without kprobes, refuses it.
rc=0
dkms build -m lazytlb -v "$version" -k "$nokprobes" >"$log.exclusive" 2>&1 || rc=$?
cat "$log.exclusive" >>"$log"
check "dkms build refuses a config without CONFIG_KPROBES (status $rc)" test "$rc" -ne 0
check "... saying why (BUILD_EXCLUSIVE)" grep -q 'BUILD_EXCLUSIVE' "$log.exclusive"
check "... and builds nothing for it" test ! -e "/var/lib/dkms/lazytlb/$version/$nokprobes"

# One kernel only, as before.
if KERNELRELEASE=$K612 make -C "$TOP" dkms-install >>"$log" 2>&1; then
	ok "KERNELRELEASE=$K612 make dkms-install"
else
	not_ok "KERNELRELEASE=$K612 make dkms-install"
fi
if KERNELRELEASE=$nokprobes make -C "$TOP" dkms-install >"$log.one" 2>&1; then
	not_ok "KERNELRELEASE=$nokprobes make dkms-install fails"
else
	check "KERNELRELEASE=$nokprobes make dkms-install fails, saying why" \
		grep -q "skipping $nokprobes: its config lacks CONFIG_KPROBES" "$log.one"
fi
cat "$log.one" >>"$log"

make -C "$TOP" dkms-uninstall >>"$log" 2>&1
check "make dkms-uninstall removes it" \
	sh -c "! ls /lib/modules/*/updates/dkms/lazytlb.ko* >/dev/null 2>&1 && ! dkms status -m lazytlb | grep -q lazytlb"
for k in "$K61" "$K612"; do
	if modprobe -S "$k" --show-depends lazytlb >/dev/null 2>&1; then
		not_ok "$k: modprobe no longer finds it"
	else
		ok "$k: modprobe no longer finds it"
	fi
done
tap_done
