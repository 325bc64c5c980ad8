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

# Results that record how lazytlb.ko was used (timing runs without it,
# its parameters and hooks): shown per kernel, and a mix refused.
fair=$top/tests/fixtures/compare-fair
frep=$tmp/frep
check "report builds from results that record the module's use" "$cmp" report "$fair" -o "$frep"
fmd=$frep/report.md
check "module table: A timed without the module, its parameters, its cost (0.980) and hooks" \
	has "$fmd" "| A | unloaded | 1024 | 1024 | 0 | 0.980 (0.980..0.980) | tracepoint:sched_switch, kprobe:wake_up_new_task, kprobe:begin_new_exec, kretprobe:__mmdrop, kretprobe:kthread_use_mm, kretprobe:kthread_unuse_mm, kprobe:__mmdrop, cpuhp:lazytlb:dead |"
check "module table: B's cost (0.952) and its shootdown-only hooks" \
	has "$fmd" "| B | unloaded | 1024 | 1024 | 0 | 0.952 (0.952..0.952) | tracepoint:sched_switch, kprobe:wake_up_new_task, kprobe:begin_new_exec, kretprobe:__mmdrop, kprobe:do_shoot_lazy_tlb, kretprobe:leave_mm, kretprobe:flush_tlb_func, kretprobe:kthread_use_mm, kretprobe:kthread_unuse_mm, kprobe:__mmdrop, cpuhp:lazytlb:dead |"
check "throughput from the module-less timing runs (ratio 1.510, not the counting runs' 1.467)" \
	has "$fmd" "| 1 | 1020 (918..1122) | 1540 (1418..1732) | 1.510 | 1.441..1.544 |"
check "counts per operation from the counting runs' operations" \
	has "$fmd" "| 1 | 4.000 | 4.000 | 4.000 | 0.000 | - | 0.000 |"
check "measured alike: says so, no warning and no note" \
	bash -c "grep -qx 'Timed without lazytlb.ko on every kernel.' '$fmd' && ! grep -q 'not measured alike\|\*\*Note\*\*' '$fmd'"
check "older results: not recorded (-) in the module table" \
	has "$md" "| A | - | - | - | - | - | - |"
check "older results: a note that their throughput was timed with the module loaded" \
	bash -c "grep -q '^> \*\*Note\*\*: the throughput of kernel(s) A, B was timed with lazytlb.ko' '$md' && ! grep -q 'Timed without lazytlb.ko' '$md'"

# mixed NAME AWK-PROGRAM: $tmp/NAME with fair A and B rewritten by AWK-PROGRAM.
mixed() {
	mkdir -p "$tmp/$1"
	cp "$fair/results-6.12.117-lazytlb-refcount.csv" "$tmp/$1/"
	awk -F, -v OFS=, "$2" "$fair/results-6.12.117-lazytlb-shootdown.csv" \
		>"$tmp/$1/results-6.12.117-lazytlb-shootdown.csv"
}
# refused DIR TEXT: report on DIR fails, says TEXT, writes no report.
refused() {
	! "$cmp" report "$1" -o "$1/out" 2>"$1/err" || { echo "report did not fail"; return 1; }
	cat "$1/err"
	grep -qF -- "$2" "$1/err" && [ ! -e "$1/out/report.md" ]
}
# shellcheck disable=SC2016 # an awk program
mixed ss 'NR > 1 { $32 = 1 } { print }'
check "shared_stats 0 on A and 1 on B: report refused, naming both" \
	refused "$tmp/ss" "not measured alike (shared_stats: A 0, B 1;"
check "--mixed writes that report with a warning at its top" \
	bash -c "'$cmp' report '$tmp/ss' --mixed -o '$tmp/ss/forced' >/dev/null && sed -n 6p '$tmp/ss/forced/report.md' | grep -q 'Warning: the kernels were not measured alike' && grep -q '^> shared_stats: A 0, B 1 ' '$tmp/ss/forced/report.md'"
# shellcheck disable=SC2016 # an awk program
mixed tm 'NR > 1 { $28 = "loaded"; $13 = $29 } { print }'
check "throughput timed without the module on A, with it on B: refused" \
	refused "$tmp/tm" "not measured alike (timing: A unloaded, B loaded;"
