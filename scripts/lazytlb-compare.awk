# SPDX-License-Identifier: GPL-2.0
#
# The report half of lazytlb-compare (see there): POSIX awk (mawk, gawk,
# busybox). Input: every line of every results file, as "FILE<TAB>LINE".
# Variables: out (directory: report.md, data/*.dat, data/plots.gp),
# fmt (png or svg), nfiles, mixed (1: report kernels measured differently,
# with a warning, instead of refusing them).
# Writes the Markdown report and the gnuplot script; the caller runs it.

function fail(msg) {
	print "lazytlb-compare: report: " msg > "/dev/stderr"
	failed = 1
	exit 1
}

function isnum(s) {
	return s ~ /^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/
}

# A field of the current row by column name; "-" for a column this file
# lacks (results of an older lazytlb-compare).
function get(name) {
	if (!((file, name) in col))
		return "-"
	return val[col[file, name]]
}

# Throughput-like numbers.
function fnum(x) {
	if (x == "")
		return "-"
	if (x == int(x) || x >= 100 || x <= -100)
		return sprintf("%.0f", x)
	if (x >= 10 || x <= -10)
		return sprintf("%.1f", x)
	return sprintf("%.2f", x)
}

# Counts per operation: small, exact ratios.
function fop(x) {
	if (x == "")
		return "-"
	if (x != 0 && x < 0.001 && x > -0.001)
		return sprintf("%.2e", x)
	return sprintf("%.3f", x)
}

# "rounds" -> "round", "processes" -> "process".
function singular(u) {
	if (u ~ /sses$/)
		return substr(u, 1, length(u) - 2)
	if (u ~ /s$/)
		return substr(u, 1, length(u) - 1)
	return u
}

# Note value v of field f for kernel k (each distinct value once, in order).
function addval(k, f, v) {
	if ((k, f, v) in vseen)
		return
	vseen[k, f, v] = 1
	kval[k, f] = knv[k, f]++ ? kval[k, f] "/" v : v
}

function mode_rank(m) {
	return m == "refcount" ? 0 : m == "shootdown" ? 1 : m == "hazptr" ? 2 : 3
}

# Kernels booted as they are first, then with a test switch (a release
# with a "+" suffix, e.g. +noflush-lazy): so the modes of one boot sit
# side by side.
function variant(k) {
	return index(k, "+") ? substr(k, index(k, "+")) : ""
}

# Does kernel a sort before kernel b (by variant, then refcount, shootdown,
# hazptr, then by release)?
function kbefore(a, b) {
	if (variant(a) != variant(b))
		return variant(a) < variant(b)
	if (mode_rank(kmode[a]) != mode_rank(kmode[b]))
		return mode_rank(kmode[a]) < mode_rank(kmode[b])
	return a < b
}

BEGIN {
	FS = "\t"
	nneed = split("kernel,mode,virt,cpu,nproc,module,workload,threads,repeat,ops,throughput,unit", need, ",")
	split("ctxsw_threads ctxsw_procs tlbflush exitstorm", canon, " ")
	what["ctxsw_threads"] = "pingpong, threads of one process (context_switch1_threads); threads = pairs"
	what["ctxsw_procs"] = "pingpong -P, processes: no shared mm (the control); threads = pairs"
	what["tlbflush"] = "threads of one mm mapping, touching and unmapping (tlb_flush2-like)"
	what["exitstorm"] = "short-lived processes, each with that many threads (exit storm)"
	ncnt = split("atomics shootdowns shootdown_ipis shootdown_targets shootdown_held shootdown_ns left exits switches grabs drops", cnames, " ")
	# How the module was used: every kernel must have been measured alike.
	nsetup = split("timing max_mms retired_max shared_stats", setup, " ")
	nk = 0
	nw = 0
	rows = 0
}

