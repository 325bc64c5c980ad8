# SPDX-License-Identifier: GPL-2.0
#
# lazytlb: build the module for a kernel, install it, and run its tests.
#   make                      module for the running kernel
#   make KERNELRELEASE=x.y.z  ... for another installed kernel (or KDIR=)
#   make check                the test suite (see README.md)
#   make check-sid            the module and BPF suites on sid's newest kernel (opt-in)
#   make deb                  lazytlb-dkms and lazytlb-tools .debs in build/deb/

KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
VERSION := 0.1.0
BUILD := $(CURDIR)/build
CC_USER ?= gcc
USER_CFLAGS := -O2 -Wall -Wextra -static -pthread

WORKLOADS := $(patsubst tests/workloads/%.c,$(BUILD)/bin/%,$(wildcard tests/workloads/*.c))
TOOLS := $(BUILD)/bin/lazytlb-stat

.PHONY: all modules clean load unload dkms-install dkms-uninstall tools \
	workloads setup demo check check-sid deb kernel bench-scale

all: modules

include scripts/bpf/bpf.mk
include scripts/compare.mk

modules:
	@test -d $(KDIR) || { echo "no kernel build tree at $(KDIR): install linux-headers-$(KERNELRELEASE) or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -rf $(BUILD)/bin $(BUILD)/ko $(BUILD)/bpf

tools: $(TOOLS)
workloads: $(WORKLOADS)

$(BUILD)/bin/%: tests/workloads/%.c tests/workloads/workload.h
	@mkdir -p $(dir $@)
	$(CC_USER) $(USER_CFLAGS) -o $@ $<

$(BUILD)/bin/lazytlb-stat: scripts/lazytlb-stat.c
	@mkdir -p $(dir $@)
	$(CC_USER) $(USER_CFLAGS) -o $@ $<

load: modules
	insmod lazytlb.ko $(PARAMS)
	@echo "counters: /sys/kernel/debug/lazytlb/ (try: $(BUILD)/bin/lazytlb-stat)"

unload:
	rmmod lazytlb

dkms-install:
	scripts/dkms-install install $(VERSION)

dkms-uninstall:
	scripts/dkms-install uninstall $(VERSION)

setup:
	scripts/setup

# The companion kernel (kernel/): make kernel MODE=refcount|shootdown FLAVOR=vm|debug|full
MODE ?= refcount
FLAVOR ?= vm
kernel:
	scripts/build-kernel MODE=$(MODE) FLAVOR=$(FLAVOR) $(if $(KSRC),KSRC=$(KSRC)) $(if $(O),O=$(O))

# What the table costs at 4, 16 and 64 vCPUs (README, Scale).
bench-scale: workloads
	scripts/bench-scale

demo: setup
	scripts/demo

check:
	scripts/setup -k
	tests/check

# sid's kernel moves: never part of make check.
# A sid whose packages cannot be had fails its rows (KSID_ERROR).
check-sid:
	scripts/setup -k
	scripts/build/chroot sid || true
	LAZYTLB_KERNELS=KSID tests/check 10-module bpf-agree

deb:
	scripts/build/deb $(VERSION)
