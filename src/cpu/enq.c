/* SPDX-License-Identifier: MIT */
/*
 * ENQCMD / ENQCMDS / MOVDIR64B semantics (system.md §5, SYS-8) and the
 * portal registry: which mapped address ranges are portals of which WQ.
 * Called from the trap handler, so everything here is async-signal-safe:
 * the registry is a fixed array read without locks, submission goes
 * through the lock-free WQ admission, and memory is touched only inside a
 * DMA guard.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "cpu.h"
#include "lib/lib.h"

#define ENQ_MAX_MAPS 256

struct enq_map {
	_Atomic uint64_t start;			/* 0: free slot */
	uint64_t len;
	struct sva_portal *_Atomic portal;
};

static struct enq_map enq_maps[ENQ_MAX_MAPS];
static __thread enum enq_why enq_last_why;

enum enq_why enq_why(void)
{
	return enq_last_why;
}

static enum enq_result enq_gp(enum enq_why why)
{
	enq_last_why = why;
	return ENQ_GP;
}

/* munmap() of a portal page forgets it: a later ENQCMD there faults. */
static void enq_unmapped(const void *addr, size_t len)
{
	uint64_t a = (uint64_t)(uintptr_t)addr;

	for (unsigned int i = 0; i < ENQ_MAX_MAPS; i++) {
		uint64_t start = atomic_load(&enq_maps[i].start);

		if (start > 1 && start >= a && start - a < len)
			atomic_compare_exchange_strong(&enq_maps[i].start, &start, 0);
	}
}

int enq_register(void *addr, size_t len, struct sva_portal *p)
{
	uint64_t a = (uint64_t)(uintptr_t)addr;

	if (!a || !len || !p)
		return -EINVAL;
	mmu_notify_set_unmap_hook(enq_unmapped);
	for (unsigned int i = 0; i < ENQ_MAX_MAPS; i++) {
		struct enq_map *m = &enq_maps[i];
		uint64_t none = 0;

		/* Claim with a placeholder, fill, then publish the real start. */
		if (!atomic_compare_exchange_strong(&m->start, &none, 1))
			continue;
		m->len = len;
		atomic_store(&m->portal, p);
		/* Pairs with the acquire in enq_lookup: len and portal are set first. */
		atomic_store_explicit(&m->start, a, memory_order_release);
		return 0;
	}
	return -ENOSPC;
}

int enq_unregister(void *addr)
{
	uint64_t a = (uint64_t)(uintptr_t)addr;

	for (unsigned int i = 0; i < ENQ_MAX_MAPS; i++) {
		uint64_t want = a;

		if (a && atomic_compare_exchange_strong(&enq_maps[i].start, &want, 0))
			return 0;
	}
	return -ENOENT;
}

void enq_fork_child(void)
{
	/* Portal pages are MADV_DONTFORK: the child has none (SYS-6). */
	for (unsigned int i = 0; i < ENQ_MAX_MAPS; i++)
		atomic_store(&enq_maps[i].start, 0);
}

struct sva_portal *enq_lookup(uint64_t addr)
{
	for (unsigned int i = 0; i < ENQ_MAX_MAPS; i++) {
		struct enq_map *m = &enq_maps[i];
		uint64_t start = atomic_load_explicit(&m->start, memory_order_acquire);

		if (start > 1 && addr >= start && addr - start < m->len)
			return atomic_load(&m->portal);
	}
	return NULL;
}

uint32_t enq_process_pasid(void)
{
	return proc_pasid();
}

struct store_arg {
	uint64_t dst;
	const void *src;
};

static int store64(void *arg)
{
	struct store_arg *s = arg;

	memcpy((void *)(uintptr_t)s->dst, s->src, 64);
	return 0;
}

enum enq_result enq_execute(enum x86_insn insn, uint64_t dst, const void *desc)
{
	struct sva_portal *p;
	uint32_t dword0, pasid;

	/* Every form needs a 64-byte aligned destination, else #GP. */
	if (dst & 63)
		return enq_gp(ENQ_WHY_ALIGN);
	switch (insn) {
	case X86_ENQCMD:
		/* The command's bits 31:0 come from IA32_PASID: the source's must be 0. */
		memcpy(&dword0, desc, sizeof(dword0));
		if (dword0)
			return enq_gp(ENQ_WHY_SRC_BITS);
		if (msr_enqcmd(enq_process_pasid(), &pasid) == MSR_FATAL)
			return enq_gp(msr_activated() ? ENQ_WHY_SECOND_FAULT : ENQ_WHY_NO_PASID);
		p = enq_lookup(dst);
		/*
		 * A DMWr to memory that is not a WQ answers Retry; a destination
		 * that is not mapped writable takes a page fault (SIGSEGV), as
		 * in a fork child whose parent's portal was not inherited.
		 */
		if (!p)
			return dma_probe(dst, DMA_WRITE) ? enq_gp(ENQ_WHY_UNMAPPED) : ENQ_RETRY;
		return lib_trap_enqcmd(p, desc, pasid) ? ENQ_RETRY : ENQ_ACCEPTED;
	case X86_MOVDIR64B:
		p = enq_lookup(dst);
		if (p) {
			lib_trap_movdir64b(p, desc);
			return ENQ_DONE;
		}
		{
			/* Ordinary memory: a plain 64-byte store. */
			struct dma_ctx c = { 0 };
			struct store_arg s = { dst, desc };

			return dma_guarded(&c, store64, &s) ? enq_gp(ENQ_WHY_UNMAPPED) : ENQ_DONE;
		}
	case X86_ENQCMDS:
	default:
		/* ENQCMDS is ring 0 only: #GP from user mode. */
		return enq_gp(ENQ_WHY_ENQCMDS);
	}
}