{
	file = $1
	line = substr($0, length(file) + 2)
	sub(/\r$/, "", line)
	n = split(line, val, ",")
	if (!(file in hdr)) {
		hdr[file] = 1
		for (i = 1; i <= n; i++)
			col[file, val[i]] = i
		nf[file] = n
		for (i = 1; i <= nneed; i++)
			if (!((file, need[i]) in col))
				fail(file ": no column '" need[i] "' in its header (not a lazytlb-compare results file?)")
		next
	}
	if (line == "")
		next
	if (n != nf[file])
		fail(file ":" FNR ": " n " fields, the header has " nf[file])
	k = get("kernel")
	w = get("workload")
	t = get("threads") + 0
	r = get("repeat") + 0
	tp = get("throughput")
	if (!isnum(tp))
		fail(file ":" FNR ": throughput '" tp "' is not a number")
	if (!(k in kseen)) {
		kseen[k] = 1
		K[++nk] = k
		kvirt[k] = get("virt")
		kcpu[k] = get("cpu")
		knproc[k] = get("nproc")
		kmodule[k] = get("module")
		kfile[k] = file
	}
	m = get("mode")
	modecnt[k, m]++
	if (!((k, "m", m) in mseen)) {
		mseen[k, "m", m] = 1
		kmodes[k] = kmodes[k] " " m
	}
	if (!(w in wseen)) {
		wseen[w] = 1
		wfirst[++nwseen] = w
		wunit[w] = get("unit")
	}
	if (!((w, t) in tseen)) {
		tseen[w, t] = 1
		nt[w]++
		T[w, nt[w]] = t
	}
	kruns[k]++
	v = get("unexplained")
	if (isnum(v))
		kunexp[k] += v
	else
		kunexp_na[k] = 1
	# Results from before the column: not known.
	v = get("kprobes_missed")
	if (isnum(v))
		kmissed[k] += v
	else
		kmissed_na[k] = 1
	# "-": results of a lazytlb-compare that did not record it.
	for (i = 1; i <= nsetup; i++)
		addval(k, setup[i], get(setup[i]))
	addval(k, "hooks", get("hooks"))
	# The module's cost: the counting run's throughput over the timing run's.
	v = get("loaded_throughput")
	if (get("timing") == "unloaded" && isnum(v) && tp > 0) {
		q = v / tp
		kcost[k] += q
		kcostn[k]++
		if (!(k in kcostlo) || q < kcostlo[k])
			kcostlo[k] = q
		if (!(k in kcosthi) || q > kcosthi[k])
			kcosthi[k] = q
	}
	rows++
	c = k SUBSEP w SUBSEP t
	cn[c]++
	csum[c] += tp
	if (!(c in cmin) || tp < cmin[c])
		cmin[c] = tp
	if (!(c in cmax) || tp > cmax[c])
		cmax[c] = tp
	rsum[c, r] += tp
	rn[c, r]++
	if (r > maxr[w, t])
		maxr[w, t] = r
	ops = get("ops")
	for (i = 1; i <= ncnt; i++) {
		v = get(cnames[i])
		if (!isnum(v))
			continue
		ksum[c, cnames[i]] += v
		kops[c, cnames[i]] += ops
		kn[c, cnames[i]]++
	}
}

# Mean count per operation of counter name over the runs of cell c, or "".
function perop(c, name) {
	if (!kn[c, name] || kops[c, name] <= 0)
		return ""
	return ksum[c, name] / kops[c, name]
}

# Mean count per run.
function perrun(c, name) {
	if (!kn[c, name])
		return ""
	return ksum[c, name] / kn[c, name]
}

function dat(w, i) {
	return "data/" w "." L[i] ".dat"
}

