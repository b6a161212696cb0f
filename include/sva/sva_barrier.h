/* SPDX-License-Identifier: MIT */
/*
 * Memory ordering for sva's hot paths (STYLE.md rule 8): every barrier in
 * sva goes through these names, and every use carries a comment naming the
 * access it pairs with.
 */
#ifndef SVA_BARRIER_H
#define SVA_BARRIER_H

#include <stdatomic.h>

#define sva_likely(x)	__builtin_expect(!!(x), 1)
#define sva_unlikely(x)	__builtin_expect(!!(x), 0)

/* Store v to *p; earlier loads and stores are visible before it. */
#define sva_store_release(p, v) \
	atomic_store_explicit((_Atomic __typeof__(*(p)) *)(p), (v), memory_order_release)
/* Load *p; later loads and stores are not reordered before it. */
#define sva_load_acquire(p) \
	atomic_load_explicit((_Atomic __typeof__(*(p)) *)(p), memory_order_acquire)
/* Order earlier stores before later stores (SFENCE before a doorbell). */
#define sva_wmb() atomic_thread_fence(memory_order_release)
/* Full barrier: store-load ordering (Dekker-style sleep/wake handshakes). */
#define sva_mb() atomic_thread_fence(memory_order_seq_cst)

static inline void sva_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

#endif /* SVA_BARRIER_H */
