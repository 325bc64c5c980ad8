#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/build-kernel checks the build dependencies of the flavor it was
# asked for before it starts, and names the missing packages: FLAVOR=full
# without debhelper used to die hours later inside dpkg-buildpackage
# ("Unmet build dependencies: debhelper-compat (= 12)"). dpkg-query is
# replaced by a stub that says $MISSING is not installed. No build runs.
. "$(dirname "$0")/../lib/host.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/dpkg-query" <<'STUB'
#!/bin/sh
for a; do [ "$a" = "$MISSING" ] && exit 1; done
exec /usr/bin/dpkg-query "$@"
STUB
chmod +x "$tmp/dpkg-query"

rc=0
MISSING=debhelper PATH=$tmp:$PATH timeout 60 "$TOP/scripts/build-kernel" CHROOT=none \
	MODE=refcount FLAVOR=full STEP=config >"$tmp/out" 2>&1 || rc=$?
check "FLAVOR=full without debhelper stops (status $rc)" test "$rc" -ne 0
check "... naming the package: $(grep -o 'needs packages.*' "$tmp/out" | head -n 1)" \
	grep -q 'not installed: debhelper (apt-get install debhelper)' "$tmp/out"
check "... before it does anything" sh -c "! grep -q 'generating\\|unpacking\\|patch' '$tmp/out'"
rc=0
MISSING=bison PATH=$tmp:$PATH timeout 60 "$TOP/scripts/build-kernel" CHROOT=none \
	MODE=refcount FLAVOR=vm STEP=config >"$tmp/out.vm" 2>&1 || rc=$?
check "FLAVOR=vm without bison stops too, naming it (status $rc)" \
	sh -c "[ $rc -ne 0 ] && grep -q 'FLAVOR=vm needs packages that are not installed: bison ' '$tmp/out.vm'"
tap_done
