# SPDX-License-Identifier: GPL-2.0
#
# make vm-compare: the lazy-TLB mode comparison in QEMU, ending in
# build/compare/report.md and its plots (see scripts/vm-compare).
# Included by the top Makefile; also works alone:
#   make -f scripts/compare.mk vm-compare
#
#   KERNEL_A, KERNEL_B   kernel images (A is the baseline)
#   KDIR_A, KDIR_B       their build trees, for lazytlb.ko
#   COMPARE_THREADS      thread counts           (default "1 2 4")
#   COMPARE_REPEATS      repeats                 (default 3)
#   COMPARE_SECONDS      seconds per run         (default 2)
#   COMPARE_WORKLOADS    workloads               (default: all four)
#   COMPARE_SMP          guest CPUs              (default 4)
#   COMPARE_ACCEL        vm-run -x: tcg, tcg1, icount or kvm (default icount:
#                        guest time follows instructions, so ratios repeat)
#   COMPARE_OUT          output directory        (default build/compare)
#
# Default kernels: the vm-flavor companion kernels of both modes
# (scripts/build-kernel MODE=refcount|shootdown FLAVOR=vm) when both are
# built, else Debian's 6.1 and 6.12 kernels from build/kernels.env (both
# refcount: a dry run of the method).

BUILD ?= $(CURDIR)/build
-include $(BUILD)/kernels.env

COMPANION_A := $(BUILD)/kernel/vm-refcount
COMPANION_B := $(BUILD)/kernel/vm-shootdown
ifneq ($(and $(wildcard $(COMPANION_A)/arch/x86/boot/bzImage),$(wildcard $(COMPANION_B)/arch/x86/boot/bzImage)),)
KERNEL_A ?= $(COMPANION_A)/arch/x86/boot/bzImage
KDIR_A ?= $(COMPANION_A)
KERNEL_B ?= $(COMPANION_B)/arch/x86/boot/bzImage
KDIR_B ?= $(COMPANION_B)
else
KERNEL_A ?= $(BUILD)/kernels/$(K61)/vmlinuz
KDIR_A ?= /lib/modules/$(K61)/build
KERNEL_B ?= $(BUILD)/kernels/$(K612)/vmlinuz
KDIR_B ?= /lib/modules/$(K612)/build
endif

COMPARE_THREADS ?= 1 2 4
COMPARE_REPEATS ?= 3
COMPARE_SECONDS ?= 2
COMPARE_WORKLOADS ?= ctxsw_threads ctxsw_procs tlbflush exitstorm
COMPARE_SMP ?= 4
COMPARE_ACCEL ?= icount
COMPARE_OUT ?= $(BUILD)/compare
COMPARE_BINS := $(BUILD)/bin/pingpong $(BUILD)/bin/tlbflush $(BUILD)/bin/exitstorm

.PHONY: vm-compare compare-bins

# The top Makefile's pattern rule builds these; alone, build them here.
ifndef WORKLOADS
$(BUILD)/bin/%: tests/workloads/%.c
	@mkdir -p $(dir $@)
	gcc -O2 -Wall -Wextra -static -pthread -o $@ $<
endif

compare-bins: $(COMPARE_BINS)

vm-compare: compare-bins
	scripts/vm-compare -o $(COMPARE_OUT) -s $(COMPARE_SMP) -x $(COMPARE_ACCEL) \
		-t "$(COMPARE_THREADS)" -r $(COMPARE_REPEATS) \
		-d $(COMPARE_SECONDS) -w "$(COMPARE_WORKLOADS)" \
		$(KERNEL_A):$(KDIR_A) $(KERNEL_B):$(KDIR_B)