mkdir -p "$tmp/mm"
for f in "$fair"/results-*.csv; do
	awk -F, -v OFS=, 'NR == 5 { $30 = 4096 } { print }' "$f" >"$tmp/mm/$(basename "$f")"
done
check "one run of each kernel with another max_mms (the same mix on both): refused" \
	refused "$tmp/mm" "not measured alike (max_mms: A 1024/4096, B 1024/4096;"
mkdir -p "$tmp/oldnew"
cp "$fix/results-6.12.117-lazytlb-refcount.csv" "$fair/results-6.12.117-lazytlb-shootdown.csv" "$tmp/oldnew/"
check "older results on A, recorded ones on B: refused" \
	refused "$tmp/oldnew" "not measured alike (timing: A -, B unloaded; max_mms: A -, B 1024;"
mkdir -p "$tmp/allL"
for f in "$fair"/results-*.csv; do
	awk -F, -v OFS=, 'NR > 1 { $28 = "loaded"; $13 = $29 } { print }' "$f" >"$tmp/allL/$(basename "$f")"
done
check "timed with the module on every kernel (-L): reported, with a note" \
	bash -c "'$cmp' report '$tmp/allL' >/dev/null && grep -q '^> \*\*Note\*\*: the throughput of kernel(s) A, B was timed with lazytlb.ko' '$tmp/allL/report.md' && grep -qF '| A | loaded | 1024 | 1024 | 0 | - |' '$tmp/allL/report.md'"

mkdir -p "$tmp/empty"
check "report without results files fails with a message" \
	bash -c "! '$cmp' report '$tmp/empty' 2>'$tmp/err' && grep -q 'no results files' '$tmp/err'"
printf 'a,b\n1,2\n' >"$tmp/results-bogus.csv"
check "report on a foreign CSV fails with a message" \
	bash -c "! '$cmp' report '$tmp/results-bogus.csv' -o '$tmp/bogus' 2>'$tmp/err' && grep -q 'no column' '$tmp/err'"

# --------------------------------------------------------------- run ---

# A fake lazytlb: insmod and rmmod (LAZYTLB_INSMOD...) make and remove a
# summary file and a parameters directory, and log what they did. The fake
# workloads add to the summary's counters, as the real module would count,
# and run faster (50 things/s) without the module than with it (40/s).
fake=$tmp/fake
mkdir -p "$fake/dbg" "$fake/sbin" "$fake/bin"
: >"$fake/lazytlb.ko"
cat >"$fake/sbin/insmod" <<EOF
#!/bin/sh
echo "insmod \$*" >>"$fake/log"
[ ! -e "$fake/insmod-fails" ] || { echo "insmod: ERROR: could not insert module: Operation not permitted" >&2; exit 1; }
[ ! -d "$fake/mod" ] || { echo "insmod: ERROR: could not insert module: File exists" >&2; exit 1; }
shift
mm=1024 rm=1024 ss=Y
for p; do
	case \$p in
	max_mms=*) mm=\${p#*=} ;;
	retired_max=*) rm=\${p#*=} ;;
	shared_stats=1 | shared_stats=[Yy]) ss=Y ;;
	shared_stats=0 | shared_stats=[Nn]) ss=N ;;
	*) echo "insmod: ERROR: could not insert module: Invalid parameters" >&2; exit 1 ;;
	esac
done
mkdir -p "$fake/mod/parameters"
echo \$mm >"$fake/mod/parameters/max_mms"
echo \$rm >"$fake/mod/parameters/retired_max"
echo \$ss >"$fake/mod/parameters/shared_stats"
echo Y >"$fake/mod/parameters/enabled"
: >"$fake/mod/parameters/reset"
[ \$ss = Y ] && ss=1 || ss=0
printf '%s\n' "key value" "version 9.9" "enabled 1" "shared_stats \$ss" "mode shootdown" \
	"hooks tracepoint:sched_switch,kprobe:__mmdrop,kretprobe:leave_mm" \
	"switches 1000" "atomics 7" "shootdown_ipis 5" "exits 2" >"$fake/dbg/summary"