# Header of one gnuplot panel.
function panel(w, ylabel, top,   j, tics, lo, hi) {
	lo = T[w, 1]
	hi = T[w, nt[w]]
	tics = ""
	for (j = 1; j <= nt[w]; j++)
		tics = tics (j > 1 ? ", " : "") "\"" T[w, j] "\" " T[w, j]
	print "set title \"" w "\"" > gp
	print "set xlabel \"threads\"" > gp
	print "set ylabel \"" ylabel "\"" > gp
	print "set logscale x 2" > gp
	print "set xrange [" lo / 1.4 ":" hi * 1.4 "]" > gp
	print "set xtics (" tics ")" > gp
	if (top > 0)
		print "set yrange [0:" top * 1.15 "]" > gp
	else
		print "set yrange [0:1]" > gp
}

# Plot command with the given series (already ", "-joined), or "no data".
function plotcmd(series) {
	if (series == "") {
		print "set label 1 \"no data\" at graph 0.5, 0.5 center" > gp
		print "plot -1 notitle" > gp
		print "unset label 1" > gp
	} else {
		print "plot " series > gp
	}
}

END {
	if (failed)
		exit 1
	if (!rows)
		fail("the results files hold no runs")

	# Each kernel's mode: its most frequent detected mode.
	for (i = 1; i <= nk; i++) {
		k = K[i]
		best = ""
		nm = split(kmodes[k], ms, " ")
		for (j = 1; j <= nm; j++) {
			m = ms[j]
			if (m == "-" || m == "unknown")
				continue
			if (best == "" || modecnt[k, m] > modecnt[k, best])
				best = m
		}
		if (best == "")
			best = ((k, "unknown") in modecnt) ? "unknown" : "-"
		kmode[k] = best
	}
	# Order: refcount first (the baseline A), then shootdown, then others.
	for (i = 2; i <= nk; i++) {
		k = K[i]
		for (j = i - 1; j >= 1 && kbefore(k, K[j]); j--)
			K[j + 1] = K[j]
		K[j + 1] = k
	}
	# Name kernels by mode when the modes tell them apart, else by release.
	bymode = 1
	for (i = 1; i <= nk; i++)
		for (j = 1; j < i; j++)
			if (kmode[K[i]] == kmode[K[j]])
				bymode = 0
	for (i = 1; i <= nk; i++) {
		L[i] = substr("ABCDEFGHIJKLMNOPQRSTUVWXYZ", i, 1)
		name[i] = L[i] " " (bymode ? kmode[K[i]] : K[i])
	}
	# Workloads: the known ones in their order, then the others.
	for (i = 1; i <= 4; i++)
		if (canon[i] in wseen) {
			W[++nw] = canon[i]
			wdone[canon[i]] = 1
		}
	for (i = 1; i <= nwseen; i++)
		if (!(wfirst[i] in wdone))
			W[++nw] = wfirst[i]
	# Thread counts in numeric order.
	for (x = 1; x <= nw; x++) {
		w = W[x]
		for (i = 2; i <= nt[w]; i++) {
			t = T[w, i]
			for (j = i - 1; j >= 1 && T[w, j] > t; j--)
				T[w, j + 1] = T[w, j]
			T[w, j + 1] = t
		}
	}
	# Kernels measured differently (timing with and without the module,
	# other parameters, or not recorded on some) do not compare.
	mix = ""
	for (y = 1; y <= nsetup; y++) {
		f = setup[y]
		differ = 0
		for (i = 1; i <= nk; i++)
			if (knv[K[i], f] > 1 || kval[K[i], f] != kval[K[1], f])
				differ = 1
		if (!differ)
			continue
		s = f ":"
		for (i = 1; i <= nk; i++)
			s = s (i > 1 ? "," : "") " " L[i] " " kval[K[i], f]
		mix = mix (mix == "" ? "" : "; ") s
	}
	if (mix != "" && !mixed)
		fail("the kernels were not measured alike (" mix "; \"-\": not recorded, by an older lazytlb-compare): " \
		     "their throughput would carry lazytlb.ko's cost on one and not the other, or another cost. " \
		     "Run every kernel with the same lazytlb-compare and -p, all with or all without -L, " \
		     "or pass --mixed to write the report anyway, with a warning")
	# Throughput timed with the module loaded (or maybe: not recorded).
	loaded = ""
	for (i = 1; i <= nk; i++)
		if (kval[K[i], "timing"] != "unloaded")
			loaded = loaded (loaded == "" ? "" : ", ") L[i]

	virt = ""
	for (i = 1; i <= nk; i++)
		if (kvirt[K[i]] != "none" && kvirt[K[i]] != "" && !(kvirt[K[i]] in vseen)) {
			vseen[kvirt[K[i]]] = 1
			virt = virt (virt == "" ? "" : ", ") kvirt[K[i]]
		}

	md = out "/report.md"
	printf "# lazytlb: lazy-TLB mode comparison\n\n" > md
	printf "From %d results file(s), %d runs, by `lazytlb-compare report`.\n", nfiles, rows > md
	printf "Kernel A is the baseline: every ratio is X/A.\n\n" > md
	if (mix != "") {
		printf "> **Warning: the kernels were not measured alike** (written with --mixed):\n" > md
		printf "> %s (\"-\": not recorded).\n", mix > md
		printf "> The throughput ratios may show lazytlb.ko's own cost, which is not the\n" > md
		printf "> same on both modes, rather than the modes' difference.\n\n" > md
	} else if (loaded != "") {
		printf "> **Note**: the throughput of kernel(s) %s was timed with lazytlb.ko\n", loaded > md
		printf "> loaded (or not recorded: an older lazytlb-compare did so): it includes\n" > md
		printf "> the module's own cost, which is higher on shootdown kernels (more hooks).\n\n" > md
	}
	if (virt != "") {
		printf "> **Emulated timings are not hardware timings; the counts are exact either way.**\n" > md
		printf "> These results come from virtual machines (%s): read the throughput\n", virt > md
		printf "> and its ratios as a check of the method, not as the cost on real CPUs.\n" > md
		if (virt ~ /icount/)
			printf "> With icount the guest clock follows the instructions executed by all\n> vCPUs together: throughput measures instructions per operation, not\n> cache effects nor how the work scales across CPUs.\n" > md
		printf "\n" > md
	}
	printf "## Kernels\n\n" > md
	printf "| | kernel | mode | virt | CPU | nproc | module | runs | unexplained | kprobes_missed |\n" > md
	printf "|---|---|---|---|---|---:|---|---:|---:|---:|\n" > md
	bad = missed = ""
	for (i = 1; i <= nk; i++) {
		k = K[i]
		printf("| %s | %s | %s | %s | %s | %s | %s | %d | %s | %s |\n", L[i], k, kmode[k], kvirt[k], kcpu[k], knproc[k], kmodule[k], kruns[k], (k in kunexp_na) ? "-" : kunexp[k], (k in kmissed_na) ? "-" : kmissed[k]) > md
		if (kunexp[k] > 0)
			bad = bad (bad == "" ? "" : ", ") L[i]
		if (kmissed[k] > 0)
			missed = missed (missed == "" ? "" : ", ") L[i]
	}
	if (missed != "") {
		printf "\n**Warning**: lazytlb.ko's probes missed events on kernel(s) %s\n", missed > md
		printf "(column kprobes_missed, summed over the runs): their counts are short.\n" > md
	}
	if (bad != "") {
		printf "\n**Warning**: lazytlb.ko could not explain some lazy-TLB transitions on\n" > md
		printf "kernel(s) %s (column unexplained, summed over the runs): the refs and\n", bad > md
		printf "atomics of those kernels are approximate, not exact.\n" > md
	}

	printf "\n## lazytlb.ko\n\n" > md
	printf "How the module was used on each kernel. timing: `unloaded`: the throughput\n" > md
	printf "comes from a run without the module, the counts from a run with it right\n" > md
	printf "after; `loaded`: the module was loaded during the timed runs (`run -L`);\n" > md
	printf "`-`: not recorded (an older lazytlb-compare, which timed with it loaded).\n" > md
	printf "with/without: throughput of the counting runs over that of the timing\n" > md
	printf "runs, mean (min..max): what the module costs on that kernel, kept out of\n" > md
	printf "the throughput. hooks: the probes it attached (its summary's `hooks`).\n\n" > md
	printf "| | timing | max_mms | retired_max | shared_stats | with/without | hooks |\n" > md
	printf "|---|---|---:|---:|---:|---|---|\n" > md
	for (i = 1; i <= nk; i++) {
		k = K[i]
		cost = kcostn[k] ? sprintf("%.3f (%.3f..%.3f)", kcost[k] / kcostn[k], kcostlo[k], kcosthi[k]) : "-"
		h = kval[k, "hooks"]
		gsub(/;/, ", ", h)
		printf("| %s | %s | %s | %s | %s | %s | %s |\n", L[i], kval[k, "timing"], kval[k, "max_mms"],
		       kval[k, "retired_max"], kval[k, "shared_stats"], cost, h) > md
	}

	printf "\n## Throughput\n\n" > md
	printf "Operations per second: mean over repeats (min..max). Ratio: mean X / mean A;\n" > md
	printf "spread: min..max over repeats r of X_r / A_r (repeat r of every kernel ran\n" > md
	printf "at the same place of the interleaved matrix).\n" > md
	if (loaded == "")
		printf "Timed without lazytlb.ko on every kernel.\n" > md
	for (x = 1; x <= nw; x++) {
		w = W[x]
		printf "\n### %s: %s/s\n\n", w, wunit[w] > md
		if (w in what)
			printf "%s.\n\n", what[w] > md
		printf "| threads |" > md
		for (i = 1; i <= nk; i++)
			printf " %s |", name[i] > md
		for (i = 2; i <= nk; i++)
			printf " %s/A | %s/A spread |", L[i], L[i] > md
		printf "\n|---:|" > md
		for (i = 1; i <= nk; i++)
			printf "---:|" > md
		for (i = 2; i <= nk; i++)
			printf "---:|---|" > md
		printf "\n" > md
		for (j = 1; j <= nt[w]; j++) {
			t = T[w, j]
			printf "| %d |", t > md
			for (i = 1; i <= nk; i++) {
				c = K[i] SUBSEP w SUBSEP t
				if (cn[c])
					printf(" %s (%s..%s) |", fnum(csum[c] / cn[c]), fnum(cmin[c]), fnum(cmax[c])) > md
				else
					printf " - |" > md
			}
			a = K[1] SUBSEP w SUBSEP t
			for (i = 2; i <= nk; i++) {
				c = K[i] SUBSEP w SUBSEP t
				if (!cn[a] || !cn[c] || csum[a] <= 0) {
					printf " - | - |" > md
					continue
				}
				ratio = (csum[c] / cn[c]) / (csum[a] / cn[a])
				lo = hi = ""
				for (r = 1; r <= maxr[w, t]; r++) {
					if (!rn[a, r] || !rn[c, r] || rsum[a, r] <= 0)
						continue
					q = (rsum[c, r] / rn[c, r]) / (rsum[a, r] / rn[a, r])
					if (lo == "" || q < lo)
						lo = q
					if (hi == "" || q > hi)
						hi = q
				}
				spread = lo == "" ? "-" : sprintf("%.3f..%.3f", lo, hi)
				printf(" %.3f | %s |", ratio, spread) > md
			}
			printf "\n" > md
		}
	}

	printf "\n## Atomics and IPIs\n\n" > md
	printf "Exact counts from lazytlb.ko per operation of the workload (summed over\n" > md
	printf "the repeats, divided by the operations they did). refs: lazy mm\n" > md
	printf "references taken and dropped (grabs + drops, in either mode); atomics:\n" > md
	printf "mm_count atomics they caused (refcount mode: refs; shootdown mode: 0);\n" > md
	printf "IPIs: lazy-TLB shootdown IPIs at mm teardown (shootdown mode). \"-\":\n" > md
	printf "not counted by that kernel's module.\n" > md
	for (x = 1; x <= nw; x++) {
		w = W[x]
		printf "\n### %s: per %s\n\n| threads |", w, singular(wunit[w]) > md
		for (i = 1; i <= nk; i++)
			printf " %s refs |", name[i] > md
		for (i = 1; i <= nk; i++)
			printf " %s atomics |", name[i] > md
		for (i = 1; i <= nk; i++)
			printf " %s IPIs |", name[i] > md
		printf "\n|---:|" > md
		for (i = 1; i <= 3 * nk; i++)
			printf "---:|" > md
		printf "\n" > md
		for (j = 1; j <= nt[w]; j++) {
			t = T[w, j]
			printf "| %d |", t > md
			for (i = 1; i <= nk; i++) {
				c = K[i] SUBSEP w SUBSEP t
				g = perop(c, "grabs")
				d = perop(c, "drops")
				printf " %s |", (g == "" || d == "") ? "-" : fop(g + d) > md
			}
			for (i = 1; i <= nk; i++)
				printf " %s |", fop(perop(K[i] SUBSEP w SUBSEP t, "atomics")) > md
			for (i = 1; i <= nk; i++)
				printf " %s |", fop(perop(K[i] SUBSEP w SUBSEP t, "shootdown_ipis")) > md
			printf "\n" > md
		}
	}

	printf "\n## Shootdowns\n\n" > md
	any = 0
	for (i = 1; i <= nk; i++) {
		if (kmode[K[i]] == "shootdown")
			shot[i] = 1
		for (x = 1; x <= nw; x++)
			for (j = 1; j <= nt[W[x]]; j++)
				if (perrun(K[i] SUBSEP W[x] SUBSEP T[W[x], j], "shootdown_ipis") > 0)
					shot[i] = 1
		if (shot[i])
			any = 1
	}
	if (!any) {
		printf "No shootdown kernel in these results, and no kernel sent lazy-TLB\n" > md
		printf "shootdown IPIs (counters absent or zero).\n" > md
	} else {
		printf "Per run (mean over repeats): process exits, mm teardowns that shot\n" > md
		printf "lazy users down, their IPIs, CPUs targeted per teardown, share of the\n" > md
		printf "targeted CPUs that really held the mm lazily, and microseconds spent\n" > md
		printf "per teardown; left: lazy references that ended because x86 moved\n" > md
		printf "the CPU to init_mm by itself (idle, or a flush that freed page tables),\n" > md
		printf "before any teardown: those need no IPI.\n\n" > md
		printf "| kernel | workload | threads | exits | shootdowns | IPIs | targets/shootdown | held/target | us/shootdown | left |\n" > md
		printf "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n" > md
		for (i = 1; i <= nk; i++) {
			if (!shot[i])
				continue
			for (x = 1; x <= nw; x++) {
				w = W[x]
				for (j = 1; j <= nt[w]; j++) {
					t = T[w, j]
					c = K[i] SUBSEP w SUBSEP t
					sd = perrun(c, "shootdowns")
					ipis = perrun(c, "shootdown_ipis")
					tg = perrun(c, "shootdown_targets")
					hd = perrun(c, "shootdown_held")
					ns = perrun(c, "shootdown_ns")
					per_sd = (sd > 0 && tg != "") ? sprintf("%.2f", tg / sd) : "-"
					held_share = (tg > 0 && hd != "") ? sprintf("%.2f", hd / tg) : "-"
					us = (sd > 0 && ns != "") ? sprintf("%.2f", ns / sd / 1000) : "-"
					printf("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", name[i], w, t,
					       fnum(perrun(c, "exits")), fnum(sd), fnum(ipis), per_sd, held_share, us,
					       fnum(perrun(c, "left"))) > md
				}
			}
		}
	}

	printf "\n## Plots\n\n" > md
	printf "![throughput vs threads per mode](throughput.%s)\n\n", fmt > md
	printf "![atomics per operation per mode](atomics.%s)\n\n", fmt > md
	printf "![IPIs per operation per mode](ipis.%s)\n", fmt > md
	close(md)

	# Data for gnuplot: threads mean min max atomics/op ipis/op ("?": none).
	for (x = 1; x <= nw; x++) {
		w = W[x]
		for (i = 1; i <= nk; i++) {
			f = out "/" dat(w, i)
			have = 0
			for (j = 1; j <= nt[w]; j++) {
				t = T[w, j]
				c = K[i] SUBSEP w SUBSEP t
				if (!cn[c])
					continue
				have = 1
				a = perop(c, "atomics")
				p = perop(c, "shootdown_ipis")
				as = (a == "") ? "?" : sprintf("%.6g", a)
				ps = (p == "") ? "?" : sprintf("%.6g", p)
				printf("%d %.6g %.6g %.6g %s %s\n", t, csum[c] / cn[c], cmin[c], cmax[c], as, ps) > f
				if (cmax[c] > ymax["t", w])
					ymax["t", w] = cmax[c]
				if (a != "") {
					has["a", w, i] = 1
					if (a > ymax["a", w])
						ymax["a", w] = a
				}
				if (p != "") {
					has["p", w, i] = 1
					if (p > ymax["p", w])
						ymax["p", w] = p
				}
			}
			if (have) {
				has["t", w, i] = 1
				close(f)
			}
		}
	}

	gp = out "/data/plots.gp"
	rowsn = int((nw + 1) / 2)
	cols = nw > 1 ? 2 : 1
	if (fmt == "png")
		term = "pngcairo noenhanced font \"sans,10\" size " 560 * cols ", " 380 * rowsn
	else
		term = "svg noenhanced font \"sans,10\" size " 560 * cols ", " 380 * rowsn
	print "# Generated by lazytlb-compare report; run from the report directory." > gp
	print "set terminal " term > gp
	print "set datafile missing \"?\"" > gp
	print "set key top left" > gp
	print "set grid" > gp
	split("t a p", kinds, " ")
	file_of["t"] = "throughput"
	file_of["a"] = "atomics"
	file_of["p"] = "ipis"
	title_of["t"] = "throughput vs threads per mode (mean, min..max over repeats)"
	title_of["a"] = "mm_count atomics per operation (refcount mode pays these)"
	title_of["p"] = "shootdown IPIs per operation (shootdown mode pays these)"
	for (y = 1; y <= 3; y++) {
		kind = kinds[y]
		print "set output \"" file_of[kind] "." fmt "\"" > gp
		print "set multiplot layout " rowsn ", " cols " title \"" title_of[kind] "\"" > gp
		for (x = 1; x <= nw; x++) {
			w = W[x]
			panel(w, kind == "t" ? wunit[w] "/s" : kind == "a" ? "atomics per " singular(wunit[w]) : "IPIs per " singular(wunit[w]), ymax[kind, w])
			series = ""
			for (i = 1; i <= nk; i++) {
				if (!has[kind, w, i])
					continue
				if (kind == "t")
					s = "\"" dat(w, i) "\" using 1:2:3:4 with yerrorlines lt " i " lw 2 title \"" name[i] "\""
				else
					s = "\"" dat(w, i) "\" using 1:" (kind == "a" ? 5 : 6) " with linespoints lt " i " lw 2 title \"" name[i] "\""
				series = series (series == "" ? "" : ", ") s
			}
			plotcmd(series)
		}
		print "unset multiplot" > gp
		print "set output" > gp
	}
	close(gp)
}
