/* SPDX-License-Identifier: MIT */
/*
 * ATC model (system.md SYS-9, dsa-device.md §9): the device-side translation
 * cache for the calling process's address space.
 *
 * A translation is (page -> permissions). A miss is resolved PRI-style:
 * mincore() tells whether the page is mapped and resident, and a guarded
 * probe access tells whether the requested permission holds. Hits cost a
 * table lookup, so bulk operations run at memcpy speed with no syscall per
 * access. Invalidation comes from the mmu_notifier analogue (mmu_notify.c):
 * munmap/mremap/mprotect/madvise are interposed and drop the cached range
 * before the kernel changes the mapping.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core.h"

#define ATC_PAGE_SHIFT	12
#define ATC_PAGE	(1ull << ATC_PAGE_SHIFT)
#define ATC_SLOTS	4096u		/* direct mapped; 16 MiB of coverage */
#define ATC_VALID	4ull		/* entry = page << 12 | VALID | DMA_READ | DMA_WRITE */
#define ATC_MAX_INJECT	64
#define ATC_RUN		64		/* pages per mincore() call on a miss */
/* x86-64 user space ends below the 47-bit canonical boundary. */
#define ATC_USER_END	0x0000800000000000ull

struct atc_inject {
	uint64_t page;
	unsigned int access;
	enum dma_fault_kind kind;
};

struct atc {
	_Atomic uint64_t slot[ATC_SLOTS];
	_Atomic uint64_t gen;		/* bumped by every invalidation */
	_Atomic unsigned int ninject;	/* fast check: 0 means no injection */
	pthread_mutex_t inject_lock;	/* protects inject[] */
	struct atc_inject inject[ATC_MAX_INJECT];
};

static _Atomic uint64_t gen_base;

int atc_new(struct atc **ret_atc)
{
	struct atc *atc;

	if (!ret_atc)
		return -EINVAL;
	if (sysconf(_SC_PAGESIZE) != (long)ATC_PAGE)
		return -EOPNOTSUPP;
	atc = calloc(1, sizeof(*atc));
	if (!atc)
		return -ENOMEM;
	pthread_mutex_init(&atc->inject_lock, NULL);
	/*
	 * Generations never repeat across ATCs, so a per-thread range cache
	 * entry of a freed ATC cannot match a new one at the same address.
	 */
	atomic_store(&atc->gen, atomic_fetch_add(&gen_base, 1ull << 32) + (1ull << 32));
	if (mmu_notify_register(atc)) {
		pthread_mutex_destroy(&atc->inject_lock);
		free(atc);
		return -ENOSPC;
	}
	*ret_atc = atc;
	return 0;
}

struct atc *atc_free(struct atc *atc)
{
	if (!atc)
		return NULL;
	mmu_notify_unregister(atc);
	pthread_mutex_destroy(&atc->inject_lock);
	free(atc);
	return NULL;
}

static _Atomic uint64_t *atc_slot(struct atc *atc, uint64_t page)
{
	return &atc->slot[(page >> ATC_PAGE_SHIFT) & (ATC_SLOTS - 1)];
}

static bool atc_hit(struct atc *atc, uint64_t page, unsigned int access)
{
	uint64_t e = atomic_load_explicit(atc_slot(atc, page), memory_order_relaxed);

	return (e & ~(ATC_PAGE - 1)) == page && (e & ATC_VALID) && (e & access) == access;
}

static void atc_fill(struct atc *atc, uint64_t page, unsigned int access, uint64_t gen)
{
	_Atomic uint64_t *s = atc_slot(atc, page);
	uint64_t old = atomic_load_explicit(s, memory_order_relaxed);

	if ((old & ~(ATC_PAGE - 1)) == page && (old & ATC_VALID))
		access |= (unsigned int)(old & (DMA_READ | DMA_WRITE));
	atomic_store_explicit(s, page | ATC_VALID | access, memory_order_relaxed);
	/*
	 * An invalidation that ran while we resolved may have cleared the slot
	 * before our store; pairs with the seq_cst increment in
	 * atc_invalidate(). Drop our entry so it is resolved again next time.
	 */
	if (atomic_load(&atc->gen) != gen)
		atomic_store_explicit(s, 0, memory_order_relaxed);
}