EOF
cat >"$fake/sbin/rmmod" <<EOF
#!/bin/sh
echo "rmmod \$*" >>"$fake/log"
[ -d "$fake/mod" ] || { echo "rmmod: ERROR: Module lazytlb is not currently loaded" >&2; exit 1; }
rm -rf "$fake/mod" "$fake/dbg/summary"
EOF
cat >"$fake/sbin/modprobe" <<EOF
#!/bin/sh
echo "modprobe: FATAL: Module lazytlb not found in directory /lib/modules/x" >&2
exit 1
EOF
for w in pingpong tlbflush exitstorm; do
	cat >"$fake/bin/$w" <<EOF
#!/bin/sh
s=$fake/dbg/summary
if [ -d "$fake/mod" ]; then
	echo "$w loaded" >>"$fake/log"
	awk '\$1 == "switches" { \$2 += 400 } \$1 == "shootdown_ipis" { \$2 += 30 } { print }' "\$s" >"\$s.new"
	mv "\$s.new" "\$s"
	echo "$w pid=1 threads=2 ops=80 seconds=2.000 things_per_sec=40.0"
else
	echo "$w unloaded" >>"$fake/log"
	echo "$w pid=1 threads=2 ops=100 seconds=2.000 things_per_sec=50.0"
fi
EOF
done
chmod +x "$fake/sbin/insmod" "$fake/sbin/rmmod" "$fake/sbin/modprobe" \
	"$fake/bin/pingpong" "$fake/bin/tlbflush" "$fake/bin/exitstorm"
export LAZYTLB_DEBUGFS=$fake/dbg LAZYTLB_SYSMODULE=$fake/mod LAZYTLB_BIN=$fake/bin LAZYTLB_VIRT=testvirt
export LAZYTLB_INSMOD=$fake/sbin/insmod LAZYTLB_RMMOD=$fake/sbin/rmmod LAZYTLB_MODPROBE=$fake/sbin/modprobe
ko=$fake/lazytlb.ko
res=$tmp/res
krel=$(uname -r)
csvname=results-$(printf '%s' "$krel" | tr -c 'A-Za-z0-9._+-' _).csv
csv=$res/$csvname
hooks='tracepoint:sched_switch;kprobe:__mmdrop;kretprobe:leave_mm'
# col FILE NAME: column NAME of FILE's rows, one per line, each value once.
col() {
	awk -F, -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next } { print $c }' "$1" | sort -u
}
export -f col
check "run with a fake module: 2 workloads x 2 thread counts x 2 repeats" \
	"$cmp" run -o "$res" -t "1 2" -r 2 -d 2 -w "ctxsw_threads exitstorm" -m "$ko" -p "max_mms=64 shared_stats=0"
check "run wrote the header and 8 rows" \
	bash -c "[ \$(wc -l <'$csv') = 9 ] && head -n 1 '$csv' | grep -q '^kernel,mode,virt,cpu,nproc,module,workload,threads,repeat,.*,timing,loaded_throughput,max_mms,retired_max,shared_stats,hooks,date\$'"
check "run row: throughput of the module-less run (50/s); ops and counter deltas of the counting run (80, +400 switches, +30 IPIs); - for absent keys" \
	bash -c "sed -n 2p '$csv' | grep -q '^$krel,shootdown,testvirt,[^,]*,[0-9]*,9.9,ctxsw_threads,1,1,2,2.000,80,50.0,things,400,-,-,0,-,30,-,-,-,-,0,-,-,'"
check "run row: timing unloaded, the counting run's throughput, the module's parameters and hooks" \
	bash -c "sed -n 2p '$csv' | grep -q ',unloaded,40.0,64,1024,0,$hooks,20[0-9-]*T[0-9:]*Z\$'"
check "every row: throughput from the module-less run, the same parameters" \
	bash -c "[ \"\$(cut -d, -f13,28- '$csv' | sed 1d | cut -d, -f1-7 | sort -u)\" = '50.0,unloaded,40.0,64,1024,0,$hooks' ]"
check "run interleaves repeats: repeat 1 of every cell before repeat 2" \
	bash -c "[ \"\$(cut -d, -f7-9 '$csv' | sed 1d | tr '\n' ' ')\" = 'ctxsw_threads,1,1 ctxsw_threads,2,1 exitstorm,1,1 exitstorm,2,1 ctxsw_threads,1,2 ctxsw_threads,2,2 exitstorm,1,2 exitstorm,2,2 ' ]"
