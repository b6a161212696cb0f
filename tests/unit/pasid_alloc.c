/* SPDX-License-Identifier: MIT */
/*
 * Description: the 20-bit PASID allocator (system.md §2.1, SYS-1). 0 is never
 * handed out; ids come lowest-free first and are reused after put; the whole
 * space yields exactly 2^20 - 1 ids before -ENOSPC; a smaller max_pasids bounds
 * the range (word boundaries included); misuse returns -EINVAL with the out
 * parameter untouched; random get/put agrees with a plain reference model;
 * 8 threads never hold the same id at once and leave in_use at 0.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define SENTINEL	0xDEADBEEFu

static struct pasid_alloc *new_pa(uint32_t max)
{
	struct pasid_alloc *pa = NULL;
	int r = pasid_alloc_new(max, &pa);

	if (r || !pa)
		T_FATAL("pasid_alloc_new(%u): %d", max, r);
	return pa;
}

static uint32_t get_ok(struct pasid_alloc *pa)
{
	uint32_t id = SENTINEL;
	int r = pasid_get(pa, &id);

	if (r)
		T_FATAL("pasid_get: %d (in use %u)", r, pasid_in_use(pa));
	return id;
}

static void test_args(void)
{
	static char dummy;
	struct pasid_alloc *pa = (struct pasid_alloc *)&dummy;	/* must stay as is */
	uint32_t id = SENTINEL;

	T_EQ(pasid_alloc_new(0, &pa), -EINVAL);
	T_EQ(pasid_alloc_new(PASID_FIRST, &pa), -EINVAL);	/* empty range */
	T_EQ(pasid_alloc_new(PASID_MAX + 1, &pa), -EINVAL);
	T_EQ(pasid_alloc_new(PASID_INVALID, &pa), -EINVAL);
	T_CHECK(pa == (struct pasid_alloc *)&dummy, "ret_pa clobbered on failure");
	T_EQ(pasid_get(NULL, &id), -EINVAL);
	T_EQ(id, SENTINEL);
	T_EQ(pasid_put(NULL, 1), -EINVAL);
	T_CHECK(pasid_alloc_free(NULL) == NULL, "free(NULL)");

	pa = new_pa(PASID_MAX);
	T_EQ(pasid_in_use(pa), 0);
	T_EQ(pasid_put(pa, 0), -EINVAL);		/* RID_PASID is never allocated */
	T_EQ(pasid_put(pa, PASID_INVALID), -EINVAL);
	T_EQ(pasid_put(pa, PASID_MAX), -EINVAL);
	T_EQ(pasid_put(pa, 1), -EINVAL);		/* never handed out */
	id = get_ok(pa);
	T_EQ(id, PASID_FIRST);
	T_EQ(pasid_put(pa, id), 0);
	T_EQ(pasid_put(pa, id), -EINVAL);		/* double put */
	T_EQ(pasid_in_use(pa), 0);
	pa = pasid_alloc_free(pa);
	T_CHECK(pa == NULL, "free returns NULL");
}

static void test_lowest_free(void)
{
	struct pasid_alloc *pa = new_pa(PASID_MAX);
	uint32_t i;

	for (i = 1; i <= 200; i++)
		T_EQ(get_ok(pa), i);
	/* Holes across a word boundary (64) come back in ascending order. */
	T_EQ(pasid_put(pa, 150), 0);
	T_EQ(pasid_put(pa, 64), 0);
	T_EQ(pasid_put(pa, 3), 0);
	T_EQ(pasid_put(pa, 63), 0);
	T_EQ(pasid_in_use(pa), 196);
	T_EQ(get_ok(pa), 3);
	T_EQ(get_ok(pa), 63);
	T_EQ(get_ok(pa), 64);
	T_EQ(get_ok(pa), 150);
	T_EQ(get_ok(pa), 201);
	T_EQ(pasid_in_use(pa), 201);
	pasid_alloc_free(pa);
}