/*
 * Not instrumented by TSan: it also runs from the interposed munmap, which
 * the sanitizer runtime itself calls while it prints a report.
 */
__attribute__((no_sanitize("thread"))) void atc_invalidate(struct atc *atc, uint64_t addr,
							   uint64_t len)
{
	uint64_t first = addr & ~(ATC_PAGE - 1);
	uint64_t npages = len ? ((addr + len - 1) >> ATC_PAGE_SHIFT) - (first >> ATC_PAGE_SHIFT) + 1 : 0;

	if (!atc)
		return;
	atomic_fetch_add(&atc->gen, 1);
	if (npages >= ATC_SLOTS || addr + len < addr) {
		for (unsigned int i = 0; i < ATC_SLOTS; i++)
			atomic_store_explicit(&atc->slot[i], 0, memory_order_relaxed);
		return;
	}
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t page = first + (i << ATC_PAGE_SHIFT);
		_Atomic uint64_t *s = atc_slot(atc, page);
		uint64_t e = atomic_load_explicit(s, memory_order_relaxed);

		if ((e & ~(ATC_PAGE - 1)) == page)
			atomic_compare_exchange_strong(s, &e, 0);
	}
}

int atc_inject(struct atc *atc, uint64_t addr, unsigned int access, enum dma_fault_kind kind)
{
	int r = -ENOSPC;

	if (!atc || !access || (access & ~(DMA_READ | DMA_WRITE)) || kind == DMA_FAULT_NONE)
		return -EINVAL;
	pthread_mutex_lock(&atc->inject_lock);
	for (unsigned int i = 0; i < ATC_MAX_INJECT; i++) {
		if (atc->inject[i].kind == DMA_FAULT_NONE) {
			atc->inject[i] = (struct atc_inject){ addr & ~(ATC_PAGE - 1), access, kind };
			atomic_fetch_add(&atc->ninject, 1);
			r = 0;
			break;
		}
	}
	pthread_mutex_unlock(&atc->inject_lock);
	atc_invalidate(atc, addr, 1);
	return r;
}

void atc_inject_clear(struct atc *atc)
{
	if (!atc)
		return;
	pthread_mutex_lock(&atc->inject_lock);
	memset(atc->inject, 0, sizeof(atc->inject));
	atomic_store(&atc->ninject, 0);
	pthread_mutex_unlock(&atc->inject_lock);
}

/*
 * Injected state of a page for an access. A NOT_PRESENT injection resolved by
 * a block-on-fault page request is consumed, as the page is then "faulted in".
 */
static enum dma_fault_kind atc_injected(struct atc *atc, uint64_t page, unsigned int access,
					bool bof)
{
	enum dma_fault_kind kind = DMA_FAULT_NONE;

	pthread_mutex_lock(&atc->inject_lock);
	for (unsigned int i = 0; i < ATC_MAX_INJECT; i++) {
		struct atc_inject *in = &atc->inject[i];

		if (in->kind == DMA_FAULT_NONE || in->page != page || !(in->access & access))
			continue;
		kind = in->kind;
		if (kind == DMA_FAULT_NOT_PRESENT && bof) {
			in->kind = DMA_FAULT_NONE;
			atomic_fetch_sub(&atc->ninject, 1);
			kind = DMA_FAULT_NONE;
			continue;
		}
		break;
	}
	pthread_mutex_unlock(&atc->inject_lock);
	return kind;
}

/* Residency of npages pages from page: 1 resident, 0 not, -1 unmapped. */
static void atc_mincore(uint64_t page, unsigned int npages, signed char *state)
{
	unsigned char vec[ATC_RUN];

	if (mincore((void *)(uintptr_t)page, (size_t)npages << ATC_PAGE_SHIFT, vec) == 0) {
		for (unsigned int i = 0; i < npages; i++)
			state[i] = vec[i] & 1;
		return;
	}
	/* ENOMEM: a hole somewhere in the run; ask page by page. */
	for (unsigned int i = 0; i < npages; i++) {
		void *p = (void *)(uintptr_t)(page + ((uint64_t)i << ATC_PAGE_SHIFT));

		state[i] = mincore(p, ATC_PAGE, vec) == 0 ? (signed char)(vec[0] & 1) : -1;
	}
}

