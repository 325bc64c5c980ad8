#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages, the way a trixie user gets the module: in a trixie
# chroot with trixie's 6.12 image and headers, `apt install
# ./lazytlb-dkms_*.deb` builds and installs lazytlb for that kernel
# through dh_dkms's postinst; installing trixie-backports' 7.3 image and
# headers with apt then makes DKMS build and install it for 7.3 by
# itself, through the kernel packages' postinst hooks; modinfo and
# modprobe -S find it with the right vermagic; removing the package
# removes it from every kernel. lazytlb-tools installs and runs there.
#
# The chroot's base (build/chroots/trixie-dkms, with the 7.3 packages
# already downloaded) is made once and reused; each run works on an
# overlay of it that is thrown away.
. "$(dirname "$0")/../lib/host.sh"
load_kernels
log=$BUILD/logs/dkms-deb
mkdir -p "$log"
version=$(sed -n 's/^VERSION := //p' "$TOP/Makefile")

for var in KTRIXIE612 K73; do
	if ! matrix_row "$var"; then
		not_ok "$var: kernel packages available ($kwhy)"
		tap_done
		exit 1
	fi
done
old=$KTRIXIE612 new=$K73

if make -s -C "$TOP" deb >"$log/deb.log" 2>&1; then
	ok "make deb builds lazytlb-dkms and lazytlb-tools, lintian-clean"
else
	not_ok "make deb builds lazytlb-dkms and lazytlb-tools, lintian-clean"
	tail -n 20 "$log/deb.log" | sed 's/^/# /'
	exit 1
fi
dkms_deb=$BUILD/deb/lazytlb-dkms_${version}_all.deb
tools_deb=$BUILD/deb/lazytlb-tools_${version}_amd64.deb

base=$BUILD/chroots/trixie-dkms
stamp=$base/etc/lazytlb-dkms-base.stamp
want="$old $new"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
	# Half-made (no stamp) or for other kernels: make it again.
	findmnt -rn -o TARGET | awk -v r="$base/" 'index($0 "/", r) == 1' |
		sort -r | while read -r m; do umount -l "$m"; done
	rm -rf --one-file-system "$base"
	mirror=$("$TOP/scripts/build/mirror")
	if nice -n 10 mmdebstrap --quiet --variant=apt \
	     --include="dkms,build-essential,kmod,linux-headers-$old" trixie "$base" \
	     "deb $mirror trixie main" "deb $mirror trixie-backports main" \
	     >"$log/mmdebstrap.log" 2>&1 &&
	   chroot "$base" apt-get update -qq >>"$log/mmdebstrap.log" 2>&1 &&
	   chroot "$base" apt-get install -y -qq --download-only -t trixie-backports \
	     "linux-image-$new" "linux-headers-$new" >>"$log/mmdebstrap.log" 2>&1; then
		echo "$want" >"$stamp"
		ok "trixie chroot with dkms and linux-headers-$old"
	else
		not_ok "trixie chroot with dkms and linux-headers-$old, linux-image-$new and linux-headers-$new downloaded (see $log/mmdebstrap.log)"
		tail -n 10 "$log/mmdebstrap.log" | sed 's/^/# /'
		exit 1
	fi
else
	ok "trixie chroot with dkms and linux-headers-$old (cached)"
fi

# A throw-away overlay of the base for this run.
run=$BUILD/chroots/trixie-dkms-run
root=$run/root
cleanup() {
	local m
	findmnt -rn -o TARGET | awk -v r="$root/" 'index($0 "/", r) == 1' |
		sort -r | while read -r m; do umount -l "$m"; done
	mountpoint -q "$root" && umount -l "$root"
	rm -rf --one-file-system "$run"
}
cleanup
trap cleanup EXIT
mkdir -p "$run/upper" "$run/work" "$root"
if ! mount -t overlay overlay -o "lowerdir=$base,upperdir=$run/upper,workdir=$run/work" "$root"; then
	not_ok "overlay of the trixie chroot"
	exit 1
fi
mount -t proc proc "$root/proc"
cp "$dkms_deb" "$tools_deb" "$root/tmp/"
in_root() { chroot "$root" env DEBIAN_FRONTEND=noninteractive "$@"; }