/* Exhaust the whole 20-bit space, then check the summary levels over it. */
static void test_exhaustion(void)
{
	struct pasid_alloc *pa = new_pa(PASID_MAX);
	uint32_t *holes = calloc(1024, sizeof(*holes));
	uint32_t i, n, id, bad = 0;
	int r;

	if (!holes)
		T_FATAL("calloc");
	for (i = PASID_FIRST; i < PASID_MAX; i++) {
		id = SENTINEL;
		r = pasid_get(pa, &id);
		if (r || id != i)
			bad++;
	}
	T_EQ(bad, 0);
	T_EQ(pasid_in_use(pa), PASID_MAX - 1);
	id = SENTINEL;
	T_EQ(pasid_get(pa, &id), -ENOSPC);
	T_EQ(id, SENTINEL);
	T_EQ(pasid_get(pa, &id), -ENOSPC);

	/* Random holes, including the extremes, must come back sorted. */
	n = 0;
	holes[n++] = PASID_MAX - 1;
	holes[n++] = PASID_FIRST;
	holes[n++] = 4096;
	holes[n++] = 4095;
	for (i = 0; i < n; i++)
		T_EQ(pasid_put(pa, holes[i]), 0);
	while (n < 1024) {
		id = (uint32_t)t_rand_range(PASID_FIRST, PASID_MAX - 1);
		if (pasid_put(pa, id) == 0)	/* -EINVAL: already a hole */
			holes[n++] = id;
	}
	T_EQ(pasid_in_use(pa), PASID_MAX - 1 - 1024);
	for (i = 0, id = 0, bad = 0; i < 1024; i++) {
		uint32_t got = get_ok(pa);

		/* Strictly ascending and each one a hole we punched. */
		if (got <= id || got == 0)
			bad++;
		id = got;
		if (pasid_put(pa, got) || pasid_put(pa, got) != -EINVAL)
			bad++;
		if (get_ok(pa) != got)
			bad++;
	}
	T_EQ(bad, 0);
	T_EQ(id, PASID_MAX - 1);
	T_EQ(pasid_in_use(pa), PASID_MAX - 1);
	T_EQ(pasid_get(pa, &id), -ENOSPC);

	for (i = PASID_FIRST, bad = 0; i < PASID_MAX; i++)
		if (pasid_put(pa, i))
			bad++;
	T_EQ(bad, 0);
	T_EQ(pasid_in_use(pa), 0);
	T_EQ(get_ok(pa), PASID_FIRST);
	free(holes);
	pasid_alloc_free(pa);
}

/* A smaller max_pasids (the device's PASID width) bounds the range. */
static void test_small_max(void)
{
	static const uint32_t maxes[] = { 2, 3, 63, 64, 65, 100, 4095, 4096, 4097, 262145 };

	for (size_t k = 0; k < sizeof(maxes) / sizeof(maxes[0]); k++) {
		struct pasid_alloc *pa = new_pa(maxes[k]);
		uint32_t i, id = SENTINEL, bad = 0;

		for (i = PASID_FIRST; i < maxes[k]; i++)
			if (get_ok(pa) != i)
				bad++;
		T_CHECK(bad == 0, "max %u: ids out of order", maxes[k]);
		T_CHECK(pasid_get(pa, &id) == -ENOSPC, "max %u: not exhausted", maxes[k]);
		T_EQ(id, SENTINEL);
		T_CHECK(pasid_put(pa, maxes[k]) == -EINVAL, "max %u: put(max)", maxes[k]);
		T_EQ(pasid_in_use(pa), maxes[k] - 1);
		T_EQ(pasid_put(pa, maxes[k] - 1), 0);
		T_EQ(get_ok(pa), maxes[k] - 1);
		pasid_alloc_free(pa);
	}
}

/* Random get/put against a byte-array model whose lowest free is a linear scan. */
static void test_model(void)
{
	const uint32_t max = 4096 + 130;	/* partial words on every level */
	struct pasid_alloc *pa = new_pa(max);
	uint8_t *used = calloc(max, 1);
	uint32_t i, id, expect, in_use = 0, bad = 0;

	if (!used)
		T_FATAL("calloc");
	for (i = 0; i < 40000; i++) {
		/* Drift between nearly empty and nearly full. */
		bool want_get = (t_rand() % 1000) < ((i / 5000) % 2 ? 300u : 700u);

		if (want_get) {
			for (expect = PASID_FIRST; expect < max && used[expect]; expect++)
				;
			id = SENTINEL;
			int r = pasid_get(pa, &id);

			if (expect == max) {
				bad += r != -ENOSPC;
			} else if (r || id != expect) {
				bad++;
			} else {
				used[id] = 1;
				in_use++;
			}
		} else {
			id = (uint32_t)t_rand_range(0, max);
			int r = pasid_put(pa, id);

			if (id >= PASID_FIRST && id < max && used[id]) {
				bad += r != 0;
				used[id] = 0;
				in_use--;
			} else {
				bad += r != -EINVAL;
			}
		}
		bad += pasid_in_use(pa) != in_use;
	}
	T_EQ(bad, 0);
	free(used);
	pasid_alloc_free(pa);
}

