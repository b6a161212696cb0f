/* SPDX-License-Identifier: MIT */
/*
 * PASID allocator (system.md §2.1, SYS-1): the user-space stand-in for the
 * kernel's iommu_global_pasid_ida. Ids come from [PASID_FIRST, max - 1],
 * always the lowest free one, like ida_alloc_range(); 0 (RID_PASID) is never
 * handed out.
 *
 * The state is a three-level, 64-ary bitmap in which a set bit means "full":
 *
 *   leaf[w]  bit b: id w * 64 + b is allocated
 *   mid[m]   bit b: leaf[m * 64 + b] has no free bit
 *   top[t]   bit b: mid[t * 64 + b] has no free bit
 *
 * For the 20-bit space that is 16384 + 256 + 4 words (~130 KiB), bounded
 * whatever the callers do. Finding the lowest free id is three
 * count-trailing-zeros on inverted words plus a scan of at most four top
 * words, so get and put cost O(1) regardless of occupancy. Bits that do not
 * name a valid id (0, and everything past max - 1 up to the word boundary of
 * every level) are preset to "full" so the search never has to range-check.
 *
 * A single mutex serialises get and put: "lowest free" is a global property,
 * so a lock-free scheme would need the same serialisation in disguise, and an
 * uncontended mutex costs far less than the 100 ns budget (performance.md).
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define PA_FANOUT_SHIFT	6
#define PA_FANOUT	(1u << PA_FANOUT_SHIFT)		/* bits per word */
#define PA_LEAF_MAX	(PASID_MAX / PA_FANOUT)		/* 16384 */
#define PA_MID_MAX	(PA_LEAF_MAX / PA_FANOUT)	/* 256 */
#define PA_TOP_MAX	(PA_MID_MAX / PA_FANOUT)	/* 4 */

struct pasid_alloc {
	pthread_mutex_t lock;		/* protects the bitmaps */
	uint32_t max;			/* exclusive upper bound of the id range */
	uint32_t ntop;			/* words used in top[] */
	_Atomic uint32_t in_use;	/* written under lock, read without */
	uint64_t top[PA_TOP_MAX];	/* lock */
	uint64_t mid[PA_MID_MAX];	/* lock */
	uint64_t leaf[];		/* lock; DIV_ROUND_UP(max, 64) words */
};

#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

/* Bytes of an allocator over [0, max). */
#define PA_SIZE(max)	\
	(sizeof(struct pasid_alloc) + DIV_ROUND_UP(max, PA_FANOUT) * sizeof(uint64_t))

/* Mark bits [from, 64 * nwords) of a level as full: they name nothing. */
static void pa_fill_tail(uint64_t *words, uint32_t nwords, uint32_t from)
{
	uint32_t w = from / PA_FANOUT;

	if (w >= nwords)
		return;
	if (from % PA_FANOUT)
		words[w++] |= ~0ull << (from % PA_FANOUT);
	for (; w < nwords; w++)
		words[w] = ~0ull;
}

/* Set leaf bit id and propagate "full" upwards; lock held. */
static void pa_set(struct pasid_alloc *pa, uint32_t id)
{
	uint32_t w = id / PA_FANOUT;
	uint32_t m = w / PA_FANOUT;

	pa->leaf[w] |= 1ull << (id % PA_FANOUT);
	if (pa->leaf[w] != ~0ull)
		return;
	pa->mid[m] |= 1ull << (w % PA_FANOUT);
	if (pa->mid[m] != ~0ull)
		return;
	pa->top[m / PA_FANOUT] |= 1ull << (m % PA_FANOUT);
}

/*
 * Initialise the caller-provided memory of PA_SIZE(max) bytes. Only the
 * words that exist for this max are written, so the pages of a large but
 * unused leaf array stay untouched.
 */
static int pa_init(struct pasid_alloc *pa, uint32_t max)
{
	uint32_t nleaf = DIV_ROUND_UP(max, PA_FANOUT);
	uint32_t nmid = DIV_ROUND_UP(nleaf, PA_FANOUT);
	uint32_t ntop = DIV_ROUND_UP(nmid, PA_FANOUT);
	int r;

	memset(pa, 0, PA_SIZE(max));
	r = pthread_mutex_init(&pa->lock, NULL);
	if (r)
		return -r;
	pa->max = max;
	pa->ntop = ntop;
	/*
	 * Past-the-end bits of each level are full, including whole mid and
	 * top words beyond what max needs, so a search can only land on
	 * words that exist.
	 */
	pa_fill_tail(pa->leaf, nleaf, max);
	pa_fill_tail(pa->mid, PA_MID_MAX, nleaf);
	pa_fill_tail(pa->top, PA_TOP_MAX, nmid);
	/* 0 is RID_PASID (SYS-1): permanently taken, not counted in in_use. */
	pa_set(pa, 0);
	return 0;
}

