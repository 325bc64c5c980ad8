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
# The same in a Debian 12 chroot, from 6.1 to 6.12 (this machine's own
# apt sources: both come from bookworm-security).
#
# Each chroot's base (build/chroots/DIST-dkms, with the newer kernel's
# packages already downloaded) is made once and reused; each run works on
# an overlay of it that is thrown away.
. "$(dirname "$0")/../lib/host.sh"
load_kernels
log=$BUILD/logs/dkms-deb
mkdir -p "$log"
version=$(sed -n 's/^VERSION := //p' "$TOP/Makefile")


if make -s -C "$TOP" deb >"$log/deb.log" 2>&1; then
	ok "make deb builds lazytlb-dkms and lazytlb-tools, lintian-clean"
else
	not_ok "make deb builds lazytlb-dkms and lazytlb-tools, lintian-clean"
	tail -n 20 "$log/deb.log" | sed 's/^/# /'
	exit 1
fi
dkms_deb=$BUILD/deb/lazytlb-dkms_${version}_all.deb
tools_deb=$BUILD/deb/lazytlb-tools_${version}_amd64.deb

# flow DIST OLD NEW SUITE SOURCE...: in a chroot of DIST (apt sources
# SOURCE...) with OLD's headers, install lazytlb-dkms, then NEW's image
# and headers (from SUITE, "" for the default suites), check, remove.
flow() {
	local dist=$1 old=$2 new=$3 suite=$4 base stamp want path start left k
	shift 4
	local sources=("$@")
	base=$BUILD/chroots/$dist-dkms
	stamp=$base/etc/lazytlb-dkms-base.stamp
	want="$old $new"
	if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
		# Half-made (no stamp) or for other kernels: make it again.
		findmnt -rn -o TARGET | awk -v r="$base/" 'index($0 "/", r) == 1' |
			sort -r | while read -r m; do umount -l "$m"; done
		rm -rf --one-file-system "$base"
		if nice -n 10 mmdebstrap --quiet --variant=apt \
		     --include="dkms,build-essential,kmod,linux-headers-$old" "$dist" "$base" \
		     "${sources[@]}" >"$log/$dist-mmdebstrap.log" 2>&1 &&
		   chroot "$base" apt-get update -qq >>"$log/$dist-mmdebstrap.log" 2>&1 &&
		   chroot "$base" apt-get install -y -qq --download-only ${suite:+-t "$suite"} \
		     "linux-image-$new" "linux-headers-$new" >>"$log/$dist-mmdebstrap.log" 2>&1; then
			echo "$want" >"$stamp"
			ok "$dist: chroot with dkms and linux-headers-$old"
		else
			not_ok "$dist: chroot with dkms and linux-headers-$old, linux-image-$new and linux-headers-$new downloaded (see $log/$dist-mmdebstrap.log)"
			tail -n 10 "$log/$dist-mmdebstrap.log" | sed 's/^/# /'
			return
		fi
	else
		ok "$dist: chroot with dkms and linux-headers-$old (cached)"
	fi

	# A throw-away overlay of the base for this run.
	run=$BUILD/chroots/$dist-dkms-run
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
		not_ok "$dist: overlay of the chroot"
		return
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
			ok "$dist: $2: modprobe -S $1 finds it ($path)" ;;
		*)
			not_ok "$dist: $2: modprobe -S $1 finds it in updates/dkms (found '$path')"
			return ;;
		esac
		vm=$(in_root modinfo -F vermagic "$path" 2>/dev/null | awk '{ print $1 }')
		check "$dist: $2: modinfo: vermagic is $1 ($vm)" test "$vm" = "$1"
	}

	start=$SECONDS
	if in_root apt-get install -y -q "/tmp/$(basename "$dkms_deb")" >"$log/$dist-install-dkms.log" 2>&1; then
		ok "$dist: apt install ./lazytlb-dkms_${version}_all.deb ($((SECONDS - start)) s)"
	else
		not_ok "$dist: apt install ./lazytlb-dkms_${version}_all.deb"
		tail -n 30 "$log/$dist-install-dkms.log" | sed 's/^/# /'
	fi
	check "$dist: dkms status: installed for $old" \
		sh -c "chroot '$root' dkms status lazytlb | grep -q '$old.*installed'"
	installed_for "$old" "package install"
	check "$dist: /usr/src/lazytlb-$version holds the source" test -f "$root/usr/src/lazytlb-$version/dkms.conf"
	check "$dist: not built for $new yet (no such kernel)" test -z "$(found "$new")"

	start=$SECONDS
	# INITRD=No: the initramfs-tools hook skips the initramfs (minutes
	# under load, and nothing boots this chroot); the dkms hook runs first
	# either way (/etc/kernel/postinst.d/dkms).
	if in_root INITRD=No apt-get install -y -q ${suite:+-t "$suite"} "linux-image-$new" "linux-headers-$new" \
	     >"$log/$dist-install-kernel.log" 2>&1; then
		ok "$dist: apt install linux-image-$new linux-headers-$new ($((SECONDS - start)) s)"
	else
		not_ok "$dist: apt install linux-image-$new linux-headers-$new"
		tail -n 30 "$log/$dist-install-kernel.log" | sed 's/^/# /'
	fi
	check "$dist: the kernel packages' hook ran DKMS for $new" \
		grep -q "lazytlb" "$log/$dist-install-kernel.log"
	check "$dist: dkms status: installed for $new" \
		sh -c "chroot '$root' dkms status lazytlb | grep -q '$new.*installed'"
	installed_for "$new" "kernel upgrade"
	installed_for "$old" "after the upgrade, still"

	if in_root apt-get install -y -q "/tmp/$(basename "$tools_deb")" >"$log/$dist-install-tools.log" 2>&1; then
		ok "$dist: apt install ./lazytlb-tools_${version}_amd64.deb"
	else
		not_ok "$dist: apt install ./lazytlb-tools_${version}_amd64.deb"
		tail -n 20 "$log/$dist-install-tools.log" | sed 's/^/# /'
	fi
	check "$dist: lazytlb-bpf runs there (--help)" sh -c "chroot '$root' lazytlb-bpf --help >/dev/null 2>&1"
	check "$dist: lazytlb-compare runs (usage)" \
		sh -c "chroot '$root' lazytlb-compare 2>&1 | grep -q 'lazytlb-compare run'"
	check "$dist: its workload pingpong runs there" \
		sh -c "chroot '$root' /usr/lib/lazytlb/pingpong -p 1 -n 10 -q | grep -q pid="

	if in_root apt-get remove -y -q lazytlb-dkms >"$log/$dist-remove.log" 2>&1; then
		ok "$dist: apt remove lazytlb-dkms"
	else
		not_ok "$dist: apt remove lazytlb-dkms"
		tail -n 20 "$log/$dist-remove.log" | sed 's/^/# /'
	fi
	left=$(find "$root/lib/modules/" "$root/usr/lib/modules/" -name 'lazytlb.ko*' 2>/dev/null | sed "s|^$root||" | sort -u)
	check "$dist: no lazytlb.ko left in any kernel's tree (${left:-none})" test -z "$left"
	for k in "$old" "$new"; do
		check "$dist: modprobe -S $k no longer finds it" test -z "$(found "$k")"
	done
	check "$dist: dkms status no longer lists lazytlb" \
		sh -c "! chroot '$root' dkms status lazytlb | grep -q ."
	cleanup
	trap - EXIT
}

mirror=$("$TOP/scripts/build/mirror")
# trixie: its 6.12, then trixie-backports' 7.3.
if matrix_row KTRIXIE612 && matrix_row K73; then
	flow trixie "$KTRIXIE612" "$K73" trixie-backports \
		"deb $mirror trixie main" "deb $mirror trixie-backports main"
else
	not_ok "trixie: kernel packages available ($kwhy)"
fi
# Debian 12: 6.1, then 6.12, from this machine's own apt sources (both
# kernels come from bookworm-security there).
host_sources=$(find /etc/apt/sources.list.d -name '*.sources' 2>/dev/null | sort | head -n 1)
[ -n "$host_sources" ] || host_sources=/etc/apt/sources.list
if matrix_row K61 && matrix_row K612; then
	flow bookworm "$K61" "$K612" "" "$host_sources"
else
	not_ok "bookworm: kernel packages available ($kwhy)"
fi
tap_done