/* concurrency */

#define NTHREADS	8
#define HOLD_MAX	48	/* 8 * 48 > 255: threads also meet -ENOSPC */
#define ROUNDS		100000

struct worker {
	pthread_t thread;
	struct pasid_alloc *pa;
	_Atomic uint8_t *owner;		/* id -> holding thread + 1, or 0 */
	uint32_t max;
	uint8_t tag;
	uint64_t rng;
	uint32_t errors;
	uint32_t enospc;
};

static uint64_t worker_rand(struct worker *w)
{
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 0x2545F4914F6CDD1Dull;
}

static void worker_put(struct worker *w, uint32_t id)
{
	/* Give up ownership before the id can be handed to someone else. */
	if (atomic_exchange(&w->owner[id], 0) != w->tag)
		w->errors++;
	if (pasid_put(w->pa, id))
		w->errors++;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint32_t held[HOLD_MAX];
	unsigned int n = 0;

	for (int i = 0; i < ROUNDS; i++) {
		if (n < HOLD_MAX && (n == 0 || worker_rand(w) % 2)) {
			uint32_t id = SENTINEL;
			int r = pasid_get(w->pa, &id);

			if (r == -ENOSPC) {
				w->enospc++;
				continue;
			}
			if (r || id < PASID_FIRST || id >= w->max) {
				w->errors++;
				continue;
			}
			/* Anyone else still owning it means a double hand-out. */
			if (atomic_exchange(&w->owner[id], w->tag) != 0)
				w->errors++;
			held[n++] = id;
		} else {
			unsigned int k = (unsigned int)(worker_rand(w) % n);

			worker_put(w, held[k]);
			held[k] = held[--n];
		}
	}
	while (n)
		worker_put(w, held[--n]);
	return NULL;
}

static void test_threads(uint32_t max)
{
	struct pasid_alloc *pa = new_pa(max);
	_Atomic uint8_t *owner = calloc(max, sizeof(*owner));
	struct worker w[NTHREADS];
	uint32_t errors = 0, enospc = 0;

	if (!owner)
		T_FATAL("calloc");
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .pa = pa, .owner = owner, .max = max,
					.tag = (uint8_t)(i + 1), .rng = t_rand() | 1 };
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]))
			T_FATAL("pthread_create");
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(w[i].thread, NULL);
		errors += w[i].errors;
		enospc += w[i].enospc;
	}
	T_CHECK(errors == 0, "max %u: %u ownership/return errors", max, errors);
	T_EQ(pasid_in_use(pa), 0);
	printf("threads, max %u: %u -ENOSPC seen\n", max, enospc);
	/* All returned: the lowest id is free again. */
	T_EQ(get_ok(pa), PASID_FIRST);
	free(owner);
	pasid_alloc_free(pa);
}

static void *global_main(void *arg)
{
	return pasid_alloc_global();
}

static void test_global(void)
{
	pthread_t th[4];
	void *ret;
	struct pasid_alloc *g = pasid_alloc_global();

	T_CHECK(g != NULL, "global allocator");
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, global_main, NULL);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], &ret);
		T_CHECK(ret == g, "pasid_alloc_global differs across threads");
	}
	/* Freeing the static instance is a no-op, so it stays usable. */
	T_CHECK(pasid_alloc_free(g) == NULL, "free(global)");
	T_EQ(get_ok(g), PASID_FIRST);
	T_EQ(pasid_put(g, PASID_FIRST), 0);
}

int main(void)
{
	t_seed(0x9a51d);
	test_args();
	test_lowest_free();
	test_exhaustion();
	test_small_max();
	test_model();
	test_threads(256);
	test_threads(PASID_MAX);
	test_global();
	return t_done("pasid_alloc");
}