int pasid_alloc_new(uint32_t max_pasids, struct pasid_alloc **ret_pa)
{
	struct pasid_alloc *pa;
	int r;

	if (!ret_pa || max_pasids <= PASID_FIRST || max_pasids > PASID_MAX)
		return -EINVAL;
	pa = malloc(PA_SIZE(max_pasids));
	if (!pa)
		return -ENOMEM;
	r = pa_init(pa, max_pasids);
	if (r) {
		free(pa);
		return r;
	}
	*ret_pa = pa;
	return 0;
}

/*
 * The process-wide allocator lives in .bss rather than on the heap, so it
 * cannot fail to exist and costs no memory until touched. The union keeps
 * the flexible array of leaf words correctly aligned behind the header.
 */
static union {
	struct pasid_alloc pa;
	unsigned char mem[PA_SIZE(PASID_MAX)];
} global_pa;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_err;

static void global_init(void)
{
	global_err = pa_init(&global_pa.pa, PASID_MAX);
}

struct pasid_alloc *pasid_alloc_global(void)
{
	/* pthread_once orders global_init()'s writes before every return. */
	pthread_once(&global_once, global_init);
	return global_err ? NULL : &global_pa.pa;
}

struct pasid_alloc *pasid_alloc_free(struct pasid_alloc *pa)
{
	/* The global allocator is static storage and lives as long as the process. */
	if (!pa || pa == &global_pa.pa)
		return NULL;
	pthread_mutex_destroy(&pa->lock);
	free(pa);
	return NULL;
}

/* Lowest clear bit of the three levels; lock held, at least one id free. */
static int pa_find_free(const struct pasid_alloc *pa, uint32_t *ret_id)
{
	uint32_t t, m, w;

	for (t = 0; t < pa->ntop; t++)
		if (pa->top[t] != ~0ull)
			break;
	if (t == pa->ntop)
		return -ENOSPC;
	m = t * PA_FANOUT + (uint32_t)__builtin_ctzll(~pa->top[t]);
	w = m * PA_FANOUT + (uint32_t)__builtin_ctzll(~pa->mid[m]);
	/* A clear mid bit guarantees a clear leaf bit: the levels agree. */
	assert(pa->leaf[w] != ~0ull);
	*ret_id = w * PA_FANOUT + (uint32_t)__builtin_ctzll(~pa->leaf[w]);
	return 0;
}

int pasid_get(struct pasid_alloc *pa, uint32_t *ret_pasid)
{
	uint32_t id;
	int r;

	if (!pa || !ret_pasid)
		return -EINVAL;
	pthread_mutex_lock(&pa->lock);
	r = pa_find_free(pa, &id);
	if (!r) {
		assert(id >= PASID_FIRST && id < pa->max);
		pa_set(pa, id);
		atomic_store_explicit(&pa->in_use,
				      atomic_load_explicit(&pa->in_use, memory_order_relaxed) + 1,
				      memory_order_relaxed);
	}
	pthread_mutex_unlock(&pa->lock);
	if (r)
		return r;
	*ret_pasid = id;
	return 0;
}

int pasid_put(struct pasid_alloc *pa, uint32_t pasid)
{
	uint32_t w, m;
	uint64_t bit;

	/* Also rejects PASID_INVALID, which is >= every max. */
	if (!pa || pasid < PASID_FIRST || pasid >= pa->max)
		return -EINVAL;
	w = pasid / PA_FANOUT;
	m = w / PA_FANOUT;
	bit = 1ull << (pasid % PA_FANOUT);
	pthread_mutex_lock(&pa->lock);
	if (!(pa->leaf[w] & bit)) {
		pthread_mutex_unlock(&pa->lock);
		return -EINVAL;
	}
	/* Clearing is unconditional: a word with a free bit is never full. */
	pa->leaf[w] &= ~bit;
	pa->mid[m] &= ~(1ull << (w % PA_FANOUT));
	pa->top[m / PA_FANOUT] &= ~(1ull << (m % PA_FANOUT));
	atomic_store_explicit(&pa->in_use,
			      atomic_load_explicit(&pa->in_use, memory_order_relaxed) - 1,
			      memory_order_relaxed);
	pthread_mutex_unlock(&pa->lock);
	return 0;
}

uint32_t pasid_in_use(struct pasid_alloc *pa)
{
	/* A snapshot for tests and stats; callers that need it exact quiesce first. */
	return pa ? atomic_load_explicit(&pa->in_use, memory_order_relaxed) : 0;
}
