/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lazytlb: what differs between the kernels the module supports (Debian's
 * 6.1 and 6.12). Feature tests first; version tests only where a change
 * left nothing to test for.
 */
#ifndef _LAZYTLB_COMPAT_H
#define _LAZYTLB_COMPAT_H

#include <linux/kconfig.h>

#if !IS_ENABLED(CONFIG_KPROBES)
#error "lazytlb needs a kernel built with CONFIG_KPROBES"
#endif
#if !IS_ENABLED(CONFIG_TRACEPOINTS)
#error "lazytlb needs a kernel built with CONFIG_TRACEPOINTS"
#endif

/*
 * Linux 6.3 added mmgrab_lazy_tlb() and friends and made the lazy
 * reference configurable: MMU_LAZY_TLB_REFCOUNT or, on architectures that
 * select it, MMU_LAZY_TLB_SHOOTDOWN. Before that it was a plain
 * mmgrab()/mmdrop() everywhere. The switch logic is the same in both.
 */
#if defined(CONFIG_MMU_LAZY_TLB_REFCOUNT) || defined(CONFIG_MMU_LAZY_TLB_SHOOTDOWN)
#define LAZYTLB_HAVE_LAZY_HELPERS	1
#else
#define LAZYTLB_HAVE_LAZY_HELPERS	0
#endif

#endif /* _LAZYTLB_COMPAT_H */