# found REL: the path modprobe -S REL resolves lazytlb to ("" if none).
found() {
	in_root modprobe -S "$1" --show-depends lazytlb 2>/dev/null | awk '/^insmod/ { print $2 }'
}
# installed_for REL WHEN: modprobe finds it in updates/dkms, with REL's vermagic.
installed_for() {
	local path vm
	path=$(found "$1")
	case $path in
	/lib/modules/"$1"/updates/dkms/lazytlb.ko* | /usr/lib/modules/"$1"/updates/dkms/lazytlb.ko*)
		ok "$2: modprobe -S $1 finds it ($path)" ;;
	*)
		not_ok "$2: modprobe -S $1 finds it in updates/dkms (found '$path')"
		return ;;
	esac
	vm=$(in_root modinfo -F vermagic "$path" 2>/dev/null | awk '{ print $1 }')
	check "$2: modinfo: vermagic is $1 ($vm)" test "$vm" = "$1"
}

start=$SECONDS
if in_root apt-get install -y -q "/tmp/$(basename "$dkms_deb")" >"$log/install-dkms.log" 2>&1; then
	ok "apt install ./lazytlb-dkms_${version}_all.deb ($((SECONDS - start)) s)"
else
	not_ok "apt install ./lazytlb-dkms_${version}_all.deb"
	tail -n 30 "$log/install-dkms.log" | sed 's/^/# /'
fi
check "dkms status: installed for $old" \
	sh -c "chroot '$root' dkms status lazytlb | grep -q '$old.*installed'"
installed_for "$old" "package install"
check "/usr/src/lazytlb-$version holds the source" test -f "$root/usr/src/lazytlb-$version/dkms.conf"
check "not built for $new yet (no such kernel)" test -z "$(found "$new")"

start=$SECONDS
if in_root apt-get install -y -q -t trixie-backports "linux-image-$new" "linux-headers-$new" \
     >"$log/install-kernel.log" 2>&1; then
	ok "apt install linux-image-$new linux-headers-$new ($((SECONDS - start)) s)"
else
	not_ok "apt install linux-image-$new linux-headers-$new"
	tail -n 30 "$log/install-kernel.log" | sed 's/^/# /'
fi
check "the kernel packages' hook ran DKMS for $new" \
	grep -q "lazytlb" "$log/install-kernel.log"
check "dkms status: installed for $new" \
	sh -c "chroot '$root' dkms status lazytlb | grep -q '$new.*installed'"
installed_for "$new" "kernel upgrade"
installed_for "$old" "after the upgrade, still"

if in_root apt-get install -y -q "/tmp/$(basename "$tools_deb")" >"$log/install-tools.log" 2>&1; then
	ok "apt install ./lazytlb-tools_${version}_amd64.deb"
else
	not_ok "apt install ./lazytlb-tools_${version}_amd64.deb"
	tail -n 20 "$log/install-tools.log" | sed 's/^/# /'
fi
check "lazytlb-bpf runs there (--help)" sh -c "chroot '$root' lazytlb-bpf --help >/dev/null 2>&1"
check "lazytlb-compare runs (usage)" \
	sh -c "chroot '$root' lazytlb-compare 2>&1 | grep -q 'lazytlb-compare run'"
check "its workload pingpong runs there" \
	sh -c "chroot '$root' /usr/lib/lazytlb/pingpong -p 1 -n 10 -q | grep -q pid="

if in_root apt-get remove -y -q lazytlb-dkms >"$log/remove.log" 2>&1; then
	ok "apt remove lazytlb-dkms"
else
	not_ok "apt remove lazytlb-dkms"
	tail -n 20 "$log/remove.log" | sed 's/^/# /'
fi
left=$(find "$root/lib/modules/" "$root/usr/lib/modules/" -name 'lazytlb.ko*' 2>/dev/null | sed "s|^$root||" | sort -u)
check "no lazytlb.ko left in any kernel's tree (${left:-none})" test -z "$left"
for k in "$old" "$new"; do
	check "modprobe -S $k no longer finds it" test -z "$(found "$k")"
done
check "dkms status no longer lists lazytlb" \
	sh -c "! chroot '$root' dkms status lazytlb | grep -q ."
tap_done