static uint64_t atc_fail(struct dma_fault *f, uint64_t at, enum dma_fault_kind kind,
			 unsigned int access, uint64_t addr)
{
	f->addr = at;
	f->kind = kind;
	f->write = access & DMA_WRITE;
	return at - addr;
}

/*
 * Per-thread cache of whole ranges that translated cleanly, tagged with the
 * ATC generation they were resolved under. Engines reuse the same buffers
 * descriptor after descriptor, so a repeat costs a few compares instead of
 * a lookup per page; any invalidation bumps the generation and kills it.
 */
#define RANGE_CACHE 4

struct range_hit {
	const struct atc *atc;
	uint64_t start, end, gen;
	unsigned int access;
};

static __thread struct range_hit range_cache[RANGE_CACHE];
static __thread unsigned int range_next;

static bool range_cached(const struct atc *atc, uint64_t addr, uint64_t end,
			 unsigned int access, uint64_t gen)
{
	for (unsigned int i = 0; i < RANGE_CACHE; i++) {
		const struct range_hit *h = &range_cache[i];

		if (h->atc == atc && h->gen == gen && addr >= h->start && end <= h->end &&
		    (h->access & access) == access)
			return true;
	}
	return false;
}

static void range_remember(const struct atc *atc, uint64_t addr, uint64_t end,
			   unsigned int access, uint64_t gen)
{
	struct range_hit *h = &range_cache[range_next++ % RANGE_CACHE];

	*h = (struct range_hit){ atc, addr, end, gen, access };
}

uint64_t atc_translate_self(struct atc *atc, uint64_t addr, uint64_t len, unsigned int access,
			    bool bof, struct dma_fault *ret_fault)
{
	uint64_t end = addr + len;
	uint64_t page = addr & ~(ATC_PAGE - 1);
	uint64_t gen0 = atomic_load(&atc->gen);
	bool cacheable = !atomic_load_explicit(&atc->ninject, memory_order_relaxed);

	if (len == 0)
		return 0;
	if (cacheable && end > addr && range_cached(atc, addr, end, access, gen0))
		return len;
	if (end < addr || end > ATC_USER_END) {
		/* Beyond user space: everything from the boundary faults. */
		uint64_t stop = addr >= ATC_USER_END ? addr : ATC_USER_END;

		len = stop - addr;
		end = stop;
		if (len == 0)
			return atc_fail(ret_fault, addr, DMA_FAULT_INVALID, access, addr);
	}
	while (page < end) {
		signed char state[ATC_RUN];
		unsigned int n = 0, i;
		uint64_t gen;

		if (atomic_load_explicit(&atc->ninject, memory_order_relaxed)) {
			enum dma_fault_kind k = atc_injected(atc, page, access, bof);

			if (k != DMA_FAULT_NONE)
				return atc_fail(ret_fault, page > addr ? page : addr, k, access, addr);
		}
		if (atc_hit(atc, page, access)) {
			page += ATC_PAGE;
			continue;
		}
		/* Miss: resolve a run of pages with one mincore() call. */
		gen = atomic_load(&atc->gen);
		while (n < ATC_RUN && page + ((uint64_t)n << ATC_PAGE_SHIFT) < end)
			n++;
		atc_mincore(page, n, state);
		for (i = 0; i < n; i++, page += ATC_PAGE) {
			uint64_t at = page > addr ? page : addr;

			if (i && atomic_load_explicit(&atc->ninject, memory_order_relaxed) &&
			    atc_injected(atc, page, access, bof) != DMA_FAULT_NONE)
				break;	/* handled at the top of the next round */
			if (state[i] < 0)
				return atc_fail(ret_fault, at, DMA_FAULT_INVALID, access, addr);
			if (state[i] == 0 && !bof)
				return atc_fail(ret_fault, at, DMA_FAULT_NOT_PRESENT, access, addr);
			/*
			 * The probe both checks the permission and, for a
			 * block-on-fault request, faults the page in the way
			 * a successful page response would.
			 */
			if (dma_probe(page, access))
				return atc_fail(ret_fault, at, DMA_FAULT_INVALID, access, addr);
			atc_fill(atc, page, access, gen);
		}
	}
	if (cacheable)
		range_remember(atc, addr, end, access, gen0);
	return len;
}
