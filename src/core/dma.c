/* SPDX-License-Identifier: MIT */
/*
 * The DMA layer: every memory access the device model makes goes through
 * here, keyed by the address space (the PASID's mm). The in-process backend
 * touches memory directly after an ATC translation; a remote backend (svad)
 * plugs in through struct as_dma_ops.
 *
 * Fault containment: a page can be unmapped or have its permission dropped
 * by another thread after it was translated. Device accesses therefore run
 * inside a guard: a per-thread stack of sigjmp frames, and a SIGSEGV/SIGBUS
 * handler that unwinds to the innermost frame when the faulting thread is
 * inside one. Faults outside a guard are chained to the previous handler,
 * so a real bug still crashes. The handler is async-signal-safe: it reads
 * thread-local state and calls only siglongjmp or the previous handler.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "core.h"

struct guard_frame {
	sigjmp_buf jb;
	struct guard_frame *prev;
	volatile uint64_t addr;		/* si_addr of the caught fault */
};

static __thread struct guard_frame *guard_top;
static struct sigaction guard_old_segv, guard_old_bus;
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;

static void guard_chain(const struct sigaction *old, int sig, siginfo_t *si, void *uc)
{
	if (old->sa_flags & SA_SIGINFO) {
		if (old->sa_sigaction) {
			old->sa_sigaction(sig, si, uc);
			return;
		}
	} else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
		return;
	}
	/*
	 * Default action: restore it and return, so the faulting instruction
	 * runs again and the kernel delivers the signal with its default
	 * (fatal) disposition and a faithful core dump. A signal sent with
	 * kill() does not repeat by itself, so it is raised again.
	 */
	signal(sig, SIG_DFL);
	if (si->si_code <= 0)
		raise(sig);
}

static void guard_handler(int sig, siginfo_t *si, void *uc)
{
	struct guard_frame *f = guard_top;

	if (f && si->si_code > 0) {	/* > 0: raised by a fault, not kill() */
		guard_top = f->prev;
		f->addr = (uint64_t)(uintptr_t)si->si_addr;
		siglongjmp(f->jb, 1);
	}
	guard_chain(sig == SIGBUS ? &guard_old_bus : &guard_old_segv, sig, si, uc);
}

static void guard_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_handler;
	/*
	 * SA_NODEFER: we leave the handler with siglongjmp without restoring
	 * the mask (sigsetjmp(.., 0) keeps the hot path free of syscalls), so
	 * the signal must not be blocked while the handler runs.
	 */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &guard_old_segv);
	sigaction(SIGBUS, &sa, &guard_old_bus);
}

int dma_guarded(struct dma_ctx *c, int (*fn)(void *arg), void *arg)
{
	struct guard_frame f;
	int r;

	pthread_once(&guard_once, guard_install);
	f.prev = guard_top;
	f.addr = 0;
	if (sigsetjmp(f.jb, 0)) {
		/* guard_top was already popped by the handler. */
		c->fault.addr = f.addr;
		c->fault.kind = DMA_FAULT_INVALID;
		c->fault.write = false;
		return -EFAULT;
	}
	guard_top = &f;
	r = fn(arg);
	guard_top = f.prev;
	return r;
}

struct probe_arg {
	uint64_t addr;
	unsigned int access;
};

/*
 * The probe touches the first byte of a page, which may be another object's
 * redzone as far as ASan knows: it is the device's access, not the
 * program's, so it is not instrumented. The read is an atomic load so TSan
 * sees no race with threads writing the page.
 */
__attribute__((no_sanitize_address)) static int probe_fn(void *arg)
{
	struct probe_arg *p = arg;

	if (p->access & DMA_READ)
		(void)__atomic_load_n((uint8_t *)(uintptr_t)p->addr, __ATOMIC_RELAXED);
	/*
	 * An explicit locked "or 0": compilers may fold an atomic or of zero
	 * into a plain load (clang does), which would never fault on a
	 * read-only page.
	 */
	if (p->access & DMA_WRITE)
		__asm__ volatile("lock orb $0, %0" : "+m"(*(uint8_t *)(uintptr_t)p->addr) : : "memory");
	return 0;
}

int dma_probe(uint64_t addr, unsigned int access)
{
	struct dma_ctx c = { 0 };
	struct probe_arg p = { addr, access };

	return dma_guarded(&c, probe_fn, &p);
}

/* In-process backend: windows are the addresses themselves. */

static int self_map(struct dma_ctx *c, struct dma_win *w, uint64_t addr, uint64_t len,
		    unsigned int access)
{
	uint64_t ok = atc_translate_self(as_atc(c->as), addr, len, access, c->bof, &c->fault);

	if (ok == 0)
		return -EFAULT;
	w->ptr = (void *)(uintptr_t)addr;
	w->addr = addr;
	w->len = ok;
	w->access = access;
	return 0;
}

static int self_unmap(struct dma_ctx *c, struct dma_win *w)
{
	return 0;
}

static int self_write_record(struct dma_ctx *c, uint64_t addr, const void *rec, uint64_t len)
{
	uint8_t *p = (uint8_t *)(uintptr_t)addr;
	const uint8_t *r = rec;
	/*
	 * Completion-record writes always block on fault while PRS is on
	 * (dsa-device.md §9): a non-resident record page is faulted in.
	 */
	uint64_t ok = atc_translate_self(as_atc(c->as), addr, len, DMA_WRITE, true, &c->fault);

	if (ok < len)
		return -EFAULT;
	memcpy(p + 1, r + 1, len - 1);
	/* Pairs with the poller's acquire load of status (sva_wait, dsa_test). */
	atomic_store_explicit((_Atomic uint8_t *)p, r[0], memory_order_release);
	return 0;
}

const struct as_dma_ops as_self_dma_ops = {
	.map = self_map,
	.unmap = self_unmap,
	.write_record = self_write_record,
};

int dma_map(struct dma_ctx *c, struct dma_win *w, uint64_t addr, uint64_t len,
	    unsigned int access)
{
	if (len == 0)
		return -EINVAL;
	return as_dma(c->as)->map(c, w, addr, len, access);
}

int dma_unmap(struct dma_ctx *c, struct dma_win *w)
{
	return as_dma(c->as)->unmap(c, w);
}

static int dma_xfer(struct dma_ctx *c, uint64_t addr, void *buf, uint64_t len,
		    unsigned int access)
{
	uint8_t *b = buf;

	while (len) {
		struct dma_win w;
		int r = dma_map(c, &w, addr, len, access);

		if (r)
			return r;
		if (access == DMA_READ)
			memcpy(b, w.ptr, w.len);
		else
			memcpy(w.ptr, b, w.len);
		r = dma_unmap(c, &w);
		if (r)
			return r;
		addr += w.len;
		b += w.len;
		len -= w.len;
	}
	return 0;
}

int dma_read(struct dma_ctx *c, void *buf, uint64_t addr, uint64_t len)
{
	return dma_xfer(c, addr, buf, len, DMA_READ);
}

int dma_write(struct dma_ctx *c, uint64_t addr, const void *buf, uint64_t len)
{
	return dma_xfer(c, addr, (void *)buf, len, DMA_WRITE);
}

int dma_write_record(struct dma_ctx *c, uint64_t addr, const void *rec, uint64_t len)
{
	if (len < 2)
		return -EINVAL;
	return as_dma(c->as)->write_record(c, addr, rec, len);
}
