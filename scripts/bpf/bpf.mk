# SPDX-License-Identifier: GPL-2.0
#
# lazytlb-bpf, the libbpf companion (scripts/bpf/), and the overhead
# benchmark. Included from the top Makefile; uses $(BUILD).
#
#   make bpf              build/bin/lazytlb-bpf (static: runs in the guest)
#   make bench-overhead   overhead table (floor, lazytlb.ko, BPF, ftrace) on the 6.12 guest
#
# vmlinux.h is generated at build time from a kernel's BTF, never committed:
# BPF_BTF_SRC is a kernel image (default: the Debian 6.12 image that
# scripts/setup fetched), a vmlinux, or /sys/kernel/btf/vmlinux. The
# programs are CO-RE, so the one header serves 6.1 and 6.12 alike.

BPF_CLANG ?= clang
BPF_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
BPF_CC ?= gcc
BPF_KVER ?= $(shell sed -n 's/^K612=//p' $(BUILD)/kernels.env 2>/dev/null)
BPF_BTF_SRC ?= $(BUILD)/kernels/$(BPF_KVER)/vmlinuz
BPF_OUT := $(BUILD)/bpf
BPF_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BPF_LIBS := -lbpf -lelf -lz -lzstd
# Static by default: the binary is copied into busybox guests. Packages link it dynamically.
BPF_STATIC ?= -static

.PHONY: bpf bench-overhead

bpf: $(BUILD)/bin/lazytlb-bpf

$(BPF_OUT)/vmlinux.h: $(BPF_BTF_SRC) scripts/bpf/gen-vmlinux-h
	@mkdir -p $(dir $@)
	@test -r "$(BPF_BTF_SRC)" || { echo "no BTF source '$(BPF_BTF_SRC)': run scripts/setup or set BPF_BTF_SRC=" >&2; exit 1; }
	BPFTOOL=$(BPFTOOL) scripts/bpf/gen-vmlinux-h $(BPF_BTF_SRC) $@

$(BPF_OUT)/lazytlb.bpf.o: scripts/bpf/lazytlb.bpf.c scripts/bpf/lazytlb.h $(BPF_OUT)/vmlinux.h
	$(BPF_CLANG) -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(BPF_ARCH) \
		-I$(BPF_OUT) -Iscripts/bpf -Wall -Werror -c $< -o $@
	$(BPF_STRIP) -g $@

$(BPF_OUT)/lazytlb.skel.h: $(BPF_OUT)/lazytlb.bpf.o
	$(BPFTOOL) gen skeleton $< name lazytlb_bpf > $@

$(BUILD)/bin/lazytlb-bpf: scripts/bpf/lazytlb-bpf.c scripts/bpf/lazytlb.h $(BPF_OUT)/lazytlb.skel.h
	@mkdir -p $(dir $@)
	$(BPF_CC) -O2 -Wall -Wextra -Wno-missing-field-initializers -Wno-unused-parameter \
		-I$(BPF_OUT) -Iscripts/bpf -o $@ $< $(BPF_STATIC) $(BPF_LIBS)

bench-overhead: workloads bpf
	scripts/bench-overhead
