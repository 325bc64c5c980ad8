#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/lazytlb-compare: `report` from the fixed results in
# tests/fixtures/compare (tables, ratios, plot files), and `run` against a
# fake debugfs and fake workloads (counter deltas, CSV rows, resume, errors),
# plus the result-line format of the real workloads in build/bin.
# Prints TAP; exit status 1 if any test failed.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cmp=$top/scripts/lazytlb-compare
fix=$top/tests/fixtures/compare
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0 failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	[ $# -lt 2 ] || printf '%s\n' "$2" | sed 's/^/# /'
}
check() {
	local what=$1
	shift
	if "$@" >"$tmp/check.out" 2>&1; then
		ok "$what"
	else
		not_ok "$what" "$(tail -n 20 "$tmp/check.out")"
	fi
}
# has FILE LINE: FILE has LINE exactly.
has() {
	grep -qxF -- "$2" "$1" || {
		echo "missing line: $2"
		echo "in $1:"
		cat "$1"
		return 1
	}
}

valid_png() {
	[ -s "$1" ] || { echo "$1 missing or empty"; return 1; }
	[ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
		{ echo "$1: no PNG signature"; return 1; }
	[ "$(tail -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 49454e44ae426082 ] ||
		{ echo "$1: no IEND chunk at the end"; return 1; }
}

valid_svg() {
	[ -s "$1" ] || { echo "$1 missing or empty"; return 1; }
	python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); sys.exit(not r.tag.endswith("svg"))' "$1" ||
		{ echo "$1: not an SVG document"; return 1; }
	grep -q '<path\|<polyline\|<line' "$1" || { echo "$1: draws nothing"; return 1; }
}

# ------------------------------------------------------------ report ---

rep=$tmp/rep
check "report builds from the fixture" "$cmp" report "$fix" -o "$rep"
md=$rep/report.md
check "kernels table: A is the refcount kernel" \
	has "$md" "| A | 6.12.117-lazytlb-refcount | refcount | qemu-tcg | QEMU TCG CPU version 2.5+ | 4 | 0.1.0 | 12 | 0 | - |"
check "kernels table: B is shootdown (majority of its rows' modes)" \
	has "$md" "| B | 6.12.117-lazytlb-shootdown | shootdown | qemu-tcg | QEMU TCG CPU version 2.5+ | 4 | 0.1.0 | 12 | 0 | - |"
check "throughput ctxsw_threads/1: means, min..max, ratio 1.467, spread 1.400..1.500" \
	has "$md" "| 1 | 1000 (900..1100) | 1467 (1350..1650) | 1.467 | 1.400..1.500 |"
check "throughput ctxsw_threads/2: ratio 1.550, spread 1.500..1.667" \
	has "$md" "| 2 | 2000 (1800..2200) | 3100 (3000..3300) | 1.550 | 1.500..1.667 |"
check "throughput exitstorm/2: ratio 0.900, spread 0.800..1.000" \
	has "$md" "| 2 | 150 (150..150) | 135 (120..150) | 0.900 | 0.800..1.000 |"
check "refs/atomics/IPIs per round: 4 refs each, 4 atomics on refcount, 0 on shootdown, - where not counted" \
	has "$md" "| 1 | 4.000 | 4.000 | 4.000 | 0.000 | - | 0.000 |"
check "refs/atomics/IPIs per process: exitstorm/2 10 refs, 10 atomics vs 2 IPIs" \
	has "$md" "| 2 | 10.000 | 10.000 | 10.000 | 0.000 | - | 2.000 |"
check "shootdown table: exits, shootdowns, IPIs, targets/shootdown, held/target, us/shootdown, left" \
	has "$md" "| B shootdown | exitstorm | 2 | 810 | 270 | 540 | 2.00 | 0.50 | 5.00 | 810 |"
check "report says emulated timings are not hardware timings" \
	grep -q "Emulated timings are not hardware timings; the counts are exact either way" "$md"
check "report links the three plots" \
	bash -c "grep -c '](\(throughput\|atomics\|ipis\)\.png)' '$md' | grep -qx 3"
for p in throughput atomics ipis; do
	check "$p.png is a complete PNG" valid_png "$rep/$p.png"
done

rev=$tmp/rev
"$cmp" report "$fix/results-6.12.117-lazytlb-shootdown.csv" \
	"$fix/results-6.12.117-lazytlb-refcount.csv" -o "$rev" >/dev/null 2>&1 || true
check "file order does not matter: refcount is still A" \
	has "$rev/report.md" "| 1 | 1000 (900..1100) | 1467 (1350..1650) | 1.467 | 1.400..1.500 |"

svg=$tmp/svg
check "report -f svg" "$cmp" report "$fix" -o "$svg" -f svg
for p in throughput atomics ipis; do
	check "$p.svg is an SVG that draws" valid_svg "$svg/$p.svg"
done

mkdir -p "$tmp/metal"
for f in "$fix"/results-*.csv; do
	sed 's/,qemu-tcg,/,none,/' "$f" >"$tmp/metal/$(basename "$f")"
done
"$cmp" report "$tmp/metal" >/dev/null 2>&1 || true
check "bare-metal results: no emulation sentence" \
	bash -c "[ -s '$tmp/metal/report.md' ] && ! grep -q 'Emulated timings' '$tmp/metal/report.md'"

check "no unexplained transitions in the fixture: no warning" \
	bash -c "! grep -q 'could not explain' '$md'"
mkdir -p "$tmp/unexp"
cp "$fix/results-6.12.117-lazytlb-refcount.csv" "$tmp/unexp/"
awk -F, -v OFS=, 'NR == 3 { $26 = 7 } { print }' "$fix/results-6.12.117-lazytlb-shootdown.csv" \
	>"$tmp/unexp/results-6.12.117-lazytlb-shootdown.csv"
"$cmp" report "$tmp/unexp" >/dev/null 2>&1 || true
check "unexplained transitions: counted per kernel and warned about" \
	bash -c "grep -q '| B | 6.12.117-lazytlb-shootdown | .* | 12 | 7 |' '$tmp/unexp/report.md' && grep -q '^kernel(s) B ' '$tmp/unexp/report.md'"

mkdir -p "$tmp/missed"
cp "$fix/results-6.12.117-lazytlb-refcount.csv" "$tmp/missed/"
awk -F, -v OFS=, 'NR == 1 { $27 = "kprobes_missed," $27 } NR == 3 { $27 = "5," $27 } NR == 2 || NR > 3 { $27 = "0," $27 } { print }' \
	"$fix/results-6.12.117-lazytlb-shootdown.csv" >"$tmp/missed/results-6.12.117-lazytlb-shootdown.csv"
"$cmp" report "$tmp/missed" >/dev/null 2>&1 || true
check "kprobe misses: counted per kernel and warned about" \
	bash -c "grep -q '| B | 6.12.117-lazytlb-shootdown | .* | 0 | 5 |' '$tmp/missed/report.md' && grep -q 'probes missed events on kernel(s) B' '$tmp/missed/report.md' && grep -q '| A | .* | - |\$' '$tmp/missed/report.md'"

mkdir -p "$tmp/old"
for f in "$fix"/results-*.csv; do
	cut -d, -f1-23,25- "$f" >"$tmp/old/$(basename "$f")"	# without "left"
done
"$cmp" report "$tmp/old" >/dev/null 2>&1 || true
check "results without a newer column still report (as -)" \
	has "$tmp/old/report.md" "| B shootdown | exitstorm | 2 | 810 | 270 | 540 | 2.00 | 0.50 | 5.00 | - |"

mkdir -p "$tmp/empty"
check "report without results files fails with a message" \
	bash -c "! '$cmp' report '$tmp/empty' 2>'$tmp/err' && grep -q 'no results files' '$tmp/err'"
printf 'a,b\n1,2\n' >"$tmp/results-bogus.csv"
check "report on a foreign CSV fails with a message" \
	bash -c "! '$cmp' report '$tmp/results-bogus.csv' -o '$tmp/bogus' 2>'$tmp/err' && grep -q 'no column' '$tmp/err'"

# --------------------------------------------------------------- run ---

# A fake lazytlb: a summary file and a reset parameter. The fake workloads
# add to the summary's counters, as the real module would count.
fake=$tmp/fake
mkdir -p "$fake/dbg" "$fake/par" "$fake/bin"
cat >"$fake/dbg/summary" <<'EOF'
key value
version 9.9
enabled 1
mode shootdown
hooks tracepoint:sched_switch,kprobe:__mmdrop
switches 1000
atomics 7
shootdown_ipis 5
exits 2
EOF
: >"$fake/par/reset"
for w in pingpong tlbflush exitstorm; do
	cat >"$fake/bin/$w" <<EOF
#!/bin/sh
s=$fake/dbg/summary
awk '\$1 == "switches" { \$2 += 400 } \$1 == "shootdown_ipis" { \$2 += 30 } { print }' "\$s" >"\$s.new"
mv "\$s.new" "\$s"
echo "$w pid=1 threads=2 ops=100 seconds=2.000 things_per_sec=50.0"
EOF
	chmod +x "$fake/bin/$w"
done
export LAZYTLB_DEBUGFS=$fake/dbg LAZYTLB_PARAMS=$fake/par LAZYTLB_BIN=$fake/bin LAZYTLB_VIRT=testvirt
res=$tmp/res
krel=$(uname -r)
csv=$res/results-$(printf '%s' "$krel" | tr -c 'A-Za-z0-9._+-' _).csv
check "run with a fake module: 2 workloads x 2 thread counts x 2 repeats" \
	"$cmp" run -o "$res" -t "1 2" -r 2 -d 2 -w "ctxsw_threads exitstorm"
check "run wrote the header and 8 rows" \
	bash -c "[ \$(wc -l <'$csv') = 9 ] && head -n 1 '$csv' | grep -q '^kernel,mode,virt,cpu,nproc,module,workload,threads,repeat,'"
check "run row: tags, rate, ops, counter deltas (+400 switches, +30 IPIs), - for absent keys" \
	bash -c "sed -n 2p '$csv' | grep -q '^$krel,shootdown,testvirt,[^,]*,[0-9]*,9.9,ctxsw_threads,1,1,2,2.000,100,50.0,things,400,-,-,0,-,30,-,-,-,-,0,-,-,20'"
check "run interleaves repeats: repeat 1 of every cell before repeat 2" \
	bash -c "[ \"\$(cut -d, -f7-9 '$csv' | sed 1d | tr '\n' ' ')\" = 'ctxsw_threads,1,1 ctxsw_threads,2,1 exitstorm,1,1 exitstorm,2,1 ctxsw_threads,1,2 ctxsw_threads,2,2 exitstorm,1,2 exitstorm,2,2 ' ]"
"$cmp" run -o "$res" -t "1 2" -r 3 -d 2 -w "ctxsw_threads exitstorm" >"$tmp/resume.out" 2>&1 || true
check "run resumes: only repeat 3 is added" \
	bash -c "[ \$(wc -l <'$csv') = 13 ] && [ \$(grep -c 'already in' '$tmp/resume.out') = 8 ]"
if command -v busybox >/dev/null 2>&1; then
	check "run works under busybox sh and awk (as in the guest)" \
		env PATH="$tmp/bb:$PATH" bash -c "mkdir -p '$tmp/bb' && for a in awk sed tr head date mktemp; do ln -sf \"\$(command -v busybox)\" '$tmp/bb/'\$a; done && busybox sh '$cmp' run -o '$tmp/bbres' -t 1 -r 1 -d 1 -w tlbflush && grep -q ',tlbflush,1,1,1,2.000,100,50.0,things,400,' '$tmp/bbres'/results-*.csv"
else
	not_ok "run works under busybox sh and awk (busybox is not installed)"
fi
check "run refuses a bad workload name" \
	bash -c "! '$cmp' run -o '$res' -w nosuch 2>'$tmp/err' && grep -q 'unknown workload' '$tmp/err'"
check "run without the module's debugfs files fails with a clear message" \
	bash -c "! LAZYTLB_DEBUGFS='$tmp/nonexistent' '$cmp' run -o '$res' 2>'$tmp/err' && grep -q 'cannot read .*summary' '$tmp/err'"
mkdir -p "$tmp/off"
sed 's/^enabled 1$/enabled 0/' "$fake/dbg/summary" >"$tmp/off/summary"
check "run refuses a disabled module" \
	bash -c "! LAZYTLB_DEBUGFS='$tmp/off' '$cmp' run -o '$res' 2>'$tmp/err' && grep -q 'disabled' '$tmp/err'"
unset LAZYTLB_DEBUGFS LAZYTLB_PARAMS LAZYTLB_BIN LAZYTLB_VIRT

# --------------------------------------------------- workload output ---

check_line() {
	local bin=$top/build/bin/$1
	shift
	[ -x "$bin" ] || { echo "$bin missing: make workloads"; return 1; }
	"$bin" "$@" >"$tmp/line" || return 1
	cat "$tmp/line"
	[ "$(wc -l <"$tmp/line")" = 1 ] &&
		grep -Eq ' seconds=[0-9.]+ [a-z]+_per_sec=[0-9.]+$' "$tmp/line"
}
check "pingpong prints one result line" check_line pingpong -q -p 1 -n 200
check "tlbflush prints one result line" check_line tlbflush -t 2 -n 20
check "tlbflush -M (madvise) prints one result line" check_line tlbflush -t 2 -n 20 -M
check "exitstorm prints one result line" check_line exitstorm -t 2 -n 20
check "exitstorm counts its processes" \
	bash -c "'$top/build/bin/exitstorm' -t 1 -c 3 -n 17 | grep -q ' processes=17 '"

echo "1..$n"
[ "$failed" = 0 ]
