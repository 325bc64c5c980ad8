#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS: `make dkms-install` builds and installs lazytlb for the 6.1 and
# 6.12 headers installed here, where modprobe finds it, with the right
# vermagic; `make dkms-uninstall` takes it all away again.
. "$(dirname "$0")/../lib/host.sh"
load_kernels
log=$BUILD/logs/dkms.log
mkdir -p "$BUILD/logs"

for k in "$K61" "$K612"; do
	if KERNELRELEASE=$k make -C "$TOP" dkms-install >>"$log" 2>&1; then
		ok "$k: make dkms-install"
	else
		not_ok "$k: make dkms-install"
		tail -n 30 "$log" | sed 's/^/# /'
		continue
	fi
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