# Expected: a first load to check the module, then per cell a timing run
# without it and a counting run with it, and at the end unloaded, as it
# was found.
{
	echo "insmod $ko max_mms=64 shared_stats=0"
	for c in pingpong pingpong exitstorm exitstorm pingpong pingpong exitstorm exitstorm; do
		printf '%s\n' "rmmod lazytlb" "$c unloaded" "insmod $ko max_mms=64 shared_stats=0" "$c loaded"
	done
	echo "rmmod lazytlb"
} >"$tmp/log.want"
check "run: per cell a timing run without the module, then a counting run with it; unloaded at the end, as before" \
	bash -c "diff '$tmp/log.want' '$fake/log' && [ ! -e '$fake/mod' ]"
rm -f "$fake/log"
"$cmp" run -o "$res" -t "1 2" -r 3 -d 2 -w "ctxsw_threads exitstorm" -m "$ko" -p "max_mms=64 shared_stats=0" >"$tmp/resume.out" 2>&1 || true
check "run resumes: only repeat 3 is added" \
	bash -c "[ \$(wc -l <'$csv') = 13 ] && [ \$(grep -c 'already in' '$tmp/resume.out') = 8 ]"
check "run refuses to add runs measured otherwise to a results file" \
	bash -c "! '$cmp' run -o '$res' -t 1 -r 4 -d 2 -w ctxsw_threads -m '$ko' -p 'max_mms=128 shared_stats=0' 2>'$tmp/err' && grep -qF 'holds runs measured otherwise (timing=unloaded max_mms=64 retired_max=1024 shared_stats=0) than this one (timing=unloaded max_mms=128 ' '$tmp/err' && [ \$(wc -l <'$csv') = 13 ] && [ ! -e '$fake/mod' ]"
mkdir -p "$tmp/resold"
cp "$fix/results-6.12.117-lazytlb-refcount.csv" "$tmp/resold/$csvname"
check "run refuses a results file of an older lazytlb-compare" \
	bash -c "! '$cmp' run -o '$tmp/resold' -t 1 -r 1 -d 1 -w tlbflush -m '$ko' 2>'$tmp/err' && grep -q 'holds results of an older lazytlb-compare, timed with lazytlb.ko loaded: use another -o DIR' '$tmp/err'"

# A module loaded before the run: reloaded with its own parameters, and
# left loaded at the end.
rm -f "$fake/log"
"$LAZYTLB_INSMOD" "$ko" max_mms=32 retired_max=48 shared_stats=N
check "run without -p on a loaded module: reloads it with the parameters it had" \
	"$cmp" run -o "$tmp/res2" -t 1 -r 1 -d 2 -w tlbflush -m "$ko"
check "...records them" \
	bash -c "[ \"\$(col '$tmp/res2/$csvname' max_mms),\$(col '$tmp/res2/$csvname' retired_max),\$(col '$tmp/res2/$csvname' shared_stats)\" = 32,48,0 ]"
printf '%s\n' "insmod $ko max_mms=32 retired_max=48 shared_stats=N" "rmmod lazytlb" \
	"insmod $ko max_mms=32 retired_max=48 shared_stats=N" "rmmod lazytlb" "tlbflush unloaded" \
	"insmod $ko max_mms=32 retired_max=48 shared_stats=N" "tlbflush loaded" >"$tmp/log.want"
check "...and leaves it loaded with them" \
	bash -c "diff '$tmp/log.want' '$fake/log' && [ \"\$(cat '$fake/mod/parameters/max_mms')\" = 32 ]"

rm -f "$fake/log"
check "run -L: timed and counted with the loaded module, never unloaded" \
	bash -c "'$cmp' run -o '$tmp/resL' -t 1 -r 2 -d 2 -w tlbflush -L && ! grep -q 'rmmod\|insmod\|unloaded' '$fake/log' && [ -d '$fake/mod' ]"
check "run -L records timing loaded, with the counting run's throughput" \
	bash -c "[ \"\$(col '$tmp/resL/$csvname' timing),\$(col '$tmp/resL/$csvname' throughput),\$(col '$tmp/resL/$csvname' loaded_throughput)\" = loaded,40.0,40.0 ]"
