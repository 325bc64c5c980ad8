# SPDX-License-Identifier: GPL-2.0
#
# make vm-compare: the lazy-TLB mode comparison in QEMU, ending in
# build/compare/report.md and its plots (see scripts/vm-compare).
# Included by the top Makefile; also works alone:
#   make -f scripts/compare.mk vm-compare
#
#   KERNEL_A, KERNEL_B, KERNEL_C   kernel images (A is the baseline; C may
#                        be empty: KERNEL_C= compares two kernels)
#   KDIR_A, KDIR_B, KDIR_C         their build trees, for lazytlb.ko
#   COMPARE_THREADS      thread counts           (default "1 2 4")
#   COMPARE_REPEATS      repeats                 (default 3)
#   COMPARE_SECONDS      seconds per run         (default 1)
#   COMPARE_WORKLOADS    workloads               (default: all four)
#   COMPARE_PARAMS       lazytlb.ko parameters for the counting runs, the
#                        same on every kernel (default: none, its defaults)
#   COMPARE_SMP          guest CPUs              (default 4)
#   COMPARE_ACCEL        vm-run -x: tcg, tcg1, icount or kvm (default: icount
#                        for the companion kernels, so that ratios repeat;
#                        tcg for Debian's kernels)
#   COMPARE_OUT          output directory        (default build/compare)
#   COMPARE_NOFLUSH      yes: also boot A, B, C with lazytlb_test_noflush_lazy
#                        (companion kernels only), so that lazy CPUs stay on
#                        exiting mms and shootdown IPIs really happen
#                        (default: yes for the companion kernels)
#
# Default kernels: the vm-flavor companion kernels of the three modes, built
# with scripts/build-kernel MODE=refcount|shootdown|hazptr FLAVOR=vm if needed.
# Any other pair works too, e.g. Debian's (both refcount: a dry run):
#   make vm-compare KERNEL_A=build/kernels/$K61/vmlinuz KDIR_A=/lib/modules/$K61/build \
#        KERNEL_B=... KDIR_B=... COMPARE_ACCEL=tcg

BUILD ?= $(CURDIR)/build
# Wherever this file is included, it does not change make's default goal.
compare_saved_goal := $(.DEFAULT_GOAL)
-include $(BUILD)/kernels.env

COMPANION_A := $(BUILD)/kernel/vm-refcount
COMPANION_B := $(BUILD)/kernel/vm-shootdown
COMPANION_C := $(BUILD)/kernel/vm-hazptr
KERNEL_A ?= $(COMPANION_A)/arch/x86/boot/bzImage
KDIR_A ?= $(COMPANION_A)
KERNEL_B ?= $(COMPANION_B)/arch/x86/boot/bzImage
KDIR_B ?= $(COMPANION_B)
KERNEL_C ?= $(COMPANION_C)/arch/x86/boot/bzImage
KDIR_C ?= $(COMPANION_C)
# Instruction-counted guest clock: ratios repeat (Debian's 6.1 stalls at
# SMP bring-up under -icount with 4 vCPUs: use tcg for it).
COMPARE_ACCEL ?= icount
# The companion kernels are built (or brought up to date) first.
COMPARE_KERNELS := $(if $(filter $(COMPANION_A)/%,$(KERNEL_A)),companion-vm-refcount) \
		   $(if $(filter $(COMPANION_B)/%,$(KERNEL_B)),companion-vm-shootdown) \
		   $(if $(filter $(COMPANION_C)/%,$(KERNEL_C)),companion-vm-hazptr)
COMPARE_SPECS = $(KERNEL_A):$(KDIR_A) $(KERNEL_B):$(KDIR_B) \
		$(if $(strip $(KERNEL_C)),$(KERNEL_C):$(KDIR_C))

COMPARE_THREADS ?= 1 2 4
COMPARE_REPEATS ?= 3
COMPARE_SECONDS ?= 1
COMPARE_WORKLOADS ?= ctxsw_threads ctxsw_procs tlbflush exitstorm
COMPARE_PARAMS ?=
COMPARE_SMP ?= 4
COMPARE_OUT ?= $(BUILD)/compare
COMPARE_NOFLUSH ?= $(if $(strip $(COMPARE_KERNELS)),yes,no)
COMPARE_NOFLUSH_RUNS = $(if $(filter yes,$(COMPARE_NOFLUSH)),\
	$(addsuffix :lazytlb_test_noflush_lazy,$(COMPARE_SPECS)))
COMPARE_BINS := $(BUILD)/bin/pingpong $(BUILD)/bin/tlbflush $(BUILD)/bin/exitstorm

.PHONY: vm-compare compare-bins companion-vm-refcount companion-vm-shootdown \
	companion-vm-hazptr

companion-vm-refcount companion-vm-shootdown companion-vm-hazptr:
	scripts/build-kernel MODE=$(@:companion-vm-%=%) FLAVOR=vm

# The top Makefile's pattern rule builds these; alone, build them here.
ifndef USER_CFLAGS
$(BUILD)/bin/%: tests/workloads/%.c tests/workloads/workload.h
	@mkdir -p $(dir $@)
	gcc -O2 -Wall -Wextra -static -pthread -o $@ $<
endif

compare-bins: $(COMPARE_BINS)

vm-compare: compare-bins $(COMPARE_KERNELS)
	scripts/vm-compare -o $(COMPARE_OUT) -s $(COMPARE_SMP) -x $(COMPARE_ACCEL) \
		-t "$(COMPARE_THREADS)" -r $(COMPARE_REPEATS) \
		-d $(COMPARE_SECONDS) -w "$(COMPARE_WORKLOADS)" -p "$(COMPARE_PARAMS)" \
		$(COMPARE_SPECS) $(COMPARE_NOFLUSH_RUNS)

.DEFAULT_GOAL := $(compare_saved_goal)