check "run without -m on a loaded module: says it needs -m to unload and load it" \
	bash -c "! '$cmp' run -o '$tmp/resf' -t 1 -r 1 -d 1 -w tlbflush 2>'$tmp/err' && grep -q 'the run unloads lazytlb.ko for the timing runs and loads it for the counting runs: give its path with -m' '$tmp/err' && [ -d '$fake/mod' ]"
sed -i 's/^enabled 1$/enabled 0/' "$fake/dbg/summary"
check "run refuses a disabled module" \
	bash -c "! '$cmp' run -o '$tmp/resf' -t 1 -r 1 -d 1 -w tlbflush -L 2>'$tmp/err' && grep -q 'loaded but disabled' '$tmp/err'"
"$LAZYTLB_RMMOD" lazytlb

if command -v busybox >/dev/null 2>&1; then
	check "run works under busybox sh and awk (as in the guest)" \
		env PATH="$tmp/bb:$PATH" bash -c "mkdir -p '$tmp/bb' && for a in awk sed tr head date mktemp; do ln -sf \"\$(command -v busybox)\" '$tmp/bb/'\$a; done && busybox sh '$cmp' run -o '$tmp/bbres' -t 1 -r 1 -d 1 -w tlbflush -m '$ko' && grep -q ',tlbflush,1,1,1,2.000,80,50.0,things,400,.*,unloaded,40.0,1024,1024,1,' '$tmp/bbres'/results-*.csv && [ ! -e '$fake/mod' ]"
else
	not_ok "run works under busybox sh and awk (busybox is not installed)"
fi
# fails TEXT ARGS...: run ARGS fails, saying TEXT, and leaves no module loaded.
fails() {
	local want=$1
	shift
	! "$cmp" run -o "$tmp/resf" -t 1 -r 1 -d 1 -w tlbflush "$@" 2>"$tmp/err" || { echo "run did not fail"; return 1; }
	cat "$tmp/err"
	grep -qF -- "$want" "$tmp/err" && [ ! -e "$fake/mod" ]
}
check "run refuses a bad workload name" fails "unknown workload" -w nosuch -m "$ko"
check "run refuses an -m that does not exist" fails "-m: no such file: $tmp/nosuch.ko" -m "$tmp/nosuch.ko"
check "run refuses an -m that is not a .ko" fails "-m wants the path of lazytlb.ko, not '$fake/bin/pingpong'" -m "$fake/bin/pingpong"
check "run refuses a parameter it may not set" fails "-p: 'enabled' is not a lazytlb.ko parameter the run may set" -m "$ko" -p "enabled=0"
check "run refuses a max_mms out of range" fails "-p: max_mms wants a number from 16 to 65536, not '8'" -m "$ko" -p "max_mms=8"
check "run refuses a retired_max that is not a number" fails "-p: retired_max wants a number from 16 to 65536, not '1e3'" -m "$ko" -p "retired_max=1e3"
check "run refuses a bad shared_stats" fails "-p: shared_stats wants 0 or 1, not 'yes'" -m "$ko" -p "shared_stats=yes"
check "run refuses a parameter without a value" fails "-p wants NAME=VALUE words, not 'max_mms'" -m "$ko" -p "max_mms"
check "run without -m, the module not loaded nor known to modprobe: says to give -m" \
	fails "lazytlb.ko is not loaded and modprobe cannot find it: give its path with -m lazytlb.ko"
touch "$fake/insmod-fails"
check "run: a failing insmod is reported with its message" \
	fails "insmod $ko  failed: insmod: ERROR: could not insert module: Operation not permitted" -m "$ko"
rm -f "$fake/insmod-fails"
check "run without the module's debugfs files fails with a clear message" \
	bash -c "! LAZYTLB_DEBUGFS='$tmp/nonexistent' '$cmp' run -o '$tmp/resf' -t 1 -r 1 -d 1 -w tlbflush -m '$ko' 2>'$tmp/err' && grep -q 'cannot read .*nonexistent/summary' '$tmp/err' && [ ! -e '$fake/mod' ]"
unset LAZYTLB_DEBUGFS LAZYTLB_SYSMODULE LAZYTLB_BIN LAZYTLB_VIRT LAZYTLB_INSMOD LAZYTLB_RMMOD LAZYTLB_MODPROBE

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
